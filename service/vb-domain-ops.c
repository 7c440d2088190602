#include "vb-domain-ops.h"

G_DEFINE_INTERFACE (VbDomainOps, vb_domain_ops, VB_TYPE_BACKEND)

static void
vb_domain_ops_default_init (VbDomainOpsInterface *iface)
{
}
