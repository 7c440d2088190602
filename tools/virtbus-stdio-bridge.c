/* virtbus-stdio-bridge: relays stdin/stdout to a D-Bus bus socket.
 *
 * virtbusctl runs it on the remote host through ssh
 * (qemu+ssh://host/system) and speaks D-Bus over the ssh channel. A pipe
 * carries no peer credentials, so a client cannot use EXTERNAL across it:
 * the bridge authenticates to the bus itself (EXTERNAL, as the ssh login
 * user, whom sshd already authenticated), accepts the client's ANONYMOUS
 * handshake on the pipe, and from BEGIN on copies bytes both ways without
 * looking at them.
 *
 *   virtbus-stdio-bridge [--system | --session | --address=ADDRESS]
 */
#include "config.h"

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  GMainLoop *loop;
  int pending;
  int status;
} Relay;

static void
splice_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Relay *relay = user_data;
  g_autoptr(GError) error = NULL;

  if (g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, &error) < 0 &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)) {
    g_printerr ("virtbus-stdio-bridge: %s\n", error->message);
    relay->status = 1;
  }
  /* Either direction ending ends the session. */
  g_main_loop_quit (relay->loop);
}

/* One CRLF-terminated SASL line from @fd, read a byte at a time so nothing
 * after the handshake is consumed. */
static char *
read_line (int fd)
{
  g_autoptr(GString) line = g_string_new (NULL);
  char c;

  for (;;) {
    ssize_t n = read (fd, &c, 1);
    if (n <= 0 || line->len > 16384)
      return NULL;
    if (c == '\n' && line->len > 0 && line->str[line->len - 1] == '\r') {
      g_string_truncate (line, line->len - 1);
      return g_string_free (g_steal_pointer (&line), FALSE);
    }
    g_string_append_c (line, c);
  }
}

static gboolean
write_all (int fd, const char *data)
{
  size_t len = strlen (data);

  while (len > 0) {
    ssize_t n = write (fd, data, len);
    if (n <= 0)
      return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}

/* Authenticates to the bus on @bus_fd as ourselves; returns the bus GUID. */
static char *
auth_to_bus (int bus_fd, GError **error)
{
  g_autofree char *uid = g_strdup_printf ("%u", (guint) getuid ());
  g_autoptr(GString) hex = g_string_new (NULL);
  g_autofree char *cmd = NULL, *reply = NULL;

  for (const char *p = uid; *p != '\0'; p++)
    g_string_append_printf (hex, "%02x", (guchar) *p);
  cmd = g_strdup_printf ("AUTH EXTERNAL %s\r\n", hex->str);
  if (write (bus_fd, "", 1) != 1 || !write_all (bus_fd, cmd)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write to the bus");
    return NULL;
  }
  reply = read_line (bus_fd);
  if (reply == NULL || !g_str_has_prefix (reply, "OK ")) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "the bus refused us: %s",
                 reply != NULL ? reply : "(closed)");
    return NULL;
  }
  if (!write_all (bus_fd, "BEGIN\r\n")) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write to the bus");
    return NULL;
  }
  return g_strdup (reply + 3);
}

/* Plays the server side of the handshake on stdin/stdout until BEGIN. */
static gboolean
auth_client (const char *guid, GError **error)
{
  char nul;

  if (read (STDIN_FILENO, &nul, 1) != 1 || nul != '\0') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the client did not start a D-Bus handshake");
    return FALSE;
  }
  for (;;) {
    g_autofree char *line = read_line (STDIN_FILENO);
    g_autofree char *ok = NULL;

    if (line == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "the client went away during the handshake");
      return FALSE;
    }
    if (g_str_equal (line, "BEGIN"))
      return TRUE;
    if (g_str_has_prefix (line, "AUTH ANONYMOUS")) {
      ok = g_strdup_printf ("OK %s\r\n", guid);
      if (!write_all (STDOUT_FILENO, ok))
        return FALSE;
    } else if (g_str_has_prefix (line, "AUTH")) {
      if (!write_all (STDOUT_FILENO, "REJECTED ANONYMOUS\r\n"))
        return FALSE;
    } else if (!write_all (STDOUT_FILENO, "ERROR\r\n")) {
      return FALSE;
    }
  }
}

int
main (int argc, char **argv)
{
  gboolean system_bus = FALSE, session_bus = FALSE;
  g_autofree char *address = NULL;
  GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &system_bus, "Relay to the system bus (the default)", NULL },
    { "session", 0, 0, G_OPTION_ARG_NONE, &session_bus, "Relay to the session bus", NULL },
    { "address", 'a', 0, G_OPTION_ARG_STRING, &address, "Relay to this D-Bus address", "ADDRESS" },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- relay stdin/stdout to a D-Bus bus");
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) bus = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = NULL;
  Relay relay = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("virtbus-stdio-bridge: %s\n", error->message);
    return 2;
  }
  if (address == NULL) {
    address = g_dbus_address_get_for_bus_sync (session_bus ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, NULL, &error);
    if (address == NULL) {
      g_printerr ("virtbus-stdio-bridge: %s\n", error->message);
      return 1;
    }
  }
  bus = g_dbus_address_get_stream_sync (address, NULL, NULL, &error);
  if (bus == NULL) {
    g_printerr ("virtbus-stdio-bridge: cannot connect to %s: %s\n", address, error->message);
    return 1;
  }
  {
    GSocket *socket = G_IS_SOCKET_CONNECTION (bus) ? g_socket_connection_get_socket (G_SOCKET_CONNECTION (bus)) : NULL;
    g_autofree char *guid = NULL;

    if (socket == NULL) {
      g_printerr ("virtbus-stdio-bridge: %s is not a socket address\n", address);
      return 1;
    }
    int fd = g_socket_get_fd (socket);
    int fl = fcntl (fd, F_GETFL);

    /* GSocket keeps its fd non-blocking; the byte-wise handshake wants
     * blocking reads, the relay afterwards non-blocking ones again. */
    fcntl (fd, F_SETFL, fl & ~O_NONBLOCK);
    guid = auth_to_bus (fd, &error);
    fcntl (fd, F_SETFL, fl);
    if (guid == NULL || !auth_client (guid, &error)) {
      g_printerr ("virtbus-stdio-bridge: %s\n", error->message);
      return 1;
    }
  }
  in = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
  relay.loop = g_main_loop_new (NULL, FALSE);
  g_output_stream_splice_async (g_io_stream_get_output_stream (bus), in, G_OUTPUT_STREAM_SPLICE_NONE,
                                G_PRIORITY_DEFAULT, NULL, splice_done, &relay);
  g_output_stream_splice_async (out, g_io_stream_get_input_stream (bus), G_OUTPUT_STREAM_SPLICE_NONE,
                                G_PRIORITY_DEFAULT, NULL, splice_done, &relay);
  g_main_loop_run (relay.loop);
  g_main_loop_unref (relay.loop);
  return relay.status;
}
