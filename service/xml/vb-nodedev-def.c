#define G_LOG_DOMAIN "virtbus-xml"

#include "vb-nodedev-def.h"

#include <string.h>

#include "vb-error.h"
#include "vb-xml.h"

static const char *const cap_type_names[] = {
  "system", "pci", "usb_device", "usb", "net", "scsi_host", "scsi_target", "scsi", "storage",
  "scsi_generic", "drm", "mdev", "ccw", "css", "vdpa", NULL
};
G_STATIC_ASSERT (G_N_ELEMENTS (cap_type_names) == VB_NODEDEV_CAP_LAST + 1);

static const char *const link_state_names[] = {
  "", "unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up", NULL
};
static const char *const drm_type_names[] = { "primary", "control", "render", NULL };
static const char *const pcie_validity_names[] = { "cap", "sta", NULL };
static const char *const device_api_names[] = { "vfio-pci", "vfio-ccw", "vfio-ap", NULL };

const char *
vb_nodedev_cap_type_to_string (VbNodeDevCapType type)
{
  if ((guint) type >= VB_NODEDEV_CAP_LAST)
    return NULL;
  return cap_type_names[type];
}

int
vb_nodedev_cap_type_from_string (const char *str)
{
  for (int i = 0; str && cap_type_names[i]; i++)
    if (strcmp (cap_type_names[i], str) == 0)
      return i;
  return -1;
}

/* XML parsers turn tabs and line breaks in attribute values into spaces and
 * carriage returns in text into line feeds, so values holding them (only
 * reachable through character references) could not be written back
 * faithfully: refuse them up front. Depth is bounded by libxml2's nesting
 * limit. */
static gboolean
check_chars (xmlNode *node, GError **error)
{
  for (xmlAttr *a = node->properties; a != NULL; a = a->next)
    for (xmlNode *t = a->children; t != NULL; t = t->next)
      if (t->content != NULL && strpbrk ((const char *) t->content, "\t\n\r") != NULL)
        return vb_xml_fail (error, node, "attribute '%s' contains a tab or line break", (const char *) a->name);
  for (xmlNode *c = node->children; c != NULL; c = c->next) {
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content != NULL &&
        strchr ((const char *) c->content, '\r') != NULL)
      return vb_xml_fail (error, node, "text contains a carriage return");
    if (c->type == XML_ELEMENT_NODE && !check_chars (c, error))
      return FALSE;
  }
  return TRUE;
}

/* ---- lifetime ---- */

static void
mdev_type_free (gpointer p)
{
  VbNodeDevMdevType *t = p;
  g_free (t->id);
  g_free (t->name);
  g_free (t->device_api);
  g_free (t);
}

static void
pcie_link_free (gpointer p)
{
  VbNodeDevPcieLink *l = p;
  g_free (l->speed);
  g_free (l);
}

static void
mdev_attr_free (gpointer p)
{
  VbNodeDevMdevAttr *a = p;
  g_free (a->name);
  g_free (a->value);
  g_free (a);
}

VbNodeDevCap *
vb_nodedev_cap_new (VbNodeDevCapType type)
{
  VbNodeDevCap *cap = g_new0 (VbNodeDevCap, 1);

  cap->type = type;
  cap->pci.virt_functions = g_array_new (FALSE, FALSE, sizeof (VbNodeDevPciAddress));
  cap->pci.mdev_types = g_ptr_array_new_with_free_func (mdev_type_free);
  cap->pci.iommu_group_devices = g_array_new (FALSE, FALSE, sizeof (VbNodeDevPciAddress));
  cap->pci.pcie_links = g_ptr_array_new_with_free_func (pcie_link_free);
  cap->net.features = g_ptr_array_new_with_free_func (g_free);
  cap->mdev.attrs = g_ptr_array_new_with_free_func (mdev_attr_free);
  cap->css.mdev_types = g_ptr_array_new_with_free_func (mdev_type_free);
  return cap;
}

void
vb_nodedev_cap_free (VbNodeDevCap *cap)
{
  if (cap == NULL)
    return;
  g_free (cap->system.product);
  g_free (cap->system.hardware_vendor);
  g_free (cap->system.hardware_version);
  g_free (cap->system.hardware_serial);
  g_free (cap->system.firmware_vendor);
  g_free (cap->system.firmware_version);
  g_free (cap->system.firmware_release_date);

  g_free (cap->pci.product_name);
  g_free (cap->pci.vendor_name);
  g_array_unref (cap->pci.virt_functions);
  g_ptr_array_unref (cap->pci.mdev_types);
  g_array_unref (cap->pci.iommu_group_devices);
  g_ptr_array_unref (cap->pci.pcie_links);

  g_free (cap->usb_device.product_name);
  g_free (cap->usb_device.vendor_name);
  g_free (cap->usb.description);

  g_free (cap->net.interface);
  g_free (cap->net.address);
  g_ptr_array_unref (cap->net.features);

  g_free (cap->scsi_host.wwnn);
  g_free (cap->scsi_host.wwpn);
  g_free (cap->scsi_host.fabric_wwn);

  g_free (cap->scsi_target.target);
  g_free (cap->scsi_target.rport);
  g_free (cap->scsi_target.rport_wwpn);

  g_free (cap->scsi.type);

  g_free (cap->storage.block);
  g_free (cap->storage.bus);
  g_free (cap->storage.drive_type);
  g_free (cap->storage.model);
  g_free (cap->storage.vendor);
  g_free (cap->storage.serial);
  g_free (cap->storage.media_label);

  g_free (cap->scsi_generic_char);

  g_free (cap->mdev.type_id);
  g_free (cap->mdev.parent_addr);
  g_ptr_array_unref (cap->mdev.attrs);

  g_ptr_array_unref (cap->css.mdev_types);
  g_free (cap->vdpa_chardev);
  g_free (cap);
}

static GPtrArray *
copy_mdev_types (GPtrArray *types)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func (mdev_type_free);
  for (guint i = 0; i < types->len; i++) {
    const VbNodeDevMdevType *t = g_ptr_array_index (types, i);
    VbNodeDevMdevType *c = g_new0 (VbNodeDevMdevType, 1);
    c->id = g_strdup (t->id);
    c->name = g_strdup (t->name);
    c->device_api = g_strdup (t->device_api);
    c->available_instances = t->available_instances;
    g_ptr_array_add (copy, c);
  }
  return copy;
}

static VbNodeDevCap *
cap_copy (const VbNodeDevCap *cap)
{
  VbNodeDevCap *c = g_new0 (VbNodeDevCap, 1);

  /* Plain values first, then every owned pointer replaced by a copy. */
  *c = *cap;
  c->system.product = g_strdup (cap->system.product);
  c->system.hardware_vendor = g_strdup (cap->system.hardware_vendor);
  c->system.hardware_version = g_strdup (cap->system.hardware_version);
  c->system.hardware_serial = g_strdup (cap->system.hardware_serial);
  c->system.firmware_vendor = g_strdup (cap->system.firmware_vendor);
  c->system.firmware_version = g_strdup (cap->system.firmware_version);
  c->system.firmware_release_date = g_strdup (cap->system.firmware_release_date);

  c->pci.product_name = g_strdup (cap->pci.product_name);
  c->pci.vendor_name = g_strdup (cap->pci.vendor_name);
  c->pci.virt_functions = g_array_copy (cap->pci.virt_functions);
  c->pci.mdev_types = copy_mdev_types (cap->pci.mdev_types);
  c->pci.iommu_group_devices = g_array_copy (cap->pci.iommu_group_devices);
  c->pci.pcie_links = g_ptr_array_new_with_free_func (pcie_link_free);
  for (guint i = 0; i < cap->pci.pcie_links->len; i++) {
    const VbNodeDevPcieLink *l = g_ptr_array_index (cap->pci.pcie_links, i);
    VbNodeDevPcieLink *lc = g_memdup2 (l, sizeof *l);
    lc->speed = g_strdup (l->speed);
    g_ptr_array_add (c->pci.pcie_links, lc);
  }

  c->usb_device.product_name = g_strdup (cap->usb_device.product_name);
  c->usb_device.vendor_name = g_strdup (cap->usb_device.vendor_name);
  c->usb.description = g_strdup (cap->usb.description);

  c->net.interface = g_strdup (cap->net.interface);
  c->net.address = g_strdup (cap->net.address);
  c->net.features = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < cap->net.features->len; i++)
    g_ptr_array_add (c->net.features, g_strdup (g_ptr_array_index (cap->net.features, i)));

  c->scsi_host.wwnn = g_strdup (cap->scsi_host.wwnn);
  c->scsi_host.wwpn = g_strdup (cap->scsi_host.wwpn);
  c->scsi_host.fabric_wwn = g_strdup (cap->scsi_host.fabric_wwn);

  c->scsi_target.target = g_strdup (cap->scsi_target.target);
  c->scsi_target.rport = g_strdup (cap->scsi_target.rport);
  c->scsi_target.rport_wwpn = g_strdup (cap->scsi_target.rport_wwpn);

  c->scsi.type = g_strdup (cap->scsi.type);

  c->storage.block = g_strdup (cap->storage.block);
  c->storage.bus = g_strdup (cap->storage.bus);
  c->storage.drive_type = g_strdup (cap->storage.drive_type);
  c->storage.model = g_strdup (cap->storage.model);
  c->storage.vendor = g_strdup (cap->storage.vendor);
  c->storage.serial = g_strdup (cap->storage.serial);
  c->storage.media_label = g_strdup (cap->storage.media_label);

  c->scsi_generic_char = g_strdup (cap->scsi_generic_char);

  c->mdev.type_id = g_strdup (cap->mdev.type_id);
  c->mdev.parent_addr = g_strdup (cap->mdev.parent_addr);
  c->mdev.attrs = g_ptr_array_new_with_free_func (mdev_attr_free);
  for (guint i = 0; i < cap->mdev.attrs->len; i++) {
    const VbNodeDevMdevAttr *a = g_ptr_array_index (cap->mdev.attrs, i);
    VbNodeDevMdevAttr *ac = g_new0 (VbNodeDevMdevAttr, 1);
    ac->name = g_strdup (a->name);
    ac->value = g_strdup (a->value);
    g_ptr_array_add (c->mdev.attrs, ac);
  }

  c->css.mdev_types = copy_mdev_types (cap->css.mdev_types);
  c->vdpa_chardev = g_strdup (cap->vdpa_chardev);
  return c;
}

VbNodeDevDef *
vb_nodedev_def_new (void)
{
  VbNodeDevDef *def = g_new0 (VbNodeDevDef, 1);
  def->devlinks = g_ptr_array_new_with_free_func (g_free);
  def->caps = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_nodedev_cap_free);
  return def;
}

void
vb_nodedev_def_free (VbNodeDevDef *def)
{
  if (def == NULL)
    return;
  g_free (def->name);
  g_free (def->sysfs_path);
  g_free (def->devnode);
  g_ptr_array_unref (def->devlinks);
  g_free (def->parent);
  g_free (def->parent_wwnn);
  g_free (def->parent_wwpn);
  g_free (def->parent_fabric_wwn);
  g_free (def->driver);
  g_ptr_array_unref (def->caps);
  g_free (def);
}

VbNodeDevDef *
vb_nodedev_def_copy (const VbNodeDevDef *def)
{
  VbNodeDevDef *copy = vb_nodedev_def_new ();

  copy->name = g_strdup (def->name);
  copy->sysfs_path = g_strdup (def->sysfs_path);
  copy->devnode = g_strdup (def->devnode);
  for (guint i = 0; i < def->devlinks->len; i++)
    g_ptr_array_add (copy->devlinks, g_strdup (g_ptr_array_index (def->devlinks, i)));
  copy->parent = g_strdup (def->parent);
  copy->parent_wwnn = g_strdup (def->parent_wwnn);
  copy->parent_wwpn = g_strdup (def->parent_wwpn);
  copy->parent_fabric_wwn = g_strdup (def->parent_fabric_wwn);
  copy->driver = g_strdup (def->driver);
  for (guint i = 0; i < def->caps->len; i++)
    g_ptr_array_add (copy->caps, cap_copy (g_ptr_array_index (def->caps, i)));
  return copy;
}

VbNodeDevCap *
vb_nodedev_def_add_cap (VbNodeDevDef *def, VbNodeDevCapType type)
{
  VbNodeDevCap *cap = vb_nodedev_cap_new (type);
  g_ptr_array_add (def->caps, cap);
  return cap;
}

/* ---- queries ---- */

VbNodeDevCap *
vb_nodedev_def_get_cap (const VbNodeDevDef *def, VbNodeDevCapType type)
{
  for (guint i = 0; i < def->caps->len; i++) {
    VbNodeDevCap *cap = g_ptr_array_index (def->caps, i);
    if (cap->type == type)
      return cap;
  }
  return NULL;
}

GStrv
vb_nodedev_def_cap_names (const VbNodeDevDef *def)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  for (guint i = 0; i < def->caps->len; i++) {
    const VbNodeDevCap *cap = g_ptr_array_index (def->caps, i);
    g_strv_builder_add (b, cap_type_names[cap->type]);
    if (cap->type == VB_NODEDEV_CAP_SCSI_HOST) {
      if (cap->scsi_host.has_fc_host)
        g_strv_builder_add (b, "fc_host");
      if (cap->scsi_host.has_vport_ops)
        g_strv_builder_add (b, "vports");
    } else if ((cap->type == VB_NODEDEV_CAP_PCI && cap->pci.mdev_types->len > 0) ||
               (cap->type == VB_NODEDEV_CAP_CSS && cap->css.mdev_types->len > 0)) {
      g_strv_builder_add (b, "mdev_types");
    }
  }
  return g_strv_builder_end (b);
}

gboolean
vb_nodedev_def_has_cap_name (const VbNodeDevDef *def, const char *cap_name)
{
  g_auto(GStrv) names = vb_nodedev_def_cap_names (def);
  return cap_name != NULL && g_strv_contains ((const char *const *) names, cap_name);
}

static const char *
wwn_digits (const char *wwn)
{
  if (g_str_has_prefix (wwn, "0x") || g_str_has_prefix (wwn, "0X"))
    return wwn + 2;
  return wwn;
}

gboolean
vb_nodedev_wwn_equal (const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return FALSE;
  return g_ascii_strcasecmp (wwn_digits (a), wwn_digits (b)) == 0;
}

gboolean
vb_nodedev_def_matches_wwn (const VbNodeDevDef *def, const char *wwnn, const char *wwpn)
{
  VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_SCSI_HOST);
  return cap != NULL && cap->scsi_host.has_fc_host && vb_nodedev_wwn_equal (cap->scsi_host.wwnn, wwnn) &&
         vb_nodedev_wwn_equal (cap->scsi_host.wwpn, wwpn);
}

VbNodeDevDef *
vb_nodedev_find_scsi_host_by_wwn (GPtrArray *defs, const char *wwnn, const char *wwpn)
{
  for (guint i = 0; i < defs->len; i++) {
    VbNodeDevDef *def = g_ptr_array_index (defs, i);
    if (vb_nodedev_def_matches_wwn (def, wwnn, wwpn))
      return def;
  }
  return NULL;
}

VbNodeDevDef *
vb_nodedev_find_scsi_host_by_fabric_wwn (GPtrArray *defs, const char *fabric_wwn)
{
  for (guint i = 0; i < defs->len; i++) {
    VbNodeDevDef *def = g_ptr_array_index (defs, i);
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_SCSI_HOST);
    if (cap != NULL && cap->scsi_host.has_fc_host && cap->scsi_host.has_vport_ops &&
        vb_nodedev_wwn_equal (cap->scsi_host.fabric_wwn, fabric_wwn))
      return def;
  }
  return NULL;
}

/* ---- parsing helpers ---- */

static gboolean
valid_wwn (const char *wwn)
{
  const char *p = wwn_digits (wwn);
  if (strlen (p) != 16)
    return FALSE;
  for (; *p; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

/* Trimmed text of the child @name; NULL when absent. With @required, a
 * missing child is an error (*@out untouched, FALSE returned). */
static gboolean
child_string (xmlNode *node, const char *name, gboolean required, char **out, GError **error)
{
  xmlNode *child = vb_xml_child (node, name);

  if (child == NULL) {
    if (required)
      return vb_xml_fail (error, node, "missing <%s>", name);
    return TRUE;
  }
  g_free (*out);
  *out = g_strstrip (vb_xml_text (child));
  return TRUE;
}

static gboolean
child_uint (xmlNode *node, const char *name, gboolean required, guint64 max, guint *out, GError **error)
{
  xmlNode *child = vb_xml_child (node, name);
  guint64 v;

  if (child == NULL) {
    if (required)
      return vb_xml_fail (error, node, "missing <%s>", name);
    return TRUE;
  }
  if (vb_xml_text_u64 (child, &v, error) < 0)
    return FALSE;
  if (v > max)
    return vb_xml_fail (error, child, "%" G_GUINT64_FORMAT " is out of range", v);
  *out = (guint) v;
  return TRUE;
}

static gboolean
child_u64 (xmlNode *node, const char *name, gboolean required, guint64 *out, GError **error)
{
  xmlNode *child = vb_xml_child (node, name);

  if (child == NULL) {
    if (required)
      return vb_xml_fail (error, node, "missing <%s>", name);
    return TRUE;
  }
  return vb_xml_text_u64 (child, out, error) > 0;
}

static gboolean
child_wwn (xmlNode *node, const char *name, gboolean required, char **out, GError **error)
{
  if (!child_string (node, name, required, out, error))
    return FALSE;
  if (*out != NULL && !valid_wwn (*out))
    return vb_xml_fail (error, vb_xml_child (node, name), "'%s' is not a WWN (16 hex digits)", *out);
  return TRUE;
}

static gboolean
prop_uint_required (xmlNode *node, const char *name, guint64 max, guint *out, GError **error)
{
  guint v = 0;
  int r = vb_xml_prop_uint (node, name, &v, error);
  if (r < 0)
    return FALSE;
  if (r == 0)
    return vb_xml_fail (error, node, "missing attribute '%s'", name);
  if (v > max)
    return vb_xml_fail (error, node, "attribute '%s': %u is out of range", name, v);
  *out = v;
  return TRUE;
}

/* <product id='0x…'>name</product> and <vendor …>. */
static gboolean
parse_id_name (xmlNode *node, const char *name, guint max, guint *id, char **text, GError **error)
{
  xmlNode *child = vb_xml_child (node, name);
  g_autofree char *value = NULL;

  if (child == NULL)
    return vb_xml_fail (error, node, "missing <%s>", name);
  if (!prop_uint_required (child, "id", max, id, error))
    return FALSE;
  value = vb_xml_text (child);
  g_free (*text);
  *text = value[0] != '\0' ? g_steal_pointer (&value) : NULL;
  return TRUE;
}

static gboolean
parse_pci_address (xmlNode *node, VbNodeDevPciAddress *addr, GError **error)
{
  return prop_uint_required (node, "domain", 0xffff, &addr->domain, error) &&
         prop_uint_required (node, "bus", 0xff, &addr->bus, error) &&
         prop_uint_required (node, "slot", 0x1f, &addr->slot, error) &&
         prop_uint_required (node, "function", 7, &addr->function, error);
}

static gboolean
parse_mdev_types (xmlNode *node, GPtrArray *types, GError **error)
{
  for (xmlNode *t = vb_xml_next (node, NULL, "type"); t; t = vb_xml_next (node, t, "type")) {
    VbNodeDevMdevType *mt = g_new0 (VbNodeDevMdevType, 1);
    int api = 0;

    g_ptr_array_add (types, mt);
    mt->id = vb_xml_prop_required (t, "id", error);
    if (mt->id == NULL)
      return FALSE;
    if (mt->id[0] == '\0')
      return vb_xml_fail (error, t, "empty mdev type id");
    if (!child_string (t, "name", FALSE, &mt->name, error))
      return FALSE;
    if (!child_string (t, "deviceAPI", TRUE, &mt->device_api, error))
      return FALSE;
    for (api = 0; device_api_names[api] && strcmp (device_api_names[api], mt->device_api) != 0; api++)
      ;
    if (device_api_names[api] == NULL)
      return vb_xml_fail (error, t, "unsupported deviceAPI '%s'", mt->device_api);
    if (!child_uint (t, "availableInstances", TRUE, G_MAXUINT, &mt->available_instances, error))
      return FALSE;
  }
  if (types->len == 0)
    return vb_xml_fail (error, node, "no mdev <type>");
  return TRUE;
}

/* Iterates the <capability> children of @node; each needs a type. Callers
 * reject repeated types. Returns NULL at the end or with *@error set. */
static xmlNode *
next_subcap (xmlNode *node, xmlNode *prev, char **type, GError **error)
{
  xmlNode *n = vb_xml_next (node, prev, "capability");

  g_clear_pointer (type, g_free);
  if (n == NULL)
    return NULL;
  *type = vb_xml_prop_required (n, "type", error);
  if (*type == NULL)
    return NULL;
  return n;
}

static gboolean
duplicate_subcap (xmlNode *sub, const char *type, GError **error)
{
  return vb_xml_fail (error, sub, "duplicate capability '%s'", type);
}

/* ---- per capability ---- */

static gboolean
parse_system (xmlNode *node, VbNodeDevCapSystem *sys, GError **error)
{
  xmlNode *hw, *fw;
  g_autofree char *uuid = NULL;

  if (!child_string (node, "product", FALSE, &sys->product, error))
    return FALSE;
  hw = vb_xml_child (node, "hardware");
  if (hw == NULL)
    return vb_xml_fail (error, node, "missing <hardware>");
  if (!child_string (hw, "vendor", FALSE, &sys->hardware_vendor, error) ||
      !child_string (hw, "version", FALSE, &sys->hardware_version, error) ||
      !child_string (hw, "serial", FALSE, &sys->hardware_serial, error) ||
      !child_string (hw, "uuid", TRUE, &uuid, error))
    return FALSE;
  if (!vb_uuid_parse (uuid, sys->hardware_uuid))
    return vb_xml_fail (error, hw, "'%s' is not a valid UUID", uuid);
  fw = vb_xml_child (node, "firmware");
  if (fw != NULL && (!child_string (fw, "vendor", FALSE, &sys->firmware_vendor, error) ||
                     !child_string (fw, "version", FALSE, &sys->firmware_version, error) ||
                     !child_string (fw, "release_date", FALSE, &sys->firmware_release_date, error)))
    return FALSE;
  return TRUE;
}

static gboolean
valid_pcie_speed (const char *s)
{
  const char *dot = strchr (s, '.');
  if (s[0] == '\0' || s == dot || (dot && dot[1] == '\0'))
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isdigit (*p) && p != dot)
      return FALSE;
  return TRUE;
}

static gboolean
parse_pci (xmlNode *node, VbNodeDevCapPci *pci, GError **error)
{
  xmlNode *child, *sub;
  g_autofree char *type = NULL;

  child = vb_xml_child (node, "class");
  if (child != NULL) {
    g_autofree char *text = g_strstrip (vb_xml_text (child));
    guint64 v;
    if (!g_str_has_prefix (text, "0x") || !vb_parse_u64 (text, &v) || v > 0xffffff)
      return vb_xml_fail (error, child, "'%s' is not a PCI class like 0x020000", text);
    pci->has_class = TRUE;
    pci->class_code = (guint) v;
  }
  if (!child_uint (node, "domain", TRUE, 0xffff, &pci->domain, error) ||
      !child_uint (node, "bus", TRUE, 0xff, &pci->bus, error) ||
      !child_uint (node, "slot", TRUE, 0x1f, &pci->slot, error) ||
      !child_uint (node, "function", TRUE, 7, &pci->function, error) ||
      !parse_id_name (node, "product", 0xffff, &pci->product_id, &pci->product_name, error) ||
      !parse_id_name (node, "vendor", 0xffff, &pci->vendor_id, &pci->vendor_name, error))
    return FALSE;

  for (sub = next_subcap (node, NULL, &type, error); sub; sub = next_subcap (node, sub, &type, error)) {
    if (strcmp (type, "phys_function") == 0) {
      xmlNode *addr = vb_xml_child (sub, "address");
      if (pci->has_phys_function)
        return duplicate_subcap (sub, type, error);
      pci->has_phys_function = TRUE;
      if (addr != NULL && !parse_pci_address (addr, &pci->phys_function, error))
        return FALSE;
      if (addr == NULL)
        return vb_xml_fail (error, sub, "missing <address>");
    } else if (strcmp (type, "virt_functions") == 0) {
      if (pci->has_virt_functions)
        return duplicate_subcap (sub, type, error);
      pci->has_virt_functions = TRUE;
      if (vb_xml_prop_uint (sub, "maxCount", &pci->max_virt_functions, error) < 0)
        return FALSE;
      for (xmlNode *a = vb_xml_next (sub, NULL, "address"); a; a = vb_xml_next (sub, a, "address")) {
        VbNodeDevPciAddress addr;
        if (!parse_pci_address (a, &addr, error))
          return FALSE;
        g_array_append_val (pci->virt_functions, addr);
      }
    } else if (strcmp (type, "pci-bridge") == 0 || strcmp (type, "cardbus-bridge") == 0) {
      if (pci->bridge != VB_NODEDEV_PCI_BRIDGE_NONE)
        return vb_xml_fail (error, sub, "a device is one kind of bridge at most");
      pci->bridge = type[0] == 'p' ? VB_NODEDEV_PCI_BRIDGE_PCI : VB_NODEDEV_PCI_BRIDGE_CARDBUS;
    } else if (strcmp (type, "mdev_types") == 0) {
      if (pci->mdev_types->len > 0)
        return duplicate_subcap (sub, type, error);
      if (!parse_mdev_types (sub, pci->mdev_types, error))
        return FALSE;
    } else {
      return vb_xml_fail (error, sub, "unsupported PCI capability '%s'", type);
    }
  }
  if (*error != NULL)
    return FALSE;

  child = vb_xml_child (node, "iommuGroup");
  if (child != NULL) {
    pci->has_iommu_group = TRUE;
    if (!prop_uint_required (child, "number", G_MAXUINT, &pci->iommu_group, error))
      return FALSE;
    for (xmlNode *a = vb_xml_next (child, NULL, "address"); a; a = vb_xml_next (child, a, "address")) {
      VbNodeDevPciAddress addr;
      if (!parse_pci_address (a, &addr, error))
        return FALSE;
      g_array_append_val (pci->iommu_group_devices, addr);
    }
    if (pci->iommu_group_devices->len == 0)
      return vb_xml_fail (error, child, "an IOMMU group lists at least one <address>");
  }
  child = vb_xml_child (node, "numa");
  if (child != NULL) {
    int r = vb_xml_prop_int (child, "node", &pci->numa_node, error);
    if (r < 0)
      return FALSE;
    pci->has_numa_node = r > 0;
  }
  child = vb_xml_child (node, "pci-express");
  if (child != NULL) {
    pci->is_pcie = TRUE;
    for (xmlNode *l = vb_xml_next (child, NULL, "link"); l; l = vb_xml_next (child, l, "link")) {
      VbNodeDevPcieLink *link = g_new0 (VbNodeDevPcieLink, 1);
      int validity = 0, r;
      g_ptr_array_add (pci->pcie_links, link);
      r = vb_xml_prop_enum (l, "validity", pcie_validity_names, &validity, error);
      if (r < 0)
        return FALSE;
      if (r == 0)
        return vb_xml_fail (error, l, "missing attribute 'validity'");
      link->validity = validity;
      r = vb_xml_prop_uint (l, "port", &link->port, error);
      if (r < 0)
        return FALSE;
      link->has_port = r > 0;
      link->speed = vb_xml_prop (l, "speed");
      if (link->speed != NULL && !valid_pcie_speed (link->speed))
        return vb_xml_fail (error, l, "'%s' is not a link speed", link->speed);
      if (!prop_uint_required (l, "width", G_MAXUINT, &link->width, error))
        return FALSE;
    }
  }
  return TRUE;
}

static gboolean
parse_link (xmlNode *node, VbNodeDevCapNet *net, GError **error)
{
  xmlNode *link = vb_xml_child (node, "link");
  int state = -1;

  if (link == NULL)
    return TRUE;
  net->has_link = TRUE;
  if (vb_xml_prop_uint (link, "speed", &net->link_speed, error) < 0)
    return FALSE;
  if (vb_xml_prop_enum (link, "state", link_state_names + 1, &state, error) < 0)
    return FALSE;
  net->link_state = state + 1;
  return TRUE;
}

gboolean
vb_nodedev_mac_is_valid (const char *mac)
{
  if (strlen (mac) != 17)
    return FALSE;
  for (int i = 0; i < 17; i++)
    if ((i % 3 == 2) ? mac[i] != ':' : !g_ascii_isxdigit (mac[i]))
      return FALSE;
  return TRUE;
}

static gboolean
parse_net (xmlNode *node, VbNodeDevCapNet *net, GError **error)
{
  g_autofree char *type = NULL;
  g_autofree char *mac = NULL;

  if (!child_string (node, "interface", TRUE, &net->interface, error))
    return FALSE;
  if (net->interface[0] == '\0')
    return vb_xml_fail (error, node, "empty <interface>");
  if (!child_string (node, "address", FALSE, &mac, error))
    return FALSE;
  if (mac != NULL) {
    if (!vb_nodedev_mac_is_valid (mac))
      return vb_xml_fail (error, node, "'%s' is not a MAC address", mac);
    net->address = g_ascii_strdown (mac, -1);
  }
  if (!parse_link (node, net, error))
    return FALSE;
  for (xmlNode *f = vb_xml_next (node, NULL, "feature"); f; f = vb_xml_next (node, f, "feature")) {
    g_autofree char *name = vb_xml_prop_required (f, "name", error);
    if (name == NULL)
      return FALSE;
    if (name[0] == '\0')
      return vb_xml_fail (error, f, "empty feature name");
    for (const char *p = name; *p; p++)
      if (!g_ascii_isalpha (*p) && *p != '-' && *p != '_')
        return vb_xml_fail (error, f, "'%s' is not a feature name", name);
    g_ptr_array_add (net->features, g_steal_pointer (&name));
  }
  for (xmlNode *sub = next_subcap (node, NULL, &type, error); sub; sub = next_subcap (node, sub, &type, error)) {
    if (net->subcap != VB_NODEDEV_NET_SUBCAP_NONE)
      return vb_xml_fail (error, sub, "a network device has one link type at most");
    if (strcmp (type, "80203") == 0)
      net->subcap = VB_NODEDEV_NET_SUBCAP_80203;
    else if (strcmp (type, "80211") == 0)
      net->subcap = VB_NODEDEV_NET_SUBCAP_80211;
    else
      return vb_xml_fail (error, sub, "unsupported network capability '%s'", type);
  }
  return *error == NULL;
}

static gboolean
parse_scsi_host (xmlNode *node, VbNodeDevCapScsiHost *sh, GError **error)
{
  g_autofree char *type = NULL;

  /* <host> is left out of vHBA creation requests. */
  sh->has_host = vb_xml_count (node, "host") > 0;
  sh->has_unique_id = vb_xml_count (node, "unique_id") > 0;
  if (!child_uint (node, "host", FALSE, G_MAXUINT, &sh->host, error) ||
      !child_uint (node, "unique_id", FALSE, G_MAXUINT, &sh->unique_id, error))
    return FALSE;
  for (xmlNode *sub = next_subcap (node, NULL, &type, error); sub; sub = next_subcap (node, sub, &type, error)) {
    if (strcmp (type, "fc_host") == 0) {
      if (sh->has_fc_host)
        return duplicate_subcap (sub, type, error);
      sh->has_fc_host = TRUE;
      /* A vHBA creation request may leave the names to be generated. */
      if (!child_wwn (sub, "wwnn", FALSE, &sh->wwnn, error) || !child_wwn (sub, "wwpn", FALSE, &sh->wwpn, error) ||
          !child_wwn (sub, "fabric_wwn", FALSE, &sh->fabric_wwn, error))
        return FALSE;
      if ((sh->wwnn == NULL) != (sh->wwpn == NULL))
        return vb_xml_fail (error, sub, "<wwnn> and <wwpn> must be given together");
    } else if (strcmp (type, "vport_ops") == 0) {
      if (sh->has_vport_ops)
        return duplicate_subcap (sub, type, error);
      sh->has_vport_ops = TRUE;
      if (!child_uint (sub, "max_vports", TRUE, G_MAXUINT, &sh->max_vports, error) ||
          !child_uint (sub, "vports", TRUE, G_MAXUINT, &sh->vports, error))
        return FALSE;
    } else {
      return vb_xml_fail (error, sub, "unsupported scsi_host capability '%s'", type);
    }
  }
  return *error == NULL;
}

static gboolean
parse_scsi_target (xmlNode *node, VbNodeDevCapScsiTarget *st, GError **error)
{
  g_autofree char *type = NULL;

  if (!child_string (node, "target", TRUE, &st->target, error))
    return FALSE;
  for (xmlNode *sub = next_subcap (node, NULL, &type, error); sub; sub = next_subcap (node, sub, &type, error)) {
    if (strcmp (type, "fc_remote_port") != 0)
      return vb_xml_fail (error, sub, "unsupported scsi_target capability '%s'", type);
    if (st->has_fc_remote_port)
      return duplicate_subcap (sub, type, error);
    st->has_fc_remote_port = TRUE;
    if (!child_string (sub, "rport", TRUE, &st->rport, error) || !child_wwn (sub, "wwpn", TRUE, &st->rport_wwpn, error))
      return FALSE;
  }
  return *error == NULL;
}

/* The schema's device path: "/" followed by [a-zA-Z0-9_+-/%]. */
static gboolean
valid_dev_path (const char *path)
{
  if (path[0] != '/' || path[1] == '\0')
    return FALSE;
  for (const char *p = path; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("_+-/%", *p))
      return FALSE;
  return TRUE;
}

static gboolean
parse_storage (xmlNode *node, VbNodeDevCapStorage *st, GError **error)
{
  g_autofree char *type = NULL;
  xmlNode *removable = NULL;
  xmlNode *blocks;

  if (!child_string (node, "block", TRUE, &st->block, error))
    return FALSE;
  if (!valid_dev_path (st->block))
    return vb_xml_fail (error, node, "'%s' is not a device path", st->block);
  if (!child_string (node, "bus", FALSE, &st->bus, error) ||
      !child_string (node, "drive_type", FALSE, &st->drive_type, error) ||
      !child_string (node, "model", FALSE, &st->model, error) ||
      !child_string (node, "vendor", FALSE, &st->vendor, error) ||
      !child_string (node, "serial", FALSE, &st->serial, error))
    return FALSE;
  for (xmlNode *sub = next_subcap (node, NULL, &type, error); sub; sub = next_subcap (node, sub, &type, error)) {
    if ((strcmp (type, "removable") == 0 && removable != NULL) ||
        (strcmp (type, "hotpluggable") == 0 && st->hotpluggable))
      return duplicate_subcap (sub, type, error);
    if (strcmp (type, "removable") == 0)
      removable = sub;
    else if (strcmp (type, "hotpluggable") == 0)
      st->hotpluggable = TRUE;
    else
      return vb_xml_fail (error, sub, "unsupported storage capability '%s'", type);
  }
  if (*error != NULL)
    return FALSE;

  if (removable != NULL) {
    guint avail = 0;
    st->removable = TRUE;
    if (!child_uint (removable, "media_available", TRUE, 1, &avail, error) ||
        !child_u64 (removable, "media_size", TRUE, &st->media_size, error) ||
        !child_string (removable, "media_label", FALSE, &st->media_label, error))
      return FALSE;
    st->media_available = avail == 1;
    blocks = removable;
    /* <size> belongs to fixed media; leave it unconsumed here. */
  } else {
    if (!child_u64 (node, "size", FALSE, &st->size, error))
      return FALSE;
    blocks = node;
  }
  if (!child_u64 (blocks, "logical_block_size", FALSE, &st->logical_block_size, error) ||
      !child_u64 (blocks, "num_blocks", FALSE, &st->num_blocks, error))
    return FALSE;
  return TRUE;
}

static gboolean
parse_mdev (xmlNode *node, VbNodeDevCapMdev *mdev, GError **error)
{
  xmlNode *child = vb_xml_child (node, "type");
  g_autofree char *uuid = NULL;

  if (child == NULL)
    return vb_xml_fail (error, node, "missing <type id='…'/>");
  mdev->type_id = vb_xml_prop_required (child, "id", error);
  if (mdev->type_id == NULL)
    return FALSE;
  if (mdev->type_id[0] == '\0')
    return vb_xml_fail (error, child, "empty mdev type id");
  child = vb_xml_child (node, "iommuGroup");
  if (child != NULL) {
    mdev->has_iommu_group = TRUE;
    if (!prop_uint_required (child, "number", G_MAXUINT, &mdev->iommu_group, error))
      return FALSE;
  }
  if (!child_string (node, "uuid", FALSE, &uuid, error))
    return FALSE;
  if (uuid != NULL && !vb_uuid_parse (uuid, mdev->uuid))
    return vb_xml_fail (error, node, "'%s' is not a valid UUID", uuid);
  if (!child_string (node, "parent_addr", FALSE, &mdev->parent_addr, error))
    return FALSE;
  for (xmlNode *a = vb_xml_next (node, NULL, "attr"); a; a = vb_xml_next (node, a, "attr")) {
    VbNodeDevMdevAttr *attr = g_new0 (VbNodeDevMdevAttr, 1);
    g_ptr_array_add (mdev->attrs, attr);
    attr->name = vb_xml_prop_required (a, "name", error);
    if (attr->name == NULL)
      return FALSE;
    attr->value = vb_xml_prop_required (a, "value", error);
    if (attr->value == NULL)
      return FALSE;
    if (attr->name[0] == '\0' || strchr (attr->name, '/') != NULL)
      return vb_xml_fail (error, a, "'%s' is not an attribute name", attr->name);
  }
  return TRUE;
}

static gboolean
parse_ccw_address (xmlNode *node, VbNodeDevCcwAddress *addr, GError **error)
{
  return child_uint (node, "cssid", TRUE, 0xfe, &addr->cssid, error) &&
         child_uint (node, "ssid", TRUE, 3, &addr->ssid, error) &&
         child_uint (node, "devno", TRUE, 0xffff, &addr->devno, error);
}

static gboolean
parse_css (xmlNode *node, VbNodeDevCapCss *css, GError **error)
{
  xmlNode *child;
  g_autofree char *type = NULL;

  if (!parse_ccw_address (node, &css->address, error))
    return FALSE;
  child = vb_xml_child (node, "channel_dev_addr");
  if (child != NULL) {
    css->has_channel_dev_addr = TRUE;
    if (!parse_ccw_address (child, &css->channel_dev_addr, error))
      return FALSE;
  }
  for (xmlNode *sub = next_subcap (node, NULL, &type, error); sub; sub = next_subcap (node, sub, &type, error)) {
    if (strcmp (type, "mdev_types") != 0)
      return vb_xml_fail (error, sub, "unsupported css capability '%s'", type);
    if (css->mdev_types->len > 0)
      return duplicate_subcap (sub, type, error);
    if (!parse_mdev_types (sub, css->mdev_types, error))
      return FALSE;
  }
  return *error == NULL;
}

static gboolean
parse_cap (xmlNode *node, VbNodeDevCap *cap, GError **error)
{
  switch (cap->type) {
  case VB_NODEDEV_CAP_SYSTEM:
    return parse_system (node, &cap->system, error);
  case VB_NODEDEV_CAP_PCI:
    return parse_pci (node, &cap->pci, error);
  case VB_NODEDEV_CAP_USB_DEVICE:
    return child_uint (node, "bus", TRUE, G_MAXUINT, &cap->usb_device.bus, error) &&
           child_uint (node, "device", TRUE, G_MAXUINT, &cap->usb_device.device, error) &&
           parse_id_name (node, "product", 0xffff, &cap->usb_device.product_id, &cap->usb_device.product_name,
                          error) &&
           parse_id_name (node, "vendor", 0xffff, &cap->usb_device.vendor_id, &cap->usb_device.vendor_name, error);
  case VB_NODEDEV_CAP_USB:
    return child_uint (node, "number", TRUE, 0xff, &cap->usb.number, error) &&
           child_uint (node, "class", TRUE, 0xff, &cap->usb.klass, error) &&
           child_uint (node, "subclass", TRUE, 0xff, &cap->usb.subclass, error) &&
           child_uint (node, "protocol", TRUE, 0xff, &cap->usb.protocol, error) &&
           child_string (node, "description", FALSE, &cap->usb.description, error);
  case VB_NODEDEV_CAP_NET:
    return parse_net (node, &cap->net, error);
  case VB_NODEDEV_CAP_SCSI_HOST:
    return parse_scsi_host (node, &cap->scsi_host, error);
  case VB_NODEDEV_CAP_SCSI_TARGET:
    return parse_scsi_target (node, &cap->scsi_target, error);
  case VB_NODEDEV_CAP_SCSI:
    return child_uint (node, "host", TRUE, G_MAXUINT, &cap->scsi.host, error) &&
           child_uint (node, "bus", TRUE, G_MAXUINT, &cap->scsi.bus, error) &&
           child_uint (node, "target", TRUE, G_MAXUINT, &cap->scsi.target, error) &&
           child_uint (node, "lun", TRUE, G_MAXUINT, &cap->scsi.lun, error) &&
           child_string (node, "type", FALSE, &cap->scsi.type, error);
  case VB_NODEDEV_CAP_STORAGE:
    return parse_storage (node, &cap->storage, error);
  case VB_NODEDEV_CAP_SCSI_GENERIC:
    if (!child_string (node, "char", TRUE, &cap->scsi_generic_char, error))
      return FALSE;
    if (!g_str_has_prefix (cap->scsi_generic_char, "/"))
      return vb_xml_fail (error, node, "'%s' is not a device path", cap->scsi_generic_char);
    return TRUE;
  case VB_NODEDEV_CAP_DRM: {
    g_autofree char *type = NULL;
    int i;
    if (!child_string (node, "type", TRUE, &type, error))
      return FALSE;
    for (i = 0; drm_type_names[i] && strcmp (drm_type_names[i], type) != 0; i++)
      ;
    if (drm_type_names[i] == NULL)
      return vb_xml_fail (error, node, "unsupported drm type '%s' (supported: 'primary', 'control', 'render')",
                          type);
    cap->drm_type = i;
    return TRUE;
  }
  case VB_NODEDEV_CAP_MDEV:
    return parse_mdev (node, &cap->mdev, error);
  case VB_NODEDEV_CAP_CCW:
    return parse_ccw_address (node, &cap->ccw, error);
  case VB_NODEDEV_CAP_CSS:
    return parse_css (node, &cap->css, error);
  case VB_NODEDEV_CAP_VDPA:
    if (!child_string (node, "chardev", TRUE, &cap->vdpa_chardev, error))
      return FALSE;
    if (!valid_dev_path (cap->vdpa_chardev))
      return vb_xml_fail (error, node, "'%s' is not a device path", cap->vdpa_chardev);
    return TRUE;
  case VB_NODEDEV_CAP_LAST:
  default:
    g_assert_not_reached ();
  }
}

static gboolean
parse_parent (xmlNode *node, VbNodeDevDef *def, GError **error)
{
  g_autofree char *text = g_strstrip (vb_xml_text (node));

  def->parent_wwnn = vb_xml_prop (node, "wwnn");
  def->parent_wwpn = vb_xml_prop (node, "wwpn");
  def->parent_fabric_wwn = vb_xml_prop (node, "fabric_wwn");
  if (def->parent_wwnn != NULL || def->parent_wwpn != NULL) {
    if (def->parent_wwnn == NULL || def->parent_wwpn == NULL)
      return vb_xml_fail (error, node, "'wwnn' and 'wwpn' must be given together");
    if (!valid_wwn (def->parent_wwnn) || !valid_wwn (def->parent_wwpn))
      return vb_xml_fail (error, node, "'wwnn' and 'wwpn' must be WWNs (16 hex digits)");
    if (def->parent_fabric_wwn != NULL)
      return vb_xml_fail (error, node, "give either 'wwnn' and 'wwpn' or 'fabric_wwn'");
  } else if (def->parent_fabric_wwn != NULL && !valid_wwn (def->parent_fabric_wwn)) {
    return vb_xml_fail (error, node, "'fabric_wwn' must be a WWN (16 hex digits)");
  }
  if (def->parent_wwnn != NULL || def->parent_fabric_wwn != NULL) {
    if (text[0] != '\0')
      return vb_xml_fail (error, node, "a parent is named either by text or by WWN attributes");
    return TRUE;
  }
  if (text[0] == '\0')
    return vb_xml_fail (error, node, "empty parent name");
  def->parent = g_steal_pointer (&text);
  return TRUE;
}

/* @error is never NULL here: the loops over <capability> rely on it to tell
 * "no more" from "failed". */
static VbNodeDevDef *
parse_device (const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = vb_xml_parse (xml, -1, "device", error);
  g_autoptr(VbNodeDevDef) def = NULL;
  g_autofree char *type = NULL;
  guint seen_caps = 0;
  xmlNode *root, *node;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  if (!check_chars (root, error))
    return NULL;
  def = vb_nodedev_def_new ();

  if (!child_string (root, "name", FALSE, &def->name, error))
    return NULL;
  if (def->name != NULL && (def->name[0] == '\0' || strchr (def->name, '/') != NULL)) {
    vb_xml_fail (error, root, "device name must be non-empty and contain no '/'");
    return NULL;
  }
  if (!child_string (root, "path", FALSE, &def->sysfs_path, error))
    return NULL;

  for (node = vb_xml_next (root, NULL, "devnode"); node; node = vb_xml_next (root, node, "devnode")) {
    g_autofree char *kind = vb_xml_prop_required (node, "type", error);
    g_autofree char *text = NULL;
    if (kind == NULL)
      return NULL;
    text = g_strstrip (vb_xml_text (node));
    if (text[0] != '/') {
      vb_xml_fail (error, node, "'%s' is not an absolute path", text);
      return NULL;
    }
    if (strcmp (kind, "dev") == 0) {
      if (def->devnode != NULL) {
        vb_xml_fail (error, node, "a device has one devnode of type 'dev' at most");
        return NULL;
      }
      def->devnode = g_steal_pointer (&text);
    } else if (strcmp (kind, "link") == 0) {
      g_ptr_array_add (def->devlinks, g_steal_pointer (&text));
    } else {
      vb_xml_fail (error, node, "unsupported devnode type '%s' (supported: 'dev', 'link')", kind);
      return NULL;
    }
  }

  node = vb_xml_child (root, "parent");
  if (node != NULL && !parse_parent (node, def, error))
    return NULL;

  node = vb_xml_child (root, "driver");
  if (node != NULL) {
    if (!child_string (node, "name", TRUE, &def->driver, error))
      return NULL;
  }

  for (node = next_subcap (root, NULL, &type, error); node; node = next_subcap (root, node, &type, error)) {
    int t = vb_nodedev_cap_type_from_string (type);
    if (t < 0) {
      g_autofree char *allowed = g_strjoinv ("', '", (char **) cap_type_names);
      vb_xml_fail (error, node, "unsupported capability type '%s' (supported: '%s')", type, allowed);
      return NULL;
    }
    if (seen_caps & (1u << t)) {
      duplicate_subcap (node, type, error);
      return NULL;
    }
    seen_caps |= 1u << t;
    if (!parse_cap (node, vb_nodedev_def_add_cap (def, t), error))
      return NULL;
  }
  if (*error != NULL)
    return NULL;

  if (!vb_xml_check_consumed (root, error))
    return NULL;
  return g_steal_pointer (&def);
}

VbNodeDevDef *
vb_nodedev_def_parse (const char *xml, GError **error)
{
  g_autoptr(GError) local = NULL;
  VbNodeDevDef *def = parse_device (xml, &local);

  if (def == NULL)
    g_propagate_error (error, g_steal_pointer (&local));
  return def;
}

/* ---- formatting ---- */

static void
write_uint (VbXmlWriter *w, const char *name, guint64 value)
{
  vb_xml_writer_element_u64 (w, name, value);
}

static void
write_id_name (VbXmlWriter *w, const char *name, guint id, const char *text)
{
  char buf[16];
  g_snprintf (buf, sizeof buf, "0x%04x", id);
  if (text != NULL)
    vb_xml_writer_element (w, name, text, "id", buf, NULL);
  else
    vb_xml_writer_empty (w, name, "id", buf, NULL);
}

static void
write_pci_address (VbXmlWriter *w, const VbNodeDevPciAddress *a)
{
  char d[16], b[16], s[16], f[16];
  g_snprintf (d, sizeof d, "0x%04x", a->domain);
  g_snprintf (b, sizeof b, "0x%02x", a->bus);
  g_snprintf (s, sizeof s, "0x%02x", a->slot);
  g_snprintf (f, sizeof f, "0x%x", a->function);
  vb_xml_writer_empty (w, "address", "domain", d, "bus", b, "slot", s, "function", f, NULL);
}

static void
write_mdev_types (VbXmlWriter *w, GPtrArray *types)
{
  char buf[16];
  if (types->len == 0)
    return;
  vb_xml_writer_start (w, "capability", "type", "mdev_types", NULL);
  for (guint i = 0; i < types->len; i++) {
    const VbNodeDevMdevType *t = g_ptr_array_index (types, i);
    vb_xml_writer_start (w, "type", "id", t->id, NULL);
    vb_xml_writer_element (w, "name", t->name, NULL);
    vb_xml_writer_element (w, "deviceAPI", t->device_api, NULL);
    g_snprintf (buf, sizeof buf, "%u", t->available_instances);
    vb_xml_writer_element (w, "availableInstances", buf, NULL);
    vb_xml_writer_end (w);
  }
  vb_xml_writer_end (w);
}

static void
write_ccw_address (VbXmlWriter *w, const VbNodeDevCcwAddress *a)
{
  char buf[16];
  g_snprintf (buf, sizeof buf, "0x%x", a->cssid);
  vb_xml_writer_element (w, "cssid", buf, NULL);
  g_snprintf (buf, sizeof buf, "0x%x", a->ssid);
  vb_xml_writer_element (w, "ssid", buf, NULL);
  g_snprintf (buf, sizeof buf, "0x%04x", a->devno);
  vb_xml_writer_element (w, "devno", buf, NULL);
}

static void
format_pci (VbXmlWriter *w, const VbNodeDevCapPci *pci)
{
  char buf[32];

  if (pci->has_class) {
    g_snprintf (buf, sizeof buf, "0x%06x", pci->class_code);
    vb_xml_writer_element (w, "class", buf, NULL);
  }
  write_uint (w, "domain", pci->domain);
  write_uint (w, "bus", pci->bus);
  write_uint (w, "slot", pci->slot);
  write_uint (w, "function", pci->function);
  write_id_name (w, "product", pci->product_id, pci->product_name);
  write_id_name (w, "vendor", pci->vendor_id, pci->vendor_name);
  if (pci->has_phys_function) {
    vb_xml_writer_start (w, "capability", "type", "phys_function", NULL);
    write_pci_address (w, &pci->phys_function);
    vb_xml_writer_end (w);
  }
  if (pci->has_virt_functions) {
    g_snprintf (buf, sizeof buf, "%u", pci->max_virt_functions);
    vb_xml_writer_start (w, "capability", "type", "virt_functions", "maxCount",
                         pci->max_virt_functions ? buf : NULL, NULL);
    for (guint i = 0; i < pci->virt_functions->len; i++)
      write_pci_address (w, &g_array_index (pci->virt_functions, VbNodeDevPciAddress, i));
    vb_xml_writer_end (w);
  }
  if (pci->bridge == VB_NODEDEV_PCI_BRIDGE_PCI)
    vb_xml_writer_empty (w, "capability", "type", "pci-bridge", NULL);
  else if (pci->bridge == VB_NODEDEV_PCI_BRIDGE_CARDBUS)
    vb_xml_writer_empty (w, "capability", "type", "cardbus-bridge", NULL);
  write_mdev_types (w, pci->mdev_types);
  if (pci->has_iommu_group) {
    g_snprintf (buf, sizeof buf, "%u", pci->iommu_group);
    vb_xml_writer_start (w, "iommuGroup", "number", buf, NULL);
    for (guint i = 0; i < pci->iommu_group_devices->len; i++)
      write_pci_address (w, &g_array_index (pci->iommu_group_devices, VbNodeDevPciAddress, i));
    vb_xml_writer_end (w);
  }
  if (pci->has_numa_node) {
    g_snprintf (buf, sizeof buf, "%d", pci->numa_node);
    vb_xml_writer_empty (w, "numa", "node", buf, NULL);
  }
  if (pci->is_pcie) {
    vb_xml_writer_start (w, "pci-express", NULL);
    for (guint i = 0; i < pci->pcie_links->len; i++) {
      const VbNodeDevPcieLink *l = g_ptr_array_index (pci->pcie_links, i);
      char port[16], width[16];
      g_snprintf (port, sizeof port, "%u", l->port);
      g_snprintf (width, sizeof width, "%u", l->width);
      vb_xml_writer_empty (w, "link", "validity", pcie_validity_names[l->validity], "port",
                           l->has_port ? port : NULL, "speed", l->speed, "width", width, NULL);
    }
    vb_xml_writer_end (w);
  }
}

static void
format_storage (VbXmlWriter *w, const VbNodeDevCapStorage *st)
{
  gboolean blocks = st->logical_block_size > 0 || st->num_blocks > 0;

  vb_xml_writer_element (w, "block", st->block, NULL);
  vb_xml_writer_element (w, "bus", st->bus, NULL);
  vb_xml_writer_element (w, "drive_type", st->drive_type, NULL);
  vb_xml_writer_element (w, "model", st->model, NULL);
  vb_xml_writer_element (w, "vendor", st->vendor, NULL);
  vb_xml_writer_element (w, "serial", st->serial, NULL);
  if (st->removable) {
    vb_xml_writer_start (w, "capability", "type", "removable", NULL);
    write_uint (w, "media_available", st->media_available ? 1 : 0);
    write_uint (w, "media_size", st->media_size);
    vb_xml_writer_element (w, "media_label", st->media_label, NULL);
  } else {
    write_uint (w, "size", st->size);
  }
  /* The schema wants both or neither. */
  if (blocks) {
    write_uint (w, "logical_block_size", st->logical_block_size);
    write_uint (w, "num_blocks", st->num_blocks);
  }
  if (st->removable)
    vb_xml_writer_end (w);
  if (st->hotpluggable)
    vb_xml_writer_empty (w, "capability", "type", "hotpluggable", NULL);
}

static void
format_cap (VbXmlWriter *w, const VbNodeDevCap *cap)
{
  char buf[32];

  vb_xml_writer_start (w, "capability", "type", cap_type_names[cap->type], NULL);
  switch (cap->type) {
  case VB_NODEDEV_CAP_SYSTEM: {
    const VbNodeDevCapSystem *sys = &cap->system;
    vb_xml_writer_element (w, "product", sys->product, NULL);
    vb_xml_writer_start (w, "hardware", NULL);
    vb_xml_writer_element (w, "vendor", sys->hardware_vendor, NULL);
    vb_xml_writer_element (w, "version", sys->hardware_version, NULL);
    vb_xml_writer_element (w, "serial", sys->hardware_serial, NULL);
    /* Required by the schema; an unknown UUID is all zeroes, as libvirt has it. */
    vb_xml_writer_element (w, "uuid", sys->hardware_uuid[0] ? sys->hardware_uuid : "00000000-0000-0000-0000-000000000000",
                           NULL);
    vb_xml_writer_end (w);
    vb_xml_writer_start (w, "firmware", NULL);
    vb_xml_writer_element (w, "vendor", sys->firmware_vendor, NULL);
    vb_xml_writer_element (w, "version", sys->firmware_version, NULL);
    vb_xml_writer_element (w, "release_date", sys->firmware_release_date, NULL);
    vb_xml_writer_end (w);
    break;
  }
  case VB_NODEDEV_CAP_PCI:
    format_pci (w, &cap->pci);
    break;
  case VB_NODEDEV_CAP_USB_DEVICE:
    write_uint (w, "bus", cap->usb_device.bus);
    write_uint (w, "device", cap->usb_device.device);
    write_id_name (w, "product", cap->usb_device.product_id, cap->usb_device.product_name);
    write_id_name (w, "vendor", cap->usb_device.vendor_id, cap->usb_device.vendor_name);
    break;
  case VB_NODEDEV_CAP_USB:
    write_uint (w, "number", cap->usb.number);
    write_uint (w, "class", cap->usb.klass);
    write_uint (w, "subclass", cap->usb.subclass);
    write_uint (w, "protocol", cap->usb.protocol);
    vb_xml_writer_element (w, "description", cap->usb.description, NULL);
    break;
  case VB_NODEDEV_CAP_NET: {
    const VbNodeDevCapNet *net = &cap->net;
    vb_xml_writer_element (w, "interface", net->interface, NULL);
    vb_xml_writer_element (w, "address", net->address, NULL);
    if (net->has_link) {
      g_snprintf (buf, sizeof buf, "%u", net->link_speed);
      vb_xml_writer_empty (w, "link", "speed", net->link_speed ? buf : NULL, "state",
                           net->link_state ? link_state_names[net->link_state] : NULL, NULL);
    }
    for (guint i = 0; i < net->features->len; i++)
      vb_xml_writer_empty (w, "feature", "name", (const char *) g_ptr_array_index (net->features, i), NULL);
    if (net->subcap == VB_NODEDEV_NET_SUBCAP_80203)
      vb_xml_writer_empty (w, "capability", "type", "80203", NULL);
    else if (net->subcap == VB_NODEDEV_NET_SUBCAP_80211)
      vb_xml_writer_empty (w, "capability", "type", "80211", NULL);
    break;
  }
  case VB_NODEDEV_CAP_SCSI_HOST: {
    const VbNodeDevCapScsiHost *sh = &cap->scsi_host;
    if (sh->has_host)
      write_uint (w, "host", sh->host);
    if (sh->has_unique_id)
      write_uint (w, "unique_id", sh->unique_id);
    if (sh->has_fc_host) {
      vb_xml_writer_start (w, "capability", "type", "fc_host", NULL);
      vb_xml_writer_element (w, "wwnn", sh->wwnn, NULL);
      vb_xml_writer_element (w, "wwpn", sh->wwpn, NULL);
      vb_xml_writer_element (w, "fabric_wwn", sh->fabric_wwn, NULL);
      vb_xml_writer_end (w);
    }
    if (sh->has_vport_ops) {
      vb_xml_writer_start (w, "capability", "type", "vport_ops", NULL);
      write_uint (w, "max_vports", sh->max_vports);
      write_uint (w, "vports", sh->vports);
      vb_xml_writer_end (w);
    }
    break;
  }
  case VB_NODEDEV_CAP_SCSI_TARGET:
    vb_xml_writer_element (w, "target", cap->scsi_target.target, NULL);
    if (cap->scsi_target.has_fc_remote_port) {
      vb_xml_writer_start (w, "capability", "type", "fc_remote_port", NULL);
      vb_xml_writer_element (w, "rport", cap->scsi_target.rport, NULL);
      vb_xml_writer_element (w, "wwpn", cap->scsi_target.rport_wwpn, NULL);
      vb_xml_writer_end (w);
    }
    break;
  case VB_NODEDEV_CAP_SCSI:
    write_uint (w, "host", cap->scsi.host);
    write_uint (w, "bus", cap->scsi.bus);
    write_uint (w, "target", cap->scsi.target);
    write_uint (w, "lun", cap->scsi.lun);
    vb_xml_writer_element (w, "type", cap->scsi.type, NULL);
    break;
  case VB_NODEDEV_CAP_STORAGE:
    format_storage (w, &cap->storage);
    break;
  case VB_NODEDEV_CAP_SCSI_GENERIC:
    vb_xml_writer_element (w, "char", cap->scsi_generic_char, NULL);
    break;
  case VB_NODEDEV_CAP_DRM:
    vb_xml_writer_element (w, "type", drm_type_names[cap->drm_type], NULL);
    break;
  case VB_NODEDEV_CAP_MDEV: {
    const VbNodeDevCapMdev *mdev = &cap->mdev;
    vb_xml_writer_empty (w, "type", "id", mdev->type_id, NULL);
    if (mdev->uuid[0] != '\0')
      vb_xml_writer_element (w, "uuid", mdev->uuid, NULL);
    vb_xml_writer_element (w, "parent_addr", mdev->parent_addr, NULL);
    if (mdev->has_iommu_group) {
      g_snprintf (buf, sizeof buf, "%u", mdev->iommu_group);
      vb_xml_writer_empty (w, "iommuGroup", "number", buf, NULL);
    }
    for (guint i = 0; i < mdev->attrs->len; i++) {
      const VbNodeDevMdevAttr *a = g_ptr_array_index (mdev->attrs, i);
      vb_xml_writer_empty (w, "attr", "name", a->name, "value", a->value, NULL);
    }
    break;
  }
  case VB_NODEDEV_CAP_CCW:
    write_ccw_address (w, &cap->ccw);
    break;
  case VB_NODEDEV_CAP_CSS:
    write_ccw_address (w, &cap->css.address);
    if (cap->css.has_channel_dev_addr) {
      vb_xml_writer_start (w, "channel_dev_addr", NULL);
      write_ccw_address (w, &cap->css.channel_dev_addr);
      vb_xml_writer_end (w);
    }
    write_mdev_types (w, cap->css.mdev_types);
    break;
  case VB_NODEDEV_CAP_VDPA:
    vb_xml_writer_element (w, "chardev", cap->vdpa_chardev, NULL);
    break;
  case VB_NODEDEV_CAP_LAST:
  default:
    break;
  }
  vb_xml_writer_end (w);
}

char *
vb_nodedev_def_format (const VbNodeDevDef *def, guint flags)
{
  g_autoptr(VbXmlWriter) w = vb_xml_writer_new ();

  g_return_val_if_fail (def != NULL, NULL);

  vb_xml_writer_start (w, "device", NULL);
  vb_xml_writer_element (w, "name", def->name, NULL);
  vb_xml_writer_element (w, "path", def->sysfs_path, NULL);
  vb_xml_writer_element (w, "devnode", def->devnode, "type", "dev", NULL);
  for (guint i = 0; i < def->devlinks->len; i++)
    vb_xml_writer_element (w, "devnode", g_ptr_array_index (def->devlinks, i), "type", "link", NULL);
  if (def->parent != NULL)
    vb_xml_writer_element (w, "parent", def->parent, NULL);
  else if (def->parent_wwnn != NULL || def->parent_fabric_wwn != NULL)
    vb_xml_writer_empty (w, "parent", "wwnn", def->parent_wwnn, "wwpn", def->parent_wwpn, "fabric_wwn",
                         def->parent_wwnn ? NULL : def->parent_fabric_wwn, NULL);
  if (def->driver != NULL) {
    vb_xml_writer_start (w, "driver", NULL);
    vb_xml_writer_element (w, "name", def->driver, NULL);
    vb_xml_writer_end (w);
  }
  for (guint i = 0; i < def->caps->len; i++)
    format_cap (w, g_ptr_array_index (def->caps, i));
  vb_xml_writer_end (w);
  return vb_xml_writer_finish (g_steal_pointer (&w));
}
