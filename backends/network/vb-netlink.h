/* The host side of virtual networks: bridges, addresses and routes over
 * rtnetlink, and tap devices.
 *
 * Synchronous on purpose: each call is one request and the kernel's
 * acknowledgement on a NETLINK_ROUTE socket, microseconds, never a wait on
 * anything outside the kernel. Errors are VB_ERROR_FAILED with the
 * kernel's reason ("cannot create bridge 'virbr0': File exists"). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Linux interface names: 1 to 15 bytes, no '/', no whitespace, not "." or
 * "..". Stricter here: letters, digits, '-', '_', '.', so that a name can
 * go into the nft and dnsmasq files unquoted-safe. */
gboolean vb_netlink_name_is_valid (const char *name);

/* TRUE when an interface called @name exists (in our network namespace). */
gboolean vb_netlink_link_exists (const char *name);

/* A new bridge @name (fails if any interface has the name), down.
 * @mac: "aa:bb:cc:dd:ee:ff" or NULL for the kernel's; @mtu: 0 for the
 * default; @delay: the forward delay in seconds. */
gboolean vb_netlink_bridge_add (const char *name, const char *mac, guint mtu, gboolean stp, guint delay,
                                GError **error);
gboolean vb_netlink_link_delete (const char *name, GError **error);
/* A new IFB device @name (the target traffic arriving on another
 * interface is redirected to, to be shaped on the way out), down, with
 * @alias (NULL: none) as its description. */
gboolean vb_netlink_ifb_add (const char *name, const char *alias, GError **error);

/* Link changes; @mac NULL, @mtu 0 and @master NULL leave those alone. */
gboolean vb_netlink_link_set_up (const char *name, gboolean up, GError **error);
gboolean vb_netlink_link_set_master (const char *name, const char *master, GError **error);
gboolean vb_netlink_link_set_mtu (const char *name, guint mtu, GError **error);
gboolean vb_netlink_link_set_mac (const char *name, const char *mac, GError **error);
/* The link's MTU, or 0 when it cannot be read. */
guint vb_netlink_link_get_mtu (const char *name);

/* @address/@prefix on @name (IPv4 with its broadcast address). */
gboolean vb_netlink_address_add (const char *name, GInetAddress *address, guint prefix, GError **error);
/* The same with the other end of a point-to-point link (@peer, may be
 * NULL). */
gboolean vb_netlink_address_add_peer (const char *name, GInetAddress *address, guint prefix, GInetAddress *peer,
                                      GError **error);
/* A static route to @dest/@prefix via @gateway (NULL: on-link) out of @name. */
gboolean vb_netlink_route_add (const char *name, GInetAddress *dest, guint prefix, GInetAddress *gateway,
                               guint metric, GError **error);

/* A new macvtap device @name on @lower (which must exist), with the
 * guest's @mac and @mode (MACVLAN_MODE_VEPA, _BRIDGE, _PRIVATE, _PASSTHRU
 * of <linux/if_link.h>), down. */
gboolean vb_netlink_macvtap_add (const char *name, const char *lower, guint32 mode, const char *mac, GError **error);

/* A new tap device: @name_template is a name or a template with "%d"
 * ("vnet%d"); its name is stored in @name_out. @vnet_hdr: with the virtio
 * net header (IFF_VNET_HDR) QEMU's virtio-net offloads need. @queues
 * descriptors (O_CLOEXEC) go to @fds, one per queue (more than one: a
 * multiqueue tap, IFF_MULTI_QUEUE); the tap lives as long as one of them.
 * An existing tap is opened instead when it is a persistent one made for
 * as many queues. FALSE with @error and nothing open. */
gboolean vb_tap_create (const char *name_template, gboolean vnet_hdr, guint queues, int *fds, char **name_out,
                        GError **error);

G_END_DECLS
