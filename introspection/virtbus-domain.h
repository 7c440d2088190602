/* virtbus client library: a virtual machine. */
#pragma once

#if !defined(VIRTBUS_INSIDE) && !defined(VIRTBUS_COMPILATION)
#error "Only <virtbus.h> can be included directly."
#endif

#include "virtbus-object.h"

G_BEGIN_DECLS

/**
 * VirtbusDomainState:
 * @VIRTBUS_DOMAIN_STATE_NOSTATE: no state
 * @VIRTBUS_DOMAIN_STATE_RUNNING: running
 * @VIRTBUS_DOMAIN_STATE_BLOCKED: blocked on a resource
 * @VIRTBUS_DOMAIN_STATE_PAUSED: paused
 * @VIRTBUS_DOMAIN_STATE_SHUTDOWN: being shut down
 * @VIRTBUS_DOMAIN_STATE_SHUTOFF: shut off
 * @VIRTBUS_DOMAIN_STATE_CRASHED: crashed
 * @VIRTBUS_DOMAIN_STATE_PMSUSPENDED: suspended by guest power management
 *
 * A domain's state, with libvirt's numbering (virDomainState).
 */
typedef enum {
  VIRTBUS_DOMAIN_STATE_NOSTATE = 0,
  VIRTBUS_DOMAIN_STATE_RUNNING = 1,
  VIRTBUS_DOMAIN_STATE_BLOCKED = 2,
  VIRTBUS_DOMAIN_STATE_PAUSED = 3,
  VIRTBUS_DOMAIN_STATE_SHUTDOWN = 4,
  VIRTBUS_DOMAIN_STATE_SHUTOFF = 5,
  VIRTBUS_DOMAIN_STATE_CRASHED = 6,
  VIRTBUS_DOMAIN_STATE_PMSUSPENDED = 7,
} VirtbusDomainState;

#define VIRTBUS_TYPE_DOMAIN (virtbus_domain_get_type ())
G_DECLARE_FINAL_TYPE (VirtbusDomain, virtbus_domain, VIRTBUS, DOMAIN, VirtbusObject)

guint virtbus_domain_get_id (VirtbusDomain *self);
const char *virtbus_domain_state_to_string (VirtbusDomainState state);

#define VIRTBUS_DOMAIN_DECLARE_CALL(verb)                                                         \
  void virtbus_domain_##verb##_async (VirtbusDomain *self, GCancellable *cancellable,             \
                                      GAsyncReadyCallback callback, gpointer user_data);          \
  gboolean virtbus_domain_##verb##_finish (VirtbusDomain *self, GAsyncResult *result,             \
                                           GError **error);                                       \
  gboolean virtbus_domain_##verb##_sync (VirtbusDomain *self, GCancellable *cancellable, GError **error);

VIRTBUS_DOMAIN_DECLARE_CALL (start)
VIRTBUS_DOMAIN_DECLARE_CALL (shutdown)
VIRTBUS_DOMAIN_DECLARE_CALL (destroy)
VIRTBUS_DOMAIN_DECLARE_CALL (reboot)
VIRTBUS_DOMAIN_DECLARE_CALL (reset)
VIRTBUS_DOMAIN_DECLARE_CALL (suspend)
VIRTBUS_DOMAIN_DECLARE_CALL (resume)
VIRTBUS_DOMAIN_DECLARE_CALL (undefine)

void virtbus_domain_get_state_async (VirtbusDomain *self, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
VirtbusDomainState virtbus_domain_get_state_finish (VirtbusDomain *self, GAsyncResult *result,
                                                    int *reason, GError **error);
VirtbusDomainState virtbus_domain_get_state_sync (VirtbusDomain *self, int *reason,
                                                  GCancellable *cancellable, GError **error);

gboolean virtbus_domain_has_console (VirtbusDomain *self);
void virtbus_domain_open_console_async (VirtbusDomain *self, guint index, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
GIOStream *virtbus_domain_open_console_finish (VirtbusDomain *self, GAsyncResult *result, GError **error);
GIOStream *virtbus_domain_open_console_sync (VirtbusDomain *self, guint index, GCancellable *cancellable,
                                             GError **error);

G_END_DECLS
