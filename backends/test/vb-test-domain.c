/* The test backend's domains: an in-memory simulation of libvirt's
 * test:///default driver. Nothing runs; state, statistics and jobs are
 * derived from each domain's definition and from the time it has spent
 * running, so repeated queries give consistent, plausible answers. */
#include "vb-test-private.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>

#include "vb-domain-def.h"
#include "vb-error.h"
#include "vb-xml.h"
#include "vb-task.h"

/* ---- libvirt's numeric codes ---- */

/* virDomainEventType and its details. */
enum {
  EV_DEFINED = 0, EV_UNDEFINED = 1, EV_STARTED = 2, EV_SUSPENDED = 3,
  EV_RESUMED = 4, EV_STOPPED = 5, EV_SHUTDOWN = 6, EV_PMSUSPENDED = 7, EV_CRASHED = 8,
};
enum { DEFINED_ADDED = 0, DEFINED_UPDATED = 1, DEFINED_RENAMED = 2 };
enum { UNDEFINED_REMOVED = 0, UNDEFINED_RENAMED = 1 };
enum { STARTED_BOOTED = 0, STARTED_RESTORED = 2, STARTED_WAKEUP = 4 };
enum { SUSPENDED_PAUSED = 0, SUSPENDED_RESTORED = 4 };
enum { RESUMED_UNPAUSED = 0 };
enum { STOPPED_SHUTDOWN = 0, STOPPED_DESTROYED = 1, STOPPED_CRASHED = 2, STOPPED_SAVED = 4 };
enum { SHUTDOWN_FINISHED = 0 };

/* Per-state reasons (virDomainRunningReason, …). */
enum { RUNNING_UNKNOWN = 0, RUNNING_BOOTED = 1, RUNNING_RESTORED = 3, RUNNING_UNPAUSED = 5, RUNNING_WAKEUP = 8 };
enum { PAUSED_USER = 1, PAUSED_SAVE = 3 };
enum { SHUTOFF_UNKNOWN = 0, SHUTOFF_SHUTDOWN = 1, SHUTOFF_DESTROYED = 2, SHUTOFF_CRASHED = 3, SHUTOFF_SAVED = 5 };

/* The extra bits of SetMemory/SetVcpus (AFFECT_* come from vb-task.h). */
enum { MEM_MAXIMUM = 1 << 2 };
enum { VCPU_MAXIMUM = 1 << 2, VCPU_GUEST = 1 << 3, VCPU_HOTPLUGGABLE = 1 << 4 };

enum { START_PAUSED = 1 << 0, START_AUTODESTROY = 1 << 1, START_BYPASS_CACHE = 1 << 2,
       START_FORCE_BOOT = 1 << 3, START_VALIDATE = 1 << 4 };
enum { SAVE_BYPASS_CACHE = 1 << 0, SAVE_RUNNING = 1 << 1, SAVE_PAUSED = 1 << 2 };
enum { UNDEFINE_MANAGED_SAVE = 1 << 0, UNDEFINE_SNAPSHOTS_METADATA = 1 << 1, UNDEFINE_NVRAM = 1 << 2,
       UNDEFINE_KEEP_NVRAM = 1 << 3, UNDEFINE_CHECKPOINTS_METADATA = 1 << 4 };
enum { DUMP_CRASH = 1 << 0, DUMP_LIVE = 1 << 1, DUMP_BYPASS_CACHE = 1 << 2, DUMP_RESET = 1 << 3,
       DUMP_MEMORY_ONLY = 1 << 4 };
#define DUMP_FORMAT_LAST 5
#define SHUTDOWN_MODES 0x1f /* acpi, agent, initctl, signal, paravirt */
#define DESTROY_GRACEFUL 1

/* virConnectGetAllDomainStatsFlags and virDomainStatsTypes. */
enum {
  STATS_STATE = 1 << 0, STATS_CPU_TOTAL = 1 << 1, STATS_BALLOON = 1 << 2, STATS_VCPU = 1 << 3,
  STATS_INTERFACE = 1 << 4, STATS_BLOCK = 1 << 5, STATS_PERF = 1 << 6, STATS_IOTHREAD = 1 << 7,
  STATS_MEMORY = 1 << 8, STATS_DIRTYRATE = 1 << 9, STATS_VM = 1 << 10,
  STATS_ALL_GROUPS = (1 << 11) - 1,
};

/* virDomainBlockJobType / virConnectDomainEventBlockJobStatus. */
enum { BLOCK_JOB_PULL = 1, BLOCK_JOB_COPY = 2, BLOCK_JOB_COMMIT = 3, BLOCK_JOB_ACTIVE_COMMIT = 4 };
enum { BLOCK_JOB_COMPLETED = 0, BLOCK_JOB_CANCELED = 2, BLOCK_JOB_READY = 3 };
enum { BLOCK_JOB_ABORT_ASYNC = 1, BLOCK_JOB_ABORT_PIVOT = 2 };
enum { BLOCK_COMMIT_SHALLOW = 1, BLOCK_COMMIT_DELETE = 2, BLOCK_COMMIT_ACTIVE = 4, BLOCK_COMMIT_RELATIVE = 8,
       BLOCK_COMMIT_BANDWIDTH_BYTES = 16 };
enum { BLOCK_REBASE_SHALLOW = 1, BLOCK_REBASE_REUSE_EXT = 2, BLOCK_REBASE_COPY_RAW = 4, BLOCK_REBASE_COPY = 8,
       BLOCK_REBASE_RELATIVE = 16, BLOCK_REBASE_COPY_DEV = 32, BLOCK_REBASE_BANDWIDTH_BYTES = 64 };
enum { BLOCK_COPY_SHALLOW = 1, BLOCK_COPY_REUSE_EXT = 2, BLOCK_COPY_TRANSIENT_JOB = 4,
       BLOCK_COPY_SYNCHRONOUS_WRITES = 8 };
#define BLOCK_PULL_BANDWIDTH_BYTES 64
#define BLOCK_JOB_SPEED_BANDWIDTH_BYTES 1
#define BLOCK_JOB_INFO_BANDWIDTH_BYTES 1
#define BLOCK_RESIZE_BYTES 1
/* How long a simulated block job takes to reach its end. */
#define BLOCK_JOB_DURATION_US (1 * G_USEC_PER_SEC)

/* The test driver's host: 16 CPUs; a new domain is pinned to the first 8,
 * as virsh -c test:///default vcpupin shows. */
#define HOST_CPUS 16
#define DEFAULT_CPU_MASK 0x00ffu
#define DISK_CAPACITY G_GUINT64_CONSTANT (1099511627776) /* 1 TiB, as domblkinfo shows */
#define MEMORY_PARAM_UNLIMITED G_GUINT64_CONSTANT (9007199254740991)
#define SEND_KEY_MAX_KEYS 16
#define SEND_KEY_CODESETS 10
#define PROCESS_SIGNAL_LAST 65
#define PEEK_MAX VB_DOMAIN_PEEK_MAX

#define SAVE_MAGIC "VirtbusTestSaveImage\n"
#define DUMP_MAGIC "VirtbusTestCoreDump\n"

/* ---- per-domain simulation state (obj->backend_data) ---- */

typedef struct {
  VbBackend *backend; /* outlives every domain */
  VbObj *dom;         /* owns this struct (and so the job) */
  char *disk;
  int type;
  guint64 bandwidth;
  gint64 started;     /* monotonic µs */
  gboolean ready;     /* copy / active commit: waiting for pivot or abort */
  guint timeout_id;
} BlockJob;

typedef struct {
  guint id;
  guint32 pin;
} IoThread;

typedef struct {
  gint64 cpu_ns;    /* cpu time accumulated before run_since */
  gint64 run_since; /* monotonic µs while running, else 0 */
  gint64 boot_time; /* monotonic µs of the last start */
  GArray *vcpu_pins; /* guint32 masks, by vcpu number */
  guint32 emulator_pin;
  GHashTable *guest_offline; /* vcpu number set (GUINT_TO_POINTER + 1) */
  GArray *iothreads;         /* IoThread */
  GHashTable *params;        /* group → (key → GVariant) */
  GHashTable *dev_params;    /* "group/device" → (key → GVariant) */
  GHashTable *disk_capacity; /* disk target → guint64 * (bytes) */
  GHashTable *block_jobs;    /* disk target → BlockJob */
  GHashTable *frozen;        /* frozen mount points */
  gint64 time_offset_us;     /* guest clock minus host clock */
  int stats_period;
  guint64 compression_cache, max_speed, max_speed_postcopy, max_downtime;
  GVariant *completed_job;   /* (ia{sv}) of the last finished job, or NULL */
} DomData;

static const char *const fs_mountpoints[] = { "/", "/boot" };

static void
block_job_free (gpointer p)
{
  BlockJob *job = p;

  if (job->timeout_id)
    g_source_remove (job->timeout_id);
  g_free (job->disk);
  g_free (job);
}

static void
dom_data_free (gpointer p)
{
  DomData *d = p;

  g_array_unref (d->vcpu_pins);
  g_array_unref (d->iothreads);
  g_hash_table_unref (d->guest_offline);
  g_hash_table_unref (d->params);
  g_hash_table_unref (d->dev_params);
  g_hash_table_unref (d->disk_capacity);
  g_hash_table_unref (d->block_jobs);
  g_hash_table_unref (d->frozen);
  g_clear_pointer (&d->completed_job, g_variant_unref);
  g_free (d);
}

static GHashTable *
param_table_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_variant_unref);
}

static void
param_put (GHashTable *table, const char *key, GVariant *value)
{
  g_hash_table_replace (table, g_strdup (key), g_variant_ref_sink (value));
}

/* The tunables virsh shows for the test driver's domain (schedinfo,
 * memtune, blkiotune, numatune, perf). */
static void
init_params (DomData *d)
{
  static const char *const perf_events[] = {
    "cmt", "mbmt", "mbml", "cpu_cycles", "instructions", "cache_references", "cache_misses",
    "branch_instructions", "branch_misses", "bus_cycles", "stalled_cycles_frontend",
    "stalled_cycles_backend", "ref_cpu_cycles", "cpu_clock", "task_clock", "page_faults",
    "context_switches", "cpu_migrations", "page_faults_min", "page_faults_maj", "alignment_faults",
    "emulation_faults",
  };
  GHashTable *t;

  t = param_table_new ();
  param_put (t, "weight", g_variant_new_uint32 (50));
  g_hash_table_insert (d->params, g_strdup ("scheduler"), t);

  t = param_table_new ();
  param_put (t, "hard_limit", g_variant_new_uint64 (MEMORY_PARAM_UNLIMITED));
  param_put (t, "soft_limit", g_variant_new_uint64 (MEMORY_PARAM_UNLIMITED));
  param_put (t, "swap_hard_limit", g_variant_new_uint64 (MEMORY_PARAM_UNLIMITED));
  g_hash_table_insert (d->params, g_strdup ("memory"), t);

  t = param_table_new ();
  param_put (t, "weight", g_variant_new_uint32 (0));
  param_put (t, "device_weight", g_variant_new_string (""));
  param_put (t, "device_read_iops_sec", g_variant_new_string (""));
  param_put (t, "device_write_iops_sec", g_variant_new_string (""));
  param_put (t, "device_read_bytes_sec", g_variant_new_string (""));
  param_put (t, "device_write_bytes_sec", g_variant_new_string (""));
  g_hash_table_insert (d->params, g_strdup ("blkio"), t);

  t = param_table_new ();
  param_put (t, "numa_mode", g_variant_new_int32 (0)); /* strict */
  param_put (t, "numa_nodeset", g_variant_new_string (""));
  g_hash_table_insert (d->params, g_strdup ("numa"), t);

  t = param_table_new ();
  for (guint i = 0; i < G_N_ELEMENTS (perf_events); i++)
    param_put (t, perf_events[i], g_variant_new_boolean (FALSE));
  g_hash_table_insert (d->params, g_strdup ("perf"), t);
}

static DomData *
dom_data_new (VbBackend *backend, VbObj *dom)
{
  DomData *d = g_new0 (DomData, 1);
  VbDomainDef *def = dom->def;

  d->vcpu_pins = g_array_new (FALSE, FALSE, sizeof (guint32));
  d->emulator_pin = DEFAULT_CPU_MASK;
  d->guest_offline = g_hash_table_new (g_direct_hash, g_direct_equal);
  d->iothreads = g_array_new (FALSE, FALSE, sizeof (IoThread));
  for (guint i = 0; i < def->iothreads; i++) {
    IoThread io = { vb_domain_def_iothread_id (def, i), DEFAULT_CPU_MASK };
    g_array_append_val (d->iothreads, io);
  }
  d->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
  d->dev_params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
  d->disk_capacity = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  d->block_jobs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, block_job_free);
  d->frozen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  d->compression_cache = 64 * 1024 * 1024;
  d->max_speed = G_GUINT64_CONSTANT (8796093022207); /* MiB/s: libvirt's "unlimited" */
  d->max_speed_postcopy = d->max_speed;
  d->max_downtime = 300;
  init_params (d);
  (void) backend;
  return d;
}

static DomData *
data_of (VbObj *dom)
{
  return dom->backend_data;
}

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

/* ---- results ---- */

static void
return_void (GTask *task)
{
  g_task_return_boolean (task, TRUE);
}

static void
return_value (GTask *task, GVariant *value)
{
  g_task_return_pointer (task, g_variant_ref_sink (value), (GDestroyNotify) g_variant_unref);
}

static void
return_string (GTask *task, char *str)
{
  g_task_return_pointer (task, str, g_free);
}

/* ---- events and state ---- */

static void
emit_event (VbBackend *backend, VbObj *dom, int event, int detail)
{
  vb_backend_emit_event (backend, dom, event, detail);
}

static gint64
cpu_time_ns (VbObj *dom)
{
  DomData *d = data_of (dom);
  gint64 ns = d->cpu_ns;

  /* Every vcpu is busy while the domain runs. */
  if (d->run_since != 0)
    ns += (g_get_monotonic_time () - d->run_since) * 1000 * live_def (dom)->vcpus_current;
  return ns;
}

/* Folds the running time into cpu_ns and starts (or stops) the clock. */
static void
account_cpu (VbObj *dom, gboolean running)
{
  DomData *d = data_of (dom);

  d->cpu_ns = cpu_time_ns (dom);
  d->run_since = running ? g_get_monotonic_time () : 0;
}

void
vb_test_domain_set_state (VbObj *dom, int state, int reason, int id)
{
  DomData *d = data_of (dom);

  if (state == VB_DOMAIN_SHUTOFF) {
    /* Nothing of a run survives it. */
    g_hash_table_remove_all (d->block_jobs);
    g_hash_table_remove_all (d->frozen);
  } else if (!dom->active) {
    d->boot_time = g_get_monotonic_time ();
    g_hash_table_remove_all (d->guest_offline);
    /* From now on live changes must not leak into the persistent config. */
    if (dom->persistent && dom->newdef == NULL) {
      vb_obj_set_newdef (dom, vb_domain_def_copy (dom->def));
      ((VbDomainDef *) dom->newdef)->id = -1;
    }
  }
  account_cpu (dom, state == VB_DOMAIN_RUNNING);
  live_def (dom)->id = state == VB_DOMAIN_SHUTOFF ? -1 : id;
  vb_obj_set_state (dom, state, reason, id);
}

static void
start_domain (VbTestBackend *self, VbObj *dom, int reason, int detail)
{
  vb_test_domain_set_state (dom, VB_DOMAIN_RUNNING, reason, self->next_domain_id++);
  emit_event (VB_BACKEND (self), dom, EV_STARTED, detail);
}

static void
pause_domain (VbBackend *backend, VbObj *dom, int reason, int detail)
{
  vb_test_domain_set_state (dom, VB_DOMAIN_PAUSED, reason, dom->id);
  emit_event (backend, dom, EV_SUSPENDED, detail);
}

/* Stops a running domain: the persistent config becomes current again and
 * a transient domain disappears (after its event, so the path is valid). */
static void
stop_domain (VbBackend *backend, VbObj *dom, int reason, int detail)
{
  vb_test_domain_set_state (dom, VB_DOMAIN_SHUTOFF, reason, -1);
  vb_obj_apply_newdef (dom);
  live_def (dom)->id = -1;
  vb_obj_set_updated (dom, FALSE);
  emit_event (backend, dom, EV_STOPPED, detail);
  if (!dom->persistent)
    vb_backend_remove_object (backend, dom);
}

/* The config to edit for a persistent change: newdef while running (made
 * on first use), else the one def. */
static VbDomainDef *
config_def_for_edit (VbObj *dom)
{
  if (dom->active && dom->newdef == NULL)
    vb_obj_set_newdef (dom, vb_domain_def_copy (dom->def));
  return persistent_def (dom);
}

/* After a change to only one side of a running persistent domain the live
 * config and the persistent one differ: the Updated property says so. */
static void
note_update (VbObj *dom, gboolean live, gboolean config)
{
  if (dom->active && dom->persistent && live != config)
    vb_obj_set_updated (dom, TRUE);
}

static VbObj *
new_domain (VbTestBackend *self, VbDomainDef *def)
{
  VbObj *dom = vb_obj_new (VB_OBJ_DOMAIN, def->name, def->uuid, def, (GDestroyNotify) vb_domain_def_free);

  dom->state = VB_DOMAIN_SHUTOFF;
  dom->backend_data = dom_data_new (VB_BACKEND (self), dom);
  dom->backend_data_free = dom_data_free;
  return dom;
}

/* libvirt's name/uuid collision rules; returns the domain @def designates
 * (same uuid and name), NULL for a new one, with @error set on a clash. */
static gboolean
check_collision (VbBackend *backend, const VbDomainDef *def, VbObj **existing, GError **error)
{
  VbObj *by_uuid = vb_backend_lookup (backend, VB_OBJ_DOMAIN, def->uuid);
  VbObj *by_name = vb_backend_lookup_by_name (backend, VB_OBJ_DOMAIN, def->name);

  *existing = NULL;
  if (by_uuid != NULL && g_strcmp0 (by_uuid->name, def->name) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "domain '%s' is already defined with uuid %s",
                 by_uuid->name, by_uuid->uuid);
    return FALSE;
  }
  if (by_uuid == NULL && by_name != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "domain '%s' already exists with uuid %s", by_name->name,
                 by_name->uuid);
    return FALSE;
  }
  *existing = by_uuid;
  return TRUE;
}

/* ---- Connect: define, create, restore ---- */

static void
test_define_xml (VbBackend *backend, const char *xml, guint flags, GTask *task)
{
  VbTestBackend *self = VB_TEST_BACKEND (backend);
  g_autoptr(VbDomainDef) def = NULL;
  GError *error = NULL;
  VbObj *dom;
  gboolean had_config;

  CHECK_FLAGS (task, flags, 1 /* VIR_DOMAIN_DEFINE_VALIDATE */, "DomainDefineXML");
  def = vb_domain_def_parse_full (xml, VB_DOMAIN_PARSE_INACTIVE, &error);
  if (def == NULL || !check_collision (backend, def, &dom, &error)) {
    g_task_return_error (task, error);
    return;
  }

  if (dom == NULL) {
    g_autoptr(VbObj) created = new_domain (self, g_steal_pointer (&def));
    vb_obj_set_persistent (created, TRUE);
    vb_backend_add_object (backend, created);
    emit_event (backend, created, EV_DEFINED, DEFINED_ADDED);
    g_task_return_pointer (task, g_object_ref (created), g_object_unref);
    return;
  }

  had_config = dom->persistent;
  def->id = -1;
  if (dom->active) {
    vb_obj_set_newdef (dom, g_steal_pointer (&def));
    vb_obj_set_updated (dom, TRUE);
  } else {
    vb_obj_set_def (dom, g_steal_pointer (&def));
  }
  vb_obj_set_persistent (dom, TRUE);
  emit_event (backend, dom, EV_DEFINED, had_config ? DEFINED_UPDATED : DEFINED_ADDED);
  g_task_return_pointer (task, g_object_ref (dom), g_object_unref);
}

static void
test_create_xml (VbBackend *backend, const char *xml, GUnixFDList *fds, guint flags, GTask *task)
{
  VbTestBackend *self = VB_TEST_BACKEND (backend);
  g_autoptr(VbDomainDef) def = NULL;
  GError *error = NULL;
  VbObj *dom;

  CHECK_FLAGS (task, flags, START_PAUSED | START_AUTODESTROY | START_BYPASS_CACHE | START_FORCE_BOOT | START_VALIDATE,
               "DomainCreateXML");
  def = vb_domain_def_parse_full (xml, VB_DOMAIN_PARSE_INACTIVE, &error);
  if (def == NULL || !check_collision (backend, def, &dom, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (dom != NULL && dom->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is already active", dom->name);

  if (dom == NULL) {
    g_autoptr(VbObj) created = new_domain (self, g_steal_pointer (&def));
    vb_backend_add_object (backend, created);
    dom = created;
  } else {
    /* An inactive persistent domain runs the given config; its own
     * becomes the persistent one again when it stops. */
    gpointer old = dom->def;
    dom->def = NULL;
    vb_obj_set_def (dom, g_steal_pointer (&def));
    vb_obj_set_newdef (dom, old);
  }
  start_domain (self, dom, RUNNING_BOOTED, STARTED_BOOTED);
  if (flags & START_PAUSED)
    pause_domain (backend, dom, PAUSED_USER, SUSPENDED_PAUSED);
  g_task_return_pointer (task, g_object_ref (dom), g_object_unref);
}

/* The save image: a marker, the state to resume in, the domain XML. */
static gboolean
read_save_image (const char *path, gboolean *was_paused, char **xml, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local = NULL;
  const char *p;

  if (path == NULL || *path == '\0') {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "a save image path is required");
    return FALSE;
  }
  if (!g_file_get_contents (path, &contents, NULL, &local)) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot read domain image '%s': %s", path, local->message);
    return FALSE;
  }
  if (!g_str_has_prefix (contents, SAVE_MAGIC)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "'%s' is not a saved domain image of this connection",
                 path);
    return FALSE;
  }
  p = contents + strlen (SAVE_MAGIC);
  if (g_str_has_prefix (p, "paused\n"))
    *was_paused = TRUE, p += strlen ("paused\n");
  else if (g_str_has_prefix (p, "running\n"))
    *was_paused = FALSE, p += strlen ("running\n");
  else {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "saved domain image '%s' is corrupt", path);
    return FALSE;
  }
  *xml = g_strdup (p);
  return TRUE;
}

static gboolean
write_save_image (const char *path, gboolean paused, const char *xml, GError **error)
{
  g_autofree char *contents = g_strconcat (SAVE_MAGIC, paused ? "paused\n" : "running\n", xml, NULL);
  g_autoptr(GError) local = NULL;

  if (!g_file_set_contents (path, contents, -1, &local)) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot write domain image '%s': %s", path, local->message);
    return FALSE;
  }
  return TRUE;
}

/* A replacement XML for a saved domain must describe the same domain. */
static VbDomainDef *
parse_replacement (const char *xml, const VbDomainDef *orig, GError **error)
{
  g_autoptr(VbDomainDef) def = vb_domain_def_parse_full (xml, VB_DOMAIN_PARSE_INACTIVE, error);

  if (def == NULL)
    return NULL;
  if (strcmp (def->uuid, orig->uuid) != 0 || g_strcmp0 (def->name, orig->name) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "the replacement XML must describe domain '%s' (%s), not '%s' (%s)", orig->name, orig->uuid,
                 def->name, def->uuid);
    return NULL;
  }
  return g_steal_pointer (&def);
}

static void
test_restore (VbBackend *backend, const char *from, const char *xml, guint flags, GTask *task)
{
  VbTestBackend *self = VB_TEST_BACKEND (backend);
  g_autofree char *saved_xml = NULL;
  g_autoptr(VbDomainDef) def = NULL;
  GError *error = NULL;
  gboolean paused = FALSE;
  VbObj *dom;

  CHECK_FLAGS (task, flags, SAVE_BYPASS_CACHE | SAVE_RUNNING | SAVE_PAUSED, "DomainRestore");
  if ((flags & SAVE_RUNNING) && (flags & SAVE_PAUSED))
    FAIL (task, VB_ERROR_INVALID_ARG, "the running and paused flags are mutually exclusive");
  if (!read_save_image (from, &paused, &saved_xml, &error) ||
      (def = vb_domain_def_parse_full (saved_xml, VB_DOMAIN_PARSE_INACTIVE, &error)) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  if (xml != NULL && *xml != '\0') {
    VbDomainDef *replacement = parse_replacement (xml, def, &error);
    if (replacement == NULL) {
      g_task_return_error (task, error);
      return;
    }
    vb_domain_def_free (def);
    def = replacement;
  }
  if (!check_collision (backend, def, &dom, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (dom != NULL && dom->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is already active", dom->name);

  if (dom == NULL) {
    g_autoptr(VbObj) created = new_domain (self, g_steal_pointer (&def));
    vb_backend_add_object (backend, created);
    dom = created;
  } else {
    gpointer old = dom->def;
    dom->def = NULL;
    vb_obj_set_def (dom, g_steal_pointer (&def));
    vb_obj_set_newdef (dom, old);
  }
  if (flags & SAVE_RUNNING)
    paused = FALSE;
  else if (flags & SAVE_PAUSED)
    paused = TRUE;
  start_domain (self, dom, RUNNING_RESTORED, STARTED_RESTORED);
  if (paused)
    pause_domain (backend, dom, PAUSED_SAVE, SUSPENDED_RESTORED);
  return_void (task);
}

static void
test_save_image_get_xml_desc (VbBackend *backend, const char *file, guint flags, GTask *task)
{
  g_autofree char *xml = NULL;
  g_autoptr(VbDomainDef) def = NULL;
  GError *error = NULL;
  gboolean paused;

  CHECK_FLAGS (task, flags, VB_DOMAIN_XML_SECURE, "DomainSaveImageGetXMLDesc");
  if (!read_save_image (file, &paused, &xml, &error) ||
      (def = vb_domain_def_parse_full (xml, VB_DOMAIN_PARSE_INACTIVE, &error)) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  return_string (task, vb_domain_def_format (def, flags | VB_DOMAIN_XML_INACTIVE));
}

static void
test_save_image_define_xml (VbBackend *backend, const char *file, const char *xml, guint flags, GTask *task)
{
  g_autofree char *old_xml = NULL;
  g_autofree char *new_xml = NULL;
  g_autoptr(VbDomainDef) old = NULL;
  g_autoptr(VbDomainDef) def = NULL;
  GError *error = NULL;
  gboolean paused;

  CHECK_FLAGS (task, flags, SAVE_RUNNING | SAVE_PAUSED, "DomainSaveImageDefineXML");
  if ((flags & SAVE_RUNNING) && (flags & SAVE_PAUSED))
    FAIL (task, VB_ERROR_INVALID_ARG, "the running and paused flags are mutually exclusive");
  if (!read_save_image (file, &paused, &old_xml, &error) ||
      (old = vb_domain_def_parse_full (old_xml, VB_DOMAIN_PARSE_INACTIVE, &error)) == NULL ||
      (def = parse_replacement (xml, old, &error)) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  if (flags & SAVE_RUNNING)
    paused = FALSE;
  else if (flags & SAVE_PAUSED)
    paused = TRUE;
  new_xml = vb_domain_def_format (def, VB_DOMAIN_XML_SECURE | VB_DOMAIN_XML_INACTIVE);
  if (!write_save_image (file, paused, new_xml, &error)) {
    g_task_return_error (task, error);
    return;
  }
  return_void (task);
}

/* ---- fake but consistent statistics ---- */

static guint64
disk_capacity (VbObj *dom, const char *dst)
{
  guint64 *cap = g_hash_table_lookup (data_of (dom)->disk_capacity, dst);
  return cap ? *cap : DISK_CAPACITY;
}

/* Activity counters grow with the cpu time, scaled per device index. */
static guint64
activity (VbObj *dom, guint idx, guint64 per_second)
{
  return (guint64) (cpu_time_ns (dom) / 1000000) * per_second * (idx + 1) / 1000;
}

static void
add_u (GVariantBuilder *b, const char *key, guint v)
{
  g_variant_builder_add (b, "{sv}", key, g_variant_new_uint32 (v));
}

static void
add_i (GVariantBuilder *b, const char *key, int v)
{
  g_variant_builder_add (b, "{sv}", key, g_variant_new_int32 (v));
}

static void
add_t (GVariantBuilder *b, const char *key, guint64 v)
{
  g_variant_builder_add (b, "{sv}", key, g_variant_new_uint64 (v));
}

static void
add_s (GVariantBuilder *b, const char *key, const char *v)
{
  g_variant_builder_add (b, "{sv}", key, g_variant_new_string (v));
}

static void
add_fmt_t (GVariantBuilder *b, guint64 v, const char *prefix, guint idx, const char *suffix)
{
  g_autofree char *key = g_strdup_printf ("%s.%u.%s", prefix, idx, suffix);
  add_t (b, key, v);
}

static void
add_fmt_s (GVariantBuilder *b, const char *v, const char *prefix, guint idx, const char *suffix)
{
  g_autofree char *key = g_strdup_printf ("%s.%u.%s", prefix, idx, suffix);
  add_s (b, key, v);
}

static guint
vcpu_online_count (VbObj *dom)
{
  return live_def (dom)->vcpus_current - g_hash_table_size (data_of (dom)->guest_offline);
}

static GVariant *
domain_stats (VbObj *dom, guint stats)
{
  VbDomainDef *def = live_def (dom);
  DomData *d = data_of (dom);
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  if (stats & STATS_STATE) {
    add_i (&b, "state.state", dom->state);
    add_i (&b, "state.reason", dom->reason);
  }
  if ((stats & STATS_CPU_TOTAL) && dom->active) {
    guint64 ns = cpu_time_ns (dom);
    add_t (&b, "cpu.time", ns);
    add_t (&b, "cpu.user", ns / 10 * 9);
    add_t (&b, "cpu.system", ns / 10);
  }
  if (stats & STATS_BALLOON) {
    add_t (&b, "balloon.current", def->current_memory_kib);
    add_t (&b, "balloon.maximum", def->memory_kib);
    if (dom->active) {
      add_t (&b, "balloon.swap_in", 0);
      add_t (&b, "balloon.swap_out", 0);
      add_t (&b, "balloon.major_fault", 0);
      add_t (&b, "balloon.minor_fault", 0);
      add_t (&b, "balloon.unused", def->current_memory_kib / 2);
      add_t (&b, "balloon.available", def->current_memory_kib);
      add_t (&b, "balloon.usable", def->current_memory_kib / 2);
      add_t (&b, "balloon.rss", def->current_memory_kib / 2);
      add_t (&b, "balloon.last-update", (guint64) (g_get_real_time () / G_USEC_PER_SEC));
      add_t (&b, "balloon.disk_caches", def->current_memory_kib / 8);
    }
  }
  if (stats & STATS_VCPU) {
    add_u (&b, "vcpu.current", def->vcpus_current);
    add_u (&b, "vcpu.maximum", def->vcpus);
    if (dom->active) {
      guint64 per_vcpu = cpu_time_ns (dom) / MAX (def->vcpus_current, 1);
      for (guint i = 0; i < def->vcpus_current; i++) {
        g_autofree char *key = g_strdup_printf ("vcpu.%u.state", i);
        add_i (&b, key, g_hash_table_contains (d->guest_offline, GUINT_TO_POINTER (i + 1)) ? 0 : 1);
        add_fmt_t (&b, per_vcpu, "vcpu", i, "time");
        add_fmt_t (&b, 0, "vcpu", i, "wait");
      }
    }
  }
  if (stats & STATS_INTERFACE) {
    add_u (&b, "net.count", def->nets->len);
    for (guint i = 0; i < def->nets->len; i++) {
      VbDomainNetDef *net = g_ptr_array_index (def->nets, i);
      add_fmt_s (&b, net->target_dev ? net->target_dev : net->mac, "net", i, "name");
      if (!dom->active)
        continue;
      add_fmt_t (&b, activity (dom, i, 100000), "net", i, "rx.bytes");
      add_fmt_t (&b, activity (dom, i, 100), "net", i, "rx.pkts");
      add_fmt_t (&b, 0, "net", i, "rx.errs");
      add_fmt_t (&b, 0, "net", i, "rx.drop");
      add_fmt_t (&b, activity (dom, i, 50000), "net", i, "tx.bytes");
      add_fmt_t (&b, activity (dom, i, 50), "net", i, "tx.pkts");
      add_fmt_t (&b, 0, "net", i, "tx.errs");
      add_fmt_t (&b, 0, "net", i, "tx.drop");
    }
  }
  if (stats & STATS_BLOCK) {
    add_u (&b, "block.count", def->disks->len);
    for (guint i = 0; i < def->disks->len; i++) {
      VbDomainDiskDef *disk = g_ptr_array_index (def->disks, i);
      guint64 cap = disk_capacity (dom, disk->dst);
      add_fmt_s (&b, disk->dst, "block", i, "name");
      if (disk->src_path)
        add_fmt_s (&b, disk->src_path, "block", i, "path");
      if (!dom->active)
        continue;
      add_fmt_t (&b, activity (dom, i, 200), "block", i, "rd.reqs");
      add_fmt_t (&b, activity (dom, i, 200) * 4096, "block", i, "rd.bytes");
      add_fmt_t (&b, activity (dom, i, 200) * 100000, "block", i, "rd.times");
      add_fmt_t (&b, activity (dom, i, 100), "block", i, "wr.reqs");
      add_fmt_t (&b, activity (dom, i, 100) * 4096, "block", i, "wr.bytes");
      add_fmt_t (&b, activity (dom, i, 100) * 200000, "block", i, "wr.times");
      add_fmt_t (&b, activity (dom, i, 10), "block", i, "fl.reqs");
      add_fmt_t (&b, activity (dom, i, 10) * 50000, "block", i, "fl.times");
      add_fmt_t (&b, cap / 2, "block", i, "allocation");
      add_fmt_t (&b, cap, "block", i, "capacity");
      add_fmt_t (&b, cap, "block", i, "physical");
    }
  }
  if ((stats & STATS_PERF) && dom->active) {
    GHashTable *perf = g_hash_table_lookup (d->params, "perf");
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init (&iter, perf);
    while (g_hash_table_iter_next (&iter, &key, &value))
      if (g_variant_get_boolean (value)) {
        g_autofree char *name = g_strdup_printf ("perf.%s", (char *) key);
        add_t (&b, name, activity (dom, 0, 1000));
      }
  }
  if ((stats & STATS_IOTHREAD) && dom->active) {
    add_u (&b, "iothread.count", d->iothreads->len);
    for (guint i = 0; i < d->iothreads->len; i++) {
      IoThread *io = &g_array_index (d->iothreads, IoThread, i);
      add_fmt_t (&b, 32768, "iothread", io->id, "poll-max-ns");
      add_fmt_t (&b, 2, "iothread", io->id, "poll-grow");
      add_fmt_t (&b, 0, "iothread", io->id, "poll-shrink");
    }
  }
  if ((stats & STATS_MEMORY) && dom->active)
    add_u (&b, "memory.bandwidth.monitor.count", 0);
  if ((stats & STATS_DIRTYRATE) && dom->active)
    add_i (&b, "dirtyrate.calc_status", 0);
  return g_variant_builder_end (&b);
}

static gboolean
check_stats (guint stats, guint flags, GError **error)
{
  if ((flags & GETSTATS_ENFORCE) && (stats & ~(guint) STATS_ALL_GROUPS)) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "stats types 0x%x are not supported by this connection",
                 stats & ~(guint) STATS_ALL_GROUPS);
    return FALSE;
  }
  return TRUE;
}

static void
test_get_all_domain_stats (VbBackend *backend, guint stats, guint flags, GTask *task)
{
  g_autoptr(GPtrArray) all = NULL;
  GVariantBuilder b;
  GError *error = NULL;

  CHECK_FLAGS (task, flags, 0xff | GETSTATS_NOWAIT | GETSTATS_BACKING | GETSTATS_ENFORCE, "GetAllDomainStats");
  if (!check_stats (stats, flags, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (stats == 0)
    stats = STATS_ALL_GROUPS;
  all = vb_backend_list (backend, VB_OBJ_DOMAIN);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sa{sv})"));
  for (guint i = 0; i < all->len; i++) {
    VbObj *dom = g_ptr_array_index (all, i);
    if (vb_domain_stats_filter (dom, flags))
      g_variant_builder_add (&b, "(s@a{sv})", dom->name, domain_stats (dom, stats));
  }
  return_value (task, g_variant_builder_end (&b));
}

static void
test_get_stats (VbBackend *backend, VbObj *dom, guint stats, guint flags, GTask *task)
{
  GError *error = NULL;

  CHECK_FLAGS (task, flags, GETSTATS_NOWAIT | GETSTATS_BACKING | GETSTATS_ENFORCE, "GetStats");
  if (!check_stats (stats, flags, &error)) {
    g_task_return_error (task, error);
    return;
  }
  return_value (task, domain_stats (dom, stats ? stats : STATS_ALL_GROUPS));
}

/* ---- properties ---- */

static char *
test_get_scheduler_type (VbBackend *backend, VbObj *dom, int *nparams)
{
  *nparams = g_hash_table_size (g_hash_table_lookup (data_of (dom)->params, "scheduler"));
  return g_strdup ("fair");
}

static gboolean
test_set_autostart (VbBackend *backend, VbObj *dom, gboolean autostart, GError **error)
{
  if (!dom->persistent) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "cannot set autostart for transient domain '%s'",
                 dom->name);
    return FALSE;
  }
  vb_obj_set_autostart (dom, autostart);
  return TRUE;
}

/* ---- lifecycle ---- */

static void
do_create (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  VbTestBackend *self = VB_TEST_BACKEND (backend);

  if (dom->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is already active", dom->name);
  if (dom->has_managed_save) {
    /* Starting consumes the managed save image, as in the test driver. */
    dom->has_managed_save = FALSE;
    start_domain (self, dom, RUNNING_RESTORED, STARTED_RESTORED);
  } else {
    start_domain (self, dom, RUNNING_BOOTED, STARTED_BOOTED);
  }
  if (flags & START_PAUSED)
    pause_domain (backend, dom, PAUSED_USER, SUSPENDED_PAUSED);
  return_void (task);
}

static void
test_create (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, START_PAUSED | START_AUTODESTROY | START_BYPASS_CACHE | START_FORCE_BOOT, "Create");
  do_create (backend, dom, flags, task);
}

static void
test_create_with_files (VbBackend *backend, VbObj *dom, GUnixFDList *fds, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, START_PAUSED | START_AUTODESTROY | START_BYPASS_CACHE | START_FORCE_BOOT,
               "CreateWithFiles");
  /* The fds would be handed to the guest; nothing runs here. */
  do_create (backend, dom, flags, task);
}

static void
test_shutdown (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, SHUTDOWN_MODES, "Shutdown");
  REQUIRE_ACTIVE (task, dom);
  if (dom->state != VB_DOMAIN_RUNNING)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is paused: a paused guest cannot shut down",
          dom->name);
  emit_event (backend, dom, EV_SHUTDOWN, SHUTDOWN_FINISHED);
  stop_domain (backend, dom, SHUTOFF_SHUTDOWN, STOPPED_SHUTDOWN);
  return_void (task);
}

static void
test_reboot (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  VbDomainDef *def;

  CHECK_FLAGS (task, flags, SHUTDOWN_MODES, "Reboot");
  REQUIRE_ACTIVE (task, dom);
  def = live_def (dom);
  vb_backend_emit_domain_signal (backend, dom, "Reboot", g_variant_new ("()"));
  /* The guest reboots and the on_reboot action decides what follows. */
  switch (def->on_reboot) {
  case VB_DOMAIN_LIFECYCLE_DESTROY:
    emit_event (backend, dom, EV_SHUTDOWN, SHUTDOWN_FINISHED);
    stop_domain (backend, dom, SHUTOFF_SHUTDOWN, STOPPED_SHUTDOWN);
    break;
  case VB_DOMAIN_LIFECYCLE_PRESERVE:
    vb_test_domain_set_state (dom, VB_DOMAIN_SHUTDOWN, 0, dom->id);
    break;
  default:
    data_of (dom)->boot_time = g_get_monotonic_time ();
    vb_test_domain_set_state (dom, VB_DOMAIN_RUNNING, RUNNING_BOOTED, dom->id);
    break;
  }
  return_void (task);
}

static void
test_reset (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "Reset");
  REQUIRE_ACTIVE (task, dom);
  data_of (dom)->boot_time = g_get_monotonic_time ();
  g_hash_table_remove_all (data_of (dom)->guest_offline);
  return_void (task);
}

static void
test_destroy (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, DESTROY_GRACEFUL, "Destroy");
  REQUIRE_ACTIVE (task, dom);
  stop_domain (backend, dom, SHUTOFF_DESTROYED, STOPPED_DESTROYED);
  return_void (task);
}

static void
test_suspend (VbBackend *backend, VbObj *dom, GTask *task)
{
  if (dom->state != VB_DOMAIN_RUNNING)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
  pause_domain (backend, dom, PAUSED_USER, SUSPENDED_PAUSED);
  return_void (task);
}

static void
test_resume (VbBackend *backend, VbObj *dom, GTask *task)
{
  if (dom->state != VB_DOMAIN_PAUSED)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not paused", dom->name);
  vb_test_domain_set_state (dom, VB_DOMAIN_RUNNING, RUNNING_UNPAUSED, dom->id);
  emit_event (backend, dom, EV_RESUMED, RESUMED_UNPAUSED);
  return_void (task);
}

static void
test_undefine (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  guint nsnap = dom->children ? g_hash_table_size (dom->children) : 0;

  CHECK_FLAGS (task, flags,
               UNDEFINE_MANAGED_SAVE | UNDEFINE_SNAPSHOTS_METADATA | UNDEFINE_NVRAM | UNDEFINE_KEEP_NVRAM |
               UNDEFINE_CHECKPOINTS_METADATA,
               "Undefine");
  if ((flags & UNDEFINE_NVRAM) && (flags & UNDEFINE_KEEP_NVRAM))
    FAIL (task, VB_ERROR_INVALID_ARG, "the nvram and keep-nvram flags are mutually exclusive");
  if (!dom->persistent)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot undefine transient domain '%s'", dom->name);
  if (dom->has_managed_save && !(flags & UNDEFINE_MANAGED_SAVE))
    FAIL (task, VB_ERROR_OPERATION_INVALID, "refusing to undefine domain '%s' while a managed save image exists",
          dom->name);
  if (nsnap > 0 && !(flags & UNDEFINE_SNAPSHOTS_METADATA))
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot undefine domain '%s' with %u snapshot(s)", dom->name, nsnap);

  dom->has_managed_save = FALSE;
  if (nsnap > 0) {
    g_autoptr(GList) snaps = g_hash_table_get_values (dom->children);
    for (GList *l = snaps; l != NULL; l = l->next)
      vb_backend_remove_object (backend, l->data);
  }
  vb_obj_set_autostart (dom, FALSE);
  emit_event (backend, dom, EV_UNDEFINED, UNDEFINED_REMOVED);
  if (dom->active) {
    /* Keeps running, without a persistent config. */
    vb_obj_set_newdef (dom, NULL);
    vb_obj_set_persistent (dom, FALSE);
    vb_obj_set_updated (dom, FALSE);
  } else {
    vb_obj_set_persistent (dom, FALSE);
    vb_backend_remove_object (backend, dom);
  }
  return_void (task);
}

static void
test_pm_wakeup (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "PMWakeup");
  REQUIRE_ACTIVE (task, dom);
  if (dom->state != VB_DOMAIN_PMSUSPENDED)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not suspended by power management", dom->name);
  vb_test_domain_set_state (dom, VB_DOMAIN_RUNNING, RUNNING_WAKEUP, dom->id);
  emit_event (backend, dom, EV_STARTED, STARTED_WAKEUP);
  vb_backend_emit_domain_signal (backend, dom, "PMWakeup", g_variant_new ("(i)", 0));
  return_void (task);
}

static void
test_inject_nmi (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "InjectNMI");
  REQUIRE_ACTIVE (task, dom);
  return_void (task);
}

static void
test_rename (VbBackend *backend, VbObj *dom, const char *name, guint flags, GTask *task)
{
  GError *error = NULL;
  VbObj *other;

  CHECK_FLAGS (task, flags, 0, "Rename");
  if (name == NULL || *name == '\0')
    FAIL (task, VB_ERROR_INVALID_ARG, "a new domain name is required");
  if (!vb_domain_def_validate_name (name, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (dom->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot rename active domain '%s'", dom->name);
  if (!dom->persistent)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot rename a transient domain");
  if (dom->has_managed_save)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot rename domain '%s' with a managed save image", dom->name);
  if (dom->children && g_hash_table_size (dom->children) > 0)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot rename domain '%s' with snapshots", dom->name);
  if (strcmp (name, dom->name) == 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "domain '%s' already has that name", dom->name);
  other = vb_backend_lookup_by_name (backend, VB_OBJ_DOMAIN, name);
  if (other != NULL)
    FAIL (task, VB_ERROR_EXISTS, "domain with name '%s' already exists", name);

  emit_event (backend, dom, EV_UNDEFINED, UNDEFINED_RENAMED);
  g_free (live_def (dom)->name);
  live_def (dom)->name = g_strdup (name);
  vb_backend_rename_object (backend, dom, name);
  emit_event (backend, dom, EV_DEFINED, DEFINED_RENAMED);
  return_void (task);
}

static void
remember_job (VbObj *dom, int operation, guint64 data_total)
{
  DomData *d = data_of (dom);
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  add_i (&b, "operation", operation);
  add_t (&b, "time_elapsed", 120);
  add_t (&b, "data_total", data_total);
  add_t (&b, "data_processed", data_total);
  add_t (&b, "data_remaining", 0);
  add_t (&b, "memory_total", data_total);
  add_t (&b, "memory_processed", data_total);
  add_t (&b, "memory_remaining", 0);
  g_clear_pointer (&d->completed_job, g_variant_unref);
  d->completed_job = g_variant_ref_sink (g_variant_new ("(i@a{sv})", 3 /* COMPLETED */, g_variant_builder_end (&b)));
}

static void
test_save (VbBackend *backend, VbObj *dom, const char *to, const char *xml, guint flags, GTask *task)
{
  g_autoptr(VbDomainDef) replacement = NULL;
  g_autofree char *contents = NULL;
  GError *error = NULL;
  gboolean paused;

  CHECK_FLAGS (task, flags, SAVE_BYPASS_CACHE | SAVE_RUNNING | SAVE_PAUSED, "Save");
  if ((flags & SAVE_RUNNING) && (flags & SAVE_PAUSED))
    FAIL (task, VB_ERROR_INVALID_ARG, "the running and paused flags are mutually exclusive");
  if (to == NULL || *to == '\0')
    FAIL (task, VB_ERROR_INVALID_ARG, "a file to save the domain to is required");
  REQUIRE_ACTIVE (task, dom);
  if (xml != NULL && *xml != '\0' && (replacement = parse_replacement (xml, live_def (dom), &error)) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  paused = (flags & SAVE_PAUSED) || (dom->state == VB_DOMAIN_PAUSED && !(flags & SAVE_RUNNING));
  contents = vb_domain_def_format (replacement ? replacement : live_def (dom),
                                   VB_DOMAIN_XML_SECURE | VB_DOMAIN_XML_INACTIVE);
  if (!write_save_image (to, paused, contents, &error)) {
    g_task_return_error (task, error);
    return;
  }
  remember_job (dom, 2 /* SAVE */, live_def (dom)->current_memory_kib * 1024);
  stop_domain (backend, dom, SHUTOFF_SAVED, STOPPED_SAVED);
  return_void (task);
}

static void
test_managed_save (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, SAVE_BYPASS_CACHE | SAVE_RUNNING | SAVE_PAUSED, "ManagedSave");
  if ((flags & SAVE_RUNNING) && (flags & SAVE_PAUSED))
    FAIL (task, VB_ERROR_INVALID_ARG, "the running and paused flags are mutually exclusive");
  REQUIRE_ACTIVE (task, dom);
  if (!dom->persistent)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot do managed save for transient domain '%s'", dom->name);
  remember_job (dom, 2 /* SAVE */, live_def (dom)->current_memory_kib * 1024);
  dom->has_managed_save = TRUE;
  stop_domain (backend, dom, SHUTOFF_SAVED, STOPPED_SAVED);
  return_void (task);
}

static void
test_has_managed_save_image (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "HasManagedSaveImage");
  return_value (task, g_variant_new_boolean (dom->has_managed_save));
}

static void
test_managed_save_remove (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "ManagedSaveRemove");
  dom->has_managed_save = FALSE;
  return_void (task);
}

static void
test_core_dump (VbBackend *backend, VbObj *dom, const char *to, guint dumpformat, guint flags, GTask *task)
{
  static const char *const formats[] = { "raw", "kdump-zlib", "kdump-lzo", "kdump-snappy", "win-dmp" };
  g_autofree char *xml = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) local = NULL;

  CHECK_FLAGS (task, flags, DUMP_CRASH | DUMP_LIVE | DUMP_BYPASS_CACHE | DUMP_RESET | DUMP_MEMORY_ONLY, "CoreDump");
  if ((flags & DUMP_CRASH) && (flags & DUMP_RESET))
    FAIL (task, VB_ERROR_INVALID_ARG, "the crash and reset flags are mutually exclusive");
  if (dumpformat >= DUMP_FORMAT_LAST)
    FAIL (task, VB_ERROR_INVALID_ARG, "unknown dump format %u", dumpformat);
  if (dumpformat != 0 && !(flags & DUMP_MEMORY_ONLY))
    FAIL (task, VB_ERROR_INVALID_ARG, "dump format '%s' requires a memory-only dump", formats[dumpformat]);
  if (to == NULL || *to == '\0')
    FAIL (task, VB_ERROR_INVALID_ARG, "a file to dump the domain to is required");
  REQUIRE_ACTIVE (task, dom);
  xml = vb_domain_def_format (live_def (dom), 0);
  contents = g_strdup_printf ("%sformat %s\n%s", DUMP_MAGIC, formats[dumpformat], xml);
  if (!g_file_set_contents (to, contents, -1, &local))
    FAIL (task, VB_ERROR_IO, "cannot write core dump '%s': %s", to, local->message);
  remember_job (dom, 6 /* DUMP */, live_def (dom)->current_memory_kib * 1024);
  if (flags & DUMP_CRASH)
    stop_domain (backend, dom, SHUTOFF_CRASHED, STOPPED_CRASHED);
  else if (flags & DUMP_RESET)
    data_of (dom)->boot_time = g_get_monotonic_time ();
  return_void (task);
}

static void
test_send_key (VbBackend *backend, VbObj *dom, guint codeset, guint holdtime, GVariant *keycodes, guint flags,
               GTask *task)
{
  gsize n = keycodes ? g_variant_n_children (keycodes) : 0;

  CHECK_FLAGS (task, flags, 0, "SendKey");
  if (codeset >= SEND_KEY_CODESETS)
    FAIL (task, VB_ERROR_INVALID_ARG, "unknown key codeset %u", codeset);
  if (n == 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "at least one key code is required");
  if (n > SEND_KEY_MAX_KEYS)
    FAIL (task, VB_ERROR_INVALID_ARG, "at most %d key codes can be sent at once, not %" G_GSIZE_FORMAT,
          SEND_KEY_MAX_KEYS, n);
  REQUIRE_ACTIVE (task, dom);
  return_void (task);
}

static void
test_send_process_signal (VbBackend *backend, VbObj *dom, gint64 pid, guint signum, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "SendProcessSignal");
  if (pid < 1)
    FAIL (task, VB_ERROR_INVALID_ARG, "process id %" G_GINT64_FORMAT " is not valid", pid);
  if (signum >= PROCESS_SIGNAL_LAST)
    FAIL (task, VB_ERROR_INVALID_ARG, "signal %u is not valid", signum);
  REQUIRE_ACTIVE (task, dom);
  if (pid != 1)
    FAIL (task, VB_ERROR_NOT_FOUND, "no process %" G_GINT64_FORMAT " in domain '%s'", pid, dom->name);
  return_void (task);
}

/* ---- description ---- */

static void
test_get_xml_desc (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, VB_DOMAIN_XML_ALL_FLAGS, "GetXMLDesc");
  if (flags & VB_DOMAIN_XML_INACTIVE)
    return_string (task, vb_domain_def_format (persistent_def (dom), flags));
  else
    return_string (task, vb_domain_def_format (live_def (dom), flags));
}

static void
test_get_state (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "GetState");
  return_value (task, g_variant_new ("(ii)", dom->state, dom->reason));
}

static void
test_get_control_info (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "GetControlInfo");
  REQUIRE_ACTIVE (task, dom);
  return_value (task, g_variant_new ("(uut)", 0 /* OK */, 0, (guint64) 0));
}

static void
test_get_metadata (VbBackend *backend, VbObj *dom, int type, const char *uri, guint flags, GTask *task)
{
  gboolean live, config;
  GError *error = NULL;
  char *value;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "GetMetadata");
  if ((flags & AFFECT_LIVE) && (flags & AFFECT_CONFIG))
    FAIL (task, VB_ERROR_INVALID_ARG, "metadata can be read from the live or the persistent config, not both");
  if (!vb_resolve_affect (dom, flags, &live, &config, &error)) {
    g_task_return_error (task, error);
    return;
  }
  value = vb_domain_def_get_metadata (live ? live_def (dom) : persistent_def (dom), type, uri, &error);
  if (value == NULL) {
    g_task_return_error (task, error);
    return;
  }
  return_string (task, value);
}

static void
test_set_metadata (VbBackend *backend, VbObj *dom, int type, const char *metadata, const char *key,
                   const char *uri, guint flags, GTask *task)
{
  g_autoptr(VbDomainDef) new_live = NULL;
  g_autoptr(VbDomainDef) new_config = NULL;
  gboolean live, config;
  GError *error = NULL;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "SetMetadata");
  if (!vb_resolve_affect (dom, flags, &live, &config, &error)) {
    g_task_return_error (task, error);
    return;
  }
  /* Both copies change, or neither. */
  if (live) {
    new_live = vb_domain_def_copy (live_def (dom));
    if (!vb_domain_def_set_metadata (new_live, type, key, uri, metadata, &error)) {
      g_task_return_error (task, error);
      return;
    }
  }
  if (config) {
    new_config = vb_domain_def_copy (persistent_def (dom));
    if (!vb_domain_def_set_metadata (new_config, type, key, uri, metadata, &error)) {
      g_task_return_error (task, error);
      return;
    }
  }
  if (live)
    vb_obj_set_def (dom, g_steal_pointer (&new_live));
  if (config) {
    if (dom->active)
      vb_obj_set_newdef (dom, g_steal_pointer (&new_config));
    else
      vb_obj_set_def (dom, g_steal_pointer (&new_config));
  }
  note_update (dom, live, config);
  vb_backend_emit_domain_signal (backend, dom, "MetadataChange",
                                 g_variant_new ("(is)", type, type == VB_DOMAIN_METADATA_ELEMENT && uri ? uri : ""));
  return_void (task);
}

static void
test_get_hostname (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0x3 /* agent, lease */, "GetHostname");
  REQUIRE_ACTIVE (task, dom);
  return_string (task, g_strdup_printf ("%shost", dom->name));
}

static void
test_get_time (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  gint64 now;

  CHECK_FLAGS (task, flags, 0, "GetTime");
  REQUIRE_ACTIVE (task, dom);
  now = g_get_real_time () + data_of (dom)->time_offset_us;
  return_value (task, g_variant_new ("(tu)", (guint64) (now / G_USEC_PER_SEC),
                                     (guint) (now % G_USEC_PER_SEC) * 1000));
}

static void
test_set_time (VbBackend *backend, VbObj *dom, guint64 seconds, guint nseconds, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 1 /* SYNC */, "SetTime");
  REQUIRE_ACTIVE (task, dom);
  if (flags & 1) {
    /* Resynchronise the guest clock with the host's. */
    data_of (dom)->time_offset_us = 0;
  } else {
    if (nseconds >= 1000000000)
      FAIL (task, VB_ERROR_INVALID_ARG, "nseconds must be below 1000000000, not %u", nseconds);
    if (seconds > G_MAXINT64 / G_USEC_PER_SEC)
      FAIL (task, VB_ERROR_INVALID_ARG, "time %" G_GUINT64_FORMAT " is out of range", seconds);
    data_of (dom)->time_offset_us = (gint64) seconds * G_USEC_PER_SEC + nseconds / 1000 - g_get_real_time ();
  }
  return_void (task);
}

static void
test_get_security_label_list (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sb)"));
  g_variant_builder_add (&b, "(sb)", "libvirt-test", TRUE);
  return_value (task, g_variant_builder_end (&b));
}

static void
test_get_disk_errors (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  VbDomainDef *def = live_def (dom);
  GVariantBuilder b;

  CHECK_FLAGS (task, flags, 0, "GetDiskErrors");
  REQUIRE_ACTIVE (task, dom);
  /* As the test driver: every disk reports an error, alternating
   * "unspecified" and "no space". */
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(si)"));
  for (guint i = 0; i < def->disks->len; i++) {
    VbDomainDiskDef *disk = g_ptr_array_index (def->disks, i);
    g_variant_builder_add (&b, "(si)", disk->dst, (int) (i % 2) + 1);
  }
  return_value (task, g_variant_builder_end (&b));
}

static void
test_get_fs_info (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  VbDomainDef *def = live_def (dom);
  GVariantBuilder b;

  CHECK_FLAGS (task, flags, 0, "GetFSInfo");
  REQUIRE_ACTIVE (task, dom);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sssas)"));
  if (def->disks->len > 0) {
    VbDomainDiskDef *disk = g_ptr_array_index (def->disks, 0);
    const char *devs[] = { disk->dst, NULL };
    for (guint i = 0; i < G_N_ELEMENTS (fs_mountpoints); i++) {
      g_autofree char *name = g_strdup_printf ("%s%u", disk->dst, i + 1);
      g_variant_builder_add (&b, "(sss^as)", fs_mountpoints[i], name, "ext4", devs);
    }
  }
  return_value (task, g_variant_builder_end (&b));
}

static gboolean
known_mountpoint (VbObj *dom, const char *mp)
{
  if (live_def (dom)->disks->len == 0)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (fs_mountpoints); i++)
    if (strcmp (mp, fs_mountpoints[i]) == 0)
      return TRUE;
  return FALSE;
}

static guint
freeze_one (GHashTable *frozen, const char *mountpoint, gboolean freeze)
{
  if (freeze)
    return g_hash_table_add (frozen, g_strdup (mountpoint)) ? 1 : 0;
  return g_hash_table_remove (frozen, mountpoint) ? 1 : 0;
}

static void
fs_freeze_thaw (VbObj *dom, const char *const *mountpoints, gboolean freeze, const char *method, guint flags,
                GTask *task)
{
  GHashTable *frozen = data_of (dom)->frozen;
  guint count = 0;

  CHECK_FLAGS (task, flags, 0, method);
  REQUIRE_ACTIVE (task, dom);
  if (mountpoints != NULL && mountpoints[0] != NULL) {
    for (guint i = 0; mountpoints[i]; i++)
      if (!known_mountpoint (dom, mountpoints[i]))
        FAIL (task, VB_ERROR_INVALID_ARG, "no file system mounted at '%s' in domain '%s'", mountpoints[i],
              dom->name);
    for (guint i = 0; mountpoints[i]; i++)
      count += freeze_one (frozen, mountpoints[i], freeze);
  } else if (live_def (dom)->disks->len > 0) {
    /* No list means every mounted file system. */
    for (guint i = 0; i < G_N_ELEMENTS (fs_mountpoints); i++)
      count += freeze_one (frozen, fs_mountpoints[i], freeze);
  }
  return_value (task, g_variant_new_uint32 (count));
}

static void
test_fs_freeze (VbBackend *backend, VbObj *dom, const char *const *mountpoints, guint flags, GTask *task)
{
  fs_freeze_thaw (dom, mountpoints, TRUE, "FSFreeze", flags, task);
}

static void
test_fs_thaw (VbBackend *backend, VbObj *dom, const char *const *mountpoints, guint flags, GTask *task)
{
  fs_freeze_thaw (dom, mountpoints, FALSE, "FSThaw", flags, task);
}

static void
test_fs_trim (VbBackend *backend, VbObj *dom, const char *mountpoint, guint64 minimum, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "FSTrim");
  REQUIRE_ACTIVE (task, dom);
  if (mountpoint != NULL && *mountpoint != '\0' && !known_mountpoint (dom, mountpoint))
    FAIL (task, VB_ERROR_INVALID_ARG, "no file system mounted at '%s' in domain '%s'", mountpoint, dom->name);
  if (g_hash_table_size (data_of (dom)->frozen) > 0)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "file systems of domain '%s' are frozen", dom->name);
  return_void (task);
}

static void
test_interface_addresses (VbBackend *backend, VbObj *dom, guint source, guint flags, GTask *task)
{
  VbDomainDef *def = live_def (dom);
  GVariantBuilder b;

  CHECK_FLAGS (task, flags, 0, "InterfaceAddresses");
  if (source > 2)
    FAIL (task, VB_ERROR_INVALID_ARG, "unknown interface address source %u", source);
  REQUIRE_ACTIVE (task, dom);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(ssa(isu))"));
  for (guint i = 0; i < def->nets->len; i++) {
    VbDomainNetDef *net = g_ptr_array_index (def->nets, i);
    g_autofree char *addr = g_strdup_printf ("192.168.122.%u", 3 + i);
    GVariantBuilder addrs;
    g_variant_builder_init (&addrs, G_VARIANT_TYPE ("a(isu)"));
    g_variant_builder_add (&addrs, "(isu)", 0 /* ipv4 */, addr, 24);
    g_variant_builder_add (&b, "(ssa(isu))", net->target_dev ? net->target_dev : "", net->mac, &addrs);
  }
  return_value (task, g_variant_builder_end (&b));
}

static void
test_set_user_password (VbBackend *backend, VbObj *dom, const char *user, const char *password, guint flags,
                        GTask *task)
{
  CHECK_FLAGS (task, flags, 1 /* ENCRYPTED */, "SetUserPassword");
  if (user == NULL || *user == '\0')
    FAIL (task, VB_ERROR_INVALID_ARG, "a user name is required");
  if (password == NULL)
    FAIL (task, VB_ERROR_INVALID_ARG, "a password is required");
  REQUIRE_ACTIVE (task, dom);
  return_void (task);
}

/* ---- devices ---- */

static VbDomainDeviceInfo *
device_info (const VbDomainDeviceDef *dev)
{
  switch (dev->type) {
  case VB_DOMAIN_DEVICE_DISK: return &dev->data.disk->info;
  case VB_DOMAIN_DEVICE_CONTROLLER: return &dev->data.controller->info;
  case VB_DOMAIN_DEVICE_INTERFACE: return &dev->data.net->info;
  case VB_DOMAIN_DEVICE_SERIAL:
  case VB_DOMAIN_DEVICE_PARALLEL:
  case VB_DOMAIN_DEVICE_CONSOLE:
  case VB_DOMAIN_DEVICE_CHANNEL: return &dev->data.chr->info;
  case VB_DOMAIN_DEVICE_VIDEO: return &dev->data.video->info;
  case VB_DOMAIN_DEVICE_INPUT: return &dev->data.input->info;
  case VB_DOMAIN_DEVICE_SOUND: return &dev->data.sound->info;
  case VB_DOMAIN_DEVICE_HOSTDEV: return &dev->data.hostdev->info;
  case VB_DOMAIN_DEVICE_MEMBALLOON: return &dev->data.memballoon->info;
  case VB_DOMAIN_DEVICE_RNG: return &dev->data.rng->info;
  case VB_DOMAIN_DEVICE_WATCHDOG: return &dev->data.watchdog->info;
  case VB_DOMAIN_DEVICE_PANIC: return &dev->data.panic->info;
  case VB_DOMAIN_DEVICE_FILESYSTEM: return &dev->data.fs->info;
  case VB_DOMAIN_DEVICE_TPM: return &dev->data.tpm->info;
  case VB_DOMAIN_DEVICE_REDIRDEV: return &dev->data.redirdev->info;
  default: return NULL;
  }
}

/* The name DeviceAdded/DeviceRemoved carry: the alias, else what
 * identifies the device in the XML. */
static char *
device_event_name (const VbDomainDeviceDef *dev)
{
  VbDomainDeviceInfo *info = device_info (dev);

  if (info != NULL && info->alias != NULL)
    return g_strdup (info->alias);
  switch (dev->type) {
  case VB_DOMAIN_DEVICE_DISK: return g_strdup (dev->data.disk->dst);
  case VB_DOMAIN_DEVICE_INTERFACE: return g_strdup (dev->data.net->mac);
  case VB_DOMAIN_DEVICE_FILESYSTEM: return g_strdup (dev->data.fs->dst);
  default: return g_strdup (vb_domain_device_type_to_string (dev->type));
  }
}

typedef enum { DEV_ATTACH, DEV_DETACH, DEV_UPDATE } DevOp;

static gboolean
apply_device (VbDomainDef *def, DevOp op, const VbDomainDeviceDef *dev, char **event_name, GError **error)
{
  switch (op) {
  case DEV_ATTACH:
    if (!vb_domain_def_add_device (def, dev, error))
      return FALSE;
    if (event_name)
      *event_name = device_event_name (dev);
    return TRUE;
  case DEV_DETACH: {
    g_autoptr(VbDomainDeviceDef) removed = vb_domain_def_remove_device (def, dev, error);
    if (removed == NULL)
      return FALSE;
    if (event_name)
      *event_name = device_event_name (removed);
    return TRUE;
  }
  case DEV_UPDATE:
    return vb_domain_def_update_device (def, dev, error);
  }
  g_return_val_if_reached (FALSE);
}

static void
device_op (VbBackend *backend, VbObj *dom, const char *xml, guint flags, DevOp op, const char *method, GTask *task)
{
  g_autoptr(VbDomainDeviceDef) dev = NULL;
  g_autoptr(VbDomainDef) new_live = NULL;
  g_autoptr(VbDomainDef) new_config = NULL;
  g_autofree char *event_name = NULL;
  gboolean live, config;
  GError *error = NULL;

  /* UpdateDevice also takes VIR_DOMAIN_DEVICE_MODIFY_FORCE (4). */
  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG | (op == DEV_UPDATE ? 4 : 0), method);
  if (!vb_resolve_affect (dom, flags, &live, &config, &error) ||
      (dev = vb_domain_device_def_parse (xml, &error)) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  /* Work on copies so a failure on either side changes nothing. */
  if (config) {
    new_config = vb_domain_def_copy (persistent_def (dom));
    if (!apply_device (new_config, op, dev, NULL, &error)) {
      g_task_return_error (task, error);
      return;
    }
  }
  if (live) {
    new_live = vb_domain_def_copy (live_def (dom));
    if (!apply_device (new_live, op, dev, &event_name, &error)) {
      g_task_return_error (task, error);
      return;
    }
    new_live->id = dom->id;
  }
  if (config) {
    if (dom->active)
      vb_obj_set_newdef (dom, g_steal_pointer (&new_config));
    else
      vb_obj_set_def (dom, g_steal_pointer (&new_config));
  }
  if (live) {
    if (config == FALSE && dom->persistent && dom->newdef == NULL)
      vb_obj_set_newdef (dom, vb_domain_def_copy (dom->def));
    vb_obj_set_def (dom, g_steal_pointer (&new_live));
  }
  note_update (dom, live, config);
  if (live && event_name != NULL)
    vb_backend_emit_domain_signal (backend, dom, op == DEV_ATTACH ? "DeviceAdded" : "DeviceRemoved",
                                   g_variant_new ("(s)", event_name));
  return_void (task);
}

static void
test_attach_device (VbBackend *backend, VbObj *dom, const char *xml, guint flags, GTask *task)
{
  device_op (backend, dom, xml, flags, DEV_ATTACH, "AttachDevice", task);
}

static void
test_detach_device (VbBackend *backend, VbObj *dom, const char *xml, guint flags, GTask *task)
{
  device_op (backend, dom, xml, flags, DEV_DETACH, "DetachDevice", task);
}

static void
test_update_device (VbBackend *backend, VbObj *dom, const char *xml, guint flags, GTask *task)
{
  device_op (backend, dom, xml, flags, DEV_UPDATE, "UpdateDevice", task);
}

static void
test_open_graphics_fd (VbBackend *backend, VbObj *dom, guint idx, guint flags, GTask *task)
{
  g_autoptr(GUnixFDList) list = NULL;
  GError *error = NULL;
  int fds[2];
  int handle;

  CHECK_FLAGS (task, flags, 1 /* SKIPAUTH */, "OpenGraphicsFD");
  REQUIRE_ACTIVE (task, dom);
  if (idx >= live_def (dom)->graphics->len)
    FAIL (task, VB_ERROR_INVALID_ARG, "domain '%s' has no graphics device at index %u", dom->name, idx);
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    FAIL (task, VB_ERROR_IO, "cannot create a socket pair: %s", g_strerror (errno));
  /* Nothing serves the display: the peer end is closed, so a client sees
   * the connection end, as with a display that went away. */
  close (fds[1]);
  list = g_unix_fd_list_new ();
  handle = g_unix_fd_list_append (list, fds[0], &error);
  close (fds[0]);
  if (handle < 0) {
    g_task_return_error (task, error);
    return;
  }
  g_object_set_data_full (G_OBJECT (task), "fd-list", g_steal_pointer (&list), g_object_unref);
  return_value (task, g_variant_new_handle (handle));
}

/* ---- resources ---- */

static void
test_set_memory (VbBackend *backend, VbObj *dom, guint64 memory_kib, guint flags, GTask *task)
{
  gboolean live, config;
  GError *error = NULL;
  VbDomainDef *cdef = NULL;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG | MEM_MAXIMUM, "SetMemory");
  if (!vb_resolve_affect (dom, flags, &live, &config, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (memory_kib == 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "memory size must be greater than 0");
  if (flags & MEM_MAXIMUM) {
    if (live)
      FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot resize the maximum memory on an active domain");
    cdef = config_def_for_edit (dom);
    cdef->memory_kib = memory_kib;
    if (cdef->current_memory_kib > memory_kib)
      cdef->current_memory_kib = memory_kib;
    note_update (dom, FALSE, TRUE);
    return_void (task);
    return;
  }
  if (live && memory_kib > live_def (dom)->memory_kib)
    FAIL (task, VB_ERROR_INVALID_ARG, "cannot set memory higher than max memory (%" G_GUINT64_FORMAT " KiB)",
          live_def (dom)->memory_kib);
  if (config && memory_kib > persistent_def (dom)->memory_kib)
    FAIL (task, VB_ERROR_INVALID_ARG, "cannot set memory higher than max memory (%" G_GUINT64_FORMAT " KiB)",
          persistent_def (dom)->memory_kib);
  if (config)
    config_def_for_edit (dom)->current_memory_kib = memory_kib;
  if (live) {
    live_def (dom)->current_memory_kib = memory_kib;
    vb_backend_emit_domain_signal (backend, dom, "BalloonChange", g_variant_new ("(t)", memory_kib));
  }
  note_update (dom, live, config);
  return_void (task);
}

static void
test_set_memory_stats_period (VbBackend *backend, VbObj *dom, int period, guint flags, GTask *task)
{
  gboolean live, config;
  GError *error = NULL;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "SetMemoryStatsPeriod");
  if (period < 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "the statistics period must not be negative, not %d", period);
  if (!vb_resolve_affect (dom, flags, &live, &config, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if ((live && live_def (dom)->memballoon == NULL) || (config && persistent_def (dom)->memballoon == NULL))
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' has no memory balloon", dom->name);
  if (live) {
    data_of (dom)->stats_period = period;
    live_def (dom)->memballoon->stats_period = period;
  }
  if (config)
    config_def_for_edit (dom)->memballoon->stats_period = period;
  note_update (dom, live, config);
  return_void (task);
}

static void
test_memory_stats (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  guint64 actual = live_def (dom)->current_memory_kib;
  GVariantBuilder b;

  CHECK_FLAGS (task, flags, 0, "MemoryStats");
  REQUIRE_ACTIVE (task, dom);
  /* Tags of virDomainMemoryStatTags; values as the test driver's, from
   * currentMemory. */
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{it}"));
  g_variant_builder_add (&b, "{it}", 0, (guint64) 0);  /* swap_in */
  g_variant_builder_add (&b, "{it}", 1, (guint64) 0);  /* swap_out */
  g_variant_builder_add (&b, "{it}", 2, (guint64) 0);  /* major_fault */
  g_variant_builder_add (&b, "{it}", 3, (guint64) 0);  /* minor_fault */
  g_variant_builder_add (&b, "{it}", 4, actual / 2);   /* unused */
  g_variant_builder_add (&b, "{it}", 5, actual);       /* available */
  g_variant_builder_add (&b, "{it}", 6, actual);       /* actual */
  g_variant_builder_add (&b, "{it}", 7, actual / 2);   /* rss */
  g_variant_builder_add (&b, "{it}", 8, actual / 2);   /* usable */
  g_variant_builder_add (&b, "{it}", 9, (guint64) (g_get_real_time () / G_USEC_PER_SEC)); /* last_update */
  g_variant_builder_add (&b, "{it}", 10, actual / 8);  /* disk_caches */
  g_variant_builder_add (&b, "{it}", 11, (guint64) 0); /* hugetlb_pgalloc */
  g_variant_builder_add (&b, "{it}", 12, (guint64) 0); /* hugetlb_pgfail */
  return_value (task, g_variant_builder_end (&b));
}

static void
test_memory_peek (VbBackend *backend, VbObj *dom, guint64 start, guint64 size, guint flags, GTask *task)
{
  guint64 limit = live_def (dom)->current_memory_kib * 1024;
  g_autofree guint8 *buf = NULL;

  CHECK_FLAGS (task, flags, 0x3 /* VIRTUAL, PHYSICAL */, "MemoryPeek");
  if ((flags & 0x3) == 0 || (flags & 0x3) == 0x3)
    FAIL (task, VB_ERROR_INVALID_ARG, "exactly one of the virtual and physical flags is required");
  REQUIRE_ACTIVE (task, dom);
  if (size > PEEK_MAX)
    FAIL (task, VB_ERROR_INVALID_ARG, "at most %d bytes can be read at once", PEEK_MAX);
  if (start > limit || size > limit - start)
    FAIL (task, VB_ERROR_INVALID_ARG, "memory range %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT
          " is beyond the guest's memory", start, size);
  /* Memory that was never written reads as zeroes. */
  buf = g_malloc0 (size ? size : 1);
  return_value (task, g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, buf, size, 1));
}

static void
ensure_vcpu_pins (DomData *d, guint n)
{
  while (d->vcpu_pins->len < n) {
    guint32 mask = DEFAULT_CPU_MASK;
    g_array_append_val (d->vcpu_pins, mask);
  }
}

static void
test_set_vcpus (VbBackend *backend, VbObj *dom, guint vcpus, guint flags, GTask *task)
{
  gboolean live, config;
  GError *error = NULL;
  DomData *d = data_of (dom);

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG | VCPU_MAXIMUM | VCPU_GUEST | VCPU_HOTPLUGGABLE,
               "SetVcpus");
  if (!vb_resolve_affect (dom, flags, &live, &config, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (vcpus == 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "a domain needs at least one vcpu");
  if (flags & VCPU_GUEST) {
    if (config)
      FAIL (task, VB_ERROR_INVALID_ARG, "the guest flag only applies to a running domain's live config");
    if (vcpus > live_def (dom)->vcpus_current)
      FAIL (task, VB_ERROR_INVALID_ARG, "requested guest vcpu count exceeds the active vcpus (%u > %u)", vcpus,
            live_def (dom)->vcpus_current);
    /* The guest takes the highest-numbered vcpus offline first. */
    g_hash_table_remove_all (d->guest_offline);
    for (guint i = vcpus; i < live_def (dom)->vcpus_current; i++)
      g_hash_table_add (d->guest_offline, GUINT_TO_POINTER (i + 1));
    return_void (task);
    return;
  }
  if (flags & VCPU_MAXIMUM) {
    VbDomainDef *cdef;
    if (live)
      FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot change the maximum vcpu count of a running domain");
    cdef = config_def_for_edit (dom);
    cdef->vcpus = vcpus;
    if (cdef->vcpus_current > vcpus)
      cdef->vcpus_current = vcpus;
    note_update (dom, FALSE, TRUE);
    return_void (task);
    return;
  }
  if (live && vcpus > live_def (dom)->vcpus)
    FAIL (task, VB_ERROR_INVALID_ARG, "requested cpu amount exceeds maximum (%u > %u)", vcpus,
          live_def (dom)->vcpus);
  if (config && vcpus > persistent_def (dom)->vcpus)
    FAIL (task, VB_ERROR_INVALID_ARG, "requested cpu amount exceeds maximum (%u > %u)", vcpus,
          persistent_def (dom)->vcpus);
  if (config)
    config_def_for_edit (dom)->vcpus_current = vcpus;
  if (live) {
    account_cpu (dom, dom->state == VB_DOMAIN_RUNNING);
    live_def (dom)->vcpus_current = vcpus;
    g_hash_table_remove_all (d->guest_offline);
    ensure_vcpu_pins (d, vcpus);
  }
  note_update (dom, live, config);
  return_void (task);
}

static void
test_get_vcpus (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  gboolean live, config;
  GError *error = NULL;
  VbDomainDef *def;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG | VCPU_MAXIMUM | VCPU_GUEST, "GetVcpus");
  if ((flags & AFFECT_LIVE) && (flags & AFFECT_CONFIG))
    FAIL (task, VB_ERROR_INVALID_ARG, "the live and config flags are mutually exclusive here");
  if (!vb_resolve_affect (dom, flags, &live, &config, &error)) {
    g_task_return_error (task, error);
    return;
  }
  def = live ? live_def (dom) : persistent_def (dom);
  if (flags & VCPU_GUEST) {
    if (!live)
      FAIL (task, VB_ERROR_INVALID_ARG, "the guest flag only applies to a running domain");
    return_value (task, g_variant_new_uint32 (vcpu_online_count (dom)));
    return;
  }
  return_value (task, g_variant_new_uint32 (flags & VCPU_MAXIMUM ? def->vcpus : def->vcpus_current));
}

static GVariant *
cpumap_to_variant (guint32 mask)
{
  guint8 bits[HOST_CPUS]; /* GVariant stores booleans as single bytes */

  for (guint i = 0; i < HOST_CPUS; i++)
    bits[i] = (mask >> i) & 1;
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BOOLEAN, bits, HOST_CPUS, sizeof (guint8));
}

static gboolean
cpumap_from_variant (GVariant *cpumap, guint32 *mask, GError **error)
{
  gsize n = g_variant_n_children (cpumap);

  *mask = 0;
  for (gsize i = 0; i < n; i++) {
    gboolean set;
    g_variant_get_child (cpumap, i, "b", &set);
    if (!set)
      continue;
    if (i >= HOST_CPUS) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "cpu %" G_GSIZE_FORMAT " does not exist on the host (it has %d)",
                   i, HOST_CPUS);
      return FALSE;
    }
    *mask |= 1u << i;
  }
  if (*mask == 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "the cpu map selects no cpu");
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_pin_flags (VbObj *dom, guint flags, VbDomainDef **def, GError **error)
{
  gboolean live, config;

  if ((flags & AFFECT_LIVE) && (flags & AFFECT_CONFIG) && def != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "the live and config flags are mutually exclusive here");
    return FALSE;
  }
  if (!vb_resolve_affect (dom, flags, &live, &config, error))
    return FALSE;
  if (def)
    *def = live ? live_def (dom) : persistent_def (dom);
  return TRUE;
}

static void
test_get_vcpu_pin_info (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  DomData *d = data_of (dom);
  VbDomainDef *def;
  GError *error = NULL;
  GVariantBuilder b;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "GetVcpuPinInfo");
  if (!check_pin_flags (dom, flags, &def, &error)) {
    g_task_return_error (task, error);
    return;
  }
  ensure_vcpu_pins (d, def->vcpus);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("aab"));
  for (guint i = 0; i < def->vcpus; i++)
    g_variant_builder_add_value (&b, cpumap_to_variant (g_array_index (d->vcpu_pins, guint32, i)));
  return_value (task, g_variant_builder_end (&b));
}

static void
test_pin_vcpu (VbBackend *backend, VbObj *dom, guint vcpu, GVariant *cpumap, guint flags, GTask *task)
{
  DomData *d = data_of (dom);
  GError *error = NULL;
  gboolean live, config;
  guint32 mask;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "PinVcpu");
  if (!vb_resolve_affect (dom, flags, &live, &config, &error) || !cpumap_from_variant (cpumap, &mask, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if ((live && vcpu >= live_def (dom)->vcpus) || (config && vcpu >= persistent_def (dom)->vcpus))
    FAIL (task, VB_ERROR_INVALID_ARG, "vcpu %u is out of range of domain '%s'", vcpu, dom->name);
  ensure_vcpu_pins (d, vcpu + 1);
  g_array_index (d->vcpu_pins, guint32, vcpu) = mask;
  return_void (task);
}

static void
test_get_emulator_pin_info (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  GError *error = NULL;
  VbDomainDef *def;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "GetEmulatorPinInfo");
  if (!check_pin_flags (dom, flags, &def, &error)) {
    g_task_return_error (task, error);
    return;
  }
  return_value (task, cpumap_to_variant (data_of (dom)->emulator_pin));
}

static void
test_pin_emulator (VbBackend *backend, VbObj *dom, GVariant *cpumap, guint flags, GTask *task)
{
  GError *error = NULL;
  guint32 mask;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "PinEmulator");
  if (!check_pin_flags (dom, flags, NULL, &error) || !cpumap_from_variant (cpumap, &mask, &error)) {
    g_task_return_error (task, error);
    return;
  }
  data_of (dom)->emulator_pin = mask;
  return_void (task);
}

static char *
format_cpulist (VbObj *dom, gboolean online_only, gboolean offlinable_only)
{
  GString *s = g_string_new (NULL);
  DomData *d = data_of (dom);

  for (guint i = 0; i < live_def (dom)->vcpus_current; i++) {
    gboolean online = !g_hash_table_contains (d->guest_offline, GUINT_TO_POINTER (i + 1));
    if (online_only && !online)
      continue;
    if (offlinable_only && i == 0) /* the boot cpu stays */
      continue;
    g_string_append_printf (s, "%s%u", s->len ? "," : "", i);
  }
  return g_string_free (s, FALSE);
}

static void
test_get_guest_vcpus (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  g_autofree char *vcpus = NULL, *online = NULL, *offlinable = NULL;
  GVariantBuilder b;

  CHECK_FLAGS (task, flags, 0, "GetGuestVcpus");
  REQUIRE_ACTIVE (task, dom);
  vcpus = format_cpulist (dom, FALSE, FALSE);
  online = format_cpulist (dom, TRUE, FALSE);
  offlinable = format_cpulist (dom, FALSE, TRUE);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  add_s (&b, "vcpus", vcpus);
  add_s (&b, "online", online);
  add_s (&b, "offlinable", offlinable);
  return_value (task, g_variant_builder_end (&b));
}

static void
test_set_guest_vcpus (VbBackend *backend, VbObj *dom, GVariant *cpumap, int state, guint flags, GTask *task)
{
  DomData *d = data_of (dom);
  gsize n = g_variant_n_children (cpumap);
  guint current = live_def (dom)->vcpus_current;
  gboolean any = FALSE;

  CHECK_FLAGS (task, flags, 0, "SetGuestVcpus");
  if (state != 0 && state != 1)
    FAIL (task, VB_ERROR_INVALID_ARG, "state must be 0 (offline) or 1 (online), not %d", state);
  REQUIRE_ACTIVE (task, dom);
  for (gsize i = 0; i < n; i++) {
    gboolean set;
    g_variant_get_child (cpumap, i, "b", &set);
    if (!set)
      continue;
    any = TRUE;
    if (i >= current)
      FAIL (task, VB_ERROR_INVALID_ARG, "guest vcpu %" G_GSIZE_FORMAT " does not exist", i);
    if (i == 0 && state == 0)
      FAIL (task, VB_ERROR_INVALID_ARG, "guest vcpu 0 cannot be taken offline");
  }
  if (!any)
    FAIL (task, VB_ERROR_INVALID_ARG, "the cpu map selects no vcpu");
  for (gsize i = 0; i < n; i++) {
    gboolean set;
    g_variant_get_child (cpumap, i, "b", &set);
    if (!set)
      continue;
    if (state)
      g_hash_table_remove (d->guest_offline, GUINT_TO_POINTER (i + 1));
    else
      g_hash_table_add (d->guest_offline, GUINT_TO_POINTER (i + 1));
  }
  return_void (task);
}

/* The simulation keeps one IOThread list; the definitions affected by the
 * call take its ids. */
static void
set_iothread_ids (VbDomainDef *def, GArray *iothreads)
{
  def->iothreads = 0;
  g_clear_pointer (&def->iothread_ids, g_array_unref);
  for (guint i = 0; i < iothreads->len; i++)
    vb_domain_def_add_iothread (def, g_array_index (iothreads, IoThread, i).id, NULL);
}

static void
sync_iothread_count (VbObj *dom, gboolean live, gboolean config)
{
  GArray *iothreads = data_of (dom)->iothreads;

  if (live)
    set_iothread_ids (live_def (dom), iothreads);
  if (config)
    set_iothread_ids (config_def_for_edit (dom), iothreads);
  note_update (dom, live, config);
}

static int
find_iothread (DomData *d, guint id)
{
  for (guint i = 0; i < d->iothreads->len; i++)
    if (g_array_index (d->iothreads, IoThread, i).id == id)
      return (int) i;
  return -1;
}

static gboolean
iothread_prepare (VbObj *dom, guint id, guint flags, const char *method, gboolean *live, gboolean *config,
                  GError **error)
{
  if (!vb_check_flags (flags, AFFECT_LIVE | AFFECT_CONFIG, method, error) ||
      !vb_resolve_affect (dom, flags, live, config, error))
    return FALSE;
  if (id == 0 || id > G_MAXINT) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "an IOThread id must be between 1 and %d", G_MAXINT);
    return FALSE;
  }
  return TRUE;
}

static void
test_add_iothread (VbBackend *backend, VbObj *dom, guint id, guint flags, GTask *task)
{
  DomData *d = data_of (dom);
  GError *error = NULL;
  IoThread io = { id, DEFAULT_CPU_MASK };
  gboolean live, config;

  if (!iothread_prepare (dom, id, flags, "AddIOThread", &live, &config, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (find_iothread (d, id) >= 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "an IOThread with id %u already exists", id);
  g_array_append_val (d->iothreads, io);
  sync_iothread_count (dom, live, config);
  return_void (task);
}

static void
test_del_iothread (VbBackend *backend, VbObj *dom, guint id, guint flags, GTask *task)
{
  DomData *d = data_of (dom);
  GError *error = NULL;
  gboolean live, config;
  int idx;

  if (!iothread_prepare (dom, id, flags, "DelIOThread", &live, &config, &error)) {
    g_task_return_error (task, error);
    return;
  }
  idx = find_iothread (d, id);
  if (idx < 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "no IOThread with id %u", id);
  for (guint i = 0; i < live_def (dom)->disks->len; i++)
    if (((VbDomainDiskDef *) g_ptr_array_index (live_def (dom)->disks, i))->driver_iothread == id)
      FAIL (task, VB_ERROR_OPERATION_INVALID, "IOThread %u is in use by a disk", id);
  g_array_remove_index (d->iothreads, idx);
  sync_iothread_count (dom, live, config);
  return_void (task);
}

static void
test_get_iothread_info (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  DomData *d = data_of (dom);
  GError *error = NULL;
  GVariantBuilder b;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "GetIOThreadInfo");
  if (!check_pin_flags (dom, flags, NULL, &error)) {
    g_task_return_error (task, error);
    return;
  }
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(uab)"));
  for (guint i = 0; i < d->iothreads->len; i++) {
    IoThread *io = &g_array_index (d->iothreads, IoThread, i);
    g_variant_builder_add (&b, "(u@ab)", io->id, cpumap_to_variant (io->pin));
  }
  return_value (task, g_variant_builder_end (&b));
}

static void
test_pin_iothread (VbBackend *backend, VbObj *dom, guint id, GVariant *cpumap, guint flags, GTask *task)
{
  DomData *d = data_of (dom);
  GError *error = NULL;
  gboolean live, config;
  guint32 mask;
  int idx;

  if (!iothread_prepare (dom, id, flags, "PinIOThread", &live, &config, &error) ||
      !cpumap_from_variant (cpumap, &mask, &error)) {
    g_task_return_error (task, error);
    return;
  }
  idx = find_iothread (d, id);
  if (idx < 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "no IOThread with id %u", id);
  g_array_index (d->iothreads, IoThread, idx).pin = mask;
  return_void (task);
}

static GVariant *
param_table_to_variant (GHashTable *table)
{
  g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (table), (GCompareFunc) strcmp);
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  for (GList *l = keys; l != NULL; l = l->next)
    g_variant_builder_add (&b, "{sv}", l->data, g_hash_table_lookup (table, l->data));
  return g_variant_builder_end (&b);
}

/* Checks every parameter against the table (known key, same type) before
 * storing any of them. */
static gboolean
param_table_set (GHashTable *table, GVariant *params, const char *what, GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, params);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value)) {
    GVariant *old = g_hash_table_lookup (table, key);
    if (old == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "unknown %s parameter '%s'", what, key);
      g_variant_unref (value);
      return FALSE;
    }
    if (!g_variant_is_of_type (value, g_variant_get_type (old))) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "%s parameter '%s' must be of type '%s', not '%s'", what,
                   key, g_variant_get_type_string (old), g_variant_get_type_string (value));
      g_variant_unref (value);
      return FALSE;
    }
  }
  g_variant_iter_init (&iter, params);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    param_put (table, key, value); /* param_put takes its own reference */
  return TRUE;
}

static void
test_get_parameters (VbBackend *backend, VbObj *dom, const char *group, guint flags, GTask *task)
{
  GHashTable *table = g_hash_table_lookup (data_of (dom)->params, group);
  gboolean live, config;
  GError *error = NULL;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, group);
  if (table == NULL)
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "%s parameters are not supported by this connection", group);
  if (!vb_resolve_affect (dom, flags, &live, &config, &error)) {
    g_task_return_error (task, error);
    return;
  }
  return_value (task, param_table_to_variant (table));
}

static void
test_set_parameters (VbBackend *backend, VbObj *dom, const char *group, GVariant *params, guint flags,
                     GTask *task)
{
  GHashTable *table = g_hash_table_lookup (data_of (dom)->params, group);
  gboolean live, config;
  GError *error = NULL;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, group);
  if (table == NULL)
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "%s parameters are not supported by this connection", group);
  if (!vb_resolve_affect (dom, flags, &live, &config, &error) || !param_table_set (table, params, group, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (strcmp (group, "scheduler") == 0 || strcmp (group, "blkio") == 0)
    vb_backend_emit_domain_signal (backend, dom, "Tunable", g_variant_new ("(@a{sv})", params));
  return_void (task);
}

static GHashTable *
device_params (VbObj *dom, const char *group, const char *device, GError **error)
{
  DomData *d = data_of (dom);
  g_autofree char *key = NULL;
  GHashTable *table;
  const char *canonical;

  if (strcmp (group, "blkiotune") == 0) {
    VbDomainDiskDef *disk = device ? vb_domain_def_find_disk (live_def (dom), device) : NULL;
    if (disk == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "domain '%s' has no disk '%s'", dom->name,
                   device ? device : "");
      return NULL;
    }
    canonical = disk->dst;
  } else if (strcmp (group, "interface") == 0) {
    VbDomainNetDef *net = device ? vb_domain_def_find_net_by_target (live_def (dom), device) : NULL;
    if (net == NULL && device)
      net = vb_domain_def_find_net_by_mac (live_def (dom), device);
    if (net == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "domain '%s' has no interface '%s'", dom->name,
                   device ? device : "");
      return NULL;
    }
    canonical = net->mac;
  } else {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "%s parameters are not supported by this connection",
                 group);
    return NULL;
  }
  key = g_strdup_printf ("%s/%s", group, canonical);
  table = g_hash_table_lookup (d->dev_params, key);
  if (table != NULL)
    return table;
  table = param_table_new ();
  if (strcmp (group, "blkiotune") == 0) {
    static const char *const keys[] = {
      "total_bytes_sec", "read_bytes_sec", "write_bytes_sec", "total_iops_sec", "read_iops_sec", "write_iops_sec",
      "total_bytes_sec_max", "read_bytes_sec_max", "write_bytes_sec_max", "total_iops_sec_max",
      "read_iops_sec_max", "write_iops_sec_max", "size_iops_sec",
    };
    for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
      param_put (table, keys[i], g_variant_new_uint64 (0));
    param_put (table, "group_name", g_variant_new_string (""));
  } else {
    static const char *const keys[] = {
      "inbound.average", "inbound.peak", "inbound.burst", "inbound.floor",
      "outbound.average", "outbound.peak", "outbound.burst",
    };
    for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
      param_put (table, keys[i], g_variant_new_uint32 (0));
  }
  g_hash_table_insert (d->dev_params, g_steal_pointer (&key), table);
  return table;
}

static void
test_get_device_parameters (VbBackend *backend, VbObj *dom, const char *group, const char *device, guint flags,
                            GTask *task)
{
  gboolean live, config;
  GError *error = NULL;
  GHashTable *table;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, group);
  if (!vb_resolve_affect (dom, flags, &live, &config, &error) ||
      (table = device_params (dom, group, device, &error)) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  return_value (task, param_table_to_variant (table));
}

static void
test_set_device_parameters (VbBackend *backend, VbObj *dom, const char *group, const char *device,
                            GVariant *params, guint flags, GTask *task)
{
  gboolean live, config;
  GError *error = NULL;
  GHashTable *table;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, group);
  if (!vb_resolve_affect (dom, flags, &live, &config, &error) ||
      (table = device_params (dom, group, device, &error)) == NULL ||
      !param_table_set (table, params, group, &error)) {
    g_task_return_error (task, error);
    return;
  }
  return_void (task);
}

/* ---- jobs ---- */

static void
test_get_job_info (VbBackend *backend, VbObj *dom, GTask *task)
{
  REQUIRE_ACTIVE (task, dom);
  /* Every operation of this driver finishes at once: never a job running. */
  return_value (task, g_variant_new ("(ittttttttttt)", 0, (guint64) 0, (guint64) 0, (guint64) 0, (guint64) 0,
                                     (guint64) 0, (guint64) 0, (guint64) 0, (guint64) 0, (guint64) 0, (guint64) 0,
                                     (guint64) 0));
}

static void
test_get_job_stats (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  DomData *d = data_of (dom);

  CHECK_FLAGS (task, flags, 0x3 /* COMPLETED, KEEP_COMPLETED */, "GetJobStats");
  if (flags & 0x1) {
    GVariant *job = d->completed_job;
    if (job == NULL) {
      return_value (task, g_variant_new ("(i@a{sv})", 0, g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)));
      return;
    }
    return_value (task, job); /* return_value takes its own reference */
    if (!(flags & 0x2))
      g_clear_pointer (&d->completed_job, g_variant_unref);
    return;
  }
  REQUIRE_ACTIVE (task, dom);
  return_value (task, g_variant_new ("(i@a{sv})", 0, g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)));
}

static void
test_abort_job (VbBackend *backend, VbObj *dom, GTask *task)
{
  REQUIRE_ACTIVE (task, dom);
  FAIL (task, VB_ERROR_OPERATION_INVALID, "no job is active on domain '%s'", dom->name);
}

/* ---- block devices and block jobs ---- */

static VbDomainDiskDef *
lookup_disk (VbObj *dom, const char *disk, GError **error)
{
  VbDomainDiskDef *d = (disk && *disk) ? vb_domain_def_find_disk (live_def (dom), disk) : NULL;

  if (d == NULL)
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "domain '%s' has no disk '%s'", dom->name,
                 disk ? disk : "");
  return d;
}

static guint64
block_job_cur (VbObj *dom, BlockJob *job)
{
  guint64 end = disk_capacity (dom, job->disk);
  gint64 elapsed = g_get_monotonic_time () - job->started;

  if (job->ready || elapsed >= BLOCK_JOB_DURATION_US)
    return end;
  return (guint64) ((double) end * elapsed / BLOCK_JOB_DURATION_US);
}

static gboolean
block_job_progress_done (gpointer user_data)
{
  BlockJob *job = user_data;
  VbBackend *backend = job->backend;
  VbObj *dom = job->dom;
  g_autofree char *disk = g_strdup (job->disk);
  int type = job->type;

  job->timeout_id = 0;
  if (type == BLOCK_JOB_COPY || type == BLOCK_JOB_ACTIVE_COMMIT) {
    /* Mirrors wait for the user to pivot or cancel. */
    job->ready = TRUE;
    vb_backend_emit_domain_signal (backend, dom, "BlockJob", g_variant_new ("(sii)", disk, type, BLOCK_JOB_READY));
    return G_SOURCE_REMOVE;
  }
  g_hash_table_remove (data_of (dom)->block_jobs, disk);
  vb_backend_emit_domain_signal (backend, dom, "BlockJob", g_variant_new ("(sii)", disk, type, BLOCK_JOB_COMPLETED));
  return G_SOURCE_REMOVE;
}

static void
start_block_job (VbBackend *backend, VbObj *dom, const char *disk, int type, guint64 bandwidth_bytes, GTask *task)
{
  DomData *d = data_of (dom);
  VbDomainDiskDef *def_disk;
  GError *error = NULL;
  BlockJob *job;

  REQUIRE_ACTIVE (task, dom);
  if ((def_disk = lookup_disk (dom, disk, &error)) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  if (g_hash_table_contains (d->block_jobs, def_disk->dst))
    FAIL (task, VB_ERROR_OPERATION_INVALID, "disk '%s' already in active block job", def_disk->dst);
  job = g_new0 (BlockJob, 1);
  job->backend = backend;
  job->dom = dom;
  job->disk = g_strdup (def_disk->dst);
  job->type = type;
  job->bandwidth = bandwidth_bytes;
  job->started = g_get_monotonic_time ();
  job->timeout_id = g_timeout_add (BLOCK_JOB_DURATION_US / 1000, block_job_progress_done, job);
  g_hash_table_insert (d->block_jobs, job->disk, job);
  return_void (task);
}

static void
test_block_peek (VbBackend *backend, VbObj *dom, const char *disk, guint64 offset, guint64 size, guint flags,
                 GTask *task)
{
  g_autofree guint8 *buf = NULL;
  VbDomainDiskDef *d;
  GError *error = NULL;
  guint64 cap;

  CHECK_FLAGS (task, flags, 0, "BlockPeek");
  REQUIRE_ACTIVE (task, dom);
  if ((d = lookup_disk (dom, disk, &error)) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  cap = disk_capacity (dom, d->dst);
  if (size > PEEK_MAX)
    FAIL (task, VB_ERROR_INVALID_ARG, "at most %d bytes can be read at once", PEEK_MAX);
  if (offset > cap || size > cap - offset)
    FAIL (task, VB_ERROR_INVALID_ARG, "range %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT
          " is beyond the end of disk '%s'", offset, size, d->dst);
  /* A never-written image reads as zeroes. */
  buf = g_malloc0 (size ? size : 1);
  return_value (task, g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, buf, size, 1));
}

static void
test_block_resize (VbBackend *backend, VbObj *dom, const char *disk, guint64 size, guint flags, GTask *task)
{
  VbDomainDiskDef *d;
  GError *error = NULL;
  guint64 bytes;

  CHECK_FLAGS (task, flags, BLOCK_RESIZE_BYTES, "BlockResize");
  REQUIRE_ACTIVE (task, dom);
  if ((d = lookup_disk (dom, disk, &error)) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  if (!(flags & BLOCK_RESIZE_BYTES) && size > G_MAXUINT64 / 1024)
    FAIL (task, VB_ERROR_INVALID_ARG, "size %" G_GUINT64_FORMAT " KiB is too large", size);
  bytes = flags & BLOCK_RESIZE_BYTES ? size : size * 1024;
  if (bytes == 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "a disk cannot be resized to 0 bytes");
  g_hash_table_replace (data_of (dom)->disk_capacity, g_strdup (d->dst), g_memdup2 (&bytes, sizeof bytes));
  return_void (task);
}

static guint64
bandwidth_bytes (guint64 bandwidth, gboolean in_bytes)
{
  return in_bytes ? bandwidth : bandwidth * 1024 * 1024;
}

static void
test_block_commit (VbBackend *backend, VbObj *dom, const char *disk, const char *base, const char *top,
                   guint64 bandwidth, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags,
               BLOCK_COMMIT_SHALLOW | BLOCK_COMMIT_DELETE | BLOCK_COMMIT_ACTIVE | BLOCK_COMMIT_RELATIVE |
               BLOCK_COMMIT_BANDWIDTH_BYTES,
               "BlockCommit");
  start_block_job (backend, dom, disk, flags & BLOCK_COMMIT_ACTIVE ? BLOCK_JOB_ACTIVE_COMMIT : BLOCK_JOB_COMMIT,
                   bandwidth_bytes (bandwidth, flags & BLOCK_COMMIT_BANDWIDTH_BYTES), task);
}

static void
test_block_copy (VbBackend *backend, VbObj *dom, const char *disk, const char *destxml, GVariant *params,
                 guint flags, GTask *task)
{
  guint64 bandwidth = 0;

  CHECK_FLAGS (task, flags,
               BLOCK_COPY_SHALLOW | BLOCK_COPY_REUSE_EXT | BLOCK_COPY_TRANSIENT_JOB | BLOCK_COPY_SYNCHRONOUS_WRITES,
               "BlockCopy");
  if (destxml == NULL || *destxml == '\0')
    FAIL (task, VB_ERROR_INVALID_ARG, "a destination disk XML is required");
  if (params != NULL)
    g_variant_lookup (params, "bandwidth", "t", &bandwidth);
  start_block_job (backend, dom, disk, BLOCK_JOB_COPY, bandwidth, task);
}

static void
test_block_pull (VbBackend *backend, VbObj *dom, const char *disk, guint64 bandwidth, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, BLOCK_PULL_BANDWIDTH_BYTES, "BlockPull");
  start_block_job (backend, dom, disk, BLOCK_JOB_PULL,
                   bandwidth_bytes (bandwidth, flags & BLOCK_PULL_BANDWIDTH_BYTES), task);
}

static void
test_block_rebase (VbBackend *backend, VbObj *dom, const char *disk, const char *base, guint64 bandwidth,
                   guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags,
               BLOCK_REBASE_SHALLOW | BLOCK_REBASE_REUSE_EXT | BLOCK_REBASE_COPY_RAW | BLOCK_REBASE_COPY |
               BLOCK_REBASE_RELATIVE | BLOCK_REBASE_COPY_DEV | BLOCK_REBASE_BANDWIDTH_BYTES,
               "BlockRebase");
  start_block_job (backend, dom, disk, flags & BLOCK_REBASE_COPY ? BLOCK_JOB_COPY : BLOCK_JOB_PULL,
                   bandwidth_bytes (bandwidth, flags & BLOCK_REBASE_BANDWIDTH_BYTES), task);
}

static BlockJob *
lookup_block_job (VbObj *dom, const char *disk, GError **error)
{
  VbDomainDiskDef *d;
  BlockJob *job;

  if (!dom->active) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
    return NULL;
  }
  if ((d = lookup_disk (dom, disk, error)) == NULL)
    return NULL;
  job = g_hash_table_lookup (data_of (dom)->block_jobs, d->dst);
  if (job == NULL)
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "disk '%s' does not have an active block job",
                 d->dst);
  return job;
}

static void
test_block_job_abort (VbBackend *backend, VbObj *dom, const char *disk, guint flags, GTask *task)
{
  g_autofree char *dst = NULL;
  GError *error = NULL;
  BlockJob *job;
  int type, status;

  CHECK_FLAGS (task, flags, BLOCK_JOB_ABORT_ASYNC | BLOCK_JOB_ABORT_PIVOT, "BlockJobAbort");
  if ((job = lookup_block_job (dom, disk, &error)) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  if ((flags & BLOCK_JOB_ABORT_PIVOT) && !job->ready)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "block job on disk '%s' is not ready to pivot yet", job->disk);
  dst = g_strdup (job->disk);
  type = job->type;
  status = flags & BLOCK_JOB_ABORT_PIVOT ? BLOCK_JOB_COMPLETED : BLOCK_JOB_CANCELED;
  g_hash_table_remove (data_of (dom)->block_jobs, dst);
  vb_backend_emit_domain_signal (backend, dom, "BlockJob", g_variant_new ("(sii)", dst, type, status));
  return_void (task);
}

static void
test_block_job_set_speed (VbBackend *backend, VbObj *dom, const char *disk, guint64 bandwidth, guint flags,
                          GTask *task)
{
  GError *error = NULL;
  BlockJob *job;

  CHECK_FLAGS (task, flags, BLOCK_JOB_SPEED_BANDWIDTH_BYTES, "BlockJobSetSpeed");
  if ((job = lookup_block_job (dom, disk, &error)) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  job->bandwidth = bandwidth_bytes (bandwidth, flags & BLOCK_JOB_SPEED_BANDWIDTH_BYTES);
  return_void (task);
}

static void
test_get_block_job_info (VbBackend *backend, VbObj *dom, const char *disk, guint flags, GTask *task)
{
  VbDomainDiskDef *d;
  GError *error = NULL;
  BlockJob *job;
  guint64 bw;

  CHECK_FLAGS (task, flags, BLOCK_JOB_INFO_BANDWIDTH_BYTES, "GetBlockJobInfo");
  REQUIRE_ACTIVE (task, dom);
  if ((d = lookup_disk (dom, disk, &error)) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  job = g_hash_table_lookup (data_of (dom)->block_jobs, d->dst);
  if (job == NULL) {
    return_value (task, g_variant_new ("(ittt)", 0, (guint64) 0, (guint64) 0, (guint64) 0));
    return;
  }
  bw = flags & BLOCK_JOB_INFO_BANDWIDTH_BYTES ? job->bandwidth : job->bandwidth / (1024 * 1024);
  return_value (task, g_variant_new ("(ittt)", job->type, bw, block_job_cur (dom, job),
                                     disk_capacity (dom, job->disk)));
}

/* ---- migration tunables (no migration happens) ---- */

static void
test_migrate_get_compression_cache (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "MigrateGetCompressionCache");
  REQUIRE_ACTIVE (task, dom);
  return_value (task, g_variant_new_uint64 (data_of (dom)->compression_cache));
}

static void
test_migrate_set_compression_cache (VbBackend *backend, VbObj *dom, guint64 size, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "MigrateSetCompressionCache");
  REQUIRE_ACTIVE (task, dom);
  if (size == 0 || (size & (size - 1)) != 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "the compression cache size must be a power of two, not %" G_GUINT64_FORMAT,
          size);
  data_of (dom)->compression_cache = size;
  return_void (task);
}

static void
test_migrate_get_max_speed (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 1 /* POSTCOPY */, "MigrateGetMaxSpeed");
  return_value (task, g_variant_new_uint64 (flags & 1 ? data_of (dom)->max_speed_postcopy
                                                      : data_of (dom)->max_speed));
}

static void
test_migrate_set_max_speed (VbBackend *backend, VbObj *dom, guint64 bandwidth, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 1 /* POSTCOPY */, "MigrateSetMaxSpeed");
  if (bandwidth > G_GUINT64_CONSTANT (8796093022207))
    FAIL (task, VB_ERROR_INVALID_ARG, "bandwidth must be at most 8796093022207 MiB/s");
  if (flags & 1)
    data_of (dom)->max_speed_postcopy = bandwidth;
  else
    data_of (dom)->max_speed = bandwidth;
  return_void (task);
}

static void
test_migrate_set_max_downtime (VbBackend *backend, VbObj *dom, guint64 downtime, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "MigrateSetMaxDowntime");
  REQUIRE_ACTIVE (task, dom);
  if (downtime == 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "the maximum downtime must be greater than 0 ms");
  data_of (dom)->max_downtime = downtime;
  return_void (task);
}

static void
test_migrate_start_post_copy (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "MigrateStartPostCopy");
  REQUIRE_ACTIVE (task, dom);
  FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not being migrated", dom->name);
}

/* ---- the interface and the initial objects ---- */

void
vb_test_domain_ops_init (VbDomainOpsInterface *iface)
{
  iface->define_xml = test_define_xml;
  iface->create_xml = test_create_xml;
  iface->restore = test_restore;
  iface->save_image_get_xml_desc = test_save_image_get_xml_desc;
  iface->save_image_define_xml = test_save_image_define_xml;
  iface->get_all_domain_stats = test_get_all_domain_stats;

  iface->get_scheduler_type = test_get_scheduler_type;
  iface->set_autostart = test_set_autostart;

  iface->create = test_create;
  iface->create_with_files = test_create_with_files;
  iface->shutdown = test_shutdown;
  iface->reboot = test_reboot;
  iface->reset = test_reset;
  iface->destroy = test_destroy;
  iface->suspend = test_suspend;
  iface->resume = test_resume;
  iface->undefine = test_undefine;
  iface->pm_wakeup = test_pm_wakeup;
  iface->inject_nmi = test_inject_nmi;
  iface->rename = test_rename;
  iface->save = test_save;
  iface->managed_save = test_managed_save;
  iface->has_managed_save_image = test_has_managed_save_image;
  iface->managed_save_remove = test_managed_save_remove;
  iface->core_dump = test_core_dump;
  iface->send_key = test_send_key;
  iface->send_process_signal = test_send_process_signal;

  iface->get_xml_desc = test_get_xml_desc;
  iface->get_state = test_get_state;
  iface->get_control_info = test_get_control_info;
  iface->get_metadata = test_get_metadata;
  iface->set_metadata = test_set_metadata;
  iface->get_hostname = test_get_hostname;
  iface->get_time = test_get_time;
  iface->set_time = test_set_time;
  iface->get_security_label_list = test_get_security_label_list;
  iface->get_disk_errors = test_get_disk_errors;
  iface->get_fs_info = test_get_fs_info;
  iface->fs_freeze = test_fs_freeze;
  iface->fs_thaw = test_fs_thaw;
  iface->fs_trim = test_fs_trim;
  iface->interface_addresses = test_interface_addresses;
  iface->set_user_password = test_set_user_password;

  iface->attach_device = test_attach_device;
  iface->detach_device = test_detach_device;
  iface->update_device = test_update_device;
  iface->open_graphics_fd = test_open_graphics_fd;

  iface->set_memory = test_set_memory;
  iface->set_memory_stats_period = test_set_memory_stats_period;
  iface->memory_stats = test_memory_stats;
  iface->memory_peek = test_memory_peek;
  iface->set_vcpus = test_set_vcpus;
  iface->get_vcpus = test_get_vcpus;
  iface->get_vcpu_pin_info = test_get_vcpu_pin_info;
  iface->pin_vcpu = test_pin_vcpu;
  iface->get_emulator_pin_info = test_get_emulator_pin_info;
  iface->pin_emulator = test_pin_emulator;
  iface->get_guest_vcpus = test_get_guest_vcpus;
  iface->set_guest_vcpus = test_set_guest_vcpus;
  iface->add_iothread = test_add_iothread;
  iface->del_iothread = test_del_iothread;
  iface->get_iothread_info = test_get_iothread_info;
  iface->pin_iothread = test_pin_iothread;
  iface->get_parameters = test_get_parameters;
  iface->set_parameters = test_set_parameters;
  iface->get_device_parameters = test_get_device_parameters;
  iface->set_device_parameters = test_set_device_parameters;

  iface->get_stats = test_get_stats;
  iface->get_job_info = test_get_job_info;
  iface->get_job_stats = test_get_job_stats;
  iface->abort_job = test_abort_job;

  iface->block_peek = test_block_peek;
  iface->block_resize = test_block_resize;
  iface->block_commit = test_block_commit;
  iface->block_copy = test_block_copy;
  iface->block_job_abort = test_block_job_abort;
  iface->block_pull = test_block_pull;
  iface->block_rebase = test_block_rebase;
  iface->block_job_set_speed = test_block_job_set_speed;
  iface->get_block_job_info = test_get_block_job_info;

  /* No migration in the test driver: the migrate_* ops stay NULL. */
  iface->migrate_get_compression_cache = test_migrate_get_compression_cache;
  iface->migrate_set_compression_cache = test_migrate_set_compression_cache;
  iface->migrate_get_max_speed = test_migrate_get_max_speed;
  iface->migrate_set_max_speed = test_migrate_set_max_speed;
  iface->migrate_set_max_downtime = test_migrate_set_max_downtime;
  iface->migrate_start_post_copy = test_migrate_start_post_copy;
}

/* The domain of test:///default, as `virsh -c test:///default dumpxml test`
 * shows it. */
static const char default_domain_xml[] =
  "<domain type='test' id='1'>\n"
  "  <name>test</name>\n"
  "  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>\n"
  "  <memory unit='KiB'>8388608</memory>\n"
  "  <currentMemory unit='KiB'>2097152</currentMemory>\n"
  "  <vcpu placement='static'>2</vcpu>\n"
  "  <os>\n"
  "    <type arch='i686'>hvm</type>\n"
  "    <boot dev='hd'/>\n"
  "  </os>\n"
  "  <clock offset='utc'/>\n"
  "  <on_poweroff>destroy</on_poweroff>\n"
  "  <on_reboot>restart</on_reboot>\n"
  "  <on_crash>destroy</on_crash>\n"
  "  <devices>\n"
  "    <disk type='file' device='disk'>\n"
  "      <source file='/guest/diskimage1'/>\n"
  "      <target dev='vda' bus='virtio'/>\n"
  "      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n"
  "    </disk>\n"
  "    <interface type='network'>\n"
  "      <mac address='aa:bb:cc:dd:ee:ff'/>\n"
  "      <source network='default'/>\n"
  "      <target dev='testnet0'/>\n"
  "      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>\n"
  "    </interface>\n"
  "    <memballoon model='virtio'>\n"
  "      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>\n"
  "    </memballoon>\n"
  "  </devices>\n"
  "</domain>\n";

gboolean
vb_test_domain_populate (VbTestBackend *self, GError **error)
{
  g_autoptr(VbDomainDef) def = vb_domain_def_parse (default_domain_xml, error);
  g_autoptr(VbObj) dom = NULL;

  if (def == NULL) {
    g_prefix_error (error, "the built-in test domain does not parse: ");
    return FALSE;
  }
  dom = new_domain (self, g_steal_pointer (&def));
  vb_obj_set_persistent (dom, TRUE);
  /* Already running when the connection opens, with reason "unknown", as
   * in the test driver. */
  vb_test_domain_set_state (dom, VB_DOMAIN_RUNNING, RUNNING_UNKNOWN, self->next_domain_id++);
  vb_backend_add_object (VB_BACKEND (self), dom);
  return TRUE;
}
