/* The host's own answers on qemu://: NodeGetInfo, NodeGetFreeMemory,
 * NodeGetCPUMap, NodeGetCPUStats, NodeGetMemoryStats, the KSM tunables of
 * Node{Get,Set}MemoryParameters, NodeGetSecurityModel and GetSysinfo
 * (vb-qemu-smbios.c), read from /proc and /sys as libvirt's QEMU driver
 * reports them on the same host.
 *
 * VIRTBUS_HOST_ROOT (tests only) moves the /proc and /sys read here under
 * another directory, so a test can give the daemon a host of its making
 * (KSM files to write, an SMBIOS table) without touching the real one. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "vb-qemu-private.h"

char *
vb_qemu_host_path (const char *path)
{
  const char *root = g_getenv ("VIRTBUS_HOST_ROOT");

  return g_build_filename (root != NULL && *root != '\0' ? root : "/", path, NULL);
}

static char *
read_host_file (const char *path, GError **error)
{
  g_autofree char *full = vb_qemu_host_path (path);
  char *contents = NULL;

  if (!g_file_get_contents (full, &contents, NULL, error))
    return NULL;
  return contents;
}

/* ---- CPU lists ("0-3,8,10-11", the kernel's format) ---- */

/* Sets the CPUs of @list in @bits (gboolean per CPU), grown as needed. */
static gboolean
parse_cpu_list (const char *list, GArray *bits, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (list, ",", -1);

  for (guint i = 0; parts[i] != NULL; i++) {
    char *part = g_strstrip (parts[i]);
    char *end = NULL;
    guint64 lo, hi;

    if (*part == '\0')
      continue;
    lo = g_ascii_strtoull (part, &end, 10);
    hi = lo;
    if (end == part)
      goto bad;
    if (*end == '-') {
      const char *start = end + 1;
      hi = g_ascii_strtoull (start, &end, 10);
      if (end == start)
        goto bad;
    }
    if (*end != '\0' || hi < lo || hi >= 65536)
      goto bad;
    if (bits->len <= hi)
      g_array_set_size (bits, (guint) hi + 1);
    for (guint64 c = lo; c <= hi; c++)
      g_array_index (bits, gboolean, c) = TRUE;
  }
  return TRUE;

bad:
  g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot parse the CPU list '%s'", list);
  return FALSE;
}

static GArray *
read_cpu_list (const char *path, GError **error)
{
  g_autofree char *text = read_host_file (path, error);
  g_autoptr(GArray) bits = g_array_new (FALSE, TRUE, sizeof (gboolean));

  if (text == NULL || !parse_cpu_list (text, bits, error))
    return NULL;
  return g_steal_pointer (&bits);
}

/* ---- NUMA nodes ---- */

static int
compare_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;
  return x < y ? -1 : x > y;
}

/* The ids of the host's NUMA nodes (sorted), or NULL when the kernel has
 * no NUMA sysfs. */
static GArray *
numa_nodes (void)
{
  g_autofree char *dir_path = vb_qemu_host_path ("sys/devices/system/node");
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr(GArray) ids = NULL;
  const char *name;

  if (dir == NULL)
    return NULL;
  ids = g_array_new (FALSE, FALSE, sizeof (guint));
  while ((name = g_dir_read_name (dir)) != NULL) {
    char *end = NULL;
    guint64 id;

    if (!g_str_has_prefix (name, "node") || !g_ascii_isdigit (name[4]))
      continue;
    id = g_ascii_strtoull (name + 4, &end, 10);
    if (*end == '\0' && id < 65536) {
      guint v = (guint) id;
      g_array_append_val (ids, v);
    }
  }
  if (ids->len == 0)
    return NULL;
  g_array_sort (ids, compare_uint);
  return g_steal_pointer (&ids);
}

/* "Key: value kB" lines of a meminfo file (/proc/meminfo, or a node's with
 * its "Node N " prefix): the value of @key in KiB. */
static gboolean
meminfo_value (const char *contents, const char *key, guint64 *kib)
{
  gsize keylen = strlen (key);

  for (const char *line = contents; line != NULL && *line != '\0';) {
    const char *eol = strchr (line, '\n');
    const char *p = line;

    if (g_str_has_prefix (p, "Node ")) {
      p += 5;
      while (g_ascii_isdigit (*p))
        p++;
      while (*p == ' ')
        p++;
    }
    if (strncmp (p, key, keylen) == 0 && p[keylen] == ':') {
      *kib = g_ascii_strtoull (p + keylen + 1, NULL, 10);
      return TRUE;
    }
    line = eol ? eol + 1 : NULL;
  }
  return FALSE;
}

static char *
node_meminfo (guint node, GError **error)
{
  g_autofree char *path = g_strdup_printf ("sys/devices/system/node/node%u/meminfo", node);
  return read_host_file (path, error);
}

/* The host's memory, total and free (KiB): the sum over its NUMA nodes,
 * or /proc/meminfo without NUMA, as libvirt counts it. */
static gboolean
host_memory (guint64 *total, guint64 *free_kib, GError **error)
{
  g_autoptr(GArray) nodes = numa_nodes ();
  g_autofree char *meminfo = NULL;

  *total = *free_kib = 0;
  if (nodes != NULL) {
    for (guint i = 0; i < nodes->len; i++) {
      g_autofree char *text = node_meminfo (g_array_index (nodes, guint, i), error);
      guint64 t = 0, f = 0;

      if (text == NULL)
        return FALSE;
      meminfo_value (text, "MemTotal", &t);
      meminfo_value (text, "MemFree", &f);
      *total += t;
      *free_kib += f;
    }
    return TRUE;
  }
  meminfo = read_host_file ("proc/meminfo", error);
  if (meminfo == NULL)
    return FALSE;
  meminfo_value (meminfo, "MemTotal", total);
  meminfo_value (meminfo, "MemFree", free_kib);
  return TRUE;
}

/* ---- NodeGetFreeMemory ---- */

static gboolean
node_get_free_memory (VbBackend *backend, guint64 *bytes, GError **error)
{
  guint64 total = 0, free_kib = 0;

  if (!host_memory (&total, &free_kib, error))
    return FALSE;
  *bytes = free_kib * 1024;
  return TRUE;
}

/* ---- NodeGetCPUMap, NodeGetCPUStats ---- */

static GVariant *
node_get_cpu_map (VbBackend *backend, guint flags, GError **error)
{
  g_autoptr(GArray) present = NULL;
  g_autoptr(GArray) online = NULL;
  GVariantBuilder b;

  if (!vb_check_flags (flags, 0, "NodeGetCPUMap", error))
    return NULL;
  present = read_cpu_list ("sys/devices/system/cpu/present", error);
  if (present == NULL)
    return NULL;
  online = read_cpu_list ("sys/devices/system/cpu/online", error);
  if (online == NULL)
    return NULL;
  /* One entry per CPU up to the highest present one. */
  g_variant_builder_init (&b, G_VARIANT_TYPE ("ab"));
  for (guint i = 0; i < present->len; i++)
    g_variant_builder_add (&b, "b", i < online->len && g_array_index (online, gboolean, i));
  return g_variant_builder_end (&b);
}

static GVariant *
node_get_cpu_stats (VbBackend *backend, int cpu, guint flags, GError **error)
{
  g_autofree char *stat = NULL;
  g_autofree char *prefix = NULL;
  guint64 v[7] = { 0 };
  guint64 tick_ns;
  const char *line = NULL;
  GVariantBuilder b;

  if (!vb_check_flags (flags, 0, "NodeGetCPUStats", error))
    return NULL;
  /* -1 is VIR_NODE_CPU_STATS_ALL_CPUS: the "cpu" line, the sum of all. */
  if (cpu < -1) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "invalid CPU number %d", cpu);
    return NULL;
  }
  stat = read_host_file ("proc/stat", error);
  if (stat == NULL)
    return NULL;
  prefix = cpu == -1 ? g_strdup ("cpu ") : g_strdup_printf ("cpu%d ", cpu);
  for (const char *p = stat; p != NULL && *p != '\0' && line == NULL;) {
    if (g_str_has_prefix (p, prefix))
      line = p + strlen (prefix);
    p = strchr (p, '\n');
    p = p ? p + 1 : NULL;
  }
  if (line == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "invalid CPU number %d: the host has no such online CPU",
                 cpu);
    return NULL;
  }
  /* user nice system idle iowait irq softirq, in clock ticks */
  for (guint i = 0; i < G_N_ELEMENTS (v); i++) {
    char *end = NULL;
    v[i] = g_ascii_strtoull (line, &end, 10);
    if (end == line) {
      g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot parse /proc/stat's line for CPU %d", cpu);
      return NULL;
    }
    line = end;
  }
  tick_ns = G_GUINT64_CONSTANT (1000000000) / (guint64) sysconf (_SC_CLK_TCK);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{st}"));
  g_variant_builder_add (&b, "{st}", "kernel", (v[2] + v[5] + v[6]) * tick_ns);
  g_variant_builder_add (&b, "{st}", "user", (v[0] + v[1]) * tick_ns);
  g_variant_builder_add (&b, "{st}", "idle", v[3] * tick_ns);
  g_variant_builder_add (&b, "{st}", "iowait", v[4] * tick_ns);
  return g_variant_builder_end (&b);
}

/* ---- NodeGetMemoryStats ---- */

static GVariant *
node_get_memory_stats (VbBackend *backend, int cell, guint flags, GError **error)
{
  static const struct { const char *key, *name; } fields[] = {
    { "MemTotal", "total" }, { "MemFree", "free" }, { "Buffers", "buffers" }, { "Cached", "cached" },
  };
  g_autofree char *text = NULL;
  GVariantBuilder b;

  if (!vb_check_flags (flags, 0, "NodeGetMemoryStats", error))
    return NULL;
  /* -1 is VIR_NODE_MEMORY_STATS_ALL_CELLS: /proc/meminfo; a cell is a
   * NUMA node, which counts no buffers or page cache of its own. */
  if (cell == -1) {
    text = read_host_file ("proc/meminfo", error);
  } else {
    g_autoptr(GArray) nodes = numa_nodes ();
    guint last = nodes ? g_array_index (nodes, guint, nodes->len - 1) : 0;
    gboolean known = FALSE;

    for (guint i = 0; nodes != NULL && i < nodes->len; i++)
      known |= (int) g_array_index (nodes, guint, i) == cell;
    if (cell < -1 || (nodes == NULL && cell != 0) || (nodes != NULL && !known)) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "invalid cell number %d: the host has cells 0 to %u", cell,
                   last);
      return NULL;
    }
    text = nodes ? node_meminfo ((guint) cell, error) : read_host_file ("proc/meminfo", error);
  }
  if (text == NULL)
    return NULL;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{st}"));
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++) {
    guint64 kib;
    if (meminfo_value (text, fields[i].key, &kib))
      g_variant_builder_add (&b, "{st}", fields[i].name, kib);
  }
  return g_variant_builder_end (&b);
}

/* ---- Node{Get,Set}MemoryParameters: KSM ---- */

typedef struct {
  const char *name; /* libvirt's */
  const char *file; /* under /sys/kernel/mm/ksm */
  gboolean writable;
  gboolean is_uint; /* "u", else "t" */
} KsmParam;

static const KsmParam ksm_params[] = {
  { "shm_pages_to_scan", "pages_to_scan", TRUE, TRUE },
  { "shm_sleep_millisecs", "sleep_millisecs", TRUE, TRUE },
  { "shm_pages_shared", "pages_shared", FALSE, FALSE },
  { "shm_pages_sharing", "pages_sharing", FALSE, FALSE },
  { "shm_pages_unshared", "pages_unshared", FALSE, FALSE },
  { "shm_pages_volatile", "pages_volatile", FALSE, FALSE },
  { "shm_full_scans", "full_scans", FALSE, FALSE },
  { "shm_merge_across_nodes", "merge_across_nodes", TRUE, TRUE },
};

static char *
ksm_path (const KsmParam *param)
{
  g_autofree char *rel = g_build_filename ("sys/kernel/mm/ksm", param->file, NULL);
  return vb_qemu_host_path (rel);
}

static gboolean
ksm_available (GError **error)
{
  g_autofree char *dir = vb_qemu_host_path ("sys/kernel/mm/ksm");

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "the host's kernel has no kernel same-page merging (no /sys/kernel/mm/ksm)");
    return FALSE;
  }
  return TRUE;
}

/* A tunable's current value; FALSE (no error) when the kernel lacks it
 * (merge_across_nodes without NUMA). */
static gboolean
ksm_read (const KsmParam *param, guint64 *value, GError **error)
{
  g_autofree char *path = ksm_path (param);
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  char *end = NULL;

  if (!g_file_get_contents (path, &text, NULL, &local)) {
    if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      return FALSE;
    g_propagate_error (error, g_steal_pointer (&local));
    return FALSE;
  }
  *value = g_ascii_strtoull (text, &end, 10);
  if (end == text) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot parse %s", path);
    return FALSE;
  }
  return TRUE;
}

static GVariant *
node_get_memory_parameters (VbBackend *backend, guint flags, GError **error)
{
  GVariantBuilder b;

  if (!vb_check_flags (flags, 0, "NodeGetMemoryParameters", error) || !ksm_available (error))
    return NULL;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  for (guint i = 0; i < G_N_ELEMENTS (ksm_params); i++) {
    GError *local = NULL;
    guint64 v;

    if (!ksm_read (&ksm_params[i], &v, &local)) {
      if (local == NULL)
        continue;
      g_propagate_error (error, local);
      g_variant_builder_clear (&b);
      return NULL;
    }
    g_variant_builder_add (&b, "{sv}", ksm_params[i].name,
                           ksm_params[i].is_uint ? g_variant_new_uint32 ((guint32) MIN (v, G_MAXUINT32))
                                                 : g_variant_new_uint64 (v));
  }
  return g_variant_builder_end (&b);
}

static gboolean
ksm_write (const KsmParam *param, guint64 value, GError **error)
{
  g_autofree char *path = ksm_path (param);
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  ssize_t n;
  int saved;

  if (fd < 0) {
    saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot set %s: %s: %s", param->name, path, g_strerror (saved));
    return FALSE;
  }
  n = write (fd, text, strlen (text));
  saved = errno;
  close (fd);
  if (n < 0) {
    /* merge_across_nodes: EBUSY while pages are merged */
    g_set_error (error, VB_ERROR, saved == EINVAL ? VB_ERROR_INVALID_ARG : VB_ERROR_OPERATION_INVALID,
                 "cannot set %s to %s: %s%s", param->name, text, g_strerror (saved),
                 saved == EBUSY ? " (unmerge the shared pages first: /sys/kernel/mm/ksm/run = 2)" : "");
    return FALSE;
  }
  return TRUE;
}

static gboolean
node_set_memory_parameters (VbBackend *backend, GVariant *params, guint flags, GError **error)
{
  guint64 wanted[G_N_ELEMENTS (ksm_params)];
  guint64 before[G_N_ELEMENTS (ksm_params)];
  gboolean set[G_N_ELEMENTS (ksm_params)] = { FALSE };
  GVariantIter iter;
  const char *name;
  GVariant *value;

  if (!vb_check_flags (flags, 0, "NodeSetMemoryParameters", error) || !ksm_available (error))
    return FALSE;
  /* Every parameter is checked, and every current value read, before
   * anything changes. */
  g_variant_iter_init (&iter, params);
  while (g_variant_iter_loop (&iter, "{&sv}", &name, &value)) {
    guint idx = G_N_ELEMENTS (ksm_params);
    GError *local = NULL;

    for (guint i = 0; i < G_N_ELEMENTS (ksm_params); i++)
      if (strcmp (ksm_params[i].name, name) == 0)
        idx = i;
    if (idx == G_N_ELEMENTS (ksm_params)) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "unknown memory parameter '%s'", name);
      g_variant_unref (value);
      return FALSE;
    }
    if (!ksm_params[idx].writable) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "memory parameter '%s' is read-only", name);
      g_variant_unref (value);
      return FALSE;
    }
    if (!g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32)) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "memory parameter '%s' must be of type 'u', not '%s'",
                   name, g_variant_get_type_string (value));
      g_variant_unref (value);
      return FALSE;
    }
    if (!ksm_read (&ksm_params[idx], &before[idx], &local)) {
      if (local == NULL)
        g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "the host's kernel has no %s", name);
      else
        g_propagate_error (error, local);
      g_variant_unref (value);
      return FALSE;
    }
    wanted[idx] = g_variant_get_uint32 (value);
    set[idx] = TRUE;
  }
  for (guint i = 0; i < G_N_ELEMENTS (ksm_params); i++) {
    if (!set[i] || wanted[i] == before[i])
      continue;
    if (!ksm_write (&ksm_params[i], wanted[i], error)) {
      /* Those already written go back to what they were. */
      for (guint j = 0; j < i; j++)
        if (set[j] && wanted[j] != before[j] && !ksm_write (&ksm_params[j], before[j], NULL))
          g_warning ("could not set %s back to %" G_GUINT64_FORMAT, ksm_params[j].name, before[j]);
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- NodeGetSecurityModel ---- */

static GVariant *
node_get_security_model (VbBackend *backend, GError **error)
{
  /* No security driver (only <seclabel type='none'>): libvirt's "none"
   * model, as GetCapabilities' <secmodel> says. */
  return g_variant_new ("(ss)", "none", "0");
}

void
vb_qemu_host_class_init (VbBackendClass *klass)
{
  klass->node_get_free_memory = node_get_free_memory;
  klass->node_get_cpu_map = node_get_cpu_map;
  klass->node_get_cpu_stats = node_get_cpu_stats;
  klass->node_get_memory_stats = node_get_memory_stats;
  klass->node_get_memory_parameters = node_get_memory_parameters;
  klass->node_set_memory_parameters = node_set_memory_parameters;
  klass->node_get_security_model = node_get_security_model;
  klass->get_sysinfo = vb_qemu_smbios_get_sysinfo;
}
