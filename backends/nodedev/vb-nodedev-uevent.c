/* Kernel uevents: the socket and the message format (see the header). */
#include "config.h"

#include "vb-nodedev-uevent.h"

#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vb-error.h"
#include "vb-nodedev-sysfs.h"

/* The kernel's uevent buffer is 2 KiB; room to spare. */
#define UEVENT_BUF 8192
/* Bursts (a hub with many devices, a storage array) fit; beyond, a rescan. */
#define UEVENT_RCVBUF (1024 * 1024)

static gboolean
valid_word (const char *s, gsize max)
{
  gsize len = strlen (s);

  if (len == 0 || len > max)
    return FALSE;
  for (const char *p = s; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '.' && *p != ':')
      return FALSE;
  return TRUE;
}

VbNodedevUevent *
vb_nodedev_uevent_new (const char *action, const char *devpath, const char *subsystem, const char *devpath_old)
{
  g_autoptr(VbNodedevUevent) event = g_new0 (VbNodedevUevent, 1);

  if (action == NULL || !valid_word (action, 32) || devpath == NULL || devpath[0] != '/' ||
      !vb_nodedev_sysfs_devpath_is_valid (devpath + 1))
    return NULL;
  if (subsystem != NULL && !valid_word (subsystem, 64))
    return NULL;
  if (devpath_old != NULL && (devpath_old[0] != '/' || !vb_nodedev_sysfs_devpath_is_valid (devpath_old + 1)))
    return NULL;
  event->action = g_strdup (action);
  event->devpath = g_strdup (devpath + 1);
  event->subsystem = g_strdup (subsystem);
  event->devpath_old = devpath_old ? g_strdup (devpath_old + 1) : NULL;
  return g_steal_pointer (&event);
}

void
vb_nodedev_uevent_free (VbNodedevUevent *event)
{
  if (event == NULL)
    return;
  g_free (event->action);
  g_free (event->devpath);
  g_free (event->devpath_old);
  g_free (event->subsystem);
  g_free (event);
}

VbNodedevUevent *
vb_nodedev_uevent_parse (const char *buf, gsize len)
{
  const char *end = buf + len;
  const char *action = NULL, *devpath = NULL, *subsystem = NULL, *devpath_old = NULL;
  gsize header;

  if (len == 0 || len > UEVENT_BUF)
    return NULL;
  /* "action@devpath": udev's messages ("libudev" + binary) have no '@'. */
  header = strnlen (buf, len);
  if (header == len || memchr (buf, '@', header) == NULL)
    return NULL;
  for (const char *p = buf + header + 1; p < end;) {
    gsize n = strnlen (p, (gsize) (end - p));
    if (p + n == end) /* the last field lacks its NUL: cut off */
      break;
    if (g_str_has_prefix (p, "ACTION=") && action == NULL)
      action = p + 7;
    else if (g_str_has_prefix (p, "DEVPATH=") && devpath == NULL)
      devpath = p + 8;
    else if (g_str_has_prefix (p, "SUBSYSTEM=") && subsystem == NULL)
      subsystem = p + 10;
    else if (g_str_has_prefix (p, "DEVPATH_OLD=") && devpath_old == NULL)
      devpath_old = p + 12;
    p += n + 1;
  }
  return vb_nodedev_uevent_new (action, devpath, subsystem, devpath_old);
}

int
vb_nodedev_uevent_open (GError **error)
{
  struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = 1 };
  int size = UEVENT_RCVBUF;
  int fd = socket (AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);

  if (fd < 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot open a kernel uevent socket: %s", g_strerror (errno));
    return -1;
  }
  /* Forcing the size needs CAP_NET_ADMIN; else what the limit allows. */
  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
    (void) setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0) {
    int saved = errno;
    close (fd);
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot listen to kernel uevents: %s", g_strerror (saved));
    return -1;
  }
  return fd;
}

int
vb_nodedev_uevent_receive (int fd, VbNodedevUevent **event)
{
  char buf[UEVENT_BUF];
  struct sockaddr_nl sender = { 0 };
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
  struct msghdr msg = { .msg_name = &sender, .msg_namelen = sizeof sender, .msg_iov = &iov, .msg_iovlen = 1 };
  ssize_t n;

  *event = NULL;
  do
    n = recvmsg (fd, &msg, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
  /* Only the kernel (port 0) speaks on this group; a truncated message is no event. */
  if (msg.msg_namelen != sizeof sender || sender.nl_pid != 0 || (msg.msg_flags & MSG_TRUNC)) {
    g_debug ("uevent socket: a message not from the kernel, or truncated: ignored");
    return 1;
  }
  *event = vb_nodedev_uevent_parse (buf, (gsize) n);
  if (*event == NULL)
    g_debug ("uevent socket: a malformed message: ignored");
  return 1;
}
