/* Long-running jobs of a domain (save, dump, migration, snapshot): at most
 * one at a time per domain, reported by GetJobInfo/GetJobStats and
 * cancelled by AbortJob. The part that runs a job begins it, keeps it
 * informed, and ends it.
 *
 * Also the engine that moves a guest's state with QEMU's migration, for
 * every part that needs it (save/restore, live migration, snapshots):
 * vb_qemu_job_migrate_out_async() sends it somewhere (a URI or an fd),
 * vb_qemu_job_incoming_prepare() receives it while a domain starts. */
#pragma once

#include "vb-qemu-private.h"

G_BEGIN_DECLS

/* virDomainJobOperation */
typedef enum {
  VB_QEMU_JOB_NONE = 0,
  VB_QEMU_JOB_START = 1,
  VB_QEMU_JOB_SAVE = 2,
  VB_QEMU_JOB_RESTORE = 3,
  VB_QEMU_JOB_MIGRATION_IN = 4,
  VB_QEMU_JOB_MIGRATION_OUT = 5,
  VB_QEMU_JOB_SNAPSHOT = 6,
  VB_QEMU_JOB_SNAPSHOT_REVERT = 7,
  VB_QEMU_JOB_DUMP = 8,
} VbQemuJobKind;

/* virDomainJobType: the first member of GetJobInfo / GetJobStats. */
enum {
  VB_QEMU_JOB_TYPE_NONE = 0, VB_QEMU_JOB_TYPE_BOUNDED = 1, VB_QEMU_JOB_TYPE_UNBOUNDED = 2,
  VB_QEMU_JOB_TYPE_COMPLETED = 3, VB_QEMU_JOB_TYPE_FAILED = 4, VB_QEMU_JOB_TYPE_CANCELLED = 5,
};

/* Starts a job of @kind on @dom; fails (VB_ERROR_OPERATION_INVALID, naming
 * the job that runs) when another job runs. @uses_migration: the job moves
 * the guest's state with QEMU's migration, so its progress is read from
 * query-migrate and AbortJob cancels it with migrate_cancel. Returns the
 * job's cancellable (owned by the job): cancelled by AbortJob and when the
 * domain stops. */
GCancellable *vb_qemu_job_begin (VbObj *dom, VbQemuJobKind kind, gboolean uses_migration, GError **error);

/* The job that runs on @dom (VB_QEMU_JOB_NONE for none). */
VbQemuJobKind vb_qemu_job_current (VbObj *dom);

/* Ends the running job; its last figures stay for GetJobStats with the
 * COMPLETED flag, and the domain's JobCompleted signal carries them.
 * @error NULL = success; an error that is G_IO_ERROR_CANCELLED (or any
 * error after AbortJob) marks the job cancelled rather than failed. */
void vb_qemu_job_end (VbObj *dom, const GError *error);

/* The error a job cancelled by AbortJob fails with. */
GError *vb_qemu_job_cancelled_error (VbObj *dom);

/* A save, a core dump, a memory snapshot or an outgoing migration survives the daemon: the job running
 * on @dom is written to the domain's runtime state file (at once), so
 * that a daemon reattaching after this one died undoes it — QEMU's
 * migration cancelled, @image (a save image this job created; NULL:
 * none; @managed: the domain's managed save image) removed, the guest run
 * again if @was_running. */
void vb_qemu_job_set_recovery (VbObj *dom, gboolean was_running, const char *image, gboolean managed);

/* A finished migration to a file (a save image, a memory snapshot, a raw
 * core dump) leaves QEMU "postmigrate": its disks handed over (no block
 * job, snapshot or write can use them) and no further migration allowed,
 * until the CPUs run again. For a guest that stays paused, this takes them
 * back: QEMU 7.2 has no command for it but `cont`, so a `stop` is sent right
 * behind it (the CPUs run only between the two) and neither is reported:
 * the domain stays paused as it was. */
void vb_qemu_job_reactivate_async (VbObj *dom, GAsyncReadyCallback callback, gpointer user_data);
/* @status (a query-status answer, may be NULL) says QEMU is postmigrate:
 * its disks are handed over until vb_qemu_job_reactivate_async (or a
 * guest that runs again) takes them back. */
gboolean vb_qemu_job_disks_handed_over (JsonObject *status);
gboolean vb_qemu_job_reactivate_finish (GAsyncResult *result, GError **error);

/* An outgoing migration's stream is complete: the destination may run the
 * guest from now on, so a recovery leaves it paused here. */
void vb_qemu_job_note_sent (VbObj *dom);

/* ---- the migration engine ----
 *
 * Outgoing: with a job begun (uses_migration TRUE) on running @dom,
 *   1. migrate-set-capabilities: `events` on, plus @capabilities
 *      (a JsonObject capability name → boolean, may be NULL);
 *   2. migrate-set-parameters @parameters (a JsonObject of
 *      migrate-set-parameters arguments, e.g. "max-bandwidth"; may be NULL);
 *   3. with @fd >= 0: getfd (the fd is passed to QEMU as "vb-migrate-out",
 *      @uri is then ignored and "fd:vb-migrate-out" is used; the caller
 *      keeps its own copy of @fd and closes it when done);
 *   4. migrate @uri;
 *   5. waits for QEMU's MIGRATION event reporting completed / failed /
 *      cancelled (no polling), then reads the final figures (query-migrate).
 * Completes [void] on success; fails with QEMU's error-desc ("migration
 * failed: …"), with vb_qemu_job_cancelled_error() when the job's
 * cancellable was cancelled (AbortJob: migrate_cancel is sent), or when
 * QEMU exits meanwhile. The guest's CPUs are not touched: a caller that
 * wants them stopped first (save) stops them itself (setting
 * d->pause_reason/pause_detail first); QEMU stops a running guest at the
 * end of a live migration by itself (QMP STOP: set pause_reason to
 * PAUSED_MIGRATION / SUSPENDED_MIGRATED before, the core reports it). */
void vb_qemu_job_migrate_out_async (VbObj *dom, const char *uri, int fd, JsonObject *capabilities,
                                    JsonObject *parameters, GAsyncReadyCallback callback, gpointer user_data);
gboolean vb_qemu_job_migrate_out_finish (GAsyncResult *result, GError **error);

/* Incoming: what a VbQemuStartOptions.prepare hook needs to receive a
 * guest's state while the domain starts with VbQemuStartOptions.incoming
 * (QEMU's -incoming defer):
 *
 *   VbQemuStartOptions opts = { .incoming = TRUE,
 *                               .prepare = vb_qemu_job_incoming_prepare,
 *                               .user_data = vb_qemu_incoming_new (NULL, fd),
 *                               .user_data_free = vb_qemu_incoming_free, … };
 *
 * The hook sets the `events` capability (and @capabilities), passes @fd
 * (when >= 0, as "vb-migrate-in": QEMU reads from the fd's current
 * position, e.g. just past a save image's header) with getfd, sends
 * migrate-incoming (@uri or "fd:vb-migrate-in"), and completes once QEMU
 * reports MIGRATION completed — or fails with what QEMU said (its log: a
 * QEMU 7.2 whose incoming migration fails exits), or when the running
 * job's cancellable (if a job was begun) is cancelled. */
typedef struct _VbQemuIncoming VbQemuIncoming;
/* Takes @fd (closed by vb_qemu_incoming_free); @uri may be NULL with an fd. */
VbQemuIncoming *vb_qemu_incoming_new (const char *uri, int fd);
/* Migration capabilities to set besides `events` (name → boolean). */
void vb_qemu_incoming_set_capabilities (VbQemuIncoming *incoming, JsonObject *capabilities);
void vb_qemu_incoming_free (gpointer incoming);
void vb_qemu_job_incoming_prepare (VbObj *dom, VbQmp *qmp, GTask *task, gpointer user_data);

G_END_DECLS
