/* libvirtbus-1.0 from C: a private bus (GTestDBus) with virtbusd's test
 * backend; the client is created asynchronously, its domain list follows
 * the ObjectManager, wrappers notify on PropertiesChanged, and errors land in
 * VIRTBUS_ERROR. */
#include <glib/gstdio.h>

#include "virtbus.h"

typedef struct {
  GTestDBus *bus;
  GSubprocess *daemon;
  char *root;
  VirtbusClient *client;
} Fixture;

static gboolean
name_owned (void)
{
  g_autoptr(GDBusConnection) conn = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  if (conn == NULL)
    return FALSE;
  reply = g_dbus_connection_call_sync (conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", g_variant_new ("(s)", "org.libvirt"), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static void
on_client (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *fx = user_data;
  g_autoptr(GError) error = NULL;

  fx->client = virtbus_client_new_for_uri_finish (result, &error);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  const char *build = g_getenv ("VB_BUILD_ROOT");
  g_autofree char *virtbusd = g_build_filename (build != NULL ? build : ".", "virtbusd", NULL);
  g_autoptr(GError) error = NULL;

  fx->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fx->bus);
  fx->root = g_dir_make_tmp ("virtbus-client-XXXXXX", &error);
  g_assert_no_error (error);
  fx->daemon = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, virtbusd, "--session", "--root-prefix", fx->root,
                                 NULL);
  g_assert_no_error (error);
  for (int i = 0; i < 500 && !name_owned (); i++)
    g_usleep (10000);
  g_assert_true (name_owned ());

  /* Natively async creation: the main loop runs until the client is ready. */
  virtbus_client_new_for_uri_async ("test:///default", NULL, on_client, fx);
  while (fx->client == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  g_autofree char *cmd = NULL;

  g_clear_object (&fx->client);
  g_subprocess_send_signal (fx->daemon, SIGTERM);
  g_subprocess_wait (fx->daemon, NULL, NULL);
  g_assert_true (g_subprocess_get_if_exited (fx->daemon));
  g_assert_cmpint (g_subprocess_get_exit_status (fx->daemon), ==, 0);
  g_clear_object (&fx->daemon);
  g_test_dbus_down (fx->bus);
  g_clear_object (&fx->bus);
  cmd = g_strdup_printf ("rm -rf '%s'", fx->root);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (fx->root);
}

static void
wait_until (gboolean *flag)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (!*flag && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (*flag);
}

static void
test_lists (Fixture *fx, gconstpointer data)
{
  GListModel *domains = virtbus_client_get_domains (fx->client);
  g_autoptr(VirtbusDomain) dom = NULL;
  g_autofree char *name = NULL, *uuid = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (virtbus_client_get_connect_path (fx->client), ==, VIRTBUS_CONNECT_PATH_TEST);
  g_assert_cmpuint (g_list_model_get_n_items (domains), ==, 1);
  g_assert_true (g_list_model_get_item_type (domains) == VIRTBUS_TYPE_DOMAIN);
  dom = g_list_model_get_item (domains, 0);
  g_object_get (dom, "name", &name, "uuid", &uuid, NULL);
  g_assert_cmpstr (name, ==, "test");
  g_assert_cmpstr (uuid, ==, "6695eb01-f6a4-8304-79aa-97f2502e193f");
  g_assert_true (virtbus_object_get_active (VIRTBUS_OBJECT (dom)));
  g_assert_true (virtbus_client_find_domain (fx->client, "test") == dom);
  g_assert_true (virtbus_client_find_domain (fx->client, uuid) == dom);
  g_assert_cmpint (virtbus_domain_get_state_sync (dom, NULL, NULL, &error), ==, VIRTBUS_DOMAIN_STATE_RUNNING);
  g_assert_no_error (error);

  g_assert_cmpuint (g_list_model_get_n_items (virtbus_client_get_networks (fx->client)), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (virtbus_client_get_storage_pools (fx->client)), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (virtbus_client_get_interfaces (fx->client)), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (virtbus_client_get_node_devices (fx->client)), >, 0);
}

static void
on_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
test_stop_start_notifies (Fixture *fx, gconstpointer data)
{
  VirtbusDomain *dom = virtbus_client_find_domain (fx->client, "test");
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  gboolean notified = FALSE;
  gulong id;

  id = g_signal_connect (dom, "notify::active", G_CALLBACK (on_notify), &notified);
  virtbus_domain_destroy_async (dom, NULL, on_done, &res);
  g_assert_true (virtbus_domain_destroy_finish (dom, wait_result (&res), &error));
  g_assert_no_error (error);
  wait_until (&notified);
  g_assert_false (virtbus_object_get_active (VIRTBUS_OBJECT (dom)));

  notified = FALSE;
  g_clear_object (&res);
  virtbus_domain_start_async (dom, NULL, on_done, &res);
  g_assert_true (virtbus_domain_start_finish (dom, wait_result (&res), &error));
  wait_until (&notified);
  g_assert_true (virtbus_object_get_active (VIRTBUS_OBJECT (dom)));
  g_signal_handler_disconnect (dom, id);
}

static void
on_items_changed (GListModel *model, guint pos, guint removed, guint added, gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
test_define_undefine_updates_model (Fixture *fx, gconstpointer data)
{
  GListModel *domains = virtbus_client_get_domains (fx->client);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(VirtbusDomain) dom = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  gboolean changed = FALSE;
  gulong id = g_signal_connect (domains, "items-changed", G_CALLBACK (on_items_changed), &changed);

  virtbus_client_define_domain_async (fx->client,
                                      "<domain type='test'><name>c1</name><memory>1024</memory>"
                                      "<os><type>hvm</type></os></domain>",
                                      NULL, on_done, &res);
  dom = virtbus_client_define_domain_finish (fx->client, wait_result (&res), &error);
  g_assert_no_error (error);
  g_assert_true (changed);
  g_assert_cmpuint (g_list_model_get_n_items (domains), ==, 2);
  name = virtbus_object_dup_name (VIRTBUS_OBJECT (dom));
  g_assert_cmpstr (name, ==, "c1");

  changed = FALSE;
  g_assert_true (virtbus_domain_undefine_sync (dom, NULL, &error));
  wait_until (&changed);
  g_assert_cmpuint (g_list_model_get_n_items (domains), ==, 1);
  g_assert_null (virtbus_client_find_domain (fx->client, "c1"));
  g_signal_handler_disconnect (domains, id);
}

static void
test_errors (Fixture *fx, gconstpointer data)
{
  VirtbusDomain *dom = virtbus_client_find_domain (fx->client, "test");
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(VirtbusClient) bad = NULL;

  g_assert_false (virtbus_domain_start_sync (dom, NULL, &error));
  g_assert_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_FAILED);
  /* the "GDBus.Error:org.libvirt.Error:" prefix is gone */
  g_assert_cmpstr (error->message, ==, "domain 'test' is already active");
  g_clear_error (&error);

  reply = virtbus_client_call_sync (fx->client, "NoSuchMethod", NULL, NULL, &error);
  g_assert_null (reply);
  g_assert_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  g_assert_false (virtbus_domain_has_console (dom));
  g_assert_null (virtbus_domain_open_console_sync (dom, 0, NULL, &error));
  g_assert_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  bad = virtbus_client_new_for_uri_sync ("xen:///system", NULL, &error);
  g_assert_null (bad);
  g_assert_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_INVALID_URI);
  g_clear_error (&error);
  bad = virtbus_client_new_for_uri_sync ("qemu://host/system", NULL, &error);
  g_assert_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_INVALID_URI);
  g_clear_error (&error);

  /* A connection object the daemon does not serve. */
  bad = virtbus_client_new_sync (G_BUS_TYPE_SESSION, "/org/libvirt/Nothing", NULL, &error);
  g_assert_null (bad);
  g_assert_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_NO_SERVICE);
}

static void
test_interactive_flag (Fixture *fx, gconstpointer data)
{
  gboolean notified = FALSE;
  gboolean value = FALSE;
  g_autofree char *host = NULL;

  g_signal_connect (fx->client, "notify::interactive-authorization", G_CALLBACK (on_notify), &notified);
  g_assert_false (virtbus_client_get_interactive_authorization (fx->client));
  virtbus_client_set_interactive_authorization (fx->client, TRUE);
  g_assert_true (notified);
  g_object_get (fx->client, "interactive-authorization", &value, NULL);
  g_assert_true (value);
  /* Calls still work with the flag set (no polkit on the test bus). */
  host = virtbus_client_dup_hostname (fx->client);
  g_assert_nonnull (host);
  g_assert_cmpuint (virtbus_client_get_lib_version (fx->client), ==, 9000000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/client/lists", Fixture, NULL, fixture_setup, test_lists, fixture_teardown);
  g_test_add ("/client/stop-start-notifies", Fixture, NULL, fixture_setup, test_stop_start_notifies,
              fixture_teardown);
  g_test_add ("/client/define-undefine-model", Fixture, NULL, fixture_setup, test_define_undefine_updates_model,
              fixture_teardown);
  g_test_add ("/client/errors", Fixture, NULL, fixture_setup, test_errors, fixture_teardown);
  g_test_add ("/client/interactive-flag", Fixture, NULL, fixture_setup, test_interactive_flag, fixture_teardown);
  return g_test_run ();
}
