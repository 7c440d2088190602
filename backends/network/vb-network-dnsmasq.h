/* dnsmasq, the DHCP and DNS server of a virtual network: its configuration
 * files made from the network's definition, and its lease file read back.
 * Pure text in and out: starting and stopping dnsmasq is vb-network-local.c's. */
#pragma once

#include <glib.h>

#include "vb-network-def.h"

G_BEGIN_DECLS

/* Where one network's dnsmasq keeps its files: absolute paths of printable
 * ASCII without blanks, commas, quotes, '#' or backslashes, which dnsmasq's
 * configuration syntax could not carry. */
typedef struct {
  const char *pid_file;
  const char *lease_file;
  const char *hosts_file;      /* dhcp-hostsfile: the <ip><dhcp><host> entries (reread on SIGHUP) */
  const char *addn_hosts_file; /* addn-hosts: the <dns><host> entries (reread on SIGHUP) */
} VbDnsmasqPaths;

/* TRUE when @def needs a dnsmasq at all: a network with a bridge of ours
 * (forward mode none, nat, route, open) that has an address (an <ip>)
 * and does not say <dns enable='no'/> without any DHCP or IPv6 address
 * (whose router advertisements dnsmasq sends). */
gboolean vb_dnsmasq_needed (const VbNetworkDef *def);

/* The dnsmasq.conf for @def, an active network whose bridge name is set
 * (else NULL with VB_ERROR_INVALID_ARG). NULL with VB_ERROR_NOT_SUPPORTED
 * for what the definition asks and dnsmasq cannot do, including any value
 * (in the configuration or the two host files below) that dnsmasq would
 * read other than as written: values are refused, never escaped, except
 * TXT record values, which are quoted. */
char *vb_dnsmasq_config (const VbNetworkDef *def, const VbDnsmasqPaths *paths, GError **error);

/* The dhcp-hostsfile and addn-hosts contents for @def ("" when empty).
 * Entries that cannot be written safely are left out; vb_dnsmasq_config()
 * refuses the same definition, with the reason. */
char *vb_dnsmasq_hosts_file (const VbNetworkDef *def);
char *vb_dnsmasq_addn_hosts (const VbNetworkDef *def);

/* One lease as org.libvirt.Network.GetDHCPLeases returns it. */
typedef struct {
  gint64 expiry_time;  /* seconds since the epoch; 0: infinite */
  int type;            /* 0: IPv4, 1: IPv6 (libvirt's virIPAddrType) */
  char *mac;           /* lowercase; "" for IPv6 leases (dnsmasq does not record it) */
  char *iaid;          /* "" for IPv4 */
  char *ip_address;
  guint prefix;        /* from the network's <ip> holding the address; 0 when none does */
  char *hostname;      /* "" when unknown ("*" in the file) */
  char *client_id;     /* IPv4 client id or IPv6 DUID; "" when unknown */
} VbDnsmasqLease;

void vb_dnsmasq_lease_free (VbDnsmasqLease *lease);

/* The leases in @contents (a dnsmasq lease file) that are not expired at
 * @now (seconds since the epoch) and, when @mac is not NULL, are for that
 * MAC address (compared case-insensitively; IPv6 leases have none, so
 * they never match a @mac). Malformed lines are skipped. A GPtrArray of
 * VbDnsmasqLease that frees them. */
GPtrArray *vb_dnsmasq_parse_leases (const char *contents, const VbNetworkDef *def, const char *mac, gint64 now);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDnsmasqLease, vb_dnsmasq_lease_free)

G_END_DECLS
