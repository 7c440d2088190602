/* VbQmp: an asynchronous QEMU Machine Protocol client on the main loop.
 *
 * Commands are queued and sent with an "id"; replies are matched to their
 * request by id, events are dispatched as they arrive. A QEMU that dies
 * closes the connection ("closed" signal, every pending command fails); one
 * that hangs fails each command after its timeout, never blocking the
 * daemon. Uses json-glib.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define VB_TYPE_QMP (vb_qmp_get_type ())
G_DECLARE_FINAL_TYPE (VbQmp, vb_qmp, VB, QMP, GObject)

/* Default per-command timeout. */
#define VB_QMP_DEFAULT_TIMEOUT_MS 30000

/* Connects to the QMP socket at @socket_path, reads QEMU's greeting and
 * negotiates capabilities (qmp_capabilities). Completes when ready. */
void vb_qmp_connect_async (const char *socket_path, GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data);
VbQmp *vb_qmp_connect_finish (GAsyncResult *result, GError **error);

/* Runs @command with @arguments (may be NULL; the function takes a reference
 * of its own). Completes with the "return" member (a new JsonNode), or an
 * error: VB_ERROR_FAILED with QEMU's "desc" (and class) for a QMP error,
 * VB_ERROR_IO when the connection is gone, G_IO_ERROR_TIMED_OUT when QEMU
 * did not answer within the timeout. */
void vb_qmp_execute_async (VbQmp *self, const char *command, JsonObject *arguments, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
/* Like vb_qmp_execute_async, also passing @fd (SCM_RIGHTS) with the command,
 * for getfd/add-fd. */
void vb_qmp_execute_with_fd_async (VbQmp *self, const char *command, JsonObject *arguments, int fd,
                                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
JsonNode *vb_qmp_execute_finish (VbQmp *self, GAsyncResult *result, GError **error);

/* Per-command timeout for commands queued from now on; 0 disables it. */
void vb_qmp_set_timeout (VbQmp *self, guint timeout_ms);
gboolean vb_qmp_is_connected (VbQmp *self);
/* Closes the connection; pending commands fail with G_IO_ERROR_CANCELLED,
 * later ones with VB_ERROR_IO. */
void vb_qmp_close (VbQmp *self);

/* Members of QMP replies and events, checked for their JSON type: NULL
 * (FALSE) when @obj is NULL, or the member is missing or of another type. */
const char *vb_qmp_member_str (JsonObject *obj, const char *name);
JsonObject *vb_qmp_member_obj (JsonObject *obj, const char *name);
gboolean vb_qmp_member_bool (JsonObject *obj, const char *name);
/* A non-negative integer member into @value (QEMU's -1 is "not reported"). */
gboolean vb_qmp_member_u64 (JsonObject *obj, const char *name, guint64 *value);

/* Signals:
 *   "event"  (const char *name, JsonObject *data (may be NULL), gint64 timestamp_us)
 *            — detailed by the event name, e.g. "event::SHUTDOWN" 
 *   "closed" (GError *error)  — once, when the connection ends for any reason:
 *     VB_ERROR_IO "QEMU monitor connection closed[: why]" when QEMU went away
 *     or misbehaved (pending commands fail with that same error),
 *     G_IO_ERROR_CANCELLED after vb_qmp_close.
 */

G_END_DECLS
