/* virtbus client library: VirtbusInterface, a host network interface. */
#include "virtbus-private.h"

/**
 * VirtbusInterface:
 *
 * A host network interface of the connection (org.libvirt.Interface). Use
 * virtbus_object_call_async() for the interface's methods.
 */
struct _VirtbusInterface {
  VirtbusObject parent_instance;
};

G_DEFINE_FINAL_TYPE (VirtbusInterface, virtbus_interface, VIRTBUS_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MAC,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static char *
dup_string (VirtbusInterface *self, const char *name)
{
  g_autoptr(GVariant) v = virtbus_object_get_dbus_property (VIRTBUS_OBJECT (self), name);

  return v != NULL && g_variant_is_of_type (v, G_VARIANT_TYPE_STRING) ? g_variant_dup_string (v, NULL) : NULL;
}

static void
virtbus_interface_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id) {
  case PROP_MAC:
    g_value_take_string (value, virtbus_interface_dup_mac (VIRTBUS_INTERFACE (object)));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
virtbus_interface_class_init (VirtbusInterfaceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = virtbus_interface_get_property;
  VIRTBUS_OBJECT_CLASS (klass)->interface_name = "org.libvirt.Interface";

  /**
   * VirtbusInterface:mac:
   *
   * The interface's MAC address.
   */
  props[PROP_MAC] = g_param_spec_string ("mac", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
virtbus_interface_init (VirtbusInterface *self)
{
}

/**
 * virtbus_interface_dup_mac:
 * @self: a #VirtbusInterface
 *
 * Returns: (transfer full) (nullable): the interface's MAC address
 */
char *
virtbus_interface_dup_mac (VirtbusInterface *self)
{
  g_return_val_if_fail (VIRTBUS_IS_INTERFACE (self), NULL);
  return dup_string (self, "MAC");
}
