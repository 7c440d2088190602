/* Internal (qcow2) snapshots of QEMU domains.
 *
 * A running or paused domain is snapshotted with QMP snapshot-save (disks
 * and RAM, in the qcow2 images themselves), reverted with snapshot-load and
 * its snapshots deleted with snapshot-delete: QEMU runs each as a job,
 * which ends with a JOB_STATUS_CHANGE "concluded" event; query-jobs then
 * tells whether it failed and job-dismiss clears it. A shut-off domain's
 * images are handled with `qemu-img snapshot` (-c, -a, -d).
 *
 * The metadata (libvirt's <domainsnapshot> document, with the domain's
 * definition of the time) is kept one file per snapshot under
 * <lib_dir>/snapshot/<domain uuid>/, with the current snapshot's name in
 * the file "current" there, so the tree survives daemon restarts. The
 * tree itself (objects, walks, listing filters, the current snapshot's
 * name in memory, re-parenting, the operations that only read it) is
 * service/vb-snapshot-tree.c's. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vb-invocation.h" /* vb_task_get_caller_creds */
#include "vb-qemu-agent.h"
#include "vb-qemu-command.h"
#include "vb-qemu-job.h"
#include "vb-qemu-process.h"
#include "vb-snapshot-def.h"
#include "vb-snapshot-tree.h"
#include "vb-state-dir.h"
#include "vb-task.h"

/* ---- libvirt's numeric codes ---- */

/* virDomainUndefineFlagsValues */
enum { UNDEFINE_SNAPSHOTS_METADATA = 1 << 1 };

struct _VbQemuSnapshots {
  GHashTable *jobs;     /* QMP job id → GTask waiting for its end */
  gboolean reverting;   /* our own stop/cont around snapshot-load: STOP/RESUME are ours */
};

static guint next_job = 1;

static VbQemuSnapshots *
snaps (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  if (d->snapshots == NULL) {
    d->snapshots = g_new0 (VbQemuSnapshots, 1);
    d->snapshots->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  }
  return d->snapshots;
}

static VbSnapshotDef *
snap_def (VbObj *snap)
{
  return snap->def;
}

/* ---- metadata on disk ---- */

static char *
meta_dir (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  const VbStateDirs *dirs = vb_backend_get_state_dirs (VB_BACKEND (d->backend));

  return g_build_filename (dirs->lib_dir, "snapshot", dom->uuid, NULL);
}

/* One file per snapshot; names may start with '.', which the directory
 * listing would take for a temp file, so that is escaped too. */
static char *
meta_path (VbObj *dom, const char *name)
{
  g_autofree char *dir = meta_dir (dom);
  g_autofree char *escaped = g_uri_escape_string (name, NULL, FALSE);
  g_autofree char *file = NULL;

  if (escaped[0] == '.')
    file = g_strconcat ("%2E", escaped + 1, ".xml", NULL);
  else
    file = g_strconcat (escaped, ".xml", NULL);
  return g_build_filename (dir, file, NULL);
}

static gboolean
meta_save (VbObj *dom, VbObj *snap, GError **error)
{
  g_autofree char *dir = meta_dir (dom);
  g_autofree char *path = meta_path (dom, snap->name);
  g_autofree char *xml = vb_snapshot_def_format (snap_def (snap), VB_SNAPSHOT_XML_SECURE);

  if (g_mkdir_with_parents (dir, 0700) < 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot create %s: %s", dir, g_strerror (errno));
    return FALSE;
  }
  return vb_file_write_atomic (path, xml, -1, 0600, error);
}

static void
meta_remove (VbObj *dom, const char *name)
{
  g_autofree char *path = meta_path (dom, name);
  g_autoptr(GError) error = NULL;

  if (!vb_file_remove (path, &error))
    g_warning ("%s", error->message);
}

static void
set_current (VbObj *dom, const char *name)
{
  g_autofree char *dir = meta_dir (dom);
  g_autofree char *path = g_build_filename (dir, "current", NULL);
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (vb_snapshot_tree_get_current (dom), name) == 0)
    return;
  vb_snapshot_tree_set_current (dom, name);
  if (name == NULL) {
    vb_file_remove (path, NULL);
    return;
  }
  if (g_mkdir_with_parents (dir, 0700) < 0 || !vb_file_write_atomic (path, name, -1, 0600, &error))
    g_warning ("cannot remember the current snapshot of domain '%s': %s", dom->name,
               error ? error->message : g_strerror (errno));
}

/* Removes the metadata directory (every snapshot file and "current"). */
static void
meta_remove_all (VbObj *dom)
{
  g_autofree char *dir = meta_dir (dom);
  g_autoptr(GDir) gdir = g_dir_open (dir, 0, NULL);
  const char *entry;

  while (gdir != NULL && (entry = g_dir_read_name (gdir)) != NULL) {
    g_autofree char *path = g_build_filename (dir, entry, NULL);
    if (unlink (path) < 0 && errno != ENOENT)
      g_warning ("cannot remove %s: %s", path, g_strerror (errno));
  }
  if (rmdir (dir) < 0 && errno != ENOENT)
    g_warning ("cannot remove %s: %s", dir, g_strerror (errno));
  vb_snapshot_tree_set_current (dom, NULL);
}

/* ---- the tree ---- */

/* Exports a snapshot of @dom (taking @def); returns it, borrowed. */
static VbObj *
add_snapshot (VbObj *dom, VbSnapshotDef *def)
{
  g_autoptr(VbObj) snap = vb_snapshot_tree_new_obj (dom, def);

  vb_backend_add_object (VB_BACKEND (vb_qemu_dom (dom)->backend), snap);
  return snap; /* the domain's children table holds it */
}

static gboolean
has_snapshots (VbObj *dom)
{
  g_autoptr(GPtrArray) all = vb_snapshot_tree_all (dom);
  return all->len > 0;
}

/* ---- disks ---- */

typedef struct {
  char *dst;
  char *path;
  char *node; /* format node of the running QEMU */
} SnapDisk;

static void
snap_disk_free (gpointer p)
{
  SnapDisk *disk = p;

  g_free (disk->dst);
  g_free (disk->path);
  g_free (disk->node);
  g_free (disk);
}

static gboolean
disk_is_writable (const VbDomainDiskDef *disk)
{
  return disk->device == VB_DOMAIN_DISK_DEVICE_DISK && !disk->readonly;
}

/* The writable disks of @def an internal snapshot lives in (read-only
 * disks and media are skipped, as libvirt does). Each must be a qcow2
 * image; @only: names of the disks to take (NULL = all). */
static GPtrArray *
internal_disks (VbObj *dom, const VbDomainDef *def, GHashTable *only, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (snap_disk_free);
  g_autoptr(VbDomainDef) aliased = vb_domain_def_copy (def);

  /* The node names follow the aliases the command line was built with. */
  vb_qemu_domain_assign_aliases (aliased);
  for (guint i = 0; i < aliased->disks->len; i++) {
    const VbDomainDiskDef *disk = g_ptr_array_index (aliased->disks, i);
    SnapDisk *sd;

    if (!disk_is_writable (disk) || (only != NULL && !g_hash_table_contains (only, disk->dst)))
      continue;
    if (!vb_domain_disk_is_local_image (disk)) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                   "internal snapshots need a local image for disk '%s' of domain '%s'", disk->dst, dom->name);
      return NULL;
    }
    if (g_strcmp0 (disk->driver_format, "qcow2") != 0) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                   "internal snapshot of domain '%s' needs qcow2 images, but disk '%s' (%s) is %s", dom->name,
                   disk->dst, disk->src_path, disk->driver_format ? disk->driver_format : "raw");
      return NULL;
    }
    sd = g_new0 (SnapDisk, 1);
    sd->dst = g_strdup (disk->dst);
    sd->path = g_strdup (disk->src_path);
    sd->node = dom->active ? vb_qemu_disk_root_node (dom, disk) : vb_qemu_disk_format_node (disk);
    g_ptr_array_add (out, sd);
  }
  return g_steal_pointer (&out);
}

/* The disks @snap has data in, as found in the domain's definition @def. */
static GPtrArray *
snapshot_disks (VbObj *dom, VbObj *snap, const VbDomainDef *def, GError **error)
{
  g_autoptr(GHashTable) only = g_hash_table_new (g_str_hash, g_str_equal);
  const VbSnapshotDef *sdef = snap_def (snap);

  for (guint i = 0; sdef->disks != NULL && i < sdef->disks->len; i++) {
    const VbSnapshotDiskDef *disk = g_ptr_array_index (sdef->disks, i);
    if (disk->snapshot == VB_SNAPSHOT_LOCATION_INTERNAL)
      g_hash_table_add (only, disk->name);
  }
  return internal_disks (dom, def, only, error);
}

/* ---- QMP jobs ---- */

static void
on_job_dismissed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);
  const char *failure = g_object_get_data (G_OBJECT (task), "job-error");

  if (failure != NULL)
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "%s", failure);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_job_queried (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  const char *id = g_object_get_data (G_OBJECT (task), "job-id");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);
  g_autoptr(JsonObject) args = json_object_new ();

  if (ret != NULL && JSON_NODE_HOLDS_ARRAY (ret)) {
    JsonArray *jobs = json_node_get_array (ret);
    for (guint i = 0; i < json_array_get_length (jobs); i++) {
      JsonObject *job = json_array_get_object_element (jobs, i);
      if (job != NULL && g_strcmp0 (json_object_get_string_member_with_default (job, "id", NULL), id) == 0 &&
          json_object_has_member (job, "error"))
        g_object_set_data_full (G_OBJECT (task), "job-error",
                                g_strdup (json_object_get_string_member (job, "error")), g_free);
    }
  }
  json_object_set_string_member (args, "id", id);
  vb_qmp_execute_async (VB_QMP (source), "job-dismiss", args, NULL, on_job_dismissed, g_steal_pointer (&task));
}

static void
on_job_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VbObj *dom = g_task_get_task_data (task);
  const char *id = g_object_get_data (G_OBJECT (task), "job-id");
  GError *error = NULL;
  g_autoptr(JsonNode) ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);
  VbQemuSnapshots *s = vb_qemu_dom (dom)->snapshots;

  if (error == NULL)
    return; /* its end comes as an event */
  /* QEMU refused the command: no job, no event. */
  if (s != NULL && g_hash_table_remove (s->jobs, id))
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

/* Runs QMP job @command (its "job-id" is added to @args) on @dom's QEMU and
 * completes @task [void] when the job ended, with the job's error. */
static void
run_qmp_job (VbObj *dom, const char *command, JsonObject *args, GTask *task)
{
  VbQmp *qmp = vb_qemu_process_get_qmp (dom);
  g_autofree char *id = NULL;

  if (qmp == NULL)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot talk to the QEMU of domain '%s': its monitor is not connected",
          dom->name);
  id = g_strdup_printf ("vb-snapshot-%u", next_job++);
  json_object_set_string_member (args, "job-id", id);
  g_task_set_task_data (task, g_object_ref (dom), g_object_unref);
  g_object_set_data_full (G_OBJECT (task), "job-id", g_strdup (id), g_free);
  g_hash_table_insert (snaps (dom)->jobs, g_strdup (id), g_object_ref (task));
  /* Saving RAM of a big guest takes long; the job's events say when. */
  vb_qmp_execute_async (qmp, command, args, NULL, on_job_started, g_object_ref (task));
}

static JsonArray *
node_array (GPtrArray *disks)
{
  JsonArray *arr = json_array_new ();

  for (guint i = 0; i < disks->len; i++)
    json_array_add_string_element (arr, ((SnapDisk *) g_ptr_array_index (disks, i))->node);
  return arr;
}

/* snapshot-save / snapshot-load: RAM goes with the first disk. */
static void
run_vm_snapshot_job (VbObj *dom, const char *command, const char *tag, GPtrArray *disks, GTask *task)
{
  g_autoptr(JsonObject) args = json_object_new ();

  json_object_set_string_member (args, "tag", tag);
  json_object_set_string_member (args, "vmstate", ((SnapDisk *) g_ptr_array_index (disks, 0))->node);
  json_object_set_array_member (args, "devices", node_array (disks));
  run_qmp_job (dom, command, args, task);
}

/* ---- qemu-img ---- */

typedef struct {
  GPtrArray *argvs; /* GStrv */
  guint next;
} ImgRun;

static void
img_run_free (gpointer p)
{
  ImgRun *run = p;

  g_ptr_array_unref (run->argvs);
  g_free (run);
}

static char *
qemu_img_path (VbObj *dom)
{
  return vb_qemu_backend_qemu_img (vb_qemu_dom (dom)->backend);
}

static void img_run_next (GTask *task);

static void
on_img_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  ImgRun *run = g_task_get_task_data (task);
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autofree char *err = NULL;
  GError *error = NULL;

  if (!g_subprocess_communicate_utf8_finish (proc, result, NULL, &err, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (!g_subprocess_get_successful (proc)) {
    GStrv argv = g_ptr_array_index (run->argvs, run->next - 1);
    guint argc = g_strv_length (argv);
    if (strcmp (argv[1], "snapshot") == 0)
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "qemu-img snapshot %s failed on %s: %s", argv[2],
                               argv[4], err && *err ? g_strstrip (err) : "no error message");
    else
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "qemu-img %s failed on %s: %s", argv[1],
                               argv[argc - 1], err && *err ? g_strstrip (err) : "no error message");
    return;
  }
  img_run_next (g_steal_pointer (&task));
}

static void
img_run_next (GTask *task)
{
  ImgRun *run = g_task_get_task_data (task);
  g_autoptr(GSubprocess) proc = NULL;
  GError *error = NULL;

  if (run->next >= run->argvs->len) {
    g_task_return_boolean (task, TRUE);
    g_object_unref (task);
    return;
  }
  proc = g_subprocess_newv ((const char *const *) g_ptr_array_index (run->argvs, run->next++),
                            G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  if (proc == NULL) {
    g_prefix_error (&error, "cannot run qemu-img: ");
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  vb_child_track (proc);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, on_img_done, task);
}

/* `qemu-img snapshot @op @tag IMAGE` on each disk, one after the other;
 * completes @task [void] (an error names the image and has the tool's
 * stderr). */
static void
run_qemu_img (VbObj *dom, const char *op, const char *tag, GPtrArray *disks, GTask *task)
{
  ImgRun *run = g_new0 (ImgRun, 1);
  g_autofree char *tool = qemu_img_path (dom);

  run->argvs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  for (guint i = 0; i < disks->len; i++) {
    const SnapDisk *disk = g_ptr_array_index (disks, i);
    GStrv argv = g_new0 (char *, 6);
    argv[0] = g_strdup (tool);
    argv[1] = g_strdup ("snapshot");
    argv[2] = g_strdup (op);
    argv[3] = g_strdup (tag);
    argv[4] = g_strdup (disk->path);
    g_ptr_array_add (run->argvs, argv);
  }
  g_task_set_task_data (task, run, img_run_free);
  img_run_next (g_object_ref (task));
}

/* ---- domain definitions ---- */

static char *
format_config (const VbDomainDef *def)
{
  return def ? vb_domain_def_format (def, VB_DOMAIN_XML_INACTIVE | VB_DOMAIN_XML_SECURE) : NULL;
}

static gboolean
defs_equal (const VbDomainDef *a, const VbDomainDef *b)
{
  g_autofree char *xa = format_config (a);
  g_autofree char *xb = format_config (b);

  return g_strcmp0 (xa, xb) == 0;
}

static gboolean
save_config (VbObj *dom, GError **error)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autofree char *path = vb_qemu_domain_config_path (d->backend, dom->name);
  g_autofree char *xml = format_config (vb_obj_get_persistent_def (dom));

  return vb_file_write_atomic (path, xml, -1, 0600, error);
}

/* Makes a copy of @def the definition of shut-off @dom (persistent: also
 * on disk, with DEFINED FROM_SNAPSHOT when it changed). */
static void
assign_inactive_def (VbObj *dom, const VbDomainDef *def)
{
  gboolean changed = !defs_equal (dom->def, def);
  VbDomainDef *copy = vb_domain_def_copy (def);
  g_autoptr(GError) error = NULL;

  copy->id = -1;
  vb_obj_set_newdef (dom, NULL);
  vb_obj_set_def (dom, copy);
  if (!dom->persistent || !changed)
    return;
  if (!save_config (dom, &error))
    g_warning ("cannot save the reverted definition of domain '%s': %s", dom->name, error->message);
  vb_qemu_emit (vb_qemu_dom (dom)->backend, dom, VB_QEMU_EV_DEFINED, VB_QEMU_DEFINED_FROM_SNAPSHOT);
}

/* ---- SnapshotCreateXML ---- */

/* Fills a SnapshotCreateXML request in from @dom: state, memory, disks and
 * the domain's definitions; returns the disks to snapshot. */
static GPtrArray *
align_def (VbSnapshotDef *def, VbObj *dom, GError **error)
{
  VbDomainDef *ddef = dom->def;
  g_autoptr(GPtrArray) disks = NULL;
  gboolean active = dom->active;

  switch (dom->state) {
  case VB_DOMAIN_RUNNING: def->state = VB_SNAPSHOT_STATE_RUNNING; break;
  case VB_DOMAIN_PAUSED: def->state = VB_SNAPSHOT_STATE_PAUSED; break;
  case VB_DOMAIN_SHUTOFF: def->state = VB_SNAPSHOT_STATE_SHUTOFF; break;
  default:
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "cannot take a snapshot of domain '%s' in its current state", dom->name);
    return NULL;
  }
  if (def->memory == VB_SNAPSHOT_LOCATION_EXTERNAL) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "external memory snapshots are not supported by the QEMU driver; use snapshot='internal'");
    return NULL;
  }
  if (def->memory == VB_SNAPSHOT_LOCATION_INTERNAL && !active) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "memory state cannot be saved with an offline snapshot of domain '%s'", dom->name);
    return NULL;
  }
  if (def->memory == VB_SNAPSHOT_LOCATION_NO && active) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "an internal snapshot of running domain '%s' always includes its memory", dom->name);
    return NULL;
  }
  def->memory = active ? VB_SNAPSHOT_LOCATION_INTERNAL : VB_SNAPSHOT_LOCATION_NO;

  for (guint i = 0; def->disks != NULL && i < def->disks->len; i++) {
    const VbSnapshotDiskDef *want = g_ptr_array_index (def->disks, i);
    const VbDomainDiskDef *disk = vb_domain_def_find_disk (ddef, want->name);
    if (disk == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "no disk named '%s' in domain '%s'", want->name,
                   dom->name);
      return NULL;
    }
    if (want->snapshot == VB_SNAPSHOT_LOCATION_EXTERNAL || want->snapshot == VB_SNAPSHOT_LOCATION_MANUAL) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                   "disk '%s': %s disk snapshots are not supported by the QEMU driver", want->name,
                   vb_snapshot_location_to_string (want->snapshot));
      return NULL;
    }
    if (disk_is_writable (disk) && want->snapshot == VB_SNAPSHOT_LOCATION_NO) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                   "an internal snapshot covers every writable disk: disk '%s' cannot use snapshot='no'",
                   want->name);
      return NULL;
    }
  }

  disks = internal_disks (dom, ddef, NULL, error);
  if (disks == NULL)
    return NULL;
  if (disks->len == 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "domain '%s' has no writable qcow2 disk to keep an internal snapshot in", dom->name);
    return NULL;
  }

  /* One entry per domain disk, in the domain's order. */
  if (def->disks != NULL)
    g_ptr_array_unref (def->disks);
  def->disks = vb_snapshot_tree_internal_disks (ddef);

  def->domain = vb_domain_def_copy (ddef);
  def->domain->id = -1;
  if (active && dom->newdef != NULL && !defs_equal (dom->def, dom->newdef)) {
    def->inactive_domain = vb_domain_def_copy (dom->newdef);
    def->inactive_domain->id = -1;
  }
  return g_steal_pointer (&disks);
}

typedef struct {
  VbObj *dom;
  VbSnapshotDef *def;
  GPtrArray *disks;
  GPtrArray *ext;    /* ExtDisk: an external snapshot's overlays */
  guint flags;
  gboolean job;      /* a job of ours was begun */
  gboolean live;     /* taken with QMP */
  GError *taken;     /* QUIESCE: the freeze's or the transaction's error, while thawing */
  GError *thaw;      /* QUIESCE: why thawing failed (the snapshot stands) */
  gboolean memory;          /* an external memory snapshot: its state goes to def->memory_file */
  gboolean memory_created;  /* ... a file we create (removed if the snapshot fails) */
  gboolean was_running;     /* ... of a guest whose CPUs ran (they run again) */
  GError *failed;           /* why the snapshot failed, while the CPUs are settled */
} CreateData;

static void
create_data_free (gpointer p)
{
  CreateData *cd = p;

  g_object_unref (cd->dom);
  g_clear_pointer (&cd->def, vb_snapshot_def_free);
  g_clear_pointer (&cd->disks, g_ptr_array_unref);
  g_clear_pointer (&cd->ext, g_ptr_array_unref);
  g_clear_error (&cd->taken);
  g_clear_error (&cd->thaw);
  g_clear_error (&cd->failed);
  g_free (cd);
}

static void
on_halted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  VbObj *snap = g_object_get_data (G_OBJECT (task), "snapshot");

  /* The snapshot exists either way. */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_warning ("cannot halt the domain after snapshot '%s': %s", snap->name, error->message);
  g_task_return_pointer (task, g_object_ref (snap), g_object_unref);
}

/* The snapshot's data is taken (or @error): metadata, current, HALT. */
static void
on_created_done (GTask *task, GError *error)
{
  CreateData *cd = g_task_get_task_data (task);
  VbObj *dom = cd->dom;
  VbQemuDom *d = vb_qemu_dom (dom);
  VbObj *snap;

  if (cd->live) {
    d->pause_reason = -1;
    d->pause_detail = -1;
  }
  if (error != NULL) {
    if (cd->job)
      vb_qemu_job_end (dom, error);
    g_prefix_error (&error, "cannot create snapshot '%s' of domain '%s': ", cd->def->name, dom->name);
    g_task_return_error (task, error);
    return;
  }
  if (cd->job)
    vb_qemu_job_end (dom, NULL);

  if (cd->flags & VB_SNAPSHOT_CREATE_NO_METADATA) {
    /* The data is in the images; no object to look up later. */
    g_autoptr(VbObj) loose = vb_snapshot_tree_new_obj (dom, g_steal_pointer (&cd->def));
    g_task_return_pointer (task, g_object_ref (loose), g_object_unref);
    return;
  }
  cd->def->parent = g_strdup (vb_snapshot_tree_get_current (dom));
  snap = add_snapshot (dom, g_steal_pointer (&cd->def));
  if (!meta_save (dom, snap, &error)) {
    g_warning ("snapshot '%s' of domain '%s' will not survive a restart: %s", snap->name, dom->name,
               error->message);
    g_clear_error (&error);
  }
  set_current (dom, snap->name);

  if (cd->thaw != NULL && !(cd->flags & VB_SNAPSHOT_CREATE_HALT)) {
    /* As libvirt: the snapshot is there, but the caller must know that
     * the guest's file systems may still be frozen. */
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED,
                             "snapshot '%s' of domain '%s' was taken, but its file systems were not thawed (FSThaw "
                             "thaws them): %s", snap->name, dom->name, cd->thaw->message);
    return;
  }
  if ((cd->flags & VB_SNAPSHOT_CREATE_HALT) && dom->active) {
    GTask *halt = g_task_new (NULL, NULL, on_halted, g_object_ref (task));
    g_object_set_data_full (G_OBJECT (task), "snapshot", g_object_ref (snap), g_object_unref);
    vb_qemu_process_destroy (d->backend, dom, VB_QEMU_STOP_SNAPSHOT, FALSE, halt);
    g_object_unref (halt);
    return;
  }
  g_task_return_pointer (task, g_object_ref (snap), g_object_unref);
}

static void
on_created (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  on_created_done (task, error);
}

/* ---- external (disk-only) snapshots ----
 *
 * Each disk gets a new qcow2 image on top of the one it has (QMP
 * transaction of blockdev-snapshot-sync while QEMU runs, so all disks are
 * taken at the same instant; `qemu-img create -b` when shut off), and from
 * then on the domain writes there, live and in its config. The snapshot is
 * the images below. Reverting to one is not supported (as in libvirt 9.0),
 * nor deleting its data: merge with BlockCommit, then delete its metadata. */

typedef struct {
  char *dst;
  char *alias;
  char *node;     /* running: the disk's node now */
  char *overlay;  /* the new top image */
  char *backing;  /* the image it goes on */
  char *backing_fmt;
  gboolean block; /* the overlay is a block device */
} ExtDisk;

static void
ext_disk_free (gpointer p)
{
  ExtDisk *e = p;

  g_free (e->dst);
  g_free (e->alias);
  g_free (e->node);
  g_free (e->overlay);
  g_free (e->backing);
  g_free (e->backing_fmt);
  g_free (e);
}

/* libvirt's name for an overlay nobody named: the image's path with the
 * snapshot's name for its extension. */
static char *
default_overlay (const char *src, const char *snap)
{
  const char *slash = strrchr (src, '/');
  const char *dot = strrchr (src, '.');

  if (dot != NULL && slash != NULL && dot > slash + 1)
    return g_strdup_printf ("%.*s.%s", (int) (dot - src), src, snap);
  return g_strdup_printf ("%s.%s", src, snap);
}

static gboolean
snapshot_is_external (const VbSnapshotDef *def)
{
  if (def->state == VB_SNAPSHOT_STATE_DISK_SNAPSHOT || def->memory == VB_SNAPSHOT_LOCATION_EXTERNAL)
    return TRUE;
  for (guint i = 0; def->disks != NULL && i < def->disks->len; i++)
    if (((VbSnapshotDiskDef *) g_ptr_array_index (def->disks, i))->snapshot == VB_SNAPSHOT_LOCATION_EXTERNAL)
      return TRUE;
  return FALSE;
}

/* The file an external memory snapshot writes the guest's state to: an
 * absolute path, none of the domain's images, new unless REUSE_EXT. */
static gboolean
check_memory_file (const char *path, const VbDomainDef *ddef, guint flags, const VbCallerCreds *creds,
                   GError **error)
{
  struct stat st;
  gboolean exists;

  if (path == NULL || !g_path_is_absolute (path)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "the memory state's file '%s' is not an absolute path",
                 path ? path : "");
    return FALSE;
  }
  for (guint i = 0; i < ddef->disks->len; i++) {
    const VbDomainDiskDef *disk = g_ptr_array_index (ddef->disks, i);
    if (g_strcmp0 (disk->src_path, path) == 0) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "the memory state's file '%s' is the image of disk '%s'",
                   path, disk->dst);
      return FALSE;
    }
  }
  exists = stat (path, &st) == 0;
  if (exists && S_ISDIR (st.st_mode)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "the memory state's file '%s' is a directory", path);
    return FALSE;
  }
  if (exists && !(flags & VB_SNAPSHOT_CREATE_REUSE_EXT)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "the memory state's file '%s' exists: pass REUSE_EXT to overwrite it", path);
    return FALSE;
  }
  if (creds != NULL &&
      !vb_path_policy_check (creds, path, R_OK | W_OK, exists ? 0 : VB_PATH_POLICY_MAY_CREATE, error))
    return FALSE;
  return TRUE;
}

/* Fills an external snapshot request in (state, disks, definitions);
 * returns the disks that get an overlay. */
static GPtrArray *
align_external (VbSnapshotDef *def, VbObj *dom, guint flags, GTask *task, GError **error)
{
  const VbCallerCreds *creds = vb_task_get_caller_creds (task);
  gboolean reuse = (flags & VB_SNAPSHOT_CREATE_REUSE_EXT) != 0;
  VbDomainDef *ddef = dom->def;
  g_autoptr(VbDomainDef) aliased = vb_domain_def_copy (ddef);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (ext_disk_free);
  g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func (vb_snapshot_disk_def_free);

  gboolean memory = def->memory == VB_SNAPSHOT_LOCATION_EXTERNAL;

  if (memory && (flags & VB_SNAPSHOT_CREATE_DISK_ONLY)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "a disk-only snapshot has no memory state: DISK_ONLY excludes <memory snapshot='external'>");
    return NULL;
  }
  if (memory && !dom->active) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "domain '%s' is not running: it has no memory state for an external memory snapshot", dom->name);
    return NULL;
  }
  if (memory && !check_memory_file (def->memory_file, ddef, flags, creds, error))
    return NULL;
  if (def->memory == VB_SNAPSHOT_LOCATION_INTERNAL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "the memory of a snapshot with external disks cannot be internal");
    return NULL;
  }
  if (dom->active && !memory && !(flags & VB_SNAPSHOT_CREATE_DISK_ONLY)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "an external snapshot of running domain '%s' either saves its memory too (<memory "
                 "snapshot='external' file='…'/>) or is disk-only (the DISK_ONLY flag)", dom->name);
    return NULL;
  }
  if (dom->state != VB_DOMAIN_RUNNING && dom->state != VB_DOMAIN_PAUSED && dom->state != VB_DOMAIN_SHUTOFF) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "cannot take a snapshot of domain '%s' in its current state", dom->name);
    return NULL;
  }
  if (flags & VB_SNAPSHOT_CREATE_DISK_ONLY)
    def->state = VB_SNAPSHOT_STATE_DISK_SNAPSHOT;
  else if (memory)
    def->state = dom->state == VB_DOMAIN_PAUSED ? VB_SNAPSHOT_STATE_PAUSED : VB_SNAPSHOT_STATE_RUNNING;
  else
    def->state = VB_SNAPSHOT_STATE_SHUTOFF;
  if (!memory)
    def->memory = VB_SNAPSHOT_LOCATION_NO;

  for (guint i = 0; def->disks != NULL && i < def->disks->len; i++) {
    const VbSnapshotDiskDef *want = g_ptr_array_index (def->disks, i);
    if (vb_domain_def_find_disk (ddef, want->name) == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "no disk named '%s' in domain '%s'", want->name,
                   dom->name);
      return NULL;
    }
    if (want->snapshot == VB_SNAPSHOT_LOCATION_INTERNAL || want->snapshot == VB_SNAPSHOT_LOCATION_MANUAL) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                   "disk '%s': %s snapshots cannot be mixed with external ones", want->name,
                   vb_snapshot_location_to_string (want->snapshot));
      return NULL;
    }
  }

  vb_qemu_domain_assign_aliases (aliased);
  for (guint i = 0; i < ddef->disks->len; i++) {
    const VbDomainDiskDef *disk = g_ptr_array_index (ddef->disks, i);
    const VbDomainDiskDef *adisk = g_ptr_array_index (aliased->disks, i);
    const VbSnapshotDiskDef *want = NULL;
    VbSnapshotDiskDef *rec = g_new0 (VbSnapshotDiskDef, 1);
    VbSnapshotLocation loc;
    struct stat st;
    gboolean exists;
    ExtDisk *e;

    for (guint j = 0; def->disks != NULL && j < def->disks->len && want == NULL; j++) {
      const VbSnapshotDiskDef *w = g_ptr_array_index (def->disks, j);
      if (vb_domain_def_find_disk (ddef, w->name) == disk)
        want = w;
    }
    loc = want != NULL && want->snapshot != VB_SNAPSHOT_LOCATION_DEFAULT ? want->snapshot
          : disk_is_writable (disk) ? VB_SNAPSHOT_LOCATION_EXTERNAL : VB_SNAPSHOT_LOCATION_NO;
    rec->name = g_strdup (disk->dst);
    rec->snapshot = loc;
    g_ptr_array_add (disks, rec);
    if (loc != VB_SNAPSHOT_LOCATION_EXTERNAL)
      continue;
    if (!disk_is_writable (disk)) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "disk '%s' is read-only or removable: it gets no "
                   "external snapshot", disk->dst);
      return NULL;
    }
    if (!vb_domain_disk_is_local_image (disk)) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "disk '%s' has no local image to put an overlay on",
                   disk->dst);
      return NULL;
    }
    e = g_new0 (ExtDisk, 1);
    g_ptr_array_add (out, e);
    e->dst = g_strdup (disk->dst);
    e->alias = g_strdup (adisk->info.alias);
    e->backing = g_strdup (disk->src_path);
    e->backing_fmt = g_strdup (disk->driver_format ? disk->driver_format : "raw");
    e->overlay = want != NULL && want->src_path != NULL ? g_strdup (want->src_path)
                                                        : default_overlay (disk->src_path, def->name);
    e->block = want != NULL && want->type == VB_SNAPSHOT_DISK_TYPE_BLOCK;
    if (dom->active)
      e->node = vb_qemu_disk_root_node (dom, adisk);
    if (want != NULL && want->driver_type != NULL && strcmp (want->driver_type, "qcow2") != 0) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "disk '%s': an overlay is a qcow2 image, not %s",
                   disk->dst, want->driver_type);
      return NULL;
    }
    if (!g_path_is_absolute (e->overlay)) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "disk '%s': the overlay '%s' is not an absolute path",
                   disk->dst, e->overlay);
      return NULL;
    }
    if (memory && strcmp (e->overlay, def->memory_file) == 0) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "disk '%s': the overlay '%s' is the memory state's file",
                   disk->dst, e->overlay);
      return NULL;
    }
    for (guint k = 0; k + 1 < out->len; k++)
      if (strcmp (((ExtDisk *) g_ptr_array_index (out, k))->overlay, e->overlay) == 0) {
        g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "disks '%s' and '%s' cannot share the overlay '%s'",
                     ((ExtDisk *) g_ptr_array_index (out, k))->dst, disk->dst, e->overlay);
        return NULL;
      }
    exists = stat (e->overlay, &st) == 0;
    if (exists && !reuse) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                   "the overlay '%s' of disk '%s' exists: pass REUSE_EXT to use it", e->overlay, disk->dst);
      return NULL;
    }
    if (!exists && (reuse || e->block)) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "the overlay '%s' of disk '%s' does not exist%s",
                   e->overlay, disk->dst, reuse ? " (REUSE_EXT)" : "");
      return NULL;
    }
    if (creds != NULL &&
        !vb_path_policy_check (creds, e->overlay, R_OK | W_OK, exists ? 0 : VB_PATH_POLICY_MAY_CREATE, error))
      return NULL;
    rec->src_path = g_strdup (e->overlay);
    rec->type = e->block ? VB_SNAPSHOT_DISK_TYPE_BLOCK : VB_SNAPSHOT_DISK_TYPE_FILE;
    rec->driver_type = g_strdup ("qcow2");
  }
  /* Memory alone is a snapshot too (the disks go on changing under it). */
  if (out->len == 0 && !memory) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "domain '%s' has no writable disk to take an external snapshot of", dom->name);
    return NULL;
  }
  if (def->disks != NULL)
    g_ptr_array_unref (def->disks);
  def->disks = g_steal_pointer (&disks);
  def->domain = vb_domain_def_copy (ddef);
  def->domain->id = -1;
  if (dom->active && dom->newdef != NULL && !defs_equal (dom->def, dom->newdef)) {
    def->inactive_domain = vb_domain_def_copy (dom->newdef);
    def->inactive_domain->id = -1;
  }
  return g_steal_pointer (&out);
}

/* The persistent definition's disks now write to their overlays. */
static void
config_onto_overlays (VbObj *dom, GPtrArray *ext)
{
  VbDomainDef *config = dom->persistent ? vb_obj_get_persistent_def (dom) : NULL;
  g_autoptr(GError) error = NULL;

  if (config == NULL)
    return;
  for (guint i = 0; i < ext->len; i++) {
    const ExtDisk *e = g_ptr_array_index (ext, i);
    VbDomainDiskDef *disk = vb_domain_def_find_disk_by_target (config, e->dst);
    if (disk == NULL || g_strcmp0 (disk->src_path, e->backing) != 0)
      continue;
    g_free (disk->src_path);
    disk->src_path = g_strdup (e->overlay);
    g_free (disk->driver_format);
    disk->driver_format = g_strdup ("qcow2");
    disk->type = e->block ? VB_DOMAIN_DISK_TYPE_BLOCK : VB_DOMAIN_DISK_TYPE_FILE;
    /* The chain is in the overlay's header now. */
    g_ptr_array_set_size (disk->backing, 0);
    disk->backing_terminated = FALSE;
  }
  if (!save_config (dom, &error))
    g_warning ("domain '%s': the config with the snapshot's overlays was not saved: %s", dom->name,
               error->message);
}

/* Shut off: the live definition is the config; its disks move too. */
static void
inactive_onto_overlays (VbObj *dom, GPtrArray *ext)
{
  for (guint i = 0; !dom->persistent && i < ext->len; i++) {
    const ExtDisk *e = g_ptr_array_index (ext, i);
    VbDomainDiskDef *disk = vb_domain_def_find_disk_by_target (dom->def, e->dst);
    if (disk == NULL)
      continue;
    g_free (disk->src_path);
    disk->src_path = g_strdup (e->overlay);
    g_free (disk->driver_format);
    disk->driver_format = g_strdup ("qcow2");
    disk->type = e->block ? VB_DOMAIN_DISK_TYPE_BLOCK : VB_DOMAIN_DISK_TYPE_FILE;
    g_ptr_array_set_size (disk->backing, 0);
  }
  config_onto_overlays (dom, ext);
}

/* ---- an external memory snapshot's CPUs ----
 *
 * Its memory is written first (vb_qemu_save_memory_async: the guest's CPUs
 * stop, before or at the end), then its disks get their overlays, and then
 * the CPUs of a guest that ran run again — also when the snapshot failed
 * (its memory file then goes). A guest that was paused stays paused, with
 * the disks QEMU handed over at the end of the migration taken back. */

static void
settled (GTask *task, GError *error)
{
  CreateData *cd = g_task_get_task_data (task);

  if (error != NULL)
    g_warning ("domain '%s', snapshot '%s': %s", cd->dom->name, cd->def->name, error->message);
  on_created_done (task, g_steal_pointer (&cd->failed));
}

static void
on_settle_cont (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  CreateData *cd = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_prefix_error (&error, "cannot resume the guest: ");
    vb_qemu_dom (cd->dom)->resume_reason = vb_qemu_dom (cd->dom)->resume_detail = -1;
  } else {
    /* Normally its RESUME came first. */
    vb_qemu_process_note_resumed (cd->dom);
  }
  settled (task, error);
}

static void
on_settle_reactivated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  vb_qemu_job_reactivate_finish (result, &error);
  settled (task, error);
}

static void
on_settle_status (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  CreateData *cd = g_task_get_task_data (task);
  g_autoptr(JsonNode) ret = NULL;
  GError *error = NULL;
  JsonObject *status;

  ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);
  if (ret == NULL || !JSON_NODE_HOLDS_OBJECT (ret)) {
    settled (task, error);
    return;
  }
  status = json_node_get_object (ret);
  if (json_object_get_boolean_member_with_default (status, "running", FALSE)) {
    settled (task, NULL);
  } else if (cd->was_running) {
    GTask *cont = g_task_new (NULL, NULL, on_settle_cont, g_object_ref (task));
    vb_qemu_process_qmp_void (cd->dom, "cont", NULL, cont);
    g_object_unref (cont);
  } else if (vb_qemu_job_disks_handed_over (status)) {
    vb_qemu_job_reactivate_async (cd->dom, on_settle_reactivated, g_object_ref (task));
  } else {
    settled (task, NULL);
  }
}

/* The snapshot is taken (@error NULL) or failed: the CPUs as they were. */
static void
settle_cpus (GTask *task, GError *error)
{
  CreateData *cd = g_task_get_task_data (task);
  VbQmp *qmp = vb_qemu_process_get_qmp (cd->dom);

  if (!cd->memory) {
    on_created_done (task, error);
    return;
  }
  if (error != NULL && cd->memory_created && unlink (cd->def->memory_file) < 0 && errno != ENOENT)
    g_warning ("cannot remove the memory state '%s' of failed snapshot '%s': %s", cd->def->memory_file,
               cd->def->name, g_strerror (errno));
  cd->failed = error;
  /* HALT: the guest goes anyway. */
  if (qmp == NULL || (error == NULL && (cd->flags & VB_SNAPSHOT_CREATE_HALT))) {
    on_created_done (task, g_steal_pointer (&cd->failed));
    return;
  }
  vb_qmp_execute_async (qmp, "query-status", NULL, NULL, on_settle_status, g_object_ref (task));
}

static void
on_live_overlays_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  CreateData *cd = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* The overlays are in place either way; only the live XML may lag. */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_warning ("domain '%s': the disks after snapshot '%s' were not read back: %s", cd->dom->name,
               cd->def->name, error->message);
  config_onto_overlays (cd->dom, cd->ext);
  settle_cpus (task, NULL);
}

static void
after_transaction (GTask *task, GError *error)
{
  CreateData *cd = g_task_get_task_data (task);
  g_autoptr(GTask) refresh = NULL;

  if (error != NULL) {
    settle_cpus (task, error);
    return;
  }
  refresh = g_task_new (cd->dom, NULL, on_live_overlays_read, g_object_ref (task));
  vb_qemu_disk_refresh_all (cd->dom, refresh);
}

static void
on_thawed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  CreateData *cd = g_task_get_task_data (task);
  g_autoptr(GVariant) count = g_task_propagate_pointer (G_TASK (result), &cd->thaw);

  if (cd->taken != NULL && cd->thaw != NULL) {
    GError *both = g_error_new (cd->taken->domain, cd->taken->code, "%s; and the guest's file systems were not "
                                "thawed (FSThaw thaws them): %s", cd->taken->message, cd->thaw->message);
    g_error_free (cd->taken);
    cd->taken = both;
  }
  after_transaction (task, g_steal_pointer (&cd->taken));
}

static void
on_transaction (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  CreateData *cd = g_task_get_task_data (task);
  GError *error = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  if (cd->flags & VB_SNAPSHOT_CREATE_QUIESCE) {
    /* Frozen before (on_frozen): thawed at once, whatever the transaction did. */
    g_autoptr(GTask) thaw = g_task_new (NULL, NULL, on_thawed, g_object_ref (task));
    cd->taken = error;
    vb_qemu_agent_thaw_all (cd->dom, thaw);
    return;
  }
  after_transaction (task, error);
}

static void
on_overlays_made (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  CreateData *cd = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    /* Nothing half-done: the overlays made so far go again. */
    for (guint i = 0; !(cd->flags & VB_SNAPSHOT_CREATE_REUSE_EXT) && i < cd->ext->len; i++)
      g_unlink (((ExtDisk *) g_ptr_array_index (cd->ext, i))->overlay);
    on_created_done (task, error);
    return;
  }
  inactive_onto_overlays (cd->dom, cd->ext);
  on_created_done (task, NULL);
}

static void create_external_disks (GTask *task);

static void
on_memory_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  CreateData *cd = g_task_get_task_data (task);
  GError *error = NULL;

  if (!vb_qemu_save_memory_finish (result, &error)) {
    /* The file is gone; settle_cpus runs the guest again if it ran. */
    cd->memory_created = FALSE;
    settle_cpus (task, error);
    return;
  }
  if (cd->ext->len == 0) {
    settle_cpus (task, NULL);
    return;
  }
  create_external_disks (task);
}

static void
create_external (GTask *task)
{
  CreateData *cd = g_task_get_task_data (task);

  if (cd->memory) {
    /* The memory first; the CPUs stay stopped until the disks are done,
     * so both are the same instant. */
    cd->was_running = cd->dom->state == VB_DOMAIN_RUNNING;
    cd->memory_created = !g_file_test (cd->def->memory_file, G_FILE_TEST_EXISTS);
    vb_qemu_save_memory_async (cd->dom, cd->def->memory_file, (cd->flags & VB_SNAPSHOT_CREATE_LIVE) != 0,
                               on_memory_saved, g_object_ref (task));
    return;
  }
  create_external_disks (task);
}

static void
create_external_disks (GTask *task)
{
  CreateData *cd = g_task_get_task_data (task);
  VbObj *dom = cd->dom;
  gboolean reuse = (cd->flags & VB_SNAPSHOT_CREATE_REUSE_EXT) != 0;

  if (dom->active) {
    JsonObject *args = json_object_new ();
    JsonArray *actions = json_array_new ();
    g_autoptr(GTask) inner = g_task_new (NULL, NULL, on_transaction, g_object_ref (task));

    for (guint i = 0; i < cd->ext->len; i++) {
      const ExtDisk *e = g_ptr_array_index (cd->ext, i);
      JsonObject *action = json_object_new ();
      JsonObject *data = json_object_new ();
      /* Node names: 31 characters at most, a letter first. */
      g_autofree char *node = g_strdup_printf ("%.16s-ov%08x", e->alias, g_random_int ());
      json_object_set_string_member (data, "node-name", e->node);
      json_object_set_string_member (data, "snapshot-file", e->overlay);
      json_object_set_string_member (data, "snapshot-node-name", node);
      json_object_set_string_member (data, "format", "qcow2");
      json_object_set_string_member (data, "mode", reuse ? "existing" : "absolute-paths");
      json_object_set_string_member (action, "type", "blockdev-snapshot-sync");
      json_object_set_object_member (action, "data", data);
      json_array_add_object_element (actions, action);
    }
    json_object_set_array_member (args, "actions", actions);
    vb_qemu_process_qmp_void (dom, "transaction", args, inner);
    json_object_unref (args);
    return;
  }
  if (reuse) {
    inactive_onto_overlays (dom, cd->ext);
    on_created_done (task, NULL);
    return;
  }
  {
    g_autoptr(GTask) inner = g_task_new (NULL, NULL, on_overlays_made, g_object_ref (task));
    ImgRun *run = g_new0 (ImgRun, 1);
    g_autofree char *tool = qemu_img_path (dom);

    run->argvs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
    for (guint i = 0; i < cd->ext->len; i++) {
      const ExtDisk *e = g_ptr_array_index (cd->ext, i);
      GStrv argv = g_new0 (char *, 11);
      argv[0] = g_strdup (tool);
      argv[1] = g_strdup ("create");
      argv[2] = g_strdup ("-q");
      argv[3] = g_strdup ("-f");
      argv[4] = g_strdup ("qcow2");
      argv[5] = g_strdup ("-F");
      argv[6] = g_strdup (e->backing_fmt);
      argv[7] = g_strdup ("-b");
      argv[8] = g_strdup (e->backing);
      argv[9] = g_strdup (e->overlay);
      g_ptr_array_add (run->argvs, argv);
    }
    g_task_set_task_data (inner, run, img_run_free);
    img_run_next (g_object_ref (inner));
  }
}

static void
on_failed_freeze_thawed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  CreateData *cd = g_task_get_task_data (task);
  g_autoptr(GError) ignored = NULL;
  g_autoptr(GVariant) count = g_task_propagate_pointer (G_TASK (result), &ignored);

  on_created_done (task, g_steal_pointer (&cd->taken));
}

static void
on_frozen (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  CreateData *cd = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GVariant) count = g_task_propagate_pointer (G_TASK (result), &error);

  if (count == NULL) {
    /* qemu-ga thaws what it froze when freezing fails; a thaw anyway, as
     * libvirt does, in case the agent went away half-way. */
    g_autoptr(GTask) thaw = g_task_new (NULL, NULL, on_failed_freeze_thawed, g_object_ref (task));
    g_prefix_error (&error, "freezing the guest's file systems: ");
    cd->taken = error;
    vb_qemu_agent_thaw_all (cd->dom, thaw);
    return;
  }
  create_external (task);
}

/* REDEFINE: metadata only (the data is assumed to be in the images). */
static void
redefine (VbObj *dom, VbSnapshotDef *def_in, guint flags, GTask *task)
{
  g_autoptr(VbSnapshotDef) def = def_in;
  VbObj *existing = vb_obj_lookup_child (dom, def->name);
  GError *error = NULL;
  VbObj *snap;

  if (!vb_snapshot_tree_check_redefine (dom, def, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (!vb_snapshot_tree_check_parent (dom, existing, def, &error)) {
    g_task_return_error (task, error);
    return;
  }
  def->active = -1;
  if (existing != NULL) {
    vb_obj_set_def (existing, g_steal_pointer (&def));
    snap = existing;
  } else {
    if (!vb_snapshot_tree_check_room (dom, &error)) {
      g_task_return_error (task, error);
      return;
    }
    snap = add_snapshot (dom, g_steal_pointer (&def));
  }
  if (!meta_save (dom, snap, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (flags & VB_SNAPSHOT_CREATE_CURRENT)
    set_current (dom, snap->name);
  g_task_return_pointer (task, g_object_ref (snap), g_object_unref);
}

static void
qemu_snapshot_create_xml (VbBackend *backend, VbObj *dom, const char *xml, guint flags, GTask *task)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autoptr(VbSnapshotDef) def = NULL;
  g_autoptr(GTask) inner = NULL;
  GError *error = NULL;
  gboolean external;
  CreateData *cd;

  CHECK_FLAGS (task, flags, VB_SNAPSHOT_CREATE_ALL, "SnapshotCreateXML");
  if ((flags & VB_SNAPSHOT_CREATE_LIVE) && (flags & VB_SNAPSHOT_CREATE_REDEFINE))
    FAIL (task, VB_ERROR_INVALID_ARG, "the LIVE flag of SnapshotCreateXML excludes REDEFINE");
  if ((flags & VB_SNAPSHOT_CREATE_CURRENT) && !(flags & VB_SNAPSHOT_CREATE_REDEFINE))
    FAIL (task, VB_ERROR_INVALID_ARG, "the CURRENT flag of SnapshotCreateXML requires the REDEFINE flag");
  if ((flags & VB_SNAPSHOT_CREATE_REDEFINE) && (flags & (VB_SNAPSHOT_CREATE_HALT | VB_SNAPSHOT_CREATE_NO_METADATA)))
    FAIL (task, VB_ERROR_INVALID_ARG, "the REDEFINE flag of SnapshotCreateXML excludes HALT and NO_METADATA");
  if ((flags & VB_SNAPSHOT_CREATE_HALT) && !dom->persistent)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot halt transient domain '%s' after a snapshot", dom->name);
  if (d->starting)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is being started", dom->name);

  def = vb_snapshot_def_parse_full (xml, (flags & VB_SNAPSHOT_CREATE_REDEFINE) ? 0 : VB_SNAPSHOT_PARSE_USER, &error);
  if (def == NULL) {
    g_task_return_error (task, error);
    return;
  }
  if (flags & VB_SNAPSHOT_CREATE_REDEFINE) {
    redefine (dom, g_steal_pointer (&def), flags, task);
    return;
  }
  if ((flags & VB_SNAPSHOT_CREATE_LIVE) && def->memory != VB_SNAPSHOT_LOCATION_EXTERNAL)
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "live snapshot creation is supported only with external memory snapshots");
  if ((flags & VB_SNAPSHOT_CREATE_QUIESCE) && def->memory == VB_SNAPSHOT_LOCATION_EXTERNAL)
    FAIL (task, VB_ERROR_INVALID_ARG, "QUIESCE is for disk-only snapshots, not with an external memory state");
  external = (flags & VB_SNAPSHOT_CREATE_DISK_ONLY) || snapshot_is_external (def);
  if ((flags & VB_SNAPSHOT_CREATE_REUSE_EXT) && !external)
    FAIL (task, VB_ERROR_INVALID_ARG, "REUSE_EXT is for external snapshots");
  if ((flags & VB_SNAPSHOT_CREATE_QUIESCE) && !external)
    FAIL (task, VB_ERROR_INVALID_ARG, "QUIESCE is for disk-only (external) snapshots");
  if ((flags & VB_SNAPSHOT_CREATE_QUIESCE) && !dom->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "QUIESCE needs domain '%s' running (its guest agent freezes its file "
          "systems)", dom->name);
  if (vb_obj_lookup_child (dom, def->name) != NULL)
    FAIL (task, VB_ERROR_EXISTS, "domain snapshot '%s' already exists", def->name);
  if (!vb_snapshot_tree_check_room (dom, &error)) {
    g_task_return_error (task, error);
    return;
  }

  cd = g_new0 (CreateData, 1);
  cd->dom = g_object_ref (dom);
  cd->flags = flags;
  g_task_set_task_data (task, cd, create_data_free);
  if (external)
    cd->ext = align_external (def, dom, flags, task, &error);
  else
    cd->disks = align_def (def, dom, &error);
  if (cd->disks == NULL && cd->ext == NULL) {
    g_task_return_error (task, error);
    return;
  }
  cd->def = g_steal_pointer (&def);
  cd->memory = cd->def->memory == VB_SNAPSHOT_LOCATION_EXTERNAL;
  /* Writing the memory is a migration: GetJobInfo follows it, AbortJob stops it. */
  if (vb_qemu_job_begin (dom, VB_QEMU_JOB_SNAPSHOT, cd->memory, &error) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  cd->job = TRUE;

  if (external && (flags & VB_SNAPSHOT_CREATE_QUIESCE)) {
    inner = g_task_new (NULL, NULL, on_frozen, g_object_ref (task));
    vb_qemu_agent_freeze_all (dom, inner);
    return;
  }
  if (external) {
    create_external (task);
    return;
  }
  inner = g_task_new (NULL, NULL, on_created, g_object_ref (task));
  if (dom->active) {
    /* QEMU stops the CPUs while it writes: that pause is the snapshot's. */
    cd->live = TRUE;
    d->pause_reason = VB_QEMU_PAUSED_SNAPSHOT;
    d->pause_detail = VB_QEMU_SUSPENDED_PAUSED;
    run_vm_snapshot_job (dom, "snapshot-save", cd->def->name, cd->disks, inner);
  } else {
    run_qemu_img (dom, "-c", cd->def->name, cd->disks, inner);
  }
}

/* ---- Delete ---- */

typedef struct {
  VbObj *dom;
  GPtrArray *doomed;   /* VbObj (owned), parents before children */
  guint flags;
  char *top;           /* the snapshot Delete was called on */
  char *top_parent;    /* its parent's name */
} DeleteData;

static void
delete_data_free (gpointer p)
{
  DeleteData *dd = p;

  g_object_unref (dd->dom);
  g_ptr_array_unref (dd->doomed);
  g_free (dd->top);
  g_free (dd->top_parent);
  g_free (dd);
}

/* Drops one snapshot's metadata and object; its children (when it keeps
 * any) move up to its parent. */
static void
forget_snapshot (VbObj *dom, VbObj *snap)
{
  g_autoptr(GPtrArray) kids = vb_snapshot_tree_reparent_children (snap);
  const char *parent = snap_def (snap)->parent;

  for (guint i = 0; i < kids->len; i++) {
    g_autoptr(GError) error = NULL;
    if (!meta_save (dom, g_ptr_array_index (kids, i), &error))
      g_warning ("%s", error->message);
  }
  if (g_strcmp0 (vb_snapshot_tree_get_current (dom), snap->name) == 0)
    set_current (dom, parent);
  meta_remove (dom, snap->name);
  vb_backend_remove_object (VB_BACKEND (vb_qemu_dom (dom)->backend), snap);
}

/* ---- deleting an external snapshot ----
 *
 * An external snapshot is the images its overlays were put on: deleting
 * it merges each overlay down into the image below it, so that the disk
 * loses that point in time and none of its data. While QEMU runs, that is
 * a commit of the overlay into its backing image (an active commit that
 * pivots the disk onto it when the overlay is the disk's top,
 * vb_qemu_disk_merge); shut off, `qemu-img commit` of the overlay, then
 * `qemu-img rebase -u` of the image above it (the next snapshot's
 * overlay) onto the image below. The overlay is removed once merged, and
 * the snapshots below name the image below where they named the overlay.
 * As in libvirt, the snapshot must be on the disks' current chains and
 * have at most one child snapshot; none below it may be internal (its data
 * would be in the overlays). Internal snapshots in the image below stay as
 * they are: qcow2 keeps them apart from what is committed.
 *
 * While the merges run, the file "deleting" in the metadata directory
 * names the snapshot: a daemon that starts meanwhile counts an overlay
 * that is gone as merged (and one whose merge QEMU finishes for it,
 * vb_qemu_snapshot_merge_ended). A disk whose merge failed keeps its
 * overlay and its place in the snapshot, which then covers the other
 * disks no more: calling Delete again merges what is left. */

typedef struct {
  char *dst;
  char *overlay;     /* the snapshot's overlay */
  char *base;        /* the image it was put on */
  char *base_format;
  VbDomainDiskType base_type;
  gboolean remove;   /* the overlay is a file: removed once merged */
  gboolean merged;
} MergeDisk;

static void
merge_disk_free (gpointer p)
{
  MergeDisk *m = p;

  g_free (m->dst);
  g_free (m->overlay);
  g_free (m->base);
  g_free (m->base_format);
  g_free (m);
}

/* The merge of overlay @sd->src_path back into the image disk @then (the
 * disk as the snapshot's domain definition has it) had. */
static MergeDisk *
merge_disk_new (const VbDomainDiskDef *then, const VbSnapshotDiskDef *sd)
{
  MergeDisk *m = g_new0 (MergeDisk, 1);

  m->dst = g_strdup (then->dst);
  m->overlay = g_strdup (sd->src_path);
  m->base = g_strdup (then->src_path);
  m->base_format = g_strdup (then->driver_format);
  m->base_type = vb_domain_disk_local_type (then);
  return m;
}

static gboolean
same_file (const char *a, const char *b)
{
  struct stat sa, sb;

  if (a == NULL || b == NULL)
    return FALSE;
  if (strcmp (a, b) == 0)
    return TRUE;
  return stat (a, &sa) == 0 && stat (b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static char *
deleting_path (VbObj *dom)
{
  g_autofree char *dir = meta_dir (dom);

  return g_build_filename (dir, "deleting", NULL);
}

/* The disk @dst of @def no longer has @m's overlay: it is the image below. */
static gboolean
def_drop_overlay (VbDomainDef *def, const MergeDisk *m)
{
  VbDomainDiskDef *disk = def != NULL ? vb_domain_def_find_disk_by_target (def, m->dst) : NULL;
  gboolean changed = FALSE;

  if (disk == NULL)
    return FALSE;
  if (g_strcmp0 (disk->src_path, m->overlay) == 0) {
    g_free (disk->src_path);
    disk->src_path = g_strdup (m->base);
    g_free (disk->driver_format);
    disk->driver_format = g_strdup (m->base_format);
    disk->type = m->base_type;
    /* The image below was the chain's first backing image: now it is the top. */
    if (disk->backing->len > 0 &&
        g_strcmp0 (((VbDomainDiskBacking *) g_ptr_array_index (disk->backing, 0))->path, m->base) == 0)
      g_ptr_array_remove_index (disk->backing, 0);
    return TRUE;
  }
  for (guint i = 0; i < disk->backing->len; i++) {
    VbDomainDiskBacking *b = g_ptr_array_index (disk->backing, i);
    if (g_strcmp0 (b->path, m->overlay) == 0) {
      g_ptr_array_remove_index (disk->backing, i);
      changed = TRUE;
      break;
    }
  }
  return changed;
}

/* Shut off: @dom's config writes to the image below @m's overlay when it
 * wrote to the overlay (the chain is in that image's header). */
static void
config_drop_overlay (VbObj *dom, const MergeDisk *m)
{
  VbDomainDef *config = vb_obj_get_persistent_def (dom);
  VbDomainDiskDef *disk;
  g_autoptr(GError) error = NULL;

  if (!def_drop_overlay (config, m))
    return;
  disk = vb_domain_def_find_disk_by_target (config, m->dst);
  g_ptr_array_set_size (disk->backing, 0);
  disk->backing_terminated = FALSE;
  if (!save_config (dom, &error))
    g_warning ("domain '%s': the config after merging disk '%s' was not saved: %s", dom->name, m->dst,
               error->message);
}

/* @m's overlay of @snap was merged: the snapshots below @snap name the
 * image below it instead, and @snap no longer covers the disk. */
static void
overlay_merged (VbObj *dom, VbObj *snap, const MergeDisk *m)
{
  g_autoptr(GPtrArray) below = g_ptr_array_new ();
  VbSnapshotDef *sdef = snap_def (snap);

  vb_snapshot_tree_collect_descendants (dom, snap->name, below);
  for (guint i = 0; i < below->len; i++) {
    VbObj *d = g_ptr_array_index (below, i);
    gboolean changed = def_drop_overlay (snap_def (d)->domain, m);
    g_autoptr(GError) error = NULL;

    changed = def_drop_overlay (snap_def (d)->inactive_domain, m) || changed;
    if (changed && !meta_save (dom, d, &error))
      g_warning ("%s", error->message);
  }
  for (guint i = 0; sdef->disks != NULL && i < sdef->disks->len; i++) {
    VbSnapshotDiskDef *sd = g_ptr_array_index (sdef->disks, i);
    if (sd->snapshot == VB_SNAPSHOT_LOCATION_EXTERNAL && g_strcmp0 (sd->src_path, m->overlay) == 0) {
      sd->snapshot = VB_SNAPSHOT_LOCATION_NO;
      sd->type = VB_SNAPSHOT_DISK_TYPE_FILE;
      g_clear_pointer (&sd->src_path, g_free);
      g_clear_pointer (&sd->driver_type, g_free);
    }
  }
}

/* @creds may write and remove the file @path (write its directory). */
static gboolean
caller_may_remove (const VbCallerCreds *creds, const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  return vb_path_policy_check (creds, path, R_OK | W_OK, 0, error) &&
         vb_path_policy_check (creds, dir, W_OK, 0, error);
}

/* The caller may remove @snap's memory state (a redefined snapshot may
 * name any file). */
static gboolean
may_drop_memory_file (VbObj *snap, GTask *task, GError **error)
{
  const VbSnapshotDef *sdef = snap_def (snap);
  const VbCallerCreds *creds = vb_task_get_caller_creds (task);

  if (creds == NULL || sdef->memory != VB_SNAPSHOT_LOCATION_EXTERNAL || sdef->memory_file == NULL ||
      !g_file_test (sdef->memory_file, G_FILE_TEST_EXISTS))
    return TRUE;
  return caller_may_remove (creds, sdef->memory_file, error);
}

/* A deleted snapshot's memory state goes with it (not with METADATA_ONLY). */
static void
drop_memory_file (VbObj *snap)
{
  const VbSnapshotDef *sdef = snap_def (snap);

  if (sdef->memory != VB_SNAPSHOT_LOCATION_EXTERNAL || sdef->memory_file == NULL)
    return;
  if (unlink (sdef->memory_file) < 0 && errno != ENOENT)
    g_warning ("cannot remove the memory state '%s' of deleted snapshot '%s': %s", sdef->memory_file, snap->name,
               g_strerror (errno));
}

static gboolean
has_external_disks (const VbSnapshotDef *def)
{
  for (guint i = 0; def->disks != NULL && i < def->disks->len; i++)
    if (((VbSnapshotDiskDef *) g_ptr_array_index (def->disks, i))->snapshot == VB_SNAPSHOT_LOCATION_EXTERNAL)
      return TRUE;
  return FALSE;
}

/* The disks whose overlays @snap's deletion merges. */
static GPtrArray *
merge_plan (VbObj *dom, VbObj *snap, GTask *task, GError **error)
{
  const VbSnapshotDef *sdef = snap_def (snap);
  const VbCallerCreds *creds = vb_task_get_caller_creds (task);
  g_autoptr(GPtrArray) plan = g_ptr_array_new_with_free_func (merge_disk_free);
  g_autoptr(GPtrArray) kids = vb_snapshot_tree_children (dom, snap->name);
  g_autoptr(GPtrArray) below = g_ptr_array_new ();
  const char *current = vb_snapshot_tree_get_current (dom);

  if (sdef->domain == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "snapshot '%s' has no domain definition to find the images below its overlays in", snap->name);
    return NULL;
  }
  /* A 'volume' disk's image is the volume's file, if the pool still has it. */
  vb_qemu_domain_resolve_volumes (vb_qemu_dom (dom)->backend, sdef->domain, FALSE, NULL);
  if (kids->len > 1) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "deleting external snapshot '%s' with %u child snapshots is not supported", snap->name, kids->len);
    return NULL;
  }
  if (kids->len > 0 && g_strcmp0 (current, snap->name) == 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "deleting external snapshot '%s', the current one, is not supported while it has a child", snap->name);
    return NULL;
  }
  if (current != NULL && g_strcmp0 (current, snap->name) != 0 && !vb_snapshot_tree_in_subtree (dom, snap, current)) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "external snapshot '%s' is not on the way to the current snapshot '%s': its overlays are not "
                 "what the domain runs on", snap->name, current);
    return NULL;
  }
  vb_snapshot_tree_collect_descendants (dom, snap->name, below);
  for (guint i = 0; i < below->len; i++) {
    VbObj *d = g_ptr_array_index (below, i);
    if (!snapshot_is_external (snap_def (d))) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                   "snapshot '%s' below external snapshot '%s' is internal: its data may be in the overlays "
                   "that would be merged; delete it first", d->name, snap->name);
      return NULL;
    }
  }

  for (guint i = 0; sdef->disks != NULL && i < sdef->disks->len; i++) {
    const VbSnapshotDiskDef *sd = g_ptr_array_index (sdef->disks, i);
    const VbDomainDiskDef *then;
    const VbDomainDiskDef *now;
    MergeDisk *m;
    struct stat st;

    if (sd->snapshot != VB_SNAPSHOT_LOCATION_EXTERNAL)
      continue;
    then = vb_domain_def_find_disk (sdef->domain, sd->name);
    if (then == NULL || then->src_path == NULL || sd->src_path == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                   "snapshot '%s' does not say which image disk '%s' had under its overlay", snap->name, sd->name);
      return NULL;
    }
    now = vb_domain_def_find_disk_by_target (dom->active ? dom->def : vb_obj_get_persistent_def (dom), then->dst);
    if (now == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' has no disk '%s' any more", dom->name,
                   then->dst);
      return NULL;
    }
    if (dom->active) {
      /* The live chain, as QEMU has it: the overlay right above the image
       * it was put on. */
      gboolean found = same_file (now->src_path, sd->src_path);
      const char *next = NULL;
      for (guint k = 0; k < now->backing->len && next == NULL; k++) {
        const VbDomainDiskBacking *b = g_ptr_array_index (now->backing, k);
        if (found)
          next = b->path;
        else
          found = same_file (b->path, sd->src_path);
      }
      if (!found) {
        g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                     "the overlay '%s' of snapshot '%s' is not in the backing chain of disk '%s'", sd->src_path,
                     snap->name, then->dst);
        return NULL;
      }
      if (!same_file (next, then->src_path)) {
        g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                     "the overlay '%s' of snapshot '%s' is not on the image '%s' it was put on, but on '%s'",
                     sd->src_path, snap->name, then->src_path, next ? next : "nothing");
        return NULL;
      }
      if (vb_qemu_disk_has_block_job (dom, then->dst)) {
        g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                     "disk '%s' has a block job running: the overlay of snapshot '%s' cannot be merged now",
                     then->dst, snap->name);
        return NULL;
      }
    }
    m = merge_disk_new (then, sd);
    g_ptr_array_add (plan, m);
    m->remove = stat (m->overlay, &st) == 0 && S_ISREG (st.st_mode);
    if (creds != NULL && m->remove &&
        (!caller_may_remove (creds, m->overlay, error) ||
         !vb_path_policy_check (creds, m->base, R_OK | W_OK, 0, error)))
      return NULL;
  }
  if (plan->len == 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "external snapshot '%s' has no overlay to merge",
                 snap->name);
    return NULL;
  }
  return g_steal_pointer (&plan);
}

typedef struct {
  VbObj *dom;
  VbObj *snap;
  GPtrArray *plan; /* MergeDisk */
  guint next;
  /* shut off: the disk being merged */
  char *above;     /* the image right above the overlay, NULL when it is the top */
  char *above_format;
} ExtDelete;

static void
ext_delete_free (gpointer p)
{
  ExtDelete *xd = p;

  g_object_unref (xd->dom);
  g_object_unref (xd->snap);
  g_ptr_array_unref (xd->plan);
  g_free (xd->above);
  g_free (xd->above_format);
  g_free (xd);
}

static void ext_delete_next (GTask *task);

/* The end, or where it stopped with @error: what was merged is recorded. */
static void
ext_delete_done (GTask *task, GError *error)
{
  ExtDelete *xd = g_task_get_task_data (task);
  VbObj *dom = xd->dom;
  g_autofree char *marker = deleting_path (dom);
  g_autoptr(GString) merged = g_string_new (NULL);

  for (guint i = 0; i < xd->plan->len; i++) {
    const MergeDisk *m = g_ptr_array_index (xd->plan, i);
    if (!m->merged)
      continue;
    overlay_merged (dom, xd->snap, m);
    g_string_append_printf (merged, "%s'%s'", merged->len ? ", " : "", m->dst);
  }
  if (error == NULL || !has_external_disks (snap_def (xd->snap))) {
    if (vb_obj_lookup_child (dom, xd->snap->name) == xd->snap) {
      drop_memory_file (xd->snap);
      forget_snapshot (dom, xd->snap);
    }
  } else if (merged->len > 0) {
    g_autoptr(GError) local = NULL;
    if (!meta_save (dom, xd->snap, &local))
      g_warning ("%s", local->message);
  }
  vb_file_remove (marker, NULL);
  vb_qemu_job_end (dom, error);
  if (error != NULL) {
    if (merged->len > 0)
      g_prefix_error (&error, "disks %s were merged and are no longer in it; ", merged->str);
    g_prefix_error (&error, "cannot delete snapshot '%s' of domain '%s': ", xd->snap->name, dom->name);
    g_task_return_error (task, error);
    return;
  }
  g_task_return_boolean (task, TRUE);
}

/* The merge of the current disk ended (@error: it failed, and the
 * deletion stops there); takes @task. */
static void
disk_merge_ended (GTask *task, GError *error)
{
  ExtDelete *xd = g_task_get_task_data (task);
  MergeDisk *m = g_ptr_array_index (xd->plan, xd->next);

  if (error != NULL) {
    g_prefix_error (&error, "disk '%s': ", m->dst);
    ext_delete_done (task, error);
    g_object_unref (task);
    return;
  }
  m->merged = TRUE;
  xd->next++;
  ext_delete_next (task);
}

static void
on_disk_merged (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError *error = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  disk_merge_ended (user_data, error);
}

/* Shut off: the overlay is committed, the image above it (if any) is on
 * the image below now: the overlay goes, and the config follows. */
static void
on_offline_merged (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  ExtDelete *xd = g_task_get_task_data (task);
  MergeDisk *m = g_ptr_array_index (xd->plan, xd->next);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    disk_merge_ended (task, error);
    return;
  }
  if (xd->above == NULL)
    config_drop_overlay (xd->dom, m);
  if (m->remove && g_unlink (m->overlay) != 0 && errno != ENOENT)
    g_warning ("domain '%s': cannot remove the merged overlay '%s': %s", xd->dom->name, m->overlay,
               g_strerror (errno));
  disk_merge_ended (task, NULL);
}

/* `qemu-img info --backing-chain` of the disk's top image: where the
 * overlay is and what is above it. */
static void
on_offline_chain (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  ExtDelete *xd = g_task_get_task_data (task);
  MergeDisk *m = g_ptr_array_index (xd->plan, xd->next);
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *chain;
  GError *error = NULL;
  int at = -1;

  if (!g_subprocess_communicate_utf8_finish (proc, result, &out, &err, &error)) {
    ext_delete_done (task, error);
    return;
  }
  if (!g_subprocess_get_successful (proc) || !json_parser_load_from_data (parser, out ? out : "", -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_ARRAY (root)) {
    ext_delete_done (task, g_error_new (VB_ERROR, VB_ERROR_FAILED, "disk '%s': cannot read its backing chain: %s",
                                        m->dst, err && *err ? g_strstrip (err) : "qemu-img info failed"));
    return;
  }
  chain = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (chain) && at < 0; i++) {
    JsonObject *img = json_array_get_object_element (chain, i);
    if (img != NULL && same_file (vb_qmp_member_str (img, "filename"), m->overlay))
      at = (int) i;
  }
  if (at < 0 || (guint) at + 1 >= json_array_get_length (chain) ||
      !same_file (vb_qmp_member_str (json_array_get_object_element (chain, at + 1), "filename"), m->base)) {
    ext_delete_done (task, g_error_new (VB_ERROR, VB_ERROR_OPERATION_INVALID,
                                        at < 0 ? "disk '%s': the overlay '%s' is not in its backing chain"
                                               : "disk '%s': the overlay '%s' is not on the image '%s' it was put on",
                                        m->dst, m->overlay, m->base));
    return;
  }
  g_clear_pointer (&xd->above, g_free);
  g_clear_pointer (&xd->above_format, g_free);
  if (at > 0) {
    JsonObject *img = json_array_get_object_element (chain, at - 1);
    xd->above = g_strdup (vb_qmp_member_str (img, "filename"));
    xd->above_format = g_strdup (vb_qmp_member_str (img, "format"));
  }
  {
    g_autoptr(GTask) inner = g_task_new (NULL, NULL, on_offline_merged, g_object_ref (task));
    g_autofree char *tool = qemu_img_path (xd->dom);
    ImgRun *run = g_new0 (ImgRun, 1);
    GStrv argv;

    run->argvs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
    /* Into the image right below (-b would allow farther ones). */
    argv = g_new0 (char *, 6);
    argv[0] = g_strdup (tool);
    argv[1] = g_strdup ("commit");
    argv[2] = g_strdup ("-q");
    argv[3] = g_strdup ("-d"); /* the overlay goes anyway; its data stays readable until then */
    argv[4] = g_strdup (m->overlay);
    g_ptr_array_add (run->argvs, argv);
    if (xd->above != NULL) {
      argv = g_new0 (char *, 11);
      argv[0] = g_strdup (tool);
      argv[1] = g_strdup ("rebase");
      argv[2] = g_strdup ("-u");
      argv[3] = g_strdup ("-f");
      argv[4] = g_strdup (xd->above_format ? xd->above_format : "qcow2");
      argv[5] = g_strdup ("-F");
      argv[6] = g_strdup (m->base_format ? m->base_format : "raw");
      argv[7] = g_strdup ("-b");
      argv[8] = g_strdup (m->base);
      argv[9] = g_strdup (xd->above);
      g_ptr_array_add (run->argvs, argv);
    }
    g_task_set_task_data (inner, run, img_run_free);
    img_run_next (g_object_ref (inner));
  }
}

static void
ext_delete_next (GTask *task)
{
  ExtDelete *xd = g_task_get_task_data (task);
  VbObj *dom = xd->dom;
  MergeDisk *m;

  if (xd->next >= xd->plan->len) {
    ext_delete_done (task, NULL);
    g_object_unref (task);
    return;
  }
  m = g_ptr_array_index (xd->plan, xd->next);
  if (dom->active) {
    GTask *inner = g_task_new (dom, NULL, on_disk_merged, task);
    vb_qemu_disk_merge (dom, m->dst, m->overlay, m->remove, inner);
    g_object_unref (inner);
  } else {
    const VbDomainDiskDef *disk = vb_domain_def_find_disk_by_target (vb_obj_get_persistent_def (dom), m->dst);
    g_autofree char *tool = qemu_img_path (dom);
    g_autoptr(GSubprocess) proc = NULL;
    GError *error = NULL;

    if (disk == NULL || disk->src_path == NULL) {
      ext_delete_done (task, g_error_new (VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' has no disk '%s' any more",
                                          dom->name, m->dst));
      g_object_unref (task);
      return;
    }
    proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, tool, "info",
                             "--output=json", "--backing-chain", "-U", disk->src_path, NULL);
    if (proc == NULL) {
      g_prefix_error (&error, "cannot run qemu-img: ");
      ext_delete_done (task, error);
      g_object_unref (task);
      return;
    }
    vb_child_track (proc);
    g_subprocess_communicate_utf8_async (proc, NULL, NULL, on_offline_chain, task);
  }
}

static void
delete_external (VbObj *snap, GTask *task)
{
  VbObj *dom = snap->parent;
  g_autoptr(GPtrArray) plan = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *dir = NULL;
  GError *error = NULL;
  ExtDelete *xd;

  if (dom->state != VB_DOMAIN_RUNNING && dom->state != VB_DOMAIN_PAUSED && dom->state != VB_DOMAIN_SHUTOFF)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot delete external snapshot '%s' of domain '%s' in its current state",
          snap->name, dom->name);
  if (!dom->active && !dom->persistent)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' has no definition", dom->name);
  if (!has_external_disks (snap_def (snap))) {
    /* Memory alone: its file and its metadata go, the tree stays. */
    if (!may_drop_memory_file (snap, task, &error)) {
      g_task_return_error (task, error);
      return;
    }
    drop_memory_file (snap);
    forget_snapshot (dom, snap);
    g_task_return_boolean (task, TRUE);
    return;
  }
  plan = merge_plan (dom, snap, task, &error);
  if (plan == NULL || !may_drop_memory_file (snap, task, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (vb_qemu_job_begin (dom, VB_QEMU_JOB_SNAPSHOT, FALSE, &error) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  dir = meta_dir (dom);
  marker = deleting_path (dom);
  if (g_mkdir_with_parents (dir, 0700) < 0 || !vb_file_write_atomic (marker, snap->name, -1, 0600, &error)) {
    if (error == NULL)
      g_set_error (&error, VB_ERROR, VB_ERROR_IO, "cannot create %s: %s", dir, g_strerror (errno));
    vb_qemu_job_end (dom, error);
    g_task_return_error (task, error);
    return;
  }
  xd = g_new0 (ExtDelete, 1);
  xd->dom = g_object_ref (dom);
  xd->snap = g_object_ref (snap);
  xd->plan = g_steal_pointer (&plan);
  g_task_set_task_data (task, xd, ext_delete_free);
  ext_delete_next (g_object_ref (task));
}

/* A deletion cut short by the daemon's end: overlays that are gone were
 * merged. @final: no merge of it can still be running. */
static void
finish_cut_delete (VbObj *dom, gboolean final)
{
  g_autofree char *marker = deleting_path (dom);
  g_autofree char *name = NULL;
  VbObj *snap;
  VbSnapshotDef *sdef;
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (merge_disk_free);

  if (!g_file_get_contents (marker, &name, NULL, NULL))
    return;
  snap = vb_obj_lookup_child (dom, name);
  if (snap == NULL) {
    vb_file_remove (marker, NULL);
    return;
  }
  sdef = snap_def (snap);
  for (guint i = 0; sdef->disks != NULL && i < sdef->disks->len; i++) {
    const VbSnapshotDiskDef *sd = g_ptr_array_index (sdef->disks, i);
    const VbDomainDiskDef *then = sdef->domain ? vb_domain_def_find_disk (sdef->domain, sd->name) : NULL;

    if (sd->snapshot != VB_SNAPSHOT_LOCATION_EXTERNAL || then == NULL || sd->src_path == NULL ||
        g_file_test (sd->src_path, G_FILE_TEST_EXISTS) || !g_file_test (then->src_path, G_FILE_TEST_EXISTS))
      continue;
    g_ptr_array_add (gone, merge_disk_new (then, sd));
  }
  for (guint i = 0; i < gone->len; i++) {
    const MergeDisk *m = g_ptr_array_index (gone, i);
    /* The config too, where the daemon had no time to change it. */
    if (!dom->active && dom->persistent)
      config_drop_overlay (dom, m);
    overlay_merged (dom, snap, m);
  }
  if (!has_external_disks (sdef)) {
    g_message ("domain '%s': the deletion of snapshot '%s' cut short by a restart is finished", dom->name, name);
    drop_memory_file (snap);
    forget_snapshot (dom, snap);
  } else {
    g_autoptr(GError) error = NULL;
    if (gone->len > 0 && !meta_save (dom, snap, &error))
      g_warning ("%s", error->message);
    if (!final)
      return;
    g_message ("domain '%s': the deletion of snapshot '%s' was cut short by a restart: call Delete again", dom->name,
               name);
  }
  vb_file_remove (marker, NULL);
}

void
vb_qemu_snapshot_merge_ended (VbObj *dom)
{
  finish_cut_delete (dom, !vb_qemu_disk_has_block_job (dom, NULL));
}

static void delete_next (GTask *task);

static void
on_data_deleted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  DeleteData *dd = g_task_get_task_data (task);
  g_autoptr(VbObj) snap = g_ptr_array_steal_index (dd->doomed, dd->doomed->len - 1);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    vb_qemu_job_end (dd->dom, error);
    g_prefix_error (&error, "cannot delete snapshot '%s' of domain '%s': ", snap->name, dd->dom->name);
    g_task_return_error (task, error);
    return;
  }
  if (vb_obj_lookup_child (dd->dom, snap->name) == snap)
    forget_snapshot (dd->dom, snap);
  delete_next (g_steal_pointer (&task));
}

/* Deletes the last of the doomed (children go before their parents). */
static void
delete_next (GTask *task)
{
  DeleteData *dd = g_task_get_task_data (task);
  VbObj *dom = dd->dom;
  g_autoptr(GPtrArray) disks = NULL;
  GError *error = NULL;
  GTask *inner;
  VbObj *snap;

  if (dd->doomed->len == 0) {
    vb_qemu_job_end (dom, NULL);
    /* CHILDREN_ONLY keeps the snapshot, which becomes current when the
     * current one was below it. */
    if ((dd->flags & VB_SNAPSHOT_DELETE_CHILDREN_ONLY) && vb_snapshot_tree_get_current (dom) != NULL &&
        vb_obj_lookup_child (dom, vb_snapshot_tree_get_current (dom)) == NULL)
      set_current (dom, dd->top);
    g_task_return_boolean (task, TRUE);
    g_object_unref (task);
    return;
  }
  snap = g_ptr_array_index (dd->doomed, dd->doomed->len - 1);
  inner = g_task_new (NULL, NULL, on_data_deleted, task);
  if (dd->flags & VB_SNAPSHOT_DELETE_METADATA_ONLY) {
    g_task_return_boolean (inner, TRUE);
  } else {
    /* Shut off, the images the snapshot was taken in, wherever the disks
     * are now (under an external snapshot's overlay, say). */
    const VbDomainDef *def = dom->active ? dom->def
                             : snap_def (snap)->domain ? snap_def (snap)->domain
                             : vb_obj_get_persistent_def (dom);
    disks = snapshot_disks (dom, snap, def, &error);
    if (disks != NULL && dom->active && snap_def (snap)->domain != NULL) {
      for (guint i = 0; i < disks->len; i++) {
        const SnapDisk *sd = g_ptr_array_index (disks, i);
        const VbDomainDiskDef *then = vb_domain_def_find_disk_by_target (snap_def (snap)->domain, sd->dst);
        if (then != NULL && !same_file (then->src_path, sd->path)) {
          g_clear_pointer (&disks, g_ptr_array_unref);
          g_set_error (&error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                       "disk '%s' of running domain '%s' is no longer the image '%s' snapshot '%s' is in; delete "
                       "it while the domain is shut off", sd->dst, dom->name, then->src_path, snap->name);
          break;
        }
      }
    }
    if (disks == NULL) {
      g_task_return_error (inner, error);
    } else if (disks->len == 0) {
      g_task_return_boolean (inner, TRUE);
    } else if (dom->active) {
      g_autoptr(JsonObject) args = json_object_new ();
      json_object_set_string_member (args, "tag", snap->name);
      json_object_set_array_member (args, "devices", node_array (disks));
      run_qmp_job (dom, "snapshot-delete", args, inner);
    } else {
      run_qemu_img (dom, "-d", snap->name, disks, inner);
    }
  }
  g_object_unref (inner);
}

static void
qemu_snapshot_delete (VbBackend *backend, VbObj *snap, guint flags, GTask *task)
{
  VbObj *dom = snap->parent;
  GError *error = NULL;
  DeleteData *dd;

  CHECK_FLAGS (task, flags, VB_SNAPSHOT_DELETE_ALL, "Delete");
  VB_SNAPSHOT_TREE_REQUIRE_LIVE (task, snap);
  if (!vb_snapshot_tree_check_delete (flags, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (vb_qemu_dom (dom)->starting)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is being started", dom->name);
  if (!(flags & VB_SNAPSHOT_DELETE_METADATA_ONLY)) {
    g_autoptr(GPtrArray) doomed = vb_snapshot_tree_doomed (snap, flags);
    for (guint i = 0; i < doomed->len; i++) {
      VbObj *s2 = g_ptr_array_index (doomed, i);
      if (!snapshot_is_external (snap_def (s2)))
        continue;
      if (flags & VB_SNAPSHOT_DELETE_CHILDREN_ONLY)
        FAIL (task, VB_ERROR_NOT_SUPPORTED,
              "deleting external child snapshots (such as '%s') all at once is not supported: delete them one "
              "at a time", s2->name);
      if (flags & VB_SNAPSHOT_DELETE_CHILDREN)
        FAIL (task, VB_ERROR_NOT_SUPPORTED,
              "deleting external snapshots (such as '%s') together with their children is not supported: delete "
              "them one at a time, the newest first", s2->name);
    }
    if (snapshot_is_external (snap_def (snap)) && !(flags & VB_SNAPSHOT_DELETE_CHILDREN_ONLY)) {
      delete_external (snap, task);
      return;
    }
  }
  if (vb_qemu_job_begin (dom, VB_QEMU_JOB_SNAPSHOT, FALSE, &error) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  dd = g_new0 (DeleteData, 1);
  dd->dom = g_object_ref (dom);
  dd->flags = flags;
  dd->top = g_strdup (snap->name);
  dd->top_parent = g_strdup (snap_def (snap)->parent);
  dd->doomed = vb_snapshot_tree_doomed (snap, flags);
  g_task_set_task_data (task, dd, delete_data_free);
  delete_next (g_object_ref (task));
}

/* ---- Revert ---- */

typedef struct {
  VbObj *dom;
  VbObj *snap;
  guint flags;
  gboolean want_paused;
  gboolean job;
} RevertData;

static void
revert_data_free (gpointer p)
{
  RevertData *rd = p;

  g_object_unref (rd->dom);
  g_object_unref (rd->snap);
  g_free (rd);
}

static void
revert_fail (GTask *task, GError *error)
{
  RevertData *rd = g_task_get_task_data (task);

  if (rd->job) {
    vb_qemu_job_end (rd->dom, error);
    rd->job = FALSE;
  }
  g_prefix_error (&error, "cannot revert domain '%s' to snapshot '%s': ", rd->dom->name, rd->snap->name);
  g_task_return_error (task, error);
}

static void
revert_done (GTask *task)
{
  RevertData *rd = g_task_get_task_data (task);

  if (rd->job) {
    vb_qemu_job_end (rd->dom, NULL);
    rd->job = FALSE;
  }
  set_current (rd->dom, rd->snap->name);
  g_task_return_boolean (task, TRUE);
}

static void
on_started_from_snapshot (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    revert_fail (task, error);
    return;
  }
  revert_done (task);
}

/* The start's prepare hook: the guest's state from the snapshot, before
 * its CPUs ever run. */
static void
prepare_load (VbObj *dom, VbQmp *qmp, GTask *task, gpointer user_data)
{
  VbObj *snap = user_data;
  g_autoptr(GPtrArray) disks = NULL;
  GError *error = NULL;

  disks = snapshot_disks (dom, snap, dom->def, &error);
  if (disks == NULL) {
    g_task_return_error (task, error);
    return;
  }
  if (disks->len == 0)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "snapshot '%s' has no disk holding its memory state", snap->name);
  run_vm_snapshot_job (dom, "snapshot-load", snap->name, disks, task);
}

/* Starts shut-off @dom from the snapshot (@load: with its memory state)
 * or, without @load, boots it (a shut-off snapshot with RUNNING/PAUSED). */
static void
revert_start (GTask *task, gboolean load)
{
  RevertData *rd = g_task_get_task_data (task);
  VbQemuStartOptions opts = { 0 };
  GTask *start;

  if (rd->job) {
    /* The start is a job of its own kind as far as others can see. */
    vb_qemu_job_end (rd->dom, NULL);
    rd->job = FALSE;
  }
  opts.started_detail = VB_QEMU_STARTED_FROM_SNAPSHOT;
  opts.running_reason = VB_QEMU_RUNNING_FROM_SNAPSHOT;
  opts.suspended_detail = VB_QEMU_SUSPENDED_FROM_SNAPSHOT;
  opts.paused_reason = VB_QEMU_PAUSED_FROM_SNAPSHOT;
  if (load) {
    opts.prepare = prepare_load;
    opts.user_data = g_object_ref (rd->snap);
    opts.user_data_free = g_object_unref;
  }
  start = g_task_new (vb_qemu_dom (rd->dom)->backend, NULL, on_started_from_snapshot, g_object_ref (task));
  vb_qemu_process_start_full (vb_qemu_dom (rd->dom)->backend, rd->dom, rd->want_paused ? VB_QEMU_START_PAUSED : 0,
                              &opts, start);
  g_object_unref (start);
}

/* Leaves running @dom paused by the revert (state, event). */
static void
note_reverted_paused (VbObj *dom)
{
  vb_obj_set_state (dom, VB_DOMAIN_PAUSED, VB_QEMU_PAUSED_FROM_SNAPSHOT, dom->id);
  vb_qemu_process_save_state (dom, NULL);
  vb_qemu_emit (vb_qemu_dom (dom)->backend, dom, VB_QEMU_EV_SUSPENDED, VB_QEMU_SUSPENDED_FROM_SNAPSHOT);
}

/* The persistent config of running @dom goes back to the snapshot's. */
static void
revert_persistent_def (VbObj *dom, const VbSnapshotDef *sdef)
{
  const VbDomainDef *want = sdef->inactive_domain ? sdef->inactive_domain : sdef->domain;
  VbDomainDef *copy;
  g_autoptr(GError) error = NULL;

  if (!dom->persistent || defs_equal (vb_obj_get_persistent_def (dom), want))
    return;
  copy = vb_domain_def_copy (want);
  copy->id = -1;
  vb_obj_set_newdef (dom, copy);
  vb_obj_set_updated (dom, !defs_equal (dom->def, copy));
  if (!save_config (dom, &error))
    g_warning ("cannot save the reverted definition of domain '%s': %s", dom->name, error->message);
  vb_qemu_emit (vb_qemu_dom (dom)->backend, dom, VB_QEMU_EV_DEFINED, VB_QEMU_DEFINED_FROM_SNAPSHOT);
}

static void
on_revert_cont (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  RevertData *rd = g_task_get_task_data (task);
  VbObj *dom = rd->dom;
  GError *error = NULL;

  snaps (dom)->reverting = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    note_reverted_paused (dom);
    revert_fail (task, error);
    return;
  }
  vb_obj_set_state (dom, VB_DOMAIN_RUNNING, VB_QEMU_RUNNING_FROM_SNAPSHOT, dom->id);
  vb_qemu_process_save_state (dom, NULL);
  vb_qemu_emit (vb_qemu_dom (dom)->backend, dom, VB_QEMU_EV_RESUMED, VB_QEMU_RESUMED_FROM_SNAPSHOT);
  revert_done (task);
}

static void
on_revert_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  RevertData *rd = g_task_get_task_data (task);
  VbObj *dom = rd->dom;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    /* Whatever the guest's state now, it is paused: say so. */
    snaps (dom)->reverting = FALSE;
    if (dom->active)
      note_reverted_paused (dom);
    revert_fail (task, error);
    return;
  }
  revert_persistent_def (dom, snap_def (rd->snap));
  if (rd->want_paused) {
    snaps (dom)->reverting = FALSE;
    note_reverted_paused (dom);
    revert_done (task);
    return;
  }
  {
    GTask *cont = g_task_new (NULL, NULL, on_revert_cont, g_object_ref (task));
    vb_qemu_process_qmp_void (dom, "cont", NULL, cont);
    g_object_unref (cont);
  }
}

static void
on_revert_stopped_cpus (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  RevertData *rd = g_task_get_task_data (task);
  g_autoptr(GPtrArray) disks = NULL;
  GError *error = NULL;
  GTask *load;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    snaps (rd->dom)->reverting = FALSE;
    revert_fail (task, error);
    return;
  }
  disks = snapshot_disks (rd->dom, rd->snap, rd->dom->def, &error);
  if (disks != NULL && disks->len == 0)
    error = g_error_new (VB_ERROR, VB_ERROR_OPERATION_INVALID, "snapshot '%s' has no disk holding its memory state",
                         rd->snap->name);
  load = g_task_new (NULL, NULL, on_revert_loaded, g_object_ref (task));
  if (error != NULL)
    g_task_return_error (load, error);
  else
    run_vm_snapshot_job (rd->dom, "snapshot-load", rd->snap->name, disks, load);
  g_object_unref (load);
}

static void
on_images_reverted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  RevertData *rd = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    revert_fail (task, error);
    return;
  }
  assign_inactive_def (rd->dom, snap_def (rd->snap)->domain);
  if (rd->flags & (VB_SNAPSHOT_REVERT_RUNNING | VB_SNAPSHOT_REVERT_PAUSED)) {
    revert_start (task, FALSE);
    return;
  }
  revert_done (task);
}

/* Shut-off @dom, shut-off snapshot: the images go back with qemu-img. */
static void
revert_images (GTask *task)
{
  RevertData *rd = g_task_get_task_data (task);
  g_autoptr(GPtrArray) disks = NULL;
  GError *error = NULL;
  GTask *img;

  disks = snapshot_disks (rd->dom, rd->snap, snap_def (rd->snap)->domain, &error);
  if (disks == NULL) {
    revert_fail (task, error);
    return;
  }
  img = g_task_new (NULL, NULL, on_images_reverted, g_object_ref (task));
  run_qemu_img (rd->dom, "-a", rd->snap->name, disks, img);
  g_object_unref (img);
}

static void
on_revert_destroyed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  RevertData *rd = g_task_get_task_data (task);
  const VbSnapshotDef *sdef = snap_def (rd->snap);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    revert_fail (task, error);
    return;
  }
  if (sdef->state == VB_SNAPSHOT_STATE_SHUTOFF) {
    revert_images (task);
    return;
  }
  assign_inactive_def (rd->dom, sdef->domain);
  revert_start (task, TRUE);
}

/* Reverting to internal snapshot @snap writes its images: none of them
 * may be under an external snapshot's overlay, whose data would change. */
static gboolean
revert_keeps_overlays (VbObj *dom, VbObj *snap, GError **error)
{
  const VbSnapshotDef *def = snap_def (snap);
  g_autoptr(GPtrArray) all = vb_snapshot_tree_all (dom);

  for (guint i = 0; def->domain != NULL && i < all->len; i++) {
    VbObj *over = g_ptr_array_index (all, i);
    const VbSnapshotDef *other = snap_def (over);
    for (guint k = 0; other->domain != NULL && other->disks != NULL && k < other->disks->len; k++) {
      const VbSnapshotDiskDef *sd = g_ptr_array_index (other->disks, k);
      const VbDomainDiskDef *below = vb_domain_def_find_disk (other->domain, sd->name);
      const VbDomainDiskDef *mine;
      if (sd->snapshot != VB_SNAPSHOT_LOCATION_EXTERNAL || below == NULL || below->src_path == NULL)
        continue;
      mine = vb_domain_def_find_disk_by_path (def->domain, below->src_path);
      if (mine != NULL && disk_is_writable (mine) && g_file_test (sd->src_path, G_FILE_TEST_EXISTS)) {
        g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                     "cannot revert to snapshot '%s': its image '%s' is under the overlay '%s' of external "
                     "snapshot '%s', whose data would change; delete '%s' first", snap->name, below->src_path,
                     sd->src_path, over->name, over->name);
        return FALSE;
      }
    }
  }
  return TRUE;
}

static void
qemu_snapshot_revert (VbBackend *backend, VbObj *snap, guint flags, GTask *task)
{
  VbObj *dom = snap->parent;
  VbQemuDom *d = vb_qemu_dom (dom);
  const VbSnapshotDef *def = snap_def (snap);
  gboolean with_memory;
  GError *error = NULL;
  RevertData *rd;

  CHECK_FLAGS (task, flags, VB_SNAPSHOT_REVERT_ALL, "Revert");
  VB_SNAPSHOT_TREE_REQUIRE_LIVE (task, snap);
  if (!vb_snapshot_tree_check_revert (snap, flags, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (def->state == VB_SNAPSHOT_STATE_DISK_SNAPSHOT || def->memory == VB_SNAPSHOT_LOCATION_EXTERNAL)
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "reverting to an external snapshot is not supported");
  if (!revert_keeps_overlays (dom, snap, &error)) {
    g_task_return_error (task, error);
    return;
  }
  with_memory = def->state == VB_SNAPSHOT_STATE_RUNNING || def->state == VB_SNAPSHOT_STATE_PAUSED;
  if (!with_memory && def->state != VB_SNAPSHOT_STATE_SHUTOFF)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot revert to snapshot '%s' taken in state %s", snap->name,
          vb_snapshot_state_to_string (def->state));
  if (!dom->persistent && !with_memory)
    FAIL (task, VB_ERROR_OPERATION_INVALID,
          "transient domain '%s' cannot be reverted to shut-off snapshot '%s'", dom->name, snap->name);
  if (d->starting)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is being started", dom->name);
  if (dom->active && with_memory && !defs_equal (dom->def, def->domain) && !(flags & VB_SNAPSHOT_REVERT_FORCE))
    FAIL (task, VB_ERROR_OPERATION_INVALID,
          "the definition of snapshot '%s' differs from running domain '%s': reverting restarts it; use the FORCE "
          "flag", snap->name, dom->name);
  if (!dom->persistent && dom->active && with_memory && !defs_equal (dom->def, def->domain))
    FAIL (task, VB_ERROR_OPERATION_INVALID,
          "transient domain '%s' cannot be restarted with the definition of snapshot '%s'", dom->name, snap->name);
  if (vb_qemu_job_begin (dom, VB_QEMU_JOB_SNAPSHOT_REVERT, FALSE, &error) == NULL) {
    g_task_return_error (task, error);
    return;
  }

  rd = g_new0 (RevertData, 1);
  rd->dom = g_object_ref (dom);
  rd->snap = g_object_ref (snap);
  rd->flags = flags;
  rd->job = TRUE;
  rd->want_paused =
    !(flags & VB_SNAPSHOT_REVERT_RUNNING) &&
    (def->state == VB_SNAPSHOT_STATE_PAUSED || (flags & VB_SNAPSHOT_REVERT_PAUSED));
  g_task_set_task_data (task, rd, revert_data_free);

  if (dom->active && (!with_memory || !defs_equal (dom->def, def->domain))) {
    /* Another machine, or none at all: this QEMU goes. */
    GTask *stop = g_task_new (NULL, NULL, on_revert_destroyed, g_object_ref (task));
    vb_qemu_process_destroy (d->backend, dom, VB_QEMU_STOP_SNAPSHOT, FALSE, stop);
    g_object_unref (stop);
    return;
  }
  if (dom->active) {
    /* Our stop, load, cont: their STOP/RESUME are the revert's. */
    GTask *stop = g_task_new (NULL, NULL, on_revert_stopped_cpus, g_object_ref (task));
    snaps (dom)->reverting = TRUE;
    vb_qemu_process_qmp_void (dom, "stop", NULL, stop);
    g_object_unref (stop);
    return;
  }
  if (!with_memory) {
    revert_images (task);
    return;
  }
  assign_inactive_def (dom, def->domain);
  revert_start (task, TRUE);
}

/* ---- the part's hooks ---- */

static void
snapshot_ops_init (VbDomainOpsInterface *iface)
{
  vb_snapshot_tree_ops_init (iface);
  iface->snapshot_create_xml = qemu_snapshot_create_xml;
  iface->snapshot_delete = qemu_snapshot_delete;
  iface->snapshot_revert = qemu_snapshot_revert;
}

static gint
by_creation (gconstpointer a, gconstpointer b)
{
  const VbSnapshotDef *da = *(VbSnapshotDef **) a;
  const VbSnapshotDef *db = *(VbSnapshotDef **) b;

  if (da->creation_time != db->creation_time)
    return da->creation_time < db->creation_time ? -1 : 1;
  return strcmp (da->name, db->name);
}

/* Loads the metadata kept for @dom. Parents are added before their
 * children, so listings keep parents first. */
static void
snapshot_loaded (VbQemuBackend *self, VbObj *dom)
{
  g_autofree char *dir = NULL;
  g_autofree char *current_path = NULL;
  g_autofree char *current = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GPtrArray) defs = NULL;
  g_autoptr(GHashTable) added = NULL;

  /* meta_dir (): <lib dir>/snapshot/<uuid>; most domains have none. */
  if (!vb_qemu_lib_entry_exists (self, "snapshot", dom->uuid))
    return;
  dir = meta_dir (dom);
  current_path = g_build_filename (dir, "current", NULL);
  files = vb_dir_list_files (dir, ".xml", &error);
  defs = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_snapshot_def_free);
  added = g_hash_table_new (g_str_hash, g_str_equal);
  if (files == NULL) {
    g_warning ("cannot read the snapshots of domain '%s': %s", dom->name, error->message);
    return;
  }
  for (guint i = 0; i < files->len; i++) {
    const char *path = g_ptr_array_index (files, i);
    g_autoptr(GError) local = NULL;
    g_autofree char *xml = NULL;
    VbSnapshotDef *def;

    if (!g_file_get_contents (path, &xml, NULL, &local) || (def = vb_snapshot_def_parse (xml, &local)) == NULL) {
      g_warning ("ignoring snapshot metadata %s: %s", path, local->message);
      continue;
    }
    g_ptr_array_add (defs, def);
  }
  g_ptr_array_sort (defs, by_creation);
  /* Parents first; a snapshot whose parent is missing becomes a root. */
  while (defs->len > 0) {
    gboolean progress = FALSE;

    for (guint i = 0; i < defs->len;) {
      VbSnapshotDef *def = g_ptr_array_index (defs, i);
      if (vb_obj_lookup_child (dom, def->name) != NULL) {
        g_ptr_array_remove_index (defs, i);
      } else if (def->parent == NULL || g_hash_table_contains (added, def->parent)) {
        VbObj *snap = add_snapshot (dom, g_ptr_array_steal_index (defs, i));
        g_hash_table_add (added, snap->name);
        progress = TRUE;
      } else {
        i++;
      }
    }
    if (!progress && defs->len > 0) {
      VbSnapshotDef *def = g_ptr_array_index (defs, 0);
      g_warning ("snapshot '%s' of domain '%s' lost its parent '%s'", def->name, dom->name, def->parent);
      g_clear_pointer (&def->parent, g_free);
    }
  }
  if (g_file_get_contents (current_path, &current, NULL, NULL) && vb_obj_lookup_child (dom, current) != NULL) {
    vb_snapshot_tree_set_current (dom, current);
  }
  /* Merges a QEMU still running may go on with are finished when they
   * end (vb_qemu_snapshot_merge_ended); without one, nothing goes on. */
  {
    g_autofree char *state = vb_qemu_domain_state_path (self, dom->name);
    finish_cut_delete (dom, !g_file_test (state, G_FILE_TEST_EXISTS));
  }
}

static void
snapshot_stopped (VbObj *dom, gboolean detached)
{
  VbQemuSnapshots *s = vb_qemu_dom (dom)->snapshots;
  g_autoptr(GList) tasks = NULL;

  if (s == NULL)
    return;
  s->reverting = FALSE;
  if (!detached && !dom->persistent)
    /* A transient domain's snapshots end with it, as in libvirt. */
    meta_remove_all (dom);
  tasks = g_hash_table_get_values (s->jobs);
  for (GList *l = tasks; l != NULL; l = l->next)
    g_object_ref (l->data);
  g_hash_table_remove_all (s->jobs);
  for (GList *l = tasks; l != NULL; l = l->next) {
    g_task_return_new_error (l->data, VB_ERROR, VB_ERROR_FAILED, "QEMU of domain '%s' %s during the snapshot job",
                             dom->name, detached ? "was detached" : "exited");
    g_object_unref (l->data);
  }
}

static gboolean
snapshot_event (VbObj *dom, const char *name, JsonObject *data)
{
  VbQemuSnapshots *s = vb_qemu_dom (dom)->snapshots;
  const char *id, *status;
  g_autoptr(GTask) task = NULL;
  VbQmp *qmp;

  if (s == NULL)
    return FALSE;
  if (s->reverting && (g_strcmp0 (name, "STOP") == 0 || g_strcmp0 (name, "RESUME") == 0))
    return TRUE;
  if (g_strcmp0 (name, "JOB_STATUS_CHANGE") != 0 || data == NULL)
    return FALSE;
  id = json_object_get_string_member_with_default (data, "id", NULL);
  status = json_object_get_string_member_with_default (data, "status", NULL);
  if (id == NULL || !g_hash_table_contains (s->jobs, id))
    return FALSE;
  if (g_strcmp0 (status, "concluded") != 0)
    return TRUE;
  {
    gpointer key = NULL, value = NULL;
    g_hash_table_steal_extended (s->jobs, id, &key, &value);
    g_free (key);
    task = value;
  }
  qmp = vb_qemu_process_get_qmp (dom);
  if (qmp == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "the monitor of domain '%s' went away", dom->name);
    return TRUE;
  }
  vb_qmp_execute_async (qmp, "query-jobs", NULL, NULL, on_job_queried, g_steal_pointer (&task));
  return TRUE;
}

static gboolean
snapshot_undefine (VbObj *dom, guint flags, GError **error)
{
  g_autoptr(GPtrArray) all = vb_snapshot_tree_all (dom);

  /* A running domain keeps its snapshots (it becomes transient). */
  if (dom->active || all->len == 0)
    return TRUE;
  if (!(flags & UNDEFINE_SNAPSHOTS_METADATA)) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "cannot undefine domain '%s' with %u snapshots; use the SNAPSHOTS_METADATA flag to drop their "
                 "metadata (the data stays in the images)", dom->name, all->len);
    return FALSE;
  }
  meta_remove_all (dom);
  for (guint i = all->len; i > 0; i--)
    vb_backend_remove_object (VB_BACKEND (vb_qemu_dom (dom)->backend), g_ptr_array_index (all, i - 1));
  return TRUE;
}

static gboolean
snapshot_rename (VbObj *dom, const char *new_name, GError **error)
{
  if (!has_snapshots (dom))
    return TRUE;
  g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "cannot rename domain '%s' with snapshots", dom->name);
  return FALSE;
}

static void
snapshot_dom_free (VbQemuDom *d)
{
  VbQemuSnapshots *s = d->snapshots;

  if (s == NULL)
    return;
  d->snapshots = NULL;
  g_hash_table_unref (s->jobs);
  g_free (s);
}

const VbQemuPart vb_qemu_part_snapshot = {
  .name = "snapshot",
  .ops_init = snapshot_ops_init,
  .loaded = snapshot_loaded,
  .stopped = snapshot_stopped,
  .event = snapshot_event,
  .undefine = snapshot_undefine,
  .rename = snapshot_rename,
  .dom_free = snapshot_dom_free,
};
