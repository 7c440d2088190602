/* The QEMU guest agent part of the QEMU backend.
 *
 * A domain with <channel type='unix'><target type='virtio'
 * name='org.qemu.guest_agent.0'/></channel> gets a virtserialport whose
 * host end is a unix socket chardev (server) in its runtime directory. We
 * connect to it as soon as QEMU runs (again after a daemon restart) and
 * speak qemu-ga's protocol: one JSON command per line, one at a time, each
 * with a timeout. QEMU holds what we write until the guest opens the port,
 * so stale commands and replies can be around after a timeout or an agent
 * restart: before each command (as libvirt does) we synchronise with
 * guest-sync-delimited (a 0xFF byte resets the agent's parser; its reply
 * is preceded by 0xFF, everything before it is dropped). The handshake has
 * a short timeout, so an agent that is stuck or gone shows within seconds
 * even for commands that may take long.
 *
 * Whether an agent listens in the guest comes from QMP: VSERPORT_CHANGE
 * (and query-chardev's frontend-open after a reattach). It drives the
 * AgentEvent signal, and a command to an agent that is not there fails at
 * once instead of waiting for a timeout.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gio/gunixsocketaddress.h>

#include "vb-network-dnsmasq.h"
#include "vb-network-local.h"
#include "vb-qemu-agent.h"
#include "vb-qemu-command.h"
#include "vb-qemu-process.h"

#define AGENT_CHANNEL_NAME "org.qemu.guest_agent.0"

/* A dead agent must show within seconds; freezing and trimming really
 * work in the guest and get longer. */
#define SYNC_TIMEOUT_MS 5000
#define COMMAND_TIMEOUT_MS 10000
#define SLOW_COMMAND_TIMEOUT_MS 60000
#define SHUTDOWN_TIMEOUT_MS 30000
/* One reply must fit in this; more means a broken peer. */
#define MAX_LINE (16 * 1024 * 1024)

/* virConnectDomainEventAgentLifecycleState / Reason */
enum { AGENT_STATE_CONNECTED = 1, AGENT_STATE_DISCONNECTED = 2 };
enum { AGENT_REASON_UNKNOWN = 0, AGENT_REASON_DOMAIN_STARTED = 1, AGENT_REASON_CHANNEL = 2 };

/* virDomainGetHostnameFlags, virDomainSetTimeFlags,
 * virDomainSetUserPasswordFlags, virDomainInterfaceAddressesSource */
enum { HOSTNAME_LEASE = 1 << 0, HOSTNAME_AGENT = 1 << 1 };
enum { TIME_SYNC = 1 << 0 };
enum { PASSWORD_ENCRYPTED = 1 << 0 };
enum { ADDR_SRC_LEASE = 0, ADDR_SRC_AGENT = 1, ADDR_SRC_ARP = 2 };
/* virIPAddrType */
enum { IP_ADDR_IPV4 = 0, IP_ADDR_IPV6 = 1 };

/* Turns the agent's "return" value into the op's result and completes
 * @task; @ret may be NULL (commands without a reply). */
typedef void (*ReplyFunc) (VbObj *dom, JsonNode *ret, GTask *task);

typedef struct {
  VbObj *dom; /* a reference */
  char *command;
  JsonObject *args; /* NULL = none */
  guint timeout_ms;
  gboolean no_reply; /* guest-shutdown: answers only when it fails */
  ReplyFunc reply;
  VbQemuAgentFallback fallback;
  GTask *task;
} AgentCmd;

struct _VbQemuAgent {
  VbObj *dom;      /* not owned */
  char *path;      /* the chardev's socket */
  char *alias;     /* the virtserialport's id, as VSERPORT_CHANGE names it */
  char *chardev;   /* its chardev's id, as query-chardev names it */
  gboolean open;   /* the agent in the guest has the port open */

  GSocket *socket;
  GSource *read_source;
  GByteArray *inbuf;
  gint64 sync_id;     /* handshake under way (0: none) */
  gboolean delimited; /* handshake: the agent's 0xFF went by */

  GQueue queue;       /* AgentCmd waiting their turn */
  AgentCmd *current;  /* the one being handled */
  gboolean sent;      /* current is written (not only its handshake) */
  GSource *timeout;
};

static void agent_pump (VbQemuAgent *a);
static void send_current (VbQemuAgent *a);

static void
agent_cmd_free (AgentCmd *cmd)
{
  g_clear_object (&cmd->dom);
  g_free (cmd->command);
  g_clear_pointer (&cmd->args, json_object_unref);
  g_clear_object (&cmd->task);
  g_free (cmd);
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* ---- the channel ---- */

static const VbDomainChrDef *
find_channel (const VbDomainDef *def)
{
  for (guint i = 0; def != NULL && i < def->channels->len; i++) {
    const VbDomainChrDef *chr = g_ptr_array_index (def->channels, i);

    if (g_strcmp0 (chr->target_type, "virtio") == 0 && g_strcmp0 (chr->target_name, AGENT_CHANNEL_NAME) == 0)
      return chr;
  }
  return NULL;
}

/* The socket QEMU listens on for the channel (vb-qemu-command.c puts it
 * in the runtime dir unless <source path=> says where), or NULL when QEMU
 * is not the listening side. */
static char *
channel_socket_path (VbObj *dom, const VbDomainChrDef *chr)
{
  g_autofree char *run_dir = NULL;
  g_autofree char *base = NULL;

  if (chr->type == VB_DOMAIN_CHR_TYPE_UNIX) {
    if (chr->src_mode == VB_DOMAIN_CHR_MODE_CONNECT)
      return NULL;
    if (chr->src_path != NULL)
      return g_strdup (chr->src_path);
  } else if (chr->type != VB_DOMAIN_CHR_TYPE_PTY) {
    return NULL;
  }
  run_dir = vb_qemu_domain_run_dir (vb_qemu_dom (dom)->backend, dom->name);
  base = g_strdup_printf ("%s.sock", chr->target_name);
  return g_build_filename (run_dir, base, NULL);
}

/* The QEMU id of @dom's agent channel: its alias, or the one the command
 * builder gave it (the same rule on a copy). */
static char *
channel_alias (VbObj *dom)
{
  const VbDomainChrDef *chr = find_channel (dom->def);
  g_autoptr(VbDomainDef) copy = NULL;

  if (chr->info.alias != NULL)
    return g_strdup (chr->info.alias);
  copy = vb_domain_def_copy (dom->def);
  vb_qemu_domain_assign_aliases (copy);
  return g_strdup (find_channel (copy)->info.alias);
}

static void
set_channel_state (VbObj *dom, gboolean open)
{
  VbDomainChrDef *chr = (VbDomainChrDef *) find_channel (dom->def);

  /* The live XML shows it, as libvirt's does. */
  if (chr != NULL)
    chr->target_state = open ? VB_DOMAIN_CHR_STATE_CONNECTED : VB_DOMAIN_CHR_STATE_DISCONNECTED;
}

static void
emit_agent_event (VbObj *dom, int state, int reason)
{
  vb_backend_emit_domain_signal (VB_BACKEND (vb_qemu_dom (dom)->backend), dom, "AgentEvent",
                                 g_variant_new ("(ii)", state, reason));
}

/* ---- completing commands ---- */

/* Ends the current command: with @ret (taken; may be NULL), or @error
 * (taken). Our state is settled and the next command sent before the
 * task completes, since its callback may queue more. */
static void
finish_current (VbQemuAgent *a, JsonNode *ret, GError *error)
{
  AgentCmd *cmd = g_steal_pointer (&a->current);

  clear_source (&a->timeout);
  a->sent = FALSE;
  a->sync_id = 0;
  if (cmd == NULL) {
    g_clear_pointer (&ret, json_node_unref);
    g_clear_error (&error);
    return;
  }
  agent_pump (a);
  if (error != NULL && cmd->fallback != NULL) {
    g_debug ("domain '%s': %s; falling back", cmd->dom->name, error->message);
    g_error_free (error);
    cmd->fallback (cmd->dom, cmd->task);
  } else if (error != NULL) {
    g_task_return_error (cmd->task, error);
  } else {
    cmd->reply (cmd->dom, ret, cmd->task);
  }
  g_clear_pointer (&ret, json_node_unref);
  agent_cmd_free (cmd);
}

static void
fail_cmd (AgentCmd *cmd, GError *error)
{
  if (cmd->fallback != NULL) {
    g_debug ("domain '%s': %s; falling back", cmd->dom->name, error->message);
    g_error_free (error);
    cmd->fallback (cmd->dom, cmd->task);
  } else {
    g_task_return_error (cmd->task, error);
  }
  agent_cmd_free (cmd);
}

/* The connection is gone (or we gave up on it): pending commands end
 * with @message, except a shutdown, which this is the sign of. */
static void
agent_disconnect (VbQemuAgent *a, const char *message)
{
  g_autoptr(GQueue) queued = g_queue_copy (&a->queue);
  AgentCmd *cmd;

  clear_source (&a->read_source);
  if (a->socket != NULL)
    g_socket_close (a->socket, NULL);
  g_clear_object (&a->socket);
  g_byte_array_set_size (a->inbuf, 0);
  g_queue_clear (&a->queue);
  if (a->current != NULL) {
    if (a->current->no_reply && a->sent)
      finish_current (a, NULL, NULL);
    else
      finish_current (a, NULL, g_error_new (VB_ERROR, VB_ERROR_OPERATION_INVALID, "%s", message));
  }
  while ((cmd = g_queue_pop_head (queued)) != NULL)
    fail_cmd (cmd, g_error_new (VB_ERROR, VB_ERROR_OPERATION_INVALID, "%s", message));
}

/* ---- reading ---- */

static void
handle_reply (VbQemuAgent *a, const char *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *obj;

  if (!json_parser_load_from_data (parser, line, -1, NULL))
    return; /* not for us (noise after a reset of the agent's parser) */
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  obj = json_node_get_object (root);

  if (a->sync_id != 0) {
    JsonNode *ret = json_object_get_member (obj, "return");

    /* Anything but the answer to this very handshake is stale. */
    if (ret == NULL || !JSON_NODE_HOLDS_VALUE (ret) || json_node_get_int (ret) != a->sync_id)
      return;
    a->sync_id = 0;
    send_current (a);
    return;
  }
  if (a->current == NULL || !a->sent)
    return;
  if (json_object_has_member (obj, "error")) {
    JsonObject *err = json_object_get_object_member (obj, "error");
    const char *desc = err && json_object_has_member (err, "desc") ? json_object_get_string_member (err, "desc")
                                                                   : "unknown error";

    finish_current (a, NULL, g_error_new (VB_ERROR, VB_ERROR_FAILED, "guest agent command %s failed: %s",
                                          a->current->command, desc));
    return;
  }
  if (json_object_has_member (obj, "return"))
    finish_current (a, json_node_copy (json_object_get_member (obj, "return")), NULL);
}

static void
process_input (VbQemuAgent *a)
{
  while (a->inbuf->len > 0) {
    guint8 *nl;
    g_autofree char *line = NULL;
    gsize len;

    if (a->sync_id != 0 && !a->delimited) {
      guint8 *ff = memchr (a->inbuf->data, 0xff, a->inbuf->len);

      if (ff == NULL) {
        g_byte_array_set_size (a->inbuf, 0);
        return;
      }
      g_byte_array_remove_range (a->inbuf, 0, ff - a->inbuf->data + 1);
      a->delimited = TRUE;
      continue;
    }
    nl = memchr (a->inbuf->data, '\n', a->inbuf->len);
    if (nl == NULL) {
      if (a->inbuf->len > MAX_LINE)
        agent_disconnect (a, "the guest agent sent an overlong reply");
      return;
    }
    len = nl - a->inbuf->data;
    line = g_strndup ((const char *) a->inbuf->data, len);
    g_byte_array_remove_range (a->inbuf, 0, len + 1);
    /* A stray 0xFF (answer to a parser reset we no longer wait for). */
    g_strdelimit (line, "\xff", ' ');
    handle_reply (a, line);
  }
}

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  VbQemuAgent *a = user_data;
  g_autoptr(GError) error = NULL;
  guint8 buf[16384];
  gssize n = g_socket_receive (socket, (char *) buf, sizeof buf, NULL, &error);

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (n <= 0) {
    g_autofree char *message = g_strdup_printf ("the guest agent connection of domain '%s' closed%s%s",
                                                a->dom->name, error ? ": " : "", error ? error->message : "");

    g_debug ("%s", message);
    /* Our source is destroyed inside; returning REMOVE is then harmless. */
    agent_disconnect (a, message);
    return G_SOURCE_REMOVE;
  }
  g_byte_array_append (a->inbuf, buf, n);
  process_input (a);
  return G_SOURCE_CONTINUE;
}

/* ---- writing ---- */

static gboolean
agent_connect (VbQemuAgent *a, GError **error)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) local = NULL;

  if (a->socket != NULL)
    return TRUE;
  address = g_unix_socket_address_new (a->path);
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &local);
  /* A local listening socket: connecting does not wait. */
  if (socket == NULL || !g_socket_connect (socket, address, NULL, &local)) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "cannot connect to the guest agent channel of domain '%s' (%s): %s", a->dom->name, a->path,
                 local->message);
    return FALSE;
  }
  g_socket_set_blocking (socket, FALSE);
  a->socket = g_steal_pointer (&socket);
  g_byte_array_set_size (a->inbuf, 0);
  a->read_source = g_socket_create_source (a->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (a->read_source, G_SOURCE_FUNC (on_readable), a, NULL);
  g_source_attach (a->read_source, NULL);
  return TRUE;
}

/* Writes all of @data or fails: what we send is tiny, so a socket that
 * does not take it means QEMU stopped reading (no agent reads the port). */
static gboolean
agent_write (VbQemuAgent *a, const char *data, gsize len, GError **error)
{
  gsize done = 0;

  while (done < len) {
    g_autoptr(GError) local = NULL;
    gssize n = g_socket_send (a->socket, data + done, len - done, NULL, &local);

    if (n < 0) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                   "guest agent of domain '%s' is not responding: %s", a->dom->name,
                   g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) ? "its channel is full"
                                                                                : local->message);
      return FALSE;
    }
    done += n;
  }
  return TRUE;
}

static gboolean
on_timeout (gpointer user_data)
{
  VbQemuAgent *a = user_data;
  const char *what = a->sync_id != 0 ? "guest-sync-delimited" : a->current ? a->current->command : "?";
  guint ms = a->sync_id != 0 ? SYNC_TIMEOUT_MS : a->current ? a->current->timeout_ms : 0;

  g_clear_pointer (&a->timeout, g_source_unref);
  /* Whatever comes late belongs to no one: the next handshake drops it. */
  finish_current (a, NULL,
                  g_error_new (VB_ERROR, VB_ERROR_OPERATION_INVALID,
                               "guest agent of domain '%s' is not responding (no answer to %s within %u s)",
                               a->dom->name, what, ms / 1000));
  return G_SOURCE_REMOVE;
}

static void
arm_timeout (VbQemuAgent *a, guint ms)
{
  clear_source (&a->timeout);
  a->timeout = g_timeout_source_new (ms);
  g_source_set_callback (a->timeout, on_timeout, a, NULL);
  g_source_attach (a->timeout, NULL);
}

static void
send_json (VbQemuAgent *a, const char *prefix, const char *command, JsonObject *args, guint timeout_ms)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autofree char *data = NULL;
  GError *error = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "execute");
  json_builder_add_string_value (builder, command);
  if (args != NULL) {
    json_builder_set_member_name (builder, "arguments");
    json_builder_add_value (builder, json_node_init_object (json_node_alloc (), args));
  }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);
  data = g_strconcat (prefix, json, "\n", NULL);
  arm_timeout (a, timeout_ms);
  if (!agent_write (a, data, strlen (data), &error)) {
    /* Drop the connection (a fresh one starts with nothing queued); what
     * is pending fails with why. */
    a->sent = FALSE;
    agent_disconnect (a, error->message);
    g_error_free (error);
  }
}

static void
send_current (VbQemuAgent *a)
{
  a->sent = TRUE;
  send_json (a, "", a->current->command, a->current->args, a->current->timeout_ms);
}

/* Sends the next command, after a handshake when needed. */
static void
agent_pump (VbQemuAgent *a)
{
  GError *error = NULL;

  if (a->current != NULL || g_queue_is_empty (&a->queue))
    return;
  a->current = g_queue_pop_head (&a->queue);
  a->sent = FALSE;
  if (!agent_connect (a, &error)) {
    finish_current (a, NULL, error);
    return;
  }
  {
    g_autoptr(JsonObject) args = json_object_new ();

    /* Positive and below 2^31: any agent version parses it back alike. */
    a->sync_id = g_random_int_range (1, G_MAXINT32);
    a->delimited = FALSE;
    g_byte_array_set_size (a->inbuf, 0);
    json_object_set_int_member (args, "id", a->sync_id);
    send_json (a, "\xff", "guest-sync-delimited", args, SYNC_TIMEOUT_MS);
  }
}

/* ---- entry points of the ops ---- */

/* The running domain's agent, ready for a command, or NULL and @error. */
static VbQemuAgent *
agent_get (VbObj *dom, GError **error)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  if (!dom->active || dom->state != VB_DOMAIN_RUNNING) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
    return NULL;
  }
  if (find_channel (dom->def) == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "domain '%s' has no guest agent channel (a <channel type='unix'> with <target type='virtio' "
                 "name='" AGENT_CHANNEL_NAME "'/>)", dom->name);
    return NULL;
  }
  if (d->agent != NULL && d->agent->path == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "the guest agent channel of domain '%s' must be a unix socket QEMU listens on", dom->name);
    return NULL;
  }
  /* No agent state yet: QEMU's monitor is being reconnected (reattach). */
  if (d->agent == NULL || !d->agent->open) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "guest agent of domain '%s' is not connected",
                 dom->name);
    return NULL;
  }
  return d->agent;
}

/* Runs @command (@args taken, may be NULL) and hands the reply to
 * @reply, or fails @task. */
static void
agent_call_full (VbObj *dom, const char *command, JsonObject *args, guint timeout_ms, gboolean no_reply,
                 ReplyFunc reply, VbQemuAgentFallback fallback, GTask *task)
{
  GError *error = NULL;
  VbQemuAgent *a = agent_get (dom, &error);
  AgentCmd *cmd = g_new0 (AgentCmd, 1);

  cmd->dom = g_object_ref (dom);
  cmd->command = g_strdup (command);
  cmd->args = args;
  cmd->timeout_ms = timeout_ms;
  cmd->no_reply = no_reply;
  cmd->reply = reply;
  cmd->fallback = fallback;
  cmd->task = g_object_ref (task);
  if (a == NULL) {
    fail_cmd (cmd, error);
    return;
  }
  g_queue_push_tail (&a->queue, cmd);
  agent_pump (a);
}

static void
agent_call (VbObj *dom, const char *command, JsonObject *args, guint timeout_ms, ReplyFunc reply, GTask *task)
{
  agent_call_full (dom, command, args, timeout_ms, FALSE, reply, NULL, task);
}

static gboolean
check_flags (GTask *task, guint flags, guint allowed, const char *method)
{
  GError *error = NULL;

  if (vb_check_flags (flags, allowed, method, &error))
    return TRUE;
  g_task_return_error (task, error);
  return FALSE;
}

static void
bad_reply (VbObj *dom, GTask *task, const char *command)
{
  g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "guest agent of domain '%s' gave a malformed answer to %s",
                           dom->name, command);
}

static gint64
member_int (JsonObject *obj, const char *name, gint64 fallback)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64
           ? json_node_get_int (node) : fallback;
}

/* ---- Shutdown / Reboot ---- */

gboolean
vb_qemu_agent_is_connected (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  return dom->active && d->agent != NULL && d->agent->open && d->agent->path != NULL;
}

static void
reply_void (VbObj *dom, JsonNode *ret, GTask *task)
{
  g_task_return_boolean (task, TRUE);
}

void
vb_qemu_agent_shutdown (VbObj *dom, gboolean reboot, VbQemuAgentFallback fallback, GTask *task)
{
  JsonObject *args = json_object_new ();

  json_object_set_string_member (args, "mode", reboot ? "reboot" : "powerdown");
  /* qemu-ga answers guest-shutdown only when it fails; success shows as
   * the guest's power-off or reset (see agent_event). */
  agent_call_full (dom, "guest-shutdown", args, SHUTDOWN_TIMEOUT_MS, TRUE, reply_void, fallback, task);
}

/* ---- GetHostname ---- */

static void
reply_hostname (VbObj *dom, JsonNode *ret, GTask *task)
{
  JsonObject *obj = ret && JSON_NODE_HOLDS_OBJECT (ret) ? json_node_get_object (ret) : NULL;
  const char *name = vb_qmp_member_str (obj, "host-name");

  if (name == NULL) {
    bad_reply (dom, task, "guest-get-host-name");
    return;
  }
  g_task_return_pointer (task, g_strdup (name), g_free);
}

/* The DHCP leases of @net's MAC on its network's dnsmasq: NULL for NICs
 * on no network of this host (and networks that cannot tell). */
static GPtrArray *
nic_leases (VbBackend *backend, VbObj *dom, const VbDomainNetDef *net)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *leases;

  if (net->type != VB_DOMAIN_NET_TYPE_NETWORK || net->src_network == NULL)
    return NULL;
  leases = vb_network_local_leases (backend, net->src_network, net->mac, &error);
  if (leases == NULL)
    g_debug ("domain '%s': no leases for %s: %s", dom->name, net->mac, error->message);
  return leases;
}

/* The first host name a DHCP client of the domain's <interface
 * type='network'>s gave the network's dnsmasq, in device order. */
static void
lease_hostname (VbBackend *backend, VbObj *dom, GTask *task)
{
  const VbDomainDef *def = dom->def;

  if (!dom->active) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
    return;
  }
  for (guint i = 0; i < def->nets->len; i++) {
    g_autoptr(GPtrArray) leases = nic_leases (backend, dom, g_ptr_array_index (def->nets, i));

    for (guint j = 0; leases != NULL && j < leases->len; j++) {
      const VbDnsmasqLease *l = g_ptr_array_index (leases, j);

      if (l->hostname != NULL && *l->hostname != '\0') {
        g_task_return_pointer (task, g_strdup (l->hostname), g_free);
        return;
      }
    }
  }
  g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED,
                           "no DHCP lease of domain '%s' carries a host name (its guest sends none, or it has no "
                           "lease on a network of this host)", dom->name);
}

static void
agent_get_hostname (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  if (!check_flags (task, flags, HOSTNAME_LEASE | HOSTNAME_AGENT, "GetHostname"))
    return;
  if ((flags & HOSTNAME_LEASE) && (flags & HOSTNAME_AGENT)) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG,
                             "flags 'lease' and 'agent' of GetHostname are mutually exclusive");
    return;
  }
  if (flags & HOSTNAME_LEASE) {
    lease_hostname (backend, dom, task);
    return;
  }
  agent_call (dom, "guest-get-host-name", NULL, COMMAND_TIMEOUT_MS, reply_hostname, task);
}

/* ---- GetTime / SetTime ---- */

static void
reply_time (VbObj *dom, JsonNode *ret, GTask *task)
{
  gint64 ns;

  if (ret == NULL || !JSON_NODE_HOLDS_VALUE (ret) || json_node_get_value_type (ret) != G_TYPE_INT64 ||
      (ns = json_node_get_int (ret)) < 0) {
    bad_reply (dom, task, "guest-get-time");
    return;
  }
  g_task_return_pointer (task,
                         g_variant_ref_sink (g_variant_new ("(tu)", (guint64) (ns / 1000000000),
                                                            (guint32) (ns % 1000000000))),
                         (GDestroyNotify) g_variant_unref);
}

static void
agent_get_time (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  if (!check_flags (task, flags, 0, "GetTime"))
    return;
  agent_call (dom, "guest-get-time", NULL, COMMAND_TIMEOUT_MS, reply_time, task);
}

static void
agent_set_time (VbBackend *backend, VbObj *dom, guint64 seconds, guint nseconds, guint flags, GTask *task)
{
  JsonObject *args = NULL;

  if (!check_flags (task, flags, TIME_SYNC, "SetTime"))
    return;
  /* With SYNC the guest reads its (QEMU-kept) RTC; the arguments are
   * ignored, as libvirt does. */
  if (!(flags & TIME_SYNC)) {
    if (nseconds > 999999999) {
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG, "nseconds %u is out of range (0-999999999)",
                               nseconds);
      return;
    }
    if (seconds > (guint64) (G_MAXINT64 / 1000000000) - 1) {
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG, "time %" G_GUINT64_FORMAT " is too big",
                               seconds);
      return;
    }
    args = json_object_new ();
    json_object_set_int_member (args, "time", (gint64) seconds * 1000000000 + nseconds);
  }
  agent_call (dom, "guest-set-time", args, COMMAND_TIMEOUT_MS, reply_void, task);
}

/* ---- GetFSInfo ---- */

/* The domain's disk a guest-get-fsinfo disk entry is, by serial number,
 * then PCI address, then the guest's name for it (vdX = virtio vdX). */
static const char *
disk_target (const VbDomainDef *def, JsonObject *disk)
{
  const char *serial = vb_qmp_member_str (disk, "serial");
  JsonNode *pci_node = json_object_get_member (disk, "pci-controller");
  JsonObject *pci = pci_node && JSON_NODE_HOLDS_OBJECT (pci_node) ? json_node_get_object (pci_node) : NULL;
  const char *dev = vb_qmp_member_str (disk, "dev");

  for (guint i = 0; serial != NULL && i < def->disks->len; i++) {
    const VbDomainDiskDef *disk_def = g_ptr_array_index (def->disks, i);

    if (g_strcmp0 (disk_def->serial, serial) == 0)
      return disk_def->dst;
  }
  for (guint i = 0; pci != NULL && i < def->disks->len; i++) {
    const VbDomainDiskDef *disk_def = g_ptr_array_index (def->disks, i);
    const VbDomainDeviceAddress *addr = &disk_def->info.address;

    if (addr->type == VB_DOMAIN_ADDRESS_PCI && addr->u.pci.domain == member_int (pci, "domain", -1) &&
        addr->u.pci.bus == member_int (pci, "bus", -1) && addr->u.pci.slot == member_int (pci, "slot", -1) &&
        addr->u.pci.function == member_int (pci, "function", -1))
      return disk_def->dst;
  }
  if (dev != NULL && g_str_has_prefix (dev, "/dev/vd") &&
      g_strcmp0 (vb_qmp_member_str (disk, "bus-type"), "virtio") == 0) {
    const VbDomainDiskDef *disk_def = vb_domain_def_find_disk_by_target (def, dev + strlen ("/dev/"));

    if (disk_def != NULL)
      return disk_def->dst;
  }
  return NULL;
}

static void
reply_fsinfo (VbObj *dom, JsonNode *ret, GTask *task)
{
  GVariantBuilder builder;
  JsonArray *fss;

  if (ret == NULL || !JSON_NODE_HOLDS_ARRAY (ret)) {
    bad_reply (dom, task, "guest-get-fsinfo");
    return;
  }
  fss = json_node_get_array (ret);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sssas)"));
  for (guint i = 0; i < json_array_get_length (fss); i++) {
    JsonNode *node = json_array_get_element (fss, i);
    JsonObject *fs = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    JsonNode *disks_node = fs ? json_object_get_member (fs, "disk") : NULL;
    JsonArray *disks = disks_node && JSON_NODE_HOLDS_ARRAY (disks_node) ? json_node_get_array (disks_node) : NULL;
    GVariantBuilder aliases;

    if (vb_qmp_member_str (fs, "mountpoint") == NULL)
      continue;
    g_variant_builder_init (&aliases, G_VARIANT_TYPE ("as"));
    for (guint j = 0; disks != NULL && j < json_array_get_length (disks); j++) {
      JsonNode *disk = json_array_get_element (disks, j);
      const char *target = JSON_NODE_HOLDS_OBJECT (disk) ? disk_target (dom->def, json_node_get_object (disk))
                                                        : NULL;

      if (target != NULL)
        g_variant_builder_add (&aliases, "s", target);
    }
    g_variant_builder_add (&builder, "(sssas)", vb_qmp_member_str (fs, "mountpoint"),
                           vb_qmp_member_str (fs, "name") ? vb_qmp_member_str (fs, "name") : "",
                           vb_qmp_member_str (fs, "type") ? vb_qmp_member_str (fs, "type") : "", &aliases);
  }
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_builder_end (&builder)),
                         (GDestroyNotify) g_variant_unref);
}

static void
agent_get_fs_info (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  if (!check_flags (task, flags, 0, "GetFSInfo"))
    return;
  agent_call (dom, "guest-get-fsinfo", NULL, COMMAND_TIMEOUT_MS, reply_fsinfo, task);
}

/* ---- GetGuestVcpus / SetGuestVcpus ---- */

typedef struct {
  guint id;
  gboolean online;
  gboolean can_offline;
} GuestVcpu;

static gint
compare_vcpus (gconstpointer a, gconstpointer b)
{
  guint x = ((const GuestVcpu *) a)->id, y = ((const GuestVcpu *) b)->id;

  return x < y ? -1 : x > y;
}

/* guest-get-vcpus' answer, sorted by id; NULL when malformed. */
static GArray *
parse_guest_vcpus (JsonNode *ret)
{
  g_autoptr(GArray) cpus = g_array_new (FALSE, FALSE, sizeof (GuestVcpu));
  JsonArray *list;

  if (ret == NULL || !JSON_NODE_HOLDS_ARRAY (ret))
    return NULL;
  list = json_node_get_array (ret);
  for (guint i = 0; i < json_array_get_length (list); i++) {
    JsonNode *node = json_array_get_element (list, i);
    JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    GuestVcpu cpu;
    gint64 id = member_int (o, "logical-id", -1);

    if (id < 0 || id > G_MAXUINT16)
      return NULL;
    cpu.id = (guint) id;
    cpu.online = json_object_get_boolean_member_with_default (o, "online", FALSE);
    cpu.can_offline = json_object_get_boolean_member_with_default (o, "can-offline", FALSE);
    g_array_append_val (cpus, cpu);
  }
  /* qemu-ga lists them in the order of /sys: sorted here, each once. */
  g_array_sort (cpus, compare_vcpus);
  for (guint i = 1; i < cpus->len; i++)
    if (g_array_index (cpus, GuestVcpu, i).id == g_array_index (cpus, GuestVcpu, i - 1).id)
      return NULL;
  return g_steal_pointer (&cpus);
}

/* libvirt's cpu list syntax ("0-3,5") of the vcpus @pick selects. */
static char *
format_vcpus (GArray *cpus, int pick)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < cpus->len;) {
    const GuestVcpu *first = &g_array_index (cpus, GuestVcpu, i);
    guint last = first->id, j = i + 1;

    if ((pick == 1 && !first->online) || (pick == 2 && !first->can_offline)) {
      i++;
      continue;
    }
    while (j < cpus->len) {
      const GuestVcpu *c = &g_array_index (cpus, GuestVcpu, j);
      if (c->id != last + 1 || (pick == 1 && !c->online) || (pick == 2 && !c->can_offline))
        break;
      last = c->id;
      j++;
    }
    if (out->len > 0)
      g_string_append_c (out, ',');
    if (last == first->id)
      g_string_append_printf (out, "%u", first->id);
    else
      g_string_append_printf (out, "%u-%u", first->id, last);
    i = j;
  }
  return g_string_free (out, FALSE);
}

static void
reply_guest_vcpus (VbObj *dom, JsonNode *ret, GTask *task)
{
  g_autoptr(GArray) cpus = parse_guest_vcpus (ret);
  g_autofree char *all = NULL, *online = NULL, *offlinable = NULL;
  GVariantBuilder b;

  if (cpus == NULL) {
    bad_reply (dom, task, "guest-get-vcpus");
    return;
  }
  all = format_vcpus (cpus, 0);
  online = format_vcpus (cpus, 1);
  offlinable = format_vcpus (cpus, 2);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&b, "{sv}", "vcpus", g_variant_new_string (all));
  g_variant_builder_add (&b, "{sv}", "online", g_variant_new_string (online));
  g_variant_builder_add (&b, "{sv}", "offlinable", g_variant_new_string (offlinable));
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_builder_end (&b)), (GDestroyNotify) g_variant_unref);
}

static void
agent_get_guest_vcpus (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  if (!check_flags (task, flags, 0, "GetGuestVcpus"))
    return;
  agent_call (dom, "guest-get-vcpus", NULL, COMMAND_TIMEOUT_MS, reply_guest_vcpus, task);
}

#define SET_VCPUS_KEY "vb-qemu-agent-set-vcpus"

typedef struct {
  GVariant *cpumap; /* ab */
  gboolean online;
  guint wanted;     /* how many vcpus change */
} SetVcpus;

static void
set_vcpus_free (SetVcpus *sv)
{
  g_variant_unref (sv->cpumap);
  g_free (sv);
}

static void
reply_set_vcpus (VbObj *dom, JsonNode *ret, GTask *task)
{
  SetVcpus *sv = g_object_get_data (G_OBJECT (task), SET_VCPUS_KEY);

  if (ret == NULL || !JSON_NODE_HOLDS_VALUE (ret) || json_node_get_value_type (ret) != G_TYPE_INT64) {
    bad_reply (dom, task, "guest-set-vcpus");
    return;
  }
  /* qemu-ga stops at the first vcpu it cannot change. */
  if (json_node_get_int (ret) != (gint64) sv->wanted) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "the guest changed only %" G_GINT64_FORMAT
                             " of %u vcpus", json_node_get_int (ret), sv->wanted);
    return;
  }
  g_task_return_boolean (task, TRUE);
}

/* The guest's vcpus as they are, then the change: each selected vcpu must
 * exist and, to go offline, be offlinable (as libvirt checks). */
static void
reply_vcpus_for_set (VbObj *dom, JsonNode *ret, GTask *task)
{
  SetVcpus *sv = g_object_get_data (G_OBJECT (task), SET_VCPUS_KEY);
  g_autoptr(GArray) cpus = parse_guest_vcpus (ret);
  g_autoptr(JsonArray) change = json_array_new ();
  JsonObject *args;
  gsize n = g_variant_n_children (sv->cpumap);

  if (cpus == NULL) {
    bad_reply (dom, task, "guest-get-vcpus");
    return;
  }
  for (gsize i = 0; i < n; i++) {
    const GuestVcpu *cpu = NULL;
    gboolean set;

    g_variant_get_child (sv->cpumap, i, "b", &set);
    if (!set)
      continue;
    for (guint j = 0; j < cpus->len && cpu == NULL; j++)
      if (g_array_index (cpus, GuestVcpu, j).id == i)
        cpu = &g_array_index (cpus, GuestVcpu, j);
    if (cpu == NULL) {
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG, "guest vcpu %" G_GSIZE_FORMAT
                               " of domain '%s' does not exist", i, dom->name);
      return;
    }
    if (!sv->online && !cpu->can_offline) {
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG, "guest vcpu %" G_GSIZE_FORMAT
                               " of domain '%s' cannot be taken offline", i, dom->name);
      return;
    }
    {
      JsonObject *o = json_object_new ();
      json_object_set_int_member (o, "logical-id", cpu->id);
      json_object_set_boolean_member (o, "online", sv->online);
      json_array_add_object_element (change, o);
    }
  }
  sv->wanted = json_array_get_length (change);
  args = json_object_new ();
  json_object_set_array_member (args, "vcpus", g_steal_pointer (&change));
  /* The call owns @args. */
  agent_call (dom, "guest-set-vcpus", args, COMMAND_TIMEOUT_MS, reply_set_vcpus, task);
}

static void
agent_set_guest_vcpus (VbBackend *backend, VbObj *dom, GVariant *cpumap, int state, guint flags, GTask *task)
{
  SetVcpus *sv;
  gboolean any = FALSE;

  if (!check_flags (task, flags, 0, "SetGuestVcpus"))
    return;
  if (state != 0 && state != 1) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG, "state must be 0 (offline) or 1 (online), not %d",
                             state);
    return;
  }
  for (gsize i = 0; i < g_variant_n_children (cpumap) && !any; i++)
    g_variant_get_child (cpumap, i, "b", &any);
  if (!any) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG, "the cpu map selects no vcpu");
    return;
  }
  sv = g_new0 (SetVcpus, 1);
  sv->cpumap = g_variant_ref (cpumap);
  sv->online = state == 1;
  g_object_set_data_full (G_OBJECT (task), SET_VCPUS_KEY, sv, (GDestroyNotify) set_vcpus_free);
  agent_call (dom, "guest-get-vcpus", NULL, COMMAND_TIMEOUT_MS, reply_vcpus_for_set, task);
}

/* ---- SetVcpus / GetVcpus with VCPU_GUEST ---- */

#define ONLINE_COUNT_KEY "vb-qemu-agent-online-count"

static void
reply_vcpu_count (VbObj *dom, JsonNode *ret, GTask *task)
{
  g_autoptr(GArray) cpus = parse_guest_vcpus (ret);
  gboolean all = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task), ONLINE_COUNT_KEY));
  guint n = 0;

  if (cpus == NULL) {
    bad_reply (dom, task, "guest-get-vcpus");
    return;
  }
  for (guint i = 0; i < cpus->len; i++)
    if (all || g_array_index (cpus, GuestVcpu, i).online)
      n++;
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_new_uint32 (n)), (GDestroyNotify) g_variant_unref);
}

void
vb_qemu_agent_count_vcpus (VbObj *dom, gboolean all, GTask *task)
{
  g_object_set_data (G_OBJECT (task), ONLINE_COUNT_KEY, GINT_TO_POINTER (all));
  agent_call (dom, "guest-get-vcpus", NULL, COMMAND_TIMEOUT_MS, reply_vcpu_count, task);
}

/* The guest's vcpus as they are, then as few changes as reach the count:
 * offline ones come online from the lowest id up, online ones go offline
 * from the highest id down (skipping those that cannot), as libvirt does. */
static void
reply_vcpus_for_count (VbObj *dom, JsonNode *ret, GTask *task)
{
  guint want = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), ONLINE_COUNT_KEY));
  g_autoptr(GArray) cpus = parse_guest_vcpus (ret);
  g_autoptr(JsonArray) change = NULL;
  SetVcpus *sv;
  JsonObject *args;
  guint online = 0;

  if (cpus == NULL) {
    bad_reply (dom, task, "guest-get-vcpus");
    return;
  }
  if (want > cpus->len) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG,
                             "the guest of domain '%s' knows %u vcpus, fewer than the %u asked for", dom->name,
                             cpus->len, want);
    return;
  }
  for (guint i = 0; i < cpus->len; i++)
    online += g_array_index (cpus, GuestVcpu, i).online;
  change = json_array_new ();
  for (guint k = 0; k < cpus->len && online != want; k++) {
    gboolean up = online < want;
    const GuestVcpu *cpu = &g_array_index (cpus, GuestVcpu, up ? k : cpus->len - 1 - k);
    JsonObject *o;

    if (cpu->online == up || (!up && !cpu->can_offline))
      continue;
    o = json_object_new ();
    json_object_set_int_member (o, "logical-id", cpu->id);
    json_object_set_boolean_member (o, "online", up);
    json_array_add_object_element (change, o);
    if (up)
      online++;
    else
      online--;
  }
  if (online != want) {
    /* Only going down can stop short: at the online vcpus that cannot go. */
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                             "the guest of domain '%s' cannot go down to %u online vcpus: %u of them cannot be taken "
                             "offline", dom->name, want, online);
    return;
  }
  if (json_array_get_length (change) == 0) {
    g_task_return_boolean (task, TRUE);
    return;
  }
  sv = g_new0 (SetVcpus, 1);
  sv->cpumap = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE_BOOLEAN, NULL, 0));
  sv->wanted = json_array_get_length (change);
  g_object_set_data_full (G_OBJECT (task), SET_VCPUS_KEY, sv, (GDestroyNotify) set_vcpus_free);
  args = json_object_new ();
  json_object_set_array_member (args, "vcpus", g_steal_pointer (&change));
  agent_call (dom, "guest-set-vcpus", args, COMMAND_TIMEOUT_MS, reply_set_vcpus, task);
}

void
vb_qemu_agent_set_online_vcpus (VbObj *dom, guint count, GTask *task)
{
  g_object_set_data (G_OBJECT (task), ONLINE_COUNT_KEY, GUINT_TO_POINTER (count));
  agent_call (dom, "guest-get-vcpus", NULL, COMMAND_TIMEOUT_MS, reply_vcpus_for_count, task);
}

/* ---- FSFreeze / FSThaw / FSTrim ---- */

static void
reply_count (VbObj *dom, JsonNode *ret, GTask *task)
{
  if (ret == NULL || !JSON_NODE_HOLDS_VALUE (ret) || json_node_get_value_type (ret) != G_TYPE_INT64 ||
      json_node_get_int (ret) < 0) {
    bad_reply (dom, task, "guest-fsfreeze");
    return;
  }
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_new_uint32 ((guint32) json_node_get_int (ret))),
                         (GDestroyNotify) g_variant_unref);
}

static void
agent_fs_freeze (VbBackend *backend, VbObj *dom, const char *const *mountpoints, guint flags, GTask *task)
{
  JsonObject *args = NULL;

  if (!check_flags (task, flags, 0, "FSFreeze"))
    return;
  if (mountpoints != NULL && mountpoints[0] != NULL) {
    JsonArray *list = json_array_new ();

    for (guint i = 0; mountpoints[i] != NULL; i++)
      json_array_add_string_element (list, mountpoints[i]);
    args = json_object_new ();
    json_object_set_array_member (args, "mountpoints", list);
    agent_call (dom, "guest-fsfreeze-freeze-list", args, SLOW_COMMAND_TIMEOUT_MS, reply_count, task);
    return;
  }
  agent_call (dom, "guest-fsfreeze-freeze", NULL, SLOW_COMMAND_TIMEOUT_MS, reply_count, task);
}

static void
agent_fs_thaw (VbBackend *backend, VbObj *dom, const char *const *mountpoints, guint flags, GTask *task)
{
  if (!check_flags (task, flags, 0, "FSThaw"))
    return;
  /* qemu-ga thaws everything it froze; it has no per-mountpoint thaw. */
  if (mountpoints != NULL && mountpoints[0] != NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                             "thawing selected mountpoints is not supported: the guest agent thaws all");
    return;
  }
  agent_call (dom, "guest-fsfreeze-thaw", NULL, SLOW_COMMAND_TIMEOUT_MS, reply_count, task);
}

void
vb_qemu_agent_freeze_all (VbObj *dom, GTask *task)
{
  agent_call (dom, "guest-fsfreeze-freeze", NULL, SLOW_COMMAND_TIMEOUT_MS, reply_count, task);
}

void
vb_qemu_agent_thaw_all (VbObj *dom, GTask *task)
{
  agent_call (dom, "guest-fsfreeze-thaw", NULL, SLOW_COMMAND_TIMEOUT_MS, reply_count, task);
}

static void
agent_fs_trim (VbBackend *backend, VbObj *dom, const char *mountpoint, guint64 minimum, guint flags, GTask *task)
{
  JsonObject *args;

  if (!check_flags (task, flags, 0, "FSTrim"))
    return;
  if (mountpoint != NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                             "trimming one mountpoint is not supported: the guest agent trims all");
    return;
  }
  if (minimum > G_MAXINT64) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG, "minimum %" G_GUINT64_FORMAT " is too big",
                             minimum);
    return;
  }
  args = json_object_new ();
  json_object_set_int_member (args, "minimum", (gint64) minimum);
  agent_call (dom, "guest-fstrim", args, SLOW_COMMAND_TIMEOUT_MS, reply_void, task);
}

/* ---- InterfaceAddresses ---- */

static void
reply_interfaces (VbObj *dom, JsonNode *ret, GTask *task)
{
  GVariantBuilder builder;
  JsonArray *ifaces;

  if (ret == NULL || !JSON_NODE_HOLDS_ARRAY (ret)) {
    bad_reply (dom, task, "guest-network-get-interfaces");
    return;
  }
  ifaces = json_node_get_array (ret);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ssa(isu))"));
  for (guint i = 0; i < json_array_get_length (ifaces); i++) {
    JsonNode *node = json_array_get_element (ifaces, i);
    JsonObject *iface = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    JsonNode *addrs_node = iface ? json_object_get_member (iface, "ip-addresses") : NULL;
    JsonArray *addrs = addrs_node && JSON_NODE_HOLDS_ARRAY (addrs_node) ? json_node_get_array (addrs_node) : NULL;
    const char *hwaddr = vb_qmp_member_str (iface, "hardware-address");
    GVariantBuilder addr_builder;

    if (vb_qmp_member_str (iface, "name") == NULL)
      continue;
    g_variant_builder_init (&addr_builder, G_VARIANT_TYPE ("a(isu)"));
    for (guint j = 0; addrs != NULL && j < json_array_get_length (addrs); j++) {
      JsonNode *anode = json_array_get_element (addrs, j);
      JsonObject *addr = JSON_NODE_HOLDS_OBJECT (anode) ? json_node_get_object (anode) : NULL;
      const char *type = vb_qmp_member_str (addr, "ip-address-type");
      const char *ip = vb_qmp_member_str (addr, "ip-address");
      gint64 prefix = member_int (addr, "prefix", 0);

      if (ip == NULL || type == NULL)
        continue;
      g_variant_builder_add (&addr_builder, "(isu)", g_str_equal (type, "ipv6") ? IP_ADDR_IPV6 : IP_ADDR_IPV4, ip,
                             (guint32) CLAMP (prefix, 0, 128));
    }
    g_variant_builder_add (&builder, "(ssa(isu))", vb_qmp_member_str (iface, "name"), hwaddr ? hwaddr : "",
                           &addr_builder);
  }
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_builder_end (&builder)),
                         (GDestroyNotify) g_variant_unref);
}

/* The host's neighbour table (/proc/net/arp) entries with the MAC of one
 * of the domain's NICs: only NICs on a host bridge/tap ever appear there
 * (user-mode networking lives inside QEMU: none). */
static GVariant *
arp_interfaces (VbObj *dom)
{
  const VbDomainDef *def = dom->def;
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ssa(isu))"));
  if (!g_file_get_contents ("/proc/net/arp", &contents, NULL, NULL))
    return g_variant_builder_end (&builder);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; i < def->nets->len; i++) {
    const VbDomainNetDef *net = g_ptr_array_index (def->nets, i);
    GVariantBuilder addrs;
    gboolean found = FALSE;

    g_variant_builder_init (&addrs, G_VARIANT_TYPE ("a(isu)"));
    /* "IP address  HW type  Flags  HW address  Mask  Device", a header first. */
    for (guint j = 1; lines[j] != NULL; j++) {
      char ip[64], hw[64];

      if (sscanf (lines[j], "%63s %*s %*s %63s", ip, hw) == 2 && g_ascii_strcasecmp (hw, net->mac) == 0) {
        g_variant_builder_add (&addrs, "(isu)", IP_ADDR_IPV4, ip, 0);
        found = TRUE;
      }
    }
    if (found)
      g_variant_builder_add (&builder, "(ssa(isu))", net->target_dev ? net->target_dev : "", net->mac, &addrs);
    else
      g_variant_builder_clear (&addrs);
  }
  return g_variant_builder_end (&builder);
}

/* The DHCP leases of the NICs on a virtual network, from its dnsmasq;
 * other NICs have none, and neither does a NIC whose network is gone or
 * stopped since the guest started (libvirt skips them all). */
static GVariant *
lease_interfaces (VbBackend *backend, VbObj *dom)
{
  const VbDomainDef *def = dom->def;
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ssa(isu))"));
  for (guint i = 0; i < def->nets->len; i++) {
    const VbDomainNetDef *net = g_ptr_array_index (def->nets, i);
    g_autoptr(GPtrArray) leases = nic_leases (backend, dom, net);
    GVariantBuilder addrs;

    if (leases == NULL || leases->len == 0)
      continue;
    g_variant_builder_init (&addrs, G_VARIANT_TYPE ("a(isu)"));
    for (guint j = 0; j < leases->len; j++) {
      const VbDnsmasqLease *l = g_ptr_array_index (leases, j);
      g_variant_builder_add (&addrs, "(isu)", l->type, l->ip_address, l->prefix);
    }
    g_variant_builder_add (&builder, "(ssa(isu))", net->target_dev ? net->target_dev : "", net->mac, &addrs);
  }
  return g_variant_builder_end (&builder);
}

static void
agent_interface_addresses (VbBackend *backend, VbObj *dom, guint source, guint flags, GTask *task)
{

  if (!check_flags (task, flags, 0, "InterfaceAddresses"))
    return;
  if (!dom->active) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
    return;
  }
  switch (source) {
  case ADDR_SRC_AGENT:
    agent_call (dom, "guest-network-get-interfaces", NULL, COMMAND_TIMEOUT_MS, reply_interfaces, task);
    return;
  case ADDR_SRC_LEASE:
    g_task_return_pointer (task, g_variant_ref_sink (lease_interfaces (backend, dom)),
                           (GDestroyNotify) g_variant_unref);
    return;
  case ADDR_SRC_ARP:
    g_task_return_pointer (task, g_variant_ref_sink (arp_interfaces (dom)), (GDestroyNotify) g_variant_unref);
    return;
  default:
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG, "unknown IP address data source %u", source);
    return;
  }
}

/* ---- SetUserPassword ---- */

static void
agent_set_user_password (VbBackend *backend, VbObj *dom, const char *user, const char *password, guint flags,
                         GTask *task)
{
  JsonObject *args;
  g_autofree char *encoded = NULL;

  if (!check_flags (task, flags, PASSWORD_ENCRYPTED, "SetUserPassword"))
    return;
  if (user == NULL || *user == '\0' || password == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG, "a user name and a password are required");
    return;
  }
  encoded = g_base64_encode ((const guchar *) password, strlen (password));
  args = json_object_new ();
  json_object_set_string_member (args, "username", user);
  json_object_set_string_member (args, "password", encoded);
  json_object_set_boolean_member (args, "crypted", (flags & PASSWORD_ENCRYPTED) != 0);
  agent_call (dom, "guest-set-user-password", args, COMMAND_TIMEOUT_MS, reply_void, task);
}

/* ---- the part's hooks ---- */

static void
agent_free (VbQemuAgent *a)
{
  if (a == NULL)
    return;
  agent_disconnect (a, "the domain is not running any more");
  clear_source (&a->timeout);
  g_byte_array_unref (a->inbuf);
  g_free (a->path);
  g_free (a->alias);
  g_free (a->chardev);
  g_free (a);
}

static void
on_query_chardev (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VbObj) dom = user_data;
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) ret = g_task_propagate_pointer (G_TASK (result), &error);
  JsonArray *devs;

  if (ret == NULL || d->agent == NULL || !JSON_NODE_HOLDS_ARRAY (ret)) {
    if (error != NULL)
      g_debug ("domain '%s': query-chardev: %s", dom->name, error->message);
    return;
  }
  devs = json_node_get_array (ret);
  for (guint i = 0; i < json_array_get_length (devs); i++) {
    JsonNode *node = json_array_get_element (devs, i);
    JsonObject *dev = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    JsonNode *open;

    if (g_strcmp0 (vb_qmp_member_str (dev, "label"), d->agent->chardev) != 0)
      continue;
    open = json_object_get_member (dev, "frontend-open");
    /* A VSERPORT_CHANGE may have come first: it is newer. */
    if (open != NULL && JSON_NODE_HOLDS_VALUE (open) && json_node_get_boolean (open) && !d->agent->open) {
      d->agent->open = TRUE;
      set_channel_state (dom, TRUE);
      g_debug ("domain '%s': the guest agent is connected", dom->name);
    }
  }
}

static void
agent_running (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  const VbDomainChrDef *chr = find_channel (dom->def);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  VbQemuAgent *a;

  g_clear_pointer (&d->agent, agent_free);
  if (chr == NULL)
    return;
  a = g_new0 (VbQemuAgent, 1);
  a->dom = dom;
  a->path = channel_socket_path (dom, chr);
  a->alias = channel_alias (dom);
  a->chardev = g_strdup_printf ("char%s", chr->info.alias);
  a->inbuf = g_byte_array_new ();
  g_queue_init (&a->queue);
  d->agent = a;
  set_channel_state (dom, FALSE);
  if (a->path == NULL)
    return;
  /* Connected from the start, so the port's host side is open before the
   * agent looks; failures are retried at the first command. */
  if (!agent_connect (a, &error))
    g_debug ("%s", error->message);
  /* After a reattach the agent may have been there all along. */
  task = g_task_new (NULL, NULL, on_query_chardev, g_object_ref (dom));
  vb_qemu_process_qmp (dom, "query-chardev", NULL, task);
}

static void
agent_stopped (VbObj *dom, gboolean detached)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  g_clear_pointer (&d->agent, agent_free);
}

static gboolean
agent_event (VbObj *dom, const char *name, JsonObject *data)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  VbQemuAgent *a = d->agent;

  if (a == NULL)
    return FALSE;
  if (g_str_equal (name, "VSERPORT_CHANGE")) {
    JsonNode *open_node = data ? json_object_get_member (data, "open") : NULL;
    gboolean open;

    if (g_strcmp0 (vb_qmp_member_str (data, "id"), a->alias) != 0 || open_node == NULL)
      return FALSE;
    open = json_node_get_boolean (open_node);
    g_debug ("domain '%s': the guest agent %s its channel", dom->name, open ? "opened" : "closed");
    /* A new agent (or none): what was in flight will not be answered. */
    if (a->current != NULL) {
      if (a->current->no_reply && a->sent)
        finish_current (a, NULL, NULL);
      else
        finish_current (a, NULL,
                        g_error_new (VB_ERROR, VB_ERROR_OPERATION_INVALID,
                                     "guest agent of domain '%s' disconnected", dom->name));
    }
    if (a->open != open) {
      a->open = open;
      set_channel_state (dom, open);
      vb_qemu_process_save_state (dom, NULL);
      emit_agent_event (dom, open ? AGENT_STATE_CONNECTED : AGENT_STATE_DISCONNECTED, AGENT_REASON_CHANNEL);
    }
    return TRUE;
  }
  /* The guest acted on guest-shutdown; the core reports the event. */
  if ((g_str_equal (name, "SHUTDOWN") || g_str_equal (name, "RESET")) && a->current != NULL &&
      a->current->no_reply && a->sent)
    finish_current (a, NULL, NULL);
  return FALSE;
}

static void
agent_dom_free (VbQemuDom *d)
{
  g_clear_pointer (&d->agent, agent_free);
}

static void
agent_ops_init (VbDomainOpsInterface *iface)
{
  iface->get_hostname = agent_get_hostname;
  iface->get_time = agent_get_time;
  iface->set_time = agent_set_time;
  iface->get_fs_info = agent_get_fs_info;
  iface->fs_freeze = agent_fs_freeze;
  iface->fs_thaw = agent_fs_thaw;
  iface->fs_trim = agent_fs_trim;
  iface->interface_addresses = agent_interface_addresses;
  iface->set_user_password = agent_set_user_password;
  iface->get_guest_vcpus = agent_get_guest_vcpus;
  iface->set_guest_vcpus = agent_set_guest_vcpus;
}

const VbQemuPart vb_qemu_part_agent = {
  .name = "agent",
  .ops_init = agent_ops_init,
  .running = agent_running,
  .stopped = agent_stopped,
  .event = agent_event,
  .dom_free = agent_dom_free,
};
