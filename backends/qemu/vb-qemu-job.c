/* Jobs of a domain: one at a time (vb-qemu-job.h), their progress
 * (GetJobInfo, GetJobStats, JobCompleted), AbortJob, and the engine that
 * moves a guest's state with QEMU's migration. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vb-qemu-job.h"
#include "vb-qemu-process.h"

/* virDomainGetJobStatsFlags */
enum { JOB_STATS_COMPLETED = 1 << 0, JOB_STATS_KEEP_COMPLETED = 1 << 1 };

#define MIGRATE_OUT_FD_NAME "vb-migrate-out"
#define MIGRATE_IN_FD_NAME "vb-migrate-in"

typedef struct {
  VbQemuJobKind kind;
  gboolean uses_migration;
  gint64 started;            /* monotonic µs */
  GCancellable *cancellable;
  gboolean aborted;          /* AbortJob was called */
  JsonObject *migrate_info;  /* last query-migrate answer, or NULL */
  char *migrate_status;      /* last MIGRATION event's status */
  gint64 iteration;          /* MIGRATION_PASS */
  /* What a later daemon must undo if this one dies during the job
   * (vb_qemu_job_set_recovery); kept in the runtime state file. */
  gboolean recoverable;
  gboolean was_running;
  gboolean managed;
  gboolean sent;
  char *image;
} ActiveJob;

struct _VbQemuJob {
  ActiveJob *active;
  GVariant *completed;       /* (ia{sv}) of the last finished job, or NULL */
  GTask *migration_waiter;   /* waits for a final MIGRATION status [s] */
  gboolean reactivating;     /* vb_qemu_job_reactivate_async: its STOP/RESUME are not the guest's */
};

static const char *
job_kind_name (VbQemuJobKind kind)
{
  switch (kind) {
  case VB_QEMU_JOB_START: return "start";
  case VB_QEMU_JOB_SAVE: return "save";
  case VB_QEMU_JOB_RESTORE: return "restore";
  case VB_QEMU_JOB_MIGRATION_IN: return "incoming migration";
  case VB_QEMU_JOB_MIGRATION_OUT: return "migration";
  case VB_QEMU_JOB_SNAPSHOT: return "snapshot";
  case VB_QEMU_JOB_SNAPSHOT_REVERT: return "snapshot revert";
  case VB_QEMU_JOB_DUMP: return "dump";
  case VB_QEMU_JOB_NONE:
  default: return "job";
  }
}

static void
active_job_free (ActiveJob *job)
{
  if (job == NULL)
    return;
  g_clear_object (&job->cancellable);
  g_clear_pointer (&job->migrate_info, json_object_unref);
  g_free (job->migrate_status);
  g_free (job->image);
  g_free (job);
}

/* The per-domain record exists from the first job on. */
static VbQemuJob *
job_data (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  if (d->job == NULL)
    d->job = g_new0 (VbQemuJob, 1);
  return d->job;
}

static ActiveJob *
active_job (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  return d != NULL && d->job != NULL ? d->job->active : NULL;
}

GCancellable *
vb_qemu_job_begin (VbObj *dom, VbQemuJobKind kind, gboolean uses_migration, GError **error)
{
  VbQemuJob *data = job_data (dom);
  ActiveJob *job;

  if (data->active != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "cannot start a %s on domain '%s': a %s job is already running", job_kind_name (kind), dom->name,
                 job_kind_name (data->active->kind));
    return NULL;
  }
  job = g_new0 (ActiveJob, 1);
  job->kind = kind;
  job->uses_migration = uses_migration;
  job->started = g_get_monotonic_time ();
  job->cancellable = g_cancellable_new ();
  data->active = job;
  return job->cancellable;
}

VbQemuJobKind
vb_qemu_job_current (VbObj *dom)
{
  ActiveJob *job = active_job (dom);

  return job != NULL ? job->kind : VB_QEMU_JOB_NONE;
}

GError *
vb_qemu_job_cancelled_error (VbObj *dom)
{
  ActiveJob *job = active_job (dom);

  return g_error_new (VB_ERROR, VB_ERROR_FAILED, "operation aborted: %s job of domain '%s' cancelled by client",
                      job_kind_name (job != NULL ? job->kind : VB_QEMU_JOB_NONE), dom->name);
}

/* ---- disks back after a migration to a file ---- */

static void
on_reactivate_cont (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* The `stop` behind it says how it ended. */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_set_task_data (task, g_steal_pointer (&error), (GDestroyNotify) g_error_free);
}

static void
on_reactivate_stop (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VbObj *dom = g_task_get_source_object (task);
  VbQemuDom *d = vb_qemu_dom (dom);
  const GError *cont_error = g_task_get_task_data (task);
  GError *error = NULL;

  d->job->reactivating = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    /* The CPUs may run: the domain says so rather than lie. */
    if (cont_error == NULL && dom->active)
      vb_qemu_process_note_resumed (dom);
    g_prefix_error (&error, "the guest could not be paused again after its disks were taken back: ");
    g_task_return_error (task, error);
    return;
  }
  if (cont_error != NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "QEMU did not take its disks back after writing "
                             "the guest's state to a file (block jobs, snapshots and saves fail until the domain "
                             "is resumed): %s", cont_error->message);
    return;
  }
  g_task_return_boolean (task, TRUE);
}

void
vb_qemu_job_reactivate_async (VbObj *dom, GAsyncReadyCallback callback, gpointer user_data)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autoptr(GTask) task = g_task_new (dom, NULL, callback, user_data);
  g_autoptr(GTask) cont = g_task_new (NULL, NULL, on_reactivate_cont, g_object_ref (task));
  g_autoptr(GTask) stop = g_task_new (NULL, NULL, on_reactivate_stop, g_object_ref (task));

  g_task_set_source_tag (task, vb_qemu_job_reactivate_async);
  job_data (dom);
  d->job->reactivating = TRUE;
  /* Both at once: QEMU runs them one after the other, the CPUs running
   * only in between. */
  vb_qemu_process_qmp_void (dom, "cont", NULL, cont);
  vb_qemu_process_qmp_void (dom, "stop", NULL, stop);
}

gboolean
vb_qemu_job_reactivate_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
vb_qemu_job_disks_handed_over (JsonObject *status)
{
  return status != NULL &&
         g_strcmp0 (json_object_get_string_member_with_default (status, "status", NULL), "postmigrate") == 0;
}

/* ---- a job cut short by the daemon's end ---- */

void
vb_qemu_job_set_recovery (VbObj *dom, gboolean was_running, const char *image, gboolean managed)
{
  ActiveJob *job = active_job (dom);

  g_return_if_fail (job != NULL);
  job->recoverable = TRUE;
  job->was_running = was_running;
  job->managed = managed;
  g_free (job->image);
  job->image = g_strdup (image);
  /* On disk before the job changes anything. */
  vb_qemu_process_save_state (dom, NULL);
}

void
vb_qemu_job_note_sent (VbObj *dom)
{
  ActiveJob *job = active_job (dom);

  if (job == NULL || !job->recoverable)
    return;
  job->sent = TRUE;
  vb_qemu_process_save_state (dom, NULL);
}

static void
job_save_state (VbObj *dom, JsonBuilder *b)
{
  ActiveJob *job = active_job (dom);

  if (job == NULL || !job->recoverable)
    return;
  json_builder_set_member_name (b, "job");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind");
  json_builder_add_int_value (b, job->kind);
  json_builder_set_member_name (b, "was-running");
  json_builder_add_boolean_value (b, job->was_running);
  json_builder_set_member_name (b, "sent");
  json_builder_add_boolean_value (b, job->sent);
  if (job->image != NULL) {
    json_builder_set_member_name (b, "image");
    json_builder_add_string_value (b, job->image);
    json_builder_set_member_name (b, "managed");
    json_builder_add_boolean_value (b, job->managed);
  }
  json_builder_end_object (b);
}

typedef struct {
  VbObj *dom;
  VbQemuJobKind kind;
  gboolean was_running;
  gboolean sent;
  gboolean managed;
  char *image;
  gboolean cancel_sent;
  guint polls;
} Recovery;

static gboolean recovery_current (Recovery *r);

/* The recovery is over: the state file forgets the job (a daemon dying
 * before this undoes it again; each step can be repeated). */
static void
recovery_free (Recovery *r)
{
  if (recovery_current (r))
    vb_qemu_process_save_state (r->dom, NULL);
  g_object_unref (r->dom);
  g_free (r->image);
  g_free (r);
}

/* Still attached to the QEMU the recovery began with. */
static gboolean
recovery_current (Recovery *r)
{
  return r->dom->active && vb_qemu_process_get_qmp (r->dom) != NULL;
}

static void
on_recovery_cont (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Recovery *r = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);

  if (ret == NULL) {
    g_warning ("domain '%s': cannot resume it after its interrupted %s: %s", r->dom->name,
               job_kind_name (r->kind), error->message);
    vb_qemu_dom (r->dom)->resume_reason = vb_qemu_dom (r->dom)->resume_detail = -1;
  } else {
    /* Normally its RESUME came first. */
    vb_qemu_process_note_resumed (r->dom);
  }
  recovery_free (r);
}

static void
on_recovery_reactivated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Recovery *r = user_data;
  g_autoptr(GError) error = NULL;

  if (!vb_qemu_job_reactivate_finish (result, &error))
    g_warning ("domain '%s': %s", r->dom->name, error->message);
  recovery_free (r);
}

static void
on_recovery_status (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Recovery *r = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);
  VbQemuDom *d = vb_qemu_dom (r->dom);

  if (ret == NULL || !JSON_NODE_HOLDS_OBJECT (ret) || !recovery_current (r)) {
    if (error != NULL)
      g_warning ("domain '%s': query-status failed: %s", r->dom->name, error->message);
    recovery_free (r);
    return;
  }
  /* Only a guest the job stopped runs again; a user's pause stays, but a
   * finished migration to a file left QEMU without its disks. */
  if (!r->was_running || json_object_get_boolean_member_with_default (json_node_get_object (ret), "running", FALSE)) {
    if (vb_qemu_job_disks_handed_over (json_node_get_object (ret))) {
      vb_qemu_job_reactivate_async (r->dom, on_recovery_reactivated, r);
      return;
    }
    recovery_free (r);
    return;
  }
  if (r->kind == VB_QEMU_JOB_SAVE) {
    d->resume_reason = VB_QEMU_RUNNING_SAVE_CANCELED;
    d->resume_detail = VB_QEMU_RESUMED_UNPAUSED;
  } else if (r->kind == VB_QEMU_JOB_MIGRATION_OUT) {
    d->resume_reason = VB_QEMU_RUNNING_MIGRATION_CANCELED;
    d->resume_detail = VB_QEMU_RESUMED_MIGRATED;
  }
  vb_qmp_execute_async (VB_QMP (source), "cont", NULL, NULL, on_recovery_cont, r);
}

/* The migration is over: the job's file goes, the guest runs again. */
static void
recovery_roll_back (Recovery *r)
{
  if (r->image != NULL) {
    if (unlink (r->image) < 0 && errno != ENOENT)
      g_warning ("domain '%s': cannot remove the image of its interrupted save '%s': %s", r->dom->name,
                 r->image, g_strerror (errno));
    /* Not a managed save any more: a start must not restore it. */
    if (r->managed)
      r->dom->has_managed_save = FALSE;
  }
  vb_qmp_execute_async (vb_qemu_process_get_qmp (r->dom), "query-status", NULL, NULL, on_recovery_status, r);
}

static void recovery_poll (Recovery *r);

static gboolean
recovery_poll_again (gpointer user_data)
{
  Recovery *r = user_data;

  if (!recovery_current (r)) {
    recovery_free (r);
    return G_SOURCE_REMOVE;
  }
  recovery_poll (r);
  return G_SOURCE_REMOVE;
}

/* QEMU's migration statuses while one is under way. */
static gboolean
migration_under_way (const char *status)
{
  static const char *const busy[] = { "setup", "active", "pre-switchover", "device", "wait-unplug", "cancelling",
                                      NULL };

  return status != NULL && g_strv_contains (busy, status);
}

static void
on_recovery_migrate_info (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Recovery *r = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);
  const char *status = NULL;

  if (!recovery_current (r)) {
    recovery_free (r);
    return;
  }
  if (ret != NULL && JSON_NODE_HOLDS_OBJECT (ret))
    status = json_object_get_string_member_with_default (json_node_get_object (ret), "status", NULL);
  else if (error != NULL)
    g_warning ("domain '%s': query-migrate failed: %s", r->dom->name, error->message);

  if (r->kind == VB_QEMU_JOB_MIGRATION_OUT &&
      (r->sent || g_strcmp0 (status, "completed") == 0 || (status != NULL && g_str_has_prefix (status, "postcopy")))) {
    /* The destination has the whole guest and may already run it (the
     * daemon may have finished it there before it died): running it here
     * too would have two guests write the same disks. */
    g_warning ("domain '%s': its migration was cut short by a restart of virtbusd after QEMU had sent the "
               "guest; it may run at the destination, so it stays paused here (destroy it once it runs there, "
               "resume it if it does not)", r->dom->name);
    if (r->dom->state == VB_DOMAIN_PAUSED || r->dom->state == VB_DOMAIN_RUNNING) {
      vb_obj_set_state (r->dom, VB_DOMAIN_PAUSED, VB_QEMU_PAUSED_MIGRATION, r->dom->id);
      vb_qemu_process_save_state (r->dom, NULL);
    }
    recovery_free (r);
    return;
  }
  if (migration_under_way (status)) {
    if (!r->cancel_sent) {
      r->cancel_sent = TRUE;
      vb_qmp_execute_async (VB_QMP (source), "migrate_cancel", NULL, NULL, NULL, NULL);
    }
    /* About 10 s for QEMU to let go of the stream. */
    if (++r->polls > 200) {
      g_warning ("domain '%s': the migration of its interrupted %s does not stop; leaving it as it is",
                 r->dom->name, job_kind_name (r->kind));
      recovery_free (r);
      return;
    }
    g_timeout_add (50, recovery_poll_again, r);
    return;
  }
  recovery_roll_back (r);
}

static void
recovery_poll (Recovery *r)
{
  vb_qmp_execute_async (vb_qemu_process_get_qmp (r->dom), "query-migrate", NULL, NULL, on_recovery_migrate_info,
                        r);
}

/* A new daemon found @dom's QEMU after the last one died during a save, a
 * core dump, a memory snapshot or an outgoing migration: as libvirt, the job is undone — QEMU's migration
 * cancelled, a save image we created removed, a guest the job paused run
 * again — except when the guest may already run at a migration's
 * destination. */
static void
job_reattached (VbObj *dom, JsonObject *state)
{
  JsonNode *node = json_object_get_member (state, "job");
  JsonObject *rec;
  Recovery *r;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  rec = json_node_get_object (node);
  r = g_new0 (Recovery, 1);
  r->dom = g_object_ref (dom);
  r->kind = (VbQemuJobKind) json_object_get_int_member_with_default (rec, "kind", VB_QEMU_JOB_NONE);
  r->was_running = json_object_get_boolean_member_with_default (rec, "was-running", FALSE);
  r->sent = json_object_get_boolean_member_with_default (rec, "sent", FALSE);
  r->image = g_strdup (json_object_get_string_member_with_default (rec, "image", NULL));
  r->managed = json_object_get_boolean_member_with_default (rec, "managed", FALSE);
  if (r->kind != VB_QEMU_JOB_SAVE && r->kind != VB_QEMU_JOB_MIGRATION_OUT && r->kind != VB_QEMU_JOB_DUMP &&
      r->kind != VB_QEMU_JOB_SNAPSHOT) {
    g_warning ("domain '%s': unknown interrupted job %d in its state file", dom->name, (int) r->kind);
    recovery_free (r);
    return;
  }
  g_warning ("domain '%s': its %s was cut short by a restart of virtbusd; undoing it", dom->name,
             job_kind_name (r->kind));
  recovery_poll (r);
}

/* ---- figures ---- */

static gint64
member_int (JsonObject *obj, const char *name)
{
  return obj != NULL ? json_object_get_int_member_with_default (obj, name, 0) : 0;
}

static void
add_t (GVariantBuilder *b, const char *key, gint64 value)
{
  g_variant_builder_add (b, "{sv}", key, g_variant_new_uint64 (value > 0 ? (guint64) value : 0));
}

/* libvirt's job typed parameters of @job (VIR_DOMAIN_JOB_*). */
static GVariant *
job_params (ActiveJob *job, gboolean finished, const GError *error)
{
  GVariantBuilder b;
  JsonObject *info = job->migrate_info;
  JsonObject *ram = vb_qmp_member_obj (info, "ram");
  JsonObject *disk = vb_qmp_member_obj (info, "disk");
  gint64 elapsed_ms = (g_get_monotonic_time () - job->started) / 1000;
  gint64 iteration = MAX (job->iteration, member_int (ram, "dirty-sync-count"));

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&b, "{sv}", "operation", g_variant_new_int32 (job->kind));
  add_t (&b, "time_elapsed", elapsed_ms);
  if (job->uses_migration) {
    gint64 mem_total = member_int (ram, "total"), mem_done = member_int (ram, "transferred");
    gint64 mem_left = member_int (ram, "remaining");
    gint64 disk_total = member_int (disk, "total"), disk_done = member_int (disk, "transferred");
    gint64 disk_left = member_int (disk, "remaining");
    double mbps = ram != NULL && json_object_has_member (ram, "mbps")
                    ? json_object_get_double_member (ram, "mbps") : 0.0;

    if (finished && error == NULL) {
      /* Whatever QEMU last said, a finished transfer has nothing left. */
      mem_done = MAX (mem_done, mem_total - mem_left);
      mem_left = 0;
      disk_left = 0;
    }
    add_t (&b, "data_total", mem_total + disk_total);
    add_t (&b, "data_processed", mem_done + disk_done);
    add_t (&b, "data_remaining", mem_left + disk_left);
    add_t (&b, "memory_total", mem_total);
    add_t (&b, "memory_processed", mem_done);
    add_t (&b, "memory_remaining", mem_left);
    add_t (&b, "memory_constant", member_int (ram, "duplicate"));
    add_t (&b, "memory_normal", member_int (ram, "normal"));
    add_t (&b, "memory_normal_bytes", member_int (ram, "normal-bytes"));
    /* QEMU's mbps are megabits per second. */
    add_t (&b, "memory_bps", (gint64) (mbps * 1000.0 * 1000.0 / 8.0));
    add_t (&b, "memory_dirty_rate", member_int (ram, "dirty-pages-rate"));
    add_t (&b, "memory_page_size", member_int (ram, "page-size"));
    add_t (&b, "memory_iteration", iteration);
    add_t (&b, "memory_postcopy_requests", member_int (ram, "postcopy-requests"));
    add_t (&b, "disk_total", disk_total);
    add_t (&b, "disk_processed", disk_done);
    add_t (&b, "disk_remaining", disk_left);
    if (info != NULL && json_object_has_member (info, "setup-time"))
      add_t (&b, "setup_time", member_int (info, "setup-time"));
    if (info != NULL && json_object_has_member (info, "downtime"))
      add_t (&b, "downtime", member_int (info, "downtime"));
    else if (info != NULL && json_object_has_member (info, "expected-downtime"))
      add_t (&b, "downtime", member_int (info, "expected-downtime"));
  }
  if (finished) {
    g_variant_builder_add (&b, "{sv}", "success", g_variant_new_boolean (error == NULL));
    if (error != NULL)
      g_variant_builder_add (&b, "{sv}", "errmsg", g_variant_new_string (error->message));
  }
  return g_variant_builder_end (&b);
}

void
vb_qemu_job_end (VbObj *dom, const GError *error)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  ActiveJob *job = active_job (dom);
  GVariant *params;
  int type;

  if (job == NULL)
    return;
  if (error == NULL)
    type = VB_QEMU_JOB_TYPE_COMPLETED;
  else if (job->aborted || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    type = VB_QEMU_JOB_TYPE_CANCELLED;
  else
    type = VB_QEMU_JOB_TYPE_FAILED;
  params = g_variant_ref_sink (job_params (job, TRUE, error));
  g_clear_pointer (&d->job->completed, g_variant_unref);
  d->job->completed = g_variant_ref_sink (g_variant_new ("(i@a{sv})", type, params));
  d->job->active = NULL;
  /* Nothing to recover any more. */
  if (job->recoverable && d->pid > 0)
    vb_qemu_process_save_state (dom, NULL);
  active_job_free (job);
  vb_backend_emit_domain_signal (VB_BACKEND (d->backend), dom, "JobCompleted", g_variant_new ("(@a{sv})", params));
  g_variant_unref (params);
}

/* ---- GetJobInfo, GetJobStats, AbortJob ---- */

typedef struct {
  VbObj *dom;
  gboolean stats;  /* GetJobStats (else GetJobInfo) */
} JobQuery;

static void
job_query_free (gpointer data)
{
  JobQuery *q = data;

  g_object_unref (q->dom);
  g_free (q);
}

static void
return_progress (GTask *task, VbObj *dom, gboolean stats)
{
  ActiveJob *job = active_job (dom);
  GVariant *value;

  if (job == NULL) {
    /* Ended while we asked QEMU. */
    if (stats)
      value = g_variant_new ("(i@a{sv})", VB_QEMU_JOB_TYPE_NONE, g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0));
    else
      value = g_variant_new ("(ittttttttttt)", VB_QEMU_JOB_TYPE_NONE, (guint64) 0, (guint64) 0, (guint64) 0,
                             (guint64) 0, (guint64) 0, (guint64) 0, (guint64) 0, (guint64) 0, (guint64) 0,
                             (guint64) 0, (guint64) 0);
  } else if (stats) {
    value = g_variant_new ("(i@a{sv})", VB_QEMU_JOB_TYPE_UNBOUNDED, job_params (job, FALSE, NULL));
  } else {
    g_autoptr(GVariant) params = g_variant_ref_sink (job_params (job, FALSE, NULL));
    guint64 elapsed = 0, data_total = 0, data_done = 0, data_left = 0, mem_total = 0, mem_done = 0, mem_left = 0;

    g_variant_lookup (params, "time_elapsed", "t", &elapsed);
    g_variant_lookup (params, "data_total", "t", &data_total);
    g_variant_lookup (params, "data_processed", "t", &data_done);
    g_variant_lookup (params, "data_remaining", "t", &data_left);
    g_variant_lookup (params, "memory_total", "t", &mem_total);
    g_variant_lookup (params, "memory_processed", "t", &mem_done);
    g_variant_lookup (params, "memory_remaining", "t", &mem_left);
    /* No estimate of the time left: an unbounded job. */
    value = g_variant_new ("(ittttttttttt)", VB_QEMU_JOB_TYPE_UNBOUNDED, elapsed, (guint64) 0, data_total, data_done,
                           data_left, mem_total, mem_done, mem_left, (guint64) 0, (guint64) 0, (guint64) 0);
  }
  g_task_return_pointer (task, g_variant_ref_sink (value), (GDestroyNotify) g_variant_unref);
}

static void
on_progress_queried (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  JobQuery *q = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  JsonNode *ret = g_task_propagate_pointer (G_TASK (result), &error);
  ActiveJob *job = active_job (q->dom);

  /* Progress is best effort: the job may just have ended. */
  if (ret != NULL && JSON_NODE_HOLDS_OBJECT (ret) && job != NULL) {
    g_clear_pointer (&job->migrate_info, json_object_unref);
    job->migrate_info = json_object_ref (json_node_get_object (ret));
  }
  if (ret != NULL)
    json_node_unref (ret);
  return_progress (task, q->dom, q->stats);
}

/* Asks QEMU for fresh figures when the job migrates (no polling timer:
 * only when a caller asks), then answers. */
static void
query_progress (VbBackend *backend, VbObj *dom, gboolean stats, GTask *task)
{
  ActiveJob *job = active_job (dom);
  JobQuery *q;
  g_autoptr(GTask) inner = NULL;

  if (job == NULL || !job->uses_migration || vb_qemu_process_get_qmp (dom) == NULL) {
    return_progress (task, dom, stats);
    return;
  }
  q = g_new0 (JobQuery, 1);
  q->dom = g_object_ref (dom);
  q->stats = stats;
  g_task_set_task_data (task, q, job_query_free);
  inner = g_task_new (backend, NULL, on_progress_queried, g_object_ref (task));
  vb_qemu_process_qmp (dom, "query-migrate", NULL, inner);
}

static void
qemu_get_job_info (VbBackend *backend, VbObj *dom, GTask *task)
{
  query_progress (backend, dom, FALSE, task);
}

static void
qemu_get_job_stats (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  GError *error = NULL;

  if (!vb_check_flags (flags, JOB_STATS_COMPLETED | JOB_STATS_KEEP_COMPLETED, "GetJobStats", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (flags & JOB_STATS_COMPLETED) {
    GVariant *value;
    if (d->job != NULL && d->job->completed != NULL)
      value = g_variant_ref (d->job->completed);
    else
      value = g_variant_ref_sink (g_variant_new ("(i@a{sv})", VB_QEMU_JOB_TYPE_NONE,
                                                 g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)));
    /* Read once, unless the caller wants to keep it. */
    if (!(flags & JOB_STATS_KEEP_COMPLETED) && d->job != NULL)
      g_clear_pointer (&d->job->completed, g_variant_unref);
    g_task_return_pointer (task, value, (GDestroyNotify) g_variant_unref);
    return;
  }
  query_progress (backend, dom, TRUE, task);
}

static void
qemu_abort_job (VbBackend *backend, VbObj *dom, GTask *task)
{
  ActiveJob *job = active_job (dom);

  if (job == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "no job is active on the domain '%s'",
                             dom->name);
    return;
  }
  /* Whoever runs the job reacts (migrate_cancel for migrations) and ends
   * it; its own caller sees the job fail as cancelled. */
  job->aborted = TRUE;
  g_cancellable_cancel (job->cancellable);
  g_task_return_boolean (task, TRUE);
}

/* ---- waiting for the end of a migration ---- */

/* Completes the migration waiter with the final status (a string). */
static void
finish_waiter (VbObj *dom, const char *status, GError *error)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  GTask *waiter;

  if (d->job == NULL || d->job->migration_waiter == NULL) {
    g_clear_error (&error);
    return;
  }
  waiter = g_steal_pointer (&d->job->migration_waiter);
  if (error != NULL)
    g_task_return_error (waiter, error);
  else
    g_task_return_pointer (waiter, g_strdup (status), g_free);
  g_object_unref (waiter);
}

static gboolean
job_event (VbObj *dom, const char *name, JsonObject *data)
{
  ActiveJob *job = active_job (dom);
  VbQemuDom *d = vb_qemu_dom (dom);

  /* The CPUs' run of a reactivation: the domain stays paused. */
  if (d->job != NULL && d->job->reactivating && (strcmp (name, "STOP") == 0 || strcmp (name, "RESUME") == 0))
    return TRUE;

  if (strcmp (name, "MIGRATION") == 0) {
    const char *status = data != NULL ? json_object_get_string_member_with_default (data, "status", "") : "";
    if (job != NULL) {
      g_free (job->migrate_status);
      job->migrate_status = g_strdup (status);
    }
    if (strcmp (status, "completed") == 0 || strcmp (status, "failed") == 0 || strcmp (status, "cancelled") == 0)
      finish_waiter (dom, status, NULL);
    return TRUE;
  }
  if (strcmp (name, "MIGRATION_PASS") == 0) {
    if (job != NULL && data != NULL)
      job->iteration = json_object_get_int_member_with_default (data, "pass", job->iteration);
    /* migration: not consumed, vb-qemu-migrate.c turns it into MigrationIteration. */
    return FALSE;
  }
  return FALSE;
}

/* Last lines QEMU wrote to its log: why an incoming migration failed (a
 * QEMU 7.2 exits then). */
static char *
log_tail (VbObj *dom)
{
  g_autofree char *path = vb_qemu_domain_log_path (vb_qemu_dom (dom)->backend, dom->name);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  guint n;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  n = g_strv_length (lines);
  for (guint i = n; i > 0; i--) {
    const char *line = g_strstrip (lines[i - 1]);
    if (g_str_has_prefix (line, "qemu-system") && strstr (line, "terminating on signal") == NULL)
      return g_strdup (line);
    if (strstr (line, ": starting up") != NULL)
      break;
  }
  return NULL;
}

/* ---- the migration engine: shared steps ---- */

typedef struct {
  VbObj *dom;
  VbQmp *qmp;
  GTask *task;             /* the caller's */
  char *uri;
  int fd;                  /* owned copy, or -1 */
  JsonObject *capabilities;
  JsonObject *parameters;
  gboolean incoming;
  gboolean migrate_sent;
  GCancellable *cancellable; /* the job's, or NULL */
  gulong cancel_id;
  char *status;            /* final status */
  /* The steps hold one reference; once `migrate` is sent its reply holds
   * another, since QEMU's final status may come first (then the reply has
   * nothing left to do) or the reply may be an error (then the final
   * status that never comes is given up on). */
  int refs;
  gboolean finished;       /* @task has its result */
} MigOp;

static void
mig_op_unref (MigOp *op)
{
  if (--op->refs > 0)
    return;
  if (op->cancel_id != 0)
    g_cancellable_disconnect (op->cancellable, op->cancel_id);
  g_clear_object (&op->cancellable);
  g_clear_object (&op->qmp);
  g_object_unref (op->dom);
  g_clear_object (&op->task);
  g_free (op->uri);
  if (op->fd >= 0)
    close (op->fd);
  g_clear_pointer (&op->capabilities, json_object_unref);
  g_clear_pointer (&op->parameters, json_object_unref);
  g_free (op->status);
  g_free (op);
}

/* The job's cancellable fired: AbortJob, or the domain stopped. */
static gboolean
mig_op_aborted (MigOp *op)
{
  ActiveJob *job = active_job (op->dom);

  return op->cancellable != NULL && g_cancellable_is_cancelled (op->cancellable) && job != NULL && job->aborted;
}

/* Ends the operation with @error (unless it has ended already) and drops
 * the caller's reference. */
static void
mig_op_fail (MigOp *op, GError *error)
{
  if (op->finished) {
    g_error_free (error);
    mig_op_unref (op);
    return;
  }
  if (mig_op_aborted (op)) {
    g_clear_error (&error);
    error = vb_qemu_job_cancelled_error (op->dom);
  }
  op->finished = TRUE;
  g_task_return_error (op->task, error);
  mig_op_unref (op);
}

static gboolean
fail_waiter_cancelled (gpointer user_data)
{
  g_autoptr(VbObj) dom = user_data;

  finish_waiter (dom, NULL, vb_qemu_job_cancelled_error (dom));
  return G_SOURCE_REMOVE;
}

static void
on_cancel_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);

  if (error != NULL)
    g_debug ("migrate_cancel: %s", error->message);
}

/* AbortJob: a migration underway is cancelled in QEMU (its MIGRATION
 * "cancelled" event then ends the wait); before `migrate` was sent, the
 * next step notices. */
static void
on_cancelled (GCancellable *cancellable, gpointer user_data)
{
  MigOp *op = user_data;

  if (!op->migrate_sent)
    return;
  if (op->incoming) {
    /* Not from inside the cancel handler: completing the wait frees @op,
     * which disconnects this handler. */
    g_idle_add (fail_waiter_cancelled, g_object_ref (op->dom));
    return;
  }
  if (vb_qmp_is_connected (op->qmp))
    vb_qmp_execute_async (op->qmp, "migrate_cancel", NULL, NULL, on_cancel_sent, NULL);
}

static gboolean
mig_op_cancelled (MigOp *op)
{
  if (op->cancellable != NULL && g_cancellable_is_cancelled (op->cancellable)) {
    mig_op_fail (op, mig_op_aborted (op) ? vb_qemu_job_cancelled_error (op->dom)
                                         : g_error_new (VB_ERROR, VB_ERROR_FAILED, "domain '%s' stopped",
                                                        op->dom->name));
    return TRUE;
  }
  return FALSE;
}

static void mig_step_parameters (MigOp *op);
static void mig_step_fd (MigOp *op);
static void mig_step_migrate (MigOp *op);

/* Every step's reply: an error ends the operation. */
static gboolean
step_reply_ok (MigOp *op, GAsyncResult *result, const char *what)
{
  GError *error = NULL;
  g_autoptr(JsonNode) ret = vb_qmp_execute_finish (op->qmp, result, &error);

  if (error != NULL) {
    g_prefix_error (&error, "%s: ", what);
    mig_op_fail (op, error);
    return FALSE;
  }
  return !mig_op_cancelled (op);
}

static void
on_capabilities_set (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MigOp *op = user_data;

  if (step_reply_ok (op, result, "cannot set the migration capabilities"))
    mig_step_parameters (op);
}

static void
mig_step_capabilities (MigOp *op)
{
  g_autoptr(JsonObject) args = json_object_new ();
  JsonArray *caps = json_array_new ();
  JsonObject *events = json_object_new ();

  /* MIGRATION/MIGRATION_PASS events: the end of the transfer is heard, not polled for. */
  json_object_set_string_member (events, "capability", "events");
  json_object_set_boolean_member (events, "state", TRUE);
  json_array_add_object_element (caps, events);
  if (op->capabilities != NULL) {
    g_autoptr(GList) names = json_object_get_members (op->capabilities);
    for (GList *l = names; l != NULL; l = l->next) {
      JsonObject *cap = json_object_new ();
      json_object_set_string_member (cap, "capability", l->data);
      json_object_set_boolean_member (cap, "state", json_object_get_boolean_member (op->capabilities, l->data));
      json_array_add_object_element (caps, cap);
    }
  }
  json_object_set_array_member (args, "capabilities", caps);
  vb_qmp_execute_async (op->qmp, "migrate-set-capabilities", args, NULL, on_capabilities_set, op);
}

static void
on_parameters_set (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MigOp *op = user_data;

  if (step_reply_ok (op, result, "cannot set the migration parameters"))
    mig_step_fd (op);
}

static void
mig_step_parameters (MigOp *op)
{
  if (op->parameters == NULL || json_object_get_size (op->parameters) == 0) {
    mig_step_fd (op);
    return;
  }
  vb_qmp_execute_async (op->qmp, "migrate-set-parameters", op->parameters, NULL, on_parameters_set, op);
}

static void
on_fd_passed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MigOp *op = user_data;

  if (step_reply_ok (op, result, "cannot pass the migration file to QEMU")) {
    /* QEMU has its own copy now. */
    close (op->fd);
    op->fd = -1;
    mig_step_migrate (op);
  }
}

static void
mig_step_fd (MigOp *op)
{
  g_autoptr(JsonObject) args = NULL;
  const char *name = op->incoming ? MIGRATE_IN_FD_NAME : MIGRATE_OUT_FD_NAME;

  if (op->fd < 0) {
    mig_step_migrate (op);
    return;
  }
  args = json_object_new ();
  json_object_set_string_member (args, "fdname", name);
  g_free (op->uri);
  op->uri = g_strconcat ("fd:", name, NULL);
  vb_qmp_execute_with_fd_async (op->qmp, "getfd", args, op->fd, NULL, on_fd_passed, op);
}

static void
on_final_figures (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MigOp *op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);
  ActiveJob *job = active_job (op->dom);
  JsonObject *info = ret != NULL && JSON_NODE_HOLDS_OBJECT (ret) ? json_node_get_object (ret) : NULL;

  if (info != NULL && job != NULL) {
    g_clear_pointer (&job->migrate_info, json_object_unref);
    job->migrate_info = json_object_ref (info);
  }
  if (op->finished) {
    mig_op_unref (op);
  } else if (g_strcmp0 (op->status, "completed") == 0) {
    op->finished = TRUE;
    g_task_return_boolean (op->task, TRUE);
    mig_op_unref (op);
  } else if (g_strcmp0 (op->status, "cancelled") == 0) {
    mig_op_fail (op, vb_qemu_job_cancelled_error (op->dom));
  } else {
    const char *desc = info != NULL ? json_object_get_string_member_with_default (info, "error-desc", NULL) : NULL;
    mig_op_fail (op, g_error_new (VB_ERROR, VB_ERROR_FAILED, "migration of domain '%s' failed: %s", op->dom->name,
                                  desc != NULL ? desc : "QEMU gave no reason"));
  }
}

static void
on_final_status (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MigOp *op = user_data;
  GError *error = NULL;

  op->status = g_task_propagate_pointer (G_TASK (result), &error);
  if (op->status == NULL || op->finished) {
    /* (Already ended: the reply to `migrate` was an error.) */
    mig_op_fail (op, error != NULL ? error : g_error_new_literal (VB_ERROR, VB_ERROR_FAILED, "ended"));
    return;
  }
  if (op->incoming && strcmp (op->status, "completed") != 0) {
    g_autofree char *why = log_tail (op->dom);
    mig_op_fail (op, g_error_new (VB_ERROR, VB_ERROR_FAILED, "QEMU could not load the state of domain '%s'%s%s",
                                  op->dom->name, why ? ": " : "", why ? why : ""));
    return;
  }
  if (!vb_qmp_is_connected (op->qmp)) {
    mig_op_fail (op, g_error_new (VB_ERROR, VB_ERROR_FAILED, "QEMU of domain '%s' went away", op->dom->name));
    return;
  }
  vb_qmp_execute_async (op->qmp, "query-migrate", NULL, NULL, on_final_figures, op);
}

static void
on_migrate_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MigOp *op = user_data;
  VbQemuDom *d = vb_qemu_dom (op->dom);
  GError *error = NULL;
  g_autoptr(JsonNode) ret = vb_qmp_execute_finish (op->qmp, result, &error);

  if (error == NULL || op->finished) {
    /* Under way, or over already (QEMU's final status came first). */
    g_clear_error (&error);
    mig_op_unref (op);
    return;
  }
  /* Nothing started: the waiter registered before is not needed (its
   * callback drops the steps' reference). */
  if (d->job != NULL && d->job->migration_waiter != NULL) {
    GTask *waiter = g_steal_pointer (&d->job->migration_waiter);
    g_task_return_new_error (waiter, G_IO_ERROR, G_IO_ERROR_CANCELLED, "unused");
    g_object_unref (waiter);
  }
  g_prefix_error (&error, op->incoming ? "QEMU refused the incoming migration: " : "QEMU refused to migrate: ");
  mig_op_fail (op, error);
}

static void
mig_step_migrate (MigOp *op)
{
  VbQemuJob *data = job_data (op->dom);
  g_autoptr(JsonObject) args = json_object_new ();
  GTask *waiter;

  if (data->migration_waiter != NULL) {
    mig_op_fail (op, g_error_new (VB_ERROR, VB_ERROR_OPERATION_INVALID,
                                  "a migration of domain '%s' is already underway", op->dom->name));
    return;
  }
  /* Listen before asking: the final event may come right after the reply. */
  waiter = g_task_new (NULL, NULL, on_final_status, op);
  data->migration_waiter = waiter;
  json_object_set_string_member (args, "uri", op->uri);
  op->migrate_sent = TRUE;
  op->refs++; /* the reply's */
  vb_qmp_execute_async (op->qmp, op->incoming ? "migrate-incoming" : "migrate", args, NULL, on_migrate_sent, op);
}

static MigOp *
mig_op_new (VbObj *dom, VbQmp *qmp, GTask *task, const char *uri, int fd, JsonObject *capabilities,
            JsonObject *parameters, gboolean incoming)
{
  MigOp *op = g_new0 (MigOp, 1);
  ActiveJob *job = active_job (dom);

  op->refs = 1;
  op->dom = g_object_ref (dom);
  op->qmp = g_object_ref (qmp);
  op->task = g_object_ref (task);
  op->uri = g_strdup (uri);
  op->fd = fd;
  op->capabilities = capabilities ? json_object_ref (capabilities) : NULL;
  op->parameters = parameters ? json_object_ref (parameters) : NULL;
  op->incoming = incoming;
  if (job != NULL) {
    op->cancellable = g_object_ref (job->cancellable);
    op->cancel_id = g_cancellable_connect (op->cancellable, G_CALLBACK (on_cancelled), op, NULL);
  }
  return op;
}

void
vb_qemu_job_migrate_out_async (VbObj *dom, const char *uri, int fd, JsonObject *capabilities,
                               JsonObject *parameters, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  VbQmp *qmp = vb_qemu_process_get_qmp (dom);
  int copy = -1;
  MigOp *op;

  g_task_set_source_tag (task, vb_qemu_job_migrate_out_async);
  if (qmp == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
    g_object_unref (task);
    return;
  }
  if (fd >= 0 && (copy = dup (fd)) < 0) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_IO, "cannot duplicate the migration file descriptor");
    g_object_unref (task);
    return;
  }
  if (uri == NULL && copy < 0) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG, "a migration needs a URI or a file descriptor");
    g_object_unref (task);
    return;
  }
  op = mig_op_new (dom, qmp, task, uri, copy, capabilities, parameters, FALSE);
  g_object_unref (task);
  if (mig_op_cancelled (op))
    return;
  mig_step_capabilities (op);
}

gboolean
vb_qemu_job_migrate_out_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- incoming ---- */

struct _VbQemuIncoming {
  char *uri;
  int fd;
  JsonObject *capabilities;
};

VbQemuIncoming *
vb_qemu_incoming_new (const char *uri, int fd)
{
  VbQemuIncoming *incoming = g_new0 (VbQemuIncoming, 1);

  incoming->uri = g_strdup (uri);
  incoming->fd = fd;
  return incoming;
}

void
vb_qemu_incoming_set_capabilities (VbQemuIncoming *incoming, JsonObject *capabilities)
{
  g_clear_pointer (&incoming->capabilities, json_object_unref);
  incoming->capabilities = capabilities ? json_object_ref (capabilities) : NULL;
}

void
vb_qemu_incoming_free (gpointer data)
{
  VbQemuIncoming *incoming = data;

  if (incoming == NULL)
    return;
  g_free (incoming->uri);
  if (incoming->fd >= 0)
    close (incoming->fd);
  g_clear_pointer (&incoming->capabilities, json_object_unref);
  g_free (incoming);
}

void
vb_qemu_job_incoming_prepare (VbObj *dom, VbQmp *qmp, GTask *task, gpointer user_data)
{
  VbQemuIncoming *incoming = user_data;
  MigOp *op;
  int fd = -1;

  if (incoming->fd >= 0) {
    /* The start options keep theirs (freed with them). */
    fd = dup (incoming->fd);
    if (fd < 0) {
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_IO, "cannot duplicate the incoming migration file descriptor");
      return;
    }
  }
  op = mig_op_new (dom, qmp, task, incoming->uri, fd, incoming->capabilities, NULL, TRUE);
  if (mig_op_cancelled (op))
    return;
  mig_step_capabilities (op);
}

/* ---- the part ---- */

static void
job_stopped (VbObj *dom, gboolean detached)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  if (d->job == NULL || detached)
    return;
  /* The guest is gone: whatever the job waits for will not come. */
  if (d->job->migration_waiter != NULL) {
    g_autofree char *why = log_tail (dom);
    finish_waiter (dom, NULL, g_error_new (VB_ERROR, VB_ERROR_FAILED, "QEMU of domain '%s' exited%s%s", dom->name,
                                           why ? ": " : "", why ? why : ""));
  }
  if (d->job->active != NULL)
    g_cancellable_cancel (d->job->active->cancellable);
}

static void
job_dom_free (VbQemuDom *d)
{
  if (d->job == NULL)
    return;
  if (d->job->migration_waiter != NULL) {
    GTask *waiter = g_steal_pointer (&d->job->migration_waiter);
    g_task_return_new_error (waiter, VB_ERROR, VB_ERROR_FAILED, "the domain is gone");
    g_object_unref (waiter);
  }
  active_job_free (d->job->active);
  g_clear_pointer (&d->job->completed, g_variant_unref);
  g_clear_pointer (&d->job, g_free);
}

static void
job_ops_init (VbDomainOpsInterface *iface)
{
  iface->get_job_info = qemu_get_job_info;
  iface->get_job_stats = qemu_get_job_stats;
  iface->abort_job = qemu_abort_job;
}

const VbQemuPart vb_qemu_part_job = {
  .name = "job",
  .ops_init = job_ops_init,
  .event = job_event,
  .stopped = job_stopped,
  .dom_free = job_dom_free,
  .save_state = job_save_state,
  .reattached = job_reattached,
};
