#define G_LOG_DOMAIN "virtbus-xml"

#include "vb-network-def.h"

#include <gio/gio.h>
#include <stdarg.h>
#include <string.h>

#include "vb-error.h"
#include "vb-xml.h"

/* ---- Enum tables ---- */

static const char *const forward_mode_names[] = {
  "none", "nat", "route", "open", "bridge", "private", "vepa", "passthrough", "hostdev", NULL,
};
/* mode= values: all but "none", which is written as no <forward> at all. */
#define FORWARD_MODE_XML_VALUES (forward_mode_names + 1)

static const char *const forward_driver_names[] = { "default", "kvm", "vfio", NULL };
static const char *const mac_table_manager_names[] = { "default", "kernel", "libvirt", NULL };
static const char *const ip_family_names[] = { "default", "ipv4", "ipv6", NULL };
static const char *const lease_unit_names[] = { "default", "seconds", "minutes", "hours", NULL };
static const char *const virtualport_type_names[] = {
  "none", "802.1Qbg", "802.1Qbh", "openvswitch", "midonet", NULL,
};
static const char *const vlan_native_names[] = { "default", "tagged", "untagged", NULL };
static const char *const srv_protocol_names[] = { "tcp", "udp", NULL };

/* The XML values of an enum whose entry 0 means "attribute absent". */
#define XML_VALUES(table) ((table) + 1)

static const char *
enum_to_string (const char *const *table, gsize n, guint value)
{
  return value < n - 1 ? table[value] : NULL;
}

static int
enum_from_string (const char *const *table, const char *str)
{
  for (int i = 0; str != NULL && table[i] != NULL; i++)
    if (strcmp (table[i], str) == 0)
      return i;
  return -1;
}

const char *
vb_network_forward_mode_to_string (VbNetworkForwardMode mode)
{
  return enum_to_string (forward_mode_names, G_N_ELEMENTS (forward_mode_names), mode);
}

int
vb_network_forward_mode_from_string (const char *str)
{
  return enum_from_string (forward_mode_names, str);
}

const char *
vb_network_virtualport_type_to_string (VbNetworkVirtualPortType type)
{
  return enum_to_string (virtualport_type_names, G_N_ELEMENTS (virtualport_type_names), type);
}

int
vb_network_virtualport_type_from_string (const char *str)
{
  return enum_from_string (virtualport_type_names, str);
}

/* ---- Memory ---- */

static gpointer
str_copy (gconstpointer src, gpointer data)
{
  return g_strdup (src);
}

static void
forward_interface_free (gpointer p)
{
  VbNetworkForwardInterface *x = p;
  if (x == NULL)
    return;
  g_free (x->dev);
  g_free (x);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNetworkForwardInterface, forward_interface_free)

static gpointer
forward_interface_copy (gconstpointer p, gpointer data)
{
  const VbNetworkForwardInterface *x = p;
  VbNetworkForwardInterface *c = g_memdup2 (x, sizeof *x);
  c->dev = g_strdup (x->dev);
  return c;
}

static gpointer
forward_address_copy (gconstpointer p, gpointer data)
{
  return g_memdup2 (p, sizeof (VbNetworkForwardAddress));
}

static void
dns_forwarder_free (gpointer p)
{
  VbNetworkDnsForwarder *x = p;
  if (x == NULL)
    return;
  g_free (x->addr);
  g_free (x->domain);
  g_free (x);
}

static gpointer
dns_forwarder_copy (gconstpointer p, gpointer data)
{
  const VbNetworkDnsForwarder *x = p;
  VbNetworkDnsForwarder *c = g_new0 (VbNetworkDnsForwarder, 1);
  c->addr = g_strdup (x->addr);
  c->domain = g_strdup (x->domain);
  return c;
}

static void
dns_txt_free (gpointer p)
{
  VbNetworkDnsTxt *x = p;
  if (x == NULL)
    return;
  g_free (x->name);
  g_free (x->value);
  g_free (x);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNetworkDnsTxt, dns_txt_free)

static gpointer
dns_txt_copy (gconstpointer p, gpointer data)
{
  const VbNetworkDnsTxt *x = p;
  VbNetworkDnsTxt *c = g_new0 (VbNetworkDnsTxt, 1);
  c->name = g_strdup (x->name);
  c->value = g_strdup (x->value);
  return c;
}

static void
dns_srv_free (gpointer p)
{
  VbNetworkDnsSrv *x = p;
  if (x == NULL)
    return;
  g_free (x->service);
  g_free (x->protocol);
  g_free (x->domain);
  g_free (x->target);
  g_free (x);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNetworkDnsSrv, dns_srv_free)

static gpointer
dns_srv_copy (gconstpointer p, gpointer data)
{
  const VbNetworkDnsSrv *x = p;
  VbNetworkDnsSrv *c = g_memdup2 (x, sizeof *x);
  c->service = g_strdup (x->service);
  c->protocol = g_strdup (x->protocol);
  c->domain = g_strdup (x->domain);
  c->target = g_strdup (x->target);
  return c;
}

static VbNetworkDnsHost *
dns_host_new (void)
{
  VbNetworkDnsHost *h = g_new0 (VbNetworkDnsHost, 1);
  h->hostnames = g_ptr_array_new_with_free_func (g_free);
  return h;
}

static void
dns_host_free (gpointer p)
{
  VbNetworkDnsHost *x = p;
  if (x == NULL)
    return;
  g_free (x->ip);
  g_ptr_array_unref (x->hostnames);
  g_free (x);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNetworkDnsHost, dns_host_free)

static gpointer
dns_host_copy (gconstpointer p, gpointer data)
{
  const VbNetworkDnsHost *x = p;
  VbNetworkDnsHost *c = g_new0 (VbNetworkDnsHost, 1);
  c->ip = g_strdup (x->ip);
  c->hostnames = g_ptr_array_copy (x->hostnames, str_copy, NULL);
  return c;
}

static VbNetworkDns *
dns_new (void)
{
  VbNetworkDns *d = g_new0 (VbNetworkDns, 1);
  d->forwarders = g_ptr_array_new_with_free_func (dns_forwarder_free);
  d->txts = g_ptr_array_new_with_free_func (dns_txt_free);
  d->srvs = g_ptr_array_new_with_free_func (dns_srv_free);
  d->hosts = g_ptr_array_new_with_free_func (dns_host_free);
  return d;
}

static void
dns_free (VbNetworkDns *d)
{
  if (d == NULL)
    return;
  g_ptr_array_unref (d->forwarders);
  g_ptr_array_unref (d->txts);
  g_ptr_array_unref (d->srvs);
  g_ptr_array_unref (d->hosts);
  g_free (d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNetworkDns, dns_free)

static VbNetworkDns *
dns_copy (const VbNetworkDns *d)
{
  VbNetworkDns *c;
  if (d == NULL)
    return NULL;
  c = g_new0 (VbNetworkDns, 1);
  c->enable = d->enable;
  c->forward_plain_names = d->forward_plain_names;
  c->forwarders = g_ptr_array_copy (d->forwarders, dns_forwarder_copy, NULL);
  c->txts = g_ptr_array_copy (d->txts, dns_txt_copy, NULL);
  c->srvs = g_ptr_array_copy (d->srvs, dns_srv_copy, NULL);
  c->hosts = g_ptr_array_copy (d->hosts, dns_host_copy, NULL);
  return c;
}

static void
dhcp_range_free (gpointer p)
{
  VbNetworkDhcpRange *x = p;
  if (x == NULL)
    return;
  g_free (x->start);
  g_free (x->end);
  g_free (x);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNetworkDhcpRange, dhcp_range_free)

static gpointer
dhcp_range_copy (gconstpointer p, gpointer data)
{
  const VbNetworkDhcpRange *x = p;
  VbNetworkDhcpRange *c = g_memdup2 (x, sizeof *x);
  c->start = g_strdup (x->start);
  c->end = g_strdup (x->end);
  return c;
}

static void
dhcp_host_free (gpointer p)
{
  VbNetworkDhcpHost *x = p;
  if (x == NULL)
    return;
  g_free (x->mac);
  g_free (x->id);
  g_free (x->name);
  g_free (x->ip);
  g_free (x);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNetworkDhcpHost, dhcp_host_free)

static gpointer
dhcp_host_copy (gconstpointer p, gpointer data)
{
  const VbNetworkDhcpHost *x = p;
  VbNetworkDhcpHost *c = g_memdup2 (x, sizeof *x);
  c->mac = g_strdup (x->mac);
  c->id = g_strdup (x->id);
  c->name = g_strdup (x->name);
  c->ip = g_strdup (x->ip);
  return c;
}

static VbNetworkIp *
ip_new (void)
{
  VbNetworkIp *ip = g_new0 (VbNetworkIp, 1);
  ip->prefix = -1;
  ip->dhcp_ranges = g_ptr_array_new_with_free_func (dhcp_range_free);
  ip->dhcp_hosts = g_ptr_array_new_with_free_func (dhcp_host_free);
  return ip;
}

static void
ip_free (gpointer p)
{
  VbNetworkIp *x = p;
  if (x == NULL)
    return;
  g_free (x->address);
  g_free (x->netmask);
  g_free (x->tftp_root);
  g_ptr_array_unref (x->dhcp_ranges);
  g_ptr_array_unref (x->dhcp_hosts);
  g_free (x->bootp_file);
  g_free (x->bootp_server);
  g_free (x);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNetworkIp, ip_free)

static gpointer
ip_copy (gconstpointer p, gpointer data)
{
  const VbNetworkIp *x = p;
  VbNetworkIp *c = g_memdup2 (x, sizeof *x);
  c->address = g_strdup (x->address);
  c->netmask = g_strdup (x->netmask);
  c->tftp_root = g_strdup (x->tftp_root);
  c->dhcp_ranges = g_ptr_array_copy (x->dhcp_ranges, dhcp_range_copy, NULL);
  c->dhcp_hosts = g_ptr_array_copy (x->dhcp_hosts, dhcp_host_copy, NULL);
  c->bootp_file = g_strdup (x->bootp_file);
  c->bootp_server = g_strdup (x->bootp_server);
  return c;
}

static void
route_free (gpointer p)
{
  VbNetworkRoute *x = p;
  if (x == NULL)
    return;
  g_free (x->address);
  g_free (x->netmask);
  g_free (x->gateway);
  g_free (x);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNetworkRoute, route_free)

static gpointer
route_copy (gconstpointer p, gpointer data)
{
  const VbNetworkRoute *x = p;
  VbNetworkRoute *c = g_memdup2 (x, sizeof *x);
  c->address = g_strdup (x->address);
  c->netmask = g_strdup (x->netmask);
  c->gateway = g_strdup (x->gateway);
  return c;
}

static void
vlan_free (VbNetworkVlan *v)
{
  if (v == NULL)
    return;
  g_array_unref (v->tags);
  g_free (v);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNetworkVlan, vlan_free)

static VbNetworkVlan *
vlan_copy (const VbNetworkVlan *v)
{
  VbNetworkVlan *c;
  if (v == NULL)
    return NULL;
  c = g_new0 (VbNetworkVlan, 1);
  c->trunk = v->trunk;
  c->tags = g_array_copy (v->tags);
  return c;
}

static void
virtualport_free (VbNetworkVirtualPort *v)
{
  if (v == NULL)
    return;
  g_free (v->instance_id);
  g_free (v->interface_id);
  g_free (v->profile_id);
  g_free (v);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNetworkVirtualPort, virtualport_free)

static VbNetworkVirtualPort *
virtualport_copy (const VbNetworkVirtualPort *v)
{
  VbNetworkVirtualPort *c;
  if (v == NULL)
    return NULL;
  c = g_memdup2 (v, sizeof *v);
  c->instance_id = g_strdup (v->instance_id);
  c->interface_id = g_strdup (v->interface_id);
  c->profile_id = g_strdup (v->profile_id);
  return c;
}

static void
portgroup_free (gpointer p)
{
  VbNetworkPortGroup *x = p;
  if (x == NULL)
    return;
  g_free (x->name);
  virtualport_free (x->virtualport);
  g_free (x->bandwidth);
  vlan_free (x->vlan);
  g_free (x);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNetworkPortGroup, portgroup_free)

static gpointer
portgroup_copy (gconstpointer p, gpointer data)
{
  const VbNetworkPortGroup *x = p;
  VbNetworkPortGroup *c = g_memdup2 (x, sizeof *x);
  c->name = g_strdup (x->name);
  c->virtualport = virtualport_copy (x->virtualport);
  c->bandwidth = vb_bandwidth_copy (x->bandwidth);
  c->vlan = vlan_copy (x->vlan);
  return c;
}

static void
bridge_free (VbNetworkBridge *b)
{
  if (b == NULL)
    return;
  g_free (b->name);
  g_free (b->zone);
  g_free (b);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNetworkBridge, bridge_free)

static VbNetworkBridge *
bridge_copy (const VbNetworkBridge *b)
{
  VbNetworkBridge *c;
  if (b == NULL)
    return NULL;
  c = g_memdup2 (b, sizeof *b);
  c->name = g_strdup (b->name);
  c->zone = g_strdup (b->zone);
  return c;
}

static void
forward_init (VbNetworkForward *f)
{
  memset (f, 0, sizeof *f);
  f->interfaces = g_ptr_array_new_with_free_func (forward_interface_free);
  f->addresses = g_ptr_array_new_with_free_func (g_free);
}

static void
forward_clear (VbNetworkForward *f)
{
  g_free (f->dev);
  g_free (f->pf_dev);
  g_clear_pointer (&f->interfaces, g_ptr_array_unref);
  g_clear_pointer (&f->addresses, g_ptr_array_unref);
  g_free (f->nat_address_start);
  g_free (f->nat_address_end);
}

static VbNetworkDef *
network_def_new (void)
{
  VbNetworkDef *def = g_new0 (VbNetworkDef, 1);
  forward_init (&def->forward);
  def->ips = g_ptr_array_new_with_free_func (ip_free);
  def->routes = g_ptr_array_new_with_free_func (route_free);
  def->portgroups = g_ptr_array_new_with_free_func (portgroup_free);
  return def;
}

void
vb_network_def_free (VbNetworkDef *def)
{
  if (def == NULL)
    return;
  g_free (def->name);
  g_free (def->title);
  g_free (def->description);
  g_free (def->metadata);
  forward_clear (&def->forward);
  bridge_free (def->bridge);
  g_free (def->mac);
  g_free (def->domain_name);
  dns_free (def->dns);
  g_ptr_array_unref (def->ips);
  g_ptr_array_unref (def->routes);
  g_ptr_array_unref (def->portgroups);
  g_free (def->bandwidth);
  vlan_free (def->vlan);
  virtualport_free (def->virtualport);
  g_free (def);
}

VbNetworkDef *
vb_network_def_copy (const VbNetworkDef *def)
{
  VbNetworkDef *c = g_memdup2 (def, sizeof *def);
  const VbNetworkForward *f = &def->forward;

  c->name = g_strdup (def->name);
  c->title = g_strdup (def->title);
  c->description = g_strdup (def->description);
  c->metadata = g_strdup (def->metadata);
  c->forward.dev = g_strdup (f->dev);
  c->forward.pf_dev = g_strdup (f->pf_dev);
  c->forward.interfaces = g_ptr_array_copy (f->interfaces, forward_interface_copy, NULL);
  c->forward.addresses = g_ptr_array_copy (f->addresses, forward_address_copy, NULL);
  c->forward.nat_address_start = g_strdup (f->nat_address_start);
  c->forward.nat_address_end = g_strdup (f->nat_address_end);
  c->bridge = bridge_copy (def->bridge);
  c->mac = g_strdup (def->mac);
  c->domain_name = g_strdup (def->domain_name);
  c->dns = dns_copy (def->dns);
  c->ips = g_ptr_array_copy (def->ips, ip_copy, NULL);
  c->routes = g_ptr_array_copy (def->routes, route_copy, NULL);
  c->portgroups = g_ptr_array_copy (def->portgroups, portgroup_copy, NULL);
  c->bandwidth = vb_bandwidth_copy (def->bandwidth);
  c->vlan = vlan_copy (def->vlan);
  c->virtualport = virtualport_copy (def->virtualport);
  return c;
}

/* ---- Value checks ---- */

static void
attr_error (GError **error, xmlNode *node, const char *name, const char *value, const char *problem)
{
  g_autofree char *where = vb_xml_node_describe (node);
  g_set_error (error, VB_ERROR, VB_ERROR_XML, "attribute '%s' of %s: '%s' %s", name, where, value, problem);
}

static void
missing_attr_error (GError **error, xmlNode *node, const char *name)
{
  g_autofree char *where = vb_xml_node_describe (node);
  g_set_error (error, VB_ERROR, VB_ERROR_XML, "missing attribute '%s' on %s", name, where);
}

/* Attribute values may not hold control characters: the parser turns a tab
 * or newline in an attribute into a space, so they could not round-trip. */
static gboolean
is_attr_text (const char *s)
{
  return !vb_xml_has_control_chars (s, FALSE);
}

static gboolean
is_nonempty_attr_text (const char *s)
{
  return *s != '\0' && is_attr_text (s);
}

static gboolean
is_charset (const char *s, const char *extra)
{
  if (*s == '\0')
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isalnum (*s) && strchr (extra, *s) == NULL)
      return FALSE;
  return TRUE;
}

/* The schema's dnsName, deviceName and zoneName. */
static gboolean
is_dns_name (const char *s)
{
  return is_charset (s, ".-");
}

static gboolean
is_device_name (const char *s)
{
  return is_charset (s, "_.-\\:/");
}

static gboolean
is_zone_name (const char *s)
{
  return is_charset (s, "_-");
}

/* Element text may also hold newlines and tabs (not CR: it would come back
 * as LF). */
static gboolean
check_element_text (xmlNode *node, const char *text, gboolean multi_line, GError **error)
{
  if (vb_xml_has_control_chars (text, multi_line))
    return vb_xml_fail (error, node, "control characters are not allowed");
  return TRUE;
}

typedef gboolean (*ValueCheck) (const char *value);

/* Reads attribute @name checked by @check (@what names the expected kind
 * for the message). Returns 1 when present and valid, 0 when absent (an
 * error if @required), -1 on error. */
static int
prop_checked (xmlNode *node, const char *name, gboolean required, ValueCheck check, const char *what,
              char **out, GError **error)
{
  g_autofree char *value = vb_xml_prop (node, name);

  if (value == NULL) {
    if (required) {
      missing_attr_error (error, node, name);
      return -1;
    }
    return 0;
  }
  if (!check (value)) {
    g_autofree char *problem = g_strdup_printf ("is not %s", what);
    attr_error (error, node, name, value, problem);
    return -1;
  }
  g_free (*out);
  *out = g_steal_pointer (&value);
  return 1;
}

/* IP family wanted by prop_ip(). */
enum { FAMILY_ANY = 0, FAMILY_V4 = 4, FAMILY_V6 = 6 };

/* Parses an IPv4/IPv6 address (no scope id) into its canonical text. */
static char *
canonical_ip (const char *str, int want, gboolean *is_v6)
{
  g_autoptr(GInetAddress) addr = NULL;
  gboolean v6;

  if (str == NULL || *str == '\0' || strchr (str, '%') != NULL)
    return NULL;
  addr = g_inet_address_new_from_string (str);
  if (addr == NULL)
    return NULL;
  v6 = g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6;
  if ((want == FAMILY_V4 && v6) || (want == FAMILY_V6 && !v6))
    return NULL;
  if (is_v6 != NULL)
    *is_v6 = v6;
  return g_inet_address_to_string (addr);
}

static int
prop_ip (xmlNode *node, const char *name, gboolean required, int want, char **out, GError **error)
{
  g_autofree char *value = vb_xml_prop (node, name);
  char *canon;

  if (value == NULL) {
    if (required) {
      missing_attr_error (error, node, name);
      return -1;
    }
    return 0;
  }
  canon = canonical_ip (value, want, NULL);
  if (canon == NULL) {
    attr_error (error, node, name, value,
                want == FAMILY_V4 ? "is not an IPv4 address" :
                want == FAMILY_V6 ? "is not an IPv6 address" : "is not an IP address");
    return -1;
  }
  g_free (*out);
  *out = canon;
  return 1;
}

/* Address bytes of a canonical address; *len is 4 or 16. */
static gboolean
ip_bytes (const char *str, guint8 out[16], gsize *len)
{
  g_autoptr(GInetAddress) addr = str ? g_inet_address_new_from_string (str) : NULL;
  if (addr == NULL)
    return FALSE;
  *len = g_inet_address_get_native_size (addr);
  memcpy (out, g_inet_address_to_bytes (addr), *len);
  return TRUE;
}

static gboolean
ip_is_v6 (const char *str)
{
  guint8 b[16];
  gsize len = 0;
  return ip_bytes (str, b, &len) && len == 16;
}

static gboolean
ip_equal (const char *a, const char *b)
{
  guint8 ba[16], bb[16];
  gsize la = 0, lb = 0;
  return ip_bytes (a, ba, &la) && ip_bytes (b, bb, &lb) && la == lb && memcmp (ba, bb, la) == 0;
}

/* Prefix length of a contiguous netmask, or -1. */
static int
netmask_prefix (const guint8 *mask, gsize len)
{
  int prefix = 0;
  gboolean zeros = FALSE;

  for (gsize i = 0; i < len; i++) {
    for (int bit = 7; bit >= 0; bit--) {
      gboolean one = (mask[i] >> bit) & 1;
      if (one && zeros)
        return -1;
      if (one)
        prefix++;
      else
        zeros = TRUE;
    }
  }
  return prefix;
}

/* TRUE when @a and @b agree on the first @prefix bits. */
static gboolean
same_prefix (const guint8 *a, const guint8 *b, gsize len, guint prefix)
{
  for (gsize i = 0; i < len && prefix > 0; i++) {
    guint bits = MIN (prefix, 8u);
    guint8 mask = (guint8) (0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask))
      return FALSE;
    prefix -= bits;
  }
  return TRUE;
}

/* TRUE when all bits after the first @prefix are @value (0 or 1). */
static gboolean
host_bits_all (const guint8 *a, gsize len, guint prefix, gboolean value)
{
  for (gsize i = 0; i < len; i++) {
    for (int bit = 7; bit >= 0; bit--) {
      guint index = i * 8 + (7 - bit);
      if (index >= prefix && (gboolean) ((a[i] >> bit) & 1) != value)
        return FALSE;
    }
  }
  return TRUE;
}

/* uniMacAddr: six two-digit hex bytes, the first one unicast (even). The
 * result is lowercase. */
static char *
canonical_unicast_mac (const char *s)
{
  if (strlen (s) != 17)
    return NULL;
  for (int i = 0; i < 17; i++) {
    if (i % 3 == 2 ? s[i] != ':' : !g_ascii_isxdigit (s[i]))
      return NULL;
  }
  if (g_ascii_xdigit_value (s[1]) & 1)
    return NULL;
  return g_ascii_strdown (s, -1);
}

static int
prop_mac (xmlNode *node, const char *name, gboolean required, char **out, GError **error)
{
  g_autofree char *value = vb_xml_prop (node, name);
  char *canon;

  if (value == NULL) {
    if (required) {
      missing_attr_error (error, node, name);
      return -1;
    }
    return 0;
  }
  canon = canonical_unicast_mac (value);
  if (canon == NULL) {
    attr_error (error, node, name, value, "is not a unicast MAC address");
    return -1;
  }
  g_free (*out);
  *out = canon;
  return 1;
}

/* A DHCPv6 DUID as the schema spells the four types (RFC 3315/6355):
 * colon-separated bytes of one or two hex digits. */
static gboolean
is_duid (const char *s)
{
  g_auto(GStrv) parts = g_strsplit (s, ":", 0);
  guint n = g_strv_length (parts);
  guint values[2] = { 0, 0 };
  guint hw = 0;

  if (n < 4)
    return FALSE;
  for (guint i = 0; i < n; i++) {
    gsize len = strlen (parts[i]);
    if (len < 1 || len > 2 || !g_ascii_isxdigit (parts[i][0]) || (len == 2 && !g_ascii_isxdigit (parts[i][1])))
      return FALSE;
    if (i < 2)
      values[i] = (guint) g_ascii_strtoull (parts[i], NULL, 16);
    if (i == 3)
      hw = (guint) g_ascii_strtoull (parts[i], NULL, 16);
  }
  if (values[0] != 0)
    return FALSE;
  switch (values[1]) {
  case 1: /* LLT: 0, hardware type, 4 bytes time, 6-8 bytes link layer */
    return (guint) g_ascii_strtoull (parts[2], NULL, 16) == 0 && hw >= 1 && hw <= 15 && n >= 14 && n <= 16;
  case 2: /* EN: 4 bytes enterprise number, 1-124 bytes id */
    return n >= 7 && n <= 130;
  case 3: /* LL: 0, hardware type, 6-8 bytes link layer */
    return (guint) g_ascii_strtoull (parts[2], NULL, 16) == 0 && hw >= 1 && hw <= 15 && n >= 10 && n <= 12;
  case 4: /* UUID */
    return n == 18;
  default:
    return FALSE;
  }
}

static int
prop_tristate (xmlNode *node, const char *name, gboolean on_off, VbNetworkTristate *out, GError **error)
{
  gboolean value = FALSE;
  int r = vb_xml_prop_bool (node, name, on_off, &value, error);
  if (r == 1)
    *out = value ? VB_NETWORK_TRISTATE_YES : VB_NETWORK_TRISTATE_NO;
  return r;
}

static const char *
tristate_str (VbNetworkTristate t, gboolean on_off)
{
  switch (t) {
  case VB_NETWORK_TRISTATE_YES:
    return on_off ? "on" : "yes";
  case VB_NETWORK_TRISTATE_NO:
    return on_off ? "off" : "no";
  case VB_NETWORK_TRISTATE_ABSENT:
  default:
    return NULL;
  }
}

/* Reads an unsigned attribute within [@min, @max]. */
static int
prop_uint_range (xmlNode *node, const char *name, guint64 min, guint64 max, guint64 *out, GError **error)
{
  guint64 v = 0;
  int r = vb_xml_prop_u64 (node, name, &v, error);
  if (r <= 0)
    return r;
  if (v < min || v > max) {
    g_autofree char *value = g_strdup_printf ("%" G_GUINT64_FORMAT, v);
    g_autofree char *problem = g_strdup_printf ("is out of range (%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT ")",
                                                min, max);
    attr_error (error, node, name, value, problem);
    return -1;
  }
  *out = v;
  return 1;
}

/* An enum attribute whose table entry 0 means "absent". */
static int
prop_enum_opt (xmlNode *node, const char *name, const char *const *table, int *out, GError **error)
{
  int idx = 0;
  int r = vb_xml_prop_enum (node, name, XML_VALUES (table), &idx, error);
  if (r == 1)
    *out = idx + 1;
  return r;
}

/* ---- Parsing ---- */

static gboolean
parse_lease (xmlNode *parent, gboolean *has, guint64 *expiry, VbNetworkLeaseUnit *unit, GError **error)
{
  xmlNode *node = vb_xml_child (parent, "lease");
  int u = 0;
  int r;

  if (node == NULL)
    return TRUE;
  r = vb_xml_prop_u64 (node, "expiry", expiry, error);
  if (r < 0)
    return FALSE;
  if (r == 0) {
    missing_attr_error (error, node, "expiry");
    return FALSE;
  }
  if (prop_enum_opt (node, "unit", lease_unit_names, &u, error) < 0)
    return FALSE;
  *unit = u;
  *has = TRUE;
  return TRUE;
}

static VbNetworkDhcpRange *
parse_dhcp_range (xmlNode *node, GError **error)
{
  g_autoptr(VbNetworkDhcpRange) range = g_new0 (VbNetworkDhcpRange, 1);

  if (prop_ip (node, "start", TRUE, FAMILY_ANY, &range->start, error) < 0 ||
      prop_ip (node, "end", TRUE, FAMILY_ANY, &range->end, error) < 0 ||
      !parse_lease (node, &range->has_lease, &range->lease_expiry, &range->lease_unit, error))
    return NULL;
  return g_steal_pointer (&range);
}

/* @partial: a <host> naming an entry to delete may leave out the ip. */
static VbNetworkDhcpHost *
parse_dhcp_host (xmlNode *node, gboolean partial, GError **error)
{
  g_autoptr(VbNetworkDhcpHost) host = g_new0 (VbNetworkDhcpHost, 1);

  if (prop_mac (node, "mac", FALSE, &host->mac, error) < 0 ||
      prop_checked (node, "id", FALSE, is_duid, "a DHCP unique identifier (DUID)", &host->id, error) < 0 ||
      prop_checked (node, "name", FALSE, is_nonempty_attr_text, "a host name", &host->name, error) < 0 ||
      prop_ip (node, "ip", !partial, FAMILY_ANY, &host->ip, error) < 0 ||
      !parse_lease (node, &host->has_lease, &host->lease_expiry, &host->lease_unit, error))
    return NULL;
  if (host->mac != NULL && host->id != NULL) {
    vb_xml_fail (error, node, "a DHCP host takes either 'mac' or 'id', not both");
    return NULL;
  }
  if (host->mac == NULL && host->id == NULL && host->name == NULL && (!partial || host->ip == NULL)) {
    vb_xml_fail (error, node, "a DHCP host needs 'mac', 'id' or 'name'");
    return NULL;
  }
  return g_steal_pointer (&host);
}

static gboolean
parse_dhcp (VbNetworkIp *ip, xmlNode *dhcp, GError **error)
{
  xmlNode *node = NULL;

  ip->has_dhcp = TRUE;
  while ((node = vb_xml_next (dhcp, node, "range")) != NULL) {
    VbNetworkDhcpRange *range = parse_dhcp_range (node, error);
    if (range == NULL)
      return FALSE;
    g_ptr_array_add (ip->dhcp_ranges, range);
  }
  node = NULL;
  while ((node = vb_xml_next (dhcp, node, "host")) != NULL) {
    VbNetworkDhcpHost *host = parse_dhcp_host (node, FALSE, error);
    if (host == NULL)
      return FALSE;
    g_ptr_array_add (ip->dhcp_hosts, host);
  }
  node = vb_xml_child (dhcp, "bootp");
  if (node != NULL) {
    if (prop_checked (node, "file", TRUE, is_nonempty_attr_text, "a file name", &ip->bootp_file, error) < 0 ||
        /* libvirt reads the server as an address (and would resolve a
         * name); the schema's dnsName leaves IPv4 as the only literal. */
        prop_ip (node, "server", FALSE, FAMILY_V4, &ip->bootp_server, error) < 0)
      return FALSE;
  }
  return TRUE;
}

/* Reads address/netmask/prefix/family shared by <ip> and <route>. */
static gboolean
parse_address_and_mask (xmlNode *node, VbNetworkIpFamily *family, char **address, char **netmask,
                        int *prefix, GError **error)
{
  g_autofree char *mask_value = NULL;
  gboolean v6 = FALSE;
  guint64 p = 0;
  int f = 0;

  if (prop_enum_opt (node, "family", ip_family_names, &f, error) < 0 ||
      prop_ip (node, "address", TRUE, FAMILY_ANY, address, error) < 0)
    return FALSE;
  *family = f;
  v6 = ip_is_v6 (*address);
  if ((*family == VB_NETWORK_IP_FAMILY_IPV4 && v6) || (*family == VB_NETWORK_IP_FAMILY_IPV6 && !v6)) {
    vb_xml_fail (error, node, "address '%s' does not match family '%s'", *address, ip_family_names[*family]);
    return FALSE;
  }

  mask_value = vb_xml_prop (node, "netmask");
  if (mask_value != NULL) {
    guint8 bytes[16];
    gsize len = 0;
    g_autofree char *canon = canonical_ip (mask_value, FAMILY_V4, NULL);
    if (v6) {
      vb_xml_fail (error, node, "'netmask' is not allowed with an IPv6 address, use 'prefix'");
      return FALSE;
    }
    if (canon == NULL || !ip_bytes (canon, bytes, &len) || netmask_prefix (bytes, len) < 0) {
      attr_error (error, node, "netmask", mask_value, "is not a valid IPv4 netmask");
      return FALSE;
    }
    *netmask = g_steal_pointer (&canon);
  }
  switch (prop_uint_range (node, "prefix", 0, v6 ? 128 : 32, &p, error)) {
  case -1:
    return FALSE;
  case 1:
    if (*netmask != NULL) {
      vb_xml_fail (error, node, "'netmask' and 'prefix' are mutually exclusive");
      return FALSE;
    }
    *prefix = (int) p;
    break;
  default:
    break;
  }
  return TRUE;
}

static VbNetworkIp *
parse_ip (xmlNode *node, GError **error)
{
  g_autoptr(VbNetworkIp) ip = ip_new ();
  xmlNode *child;
  gboolean v6;

  if (!parse_address_and_mask (node, &ip->family, &ip->address, &ip->netmask, &ip->prefix, error) ||
      prop_tristate (node, "localPtr", FALSE, &ip->local_ptr, error) < 0)
    return NULL;
  v6 = ip_is_v6 (ip->address);

  child = vb_xml_child (node, "tftp");
  if (child != NULL) {
    if (v6) {
      vb_xml_fail (error, child, "<tftp> is supported only for IPv4");
      return NULL;
    }
    if (prop_checked (child, "root", TRUE, is_nonempty_attr_text, "a directory", &ip->tftp_root, error) < 0)
      return NULL;
  }
  child = vb_xml_child (node, "dhcp");
  if (child != NULL && !parse_dhcp (ip, child, error))
    return NULL;
  if (v6 && ip->bootp_file != NULL) {
    vb_xml_fail (error, node, "<bootp> is supported only for IPv4");
    return NULL;
  }
  return g_steal_pointer (&ip);
}

static VbNetworkRoute *
parse_route (xmlNode *node, GError **error)
{
  g_autoptr(VbNetworkRoute) route = g_new0 (VbNetworkRoute, 1);
  guint8 addr[16];
  gsize len = 0;
  guint prefix;
  int r;

  route->prefix = -1;
  if (!parse_address_and_mask (node, &route->family, &route->address, &route->netmask, &route->prefix, error) ||
      prop_ip (node, "gateway", TRUE, FAMILY_ANY, &route->gateway, error) < 0)
    return NULL;
  r = vb_xml_prop_uint (node, "metric", &route->metric, error);
  if (r < 0)
    return NULL;
  if (r == 1) {
    if (route->metric == 0) {
      attr_error (error, node, "metric", "0", "must be greater than 0");
      return NULL;
    }
    route->has_metric = TRUE;
  }
  if (ip_is_v6 (route->address) != ip_is_v6 (route->gateway)) {
    vb_xml_fail (error, node, "gateway '%s' is not in the address family of '%s'", route->gateway, route->address);
    return NULL;
  }
  /* The route's address is a network: its host bits must be clear. */
  ip_bytes (route->address, addr, &len);
  if (route->prefix >= 0) {
    prefix = (guint) route->prefix;
  } else if (route->netmask != NULL) {
    guint8 mask[16];
    gsize mlen = 0;
    ip_bytes (route->netmask, mask, &mlen);
    prefix = (guint) netmask_prefix (mask, mlen);
  } else {
    prefix = (guint) len * 8;
  }
  if (!host_bits_all (addr, len, prefix, FALSE)) {
    vb_xml_fail (error, node, "route address '%s' has host bits set for prefix %u", route->address, prefix);
    return NULL;
  }
  return g_steal_pointer (&route);
}

static VbNetworkVlan *
parse_vlan (xmlNode *node, GError **error)
{
  g_autoptr(VbNetworkVlan) vlan = g_new0 (VbNetworkVlan, 1);
  VbNetworkTristate trunk = VB_NETWORK_TRISTATE_ABSENT;
  gboolean have_native = FALSE;
  xmlNode *tag = NULL;

  vlan->tags = g_array_new (FALSE, TRUE, sizeof (VbNetworkVlanTag));
  if (prop_tristate (node, "trunk", FALSE, &trunk, error) < 0)
    return NULL;
  while ((tag = vb_xml_next (node, tag, "tag")) != NULL) {
    VbNetworkVlanTag t = { 0 };
    guint64 id = 0;
    int native = 0;
    int r = prop_uint_range (tag, "id", 0, 4095, &id, error);
    if (r < 0)
      return NULL;
    if (r == 0) {
      missing_attr_error (error, tag, "id");
      return NULL;
    }
    if (prop_enum_opt (tag, "nativeMode", vlan_native_names, &native, error) < 0)
      return NULL;
    if (native != 0) {
      if (have_native) {
        vb_xml_fail (error, tag, "only one <tag> may set 'nativeMode'");
        return NULL;
      }
      have_native = TRUE;
    }
    t.id = (guint) id;
    t.native_mode = native;
    g_array_append_val (vlan->tags, t);
  }
  if (vlan->tags->len == 0) {
    vb_xml_fail (error, node, "at least one <tag> is required");
    return NULL;
  }
  if (vlan->tags->len > 1 && trunk == VB_NETWORK_TRISTATE_NO) {
    vb_xml_fail (error, node, "trunk='no' is not allowed with more than one <tag>");
    return NULL;
  }
  /* Several tags make a trunk whether or not it is spelled out. */
  vlan->trunk = trunk == VB_NETWORK_TRISTATE_YES || vlan->tags->len > 1;
  return g_steal_pointer (&vlan);
}

static gboolean
is_profile_id (const char *s)
{
  return is_nonempty_attr_text (s) && strlen (s) <= 39;
}

static int
prop_uuid (xmlNode *node, const char *name, char **out, GError **error)
{
  g_autofree char *value = vb_xml_prop (node, name);
  char uuid[37];

  if (value == NULL)
    return 0;
  if (!vb_uuid_parse (value, uuid) || strchr (value, ' ') != NULL) {
    attr_error (error, node, name, value, "is not a valid UUID");
    return -1;
  }
  g_free (*out);
  *out = g_strdup (uuid);
  return 1;
}

static VbNetworkVirtualPort *
parse_virtualport (xmlNode *node, GError **error)
{
  /* Which <parameters> attributes each type takes (the schema's choice). */
  enum { P_MANAGER = 1, P_TYPEID = 2, P_TYPEIDVER = 4, P_INSTANCE = 8, P_PROFILE = 16, P_INTERFACE = 32 };
  static const guint allowed[] = {
    [VB_NETWORK_VIRTUALPORT_NONE] = 63,
    [VB_NETWORK_VIRTUALPORT_8021QBG] = P_MANAGER | P_TYPEID | P_TYPEIDVER | P_INSTANCE,
    [VB_NETWORK_VIRTUALPORT_8021QBH] = P_PROFILE,
    [VB_NETWORK_VIRTUALPORT_OPENVSWITCH] = P_PROFILE | P_INTERFACE,
    [VB_NETWORK_VIRTUALPORT_MIDONET] = P_INTERFACE,
  };
  g_autoptr(VbNetworkVirtualPort) vp = g_new0 (VbNetworkVirtualPort, 1);
  xmlNode *params;
  int type = 0;

  vp->manager_id = vp->type_id = vp->type_id_version = -1;
  if (prop_enum_opt (node, "type", virtualport_type_names, &type, error) < 0)
    return NULL;
  vp->type = type;

  params = vb_xml_child (node, "parameters");
  if (params != NULL) {
    guint mask = allowed[vp->type];
    guint64 v = 0;
    int r;

    vp->has_parameters = TRUE;
    /* Attributes the type does not take stay unread, so the final check
     * reports them by name. */
    if (mask & P_MANAGER) {
      if ((r = prop_uint_range (params, "managerid", 0, 255, &v, error)) < 0)
        return NULL;
      if (r == 1)
        vp->manager_id = (int) v;
    }
    if (mask & P_TYPEID) {
      if ((r = prop_uint_range (params, "typeid", 0, 0xffffff, &v, error)) < 0)
        return NULL;
      if (r == 1)
        vp->type_id = (int) v;
    }
    if (mask & P_TYPEIDVER) {
      if ((r = prop_uint_range (params, "typeidversion", 0, 255, &v, error)) < 0)
        return NULL;
      if (r == 1)
        vp->type_id_version = (int) v;
    }
    if ((mask & P_INSTANCE) && prop_uuid (params, "instanceid", &vp->instance_id, error) < 0)
      return NULL;
    if ((mask & P_PROFILE) &&
        prop_checked (params, "profileid", FALSE, is_profile_id, "a profile id of at most 39 characters",
                      &vp->profile_id, error) < 0)
      return NULL;
    if ((mask & P_INTERFACE) && prop_uuid (params, "interfaceid", &vp->interface_id, error) < 0)
      return NULL;
  }
  if (vp->type == VB_NETWORK_VIRTUALPORT_MIDONET && vp->interface_id == NULL) {
    vb_xml_fail (error, node, "type 'midonet' needs <parameters interfaceid=.../>");
    return NULL;
  }
  return g_steal_pointer (&vp);
}

static VbNetworkPortGroup *
parse_portgroup (xmlNode *node, GError **error)
{
  g_autoptr(VbNetworkPortGroup) pg = g_new0 (VbNetworkPortGroup, 1);
  xmlNode *child;

  if (prop_checked (node, "name", TRUE, is_device_name, "a valid port group name", &pg->name, error) < 0 ||
      vb_xml_prop_bool (node, "default", FALSE, &pg->is_default, error) < 0 ||
      prop_tristate (node, "trustGuestRxFilters", FALSE, &pg->trust_guest_rx_filters, error) < 0)
    return NULL;
  if ((child = vb_xml_child (node, "virtualport")) != NULL &&
      (pg->virtualport = parse_virtualport (child, error)) == NULL)
    return NULL;
  if ((child = vb_xml_child (node, "bandwidth")) != NULL &&
      (pg->bandwidth = vb_bandwidth_parse (child, 0, error)) == NULL)
    return NULL;
  if ((child = vb_xml_child (node, "vlan")) != NULL && (pg->vlan = parse_vlan (child, error)) == NULL)
    return NULL;
  return g_steal_pointer (&pg);
}

static VbNetworkForwardInterface *
parse_forward_interface (xmlNode *node, GError **error)
{
  g_autoptr(VbNetworkForwardInterface) iface = g_new0 (VbNetworkForwardInterface, 1);

  if (prop_checked (node, "dev", TRUE, is_device_name, "a device name", &iface->dev, error) < 0 ||
      vb_xml_prop_uint (node, "connections", &iface->connections, error) < 0)
    return NULL;
  return g_steal_pointer (&iface);
}

static gboolean
parse_forward_address (VbNetworkForward *fwd, xmlNode *node, GError **error)
{
  static const char *const pci_type[] = { "pci", NULL };
  static const struct {
    const char *name;
    guint64 max;
    gsize offset;
  } fields[] = {
    { "domain", 0xffffffff, G_STRUCT_OFFSET (VbNetworkForwardAddress, domain) },
    { "bus", 0xff, G_STRUCT_OFFSET (VbNetworkForwardAddress, bus) },
    { "slot", 0x1f, G_STRUCT_OFFSET (VbNetworkForwardAddress, slot) },
    { "function", 7, G_STRUCT_OFFSET (VbNetworkForwardAddress, function) },
  };
  g_autofree VbNetworkForwardAddress *addr = g_new0 (VbNetworkForwardAddress, 1);
  int type = 0;
  int r = vb_xml_prop_enum (node, "type", pci_type, &type, error);

  if (r < 0)
    return FALSE;
  if (r == 0) {
    missing_attr_error (error, node, "type");
    return FALSE;
  }
  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++) {
    guint64 v = 0;
    if (prop_uint_range (node, fields[i].name, 0, fields[i].max, &v, error) < 0)
      return FALSE;
    G_STRUCT_MEMBER (guint, addr, fields[i].offset) = (guint) v;
  }
  if (vb_xml_prop_uint (node, "connections", &addr->connections, error) < 0)
    return FALSE;
  g_ptr_array_add (fwd->addresses, g_steal_pointer (&addr));
  return TRUE;
}

static gboolean
parse_nat (VbNetworkForward *fwd, xmlNode *nat, GError **error)
{
  xmlNode *node;

  fwd->has_nat = TRUE;
  if (prop_tristate (nat, "ipv6", FALSE, &fwd->nat_ipv6, error) < 0)
    return FALSE;
  node = vb_xml_child (nat, "address");
  if (node != NULL) {
    guint8 a[16], b[16];
    gsize la = 0, lb = 0;
    if (prop_ip (node, "start", TRUE, FAMILY_V4, &fwd->nat_address_start, error) < 0 ||
        prop_ip (node, "end", TRUE, FAMILY_V4, &fwd->nat_address_end, error) < 0)
      return FALSE;
    ip_bytes (fwd->nat_address_start, a, &la);
    ip_bytes (fwd->nat_address_end, b, &lb);
    if (memcmp (a, b, 4) > 0) {
      vb_xml_fail (error, node, "start '%s' is after end '%s'", fwd->nat_address_start, fwd->nat_address_end);
      return FALSE;
    }
  }
  node = vb_xml_child (nat, "port");
  if (node != NULL) {
    guint64 start = 0, end = 0;
    int r1 = prop_uint_range (node, "start", 1, 65535, &start, error);
    if (r1 < 0)
      return FALSE;
    int r2 = prop_uint_range (node, "end", 1, 65535, &end, error);
    if (r2 < 0)
      return FALSE;
    if (r1 == 0 || r2 == 0) {
      missing_attr_error (error, node, r1 == 0 ? "start" : "end");
      return FALSE;
    }
    if (start > end) {
      vb_xml_fail (error, node, "start %" G_GUINT64_FORMAT " is after end %" G_GUINT64_FORMAT, start, end);
      return FALSE;
    }
    fwd->nat_port_start = (guint) start;
    fwd->nat_port_end = (guint) end;
  }
  return TRUE;
}

static gboolean
parse_forward (VbNetworkForward *fwd, xmlNode *node, GError **error)
{
  xmlNode *child = NULL;
  int mode = 0, driver = 0;

  if (vb_xml_prop_enum (node, "mode", FORWARD_MODE_XML_VALUES, &mode, error) < 0)
    return FALSE;
  /* No mode= means NAT. */
  fwd->mode = mode + 1;
  if (prop_checked (node, "dev", FALSE, is_device_name, "a device name", &fwd->dev, error) < 0 ||
      prop_tristate (node, "managed", FALSE, &fwd->managed, error) < 0)
    return FALSE;

  while ((child = vb_xml_next (node, child, "interface")) != NULL) {
    VbNetworkForwardInterface *iface = parse_forward_interface (child, error);
    if (iface == NULL)
      return FALSE;
    g_ptr_array_add (fwd->interfaces, iface);
  }
  child = NULL;
  while ((child = vb_xml_next (node, child, "address")) != NULL) {
    if (!parse_forward_address (fwd, child, error))
      return FALSE;
  }
  if (fwd->interfaces->len > 0 && fwd->addresses->len > 0) {
    vb_xml_fail (error, node, "<interface> and <address> elements cannot be mixed");
    return FALSE;
  }
  if ((child = vb_xml_child (node, "pf")) != NULL &&
      prop_checked (child, "dev", TRUE, is_device_name, "a device name", &fwd->pf_dev, error) < 0)
    return FALSE;
  if ((child = vb_xml_child (node, "driver")) != NULL) {
    int r = prop_enum_opt (child, "name", forward_driver_names, &driver, error);
    if (r < 0)
      return FALSE;
    if (r == 0) {
      missing_attr_error (error, child, "name");
      return FALSE;
    }
    fwd->driver = driver;
  }
  if ((child = vb_xml_child (node, "nat")) != NULL) {
    if (fwd->mode != VB_NETWORK_FORWARD_NAT) {
      vb_xml_fail (error, child, "<nat> is allowed only with mode='nat'");
      return FALSE;
    }
    if (!parse_nat (fwd, child, error))
      return FALSE;
  }
  return TRUE;
}

static VbNetworkBridge *
parse_bridge (xmlNode *node, GError **error)
{
  g_autoptr(VbNetworkBridge) bridge = g_new0 (VbNetworkBridge, 1);
  int mtm = 0;
  int r = 0;

  if (prop_checked (node, "name", FALSE, is_device_name, "a device name", &bridge->name, error) < 0 ||
      prop_checked (node, "zone", FALSE, is_zone_name, "a firewall zone name", &bridge->zone, error) < 0 ||
      prop_tristate (node, "stp", TRUE, &bridge->stp, error) < 0 ||
      (r = vb_xml_prop_u64 (node, "delay", &bridge->delay, error)) < 0 ||
      prop_enum_opt (node, "macTableManager", mac_table_manager_names, &mtm, error) < 0)
    return NULL;
  bridge->has_delay = r == 1;
  bridge->mac_table_manager = mtm;
  return g_steal_pointer (&bridge);
}

static VbNetworkDnsTxt *
parse_dns_txt (xmlNode *node, gboolean partial, GError **error)
{
  g_autoptr(VbNetworkDnsTxt) txt = g_new0 (VbNetworkDnsTxt, 1);

  if (prop_checked (node, "name", TRUE, is_dns_name, "a DNS name", &txt->name, error) < 0 ||
      prop_checked (node, "value", !partial, is_attr_text, "a text value", &txt->value, error) < 0)
    return NULL;
  return g_steal_pointer (&txt);
}

static VbNetworkDnsSrv *
parse_dns_srv (xmlNode *node, GError **error)
{
  static const char *const names[] = { "port", "priority", "weight" };
  g_autoptr(VbNetworkDnsSrv) srv = g_new0 (VbNetworkDnsSrv, 1);
  int *fields[] = { &srv->port, &srv->priority, &srv->weight };
  int protocol = 0;
  int r;

  srv->port = srv->priority = srv->weight = -1;
  if (prop_checked (node, "service", TRUE, is_nonempty_attr_text, "a service name", &srv->service, error) < 0 ||
      (r = vb_xml_prop_enum (node, "protocol", srv_protocol_names, &protocol, error)) < 0 ||
      prop_checked (node, "domain", FALSE, is_dns_name, "a DNS name", &srv->domain, error) < 0 ||
      prop_checked (node, "target", FALSE, is_nonempty_attr_text, "a host name", &srv->target, error) < 0)
    return NULL;
  if (r == 0) {
    missing_attr_error (error, node, "protocol");
    return NULL;
  }
  srv->protocol = g_strdup (srv_protocol_names[protocol]);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
    guint64 v = 0;
    r = prop_uint_range (node, names[i], 0, 65535, &v, error);
    if (r < 0)
      return NULL;
    if (r == 1)
      *fields[i] = (int) v;
  }
  return g_steal_pointer (&srv);
}

static VbNetworkDnsHost *
parse_dns_host (xmlNode *node, gboolean partial, GError **error)
{
  g_autoptr(VbNetworkDnsHost) host = dns_host_new ();
  xmlNode *child = NULL;

  if (prop_ip (node, "ip", !partial, FAMILY_ANY, &host->ip, error) < 0)
    return NULL;
  while ((child = vb_xml_next (node, child, "hostname")) != NULL) {
    g_autofree char *name = vb_xml_text (child);
    if (!is_dns_name (name)) {
      vb_xml_fail (error, child, "'%s' is not a valid host name", name);
      return NULL;
    }
    g_ptr_array_add (host->hostnames, g_steal_pointer (&name));
  }
  if (host->hostnames->len == 0 && (!partial || host->ip == NULL)) {
    vb_xml_fail (error, node, "at least one <hostname> is required");
    return NULL;
  }
  return g_steal_pointer (&host);
}

static VbNetworkDns *
parse_dns (xmlNode *node, GError **error)
{
  g_autoptr(VbNetworkDns) dns = dns_new ();
  xmlNode *child = NULL;

  if (prop_tristate (node, "enable", FALSE, &dns->enable, error) < 0 ||
      prop_tristate (node, "forwardPlainNames", FALSE, &dns->forward_plain_names, error) < 0)
    return NULL;

  while ((child = vb_xml_next (node, child, "forwarder")) != NULL) {
    VbNetworkDnsForwarder *fw = g_new0 (VbNetworkDnsForwarder, 1);
    g_ptr_array_add (dns->forwarders, fw);
    if (prop_ip (child, "addr", FALSE, FAMILY_ANY, &fw->addr, error) < 0 ||
        prop_checked (child, "domain", FALSE, is_dns_name, "a DNS name", &fw->domain, error) < 0)
      return NULL;
    if (fw->addr == NULL && fw->domain == NULL) {
      vb_xml_fail (error, child, "a forwarder needs 'addr' or 'domain'");
      return NULL;
    }
  }
  child = NULL;
  while ((child = vb_xml_next (node, child, "txt")) != NULL) {
    VbNetworkDnsTxt *txt = parse_dns_txt (child, FALSE, error);
    if (txt == NULL)
      return NULL;
    g_ptr_array_add (dns->txts, txt);
  }
  child = NULL;
  while ((child = vb_xml_next (node, child, "srv")) != NULL) {
    VbNetworkDnsSrv *srv = parse_dns_srv (child, error);
    if (srv == NULL)
      return NULL;
    g_ptr_array_add (dns->srvs, srv);
  }
  child = NULL;
  while ((child = vb_xml_next (node, child, "host")) != NULL) {
    VbNetworkDnsHost *host = parse_dns_host (child, FALSE, error);
    if (host == NULL)
      return NULL;
    g_ptr_array_add (dns->hosts, host);
  }
  return g_steal_pointer (&dns);
}

/* Keeps the children of <metadata> verbatim. Each child is
 * copied out of the tree before it is serialized so that namespaces it
 * inherits from an ancestor are declared on the copy: the text must stand
 * on its own when written back. */
static gboolean
take_metadata (xmlNode *node, char **out, GError **error)
{
  g_autoptr(GString) s = g_string_new (NULL);

  vb_xml_mark_subtree (node);
  for (xmlNode *n = node->children; n != NULL; n = n->next) {
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
      for (const xmlChar *p = n->content; p && *p; p++) {
        if (!g_ascii_isspace (*p)) {
          vb_xml_fail (error, node, "text is not allowed directly in <metadata>, only elements");
          return FALSE;
        }
      }
      continue;
    }
    if (n->type != XML_ELEMENT_NODE)
      continue;

    xmlNode *copy = xmlDocCopyNode (n, n->doc, 1);
    xmlBuffer *buf = xmlBufferCreate ();
    if (copy == NULL || buf == NULL) {
      if (copy)
        xmlFreeNode (copy);
      if (buf)
        xmlBufferFree (buf);
      g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "out of memory copying <metadata>");
      return FALSE;
    }
    xmlNodeDump (buf, n->doc, copy, 0, 0);
    /* Children go one per line, indented as the writer places <metadata>. */
    if (s->len > 0)
      g_string_append (s, "\n    ");
    g_string_append (s, (const char *) xmlBufferContent (buf));
    xmlBufferFree (buf);
    xmlFreeNode (copy);
  }
  *out = g_string_free (g_steal_pointer (&s), FALSE);
  return TRUE;
}

gboolean
vb_network_ip_is_ipv6 (const VbNetworkIp *ip)
{
  return ip_is_v6 (ip->address);
}

guint
vb_network_ip_prefix (const VbNetworkIp *ip)
{
  guint8 b[16];
  gsize len = 0;

  if (ip->prefix >= 0)
    return (guint) ip->prefix;
  if (ip->netmask != NULL && ip_bytes (ip->netmask, b, &len)) {
    int p = netmask_prefix (b, len);
    if (p >= 0)
      return (guint) p;
  }
  if (!ip_bytes (ip->address, b, &len))
    return 0;
  if (len == 16)
    return 64;
  /* Classful default, as libvirt does without netmask/prefix. */
  if (b[0] < 128)
    return 8;
  if (b[0] < 192)
    return 16;
  if (b[0] < 224)
    return 24;
  return 32;
}

static void validate_error (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
validate_error (GError **error, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, VB_ERROR, VB_ERROR_XML, msg);
}

/* Adds @key to @set; FALSE when it was already there. */
static gboolean
set_add_unique (GHashTable *set, const char *key)
{
  return g_hash_table_add (set, g_ascii_strdown (key, -1));
}

static gboolean
validate_ip (const VbNetworkIp *ip, GError **error)
{
  g_autoptr(GHashTable) macs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) ips = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint8 net[16];
  gsize len = 0;
  guint prefix = vb_network_ip_prefix (ip);
  gboolean v6;

  if (!ip_bytes (ip->address, net, &len)) {
    validate_error (error, "<ip>: '%s' is not an IP address", ip->address ? ip->address : "");
    return FALSE;
  }
  v6 = len == 16;

  for (guint i = 0; i < ip->dhcp_ranges->len; i++) {
    const VbNetworkDhcpRange *r = g_ptr_array_index (ip->dhcp_ranges, i);
    guint8 start[16], end[16];
    gsize ls = 0, le = 0;

    if (!ip_bytes (r->start, start, &ls) || !ip_bytes (r->end, end, &le) || ls != len || le != len) {
      validate_error (error, "<ip address='%s'>: DHCP range %s - %s is not in the address family of the network",
                      ip->address, r->start, r->end);
      return FALSE;
    }
    if (memcmp (start, end, len) > 0) {
      validate_error (error, "<ip address='%s'>: DHCP range start %s is after its end %s",
                      ip->address, r->start, r->end);
      return FALSE;
    }
    if (!same_prefix (start, net, len, prefix) || !same_prefix (end, net, len, prefix)) {
      validate_error (error, "<ip address='%s'>: DHCP range %s - %s is not within the network %s/%u",
                      ip->address, r->start, r->end, ip->address, prefix);
      return FALSE;
    }
    if (!v6 && prefix < 31) {
      if (host_bits_all (start, len, prefix, FALSE)) {
        validate_error (error, "<ip address='%s'>: DHCP range starts at the network address %s",
                        ip->address, r->start);
        return FALSE;
      }
      if (host_bits_all (end, len, prefix, TRUE)) {
        validate_error (error, "<ip address='%s'>: DHCP range ends at the broadcast address %s",
                        ip->address, r->end);
        return FALSE;
      }
    }
  }

  for (guint i = 0; i < ip->dhcp_hosts->len; i++) {
    const VbNetworkDhcpHost *h = g_ptr_array_index (ip->dhcp_hosts, i);

    if (h->ip != NULL) {
      if (ip_is_v6 (h->ip) != v6) {
        validate_error (error, "<ip address='%s'>: DHCP host address %s is not in the address family of the network",
                        ip->address, h->ip);
        return FALSE;
      }
      if (!set_add_unique (ips, h->ip)) {
        validate_error (error, "<ip address='%s'>: more than one DHCP host has ip='%s'", ip->address, h->ip);
        return FALSE;
      }
    }
    if (v6 && h->mac != NULL) {
      validate_error (error, "<ip address='%s'>: an IPv6 DHCP host is identified by 'id' or 'name', not 'mac' (%s)",
                      ip->address, h->mac);
      return FALSE;
    }
    if (h->mac != NULL && !set_add_unique (macs, h->mac)) {
      validate_error (error, "<ip address='%s'>: more than one DHCP host has mac='%s'", ip->address, h->mac);
      return FALSE;
    }
    if (h->id != NULL && !set_add_unique (ids, h->id)) {
      validate_error (error, "<ip address='%s'>: more than one DHCP host has id='%s'", ip->address, h->id);
      return FALSE;
    }
  }
  return TRUE;
}

/* Checks that span elements: what an update can break as well as a parse. */
static gboolean
network_def_validate (const VbNetworkDef *def, GError **error)
{
  g_autoptr(GHashTable) names = NULL;
  gboolean dhcp_v4 = FALSE, dhcp_v6 = FALSE;
  const VbNetworkPortGroup *default_pg = NULL;

  for (guint i = 0; i < def->ips->len; i++) {
    const VbNetworkIp *ip = g_ptr_array_index (def->ips, i);
    if (!validate_ip (ip, error))
      return FALSE;
    if (ip->dhcp_ranges->len > 0 || ip->dhcp_hosts->len > 0) {
      gboolean *seen = ip_is_v6 (ip->address) ? &dhcp_v6 : &dhcp_v4;
      if (*seen) {
        validate_error (error, "<ip address='%s'>: only one %s <ip> element may have DHCP ranges or hosts",
                        ip->address, seen == &dhcp_v6 ? "IPv6" : "IPv4");
        return FALSE;
      }
      *seen = TRUE;
    }
  }

  names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < def->portgroups->len; i++) {
    const VbNetworkPortGroup *pg = g_ptr_array_index (def->portgroups, i);
    if (!g_hash_table_add (names, g_strdup (pg->name))) {
      validate_error (error, "more than one <portgroup> is named '%s'", pg->name);
      return FALSE;
    }
    if (pg->is_default) {
      if (default_pg != NULL) {
        validate_error (error, "<portgroup> '%s' and '%s' are both marked default; only one may be",
                        default_pg->name, pg->name);
        return FALSE;
      }
      default_pg = pg;
    }
  }

  g_hash_table_remove_all (names);
  for (guint i = 0; i < def->forward.interfaces->len; i++) {
    const VbNetworkForwardInterface *iface = g_ptr_array_index (def->forward.interfaces, i);
    if (!g_hash_table_add (names, g_strdup (iface->dev))) {
      validate_error (error, "<forward> lists interface '%s' more than once", iface->dev);
      return FALSE;
    }
  }
  if (def->forward.mode == VB_NETWORK_FORWARD_NONE &&
      (def->forward.interfaces->len > 0 || def->forward.addresses->len > 0)) {
    validate_error (error, "forward interfaces need a <forward> mode");
    return FALSE;
  }
  if (def->forward.dev != NULL && def->forward.interfaces->len > 0) {
    const VbNetworkForwardInterface *first = g_ptr_array_index (def->forward.interfaces, 0);
    if (strcmp (first->dev, def->forward.dev) != 0) {
      validate_error (error, "<forward dev='%s'> must match the first <interface dev='%s'>",
                      def->forward.dev, first->dev);
      return FALSE;
    }
  }

  if (def->dns != NULL && def->dns->enable == VB_NETWORK_TRISTATE_NO &&
      (def->dns->forwarders->len > 0 || def->dns->txts->len > 0 || def->dns->srvs->len > 0 ||
       def->dns->hosts->len > 0 || def->dns->forward_plain_names != VB_NETWORK_TRISTATE_ABSENT)) {
    validate_error (error, "<dns enable='no'> cannot have any other DNS settings");
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_name (VbNetworkDef *def, xmlNode *root, GError **error)
{
  xmlNode *node = vb_xml_child (root, "name");

  if (node == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "missing element <name> in /network");
    return FALSE;
  }
  def->name = vb_xml_text (node);
  if (def->name[0] == '\0') {
    vb_xml_fail (error, node, "the network name must not be empty");
    return FALSE;
  }
  if (strchr (def->name, '/') != NULL) {
    vb_xml_fail (error, node, "the network name '%s' must not contain '/'", def->name);
    return FALSE;
  }
  return check_element_text (node, def->name, FALSE, error);
}

static gboolean
parse_top (VbNetworkDef *def, xmlNode *root, GError **error)
{
  xmlNode *node;
  guint64 v = 0;
  int r;

  if (vb_xml_prop_uint (root, "connections", &def->connections, error) < 0 ||
      prop_tristate (root, "ipv6", FALSE, &def->ipv6, error) < 0 ||
      prop_tristate (root, "trustGuestRxFilters", FALSE, &def->trust_guest_rx_filters, error) < 0 ||
      !parse_name (def, root, error))
    return FALSE;

  node = vb_xml_child (root, "uuid");
  if (node != NULL) {
    g_autofree char *text = vb_xml_text (node);
    if (!vb_uuid_parse (g_strstrip (text), def->uuid) || strchr (text, ' ') != NULL) {
      vb_xml_fail (error, node, "'%s' is not a valid UUID", text);
      return FALSE;
    }
  } else {
    vb_uuid_generate (def->uuid);
  }

  if ((node = vb_xml_child (root, "title")) != NULL) {
    def->title = vb_xml_text (node);
    if (!check_element_text (node, def->title, FALSE, error))
      return FALSE;
  }
  if ((node = vb_xml_child (root, "description")) != NULL) {
    def->description = vb_xml_text (node);
    if (!check_element_text (node, def->description, TRUE, error))
      return FALSE;
  }
  if ((node = vb_xml_child (root, "metadata")) != NULL && !take_metadata (node, &def->metadata, error))
    return FALSE;
  if ((node = vb_xml_child (root, "forward")) != NULL && !parse_forward (&def->forward, node, error))
    return FALSE;
  if ((node = vb_xml_child (root, "bridge")) != NULL && (def->bridge = parse_bridge (node, error)) == NULL)
    return FALSE;
  if ((node = vb_xml_child (root, "mtu")) != NULL) {
    r = prop_uint_range (node, "size", 1, 65535, &v, error);
    if (r < 0)
      return FALSE;
    if (r == 0) {
      missing_attr_error (error, node, "size");
      return FALSE;
    }
    def->mtu = (guint) v;
  }
  if ((node = vb_xml_child (root, "mac")) != NULL && prop_mac (node, "address", TRUE, &def->mac, error) < 0)
    return FALSE;
  if ((node = vb_xml_child (root, "domain")) != NULL) {
    if (prop_checked (node, "name", TRUE, is_dns_name, "a DNS domain name", &def->domain_name, error) < 0 ||
        prop_tristate (node, "localOnly", FALSE, &def->domain_local_only, error) < 0)
      return FALSE;
  }
  if ((node = vb_xml_child (root, "dns")) != NULL && (def->dns = parse_dns (node, error)) == NULL)
    return FALSE;
  if ((node = vb_xml_child (root, "bandwidth")) != NULL &&
      (def->bandwidth = vb_bandwidth_parse (node, 0, error)) == NULL)
    return FALSE;
  if ((node = vb_xml_child (root, "vlan")) != NULL && (def->vlan = parse_vlan (node, error)) == NULL)
    return FALSE;
  if ((node = vb_xml_child (root, "virtualport")) != NULL &&
      (def->virtualport = parse_virtualport (node, error)) == NULL)
    return FALSE;
  if ((node = vb_xml_child (root, "port")) != NULL &&
      prop_tristate (node, "isolated", FALSE, &def->port_isolated, error) < 0)
    return FALSE;

  node = NULL;
  while ((node = vb_xml_next (root, node, "ip")) != NULL) {
    VbNetworkIp *ip = parse_ip (node, error);
    if (ip == NULL)
      return FALSE;
    g_ptr_array_add (def->ips, ip);
  }
  node = NULL;
  while ((node = vb_xml_next (root, node, "route")) != NULL) {
    VbNetworkRoute *route = parse_route (node, error);
    if (route == NULL)
      return FALSE;
    g_ptr_array_add (def->routes, route);
  }
  node = NULL;
  while ((node = vb_xml_next (root, node, "portgroup")) != NULL) {
    VbNetworkPortGroup *pg = parse_portgroup (node, error);
    if (pg == NULL)
      return FALSE;
    g_ptr_array_add (def->portgroups, pg);
  }
  return TRUE;
}

VbNetworkDef *
vb_network_def_parse (const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = vb_xml_parse (xml, -1, "network", error);
  g_autoptr(VbNetworkDef) def = NULL;
  xmlNode *root;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  def = network_def_new ();
  if (!parse_top (def, root, error) ||
      !vb_xml_check_consumed (root, error) ||
      !network_def_validate (def, error))
    return NULL;
  return g_steal_pointer (&def);
}

/* ---- Formatting ---- */

/* Decimal text of @v in @buf, or NULL when not @present (the writer then
 * leaves the attribute out). */
static const char *
opt_uint (char buf[24], gboolean present, guint64 v)
{
  if (!present)
    return NULL;
  g_snprintf (buf, 24, "%" G_GUINT64_FORMAT, v);
  return buf;
}

static void
format_vlan (VbXmlWriter *w, const VbNetworkVlan *vlan)
{
  vb_xml_writer_start (w, "vlan", "trunk", vlan->trunk ? "yes" : NULL, NULL);
  for (guint i = 0; i < vlan->tags->len; i++) {
    const VbNetworkVlanTag *tag = &g_array_index (vlan->tags, VbNetworkVlanTag, i);
    char id[24];
    vb_xml_writer_empty (w, "tag",
                         "id", opt_uint (id, TRUE, tag->id),
                         "nativeMode", tag->native_mode ? vlan_native_names[tag->native_mode] : NULL,
                         NULL);
  }
  vb_xml_writer_end (w);
}

static void
format_virtualport (VbXmlWriter *w, const VbNetworkVirtualPort *vp)
{
  vb_xml_writer_start (w, "virtualport",
                       "type", vp->type ? vb_network_virtualport_type_to_string (vp->type) : NULL,
                       NULL);
  if (vp->has_parameters) {
    char m[24], t[24], tv[24];
    vb_xml_writer_empty (w, "parameters",
                         "managerid", opt_uint (m, vp->manager_id >= 0, (guint64) vp->manager_id),
                         "typeid", opt_uint (t, vp->type_id >= 0, (guint64) vp->type_id),
                         "typeidversion", opt_uint (tv, vp->type_id_version >= 0, (guint64) vp->type_id_version),
                         "instanceid", vp->instance_id,
                         "interfaceid", vp->interface_id,
                         "profileid", vp->profile_id,
                         NULL);
  }
  vb_xml_writer_end (w);
}

static void
format_lease (VbXmlWriter *w, guint64 expiry, VbNetworkLeaseUnit unit)
{
  char e[24];
  vb_xml_writer_empty (w, "lease",
                       "expiry", opt_uint (e, TRUE, expiry),
                       "unit", unit ? lease_unit_names[unit] : NULL,
                       NULL);
}

static void
format_ip (VbXmlWriter *w, const VbNetworkIp *ip)
{
  char prefix[24];

  vb_xml_writer_start (w, "ip",
                       "family", ip->family ? ip_family_names[ip->family] : NULL,
                       "address", ip->address,
                       "netmask", ip->netmask,
                       "prefix", opt_uint (prefix, ip->prefix >= 0, (guint64) ip->prefix),
                       "localPtr", tristate_str (ip->local_ptr, FALSE),
                       NULL);
  if (ip->tftp_root != NULL)
    vb_xml_writer_empty (w, "tftp", "root", ip->tftp_root, NULL);
  if (ip->has_dhcp || ip->dhcp_ranges->len > 0 || ip->dhcp_hosts->len > 0 || ip->bootp_file != NULL) {
    vb_xml_writer_start (w, "dhcp", NULL);
    for (guint i = 0; i < ip->dhcp_ranges->len; i++) {
      const VbNetworkDhcpRange *r = g_ptr_array_index (ip->dhcp_ranges, i);
      vb_xml_writer_start (w, "range", "start", r->start, "end", r->end, NULL);
      if (r->has_lease)
        format_lease (w, r->lease_expiry, r->lease_unit);
      vb_xml_writer_end (w);
    }
    for (guint i = 0; i < ip->dhcp_hosts->len; i++) {
      const VbNetworkDhcpHost *h = g_ptr_array_index (ip->dhcp_hosts, i);
      vb_xml_writer_start (w, "host", "mac", h->mac, "id", h->id, "name", h->name, "ip", h->ip, NULL);
      if (h->has_lease)
        format_lease (w, h->lease_expiry, h->lease_unit);
      vb_xml_writer_end (w);
    }
    if (ip->bootp_file != NULL)
      vb_xml_writer_empty (w, "bootp", "file", ip->bootp_file, "server", ip->bootp_server, NULL);
    vb_xml_writer_end (w);
  }
  vb_xml_writer_end (w);
}

static void
format_dns (VbXmlWriter *w, const VbNetworkDns *dns)
{
  vb_xml_writer_start (w, "dns",
                       "enable", tristate_str (dns->enable, FALSE),
                       "forwardPlainNames", tristate_str (dns->forward_plain_names, FALSE),
                       NULL);
  for (guint i = 0; i < dns->forwarders->len; i++) {
    const VbNetworkDnsForwarder *f = g_ptr_array_index (dns->forwarders, i);
    vb_xml_writer_empty (w, "forwarder", "domain", f->domain, "addr", f->addr, NULL);
  }
  for (guint i = 0; i < dns->txts->len; i++) {
    const VbNetworkDnsTxt *t = g_ptr_array_index (dns->txts, i);
    vb_xml_writer_empty (w, "txt", "name", t->name, "value", t->value ? t->value : "", NULL);
  }
  for (guint i = 0; i < dns->srvs->len; i++) {
    const VbNetworkDnsSrv *s = g_ptr_array_index (dns->srvs, i);
    char port[24], prio[24], weight[24];
    vb_xml_writer_empty (w, "srv",
                         "service", s->service,
                         "protocol", s->protocol,
                         "domain", s->domain,
                         "target", s->target,
                         "port", opt_uint (port, s->port >= 0, (guint64) s->port),
                         "priority", opt_uint (prio, s->priority >= 0, (guint64) s->priority),
                         "weight", opt_uint (weight, s->weight >= 0, (guint64) s->weight),
                         NULL);
  }
  for (guint i = 0; i < dns->hosts->len; i++) {
    const VbNetworkDnsHost *h = g_ptr_array_index (dns->hosts, i);
    vb_xml_writer_start (w, "host", "ip", h->ip, NULL);
    for (guint j = 0; j < h->hostnames->len; j++)
      vb_xml_writer_element (w, "hostname", g_ptr_array_index (h->hostnames, j), NULL);
    vb_xml_writer_end (w);
  }
  vb_xml_writer_end (w);
}

static void
format_forward (VbXmlWriter *w, const VbNetworkForward *f, gboolean inactive)
{
  if (f->mode == VB_NETWORK_FORWARD_NONE || (guint) f->mode >= G_N_ELEMENTS (forward_mode_names) - 1)
    return;
  vb_xml_writer_start (w, "forward",
                       "dev", f->dev,
                       "mode", forward_mode_names[f->mode],
                       "managed", tristate_str (f->managed, FALSE),
                       NULL);
  if (f->has_nat) {
    vb_xml_writer_start (w, "nat", "ipv6", tristate_str (f->nat_ipv6, FALSE), NULL);
    if (f->nat_address_start != NULL)
      vb_xml_writer_empty (w, "address", "start", f->nat_address_start, "end", f->nat_address_end, NULL);
    if (f->nat_port_start != 0) {
      char s[24], e[24];
      vb_xml_writer_empty (w, "port",
                           "start", opt_uint (s, TRUE, f->nat_port_start),
                           "end", opt_uint (e, TRUE, f->nat_port_end),
                           NULL);
    }
    vb_xml_writer_end (w);
  }
  if (f->driver != VB_NETWORK_FORWARD_DRIVER_DEFAULT)
    vb_xml_writer_empty (w, "driver", "name", forward_driver_names[f->driver], NULL);
  if (f->pf_dev != NULL)
    vb_xml_writer_empty (w, "pf", "dev", f->pf_dev, NULL);
  for (guint i = 0; i < f->interfaces->len; i++) {
    const VbNetworkForwardInterface *iface = g_ptr_array_index (f->interfaces, i);
    char c[24];
    vb_xml_writer_empty (w, "interface",
                         "dev", iface->dev,
                         "connections", opt_uint (c, !inactive && iface->connections > 0, iface->connections),
                         NULL);
  }
  for (guint i = 0; i < f->addresses->len; i++) {
    const VbNetworkForwardAddress *a = g_ptr_array_index (f->addresses, i);
    g_autofree char *domain = g_strdup_printf ("0x%04x", a->domain);
    g_autofree char *bus = g_strdup_printf ("0x%02x", a->bus);
    g_autofree char *slot = g_strdup_printf ("0x%02x", a->slot);
    g_autofree char *function = g_strdup_printf ("0x%x", a->function);
    char c[24];
    vb_xml_writer_empty (w, "address",
                         "type", "pci",
                         "domain", domain,
                         "bus", bus,
                         "slot", slot,
                         "function", function,
                         "connections", opt_uint (c, !inactive && a->connections > 0, a->connections),
                         NULL);
  }
  vb_xml_writer_end (w);
}

static void
format_portgroup (VbXmlWriter *w, const VbNetworkPortGroup *pg)
{
  vb_xml_writer_start (w, "portgroup",
                       "name", pg->name,
                       "default", pg->is_default ? "yes" : NULL,
                       "trustGuestRxFilters", tristate_str (pg->trust_guest_rx_filters, FALSE),
                       NULL);
  if (pg->vlan != NULL)
    format_vlan (w, pg->vlan);
  if (pg->virtualport != NULL)
    format_virtualport (w, pg->virtualport);
  if (pg->bandwidth != NULL)
    vb_bandwidth_format (w, pg->bandwidth);
  vb_xml_writer_end (w);
}

char *
vb_network_def_format (const VbNetworkDef *def, guint flags)
{
  gboolean inactive = (flags & VB_NETWORK_XML_INACTIVE) != 0;
  VbXmlWriter *w = vb_xml_writer_new ();
  char conn[24];

  vb_xml_writer_start (w, "network",
                       "connections", opt_uint (conn, !inactive && def->connections > 0, def->connections),
                       "ipv6", tristate_str (def->ipv6, FALSE),
                       "trustGuestRxFilters", tristate_str (def->trust_guest_rx_filters, FALSE),
                       NULL);
  vb_xml_writer_element (w, "name", def->name, NULL);
  vb_xml_writer_element (w, "uuid", def->uuid, NULL);
  vb_xml_writer_element (w, "title", def->title, NULL);
  vb_xml_writer_element (w, "description", def->description, NULL);
  if (def->metadata != NULL) {
    vb_xml_writer_start (w, "metadata", NULL);
    if (def->metadata[0] != '\0')
      vb_xml_writer_raw (w, def->metadata);
    vb_xml_writer_end (w);
  }
  format_forward (w, &def->forward, inactive);
  if (def->bridge != NULL) {
    const VbNetworkBridge *b = def->bridge;
    char delay[24];
    vb_xml_writer_empty (w, "bridge",
                         "name", b->name,
                         "zone", b->zone,
                         "stp", tristate_str (b->stp, TRUE),
                         "delay", opt_uint (delay, b->has_delay, b->delay),
                         "macTableManager", b->mac_table_manager ? mac_table_manager_names[b->mac_table_manager] : NULL,
                         NULL);
  }
  if (def->mtu != 0) {
    char mtu[24];
    vb_xml_writer_empty (w, "mtu", "size", opt_uint (mtu, TRUE, def->mtu), NULL);
  }
  if (def->mac != NULL)
    vb_xml_writer_empty (w, "mac", "address", def->mac, NULL);
  if (def->domain_name != NULL)
    vb_xml_writer_empty (w, "domain",
                         "name", def->domain_name,
                         "localOnly", tristate_str (def->domain_local_only, FALSE),
                         NULL);
  if (def->dns != NULL)
    format_dns (w, def->dns);
  if (def->vlan != NULL)
    format_vlan (w, def->vlan);
  if (def->bandwidth != NULL)
    vb_bandwidth_format (w, def->bandwidth);
  if (def->port_isolated != VB_NETWORK_TRISTATE_ABSENT)
    vb_xml_writer_empty (w, "port", "isolated", tristate_str (def->port_isolated, FALSE), NULL);
  for (guint i = 0; i < def->ips->len; i++)
    format_ip (w, g_ptr_array_index (def->ips, i));
  for (guint i = 0; i < def->routes->len; i++) {
    const VbNetworkRoute *r = g_ptr_array_index (def->routes, i);
    char prefix[24], metric[24];
    vb_xml_writer_empty (w, "route",
                         "family", r->family ? ip_family_names[r->family] : NULL,
                         "address", r->address,
                         "netmask", r->netmask,
                         "prefix", opt_uint (prefix, r->prefix >= 0, (guint64) r->prefix),
                         "gateway", r->gateway,
                         "metric", opt_uint (metric, r->has_metric, r->metric),
                         NULL);
  }
  if (def->virtualport != NULL)
    format_virtualport (w, def->virtualport);
  for (guint i = 0; i < def->portgroups->len; i++)
    format_portgroup (w, g_ptr_array_index (def->portgroups, i));
  return vb_xml_writer_finish (w);
}

/* ---- virNetworkUpdate ---- */

static const char *const section_names[] = {
  "none", "bridge", "domain", "ip", "ip-dhcp-host", "ip-dhcp-range", "forward", "forward-interface",
  "forward-pf", "portgroup", "dns-host", "dns-txt", "dns-srv",
};

static void update_error (GError **error, int code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
update_error (GError **error, int code, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, VB_ERROR, code, msg);
}

static gboolean
modify_not_supported (VbNetworkUpdateCommand command, VbNetworkUpdateSection section, GError **error)
{
  if (command != VB_NETWORK_UPDATE_COMMAND_MODIFY)
    return FALSE;
  update_error (error, VB_ERROR_NOT_SUPPORTED, "'%s' entries cannot be modified, only added or deleted",
                section_names[section]);
  return TRUE;
}

static void
insert_entry (GPtrArray *array, VbNetworkUpdateCommand command, gpointer item)
{
  if (command == VB_NETWORK_UPDATE_COMMAND_ADD_FIRST)
    g_ptr_array_insert (array, 0, item);
  else
    g_ptr_array_add (array, item);
}

/* The <ip> whose DHCP section an update edits. A negative index means the
 * one that already has DHCP entries, else the first IPv4, else the first. */
static VbNetworkIp *
find_dhcp_ip (VbNetworkDef *def, int parent_index, GError **error)
{
  if (parent_index >= 0) {
    if ((guint) parent_index >= def->ips->len) {
      update_error (error, VB_ERROR_OPERATION_INVALID, "network '%s' has no <ip> element at index %d",
                    def->name, parent_index);
      return NULL;
    }
    return g_ptr_array_index (def->ips, parent_index);
  }
  for (guint i = 0; i < def->ips->len; i++) {
    VbNetworkIp *ip = g_ptr_array_index (def->ips, i);
    if (ip->dhcp_ranges->len > 0 || ip->dhcp_hosts->len > 0)
      return ip;
  }
  for (guint i = 0; i < def->ips->len; i++) {
    VbNetworkIp *ip = g_ptr_array_index (def->ips, i);
    if (!ip_is_v6 (ip->address))
      return ip;
  }
  if (def->ips->len > 0)
    return g_ptr_array_index (def->ips, 0);
  update_error (error, VB_ERROR_OPERATION_INVALID, "network '%s' has no <ip> element", def->name);
  return NULL;
}

static gboolean
str_eq_ci (const char *a, const char *b)
{
  return a != NULL && b != NULL && g_ascii_strcasecmp (a, b) == 0;
}

/* Whether two hosts share any identifying field. */
static gboolean
dhcp_host_overlaps (const VbNetworkDhcpHost *a, const VbNetworkDhcpHost *b)
{
  return str_eq_ci (a->mac, b->mac) || str_eq_ci (a->id, b->id) ||
         (a->ip != NULL && b->ip != NULL && ip_equal (a->ip, b->ip)) ||
         (a->name != NULL && b->name != NULL && strcmp (a->name, b->name) == 0);
}

/* Whether @have has every field @want gives, with the same value. */
static gboolean
dhcp_host_matches (const VbNetworkDhcpHost *want, const VbNetworkDhcpHost *have)
{
  return (want->mac == NULL || str_eq_ci (want->mac, have->mac)) &&
         (want->id == NULL || str_eq_ci (want->id, have->id)) &&
         (want->name == NULL || g_strcmp0 (want->name, have->name) == 0) &&
         (want->ip == NULL || (have->ip != NULL && ip_equal (want->ip, have->ip)));
}

static gboolean
update_dhcp_host (VbNetworkDef *def, VbNetworkUpdateCommand command, int parent_index, xmlNode *root,
                  GError **error)
{
  gboolean is_delete = command == VB_NETWORK_UPDATE_COMMAND_DELETE;
  g_autoptr(VbNetworkDhcpHost) host = parse_dhcp_host (root, is_delete, error);
  VbNetworkIp *ip;
  guint i;

  if (host == NULL || !vb_xml_check_consumed (root, error))
    return FALSE;
  if ((ip = find_dhcp_ip (def, parent_index, error)) == NULL)
    return FALSE;

  if (is_delete) {
    for (i = 0; i < ip->dhcp_hosts->len; i++)
      if (dhcp_host_matches (host, g_ptr_array_index (ip->dhcp_hosts, i)))
        break;
    if (i == ip->dhcp_hosts->len) {
      update_error (error, VB_ERROR_OPERATION_INVALID, "network '%s' has no matching DHCP host entry", def->name);
      return FALSE;
    }
    g_ptr_array_remove_index (ip->dhcp_hosts, i);
    return TRUE;
  }

  for (i = 0; i < ip->dhcp_hosts->len; i++)
    if (dhcp_host_overlaps (host, g_ptr_array_index (ip->dhcp_hosts, i)))
      break;
  if (command == VB_NETWORK_UPDATE_COMMAND_MODIFY) {
    if (i == ip->dhcp_hosts->len) {
      update_error (error, VB_ERROR_OPERATION_INVALID,
                    "network '%s' has no DHCP host entry with this mac, id, name or ip to modify", def->name);
      return FALSE;
    }
    dhcp_host_free (ip->dhcp_hosts->pdata[i]);
    ip->dhcp_hosts->pdata[i] = g_steal_pointer (&host);
    return TRUE;
  }
  if (i < ip->dhcp_hosts->len) {
    update_error (error, VB_ERROR_OPERATION_INVALID,
                  "network '%s' already has a DHCP host entry with the same mac, id, name or ip", def->name);
    return FALSE;
  }
  ip->has_dhcp = TRUE;
  insert_entry (ip->dhcp_hosts, command, g_steal_pointer (&host));
  return TRUE;
}

static gboolean
update_dhcp_range (VbNetworkDef *def, VbNetworkUpdateCommand command, int parent_index, xmlNode *root,
                   GError **error)
{
  g_autoptr(VbNetworkDhcpRange) range = NULL;
  VbNetworkIp *ip;
  guint i;

  if (modify_not_supported (command, VB_NETWORK_SECTION_IP_DHCP_RANGE, error))
    return FALSE;
  if ((range = parse_dhcp_range (root, error)) == NULL || !vb_xml_check_consumed (root, error))
    return FALSE;
  if ((ip = find_dhcp_ip (def, parent_index, error)) == NULL)
    return FALSE;

  for (i = 0; i < ip->dhcp_ranges->len; i++) {
    const VbNetworkDhcpRange *r = g_ptr_array_index (ip->dhcp_ranges, i);
    if (ip_equal (r->start, range->start) && ip_equal (r->end, range->end))
      break;
  }
  if (command == VB_NETWORK_UPDATE_COMMAND_DELETE) {
    if (i == ip->dhcp_ranges->len) {
      update_error (error, VB_ERROR_OPERATION_INVALID, "network '%s' has no DHCP range %s - %s",
                    def->name, range->start, range->end);
      return FALSE;
    }
    g_ptr_array_remove_index (ip->dhcp_ranges, i);
    return TRUE;
  }
  if (i < ip->dhcp_ranges->len) {
    update_error (error, VB_ERROR_OPERATION_INVALID, "network '%s' already has the DHCP range %s - %s",
                  def->name, range->start, range->end);
    return FALSE;
  }
  ip->has_dhcp = TRUE;
  insert_entry (ip->dhcp_ranges, command, g_steal_pointer (&range));
  return TRUE;
}

static gboolean
update_forward_interface (VbNetworkDef *def, VbNetworkUpdateCommand command, xmlNode *root, GError **error)
{
  g_autoptr(VbNetworkForwardInterface) iface = NULL;
  GPtrArray *list = def->forward.interfaces;
  guint i;

  if (modify_not_supported (command, VB_NETWORK_SECTION_FORWARD_INTERFACE, error))
    return FALSE;
  if ((iface = parse_forward_interface (root, error)) == NULL || !vb_xml_check_consumed (root, error))
    return FALSE;
  if (def->forward.mode == VB_NETWORK_FORWARD_NONE) {
    update_error (error, VB_ERROR_OPERATION_INVALID, "network '%s' has no <forward> element", def->name);
    return FALSE;
  }
  for (i = 0; i < list->len; i++)
    if (strcmp (((VbNetworkForwardInterface *) g_ptr_array_index (list, i))->dev, iface->dev) == 0)
      break;
  if (command == VB_NETWORK_UPDATE_COMMAND_DELETE) {
    const VbNetworkForwardInterface *old;
    if (i == list->len) {
      update_error (error, VB_ERROR_OPERATION_INVALID, "network '%s' has no forward interface '%s'",
                    def->name, iface->dev);
      return FALSE;
    }
    old = g_ptr_array_index (list, i);
    if (old->connections > 0) {
      update_error (error, VB_ERROR_OPERATION_INVALID,
                    "forward interface '%s' of network '%s' is in use by %u connection(s)",
                    old->dev, def->name, old->connections);
      return FALSE;
    }
    g_ptr_array_remove_index (list, i);
    return TRUE;
  }
  if (i < list->len) {
    update_error (error, VB_ERROR_OPERATION_INVALID, "network '%s' already has forward interface '%s'",
                  def->name, iface->dev);
    return FALSE;
  }
  /* Connection counts are the daemon's to keep, not the caller's. */
  iface->connections = 0;
  insert_entry (list, command, g_steal_pointer (&iface));
  return TRUE;
}

static gboolean
update_portgroup (VbNetworkDef *def, VbNetworkUpdateCommand command, xmlNode *root, GError **error)
{
  g_autoptr(VbNetworkPortGroup) pg = NULL;
  GPtrArray *list = def->portgroups;
  guint i;

  if ((pg = parse_portgroup (root, error)) == NULL || !vb_xml_check_consumed (root, error))
    return FALSE;
  for (i = 0; i < list->len; i++)
    if (strcmp (((VbNetworkPortGroup *) g_ptr_array_index (list, i))->name, pg->name) == 0)
      break;

  if (command == VB_NETWORK_UPDATE_COMMAND_DELETE || command == VB_NETWORK_UPDATE_COMMAND_MODIFY) {
    if (i == list->len) {
      update_error (error, VB_ERROR_OPERATION_INVALID, "network '%s' has no portgroup '%s'", def->name, pg->name);
      return FALSE;
    }
    if (command == VB_NETWORK_UPDATE_COMMAND_DELETE) {
      g_ptr_array_remove_index (list, i);
      return TRUE;
    }
  } else if (i < list->len) {
    update_error (error, VB_ERROR_OPERATION_INVALID, "network '%s' already has a portgroup '%s'",
                  def->name, pg->name);
    return FALSE;
  }

  if (pg->is_default) {
    for (guint j = 0; j < list->len; j++) {
      const VbNetworkPortGroup *other = g_ptr_array_index (list, j);
      if (j != i && other->is_default) {
        update_error (error, VB_ERROR_OPERATION_INVALID,
                      "portgroup '%s' of network '%s' is already the default; only one may be",
                      other->name, def->name);
        return FALSE;
      }
    }
  }
  if (command == VB_NETWORK_UPDATE_COMMAND_MODIFY) {
    portgroup_free (list->pdata[i]);
    list->pdata[i] = g_steal_pointer (&pg);
  } else {
    insert_entry (list, command, g_steal_pointer (&pg));
  }
  return TRUE;
}

static VbNetworkDns *
ensure_dns (VbNetworkDef *def)
{
  if (def->dns == NULL)
    def->dns = dns_new ();
  return def->dns;
}

/* A DNS host matches another by IP or by any shared host name. */
static gboolean
dns_host_overlaps (const VbNetworkDnsHost *a, const VbNetworkDnsHost *b)
{
  if (a->ip != NULL && b->ip != NULL && ip_equal (a->ip, b->ip))
    return TRUE;
  for (guint i = 0; i < a->hostnames->len; i++)
    for (guint j = 0; j < b->hostnames->len; j++)
      if (g_ascii_strcasecmp (g_ptr_array_index (a->hostnames, i), g_ptr_array_index (b->hostnames, j)) == 0)
        return TRUE;
  return FALSE;
}

static gboolean
update_dns_host (VbNetworkDef *def, VbNetworkUpdateCommand command, xmlNode *root, GError **error)
{
  gboolean is_delete = command == VB_NETWORK_UPDATE_COMMAND_DELETE;
  g_autoptr(VbNetworkDnsHost) host = NULL;
  GPtrArray *list;
  guint found = 0, index = 0;

  if (modify_not_supported (command, VB_NETWORK_SECTION_DNS_HOST, error))
    return FALSE;
  if ((host = parse_dns_host (root, is_delete, error)) == NULL || !vb_xml_check_consumed (root, error))
    return FALSE;
  list = ensure_dns (def)->hosts;
  for (guint i = 0; i < list->len; i++) {
    if (dns_host_overlaps (host, g_ptr_array_index (list, i))) {
      found++;
      index = i;
    }
  }
  if (is_delete) {
    if (found != 1) {
      update_error (error, VB_ERROR_OPERATION_INVALID,
                    found == 0 ? "network '%s' has no matching DNS host record"
                               : "more than one DNS host record of network '%s' matches",
                    def->name);
      return FALSE;
    }
    g_ptr_array_remove_index (list, index);
    return TRUE;
  }
  if (found > 0) {
    update_error (error, VB_ERROR_OPERATION_INVALID,
                  "network '%s' already has a DNS host record with this ip or host name", def->name);
    return FALSE;
  }
  insert_entry (list, command, g_steal_pointer (&host));
  return TRUE;
}

static gboolean
update_dns_txt (VbNetworkDef *def, VbNetworkUpdateCommand command, xmlNode *root, GError **error)
{
  gboolean is_delete = command == VB_NETWORK_UPDATE_COMMAND_DELETE;
  g_autoptr(VbNetworkDnsTxt) txt = NULL;
  GPtrArray *list;
  guint i;

  if (modify_not_supported (command, VB_NETWORK_SECTION_DNS_TXT, error))
    return FALSE;
  if ((txt = parse_dns_txt (root, is_delete, error)) == NULL || !vb_xml_check_consumed (root, error))
    return FALSE;
  list = ensure_dns (def)->txts;
  for (i = 0; i < list->len; i++) {
    const VbNetworkDnsTxt *t = g_ptr_array_index (list, i);
    if (strcmp (t->name, txt->name) == 0 && (!is_delete || txt->value == NULL || g_strcmp0 (t->value, txt->value) == 0))
      break;
  }
  if (is_delete) {
    if (i == list->len) {
      update_error (error, VB_ERROR_OPERATION_INVALID, "network '%s' has no matching DNS TXT record '%s'",
                    def->name, txt->name);
      return FALSE;
    }
    g_ptr_array_remove_index (list, i);
    return TRUE;
  }
  if (i < list->len) {
    update_error (error, VB_ERROR_OPERATION_INVALID, "network '%s' already has a DNS TXT record '%s'",
                  def->name, txt->name);
    return FALSE;
  }
  insert_entry (list, command, g_steal_pointer (&txt));
  return TRUE;
}

/* Whether @have has every field @want gives, with the same value. */
static gboolean
dns_srv_matches (const VbNetworkDnsSrv *want, const VbNetworkDnsSrv *have)
{
  return strcmp (want->service, have->service) == 0 &&
         strcmp (want->protocol, have->protocol) == 0 &&
         (want->domain == NULL || g_strcmp0 (want->domain, have->domain) == 0) &&
         (want->target == NULL || g_strcmp0 (want->target, have->target) == 0) &&
         (want->port < 0 || want->port == have->port) &&
         (want->priority < 0 || want->priority == have->priority) &&
         (want->weight < 0 || want->weight == have->weight);
}

static gboolean
update_dns_srv (VbNetworkDef *def, VbNetworkUpdateCommand command, xmlNode *root, GError **error)
{
  g_autoptr(VbNetworkDnsSrv) srv = NULL;
  GPtrArray *list;
  guint found = 0, index = 0;

  if (modify_not_supported (command, VB_NETWORK_SECTION_DNS_SRV, error))
    return FALSE;
  if ((srv = parse_dns_srv (root, error)) == NULL || !vb_xml_check_consumed (root, error))
    return FALSE;
  list = ensure_dns (def)->srvs;
  for (guint i = 0; i < list->len; i++) {
    if (dns_srv_matches (srv, g_ptr_array_index (list, i))) {
      found++;
      index = i;
    }
  }
  if (command == VB_NETWORK_UPDATE_COMMAND_DELETE) {
    if (found != 1) {
      update_error (error, VB_ERROR_OPERATION_INVALID,
                    found == 0 ? "network '%s' has no matching DNS SRV record"
                               : "more than one DNS SRV record of network '%s' matches; give more fields",
                    def->name);
      return FALSE;
    }
    g_ptr_array_remove_index (list, index);
    return TRUE;
  }
  if (found > 0) {
    update_error (error, VB_ERROR_OPERATION_INVALID,
                  "network '%s' already has a DNS SRV record matching all the given fields", def->name);
    return FALSE;
  }
  insert_entry (list, command, g_steal_pointer (&srv));
  return TRUE;
}

gboolean
vb_network_def_update_section (VbNetworkDef *def, VbNetworkUpdateCommand command,
                               VbNetworkUpdateSection section, int parent_index,
                               const char *xml, GError **error)
{
  /* The element each section's fragment is, or NULL when not updatable. */
  static const char *const roots[] = {
    [VB_NETWORK_SECTION_IP_DHCP_HOST] = "host",
    [VB_NETWORK_SECTION_IP_DHCP_RANGE] = "range",
    [VB_NETWORK_SECTION_FORWARD_INTERFACE] = "interface",
    [VB_NETWORK_SECTION_PORTGROUP] = "portgroup",
    [VB_NETWORK_SECTION_DNS_HOST] = "host",
    [VB_NETWORK_SECTION_DNS_TXT] = "txt",
    [VB_NETWORK_SECTION_DNS_SRV] = "srv",
  };
  G_STATIC_ASSERT (G_N_ELEMENTS (roots) == G_N_ELEMENTS (section_names));
  g_autoptr(VbNetworkDef) work = NULL;
  g_autoptr(xmlDoc) doc = NULL;
  xmlNode *root;
  gboolean ok = FALSE;

  if ((guint) command < VB_NETWORK_UPDATE_COMMAND_MODIFY || (guint) command > VB_NETWORK_UPDATE_COMMAND_ADD_FIRST) {
    update_error (error, VB_ERROR_INVALID_ARG, "unknown network update command %u", (guint) command);
    return FALSE;
  }
  if ((guint) section == VB_NETWORK_SECTION_NONE || (guint) section >= G_N_ELEMENTS (roots)) {
    update_error (error, VB_ERROR_INVALID_ARG, "unknown network update section %u", (guint) section);
    return FALSE;
  }
  if (roots[section] == NULL) {
    update_error (error, VB_ERROR_NOT_SUPPORTED, "the '%s' section of a network cannot be updated",
                  section_names[section]);
    return FALSE;
  }
  doc = vb_xml_parse (xml, -1, roots[section], error);
  if (doc == NULL)
    return FALSE;
  root = xmlDocGetRootElement (doc);

  /* Work on a copy so that a failure leaves @def as it was. */
  work = vb_network_def_copy (def);
  switch (section) {
  case VB_NETWORK_SECTION_IP_DHCP_HOST:
    ok = update_dhcp_host (work, command, parent_index, root, error);
    break;
  case VB_NETWORK_SECTION_IP_DHCP_RANGE:
    ok = update_dhcp_range (work, command, parent_index, root, error);
    break;
  case VB_NETWORK_SECTION_FORWARD_INTERFACE:
    ok = update_forward_interface (work, command, root, error);
    break;
  case VB_NETWORK_SECTION_PORTGROUP:
    ok = update_portgroup (work, command, root, error);
    break;
  case VB_NETWORK_SECTION_DNS_HOST:
    ok = update_dns_host (work, command, root, error);
    break;
  case VB_NETWORK_SECTION_DNS_TXT:
    ok = update_dns_txt (work, command, root, error);
    break;
  case VB_NETWORK_SECTION_DNS_SRV:
    ok = update_dns_srv (work, command, root, error);
    break;
  case VB_NETWORK_SECTION_NONE:
  case VB_NETWORK_SECTION_BRIDGE:
  case VB_NETWORK_SECTION_DOMAIN:
  case VB_NETWORK_SECTION_IP:
  case VB_NETWORK_SECTION_FORWARD:
  case VB_NETWORK_SECTION_FORWARD_PF:
  default:
    g_assert_not_reached ();
  }
  if (!ok || !network_def_validate (work, error))
    return FALSE;

  /* Swap contents: @def takes the edited data, @work frees the old. */
  VbNetworkDef tmp = *def;
  *def = *work;
  *work = tmp;
  return TRUE;
}
