/* Tests for the host's interfaces over rtnetlink (backends/interface):
 * crafted messages, hostile ones included, into definitions; and, as root,
 * the real thing in a network namespace of the test's own, created in a
 * subprocess so no other test and never the host's namespace is touched. */
#define _GNU_SOURCE /* unshare */
#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vb-error.h"
#include "vb-interface-local.h"
#include "vb-interface-table.h"
#include "vb-test-util.h"

/* ---- crafted messages ---- */

typedef struct {
  union {
    struct nlmsghdr hdr;
    guint32 align;
    guint8 buf[8192];
  };
  gsize nests[8];
  guint n_nests;
} Msg;

static void *
msg_start (Msg *m, guint16 type, gsize body_len)
{
  memset (m, 0, sizeof *m);
  m->hdr.nlmsg_type = type;
  m->hdr.nlmsg_len = NLMSG_LENGTH (body_len);
  return NLMSG_DATA (&m->hdr);
}

static void
put (Msg *m, guint16 type, const void *data, gsize len)
{
  struct rtattr *rta = (struct rtattr *) (m->buf + NLMSG_ALIGN (m->hdr.nlmsg_len));

  g_assert_cmpuint (NLMSG_ALIGN (m->hdr.nlmsg_len) + RTA_SPACE (len), <=, sizeof m->buf);
  rta->rta_type = type;
  rta->rta_len = RTA_LENGTH (len);
  if (len > 0)
    memcpy (RTA_DATA (rta), data, len);
  m->hdr.nlmsg_len = NLMSG_ALIGN (m->hdr.nlmsg_len) + RTA_LENGTH (len);
}

static void
put_u32 (Msg *m, guint16 type, guint32 value)
{
  put (m, type, &value, sizeof value);
}

static void
put_u16 (Msg *m, guint16 type, guint16 value)
{
  put (m, type, &value, sizeof value);
}

static void
put_u8 (Msg *m, guint16 type, guint8 value)
{
  put (m, type, &value, sizeof value);
}

static void
put_str (Msg *m, guint16 type, const char *value)
{
  put (m, type, value, strlen (value) + 1);
}

static void
put_mac (Msg *m, guint8 last)
{
  guint8 mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, last };
  put (m, IFLA_ADDRESS, mac, sizeof mac);
}

static void
nest_begin (Msg *m, guint16 type)
{
  g_assert_cmpuint (m->n_nests, <, G_N_ELEMENTS (m->nests));
  m->hdr.nlmsg_len = NLMSG_ALIGN (m->hdr.nlmsg_len);
  m->nests[m->n_nests++] = m->hdr.nlmsg_len;
  put (m, type | NLA_F_NESTED, NULL, 0);
}

static void
nest_end (Msg *m)
{
  gsize start = m->nests[--m->n_nests];
  struct rtattr *rta = (struct rtattr *) (m->buf + start);

  rta->rta_len = (unsigned short) (m->hdr.nlmsg_len - start);
}

/* RTM_NEWLINK (or @type) for @index named @name, up unless @down. */
static void
link_msg (Msg *m, guint16 type, int index, const char *name, gboolean up)
{
  struct ifinfomsg *ifi = msg_start (m, type, sizeof *ifi);

  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_flags = up ? IFF_UP | IFF_RUNNING : 0;
  if (name != NULL)
    put_str (m, IFLA_IFNAME, name);
}

static void
put_kind (Msg *m, const char *kind)
{
  nest_begin (m, IFLA_LINKINFO);
  put_str (m, IFLA_INFO_KIND, kind);
}

/* RTM_NEWADDR (or @type) of @text/@prefix on @index. */
static void
addr_msg (Msg *m, guint16 type, guint index, const char *text, guint prefix)
{
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (text);
  struct ifaddrmsg *ifa = msg_start (m, type, sizeof *ifa);
  gboolean v4 = g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV4;

  ifa->ifa_family = v4 ? AF_INET : AF_INET6;
  ifa->ifa_prefixlen = (guint8) prefix;
  ifa->ifa_index = index;
  put (m, IFA_ADDRESS, g_inet_address_to_bytes (addr), g_inet_address_get_native_size (addr));
  if (v4)
    put (m, IFA_LOCAL, g_inet_address_to_bytes (addr), 4);
}

static gboolean
apply (VbInterfaceTable *table, Msg *m)
{
  return vb_interface_table_apply (table, &m->hdr, m->hdr.nlmsg_len);
}

static guint
fake_speed (const char *name, gpointer user_data)
{
  return g_str_has_prefix (name, "eth") ? 1000 : 0;
}

static char *
xml_of (VbInterfaceTable *table, guint index, guint flags)
{
  g_autoptr(VbInterfaceDef) def = vb_interface_table_build_def (table, index);
  char *xml;

  g_assert_nonnull (def);
  xml = vb_interface_def_format (def, flags);
  vb_test_schema_validate (xml, "interface.rng");
  return xml;
}

static void
assert_xml (VbInterfaceTable *table, guint index, guint flags, const char *expected)
{
  g_autofree char *xml = xml_of (table, index, flags);

  g_assert_cmpstr (xml, ==, expected);
}

static gboolean
dirty_has (GArray *dirty, guint index)
{
  for (guint i = 0; i < dirty->len; i++)
    if (g_array_index (dirty, guint, i) == index)
      return TRUE;
  return FALSE;
}

static void
drop_dirty (VbInterfaceTable *table)
{
  g_array_unref (vb_interface_table_take_dirty (table));
}

/* ---- the table ---- */

static void
test_loopback (void)
{
  VbInterfaceTable *table = vb_interface_table_new (fake_speed, NULL);
  guint8 zero[6] = { 0 };
  Msg m;

  link_msg (&m, RTM_NEWLINK, 1, "lo", TRUE);
  put (&m, IFLA_ADDRESS, zero, sizeof zero);
  put_u32 (&m, IFLA_MTU, 65536);
  put_u8 (&m, IFLA_OPERSTATE, IF_OPER_UNKNOWN);
  g_assert_true (apply (table, &m));
  addr_msg (&m, RTM_NEWADDR, 1, "127.0.0.1", 8);
  g_assert_true (apply (table, &m));
  addr_msg (&m, RTM_NEWADDR, 1, "::1", 128);
  g_assert_true (apply (table, &m));
  /* The same address again replaces it rather than adding it twice. */
  g_assert_true (apply (table, &m));

  g_assert_cmpstr (vb_interface_table_get_name (table, 1), ==, "lo");
  g_assert_cmpstr (vb_interface_table_get_mac (table, 1), ==, "00:00:00:00:00:00");
  g_assert_true (vb_interface_table_is_up (table, 1));
  g_assert_cmpuint (vb_interface_table_lookup (table, "lo"), ==, 1);
  g_assert_cmpuint (vb_interface_table_lookup (table, "eth0"), ==, 0);
  assert_xml (table, 1, 0,
              "<interface type='ethernet' name='lo'>\n"
              "  <mtu size='65536'/>\n"
              "  <link state='unknown'/>\n"
              "  <protocol family='ipv4'>\n"
              "    <ip address='127.0.0.1' prefix='8'/>\n"
              "  </protocol>\n"
              "  <protocol family='ipv6'>\n"
              "    <ip address='::1' prefix='128'/>\n"
              "  </protocol>\n"
              "  <mac address='00:00:00:00:00:00'/>\n"
              "</interface>\n");
  /* INACTIVE leaves the live <link> out. */
  assert_xml (table, 1, VB_INTERFACE_XML_INACTIVE,
              "<interface type='ethernet' name='lo'>\n"
              "  <mtu size='65536'/>\n"
              "  <protocol family='ipv4'>\n"
              "    <ip address='127.0.0.1' prefix='8'/>\n"
              "  </protocol>\n"
              "  <protocol family='ipv6'>\n"
              "    <ip address='::1' prefix='128'/>\n"
              "  </protocol>\n"
              "  <mac address='00:00:00:00:00:00'/>\n"
              "</interface>\n");
  vb_interface_table_free (table);
}

/* br0 (3) holding eth0 (2), the VLAN eth1.42 (5) on eth1 (4) and the bond
 * bond0 (6) of eth2 (7) and eth3 (8). */
static VbInterfaceTable *
bridge_table (void)
{
  VbInterfaceTable *table = vb_interface_table_new (fake_speed, NULL);
  Msg m;

  link_msg (&m, RTM_NEWLINK, 3, "br0", TRUE);
  put_mac (&m, 3);
  put_u32 (&m, IFLA_MTU, 1500);
  put_u8 (&m, IFLA_OPERSTATE, IF_OPER_UP);
  put_kind (&m, "bridge");
  nest_begin (&m, IFLA_INFO_DATA);
  put_u32 (&m, IFLA_BR_FORWARD_DELAY, 250);
  put_u32 (&m, IFLA_BR_STP_STATE, 1);
  nest_end (&m);
  nest_end (&m);
  g_assert_true (apply (table, &m));

  link_msg (&m, RTM_NEWLINK, 2, "eth0", TRUE);
  put_mac (&m, 2);
  put_u32 (&m, IFLA_MTU, 1500);
  put_u8 (&m, IFLA_OPERSTATE, IF_OPER_UP);
  put_u32 (&m, IFLA_MASTER, 3);
  g_assert_true (apply (table, &m));

  link_msg (&m, RTM_NEWLINK, 4, "eth1", FALSE);
  put_mac (&m, 4);
  put_u8 (&m, IFLA_OPERSTATE, IF_OPER_DOWN);
  g_assert_true (apply (table, &m));

  link_msg (&m, RTM_NEWLINK, 5, "eth1.42", TRUE);
  put_mac (&m, 4);
  put_u32 (&m, IFLA_MTU, 1496);
  put_u8 (&m, IFLA_OPERSTATE, IF_OPER_LOWERLAYERDOWN);
  put_u32 (&m, IFLA_LINK, 4);
  put_u32 (&m, IFLA_MASTER, 3);
  put_kind (&m, "vlan");
  nest_begin (&m, IFLA_INFO_DATA);
  put_u16 (&m, IFLA_VLAN_ID, 42);
  nest_end (&m);
  nest_end (&m);
  g_assert_true (apply (table, &m));

  link_msg (&m, RTM_NEWLINK, 6, "bond0", TRUE);
  put_mac (&m, 6);
  put_u8 (&m, IFLA_OPERSTATE, IF_OPER_DORMANT);
  put_u32 (&m, IFLA_MASTER, 3);
  put_kind (&m, "bond");
  nest_begin (&m, IFLA_INFO_DATA);
  put_u8 (&m, IFLA_BOND_MODE, 1);
  put_u32 (&m, IFLA_BOND_MIIMON, 100);
  put_u32 (&m, IFLA_BOND_UPDELAY, 10);
  put_u32 (&m, IFLA_BOND_DOWNDELAY, 20);
  put_u8 (&m, IFLA_BOND_USE_CARRIER, 0);
  nest_end (&m);
  nest_end (&m);
  g_assert_true (apply (table, &m));

  for (int i = 7; i <= 8; i++) {
    g_autofree char *name = g_strdup_printf ("eth%d", i - 5);
    link_msg (&m, RTM_NEWLINK, i, name, TRUE);
    put_mac (&m, (guint8) i);
    put_u8 (&m, IFLA_OPERSTATE, IF_OPER_UP);
    put_u32 (&m, IFLA_MASTER, 6);
    g_assert_true (apply (table, &m));
  }

  addr_msg (&m, RTM_NEWADDR, 3, "192.0.2.1", 24);
  g_assert_true (apply (table, &m));
  addr_msg (&m, RTM_NEWADDR, 3, "fe80::5054:ff:feab:cd03", 64);
  g_assert_true (apply (table, &m));
  addr_msg (&m, RTM_NEWADDR, 3, "2001:db8::1", 64);
  g_assert_true (apply (table, &m));
  return table;
}

static void
test_bridge (void)
{
  VbInterfaceTable *table = bridge_table ();
  g_autoptr(GArray) all = vb_interface_table_list (table);

  g_assert_cmpuint (all->len, ==, 7);
  /* The IPv6 link-local address is left out, as netcf did. */
  assert_xml (table, 3, 0,
              "<interface type='bridge' name='br0'>\n"
              "  <mtu size='1500'/>\n"
              "  <protocol family='ipv4'>\n"
              "    <ip address='192.0.2.1' prefix='24'/>\n"
              "  </protocol>\n"
              "  <protocol family='ipv6'>\n"
              "    <ip address='2001:db8::1' prefix='64'/>\n"
              "  </protocol>\n"
              "  <bridge stp='on' delay='2.5'>\n"
              "    <interface type='ethernet' name='eth0'>\n"
              "      <link speed='1000' state='up'/>\n"
              "      <mac address='52:54:00:ab:cd:02'/>\n"
              "    </interface>\n"
              "    <interface type='vlan' name='eth1.42'>\n"
              "      <link state='lowerlayerdown'/>\n"
              "      <vlan tag='42'>\n"
              "        <interface name='eth1'/>\n"
              "      </vlan>\n"
              "    </interface>\n"
              "    <interface type='bond' name='bond0'>\n"
              "      <link state='dormant'/>\n"
              "      <bond mode='active-backup'>\n"
              "        <miimon freq='100' downdelay='20' updelay='10' carrier='ioctl'/>\n"
              "        <interface type='ethernet' name='eth2'>\n"
              "          <link speed='1000' state='up'/>\n"
              "          <mac address='52:54:00:ab:cd:07'/>\n"
              "        </interface>\n"
              "        <interface type='ethernet' name='eth3'>\n"
              "          <link speed='1000' state='up'/>\n"
              "          <mac address='52:54:00:ab:cd:08'/>\n"
              "        </interface>\n"
              "      </bond>\n"
              "    </interface>\n"
              "  </bridge>\n"
              "</interface>\n");
  /* Members are shown on their own too. */
  assert_xml (table, 5, 0,
              "<interface type='vlan' name='eth1.42'>\n"
              "  <mtu size='1496'/>\n"
              "  <link state='lowerlayerdown'/>\n"
              "  <vlan tag='42'>\n"
              "    <interface name='eth1'/>\n"
              "  </vlan>\n"
              "</interface>\n");
  assert_xml (table, 6, VB_INTERFACE_XML_INACTIVE,
              "<interface type='bond' name='bond0'>\n"
              "  <bond mode='active-backup'>\n"
              "    <miimon freq='100' downdelay='20' updelay='10' carrier='ioctl'/>\n"
              "    <interface type='ethernet' name='eth2'>\n"
              "      <mac address='52:54:00:ab:cd:07'/>\n"
              "    </interface>\n"
              "    <interface type='ethernet' name='eth3'>\n"
              "      <mac address='52:54:00:ab:cd:08'/>\n"
              "    </interface>\n"
              "  </bond>\n"
              "</interface>\n");
  /* A port that is down has no speed (drivers report nonsense then). */
  assert_xml (table, 4, 0,
              "<interface type='ethernet' name='eth1'>\n"
              "  <link state='down'/>\n"
              "  <mac address='52:54:00:ab:cd:04'/>\n"
              "</interface>\n");
  for (guint i = 0; i < all->len; i++) {
    g_autofree char *a = xml_of (table, g_array_index (all, guint, i), 0);
    g_autofree char *b = xml_of (table, g_array_index (all, guint, i), VB_INTERFACE_XML_INACTIVE);
    g_autoptr(GError) error = NULL;
    g_autoptr(VbInterfaceDef) back = vb_interface_def_parse (a, &error);
    g_assert_no_error (error);
    g_assert_nonnull (back);
    g_assert_null (strstr (b, "<link"));
  }
  vb_interface_table_free (table);
}

static void
test_bond (void)
{
  VbInterfaceTable *table = vb_interface_table_new (NULL, NULL);
  guint32 target1 = g_htonl (0x0a000001), target2 = g_htonl (0x0a000002);
  Msg m;

  /* ARP monitoring; the first target is shown. */
  link_msg (&m, RTM_NEWLINK, 10, "bond1", TRUE);
  put_kind (&m, "bond");
  nest_begin (&m, IFLA_INFO_DATA);
  put_u8 (&m, IFLA_BOND_MODE, 4);
  put_u32 (&m, IFLA_BOND_ARP_INTERVAL, 200);
  put_u32 (&m, IFLA_BOND_ARP_VALIDATE, 3);
  nest_begin (&m, IFLA_BOND_ARP_IP_TARGET);
  put_u32 (&m, 0, target1);
  put_u32 (&m, 1, target2);
  nest_end (&m);
  nest_end (&m);
  nest_end (&m);
  g_assert_true (apply (table, &m));
  /* Without a member the format has no bond: a plain interface. */
  assert_xml (table, 10, 0, "<interface type='ethernet' name='bond1'/>\n");

  link_msg (&m, RTM_NEWLINK, 11, "eth5", TRUE);
  put_u32 (&m, IFLA_MASTER, 10);
  g_assert_true (apply (table, &m));
  assert_xml (table, 10, 0,
              "<interface type='bond' name='bond1'>\n"
              "  <bond mode='802.3ad'>\n"
              "    <arpmon interval='200' target='10.0.0.1' validate='all'/>\n"
              "    <interface type='ethernet' name='eth5'/>\n"
              "  </bond>\n"
              "</interface>\n");

  /* Values the format does not know are left out: mode 99, the filter
   * variants of arp_validate, a target of the wrong size. */
  link_msg (&m, RTM_NEWLINK, 10, "bond1", TRUE);
  put_kind (&m, "bond");
  nest_begin (&m, IFLA_INFO_DATA);
  put_u8 (&m, IFLA_BOND_MODE, 99);
  put_u32 (&m, IFLA_BOND_ARP_INTERVAL, 200);
  put_u32 (&m, IFLA_BOND_ARP_VALIDATE, 6);
  nest_begin (&m, IFLA_BOND_ARP_IP_TARGET);
  put_u16 (&m, 0, 7);
  put_u32 (&m, 1, target2);
  nest_end (&m);
  nest_end (&m);
  nest_end (&m);
  g_assert_true (apply (table, &m));
  assert_xml (table, 10, 0,
              "<interface type='bond' name='bond1'>\n"
              "  <bond>\n"
              "    <arpmon interval='200' target='10.0.0.2'/>\n"
              "    <interface type='ethernet' name='eth5'/>\n"
              "  </bond>\n"
              "</interface>\n");

  /* ARP monitoring without a target cannot be written. */
  link_msg (&m, RTM_NEWLINK, 10, "bond1", TRUE);
  put_kind (&m, "bond");
  nest_begin (&m, IFLA_INFO_DATA);
  put_u32 (&m, IFLA_BOND_ARP_INTERVAL, 200);
  nest_end (&m);
  nest_end (&m);
  g_assert_true (apply (table, &m));
  assert_xml (table, 10, 0,
              "<interface type='bond' name='bond1'>\n"
              "  <bond>\n"
              "    <interface type='ethernet' name='eth5'/>\n"
              "  </bond>\n"
              "</interface>\n");
  vb_interface_table_free (table);
}

static void
test_vlan (void)
{
  VbInterfaceTable *table = vb_interface_table_new (NULL, NULL);
  Msg m;

  link_msg (&m, RTM_NEWLINK, 2, "eth0", TRUE);
  put_mac (&m, 2);
  g_assert_true (apply (table, &m));

  link_msg (&m, RTM_NEWLINK, 20, "vlan7", TRUE);
  put_mac (&m, 2);
  put_u32 (&m, IFLA_LINK, 2);
  put_kind (&m, "vlan");
  nest_begin (&m, IFLA_INFO_DATA);
  put_u16 (&m, IFLA_VLAN_ID, 7);
  nest_end (&m);
  nest_end (&m);
  g_assert_true (apply (table, &m));
  assert_xml (table, 20, 0,
              "<interface type='vlan' name='vlan7'>\n"
              "  <vlan tag='7'>\n"
              "    <interface name='eth0'/>\n"
              "  </vlan>\n"
              "</interface>\n");

  /* A rename of the link marks the VLANs on it. */
  drop_dirty (table);
  link_msg (&m, RTM_NEWLINK, 2, "lan0", TRUE);
  put_mac (&m, 2);
  g_assert_true (apply (table, &m));
  {
    g_autoptr(GArray) dirty = vb_interface_table_take_dirty (table);
    g_assert_true (dirty_has (dirty, 2));
    g_assert_true (dirty_has (dirty, 20));
  }
  assert_xml (table, 20, 0,
              "<interface type='vlan' name='vlan7'>\n"
              "  <vlan tag='7'>\n"
              "    <interface name='lan0'/>\n"
              "  </vlan>\n"
              "</interface>\n");

  /* On a link of another namespace, or with a tag out of range: shown
   * as a plain interface. */
  link_msg (&m, RTM_NEWLINK, 21, "vlan8", TRUE);
  put_u32 (&m, IFLA_LINK, 2);
  put_u32 (&m, IFLA_LINK_NETNSID, 0);
  put_kind (&m, "vlan");
  nest_begin (&m, IFLA_INFO_DATA);
  put_u16 (&m, IFLA_VLAN_ID, 8);
  nest_end (&m);
  nest_end (&m);
  g_assert_true (apply (table, &m));
  assert_xml (table, 21, 0, "<interface type='ethernet' name='vlan8'/>\n");
  link_msg (&m, RTM_NEWLINK, 22, "vlan9", TRUE);
  put_u32 (&m, IFLA_LINK, 2);
  put_kind (&m, "vlan");
  nest_begin (&m, IFLA_INFO_DATA);
  put_u16 (&m, IFLA_VLAN_ID, 5000);
  nest_end (&m);
  nest_end (&m);
  g_assert_true (apply (table, &m));
  assert_xml (table, 22, 0, "<interface type='ethernet' name='vlan9'/>\n");
  vb_interface_table_free (table);
}

static void
test_changes (void)
{
  VbInterfaceTable *table = bridge_table ();
  Msg m;

  drop_dirty (table);
  /* A member's change marks its bridge, and a bond member's the bond and
   * the bridge holding it. */
  link_msg (&m, RTM_NEWLINK, 7, "eth2", FALSE);
  put_mac (&m, 7);
  put_u8 (&m, IFLA_OPERSTATE, IF_OPER_DOWN);
  put_u32 (&m, IFLA_MASTER, 6);
  g_assert_true (apply (table, &m));
  {
    g_autoptr(GArray) dirty = vb_interface_table_take_dirty (table);
    g_assert_cmpuint (dirty->len, ==, 3);
    g_assert_true (dirty_has (dirty, 7) && dirty_has (dirty, 6) && dirty_has (dirty, 3));
  }
  g_assert_false (vb_interface_table_is_up (table, 7));

  /* eth0 leaves br0 for bond0: both are marked, and both show it. */
  link_msg (&m, RTM_NEWLINK, 2, "eth0", TRUE);
  put_mac (&m, 2);
  put_u32 (&m, IFLA_MASTER, 6);
  g_assert_true (apply (table, &m));
  {
    g_autoptr(GArray) dirty = vb_interface_table_take_dirty (table);
    g_autofree char *br = xml_of (table, 3, 0);
    g_autofree char *bond = xml_of (table, 6, 0);
    g_assert_true (dirty_has (dirty, 2) && dirty_has (dirty, 3) && dirty_has (dirty, 6));
    g_assert_nonnull (strstr (bond, "name='eth0'"));
    /* Not a port of br0 any more, but in its bond. */
    g_assert_null (strstr (br, "\n    <interface type='ethernet' name='eth0'>"));
    g_assert_nonnull (strstr (br, "\n        <interface type='ethernet' name='eth0'>"));
  }

  /* Bridges report their ports as AF_BRIDGE messages, RTM_DELLINK when
   * a port leaves: that is no removal of the link. */
  {
    struct ifinfomsg *ifi = msg_start (&m, RTM_DELLINK, sizeof *ifi);
    ifi->ifi_family = AF_BRIDGE;
    ifi->ifi_index = 2;
    put_str (&m, IFLA_IFNAME, "eth0");
    g_assert_false (apply (table, &m));
    g_assert_true (vb_interface_table_has (table, 2));
  }

  /* Addresses come and go. */
  addr_msg (&m, RTM_DELADDR, 3, "192.0.2.1", 24);
  g_assert_true (apply (table, &m));
  g_assert_false (apply (table, &m));
  addr_msg (&m, RTM_DELADDR, 3, "2001:db8::1", 64);
  g_assert_true (apply (table, &m));
  {
    g_autofree char *br = xml_of (table, 3, 0);
    g_assert_null (strstr (br, "<protocol"));
  }
  /* The IPv4 local address, not the peer's, on a point-to-point link. */
  {
    guint8 local[4] = { 10, 1, 1, 1 }, peer[4] = { 10, 1, 1, 2 };
    struct ifaddrmsg *ifa = msg_start (&m, RTM_NEWADDR, sizeof *ifa);
    g_autofree char *xml = NULL;
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = 32;
    ifa->ifa_index = 4;
    put (&m, IFA_ADDRESS, peer, 4);
    put (&m, IFA_LOCAL, local, 4);
    g_assert_true (apply (table, &m));
    xml = xml_of (table, 4, 0);
    g_assert_nonnull (strstr (xml, "<ip address='10.1.1.1' prefix='32'/>"));
  }

  /* Removal: the link, its addresses, and its bridge is marked. */
  drop_dirty (table);
  link_msg (&m, RTM_DELLINK, 5, "eth1.42", TRUE);
  g_assert_true (apply (table, &m));
  g_assert_false (vb_interface_table_has (table, 5));
  g_assert_false (apply (table, &m));
  {
    g_autoptr(GArray) dirty = vb_interface_table_take_dirty (table);
    g_assert_true (dirty_has (dirty, 5) && dirty_has (dirty, 3));
  }
  g_assert_null (vb_interface_table_build_def (table, 5));

  /* Up/down recorded ahead of the kernel's notification. */
  vb_interface_table_set_up (table, 4, TRUE);
  g_assert_true (vb_interface_table_is_up (table, 4));
  vb_interface_table_set_up (table, 4, FALSE);
  g_assert_false (vb_interface_table_is_up (table, 4));
  vb_interface_table_set_up (table, 999, TRUE);

  /* A dump: what it does not mention is gone at its end; the address
   * dump starts from nothing. */
  vb_interface_table_begin_links (table);
  link_msg (&m, RTM_NEWLINK, 3, "br0", TRUE);
  put_kind (&m, "bridge");
  nest_end (&m);
  g_assert_true (apply (table, &m));
  link_msg (&m, RTM_NEWLINK, 4, "eth1", TRUE);
  g_assert_true (apply (table, &m));
  vb_interface_table_end_links (table);
  {
    g_autoptr(GArray) all = vb_interface_table_list (table);
    g_assert_cmpuint (all->len, ==, 2);
    g_assert_cmpuint (g_array_index (all, guint, 0), ==, 3);
    g_assert_cmpuint (g_array_index (all, guint, 1), ==, 4);
  }
  vb_interface_table_begin_addresses (table);
  {
    g_autofree char *xml = xml_of (table, 4, 0);
    g_assert_null (strstr (xml, "<protocol"));
  }
  vb_interface_table_free (table);
}

/* Messages that do not hold together change nothing. */
static void
test_hostile (void)
{
  static const char *const bad_names[] = {
    "", "..", ".", "a/b", "a b", "a\tb", "eth0\n", "abcdefghijklmnop", "\xc3\xa4th0", "$(reboot)", "a'b", "a<b", "a:b",
  };
  VbInterfaceTable *table = bridge_table ();
  g_autofree char *before = xml_of (table, 3, 0);
  g_autoptr(GArray) all_before = vb_interface_table_list (table);
  Msg m;

  /* Headers: shorter than a header, longer than received, too short. */
  link_msg (&m, RTM_NEWLINK, 9, "eth9", TRUE);
  g_assert_false (vb_interface_table_apply (table, &m.hdr, 8));
  g_assert_false (vb_interface_table_apply (table, &m.hdr, m.hdr.nlmsg_len - 1));
  m.hdr.nlmsg_len = 4;
  g_assert_false (vb_interface_table_apply (table, &m.hdr, sizeof m.buf));
  msg_start (&m, RTM_NEWLINK, 4);
  g_assert_false (apply (table, &m));
  msg_start (&m, RTM_NEWADDR, 2);
  g_assert_false (apply (table, &m));
  msg_start (&m, RTM_NEWROUTE, 12);
  g_assert_false (apply (table, &m));

  /* Indexes. */
  link_msg (&m, RTM_NEWLINK, 0, "eth9", TRUE);
  g_assert_false (apply (table, &m));
  link_msg (&m, RTM_NEWLINK, -5, "eth9", TRUE);
  g_assert_false (apply (table, &m));
  link_msg (&m, RTM_DELLINK, 12345, "eth9", TRUE);
  g_assert_false (apply (table, &m));

  /* Attributes whose length lies. */
  link_msg (&m, RTM_NEWLINK, 9, "eth9", TRUE);
  ((struct rtattr *) IFLA_RTA ((struct ifinfomsg *) NLMSG_DATA (&m.hdr)))->rta_len = 2;
  g_assert_false (apply (table, &m));
  link_msg (&m, RTM_NEWLINK, 9, "eth9", TRUE);
  ((struct rtattr *) IFLA_RTA ((struct ifinfomsg *) NLMSG_DATA (&m.hdr)))->rta_len = 200;
  g_assert_false (apply (table, &m));

  /* Names: missing, unterminated, too long, or not a name virtbus shows. */
  link_msg (&m, RTM_NEWLINK, 9, NULL, TRUE);
  put_mac (&m, 9);
  g_assert_false (apply (table, &m));
  link_msg (&m, RTM_NEWLINK, 9, NULL, TRUE);
  put (&m, IFLA_IFNAME, "eth9", 4);
  g_assert_false (apply (table, &m));
  for (guint i = 0; i < G_N_ELEMENTS (bad_names); i++) {
    link_msg (&m, RTM_NEWLINK, 9, bad_names[i], TRUE);
    g_assert_false (apply (table, &m));
  }

  /* Addresses: family, prefix, size, link. */
  addr_msg (&m, RTM_NEWADDR, 3, "192.0.2.9", 33);
  g_assert_false (apply (table, &m));
  addr_msg (&m, RTM_NEWADDR, 3, "2001:db8::9", 129);
  g_assert_false (apply (table, &m));
  addr_msg (&m, RTM_NEWADDR, 77, "192.0.2.9", 24);
  g_assert_false (apply (table, &m));
  addr_msg (&m, RTM_NEWADDR, 3, "192.0.2.9", 24);
  ((struct ifaddrmsg *) NLMSG_DATA (&m.hdr))->ifa_family = AF_PACKET;
  g_assert_false (apply (table, &m));
  {
    guint8 five[5] = { 1, 2, 3, 4, 5 };
    struct ifaddrmsg *ifa = msg_start (&m, RTM_NEWADDR, sizeof *ifa);
    ifa->ifa_family = AF_INET;
    ifa->ifa_index = 3;
    put (&m, IFA_LOCAL, five, sizeof five);
    g_assert_false (apply (table, &m));
    msg_start (&m, RTM_NEWADDR, sizeof *ifa);
    ifa->ifa_family = AF_INET6;
    ifa->ifa_index = 3;
    g_assert_false (apply (table, &m));
  }

  {
    g_autofree char *after = xml_of (table, 3, 0);
    g_autoptr(GArray) all_after = vb_interface_table_list (table);
    g_assert_cmpstr (after, ==, before);
    g_assert_cmpuint (all_after->len, ==, all_before->len);
  }

  /* Values out of range are left out, the rest is kept. */
  link_msg (&m, RTM_NEWLINK, 9, "tun9", TRUE);
  put_u16 (&m, IFLA_MTU, 1500);
  put_u8 (&m, IFLA_OPERSTATE, 200);
  put (&m, IFLA_ADDRESS, "\x0a\x00\x00\x01", 4);
  put_u32 (&m, IFLA_MASTER, 9);
  put_kind (&m, "\x01weird");
  nest_end (&m);
  g_assert_true (apply (table, &m));
  assert_xml (table, 9, 0, "<interface type='ethernet' name='tun9'/>\n");
  g_assert_null (vb_interface_table_get_mac (table, 9));
  link_msg (&m, RTM_NEWLINK, 9, "tun9", TRUE);
  nest_begin (&m, IFLA_LINKINFO);
  put (&m, IFLA_INFO_KIND, "bridgebridgebridgebridgebridgebridge", 36);
  nest_end (&m);
  g_assert_true (apply (table, &m));
  assert_xml (table, 9, 0, "<interface type='ethernet' name='tun9'/>\n");
  /* A truncated nest keeps what came before it. */
  link_msg (&m, RTM_NEWLINK, 9, "tun9", TRUE);
  put_kind (&m, "bridge");
  nest_begin (&m, IFLA_INFO_DATA);
  put_u32 (&m, IFLA_BR_STP_STATE, 0);
  nest_end (&m);
  nest_end (&m);
  ((struct rtattr *) (m.buf + m.hdr.nlmsg_len - 8))->rta_len = 60;
  g_assert_true (apply (table, &m));
  assert_xml (table, 9, 0, "<interface type='bridge' name='tun9'>\n  <bridge/>\n</interface>\n");

  /* Renamed to a name virtbus does not show: as if it were gone, and its
   * bridge is told. */
  drop_dirty (table);
  link_msg (&m, RTM_NEWLINK, 2, "eth 0", TRUE);
  g_assert_false (apply (table, &m));
  g_assert_false (vb_interface_table_has (table, 2));
  {
    g_autoptr(GArray) dirty = vb_interface_table_take_dirty (table);
    g_assert_true (dirty_has (dirty, 2) && dirty_has (dirty, 3));
  }
  vb_interface_table_free (table);
}

static void
drop_log (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
}

static void
assert_all_valid (VbInterfaceTable *table)
{
  g_autoptr(GArray) all = vb_interface_table_list (table);

  for (guint i = 0; i < all->len; i++) {
    g_autofree char *xml = xml_of (table, g_array_index (all, guint, i), 0);
    g_autoptr(GError) error = NULL;
    g_autoptr(VbInterfaceDef) back = vb_interface_def_parse (xml, &error);
    g_assert_no_error (error);
    g_assert_nonnull (back);
  }
}

/* Random bytes behind valid-looking headers: no crash, no invalid XML. */
static void
test_random (void)
{
  static const guint16 types[] = { RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR };
  VbInterfaceTable *table = vb_interface_table_new (fake_speed, NULL);
  /* A debug message per skipped message would flood the log. */
  guint handler = g_log_set_handler ("virtbus-interface", G_LOG_LEVEL_DEBUG, drop_log, NULL);
  Msg m;

  for (guint round = 0; round < 20000; round++) {
    gsize len = (gsize) g_test_rand_int_range (0, 512);
    struct ifinfomsg *ifi;

    msg_start (&m, types[round % G_N_ELEMENTS (types)], 0);
    for (gsize i = sizeof m.hdr; i < sizeof m.hdr + len; i++)
      m.buf[i] = (guint8) g_test_rand_int_range (0, 256);
    m.hdr.nlmsg_len = (guint32) (sizeof m.hdr + len);
    ifi = NLMSG_DATA (&m.hdr);
    /* Often enough a plausible start, so the attributes get parsed. */
    if (len >= sizeof *ifi && round % 2 == 0) {
      if (m.hdr.nlmsg_type == RTM_NEWLINK || m.hdr.nlmsg_type == RTM_DELLINK) {
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = g_test_rand_int_range (1, 16);
      } else {
        struct ifaddrmsg *ifa = (struct ifaddrmsg *) ifi;
        ifa->ifa_family = round % 4 == 2 ? AF_INET : AF_INET6;
        ifa->ifa_index = (guint32) g_test_rand_int_range (1, 16);
      }
    }
    vb_interface_table_apply (table, &m.hdr, sizeof m.hdr + len);
  }
  g_log_remove_handler ("virtbus-interface", handler);
  assert_all_valid (table);
  vb_interface_table_free (table);
}

/* Valid messages of every kind, for test_mutated. */
static GArray *
seed_messages (void)
{
  GArray *seeds = g_array_new (FALSE, TRUE, sizeof (Msg));
  guint32 target = g_htonl (0x0a000001);
  Msg m;

  link_msg (&m, RTM_NEWLINK, 1, "br0", TRUE);
  put_mac (&m, 1);
  put_u32 (&m, IFLA_MTU, 1500);
  put_u8 (&m, IFLA_OPERSTATE, IF_OPER_UP);
  put_kind (&m, "bridge");
  nest_begin (&m, IFLA_INFO_DATA);
  put_u32 (&m, IFLA_BR_FORWARD_DELAY, 1500);
  put_u32 (&m, IFLA_BR_STP_STATE, 1);
  nest_end (&m);
  nest_end (&m);
  g_array_append_val (seeds, m);

  link_msg (&m, RTM_NEWLINK, 2, "eth0", TRUE);
  put_mac (&m, 2);
  put_u8 (&m, IFLA_OPERSTATE, IF_OPER_UP);
  put_u32 (&m, IFLA_MASTER, 1);
  g_array_append_val (seeds, m);

  link_msg (&m, RTM_NEWLINK, 3, "eth0.5", TRUE);
  put_u32 (&m, IFLA_LINK, 2);
  put_u32 (&m, IFLA_MASTER, 1);
  put_kind (&m, "vlan");
  nest_begin (&m, IFLA_INFO_DATA);
  put_u16 (&m, IFLA_VLAN_ID, 5);
  nest_end (&m);
  nest_end (&m);
  g_array_append_val (seeds, m);

  link_msg (&m, RTM_NEWLINK, 4, "bond0", TRUE);
  put_u32 (&m, IFLA_MASTER, 1);
  put_kind (&m, "bond");
  nest_begin (&m, IFLA_INFO_DATA);
  put_u8 (&m, IFLA_BOND_MODE, 2);
  put_u32 (&m, IFLA_BOND_ARP_INTERVAL, 100);
  nest_begin (&m, IFLA_BOND_ARP_IP_TARGET);
  put_u32 (&m, 0, target);
  nest_end (&m);
  nest_end (&m);
  nest_end (&m);
  g_array_append_val (seeds, m);

  link_msg (&m, RTM_NEWLINK, 5, "eth1", TRUE);
  put_u32 (&m, IFLA_MASTER, 4);
  g_array_append_val (seeds, m);

  addr_msg (&m, RTM_NEWADDR, 1, "192.0.2.1", 24);
  g_array_append_val (seeds, m);
  addr_msg (&m, RTM_NEWADDR, 1, "2001:db8::1", 64);
  g_array_append_val (seeds, m);
  addr_msg (&m, RTM_DELADDR, 1, "192.0.2.1", 24);
  g_array_append_val (seeds, m);
  link_msg (&m, RTM_DELLINK, 2, "eth0", TRUE);
  g_array_append_val (seeds, m);
  return seeds;
}

/* Valid messages with a few bytes changed or cut short: no crash, and
 * every definition stays valid. */
static void
test_mutated (void)
{
  g_autoptr(GArray) seeds = seed_messages ();
  VbInterfaceTable *table = vb_interface_table_new (fake_speed, NULL);
  guint handler = g_log_set_handler ("virtbus-interface", G_LOG_LEVEL_DEBUG, drop_log, NULL);
  Msg m;

  for (guint round = 0; round < 50000; round++) {
    gsize len;

    m = g_array_index (seeds, Msg, (guint) g_test_rand_int_range (0, (gint32) seeds->len));
    len = m.hdr.nlmsg_len;
    /* The header stays mostly intact, so the attributes are reached. */
    for (int flips = g_test_rand_int_range (0, 5); flips > 0; flips--)
      m.buf[g_test_rand_int_range (round % 3 == 0 ? 0 : (gint32) sizeof m.hdr + 4, (gint32) len)] =
        (guint8) g_test_rand_int_range (0, 256);
    if (round % 4 == 0)
      len = (gsize) g_test_rand_int_range (0, (gint32) len + 1);
    vb_interface_table_apply (table, &m.hdr, len);
    if (round % 5000 == 0)
      assert_all_valid (table);
  }
  g_log_remove_handler ("virtbus-interface", handler);
  assert_all_valid (table);
  {
    g_autoptr(GArray) all = vb_interface_table_list (table);
    g_test_message ("%u interfaces at the end", all->len);
  }
  vb_interface_table_free (table);
}

/* ---- the real thing, in a network namespace ---- */

#define TEST_TYPE_HOST (test_host_get_type ())
G_DECLARE_FINAL_TYPE (TestHost, test_host, TEST, HOST, VbBackend)

struct _TestHost {
  VbBackend parent_instance;
};

G_DEFINE_FINAL_TYPE_WITH_CODE (TestHost, test_host, VB_TYPE_BACKEND,
                               G_IMPLEMENT_INTERFACE (VB_TYPE_INTERFACE_OPS, vb_interface_local_ops_init))

static void
test_host_class_init (TestHostClass *klass)
{
}

static void
test_host_init (TestHost *self)
{
}

typedef struct {
  GAsyncResult *result;
} Wait;

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *w = user_data;

  w->result = g_object_ref (result);
}

/* Runs the main loop until @expr holds, 10 s at most. */
#define WAIT_UNTIL(expr)                                                      \
  G_STMT_START {                                                              \
    gint64 end_ = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;              \
    while (!(expr) && g_get_monotonic_time () < end_)                         \
      if (!g_main_context_iteration (NULL, FALSE))                            \
        g_usleep (2000);                                                      \
    g_assert_true (expr);                                                     \
  }                                                                           \
  G_STMT_END

static GTask *
task_for (VbBackend *backend, Wait *w)
{
  memset (w, 0, sizeof *w);
  return g_task_new (backend, NULL, on_done, w);
}

static VbInterfaceOpsInterface *
ops_of (VbBackend *backend)
{
  return g_type_interface_peek (G_OBJECT_GET_CLASS (backend), VB_TYPE_INTERFACE_OPS);
}

static char *
get_xml (VbBackend *backend, VbObj *obj, guint flags, GError **error)
{
  Wait w;
  g_autoptr(GTask) task = task_for (backend, &w);
  char *xml;

  ops_of (backend)->get_xml_desc (backend, obj, flags, task);
  WAIT_UNTIL (w.result != NULL);
  xml = g_task_propagate_pointer (G_TASK (w.result), error);
  g_object_unref (w.result);
  return xml;
}

/* Create (@up) or Destroy. */
static gboolean
set_up (VbBackend *backend, VbObj *obj, gboolean up, guint flags, GError **error)
{
  Wait w;
  g_autoptr(GTask) task = task_for (backend, &w);
  gboolean ok;

  if (up)
    ops_of (backend)->create (backend, obj, flags, task);
  else
    ops_of (backend)->destroy (backend, obj, flags, task);
  WAIT_UNTIL (w.result != NULL);
  ok = g_task_propagate_boolean (G_TASK (w.result), error);
  g_object_unref (w.result);
  return ok;
}

static void
assert_not_supported (Wait *w)
{
  g_autoptr(GError) error = NULL;

  WAIT_UNTIL (w->result != NULL);
  g_assert_false (g_task_propagate_boolean (G_TASK (w->result), &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "managed outside virtbus"));
  g_object_unref (w->result);
}

static void
ip (const char *args)
{
  g_autofree char *cmd = g_strdup_printf ("ip %s", args);
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_command_line_sync (cmd, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s: %s", cmd, err);
}

static char *
ip_output (const char *args)
{
  g_autofree char *cmd = g_strdup_printf ("ip %s", args);
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  g_spawn_command_line_sync (cmd, &out, NULL, NULL, &error);
  g_assert_no_error (error);
  return out;
}

static VbObj *
by_name (VbBackend *backend, const char *name)
{
  return vb_backend_lookup_by_name (backend, VB_OBJ_INTERFACE, name);
}

static gboolean
xml_has (VbBackend *backend, const char *name, const char *needle)
{
  VbObj *obj = by_name (backend, name);
  g_autofree char *xml = obj ? get_xml (backend, obj, 0, NULL) : NULL;

  return xml != NULL && strstr (xml, needle) != NULL;
}

static void
on_object_event (VbBackend *backend, VbObj *obj, gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
on_notify (GObject *obj, GParamSpec *pspec, gpointer user_data)
{
  (*(guint *) user_data)++;
}

/* A network namespace and a sysfs of its own (sysfs shows the namespace
 * of whoever mounted it), for this subprocess only. */
static void
enter_namespace (void)
{
  g_assert_cmpint (unshare (CLONE_NEWNET | CLONE_NEWNS), ==, 0);
  g_assert_cmpint (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), ==, 0);
  g_assert_cmpint (umount2 ("/sys", MNT_DETACH), ==, 0);
  g_assert_cmpint (mount ("sysfs", "/sys", "sysfs", 0, NULL), ==, 0);
}

static void
live_in_namespace (void)
{
  g_autoptr(VbBackend) backend = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;
  guint added = 0, removed = 0, notified = 0;
  VbObj *br0, *v0, *v1, *v2, *lo, *br1;
  Wait w;

  enter_namespace ();
  ip ("link add br0 address 02:00:00:00:00:01 type bridge stp_state 0 forward_delay 1000");
  ip ("link add v0 address 02:00:00:00:00:10 type veth peer name v1 address 02:00:00:00:00:11");
  ip ("link set v0 master br0");
  ip ("link add m0 link v1 address 02:00:00:00:00:20 type macvlan mode bridge");
  ip ("addr add 192.0.2.1/24 dev br0");
  ip ("addr add 2001:db8::1/64 dev br0 nodad");
  ip ("link set br0 up");
  ip ("link set v0 up");
  ip ("link set v1 up");

  backend = g_object_new (TEST_TYPE_HOST, "driver", "QEMU", "uri", "qemu:///system", NULL);
  g_signal_connect (backend, "object-added", G_CALLBACK (on_object_event), &added);
  g_signal_connect (backend, "object-removed", G_CALLBACK (on_object_event), &removed);
  {
    memset (&w, 0, sizeof w);
    vb_interface_local_load_async (backend, NULL, on_done, &w);
    WAIT_UNTIL (w.result != NULL);
    g_assert_true (vb_interface_local_load_finish (backend, w.result, &error));
    g_assert_no_error (error);
    g_clear_object (&w.result);
  }
  /* A second load is refused. */
  memset (&w, 0, sizeof w);
  vb_interface_local_load_async (backend, NULL, on_done, &w);
  WAIT_UNTIL (w.result != NULL);
  g_assert_false (vb_interface_local_load_finish (backend, w.result, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID);
  g_clear_error (&error);
  g_clear_object (&w.result);

  /* What was there, lo included; each by MAC, active as IFF_UP says. */
  all = vb_backend_list (backend, VB_OBJ_INTERFACE);
  g_assert_cmpuint (added, ==, all->len);
  lo = by_name (backend, "lo");
  br0 = by_name (backend, "br0");
  v0 = by_name (backend, "v0");
  v1 = by_name (backend, "v1");
  g_assert_nonnull (lo);
  g_assert_nonnull (br0);
  g_assert_nonnull (v0);
  g_assert_nonnull (v1);
  g_assert_nonnull (by_name (backend, "m0"));
  g_assert_cmpstr (lo->key, ==, "00:00:00:00:00:00");
  g_assert_false (lo->active);
  g_assert_true (lo->persistent);
  g_assert_cmpstr (br0->key, ==, "02:00:00:00:00:01");
  g_assert_true (br0->active);
  g_assert_cmpstr (v0->key, ==, "02:00:00:00:00:10");
  g_assert_true (vb_backend_lookup (backend, VB_OBJ_INTERFACE, "02:00:00:00:00:20") == by_name (backend, "m0"));

  /* Every definition is valid, with and without the live data. */
  for (guint i = 0; i < all->len; i++) {
    VbObj *obj = g_ptr_array_index (all, i);
    g_autofree char *live = get_xml (backend, obj, 0, &error);
    g_autofree char *inactive = get_xml (backend, obj, VB_INTERFACE_GET_XML_INACTIVE, &error);

    g_assert_no_error (error);
    vb_test_schema_validate (live, "interface.rng");
    vb_test_schema_validate (inactive, "interface.rng");
    g_assert_null (strstr (inactive, "<link"));
  }
  g_assert_null (get_xml (backend, br0, 2, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_UNSUPPORTED_FLAGS);
  g_clear_error (&error);

  /* The bridge with its port; addresses without the link-local one. The
   * carrier of a veth comes up a moment after the link. */
  WAIT_UNTIL (xml_has (backend, "v0", "<link speed='10000' state='up'/>"));
  {
    g_autofree char *xml = get_xml (backend, br0, 0, &error);
    const char *expected =
      "<interface type='bridge' name='br0'>\n"
      "  <mtu size='1500'/>\n"
      "  <protocol family='ipv4'>\n"
      "    <ip address='192.0.2.1' prefix='24'/>\n"
      "  </protocol>\n"
      "  <protocol family='ipv6'>\n"
      "    <ip address='2001:db8::1' prefix='64'/>\n"
      "  </protocol>\n"
      "  <bridge stp='off' delay='10'>\n"
      "    <interface type='ethernet' name='v0'>\n"
      "      <link speed='10000' state='up'/>\n"
      "      <mac address='02:00:00:00:00:10'/>\n"
      "    </interface>\n"
      "  </bridge>\n"
      "</interface>\n";
    g_assert_no_error (error);
    g_assert_cmpstr (xml, ==, expected);
  }
  g_assert_true (xml_has (backend, "lo", "<mac address='00:00:00:00:00:00'/>"));
  g_assert_true (xml_has (backend, "m0", "<interface type='ethernet' name='m0'>"));

  /* Destroy and Create: the link goes down and up, Active follows before
   * the reply. */
  g_signal_connect (v1, "notify::active", G_CALLBACK (on_notify), &notified);
  g_assert_true (set_up (backend, v1, FALSE, 0, &error));
  g_assert_no_error (error);
  g_assert_false (v1->active);
  g_assert_cmpuint (notified, ==, 1);
  {
    g_autofree char *out = ip_output ("-o link show v1");
    g_assert_null (strstr (out, ",UP"));
  }
  g_assert_false (set_up (backend, v1, FALSE, 0, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID);
  g_assert_nonnull (strstr (error->message, "interface 'v1' is not active"));
  g_clear_error (&error);
  g_assert_true (set_up (backend, v1, TRUE, 0, &error));
  g_assert_no_error (error);
  g_assert_true (v1->active);
  {
    g_autofree char *out = ip_output ("-o link show v1");
    g_assert_nonnull (strstr (out, ",UP"));
  }
  g_assert_false (set_up (backend, v1, TRUE, 0, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID);
  g_assert_nonnull (strstr (error->message, "interface 'v1' is already active"));
  g_clear_error (&error);
  g_assert_false (set_up (backend, v1, FALSE, 1, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_UNSUPPORTED_FLAGS);
  g_clear_error (&error);
  /* The notifications that followed change nothing more. */
  notified = 0;
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (v1->active);

  /* The host's configuration is not ours to define. */
  {
    g_autoptr(GTask) task = task_for (backend, &w);
    ops_of (backend)->define_xml (backend, "<interface type='ethernet' name='x'/>", 0, task);
    assert_not_supported (&w);
  }
  {
    g_autoptr(GTask) task = task_for (backend, &w);
    ops_of (backend)->undefine (backend, v1, task);
    assert_not_supported (&w);
  }
  {
    g_autoptr(GTask) task = task_for (backend, &w);
    ops_of (backend)->change_begin (backend, 0, task);
    assert_not_supported (&w);
  }
  {
    g_autoptr(GTask) task = task_for (backend, &w);
    ops_of (backend)->change_commit (backend, 0, task);
    assert_not_supported (&w);
  }
  {
    g_autoptr(GTask) task = task_for (backend, &w);
    ops_of (backend)->change_rollback (backend, 0, task);
    assert_not_supported (&w);
  }
  g_assert_true (by_name (backend, "v1") == v1);

  /* Behind the daemon's back. Brought down: Active follows. */
  ip ("link set v1 down");
  WAIT_UNTIL (!v1->active);
  g_assert_cmpuint (notified, ==, 1);
  /* A change made just before GetXMLDesc is in its answer, main loop or not. */
  ip ("addr add 198.51.100.7/24 dev v1");
  ip ("link set v1 mtu 1400");
  {
    g_autofree char *xml = get_xml (backend, v1, 0, &error);
    g_assert_nonnull (strstr (xml, "<ip address='198.51.100.7' prefix='24'/>"));
    g_assert_nonnull (strstr (xml, "<mtu size='1400'/>"));
  }
  ip ("addr del 198.51.100.7/24 dev v1");
  WAIT_UNTIL (!xml_has (backend, "v1", "198.51.100.7"));

  /* Added, renamed (same object, same key), re-addressed (a new key, so a
   * new object), made a port, removed. */
  added = removed = 0;
  ip ("link add v2 address 02:00:00:00:00:30 type veth peer name v3 address 02:00:00:00:00:31");
  WAIT_UNTIL (by_name (backend, "v2") != NULL && by_name (backend, "v3") != NULL);
  g_assert_cmpuint (added, ==, 2);
  v2 = by_name (backend, "v2");
  g_assert_false (v2->active);
  ip ("link set v2 name v2x");
  WAIT_UNTIL (by_name (backend, "v2x") != NULL);
  g_assert_null (by_name (backend, "v2"));
  g_assert_true (by_name (backend, "v2x") == v2);
  g_assert_cmpstr (v2->name, ==, "v2x");
  g_assert_cmpstr (v2->key, ==, "02:00:00:00:00:30");
  ip ("link set v2x address 02:00:00:00:00:32");
  WAIT_UNTIL (vb_backend_lookup (backend, VB_OBJ_INTERFACE, "02:00:00:00:00:32") != NULL);
  g_assert_null (vb_backend_lookup (backend, VB_OBJ_INTERFACE, "02:00:00:00:00:30"));
  g_assert_cmpstr (by_name (backend, "v2x")->key, ==, "02:00:00:00:00:32");
  g_assert_cmpuint (removed, ==, 1);
  ip ("link set v3 master br0");
  WAIT_UNTIL (xml_has (backend, "br0", "name='v3'"));
  ip ("link del v2x");
  WAIT_UNTIL (by_name (backend, "v2x") == NULL && by_name (backend, "v3") == NULL);
  WAIT_UNTIL (!xml_has (backend, "br0", "name='v3'"));
  g_assert_cmpuint (removed, ==, 3);

  /* A MAC another interface has as its key: keyed by name instead. */
  ip ("link add br1 address 02:00:00:00:00:11 type bridge");
  WAIT_UNTIL (by_name (backend, "br1") != NULL);
  br1 = by_name (backend, "br1");
  g_assert_cmpstr (br1->key, ==, "br1");
  g_assert_true (vb_backend_lookup (backend, VB_OBJ_INTERFACE, "02:00:00:00:00:11") == v1);
  /* ... and keeps it when renamed to a name a moment ago another's. */
  ip ("link del m0");
  ip ("link set br1 name m0");
  WAIT_UNTIL (by_name (backend, "m0") != NULL && by_name (backend, "br1") == NULL);
  g_assert_cmpstr (by_name (backend, "m0")->key, ==, "m0");
  g_assert_true (vb_backend_lookup (backend, VB_OBJ_INTERFACE, "br1") == NULL);

  /* Stopped: nothing is followed any more, the objects show what was
   * last seen, and cannot be started or stopped. */
  vb_interface_local_stop (backend);
  ip ("link add v4 type veth peer name v5");
  ip ("link set v1 up");
  for (int i = 0; i < 50; i++) {
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
  g_assert_null (by_name (backend, "v4"));
  g_assert_false (v1->active);
  {
    g_autofree char *xml = get_xml (backend, v1, 0, &error);
    g_assert_no_error (error);
    g_assert_nonnull (strstr (xml, "<mtu size='1400'/>"));
  }
  g_assert_false (set_up (backend, v1, TRUE, 0, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_FAILED);
  g_clear_error (&error);
}

/* Whether this process may make namespaces (root, and not in a container
 * that forbids it), tried in a child that changes nothing else. */
static gboolean
can_unshare (void)
{
  int status = 0;
  pid_t pid;

  if (geteuid () != 0)
    return FALSE;
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    _exit (unshare (CLONE_NEWNET | CLONE_NEWNS) == 0 ? 0 : 1);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

static void
test_live (void)
{
  g_autofree char *ip_path = NULL;

  if (g_test_subprocess ()) {
    live_in_namespace ();
    return;
  }
  if (!can_unshare ()) {
    g_test_skip ("needs root and network namespaces");
    return;
  }
  ip_path = g_find_program_in_path ("ip");
  if (ip_path == NULL) {
    g_test_skip ("needs ip (Debian package iproute2)");
    return;
  }
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/interface-local/table/loopback", test_loopback);
  g_test_add_func ("/interface-local/table/bridge", test_bridge);
  g_test_add_func ("/interface-local/table/bond", test_bond);
  g_test_add_func ("/interface-local/table/vlan", test_vlan);
  g_test_add_func ("/interface-local/table/changes", test_changes);
  g_test_add_func ("/interface-local/table/hostile", test_hostile);
  g_test_add_func ("/interface-local/table/random", test_random);
  g_test_add_func ("/interface-local/table/mutated", test_mutated);
  g_test_add_func ("/interface-local/live", test_live);
  return g_test_run ();
}
