/* Save/restore of QEMU domains: Save, ManagedSave (+ Create restoring it),
 * DomainRestore, the save image's XML, through the migration engine of
 * vb-qemu-job.h; and CoreDump, which writes a guest's state the same ways
 * (QEMU's migration stream, or dump-guest-memory) without stopping it.
 *
 * A save image is a 64-byte header, the domain's live XML in a padded
 * slot (so small edits by DomainSaveImageDefineXML fit in place) and then
 * QEMU's migration stream, which QEMU writes/reads through an fd the
 * daemon opened (QEMU itself never opens the file: in system mode it runs
 * unprivileged). All numbers are little-endian:
 *
 *   0  magic "VirtbusSaveImage"     32 u64 offset of the stream (64 + slot)
 *   16 u32 version (1)              40 reserved (zero) up to 64
 *   20 u32 flags (1 = paused)
 *   24 u32 length of the XML
 *   28 u32 size of the XML slot
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* rename */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vb-invocation.h" /* vb_task_get_caller_creds */
#include "vb-qemu-job.h"
#include "vb-qemu-process.h"
#include "vb-state-dir.h"
#include "vb-task.h"

#define IMAGE_MAGIC "VirtbusSaveImage"
#define IMAGE_MAGIC_LEN 16
#define IMAGE_VERSION 1
#define IMAGE_HEADER_LEN 64
#define IMAGE_FLAG_PAUSED 1u
/* Room left after the XML for edits, and an upper bound against nonsense. */
#define IMAGE_XML_PAD 4096
#define IMAGE_XML_MAX (16 * 1024 * 1024)
/* QEMU's migration stream starts with "QEVM". */
#define QEMU_STREAM_MAGIC "QEVM"

/* virDomainSaveRestoreFlags */
enum { SAVE_BYPASS_CACHE = 1 << 0, SAVE_RUNNING = 1 << 1, SAVE_PAUSED = 1 << 2, SAVE_RESET_NVRAM = 1 << 3 };
enum { UNDEFINE_MANAGED_SAVE = 1 << 0 };

/* virDomainCoreDumpFlags, virDomainCoreDumpFormat */
enum {
  DUMP_CRASH = 1 << 0, DUMP_LIVE = 1 << 1, DUMP_BYPASS_CACHE = 1 << 2, DUMP_RESET = 1 << 3,
  DUMP_MEMORY_ONLY = 1 << 4,
};
static const char *const dump_formats[] = { "elf", "kdump-zlib", "kdump-lzo", "kdump-snappy", "win-dmp" };

/* The memory-only dump waiting for QEMU's DUMP_COMPLETED. */
#define DUMP_KEY "vb-qemu-dump"
#define DUMP_FD_NAME "vb-dump"

#define RETURN_ERROR(task, error)       \
  G_STMT_START {                        \
    g_task_return_error ((task), (error)); \
    return;                             \
  } G_STMT_END

/* ---- the image ---- */

typedef struct {
  guint32 flags;
  guint32 xml_slot;
  guint64 data_offset;
  char *xml;
} ImageHeader;

static void
image_header_clear (ImageHeader *h)
{
  g_clear_pointer (&h->xml, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ImageHeader, image_header_clear)

static guint32
xml_slot_for (gsize xml_len)
{
  /* Stream at a 4 KiB boundary, with at least IMAGE_XML_PAD spare. */
  gsize total = IMAGE_HEADER_LEN + xml_len + IMAGE_XML_PAD;
  total = (total + 4095) & ~(gsize) 4095;
  return (guint32) (total - IMAGE_HEADER_LEN);
}

/* @offset -1: at the current position (a fifo cannot seek). */
static gboolean
write_all_at (int fd, const char *buf, gsize len, off_t offset)
{
  while (len > 0) {
    ssize_t n = offset < 0 ? write (fd, buf, len) : pwrite (fd, buf, len, offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    buf += n, len -= n;
    if (offset >= 0)
      offset += n;
  }
  return TRUE;
}

static gboolean
read_all_at (int fd, char *buf, gsize len, off_t offset)
{
  while (len > 0) {
    ssize_t n = pread (fd, buf, len, offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    buf += n, len -= n, offset += n;
  }
  return TRUE;
}

/* Writes header and XML slot of size @slot at the start of @fd (with
 * @sequential: at its current position, which is the start, leaving it
 * where the stream goes). */
static gboolean
write_header (int fd, const char *path, const char *xml, guint32 flags, guint32 slot, gboolean sequential,
              GError **error)
{
  gsize xml_len = strlen (xml);
  g_autofree char *buf = g_malloc0 (IMAGE_HEADER_LEN + slot);
  guint32 v;
  guint64 offset = IMAGE_HEADER_LEN + (guint64) slot;

  g_assert (xml_len <= slot);
  memcpy (buf, IMAGE_MAGIC, IMAGE_MAGIC_LEN);
  v = GUINT32_TO_LE (IMAGE_VERSION), memcpy (buf + 16, &v, 4);
  v = GUINT32_TO_LE (flags), memcpy (buf + 20, &v, 4);
  v = GUINT32_TO_LE ((guint32) xml_len), memcpy (buf + 24, &v, 4);
  v = GUINT32_TO_LE (slot), memcpy (buf + 28, &v, 4);
  offset = GUINT64_TO_LE (offset), memcpy (buf + 32, &offset, 8);
  memcpy (buf + IMAGE_HEADER_LEN, xml, xml_len);
  if (!write_all_at (fd, buf, IMAGE_HEADER_LEN + slot, sequential ? -1 : 0)) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot write save image '%s': %s", path, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

/* Reads and checks the header of the image open as @fd: nothing is
 * started from a file that is not one of ours or is cut short. */
static gboolean
read_header (int fd, const char *path, ImageHeader *h, GError **error)
{
  char buf[IMAGE_HEADER_LEN];
  char stream[4];
  guint32 version, xml_len;
  struct stat st;

  if (fstat (fd, &st) < 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot read save image '%s': %s", path, g_strerror (errno));
    return FALSE;
  }
  if (!S_ISREG (st.st_mode) || st.st_size < IMAGE_MAGIC_LEN || !read_all_at (fd, buf, IMAGE_MAGIC_LEN, 0) ||
      memcmp (buf, IMAGE_MAGIC, IMAGE_MAGIC_LEN) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "'%s' is not a virtbus save image", path);
    return FALSE;
  }
  if (st.st_size < IMAGE_HEADER_LEN || !read_all_at (fd, buf, IMAGE_HEADER_LEN, 0)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "save image '%s' is corrupt: its header is truncated", path);
    return FALSE;
  }
  memcpy (&version, buf + 16, 4), version = GUINT32_FROM_LE (version);
  memcpy (&h->flags, buf + 20, 4), h->flags = GUINT32_FROM_LE (h->flags);
  memcpy (&xml_len, buf + 24, 4), xml_len = GUINT32_FROM_LE (xml_len);
  memcpy (&h->xml_slot, buf + 28, 4), h->xml_slot = GUINT32_FROM_LE (h->xml_slot);
  memcpy (&h->data_offset, buf + 32, 8), h->data_offset = GUINT64_FROM_LE (h->data_offset);
  if (version != IMAGE_VERSION) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "save image '%s' has format version %u; this virtbus reads version %d", path, version,
                 IMAGE_VERSION);
    return FALSE;
  }
  if (xml_len == 0 || xml_len > h->xml_slot || h->xml_slot > IMAGE_XML_MAX ||
      h->data_offset != IMAGE_HEADER_LEN + (guint64) h->xml_slot) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "save image '%s' is corrupt: inconsistent header", path);
    return FALSE;
  }
  if ((guint64) st.st_size < h->data_offset + sizeof stream) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "save image '%s' is corrupt: it is truncated (no saved guest state)", path);
    return FALSE;
  }
  h->xml = g_malloc0 (xml_len + 1);
  if (!read_all_at (fd, h->xml, xml_len, IMAGE_HEADER_LEN) ||
      !read_all_at (fd, stream, sizeof stream, (off_t) h->data_offset)) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot read save image '%s': %s", path, g_strerror (errno));
    return FALSE;
  }
  if (strlen (h->xml) != xml_len || memcmp (stream, QEMU_STREAM_MAGIC, sizeof stream) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "save image '%s' is corrupt: %s", path,
                 strlen (h->xml) != xml_len ? "damaged domain XML" : "the saved guest state is not QEMU's");
    return FALSE;
  }
  return TRUE;
}

/* Opens @path and reads its header; returns the fd or -1. */
static int
open_image (const char *path, int mode, ImageHeader *h, GError **error)
{
  int fd;

  if (path == NULL || *path == '\0') {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "a save image path is required");
    return -1;
  }
  fd = open (path, mode | O_CLOEXEC);
  if (fd < 0) {
    g_set_error (error, VB_ERROR, errno == ENOENT ? VB_ERROR_NOT_FOUND : VB_ERROR_IO,
                 "cannot open save image '%s': %s", path, g_strerror (errno));
    return -1;
  }
  if (!read_header (fd, path, h, error)) {
    close (fd);
    return -1;
  }
  return fd;
}

static gboolean
check_path (GTask *task, const char *path, int access, guint flags, GError **error)
{
  if (path == NULL || *path == '\0') {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "a save image path is required");
    return FALSE;
  }
  if (!g_path_is_absolute (path)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "the save image path '%s' must be absolute", path);
    return FALSE;
  }
  return vb_path_policy_check (vb_task_get_caller_creds (task), path, access, flags, error);
}

/* A replacement definition of a saved guest must describe the same
 * machine: QEMU loads the state only into identical hardware. */
static gboolean
check_abi (const VbDomainDef *old, const VbDomainDef *def, GError **error)
{
  const char *what = NULL;

#define COUNT(arr) ((arr) != NULL ? (arr)->len : 0)
  if (strcmp (old->uuid, def->uuid) != 0 || g_strcmp0 (old->name, def->name) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "the replacement XML must describe domain '%s' (%s), not '%s' (%s)", old->name, old->uuid,
                 def->name, def->uuid);
    return FALSE;
  }
  if (old->virt_type != def->virt_type)
    what = "domain type";
  else if (old->memory_kib != def->memory_kib || old->max_memory_kib != def->max_memory_kib)
    what = "memory size";
  else if (old->vcpus != def->vcpus)
    what = "vcpu count";
  else if (g_strcmp0 (old->os.machine, def->os.machine) != 0)
    what = "machine type";
  else if (COUNT (old->disks) != COUNT (def->disks))
    what = "number of disks";
  else if (COUNT (old->nets) != COUNT (def->nets))
    what = "number of network interfaces";
  else if (COUNT (old->controllers) != COUNT (def->controllers))
    what = "number of controllers";
  else if (COUNT (old->serials) != COUNT (def->serials) || COUNT (old->consoles) != COUNT (def->consoles) ||
           COUNT (old->channels) != COUNT (def->channels) || COUNT (old->parallels) != COUNT (def->parallels))
    what = "character devices";
  else if (COUNT (old->filesystems) != COUNT (def->filesystems) || COUNT (old->inputs) != COUNT (def->inputs) ||
           COUNT (old->videos) != COUNT (def->videos) || COUNT (old->sounds) != COUNT (def->sounds) ||
           COUNT (old->hostdevs) != COUNT (def->hostdevs) || COUNT (old->watchdogs) != COUNT (def->watchdogs) ||
           COUNT (old->rngs) != COUNT (def->rngs) || COUNT (old->panics) != COUNT (def->panics) ||
           COUNT (old->tpms) != COUNT (def->tpms) || COUNT (old->graphics) != COUNT (def->graphics) ||
           COUNT (old->redirdevs) != COUNT (def->redirdevs))
    what = "devices";
  else if ((old->memballoon == NULL) != (def->memballoon == NULL) ||
           (old->memballoon != NULL && old->memballoon->model != def->memballoon->model))
    what = "memory balloon";
  for (guint i = 0; what == NULL && i < COUNT (old->disks); i++) {
    const VbDomainDiskDef *a = g_ptr_array_index (old->disks, i), *b = g_ptr_array_index (def->disks, i);
    if (g_strcmp0 (a->dst, b->dst) != 0 || a->bus != b->bus || a->device != b->device)
      what = "disks";
  }
  for (guint i = 0; what == NULL && i < COUNT (old->nets); i++) {
    const VbDomainNetDef *a = g_ptr_array_index (old->nets, i), *b = g_ptr_array_index (def->nets, i);
    if (strcmp (a->mac, b->mac) != 0)
      what = "network interface MAC addresses";
  }
#undef COUNT
  if (what != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "the replacement XML of domain '%s' is not compatible with the saved guest: its %s differ",
                 old->name, what);
    return FALSE;
  }
  return TRUE;
}

static VbDomainDef *
parse_replacement (const char *xml, const VbDomainDef *old, GError **error)
{
  g_autoptr(VbDomainDef) def = vb_domain_def_parse_full (xml, VB_DOMAIN_PARSE_INACTIVE, error);

  if (def == NULL || !check_abi (old, def, error))
    return NULL;
  return g_steal_pointer (&def);
}

/* ---- managed save images ---- */

static char *
managed_save_path (VbQemuBackend *self, const char *name)
{
  const VbStateDirs *dirs = vb_backend_get_state_dirs (VB_BACKEND (self));
  g_autofree char *file = g_strconcat (name, ".save", NULL);

  return g_build_filename (dirs->lib_dir, "save", file, NULL);
}

static char *
dom_managed_save_path (VbObj *dom)
{
  return managed_save_path (vb_qemu_dom (dom)->backend, dom->name);
}

static gboolean
has_managed_save (VbObj *dom)
{
  g_autofree char *path = dom_managed_save_path (dom);

  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

/* ---- save ---- */

typedef struct {
  VbObj *dom;
  GTask *task;
  char *path;
  int fd;
  gboolean created;     /* we made the file: remove it on failure */
  gboolean was_running; /* CPUs ran: run them again on failure */
  gboolean managed;
  gboolean bypass_cache;
  gboolean dump;        /* CoreDump, with dump_flags */
  gboolean keep;        /* a memory snapshot's: QEMU stays, its caller goes on with the job */
  guint dump_flags;
  guint dump_format;
  GError *error;        /* the failure being cleaned up after */
} SaveOp;

static void
save_op_free (SaveOp *op)
{
  if (op->fd >= 0)
    close (op->fd);
  g_object_unref (op->dom);
  g_clear_object (&op->task);
  g_free (op->path);
  g_clear_error (&op->error);
  g_free (op);
}

static void
on_failed_save_resumed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SaveOp *op = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_warning ("cannot resume domain '%s' after its failed %s: %s", op->dom->name, op->dump ? "dump" : "save",
               error->message);
    vb_qemu_dom (op->dom)->resume_reason = vb_qemu_dom (op->dom)->resume_detail = -1;
  } else {
    /* Normally its RESUME came first. */
    vb_qemu_process_note_resumed (op->dom);
  }
  g_task_return_error (op->task, g_steal_pointer (&op->error));
  save_op_free (op);
}

/* Undoes a save that did not make it: no partial file, the job ends
 * failed (or cancelled), the guest runs again if it ran (a memory
 * snapshot's caller does those two itself). */
static void
save_failed (SaveOp *op, GError *error)
{
  VbQemuDom *d = vb_qemu_dom (op->dom);
  g_autoptr(GTask) cont = NULL;

  if (op->fd >= 0)
    close (op->fd);
  op->fd = -1;
  g_object_set_data (G_OBJECT (op->dom), DUMP_KEY, NULL);
  if (op->created && unlink (op->path) < 0 && errno != ENOENT)
    g_warning ("cannot remove partial %s '%s': %s", op->dump ? "core dump" : "save image", op->path,
               g_strerror (errno));
  d->pause_reason = -1;
  d->pause_detail = -1;
  if (!op->keep)
    vb_qemu_job_end (op->dom, error);
  op->error = error;
  /* A memory snapshot's caller settles the CPUs itself (and the disks). */
  if (op->keep || !op->was_running || vb_qemu_process_get_qmp (op->dom) == NULL ||
      op->dom->state != VB_DOMAIN_PAUSED) {
    g_task_return_error (op->task, g_steal_pointer (&op->error));
    save_op_free (op);
    return;
  }
  /* The guest runs again: RUNNING/SAVE_CANCELED (after a dump a plain
   * RUNNING/UNPAUSED), RESUMED/UNPAUSED. */
  if (!op->dump) {
    d->resume_reason = VB_QEMU_RUNNING_SAVE_CANCELED;
    d->resume_detail = VB_QEMU_RESUMED_UNPAUSED;
  }
  cont = g_task_new (NULL, NULL, on_failed_save_resumed, op);
  vb_qemu_process_qmp_void (op->dom, "cont", NULL, cont);
}

static void
on_saved_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SaveOp *op = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_warning ("stopping domain '%s' after saving it: %s", op->dom->name, error->message);
  g_task_return_boolean (op->task, TRUE);
  save_op_free (op);
}

static void dump_done (SaveOp *op);

static void
sync_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  SaveOp *op = task_data;

  if (fdatasync (op->fd) < 0) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_IO, "cannot write %s '%s': %s",
                             op->dump ? "core dump" : "save image", op->path, g_strerror (errno));
    return;
  }
  /* BYPASS_CACHE: at least do not leave the image in the page cache. */
  if (op->bypass_cache)
    posix_fadvise (op->fd, 0, 0, POSIX_FADV_DONTNEED);
  g_task_return_boolean (task, TRUE);
}

static void
on_synced (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SaveOp *op = user_data;
  VbQemuDom *d = vb_qemu_dom (op->dom);
  GError *error = NULL;
  GTask *stop;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    save_failed (op, error);
    return;
  }
  close (op->fd);
  op->fd = -1;
  /* A live memory snapshot's guest was paused by QEMU: its STOP came first. */
  if (op->keep && op->was_running)
    vb_qemu_process_note_paused (op->dom);
  d->pause_reason = -1;
  d->pause_detail = -1;
  if (op->keep) {
    /* The snapshot goes on with its disks. */
    g_task_return_boolean (op->task, TRUE);
    save_op_free (op);
    return;
  }
  vb_qemu_job_end (op->dom, NULL);
  if (op->dump) {
    dump_done (op);
    return;
  }
  if (op->managed)
    op->dom->has_managed_save = TRUE;
  /* Its state is on disk: the QEMU goes, STOPPED/SAVED, shutoff/saved. */
  stop = g_task_new (NULL, NULL, on_saved_stopped, op);
  vb_qemu_process_destroy (d->backend, op->dom, VB_QEMU_STOP_SAVED, FALSE, stop);
  g_object_unref (stop);
}

/* QEMU wrote everything: on disk it goes (in a thread), then on_synced. */
static void
start_sync (SaveOp *op)
{
  g_autoptr(GTask) sync = g_task_new (NULL, NULL, on_synced, op);

  g_task_set_task_data (sync, op, NULL);
  g_task_run_in_thread (sync, sync_in_thread);
}

static void
on_migrated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SaveOp *op = user_data;
  GError *error = NULL;

  if (!vb_qemu_job_migrate_out_finish (result, &error)) {
    if (op->dump)
      g_prefix_error (&error, "cannot dump domain '%s': ", op->dom->name);
    save_failed (op, error);
    return;
  }
  start_sync (op);
}

static void
start_migration (SaveOp *op)
{
  vb_qemu_job_migrate_out_async (op->dom, NULL, op->fd, NULL, NULL, on_migrated, op);
}

static void start_dump (SaveOp *op);

static void
on_save_paused (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SaveOp *op = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_prefix_error (&error, "cannot pause domain '%s' to %s it: ", op->dom->name, op->dump ? "dump" : "save");
    save_failed (op, error);
    return;
  }
  /* STOP is normally reported by its event before the reply. */
  vb_qemu_process_note_paused (op->dom);
  if (op->dump)
    start_dump (op);
  else
    start_migration (op);
}

/* Opens @op->path for writing into op->fd. Only what we create is removed
 * on failure (an existing file or fifo the caller gave stays). */
static gboolean
open_target (SaveOp *op, GError **error)
{
  int fd = open (op->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

  if (fd >= 0)
    op->created = TRUE;
  else if (errno == EEXIST)
    /* Non-blocking open: a fifo without a reader must not hang the
     * daemon (ENXIO instead); the writes block again. */
    fd = open (op->path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NONBLOCK);
  if (fd >= 0 && !op->created)
    fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  op->fd = fd;
  if (fd < 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot create %s '%s': %s", op->dump ? "core dump" : "save image",
                 op->path, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

/* Saves running/paused @dom to @path (an open fd with the header written
 * is made here). */
static void
save_to (VbBackend *backend, VbObj *dom, const char *path, const char *xml, guint flags, gboolean managed,
         GTask *task)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autoptr(VbDomainDef) replacement = NULL;
  g_autofree char *image_xml = NULL;
  GError *error = NULL;
  gboolean paused;
  SaveOp *op;
  int fd;

  if ((flags & SAVE_RUNNING) && (flags & SAVE_PAUSED))
    FAIL (task, VB_ERROR_INVALID_ARG, "the running and paused flags are mutually exclusive");
  if (!dom->active || d->starting || vb_qemu_process_get_qmp (dom) == NULL)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running: it has no state to save", dom->name);
  if (dom->state != VB_DOMAIN_RUNNING && dom->state != VB_DOMAIN_PAUSED)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' cannot be saved while it is %s", dom->name,
          dom->state == VB_DOMAIN_SHUTDOWN ? "shutting down" : "in this state");
  if (xml != NULL && *xml != '\0' && (replacement = parse_replacement (xml, dom->def, &error)) == NULL)
    RETURN_ERROR (task, error);
  if (vb_qemu_job_begin (dom, VB_QEMU_JOB_SAVE, TRUE, &error) == NULL)
    RETURN_ERROR (task, error);

  paused = (flags & SAVE_PAUSED) || (dom->state == VB_DOMAIN_PAUSED && !(flags & SAVE_RUNNING));
  image_xml = vb_domain_def_format (replacement ? replacement : dom->def, VB_DOMAIN_XML_SECURE);
  op = g_new0 (SaveOp, 1);
  op->dom = g_object_ref (dom);
  op->task = g_object_ref (task);
  op->path = g_strdup (path);
  op->managed = managed;
  op->bypass_cache = (flags & SAVE_BYPASS_CACHE) != 0;
  op->was_running = dom->state == VB_DOMAIN_RUNNING;
  if (!open_target (op, &error)) {
    op->was_running = FALSE;
    save_failed (op, error);
    return;
  }
  fd = op->fd;
  /* If virtbusd dies before the save is over, the next one undoes it. */
  vb_qemu_job_set_recovery (dom, op->was_running, op->created ? path : NULL, managed);
  /* QEMU writes from the fd's position: right after the XML slot. */
  if (!write_header (fd, path, image_xml, paused ? IMAGE_FLAG_PAUSED : 0, xml_slot_for (strlen (image_xml)), TRUE,
                     &error)) {
    op->was_running = FALSE;
    save_failed (op, error);
    return;
  }
  if (dom->state == VB_DOMAIN_RUNNING) {
    g_autoptr(GTask) stop = g_task_new (NULL, NULL, on_save_paused, op);
    /* The guest must not change while its memory is written. */
    d->pause_reason = VB_QEMU_PAUSED_SAVE;
    d->pause_detail = VB_QEMU_SUSPENDED_PAUSED;
    vb_qemu_process_qmp_void (dom, "stop", NULL, stop);
    return;
  }
  start_migration (op);
}

void
vb_qemu_save_memory_async (VbObj *dom, const char *path, gboolean live, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autoptr(GTask) task = g_task_new (dom, NULL, callback, user_data);
  g_autofree char *image_xml = NULL;
  GError *error = NULL;
  SaveOp *op;

  g_task_set_source_tag (task, vb_qemu_save_memory_async);
  if (!dom->active || vb_qemu_process_get_qmp (dom) == NULL ||
      (dom->state != VB_DOMAIN_RUNNING && dom->state != VB_DOMAIN_PAUSED))
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running: it has no memory state to save", dom->name);
  image_xml = vb_domain_def_format (dom->def, VB_DOMAIN_XML_SECURE);
  op = g_new0 (SaveOp, 1);
  op->dom = g_object_ref (dom);
  op->task = g_object_ref (task);
  op->path = g_strdup (path);
  op->keep = TRUE;
  op->was_running = dom->state == VB_DOMAIN_RUNNING;
  if (!open_target (op, &error)) {
    g_prefix_error (&error, "memory state: ");
    save_failed (op, error);
    return;
  }
  vb_qemu_job_set_recovery (dom, op->was_running, op->created ? path : NULL, FALSE);
  if (!write_header (op->fd, path, image_xml, op->was_running ? 0 : IMAGE_FLAG_PAUSED,
                     xml_slot_for (strlen (image_xml)), TRUE, &error)) {
    save_failed (op, error);
    return;
  }
  if (op->was_running) {
    /* Paused now (without @live), or by QEMU once the state is written. */
    d->pause_reason = VB_QEMU_PAUSED_SNAPSHOT;
    d->pause_detail = VB_QEMU_SUSPENDED_PAUSED;
    if (!live) {
      g_autoptr(GTask) stop = g_task_new (NULL, NULL, on_save_paused, op);
      vb_qemu_process_qmp_void (dom, "stop", NULL, stop);
      return;
    }
  }
  start_migration (op);
}

gboolean
vb_qemu_save_memory_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
qemu_save (VbBackend *backend, VbObj *dom, const char *to, const char *xml, guint flags, GTask *task)
{
  GError *error = NULL;

  if (!vb_check_flags (flags, SAVE_BYPASS_CACHE | SAVE_RUNNING | SAVE_PAUSED, "Save", &error) ||
      !check_path (task, to, W_OK, VB_PATH_POLICY_MAY_CREATE, &error))
    RETURN_ERROR (task, error);
  save_to (backend, dom, to, xml, flags, FALSE, task);
}

static void
qemu_managed_save (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  g_autofree char *path = dom_managed_save_path (dom);
  g_autofree char *dir = g_path_get_dirname (path);
  GError *error = NULL;

  if (!vb_check_flags (flags, SAVE_BYPASS_CACHE | SAVE_RUNNING | SAVE_PAUSED, "ManagedSave", &error))
    RETURN_ERROR (task, error);
  if (!dom->persistent)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot do managed save for transient domain '%s'", dom->name);
  if (g_mkdir_with_parents (dir, 0700) < 0)
    FAIL (task, VB_ERROR_IO, "cannot create %s: %s", dir, g_strerror (errno));
  save_to (backend, dom, path, NULL, flags, TRUE, task);
}

static void
qemu_has_managed_save_image (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  GError *error = NULL;
  gboolean has;

  if (!vb_check_flags (flags, 0, "HasManagedSaveImage", &error))
    RETURN_ERROR (task, error);
  /* The file decides (also after a daemon restart). */
  has = has_managed_save (dom);
  dom->has_managed_save = has;
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_new_boolean (has)), (GDestroyNotify) g_variant_unref);
}

static void
qemu_managed_save_remove (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  g_autofree char *path = dom_managed_save_path (dom);
  GError *error = NULL;

  if (!vb_check_flags (flags, 0, "ManagedSaveRemove", &error) || !vb_file_remove (path, &error))
    RETURN_ERROR (task, error);
  dom->has_managed_save = FALSE;
  g_task_return_boolean (task, TRUE);
}

/* ---- restore ---- */

typedef struct {
  VbObj *dom;
  GTask *task;
  gboolean created;         /* a transient domain made for this restore */
  VbDomainDef *old_def;     /* the persistent domain's def before, or NULL */
  char *managed_path;       /* restoring the managed save image: removed after */
} RestoreOp;

static void
restore_op_free (RestoreOp *op)
{
  g_object_unref (op->dom);
  g_clear_object (&op->task);
  g_clear_pointer (&op->old_def, vb_domain_def_free);
  g_free (op->managed_path);
  g_free (op);
}

static void
on_restored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RestoreOp *op = user_data;
  VbObj *dom = op->dom;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    vb_qemu_job_end (dom, error);
    /* Nothing of the attempt stays: no transient domain, the old config. */
    if (op->created && !dom->active) {
      vb_backend_remove_object (VB_BACKEND (vb_qemu_dom (dom)->backend), dom);
    } else if (!dom->active && op->old_def != NULL) {
      if (dom->newdef != NULL) {
        gpointer newdef = dom->newdef;
        dom->newdef = NULL;
        vb_domain_def_free (newdef);
      }
      vb_obj_set_def (dom, g_steal_pointer (&op->old_def));
    }
    g_task_return_error (op->task, error);
    restore_op_free (op);
    return;
  }
  vb_qemu_job_end (dom, NULL);
  if (op->managed_path != NULL) {
    g_autoptr(GError) local = NULL;
    if (!vb_file_remove (op->managed_path, &local))
      g_warning ("%s", local->message);
    dom->has_managed_save = FALSE;
  }
  g_task_return_boolean (op->task, TRUE);
  restore_op_free (op);
}

/* Starts a domain from the image at @path. @expected: the domain a
 * managed save image belongs to (Create), else NULL (DomainRestore). */
static void
restore_from (VbQemuBackend *self, const char *path, const char *xml, guint flags, VbObj *expected, GTask *task)
{
  VbBackend *backend = VB_BACKEND (self);
  g_auto(ImageHeader) h = { 0 };
  g_autoptr(VbDomainDef) def = NULL;
  VbQemuStartOptions opts = { 0 };
  GError *error = NULL;
  VbObj *by_uuid, *by_name, *dom;
  RestoreOp *op;
  gboolean paused;
  int fd;

  if ((flags & SAVE_RUNNING) && (flags & SAVE_PAUSED))
    FAIL (task, VB_ERROR_INVALID_ARG, "the running and paused flags are mutually exclusive");
  fd = open_image (path, O_RDONLY, &h, &error);
  if (fd < 0)
    RETURN_ERROR (task, error);
  def = vb_domain_def_parse (h.xml, &error);
  if (def == NULL) {
    close (fd);
    g_prefix_error (&error, "save image '%s' is corrupt: ", path);
    RETURN_ERROR (task, error);
  }
  if (xml != NULL && *xml != '\0') {
    VbDomainDef *replacement = parse_replacement (xml, def, &error);
    if (replacement == NULL) {
      close (fd);
      RETURN_ERROR (task, error);
    }
    vb_domain_def_free (def);
    def = replacement;
  }
  def->id = -1;
  if (!vb_qemu_domain_check_host_paths (def, vb_task_get_caller_creds (task), &error)) {
    close (fd);
    RETURN_ERROR (task, error);
  }

  /* libvirt's rules: the image's uuid and name designate one domain. */
  by_uuid = vb_backend_lookup (backend, VB_OBJ_DOMAIN, def->uuid);
  by_name = vb_backend_lookup_by_name (backend, VB_OBJ_DOMAIN, def->name);
  if (by_uuid != NULL && g_strcmp0 (by_uuid->name, def->name) != 0) {
    close (fd);
    FAIL (task, VB_ERROR_EXISTS, "domain '%s' is already defined with uuid %s", by_uuid->name, by_uuid->uuid);
  }
  if (by_uuid == NULL && by_name != NULL) {
    close (fd);
    FAIL (task, VB_ERROR_EXISTS, "domain '%s' already exists with uuid %s", by_name->name, by_name->uuid);
  }
  if (expected != NULL && by_uuid != expected) {
    close (fd);
    FAIL (task, VB_ERROR_INVALID_ARG, "the managed save image of domain '%s' belongs to another domain ('%s')",
          expected->name, def->name);
  }
  if (by_uuid != NULL && (by_uuid->active || vb_qemu_dom (by_uuid)->starting)) {
    close (fd);
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is already active", by_uuid->name);
  }
  if (by_uuid != NULL && !vb_qemu_domain_ensure_def (by_uuid, &error)) {
    close (fd);
    g_task_return_error (task, error);
    return;
  }
  if (lseek (fd, (off_t) h.data_offset, SEEK_SET) < 0) {
    int saved = errno;
    close (fd);
    FAIL (task, VB_ERROR_IO, "cannot read save image '%s': %s", path, g_strerror (saved));
  }

  op = g_new0 (RestoreOp, 1);
  op->task = g_object_ref (task);
  if (by_uuid == NULL) {
    g_autoptr(VbObj) created = vb_qemu_domain_new_obj (self, g_steal_pointer (&def));
    vb_backend_add_object (backend, created);
    for (guint i = 0; vb_qemu_parts[i] != NULL; i++)
      if (vb_qemu_parts[i]->loaded != NULL)
        vb_qemu_parts[i]->loaded (self, created);
    op->created = TRUE;
    dom = created;
  } else {
    /* The image's definition runs; the persistent one stays the config. */
    dom = by_uuid;
    op->old_def = vb_domain_def_copy (dom->def);
    vb_obj_set_newdef (dom, vb_domain_def_copy (dom->def));
    vb_obj_set_def (dom, g_steal_pointer (&def));
  }
  op->dom = g_object_ref (dom);
  if (expected != NULL)
    op->managed_path = g_strdup (path);
  if (vb_qemu_job_begin (dom, VB_QEMU_JOB_RESTORE, TRUE, &error) == NULL) {
    g_autoptr(GTask) failed = g_task_new (NULL, NULL, on_restored, op);
    close (fd);
    g_task_return_error (failed, error);
    return;
  }

  paused = (flags & SAVE_PAUSED) || ((h.flags & IMAGE_FLAG_PAUSED) && !(flags & SAVE_RUNNING));
  opts.incoming = TRUE;
  opts.prepare = vb_qemu_job_incoming_prepare;
  opts.user_data = vb_qemu_incoming_new (NULL, fd);
  opts.user_data_free = vb_qemu_incoming_free;
  opts.started_detail = VB_QEMU_STARTED_RESTORED;
  opts.running_reason = VB_QEMU_RUNNING_RESTORED;
  opts.suspended_detail = VB_QEMU_SUSPENDED_RESTORED;
  opts.paused_reason = VB_QEMU_PAUSED_SAVE;
  {
    g_autoptr(GTask) start = g_task_new (self, NULL, on_restored, op);
    vb_qemu_process_start_full (self, dom,
                                (paused ? VB_QEMU_START_PAUSED : 0) |
                                  ((flags & SAVE_RESET_NVRAM) ? VB_QEMU_START_RESET_NVRAM : 0),
                                &opts, start);
  }
}

static void
qemu_restore (VbBackend *backend, const char *from, const char *xml, guint flags, GTask *task)
{
  GError *error = NULL;

  if (!vb_check_flags (flags, SAVE_BYPASS_CACHE | SAVE_RUNNING | SAVE_PAUSED | SAVE_RESET_NVRAM, "DomainRestore",
                       &error) ||
      !check_path (task, from, R_OK, 0, &error))
    RETURN_ERROR (task, error);
  restore_from (VB_QEMU_BACKEND (backend), from, xml, flags, NULL, task);
}

/* Create of a domain with a managed save image resumes it from there
 * (FORCE_BOOT: the image is discarded and the guest boots). */
static VbDomainFlagsOp core_create;

static void
qemu_create_or_restore (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  g_autofree char *path = dom_managed_save_path (dom);

  if (dom->active || vb_qemu_dom (dom)->starting ||
      (flags & ~(VB_QEMU_START_PAUSED | VB_QEMU_START_BYPASS_CACHE | VB_QEMU_START_FORCE_BOOT |
                 VB_QEMU_START_RESET_NVRAM)) ||
      !g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    core_create (backend, dom, flags, task);
    return;
  }
  if (flags & VB_QEMU_START_FORCE_BOOT) {
    GError *error = NULL;
    if (!vb_file_remove (path, &error))
      RETURN_ERROR (task, error);
    dom->has_managed_save = FALSE;
    core_create (backend, dom, flags, task);
    return;
  }
  restore_from (VB_QEMU_BACKEND (backend), path, NULL,
                ((flags & VB_QEMU_START_PAUSED) ? SAVE_PAUSED : 0) |
                  ((flags & VB_QEMU_START_RESET_NVRAM) ? SAVE_RESET_NVRAM : 0),
                dom, task);
}

/* ---- the image's XML ---- */

static void
qemu_save_image_get_xml_desc (VbBackend *backend, const char *file, guint flags, GTask *task)
{
  g_auto(ImageHeader) h = { 0 };
  g_autoptr(VbDomainDef) def = NULL;
  GError *error = NULL;
  int fd;

  if (!vb_check_flags (flags, VB_DOMAIN_XML_SECURE, "DomainSaveImageGetXMLDesc", &error) ||
      !check_path (task, file, R_OK, 0, &error))
    RETURN_ERROR (task, error);
  fd = open_image (file, O_RDONLY, &h, &error);
  if (fd < 0)
    RETURN_ERROR (task, error);
  close (fd);
  def = vb_domain_def_parse (h.xml, &error);
  if (def == NULL)
    RETURN_ERROR (task, error);
  g_task_return_pointer (task, vb_domain_def_format (def, (flags & VB_DOMAIN_XML_SECURE) | VB_DOMAIN_XML_INACTIVE),
                         g_free);
}

typedef struct {
  char *path;
  char *xml;
  guint32 flags;
  int fd;            /* the image, open read-write */
  guint64 old_offset;
} DefineOp;

static void
define_op_free (gpointer data)
{
  DefineOp *op = data;

  if (op->fd >= 0)
    close (op->fd);
  g_free (op->path);
  g_free (op->xml);
  g_free (op);
}

/* A new XML that does not fit the slot: a new file (header, then a copy of
 * the stream) replaces the old one by rename, so readers and crashes see
 * one or the other. In a thread: the stream can be gigabytes. */
static void
rewrite_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DefineOp *op = task_data;
  g_autofree char *tmp = g_strconcat (op->path, ".vbtmp", NULL);
  guint32 slot = xml_slot_for (strlen (op->xml));
  g_autofree char *buf = g_malloc (1 << 20);
  GError *error = NULL;
  off_t in = (off_t) op->old_offset, out = IMAGE_HEADER_LEN + slot;
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  if (fd < 0) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_IO, "cannot create %s: %s", tmp, g_strerror (errno));
    return;
  }
  if (write_header (fd, tmp, op->xml, op->flags, slot, FALSE, &error)) {
    for (;;) {
      ssize_t n = pread (op->fd, buf, 1 << 20, in);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 || (n > 0 && !write_all_at (fd, buf, n, out))) {
        error = g_error_new (VB_ERROR, VB_ERROR_IO, "cannot copy save image '%s': %s", op->path, g_strerror (errno));
        break;
      }
      if (n == 0)
        break;
      in += n, out += n;
    }
  }
  if (error == NULL && fsync (fd) < 0)
    error = g_error_new (VB_ERROR, VB_ERROR_IO, "cannot write %s: %s", tmp, g_strerror (errno));
  close (fd);
  if (error == NULL && rename (tmp, op->path) < 0)
    error = g_error_new (VB_ERROR, VB_ERROR_IO, "cannot replace '%s': %s", op->path, g_strerror (errno));
  if (error != NULL) {
    unlink (tmp);
    g_task_return_error (task, error);
    return;
  }
  g_task_return_boolean (task, TRUE);
}

static void
on_define_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    RETURN_ERROR (task, error);
  g_task_return_boolean (task, TRUE);
}

static void
qemu_save_image_define_xml (VbBackend *backend, const char *file, const char *xml, guint flags, GTask *task)
{
  g_auto(ImageHeader) h = { 0 };
  g_autoptr(VbDomainDef) old = NULL;
  g_autoptr(VbDomainDef) def = NULL;
  g_autofree char *new_xml = NULL;
  GError *error = NULL;
  guint32 image_flags;
  DefineOp *op;
  int fd;

  if (!vb_check_flags (flags, SAVE_RUNNING | SAVE_PAUSED, "DomainSaveImageDefineXML", &error) ||
      !check_path (task, file, R_OK | W_OK, 0, &error))
    RETURN_ERROR (task, error);
  if ((flags & SAVE_RUNNING) && (flags & SAVE_PAUSED))
    FAIL (task, VB_ERROR_INVALID_ARG, "the running and paused flags are mutually exclusive");
  if (xml == NULL || *xml == '\0')
    FAIL (task, VB_ERROR_INVALID_ARG, "a domain XML is required");
  fd = open_image (file, O_RDWR, &h, &error);
  if (fd < 0)
    RETURN_ERROR (task, error);
  if ((old = vb_domain_def_parse (h.xml, &error)) == NULL || (def = parse_replacement (xml, old, &error)) == NULL) {
    close (fd);
    RETURN_ERROR (task, error);
  }
  image_flags = h.flags;
  if (flags & SAVE_RUNNING)
    image_flags &= ~IMAGE_FLAG_PAUSED;
  else if (flags & SAVE_PAUSED)
    image_flags |= IMAGE_FLAG_PAUSED;
  new_xml = vb_domain_def_format (def, VB_DOMAIN_XML_SECURE);
  if (strlen (new_xml) <= h.xml_slot) {
    /* Fits the padded slot: rewritten in place, the stream untouched. */
    gboolean ok = write_header (fd, file, new_xml, image_flags, h.xml_slot, FALSE, &error) &&
                  (fdatasync (fd) == 0 || (error = g_error_new (VB_ERROR, VB_ERROR_IO, "cannot write '%s': %s", file,
                                                                g_strerror (errno))) == NULL);
    close (fd);
    if (!ok)
      RETURN_ERROR (task, error);
    g_task_return_boolean (task, TRUE);
    return;
  }
  op = g_new0 (DefineOp, 1);
  op->path = g_strdup (file);
  op->xml = g_steal_pointer (&new_xml);
  op->flags = image_flags;
  op->fd = fd;
  op->old_offset = h.data_offset;
  {
    g_autoptr(GTask) rewrite = g_task_new (backend, NULL, on_define_done, g_object_ref (task));
    g_task_set_task_data (rewrite, op, define_op_free);
    g_task_run_in_thread (rewrite, rewrite_in_thread);
  }
}

/* ---- CoreDump ---- */

static void
on_dump_finished (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SaveOp *op = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_prefix_error (&error, "the core dump of domain '%s' is written, but: ", op->dom->name);
    g_task_return_error (op->task, error);
  } else {
    g_task_return_boolean (op->task, TRUE);
  }
  save_op_free (op);
}

static void
on_dump_reactivated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) done = user_data;
  GError *error = NULL;

  if (!vb_qemu_job_reactivate_finish (result, &error))
    g_task_return_error (done, error);
  else
    g_task_return_boolean (done, TRUE);
}

static void
on_dump_status (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) done = user_data;
  SaveOp *op = g_task_get_task_data (done);
  VbQemuDom *d = vb_qemu_dom (op->dom);
  g_autoptr(JsonNode) ret = NULL;
  GError *error = NULL;

  ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);
  if (ret == NULL) {
    g_task_return_error (done, error);
    return;
  }
  /* QEMU stops the guest at the end of a migration stream, and a guest
   * we paused for the dump runs again. */
  if (op->was_running && JSON_NODE_HOLDS_OBJECT (ret) &&
      !json_object_get_boolean_member_with_default (json_node_get_object (ret), "running", TRUE)) {
    d->pause_reason = -1;
    vb_qemu_process_qmp_void (op->dom, "cont", NULL, done);
    return;
  }
  /* A raw dump of a paused guest: it stays paused, with its disks. */
  if (!op->was_running && JSON_NODE_HOLDS_OBJECT (ret) && vb_qemu_job_disks_handed_over (json_node_get_object (ret))) {
    vb_qemu_job_reactivate_async (op->dom, on_dump_reactivated, g_steal_pointer (&done));
    return;
  }
  g_task_return_boolean (done, TRUE);
}

static void
on_dump_reset (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) done = user_data;
  SaveOp *op = g_task_get_task_data (done);
  GError *error = NULL;
  VbQmp *qmp = vb_qemu_process_get_qmp (op->dom);

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_prefix_error (&error, "cannot reset domain '%s': ", op->dom->name);
    g_task_return_error (done, error);
    return;
  }
  if (qmp == NULL) {
    g_task_return_boolean (done, TRUE);
    return;
  }
  vb_qmp_execute_async (qmp, "query-status", NULL, NULL, on_dump_status, g_steal_pointer (&done));
}

/* The dump is on disk: CRASH destroys the domain (shutoff/crashed), RESET
 * resets it, and a guest that ran before runs on. */
static void
dump_done (SaveOp *op)
{
  VbQemuDom *d = vb_qemu_dom (op->dom);
  GTask *done = g_task_new (NULL, NULL, on_dump_finished, op);
  VbQmp *qmp = vb_qemu_process_get_qmp (op->dom);

  g_task_set_task_data (done, op, NULL);
  if (op->dump_flags & DUMP_CRASH) {
    vb_qemu_process_destroy (d->backend, op->dom, VB_QEMU_STOP_CRASH, FALSE, done);
    g_object_unref (done);
    return;
  }
  if (qmp == NULL) {
    g_task_return_boolean (done, TRUE);
    g_object_unref (done);
    return;
  }
  if (op->dump_flags & DUMP_RESET) {
    GTask *reset = g_task_new (NULL, NULL, on_dump_reset, done);
    vb_qemu_process_qmp_void (op->dom, "system_reset", NULL, reset);
    g_object_unref (reset);
    return;
  }
  vb_qmp_execute_async (qmp, "query-status", NULL, NULL, on_dump_status, done);
}

/* QEMU's DUMP_COMPLETED of a memory-only dump. */
static void
dump_completed (VbObj *dom, JsonObject *data)
{
  SaveOp *op = g_object_steal_data (G_OBJECT (dom), DUMP_KEY);
  const char *message = data != NULL ? json_object_get_string_member_with_default (data, "error", NULL) : NULL;

  if (op == NULL)
    return;
  if (message != NULL) {
    save_failed (op, g_error_new (VB_ERROR, VB_ERROR_FAILED, "cannot dump domain '%s': %s", dom->name, message));
    return;
  }
  start_sync (op);
}

static void
on_dump_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SaveOp *op = user_data;
  g_autoptr(JsonNode) ret = NULL;
  GError *error = NULL;

  ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);
  if (ret == NULL) {
    g_object_set_data (G_OBJECT (op->dom), DUMP_KEY, NULL);
    g_prefix_error (&error, "cannot dump domain '%s': ", op->dom->name);
    save_failed (op, error);
  }
  /* Else DUMP_COMPLETED goes on. */
}

static void
on_dump_fd_passed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SaveOp *op = user_data;
  g_autoptr(JsonNode) ret = NULL;
  g_autoptr(JsonObject) args = json_object_new ();
  GError *error = NULL;

  ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);
  if (ret == NULL) {
    g_prefix_error (&error, "cannot pass the core dump file to QEMU of domain '%s': ", op->dom->name);
    save_failed (op, error);
    return;
  }
  json_object_set_boolean_member (args, "paging", FALSE);
  json_object_set_string_member (args, "protocol", "fd:" DUMP_FD_NAME);
  json_object_set_boolean_member (args, "detach", TRUE);
  json_object_set_string_member (args, "format", dump_formats[op->dump_format]);
  g_object_set_data (G_OBJECT (op->dom), DUMP_KEY, op);
  vb_qmp_execute_async (VB_QMP (source), "dump-guest-memory", args, NULL, on_dump_started, op);
}

static void
start_dump (SaveOp *op)
{
  g_autoptr(JsonObject) args = json_object_new ();
  VbQmp *qmp = vb_qemu_process_get_qmp (op->dom);

  if (qmp == NULL) {
    save_failed (op, g_error_new (VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running",
                                  op->dom->name));
    return;
  }
  if (!(op->dump_flags & DUMP_MEMORY_ONLY)) {
    /* As libvirt: QEMU's migration stream of the guest. */
    start_migration (op);
    return;
  }
  json_object_set_string_member (args, "fdname", DUMP_FD_NAME);
  vb_qmp_execute_with_fd_async (qmp, "getfd", args, op->fd, NULL, on_dump_fd_passed, op);
}

/* CoreDump: the guest's state into @to — RAW: QEMU's migration stream (as
 * libvirt); MEMORY_ONLY: dump-guest-memory in @dumpformat (ELF for RAW,
 * kdump-*, win-dmp). Without LIVE the guest is paused meanwhile. */
static void
qemu_core_dump (VbBackend *backend, VbObj *dom, const char *to, guint dumpformat, guint flags, GTask *task)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  GError *error = NULL;
  SaveOp *op;

  if (!vb_check_flags (flags, DUMP_CRASH | DUMP_LIVE | DUMP_BYPASS_CACHE | DUMP_RESET | DUMP_MEMORY_ONLY,
                       "CoreDump", &error))
    RETURN_ERROR (task, error);
  if ((flags & DUMP_CRASH) && (flags & DUMP_RESET))
    FAIL (task, VB_ERROR_INVALID_ARG, "the crash and reset flags are mutually exclusive");
  if (dumpformat >= G_N_ELEMENTS (dump_formats))
    FAIL (task, VB_ERROR_INVALID_ARG, "unknown dump format %u", dumpformat);
  if (dumpformat != 0 && !(flags & DUMP_MEMORY_ONLY))
    FAIL (task, VB_ERROR_INVALID_ARG, "dump format '%s' requires a memory-only dump", dump_formats[dumpformat]);
  if (to == NULL || *to == '\0')
    FAIL (task, VB_ERROR_INVALID_ARG, "a file to dump the domain to is required");
  if (!g_path_is_absolute (to))
    FAIL (task, VB_ERROR_INVALID_ARG, "the core dump path '%s' must be absolute", to);
  if (!vb_path_policy_check (vb_task_get_caller_creds (task), to, W_OK, VB_PATH_POLICY_MAY_CREATE, &error))
    RETURN_ERROR (task, error);
  if (!dom->active || d->starting || vb_qemu_process_get_qmp (dom) == NULL)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
  if (dom->state != VB_DOMAIN_RUNNING && dom->state != VB_DOMAIN_PAUSED)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' cannot be dumped in this state", dom->name);
  if (vb_qemu_job_begin (dom, VB_QEMU_JOB_DUMP, !(flags & DUMP_MEMORY_ONLY), &error) == NULL)
    RETURN_ERROR (task, error);

  op = g_new0 (SaveOp, 1);
  op->dom = g_object_ref (dom);
  op->task = g_object_ref (task);
  op->path = g_strdup (to);
  op->dump = TRUE;
  op->dump_flags = flags;
  op->dump_format = dumpformat;
  op->bypass_cache = (flags & DUMP_BYPASS_CACHE) != 0;
  op->was_running = dom->state == VB_DOMAIN_RUNNING;
  if (!open_target (op, &error)) {
    op->was_running = FALSE;
    save_failed (op, error);
    return;
  }
  /* If virtbusd dies meanwhile, the next one removes the partial file and
   * runs the guest again (a memory-only dump's QEMU does that itself). */
  vb_qemu_job_set_recovery (dom, op->was_running && !(flags & DUMP_MEMORY_ONLY), op->created ? to : NULL, FALSE);
  if (!(flags & DUMP_LIVE) && dom->state == VB_DOMAIN_RUNNING) {
    g_autoptr(GTask) stop = g_task_new (NULL, NULL, on_save_paused, op);
    d->pause_reason = VB_QEMU_PAUSED_DUMP;
    d->pause_detail = VB_QEMU_SUSPENDED_PAUSED;
    vb_qemu_process_qmp_void (dom, "stop", NULL, stop);
    return;
  }
  /* Live, or paused already: QEMU stops the CPUs itself for a
   * memory-only dump and for the end of a migration stream. */
  d->pause_reason = VB_QEMU_PAUSED_DUMP;
  d->pause_detail = VB_QEMU_SUSPENDED_PAUSED;
  start_dump (op);
}

/* ---- the part ---- */

static void
save_loaded (VbQemuBackend *self, VbObj *dom)
{
  g_autofree char *file = g_strconcat (dom->name, ".save", NULL);

  dom->has_managed_save = vb_qemu_lib_entry_exists (self, "save", file) && has_managed_save (dom);
}

static gboolean
save_event (VbObj *dom, const char *name, JsonObject *data)
{
  if (strcmp (name, "DUMP_COMPLETED") == 0) {
    dump_completed (dom, data);
    return TRUE;
  }
  return FALSE;
}

static gboolean
save_undefine (VbObj *dom, guint flags, GError **error)
{
  g_autofree char *path = dom_managed_save_path (dom);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (!(flags & UNDEFINE_MANAGED_SAVE)) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "refusing to undefine domain '%s' while it has a managed save image", dom->name);
    return FALSE;
  }
  if (!vb_file_remove (path, error))
    return FALSE;
  dom->has_managed_save = FALSE;
  return TRUE;
}

static gboolean
save_rename (VbObj *dom, const char *new_name, GError **error)
{
  /* The image holds the old name (as libvirt, refused rather than moved). */
  if (has_managed_save (dom)) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "cannot rename domain '%s': it has a managed save image", dom->name);
    return FALSE;
  }
  return TRUE;
}

static void
save_ops_init (VbDomainOpsInterface *iface)
{
  iface->save = qemu_save;
  iface->managed_save = qemu_managed_save;
  iface->has_managed_save_image = qemu_has_managed_save_image;
  iface->managed_save_remove = qemu_managed_save_remove;
  iface->restore = qemu_restore;
  iface->save_image_get_xml_desc = qemu_save_image_get_xml_desc;
  iface->save_image_define_xml = qemu_save_image_define_xml;
  iface->core_dump = qemu_core_dump;
  core_create = iface->create;
  iface->create = qemu_create_or_restore;
}

const VbQemuPart vb_qemu_part_save = {
  .name = "save",
  .ops_init = save_ops_init,
  .loaded = save_loaded,
  .event = save_event,
  .undefine = save_undefine,
  .rename = save_rename,
};
