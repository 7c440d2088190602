/* VbQmp against an in-process fake QMP server (a GSocketService on a unix
 * socket in a temporary directory), and once against a real QEMU. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gio/gunixfdmessage.h>
#include <gio/gunixsocketaddress.h>

#include "vb-error.h"
#include "vb-qmp.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 8}}, \"capabilities\": []}}\r\n"

typedef struct Fake Fake;
typedef void (*FakeCommandFunc) (Fake *fake, JsonObject *command, const char *id);

struct Fake {
  char *dir;
  char *path;
  GSocketService *service;
  GSocketConnection *conn;
  GSocket *sock;
  GSource *source;
  GString *in;
  gboolean send_greeting;
  gboolean answer_capabilities;
  GPtrArray *commands; /* JsonObject: every command but qmp_capabilities */
  GPtrArray *ids;      /* their ids */
  guint capabilities_seen;
  GArray *fds;         /* received with SCM_RIGHTS */
  FakeCommandFunc on_command;
  gpointer data;
};

/* ---- helpers ---------------------------------------------------------- */

static gboolean
on_deadline (gpointer user_data)
{
  g_error ("test timed out waiting for %s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

/* Iterates the main loop until *@flag is set (10 s at most). */
static void
run_until (const gboolean *flag, const char *what)
{
  guint deadline = g_timeout_add_seconds (10, on_deadline, (gpointer) what);
  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);
}

static gboolean
on_sleep_done (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_for (guint ms)
{
  gboolean done = FALSE;
  g_timeout_add (ms, on_sleep_done, &done);
  run_until (&done, "a pause");
}

static void
fake_send_raw (Fake *fake, const char *data, gsize length)
{
  g_autoptr (GError) error = NULL;
  gsize done = 0;
  while (done < length) {
    gssize n = g_socket_send (fake->sock, data + done, length - done, NULL, &error);
    g_assert_no_error (error);
    done += n;
  }
}

static void G_GNUC_PRINTF (2, 3)
fake_send (Fake *fake, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *text = g_strdup_vprintf (format, args);
  va_end (args);
  fake_send_raw (fake, text, strlen (text));
}

static void
fake_reply (Fake *fake, const char *id, const char *return_json)
{
  fake_send (fake, "{\"return\": %s, \"id\": \"%s\"}\r\n", return_json, id);
}

static void
fake_handle_line (Fake *fake, const char *line)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *command;
  const char *id;

  json_parser_load_from_data (parser, line, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  command = json_node_get_object (json_parser_get_root (parser));
  id = json_object_get_string_member (command, "id");
  g_assert_nonnull (id);

  if (g_str_equal (json_object_get_string_member (command, "execute"), "qmp_capabilities")) {
    fake->capabilities_seen++;
    if (fake->answer_capabilities)
      fake_reply (fake, id, "{}");
    return;
  }
  g_ptr_array_add (fake->commands, json_object_ref (command));
  g_ptr_array_add (fake->ids, g_strdup (id));
  if (fake->on_command != NULL)
    fake->on_command (fake, command, id);
}

static gboolean
on_fake_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Fake *fake = user_data;
  char buffer[4096];
  GInputVector vector = { buffer, sizeof buffer };
  GSocketControlMessage **messages = NULL;
  int n_messages = 0;
  int flags = 0;
  g_autoptr (GError) error = NULL;
  gssize n;
  char *newline;

  n = g_socket_receive_message (socket, NULL, &vector, 1, &messages, &n_messages, &flags, NULL, &error);
  for (int i = 0; i < n_messages; i++) {
    if (G_IS_UNIX_FD_MESSAGE (messages[i])) {
      int count = 0;
      g_autofree int *fds = g_unix_fd_message_steal_fds (G_UNIX_FD_MESSAGE (messages[i]), &count);
      g_array_append_vals (fake->fds, fds, count);
    }
    g_object_unref (messages[i]);
  }
  g_free (messages);
  if (n <= 0) {
    g_clear_pointer (&fake->source, g_source_unref);
    return G_SOURCE_REMOVE;
  }
  g_string_append_len (fake->in, buffer, n);
  while ((newline = strchr (fake->in->str, '\n')) != NULL) {
    g_autofree char *line = g_strndup (fake->in->str, newline - fake->in->str);
    g_string_erase (fake->in, 0, newline - fake->in->str + 1);
    fake_handle_line (fake, line);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *connection, GObject *source_object, gpointer user_data)
{
  Fake *fake = user_data;

  g_assert_null (fake->conn);
  fake->conn = g_object_ref (connection);
  fake->sock = g_object_ref (g_socket_connection_get_socket (connection));
  fake->source = g_socket_create_source (fake->sock, G_IO_IN | G_IO_HUP, NULL);
  g_source_set_callback (fake->source, G_SOURCE_FUNC (on_fake_readable), fake, NULL);
  g_source_attach (fake->source, NULL);
  if (fake->send_greeting)
    fake_send (fake, GREETING);
  return TRUE;
}

static Fake *
fake_new (void)
{
  Fake *fake = g_new0 (Fake, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) address = NULL;

  fake->dir = g_dir_make_tmp ("vb-qmp-XXXXXX", &error);
  g_assert_no_error (error);
  fake->path = g_build_filename (fake->dir, "qmp.sock", NULL);
  fake->in = g_string_new (NULL);
  fake->commands = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  fake->ids = g_ptr_array_new_with_free_func (g_free);
  fake->fds = g_array_new (FALSE, FALSE, sizeof (int));
  fake->send_greeting = TRUE;
  fake->answer_capabilities = TRUE;
  fake->service = g_socket_service_new ();
  address = g_unix_socket_address_new (fake->path);
  g_socket_listener_add_address (G_SOCKET_LISTENER (fake->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (fake->service, "incoming", G_CALLBACK (on_incoming), fake);
  g_socket_service_start (fake->service);
  return fake;
}

static void
fake_close_client (Fake *fake)
{
  if (fake->source != NULL) {
    g_source_destroy (fake->source);
    g_clear_pointer (&fake->source, g_source_unref);
  }
  if (fake->conn != NULL)
    g_io_stream_close (G_IO_STREAM (fake->conn), NULL, NULL);
}

static void
fake_free (Fake *fake)
{
  fake_close_client (fake);
  g_socket_service_stop (fake->service);
  g_socket_listener_close (G_SOCKET_LISTENER (fake->service));
  g_object_unref (fake->service);
  g_clear_object (&fake->sock);
  g_clear_object (&fake->conn);
  for (guint i = 0; i < fake->fds->len; i++)
    close (g_array_index (fake->fds, int, i));
  g_array_unref (fake->fds);
  g_ptr_array_unref (fake->commands);
  g_ptr_array_unref (fake->ids);
  g_string_free (fake->in, TRUE);
  unlink (fake->path);
  rmdir (fake->dir);
  g_free (fake->path);
  g_free (fake->dir);
  g_free (fake);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fake, fake_free)

/* The outcome of one async call. */
typedef struct {
  gboolean done;
  JsonNode *reply;
  GError *error;
  VbQmp *qmp;
  guint order; /* when it completed, from a shared counter */
} Result;

static guint completion_counter;

static void
result_clear (Result *r)
{
  g_clear_pointer (&r->reply, json_node_unref);
  g_clear_error (&r->error);
  g_clear_object (&r->qmp);
  r->done = FALSE;
}

static void
on_connect_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;
  r->qmp = vb_qmp_connect_finish (result, &r->error);
  r->done = TRUE;
}

static void
on_execute_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;
  r->reply = vb_qmp_execute_finish (VB_QMP (source), result, &r->error);
  r->order = ++completion_counter;
  r->done = TRUE;
}

static VbQmp *
connect_to (const char *path)
{
  Result r = { 0 };
  vb_qmp_connect_async (path, NULL, on_connect_done, &r);
  run_until (&r.done, "connect");
  g_assert_no_error (r.error);
  g_assert_nonnull (r.qmp);
  return g_steal_pointer (&r.qmp);
}

static void
wait_commands (Fake *fake, guint count)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (fake->commands->len < count) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
}

/* Records "closed" emissions. */
typedef struct {
  guint count;
  GError *error;
} Closed;

static void
on_closed (VbQmp *qmp, GError *error, gpointer user_data)
{
  Closed *c = user_data;
  c->count++;
  g_clear_error (&c->error);
  c->error = g_error_copy (error);
}

typedef struct {
  char *name;
  char *data; /* serialized, or NULL */
  gint64 timestamp;
} Event;

static void
on_event (VbQmp *qmp, const char *name, JsonObject *data, gint64 timestamp, gpointer user_data)
{
  GPtrArray *events = user_data;
  Event *e = g_new0 (Event, 1);
  e->name = g_strdup (name);
  if (data != NULL) {
    g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
    json_node_set_object (node, data);
    e->data = json_to_string (node, FALSE);
  }
  e->timestamp = timestamp;
  g_ptr_array_add (events, e);
}

static void
event_free (gpointer p)
{
  Event *e = p;
  g_free (e->name);
  g_free (e->data);
  g_free (e);
}

/* ---- tests ------------------------------------------------------------ */

static void
test_negotiation (void)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (VbQmp) qmp = connect_to (fake->path);

  g_assert_cmpuint (fake->capabilities_seen, ==, 1);
  g_assert_true (vb_qmp_is_connected (qmp));
  g_assert_cmpuint (fake->commands->len, ==, 0);
}

static void
test_negotiation_fails (void)
{
  g_autoptr (Fake) fake = fake_new ();
  Result r = { 0 };

  fake->answer_capabilities = FALSE;
  vb_qmp_connect_async (fake->path, NULL, on_connect_done, &r);
  while (fake->capabilities_seen == 0)
    g_main_context_iteration (NULL, TRUE); /* the connect attempt keeps the loop busy until then */
  fake_send (fake, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"nope\"}, \"id\": \"vb-1\"}\n");
  run_until (&r.done, "connect");
  g_assert_error (r.error, VB_ERROR, VB_ERROR_FAILED);
  g_assert_nonnull (strstr (r.error->message, "CommandNotFound: nope"));
  g_assert_null (r.qmp);
  result_clear (&r);
}

static void
test_connect_refused (void)
{
  Result r = { 0 };
  vb_qmp_connect_async ("/nonexistent/vb-qmp.sock", NULL, on_connect_done, &r);
  run_until (&r.done, "connect");
  g_assert_nonnull (r.error);
  g_assert_nonnull (strstr (r.error->message, "Cannot connect to the QEMU monitor"));
  result_clear (&r);
}

static gboolean
cancel_later (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_connect_cancelled_waiting_for_greeting (void)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Result r = { 0 };

  fake->send_greeting = FALSE;
  vb_qmp_connect_async (fake->path, cancellable, on_connect_done, &r);
  g_timeout_add (50, cancel_later, cancellable);
  run_until (&r.done, "connect");
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (fake->capabilities_seen, ==, 0);
  result_clear (&r);
}

static void
echo_status (Fake *fake, JsonObject *command, const char *id)
{
  JsonObject *args = json_object_get_object_member (command, "arguments");
  g_autofree char *reply = g_strdup_printf ("{\"status\": \"running\", \"echo\": %" G_GINT64_FORMAT "}",
                                            json_object_get_int_member (args, "a"));
  fake_reply (fake, id, reply);
}

static void
test_execute (void)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (VbQmp) qmp = connect_to (fake->path);
  g_autoptr (JsonObject) args = json_object_new ();
  Result r = { 0 };
  JsonObject *ret;
  JsonObject *sent;

  fake->on_command = echo_status;
  json_object_set_int_member (args, "a", 42);
  vb_qmp_execute_async (qmp, "query-status", args, NULL, on_execute_done, &r);
  run_until (&r.done, "reply");
  g_assert_no_error (r.error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (r.reply));
  ret = json_node_get_object (r.reply);
  g_assert_cmpstr (json_object_get_string_member (ret, "status"), ==, "running");
  g_assert_cmpint (json_object_get_int_member (ret, "echo"), ==, 42);

  g_assert_cmpuint (fake->commands->len, ==, 1);
  sent = fake->commands->pdata[0];
  g_assert_cmpstr (json_object_get_string_member (sent, "execute"), ==, "query-status");
  /* The id differs from the one qmp_capabilities had. */
  g_assert_cmpstr (fake->ids->pdata[0], !=, "vb-1");
  result_clear (&r);

  /* No arguments: no "arguments" member at all. */
  fake->on_command = NULL;
  vb_qmp_execute_async (qmp, "stop", NULL, NULL, on_execute_done, &r);
  wait_commands (fake, 2);
  g_assert_false (json_object_has_member (fake->commands->pdata[1], "arguments"));
  fake_reply (fake, fake->ids->pdata[1], "{}");
  run_until (&r.done, "reply");
  g_assert_no_error (r.error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (r.reply));
  g_assert_cmpuint (json_object_get_size (json_node_get_object (r.reply)), ==, 0);
  result_clear (&r);
}

static void
test_pipelined_out_of_order (void)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (VbQmp) qmp = connect_to (fake->path);
  const char *names[] = { "cmd-a", "cmd-b", "cmd-c" };
  Result r[3] = { 0 };

  for (int i = 0; i < 3; i++)
    vb_qmp_execute_async (qmp, names[i], NULL, NULL, on_execute_done, &r[i]);
  /* All three are on the wire before any answer. */
  wait_commands (fake, 3);
  g_assert_cmpstr (fake->ids->pdata[0], !=, fake->ids->pdata[1]);
  g_assert_cmpstr (fake->ids->pdata[1], !=, fake->ids->pdata[2]);
  g_assert_cmpstr (fake->ids->pdata[0], !=, fake->ids->pdata[2]);

  /* Answered backwards, each with its own command's name. */
  for (int i = 2; i >= 0; i--) {
    g_autofree char *ret = g_strdup_printf ("\"%s\"",
                                            json_object_get_string_member (fake->commands->pdata[i], "execute"));
    fake_reply (fake, fake->ids->pdata[i], ret);
  }
  for (int i = 0; i < 3; i++)
    run_until (&r[i].done, "reply");
  for (int i = 0; i < 3; i++) {
    g_assert_no_error (r[i].error);
    g_assert_cmpstr (json_node_get_string (r[i].reply), ==, names[i]);
  }
  g_assert_cmpuint (r[2].order, <, r[1].order);
  g_assert_cmpuint (r[1].order, <, r[0].order);
  for (int i = 0; i < 3; i++)
    result_clear (&r[i]);
}

static void
test_error_reply (void)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (VbQmp) qmp = connect_to (fake->path);
  Result r = { 0 };

  vb_qmp_execute_async (qmp, "device_del", NULL, NULL, on_execute_done, &r);
  wait_commands (fake, 1);
  fake_send (fake, "{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device 'x' not found\"}, \"id\": \"%s\"}\n",
             (char *) fake->ids->pdata[0]);
  run_until (&r.done, "reply");
  g_assert_error (r.error, VB_ERROR, VB_ERROR_FAILED);
  g_assert_cmpstr (r.error->message, ==, "DeviceNotFound: Device 'x' not found");
  g_assert_null (r.reply);
  g_assert_true (vb_qmp_is_connected (qmp));
  result_clear (&r);
}

static void
test_events_between_replies (void)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (VbQmp) qmp = connect_to (fake->path);
  g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func (event_free);
  g_autoptr (GPtrArray) shutdowns = g_ptr_array_new_with_free_func (event_free);
  Result r = { 0 };
  Event *e;

  g_signal_connect (qmp, "event", G_CALLBACK (on_event), events);
  g_signal_connect (qmp, "event::SHUTDOWN", G_CALLBACK (on_event), shutdowns);
  vb_qmp_execute_async (qmp, "system_powerdown", NULL, NULL, on_execute_done, &r);
  wait_commands (fake, 1);
  fake_send (fake, "{\"event\": \"POWERDOWN\", \"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456}}\r\n");
  run_for (20);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_false (r.done);
  fake_send (fake, "{\"timestamp\": {\"seconds\": 12, \"microseconds\": 34}, \"event\": \"SHUTDOWN\", "
                   "\"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}\r\n");
  fake_reply (fake, fake->ids->pdata[0], "{}");
  run_until (&r.done, "reply");
  g_assert_no_error (r.error);
  g_assert_cmpuint (events->len, ==, 2);

  e = events->pdata[0];
  g_assert_cmpstr (e->name, ==, "POWERDOWN");
  g_assert_null (e->data);
  g_assert_cmpint (e->timestamp, ==, G_GINT64_CONSTANT (1700000000123456));
  e = events->pdata[1];
  g_assert_cmpstr (e->name, ==, "SHUTDOWN");
  g_assert_cmpstr (e->data, ==, "{\"guest\":true,\"reason\":\"guest-shutdown\"}");
  g_assert_cmpint (e->timestamp, ==, 12000034);
  g_assert_cmpuint (shutdowns->len, ==, 1);
  g_assert_cmpstr (((Event *) shutdowns->pdata[0])->name, ==, "SHUTDOWN");
  result_clear (&r);
}

static void
test_partial_and_merged_reads (void)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (VbQmp) qmp = connect_to (fake->path);
  g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func (event_free);
  Result r[3] = { 0 };
  g_autofree char *reply = NULL;
  g_autofree char *merged = NULL;
  gsize len;

  g_signal_connect (qmp, "event", G_CALLBACK (on_event), events);
  for (int i = 0; i < 3; i++)
    vb_qmp_execute_async (qmp, "query-x", NULL, NULL, on_execute_done, &r[i]);
  wait_commands (fake, 3);

  /* One reply dribbled out a few bytes at a time. */
  reply = g_strdup_printf ("{\"return\": {\"n\": 1}, \"id\": \"%s\"}\r\n", (char *) fake->ids->pdata[0]);
  len = strlen (reply);
  for (gsize off = 0; off < len; off += 5) {
    fake_send_raw (fake, reply + off, MIN (5, len - off));
    run_for (5);
    g_assert_true (r[0].done == (off + 5 >= len));
  }
  run_until (&r[0].done, "reply");
  g_assert_no_error (r[0].error);

  /* Garbage that must be ignored (logged), then two replies and an event in
   * one write. */
  g_test_expect_message ("virtbus-qemu", G_LOG_LEVEL_WARNING, "Ignoring malformed QMP message*");
  g_test_expect_message ("virtbus-qemu", G_LOG_LEVEL_WARNING, "Ignoring QMP message that is not a JSON object");
  g_test_expect_message ("virtbus-qemu", G_LOG_LEVEL_WARNING, "Ignoring unexpected QMP message");
  merged = g_strdup_printf ("this is not json\r\n"
                            "[1, 2]\r\n"
                            "\r\n"
                            "{\"hello\": 1}\n"
                            "{\"return\": {}, \"id\": \"no-such-id\"}\n"
                            "{\"return\": {}, \"id\": 7}\n"
                            "{\"return\": {}}\n"
                            "{\"error\": \"not an object\", \"id\": \"also-unknown\"}\n"
                            "{\"return\": 3, \"id\": \"%s\"}\r\n"
                            "{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\r\n"
                            "{\"return\": 2, \"id\": \"%s\"}\r\n",
                            (char *) fake->ids->pdata[2], (char *) fake->ids->pdata[1]);
  fake_send (fake, "%s", merged);
  run_until (&r[1].done, "reply");
  run_until (&r[2].done, "reply");
  g_test_assert_expected_messages ();
  g_assert_no_error (r[1].error);
  g_assert_no_error (r[2].error);
  g_assert_cmpint (json_node_get_int (r[1].reply), ==, 2);
  g_assert_cmpint (json_node_get_int (r[2].reply), ==, 3);
  g_assert_cmpuint (r[2].order, <, r[1].order);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (((Event *) events->pdata[0])->name, ==, "RESUME");
  g_assert_true (vb_qmp_is_connected (qmp));
  for (int i = 0; i < 3; i++)
    result_clear (&r[i]);
}

static void
on_big_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  /* The client closes the socket once over the limit: the write may fail. */
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  *(gboolean *) user_data = TRUE;
}

static void
test_oversize_message (void)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (VbQmp) qmp = connect_to (fake->path);
  Closed closed = { 0 };
  Result r = { 0 };
  Result after = { 0 };
  gsize size = 64 * 1024 * 1024 + 4096;
  g_autofree char *big = g_malloc (size);
  gboolean written = FALSE;

  g_signal_connect (qmp, "closed", G_CALLBACK (on_closed), &closed);
  vb_qmp_execute_async (qmp, "query-big", NULL, NULL, on_execute_done, &r);
  wait_commands (fake, 1);
  /* The start of a reply that never ends. */
  memset (big, ' ', size);
  memcpy (big, "{\"return\": \"", 12);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (fake->conn)), big, size,
                                   G_PRIORITY_DEFAULT, NULL, on_big_written, &written);
  run_until (&r.done, "reply");
  g_assert_error (r.error, VB_ERROR, VB_ERROR_IO);
  g_assert_nonnull (strstr (r.error->message, "64 MiB"));
  g_assert_cmpuint (closed.count, ==, 1);
  g_assert_error (closed.error, VB_ERROR, VB_ERROR_IO);
  g_assert_false (vb_qmp_is_connected (qmp));

  vb_qmp_execute_async (qmp, "query-status", NULL, NULL, on_execute_done, &after);
  run_until (&after.done, "reply");
  g_assert_error (after.error, VB_ERROR, VB_ERROR_IO);
  g_assert_cmpstr (after.error->message, ==, "QEMU monitor connection closed");
  run_until (&written, "the big write");
  g_assert_cmpuint (closed.count, ==, 1);
  result_clear (&r);
  result_clear (&after);
  g_clear_error (&closed.error);
}

static void
test_peer_closes_mid_command (void)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (VbQmp) qmp = connect_to (fake->path);
  Closed closed = { 0 };
  Result r[2] = { 0 };
  Result after = { 0 };

  g_signal_connect (qmp, "closed", G_CALLBACK (on_closed), &closed);
  vb_qmp_execute_async (qmp, "quit", NULL, NULL, on_execute_done, &r[0]);
  vb_qmp_execute_async (qmp, "query-status", NULL, NULL, on_execute_done, &r[1]);
  wait_commands (fake, 2);
  fake_close_client (fake);
  run_until (&r[0].done, "failure");
  run_until (&r[1].done, "failure");
  for (int i = 0; i < 2; i++) {
    g_assert_error (r[i].error, VB_ERROR, VB_ERROR_IO);
    g_assert_cmpstr (r[i].error->message, ==, "QEMU monitor connection closed");
  }
  g_assert_cmpuint (closed.count, ==, 1);
  g_assert_error (closed.error, VB_ERROR, VB_ERROR_IO);
  g_assert_false (vb_qmp_is_connected (qmp));

  vb_qmp_execute_async (qmp, "query-status", NULL, NULL, on_execute_done, &after);
  run_until (&after.done, "reply");
  g_assert_error (after.error, VB_ERROR, VB_ERROR_IO);
  /* Closing again changes nothing. */
  vb_qmp_close (qmp);
  run_for (10);
  g_assert_cmpuint (closed.count, ==, 1);
  for (int i = 0; i < 2; i++)
    result_clear (&r[i]);
  result_clear (&after);
  g_clear_error (&closed.error);
}

static void
test_timeout (void)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (VbQmp) qmp = connect_to (fake->path);
  Result r = { 0 };
  Result next = { 0 };
  gint64 start;

  vb_qmp_set_timeout (qmp, 150);
  start = g_get_monotonic_time ();
  vb_qmp_execute_async (qmp, "query-hang", NULL, NULL, on_execute_done, &r);
  run_until (&r.done, "timeout");
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (r.error->message, "query-hang"));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 140 * 1000);
  g_assert_true (vb_qmp_is_connected (qmp));

  /* The late answer is dropped; the next command gets its own. */
  g_assert_cmpuint (fake->commands->len, ==, 1);
  fake_reply (fake, fake->ids->pdata[0], "\"late\"");
  vb_qmp_execute_async (qmp, "query-next", NULL, NULL, on_execute_done, &next);
  wait_commands (fake, 2);
  fake_reply (fake, fake->ids->pdata[1], "\"next\"");
  run_until (&next.done, "reply");
  g_assert_no_error (next.error);
  g_assert_cmpstr (json_node_get_string (next.reply), ==, "next");
  result_clear (&r);
  result_clear (&next);
}

static void
test_cancellation (void)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (VbQmp) qmp = connect_to (fake->path);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GCancellable) precancelled = g_cancellable_new ();
  Result r = { 0 };
  Result pre = { 0 };
  Result next = { 0 };

  vb_qmp_execute_async (qmp, "query-slow", NULL, cancellable, on_execute_done, &r);
  wait_commands (fake, 1);
  g_cancellable_cancel (cancellable);
  run_until (&r.done, "cancellation");
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_cancellable_cancel (precancelled);
  vb_qmp_execute_async (qmp, "query-never", NULL, precancelled, on_execute_done, &pre);
  run_until (&pre.done, "cancellation");
  g_assert_error (pre.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The cancelled command's reply arrives and is ignored. */
  fake_reply (fake, fake->ids->pdata[0], "\"slow\"");
  vb_qmp_execute_async (qmp, "query-next", NULL, NULL, on_execute_done, &next);
  wait_commands (fake, 2);
  g_assert_cmpstr (json_object_get_string_member (fake->commands->pdata[1], "execute"), ==, "query-next");
  fake_reply (fake, fake->ids->pdata[1], "\"next\"");
  run_until (&next.done, "reply");
  g_assert_no_error (next.error);
  g_assert_cmpstr (json_node_get_string (next.reply), ==, "next");
  g_assert_cmpuint (fake->commands->len, ==, 2);
  result_clear (&r);
  result_clear (&pre);
  result_clear (&next);
}

static void
test_close_by_request (void)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (VbQmp) qmp = connect_to (fake->path);
  Closed closed = { 0 };
  Result r = { 0 };
  Result after = { 0 };

  g_signal_connect (qmp, "closed", G_CALLBACK (on_closed), &closed);
  vb_qmp_execute_async (qmp, "query-slow", NULL, NULL, on_execute_done, &r);
  wait_commands (fake, 1);
  vb_qmp_close (qmp);
  run_until (&r.done, "failure");
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (closed.count, ==, 1);
  g_assert_error (closed.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  vb_qmp_execute_async (qmp, "query-status", NULL, NULL, on_execute_done, &after);
  run_until (&after.done, "reply");
  g_assert_error (after.error, VB_ERROR, VB_ERROR_IO);
  g_assert_cmpstr (after.error->message, ==, "QEMU monitor connection closed");
  result_clear (&r);
  result_clear (&after);
  g_clear_error (&closed.error);
}

static void
test_fd_passing (void)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (VbQmp) qmp = connect_to (fake->path);
  g_autoptr (JsonObject) args = json_object_new ();
  Result r = { 0 };
  int pipe_fds[2];
  char buffer[16] = { 0 };
  int received;

  g_assert_cmpint (pipe (pipe_fds), ==, 0);
  json_object_set_string_member (args, "fdname", "disk0");
  vb_qmp_execute_with_fd_async (qmp, "getfd", args, pipe_fds[1], NULL, on_execute_done, &r);
  wait_commands (fake, 1);
  g_assert_cmpuint (fake->fds->len, ==, 1);
  g_assert_cmpstr (json_object_get_string_member (fake->commands->pdata[0], "execute"), ==, "getfd");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (fake->commands->pdata[0],
                                                                                 "arguments"),
                                                  "fdname"),
                   ==, "disk0");
  fake_reply (fake, fake->ids->pdata[0], "{}");
  run_until (&r.done, "reply");
  g_assert_no_error (r.error);

  /* What the server got is the write end of our pipe; ours is still open. */
  received = g_array_index (fake->fds, int, 0);
  g_assert_cmpint (write (received, "via-qmp", 7), ==, 7);
  g_assert_cmpint (read (pipe_fds[0], buffer, sizeof buffer - 1), ==, 7);
  g_assert_cmpstr (buffer, ==, "via-qmp");
  g_assert_cmpint (fcntl (pipe_fds[1], F_GETFD), >=, 0);
  close (pipe_fds[0]);
  close (pipe_fds[1]);
  result_clear (&r);
}

/* ---- against a real QEMU ---------------------------------------------- */

static JsonNode *
execute_sync (VbQmp *qmp, const char *command, GError **error)
{
  Result r = { 0 };
  vb_qmp_execute_async (qmp, command, NULL, NULL, on_execute_done, &r);
  run_until (&r.done, command);
  if (r.error != NULL)
    g_propagate_error (error, g_steal_pointer (&r.error));
  return r.reply;
}

static void
on_qemu_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

static void
test_real_qemu (void)
{
  g_autofree char *binary = g_find_program_in_path ("qemu-system-x86_64");
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *qmp_arg = NULL;
  g_autoptr (GSubprocess) qemu = NULL;
  g_autoptr (VbQmp) qmp = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) version = NULL;
  g_autoptr (JsonNode) status = NULL;
  g_autoptr (JsonNode) quit = NULL;
  g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func (event_free);
  Closed closed = { 0 };
  gboolean exited = FALSE;
  JsonObject *qemu_version;

  if (binary == NULL) {
    g_test_skip ("qemu-system-x86_64 not found: install the Debian package qemu-system-x86");
    return;
  }
  dir = g_dir_make_tmp ("vb-qmp-qemu-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "qmp.sock", NULL);
  qmp_arg = g_strdup_printf ("unix:%s,server=on,wait=off", path);
  qemu = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE, &error, binary, "-machine", "none", "-nodefaults",
                           "-display", "none", "-no-user-config", "-qmp", qmp_arg, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (qemu, NULL, on_qemu_exited, &exited);

  /* The socket is there once QEMU has set up its monitor; it binds before it
   * listens, so a connection can still be refused for a moment. */
  for (int i = 0; i < 1000 && qmp == NULL; i++) {
    Result r = { 0 };
    g_assert_false (exited);
    vb_qmp_connect_async (path, NULL, on_connect_done, &r);
    run_until (&r.done, "connect");
    if (r.error != NULL && !g_error_matches (r.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) &&
        !g_error_matches (r.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
      g_assert_no_error (r.error);
    qmp = g_steal_pointer (&r.qmp);
    result_clear (&r);
    if (qmp == NULL)
      run_for (10);
  }
  g_assert_nonnull (qmp);
  g_signal_connect (qmp, "closed", G_CALLBACK (on_closed), &closed);
  g_signal_connect (qmp, "event", G_CALLBACK (on_event), events);

  version = execute_sync (qmp, "query-version", &error);
  g_assert_no_error (error);
  qemu_version = json_object_get_object_member (json_node_get_object (version), "qemu");
  g_assert_nonnull (qemu_version);
  g_assert_cmpint (json_object_get_int_member (qemu_version, "major"), >=, 2);

  status = execute_sync (qmp, "query-status", &error);
  g_assert_no_error (error);
  g_assert_true (json_object_has_member (json_node_get_object (status), "running"));
  g_assert_nonnull (json_object_get_string_member (json_node_get_object (status), "status"));

  {
    Result r = { 0 };
    vb_qmp_execute_async (qmp, "no-such-command", NULL, NULL, on_execute_done, &r);
    run_until (&r.done, "error");
    g_assert_error (r.error, VB_ERROR, VB_ERROR_FAILED);
    g_assert_true (g_str_has_prefix (r.error->message, "CommandNotFound: "));
    result_clear (&r);
  }

  quit = execute_sync (qmp, "quit", &error);
  g_assert_no_error (error);
  while (closed.count == 0)
    g_main_context_iteration (NULL, TRUE); /* QEMU exits right after the reply */
  g_assert_cmpuint (closed.count, ==, 1);
  g_assert_error (closed.error, VB_ERROR, VB_ERROR_IO);
  g_assert_false (vb_qmp_is_connected (qmp));
  run_until (&exited, "qemu to exit");
  g_assert_true (g_subprocess_get_if_exited (qemu));
  g_assert_cmpint (g_subprocess_get_exit_status (qemu), ==, 0);
  /* quit makes QEMU report SHUTDOWN before it goes. */
  g_assert_cmpuint (events->len, >=, 1);
  g_assert_cmpstr (((Event *) events->pdata[events->len - 1])->name, ==, "SHUTDOWN");
  g_clear_error (&closed.error);
  unlink (path);
  rmdir (dir);
}

/* Members of replies are taken only with the JSON type they should have. */
static void
test_members (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o;
  guint64 v = 7;

  g_assert_true (json_parser_load_from_data (
    parser, "{\"s\": \"x\", \"n\": 5, \"neg\": -1, \"b\": true, \"o\": {\"s\": \"y\"}, \"a\": [1]}", -1,
    NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (vb_qmp_member_str (o, "s"), ==, "x");
  g_assert_null (vb_qmp_member_str (o, "n"));
  g_assert_null (vb_qmp_member_str (o, "o"));
  g_assert_null (vb_qmp_member_str (o, "missing"));
  g_assert_null (vb_qmp_member_str (NULL, "s"));
  g_assert_cmpstr (vb_qmp_member_str (vb_qmp_member_obj (o, "o"), "s"), ==, "y");
  g_assert_null (vb_qmp_member_obj (o, "s"));
  g_assert_null (vb_qmp_member_obj (o, "a"));
  g_assert_true (vb_qmp_member_bool (o, "b"));
  g_assert_false (vb_qmp_member_bool (o, "s"));
  g_assert_false (vb_qmp_member_bool (o, "missing"));
  g_assert_true (vb_qmp_member_u64 (o, "n", &v));
  g_assert_cmpuint (v, ==, 5);
  g_assert_false (vb_qmp_member_u64 (o, "neg", &v));
  g_assert_false (vb_qmp_member_u64 (o, "s", &v));
  g_assert_false (vb_qmp_member_u64 (NULL, "n", &v));
  g_assert_cmpuint (v, ==, 5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qemu/qmp/negotiation", test_negotiation);
  g_test_add_func ("/qemu/qmp/negotiation-fails", test_negotiation_fails);
  g_test_add_func ("/qemu/qmp/connect-refused", test_connect_refused);
  g_test_add_func ("/qemu/qmp/connect-cancelled", test_connect_cancelled_waiting_for_greeting);
  g_test_add_func ("/qemu/qmp/execute", test_execute);
  g_test_add_func ("/qemu/qmp/pipelined-out-of-order", test_pipelined_out_of_order);
  g_test_add_func ("/qemu/qmp/error-reply", test_error_reply);
  g_test_add_func ("/qemu/qmp/events-between-replies", test_events_between_replies);
  g_test_add_func ("/qemu/qmp/partial-and-merged-reads", test_partial_and_merged_reads);
  g_test_add_func ("/qemu/qmp/oversize-message", test_oversize_message);
  g_test_add_func ("/qemu/qmp/peer-closes", test_peer_closes_mid_command);
  g_test_add_func ("/qemu/qmp/timeout", test_timeout);
  g_test_add_func ("/qemu/qmp/cancellation", test_cancellation);
  g_test_add_func ("/qemu/qmp/close-by-request", test_close_by_request);
  g_test_add_func ("/qemu/qmp/fd-passing", test_fd_passing);
  g_test_add_func ("/qemu/qmp/real-qemu", test_real_qemu);
  g_test_add_func ("/qemu/qmp/members", test_members);
  return g_test_run ();
}
