/* virtbus client library: the base class of every object wrapper. */
#pragma once

#if !defined(VIRTBUS_INSIDE) && !defined(VIRTBUS_COMPILATION)
#error "Only <virtbus.h> can be included directly."
#endif

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _VirtbusClient VirtbusClient;

#define VIRTBUS_TYPE_OBJECT (virtbus_object_get_type ())
G_DECLARE_DERIVABLE_TYPE (VirtbusObject, virtbus_object, VIRTBUS, OBJECT, GObject)

/**
 * VirtbusObjectClass:
 * @parent_class: the parent class
 * @interface_name: the D-Bus interface a subclass wraps, e.g. "org.libvirt.Domain"
 * @dup_name: returns the object's name; the default reads the "Name" property
 *
 * The class of #VirtbusObject.
 */
struct _VirtbusObjectClass {
  GObjectClass parent_class;

  const char *interface_name;
  char *(*dup_name) (VirtbusObject *self);

  /*< private >*/
  gpointer padding[8];
};

VirtbusClient *virtbus_object_get_client (VirtbusObject *self);
const char *virtbus_object_get_object_path (VirtbusObject *self);
const char *virtbus_object_get_interface_name (VirtbusObject *self);
GDBusProxy *virtbus_object_get_proxy (VirtbusObject *self);
GDBusObject *virtbus_object_get_dbus_object (VirtbusObject *self);

char *virtbus_object_dup_name (VirtbusObject *self);
char *virtbus_object_dup_uuid (VirtbusObject *self);
gboolean virtbus_object_get_active (VirtbusObject *self);
gboolean virtbus_object_get_persistent (VirtbusObject *self);
gboolean virtbus_object_get_autostart (VirtbusObject *self);
GVariant *virtbus_object_get_dbus_property (VirtbusObject *self, const char *name);

void virtbus_object_call_async (VirtbusObject *self, const char *method, GVariant *parameters,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data);
GVariant *virtbus_object_call_finish (VirtbusObject *self, GAsyncResult *result, GError **error);
GVariant *virtbus_object_call_sync (VirtbusObject *self, const char *method, GVariant *parameters,
                                    GCancellable *cancellable, GError **error);

void virtbus_object_get_xml_desc_async (VirtbusObject *self, guint flags, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
char *virtbus_object_get_xml_desc_finish (VirtbusObject *self, GAsyncResult *result, GError **error);
char *virtbus_object_get_xml_desc_sync (VirtbusObject *self, guint flags, GCancellable *cancellable,
                                        GError **error);

void virtbus_object_set_autostart_async (VirtbusObject *self, gboolean autostart,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
gboolean virtbus_object_set_autostart_finish (VirtbusObject *self, GAsyncResult *result, GError **error);
gboolean virtbus_object_set_autostart_sync (VirtbusObject *self, gboolean autostart,
                                            GCancellable *cancellable, GError **error);

G_END_DECLS
