#include "vb-interface-ops.h"

G_DEFINE_INTERFACE (VbInterfaceOps, vb_interface_ops, VB_TYPE_BACKEND)

static void
vb_interface_ops_default_init (VbInterfaceOpsInterface *iface)
{
}
