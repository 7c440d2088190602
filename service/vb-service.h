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
/* Unexports everything and closes the backends (guests keep running). */
void vb_service_shutdown (VbService *self);

G_END_DECLS
