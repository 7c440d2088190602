/* virtbus client library: the connection to virtbusd. */
#pragma once

#if !defined(VIRTBUS_INSIDE) && !defined(VIRTBUS_COMPILATION)
#error "Only <virtbus.h> can be included directly."
#endif

#include "virtbus-domain.h"
#include "virtbus-object.h"

G_BEGIN_DECLS

/**
 * VIRTBUS_CONNECT_PATH_TEST:
 *
 * The object path of the test backend's connection.
 */
#define VIRTBUS_CONNECT_PATH_TEST "/org/libvirt/Test"
/**
 * VIRTBUS_CONNECT_PATH_QEMU:
 *
 * The object path of the QEMU backend's connection.
 */
#define VIRTBUS_CONNECT_PATH_QEMU "/org/libvirt/QEMU"

#define VIRTBUS_TYPE_CLIENT (virtbus_client_get_type ())
G_DECLARE_FINAL_TYPE (VirtbusClient, virtbus_client, VIRTBUS, CLIENT, GObject)

void virtbus_client_new_async (GBusType bus_type, const char *connect_path, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data);
void virtbus_client_new_for_connection_async (GDBusConnection *connection, const char *connect_path,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data);
void virtbus_client_new_for_uri_async (const char *uri, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
VirtbusClient *virtbus_client_new_finish (GAsyncResult *result, GError **error);
VirtbusClient *virtbus_client_new_for_connection_finish (GAsyncResult *result, GError **error);
VirtbusClient *virtbus_client_new_for_uri_finish (GAsyncResult *result, GError **error);
VirtbusClient *virtbus_client_new_sync (GBusType bus_type, const char *connect_path,
                                        GCancellable *cancellable, GError **error);
VirtbusClient *virtbus_client_new_for_connection_sync (GDBusConnection *connection, const char *connect_path,
                                                       GCancellable *cancellable, GError **error);
VirtbusClient *virtbus_client_new_for_uri_sync (const char *uri, GCancellable *cancellable, GError **error);

GDBusConnection *virtbus_client_get_connection (VirtbusClient *self);
const char *virtbus_client_get_connect_path (VirtbusClient *self);
const char *virtbus_client_get_uri (VirtbusClient *self);
GDBusProxy *virtbus_client_get_connect_proxy (VirtbusClient *self);
gboolean virtbus_client_get_interactive_authorization (VirtbusClient *self);
void virtbus_client_set_interactive_authorization (VirtbusClient *self, gboolean allow);

char *virtbus_client_dup_hostname (VirtbusClient *self);
guint64 virtbus_client_get_version (VirtbusClient *self);
guint64 virtbus_client_get_lib_version (VirtbusClient *self);

GListModel *virtbus_client_get_domains (VirtbusClient *self);
GListModel *virtbus_client_get_networks (VirtbusClient *self);
GListModel *virtbus_client_get_storage_pools (VirtbusClient *self);
GListModel *virtbus_client_get_storage_vols (VirtbusClient *self);
GListModel *virtbus_client_get_interfaces (VirtbusClient *self);
GListModel *virtbus_client_get_node_devices (VirtbusClient *self);
GListModel *virtbus_client_get_domain_snapshots (VirtbusClient *self);

VirtbusObject *virtbus_client_lookup_object (VirtbusClient *self, const char *object_path);
VirtbusObject *virtbus_client_find (VirtbusClient *self, GType kind, const char *name_or_uuid);
VirtbusDomain *virtbus_client_find_domain (VirtbusClient *self, const char *name_or_uuid);

void virtbus_client_call_async (VirtbusClient *self, const char *method, GVariant *parameters,
                                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
GVariant *virtbus_client_call_finish (VirtbusClient *self, GAsyncResult *result, GError **error);
GVariant *virtbus_client_call_sync (VirtbusClient *self, const char *method, GVariant *parameters,
                                    GCancellable *cancellable, GError **error);

void virtbus_client_define_domain_async (VirtbusClient *self, const char *xml, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
VirtbusDomain *virtbus_client_define_domain_finish (VirtbusClient *self, GAsyncResult *result, GError **error);
VirtbusDomain *virtbus_client_define_domain_sync (VirtbusClient *self, const char *xml,
                                                  GCancellable *cancellable, GError **error);

G_END_DECLS
