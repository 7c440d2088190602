#define G_LOG_DOMAIN "virtbus-xml"

#include "vb-interface-def.h"

#include <gio/gio.h>
#include <string.h>

#include "vb-error.h"
#include "vb-xml.h"

static const char *const type_names[] = { "ethernet", "bridge", "bond", "vlan", NULL };
G_STATIC_ASSERT (G_N_ELEMENTS (type_names) == VB_INTERFACE_TYPE_LAST + 1);
static const char *const start_names[] = { "", "none", "onboot", "hotplug", NULL };
static const char *const link_state_names[] = {
  "", "unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up", NULL
};
static const char *const bond_mode_names[] = {
  "", "balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb", NULL
};
static const char *const carrier_names[] = { "", "ioctl", "netif", NULL };
static const char *const validate_names[] = { "", "none", "active", "backup", "all", NULL };
static const char *const family_names[] = { "ipv4", "ipv6", NULL };

const char *
vb_interface_type_to_string (VbInterfaceType type)
{
  if ((guint) type >= VB_INTERFACE_TYPE_LAST)
    return NULL;
  return type_names[type];
}

const char *
vb_interface_start_mode_to_string (VbInterfaceStartMode mode)
{
  if ((guint) mode > VB_INTERFACE_START_HOTPLUG || mode == VB_INTERFACE_START_DEFAULT)
    return NULL;
  return start_names[mode];
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

/* An enum attribute whose table starts with an empty entry meaning
 * "absent": that entry is not accepted as a spelled-out value. */
static gboolean
parse_enum (xmlNode *node, const char *name, const char *const *values, int *out, GError **error)
{
  int v = 0;
  int r = vb_xml_prop_enum (node, name, values + 1, &v, error);
  if (r < 0)
    return FALSE;
  if (r > 0)
    *out = v + 1;
  return TRUE;
}

static void
ip_free (gpointer p)
{
  VbInterfaceIp *ip = p;
  g_free (ip->address);
  g_free (ip);
}

static void
protocol_init (VbInterfaceProtocol *proto)
{
  memset (proto, 0, sizeof *proto);
  proto->ips = g_ptr_array_new_with_free_func (ip_free);
}

static void
protocol_clear (VbInterfaceProtocol *proto)
{
  g_clear_pointer (&proto->ips, g_ptr_array_unref);
  g_clear_pointer (&proto->gateway, g_free);
}

static void
protocol_copy (VbInterfaceProtocol *dest, const VbInterfaceProtocol *src)
{
  protocol_init (dest);
  dest->present = src->present;
  dest->autoconf = src->autoconf;
  dest->dhcp = src->dhcp;
  dest->dhcp_peerdns = src->dhcp_peerdns;
  dest->gateway = g_strdup (src->gateway);
  for (guint i = 0; i < src->ips->len; i++) {
    const VbInterfaceIp *ip = g_ptr_array_index (src->ips, i);
    VbInterfaceIp *c = g_new0 (VbInterfaceIp, 1);
    c->address = g_strdup (ip->address);
    c->prefix = ip->prefix;
    g_ptr_array_add (dest->ips, c);
  }
}

VbInterfaceDef *
vb_interface_def_new (VbInterfaceType type)
{
  VbInterfaceDef *def = g_new0 (VbInterfaceDef, 1);
  def->type = type;
  protocol_init (&def->ipv4);
  protocol_init (&def->ipv6);
  def->members = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_interface_def_free);
  return def;
}

void
vb_interface_def_free (VbInterfaceDef *def)
{
  if (def == NULL)
    return;
  g_free (def->name);
  protocol_clear (&def->ipv4);
  protocol_clear (&def->ipv6);
  g_free (def->mac);
  g_free (def->bridge_delay);
  g_free (def->arp_target);
  g_free (def->vlan_device);
  g_ptr_array_unref (def->members);
  g_free (def);
}

VbInterfaceDef *
vb_interface_def_copy (const VbInterfaceDef *def)
{
  VbInterfaceDef *copy = g_new0 (VbInterfaceDef, 1);

  /* Plain fields first, then replace every owned pointer with a copy. */
  *copy = *def;
  copy->name = g_strdup (def->name);
  protocol_copy (&copy->ipv4, &def->ipv4);
  protocol_copy (&copy->ipv6, &def->ipv6);
  copy->mac = g_strdup (def->mac);
  copy->bridge_delay = g_strdup (def->bridge_delay);
  copy->arp_target = g_strdup (def->arp_target);
  copy->vlan_device = g_strdup (def->vlan_device);
  copy->members = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_interface_def_free);
  /* Members are at most two levels deep (see the header). */
  for (guint i = 0; i < def->members->len; i++)
    g_ptr_array_add (copy->members, vb_interface_def_copy (g_ptr_array_index (def->members, i)));
  return copy;
}

/* Linux device names: no '/', no whitespace; the schema's deviceName
 * character set otherwise. */
static gboolean
valid_device_name (const char *name)
{
  if (name[0] == '\0')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '.' && *p != '-' && *p != ':')
      return FALSE;
  return TRUE;
}

static gboolean
parse_name (xmlNode *node, gboolean required, char **out, GError **error)
{
  g_autofree char *name = vb_xml_prop (node, "name");

  if (name == NULL) {
    if (required)
      return vb_xml_fail (error, node, "missing attribute 'name'");
    return TRUE;
  }
  if (!valid_device_name (name))
    return vb_xml_fail (error, node, "'%s' is not a valid interface name", name);
  *out = g_steal_pointer (&name);
  return TRUE;
}

static gboolean
parse_mac (xmlNode *node, char **out, GError **error)
{
  g_autofree char *mac = vb_xml_prop_required (node, "address", error);
  gboolean ok;

  if (mac == NULL)
    return FALSE;
  ok = strlen (mac) == 17;
  for (int i = 0; ok && i < 17; i++)
    ok = (i % 3 == 2) ? mac[i] == ':' : g_ascii_isxdigit (mac[i]);
  if (!ok)
    return vb_xml_fail (error, node, "'%s' is not a MAC address", mac);
  *out = g_ascii_strdown (mac, -1);
  return TRUE;
}

/* Returns the normalised address, or NULL when @str is not an address of
 * @family. */
static char *
normalize_ip (const char *str, GSocketFamily family)
{
  g_autoptr(GInetAddress) addr = NULL;

  if (str == NULL || strchr (str, '%') != NULL)
    return NULL;
  addr = g_inet_address_new_from_string (str);
  if (addr == NULL || g_inet_address_get_family (addr) != family)
    return NULL;
  return g_inet_address_to_string (addr);
}

static gboolean
parse_ip_attr (xmlNode *node, const char *name, GSocketFamily family, char **out, GError **error)
{
  g_autofree char *value = vb_xml_prop_required (node, name, error);

  if (value == NULL)
    return FALSE;
  *out = normalize_ip (value, family);
  if (*out == NULL)
    return vb_xml_fail (error, node, "'%s' is not an %s address", value,
                        family == G_SOCKET_FAMILY_IPV4 ? "IPv4" : "IPv6");
  return TRUE;
}

static gboolean
parse_protocol (xmlNode *node, gboolean ipv6, VbInterfaceProtocol *proto, GError **error)
{
  GSocketFamily family = ipv6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4;
  guint max_prefix = ipv6 ? 128 : 32;
  xmlNode *child;

  proto->present = TRUE;
  if (ipv6)
    proto->autoconf = vb_xml_child (node, "autoconf") != NULL;
  child = vb_xml_child (node, "dhcp");
  if (child != NULL) {
    gboolean peerdns = FALSE;
    int r = vb_xml_prop_bool (child, "peerdns", FALSE, &peerdns, error);
    if (r < 0)
      return FALSE;
    proto->dhcp = TRUE;
    if (r > 0)
      proto->dhcp_peerdns = peerdns ? VB_INTERFACE_TRISTATE_YES : VB_INTERFACE_TRISTATE_NO;
  }
  for (xmlNode *n = vb_xml_next (node, NULL, "ip"); n; n = vb_xml_next (node, n, "ip")) {
    VbInterfaceIp *ip = g_new0 (VbInterfaceIp, 1);
    int r;

    g_ptr_array_add (proto->ips, ip);
    if (!parse_ip_attr (n, "address", family, &ip->address, error))
      return FALSE;
    r = vb_xml_prop_uint (n, "prefix", &ip->prefix, error);
    if (r < 0)
      return FALSE;
    if (ip->prefix > max_prefix)
      return vb_xml_fail (error, n, "prefix %u is out of range (0-%u)", ip->prefix, max_prefix);
  }
  child = vb_xml_child (node, "route");
  if (child != NULL && !parse_ip_attr (child, "gateway", family, &proto->gateway, error))
    return FALSE;
  return TRUE;
}

static gboolean
parse_link (xmlNode *node, VbInterfaceDef *def, GError **error)
{
  xmlNode *link = vb_xml_child (node, "link");
  int state = 0;

  if (link == NULL)
    return TRUE;
  def->has_link = TRUE;
  if (vb_xml_prop_uint (link, "speed", &def->link_speed, error) < 0)
    return FALSE;
  if (!parse_enum (link, "state", link_state_names, &state, error))
    return FALSE;
  def->link_state = state;
  return TRUE;
}

/* Non-negative decimal seconds, as the schema's xsd:double with minInclusive
 * 0 allows, minus the exotic spellings (exponents, INF). */
static gboolean
valid_delay (const char *s)
{
  gboolean digits = FALSE, dot = FALSE;

  for (; *s; s++) {
    if (g_ascii_isdigit (*s))
      digits = TRUE;
    else if (*s == '.' && !dot)
      dot = TRUE;
    else
      return FALSE;
  }
  return digits;
}

static gboolean parse_interface (xmlNode *node, VbInterfaceType parent_type, VbInterfaceDef **out, GError **error);

static gboolean
parse_members (xmlNode *node, VbInterfaceDef *def, GError **error)
{
  for (xmlNode *n = vb_xml_next (node, NULL, "interface"); n; n = vb_xml_next (node, n, "interface")) {
    VbInterfaceDef *member = NULL;
    if (!parse_interface (n, def->type, &member, error))
      return FALSE;
    g_ptr_array_add (def->members, member);
  }
  return TRUE;
}

static gboolean
parse_bond (xmlNode *node, VbInterfaceDef *def, GError **error)
{
  xmlNode *mii, *arp;
  int mode = 0;

  if (!parse_enum (node, "mode", bond_mode_names, &mode, error))
    return FALSE;
  def->bond_mode = mode;

  mii = vb_xml_child (node, "miimon");
  arp = vb_xml_child (node, "arpmon");
  if (mii != NULL && arp != NULL)
    return vb_xml_fail (error, node, "<miimon> and <arpmon> are mutually exclusive");
  if (mii != NULL) {
    int carrier = 0;
    def->bond_monitor = VB_INTERFACE_BOND_MONITOR_MII;
    int r = vb_xml_prop_uint (mii, "freq", &def->mii_freq, error);
    if (r < 0)
      return FALSE;
    if (r == 0)
      return vb_xml_fail (error, mii, "missing attribute 'freq'");
    if (vb_xml_prop_uint (mii, "downdelay", &def->mii_downdelay, error) < 0 ||
        vb_xml_prop_uint (mii, "updelay", &def->mii_updelay, error) < 0)
      return FALSE;
    if (!parse_enum (mii, "carrier", carrier_names, &carrier, error))
      return FALSE;
    def->mii_carrier = carrier;
  }
  if (arp != NULL) {
    int validate = 0;
    def->bond_monitor = VB_INTERFACE_BOND_MONITOR_ARP;
    int r = vb_xml_prop_uint (arp, "interval", &def->arp_interval, error);
    if (r < 0)
      return FALSE;
    if (r == 0)
      return vb_xml_fail (error, arp, "missing attribute 'interval'");
    if (!parse_ip_attr (arp, "target", G_SOCKET_FAMILY_IPV4, &def->arp_target, error))
      return FALSE;
    if (!parse_enum (arp, "validate", validate_names, &validate, error))
      return FALSE;
    def->arp_validate = validate;
  }
  if (!parse_members (node, def, error))
    return FALSE;
  if (def->members->len == 0)
    return vb_xml_fail (error, node, "a bond needs at least one member <interface>");
  return TRUE;
}

static gboolean
parse_bridge (xmlNode *node, VbInterfaceDef *def, GError **error)
{
  gboolean stp = FALSE;
  int r = vb_xml_prop_bool (node, "stp", TRUE, &stp, error);

  if (r < 0)
    return FALSE;
  if (r > 0)
    def->bridge_stp = stp ? VB_INTERFACE_TRISTATE_YES : VB_INTERFACE_TRISTATE_NO;
  def->bridge_delay = vb_xml_prop (node, "delay");
  if (def->bridge_delay != NULL && !valid_delay (def->bridge_delay))
    return vb_xml_fail (error, node, "delay '%s' is not a non-negative number of seconds", def->bridge_delay);
  return parse_members (node, def, error);
}

static gboolean
parse_vlan (xmlNode *node, VbInterfaceDef *def, GError **error)
{
  xmlNode *dev;
  int r = vb_xml_prop_uint (node, "tag", &def->vlan_tag, error);

  if (r < 0)
    return FALSE;
  if (r == 0)
    return vb_xml_fail (error, node, "missing attribute 'tag'");
  if (def->vlan_tag > 4095)
    return vb_xml_fail (error, node, "VLAN tag %u is out of range (0-4095)", def->vlan_tag);
  dev = vb_xml_child (node, "interface");
  if (dev == NULL)
    return vb_xml_fail (error, node, "missing <interface name='…'/>");
  return parse_name (dev, TRUE, &def->vlan_device, error);
}

/* Parses an <interface> element. @parent_type is VB_INTERFACE_TYPE_LAST for
 * the top level, else the type of the bridge or bond holding it; the type
 * rules (checked before descending) bound the recursion to three levels. */
static gboolean
parse_interface (xmlNode *node, VbInterfaceType parent_type, VbInterfaceDef **out, GError **error)
{
  g_autoptr(VbInterfaceDef) def = NULL;
  gboolean top = parent_type == VB_INTERFACE_TYPE_LAST;
  g_autofree char *type_str = vb_xml_prop_required (node, "type", error);
  int type;
  xmlNode *child;

  if (type_str == NULL)
    return FALSE;
  for (type = 0; type_names[type] && strcmp (type_names[type], type_str) != 0; type++)
    ;
  if (type_names[type] == NULL)
    return vb_xml_fail (error, node,
                        "unsupported interface type '%s' (supported: 'ethernet', 'bridge', 'bond', 'vlan')",
                        type_str);
  if ((parent_type == VB_INTERFACE_BRIDGE && type == VB_INTERFACE_BRIDGE) ||
      (parent_type == VB_INTERFACE_BOND && type != VB_INTERFACE_ETHERNET))
    return vb_xml_fail (error, node, "a %s cannot hold a '%s' interface", type_names[parent_type], type_str);

  def = vb_interface_def_new (type);
  if (!parse_name (node, type != VB_INTERFACE_VLAN, &def->name, error))
    return FALSE;

  if (top) {
    child = vb_xml_child (node, "start");
    if (child != NULL) {
      int mode = 0;
      if (!parse_enum (child, "mode", start_names, &mode, error))
        return FALSE;
      if (mode == 0)
        return vb_xml_fail (error, child, "missing attribute 'mode'");
      def->start_mode = mode;
    }
    child = vb_xml_child (node, "mtu");
    if (child != NULL) {
      int r = vb_xml_prop_uint (child, "size", &def->mtu, error);
      if (r < 0)
        return FALSE;
      if (r == 0 || def->mtu == 0)
        return vb_xml_fail (error, child, "needs a positive 'size'");
    }
    for (child = vb_xml_next (node, NULL, "protocol"); child; child = vb_xml_next (node, child, "protocol")) {
      int family = 0;
      int r = vb_xml_prop_enum (child, "family", family_names, &family, error);
      VbInterfaceProtocol *proto = family ? &def->ipv6 : &def->ipv4;
      if (r < 0)
        return FALSE;
      if (r == 0)
        return vb_xml_fail (error, child, "missing attribute 'family'");
      if (proto->present)
        return vb_xml_fail (error, child, "duplicate %s protocol", family_names[family]);
      if (!parse_protocol (child, family == 1, proto, error))
        return FALSE;
    }
  }

  if (type != VB_INTERFACE_BRIDGE && !parse_link (node, def, error))
    return FALSE;

  switch ((VbInterfaceType) type) {
  case VB_INTERFACE_ETHERNET:
    child = vb_xml_child (node, "mac");
    if (child != NULL && !parse_mac (child, &def->mac, error))
      return FALSE;
    break;
  case VB_INTERFACE_BRIDGE:
    child = vb_xml_child (node, "bridge");
    if (child == NULL)
      return vb_xml_fail (error, node, "missing <bridge>");
    if (!parse_bridge (child, def, error))
      return FALSE;
    break;
  case VB_INTERFACE_BOND:
    child = vb_xml_child (node, "bond");
    if (child == NULL)
      return vb_xml_fail (error, node, "missing <bond>");
    if (!parse_bond (child, def, error))
      return FALSE;
    break;
  case VB_INTERFACE_VLAN:
    child = vb_xml_child (node, "vlan");
    if (child == NULL)
      return vb_xml_fail (error, node, "missing <vlan>");
    if (!parse_vlan (child, def, error))
      return FALSE;
    if (def->name == NULL)
      def->name = g_strdup_printf ("%s.%u", def->vlan_device, def->vlan_tag);
    break;
  case VB_INTERFACE_TYPE_LAST:
  default:
    g_assert_not_reached ();
  }

  *out = g_steal_pointer (&def);
  return TRUE;
}

VbInterfaceDef *
vb_interface_def_parse (const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = vb_xml_parse (xml, -1, "interface", error);
  g_autoptr(VbInterfaceDef) def = NULL;
  xmlNode *root;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  if (!check_chars (root, error))
    return NULL;
  if (!parse_interface (root, VB_INTERFACE_TYPE_LAST, &def, error))
    return NULL;
  if (!vb_xml_check_consumed (root, error))
    return NULL;
  return g_steal_pointer (&def);
}

static void
format_protocol (VbXmlWriter *w, const char *family, const VbInterfaceProtocol *proto)
{
  if (!proto->present)
    return;
  vb_xml_writer_start (w, "protocol", "family", family, NULL);
  if (proto->autoconf)
    vb_xml_writer_empty (w, "autoconf", NULL);
  if (proto->dhcp) {
    const char *peerdns = proto->dhcp_peerdns == VB_INTERFACE_TRISTATE_YES  ? "yes"
                          : proto->dhcp_peerdns == VB_INTERFACE_TRISTATE_NO ? "no"
                                                                            : NULL;
    vb_xml_writer_empty (w, "dhcp", "peerdns", peerdns, NULL);
  }
  for (guint i = 0; i < proto->ips->len; i++) {
    const VbInterfaceIp *ip = g_ptr_array_index (proto->ips, i);
    char prefix[16];
    g_snprintf (prefix, sizeof prefix, "%u", ip->prefix);
    vb_xml_writer_empty (w, "ip", "address", ip->address, "prefix", ip->prefix ? prefix : NULL, NULL);
  }
  if (proto->gateway != NULL)
    vb_xml_writer_empty (w, "route", "gateway", proto->gateway, NULL);
  vb_xml_writer_end (w);
}

static void
format_interface (VbXmlWriter *w, const VbInterfaceDef *def, gboolean top, guint flags)
{
  char buf[3][16];

  vb_xml_writer_start (w, "interface", "type", type_names[def->type], "name", def->name, NULL);
  if (top) {
    if (def->start_mode != VB_INTERFACE_START_DEFAULT)
      vb_xml_writer_empty (w, "start", "mode", start_names[def->start_mode], NULL);
    if (def->mtu > 0) {
      g_snprintf (buf[0], sizeof buf[0], "%u", def->mtu);
      vb_xml_writer_empty (w, "mtu", "size", buf[0], NULL);
    }
  }
  if (def->has_link && def->type != VB_INTERFACE_BRIDGE && !(flags & VB_INTERFACE_XML_INACTIVE)) {
    g_snprintf (buf[0], sizeof buf[0], "%u", def->link_speed);
    vb_xml_writer_empty (w, "link", "speed", def->link_speed ? buf[0] : NULL, "state",
                         def->link_state ? link_state_names[def->link_state] : NULL, NULL);
  }
  if (top) {
    format_protocol (w, "ipv4", &def->ipv4);
    format_protocol (w, "ipv6", &def->ipv6);
  }

  switch (def->type) {
  case VB_INTERFACE_ETHERNET:
    if (def->mac != NULL)
      vb_xml_writer_empty (w, "mac", "address", def->mac, NULL);
    break;
  case VB_INTERFACE_BRIDGE: {
    const char *stp = def->bridge_stp == VB_INTERFACE_TRISTATE_YES  ? "on"
                      : def->bridge_stp == VB_INTERFACE_TRISTATE_NO ? "off"
                                                                    : NULL;
    vb_xml_writer_start (w, "bridge", "stp", stp, "delay", def->bridge_delay, NULL);
    for (guint i = 0; i < def->members->len; i++)
      format_interface (w, g_ptr_array_index (def->members, i), FALSE, flags);
    vb_xml_writer_end (w);
    break;
  }
  case VB_INTERFACE_BOND:
    vb_xml_writer_start (w, "bond", "mode", def->bond_mode ? bond_mode_names[def->bond_mode] : NULL, NULL);
    if (def->bond_monitor == VB_INTERFACE_BOND_MONITOR_MII) {
      g_snprintf (buf[0], sizeof buf[0], "%u", def->mii_freq);
      g_snprintf (buf[1], sizeof buf[1], "%u", def->mii_downdelay);
      g_snprintf (buf[2], sizeof buf[2], "%u", def->mii_updelay);
      vb_xml_writer_empty (w, "miimon", "freq", buf[0], "downdelay", def->mii_downdelay ? buf[1] : NULL, "updelay",
                           def->mii_updelay ? buf[2] : NULL, "carrier",
                           def->mii_carrier ? carrier_names[def->mii_carrier] : NULL, NULL);
    } else if (def->bond_monitor == VB_INTERFACE_BOND_MONITOR_ARP) {
      g_snprintf (buf[0], sizeof buf[0], "%u", def->arp_interval);
      vb_xml_writer_empty (w, "arpmon", "interval", buf[0], "target", def->arp_target, "validate",
                           def->arp_validate ? validate_names[def->arp_validate] : NULL, NULL);
    }
    for (guint i = 0; i < def->members->len; i++)
      format_interface (w, g_ptr_array_index (def->members, i), FALSE, flags);
    vb_xml_writer_end (w);
    break;
  case VB_INTERFACE_VLAN:
    g_snprintf (buf[0], sizeof buf[0], "%u", def->vlan_tag);
    vb_xml_writer_start (w, "vlan", "tag", buf[0], NULL);
    vb_xml_writer_empty (w, "interface", "name", def->vlan_device, NULL);
    vb_xml_writer_end (w);
    break;
  case VB_INTERFACE_TYPE_LAST:
  default:
    break;
  }
  vb_xml_writer_end (w);
}

char *
vb_interface_def_format (const VbInterfaceDef *def, guint flags)
{
  g_autoptr(VbXmlWriter) w = vb_xml_writer_new ();

  g_return_val_if_fail (def != NULL && (guint) def->type < VB_INTERFACE_TYPE_LAST, NULL);
  format_interface (w, def, TRUE, flags);
  return vb_xml_writer_finish (g_steal_pointer (&w));
}
