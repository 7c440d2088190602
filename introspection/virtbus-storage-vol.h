/* virtbus client library: a storage volume. */
#pragma once

#if !defined(VIRTBUS_INSIDE) && !defined(VIRTBUS_COMPILATION)
#error "Only <virtbus.h> can be included directly."
#endif

#include "virtbus-object.h"

G_BEGIN_DECLS

#define VIRTBUS_TYPE_STORAGE_VOL (virtbus_storage_vol_get_type ())
G_DECLARE_FINAL_TYPE (VirtbusStorageVol, virtbus_storage_vol, VIRTBUS, STORAGE_VOL, VirtbusObject)

char *virtbus_storage_vol_dup_path (VirtbusStorageVol *self);
char *virtbus_storage_vol_dup_key (VirtbusStorageVol *self);

G_END_DECLS
