/* VbService: the daemon core. One ObjectManager at /org/libvirt, one
 * VbConnect per backend, and the org.libvirt bus name. */
#pragma once

#include "vb-backend.h"

G_BEGIN_DECLS

#define VB_TYPE_SERVICE (vb_service_get_type ())
G_DECLARE_FINAL_TYPE (VbService, vb_service, VB, SERVICE, GObject)

VbService *vb_service_new (GDBusConnection *connection);
/* Opens @backend and exports its connection and objects. */
gboolean vb_service_add_backend (VbService *self, VbBackend *backend, GError **error);
/* The same with the backend's asynchronous open (vb_backend_open_async):
 * the connection is exported when it completes. */
void vb_service_add_backend_async (VbService *self, VbBackend *backend, GAsyncReadyCallback callback,
                                   gpointer user_data);
gboolean vb_service_add_backend_finish (VbService *self, GAsyncResult *result, GError **error);
/* Unexports everything and closes the backends (guests keep running). */
void vb_service_shutdown (VbService *self);

/* perf: objects exported while publication is deferred reach the bus only
 * at vb_service_publish, all at once and without one InterfacesAdded
 * signal each: for the start-up export, before the bus name is owned, when
 * no client can see them anyway. */
void vb_service_defer_publication (VbService *self);
void vb_service_publish (VbService *self);
/* Delivers what the backends held back while opening
 * (vb_backend_hold_events): called once the bus name is asked for. */
void vb_service_release_events (VbService *self);

G_END_DECLS
