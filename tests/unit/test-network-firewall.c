/* Tests for the nftables rules of virtual networks
 * (backends/network/vb-network-firewall.c): the scripts of each forward
 * mode line by line, subnets computed from odd prefixes, hostile names
 * refused, and every script checked by nft itself when we may run it. */
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#include "vb-error.h"
#include "vb-network-firewall.h"

#define NFT "/usr/sbin/nft"
#define UUID "c7a5fdbd-edaf-9455-926a-d65c16db1809"
#define TABLE "virtbus_c7a5fdbdedaf9455926ad65c16db1809"
#define HEAD "add table inet " TABLE "\ndelete table inet " TABLE "\ntable inet " TABLE " {\n"
#define FORWARD_HEAD "  chain forward {\n    type filter hook forward priority filter; policy accept;\n"
#define NAT_HEAD "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n"

/* A network of bridge vb0 with @forward (the <forward> element or "") and
 * @ips (its <ip> elements). */
static VbNetworkDef *
network (const char *forward, const char *ips)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = g_strdup_printf ("<network><name>n</name><uuid>" UUID "</uuid>%s<bridge name='vb0'/>%s"
                                          "</network>", forward, ips);
  VbNetworkDef *def = vb_network_def_parse (xml, &error);

  g_assert_no_error (error);
  g_assert_nonnull (def);
  return def;
}

static char *
script_of (const char *forward, const char *ips)
{
  g_autoptr(VbNetworkDef) def = network (forward, ips);
  g_autoptr(GError) error = NULL;
  char *script = vb_network_firewall_script (def, &error);

  g_assert_no_error (error);
  g_assert_nonnull (script);
  return script;
}

/* TRUE when @line is one whole line of @script (indentation included). */
static gboolean
has_line (const char *script, const char *line)
{
  g_auto(GStrv) lines = g_strsplit (script, "\n", -1);

  return g_strv_contains ((const char *const *) lines, line);
}

#define assert_line(script, line) \
  G_STMT_START { \
    if (!has_line ((script), (line))) \
      g_test_message ("line '%s' missing from:\n%s", (line), (script)); \
    g_assert_true (has_line ((script), (line))); \
  } G_STMT_END

#define assert_no_line(script, line) \
  G_STMT_START { \
    if (has_line ((script), (line))) \
      g_test_message ("unexpected line '%s' in:\n%s", (line), (script)); \
    g_assert_false (has_line ((script), (line))); \
  } G_STMT_END

/* The networks whose scripts the tests below read, all fed to nft too. */
static const struct {
  const char *forward, *ips;
} cases[] = {
  { "", "<ip address='192.168.100.1' prefix='24'/>" },
  { "<forward mode='nat'/>", "<ip address='192.168.122.1' prefix='24'/>" },
  { "<forward mode='nat' dev='eth0'/>", "<ip address='192.168.122.1' netmask='255.255.255.0'/>" },
  { "<forward><nat><address start='10.0.0.5' end='10.0.0.9'/><port start='2000' end='3000'/></nat></forward>",
    "<ip address='192.168.122.1' prefix='24'/>" },
  { "<forward><nat><address start='10.0.0.5' end='10.0.0.5'/></nat></forward>",
    "<ip address='192.168.122.1' prefix='24'/>" },
  { "<forward mode='route' dev='eth1'/>", "<ip address='10.1.2.200' prefix='26'/>" },
  { "<forward mode='nat'/>",
    "<ip address='192.168.122.1' prefix='24'/><ip family='ipv6' address='fd00:1::1' prefix='64'/>" },
  { "<forward mode='nat'><nat ipv6='yes'/></forward>",
    "<ip address='192.168.122.1' prefix='24'/><ip family='ipv6' address='fd00:1::1' prefix='64'/>" },
  { "<forward mode='route'/>", "" },
};

static void
test_table_and_delete (void)
{
  g_autoptr(VbNetworkDef) def = network ("", "");
  g_autofree char *table = NULL, *del = NULL;

  /* Upper case is a valid uuid too; the table name is always the same. */
  memcpy (def->uuid, "C7A5FDBD-EDAF-9455-926A-D65C16DB1809", 37);
  table = vb_network_firewall_table (def);
  g_assert_cmpstr (table, ==, TABLE);
  del = vb_network_firewall_delete_script (def);
  g_assert_cmpstr (del, ==, "add table inet " TABLE "\ndelete table inet " TABLE "\n");
}

static void
test_isolated (void)
{
  g_autofree char *script = script_of (cases[0].forward, cases[0].ips);

  g_assert_cmpstr (script, ==, HEAD FORWARD_HEAD
                   "    iifname \"vb0\" oifname \"vb0\" accept\n"
                   "    iifname \"vb0\" reject\n"
                   "    oifname \"vb0\" reject\n"
                   "  }\n"
                   "}\n");
}

static void
test_nat (void)
{
  g_autofree char *script = script_of (cases[1].forward, cases[1].ips);

  g_assert_cmpstr (script, ==, HEAD FORWARD_HEAD
                   "    iifname \"vb0\" oifname \"vb0\" accept\n"
                   "    iifname \"vb0\" ip saddr 192.168.122.0/24 accept\n"
                   "    oifname \"vb0\" ip daddr 192.168.122.0/24 ct state related,established accept\n"
                   "    iifname \"vb0\" reject\n"
                   "    oifname \"vb0\" reject\n"
                   "  }\n"
                   NAT_HEAD
                   "    ip saddr 192.168.122.0/24 ip daddr 224.0.0.0/24 return\n"
                   "    ip saddr 192.168.122.0/24 ip daddr 255.255.255.255 return\n"
                   "    meta l4proto tcp ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24"
                   " masquerade to :1024-65535\n"
                   "    meta l4proto udp ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24"
                   " masquerade to :1024-65535\n"
                   "    ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 masquerade\n"
                   "  }\n"
                   "}\n");
}

static void
test_nat_forward_dev (void)
{
  g_autofree char *script = script_of (cases[2].forward, cases[2].ips);
  const char *match = "ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 oifname \"eth0\"";
  g_autofree char *tcp = g_strdup_printf ("    meta l4proto tcp %s masquerade to :1024-65535", match);
  g_autofree char *other = g_strdup_printf ("    %s masquerade", match);

  assert_line (script, "    iifname \"vb0\" oifname \"eth0\" ip saddr 192.168.122.0/24 accept");
  assert_line (script,
               "    iifname \"eth0\" oifname \"vb0\" ip daddr 192.168.122.0/24 ct state related,established accept");
  assert_line (script, tcp);
  assert_line (script, other);
  assert_line (script, "    iifname \"vb0\" reject");
}

static void
test_nat_address_and_ports (void)
{
  g_autofree char *range = script_of (cases[3].forward, cases[3].ips);
  g_autofree char *single = script_of (cases[4].forward, cases[4].ips);
  const char *match = "ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24";
  g_autofree char *udp = g_strdup_printf ("    meta l4proto udp %s snat ip to 10.0.0.5-10.0.0.9:2000-3000", match);
  g_autofree char *other = g_strdup_printf ("    %s snat ip to 10.0.0.5-10.0.0.9", match);
  g_autofree char *tcp1 = g_strdup_printf ("    meta l4proto tcp %s snat ip to 10.0.0.5:1024-65535", match);
  g_autofree char *other1 = g_strdup_printf ("    %s snat ip to 10.0.0.5", match);

  assert_line (range, udp);
  assert_line (range, other);
  g_assert_null (strstr (range, "masquerade"));
  assert_line (single, tcp1);
  assert_line (single, other1);
}

static void
test_route (void)
{
  g_autofree char *script = script_of (cases[5].forward, cases[5].ips);
  g_autofree char *bare = script_of (cases[8].forward, cases[8].ips);

  /* 10.1.2.200/26: the network is 10.1.2.192. */
  g_assert_cmpstr (script, ==, HEAD FORWARD_HEAD
                   "    iifname \"vb0\" oifname \"vb0\" accept\n"
                   "    iifname \"vb0\" oifname \"eth1\" ip saddr 10.1.2.192/26 accept\n"
                   "    iifname \"eth1\" oifname \"vb0\" ip daddr 10.1.2.192/26 accept\n"
                   "    iifname \"vb0\" reject\n"
                   "    oifname \"vb0\" reject\n"
                   "  }\n"
                   "}\n");
  /* Without an address nothing is routed at all. */
  g_assert_null (strstr (bare, "saddr"));
  assert_line (bare, "    oifname \"vb0\" reject");
}

static void
test_ipv6_on_nat_network (void)
{
  g_autofree char *routed = script_of (cases[6].forward, cases[6].ips);
  g_autofree char *natted = script_of (cases[7].forward, cases[7].ips);

  /* Routed by default: answers are not the only traffic let in, no NAT. */
  assert_line (routed, "    iifname \"vb0\" ip6 saddr fd00:1::/64 accept");
  assert_line (routed, "    oifname \"vb0\" ip6 daddr fd00:1::/64 accept");
  assert_line (routed, "    oifname \"vb0\" ip daddr 192.168.122.0/24 ct state related,established accept");
  g_assert_null (strstr (routed, "ip6 saddr fd00:1::/64 ip6 daddr"));

  /* <nat ipv6='yes'>: like IPv4. */
  assert_line (natted, "    oifname \"vb0\" ip6 daddr fd00:1::/64 ct state related,established accept");
  assert_no_line (natted, "    oifname \"vb0\" ip6 daddr fd00:1::/64 accept");
  assert_line (natted, "    ip6 saddr fd00:1::/64 ip6 daddr ff00::/8 return");
  assert_line (natted,
               "    meta l4proto tcp ip6 saddr fd00:1::/64 ip6 daddr != fd00:1::/64 masquerade to :1024-65535");
  assert_line (natted, "    ip6 saddr fd00:1::/64 ip6 daddr != fd00:1::/64 masquerade");
  assert_line (natted, "    ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 masquerade");
}

static void
test_subnets (void)
{
  static const struct {
    const char *ip, *subnet;
  } vectors[] = {
    { "<ip address='10.1.2.200' prefix='26'/>", "10.1.2.192/26" },
    { "<ip address='172.16.5.77' netmask='255.255.255.240'/>", "172.16.5.64/28" },
    { "<ip address='10.200.3.4' prefix='9'/>", "10.128.0.0/9" },
    { "<ip address='192.168.7.9' prefix='32'/>", "192.168.7.9/32" },
    { "<ip address='10.9.8.7'/>", "10.0.0.0/8" },
    { "<ip family='ipv6' address='fd00:1:2:3::1' prefix='56'/>", "fd00:1:2::/56" },
    { "<ip family='ipv6' address='2001:db8:abcd:12ff::1' prefix='52'/>", "2001:db8:abcd:1000::/52" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++) {
    g_autofree char *script = script_of ("<forward mode='route'/>", vectors[i].ip);
    g_autofree char *line = g_strdup_printf ("    iifname \"vb0\" %s saddr %s accept",
                                             strchr (vectors[i].subnet, ':') ? "ip6" : "ip", vectors[i].subnet);
    assert_line (script, line);
  }
}

static void
test_no_rules (void)
{
  static const char *const forwards[] = {
    "<forward mode='open'/>",
    "<forward mode='bridge'/>",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (forwards); i++) {
    g_autoptr(VbNetworkDef) def = network (forwards[i], i == 0 ? "<ip address='192.168.5.1' prefix='24'/>" : "");
    g_autoptr(GError) error = NULL;
    g_autofree char *script = vb_network_firewall_script (def, &error);

    g_assert_no_error (error);
    g_assert_null (script);
  }
  /* Modes whose bridge is not ours need no bridge name to say so. */
  for (VbNetworkForwardMode mode = VB_NETWORK_FORWARD_PRIVATE; mode <= VB_NETWORK_FORWARD_HOSTDEV; mode++) {
    g_autoptr(VbNetworkDef) def = network ("", "");
    g_autoptr(GError) error = NULL;
    g_autofree char *script = NULL;

    def->forward.mode = mode;
    g_clear_pointer (&def->bridge->name, g_free);
    script = vb_network_firewall_script (def, &error);
    g_assert_no_error (error);
    g_assert_null (script);
  }
}

static void
test_hostile (void)
{
  static const char *const names[] = {
    "", "vb\"0", "vb0 x", "vb0\n}", "vb*", "vb0;", "abcdefghijklmnop", ".", "..", "vb0/1", "v\\b",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
    for (guint as_dev = 0; as_dev < 2; as_dev++) {
      g_autoptr(VbNetworkDef) def = network ("<forward mode='nat'/>", "<ip address='192.168.122.1' prefix='24'/>");
      g_autoptr(GError) error = NULL;
      g_autofree char *script = NULL;

      if (as_dev) {
        def->forward.dev = g_strdup (names[i]);
      } else {
        g_free (def->bridge->name);
        def->bridge->name = g_strdup (names[i]);
      }
      script = vb_network_firewall_script (def, &error);
      g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
      g_assert_null (script);
    }
  }
  {
    /* 15 characters is the kernel's limit, and still fine. */
    g_autoptr(VbNetworkDef) def = network ("", "");
    g_autoptr(GError) error = NULL;
    g_autofree char *script = NULL;

    g_free (def->bridge->name);
    def->bridge->name = g_strdup ("a-b_c.d0123456x");
    script = vb_network_firewall_script (def, &error);
    g_assert_no_error (error);
    g_assert_nonnull (strstr (script, "iifname \"a-b_c.d0123456x\" reject"));
  }
  {
    g_autoptr(VbNetworkDef) def = network ("", "");
    g_autoptr(GError) error = NULL;

    g_clear_pointer (&def->bridge->name, g_free);
    g_assert_null (vb_network_firewall_script (def, &error));
    g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  }
  {
    /* Values the parser would have refused still never reach the script. */
    g_autoptr(VbNetworkDef) def = network ("<forward mode='nat'/>", "<ip address='192.168.122.1' prefix='24'/>");
    g_autoptr(GError) error = NULL;

    def->forward.nat_address_start = g_strdup ("10.0.0.1; flush ruleset");
    def->forward.nat_address_end = g_strdup ("10.0.0.2");
    g_assert_null (vb_network_firewall_script (def, &error));
    g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
    g_clear_error (&error);

    g_free (def->forward.nat_address_start);
    def->forward.nat_address_start = g_strdup ("10.0.0.3"); /* after the end */
    g_assert_null (vb_network_firewall_script (def, &error));
    g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
    g_clear_error (&error);

    g_clear_pointer (&def->forward.nat_address_start, g_free);
    g_clear_pointer (&def->forward.nat_address_end, g_free);
    def->forward.nat_port_start = 3000;
    def->forward.nat_port_end = 70000;
    g_assert_null (vb_network_firewall_script (def, &error));
    g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
    g_clear_error (&error);

    def->forward.nat_port_end = 4000;
    g_free (((VbNetworkIp *) g_ptr_array_index (def->ips, 0))->address);
    ((VbNetworkIp *) g_ptr_array_index (def->ips, 0))->address = g_strdup ("1.2.3.4 } table ip x {");
    g_assert_null (vb_network_firewall_script (def, &error));
    g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
    g_clear_error (&error);

    memcpy (def->uuid, "not-a-uuid", sizeof "not-a-uuid");
    g_assert_null (vb_network_firewall_script (def, &error));
    g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  }
}

/* nft's check mode: parses and validates against the kernel, applies nothing. */
static void
assert_nft_accepts (const char *script)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autofree char *out = NULL, *err = NULL;

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                           G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, NFT, "-c", "-f", "-", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, script, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (proc))
    g_test_message ("nft -c refused:\n%s\n%s", script, err);
  g_assert_true (g_subprocess_get_successful (proc));
}

static void
test_nft_accepts (void)
{
  g_autoptr(VbNetworkDef) def = network ("", "");
  g_autofree char *del = vb_network_firewall_delete_script (def);

  if (!g_file_test (NFT, G_FILE_TEST_IS_EXECUTABLE)) {
    g_test_skip ("nft check of the scripts: " NFT " is not installed");
    return;
  }
  if (geteuid () != 0) {
    g_test_skip ("nft check of the scripts: nft -c needs root (CAP_NET_ADMIN)");
    return;
  }
  /* The table does not exist: "add" before "delete" must make this pass. */
  assert_nft_accepts (del);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *script = script_of (cases[i].forward, cases[i].ips);
    assert_nft_accepts (script);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/network-firewall/table-and-delete", test_table_and_delete);
  g_test_add_func ("/network-firewall/isolated", test_isolated);
  g_test_add_func ("/network-firewall/nat", test_nat);
  g_test_add_func ("/network-firewall/nat-forward-dev", test_nat_forward_dev);
  g_test_add_func ("/network-firewall/nat-address-and-ports", test_nat_address_and_ports);
  g_test_add_func ("/network-firewall/route", test_route);
  g_test_add_func ("/network-firewall/ipv6-on-nat-network", test_ipv6_on_nat_network);
  g_test_add_func ("/network-firewall/subnets", test_subnets);
  g_test_add_func ("/network-firewall/no-rules", test_no_rules);
  g_test_add_func ("/network-firewall/hostile", test_hostile);
  g_test_add_func ("/network-firewall/nft-accepts", test_nft_accepts);
  return g_test_run ();
}
