/* QEMU processes: start, stop, exit detection, QMP events, state files,
 * reattach. See README.md in this folder for the process model. */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/if_link.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "vb-client.h"
#include "vb-qemu-command.h"
#include "vb-qemu-firmware.h"
#include "vb-qemu-process.h"
#include "vb-netlink.h"
#include "vb-network-local.h"
#include "vb-sched.h"
#include "vb-state-dir.h"

/* How long QEMU gets to leave after `quit`, and after SIGTERM. */
#define QUIT_GRACE_MS 1000
#define TERM_GRACE_MS 3000
#define GRACEFUL_TIMEOUT_MS 10000

static void on_qmp_event (VbQmp *qmp, const char *name, JsonObject *data, gint64 timestamp, VbObj *dom);
static void on_qmp_closed (VbQmp *qmp, GError *error, VbObj *dom);
static gboolean on_pidfd (int fd, GIOCondition condition, gpointer user_data);

/* ---- paths ---- */

static char *
run_file (VbObj *dom, const char *file)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autofree char *dir = vb_qemu_domain_run_dir (d->backend, dom->name);
  return g_build_filename (dir, file, NULL);
}

/* Removes the per-domain runtime directory (sockets, pidfile) and the
 * state file: nothing of a stopped QEMU stays behind. */
static void
remove_runtime_files (VbQemuBackend *self, const char *name)
{
  g_autofree char *dir = vb_qemu_domain_run_dir (self, name);
  g_autofree char *state = vb_qemu_domain_state_path (self, name);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *entry;

  while (d != NULL && (entry = g_dir_read_name (d)) != NULL) {
    g_autofree char *path = g_build_filename (dir, entry, NULL);
    if (unlink (path) < 0 && errno != ENOENT)
      g_warning ("cannot remove %s: %s", path, g_strerror (errno));
  }
  if (rmdir (dir) < 0 && errno != ENOENT)
    g_warning ("cannot remove %s: %s", dir, g_strerror (errno));
  vb_file_remove_runtime (state, NULL);
}

/* ---- per-domain data ---- */

/* Gives the images back their own mode and ACL (system mode). */
static void
restore_access (VbQemuDom *d)
{
  if (d->grants == NULL)
    return;
  vb_qemu_access_restore (d->grants);
  g_clear_pointer (&d->grants, g_ptr_array_unref);
}

static void
fail_exit_waiters (VbQemuDom *d, const char *message)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&d->exit_waiters);

  d->exit_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; waiters && i < waiters->len; i++)
    g_task_return_new_error (g_ptr_array_index (waiters, i), VB_ERROR, VB_ERROR_FAILED, "%s", message);
}

static void
complete_exit_waiters (VbQemuDom *d)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&d->exit_waiters);

  d->exit_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; waiters && i < waiters->len; i++)
    g_task_return_boolean (g_ptr_array_index (waiters, i), TRUE);
}

static void release_nets (VbDomainDef *def);
static void forget_plugging (VbDomainDef *def);
static void set_graphics_passwords (VbObj *dom);

/* Stops watching the process and talking to it (it may keep running). */
/* The helpers started for @d's QEMU (swtpm, virtiofsd) end with it on
 * their own; those still there (QEMU never came, or is just going) are
 * told to go. Reaped as adopted children (vb_child_reap_orphans). */
static void
stop_helpers (VbQemuDom *d)
{
  for (guint i = 0; i < d->helpers->len; i++) {
    int pidfd = g_array_index (d->helpers, int, i);
    (void) pidfd_send_signal (pidfd, SIGTERM, NULL, 0);
    close (pidfd);
  }
  g_array_set_size (d->helpers, 0);
}

static void
release_process (VbQemuDom *d)
{
  g_clear_handle_id (&d->save_state_id, g_source_remove);
  g_clear_handle_id (&d->pidfd_watch, g_source_remove);
  g_clear_handle_id (&d->kill_timer, g_source_remove);
  if (d->pidfd >= 0)
    close (d->pidfd);
  d->pidfd = -1;
  /* The helpers of a guest that keeps running (daemon shutdown) keep
   * running too: only our handles of them go (process_exited and
   * start_failed stop them). */
  for (guint i = 0; d->helpers != NULL && i < d->helpers->len; i++)
    close (g_array_index (d->helpers, int, i));
  if (d->helpers != NULL)
    g_array_set_size (d->helpers, 0);
  if (d->qmp != NULL) {
    g_signal_handlers_disconnect_by_data (d->qmp, d->dom);
    vb_qmp_close (d->qmp);
    g_clear_object (&d->qmp);
  }
  d->kill_stage = 0;
}

/* ---- auto-destroy ---- */

static void
on_client_gone (const char *client, gpointer user_data)
{
  VbObj *dom = user_data;
  VbQemuDom *d = vb_qemu_dom (dom);

  d->autodestroy_watch = 0; /* a watch ends once it fired */
  if (!dom->active || d->stop_cause != VB_QEMU_STOP_NONE)
    return;
  g_info ("domain '%s' goes with the client that started it (%s, auto-destroy)", dom->name, client);
  vb_qemu_process_destroy (d->backend, dom, VB_QEMU_STOP_DESTROY, FALSE, NULL);
}

/* From now on @client leaving destroys the run (also over a daemon
 * restart: the runtime state names it). */
static void
arm_autodestroy (VbObj *dom, char *client)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  vb_client_unwatch (d->autodestroy_watch);
  g_free (d->autodestroy_client);
  d->autodestroy_client = client;
  d->autodestroy_watch = vb_client_watch (client, on_client_gone, dom, NULL);
}

static void
clear_autodestroy (VbQemuDom *d)
{
  vb_client_unwatch (d->autodestroy_watch);
  d->autodestroy_watch = 0;
  g_clear_pointer (&d->autodestroy_client, g_free);
  g_clear_pointer (&d->autodestroy_pending, g_free);
}

/* Tells every part the process is gone (or no longer watched). */
static void
parts_stopped (VbObj *dom, gboolean detached)
{
  for (guint i = 0; vb_qemu_parts[i] != NULL; i++)
    if (vb_qemu_parts[i]->stopped != NULL)
      vb_qemu_parts[i]->stopped (dom, detached);
}

static void
parts_running (VbObj *dom)
{
  for (guint i = 0; vb_qemu_parts[i] != NULL; i++)
    if (vb_qemu_parts[i]->running != NULL)
      vb_qemu_parts[i]->running (dom);
}

static void
parts_reattached (VbObj *dom, JsonObject *state)
{
  for (guint i = 0; vb_qemu_parts[i] != NULL; i++)
    if (vb_qemu_parts[i]->reattached != NULL)
      vb_qemu_parts[i]->reattached (dom, state);
}

void
vb_qemu_dom_free (gpointer data)
{
  VbQemuDom *d = data;

  for (guint i = 0; vb_qemu_parts[i] != NULL; i++)
    if (vb_qemu_parts[i]->dom_free != NULL)
      vb_qemu_parts[i]->dom_free (d);
  release_process (d);
  clear_autodestroy (d);
  fail_exit_waiters (d, "the domain is gone");
  g_clear_pointer (&d->exit_waiters, g_ptr_array_unref);
  g_clear_pointer (&d->reattach_state, json_object_unref);
  /* Not restored: the guest may keep running (daemon shutdown). */
  g_clear_pointer (&d->grants, g_ptr_array_unref);
  g_clear_pointer (&d->helpers, g_array_unref);
  g_free (d);
}

void
vb_qemu_process_detach (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  if (d == NULL)
    return;
  /* The next daemon reattaches from this file: write what is pending. */
  if (d->save_state_id != 0 && d->pid > 0)
    vb_qemu_process_save_state (dom, NULL);
  if (d->pid > 0)
    parts_stopped (dom, TRUE);
  release_process (d);
  /* The next daemon watches the client again (the state file names it). */
  clear_autodestroy (d);
  fail_exit_waiters (d, "virtbusd is shutting down");
}

/* ---- state ---- */

static VbDomainDef *
live_def (VbObj *dom)
{
  return dom->def;
}

static gboolean
save_state_now (gpointer user_data)
{
  VbObj *dom = user_data;
  VbQemuDom *d = vb_qemu_dom (dom);

  d->save_state_id = 0;
  if (d->pid > 0)
    vb_qemu_process_save_state (dom, NULL);
  return G_SOURCE_REMOVE;
}

/* perf: a state change (Suspend, Resume, …) is answered and announced
 * first; its runtime file (formatted XML + JSON + a write) follows a few
 * milliseconds later, one write for a burst of changes. A daemon that dies
 * meanwhile loses nothing: reattaching asks QEMU for its status anyway,
 * and detaching at shutdown writes what is pending. */
#define SAVE_STATE_DELAY_MS 20

static void
save_state_soon (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  if (d->pid > 0 && d->save_state_id == 0)
    d->save_state_id = g_timeout_add_full (G_PRIORITY_LOW, SAVE_STATE_DELAY_MS, save_state_now, dom, NULL);
}

static void
set_state (VbObj *dom, int state, int reason)
{
  vb_obj_set_state (dom, state, reason, dom->id);
  save_state_soon (dom);
}

gboolean
vb_qemu_process_save_state (VbObj *dom, GError **error)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *xml = vb_domain_def_format (live_def (dom), VB_DOMAIN_XML_STATUS);
  g_autofree char *qmp = run_file (dom, "qmp.sock");
  g_autofree char *path = vb_qemu_domain_state_path (d->backend, dom->name);
  g_autofree char *text = NULL;

  g_clear_handle_id (&d->save_state_id, g_source_remove); /* this write covers it */
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "pid");
  json_builder_add_int_value (b, d->pid);
  json_builder_set_member_name (b, "start-time");
  json_builder_add_int_value (b, (gint64) d->start_time);
  json_builder_set_member_name (b, "qmp");
  json_builder_add_string_value (b, qmp);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, dom->id);
  json_builder_set_member_name (b, "state");
  json_builder_add_int_value (b, dom->state);
  json_builder_set_member_name (b, "reason");
  json_builder_add_int_value (b, dom->reason);
  json_builder_set_member_name (b, "persistent");
  json_builder_add_boolean_value (b, dom->persistent);
  json_builder_set_member_name (b, "guest-shutdown");
  json_builder_add_boolean_value (b, d->guest_shutdown);
  json_builder_set_member_name (b, "rtc-adjustment0");
  json_builder_add_int_value (b, d->rtc_adjustment0);
  if (d->autodestroy_client != NULL) {
    json_builder_set_member_name (b, "autodestroy-client");
    json_builder_add_string_value (b, d->autodestroy_client);
  }
  /* A start is not over before its QEMU runs the guest (or waits paused):
   * a daemon that finds this QEMU still starting stops it. */
  json_builder_set_member_name (b, "starting");
  json_builder_add_boolean_value (b, d->starting);
  for (guint i = 0; vb_qemu_parts[i] != NULL; i++)
    if (vb_qemu_parts[i]->save_state != NULL)
      vb_qemu_parts[i]->save_state (dom, b);
  json_builder_set_member_name (b, "xml");
  json_builder_add_string_value (b, xml);
  /* What to give back when it stops, even after a daemon restart. */
  json_builder_set_member_name (b, "grants");
  json_builder_add_value (b, vb_qemu_access_to_json (d->grants));
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  /* Written on every state change: atomic, but not fsync'd (run dir). */
  if (!vb_file_write_runtime (path, text, -1, 0600, error)) {
    g_warning ("cannot save the state of domain '%s'", dom->name);
    return FALSE;
  }
  return TRUE;
}

/* The domain's QEMU is gone: the run is over. The persistent config
 * becomes current again and a transient domain disappears (after its
 * event, so its path is still valid for clients). */
static void
stop_domain (VbObj *dom, int reason, int detail)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  VbQemuBackend *self = d->backend;
  g_autoptr(VbObj) hold = g_object_ref (dom);

  vb_obj_apply_newdef (dom);
  live_def (dom)->id = -1;
  d->pid = 0;
  d->stop_cause = VB_QEMU_STOP_NONE;
  d->guest_shutdown = FALSE;
  d->fake_reboot = FALSE;
  clear_autodestroy (d);
  vb_obj_set_state (dom, VB_DOMAIN_SHUTOFF, reason, -1);
  vb_obj_set_updated (dom, FALSE);
  vb_qemu_emit (self, dom, VB_QEMU_EV_STOPPED, detail);
  complete_exit_waiters (d);
  if (!dom->persistent)
    vb_backend_remove_object (VB_BACKEND (self), dom);
}

static void
process_exited (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  siginfo_t info = { 0 };
  int reason, detail;

  /* Our child (we are its subreaper) unless it survived a daemon restart. */
  if (d->pidfd >= 0 && waitid (P_PIDFD, d->pidfd, &info, WEXITED | WNOHANG) == 0 && info.si_pid != 0)
    g_debug ("QEMU of domain '%s' (pid %d) exited: code %d status %d", dom->name, (int) d->pid, info.si_code,
             info.si_status);
  parts_stopped (dom, FALSE);
  stop_helpers (d);
  release_process (d);
  release_nets (live_def (dom));
  if (d->remove_tpm) {
    g_autoptr(GError) error = NULL;

    d->remove_tpm = FALSE;
    if (!vb_qemu_tpm_remove_state (d->backend, dom->uuid, &error))
      g_warning ("domain '%s': %s", dom->name, error->message);
  }
  if (dom->newdef == NULL)
    forget_plugging (live_def (dom));
  d->resume_reason = d->resume_detail = -1;
  remove_runtime_files (d->backend, dom->name);
  restore_access (d);
  vb_child_reap_orphans ();

  if (d->starting || d->silent_exit) {
    /* A start that failed: its task reports the error, no events. */
    d->silent_exit = FALSE;
    d->pid = 0;
    complete_exit_waiters (d);
    return;
  }
  switch (d->stop_cause) {
  case VB_QEMU_STOP_DESTROY:
    reason = VB_QEMU_SHUTOFF_DESTROYED, detail = VB_QEMU_STOPPED_DESTROYED;
    break;
  case VB_QEMU_STOP_SHUTDOWN:
    reason = VB_QEMU_SHUTOFF_SHUTDOWN, detail = VB_QEMU_STOPPED_SHUTDOWN;
    break;
  case VB_QEMU_STOP_CRASH:
    reason = VB_QEMU_SHUTOFF_CRASHED, detail = VB_QEMU_STOPPED_CRASHED;
    break;
  case VB_QEMU_STOP_SAVED:
    reason = VB_QEMU_SHUTOFF_SAVED, detail = VB_QEMU_STOPPED_SAVED;
    break;
  case VB_QEMU_STOP_MIGRATED:
    reason = VB_QEMU_SHUTOFF_MIGRATED, detail = VB_QEMU_STOPPED_MIGRATED;
    break;
  case VB_QEMU_STOP_SNAPSHOT:
    reason = VB_QEMU_SHUTOFF_FROM_SNAPSHOT, detail = VB_QEMU_STOPPED_FROM_SNAPSHOT;
    break;
  case VB_QEMU_STOP_NONE:
  default:
    if (d->guest_shutdown) {
      reason = VB_QEMU_SHUTOFF_SHUTDOWN, detail = VB_QEMU_STOPPED_SHUTDOWN;
    } else {
      g_warning ("QEMU of domain '%s' died unexpectedly", dom->name);
      reason = VB_QEMU_SHUTOFF_CRASHED, detail = VB_QEMU_STOPPED_FAILED;
    }
    break;
  }
  stop_domain (dom, reason, detail);
}

static gboolean
on_pidfd (int fd, GIOCondition condition, gpointer user_data)
{
  VbObj *dom = user_data;

  vb_qemu_dom (dom)->pidfd_watch = 0;
  process_exited (dom);
  return G_SOURCE_REMOVE;
}

static gboolean
watch_process (VbObj *dom, GPid pid, GError **error)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  int fd = pidfd_open (pid, 0);

  if (fd < 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot watch QEMU process %d: %s", (int) pid,
                 g_strerror (errno));
    return FALSE;
  }
  d->pid = pid;
  d->pidfd = fd;
  /* The pidfd turns readable when the process exits: no polling. */
  d->pidfd_watch = g_unix_fd_add (fd, G_IO_IN, on_pidfd, dom);
  return TRUE;
}

static void
attach_qmp (VbObj *dom, VbQmp *qmp)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  d->qmp = qmp;
  g_signal_connect (qmp, "event", G_CALLBACK (on_qmp_event), dom);
  g_signal_connect (qmp, "closed", G_CALLBACK (on_qmp_closed), dom);
}

/* ---- QMP commands ---- */

/* Whether @dom's QEMU is on its way out: asked to stop, powered off, or
 * its monitor closed (the pidfd reports the exit a moment later). */
static gboolean
going_away (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  return !dom->active || d->pid <= 0 || d->stop_cause != VB_QEMU_STOP_NONE || d->guest_shutdown ||
         (d->qmp != NULL && !vb_qmp_is_connected (d->qmp));
}

/* The error for a QMP command that could not be sent or answered: a
 * domain that is stopping is simply not running any more (what a caller
 * racing with Destroy or a guest power-off should see, as with libvirt). */
static GError *
monitor_error (VbObj *dom, GError *error)
{
  if (going_away (dom)) {
    GError *stopped = g_error_new (VB_ERROR, VB_ERROR_OPERATION_INVALID,
                                   "domain '%s' is not running (it is shutting down)", dom->name);
    g_clear_error (&error);
    return stopped;
  }
  if (error == NULL)
    error = g_error_new (VB_ERROR, VB_ERROR_OPERATION_INVALID,
                         "cannot talk to the QEMU of domain '%s': its monitor is not connected yet", dom->name);
  return error;
}

typedef struct {
  VbObj *dom;
  GTask *task;
  gboolean value;
} QmpCall;

static void
on_qmp_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  QmpCall *c = user_data;
  GError *error = NULL;
  JsonNode *ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);

  /* A closed monitor is QEMU going away (also when we closed it ourselves,
   * stopping it: "closed by request"); QEMU's own errors stay as they are. */
  if (error != NULL && ((error->domain == VB_ERROR && error->code == VB_ERROR_IO) ||
                        g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)))
    error = monitor_error (c->dom, error);
  if (error != NULL)
    g_task_return_error (c->task, error);
  else if (c->value)
    g_task_return_pointer (c->task, ret ? ret : json_node_new (JSON_NODE_NULL), (GDestroyNotify) json_node_unref);
  else
    g_task_return_boolean (c->task, TRUE);
  if (error != NULL || !c->value)
    g_clear_pointer (&ret, json_node_unref);
  g_object_unref (c->dom);
  g_object_unref (c->task);
  g_free (c);
}

static void
qmp_call (VbObj *dom, const char *command, JsonObject *args, GTask *task, gboolean value)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  QmpCall *c;

  if (d == NULL || d->qmp == NULL || !vb_qmp_is_connected (d->qmp)) {
    g_task_return_error (task, monitor_error (dom, NULL));
    return;
  }
  c = g_new0 (QmpCall, 1);
  c->dom = g_object_ref (dom);
  c->task = g_object_ref (task);
  c->value = value;
  vb_qmp_execute_async (d->qmp, command, args, NULL, on_qmp_call_done, c);
}

void
vb_qemu_process_qmp_void (VbObj *dom, const char *command, JsonObject *args, GTask *task)
{
  qmp_call (dom, command, args, task, FALSE);
}

VbQmp *
vb_qemu_process_get_qmp (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  return d != NULL && d->qmp != NULL && vb_qmp_is_connected (d->qmp) ? d->qmp : NULL;
}

void
vb_qemu_process_qmp (VbObj *dom, const char *command, JsonObject *args, GTask *task)
{
  qmp_call (dom, command, args, task, TRUE);
}

static void
on_qmp_ignored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);
  g_autofree char *command = user_data;

  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("QMP %s: %s", command, error->message);
}

void
vb_qemu_process_qmp_fire (VbObj *dom, const char *command, JsonObject *args)
{
  VbQmp *qmp = vb_qemu_process_get_qmp (dom);

  if (qmp != NULL)
    vb_qmp_execute_async (qmp, command, args, NULL, on_qmp_ignored, g_strdup (command));
  if (args != NULL)
    json_object_unref (args);
}

/* ---- stopping ---- */

static gboolean
on_kill_timer (gpointer user_data)
{
  VbObj *dom = user_data;
  VbQemuDom *d = vb_qemu_dom (dom);
  gboolean graceful = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dom), "vb-qemu-graceful"));

  d->kill_timer = 0;
  if (d->pidfd < 0)
    return G_SOURCE_REMOVE;
  if (d->kill_stage == 1) {
    g_debug ("QEMU of domain '%s' ignored quit: SIGTERM", dom->name);
    pidfd_send_signal (d->pidfd, SIGTERM, NULL, 0);
    d->kill_stage = 2;
    d->kill_timer = g_timeout_add (graceful ? GRACEFUL_TIMEOUT_MS : TERM_GRACE_MS, on_kill_timer, dom);
  } else if (d->kill_stage == 2 && graceful) {
    d->kill_stage = 0;
    fail_exit_waiters (d, "QEMU did not exit after SIGTERM; destroy without the graceful flag to kill it");
  } else if (d->kill_stage == 2) {
    g_warning ("QEMU of domain '%s' ignored SIGTERM: SIGKILL", dom->name);
    pidfd_send_signal (d->pidfd, SIGKILL, NULL, 0);
    d->kill_stage = 3;
  }
  return G_SOURCE_REMOVE;
}

void
vb_qemu_process_destroy (VbQemuBackend *self, VbObj *dom, VbQemuStopCause cause, gboolean graceful, GTask *task)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  if (d->pidfd < 0) {
    if (task)
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running",
                               dom->name);
    return;
  }
  if (task)
    g_ptr_array_add (d->exit_waiters, g_object_ref (task));
  /* Destroy wins over whatever else was underway. */
  if (d->stop_cause == VB_QEMU_STOP_NONE || cause == VB_QEMU_STOP_DESTROY)
    d->stop_cause = cause;
  if (d->kill_stage > 0 && d->kill_timer != 0)
    return;
  g_object_set_data (G_OBJECT (dom), "vb-qemu-graceful", GINT_TO_POINTER (graceful));
  g_clear_handle_id (&d->kill_timer, g_source_remove);
  if (d->qmp != NULL && vb_qmp_is_connected (d->qmp)) {
    vb_qemu_process_qmp_fire (dom, "quit", NULL);
    d->kill_stage = 1;
    d->kill_timer = g_timeout_add (QUIT_GRACE_MS, on_kill_timer, dom);
  } else {
    pidfd_send_signal (d->pidfd, SIGTERM, NULL, 0);
    d->kill_stage = 2;
    d->kill_timer = g_timeout_add (graceful ? GRACEFUL_TIMEOUT_MS : TERM_GRACE_MS, on_kill_timer, dom);
  }
}

/* ---- QMP events ---- */

/* The guest went down (power-off, reboot, panic) and the lifecycle action
 * says to start it again: reset and continue, as a reboot. */
static void
restart_guest (VbObj *dom)
{
  vb_qemu_dom (dom)->fake_reboot = FALSE;
  vb_qemu_process_qmp_fire (dom, "system_reset", NULL);
  vb_qemu_process_qmp_fire (dom, "cont", NULL);
}

static void
apply_lifecycle_action (VbObj *dom, VbDomainLifecycleAction action, VbQemuStopCause cause)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  switch (action) {
  case VB_DOMAIN_LIFECYCLE_RESTART:
  case VB_DOMAIN_LIFECYCLE_RENAME_RESTART:
  case VB_DOMAIN_LIFECYCLE_COREDUMP_RESTART:
    restart_guest (dom);
    break;
  case VB_DOMAIN_LIFECYCLE_PRESERVE:
    /* Left as it is, for inspection; Destroy ends it. */
    break;
  case VB_DOMAIN_LIFECYCLE_DESTROY:
  case VB_DOMAIN_LIFECYCLE_COREDUMP_DESTROY:
  default:
    vb_qemu_process_destroy (d->backend, dom, cause, FALSE, NULL);
    break;
  }
}

static void
handle_shutdown_event (VbObj *dom, JsonObject *data)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  const char *reason = vb_qmp_member_str (data, "reason");
  gboolean guest = vb_qmp_member_bool (data, "guest");

  /* Our own quit/SIGTERM, and panics (GUEST_PANICKED handles those). */
  if (d->stop_cause != VB_QEMU_STOP_NONE || g_strcmp0 (reason, "host-qmp-quit") == 0 ||
      g_strcmp0 (reason, "host-signal") == 0 || g_strcmp0 (reason, "guest-panic") == 0)
    return;
  if (g_strcmp0 (reason, "guest-reset") == 0) {
    /* A guest reboot QEMU was told not to do itself: on_reboot decides. */
    vb_backend_emit_domain_signal (VB_BACKEND (d->backend), dom, "Reboot", g_variant_new ("()"));
    if (live_def (dom)->on_reboot == VB_DOMAIN_LIFECYCLE_DESTROY) {
      d->guest_shutdown = TRUE;
      set_state (dom, VB_DOMAIN_SHUTDOWN, VB_QEMU_SHUTDOWN_REASON_USER);
      vb_qemu_emit (d->backend, dom, VB_QEMU_EV_SHUTDOWN, VB_QEMU_SHUTDOWN_GUEST);
      vb_qemu_process_destroy (d->backend, dom, VB_QEMU_STOP_SHUTDOWN, FALSE, NULL);
    } else {
      restart_guest (dom);
    }
    return;
  }

  d->guest_shutdown = TRUE;
  set_state (dom, VB_DOMAIN_SHUTDOWN, VB_QEMU_SHUTDOWN_REASON_USER);
  vb_qemu_emit (d->backend, dom, VB_QEMU_EV_SHUTDOWN, guest ? VB_QEMU_SHUTDOWN_GUEST : VB_QEMU_SHUTDOWN_HOST);
  if (d->fake_reboot) {
    /* Reboot by ACPI: the guest powered off, we power it on again. */
    restart_guest (dom);
    return;
  }
  apply_lifecycle_action (dom, live_def (dom)->on_poweroff, VB_QEMU_STOP_SHUTDOWN);
}

void
vb_qemu_process_note_paused (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  /* A guest power-off also stops the CPUs (-no-shutdown): not a pause. */
  if (d->starting || !dom->active || dom->state != VB_DOMAIN_RUNNING || d->guest_shutdown ||
      d->stop_cause != VB_QEMU_STOP_NONE)
    return;
  /* A job stopping the CPUs itself said why beforehand. */
  if (d->pause_reason >= 0) {
    set_state (dom, VB_DOMAIN_PAUSED, d->pause_reason);
    vb_qemu_emit (d->backend, dom, VB_QEMU_EV_SUSPENDED, d->pause_detail);
    return;
  }
  set_state (dom, VB_DOMAIN_PAUSED, VB_QEMU_PAUSED_USER);
  vb_qemu_emit (d->backend, dom, VB_QEMU_EV_SUSPENDED, VB_QEMU_SUSPENDED_PAUSED);
}

void
vb_qemu_process_note_resumed (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  int reason, detail;

  if (d->starting || !dom->active || dom->state == VB_DOMAIN_RUNNING || d->stop_cause != VB_QEMU_STOP_NONE)
    return;
  /* Running again after a power cycle counts as a boot. */
  reason = dom->state == VB_DOMAIN_PAUSED ? VB_QEMU_RUNNING_UNPAUSED : VB_QEMU_RUNNING_BOOTED;
  detail = VB_QEMU_RESUMED_UNPAUSED;
  /* A part undoing its own pause said why beforehand. */
  if (d->resume_reason >= 0 && dom->state == VB_DOMAIN_PAUSED) {
    reason = d->resume_reason;
    detail = d->resume_detail;
  }
  d->resume_reason = d->resume_detail = -1;
  d->guest_shutdown = FALSE;
  set_state (dom, VB_DOMAIN_RUNNING, reason);
  vb_qemu_emit (d->backend, dom, VB_QEMU_EV_RESUMED, detail);
}

/* The guest set its RTC: QEMU says how far it now is from the time its
 * -rtc base gave. A variable clock keeps that as its live adjustment
 * (kept over a daemon restart, shown in the live XML, as libvirt); the
 * signal carries the RTC's offset from UTC (or from local time). */
static void
handle_rtc_change (VbObj *dom, gint64 offset)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  VbDomainDef *live = live_def (dom);

  if (live->clock.offset == VB_DOMAIN_CLOCK_VARIABLE) {
    offset += d->rtc_adjustment0;
    live->clock.adjustment = offset;
    save_state_soon (dom);
  }
  vb_backend_emit_domain_signal (VB_BACKEND (d->backend), dom, "RTCChange", g_variant_new ("(x)", offset));
}

static void
on_qmp_event (VbQmp *qmp, const char *name, JsonObject *data, gint64 timestamp, VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  VbBackend *backend = VB_BACKEND (d->backend);
  g_autoptr(VbObj) hold = g_object_ref (dom);

  g_debug ("domain '%s': QMP event %s", dom->name, name);
  /* Parts see every event, also while starting (a restore's migration). */
  for (guint i = 0; vb_qemu_parts[i] != NULL; i++)
    if (vb_qemu_parts[i]->event != NULL && vb_qemu_parts[i]->event (dom, name, data))
      return;
  /* While starting, STOP/RESUME are the start's own (-S, then cont). */
  if (d->starting || !dom->active)
    return;

  if (g_strcmp0 (name, "STOP") == 0) {
    vb_qemu_process_note_paused (dom);
  } else if (g_strcmp0 (name, "RESUME") == 0) {
    vb_qemu_process_note_resumed (dom);
  } else if (g_strcmp0 (name, "SHUTDOWN") == 0) {
    handle_shutdown_event (dom, data);
  } else if (g_strcmp0 (name, "RESET") == 0) {
    vb_backend_emit_domain_signal (backend, dom, "Reboot", g_variant_new ("()"));
  } else if (g_strcmp0 (name, "GUEST_PANICKED") == 0) {
    if (dom->state != VB_DOMAIN_CRASHED) {
      set_state (dom, VB_DOMAIN_CRASHED, VB_QEMU_CRASHED_REASON_PANICKED);
      vb_qemu_emit (d->backend, dom, VB_QEMU_EV_CRASHED, VB_QEMU_CRASHED_PANICKED);
      apply_lifecycle_action (dom, live_def (dom)->on_crash, VB_QEMU_STOP_CRASH);
    }
  } else if (g_strcmp0 (name, "SUSPEND") == 0) {
    set_state (dom, VB_DOMAIN_PMSUSPENDED, 0);
    vb_qemu_emit (d->backend, dom, VB_QEMU_EV_PMSUSPENDED, VB_QEMU_PMSUSPENDED_MEMORY);
    vb_backend_emit_domain_signal (backend, dom, "PMSuspend", g_variant_new ("(i)", 0));
  } else if (g_strcmp0 (name, "WAKEUP") == 0) {
    if (dom->state == VB_DOMAIN_PMSUSPENDED) {
      set_state (dom, VB_DOMAIN_RUNNING, VB_QEMU_RUNNING_WAKEUP);
      vb_qemu_emit (d->backend, dom, VB_QEMU_EV_STARTED, VB_QEMU_STARTED_WAKEUP);
    }
    vb_backend_emit_domain_signal (backend, dom, "PMWakeup", g_variant_new ("(i)", 0));
  } else if (g_strcmp0 (name, "BALLOON_CHANGE") == 0 && data && json_object_has_member (data, "actual")) {
    guint64 kib = (guint64) json_object_get_int_member (data, "actual") / 1024;
    vb_backend_emit_domain_signal (backend, dom, "BalloonChange", g_variant_new ("(t)", kib));
  } else if (g_strcmp0 (name, "RTC_CHANGE") == 0 && data && json_object_has_member (data, "offset")) {
    handle_rtc_change (dom, json_object_get_int_member (data, "offset"));
  } else if (g_strcmp0 (name, "DEVICE_DELETED") == 0 && data && json_object_has_member (data, "device")) {
    vb_backend_emit_domain_signal (backend, dom, "DeviceRemoved",
                                   g_variant_new ("(s)", json_object_get_string_member (data, "device")));
  }
}

static void
on_qmp_closed (VbQmp *qmp, GError *error, VbObj *dom)
{
  /* The exit itself is reported by the pidfd; a monitor that closes while
   * QEMU lives on leaves the domain unmanageable until it exits. */
  g_debug ("domain '%s': QMP connection closed%s%s", dom->name, error ? ": " : "", error ? error->message : "");
}

/* ---- starting ---- */

typedef struct {
  VbObj *dom;
  guint flags;
  char *log_path;
  goffset log_start;
  VbQemuStartOptions opts;
  VbDomainCpuDef *cpu_as_defined; /* <cpu mode='host-model'> before it was expanded */
  guint shaping;                  /* NICs whose shaping is under way */
  GError *shape_error;            /* the first of them that failed */
} StartData;

static void
start_data_free (gpointer data)
{
  StartData *sd = data;

  g_object_unref (sd->dom);
  g_free (sd->log_path);
  vb_domain_cpu_def_free (sd->cpu_as_defined);
  g_clear_error (&sd->shape_error);
  if (sd->opts.user_data_free != NULL)
    sd->opts.user_data_free (sd->opts.user_data);
  g_free (sd);
}

/* What QEMU said about why it did not start: its log since this start
 * (@none when it said nothing). */
static char *
read_log_tail (StartData *sd, const char *none)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr(GString) out = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (sd->log_path, &contents, &len, NULL) || (goffset) len <= sd->log_start)
    return g_strdup (none);
  lines = g_strsplit (contents + sd->log_start, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    const char *line = g_strstrip (lines[i]);
    if (*line == '\0')
      continue;
    if (out->len > 0)
      g_string_append (out, "; ");
    g_string_append (out, line);
  }
  if (out->len == 0)
    return g_strdup (none);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
on_failed_start_gone (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  const GError *error = g_task_get_task_data (G_TASK (result));

  g_task_return_error (task, g_error_copy (error));
}

static void
start_failed (GTask *task, GError *error)
{
  StartData *sd = g_task_get_task_data (task);
  VbQemuDom *d = vb_qemu_dom (sd->dom);

  d->starting = FALSE;
  live_def (sd->dom)->id = -1;
  if (sd->cpu_as_defined != NULL) {
    vb_domain_cpu_def_free (live_def (sd->dom)->cpu);
    live_def (sd->dom)->cpu = g_steal_pointer (&sd->cpu_as_defined);
  }
  g_clear_pointer (&d->autodestroy_pending, g_free);
  if (d->pidfd >= 0) {
    /* Half started: make sure it is gone; its exit stays silent. The
     * error is reported once it is gone, so that a new start right after
     * does not find it still there. */
    GTask *waiter = g_task_new (NULL, NULL, on_failed_start_gone, g_object_ref (task));
    g_task_set_task_data (waiter, error, (GDestroyNotify) g_error_free);
    g_ptr_array_add (d->exit_waiters, waiter);
    d->silent_exit = TRUE;
    pidfd_send_signal (d->pidfd, SIGKILL, NULL, 0);
    return;
  } else {
    /* QEMU gave up on its own (or never ran): what it and we created
     * stays behind otherwise. */
    stop_helpers (d);
    release_nets (live_def (sd->dom));
    forget_plugging (live_def (sd->dom));
    remove_runtime_files (d->backend, sd->dom->name);
    restore_access (d);
    vb_child_reap_orphans_soon ();
  }
  g_task_return_error (task, error);
}

static void
start_finished (GTask *task)
{
  StartData *sd = g_task_get_task_data (task);
  VbObj *dom = sd->dom;
  VbQemuDom *d = vb_qemu_dom (dom);
  VbQemuBackend *self = d->backend;
  gboolean paused = (sd->flags & VB_QEMU_START_PAUSED) != 0;
  int id = self->next_id++;

  d->starting = FALSE;
  /* From now on live changes must not leak into the persistent config. */
  if (dom->persistent && dom->newdef == NULL) {
    VbDomainDef *newdef = vb_domain_def_copy (dom->def);
    newdef->id = -1;
    forget_plugging (newdef);
    /* host-model stays host-model in the definition. */
    if (sd->cpu_as_defined != NULL) {
      vb_domain_cpu_def_free (newdef->cpu);
      newdef->cpu = g_steal_pointer (&sd->cpu_as_defined);
    }
    vb_obj_set_newdef (dom, newdef);
  }
  live_def (dom)->id = id;
  if (d->autodestroy_pending != NULL)
    arm_autodestroy (dom, g_steal_pointer (&d->autodestroy_pending));
  if (paused)
    vb_obj_set_state (dom, VB_DOMAIN_PAUSED, sd->opts.paused_reason ? sd->opts.paused_reason : VB_QEMU_PAUSED_USER,
                      id);
  else
    vb_obj_set_state (dom, VB_DOMAIN_RUNNING,
                      sd->opts.running_reason ? sd->opts.running_reason : VB_QEMU_RUNNING_BOOTED, id);
  vb_qemu_process_save_state (dom, NULL);
  parts_running (dom);
  vb_qemu_emit (self, dom, VB_QEMU_EV_STARTED, sd->opts.started_detail);
  if (paused)
    vb_qemu_emit (self, dom, VB_QEMU_EV_SUSPENDED, sd->opts.suspended_detail);
  g_task_return_boolean (task, TRUE);
}

static void
on_cont_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonNode) ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);

  if (error != NULL) {
    g_prefix_error (&error, "cannot start the guest CPUs: ");
    start_failed (task, error);
    return;
  }
  start_finished (task);
}

/* QEMU boots with <memory>; with a balloon the guest is asked to give
 * back what exceeds <currentMemory> (before its CPUs run; the guest
 * driver applies it once loaded, and QEMU reports BALLOON_CHANGE). */
static void
set_initial_balloon (VbObj *dom)
{
  const VbDomainDef *def = live_def (dom);
  g_autoptr(JsonObject) args = NULL;

  if (def->memballoon == NULL || def->memballoon->model == VB_DOMAIN_MEMBALLOON_NONE ||
      def->current_memory_kib == 0 || def->current_memory_kib >= def->memory_kib)
    return;
  args = json_object_new ();
  json_object_set_int_member (args, "value", (gint64) def->current_memory_kib * 1024);
  vb_qemu_process_qmp_fire (dom, "balloon", g_steal_pointer (&args));
}

/* NICs defined with <link state='down'/> start unplugged (the guest sees
 * no carrier), before its CPUs run. */
static void
set_initial_links (VbObj *dom)
{
  const VbDomainDef *def = live_def (dom);

  for (guint i = 0; i < def->nets->len; i++) {
    const VbDomainNetDef *net = g_ptr_array_index (def->nets, i);
    JsonObject *args;

    if (net->link_state != VB_DOMAIN_NET_LINK_DOWN || net->info.alias == NULL)
      continue;
    args = json_object_new ();
    json_object_set_string_member (args, "name", net->info.alias);
    json_object_set_boolean_member (args, "up", FALSE);
    vb_qemu_process_qmp_fire (dom, "set_link", args);
  }
}

/* The guest is set up: run its CPUs unless asked to start paused. */
static void
start_cpus (GTask *task)
{
  StartData *sd = g_task_get_task_data (task);
  VbQemuDom *d = vb_qemu_dom (sd->dom);

  set_graphics_passwords (sd->dom);
  set_initial_links (sd->dom);
  set_initial_balloon (sd->dom);
  if (sd->flags & VB_QEMU_START_PAUSED) {
    start_finished (task);
    g_object_unref (task);
    return;
  }
  vb_qmp_execute_async (d->qmp, "cont", NULL, NULL, on_cont_done, task);
}

/* Between two steps of a start: FALSE when QEMU went meanwhile, with the
 * start failed and @task released. */
static gboolean
still_running (GTask *task)
{
  StartData *sd = g_task_get_task_data (task);

  if (vb_qemu_dom (sd->dom)->qmp != NULL)
    return TRUE;
  start_failed (task, g_error_new (VB_ERROR, VB_ERROR_FAILED, "QEMU of domain '%s' exited while starting",
                                   sd->dom->name));
  g_object_unref (task);
  return FALSE;
}

static void
on_prepared (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    start_failed (task, error);
    g_object_unref (task);
    return;
  }
  if (still_running (task))
    start_cpus (task);
}

/* QEMU's event loops — its main loop (devices' I/O completions, the
 * commands) and its I/O threads ("IO <id>": the monitor's, the disks') —
 * get the short slice virtbusd's threads have (service/main.c): woken
 * while a busy vCPU of the guest holds the CPU, they run at once instead
 * of after the vCPU's slice (up to a few ms; bench/README.md, finding 6).
 * Set once QEMU greets: its vCPU threads exist by then and keep the
 * default (the guest's CPU time is not cut into short pieces). A short
 * slice costs the guest no CPU share, only the preemptions. */
static void
shorten_event_loop_slices (VbObj *dom)
{
  GPid pid = vb_qemu_dom (dom)->pid;
  g_autofree char *task_dir = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (task_dir, 0, NULL);
  const char *entry;

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL) {
    int tid = atoi (entry);
    g_autofree char *comm_path = g_build_filename (task_dir, entry, "comm", NULL);
    g_autofree char *comm = NULL;
    int err;

    if (tid != pid && (!g_file_get_contents (comm_path, &comm, NULL, NULL) || !g_str_has_prefix (comm, "IO ")))
      continue;
    err = vb_sched_set_slice_of (tid, 100 * 1000);
    if (err != 0)
      g_debug ("domain '%s': no short scheduler slice for QEMU's thread %d: %s", dom->name, tid, g_strerror (err));
  }
}

static void shape_nets (GTask *task);
static void on_net_shaped (GObject *source, GAsyncResult *result, gpointer user_data);
static void nets_shaped (GTask *task);
static void run_prepare (GTask *task);

static void
on_qmp_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StartData *sd = g_task_get_task_data (task);
  GError *error = NULL;
  VbQmp *qmp = vb_qmp_connect_finish (result, &error);

  if (qmp == NULL) {
    /* The monitor listens from before QEMU ran: no connection means QEMU
     * closed it, exiting (its error is in the log), or never got it. */
    g_autofree char *why = read_log_tail (sd, NULL);
    if (why != NULL) {
      g_clear_error (&error);
      error = g_error_new (VB_ERROR, VB_ERROR_FAILED, "QEMU failed to start domain '%s': %s", sd->dom->name, why);
    } else {
      g_prefix_error (&error, "cannot connect to the monitor of QEMU: ");
    }
    start_failed (task, error);
    return;
  }
  attach_qmp (sd->dom, qmp);
  shorten_event_loop_slices (sd->dom);
  shape_nets (g_steal_pointer (&task));
}

/* The NICs' <bandwidth> (or their portgroup's) on their taps, before the
 * guest runs; all of them at once. */
static void
shape_nets (GTask *task)
{
  StartData *sd = g_task_get_task_data (task);
  VbQemuDom *d = vb_qemu_dom (sd->dom);
  VbDomainDef *def = live_def (sd->dom);

  sd->shaping = 1; /* held until every NIC's shaping started */
  for (guint i = 0; i < def->nets->len; i++) {
    const VbDomainNetDef *net = g_ptr_array_index (def->nets, i);
    const VbBandwidth *bw = vb_qemu_net_bandwidth (d->backend, net);

    if (!vb_qemu_net_has_tap (net) || net->target_dev == NULL || !vb_bandwidth_is_set (bw))
      continue;
    sd->shaping++;
    /* A tap the host made may carry an earlier shaping: taken away first. */
    vb_bandwidth_apply_async (net->target_dev, bw, vb_qemu_net_shape_kind (net),
                              net->target_managed != VB_DOMAIN_TRISTATE_NO, on_net_shaped, g_object_ref (task));
  }
  nets_shaped (task);
}

static void
on_net_shaped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  StartData *sd = g_task_get_task_data (task);
  GError *error = NULL;

  if (!vb_bandwidth_apply_finish (result, &error)) {
    if (sd->shape_error == NULL)
      sd->shape_error = error;
    else
      g_error_free (error);
  }
  nets_shaped (task);
}

/* One NIC's shaping done (@task's reference with it); after the last one
 * the start goes on. */
static void
nets_shaped (GTask *task)
{
  StartData *sd = g_task_get_task_data (task);

  if (--sd->shaping > 0) {
    g_object_unref (task);
    return;
  }
  if (sd->shape_error != NULL) {
    GError *error = g_steal_pointer (&sd->shape_error);
    g_prefix_error (&error, "domain '%s': ", sd->dom->name);
    start_failed (task, error);
    g_object_unref (task);
    return;
  }
  if (still_running (task))
    run_prepare (task);
}

/* The caller's part (a snapshot's or an incoming migration's), then the
 * vCPUs. Takes @task. */
static void
run_prepare (GTask *task)
{
  StartData *sd = g_task_get_task_data (task);

  if (sd->opts.prepare != NULL) {
    GTask *inner = g_task_new (g_task_get_source_object (task), NULL, on_prepared, task);
    sd->opts.prepare (sd->dom, vb_qemu_dom (sd->dom)->qmp, inner, sd->opts.user_data);
    g_object_unref (inner);
    return;
  }
  start_cpus (task);
}

typedef struct {
  VbQemuBackend *self;
  cpu_set_t cpus;
  gboolean must_pin;  /* an explicit <vcpu cpuset>: failing to apply it fails the start */
} ChildSetup;

/* libvirt's cpuset syntax ("0-3,^2,6"), already validated by the parser;
 * FALSE when it names no CPU of this host. */
static gboolean
parse_cpuset (const char *spec, long ncpus, cpu_set_t *set, GError **error)
{
  g_auto(GStrv) items = g_strsplit (spec, ",", -1);
  cpu_set_t excluded;

  CPU_ZERO (set);
  CPU_ZERO (&excluded);
  for (guint i = 0; items[i] != NULL; i++) {
    const char *item = items[i];
    gboolean negate = item[0] == '^';
    guint64 a, b;
    char *end;

    if (negate)
      item++;
    a = g_ascii_strtoull (item, &end, 10);
    b = *end == '-' ? g_ascii_strtoull (end + 1, &end, 10) : a;
    for (guint64 cpu = a; cpu <= b; cpu++) {
      if (cpu >= (guint64) MIN (ncpus, (long) CPU_SETSIZE)) {
        g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "<vcpu cpuset='%s'>: this host has no CPU %" G_GUINT64_FORMAT
                     " (it has %ld)", spec, cpu, ncpus);
        return FALSE;
      }
      CPU_SET (cpu, negate ? &excluded : set);
    }
  }
  for (long cpu = 0; cpu < MIN (ncpus, (long) CPU_SETSIZE); cpu++)
    if (CPU_ISSET (cpu, &excluded))
      CPU_CLR (cpu, set);
  if (CPU_COUNT (set) == 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "<vcpu cpuset='%s'> leaves no CPU to run on", spec);
    return FALSE;
  }
  return TRUE;
}

/* GSubprocessLauncher child setup (between fork and exec). QEMU runs on
 * the CPUs of <vcpu cpuset>, or else on every host CPU, whatever CPUs
 * virtbusd itself is confined to (as libvirt does: a service manager's
 * CPUAffinity= for the daemon is not meant for its guests; a cpuset cgroup
 * narrowing "every CPU" is not an error). System mode drops root for the
 * unprivileged QEMU user. Only async-signal-safe calls. */
static void
child_setup (gpointer user_data)
{
  ChildSetup *setup = user_data;

  /* What -daemonize would do: a session of its own (no signal for
   * virtbusd's process group or terminal reaches the guest), files it
   * creates (sockets, logs) not for others. */
  if (setsid () < 0)
    _exit (124);
  umask (027);
  /* The default slice back (virtbusd asks for a short one, service/main.c):
   * the vCPU threads keep it; the event loops get the short one once QEMU
   * greets (shorten_event_loop_slices). */
  (void) vb_sched_set_slice (0);

  if (sched_setaffinity (0, sizeof setup->cpus, &setup->cpus) < 0 && setup->must_pin)
    _exit (125);
  if (setup->self->qemu_user != NULL &&
      (setgroups (0, NULL) < 0 || setgid (setup->self->qemu_gid) < 0 || setuid (setup->self->qemu_uid) < 0))
    _exit (126);
}

int
vb_qemu_listen_unix (const char *path, GError **error)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof addr.sun_path) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "socket path %s is too long", path);
    return -1;
  }
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (fd, 4) < 0) {
    int saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot listen on %s: %s", path, g_strerror (saved));
    if (fd >= 0)
      close (fd);
    return -1;
  }
  return fd;
}

typedef struct {
  VbQemuBackend *self;
  gboolean as_qemu_user;
} HelperSetup;

/* Between fork and exec: a session of its own, files for nobody else,
 * the QEMU user when asked. Async-signal-safe calls only. */
static void
helper_child_setup (gpointer user_data)
{
  HelperSetup *setup = user_data;

  if (setsid () < 0)
    _exit (124);
  umask (077);
  if (setup->as_qemu_user && setup->self->qemu_user != NULL &&
      (setgroups (0, NULL) < 0 || setgid (setup->self->qemu_gid) < 0 || setuid (setup->self->qemu_uid) < 0))
    _exit (126);
}

int
vb_qemu_spawn_helper (VbQemuBackend *self, const char *const *argv, const char *socket_path, int socket_fd,
                      int out_fd, gboolean as_qemu_user, GError **error)
{
  HelperSetup setup = { self, as_qemu_user };
  int listen_fd, null_fd, pidfd;
  GPid pid;
  gboolean ok;

  listen_fd = vb_qemu_listen_unix (socket_path, error);
  if (listen_fd < 0)
    return -1;
  /* QEMU connects to it: in system mode as the QEMU user. */
  if (self->qemu_user != NULL && chown (socket_path, self->qemu_uid, self->qemu_gid) < 0) {
    int saved = errno;
    close (listen_fd);
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot hand %s to user %s: %s", socket_path, self->qemu_user,
                 g_strerror (saved));
    return -1;
  }
  null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  ok = g_spawn_async_with_pipes_and_fds ("/", argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, helper_child_setup, &setup,
                                         null_fd, out_fd >= 0 ? out_fd : null_fd, out_fd >= 0 ? out_fd : null_fd,
                                         &listen_fd, &socket_fd, 1, &pid, NULL, NULL, NULL, error);
  close (listen_fd);
  if (null_fd >= 0)
    close (null_fd);
  if (!ok) {
    g_prefix_error (error, "cannot run %s: ", argv[0]);
    return -1;
  }
  pidfd = pidfd_open (pid, 0);
  if (pidfd < 0) {
    int saved = errno;
    kill (pid, SIGKILL);
    (void) waitpid (pid, NULL, 0);
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot watch %s (pid %d): %s", argv[0], (int) pid,
                 g_strerror (saved));
    return -1;
  }
  /* Ours to reap when it goes (an adopted child's pidfd watch). */
  vb_child_reap_orphans ();
  return pidfd;
}

static void
close_fd (gpointer p)
{
  close (*(int *) p);
}

/* The descriptor QEMU gets its monitor's listening socket on (after
 * stdio), and the first one of the taps. */
#define MONITOR_FD 3
#define FIRST_TAP_FD 4

gboolean
vb_qemu_net_has_tap (const VbDomainNetDef *net)
{
  return net->type == VB_DOMAIN_NET_TYPE_NETWORK || net->type == VB_DOMAIN_NET_TYPE_BRIDGE ||
         net->type == VB_DOMAIN_NET_TYPE_DIRECT || net->type == VB_DOMAIN_NET_TYPE_ETHERNET;
}

static guint32
macvlan_mode (VbDomainNetDirectMode mode)
{
  switch (mode) {
  case VB_DOMAIN_NET_DIRECT_MODE_PRIVATE:
    return MACVLAN_MODE_PRIVATE;
  case VB_DOMAIN_NET_DIRECT_MODE_BRIDGE:
    return MACVLAN_MODE_BRIDGE;
  case VB_DOMAIN_NET_DIRECT_MODE_PASSTHROUGH:
    return MACVLAN_MODE_PASSTHRU;
  case VB_DOMAIN_NET_DIRECT_MODE_NONE: /* libvirt's default */
  case VB_DOMAIN_NET_DIRECT_MODE_VEPA:
  default:
    return MACVLAN_MODE_VEPA;
  }
}

const VbBandwidth *
vb_qemu_net_bandwidth (VbQemuBackend *self, const VbDomainNetDef *net)
{
  if (vb_bandwidth_is_set (net->bandwidth))
    return net->bandwidth;
  /* On a network: its portgroup's (the one named, else its default). */
  if (net->src_network != NULL)
    return vb_network_local_portgroup_bandwidth (VB_BACKEND (self), net->src_network, net->src_portgroup);
  return NULL;
}

VbShapeKind
vb_qemu_net_shape_kind (const VbDomainNetDef *net)
{
  return vb_domain_net_actual_type (net) == VB_DOMAIN_NET_TYPE_DIRECT ? VB_SHAPE_MACVTAP : VB_SHAPE_TAP;
}

void
vb_qemu_net_release (const VbDomainNetDef *net)
{
  if (vb_domain_net_actual_type (net) == VB_DOMAIN_NET_TYPE_DIRECT)
    vb_network_macvtap_release (net->target_dev, net->mac, net->src_dev);
  if (!vb_qemu_net_has_tap (net) || net->target_dev == NULL)
    return;
  if (net->target_managed == VB_DOMAIN_TRISTATE_NO && vb_bandwidth_is_set (net->bandwidth) &&
      vb_netlink_link_exists (net->target_dev))
    /* The host's tap outlives the guest: unshaped again (and its IFB gone).
     * (Such a tap is of type ethernet: no portgroup shapes it.) */
    vb_bandwidth_apply_async (net->target_dev, NULL, VB_SHAPE_TAP, FALSE, NULL, NULL);
  else
    vb_bandwidth_release (net->target_dev);
}

static void
release_nets (VbDomainDef *def)
{
  for (guint i = 0; i < def->nets->len; i++)
    vb_qemu_net_release (g_ptr_array_index (def->nets, i));
}

/* What plugging NICs in wrote into @def, a configuration again (the
 * persistent one of a domain that ran, or the one a start failed with):
 * the bridge or host interface a network gave, and names handed out
 * anew at each start. */
static void
forget_plugging (VbDomainDef *def)
{
  for (guint i = 0; i < def->nets->len; i++) {
    VbDomainNetDef *net = g_ptr_array_index (def->nets, i);

    if (net->type == VB_DOMAIN_NET_TYPE_NETWORK) {
      g_clear_pointer (&net->src_dev, g_free);
      g_clear_pointer (&net->src_bridge, g_free);
      net->src_mode = VB_DOMAIN_NET_DIRECT_MODE_NONE;
    }
    if (net->target_dev != NULL && (g_str_has_prefix (net->target_dev, "vnet") ||
                                    g_str_has_prefix (net->target_dev, "vif") ||
                                    g_str_has_prefix (net->target_dev, "macvtap")))
      g_clear_pointer (&net->target_dev, g_free);
  }
  /* Ports handed out and networks' addresses looked up at the start
   * (assign_graphics_ports). */
  for (guint i = 0; i < def->graphics->len; i++) {
    VbDomainGraphicsDef *g = g_ptr_array_index (def->graphics, i);
    if (g->autoport)
      g->port = 0;
    if (g->websocket_auto) {
      g->websocket = -1;
      g->websocket_auto = FALSE;
    }
    for (guint j = 0; j < g->listens->len; j++) {
      VbDomainGraphicsListen *l = g_ptr_array_index (g->listens, j);
      if (l->type == VB_DOMAIN_GRAPHICS_LISTEN_NETWORK)
        g_clear_pointer (&l->address, g_free);
    }
  }
}

/* ---- graphics ---- */

/* Whether a TCP listener could take @port on @address now (QEMU binds
 * with SO_REUSEADDR too). */
static gboolean
tcp_port_free (const char *address, int port)
{
  g_autoptr(GInetAddress) inet = address ? g_inet_address_new_from_string (address) : NULL;
  g_autoptr(GSocketAddress) sa = NULL;
  g_autoptr(GSocket) sock = NULL;

  if (inet == NULL)
    inet = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  sa = g_inet_socket_address_new (inet, (guint16) port);
  sock = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  return sock != NULL && g_socket_bind (sock, sa, TRUE, NULL);
}

/* Whether a display of a running or starting guest (@dom's own included)
 * has @port. */
static gboolean
graphics_port_taken (VbQemuBackend *self, int port)
{
  g_autoptr(GPtrArray) doms = vb_backend_list (VB_BACKEND (self), VB_OBJ_DOMAIN);

  for (guint i = 0; i < doms->len; i++) {
    VbObj *other = g_ptr_array_index (doms, i);
    const VbDomainDef *def = other->def;

    if (def == NULL || (!other->active && !vb_qemu_dom (other)->starting))
      continue;
    for (guint j = 0; j < def->graphics->len; j++) {
      const VbDomainGraphicsDef *g = g_ptr_array_index (def->graphics, j);
      if (g->port == port || g->tls_port == port || g->websocket == port)
        return TRUE;
    }
  }
  return FALSE;
}

/* The first port from *@next up that no guest's display has and that can
 * be bound on @address; -1 when none is left. */
static int
free_graphics_port (VbQemuBackend *self, const char *address, int *next)
{
  while (*next <= 65535 && (graphics_port_taken (self, *next) || !tcp_port_free (address, *next)))
    (*next)++;
  return *next <= 65535 ? (*next)++ : -1;
}

/* Whether a display listens on a TCP address (its own or a network's). */
static gboolean
listens_on_tcp (const VbDomainGraphicsListen *l)
{
  return l == NULL || l->type == VB_DOMAIN_GRAPHICS_LISTEN_ADDRESS || l->type == VB_DOMAIN_GRAPHICS_LISTEN_NETWORK;
}

/* The addresses of the networks displays listen on (<listen
 * type='network'>), then ports for the displays with autoport on a TCP
 * address, from 5900 up as libvirt hands them out, and for VNC websockets
 * asked as -1, from 5700 up: written into the live definition, GetXMLDesc
 * shows where to connect (forget_plugging takes them back out). */
static gboolean
assign_graphics_ports (VbQemuBackend *self, VbObj *dom, GError **error)
{
  VbDomainDef *def = live_def (dom);
  int next = 5900, next_websocket = 5700;

  for (guint i = 0; i < def->graphics->len; i++) {
    VbDomainGraphicsDef *g = g_ptr_array_index (def->graphics, i);

    for (guint j = 0; j < g->listens->len; j++) {
      VbDomainGraphicsListen *l = g_ptr_array_index (g->listens, j);
      g_autoptr(GError) local = NULL;

      if (l->type != VB_DOMAIN_GRAPHICS_LISTEN_NETWORK)
        continue;
      g_free (l->address);
      l->address = vb_network_local_listen_address (VB_BACKEND (self), l->network, &local);
      if (l->address == NULL) {
        g_set_error (error, VB_ERROR, local->code, "the %s display of domain '%s' cannot listen on network '%s': %s",
                     vb_domain_graphics_type_to_string (g->type), dom->name, l->network, local->message);
        return FALSE;
      }
    }
  }

  for (guint i = 0; i < def->graphics->len; i++) {
    VbDomainGraphicsDef *g = g_ptr_array_index (def->graphics, i);
    const VbDomainGraphicsListen *l = g->listens->len ? g_ptr_array_index (g->listens, 0) : NULL;
    int port;

    if (g->websocket != -1 || !listens_on_tcp (l))
      continue;
    port = free_graphics_port (self, l ? l->address : NULL, &next_websocket);
    if (port < 0) {
      g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "no free TCP port from 5700 up for the VNC websocket of "
                   "domain '%s'", dom->name);
      return FALSE;
    }
    g->websocket = port;
    g->websocket_auto = TRUE;
  }

  for (guint i = 0; i < def->graphics->len; i++) {
    VbDomainGraphicsDef *g = g_ptr_array_index (def->graphics, i);
    const VbDomainGraphicsListen *l = g->listens->len ? g_ptr_array_index (g->listens, 0) : NULL;

    if (!listens_on_tcp (l) || (!g->autoport && g->port > 0))
      continue;
    g->autoport = TRUE;
    g->port = 0;
    g->port = free_graphics_port (self, l ? l->address : NULL, &next);
    if (g->port < 0) {
      g->port = 0;
      g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "no free TCP port from 5900 up for the %s display of domain '%s'",
                   vb_domain_graphics_type_to_string (g->type), dom->name);
      return FALSE;
    }
  }
  return TRUE;
}

/* Display passwords go to QEMU before the guest runs (never on its
 * command line); until then a display with one lets nobody in. */
static void
set_graphics_passwords (VbObj *dom)
{
  const VbDomainDef *def = live_def (dom);

  for (guint i = 0; i < def->graphics->len; i++) {
    const VbDomainGraphicsDef *g = g_ptr_array_index (def->graphics, i);
    const char *protocol = g->type == VB_DOMAIN_GRAPHICS_SPICE ? "spice" : "vnc";
    g_autoptr(JsonObject) args = NULL;
    g_autoptr(GDateTime) until = NULL;

    if (g->passwd == NULL)
      continue;
    args = json_object_new ();
    json_object_set_string_member (args, "protocol", protocol);
    json_object_set_string_member (args, "password", g->passwd);
    vb_qemu_process_qmp_fire (dom, "set_password", g_steal_pointer (&args));
    if (g->passwd_valid_to != NULL) {
      g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
      g_autofree char *when = NULL;

      /* passwdValidTo is UTC, QEMU wants seconds since the epoch. */
      until = g_date_time_new_from_iso8601 (g->passwd_valid_to, utc);
      if (until == NULL) {
        g_warning ("domain '%s': passwdValidTo '%s' is not a time; the password does not expire", dom->name,
                   g->passwd_valid_to);
        continue;
      }
      when = g_strdup_printf ("%" G_GINT64_FORMAT, g_date_time_to_unix (until));
      args = json_object_new ();
      json_object_set_string_member (args, "protocol", protocol);
      json_object_set_string_member (args, "time", when);
      vb_qemu_process_qmp_fire (dom, "expire_password", g_steal_pointer (&args));
    }
  }
}

/* The host interfaces the guests' NICs on network @name sit on, one entry
 * per NIC: what a network of macvtaps spreads its guests by. */
static GPtrArray *
network_devices_in_use (VbQemuBackend *self, const char *name)
{
  g_autoptr(GPtrArray) doms = vb_backend_list (VB_BACKEND (self), VB_OBJ_DOMAIN);
  GPtrArray *in_use = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < doms->len; i++) {
    const VbDomainDef *def = ((VbObj *) g_ptr_array_index (doms, i))->def;
    for (guint j = 0; def != NULL && j < def->nets->len; j++) {
      const VbDomainNetDef *net = g_ptr_array_index (def->nets, j);
      if (vb_domain_net_actual_type (net) == VB_DOMAIN_NET_TYPE_DIRECT && g_strcmp0 (net->src_network, name) == 0)
        g_ptr_array_add (in_use, g_strdup (net->src_dev));
    }
  }
  return in_use;
}

gboolean
vb_qemu_net_open_tap (VbQemuBackend *self, VbDomainNetDef *net, int *fds, GError **error)
{
  g_autofree char *tap = NULL;
  const char *target = net->target_dev;
  guint queues = vb_qemu_net_queues (net);
  gboolean vnet_hdr = g_strcmp0 (net->model, "virtio") == 0;

  if (net->type == VB_DOMAIN_NET_TYPE_NETWORK) {
    g_autoptr(GPtrArray) in_use = network_devices_in_use (self, net->src_network);
    g_autofree char *bridge = NULL;
    g_autofree char *dev = NULL;
    VbDomainNetDirectMode mode = VB_DOMAIN_NET_DIRECT_MODE_NONE;

    if (!vb_network_local_port_for (VB_BACKEND (self), net->src_network, in_use, &bridge, &dev, &mode, error))
      return FALSE;
    /* A network of macvtaps: the NIC goes onto the interface chosen
     * (its live XML shows a direct one, vb_domain_net_actual_type). */
    g_free (net->src_dev);
    net->src_dev = g_steal_pointer (&dev);
    net->src_mode = mode;
    g_free (net->src_bridge);
    net->src_bridge = g_steal_pointer (&bridge);
  }
  if (vb_domain_net_actual_type (net) == VB_DOMAIN_NET_TYPE_DIRECT) {
    const VbStateDirs *dirs = vb_backend_get_state_dirs (VB_BACKEND (self));
    g_autofree char *node_dir = g_build_filename (dirs->run_dir, "macvtap", NULL);
    /* As libvirt: "macvtap…" names are handed out anew at each start. */
    if (target != NULL && g_str_has_prefix (target, "macvtap"))
      target = NULL;
    if (!vb_network_macvtap_open (net->src_dev, macvlan_mode (net->src_mode), target, net->mac, vnet_hdr, queues,
                                  fds, node_dir, &tap, error))
      return FALSE;
    g_free (net->target_dev);
    net->target_dev = g_steal_pointer (&tap);
    return TRUE;
  }
  /* As libvirt: "vnet…" and "vif…" names are handed out anew at each
   * start (not a tap the host made, which keeps its name). */
  if (target != NULL && (g_str_has_prefix (target, "vnet") || g_str_has_prefix (target, "vif")) &&
      net->target_managed != VB_DOMAIN_TRISTATE_NO)
    target = NULL;
  if (net->type == VB_DOMAIN_NET_TYPE_ETHERNET ?
        !vb_network_tap_open_ethernet (target, net->target_managed != VB_DOMAIN_TRISTATE_NO, net->mac, net->mtu,
                                       net->ips, net->routes, vnet_hdr, queues, fds, &tap, error) :
        !vb_network_tap_open (net->src_bridge, target, net->mac, net->mtu, vnet_hdr, queues, fds, &tap, error))
    return FALSE;
  g_free (net->target_dev);
  net->target_dev = g_steal_pointer (&tap);
  return TRUE;
}

/* Taps for the interfaces that have one. @fds: ours, closed with the
 * array; @child_fds: per interface, the number QEMU gets its first
 * queue's descriptor as (the others follow it), or -1. */
static gboolean
open_taps (VbQemuBackend *self, VbDomainDef *def, GArray *fds, int *child_fds, GError **error)
{
  for (guint i = 0; i < def->nets->len; i++) {
    VbDomainNetDef *net = g_ptr_array_index (def->nets, i);
    guint queues = vb_qemu_net_queues (net);
    g_autofree int *queue_fds = NULL;

    child_fds[i] = -1;
    if (!vb_qemu_net_has_tap (net))
      continue;
    queue_fds = g_new (int, queues);
    if (!vb_qemu_net_open_tap (self, net, queue_fds, error))
      return FALSE;
    child_fds[i] = FIRST_TAP_FD + (int) fds->len;
    g_array_append_vals (fds, queue_fds, queues);
  }
  return TRUE;
}

/* Starts what QEMU connects to at its start: the TPM emulator, a
 * virtiofsd per shared directory; their pidfds go to d->helpers. */
static gboolean
spawn_helpers (VbQemuBackend *self, VbObj *dom, const VbQemuCommandContext *ctx, int logfd, GError **error)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  int pidfd;

  if (ctx->tpm_socket != NULL) {
    if ((pidfd = vb_qemu_tpm_spawn (self, dom, ctx->tpm_socket, error)) < 0)
      return FALSE;
    g_array_append_val (d->helpers, pidfd);
  }
  for (guint i = 0; ctx->fs_sockets != NULL && ctx->fs_sockets[i] != NULL; i++) {
    const VbDomainFsDef *fs = g_ptr_array_index (live_def (dom)->filesystems, i);

    /* 9p shares have no helper: QEMU serves them. */
    if (fs->driver != VB_DOMAIN_FS_DRIVER_VIRTIOFS) {
      if (!g_file_test (fs->src_dir, G_FILE_TEST_IS_DIR)) {
        g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "<filesystem> '%s': source %s is not a directory",
                     fs->dst, fs->src_dir);
        return FALSE;
      }
      continue;
    }
    if ((pidfd = vb_qemu_virtiofs_spawn (self, dom, i, ctx->fs_sockets[i], logfd, error)) < 0)
      return FALSE;
    g_array_append_val (d->helpers, pidfd);
  }
  return TRUE;
}

static void
start_with_caps (VbQemuBackend *self, const VbQemuCaps *caps, const GError *caps_error, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StartData *sd = g_task_get_task_data (task);
  VbObj *dom = sd->dom;
  const VbStateDirs *dirs = vb_backend_get_state_dirs (VB_BACKEND (self));
  g_autofree char *run_dir = vb_qemu_domain_run_dir (self, dom->name);
  g_autofree char *log_dir = g_build_filename (dirs->log_dir, dom->name, NULL);
  g_autofree char *pidfile = run_file (dom, "qemu.pid");
  g_autofree char *qmp_path = run_file (dom, "qmp.sock");
  g_autofree char *tpm_path = run_file (dom, "swtpm.sock");
  g_auto(GStrv) fs_sockets = NULL;
  g_autoptr(GArray) child_fds = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) target_fds = g_array_new (FALSE, FALSE, sizeof (int));
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) envp = NULL;
  g_autofree char *cmdline = NULL;
  g_autofree char *header = NULL;
  ChildSetup setup = { 0 };
  gboolean spawned;
  GPid pid;
  int monfd;
  GError *error = NULL;
  VbQemuCommandContext ctx = { 0 };
  g_autoptr(VbSysinfoDef) host_sysinfo = NULL;
  g_autoptr(GArray) taps = g_array_new (FALSE, FALSE, sizeof (int));
  g_autofree int *tap_fds = NULL;
  int logfd, nullfd;

  if (caps == NULL) {
    start_failed (task, g_error_new (VB_ERROR, VB_ERROR_FAILED, "QEMU (%s) is not usable: %s", self->emulator,
                                     caps_error ? caps_error->message : "unknown error"));
    return;
  }
  if (self->user_error != NULL) {
    start_failed (task, g_error_copy (self->user_error));
    return;
  }
  /* host-model becomes the model and features it is on this host (without
   * QEMU's CPU data, QEMU's own "host"/"max" stand in). */
  if (caps->cpu != NULL && live_def (dom)->cpu != NULL
      && live_def (dom)->cpu->mode == VB_DOMAIN_CPU_MODE_HOST_MODEL) {
    sd->cpu_as_defined = vb_domain_cpu_def_copy (live_def (dom)->cpu);
    if (!vb_qemu_cpu_expand_host_model (caps->cpu, live_def (dom), &error)) {
      start_failed (task, error);
      return;
    }
  }
  if (!vb_qemu_domain_resolve_volumes (self, live_def (dom), TRUE, &error) ||
      !vb_qemu_domain_validate (live_def (dom), caps, &error)) {
    start_failed (task, error);
    return;
  }
  /* Leftovers of an earlier run would confuse QEMU and us. */
  remove_runtime_files (self, dom->name);
  if (g_mkdir_with_parents (run_dir, 0700) < 0) {
    start_failed (task, g_error_new (VB_ERROR, VB_ERROR_IO, "cannot create %s: %s", run_dir,
                                     g_strerror (errno)));
    return;
  }
  /* Serial logs go to a per-domain directory: file names stay unique and
   * an unprivileged QEMU can write there. */
  if (g_mkdir_with_parents (log_dir, 0750) < 0) {
    start_failed (task, g_error_new (VB_ERROR, VB_ERROR_IO, "cannot create %s: %s", log_dir,
                                     g_strerror (errno)));
    return;
  }
  if (self->qemu_user != NULL &&
      (chown (run_dir, self->qemu_uid, self->qemu_gid) < 0 || chown (log_dir, self->qemu_uid, self->qemu_gid) < 0)) {
    start_failed (task, g_error_new (VB_ERROR, VB_ERROR_IO, "cannot hand %s and %s to user %s: %s", run_dir,
                                     log_dir, self->qemu_user, g_strerror (errno)));
    return;
  }
  if (self->qemu_user != NULL) {
    VbQemuDom *d = vb_qemu_dom (dom);
    restore_access (d);
    d->grants = vb_qemu_access_grant (live_def (dom), self->qemu_uid, &error);
    if (d->grants == NULL) {
      start_failed (task, error);
      return;
    }
  }

  ctx.emulator = caps->emulator ? caps->emulator : self->emulator;
  ctx.run_dir = run_dir;
  ctx.log_dir = log_dir;
  ctx.qmp_socket = qmp_path;
  ctx.pidfile = pidfile;
  ctx.system = vb_backend_is_system (VB_BACKEND (self));
  ctx.qmp_fd = MONITOR_FD;
  if (vb_qemu_tpm_emulator (live_def (dom)) != NULL)
    ctx.tpm_socket = tpm_path;
  if (live_def (dom)->filesystems->len > 0) {
    fs_sockets = g_new0 (char *, live_def (dom)->filesystems->len + 1);
    for (guint i = 0; i < live_def (dom)->filesystems->len; i++) {
      g_autofree char *name = g_strdup_printf ("fs%u.sock", i);
      fs_sockets[i] = run_file (dom, name);
    }
    ctx.fs_sockets = (const char *const *) fs_sockets;
  }
  ctx.incoming = sd->opts.incoming;
  g_array_set_clear_func (taps, close_fd);
  tap_fds = g_new (int, live_def (dom)->nets->len + 1);
  if (!open_taps (self, live_def (dom), taps, tap_fds, &error)) {
    start_failed (task, error);
    return;
  }
  if (taps->len > 0)
    ctx.tap_fds = tap_fds;
  if (!assign_graphics_ports (self, dom, &error)) {
    start_failed (task, error);
    return;
  }
  if (live_def (dom)->os.smbios == VB_DOMAIN_SMBIOS_HOST) {
    g_autofree char *xml = vb_qemu_smbios_get_sysinfo (VB_BACKEND (self), 0, &error);

    if (xml != NULL)
      host_sysinfo = vb_sysinfo_def_parse_host (xml, &error);
    if (host_sysinfo == NULL) {
      g_prefix_error (&error, "domain '%s' asks for the host's SMBIOS information (<smbios mode='host'>): ",
                      dom->name);
      start_failed (task, error);
      return;
    }
    ctx.host_sysinfo = host_sysinfo;
  }
  /* The live definition carries the ids the command line uses (<alias>):
   * hotplug, the agent and stats find devices by them. */
  vb_qemu_domain_assign_aliases (live_def (dom));
  vb_qemu_dom (dom)->rtc_adjustment0 = live_def (dom)->clock.adjustment;
  argv = vb_qemu_build_command (live_def (dom), caps, &ctx, &error);
  if (argv == NULL) {
    start_failed (task, error);
    return;
  }

  {
    long ncpus = sysconf (_SC_NPROCESSORS_CONF);
    const char *cpuset = live_def (dom)->vcpu_cpuset;

    setup.self = self;
    if (cpuset != NULL) {
      setup.must_pin = TRUE;
      if (!parse_cpuset (cpuset, ncpus, &setup.cpus, &error)) {
        start_failed (task, error);
        return;
      }
    } else {
      CPU_ZERO (&setup.cpus);
      for (long cpu = 0; cpu < MIN (ncpus, (long) CPU_SETSIZE); cpu++)
        CPU_SET (cpu, &setup.cpus);
    }
  }

  logfd = open (sd->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (logfd < 0) {
    start_failed (task, g_error_new (VB_ERROR, VB_ERROR_IO, "cannot open %s: %s", sd->log_path,
                                     g_strerror (errno)));
    return;
  }
  cmdline = g_strjoinv (" ", argv);
  {
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
    g_autofree char *stamp = g_date_time_format_iso8601 (now);
    header = g_strdup_printf ("%s: starting up\n%s\n", stamp, cmdline);
  }
  if (write (logfd, header, strlen (header)) < 0)
    g_debug ("cannot write to %s: %s", sd->log_path, g_strerror (errno));
  sd->log_start = lseek (logfd, 0, SEEK_END);
  g_debug ("starting domain '%s': %s", dom->name, cmdline);

  /* The monitor listens before QEMU runs: QEMU gets it as MONITOR_FD
   * and accepts once it is ready. */
  monfd = vb_qemu_listen_unix (qmp_path, &error);
  nullfd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (monfd < 0 || nullfd < 0) {
    if (error == NULL)
      error = g_error_new (VB_ERROR, VB_ERROR_IO, "cannot open /dev/null: %s", g_strerror (errno));
    if (monfd >= 0)
      close (monfd);
    if (nullfd >= 0)
      close (nullfd);
    close (logfd);
    start_failed (task, error);
    return;
  }
  /* The helpers listen before QEMU connects to them. */
  if (!spawn_helpers (self, dom, &ctx, logfd, &error)) {
    close (monfd);
    close (nullfd);
    close (logfd);
    start_failed (task, error);
    return;
  }
  /* QEMU is our child, not daemonized: it is ready when the monitor
   * greets (QEMU's parent process exiting took 2-3 ms longer warm, and
   * much more on a cold host, see bench/README.md), and whatever it
   * writes later still goes to the log. It is reaped through its pidfd
   * (process_exited). The taps and the monitor socket are inherited;
   * ours close when this function returns. */
  g_array_append_val (child_fds, monfd);
  g_array_append_val (target_fds, (int) { MONITOR_FD });
  for (guint i = 0; i < taps->len; i++) {
    g_array_append_val (child_fds, g_array_index (taps, int, i));
    g_array_append_val (target_fds, (int) { FIRST_TAP_FD + (int) i });
  }
  /* <clock offset='timezone'>: QEMU's localtime() is the guest's zone. */
  if (live_def (dom)->clock.offset == VB_DOMAIN_CLOCK_TIMEZONE && live_def (dom)->clock.timezone != NULL)
    envp = g_environ_setenv (g_get_environ (), "TZ", live_def (dom)->clock.timezone, TRUE);
  spawned = g_spawn_async_with_pipes_and_fds ("/", (const char *const *) argv, (const char *const *) envp,
                                              G_SPAWN_DO_NOT_REAP_CHILD,
                                              child_setup, &setup, nullfd, logfd, logfd,
                                              (const int *) child_fds->data, (const int *) target_fds->data,
                                              child_fds->len, &pid, NULL, NULL, NULL, &error);
  close (monfd);
  close (nullfd);
  close (logfd);
  if (!spawned) {
    g_prefix_error (&error, "cannot run %s: ", ctx.emulator);
    start_failed (task, error);
    return;
  }
  if (!watch_process (dom, pid, &error)) {
    kill (pid, SIGKILL);
    (void) waitpid (pid, NULL, 0);
    start_failed (task, error);
    return;
  }
  vb_child_proc_stat (pid, NULL, NULL, &vb_qemu_dom (dom)->start_time);
  vb_qmp_connect_async (qmp_path, NULL, on_qmp_connected, g_steal_pointer (&task));
  /* From here a daemon that dies before the start is over leaves a file
   * saying so: the next one stops this QEMU instead of losing track of it
   * (a restore, an incoming migration: the whole time they load). Written
   * while QEMU starts up. */
  vb_qemu_process_save_state (dom, NULL);
}

static void
on_tpm_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  StartData *sd = g_task_get_task_data (task);
  GError *error = NULL;

  if (!vb_qemu_tpm_setup_finish (result, &error)) {
    start_failed (task, error);
    g_object_unref (task);
    return;
  }
  vb_qemu_backend_when_caps_ready (vb_qemu_dom (sd->dom)->backend, start_with_caps, task);
}

/* After the NVRAM: the TPM's state (swtpm_setup, once per domain), then
 * QEMU. Takes @task's reference. */
static void
prepare_tpm (GTask *task)
{
  StartData *sd = g_task_get_task_data (task);
  VbQemuBackend *self = vb_qemu_dom (sd->dom)->backend;

  if (vb_qemu_tpm_emulator (sd->dom->def) != NULL) {
    vb_qemu_tpm_setup_async (self, sd->dom, on_tpm_ready, task);
    return;
  }
  vb_qemu_backend_when_caps_ready (self, start_with_caps, task);
}

typedef struct {
  char *path;
  char *template;
  gboolean reset;
  uid_t uid;
  gid_t gid;
} NvramJob;

static void
nvram_job_free (gpointer p)
{
  NvramJob *j = p;

  g_free (j->path);
  g_free (j->template);
  g_free (j);
}

static void
make_nvram_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  NvramJob *j = data;
  GError *error = NULL;

  if (vb_qemu_nvram_make (j->path, j->template, j->reset, j->uid, j->gid, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_nvram_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  StartData *sd = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_prefix_error (&error, "cannot start domain '%s': ", sd->dom->name);
    start_failed (task, error);
    g_object_unref (task);
    return;
  }
  prepare_tpm (task);
}

/* UEFI first: a definition from before the firmware was chosen at define
 * time gets it now; the guest's variable store is made from its template
 * when missing (or asked for anew: RESET_NVRAM), in a worker thread. */
static void
prepare_firmware (VbQemuBackend *self, const VbQemuCaps *caps, const GError *caps_error, gpointer user_data)
{
  GTask *task = user_data;
  StartData *sd = g_task_get_task_data (task);
  VbDomainDef *def = live_def (sd->dom);
  GError *error = NULL;
  GTask *job_task;
  NvramJob *job;

  /* Without caps, start_with_caps says why QEMU cannot run. */
  if (caps == NULL) {
    vb_qemu_backend_when_caps_ready (self, start_with_caps, task);
    return;
  }
  if (!vb_qemu_domain_fill_firmware (self, def, caps, &error)) {
    start_failed (task, error);
    g_object_unref (task);
    return;
  }
  if (def->os.nvram_path == NULL || def->os.loader_type != VB_DOMAIN_LOADER_TYPE_PFLASH) {
    if (sd->flags & VB_QEMU_START_RESET_NVRAM) {
      start_failed (task, g_error_new (VB_ERROR, VB_ERROR_OPERATION_INVALID,
                                       "domain '%s' has no NVRAM to reset (no UEFI firmware)", sd->dom->name));
      g_object_unref (task);
      return;
    }
    prepare_tpm (task);
    return;
  }
  job = g_new0 (NvramJob, 1);
  job->path = g_strdup (def->os.nvram_path);
  job->template = g_strdup (def->os.nvram_template);
  job->reset = (sd->flags & VB_QEMU_START_RESET_NVRAM) != 0;
  job->uid = self->qemu_user != NULL ? self->qemu_uid : (uid_t) -1;
  job->gid = self->qemu_user != NULL ? self->qemu_gid : (gid_t) -1;
  job_task = g_task_new (sd->dom, NULL, on_nvram_ready, task);
  g_task_set_task_data (job_task, job, nvram_job_free);
  g_task_run_in_thread (job_task, make_nvram_thread);
  g_object_unref (job_task);
}

void
vb_qemu_process_start (VbQemuBackend *self, VbObj *dom, guint flags, GTask *task)
{
  vb_qemu_process_start_full (self, dom, flags, NULL, task);
}

void
vb_qemu_process_start_full (VbQemuBackend *self, VbObj *dom, guint flags, const VbQemuStartOptions *opts,
                            GTask *task)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  StartData *sd;

  if (dom->active || d->starting || d->pid > 0) {
    if (opts != NULL && opts->user_data_free != NULL)
      opts->user_data_free (opts->user_data);
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                             dom->active ? "domain '%s' is already running" : "domain '%s' is already being started",
                             dom->name);
    return;
  }
  sd = g_new0 (StartData, 1);
  sd->dom = g_object_ref (dom);
  sd->flags = flags;
  sd->log_path = vb_qemu_domain_log_path (self, dom->name);
  if (opts != NULL)
    sd->opts = *opts;
  g_task_set_task_data (task, sd, start_data_free);
  d->starting = TRUE;
  d->stop_cause = VB_QEMU_STOP_NONE;
  d->guest_shutdown = FALSE;
  d->fake_reboot = FALSE;
  /* The firmware's variables, the TPM's state, then QEMU. */
  vb_qemu_backend_when_caps_ready (self, prepare_firmware, g_object_ref (task));
}

/* ---- console ---- */

int
vb_qemu_process_open_console (VbObj *dom, guint index, GError **error)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (!dom->active || d->pid <= 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
    return -1;
  }
  dir = vb_qemu_domain_run_dir (d->backend, dom->name);
  path = vb_qemu_console_socket_path (dir, index);
  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "domain '%s' has no serial console %u", dom->name, index);
    return -1;
  }
  if (strlen (path) >= sizeof addr.sun_path) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "console socket path %s is too long", path);
    return -1;
  }
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0) {
    int saved = errno;
    if (fd >= 0)
      close (fd);
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot connect to console %u of domain '%s': %s", index,
                 dom->name, g_strerror (saved));
    return -1;
  }
  return fd;
}

/* ---- reattach ---- */

static gboolean
cmdline_has (GPid pid, const char *needle)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return FALSE;
  /* Arguments are NUL-separated. */
  for (gsize i = 0; i < len; i++)
    if (contents[i] == '\0')
      contents[i] = ' ';
  return strstr (contents, needle) != NULL;
}

static void
on_reattach_status (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VbObj) dom = user_data;
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);
  JsonObject *status;
  gboolean running;

  if (ret == NULL || !JSON_NODE_HOLDS_OBJECT (ret) || !dom->active) {
    if (error)
      g_warning ("domain '%s': query-status failed: %s", dom->name, error->message);
    return;
  }
  status = json_node_get_object (ret);
  running = json_object_get_boolean_member_with_default (status, "running", FALSE);
  /* What changed while nobody watched is reported now. */
  if (running && dom->state != VB_DOMAIN_RUNNING) {
    d->guest_shutdown = FALSE;
    set_state (dom, VB_DOMAIN_RUNNING, VB_QEMU_RUNNING_UNPAUSED);
    vb_qemu_emit (d->backend, dom, VB_QEMU_EV_RESUMED, VB_QEMU_RESUMED_UNPAUSED);
  } else if (!running && dom->state == VB_DOMAIN_RUNNING) {
    const char *st = json_object_get_string_member_with_default (status, "status", "");
    if (g_strcmp0 (st, "shutdown") == 0) {
      d->guest_shutdown = TRUE;
      set_state (dom, VB_DOMAIN_SHUTDOWN, VB_QEMU_SHUTDOWN_REASON_USER);
      vb_qemu_emit (d->backend, dom, VB_QEMU_EV_SHUTDOWN, VB_QEMU_SHUTDOWN_FINISHED);
      apply_lifecycle_action (dom, live_def (dom)->on_poweroff, VB_QEMU_STOP_SHUTDOWN);
    } else {
      set_state (dom, VB_DOMAIN_PAUSED, VB_QEMU_PAUSED_UNKNOWN);
      vb_qemu_emit (d->backend, dom, VB_QEMU_EV_SUSPENDED, VB_QEMU_SUSPENDED_PAUSED);
    }
  }
}

static void
on_reattach_qmp (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VbObj) dom = user_data;
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autoptr(GError) error = NULL;
  VbQmp *qmp = vb_qmp_connect_finish (result, &error);

  if (d->pidfd < 0) {
    g_clear_object (&qmp);
    return;
  }
  if (qmp == NULL) {
    /* A QEMU we cannot control is not left running behind our back. */
    g_warning ("cannot reconnect to the monitor of domain '%s': %s; stopping it", dom->name, error->message);
    vb_qemu_process_destroy (d->backend, dom, VB_QEMU_STOP_NONE, FALSE, NULL);
    return;
  }
  attach_qmp (dom, qmp);
  parts_running (dom);
  if (d->reattach_state != NULL) {
    g_autoptr(JsonObject) state = g_steal_pointer (&d->reattach_state);
    const char *client = json_object_get_string_member_with_default (state, "autodestroy-client", NULL);

    parts_reattached (dom, state);
    /* Its client may have stayed on the bus while the daemon restarted. */
    if (client != NULL)
      arm_autodestroy (dom, g_strdup (client));
  }
  vb_qmp_execute_async (qmp, "query-status", NULL, NULL, on_reattach_status, g_object_ref (dom));
}

gboolean
vb_qemu_process_reattach (VbQemuBackend *self, const char *path, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(VbDomainDef) def = NULL;
  g_autoptr(VbObj) created = NULL;
  JsonObject *st;
  const char *xml, *qmp_path;
  GPid pid;
  guint64 start_time, now_start = 0;
  char pstate = 0;
  gboolean starting, alive;
  VbObj *dom;
  VbQemuDom *d;
  int id;

  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "%s is not a state file", path);
    return FALSE;
  }
  st = json_node_get_object (json_parser_get_root (parser));
  xml = json_object_get_string_member_with_default (st, "xml", NULL);
  qmp_path = json_object_get_string_member_with_default (st, "qmp", NULL);
  pid = (GPid) json_object_get_int_member_with_default (st, "pid", 0);
  start_time = (guint64) json_object_get_int_member_with_default (st, "start-time", 0);
  id = (int) json_object_get_int_member_with_default (st, "id", -1);
  starting = json_object_get_boolean_member_with_default (st, "starting", FALSE);
  if (xml == NULL || qmp_path == NULL || pid <= 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "%s is incomplete", path);
    return FALSE;
  }
  def = vb_domain_def_parse_full (xml, VB_DOMAIN_PARSE_STATUS, error);
  if (def == NULL)
    return FALSE;

  dom = vb_backend_lookup (VB_BACKEND (self), VB_OBJ_DOMAIN, def->uuid);
  /* Its config becomes the persistent definition next to the live one. */
  if (dom != NULL && !vb_qemu_domain_ensure_def (dom, error))
    return FALSE;
  /* The same process, not another that got its pid since. */
  alive = vb_child_proc_stat (pid, &pstate, NULL, &now_start) && pstate != 'Z' && now_start == start_time &&
          cmdline_has (pid, def->uuid);
  if (!alive || starting) {
    g_autoptr(GPtrArray) grants = vb_qemu_access_from_json (json_object_get_member (st, "grants"));

    if (alive) {
      /* Its start (a boot, a restore, an incoming migration) was cut
       * short with the daemon: as libvirt, the half-started QEMU goes. A
       * managed save image stays for the next start. */
      g_warning ("domain '%s' was starting when virtbusd stopped: stopping its QEMU (pid %d)", def->name,
                 (int) pid);
      if (kill (pid, SIGKILL) < 0 && errno != ESRCH)
        g_warning ("cannot stop QEMU of domain '%s': %s", def->name, g_strerror (errno));
    } else {
      g_info ("QEMU of domain '%s' is gone since the last run", def->name);
    }
    remove_runtime_files (self, def->name);
    vb_qemu_access_restore (grants);
    if (dom != NULL)
      vb_obj_set_state (dom, VB_DOMAIN_SHUTOFF, starting ? VB_QEMU_SHUTOFF_FAILED : VB_QEMU_SHUTOFF_CRASHED, -1);
    return TRUE;
  }

  if (dom == NULL) {
    created = vb_qemu_domain_new_obj (self, g_steal_pointer (&def));
    dom = created;
  } else {
    VbDomainDef *live = g_steal_pointer (&def);
    VbDomainDef *persistent = dom->def;
    /* The loaded config is the persistent one; the state file has the live one. */
    dom->def = NULL;
    persistent->id = -1;
    vb_obj_set_def (dom, live);
    vb_obj_set_newdef (dom, persistent);
  }
  d = vb_qemu_dom (dom);
  g_clear_pointer (&d->reattach_state, json_object_unref);
  d->reattach_state = json_object_ref (st);
  d->guest_shutdown = json_object_get_boolean_member_with_default (st, "guest-shutdown", FALSE);
  d->rtc_adjustment0 = json_object_get_int_member_with_default (st, "rtc-adjustment0", live_def (dom)->clock.adjustment);
  g_clear_pointer (&d->grants, g_ptr_array_unref);
  d->grants = vb_qemu_access_from_json (json_object_get_member (st, "grants"));
  live_def (dom)->id = id;
  if (!watch_process (dom, pid, error))
    return FALSE;
  d->start_time = start_time;
  vb_obj_set_state (dom, (int) json_object_get_int_member_with_default (st, "state", VB_DOMAIN_RUNNING),
                    (int) json_object_get_int_member_with_default (st, "reason", 0), id);
  if (id >= self->next_id)
    self->next_id = id + 1;
  if (created != NULL)
    vb_backend_add_object (VB_BACKEND (self), created);
  vb_qmp_connect_async (qmp_path, NULL, on_reattach_qmp, g_object_ref (dom));
  g_info ("reattached to QEMU of domain '%s' (pid %d)", dom->name, (int) pid);
  return TRUE;
}
