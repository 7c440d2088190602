/* Tests for dnsmasq's files of a virtual network
 * (backends/network/vb-network-dnsmasq.c): the lines made from a
 * definition, hostile values refused rather than written, and the lease
 * file read back, garbage included. */
#include <glib/gstdio.h>
#include <string.h>

#include "vb-error.h"
#include "vb-network-dnsmasq.h"

static const VbDnsmasqPaths paths = {
  .pid_file = "/run/virtbus/network/n.pid",
  .lease_file = "/var/lib/virtbus/network/n.leases",
  .hosts_file = "/var/lib/virtbus/network/n.hostsfile",
  .addn_hosts_file = "/var/lib/virtbus/network/n.addnhosts",
};

static VbNetworkDef *
parse (const char *xml)
{
  g_autoptr(GError) error = NULL;
  VbNetworkDef *def = vb_network_def_parse (xml, &error);

  g_assert_no_error (error);
  g_assert_nonnull (def);
  return def;
}

/* A definition with a bridge (the daemon names it before starting). */
static VbNetworkDef *
parse_bridged (const char *body)
{
  g_autofree char *xml = g_strdup_printf ("<network><name>n</name><bridge name='virbr7'/>%s</network>", body);

  return parse (xml);
}

static gboolean
has_line (const char *text, const char *line)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  return g_strv_contains ((const char *const *) lines, line);
}

#define assert_line(text, line) \
  G_STMT_START { \
    if (!has_line ((text), (line))) \
      g_error ("line '%s' missing from:\n%s", (line), (text)); \
  } G_STMT_END
#define assert_no_line(text, line) g_assert_false (has_line ((text), (line)))

static guint
count_prefix (const char *text, const char *prefix)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    n += g_str_has_prefix (lines[i], prefix);
  return n;
}

static void
replace (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

/* vb_dnsmasq_config() fails on @def with VB_ERROR_NOT_SUPPORTED. */
static void
assert_refused (const VbNetworkDef *def)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *conf = vb_dnsmasq_config (def, &paths, &error);

  g_assert_null (conf);
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED);
}

static void
test_needed (void)
{
  static const struct {
    const char *xml;
    gboolean needed;
  } cases[] = {
    { "<network><name>n</name><ip address='10.0.0.1' prefix='24'/></network>", TRUE },
    { "<network><name>n</name><forward mode='nat'/><ip address='10.0.0.1' prefix='24'/></network>", TRUE },
    { "<network><name>n</name><forward mode='route'/><ip address='10.0.0.1' prefix='24'/></network>", TRUE },
    { "<network><name>n</name><forward mode='open'/><ip address='10.0.0.1' prefix='24'/></network>", TRUE },
    { "<network><name>n</name><forward mode='nat'/></network>", FALSE },
    { "<network><name>n</name><forward mode='bridge'/><bridge name='br0'/></network>", FALSE },
    { "<network><name>n</name><dns enable='no'/><ip address='10.0.0.1' prefix='24'/></network>", FALSE },
    { "<network><name>n</name><dns enable='no'/><ip address='10.0.0.1' prefix='24'><dhcp>"
      "<range start='10.0.0.2' end='10.0.0.9'/></dhcp></ip></network>", TRUE },
    { "<network><name>n</name><dns enable='no'/><ip family='ipv6' address='fd00::1' prefix='64'/></network>", TRUE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(VbNetworkDef) def = parse (cases[i].xml);
    g_assert_cmpint (vb_dnsmasq_needed (def), ==, cases[i].needed);
  }
}

static void
test_config_nat (void)
{
  g_autoptr(VbNetworkDef) def = parse_bridged (
    "<forward mode='nat'/><domain name='lab.example' localOnly='yes'/><mtu size='9000'/>"
    "<ip address='192.168.122.1' netmask='255.255.255.0'><tftp root='/srv/tftp'/><dhcp>"
    "<range start='192.168.122.2' end='192.168.122.99'/>"
    "<range start='192.168.122.200' end='192.168.122.254'><lease expiry='0'/></range>"
    "<host mac='52:54:00:AA:BB:CC' name='vm1' ip='192.168.122.10'/>"
    "<bootp file='pxelinux.0' server='192.168.122.5'/></dhcp></ip>");
  g_autoptr(GError) error = NULL;
  g_autofree char *conf = NULL;

  conf = vb_dnsmasq_config (def, &paths, &error);
  g_assert_no_error (error);
  /* First a comment saying whose file it is. */
  g_assert_true (g_str_has_prefix (conf, "# Written by virtbus"));
  g_assert_nonnull (strstr (conf, "rewritten"));
  for (const char *const *l = (const char *const[]) {
         "strict-order", "pid-file=/run/virtbus/network/n.pid", "except-interface=lo", "bind-dynamic",
         "interface=virbr7", "dhcp-leasefile=/var/lib/virtbus/network/n.leases", "domain=lab.example",
         "expand-hosts", "local=/lab.example/", "dhcp-range=192.168.122.2,192.168.122.99,255.255.255.0",
         "dhcp-range=192.168.122.200,192.168.122.254,255.255.255.0,infinite", "dhcp-no-override",
         "dhcp-authoritative", "dhcp-lease-max=154", "dhcp-hostsfile=/var/lib/virtbus/network/n.hostsfile",
         "addn-hosts=/var/lib/virtbus/network/n.addnhosts", "dhcp-boot=pxelinux.0,,192.168.122.5", "enable-tftp",
         "tftp-root=/srv/tftp", "dhcp-option=option:mtu,9000", NULL };
       *l != NULL; l++)
    assert_line (conf, *l);
  assert_no_line (conf, "port=0");
  assert_no_line (conf, "no-resolv");
  assert_no_line (conf, "enable-ra");
  assert_no_line (conf, "domain-needed");
  g_assert_cmpuint (count_prefix (conf, "dhcp-range="), ==, 2);
}

static void
test_config_leases_and_ipv6 (void)
{
  g_autoptr(VbNetworkDef) def = parse_bridged (
    "<ip address='10.1.0.1' prefix='16'><dhcp>"
    "<range start='10.1.0.10' end='10.1.0.19'><lease expiry='90' unit='seconds'/></range>"
    "<range start='10.1.1.10' end='10.1.1.19'><lease expiry='30'/></range>"
    "<range start='10.1.2.10' end='10.1.2.19'><lease expiry='12' unit='hours'/></range></dhcp></ip>"
    "<ip family='ipv6' address='fd00:1::1' prefix='64'><dhcp>"
    "<range start='fd00:1::100' end='fd00:1::1ff'><lease expiry='2' unit='hours'/></range>"
    "<host id='00:04:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00' name='v6host' ip='fd00:1::10'/>"
    "<host name='byname' ip='fd00:1::11'/></dhcp></ip>"
    "<ip family='ipv6' address='fd00:2::1' prefix='64'/><ip family='ipv6' address='fd00:3::1' prefix='48'/>");
  g_autoptr(GError) error = NULL;
  g_autofree char *conf = vb_dnsmasq_config (def, &paths, &error);

  g_assert_no_error (error);
  assert_line (conf, "dhcp-range=10.1.0.10,10.1.0.19,255.255.0.0,90");
  assert_line (conf, "dhcp-range=10.1.1.10,10.1.1.19,255.255.0.0,30m");
  assert_line (conf, "dhcp-range=10.1.2.10,10.1.2.19,255.255.0.0,12h");
  assert_line (conf, "dhcp-range=fd00:1::100,fd00:1::1ff,64,2h");
  assert_line (conf, "dhcp-range=fd00:2::,ra-only,64");
  /* dnsmasq advertises /64 subnets only. */
  g_assert_null (strstr (conf, "fd00:3::"));
  assert_line (conf, "enable-ra");
  g_assert_cmpuint (count_prefix (conf, "enable-ra"), ==, 1);
  /* 3 x 10 + 256 addresses in ranges, plus the 2 hosts. */
  assert_line (conf, "dhcp-lease-max=288");
  g_assert_cmpuint (count_prefix (conf, "dhcp-option=option:mtu"), ==, 0);
}

static void
test_config_dns (void)
{
  g_autoptr(VbNetworkDef) def = parse_bridged (
    "<dns forwardPlainNames='no'><forwarder addr='8.8.8.8'/><forwarder domain='corp.example' addr='10.9.0.1'/>"
    "<forwarder domain='local.test'/><forwarder addr='2001:db8::53'/>"
    "<txt name='info.example' value='v=spf1, a #1 \"x\" \\ end'/>"
    "<srv service='ldap' protocol='tcp' domain='corp.example' target='dc.corp.example' port='389' "
    "priority='10' weight='5'/>"
    "<srv service='xmpp' protocol='udp' target='chat.example' weight='7'/>"
    "<srv service='www' protocol='tcp'/>"
    "<host ip='192.168.122.2'><hostname>myhost</hostname><hostname>alias.example</hostname></host></dns>"
    "<ip address='192.168.122.1' prefix='24'/>");
  g_autoptr(GError) error = NULL;
  g_autofree char *conf = vb_dnsmasq_config (def, &paths, &error);
  g_autofree char *addn = vb_dnsmasq_addn_hosts (def);
  g_autofree char *hosts = vb_dnsmasq_hosts_file (def);

  g_assert_no_error (error);
  assert_line (conf, "domain-needed");
  assert_line (conf, "server=8.8.8.8");
  assert_line (conf, "server=/corp.example/10.9.0.1");
  assert_line (conf, "server=/local.test/");
  assert_line (conf, "server=2001:db8::53");
  assert_line (conf, "no-resolv");
  assert_line (conf, "txt-record=info.example,\"v=spf1, a #1 \\\"x\\\" \\\\ end\"");
  assert_line (conf, "srv-host=_ldap._tcp.corp.example,dc.corp.example,389,10,5");
  assert_line (conf, "srv-host=_xmpp._udp,chat.example,1,0,7");
  assert_line (conf, "srv-host=_www._tcp");
  /* No DHCP: none of its settings. */
  g_assert_cmpuint (count_prefix (conf, "dhcp-range"), ==, 0);
  assert_no_line (conf, "dhcp-authoritative");
  assert_no_line (conf, "dhcp-hostsfile=/var/lib/virtbus/network/n.hostsfile");
  assert_line (conf, "addn-hosts=/var/lib/virtbus/network/n.addnhosts");
  g_assert_cmpstr (addn, ==, "192.168.122.2 myhost alias.example\n");
  g_assert_cmpstr (hosts, ==, "");
}

static void
test_config_no_resolv_only_for_upstreams (void)
{
  g_autoptr(VbNetworkDef) def = parse_bridged (
    "<dns><forwarder domain='corp.example' addr='10.9.0.1'/></dns><ip address='10.0.0.1' prefix='24'/>");
  g_autofree char *conf = vb_dnsmasq_config (def, &paths, NULL);

  g_assert_nonnull (conf);
  assert_line (conf, "server=/corp.example/10.9.0.1");
  assert_no_line (conf, "no-resolv");
}

static void
test_config_dns_disabled (void)
{
  g_autoptr(VbNetworkDef) def = parse_bridged (
    "<dns enable='no'/><ip address='10.0.0.1' prefix='24'><dhcp><host mac='52:54:00:00:00:01' ip='10.0.0.5'/>"
    "</dhcp></ip>");
  g_autoptr(GError) error = NULL;
  g_autofree char *conf = vb_dnsmasq_config (def, &paths, &error);

  g_assert_no_error (error);
  assert_line (conf, "port=0");
  assert_line (conf, "dhcp-option=option:dns-server");
  /* Hosts without a range: a static-only subnet. */
  assert_line (conf, "dhcp-range=10.0.0.0,static,255.255.255.0");
  assert_line (conf, "dhcp-lease-max=1");
}

/* The hosts-file lines of the two DHCP hosts of test_config_refused()'s definition. */
#define HOST4 "52:54:00:00:00:01,10.0.0.5,vm\n"
#define HOST6 "id:00:03:00:01:52:54:00:00:00:02,[fd00::5]\n"

static void
test_config_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbNetworkDef) nobridge = parse ("<network><name>n</name><ip address='10.0.0.1' prefix='24'/></network>");
  const char *base = "<dns><txt name='t.example' value='v'/><srv service='s' protocol='tcp' target='t.example'/>"
                     "<forwarder domain='f.example' addr='10.0.0.53'/>"
                     "<host ip='10.0.0.2'><hostname>h</hostname></host></dns>"
                     "<ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' end='10.0.0.9'/>"
                     "<host mac='52:54:00:00:00:01' name='vm' ip='10.0.0.5'/><bootp file='boot.img'/></dhcp></ip>"
                     "<ip family='ipv6' address='fd00::1' prefix='64'><dhcp>"
                     "<host id='00:03:00:01:52:54:00:00:00:02' ip='fd00::5'/></dhcp></ip>";
  static const char *const hostile[] = { "a\nport=53", "a,b", "a b", "a\"b", "a#b", "", "a\rb" };

  g_assert_null (vb_dnsmasq_config (nobridge, &paths, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  {
    g_autoptr(VbNetworkDef) def = parse_bridged (base);
    g_autofree char *conf = vb_dnsmasq_config (def, &paths, NULL);
    g_autofree char *hosts = vb_dnsmasq_hosts_file (def);
    g_assert_nonnull (conf);
    g_assert_cmpstr (hosts, ==, HOST4 HOST6);
  }

  for (gsize h = 0; h < G_N_ELEMENTS (hostile); h++) {
    /* Each field a caller controls, in turn made hostile. */
    for (int field = 0; field < 12; field++) {
      g_autoptr(VbNetworkDef) def = parse_bridged (base);
      VbNetworkDns *dns = def->dns;
      VbNetworkIp *ip4 = g_ptr_array_index (def->ips, 0);
      VbNetworkIp *ip6 = g_ptr_array_index (def->ips, 1);
      VbNetworkDhcpHost *host4 = g_ptr_array_index (ip4->dhcp_hosts, 0);
      VbNetworkDhcpHost *host6 = g_ptr_array_index (ip6->dhcp_hosts, 0);
      VbNetworkDnsHost *dns_host = g_ptr_array_index (dns->hosts, 0);
      VbDnsmasqPaths bad_paths = paths;
      g_autofree char *bad_path = hostile[h][0] ? g_strconcat ("/run/", hostile[h], NULL) : g_strdup ("run/x.pid");
      g_autofree char *hosts = NULL;
      g_autofree char *addn = NULL;

      switch (field) {
      case 0: replace (&def->bridge->name, hostile[h]); break;
      case 1: replace (&((VbNetworkDnsTxt *) g_ptr_array_index (dns->txts, 0))->name, hostile[h]); break;
      case 2: replace (&((VbNetworkDnsSrv *) g_ptr_array_index (dns->srvs, 0))->service, hostile[h]); break;
      case 3: replace (&((VbNetworkDnsSrv *) g_ptr_array_index (dns->srvs, 0))->target, hostile[h]); break;
      case 4: replace (&((VbNetworkDnsForwarder *) g_ptr_array_index (dns->forwarders, 0))->domain, hostile[h]);
        break;
      case 5: replace ((char **) &g_ptr_array_index (dns_host->hostnames, 0), hostile[h]); break;
      case 6: replace (&host4->name, hostile[h]); break;
      case 7: replace (&host6->id, hostile[h]); break;
      case 8: replace (&ip4->bootp_file, hostile[h]); break;
      case 9: replace (&def->domain_name, hostile[h]); break;
      case 10: bad_paths.pid_file = bad_path; break;
      case 11: replace (&host4->mac, hostile[h]); break;
      }
      g_clear_error (&error);
      g_assert_null (vb_dnsmasq_config (def, &bad_paths, &error));
      g_assert_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED);
      g_assert_null (strchr (error->message, '\n'));
      /* The host files leave the entry out, and only it. */
      hosts = vb_dnsmasq_hosts_file (def);
      addn = vb_dnsmasq_addn_hosts (def);
      g_assert_cmpstr (hosts, ==, field == 6 || field == 11 ? HOST6 : field == 7 ? HOST4 : HOST4 HOST6);
      g_assert_cmpstr (addn, ==, field == 5 ? "" : "10.0.0.2 h\n");
    }
  }

  /* TXT values are quoted instead, but a line break stays refused. */
  {
    g_autoptr(VbNetworkDef) def = parse_bridged (base);
    replace (&((VbNetworkDnsTxt *) g_ptr_array_index (def->dns->txts, 0))->value, "x\naddn-hosts=/etc/shadow");
    assert_refused (def);
  }
  /* A line longer than dnsmasq reads at once would be split by it. */
  {
    g_autoptr(VbNetworkDef) def = parse_bridged (base);
    g_autofree char *longer = g_strnfill (1200, 'x');
    replace (&((VbNetworkDnsTxt *) g_ptr_array_index (def->dns->txts, 0))->value, longer);
    assert_refused (def);
  }
  /* DHCP host names dnsmasq would read as something else. */
  for (const char *const *name = (const char *const[]) { "ignore", "infinite", "3600", "12h", "10.0.0.7", "-x", NULL };
       *name != NULL; name++) {
    g_autoptr(VbNetworkDef) def = parse_bridged (base);
    VbNetworkIp *ip4 = g_ptr_array_index (def->ips, 0);
    replace (&((VbNetworkDhcpHost *) g_ptr_array_index (ip4->dhcp_hosts, 0))->name, *name);
    assert_refused (def);
  }
  /* Lease times past dnsmasq's int of seconds. */
  {
    g_autoptr(VbNetworkDef) def = parse_bridged (
      "<ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' end='10.0.0.9'>"
      "<lease expiry='1000000' unit='hours'/></range></dhcp></ip>");
    assert_refused (def);
  }
  /* DHCPv6 needs a prefix of at least 64 bits. */
  {
    g_autoptr(VbNetworkDef) def = parse_bridged (
      "<ip family='ipv6' address='fd00::1' prefix='48'><dhcp><range start='fd00::10' end='fd00::20'/></dhcp></ip>");
    assert_refused (def);
  }
}

static void
test_hosts_file (void)
{
  g_autoptr(VbNetworkDef) def = parse_bridged (
    "<ip address='10.0.0.1' prefix='24'><dhcp>"
    "<host mac='52:54:00:00:00:01' name='one' ip='10.0.0.5'/>"
    "<host mac='52:54:00:00:00:02' ip='10.0.0.6'><lease expiry='2' unit='hours'/></host>"
    "<host name='three' ip='10.0.0.7'><lease expiry='0'/></host></dhcp></ip>"
    "<ip family='ipv6' address='fd00::1' prefix='64'><dhcp>"
    "<host id='00:03:00:01:52:54:00:00:00:02' name='six' ip='fd00::5'/>"
    "<host name='seven' ip='fd00::7'><lease expiry='45'/></host></dhcp></ip>");
  g_autofree char *hosts = vb_dnsmasq_hosts_file (def);
  g_autoptr(VbNetworkDef) empty = parse_bridged ("<ip address='10.0.0.1' prefix='24'/>");
  g_autofree char *none = vb_dnsmasq_hosts_file (empty);
  g_autofree char *no_addn = vb_dnsmasq_addn_hosts (empty);

  g_assert_cmpstr (hosts, ==,
                   "52:54:00:00:00:01,10.0.0.5,one\n"
                   "52:54:00:00:00:02,10.0.0.6,2h\n"
                   "three,10.0.0.7,infinite\n"
                   "id:00:03:00:01:52:54:00:00:00:02,[fd00::5],six\n"
                   "seven,[fd00::7],45m\n");
  g_assert_cmpstr (none, ==, "");
  g_assert_cmpstr (no_addn, ==, "");
}

/* dnsmasq itself, when installed, accepts a full configuration. */
static void
test_dnsmasq_accepts (void)
{
  g_autoptr(VbNetworkDef) def = parse_bridged (
    "<forward mode='nat'/><domain name='lab.example' localOnly='yes'/><mtu size='1400'/>"
    "<dns forwardPlainNames='no'><forwarder addr='8.8.8.8'/><forwarder domain='c.example' addr='10.9.0.1'/>"
    "<forwarder domain='l.example'/><txt name='t.example' value='a, \"b\" #c'/>"
    "<srv service='ldap' protocol='tcp' domain='c.example' target='dc.c.example' port='389' priority='1' weight='2'/>"
    "<srv service='x' protocol='udp'/></dns>"
    "<ip address='192.168.7.1' prefix='24'><tftp root='/srv/tftp'/><dhcp>"
    "<range start='192.168.7.2' end='192.168.7.99'><lease expiry='1' unit='hours'/></range>"
    "<host mac='52:54:00:00:00:01' name='vm' ip='192.168.7.5'/><bootp file='pxe.0' server='192.168.7.1'/>"
    "</dhcp></ip><ip family='ipv6' address='fd00:7::1' prefix='64'><dhcp>"
    "<range start='fd00:7::10' end='fd00:7::ff'/></dhcp></ip><ip family='ipv6' address='fd00:8::1' prefix='64'/>");
  g_autofree char *dnsmasq = g_find_program_in_path ("dnsmasq");
  g_autofree char *dir = NULL, *file = NULL, *conf = NULL, *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { NULL, "--test", NULL, NULL };
  int status = 0;

  if (dnsmasq == NULL) {
    g_test_skip ("dnsmasq is not installed (Debian package dnsmasq-base)");
    return;
  }
  conf = vb_dnsmasq_config (def, &paths, &error);
  g_assert_no_error (error);
  dir = g_dir_make_tmp ("vb-dnsmasq-XXXXXX", &error);
  g_assert_no_error (error);
  file = g_build_filename (dir, "dnsmasq.conf", NULL);
  g_assert_true (g_file_set_contents (file, conf, -1, NULL));
  argv[0] = dnsmasq;
  argv[2] = g_strconcat ("--conf-file=", file, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_free ((char *) argv[2]);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("dnsmasq refused:\n%s\n%s%s", conf, out, err);
  g_remove (file);
  g_rmdir (dir);
}

static void
test_leases (void)
{
  g_autoptr(VbNetworkDef) def = parse_bridged (
    "<ip address='192.168.122.1' prefix='24'/><ip address='10.0.0.1' netmask='255.255.0.0'/>"
    "<ip family='ipv6' address='fd00::1' prefix='64'/>");
  const char *file =
    "2000 52:54:00:AA:BB:CC 192.168.122.10 vm1 01:52:54:00:aa:bb:cc\n"
    "0 52:54:00:00:00:02 10.0.3.4 * *\n"
    "999 52:54:00:00:00:03 192.168.122.11 old *\n"        /* expired */
    "1000 52:54:00:00:00:04 192.168.122.12 now *\n"       /* expired: expiry == now */
    "3000 52:54:00:00:00:05 172.16.0.9 elsewhere *\n"      /* in no <ip> */
    "duid 00:01:00:01:2c:3d:4e:5f:52:54:00:00:00:01\n"
    "5000 12345 fd00::20 v6host 00:03:00:01:52:54:00:00:00:09\n"
    "5000 T77 fd00::21 * 00:03:00:01:52:54:00:00:00:08\n";
  g_autoptr(GPtrArray) leases = vb_dnsmasq_parse_leases (file, def, NULL, 1000);
  g_autoptr(GPtrArray) by_mac = vb_dnsmasq_parse_leases (file, def, "52:54:00:aa:bb:cc", 1000);
  g_autoptr(GPtrArray) no_def = vb_dnsmasq_parse_leases (file, NULL, NULL, 1000);
  VbDnsmasqLease *l;

  g_assert_cmpuint (leases->len, ==, 5);
  l = g_ptr_array_index (leases, 0);
  g_assert_cmpint (l->expiry_time, ==, 2000);
  g_assert_cmpint (l->type, ==, 0);
  g_assert_cmpstr (l->mac, ==, "52:54:00:aa:bb:cc");
  g_assert_cmpstr (l->iaid, ==, "");
  g_assert_cmpstr (l->ip_address, ==, "192.168.122.10");
  g_assert_cmpuint (l->prefix, ==, 24);
  g_assert_cmpstr (l->hostname, ==, "vm1");
  g_assert_cmpstr (l->client_id, ==, "01:52:54:00:aa:bb:cc");
  l = g_ptr_array_index (leases, 1);
  g_assert_cmpint (l->expiry_time, ==, 0);
  g_assert_cmpstr (l->ip_address, ==, "10.0.3.4");
  g_assert_cmpuint (l->prefix, ==, 16);
  g_assert_cmpstr (l->hostname, ==, "");
  g_assert_cmpstr (l->client_id, ==, "");
  l = g_ptr_array_index (leases, 2);
  g_assert_cmpstr (l->ip_address, ==, "172.16.0.9");
  g_assert_cmpuint (l->prefix, ==, 0);
  l = g_ptr_array_index (leases, 3);
  g_assert_cmpint (l->type, ==, 1);
  g_assert_cmpstr (l->mac, ==, "");
  g_assert_cmpstr (l->iaid, ==, "12345");
  g_assert_cmpstr (l->ip_address, ==, "fd00::20");
  g_assert_cmpuint (l->prefix, ==, 64);
  g_assert_cmpstr (l->hostname, ==, "v6host");
  g_assert_cmpstr (l->client_id, ==, "00:03:00:01:52:54:00:00:00:09");
  l = g_ptr_array_index (leases, 4);
  g_assert_cmpstr (l->iaid, ==, "77");
  g_assert_cmpstr (l->hostname, ==, "");

  g_assert_cmpuint (by_mac->len, ==, 1);
  g_assert_cmpstr (((VbDnsmasqLease *) g_ptr_array_index (by_mac, 0))->ip_address, ==, "192.168.122.10");
  g_assert_cmpuint (no_def->len, ==, 5);
  g_assert_cmpuint (((VbDnsmasqLease *) g_ptr_array_index (no_def, 0))->prefix, ==, 0);
}

static void
test_leases_garbage (void)
{
  g_autoptr(VbNetworkDef) def = parse_bridged ("<ip address='192.168.122.1' prefix='24'/>");
  g_autofree char *long_line = g_strnfill (200000, 'a');
  g_autoptr(GString) file = g_string_new (NULL);
  g_autoptr(GPtrArray) leases = NULL;
  g_autoptr(GPtrArray) empty = vb_dnsmasq_parse_leases ("", def, NULL, 0);
  g_autoptr(GPtrArray) null = vb_dnsmasq_parse_leases (NULL, def, NULL, 0);

  g_string_append (file, "\n\n   \n");
  g_string_append_printf (file, "%s\n", long_line);
  g_string_append_printf (file, "2000 52:54:00:00:00:01 192.168.122.2 %s *\n", long_line);
  g_string_append (file, "abc 52:54:00:00:00:01 192.168.122.3 h *\n");        /* expiry not a number */
  g_string_append (file, "-5 52:54:00:00:00:01 192.168.122.4 h *\n");         /* negative */
  g_string_append (file, "99999999999999999999 52:54:00:00:00:01 192.168.122.5 h *\n"); /* overflow */
  g_string_append (file, "2000 52:54:00:00:00:01 192.168.122.6\n");          /* missing fields */
  g_string_append (file, "2000 52:54:00:00:00:01 192.168.122.7 h * extra\n"); /* too many */
  g_string_append (file, "2000 zz:54 192.168.122.8 h *\n");                   /* bad MAC */
  g_string_append (file, "2000 52:54:00:00:00:01 fd00::9 h *\n");             /* IPv6 before the duid line */
  g_string_append (file, "2000 52:54:00:00:00:01 192.168.122.300 h *\n");     /* bad address */
  g_string_append (file, "2000 52:54:00:00:00:01 192.168.122.10 h\xff\xfe *\n"); /* not UTF-8 */
  g_string_append (file, "2000 52:54:00:00:00:01 192.168.122.11 h\x01 *\n");  /* control character */
  g_string_append (file, "2000 52:54:00:00:00:01 192.168.122.12 good\n");     /* no client id: fine */
  g_string_append (file, "duid\n");                                           /* duid without value */
  g_string_append (file, "duid 00:01\n");
  g_string_append (file, "2000 abc fd00::1 h *\n");                           /* IAID not a number */
  g_string_append (file, "2000 1 192.168.122.13 h *\n");                      /* IPv4 after the duid line */
  g_string_append (file, "2000 1");                                           /* truncated last line */
  leases = vb_dnsmasq_parse_leases (file->str, def, NULL, 1000);

  g_assert_cmpuint (leases->len, ==, 1);
  g_assert_cmpstr (((VbDnsmasqLease *) g_ptr_array_index (leases, 0))->ip_address, ==, "192.168.122.12");
  g_assert_cmpstr (((VbDnsmasqLease *) g_ptr_array_index (leases, 0))->client_id, ==, "");
  g_assert_cmpuint (empty->len, ==, 0);
  g_assert_cmpuint (null->len, ==, 0);

  /* Random bytes never crash it. */
  for (int round = 0; round < 200; round++) {
    g_autofree char *noise = g_malloc (512);
    g_autoptr(GPtrArray) parsed = NULL;
    for (int i = 0; i < 511; i++)
      noise[i] = (char) g_test_rand_int_range (1, 256);
    noise[511] = '\0';
    parsed = vb_dnsmasq_parse_leases (noise, def, round % 2 ? "52:54:00:00:00:01" : NULL, 0);
    g_assert_nonnull (parsed);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/network-dnsmasq/needed", test_needed);
  g_test_add_func ("/network-dnsmasq/config-nat", test_config_nat);
  g_test_add_func ("/network-dnsmasq/config-leases-and-ipv6", test_config_leases_and_ipv6);
  g_test_add_func ("/network-dnsmasq/config-dns", test_config_dns);
  g_test_add_func ("/network-dnsmasq/config-no-resolv-only-for-upstreams", test_config_no_resolv_only_for_upstreams);
  g_test_add_func ("/network-dnsmasq/config-dns-disabled", test_config_dns_disabled);
  g_test_add_func ("/network-dnsmasq/config-refused", test_config_refused);
  g_test_add_func ("/network-dnsmasq/hosts-file", test_hosts_file);
  g_test_add_func ("/network-dnsmasq/dnsmasq-accepts", test_dnsmasq_accepts);
  g_test_add_func ("/network-dnsmasq/leases", test_leases);
  g_test_add_func ("/network-dnsmasq/leases-garbage", test_leases_garbage);
  return g_test_run ();
}
