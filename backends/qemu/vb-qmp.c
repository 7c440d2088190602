/* VbQmp: an asynchronous QMP client on the main loop.
 *
 * QMP is newline-terminated JSON over a unix socket. Both directions go
 * through the GSocket directly, non-blocking, driven by socket GSources:
 * reads so that a QEMU that floods or stalls never blocks the daemon, writes
 * so that a command carrying a file descriptor (SCM_RIGHTS) shares the one
 * ordered byte stream with the others.
 */
#include "vb-qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gio/gunixfdmessage.h>
#include <gio/gunixsocketaddress.h>

#include "vb-error.h"

/* One QMP message must fit in this; a larger one means a broken peer. */
#define MAX_MESSAGE_SIZE (64 * 1024 * 1024)
#define READ_CHUNK (64 * 1024)

typedef enum {
  STATE_GREETING,    /* connected, waiting for {"QMP": ...} */
  STATE_NEGOTIATING, /* qmp_capabilities sent */
  STATE_READY,
  STATE_CLOSED,
} QmpState;

/* A command: in the write queue until its bytes are sent, in the pending
 * table until it completes. Reference counted (g_rc_box) because both hold
 * it; once completed (task == NULL) a reply for it is ignored. */
typedef struct {
  VbQmp *qmp; /* unowned: the task holds a reference to it */
  char *id;
  char *command;
  GTask *task;
  GBytes *data;
  gsize offset; /* bytes of data already sent */
  int fd;       /* to pass with the first byte; -1 when none (or sent) */
  GSource *timeout_source;
  GSource *cancel_source;
} QmpCommand;

struct _VbQmp {
  GObject parent_instance;

  QmpState state;
  GMainContext *context;
  GSocketConnection *connection;
  GSocket *socket;
  GSource *read_source;
  GSource *write_source;

  GByteArray *inbuf;
  gsize scanned; /* bytes of inbuf known to hold no newline */

  guint64 next_id;
  GHashTable *pending; /* id -> QmpCommand (a reference) */
  GQueue write_queue;  /* of QmpCommand (a reference each) */
  guint timeout_ms;

  /* While connecting: the connect task, the greeting timer and the
   * cancellable watch. */
  GTask *connect_task;
  GSource *greeting_timeout;
  GSource *connect_cancel_source;
};

enum {
  SIGNAL_EVENT,
  SIGNAL_CLOSED,
  N_SIGNALS,
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (VbQmp, vb_qmp, G_TYPE_OBJECT)

static void qmp_close_with_error (VbQmp *self, const GError *error);
static gboolean on_socket_writable (GSocket *socket, GIOCondition condition, gpointer user_data);

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
qmp_command_clear (QmpCommand *cmd)
{
  clear_source (&cmd->timeout_source);
  clear_source (&cmd->cancel_source);
  g_free (cmd->id);
  g_free (cmd->command);
  g_clear_object (&cmd->task);
  g_clear_pointer (&cmd->data, g_bytes_unref);
  if (cmd->fd >= 0)
    close (cmd->fd);
}

static void
qmp_command_unref (gpointer cmd)
{
  g_rc_box_release_full (cmd, (GDestroyNotify) qmp_command_clear);
}

/* Detaches the task from @cmd and drops it from the pending table: nothing
 * else can complete it afterwards. Returns NULL if it already completed. */
static GTask *
qmp_command_take_task (QmpCommand *cmd)
{
  VbQmp *self = cmd->qmp;
  GTask *task = g_steal_pointer (&cmd->task);

  clear_source (&cmd->timeout_source);
  clear_source (&cmd->cancel_source);
  if (task != NULL)
    g_hash_table_remove (self->pending, cmd->id); /* may drop cmd's last reference */
  return task;
}

static void
vb_qmp_dispose (GObject *object)
{
  VbQmp *self = VB_QMP (object);

  /* Pending commands hold a reference to self, so none is left here; just
   * let go of the socket without telling anyone. */
  clear_source (&self->read_source);
  clear_source (&self->write_source);
  clear_source (&self->greeting_timeout);
  clear_source (&self->connect_cancel_source);
  if (self->connection != NULL)
    g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);
  g_clear_object (&self->socket);
  g_clear_object (&self->connection);
  while (!g_queue_is_empty (&self->write_queue))
    qmp_command_unref (g_queue_pop_head (&self->write_queue));
  g_clear_pointer (&self->pending, g_hash_table_unref);
  G_OBJECT_CLASS (vb_qmp_parent_class)->dispose (object);
}

static void
vb_qmp_finalize (GObject *object)
{
  VbQmp *self = VB_QMP (object);

  g_clear_pointer (&self->inbuf, g_byte_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (vb_qmp_parent_class)->finalize (object);
}

static void
vb_qmp_class_init (VbQmpClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vb_qmp_dispose;
  object_class->finalize = vb_qmp_finalize;

  /* Detailed by the event name: "event::SHUTDOWN". */
  signals[SIGNAL_EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0,
                                        NULL, NULL, NULL,
                                        G_TYPE_NONE, 3, G_TYPE_STRING, JSON_TYPE_OBJECT, G_TYPE_INT64);
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                         NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
vb_qmp_init (VbQmp *self)
{
  self->state = STATE_GREETING;
  self->context = g_main_context_ref_thread_default ();
  self->inbuf = g_byte_array_new ();
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, qmp_command_unref);
  self->timeout_ms = VB_QMP_DEFAULT_TIMEOUT_MS;
  self->next_id = 1;
  g_queue_init (&self->write_queue);
}

/* ---- writing ---------------------------------------------------------- */

static void
ensure_write_source (VbQmp *self)
{
  if (self->write_source != NULL || self->state == STATE_CLOSED)
    return;
  self->write_source = g_socket_create_source (self->socket, G_IO_OUT, NULL);
  g_source_set_callback (self->write_source, G_SOURCE_FUNC (on_socket_writable), self, NULL);
  g_source_attach (self->write_source, self->context);
}

/* Sends as much of the queue as the socket takes. FALSE when the connection
 * failed (and is closed now). */
static gboolean
flush_writes (VbQmp *self)
{
  while (!g_queue_is_empty (&self->write_queue)) {
    QmpCommand *cmd = g_queue_peek_head (&self->write_queue);
    gsize size;
    const guint8 *data = g_bytes_get_data (cmd->data, &size);
    g_autoptr (GError) error = NULL;
    gssize sent;

    /* A command cancelled before any of it went out is simply not sent. */
    if (cmd->task == NULL && cmd->offset == 0) {
      qmp_command_unref (g_queue_pop_head (&self->write_queue));
      continue;
    }

    if (cmd->fd >= 0) {
      GOutputVector vector = { data + cmd->offset, size - cmd->offset };
      g_autoptr (GSocketControlMessage) message = g_unix_fd_message_new ();
      if (!g_unix_fd_message_append_fd (G_UNIX_FD_MESSAGE (message), cmd->fd, &error)) {
        qmp_close_with_error (self, error);
        return FALSE;
      }
      sent = g_socket_send_message (self->socket, NULL, &vector, 1, &message, 1, G_SOCKET_MSG_NONE, NULL, &error);
      if (sent > 0) {
        /* The kernel duplicated it into the message; ours is not needed. */
        close (cmd->fd);
        cmd->fd = -1;
      }
    } else {
      sent = g_socket_send_with_blocking (self->socket, (const char *) data + cmd->offset, size - cmd->offset,
                                          FALSE, NULL, &error);
    }

    if (sent < 0) {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        ensure_write_source (self);
        return TRUE;
      }
      g_autoptr (GError) closed = g_error_new (VB_ERROR, VB_ERROR_IO, "QEMU monitor connection closed: %s",
                                               error->message);
      qmp_close_with_error (self, closed);
      return FALSE;
    }
    cmd->offset += sent;
    if (cmd->offset == size)
      qmp_command_unref (g_queue_pop_head (&self->write_queue));
  }
  return TRUE;
}

static gboolean
on_socket_writable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  VbQmp *self = user_data;
  g_autoptr (VbQmp) hold = g_object_ref (self);

  /* Destroyed here, re-created by flush_writes when the socket is full. */
  g_clear_pointer (&self->write_source, g_source_unref);
  flush_writes (self);
  return G_SOURCE_REMOVE;
}

/* ---- completing commands ---------------------------------------------- */

static gboolean
on_command_timeout (gpointer user_data)
{
  QmpCommand *cmd = user_data;
  g_autoptr (GTask) task = NULL;
  g_autofree char *command = g_strdup (cmd->command);
  guint timeout_ms = cmd->qmp->timeout_ms;

  g_clear_pointer (&cmd->timeout_source, g_source_unref); /* being dispatched: GLib destroys it */
  task = qmp_command_take_task (cmd);
  if (task != NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                             "QEMU monitor did not answer '%s' within %u ms", command, timeout_ms);
  return G_SOURCE_REMOVE;
}

static gboolean
on_command_cancelled (GCancellable *cancellable, gpointer user_data)
{
  QmpCommand *cmd = user_data;
  g_autoptr (GTask) task = NULL;

  g_clear_pointer (&cmd->cancel_source, g_source_unref);
  task = qmp_command_take_task (cmd);
  if (task != NULL)
    g_task_return_error_if_cancelled (task);
  return G_SOURCE_REMOVE;
}

static void
complete_reply (VbQmp *self, JsonObject *message)
{
  JsonNode *id_node = json_object_get_member (message, "id");
  const char *id = NULL;
  QmpCommand *cmd;
  g_autoptr (GTask) task = NULL;

  if (id_node != NULL && JSON_NODE_HOLDS_VALUE (id_node) && json_node_get_value_type (id_node) == G_TYPE_STRING)
    id = json_node_get_string (id_node);
  cmd = id != NULL ? g_hash_table_lookup (self->pending, id) : NULL;
  if (cmd == NULL) {
    /* A reply to a cancelled or timed-out command, or nonsense. */
    g_debug ("Ignoring QMP reply with unknown id %s", id != NULL ? id : "(none)");
    return;
  }

  task = qmp_command_take_task (cmd);
  if (json_object_has_member (message, "error")) {
    JsonNode *error_node = json_object_get_member (message, "error");
    JsonObject *error = JSON_NODE_HOLDS_OBJECT (error_node) ? json_node_get_object (error_node) : NULL;
    const char *klass = NULL;
    const char *desc = NULL;
    if (error != NULL) {
      klass = json_object_get_string_member_with_default (error, "class", NULL);
      desc = json_object_get_string_member_with_default (error, "desc", NULL);
    }
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "%s: %s", klass != NULL ? klass : "GenericError",
                             desc != NULL ? desc : "unknown QEMU error");
    return;
  }
  g_task_return_pointer (task, json_node_copy (json_object_get_member (message, "return")),
                         (GDestroyNotify) json_node_unref);
}

static void
dispatch_event (VbQmp *self, JsonObject *message)
{
  JsonNode *event_node = json_object_get_member (message, "event");
  JsonNode *data_node = json_object_get_member (message, "data");
  JsonNode *ts_node = json_object_get_member (message, "timestamp");
  JsonObject *data = NULL;
  gint64 timestamp = 0;

  if (!JSON_NODE_HOLDS_VALUE (event_node) || json_node_get_value_type (event_node) != G_TYPE_STRING) {
    g_debug ("Ignoring QMP event without a name");
    return;
  }
  if (data_node != NULL && JSON_NODE_HOLDS_OBJECT (data_node))
    data = json_node_get_object (data_node);
  if (ts_node != NULL && JSON_NODE_HOLDS_OBJECT (ts_node)) {
    JsonObject *ts = json_node_get_object (ts_node);
    timestamp = json_object_get_int_member_with_default (ts, "seconds", 0) * G_USEC_PER_SEC +
                json_object_get_int_member_with_default (ts, "microseconds", 0);
  }
  g_signal_emit (self, signals[SIGNAL_EVENT], g_quark_from_string (json_node_get_string (event_node)),
                 json_node_get_string (event_node), data, timestamp);
}

static void send_capabilities (VbQmp *self);

static void
handle_message (VbQmp *self, const char *line, gsize length)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonNode *root;
  JsonObject *message;

  if (!json_parser_load_from_data (parser, line, (gssize) length, &error)) {
    g_warning ("Ignoring malformed QMP message: %s", error->message);
    return;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_warning ("Ignoring QMP message that is not a JSON object");
    return;
  }
  message = json_node_get_object (root);

  if (json_object_has_member (message, "QMP")) {
    if (self->state == STATE_GREETING) {
      clear_source (&self->greeting_timeout);
      self->state = STATE_NEGOTIATING;
      send_capabilities (self);
    } else {
      g_debug ("Ignoring a second QMP greeting");
    }
  } else if (json_object_has_member (message, "event")) {
    dispatch_event (self, message);
  } else if (json_object_has_member (message, "return") || json_object_has_member (message, "error")) {
    complete_reply (self, message);
  } else {
    g_warning ("Ignoring unexpected QMP message");
  }
}

/* ---- reading ---------------------------------------------------------- */

/* Handles every complete line in the input buffer. */
static void
process_input (VbQmp *self)
{
  gsize start = 0;

  while (self->state != STATE_CLOSED) {
    const guint8 *data = self->inbuf->data;
    const guint8 *newline = memchr (data + self->scanned, '\n', self->inbuf->len - self->scanned);
    gsize end;

    if (newline == NULL) {
      self->scanned = self->inbuf->len;
      break;
    }
    end = newline - data;
    /* QEMU ends lines with \r\n; JSON treats the \r as whitespace. */
    gsize length = end - start;
    gboolean blank = TRUE;
    for (gsize i = start; i < end && blank; i++)
      blank = g_ascii_isspace (data[i]);
    if (!blank) {
      g_autofree char *line = g_strndup ((const char *) data + start, length);
      handle_message (self, line, length);
    }
    start = end + 1;
    self->scanned = start;
  }

  if (self->state == STATE_CLOSED)
    return;
  if (start > 0) {
    g_byte_array_remove_range (self->inbuf, 0, start);
    self->scanned -= start;
  }
  if (self->inbuf->len > MAX_MESSAGE_SIZE) {
    g_autoptr (GError) error = g_error_new (VB_ERROR, VB_ERROR_IO,
                                            "QEMU monitor connection closed: a message exceeds %u MiB",
                                            MAX_MESSAGE_SIZE / (1024 * 1024));
    qmp_close_with_error (self, error);
  }
}

static gboolean
on_socket_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  VbQmp *self = user_data;
  g_autoptr (VbQmp) hold = g_object_ref (self); /* handlers may drop their reference */
  g_autoptr (GError) error = NULL;
  guint old_len = self->inbuf->len;
  gssize received;

  g_byte_array_set_size (self->inbuf, old_len + READ_CHUNK);
  received = g_socket_receive_with_blocking (socket, (char *) self->inbuf->data + old_len, READ_CHUNK, FALSE, NULL,
                                             &error);
  g_byte_array_set_size (self->inbuf, old_len + MAX (received, 0));

  if (received < 0) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
      return G_SOURCE_CONTINUE;
    g_autoptr (GError) closed = g_error_new (VB_ERROR, VB_ERROR_IO, "QEMU monitor connection closed: %s",
                                             error->message);
    qmp_close_with_error (self, closed);
    return G_SOURCE_REMOVE;
  }
  if (received == 0) {
    g_autoptr (GError) closed = g_error_new_literal (VB_ERROR, VB_ERROR_IO, "QEMU monitor connection closed");
    qmp_close_with_error (self, closed);
    return G_SOURCE_REMOVE;
  }
  process_input (self);
  return self->state == STATE_CLOSED ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

/* ---- closing ---------------------------------------------------------- */

/* Ends the connection: every command not yet answered fails with @error,
 * "closed" is emitted once. */
static void
qmp_close_with_error (VbQmp *self, const GError *error)
{
  g_autoptr (VbQmp) hold = g_object_ref (self);
  g_autoptr (GPtrArray) commands = g_ptr_array_new_with_free_func (qmp_command_unref);
  g_autoptr (GTask) connect_task = NULL;
  GHashTableIter iter;
  gpointer value;

  if (self->state == STATE_CLOSED)
    return;
  self->state = STATE_CLOSED;
  g_debug ("QMP connection closed: %s", error->message);

  clear_source (&self->read_source);
  clear_source (&self->write_source);
  clear_source (&self->greeting_timeout);
  clear_source (&self->connect_cancel_source);
  if (self->connection != NULL)
    g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);
  while (!g_queue_is_empty (&self->write_queue))
    qmp_command_unref (g_queue_pop_head (&self->write_queue));

  /* Completing a task may run its callback right away, and that may issue
   * (failing) commands: work on a copy of the table. */
  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (commands, g_rc_box_acquire (value));
  for (guint i = 0; i < commands->len; i++) {
    g_autoptr (GTask) task = qmp_command_take_task (commands->pdata[i]);
    if (task != NULL)
      g_task_return_error (task, g_error_copy (error));
  }

  connect_task = g_steal_pointer (&self->connect_task);
  if (connect_task != NULL)
    g_task_return_error (connect_task, g_error_copy (error));

  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, error);
}

void
vb_qmp_close (VbQmp *self)
{
  g_autoptr (GError) error = NULL;

  g_return_if_fail (VB_IS_QMP (self));
  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "QEMU monitor connection closed by request");
  qmp_close_with_error (self, error);
}

gboolean
vb_qmp_is_connected (VbQmp *self)
{
  g_return_val_if_fail (VB_IS_QMP (self), FALSE);
  return self->state == STATE_READY;
}

void
vb_qmp_set_timeout (VbQmp *self, guint timeout_ms)
{
  g_return_if_fail (VB_IS_QMP (self));
  self->timeout_ms = timeout_ms;
}

/* ---- executing -------------------------------------------------------- */

static void
queue_command (VbQmp *self, const char *command, JsonObject *arguments, int fd, GCancellable *cancellable,
               GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *id = NULL;
  QmpCommand *cmd;
  char *text;
  gsize length;

  g_task_set_source_tag (task, queue_command);
  g_task_set_task_data (task, g_strdup (command), g_free);

  if (self->state == STATE_CLOSED) {
    if (fd >= 0)
      close (fd);
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_IO, "QEMU monitor connection closed");
    return;
  }
  if (g_task_return_error_if_cancelled (task)) {
    if (fd >= 0)
      close (fd);
    return;
  }

  id = g_strdup_printf ("vb-%" G_GUINT64_FORMAT, self->next_id++);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "execute");
  json_builder_add_string_value (builder, command);
  if (arguments != NULL) {
    json_builder_set_member_name (builder, "arguments");
    JsonNode *args = json_node_new (JSON_NODE_OBJECT);
    json_node_set_object (args, arguments); /* takes its own reference */
    json_builder_add_value (builder, args);
  }
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  /* One message per line: the generator does not emit raw newlines. */
  text = g_realloc (text, length + 2);
  text[length] = '\n';
  text[length + 1] = '\0';

  cmd = g_rc_box_new0 (QmpCommand);
  cmd->qmp = self;
  cmd->id = g_strdup (id);
  cmd->command = g_strdup (command);
  cmd->task = g_steal_pointer (&task);
  cmd->data = g_bytes_new_take (text, length + 1);
  cmd->fd = fd;

  if (self->timeout_ms > 0) {
    cmd->timeout_source = g_timeout_source_new (self->timeout_ms);
    g_source_set_callback (cmd->timeout_source, on_command_timeout, cmd, NULL);
    g_source_attach (cmd->timeout_source, self->context);
  }
  if (cancellable != NULL) {
    cmd->cancel_source = g_cancellable_source_new (cancellable);
    g_source_set_callback (cmd->cancel_source, G_SOURCE_FUNC (on_command_cancelled), cmd, NULL);
    g_source_attach (cmd->cancel_source, self->context);
  }

  g_hash_table_insert (self->pending, g_strdup (id), cmd);
  g_queue_push_tail (&self->write_queue, g_rc_box_acquire (cmd));
  /* Written from the main loop, never from within the caller. */
  ensure_write_source (self);
}

void
vb_qmp_execute_async (VbQmp *self, const char *command, JsonObject *arguments, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (VB_IS_QMP (self));
  g_return_if_fail (command != NULL);
  queue_command (self, command, arguments, -1, cancellable, callback, user_data);
}

void
vb_qmp_execute_with_fd_async (VbQmp *self, const char *command, JsonObject *arguments, int fd,
                              GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  int copy;

  g_return_if_fail (VB_IS_QMP (self));
  g_return_if_fail (command != NULL);
  g_return_if_fail (fd >= 0);

  /* The caller keeps @fd; we send a duplicate. */
  copy = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) {
    int saved_errno = errno;
    g_task_report_new_error (self, callback, user_data, queue_command, VB_ERROR, VB_ERROR_IO,
                             "Cannot duplicate file descriptor %d for QEMU: %s", fd, g_strerror (saved_errno));
    return;
  }
  queue_command (self, command, arguments, copy, cancellable, callback, user_data);
}

JsonNode *
vb_qmp_execute_finish (VbQmp *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- connecting ------------------------------------------------------- */

static void
on_capabilities_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VbQmp *self = VB_QMP (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = vb_qmp_execute_finish (self, result, &error);
  g_autoptr (GTask) task = g_steal_pointer (&self->connect_task);

  if (task == NULL)
    return; /* already failed (closed, cancelled) */
  clear_source (&self->connect_cancel_source);
  if (reply == NULL) {
    g_prefix_error (&error, "QMP capabilities negotiation failed: ");
    qmp_close_with_error (self, error);
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  self->state = STATE_READY;
  g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

static void
send_capabilities (VbQmp *self)
{
  vb_qmp_execute_async (self, "qmp_capabilities", NULL, NULL, on_capabilities_done, NULL);
}

static gboolean
on_greeting_timeout (gpointer user_data)
{
  VbQmp *self = user_data;
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&self->greeting_timeout, g_source_unref);
  error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "QEMU monitor sent no greeting within %u ms",
                       self->timeout_ms);
  qmp_close_with_error (self, error);
  return G_SOURCE_REMOVE;
}

static gboolean
on_connect_cancelled (GCancellable *cancellable, gpointer user_data)
{
  VbQmp *self = user_data;
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&self->connect_cancel_source, g_source_unref);
  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Connecting to the QEMU monitor was cancelled");
  qmp_close_with_error (self, error);
  return G_SOURCE_REMOVE;
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  VbQmp *self = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr (GError) error = NULL;

  self->connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (self->connection == NULL) {
    self->state = STATE_CLOSED;
    g_prefix_error (&error, "Cannot connect to the QEMU monitor: ");
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  self->socket = g_object_ref (g_socket_connection_get_socket (self->connection));
  /* g_socket_send_message honours this; reads and plain writes say it. */
  g_socket_set_blocking (self->socket, FALSE);

  self->connect_task = g_steal_pointer (&task);
  self->read_source = g_socket_create_source (self->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (self->read_source, G_SOURCE_FUNC (on_socket_readable), self, NULL);
  g_source_attach (self->read_source, self->context);
  if (self->timeout_ms > 0) {
    self->greeting_timeout = g_timeout_source_new (self->timeout_ms);
    g_source_set_callback (self->greeting_timeout, on_greeting_timeout, self, NULL);
    g_source_attach (self->greeting_timeout, self->context);
  }
  if (cancellable != NULL) {
    self->connect_cancel_source = g_cancellable_source_new (cancellable);
    g_source_set_callback (self->connect_cancel_source, G_SOURCE_FUNC (on_connect_cancelled), self, NULL);
    g_source_attach (self->connect_cancel_source, self->context);
  }
}

void
vb_qmp_connect_async (const char *socket_path, GCancellable *cancellable, GAsyncReadyCallback callback,
                      gpointer user_data)
{
  g_autoptr (VbQmp) self = g_object_new (VB_TYPE_QMP, NULL);
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) address = NULL;
  GTask *task;

  g_return_if_fail (socket_path != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, vb_qmp_connect_async);
  g_task_set_task_data (task, g_object_ref (self), g_object_unref);

  address = g_unix_socket_address_new (socket_path);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), cancellable, on_connected, task);
}

VbQmp *
vb_qmp_connect_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- members of replies ---- */

static JsonNode *
member_value (JsonObject *obj, const char *name, GType type)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type ? node : NULL;
}

const char *
vb_qmp_member_str (JsonObject *obj, const char *name)
{
  JsonNode *node = member_value (obj, name, G_TYPE_STRING);

  return node != NULL ? json_node_get_string (node) : NULL;
}

JsonObject *
vb_qmp_member_obj (JsonObject *obj, const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

gboolean
vb_qmp_member_bool (JsonObject *obj, const char *name)
{
  JsonNode *node = member_value (obj, name, G_TYPE_BOOLEAN);

  return node != NULL && json_node_get_boolean (node);
}

gboolean
vb_qmp_member_u64 (JsonObject *obj, const char *name, guint64 *value)
{
  JsonNode *node = member_value (obj, name, G_TYPE_INT64);

  if (node == NULL || json_node_get_int (node) < 0)
    return FALSE;
  *value = (guint64) json_node_get_int (node);
  return TRUE;
}
