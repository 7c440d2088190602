#include "vb-storage-ops.h"

G_DEFINE_INTERFACE (VbStorageOps, vb_storage_ops, VB_TYPE_BACKEND)

static void
vb_storage_ops_default_init (VbStorageOpsInterface *iface)
{
}
