/* Clients going away, for backends (see vb-client.h). */
#define G_LOG_DOMAIN "virtbus"

#include "config.h"

#include "vb-client.h"

typedef struct {
  guint id;
  char *client;
  VbClientGoneFunc func;
  gpointer user_data;
  GDestroyNotify notify;
} Watch;

static GDBusConnection *bus;
static guint name_owner_sub;
static GHashTable *watches; /* id → Watch */
static guint last_id;

static GQuark
client_quark (void)
{
  return g_quark_from_static_string ("vb-client");
}

void
vb_client_tag_task (GTask *task, const char *client)
{
  if (client != NULL)
    g_object_set_qdata_full (G_OBJECT (task), client_quark (), g_strdup (client), g_free);
}

const char *
vb_task_get_client (GTask *task)
{
  return g_object_get_qdata (G_OBJECT (task), client_quark ());
}

static void
watch_free (Watch *w)
{
  if (w->notify != NULL)
    w->notify (w->user_data);
  g_free (w->client);
  g_free (w);
}

/* Runs and ends watch @id, if it still exists. */
static void
fire (guint id)
{
  Watch *w = NULL;

  if (watches == NULL || !g_hash_table_steal_extended (watches, GUINT_TO_POINTER (id), NULL, (gpointer *) &w))
    return;
  w->func (w->client, w->user_data);
  watch_free (w);
}

static void
client_gone (const char *client)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));
  GHashTableIter iter;
  Watch *w;

  if (watches == NULL)
    return;
  /* Collected first: a watch's function may add or end watches. */
  g_hash_table_iter_init (&iter, watches);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &w))
    if (g_str_equal (w->client, client))
      g_array_append_val (ids, w->id);
  for (guint i = 0; i < ids->len; i++)
    fire (g_array_index (ids, guint, i));
}

static void
on_name_owner_changed (GDBusConnection *connection, const char *sender, const char *path, const char *interface,
                       const char *signal, GVariant *params, gpointer user_data)
{
  const char *name, *old_owner, *new_owner;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(sss)")))
    return;
  g_variant_get (params, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (name[0] == ':' && new_owner[0] == '\0')
    client_gone (name);
}

void
vb_client_set_connection (GDBusConnection *connection)
{
  if (bus == connection)
    return;
  if (bus != NULL) {
    g_dbus_connection_signal_unsubscribe (bus, name_owner_sub);
    g_clear_object (&bus);
  }
  bus = g_object_ref (connection);
  /* The same match rule as the gatekeeper's: GDBus adds it to the bus once. */
  name_owner_sub = g_dbus_connection_signal_subscribe (bus, "org.freedesktop.DBus", "org.freedesktop.DBus",
                                                       "NameOwnerChanged", "/org/freedesktop/DBus", NULL,
                                                       G_DBUS_SIGNAL_FLAGS_NONE, on_name_owner_changed, NULL, NULL);
}

static void
on_has_owner (GObject *source, GAsyncResult *result, gpointer user_data)
{
  guint id = GPOINTER_TO_UINT (user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  gboolean has_owner = TRUE;

  if (reply == NULL) {
    g_debug ("cannot ask the bus about a client: %s", error->message);
    return;
  }
  g_variant_get (reply, "(b)", &has_owner);
  /* Gone before its watch was made: NameOwnerChanged came too early. */
  if (!has_owner)
    fire (id);
}

guint
vb_client_watch (const char *client, VbClientGoneFunc func, gpointer user_data, GDestroyNotify notify)
{
  Watch *w = g_new0 (Watch, 1);

  g_return_val_if_fail (client != NULL && func != NULL, 0);
  if (watches == NULL)
    watches = g_hash_table_new (NULL, NULL);
  do
    w->id = ++last_id;
  while (w->id == 0 || g_hash_table_contains (watches, GUINT_TO_POINTER (w->id)));
  w->client = g_strdup (client);
  w->func = func;
  w->user_data = user_data;
  w->notify = notify;
  g_hash_table_insert (watches, GUINT_TO_POINTER (w->id), w);
  /* Watching first, then asking: a client that leaves after the answer
   * was made shows as NameOwnerChanged, which comes after it. */
  if (bus != NULL)
    g_dbus_connection_call (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                            "NameHasOwner", g_variant_new ("(s)", client), G_VARIANT_TYPE ("(b)"),
                            G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_has_owner, GUINT_TO_POINTER (w->id));
  return w->id;
}

void
vb_client_unwatch (guint id)
{
  Watch *w = NULL;

  if (id == 0 || watches == NULL ||
      !g_hash_table_steal_extended (watches, GUINT_TO_POINTER (id), NULL, (gpointer *) &w))
    return;
  watch_free (w);
}
