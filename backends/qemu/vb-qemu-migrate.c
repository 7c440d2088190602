/* Live migration, the QEMU backend's half of each side (VbDomainOps
 * migrate_*; the protocol between the daemons is service/vb-migration.c).
 *
 * Source: begin (checks, job, the XML to send) → perform (QEMU `migrate`
 * to the destination's URI, waiting for the MIGRATION events) → confirm
 * (success: the source QEMU quits, STOPPED/MIGRATED; failure: `cont`,
 * RESUMED/MIGRATED).
 * Destination: prepare (a transient domain whose QEMU starts with
 * -incoming defer and listens with migrate-incoming; the start stays
 * pending) → finish (the stream is complete: the start completes, `cont`
 * unless PAUSED, STARTED/MIGRATED; PERSIST_DEST defines it) or cancel
 * (the half-started QEMU is killed without events, the domain is gone).
 * Plus the tunables (MigrateSetMaxSpeed, …), MigrationIteration. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vb-invocation.h" /* vb_task_get_caller_creds */
#include "vb-qemu-command.h"
#include "vb-qemu-job.h"
#include "vb-qemu-process.h"
#include "vb-task.h"

/* virDomainMigrateFlags */
enum {
  MIGRATE_LIVE = 1 << 0,
  MIGRATE_PERSIST_DEST = 1 << 3,
  MIGRATE_UNDEFINE_SOURCE = 1 << 4,
  MIGRATE_PAUSED = 1 << 5,
  MIGRATE_OFFLINE = 1 << 10,
  MIGRATE_POSTCOPY = 1 << 15,
};
#define MIGRATE_FLAGS \
  (MIGRATE_LIVE | MIGRATE_PERSIST_DEST | MIGRATE_UNDEFINE_SOURCE | MIGRATE_PAUSED | MIGRATE_OFFLINE | \
   MIGRATE_POSTCOPY)
/* virDomainMigrateMaxSpeedFlags */
enum { MAX_SPEED_POSTCOPY = 1 << 0 };

/* libvirt's "unlimited" bandwidth (MiB/s): what QEMU's byte counter holds. */
#define BANDWIDTH_UNLIMITED G_GUINT64_CONSTANT (8796093022207)
/* An incoming migration neither finished nor cancelled is dropped. */
#define PREPARE_TIMEOUT_S 120
/* QEMU's upper limit for downtime-limit (ms). */
#define DOWNTIME_MAX 2000000

struct _VbQemuMigration {
  /* Tunables, kept for the next migration (0 = not set). */
  guint64 max_speed;          /* MiB/s */
  guint64 max_speed_postcopy; /* MiB/s */
  guint64 max_downtime;       /* ms */

  /* Outgoing. */
  guint out_flags;
  gboolean out_active;      /* the engine sends the stream */
  gboolean was_running;     /* the guest ran when the migration began */

  /* Incoming. */
  char *cookie;             /* names it for Finish/Cancel; NULL: none */
  guint in_flags;
  char *persistent_xml;
  char *listen_host;        /* NULL = every address */
  guint listen_port;
  GSocketListener *listener; /* until the source's QEMU connected */
  GCancellable *accept_cancel;
  int stream_fd;            /* accepted, not yet handed to QEMU; -1 */
  gboolean stream_done;     /* QEMU received everything */
  VbQmp *qmp;               /* the starting QEMU's monitor */
  GTask *prepare_reply;     /* the Prepare call, until QEMU waits */
  GTask *incoming;          /* the start's prepare hook: completed by finish/cancel */
  GTask *finish;            /* Finish, until the guest runs */
  GTask *cancel;            /* Cancel, until the QEMU is gone */
  gboolean drop_on_exit;    /* failed: the domain goes once QEMU exited */
  guint timeout_id;
};

static VbQemuMigration *
mig_get (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  if (d->migration == NULL) {
    d->migration = g_new0 (VbQemuMigration, 1);
    d->migration->stream_fd = -1;
  }
  return d->migration;
}

/* ---- small QMP helpers ---- */

static gint64
speed_bytes (guint64 mib)
{
  if (mib == 0 || mib >= BANDWIDTH_UNLIMITED)
    return G_MAXINT64;
  return (gint64) (mib << 20);
}

/* migrate-set-parameters with what is set (NULL when nothing is). */
static JsonObject *
parameters_args (VbQemuMigration *m)
{
  JsonObject *args = json_object_new ();

  json_object_set_int_member (args, "max-bandwidth", speed_bytes (m->max_speed));
  if (m->max_downtime > 0)
    json_object_set_int_member (args, "downtime-limit", (gint64) m->max_downtime);
  if (m->max_speed_postcopy > 0)
    json_object_set_int_member (args, "max-postcopy-bandwidth", speed_bytes (m->max_speed_postcopy));
  return args;
}

/* ---- source: begin ---- */

static void
qemu_migrate_begin (VbBackend *backend, VbObj *dom, GVariant *params, guint flags, GTask *task)
{
  VbQemuMigration *m;
  GError *error = NULL;
  const char *dest_xml = NULL;
  guint64 value;

  if (!vb_check_flags (flags, MIGRATE_FLAGS, "Migrate", &error)) {
    g_task_return_error (task, error);
    return;
  }
  g_variant_lookup (params, "destination_xml", "&s", &dest_xml);
  if (dest_xml != NULL && *dest_xml == '\0')
    dest_xml = NULL;

  if (flags & MIGRATE_OFFLINE) {
    VbDomainDef *def = dom->newdef != NULL ? dom->newdef : dom->def;
    if (!(flags & MIGRATE_PERSIST_DEST))
      FAIL (task, VB_ERROR_INVALID_ARG, "offline migration requires the PERSIST_DEST flag");
    if (flags & (MIGRATE_LIVE | MIGRATE_POSTCOPY | MIGRATE_PAUSED))
      FAIL (task, VB_ERROR_INVALID_ARG, "offline migration cannot be live, post-copy or paused");
    if (dom->active)
      FAIL (task, VB_ERROR_OPERATION_INVALID,
            "domain '%s' is running: offline migration moves only an inactive domain's definition", dom->name);
    if (!dom->persistent)
      FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is transient: there is no definition to migrate",
            dom->name);
    g_task_return_pointer (task,
                           dest_xml != NULL ? g_strdup (dest_xml)
                                            : vb_domain_def_format (def, VB_DOMAIN_XML_INACTIVE |
                                                                           VB_DOMAIN_XML_SECURE),
                           g_free);
    return;
  }
  if (!dom->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID,
          "domain '%s' is not running (use the OFFLINE flag to migrate its definition only)", dom->name);
  if (dom->state != VB_DOMAIN_RUNNING && dom->state != VB_DOMAIN_PAUSED)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' must be running or paused to be migrated", dom->name);
  /* As libvirt: it would outlive its client on the other host. */
  if (vb_qemu_dom (dom)->autodestroy_client != NULL)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is marked for auto-destroy: it cannot migrate", dom->name);
  if ((flags & MIGRATE_UNDEFINE_SOURCE) && !dom->persistent)
    FAIL (task, VB_ERROR_INVALID_ARG, "domain '%s' is transient: UNDEFINE_SOURCE does not apply", dom->name);
  if (g_variant_lookup (params, "bandwidth", "t", &value) && value == 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "bandwidth must be above 0 MiB/s");
  if (g_variant_lookup (params, "bandwidth.postcopy", "t", &value) && value == 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "bandwidth.postcopy must be above 0 MiB/s");
  if (g_variant_lookup (params, "downtime", "t", &value) && (value == 0 || value > DOWNTIME_MAX))
    FAIL (task, VB_ERROR_INVALID_ARG, "downtime must be 1 to %d ms", DOWNTIME_MAX);

  m = mig_get (dom);
  if (vb_qemu_job_begin (dom, VB_QEMU_JOB_MIGRATION_OUT, TRUE, &error) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  m->out_flags = flags;
  m->was_running = dom->state == VB_DOMAIN_RUNNING;
  /* If virtbusd dies before the migration is over, the next one undoes it
   * (or leaves the guest paused once it may run at the destination). */
  vb_qemu_job_set_recovery (dom, m->was_running, NULL, FALSE);
  g_task_return_pointer (task,
                         dest_xml != NULL ? g_strdup (dest_xml)
                                          : vb_domain_def_format (dom->def, VB_DOMAIN_XML_INACTIVE |
                                                                              VB_DOMAIN_XML_SECURE),
                         g_free);
}

/* ---- source: perform (the job part's migration engine) ---- */

static void
on_migrated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VbObj *dom = g_task_get_task_data (task);
  GError *error = NULL;

  mig_get (dom)->out_active = FALSE;
  if (!vb_qemu_job_migrate_out_finish (result, &error)) {
    g_prefix_error (&error, "cannot migrate domain '%s': ", dom->name);
    g_task_return_error (task, error);
    return;
  }
  /* Before the destination is told to run it. */
  vb_qemu_job_note_sent (dom);
  g_task_return_boolean (task, TRUE);
}

static void
send_stream (GTask *task)
{
  VbObj *dom = g_task_get_task_data (task);
  VbQemuDom *d = vb_qemu_dom (dom);
  VbQemuMigration *m = mig_get (dom);
  g_autoptr(JsonObject) caps = json_object_new ();
  g_autoptr(JsonObject) params = parameters_args (m);
  const char *uri = g_object_get_data (G_OBJECT (task), "vb-migrate-uri");

  if (m->out_flags & MIGRATE_POSTCOPY)
    json_object_set_boolean_member (caps, "postcopy-ram", TRUE);
  /* QEMU stops the guest at the end of the stream: that is the migration's. */
  d->pause_reason = VB_QEMU_PAUSED_MIGRATION;
  d->pause_detail = VB_QEMU_SUSPENDED_MIGRATED;
  m->out_active = TRUE;
  vb_qemu_job_migrate_out_async (dom, uri, -1, caps, params, on_migrated, g_object_ref (task));
}

static void
on_stopped_first (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VbObj *dom = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_prefix_error (&error, "cannot stop domain '%s' for its migration: ", dom->name);
    g_task_return_error (task, error);
    return;
  }
  send_stream (task);
}

static void
qemu_migrate_perform (VbBackend *backend, VbObj *dom, const char *uri, GVariant *params, guint flags, GTask *task)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  VbQemuMigration *m = mig_get (dom);
  guint64 value;

  if (!dom->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
  if (vb_qemu_job_current (dom) != VB_QEMU_JOB_MIGRATION_OUT || m->out_active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "no migration of domain '%s' was begun", dom->name);
  if (uri == NULL || !g_str_has_prefix (uri, "tcp:"))
    FAIL (task, VB_ERROR_INVALID_ARG, "unsupported migration URI '%s' (use tcp:HOST:PORT)", uri ? uri : "");
  /* Parameters of this call win over the remembered tunables. */
  if (g_variant_lookup (params, "bandwidth", "t", &value))
    m->max_speed = value;
  if (g_variant_lookup (params, "bandwidth.postcopy", "t", &value))
    m->max_speed_postcopy = value;
  if (g_variant_lookup (params, "downtime", "t", &value))
    m->max_downtime = value;
  g_task_set_task_data (task, g_object_ref (dom), g_object_unref);
  g_object_set_data_full (G_OBJECT (task), "vb-migrate-uri", g_strdup (uri), g_free);
  /* Not live: the guest stops first (libvirt's default). */
  if (!(m->out_flags & MIGRATE_LIVE) && dom->state == VB_DOMAIN_RUNNING) {
    GTask *stop = g_task_new (dom, NULL, on_stopped_first, g_object_ref (task));
    d->pause_reason = VB_QEMU_PAUSED_MIGRATION;
    d->pause_detail = VB_QEMU_SUSPENDED_MIGRATED;
    vb_qemu_process_qmp_void (dom, "stop", NULL, stop);
    g_object_unref (stop);
    return;
  }
  send_stream (task);
}

/* ---- source: confirm ---- */

static void
on_source_undefined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_prefix_error (&error, "migrated, but the source definition could not be removed: ");
    g_task_return_error (task, error);
    return;
  }
  g_task_return_boolean (task, TRUE);
}

static void
undefine_source (VbBackend *backend, VbObj *dom, GTask *task)
{
  GTask *inner = g_task_new (backend, NULL, on_source_undefined, g_object_ref (task));

  VB_DOMAIN_OPS_GET_IFACE (backend)->undefine (backend, dom, 0, inner);
  g_object_unref (inner);
}

static void
on_source_gone (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VbObj *dom = g_task_get_task_data (task);
  guint flags = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "vb-migrate-flags"));
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_task_return_error (task, error);
    return;
  }
  if ((flags & MIGRATE_UNDEFINE_SOURCE) && dom->persistent && !dom->active) {
    undefine_source (VB_BACKEND (source), dom, task);
    return;
  }
  g_task_return_boolean (task, TRUE);
}

static void
on_source_resumed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VbObj *dom = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_warning ("domain '%s' stays paused after the failed migration: %s", dom->name, error->message);
    vb_qemu_dom (dom)->resume_reason = vb_qemu_dom (dom)->resume_detail = -1;
    g_error_free (error);
  } else {
    vb_qemu_process_note_resumed (dom);
  }
  g_task_return_boolean (task, TRUE);
}

static void
qemu_migrate_confirm (VbBackend *backend, VbObj *dom, gboolean success, guint flags, GTask *task)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  VbQemuMigration *m = mig_get (dom);
  GTask *inner;

  if (flags & MIGRATE_OFFLINE) {
    if (success && (flags & MIGRATE_UNDEFINE_SOURCE) && dom->persistent && !dom->active)
      undefine_source (backend, dom, task);
    else
      g_task_return_boolean (task, TRUE);
    return;
  }
  if (vb_qemu_job_current (dom) == VB_QEMU_JOB_MIGRATION_OUT) {
    g_autoptr(GError) job_error = success ? NULL : g_error_new (VB_ERROR, VB_ERROR_FAILED, "migration failed");
    vb_qemu_job_end (dom, job_error);
  }
  d->pause_reason = -1;
  d->pause_detail = -1;
  if (!dom->active) {
    g_task_return_boolean (task, TRUE);
    return;
  }
  g_task_set_task_data (task, g_object_ref (dom), g_object_unref);
  if (success) {
    g_object_set_data (G_OBJECT (task), "vb-migrate-flags", GUINT_TO_POINTER (flags));
    inner = g_task_new (backend, NULL, on_source_gone, g_object_ref (task));
    vb_qemu_process_destroy (d->backend, dom, VB_QEMU_STOP_MIGRATED, FALSE, inner);
    g_object_unref (inner);
    return;
  }
  /* Failed: the guest runs on here, as before. */
  if (m->was_running && dom->state == VB_DOMAIN_PAUSED) {
    /* Not a user's resume. */
    d->resume_reason = VB_QEMU_RUNNING_MIGRATION_CANCELED;
    d->resume_detail = VB_QEMU_RESUMED_MIGRATED;
    inner = g_task_new (dom, NULL, on_source_resumed, g_object_ref (task));
    vb_qemu_process_qmp_void (dom, "cont", NULL, inner);
    g_object_unref (inner);
    return;
  }
  g_task_return_boolean (task, TRUE);
}

/* ---- destination ----
 *
 * The daemon listens for the source's QEMU itself (a one-connection
 * listener on the address the stream must come to) and hands the accepted
 * socket to the domain's QEMU (the job engine's incoming side, fd:): the
 * port is known when Prepare replies, without a race for a free port and
 * without asking QEMU. QEMU reads the stream straight from that socket. */

/* Incoming migrations that failed on their own, by cookie: what Finish
 * tells the source then. */
static GHashTable *
failed_cookies (VbBackend *backend)
{
  GHashTable *table = g_object_get_data (G_OBJECT (backend), "vb-migrate-failed");

  if (table == NULL) {
    table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    g_object_set_data_full (G_OBJECT (backend), "vb-migrate-failed", table, (GDestroyNotify) g_hash_table_unref);
  }
  return table;
}

static VbObj *
find_incoming (VbBackend *backend, const char *cookie)
{
  g_autoptr(GPtrArray) doms = vb_backend_list (backend, VB_OBJ_DOMAIN);

  for (guint i = 0; cookie != NULL && *cookie != '\0' && i < doms->len; i++) {
    VbObj *dom = g_ptr_array_index (doms, i);
    VbQemuMigration *m = vb_qemu_dom (dom)->migration;
    if (m != NULL && g_strcmp0 (m->cookie, cookie) == 0)
      return dom;
  }
  return NULL;
}

static void
stop_listening (VbQemuMigration *m)
{
  if (m->accept_cancel != NULL)
    g_cancellable_cancel (m->accept_cancel);
  g_clear_object (&m->accept_cancel);
  if (m->listener != NULL)
    g_socket_listener_close (m->listener);
  g_clear_object (&m->listener);
}

static void
incoming_clear (VbQemuMigration *m)
{
  stop_listening (m);
  if (m->stream_fd >= 0)
    close (m->stream_fd);
  m->stream_fd = -1;
  m->stream_done = FALSE;
  g_clear_object (&m->qmp);
  g_clear_pointer (&m->cookie, g_free);
  g_clear_pointer (&m->persistent_xml, g_free);
  g_clear_handle_id (&m->timeout_id, g_source_remove);
}

/* Ends the pending start: with @error the QEMU is killed (no events). */
static void
incoming_release (VbObj *dom, GError *error)
{
  VbQemuMigration *m = mig_get (dom);
  g_autoptr(GTask) incoming = g_steal_pointer (&m->incoming);

  g_clear_handle_id (&m->timeout_id, g_source_remove);
  stop_listening (m);
  if (incoming == NULL) {
    if (error != NULL)
      g_error_free (error);
    return;
  }
  if (error != NULL)
    g_task_return_error (incoming, error);
  else
    g_task_return_boolean (incoming, TRUE);
}

static gboolean
on_incoming_timeout (gpointer user_data)
{
  VbObj *dom = user_data;

  mig_get (dom)->timeout_id = 0;
  g_warning ("incoming migration of domain '%s' was not finished within %d s: dropped", dom->name,
             PREPARE_TIMEOUT_S);
  incoming_release (dom, g_error_new (VB_ERROR, VB_ERROR_FAILED, "the incoming migration timed out"));
  return G_SOURCE_REMOVE;
}

static void
fail_prepare_reply (VbObj *dom, const GError *error)
{
  VbQemuMigration *m = mig_get (dom);
  g_autoptr(GTask) reply = g_steal_pointer (&m->prepare_reply);

  if (reply != NULL)
    g_task_return_error (reply, g_error_copy (error));
}

/* The engine received the whole stream (or failed to). */
static void
on_stream_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VbObj) dom = user_data;
  VbQemuMigration *m = mig_get (dom);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_prefix_error (&error, "the migration stream of domain '%s' failed: ", dom->name);
    incoming_release (dom, error);
    return;
  }
  m->stream_done = TRUE;
  /* The guest runs once the source confirmed (Finish). */
  if (m->finish != NULL)
    incoming_release (dom, NULL);
}

/* Both the connection and QEMU are there: QEMU takes the stream. */
static void
feed_stream (VbObj *dom)
{
  VbQemuMigration *m = mig_get (dom);
  g_autoptr(JsonObject) caps = json_object_new ();
  VbQemuIncoming *incoming;
  GTask *inner;

  if (m->stream_fd < 0 || m->incoming == NULL || m->qmp == NULL)
    return;
  incoming = vb_qemu_incoming_new (NULL, m->stream_fd);
  m->stream_fd = -1;
  if (m->in_flags & MIGRATE_POSTCOPY)
    json_object_set_boolean_member (caps, "postcopy-ram", TRUE);
  vb_qemu_incoming_set_capabilities (incoming, caps);
  inner = g_task_new (dom, NULL, on_stream_done, g_object_ref (dom));
  /* The engine duplicates what it keeps of @incoming. */
  vb_qemu_job_incoming_prepare (dom, m->qmp, inner, incoming);
  g_object_unref (inner);
  vb_qemu_incoming_free (incoming);
}

static void
on_accepted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VbObj) dom = user_data;
  VbQemuMigration *m = mig_get (dom);
  GError *error = NULL;
  g_autoptr(GSocketConnection) conn = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL,
                                                                         &error);

  if (conn == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
        !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED)) {
      g_prefix_error (&error, "cannot accept the migration stream: ");
      incoming_release (dom, error);
      return;
    }
    g_error_free (error);
    return;
  }
  /* One stream per migration. */
  stop_listening (m);
  m->stream_fd = dup (g_socket_get_fd (g_socket_connection_get_socket (conn)));
  if (m->stream_fd < 0) {
    incoming_release (dom, g_error_new (VB_ERROR, VB_ERROR_IO, "cannot take the migration stream: %s",
                                        g_strerror (errno)));
    return;
  }
  feed_stream (dom);
}

static void
reply_prepared (VbObj *dom)
{
  VbQemuMigration *m = mig_get (dom);
  g_autoptr(GTask) reply = g_steal_pointer (&m->prepare_reply);
  GVariantBuilder b;
  g_autofree char *uri = NULL;
  const char *name = m->listen_host != NULL ? m->listen_host : g_get_host_name ();

  if (reply == NULL)
    return;
  uri = strchr (name, ':') != NULL ? g_strdup_printf ("tcp:[%s]:%u", name, m->listen_port)
                                   : g_strdup_printf ("tcp:%s:%u", name, m->listen_port);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&b, "{sv}", "uri", g_variant_new_string (uri));
  g_variant_builder_add (&b, "{sv}", "cookie", g_variant_new_string (m->cookie));
  g_variant_builder_add (&b, "{sv}", "port", g_variant_new_uint32 (m->listen_port));
  g_task_return_pointer (reply, g_variant_ref_sink (g_variant_builder_end (&b)), (GDestroyNotify) g_variant_unref);
}

/* VbQemuStartOptions.prepare: QEMU runs with -incoming defer, QMP is up.
 * @task completes when the migration is finished (or failed/cancelled). */
static void
incoming_prepare (VbObj *dom, VbQmp *qmp, GTask *task, gpointer user_data)
{
  VbQemuMigration *m = mig_get (dom);

  m->incoming = g_object_ref (task);
  m->qmp = g_object_ref (qmp);
  m->timeout_id = g_timeout_add_seconds (PREPARE_TIMEOUT_S, on_incoming_timeout, dom);
  /* QEMU is ready for the stream: the source may send it. */
  reply_prepared (dom);
  feed_stream (dom);
}

static void
on_dest_defined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VbObj) dom = user_data;
  VbQemuMigration *m = mig_get (dom);
  g_autoptr(GTask) finish = g_steal_pointer (&m->finish);
  GError *error = NULL;
  g_autoptr(VbObj) defined = g_task_propagate_pointer (G_TASK (result), &error);

  incoming_clear (m);
  if (finish == NULL) {
    g_clear_error (&error);
    return;
  }
  if (error != NULL) {
    /* The guest runs here all the same; say why it is not persistent. */
    g_prefix_error (&error, "domain '%s' runs here but could not be defined: ", dom->name);
    g_task_return_error (finish, error);
    return;
  }
  g_task_return_pointer (finish, g_object_ref (dom), g_object_unref);
}

/* What a failed incoming migration leaves: nothing, once its QEMU is gone
 * (a transient domain that never ran never existed; a persistent one gets
 * its own config back). Then Cancel returns. */
static void
drop_incoming (VbObj *dom)
{
  VbQemuMigration *m = mig_get (dom);
  g_autoptr(GTask) cancel = g_steal_pointer (&m->cancel);

  m->drop_on_exit = FALSE;
  if (!dom->persistent && !dom->active) {
    vb_backend_remove_object (VB_BACKEND (vb_qemu_dom (dom)->backend), dom);
  } else if (!dom->active) {
    vb_obj_apply_newdef (dom);
  }
  if (cancel != NULL)
    g_task_return_boolean (cancel, TRUE);
}

static gboolean
drop_incoming_idle (gpointer user_data)
{
  drop_incoming (user_data);
  return G_SOURCE_REMOVE;
}

static void
on_incoming_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VbObj) dom = user_data;
  VbBackend *backend = VB_BACKEND (source);
  VbQemuMigration *m = mig_get (dom);
  g_autoptr(GTask) finish = NULL;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    fail_prepare_reply (dom, error);
    incoming_release (dom, NULL);
    if (vb_qemu_job_current (dom) == VB_QEMU_JOB_MIGRATION_IN)
      vb_qemu_job_end (dom, error);
    finish = g_steal_pointer (&m->finish);
    if (finish != NULL)
      g_task_return_error (finish, g_error_copy (error));
    else if (m->cancel == NULL && m->cookie != NULL)
      /* Nobody asked yet: the source learns it at Finish. */
      g_hash_table_replace (failed_cookies (backend), g_strdup (m->cookie), g_strdup (error->message));
    g_debug ("incoming migration of domain '%s' ended: %s", dom->name, error->message);
    g_error_free (error);
    incoming_clear (m);
    /* The failed start killed QEMU; its runtime files go when it is gone
     * (the core's exit handling needs the domain until then). */
    if (vb_qemu_dom (dom)->pid > 0)
      m->drop_on_exit = TRUE;
    else
      drop_incoming (dom);
    return;
  }
  if (m->cancel != NULL) {
    g_autoptr(GTask) cancel = g_steal_pointer (&m->cancel);
    g_task_return_new_error (cancel, VB_ERROR, VB_ERROR_OPERATION_INVALID, "the migration already finished");
  }
  if (vb_qemu_job_current (dom) == VB_QEMU_JOB_MIGRATION_IN)
    vb_qemu_job_end (dom, NULL);
  if (m->in_flags & MIGRATE_PERSIST_DEST) {
    g_autofree char *xml = m->persistent_xml != NULL
                             ? g_strdup (m->persistent_xml)
                             : vb_domain_def_format (dom->def, VB_DOMAIN_XML_INACTIVE | VB_DOMAIN_XML_SECURE);
    GTask *define = g_task_new (backend, NULL, on_dest_defined, g_object_ref (dom));
    VB_DOMAIN_OPS_GET_IFACE (backend)->define_xml (backend, xml, 0, define);
    g_object_unref (define);
    return;
  }
  finish = g_steal_pointer (&m->finish);
  incoming_clear (m);
  if (finish != NULL)
    g_task_return_pointer (finish, g_object_ref (dom), g_object_unref);
}

/* "tcp:HOST[:PORT]", "tcp://HOST[:PORT]", "[v6]" hosts; FALSE when
 * malformed. */
static gboolean
split_listen_uri (const char *uri, char **host, guint *port)
{
  const char *rest, *colon;
  g_autofree char *h = NULL;
  guint64 p = 0;

  if (g_str_has_prefix (uri, "tcp://"))
    rest = uri + strlen ("tcp://");
  else if (g_str_has_prefix (uri, "tcp:"))
    rest = uri + strlen ("tcp:");
  else
    return FALSE;
  if (*rest == '[') {
    const char *end = strchr (rest, ']');
    if (end == NULL || (end[1] != '\0' && end[1] != ':'))
      return FALSE;
    h = g_strndup (rest + 1, end - rest - 1);
    colon = end[1] == ':' ? end + 1 : NULL;
  } else {
    colon = strrchr (rest, ':');
    h = colon ? g_strndup (rest, colon - rest) : g_strdup (rest);
  }
  if (colon != NULL && !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &p, NULL))
    return FALSE;
  *host = *h != '\0' ? g_steal_pointer (&h) : NULL;
  *port = (guint) p;
  return TRUE;
}

/* A listener on migrate_uri's address (an IP address of this host; none:
 * every address), port as given or a free one (*@port then set). */
static GSocketListener *
listen_for_stream (const char *migrate_uri, char **host, guint *port, GError **error)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) addr = NULL;
  g_autoptr(GSocketAddress) sa = NULL;
  g_autoptr(GSocketAddress) effective = NULL;

  *host = NULL;
  *port = 0;
  if (migrate_uri != NULL && !split_listen_uri (migrate_uri, host, port)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "invalid migrate_uri '%s' (use tcp:HOST[:PORT])",
                 migrate_uri);
    return NULL;
  }
  g_socket_listener_set_backlog (listener, 1);
  if (*host == NULL) {
    guint16 got = *port ? (g_socket_listener_add_inet_port (listener, *port, NULL, error) ? *port : 0)
                        : g_socket_listener_add_any_inet_port (listener, NULL, error);
    if (got == 0)
      return NULL;
    *port = got;
    return g_steal_pointer (&listener);
  }
  addr = g_inet_address_new_from_string (*host);
  if (addr == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "migrate_uri '%s': the host must be an IP address of the destination", migrate_uri);
    return NULL;
  }
  sa = g_inet_socket_address_new (addr, *port);
  if (!g_socket_listener_add_address (listener, sa, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
                                      error)) {
    g_prefix_error (error, "cannot listen on %s: ", migrate_uri);
    return NULL;
  }
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  return g_steal_pointer (&listener);
}

/* OFFLINE: Prepare only defined the domain; it replies an empty dict. */
static void
on_offline_defined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(VbObj) dom = g_task_propagate_pointer (G_TASK (result), &error);

  if (dom == NULL) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_new ("a{sv}", NULL)), (GDestroyNotify) g_variant_unref);
}

typedef struct {
  char *xml;
  GVariant *params;
  guint flags;
  GTask *task;
} PrepareData;

static void
prepare_data_free (PrepareData *p)
{
  g_free (p->xml);
  g_variant_unref (p->params);
  g_object_unref (p->task);
  g_free (p);
}

static void
prepare_with_caps (VbQemuBackend *self, const VbQemuCaps *caps, const GError *caps_error, gpointer user_data)
{
  PrepareData *p = user_data;
  VbBackend *backend = VB_BACKEND (self);
  GTask *task = p->task;
  g_autoptr(VbDomainDef) def = NULL;
  g_autoptr(VbObj) dom = NULL;
  g_autoptr(GSocketListener) listener = NULL;
  g_autofree char *listen_host = NULL;
  const char *dest_name = NULL, *persistent_xml = NULL, *migrate_uri = NULL;
  guint listen_port = 0;
  GError *error = NULL;
  VbObj *by_uuid, *by_name;
  VbQemuMigration *m;
  VbQemuStartOptions opts = { 0 };
  GTask *start;

  if (caps == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "QEMU (%s) is not usable: %s", self->emulator,
                             caps_error ? caps_error->message : "unknown error");
    prepare_data_free (p);
    return;
  }
  g_variant_lookup (p->params, "destination_name", "&s", &dest_name);
  g_variant_lookup (p->params, "persistent_xml", "&s", &persistent_xml);
  g_variant_lookup (p->params, "migrate_uri", "&s", &migrate_uri);
  if (persistent_xml != NULL && *persistent_xml == '\0')
    persistent_xml = NULL;
  if (migrate_uri != NULL && *migrate_uri == '\0')
    migrate_uri = NULL;
  def = vb_domain_def_parse_full (p->xml, VB_DOMAIN_PARSE_INACTIVE, &error);
  if (def != NULL && dest_name != NULL && *dest_name != '\0') {
    g_free (def->name);
    def->name = g_strdup (dest_name);
  }
  if (def == NULL || !vb_qemu_domain_check_host_paths (def, vb_task_get_caller_creds (task), &error) ||
      !vb_qemu_domain_validate (def, caps, &error)) {
    g_task_return_error (task, error);
    prepare_data_free (p);
    return;
  }

  if (p->flags & MIGRATE_OFFLINE) {
    /* Only the definition moves. */
    g_autofree char *xml = persistent_xml != NULL
                             ? g_strdup (persistent_xml)
                             : vb_domain_def_format (def, VB_DOMAIN_XML_INACTIVE | VB_DOMAIN_XML_SECURE);
    GTask *define = g_task_new (backend, NULL, on_offline_defined, g_object_ref (task));
    VB_DOMAIN_OPS_GET_IFACE (backend)->define_xml (backend, xml, 0, define);
    g_object_unref (define);
    prepare_data_free (p);
    return;
  }

  by_uuid = vb_backend_lookup (backend, VB_OBJ_DOMAIN, def->uuid);
  by_name = vb_backend_lookup_by_name (backend, VB_OBJ_DOMAIN, def->name);
  if (by_uuid != NULL && g_strcmp0 (by_uuid->name, def->name) != 0)
    error = g_error_new (VB_ERROR, VB_ERROR_EXISTS, "domain '%s' is already defined here with uuid %s",
                         by_uuid->name, by_uuid->uuid);
  else if (by_uuid == NULL && by_name != NULL)
    error = g_error_new (VB_ERROR, VB_ERROR_EXISTS, "domain '%s' already exists here with uuid %s", by_name->name,
                         by_name->uuid);
  else if (by_uuid != NULL && (by_uuid->active || vb_qemu_dom (by_uuid)->starting))
    error = g_error_new (VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' is already running here",
                         by_uuid->name);
  /* Its definition stays the persistent one: it must be loaded. */
  if (error == NULL && by_uuid != NULL)
    vb_qemu_domain_ensure_def (by_uuid, &error);
  if (error == NULL)
    listener = listen_for_stream (migrate_uri, &listen_host, &listen_port, &error);
  if (error != NULL) {
    g_task_return_error (task, error);
    prepare_data_free (p);
    return;
  }
  def->id = -1;
  if (by_uuid != NULL) {
    /* Its own definition stays the persistent one. */
    dom = g_object_ref (by_uuid);
    vb_obj_set_newdef (dom, vb_domain_def_copy (dom->def));
    vb_obj_set_def (dom, g_steal_pointer (&def));
  } else {
    dom = vb_qemu_domain_new_obj (self, g_steal_pointer (&def));
    vb_backend_add_object (backend, dom);
    for (guint i = 0; vb_qemu_parts[i] != NULL; i++)
      if (vb_qemu_parts[i]->loaded != NULL)
        vb_qemu_parts[i]->loaded (self, dom);
  }

  m = mig_get (dom);
  incoming_clear (m);
  m->cookie = g_uuid_string_random ();
  m->in_flags = p->flags;
  m->persistent_xml = g_strdup (persistent_xml);
  g_free (m->listen_host);
  m->listen_host = g_steal_pointer (&listen_host);
  m->listen_port = listen_port;
  m->listener = g_steal_pointer (&listener);
  m->accept_cancel = g_cancellable_new ();
  g_socket_listener_accept_async (m->listener, m->accept_cancel, on_accepted, g_object_ref (dom));
  m->prepare_reply = g_object_ref (task);
  if (vb_qemu_job_begin (dom, VB_QEMU_JOB_MIGRATION_IN, TRUE, NULL) == NULL)
    g_debug ("domain '%s': no job for the incoming migration", dom->name);

  opts.incoming = TRUE;
  opts.prepare = incoming_prepare;
  opts.started_detail = VB_QEMU_STARTED_MIGRATED;
  opts.running_reason = VB_QEMU_RUNNING_MIGRATED;
  opts.suspended_detail = VB_QEMU_SUSPENDED_PAUSED;
  opts.paused_reason = VB_QEMU_PAUSED_USER;
  start = g_task_new (backend, NULL, on_incoming_started, g_object_ref (dom));
  vb_qemu_process_start_full (self, dom, (p->flags & MIGRATE_PAUSED) ? VB_QEMU_START_PAUSED : 0, &opts, start);
  g_object_unref (start);
  prepare_data_free (p);
}

static void
qemu_migrate_prepare (VbBackend *backend, const char *xml, GVariant *params, guint flags, GTask *task)
{
  PrepareData *p;
  GError *error = NULL;

  if (!vb_check_flags (flags, MIGRATE_FLAGS, "Prepare", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if ((flags & MIGRATE_OFFLINE) && !(flags & MIGRATE_PERSIST_DEST))
    FAIL (task, VB_ERROR_INVALID_ARG, "offline migration requires the PERSIST_DEST flag");
  p = g_new0 (PrepareData, 1);
  p->xml = g_strdup (xml);
  p->params = g_variant_ref (params);
  p->flags = flags;
  p->task = g_object_ref (task);
  vb_qemu_backend_when_caps_ready (VB_QEMU_BACKEND (backend), prepare_with_caps, p);
}

static void
qemu_migrate_finish (VbBackend *backend, const char *cookie, guint flags, GTask *task)
{
  VbObj *dom = find_incoming (backend, cookie);
  const char *failed = g_hash_table_lookup (failed_cookies (backend), cookie);
  VbQemuMigration *m;
  GError *error = NULL;

  if (!vb_check_flags (flags, MIGRATE_FLAGS, "Finish", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (dom == NULL && failed != NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "%s", failed);
    g_hash_table_remove (failed_cookies (backend), cookie);
    return;
  }
  if (dom == NULL)
    FAIL (task, VB_ERROR_NOT_FOUND, "no incoming migration '%s' (it may have timed out)", cookie);
  m = mig_get (dom);
  if (m->finish != NULL || m->cancel != NULL || m->incoming == NULL)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "the incoming migration of domain '%s' is already ending", dom->name);
  m->finish = g_object_ref (task);
  /* Normally the stream is complete (the source's QEMU said so); else its
   * end releases the guest. */
  if (m->stream_done)
    incoming_release (dom, NULL);
}

static void
qemu_migrate_cancel (VbBackend *backend, const char *cookie, guint flags, GTask *task)
{
  VbObj *dom = find_incoming (backend, cookie);
  VbQemuMigration *m;
  GError *error = NULL;

  if (!vb_check_flags (flags, MIGRATE_FLAGS, "Cancel", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (dom == NULL && g_hash_table_remove (failed_cookies (backend), cookie)) {
    /* It failed by itself: nothing is left of it. */
    g_task_return_boolean (task, TRUE);
    return;
  }
  if (dom == NULL)
    FAIL (task, VB_ERROR_NOT_FOUND, "no incoming migration '%s' (it may have timed out)", cookie);
  m = mig_get (dom);
  if (m->cancel != NULL || m->finish != NULL || m->incoming == NULL)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "the incoming migration of domain '%s' is already ending", dom->name);
  m->cancel = g_object_ref (task);
  incoming_release (dom, g_error_new (VB_ERROR, VB_ERROR_FAILED, "the source cancelled the migration"));
}

/* ---- tunables ---- */

static void
apply_parameters (VbObj *dom, GTask *task)
{
  VbQemuMigration *m = mig_get (dom);
  g_autoptr(JsonObject) args = NULL; /* the call takes its own reference */

  /* Only a running migration needs QEMU told now; the next one sets them. */
  if (!m->out_active || !dom->active) {
    g_task_return_boolean (task, TRUE);
    return;
  }
  args = parameters_args (m);
  vb_qemu_process_qmp_void (dom, "migrate-set-parameters", args, task);
}

static void
qemu_migrate_set_max_speed (VbBackend *backend, VbObj *dom, guint64 bandwidth, guint flags, GTask *task)
{
  VbQemuMigration *m = mig_get (dom);
  GError *error = NULL;

  if (!vb_check_flags (flags, MAX_SPEED_POSTCOPY, "MigrateSetMaxSpeed", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (bandwidth > BANDWIDTH_UNLIMITED)
    FAIL (task, VB_ERROR_INVALID_ARG, "bandwidth must be at most %" G_GUINT64_FORMAT " MiB/s", BANDWIDTH_UNLIMITED);
  if (flags & MAX_SPEED_POSTCOPY)
    m->max_speed_postcopy = bandwidth;
  else
    m->max_speed = bandwidth;
  apply_parameters (dom, task);
}

static void
qemu_migrate_get_max_speed (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  VbQemuMigration *m = mig_get (dom);
  GError *error = NULL;
  guint64 speed;

  if (!vb_check_flags (flags, MAX_SPEED_POSTCOPY, "MigrateGetMaxSpeed", &error)) {
    g_task_return_error (task, error);
    return;
  }
  speed = (flags & MAX_SPEED_POSTCOPY) ? m->max_speed_postcopy : m->max_speed;
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_new_uint64 (speed ? speed : BANDWIDTH_UNLIMITED)),
                         (GDestroyNotify) g_variant_unref);
}

static void
qemu_migrate_set_max_downtime (VbBackend *backend, VbObj *dom, guint64 downtime, guint flags, GTask *task)
{
  GError *error = NULL;

  if (!vb_check_flags (flags, 0, "MigrateSetMaxDowntime", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (downtime == 0 || downtime > DOWNTIME_MAX)
    FAIL (task, VB_ERROR_INVALID_ARG, "downtime must be 1 to %d ms", DOWNTIME_MAX);
  mig_get (dom)->max_downtime = downtime;
  apply_parameters (dom, task);
}

/* The XBZRLE cache (compressed pages of a live migration with the
 * COMPRESSED flag): QEMU's own setting, asked for and set on the running
 * guest, as libvirt does. */
static void
on_compression_cache (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonNode) ret = g_task_propagate_pointer (G_TASK (result), &error);
  JsonObject *obj = ret != NULL && JSON_NODE_HOLDS_OBJECT (ret) ? json_node_get_object (ret) : NULL;
  gint64 size;

  if (error != NULL) {
    g_task_return_error (task, error);
    return;
  }
  if (obj == NULL || !json_object_has_member (obj, "xbzrle-cache-size") ||
      (size = json_object_get_int_member (obj, "xbzrle-cache-size")) < 0)
    FAIL (task, VB_ERROR_FAILED, "QEMU did not report the size of its migration compression cache");
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_new_uint64 ((guint64) size)),
                         (GDestroyNotify) g_variant_unref);
}

static void
qemu_migrate_get_compression_cache (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  GError *error = NULL;
  GTask *inner;

  if (!vb_check_flags (flags, 0, "MigrateGetCompressionCache", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (!dom->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
  inner = g_task_new (dom, NULL, on_compression_cache, g_object_ref (task));
  vb_qemu_process_qmp (dom, "query-migrate-parameters", NULL, inner);
  g_object_unref (inner);
}

static void
qemu_migrate_set_compression_cache (VbBackend *backend, VbObj *dom, guint64 size, guint flags, GTask *task)
{
  g_autoptr(JsonObject) args = NULL;
  GError *error = NULL;

  if (!vb_check_flags (flags, 0, "MigrateSetCompressionCache", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (!dom->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
  if (size > G_MAXINT64)
    FAIL (task, VB_ERROR_INVALID_ARG, "cache size %" G_GUINT64_FORMAT " is too large", size);
  /* QEMU checks the rest (a page at least, no more than guest RAM). */
  args = json_object_new ();
  json_object_set_int_member (args, "xbzrle-cache-size", (gint64) size);
  vb_qemu_process_qmp_void (dom, "migrate-set-parameters", args, task);
}

static void
qemu_migrate_start_post_copy (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  VbQemuMigration *m = mig_get (dom);
  GError *error = NULL;

  if (!vb_check_flags (flags, 0, "MigrateStartPostCopy", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (!m->out_active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not being migrated", dom->name);
  if (!(m->out_flags & MIGRATE_POSTCOPY))
    FAIL (task, VB_ERROR_OPERATION_INVALID, "the migration of domain '%s' was not started with the POSTCOPY flag",
          dom->name);
  vb_qemu_process_qmp_void (dom, "migrate-start-postcopy", NULL, task);
}

/* ---- part hooks ---- */

static gboolean
migrate_event (VbObj *dom, const char *name, JsonObject *data)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  VbQemuMigration *m = d->migration;

  if (m == NULL)
    return FALSE;
  /* Each pre-copy pass of an outgoing migration (when the job part lets
   * MIGRATION_PASS through to the parts after it). */
  if (g_strcmp0 (name, "MIGRATION_PASS") == 0 && m->out_active && data != NULL &&
      json_object_has_member (data, "pass")) {
    vb_backend_emit_domain_signal (VB_BACKEND (d->backend), dom, "MigrationIteration",
                                   g_variant_new ("(i)", (gint32) json_object_get_int_member (data, "pass")));
    return FALSE;
  }
  return FALSE;
}

static void
migrate_stopped (VbObj *dom, gboolean detached)
{
  VbQemuMigration *m = vb_qemu_dom (dom)->migration;

  if (m == NULL)
    return;
  /* (An incoming migration's QEMU that exits fails its start; the engine
   * fails an outgoing one.) */
  g_clear_object (&m->qmp);
  /* After the core is done with the exit. */
  if (m->drop_on_exit && !detached)
    g_idle_add_full (G_PRIORITY_DEFAULT, drop_incoming_idle, g_object_ref (dom), g_object_unref);
}

static void
migrate_dom_free (VbQemuDom *d)
{
  VbQemuMigration *m = g_steal_pointer (&d->migration);

  if (m == NULL)
    return;
  incoming_clear (m);
  g_free (m->listen_host);
  g_clear_object (&m->prepare_reply);
  g_clear_object (&m->incoming);
  g_clear_object (&m->finish);
  g_clear_object (&m->cancel);
  g_free (m);
}

static void
migrate_ops_init (VbDomainOpsInterface *iface)
{
  iface->migrate_begin = qemu_migrate_begin;
  iface->migrate_perform = qemu_migrate_perform;
  iface->migrate_confirm = qemu_migrate_confirm;
  iface->migrate_prepare = qemu_migrate_prepare;
  iface->migrate_finish = qemu_migrate_finish;
  iface->migrate_cancel = qemu_migrate_cancel;
  iface->migrate_set_max_speed = qemu_migrate_set_max_speed;
  iface->migrate_get_max_speed = qemu_migrate_get_max_speed;
  iface->migrate_set_max_downtime = qemu_migrate_set_max_downtime;
  iface->migrate_get_compression_cache = qemu_migrate_get_compression_cache;
  iface->migrate_set_compression_cache = qemu_migrate_set_compression_cache;
  iface->migrate_start_post_copy = qemu_migrate_start_post_copy;
}

const VbQemuPart vb_qemu_part_migrate = {
  .name = "migrate",
  .ops_init = migrate_ops_init,
  .event = migrate_event,
  .stopped = migrate_stopped,
  .dom_free = migrate_dom_free,
};
