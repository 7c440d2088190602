/* The domain snapshot tree, as every backend keeps it: each snapshot is a
 * VbObj (kind VB_OBJ_SNAPSHOT) child of its domain's VbObj, with its
 * VbSnapshotDef as ->def and a creation serial in ->backend_data; the tree
 * lives in the defs' parent names, so nothing dangles when a snapshot goes.
 *
 * What is here is backend-independent: walks, libvirt's listing filters,
 * the current snapshot's name (kept on the domain's object), the checks of
 * a redefinition, the re-parenting of a deleted snapshot's children, and
 * the operations that only read the tree. Taking, deleting and reverting
 * snapshots, storing their metadata and exporting or removing their
 * objects stay the backends'. */
#pragma once

#include <gio/gio.h>

#include "vb-domain-ops.h"
#include "vb-obj.h"
#include "vb-snapshot-def.h"

G_BEGIN_DECLS

/* virDomainSnapshotCreateFlags */
typedef enum {
  VB_SNAPSHOT_CREATE_REDEFINE = 1 << 0,
  VB_SNAPSHOT_CREATE_CURRENT = 1 << 1,
  VB_SNAPSHOT_CREATE_NO_METADATA = 1 << 2,
  VB_SNAPSHOT_CREATE_HALT = 1 << 3,
  VB_SNAPSHOT_CREATE_DISK_ONLY = 1 << 4,
  VB_SNAPSHOT_CREATE_REUSE_EXT = 1 << 5,
  VB_SNAPSHOT_CREATE_QUIESCE = 1 << 6,
  VB_SNAPSHOT_CREATE_ATOMIC = 1 << 7,
  VB_SNAPSHOT_CREATE_LIVE = 1 << 8,
  VB_SNAPSHOT_CREATE_VALIDATE = 1 << 9,
  VB_SNAPSHOT_CREATE_ALL = (1 << 10) - 1,
} VbSnapshotCreateFlags;

/* virDomainSnapshotListFlags. Bit 0 is ROOTS when listing a domain's
 * snapshots and DESCENDANTS when listing a snapshot's children. */
typedef enum {
  VB_SNAPSHOT_LIST_ROOTS = 1 << 0,
  VB_SNAPSHOT_LIST_DESCENDANTS = 1 << 0,
  VB_SNAPSHOT_LIST_METADATA = 1 << 1,
  VB_SNAPSHOT_LIST_LEAVES = 1 << 2,
  VB_SNAPSHOT_LIST_NO_LEAVES = 1 << 3,
  VB_SNAPSHOT_LIST_NO_METADATA = 1 << 4,
  VB_SNAPSHOT_LIST_INACTIVE = 1 << 5,
  VB_SNAPSHOT_LIST_ACTIVE = 1 << 6,
  VB_SNAPSHOT_LIST_DISK_ONLY = 1 << 7,
  VB_SNAPSHOT_LIST_INTERNAL = 1 << 8,
  VB_SNAPSHOT_LIST_EXTERNAL = 1 << 9,
  VB_SNAPSHOT_LIST_TOPOLOGICAL = 1 << 10,
  VB_SNAPSHOT_LIST_ALL = (1 << 11) - 1,
} VbSnapshotListFlags;

/* virDomainSnapshotDeleteFlags */
typedef enum {
  VB_SNAPSHOT_DELETE_CHILDREN = 1 << 0,
  VB_SNAPSHOT_DELETE_METADATA_ONLY = 1 << 1,
  VB_SNAPSHOT_DELETE_CHILDREN_ONLY = 1 << 2,
  VB_SNAPSHOT_DELETE_ALL = (1 << 3) - 1,
} VbSnapshotDeleteFlags;

/* virDomainSnapshotRevertFlags */
typedef enum {
  VB_SNAPSHOT_REVERT_RUNNING = 1 << 0,
  VB_SNAPSHOT_REVERT_PAUSED = 1 << 1,
  VB_SNAPSHOT_REVERT_FORCE = 1 << 2,
  VB_SNAPSHOT_REVERT_ALL = (1 << 3) - 1,
} VbSnapshotRevertFlags;

/* Largest number of snapshots per domain: keeps the tree walks bounded. */
#define VB_SNAPSHOT_TREE_MAX 10000

/* What an internal snapshot of a domain defined by @ddef covers: one
 * VbSnapshotDiskDef per disk, in the domain's order, "internal" for the
 * writable disks and "no" for media and read-only ones (freed with the
 * array). */
GPtrArray *vb_snapshot_tree_internal_disks (const VbDomainDef *ddef);

/* A new snapshot object of @dom (taking @def), with its creation serial;
 * not yet exported (vb_backend_add_object) nor in @dom's children. */
VbObj *vb_snapshot_tree_new_obj (VbObj *dom, VbSnapshotDef *def);

/* All snapshots of @dom, oldest first (borrowed pointers). */
GPtrArray *vb_snapshot_tree_all (VbObj *dom);
/* The direct children of the snapshot named @parent, roots when NULL,
 * oldest first (borrowed). */
GPtrArray *vb_snapshot_tree_children (VbObj *dom, const char *parent);
/* Appends (borrowed) the descendants of the snapshot named @parent (every
 * snapshot when NULL) to @out, parents before children. */
void vb_snapshot_tree_collect_descendants (VbObj *dom, const char *parent, GPtrArray *out);
/* TRUE when @name is @snap's or one of its descendants'. */
gboolean vb_snapshot_tree_in_subtree (VbObj *dom, VbObj *snap, const char *name);

/* Whether @snap passes the filter flags (VbSnapshotListFlags) of a listing. */
gboolean vb_snapshot_tree_matches (VbObj *dom, VbObj *snap, guint flags);
/* The @candidates (borrowed) passing @flags, as an array owning its
 * references; TOPOLOGICAL puts parents before children. */
GPtrArray *vb_snapshot_tree_filter (VbObj *dom, GPtrArray *candidates, guint flags);
/* ListDomainSnapshots of @dom (ROOTS: the roots only), owned references. */
GPtrArray *vb_snapshot_tree_list (VbObj *dom, guint flags);
/* ListChildren of @snap (DESCENDANTS: all below it), owned references. */
GPtrArray *vb_snapshot_tree_list_children (VbObj *snap, guint flags);

/* The name of @dom's current snapshot, NULL when it has none. */
const char *vb_snapshot_tree_get_current (VbObj *dom);
/* Makes the snapshot named @name (NULL: none) @dom's current one. */
void vb_snapshot_tree_set_current (VbObj *dom, const char *name);

/* A call queued on a snapshot object may find it deleted meanwhile:
 * NOT_FOUND then. */
gboolean vb_snapshot_tree_check_live (VbObj *snap, GError **error);
/* The same in a backend's operation: completes @task with the error and
 * returns. */
#define VB_SNAPSHOT_TREE_REQUIRE_LIVE(task, snap)                 \
  G_STMT_START {                                                  \
    GError *live_error_ = NULL;                                   \
    if (!vb_snapshot_tree_check_live ((snap), &live_error_)) {    \
      g_task_return_error ((task), live_error_);                  \
      return;                                                     \
    }                                                             \
  } G_STMT_END
/* The snapshot named @current of @dom (borrowed), or NOT_FOUND. */
VbObj *vb_snapshot_tree_lookup_current (VbObj *dom, const char *current, GError **error);
/* @snap's parent snapshot (borrowed), or NOT_FOUND for a root. */
VbObj *vb_snapshot_tree_lookup_parent (VbObj *snap, GError **error);

/* Fails when @dom has as many snapshots as it may. */
gboolean vb_snapshot_tree_check_room (VbObj *dom, GError **error);
/* A redefinition's document: it has the domain (with @dom's UUID) and the
 * state. */
gboolean vb_snapshot_tree_check_redefine (VbObj *dom, const VbSnapshotDef *def, GError **error);
/* A redefinition's parent exists and, when it redefines @existing (NULL
 * for a new snapshot), is not below it. */
gboolean vb_snapshot_tree_check_parent (VbObj *dom, VbObj *existing, const VbSnapshotDef *def, GError **error);

/* Delete's @flags: CHILDREN and CHILDREN_ONLY exclude each other. */
gboolean vb_snapshot_tree_check_delete (guint flags, GError **error);
/* Revert to @snap with @flags: RUNNING and PAUSED exclude each other, and
 * the snapshot has the domain's definition to go back to. */
gboolean vb_snapshot_tree_check_revert (VbObj *snap, guint flags, GError **error);

/* The snapshots Delete of @snap with @flags (VbSnapshotDeleteFlags) takes
 * away, parents before children, owned references. */
GPtrArray *vb_snapshot_tree_doomed (VbObj *snap, guint flags);
/* Moves @snap's children up to @snap's parent; returns them (borrowed). */
GPtrArray *vb_snapshot_tree_reparent_children (VbObj *snap);
/* The current snapshot's name once Delete of @snap with @flags took
 * @doomed away, @current being the name before (may be NULL). */
const char *vb_snapshot_tree_current_after_delete (VbObj *snap, guint flags, GPtrArray *doomed,
                                                   const char *current);

/* The operations that only read the tree, for a backend's ops_init:
 * list_snapshots, snapshot_current, snapshot_get_parent,
 * snapshot_get_xml_desc, snapshot_is_current and snapshot_list_children. */
void vb_snapshot_tree_ops_init (VbDomainOpsInterface *iface);

G_END_DECLS
