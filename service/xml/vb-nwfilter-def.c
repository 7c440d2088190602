#define G_LOG_DOMAIN "virtbus-xml"

#include "vb-nwfilter-def.h"

#include <gio/gio.h>
#include <stdarg.h>
#include <string.h>

#include "vb-error.h"
#include "vb-xml.h"

/* ---- Enum tables ---- */

static const char *const action_names[] = { "drop", "accept", "reject", "return", "continue", NULL };
static const char *const direction_names[] = { "in", "out", "inout", NULL };
static const char *const protocol_names[] = {
  "none", "mac", "vlan", "stp", "arp", "rarp", "ip", "ipv6", "tcp", "udp", "sctp", "icmp", "igmp", "all",
  "esp", "ah", "udplite", "tcp-ipv6", "udp-ipv6", "sctp-ipv6", "icmpv6", "all-ipv6", "esp-ipv6", "ah-ipv6",
  "udplite-ipv6", NULL,
};

static int
table_lookup (const char *const *table, const char *str)
{
  for (int i = 0; str != NULL && table[i] != NULL; i++)
    if (strcmp (table[i], str) == 0)
      return i;
  return -1;
}

const char *
vb_nwfilter_action_to_string (VbNWFilterAction action)
{
  return (guint) action < G_N_ELEMENTS (action_names) - 1 ? action_names[action] : NULL;
}

int
vb_nwfilter_action_from_string (const char *str)
{
  return table_lookup (action_names, str);
}

const char *
vb_nwfilter_direction_to_string (VbNWFilterDirection direction)
{
  return (guint) direction < G_N_ELEMENTS (direction_names) - 1 ? direction_names[direction] : NULL;
}

int
vb_nwfilter_direction_from_string (const char *str)
{
  return table_lookup (direction_names, str);
}

const char *
vb_nwfilter_protocol_to_string (VbNWFilterProtocol protocol)
{
  if (protocol == VB_NWFILTER_PROTOCOL_NONE || (guint) protocol >= G_N_ELEMENTS (protocol_names) - 1)
    return NULL;
  return protocol_names[protocol];
}

int
vb_nwfilter_protocol_from_string (const char *str)
{
  int i = table_lookup (protocol_names, str);
  return i > 0 ? i : -1;
}

/* ---- The match attribute tables ---- */

/* What an attribute value may be (the schema's types). */
typedef enum {
  KIND_YES_NO,      /* yes|no */
  KIND_BOOLEAN,     /* yes|no|true|false|1|0 */
  KIND_MAC,         /* aa:bb:cc:dd:ee:ff (1-2 digits a byte) */
  KIND_IPV4,
  KIND_IPV6,
  KIND_MASK4,       /* 0..32 or a dotted netmask */
  KIND_MASK6,       /* 0..128 or an IPv6 netmask */
  KIND_UINT8,       /* 0..255 or 0xNN; no variables */
  KIND_SIXBIT,      /* 0..63 */
  KIND_UINT16,
  KIND_UINT32,
  KIND_MAC_PROTOCOL, /* ethertype >= 0x600 or arp|rarp|ipv4|ipv6|vlan */
  KIND_VLAN_ID,     /* 0..4095 */
  KIND_ARP_OPCODE,  /* 0..65535 or an opcode name */
  KIND_IP_PROTOCOL, /* 0..255 or a protocol name */
  KIND_COMMENT,     /* free text up to 256 characters */
  KIND_STATE,       /* NEW,ESTABLISHED,RELATED,INVALID or NONE */
  KIND_TCP_FLAGS,   /* mask/flags */
  KIND_IPSET,       /* an ipset name */
  KIND_IPSET_FLAGS, /* src|dst, up to six, comma separated */
} ValueKind;

static const char *const kind_descriptions[] = {
  [KIND_YES_NO] = "'yes' or 'no'",
  [KIND_BOOLEAN] = "a boolean (yes, no, true, false, 1, 0)",
  [KIND_MAC] = "a MAC address or $VARIABLE",
  [KIND_IPV4] = "an IPv4 address or $VARIABLE",
  [KIND_IPV6] = "an IPv6 address or $VARIABLE",
  [KIND_MASK4] = "an IPv4 netmask, a prefix length 0..32 or $VARIABLE",
  [KIND_MASK6] = "an IPv6 netmask, a prefix length 0..128 or $VARIABLE",
  [KIND_UINT8] = "a number 0..255 (decimal or 0x hex)",
  [KIND_SIXBIT] = "a number 0..63 (decimal or 0x hex) or $VARIABLE",
  [KIND_UINT16] = "a number 0..65535 (decimal or 0x hex) or $VARIABLE",
  [KIND_UINT32] = "a number 0..4294967295 (decimal or 0x hex) or $VARIABLE",
  [KIND_MAC_PROTOCOL] = "an ethertype 0x600..0xffff, arp, rarp, ipv4, ipv6, vlan or $VARIABLE",
  [KIND_VLAN_ID] = "a VLAN id 0..4095 or $VARIABLE",
  [KIND_ARP_OPCODE] = "an ARP opcode (0..65535 or a name such as Request) or $VARIABLE",
  [KIND_IP_PROTOCOL] = "an IP protocol (0..255 or a name such as tcp) or $VARIABLE",
  [KIND_COMMENT] = "a comment of at most 256 characters without control characters",
  [KIND_STATE] = "a list of NEW, ESTABLISHED, RELATED, INVALID, or NONE",
  [KIND_TCP_FLAGS] = "TCP flags as mask/set (SYN, ACK, URG, PSH, FIN, RST, ALL, NONE)",
  [KIND_IPSET] = "an ipset name or $VARIABLE",
  [KIND_IPSET_FLAGS] = "a list of up to six 'src'/'dst'",
};

/* Attribute groups, as the schema composes each protocol's attributes. */
enum {
  G_MATCH = 1 << 0,
  G_SRCMAC = 1 << 1,
  G_SRCMACMASK = 1 << 2,
  G_DSTMAC = 1 << 3,
  G_IP4_P1 = 1 << 4,  /* src/dst address and mask */
  G_IP4_P2 = 1 << 5,  /* address ranges, dscp, connlimit, state, ipset */
  G_IP6_P1 = 1 << 6,
  G_IP6_P2 = 1 << 7,
  G_PORTS = 1 << 8,
  G_ICMP = 1 << 9,
  G_ICMP_RANGE = 1 << 10,
  G_MAC = 1 << 11,
  G_VLAN = 1 << 12,
  G_STP = 1 << 13,
  G_ARP = 1 << 14,
  G_IPPROTO = 1 << 15,
  G_DSCP = 1 << 16,
  G_TCP = 1 << 17,
  G_COMMENT = 1 << 18,
};

#define G_L2 (G_SRCMAC | G_SRCMACMASK | G_DSTMAC)
#define G_COMMON (G_MATCH | G_COMMENT)

typedef struct {
  const char *name;
  ValueKind kind;
  guint groups; /* the attribute is allowed where any of these is */
} AttrSpec;

/* The first entry matching a name and one of the protocol's groups wins:
 * a few names mean different things in different protocols. */
static const AttrSpec attr_specs[] = {
  { "match", KIND_YES_NO, G_MATCH },
  { "srcmacaddr", KIND_MAC, G_SRCMAC },
  { "srcmacmask", KIND_MAC, G_SRCMACMASK },
  { "dstmacaddr", KIND_MAC, G_DSTMAC },
  { "dstmacmask", KIND_MAC, G_DSTMAC },
  { "protocolid", KIND_MAC_PROTOCOL, G_MAC },
  { "vlanid", KIND_VLAN_ID, G_VLAN },
  { "encap-protocol", KIND_MAC_PROTOCOL, G_VLAN },
  { "srcipaddr", KIND_IPV4, G_IP4_P1 },
  { "srcipmask", KIND_MASK4, G_IP4_P1 },
  { "dstipaddr", KIND_IPV4, G_IP4_P1 },
  { "dstipmask", KIND_MASK4, G_IP4_P1 },
  { "srcipaddr", KIND_IPV6, G_IP6_P1 },
  { "srcipmask", KIND_MASK6, G_IP6_P1 },
  { "dstipaddr", KIND_IPV6, G_IP6_P1 },
  { "dstipmask", KIND_MASK6, G_IP6_P1 },
  { "srcipfrom", KIND_IPV4, G_IP4_P2 },
  { "srcipto", KIND_IPV4, G_IP4_P2 },
  { "dstipfrom", KIND_IPV4, G_IP4_P2 },
  { "dstipto", KIND_IPV4, G_IP4_P2 },
  { "srcipfrom", KIND_IPV6, G_IP6_P2 },
  { "srcipto", KIND_IPV6, G_IP6_P2 },
  { "dstipfrom", KIND_IPV6, G_IP6_P2 },
  { "dstipto", KIND_IPV6, G_IP6_P2 },
  { "dscp", KIND_SIXBIT, G_IP4_P2 | G_IP6_P2 | G_DSCP },
  { "connlimit-above", KIND_UINT16, G_IP4_P2 },
  { "state", KIND_STATE, G_IP4_P2 },
  { "ipset", KIND_IPSET, G_IP4_P2 },
  { "ipsetflags", KIND_IPSET_FLAGS, G_IP4_P2 },
  { "srcportstart", KIND_UINT16, G_PORTS },
  { "srcportend", KIND_UINT16, G_PORTS },
  { "dstportstart", KIND_UINT16, G_PORTS },
  { "dstportend", KIND_UINT16, G_PORTS },
  { "protocol", KIND_IP_PROTOCOL, G_IPPROTO },
  { "type", KIND_UINT8, G_ICMP | G_ICMP_RANGE | G_STP },
  { "typeend", KIND_UINT8, G_ICMP_RANGE },
  { "code", KIND_UINT8, G_ICMP | G_ICMP_RANGE },
  { "codeend", KIND_UINT8, G_ICMP_RANGE },
  { "flags", KIND_UINT8, G_STP },
  { "flags", KIND_TCP_FLAGS, G_TCP },
  { "root-priority", KIND_UINT16, G_STP },
  { "root-priority-hi", KIND_UINT16, G_STP },
  { "root-address", KIND_MAC, G_STP },
  { "root-address-mask", KIND_MAC, G_STP },
  { "root-cost", KIND_UINT32, G_STP },
  { "root-cost-hi", KIND_UINT32, G_STP },
  { "sender-priority", KIND_UINT16, G_STP },
  { "sender-priority-hi", KIND_UINT16, G_STP },
  { "sender-address", KIND_MAC, G_STP },
  { "sender-address-mask", KIND_MAC, G_STP },
  { "port", KIND_UINT16, G_STP },
  { "port-hi", KIND_UINT16, G_STP },
  { "age", KIND_UINT16, G_STP },
  { "age-hi", KIND_UINT16, G_STP },
  { "max-age", KIND_UINT16, G_STP },
  { "max-age-hi", KIND_UINT16, G_STP },
  { "hello-time", KIND_UINT16, G_STP },
  { "hello-time-hi", KIND_UINT16, G_STP },
  { "forward-delay", KIND_UINT16, G_STP },
  { "forward-delay-hi", KIND_UINT16, G_STP },
  { "arpsrcmacaddr", KIND_MAC, G_ARP },
  { "arpsrcipaddr", KIND_IPV4, G_ARP },
  { "arpdstmacaddr", KIND_MAC, G_ARP },
  { "arpdstipaddr", KIND_IPV4, G_ARP },
  { "hwtype", KIND_UINT16, G_ARP },
  { "opcode", KIND_ARP_OPCODE, G_ARP },
  { "protocoltype", KIND_UINT16, G_ARP },
  { "gratuitous", KIND_BOOLEAN, G_ARP },
  { "comment", KIND_COMMENT, G_COMMENT },
};

/* Attribute groups of each protocol element, indexed by VbNWFilterProtocol. */
static const guint protocol_groups[] = {
  [VB_NWFILTER_PROTOCOL_NONE] = 0,
  [VB_NWFILTER_PROTOCOL_MAC] = G_COMMON | G_L2 | G_MAC,
  [VB_NWFILTER_PROTOCOL_VLAN] = G_COMMON | G_L2 | G_VLAN,
  [VB_NWFILTER_PROTOCOL_STP] = G_COMMON | G_SRCMAC | G_SRCMACMASK | G_STP,
  [VB_NWFILTER_PROTOCOL_ARP] = G_COMMON | G_L2 | G_ARP,
  [VB_NWFILTER_PROTOCOL_RARP] = G_COMMON | G_L2 | G_ARP,
  [VB_NWFILTER_PROTOCOL_IP] = G_COMMON | G_L2 | G_IP4_P1 | G_PORTS | G_IPPROTO | G_DSCP,
  [VB_NWFILTER_PROTOCOL_IPV6] = G_COMMON | G_L2 | G_IP6_P1 | G_PORTS | G_IPPROTO | G_ICMP_RANGE,
  [VB_NWFILTER_PROTOCOL_TCP] = G_COMMON | G_SRCMAC | G_PORTS | G_IP4_P1 | G_IP4_P2 | G_TCP,
  [VB_NWFILTER_PROTOCOL_UDP] = G_COMMON | G_SRCMAC | G_PORTS | G_IP4_P1 | G_IP4_P2,
  [VB_NWFILTER_PROTOCOL_SCTP] = G_COMMON | G_SRCMAC | G_PORTS | G_IP4_P1 | G_IP4_P2,
  [VB_NWFILTER_PROTOCOL_ICMP] = G_COMMON | G_SRCMAC | G_IP4_P1 | G_IP4_P2 | G_ICMP,
  [VB_NWFILTER_PROTOCOL_IGMP] = G_COMMON | G_SRCMAC | G_IP4_P1 | G_IP4_P2,
  [VB_NWFILTER_PROTOCOL_ALL] = G_COMMON | G_SRCMAC | G_IP4_P1 | G_IP4_P2,
  [VB_NWFILTER_PROTOCOL_ESP] = G_COMMON | G_SRCMAC | G_IP4_P1 | G_IP4_P2,
  [VB_NWFILTER_PROTOCOL_AH] = G_COMMON | G_SRCMAC | G_IP4_P1 | G_IP4_P2,
  [VB_NWFILTER_PROTOCOL_UDPLITE] = G_COMMON | G_SRCMAC | G_IP4_P1 | G_IP4_P2,
  [VB_NWFILTER_PROTOCOL_TCP_IPV6] = G_COMMON | G_SRCMAC | G_PORTS | G_IP6_P1 | G_IP6_P2 | G_TCP,
  [VB_NWFILTER_PROTOCOL_UDP_IPV6] = G_COMMON | G_SRCMAC | G_PORTS | G_IP6_P1 | G_IP6_P2,
  [VB_NWFILTER_PROTOCOL_SCTP_IPV6] = G_COMMON | G_SRCMAC | G_PORTS | G_IP6_P1 | G_IP6_P2,
  [VB_NWFILTER_PROTOCOL_ICMPV6] = G_COMMON | G_SRCMAC | G_IP6_P1 | G_IP6_P2 | G_ICMP,
  [VB_NWFILTER_PROTOCOL_ALL_IPV6] = G_COMMON | G_SRCMAC | G_IP6_P1 | G_IP6_P2,
  [VB_NWFILTER_PROTOCOL_ESP_IPV6] = G_COMMON | G_SRCMAC | G_IP6_P1 | G_IP6_P2,
  [VB_NWFILTER_PROTOCOL_AH_IPV6] = G_COMMON | G_SRCMAC | G_IP6_P1 | G_IP6_P2,
  [VB_NWFILTER_PROTOCOL_UDPLITE_IPV6] = G_COMMON | G_SRCMAC | G_IP6_P1 | G_IP6_P2,
};

G_STATIC_ASSERT (G_N_ELEMENTS (protocol_groups) == G_N_ELEMENTS (protocol_names) - 1);

static const AttrSpec *
find_attr_spec (VbNWFilterProtocol protocol, const char *name)
{
  guint groups = protocol_groups[protocol];
  for (gsize i = 0; i < G_N_ELEMENTS (attr_specs); i++)
    if ((attr_specs[i].groups & groups) != 0 && strcmp (attr_specs[i].name, name) == 0)
      return &attr_specs[i];
  return NULL;
}

/* ---- Value checks ---- */

/* $NAME, $NAME[3] or $NAME[@1], with the blanks the schema allows. */
static gboolean
is_variable_ref (const char *s)
{
  const char *start;

  if (*s++ != '$')
    return FALSE;
  while (*s == ' ')
    s++;
  start = s;
  while (g_ascii_isalnum (*s) || *s == '_')
    s++;
  if (s == start)
    return FALSE;
  if (*s == '[') {
    s++;
    while (*s == ' ')
      s++;
    if (*s == '@')
      s++;
    start = s;
    while (g_ascii_isdigit (*s))
      s++;
    if (s == start)
      return FALSE;
    while (*s == ' ')
      s++;
    if (*s++ != ']')
      return FALSE;
  }
  while (*s == ' ')
    s++;
  return *s == '\0';
}

/* "0x" and 1..@max_digits hex digits. */
static gboolean
parse_hex (const char *s, gsize max_digits, guint64 *out, gsize *digits)
{
  gsize len;

  if (s[0] != '0' || s[1] != 'x')
    return FALSE;
  s += 2;
  len = strlen (s);
  if (len < 1 || len > max_digits)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (s[i]))
      return FALSE;
  *out = g_ascii_strtoull (s, NULL, 16);
  if (digits != NULL)
    *digits = len;
  return TRUE;
}

/* Plain decimal digits (at most ten, so any value fits) no larger than @max. */
static gboolean
parse_decimal (const char *s, guint64 max, guint64 *out)
{
  gsize len = strlen (s);
  guint64 v;

  if (len < 1 || len > 10)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  v = g_ascii_strtoull (s, NULL, 10);
  if (v > max)
    return FALSE;
  if (out != NULL)
    *out = v;
  return TRUE;
}

static gboolean
is_number (const char *s, gsize max_hex_digits, guint64 max)
{
  guint64 v = 0;
  if (parse_hex (s, max_hex_digits, &v, NULL))
    return v <= max;
  return parse_decimal (s, max, NULL);
}

static gboolean
is_mac (const char *s)
{
  g_auto(GStrv) parts = g_strsplit (s, ":", 0);

  if (g_strv_length (parts) != 6)
    return FALSE;
  for (int i = 0; i < 6; i++) {
    gsize len = strlen (parts[i]);
    if (len < 1 || len > 2 || !g_ascii_isxdigit (parts[i][0]) || (len == 2 && !g_ascii_isxdigit (parts[i][1])))
      return FALSE;
  }
  return TRUE;
}

static int
count_char (const char *s, char c)
{
  int n = 0;
  for (; *s; s++)
    n += *s == c;
  return n;
}

/* An address GInetAddress accepts, in the spelling the schema's patterns
 * allow (no scope id; at most seven colons). */
static GInetAddress *
parse_address (const char *s, gboolean v6)
{
  GInetAddress *addr;

  if (strchr (s, '%') != NULL || (v6 && count_char (s, ':') > 7))
    return NULL;
  addr = g_inet_address_new_from_string (s);
  if (addr == NULL)
    return NULL;
  if ((g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6) != v6) {
    g_object_unref (addr);
    return NULL;
  }
  return addr;
}

static gboolean
is_address (const char *s, gboolean v6)
{
  g_autoptr(GInetAddress) addr = parse_address (s, v6);
  return addr != NULL;
}

/* A prefix length, or a netmask whose one bits are contiguous. */
static gboolean
is_mask (const char *s, gboolean v6)
{
  g_autoptr(GInetAddress) addr = NULL;
  const guint8 *bytes;
  gsize len;
  gboolean zeros = FALSE;

  if (parse_decimal (s, v6 ? 128 : 32, NULL))
    return TRUE;
  if (v6 && strchr (s, '.') != NULL)
    return FALSE;
  addr = parse_address (s, v6);
  if (addr == NULL)
    return FALSE;
  bytes = g_inet_address_to_bytes (addr);
  len = g_inet_address_get_native_size (addr);
  for (gsize i = 0; i < len * 8; i++) {
    gboolean one = (bytes[i / 8] >> (7 - i % 8)) & 1;
    if (one && zeros)
      return FALSE;
    zeros = zeros || !one;
  }
  return TRUE;
}

static gboolean
in_list (const char *s, const char *const *list)
{
  for (; *list; list++)
    if (strcmp (*list, s) == 0)
      return TRUE;
  return FALSE;
}

/* Matches @s against @pattern, where "[xy]" is one of x or y and every
 * other character is literal. */
static gboolean
match_simple (const char *pattern, const char *s)
{
  while (*pattern) {
    if (*pattern == '[') {
      const char *close = strchr (pattern, ']');
      if (*s == '\0' || memchr (pattern + 1, *s, close - pattern - 1) == NULL)
        return FALSE;
      pattern = close + 1;
    } else {
      if (*pattern != *s)
        return FALSE;
      pattern++;
    }
    s++;
  }
  return *s == '\0';
}

/* Every comma-separated item is in @list; 1..@max items. */
static gboolean
is_flag_list (const char *s, const char *const *list, gboolean ignore_case, guint max)
{
  g_auto(GStrv) items = g_strsplit (s, ",", 0);
  guint n = g_strv_length (items);

  if (n < 1 || n > max)
    return FALSE;
  for (guint i = 0; i < n; i++) {
    gboolean found = FALSE;
    for (const char *const *l = list; *l && !found; l++)
      found = ignore_case ? g_ascii_strcasecmp (*l, items[i]) == 0 : strcmp (*l, items[i]) == 0;
    if (!found)
      return FALSE;
  }
  return TRUE;
}

static gboolean
is_tcp_flag_set (const char *s)
{
  static const char *const flags[] = { "SYN", "ACK", "URG", "PSH", "FIN", "RST", NULL };
  return strcmp (s, "ALL") == 0 || strcmp (s, "NONE") == 0 || is_flag_list (s, flags, FALSE, G_MAXUINT);
}

static gboolean
is_plain_text (const char *s)
{
  return !vb_xml_has_control_chars (s, FALSE);
}

static gboolean
check_value (ValueKind kind, const char *v)
{
  static const char *const mac_protocols[] = { "arp", "rarp", "ipv4", "ipv6", "vlan", NULL };
  static const char *const ip_protocols[] = {
    "tcp", "udp", "udplite", "esp", "ah", "icmp", "igmp", "sctp", "icmpv6", NULL,
  };
  static const char *const arp_opcodes[] = {
    "[Rr]eply", "[Rr]equest", "[Rr]equest_[Rr]everse", "[Rr]eply_[Rr]everse", "DRARP_[Rr]equest",
    "DRARP_[Rr]eply", "DRARP_[Ee]rror", "InARP_[Rr]equest", "ARP_NAK", NULL,
  };
  static const char *const booleans[] = { "yes", "no", "true", "false", "1", "0", NULL };
  static const char *const states[] = { "NEW", "ESTABLISHED", "RELATED", "INVALID", NULL };
  static const char *const ipset_flags[] = { "src", "dst", NULL };
  guint64 n = 0;
  gsize digits = 0;

  switch (kind) {
  case KIND_YES_NO:
    return strcmp (v, "yes") == 0 || strcmp (v, "no") == 0;
  case KIND_BOOLEAN:
    return in_list (v, booleans);
  case KIND_UINT8:
    return is_number (v, 2, 255);
  case KIND_COMMENT:
    return strlen (v) <= 256 && is_plain_text (v);
  case KIND_STATE:
    return strcmp (v, "NONE") == 0 || is_flag_list (v, states, FALSE, G_MAXUINT);
  case KIND_TCP_FLAGS: {
    g_auto(GStrv) halves = g_strsplit (v, "/", 0);
    return g_strv_length (halves) == 2 && is_tcp_flag_set (halves[0]) && is_tcp_flag_set (halves[1]);
  }
  case KIND_IPSET_FLAGS:
    return is_flag_list (v, ipset_flags, TRUE, 6);
  default:
    break;
  }

  /* The remaining kinds take a variable instead of a literal. */
  if (is_variable_ref (v))
    return TRUE;
  switch (kind) {
  case KIND_MAC:
    return is_mac (v);
  case KIND_IPV4:
    return is_address (v, FALSE);
  case KIND_IPV6:
    return is_address (v, TRUE);
  case KIND_MASK4:
    return is_mask (v, FALSE);
  case KIND_MASK6:
    return is_mask (v, TRUE);
  case KIND_SIXBIT:
    return is_number (v, 2, 63);
  case KIND_UINT16:
    return is_number (v, 4, 65535);
  case KIND_UINT32:
    return is_number (v, 8, G_MAXUINT32);
  case KIND_VLAN_ID:
    return is_number (v, 3, 4095);
  case KIND_MAC_PROTOCOL:
    /* Ethertypes start at 0x600; three hex digits must be that large. */
    if (parse_hex (v, 4, &n, &digits))
      return digits == 4 || n >= 0x600;
    return in_list (v, mac_protocols) || (parse_decimal (v, 65535, &n) && n >= 1536);
  case KIND_ARP_OPCODE:
    for (const char *const *p = arp_opcodes; *p; p++)
      if (match_simple (*p, v))
        return TRUE;
    return parse_decimal (v, 65535, NULL);
  case KIND_IP_PROTOCOL:
    return in_list (v, ip_protocols) || is_number (v, 2, 255);
  case KIND_IPSET: {
    gsize len = strlen (v);
    return len >= 1 && len <= 31 && strspn (v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                               "0123456789_.:-+ ") == len;
  }
  default:
    return FALSE;
  }
}

/* XML NCName, limited to ASCII. */
static gboolean
is_ncname (const char *s)
{
  if (!g_ascii_isalpha (*s) && *s != '_')
    return FALSE;
  for (s++; *s; s++)
    if (!g_ascii_isalnum (*s) && *s != '_' && *s != '-' && *s != '.')
      return FALSE;
  return TRUE;
}

/* root, or a protocol prefix with a short suffix (the schema's limits). */
static gboolean
is_chain (const char *s)
{
  static const struct {
    const char *prefix;
    gsize max_suffix;
  } chains[] = {
    { "mac", 9 }, { "stp", 9 }, { "vlan", 8 }, { "arp", 9 }, { "rarp", 8 }, { "ipv4", 8 }, { "ipv6", 8 },
  };

  if (strcmp (s, "root") == 0)
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (chains); i++) {
    gsize plen = strlen (chains[i].prefix);
    if (strncmp (s, chains[i].prefix, plen) == 0) {
      const char *suffix = s + plen;
      gsize slen = strlen (suffix);
      if (slen <= chains[i].max_suffix && strspn (suffix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                          "0123456789_.:-") == slen)
        return TRUE;
    }
  }
  return FALSE;
}

static gboolean
is_param_name (const char *s)
{
  gsize len = strlen (s);
  return len > 0 && strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == len;
}

static gboolean
is_param_value (const char *s)
{
  gsize len = strlen (s);
  return len > 0 && strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:") == len;
}

/* ---- Memory ---- */

static void
attr_free (gpointer p)
{
  VbNWFilterAttr *a = p;
  if (a == NULL)
    return;
  g_free (a->name);
  g_free (a->value);
  g_free (a);
}

static VbNWFilterAttr *
attr_new (const char *name, const char *value)
{
  VbNWFilterAttr *a = g_new0 (VbNWFilterAttr, 1);
  a->name = g_strdup (name);
  a->value = g_strdup (value);
  return a;
}

static gpointer
attr_copy (gconstpointer p, gpointer data)
{
  const VbNWFilterAttr *a = p;
  return attr_new (a->name, a->value);
}

static void
rule_free (VbNWFilterRule *rule)
{
  if (rule == NULL)
    return;
  g_ptr_array_unref (rule->attrs);
  g_free (rule);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNWFilterRule, rule_free)

static void
ref_free (VbNWFilterRef *ref)
{
  if (ref == NULL)
    return;
  g_free (ref->filter);
  g_ptr_array_unref (ref->params);
  g_free (ref);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNWFilterRef, ref_free)

static void
entry_free (gpointer p)
{
  VbNWFilterEntry *e = p;
  if (e == NULL)
    return;
  rule_free (e->rule);
  ref_free (e->ref);
  g_free (e);
}

static gpointer
entry_copy (gconstpointer p, gpointer data)
{
  const VbNWFilterEntry *e = p;
  VbNWFilterEntry *c = g_new0 (VbNWFilterEntry, 1);

  if (e->rule != NULL) {
    c->rule = g_memdup2 (e->rule, sizeof *e->rule);
    c->rule->attrs = g_ptr_array_copy (e->rule->attrs, attr_copy, NULL);
  }
  if (e->ref != NULL) {
    c->ref = g_new0 (VbNWFilterRef, 1);
    c->ref->filter = g_strdup (e->ref->filter);
    c->ref->params = g_ptr_array_copy (e->ref->params, attr_copy, NULL);
  }
  return c;
}

void
vb_nwfilter_def_free (VbNWFilterDef *def)
{
  if (def == NULL)
    return;
  g_free (def->name);
  g_free (def->chain);
  g_ptr_array_unref (def->entries);
  g_free (def);
}

VbNWFilterDef *
vb_nwfilter_def_copy (const VbNWFilterDef *def)
{
  VbNWFilterDef *c = g_memdup2 (def, sizeof *def);
  c->name = g_strdup (def->name);
  c->chain = g_strdup (def->chain);
  c->entries = g_ptr_array_copy (def->entries, entry_copy, NULL);
  return c;
}

const char *
vb_nwfilter_rule_get_attr (const VbNWFilterRule *rule, const char *name)
{
  for (guint i = 0; i < rule->attrs->len; i++) {
    const VbNWFilterAttr *a = g_ptr_array_index (rule->attrs, i);
    if (strcmp (a->name, name) == 0)
      return a->value;
  }
  return NULL;
}

/* ---- Parsing ---- */

static void
attr_error (GError **error, xmlNode *node, const char *name, const char *value, const char *problem)
{
  g_autofree char *where = vb_xml_node_describe (node);
  g_set_error (error, VB_ERROR, VB_ERROR_XML, "attribute '%s' of %s: '%s' is not %s", name, where, value, problem);
}

/* A required attribute checked by @check. */
static char *
prop_checked (xmlNode *node, const char *name, gboolean (*check) (const char *), const char *what,
              GError **error)
{
  g_autofree char *value = vb_xml_prop_required (node, name, error);

  if (value == NULL)
    return NULL;
  if (!check (value)) {
    attr_error (error, node, name, value, what);
    return NULL;
  }
  return g_steal_pointer (&value);
}

static int
prop_priority (xmlNode *node, int *out, GError **error)
{
  int r = vb_xml_prop_int (node, "priority", out, error);
  if (r == 1 && (*out < -1000 || *out > 1000)) {
    g_autofree char *value = g_strdup_printf ("%d", *out);
    attr_error (error, node, "priority", value, "within -1000..1000");
    return -1;
  }
  return r;
}

static gboolean
parse_protocol (VbNWFilterRule *rule, xmlNode *node, GError **error)
{
  int protocol = vb_nwfilter_protocol_from_string ((const char *) node->name);
  gboolean has_ipset = FALSE, has_ipsetflags = FALSE;

  if (protocol < 0) {
    vb_xml_fail (error, node, "unsupported protocol element <%s>", node->name);
    return FALSE;
  }
  rule->protocol = protocol;
  for (xmlAttr *a = node->properties; a != NULL; a = a->next) {
    const char *name = (const char *) a->name;
    const AttrSpec *spec;

    /* Unknown or namespaced attributes are left unread: the final check
     * names them. */
    if (a->ns != NULL || (spec = find_attr_spec (rule->protocol, name)) == NULL)
      continue;
    g_autofree char *value = vb_xml_prop (node, name);
    if (!check_value (spec->kind, value)) {
      attr_error (error, node, name, value, kind_descriptions[spec->kind]);
      return FALSE;
    }
    has_ipset |= strcmp (name, "ipset") == 0;
    has_ipsetflags |= strcmp (name, "ipsetflags") == 0;
    g_ptr_array_add (rule->attrs, attr_new (name, value));
  }
  if (has_ipset != has_ipsetflags) {
    vb_xml_fail (error, node, "'ipset' and 'ipsetflags' must be given together");
    return FALSE;
  }
  return TRUE;
}

static VbNWFilterRule *
parse_rule (xmlNode *node, GError **error)
{
  g_autoptr(VbNWFilterRule) rule = g_new0 (VbNWFilterRule, 1);
  g_autofree char *statematch = NULL;
  xmlNode *proto = NULL;
  int action = 0, direction = 0, r;

  rule->attrs = g_ptr_array_new_with_free_func (attr_free);
  rule->statematch = TRUE;
  r = vb_xml_prop_enum (node, "action", action_names, &action, error);
  if (r < 0)
    return NULL;
  if (r == 0) {
    g_free (vb_xml_prop_required (node, "action", error));
    return NULL;
  }
  r = vb_xml_prop_enum (node, "direction", direction_names, &direction, error);
  if (r < 0)
    return NULL;
  if (r == 0) {
    g_free (vb_xml_prop_required (node, "direction", error));
    return NULL;
  }
  rule->action = action;
  rule->direction = direction;
  if ((r = prop_priority (node, &rule->priority, error)) < 0)
    return NULL;
  rule->has_priority = r == 1;
  statematch = vb_xml_prop (node, "statematch");
  if (statematch != NULL) {
    if (g_ascii_strcasecmp (statematch, "false") != 0 && strcmp (statematch, "0") != 0) {
      attr_error (error, node, "statematch", statematch, "'false' or '0'");
      return NULL;
    }
    rule->statematch = FALSE;
  }

  for (xmlNode *n = node->children; n != NULL; n = n->next) {
    if (n->type != XML_ELEMENT_NODE || n->ns != NULL)
      continue;
    if (proto != NULL) {
      vb_xml_fail (error, n, "a rule takes one protocol element, found <%s> after <%s>", n->name, proto->name);
      return NULL;
    }
    proto = n;
  }
  if (proto != NULL) {
    proto = vb_xml_child (node, (const char *) proto->name);
    if (!parse_protocol (rule, proto, error))
      return NULL;
  }
  return g_steal_pointer (&rule);
}

static VbNWFilterRef *
parse_filterref (xmlNode *node, GError **error)
{
  g_autoptr(VbNWFilterRef) ref = g_new0 (VbNWFilterRef, 1);
  xmlNode *param = NULL;

  ref->params = g_ptr_array_new_with_free_func (attr_free);
  ref->filter = prop_checked (node, "filter", is_ncname, "a filter name", error);
  if (ref->filter == NULL)
    return NULL;
  while ((param = vb_xml_next (node, param, "parameter")) != NULL) {
    g_autofree char *name = prop_checked (param, "name", is_param_name, "a parameter name ([a-zA-Z0-9_]+)", error);
    if (name == NULL)
      return NULL;
    g_autofree char *value = prop_checked (param, "value", is_param_value,
                                           "a parameter value ([a-zA-Z0-9_.:]+)", error);
    if (value == NULL)
      return NULL;
    g_ptr_array_add (ref->params, attr_new (name, value));
  }
  return g_steal_pointer (&ref);
}

VbNWFilterDef *
vb_nwfilter_def_parse (const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = vb_xml_parse (xml, -1, "filter", error);
  g_autoptr(VbNWFilterDef) def = NULL;
  xmlNode *root, *uuid, *node = NULL;
  g_autofree char *chain = NULL;
  int r;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  def = g_new0 (VbNWFilterDef, 1);
  def->entries = g_ptr_array_new_with_free_func (entry_free);

  def->name = prop_checked (root, "name", is_ncname, "a valid filter name", error);
  if (def->name == NULL)
    return NULL;
  chain = vb_xml_prop (root, "chain");
  if (chain != NULL && !is_chain (chain)) {
    attr_error (error, root, "chain", chain,
                "'root' or mac, stp, vlan, arp, rarp, ipv4, ipv6 with an optional short suffix");
    return NULL;
  }
  def->chain = chain ? g_steal_pointer (&chain) : g_strdup ("root");
  if ((r = prop_priority (root, &def->priority, error)) < 0)
    return NULL;
  def->has_priority = r == 1;

  uuid = vb_xml_child (root, "uuid");
  if (uuid != NULL) {
    g_autofree char *text = vb_xml_text (uuid);
    if (!vb_uuid_parse (g_strstrip (text), def->uuid) || strchr (text, ' ') != NULL) {
      vb_xml_fail (error, uuid, "'%s' is not a valid UUID", text);
      return NULL;
    }
  } else {
    vb_uuid_generate (def->uuid);
  }

  /* Rules and references in document order; vb_xml_next() marks each
   * element it returns, so anything else is reported here by name. */
  while ((node = vb_xml_next (root, node, NULL)) != NULL) {
    const char *name = (const char *) node->name;
    VbNWFilterEntry *entry;

    if (strcmp (name, "uuid") == 0) {
      if (node != uuid) {
        vb_xml_fail (error, node, "element <uuid> may appear only once");
        return NULL;
      }
      continue;
    }
    if (strcmp (name, "rule") != 0 && strcmp (name, "filterref") != 0) {
      vb_xml_fail (error, node, "unsupported element <%s>", name);
      return NULL;
    }
    entry = g_new0 (VbNWFilterEntry, 1);
    g_ptr_array_add (def->entries, entry);
    if (name[0] == 'r')
      entry->rule = parse_rule (node, error);
    else
      entry->ref = parse_filterref (node, error);
    if (entry->rule == NULL && entry->ref == NULL)
      return NULL;
  }

  if (!vb_xml_check_consumed (root, error))
    return NULL;
  return g_steal_pointer (&def);
}

/* ---- Formatting ---- */

/* The writer takes attributes as varargs; a protocol element has at most
 * this many (stp: 26), passed in fixed slots with unused values NULL. */
#define MAX_PROTOCOL_ATTRS 32

static void
format_protocol (VbXmlWriter *w, const VbNWFilterRule *rule)
{
  const char *n[MAX_PROTOCOL_ATTRS], *v[MAX_PROTOCOL_ATTRS];
  const char *element = vb_nwfilter_protocol_to_string (rule->protocol);

  if (element == NULL)
    return;
  for (guint i = 0; i < MAX_PROTOCOL_ATTRS; i++) {
    const VbNWFilterAttr *a = i < rule->attrs->len ? g_ptr_array_index (rule->attrs, i) : NULL;
    n[i] = a ? a->name : "unused";
    v[i] = a ? a->value : NULL;
  }
  g_warn_if_fail (rule->attrs->len <= MAX_PROTOCOL_ATTRS);

#define SLOT(i) n[i], v[i]
#define SLOT4(i) SLOT (i), SLOT (i + 1), SLOT (i + 2), SLOT (i + 3)
  vb_xml_writer_empty (w, element,
                       SLOT4 (0), SLOT4 (4), SLOT4 (8), SLOT4 (12),
                       SLOT4 (16), SLOT4 (20), SLOT4 (24), SLOT4 (28),
                       NULL);
#undef SLOT4
#undef SLOT
}

char *
vb_nwfilter_def_format (const VbNWFilterDef *def, guint flags)
{
  VbXmlWriter *w = vb_xml_writer_new ();
  char priority[16];

  g_snprintf (priority, sizeof priority, "%d", def->priority);
  vb_xml_writer_start (w, "filter",
                       "name", def->name,
                       "chain", def->chain,
                       "priority", def->has_priority ? priority : NULL,
                       NULL);
  vb_xml_writer_element (w, "uuid", def->uuid, NULL);
  for (guint i = 0; i < def->entries->len; i++) {
    const VbNWFilterEntry *e = g_ptr_array_index (def->entries, i);
    if (e->rule != NULL) {
      const VbNWFilterRule *rule = e->rule;
      g_snprintf (priority, sizeof priority, "%d", rule->priority);
      vb_xml_writer_start (w, "rule",
                           "action", vb_nwfilter_action_to_string (rule->action),
                           "direction", vb_nwfilter_direction_to_string (rule->direction),
                           "priority", rule->has_priority ? priority : NULL,
                           "statematch", rule->statematch ? NULL : "false",
                           NULL);
      format_protocol (w, rule);
      vb_xml_writer_end (w);
    } else if (e->ref != NULL) {
      vb_xml_writer_start (w, "filterref", "filter", e->ref->filter, NULL);
      for (guint j = 0; j < e->ref->params->len; j++) {
        const VbNWFilterAttr *p = g_ptr_array_index (e->ref->params, j);
        vb_xml_writer_empty (w, "parameter", "name", p->name, "value", p->value, NULL);
      }
      vb_xml_writer_end (w);
    }
  }
  return vb_xml_writer_finish (w);
}
