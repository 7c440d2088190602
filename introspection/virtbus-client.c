/* virtbus client library: VirtbusClient, one connection of virtbusd.
 *
 * The client follows the daemon's ObjectManager at /org/libvirt (one
 * GDBusObjectManagerClient whose proxies are the generated VbGen… types)
 * and keeps a GListStore per kind of object, so applications bind views to
 * live lists instead of polling. Everything is natively async GDBus; the
 * _sync variants use GDBus' own blocking calls, never a thread.
 */
#include "virtbus-private.h"

#include <string.h>

struct _VirtbusClient {
  GObject parent_instance;

  GBusType bus_type;
  GDBusConnection *connection;
  char *connect_path;
  char *uri;
  gboolean interactive;

  GSubprocess *tunnel; /* ssh, for remote URIs */
  GDBusObjectManager *manager;
  GDBusProxy *connect_proxy;
  GHashTable *by_path;  /* object path → VirtbusObject */
  GListStore *stores[7];
  gboolean inited;
};

static void virtbus_client_initable_iface_init (GInitableIface *iface);
static void virtbus_client_async_initable_iface_init (GAsyncInitableIface *iface);

/**
 * VirtbusClient:
 *
 * A connection of virtbusd (one backend's object, e.g. /org/libvirt/Test)
 * on a D-Bus connection: the system or session bus, or any
 * #GDBusConnection such as one tunnelled over SSH.
 *
 * Create it with virtbus_client_new_async(),
 * virtbus_client_new_for_connection_async() or
 * virtbus_client_new_for_uri_async(). Its lists (e.g.
 * virtbus_client_get_domains()) change as the daemon's objects come and go.
 */
G_DEFINE_FINAL_TYPE_WITH_CODE (VirtbusClient, virtbus_client, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, virtbus_client_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE,
                                                      virtbus_client_async_initable_iface_init))

enum {
  PROP_0,
  PROP_BUS_TYPE,
  PROP_CONNECTION,
  PROP_CONNECT_PATH,
  PROP_URI,
  PROP_INTERACTIVE_AUTHORIZATION,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

enum {
  KIND_DOMAIN,
  KIND_NETWORK,
  KIND_STORAGE_POOL,
  KIND_STORAGE_VOL,
  KIND_INTERFACE,
  KIND_NODE_DEVICE,
  KIND_DOMAIN_SNAPSHOT,
  N_KINDS
};

static const char *const kind_interfaces[N_KINDS] = {
  "org.libvirt.Domain", "org.libvirt.Network", "org.libvirt.StoragePool", "org.libvirt.StorageVol",
  "org.libvirt.Interface", "org.libvirt.NodeDevice", "org.libvirt.DomainSnapshot",
};

static GType
kind_type (int kind)
{
  switch (kind) {
  case KIND_DOMAIN:
    return VIRTBUS_TYPE_DOMAIN;
  case KIND_NETWORK:
    return VIRTBUS_TYPE_NETWORK;
  case KIND_STORAGE_POOL:
    return VIRTBUS_TYPE_STORAGE_POOL;
  case KIND_STORAGE_VOL:
    return VIRTBUS_TYPE_STORAGE_VOL;
  case KIND_INTERFACE:
    return VIRTBUS_TYPE_INTERFACE;
  case KIND_NODE_DEVICE:
    return VIRTBUS_TYPE_NODE_DEVICE;
  case KIND_DOMAIN_SNAPSHOT:
    return VIRTBUS_TYPE_DOMAIN_SNAPSHOT;
  default:
    g_assert_not_reached ();
  }
}

/* ---- URIs ---- */

typedef struct {
  char *driver;    /* "test", "qemu" */
  char *transport; /* NULL or "ssh" */
  char *user, *host;
  int port;
  char *path;      /* "/system", "/session", "/default" */
  GHashTable *params;
} ParsedUri;

static void
parsed_uri_free (ParsedUri *u)
{
  g_free (u->driver);
  g_free (u->transport);
  g_free (u->user);
  g_free (u->host);
  g_free (u->path);
  g_clear_pointer (&u->params, g_hash_table_unref);
  g_free (u);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ParsedUri, parsed_uri_free)

static ParsedUri *
parse_uri (const char *uri, GError **error)
{
  g_autoptr(GUri) parsed = NULL;
  g_autoptr(ParsedUri) u = g_new0 (ParsedUri, 1);
  g_auto(GStrv) scheme = NULL;
  GError *local = NULL;

  parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_NON_DNS, &local);
  if (parsed == NULL) {
    g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_INVALID_URI, "invalid connection URI '%s': %s", uri,
                 local->message);
    g_error_free (local);
    return NULL;
  }
  scheme = g_strsplit (g_uri_get_scheme (parsed), "+", 2);
  u->driver = g_ascii_strdown (scheme[0], -1);
  u->transport = g_strdup (scheme[1]);
  if (!g_str_equal (u->driver, "test") && !g_str_equal (u->driver, "qemu")) {
    g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_INVALID_URI,
                 "unsupported driver '%s' in '%s' (virtbus serves test:// and qemu://)", u->driver, uri);
    return NULL;
  }
  if (u->transport != NULL && !g_str_equal (u->transport, "ssh")) {
    g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_INVALID_URI,
                 "unsupported transport '%s' in '%s' (only +ssh)", u->transport, uri);
    return NULL;
  }
  u->user = g_strdup (g_uri_get_user (parsed));
  u->host = g_strdup (g_uri_get_host (parsed));
  u->port = g_uri_get_port (parsed);
  u->path = g_strdup (g_uri_get_path (parsed));
  if (u->path[0] == '\0' || g_str_equal (u->path, "/"))
    {
      g_free (u->path);
      u->path = g_strdup (g_str_equal (u->driver, "test") ? "/default" : "/system");
    }
  if (!g_str_equal (u->path, "/system") && !g_str_equal (u->path, "/session") && !g_str_equal (u->path, "/default")) {
    g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_INVALID_URI,
                 "unsupported path '%s' in '%s' (use /system, /session or, for test, /default)", u->path, uri);
    return NULL;
  }
  if (u->transport != NULL && (u->host == NULL || u->host[0] == '\0')) {
    g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_INVALID_URI, "'%s' names no host", uri);
    return NULL;
  }
  if (u->transport == NULL && u->host != NULL && u->host[0] != '\0') {
    g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_INVALID_URI,
                 "'%s' names a host but no transport (use %s+ssh://)", uri, u->driver);
    return NULL;
  }
  u->params = g_uri_parse_params (g_uri_get_query (parsed) != NULL ? g_uri_get_query (parsed) : "", -1, "&",
                                  G_URI_PARAMS_NONE, &local);
  if (u->params == NULL) {
    g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_INVALID_URI, "bad query in '%s': %s", uri, local->message);
    g_error_free (local);
    return NULL;
  }
  return g_steal_pointer (&u);
}

/* Which bus a URI means: "/system" the system bus, the rest the session
 * bus, unless ?bus=system|session says otherwise. */
static gboolean
uri_wants_system_bus (ParsedUri *u, GError **error)
{
  const char *bus = g_hash_table_lookup (u->params, "bus");

  if (bus == NULL)
    return g_str_equal (u->path, "/system");
  if (g_str_equal (bus, "system"))
    return TRUE;
  if (g_str_equal (bus, "session"))
    return FALSE;
  g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_INVALID_URI, "bus=%s: use bus=system or bus=session", bus);
  return FALSE;
}

/* The ssh command line for a remote URI: ssh runs the D-Bus stdio bridge on
 * the remote host, which relays our stdin/stdout to the remote bus. */
static GStrv
ssh_argv (ParsedUri *u, gboolean system_bus)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  const char *ssh = g_getenv ("VIRTBUS_SSH");
  const char *keyfile = g_hash_table_lookup (u->params, "keyfile");
  const char *known_hosts = g_hash_table_lookup (u->params, "known_hosts");
  const char *no_verify = g_hash_table_lookup (u->params, "no_verify");
  const char *bridge = g_hash_table_lookup (u->params, "bridge");
  const char *socket = g_hash_table_lookup (u->params, "socket");
  const char *address = g_hash_table_lookup (u->params, "bus_address");
  g_autoptr(GString) remote = g_string_new (NULL);
  g_autofree char *quoted = NULL;

  g_strv_builder_add (b, ssh != NULL && ssh[0] != '\0' ? ssh : "ssh");
  /* No tty and no escape character: the channel carries binary D-Bus. */
  g_strv_builder_add_many (b, "-T", "-e", "none", "-o", "BatchMode=yes", NULL);
  if (u->port > 0) {
    g_autofree char *port = g_strdup_printf ("%d", u->port);
    g_strv_builder_add_many (b, "-p", port, NULL);
  }
  if (u->user != NULL && u->user[0] != '\0')
    g_strv_builder_add_many (b, "-l", u->user, NULL);
  if (keyfile != NULL)
    g_strv_builder_add_many (b, "-i", keyfile, "-o", "IdentitiesOnly=yes", NULL);
  if (known_hosts != NULL) {
    g_autofree char *opt = g_strdup_printf ("UserKnownHostsFile=%s", known_hosts);
    g_strv_builder_add_many (b, "-o", opt, NULL);
  }
  if (no_verify != NULL && g_str_equal (no_verify, "1"))
    g_strv_builder_add_many (b, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                             "-o", "LogLevel=ERROR", NULL);
  g_strv_builder_add_many (b, "--", u->host, NULL);

  quoted = g_shell_quote (bridge != NULL ? bridge : "virtbus-stdio-bridge");
  g_string_append (remote, quoted);
  if (socket != NULL) {
    g_autofree char *addr = g_strdup_printf ("unix:path=%s", socket);
    g_autofree char *q = g_shell_quote (addr);
    g_string_append_printf (remote, " --address=%s", q);
  } else if (address != NULL) {
    g_autofree char *q = g_shell_quote (address);
    g_string_append_printf (remote, " --address=%s", q);
  } else {
    g_string_append (remote, system_bus ? " --system" : " --session");
  }
  g_strv_builder_add (b, remote->str);
  return g_strv_builder_end (b);
}

/* Starts ssh and returns a stream over its stdin/stdout. */
static GIOStream *
open_tunnel (VirtbusClient *self, ParsedUri *u, gboolean system_bus, GError **error)
{
  g_auto(GStrv) argv = ssh_argv (u, system_bus);
  g_autoptr(GSubprocess) proc = NULL;

  proc = g_subprocess_newv ((const char *const *) argv,
                            G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, error);
  if (proc == NULL)
    return NULL;
  self->tunnel = g_object_ref (proc);
  return g_simple_io_stream_new (g_subprocess_get_stdout_pipe (proc), g_subprocess_get_stdin_pipe (proc));
}

/* Fills in bus type and connect path from the URI; for a remote URI returns
 * the tunnel's stream to build the connection on. */
static gboolean
apply_uri (VirtbusClient *self, GIOStream **tunnel, GError **error)
{
  g_autoptr(ParsedUri) u = parse_uri (self->uri, error);
  GError *local = NULL;
  gboolean system_bus;

  if (u == NULL)
    return FALSE;
  system_bus = uri_wants_system_bus (u, &local);
  if (local != NULL) {
    g_propagate_error (error, local);
    return FALSE;
  }
  g_free (self->connect_path);
  self->connect_path = g_strdup (g_str_equal (u->driver, "qemu") ? VIRTBUS_CONNECT_PATH_QEMU
                                                                  : VIRTBUS_CONNECT_PATH_TEST);
  self->bus_type = system_bus ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION;
  if (u->transport != NULL) {
    *tunnel = open_tunnel (self, u, system_bus, error);
    return *tunnel != NULL;
  }
  return TRUE;
}

/* ---- objects ---- */

static int
classify (GDBusObject *object)
{
  for (int k = 0; k < N_KINDS; k++) {
    g_autoptr(GDBusInterface) iface = g_dbus_object_get_interface (object, kind_interfaces[k]);
    if (iface != NULL)
      return k;
  }
  return -1;
}

static gboolean
belongs_to_us (VirtbusClient *self, GDBusObject *object)
{
  const char *path = g_dbus_object_get_object_path (object);
  size_t n = strlen (self->connect_path);

  return strncmp (path, self->connect_path, n) == 0 && path[n] == '/';
}

static void
add_object (VirtbusClient *self, GDBusObject *object)
{
  g_autoptr(VirtbusObject) wrapper = NULL;
  int kind;

  if (self->by_path == NULL || !belongs_to_us (self, object) || g_hash_table_contains (self->by_path, g_dbus_object_get_object_path (object)))
    return;
  kind = classify (object);
  if (kind < 0)
    return;
  wrapper = g_object_new (kind_type (kind), "client", self, "dbus-object", object, NULL);
  g_hash_table_insert (self->by_path, g_strdup (g_dbus_object_get_object_path (object)), g_object_ref (wrapper));
  g_list_store_append (self->stores[kind], wrapper);
}

static void
on_object_added (GDBusObjectManager *manager, GDBusObject *object, gpointer user_data)
{
  add_object (user_data, object);
}

static void
on_interface_added (GDBusObjectManager *manager, GDBusObject *object, GDBusInterface *iface, gpointer user_data)
{
  add_object (user_data, object);
}

static void
on_object_removed (GDBusObjectManager *manager, GDBusObject *object, gpointer user_data)
{
  VirtbusClient *self = user_data;
  const char *path = g_dbus_object_get_object_path (object);
  VirtbusObject *wrapper = self->by_path != NULL ? g_hash_table_lookup (self->by_path, path) : NULL;

  if (wrapper == NULL)
    return;
  for (int k = 0; k < N_KINDS; k++) {
    guint pos;
    if (kind_type (k) == G_OBJECT_TYPE (wrapper) && g_list_store_find (self->stores[k], wrapper, &pos)) {
      g_list_store_remove (self->stores[k], pos);
      break;
    }
  }
  g_hash_table_remove (self->by_path, path);
}

/* The last step of initialisation, on the manager's first snapshot. */
static gboolean
finish_init (VirtbusClient *self, GDBusObjectManager *manager, GError **error)
{
  g_autolist(GDBusObject) objects = NULL;
  g_autoptr(GDBusObject) connect = NULL;

  self->manager = manager;
  connect = g_dbus_object_manager_get_object (manager, self->connect_path);
  if (connect != NULL)
    self->connect_proxy = G_DBUS_PROXY (g_dbus_object_get_interface (connect, "org.libvirt.Connect"));
  if (self->connect_proxy == NULL) {
    g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_NO_SERVICE,
                 "virtbusd does not serve this connection (no %s object); is its backend enabled?",
                 self->connect_path);
    return FALSE;
  }
  objects = g_dbus_object_manager_get_objects (manager);
  for (GList *l = objects; l != NULL; l = l->next)
    add_object (self, l->data);
  g_signal_connect_object (manager, "object-added", G_CALLBACK (on_object_added), self, 0);
  g_signal_connect_object (manager, "interface-added", G_CALLBACK (on_interface_added), self, 0);
  g_signal_connect_object (manager, "object-removed", G_CALLBACK (on_object_removed), self, 0);
  self->inited = TRUE;
  return TRUE;
}

static GError *
no_service_error (VirtbusClient *self, GError *error)
{
  GError *mapped = virtbus_error_from_dbus (error);

  if (g_error_matches (mapped, VIRTBUS_ERROR, VIRTBUS_ERROR_NO_SERVICE)) {
    GError *better = g_error_new (VIRTBUS_ERROR, VIRTBUS_ERROR_NO_SERVICE,
                                  "virtbusd is not running on the %s (nobody owns %s)",
                                  self->tunnel != NULL ? "remote bus" :
                                  self->bus_type == G_BUS_TYPE_SYSTEM ? "system bus" :
                                  self->bus_type == G_BUS_TYPE_SESSION ? "session bus" : "bus",
                                  VIRTBUS_BUS_NAME);
    g_error_free (mapped);
    return better;
  }
  return mapped;
}

/* ---- GInitable ---- */

static gboolean
virtbus_client_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  VirtbusClient *self = VIRTBUS_CLIENT (initable);
  g_autoptr(GIOStream) tunnel = NULL;
  g_autoptr(GVariant) ping = NULL;
  GDBusObjectManager *manager;
  GError *local = NULL;

  if (self->uri != NULL && !apply_uri (self, &tunnel, error))
    return FALSE;
  if (tunnel != NULL) {
    self->connection = g_dbus_connection_new_sync (tunnel, NULL,
                                                   G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                   NULL, cancellable, &local);
    if (self->connection == NULL) {
      g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_DISCONNECTED,
                   "could not reach the remote bus over ssh: %s", local->message);
      g_error_free (local);
      return FALSE;
    }
  } else if (self->connection == NULL) {
    self->connection = g_bus_get_sync (self->bus_type, cancellable, &local);
    if (self->connection == NULL) {
      g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_NO_SERVICE, "cannot connect to the %s bus: %s",
                   self->bus_type == G_BUS_TYPE_SYSTEM ? "system" : "session", local->message);
      g_error_free (local);
      return FALSE;
    }
  }
  /* Ping first: it starts a bus-activatable daemon and tells a missing one
   * apart from other failures. */
  ping = g_dbus_connection_call_sync (self->connection, VIRTBUS_BUS_NAME, "/", "org.freedesktop.DBus.Peer",
                                      "Ping", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, cancellable, &local);
  if (ping == NULL) {
    g_propagate_error (error, no_service_error (self, local));
    return FALSE;
  }
  manager = g_dbus_object_manager_client_new_sync (self->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
                                                   VIRTBUS_BUS_NAME, VIRTBUS_MANAGER_PATH,
                                                   vb_gen_object_manager_client_get_proxy_type, NULL, NULL,
                                                   cancellable, &local);
  if (manager == NULL) {
    g_propagate_error (error, virtbus_error_from_dbus (local));
    return FALSE;
  }
  return finish_init (self, manager, error);
}

static void
virtbus_client_initable_iface_init (GInitableIface *iface)
{
  iface->init = virtbus_client_initable_init;
}

/* ---- GAsyncInitable ---- */

static void
manager_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VirtbusClient *self = g_task_get_source_object (task);
  GError *error = NULL;
  GDBusObjectManager *manager = g_dbus_object_manager_client_new_finish (result, &error);

  if (manager == NULL) {
    virtbus_task_return_dbus_error (task, error);
    return;
  }
  if (!finish_init (self, manager, &error)) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_boolean (task, TRUE);
}

static void
ping_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VirtbusClient *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL) {
    g_task_return_error (task, no_service_error (self, error));
    return;
  }
  g_dbus_object_manager_client_new (self->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE, VIRTBUS_BUS_NAME,
                                    VIRTBUS_MANAGER_PATH, vb_gen_object_manager_client_get_proxy_type, NULL, NULL,
                                    g_task_get_cancellable (task), manager_ready, g_object_ref (task));
}

static void
have_connection (GTask *task)
{
  VirtbusClient *self = g_task_get_source_object (task);

  g_dbus_connection_call (self->connection, VIRTBUS_BUS_NAME, "/", "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                          G_DBUS_CALL_FLAGS_NONE, -1, g_task_get_cancellable (task), ping_done, g_object_ref (task));
}

static void
bus_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VirtbusClient *self = g_task_get_source_object (task);
  GError *error = NULL;

  self->connection = g_bus_get_finish (result, &error);
  if (self->connection == NULL) {
    g_task_return_new_error (task, VIRTBUS_ERROR, VIRTBUS_ERROR_NO_SERVICE, "cannot connect to the %s bus: %s",
                             self->bus_type == G_BUS_TYPE_SYSTEM ? "system" : "session", error->message);
    g_error_free (error);
    return;
  }
  have_connection (task);
}

static void
tunnel_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VirtbusClient *self = g_task_get_source_object (task);
  GError *error = NULL;

  self->connection = g_dbus_connection_new_finish (result, &error);
  if (self->connection == NULL) {
    g_task_return_new_error (task, VIRTBUS_ERROR, VIRTBUS_ERROR_DISCONNECTED,
                             "could not reach the remote bus over ssh: %s", error->message);
    g_error_free (error);
    return;
  }
  have_connection (task);
}

static void
virtbus_client_init_async (GAsyncInitable *initable, int io_priority, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  VirtbusClient *self = VIRTBUS_CLIENT (initable);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GIOStream) tunnel = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, virtbus_client_init_async);
  if (self->uri != NULL && !apply_uri (self, &tunnel, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (tunnel != NULL)
    g_dbus_connection_new (tunnel, NULL,
                           G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                           G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                           NULL, cancellable, tunnel_ready, g_steal_pointer (&task));
  else if (self->connection == NULL)
    g_bus_get (self->bus_type, cancellable, bus_ready, g_steal_pointer (&task));
  else
    have_connection (task);
}

static gboolean
virtbus_client_init_finish (GAsyncInitable *initable, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
virtbus_client_async_initable_iface_init (GAsyncInitableIface *iface)
{
  iface->init_async = virtbus_client_init_async;
  iface->init_finish = virtbus_client_init_finish;
}

/* ---- GObject ---- */

static void
virtbus_client_dispose (GObject *object)
{
  VirtbusClient *self = VIRTBUS_CLIENT (object);

  /* The lists stay as they are for whoever still holds them; they just
   * stop following the daemon. */
  g_clear_pointer (&self->by_path, g_hash_table_unref);
  g_clear_object (&self->connect_proxy);
  g_clear_object (&self->manager);
  if (self->tunnel != NULL) {
    /* Closing our end makes the bridge and ssh exit; don't leave them. */
    if (self->connection != NULL)
      g_dbus_connection_close_sync (self->connection, NULL, NULL);
    g_subprocess_force_exit (self->tunnel);
    g_clear_object (&self->tunnel);
  }
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (virtbus_client_parent_class)->dispose (object);
}

static void
virtbus_client_finalize (GObject *object)
{
  VirtbusClient *self = VIRTBUS_CLIENT (object);

  for (int k = 0; k < N_KINDS; k++)
    g_clear_object (&self->stores[k]);
  g_free (self->connect_path);
  g_free (self->uri);
  G_OBJECT_CLASS (virtbus_client_parent_class)->finalize (object);
}

static void
virtbus_client_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  VirtbusClient *self = VIRTBUS_CLIENT (object);

  switch (prop_id) {
  case PROP_BUS_TYPE:
    g_value_set_enum (value, self->bus_type);
    break;
  case PROP_CONNECTION:
    g_value_set_object (value, self->connection);
    break;
  case PROP_CONNECT_PATH:
    g_value_set_string (value, self->connect_path);
    break;
  case PROP_URI:
    g_value_set_string (value, self->uri);
    break;
  case PROP_INTERACTIVE_AUTHORIZATION:
    g_value_set_boolean (value, self->interactive);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
virtbus_client_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  VirtbusClient *self = VIRTBUS_CLIENT (object);

  switch (prop_id) {
  case PROP_BUS_TYPE:
    self->bus_type = g_value_get_enum (value);
    break;
  case PROP_CONNECTION:
    self->connection = g_value_dup_object (value);
    break;
  case PROP_CONNECT_PATH:
    if (g_value_get_string (value) != NULL) {
      g_free (self->connect_path);
      self->connect_path = g_value_dup_string (value);
    }
    break;
  case PROP_URI:
    self->uri = g_value_dup_string (value);
    break;
  case PROP_INTERACTIVE_AUTHORIZATION:
    virtbus_client_set_interactive_authorization (self, g_value_get_boolean (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
virtbus_client_class_init (VirtbusClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = virtbus_client_dispose;
  object_class->finalize = virtbus_client_finalize;
  object_class->get_property = virtbus_client_get_property;
  object_class->set_property = virtbus_client_set_property;

  /**
   * VirtbusClient:bus-type:
   *
   * The bus to connect to when no #VirtbusClient:connection is given.
   */
  props[PROP_BUS_TYPE] = g_param_spec_enum ("bus-type", NULL, NULL, G_TYPE_BUS_TYPE, G_BUS_TYPE_SESSION,
                                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * VirtbusClient:connection: (attributes org.gtk.Property.get=virtbus_client_get_connection)
   *
   * The D-Bus connection the daemon is reached on.
   */
  props[PROP_CONNECTION] = g_param_spec_object ("connection", NULL, NULL, G_TYPE_DBUS_CONNECTION,
                                                G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                G_PARAM_STATIC_STRINGS);
  /**
   * VirtbusClient:connect-path: (attributes org.gtk.Property.get=virtbus_client_get_connect_path)
   *
   * The object path of the daemon's connection object, e.g.
   * %VIRTBUS_CONNECT_PATH_TEST.
   */
  props[PROP_CONNECT_PATH] = g_param_spec_string ("connect-path", NULL, NULL, VIRTBUS_CONNECT_PATH_TEST,
                                                  G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                  G_PARAM_STATIC_STRINGS);
  /**
   * VirtbusClient:uri: (attributes org.gtk.Property.get=virtbus_client_get_uri)
   *
   * The connection URI (test:///default, qemu:///system, qemu:///session,
   * qemu+ssh://user@host/system, …) when the client was made from one.
   */
  props[PROP_URI] = g_param_spec_string ("uri", NULL, NULL, NULL,
                                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * VirtbusClient:interactive-authorization: (attributes org.gtk.Property.get=virtbus_client_get_interactive_authorization org.gtk.Property.set=virtbus_client_set_interactive_authorization)
   *
   * Whether calls may make polkit ask the user for a password
   * (%G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION).
   */
  props[PROP_INTERACTIVE_AUTHORIZATION] = g_param_spec_boolean ("interactive-authorization", NULL, NULL, FALSE,
                                                                G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                                G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
virtbus_client_init (VirtbusClient *self)
{
  self->bus_type = G_BUS_TYPE_SESSION;
  self->connect_path = g_strdup (VIRTBUS_CONNECT_PATH_TEST);
  self->by_path = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  for (int k = 0; k < N_KINDS; k++)
    self->stores[k] = g_list_store_new (kind_type (k));
}

/* ---- constructors ---- */

/**
 * virtbus_client_new_async:
 * @bus_type: %G_BUS_TYPE_SYSTEM or %G_BUS_TYPE_SESSION
 * @connect_path: (nullable): the connection object, e.g.
 *   %VIRTBUS_CONNECT_PATH_QEMU; %NULL for the test backend
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the client is ready
 * @user_data: (closure): data for @callback
 *
 * Connects to virtbusd on a message bus; finish with
 * virtbus_client_new_finish().
 */
void
virtbus_client_new_async (GBusType bus_type, const char *connect_path, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_async_initable_new_async (VIRTBUS_TYPE_CLIENT, G_PRIORITY_DEFAULT, cancellable, callback, user_data,
                              "bus-type", bus_type, "connect-path", connect_path, NULL);
}

/**
 * virtbus_client_new_for_connection_async:
 * @connection: a #GDBusConnection, e.g. one tunnelled over SSH
 * @connect_path: (nullable): the connection object; %NULL for the test backend
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the client is ready
 * @user_data: (closure): data for @callback
 *
 * Connects to virtbusd over an existing D-Bus connection.
 */
void
virtbus_client_new_for_connection_async (GDBusConnection *connection, const char *connect_path,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data)
{
  g_return_if_fail (G_IS_DBUS_CONNECTION (connection));
  g_async_initable_new_async (VIRTBUS_TYPE_CLIENT, G_PRIORITY_DEFAULT, cancellable, callback, user_data,
                              "connection", connection, "connect-path", connect_path, NULL);
}

/**
 * virtbus_client_new_for_uri_async:
 * @uri: a connection URI: test:///default, qemu:///system, qemu:///session,
 *   qemu+ssh://[user@]host[:port]/system, test+ssh://host/default; query
 *   parameters: bus=system|session, and for ssh keyfile=, known_hosts=,
 *   no_verify=1, bridge= (the remote relay command), socket= or
 *   bus_address= (the remote bus to relay to)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the client is ready
 * @user_data: (closure): data for @callback
 *
 * Connects to the virtbusd connection a libvirt-style URI names.
 */
void
virtbus_client_new_for_uri_async (const char *uri, GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  g_return_if_fail (uri != NULL);
  g_async_initable_new_async (VIRTBUS_TYPE_CLIENT, G_PRIORITY_DEFAULT, cancellable, callback, user_data, "uri", uri,
                              NULL);
}

/**
 * virtbus_client_new_finish:
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the ready client, or %NULL on error
 */
VirtbusClient *
virtbus_client_new_finish (GAsyncResult *result, GError **error)
{
  g_autoptr(GObject) source = g_async_result_get_source_object (result);
  GObject *object = g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error);

  return object != NULL ? VIRTBUS_CLIENT (object) : NULL;
}

/**
 * virtbus_client_new_for_connection_finish:
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the ready client, or %NULL on error
 */
VirtbusClient *
virtbus_client_new_for_connection_finish (GAsyncResult *result, GError **error)
{
  return virtbus_client_new_finish (result, error);
}

/**
 * virtbus_client_new_for_uri_finish:
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the ready client, or %NULL on error
 */
VirtbusClient *
virtbus_client_new_for_uri_finish (GAsyncResult *result, GError **error)
{
  return virtbus_client_new_finish (result, error);
}

/**
 * virtbus_client_new_sync:
 * @bus_type: %G_BUS_TYPE_SYSTEM or %G_BUS_TYPE_SESSION
 * @connect_path: (nullable): the connection object; %NULL for the test backend
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the ready client, or %NULL on error
 */
VirtbusClient *
virtbus_client_new_sync (GBusType bus_type, const char *connect_path, GCancellable *cancellable, GError **error)
{
  return g_initable_new (VIRTBUS_TYPE_CLIENT, cancellable, error, "bus-type", bus_type, "connect-path",
                         connect_path, NULL);
}

/**
 * virtbus_client_new_for_connection_sync:
 * @connection: a #GDBusConnection
 * @connect_path: (nullable): the connection object; %NULL for the test backend
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the ready client, or %NULL on error
 */
VirtbusClient *
virtbus_client_new_for_connection_sync (GDBusConnection *connection, const char *connect_path,
                                        GCancellable *cancellable, GError **error)
{
  return g_initable_new (VIRTBUS_TYPE_CLIENT, cancellable, error, "connection", connection, "connect-path",
                         connect_path, NULL);
}

/**
 * virtbus_client_new_for_uri_sync:
 * @uri: a connection URI, see virtbus_client_new_for_uri_async()
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the ready client, or %NULL on error
 */
VirtbusClient *
virtbus_client_new_for_uri_sync (const char *uri, GCancellable *cancellable, GError **error)
{
  return g_initable_new (VIRTBUS_TYPE_CLIENT, cancellable, error, "uri", uri, NULL);
}

/* ---- accessors ---- */

/**
 * virtbus_client_get_connection:
 * @self: a #VirtbusClient
 *
 * Returns: (transfer none): the D-Bus connection
 */
GDBusConnection *
virtbus_client_get_connection (VirtbusClient *self)
{
  g_return_val_if_fail (VIRTBUS_IS_CLIENT (self), NULL);
  return self->connection;
}

/**
 * virtbus_client_get_connect_path:
 * @self: a #VirtbusClient
 *
 * Returns: (transfer none): the object path of the daemon's connection object
 */
const char *
virtbus_client_get_connect_path (VirtbusClient *self)
{
  g_return_val_if_fail (VIRTBUS_IS_CLIENT (self), NULL);
  return self->connect_path;
}

/**
 * virtbus_client_get_uri:
 * @self: a #VirtbusClient
 *
 * Returns: (transfer none) (nullable): the URI the client was made from
 */
const char *
virtbus_client_get_uri (VirtbusClient *self)
{
  g_return_val_if_fail (VIRTBUS_IS_CLIENT (self), NULL);
  return self->uri;
}

/**
 * virtbus_client_get_connect_proxy:
 * @self: a #VirtbusClient
 *
 * Returns: (transfer none): the proxy of org.libvirt.Connect (a generated
 *   proxy type) for calls the client does not wrap
 */
GDBusProxy *
virtbus_client_get_connect_proxy (VirtbusClient *self)
{
  g_return_val_if_fail (VIRTBUS_IS_CLIENT (self), NULL);
  return self->connect_proxy;
}

/**
 * virtbus_client_get_interactive_authorization:
 * @self: a #VirtbusClient
 *
 * Returns: whether calls allow interactive authorization
 */
gboolean
virtbus_client_get_interactive_authorization (VirtbusClient *self)
{
  g_return_val_if_fail (VIRTBUS_IS_CLIENT (self), FALSE);
  return self->interactive;
}

/**
 * virtbus_client_set_interactive_authorization:
 * @self: a #VirtbusClient
 * @allow: whether polkit may ask the user to authenticate during calls
 *
 * Sets #VirtbusClient:interactive-authorization.
 */
void
virtbus_client_set_interactive_authorization (VirtbusClient *self, gboolean allow)
{
  g_return_if_fail (VIRTBUS_IS_CLIENT (self));
  allow = !!allow;
  if (self->interactive == allow)
    return;
  self->interactive = allow;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_INTERACTIVE_AUTHORIZATION]);
}

GDBusCallFlags
virtbus_client_get_call_flags (VirtbusClient *self)
{
  return self->interactive ? G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION : G_DBUS_CALL_FLAGS_NONE;
}

/**
 * virtbus_client_dup_hostname:
 * @self: a #VirtbusClient
 *
 * Returns: (transfer full) (nullable): the daemon host's name
 */
char *
virtbus_client_dup_hostname (VirtbusClient *self)
{
  g_return_val_if_fail (VIRTBUS_IS_CLIENT (self), NULL);
  return vb_gen_libvirt_connect_dup_hostname (VB_GEN_LIBVIRT_CONNECT (self->connect_proxy));
}

/**
 * virtbus_client_get_version:
 * @self: a #VirtbusClient
 *
 * Returns: the hypervisor version, encoded as major * 1000000 + minor * 1000 + micro
 */
guint64
virtbus_client_get_version (VirtbusClient *self)
{
  g_return_val_if_fail (VIRTBUS_IS_CLIENT (self), 0);
  return vb_gen_libvirt_connect_get_version (VB_GEN_LIBVIRT_CONNECT (self->connect_proxy));
}

/**
 * virtbus_client_get_lib_version:
 * @self: a #VirtbusClient
 *
 * Returns: the libvirt API level virtbus implements, encoded like
 *   virtbus_client_get_version()
 */
guint64
virtbus_client_get_lib_version (VirtbusClient *self)
{
  g_return_val_if_fail (VIRTBUS_IS_CLIENT (self), 0);
  return vb_gen_libvirt_connect_get_lib_version (VB_GEN_LIBVIRT_CONNECT (self->connect_proxy));
}

#define MODEL_GETTER(fn, kind, what)                                   \
  GListModel *virtbus_client_get_##fn (VirtbusClient *self)            \
  {                                                                    \
    g_return_val_if_fail (VIRTBUS_IS_CLIENT (self), NULL);             \
    return G_LIST_MODEL (self->stores[kind]);                          \
  }

/**
 * virtbus_client_get_domains:
 * @self: a #VirtbusClient
 *
 * Returns: (transfer none): a live list of #VirtbusDomain
 */
MODEL_GETTER (domains, KIND_DOMAIN, "domains")
/**
 * virtbus_client_get_networks:
 * @self: a #VirtbusClient
 *
 * Returns: (transfer none): a live list of #VirtbusNetwork
 */
MODEL_GETTER (networks, KIND_NETWORK, "networks")
/**
 * virtbus_client_get_storage_pools:
 * @self: a #VirtbusClient
 *
 * Returns: (transfer none): a live list of #VirtbusStoragePool
 */
MODEL_GETTER (storage_pools, KIND_STORAGE_POOL, "pools")
/**
 * virtbus_client_get_storage_vols:
 * @self: a #VirtbusClient
 *
 * Returns: (transfer none): a live list of #VirtbusStorageVol (of every pool)
 */
MODEL_GETTER (storage_vols, KIND_STORAGE_VOL, "volumes")
/**
 * virtbus_client_get_interfaces:
 * @self: a #VirtbusClient
 *
 * Returns: (transfer none): a live list of #VirtbusInterface
 */
MODEL_GETTER (interfaces, KIND_INTERFACE, "interfaces")
/**
 * virtbus_client_get_node_devices:
 * @self: a #VirtbusClient
 *
 * Returns: (transfer none): a live list of #VirtbusNodeDevice
 */
MODEL_GETTER (node_devices, KIND_NODE_DEVICE, "devices")
/**
 * virtbus_client_get_domain_snapshots:
 * @self: a #VirtbusClient
 *
 * Returns: (transfer none): a live list of #VirtbusDomainSnapshot (of every domain)
 */
MODEL_GETTER (domain_snapshots, KIND_DOMAIN_SNAPSHOT, "snapshots")

/**
 * virtbus_client_lookup_object:
 * @self: a #VirtbusClient
 * @object_path: a D-Bus object path
 *
 * Returns: (transfer none) (nullable): the wrapper of the object at @object_path
 */
VirtbusObject *
virtbus_client_lookup_object (VirtbusClient *self, const char *object_path)
{
  g_return_val_if_fail (VIRTBUS_IS_CLIENT (self), NULL);
  g_return_val_if_fail (object_path != NULL, NULL);
  return self->by_path != NULL ? g_hash_table_lookup (self->by_path, object_path) : NULL;
}

/**
 * virtbus_client_find:
 * @self: a #VirtbusClient
 * @kind: the wrapper type, e.g. %VIRTBUS_TYPE_NETWORK
 * @name_or_uuid: a name or a UUID (for volumes also a path or key; for
 *   interfaces also a MAC address)
 *
 * Finds an object in the client's lists without a D-Bus call.
 *
 * Returns: (transfer none) (nullable): the object, or %NULL
 */
VirtbusObject *
virtbus_client_find (VirtbusClient *self, GType kind, const char *name_or_uuid)
{
  static const char *const keys[] = { "UUID", "Path", "Key", "MAC" };

  g_return_val_if_fail (VIRTBUS_IS_CLIENT (self), NULL);
  g_return_val_if_fail (name_or_uuid != NULL, NULL);
  for (int k = 0; k < N_KINDS; k++) {
    GListModel *model;

    if (kind_type (k) != kind)
      continue;
    model = G_LIST_MODEL (self->stores[k]);
    /* Names first, as virsh does, then the other identifiers. */
    for (guint i = 0; i < g_list_model_get_n_items (model); i++) {
      g_autoptr(VirtbusObject) obj = g_list_model_get_item (model, i);
      g_autofree char *name = virtbus_object_dup_name (obj);
      if (g_strcmp0 (name, name_or_uuid) == 0)
        return obj;
    }
    for (guint i = 0; i < g_list_model_get_n_items (model); i++) {
      g_autoptr(VirtbusObject) obj = g_list_model_get_item (model, i);
      for (guint j = 0; j < G_N_ELEMENTS (keys); j++) {
        g_autoptr(GVariant) v = virtbus_object_get_dbus_property (obj, keys[j]);
        if (v != NULL && g_variant_is_of_type (v, G_VARIANT_TYPE_STRING) &&
            g_ascii_strcasecmp (g_variant_get_string (v, NULL), name_or_uuid) == 0)
          return obj;
      }
    }
  }
  return NULL;
}

/**
 * virtbus_client_find_domain:
 * @self: a #VirtbusClient
 * @name_or_uuid: a domain name or UUID
 *
 * Returns: (transfer none) (nullable): the domain, or %NULL
 */
VirtbusDomain *
virtbus_client_find_domain (VirtbusClient *self, const char *name_or_uuid)
{
  return (VirtbusDomain *) virtbus_client_find (self, VIRTBUS_TYPE_DOMAIN, name_or_uuid);
}

/* ---- calls ---- */

static void
call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GVariant *reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);

  if (reply == NULL)
    virtbus_task_return_dbus_error (task, error);
  else
    g_task_return_pointer (task, reply, (GDestroyNotify) g_variant_unref);
}

/**
 * virtbus_client_call_async:
 * @self: a #VirtbusClient
 * @method: a method of org.libvirt.Connect, e.g. "GetCapabilities"
 * @parameters: (nullable): the arguments as a tuple; if floating, it is consumed
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the call completes
 * @user_data: (closure): data for @callback
 *
 * Calls any method of the connection object with the client's call flags.
 */
void
virtbus_client_call_async (VirtbusClient *self, const char *method, GVariant *parameters,
                           GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (VIRTBUS_IS_CLIENT (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, virtbus_client_call_async);
  g_dbus_proxy_call (self->connect_proxy, method, parameters, virtbus_client_get_call_flags (self), G_MAXINT,
                     cancellable, call_done, task);
}

/**
 * virtbus_client_call_finish:
 * @self: a #VirtbusClient
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the reply's out arguments, or %NULL on error
 */
GVariant *
virtbus_client_call_finish (VirtbusClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * virtbus_client_call_sync:
 * @self: a #VirtbusClient
 * @method: a method of org.libvirt.Connect
 * @parameters: (nullable): the arguments as a tuple; if floating, it is consumed
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the reply's out arguments, or %NULL on error
 */
GVariant *
virtbus_client_call_sync (VirtbusClient *self, const char *method, GVariant *parameters, GCancellable *cancellable,
                          GError **error)
{
  GError *local = NULL;
  GVariant *reply;

  g_return_val_if_fail (VIRTBUS_IS_CLIENT (self), NULL);
  reply = g_dbus_proxy_call_sync (self->connect_proxy, method, parameters, virtbus_client_get_call_flags (self),
                                  G_MAXINT, cancellable, &local);
  if (reply == NULL)
    g_propagate_error (error, virtbus_error_from_dbus (local));
  return reply;
}

/* The daemon emits InterfacesAdded before it replies, so the new object is
 * in our lists by the time the reply is processed. */
static VirtbusDomain *
domain_from_reply (VirtbusClient *self, GVariant *reply, GError **error)
{
  const char *path;
  VirtbusObject *obj;

  g_variant_get (reply, "(&o)", &path);
  obj = virtbus_client_lookup_object (self, path);
  if (obj == NULL || !VIRTBUS_IS_DOMAIN (obj)) {
    g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_NOT_FOUND, "the daemon returned %s, which it does not list",
                 path);
    return NULL;
  }
  return VIRTBUS_DOMAIN (g_object_ref (obj));
}

static void
define_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VirtbusClient *self = VIRTBUS_CLIENT (source);
  GError *error = NULL;
  g_autoptr(GVariant) reply = virtbus_client_call_finish (self, result, &error);
  VirtbusDomain *domain;

  if (reply == NULL) {
    g_task_return_error (task, error);
    return;
  }
  domain = domain_from_reply (self, reply, &error);
  if (domain == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, domain, g_object_unref);
}

/**
 * virtbus_client_define_domain_async:
 * @self: a #VirtbusClient
 * @xml: the domain's XML definition
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the domain
 * @user_data: (closure): data for @callback
 *
 * Defines (or redefines) a persistent domain.
 */
void
virtbus_client_define_domain_async (VirtbusClient *self, const char *xml, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (VIRTBUS_IS_CLIENT (self));
  g_return_if_fail (xml != NULL);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, virtbus_client_define_domain_async);
  virtbus_client_call_async (self, "DomainDefineXML", g_variant_new ("(s)", xml), cancellable, define_done, task);
}

/**
 * virtbus_client_define_domain_finish:
 * @self: a #VirtbusClient
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the defined domain, or %NULL on error
 */
VirtbusDomain *
virtbus_client_define_domain_finish (VirtbusClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * virtbus_client_define_domain_sync:
 * @self: a #VirtbusClient
 * @xml: the domain's XML definition
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the defined domain, or %NULL on error
 */
VirtbusDomain *
virtbus_client_define_domain_sync (VirtbusClient *self, const char *xml, GCancellable *cancellable,
                                   GError **error)
{
  g_autoptr(GVariant) reply = virtbus_client_call_sync (self, "DomainDefineXML", g_variant_new ("(s)", xml),
                                                        cancellable, error);

  if (reply == NULL)
    return NULL;
  /* A blocking call does not run the main loop, so the InterfacesAdded
   * that preceded the reply may still be queued: let it through. */
  while (g_main_context_iteration (g_main_context_get_thread_default (), FALSE))
    ;
  return domain_from_reply (self, reply, error);
}
