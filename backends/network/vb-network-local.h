/* Virtual networks on the host, for a connection backend (qemu://): a
 * Linux bridge of ours with addresses and routes (forward modes none,
 * nat, route, open), dnsmasq for DHCP and DNS, an nftables table for NAT
 * and forwarding; or a host bridge that already exists (forward mode
 * bridge). And the tap devices that plug a guest into either.
 *
 * A backend that manages networks implements VbNetworkOps with
 * vb_network_local_ops_init, loads the networks when it opens and starts
 * the autostarted ones once it is ready. Definitions live under
 * <config>/network, the active networks' state under the run dir,
 * dnsmasq's files under the lib dir. See README.md. */
#pragma once

#include "vb-domain-def.h"
#include "vb-network-ops.h"

G_BEGIN_DECLS

void vb_network_local_ops_init (VbNetworkOpsInterface *iface);

/* Reads the networks' definitions and which of them were active,
 * registers them on @backend and brings the active ones back (bridge
 * still there: firewall table reapplied, dnsmasq restarted if it died;
 * bridge gone: the network is inactive). */
void vb_network_local_load_async (VbBackend *backend, GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
gboolean vb_network_local_load_finish (VbBackend *backend, GAsyncResult *result, GError **error);

/* Starts the persistent networks marked autostart that are not active;
 * completes (never with an error: each failure is logged) once all are
 * started or failed, so that guests using them can start next. */
void vb_network_local_autostart_async (VbBackend *backend, GAsyncReadyCallback callback, gpointer user_data);

/* Where an <interface type='network'> on @network_name goes (the network
 * must exist and be active): a bridge to plug a tap into (@bridge_out,
 * forward modes none, nat, route, open, bridge with a bridge name), or for
 * a network of macvtaps the host interface (@dev_out) and macvtap mode:
 * the one of its interfaces with the fewest guests in @in_use (the
 * interfaces its running guests are on, one entry per guest NIC; NULL for
 * none), a free one in passthrough mode. */
gboolean vb_network_local_port_for (VbBackend *backend, const char *network_name, GPtrArray *in_use,
                                    char **bridge_out, char **dev_out, VbDomainNetDirectMode *mode_out,
                                    GError **error);

/* The <bandwidth> of @network_name's portgroup @portgroup (NULL: its
 * default portgroup), which shapes the guest NICs on it that have none of
 * their own; NULL when there is none (or no such network). Owned by the
 * network's definition: copy it to keep it. */
const VbBandwidth *vb_network_local_portgroup_bandwidth (VbBackend *backend, const char *network_name,
                                                         const char *portgroup);

/* The address a guest's display with <listen type='network'> on
 * @network_name listens on (the network must exist and be active), as
 * libvirt: the network's first <ip> address, or for a network over host
 * interfaces (forward mode bridge, private, vepa, passthrough) the first
 * IPv4 address of its bridge or first interface. NULL with @error. */
char *vb_network_local_listen_address (VbBackend *backend, const char *network_name, GError **error);

/* The unexpired DHCP leases (VbDnsmasqLease, vb-network-dnsmasq.h) of
 * active network @network_name, for @mac or all (@mac NULL). */
GPtrArray *vb_network_local_leases (VbBackend *backend, const char *network_name, const char *mac, GError **error);

/* A tap device for a guest NIC, up and in @bridge. @target_dev: the name
 * the definition asks for, or NULL for "vnet%d"; @guest_mac: the guest's
 * MAC (the tap gets it with the first byte fe, so the bridge never takes
 * the guest's address as its own); @mtu: 0 for the bridge's; @queues:
 * how many descriptors (queues) to open, in @fds (O_CLOEXEC: the tap
 * lives as long as one of them). Its name in @name_out; FALSE with
 * @error and nothing left open. */
gboolean vb_network_tap_open (const char *bridge, const char *target_dev, const char *guest_mac, guint mtu,
                              gboolean vnet_hdr, guint queues, int *fds, char **name_out, GError **error);

/* A tap for <interface type='ethernet'>, in no bridge. @managed: made
 * (named @target_dev, which must not exist, or "vnet%d"), with the
 * guest's MAC (first byte fe), @mtu (0: the kernel's), up, and the host
 * side's addresses @ips and routes @routes (VbDomainNetIp, VbDomainNetRoute;
 * may be NULL); otherwise the existing tap @target_dev the host made is
 * only opened (with @queues > 1 it must be a multi_queue one). @queues
 * descriptors (O_CLOEXEC) in @fds, the name in @name_out; FALSE with
 * @error, and nothing made left behind. */
gboolean vb_network_tap_open_ethernet (const char *target_dev, gboolean managed, const char *guest_mac, guint mtu,
                                       GPtrArray *ips, GPtrArray *routes, gboolean vnet_hdr, guint queues, int *fds,
                                       char **name_out, GError **error);

/* A macvtap device for a guest NIC of type direct, up: on host interface
 * @lower in @mode (MACVLAN_MODE_* of <linux/if_link.h>), with the
 * guest's own @guest_mac. @target_dev: the name the definition asks for
 * (it must not exist), or NULL for the first free "macvtap%d";
 * @vnet_hdr: with the virtio net header; @node_dir: where a device node
 * is made (and removed again) when /dev has none for it; @queues: how
 * many descriptors (queues) to open, in @fds (O_CLOEXEC). The name in
 * @name_out; FALSE with @error, and nothing left behind. Unlike a tap
 * the device outlives its descriptors: vb_network_macvtap_release
 * removes it. */
gboolean vb_network_macvtap_open (const char *lower, guint32 mode, const char *target_dev, const char *guest_mac,
                                  gboolean vnet_hdr, guint queues, int *fds, const char *node_dir, char **name_out,
                                  GError **error);
/* Removes macvtap @name if it is one and still has @guest_mac or sits on
 * @lower (a device made by someone else under that name since is left
 * alone). */
void vb_network_macvtap_release (const char *name, const char *guest_mac, const char *lower);

G_END_DECLS
