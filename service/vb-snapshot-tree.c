/* The domain snapshot tree shared by the backends: see vb-snapshot-tree.h. */
#include "config.h"

#include "vb-snapshot-tree.h"

#include <string.h>

#include "vb-error.h"

static VbSnapshotDef *
snap_def (VbObj *snap)
{
  return snap->def;
}

GPtrArray *
vb_snapshot_tree_internal_disks (const VbDomainDef *ddef)
{
  GPtrArray *disks = g_ptr_array_new_with_free_func (vb_snapshot_disk_def_free);

  for (guint i = 0; i < ddef->disks->len; i++) {
    const VbDomainDiskDef *d = g_ptr_array_index (ddef->disks, i);
    VbSnapshotDiskDef *disk = g_new0 (VbSnapshotDiskDef, 1);
    gboolean writable = d->device == VB_DOMAIN_DISK_DEVICE_DISK && !d->readonly;

    disk->name = g_strdup (d->dst);
    disk->snapshot = writable ? VB_SNAPSHOT_LOCATION_INTERNAL : VB_SNAPSHOT_LOCATION_NO;
    g_ptr_array_add (disks, disk);
  }
  return disks;
}

/* Creation order: listings come in it, which puts parents before children
 * unless a redefinition moved a snapshot. */
static gsize next_serial = 1;

VbObj *
vb_snapshot_tree_new_obj (VbObj *dom, VbSnapshotDef *def)
{
  VbObj *snap = vb_obj_new (VB_OBJ_SNAPSHOT, def->name, NULL, def, (GDestroyNotify) vb_snapshot_def_free);

  vb_obj_set_key (snap, snap->name);
  snap->backend_data = GSIZE_TO_POINTER (next_serial++);
  snap->parent = dom;
  return snap;
}

static gint
by_serial (gconstpointer a, gconstpointer b)
{
  gsize sa = GPOINTER_TO_SIZE ((*(VbObj **) a)->backend_data);
  gsize sb = GPOINTER_TO_SIZE ((*(VbObj **) b)->backend_data);

  return sa < sb ? -1 : sa > sb;
}

GPtrArray *
vb_snapshot_tree_all (VbObj *dom)
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

GPtrArray *
vb_snapshot_tree_children (VbObj *dom, const char *parent)
{
  g_autoptr(GPtrArray) all = vb_snapshot_tree_all (dom);
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; i < all->len; i++)
    if (g_strcmp0 (snap_def (g_ptr_array_index (all, i))->parent, parent) == 0)
      g_ptr_array_add (out, g_ptr_array_index (all, i));
  return out;
}

/* Breadth first with an explicit queue: no recursion, whatever the depth;
 * the bound stops a cycle a bad redefinition might have made. */
void
vb_snapshot_tree_collect_descendants (VbObj *dom, const char *parent, GPtrArray *out)
{
  guint start = out->len;
  g_autoptr(GPtrArray) first = vb_snapshot_tree_children (dom, parent);

  g_ptr_array_extend (out, first, NULL, NULL);
  for (guint i = start; i < out->len && out->len <= VB_SNAPSHOT_TREE_MAX; i++) {
    g_autoptr(GPtrArray) kids = vb_snapshot_tree_children (dom, ((VbObj *) g_ptr_array_index (out, i))->name);
    g_ptr_array_extend (out, kids, NULL, NULL);
  }
}

gboolean
vb_snapshot_tree_in_subtree (VbObj *dom, VbObj *snap, const char *name)
{
  g_autoptr(GPtrArray) below = g_ptr_array_new ();

  if (strcmp (snap->name, name) == 0)
    return TRUE;
  vb_snapshot_tree_collect_descendants (dom, snap->name, below);
  for (guint i = 0; i < below->len; i++)
    if (strcmp (((VbObj *) g_ptr_array_index (below, i))->name, name) == 0)
      return TRUE;
  return FALSE;
}

gboolean
vb_snapshot_tree_matches (VbObj *dom, VbObj *snap, guint flags)
{
  const VbSnapshotDef *def = snap_def (snap);
  guint leaves = flags & (VB_SNAPSHOT_LIST_LEAVES | VB_SNAPSHOT_LIST_NO_LEAVES);

  /* Every snapshot kept has metadata and is internal: the "no" halves of
   * those pairs alone select none. */
  if ((flags & (VB_SNAPSHOT_LIST_METADATA | VB_SNAPSHOT_LIST_NO_METADATA)) == VB_SNAPSHOT_LIST_NO_METADATA)
    return FALSE;
  if ((flags & (VB_SNAPSHOT_LIST_INTERNAL | VB_SNAPSHOT_LIST_EXTERNAL)) == VB_SNAPSHOT_LIST_EXTERNAL)
    return FALSE;
  /* Each pair of filter flags: one selects, both (or neither) mean all. */
  if (leaves == VB_SNAPSHOT_LIST_LEAVES || leaves == VB_SNAPSHOT_LIST_NO_LEAVES) {
    g_autoptr(GPtrArray) kids = vb_snapshot_tree_children (dom, snap->name);
    if ((leaves == VB_SNAPSHOT_LIST_LEAVES) != (kids->len == 0))
      return FALSE;
  }
  if (flags & (VB_SNAPSHOT_LIST_INACTIVE | VB_SNAPSHOT_LIST_ACTIVE | VB_SNAPSHOT_LIST_DISK_ONLY)) {
    gboolean disk_only = def->state == VB_SNAPSHOT_STATE_DISK_SNAPSHOT;
    gboolean inactive = def->state == VB_SNAPSHOT_STATE_SHUTOFF;
    gboolean active = !disk_only && !inactive;
    if (!((flags & VB_SNAPSHOT_LIST_INACTIVE && inactive) || (flags & VB_SNAPSHOT_LIST_ACTIVE && active) ||
          (flags & VB_SNAPSHOT_LIST_DISK_ONLY && disk_only)))
      return FALSE;
  }
  return TRUE;
}

GPtrArray *
vb_snapshot_tree_filter (VbObj *dom, GPtrArray *candidates, guint flags)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) ordered = NULL;

  /* Creation order already puts parents first, except after a
   * redefinition moved a snapshot: walk the tree then. */
  if (flags & VB_SNAPSHOT_LIST_TOPOLOGICAL) {
    g_autoptr(GHashTable) wanted = g_hash_table_new (NULL, NULL);

    for (guint i = 0; i < candidates->len; i++)
      g_hash_table_add (wanted, g_ptr_array_index (candidates, i));
    ordered = g_ptr_array_new ();
    vb_snapshot_tree_collect_descendants (dom, NULL, ordered);
    for (guint i = ordered->len; i > 0; i--)
      if (!g_hash_table_contains (wanted, g_ptr_array_index (ordered, i - 1)))
        g_ptr_array_remove_index (ordered, i - 1);
    candidates = ordered;
  }
  for (guint i = 0; i < candidates->len; i++) {
    VbObj *snap = g_ptr_array_index (candidates, i);
    if (vb_snapshot_tree_matches (dom, snap, flags))
      g_ptr_array_add (out, g_object_ref (snap));
  }
  return out;
}

GPtrArray *
vb_snapshot_tree_list (VbObj *dom, guint flags)
{
  g_autoptr(GPtrArray) candidates = NULL;

  if (flags & VB_SNAPSHOT_LIST_ROOTS)
    candidates = vb_snapshot_tree_children (dom, NULL);
  else
    candidates = vb_snapshot_tree_all (dom);
  return vb_snapshot_tree_filter (dom, candidates, flags);
}

GPtrArray *
vb_snapshot_tree_list_children (VbObj *snap, guint flags)
{
  VbObj *dom = snap->parent;
  g_autoptr(GPtrArray) candidates = NULL;

  if (flags & VB_SNAPSHOT_LIST_DESCENDANTS) {
    candidates = g_ptr_array_new ();
    vb_snapshot_tree_collect_descendants (dom, snap->name, candidates);
  } else {
    candidates = vb_snapshot_tree_children (dom, snap->name);
  }
  return vb_snapshot_tree_filter (dom, candidates, flags);
}

/* Where the current snapshot's name hangs off the domain's VbObj. */
#define CURRENT_KEY "vb-snapshot-tree-current"

const char *
vb_snapshot_tree_get_current (VbObj *dom)
{
  return g_object_get_data (G_OBJECT (dom), CURRENT_KEY);
}

void
vb_snapshot_tree_set_current (VbObj *dom, const char *name)
{
  g_object_set_data_full (G_OBJECT (dom), CURRENT_KEY, g_strdup (name), g_free);
}

gboolean
vb_snapshot_tree_check_live (VbObj *snap, GError **error)
{
  if (snap->parent != NULL && vb_obj_lookup_child (snap->parent, snap->name) == snap)
    return TRUE;
  g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "domain snapshot '%s' no longer exists", snap->name);
  return FALSE;
}

VbObj *
vb_snapshot_tree_lookup_current (VbObj *dom, const char *current, GError **error)
{
  VbObj *snap = current ? vb_obj_lookup_child (dom, current) : NULL;

  if (snap == NULL)
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "domain '%s' has no current snapshot", dom->name);
  return snap;
}

VbObj *
vb_snapshot_tree_lookup_parent (VbObj *snap, GError **error)
{
  const VbSnapshotDef *def = snap_def (snap);
  VbObj *parent;

  if (def->parent == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "snapshot '%s' does not have a parent", snap->name);
    return NULL;
  }
  parent = vb_obj_lookup_child (snap->parent, def->parent);
  if (parent == NULL)
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "the parent '%s' of snapshot '%s' no longer exists",
                 def->parent, snap->name);
  return parent;
}

gboolean
vb_snapshot_tree_check_room (VbObj *dom, GError **error)
{
  if (dom->children == NULL || g_hash_table_size (dom->children) < VB_SNAPSHOT_TREE_MAX)
    return TRUE;
  g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' has too many snapshots", dom->name);
  return FALSE;
}

gboolean
vb_snapshot_tree_check_redefine (VbObj *dom, const VbSnapshotDef *def, GError **error)
{
  if (def->domain == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "missing <domain> in the definition of snapshot '%s'", def->name);
    return FALSE;
  }
  if (def->state == VB_SNAPSHOT_STATE_NONE) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "missing <state> in the definition of snapshot '%s'", def->name);
    return FALSE;
  }
  if (g_strcmp0 (def->domain->uuid, dom->uuid) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "definition for snapshot '%s' must use uuid %s", def->name,
                 dom->uuid);
    return FALSE;
  }
  return TRUE;
}

gboolean
vb_snapshot_tree_check_parent (VbObj *dom, VbObj *existing, const VbSnapshotDef *def, GError **error)
{
  if (def->parent == NULL)
    return TRUE;
  if (vb_obj_lookup_child (dom, def->parent) == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "parent '%s' for snapshot '%s' not found", def->parent,
                 def->name);
    return FALSE;
  }
  if (existing != NULL && vb_snapshot_tree_in_subtree (dom, existing, def->parent)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "parent '%s' would create a cycle to snapshot '%s'",
                 def->parent, def->name);
    return FALSE;
  }
  return TRUE;
}

gboolean
vb_snapshot_tree_check_delete (guint flags, GError **error)
{
  if ((flags & VB_SNAPSHOT_DELETE_CHILDREN) && (flags & VB_SNAPSHOT_DELETE_CHILDREN_ONLY)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "the CHILDREN and CHILDREN_ONLY flags of Delete are mutually exclusive");
    return FALSE;
  }
  return TRUE;
}

gboolean
vb_snapshot_tree_check_revert (VbObj *snap, guint flags, GError **error)
{
  if ((flags & VB_SNAPSHOT_REVERT_RUNNING) && (flags & VB_SNAPSHOT_REVERT_PAUSED)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "the RUNNING and PAUSED flags of Revert are mutually exclusive");
    return FALSE;
  }
  if (snap_def (snap)->domain == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "snapshot '%s' lacks domain '%s' rollback info",
                 snap->name, snap->parent->name);
    return FALSE;
  }
  return TRUE;
}

GPtrArray *
vb_snapshot_tree_doomed (VbObj *snap, guint flags)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);

  if (!(flags & VB_SNAPSHOT_DELETE_CHILDREN_ONLY))
    g_ptr_array_add (list, snap);
  if (flags & (VB_SNAPSHOT_DELETE_CHILDREN | VB_SNAPSHOT_DELETE_CHILDREN_ONLY))
    vb_snapshot_tree_collect_descendants (snap->parent, snap->name, list);
  for (guint i = 0; i < list->len; i++)
    g_ptr_array_add (out, g_object_ref (g_ptr_array_index (list, i)));
  return out;
}

GPtrArray *
vb_snapshot_tree_reparent_children (VbObj *snap)
{
  GPtrArray *kids = vb_snapshot_tree_children (snap->parent, snap->name);
  const char *parent = snap_def (snap)->parent;

  for (guint i = 0; i < kids->len; i++) {
    VbSnapshotDef *kid = snap_def (g_ptr_array_index (kids, i));
    g_free (kid->parent);
    kid->parent = g_strdup (parent);
  }
  return kids;
}

const char *
vb_snapshot_tree_current_after_delete (VbObj *snap, guint flags, GPtrArray *doomed, const char *current)
{
  for (guint i = 0; current != NULL && i < doomed->len; i++)
    if (strcmp (((VbObj *) g_ptr_array_index (doomed, i))->name, current) == 0)
      /* CHILDREN_ONLY keeps @snap, which takes over from its descendant. */
      return (flags & VB_SNAPSHOT_DELETE_CHILDREN_ONLY) ? snap->name : snap_def (snap)->parent;
  return current;
}

/* ---- the operations that only read ---- */

/* FALSE (with @task completed) when @flags has bits beyond @allowed. */
static gboolean
flags_ok (GTask *task, guint flags, guint allowed, const char *method)
{
  GError *error = NULL;

  if (vb_check_flags (flags, allowed, method, &error))
    return TRUE;
  g_task_return_error (task, error);
  return FALSE;
}

/* Completes @task with @obj [o], or with @error when it is NULL. */
static void
return_object (GTask *task, VbObj *obj, GError *error)
{
  if (obj == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_object_ref (obj), g_object_unref);
}

static void
return_list (GTask *task, GPtrArray *list)
{
  g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
}

static void
op_list_snapshots (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  if (!flags_ok (task, flags, VB_SNAPSHOT_LIST_ALL, "ListDomainSnapshots"))
    return;
  return_list (task, vb_snapshot_tree_list (dom, flags));
}

static void
op_snapshot_current (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  GError *error = NULL;
  VbObj *snap;

  if (!flags_ok (task, flags, 0, "SnapshotCurrent"))
    return;
  snap = vb_snapshot_tree_lookup_current (dom, vb_snapshot_tree_get_current (dom), &error);
  return_object (task, snap, error);
}

static void
op_snapshot_get_parent (VbBackend *backend, VbObj *snap, guint flags, GTask *task)
{
  GError *error = NULL;
  VbObj *parent;

  if (!flags_ok (task, flags, 0, "GetParent"))
    return;
  VB_SNAPSHOT_TREE_REQUIRE_LIVE (task, snap);
  parent = vb_snapshot_tree_lookup_parent (snap, &error);
  return_object (task, parent, error);
}

static void
op_snapshot_get_xml_desc (VbBackend *backend, VbObj *snap, guint flags, GTask *task)
{
  if (!flags_ok (task, flags, VB_SNAPSHOT_XML_SECURE, "GetXMLDesc"))
    return;
  VB_SNAPSHOT_TREE_REQUIRE_LIVE (task, snap);
  g_task_return_pointer (task, vb_snapshot_def_format (snap_def (snap), flags), g_free);
}

static void
op_snapshot_is_current (VbBackend *backend, VbObj *snap, guint flags, GTask *task)
{
  gboolean current;

  if (!flags_ok (task, flags, 0, "IsCurrent"))
    return;
  VB_SNAPSHOT_TREE_REQUIRE_LIVE (task, snap);
  current = g_strcmp0 (vb_snapshot_tree_get_current (snap->parent), snap->name) == 0;
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_new_boolean (current)),
                         (GDestroyNotify) g_variant_unref);
}

static void
op_snapshot_list_children (VbBackend *backend, VbObj *snap, guint flags, GTask *task)
{
  if (!flags_ok (task, flags, VB_SNAPSHOT_LIST_ALL, "ListChildren"))
    return;
  VB_SNAPSHOT_TREE_REQUIRE_LIVE (task, snap);
  return_list (task, vb_snapshot_tree_list_children (snap, flags));
}

void
vb_snapshot_tree_ops_init (VbDomainOpsInterface *iface)
{
  iface->list_snapshots = op_list_snapshots;
  iface->snapshot_current = op_snapshot_current;
  iface->snapshot_get_parent = op_snapshot_get_parent;
  iface->snapshot_get_xml_desc = op_snapshot_get_xml_desc;
  iface->snapshot_is_current = op_snapshot_is_current;
  iface->snapshot_list_children = op_snapshot_list_children;
}
