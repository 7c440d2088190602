#include "vb-network-ops.h"

#include "vb-error.h"
#include "vb-network-def.h"

G_DEFINE_INTERFACE (VbNetworkOps, vb_network_ops, VB_TYPE_BACKEND)

static void
vb_network_ops_default_init (VbNetworkOpsInterface *iface)
{
}

gboolean
vb_network_check_collision (VbBackend *backend, const VbNetworkDef *def, gboolean live, VbObj **existing,
                            GError **error)
{
  VbObj *obj = vb_backend_lookup (backend, VB_OBJ_NETWORK, def->uuid);

  *existing = NULL;
  if (obj != NULL) {
    if (g_strcmp0 (obj->name, def->name) != 0) {
      g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "network '%s' is already defined with uuid %s", obj->name,
                   obj->uuid);
      return FALSE;
    }
    if (live && obj->active) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "network '%s' is already active", obj->name);
      return FALSE;
    }
    *existing = obj;
    return TRUE;
  }
  obj = vb_backend_lookup_by_name (backend, VB_OBJ_NETWORK, def->name);
  if (obj != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "network '%s' already exists with uuid %s", obj->name,
                 obj->uuid);
    return FALSE;
  }
  return TRUE;
}

gboolean
vb_network_update_check_flags (VbObj *net, guint *flags, GError **error)
{
  if (!vb_check_flags (*flags, VB_NETWORK_UPDATE_AFFECT_LIVE | VB_NETWORK_UPDATE_AFFECT_CONFIG, "Update", error))
    return FALSE;
  if (*flags == VB_NETWORK_UPDATE_AFFECT_CURRENT)
    *flags = net->active ? VB_NETWORK_UPDATE_AFFECT_LIVE : VB_NETWORK_UPDATE_AFFECT_CONFIG;
  if ((*flags & VB_NETWORK_UPDATE_AFFECT_LIVE) && !net->active) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "network '%s' is not running", net->name);
    return FALSE;
  }
  if ((*flags & VB_NETWORK_UPDATE_AFFECT_CONFIG) && !net->persistent) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "cannot change persistent config of transient network '%s'", net->name);
    return FALSE;
  }
  return TRUE;
}

void
vb_network_ops_get_xml_desc (VbBackend *backend, VbObj *net, guint flags, GTask *task)
{
  GError *error = NULL;
  const VbNetworkDef *def;

  if (!vb_check_flags (flags, VB_NETWORK_XML_INACTIVE, "GetXMLDesc", &error)) {
    g_task_return_error (task, error);
    return;
  }
  def = (flags & VB_NETWORK_XML_INACTIVE) ? vb_obj_get_persistent_def (net) : net->def;
  g_task_return_pointer (task, vb_network_def_format (def, flags), g_free);
}

VbObj *
vb_network_obj_new (VbNetworkDef *def)
{
  return vb_obj_new (VB_OBJ_NETWORK, def->name, def->uuid, def, (GDestroyNotify) vb_network_def_free);
}

VbObj *
vb_network_define (VbBackend *backend, VbObj *existing, VbNetworkDef *def)
{
  VbObj *net = existing;

  if (net == NULL) {
    g_autoptr(VbObj) created = vb_network_obj_new (def);
    created->persistent = TRUE;
    vb_backend_add_object (backend, created);
    net = created;
  } else if (net->active) {
    /* The running network keeps its definition until it stops. */
    vb_obj_set_newdef (net, def);
    vb_obj_set_persistent (net, TRUE);
  } else {
    vb_obj_set_def (net, def);
  }
  vb_backend_emit_event (backend, net, VB_NETWORK_EVENT_DEFINED, 0);
  return net;
}
