/* virtbus client library: a host network interface. */
#pragma once

#if !defined(VIRTBUS_INSIDE) && !defined(VIRTBUS_COMPILATION)
#error "Only <virtbus.h> can be included directly."
#endif

#include "virtbus-object.h"

G_BEGIN_DECLS

#define VIRTBUS_TYPE_INTERFACE (virtbus_interface_get_type ())
G_DECLARE_FINAL_TYPE (VirtbusInterface, virtbus_interface, VIRTBUS, INTERFACE, VirtbusObject)

char *virtbus_interface_dup_mac (VirtbusInterface *self);

G_END_DECLS
