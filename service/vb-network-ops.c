#include "vb-network-ops.h"

G_DEFINE_INTERFACE (VbNetworkOps, vb_network_ops, VB_TYPE_BACKEND)

static void
vb_network_ops_default_init (VbNetworkOpsInterface *iface)
{
}
