/* The QEMU backend's domain operations (VbDomainOps): definitions and
 * their persistence, lifecycle on top of vb-qemu-process.c, descriptions. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>

#include "vb-client.h"     /* AUTODESTROY */
#include "vb-invocation.h" /* vb_task_get_caller_creds */
#include "vb-qemu-agent.h"   /* agent part: Shutdown/Reboot with the guest agent */
#include "vb-qemu-command.h"
#include "vb-qemu-hotplug.h"
#include "vb-qemu-index.h"
#include "vb-qemu-process.h"
#include "vb-state-dir.h"
#include "vb-storage-vol-def.h" /* <disk type='volume'> */
#include "vb-task.h"

#define SHUTDOWN_MODES \
  (VB_QEMU_SHUTDOWN_ACPI | VB_QEMU_SHUTDOWN_AGENT | VB_QEMU_SHUTDOWN_INITCTL | VB_QEMU_SHUTDOWN_SIGNAL | \
   VB_QEMU_SHUTDOWN_PARAVIRT)

enum { UNDEFINE_MANAGED_SAVE = 1 << 0, UNDEFINE_SNAPSHOTS_METADATA = 1 << 1, UNDEFINE_NVRAM = 1 << 2,
       UNDEFINE_KEEP_NVRAM = 1 << 3, UNDEFINE_CHECKPOINTS_METADATA = 1 << 4, UNDEFINE_TPM = 1 << 5,
       UNDEFINE_KEEP_TPM = 1 << 6 };
enum { DEFINE_VALIDATE = 1 << 0 };

void
vb_qemu_emit (VbQemuBackend *self, VbObj *dom, int event, int detail)
{
  vb_backend_emit_event (VB_BACKEND (self), dom, event, detail);
}

const VbQemuPart *const vb_qemu_parts[] = {
  &vb_qemu_part_job, &vb_qemu_part_agent, &vb_qemu_part_hotplug, &vb_qemu_part_snapshot, &vb_qemu_part_stats,
  &vb_qemu_part_migrate,
  &vb_qemu_part_save, /* save/restore part */
  &vb_qemu_part_blockjob,
  NULL,
};

static void
parts_loaded (VbQemuBackend *self, VbObj *dom)
{
  for (guint i = 0; vb_qemu_parts[i] != NULL; i++)
    if (vb_qemu_parts[i]->loaded != NULL)
      vb_qemu_parts[i]->loaded (self, dom);
}

static VbDomainDef *
persistent_def (VbObj *dom)
{
  return vb_obj_get_persistent_def (dom);
}

static VbObj *
new_obj (VbQemuBackend *self, const char *name, const char *uuid, VbDomainDef *def)
{
  VbObj *dom = vb_obj_new (VB_OBJ_DOMAIN, name, uuid, def, (GDestroyNotify) vb_domain_def_free);
  VbQemuDom *d = g_new0 (VbQemuDom, 1);

  d->backend = self;
  d->dom = dom;
  d->pidfd = -1;
  d->helpers = g_array_new (FALSE, FALSE, sizeof (int));
  d->pause_reason = -1;
  d->pause_detail = -1;
  d->resume_reason = -1;
  d->resume_detail = -1;
  d->exit_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  dom->state = VB_DOMAIN_SHUTOFF;
  dom->id = -1;
  if (def != NULL)
    def->id = -1;
  dom->backend_data = d;
  dom->backend_data_free = vb_qemu_dom_free;
  return dom;
}

VbObj *
vb_qemu_domain_new_obj (VbQemuBackend *self, VbDomainDef *def)
{
  return new_obj (self, def->name, def->uuid, def);
}

VbObj *
vb_qemu_domain_new_lazy_obj (VbQemuBackend *self, const char *name, const char *uuid)
{
  return new_obj (self, name, uuid, NULL);
}

/* ---- persistence ---- */

static gboolean
save_config (VbQemuBackend *self, VbObj *dom, GError **error)
{
  g_autofree char *path = vb_qemu_domain_config_path (self, dom->name);
  g_autofree char *xml = vb_domain_def_format (persistent_def (dom), VB_DOMAIN_XML_INACTIVE | VB_DOMAIN_XML_SECURE);

  self->index_dirty = TRUE;
  return vb_file_write_atomic (path, xml, -1, 0600, error);
}

/* hotplug: AttachDevice & co. with the config flag save through this. */
gboolean
vb_qemu_domain_save_config (VbQemuBackend *self, VbObj *dom, GError **error)
{
  return save_config (self, dom, error);
}

static gboolean
write_autostart_link (VbQemuBackend *self, const char *name, gboolean autostart, GError **error)
{
  return vb_autostart_link_set (vb_backend_get_state_dirs (VB_BACKEND (self))->config_dir, name, autostart, error);
}

static void
remove_config (VbQemuBackend *self, const char *name)
{
  g_autofree char *path = vb_qemu_domain_config_path (self, name);
  g_autoptr(GError) error = NULL;

  write_autostart_link (self, name, FALSE, NULL);
  self->index_dirty = TRUE;
  if (!vb_file_remove (path, &error))
    g_warning ("%s", error->message);
}

/* ---- loading ---- */

static char *
index_path (VbQemuBackend *self)
{
  return g_build_filename (vb_backend_get_state_dirs (VB_BACKEND (self))->lib_dir, "cache", "domains.index", NULL);
}

/* Names with an autostart link to a definition, from one directory read. */
static GHashTable *
list_autostart (VbQemuBackend *self)
{
  g_autofree char *probe = vb_qemu_domain_autostart_path (self, "x");
  g_autofree char *dir = g_path_get_dirname (probe);
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GArray) links = vb_dir_list_entries (dir, ".xml", NULL);

  for (guint i = 0; links != NULL && i < links->len; i++)
    g_hash_table_add (names, g_strdup (g_array_index (links, VbDirEntry, i).name));
  return names;
}

static gboolean
name_or_uuid_taken (VbQemuBackend *self, const char *name, const char *uuid)
{
  return vb_backend_lookup (VB_BACKEND (self), VB_OBJ_DOMAIN, uuid) != NULL ||
         vb_backend_lookup_by_name (VB_BACKEND (self), VB_OBJ_DOMAIN, name) != NULL;
}

static void
add_loaded (VbQemuBackend *self, VbObj *dom, GHashTable *autostart)
{
  dom->persistent = TRUE;
  dom->autostart = g_hash_table_contains (autostart, dom->name);
  vb_backend_add_object (VB_BACKEND (self), dom);
  parts_loaded (self, dom);
}

static GHashTable *
read_dir_names (const char *dir)
{
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  DIR *d = opendir (dir);
  struct dirent *ent;

  if (d == NULL)
    return names;
  while ((ent = readdir (d)) != NULL)
    if (ent->d_name[0] != '.' || (strcmp (ent->d_name, ".") != 0 && strcmp (ent->d_name, "..") != 0))
      g_hash_table_add (names, g_strdup (ent->d_name));
  closedir (d);
  return names;
}

gboolean
vb_qemu_lib_entry_exists (VbQemuBackend *self, const char *subdir, const char *name)
{
  const VbStateDirs *dirs = vb_backend_get_state_dirs (VB_BACKEND (self));
  g_autofree char *path = NULL;

  if (self->load_dirs != NULL) {
    GHashTable *names = g_hash_table_lookup (self->load_dirs, subdir);
    if (names == NULL) {
      g_autofree char *dir = g_build_filename (dirs->lib_dir, subdir, NULL);
      names = read_dir_names (dir);
      g_hash_table_insert (self->load_dirs, g_strdup (subdir), names);
    }
    if (!g_hash_table_contains (names, name))
      return FALSE;
  }
  path = g_build_filename (dirs->lib_dir, subdir, name, NULL);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

gboolean
vb_qemu_domain_load_all (VbQemuBackend *self, GError **error)
{
  const VbStateDirs *dirs = vb_backend_get_state_dirs (VB_BACKEND (self));
  g_autoptr(GArray) configs = vb_dir_list_entries (dirs->config_dir, ".xml", error);
  g_autofree const char **uuids = NULL; /* per config: of the domain loaded from it, when indexable */
  g_autoptr(GPtrArray) states = NULL;
  g_autoptr(GHashTable) autostart = NULL;
  g_autoptr(GHashTable) index = NULL;
  g_autofree char *ipath = index_path (self);
  guint indexed = 0;

  if (configs == NULL)
    return FALSE;
  uuids = g_new0 (const char *, configs->len + 1);
  autostart = list_autostart (self);
  index = vb_qemu_index_read (ipath);
  self->load_dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
  for (guint i = 0; i < configs->len; i++) {
    const VbDirEntry *file = &g_array_index (configs, VbDirEntry, i);
    const VbQemuIndexEntry *entry = g_hash_table_lookup (index, file->name);
    g_autofree char *path = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *xml = NULL;
    g_autoptr(VbDomainDef) def = NULL;
    g_autoptr(VbObj) dom = NULL;

    if (vb_qemu_index_matches (entry, &file->st)) {
      /* Unchanged since indexed: the definition is parsed on first use. */
      if (name_or_uuid_taken (self, file->name, entry->uuid)) {
        g_warning ("ignoring domain definition %s.xml: its name or uuid is already used", file->name);
        continue;
      }
      dom = vb_qemu_domain_new_lazy_obj (self, file->name, entry->uuid);
      add_loaded (self, dom, autostart);
      uuids[i] = dom->uuid;
      indexed++;
      continue;
    }
    path = g_strconcat (dirs->config_dir, "/", file->name, ".xml", NULL);
    if (!g_file_get_contents (path, &xml, NULL, &local) ||
        (def = vb_domain_def_parse_full (xml, VB_DOMAIN_PARSE_INACTIVE, &local)) == NULL) {
      /* One bad file must not take every other domain down with it. */
      g_warning ("ignoring domain definition %s: %s", path, local->message);
      continue;
    }
    if (name_or_uuid_taken (self, def->name, def->uuid)) {
      g_warning ("ignoring domain definition %s: its name or uuid is already used", path);
      continue;
    }
    /* Only a file named after its domain can be found again by name. */
    dom = vb_qemu_domain_new_obj (self, g_steal_pointer (&def));
    add_loaded (self, dom, autostart);
    if (g_strcmp0 (dom->name, file->name) == 0)
      uuids[i] = dom->uuid;
  }
  if (indexed != g_hash_table_size (index) || indexed != configs->len) {
    g_autoptr(GString) out = g_string_new (NULL);
    g_autoptr(GError) local = NULL;

    for (guint i = 0; i < configs->len; i++) {
      const VbDirEntry *file = &g_array_index (configs, VbDirEntry, i);
      if (uuids[i] != NULL)
        vb_qemu_index_add (out, file->name, uuids[i], &file->st);
    }
    if (!vb_qemu_index_write (ipath, out, &local))
      g_warning ("cannot write the domain index: %s", local->message);
  }
  g_clear_pointer (&self->load_dirs, g_hash_table_unref);
  g_debug ("loaded %u domain definitions, %u of them from the index", configs->len, indexed);

  states = vb_dir_list_files (dirs->run_dir, ".state", error);
  if (states == NULL)
    return FALSE;
  for (guint i = 0; i < states->len; i++) {
    const char *path = g_ptr_array_index (states, i);
    g_autoptr(GError) local = NULL;

    if (!vb_qemu_process_reattach (self, path, &local)) {
      g_warning ("cannot reattach %s: %s", path, local->message);
      vb_file_remove (path, NULL);
    }
  }
  return TRUE;
}

gboolean
vb_qemu_domain_ensure_def (VbObj *dom, GError **error)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autofree char *path = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(GError) local = NULL;
  VbDomainDef *def;

  if (dom->def != NULL)
    return TRUE;
  path = vb_qemu_domain_config_path (d->backend, dom->name);
  if (!g_file_get_contents (path, &xml, NULL, &local) ||
      (def = vb_domain_def_parse_full (xml, VB_DOMAIN_PARSE_INACTIVE, &local)) == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot load the definition of domain '%s': %s", dom->name,
                 local->message);
    return FALSE;
  }
  if (g_strcmp0 (def->name, dom->name) != 0 || g_strcmp0 (def->uuid, dom->uuid) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED,
                 "cannot load the definition of domain '%s': %s now defines '%s' (%s); restart virtbusd to "
                 "pick up definitions changed behind its back",
                 dom->name, path, def->name, def->uuid);
    vb_domain_def_free (def);
    return FALSE;
  }
  def->id = -1;
  vb_qemu_domain_resolve_volumes (d->backend, def, FALSE, NULL);
  /* Nothing a client sees changes: no notify. */
  dom->def = def;
  return TRUE;
}

/* The index is written again at close when definitions changed since it
 * was read (a crash only costs the next start parsing the changed ones). */
void
vb_qemu_domain_write_index (VbQemuBackend *self)
{
  const VbStateDirs *dirs = vb_backend_get_state_dirs (VB_BACKEND (self));
  g_autoptr(GPtrArray) doms = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *ipath = index_path (self);
  g_autoptr(GError) error = NULL;

  if (!self->index_dirty)
    return;
  doms = vb_backend_list (VB_BACKEND (self), VB_OBJ_DOMAIN);
  for (guint i = 0; i < doms->len; i++) {
    VbObj *dom = g_ptr_array_index (doms, i);
    g_autofree char *path = NULL;
    struct stat st;

    if (!dom->persistent)
      continue;
    path = g_strconcat (dirs->config_dir, "/", dom->name, ".xml", NULL);
    if (stat (path, &st) == 0 && S_ISREG (st.st_mode))
      vb_qemu_index_add (out, dom->name, dom->uuid, &st);
  }
  if (!vb_qemu_index_write (ipath, out, &error))
    g_warning ("cannot write the domain index: %s", error->message);
  self->index_dirty = FALSE;
}

static void
on_autostarted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = user_data;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_warning ("cannot autostart domain '%s': %s", name, error->message);
}

void
vb_qemu_domain_autostart_all (VbQemuBackend *self)
{
  g_autoptr(GPtrArray) doms = vb_backend_list (VB_BACKEND (self), VB_OBJ_DOMAIN);

  for (guint i = 0; i < doms->len; i++) {
    VbObj *dom = g_ptr_array_index (doms, i);
    g_autoptr(GTask) task = NULL;

    g_autoptr(GError) error = NULL;

    if (!dom->autostart || dom->active || vb_qemu_dom (dom)->starting)
      continue;
    if (!vb_qemu_domain_ensure_def (dom, &error)) {
      g_warning ("cannot autostart domain '%s': %s", dom->name, error->message);
      continue;
    }
    task = g_task_new (self, NULL, on_autostarted, g_strdup (dom->name));
    /* save/restore part: through Create, so a managed save image is restored (as libvirt). */
    VB_DOMAIN_OPS_GET_IFACE (self)->create (VB_BACKEND (self), dom, 0, task);
  }
}

/* ---- Connect: define, create ---- */

/* libvirt's name/uuid collision rules; @existing is the domain @def
 * designates (same uuid and name), NULL for a new one. */
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

/* Parses and checks @xml against what this QEMU can do, so a definition
 * that could never start is refused now rather than at Create. */
/* ---- host paths (authorization) ---- */

static void
add_host_path (GArray *paths, const char *path, int access, guint flags, char *what)
{
  VbQemuHostPath entry = { path, access, flags, what };

  if (path == NULL || path[0] == '\0') {
    g_free (what);
    return;
  }
  g_array_append_val (paths, entry);
}

static void
clear_host_path (gpointer data)
{
  g_free (((VbQemuHostPath *) data)->what);
}

static void
add_chr_paths (GArray *paths, GPtrArray *chrs, const char *kind)
{
  for (guint i = 0; chrs != NULL && i < chrs->len; i++) {
    const VbDomainChrDef *chr = g_ptr_array_index (chrs, i);
    switch (chr->type) {
    case VB_DOMAIN_CHR_TYPE_FILE:
      /* QEMU (as root) writes it, creating it if need be. */
      add_host_path (paths, chr->src_path, W_OK, VB_PATH_POLICY_MAY_CREATE, g_strdup_printf ("%s %u source", kind, i));
      break;
    case VB_DOMAIN_CHR_TYPE_DEV:
    case VB_DOMAIN_CHR_TYPE_PIPE:
      add_host_path (paths, chr->src_path, R_OK | W_OK, 0, g_strdup_printf ("%s %u source", kind, i));
      break;
    case VB_DOMAIN_CHR_TYPE_UNIX:
      add_host_path (paths, chr->src_path, R_OK | W_OK, VB_PATH_POLICY_MAY_CREATE,
                     g_strdup_printf ("%s %u socket", kind, i));
      break;
    default:
      break;
    }
    add_host_path (paths, chr->log_file, W_OK, VB_PATH_POLICY_MAY_CREATE, g_strdup_printf ("%s %u log", kind, i));
  }
}

GArray *
vb_qemu_domain_host_paths (const VbDomainDef *def)
{
  GArray *paths = g_array_new (FALSE, FALSE, sizeof (VbQemuHostPath));

  g_array_set_clear_func (paths, clear_host_path);
  /* Run as root: a caller must not pick the binary. */
  add_host_path (paths, def->emulator, R_OK, 0, g_strdup ("emulator"));
  add_host_path (paths, def->os.kernel, R_OK, 0, g_strdup ("kernel"));
  add_host_path (paths, def->os.initrd, R_OK, 0, g_strdup ("initrd"));
  add_host_path (paths, def->os.dtb, R_OK, 0, g_strdup ("dtb"));
  add_host_path (paths, def->os.loader_path, R_OK, 0, g_strdup ("loader"));
  add_host_path (paths, def->os.nvram_template, R_OK, 0, g_strdup ("nvram template"));
  add_host_path (paths, def->os.nvram_path, R_OK | W_OK, VB_PATH_POLICY_MAY_CREATE, g_strdup ("nvram"));
  for (guint i = 0; def->disks != NULL && i < def->disks->len; i++) {
    const VbDomainDiskDef *disk = g_ptr_array_index (def->disks, i);
    gboolean ro = disk->readonly || disk->device == VB_DOMAIN_DISK_DEVICE_CDROM;
    /* A pool's volume is named by reference: the pool is the storage the
     * host's administrator set aside for domains. */
    if (disk->type != VB_DOMAIN_DISK_TYPE_VOLUME)
      add_host_path (paths, disk->src_path, ro ? R_OK : R_OK | W_OK, 0, g_strdup_printf ("disk '%s'", disk->dst));
    /* Backing images are only read. */
    for (guint j = 0; disk->backing != NULL && j < disk->backing->len; j++) {
      const VbDomainDiskBacking *backing = g_ptr_array_index (disk->backing, j);
      add_host_path (paths, backing->path, R_OK, 0, g_strdup_printf ("backing store %u of disk '%s'", j + 1,
                                                                     disk->dst));
    }
  }
  for (guint i = 0; def->filesystems != NULL && i < def->filesystems->len; i++) {
    const VbDomainFsDef *fs = g_ptr_array_index (def->filesystems, i);
    add_host_path (paths, fs->src_dir, fs->readonly ? R_OK : R_OK | W_OK, 0,
                   g_strdup_printf ("filesystem '%s'", fs->dst));
  }
  for (guint i = 0; def->tpms != NULL && i < def->tpms->len; i++) {
    const VbDomainTpmDef *tpm = g_ptr_array_index (def->tpms, i);
    add_host_path (paths, tpm->device_path, R_OK | W_OK, 0, g_strdup ("TPM device"));
  }
  add_chr_paths (paths, def->serials, "serial");
  add_chr_paths (paths, def->parallels, "parallel");
  add_chr_paths (paths, def->consoles, "console");
  add_chr_paths (paths, def->channels, "channel");
  return paths;
}

/* <disk type='volume'>: the file or device of the volume of the connection's
 * storage pool. Fills in src_path and src_actual of every such disk of
 * @def; with @required, a pool that does not exist or is not active, or a
 * volume it does not have, fails (a start, a hotplug); without, such a disk
 * is left as it was (a definition: the pool may start later). */
gboolean
vb_qemu_domain_resolve_volumes (VbQemuBackend *self, VbDomainDef *def, gboolean required, GError **error)
{
  for (guint i = 0; def->disks != NULL && i < def->disks->len; i++) {
    VbDomainDiskDef *disk = g_ptr_array_index (def->disks, i);

    if (!vb_qemu_domain_resolve_volume (self, disk, required, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
vb_qemu_domain_resolve_volume (VbQemuBackend *self, VbDomainDiskDef *disk, gboolean required, GError **error)
{
  VbBackend *backend = VB_BACKEND (self);
  VbObj *pool, *vol;
  const VbStorageVolDef *vdef;

  if (disk->type != VB_DOMAIN_DISK_TYPE_VOLUME)
    return TRUE;
  pool = vb_backend_lookup_by_name (backend, VB_OBJ_STORAGE_POOL, disk->src_pool);
  vol = pool != NULL && pool->active ? vb_obj_lookup_child (pool, disk->src_volume) : NULL;
  if (vol == NULL) {
    if (!required)
      return TRUE;
    if (pool == NULL)
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "disk '%s': no storage pool named '%s'", disk->dst,
                   disk->src_pool);
    else if (!pool->active)
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                   "disk '%s': storage pool '%s' containing volume '%s' is not active", disk->dst, disk->src_pool,
                   disk->src_volume);
    else
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "disk '%s': storage pool '%s' has no volume '%s'",
                   disk->dst, disk->src_pool, disk->src_volume);
    return FALSE;
  }
  vdef = vol->def;
  if (vdef->type != VB_STORAGE_VOL_FILE && vdef->type != VB_STORAGE_VOL_BLOCK) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "disk '%s': volume '%s' of pool '%s' is a %s, not an image", disk->dst, disk->src_volume,
                 disk->src_pool, vb_storage_vol_type_to_string (vdef->type));
    return FALSE;
  }
  g_free (disk->src_path);
  disk->src_path = g_strdup (vol->path);
  disk->src_actual = vdef->type == VB_STORAGE_VOL_BLOCK ? VB_DOMAIN_DISK_TYPE_BLOCK : VB_DOMAIN_DISK_TYPE_FILE;
  return TRUE;
}

gboolean
vb_qemu_domain_check_host_paths (const VbDomainDef *def, const VbCallerCreds *creds, GError **error)
{
  g_autoptr(GArray) paths = NULL;

  if (creds == NULL || creds->uid == 0)
    return TRUE;
  paths = vb_qemu_domain_host_paths (def);
  for (guint i = 0; i < paths->len; i++) {
    const VbQemuHostPath *entry = &g_array_index (paths, VbQemuHostPath, i);
    if (!vb_path_policy_check (creds, entry->path, entry->access, entry->flags, error)) {
      g_prefix_error (error, "%s of domain '%s': ", entry->what, def->name);
      return FALSE;
    }
  }
  return TRUE;
}

/* gatekeeper: @creds are those of a restricted caller (NULL: anyone may be
 * named); its host paths are checked before anything else of the def. */
static VbDomainDef *
parse_and_validate (VbQemuBackend *self, const char *xml, const VbCallerCreds *creds, GError **error)
{
  g_autoptr(VbDomainDef) def = vb_domain_def_parse_full (xml, VB_DOMAIN_PARSE_INACTIVE, error);

  if (def == NULL || !vb_qemu_domain_check_host_paths (def, creds, error))
    return NULL;
  vb_qemu_domain_resolve_volumes (self, def, FALSE, NULL);
  if (def->virt_type != VB_DOMAIN_VIRT_QEMU && def->virt_type != VB_DOMAIN_VIRT_KVM) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "domain type '%s' is not supported by the QEMU driver (use 'qemu' or 'kvm')",
                 vb_domain_virt_type_to_string (def->virt_type));
    return NULL;
  }
  {
    const VbQemuCaps *caps;

    /* Only called once the probe finished (see defer_until_caps). */
    g_assert (self->caps_done);
    caps = self->caps;
    if (caps == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "QEMU (%s) is not usable: %s", self->emulator,
                   self->caps_error ? self->caps_error->message : "unknown error");
      return NULL;
    }
    /* hotplug: q35 gets spare pcie-root-ports to hot-plug into, as libvirt does. */
    vb_qemu_hotplug_add_root_ports (def);
    /* UEFI: the firmware is chosen now and kept in the definition (what
     * runs does not change when other firmware gets installed). */
    if (!vb_qemu_domain_fill_firmware (self, def, caps, error) || !vb_qemu_domain_validate (def, caps, error))
      return NULL;
  }
  return g_steal_pointer (&def);
}

static void
define_xml_now (VbBackend *backend, const char *xml, guint flags, GTask *task)
{
  VbQemuBackend *self = VB_QEMU_BACKEND (backend);
  g_autoptr(VbDomainDef) def = NULL;
  GError *error = NULL;
  VbObj *dom;
  gboolean had_config;

  CHECK_FLAGS (task, flags, DEFINE_VALIDATE, "DomainDefineXML");
  def = parse_and_validate (self, xml, vb_task_get_caller_creds (task), &error);
  if (def == NULL || !check_collision (backend, def, &dom, &error)) {
    g_task_return_error (task, error);
    return;
  }

  if (dom == NULL) {
    g_autoptr(VbObj) created = vb_qemu_domain_new_obj (self, g_steal_pointer (&def));
    created->persistent = TRUE;
    if (!save_config (self, created, &error)) {
      g_task_return_error (task, error);
      return;
    }
    vb_backend_add_object (backend, created);
    parts_loaded (self, created);
    vb_qemu_emit (self, created, VB_QEMU_EV_DEFINED, VB_QEMU_DEFINED_ADDED);
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
  if (!save_config (self, dom, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (dom->active)
    vb_qemu_process_save_state (dom, NULL);
  vb_qemu_emit (self, dom, VB_QEMU_EV_DEFINED, had_config ? VB_QEMU_DEFINED_UPDATED : VB_QEMU_DEFINED_ADDED);
  g_task_return_pointer (task, g_object_ref (dom), g_object_unref);
}

/* The start about to begin is tied to @client: once it is over, the
 * domain is destroyed when @client leaves the bus (libvirt's
 * VIR_DOMAIN_START_AUTODESTROY, with the caller's bus connection as its
 * connection). */
static void
set_autodestroy (VbObj *dom, const char *client)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  g_free (d->autodestroy_pending);
  d->autodestroy_pending = g_strdup (client);
}

static void
on_created_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VbObj *dom = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    /* A transient domain that never ran never existed; a persistent one
     * gets its own config back. */
    if (!dom->persistent && !dom->active) {
      vb_backend_remove_object (VB_BACKEND (source), dom);
    } else if (!dom->active) {
      vb_obj_apply_newdef (dom);
    }
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, g_object_ref (dom), g_object_unref);
}

static void
create_xml_now (VbBackend *backend, const char *xml, guint flags, GTask *task)
{
  VbQemuBackend *self = VB_QEMU_BACKEND (backend);
  g_autoptr(VbDomainDef) def = NULL;
  g_autoptr(GTask) start = NULL;
  GError *error = NULL;
  VbObj *dom;

  CHECK_FLAGS (task, flags,
               VB_QEMU_START_PAUSED | VB_QEMU_START_AUTODESTROY | VB_QEMU_START_BYPASS_CACHE |
                 VB_QEMU_START_FORCE_BOOT | VB_QEMU_START_VALIDATE | VB_QEMU_START_RESET_NVRAM,
               "DomainCreateXML");
  if ((flags & VB_QEMU_START_AUTODESTROY) && vb_task_get_client (task) == NULL)
    FAIL (task, VB_ERROR_INVALID_ARG, "AUTODESTROY is for D-Bus callers (the domain goes when the caller does)");
  def = parse_and_validate (self, xml, vb_task_get_caller_creds (task), &error);
  if (def == NULL || !check_collision (backend, def, &dom, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (dom != NULL) {
    if (dom->active)
      FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is already running", dom->name);
    if (!vb_qemu_domain_ensure_def (dom, &error)) {
      g_task_return_error (task, error);
      return;
    }
    /* Runs the given config once; the persistent one stays. */
    def->id = -1;
    vb_obj_set_newdef (dom, vb_domain_def_copy (dom->def));
    vb_obj_set_def (dom, g_steal_pointer (&def));
  } else {
    g_autoptr(VbObj) created = vb_qemu_domain_new_obj (self, g_steal_pointer (&def));
    vb_backend_add_object (backend, created);
    parts_loaded (self, created);
    dom = created;
  }
  g_task_set_task_data (task, g_object_ref (dom), g_object_unref);
  start = g_task_new (backend, NULL, on_created_started, g_object_ref (task));
  if (flags & VB_QEMU_START_AUTODESTROY)
    set_autodestroy (dom, vb_task_get_client (task));
  vb_qemu_process_start (self, dom, flags & (VB_QEMU_START_PAUSED | VB_QEMU_START_RESET_NVRAM), start);
}

/* Definitions are validated against the capabilities: a call that comes
 * before the probe finished (it cannot while the backend opens
 * asynchronously, but a later re-probe could) waits for it, without
 * blocking the main loop. */
typedef struct {
  gboolean create;
  char *xml;
  guint flags;
  GTask *task;
} PendingXml;

static void
on_caps_for_xml (VbQemuBackend *self, const VbQemuCaps *caps, const GError *caps_error, gpointer user_data)
{
  PendingXml *p = user_data;

  if (p->create)
    create_xml_now (VB_BACKEND (self), p->xml, p->flags, p->task);
  else
    define_xml_now (VB_BACKEND (self), p->xml, p->flags, p->task);
  g_object_unref (p->task);
  g_free (p->xml);
  g_free (p);
}

static void
defer_until_caps (VbBackend *backend, gboolean create, const char *xml, guint flags, GTask *task)
{
  PendingXml *p = g_new0 (PendingXml, 1);

  p->create = create;
  p->xml = g_strdup (xml);
  p->flags = flags;
  p->task = g_object_ref (task);
  vb_qemu_backend_when_caps_ready (VB_QEMU_BACKEND (backend), on_caps_for_xml, p);
}

static void
qemu_define_xml (VbBackend *backend, const char *xml, guint flags, GTask *task)
{
  defer_until_caps (backend, FALSE, xml, flags, task);
}

static void
qemu_create_xml (VbBackend *backend, const char *xml, GUnixFDList *fds, guint flags, GTask *task)
{
  defer_until_caps (backend, TRUE, xml, flags, task);
}

/* ---- lifecycle ---- */

static gboolean
qemu_set_autostart (VbBackend *backend, VbObj *dom, gboolean autostart, GError **error)
{
  if (!dom->persistent) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "cannot set autostart for transient domain '%s'",
                 dom->name);
    return FALSE;
  }
  if (!write_autostart_link (VB_QEMU_BACKEND (backend), dom->name, autostart, error))
    return FALSE;
  vb_obj_set_autostart (dom, autostart);
  return TRUE;
}

static void
qemu_create (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags,
               VB_QEMU_START_PAUSED | VB_QEMU_START_AUTODESTROY | VB_QEMU_START_BYPASS_CACHE |
                 VB_QEMU_START_FORCE_BOOT | VB_QEMU_START_RESET_NVRAM,
               "Create");
  if ((flags & VB_QEMU_START_AUTODESTROY) && vb_task_get_client (task) == NULL)
    FAIL (task, VB_ERROR_INVALID_ARG, "AUTODESTROY is for D-Bus callers (the domain goes when the caller does)");
  if (dom->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is already active", dom->name);
  if (vb_qemu_dom (dom)->starting)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is already being started", dom->name);
  if (flags & VB_QEMU_START_AUTODESTROY)
    set_autodestroy (dom, vb_task_get_client (task));
  vb_qemu_process_start (VB_QEMU_BACKEND (backend), dom, flags & (VB_QEMU_START_PAUSED | VB_QEMU_START_RESET_NVRAM),
                         task);
}

/* agent part: the ACPI halves of Shutdown/Reboot, also the fallback when
 * the guest agent fails and the flags allow the power button. */
static void
shutdown_acpi (VbObj *dom, GTask *task)
{
  /* The guest decides; its power-off comes back as a SHUTDOWN event. */
  vb_qemu_process_qmp_void (dom, "system_powerdown", NULL, task);
}

static void reboot_acpi (VbObj *dom, GTask *task);

static void
qemu_shutdown (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, SHUTDOWN_MODES, "Shutdown");
  REQUIRE_ACTIVE (task, dom);
  if (flags & ~(VB_QEMU_SHUTDOWN_ACPI | VB_QEMU_SHUTDOWN_AGENT))
    FAIL (task, VB_ERROR_NOT_SUPPORTED,
          "the QEMU driver shuts guests down only with the ACPI power button or the guest agent");
  /* agent part: the agent when asked (or, with no flag, when one is
   * connected, as libvirt prefers); the power button if it fails and the
   * flags allow it. */
  if ((flags & VB_QEMU_SHUTDOWN_AGENT) || (flags == 0 && vb_qemu_agent_is_connected (dom))) {
    vb_qemu_agent_shutdown (dom, FALSE, (flags & VB_QEMU_SHUTDOWN_AGENT) && !(flags & VB_QEMU_SHUTDOWN_ACPI)
                                          ? NULL : shutdown_acpi, task);
    return;
  }
  shutdown_acpi (dom, task);
}

static void
qemu_reboot (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, SHUTDOWN_MODES, "Reboot");
  REQUIRE_ACTIVE (task, dom);
  if (flags & ~(VB_QEMU_SHUTDOWN_ACPI | VB_QEMU_SHUTDOWN_AGENT))
    FAIL (task, VB_ERROR_NOT_SUPPORTED,
          "the QEMU driver reboots guests only with the ACPI power button or the guest agent");
  /* agent part: as in qemu_shutdown. */
  if ((flags & VB_QEMU_SHUTDOWN_AGENT) || (flags == 0 && vb_qemu_agent_is_connected (dom))) {
    vb_qemu_agent_shutdown (dom, TRUE, (flags & VB_QEMU_SHUTDOWN_AGENT) && !(flags & VB_QEMU_SHUTDOWN_ACPI)
                                         ? NULL : reboot_acpi, task);
    return;
  }
  reboot_acpi (dom, task);
}

static void
reboot_acpi (VbObj *dom, GTask *task)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  if (((VbDomainDef *) dom->def)->on_reboot == VB_DOMAIN_LIFECYCLE_DESTROY) {
    /* on_reboot=destroy: a reboot ends the domain, as a power-off does. */
    vb_qemu_process_qmp_void (dom, "system_powerdown", NULL, task);
    return;
  }
  /* The guest powers off cleanly, then we reset it instead of stopping. */
  d->fake_reboot = TRUE;
  vb_qemu_process_qmp_void (dom, "system_powerdown", NULL, task);
}

static void
qemu_reset (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "Reset");
  REQUIRE_ACTIVE (task, dom);
  vb_qemu_process_qmp_void (dom, "system_reset", NULL, task);
}

static void
qemu_destroy (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, VB_QEMU_DESTROY_GRACEFUL, "Destroy");
  REQUIRE_ACTIVE (task, dom);
  vb_qemu_process_destroy (VB_QEMU_BACKEND (backend), dom, VB_QEMU_STOP_DESTROY,
                           (flags & VB_QEMU_DESTROY_GRACEFUL) != 0, task);
}

/* Suspend/Resume: QEMU sends its STOP/RESUME event once the CPUs stopped
 * or run again, and only then the command's reply, which under TCG can
 * trail the event by milliseconds (the running vCPU holds QEMU's big lock).
 * The caller is answered at the event (perf: see bench/README.md); the
 * reply only matters when it is an error, i.e. when no event came. */
typedef struct {
  VbObj *dom;
  GTask *task;        /* the caller's; NULL once answered */
  int wanted;         /* VB_DOMAIN_PAUSED or VB_DOMAIN_RUNNING */
  gulong handler;     /* notify::state on dom */
} StateOp;

static void
state_op_answer (StateOp *op, GError *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&op->task);

  if (task == NULL)
    return;
  g_clear_signal_handler (&op->handler, op->dom);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
state_op_free (StateOp *op)
{
  g_clear_signal_handler (&op->handler, op->dom);
  g_clear_object (&op->task);
  g_object_unref (op->dom);
  g_free (op);
}

static void
on_state_op_state (VbObj *dom, GParamSpec *pspec, StateOp *op)
{
  /* The event was noted (vb_qemu_process_note_paused/_resumed): state set,
   * DomainEvent sent. */
  if (dom->state == op->wanted)
    state_op_answer (op, NULL);
}

static void
on_state_op_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StateOp *op = user_data;
  GError *error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error)) {
    /* No event seen (yet): note the change here; transitions are idempotent. */
    if (op->wanted == VB_DOMAIN_PAUSED)
      vb_qemu_process_note_paused (op->dom);
    else
      vb_qemu_process_note_resumed (op->dom);
    state_op_answer (op, NULL);
  } else if (op->task != NULL) {
    state_op_answer (op, error);
  } else {
    g_debug ("domain '%s': %s", op->dom->name, error->message);
    g_error_free (error);
  }
  state_op_free (op);
}

static void
start_state_op (VbBackend *backend, VbObj *dom, const char *command, int wanted, GTask *task)
{
  StateOp *op = g_new0 (StateOp, 1);
  g_autoptr(GTask) inner = g_task_new (backend, NULL, on_state_op_done, op);

  op->dom = g_object_ref (dom);
  op->task = g_object_ref (task);
  op->wanted = wanted;
  op->handler = g_signal_connect (dom, "notify::state", G_CALLBACK (on_state_op_state), op);
  vb_qemu_process_qmp_void (dom, command, NULL, inner);
}

static void
qemu_suspend (VbBackend *backend, VbObj *dom, GTask *task)
{
  REQUIRE_ACTIVE (task, dom);
  if (dom->state != VB_DOMAIN_RUNNING)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
  start_state_op (backend, dom, "stop", VB_DOMAIN_PAUSED, task);
}

static void
qemu_resume (VbBackend *backend, VbObj *dom, GTask *task)
{
  REQUIRE_ACTIVE (task, dom);
  if (dom->state != VB_DOMAIN_PAUSED)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not paused", dom->name);
  start_state_op (backend, dom, "cont", VB_DOMAIN_RUNNING, task);
}

static void
qemu_undefine (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  VbQemuBackend *self = VB_QEMU_BACKEND (backend);
  g_autofree char *nvram = NULL;

  CHECK_FLAGS (task, flags,
               UNDEFINE_MANAGED_SAVE | UNDEFINE_SNAPSHOTS_METADATA | UNDEFINE_NVRAM | UNDEFINE_KEEP_NVRAM |
                 UNDEFINE_CHECKPOINTS_METADATA | UNDEFINE_TPM | UNDEFINE_KEEP_TPM,
               "Undefine");
  if ((flags & UNDEFINE_NVRAM) && (flags & UNDEFINE_KEEP_NVRAM))
    FAIL (task, VB_ERROR_INVALID_ARG, "the nvram and keep-nvram flags are mutually exclusive");
  if ((flags & UNDEFINE_TPM) && (flags & UNDEFINE_KEEP_TPM))
    FAIL (task, VB_ERROR_INVALID_ARG, "the tpm and keep-tpm flags are mutually exclusive");
  if (!dom->persistent)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot undefine transient domain '%s'", dom->name);
  if (vb_qemu_dom (dom)->starting)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is being started", dom->name);
  /* A UEFI guest's variables (boot entries, enrolled keys) are not lost
   * by accident: as libvirt, the caller says whether they go. */
  nvram = dom->def != NULL ? g_strdup (((const VbDomainDef *) dom->def)->os.nvram_path) : NULL;
  if (nvram != NULL && !g_file_test (nvram, G_FILE_TEST_EXISTS))
    g_clear_pointer (&nvram, g_free);
  if (nvram != NULL && !(flags & (UNDEFINE_NVRAM | UNDEFINE_KEEP_NVRAM)))
    FAIL (task, VB_ERROR_OPERATION_INVALID,
          "cannot undefine domain '%s' with nvram (%s): remove it with the nvram flag or keep it with keep-nvram",
          dom->name, nvram);
  for (guint i = 0; vb_qemu_parts[i] != NULL; i++) {
    GError *error = NULL;
    if (vb_qemu_parts[i]->undefine != NULL && !vb_qemu_parts[i]->undefine (dom, flags, &error)) {
      g_task_return_error (task, error);
      return;
    }
  }

  /* The emulated TPM's state goes with the definition unless asked to
   * stay (libvirt's default without persistent_state); a running guest
   * keeps using it until it stops. */
  if (!(flags & UNDEFINE_KEEP_TPM)) {
    GError *error = NULL;

    if (dom->active)
      vb_qemu_dom (dom)->remove_tpm = TRUE;
    else if (!vb_qemu_tpm_remove_state (self, dom->uuid, &error))
      g_warning ("undefining domain '%s': %s", dom->name, error->message), g_clear_error (&error);
  }
  /* A running guest keeps the store it has open until it stops. */
  if (nvram != NULL && (flags & UNDEFINE_NVRAM) && unlink (nvram) < 0 && errno != ENOENT)
    g_warning ("undefining domain '%s': cannot remove %s: %s", dom->name, nvram, g_strerror (errno));
  remove_config (self, dom->name);
  vb_obj_set_autostart (dom, FALSE);
  vb_qemu_emit (self, dom, VB_QEMU_EV_UNDEFINED, VB_QEMU_UNDEFINED_REMOVED);
  if (dom->active) {
    /* Keeps running, without a persistent config. */
    vb_obj_set_newdef (dom, NULL);
    vb_obj_set_persistent (dom, FALSE);
    vb_obj_set_updated (dom, FALSE);
    vb_qemu_process_save_state (dom, NULL);
  } else {
    vb_obj_set_persistent (dom, FALSE);
    vb_backend_remove_object (backend, dom);
  }
  g_task_return_boolean (task, TRUE);
}

static void
qemu_rename (VbBackend *backend, VbObj *dom, const char *name, guint flags, GTask *task)
{
  VbQemuBackend *self = VB_QEMU_BACKEND (backend);
  g_autofree char *old_name = NULL;
  g_autofree char *old_nvram = NULL;
  g_autofree char *new_nvram = NULL;
  gboolean autostart = dom->autostart;
  GError *error = NULL;

  CHECK_FLAGS (task, flags, 0, "Rename");
  if (name == NULL || *name == '\0')
    FAIL (task, VB_ERROR_INVALID_ARG, "a new domain name is required");
  if (!vb_domain_def_validate_name (name, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (dom->active || vb_qemu_dom (dom)->starting)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot rename active domain '%s'", dom->name);
  if (!dom->persistent)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot rename a transient domain");
  if (strcmp (name, dom->name) == 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "domain '%s' already has that name", dom->name);
  if (vb_backend_lookup_by_name (backend, VB_OBJ_DOMAIN, name) != NULL)
    FAIL (task, VB_ERROR_EXISTS, "domain with name '%s' already exists", name);
  /* An NVRAM at its default place (<lib>/nvram/<name>_VARS.fd) follows
   * the name; one the definition put elsewhere stays. */
  {
    const VbDomainDef *def = dom->def;
    g_autofree char *dir = vb_qemu_nvram_dir (self);
    g_autofree char *old_base = g_strdup_printf ("%s_VARS.fd", dom->name);
    g_autofree char *new_base = g_strdup_printf ("%s_VARS.fd", name);

    old_nvram = g_build_filename (dir, old_base, NULL);
    new_nvram = g_build_filename (dir, new_base, NULL);
    if (def == NULL || g_strcmp0 (def->os.nvram_path, old_nvram) != 0) {
      g_clear_pointer (&old_nvram, g_free);
    } else if (g_file_test (new_nvram, G_FILE_TEST_EXISTS)) {
      FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot rename domain '%s': the NVRAM %s exists already", dom->name,
            new_nvram);
    } else if (rename (old_nvram, new_nvram) < 0 && errno != ENOENT) {
      FAIL (task, VB_ERROR_IO, "cannot rename the NVRAM of domain '%s': %s", dom->name, g_strerror (errno));
    }
  }
  for (guint i = 0; vb_qemu_parts[i] != NULL; i++) {
    if (vb_qemu_parts[i]->rename != NULL && !vb_qemu_parts[i]->rename (dom, name, &error)) {
      if (old_nvram != NULL)
        (void) rename (new_nvram, old_nvram);
      g_task_return_error (task, error);
      return;
    }
  }
  if (old_nvram != NULL) {
    g_free (((VbDomainDef *) dom->def)->os.nvram_path);
    ((VbDomainDef *) dom->def)->os.nvram_path = g_strdup (new_nvram);
  }

  old_name = g_strdup (dom->name);
  vb_qemu_emit (self, dom, VB_QEMU_EV_UNDEFINED, VB_QEMU_UNDEFINED_RENAMED);
  g_free (((VbDomainDef *) dom->def)->name);
  ((VbDomainDef *) dom->def)->name = g_strdup (name);
  vb_backend_rename_object (backend, dom, name);
  /* New file first, then the old one goes: a crash leaves one or both. */
  if (!save_config (self, dom, &error) || !write_autostart_link (self, name, autostart, &error))
    g_warning ("renaming domain '%s': %s", old_name, error->message), g_clear_error (&error);
  remove_config (self, old_name);
  vb_qemu_emit (self, dom, VB_QEMU_EV_DEFINED, VB_QEMU_DEFINED_RENAMED);
  g_task_return_boolean (task, TRUE);
}

/* ---- description ---- */

static void
qemu_get_xml_desc (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, VB_DOMAIN_XML_ALL_FLAGS, "GetXMLDesc");
  if (flags & VB_DOMAIN_XML_INACTIVE)
    g_task_return_pointer (task, vb_domain_def_format (persistent_def (dom), flags), g_free);
  else
    g_task_return_pointer (task, vb_domain_def_format (dom->def, flags), g_free);
}

static void
qemu_get_state (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "GetState");
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_new ("(ii)", dom->state, dom->reason)),
                         (GDestroyNotify) g_variant_unref);
}

static void
qemu_get_metadata (VbBackend *backend, VbObj *dom, int type, const char *uri, guint flags, GTask *task)
{
  gboolean live, config;
  GError *error = NULL;
  char *value;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "GetMetadata");
  if ((flags & AFFECT_LIVE) && (flags & AFFECT_CONFIG))
    FAIL (task, VB_ERROR_INVALID_ARG, "the live and config flags are mutually exclusive here");
  if (!vb_resolve_affect (dom, flags, &live, &config, &error)) {
    g_task_return_error (task, error);
    return;
  }
  value = vb_domain_def_get_metadata (live ? dom->def : persistent_def (dom), type, uri, &error);
  if (value == NULL) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, value, g_free);
}

static void
qemu_set_metadata (VbBackend *backend, VbObj *dom, int type, const char *metadata, const char *key,
                   const char *uri, guint flags, GTask *task)
{
  VbQemuBackend *self = VB_QEMU_BACKEND (backend);
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
    new_live = vb_domain_def_copy (dom->def);
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
    if (!save_config (self, dom, &error)) {
      g_task_return_error (task, error);
      return;
    }
  }
  if (dom->active) {
    vb_qemu_process_save_state (dom, NULL);
    if (dom->persistent && live != config)
      vb_obj_set_updated (dom, TRUE);
  }
  vb_backend_emit_domain_signal (backend, dom, "MetadataChange",
                                 g_variant_new ("(is)", type, type == VB_DOMAIN_METADATA_ELEMENT && uri ? uri : ""));
  g_task_return_boolean (task, TRUE);
}

/* ---- console ---- */

static void
qemu_open_console (VbBackend *backend, VbObj *dom, guint index, guint flags, GTask *task)
{
  g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
  GError *error = NULL;
  int fd, handle;

  CHECK_FLAGS (task, flags, 0, "OpenConsole");
  fd = vb_qemu_process_open_console (dom, index, &error);
  if (fd < 0) {
    g_task_return_error (task, error);
    return;
  }
  handle = g_unix_fd_list_append (fds, fd, &error);
  close (fd);
  if (handle < 0) {
    g_task_return_error (task, error);
    return;
  }
  g_object_set_data_full (G_OBJECT (task), "fd-list", g_steal_pointer (&fds), g_object_unref);
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_new_handle (handle)), (GDestroyNotify) g_variant_unref);
}

/* ---- GetSecurityLabelList ---- */

/* One DAC label, as libvirt's DAC driver gives it: "+uid:+gid" of the
 * running QEMU (the unprivileged QEMU user in system mode, the session's
 * user otherwise), enforced; an inactive domain has an empty label. */
static void
qemu_get_security_label_list (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autofree char *status = NULL;
  g_autofree char *path = NULL;
  g_autofree char *label = NULL;
  GVariantBuilder b;
  long uid = -1, gid = -1;

  if (dom->active && d->pid > 0) {
    path = g_strdup_printf ("/proc/%d/status", (int) d->pid);
    if (g_file_get_contents (path, &status, NULL, NULL)) {
      const char *u = strstr (status, "\nUid:"), *g = strstr (status, "\nGid:");
      if (u != NULL)
        uid = strtol (u + strlen ("\nUid:"), NULL, 10);
      if (g != NULL)
        gid = strtol (g + strlen ("\nGid:"), NULL, 10);
    }
    if (uid < 0 || gid < 0)
      FAIL (task, VB_ERROR_FAILED, "cannot read the credentials of QEMU of domain '%s' (pid %d)", dom->name,
            (int) d->pid);
    label = g_strdup_printf ("+%ld:+%ld", uid, gid);
  }
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sb)"));
  g_variant_builder_add (&b, "(sb)", label != NULL ? label : "", label != NULL);
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_builder_end (&b)), (GDestroyNotify) g_variant_unref);
}

/* ---- BlockPeek, MemoryPeek ---- */

typedef struct {
  char *path;
  guint64 offset;
  guint64 size;
  char *what;       /* for messages: "disk 'vdb'" */
  gboolean qemu_file; /* written by QEMU for us: checked, removed after */
  uid_t owner;
} PeekRead;

static void
peek_read_free (PeekRead *r)
{
  g_free (r->path);
  g_free (r->what);
  g_free (r);
}

static void
peek_read_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  PeekRead *r = task_data;
  g_autofree guint8 *buf = g_malloc (r->size ? r->size : 1);
  struct stat st;
  guint64 done = 0;
  int fd;

  /* A file QEMU wrote in its run dir: its own regular file, nothing it
   * could have swapped for a link to something else. */
  fd = open (r->path, O_RDONLY | O_CLOEXEC | (r->qemu_file ? O_NOFOLLOW : 0));
  if (r->qemu_file)
    unlink (r->path);
  if (fd < 0) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_IO, "cannot read %s: %s", r->what, g_strerror (errno));
    return;
  }
  if (r->qemu_file && (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_uid != r->owner)) {
    close (fd);
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_IO, "cannot read %s: QEMU left no regular file", r->what);
    return;
  }
  while (done < r->size) {
    ssize_t n = pread (fd, buf + done, r->size - done, (off_t) (r->offset + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int saved = errno;
      close (fd);
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_IO, "cannot read %s: %s", r->what, g_strerror (saved));
      return;
    }
    if (n == 0)
      break;
    done += (guint64) n;
  }
  close (fd);
  if (done < r->size) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG,
                             "range %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT " is beyond the end of %s",
                             r->offset, r->size, r->what);
    return;
  }
  g_task_return_pointer (task,
                         g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, buf, r->size, 1)),
                         (GDestroyNotify) g_variant_unref);
}

static void
on_peek_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GVariant *value = g_task_propagate_pointer (G_TASK (result), &error);

  if (value == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, value, (GDestroyNotify) g_variant_unref);
}

/* Reads @r in a thread (a disk can be slow) and completes @task [ay]. */
static void
peek_read (PeekRead *r, GTask *task)
{
  g_autoptr(GTask) reader = g_task_new (NULL, NULL, on_peek_read, g_object_ref (task));

  g_task_set_task_data (reader, r, (GDestroyNotify) peek_read_free);
  g_task_run_in_thread (reader, peek_read_in_thread);
}

/* BlockPeek: bytes of a disk's host file or device, as they are on the
 * host (a qcow2 image's own layout, not the guest's view). */
static void
qemu_block_peek (VbBackend *backend, VbObj *dom, const char *name, guint64 offset, guint64 size, guint flags,
                 GTask *task)
{
  VbDomainDiskDef *disk;
  PeekRead *r;

  CHECK_FLAGS (task, flags, 0, "BlockPeek");
  REQUIRE_ACTIVE (task, dom);
  disk = name != NULL && *name != '\0' ? vb_domain_def_find_disk (dom->def, name) : NULL;
  if (disk == NULL)
    FAIL (task, VB_ERROR_INVALID_ARG, "domain '%s' has no disk '%s'", dom->name, name ? name : "");
  if (disk->src_path == NULL)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "disk '%s' has no medium", disk->dst);
  if (!vb_domain_disk_is_local_image (disk))
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "disk '%s' is not a file or block device of this host", disk->dst);
  if (size > VB_DOMAIN_PEEK_MAX)
    FAIL (task, VB_ERROR_INVALID_ARG, "at most %d bytes can be read at once", VB_DOMAIN_PEEK_MAX);
  if (offset > G_MAXINT64 - size)
    FAIL (task, VB_ERROR_INVALID_ARG, "offset %" G_GUINT64_FORMAT " is too large", offset);
  r = g_new0 (PeekRead, 1);
  r->path = g_strdup (disk->src_path);
  r->offset = offset;
  r->size = size;
  r->what = g_strdup_printf ("disk '%s'", disk->dst);
  peek_read (r, task);
}

/* virDomainMemoryFlags */
enum { MEMORY_VIRTUAL = 1 << 0, MEMORY_PHYSICAL = 1 << 1 };

typedef struct {
  GTask *task;
  PeekRead *read;
} MemoryPeek;

static void
on_memory_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MemoryPeek *mp = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    unlink (mp->read->path);
    peek_read_free (mp->read);
    g_prefix_error (&error, "cannot read the guest's memory: ");
    g_task_return_error (mp->task, error);
  } else {
    peek_read (mp->read, mp->task);
  }
  g_object_unref (mp->task);
  g_free (mp);
}

/* MemoryPeek: QEMU writes the range (memsave: virtual addresses of vCPU 0;
 * pmemsave: physical) to a file in the domain's run dir, made by us first;
 * we read it back and remove it. */
static void
qemu_memory_peek (VbBackend *backend, VbObj *dom, guint64 start, guint64 size, guint flags, GTask *task)
{
  static guint serial;
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(GTask) saved = NULL;
  g_autofree char *dir = NULL;
  MemoryPeek *mp;
  int fd;

  CHECK_FLAGS (task, flags, MEMORY_VIRTUAL | MEMORY_PHYSICAL, "MemoryPeek");
  if ((flags & MEMORY_VIRTUAL) == (flags & MEMORY_PHYSICAL) >> 1)
    FAIL (task, VB_ERROR_INVALID_ARG, "exactly one of the virtual and physical flags is required");
  REQUIRE_ACTIVE (task, dom);
  if (vb_qemu_process_get_qmp (dom) == NULL || d->starting)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
  if (size > VB_DOMAIN_PEEK_MAX)
    FAIL (task, VB_ERROR_INVALID_ARG, "at most %d bytes can be read at once", VB_DOMAIN_PEEK_MAX);
  if (start > G_MAXINT64 - size)
    FAIL (task, VB_ERROR_INVALID_ARG, "address %" G_GUINT64_FORMAT " is too large", start);
  if (size == 0) {
    g_task_return_pointer (task, g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "", 0, 1)),
                           (GDestroyNotify) g_variant_unref);
    return;
  }
  mp = g_new0 (MemoryPeek, 1);
  mp->task = g_object_ref (task);
  mp->read = g_new0 (PeekRead, 1);
  dir = vb_qemu_domain_run_dir (d->backend, dom->name);
  mp->read->path = g_strdup_printf ("%s/memory-peek-%u", dir, ++serial);
  mp->read->size = size;
  mp->read->what = g_strdup_printf ("the memory of domain '%s'", dom->name);
  mp->read->qemu_file = TRUE;
  mp->read->owner = d->backend->qemu_user != NULL ? d->backend->qemu_uid : geteuid ();
  fd = open (mp->read->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 || (d->backend->qemu_user != NULL && fchown (fd, d->backend->qemu_uid, d->backend->qemu_gid) < 0)) {
    int saved_errno = errno;
    if (fd >= 0) {
      close (fd);
      unlink (mp->read->path);
    }
    peek_read_free (mp->read);
    g_object_unref (mp->task);
    g_free (mp);
    FAIL (task, VB_ERROR_IO, "cannot make a file for QEMU in %s: %s", dir, g_strerror (saved_errno));
  }
  close (fd);
  json_object_set_int_member (args, "val", (gint64) start);
  json_object_set_int_member (args, "size", (gint64) size);
  json_object_set_string_member (args, "filename", mp->read->path);
  if (flags & MEMORY_VIRTUAL)
    json_object_set_int_member (args, "cpu-index", 0);
  saved = g_task_new (NULL, NULL, on_memory_saved, mp);
  vb_qemu_process_qmp_void (dom, flags & MEMORY_VIRTUAL ? "memsave" : "pmemsave", args, saved);
}

/* ---- power management ---- */

/* A guest suspended to RAM (QMP SUSPEND → pmsuspended) is woken up; the
 * core reports QEMU's WAKEUP (running/wakeup, STARTED/WAKEUP). */
static void
qemu_pm_wakeup (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "PMWakeup");
  REQUIRE_ACTIVE (task, dom);
  if (dom->state != VB_DOMAIN_PMSUSPENDED)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not suspended by power management", dom->name);
  vb_qemu_process_qmp_void (dom, "system_wakeup", NULL, task);
}

/* ---- graphics: OpenGraphicsFD ---- */

/* virDomainOpenGraphicsFlags */
enum { OPEN_GRAPHICS_SKIPAUTH = 1 << 0 };

typedef struct {
  VbObj *dom;
  GTask *task;
  int ours;          /* the caller's end of the socket pair */
  char *fdname;      /* the other end, once QEMU has it */
  gboolean skipauth;
  const char *protocol; /* "vnc" or "spice" (static) */
} GraphicsOp;

static void
graphics_op_free (GraphicsOp *op)
{
  if (op->ours >= 0)
    close (op->ours);
  g_object_unref (op->dom);
  g_object_unref (op->task);
  g_free (op->fdname);
  g_free (op);
}

static void
on_graphics_client_added (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GraphicsOp *op = user_data;
  g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr(JsonNode) ret = NULL;
  GError *error = NULL;
  int handle;

  ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);
  if (ret == NULL) {
    g_prefix_error (&error, "cannot connect to the display of domain '%s': ", op->dom->name);
    g_task_return_error (op->task, error);
    graphics_op_free (op);
    return;
  }
  handle = g_unix_fd_list_append (fds, op->ours, &error);
  if (handle < 0) {
    g_task_return_error (op->task, error);
    graphics_op_free (op);
    return;
  }
  g_object_set_data_full (G_OBJECT (op->task), "fd-list", g_steal_pointer (&fds), g_object_unref);
  g_task_return_pointer (op->task, g_variant_ref_sink (g_variant_new_handle (handle)),
                         (GDestroyNotify) g_variant_unref);
  graphics_op_free (op);
}

static void
on_graphics_fd_passed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GraphicsOp *op = user_data;
  g_autoptr(JsonNode) ret = NULL;
  g_autoptr(JsonObject) args = json_object_new ();
  GError *error = NULL;

  ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);
  if (ret == NULL) {
    g_prefix_error (&error, "cannot pass a socket to QEMU of domain '%s': ", op->dom->name);
    g_task_return_error (op->task, error);
    graphics_op_free (op);
    return;
  }
  /* add_client takes the descriptor out of QEMU's list, failing or not. */
  json_object_set_string_member (args, "protocol", op->protocol);
  json_object_set_string_member (args, "fdname", op->fdname);
  json_object_set_boolean_member (args, "skipauth", op->skipauth);
  json_object_set_boolean_member (args, "tls", FALSE);
  vb_qmp_execute_async (VB_QMP (source), "add_client", args, NULL, on_graphics_client_added, op);
}

/* A socket connected to display @idx (VNC or SPICE), as a client QEMU
 * accepted (no listening socket involved: also for <listen type='none'/>);
 * with SKIPAUTH without asking for the display's password. */
static void
qemu_open_graphics_fd (VbBackend *backend, VbObj *dom, guint idx, guint flags, GTask *task)
{
  static guint serial;
  const VbDomainDef *def = dom->def;
  VbQmp *qmp = vb_qemu_process_get_qmp (dom);
  g_autoptr(JsonObject) args = json_object_new ();
  VbDomainGraphicsType op_type;
  GraphicsOp *op;
  int pair[2];

  CHECK_FLAGS (task, flags, OPEN_GRAPHICS_SKIPAUTH, "OpenGraphicsFD");
  REQUIRE_ACTIVE (task, dom);
  if (qmp == NULL || vb_qemu_dom (dom)->starting)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
  if (idx >= def->graphics->len)
    FAIL (task, VB_ERROR_INVALID_ARG, "domain '%s' has no graphics device at index %u (it has %u)", dom->name, idx,
          def->graphics->len);
  op_type = ((const VbDomainGraphicsDef *) g_ptr_array_index (def->graphics, idx))->type;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    FAIL (task, VB_ERROR_IO, "cannot create a socket pair: %s", g_strerror (errno));
  op = g_new0 (GraphicsOp, 1);
  op->dom = g_object_ref (dom);
  op->task = g_object_ref (task);
  op->ours = pair[0];
  op->skipauth = (flags & OPEN_GRAPHICS_SKIPAUTH) != 0;
  op->protocol = op_type == VB_DOMAIN_GRAPHICS_SPICE ? "spice" : "vnc";
  /* A name of its own: calls at the same time do not replace each
   * other's descriptor. */
  op->fdname = g_strdup_printf ("vb-graphics-%u", ++serial);
  json_object_set_string_member (args, "fdname", op->fdname);
  /* QEMU gets its own copy (SCM_RIGHTS): ours is closed at once. */
  vb_qmp_execute_with_fd_async (qmp, "getfd", args, pair[1], NULL, on_graphics_fd_passed, op);
  close (pair[1]);
}

void
vb_qemu_domain_ops_init (VbDomainOpsInterface *iface)
{
  iface->define_xml = qemu_define_xml;
  iface->create_xml = qemu_create_xml;
  iface->set_autostart = qemu_set_autostart;
  iface->create = qemu_create;
  iface->shutdown = qemu_shutdown;
  iface->reboot = qemu_reboot;
  iface->reset = qemu_reset;
  iface->destroy = qemu_destroy;
  iface->suspend = qemu_suspend;
  iface->resume = qemu_resume;
  iface->undefine = qemu_undefine;
  iface->rename = qemu_rename;
  iface->get_xml_desc = qemu_get_xml_desc;
  iface->get_state = qemu_get_state;
  iface->get_metadata = qemu_get_metadata;
  iface->set_metadata = qemu_set_metadata;
  iface->open_console = qemu_open_console;
  iface->open_graphics_fd = qemu_open_graphics_fd;
  iface->pm_wakeup = qemu_pm_wakeup;
  iface->block_peek = qemu_block_peek;
  iface->get_security_label_list = qemu_get_security_label_list;
  iface->memory_peek = qemu_memory_peek;
  for (guint i = 0; vb_qemu_parts[i] != NULL; i++)
    if (vb_qemu_parts[i]->ops_init != NULL)
      vb_qemu_parts[i]->ops_init (iface);
}
