/* virtbus client library: error domain. */
#pragma once

#if !defined(VIRTBUS_INSIDE) && !defined(VIRTBUS_COMPILATION)
#error "Only <virtbus.h> can be included directly."
#endif

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * VIRTBUS_ERROR:
 *
 * The error domain of the virtbus client library.
 */
#define VIRTBUS_ERROR (virtbus_error_quark ())

/**
 * VirtbusError:
 * @VIRTBUS_ERROR_FAILED: the daemon reported a failure (org.libvirt.Error);
 *   the message says what went wrong
 * @VIRTBUS_ERROR_NOT_AUTHORIZED: the caller may not do this
 *   (org.virtbus.Error.NotAuthorized)
 * @VIRTBUS_ERROR_AUTH_CANCELLED: the user dismissed the authentication
 *   dialog (org.virtbus.Error.AuthenticationCancelled)
 * @VIRTBUS_ERROR_NOT_SUPPORTED: the connection does not offer this
 *   operation (unknown method or interface on the daemon)
 * @VIRTBUS_ERROR_INVALID_ARGS: the daemon rejected the arguments' types
 * @VIRTBUS_ERROR_NOT_FOUND: no such object on this connection
 * @VIRTBUS_ERROR_NO_SERVICE: virtbusd is not running on the bus, or does not
 *   serve the requested connection
 * @VIRTBUS_ERROR_INVALID_URI: a connection URI could not be understood
 * @VIRTBUS_ERROR_DISCONNECTED: the connection to the bus was lost
 *
 * Error codes in the %VIRTBUS_ERROR domain.
 */
typedef enum {
  VIRTBUS_ERROR_FAILED,
  VIRTBUS_ERROR_NOT_AUTHORIZED,
  VIRTBUS_ERROR_AUTH_CANCELLED,
  VIRTBUS_ERROR_NOT_SUPPORTED,
  VIRTBUS_ERROR_INVALID_ARGS,
  VIRTBUS_ERROR_NOT_FOUND,
  VIRTBUS_ERROR_NO_SERVICE,
  VIRTBUS_ERROR_INVALID_URI,
  VIRTBUS_ERROR_DISCONNECTED,
} VirtbusError;

GQuark virtbus_error_quark (void);

G_END_DECLS
