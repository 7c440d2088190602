/* QEMU processes of the QEMU backend: starting (daemonized, paused, then
 * `cont`), stopping, exit detection (pidfd), QMP events → domain state and
 * events, runtime state files and reattaching after a daemon restart. */
#pragma once

#include "vb-qemu-private.h"

G_BEGIN_DECLS

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
 * domain is reported shut off (crashed). FALSE only for unreadable files. */
gboolean vb_qemu_process_reattach (VbQemuBackend *self, const char *path, GError **error);

/* The guest's CPUs stopped / run again (QMP STOP/RESUME, or the reply of
 * our stop/cont): state and SUSPENDED/RESUMED event, once. */
void vb_qemu_process_note_paused (VbObj *dom);
void vb_qemu_process_note_resumed (VbObj *dom);

/* Writes the runtime state file of running @dom. */
gboolean vb_qemu_process_save_state (VbObj *dom, GError **error);

/* Daemon shutdown: stops watching (QEMUs keep running). */
void vb_qemu_process_detach (VbObj *dom);

/* Connects to serial/console @index of running @dom; returns a connected
 * socket fd or -1 with @error. */
int vb_qemu_process_open_console (VbObj *dom, guint index, GError **error);

void vb_qemu_dom_free (gpointer data);

G_END_DECLS
