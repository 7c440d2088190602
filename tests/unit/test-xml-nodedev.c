/* Tests for the node device XML model (service/xml/vb-nodedev-def.c). */
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "vb-error.h"
#include "vb-test-util.h"
#include "vb-nodedev-def.h"
#include "vb-xml.h"


static VbNodeDevDef *
parse_sample (const char *file)
{
  g_autofree char *xml = vb_test_read_sample ("nodedev", file);
  g_autoptr(GError) error = NULL;
  VbNodeDevDef *def = vb_nodedev_def_parse (xml, &error);
  g_assert_no_error (error);
  g_assert_nonnull (def);
  return def;
}

static void
check_round_trip (const char *path, gboolean validate)
{
  g_autofree char *xml = NULL;
  g_autoptr(GError) error = NULL;

  g_test_message ("nodedev sample %s", path);
  g_file_get_contents (path, &xml, NULL, &error);
  g_assert_no_error (error);
  g_autoptr(VbNodeDevDef) def = vb_nodedev_def_parse (xml, &error);
  g_assert_no_error (error);
  g_autofree char *out = vb_nodedev_def_format (def, 0);
  g_autoptr(VbNodeDevDef) def2 = vb_nodedev_def_parse (out, &error);
  g_assert_no_error (error);
  g_autofree char *out2 = vb_nodedev_def_format (def2, 0);
  g_assert_cmpstr (out, ==, out2);
  g_autoptr(VbNodeDevDef) copy = vb_nodedev_def_copy (def);
  g_autofree char *out3 = vb_nodedev_def_format (copy, 0);
  g_assert_cmpstr (out, ==, out3);
  if (validate)
    vb_test_schema_validate (out, "nodedev.rng");
}

static void
test_samples (void)
{
  g_autoptr(GPtrArray) files = vb_test_list_samples ("nodedev");
  g_autoptr(GPtrArray) create = vb_test_list_samples ("nodedev/create");

  for (guint i = 0; i < files->len; i++)
    check_round_trip (g_ptr_array_index (files, i), TRUE);
  /* Creation requests have no <name>, which the schema wants. */
  for (guint i = 0; i < create->len; i++)
    check_round_trip (g_ptr_array_index (create, i), FALSE);
}

static void
test_test_driver (void)
{
  /* `virsh -c test:///default nodedev-dumpxml …` comes back byte for byte. */
  static const char *const names[] = { "computer", "scsi_host1", "scsi_host2", "scsi_host11" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autofree char *file = g_strdup_printf ("test-%s.xml", names[i]);
    g_autofree char *expected = vb_test_read_sample ("nodedev", file);
    g_autoptr(VbNodeDevDef) def = parse_sample (file);
    g_autofree char *out = vb_nodedev_def_format (def, 0);
    g_assert_cmpstr (out, ==, expected);
    g_assert_cmpstr (def->name, ==, names[i]);
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("test-computer.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_SYSTEM);
    g_auto(GStrv) caps = vb_nodedev_def_cap_names (def);
    g_assert_null (def->parent);
    g_assert_nonnull (cap);
    g_assert_cmpstr (cap->system.hardware_vendor, ==, "Libvirt");
    g_assert_cmpstr (cap->system.hardware_version, ==, "Test driver");
    g_assert_cmpstr (cap->system.hardware_serial, ==, "123456");
    g_assert_cmpstr (cap->system.hardware_uuid, ==, "11111111-2222-3333-4444-555555555555");
    g_assert_cmpstr (cap->system.firmware_vendor, ==, "Libvirt");
    g_assert_cmpstr (cap->system.firmware_version, ==, "Test Driver");
    g_assert_cmpstr (cap->system.firmware_release_date, ==, "01/22/2007");
    g_assert_cmpuint (g_strv_length (caps), ==, 1);
    g_assert_cmpstr (caps[0], ==, "system");
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("test-scsi_host1.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_SCSI_HOST);
    g_auto(GStrv) caps = vb_nodedev_def_cap_names (def);
    const char *const expected[] = { "scsi_host", "fc_host", "vports", NULL };
    g_assert_cmpstr (def->parent, ==, "computer");
    g_assert_true (cap->scsi_host.has_host);
    g_assert_cmpuint (cap->scsi_host.host, ==, 1);
    g_assert_true (cap->scsi_host.has_unique_id);
    g_assert_cmpuint (cap->scsi_host.unique_id, ==, 0);
    g_assert_true (cap->scsi_host.has_fc_host);
    g_assert_cmpstr (cap->scsi_host.wwnn, ==, "2000000012341234");
    g_assert_cmpstr (cap->scsi_host.wwpn, ==, "1000000012341234");
    g_assert_cmpstr (cap->scsi_host.fabric_wwn, ==, "2000000043214321");
    g_assert_true (cap->scsi_host.has_vport_ops);
    g_assert_cmpuint (cap->scsi_host.max_vports, ==, 0);
    g_assert_true (g_strv_equal ((const char *const *) caps, expected));
    g_assert_true (vb_nodedev_def_has_cap_name (def, "vports"));
    g_assert_false (vb_nodedev_def_has_cap_name (def, "pci"));
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("test-scsi_host11.xml");
    g_auto(GStrv) caps = vb_nodedev_def_cap_names (def);
    const char *const expected[] = { "scsi_host", "fc_host", NULL };
    g_assert_cmpstr (def->parent, ==, "scsi_host1");
    g_assert_true (g_strv_equal ((const char *const *) caps, expected));
  }
}

static void
test_wwn_lookup (void)
{
  g_autoptr(GPtrArray) defs = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_nodedev_def_free);
  static const char *const files[] = {
    "test-computer.xml", "test-scsi_host1.xml", "test-scsi_host2.xml", "test-scsi_host11.xml", "scsi-host-hba.xml",
  };
  VbNodeDevDef *found;

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    g_ptr_array_add (defs, parse_sample (files[i]));
  found = vb_nodedev_find_scsi_host_by_wwn (defs, "2000000056785678", "1000000056785678");
  g_assert_nonnull (found);
  g_assert_cmpstr (found->name, ==, "scsi_host2");
  found = vb_nodedev_find_scsi_host_by_wwn (defs, "0x2000000034563456", "0X1000000034563456");
  g_assert_nonnull (found);
  g_assert_cmpstr (found->name, ==, "scsi_host11");
  g_assert_null (vb_nodedev_find_scsi_host_by_wwn (defs, "2000000056785678", "1000000012341234"));
  found = vb_nodedev_find_scsi_host_by_fabric_wwn (defs, "2002000573DE9A81");
  g_assert_nonnull (found);
  g_assert_cmpstr (found->name, ==, "scsi_host5");
  /* scsi_host11 is on that fabric too but has no vport_ops. */
  found = vb_nodedev_find_scsi_host_by_fabric_wwn (defs, "2000000043214321");
  g_assert_cmpstr (found->name, ==, "scsi_host1");
  g_assert_true (vb_nodedev_wwn_equal ("0xabcdef0123456789", "ABCDEF0123456789"));
  g_assert_false (vb_nodedev_wwn_equal (NULL, "ABCDEF0123456789"));
}

static void
test_fields (void)
{
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("pci-net.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_PCI);
    VbNodeDevPcieLink *link;
    g_assert_cmpstr (def->sysfs_path, ==, "/sys/devices/pci0000:00/0000:00:19.0");
    g_assert_cmpstr (def->driver, ==, "e1000e");
    g_assert_true (cap->pci.has_class);
    g_assert_cmpuint (cap->pci.class_code, ==, 0x020000);
    g_assert_cmpuint (cap->pci.slot, ==, 25);
    g_assert_cmpuint (cap->pci.product_id, ==, 0x153a);
    g_assert_cmpstr (cap->pci.product_name, ==, "Ethernet Connection I217-LM");
    g_assert_cmpuint (cap->pci.vendor_id, ==, 0x8086);
    g_assert_true (cap->pci.has_iommu_group);
    g_assert_cmpuint (cap->pci.iommu_group, ==, 9);
    g_assert_cmpuint (cap->pci.iommu_group_devices->len, ==, 1);
    g_assert_cmpuint (g_array_index (cap->pci.iommu_group_devices, VbNodeDevPciAddress, 0).slot, ==, 0x19);
    g_assert_true (cap->pci.has_numa_node);
    g_assert_cmpint (cap->pci.numa_node, ==, 0);
    g_assert_true (cap->pci.is_pcie);
    g_assert_cmpuint (cap->pci.pcie_links->len, ==, 2);
    link = g_ptr_array_index (cap->pci.pcie_links, 1);
    g_assert_cmpint (link->validity, ==, VB_NODEDEV_PCIE_LINK_STA);
    g_assert_false (link->has_port);
    g_assert_cmpstr (link->speed, ==, "2.5");
    g_assert_cmpuint (link->width, ==, 1);
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("pci-sriov-pf.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_PCI);
    g_assert_true (cap->pci.has_virt_functions);
    g_assert_cmpuint (cap->pci.max_virt_functions, ==, 7);
    g_assert_cmpuint (cap->pci.virt_functions->len, ==, 2);
    g_assert_cmpuint (g_array_index (cap->pci.virt_functions, VbNodeDevPciAddress, 1).function, ==, 2);
    g_assert_cmpint (cap->pci.numa_node, ==, -1);
    g_assert_true (cap->pci.is_pcie);
    g_assert_cmpuint (cap->pci.pcie_links->len, ==, 0);
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("pci-vf.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_PCI);
    g_assert_true (cap->pci.has_phys_function);
    g_assert_cmpuint (cap->pci.phys_function.bus, ==, 3);
    g_assert_cmpuint (cap->pci.slot, ==, 0x10);
    g_assert_null (cap->pci.product_name);
    g_assert_false (cap->pci.has_class);
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("pci-gpu-mdev.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_PCI);
    VbNodeDevMdevType *t = g_ptr_array_index (cap->pci.mdev_types, 0);
    g_auto(GStrv) caps = vb_nodedev_def_cap_names (def);
    const char *const expected[] = { "pci", "mdev_types", NULL };
    g_assert_cmpuint (cap->pci.mdev_types->len, ==, 2);
    g_assert_cmpstr (t->id, ==, "nvidia-222");
    g_assert_cmpstr (t->name, ==, "GRID T4-1B");
    g_assert_cmpstr (t->device_api, ==, "vfio-pci");
    g_assert_cmpuint (t->available_instances, ==, 16);
    g_assert_true (g_strv_equal ((const char *const *) caps, expected));
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("pci-bridge.xml");
    g_assert_cmpint (vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_PCI)->pci.bridge, ==, VB_NODEDEV_PCI_BRIDGE_PCI);
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("usb-device.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_USB_DEVICE);
    g_assert_cmpstr (def->devnode, ==, "/dev/bus/usb/001/003");
    g_assert_cmpuint (cap->usb_device.bus, ==, 1);
    g_assert_cmpuint (cap->usb_device.device, ==, 3);
    g_assert_cmpuint (cap->usb_device.product_id, ==, 0x24);
    g_assert_cmpstr (cap->usb_device.vendor_name, ==, "Intel Corp.");
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("usb-interface.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_USB);
    g_assert_cmpuint (cap->usb.klass, ==, 9);
    g_assert_cmpuint (cap->usb.protocol, ==, 1);
    g_assert_cmpstr (cap->usb.description, ==, "Hub & more");
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("net.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_NET);
    g_assert_cmpstr (cap->net.interface, ==, "eth0");
    g_assert_cmpstr (cap->net.address, ==, "00:16:3e:12:34:56");
    g_assert_true (cap->net.has_link);
    g_assert_cmpuint (cap->net.link_speed, ==, 1000);
    g_assert_cmpint (cap->net.link_state, ==, VB_NODEDEV_LINK_STATE_UP);
    g_assert_cmpuint (cap->net.features->len, ==, 5);
    g_assert_cmpstr (g_ptr_array_index (cap->net.features, 4), ==, "rxvlan");
    g_assert_cmpint (cap->net.subcap, ==, VB_NODEDEV_NET_SUBCAP_80203);
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("scsi-target.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_SCSI_TARGET);
    g_assert_cmpstr (cap->scsi_target.target, ==, "target0:0:0");
    g_assert_true (cap->scsi_target.has_fc_remote_port);
    g_assert_cmpstr (cap->scsi_target.rport, ==, "rport-0:0-0");
    g_assert_cmpstr (cap->scsi_target.rport_wwpn, ==, "0x9d73bc45f0e21a86");
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("scsi.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_SCSI);
    g_assert_cmpstr (cap->scsi.type, ==, "disk");
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("storage-fixed.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_STORAGE);
    g_assert_cmpuint (def->devlinks->len, ==, 2);
    g_assert_cmpstr (cap->storage.block, ==, "/dev/sda");
    g_assert_false (cap->storage.removable);
    g_assert_cmpuint (cap->storage.size, ==, 500107862016ULL);
    g_assert_cmpuint (cap->storage.logical_block_size, ==, 512);
    g_assert_cmpuint (cap->storage.num_blocks, ==, 976773168);
    g_assert_cmpstr (cap->storage.model, ==, "Samsung SSD 860");
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("storage-removable.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_STORAGE);
    g_assert_true (cap->storage.removable);
    g_assert_true (cap->storage.media_available);
    g_assert_cmpuint (cap->storage.media_size, ==, 4700372992ULL);
    g_assert_cmpstr (cap->storage.media_label, ==, "Debian 12 amd64");
    g_assert_cmpuint (cap->storage.logical_block_size, ==, 2048);
    g_assert_true (cap->storage.hotpluggable);
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("drm.xml");
    g_assert_cmpint (vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_DRM)->drm_type, ==, VB_NODEDEV_DRM_RENDER);
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("mdev.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_MDEV);
    VbNodeDevMdevAttr *attr = g_ptr_array_index (cap->mdev.attrs, 1);
    g_assert_cmpstr (cap->mdev.type_id, ==, "nvidia-222");
    g_assert_cmpstr (cap->mdev.uuid, ==, "4b20d080-1b54-4048-85b3-a6a62d165c01");
    g_assert_true (cap->mdev.has_iommu_group);
    g_assert_cmpuint (cap->mdev.iommu_group, ==, 13);
    g_assert_cmpstr (cap->mdev.parent_addr, ==, "0000:02:00.0");
    g_assert_cmpstr (attr->name, ==, "assign_domain");
    g_assert_cmpstr (attr->value, ==, "0x47");
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("css.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_CSS);
    g_auto(GStrv) caps = vb_nodedev_def_cap_names (def);
    g_assert_cmpuint (cap->css.address.cssid, ==, 0xfe);
    g_assert_cmpuint (cap->css.address.ssid, ==, 3);
    g_assert_cmpuint (cap->css.address.devno, ==, 0x52);
    g_assert_true (cap->css.has_channel_dev_addr);
    g_assert_cmpuint (cap->css.channel_dev_addr.devno, ==, 0x5000);
    g_assert_cmpstr (caps[1], ==, "mdev_types");
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("system-full.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_SYSTEM);
    g_assert_cmpstr (cap->system.product, ==, "ThinkPad T480 (20L5CTO1WW)");
    g_assert_cmpstr (cap->system.hardware_uuid, ==, "4c4c4544-004e-4810-805a-b5c04f4d5931");
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("create/vhba.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_SCSI_HOST);
    g_assert_null (def->name);
    g_assert_cmpstr (def->parent, ==, "scsi_host5");
    g_assert_false (cap->scsi_host.has_host);
    g_assert_true (cap->scsi_host.has_fc_host);
    g_assert_cmpstr (cap->scsi_host.wwpn, ==, "2101001b32a9da4e");
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("create/vhba-parent-wwn.xml");
    VbNodeDevCap *cap = vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_SCSI_HOST);
    g_assert_null (def->parent);
    g_assert_cmpstr (def->parent_wwnn, ==, "20000000c9848140");
    g_assert_cmpstr (def->parent_wwpn, ==, "10000000c9848140");
    g_assert_null (cap->scsi_host.wwnn);
  }
  {
    g_autoptr(VbNodeDevDef) def = parse_sample ("create/vhba-fabric.xml");
    g_assert_cmpstr (def->parent_fabric_wwn, ==, "2002000573de9a81");
  }
}

static void
test_negative (void)
{
  static const struct {
    const char *xml;
    const char *needle;
  } cases[] = {
    { "<device><name>a</name><bogus/></device>", "<bogus>" },
    { "<device id='1'><name>a</name></device>", "'id'" },
    { "<device><name>a</name><capability type='toaster'/></device>", "unsupported capability type 'toaster'" },
    { "<device><name>a</name><capability/></device>", "missing attribute 'type'" },
    { "<device><name>a</name><name>b</name></device>", "only once" },
    { "<device><name>a</name>", "malformed XML" },
    { "<device><name>a</name><capability type='scsi'><host>0</host><bus>0</bus><target>0</target></capability></device>",
      "missing <lun>" },
    { "<device><name>a</name><capability type='scsi'><host>x</host><bus>0</bus><target>0</target><lun>0</lun></capability></device>",
      "not a non-negative integer" },
    { "<device><name>a</name><capability type='pci'><domain>0</domain><bus>0</bus><slot>40</slot><function>0</function>"
      "<product id='0x1'/><vendor id='0x1'/></capability></device>",
      "out of range" },
    { "<device><name>a</name><capability type='pci'><domain>0</domain><bus>0</bus><slot>1</slot><function>0</function>"
      "<product id='0x1'/><vendor id='0x1'/><capability type='sriov'/></capability></device>",
      "unsupported PCI capability 'sriov'" },
    { "<device><name>a</name><capability type='pci'><domain>0</domain><bus>0</bus><slot>1</slot><function>0</function>"
      "<product id='0x1'/><vendor id='0x1'/><capability type='pci-bridge'/><capability type='pci-bridge'/></capability></device>",
      "one kind of bridge" },
    { "<device><name>a</name><capability type='pci'><domain>0</domain><bus>0</bus><slot>1</slot><function>0</function>"
      "<product id='0x1'/><vendor id='0x1'/><vpd/></capability></device>",
      "<vpd>" },
    { "<device><name>a</name><capability type='drm'><type>overlay</type></capability></device>", "overlay" },
    { "<device><name>a</name><capability type='net'><interface>e</interface><address>zz</address></capability></device>",
      "MAC" },
    { "<device><name>a</name><capability type='scsi_host'><host>1</host><capability type='fc_host'><wwnn>1</wwnn>"
      "<wwpn>2</wwpn></capability></capability></device>",
      "WWN" },
    { "<device><name>a</name><capability type='scsi_host'><host>1</host><capability type='fc_host'/>"
      "<capability type='fc_host'/></capability></device>",
      "duplicate capability 'fc_host'" },
    { "<device><name>a</name><capability type='system'><hardware/></capability></device>", "missing <uuid>" },
    { "<device><name>a</name><capability type='storage'><block>/dev/sda</block><size>1</size>"
      "<capability type='removable'><media_available>1</media_available><media_size>1</media_size></capability>"
      "</capability></device>",
      "<size>" },
    { "<device><name>a</name><parent wwnn='2000000012341234'/></device>", "together" },
    { "<device><name>a</name><parent>   </parent></device>", "empty parent" },
    { "<device><name>a</name><devnode type='block'>/dev/x</devnode></device>", "'block'" },
    { "<device><name>a</name><capability type='ccw'><cssid>0xff</cssid><ssid>0</ssid><devno>0</devno></capability></device>",
      "out of range" },
    { "<device><name>a</name><capability type='mdev'><uuid>4b20d080-1b54-4048-85b3-a6a62d165c01</uuid></capability></device>",
      "missing <type" },
    { "<device><name>a</name><capability type='drm'><type>render</type></capability><capability type='drm'><type>render</type></capability></device>",
      "duplicate capability 'drm'" },
    { "<device><name>a/b</name></device>", "'/'" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(VbNodeDevDef) def = vb_nodedev_def_parse (cases[i].xml, &error);
    g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].xml);
    g_assert_null (def);
    vb_test_assert_xml_error (error, cases[i].needle);
    /* Without an error pointer the same documents still fail. */
    g_assert_null (vb_nodedev_def_parse (cases[i].xml, NULL));
  }
}

static void
test_hostile (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) s = g_string_new ("<device><name>a</name><capability type='net'><interface>e</interface>");

  for (int i = 0; i < 50000; i++)
    g_string_append (s, "<feature name='rx'/>");
  g_string_append (s, "</capability>");
  for (int i = 0; i < 50000; i++)
    g_string_append (s, "<devnode type='link'>/dev/x</devnode>");
  g_string_append (s, "</device>");
  g_autoptr(VbNodeDevDef) def = vb_nodedev_def_parse (s->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (def->devlinks->len, ==, 50000);

  /* Many capabilities: rejected after the second, in linear time. */
  g_string_assign (s, "<device><name>a</name>");
  for (int i = 0; i < 100000; i++)
    g_string_append (s, "<capability type='drm'><type>render</type></capability>");
  g_string_append (s, "</device>");
  g_assert_null (vb_nodedev_def_parse (s->str, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/xml/nodedev/samples", test_samples);
  g_test_add_func ("/xml/nodedev/test-driver", test_test_driver);
  g_test_add_func ("/xml/nodedev/wwn-lookup", test_wwn_lookup);
  g_test_add_func ("/xml/nodedev/fields", test_fields);
  g_test_add_func ("/xml/nodedev/negative", test_negative);
  g_test_add_func ("/xml/nodedev/hostile", test_hostile);
  return g_test_run ();
}
