/* virtbus error domain.
 *
 * Every fallible function in the daemon, its model and its backends reports
 * a GError in VB_ERROR. On the wire all of them become org.libvirt.Error
 * (libvirt-dbus' only error name) except the authorization ones, which keep
 * names of their own so clients can tell "denied" from "failed".
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VB_ERROR (vb_error_quark ())

typedef enum {
  VB_ERROR_FAILED,            /* generic operation failure */
  VB_ERROR_INVALID_ARG,       /* a caller-supplied argument is wrong */
  VB_ERROR_XML,               /* malformed or unsupported XML */
  VB_ERROR_NOT_FOUND,         /* no such object */
  VB_ERROR_EXISTS,            /* an object with that name/uuid exists */
  VB_ERROR_OPERATION_INVALID, /* not possible in the object's state */
  VB_ERROR_NOT_SUPPORTED,     /* the backend cannot do this */
  VB_ERROR_UNSUPPORTED_FLAGS, /* flags the method does not accept */
  VB_ERROR_NOT_AUTHORIZED,    /* the caller may not do this */
  VB_ERROR_AUTH_CANCELLED,    /* the caller dismissed the authentication */
  VB_ERROR_IO,                /* an I/O failure on the host */
} VbError;

GQuark vb_error_quark (void);

/* The D-Bus error name a VbError (or a foreign GError) goes out as. */
const char *vb_error_dbus_name (const GError *error);

/* Fails with VB_ERROR_UNSUPPORTED_FLAGS when @flags has bits outside @allowed. */
gboolean vb_check_flags (guint flags, guint allowed, const char *method, GError **error);

G_END_DECLS
