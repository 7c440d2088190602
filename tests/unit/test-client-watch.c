/* service/vb-client.c on a private bus (GTestDBus): a watch fires once when
 * its client's connection closes, or at once for a client already gone;
 * ended watches never fire; watches may end each other while firing. */
#include "config.h"

#include <gio/gio.h>

#include "vb-client.h"

static GTestDBus *bus;

typedef struct {
  int fired;
  int notified;
  char *last_client;
  guint *other;     /* a watch to end when this one fires */
} Counter;

static void
on_gone (const char *client, gpointer user_data)
{
  Counter *c = user_data;

  c->fired++;
  g_free (c->last_client);
  c->last_client = g_strdup (client);
  if (c->other != NULL) {
    vb_client_unwatch (*c->other);
    *c->other = 0;
  }
}

static void
on_notify (gpointer user_data)
{
  ((Counter *) user_data)->notified++;
}

static GDBusConnection *
connect_client (void)
{
  GError *error = NULL;
  GDBusConnection *c = g_dbus_connection_new_for_address_sync (
    g_test_dbus_get_bus_address (bus),
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL,
    &error);

  g_assert_no_error (error);
  return c;
}

static gboolean
on_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until *@value reaches @want, or for @ms when @want is
 * negative (to see that nothing happens). */
static void
spin (const int *value, int want, guint ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (ms, on_timeout, &timed_out);

  while (!timed_out && (want < 0 || *value < want))
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  if (want >= 0)
    g_assert_cmpint (*value, ==, want);
}

static void
close_client (GDBusConnection *c)
{
  GError *error = NULL;

  g_dbus_connection_close_sync (c, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (c);
}

static void
test_gone_when_closed (void)
{
  GDBusConnection *c = connect_client ();
  g_autofree char *name = g_strdup (g_dbus_connection_get_unique_name (c));
  Counter count = { 0 };
  guint id = vb_client_watch (name, on_gone, &count, on_notify);

  g_assert_cmpuint (id, !=, 0);
  /* Still there: the bus' answer does not fire it. */
  spin (&count.fired, -1, 300);
  g_assert_cmpint (count.fired, ==, 0);
  close_client (c);
  spin (&count.fired, 1, 5000);
  g_assert_cmpstr (count.last_client, ==, name);
  g_assert_cmpint (count.notified, ==, 1);
  /* Once only; ending it afterwards is harmless. */
  spin (&count.fired, -1, 200);
  g_assert_cmpint (count.fired, ==, 1);
  vb_client_unwatch (id);
  g_assert_cmpint (count.notified, ==, 1);
  g_free (count.last_client);
}

static void
test_gone_already (void)
{
  Counter count = { 0 };
  GDBusConnection *c = connect_client ();
  g_autofree char *name = g_strdup (g_dbus_connection_get_unique_name (c));

  close_client (c);
  /* Its NameOwnerChanged may have come and gone: the bus' answer fires it. */
  spin (&count.fired, -1, 200);
  vb_client_watch (name, on_gone, &count, on_notify);
  spin (&count.fired, 1, 5000);
  g_assert_cmpint (count.notified, ==, 1);
  vb_client_watch (":1.999999", on_gone, &count, NULL);
  spin (&count.fired, 2, 5000);
  g_assert_cmpstr (count.last_client, ==, ":1.999999");
  g_free (count.last_client);
}

static void
test_unwatched (void)
{
  GDBusConnection *c = connect_client ();
  Counter count = { 0 };
  guint id = vb_client_watch (g_dbus_connection_get_unique_name (c), on_gone, &count, on_notify);

  vb_client_unwatch (id);
  g_assert_cmpint (count.notified, ==, 1);
  vb_client_unwatch (id);
  vb_client_unwatch (0);
  g_assert_cmpint (count.notified, ==, 1);
  close_client (c);
  spin (&count.fired, -1, 500);
  g_assert_cmpint (count.fired, ==, 0);
}

static void
test_only_that_client (void)
{
  GDBusConnection *a = connect_client (), *b = connect_client ();
  Counter ca = { 0 }, cb = { 0 }, x = { 0 }, y = { 0 };
  guint id_x, id_y;

  vb_client_watch (g_dbus_connection_get_unique_name (a), on_gone, &ca, on_notify);
  vb_client_watch (g_dbus_connection_get_unique_name (b), on_gone, &cb, on_notify);
  /* Two more watches of a, each ending the other when it fires: whichever
   * comes first fires, the other only ends. */
  id_x = vb_client_watch (g_dbus_connection_get_unique_name (a), on_gone, &x, on_notify);
  id_y = vb_client_watch (g_dbus_connection_get_unique_name (a), on_gone, &y, on_notify);
  x.other = &id_y;
  y.other = &id_x;
  close_client (a);
  spin (&ca.fired, 1, 5000);
  spin (&x.fired, -1, 200);
  g_assert_cmpint (x.fired + y.fired, ==, 1);
  g_assert_cmpint (x.notified, ==, 1);
  g_assert_cmpint (y.notified, ==, 1);
  g_assert_cmpint (cb.fired, ==, 0);
  close_client (b);
  spin (&cb.fired, 1, 5000);
  g_free (ca.last_client);
  g_free (cb.last_client);
  g_free (x.last_client);
  g_free (y.last_client);
}

static void
test_task_client (void)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);
  g_autoptr(GTask) plain = g_task_new (NULL, NULL, NULL, NULL);

  vb_client_tag_task (task, ":1.42");
  vb_client_tag_task (plain, NULL);
  g_assert_cmpstr (vb_task_get_client (task), ==, ":1.42");
  g_assert_null (vb_task_get_client (plain));
}

int
main (int argc, char **argv)
{
  GDBusConnection *service;
  int ret;

  g_test_init (&argc, &argv, NULL);
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  service = connect_client ();
  vb_client_set_connection (service);

  g_test_add_func ("/client/gone-when-closed", test_gone_when_closed);
  g_test_add_func ("/client/gone-already", test_gone_already);
  g_test_add_func ("/client/unwatched", test_unwatched);
  g_test_add_func ("/client/only-that-client", test_only_that_client);
  g_test_add_func ("/client/task-client", test_task_client);
  ret = g_test_run ();

  g_object_unref (service);
  g_test_dbus_down (bus);
  g_object_unref (bus);
  return ret;
}
