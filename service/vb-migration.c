/* Live migration between two virtbus daemons (vb-migration.h).
 *
 * The protocol, driven by the source daemon:
 *   1. source backend: migrate_begin → the definition for the destination;
 *   2. connect to the destination's bus (a D-Bus address, or ssh running
 *      virtbus-stdio-bridge there), org.virtbus.Migration.Prepare on its
 *      connection object → the URI its waiting QEMU listens on + a cookie;
 *   3. source backend: migrate_perform (QEMU sends the guest to the URI);
 *   4. destination Finish (guest runs there) — or Cancel when 3 failed;
 *   5. source backend: migrate_confirm (source QEMU gone, or resumed).
 * OFFLINE stops after 2 (the destination only defined the domain). */
#define G_LOG_DOMAIN "virtbus"

#include "vb-migration.h"

#include <signal.h>
#include <string.h>

#include "vb-child.h"
#include "vb-domain-ops.h"
#include "vb-error.h"
#include "vb-invocation.h"
#include "vb-skeleton.h"

/* virDomainMigrateFlags the protocol itself looks at. */
enum {
  MIGRATE_PEER2PEER = 1 << 1,
  MIGRATE_TUNNELLED = 1 << 2,
  MIGRATE_PAUSED = 1 << 5,
  MIGRATE_NON_SHARED_DISK = 1 << 6,
  MIGRATE_NON_SHARED_INC = 1 << 7,
  MIGRATE_OFFLINE = 1 << 10,
};

#define PREPARE_TIMEOUT_MS (120 * 1000)
#define FINISH_TIMEOUT_MS (300 * 1000)

/* ---- parameters and destinations ---- */

/* The VIR_MIGRATE_PARAM_* names a migration takes ("downtime" is ours). */
static const struct {
  const char *name;
  const char *type;
} known_params[] = {
  { "migrate_uri", "s" },     { "destination_name", "s" }, { "destination_xml", "s" },
  { "persistent_xml", "s" },  { "bandwidth", "t" },        { "bandwidth.postcopy", "t" },
  { "downtime", "t" },
};

gboolean
vb_migration_check_params (GVariant *params, GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, params);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value)) {
    guint i;

    for (i = 0; i < G_N_ELEMENTS (known_params); i++)
      if (strcmp (key, known_params[i].name) == 0)
        break;
    if (i == G_N_ELEMENTS (known_params)) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "migration parameter '%s' is not supported", key);
      g_variant_unref (value);
      return FALSE;
    }
    if (strcmp (g_variant_get_type_string (value), known_params[i].type) != 0) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "migration parameter '%s' must be of type '%s', not '%s'",
                   key, known_params[i].type, g_variant_get_type_string (value));
      g_variant_unref (value);
      return FALSE;
    }
  }
  return TRUE;
}

/* The destination of org.virtbus.Domain.Migrate that a libvirt connection
 * URI of MigrateToURI3 names: qemu+ssh://[user@]host[:port]/system|session
 * (also +libssh, +libssh2) → ssh://…; qemu+unix:///system?socket=PATH →
 * unix:path=PATH (the socket of the bus the destination daemon is on). */
char *
vb_migration_destination_for_uri (const char *dconnuri, GError **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GHashTable) query = NULL;
  g_autofree char *driver = NULL;
  const char *scheme, *transport, *host, *path, *socket = NULL;
  GHashTableIter iter;
  gpointer key;

  uri = g_uri_parse (dconnuri, G_URI_FLAGS_NON_DNS | G_URI_FLAGS_ENCODED_QUERY, NULL);
  if (uri == NULL || g_uri_get_scheme (uri) == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "'%s' is not a connection URI "
                 "(qemu+ssh://[user@]host[:port]/system)", dconnuri);
    return NULL;
  }
  /* driver[+transport] (GUri gives the scheme in lower case) */
  scheme = g_uri_get_scheme (uri);
  transport = strchr (scheme, '+');
  driver = transport != NULL ? g_strndup (scheme, transport - scheme) : g_strdup (scheme);
  transport = transport != NULL ? transport + 1 : "";
  if (strcmp (driver, "qemu") != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "destination '%s': only qemu connections can receive "
                 "a migration", dconnuri);
    return NULL;
  }
  host = g_uri_get_host (uri);
  if (host != NULL && *host == '\0')
    host = NULL;
  path = g_uri_get_path (uri);
  if (g_strcmp0 (path, "/system") != 0 && g_strcmp0 (path, "/session") != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "destination '%s': the path must be /system or /session",
                 dconnuri);
    return NULL;
  }
  if (g_uri_get_query (uri) != NULL) {
    query = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE, NULL);
    if (query == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "destination '%s': malformed URI parameters", dconnuri);
      return NULL;
    }
    g_hash_table_iter_init (&iter, query);
    while (g_hash_table_iter_next (&iter, &key, NULL)) {
      /* We never ask ssh for a tty anyway. */
      if (strcmp (key, "no_tty") == 0 && strcmp (transport, "unix") != 0)
        continue;
      if (strcmp (key, "socket") == 0 && strcmp (transport, "unix") == 0)
        continue;
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "destination '%s': URI parameter '%s' is not supported",
                   dconnuri, (const char *) key);
      return NULL;
    }
    socket = g_hash_table_lookup (query, "socket");
  }

  if (strcmp (transport, "ssh") == 0 || strcmp (transport, "libssh") == 0 || strcmp (transport, "libssh2") == 0) {
    if (host == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "destination '%s' names no host", dconnuri);
      return NULL;
    }
    return g_uri_join (G_URI_FLAGS_NON_DNS, "ssh", g_uri_get_user (uri), host, g_uri_get_port (uri), path, NULL,
                       NULL);
  }
  if (strcmp (transport, "unix") == 0) {
    g_autofree char *escaped = NULL;

    if (host != NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "destination '%s': a unix socket is on this host, "
                   "there is no host to name", dconnuri);
      return NULL;
    }
    if (socket == NULL || *socket != '/') {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "destination '%s' is this host's own daemon: give the "
                   "absolute path of the destination's bus socket (?socket=PATH) or use qemu+ssh://host%s",
                   dconnuri, path);
      return NULL;
    }
    escaped = g_dbus_address_escape_value (socket);
    return g_strconcat ("unix:path=", escaped, NULL);
  }
  if (*transport == '\0' && host == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "destination '%s' is this host's own daemon: use "
                 "qemu+ssh://host%s", dconnuri, path);
    return NULL;
  }
  g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "destination '%s': the %s transport is not supported "
               "(use qemu+ssh://%s%s)", dconnuri, *transport != '\0' ? transport : "tls",
               host != NULL ? host : "host", path);
  return NULL;
}

/* ---- the source side ---- */

typedef struct {
  VbConnect *connect;
  VbObj *dom;
  GDBusMethodInvocation *invocation;
  VbDomainOpsInterface *ops;
  char *destination;
  GVariant *params;
  guint flags;
  guint remote_flags;     /* @flags as the destination gets them */
  GDBusConnection *peer;
  GSubprocess *tunnel;    /* ssh, for ssh:// destinations */
  char *dest_host;        /* the host the destination address names, if any */
  char *xml;              /* the definition the destination gets */
  char *cookie;
  char *uri;
  GError *error;          /* the failure reported once the source is confirmed */
} Migration;

static void
migration_free (Migration *m)
{
  if (m->peer != NULL)
    g_dbus_connection_close (m->peer, NULL, NULL, NULL);
  g_clear_object (&m->peer);
  if (m->tunnel != NULL)
    g_subprocess_send_signal (m->tunnel, SIGTERM);
  g_clear_object (&m->tunnel);
  g_clear_object (&m->dom);
  g_free (m->destination);
  g_clear_pointer (&m->params, g_variant_unref);
  g_free (m->dest_host);
  g_free (m->xml);
  g_free (m->cookie);
  g_free (m->uri);
  g_clear_error (&m->error);
  g_free (m);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Migration, migration_free)

static void
migration_reply (Migration *m)
{
  GDBusMethodInvocation *invocation = g_steal_pointer (&m->invocation);

  if (m->error != NULL)
    vb_invocation_return_gerror (invocation, g_steal_pointer (&m->error));
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
  migration_free (m);
}

/* A reply of the destination daemon: its own message, without GDBus'
 * "GDBus.Error:org.libvirt.Error: " prefix. */
static GError *
remote_error (GError *error, const char *what)
{
  GError *out;

  g_dbus_error_strip_remote_error (error);
  out = g_error_new (VB_ERROR, error->domain == VB_ERROR ? error->code : VB_ERROR_FAILED, "%s: %s", what,
                     error->message);
  g_error_free (error);
  return out;
}

static void
on_confirmed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *m = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    /* The guest already runs at the destination after a successful
     * migration: a failure here is the source's cleanup only. */
    if (m->error == NULL)
      m->error = error;
    else {
      g_warning ("migration of domain '%s': %s", m->dom->name, error->message);
      g_error_free (error);
    }
  }
  migration_reply (m);
}

/* Step 5, also the way out of every failure (@m->error set): the source
 * backend ends its job and, on failure, keeps the guest running. */
static void
confirm (Migration *m)
{
  GTask *task = g_task_new (m->connect, NULL, on_confirmed, m);

  m->ops->migrate_confirm (vb_connect_get_backend (m->connect), m->dom, m->error == NULL, m->flags, task);
  g_object_unref (task);
}

static void
on_finished (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *m = user_data;
  GError *error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    m->error = remote_error (error, "the destination could not start the migrated domain");
  confirm (m);
}

static void
on_cancelled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *m = user_data;
  GError *error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  /* The destination also cleans up on its own after a timeout. */
  if (reply == NULL) {
    g_warning ("migration of domain '%s': cancelling at the destination failed: %s", m->dom->name,
               error->message);
    g_error_free (error);
  }
  confirm (m);
}

static void
on_performed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *m = user_data;
  GError *error = NULL;
  const char *path = vb_connect_get_path (m->connect);

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    m->error = error;
    g_dbus_connection_call (m->peer, "org.libvirt", path, "org.virtbus.Migration", "Cancel",
                            g_variant_new ("(su)", m->cookie, m->remote_flags), NULL, G_DBUS_CALL_FLAGS_NONE,
                            PREPARE_TIMEOUT_MS, NULL, on_cancelled, m);
    return;
  }
  g_dbus_connection_call (m->peer, "org.libvirt", path, "org.virtbus.Migration", "Finish",
                          g_variant_new ("(su)", m->cookie, m->remote_flags), G_VARIANT_TYPE ("(o)"),
                          G_DBUS_CALL_FLAGS_NONE, FINISH_TIMEOUT_MS, NULL, on_finished, m);
}

/* Without a migrate_uri the destination listens on every address and names
 * itself by host name; the host the caller reached it by is the better
 * guess when there is one. */
static char *
stream_uri (Migration *m, const char *uri, guint32 port)
{
  if (g_variant_lookup (m->params, "migrate_uri", "&s", NULL) || m->dest_host == NULL || port == 0)
    return g_strdup (uri);
  if (strchr (m->dest_host, ':') != NULL)
    return g_strdup_printf ("tcp:[%s]:%u", m->dest_host, port);
  return g_strdup_printf ("tcp:%s:%u", m->dest_host, port);
}

static void
on_prepared (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *m = user_data;
  GError *error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  g_autoptr(GVariant) dict = NULL;
  const char *uri = NULL, *cookie = NULL;
  guint32 port = 0;
  GTask *task;

  if (reply == NULL) {
    m->error = remote_error (error, "the destination refused the migration");
    confirm (m);
    return;
  }
  if (m->flags & MIGRATE_OFFLINE) {
    confirm (m);
    return;
  }
  dict = g_variant_get_child_value (reply, 0);
  if (!g_variant_lookup (dict, "uri", "&s", &uri) || !g_variant_lookup (dict, "cookie", "&s", &cookie)) {
    m->error = g_error_new (VB_ERROR, VB_ERROR_FAILED, "the destination's Prepare returned no URI");
    confirm (m);
    return;
  }
  g_variant_lookup (dict, "port", "u", &port);
  m->cookie = g_strdup (cookie);
  m->uri = stream_uri (m, uri, port);
  g_debug ("migrating domain '%s' to %s (stream: %s)", m->dom->name, m->destination, m->uri);
  task = g_task_new (m->connect, NULL, on_performed, m);
  m->ops->migrate_perform (vb_connect_get_backend (m->connect), m->dom, m->uri, m->params, m->flags, task);
  g_object_unref (task);
}

static void
on_peer (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *m = user_data;
  GError *error = NULL;

  if (g_str_has_prefix (m->destination, "ssh://"))
    m->peer = g_dbus_connection_new_finish (result, &error);
  else
    m->peer = g_dbus_connection_new_for_address_finish (result, &error);
  if (m->peer == NULL) {
    m->error = g_error_new (VB_ERROR, VB_ERROR_FAILED, "cannot connect to the destination '%s': %s",
                            m->destination, error->message);
    g_error_free (error);
    confirm (m);
    return;
  }
  g_dbus_connection_call (m->peer, "org.libvirt", vb_connect_get_path (m->connect), "org.virtbus.Migration",
                          "Prepare", g_variant_new ("(s@a{sv}u)", m->xml, m->params, m->remote_flags),
                          G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, PREPARE_TIMEOUT_MS, NULL,
                          on_prepared, m);
}

/* ssh://[user@]host[:port][/system|/session]: ssh runs the stdio bridge on
 * the destination host, which relays the pipe to its bus. */
static GStrv
ssh_argv (Migration *m, GError **error)
{
  g_autoptr(GUri) uri = g_uri_parse (m->destination, G_URI_FLAGS_NONE, error);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  const char *ssh = g_getenv ("VIRTBUS_SSH");
  const char *path;
  gboolean session;

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0') {
    g_clear_error (error);
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "'%s' is not a valid ssh://[user@]host[:port][/system] "
                 "destination", m->destination);
    return NULL;
  }
  path = g_uri_get_path (uri);
  session = g_strcmp0 (path, "/session") == 0;
  if (path != NULL && *path != '\0' && !session && g_strcmp0 (path, "/system") != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "destination '%s': the path must be /system or /session",
                 m->destination);
    return NULL;
  }
  m->dest_host = g_strdup (g_uri_get_host (uri));
  g_strv_builder_add (b, ssh != NULL && *ssh != '\0' ? ssh : "ssh");
  /* No tty and no escape character: the channel carries binary D-Bus. */
  g_strv_builder_add_many (b, "-T", "-e", "none", "-o", "BatchMode=yes", NULL);
  if (g_uri_get_port (uri) > 0) {
    g_autofree char *port = g_strdup_printf ("%d", g_uri_get_port (uri));
    g_strv_builder_add_many (b, "-p", port, NULL);
  }
  if (g_uri_get_user (uri) != NULL && *g_uri_get_user (uri) != '\0')
    g_strv_builder_add_many (b, "-l", g_uri_get_user (uri), NULL);
  g_strv_builder_add_many (b, "--", m->dest_host, session ? "virtbus-stdio-bridge --session"
                                                          : "virtbus-stdio-bridge --system", NULL);
  return g_strv_builder_end (b);
}

/* The host a tcp: D-Bus address names. */
static char *
address_host (const char *address)
{
  g_auto(GStrv) parts = NULL;

  if (!g_str_has_prefix (address, "tcp:"))
    return NULL;
  parts = g_strsplit (address + strlen ("tcp:"), ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_has_prefix (parts[i], "host="))
      return g_uri_unescape_string (parts[i] + strlen ("host="), NULL);
  return NULL;
}

static void
connect_peer (Migration *m)
{
  GError *error = NULL;

  if (g_str_has_prefix (m->destination, "ssh://")) {
    g_auto(GStrv) argv = ssh_argv (m, &error);
    g_autoptr(GIOStream) stream = NULL;

    if (argv != NULL)
      m->tunnel = g_subprocess_newv ((const char *const *) argv,
                                     G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
    if (m->tunnel == NULL) {
      g_prefix_error (&error, "cannot reach the destination '%s': ", m->destination);
      m->error = error;
      confirm (m);
      return;
    }
    vb_child_track (m->tunnel);
    stream = g_simple_io_stream_new (g_subprocess_get_stdout_pipe (m->tunnel),
                                     g_subprocess_get_stdin_pipe (m->tunnel));
    g_dbus_connection_new (stream, NULL,
                           G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                             G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                           NULL, NULL, on_peer, m);
    return;
  }
  if (!g_dbus_is_supported_address (m->destination, &error)) {
    m->error = g_error_new (VB_ERROR, VB_ERROR_INVALID_ARG,
                            "destination '%s' is neither a D-Bus address (unix:path=…, tcp:host=…,port=…) nor "
                            "ssh://[user@]host[:port][/system]: %s", m->destination, error->message);
    g_error_free (error);
    confirm (m);
    return;
  }
  m->dest_host = address_host (m->destination);
  g_dbus_connection_new_for_address (m->destination,
                                     G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                     NULL, NULL, on_peer, m);
}

static void
on_begun (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Migration) m = user_data;
  GError *error = NULL;

  m->xml = g_task_propagate_pointer (G_TASK (result), &error);
  if (m->xml == NULL) {
    /* Nothing began: no confirm. */
    vb_invocation_return_gerror (g_steal_pointer (&m->invocation), error);
    return;
  }
  connect_peer (g_steal_pointer (&m));
}

/* @connect's domain ops when its backend can send migrations; else replies. */
static VbDomainOpsInterface *
source_ops (VbConnect *connect, GDBusMethodInvocation *invocation)
{
  GError *error = NULL;
  VbDomainOpsInterface *ops = vb_connect_get_ops (connect, VB_TYPE_DOMAIN_OPS, "domains", &error);

  if (ops == NULL) {
    vb_invocation_return_gerror (invocation, error);
    return NULL;
  }
  if (ops->migrate_begin == NULL || ops->migrate_perform == NULL || ops->migrate_confirm == NULL) {
    vb_connect_return_not_supported (connect, invocation);
    return NULL;
  }
  return ops;
}

void
vb_migration_run (VbConnect *connect, VbObj *dom, GDBusMethodInvocation *invocation, const char *destination,
                  GVariant *params, guint flags)
{
  GError *error = NULL;
  VbDomainOpsInterface *ops = source_ops (connect, invocation);
  g_autofree char *translated = NULL;
  Migration *m;
  GTask *task;

  if (ops == NULL)
    return;
  if (destination == NULL || *destination == '\0') {
    vb_invocation_return_error (invocation, VB_ERROR_INVALID_ARG, "no destination given");
    return;
  }
  if (!vb_migration_check_params (params, &error)) {
    vb_invocation_return_gerror (invocation, error);
    return;
  }
  /* A libvirt connection URI names a destination too. */
  if (g_str_has_prefix (destination, "qemu:") || g_str_has_prefix (destination, "qemu+")) {
    translated = vb_migration_destination_for_uri (destination, &error);
    if (translated == NULL) {
      vb_invocation_return_gerror (invocation, error);
      return;
    }
    destination = translated;
  }
  m = g_new0 (Migration, 1);
  m->connect = connect;
  m->dom = g_object_ref (dom);
  m->invocation = invocation;
  m->ops = ops;
  m->destination = g_strdup (destination);
  m->params = g_variant_ref (params);
  m->flags = flags;
  /* A paused guest stays paused at the destination. */
  m->remote_flags = flags | (dom->state == VB_DOMAIN_PAUSED ? MIGRATE_PAUSED : 0);
  task = g_task_new (connect, NULL, on_begun, m);
  ops->migrate_begin (vb_connect_get_backend (connect), dom, params, flags, task);
  g_object_unref (task);
}

void
vb_migration_run_uri3 (VbConnect *connect, VbObj *dom, GDBusMethodInvocation *invocation, const char *dconnuri,
                       GVariant *params, guint flags)
{
  GError *error = NULL;
  g_autofree char *destination = NULL;

  if (source_ops (connect, invocation) == NULL)
    return;
  if (!(flags & MIGRATE_PEER2PEER)) {
    vb_invocation_return_error (invocation, VB_ERROR_INVALID_ARG, "MigrateToURI3 without the PEER2PEER flag "
                                "(direct migration) is not supported: QEMU domains migrate peer to peer");
    return;
  }
  if (flags & MIGRATE_TUNNELLED) {
    vb_invocation_return_error (invocation, VB_ERROR_NOT_SUPPORTED, "tunnelled migration (TUNNELLED) is not "
                                "supported: the guest's memory goes over a TCP connection of its own");
    return;
  }
  if (flags & (MIGRATE_NON_SHARED_DISK | MIGRATE_NON_SHARED_INC)) {
    vb_invocation_return_error (invocation, VB_ERROR_NOT_SUPPORTED, "migration with a copy of the storage "
                                "(NON_SHARED_DISK, NON_SHARED_INC) is not supported: the domain's disks must be "
                                "on storage both hosts share");
    return;
  }
  destination = vb_migration_destination_for_uri (dconnuri, &error);
  if (destination == NULL) {
    vb_invocation_return_gerror (invocation, error);
    return;
  }
  vb_migration_run (connect, dom, invocation, destination, params, flags & ~MIGRATE_PEER2PEER);
}

/* ---- the destination side: org.virtbus.Migration ---- */

#define VB_TYPE_MIGRATION (vb_migration_get_type ())
G_DECLARE_FINAL_TYPE (VbMigration, vb_migration, VB, MIGRATION, VbGenVirtbusMigrationSkeleton)

struct _VbMigration {
  VbGenVirtbusMigrationSkeleton parent_instance;

  VbConnect *connect; /* owns this skeleton (its own object's interface) */
};

static void vb_migration_iface_init (VbGenVirtbusMigrationIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VbMigration, vb_migration, VB_GEN_TYPE_VIRTBUS_MIGRATION_SKELETON,
                               G_IMPLEMENT_INTERFACE (VB_GEN_TYPE_VIRTBUS_MIGRATION, vb_migration_iface_init))

#define MIGRATION_OP(op, kind, args) \
  VB_CONNECT_RUN_OP (VB_MIGRATION (iface)->connect, VbDomainOpsInterface, VB_TYPE_DOMAIN_OPS, "domains", NULL, op, \
                     kind, args)

static gboolean
handle_prepare (VbGenVirtbusMigration *iface, GDBusMethodInvocation *invocation, const char *xml, GVariant *params,
                guint flags)
{
  GError *error = NULL;

  if (!vb_migration_check_params (params, &error)) {
    vb_invocation_return_gerror (invocation, error);
    return TRUE;
  }
  MIGRATION_OP (migrate_prepare, VB_REPLY_VALUE, (backend, xml, params, flags, task));
}

static gboolean
handle_finish (VbGenVirtbusMigration *iface, GDBusMethodInvocation *invocation, const char *cookie, guint flags)
{
  MIGRATION_OP (migrate_finish, VB_REPLY_OBJECT, (backend, cookie, flags, task));
}

static gboolean
handle_cancel (VbGenVirtbusMigration *iface, GDBusMethodInvocation *invocation, const char *cookie, guint flags)
{
  MIGRATION_OP (migrate_cancel, VB_REPLY_VOID, (backend, cookie, flags, task));
}

static void
vb_migration_iface_init (VbGenVirtbusMigrationIface *iface)
{
  iface->handle_prepare = handle_prepare;
  iface->handle_finish = handle_finish;
  iface->handle_cancel = handle_cancel;
}

static void
vb_migration_class_init (VbMigrationClass *klass)
{
  vb_skeleton_class_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass), NULL);
}

static void
vb_migration_init (VbMigration *self)
{
}

GDBusInterfaceSkeleton *
vb_migration_skeleton_new (VbConnect *connect)
{
  VbDomainOpsInterface *ops = vb_connect_get_ops (connect, VB_TYPE_DOMAIN_OPS, "domains", NULL);
  VbMigration *self;

  /* Only where migrations can come in. */
  if (ops == NULL || ops->migrate_prepare == NULL)
    return NULL;
  self = g_object_new (VB_TYPE_MIGRATION, NULL);
  self->connect = connect;
  return G_DBUS_INTERFACE_SKELETON (self);
}
