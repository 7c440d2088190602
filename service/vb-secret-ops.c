#include "vb-secret-ops.h"

G_DEFINE_INTERFACE (VbSecretOps, vb_secret_ops, VB_TYPE_BACKEND)

static void
vb_secret_ops_default_init (VbSecretOpsInterface *iface)
{
}
