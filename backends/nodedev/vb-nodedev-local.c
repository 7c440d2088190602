/* The host's devices as node devices of a connection backend.
 *
 * Reading sysfs happens in worker threads; the registry changes on the
 * main loop. Kernel uevents and rescans go through one queue, handled one
 * at a time in order, so an "add" and its "remove" can never swap; the
 * socket is opened before the first scan so nothing happening meanwhile
 * is missed (it waits behind the scan). When the socket's buffer
 * overflows or too many events wait, one full rescan replaces them.
 *
 * Which device is which: devpath ("devices/…") → VbObj, the devpath being
 * the device's <path> without "/sys/". */
#include "config.h"

#include "vb-nodedev-local.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "vb-error.h"
#include "vb-nodedev-def.h"
#include "vb-nodedev-sysfs.h"
#include "vb-nodedev-uevent.h"
#include "vb-xml.h"

#define LOCAL_KEY "vb-nodedev-local"
/* More waiting than this: a full rescan is cheaper and surer. */
#define MAX_PENDING 4096
/* Messages taken per wakeup, so a storm cannot starve the main loop. */
#define MAX_BATCH 64

typedef enum {
  EV_SCAN,
  EV_ADD,
  EV_CHANGE,
  EV_MOVE,
  EV_REMOVE,
} EvKind;

typedef struct {
  EvKind kind;
  gboolean initial; /* EV_SCAN of the load: no events for clients */
  char *devpath;
  char *devpath_old;
  char *subsystem;
} Ev;

typedef struct {
  VbBackend *backend; /* not owned: this lives on it */
  guint generation;   /* tells a job of this state from one of an earlier */
  VbNodedevSysfs *sysfs;
  GHashTable *by_devpath; /* devpath → VbObj (reference) */
  int fd;
  guint watch;
  GQueue pending; /* Ev */
  gboolean busy;  /* a job of the queue runs */
  gboolean stopped;
  GTask *load; /* until the first scan is registered */
} Local;

static guint generations;

static void process_next (Local *local);

static void
ev_free (gpointer p)
{
  Ev *ev = p;

  g_free (ev->devpath);
  g_free (ev->devpath_old);
  g_free (ev->subsystem);
  g_free (ev);
}

static Ev *
ev_new (EvKind kind, const char *devpath, const char *subsystem, const char *devpath_old)
{
  Ev *ev = g_new0 (Ev, 1);

  ev->kind = kind;
  ev->devpath = g_strdup (devpath);
  ev->subsystem = g_strdup (subsystem);
  ev->devpath_old = g_strdup (devpath_old);
  return ev;
}

static void
local_free (gpointer p)
{
  Local *local = p;

  g_clear_handle_id (&local->watch, g_source_remove);
  if (local->fd >= 0)
    close (local->fd);
  g_queue_clear_full (&local->pending, ev_free);
  g_clear_pointer (&local->by_devpath, g_hash_table_unref);
  g_clear_pointer (&local->sysfs, vb_nodedev_sysfs_unref);
  g_free (local);
}

static Local *
local_get (VbBackend *backend)
{
  return g_object_get_data (G_OBJECT (backend), LOCAL_KEY);
}

static Local *
local_for_op (VbBackend *backend, GError **error)
{
  Local *local = local_get (backend);

  if (local == NULL || local->stopped) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "the host's devices are not being followed");
    return NULL;
  }
  return local;
}

/* ---- the registry ---- */

static void
set_parent (Local *local, const char *devpath, VbNodeDevDef *def)
{
  VbObj *parent = vb_nodedev_sysfs_find_ancestor (local->by_devpath, devpath);

  g_free (def->parent);
  def->parent = g_strdup (parent ? parent->name : VB_NODEDEV_COMPUTER);
}

/* Takes @def; @devpath NULL for "computer". */
static VbObj *
register_device (Local *local, const char *devpath, VbNodeDevDef *def, gboolean emit)
{
  g_autoptr(VbObj) obj = NULL;

  if (vb_backend_lookup_by_name (local->backend, VB_OBJ_NODE_DEVICE, def->name) != NULL) {
    g_debug ("%s: the name %s is taken, not listed", devpath ? devpath : "", def->name);
    vb_nodedev_def_free (def);
    return NULL;
  }
  if (devpath != NULL)
    set_parent (local, devpath, def);
  obj = vb_obj_new (VB_OBJ_NODE_DEVICE, def->name, NULL, def, (GDestroyNotify) vb_nodedev_def_free);
  obj->key = g_strdup (def->name);
  /* Host devices exist while present; none is a persistent definition. */
  obj->active = TRUE;
  obj->persistent = FALSE;
  vb_backend_add_object (local->backend, obj);
  if (devpath != NULL)
    g_hash_table_replace (local->by_devpath, g_strdup (devpath), g_object_ref (obj));
  if (emit)
    vb_backend_emit_event (local->backend, obj, VB_NODE_DEVICE_EVENT_CREATED, 0);
  return obj; /* the registry holds it */
}

static void
unregister_one (Local *local, const char *devpath, gboolean emit)
{
  gpointer key, value;
  g_autoptr(VbObj) obj = NULL;

  if (!g_hash_table_steal_extended (local->by_devpath, devpath, &key, &value))
    return;
  g_free (key);
  obj = value;
  if (obj->owner == NULL)
    return;
  /* The event goes out while the object path is still valid. */
  if (emit)
    vb_backend_emit_event (local->backend, obj, VB_NODE_DEVICE_EVENT_DELETED, 0);
  vb_backend_remove_object (local->backend, obj);
}

static int
compare_descending (gconstpointer a, gconstpointer b)
{
  return -strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The registered devpaths below @devpath, deepest first. */
static GPtrArray *
descendants (Local *local, const char *devpath)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *prefix = g_strconcat (devpath, "/", NULL);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, local->by_devpath);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_str_has_prefix (key, prefix))
      g_ptr_array_add (found, g_strdup (key));
  g_ptr_array_sort (found, compare_descending);
  return found;
}

/* @devpath and what is below it; children first, as the kernel does. */
static void
unregister_device (Local *local, const char *devpath, gboolean emit)
{
  g_autoptr(GPtrArray) below = descendants (local, devpath);

  for (guint i = 0; i < below->len; i++)
    unregister_one (local, g_ptr_array_index (below, i), emit);
  unregister_one (local, devpath, emit);
}

/* Takes @def, the new reading of registered @obj at @devpath. */
static void
update_device (Local *local, VbObj *obj, const char *devpath, VbNodeDevDef *def)
{
  g_autofree char *old_xml = NULL;
  g_autofree char *new_xml = NULL;

  if (!g_str_equal (def->name, obj->name)) {
    /* A renamed network interface: for clients (as for libvirt's) the old
     * device went away and a new one came. */
    unregister_one (local, devpath, TRUE);
    register_device (local, devpath, def, TRUE);
    return;
  }
  if (devpath != NULL)
    set_parent (local, devpath, def);
  old_xml = vb_nodedev_def_format (obj->def, 0);
  new_xml = vb_nodedev_def_format (def, 0);
  if (g_str_equal (old_xml, new_xml)) {
    vb_nodedev_def_free (def);
    return;
  }
  vb_obj_set_def (obj, def);
}

/* Makes the registry what a full scan found (taking its definitions). */
static void
apply_scan (Local *local, GPtrArray *devices, gboolean emit)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < devices->len; i++) {
    VbNodedevSysfsDevice *device = g_ptr_array_index (devices, i);
    VbNodeDevDef *def = g_steal_pointer (&device->def);
    VbObj *obj;

    if (device->devpath == NULL) {
      obj = vb_backend_lookup_by_name (local->backend, VB_OBJ_NODE_DEVICE, def->name);
      if (obj != NULL)
        update_device (local, obj, NULL, def);
      else
        register_device (local, NULL, def, emit);
      continue;
    }
    g_hash_table_add (seen, device->devpath);
    obj = g_hash_table_lookup (local->by_devpath, device->devpath);
    if (obj != NULL)
      update_device (local, obj, device->devpath, def);
    else
      register_device (local, device->devpath, def, emit);
  }
  g_hash_table_iter_init (&iter, local->by_devpath);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (seen, key))
      g_ptr_array_add (gone, g_strdup (key));
  g_ptr_array_sort (gone, compare_descending);
  for (guint i = 0; i < gone->len; i++)
    unregister_one (local, g_ptr_array_index (gone, i), emit);
}

/* A device moved (a network interface renamed): it and what is below it
 * are known under their new paths; those below are read again. */
static void
move_device (Local *local, const char *old_devpath, const char *devpath)
{
  g_autoptr(GPtrArray) below = descendants (local, old_devpath);
  gsize old_len = strlen (old_devpath);
  gpointer key, value;

  if (g_hash_table_steal_extended (local->by_devpath, old_devpath, &key, &value)) {
    g_free (key);
    g_hash_table_replace (local->by_devpath, g_strdup (devpath), value);
  }
  for (guint i = 0; i < below->len; i++) {
    const char *old = g_ptr_array_index (below, i);
    g_autofree char *moved = g_strconcat (devpath, old + old_len, NULL);
    if (g_hash_table_steal_extended (local->by_devpath, old, &key, &value)) {
      g_free (key);
      g_hash_table_replace (local->by_devpath, g_strdup (moved), value);
      g_queue_push_tail (&local->pending, ev_new (EV_CHANGE, moved, NULL, NULL));
    }
  }
}

/* Takes @def: the device at @ev's devpath as read after the event. */
static void
apply_event (Local *local, const Ev *ev, VbNodeDevDef *def)
{
  VbObj *obj;

  if (ev->kind == EV_MOVE && ev->devpath_old != NULL)
    move_device (local, ev->devpath_old, ev->devpath);
  obj = g_hash_table_lookup (local->by_devpath, ev->devpath);
  if (def == NULL) {
    /* Gone again already (its remove follows), or no device of ours. */
    if (obj != NULL && ev->kind == EV_MOVE)
      unregister_device (local, ev->devpath, TRUE);
    return;
  }
  if (obj != NULL)
    update_device (local, obj, ev->devpath, def);
  else
    register_device (local, ev->devpath, def, TRUE);
}

/* ---- the queue ---- */

typedef struct {
  VbNodedevSysfs *sysfs;
  guint generation;
  Ev *ev;
  GPtrArray *devices; /* EV_SCAN */
  VbNodeDevDef *def;  /* the others */
} Job;

static void
job_free (gpointer p)
{
  Job *job = p;

  vb_nodedev_sysfs_unref (job->sysfs);
  ev_free (job->ev);
  g_clear_pointer (&job->devices, g_ptr_array_unref);
  vb_nodedev_def_free (job->def);
  g_free (job);
}

static void
job_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *job = data;

  if (job->ev->kind == EV_SCAN)
    job->devices = vb_nodedev_sysfs_scan (job->sysfs);
  else
    job->def = vb_nodedev_sysfs_read_device (job->sysfs, job->ev->devpath, job->ev->subsystem);
  g_task_return_boolean (task, TRUE);
}

static void
job_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Job *job = g_task_get_task_data (G_TASK (result));
  Local *local = local_get (VB_BACKEND (source));

  if (local == NULL || local->generation != job->generation || local->stopped)
    return;
  local->busy = FALSE;
  if (job->ev->kind == EV_SCAN) {
    apply_scan (local, job->devices, !job->ev->initial);
    if (job->ev->initial && local->load != NULL) {
      g_autoptr(GTask) load = g_steal_pointer (&local->load);
      g_debug ("%u host devices listed", vb_backend_count (local->backend, VB_OBJ_NODE_DEVICE));
      g_task_return_boolean (load, TRUE);
    }
  } else {
    apply_event (local, job->ev, g_steal_pointer (&job->def));
  }
  process_next (local);
}

static void
process_next (Local *local)
{
  while (!local->busy && !local->stopped) {
    Ev *ev = g_queue_pop_head (&local->pending);
    g_autoptr(GTask) task = NULL;
    Job *job;

    if (ev == NULL)
      return;
    if (ev->kind == EV_REMOVE) {
      unregister_device (local, ev->devpath, TRUE);
      ev_free (ev);
      continue;
    }
    job = g_new0 (Job, 1);
    job->sysfs = vb_nodedev_sysfs_ref (local->sysfs);
    job->generation = local->generation;
    job->ev = ev;
    local->busy = TRUE;
    task = g_task_new (local->backend, NULL, job_done, NULL);
    g_task_set_source_tag (task, process_next);
    g_task_set_task_data (task, job, job_free);
    g_task_run_in_thread (task, job_thread);
  }
}

/* Replaces whatever waits: the scan covers it. */
static void
queue_rescan (Local *local)
{
  g_queue_clear_full (&local->pending, ev_free);
  g_queue_push_tail (&local->pending, ev_new (EV_SCAN, NULL, NULL, NULL));
}

/* The subsystems of the devices listed (see vb-nodedev-sysfs.c). */
static gboolean
subsystem_listed (const char *subsystem)
{
  static const char *const listed[] = { "pci", "usb", "net", "block", "scsi", "scsi_generic", "drm", "mdev" };

  for (guint i = 0; subsystem != NULL && i < G_N_ELEMENTS (listed); i++)
    if (g_str_equal (subsystem, listed[i]))
      return TRUE;
  return FALSE;
}

static void
queue_uevent (Local *local, const VbNodedevUevent *uevent)
{
  EvKind kind;

  if (!subsystem_listed (uevent->subsystem))
    return;
  if (g_str_equal (uevent->action, "add"))
    kind = EV_ADD;
  else if (g_str_equal (uevent->action, "remove"))
    kind = EV_REMOVE;
  else if (g_str_equal (uevent->action, "move"))
    kind = EV_MOVE;
  else /* change, bind, unbind (the driver), online, offline */
    kind = EV_CHANGE;
  if (g_queue_get_length (&local->pending) >= MAX_PENDING) {
    g_debug ("more than %d device events waiting: rescanning instead", MAX_PENDING);
    queue_rescan (local);
    return;
  }
  g_queue_push_tail (&local->pending, ev_new (kind, uevent->devpath, uevent->subsystem, uevent->devpath_old));
}

static gboolean
on_uevent (int fd, GIOCondition condition, gpointer user_data)
{
  Local *local = user_data;

  for (int i = 0; i < MAX_BATCH; i++) {
    g_autoptr(VbNodedevUevent) uevent = NULL;
    int r = vb_nodedev_uevent_receive (fd, &uevent);
    int saved = errno;

    if (r == 0)
      break;
    if (r < 0 && saved == ENOBUFS) {
      g_debug ("kernel uevents were lost: rescanning the host's devices");
      queue_rescan (local);
      continue;
    }
    if (r < 0) {
      g_warning ("cannot receive kernel uevents: %s; host devices no longer follow hotplug", g_strerror (saved));
      local->watch = 0;
      close (local->fd);
      local->fd = -1;
      return G_SOURCE_REMOVE;
    }
    if (uevent != NULL)
      queue_uevent (local, uevent);
  }
  process_next (local);
  return G_SOURCE_CONTINUE;
}

/* ---- loading ---- */

void
vb_nodedev_local_load_async (VbBackend *backend, const char *sysfs_root, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (backend, cancellable, callback, user_data);
  g_autoptr(VbNodedevSysfs) sysfs = NULL;
  GError *error = NULL;
  Local *local;
  Ev *scan;

  g_task_set_source_tag (task, vb_nodedev_local_load_async);
  if (local_get (backend) != NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "the host's devices are loaded already");
    return;
  }
  sysfs = vb_nodedev_sysfs_new (sysfs_root, &error);
  if (sysfs == NULL) {
    g_task_return_error (task, error);
    return;
  }
  local = g_new0 (Local, 1);
  local->backend = backend;
  local->generation = ++generations;
  local->sysfs = g_steal_pointer (&sysfs);
  local->by_devpath = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  local->fd = -1;
  g_queue_init (&local->pending);
  g_object_set_data_full (G_OBJECT (backend), LOCAL_KEY, local, local_free);

  /* Listening before reading: what happens meanwhile waits behind the scan. */
  local->fd = vb_nodedev_uevent_open (&error);
  if (local->fd < 0) {
    g_warning ("%s: host devices will not follow hotplug", error->message);
    g_clear_error (&error);
  } else {
    local->watch = g_unix_fd_add (local->fd, G_IO_IN, on_uevent, local);
  }
  local->load = g_steal_pointer (&task);
  scan = ev_new (EV_SCAN, NULL, NULL, NULL);
  scan->initial = TRUE;
  g_queue_push_tail (&local->pending, scan);
  process_next (local);
}

gboolean
vb_nodedev_local_load_finish (VbBackend *backend, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, backend), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
vb_nodedev_local_stop (VbBackend *backend)
{
  Local *local = local_get (backend);

  if (local == NULL)
    return;
  local->stopped = TRUE;
  g_clear_handle_id (&local->watch, g_source_remove);
  if (local->fd >= 0)
    close (local->fd);
  local->fd = -1;
  g_queue_clear_full (&local->pending, ev_free);
  if (local->load != NULL) {
    g_autoptr(GTask) load = g_steal_pointer (&local->load);
    g_task_return_new_error (load, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped before the host's devices were read");
  }
}

void
vb_nodedev_local_inject_uevent (VbBackend *backend, const char *action, const char *devpath, const char *subsystem,
                                const char *devpath_old)
{
  Local *local = local_get (backend);
  g_autoptr(VbNodedevUevent) uevent = vb_nodedev_uevent_new (action, devpath, subsystem, devpath_old);

  g_return_if_fail (uevent != NULL);
  if (local == NULL || local->stopped)
    return;
  queue_uevent (local, uevent);
  process_next (local);
}

gboolean
vb_nodedev_local_is_idle (VbBackend *backend)
{
  Local *local = local_get (backend);

  return local == NULL || (!local->busy && g_queue_is_empty (&local->pending));
}

/* ---- operations ---- */

typedef enum {
  OP_READ,
  OP_DETACH,
  OP_REATTACH,
  OP_RESET,
  OP_MDEV_CREATE,
  OP_MDEV_REMOVE,
} OpKind;

/* One operation's work in a worker thread; its result goes to @task (the
 * caller's) from the main loop. */
typedef struct {
  OpKind kind;
  VbNodedevSysfs *sysfs;
  guint generation;
  VbObj *dev;    /* the device (mdev creation: the parent) */
  char *devpath; /* its devpath */
  char *type_id; /* mdev creation */
  char *uuid;
  char *new_devpath;
  VbNodeDevDef *def; /* OP_READ, OP_MDEV_CREATE: what was read */
  GTask *task;
} Op;

static void
op_free (gpointer p)
{
  Op *op = p;

  vb_nodedev_sysfs_unref (op->sysfs);
  g_clear_object (&op->dev);
  g_free (op->devpath);
  g_free (op->type_id);
  g_free (op->uuid);
  g_free (op->new_devpath);
  vb_nodedev_def_free (op->def);
  g_clear_object (&op->task);
  g_free (op);
}

static void
op_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Op *op = data;
  GError *error = NULL;
  gboolean ok = TRUE;

  switch (op->kind) {
  case OP_READ:
    op->def = vb_nodedev_sysfs_read_device (op->sysfs, op->devpath, NULL);
    break;
  case OP_DETACH:
    ok = vb_nodedev_sysfs_pci_detach (op->sysfs, op->devpath, &error);
    break;
  case OP_REATTACH:
    ok = vb_nodedev_sysfs_pci_reattach (op->sysfs, op->devpath, &error);
    break;
  case OP_RESET:
    ok = vb_nodedev_sysfs_pci_reset (op->sysfs, op->devpath, &error);
    break;
  case OP_MDEV_CREATE:
    op->new_devpath = vb_nodedev_sysfs_mdev_create (op->sysfs, op->devpath, op->type_id, op->uuid, &error);
    ok = op->new_devpath != NULL;
    if (ok)
      op->def = vb_nodedev_sysfs_read_device (op->sysfs, op->new_devpath, "mdev");
    break;
  case OP_MDEV_REMOVE:
    ok = vb_nodedev_sysfs_mdev_remove (op->sysfs, op->devpath, &error);
    break;
  default:
    g_assert_not_reached ();
  }
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
op_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Op *op = g_task_get_task_data (G_TASK (result));
  Local *local = local_get (VB_BACKEND (source));
  gboolean current = local != NULL && local->generation == op->generation && !local->stopped;
  GError *error = NULL;
  VbObj *obj;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_task_return_error (op->task, error);
    return;
  }
  switch (op->kind) {
  case OP_READ:
    /* libvirt refreshes a device's live parts (driver, link, functions)
     * when asked for its XML: so do we. */
    if (current && op->def != NULL && g_hash_table_lookup (local->by_devpath, op->devpath) == op->dev)
      update_device (local, op->dev, op->devpath, g_steal_pointer (&op->def));
    g_task_return_pointer (op->task, vb_nodedev_def_format (op->dev->def, 0), g_free);
    return;
  case OP_DETACH:
  case OP_REATTACH:
  case OP_RESET:
    /* The driver changed: read the device again (its bind/unbind uevent
     * would do it too, but a socket may be missing). */
    if (current) {
      g_queue_push_tail (&local->pending, ev_new (EV_CHANGE, op->devpath, "pci", NULL));
      process_next (local);
    }
    g_task_return_boolean (op->task, TRUE);
    return;
  case OP_MDEV_CREATE:
    if (!current || op->def == NULL) {
      g_task_return_new_error (op->task, VB_ERROR, VB_ERROR_FAILED,
                               "mediated device %s was created but cannot be read", op->uuid);
      return;
    }
    /* Its "add" uevent may have been handled already. */
    obj = g_hash_table_lookup (local->by_devpath, op->new_devpath);
    if (obj != NULL)
      update_device (local, obj, op->new_devpath, g_steal_pointer (&op->def));
    else
      register_device (local, op->new_devpath, g_steal_pointer (&op->def), TRUE);
    obj = g_hash_table_lookup (local->by_devpath, op->new_devpath);
    if (obj == NULL) {
      g_task_return_new_error (op->task, VB_ERROR, VB_ERROR_FAILED,
                               "mediated device %s was created but its name is taken", op->uuid);
      return;
    }
    g_task_return_pointer (op->task, g_object_ref (obj), g_object_unref);
    return;
  case OP_MDEV_REMOVE:
    if (current)
      unregister_device (local, op->devpath, TRUE);
    g_task_return_boolean (op->task, TRUE);
    return;
  default:
    g_assert_not_reached ();
  }
}

static Op *
op_new (Local *local, OpKind kind, VbObj *dev, const char *devpath, GTask *task)
{
  Op *op = g_new0 (Op, 1);

  op->kind = kind;
  op->sysfs = vb_nodedev_sysfs_ref (local->sysfs);
  op->generation = local->generation;
  op->dev = g_object_ref (dev);
  op->devpath = g_strdup (devpath);
  op->task = g_object_ref (task);
  return op;
}

/* Takes @op. */
static void
op_run (VbBackend *backend, Op *op)
{
  g_autoptr(GTask) thread = g_task_new (backend, NULL, op_done, NULL);

  g_task_set_source_tag (thread, op_run);
  g_task_set_task_data (thread, op, op_free);
  g_task_run_in_thread (thread, op_thread);
}

/* The device's devpath, when it is one of this backend's sysfs devices. */
static const char *
dev_devpath (VbObj *dev, GError **error)
{
  const char *devpath = vb_nodedev_sysfs_def_devpath (dev->def);

  if (devpath == NULL)
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "device %s has no sysfs path", dev->name);
  return devpath;
}

/* ---- org.libvirt.Connect ---- */

static void
create_mdev (VbBackend *backend, const VbNodeDevDef *req, const VbNodeDevCapMdev *mdev, GTask *task)
{
  GError *error = NULL;
  Local *local = local_for_op (backend, &error);
  VbObj *parent;
  VbNodeDevCap *pci;
  const char *devpath;
  gboolean offered = FALSE;
  char uuid[37];
  Op *op;

  if (local == NULL) {
    g_task_return_error (task, error);
    return;
  }
  if (req->parent == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG, "a mediated device needs a <parent>");
    return;
  }
  parent = vb_backend_lookup_by_name (backend, VB_OBJ_NODE_DEVICE, req->parent);
  if (parent == NULL) {
    g_autofree char *msg = g_strdup_printf ("no node device with matching name '%s'", req->parent);
    vb_set_not_found (&error, VB_OBJ_NODE_DEVICE, msg);
    g_task_return_error (task, error);
    return;
  }
  pci = vb_nodedev_def_get_cap (parent->def, VB_NODEDEV_CAP_PCI);
  if (pci == NULL || pci->pci.mdev_types->len == 0) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                             "cannot create a mediated device of type '%s' on %s: creating one needs an "
                             "mdev-capable device, and %s offers no mediated device types",
                             mdev->type_id, parent->name, parent->name);
    return;
  }
  for (guint i = 0; i < pci->pci.mdev_types->len; i++) {
    const VbNodeDevMdevType *type = g_ptr_array_index (pci->pci.mdev_types, i);
    offered = offered || g_str_equal (type->id, mdev->type_id);
  }
  if (!offered) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG, "device %s offers no mediated device type '%s'",
                             parent->name, mdev->type_id);
    return;
  }
  /* Attributes are for vfio-ap matrix devices (s390), set through mdevctl. */
  if (mdev->attrs->len > 0) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                             "mediated device attributes (<attr>) are not supported by this host's driver");
    return;
  }
  devpath = dev_devpath (parent, &error);
  if (devpath == NULL) {
    g_task_return_error (task, error);
    return;
  }
  if (mdev->uuid[0] != '\0')
    memcpy (uuid, mdev->uuid, sizeof uuid);
  else
    vb_uuid_generate (uuid);
  op = op_new (local, OP_MDEV_CREATE, parent, devpath, task);
  op->type_id = g_strdup (mdev->type_id);
  op->uuid = g_strdup (uuid);
  op_run (backend, op);
}

static void
create_xml (VbBackend *backend, const char *xml, guint flags, GTask *task)
{
  GError *error = NULL;
  g_autoptr(VbNodeDevDef) req = NULL;
  VbNodeDevCap *cap;

  req = vb_node_dev_parse_create_xml (xml, flags, &error);
  if (req == NULL) {
    g_task_return_error (task, error);
    return;
  }
  cap = vb_nodedev_def_get_cap (req, VB_NODEDEV_CAP_MDEV);
  if (cap != NULL) {
    create_mdev (backend, req, &cap->mdev, task);
    return;
  }
  cap = vb_nodedev_def_get_cap (req, VB_NODEDEV_CAP_SCSI_HOST);
  if (cap != NULL && cap->scsi_host.has_fc_host) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                             "cannot create a vHBA%s%s: creating one needs an NPIV-capable fibre channel HBA "
                             "(vport_ops), and this host's node device driver offers none",
                             cap->scsi_host.wwpn ? " with WWPN " : "", cap->scsi_host.wwpn ? cap->scsi_host.wwpn : "");
    return;
  }
  g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                           "only vHBAs and mediated devices can be created, and this host's node device driver "
                           "creates mediated devices only");
}

/* ---- org.libvirt.NodeDevice ---- */

static void
destroy (VbBackend *backend, VbObj *dev, GTask *task)
{
  GError *error = NULL;
  VbNodeDevCap *cap = vb_nodedev_def_get_cap (dev->def, VB_NODEDEV_CAP_SCSI_HOST);
  Local *local;
  const char *devpath;

  if (vb_nodedev_def_get_cap (dev->def, VB_NODEDEV_CAP_MDEV) == NULL) {
    if (cap != NULL && cap->scsi_host.has_fc_host)
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                               "cannot destroy %s: vHBAs are neither created nor destroyed by this host's node "
                               "device driver",
                               dev->name);
    else
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                               "device %s is neither a vHBA nor a mediated device", dev->name);
    return;
  }
  local = local_for_op (backend, &error);
  devpath = local ? dev_devpath (dev, &error) : NULL;
  if (devpath == NULL) {
    g_task_return_error (task, error);
    return;
  }
  op_run (backend, op_new (local, OP_MDEV_REMOVE, dev, devpath, task));
}

static void
start_pci_op (VbBackend *backend, VbObj *dev, OpKind kind, GTask *task)
{
  GError *error = NULL;
  Local *local = local_for_op (backend, &error);
  const char *devpath = local ? dev_devpath (dev, &error) : NULL;

  if (devpath == NULL) {
    g_task_return_error (task, error);
    return;
  }
  op_run (backend, op_new (local, kind, dev, devpath, task));
}

static void
detach (VbBackend *backend, VbObj *dev, const char *driver_name, guint flags, GTask *task)
{
  GError *error = NULL;

  if (!vb_node_dev_check_detach (dev, driver_name, flags, &error)) {
    g_task_return_error (task, error);
    return;
  }
  start_pci_op (backend, dev, OP_DETACH, task);
}

static void
reattach (VbBackend *backend, VbObj *dev, GTask *task)
{
  GError *error = NULL;

  if (!vb_node_dev_check_pci (dev, &error)) {
    g_task_return_error (task, error);
    return;
  }
  start_pci_op (backend, dev, OP_REATTACH, task);
}

static void
reset (VbBackend *backend, VbObj *dev, GTask *task)
{
  GError *error = NULL;

  if (!vb_node_dev_check_pci (dev, &error)) {
    g_task_return_error (task, error);
    return;
  }
  start_pci_op (backend, dev, OP_RESET, task);
}

static void
get_xml_desc (VbBackend *backend, VbObj *dev, guint flags, GTask *task)
{
  GError *error = NULL;
  Local *local = local_get (backend);
  const char *devpath = vb_nodedev_sysfs_def_devpath (dev->def);

  if (!vb_check_flags (flags, 0, "GetXMLDesc", &error)) {
    g_task_return_error (task, error);
    return;
  }
  /* "computer" (DMI does not change) or no longer followed: as known. */
  if (local == NULL || local->stopped || devpath == NULL) {
    g_task_return_pointer (task, vb_nodedev_def_format (dev->def, 0), g_free);
    return;
  }
  op_run (backend, op_new (local, OP_READ, dev, devpath, task));
}

void
vb_nodedev_local_ops_init (VbNodeDevOpsInterface *iface)
{
  iface->create_xml = create_xml;
  iface->destroy = destroy;
  iface->detach = detach;
  iface->get_xml_desc = get_xml_desc;
  iface->list_caps = vb_node_dev_ops_list_caps;
  iface->reattach = reattach;
  iface->reset = reset;
}
