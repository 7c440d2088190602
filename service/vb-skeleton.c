#define G_LOG_DOMAIN "virtbus"

#include "vb-skeleton.h"

#include "vb-error.h"

typedef struct {
  GDBusInterfaceVTable *(*parent_get_vtable) (GDBusInterfaceSkeleton *skeleton);
  VbSetPropertyFunc setter;
  GDBusInterfaceVTable vtable;
  gsize initialized;
} Hooks;

static GQuark
hooks_quark (void)
{
  return g_quark_from_static_string ("vb-skeleton-hooks");
}

static gboolean
hooked_set_property (GDBusConnection *connection, const char *sender, const char *object_path,
                     const char *interface_name, const char *property_name, GVariant *value, GError **error,
                     gpointer user_data)
{
  GDBusInterfaceSkeleton *skeleton = G_DBUS_INTERFACE_SKELETON (user_data);
  Hooks *hooks = g_type_get_qdata (G_TYPE_FROM_INSTANCE (skeleton), hooks_quark ());
  g_autoptr(GError) local = NULL;

  if (!hooks->setter (skeleton, property_name, value, &local)) {
    /* GDBus names this error from the code: keep the authorization codes,
     * everything else is org.libvirt.Error as for method replies. */
    gboolean keep = local->domain == VB_ERROR &&
                    (local->code == VB_ERROR_NOT_AUTHORIZED || local->code == VB_ERROR_AUTH_CANCELLED);
    g_set_error_literal (error, VB_ERROR, keep ? local->code : VB_ERROR_FAILED, local->message);
    return FALSE;
  }
  return TRUE;
}

static GDBusInterfaceVTable *
hooked_get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  Hooks *hooks = g_type_get_qdata (G_TYPE_FROM_INSTANCE (skeleton), hooks_quark ());

  if (g_once_init_enter (&hooks->initialized)) {
    hooks->vtable = *hooks->parent_get_vtable (skeleton);
    hooks->vtable.set_property = hooked_set_property;
    g_once_init_leave (&hooks->initialized, 1);
  }
  return &hooks->vtable;
}

void
vb_skeleton_class_route_set_property (GDBusInterfaceSkeletonClass *klass, VbSetPropertyFunc setter)
{
  Hooks *hooks = g_new0 (Hooks, 1);

  hooks->parent_get_vtable = klass->get_vtable;
  hooks->setter = setter;
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), hooks_quark (), hooks);
  klass->get_vtable = hooked_get_vtable;
}
