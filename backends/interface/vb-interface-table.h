/* VbInterfaceTable: what the kernel said about the links and addresses of
 * one network namespace, from rtnetlink messages, and the host interface
 * definitions (VbInterfaceDef) made from it.
 *
 * Pure: no socket, no file. The messages are untrusted input: each is
 * checked against the bytes received, names must be valid interface names
 * (vb_netlink_name_is_valid), values out of range are left out, and a
 * message that does not hold together changes nothing. */
#pragma once

#include <glib.h>
#include <linux/netlink.h>

#include "vb-interface-def.h"

G_BEGIN_DECLS

typedef struct _VbInterfaceTable VbInterfaceTable;

/* The speed in Mbit/s of link @name, asked only while its operational
 * state is up (drivers report nonsense otherwise); 0 when unknown. */
typedef guint (*VbInterfaceSpeedFunc) (const char *name, gpointer user_data);

/* @speed_func may be NULL: no speeds then. */
VbInterfaceTable *vb_interface_table_new (VbInterfaceSpeedFunc speed_func, gpointer user_data);
void vb_interface_table_free (VbInterfaceTable *self);

/* Applies one message (RTM_NEWLINK, RTM_DELLINK of family AF_UNSPEC;
 * RTM_NEWADDR, RTM_DELADDR of AF_INET and AF_INET6) starting at @msg, of
 * which @len bytes were received; @msg must be 4-byte aligned. A link
 * renamed to a name that is not valid leaves the table. Returns FALSE,
 * after a debug message, for anything it skipped. */
gboolean vb_interface_table_apply (VbInterfaceTable *self, const struct nlmsghdr *msg, gsize len);

/* A full dump replaces what the table knows: links that no message
 * mentioned between begin_links and end_links are dropped at end_links;
 * begin_addresses forgets every address before an address dump. */
void vb_interface_table_begin_links (VbInterfaceTable *self);
void vb_interface_table_end_links (VbInterfaceTable *self);
void vb_interface_table_begin_addresses (VbInterfaceTable *self);

/* The interface indexes (guint, ascending) whose definition, name, MAC or
 * state may have changed since the last call; an index that is no longer
 * in the table was removed. A change of a bridge's or bond's member marks
 * the bridge or bond, a rename marks the VLANs on the link. */
GArray *vb_interface_table_take_dirty (VbInterfaceTable *self);

gboolean vb_interface_table_has (VbInterfaceTable *self, guint index);
/* All indexes, ascending. */
GArray *vb_interface_table_list (VbInterfaceTable *self);
/* 0 when no link has @name. */
guint vb_interface_table_lookup (VbInterfaceTable *self, const char *name);
/* NULL for an unknown index. */
const char *vb_interface_table_get_name (VbInterfaceTable *self, guint index);
/* "aa:bb:cc:dd:ee:ff", or NULL when the link has no Ethernet address. */
const char *vb_interface_table_get_mac (VbInterfaceTable *self, guint index);
/* IFF_UP: the interface is administratively up. */
gboolean vb_interface_table_is_up (VbInterfaceTable *self, guint index);
/* Records IFF_UP before the kernel's own notification says so. */
void vb_interface_table_set_up (VbInterfaceTable *self, guint index, gboolean up);

/* The definition of interface @index as libvirt's udev driver shows it
 * (see README.md), NULL for an unknown index. */
VbInterfaceDef *vb_interface_table_build_def (VbInterfaceTable *self, guint index);

G_END_DECLS
