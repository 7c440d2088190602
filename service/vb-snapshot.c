/* org.libvirt.DomainSnapshot skeletons. Pure translation: D-Bus arguments
 * in, the snapshot entries of VbDomainOps out. The snapshot's VbObj has the
 * domain as ->parent; the Domain-side snapshot methods (SnapshotCreateXML,
 * ListDomainSnapshots, …) live with the other domain methods. */
#define G_LOG_DOMAIN "virtbus"

#include "vb-connect.h"
#include "vb-skeleton.h"
#include "vb-domain-ops.h"
#include "vb-error.h"

#define VB_TYPE_SNAPSHOT (vb_snapshot_get_type ())
G_DECLARE_FINAL_TYPE (VbSnapshot, vb_snapshot, VB, SNAPSHOT, VbGenLibvirtDomainSnapshotSkeleton)

struct _VbSnapshot {
  VbGenLibvirtDomainSnapshotSkeleton parent_instance;

  VbConnect *connect; /* owns the exported objects, so outlives them */
  VbObj *obj;
};

static void vb_snapshot_iface_init (VbGenLibvirtDomainSnapshotIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VbSnapshot, vb_snapshot, VB_GEN_TYPE_LIBVIRT_DOMAIN_SNAPSHOT_SKELETON,
                               G_IMPLEMENT_INTERFACE (VB_GEN_TYPE_LIBVIRT_DOMAIN_SNAPSHOT, vb_snapshot_iface_init))

static void
vb_snapshot_finalize (GObject *object)
{
  VbSnapshot *self = VB_SNAPSHOT (object);

  g_clear_object (&self->obj);
  G_OBJECT_CLASS (vb_snapshot_parent_class)->finalize (object);
}

/* Runs snapshot operation @op of the backend on @self's snapshot and
 * replies as @kind. */
#define SNAPSHOT_OP(op, kind)                                                                          \
  G_STMT_START {                                                                                       \
    GError *error = NULL;                                                                              \
    VbDomainOpsInterface *ops = vb_connect_get_ops (self->connect, VB_TYPE_DOMAIN_OPS, "domain snapshots", \
                                                    &error);                                           \
    if (ops == NULL) {                                                                                 \
      vb_invocation_return_gerror (invocation, error);                                                 \
      return TRUE;                                                                                     \
    }                                                                                                  \
    if (ops->op == NULL) {                                                                             \
      vb_invocation_return_error (invocation, VB_ERROR_NOT_SUPPORTED,                                  \
                                  "%s is not supported by the %s connection",                          \
                                  g_dbus_method_invocation_get_method_name (invocation),               \
                                  vb_backend_get_uri (vb_connect_get_backend (self->connect)));        \
      return TRUE;                                                                                     \
    }                                                                                                  \
    g_autoptr(GTask) task = vb_invocation_task_new (self->connect, invocation, (kind));                \
    ops->op (vb_connect_get_backend (self->connect), self->obj, flags, task);                          \
    return TRUE;                                                                                       \
  } G_STMT_END

static gboolean
handle_delete (VbGenLibvirtDomainSnapshot *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbSnapshot *self = VB_SNAPSHOT (iface);

  SNAPSHOT_OP (snapshot_delete, VB_REPLY_VOID);
}

static gboolean
handle_get_parent (VbGenLibvirtDomainSnapshot *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbSnapshot *self = VB_SNAPSHOT (iface);

  SNAPSHOT_OP (snapshot_get_parent, VB_REPLY_OBJECT);
}

static gboolean
handle_get_xml_desc (VbGenLibvirtDomainSnapshot *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbSnapshot *self = VB_SNAPSHOT (iface);

  SNAPSHOT_OP (snapshot_get_xml_desc, VB_REPLY_STRING);
}

static gboolean
handle_is_current (VbGenLibvirtDomainSnapshot *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbSnapshot *self = VB_SNAPSHOT (iface);

  SNAPSHOT_OP (snapshot_is_current, VB_REPLY_VALUE);
}

static gboolean
handle_list_children (VbGenLibvirtDomainSnapshot *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbSnapshot *self = VB_SNAPSHOT (iface);

  SNAPSHOT_OP (snapshot_list_children, VB_REPLY_OBJECT_LIST);
}

static gboolean
handle_revert (VbGenLibvirtDomainSnapshot *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbSnapshot *self = VB_SNAPSHOT (iface);

  SNAPSHOT_OP (snapshot_revert, VB_REPLY_VOID);
}

static void
vb_snapshot_iface_init (VbGenLibvirtDomainSnapshotIface *iface)
{
  iface->handle_delete = handle_delete;
  iface->handle_get_parent = handle_get_parent;
  iface->handle_get_xmldesc = handle_get_xml_desc;
  iface->handle_is_current = handle_is_current;
  iface->handle_list_children = handle_list_children;
  iface->handle_revert = handle_revert;
}

static void
vb_snapshot_class_init (VbSnapshotClass *klass)
{
  vb_skeleton_class_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass), NULL);
  G_OBJECT_CLASS (klass)->finalize = vb_snapshot_finalize;
}

static void
vb_snapshot_init (VbSnapshot *self)
{
}

GDBusInterfaceSkeleton *
vb_snapshot_skeleton_new (VbConnect *connect, VbObj *obj)
{
  VbSnapshot *self;

  g_return_val_if_fail (obj->kind == VB_OBJ_SNAPSHOT && obj->parent != NULL, NULL);
  self = g_object_new (VB_TYPE_SNAPSHOT, NULL);
  self->connect = connect;
  self->obj = g_object_ref (obj);
  return G_DBUS_INTERFACE_SKELETON (self);
}
