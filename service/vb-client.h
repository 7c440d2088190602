/* The daemon's clients as backends see them: an opaque id per caller (its
 * unique bus name) and a way to hear that the caller went away (its bus
 * connection closed), so that a backend can tie something to the life of a
 * client (libvirt's auto-destroy domains) without touching D-Bus. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The client an operation's task (from vb_invocation_task_new) acts for;
 * NULL for tasks not made for a D-Bus call. */
const char *vb_task_get_client (GTask *task);

typedef void (*VbClientGoneFunc) (const char *client, gpointer user_data);

/* Calls @func once, from the main loop, when @client is gone: its bus
 * connection closed, or it was gone already when the watch was made.
 * Returns a watch id (never 0) for vb_client_unwatch(); the watch ends
 * after @func ran (@notify is then called on @user_data). */
guint vb_client_watch (const char *client, VbClientGoneFunc func, gpointer user_data, GDestroyNotify notify);
/* Ends a watch (and calls its @notify); unknown or 0 ids are ignored. */
void vb_client_unwatch (guint id);

/* The service's side: the bus the clients call on. Until it is set (unit
 * tests of backends), watches never fire. */
void vb_client_set_connection (GDBusConnection *connection);
/* Records @client (a caller's unique name; NULL: none) on @task. */
void vb_client_tag_task (GTask *task, const char *client);

G_END_DECLS
