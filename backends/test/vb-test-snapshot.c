/* The test backend's domain snapshots, as libvirt's test driver keeps them:
 * metadata only (nothing is copied), a tree per domain through each
 * snapshot's parent name, one current snapshot per domain, and reverts that
 * put the domain's definition and run state back to the snapshot's.
 *
 * Each snapshot is a VbObj (kind VB_OBJ_SNAPSHOT) child of its domain, with
 * a VbSnapshotDef as ->def and its creation serial in ->backend_data; the
 * tree lives in the defs' parent names, so nothing dangles when a snapshot
 * goes. */
#include "vb-test-private.h"

#include <string.h>

#include "vb-domain-def.h"
#include "vb-error.h"
#include "vb-snapshot-def.h"

/* ---- libvirt's numeric codes ---- */

/* virDomainSnapshotCreateFlags */
enum {
  CREATE_REDEFINE = 1 << 0, CREATE_CURRENT = 1 << 1, CREATE_NO_METADATA = 1 << 2, CREATE_HALT = 1 << 3,
  CREATE_DISK_ONLY = 1 << 4, CREATE_REUSE_EXT = 1 << 5, CREATE_QUIESCE = 1 << 6, CREATE_ATOMIC = 1 << 7,
  CREATE_LIVE = 1 << 8, CREATE_VALIDATE = 1 << 9,
};
/* What the test driver accepts: no NO_METADATA, DISK_ONLY or REUSE_EXT
 * (it keeps no disks to snapshot externally). */
#define CREATE_FLAGS \
  (CREATE_REDEFINE | CREATE_CURRENT | CREATE_HALT | CREATE_QUIESCE | CREATE_ATOMIC | CREATE_LIVE | CREATE_VALIDATE)

/* virDomainSnapshotListFlags. Bit 0 is ROOTS on a domain and DESCENDANTS
 * on a snapshot's children. */
enum {
  LIST_ROOTS = 1 << 0, LIST_DESCENDANTS = 1 << 0, LIST_METADATA = 1 << 1, LIST_LEAVES = 1 << 2,
  LIST_NO_LEAVES = 1 << 3, LIST_NO_METADATA = 1 << 4, LIST_INACTIVE = 1 << 5, LIST_ACTIVE = 1 << 6,
  LIST_DISK_ONLY = 1 << 7, LIST_INTERNAL = 1 << 8, LIST_EXTERNAL = 1 << 9, LIST_TOPOLOGICAL = 1 << 10,
  LIST_ALL_FLAGS = (1 << 11) - 1,
};

/* virDomainSnapshotDeleteFlags: METADATA_ONLY is refused by the test driver. */
enum { DELETE_CHILDREN = 1 << 0, DELETE_METADATA_ONLY = 1 << 1, DELETE_CHILDREN_ONLY = 1 << 2 };

/* virDomainSnapshotRevertFlags */
enum { REVERT_RUNNING = 1 << 0, REVERT_PAUSED = 1 << 1, REVERT_FORCE = 1 << 2 };

/* virDomainEventType and the FROM_SNAPSHOT details. */
enum { EV_STARTED = 2, EV_SUSPENDED = 3, EV_RESUMED = 4, EV_STOPPED = 5 };
enum { STARTED_FROM_SNAPSHOT = 3, SUSPENDED_FROM_SNAPSHOT = 5, RESUMED_FROM_SNAPSHOT = 2,
       STOPPED_FROM_SNAPSHOT = 6 };

/* The state reasons a snapshot operation leaves (virDomainRunningReason, …). */
enum { RUNNING_FROM_SNAPSHOT = 4, PAUSED_FROM_SNAPSHOT = 7, SHUTOFF_FROM_SNAPSHOT = 7 };

/* Where the current snapshot's name hangs off the domain's VbObj. */
#define CURRENT_KEY "vb-test-current-snapshot"

/* Largest number of snapshots per domain: keeps the tree walks bounded. */
#define MAX_SNAPSHOTS 10000

/* ---- completing a user's request ---- */

/* Frees a VbSnapshotDiskDef made here (the model's own free is private). */
static void
snap_disk_free (gpointer p)
{
  VbSnapshotDiskDef *d = p;

  g_free (d->name);
  g_free (d->driver_type);
  g_free (d->src_path);
  g_free (d);
}

/* Completes a SnapshotCreateXML request from the domain, as the test driver
 * does: the domain's state and definitions, the memory and disk choices
 * aligned with the domain's disks (internal snapshots only). */
static gboolean
snap_def_align (VbSnapshotDef *def, VbObj *dom, GError **error)
{
  VbDomainDef *ddef = dom->def;
  g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func (snap_disk_free);

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
  for (guint i = 0; i < ddef->disks->len; i++) {
    const VbDomainDiskDef *d = g_ptr_array_index (ddef->disks, i);
    VbSnapshotDiskDef *disk = g_new0 (VbSnapshotDiskDef, 1);

    disk->name = g_strdup (d->dst);
    /* Media and read-only disks have nothing to snapshot. */
    disk->snapshot = (d->device == VB_DOMAIN_DISK_DEVICE_DISK && !d->readonly) ? VB_SNAPSHOT_LOCATION_INTERNAL
                                                                              : VB_SNAPSHOT_LOCATION_NO;
    g_ptr_array_add (disks, disk);
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

static const char *
current_name (VbObj *dom)
{
  return g_object_get_data (G_OBJECT (dom), CURRENT_KEY);
}

static void
set_current (VbObj *dom, const char *name)
{
  g_object_set_data_full (G_OBJECT (dom), CURRENT_KEY, g_strdup (name), g_free);
}

static gint
by_serial (gconstpointer a, gconstpointer b)
{
  gsize sa = GPOINTER_TO_SIZE ((*(VbObj **) a)->backend_data);
  gsize sb = GPOINTER_TO_SIZE ((*(VbObj **) b)->backend_data);

  return sa < sb ? -1 : sa > sb;
}

/* All snapshots of @dom in creation order (borrowed pointers). */
static GPtrArray *
all_snapshots (VbObj *dom)
{
  GPtrArray *all = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  if (dom->children == NULL)
    return all;
  g_hash_table_iter_init (&iter, dom->children);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((VbObj *) value)->kind == VB_OBJ_SNAPSHOT)
      g_ptr_array_add (all, value);
  g_ptr_array_sort (all, by_serial);
  return all;
}

/* The direct children of the snapshot named @parent (roots when NULL). */
static GPtrArray *
children_of (VbObj *dom, const char *parent)
{
  g_autoptr(GPtrArray) all = all_snapshots (dom);
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; i < all->len; i++)
    if (g_strcmp0 (snap_def (g_ptr_array_index (all, i))->parent, parent) == 0)
      g_ptr_array_add (out, g_ptr_array_index (all, i));
  return out;
}

/* Appends the descendants of @parent, parents before children. The tree is
 * walked with an explicit queue: no recursion, whatever its depth. */
static void
collect_descendants (VbObj *dom, const char *parent, GPtrArray *out)
{
  guint start = out->len;
  g_autoptr(GPtrArray) first = children_of (dom, parent);

  g_ptr_array_extend (out, first, NULL, NULL);
  for (guint i = start; i < out->len && out->len <= MAX_SNAPSHOTS; i++) {
    g_autoptr(GPtrArray) kids = children_of (dom, ((VbObj *) g_ptr_array_index (out, i))->name);
    g_ptr_array_extend (out, kids, NULL, NULL);
  }
}

static gboolean
is_leaf (VbObj *dom, VbObj *snap)
{
  g_autoptr(GPtrArray) kids = children_of (dom, snap->name);
  return kids->len == 0;
}

static gboolean
snapshot_matches (VbObj *dom, VbObj *snap, guint flags)
{
  const VbSnapshotDef *def = snap_def (snap);

  /* Every snapshot here has metadata and is internal. */
  if ((flags & (LIST_METADATA | LIST_NO_METADATA)) == LIST_NO_METADATA)
    return FALSE;
  if ((flags & (LIST_INTERNAL | LIST_EXTERNAL)) == LIST_EXTERNAL)
    return FALSE;
  /* Each pair of filter flags: one selects, both (or neither) mean all. */
  if ((flags & (LIST_LEAVES | LIST_NO_LEAVES)) == LIST_LEAVES ||
      (flags & (LIST_LEAVES | LIST_NO_LEAVES)) == LIST_NO_LEAVES) {
    gboolean leaf = is_leaf (dom, snap);
    if ((flags & LIST_LEAVES) ? !leaf : leaf)
      return FALSE;
  }
  if (flags & (LIST_INACTIVE | LIST_ACTIVE | LIST_DISK_ONLY)) {
    gboolean disk_only = def->state == VB_SNAPSHOT_STATE_DISK_SNAPSHOT;
    gboolean inactive = def->state == VB_SNAPSHOT_STATE_SHUTOFF;
    gboolean active = !disk_only && !inactive;
    if (!((flags & LIST_INACTIVE && inactive) || (flags & LIST_ACTIVE && active) ||
          (flags & LIST_DISK_ONLY && disk_only)))
      return FALSE;
  }
  return TRUE;
}

/* Filters @candidates (borrowed) into an owning array for the reply. With
 * TOPOLOGICAL the order must put parents first, which creation order
 * already does except after a redefine moved a snapshot: sort then. */
static GPtrArray *
filter_list (VbObj *dom, GPtrArray *candidates, guint flags)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);

  if (flags & LIST_TOPOLOGICAL) {
    g_autoptr(GPtrArray) ordered = g_ptr_array_new ();
    g_autoptr(GHashTable) wanted = g_hash_table_new (NULL, NULL);

    for (guint i = 0; i < candidates->len; i++)
      g_hash_table_add (wanted, g_ptr_array_index (candidates, i));
    collect_descendants (dom, NULL, ordered);
    for (guint i = 0; i < ordered->len; i++) {
      VbObj *snap = g_ptr_array_index (ordered, i);
      if (g_hash_table_contains (wanted, snap) && snapshot_matches (dom, snap, flags))
        g_ptr_array_add (out, g_object_ref (snap));
    }
    return out;
  }
  for (guint i = 0; i < candidates->len; i++) {
    VbObj *snap = g_ptr_array_index (candidates, i);
    if (snapshot_matches (dom, snap, flags))
      g_ptr_array_add (out, g_object_ref (snap));
  }
  return out;
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
  if (dom->newdef != NULL) {
    gpointer newdef = dom->newdef;
    dom->newdef = NULL;
    vb_obj_set_def (dom, newdef);
  }
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

#define FAIL(task, code, ...)                                          \
  G_STMT_START {                                                       \
    g_task_return_new_error ((task), VB_ERROR, (code), __VA_ARGS__);   \
    return;                                                            \
  } G_STMT_END

#define CHECK_FLAGS(task, flags, allowed, method)                      \
  G_STMT_START {                                                       \
    GError *flags_error_ = NULL;                                       \
    if (!vb_check_flags ((flags), (allowed), (method), &flags_error_)) { \
      g_task_return_error ((task), flags_error_);                      \
      return;                                                          \
    }                                                                  \
  } G_STMT_END

static void
return_object (GTask *task, VbObj *obj)
{
  g_task_return_pointer (task, g_object_ref (obj), g_object_unref);
}

static void
return_list (GTask *task, GPtrArray *list)
{
  g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
}

/* TRUE when @name is @snap or one of its descendants. */
static gboolean
is_in_subtree (VbObj *dom, VbObj *snap, const char *name)
{
  g_autoptr(GPtrArray) below = g_ptr_array_new ();

  if (strcmp (snap->name, name) == 0)
    return TRUE;
  collect_descendants (dom, snap->name, below);
  for (guint i = 0; i < below->len; i++)
    if (strcmp (((VbObj *) g_ptr_array_index (below, i))->name, name) == 0)
      return TRUE;
  return FALSE;
}

/* Creation order of snapshots (kept in the snapshot VbObj's backend_data):
 * listings come in this order, parents before children. */
static gsize next_serial = 1;

/* Exports a new snapshot of @dom (taking @def); returns it, borrowed. */
static VbObj *
add_snapshot (VbBackend *backend, VbObj *dom, VbSnapshotDef *def)
{
  g_autoptr(VbObj) snap = vb_obj_new (VB_OBJ_SNAPSHOT, def->name, NULL, def,
                                      (GDestroyNotify) vb_snapshot_def_free);

  vb_obj_set_key (snap, snap->name);
  snap->backend_data = GSIZE_TO_POINTER (next_serial++);
  snap->parent = dom;
  vb_backend_add_object (backend, snap);
  return snap; /* the domain's children table holds it */
}

static gboolean
too_many (VbObj *dom, GError **error)
{
  if (dom->children == NULL || g_hash_table_size (dom->children) < MAX_SNAPSHOTS)
    return FALSE;
  g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' has too many snapshots", dom->name);
  return TRUE;
}

/* Redefines (or adds back) a snapshot from its full description. */
static void
redefine (VbBackend *backend, VbObj *dom, VbSnapshotDef *def_in, guint flags, GTask *task)
{
  g_autoptr(VbSnapshotDef) def = def_in;
  VbObj *existing = vb_obj_lookup_child (dom, def->name);
  VbDomainDef *ddef = dom->def;
  GError *error = NULL;
  VbObj *snap;

  if (def->domain == NULL)
    FAIL (task, VB_ERROR_XML, "missing <domain> in the definition of snapshot '%s'", def->name);
  if (def->state == VB_SNAPSHOT_STATE_NONE)
    FAIL (task, VB_ERROR_XML, "missing <state> in the definition of snapshot '%s'", def->name);
  if (strcmp (def->domain->uuid, ddef->uuid) != 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "definition for snapshot '%s' must use uuid %s", def->name, ddef->uuid);
  if (def->parent != NULL) {
    VbObj *parent = vb_obj_lookup_child (dom, def->parent);
    if (parent == NULL)
      FAIL (task, VB_ERROR_INVALID_ARG, "parent '%s' for snapshot '%s' not found", def->parent, def->name);
    if (existing != NULL && is_in_subtree (dom, existing, def->parent))
      FAIL (task, VB_ERROR_INVALID_ARG, "parent '%s' would create a cycle to snapshot '%s'", def->parent,
            def->name);
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
    if (too_many (dom, &error)) {
      g_task_return_error (task, error);
      return;
    }
    snap = add_snapshot (backend, dom, g_steal_pointer (&def));
  }
  if (flags & CREATE_CURRENT)
    set_current (dom, snap->name);
  return_object (task, snap);
}

static void
test_snapshot_create_xml (VbBackend *backend, VbObj *dom, const char *xml, guint flags, GTask *task)
{
  gboolean redefining = (flags & CREATE_REDEFINE) != 0;
  g_autoptr(VbSnapshotDef) def = NULL;
  GError *error = NULL;
  VbObj *snap;

  CHECK_FLAGS (task, flags, CREATE_FLAGS, "SnapshotCreateXML");
  if ((flags & CREATE_CURRENT) && !redefining)
    FAIL (task, VB_ERROR_INVALID_ARG, "the CURRENT flag of SnapshotCreateXML requires the REDEFINE flag");
  if (redefining && (flags & (CREATE_HALT | CREATE_LIVE | CREATE_QUIESCE)))
    FAIL (task, VB_ERROR_INVALID_ARG, "the REDEFINE flag of SnapshotCreateXML excludes HALT, LIVE and QUIESCE");
  if ((flags & CREATE_HALT) && !dom->persistent)
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
  if (too_many (dom, &error) || !snap_def_align (def, dom, &error)) {
    g_task_return_error (task, error);
    return;
  }
  def->parent = g_strdup (current_name (dom));
  snap = add_snapshot (backend, dom, g_steal_pointer (&def));
  set_current (dom, snap->name);

  if ((flags & CREATE_HALT) && dom->active)
    dom_stop (backend, dom);
  return_object (task, snap);
}

static void
test_list_snapshots (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  g_autoptr(GPtrArray) candidates = NULL;

  CHECK_FLAGS (task, flags, LIST_ALL_FLAGS, "ListDomainSnapshots");
  candidates = (flags & LIST_ROOTS) ? children_of (dom, NULL) : all_snapshots (dom);
  return_list (task, filter_list (dom, candidates, flags));
}

static void
test_snapshot_current (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  const char *name = current_name (dom);
  VbObj *snap = name ? vb_obj_lookup_child (dom, name) : NULL;

  CHECK_FLAGS (task, flags, 0, "SnapshotCurrent");
  if (snap == NULL)
    FAIL (task, VB_ERROR_NOT_FOUND, "domain '%s' has no current snapshot", dom->name);
  return_object (task, snap);
}

/* A snapshot object stays alive while a call on it is queued; it may have
 * been deleted meanwhile. */
#define REQUIRE_LIVE_SNAPSHOT(task, snap)                                                            \
  G_STMT_START {                                                                                     \
    if ((snap)->parent == NULL || vb_obj_lookup_child ((snap)->parent, (snap)->name) != (snap))      \
      FAIL ((task), VB_ERROR_NOT_FOUND, "domain snapshot '%s' no longer exists", (snap)->name);       \
  } G_STMT_END

static void
test_snapshot_get_parent (VbBackend *backend, VbObj *snap, guint flags, GTask *task)
{
  const VbSnapshotDef *def = snap_def (snap);
  VbObj *parent;

  CHECK_FLAGS (task, flags, 0, "GetParent");
  REQUIRE_LIVE_SNAPSHOT (task, snap);
  if (def->parent == NULL)
    FAIL (task, VB_ERROR_NOT_FOUND, "snapshot '%s' does not have a parent", snap->name);
  parent = vb_obj_lookup_child (snap->parent, def->parent);
  if (parent == NULL)
    FAIL (task, VB_ERROR_NOT_FOUND, "the parent '%s' of snapshot '%s' no longer exists", def->parent, snap->name);
  return_object (task, parent);
}

static void
test_snapshot_get_xml_desc (VbBackend *backend, VbObj *snap, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, VB_SNAPSHOT_XML_SECURE, "GetXMLDesc");
  REQUIRE_LIVE_SNAPSHOT (task, snap);
  g_task_return_pointer (task, vb_snapshot_def_format (snap_def (snap), flags), g_free);
}

static void
test_snapshot_is_current (VbBackend *backend, VbObj *snap, guint flags, GTask *task)
{
  CHECK_FLAGS (task, flags, 0, "IsCurrent");
  REQUIRE_LIVE_SNAPSHOT (task, snap);
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_new_boolean (g_strcmp0 (current_name (snap->parent),
                                                                                     snap->name) == 0)),
                         (GDestroyNotify) g_variant_unref);
}

static void
test_snapshot_list_children (VbBackend *backend, VbObj *snap, guint flags, GTask *task)
{
  g_autoptr(GPtrArray) candidates = NULL;

  CHECK_FLAGS (task, flags, LIST_ALL_FLAGS, "ListChildren");
  REQUIRE_LIVE_SNAPSHOT (task, snap);
  if (flags & LIST_DESCENDANTS) {
    candidates = g_ptr_array_new ();
    collect_descendants (snap->parent, snap->name, candidates);
  } else {
    candidates = children_of (snap->parent, snap->name);
  }
  return_list (task, filter_list (snap->parent, candidates, flags));
}

static void
test_snapshot_delete (VbBackend *backend, VbObj *snap, guint flags, GTask *task)
{
  VbObj *dom = snap->parent;
  const char *current;
  g_autofree char *parent_name = NULL;
  g_autoptr(GPtrArray) doomed = g_ptr_array_new ();
  gboolean current_doomed = FALSE;

  CHECK_FLAGS (task, flags, DELETE_CHILDREN | DELETE_CHILDREN_ONLY, "Delete");
  REQUIRE_LIVE_SNAPSHOT (task, snap);
  if ((flags & DELETE_CHILDREN) && (flags & DELETE_CHILDREN_ONLY))
    FAIL (task, VB_ERROR_INVALID_ARG, "the CHILDREN and CHILDREN_ONLY flags of Delete are mutually exclusive");

  current = current_name (dom);
  parent_name = g_strdup (snap_def (snap)->parent);
  if (!(flags & DELETE_CHILDREN_ONLY))
    g_ptr_array_add (doomed, snap);
  if (flags & (DELETE_CHILDREN | DELETE_CHILDREN_ONLY))
    collect_descendants (dom, snap->name, doomed);
  for (guint i = 0; i < doomed->len; i++)
    if (g_strcmp0 (((VbObj *) g_ptr_array_index (doomed, i))->name, current) == 0)
      current_doomed = TRUE;

  /* Without the children flags the children move up to the parent. */
  if (!(flags & (DELETE_CHILDREN | DELETE_CHILDREN_ONLY))) {
    g_autoptr(GPtrArray) kids = children_of (dom, snap->name);
    for (guint i = 0; i < kids->len; i++) {
      VbSnapshotDef *kid = snap_def (g_ptr_array_index (kids, i));
      g_free (kid->parent);
      kid->parent = g_strdup (parent_name);
    }
  }
  if (current_doomed)
    set_current (dom, (flags & DELETE_CHILDREN_ONLY) ? snap->name : parent_name);

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

  CHECK_FLAGS (task, flags, REVERT_RUNNING | REVERT_PAUSED | REVERT_FORCE, "Revert");
  REQUIRE_LIVE_SNAPSHOT (task, snap);
  if ((flags & REVERT_RUNNING) && (flags & REVERT_PAUSED))
    FAIL (task, VB_ERROR_INVALID_ARG, "the RUNNING and PAUSED flags of Revert are mutually exclusive");
  if (def->domain == NULL)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "snapshot '%s' lacks domain '%s' rollback info", snap->name,
          dom->name);
  if (def->state == VB_SNAPSHOT_STATE_DISK_SNAPSHOT)
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "revert to external snapshot not supported yet");
  if (!dom->persistent && def->state != VB_SNAPSHOT_STATE_RUNNING && def->state != VB_SNAPSHOT_STATE_PAUSED &&
      !(flags & (REVERT_RUNNING | REVERT_PAUSED)))
    FAIL (task, VB_ERROR_OPERATION_INVALID,
          "transient domain needs to request run or pause to revert to inactive snapshot");
  keep_dom = g_object_ref (dom);

  if (def->state == VB_SNAPSHOT_STATE_RUNNING || def->state == VB_SNAPSHOT_STATE_PAUSED) {
    gboolean was_stopped = !dom->active;
    gboolean was_running = dom->state == VB_DOMAIN_RUNNING;
    gboolean want_paused =
      !(flags & REVERT_RUNNING) && (def->state == VB_SNAPSHOT_STATE_PAUSED || (flags & REVERT_PAUSED));

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
    if (flags & (REVERT_RUNNING | REVERT_PAUSED)) {
      dom_start (backend, dom);
      vb_backend_emit_event (backend, dom, EV_STARTED, STARTED_FROM_SNAPSHOT);
      if (flags & REVERT_PAUSED) {
        vb_obj_set_state (dom, VB_DOMAIN_PAUSED, PAUSED_FROM_SNAPSHOT, dom->id);
        vb_backend_emit_event (backend, dom, EV_SUSPENDED, SUSPENDED_FROM_SNAPSHOT);
      }
    }
  }
  set_current (dom, snap->name);
  g_task_return_boolean (task, TRUE);
}

void
vb_test_snapshot_ops_init (VbDomainOpsInterface *iface)
{
  iface->snapshot_create_xml = test_snapshot_create_xml;
  iface->list_snapshots = test_list_snapshots;
  iface->snapshot_current = test_snapshot_current;
  iface->snapshot_delete = test_snapshot_delete;
  iface->snapshot_get_parent = test_snapshot_get_parent;
  iface->snapshot_get_xml_desc = test_snapshot_get_xml_desc;
  iface->snapshot_is_current = test_snapshot_is_current;
  iface->snapshot_list_children = test_snapshot_list_children;
  iface->snapshot_revert = test_snapshot_revert;
}
