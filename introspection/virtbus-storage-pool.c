/* virtbus client library: VirtbusStoragePool, a storage pool. */
#include "virtbus-private.h"

/**
 * VirtbusStoragePool:
 *
 * A storage pool of the connection (org.libvirt.StoragePool). Use
 * virtbus_object_call_async() for the interface's methods.
 */
struct _VirtbusStoragePool {
  VirtbusObject parent_instance;
};

G_DEFINE_FINAL_TYPE (VirtbusStoragePool, virtbus_storage_pool, VIRTBUS_TYPE_OBJECT)

static void
virtbus_storage_pool_class_init (VirtbusStoragePoolClass *klass)
{
  VIRTBUS_OBJECT_CLASS (klass)->interface_name = "org.libvirt.StoragePool";
}

static void
virtbus_storage_pool_init (VirtbusStoragePool *self)
{
}
