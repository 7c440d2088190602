/* virtbus client library: a virtual network. */
#pragma once

#if !defined(VIRTBUS_INSIDE) && !defined(VIRTBUS_COMPILATION)
#error "Only <virtbus.h> can be included directly."
#endif

#include "virtbus-object.h"

G_BEGIN_DECLS

#define VIRTBUS_TYPE_NETWORK (virtbus_network_get_type ())
G_DECLARE_FINAL_TYPE (VirtbusNetwork, virtbus_network, VIRTBUS, NETWORK, VirtbusObject)


G_END_DECLS
