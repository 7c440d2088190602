#include "vb-node-device-ops.h"

G_DEFINE_INTERFACE (VbNodeDevOps, vb_node_dev_ops, VB_TYPE_BACKEND)

static void
vb_node_dev_ops_default_init (VbNodeDevOpsInterface *iface)
{
}
