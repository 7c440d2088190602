#include "vb-nwfilter-ops.h"

G_DEFINE_INTERFACE (VbNWFilterOps, vb_nwfilter_ops, VB_TYPE_BACKEND)

static void
vb_nwfilter_ops_default_init (VbNWFilterOpsInterface *iface)
{
}
