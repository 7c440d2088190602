/* dnsmasq's files for a virtual network, and its lease file read back.
 *
 * Every value written comes from a network definition, that is from a
 * caller of the daemon, while dnsmasq runs as root when it reads them. So
 * nothing may reach a file that dnsmasq would read differently from what
 * was meant: each field is checked against what its place in dnsmasq's
 * syntax can carry (commas separate fields, quotes and '#' are special, a
 * newline starts another option), and every line goes through line_ok()
 * as a last guard. What cannot be written is refused, never escaped into
 * something else, except TXT values, which dnsmasq lets us quote. */
#include "vb-network-dnsmasq.h"

#include <gio/gio.h>
#include <string.h>

#include "vb-error.h"

/* dnsmasq reads its files with fgets() into a buffer of 1025 bytes: the
 * rest of a longer line would be read as a line of its own. */
#define LINE_MAX_LEN 1000

/* dnsmasq keeps lease times and the lease count in an int. */
#define DNSMASQ_INT_MAX G_MAXINT32

/* ---- Field checks ---- */

static gboolean
is_charset (const char *s, const char *extra)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isalnum (*s) && strchr (extra, *s) == NULL)
      return FALSE;
  return TRUE;
}

/* A domain or host name, as dnsmasq's canonicalisation accepts it. */
static gboolean
is_dns_name (const char *s)
{
  return is_charset (s, ".-_") && strlen (s) <= 253;
}

/* A --dhcp-host field is told apart by its look: a name must not look
 * like a lease time ("12h", "3600"), an address or a keyword, or dnsmasq
 * would take it for one. */
static gboolean
is_dhcp_host_name (const char *s)
{
  static const char *const keywords[] = { "infinite", "ignore", "deprecated" };
  gsize digits;

  if (!is_dns_name (s) || !g_ascii_isalnum (s[0]))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (keywords); i++)
    if (g_ascii_strcasecmp (s, keywords[i]) == 0)
      return FALSE;
  digits = strspn (s, "0123456789");
  if (s[digits] == '\0' || (digits > 0 && s[digits + 1] == '\0' && strchr ("smhdwSMHDW", s[digits]) != NULL))
    return FALSE;
  return !g_hostname_is_ip_address (s);
}

/* One plain field (a path, a file or device name): printable ASCII
 * without the field separator, quotes, comment mark or escapes. */
static gboolean
is_plain (const char *s)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  for (; *s; s++)
    if ((guchar) *s <= ' ' || (guchar) *s >= 0x7f || strchr (",\"'#\\", *s) != NULL)
      return FALSE;
  return TRUE;
}

/* A DUID: hex bytes separated by colons. */
static gboolean
is_hex_id (const char *s)
{
  return s != NULL && *s != '\0' && strspn (s, "0123456789abcdefABCDEF:") == strlen (s) && strlen (s) <= 400;
}

/* An Ethernet address, "xx:xx:xx:xx:xx:xx". */
static gboolean
is_mac (const char *s)
{
  if (s == NULL || strlen (s) != 17)
    return FALSE;
  for (int i = 0; i < 17; i++)
    if (i % 3 == 2 ? s[i] != ':' : !g_ascii_isxdigit (s[i]))
      return FALSE;
  return TRUE;
}

/* Reads @s as an address of the family asked for (IPv6 when @v6). */
static GInetAddress *
parse_ip (const char *s, gboolean v6)
{
  g_autoptr(GInetAddress) addr = s != NULL ? g_inet_address_new_from_string (s) : NULL;

  if (addr == NULL || (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6) != v6)
    return NULL;
  return g_steal_pointer (&addr);
}

/* @s in canonical text when it is an address of that family, else NULL. */
static char *
ip_text (const char *s, gboolean v6)
{
  g_autoptr(GInetAddress) addr = parse_ip (s, v6);

  return addr != NULL ? g_inet_address_to_string (addr) : NULL;
}

/* The network address of @ip (its host bits cleared), or NULL when its
 * address is not one. */
static GInetAddress *
network_address (const VbNetworkIp *ip)
{
  gboolean v6 = vb_network_ip_is_ipv6 (ip);
  g_autoptr(GInetAddress) addr = parse_ip (ip->address, v6);
  gsize len = v6 ? 16 : 4;
  guint prefix = MIN (vb_network_ip_prefix (ip), len * 8);
  guint8 bytes[16];

  if (addr == NULL)
    return NULL;
  memcpy (bytes, g_inet_address_to_bytes (addr), len);
  for (gsize i = 0; i < len; i++) {
    guint keep = prefix >= (i + 1) * 8 ? 8 : prefix > i * 8 ? prefix - i * 8 : 0;
    bytes[i] &= (guint8) (0xff00 >> keep);
  }
  return g_inet_address_new_from_bytes (bytes, v6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4);
}

/* How many addresses start..end holds, at most DNSMASQ_INT_MAX; 0 when
 * either is not an address of the family or end comes before start. */
static guint64
range_size (const char *start, const char *end, gboolean v6)
{
  g_autoptr(GInetAddress) a = parse_ip (start, v6);
  g_autoptr(GInetAddress) b = parse_ip (end, v6);
  const guint8 *x, *y;
  gsize len = v6 ? 16 : 4;
  guint64 lo_a = 0, lo_b = 0;

  if (a == NULL || b == NULL)
    return 0;
  x = g_inet_address_to_bytes (a);
  y = g_inet_address_to_bytes (b);
  if (memcmp (x, y, len) > 0)
    return 0;
  /* Ranges wider than 2^64 addresses differ above the low 8 bytes. */
  if (len == 16 && memcmp (x, y, 8) != 0)
    return DNSMASQ_INT_MAX;
  for (gsize i = len - MIN (len, 8); i < len; i++) {
    lo_a = lo_a << 8 | x[i];
    lo_b = lo_b << 8 | y[i];
  }
  return MIN (lo_b - lo_a, (guint64) DNSMASQ_INT_MAX - 1) + 1;
}

/* dnsmasq's spelling of a <lease>, into @buf; FALSE when it does not fit
 * dnsmasq's int of seconds. */
static gboolean
lease_time (guint64 expiry, VbNetworkLeaseUnit unit, char buf[32])
{
  static const guint64 seconds[] = { 60, 1, 60, 3600 }; /* the default unit is minutes */
  static const char *const suffix[] = { "m", "", "m", "h" };

  if (expiry == 0) {
    g_strlcpy (buf, "infinite", 32);
    return TRUE;
  }
  if ((guint) unit >= G_N_ELEMENTS (seconds) || expiry > DNSMASQ_INT_MAX / seconds[unit])
    return FALSE;
  g_snprintf (buf, 32, "%" G_GUINT64_FORMAT "%s", expiry, suffix[unit]);
  return TRUE;
}

static gboolean G_GNUC_PRINTF (2, 3)
unsupported (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, message);
  return FALSE;
}

static gboolean
bad_value (GError **error, const char *what, const char *value)
{
  g_autofree char *text = g_strescape (value != NULL ? value : "", NULL);

  return unsupported (error, "dnsmasq cannot be given %s '%s'", what, text);
}

/* The last guard on every line written: one line, short enough for
 * dnsmasq's reader. */
static gboolean
line_ok (const char *line, GError **error)
{
  if (strlen (line) > LINE_MAX_LEN)
    return unsupported (error, "a dnsmasq setting would be longer than %d characters", LINE_MAX_LEN);
  for (const char *p = line; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return bad_value (error, "the control characters in", line);
  return TRUE;
}

/* ---- Host files ---- */

static gboolean
ip_has_dhcp (const VbNetworkIp *ip)
{
  return ip->dhcp_ranges->len > 0 || ip->dhcp_hosts->len > 0;
}

/* Whether dnsmasq reads back @host as written; its lease time into @lease. */
static gboolean
dhcp_host_ok (const VbNetworkDhcpHost *host, const char *addr, gboolean v6, char lease[32], GError **error)
{
  if (addr == NULL)
    return bad_value (error, "the DHCP host address", host->ip);
  if (host->mac != NULL && (v6 || !is_mac (host->mac)))
    return bad_value (error, "the DHCP host MAC address", host->mac);
  if (host->id != NULL && !is_hex_id (host->id))
    return bad_value (error, "the DHCP host id", host->id);
  if (host->name != NULL && !is_dhcp_host_name (host->name))
    return bad_value (error, "the DHCP host name", host->name);
  if (host->has_lease && !lease_time (host->lease_expiry, host->lease_unit, lease))
    return unsupported (error, "the lease time of DHCP host %s is too long for dnsmasq", addr);
  if (host->mac == NULL && host->id == NULL && host->name == NULL)
    return unsupported (error, "DHCP host %s names no MAC address, id or name", addr);
  return TRUE;
}

/* The dhcp-hostsfile line of @host, one of @ip's, or NULL with @error. */
static char *
dhcp_host_line (const VbNetworkIp *ip, const VbNetworkDhcpHost *host, GError **error)
{
  gboolean v6 = vb_network_ip_is_ipv6 (ip);
  g_autofree char *addr = ip_text (host->ip, v6);
  g_autoptr(GString) line = g_string_new (NULL);
  char lease[32];

  if (!dhcp_host_ok (host, addr, v6, lease, error))
    return NULL;
  /* "mac|id:duid,address[,name]" or, for a host known by name only,
   * "name,address"; IPv6 addresses in brackets. */
  if (host->mac != NULL)
    g_string_append_printf (line, "%s,", host->mac);
  else if (host->id != NULL)
    g_string_append_printf (line, "id:%s,", host->id);
  else
    g_string_append_printf (line, "%s,", host->name);
  g_string_append_printf (line, v6 ? "[%s]" : "%s", addr);
  if ((host->mac != NULL || host->id != NULL) && host->name != NULL)
    g_string_append_printf (line, ",%s", host->name);
  if (host->has_lease)
    g_string_append_printf (line, ",%s", lease);
  if (!line_ok (line->str, error))
    return NULL;
  return g_string_free (g_steal_pointer (&line), FALSE);
}

/* The addn-hosts line of @host ("address name..."), or NULL with @error. */
static char *
dns_host_line (const VbNetworkDnsHost *host, GError **error)
{
  g_autoptr(GInetAddress) addr = host->ip != NULL ? g_inet_address_new_from_string (host->ip) : NULL;
  g_autofree char *text = NULL;
  g_autoptr(GString) line = NULL;

  if (addr == NULL) {
    bad_value (error, "the DNS host address", host->ip);
    return NULL;
  }
  if (host->hostnames->len == 0) {
    unsupported (error, "DNS host %s has no host name", host->ip);
    return NULL;
  }
  text = g_inet_address_to_string (addr);
  line = g_string_new (text);
  for (guint i = 0; i < host->hostnames->len; i++) {
    const char *name = g_ptr_array_index (host->hostnames, i);
    if (!is_dns_name (name)) {
      bad_value (error, "the DNS host name", name);
      return NULL;
    }
    g_string_append_printf (line, " %s", name);
  }
  if (!line_ok (line->str, error))
    return NULL;
  return g_string_free (g_steal_pointer (&line), FALSE);
}

/* Entries that cannot be written are left out here: vb_dnsmasq_config()
 * refuses the same definition with the reason, before dnsmasq starts. */
char *
vb_dnsmasq_hosts_file (const VbNetworkDef *def)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; def->ips != NULL && i < def->ips->len; i++) {
    const VbNetworkIp *ip = g_ptr_array_index (def->ips, i);
    for (guint j = 0; j < ip->dhcp_hosts->len; j++) {
      g_autoptr(GError) error = NULL;
      g_autofree char *line = dhcp_host_line (ip, g_ptr_array_index (ip->dhcp_hosts, j), &error);
      if (line == NULL)
        g_debug ("DHCP host left out: %s", error->message);
      else
        g_string_append_printf (out, "%s\n", line);
    }
  }
  return g_string_free (out, FALSE);
}

char *
vb_dnsmasq_addn_hosts (const VbNetworkDef *def)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; def->dns != NULL && i < def->dns->hosts->len; i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *line = dns_host_line (g_ptr_array_index (def->dns->hosts, i), &error);
    if (line == NULL)
      g_debug ("DNS host left out: %s", error->message);
    else
      g_string_append_printf (out, "%s\n", line);
  }
  return g_string_free (out, FALSE);
}

/* ---- dnsmasq.conf ---- */

gboolean
vb_dnsmasq_needed (const VbNetworkDef *def)
{
  switch (def->forward.mode) {
  case VB_NETWORK_FORWARD_NONE:
  case VB_NETWORK_FORWARD_NAT:
  case VB_NETWORK_FORWARD_ROUTE:
  case VB_NETWORK_FORWARD_OPEN:
    break;
  default:
    return FALSE;
  }
  if (def->ips == NULL || def->ips->len == 0)
    return FALSE;
  if (def->dns == NULL || def->dns->enable != VB_NETWORK_TRISTATE_NO)
    return TRUE;
  /* Without DNS, still the DHCP server and the IPv6 router advertisements. */
  for (guint i = 0; i < def->ips->len; i++) {
    const VbNetworkIp *ip = g_ptr_array_index (def->ips, i);
    if (ip_has_dhcp (ip) || vb_network_ip_is_ipv6 (ip))
      return TRUE;
  }
  return FALSE;
}

/* The configuration being written; after the first problem, lines are
 * dropped and the problem is what vb_dnsmasq_config() reports. */
typedef struct {
  GString *text;
  GError *error;
} Conf;

static void G_GNUC_PRINTF (2, 3)
conf_line (Conf *conf, const char *format, ...)
{
  va_list args;
  g_autofree char *line = NULL;

  if (conf->error != NULL)
    return;
  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  if (line_ok (line, &conf->error))
    g_string_append_printf (conf->text, "%s\n", line);
}

/* Checks one field: FALSE (and the problem noted) when @ok is not. */
static gboolean
conf_check (Conf *conf, gboolean ok, const char *what, const char *value)
{
  if (!ok && conf->error == NULL)
    bad_value (&conf->error, what, value);
  return ok && conf->error == NULL;
}

/* A TXT value in quotes, in which dnsmasq keeps commas, '#' and spaces
 * and reads back \\ and \" as the characters. */
static char *
quoted (const char *value)
{
  GString *out = g_string_new ("\"");

  for (const char *p = value; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_c (out, '\\');
    g_string_append_c (out, *p);
  }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

static void
conf_dns (Conf *conf, const VbNetworkDef *def)
{
  const VbNetworkDns *dns = def->dns;
  gboolean upstream = FALSE;

  if (dns == NULL)
    return;
  if (dns->forward_plain_names == VB_NETWORK_TRISTATE_NO)
    conf_line (conf, "domain-needed");
  for (guint i = 0; i < dns->forwarders->len; i++) {
    const VbNetworkDnsForwarder *fw = g_ptr_array_index (dns->forwarders, i);
    g_autoptr(GInetAddress) addr = fw->addr != NULL ? g_inet_address_new_from_string (fw->addr) : NULL;
    g_autofree char *text = addr != NULL ? g_inet_address_to_string (addr) : NULL;

    if (!conf_check (conf, fw->addr == NULL || addr != NULL, "the DNS forwarder address", fw->addr) ||
        !conf_check (conf, fw->domain == NULL || is_dns_name (fw->domain), "the DNS forwarder domain", fw->domain) ||
        !conf_check (conf, fw->addr != NULL || fw->domain != NULL, "an empty DNS forwarder", ""))
      return;
    /* A domain without an address is answered here, never forwarded. */
    if (fw->domain != NULL)
      conf_line (conf, "server=/%s/%s", fw->domain, text != NULL ? text : "");
    else
      conf_line (conf, "server=%s", text);
    upstream |= fw->domain == NULL;
  }
  /* Forwarders for all names replace the host's resolv.conf, which would
   * otherwise still be asked too: libvirt behaves the same. */
  if (upstream)
    conf_line (conf, "no-resolv");

  for (guint i = 0; i < dns->txts->len; i++) {
    const VbNetworkDnsTxt *txt = g_ptr_array_index (dns->txts, i);
    g_autofree char *value = NULL;

    if (!conf_check (conf, is_dns_name (txt->name), "the TXT record name", txt->name))
      return;
    value = quoted (txt->value != NULL ? txt->value : "");
    conf_line (conf, "txt-record=%s,%s", txt->name, value);
  }

  for (guint i = 0; i < dns->srvs->len; i++) {
    const VbNetworkDnsSrv *srv = g_ptr_array_index (dns->srvs, i);
    const int fields[] = { srv->port, srv->priority, srv->weight };
    const int defaults[] = { 1, 0, 0 }; /* dnsmasq's, for fields before one given */
    g_autoptr(GString) line = g_string_new (NULL);
    int last = -1;

    if (!conf_check (conf, is_charset (srv->service, "-_") && strlen (srv->service) <= 63, "the SRV service",
                     srv->service) ||
        !conf_check (conf, is_charset (srv->protocol, "-_") && strlen (srv->protocol) <= 63, "the SRV protocol",
                     srv->protocol) ||
        !conf_check (conf, srv->domain == NULL || is_dns_name (srv->domain), "the SRV domain", srv->domain) ||
        !conf_check (conf, srv->target == NULL || is_dns_name (srv->target), "the SRV target", srv->target))
      return;
    g_string_printf (line, "srv-host=_%s._%s", srv->service, srv->protocol);
    if (srv->domain != NULL)
      g_string_append_printf (line, ".%s", srv->domain);
    /* Without a target the record says the service is not there, and
     * port, priority and weight mean nothing. */
    if (srv->target != NULL) {
      g_string_append_printf (line, ",%s", srv->target);
      for (int f = 0; f < 3; f++)
        if (fields[f] >= 0)
          last = f;
      for (int f = 0; f <= last; f++)
        g_string_append_printf (line, ",%d", fields[f] >= 0 ? MIN (fields[f], 65535) : defaults[f]);
    }
    conf_line (conf, "%s", line->str);
  }
}

/* The dhcp-range lines of @ip; the addresses they hold add to @leases. */
static void
conf_dhcp_ranges (Conf *conf, const VbNetworkIp *ip, guint64 *leases)
{
  gboolean v6 = vb_network_ip_is_ipv6 (ip);
  guint prefix = vb_network_ip_prefix (ip);
  g_autoptr(GInetAddress) network = network_address (ip);
  g_autofree char *net = network != NULL ? g_inet_address_to_string (network) : NULL;
  g_autofree char *mask = NULL;

  if (!conf_check (conf, net != NULL && prefix <= (v6 ? 128u : 32u), "the network address", ip->address))
    return;
  if (!v6) {
    guint32 bits = prefix == 0 ? 0 : G_MAXUINT32 << (32 - prefix);
    mask = g_strdup_printf ("%u.%u.%u.%u", bits >> 24, (bits >> 16) & 0xff, (bits >> 8) & 0xff, bits & 0xff);
  } else {
    mask = g_strdup_printf ("%u", prefix);
  }

  if (!ip_has_dhcp (ip)) {
    /* IPv6 without DHCP: router advertisements for SLAAC only, which
     * dnsmasq (and SLAAC) does on /64 subnets alone; other prefixes get
     * no advertisements rather than a network that does not start. */
    if (v6 && prefix == 64)
      conf_line (conf, "dhcp-range=%s,ra-only,%s", net, mask);
    return;
  }
  if (v6 && prefix < 64) {
    unsupported (&conf->error, "dnsmasq serves DHCPv6 only on networks with a prefix of 64 bits or more, not /%u",
                 prefix);
    return;
  }
  for (guint i = 0; i < ip->dhcp_ranges->len; i++) {
    const VbNetworkDhcpRange *range = g_ptr_array_index (ip->dhcp_ranges, i);
    g_autofree char *start = ip_text (range->start, v6);
    g_autofree char *end = ip_text (range->end, v6);
    guint64 size = range_size (range->start, range->end, v6);
    char lease[32] = "";

    if (!conf_check (conf, start != NULL && end != NULL && size > 0, "the DHCP range starting at", range->start))
      return;
    if (range->has_lease && !lease_time (range->lease_expiry, range->lease_unit, lease)) {
      unsupported (&conf->error, "the lease time of DHCP range %s - %s is too long for dnsmasq", start, end);
      return;
    }
    /* No <lease>: no field, so dnsmasq's default (an hour for IPv4, a
     * day for IPv6) applies. */
    conf_line (conf, "dhcp-range=%s,%s,%s%s%s", start, end, mask, lease[0] ? "," : "", lease);
    *leases += size;
  }
  /* Hosts without a range still need dnsmasq to serve the subnet. */
  if (ip->dhcp_ranges->len == 0)
    conf_line (conf, "dhcp-range=%s,static,%s", net, mask);
  *leases += ip->dhcp_hosts->len;
}

char *
vb_dnsmasq_config (const VbNetworkDef *def, const VbDnsmasqPaths *paths, GError **error)
{
  const char *path_values[] = { paths->pid_file, paths->lease_file, paths->hosts_file, paths->addn_hosts_file };
  g_autoptr(GString) text = g_string_new (NULL);
  Conf conf = { text, NULL };
  gboolean dns_off = def->dns != NULL && def->dns->enable == VB_NETWORK_TRISTATE_NO;
  gboolean dhcp4 = FALSE, dhcp6 = FALSE, any_v6 = FALSE;
  const VbNetworkIp *boot = NULL, *tftp = NULL;
  guint64 leases = 0;

  if (def->bridge == NULL || def->bridge->name == NULL) {
    g_set_error_literal (error, VB_ERROR, VB_ERROR_INVALID_ARG, "the network has no bridge name for dnsmasq");
    return NULL;
  }
  for (gsize i = 0; i < G_N_ELEMENTS (path_values); i++)
    if (!conf_check (&conf, path_values[i] != NULL && path_values[i][0] == '/' && is_plain (path_values[i]),
                     "the file", path_values[i]))
      break;
  conf_check (&conf, is_plain (def->bridge->name), "the bridge name", def->bridge->name);

  conf_line (&conf, "# Written by virtbus from the network's definition, and rewritten each time the network "
                    "starts: edit the definition, not this file.");
  conf_line (&conf, "strict-order");
  conf_line (&conf, "pid-file=%s", paths->pid_file);
  conf_line (&conf, "except-interface=lo");
  conf_line (&conf, "bind-dynamic");
  conf_line (&conf, "interface=%s", def->bridge->name);
  conf_line (&conf, "dhcp-leasefile=%s", paths->lease_file);

  if (dns_off)
    conf_line (&conf, "port=0");
  else
    conf_dns (&conf, def);
  if (def->domain_name != NULL && conf_check (&conf, is_dns_name (def->domain_name), "the domain", def->domain_name)) {
    conf_line (&conf, "domain=%s", def->domain_name);
    conf_line (&conf, "expand-hosts");
    if (def->domain_local_only == VB_NETWORK_TRISTATE_YES && !dns_off)
      conf_line (&conf, "local=/%s/", def->domain_name);
  }

  for (guint i = 0; def->ips != NULL && i < def->ips->len; i++) {
    const VbNetworkIp *ip = g_ptr_array_index (def->ips, i);
    gboolean v6 = vb_network_ip_is_ipv6 (ip);

    conf_dhcp_ranges (&conf, ip, &leases);
    any_v6 |= v6;
    dhcp4 |= !v6 && ip_has_dhcp (ip);
    dhcp6 |= v6 && ip_has_dhcp (ip);
    for (guint j = 0; j < ip->dhcp_hosts->len && conf.error == NULL; j++)
      g_free (dhcp_host_line (ip, g_ptr_array_index (ip->dhcp_hosts, j), &conf.error));
    if (!v6 && boot == NULL && ip->bootp_file != NULL)
      boot = ip;
    if (!v6 && tftp == NULL && ip->tftp_root != NULL)
      tftp = ip;
  }
  if (any_v6)
    conf_line (&conf, "enable-ra");
  if (dhcp4 || dhcp6) {
    conf_line (&conf, "dhcp-no-override");
    conf_line (&conf, "dhcp-authoritative");
    conf_line (&conf, "dhcp-lease-max=%" G_GUINT64_FORMAT, MIN (leases, (guint64) DNSMASQ_INT_MAX));
    conf_line (&conf, "dhcp-hostsfile=%s", paths->hosts_file);
  }
  /* Without DNS, clients must not be told to ask dnsmasq. */
  if (dns_off && dhcp4)
    conf_line (&conf, "dhcp-option=option:dns-server");
  if (dns_off && dhcp6)
    conf_line (&conf, "dhcp-option=option6:dns-server");
  if (def->mtu > 0 && dhcp4)
    conf_line (&conf, "dhcp-option=option:mtu,%u", def->mtu);

  for (guint i = 0; def->dns != NULL && i < def->dns->hosts->len && conf.error == NULL; i++)
    g_free (dns_host_line (g_ptr_array_index (def->dns->hosts, i), &conf.error));
  conf_line (&conf, "addn-hosts=%s", paths->addn_hosts_file);

  if (boot != NULL && conf_check (&conf, is_plain (boot->bootp_file), "the boot file", boot->bootp_file)) {
    g_autofree char *server = boot->bootp_server != NULL ? ip_text (boot->bootp_server, FALSE) : NULL;
    if (conf_check (&conf, boot->bootp_server == NULL || server != NULL, "the boot server", boot->bootp_server))
      conf_line (&conf, "dhcp-boot=%s%s%s", boot->bootp_file, server != NULL ? ",," : "", server != NULL ? server : "");
  }
  if (tftp != NULL && conf_check (&conf, tftp->tftp_root[0] == '/' && is_plain (tftp->tftp_root), "the TFTP root",
                                  tftp->tftp_root)) {
    conf_line (&conf, "enable-tftp");
    conf_line (&conf, "tftp-root=%s", tftp->tftp_root);
  }

  if (conf.error != NULL) {
    g_propagate_error (error, conf.error);
    return NULL;
  }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* ---- Lease file ---- */

void
vb_dnsmasq_lease_free (VbDnsmasqLease *lease)
{
  if (lease == NULL)
    return;
  g_free (lease->mac);
  g_free (lease->iaid);
  g_free (lease->ip_address);
  g_free (lease->hostname);
  g_free (lease->client_id);
  g_free (lease);
}

/* A field of the lease file as text for D-Bus: "*" (unknown) is "", and
 * what is not valid UTF-8 without control characters is refused (NULL). */
static char *
lease_text (const char *field)
{
  if (strcmp (field, "*") == 0)
    return g_strdup ("");
  if (!g_utf8_validate (field, -1, NULL) || strlen (field) > 1024)
    return NULL;
  for (const char *p = field; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return NULL;
  return g_strdup (field);
}

/* One line of the file, split on blanks: IPv4 "expiry mac address
 * hostname clientid" or, after the "duid" line, IPv6 "expiry iaid address
 * hostname duid" (the iaid with a "T" for temporary addresses). NULL when
 * malformed. */
static VbDnsmasqLease *
parse_lease_line (char **fields, guint n, gboolean v6)
{
  g_autoptr(VbDnsmasqLease) lease = NULL;
  const char *id;
  gint64 expiry = 0;

  if (n != 4 && n != 5)
    return NULL;
  lease = g_new0 (VbDnsmasqLease, 1);
  id = fields[1];
  if (!g_ascii_isdigit (fields[0][0]) || !g_ascii_string_to_signed (fields[0], 10, 0, G_MAXINT64, &expiry, NULL))
    return NULL;
  lease->expiry_time = expiry;
  lease->type = v6 ? 1 : 0;
  lease->ip_address = ip_text (fields[2], v6);
  lease->hostname = lease_text (fields[3]);
  lease->client_id = lease_text (n == 5 ? fields[4] : "*");
  if (v6) {
    if (id[0] == 'T')
      id++;
    if (*id == '\0' || strspn (id, "0123456789") != strlen (id) || strlen (id) > 10)
      return NULL;
    lease->mac = g_strdup ("");
    lease->iaid = g_strdup (id);
  } else {
    /* Ethernet, or dnsmasq's "<hwtype>-<address>" for other hardware. */
    if (strspn (id, "0123456789abcdefABCDEF:-") != strlen (id) || *id == '\0' || strlen (id) > 64)
      return NULL;
    lease->mac = g_ascii_strdown (id, -1);
    lease->iaid = g_strdup ("");
  }
  if (lease->ip_address == NULL || lease->hostname == NULL || lease->client_id == NULL)
    return NULL;
  return g_steal_pointer (&lease);
}

GPtrArray *
vb_dnsmasq_parse_leases (const char *contents, const VbNetworkDef *def, const char *mac, gint64 now)
{
  GPtrArray *leases = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_dnsmasq_lease_free);
  g_autoptr(GPtrArray) subnets = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto(GStrv) lines = g_strsplit (contents != NULL ? contents : "", "\n", -1);
  gboolean v6 = FALSE;

  for (guint i = 0; def != NULL && def->ips != NULL && i < def->ips->len; i++) {
    const VbNetworkIp *ip = g_ptr_array_index (def->ips, i);
    g_autoptr(GInetAddress) network = network_address (ip);
    GInetAddressMask *subnet = network != NULL ? g_inet_address_mask_new (network, vb_network_ip_prefix (ip), NULL)
                                               : NULL;
    if (subnet != NULL)
      g_ptr_array_add (subnets, subnet);
  }

  for (guint l = 0; lines[l] != NULL; l++) {
    g_auto(GStrv) raw = g_strsplit_set (lines[l], " \t\r", -1);
    g_autofree char **fields = g_new0 (char *, g_strv_length (raw) + 1);
    g_autoptr(VbDnsmasqLease) lease = NULL;
    g_autoptr(GInetAddress) addr = NULL;
    guint n = 0;

    for (guint k = 0; raw[k] != NULL; k++)
      if (raw[k][0] != '\0')
        fields[n++] = raw[k];
    /* The server's DUID: the IPv6 leases follow it. */
    if (n == 2 && strcmp (fields[0], "duid") == 0) {
      v6 = TRUE;
      continue;
    }
    lease = parse_lease_line (fields, n, v6);
    if (lease == NULL)
      continue;
    if (lease->expiry_time != 0 && lease->expiry_time <= now)
      continue;
    if (mac != NULL && (v6 || g_ascii_strcasecmp (lease->mac, mac) != 0))
      continue;
    addr = g_inet_address_new_from_string (lease->ip_address);
    for (guint k = 0; k < subnets->len; k++) {
      GInetAddressMask *subnet = g_ptr_array_index (subnets, k);
      if (g_inet_address_mask_matches (subnet, addr)) {
        lease->prefix = g_inet_address_mask_get_length (subnet);
        break;
      }
    }
    g_ptr_array_add (leases, g_steal_pointer (&lease));
  }
  return leases;
}
