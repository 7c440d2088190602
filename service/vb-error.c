#include "vb-error.h"

/* Only these codes have a D-Bus name of their own for GDBus' automatic
 * mapping (Properties.Set); replies to method calls go through
 * vb_error_dbus_name(), which maps every other code to org.libvirt.Error. */
static const GDBusErrorEntry dbus_entries[] = {
  { VB_ERROR_FAILED, "org.libvirt.Error" },
  { VB_ERROR_NOT_AUTHORIZED, "org.virtbus.Error.NotAuthorized" },
  { VB_ERROR_AUTH_CANCELLED, "org.virtbus.Error.AuthenticationCancelled" },
};

GQuark
vb_error_quark (void)
{
  static gsize quark = 0;
  g_dbus_error_register_error_domain ("vb-error-quark", &quark, dbus_entries, G_N_ELEMENTS (dbus_entries));
  return (GQuark) quark;
}

const char *
vb_error_dbus_name (const GError *error)
{
  if (error->domain == VB_ERROR) {
    switch ((VbError) error->code) {
    case VB_ERROR_NOT_AUTHORIZED:
      return "org.virtbus.Error.NotAuthorized";
    case VB_ERROR_AUTH_CANCELLED:
      return "org.virtbus.Error.AuthenticationCancelled";
    default:
      return "org.libvirt.Error";
    }
  }
  if (error->domain == G_DBUS_ERROR && error->code == G_DBUS_ERROR_INVALID_ARGS)
    return "org.freedesktop.DBus.Error.InvalidArgs";
  return "org.libvirt.Error";
}

gboolean
vb_check_flags (guint flags, guint allowed, const char *method, GError **error)
{
  if ((flags & ~allowed) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_UNSUPPORTED_FLAGS,
                 "unsupported flags (0x%x) in %s", flags & ~allowed, method);
    return FALSE;
  }
  return TRUE;
}
