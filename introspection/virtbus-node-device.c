/* virtbus client library: VirtbusNodeDevice, a host device. */
#include "virtbus-private.h"

/**
 * VirtbusNodeDevice:
 *
 * A host device of the connection (org.libvirt.NodeDevice). Use
 * virtbus_object_call_async() for the interface's methods.
 */
struct _VirtbusNodeDevice {
  VirtbusObject parent_instance;
};

G_DEFINE_FINAL_TYPE (VirtbusNodeDevice, virtbus_node_device, VIRTBUS_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PARENT,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static char *
dup_string (VirtbusNodeDevice *self, const char *name)
{
  g_autoptr(GVariant) v = virtbus_object_get_dbus_property (VIRTBUS_OBJECT (self), name);

  return v != NULL && g_variant_is_of_type (v, G_VARIANT_TYPE_STRING) ? g_variant_dup_string (v, NULL) : NULL;
}

static void
virtbus_node_device_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id) {
  case PROP_PARENT:
    g_value_take_string (value, virtbus_node_device_dup_parent (VIRTBUS_NODE_DEVICE (object)));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
virtbus_node_device_class_init (VirtbusNodeDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = virtbus_node_device_get_property;
  VIRTBUS_OBJECT_CLASS (klass)->interface_name = "org.libvirt.NodeDevice";

  /**
   * VirtbusNodeDevice:parent:
   *
   * The parent device's name.
   */
  props[PROP_PARENT] = g_param_spec_string ("parent", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
virtbus_node_device_init (VirtbusNodeDevice *self)
{
}

/**
 * virtbus_node_device_dup_parent:
 * @self: a #VirtbusNodeDevice
 *
 * Returns: (transfer full) (nullable): the parent device's name
 */
char *
virtbus_node_device_dup_parent (VirtbusNodeDevice *self)
{
  g_return_val_if_fail (VIRTBUS_IS_NODE_DEVICE (self), NULL);
  return dup_string (self, "Parent");
}
