/* The nftables table of a virtual network, as text for `nft -f -`.
 *
 * One table of family inet per network covers IPv4 and IPv6 at once, and
 * owning a whole table lets a network replace or drop all its rules in one
 * atomic transaction without looking at anybody else's.
 *
 * Everything that ends up in the script is either a constant of ours, a
 * number, an address re-printed from its parsed bytes, or an interface
 * name checked against the kernel's rules and a strict alphabet: the
 * definition comes from callers we do not trust, and nft syntax must not be
 * theirs to write.
 */
#include <gio/gio.h>
#include <string.h>

#include "vb-error.h"
#include "vb-network-firewall.h"

/* The kernel's IFNAMSIZ less the terminating NUL. */
#define IFNAME_MAX 15

/* libvirt's default source port range for masquerading tcp and udp: keep
 * translated ports out of the privileged range. */
#define NAT_PORT_DEFAULT_START 1024
#define NAT_PORT_DEFAULT_END 65535

/* A name the kernel would take for an interface, written with characters
 * that mean nothing to nft inside quotes (no '"', no '*' wildcard, no
 * whitespace or newline). */
static gboolean
ifname_is_safe (const char *name)
{
  gsize len;

  if (name == NULL)
    return FALSE;
  len = strlen (name);
  if (len == 0 || len > IFNAME_MAX || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  }
  return TRUE;
}

static GInetAddress *
parse_address (const char *text, GError **error)
{
  GInetAddress *addr = text != NULL ? g_inet_address_new_from_string (text) : NULL;

  if (addr == NULL)
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "'%s' is not an IP address", text != NULL ? text : "");
  return addr;
}

/* The network an <ip> belongs to, as "address/prefix" with the host bits
 * cleared (nft refuses a prefix with host bits set). */
static char *
ip_subnet (const VbNetworkIp *ip, gboolean *is_v6, GError **error)
{
  g_autoptr(GInetAddress) addr = parse_address (ip->address, error);
  g_autoptr(GInetAddress) net = NULL;
  g_autofree char *net_text = NULL;
  guint8 bytes[16];
  gsize len;
  guint prefix;

  if (addr == NULL)
    return NULL;
  len = g_inet_address_get_native_size (addr);
  prefix = vb_network_ip_prefix (ip);
  if (prefix > len * 8) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "prefix %u is too long for the address %s", prefix,
                 ip->address);
    return NULL;
  }
  memcpy (bytes, g_inet_address_to_bytes (addr), len);
  for (gsize i = 0; i < len; i++) {
    if (prefix >= (i + 1) * 8)
      continue;
    bytes[i] &= prefix > i * 8 ? (guint8) (0xff << (8 - (prefix - i * 8))) : 0;
  }
  net = g_inet_address_new_from_bytes (bytes, g_inet_address_get_family (addr));
  net_text = g_inet_address_to_string (net);
  *is_v6 = len == 16;
  return g_strdup_printf ("%s/%u", net_text, prefix);
}

/* The outgoing interface NAT and routing are restricted to: forward dev=,
 * or (as libvirt takes it) the first <interface> of <forward>. */
static const char *
forward_dev (const VbNetworkDef *def)
{
  if (def->forward.dev != NULL)
    return def->forward.dev;
  if (def->forward.interfaces != NULL && def->forward.interfaces->len > 0)
    return ((const VbNetworkForwardInterface *) g_ptr_array_index (def->forward.interfaces, 0))->dev;
  return NULL;
}

/* The source ports of translated tcp/udp (":P1-P2"), and for IPv4 the snat
 * of <nat><address> ("snat ip to A[-B]", NULL: masquerade to the outgoing
 * interface's address). */
static gboolean
nat_params (const VbNetworkForward *fwd, char **ports, char **snat, GError **error)
{
  guint port_start = fwd->nat_port_start, port_end = fwd->nat_port_end;
  const char *end_text = fwd->nat_address_end != NULL ? fwd->nat_address_end : fwd->nat_address_start;
  g_autoptr(GInetAddress) start = NULL, end = NULL;
  g_autofree char *start_str = NULL, *end_str = NULL;

  if (port_start == 0 && port_end == 0) {
    port_start = NAT_PORT_DEFAULT_START;
    port_end = NAT_PORT_DEFAULT_END;
  }
  if (port_start == 0 || port_start > port_end || port_end > 65535) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "invalid NAT port range %u-%u", fwd->nat_port_start,
                 fwd->nat_port_end);
    return FALSE;
  }
  *ports = g_strdup_printf (":%u-%u", port_start, port_end);
  *snat = NULL;
  if (end_text == NULL)
    return TRUE;

  start = parse_address (fwd->nat_address_start != NULL ? fwd->nat_address_start : end_text, error);
  end = start != NULL ? parse_address (end_text, error) : NULL;
  if (end == NULL)
    return FALSE;
  if (g_inet_address_get_family (start) != G_SOCKET_FAMILY_IPV4 ||
      g_inet_address_get_family (end) != G_SOCKET_FAMILY_IPV4 ||
      memcmp (g_inet_address_to_bytes (start), g_inet_address_to_bytes (end), 4) > 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "invalid NAT address range %s-%s",
                 fwd->nat_address_start != NULL ? fwd->nat_address_start : "", end_text);
    return FALSE;
  }
  start_str = g_inet_address_to_string (start);
  end_str = g_inet_address_to_string (end);
  if (g_inet_address_equal (start, end))
    *snat = g_strdup_printf ("snat ip to %s", start_str);
  else
    *snat = g_strdup_printf ("snat ip to %s-%s", start_str, end_str);
  return TRUE;
}

/* Source NAT of one subnet towards everything outside it. */
static void
append_masquerade (GString *out, const char *subnet, gboolean v6, const char *dev, const char *ports,
                   const char *snat)
{
  const char *fam = v6 ? "ip6" : "ip";
  g_autofree char *oif = dev != NULL ? g_strdup_printf (" oifname \"%s\"", dev) : g_strdup ("");
  g_autofree char *match = g_strdup_printf ("%s saddr %s %s daddr != %s%s", fam, subnet, fam, subnet, oif);

  /* Multicast and broadcast from the subnet must keep their source: they
   * are answered by (or meant for) local listeners, not the outside. */
  if (v6) {
    g_string_append_printf (out, "    ip6 saddr %s ip6 daddr ff00::/8 return\n", subnet);
  } else {
    g_string_append_printf (out, "    ip saddr %s ip daddr 224.0.0.0/24 return\n", subnet);
    g_string_append_printf (out, "    ip saddr %s ip daddr 255.255.255.255 return\n", subnet);
  }
  if (snat != NULL) {
    g_string_append_printf (out, "    meta l4proto tcp %s %s%s\n", match, snat, ports);
    g_string_append_printf (out, "    meta l4proto udp %s %s%s\n", match, snat, ports);
    g_string_append_printf (out, "    %s %s\n", match, snat);
  } else {
    g_string_append_printf (out, "    meta l4proto tcp %s masquerade to %s\n", match, ports);
    g_string_append_printf (out, "    meta l4proto udp %s masquerade to %s\n", match, ports);
    g_string_append_printf (out, "    %s masquerade\n", match);
  }
}

char *
vb_network_firewall_table (const VbNetworkDef *def)
{
  GString *name;

  /* A definition always carries a valid uuid; the script functions check it
   * again with a proper error. */
  g_return_val_if_fail (g_uuid_string_is_valid (def->uuid), NULL);
  name = g_string_new ("virtbus_");
  for (const char *p = def->uuid; *p != '\0'; p++) {
    if (*p != '-')
      g_string_append_c (name, g_ascii_tolower (*p));
  }
  return g_string_free (name, FALSE);
}

char *
vb_network_firewall_delete_script (const VbNetworkDef *def)
{
  g_autofree char *table = vb_network_firewall_table (def);

  if (table == NULL)
    return NULL;
  /* "add" of an existing table is a no-op, so the "delete" that follows
   * always has a table to delete, in one transaction. */
  return g_strdup_printf ("add table inet %s\ndelete table inet %s\n", table, table);
}

char *
vb_network_firewall_script (const VbNetworkDef *def, GError **error)
{
  VbNetworkForwardMode mode = def->forward.mode;
  const char *bridge = def->bridge != NULL ? def->bridge->name : NULL;
  const char *dev = mode == VB_NETWORK_FORWARD_NONE ? NULL : forward_dev (def);
  g_autofree char *table = NULL;
  g_autofree char *nat_ports = NULL, *snat = NULL;
  g_autofree char *out_dev = NULL, *in_dev = NULL;
  g_autoptr(GPtrArray) subnets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) is_v6 = g_array_new (FALSE, FALSE, sizeof (gboolean));
  g_autoptr(GString) out = NULL;

  if (mode != VB_NETWORK_FORWARD_NONE && mode != VB_NETWORK_FORWARD_NAT && mode != VB_NETWORK_FORWARD_ROUTE)
    return NULL; /* open: no rules by definition; the others: the bridge is not ours */

  if (!g_uuid_string_is_valid (def->uuid)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "the network has no valid uuid");
    return NULL;
  }
  if (!ifname_is_safe (bridge)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "'%s' is not a usable bridge name",
                 bridge != NULL ? bridge : "");
    return NULL;
  }
  if (dev != NULL && !ifname_is_safe (dev)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "'%s' is not a usable forward device name", dev);
    return NULL;
  }
  for (guint i = 0; def->ips != NULL && i < def->ips->len; i++) {
    gboolean v6 = FALSE;
    char *subnet = ip_subnet (g_ptr_array_index (def->ips, i), &v6, error);

    if (subnet == NULL)
      return NULL;
    g_ptr_array_add (subnets, subnet);
    g_array_append_val (is_v6, v6);
  }
  if (mode == VB_NETWORK_FORWARD_NAT && !nat_params (&def->forward, &nat_ports, &snat, error))
    return NULL;

  table = vb_network_firewall_table (def);
  out_dev = dev != NULL ? g_strdup_printf (" oifname \"%s\"", dev) : g_strdup ("");
  in_dev = dev != NULL ? g_strdup_printf ("iifname \"%s\" ", dev) : g_strdup ("");
  out = g_string_new (NULL);
  /* "add" first so that the "delete" never fails, all in one transaction:
   * the old rules are never gone before the new ones are in. */
  g_string_append_printf (out, "add table inet %s\ndelete table inet %s\ntable inet %s {\n", table, table, table);

  /* No input chain for DHCP and DNS from the guests: an accept in our table
   * cannot override a drop in another table at the same hook, so such rules
   * would promise what they cannot keep. Opening the host to its guests is
   * left to the host's own firewall. */
  g_string_append (out, "  chain forward {\n    type filter hook forward priority filter; policy accept;\n");
  /* Guest to guest is bridged, not routed; it only reaches this hook when
   * br_netfilter is loaded, and must not meet the rejects below then. */
  g_string_append_printf (out, "    iifname \"%s\" oifname \"%s\" accept\n", bridge, bridge);
  for (guint i = 0; mode != VB_NETWORK_FORWARD_NONE && i < subnets->len; i++) {
    const char *subnet = g_ptr_array_index (subnets, i);
    gboolean v6 = g_array_index (is_v6, gboolean, i);
    const char *fam = v6 ? "ip6" : "ip";
    /* IPv6 of a NAT network is routed (as libvirt does) unless <nat ipv6='yes'>. */
    gboolean natted = mode == VB_NETWORK_FORWARD_NAT && (!v6 || def->forward.nat_ipv6 == VB_NETWORK_TRISTATE_YES);

    g_string_append_printf (out, "    iifname \"%s\"%s %s saddr %s accept\n", bridge, out_dev, fam, subnet);
    /* Behind NAT only answers can come back in; routed subnets are reachable. */
    g_string_append_printf (out, "    %soifname \"%s\" %s daddr %s%s accept\n", in_dev, bridge, fam, subnet,
                            natted ? " ct state related,established" : "");
  }
  g_string_append_printf (out, "    iifname \"%s\" reject\n    oifname \"%s\" reject\n  }\n", bridge, bridge);

  if (mode == VB_NETWORK_FORWARD_NAT) {
    g_string_append (out, "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n");
    for (guint i = 0; i < subnets->len; i++) {
      const char *subnet = g_ptr_array_index (subnets, i);

      /* <nat><address> is IPv4 only: IPv6 always takes the outgoing address. */
      if (!g_array_index (is_v6, gboolean, i))
        append_masquerade (out, subnet, FALSE, dev, nat_ports, snat);
      else if (def->forward.nat_ipv6 == VB_NETWORK_TRISTATE_YES)
        append_masquerade (out, subnet, TRUE, dev, nat_ports, NULL);
    }
    g_string_append (out, "  }\n");
  }
  g_string_append (out, "}\n");
  return g_string_free (g_steal_pointer (&out), FALSE);
}
