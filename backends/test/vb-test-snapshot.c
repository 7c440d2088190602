/* The test backend's domain snapshots, as libvirt's test driver keeps them:
 * metadata only (nothing is copied), a tree per domain through each
 * snapshot's parent name, one current snapshot per domain, and reverts that
 * put the domain's definition and run state back to the snapshot's.
 *
 * The tree itself (objects, walks, listing filters, the current snapshot,
 * re-parenting, the operations that only read it) is
 * service/vb-snapshot-tree.c's. */
#include "vb-test-private.h"

#include "vb-domain-def.h"
#include "vb-error.h"
#include "vb-snapshot-def.h"
#include "vb-snapshot-tree.h"
#include "vb-task.h"

/* ---- libvirt's numeric codes ---- */

/* What the test driver accepts: no NO_METADATA, DISK_ONLY or REUSE_EXT
 * (it keeps no disks to snapshot externally). */
#define CREATE_FLAGS                                                                                       \
  (VB_SNAPSHOT_CREATE_REDEFINE | VB_SNAPSHOT_CREATE_CURRENT | VB_SNAPSHOT_CREATE_HALT |                    \
   VB_SNAPSHOT_CREATE_QUIESCE | VB_SNAPSHOT_CREATE_ATOMIC | VB_SNAPSHOT_CREATE_LIVE | VB_SNAPSHOT_CREATE_VALIDATE)

/* virDomainEventType and the FROM_SNAPSHOT details. */
enum { EV_STARTED = 2, EV_SUSPENDED = 3, EV_RESUMED = 4, EV_STOPPED = 5 };
enum { STARTED_FROM_SNAPSHOT = 3, SUSPENDED_FROM_SNAPSHOT = 5, RESUMED_FROM_SNAPSHOT = 2,
       STOPPED_FROM_SNAPSHOT = 6 };

/* The state reasons a snapshot operation leaves (virDomainRunningReason, …). */
enum { RUNNING_FROM_SNAPSHOT = 4, PAUSED_FROM_SNAPSHOT = 7, SHUTOFF_FROM_SNAPSHOT = 7 };

/* ---- completing a user's request ---- */

/* Completes a SnapshotCreateXML request from the domain, as the test driver
 * does: the domain's state and definitions, the memory and disk choices
 * aligned with the domain's disks (internal snapshots only). */
static gboolean
snap_def_align (VbSnapshotDef *def, VbObj *dom, GError **error)
{
  VbDomainDef *ddef = dom->def;
  g_autoptr(GPtrArray) disks = NULL;

  switch (dom->state) {
  case VB_DOMAIN_RUNNING: def->state = VB_SNAPSHOT_STATE_RUNNING; break;
  case VB_DOMAIN_BLOCKED: def->state = VB_SNAPSHOT_STATE_BLOCKED; break;
  case VB_DOMAIN_PAUSED: def->state = VB_SNAPSHOT_STATE_PAUSED; break;
  case VB_DOMAIN_SHUTDOWN: def->state = VB_SNAPSHOT_STATE_SHUTDOWN; break;
  case VB_DOMAIN_SHUTOFF: def->state = VB_SNAPSHOT_STATE_SHUTOFF; break;
  case VB_DOMAIN_CRASHED: def->state = VB_SNAPSHOT_STATE_CRASHED; break;
  default:
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "cannot take a snapshot of domain '%s' in its current state", dom->name);
    return FALSE;
  }

  if (def->memory == VB_SNAPSHOT_LOCATION_EXTERNAL) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "external memory snapshots are not supported by the test driver");
    return FALSE;
  }
  if (def->memory == VB_SNAPSHOT_LOCATION_INTERNAL && !dom->active) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "memory state cannot be saved with an offline snapshot of domain '%s'", dom->name);
    return FALSE;
  }
  /* The test driver always keeps the memory of a running domain. */
  def->memory = dom->active ? VB_SNAPSHOT_LOCATION_INTERNAL : VB_SNAPSHOT_LOCATION_NO;

  /* Every requested disk must exist; unlisted disks get the default. */
  for (guint i = 0; i < def->disks->len; i++) {
    const VbSnapshotDiskDef *want = g_ptr_array_index (def->disks, i);
    if (vb_domain_def_find_disk (ddef, want->name) == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "no disk named '%s' in domain '%s'", want->name,
                   dom->name);
      return FALSE;
    }
    if (want->snapshot == VB_SNAPSHOT_LOCATION_EXTERNAL || want->snapshot == VB_SNAPSHOT_LOCATION_MANUAL) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                   "disk '%s': %s disk snapshots are not supported by the test driver", want->name,
                   vb_snapshot_location_to_string (want->snapshot));
      return FALSE;
    }
  }
  /* Media and read-only disks have nothing to snapshot. */
  disks = vb_snapshot_tree_internal_disks (ddef);
  for (guint i = 0; i < ddef->disks->len; i++) {
    const VbDomainDiskDef *d = g_ptr_array_index (ddef->disks, i);
    VbSnapshotDiskDef *disk = g_ptr_array_index (disks, i);

    for (guint j = 0; j < def->disks->len; j++) {
      const VbSnapshotDiskDef *want = g_ptr_array_index (def->disks, j);
      if (vb_domain_def_find_disk (ddef, want->name) != d || want->snapshot == VB_SNAPSHOT_LOCATION_DEFAULT)
        continue;
      /* An internal snapshot covers every writable disk. */
      if (disk->snapshot == VB_SNAPSHOT_LOCATION_INTERNAL && want->snapshot != VB_SNAPSHOT_LOCATION_INTERNAL) {
        g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "disk '%s' must use snapshot mode 'internal'",
                     want->name);
        return FALSE;
      }
      disk->snapshot = want->snapshot;
    }
  }
  g_ptr_array_unref (def->disks);
  def->disks = g_steal_pointer (&disks);

  def->domain = vb_domain_def_copy (ddef);
  def->domain->id = -1;
  /* A running domain whose persistent config differs keeps both. */
  if (dom->newdef != NULL)
    def->inactive_domain = vb_domain_def_copy (dom->newdef);
  return TRUE;
}

/* ---- the tree ---- */

static VbSnapshotDef *
snap_def (VbObj *snap)
{
  return snap->def;
}

/* ---- the domain's run state ----
 * The test driver's FROM_SNAPSHOT transitions, with their own state reasons
 * and event details, which the domain part's helpers do not offer (they are
 * private to vb-test-domain.c). Its per-domain bookkeeping (cpu time,
 * block jobs) is not touched here. */

static void
dom_start (VbBackend *backend, VbObj *dom)
{
  VbTestBackend *self = VB_TEST_BACKEND (backend);
  int id = self->next_domain_id++;

  ((VbDomainDef *) dom->def)->id = id;
  vb_obj_set_state (dom, VB_DOMAIN_RUNNING, RUNNING_FROM_SNAPSHOT, id);
}

static void
dom_stop (VbBackend *backend, VbObj *dom)
{
  vb_obj_apply_newdef (dom);
  ((VbDomainDef *) dom->def)->id = -1;
  vb_obj_set_state (dom, VB_DOMAIN_SHUTOFF, SHUTOFF_FROM_SNAPSHOT, -1);
  vb_obj_set_updated (dom, FALSE);
  vb_backend_emit_event (backend, dom, EV_STOPPED, STOPPED_FROM_SNAPSHOT);
}

/* Makes a copy of the snapshot's domain the domain's only definition. */
static void
dom_assign_def (VbObj *dom, const VbDomainDef *def)
{
  VbDomainDef *copy = vb_domain_def_copy (def);

  copy->id = dom->active ? dom->id : -1;
  vb_obj_set_newdef (dom, NULL);
  vb_obj_set_def (dom, copy);
  vb_obj_set_updated (dom, FALSE);
}

/* ---- operations ---- */

static void
return_object (GTask *task, VbObj *obj)
{
  g_task_return_pointer (task, g_object_ref (obj), g_object_unref);
}

/* Exports a new snapshot of @dom (taking @def); returns it, borrowed. */
static VbObj *
add_snapshot (VbBackend *backend, VbObj *dom, VbSnapshotDef *def)
{
  g_autoptr(VbObj) snap = vb_snapshot_tree_new_obj (dom, def);

  vb_backend_add_object (backend, snap);
  return snap; /* the domain's children table holds it */
}

/* Redefines (or adds back) a snapshot from its full description. */
static void
redefine (VbBackend *backend, VbObj *dom, VbSnapshotDef *def_in, guint flags, GTask *task)
{
  g_autoptr(VbSnapshotDef) def = def_in;
  VbObj *existing = vb_obj_lookup_child (dom, def->name);
  GError *error = NULL;
  VbObj *snap;

  if (!vb_snapshot_tree_check_redefine (dom, def, &error) ||
      !vb_snapshot_tree_check_parent (dom, existing, def, &error)) {
    g_task_return_error (task, error);
    return;
  }
  /* <active> is libvirt's on-disk "current" marker: CURRENT says that here. */
  def->active = -1;
  if (existing != NULL) {
    const VbSnapshotDef *old = snap_def (existing);
    if ((old->state == VB_SNAPSHOT_STATE_DISK_SNAPSHOT) != (def->state == VB_SNAPSHOT_STATE_DISK_SNAPSHOT))
      FAIL (task, VB_ERROR_INVALID_ARG, "cannot change between disk only and full system in snapshot '%s'",
            def->name);
    vb_obj_set_def (existing, g_steal_pointer (&def));
    snap = existing;
  } else {
    if (!vb_snapshot_tree_check_room (dom, &error)) {
      g_task_return_error (task, error);
      return;
    }
    snap = add_snapshot (backend, dom, g_steal_pointer (&def));
  }
  if (flags & VB_SNAPSHOT_CREATE_CURRENT)
    vb_snapshot_tree_set_current (dom, snap->name);
  return_object (task, snap);
}

static void
test_snapshot_create_xml (VbBackend *backend, VbObj *dom, const char *xml, guint flags, GTask *task)
{
  gboolean redefining = (flags & VB_SNAPSHOT_CREATE_REDEFINE) != 0;
  g_autoptr(VbSnapshotDef) def = NULL;
  GError *error = NULL;
  VbObj *snap;

  CHECK_FLAGS (task, flags, CREATE_FLAGS, "SnapshotCreateXML");
  if ((flags & VB_SNAPSHOT_CREATE_CURRENT) && !redefining)
    FAIL (task, VB_ERROR_INVALID_ARG, "the CURRENT flag of SnapshotCreateXML requires the REDEFINE flag");
  if (redefining && (flags & (VB_SNAPSHOT_CREATE_HALT | VB_SNAPSHOT_CREATE_LIVE | VB_SNAPSHOT_CREATE_QUIESCE)))
    FAIL (task, VB_ERROR_INVALID_ARG, "the REDEFINE flag of SnapshotCreateXML excludes HALT, LIVE and QUIESCE");
  if ((flags & VB_SNAPSHOT_CREATE_HALT) && !dom->persistent)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot halt transient domain '%s' after a snapshot", dom->name);

  def = vb_snapshot_def_parse_full (xml, redefining ? 0 : VB_SNAPSHOT_PARSE_USER, &error);
  if (def == NULL) {
    g_task_return_error (task, error);
    return;
  }
  if (redefining) {
    redefine (backend, dom, g_steal_pointer (&def), flags, task);
    return;
  }

  if (vb_obj_lookup_child (dom, def->name) != NULL)
    FAIL (task, VB_ERROR_EXISTS, "domain snapshot '%s' already exists", def->name);
  if (!vb_snapshot_tree_check_room (dom, &error) || !snap_def_align (def, dom, &error)) {
    g_task_return_error (task, error);
    return;
  }
  def->parent = g_strdup (vb_snapshot_tree_get_current (dom));
  snap = add_snapshot (backend, dom, g_steal_pointer (&def));
  vb_snapshot_tree_set_current (dom, snap->name);

  if ((flags & VB_SNAPSHOT_CREATE_HALT) && dom->active)
    dom_stop (backend, dom);
  return_object (task, snap);
}

static void
test_snapshot_delete (VbBackend *backend, VbObj *snap, guint flags, GTask *task)
{
  VbObj *dom = snap->parent;
  const char *current;
  g_autoptr(GPtrArray) doomed = NULL;
  GError *error = NULL;

  CHECK_FLAGS (task, flags, VB_SNAPSHOT_DELETE_CHILDREN | VB_SNAPSHOT_DELETE_CHILDREN_ONLY, "Delete");
  VB_SNAPSHOT_TREE_REQUIRE_LIVE (task, snap);
  if (!vb_snapshot_tree_check_delete (flags, &error)) {
    g_task_return_error (task, error);
    return;
  }

  doomed = vb_snapshot_tree_doomed (snap, flags);
  /* Without the children flags the children move up to the parent. */
  if (!(flags & (VB_SNAPSHOT_DELETE_CHILDREN | VB_SNAPSHOT_DELETE_CHILDREN_ONLY)))
    g_ptr_array_unref (vb_snapshot_tree_reparent_children (snap));
  current = vb_snapshot_tree_current_after_delete (snap, flags, doomed, vb_snapshot_tree_get_current (dom));
  if (g_strcmp0 (current, vb_snapshot_tree_get_current (dom)) != 0)
    vb_snapshot_tree_set_current (dom, current);

  /* Parents before children in @doomed: removing from the end means clients
   * never see a snapshot whose parent is already gone. */
  for (guint i = doomed->len; i > 0; i--)
    vb_backend_remove_object (backend, g_ptr_array_index (doomed, i - 1));
  g_task_return_boolean (task, TRUE);
}

static void
test_snapshot_revert (VbBackend *backend, VbObj *snap, guint flags, GTask *task)
{
  VbObj *dom = snap->parent;
  const VbSnapshotDef *def = snap_def (snap);
  g_autoptr(VbObj) keep_dom = NULL;
  GError *error = NULL;

  CHECK_FLAGS (task, flags, VB_SNAPSHOT_REVERT_ALL, "Revert");
  VB_SNAPSHOT_TREE_REQUIRE_LIVE (task, snap);
  if (!vb_snapshot_tree_check_revert (snap, flags, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (def->state == VB_SNAPSHOT_STATE_DISK_SNAPSHOT)
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "revert to external snapshot not supported yet");
  if (!dom->persistent && def->state != VB_SNAPSHOT_STATE_RUNNING && def->state != VB_SNAPSHOT_STATE_PAUSED &&
      !(flags & (VB_SNAPSHOT_REVERT_RUNNING | VB_SNAPSHOT_REVERT_PAUSED)))
    FAIL (task, VB_ERROR_OPERATION_INVALID,
          "transient domain needs to request run or pause to revert to inactive snapshot");
  keep_dom = g_object_ref (dom);

  if (def->state == VB_SNAPSHOT_STATE_RUNNING || def->state == VB_SNAPSHOT_STATE_PAUSED) {
    gboolean was_stopped = !dom->active;
    gboolean was_running = dom->state == VB_DOMAIN_RUNNING;
    gboolean want_paused =
      !(flags & VB_SNAPSHOT_REVERT_RUNNING) &&
    (def->state == VB_SNAPSHOT_STATE_PAUSED || (flags & VB_SNAPSHOT_REVERT_PAUSED));

    dom_assign_def (dom, def->domain);
    if (was_stopped)
      dom_start (backend, dom);
    if (want_paused) {
      vb_obj_set_state (dom, VB_DOMAIN_PAUSED, PAUSED_FROM_SNAPSHOT, dom->id);
      if (was_stopped)
        vb_backend_emit_event (backend, dom, EV_STARTED, STARTED_FROM_SNAPSHOT);
      if (was_stopped || was_running)
        vb_backend_emit_event (backend, dom, EV_SUSPENDED, SUSPENDED_FROM_SNAPSHOT);
    } else {
      vb_obj_set_state (dom, VB_DOMAIN_RUNNING, RUNNING_FROM_SNAPSHOT, dom->id);
      if (was_stopped)
        vb_backend_emit_event (backend, dom, EV_STARTED, STARTED_FROM_SNAPSHOT);
      else
        vb_backend_emit_event (backend, dom, EV_RESUMED, RESUMED_FROM_SNAPSHOT);
    }
    /* The persistent config the domain had then, when it differed. */
    if (def->inactive_domain != NULL && dom->persistent) {
      VbDomainDef *config = vb_domain_def_copy (def->inactive_domain);
      config->id = -1;
      vb_obj_set_newdef (dom, config);
      vb_obj_set_updated (dom, TRUE);
    }
  } else {
    if (dom->active)
      dom_stop (backend, dom);
    dom_assign_def (dom, def->domain);
    if (flags & (VB_SNAPSHOT_REVERT_RUNNING | VB_SNAPSHOT_REVERT_PAUSED)) {
      dom_start (backend, dom);
      vb_backend_emit_event (backend, dom, EV_STARTED, STARTED_FROM_SNAPSHOT);
      if (flags & VB_SNAPSHOT_REVERT_PAUSED) {
        vb_obj_set_state (dom, VB_DOMAIN_PAUSED, PAUSED_FROM_SNAPSHOT, dom->id);
        vb_backend_emit_event (backend, dom, EV_SUSPENDED, SUSPENDED_FROM_SNAPSHOT);
      }
    }
  }
  vb_snapshot_tree_set_current (dom, snap->name);
  g_task_return_boolean (task, TRUE);
}

void
vb_test_snapshot_ops_init (VbDomainOpsInterface *iface)
{
  vb_snapshot_tree_ops_init (iface);
  iface->snapshot_create_xml = test_snapshot_create_xml;
  iface->snapshot_delete = test_snapshot_delete;
  iface->snapshot_revert = test_snapshot_revert;
}
