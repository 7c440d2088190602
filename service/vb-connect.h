/* VbConnect: org.libvirt.Connect for one backend at /org/libvirt/<Driver>.
 * It exports the backend's objects into the shared ObjectManager, keeps
 * them in step with the backend's signals, and answers the host queries.
 * The per-kind Connect methods (ListDomains, NetworkDefineXML, …) are hooked
 * in by the kind's own file (vb-domain.c, vb-network.c, …). */
#pragma once

#include "vb-backend.h"
#include "vb-generated.h"
#include "vb-invocation.h"

G_BEGIN_DECLS

#define VB_TYPE_CONNECT (vb_connect_get_type ())
G_DECLARE_FINAL_TYPE (VbConnect, vb_connect, VB, CONNECT, VbGenLibvirtConnectSkeleton)

VbConnect *vb_connect_new (VbBackend *backend, GDBusObjectManagerServer *manager, GError **error);
VbBackend *vb_connect_get_backend (VbConnect *self);
const char *vb_connect_get_path (VbConnect *self);
/* Unexports everything (at shutdown). */
void vb_connect_unexport (VbConnect *self);

/* The D-Bus path of @obj (cached on the object). */
char *vb_connect_path_for_obj (VbConnect *self, VbObj *obj);
/* The object at @path, or NULL with a not-found error. */
VbObj *vb_connect_obj_for_path (VbConnect *self, const char *path, VbObjKind kind, GError **error);

/* The ops interface @iface_type of the backend, or NULL with an error that
 * says this connection does not manage that kind of object. */
gpointer vb_connect_get_ops (VbConnect *self, GType iface_type, const char *what, GError **error);

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
void vb_domain_connect_init (VbConnect *connect);
void vb_network_connect_init (VbConnect *connect);
void vb_storage_connect_init (VbConnect *connect);
void vb_node_device_connect_init (VbConnect *connect);
void vb_interface_connect_init (VbConnect *connect);
void vb_secret_connect_init (VbConnect *connect);
void vb_nwfilter_connect_init (VbConnect *connect);

G_END_DECLS
