/* Tests for the <network> model (service/xml/vb-network-def.c). */
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "vb-error.h"
#include "vb-network-def.h"
#include "vb-xml.h"
#include "vb-test-util.h"

static char *
data_path (const char *file)
{
  const char *dir = g_getenv ("VB_TEST_DATA");
  return g_build_filename (dir ? dir : "tests/data", "xml", "network", file, NULL);
}

static char *
load_sample (const char *file)
{
  g_autofree char *path = data_path (file);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static VbNetworkDef *
parse_sample (const char *file)
{
  g_autofree char *xml = load_sample (file);
  g_autoptr(GError) error = NULL;
  VbNetworkDef *def = vb_network_def_parse (xml, &error);
  g_assert_no_error (error);
  g_assert_nonnull (def);
  return def;
}

/* Validates @xml against the libvirt schema; skips (naming the package that
 * ships the schemas) only when the schema is not installed. */
static void
assert_schema_valid (const char *xml)
{
  vb_test_schema_validate (xml, "network.rng");
}

/* The schema shipped with libvirt 9.0 predates <title> and <description>
 * on networks (added in 9.7): validate the rest of the document. */
static void
assert_def_schema_valid (const VbNetworkDef *def, guint flags)
{
  g_autoptr(VbNetworkDef) copy = vb_network_def_copy (def);
  g_clear_pointer (&copy->title, g_free);
  g_clear_pointer (&copy->description, g_free);
  g_autofree char *xml = vb_network_def_format (copy, flags);
  assert_schema_valid (xml);
}

static void
check_round_trip_def (const VbNetworkDef *def)
{
  g_autoptr(GError) error = NULL;
  const guint flag_sets[] = { 0, VB_NETWORK_XML_INACTIVE };

  for (gsize f = 0; f < G_N_ELEMENTS (flag_sets); f++) {
    g_autofree char *out1 = vb_network_def_format (def, flag_sets[f]);
    g_autoptr(VbNetworkDef) def2 = vb_network_def_parse (out1, &error);
    if (error != NULL)
      g_test_message ("re-parsing failed:\n%s", out1);
    g_assert_no_error (error);
    g_autofree char *out2 = vb_network_def_format (def2, flag_sets[f]);
    g_assert_cmpstr (out1, ==, out2);

    g_autoptr(VbNetworkDef) copy = vb_network_def_copy (def);
    g_autofree char *out3 = vb_network_def_format (copy, flag_sets[f]);
    g_assert_cmpstr (out1, ==, out3);

    assert_def_schema_valid (def, flag_sets[f]);
  }
}

static void
test_samples (void)
{
  g_autofree char *dir = data_path ("");
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = g_dir_open (dir, 0, &error);
  const char *name;
  guint count = 0;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (d)) != NULL) {
    if (!g_str_has_suffix (name, ".xml"))
      continue;
    g_test_message ("sample %s", name);
    g_autoptr(VbNetworkDef) def = parse_sample (name);
    check_round_trip_def (def);
    count++;
  }
  g_assert_cmpuint (count, >=, 10);
}

/* What `virsh -c test:///default net-dumpxml default` prints. */
static void
test_default (void)
{
  g_autoptr(VbNetworkDef) def = parse_sample ("default.xml");
  const VbNetworkIp *ip;
  const VbNetworkDhcpRange *range;

  g_assert_cmpstr (def->name, ==, "default");
  g_assert_cmpstr (def->uuid, ==, "dd8fe884-6c02-601e-7551-cca97df1c5df");
  g_assert_cmpint (def->forward.mode, ==, VB_NETWORK_FORWARD_NAT);
  g_assert_false (def->forward.has_nat);
  g_assert_nonnull (def->bridge);
  g_assert_cmpstr (def->bridge->name, ==, "virbr0");
  g_assert_cmpint (def->bridge->stp, ==, VB_NETWORK_TRISTATE_YES);
  g_assert_true (def->bridge->has_delay);
  g_assert_cmpuint (def->bridge->delay, ==, 0);
  g_assert_cmpuint (def->ips->len, ==, 1);
  ip = g_ptr_array_index (def->ips, 0);
  g_assert_cmpstr (ip->address, ==, "192.168.122.1");
  g_assert_cmpstr (ip->netmask, ==, "255.255.255.0");
  g_assert_cmpint (ip->prefix, ==, -1);
  g_assert_cmpuint (vb_network_ip_prefix (ip), ==, 24);
  g_assert_false (vb_network_ip_is_ipv6 (ip));
  g_assert_cmpuint (ip->dhcp_ranges->len, ==, 1);
  range = g_ptr_array_index (ip->dhcp_ranges, 0);
  g_assert_cmpstr (range->start, ==, "192.168.122.2");
  g_assert_cmpstr (range->end, ==, "192.168.122.254");
  g_assert_false (range->has_lease);

  /* The document is already in canonical form: it comes back unchanged. */
  g_autofree char *xml = load_sample ("default.xml");
  g_autofree char *out = vb_network_def_format (def, 0);
  g_assert_cmpstr (out, ==, xml);
}

static void
test_nat_full (void)
{
  g_autoptr(VbNetworkDef) def = parse_sample ("nat-full.xml");
  const VbNetworkIp *ip4, *ip6;
  const VbNetworkDhcpHost *host;
  const VbNetworkDhcpRange *range;
  const VbNetworkRoute *route;
  const VbNetworkDnsSrv *srv;
  const VbNetworkDnsHost *dhost;
  const VbNetworkDnsForwarder *fw;

  g_assert_cmpstr (def->name, ==, "lab-nat");
  /* UUIDs are normalised to lowercase. */
  g_assert_cmpstr (def->uuid, ==, "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7");
  g_assert_cmpint (def->ipv6, ==, VB_NETWORK_TRISTATE_YES);
  g_assert_cmpint (def->trust_guest_rx_filters, ==, VB_NETWORK_TRISTATE_NO);
  g_assert_nonnull (def->metadata);
  g_assert_nonnull (strstr (def->metadata, "<lab:team id=\"7\">infra</lab:team>"));
  g_assert_nonnull (strstr (def->metadata, "xmlns:other=\"http://example.org/other\""));

  g_assert_cmpint (def->forward.mode, ==, VB_NETWORK_FORWARD_NAT);
  g_assert_cmpstr (def->forward.dev, ==, "eth0");
  g_assert_true (def->forward.has_nat);
  g_assert_cmpint (def->forward.nat_ipv6, ==, VB_NETWORK_TRISTATE_YES);
  g_assert_cmpstr (def->forward.nat_address_start, ==, "203.0.113.10");
  g_assert_cmpstr (def->forward.nat_address_end, ==, "203.0.113.20");
  g_assert_cmpuint (def->forward.nat_port_start, ==, 1024);
  g_assert_cmpuint (def->forward.nat_port_end, ==, 65000);
  g_assert_cmpuint (def->forward.interfaces->len, ==, 1);

  g_assert_cmpstr (def->bridge->name, ==, "virbr10");
  g_assert_cmpstr (def->bridge->zone, ==, "trusted");
  g_assert_cmpint (def->bridge->stp, ==, VB_NETWORK_TRISTATE_NO);
  g_assert_cmpuint (def->bridge->delay, ==, 2);
  g_assert_cmpint (def->bridge->mac_table_manager, ==, VB_NETWORK_MAC_TABLE_MANAGER_KERNEL);
  g_assert_cmpuint (def->mtu, ==, 9000);
  g_assert_cmpstr (def->mac, ==, "52:54:00:ab:cd:ef");
  g_assert_cmpstr (def->domain_name, ==, "lab.example");
  g_assert_cmpint (def->domain_local_only, ==, VB_NETWORK_TRISTATE_YES);
  g_assert_cmpint (def->port_isolated, ==, VB_NETWORK_TRISTATE_YES);

  g_assert_nonnull (def->dns);
  g_assert_cmpint (def->dns->enable, ==, VB_NETWORK_TRISTATE_YES);
  g_assert_cmpint (def->dns->forward_plain_names, ==, VB_NETWORK_TRISTATE_NO);
  g_assert_cmpuint (def->dns->forwarders->len, ==, 3);
  fw = g_ptr_array_index (def->dns->forwarders, 1);
  g_assert_cmpstr (fw->addr, ==, "2001:db8::53");
  g_assert_cmpstr (fw->domain, ==, "corp.example");
  fw = g_ptr_array_index (def->dns->forwarders, 2);
  g_assert_null (fw->addr);
  g_assert_cmpuint (def->dns->txts->len, ==, 1);
  g_assert_cmpstr (((VbNetworkDnsTxt *) g_ptr_array_index (def->dns->txts, 0))->value, ==,
                   "lab network, ask infra");
  g_assert_cmpuint (def->dns->srvs->len, ==, 2);
  srv = g_ptr_array_index (def->dns->srvs, 0);
  g_assert_cmpstr (srv->service, ==, "ldap");
  g_assert_cmpstr (srv->protocol, ==, "tcp");
  g_assert_cmpstr (srv->target, ==, "dir.lab.example");
  g_assert_cmpint (srv->port, ==, 389);
  g_assert_cmpint (srv->priority, ==, 10);
  g_assert_cmpint (srv->weight, ==, 20);
  srv = g_ptr_array_index (def->dns->srvs, 1);
  g_assert_cmpint (srv->port, ==, -1);
  g_assert_null (srv->domain);
  g_assert_cmpuint (def->dns->hosts->len, ==, 2);
  dhost = g_ptr_array_index (def->dns->hosts, 0);
  g_assert_cmpuint (dhost->hostnames->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (dhost->hostnames, 1), ==, "build.lab.example");
  dhost = g_ptr_array_index (def->dns->hosts, 1);
  /* IPv6 addresses are stored canonically. */
  g_assert_cmpstr (dhost->ip, ==, "2001:db8:ca2:2::2");

  g_assert_nonnull (def->bandwidth);
  g_assert_true (def->bandwidth->has_inbound);
  g_assert_cmpuint (def->bandwidth->inbound.average, ==, 1000);
  g_assert_cmpuint (def->bandwidth->inbound.peak, ==, 5000);
  g_assert_cmpuint (def->bandwidth->inbound.burst, ==, 1024);
  g_assert_cmpuint (def->bandwidth->outbound.average, ==, 2000);
  g_assert_cmpuint (def->bandwidth->outbound.peak, ==, 0);

  g_assert_cmpuint (def->ips->len, ==, 2);
  ip4 = g_ptr_array_index (def->ips, 0);
  g_assert_cmpint (ip4->local_ptr, ==, VB_NETWORK_TRISTATE_YES);
  g_assert_cmpstr (ip4->tftp_root, ==, "/srv/tftp");
  g_assert_cmpstr (ip4->bootp_file, ==, "pxelinux.0");
  g_assert_cmpstr (ip4->bootp_server, ==, "192.168.100.254");
  g_assert_cmpuint (ip4->dhcp_ranges->len, ==, 2);
  range = g_ptr_array_index (ip4->dhcp_ranges, 0);
  g_assert_true (range->has_lease);
  g_assert_cmpuint (range->lease_expiry, ==, 2);
  g_assert_cmpint (range->lease_unit, ==, VB_NETWORK_LEASE_UNIT_HOURS);
  g_assert_cmpuint (ip4->dhcp_hosts->len, ==, 3);
  host = g_ptr_array_index (ip4->dhcp_hosts, 0);
  g_assert_cmpstr (host->mac, ==, "52:54:00:00:00:01");
  g_assert_cmpstr (host->name, ==, "build");
  g_assert_cmpstr (host->ip, ==, "192.168.100.2");
  g_assert_true (host->has_lease);
  g_assert_cmpuint (host->lease_expiry, ==, 0);
  g_assert_cmpint (host->lease_unit, ==, VB_NETWORK_LEASE_UNIT_DEFAULT);
  host = g_ptr_array_index (ip4->dhcp_hosts, 2);
  g_assert_null (host->mac);
  g_assert_cmpstr (host->name, ==, "printer");

  ip6 = g_ptr_array_index (def->ips, 1);
  g_assert_cmpint (ip6->family, ==, VB_NETWORK_IP_FAMILY_IPV6);
  g_assert_true (vb_network_ip_is_ipv6 (ip6));
  g_assert_cmpint (ip6->prefix, ==, 64);
  g_assert_null (ip6->netmask);
  host = g_ptr_array_index (ip6->dhcp_hosts, 0);
  g_assert_cmpstr (host->id, ==, "0:3:0:1:0:16:3e:11:22:33");
  range = g_ptr_array_index (ip6->dhcp_ranges, 0);
  g_assert_cmpint (range->lease_unit, ==, VB_NETWORK_LEASE_UNIT_SECONDS);

  g_assert_cmpuint (def->routes->len, ==, 3);
  route = g_ptr_array_index (def->routes, 1);
  g_assert_cmpint (route->family, ==, VB_NETWORK_IP_FAMILY_IPV6);
  g_assert_cmpstr (route->address, ==, "2001:db8:ca2:3::");
  g_assert_cmpint (route->prefix, ==, 64);
  g_assert_true (route->has_metric);
  g_assert_cmpuint (route->metric, ==, 2);
  route = g_ptr_array_index (def->routes, 2);
  g_assert_cmpstr (route->netmask, ==, "255.255.0.0");
  g_assert_false (route->has_metric);
}

static void
test_bridge_portgroups (void)
{
  g_autoptr(VbNetworkDef) def = parse_sample ("bridge-portgroups.xml");
  const VbNetworkPortGroup *pg;
  const VbNetworkVlanTag *tag;

  g_assert_cmpint (def->forward.mode, ==, VB_NETWORK_FORWARD_BRIDGE);
  g_assert_nonnull (def->virtualport);
  g_assert_cmpint (def->virtualport->type, ==, VB_NETWORK_VIRTUALPORT_OPENVSWITCH);
  g_assert_cmpstr (def->virtualport->profile_id, ==, "default-profile");
  g_assert_nonnull (def->vlan);
  g_assert_true (def->vlan->trunk);
  g_assert_cmpuint (def->vlan->tags->len, ==, 2);
  tag = &g_array_index (def->vlan->tags, VbNetworkVlanTag, 0);
  g_assert_cmpuint (tag->id, ==, 42);
  g_assert_cmpint (tag->native_mode, ==, VB_NETWORK_VLAN_NATIVE_UNTAGGED);

  g_assert_cmpuint (def->portgroups->len, ==, 3);
  pg = g_ptr_array_index (def->portgroups, 0);
  g_assert_cmpstr (pg->name, ==, "engineering");
  g_assert_true (pg->is_default);
  g_assert_cmpstr (pg->virtualport->interface_id, ==, "09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f");
  g_assert_false (pg->vlan->trunk);
  g_assert_cmpuint (pg->bandwidth->inbound.burst, ==, 512);
  g_assert_false (pg->bandwidth->has_outbound);
  pg = g_ptr_array_index (def->portgroups, 1);
  g_assert_false (pg->is_default);
  g_assert_cmpint (pg->trust_guest_rx_filters, ==, VB_NETWORK_TRISTATE_YES);
  g_assert_cmpuint (pg->vlan->tags->len, ==, 2);
  pg = g_ptr_array_index (def->portgroups, 2);
  g_assert_null (pg->vlan);
  g_assert_null (pg->bandwidth);
  g_assert_null (pg->virtualport);
}

static void
test_hostdev_and_friends (void)
{
  g_autoptr(VbNetworkDef) hostdev = parse_sample ("hostdev.xml");
  g_autoptr(VbNetworkDef) pass = parse_sample ("passthrough.xml");
  g_autoptr(VbNetworkDef) vepa = parse_sample ("vepa.xml");
  g_autoptr(VbNetworkDef) iso = parse_sample ("isolated-ipv6.xml");
  const VbNetworkForwardAddress *addr;

  g_assert_cmpint (hostdev->forward.mode, ==, VB_NETWORK_FORWARD_HOSTDEV);
  g_assert_cmpint (hostdev->forward.managed, ==, VB_NETWORK_TRISTATE_YES);
  g_assert_cmpint (hostdev->forward.driver, ==, VB_NETWORK_FORWARD_DRIVER_VFIO);
  g_assert_cmpuint (hostdev->forward.addresses->len, ==, 2);
  addr = g_ptr_array_index (hostdev->forward.addresses, 1);
  g_assert_cmpuint (addr->bus, ==, 3);
  g_assert_cmpuint (addr->slot, ==, 16);
  g_assert_cmpuint (addr->function, ==, 3);
  g_autofree char *out = vb_network_def_format (hostdev, 0);
  g_assert_nonnull (strstr (out, "<address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x3'/>"));

  g_assert_cmpint (pass->forward.mode, ==, VB_NETWORK_FORWARD_PASSTHROUGH);
  g_assert_cmpstr (pass->forward.pf_dev, ==, "enp3s0f0");
  g_assert_cmpint (pass->virtualport->type, ==, VB_NETWORK_VIRTUALPORT_8021QBH);

  g_assert_cmpint (vepa->forward.mode, ==, VB_NETWORK_FORWARD_VEPA);
  g_assert_cmpuint (vepa->forward.interfaces->len, ==, 3);
  g_assert_cmpint (vepa->virtualport->manager_id, ==, 11);
  g_assert_cmpint (vepa->virtualport->type_id, ==, 1193047);
  g_assert_cmpint (vepa->virtualport->type_id_version, ==, 2);
  /* No <uuid>: one is generated. */
  g_assert_true (g_uuid_string_is_valid (vepa->uuid));

  g_assert_cmpint (iso->forward.mode, ==, VB_NETWORK_FORWARD_NONE);
  g_assert_cmpint (iso->dns->enable, ==, VB_NETWORK_TRISTATE_NO);
  g_assert_cmpuint (vb_network_ip_prefix (g_ptr_array_index (iso->ips, 0)), ==, 64);
  g_assert_true (((VbNetworkIp *) g_ptr_array_index (iso->ips, 0))->has_dhcp);
  g_autofree char *iso_out = vb_network_def_format (iso, 0);
  g_assert_null (strstr (iso_out, "<forward"));
  g_assert_nonnull (strstr (iso_out, "<dhcp/>"));
}

static void
test_live_and_inactive (void)
{
  g_autoptr(VbNetworkDef) def = parse_sample ("live.xml");

  g_assert_cmpuint (def->connections, ==, 3);
  g_assert_cmpstr (def->title, ==, "Live bridge");
  g_assert_cmpstr (def->description, ==, "Shared by the build farm.\nSecond line.");
  g_assert_cmpint (def->forward.mode, ==, VB_NETWORK_FORWARD_PRIVATE);
  g_assert_cmpuint (((VbNetworkForwardInterface *) g_ptr_array_index (def->forward.interfaces, 0))->connections,
                    ==, 2);

  g_autofree char *live = vb_network_def_format (def, 0);
  g_assert_nonnull (strstr (live, "<network connections='3'>"));
  g_assert_nonnull (strstr (live, "<interface dev='eth2' connections='2'/>"));
  g_assert_nonnull (strstr (live, "<interface dev='eth4'/>"));
  g_assert_nonnull (strstr (live, "<title>Live bridge</title>"));

  g_autofree char *inactive = vb_network_def_format (def, VB_NETWORK_XML_INACTIVE);
  g_assert_null (strstr (inactive, "connections"));
  g_assert_nonnull (strstr (inactive, "<network>"));
}

static void
test_metadata_namespaces (void)
{
  /* The prefix is declared on the root, not on the metadata child: the
   * kept text must declare it itself to stand alone. */
  const char *xml =
    "<network xmlns:app='urn:example:app'>"
    "<name>m</name><uuid>11111111-2222-4333-8444-555555555555</uuid>"
    "<metadata><app:cfg app:level='3'><app:x/></app:cfg></metadata>"
    "</network>";
  g_autoptr(GError) error = NULL;
  g_autoptr(VbNetworkDef) def = vb_network_def_parse (xml, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (def->metadata, "xmlns:app=\"urn:example:app\""));
  check_round_trip_def (def);

  g_autoptr(VbNetworkDef) empty = vb_network_def_parse ("<network><name>e</name><metadata/></network>", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (empty->metadata, ==, "");
  g_autofree char *out = vb_network_def_format (empty, 0);
  g_assert_nonnull (strstr (out, "<metadata/>"));
}

static void
test_invalid (void)
{
  static const struct {
    const char *xml;
    const char *message;
  } cases[] = {
    /* malformed, wrong root, missing required element */
    { "<network><name>x</name>", "malformed" },
    { "<domain/>", "expected root element <network>" },
    { "<network/>", "missing element <name>" },
    { "<network><name></name></network>", "must not be empty" },
    { "<network><name>a/b</name></network>", "'/'" },
    /* unsupported element / attribute */
    { "<network><name>x</name><teleport/></network>", "unsupported element <teleport>" },
    { "<network color='red'><name>x</name></network>", "unsupported attribute 'color'" },
    { "<network><name>x</name><bridge name='br0' speed='10'/></network>", "unsupported attribute 'speed'" },
    { "<network><name>x</name><bandwidth classID='3'><inbound average='1'/></bandwidth></network>", "'classID'" },
    { "<network><name>x</name><bandwidth><inbound average='1' floor='1'/></bandwidth></network>", "'floor'" },
    { "<network><name>x</name><portgroup name='p'><bandwidth><outbound peak='3'/></bandwidth></portgroup></network>",
      "'average' is required" },
    { "<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'><name>x</name>"
      "<dnsmasq:options><dnsmasq:option value='x'/></dnsmasq:options></network>", "namespaced" },
    { "<network><name>x</name><forward mode='bridge'><address type='pci' multifunction='on'/></forward></network>",
      "'multifunction'" },
    /* bad enum values */
    { "<network><name>x</name><forward mode='tunnel'/></network>", "'tunnel'" },
    { "<network><name>x</name><bridge stp='yes'/></network>", "'yes'" },
    { "<network ipv6='on'><name>x</name></network>", "'on'" },
    { "<network><name>x</name><ip address='10.0.0.1' family='ipx'/></network>", "'ipx'" },
    { "<network><name>x</name><dns><srv service='a' protocol='icmp'/></dns></network>", "'icmp'" },
    { "<network><name>x</name><virtualport type='vxlan'/></network>", "'vxlan'" },
    /* duplicated singleton elements */
    { "<network><name>x</name><name>y</name></network>", "may appear only once" },
    { "<network><name>x</name><bridge name='a'/><bridge name='b'/></network>", "may appear only once" },
    { "<network><name>x</name><ip address='10.0.0.1'><dhcp/><dhcp/></ip></network>", "may appear only once" },
    /* addresses, masks, MACs */
    { "<network><name>x</name><ip address='10.0.0.300'/></network>", "not an IP address" },
    { "<network><name>x</name><ip address='fe80::1%eth0'/></network>", "not an IP address" },
    { "<network><name>x</name><ip address='10.0.0.1' netmask='255.0.255.0'/></network>", "netmask" },
    { "<network><name>x</name><ip address='10.0.0.1' prefix='33'/></network>", "out of range" },
    { "<network><name>x</name><ip address='10.0.0.1' prefix='8' netmask='255.0.0.0'/></network>",
      "mutually exclusive" },
    { "<network><name>x</name><ip address='fd00::1' netmask='255.0.0.0'/></network>", "IPv6" },
    { "<network><name>x</name><ip family='ipv4' address='fd00::1'/></network>", "does not match family" },
    { "<network><name>x</name><mac address='53:54:00:00:00:01'/></network>", "unicast" },
    { "<network><name>x</name><mac address='52:54:00:00:00'/></network>", "unicast" },
    { "<network><name>x</name><forward><nat><address start='10.0.0.9' end='10.0.0.1'/></nat></forward></network>",
      "after end" },
    { "<network><name>x</name><forward mode='route'><nat/></forward></network>", "mode='nat'" },
    { "<network><name>x</name><forward><nat><port start='0' end='10'/></nat></forward></network>", "out of range" },
    { "<network><name>x</name><mtu size='70000'/></network>", "out of range" },
    { "<network><name>x</name><mtu/></network>", "missing attribute 'size'" },
    { "<network><name>x</name><bridge delay='-1'/></network>", "non-negative" },
    { "<network><name>x</name><bridge delay='99999999999999999999999'/></network>", "non-negative" },
    { "<network><name>x</name><domain name='bad name'/></network>", "DNS" },
    /* DHCP */
    { "<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp>"
      "<range start='10.0.1.2' end='10.0.1.9'/></dhcp></ip></network>", "not within" },
    { "<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp>"
      "<range start='10.0.0.9' end='10.0.0.2'/></dhcp></ip></network>", "after its end" },
    { "<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp>"
      "<range start='10.0.0.0' end='10.0.0.9'/></dhcp></ip></network>", "network address" },
    { "<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp>"
      "<range start='10.0.0.2' end='10.0.0.255'/></dhcp></ip></network>", "broadcast" },
    { "<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp>"
      "<range start='fd00::2' end='fd00::9'/></dhcp></ip></network>", "address family" },
    { "<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp>"
      "<host mac='52:54:00:00:00:01' ip='10.0.0.5'/><host mac='52:54:00:00:00:01' ip='10.0.0.6'/>"
      "</dhcp></ip></network>", "more than one DHCP host has mac" },
    { "<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp>"
      "<host mac='52:54:00:00:00:01' ip='10.0.0.5'/><host name='b' ip='10.0.0.5'/>"
      "</dhcp></ip></network>", "more than one DHCP host has ip" },
    { "<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp>"
      "<host mac='52:54:00:00:00:01' id='0:4:1:2:3:4:5:6:7:8:9:a:b:c:d:e:f:10' ip='10.0.0.5'/>"
      "</dhcp></ip></network>", "not both" },
    { "<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp><host ip='10.0.0.5'/>"
      "</dhcp></ip></network>", "needs 'mac', 'id' or 'name'" },
    { "<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp><host name='a'/>"
      "</dhcp></ip></network>", "missing attribute 'ip'" },
    { "<network><name>x</name><ip address='fd00::1' prefix='64'><dhcp>"
      "<host mac='52:54:00:00:00:01' ip='fd00::5'/></dhcp></ip></network>", "not 'mac'" },
    { "<network><name>x</name><ip address='fd00::1' prefix='64'><dhcp>"
      "<host id='0:9:1:2' ip='fd00::5'/></dhcp></ip></network>", "DUID" },
    { "<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp>"
      "<range start='10.0.0.2' end='10.0.0.3'><lease unit='days' expiry='1'/></range></dhcp></ip></network>",
      "'days'" },
    { "<network><name>x</name>"
      "<ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' end='10.0.0.3'/></dhcp></ip>"
      "<ip address='10.1.0.1' prefix='24'><dhcp><range start='10.1.0.2' end='10.1.0.3'/></dhcp></ip>"
      "</network>", "only one IPv4" },
    { "<network><name>x</name><ip address='fd00::1' prefix='64'><tftp root='/srv'/></ip></network>", "IPv4" },
    /* DNS */
    { "<network><name>x</name><dns><forwarder/></dns></network>", "'addr' or 'domain'" },
    { "<network><name>x</name><dns><host ip='10.0.0.1'/></dns></network>", "<hostname>" },
    { "<network><name>x</name><dns enable='no'><txt name='a' value='b'/></dns></network>", "enable='no'" },
    { "<network><name>x</name><dns><txt name='a b' value='c'/></dns></network>", "DNS name" },
    { "<network><name>x</name><dns><srv service='a' protocol='tcp' port='65536'/></dns></network>",
      "out of range" },
    /* routes, portgroups, vlan, bandwidth, virtualport */
    { "<network><name>x</name><route address='10.0.0.1' prefix='24' gateway='10.1.0.1'/></network>", "host bits" },
    { "<network><name>x</name><route address='10.0.0.0' prefix='24' gateway='fd00::1'/></network>",
      "address family" },
    { "<network><name>x</name><route address='10.0.0.0' prefix='24'/></network>", "missing attribute 'gateway'" },
    { "<network><name>x</name><portgroup name='a' default='yes'/><portgroup name='b' default='yes'/></network>",
      "only one may be" },
    { "<network><name>x</name><portgroup name='a'/><portgroup name='a'/></network>", "more than one <portgroup>" },
    { "<network><name>x</name><vlan/></network>", "<tag>" },
    { "<network><name>x</name><vlan><tag id='4096'/></vlan></network>", "out of range" },
    { "<network><name>x</name><vlan trunk='no'><tag id='1'/><tag id='2'/></vlan></network>", "trunk='no'" },
    { "<network><name>x</name><portgroup name='p'><bandwidth><inbound floor='10' average='1'/></bandwidth>"
      "</portgroup></network>", "'floor' is only allowed" },
    { "<network><name>x</name><bandwidth><inbound peak='10'/></bandwidth></network>", "'average' is required" },
    { "<network><name>x</name><bandwidth><inbound average='0'/></bandwidth></network>", "out of range" },
    { "<network><name>x</name><virtualport type='802.1Qbh'><parameters managerid='1'/></virtualport></network>",
      "unsupported attribute 'managerid'" },
    { "<network><name>x</name><virtualport type='midonet'/></network>", "interfaceid" },
    { "<network><name>x</name><virtualport type='802.1Qbg'><parameters managerid='256'/></virtualport></network>",
      "out of range" },
    /* forward */
    { "<network><name>x</name><forward mode='bridge'><interface dev='a'/><interface dev='a'/></forward></network>",
      "more than once" },
    { "<network><name>x</name><forward dev='a'><interface dev='b'/></forward></network>", "must match" },
    { "<network><name>x</name><forward mode='hostdev'><interface dev='a'/><address type='pci'/></forward></network>",
      "cannot be mixed" },
    { "<network><name>x</name><forward mode='hostdev'><address type='usb'/></forward></network>", "'usb'" },
    { "<network><name>x</name><forward mode='hostdev'><address type='pci' slot='0x20'/></forward></network>",
      "out of range" },
    /* text */
    { "<network><name>x</name><title>a&#10;b</title></network>", "control characters" },
    { "<network><name>x</name><metadata>loose text</metadata></network>", "text is not allowed" },
    { "<network><name>x</name><dns><txt name='a' value='x&#10;y'/></dns></network>", "text value" },
    { "<network>stray<name>x</name></network>", "unexpected text" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(VbNetworkDef) def = vb_network_def_parse (cases[i].xml, &error);
    g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].xml);
    if (def != NULL)
      g_error ("case %" G_GSIZE_FORMAT " parsed but should not have", i);
    g_assert_error (error, VB_ERROR, VB_ERROR_XML);
    if (strstr (error->message, cases[i].message) == NULL)
      g_error ("case %" G_GSIZE_FORMAT ": '%s' does not mention '%s'", i, error->message, cases[i].message);
  }
}

static void
test_hostile_counts (void)
{
  /* Many DHCP hosts: duplicate detection must not be quadratic. */
  g_autoptr(GString) s = g_string_new ("<network><name>big</name><ip address='10.0.0.1' prefix='8'><dhcp>");
  g_autoptr(GError) error = NULL;
  const guint n = 60000;

  for (guint i = 2; i < n; i++)
    g_string_append_printf (s, "<host mac='52:54:00:%02x:%02x:%02x' ip='10.%u.%u.%u'/>",
                            (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
  g_autofree char *ok_xml = g_strdup_printf ("%s</dhcp></ip></network>", s->str);
  g_autoptr(VbNetworkDef) def = vb_network_def_parse (ok_xml, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (((VbNetworkIp *) g_ptr_array_index (def->ips, 0))->dhcp_hosts->len, ==, n - 2);

  /* The same list plus one host reusing an address. */
  g_string_append (s, "<host mac='52:54:00:ff:ff:ff' ip='10.0.1.0'/></dhcp></ip></network>");
  g_autoptr(VbNetworkDef) dup = vb_network_def_parse (s->str, &error);
  g_assert_null (dup);
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  g_assert_nonnull (strstr (error->message, "more than one DHCP host has ip='10.0.1.0'"));
}

/* ---- virNetworkUpdate ---- */

/* An update replaces the definition's contents: fetch sub-structures anew
 * after each one. */
#define IP_AT(def, i) ((VbNetworkIp *) g_ptr_array_index ((def)->ips, (i)))

static VbNetworkDef *
update_base (void)
{
  return parse_sample ("nat-full.xml");
}

static void
update_ok (VbNetworkDef *def, VbNetworkUpdateCommand command, VbNetworkUpdateSection section,
           int parent_index, const char *xml)
{
  g_autoptr(GError) error = NULL;
  g_test_message ("update %d/%d: %s", command, section, xml);
  g_assert_true (vb_network_def_update_section (def, command, section, parent_index, xml, &error));
  g_assert_no_error (error);
  check_round_trip_def (def);
}

static void
update_fails (VbNetworkDef *def, VbNetworkUpdateCommand command, VbNetworkUpdateSection section,
              int parent_index, const char *xml, int code, const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *before = vb_network_def_format (def, 0);

  g_test_message ("update %d/%d (should fail): %s", command, section, xml ? xml : "(null)");
  g_assert_false (vb_network_def_update_section (def, command, section, parent_index, xml, &error));
  g_assert_error (error, VB_ERROR, code);
  if (strstr (error->message, message) == NULL)
    g_error ("'%s' does not mention '%s'", error->message, message);
  /* A failed update leaves the definition as it was. */
  g_autofree char *after = vb_network_def_format (def, 0);
  g_assert_cmpstr (before, ==, after);
}

static void
test_update_dhcp_host (void)
{
  g_autoptr(VbNetworkDef) def = update_base ();
  VbNetworkDhcpHost *host;

  update_ok (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_IP_DHCP_HOST, -1,
             "<host mac='52:54:00:00:00:09' name='new' ip='192.168.100.9'/>");
  g_assert_cmpuint (IP_AT (def, 0)->dhcp_hosts->len, ==, 4);
  host = g_ptr_array_index (IP_AT (def, 0)->dhcp_hosts, 3);
  g_assert_cmpstr (host->name, ==, "new");

  update_ok (def, VB_NETWORK_UPDATE_COMMAND_ADD_FIRST, VB_NETWORK_SECTION_IP_DHCP_HOST, 0,
             "<host mac='52:54:00:00:00:0A' ip='192.168.100.10'/>");
  host = g_ptr_array_index (IP_AT (def, 0)->dhcp_hosts, 0);
  g_assert_cmpstr (host->mac, ==, "52:54:00:00:00:0a");

  /* Modify finds the entry by MAC and replaces it in place. */
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_MODIFY, VB_NETWORK_SECTION_IP_DHCP_HOST, -1,
             "<host mac='52:54:00:00:00:09' name='renamed' ip='192.168.100.19'/>");
  host = g_ptr_array_index (IP_AT (def, 0)->dhcp_hosts, 4);
  g_assert_cmpstr (host->name, ==, "renamed");
  g_assert_cmpstr (host->ip, ==, "192.168.100.19");

  /* Delete by a partial entry (no ip). */
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_IP_DHCP_HOST, -1,
             "<host mac='52:54:00:00:00:09'/>");
  g_assert_cmpuint (IP_AT (def, 0)->dhcp_hosts->len, ==, 4);

  /* The IPv6 <ip> by index. */
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_IP_DHCP_HOST, 1,
             "<host id='0:4:1:2:3:4:5:6:7:8:9:a:b:c:d:e:f:10' ip='2001:db8:ca2:2::9'/>");
  g_assert_cmpuint (IP_AT (def, 1)->dhcp_hosts->len, ==, 3);

  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_IP_DHCP_HOST, -1,
                "<host mac='52:54:00:00:00:01' ip='192.168.100.50'/>", VB_ERROR_OPERATION_INVALID, "already has");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_IP_DHCP_HOST, -1,
                "<host mac='52:54:00:00:00:77' ip='192.168.100.2'/>", VB_ERROR_OPERATION_INVALID, "already has");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_MODIFY, VB_NETWORK_SECTION_IP_DHCP_HOST, -1,
                "<host mac='52:54:00:00:00:77' ip='192.168.100.77'/>", VB_ERROR_OPERATION_INVALID, "no DHCP host");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_IP_DHCP_HOST, -1,
                "<host mac='52:54:00:00:00:01' ip='192.168.100.3'/>", VB_ERROR_OPERATION_INVALID, "no matching");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_IP_DHCP_HOST, 7,
                "<host mac='52:54:00:00:00:77' ip='192.168.100.77'/>", VB_ERROR_OPERATION_INVALID, "index 7");
  /* Wrong family for the chosen <ip>: the whole-definition check refuses. */
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_IP_DHCP_HOST, 1,
                "<host mac='52:54:00:00:00:77' ip='192.168.100.77'/>", VB_ERROR_XML, "address family");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_IP_DHCP_HOST, -1,
                "<range start='192.168.100.2' end='192.168.100.3'/>", VB_ERROR_XML, "expected root element <host>");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_IP_DHCP_HOST, -1,
                "<host mac='52:54:00:00:00:77' ip='192.168.100.77' bogus='1'/>", VB_ERROR_XML, "'bogus'");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_IP_DHCP_HOST, -1,
                "<host mac='52:54:00:00:00:77'", VB_ERROR_XML, "malformed");

  /* A network without any <ip>. */
  g_autoptr(VbNetworkDef) bare = parse_sample ("vepa.xml");
  update_fails (bare, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_IP_DHCP_HOST, -1,
                "<host mac='52:54:00:00:00:77' ip='192.168.100.77'/>", VB_ERROR_OPERATION_INVALID, "no <ip>");
}

static void
test_update_dhcp_range (void)
{
  g_autoptr(VbNetworkDef) def = parse_sample ("default.xml");

  update_ok (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_IP_DHCP_RANGE, -1,
             "<range start='192.168.122.2' end='192.168.122.254'/>");
  g_assert_cmpuint (IP_AT (def, 0)->dhcp_ranges->len, ==, 0);
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_IP_DHCP_RANGE, -1,
             "<range start='192.168.122.100' end='192.168.122.199'><lease expiry='1' unit='hours'/></range>");
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_ADD_FIRST, VB_NETWORK_SECTION_IP_DHCP_RANGE, 0,
             "<range start='192.168.122.10' end='192.168.122.19'/>");
  g_assert_cmpuint (IP_AT (def, 0)->dhcp_ranges->len, ==, 2);
  g_assert_cmpstr (((VbNetworkDhcpRange *) g_ptr_array_index (IP_AT (def, 0)->dhcp_ranges, 0))->start, ==, "192.168.122.10");

  update_fails (def, VB_NETWORK_UPDATE_COMMAND_MODIFY, VB_NETWORK_SECTION_IP_DHCP_RANGE, -1,
                "<range start='192.168.122.10' end='192.168.122.19'/>", VB_ERROR_NOT_SUPPORTED, "cannot be modified");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_IP_DHCP_RANGE, -1,
                "<range start='192.168.122.10' end='192.168.122.19'/>", VB_ERROR_OPERATION_INVALID, "already has");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_IP_DHCP_RANGE, -1,
                "<range start='192.168.122.10' end='192.168.122.20'/>", VB_ERROR_OPERATION_INVALID, "no DHCP range");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_IP_DHCP_RANGE, -1,
                "<range start='192.168.123.10' end='192.168.123.20'/>", VB_ERROR_XML, "not within");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_IP_DHCP_RANGE, -1,
                "<range start='192.168.122.30' end='192.168.122.20'/>", VB_ERROR_XML, "after its end");
}

static void
test_update_forward_interface (void)
{
  g_autoptr(VbNetworkDef) def = parse_sample ("live.xml");

  update_ok (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_FORWARD_INTERFACE, -1,
             "<interface dev='eth9'/>");
  g_assert_cmpuint (def->forward.interfaces->len, ==, 4);
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_ADD_FIRST, VB_NETWORK_SECTION_FORWARD_INTERFACE, -1,
             "<interface dev='eth0' connections='99'/>");
  g_assert_cmpstr (((VbNetworkForwardInterface *) g_ptr_array_index (def->forward.interfaces, 0))->dev, ==, "eth0");
  /* Callers do not get to set connection counts. */
  g_assert_cmpuint (((VbNetworkForwardInterface *) g_ptr_array_index (def->forward.interfaces, 0))->connections, ==, 0);
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_FORWARD_INTERFACE, -1,
             "<interface dev='eth4'/>");
  g_assert_cmpuint (def->forward.interfaces->len, ==, 4);

  update_fails (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_FORWARD_INTERFACE, -1,
                "<interface dev='eth2'/>", VB_ERROR_OPERATION_INVALID, "in use");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_FORWARD_INTERFACE, -1,
                "<interface dev='eth77'/>", VB_ERROR_OPERATION_INVALID, "no forward interface");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_FORWARD_INTERFACE, -1,
                "<interface dev='eth9'/>", VB_ERROR_OPERATION_INVALID, "already has");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_MODIFY, VB_NETWORK_SECTION_FORWARD_INTERFACE, -1,
                "<interface dev='eth9'/>", VB_ERROR_NOT_SUPPORTED, "cannot be modified");

  g_autoptr(VbNetworkDef) iso = parse_sample ("isolated-ipv6.xml");
  update_fails (iso, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_FORWARD_INTERFACE, -1,
                "<interface dev='eth9'/>", VB_ERROR_OPERATION_INVALID, "no <forward>");
}

static void
test_update_portgroup (void)
{
  g_autoptr(VbNetworkDef) def = parse_sample ("bridge-portgroups.xml");

  update_ok (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_PORTGROUP, -1,
             "<portgroup name='qa'><vlan><tag id='300'/></vlan></portgroup>");
  g_assert_cmpuint (def->portgroups->len, ==, 4);
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_ADD_FIRST, VB_NETWORK_SECTION_PORTGROUP, -1,
             "<portgroup name='first'/>");
  g_assert_cmpstr (((VbNetworkPortGroup *) g_ptr_array_index (def->portgroups, 0))->name, ==, "first");
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_MODIFY, VB_NETWORK_SECTION_PORTGROUP, -1,
             "<portgroup name='qa'><bandwidth><outbound average='10'/></bandwidth></portgroup>");
  VbNetworkPortGroup *qa = g_ptr_array_index (def->portgroups, 4);
  g_assert_cmpstr (qa->name, ==, "qa");
  g_assert_null (qa->vlan);
  g_assert_cmpuint (qa->bandwidth->outbound.average, ==, 10);
  /* Moving the default: modify the old one first, then set the new one. */
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_MODIFY, VB_NETWORK_SECTION_PORTGROUP, -1,
             "<portgroup name='engineering'/>");
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_MODIFY, VB_NETWORK_SECTION_PORTGROUP, -1,
             "<portgroup name='qa' default='yes'/>");
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_PORTGROUP, -1,
             "<portgroup name='plain'/>");
  g_assert_cmpuint (def->portgroups->len, ==, 4);

  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_PORTGROUP, -1,
                "<portgroup name='sales'/>", VB_ERROR_OPERATION_INVALID, "already has");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_PORTGROUP, -1,
                "<portgroup name='x2' default='yes'/>", VB_ERROR_OPERATION_INVALID, "already the default");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_MODIFY, VB_NETWORK_SECTION_PORTGROUP, -1,
                "<portgroup name='nope'/>", VB_ERROR_OPERATION_INVALID, "no portgroup");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_PORTGROUP, -1,
                "<portgroup name='plain'/>", VB_ERROR_OPERATION_INVALID, "no portgroup");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_PORTGROUP, -1,
                "<portgroup name='v'><vlan><tag id='5000'/></vlan></portgroup>", VB_ERROR_XML, "out of range");
}

static void
test_update_dns (void)
{
  g_autoptr(VbNetworkDef) def = parse_sample ("default.xml");

  /* The first DNS record creates <dns>. */
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_DNS_HOST, -1,
             "<host ip='192.168.122.5'><hostname>five</hostname></host>");
  g_assert_nonnull (def->dns);
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_ADD_FIRST, VB_NETWORK_SECTION_DNS_HOST, -1,
             "<host ip='192.168.122.6'><hostname>six</hostname><hostname>sechs</hostname></host>");
  g_assert_cmpuint (def->dns->hosts->len, ==, 2);
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_DNS_HOST, -1,
                "<host ip='192.168.122.7'><hostname>SIX</hostname></host>", VB_ERROR_OPERATION_INVALID,
                "already has");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_MODIFY, VB_NETWORK_SECTION_DNS_HOST, -1,
                "<host ip='192.168.122.6'><hostname>x</hostname></host>", VB_ERROR_NOT_SUPPORTED,
                "cannot be modified");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_DNS_HOST, -1,
                "<host ip='192.168.122.5'><hostname>six</hostname></host>", VB_ERROR_OPERATION_INVALID,
                "more than one");
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_DNS_HOST, -1, "<host ip='192.168.122.5'/>");
  g_assert_cmpuint (def->dns->hosts->len, ==, 1);
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_DNS_HOST, -1,
                "<host ip='192.168.122.5'/>", VB_ERROR_OPERATION_INVALID, "no matching");

  update_ok (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_DNS_TXT, -1,
             "<txt name='example' value='some text'/>");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_DNS_TXT, -1,
                "<txt name='example' value='other'/>", VB_ERROR_OPERATION_INVALID, "already has");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_DNS_TXT, -1,
                "<txt name='example' value='other'/>", VB_ERROR_OPERATION_INVALID, "no matching");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_DNS_TXT, -1,
                "<txt name='novalue'/>", VB_ERROR_XML, "missing attribute 'value'");
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_DNS_TXT, -1, "<txt name='example'/>");
  g_assert_cmpuint (def->dns->txts->len, ==, 0);

  update_ok (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_DNS_SRV, -1,
             "<srv service='http' protocol='tcp' target='web' port='80'/>");
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_DNS_SRV, -1,
             "<srv service='http' protocol='tcp' target='web2' port='8080'/>");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_DNS_SRV, -1,
                "<srv service='http' protocol='tcp' port='80'/>", VB_ERROR_OPERATION_INVALID, "already has");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_DNS_SRV, -1,
                "<srv service='http' protocol='tcp'/>", VB_ERROR_OPERATION_INVALID, "more than one");
  update_ok (def, VB_NETWORK_UPDATE_COMMAND_DELETE, VB_NETWORK_SECTION_DNS_SRV, -1,
             "<srv service='http' protocol='tcp' port='8080'/>");
  g_assert_cmpuint (def->dns->srvs->len, ==, 1);
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_MODIFY, VB_NETWORK_SECTION_DNS_SRV, -1,
                "<srv service='http' protocol='tcp'/>", VB_ERROR_NOT_SUPPORTED, "cannot be modified");

  /* Records are refused while DNS is disabled. */
  g_autoptr(VbNetworkDef) iso = parse_sample ("isolated-ipv6.xml");
  update_fails (iso, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_DNS_TXT, -1,
                "<txt name='a' value='b'/>", VB_ERROR_XML, "enable='no'");
}

static void
test_update_unsupported (void)
{
  g_autoptr(VbNetworkDef) def = parse_sample ("default.xml");
  static const VbNetworkUpdateSection unsupported[] = {
    VB_NETWORK_SECTION_BRIDGE, VB_NETWORK_SECTION_DOMAIN, VB_NETWORK_SECTION_IP,
    VB_NETWORK_SECTION_FORWARD, VB_NETWORK_SECTION_FORWARD_PF,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (unsupported); i++)
    update_fails (def, VB_NETWORK_UPDATE_COMMAND_MODIFY, unsupported[i], -1, "<bridge name='x'/>",
                  VB_ERROR_NOT_SUPPORTED, "cannot be updated");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_NONE, VB_NETWORK_SECTION_DNS_TXT, -1, "<txt name='a' value='b'/>",
                VB_ERROR_INVALID_ARG, "command 0");
  update_fails (def, (VbNetworkUpdateCommand) 5, VB_NETWORK_SECTION_DNS_TXT, -1, "<txt name='a' value='b'/>",
                VB_ERROR_INVALID_ARG, "command 5");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_NONE, -1, "<txt name='a' value='b'/>",
                VB_ERROR_INVALID_ARG, "section 0");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, (VbNetworkUpdateSection) 13, -1,
                "<txt name='a' value='b'/>", VB_ERROR_INVALID_ARG, "section 13");
  update_fails (def, VB_NETWORK_UPDATE_COMMAND_ADD_LAST, VB_NETWORK_SECTION_DNS_TXT, -1, NULL,
                VB_ERROR_XML, "no XML");
}

static void
test_enum_strings (void)
{
  static const char *const modes[] = {
    "none", "nat", "route", "open", "bridge", "private", "vepa", "passthrough", "hostdev",
  };
  for (int i = 0; i < (int) G_N_ELEMENTS (modes); i++) {
    g_assert_cmpstr (vb_network_forward_mode_to_string (i), ==, modes[i]);
    g_assert_cmpint (vb_network_forward_mode_from_string (modes[i]), ==, i);
  }
  g_assert_null (vb_network_forward_mode_to_string (G_N_ELEMENTS (modes)));
  g_assert_cmpint (vb_network_forward_mode_from_string ("tunnel"), ==, -1);
  g_assert_cmpstr (vb_network_virtualport_type_to_string (VB_NETWORK_VIRTUALPORT_8021QBG), ==, "802.1Qbg");
  g_assert_cmpint (vb_network_virtualport_type_from_string ("midonet"), ==, VB_NETWORK_VIRTUALPORT_MIDONET);
  /* libvirt's wire values. */
  g_assert_cmpint (VB_NETWORK_UPDATE_COMMAND_ADD_FIRST, ==, 4);
  g_assert_cmpint (VB_NETWORK_SECTION_DNS_SRV, ==, 12);
  g_assert_cmpint (VB_NETWORK_XML_INACTIVE, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/xml/network/samples", test_samples);
  g_test_add_func ("/xml/network/default", test_default);
  g_test_add_func ("/xml/network/nat-full", test_nat_full);
  g_test_add_func ("/xml/network/bridge-portgroups", test_bridge_portgroups);
  g_test_add_func ("/xml/network/hostdev-and-friends", test_hostdev_and_friends);
  g_test_add_func ("/xml/network/live-and-inactive", test_live_and_inactive);
  g_test_add_func ("/xml/network/metadata-namespaces", test_metadata_namespaces);
  g_test_add_func ("/xml/network/invalid", test_invalid);
  g_test_add_func ("/xml/network/hostile-counts", test_hostile_counts);
  g_test_add_func ("/xml/network/update/dhcp-host", test_update_dhcp_host);
  g_test_add_func ("/xml/network/update/dhcp-range", test_update_dhcp_range);
  g_test_add_func ("/xml/network/update/forward-interface", test_update_forward_interface);
  g_test_add_func ("/xml/network/update/portgroup", test_update_portgroup);
  g_test_add_func ("/xml/network/update/dns", test_update_dns);
  g_test_add_func ("/xml/network/update/unsupported", test_update_unsupported);
  g_test_add_func ("/xml/network/enum-strings", test_enum_strings);
  return g_test_run ();
}
