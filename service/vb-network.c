/* org.libvirt.Network skeletons, and the network methods of org.libvirt.Connect.
 * Pure translation: D-Bus arguments in, VbNetworkOps calls out. */
#define G_LOG_DOMAIN "virtbus"

#include "vb-connect.h"
#include "vb-error.h"
#include "vb-network-ops.h"
#include "vb-skeleton.h"
#include "vb-xml.h"

#define VB_TYPE_NETWORK (vb_network_get_type ())
G_DECLARE_FINAL_TYPE (VbNetwork, vb_network, VB, NETWORK, VbGenLibvirtNetworkSkeleton)

struct _VbNetwork {
  VbGenLibvirtNetworkSkeleton parent_instance;

  VbConnect *connect; /* owns the exported objects, so outlives them */
  VbObj *obj;
};

static void vb_network_iface_init (VbGenLibvirtNetworkIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VbNetwork, vb_network, VB_GEN_TYPE_LIBVIRT_NETWORK_SKELETON,
                               G_IMPLEMENT_INTERFACE (VB_GEN_TYPE_LIBVIRT_NETWORK, vb_network_iface_init))

static void
vb_network_finalize (GObject *object)
{
  VbNetwork *self = VB_NETWORK (object);

  vb_skeleton_unfollow_obj (G_DBUS_INTERFACE_SKELETON (self), self->obj);
  g_clear_object (&self->obj);
  G_OBJECT_CLASS (vb_network_parent_class)->finalize (object);
}

/* Runs backend operation @op with the argument list @args (which may use
 * `backend`, `obj` and `task`) and replies as @kind; replies with an error
 * when the backend has no networks or lacks @op. */
#define RUN_OP(connect_, obj_, op, kind, args) \
  VB_CONNECT_RUN_OP (connect_, VbNetworkOpsInterface, VB_TYPE_NETWORK_OPS, "networks", obj_, op, kind, args)

#define NETWORK_OP(op, kind, args) RUN_OP (self->connect, self->obj, op, kind, args)

/* ---- properties ---- */

static gboolean
set_property (GDBusInterfaceSkeleton *skeleton, const char *property, GVariant *value, GError **error)
{
  VbNetwork *self = VB_NETWORK (skeleton);
  VbNetworkOpsInterface *ops = vb_connect_get_ops (self->connect, VB_TYPE_NETWORK_OPS, "networks", error);

  if (ops == NULL)
    return FALSE;
  if (g_strcmp0 (property, "Autostart") == 0 && ops->set_autostart != NULL)
    return ops->set_autostart (vb_connect_get_backend (self->connect), self->obj, g_variant_get_boolean (value),
                               error);
  g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "property %s cannot be set on this connection", property);
  return FALSE;
}

/* ---- org.libvirt.Network methods ---- */

static gboolean
handle_create (VbGenLibvirtNetwork *iface, GDBusMethodInvocation *invocation)
{
  VbNetwork *self = VB_NETWORK (iface);

  NETWORK_OP (create, VB_REPLY_VOID, (backend, obj, task));
}

static gboolean
handle_destroy (VbGenLibvirtNetwork *iface, GDBusMethodInvocation *invocation)
{
  VbNetwork *self = VB_NETWORK (iface);

  NETWORK_OP (destroy, VB_REPLY_VOID, (backend, obj, task));
}

static gboolean
handle_undefine (VbGenLibvirtNetwork *iface, GDBusMethodInvocation *invocation)
{
  VbNetwork *self = VB_NETWORK (iface);

  NETWORK_OP (undefine, VB_REPLY_VOID, (backend, obj, task));
}

static gboolean
handle_get_xml_desc (VbGenLibvirtNetwork *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbNetwork *self = VB_NETWORK (iface);

  NETWORK_OP (get_xml_desc, VB_REPLY_STRING, (backend, obj, flags, task));
}

static gboolean
handle_get_dhcp_leases (VbGenLibvirtNetwork *iface, GDBusMethodInvocation *invocation, const char *mac,
                        guint flags)
{
  VbNetwork *self = VB_NETWORK (iface);

  /* libvirt-dbus: an empty @mac means all leases. */
  const char *filter = mac[0] != '\0' ? mac : NULL;

  NETWORK_OP (get_dhcp_leases, VB_REPLY_VALUE, (backend, obj, filter, flags, task));
}

static gboolean
handle_update (VbGenLibvirtNetwork *iface, GDBusMethodInvocation *invocation, guint command, guint section,
               int parent_index, const char *xml, guint flags)
{
  VbNetwork *self = VB_NETWORK (iface);

  NETWORK_OP (update, VB_REPLY_VOID, (backend, obj, command, section, parent_index, xml, flags, task));
}

static void
vb_network_iface_init (VbGenLibvirtNetworkIface *iface)
{
  iface->handle_create = handle_create;
  iface->handle_destroy = handle_destroy;
  iface->handle_undefine = handle_undefine;
  iface->handle_get_xmldesc = handle_get_xml_desc;
  iface->handle_get_dhcpleases = handle_get_dhcp_leases;
  iface->handle_update = handle_update;
}

static void
vb_network_class_init (VbNetworkClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vb_network_finalize;
  vb_skeleton_class_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass), set_property);
  vb_skeleton_class_follow_obj (G_DBUS_INTERFACE_SKELETON_CLASS (klass), vb_skeleton_lifecycle_properties,
                                VB_SKELETON_N_LIFECYCLE_PROPERTIES);
}

static void
vb_network_init (VbNetwork *self)
{
}

GDBusInterfaceSkeleton *
vb_network_skeleton_new (VbConnect *connect, VbObj *obj)
{
  VbNetwork *self = g_object_new (VB_TYPE_NETWORK, NULL);

  self->connect = connect;
  self->obj = g_object_ref (obj);

  vb_skeleton_follow_obj (G_DBUS_INTERFACE_SKELETON (self), obj);
  return G_DBUS_INTERFACE_SKELETON (self);
}

/* ---- org.libvirt.Connect: networks ---- */

static gboolean
network_matches (VbObj *net, guint flags)
{
  if ((flags & (VB_LIST_NETWORKS_ACTIVE | VB_LIST_NETWORKS_INACTIVE)) &&
      !((flags & VB_LIST_NETWORKS_ACTIVE && net->active) || (flags & VB_LIST_NETWORKS_INACTIVE && !net->active)))
    return FALSE;
  if ((flags & (VB_LIST_NETWORKS_PERSISTENT | VB_LIST_NETWORKS_TRANSIENT)) &&
      !((flags & VB_LIST_NETWORKS_PERSISTENT && net->persistent) ||
        (flags & VB_LIST_NETWORKS_TRANSIENT && !net->persistent)))
    return FALSE;
  if ((flags & (VB_LIST_NETWORKS_AUTOSTART | VB_LIST_NETWORKS_NO_AUTOSTART)) &&
      !((flags & VB_LIST_NETWORKS_AUTOSTART && net->autostart) ||
        (flags & VB_LIST_NETWORKS_NO_AUTOSTART && !net->autostart)))
    return FALSE;
  return TRUE;
}

static gboolean
handle_list_networks (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_reply_list (connect, invocation, VB_OBJ_NETWORK, flags, VB_LIST_NETWORKS_ALL_FLAGS, network_matches);
}


static gboolean
handle_lookup_by_name (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *name)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_lookup_by_name (connect, invocation, VB_OBJ_NETWORK, "network", name);
}

static gboolean
handle_lookup_by_uuid (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *uuid)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_lookup_by_uuid (connect, invocation, VB_OBJ_NETWORK, "network", uuid);
}

static gboolean
handle_define_xml (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *xml)
{
  VbConnect *connect = VB_CONNECT (iface);

  RUN_OP (connect, NULL, define_xml, VB_REPLY_OBJECT, (backend, xml, task));
}

static gboolean
handle_create_xml (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *xml)
{
  VbConnect *connect = VB_CONNECT (iface);

  RUN_OP (connect, NULL, create_xml, VB_REPLY_OBJECT, (backend, xml, task));
}

void
vb_network_connect_iface_init (VbGenLibvirtConnectIface *iface)
{
  iface->handle_list_networks = handle_list_networks;
  iface->handle_network_lookup_by_name = handle_lookup_by_name;
  iface->handle_network_lookup_by_uuid = handle_lookup_by_uuid;
  iface->handle_network_define_xml = handle_define_xml;
  iface->handle_network_create_xml = handle_create_xml;
}
