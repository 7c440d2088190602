/* Kernel uevents (NETLINK_KOBJECT_UEVENT, multicast group 1: the kernel's
 * own messages, not udev's): "action@devpath" then KEY=VALUE fields, each
 * NUL-terminated. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *action;      /* add, remove, change, move, bind, unbind, online, offline */
  char *devpath;     /* "devices/…" (DEVPATH without its leading '/') */
  char *devpath_old; /* move: where the device was; else NULL */
  char *subsystem;   /* may be NULL */
} VbNodedevUevent;

/* An event from its parts (DEVPATH form "/devices/…"); NULL when a part
 * is not plausible. */
VbNodedevUevent *vb_nodedev_uevent_new (const char *action, const char *devpath, const char *subsystem,
                                        const char *devpath_old);
/* One message as received; NULL when it is not a well-formed kernel uevent. */
VbNodedevUevent *vb_nodedev_uevent_parse (const char *buf, gsize len);
void vb_nodedev_uevent_free (VbNodedevUevent *event);

/* A non-blocking socket on the kernel's uevents, or -1 with @error. */
int vb_nodedev_uevent_open (GError **error);
/* Receives one message from @fd: 1 with *@event set (NULL when the
 * message was not a kernel uevent), 0 when none is waiting, -1 with errno
 * set on failure (ENOBUFS: the socket's buffer overflowed, events were
 * lost). */
int vb_nodedev_uevent_receive (int fd, VbNodedevUevent **event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNodedevUevent, vb_nodedev_uevent_free)

G_END_DECLS
