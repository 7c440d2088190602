/* The host's interfaces over rtnetlink: one socket subscribed to the link
 * and address groups carries both the dumps and the notifications, read
 * on the main loop; a VbInterfaceTable holds what the kernel said, and the
 * registry is brought in step after each batch of messages. */
#include "config.h"

#include "vb-interface-local.h"

#include <errno.h>
#include <glib-unix.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vb-error.h"
#include "vb-interface-def.h"
#include "vb-interface-table.h"
#include "vb-netlink.h"

#define LOCAL_KEY "vb-interface-local"
/* More than any datagram the kernel sends: it sizes dump datagrams by the
 * reader's buffer, 32 KiB at most. */
#define RECV_SIZE (64 * 1024)
/* What the kernel may queue for us before it drops notifications. */
#define RCVBUF_SIZE (4 * 1024 * 1024)
/* The dumps come from the kernel's memory in milliseconds: a bound, not a wait. */
#define LOAD_TIMEOUT_SECONDS 30
/* A dump the kernel marks inconsistent (links changed under it) is
 * repeated; after this many, the notifications that follow correct it. */
#define MAX_DUMP_ATTEMPTS 5
/* Datagrams read per wake-up, so that a storm of changes cannot starve the
 * rest of the main loop. */
#define MAX_DATAGRAMS_PER_WAKE 256

#define UNMANAGED                                                                                               \
  "the host's network configuration is managed outside virtbus (ifupdown, NetworkManager, systemd-networkd): " \
  "use its own tools"

typedef enum {
  DUMP_NONE,
  DUMP_LINKS,
  DUMP_ADDRESSES,
} DumpPhase;

typedef struct {
  VbBackend *backend; /* owns this */
  VbInterfaceTable *table;
  int fd;
  guint32 port; /* our netlink port: the kernel's replies to our dumps carry it */
  guint watch_id;
  guint32 seq; /* of the dump in progress, or the last one */
  DumpPhase phase;
  gboolean dump_interrupted; /* the kernel flagged the dump inconsistent */
  gboolean resync;           /* notifications were lost: dump again */
  guint dump_attempts;
  gboolean loaded; /* the first dump is complete */
  GHashTable *objs; /* ifindex → VbObj */
  GTask *load_task;
  GError *load_error;
  guint load_timeout_id;
  guint8 *buf; /* RECV_SIZE */
} Local;

static Local *
get_local (VbBackend *backend)
{
  return g_object_get_data (G_OBJECT (backend), LOCAL_KEY);
}

static void
local_free (gpointer data)
{
  Local *local = data;
  g_autoptr(GTask) task = g_steal_pointer (&local->load_task);

  g_clear_handle_id (&local->watch_id, g_source_remove);
  g_clear_handle_id (&local->load_timeout_id, g_source_remove);
  if (local->fd >= 0)
    close (local->fd);
  vb_interface_table_free (local->table);
  g_hash_table_unref (local->objs);
  g_clear_error (&local->load_error);
  g_free (local->buf);
  g_free (local);
  /* Last: the callback may load again. */
  if (task != NULL)
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "stopped before the host's interfaces were read");
}

/* Mbit/s from /sys/class/net/<name>/speed: "-1" or an error when the
 * driver does not know. @name is a valid interface name (the table's). */
static guint
read_speed (const char *name, gpointer user_data)
{
  g_autofree char *path = g_build_filename ("/sys/class/net", name, "speed", NULL);
  g_autofree char *text = NULL;
  guint64 speed = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL) ||
      !g_ascii_string_to_unsigned (g_strstrip (text), 10, 1, G_MAXUINT32 - 1, &speed, NULL))
    return 0;
  return (guint) speed;
}

/* ---- the registry ---- */

static gboolean
same_def (const VbInterfaceDef *a, const VbInterfaceDef *b)
{
  g_autofree char *xa = vb_interface_def_format (a, 0);
  g_autofree char *xb = vb_interface_def_format (b, 0);

  return g_strcmp0 (xa, xb) == 0;
}

/* An object keeps its key while the key is still its MAC or its name. */
static gboolean
key_still_valid (Local *local, guint index, VbObj *obj)
{
  const char *name = vb_interface_table_get_name (local->table, index);
  const char *mac = vb_interface_table_get_mac (local->table, index);

  return name != NULL && (g_str_equal (obj->key, name) || g_strcmp0 (obj->key, mac) == 0);
}

static void
add_object (Local *local, guint index, VbInterfaceDef *def)
{
  const char *name = vb_interface_table_get_name (local->table, index);
  const char *mac = vb_interface_table_get_mac (local->table, index);
  const char *key = mac != NULL && vb_backend_lookup (local->backend, VB_OBJ_INTERFACE, mac) == NULL ? mac : name;
  VbObj *obj;

  /* Names are unique in a namespace and never hold ':', so a name key
   * collides with nothing we registered. Anyone else's object wins. */
  if (vb_backend_lookup (local->backend, VB_OBJ_INTERFACE, key) != NULL) {
    g_debug ("not showing interface '%s': key '%s' is taken", name, key);
    vb_interface_def_free (def);
    return;
  }
  obj = vb_obj_new (VB_OBJ_INTERFACE, name, NULL, def, (GDestroyNotify) vb_interface_def_free);
  obj->key = g_strdup (key);
  obj->persistent = TRUE;
  obj->active = vb_interface_table_is_up (local->table, index);
  obj->backend_data = GUINT_TO_POINTER (index);
  g_hash_table_insert (local->objs, GUINT_TO_POINTER (index), obj);
  vb_backend_add_object (local->backend, obj);
}

static void
update_object (Local *local, guint index, VbObj *obj, VbInterfaceDef *def)
{
  const char *name = vb_interface_table_get_name (local->table, index);

  if (!g_str_equal (obj->name, name))
    vb_backend_rename_object (local->backend, obj, name);
  if (!same_def (obj->def, def))
    vb_obj_set_def (obj, def);
  else
    vb_interface_def_free (def);
  vb_obj_set_active (obj, vb_interface_table_is_up (local->table, index));
}

static void
sync_objects (Local *local)
{
  g_autoptr(GArray) dirty = NULL;

  if (!local->loaded || local->phase != DUMP_NONE)
    return;
  dirty = vb_interface_table_take_dirty (local->table);

  /* What goes, and what changes key, goes first: no key (and so no
   * object path) is ever held by two objects. */
  for (guint i = 0; i < dirty->len; i++) {
    guint index = g_array_index (dirty, guint, i);
    VbObj *obj = g_hash_table_lookup (local->objs, GUINT_TO_POINTER (index));

    if (obj != NULL && !key_still_valid (local, index, obj)) {
      g_autoptr(VbObj) gone = g_object_ref (obj);

      g_hash_table_remove (local->objs, GUINT_TO_POINTER (index));
      vb_backend_remove_object (local->backend, gone);
    }
  }
  for (guint i = 0; i < dirty->len; i++) {
    guint index = g_array_index (dirty, guint, i);
    VbInterfaceDef *def = vb_interface_table_build_def (local->table, index);
    VbObj *obj = g_hash_table_lookup (local->objs, GUINT_TO_POINTER (index));

    if (def == NULL)
      continue;
    if (obj != NULL)
      update_object (local, index, obj, def);
    else
      add_object (local, index, def);
  }
}

/* ---- rtnetlink ---- */

static gboolean
send_dump (Local *local, guint16 type, GError **error)
{
  struct {
    struct nlmsghdr hdr;
    union {
      struct ifinfomsg ifi;
      struct ifaddrmsg ifa;
    };
    struct rtattr ext_attr;
    guint32 ext_mask;
  } req;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  ssize_t n;

  memset (&req, 0, sizeof req);
  req.hdr.nlmsg_type = type;
  req.hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.hdr.nlmsg_seq = ++local->seq;
  if (type == RTM_GETLINK) {
    req.ifi.ifi_family = AF_UNSPEC;
    /* Counters are of no use here and are most of a link's message. */
    req.ext_attr.rta_type = IFLA_EXT_MASK;
    req.ext_attr.rta_len = RTA_LENGTH (sizeof req.ext_mask);
    req.ext_mask = RTEXT_FILTER_SKIP_STATS;
    req.hdr.nlmsg_len = sizeof req;
  } else {
    req.ifa.ifa_family = AF_UNSPEC;
    req.hdr.nlmsg_len = NLMSG_LENGTH (sizeof req.ifa);
  }
  do
    n = sendto (local->fd, &req, req.hdr.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof kernel);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    int saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot read the host's interfaces: netlink: %s",
                 g_strerror (saved));
    return FALSE;
  }
  return TRUE;
}

static void
dump_failed (Local *local, GError *error)
{
  local->phase = DUMP_NONE;
  if (local->load_task != NULL && local->load_error == NULL) {
    local->load_error = error;
    return;
  }
  g_warning ("%s", error->message);
  g_error_free (error);
}

static void
start_dump (Local *local)
{
  GError *error = NULL;

  local->dump_interrupted = FALSE;
  local->resync = FALSE;
  local->dump_attempts++;
  vb_interface_table_begin_links (local->table);
  if (!send_dump (local, RTM_GETLINK, &error)) {
    dump_failed (local, error);
    return;
  }
  local->phase = DUMP_LINKS;
}

static void
dump_done (Local *local)
{
  GError *error = NULL;

  if (local->phase == DUMP_LINKS) {
    vb_interface_table_end_links (local->table);
    vb_interface_table_begin_addresses (local->table);
    if (!send_dump (local, RTM_GETADDR, &error)) {
      dump_failed (local, error);
      return;
    }
    local->phase = DUMP_ADDRESSES;
    return;
  }
  local->phase = DUMP_NONE;
  if ((local->dump_interrupted || local->resync) && local->dump_attempts < MAX_DUMP_ATTEMPTS) {
    g_debug ("the interface dump was inconsistent or notifications were lost: dumping again");
    start_dump (local);
    return;
  }
  local->dump_attempts = 0;
  local->loaded = TRUE;
}

static void
dump_error (Local *local, int errnum)
{
  local->phase = DUMP_NONE;
  /* A dump that raced with changes may be refused as a whole. */
  if ((errnum == EINTR || errnum == EBUSY) && local->dump_attempts < MAX_DUMP_ATTEMPTS) {
    start_dump (local);
    return;
  }
  dump_failed (local, g_error_new (VB_ERROR, VB_ERROR_FAILED, "cannot read the host's interfaces: %s",
                                   g_strerror (errnum)));
}

/* The messages of one datagram of @n bytes in local->buf. Our dumps'
 * replies carry our port; everything else is a notification, whoever
 * caused it. */
static void
handle_datagram (Local *local, gsize n)
{
  const guint8 *p = local->buf;

  while (n >= sizeof (struct nlmsghdr)) {
    const struct nlmsghdr *h = (const struct nlmsghdr *) p;
    gboolean reply = h->nlmsg_pid == local->port;
    gsize step;

    if (h->nlmsg_len < sizeof *h || h->nlmsg_len > n) {
      g_debug ("skipping the rest of a malformed netlink datagram");
      return;
    }
    if (reply && (local->phase == DUMP_NONE || h->nlmsg_seq != local->seq)) {
      g_debug ("skipping a reply to an earlier dump");
    } else if (reply) {
      if (h->nlmsg_flags & NLM_F_DUMP_INTR)
        local->dump_interrupted = TRUE;
      if (h->nlmsg_type == NLMSG_DONE) {
        dump_done (local);
      } else if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr err = { .error = -EIO };
        if (h->nlmsg_len >= NLMSG_LENGTH (sizeof err))
          memcpy (&err, NLMSG_DATA (h), sizeof err);
        dump_error (local, err.error < 0 ? -err.error : EIO);
      } else {
        vb_interface_table_apply (local->table, h, n);
      }
    } else {
      vb_interface_table_apply (local->table, h, n);
    }
    step = MIN ((gsize) NLMSG_ALIGN (h->nlmsg_len), n);
    p += step;
    n -= step;
  }
}

/* Reads what is queued (up to MAX_DATAGRAMS_PER_WAKE datagrams), then
 * brings the registry in step. */
static void
receive_pending (Local *local)
{
  for (guint i = 0; i < MAX_DATAGRAMS_PER_WAKE && local->watch_id != 0; i++) {
    struct sockaddr_nl from = { 0 };
    struct iovec iov = { .iov_base = local->buf, .iov_len = RECV_SIZE };
    struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n = recvmsg (local->fd, &mh, MSG_DONTWAIT);

    if (n < 0) {
      int saved = errno;
      if (saved == EINTR)
        continue;
      if (saved == EAGAIN || saved == EWOULDBLOCK)
        break;
      if (saved == ENOBUFS) {
        g_message ("rtnetlink notifications were lost (receive queue full): reading all interfaces again");
        local->resync = TRUE;
        continue;
      }
      g_warning ("cannot read rtnetlink notifications, no longer following the host's interfaces: %s",
                 g_strerror (saved));
      g_clear_handle_id (&local->watch_id, g_source_remove);
      break;
    }
    /* Only the kernel speaks here: any process may send to our port. */
    if (mh.msg_namelen < sizeof from || from.nl_pid != 0) {
      g_debug ("ignoring a netlink message from port %u", from.nl_pid);
      continue;
    }
    if (mh.msg_flags & MSG_TRUNC) {
      g_debug ("a netlink datagram was truncated: reading all interfaces again");
      local->resync = TRUE;
      continue;
    }
    handle_datagram (local, (gsize) n);
  }
  if (local->resync && local->phase == DUMP_NONE && local->watch_id != 0) {
    local->dump_attempts = 0;
    start_dump (local);
  }
  sync_objects (local);
}

/* Completes the load once the first dump is in, or failed. Last thing a
 * caller does with @local: the callback may stop us. */
static void
finish_load (Local *local)
{
  g_autoptr(GTask) task = NULL;
  VbBackend *backend = local->backend;
  GError *error;

  if (local->load_task == NULL || (!local->loaded && local->load_error == NULL && local->watch_id != 0))
    return;
  task = g_steal_pointer (&local->load_task);
  g_clear_handle_id (&local->load_timeout_id, g_source_remove);
  if (local->loaded) {
    g_task_return_boolean (task, TRUE);
    return;
  }
  error = g_steal_pointer (&local->load_error);
  if (error == NULL)
    error = g_error_new (VB_ERROR, VB_ERROR_FAILED, "cannot read the host's interfaces: netlink socket failed");
  g_object_set_data (G_OBJECT (backend), LOCAL_KEY, NULL);
  g_task_return_error (task, error);
}

static gboolean
on_readable (int fd, GIOCondition condition, gpointer user_data)
{
  Local *local = user_data;

  receive_pending (local);
  finish_load (local);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_load_timeout (gpointer user_data)
{
  Local *local = user_data;

  local->load_timeout_id = 0;
  if (local->load_error == NULL)
    local->load_error = g_error_new (VB_ERROR, VB_ERROR_FAILED,
                                     "cannot read the host's interfaces: the kernel did not answer within %d s",
                                     LOAD_TIMEOUT_SECONDS);
  finish_load (local);
  return G_SOURCE_REMOVE;
}

static Local *
local_new (VbBackend *backend, GError **error)
{
  static const guint groups[] = { RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR };
  struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
  socklen_t addr_len = sizeof addr;
  int rcvbuf = RCVBUF_SIZE;
  Local *local;
  int fd;

  fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0) {
    int saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot read the host's interfaces: netlink: %s",
                 g_strerror (saved));
    return NULL;
  }
  /* The larger queue needs CAP_NET_ADMIN; without it, the system's limit. */
  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 ||
      getsockname (fd, (struct sockaddr *) &addr, &addr_len) < 0) {
    int saved = errno;
    close (fd);
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot read the host's interfaces: netlink: %s",
                 g_strerror (saved));
    return NULL;
  }
  for (guint i = 0; i < G_N_ELEMENTS (groups); i++)
    if (setsockopt (fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof groups[i]) < 0) {
      int saved = errno;
      close (fd);
      g_set_error (error, VB_ERROR, VB_ERROR_FAILED,
                   "cannot follow the host's interfaces: netlink group %u: %s", groups[i], g_strerror (saved));
      return NULL;
    }

  local = g_new0 (Local, 1);
  local->backend = backend;
  local->fd = fd;
  local->port = addr.nl_pid;
  local->table = vb_interface_table_new (read_speed, NULL);
  local->objs = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  local->buf = g_malloc (RECV_SIZE);
  local->watch_id = g_unix_fd_add (fd, G_IO_IN, on_readable, local);
  return local;
}

void
vb_interface_local_load_async (VbBackend *backend, GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (backend, cancellable, callback, user_data);
  GError *error = NULL;
  Local *local;

  g_task_set_source_tag (task, vb_interface_local_load_async);
  if (g_task_return_error_if_cancelled (task))
    return;
  if (get_local (backend) != NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "the host's interfaces are loaded already");
    return;
  }
  local = local_new (backend, &error);
  if (local == NULL) {
    g_task_return_error (task, error);
    return;
  }
  g_object_set_data_full (G_OBJECT (backend), LOCAL_KEY, local, local_free);
  start_dump (local);
  if (local->load_error != NULL) {
    error = g_steal_pointer (&local->load_error);
    g_object_set_data (G_OBJECT (backend), LOCAL_KEY, NULL);
    g_task_return_error (task, error);
    return;
  }
  local->load_task = g_steal_pointer (&task);
  local->load_timeout_id = g_timeout_add_seconds (LOAD_TIMEOUT_SECONDS, on_load_timeout, local);
}

gboolean
vb_interface_local_load_finish (VbBackend *backend, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, backend), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
vb_interface_local_stop (VbBackend *backend)
{
  g_object_set_data (G_OBJECT (backend), LOCAL_KEY, NULL);
}

/* ---- org.libvirt.Connect ---- */

static void
define_xml (VbBackend *backend, const char *xml, guint flags, GTask *task)
{
  g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                           "defining host interfaces is not supported on this connection: %s", UNMANAGED);
}

static void
change_unsupported (GTask *task)
{
  g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                           "interface change transactions are not supported on this connection: %s", UNMANAGED);
}

static void
change_begin (VbBackend *backend, guint flags, GTask *task)
{
  change_unsupported (task);
}

static void
change_commit (VbBackend *backend, guint flags, GTask *task)
{
  change_unsupported (task);
}

static void
change_rollback (VbBackend *backend, guint flags, GTask *task)
{
  change_unsupported (task);
}

/* ---- org.libvirt.Interface ---- */

/* The link of @iface once what the kernel queued is applied: it queues a
 * notification before it answers the request that caused it, so a client
 * that just changed an interface sees its change. 0, with @error, when
 * the interface is gone (or its object was replaced, its MAC changed). */
static guint
current_index (Local *local, VbObj *iface, GError **error)
{
  guint index = GPOINTER_TO_UINT (iface->backend_data);
  g_autofree char *what = NULL;

  receive_pending (local);
  if (iface->owner != NULL && g_hash_table_lookup (local->objs, GUINT_TO_POINTER (index)) == iface)
    return index;
  what = g_strdup_printf ("no interface with matching name '%s'", iface->name);
  vb_set_not_found (error, VB_OBJ_INTERFACE, what);
  return 0;
}

static void
set_up (VbBackend *backend, VbObj *iface, guint flags, GTask *task, gboolean up)
{
  Local *local = get_local (backend);
  GError *error = NULL;
  guint index;

  if (!vb_check_flags (flags, 0, up ? "Create" : "Destroy", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (local == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "the host's interfaces are not followed (stopped)");
    return;
  }
  index = current_index (local, iface, &error);
  if (index == 0) {
    g_task_return_error (task, error);
    return;
  }
  if (iface->active == up) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                             up ? "interface '%s' is already active" : "interface '%s' is not active", iface->name);
    return;
  }
  if (!vb_netlink_link_set_up (iface->name, up, &error)) {
    g_task_return_error (task, error);
    return;
  }
  /* The kernel's notification is queued already; the state is recorded
   * too in case it was lost, so that Active is right before the reply. */
  receive_pending (local);
  vb_interface_table_set_up (local->table, index, up);
  sync_objects (local);
  vb_obj_set_active (iface, up);
  g_task_return_boolean (task, TRUE);
}

static void
create (VbBackend *backend, VbObj *iface, guint flags, GTask *task)
{
  set_up (backend, iface, flags, task, TRUE);
}

static void
destroy (VbBackend *backend, VbObj *iface, guint flags, GTask *task)
{
  set_up (backend, iface, flags, task, FALSE);
}

static void
get_xml_desc (VbBackend *backend, VbObj *iface, guint flags, GTask *task)
{
  Local *local = get_local (backend);
  GError *error = NULL;

  /* Once stopped, what was last seen. */
  if (!vb_check_flags (flags, VB_INTERFACE_GET_XML_INACTIVE, "GetXMLDesc", &error) ||
      (local != NULL && current_index (local, iface, &error) == 0)) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task,
                         vb_interface_def_format (iface->def, (flags & VB_INTERFACE_GET_XML_INACTIVE)
                                                                  ? VB_INTERFACE_XML_INACTIVE
                                                                  : 0),
                         g_free);
}

static void
undefine (VbBackend *backend, VbObj *iface, GTask *task)
{
  g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                           "undefining host interfaces is not supported on this connection: %s", UNMANAGED);
}

void
vb_interface_local_ops_init (VbInterfaceOpsInterface *iface)
{
  iface->define_xml = define_xml;
  iface->change_begin = change_begin;
  iface->change_commit = change_commit;
  iface->change_rollback = change_rollback;
  iface->create = create;
  iface->destroy = destroy;
  iface->get_xml_desc = get_xml_desc;
  iface->undefine = undefine;
}
