/* virtbus client library: a storage pool. */
#pragma once

#if !defined(VIRTBUS_INSIDE) && !defined(VIRTBUS_COMPILATION)
#error "Only <virtbus.h> can be included directly."
#endif

#include "virtbus-object.h"

G_BEGIN_DECLS

#define VIRTBUS_TYPE_STORAGE_POOL (virtbus_storage_pool_get_type ())
G_DECLARE_FINAL_TYPE (VirtbusStoragePool, virtbus_storage_pool, VIRTBUS, STORAGE_POOL, VirtbusObject)


G_END_DECLS
