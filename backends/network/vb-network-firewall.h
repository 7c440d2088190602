/* The nftables rules of a virtual network: one table per active network,
 * replaced or deleted as a whole with one `nft -f -` transaction.
 * Pure text: running nft is vb-network-local.c's. */
#pragma once

#include <glib.h>

#include "vb-network-def.h"

G_BEGIN_DECLS

/* The network's table name: "virtbus_" and the 32 hex digits of its uuid
 * in lower case (an nft identifier; table names cannot be quoted). NULL,
 * with a critical warning, when @def has no valid uuid. */
char *vb_network_firewall_table (const VbNetworkDef *def);

/* The nft script that creates (or atomically replaces) the table of @def,
 * an active network whose bridge name is set; NULL (no error) when the
 * network needs no rules (forward mode open, or the modes whose bridge is
 * not ours: bridge, private, vepa, passthrough, hostdev). NULL with
 * @error for what cannot be expressed. */
char *vb_network_firewall_script (const VbNetworkDef *def, GError **error);

/* The nft script that deletes the table of @def; deleting a table that is
 * not there is not an error ("add table" first). NULL as for
 * vb_network_firewall_table(). */
char *vb_network_firewall_delete_script (const VbNetworkDef *def);

G_END_DECLS
