/* Probing a qemu-system binary: one QEMU run with "-machine none -qmp stdio"
 * answering a fixed script of QMP commands (written to its stdin up front,
 * ending with "quit"), so a probe is a single child process and needs no
 * socket. Results are cached per emulator path and mtime for the life of
 * the daemon, and on disk (see "the disk cache" below). */
#define _GNU_SOURCE /* memfd_create */
#include "vb-qemu-caps.h"
#include "vb-qemu-firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vb-capabilities.h"
#include "vb-child.h"
#include "vb-error.h"
#include "vb-state-dir.h"

/* ---- the cache ---- */

typedef struct {
  gint64 mtime;
  VbQemuCaps *caps;
} CacheEntry;

static GHashTable *caps_cache; /* emulator path → CacheEntry */

static void
cache_entry_free (gpointer data)
{
  CacheEntry *entry = data;

  vb_qemu_caps_free (entry->caps);
  g_free (entry);
}

static void
machine_free (gpointer data)
{
  VbQemuMachine *machine = data;

  g_free (machine->name);
  g_free (machine->alias);
  g_free (machine);
}

static VbQemuCaps *
caps_new (const char *emulator)
{
  VbQemuCaps *caps = g_new0 (VbQemuCaps, 1);

  caps->emulator = g_strdup (emulator);
  caps->machines = g_ptr_array_new_with_free_func (machine_free);
  caps->cpu_models = g_ptr_array_new_with_free_func (g_free);
  caps->devices = g_ptr_array_new_with_free_func (g_free);
  return caps;
}

void
vb_qemu_caps_free (VbQemuCaps *caps)
{
  if (caps == NULL)
    return;
  g_free (caps->emulator);
  g_free (caps->arch);
  g_ptr_array_unref (caps->machines);
  g_ptr_array_unref (caps->cpu_models);
  g_ptr_array_unref (caps->devices);
  g_clear_pointer (&caps->cpu, vb_qemu_cpu_data_unref);
  g_free (caps->ovmf_code);
  g_free (caps->ovmf_vars);
  g_free (caps);
}

static VbQemuCaps *
caps_copy (const VbQemuCaps *src)
{
  VbQemuCaps *caps = caps_new (src->emulator);

  caps->arch = g_strdup (src->arch);
  caps->version = src->version;
  caps->kvm_available = src->kvm_available;
  caps->ovmf_code = g_strdup (src->ovmf_code);
  caps->ovmf_vars = g_strdup (src->ovmf_vars);
  caps->cpu = src->cpu != NULL ? vb_qemu_cpu_data_ref (src->cpu) : NULL;
  for (guint i = 0; i < src->machines->len; i++) {
    const VbQemuMachine *m = g_ptr_array_index (src->machines, i);
    VbQemuMachine *copy = g_new0 (VbQemuMachine, 1);

    *copy = *m;
    copy->name = g_strdup (m->name);
    copy->alias = g_strdup (m->alias);
    g_ptr_array_add (caps->machines, copy);
  }
  for (guint i = 0; i < src->cpu_models->len; i++)
    g_ptr_array_add (caps->cpu_models, g_strdup (g_ptr_array_index (src->cpu_models, i)));
  for (guint i = 0; i < src->devices->len; i++)
    g_ptr_array_add (caps->devices, g_strdup (g_ptr_array_index (src->devices, i)));
  return caps;
}

/* ---- look-ups ---- */

const VbQemuMachine *
vb_qemu_caps_find_machine (const VbQemuCaps *caps, const char *name)
{
  for (guint i = 0; i < caps->machines->len; i++) {
    const VbQemuMachine *m = g_ptr_array_index (caps->machines, i);

    if (g_strcmp0 (m->name, name) == 0 || g_strcmp0 (m->alias, name) == 0)
      return m;
  }
  return NULL;
}

const VbQemuMachine *
vb_qemu_caps_machine_or_default (const VbQemuCaps *caps, const char *name)
{
  if (name != NULL && *name != '\0')
    return vb_qemu_caps_find_machine (caps, name);
  for (guint i = 0; i < caps->machines->len; i++) {
    const VbQemuMachine *cand = g_ptr_array_index (caps->machines, i);
    if (cand->is_default)
      return cand;
  }
  return NULL;
}

gboolean
vb_qemu_caps_has_device (const VbQemuCaps *caps, const char *device)
{
  for (guint i = 0; i < caps->devices->len; i++)
    if (g_strcmp0 (g_ptr_array_index (caps->devices, i), device) == 0)
      return TRUE;
  return FALSE;
}

gboolean
vb_qemu_caps_has_cpu_model (const VbQemuCaps *caps, const char *model)
{
  for (guint i = 0; i < caps->cpu_models->len; i++)
    if (g_strcmp0 (g_ptr_array_index (caps->cpu_models, i), model) == 0)
      return TRUE;
  return FALSE;
}

/* ---- host facts ---- */

/* KVM is usable when /dev/kvm opens read-write and a vendor module is
 * loaded: on nested setups /dev/kvm may exist without either kvm_intel or
 * kvm_amd, and guests would not boot there. */
static gboolean
host_kvm_usable (void)
{
  int fd;

  if (!g_file_test ("/sys/module/kvm_intel", G_FILE_TEST_IS_DIR)
      && !g_file_test ("/sys/module/kvm_amd", G_FILE_TEST_IS_DIR))
    return FALSE;
  fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  close (fd);
  return TRUE;
}

static void
find_ovmf (VbQemuCaps *caps)
{
  static const char *const codes[] = {
    "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_CODE.fd",
    "/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/qemu/OVMF_CODE.fd",
  };
  static const char *const vars[] = {
    "/usr/share/OVMF/OVMF_VARS_4M.fd", "/usr/share/OVMF/OVMF_VARS.fd",
    "/usr/share/edk2/ovmf/OVMF_VARS.fd", "/usr/share/qemu/OVMF_VARS.fd",
  };

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++) {
    if (g_file_test (codes[i], G_FILE_TEST_IS_REGULAR) && g_file_test (vars[i], G_FILE_TEST_IS_REGULAR)) {
      caps->ovmf_code = g_strdup (codes[i]);
      caps->ovmf_vars = g_strdup (vars[i]);
      return;
    }
  }
}

/* ---- parsing the QMP transcript ---- */

static const char probe_script[] =
  "{\"execute\":\"qmp_capabilities\",\"id\":\"caps\"}\n"
  "{\"execute\":\"query-version\",\"id\":\"version\"}\n"
  "{\"execute\":\"query-machines\",\"id\":\"machines\"}\n"
  "{\"execute\":\"query-cpu-definitions\",\"id\":\"cpus\"}\n"
  "{\"execute\":\"qom-list-types\",\"arguments\":{\"implements\":\"device\",\"abstract\":false},\"id\":\"devices\"}\n"
  "{\"execute\":\"qom-list-types\",\"arguments\":{\"implements\":\"accel\"},\"id\":\"accels\"}\n"
  "{\"execute\":\"quit\",\"id\":\"quit\"}\n";

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
parse_reply (VbQemuCaps *caps, VbQemuCpuData *cpu, const char *id, JsonNode *ret, gboolean *has_kvm_accel,
             GError **error)
{
  if (g_str_equal (id, "version")) {
    JsonObject *qemu = JSON_NODE_HOLDS_OBJECT (ret)
                         ? json_object_get_object_member (json_node_get_object (ret), "qemu") : NULL;

    if (qemu == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "unexpected query-version reply");
      return FALSE;
    }
    caps->version = json_object_get_int_member (qemu, "major") * 1000000
                    + json_object_get_int_member (qemu, "minor") * 1000
                    + json_object_get_int_member (qemu, "micro");
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_ARRAY (ret))
    return TRUE;

  JsonArray *array = json_node_get_array (ret);
  guint n = json_array_get_length (array);

  for (guint i = 0; i < n; i++) {
    JsonObject *o = json_array_get_object_element (array, i);
    const char *name = o ? json_object_get_string_member_with_default (o, "name", NULL) : NULL;

    if (name == NULL)
      continue;
    if (g_str_equal (id, "machines")) {
      VbQemuMachine *m = g_new0 (VbQemuMachine, 1);

      m->name = g_strdup (name);
      m->alias = g_strdup (json_object_get_string_member_with_default (o, "alias", NULL));
      m->is_default = json_object_get_boolean_member_with_default (o, "is-default", FALSE);
      m->max_cpus = json_object_get_int_member_with_default (o, "cpu-max", 0);
      m->deprecated = json_object_get_boolean_member_with_default (o, "deprecated", FALSE);
      g_ptr_array_add (caps->machines, m);
    } else if (g_str_equal (id, "cpus")) {
      JsonArray *unavailable = json_object_has_member (o, "unavailable-features")
                                 ? json_object_get_array_member (o, "unavailable-features") : NULL;

      g_ptr_array_add (caps->cpu_models, g_strdup (name));
      /* The probe runs TCG: what TCG cannot give a guest of this model. */
      if (unavailable != NULL && json_array_get_length (unavailable) > 0)
        vb_qemu_cpu_data_set_tcg_unusable (cpu, name);
    } else if (g_str_equal (id, "devices")) {
      g_ptr_array_add (caps->devices, g_strdup (name));
    } else if (g_str_equal (id, "accels")) {
      if (g_str_equal (name, "kvm-accel"))
        *has_kvm_accel = TRUE;
    }
  }
  return TRUE;
}

static int
compare_machines (gconstpointer a, gconstpointer b)
{
  const VbQemuMachine *ma = *(const VbQemuMachine *const *) a;
  const VbQemuMachine *mb = *(const VbQemuMachine *const *) b;

  return g_strcmp0 (ma->name, mb->name);
}

/* @first: the first part's transcript. The second part's (CPU model
 * expansions) comes as QEMU wrote it (@cpu_text) or compressed as the disk
 * cache keeps it (@cpu_packed, @cpu_size long uncompressed); without a
 * complete one (neither, or a text cut short), caps->cpu is NULL. */
static VbQemuCaps *
parse_transcript (const char *emulator, const char *first, const char *cpu_text, GBytes *cpu_packed,
                  gsize cpu_size, GError **error)
{
  g_autoptr(VbQemuCaps) caps = caps_new (emulator);
  g_autoptr(VbQemuCpuData) cpu = vb_qemu_cpu_data_new ();
  g_auto(GStrv) lines = g_strsplit (first, "\n", -1);
  static const char *const ids[] = { "caps", "version", "machines", "cpus", "devices", "accels", "quit" };
  gboolean has_kvm_accel = FALSE;
  guint answered = 0;

  for (guint i = 0; lines[i] != NULL; i++) {
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *obj;
    const char *id;

    if (*g_strstrip (lines[i]) == '\0')
      continue;
    if (!json_parser_load_from_data (parser, lines[i], -1, NULL))
      continue;
    if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
      continue;
    obj = json_node_get_object (json_parser_get_root (parser));
    id = json_object_get_string_member_with_default (obj, "id", NULL);
    if (id == NULL)
      continue;
    if (json_object_has_member (obj, "error")) {
      JsonObject *err = json_object_get_object_member (obj, "error");

      g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "probing %s: %s failed: %s", emulator, id,
                   err ? json_object_get_string_member_with_default (err, "desc", "?") : "?");
      return NULL;
    }
    if (!json_object_has_member (obj, "return"))
      continue;
    for (guint k = 0; k < G_N_ELEMENTS (ids); k++)
      if (g_str_equal (id, ids[k]))
        answered |= 1u << k;
    if (!parse_reply (caps, cpu, id, json_object_get_member (obj, "return"), &has_kvm_accel, error))
      return NULL;
  }
  /* Every reply, up to quit's: a transcript cut short (QEMU killed, its
   * output lost) must not pass for a QEMU without devices, and never goes
   * to the disk cache. */
  for (guint k = 0; k < G_N_ELEMENTS (ids); k++)
    if (!(answered & (1u << k))) {
      g_set_error (error, VB_ERROR, VB_ERROR_FAILED,
                   "probing %s: QEMU did not answer all the capability queries (no reply to '%s')", emulator,
                   ids[k]);
      return NULL;
    }
  if (caps->version == 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "probing %s: QEMU reported no version", emulator);
    return NULL;
  }
  g_ptr_array_sort (caps->machines, compare_machines);
  g_ptr_array_sort (caps->cpu_models, compare_strings);
  g_ptr_array_sort (caps->devices, compare_strings);

  /* qemu-system-<arch> */
  {
    g_autofree char *base = g_path_get_basename (emulator);

    caps->arch = g_strdup (g_str_has_prefix (base, "qemu-system-") ? base + strlen ("qemu-system-") : "x86_64");
  }
  caps->kvm_available = has_kvm_accel && host_kvm_usable ();
  find_ovmf (caps);
  if (cpu_packed != NULL) {
    vb_qemu_cpu_data_set_packed (cpu, g_bytes_ref (cpu_packed), cpu_size);
    caps->cpu = g_steal_pointer (&cpu);
  } else if (cpu_text != NULL && strstr (cpu_text, "\"" VB_QEMU_CPU_PROBE_END "\"") != NULL) {
    g_autoptr(GError) local = NULL;

    if (vb_qemu_cpu_data_set_transcript (cpu, cpu_text, &local))
      caps->cpu = g_steal_pointer (&cpu);
    else
      g_warning ("%s: %s", emulator, local->message);
  }
  return g_steal_pointer (&caps);
}

/* ---- the probe ---- */

typedef struct {
  char *emulator;
  gint64 mtime;
  char *disk_key;  /* first line of the disk cache file, see disk_cache_key */
  char *disk_path; /* NULL: no disk cache */
  guint attempts;
  guint cpu_attempts;
  char *first; /* the first part's transcript, while the second runs */
} ProbeData;

static void probe_spawn (GTask *task);
static void probe_cpu_models (GTask *task, VbQemuCaps *caps);

static void
probe_data_free (gpointer data)
{
  ProbeData *pd = data;

  g_free (pd->emulator);
  g_free (pd->disk_key);
  g_free (pd->disk_path);
  g_free (pd->first);
  g_free (pd);
}

/* ---- the disk cache ----
 *
 * Probing spawns QEMU (100+ ms) before the backend can be exported, on every
 * start. The probe's raw QMP transcript is kept on disk instead, behind a
 * key line naming everything it depends on: this probe script, the emulator's
 * path, size, mtime and ctime (a rebuilt or reinstalled binary changes
 * them) and whether /dev/kvm exists. A key that differs means a new probe;
 * the host facts derived besides the transcript (KVM usability, firmware
 * paths) are re-checked on every load by parse_transcript. */

static char *caps_cache_dir;

void
vb_qemu_caps_set_cache_dir (const char *dir)
{
  g_free (caps_cache_dir);
  caps_cache_dir = g_strdup (dir);
}

static char *
disk_cache_key (const char *emulator, const struct stat *st)
{
  g_autofree char *script_sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, probe_script, -1);

  return g_strdup_printf ("virtbus-qemu-caps 3 %s size=%" G_GINT64_FORMAT " mtime=%" G_GINT64_FORMAT ".%09ld"
                          " ctime=%" G_GINT64_FORMAT ".%09ld kvm=%d %s",
                          script_sum, (gint64) st->st_size, (gint64) st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
                          (gint64) st->st_ctim.tv_sec, st->st_ctim.tv_nsec,
                          g_file_test ("/dev/kvm", G_FILE_TEST_EXISTS), emulator);
}

static char *
disk_cache_path (const char *emulator)
{
  g_autofree char *sum = NULL;
  g_autofree char *name = NULL;

  if (caps_cache_dir == NULL)
    return NULL;
  sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, emulator, -1);
  name = g_strdup_printf ("qemu-caps-%.16s.txt", sum);
  return g_build_filename (caps_cache_dir, name, NULL);
}

/* The file: the key line, the first part's transcript, then this mark
 * with the second part's length, its compressed length and the SHA-256 of
 * the compressed bytes, then those (vb_qemu_cpu_data_get_packed). */
#define CPU_MODELS_MARK "\n#cpu-models zlib "

/* The cached transcript when @path holds a whole one under @key: its first
 * part (@first) and the second compressed (@packed, @size long). */
static gboolean
disk_cache_load (const char *path, const char *key, char **first, GBytes **packed, gsize *size)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  const char *eol, *mark, *end, *bytes;
  char *p;
  guint64 unpacked, packed_len;
  g_autofree char *sum = NULL;

  if (path == NULL || !g_file_get_contents (path, &contents, &len, NULL))
    return FALSE;
  eol = memchr (contents, '\n', len);
  if (eol == NULL || (gsize) (eol - contents) != strlen (key) || strncmp (contents, key, eol - contents) != 0)
    return FALSE;
  end = contents + len;
  mark = memmem (eol, end - eol, CPU_MODELS_MARK, strlen (CPU_MODELS_MARK));
  if (mark == NULL)
    return FALSE;
  unpacked = g_ascii_strtoull (mark + strlen (CPU_MODELS_MARK), &p, 10);
  if (*p != ' ')
    return FALSE;
  packed_len = g_ascii_strtoull (p + 1, &p, 10);
  /* (QEMU 7.2's are 0.9 MB.) */
  if (*p != ' ' || unpacked == 0 || unpacked > 64 * 1024 * 1024 || packed_len == 0 || end - (p + 1) < 65
      || p[65] != '\n')
    return FALSE;
  bytes = p + 66;
  /* Cut short, with more behind or damaged: not what was written. */
  if ((guint64) (end - bytes) != packed_len)
    return FALSE;
  sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) bytes, packed_len);
  if (strncmp (sum, p + 1, 64) != 0)
    return FALSE;
  *first = g_strndup (eol + 1, mark - (eol + 1));
  *packed = g_bytes_new (bytes, packed_len);
  *size = unpacked;
  return TRUE;
}

static void
disk_cache_store (const char *path, const char *key, const char *first, VbQemuCpuData *cpu)
{
  gsize size = 0, packed_len = 0;
  g_autoptr(GBytes) packed = vb_qemu_cpu_data_get_packed (cpu, &size);
  const guint8 *bytes = packed ? g_bytes_get_data (packed, &packed_len) : NULL;
  g_autoptr(GString) contents = g_string_new (key);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *sum = NULL;
  g_autoptr(GError) error = NULL;

  if (packed == NULL)
    return;
  sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, bytes, packed_len);
  g_string_append_printf (contents, "\n%s" CPU_MODELS_MARK "%" G_GSIZE_FORMAT " %" G_GSIZE_FORMAT " %s\n", first,
                          size, packed_len, sum);
  g_string_append_len (contents, (const char *) bytes, packed_len);
  /* Only an optimisation: a failure costs the next start a probe. */
  if (g_mkdir_with_parents (dir, 0700) < 0
      || !vb_file_write_atomic (path, contents->str, contents->len, 0600, &error))
    g_debug ("cannot cache QEMU capabilities in %s: %s", path, error ? error->message : g_strerror (errno));
}

static void
cache_in_memory (ProbeData *pd, VbQemuCaps *caps)
{
  CacheEntry *entry;

  if (caps_cache == NULL)
    caps_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cache_entry_free);
  entry = g_new0 (CacheEntry, 1);
  entry->mtime = pd->mtime;
  entry->caps = caps;
  g_hash_table_replace (caps_cache, g_strdup (pd->emulator), entry);
}

/* Done: into the caches (the disk's only with the CPU models: a caps
 * without them is probed again at the next start). */
static void
probe_complete (GTask *task, VbQemuCaps *caps)
{
  ProbeData *pd = g_task_get_task_data (task);

  if (pd->disk_path != NULL && caps->cpu != NULL)
    disk_cache_store (pd->disk_path, pd->disk_key, pd->first, caps->cpu);
  cache_in_memory (pd, caps);
  g_task_return_pointer (task, caps_copy (caps), (GDestroyNotify) vb_qemu_caps_free);
}

static void
probe_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  ProbeData *pd = g_task_get_task_data (task);
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  VbQemuCaps *caps;

  if (!g_subprocess_communicate_utf8_finish (proc, result, &out, &err, &error)) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  caps = parse_transcript (pd->emulator, out ? out : "", NULL, NULL, 0, &error);
  if (caps == NULL && pd->attempts < 3 && g_subprocess_get_successful (proc)) {
    /* QEMU ran and quit, yet the transcript is short: seen on a loaded
     * host. Asking again costs a probe; caching a QEMU without devices
     * would cost every start. */
    g_debug ("%s; probing again", error->message);
    probe_spawn (g_steal_pointer (&task));
    return;
  }
  if (caps == NULL) {
    if (err != NULL && *g_strstrip (err) != '\0')
      g_prefix_error (&error, "%s: ", err);
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  /* Then what each of its CPU models has: the names came with this part. */
  pd->first = g_steal_pointer (&out);
  probe_cpu_models (g_steal_pointer (&task), caps);
}

static void
cpu_models_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  ProbeData *pd = g_task_get_task_data (task);
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  VbQemuCaps *caps = NULL;

  if (g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &out, NULL, &error)) {
    caps = parse_transcript (pd->emulator, pd->first, out ? out : "", NULL, 0, &error);
    if ((caps == NULL || caps->cpu == NULL) && pd->cpu_attempts < 3 &&
        g_subprocess_get_successful (G_SUBPROCESS (source))) {
      /* QEMU ran and quit, yet its answers are short, as the first
       * part's can be on a loaded host: asked again. */
      VbQemuCaps *first = parse_transcript (pd->emulator, pd->first, NULL, NULL, 0, NULL);
      if (first != NULL) {
        g_debug ("QEMU %s did not describe all its CPU models%s%s; probing again", pd->emulator,
                 error ? ": " : "", error ? error->message : "");
        vb_qemu_caps_free (caps);
        probe_cpu_models (g_steal_pointer (&task), first);
        return;
      }
    }
  }
  if (caps == NULL || caps->cpu == NULL) {
    /* Everything but the CPU models: they answer with an error instead. */
    g_warning ("QEMU %s did not describe its CPU models%s%s", pd->emulator, error ? ": " : "",
               error ? error->message : "");
    vb_qemu_caps_free (caps);
    g_clear_error (&error);
    caps = parse_transcript (pd->emulator, pd->first, NULL, NULL, 0, &error);
    if (caps == NULL) {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  }
  probe_complete (task, caps);
}

void
vb_qemu_caps_probe_async (const char *emulator, GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  ProbeData *pd;
  CacheEntry *entry;
  struct stat st;

  g_task_set_source_tag (task, vb_qemu_caps_probe_async);
  if (stat (emulator, &st) < 0 || !S_ISREG (st.st_mode) || access (emulator, X_OK) < 0) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_FOUND, "QEMU emulator %s not found or not executable",
                             emulator);
    return;
  }
  pd = g_new0 (ProbeData, 1);
  pd->emulator = g_strdup (emulator);
  pd->mtime = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
  g_task_set_task_data (task, pd, probe_data_free);

  entry = caps_cache ? g_hash_table_lookup (caps_cache, emulator) : NULL;
  if (entry != NULL && entry->mtime == pd->mtime) {
    g_task_return_pointer (task, caps_copy (entry->caps), (GDestroyNotify) vb_qemu_caps_free);
    return;
  }
  pd->disk_path = disk_cache_path (emulator);
  if (pd->disk_path != NULL) {
    g_autofree char *first = NULL;
    g_autoptr(GBytes) packed = NULL;
    gsize size = 0;

    pd->disk_key = disk_cache_key (emulator, &st);
    if (disk_cache_load (pd->disk_path, pd->disk_key, &first, &packed, &size)) {
      VbQemuCaps *caps = parse_transcript (emulator, first, NULL, packed, size, NULL);

      if (caps != NULL && caps->cpu == NULL)
        g_clear_pointer (&caps, vb_qemu_caps_free);
      if (caps != NULL) {
        cache_in_memory (pd, caps);
        g_task_return_pointer (task, caps_copy (caps), (GDestroyNotify) vb_qemu_caps_free);
        return;
      }
    }
  }

  probe_spawn (g_steal_pointer (&task));
}

/* Runs QEMU (-machine none, TCG) on @script; @callback gets @task (taken)
 * with the child's communicate result. */
static void
spawn_script (GTask *task, const char *script, GAsyncReadyCallback callback)
{
  ProbeData *pd = g_task_get_task_data (task);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  gssize len = strlen (script);
  int script_fd;

  /* The script goes in as a file, not a pipe: a QEMU exiting early would
   * otherwise get the daemon killed by SIGPIPE. QEMU answers every command
   * it has read before it notices the end of its input. */
  script_fd = memfd_create ("vb-qemu-probe", MFD_CLOEXEC);
  if (script_fd < 0 || write (script_fd, script, len) != len || lseek (script_fd, 0, SEEK_SET) != 0) {
    int saved = errno;

    if (script_fd >= 0)
      close (script_fd);
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_IO, "cannot prepare the QEMU probe: %s", g_strerror (saved));
    g_object_unref (task);
    return;
  }
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_take_stdin_fd (launcher, script_fd);
  proc = g_subprocess_launcher_spawn (launcher, &error, pd->emulator, "-S", "-nodefaults", "-no-user-config",
                                      "-display", "none", "-machine", "none,accel=tcg", "-qmp", "stdio", NULL);
  if (proc == NULL) {
    g_task_return_error (task, g_steal_pointer (&error));
    g_object_unref (task);
    return;
  }
  vb_child_track (proc);
  g_subprocess_communicate_utf8_async (proc, NULL, g_task_get_cancellable (task), callback, task);
}

/* Runs QEMU on the probe script; completes @task (taken) in probe_done. */
static void
probe_spawn (GTask *task)
{
  ProbeData *pd = g_task_get_task_data (task);

  pd->attempts++;
  spawn_script (task, probe_script, probe_done);
}

/* The second part: a static expansion of each model of @caps (taken). */
static void
probe_cpu_models (GTask *task, VbQemuCaps *caps)
{
  g_autofree char *script = NULL;
  g_autofree char *body = vb_qemu_cpu_probe_script (caps->cpu_models);

  vb_qemu_caps_free (caps);
  ((ProbeData *) g_task_get_task_data (task))->cpu_attempts++;
  script = g_strconcat ("{\"execute\":\"qmp_capabilities\"}\n", body, NULL);
  spawn_script (task, script, cpu_models_done);
}

VbQemuCaps *
vb_qemu_caps_probe_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- <capabilities> ---- */

static void
add_host_cpu (VbCapabilities *vcaps)
{
  g_autofree char *cpuinfo = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *vendor = NULL;
  g_autofree char *flags = NULL;

  if (!g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL))
    return;
  lines = g_strsplit (cpuinfo, "\n", -1);
  for (guint i = 0; lines[i] != NULL && *lines[i] != '\0'; i++) {
    char *colon = strchr (lines[i], ':');
    g_autofree char *key = NULL;

    if (colon == NULL)
      continue;
    key = g_strstrip (g_strndup (lines[i], colon - lines[i]));
    if (vendor == NULL && g_str_equal (key, "vendor_id"))
      vendor = g_strstrip (g_strdup (colon + 1));
    else if (flags == NULL && g_str_equal (key, "flags"))
      flags = g_strstrip (g_strdup (colon + 1));
  }
  vcaps->host.cpu_vendor = g_strdup (vb_qemu_cpu_vendor_name (vendor));
  if (flags != NULL) {
    g_auto(GStrv) words = g_strsplit (flags, " ", -1);

    for (guint i = 0; words[i] != NULL; i++) {
      if (g_str_equal (words[i], "vmx") || g_str_equal (words[i], "svm") || g_str_equal (words[i], "pae"))
        vb_capabilities_add_host_cpu_flag (vcaps, words[i]);
    }
  }
}

static guint64
meminfo_total_kib (void)
{
  g_autofree char *meminfo = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/meminfo", &meminfo, NULL, NULL))
    return 0;
  p = strstr (meminfo, "MemTotal:");
  return p ? g_ascii_strtoull (p + strlen ("MemTotal:"), NULL, 10) : 0;
}

static guint
sysfs_uint (const char *path, guint fallback)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return fallback;
  return (guint) g_ascii_strtoull (text, NULL, 10);
}

/* One NUMA cell with every online CPU (per-node detail is not needed by
 * any client we know of; the schema asks for consistent data only). */
static void
add_host_topology (VbCapabilities *vcaps)
{
  VbCapsCell *cell = vb_capabilities_add_cell (vcaps, 0, meminfo_total_kib ());
  guint ncpus = (guint) sysconf (_SC_NPROCESSORS_ONLN);

  for (guint cpu = 0; cpu < ncpus; cpu++) {
    g_autofree char *base = g_strdup_printf ("/sys/devices/system/cpu/cpu%u/topology", cpu);
    g_autofree char *pkg = g_build_filename (base, "physical_package_id", NULL);
    g_autofree char *die = g_build_filename (base, "die_id", NULL);
    g_autofree char *core = g_build_filename (base, "core_id", NULL);
    g_autofree char *sib_path = g_build_filename (base, "thread_siblings_list", NULL);
    g_autofree char *siblings = NULL;

    if (g_file_get_contents (sib_path, &siblings, NULL, NULL))
      g_strstrip (siblings);
    else
      siblings = g_strdup_printf ("%u", cpu);
    vb_caps_cell_add_cpu (cell, cpu, sysfs_uint (pkg, 0), sysfs_uint (die, 0), sysfs_uint (core, cpu), siblings);
  }
}

char *
vb_qemu_caps_format_capabilities (const VbQemuCaps *caps, GError **error)
{
  g_autoptr(VbCapabilities) vcaps = vb_capabilities_new ("x86_64");
  static const char *const arches[] = { "x86_64", "i686" };
  g_autofree char *uuid = NULL;

  if (g_file_get_contents ("/sys/class/dmi/id/product_uuid", &uuid, NULL, NULL)) {
    g_strstrip (uuid);
    if (g_uuid_string_is_valid (uuid)) {
      g_autofree char *lower = g_ascii_strdown (uuid, -1);
      g_strlcpy (vcaps->host.uuid, lower, sizeof vcaps->host.uuid);
    }
  }
  add_host_cpu (vcaps);
  if (caps->cpu != NULL) {
    g_autoptr(GError) local = NULL;
    g_autoptr(VbQemuCpuModelDef) host = vb_qemu_cpu_host (caps->cpu, &local);

    /* The model it is closest to and its other features, as libvirt
     * describes a host CPU. */
    if (host != NULL) {
      vcaps->host.cpu_model = g_strdup (host->model);
      /* The schema has no dots in a host CPU's feature names: sse4.1 is
       * spelled as QEMU also knows it, sse4_1. */
      for (guint i = 0; i < host->require->len; i++) {
        g_autofree char *name = g_strdelimit (g_strdup (g_ptr_array_index (host->require, i)), ".", '_');

        vb_capabilities_add_host_cpu_feature (vcaps, name);
      }
    } else {
      g_debug ("host CPU model: %s", local->message);
    }
  }
  vb_capabilities_add_host_pages (vcaps, 4);
  vb_capabilities_add_host_pages (vcaps, 2048);
  vb_capabilities_add_host_pages (vcaps, 1048576);
  vcaps->host.has_power_management = TRUE;
  vcaps->host.iommu = g_file_test ("/sys/kernel/iommu_groups/0", G_FILE_TEST_EXISTS) ? VB_CAPS_TRISTATE_YES
                                                                                      : VB_CAPS_TRISTATE_NO;
  add_host_topology (vcaps);
  vb_capabilities_add_secmodel (vcaps, "none", "0");

  /* qemu-system-x86_64 runs both 64- and 32-bit x86 guests. */
  for (guint a = 0; a < G_N_ELEMENTS (arches); a++) {
    VbCapsGuest *guest = vb_capabilities_add_guest (vcaps, "hvm", arches[a], a == 0 ? 64 : 32, caps->emulator);

    for (guint i = 0; i < caps->machines->len; i++) {
      const VbQemuMachine *m = g_ptr_array_index (caps->machines, i);
      VbCapsMachine *cm;

      if (g_str_equal (m->name, "none"))
        continue;
      if (m->alias != NULL) {
        cm = vb_caps_guest_add_machine (guest, m->alias, m->name, m->max_cpus);
        cm->deprecated = m->deprecated;
      }
      cm = vb_caps_guest_add_machine (guest, m->name, NULL, m->max_cpus);
      cm->deprecated = m->deprecated;
    }
    vb_caps_guest_add_domain (guest, "qemu", NULL);
    if (caps->kvm_available)
      vb_caps_guest_add_domain (guest, "kvm", NULL);
    if (a == 1) {
      vb_caps_guest_add_feature (guest, "pae");
      vb_caps_guest_add_feature (guest, "nonpae");
    }
    vb_caps_guest_add_feature_toggle (guest, "acpi", TRUE, TRUE);
    vb_caps_guest_add_feature_toggle (guest, "apic", FALSE, TRUE);
    vb_caps_guest_add_feature (guest, "cpuselection");
    vb_caps_guest_add_feature (guest, "deviceboot");
    vb_caps_guest_add_feature_toggle (guest, "disksnapshot", FALSE, TRUE);
  }
  return vb_capabilities_format (vcaps);
}

/* ---- <domainCapabilities> ---- */

char *
vb_qemu_caps_format_domain_capabilities (const VbQemuCaps *caps, const VbQemuHostExtras *host, const char *machine,
                                         const char *virttype,
                                         GError **error)
{
  g_autoptr(VbDomainCaps) dcaps = NULL;
  const VbQemuMachine *m = NULL;
  VbDomainCapsEnum *e;
  gboolean kvm;

  if (virttype == NULL || *virttype == '\0')
    virttype = caps->kvm_available ? "kvm" : "qemu";
  if (g_str_equal (virttype, "kvm")) {
    if (!caps->kvm_available) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "KVM is not available: /dev/kvm missing or unusable");
      return NULL;
    }
    kvm = TRUE;
  } else if (g_str_equal (virttype, "qemu")) {
    kvm = FALSE;
  } else {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "virtualization type '%s' is not supported by %s",
                 virttype, caps->emulator);
    return NULL;
  }
  m = vb_qemu_caps_machine_or_default (caps, machine);
  if (m == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "machine type '%s' is not supported by %s",
                 machine ? machine : "(default)", caps->emulator);
    return NULL;
  }

  dcaps = vb_domain_caps_new (caps->emulator, virttype, m->name, caps->arch);
  dcaps->vcpu_max = m->max_cpus;
  vb_domain_caps_feature_set (&dcaps->iothreads, TRUE);
  vb_domain_caps_feature_set (&dcaps->os, TRUE);
  /* The UEFI images for this machine, from the host's firmware
   * descriptors; Secure Boot where one of them has it. */
  {
    GPtrArray *firmware = host != NULL ? host->firmware : NULL;
    gboolean any = FALSE, secure = FALSE;

    for (guint i = 0; firmware != NULL && i < firmware->len; i++) {
      const VbQemuFirmware *fw = g_ptr_array_index (firmware, i);

      if (!vb_qemu_firmware_runs_machine (fw, m->name))
        continue;
      any = TRUE;
      secure |= fw->requires_smm;
      vb_domain_caps_add_loader_value (dcaps, fw->code);
    }
    vb_domain_caps_feature_add_enum (&dcaps->os, "firmware", any ? "efi" : NULL, NULL);
    vb_domain_caps_feature_set (&dcaps->loader, TRUE);
    vb_domain_caps_feature_add_enum (&dcaps->loader, "type", "rom", "pflash", NULL);
    vb_domain_caps_feature_add_enum (&dcaps->loader, "readonly", "yes", NULL);
    vb_domain_caps_feature_add_enum (&dcaps->loader, "secure", secure ? "yes" : "no", secure ? "no" : NULL, NULL);
  }

  dcaps->has_cpu = TRUE;
  vb_domain_caps_feature_set (&dcaps->cpu_host_passthrough, kvm);
  vb_domain_caps_feature_set (&dcaps->cpu_maximum, TRUE);
  /* host-model: the host's CPU as far as this kind of guest can have it. */
  if (caps->cpu != NULL) {
    g_autoptr(GError) local = NULL;
    g_autoptr(VbQemuCpuModelDef) host_model = vb_qemu_cpu_host_model (caps->cpu, kvm, &local);

    if (host_model != NULL) {
      dcaps->cpu_host_model_supported = TRUE;
      dcaps->cpu_host_model = g_strdup (host_model->model);
      dcaps->cpu_host_model_fallback = g_strdup ("forbid");
      dcaps->cpu_host_model_vendor = g_strdup (host_model->vendor);
      for (guint i = 0; i < host_model->require->len; i++)
        vb_domain_caps_add_host_model_feature (dcaps, "require", g_ptr_array_index (host_model->require, i));
      for (guint i = 0; i < host_model->disable->len; i++)
        vb_domain_caps_add_host_model_feature (dcaps, "disable", g_ptr_array_index (host_model->disable, i));
    } else {
      g_debug ("host-model: %s", local->message);
    }
  }
  dcaps->cpu_custom_supported = TRUE;
  for (guint i = 0; i < caps->cpu_models->len; i++) {
    const char *name = g_ptr_array_index (caps->cpu_models, i);
    if (g_str_equal (name, "host") || g_str_equal (name, "max") || g_str_equal (name, "base"))
      continue;
    vb_domain_caps_add_custom_model (dcaps, name,
                                     caps->cpu != NULL ? vb_qemu_cpu_model_usable (caps->cpu, name, kvm) : "unknown",
                                     caps->cpu != NULL ? vb_qemu_cpu_model_vendor (caps->cpu, name) : "unknown", FALSE);
  }

  vb_domain_caps_feature_set (&dcaps->memory_backing, FALSE);

  e = vb_domain_caps_feature_add_enum (&dcaps->devices[VB_DOMAIN_CAPS_DEVICE_DISK], "diskDevice", "disk", "cdrom",
                                       NULL);
  (void) e;
  vb_domain_caps_feature_add_enum (&dcaps->devices[VB_DOMAIN_CAPS_DEVICE_DISK], "bus", "ide", "scsi", "virtio",
                                   "sata", NULL);
  vb_domain_caps_feature_add_enum (&dcaps->devices[VB_DOMAIN_CAPS_DEVICE_DISK], "model", NULL);
  e = vb_domain_caps_feature_add_enum (&dcaps->devices[VB_DOMAIN_CAPS_DEVICE_GRAPHICS], "type", "vnc", NULL);
  if (vb_qemu_caps_has_device (caps, "qxl-vga") || vb_qemu_caps_has_device (caps, "virtio-vga"))
    vb_domain_caps_enum_add_value (e, "spice");
  e = vb_domain_caps_feature_add_enum (&dcaps->devices[VB_DOMAIN_CAPS_DEVICE_VIDEO], "modelType", "vga", "cirrus",
                                       "virtio", "none", NULL);
  if (vb_qemu_caps_has_device (caps, "qxl-vga"))
    vb_domain_caps_enum_add_value (e, "qxl");
  if (vb_qemu_caps_has_device (caps, "bochs-display"))
    vb_domain_caps_enum_add_value (e, "bochs");
  if (vb_qemu_caps_has_device (caps, "ramfb"))
    vb_domain_caps_enum_add_value (e, "ramfb");
  vb_domain_caps_feature_set (&dcaps->devices[VB_DOMAIN_CAPS_DEVICE_HOSTDEV], FALSE);
  vb_domain_caps_feature_add_enum (&dcaps->devices[VB_DOMAIN_CAPS_DEVICE_RNG], "model", "virtio", NULL);
  vb_domain_caps_feature_add_enum (&dcaps->devices[VB_DOMAIN_CAPS_DEVICE_RNG], "backendModel", "random", "builtin",
                                   NULL);
  if (host != NULL && host->virtiofs && vb_qemu_caps_has_device (caps, "vhost-user-fs-pci")) {
    vb_domain_caps_feature_add_enum (&dcaps->devices[VB_DOMAIN_CAPS_DEVICE_FILESYSTEM], "driverType", "virtiofs",
                                     NULL);
  } else {
    vb_domain_caps_feature_set (&dcaps->devices[VB_DOMAIN_CAPS_DEVICE_FILESYSTEM], FALSE);
  }
  {
    VbDomainCapsFeature *tpm = &dcaps->devices[VB_DOMAIN_CAPS_DEVICE_TPM];

    if (host != NULL && host->swtpm) {
      e = vb_domain_caps_feature_add_enum (tpm, "model", NULL);
      if (vb_qemu_caps_has_device (caps, "tpm-tis"))
        vb_domain_caps_enum_add_value (e, "tpm-tis");
      if (vb_qemu_caps_has_device (caps, "tpm-crb"))
        vb_domain_caps_enum_add_value (e, "tpm-crb");
      vb_domain_caps_feature_add_enum (tpm, "backendModel", "emulator", NULL);
      vb_domain_caps_feature_add_enum (tpm, "backendVersion", "1.2", "2.0", NULL);
    } else {
      vb_domain_caps_feature_set (tpm, FALSE);
    }
  }
  if (vb_qemu_caps_has_device (caps, "usb-redir"))
    vb_domain_caps_feature_add_enum (&dcaps->devices[VB_DOMAIN_CAPS_DEVICE_REDIRDEV], "bus", "usb", NULL);
  else
    vb_domain_caps_feature_set (&dcaps->devices[VB_DOMAIN_CAPS_DEVICE_REDIRDEV], FALSE);
  vb_domain_caps_feature_add_enum (&dcaps->devices[VB_DOMAIN_CAPS_DEVICE_CHANNEL], "type", "pty", "unix", NULL);

  vb_domain_caps_feature_set (&dcaps->features[VB_DOMAIN_CAPS_FEATURE_GIC], FALSE);
  vb_domain_caps_feature_set (&dcaps->features[VB_DOMAIN_CAPS_FEATURE_VMCOREINFO],
                              vb_qemu_caps_has_device (caps, "vmcoreinfo"));
  vb_domain_caps_feature_set (&dcaps->features[VB_DOMAIN_CAPS_FEATURE_GENID],
                              vb_qemu_caps_has_device (caps, "vmgenid"));
  vb_domain_caps_feature_set (&dcaps->features[VB_DOMAIN_CAPS_FEATURE_BACKING_STORE_INPUT], FALSE);
  vb_domain_caps_feature_set (&dcaps->features[VB_DOMAIN_CAPS_FEATURE_BACKUP], FALSE);
  vb_domain_caps_feature_set (&dcaps->features[VB_DOMAIN_CAPS_FEATURE_SEV], FALSE);
  /* The enlightenments QEMU takes with this accelerator (TCG has no VP
   * index, and so nothing that needs one; passthrough is KVM's). */
  e = vb_domain_caps_feature_add_enum (&dcaps->features[VB_DOMAIN_CAPS_FEATURE_HYPERV], "features", NULL);
  for (int i = 0; i < VB_DOMAIN_HYPERV_LAST; i++) {
    if (!kvm && (i == VB_DOMAIN_HYPERV_VPINDEX))
      continue;
    vb_domain_caps_enum_add_value (e, vb_domain_hyperv_feature_to_string (i));
  }
  return vb_domain_caps_format (dcaps);
}
