/* Volumes of local storage pools: the files in a pool's directory.
 *
 * Made with O_EXCL first (the name is taken before any tool runs, and a
 * file that is there already is never overwritten), then filled by a
 * worker thread (raw: allocation, size) or qemu-img (every other format,
 * clones, resizes). A volume that fails to be made leaves no file. Reads
 * and writes of data (wipe, reflink clone) run in worker threads; the
 * main loop only ever probes headers. A volume a running QEMU holds (its
 * image lock) is neither deleted nor wiped. */
#define _GNU_SOURCE /* F_OFD_GETLK, fallocate */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vb-child.h"
#include "vb-storage-private.h"

/* libvirt's virStorageVolCreateFlags. */
#define VOL_CREATE_PREALLOC_METADATA (1 << 0)
#define VOL_CREATE_REFLINK (1 << 1)
#define VOL_CREATE_VALIDATE (1 << 2)
/* libvirt's virStorageVolWipeAlgorithm values done here. */
#define WIPE_ALG_ZERO 0
#define WIPE_ALG_RANDOM 8
#define WIPE_ALG_TRIM 9
/* libvirt's default mode of a volume it makes. */
#define VOL_MODE 0600
#define WIPE_CHUNK (1024 * 1024)

static void
vol_data_free (gpointer p)
{
  g_free (p);
}

VbStorageVol *
vb_storage_vol (VbObj *vol)
{
  if (vol->backend_data == NULL) {
    vol->backend_data = g_new0 (VbStorageVol, 1);
    vol->backend_data_free = vol_data_free;
  }
  return vol->backend_data;
}

static VbStorageVolDef *
vol_def (VbObj *vol)
{
  return vol->def;
}

VbObj *
vb_storage_vol_add (VbBackend *backend, VbObj *pool, VbStorageVolDef *def)
{
  VbObj *vol = vb_obj_new (VB_OBJ_STORAGE_VOL, def->name, NULL, def, (GDestroyNotify) vb_storage_vol_def_free);

  vb_obj_set_key (vol, def->key);
  vb_obj_set_path (vol, def->path);
  vb_storage_vol (vol);
  vol->parent = pool;
  vb_backend_add_object (backend, vol);
  g_object_unref (vol); /* the registry and the pool hold it */
  return vol;
}

VbStorageVolDef *
vb_storage_vol_def_probe (VbObj *pool, const char *name, GError **error)
{
  g_autoptr(VbStorageVolDef) def = vb_storage_vol_def_new ();
  const VbStoragePoolDef *pdef = pool->def;

  def->name = g_strdup (name);
  def->path = g_build_filename (pdef->target_path, name, NULL);
  def->key = g_strdup (def->path);
  if (!vb_storage_probe_path (def->path, def, error))
    return NULL;
  return g_steal_pointer (&def);
}

static gboolean
in_disk_pool (VbObj *vol_or_pool)
{
  VbObj *pool = vol_or_pool->parent != NULL ? vol_or_pool->parent : vol_or_pool;

  return ((const VbStoragePoolDef *) pool->def)->type == VB_STORAGE_POOL_DISK;
}

gboolean
vb_storage_vol_refresh (VbBackend *backend, VbObj *vol, GError **error)
{
  GError *local = NULL;
  VbStorageVolDef *def;
  struct stat st;

  /* A partition is what the pool's last read of its table says; its
   * node gone, it is gone. */
  if (in_disk_pool (vol)) {
    if (stat (vol->path, &st) == 0 && S_ISBLK (st.st_mode))
      return TRUE;
    if (vb_storage_vol (vol)->busy == 0) {
      g_autoptr(VbObj) hold = g_object_ref (vol);
      vb_backend_remove_object (backend, vol);
    }
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "storage volume '%s' is gone: partition %s was removed",
                 vol->name, vol->path);
    return FALSE;
  }
  def = vb_storage_vol_def_probe (vol->parent, vol->name, &local);

  if (def != NULL) {
    vb_obj_set_def (vol, def);
    return TRUE;
  }
  if (g_error_matches (local, VB_ERROR, VB_ERROR_NOT_FOUND) && vb_storage_vol (vol)->busy == 0) {
    g_autoptr(VbObj) hold = g_object_ref (vol);
    g_clear_error (&local);
    vb_backend_remove_object (backend, vol);
    vb_storage_pool_update_sizes (hold->parent);
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "storage volume '%s' is gone: %s was removed", hold->name,
                 hold->path);
    return FALSE;
  }
  g_propagate_error (error, local);
  return FALSE;
}

/* Whether another process holds a lock on the file (QEMU and qemu-img
 * lock the images they use). */
static gboolean
path_locked (const char *path)
{
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
  gboolean locked = FALSE;

  if (fd < 0)
    return FALSE;
  if (fcntl (fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
    locked = TRUE;
  close (fd);
  return locked;
}

/* Tools (qemu-img) open the paths they are given: only in a directory
 * nobody but the daemon's user can change, where no link can be put in the
 * place of a volume between the checks and the tool. */
static gboolean
pool_dir_private (VbObj *pool, GError **error)
{
  const VbStoragePoolDef *pdef = pool->def;
  struct stat st;

  if (stat (pdef->target_path, &st) < 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "storage pool '%s': %s: %s", pool->name, pdef->target_path,
                 g_strerror (errno));
    return FALSE;
  }
  if (st.st_uid != geteuid () || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "storage pool '%s': its directory %s may be changed by other users than the daemon's, so qemu-img "
                 "is not run in it (raw volumes can be made; make the directory the daemon user's, mode 0755 or "
                 "0711)", pool->name, pdef->target_path);
    return FALSE;
  }
  return TRUE;
}

/* A caller that is not root changes only volumes it could write itself
 * (by the path as listed and the file it leads to). */
static gboolean
caller_may_write (GTask *task, VbObj *vol, GError **error)
{
  const VbCallerCreds *creds = vb_task_get_caller_creds (task);

  if (creds == NULL || creds->uid == 0)
    return TRUE;
  return vb_path_policy_check (creds, vol->path, R_OK | W_OK, VB_PATH_POLICY_NONE, error);
}

/* Fails when @vol has a job running or is open in a running QEMU. */
static gboolean
vol_idle (VbObj *vol, const char *doing, GError **error)
{
  VbStorageVol *sv = vb_storage_vol (vol);

  if (sv->busy > 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "cannot %s storage volume '%s' while it is being %s",
                 doing, vol->name, sv->what);
    return FALSE;
  }
  if (vol_def (vol)->type != VB_STORAGE_VOL_DIR && path_locked (vol->path)) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "cannot %s storage volume '%s': %s is in use (another process, such as a running domain, holds "
                 "its lock)", doing, vol->name, vol->path);
    return FALSE;
  }
  return TRUE;
}

static void
vol_hold (VbObj *vol, const char *what)
{
  VbStorageVol *sv = vb_storage_vol (vol);

  if (sv->busy++ == 0)
    sv->what = what;
}

static void
vol_release (VbObj *vol)
{
  VbStorageVol *sv = vb_storage_vol (vol);

  if (--sv->busy == 0)
    sv->what = NULL;
}

/* ---- tools ---- */

typedef struct {
  GTask *task;
  char *verb;
} ToolRun;

static void
on_tool_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ToolRun *run = user_data;
  g_autoptr(GTask) task = run->task;
  g_autofree char *verb = run->verb;
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autofree char *err = NULL;
  GError *error = NULL;

  g_free (run);
  if (!g_subprocess_communicate_utf8_finish (proc, result, NULL, &err, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (!g_subprocess_get_successful (proc)) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "qemu-img %s failed: %s", verb,
                             err && *err ? g_strstrip (err) : "no error message");
    return;
  }
  g_task_return_boolean (task, TRUE);
}

/* Runs @argv (qemu-img) and completes @task_in (taken) [void], or with an
 * error that has the tool's own message. */
static void
run_tool (GStrv argv, GTask *task_in)
{
  g_autoptr(GTask) task = task_in;
  g_autoptr(GSubprocess) proc = NULL;
  GError *error = NULL;
  ToolRun *run;

  proc = g_subprocess_newv ((const char *const *) argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  if (proc == NULL) {
    g_prefix_error (&error, "cannot run %s: ", argv[0]);
    g_task_return_error (task, error);
    return;
  }
  vb_child_track (proc);
  run = g_new0 (ToolRun, 1);
  run->task = g_steal_pointer (&task);
  run->verb = g_strdup (argv[1]);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, on_tool_done, run);
}

static GPtrArray *
tool_argv (VbBackend *backend, const char *verb)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup (vb_storage_local_get (backend)->qemu_img));
  g_ptr_array_add (argv, g_strdup (verb));
  g_ptr_array_add (argv, g_strdup ("-q"));
  return argv;
}

static GStrv
argv_end (GPtrArray *argv)
{
  g_ptr_array_add (argv, NULL);
  return (GStrv) g_ptr_array_free (argv, FALSE);
}

/* ---- what a new volume may be ---- */

static gboolean
format_creatable (VbStorageVolFormat format)
{
  switch (format) {
  case VB_STORAGE_VOL_FORMAT_RAW:
  case VB_STORAGE_VOL_FORMAT_QCOW2:
  case VB_STORAGE_VOL_FORMAT_QCOW:
  case VB_STORAGE_VOL_FORMAT_QED:
  case VB_STORAGE_VOL_FORMAT_VMDK:
  case VB_STORAGE_VOL_FORMAT_VPC:
  case VB_STORAGE_VOL_FORMAT_VDI:
    return TRUE;
  default:
    return FALSE;
  }
}

static gboolean
format_has_backing (VbStorageVolFormat format)
{
  return format == VB_STORAGE_VOL_FORMAT_QCOW2 || format == VB_STORAGE_VOL_FORMAT_QCOW ||
         format == VB_STORAGE_VOL_FORMAT_QED || format == VB_STORAGE_VOL_FORMAT_VMDK;
}

/* What the volume parser leaves to the pool: a name is a file name of its
 * directory (the parser already refused empty names, '.', '..', '/' and
 * newlines). */
static gboolean
check_vol_name (const char *name, GError **error)
{
  if (strlen (name) > 255) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "invalid volume name '%s': a volume is a file of the pool's directory (at most 255 bytes)", name);
    return FALSE;
  }
  for (const char *p = name; *p; p++) {
    if ((guchar) *p < 0x20 || *p == 0x7f) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "invalid volume name: control characters are not allowed");
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
vb_storage_check_owner (const VbStoragePerms *perms, const VbCallerCreds *creds, const char *what, GError **error)
{
  if (creds == NULL || creds->uid == 0)
    return TRUE;
  if ((perms->owner >= 0 && perms->owner != creds->uid) || (perms->group >= 0 && perms->group != creds->gid)) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED, "%s: only root may give another owner or group", what);
    return FALSE;
  }
  return TRUE;
}

/* Parses a new volume of @pool and fills in what the pool decides. */
static VbStorageVolDef *
prepare_volume (VbObj *pool, const char *xml, const VbCallerCreds *creds, GError **error)
{
  g_autoptr(VbStorageVolDef) def = NULL;
  const VbStoragePoolDef *pdef = pool->def;
  struct stat st;

  if (!pool->active) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is not active", pool->name);
    return NULL;
  }
  def = vb_storage_vol_def_parse (xml, error);
  if (def == NULL || !check_vol_name (def->name, error))
    return NULL;
  {
    g_autofree char *what = g_strdup_printf ("volume '%s'", def->name);
    if (!vb_storage_check_owner (&def->perms, creds, what, error))
      return NULL;
  }
  if (vb_obj_lookup_child (pool, def->name) != NULL ||
      g_hash_table_contains (vb_storage_pool (pool)->building, def->name)) {
    g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "storage volume '%s' already exists in pool '%s'", def->name,
                 pool->name);
    return NULL;
  }
  if (def->type != VB_STORAGE_VOL_FILE) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "pool '%s' makes volumes of type 'file' only, not '%s'",
                 pool->name, vb_storage_vol_type_to_string (def->type));
    return NULL;
  }
  if (def->encryption != VB_STORAGE_ENCRYPTION_NONE) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "encrypted volumes are not supported by this connection");
    return NULL;
  }
  g_free (def->path);
  def->path = g_build_filename (pdef->target_path, def->name, NULL);
  g_free (def->key);
  def->key = g_strdup (def->path);
  if (lstat (def->path, &st) == 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_EXISTS,
                 "storage volume '%s' cannot be made: %s exists already (refresh the pool to list it)", def->name,
                 def->path);
    return NULL;
  }
  return g_steal_pointer (&def);
}

/* Resolves @def's <backingStore>: an existing image (its format probed
 * when not given) that the caller may read. */
static gboolean
prepare_backing (VbStorageVolDef *def, const VbCallerCreds *creds, GError **error)
{
  VbStorageVolBackingStore *bs = def->backing_store;
  g_autoptr(VbStorageVolDef) probed = NULL;

  if (bs == NULL)
    return TRUE;
  if (!format_has_backing (def->format)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "volumes of format '%s' cannot have a backing store",
                 vb_storage_vol_format_to_string (def->format));
    return FALSE;
  }
  if (bs->path == NULL || !g_path_is_absolute (bs->path)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "the backing store of volume '%s' needs an absolute path",
                 def->name);
    return FALSE;
  }
  if (creds != NULL && creds->uid != 0 && !vb_path_policy_check (creds, bs->path, R_OK, VB_PATH_POLICY_NONE, error))
    return FALSE;
  probed = vb_storage_vol_def_new ();
  if (!vb_storage_probe_path (bs->path, probed, error)) {
    g_prefix_error (error, "backing store of volume '%s': ", def->name);
    return FALSE;
  }
  if (bs->format == VB_STORAGE_VOL_FORMAT_DEFAULT)
    bs->format = probed->format;
  if (!def->has_capacity) {
    def->capacity = probed->capacity;
    def->has_capacity = TRUE;
  }
  return TRUE;
}

/* ---- making a volume ---- */

typedef struct {
  VbObj *pool;
  VbStorageVolDef *def;
  VbObj *source;    /* clone: the volume copied (held busy) */
  guint flags;
  int fd;           /* raw: the file made with O_EXCL, filled in the thread */
  gboolean made;    /* the file is ours: removed on failure */
  guint64 grow_to;  /* clone: resize the copy to this afterwards (0: no) */
} Make;

static void
make_free (gpointer p)
{
  Make *mk = p;

  if (mk->fd >= 0)
    close (mk->fd);
  if (mk->source != NULL) {
    vol_release (mk->source);
    g_object_unref (mk->source);
  }
  g_hash_table_remove (vb_storage_pool (mk->pool)->building, mk->def->name);
  vb_storage_pool (mk->pool)->jobs--;
  vb_storage_vol_def_free (mk->def);
  g_object_unref (mk->pool);
  g_free (mk);
}

static void
make_fail (GTask *task, GError *error)
{
  Make *mk = g_task_get_task_data (task);

  if (mk->made && unlink (mk->def->path) < 0 && errno != ENOENT)
    g_warning ("cannot remove %s: %s", mk->def->path, g_strerror (errno));
  mk->made = FALSE;
  g_task_return_error (task, error);
}

/* The volume is there: permissions, then it joins the pool. */
static void
make_done (GTask *task)
{
  Make *mk = g_task_get_task_data (task);
  VbBackend *backend = g_task_get_source_object (task);
  const VbStoragePerms *perms = &mk->def->perms;
  GError *error = NULL;
  VbStorageVolDef *def;
  VbObj *vol;

  /* Through a descriptor of the file itself: a link put in its place
   * meanwhile is not followed. */
  {
    int fd = open (mk->def->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    int saved = 0;
    if (fd < 0 || fchmod (fd, perms->mode >= 0 ? (mode_t) perms->mode : VOL_MODE) < 0 ||
        ((perms->owner >= 0 || perms->group >= 0) &&
         fchown (fd, perms->owner >= 0 ? (uid_t) perms->owner : (uid_t) -1,
                 perms->group >= 0 ? (gid_t) perms->group : (gid_t) -1) < 0))
      saved = errno;
    if (fd >= 0)
      close (fd);
    if (saved != 0) {
      make_fail (task, g_error_new (VB_ERROR, VB_ERROR_IO, "cannot set the permissions of %s: %s", mk->def->path,
                                    g_strerror (saved)));
      return;
    }
  }
  def = vb_storage_vol_def_probe (mk->pool, mk->def->name, &error);
  if (def == NULL) {
    make_fail (task, error);
    return;
  }
  g_hash_table_remove (vb_storage_pool (mk->pool)->building, mk->def->name);
  if (!mk->pool->active) {
    /* Cannot happen (a pool with jobs does not stop), but never list a
     * volume in a stopped pool. */
    vb_storage_vol_def_free (def);
    make_fail (task, g_error_new (VB_ERROR, VB_ERROR_FAILED, "storage pool '%s' stopped", mk->pool->name));
    return;
  }
  mk->made = FALSE;
  vol = vb_storage_vol_add (backend, mk->pool, def);
  vb_storage_pool_update_sizes (mk->pool);
  g_task_return_pointer (task, g_object_ref (vol), g_object_unref);
}

static void
raw_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Make *mk = data;
  guint64 allocation = mk->def->has_allocation ? MIN (mk->def->allocation, mk->def->capacity) : mk->def->capacity;
  int err;

  if (allocation > 0 && (err = posix_fallocate (mk->fd, 0, (off_t) allocation)) != 0) {
    g_task_return_new_error (task, VB_ERROR, err == ENOSPC ? VB_ERROR_FAILED : VB_ERROR_IO,
                             "cannot allocate %" G_GUINT64_FORMAT " bytes for %s: %s", allocation, mk->def->path,
                             g_strerror (err));
    return;
  }
  if (ftruncate (mk->fd, (off_t) mk->def->capacity) < 0 || fsync (mk->fd) < 0) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_IO, "cannot size %s: %s", mk->def->path, g_strerror (errno));
    return;
  }
  g_task_return_boolean (task, TRUE);
}

/* A clone that shares its blocks with the original (reflink). */
static void
reflink_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Make *mk = data;
  int src = open (mk->source->path, O_RDONLY | O_CLOEXEC);

  if (src < 0 || ioctl (mk->fd, FICLONE, src) < 0) {
    int saved = errno;
    if (src >= 0)
      close (src);
    g_task_return_new_error (task, VB_ERROR, saved == EOPNOTSUPP || saved == EXDEV || saved == EINVAL
                                                 ? VB_ERROR_NOT_SUPPORTED : VB_ERROR_IO,
                             "cannot make %s a reflink copy of %s: %s", mk->def->path, mk->source->path,
                             g_strerror (saved));
    return;
  }
  close (src);
  if (mk->grow_to > 0 && ftruncate (mk->fd, (off_t) mk->grow_to) < 0) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_IO, "cannot size %s: %s", mk->def->path, g_strerror (errno));
    return;
  }
  g_task_return_boolean (task, TRUE);
}

static void
on_grown (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    make_fail (task, error);
  else
    make_done (task);
}

static void
on_filled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Make *mk = g_task_get_task_data (task);
  VbBackend *backend = g_task_get_source_object (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    make_fail (task, error);
    return;
  }
  if (mk->source != NULL && mk->grow_to > 0 && !(mk->flags & VOL_CREATE_REFLINK)) {
    GPtrArray *argv = tool_argv (backend, "resize");
    g_ptr_array_add (argv, g_strdup ("-f"));
    g_ptr_array_add (argv, g_strdup (vb_storage_vol_format_to_string (mk->def->format)));
    g_ptr_array_add (argv, g_strdup (mk->def->path));
    g_ptr_array_add (argv, g_strdup_printf ("%" G_GUINT64_FORMAT, mk->grow_to));
    g_auto(GStrv) args = argv_end (argv);
    run_tool (args, g_task_new (backend, NULL, on_grown, g_steal_pointer (&task)));
    return;
  }
  make_done (task);
}

/* `-o` options of qemu-img for @def's format. */
static char *
create_options (const VbStorageVolDef *def, guint flags)
{
  g_autoptr(GPtrArray) opts = g_ptr_array_new_with_free_func (g_free);

  if (def->format == VB_STORAGE_VOL_FORMAT_QCOW2) {
    if (def->compat != NULL)
      g_ptr_array_add (opts, g_strdup_printf ("compat=%s", def->compat));
    if (def->cluster_size > 0)
      g_ptr_array_add (opts, g_strdup_printf ("cluster_size=%" G_GUINT64_FORMAT, def->cluster_size));
    if (def->lazy_refcounts)
      g_ptr_array_add (opts, g_strdup ("lazy_refcounts=on"));
    if (def->extended_l2)
      g_ptr_array_add (opts, g_strdup ("extended_l2=on"));
    /* libvirt: metadata only, or every cluster when fully allocated. */
    if (flags & VOL_CREATE_PREALLOC_METADATA)
      g_ptr_array_add (opts, g_strdup (def->has_allocation && def->allocation >= def->capacity ? "preallocation=falloc"
                                                                                               : "preallocation=metadata"));
  }
  if (def->nocow && (def->format == VB_STORAGE_VOL_FORMAT_QCOW2 || def->format == VB_STORAGE_VOL_FORMAT_RAW))
    g_ptr_array_add (opts, g_strdup ("nocow=on"));
  if (opts->len == 0)
    return NULL;
  g_ptr_array_add (opts, NULL);
  return g_strjoinv (",", (GStrv) opts->pdata);
}

/* qemu-img create of @def at its path (over an existing file of ours). */
static GStrv
create_argv (VbBackend *backend, const VbStorageVolDef *def, guint flags)
{
  GPtrArray *argv = tool_argv (backend, "create");
  g_autofree char *opts = create_options (def, flags);

  g_ptr_array_add (argv, g_strdup ("-f"));
  g_ptr_array_add (argv, g_strdup (vb_storage_vol_format_to_string (def->format)));
  if (opts != NULL) {
    g_ptr_array_add (argv, g_strdup ("-o"));
    g_ptr_array_add (argv, g_steal_pointer (&opts));
  }
  if (def->backing_store != NULL) {
    g_ptr_array_add (argv, g_strdup ("-b"));
    g_ptr_array_add (argv, g_strdup (def->backing_store->path));
    if (def->backing_store->format != VB_STORAGE_VOL_FORMAT_DEFAULT) {
      g_ptr_array_add (argv, g_strdup ("-F"));
      g_ptr_array_add (argv, g_strdup (vb_storage_vol_format_to_string (def->backing_store->format)));
    }
  }
  g_ptr_array_add (argv, g_strdup (def->path));
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GUINT64_FORMAT, def->capacity));
  return argv_end (argv);
}

/* Takes the name (an O_EXCL file) and starts filling it. */
static void
start_make (VbBackend *backend, VbObj *pool, VbStorageVolDef *def, VbObj *source, guint64 grow_to, guint flags,
            GTask *task_in)
{
  g_autoptr(GTask) task = task_in;
  Make *mk = g_new0 (Make, 1);
  VbStoragePool *sp = vb_storage_pool (pool);
  GTaskThreadFunc fill_func = NULL;

  mk->pool = g_object_ref (pool);
  mk->def = def;
  mk->flags = flags;
  mk->grow_to = grow_to;
  mk->fd = -1;
  sp->jobs++;
  g_hash_table_add (sp->building, g_strdup (def->name));
  if (source != NULL) {
    mk->source = g_object_ref (source);
    vol_hold (source, "cloned");
  }
  g_task_set_task_data (task, mk, make_free);

  mk->fd = open (def->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, VOL_MODE);
  if (mk->fd < 0) {
    int saved = errno;
    g_task_return_new_error (task, VB_ERROR, saved == EEXIST ? VB_ERROR_EXISTS : VB_ERROR_IO,
                             "cannot create %s: %s", def->path, g_strerror (saved));
    return;
  }
  mk->made = TRUE;

  /* A thread fills the file opened here; qemu-img makes it anew. */
  if (source == NULL && def->format == VB_STORAGE_VOL_FORMAT_RAW)
    fill_func = raw_thread;
  else if (source != NULL && (flags & VOL_CREATE_REFLINK))
    fill_func = reflink_thread;
  if (fill_func != NULL) {
    GTask *fill = g_task_new (backend, NULL, on_filled, g_steal_pointer (&task));
    g_task_set_task_data (fill, mk, NULL);
    g_task_run_in_thread (fill, fill_func);
    g_object_unref (fill);
    return;
  }
  close (mk->fd);
  mk->fd = -1;
  if (source == NULL) {
    g_auto(GStrv) argv = create_argv (backend, def, flags);
    run_tool (argv, g_task_new (backend, NULL, on_filled, g_steal_pointer (&task)));
  } else {
    GPtrArray *argv = tool_argv (backend, "convert");
    g_autofree char *opts = create_options (def, flags);
    const VbStorageVolDef *src = vol_def (source);
    g_ptr_array_add (argv, g_strdup ("-f"));
    g_ptr_array_add (argv, g_strdup (vb_storage_vol_format_to_string (src->format)));
    g_ptr_array_add (argv, g_strdup ("-O"));
    g_ptr_array_add (argv, g_strdup (vb_storage_vol_format_to_string (def->format)));
    if (opts != NULL) {
      g_ptr_array_add (argv, g_strdup ("-o"));
      g_ptr_array_add (argv, g_steal_pointer (&opts));
    }
    g_ptr_array_add (argv, g_strdup (source->path));
    g_ptr_array_add (argv, g_strdup (def->path));
    g_auto(GStrv) args = argv_end (argv);
    run_tool (args, g_task_new (backend, NULL, on_filled, g_steal_pointer (&task)));
  }
}

static void
on_made (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  VbObj *vol = g_task_propagate_pointer (G_TASK (result), &error);

  if (vol == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, vol, g_object_unref);
}

/* ---- partitions: the volumes of disk pools ---- */

typedef struct {
  VbObj *pool;
  VbObj *vol;              /* delete: the volume */
  VbStoragePoolDef *pdef;  /* a copy for the thread */
  char *name;
  VbStorageVolFormat format;
  guint64 capacity;
  GPtrArray *vols;         /* the table after the change */
  VbStorageDiskSizes sizes;
} PartJob;

static void
part_job_free (gpointer p)
{
  PartJob *job = p;

  g_object_unref (job->pool);
  g_clear_object (&job->vol);
  vb_storage_pool_def_free (job->pdef);
  g_free (job->name);
  g_ptr_array_unref (job->vols);
  g_free (job);
}

static void
part_job_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  PartJob *job = data;
  GError *error = NULL;

  if (job->vol != NULL) {
    if (!vb_storage_disk_remove (job->pdef, job->name, job->vols, &job->sizes, &error)) {
      g_task_return_error (task, error);
      return;
    }
  } else {
    g_autofree char *made = vb_storage_disk_create (job->pdef, job->name, job->format, job->capacity, job->vols,
                                                    &job->sizes, &error);
    if (made == NULL) {
      g_task_return_error (task, error);
      return;
    }
  }
  g_task_return_boolean (task, TRUE);
}

static void
on_part_job_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PartJob *job = g_task_get_task_data (G_TASK (result));
  VbStoragePool *sp = vb_storage_pool (job->pool);
  GError *error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);
  VbObj *vol;

  sp->jobs--;
  if (job->vol != NULL)
    vol_release (job->vol);
  else
    g_hash_table_remove (sp->building, job->name);
  if (!ok) {
    g_prefix_error (&error, "cannot %s storage volume '%s': ", job->vol != NULL ? "delete" : "make", job->name);
    g_task_return_error (task, error);
    return;
  }
  if (job->pool->active)
    vb_storage_pool_apply_volumes (VB_BACKEND (source), job->pool, job->vols, &job->sizes);
  if (job->vol != NULL) {
    g_task_return_boolean (task, TRUE);
    return;
  }
  vol = vb_obj_lookup_child (job->pool, job->name);
  if (vol == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "partition %s was made but is not listed", job->name);
    return;
  }
  g_task_return_pointer (task, g_object_ref (vol), g_object_unref);
}

static void
part_job_start (VbBackend *backend, PartJob *job, GTask *task)
{
  GTask *thread = g_task_new (backend, NULL, on_part_job_done, g_object_ref (task));

  job->vols = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_storage_vol_def_free);
  job->pdef = vb_storage_pool_def_copy (job->pool->def);
  vb_storage_pool (job->pool)->jobs++;
  g_task_set_task_data (thread, job, part_job_free);
  g_task_run_in_thread (thread, part_job_thread);
  g_object_unref (thread);
}

static gboolean
only_root_partitions (GTask *task)
{
  const VbCallerCreds *creds = vb_task_get_caller_creds (task);

  if (creds == NULL || creds->uid == 0)
    return TRUE;
  g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_AUTHORIZED,
                           "only root may make or delete the partitions of a disk pool");
  return FALSE;
}

/* Another change (or read) of the table is under way: one made now would
 * be made against a table about to change. */
static gboolean
table_idle (GTask *task, VbObj *pool)
{
  VbStoragePool *sp = vb_storage_pool (pool);

  if (sp->jobs == 0 && !sp->scanning && !sp->mounting)
    return TRUE;
  g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                           "storage pool '%s' is busy with another change of its partition table; try again when it "
                           "is done", pool->name);
  return FALSE;
}

static void
disk_vol_create (VbBackend *backend, VbObj *pool, const char *xml, GTask *task)
{
  g_autoptr(VbStorageVolDef) def = NULL;
  GError *error = NULL;
  PartJob *job;

  if (!only_root_partitions (task))
    return;
  if (!pool->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is not active", pool->name);
  def = vb_storage_vol_def_parse (xml, &error);
  if (def == NULL || !vb_storage_disk_check_vol_format (pool->def, def->format, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (vb_obj_lookup_child (pool, def->name) != NULL || g_hash_table_contains (vb_storage_pool (pool)->building,
                                                                              def->name))
    FAIL (task, VB_ERROR_EXISTS, "storage volume '%s' already exists in pool '%s'", def->name, pool->name);
  if (!def->has_capacity || def->capacity == 0)
    FAIL (task, VB_ERROR_XML, "volume '%s' needs a <capacity> above 0 (the size of the partition)", def->name);
  if (def->backing_store != NULL || def->encryption != VB_STORAGE_ENCRYPTION_NONE)
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "volume '%s': a partition has neither a backing store nor encryption here",
          def->name);
  if (def->type != VB_STORAGE_VOL_FILE && def->type != VB_STORAGE_VOL_BLOCK)
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "volume '%s': a partition is a block volume, not one of type '%s'",
          def->name, vb_storage_vol_type_to_string (def->type));
  if (!table_idle (task, pool))
    return;
  job = g_new0 (PartJob, 1);
  job->pool = g_object_ref (pool);
  job->name = g_strdup (def->name);
  job->format = def->format;
  job->capacity = def->capacity;
  g_hash_table_add (vb_storage_pool (pool)->building, g_strdup (def->name));
  part_job_start (backend, job, task);
}

static void
disk_vol_delete (VbBackend *backend, VbObj *vol, GTask *task)
{
  GError *error = NULL;
  PartJob *job;

  if (!only_root_partitions (task))
    return;
  if (!vol_idle (vol, "delete", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (!table_idle (task, vol->parent))
    return;
  job = g_new0 (PartJob, 1);
  job->pool = g_object_ref (vol->parent);
  job->vol = g_object_ref (vol);
  job->name = g_strdup (vol->name);
  vol_hold (vol, "deleted");
  part_job_start (backend, job, task);
}

static void
local_vol_create_xml (VbBackend *backend, VbObj *pool, const char *xml, guint flags, GTask *task)
{
  const VbCallerCreds *creds = vb_task_get_caller_creds (task);
  GError *error = NULL;
  VbStorageVolDef *def;

  CHECK_FLAGS (task, flags, VOL_CREATE_PREALLOC_METADATA | VOL_CREATE_VALIDATE, "StorageVolCreateXML");
  if (in_disk_pool (pool)) {
    disk_vol_create (backend, pool, xml, task);
    return;
  }
  def = prepare_volume (pool, xml, creds, &error);
  if (def == NULL) {
    g_task_return_error (task, error);
    return;
  }
  if (def->format == VB_STORAGE_VOL_FORMAT_DEFAULT)
    def->format = VB_STORAGE_VOL_FORMAT_RAW;
  if (!format_creatable (def->format))
    error = g_error_new (VB_ERROR, VB_ERROR_NOT_SUPPORTED, "cannot make volumes of format '%s' (raw, qcow2, qcow, "
                         "qed, vmdk, vpc, vdi can be made)", vb_storage_vol_format_to_string (def->format));
  else if (prepare_backing (def, creds, &error) && !def->has_capacity)
    error = g_error_new (VB_ERROR, VB_ERROR_XML, "volume '%s' has no <capacity>", def->name);
  else if (error == NULL && (flags & VOL_CREATE_PREALLOC_METADATA) && def->backing_store != NULL &&
           !def->extended_l2)
    error = g_error_new (VB_ERROR, VB_ERROR_INVALID_ARG,
                         "volume '%s': preallocation conflicts with a backing store (unless extended_l2 is on)",
                         def->name);
  if (error != NULL) {
    vb_storage_vol_def_free (def);
    g_task_return_error (task, error);
    return;
  }
  if (def->format != VB_STORAGE_VOL_FORMAT_RAW && !pool_dir_private (pool, &error)) {
    vb_storage_vol_def_free (def);
    g_task_return_error (task, error);
    return;
  }
  start_make (backend, pool, def, NULL, 0, flags, g_task_new (backend, NULL, on_made, g_object_ref (task)));
}

static void
local_vol_create_xml_from (VbBackend *backend, VbObj *pool, const char *xml, VbObj *source, guint flags,
                           GTask *task)
{
  const VbCallerCreds *creds = vb_task_get_caller_creds (task);
  GError *error = NULL;
  VbStorageVolDef *def;
  const VbStorageVolDef *src;
  guint64 src_capacity;
  guint64 grow_to = 0;

  CHECK_FLAGS (task, flags, VOL_CREATE_PREALLOC_METADATA | VOL_CREATE_REFLINK | VOL_CREATE_VALIDATE,
               "StorageVolCreateXMLFrom");
  if (in_disk_pool (pool))
    FAIL (task, VB_ERROR_NOT_SUPPORTED,
          "storage pool '%s' is a disk pool: clone into a partition by making it (StorageVolCreateXML), then "
          "copying the data in", pool->name);
  if (source->parent == NULL || !source->parent->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "the pool of storage volume '%s' is not active", source->name);
  if (vb_storage_vol (source)->busy > 0 && g_strcmp0 (vb_storage_vol (source)->what, "cloned") != 0)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot clone storage volume '%s' while it is being %s", source->name,
          vb_storage_vol (source)->what);
  if (!vb_storage_vol_refresh (backend, source, &error)) {
    g_task_return_error (task, error);
    return;
  }
  src = vol_def (source);
  if (src->type != VB_STORAGE_VOL_FILE && src->type != VB_STORAGE_VOL_BLOCK)
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "cannot clone storage volume '%s' of type '%s'", source->name,
          vb_storage_vol_type_to_string (src->type));
  if (creds != NULL && creds->uid != 0 && !vb_path_policy_check (creds, source->path, R_OK, VB_PATH_POLICY_NONE, &error)) {
    g_task_return_error (task, error);
    return;
  }
  def = prepare_volume (pool, xml, creds, &error);
  if (def == NULL) {
    g_task_return_error (task, error);
    return;
  }
  src_capacity = src->capacity;
  if (def->format == VB_STORAGE_VOL_FORMAT_DEFAULT)
    def->format = format_creatable (src->format) ? src->format : VB_STORAGE_VOL_FORMAT_RAW;
  /* A copy is the original's data: its own backing store is the original's. */
  if (def->backing_store != NULL)
    error = g_error_new (VB_ERROR, VB_ERROR_INVALID_ARG,
                         "a cloned volume takes no <backingStore>: it has the data of '%s'", source->name);
  else if (!format_creatable (def->format))
    error = g_error_new (VB_ERROR, VB_ERROR_NOT_SUPPORTED, "cannot make volumes of format '%s'",
                         vb_storage_vol_format_to_string (def->format));
  else if ((flags & VOL_CREATE_REFLINK) && (def->format != src->format || def->format != VB_STORAGE_VOL_FORMAT_RAW))
    error = g_error_new (VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                         "a reflink clone copies raw data as it is: both volumes must be raw (a %s copy of %s "
                         "volume '%s' was asked for)", vb_storage_vol_format_to_string (def->format),
                         vb_storage_vol_format_to_string (src->format), source->name);
  if (error != NULL) {
    vb_storage_vol_def_free (def);
    g_task_return_error (task, error);
    return;
  }
  if (!(flags & VOL_CREATE_REFLINK) && !pool_dir_private (pool, &error)) {
    vb_storage_vol_def_free (def);
    g_task_return_error (task, error);
    return;
  }
  /* Never smaller than the original. */
  if (def->has_capacity && def->capacity > src_capacity)
    grow_to = def->capacity;
  def->capacity = MAX (def->capacity, src_capacity);
  def->has_capacity = TRUE;
  start_make (backend, pool, def, source, grow_to, flags, g_task_new (backend, NULL, on_made, g_object_ref (task)));
}

static void
local_vol_lookup_by_name (VbBackend *backend, VbObj *pool, const char *name, GTask *task)
{
  GError *error = NULL;
  VbObj *vol;

  if (!pool->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is not active", pool->name);
  vol = vb_obj_lookup_child (pool, name);
  if (vol == NULL) {
    g_autofree char *what = g_strdup_printf ("no storage vol with matching name '%s'", name);
    vb_set_not_found (&error, VB_OBJ_STORAGE_VOL, what);
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, g_object_ref (vol), g_object_unref);
}

/* ---- deleting ---- */

static void
local_vol_delete (VbBackend *backend, VbObj *vol, guint flags, GTask *task)
{
  g_autoptr(VbObj) hold = g_object_ref (vol);
  VbObj *pool = vol->parent;
  GError *error = NULL;
  int rc;

  CHECK_FLAGS (task, flags, 0, "Delete");
  if (in_disk_pool (vol)) {
    disk_vol_delete (backend, vol, task);
    return;
  }
  if (!vol_idle (vol, "delete", &error) || !caller_may_write (task, vol, &error)) {
    g_task_return_error (task, error);
    return;
  }
  rc = vol_def (vol)->type == VB_STORAGE_VOL_DIR ? rmdir (vol->path) : unlink (vol->path);
  if (rc < 0 && errno != ENOENT)
    FAIL (task, VB_ERROR_IO, "cannot delete storage volume '%s': cannot remove %s: %s", vol->name, vol->path,
          g_strerror (errno));
  vb_backend_remove_object (backend, vol);
  vb_storage_pool_update_sizes (pool);
  g_task_return_boolean (task, TRUE);
}

/* ---- reading ---- */

static void
local_vol_get_info (VbBackend *backend, VbObj *vol, guint flags, GTask *task)
{
  GError *error = NULL;
  const VbStorageVolDef *def;
  GVariant *info;

  CHECK_FLAGS (task, flags, VB_STORAGE_VOL_GET_PHYSICAL, "GetInfo");
  if (!vb_storage_vol_refresh (backend, vol, &error)) {
    g_task_return_error (task, error);
    return;
  }
  def = vol_def (vol);
  info = g_variant_new ("(itt)", (int) def->type, def->capacity,
                        (flags & VB_STORAGE_VOL_GET_PHYSICAL) && def->has_physical ? def->physical : def->allocation);
  g_task_return_pointer (task, g_variant_ref_sink (info), (GDestroyNotify) g_variant_unref);
}

static void
local_vol_get_xml_desc (VbBackend *backend, VbObj *vol, guint flags, GTask *task)
{
  GError *error = NULL;

  CHECK_FLAGS (task, flags, 0, "GetXMLDesc");
  if (!vb_storage_vol_refresh (backend, vol, &error)) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, vb_storage_vol_def_format (vol_def (vol), 0), g_free);
}

/* ---- resizing and wiping ---- */

/* A job on one volume: holds it busy until done, then reads it again. */
typedef struct {
  VbObj *vol;
  guint pattern;
  guint64 size;             /* wipe: the bytes to overwrite */
  VbStorageVolDef *remake;  /* wipe of an image format: made again after */
} Change;

static void
change_free (gpointer p)
{
  Change *ch = p;

  vol_release (ch->vol);
  g_object_unref (ch->vol);
  g_clear_pointer (&ch->remake, vb_storage_vol_def_free);
  g_free (ch);
}

static void
on_change_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VbBackend *backend = VB_BACKEND (source);
  Change *ch = g_task_get_task_data (G_TASK (result));
  g_autoptr(VbObj) vol = g_object_ref (ch->vol);
  GError *error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  /* The volume is idle again (change_free) before the caller hears back. */
  g_task_set_task_data (G_TASK (result), NULL, NULL);
  if (!ok) {
    vb_storage_vol_refresh (backend, vol, NULL);
    g_task_return_error (task, error);
    return;
  }
  if (!vb_storage_vol_refresh (backend, vol, &error)) {
    g_task_return_error (task, error);
    return;
  }
  vb_storage_pool_update_sizes (vol->parent);
  g_task_return_boolean (task, TRUE);
}

/* The job for @vol answering @task when it completes [void]. */
static GTask *
change_new (VbBackend *backend, VbObj *vol, const char *what, GTask *task)
{
  Change *ch = g_new0 (Change, 1);
  GTask *job = g_task_new (backend, NULL, on_change_done, g_object_ref (task));

  ch->vol = g_object_ref (vol);
  vol_hold (vol, what);
  g_task_set_task_data (job, ch, change_free);
  return job;
}

static void
local_vol_resize (VbBackend *backend, VbObj *vol, guint64 capacity, guint flags, GTask *task)
{
  const VbStoragePoolDef *pdef = vol->parent->def;
  GError *error = NULL;
  const VbStorageVolDef *def;
  guint64 target;
  GPtrArray *argv;

  CHECK_FLAGS (task, flags,
               VB_STORAGE_VOL_RESIZE_ALLOCATE | VB_STORAGE_VOL_RESIZE_DELTA | VB_STORAGE_VOL_RESIZE_SHRINK, "Resize");
  if (in_disk_pool (vol))
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "cannot resize storage volume '%s': the partitions of a disk pool keep their "
          "size (as libvirt's)", vol->name);
  if (!vol_idle (vol, "resize", &error) || !caller_may_write (task, vol, &error) ||
      !pool_dir_private (vol->parent, &error) || !vb_storage_vol_refresh (backend, vol, &error)) {
    g_task_return_error (task, error);
    return;
  }
  def = vol_def (vol);
  if (def->type != VB_STORAGE_VOL_FILE)
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "cannot resize storage volume '%s' of type '%s'", vol->name,
          vb_storage_vol_type_to_string (def->type));
  if (!vb_storage_vol_resize_target (vol, def->capacity, def->allocation, pdef->available, capacity, flags, &target,
                                     &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (target > (guint64) G_MAXINT64)
    FAIL (task, VB_ERROR_INVALID_ARG, "%" G_GUINT64_FORMAT " bytes is too large for a volume", target);
  if (target == def->capacity && !(flags & VB_STORAGE_VOL_RESIZE_ALLOCATE)) {
    g_task_return_boolean (task, TRUE);
    return;
  }

  argv = tool_argv (backend, "resize");
  g_ptr_array_add (argv, g_strdup ("-f"));
  g_ptr_array_add (argv, g_strdup (vb_storage_vol_format_to_string (def->format)));
  if (target < def->capacity)
    g_ptr_array_add (argv, g_strdup ("--shrink"));
  if ((flags & VB_STORAGE_VOL_RESIZE_ALLOCATE) && target > def->capacity &&
      (def->format == VB_STORAGE_VOL_FORMAT_RAW || def->format == VB_STORAGE_VOL_FORMAT_QCOW2))
    g_ptr_array_add (argv, g_strdup ("--preallocation=falloc"));
  g_ptr_array_add (argv, g_strdup (vol->path));
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GUINT64_FORMAT, target));
  {
    g_auto(GStrv) args = argv_end (argv);
    run_tool (args, change_new (backend, vol, "resized", task));
  }
}

static gboolean
write_all (int fd, const guint8 *buf, gsize len)
{
  while (len > 0) {
    gssize n = write (fd, buf, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    buf += n;
    len -= (gsize) n;
  }
  return TRUE;
}

static void
wipe_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Change *ch = data;
  const char *path = ch->vol->path;
  int fd = open (path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
  g_autofree guint8 *buf = NULL;
  guint64 done = 0;

  if (fd < 0) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_IO, "cannot open %s: %s", path, g_strerror (errno));
    return;
  }
  if (ch->pattern == WIPE_ALG_TRIM) {
    if (ch->size > 0 && fallocate (fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t) ch->size) < 0) {
      int saved = errno;
      close (fd);
      g_task_return_new_error (task, VB_ERROR, saved == EOPNOTSUPP ? VB_ERROR_NOT_SUPPORTED : VB_ERROR_IO,
                               "cannot trim %s: %s", path, g_strerror (saved));
      return;
    }
    close (fd);
    g_task_return_boolean (task, TRUE);
    return;
  }
  buf = g_malloc0 (WIPE_CHUNK);
  while (done < ch->size) {
    gsize len = (gsize) MIN ((guint64) WIPE_CHUNK, ch->size - done);
    if (ch->pattern == WIPE_ALG_RANDOM) {
      gsize filled = 0;
      while (filled < len) {
        gssize n = getrandom (buf + filled, len - filled, 0);
        if (n > 0)
          filled += (gsize) n;
        else if (errno != EINTR)
          break;
      }
      if (filled < len)
        break;
    }
    if (!write_all (fd, buf, len))
      break;
    done += len;
  }
  if (done < ch->size || fsync (fd) < 0) {
    int saved = errno;
    close (fd);
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_IO, "cannot wipe %s: %s", path, g_strerror (saved));
    return;
  }
  close (fd);
  g_task_return_boolean (task, TRUE);
}

static void
on_wiped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *job = user_data;
  Change *ch = g_task_get_task_data (job);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_task_return_error (job, error);
    g_object_unref (job);
    return;
  }
  if (ch->remake != NULL) {
    /* The image's own structure went with its data: an empty image of
     * the same format, size and backing store takes its place. */
    g_auto(GStrv) argv = create_argv (VB_BACKEND (source), ch->remake, 0);
    run_tool (argv, job);
    return;
  }
  g_task_return_boolean (job, TRUE);
  g_object_unref (job);
}

static void
local_vol_wipe (VbBackend *backend, VbObj *vol, guint pattern, guint flags, GTask *task)
{
  GError *error = NULL;
  const VbStorageVolDef *def;
  gboolean partition, image;
  GTask *job, *thread;
  Change *ch;

  CHECK_FLAGS (task, flags, 0, "Wipe");
  if (pattern >= VB_STORAGE_VOL_WIPE_ALG_LAST)
    FAIL (task, VB_ERROR_INVALID_ARG, "wiping algorithm %u does not exist (0 to %d)", pattern,
          VB_STORAGE_VOL_WIPE_ALG_LAST - 1);
  if (pattern != WIPE_ALG_ZERO && pattern != WIPE_ALG_RANDOM && pattern != WIPE_ALG_TRIM)
    FAIL (task, VB_ERROR_NOT_SUPPORTED,
          "wiping algorithm %u is not supported by this connection (zero (0), random (8) and trim (9) are)", pattern);
  if (!vol_idle (vol, "wipe", &error) || !caller_may_write (task, vol, &error) ||
      !vb_storage_vol_refresh (backend, vol, &error)) {
    g_task_return_error (task, error);
    return;
  }
  def = vol_def (vol);
  if (def->type != VB_STORAGE_VOL_FILE && def->type != VB_STORAGE_VOL_BLOCK)
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "cannot wipe storage volume '%s' of type '%s'", vol->name,
          vb_storage_vol_type_to_string (def->type));
  /* A partition's bytes are wiped whatever its type says; an image format
   * (qcow2, …) is made again empty after. */
  partition = in_disk_pool (vol);
  image = !partition && def->format != VB_STORAGE_VOL_FORMAT_RAW;
  if (partition && def->format == VB_STORAGE_VOL_FORMAT_EXTENDED)
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "cannot wipe extended partition '%s' (it holds the logical ones)", vol->name);
  if (image && !format_creatable (def->format))
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "cannot wipe storage volume '%s': volumes of format '%s' cannot be made again",
          vol->name, vb_storage_vol_format_to_string (def->format));

  if (image && !pool_dir_private (vol->parent, &error)) {
    g_task_return_error (task, error);
    return;
  }

  job = change_new (backend, vol, "wiped", task);
  ch = g_task_get_task_data (job);
  ch->pattern = pattern;
  ch->size = def->has_physical ? def->physical : def->capacity;
  if (image) {
    ch->remake = vb_storage_vol_def_copy (def);
    ch->remake->cluster_size = 0;
  }
  thread = g_task_new (backend, NULL, on_wiped, job);
  g_task_set_task_data (thread, ch, NULL);
  g_task_run_in_thread (thread, wipe_thread);
  g_object_unref (thread);
}

void
vb_storage_volume_ops_init (VbStorageOpsInterface *iface)
{
  iface->vol_create_xml = local_vol_create_xml;
  iface->vol_create_xml_from = local_vol_create_xml_from;
  iface->vol_lookup_by_name = local_vol_lookup_by_name;
  iface->vol_delete = local_vol_delete;
  iface->vol_get_info = local_vol_get_info;
  iface->vol_get_xml_desc = local_vol_get_xml_desc;
  iface->vol_resize = local_vol_resize;
  iface->vol_wipe = local_vol_wipe;
}
