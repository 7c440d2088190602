#include "vb-node-device-ops.h"

#include "vb-error.h"
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

gboolean
vb_node_dev_check_pci (VbObj *dev, GError **error)
{
  if (vb_nodedev_def_get_cap (dev->def, VB_NODEDEV_CAP_PCI) == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "device %s is not a PCI device", dev->name);
    return FALSE;
  }
  return TRUE;
}

gboolean
vb_node_dev_check_detach (VbObj *dev, const char *driver_name, guint flags, GError **error)
{
  if (!vb_check_flags (flags, 0, "Detach", error) || !vb_node_dev_check_pci (dev, error))
    return FALSE;
  if (driver_name != NULL && !g_str_equal (driver_name, "vfio")) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "unknown driver name '%s': only 'vfio' is supported",
                 driver_name);
    return FALSE;
  }
  return TRUE;
}

VbNodeDevDef *
vb_node_dev_parse_create_xml (const char *xml, guint flags, GError **error)
{
  /* VIR_NODE_DEVICE_CREATE_XML_VALIDATE: our parser always validates. */
  if (!vb_check_flags (flags, 1, "NodeDeviceCreateXML", error))
    return NULL;
  return vb_nodedev_def_parse (xml, error);
}
