/* The snapshot tree shared by the backends: listing filters, topological
 * order, redefinition checks and what Delete takes away or re-parents. */
#include <string.h>

#include "vb-error.h"
#include "vb-snapshot-tree.h"

/* A domain whose snapshots die with it: each holds a reference on it, so
 * dropping them first lets the domain go. */
static void
free_dom (VbObj *dom)
{
  if (dom->children != NULL)
    g_hash_table_remove_all (dom->children);
  g_object_unref (dom);
}

typedef VbObj TreeDom;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TreeDom, free_dom)

/* Adds snapshot @name (child of @parent, NULL for a root) in @state. */
static VbObj *
add (VbObj *dom, const char *name, const char *parent, VbSnapshotState state)
{
  VbSnapshotDef *def = vb_snapshot_def_new ();
  g_autoptr(VbObj) snap = NULL;

  def->name = g_strdup (name);
  def->parent = g_strdup (parent);
  def->state = state;
  snap = vb_snapshot_tree_new_obj (dom, def);
  vb_obj_add_child (dom, snap);
  return snap; /* @dom's children table holds it */
}

/* "a,b,c" from the names in @list. */
static char *
names (GPtrArray *list)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < list->len; i++)
    g_string_append_printf (out, "%s%s", i ? "," : "", ((VbObj *) g_ptr_array_index (list, i))->name);
  return g_string_free (out, FALSE);
}

static char *
list (VbObj *dom, guint flags)
{
  g_autoptr(GPtrArray) l = vb_snapshot_tree_list (dom, flags);
  return names (l);
}

static char *
list_children (VbObj *dom, const char *snap, guint flags)
{
  g_autoptr(GPtrArray) l = vb_snapshot_tree_list_children (vb_obj_lookup_child (dom, snap), flags);
  return names (l);
}

#define ASSERT_LIST(dom, flags, expected)                 \
  G_STMT_START {                                          \
    g_autofree char *got_ = list ((dom), (flags));        \
    g_assert_cmpstr (got_, ==, (expected));               \
  } G_STMT_END

#define ASSERT_CHILDREN(dom, snap, flags, expected)               \
  G_STMT_START {                                                  \
    g_autofree char *got_ = list_children ((dom), (snap), (flags)); \
    g_assert_cmpstr (got_, ==, (expected));                       \
  } G_STMT_END

/* a (running) ─ b (shut off) ─ d (running)
 *             └ c (disk only)
 * e (paused), a second root; created in the order a b c d e. */
static TreeDom *
make_tree (void)
{
  VbObj *dom = vb_obj_new (VB_OBJ_DOMAIN, "dom", "6695eb01-f6a4-8304-79aa-97f2502e193f", NULL, NULL);

  add (dom, "a", NULL, VB_SNAPSHOT_STATE_RUNNING);
  add (dom, "b", "a", VB_SNAPSHOT_STATE_SHUTOFF);
  add (dom, "c", "a", VB_SNAPSHOT_STATE_DISK_SNAPSHOT);
  add (dom, "d", "b", VB_SNAPSHOT_STATE_RUNNING);
  add (dom, "e", NULL, VB_SNAPSHOT_STATE_PAUSED);
  return dom;
}

static void
test_list_filters (void)
{
  g_autoptr(TreeDom) dom = make_tree ();

  ASSERT_LIST (dom, 0, "a,b,c,d,e");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_ROOTS, "a,e");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_LEAVES, "c,d,e");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_NO_LEAVES, "a,b");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_LEAVES | VB_SNAPSHOT_LIST_NO_LEAVES, "a,b,c,d,e");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_ROOTS | VB_SNAPSHOT_LIST_LEAVES, "e");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_INACTIVE, "b");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_ACTIVE, "a,d,e");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_DISK_ONLY, "c");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_INACTIVE | VB_SNAPSHOT_LIST_DISK_ONLY, "b,c");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_ACTIVE | VB_SNAPSHOT_LIST_NO_LEAVES, "a");
  /* All have metadata and all are internal. */
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_METADATA, "a,b,c,d,e");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_NO_METADATA, "");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_METADATA | VB_SNAPSHOT_LIST_NO_METADATA, "a,b,c,d,e");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_INTERNAL, "a,b,c,d,e");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_EXTERNAL, "");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_INTERNAL | VB_SNAPSHOT_LIST_EXTERNAL, "a,b,c,d,e");
}

static void
test_list_children (void)
{
  g_autoptr(TreeDom) dom = make_tree ();

  ASSERT_CHILDREN (dom, "a", 0, "b,c");
  ASSERT_CHILDREN (dom, "a", VB_SNAPSHOT_LIST_DESCENDANTS, "b,c,d");
  ASSERT_CHILDREN (dom, "a", VB_SNAPSHOT_LIST_DESCENDANTS | VB_SNAPSHOT_LIST_LEAVES, "c,d");
  ASSERT_CHILDREN (dom, "a", VB_SNAPSHOT_LIST_DESCENDANTS | VB_SNAPSHOT_LIST_ACTIVE, "d");
  ASSERT_CHILDREN (dom, "b", 0, "d");
  ASSERT_CHILDREN (dom, "d", VB_SNAPSHOT_LIST_DESCENDANTS, "");
  ASSERT_CHILDREN (dom, "e", 0, "");
}

/* A redefinition that moves an older snapshot below a newer one breaks
 * creation order: TOPOLOGICAL still lists parents first. */
static void
test_topological (void)
{
  g_autoptr(TreeDom) dom = vb_obj_new (VB_OBJ_DOMAIN, "dom", "6695eb01-f6a4-8304-79aa-97f2502e193f", NULL, NULL);
  VbObj *p = add (dom, "p", NULL, VB_SNAPSHOT_STATE_RUNNING);
  VbObj *q;
  VbSnapshotDef *pdef = p->def;

  add (dom, "r", "p", VB_SNAPSHOT_STATE_SHUTOFF);
  q = add (dom, "q", NULL, VB_SNAPSHOT_STATE_RUNNING);
  g_free (pdef->parent);
  pdef->parent = g_strdup ("q");

  ASSERT_LIST (dom, 0, "p,r,q");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_TOPOLOGICAL, "q,p,r");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_TOPOLOGICAL | VB_SNAPSHOT_LIST_ROOTS, "q");
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_TOPOLOGICAL | VB_SNAPSHOT_LIST_NO_LEAVES, "q,p");
  ASSERT_CHILDREN (dom, "q", VB_SNAPSHOT_LIST_DESCENDANTS | VB_SNAPSHOT_LIST_TOPOLOGICAL, "p,r");

  g_assert_true (vb_snapshot_tree_in_subtree (dom, q, "r"));
  g_assert_true (vb_snapshot_tree_in_subtree (dom, q, "q"));
  g_assert_false (vb_snapshot_tree_in_subtree (dom, p, "q"));
}

static void
test_lookups (void)
{
  g_autoptr(TreeDom) dom = make_tree ();
  VbObj *d = vb_obj_lookup_child (dom, "d");
  g_autoptr(VbObj) gone = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (vb_snapshot_tree_lookup_parent (d, &error) == vb_obj_lookup_child (dom, "b"));
  g_assert_no_error (error);
  g_assert_null (vb_snapshot_tree_lookup_parent (vb_obj_lookup_child (dom, "a"), &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "does not have a parent"));
  g_clear_error (&error);

  g_assert_null (vb_snapshot_tree_get_current (dom));
  vb_snapshot_tree_set_current (dom, "e");
  g_assert_cmpstr (vb_snapshot_tree_get_current (dom), ==, "e");
  g_assert_true (vb_snapshot_tree_lookup_current (dom, vb_snapshot_tree_get_current (dom), &error) ==
                 vb_obj_lookup_child (dom, "e"));
  vb_snapshot_tree_set_current (dom, NULL);
  g_assert_null (vb_snapshot_tree_get_current (dom));
  g_assert_null (vb_snapshot_tree_lookup_current (dom, NULL, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (vb_snapshot_tree_check_live (d, &error));
  gone = g_object_ref (d);
  vb_obj_remove_child (dom, gone);
  g_assert_false (vb_snapshot_tree_check_live (gone, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* b lost its only child */
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_LEAVES, "b,c,e");
  g_assert_true (vb_snapshot_tree_check_room (dom, &error));
}

static void
test_redefine_checks (void)
{
  g_autoptr(TreeDom) dom = make_tree ();
  g_autoptr(VbSnapshotDef) def = vb_snapshot_def_new ();
  g_autoptr(GError) error = NULL;

  def->name = g_strdup ("a");
  g_assert_false (vb_snapshot_tree_check_redefine (dom, def, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  g_clear_error (&error);

  def->domain = vb_domain_def_new ();
  g_strlcpy (def->domain->uuid, "6695eb01-f6a4-8304-79aa-97f2502e193f", sizeof def->domain->uuid);
  g_assert_false (vb_snapshot_tree_check_redefine (dom, def, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  g_clear_error (&error);

  def->state = VB_SNAPSHOT_STATE_RUNNING;
  g_assert_true (vb_snapshot_tree_check_redefine (dom, def, &error));
  g_assert_no_error (error);
  g_strlcpy (def->domain->uuid, "00000000-0000-0000-0000-000000000001", sizeof def->domain->uuid);
  g_assert_false (vb_snapshot_tree_check_redefine (dom, def, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_clear_error (&error);

  /* a below its own grandchild d: a cycle; below e: fine. */
  def->parent = g_strdup ("d");
  g_assert_false (vb_snapshot_tree_check_parent (dom, vb_obj_lookup_child (dom, "a"), def, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_assert_nonnull (strstr (error->message, "cycle"));
  g_clear_error (&error);
  /* A new snapshot may hang anywhere. */
  g_assert_true (vb_snapshot_tree_check_parent (dom, NULL, def, &error));
  g_free (def->parent);
  def->parent = g_strdup ("e");
  g_assert_true (vb_snapshot_tree_check_parent (dom, vb_obj_lookup_child (dom, "a"), def, &error));
  g_free (def->parent);
  def->parent = g_strdup ("nope");
  g_assert_false (vb_snapshot_tree_check_parent (dom, NULL, def, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_assert_nonnull (strstr (error->message, "not found"));
}

static void
test_delete (void)
{
  g_autoptr(TreeDom) dom = make_tree ();
  VbObj *a = vb_obj_lookup_child (dom, "a");
  VbObj *b = vb_obj_lookup_child (dom, "b");
  g_autoptr(GPtrArray) doomed = NULL;
  g_autoptr(GPtrArray) moved = NULL;
  g_autofree char *got = NULL;

  /* What goes, parents first. */
  doomed = vb_snapshot_tree_doomed (a, 0);
  got = names (doomed);
  g_assert_cmpstr (got, ==, "a");
  g_clear_pointer (&doomed, g_ptr_array_unref);
  g_clear_pointer (&got, g_free);
  doomed = vb_snapshot_tree_doomed (a, VB_SNAPSHOT_DELETE_CHILDREN);
  got = names (doomed);
  g_assert_cmpstr (got, ==, "a,b,c,d");
  g_clear_pointer (&doomed, g_ptr_array_unref);
  g_clear_pointer (&got, g_free);
  doomed = vb_snapshot_tree_doomed (a, VB_SNAPSHOT_DELETE_CHILDREN_ONLY);
  got = names (doomed);
  g_assert_cmpstr (got, ==, "b,c,d");
  g_clear_pointer (&got, g_free);

  /* The current snapshot after the delete. */
  g_assert_cmpstr (vb_snapshot_tree_current_after_delete (a, VB_SNAPSHOT_DELETE_CHILDREN_ONLY, doomed, "d"), ==, "a");
  g_assert_cmpstr (vb_snapshot_tree_current_after_delete (a, VB_SNAPSHOT_DELETE_CHILDREN_ONLY, doomed, "e"), ==, "e");
  g_assert_cmpstr (vb_snapshot_tree_current_after_delete (a, VB_SNAPSHOT_DELETE_CHILDREN_ONLY, doomed, "a"), ==, "a");
  g_assert_null (vb_snapshot_tree_current_after_delete (a, VB_SNAPSHOT_DELETE_CHILDREN_ONLY, doomed, NULL));
  g_clear_pointer (&doomed, g_ptr_array_unref);
  doomed = vb_snapshot_tree_doomed (b, VB_SNAPSHOT_DELETE_CHILDREN);
  g_assert_cmpstr (vb_snapshot_tree_current_after_delete (b, VB_SNAPSHOT_DELETE_CHILDREN, doomed, "d"), ==, "a");
  g_clear_pointer (&doomed, g_ptr_array_unref);
  doomed = vb_snapshot_tree_doomed (a, 0);
  g_assert_null (vb_snapshot_tree_current_after_delete (a, 0, doomed, "a"));

  /* Flag combinations Delete and Revert refuse. */
  g_assert_true (vb_snapshot_tree_check_delete (VB_SNAPSHOT_DELETE_CHILDREN, NULL));
  g_assert_false (vb_snapshot_tree_check_delete (VB_SNAPSHOT_DELETE_CHILDREN | VB_SNAPSHOT_DELETE_CHILDREN_ONLY,
                                                 NULL));
  {
    g_autoptr(GError) error = NULL;
    g_assert_false (vb_snapshot_tree_check_revert (a, VB_SNAPSHOT_REVERT_RUNNING | VB_SNAPSHOT_REVERT_PAUSED, &error));
    g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
    g_clear_error (&error);
    /* These snapshots carry no domain definition to go back to. */
    g_assert_false (vb_snapshot_tree_check_revert (a, VB_SNAPSHOT_REVERT_PAUSED, &error));
    g_assert_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID);
    g_assert_nonnull (strstr (error->message, "rollback"));
  }

  /* Deleting b alone: d moves up to a. */
  moved = vb_snapshot_tree_reparent_children (b);
  got = names (moved);
  g_assert_cmpstr (got, ==, "d");
  g_clear_pointer (&moved, g_ptr_array_unref);
  g_clear_pointer (&got, g_free);
  vb_obj_remove_child (dom, b);
  ASSERT_CHILDREN (dom, "a", 0, "c,d");
  /* Then a: c and d become roots. */
  moved = vb_snapshot_tree_reparent_children (a);
  got = names (moved);
  g_assert_cmpstr (got, ==, "c,d");
  vb_obj_remove_child (dom, a);
  ASSERT_LIST (dom, VB_SNAPSHOT_LIST_ROOTS, "c,d,e");
}

/* An internal snapshot covers the writable disks; media and read-only
 * disks are listed with snapshot "no". */
static void
test_internal_disks (void)
{
  static const char xml[] =
    "<domain type='test'><name>d</name><memory>8192</memory><os><type>hvm</type></os><devices>"
    "<disk type='file' device='disk'><source file='/a.qcow2'/><target dev='vda' bus='virtio'/></disk>"
    "<disk type='file' device='cdrom'><source file='/b.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>"
    "<disk type='file' device='disk'><source file='/c.img'/><target dev='vdb' bus='virtio'/><readonly/></disk>"
    "<disk type='file' device='disk'><source file='/d.img'/><target dev='vdc' bus='virtio'/></disk>"
    "</devices></domain>";
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDef) ddef = vb_domain_def_parse (xml, &error);
  g_autoptr(GPtrArray) disks = NULL;
  static const struct {
    const char *name;
    VbSnapshotLocation snapshot;
  } want[] = {
    { "vda", VB_SNAPSHOT_LOCATION_INTERNAL },
    { "hdc", VB_SNAPSHOT_LOCATION_NO },
    { "vdb", VB_SNAPSHOT_LOCATION_NO },
    { "vdc", VB_SNAPSHOT_LOCATION_INTERNAL },
  };

  g_assert_no_error (error);
  disks = vb_snapshot_tree_internal_disks (ddef);
  g_assert_cmpuint (disks->len, ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < disks->len; i++) {
    const VbSnapshotDiskDef *disk = g_ptr_array_index (disks, i);
    g_assert_cmpstr (disk->name, ==, want[i].name);
    g_assert_cmpint (disk->snapshot, ==, want[i].snapshot);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/snapshot-tree/list-filters", test_list_filters);
  g_test_add_func ("/snapshot-tree/list-children", test_list_children);
  g_test_add_func ("/snapshot-tree/topological", test_topological);
  g_test_add_func ("/snapshot-tree/lookups", test_lookups);
  g_test_add_func ("/snapshot-tree/redefine-checks", test_redefine_checks);
  g_test_add_func ("/snapshot-tree/delete", test_delete);
  g_test_add_func ("/snapshot-tree/internal-disks", test_internal_disks);
  return g_test_run ();
}
