/* virtbusd: the thin executable around the daemon library. */
#define G_LOG_DOMAIN "virtbus"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>

#include "vb-gatekeeper.h"
#include "vb-sched.h"
#include "vb-service.h"
#include "vb-test-backend.h"
#include "vb-qemu-backend.h"

#define VB_BUS_NAME "org.libvirt"

typedef struct {
  GMainLoop *loop;
  int exit_code;
  GDBusConnection *connection;
  VbService *service;
  guint pending_opens; /* backends still opening: the name waits for them */
  gboolean replace;
  guint owner_id;
} Daemon;

static gboolean
on_quit_signal (gpointer user_data)
{
  Daemon *daemon = user_data;
  g_info ("signal received, shutting down");
  g_main_loop_quit (daemon->loop);
  return G_SOURCE_CONTINUE;
}

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  g_info ("owning %s", name);
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Daemon *daemon = user_data;
  g_printerr ("virtbusd: lost or could not own the bus name %s (another instance running? try --replace)\n",
              name);
  daemon->exit_code = EXIT_FAILURE;
  g_main_loop_quit (daemon->loop);
}

static void
on_connection_closed (GDBusConnection *connection, gboolean remote_peer_vanished, GError *error,
                      gpointer user_data)
{
  Daemon *daemon = user_data;
  g_printerr ("virtbusd: the message bus connection was closed%s%s\n", error ? ": " : "",
              error ? error->message : "");
  daemon->exit_code = EXIT_FAILURE;
  g_main_loop_quit (daemon->loop);
}

static void
on_backend_added (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Daemon *daemon = user_data;
  g_autoptr(GError) error = NULL;
  GTask *task = G_TASK (result);
  VbBackend *backend = g_task_get_task_data (task);

  daemon->pending_opens--;
  if (!vb_service_add_backend_finish (VB_SERVICE (source), result, &error)) {
    g_printerr ("virtbusd: cannot start the %s driver: %s\n",
                (const char *) g_object_get_data (G_OBJECT (backend), "vb-driver-option"), error->message);
    daemon->exit_code = EXIT_FAILURE;
    g_main_loop_quit (daemon->loop);
    return;
  }
  if (daemon->pending_opens > 0 || daemon->exit_code != EXIT_SUCCESS)
    return;
  vb_service_publish (daemon->service);
  daemon->owner_id = g_bus_own_name_on_connection (daemon->connection, VB_BUS_NAME,
                                                   G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT |
                                                     (daemon->replace ? G_BUS_NAME_OWNER_FLAGS_REPLACE : 0),
                                                   on_name_acquired, on_name_lost, daemon, NULL);
  /* After the name request on the connection: what the backends emitted
   * while opening reaches the clients that wait for the name. */
  vb_service_release_events (daemon->service);
}

/* virtbusd does a little work per wakeup and its callers wait for it,
 * while the guests it runs may keep every CPU busy (a TCG vCPU never
 * sleeps while the guest works). On Linux ≥ 6.12 (EEVDF custom slices) a
 * task asking for a short slice may preempt a running task with a longer
 * one when it wakes, instead of waiting for that task's slice to end (up
 * to a few ms): ask for 0.1 ms (the minimum), for this thread and those
 * created after (GDBus' worker). Nothing changes on older kernels. QEMU
 * starts with the default (its vCPU threads keep it); its event loops get
 * the short one once it runs (vb-qemu-process.c). */
static void
request_short_slice (void)
{
  int err = vb_sched_set_slice (100 * 1000 /* ns */);

  if (err != 0)
    g_debug ("no short scheduler slice: %s", g_strerror (err));
}

int
main (int argc, char **argv)
{
  gboolean opt_system = FALSE, opt_session = FALSE, opt_replace = FALSE, opt_verbose = FALSE,
           opt_version = FALSE;
  g_autofree char *opt_root_prefix = NULL;
  g_autofree char *opt_qemu_user = NULL;
  g_auto(GStrv) opt_drivers = NULL;
  const GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &opt_system, "Serve the system bus (state under /etc, /run, /var)", NULL },
    { "session", 0, 0, G_OPTION_ARG_NONE, &opt_session, "Serve the session bus of this user (the default)", NULL },
    { "driver", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &opt_drivers,
      "Export only this connection (test, qemu); repeat for several. Default: all", "NAME" },
    { "root-prefix", 0, 0, G_OPTION_ARG_FILENAME, &opt_root_prefix,
      "Relocate every configuration, state, data and log directory under DIR (for tests)", "DIR" },
    { "qemu-user", 0, 0, G_OPTION_ARG_STRING, &opt_qemu_user,
      "System instance: run QEMU as USER (default " VB_QEMU_DEFAULT_USER "; \"root\" keeps root)", "USER" },
    { "replace", 'r', 0, G_OPTION_ARG_NONE, &opt_replace, "Replace a running instance", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "Log debug messages", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(VbService) service = NULL;
  Daemon daemon = { NULL, EXIT_SUCCESS };

  setlocale (LC_ALL, "");
  /* A client or child that goes away mid-write must not kill the daemon:
   * writes fail with EPIPE instead. */
  signal (SIGPIPE, SIG_IGN);
  bindtextdomain (GETTEXT_PACKAGE, VB_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                "The virtbus daemon: manages virtual machines, networks, storage and host\n"
                                "devices over D-Bus (bus name org.libvirt, libvirt-dbus compatible).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("virtbusd: %s\nTry 'virtbusd --help'.\n", error->message);
    return EXIT_FAILURE;
  }
  if (opt_version) {
    g_print ("virtbusd %s\n", PACKAGE_VERSION);
    return EXIT_SUCCESS;
  }
  if (opt_system && opt_session) {
    g_printerr ("virtbusd: --system and --session are mutually exclusive\n");
    return EXIT_FAILURE;
  }
  if (opt_verbose)
    g_log_set_debug_enabled (TRUE);
  request_short_slice (); /* before GDBus starts its worker thread */

  {
    /* When the bus activated us, talk to the bus that did (it may be a
     * private one whose address is only in DBUS_STARTER_ADDRESS). */
    GBusType type = opt_system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION;
    if (g_getenv ("DBUS_STARTER_ADDRESS") != NULL &&
        g_strcmp0 (g_getenv ("DBUS_STARTER_BUS_TYPE"), opt_system ? "system" : "session") == 0)
      type = G_BUS_TYPE_STARTER;
    connection = g_bus_get_sync (type, NULL, &error);
  }
  if (connection == NULL) {
    g_printerr ("virtbusd: cannot connect to the %s bus: %s\n", opt_system ? "system" : "session",
                error->message);
    return EXIT_FAILURE;
  }
  g_dbus_connection_set_exit_on_close (connection, FALSE);

  daemon.loop = g_main_loop_new (NULL, FALSE);
  /* Authorization of every call, before anything is exported. */
  vb_gatekeeper_install (connection, opt_system ? VB_GATEKEEPER_SYSTEM : VB_GATEKEEPER_SESSION);
  service = vb_service_new (connection);
  vb_service_defer_publication (service);

  /* Objects are exported before the name is owned, so a client activated by
   * its first call finds them all. Backends open asynchronously (QEMU probes
   * its binary first); the name is owned once the last one is exported. */
  daemon.connection = connection;
  daemon.service = service;
  daemon.replace = opt_replace;
  g_signal_connect (connection, "closed", G_CALLBACK (on_connection_closed), &daemon);
  g_unix_signal_add (SIGTERM, on_quit_signal, &daemon);
  g_unix_signal_add (SIGINT, on_quit_signal, &daemon);
  {
    const char *const all[] = { "test", "qemu", NULL };
    const char *const *drivers = opt_drivers ? (const char *const *) opt_drivers : all;
    g_autoptr(GPtrArray) backends = g_ptr_array_new_with_free_func (g_object_unref);
    for (guint i = 0; drivers[i] != NULL; i++) {
      VbBackend *backend = NULL;
      if (g_strcmp0 (drivers[i], "test") == 0) {
        backend = vb_test_backend_new (opt_system, opt_root_prefix);
      } else if (g_strcmp0 (drivers[i], "qemu") == 0) {
        backend = vb_qemu_backend_new (opt_system, opt_root_prefix, opt_qemu_user, NULL);
      } else {
        g_printerr ("virtbusd: unknown driver '%s' (available: test, qemu)\n", drivers[i]);
        g_main_loop_unref (daemon.loop);
        return EXIT_FAILURE;
      }
      g_object_set_data_full (G_OBJECT (backend), "vb-driver-option", g_strdup (drivers[i]), g_free);
      g_ptr_array_add (backends, backend);
    }
    daemon.pending_opens = backends->len;
    for (guint i = 0; i < backends->len; i++) {
      vb_backend_hold_events (g_ptr_array_index (backends, i));
      vb_service_add_backend_async (service, g_ptr_array_index (backends, i), on_backend_added, &daemon);
    }
  }

  g_main_loop_run (daemon.loop);

  if (daemon.owner_id != 0)
    g_bus_unown_name (daemon.owner_id);
  vb_service_shutdown (service);
  g_dbus_connection_flush_sync (connection, NULL, NULL);
  g_main_loop_unref (daemon.loop);
  return daemon.exit_code;
}
