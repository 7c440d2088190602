/* QEMU processes of the QEMU backend: starting (a child of ours, paused, then
 * `cont`), stopping, exit detection (pidfd), QMP events → domain state and
 * events, runtime state files and reattaching after a daemon restart. */
#pragma once

#include "vb-network-bandwidth.h"
#include "vb-qemu-private.h"

G_BEGIN_DECLS

/* How a start differs from a plain boot: restore from a saved state,
 * reverting to a snapshot, an incoming migration. */
typedef struct {
  /* Start QEMU with -incoming defer (the prepare hook then feeds it). */
  gboolean incoming;
  /* Runs once QMP is connected, before the CPUs run and before any event:
   * sets the guest up (migrate-incoming and its completion, snapshot-load)
   * and completes @task [void]. An error fails the start: QEMU is killed
   * without events and the start's task returns that error. */
  void (*prepare) (VbObj *dom, VbQmp *qmp, GTask *task, gpointer user_data);
  gpointer user_data;
  GDestroyNotify user_data_free;
  /* STARTED detail and RUNNING reason (0 for both = a boot); with
   * VB_QEMU_START_PAUSED, the SUSPENDED detail and PAUSED reason. */
  int started_detail;
  int running_reason;
  int suspended_detail;
  int paused_reason;
} VbQemuStartOptions;

/* A tap for @net (type network or bridge), up in its bridge, or for type
 * direct a macvtap on its host interface; @net, a live interface, records
 * the device's name and, for a network, the bridge. The descriptors QEMU
 * gets, one per queue (vb_qemu_net_queues), go to @fds; FALSE with
 * @error and none open. */
gboolean vb_qemu_net_open_tap (VbQemuBackend *self, VbDomainNetDef *net, int *fds, GError **error);
/* TRUE for the interface types QEMU gets a tap descriptor for. */
gboolean vb_qemu_net_has_tap (const VbDomainNetDef *net);
/* What goes when the guest lets go of @net: a tap goes by itself with
 * its last descriptor, a macvtap is removed here, and so is the IFB
 * device of a shaped one (a tap the host made is unshaped again). */
void vb_qemu_net_release (const VbDomainNetDef *net);
/* What shapes @net's traffic: its own <bandwidth>, else on a network its
 * portgroup's; NULL when nothing does. Owned by @net or the network. */
const VbBandwidth *vb_qemu_net_bandwidth (VbQemuBackend *self, const VbDomainNetDef *net);
/* Which way @net's host device carries the guest's traffic. */
VbShapeKind vb_qemu_net_shape_kind (const VbDomainNetDef *net);

/* vb_qemu_process_start() with @opts (copied; NULL = a boot). */
void vb_qemu_process_start_full (VbQemuBackend *self, VbObj *dom, guint flags, const VbQemuStartOptions *opts,
                                 GTask *task);

/* Starts @dom (inactive). Completes @task [void] once the guest runs (or is
 * paused, with VB_QEMU_START_PAUSED), after the STARTED event; fails with a
 * message taken from QEMU's log when QEMU refuses to start. */
void vb_qemu_process_start (VbQemuBackend *self, VbObj *dom, guint flags, GTask *task);

/* Stops @dom's QEMU: QMP quit, then SIGTERM, then SIGKILL (not with
 * @graceful). Completes @task [void] when the process is gone (driven by
 * its pidfd); @task may be NULL. */
void vb_qemu_process_destroy (VbQemuBackend *self, VbObj *dom, VbQemuStopCause cause, gboolean graceful,
                              GTask *task);

/* Runs a QMP command on @dom's QEMU, completing @task [void] when QEMU
 * answered (or with its error). */
void vb_qemu_process_qmp_void (VbObj *dom, const char *command, JsonObject *args, GTask *task);

/* Reattaches to the QEMU described by state file @path (daemon restart):
 * checks the process is still the same one (start time, uuid on its
 * command line), watches it, reconnects QMP and re-reads its run state.
 * The domain is the one already loaded from its config (persistent) or a
 * new transient one. A dead QEMU's files are cleaned up and its persistent
 * domain is reported shut off (crashed); a QEMU whose start was not over
 * is killed (shut off, failed). A job the file names is undone by its part
 * once QMP is back (.reattached). FALSE only for unreadable files. */
gboolean vb_qemu_process_reattach (VbQemuBackend *self, const char *path, GError **error);

/* The guest's CPUs stopped / run again (QMP STOP/RESUME, or the reply of
 * our stop/cont): state and SUSPENDED/RESUMED event, once. */
void vb_qemu_process_note_paused (VbObj *dom);
void vb_qemu_process_note_resumed (VbObj *dom);

/* The domain's QMP connection while it runs (NULL otherwise). */
VbQmp *vb_qemu_process_get_qmp (VbObj *dom);

/* Sends @command (taking @args, may be NULL) without waiting for QEMU's
 * answer (clean-ups whose failure changes nothing); nothing when QMP is
 * not connected. */
void vb_qemu_process_qmp_fire (VbObj *dom, const char *command, JsonObject *args);

/* Runs a QMP command, completing @task with its JsonNode return value
 * (a JsonNode *, free with json_node_unref) or QEMU's error. */
void vb_qemu_process_qmp (VbObj *dom, const char *command, JsonObject *args, GTask *task);

/* Writes the runtime state file of running @dom. */
gboolean vb_qemu_process_save_state (VbObj *dom, GError **error);

/* Daemon shutdown: stops watching (QEMUs keep running). */
void vb_qemu_process_detach (VbObj *dom);

/* Connects to serial/console @index of running @dom; returns a connected
 * socket fd or -1 with @error. */
int vb_qemu_process_open_console (VbObj *dom, guint index, GError **error);

void vb_qemu_dom_free (gpointer data);

G_END_DECLS
