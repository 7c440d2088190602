/* Local storage pools: definitions, start/stop, build/delete, scans.
 *
 * Files: <config>/<name>.xml (persistent definitions), <config>/autostart/
 * <name>.xml (a link to it), <run>/<name>.xml (the live definition of an
 * active pool, so that a restarted daemon finds its pools as they were).
 * A pool's volumes are the entries of its directory, read in a worker
 * thread (a scan) when it starts and at Refresh. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "vb-storage-private.h"

/* libvirt's virStoragePoolDefineFlags / CreateFlags / BuildFlags. */
#define POOL_DEFINE_VALIDATE (1 << 0)
#define POOL_CREATE_WITH_BUILD (1 << 0)
#define POOL_CREATE_WITH_BUILD_OVERWRITE (1 << 1)
#define POOL_CREATE_WITH_BUILD_NO_OVERWRITE (1 << 2)
#define POOL_BUILD_NO_OVERWRITE (1 << 2)
#define POOL_BUILD_OVERWRITE (1 << 3)
/* libvirt's default mode of a pool directory it builds. */
#define POOL_DIR_MODE 0711

static GQuark local_quark;

static void
local_free (gpointer p)
{
  VbStorageLocal *local = p;

  vb_state_dirs_free (local->dirs);
  g_free (local->qemu_img);
  g_free (local);
}

VbStorageLocal *
vb_storage_local_get (VbBackend *backend)
{
  return g_object_get_qdata (G_OBJECT (backend), local_quark);
}

static void
pool_data_free (gpointer p)
{
  VbStoragePool *sp = p;

  g_hash_table_unref (sp->building);
  g_ptr_array_unref (sp->waiters);
  g_free (sp);
}

VbStoragePool *
vb_storage_pool (VbObj *pool)
{
  if (pool->backend_data == NULL) {
    VbStoragePool *sp = g_new0 (VbStoragePool, 1);
    sp->building = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    sp->waiters = g_ptr_array_new_with_free_func (g_object_unref);
    pool->backend_data = sp;
    pool->backend_data_free = pool_data_free;
  }
  return pool->backend_data;
}

static VbStoragePoolDef *
pool_def (VbObj *pool)
{
  return pool->def;
}

static char *
def_file (const char *dir, const char *name)
{
  g_autofree char *file = g_strconcat (name, ".xml", NULL);
  return g_build_filename (dir, file, NULL);
}

static char *
config_path (VbBackend *backend, const char *name)
{
  return def_file (vb_storage_local_get (backend)->dirs->config_dir, name);
}

static char *
autostart_path (VbBackend *backend, const char *name)
{
  g_autofree char *dir = g_build_filename (vb_storage_local_get (backend)->dirs->config_dir, "autostart", NULL);
  return def_file (dir, name);
}

static char *
state_path (VbBackend *backend, const char *name)
{
  return def_file (vb_storage_local_get (backend)->dirs->run_dir, name);
}

void
vb_storage_pool_update_sizes (VbObj *pool)
{
  VbStoragePoolDef *def = pool_def (pool);
  struct statvfs sv;

  if (def->type == VB_STORAGE_POOL_DISK) {
    const VbStorageDiskSizes *sizes = &vb_storage_pool (pool)->disk_sizes;
    def->capacity = pool->active ? sizes->capacity : 0;
    def->allocation = pool->active ? sizes->allocation : 0;
    def->available = pool->active ? sizes->available : 0;
    return;
  }
  if (!pool->active || def->target_path == NULL || statvfs (def->target_path, &sv) < 0) {
    def->capacity = def->allocation = def->available = 0;
    return;
  }
  def->capacity = (guint64) sv.f_blocks * sv.f_frsize;
  def->allocation = (guint64) (sv.f_blocks - sv.f_bfree) * sv.f_frsize;
  def->available = (guint64) sv.f_bavail * sv.f_frsize;
}

/* ---- persistence ---- */

static gboolean
save_config (VbBackend *backend, VbObj *pool, const VbStoragePoolDef *def, GError **error)
{
  g_autofree char *path = config_path (backend, pool->name);
  g_autofree char *xml = vb_storage_pool_def_format (def, VB_STORAGE_XML_INACTIVE);

  return vb_file_write_atomic (path, xml, -1, 0600, error);
}

static gboolean
save_state (VbBackend *backend, VbObj *pool, GError **error)
{
  g_autofree char *path = state_path (backend, pool->name);
  g_autofree char *xml = vb_storage_pool_def_format (pool_def (pool), VB_STORAGE_XML_INACTIVE);

  return vb_file_write_runtime (path, xml, -1, 0600, error);
}

static void
remove_state (VbBackend *backend, VbObj *pool)
{
  g_autofree char *path = state_path (backend, pool->name);
  g_autoptr(GError) error = NULL;

  if (!vb_file_remove_runtime (path, &error))
    g_warning ("%s", error->message);
}

static gboolean
write_autostart_link (VbBackend *backend, const char *name, gboolean autostart, GError **error)
{
  return vb_autostart_link_set (vb_storage_local_get (backend)->dirs->config_dir, name, autostart, error);
}

/* ---- definitions ---- */

static VbStoragePoolDef *
parse_pool (const char *xml, const VbCallerCreds *creds, GError **error)
{
  g_autoptr(VbStoragePoolDef) def = vb_storage_pool_def_parse (xml, error);

  if (def == NULL)
    return NULL;
  if (def->name == NULL || *def->name == '\0') {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "missing pool <name>");
    return NULL;
  }
  /* The name is a file name of ours. */
  if (strchr (def->name, '/') != NULL || def->name[0] == '.' || strlen (def->name) > 200) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML,
                 "invalid pool name '%s': it may not contain '/', start with '.' or be longer than 200 bytes",
                 def->name);
    return NULL;
  }
  if (def->type != VB_STORAGE_POOL_DIR && def->type != VB_STORAGE_POOL_FS && def->type != VB_STORAGE_POOL_DISK) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "storage pools of type '%s' are not supported by this connection (supported: dir, fs, disk)",
                 vb_storage_pool_type_to_string (def->type));
    return NULL;
  }
  if (def->type == VB_STORAGE_POOL_FS && !vb_storage_fs_check_def (def, creds, error))
    return NULL;
  if (def->type == VB_STORAGE_POOL_DISK && !vb_storage_disk_check_def (def, creds, error))
    return NULL;
  if (def->target_path == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "pool '%s' has no <target><path>", def->name);
    return NULL;
  }
  if (strcmp (def->target_path, "/") == 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "the root directory cannot be a storage pool");
    return NULL;
  }
  /* An unprivileged caller's pool may only be where it could make files itself. */
  if (creds != NULL && creds->uid != 0) {
    g_autofree char *what = g_strdup_printf ("the directory of pool '%s'", def->name);
    if (!vb_path_policy_check (creds, def->target_path, R_OK | W_OK, VB_PATH_POLICY_MAY_CREATE, error) ||
        !vb_storage_check_owner (&def->target_perms, creds, what, error))
      return NULL;
  }
  return g_steal_pointer (&def);
}

static VbObj *
new_pool (VbStoragePoolDef *def)
{
  VbObj *pool = vb_obj_new (VB_OBJ_STORAGE_POOL, def->name, def->uuid, def, (GDestroyNotify) vb_storage_pool_def_free);

  vb_storage_pool (pool);
  return pool;
}

/* Two pools (fs or disk) never use the same device. @self: the pool @def
 * redefines, or NULL. */
static gboolean
check_device_free (VbBackend *backend, const VbStoragePoolDef *def, VbObj *self, GError **error)
{
  g_autoptr(GPtrArray) pools = NULL;
  const char *device;

  if (def->type != VB_STORAGE_POOL_FS && def->type != VB_STORAGE_POOL_DISK)
    return TRUE;
  device = vb_storage_fs_device (def);
  pools = vb_backend_list (backend, VB_OBJ_STORAGE_POOL);
  for (guint i = 0; i < pools->len; i++) {
    VbObj *other = g_ptr_array_index (pools, i);
    const VbStoragePoolDef *defs[] = { other->def, other->newdef };

    if (other == self || g_strcmp0 (other->uuid, def->uuid) == 0)
      continue;
    for (guint j = 0; j < G_N_ELEMENTS (defs); j++)
      if (defs[j] != NULL && (defs[j]->type == VB_STORAGE_POOL_FS || defs[j]->type == VB_STORAGE_POOL_DISK) &&
          g_strcmp0 (vb_storage_fs_device (defs[j]), device) == 0) {
        g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "storage pool '%s' already uses source device %s",
                     other->name, device);
        return FALSE;
      }
  }
  return TRUE;
}

static gboolean
pool_idle (VbObj *pool, GError **error)
{
  VbStoragePool *sp = vb_storage_pool (pool);

  if (sp->scanning) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is being %s", pool->name,
                 pool->active ? "refreshed" : "started");
    return FALSE;
  }
  if (sp->mounting) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "storage pool '%s' is being mounted, unmounted or built", pool->name);
    return FALSE;
  }
  if (sp->jobs > 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "storage pool '%s' has %u volume job%s running (creating, cloning, resizing or wiping)",
                 pool->name, sp->jobs, sp->jobs == 1 ? "" : "s");
    return FALSE;
  }
  return TRUE;
}

/* ---- scans ---- */

typedef struct {
  char *dir;
  char *pool_name;
  VbStoragePoolDef *disk; /* a disk pool's definition: its table is read */
  VbStorageDiskSizes sizes;
  GPtrArray *vols; /* VbStorageVolDef */
} Scan;

static void
scan_free (gpointer p)
{
  Scan *scan = p;

  g_free (scan->dir);
  g_free (scan->pool_name);
  g_clear_pointer (&scan->disk, vb_storage_pool_def_free);
  g_clear_pointer (&scan->vols, g_ptr_array_unref);
  g_free (scan);
}

static void
scan_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Scan *scan = data;
  GError *error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (scan->disk != NULL) {
    scan->vols = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_storage_vol_def_free);
    if (!vb_storage_disk_scan (scan->disk, scan->vols, &scan->sizes, &error)) {
      g_prefix_error (&error, "storage pool '%s': ", scan->pool_name);
      g_task_return_error (task, error);
      return;
    }
    g_task_return_boolean (task, TRUE);
    return;
  }
  dir = g_dir_open (scan->dir, 0, &error);
  if (dir == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "cannot read the directory of storage pool '%s': %s",
                             scan->pool_name, error->message);
    g_error_free (error);
    return;
  }
  scan->vols = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_storage_vol_def_free);
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autoptr(VbStorageVolDef) def = vb_storage_vol_def_new ();
    g_autoptr(GError) local = NULL;
    def->name = g_strdup (name);
    def->path = g_build_filename (scan->dir, name, NULL);
    def->key = g_strdup (def->path);
    /* What is not an image (a socket, a broken link, a damaged header)
     * is left where it is and out of the list. */
    if (!vb_storage_probe_path (def->path, def, &local)) {
      g_debug ("pool '%s': skipping %s: %s", scan->pool_name, name, local->message);
      continue;
    }
    g_ptr_array_add (scan->vols, g_steal_pointer (&def));
  }
  g_task_return_boolean (task, TRUE);
}

static void
scan_async (VbBackend *backend, VbObj *pool, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (backend, NULL, callback, user_data);
  Scan *scan = g_new0 (Scan, 1);

  scan->dir = g_strdup (pool_def (pool)->target_path);
  scan->pool_name = g_strdup (pool->name);
  if (pool_def (pool)->type == VB_STORAGE_POOL_DISK)
    scan->disk = vb_storage_pool_def_copy (pool_def (pool));
  g_task_set_task_data (task, scan, scan_free);
  g_task_run_in_thread (task, scan_thread);
}

/* Makes @pool's volumes what the scan found. The main loop ran meanwhile:
 * volumes being made are left alone, and a file removed since the scan
 * read it does not come back. */
static void
apply_scan (VbBackend *backend, VbObj *pool, GTask *scan_task)
{
  Scan *scan = g_task_get_task_data (scan_task);

  vb_storage_pool_apply_volumes (backend, pool, scan->vols, scan->disk != NULL ? &scan->sizes : NULL);
}

void
vb_storage_pool_apply_volumes (VbBackend *backend, VbObj *pool, GPtrArray *vols, const VbStorageDiskSizes *sizes)
{
  VbStoragePool *sp = vb_storage_pool (pool);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < vols->len; i++) {
    VbStorageVolDef *def = g_ptr_array_index (vols, i);
    VbObj *vol;
    struct stat st;

    if (g_hash_table_contains (sp->building, def->name) || lstat (def->path, &st) < 0)
      continue;
    g_hash_table_add (seen, def->name);
    vol = vb_obj_lookup_child (pool, def->name);
    if (vol != NULL) {
      vb_obj_set_def (vol, vb_storage_vol_def_copy (def));
      continue;
    }
    /* A path another pool already lists stays that pool's. */
    if (vb_backend_lookup_volume (backend, def->key) != NULL)
      continue;
    vb_storage_vol_add (backend, pool, vb_storage_vol_def_copy (def));
  }
  if (pool->children != NULL) {
    g_autoptr(GList) children = g_hash_table_get_values (pool->children);
    for (GList *l = children; l != NULL; l = l->next) {
      VbObj *vol = l->data;
      if (!g_hash_table_contains (seen, vol->name) && vb_storage_vol (vol)->busy == 0)
        vb_backend_remove_object (backend, vol);
    }
  }
  if (sizes != NULL)
    sp->disk_sizes = *sizes;
  vb_storage_pool_update_sizes (pool);
}

static void
drop_volumes (VbBackend *backend, VbObj *pool)
{
  g_autoptr(GList) children = NULL;

  if (pool->children == NULL)
    return;
  children = g_hash_table_get_values (pool->children);
  for (GList *l = children; l != NULL; l = l->next)
    vb_backend_remove_object (backend, l->data);
}

/* ---- starting ---- */

/* mkdir (and its parents) for a pool's directory, with its permissions. */
static gboolean
build_dir (const VbStoragePoolDef *def, GError **error)
{
  const VbStoragePerms *perms = &def->target_perms;
  int mode = perms->mode >= 0 ? (int) perms->mode : POOL_DIR_MODE;
  g_autofree char *parent = g_path_get_dirname (def->target_path);
  struct stat st;

  if (g_mkdir_with_parents (parent, 0755) < 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot build storage pool '%s': cannot create %s: %s", def->name,
                 parent, g_strerror (errno));
    return FALSE;
  }
  if (mkdir (def->target_path, mode) < 0 && errno != EEXIST) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot build storage pool '%s': cannot create %s: %s", def->name,
                 def->target_path, g_strerror (errno));
    return FALSE;
  }
  if (stat (def->target_path, &st) < 0 || !S_ISDIR (st.st_mode)) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot build storage pool '%s': %s exists and is not a directory",
                 def->name, def->target_path);
    return FALSE;
  }
  if ((perms->mode >= 0 || (st.st_mode & 07777) != (guint) mode) && chmod (def->target_path, mode) < 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot build storage pool '%s': cannot chmod %s: %s", def->name,
                 def->target_path, g_strerror (errno));
    return FALSE;
  }
  if ((perms->owner >= 0 || perms->group >= 0) &&
      chown (def->target_path, perms->owner >= 0 ? (uid_t) perms->owner : (uid_t) -1,
             perms->group >= 0 ? (gid_t) perms->group : (gid_t) -1) < 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot build storage pool '%s': cannot chown %s: %s", def->name,
                 def->target_path, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_target (const VbStoragePoolDef *def, GError **error)
{
  struct stat st;

  if (stat (def->target_path, &st) < 0) {
    int saved = errno;
    if (saved == ENOENT)
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                   "cannot start storage pool '%s': its directory %s does not exist (build the pool first)",
                   def->name, def->target_path);
    else
      g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot start storage pool '%s': %s: %s", def->name,
                   def->target_path, g_strerror (saved));
    return FALSE;
  }
  if (!S_ISDIR (st.st_mode)) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot start storage pool '%s': %s is not a directory",
                 def->name, def->target_path);
    return FALSE;
  }
  return TRUE;
}

typedef struct {
  VbBackend *backend;
  VbObj *pool;
  gboolean is_new;  /* CreateXML: the pool is registered only once it runs */
  gboolean restore; /* a restarted daemon finding it active */
  gboolean mounted; /* fs: mounted by this start (unmounted again if it fails) */
} Start;

static void
start_free (gpointer p)
{
  Start *start = p;

  g_object_unref (start->pool);
  g_free (start);
}

static void
on_cleanup_unmounted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree char *name = user_data;
  g_autoptr(GError) error = NULL;

  if (!vb_storage_fs_finish (result, &error))
    g_warning ("storage pool '%s' did not start, and stays mounted: %s", name, error->message);
}

/* Nothing half done: an fs pool this start mounted is unmounted again, a
 * pool a restarted daemon found active is not any more. */
static void
start_failed (VbBackend *backend, GTask *task, GError *error)
{
  Start *start = g_task_get_task_data (task);
  VbObj *pool = start->pool;

  if (start->mounted)
    vb_storage_fs_umount_async (pool_def (pool), on_cleanup_unmounted, g_strdup (pool->name));
  if (start->restore) {
    remove_state (backend, pool);
    /* Inactive, it is its persistent definition again. */
    if (pool->newdef != NULL)
      vb_obj_set_def (pool, g_steal_pointer (&pool->newdef));
    if (!pool->persistent)
      vb_backend_remove_object (backend, pool);
  }
  g_task_return_error (task, error);
}

static void
on_start_scanned (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VbBackend *backend = VB_BACKEND (source);
  Start *start = g_task_get_task_data (task);
  VbObj *pool = start->pool;
  GError *error = NULL;

  vb_storage_pool (pool)->scanning = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    start_failed (backend, task, error);
    return;
  }
  if (start->is_new)
    vb_backend_add_object (backend, pool);
  vb_obj_set_active (pool, TRUE);
  apply_scan (backend, pool, G_TASK (result));
  if (!start->restore) {
    if (!save_state (backend, pool, &error)) {
      g_warning ("pool '%s': %s", pool->name, error->message);
      g_clear_error (&error);
    }
    vb_backend_emit_event (backend, pool, VB_STORAGE_POOL_EVENT_STARTED, 0);
  }
  g_task_return_boolean (task, TRUE);
}

static void
on_start_mounted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Start *start = g_task_get_task_data (task);
  VbObj *pool = start->pool;
  GError *error = NULL;

  vb_storage_pool (pool)->mounting = FALSE;
  if (!vb_storage_fs_finish (result, &error)) {
    if (!g_str_has_prefix (error->message, "cannot start"))
      g_prefix_error (&error, "cannot start storage pool '%s': ", pool->name);
    start_failed (start->backend, task, error);
    return;
  }
  start->mounted = TRUE;
  vb_storage_pool (pool)->scanning = TRUE;
  scan_async (start->backend, pool, on_start_scanned, g_steal_pointer (&task));
}

/* Starts @pool (an fs pool's file system mounted first, then its directory
 * scanned); completes @task_in (taken) [void]. */
static void
start_pool (VbBackend *backend, VbObj *pool, gboolean is_new, gboolean restore, GTask *task_in)
{
  g_autoptr(GTask) task = task_in;
  const VbStoragePoolDef *def = pool_def (pool);
  Start *start;
  GError *error = NULL;

  if (!restore && !check_target (def, &error)) {
    g_task_return_error (task, error);
    return;
  }
  start = g_new0 (Start, 1);
  start->backend = backend;
  start->pool = g_object_ref (pool);
  start->is_new = is_new;
  start->restore = restore;
  g_task_set_task_data (task, start, start_free);
  /* A restarted daemon finds its fs pools still mounted (or mounts them
   * again: the pool was active). */
  if (def->type == VB_STORAGE_POOL_FS && !(restore && vb_storage_fs_is_mounted (def->target_path))) {
    vb_storage_pool (pool)->mounting = TRUE;
    vb_storage_fs_mount_async (def, on_start_mounted, g_object_ref (task));
    return;
  }
  vb_storage_pool (pool)->scanning = TRUE;
  scan_async (backend, pool, on_start_scanned, g_object_ref (task));
}

static void
on_pool_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Start *start = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_object_ref (start->pool), g_object_unref);
}

/* fs pools: the file system made (mkfs) after the directory, when a build
 * asks for it with overwrite or no-overwrite (as libvirt: a plain build
 * makes the directory only); then the pool starts if @start_task is set,
 * else @task completes [void] with the CREATED event. */
typedef struct {
  VbBackend *backend;
  VbObj *pool;
  GTask *task;       /* Build's, or NULL */
  GTask *start_task; /* a start_pool task, or NULL */
  gboolean is_new;
} FsBuild;

static void
on_fs_built (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FsBuild *b = user_data;
  GError *error = NULL;

  vb_storage_pool (b->pool)->mounting = FALSE;
  if (!vb_storage_fs_finish (result, &error)) {
    g_task_return_error (b->start_task ? b->start_task : b->task, error);
    g_clear_object (&b->start_task);
  } else if (b->start_task != NULL) {
    start_pool (b->backend, b->pool, b->is_new, FALSE, g_steal_pointer (&b->start_task));
  } else {
    vb_backend_emit_event (b->backend, b->pool, VB_STORAGE_POOL_EVENT_CREATED, 0);
    g_task_return_boolean (b->task, TRUE);
  }
  g_clear_object (&b->task);
  g_object_unref (b->pool);
  g_free (b);
}

/* Disk pools: a job on the partition table in a worker thread, completing
 * as the fs tools do (vb_storage_fs_finish). */
typedef struct {
  VbStoragePoolDef *def;
  gboolean overwrite;
  gboolean delete;
} DiskJob;

static void
disk_job_free (gpointer p)
{
  DiskJob *job = p;

  vb_storage_pool_def_free (job->def);
  g_free (job);
}

static void
disk_job_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  DiskJob *job = data;
  GError *error = NULL;

  if (job->delete ? vb_storage_disk_delete (job->def, &error)
                  : vb_storage_disk_build (job->def, job->overwrite, &error))
    g_task_return_pointer (task, g_strdup (""), g_free);
  else
    g_task_return_error (task, error);
}

static void
disk_job_async (const VbStoragePoolDef *def, gboolean delete, gboolean overwrite, GAsyncReadyCallback callback,
                gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);
  DiskJob *job = g_new0 (DiskJob, 1);

  job->def = vb_storage_pool_def_copy (def);
  job->delete = delete;
  job->overwrite = overwrite;
  g_task_set_task_data (task, job, disk_job_free);
  g_task_run_in_thread (task, disk_job_thread);
}

/* An fs pool's file system (mkfs) or a disk pool's partition table. */
static void
build_fs (VbBackend *backend, VbObj *pool, gboolean overwrite, GTask *task, GTask *start_task, gboolean is_new)
{
  FsBuild *b = g_new0 (FsBuild, 1);

  b->backend = backend;
  b->pool = g_object_ref (pool);
  b->task = task ? g_object_ref (task) : NULL;
  b->start_task = start_task;
  b->is_new = is_new;
  vb_storage_pool (pool)->mounting = TRUE;
  if (pool_def (pool)->type == VB_STORAGE_POOL_DISK)
    disk_job_async (pool_def (pool), FALSE, overwrite, on_fs_built, b);
  else
    vb_storage_fs_mkfs_async (pool_def (pool), overwrite, on_fs_built, b);
}

/* Whether a build (with @flags of either kind) makes the pool's
 * directory: not a disk pool's, whose target is where its partitions'
 * nodes are (/dev). */
static gboolean
builds_dir (const VbStoragePoolDef *def)
{
  return def->type != VB_STORAGE_POOL_DISK;
}

/* Whether a build with these flags goes to the device: an fs pool's with
 * overwrite or no-overwrite (a plain one makes the directory only, as
 * libvirt), a disk pool's always (a plain one as no-overwrite). */
static gboolean
builds_device (const VbStoragePoolDef *def, gboolean overwrite, gboolean no_overwrite)
{
  return def->type == VB_STORAGE_POOL_DISK || (def->type == VB_STORAGE_POOL_FS && (overwrite || no_overwrite));
}

/* ---- org.libvirt.Connect ---- */

static void
local_pool_define_xml (VbBackend *backend, const char *xml, guint flags, GTask *task)
{
  GError *error = NULL;
  g_autoptr(VbStoragePoolDef) def = NULL;
  VbObj *pool;

  CHECK_FLAGS (task, flags, POOL_DEFINE_VALIDATE, "StoragePoolDefineXML");
  def = parse_pool (xml, vb_task_get_caller_creds (task), &error);
  if (def == NULL || !vb_storage_pool_check_duplicate (backend, def, &pool, &error) ||
      !check_device_free (backend, def, pool, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (pool != NULL && !pool->active && !pool_idle (pool, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (pool == NULL) {
    g_autoptr(VbObj) fresh = new_pool (vb_storage_pool_def_copy (def));
    if (!save_config (backend, fresh, def, &error)) {
      g_task_return_error (task, error);
      return;
    }
    fresh->persistent = TRUE;
    vb_backend_add_object (backend, fresh);
    pool = fresh;
  } else {
    if (!save_config (backend, pool, def, &error)) {
      g_task_return_error (task, error);
      return;
    }
    /* A running pool keeps its live definition until it stops. */
    if (pool->active) {
      vb_obj_set_newdef (pool, g_steal_pointer (&def));
    } else {
      vb_obj_set_def (pool, g_steal_pointer (&def));
    }
    vb_obj_set_persistent (pool, TRUE);
  }
  vb_backend_emit_event (backend, pool, VB_STORAGE_POOL_EVENT_DEFINED, 0);
  g_task_return_pointer (task, g_object_ref (pool), g_object_unref);
}

static gboolean
check_build_flags (GTask *task, gboolean overwrite, gboolean no_overwrite)
{
  if (overwrite && no_overwrite) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG,
                             "the overwrite and no-overwrite build flags are mutually exclusive");
    return FALSE;
  }
  return TRUE;
}

static void
local_pool_create_xml (VbBackend *backend, const char *xml, guint flags, GTask *task)
{
  GError *error = NULL;
  g_autoptr(VbStoragePoolDef) def = NULL;
  g_autoptr(VbObj) pool = NULL;
  VbObj *existing;

  CHECK_FLAGS (task, flags,
               POOL_CREATE_WITH_BUILD | POOL_CREATE_WITH_BUILD_OVERWRITE | POOL_CREATE_WITH_BUILD_NO_OVERWRITE,
               "StoragePoolCreateXML");
  if (!check_build_flags (task, flags & POOL_CREATE_WITH_BUILD_OVERWRITE, flags & POOL_CREATE_WITH_BUILD_NO_OVERWRITE))
    return;
  def = parse_pool (xml, vb_task_get_caller_creds (task), &error);
  if (def == NULL || !vb_storage_pool_check_duplicate (backend, def, &existing, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (existing != NULL)
    FAIL (task, VB_ERROR_EXISTS, "pool '%s' already exists with uuid %s", existing->name, existing->uuid);
  if (!check_device_free (backend, def, NULL, &error) ||
      ((flags & (POOL_CREATE_WITH_BUILD | POOL_CREATE_WITH_BUILD_OVERWRITE | POOL_CREATE_WITH_BUILD_NO_OVERWRITE)) &&
       builds_dir (def) && !build_dir (def, &error))) {
    g_task_return_error (task, error);
    return;
  }
  pool = new_pool (g_steal_pointer (&def));
  if ((flags & (POOL_CREATE_WITH_BUILD | POOL_CREATE_WITH_BUILD_OVERWRITE | POOL_CREATE_WITH_BUILD_NO_OVERWRITE)) &&
      builds_device (pool_def (pool), flags & POOL_CREATE_WITH_BUILD_OVERWRITE,
                     flags & POOL_CREATE_WITH_BUILD_NO_OVERWRITE)) {
    build_fs (backend, pool, (flags & POOL_CREATE_WITH_BUILD_OVERWRITE) != 0, NULL,
              g_task_new (backend, NULL, on_pool_started, g_object_ref (task)), TRUE);
    return;
  }
  start_pool (backend, pool, TRUE, FALSE, g_task_new (backend, NULL, on_pool_started, g_object_ref (task)));
}

static void
local_find_pool_sources (VbBackend *backend, const char *type, const char *src_spec, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "FindStoragePoolSources");
  if (vb_storage_pool_type_from_string (type) < 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "unknown storage pool type '%s'", type);
  /* A directory pool has no source to find; the others are not managed here. */
  FAIL (task, VB_ERROR_NOT_SUPPORTED, "finding sources of '%s' pools is not supported by this connection", type);
}

/* ---- org.libvirt.StoragePool ---- */

static gboolean
local_pool_set_autostart (VbBackend *backend, VbObj *pool, gboolean autostart, GError **error)
{
  if (!pool->persistent) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "transient pool '%s' cannot be autostarted", pool->name);
    return FALSE;
  }
  if (!write_autostart_link (backend, pool->name, autostart, error))
    return FALSE;
  vb_obj_set_autostart (pool, autostart);
  return TRUE;
}

static gboolean
check_inactive (GTask *task, VbObj *pool)
{
  if (!pool->active)
    return TRUE;
  g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is active", pool->name);
  return FALSE;
}

static gboolean
check_active (GTask *task, VbObj *pool)
{
  if (pool->active)
    return TRUE;
  g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is not active",
                           pool->name);
  return FALSE;
}

static void
local_pool_build (VbBackend *backend, VbObj *pool, guint flags, GTask *task)
{
  GError *error = NULL;

  CHECK_FLAGS (task, flags, POOL_BUILD_NO_OVERWRITE | POOL_BUILD_OVERWRITE, "Build");
  if (!check_build_flags (task, flags & POOL_BUILD_OVERWRITE, flags & POOL_BUILD_NO_OVERWRITE) ||
      !check_inactive (task, pool))
    return;
  if (!pool_idle (pool, &error) || (builds_dir (pool_def (pool)) && !build_dir (pool_def (pool), &error))) {
    g_task_return_error (task, error);
    return;
  }
  if (builds_device (pool_def (pool), flags & POOL_BUILD_OVERWRITE, flags & POOL_BUILD_NO_OVERWRITE)) {
    build_fs (backend, pool, (flags & POOL_BUILD_OVERWRITE) != 0, task, NULL, FALSE);
    return;
  }
  vb_backend_emit_event (backend, pool, VB_STORAGE_POOL_EVENT_CREATED, 0);
  g_task_return_boolean (task, TRUE);
}

static void
local_pool_create (VbBackend *backend, VbObj *pool, guint flags, GTask *task)
{
  GError *error = NULL;

  CHECK_FLAGS (task, flags,
               POOL_CREATE_WITH_BUILD | POOL_CREATE_WITH_BUILD_OVERWRITE | POOL_CREATE_WITH_BUILD_NO_OVERWRITE,
               "Create");
  if (!check_build_flags (task, flags & POOL_CREATE_WITH_BUILD_OVERWRITE, flags & POOL_CREATE_WITH_BUILD_NO_OVERWRITE) ||
      !check_inactive (task, pool))
    return;
  if (!pool_idle (pool, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if ((flags & (POOL_CREATE_WITH_BUILD | POOL_CREATE_WITH_BUILD_OVERWRITE | POOL_CREATE_WITH_BUILD_NO_OVERWRITE)) &&
      builds_dir (pool_def (pool)) && !build_dir (pool_def (pool), &error)) {
    g_task_return_error (task, error);
    return;
  }
  if ((flags & (POOL_CREATE_WITH_BUILD | POOL_CREATE_WITH_BUILD_OVERWRITE | POOL_CREATE_WITH_BUILD_NO_OVERWRITE)) &&
      builds_device (pool_def (pool), flags & POOL_CREATE_WITH_BUILD_OVERWRITE,
                     flags & POOL_CREATE_WITH_BUILD_NO_OVERWRITE)) {
    build_fs (backend, pool, (flags & POOL_CREATE_WITH_BUILD_OVERWRITE) != 0, NULL, g_object_ref (task), FALSE);
    return;
  }
  /* The caller's task: its data is the backend's (vb-invocation.h). */
  start_pool (backend, pool, FALSE, FALSE, g_object_ref (task));
}

static void
on_disk_deleted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FsBuild *b = user_data;
  GError *error = NULL;

  vb_storage_pool (b->pool)->mounting = FALSE;
  if (!vb_storage_fs_finish (result, &error)) {
    g_task_return_error (b->task, error);
  } else {
    vb_backend_emit_event (b->backend, b->pool, VB_STORAGE_POOL_EVENT_DELETED, 0);
    g_task_return_boolean (b->task, TRUE);
  }
  g_object_unref (b->task);
  g_object_unref (b->pool);
  g_free (b);
}

static void
local_pool_delete (VbBackend *backend, VbObj *pool, guint flags, GTask *task)
{
  const VbStoragePoolDef *def = pool_def (pool);
  GError *error = NULL;

  CHECK_FLAGS (task, flags, 0, "Delete");
  if (!check_inactive (task, pool))
    return;
  if (!pool_idle (pool, &error)) {
    g_task_return_error (task, error);
    return;
  }
  /* A disk pool's partition table goes, as libvirt's does. */
  if (def->type == VB_STORAGE_POOL_DISK) {
    FsBuild *b = g_new0 (FsBuild, 1);

    b->backend = backend;
    b->pool = g_object_ref (pool);
    b->task = g_object_ref (task);
    vb_storage_pool (pool)->mounting = TRUE;
    disk_job_async (def, TRUE, FALSE, on_disk_deleted, b);
    return;
  }
  /* Never the volumes: a directory with files in it stays. */
  if (rmdir (def->target_path) < 0 && errno != ENOENT) {
    int saved = errno;
    if (saved == ENOTEMPTY || saved == EEXIST)
      FAIL (task, VB_ERROR_OPERATION_INVALID,
            "cannot delete storage pool '%s': its directory %s is not empty (delete its volumes first)", pool->name,
            def->target_path);
    FAIL (task, VB_ERROR_IO, "cannot delete storage pool '%s': cannot remove %s: %s", pool->name,
          def->target_path, g_strerror (saved));
  }
  vb_backend_emit_event (backend, pool, VB_STORAGE_POOL_EVENT_DELETED, 0);
  g_task_return_boolean (task, TRUE);
}

static void stopped (VbBackend *backend, VbObj *pool, GTask *task);

typedef struct {
  VbBackend *backend;
  VbObj *pool;
  GTask *task;
} Unmount;

static void
on_destroy_unmounted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Unmount *u = user_data;
  GError *error = NULL;

  vb_storage_pool (u->pool)->mounting = FALSE;
  /* Busy (a guest has a volume open): the pool stays as it is. */
  if (!vb_storage_fs_finish (result, &error)) {
    g_prefix_error (&error, "cannot stop storage pool '%s': ", u->pool->name);
    g_task_return_error (u->task, error);
  } else {
    stopped (u->backend, u->pool, u->task);
  }
  g_object_unref (u->task);
  g_object_unref (u->pool);
  g_free (u);
}

static void
local_pool_destroy (VbBackend *backend, VbObj *pool, GTask *task)
{
  GError *error = NULL;

  if (!check_active (task, pool))
    return;
  if (!pool_idle (pool, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (pool_def (pool)->type == VB_STORAGE_POOL_FS) {
    Unmount *u = g_new0 (Unmount, 1);
    u->backend = backend;
    u->pool = g_object_ref (pool);
    u->task = g_object_ref (task);
    vb_storage_pool (pool)->mounting = TRUE;
    vb_storage_fs_umount_async (pool_def (pool), on_destroy_unmounted, u);
    return;
  }
  stopped (backend, pool, task);
}

/* The pool's volumes leave the bus, it is inactive. */
static void
stopped (VbBackend *backend, VbObj *pool, GTask *task)
{
  g_autoptr(VbObj) hold = g_object_ref (pool);

  drop_volumes (backend, pool);
  vb_obj_set_active (pool, FALSE);
  remove_state (backend, pool);
  if (pool->newdef != NULL)
    vb_obj_set_def (pool, g_steal_pointer (&pool->newdef));
  vb_storage_pool_update_sizes (pool);
  vb_backend_emit_event (backend, pool, VB_STORAGE_POOL_EVENT_STOPPED, 0);
  if (!pool->persistent)
    vb_backend_remove_object (backend, pool);
  g_task_return_boolean (task, TRUE);
}

static void
local_pool_get_info (VbBackend *backend, VbObj *pool, GTask *task)
{
  const VbStoragePoolDef *def = pool_def (pool);
  GVariant *info;

  vb_storage_pool_update_sizes (pool);
  info = g_variant_new ("(ittt)", pool->active ? VB_STORAGE_POOL_STATE_RUNNING : VB_STORAGE_POOL_STATE_INACTIVE,
                        def->capacity, def->allocation, def->available);
  g_task_return_pointer (task, g_variant_ref_sink (info), (GDestroyNotify) g_variant_unref);
}

static void
local_pool_get_xml_desc (VbBackend *backend, VbObj *pool, guint flags, GTask *task)
{
  const VbStoragePoolDef *def;

  CHECK_FLAGS (task, flags, VB_STORAGE_XML_INACTIVE, "GetXMLDesc");
  vb_storage_pool_update_sizes (pool);
  def = (flags & VB_STORAGE_XML_INACTIVE) ? vb_obj_get_persistent_def (pool) : pool->def;
  g_task_return_pointer (task, vb_storage_pool_def_format (def, flags), g_free);
}

static void
local_pool_list_volumes (VbBackend *backend, VbObj *pool, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "ListStorageVolumes");
  if (!check_active (task, pool))
    return;
  g_task_return_pointer (task, vb_storage_pool_sorted_volumes (pool), (GDestroyNotify) g_ptr_array_unref);
}

static void
on_refresh_scanned (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VbObj) pool = user_data;
  VbBackend *backend = VB_BACKEND (source);
  VbStoragePool *sp = vb_storage_pool (pool);
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&sp->waiters);
  GError *error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  sp->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  sp->scanning = FALSE;
  if (ok && pool->active) {
    apply_scan (backend, pool, G_TASK (result));
    vb_backend_emit_pool_refresh (backend, pool);
  }
  for (guint i = 0; i < waiters->len; i++) {
    GTask *task = g_ptr_array_index (waiters, i);
    if (ok)
      g_task_return_boolean (task, TRUE);
    else
      g_task_return_error (task, g_error_copy (error));
  }
  g_clear_error (&error);
}

static void
local_pool_refresh (VbBackend *backend, VbObj *pool, guint flags, GTask *task)
{
  VbStoragePool *sp = vb_storage_pool (pool);

  CHECK_FLAGS (task, flags, 0, "Refresh");
  if (!check_active (task, pool))
    return;
  g_ptr_array_add (sp->waiters, g_object_ref (task));
  /* One scan at a time: a refresh asked for while one runs gets its result. */
  if (sp->scanning)
    return;
  sp->scanning = TRUE;
  scan_async (backend, pool, on_refresh_scanned, g_object_ref (pool));
}

static void
local_pool_undefine (VbBackend *backend, VbObj *pool, GTask *task)
{
  g_autoptr(VbObj) hold = g_object_ref (pool);
  g_autofree char *path = config_path (backend, pool->name);
  GError *error = NULL;

  if (!pool->persistent)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot undefine transient storage pool '%s'", pool->name);
  if (!check_inactive (task, pool))
    return;
  if (!pool_idle (pool, &error) || !write_autostart_link (backend, pool->name, FALSE, &error) ||
      !vb_file_remove (path, &error)) {
    g_task_return_error (task, error);
    return;
  }
  vb_backend_emit_event (backend, pool, VB_STORAGE_POOL_EVENT_UNDEFINED, 0);
  vb_backend_remove_object (backend, pool);
  g_task_return_boolean (task, TRUE);
}

void
vb_storage_local_ops_init (VbStorageOpsInterface *iface)
{
  iface->pool_create_xml = local_pool_create_xml;
  iface->pool_define_xml = local_pool_define_xml;
  iface->find_pool_sources = local_find_pool_sources;
  iface->set_autostart = local_pool_set_autostart;
  iface->build = local_pool_build;
  iface->create = local_pool_create;
  iface->delete = local_pool_delete;
  iface->destroy = local_pool_destroy;
  iface->get_info = local_pool_get_info;
  iface->get_xml_desc = local_pool_get_xml_desc;
  iface->list_volumes = local_pool_list_volumes;
  iface->refresh = local_pool_refresh;
  iface->undefine = local_pool_undefine;
  vb_storage_volume_ops_init (iface);
}

/* ---- loading ---- */

typedef struct {
  guint pending;
} Load;

static void
load_step_done (GTask *task)
{
  Load *load = g_task_get_task_data (task);

  if (--load->pending == 0)
    g_task_return_boolean (task, TRUE);
}

static void
on_restored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Start *start = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_warning ("storage pool '%s' was active and is not any more: %s", start->pool->name, error->message);
  load_step_done (task);
}

static gpointer
parse_pool_file (const char *xml, GError **error)
{
  return parse_pool (xml, NULL, error);
}

static const char *
def_name (gconstpointer def)
{
  return ((const VbStoragePoolDef *) def)->name;
}

void
vb_storage_local_load_async (VbBackend *backend, const char *qemu_img, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (backend, cancellable, callback, user_data);
  VbStorageLocal *local = g_new0 (VbStorageLocal, 1);
  g_autoptr(GPtrArray) configs = NULL;
  g_autoptr(GPtrArray) states = NULL;
  Load *load = g_new0 (Load, 1);
  GError *error = NULL;

  if (local_quark == 0)
    local_quark = g_quark_from_static_string ("vb-storage-local");
  local->dirs = vb_state_dirs_new (vb_backend_is_system (backend), vb_backend_get_root_prefix (backend), "storage");
  local->qemu_img = g_strdup (qemu_img ? qemu_img : "qemu-img");
  g_object_set_qdata_full (G_OBJECT (backend), local_quark, local, local_free);
  g_task_set_task_data (task, load, g_free);
  load->pending = 1;

  if (!vb_state_dirs_load_definitions (local->dirs, "storage pool", parse_pool_file, def_name,
                                       (GDestroyNotify) vb_storage_pool_def_free, &configs, &states, &error)) {
    g_task_return_error (task, error);
    return;
  }

  for (guint i = 0; i < configs->len; i++) {
    VbStoragePoolDef *def = g_ptr_array_index (configs, i);
    g_autofree char *link = autostart_path (backend, def->name);
    g_autoptr(VbObj) pool = NULL;
    VbObj *existing;

    if (!vb_storage_pool_check_duplicate (backend, def, &existing, &error) || existing != NULL) {
      g_warning ("ignoring storage pool '%s': %s", def->name, error ? error->message : "defined twice");
      g_clear_error (&error);
      continue;
    }
    pool = new_pool (vb_storage_pool_def_copy (def));
    pool->persistent = TRUE;
    pool->autostart = g_file_test (link, G_FILE_TEST_IS_SYMLINK);
    vb_backend_add_object (backend, pool);
  }
  for (guint i = 0; i < states->len; i++) {
    VbStoragePoolDef *def = g_ptr_array_index (states, i);
    VbObj *pool = vb_backend_lookup (backend, VB_OBJ_STORAGE_POOL, def->uuid);
    g_autoptr(VbObj) transient = NULL;

    if (pool == NULL) {
      VbObj *existing;
      if (!vb_storage_pool_check_duplicate (backend, def, &existing, &error)) {
        g_warning ("forgetting active storage pool '%s': %s", def->name, error->message);
        g_clear_error (&error);
        continue;
      }
      pool = transient = new_pool (vb_storage_pool_def_copy (def));
      vb_backend_add_object (backend, pool);
    } else if (g_strcmp0 (pool->name, def->name) != 0) {
      g_warning ("forgetting active storage pool '%s': its uuid is pool '%s''s", def->name, pool->name);
      continue;
    } else {
      /* Running on the definition it was started with. */
      g_autoptr(VbStoragePoolDef) persistent = vb_storage_pool_def_copy (pool->def);
      g_autofree char *a = vb_storage_pool_def_format (persistent, VB_STORAGE_XML_INACTIVE);
      g_autofree char *b = vb_storage_pool_def_format (def, VB_STORAGE_XML_INACTIVE);
      vb_obj_set_def (pool, vb_storage_pool_def_copy (def));
      if (strcmp (a, b) != 0)
        vb_obj_set_newdef (pool, g_steal_pointer (&persistent));
    }
    load->pending++;
    start_pool (backend, pool, FALSE, TRUE, g_task_new (backend, NULL, on_restored, g_object_ref (task)));
  }
  load_step_done (task);
}

gboolean
vb_storage_local_load_finish (VbBackend *backend, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_autostarted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree char *name = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_warning ("cannot autostart storage pool '%s': %s", name, error->message);
}

void
vb_storage_local_autostart (VbBackend *backend)
{
  g_autoptr(GPtrArray) pools = vb_backend_list (backend, VB_OBJ_STORAGE_POOL);

  for (guint i = 0; i < pools->len; i++) {
    VbObj *pool = g_ptr_array_index (pools, i);
    if (!pool->autostart || pool->active || vb_storage_pool (pool)->scanning)
      continue;
    start_pool (backend, pool, FALSE, FALSE, g_task_new (backend, NULL, on_autostarted, g_strdup (pool->name)));
  }
}
