/* virtbus client library: VirtbusNetwork, a virtual network. */
#include "virtbus-private.h"

/**
 * VirtbusNetwork:
 *
 * A virtual network of the connection (org.libvirt.Network). Use
 * virtbus_object_call_async() for the interface's methods.
 */
struct _VirtbusNetwork {
  VirtbusObject parent_instance;
};

G_DEFINE_FINAL_TYPE (VirtbusNetwork, virtbus_network, VIRTBUS_TYPE_OBJECT)

static void
virtbus_network_class_init (VirtbusNetworkClass *klass)
{
  VIRTBUS_OBJECT_CLASS (klass)->interface_name = "org.libvirt.Network";
}

static void
virtbus_network_init (VirtbusNetwork *self)
{
}
