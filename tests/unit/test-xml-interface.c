/* Tests for the host interface XML model (service/xml/vb-interface-def.c). */
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "vb-error.h"
#include "vb-test-util.h"
#include "vb-interface-def.h"
#include "vb-xml.h"


static VbInterfaceDef *
parse_sample (const char *file)
{
  g_autofree char *xml = vb_test_read_sample ("interface", file);
  g_autoptr(GError) error = NULL;
  VbInterfaceDef *def = vb_interface_def_parse (xml, &error);
  g_assert_no_error (error);
  g_assert_nonnull (def);
  return def;
}

static void
test_samples (void)
{
  g_autoptr(GPtrArray) files = vb_test_list_samples ("interface");

  for (guint i = 0; i < files->len; i++) {
    const char *path = g_ptr_array_index (files, i);
    g_autofree char *xml = NULL;
    g_autoptr(GError) error = NULL;

    g_test_message ("interface sample %s", path);
    g_file_get_contents (path, &xml, NULL, &error);
    g_assert_no_error (error);
    g_autoptr(VbInterfaceDef) def = vb_interface_def_parse (xml, &error);
    g_assert_no_error (error);
    for (guint flags = 0; flags <= VB_INTERFACE_XML_INACTIVE; flags++) {
      g_autofree char *out = vb_interface_def_format (def, flags);
      g_autoptr(VbInterfaceDef) def2 = vb_interface_def_parse (out, &error);
      g_assert_no_error (error);
      g_autofree char *out2 = vb_interface_def_format (def2, flags);
      g_assert_cmpstr (out, ==, out2);
      if (!vb_test_schema_validate (out, "interface.rng"))
        return;
    }
    g_autoptr(VbInterfaceDef) copy = vb_interface_def_copy (def);
    g_autofree char *a = vb_interface_def_format (def, 0);
    g_autofree char *b = vb_interface_def_format (copy, 0);
    g_assert_cmpstr (a, ==, b);
  }
}

static void
test_test_driver (void)
{
  /* `virsh -c test:///default iface-dumpxml eth1` comes back byte for byte. */
  g_autofree char *expected = vb_test_read_sample ("interface", "test-eth1.xml");
  g_autoptr(VbInterfaceDef) def = parse_sample ("test-eth1.xml");
  g_autofree char *out = vb_interface_def_format (def, 0);
  VbInterfaceIp *ip;

  g_assert_cmpstr (out, ==, expected);
  g_assert_cmpint (def->type, ==, VB_INTERFACE_ETHERNET);
  g_assert_cmpstr (def->name, ==, "eth1");
  g_assert_cmpint (def->start_mode, ==, VB_INTERFACE_START_ONBOOT);
  g_assert_cmpuint (def->mtu, ==, 1492);
  g_assert_cmpstr (def->mac, ==, "aa:bb:cc:dd:ee:ff");
  g_assert_true (def->ipv4.present);
  g_assert_false (def->ipv6.present);
  g_assert_cmpuint (def->ipv4.ips->len, ==, 1);
  ip = g_ptr_array_index (def->ipv4.ips, 0);
  g_assert_cmpstr (ip->address, ==, "192.168.0.5");
  g_assert_cmpuint (ip->prefix, ==, 24);
  g_assert_cmpstr (def->ipv4.gateway, ==, "192.168.0.1");
}

static void
test_fields (void)
{
  {
    g_autoptr(VbInterfaceDef) def = parse_sample ("bridge.xml");
    VbInterfaceDef *eth0, *vlan, *bond, *eth3;

    g_assert_cmpint (def->type, ==, VB_INTERFACE_BRIDGE);
    g_assert_cmpint (def->bridge_stp, ==, VB_INTERFACE_TRISTATE_NO);
    g_assert_cmpstr (def->bridge_delay, ==, "0.01");
    g_assert_true (def->ipv6.autoconf);
    g_assert_true (def->ipv6.dhcp);
    g_assert_cmpint (def->ipv6.dhcp_peerdns, ==, VB_INTERFACE_TRISTATE_NO);
    g_assert_cmpstr (def->ipv6.gateway, ==, "2001:db8::1");
    g_assert_true (def->ipv4.dhcp);
    g_assert_cmpint (def->ipv4.dhcp_peerdns, ==, VB_INTERFACE_TRISTATE_YES);
    g_assert_cmpuint (def->members->len, ==, 3);
    eth0 = g_ptr_array_index (def->members, 0);
    g_assert_cmpstr (eth0->mac, ==, "ab:bb:cc:dd:ee:ff");
    g_assert_true (eth0->has_link);
    g_assert_cmpuint (eth0->link_speed, ==, 1000);
    g_assert_cmpint (eth0->link_state, ==, VB_INTERFACE_LINK_STATE_UP);
    vlan = g_ptr_array_index (def->members, 1);
    g_assert_cmpint (vlan->type, ==, VB_INTERFACE_VLAN);
    g_assert_cmpuint (vlan->vlan_tag, ==, 42);
    g_assert_cmpstr (vlan->vlan_device, ==, "eth1");
    bond = g_ptr_array_index (def->members, 2);
    g_assert_cmpint (bond->bond_mode, ==, VB_INTERFACE_BOND_MODE_ACTIVE_BACKUP);
    g_assert_cmpint (bond->bond_monitor, ==, VB_INTERFACE_BOND_MONITOR_MII);
    g_assert_cmpuint (bond->mii_freq, ==, 100);
    g_assert_cmpuint (bond->mii_downdelay, ==, 20);
    g_assert_cmpuint (bond->mii_updelay, ==, 10);
    g_assert_cmpint (bond->mii_carrier, ==, VB_INTERFACE_MII_CARRIER_IOCTL);
    g_assert_cmpint (bond->link_state, ==, VB_INTERFACE_LINK_STATE_DORMANT);
    g_assert_cmpuint (bond->members->len, ==, 2);
    eth3 = g_ptr_array_index (bond->members, 1);
    g_assert_cmpstr (eth3->name, ==, "eth3");

    g_autofree char *inactive = vb_interface_def_format (def, VB_INTERFACE_XML_INACTIVE);
    g_assert_null (strstr (inactive, "<link"));
  }
  {
    g_autoptr(VbInterfaceDef) def = parse_sample ("bond.xml");
    g_assert_cmpint (def->start_mode, ==, VB_INTERFACE_START_HOTPLUG);
    g_assert_cmpint (def->bond_mode, ==, VB_INTERFACE_BOND_MODE_8023AD);
    g_assert_cmpint (def->bond_monitor, ==, VB_INTERFACE_BOND_MONITOR_ARP);
    g_assert_cmpuint (def->arp_interval, ==, 100);
    g_assert_cmpstr (def->arp_target, ==, "192.168.50.1");
    g_assert_cmpint (def->arp_validate, ==, VB_INTERFACE_ARP_VALIDATE_ACTIVE);
    g_assert_cmpuint (def->ipv4.ips->len, ==, 2);
    g_assert_cmpuint (((VbInterfaceIp *) g_ptr_array_index (def->ipv4.ips, 1))->prefix, ==, 0);
  }
  {
    g_autoptr(VbInterfaceDef) def = parse_sample ("vlan-noname.xml");
    VbInterfaceIp *ip = g_ptr_array_index (def->ipv6.ips, 0);
    g_assert_cmpstr (def->name, ==, "enp3s0.4095");
    g_assert_cmpstr (ip->address, ==, "2001:db8::1");
    g_assert_cmpuint (def->link_speed, ==, 10000);
    g_assert_cmpint (def->link_state, ==, VB_INTERFACE_LINK_STATE_LOWERLAYERDOWN);
  }
  {
    g_autoptr(VbInterfaceDef) def = parse_sample ("vlan.xml");
    g_assert_cmpint (def->start_mode, ==, VB_INTERFACE_START_NONE);
    g_assert_true (def->ipv4.dhcp);
    g_assert_cmpint (def->ipv4.dhcp_peerdns, ==, VB_INTERFACE_TRISTATE_ABSENT);
  }
}

static void
test_negative (void)
{
  static const struct {
    const char *xml;
    const char *needle;
  } cases[] = {
    { "<interface type='ethernet' name='e'><bogus/></interface>", "<bogus>" },
    { "<interface type='ethernet' name='e' extra='x'/>", "'extra'" },
    { "<interface type='wifi' name='e'/>", "unsupported interface type 'wifi'" },
    { "<interface name='e'/>", "missing attribute 'type'" },
    { "<interface type='ethernet'/>", "missing attribute 'name'" },
    { "<interface type='ethernet' name='e'><mtu size='1'/><mtu size='2'/></interface>", "only once" },
    { "<interface type='ethernet' name='e'>", "malformed XML" },
    { "<interface type='ethernet' name='a b'/>", "not a valid interface name" },
    { "<interface type='ethernet' name='a/b'/>", "not a valid interface name" },
    { "<interface type='ethernet' name='e'><start mode='sometimes'/></interface>", "'sometimes'" },
    { "<interface type='ethernet' name='e'><mac address='aa:bb:cc:dd:ee'/></interface>", "MAC" },
    { "<interface type='ethernet' name='e'><mtu size='-1'/></interface>", "size" },
    { "<interface type='ethernet' name='e'><protocol family='ipx'/></interface>", "'ipx'" },
    { "<interface type='ethernet' name='e'><protocol family='ipv4'/><protocol family='ipv4'/></interface>",
      "duplicate ipv4" },
    { "<interface type='ethernet' name='e'><protocol family='ipv4'><ip address='2001:db8::1'/></protocol></interface>",
      "IPv4" },
    { "<interface type='ethernet' name='e'><protocol family='ipv4'><ip address='10.0.0.1' prefix='33'/></protocol></interface>",
      "prefix 33" },
    { "<interface type='ethernet' name='e'><protocol family='ipv4'><autoconf/></protocol></interface>",
      "<autoconf>" },
    { "<interface type='ethernet' name='e'><protocol family='ipv6'><ip address='::1' prefix='129'/></protocol></interface>",
      "prefix 129" },
    { "<interface type='ethernet' name='e'><link state='sideways'/></interface>", "'sideways'" },
    { "<interface type='bridge' name='b'/>", "missing <bridge>" },
    { "<interface type='bridge' name='b'><link state='up'/><bridge/></interface>", "<link>" },
    { "<interface type='bridge' name='b'><bridge delay='-1'/></interface>", "delay" },
    { "<interface type='bridge' name='b'><bridge stp='yes'/></interface>", "'yes'" },
    { "<interface type='bridge' name='b'><bridge><interface type='bridge' name='c'><bridge/></interface></bridge></interface>",
      "cannot hold a 'bridge'" },
    { "<interface type='bridge' name='b'><bridge><interface type='ethernet' name='c'><mtu size='9000'/></interface></bridge></interface>",
      "<mtu>" },
    { "<interface type='bond' name='b'><bond/></interface>", "at least one" },
    { "<interface type='bond' name='b'><bond mode='fastest'><interface type='ethernet' name='e'/></bond></interface>",
      "'fastest'" },
    { "<interface type='bond' name='b'><bond><interface type='vlan'><vlan tag='1'><interface name='e'/></vlan></interface></bond></interface>",
      "cannot hold a 'vlan'" },
    { "<interface type='bond' name='b'><bond><miimon freq='1'/><arpmon interval='1' target='10.0.0.1'/><interface type='ethernet' name='e'/></bond></interface>",
      "mutually exclusive" },
    { "<interface type='bond' name='b'><bond><arpmon interval='1'/><interface type='ethernet' name='e'/></bond></interface>",
      "missing attribute 'target'" },
    { "<interface type='vlan' name='v'><vlan tag='4096'><interface name='e'/></vlan></interface>", "4096" },
    { "<interface type='vlan' name='v'><vlan tag='1'/></interface>", "missing <interface" },
    { "<interface type='vlan' name='v'/>", "missing <vlan>" },
    { "<interface type='vlan' name='v'><mac address='aa:bb:cc:dd:ee:ff'/><vlan tag='1'><interface name='e'/></vlan></interface>",
      "<mac>" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(VbInterfaceDef) def = vb_interface_def_parse (cases[i].xml, &error);
    g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].xml);
    g_assert_null (def);
    vb_test_assert_xml_error (error, cases[i].needle);
  }
  g_assert_null (vb_interface_def_parse ("<interface type='bond' name='b'><bond/></interface>", NULL));
}

static void
test_hostile (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) s = g_string_new ("<interface type='bridge' name='b'><bridge>");

  /* Deep nesting never recurses beyond the format's three levels. */
  for (int i = 0; i < 200; i++)
    g_string_append (s, "<interface type='bond' name='x'><bond>");
  for (int i = 0; i < 200; i++)
    g_string_append (s, "</bond></interface>");
  g_string_append (s, "</bridge></interface>");
  g_autoptr(VbInterfaceDef) def = vb_interface_def_parse (s->str, &error);
  g_assert_null (def);
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  g_clear_error (&error);

  /* Many members and addresses: fine. */
  g_string_assign (s, "<interface type='bridge' name='b'><protocol family='ipv4'>");
  for (int i = 0; i < 5000; i++)
    g_string_append_printf (s, "<ip address='10.%d.%d.1' prefix='24'/>", i / 256, i % 256);
  g_string_append (s, "</protocol><bridge>");
  for (int i = 0; i < 5000; i++)
    g_string_append_printf (s, "<interface type='ethernet' name='e%d'/>", i);
  g_string_append (s, "</bridge></interface>");
  def = vb_interface_def_parse (s->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (def->members->len, ==, 5000);
  g_assert_cmpuint (def->ipv4.ips->len, ==, 5000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/xml/interface/samples", test_samples);
  g_test_add_func ("/xml/interface/test-driver", test_test_driver);
  g_test_add_func ("/xml/interface/fields", test_fields);
  g_test_add_func ("/xml/interface/negative", test_negative);
  g_test_add_func ("/xml/interface/hostile", test_hostile);
  return g_test_run ();
}
