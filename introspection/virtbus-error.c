/* virtbus client library: the VIRTBUS_ERROR domain and the translation of
 * D-Bus errors into it. */
#include "virtbus-private.h"

/* GDBus maps these remote names to our codes by itself once the domain is
 * registered; the rest are translated in virtbus_error_from_dbus(). */
static const GDBusErrorEntry dbus_entries[] = {
  { VIRTBUS_ERROR_FAILED, "org.libvirt.Error" },
  { VIRTBUS_ERROR_NOT_AUTHORIZED, "org.virtbus.Error.NotAuthorized" },
  { VIRTBUS_ERROR_AUTH_CANCELLED, "org.virtbus.Error.AuthenticationCancelled" },
};

/**
 * virtbus_error_quark:
 *
 * Returns: the quark of the %VIRTBUS_ERROR domain
 */
GQuark
virtbus_error_quark (void)
{
  static gsize quark = 0;
  g_dbus_error_register_error_domain ("virtbus-error-quark", &quark, dbus_entries,
                                      G_N_ELEMENTS (dbus_entries));
  return (GQuark) quark;
}

/* Turns an error from a D-Bus call into one a caller can show as it is:
 * the "GDBus.Error:name:" prefix removed and the code in VIRTBUS_ERROR where
 * one fits. Consumes @error. */
GError *
virtbus_error_from_dbus (GError *error)
{
  g_autofree char *remote = NULL;
  int code = -1;

  (void) VIRTBUS_ERROR; /* registers the mapping before it is needed */
  if (error->domain == VIRTBUS_ERROR || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;

  remote = g_dbus_error_get_remote_error (error);
  g_dbus_error_strip_remote_error (error);

  if (error->domain == G_DBUS_ERROR) {
    switch (error->code) {
    case G_DBUS_ERROR_UNKNOWN_METHOD:
    case G_DBUS_ERROR_UNKNOWN_INTERFACE:
    case G_DBUS_ERROR_UNKNOWN_OBJECT:
    case G_DBUS_ERROR_UNKNOWN_PROPERTY:
    case G_DBUS_ERROR_NOT_SUPPORTED:
      code = VIRTBUS_ERROR_NOT_SUPPORTED;
      break;
    case G_DBUS_ERROR_INVALID_ARGS:
      code = VIRTBUS_ERROR_INVALID_ARGS;
      break;
    case G_DBUS_ERROR_ACCESS_DENIED:
    case G_DBUS_ERROR_AUTH_FAILED:
      code = VIRTBUS_ERROR_NOT_AUTHORIZED;
      break;
    case G_DBUS_ERROR_SERVICE_UNKNOWN:
    case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
      code = VIRTBUS_ERROR_NO_SERVICE;
      break;
    case G_DBUS_ERROR_DISCONNECTED:
    case G_DBUS_ERROR_NO_REPLY:
      code = VIRTBUS_ERROR_DISCONNECTED;
      break;
    default:
      code = VIRTBUS_ERROR_FAILED;
      break;
    }
  } else if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_CLOSED) {
    code = VIRTBUS_ERROR_DISCONNECTED;
  } else if (remote != NULL) {
    code = VIRTBUS_ERROR_FAILED;
  }

  if (code >= 0) {
    GError *mapped = g_error_new_literal (VIRTBUS_ERROR, code, error->message);
    g_error_free (error);
    return mapped;
  }
  return error;
}
