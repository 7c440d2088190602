/* The host tools the network backend runs (nft, dnsmasq, tc). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* @name's path: $PATH, then /usr/sbin, /sbin, /usr/bin; NULL when none. */
char *vb_network_find_tool (const char *name);

/* Runs @argv with @input (NULL: none) on its stdin, on the main loop;
 * fails with "cannot @what: " and its stderr. */
void vb_network_run_tool_async (const char *const *argv, const char *input, const char *what,
                                GAsyncReadyCallback callback, gpointer user_data);
gboolean vb_network_run_tool_finish (GAsyncResult *result, GError **error);

G_END_DECLS
