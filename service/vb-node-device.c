/* org.libvirt.NodeDevice skeletons, and the node device methods of
 * org.libvirt.Connect. Pure translation: D-Bus arguments in, VbNodeDevOps
 * calls out; listing and lookups come from the backend's registry and the
 * devices' definitions. */
#define G_LOG_DOMAIN "virtbus"

#include "vb-connect.h"
#include "vb-skeleton.h"
#include "vb-error.h"
#include "vb-node-device-ops.h"
#include "vb-nodedev-def.h"

#define VB_TYPE_NODE_DEVICE (vb_node_device_get_type ())
G_DECLARE_FINAL_TYPE (VbNodeDevice, vb_node_device, VB, NODE_DEVICE, VbGenLibvirtNodeDeviceSkeleton)

struct _VbNodeDevice {
  VbGenLibvirtNodeDeviceSkeleton parent_instance;

  VbConnect *connect; /* owns the exported objects, so outlives them */
  VbObj *obj;
};

static void vb_node_device_iface_init (VbGenLibvirtNodeDeviceIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VbNodeDevice, vb_node_device, VB_GEN_TYPE_LIBVIRT_NODE_DEVICE_SKELETON,
                               G_IMPLEMENT_INTERFACE (VB_GEN_TYPE_LIBVIRT_NODE_DEVICE, vb_node_device_iface_init))

static void
vb_node_device_finalize (GObject *object)
{
  VbNodeDevice *self = VB_NODE_DEVICE (object);

  vb_skeleton_unfollow_obj (G_DBUS_INTERFACE_SKELETON (self), self->obj);
  g_clear_object (&self->obj);
  G_OBJECT_CLASS (vb_node_device_parent_class)->finalize (object);
}

/* Runs backend operation @op with the argument list @args (which may use
 * `backend`, `obj` and `task`) and replies as @kind. */
#define RUN_OP(connect_, obj_, op, kind, args) \
  VB_CONNECT_RUN_OP (connect_, VbNodeDevOpsInterface, VB_TYPE_NODE_DEV_OPS, "node devices", obj_, op, kind, args)

#define NODE_DEVICE_OP(op, kind, args) RUN_OP (self->connect, self->obj, op, kind, args)

/* ---- properties ---- */

static void
push_parent (GDBusInterfaceSkeleton *skeleton, VbObj *obj)
{
  const VbNodeDevDef *def = obj->def;
  /* The root device has no parent: libvirt-dbus then shows "". */
  vb_gen_libvirt_node_device_set_parent (VB_GEN_LIBVIRT_NODE_DEVICE (skeleton),
                                         def && def->parent ? def->parent : "");
}

/* ---- org.libvirt.NodeDevice methods ---- */

static gboolean
handle_destroy (VbGenLibvirtNodeDevice *iface, GDBusMethodInvocation *invocation)
{
  VbNodeDevice *self = VB_NODE_DEVICE (iface);

  NODE_DEVICE_OP (destroy, VB_REPLY_VOID, (backend, obj, task));
}

static gboolean
handle_detach (VbGenLibvirtNodeDevice *iface, GDBusMethodInvocation *invocation, const char *driver_name,
               guint flags)
{
  VbNodeDevice *self = VB_NODE_DEVICE (iface);

  /* libvirt-dbus passes the string through; "" cannot name a driver, so it
   * means "the default one". */
  const char *driver = driver_name && *driver_name ? driver_name : NULL;
  NODE_DEVICE_OP (detach, VB_REPLY_VOID, (backend, obj, driver, flags, task));
}

static gboolean
handle_get_xml_desc (VbGenLibvirtNodeDevice *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbNodeDevice *self = VB_NODE_DEVICE (iface);

  NODE_DEVICE_OP (get_xml_desc, VB_REPLY_STRING, (backend, obj, flags, task));
}

static gboolean
handle_list_caps (VbGenLibvirtNodeDevice *iface, GDBusMethodInvocation *invocation)
{
  VbNodeDevice *self = VB_NODE_DEVICE (iface);

  NODE_DEVICE_OP (list_caps, VB_REPLY_VALUE, (backend, obj, task));
}

static gboolean
handle_reattach (VbGenLibvirtNodeDevice *iface, GDBusMethodInvocation *invocation)
{
  VbNodeDevice *self = VB_NODE_DEVICE (iface);

  NODE_DEVICE_OP (reattach, VB_REPLY_VOID, (backend, obj, task));
}

static gboolean
handle_reset (VbGenLibvirtNodeDevice *iface, GDBusMethodInvocation *invocation)
{
  VbNodeDevice *self = VB_NODE_DEVICE (iface);

  NODE_DEVICE_OP (reset, VB_REPLY_VOID, (backend, obj, task));
}

static const VbSkeletonProperty node_device_properties[] = {
  { "name", "name", NULL, NULL },
  { "def", NULL, push_parent, "Parent" },
};

static void
vb_node_device_iface_init (VbGenLibvirtNodeDeviceIface *iface)
{
  iface->handle_destroy = handle_destroy;
  iface->handle_detach = handle_detach;
  iface->handle_get_xmldesc = handle_get_xml_desc;
  iface->handle_list_caps = handle_list_caps;
  iface->handle_re_attach = handle_reattach;
  iface->handle_reset = handle_reset;
}

static void
vb_node_device_class_init (VbNodeDeviceClass *klass)
{
  vb_skeleton_class_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass), NULL);
  vb_skeleton_class_follow_obj (G_DBUS_INTERFACE_SKELETON_CLASS (klass), node_device_properties,
                                G_N_ELEMENTS (node_device_properties));
  G_OBJECT_CLASS (klass)->finalize = vb_node_device_finalize;
}

static void
vb_node_device_init (VbNodeDevice *self)
{
}

GDBusInterfaceSkeleton *
vb_node_device_skeleton_new (VbConnect *connect, VbObj *obj)
{
  VbNodeDevice *self = g_object_new (VB_TYPE_NODE_DEVICE, NULL);

  self->connect = connect;
  self->obj = g_object_ref (obj);

  vb_skeleton_follow_obj (G_DBUS_INTERFACE_SKELETON (self), obj);
  return G_DBUS_INTERFACE_SKELETON (self);
}

/* ---- org.libvirt.Connect: node devices ---- */

/* The ListNodeDevices capability bits, in flag order, by ListCaps name. */
static const char *const cap_flag_names[] = {
  "system", "pci", "usb_device", "usb", "net", "scsi_host", "scsi_target", "scsi", "storage", "fc_host",
  "vports", "scsi_generic", "drm", "mdev_types", "mdev", "ccw", "css", "vdpa", "ap_card", "ap_queue",
  "ap_matrix", "vpd",
};
G_STATIC_ASSERT (G_N_ELEMENTS (cap_flag_names) == 22);

static gboolean
node_device_matches (VbObj *dev, guint flags)
{
  const VbNodeDevDef *def = dev->def;

  if (flags & VB_LIST_NODE_DEVICES_CAPS_MASK) {
    gboolean any = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS (cap_flag_names) && !any; i++)
      if ((flags & (1u << i)) && def != NULL && vb_nodedev_def_has_cap_name (def, cap_flag_names[i]))
        any = TRUE;
    if (!any)
      return FALSE;
  }
  if ((flags & (VB_LIST_NODE_DEVICES_ACTIVE | VB_LIST_NODE_DEVICES_INACTIVE)) &&
      !((flags & VB_LIST_NODE_DEVICES_ACTIVE && dev->active) ||
        (flags & VB_LIST_NODE_DEVICES_INACTIVE && !dev->active)))
    return FALSE;
  if ((flags & VB_LIST_NODE_DEVICES_PERSISTENT) && !dev->persistent)
    return FALSE;
  return TRUE;
}

static gboolean
handle_list_node_devices (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_reply_list (connect, invocation, VB_OBJ_NODE_DEVICE, flags, VB_LIST_NODE_DEVICES_ALL_FLAGS, node_device_matches);
}


static gboolean
handle_lookup_by_name (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *name)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_lookup_by_name (connect, invocation, VB_OBJ_NODE_DEVICE, "node device", name);
}

static gboolean
handle_lookup_scsi_host_by_wwn (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *wwnn,
                                const char *wwpn, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);
  GError *error = NULL;
  g_autofree char *what = g_strdup_printf ("no node device with matching wwnn '%s' and wwpn '%s'", wwnn, wwpn);
  g_autoptr(GPtrArray) all = NULL;
  VbObj *found = NULL;

  if (!vb_check_flags (flags, 0, "NodeDeviceLookupSCSIHostByWWN", &error)) {
    vb_invocation_return_gerror (invocation, error);
    return TRUE;
  }
  all = vb_backend_list (vb_connect_get_backend (connect), VB_OBJ_NODE_DEVICE);
  for (guint i = 0; i < all->len && found == NULL; i++) {
    VbObj *obj = g_ptr_array_index (all, i);
    if (obj->def != NULL && vb_nodedev_def_matches_wwn (obj->def, wwnn, wwpn))
      found = obj;
  }
  return vb_connect_reply_lookup (connect, invocation, VB_OBJ_NODE_DEVICE, found, what);
}

static gboolean
handle_create_xml (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *xml, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);

  RUN_OP (connect, NULL, create_xml, VB_REPLY_OBJECT, (backend, xml, flags, task));
}

void
vb_node_device_connect_iface_init (VbGenLibvirtConnectIface *iface)
{
  iface->handle_list_node_devices = handle_list_node_devices;
  iface->handle_node_device_lookup_by_name = handle_lookup_by_name;
  iface->handle_node_device_lookup_scsihost_by_wwn = handle_lookup_scsi_host_by_wwn;
  iface->handle_node_device_create_xml = handle_create_xml;
}
