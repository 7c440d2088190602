#include "vb-node-device-ops.h"

#include "vb-nodedev-def.h"

G_DEFINE_INTERFACE (VbNodeDevOps, vb_node_dev_ops, VB_TYPE_BACKEND)

static void
vb_node_dev_ops_default_init (VbNodeDevOpsInterface *iface)
{
}

void
vb_node_dev_ops_list_caps (VbBackend *backend, VbObj *dev, GTask *task)
{
  g_auto(GStrv) names = vb_nodedev_def_cap_names (dev->def);

  g_task_return_pointer (task, g_variant_ref_sink (g_variant_new_strv ((const char *const *) names, -1)),
                         (GDestroyNotify) g_variant_unref);
}
