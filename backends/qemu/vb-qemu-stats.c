/* Statistics of QEMU domains: GetStats / Connect.GetAllDomainStats,
 * MemoryStats and SetMemoryStatsPeriod, GetVcpus, GetControlInfo,
 * GetDiskErrors, vCPU and emulator pinning.
 *
 * Everything QEMU knows is asked over QMP, one command per kind of
 * information, all commands of one request (and of every domain of a
 * GetAllDomainStats) in flight at once; the reply is built when the last
 * answer is back. What the host kernel knows (CPU time of the QEMU process
 * and of each vCPU thread, RSS) comes from /proc. */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "vb-qemu-agent.h"
#include "vb-qemu-job.h"
#include "vb-qemu-process.h"
#include "vb-state-dir.h"
#include "vb-task.h"

/* virDomainStatsTypes */
enum {
  STATS_STATE = 1 << 0, STATS_CPU_TOTAL = 1 << 1, STATS_BALLOON = 1 << 2, STATS_VCPU = 1 << 3,
  STATS_INTERFACE = 1 << 4, STATS_BLOCK = 1 << 5, STATS_PERF = 1 << 6, STATS_IOTHREAD = 1 << 7,
  STATS_MEMORY = 1 << 8, STATS_DIRTYRATE = 1 << 9,
};
/* What this backend can report (perf counters and memory bandwidth
 * monitoring need host features it does not use). */
#define STATS_SUPPORTED                                                                                   \
  (STATS_STATE | STATS_CPU_TOTAL | STATS_BALLOON | STATS_VCPU | STATS_INTERFACE | STATS_BLOCK | STATS_IOTHREAD | \
   STATS_DIRTYRATE)

#define GETSTATS_FILTERS 0xffu

/* virDomainVcpuFlags beyond the AFFECT ones */
enum { VCPU_MAXIMUM = 1 << 2, VCPU_GUEST = 1 << 3, VCPU_HOTPLUGGABLE = 1 << 4 };
/* virDomainControlState, virDomainControlErrorReason */
enum { CONTROL_OK = 0, CONTROL_JOB = 1, CONTROL_OCCUPIED = 2, CONTROL_ERROR = 3 };
enum { CONTROL_ERROR_REASON_NONE = 0, CONTROL_ERROR_REASON_MONITOR = 2 };
/* virDomainDiskErrorCode */
enum { DISK_ERROR_NONE = 0, DISK_ERROR_UNSPEC = 1, DISK_ERROR_NO_SPACE = 2 };
/* virDomainMemoryStatTags */
enum {
  MEM_SWAP_IN = 0, MEM_SWAP_OUT = 1, MEM_MAJOR_FAULT = 2, MEM_MINOR_FAULT = 3, MEM_UNUSED = 4, MEM_AVAILABLE = 5,
  MEM_ACTUAL_BALLOON = 6, MEM_RSS = 7, MEM_USABLE = 8, MEM_LAST_UPDATE = 9, MEM_DISK_CACHES = 10,
  MEM_HUGETLB_PGALLOC = 11, MEM_HUGETLB_PGFAIL = 12, MEM_NR = 13,
};

/* The guest-reported balloon statistics: QEMU's name, libvirt's tag and
 * GetStats key, and the divisor to libvirt's unit (KiB for sizes). */
static const struct {
  const char *qemu;
  int tag;
  const char *key;
  guint64 divisor;
} guest_stats[] = {
  { "stat-swap-in", MEM_SWAP_IN, "balloon.swap_in", 1024 },
  { "stat-swap-out", MEM_SWAP_OUT, "balloon.swap_out", 1024 },
  { "stat-major-faults", MEM_MAJOR_FAULT, "balloon.major_fault", 1 },
  { "stat-minor-faults", MEM_MINOR_FAULT, "balloon.minor_fault", 1 },
  { "stat-free-memory", MEM_UNUSED, "balloon.unused", 1024 },
  { "stat-total-memory", MEM_AVAILABLE, "balloon.available", 1024 },
  { "stat-available-memory", MEM_USABLE, "balloon.usable", 1024 },
  { "stat-disk-caches", MEM_DISK_CACHES, "balloon.disk_caches", 1024 },
  { "stat-htlb-pgalloc", MEM_HUGETLB_PGALLOC, "balloon.hugetlb_pgalloc", 1 },
  { "stat-htlb-pgfail", MEM_HUGETLB_PGFAIL, "balloon.hugetlb_pgfail", 1 },
};

static VbDomainDef *
live_def (VbObj *dom)
{
  return dom->def;
}

static VbDomainDef *
persistent_def (VbObj *dom)
{
  return vb_obj_get_persistent_def (dom);
}

static void
return_value (GTask *task, GVariant *value)
{
  g_task_return_pointer (task, g_variant_ref_sink (value), (GDestroyNotify) g_variant_unref);
}

static gboolean
has_balloon (const VbDomainDef *def)
{
  return def->memballoon != NULL && def->memballoon->model != VB_DOMAIN_MEMBALLOON_NONE;
}

/* ---- /proc ---- */

/* Fields of /proc/<pid>[/task/<tid>]/stat after the command name (field 3
 * is [0]); NULL when the process is gone. */
static GStrv
proc_stat_fields (GPid pid, int tid)
{
  g_autofree char *path = tid > 0 ? g_strdup_printf ("/proc/%d/task/%d/stat", (int) pid, tid)
                                  : g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *contents = NULL;
  const char *end;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  end = strrchr (contents, ')');
  if (end == NULL)
    return NULL;
  return g_strsplit_set (end + 2, " \n", -1);
}

static guint64
field_u64 (GStrv fields, guint field)
{
  if (fields == NULL || g_strv_length (fields) <= field - 3)
    return 0;
  return g_ascii_strtoull (fields[field - 3], NULL, 10);
}

static guint64
ticks_to_ns (guint64 ticks)
{
  long hz = sysconf (_SC_CLK_TCK);

  return ticks * (G_GUINT64_CONSTANT (1000000000) / (guint64) (hz > 0 ? hz : 100));
}

/* Time on a CPU and waiting for one (ns) of thread @tid (schedstat). */
static gboolean
thread_schedstat (GPid pid, int tid, guint64 *run_ns, guint64 *wait_ns)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/task/%d/schedstat", (int) pid, tid);
  g_autofree char *contents = NULL;
  char *end;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  *run_ns = g_ascii_strtoull (contents, &end, 10);
  *wait_ns = g_ascii_strtoull (end, NULL, 10);
  return TRUE;
}

/* CPU time of the whole QEMU process: the sum over its threads (ns
 * precision), and user/system time (clock ticks). */
static gboolean
process_cpu (GPid pid, guint64 *total, guint64 *user, guint64 *sys)
{
  g_autofree char *dir = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr(GDir) tasks = g_dir_open (dir, 0, NULL);
  g_auto(GStrv) fields = proc_stat_fields (pid, 0);
  const char *name;

  if (tasks == NULL || fields == NULL)
    return FALSE;
  *total = 0;
  while ((name = g_dir_read_name (tasks)) != NULL) {
    guint64 run, wait;
    if (thread_schedstat (pid, atoi (name), &run, &wait))
      *total += run;
  }
  *user = ticks_to_ns (field_u64 (fields, 14));
  *sys = ticks_to_ns (field_u64 (fields, 15));
  if (*total == 0) /* no schedstats in this kernel */
    *total = *user + *sys;
  return TRUE;
}

/* Resident memory of the QEMU process, KiB. */
static gboolean
process_rss_kib (GPid pid, guint64 *rss)
{
  g_auto(GStrv) fields = proc_stat_fields (pid, 0);

  if (fields == NULL)
    return FALSE;
  *rss = field_u64 (fields, 24) * (guint64) sysconf (_SC_PAGESIZE) / 1024;
  return TRUE;
}

/* ---- JSON ---- */

static JsonArray *
node_array (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* ---- gathering: the QMP queries of one request, in flight together ---- */

typedef enum {
  Q_BALLOON, Q_GUEST_STATS, Q_CPUS, Q_BLOCKSTATS, Q_BLOCK, Q_IOTHREADS, Q_DIRTYRATE, Q_LAST
} QueryKind;

typedef struct _Gather Gather;
typedef void (*GatherDone) (Gather *g, gpointer user_data);

struct _Gather {
  VbObj *dom;   /* owned reference */
  GPid pid;     /* of the QEMU when the request started; 0 if not running */
  guint stats;
  JsonNode *replies[Q_LAST]; /* NULL: not asked, or QEMU failed it */
  guint pending;
  GatherDone done;
  gpointer user_data;
};

typedef struct {
  Gather *g;
  QueryKind kind;
} QueryCall;

static void
gather_free (Gather *g)
{
  for (guint i = 0; i < Q_LAST; i++)
    g_clear_pointer (&g->replies[i], json_node_unref);
  g_object_unref (g->dom);
  g_free (g);
}

static void
gather_release (Gather *g)
{
  if (--g->pending > 0)
    return;
  g->done (g, g->user_data);
  gather_free (g);
}

static void
on_query_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  QueryCall *call = user_data;
  g_autoptr(GError) error = NULL;
  JsonNode *ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);

  /* A failed query leaves its part of the statistics out, as libvirt
   * leaves out what it could not get. */
  if (ret == NULL)
    g_debug ("stats of domain '%s': query %d failed: %s", call->g->dom->name, call->kind,
             error != NULL ? error->message : "no answer");
  call->g->replies[call->kind] = ret;
  gather_release (call->g);
  g_free (call);
}

static void
gather_query (Gather *g, VbQmp *qmp, QueryKind kind, const char *command, JsonObject *args)
{
  QueryCall *call = g_new0 (QueryCall, 1);

  call->g = g;
  call->kind = kind;
  g->pending++;
  vb_qmp_execute_async (qmp, command, args, NULL, on_query_done, call);
}

static char *
balloon_qom_path (const VbDomainDef *def)
{
  return g_strdup_printf ("/machine/peripheral/%s",
                          def->memballoon->info.alias ? def->memballoon->info.alias : "balloon0");
}

/* Starts the QMP queries @stats needs for @dom; @done runs (maybe at once)
 * when every answer is in. */
static void
gather_start (VbObj *dom, guint stats, GatherDone done, gpointer user_data)
{
  Gather *g = g_new0 (Gather, 1);
  VbQmp *qmp = dom->active ? vb_qemu_process_get_qmp (dom) : NULL;
  const VbDomainDef *def = live_def (dom);

  g->dom = g_object_ref (dom);
  g->pid = dom->active ? vb_qemu_dom (dom)->pid : 0;
  g->stats = stats;
  g->done = done;
  g->user_data = user_data;
  g->pending = 1; /* ours, until every query is sent */
  if (qmp != NULL) {
    if ((stats & STATS_BALLOON) && has_balloon (def)) {
      gather_query (g, qmp, Q_BALLOON, "query-balloon", NULL);
      if (def->memballoon->stats_period > 0) {
        g_autoptr(JsonObject) args = json_object_new ();
        g_autofree char *path = balloon_qom_path (def);
        json_object_set_string_member (args, "path", path);
        json_object_set_string_member (args, "property", "guest-stats");
        gather_query (g, qmp, Q_GUEST_STATS, "qom-get", args);
      }
    }
    if (stats & STATS_VCPU)
      gather_query (g, qmp, Q_CPUS, "query-cpus-fast", NULL);
    if (stats & STATS_BLOCK) {
      gather_query (g, qmp, Q_BLOCKSTATS, "query-blockstats", NULL);
      gather_query (g, qmp, Q_BLOCK, "query-block", NULL);
    }
    if (stats & STATS_IOTHREAD)
      gather_query (g, qmp, Q_IOTHREADS, "query-iothreads", NULL);
    if (stats & STATS_DIRTYRATE)
      gather_query (g, qmp, Q_DIRTYRATE, "query-dirty-rate", NULL);
  }
  gather_release (g);
}

/* ---- building the typed parameters ---- */

static void
add (GVariantBuilder *b, const char *key, GVariant *value)
{
  g_variant_builder_add (b, "{sv}", key, value);
}

static void
add_dev (GVariantBuilder *b, const char *group, guint index, const char *name, GVariant *value)
{
  g_autofree char *key = g_strdup_printf ("%s.%u.%s", group, index, name);

  add (b, key, value);
}

/* The balloon statistics QEMU and the host give: (tag, value) pairs. */
static guint
memory_stats_collect (Gather *g, int *tags, guint64 *values)
{
  JsonObject *balloon = g->replies[Q_BALLOON] && JSON_NODE_HOLDS_OBJECT (g->replies[Q_BALLOON])
                          ? json_node_get_object (g->replies[Q_BALLOON]) : NULL;
  JsonObject *qom = g->replies[Q_GUEST_STATS] && JSON_NODE_HOLDS_OBJECT (g->replies[Q_GUEST_STATS])
                      ? json_node_get_object (g->replies[Q_GUEST_STATS]) : NULL;
  JsonObject *gs = vb_qmp_member_obj (qom, "stats");
  guint n = 0;
  guint64 v;

  if (vb_qmp_member_u64 (balloon, "actual", &v)) {
    tags[n] = MEM_ACTUAL_BALLOON;
    values[n++] = v / 1024;
  }
  /* Nothing from the guest before its first report (last-update 0). */
  if (vb_qmp_member_u64 (qom, "last-update", &v) && v > 0) {
    for (guint i = 0; i < G_N_ELEMENTS (guest_stats); i++) {
      guint64 s;
      if (vb_qmp_member_u64 (gs, guest_stats[i].qemu, &s)) {
        tags[n] = guest_stats[i].tag;
        values[n++] = s / guest_stats[i].divisor;
      }
    }
    tags[n] = MEM_LAST_UPDATE;
    values[n++] = v;
  }
  if (g->pid > 0 && process_rss_kib (g->pid, &v)) {
    tags[n] = MEM_RSS;
    values[n++] = v;
  }
  return n;
}

static const char *
guest_stat_key (int tag)
{
  for (guint i = 0; i < G_N_ELEMENTS (guest_stats); i++)
    if (guest_stats[i].tag == tag)
      return guest_stats[i].key;
  return NULL;
}

static void
build_balloon (Gather *g, GVariantBuilder *b)
{
  const VbDomainDef *def = live_def (g->dom);
  int tags[MEM_NR + 2];
  guint64 values[MEM_NR + 2];
  guint n = g->dom->active ? memory_stats_collect (g, tags, values) : 0;
  gboolean have_current = FALSE;

  for (guint i = 0; i < n; i++)
    if (tags[i] == MEM_ACTUAL_BALLOON) {
      add (b, "balloon.current", g_variant_new_uint64 (values[i]));
      have_current = TRUE;
    }
  /* Without a balloon device (or its answer) the guest has what it was
   * given. */
  if (!have_current)
    add (b, "balloon.current", g_variant_new_uint64 (def->current_memory_kib));
  add (b, "balloon.maximum", g_variant_new_uint64 (def->memory_kib));
  for (guint i = 0; i < n; i++) {
    const char *key = guest_stat_key (tags[i]);
    if (key != NULL)
      add (b, key, g_variant_new_uint64 (values[i]));
    else if (tags[i] == MEM_RSS)
      add (b, "balloon.rss", g_variant_new_uint64 (values[i]));
    else if (tags[i] == MEM_LAST_UPDATE)
      add (b, "balloon.last-update", g_variant_new_uint64 (values[i]));
  }
}

static void
build_vcpu (Gather *g, GVariantBuilder *b)
{
  const VbDomainDef *def = live_def (g->dom);
  JsonArray *cpus = node_array (g->replies[Q_CPUS]);

  add (b, "vcpu.current", g_variant_new_uint32 (def->vcpus_current));
  add (b, "vcpu.maximum", g_variant_new_uint32 (def->vcpus));
  if (cpus == NULL || g->pid <= 0)
    return;
  for (guint i = 0; i < json_array_get_length (cpus); i++) {
    JsonObject *cpu = json_array_get_object_element (cpus, i);
    guint64 index, tid, run = 0, wait = 0;
    if (!vb_qmp_member_u64 (cpu, "cpu-index", &index) || !vb_qmp_member_u64 (cpu, "thread-id", &tid))
      continue;
    thread_schedstat (g->pid, (int) tid, &run, &wait);
    add_dev (b, "vcpu", index, "state", g_variant_new_int32 (1 /* VIR_VCPU_RUNNING */));
    add_dev (b, "vcpu", index, "time", g_variant_new_uint64 (run));
    add_dev (b, "vcpu", index, "wait", g_variant_new_uint64 (wait));
  }
}

static void
build_interfaces (Gather *g, GVariantBuilder *b)
{
  const VbDomainDef *def = live_def (g->dom);

  /* The guest's view of its traffic: what its tap receives, the guest
   * sent. User-mode interfaces have no host device, so no counters. */
  static const char *const counters[][2] = {
    { "rx.bytes", "tx_bytes" }, { "rx.pkts", "tx_packets" }, { "rx.errs", "tx_errors" }, { "rx.drop", "tx_dropped" },
    { "tx.bytes", "rx_bytes" }, { "tx.pkts", "rx_packets" }, { "tx.errs", "rx_errors" }, { "tx.drop", "rx_dropped" },
  };

  add (b, "net.count", g_variant_new_uint32 (def->nets->len));
  for (guint i = 0; i < def->nets->len; i++) {
    const VbDomainNetDef *net = g_ptr_array_index (def->nets, i);
    const char *name = net->target_dev ? net->target_dev : net->info.alias ? net->info.alias : net->mac;

    add_dev (b, "net", i, "name", g_variant_new_string (name));
    if (!vb_qemu_net_has_tap (net))
      continue;
    for (guint c = 0; net->target_dev != NULL && c < G_N_ELEMENTS (counters); c++) {
      /* A macvtap counts as the guest does: what it receives goes to the
       * guest (a tap's counters are the other way round). */
      guint other = vb_domain_net_actual_type (net) == VB_DOMAIN_NET_TYPE_DIRECT ? (c + 4) % 8 : c;
      g_autofree char *path = g_strdup_printf ("/sys/class/net/%s/statistics/%s", net->target_dev,
                                               counters[other][1]);
      g_autofree char *text = NULL;
      guint64 value;

      if (strchr (net->target_dev, '/') == NULL && g_file_get_contents (path, &text, NULL, NULL) &&
          g_ascii_string_to_unsigned (g_strstrip (text), 10, 0, G_MAXUINT64, &value, NULL))
        add_dev (b, "net", i, counters[c][0], g_variant_new_uint64 (value));
    }
  }
}

/* Does the qdev path QEMU reports belong to the device with @alias? */
static gboolean
qdev_matches (const char *qdev, const char *alias)
{
  const char *rest;

  if (qdev == NULL || alias == NULL)
    return FALSE;
  if (strcmp (qdev, alias) == 0)
    return TRUE;
  if (!g_str_has_prefix (qdev, "/machine/peripheral/"))
    return FALSE;
  rest = qdev + strlen ("/machine/peripheral/");
  return g_str_has_prefix (rest, alias) && (rest[strlen (alias)] == '\0' || rest[strlen (alias)] == '/');
}

JsonObject *
vb_qemu_find_by_qdev (JsonArray *list, const char *alias)
{
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++) {
    JsonObject *entry = json_array_get_object_element (list, i);
    if (entry != NULL && qdev_matches (vb_qmp_member_str (entry, "qdev"), alias))
      return entry;
  }
  return NULL;
}

/* Capacity of an image that is not open in a QEMU: the virtual size in a
 * qcow2 header, else the file's size. */
static gboolean
image_sizes (const char *path, const char *format, guint64 *capacity, guint64 *allocation, guint64 *physical)
{
  struct stat st;

  if (path == NULL || stat (path, &st) < 0)
    return FALSE;
  *physical = (guint64) st.st_size;
  *allocation = (guint64) st.st_blocks * 512;
  *capacity = (guint64) st.st_size;
  if (format != NULL && strcmp (format, "qcow2") == 0 && S_ISREG (st.st_mode)) {
    guint8 header[32];
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      if (pread (fd, header, sizeof header, 0) == (ssize_t) sizeof header && memcmp (header, "QFI\xfb", 4) == 0) {
        guint64 be;
        memcpy (&be, header + 24, sizeof be);
        *capacity = GUINT64_FROM_BE (be);
      }
      close (fd);
    }
  }
  return TRUE;
}

static void
build_block (Gather *g, GVariantBuilder *b)
{
  const VbDomainDef *def = live_def (g->dom);
  JsonArray *blockstats = node_array (g->replies[Q_BLOCKSTATS]);
  JsonArray *blocks = node_array (g->replies[Q_BLOCK]);

  add (b, "block.count", g_variant_new_uint32 (def->disks->len));
  for (guint i = 0; i < def->disks->len; i++) {
    const VbDomainDiskDef *disk = g_ptr_array_index (def->disks, i);
    JsonObject *bs = vb_qemu_find_by_qdev (blockstats, disk->info.alias);
    JsonObject *st = vb_qmp_member_obj (bs, "stats");
    JsonObject *inserted = vb_qmp_member_obj (vb_qemu_find_by_qdev (blocks, disk->info.alias), "inserted");
    JsonObject *image = vb_qmp_member_obj (inserted, "image");
    guint64 v, capacity = 0, allocation = 0, physical = 0;
    gboolean sizes;

    add_dev (b, "block", i, "name", g_variant_new_string (disk->dst));
    if (disk->src_path != NULL)
      add_dev (b, "block", i, "path", g_variant_new_string (disk->src_path));
    if (st != NULL) {
      static const struct { const char *qemu, *key; } counters[] = {
        { "rd_operations", "rd.reqs" }, { "rd_bytes", "rd.bytes" }, { "rd_total_time_ns", "rd.times" },
        { "wr_operations", "wr.reqs" }, { "wr_bytes", "wr.bytes" }, { "wr_total_time_ns", "wr.times" },
        { "flush_operations", "fl.reqs" }, { "flush_total_time_ns", "fl.times" },
      };
      for (guint c = 0; c < G_N_ELEMENTS (counters); c++)
        if (vb_qmp_member_u64 (st, counters[c].qemu, &v))
          add_dev (b, "block", i, counters[c].key, g_variant_new_uint64 (v));
    }
    if (disk->src_path == NULL)
      continue;
    sizes = image_sizes (disk->src_path, disk->driver_format, &capacity, &allocation, &physical);
    /* A running guest: QEMU knows the virtual size, and how far it wrote
     * into the image (libvirt's allocation of a running disk). */
    if (vb_qmp_member_u64 (image, "virtual-size", &v)) {
      capacity = v;
      sizes = TRUE;
    }
    if (st != NULL) {
      JsonObject *parent = vb_qmp_member_obj (vb_qmp_member_obj (bs, "parent"), "stats");
      if (vb_qmp_member_u64 (parent, "wr_highest_offset", &v) || vb_qmp_member_u64 (st, "wr_highest_offset", &v))
        allocation = v;
    }
    if (!sizes)
      continue;
    add_dev (b, "block", i, "allocation", g_variant_new_uint64 (allocation));
    add_dev (b, "block", i, "capacity", g_variant_new_uint64 (capacity));
    add_dev (b, "block", i, "physical", g_variant_new_uint64 (physical));
  }
}

static void
build_iothreads (Gather *g, GVariantBuilder *b)
{
  JsonArray *threads = node_array (g->replies[Q_IOTHREADS]);
  guint n = threads ? json_array_get_length (threads) : 0;

  if (n == 0)
    return;
  add (b, "iothread.count", g_variant_new_uint32 (n));
  for (guint i = 0; i < n; i++) {
    JsonObject *t = json_array_get_object_element (threads, i);
    const char *id = vb_qmp_member_str (t, "id");
    guint64 v;
    guint num;
    /* libvirt numbers them by the <iothread> id the QEMU id was made of */
    if (id == NULL || !g_str_has_prefix (id, "iothread"))
      continue;
    num = (guint) g_ascii_strtoull (id + strlen ("iothread"), NULL, 10);
    if (vb_qmp_member_u64 (t, "poll-max-ns", &v))
      add_dev (b, "iothread", num, "poll-max-ns", g_variant_new_uint64 (v));
    if (vb_qmp_member_u64 (t, "poll-grow", &v))
      add_dev (b, "iothread", num, "poll-grow", g_variant_new_uint64 (v));
    if (vb_qmp_member_u64 (t, "poll-shrink", &v))
      add_dev (b, "iothread", num, "poll-shrink", g_variant_new_uint64 (v));
  }
}

static void
build_dirtyrate (Gather *g, GVariantBuilder *b)
{
  JsonObject *r = g->replies[Q_DIRTYRATE] && JSON_NODE_HOLDS_OBJECT (g->replies[Q_DIRTYRATE])
                    ? json_node_get_object (g->replies[Q_DIRTYRATE]) : NULL;
  const char *status = vb_qmp_member_str (r, "status");
  const char *mode = vb_qmp_member_str (r, "mode");
  int code;
  guint64 v;

  if (status == NULL)
    return;
  /* virDomainDirtyRateStatus */
  code = strcmp (status, "measuring") == 0 ? 1 : strcmp (status, "measured") == 0 ? 2 : 0;
  add (b, "dirtyrate.calc_status", g_variant_new_int32 (code));
  if (vb_qmp_member_u64 (r, "start-time", &v))
    add (b, "dirtyrate.calc_start_time", g_variant_new_int64 ((gint64) v));
  if (vb_qmp_member_u64 (r, "calc-time", &v))
    add (b, "dirtyrate.calc_period", g_variant_new_int32 ((int) v));
  if (mode != NULL)
    add (b, "dirtyrate.calc_mode", g_variant_new_string (mode));
  if (code == 2 && vb_qmp_member_u64 (r, "dirty-rate", &v))
    add (b, "dirtyrate.megabytes_per_second", g_variant_new_int64 ((gint64) v));
}

/* The a{sv} record of one domain, libvirt's keys and types. Inactive
 * domains get what their definition says. */
static GVariant *
build_stats (Gather *g)
{
  VbObj *dom = g->dom;
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  if (g->stats & STATS_STATE) {
    add (&b, "state.state", g_variant_new_int32 (dom->state));
    add (&b, "state.reason", g_variant_new_int32 (dom->reason));
  }
  if ((g->stats & STATS_CPU_TOTAL) && g->pid > 0) {
    guint64 total, user, sys;
    if (process_cpu (g->pid, &total, &user, &sys)) {
      add (&b, "cpu.time", g_variant_new_uint64 (total));
      add (&b, "cpu.user", g_variant_new_uint64 (user));
      add (&b, "cpu.system", g_variant_new_uint64 (sys));
    }
  }
  if (g->stats & STATS_BALLOON)
    build_balloon (g, &b);
  if (g->stats & STATS_VCPU)
    build_vcpu (g, &b);
  if (g->stats & STATS_INTERFACE)
    build_interfaces (g, &b);
  if (g->stats & STATS_BLOCK)
    build_block (g, &b);
  if (g->stats & STATS_IOTHREAD)
    build_iothreads (g, &b);
  if (g->stats & STATS_DIRTYRATE)
    build_dirtyrate (g, &b);
  return g_variant_builder_end (&b);
}

/* @stats 0 = all; unknown groups are ignored unless ENFORCE_STATS. */
static gboolean
check_stats (guint *stats, guint flags, GError **error)
{
  if ((flags & GETSTATS_ENFORCE) && (*stats & ~(guint) STATS_SUPPORTED)) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "statistics types 0x%x are not supported by the QEMU backend", *stats & ~(guint) STATS_SUPPORTED);
    return FALSE;
  }
  *stats = *stats == 0 ? STATS_SUPPORTED : *stats & STATS_SUPPORTED;
  return TRUE;
}

/* ---- GetStats ---- */

static void
on_get_stats_gathered (Gather *g, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;

  return_value (task, build_stats (g));
}

static void
qemu_get_stats (VbBackend *backend, VbObj *dom, guint stats, guint flags, GTask *task)
{
  GError *error = NULL;

  CHECK_FLAGS (task, flags, GETSTATS_NOWAIT | GETSTATS_BACKING | GETSTATS_ENFORCE, "GetStats");
  if (!check_stats (&stats, flags, &error)) {
    g_task_return_error (task, error);
    return;
  }
  gather_start (dom, stats, on_get_stats_gathered, g_object_ref (task));
}

/* ---- Connect.GetAllDomainStats ---- */

typedef struct {
  GTask *task;
  GPtrArray *doms;   /* VbObj (owned), in the order of the reply */
  GVariant **records; /* by index in doms */
  guint pending;
} AllStats;

typedef struct {
  AllStats *all;
  guint index;
} AllStatsItem;

static void
all_stats_release (AllStats *all)
{
  GVariantBuilder b;

  if (--all->pending > 0)
    return;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sa{sv})"));
  for (guint i = 0; i < all->doms->len; i++) {
    VbObj *dom = g_ptr_array_index (all->doms, i);
    g_variant_builder_add (&b, "(s@a{sv})", dom->name, all->records[i]);
  }
  return_value (all->task, g_variant_builder_end (&b));
  g_object_unref (all->task);
  for (guint i = 0; i < all->doms->len; i++)
    g_variant_unref (all->records[i]); /* the builder took its own reference */
  g_ptr_array_unref (all->doms);
  g_free (all->records);
  g_free (all);
}

static void
on_all_stats_gathered (Gather *g, gpointer user_data)
{
  AllStatsItem *item = user_data;

  item->all->records[item->index] = g_variant_ref_sink (build_stats (g));
  all_stats_release (item->all);
  g_free (item);
}

static void
qemu_get_all_domain_stats (VbBackend *backend, guint stats, guint flags, GTask *task)
{
  g_autoptr(GPtrArray) list = NULL;
  AllStats *all;
  GError *error = NULL;

  CHECK_FLAGS (task, flags, GETSTATS_FILTERS | GETSTATS_NOWAIT | GETSTATS_BACKING | GETSTATS_ENFORCE,
               "GetAllDomainStats");
  if (!check_stats (&stats, flags, &error)) {
    g_task_return_error (task, error);
    return;
  }
  list = vb_backend_list (backend, VB_OBJ_DOMAIN);
  all = g_new0 (AllStats, 1);
  all->task = g_object_ref (task);
  all->doms = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < list->len; i++) {
    VbObj *dom = g_ptr_array_index (list, i);
    g_autoptr(GError) local = NULL;
    if (!vb_domain_stats_filter (dom, flags))
      continue;
    /* A definition that cannot be loaded leaves its domain out, as one
     * that vanished meanwhile would be. */
    if (!vb_qemu_domain_ensure_def (dom, &local)) {
      g_warning ("GetAllDomainStats: %s", local->message);
      continue;
    }
    g_ptr_array_add (all->doms, g_object_ref (dom));
  }
  all->records = g_new0 (GVariant *, all->doms->len + 1);
  all->pending = 1 + all->doms->len; /* + ours, until every domain's queries are sent */
  for (guint i = 0; i < all->doms->len; i++) {
    AllStatsItem *item = g_new0 (AllStatsItem, 1);
    item->all = all;
    item->index = i;
    gather_start (g_ptr_array_index (all->doms, i), stats, on_all_stats_gathered, item);
  }
  all_stats_release (all);
}

/* ---- MemoryStats, SetMemoryStatsPeriod ---- */

static void
on_memory_stats_gathered (Gather *g, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  int tags[MEM_NR + 2];
  guint64 values[MEM_NR + 2];
  guint n;
  GVariantBuilder b;

  if (!g->dom->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", g->dom->name);
  n = memory_stats_collect (g, tags, values);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{it}"));
  for (guint i = 0; i < n; i++)
    g_variant_builder_add (&b, "{it}", tags[i], values[i]);
  return_value (task, g_variant_builder_end (&b));
}

static void
qemu_memory_stats (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "MemoryStats");
  REQUIRE_ACTIVE (task, dom);
  gather_start (dom, STATS_BALLOON, on_memory_stats_gathered, g_object_ref (task));
}

static gboolean
save_config (VbObj *dom, GError **error)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autofree char *path = vb_qemu_domain_config_path (d->backend, dom->name);
  g_autofree char *xml = vb_domain_def_format (persistent_def (dom), VB_DOMAIN_XML_INACTIVE | VB_DOMAIN_XML_SECURE);

  return vb_file_write_atomic (path, xml, -1, 0600, error);
}

/* Asks QEMU's balloon driver to have the guest report every @period s. */
static void
set_polling_interval (VbObj *dom, int period, GTask *task)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *path = balloon_qom_path (live_def (dom));

  json_object_set_string_member (args, "path", path);
  json_object_set_string_member (args, "property", "guest-stats-polling-interval");
  json_object_set_int_member (args, "value", period);
  vb_qemu_process_qmp_void (dom, "qom-set", args, task);
}

typedef struct {
  VbObj *dom;
  int period;
  gboolean config;
} PeriodData;

static void
period_data_free (PeriodData *pd)
{
  g_object_unref (pd->dom);
  g_free (pd);
}

static gboolean
apply_config_period (VbObj *dom, int period, GError **error)
{
  g_autoptr(VbDomainDef) def = vb_domain_def_copy (persistent_def (dom));

  def->memballoon->stats_period = (guint) period;
  if (dom->active)
    vb_obj_set_newdef (dom, g_steal_pointer (&def));
  else
    vb_obj_set_def (dom, g_steal_pointer (&def));
  return save_config (dom, error);
}

static void
on_period_set (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PeriodData *pd = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_prefix_error (&error, "cannot set the memory statistics period: ");
    g_task_return_error (task, error);
    return;
  }
  /* the domain may have stopped meanwhile */
  if (pd->dom->active && has_balloon (live_def (pd->dom))) {
    live_def (pd->dom)->memballoon->stats_period = (guint) pd->period;
    vb_qemu_process_save_state (pd->dom, NULL);
  }
  if (pd->config && !apply_config_period (pd->dom, pd->period, &error)) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_boolean (task, TRUE);
}

static void
qemu_set_memory_stats_period (VbBackend *backend, VbObj *dom, int period, guint flags, GTask *task)
{
  gboolean live, config;
  GError *error = NULL;
  GTask *inner;
  PeriodData *pd;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "SetMemoryStatsPeriod");
  if (period < 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "the memory statistics period must not be negative (%d)", period);
  if (!vb_resolve_affect (dom, flags, &live, &config, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if ((live && !has_balloon (live_def (dom))) || (config && !has_balloon (persistent_def (dom))))
    FAIL (task, VB_ERROR_OPERATION_INVALID,
          "domain '%s' has no virtio memory balloon: the statistics period cannot be set", dom->name);
  if (!live) {
    if (!apply_config_period (dom, period, &error)) {
      g_task_return_error (task, error);
      return;
    }
    g_task_return_boolean (task, TRUE);
    return;
  }
  pd = g_new0 (PeriodData, 1);
  pd->dom = g_object_ref (dom);
  pd->period = period;
  pd->config = config;
  g_task_set_task_data (task, pd, (GDestroyNotify) period_data_free);
  inner = g_task_new (NULL, NULL, on_period_set, g_object_ref (task));
  set_polling_interval (dom, period, inner);
  g_object_unref (inner);
}

/* ---- GetVcpus (virDomainGetVcpusFlags) ---- */

static void
qemu_get_vcpus (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  gboolean live, config;
  GError *error = NULL;
  const VbDomainDef *def;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG | VCPU_MAXIMUM | VCPU_GUEST, "GetVcpus");
  if ((flags & AFFECT_LIVE) && (flags & AFFECT_CONFIG))
    FAIL (task, VB_ERROR_INVALID_ARG, "the live and config flags are mutually exclusive here");
  if (!vb_resolve_affect (dom, flags, &live, &config, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (flags & VCPU_GUEST) {
    if (flags & AFFECT_CONFIG)
      FAIL (task, VB_ERROR_INVALID_ARG, "the guest flag of GetVcpus asks the running guest: not with config");
    if (!dom->active)
      FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
    vb_qemu_agent_count_vcpus (dom, (flags & VCPU_MAXIMUM) != 0, task);
    return;
  }
  def = live ? live_def (dom) : persistent_def (dom);
  return_value (task, g_variant_new_uint32 (flags & VCPU_MAXIMUM ? def->vcpus : def->vcpus_current));
}

/* ---- GetControlInfo ---- */

static void
qemu_get_control_info (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  guint state = CONTROL_OK, reason = CONTROL_ERROR_REASON_NONE;

  CHECK_FLAGS (task, flags, 0, "GetControlInfo");
  REQUIRE_ACTIVE (task, dom);
  if (vb_qemu_process_get_qmp (dom) == NULL) {
    state = CONTROL_ERROR;
    reason = CONTROL_ERROR_REASON_MONITOR;
  } else if (vb_qemu_job_current (dom) != VB_QEMU_JOB_NONE) {
    state = CONTROL_JOB;
  }
  /* stateTime: the monitor is never held by one call here (QMP requests
   * are queued, not exclusive), and the job API does not tell when the
   * job began, so 0. */
  return_value (task, g_variant_new ("(uut)", state, reason, (guint64) 0));
}

/* ---- GetDiskErrors ---- */

static void
on_disk_errors (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VbObj *dom = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonNode) ret = g_task_propagate_pointer (G_TASK (result), &error);
  JsonArray *blocks;
  const VbDomainDef *def = live_def (dom);
  GVariantBuilder b;

  if (ret == NULL) {
    g_task_return_error (task, error);
    return;
  }
  blocks = node_array (ret);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(si)"));
  for (guint i = 0; i < def->disks->len; i++) {
    const VbDomainDiskDef *disk = g_ptr_array_index (def->disks, i);
    const char *status = vb_qmp_member_str (vb_qemu_find_by_qdev (blocks, disk->info.alias), "io-status");
    if (status == NULL || strcmp (status, "ok") == 0)
      continue;
    g_variant_builder_add (&b, "(si)", disk->dst,
                           strcmp (status, "nospace") == 0 ? DISK_ERROR_NO_SPACE : DISK_ERROR_UNSPEC);
  }
  return_value (task, g_variant_builder_end (&b));
}

static void
qemu_get_disk_errors (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  GTask *inner;

  CHECK_FLAGS (task, flags, 0, "GetDiskErrors");
  REQUIRE_ACTIVE (task, dom);
  g_task_set_task_data (task, g_object_ref (dom), g_object_unref);
  inner = g_task_new (NULL, NULL, on_disk_errors, g_object_ref (task));
  vb_qemu_process_qmp (dom, "query-block", NULL, inner);
  g_object_unref (inner);
}

/* ---- pinning (live: CPU affinity of QEMU's threads) ----
 *
 * The thread of each vCPU is asked from QEMU (query-cpus-fast) at every
 * call, so vCPUs plugged or unplugged meanwhile are seen. Pinning lives in
 * <cputune>, which the XML model does not have: only the running QEMU's
 * threads can be pinned. */

static guint
host_cpus (void)
{
  int n = get_nprocs_conf ();

  return n > 0 ? (guint) n : 1;
}

static GVariant *
cpumap_from_set (const cpu_set_t *set)
{
  guint n = host_cpus ();
  g_autofree guint8 *bits = g_new0 (guint8, n); /* GVariant booleans are single bytes */

  for (guint i = 0; i < n; i++)
    bits[i] = set == NULL || (i < CPU_SETSIZE && CPU_ISSET (i, set));
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BOOLEAN, bits, n, sizeof (guint8));
}

static gboolean
cpumap_to_set (GVariant *cpumap, cpu_set_t *set, GError **error)
{
  gsize n = g_variant_n_children (cpumap);
  guint host = host_cpus ();
  gboolean any = FALSE;

  CPU_ZERO (set);
  for (gsize i = 0; i < n; i++) {
    gboolean on;
    g_variant_get_child (cpumap, i, "b", &on);
    if (!on)
      continue;
    if (i >= host || i >= CPU_SETSIZE) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                   "cpu %" G_GSIZE_FORMAT " does not exist on the host (it has %u)", i, host);
      return FALSE;
    }
    CPU_SET (i, set);
    any = TRUE;
  }
  if (!any) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "the cpu map selects no cpu");
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_pin_live (VbObj *dom, guint flags, GError **error)
{
  gboolean live, config;

  if (!vb_resolve_affect (dom, flags, &live, &config, error))
    return FALSE;
  if (config) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "pinning in the persistent configuration (<cputune>) is not supported; pin the running domain");
    return FALSE;
  }
  return TRUE;
}

typedef enum { PIN_INFO, PIN_VCPU, PIN_EMULATOR, PIN_IOTHREAD_INFO, PIN_IOTHREAD } PinOp;

typedef struct {
  VbObj *dom;
  PinOp op;
  guint vcpu;      /* PIN_VCPU: the vCPU; PIN_IOTHREAD: the IOThread's id */
  cpu_set_t set;
} PinData;

static void
pin_data_free (PinData *pd)
{
  g_object_unref (pd->dom);
  g_free (pd);
}

/* vCPU index → thread id (0: no such vCPU running). */
static GArray *
vcpu_threads (JsonNode *cpus_reply)
{
  JsonArray *cpus = node_array (cpus_reply);
  GArray *tids = g_array_new (FALSE, TRUE, sizeof (int));

  for (guint i = 0; cpus != NULL && i < json_array_get_length (cpus); i++) {
    JsonObject *cpu = json_array_get_object_element (cpus, i);
    guint64 index, tid;
    if (!vb_qmp_member_u64 (cpu, "cpu-index", &index) || !vb_qmp_member_u64 (cpu, "thread-id", &tid) || index >= 16384)
      continue;
    if (tids->len <= index)
      g_array_set_size (tids, index + 1);
    g_array_index (tids, int, index) = (int) tid;
  }
  return tids;
}

static void
pin_emulator_threads (PinData *pd, GArray *tids, GTask *task)
{
  GPid pid = vb_qemu_dom (pd->dom)->pid;
  g_autofree char *dir = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr(GDir) tasks = pid > 0 ? g_dir_open (dir, 0, NULL) : NULL;
  const char *name;

  if (tasks == NULL)
    FAIL (task, VB_ERROR_FAILED, "cannot list the threads of domain '%s'", pd->dom->name);
  while ((name = g_dir_read_name (tasks)) != NULL) {
    int tid = atoi (name);
    gboolean vcpu = FALSE;
    for (guint i = 0; i < tids->len; i++)
      vcpu |= g_array_index (tids, int, i) == tid;
    /* threads come and go: one that just ended is no failure */
    if (!vcpu && sched_setaffinity (tid, sizeof pd->set, &pd->set) < 0 && errno != ESRCH)
      FAIL (task, VB_ERROR_FAILED, "cannot pin the emulator threads of domain '%s': %s", pd->dom->name,
            g_strerror (errno));
  }
  g_task_return_boolean (task, TRUE);
}

static void
on_pin_threads (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PinData *pd = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonNode) ret = g_task_propagate_pointer (G_TASK (result), &error);
  g_autoptr(GArray) tids = NULL;
  const VbDomainDef *def = live_def (pd->dom);
  int tid;

  if (ret == NULL) {
    g_task_return_error (task, error);
    return;
  }
  tids = vcpu_threads (ret);
  switch (pd->op) {
  case PIN_INFO: {
    GVariantBuilder b;
    g_variant_builder_init (&b, G_VARIANT_TYPE ("aab"));
    for (guint i = 0; i < def->vcpus; i++) {
      cpu_set_t set;
      tid = i < tids->len ? g_array_index (tids, int, i) : 0;
      if (tid > 0 && sched_getaffinity (tid, sizeof set, &set) == 0)
        g_variant_builder_add_value (&b, cpumap_from_set (&set));
      else
        g_variant_builder_add_value (&b, cpumap_from_set (NULL)); /* offline vCPU: unpinned */
    }
    return_value (task, g_variant_builder_end (&b));
    return;
  }
  case PIN_VCPU:
    tid = pd->vcpu < tids->len ? g_array_index (tids, int, pd->vcpu) : 0;
    if (tid <= 0)
      FAIL (task, VB_ERROR_INVALID_ARG, "vcpu %u of domain '%s' is not online", pd->vcpu, pd->dom->name);
    if (sched_setaffinity (tid, sizeof pd->set, &pd->set) < 0)
      FAIL (task, VB_ERROR_FAILED, "cannot pin vcpu %u of domain '%s': %s", pd->vcpu, pd->dom->name,
            g_strerror (errno));
    g_task_return_boolean (task, TRUE);
    return;
  case PIN_EMULATOR:
    pin_emulator_threads (pd, tids, task);
    return;
  case PIN_IOTHREAD_INFO:
  case PIN_IOTHREAD:
  default:
    g_assert_not_reached (); /* on_iothreads */
  }
}

static void on_iothreads (GObject *source, GAsyncResult *result, gpointer user_data);

/* Runs @pd's operation once QEMU told the threads it needs: the vCPUs'
 * (query-cpus-fast) or the IOThreads' (query-iothreads). */
static void
with_threads (PinData *pd, GTask *task)
{
  gboolean io = pd->op == PIN_IOTHREAD_INFO || pd->op == PIN_IOTHREAD;
  GTask *inner;

  g_task_set_task_data (task, pd, (GDestroyNotify) pin_data_free);
  inner = g_task_new (NULL, NULL, io ? on_iothreads : on_pin_threads, g_object_ref (task));
  vb_qemu_process_qmp (pd->dom, io ? "query-iothreads" : "query-cpus-fast", NULL, inner);
  g_object_unref (inner);
}

static PinData *
pin_data_new (VbObj *dom, PinOp op)
{
  PinData *pd = g_new0 (PinData, 1);

  pd->dom = g_object_ref (dom);
  pd->op = op;
  return pd;
}

static void
qemu_get_vcpu_pin_info (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  gboolean live, config;
  GError *error = NULL;
  GVariantBuilder b;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "GetVcpuPinInfo");
  if ((flags & AFFECT_LIVE) && (flags & AFFECT_CONFIG))
    FAIL (task, VB_ERROR_INVALID_ARG, "the live and config flags are mutually exclusive here");
  if (!vb_resolve_affect (dom, flags, &live, &config, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (live) {
    with_threads (pin_data_new (dom, PIN_INFO), task);
    return;
  }
  /* the configuration pins nothing */
  g_variant_builder_init (&b, G_VARIANT_TYPE ("aab"));
  for (guint i = 0; i < persistent_def (dom)->vcpus; i++)
    g_variant_builder_add_value (&b, cpumap_from_set (NULL));
  return_value (task, g_variant_builder_end (&b));
}

static void
qemu_pin_vcpu (VbBackend *backend, VbObj *dom, guint vcpu, GVariant *cpumap, guint flags, GTask *task)
{
  PinData *pd = pin_data_new (dom, PIN_VCPU);
  GError *error = NULL;

  if (!vb_check_flags (flags, AFFECT_LIVE | AFFECT_CONFIG, "PinVcpu", &error) || !check_pin_live (dom, flags, &error) ||
      !cpumap_to_set (cpumap, &pd->set, &error)) {
    pin_data_free (pd);
    g_task_return_error (task, error);
    return;
  }
  if (vcpu >= live_def (dom)->vcpus) {
    pin_data_free (pd);
    FAIL (task, VB_ERROR_INVALID_ARG, "vcpu %u is out of range of domain '%s' (it has %u)", vcpu, dom->name,
          live_def (dom)->vcpus);
  }
  pd->vcpu = vcpu;
  with_threads (pd, task);
}

static void
qemu_get_emulator_pin_info (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  gboolean live, config;
  GError *error = NULL;
  GPid pid = vb_qemu_dom (dom)->pid;
  cpu_set_t set;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "GetEmulatorPinInfo");
  if ((flags & AFFECT_LIVE) && (flags & AFFECT_CONFIG))
    FAIL (task, VB_ERROR_INVALID_ARG, "the live and config flags are mutually exclusive here");
  if (!vb_resolve_affect (dom, flags, &live, &config, &error)) {
    g_task_return_error (task, error);
    return;
  }
  /* the main thread stands for the emulator */
  if (live && pid > 0 && sched_getaffinity (pid, sizeof set, &set) == 0)
    return_value (task, cpumap_from_set (&set));
  else
    return_value (task, cpumap_from_set (NULL));
}

/* The emulator is every QEMU thread that is not a vCPU. */
static void
qemu_pin_emulator (VbBackend *backend, VbObj *dom, GVariant *cpumap, guint flags, GTask *task)
{
  PinData *pd = pin_data_new (dom, PIN_EMULATOR);
  GError *error = NULL;

  if (!vb_check_flags (flags, AFFECT_LIVE | AFFECT_CONFIG, "PinEmulator", &error) ||
      !check_pin_live (dom, flags, &error) || !cpumap_to_set (cpumap, &pd->set, &error)) {
    pin_data_free (pd);
    g_task_return_error (task, error);
    return;
  }
  with_threads (pd, task);
}

/* ---- IOThreads (<iothreads>/<iothreadids>: QEMU objects iothread<id>) ---- */

static int
compare_iothread_entries (gconstpointer a, gconstpointer b)
{
  guint ida, idb;

  g_variant_get_child (*(GVariant *const *) a, 0, "u", &ida);
  g_variant_get_child (*(GVariant *const *) b, 0, "u", &idb);
  return ida < idb ? -1 : ida > idb;
}

static int
compare_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

static void
on_iothreads (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PinData *op = g_task_get_task_data (task);
  guint want = op->op == PIN_IOTHREAD ? op->vcpu : 0;
  GError *error = NULL;
  g_autoptr(JsonNode) ret = g_task_propagate_pointer (G_TASK (result), &error);
  JsonArray *list = node_array (ret);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  GVariantBuilder b;

  if (ret == NULL) {
    g_task_return_error (task, error);
    return;
  }
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++) {
    JsonObject *io = json_array_get_object_element (list, i);
    const char *name = io != NULL && json_object_has_member (io, "id") ? json_object_get_string_member (io, "id")
                                                                        : NULL;
    guint64 id = 0, tid = 0;
    cpu_set_t set;

    /* Only the ones the command line made (iothreadN); tid 0: none. */
    if (name == NULL || !g_str_has_prefix (name, "iothread") ||
        !g_ascii_string_to_unsigned (name + strlen ("iothread"), 10, 1, G_MAXUINT32, &id, NULL) ||
        !vb_qmp_member_u64 (io, "thread-id", &tid) || tid == 0 || tid > G_MAXINT)
      continue;
    if (want != 0) {
      if (id != want)
        continue;
      if (sched_setaffinity ((pid_t) tid, sizeof op->set, &op->set) < 0)
        FAIL (task, VB_ERROR_FAILED, "cannot pin IOThread %u of domain '%s': %s", want, op->dom->name,
              g_strerror (errno));
      g_task_return_boolean (task, TRUE);
      return;
    }
    g_ptr_array_add (entries, g_variant_ref_sink (
      g_variant_new ("(u@ab)", (guint) id,
                     cpumap_from_set (sched_getaffinity ((pid_t) tid, sizeof set, &set) == 0 ? &set : NULL))));
  }
  if (want != 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "domain '%s' has no IOThread %u", op->dom->name, want);
  /* By id, as the definition lists them (QEMU's order is its own). */
  g_ptr_array_sort (entries, compare_iothread_entries);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(uab)"));
  for (guint i = 0; i < entries->len; i++)
    g_variant_builder_add_value (&b, g_ptr_array_index (entries, i));
  return_value (task, g_variant_builder_end (&b));
}

static void
qemu_get_iothread_info (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  gboolean live, config;
  GError *error = NULL;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "GetIOThreadInfo");
  if ((flags & AFFECT_LIVE) && (flags & AFFECT_CONFIG))
    FAIL (task, VB_ERROR_INVALID_ARG, "the live and config flags are mutually exclusive here");
  if (!vb_resolve_affect (dom, flags, &live, &config, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (!live) {
    /* Pinning lives only in the running QEMU: the configuration's are
     * unpinned. */
    const VbDomainDef *def = vb_obj_get_persistent_def (dom);
    GVariantBuilder b;
    g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));

    for (guint i = 0; def != NULL && i < def->iothreads; i++) {
      guint id = vb_domain_def_iothread_id (def, i);
      g_array_append_val (ids, id);
    }
    /* By id, as the running domain's are. */
    g_array_sort (ids, compare_uint);
    g_variant_builder_init (&b, G_VARIANT_TYPE ("a(uab)"));
    for (guint i = 0; i < ids->len; i++)
      g_variant_builder_add (&b, "(u@ab)", g_array_index (ids, guint, i), cpumap_from_set (NULL));
    return_value (task, g_variant_builder_end (&b));
    return;
  }
  with_threads (pin_data_new (dom, PIN_IOTHREAD_INFO), task);
}

static void
qemu_pin_iothread (VbBackend *backend, VbObj *dom, guint id, GVariant *cpumap, guint flags, GTask *task)
{
  PinData *pd = pin_data_new (dom, PIN_IOTHREAD);
  GError *error = NULL;

  pd->vcpu = id;
  if (!vb_check_flags (flags, AFFECT_LIVE | AFFECT_CONFIG, "PinIOThread", &error) ||
      !check_pin_live (dom, flags, &error) || !cpumap_to_set (cpumap, &pd->set, &error)) {
    pin_data_free (pd);
    g_task_return_error (task, error);
    return;
  }
  if (id == 0) {
    pin_data_free (pd);
    FAIL (task, VB_ERROR_INVALID_ARG, "IOThread ids start at 1");
  }
  with_threads (pd, task);
}

/* ---- part hooks ---- */

static void
on_period_restored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree char *name = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_warning ("domain '%s': cannot set the memory statistics period: %s", name, error->message);
}

/* <memballoon><stats period=/> of the live definition, after a start or a
 * reattach. */
static void
stats_running (VbObj *dom)
{
  const VbDomainDef *def = live_def (dom);
  g_autoptr(GTask) task = NULL;

  if (!has_balloon (def) || def->memballoon->stats_period == 0)
    return;
  task = g_task_new (NULL, NULL, on_period_restored, g_strdup (dom->name));
  set_polling_interval (dom, (int) def->memballoon->stats_period, task);
}

static void
stats_ops_init (VbDomainOpsInterface *iface)
{
  iface->get_stats = qemu_get_stats;
  iface->get_all_domain_stats = qemu_get_all_domain_stats;
  iface->memory_stats = qemu_memory_stats;
  iface->set_memory_stats_period = qemu_set_memory_stats_period;
  iface->get_vcpus = qemu_get_vcpus;
  iface->get_control_info = qemu_get_control_info;
  iface->get_disk_errors = qemu_get_disk_errors;
  iface->get_vcpu_pin_info = qemu_get_vcpu_pin_info;
  iface->pin_vcpu = qemu_pin_vcpu;
  iface->get_emulator_pin_info = qemu_get_emulator_pin_info;
  iface->pin_emulator = qemu_pin_emulator;
  iface->get_iothread_info = qemu_get_iothread_info;
  iface->pin_iothread = qemu_pin_iothread;
}

const VbQemuPart vb_qemu_part_stats = {
  .name = "stats",
  .ops_init = stats_ops_init,
  .running = stats_running,
};
