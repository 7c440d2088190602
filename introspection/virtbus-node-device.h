/* virtbus client library: a host device. */
#pragma once

#if !defined(VIRTBUS_INSIDE) && !defined(VIRTBUS_COMPILATION)
#error "Only <virtbus.h> can be included directly."
#endif

#include "virtbus-object.h"

G_BEGIN_DECLS

#define VIRTBUS_TYPE_NODE_DEVICE (virtbus_node_device_get_type ())
G_DECLARE_FINAL_TYPE (VirtbusNodeDevice, virtbus_node_device, VIRTBUS, NODE_DEVICE, VirtbusObject)

char *virtbus_node_device_dup_parent (VirtbusNodeDevice *self);

G_END_DECLS
