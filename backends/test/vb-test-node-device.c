/* Node devices of the test backend: libvirt's test:///default host
 * ("computer" and three fibre channel SCSI hosts), vHBA creation under a
 * vport-capable host, and destruction, as libvirt's test driver does it. */
#include "vb-test-private.h"

#include "vb-error.h"
#include "vb-nodedev-def.h"

/* Object data key: set on a PCI device detached from its host driver. */
#define DETACHED_KEY "vb-test-node-device-detached"

static const char *const initial_devices[] = {
  "<device>"
  "  <name>computer</name>"
  "  <capability type='system'>"
  "    <hardware>"
  "      <vendor>Libvirt</vendor>"
  "      <version>Test driver</version>"
  "      <serial>123456</serial>"
  "      <uuid>11111111-2222-3333-4444-555555555555</uuid>"
  "    </hardware>"
  "    <firmware>"
  "      <vendor>Libvirt</vendor>"
  "      <version>Test Driver</version>"
  "      <release_date>01/22/2007</release_date>"
  "    </firmware>"
  "  </capability>"
  "</device>",

  "<device>"
  "  <name>scsi_host1</name>"
  "  <parent>computer</parent>"
  "  <capability type='scsi_host'>"
  "    <host>1</host>"
  "    <unique_id>0</unique_id>"
  "    <capability type='fc_host'>"
  "      <wwnn>2000000012341234</wwnn>"
  "      <wwpn>1000000012341234</wwpn>"
  "      <fabric_wwn>2000000043214321</fabric_wwn>"
  "    </capability>"
  "    <capability type='vport_ops'>"
  "      <max_vports>0</max_vports>"
  "      <vports>0</vports>"
  "    </capability>"
  "  </capability>"
  "</device>",

  "<device>"
  "  <name>scsi_host2</name>"
  "  <parent>computer</parent>"
  "  <capability type='scsi_host'>"
  "    <host>2</host>"
  "    <unique_id>1</unique_id>"
  "    <capability type='fc_host'>"
  "      <wwnn>2000000056785678</wwnn>"
  "      <wwpn>1000000056785678</wwpn>"
  "      <fabric_wwn>2000000087658765</fabric_wwn>"
  "    </capability>"
  "    <capability type='vport_ops'>"
  "      <max_vports>0</max_vports>"
  "      <vports>0</vports>"
  "    </capability>"
  "  </capability>"
  "</device>",

  "<device>"
  "  <name>scsi_host11</name>"
  "  <parent>scsi_host1</parent>"
  "  <capability type='scsi_host'>"
  "    <host>11</host>"
  "    <unique_id>10</unique_id>"
  "    <capability type='fc_host'>"
  "      <wwnn>2000000034563456</wwnn>"
  "      <wwpn>1000000034563456</wwpn>"
  "      <fabric_wwn>2000000043214321</fabric_wwn>"
  "    </capability>"
  "  </capability>"
  "</device>",
};

static VbObj *
add_device (VbBackend *backend, VbNodeDevDef *def)
{
  g_autoptr(VbObj) obj = vb_obj_new (VB_OBJ_NODE_DEVICE, def->name, NULL, def,
                                     (GDestroyNotify) vb_nodedev_def_free);

  obj->key = g_strdup (def->name);
  /* Host devices exist while present; none is a persistent definition. */
  obj->active = TRUE;
  obj->persistent = FALSE;
  vb_backend_add_object (backend, obj);
  return obj; /* the registry holds it */
}

static VbNodeDevCapScsiHost *
vport_host (VbObj *dev)
{
  VbNodeDevCap *cap = vb_nodedev_def_get_cap (dev->def, VB_NODEDEV_CAP_SCSI_HOST);
  return cap != NULL && cap->scsi_host.has_vport_ops ? &cap->scsi_host : NULL;
}

/* The device a new vHBA goes under: the named parent, the host with the
 * given WWNs or on the given fabric, or else the first vport-capable host. */
static VbObj *
find_parent (VbBackend *backend, const VbNodeDevDef *def, GError **error)
{
  g_autoptr(GPtrArray) all = vb_backend_list (backend, VB_OBJ_NODE_DEVICE);
  VbObj *parent = NULL;
  const char *what;

  if (def->parent != NULL) {
    parent = vb_backend_lookup_by_name (backend, VB_OBJ_NODE_DEVICE, def->parent);
    if (parent == NULL) {
      g_autofree char *msg = g_strdup_printf ("no node device with matching name '%s'", def->parent);
      vb_set_not_found (error, VB_OBJ_NODE_DEVICE, msg);
      return NULL;
    }
    what = def->parent;
  } else {
    for (guint i = 0; i < all->len && parent == NULL; i++) {
      VbObj *dev = g_ptr_array_index (all, i);
      VbNodeDevCapScsiHost *host = vport_host (dev);
      if (host == NULL)
        continue;
      if (def->parent_wwnn != NULL || def->parent_wwpn != NULL) {
        if (vb_nodedev_def_matches_wwn (dev->def, def->parent_wwnn, def->parent_wwpn))
          parent = dev;
      } else if (def->parent_fabric_wwn != NULL) {
        if (vb_nodedev_wwn_equal (host->fabric_wwn, def->parent_fabric_wwn))
          parent = dev;
      } else {
        parent = dev;
      }
    }
    if (parent == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "no vport capable parent SCSI host found for the vHBA");
      return NULL;
    }
    what = parent->name;
  }
  if (vport_host (parent) == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "parent device %s is not capable of vport operations",
                 what);
    return NULL;
  }
  return parent;
}

/* ---- org.libvirt.Connect ---- */

static void
create_xml (VbBackend *backend, const char *xml, guint flags, GTask *task)
{
  GError *error = NULL;
  g_autoptr(VbNodeDevDef) req = NULL;
  g_autoptr(VbNodeDevDef) def = NULL;
  g_autoptr(GPtrArray) all = NULL;
  VbNodeDevCap *req_cap;
  VbNodeDevCap *cap;
  VbObj *parent;
  VbObj *obj;
  guint host = 0;

  req = vb_node_dev_parse_create_xml (xml, flags, &error);
  if (req == NULL) {
    g_task_return_error (task, error);
    return;
  }
  req_cap = vb_nodedev_def_get_cap (req, VB_NODEDEV_CAP_SCSI_HOST);
  if (req_cap == NULL || !req_cap->scsi_host.has_fc_host) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                             "only vHBAs (a scsi_host capability holding an fc_host) can be created");
    return;
  }
  if (req_cap->scsi_host.wwnn == NULL || req_cap->scsi_host.wwpn == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG, "no %s supplied for the new vHBA",
                             req_cap->scsi_host.wwnn == NULL ? "WWNN" : "WWPN");
    return;
  }

  all = vb_backend_list (backend, VB_OBJ_NODE_DEVICE);
  for (guint i = 0; i < all->len; i++) {
    VbObj *dev = g_ptr_array_index (all, i);
    VbNodeDevCap *other = vb_nodedev_def_get_cap (dev->def, VB_NODEDEV_CAP_SCSI_HOST);

    if (vb_nodedev_def_matches_wwn (dev->def, req_cap->scsi_host.wwnn, req_cap->scsi_host.wwpn)) {
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_EXISTS,
                               "node device '%s' already has wwnn '%s' and wwpn '%s'", dev->name,
                               req_cap->scsi_host.wwnn, req_cap->scsi_host.wwpn);
      return;
    }
    if (other != NULL && other->scsi_host.has_host)
      host = MAX (host, other->scsi_host.host);
  }
  parent = find_parent (backend, req, &error);
  if (parent == NULL) {
    g_task_return_error (task, error);
    return;
  }

  /* The kernel numbers the new SCSI host after the existing ones. */
  host++;
  def = vb_nodedev_def_new ();
  def->name = g_strdup_printf ("scsi_host%u", host);
  def->parent = g_strdup (parent->name);
  cap = vb_nodedev_def_add_cap (def, VB_NODEDEV_CAP_SCSI_HOST);
  cap->scsi_host.has_host = TRUE;
  cap->scsi_host.host = host;
  cap->scsi_host.has_unique_id = TRUE;
  cap->scsi_host.unique_id = host - 1;
  cap->scsi_host.has_fc_host = TRUE;
  cap->scsi_host.wwnn = g_strdup (req_cap->scsi_host.wwnn);
  cap->scsi_host.wwpn = g_strdup (req_cap->scsi_host.wwpn);
  cap->scsi_host.fabric_wwn = g_strdup (vport_host (parent)->fabric_wwn);

  obj = add_device (backend, g_steal_pointer (&def));
  vb_backend_emit_event (backend, obj, VB_NODE_DEVICE_EVENT_CREATED, 0);
  g_task_return_pointer (task, g_object_ref (obj), g_object_unref);
}

/* ---- org.libvirt.NodeDevice ---- */

static void
destroy (VbBackend *backend, VbObj *dev, GTask *task)
{
  /* libvirt's test driver removes any device; so do we. The event goes
   * out while the object path is still valid. */
  vb_backend_emit_event (backend, dev, VB_NODE_DEVICE_EVENT_DELETED, 0);
  vb_backend_remove_object (backend, dev);
  g_task_return_boolean (task, TRUE);
}

static void
detach (VbBackend *backend, VbObj *dev, const char *driver_name, guint flags, GTask *task)
{
  GError *error = NULL;

  if (!vb_node_dev_check_detach (dev, driver_name, flags, &error)) {
    g_task_return_error (task, error);
    return;
  }
  g_object_set_data (G_OBJECT (dev), DETACHED_KEY, GINT_TO_POINTER (TRUE));
  g_task_return_boolean (task, TRUE);
}

static void
reattach (VbBackend *backend, VbObj *dev, GTask *task)
{
  GError *error = NULL;

  if (!vb_node_dev_check_pci (dev, &error)) {
    g_task_return_error (task, error);
    return;
  }
  g_object_set_data (G_OBJECT (dev), DETACHED_KEY, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
reset (VbBackend *backend, VbObj *dev, GTask *task)
{
  GError *error = NULL;

  if (!vb_node_dev_check_pci (dev, &error)) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_boolean (task, TRUE);
}

static void
get_xml_desc (VbBackend *backend, VbObj *dev, guint flags, GTask *task)
{
  GError *error = NULL;

  if (!vb_check_flags (flags, 0, "GetXMLDesc", &error)) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, vb_nodedev_def_format (dev->def, 0), g_free);
}

void
vb_test_node_device_ops_init (VbNodeDevOpsInterface *iface)
{
  iface->create_xml = create_xml;
  iface->destroy = destroy;
  iface->detach = detach;
  iface->get_xml_desc = get_xml_desc;
  iface->list_caps = vb_node_dev_ops_list_caps;
  iface->reattach = reattach;
  iface->reset = reset;
}

gboolean
vb_test_node_device_populate (VbTestBackend *self, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (initial_devices); i++) {
    VbNodeDevDef *def = vb_nodedev_def_parse (initial_devices[i], error);
    if (def == NULL)
      return FALSE;
    add_device (VB_BACKEND (self), def);
  }
  return TRUE;
}
