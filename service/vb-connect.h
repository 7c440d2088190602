/* VbConnect: org.libvirt.Connect for one backend at /org/libvirt/<Driver>.
 * It exports the backend's objects (lazily: one subtree per kind, skeletons
 * made when calls reach an object), sends the ObjectManager and
 * PropertiesChanged signals for them from the backend's signals, and
 * answers the host queries.
 * The per-kind Connect methods (ListDomains, NetworkDefineXML, …) are hooked
 * in by the kind's own file (vb-domain.c, vb-network.c, …). */
#pragma once

#include "vb-backend.h"
#include "vb-generated.h"
#include "vb-invocation.h"

G_BEGIN_DECLS

#define VB_TYPE_CONNECT (vb_connect_get_type ())
G_DECLARE_FINAL_TYPE (VbConnect, vb_connect, VB, CONNECT, VbGenLibvirtConnectSkeleton)

/* @manager holds the Connect object; the backend's objects are exported on
 * @connection lazily (see "export" in vb-connect.c). */
VbConnect *vb_connect_new (VbBackend *backend, GDBusObjectManagerServer *manager, GDBusConnection *connection,
                           GError **error);
VbBackend *vb_connect_get_backend (VbConnect *self);
const char *vb_connect_get_path (VbConnect *self);
/* Unexports everything (at shutdown). */
void vb_connect_unexport (VbConnect *self);

/* Every object exported by this connection (references): top-level
 * objects, then volumes and snapshots. */
GPtrArray *vb_connect_list_objects (VbConnect *self);
/* Adds @obj's ObjectManager entry ({oa{sa{sv}}}: path, interfaces and their
 * properties) to @builder. */
void vb_connect_object_entry (VbConnect *self, VbObj *obj, GVariantBuilder *builder);

/* The "(ao)" reply listing @objs (all of one kind), a new reference;
 * the last one per kind is kept for the next identical list. */
GVariant *vb_connect_list_value (VbConnect *self, GPtrArray *objs);

/* The D-Bus path of @obj (cached on the object). */
char *vb_connect_path_for_obj (VbConnect *self, VbObj *obj);
/* The same as an "o" value, owned by @obj (take a reference to keep it). */
GVariant *vb_connect_path_value_for_obj (VbConnect *self, VbObj *obj);
/* The object at @path, or NULL with a not-found error. */
VbObj *vb_connect_obj_for_path (VbConnect *self, const char *path, VbObjKind kind, GError **error);

/* The ops interface @iface_type of the backend, or NULL with an error that
 * says this connection does not manage that kind of object. */
gpointer vb_connect_get_ops (VbConnect *self, GType iface_type, const char *what, GError **error);

/* Replies with @obj's path, or when @obj is NULL with "<Kind> not found:
 * <what>" (what: "no domain with matching name 'x'"). */
gboolean vb_connect_reply_lookup (VbConnect *self, GDBusMethodInvocation *invocation, VbObjKind kind, VbObj *obj,
                                  const char *what);
/* Connect.<Kind>LookupByName / ByUUID for top-level objects of @kind (the
 * UUID is validated and canonicalised first). */
gboolean vb_connect_lookup_by_name (VbConnect *self, GDBusMethodInvocation *invocation, VbObjKind kind,
                                    const char *noun, const char *name);
gboolean vb_connect_lookup_by_uuid (VbConnect *self, GDBusMethodInvocation *invocation, VbObjKind kind,
                                    const char *noun, const char *uuid);
/* Connect.List<Kind>s: rejects flags outside @allowed_flags (naming the
 * invoked method), then replies with the top-level objects of @kind for
 * which @matches (obj, flags) is TRUE. */
typedef gboolean (*VbObjMatchFunc) (VbObj *obj, guint flags);
gboolean vb_connect_reply_list (VbConnect *self, GDBusMethodInvocation *invocation, VbObjKind kind, guint flags,
                                guint allowed_flags, VbObjMatchFunc matches);

/* Replies that the connection's backend lacks the invoked method. */
void vb_connect_return_not_supported (VbConnect *self, GDBusMethodInvocation *invocation);

/* The body of a method handler that runs operation @op of the backend's ops
 * interface (@IfaceStruct, GType @iface_type, @what names the object kind in
 * errors) with the argument list @args — which may use `backend`, `obj` (set
 * to @obj_) and `task` — and replies as @kind. Expects `invocation` in scope. */
#define VB_CONNECT_RUN_OP(connect_, IfaceStruct, iface_type, what, obj_, op, kind, args)                \
  G_STMT_START {                                                                                       \
    GError *ops_error_ = NULL;                                                                         \
    IfaceStruct *ops = vb_connect_get_ops ((connect_), (iface_type), (what), &ops_error_);             \
    if (ops == NULL) {                                                                                 \
      vb_invocation_return_gerror (invocation, ops_error_);                                            \
      return TRUE;                                                                                     \
    }                                                                                                  \
    if (ops->op == NULL) {                                                                             \
      vb_connect_return_not_supported ((connect_), invocation);                                        \
      return TRUE;                                                                                     \
    }                                                                                                  \
    VbBackend *backend = vb_connect_get_backend (connect_);                                            \
    VbObj *obj = (obj_);                                                                               \
    g_autoptr(GTask) task = vb_invocation_task_new ((connect_), invocation, (kind));                   \
    (void) backend;                                                                                    \
    (void) obj;                                                                                        \
    ops->op args;                                                                                      \
    return TRUE;                                                                                       \
  } G_STMT_END

/* Per-kind pieces, each in its own file. */
GDBusInterfaceSkeleton *vb_domain_skeleton_new (VbConnect *connect, VbObj *obj);
GDBusInterfaceSkeleton *vb_snapshot_skeleton_new (VbConnect *connect, VbObj *obj);
GDBusInterfaceSkeleton *vb_network_skeleton_new (VbConnect *connect, VbObj *obj);
GDBusInterfaceSkeleton *vb_storage_pool_skeleton_new (VbConnect *connect, VbObj *obj);
GDBusInterfaceSkeleton *vb_storage_vol_skeleton_new (VbConnect *connect, VbObj *obj);
GDBusInterfaceSkeleton *vb_node_device_skeleton_new (VbConnect *connect, VbObj *obj);
GDBusInterfaceSkeleton *vb_interface_skeleton_new (VbConnect *connect, VbObj *obj);
GDBusInterfaceSkeleton *vb_secret_skeleton_new (VbConnect *connect, VbObj *obj);
GDBusInterfaceSkeleton *vb_nwfilter_skeleton_new (VbConnect *connect, VbObj *obj);
/* org.virtbus.Domain (vb-virtbus-domain.c): NULL when the backend offers
 * none of its methods. */
GDBusInterfaceSkeleton *vb_virtbus_domain_skeleton_new (VbConnect *connect, VbObj *obj);
gboolean vb_virtbus_domain_offered (VbConnect *connect);
void vb_domain_connect_iface_init (VbGenLibvirtConnectIface *iface);
void vb_network_connect_iface_init (VbGenLibvirtConnectIface *iface);
void vb_storage_connect_iface_init (VbGenLibvirtConnectIface *iface);
void vb_node_device_connect_iface_init (VbGenLibvirtConnectIface *iface);
void vb_interface_connect_iface_init (VbGenLibvirtConnectIface *iface);
void vb_secret_connect_iface_init (VbGenLibvirtConnectIface *iface);
void vb_nwfilter_connect_iface_init (VbGenLibvirtConnectIface *iface);

G_END_DECLS
