#define G_LOG_DOMAIN "virtbus"

#include "vb-service.h"

#include "vb-connect.h"
#include "vb-gatekeeper.h"
#include "vb-object-path.h"

struct _VbService {
  GObject parent_instance;

  GDBusConnection *connection;
  GDBusObjectManagerServer *manager;
  GPtrArray *connects; /* VbConnect */
  GPtrArray *backends; /* VbBackend */
};

G_DEFINE_FINAL_TYPE (VbService, vb_service, G_TYPE_OBJECT)

static void
vb_service_dispose (GObject *object)
{
  VbService *self = VB_SERVICE (object);

  vb_service_shutdown (self);
  g_clear_object (&self->manager);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (vb_service_parent_class)->dispose (object);
}

static void
vb_service_finalize (GObject *object)
{
  VbService *self = VB_SERVICE (object);

  g_ptr_array_unref (self->connects);
  g_ptr_array_unref (self->backends);
  G_OBJECT_CLASS (vb_service_parent_class)->finalize (object);
}

static void
vb_service_class_init (VbServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = vb_service_dispose;
  G_OBJECT_CLASS (klass)->finalize = vb_service_finalize;
}

static void
vb_service_init (VbService *self)
{
  self->connects = g_ptr_array_new_with_free_func (g_object_unref);
  self->backends = g_ptr_array_new_with_free_func (g_object_unref);
}

VbService *
vb_service_new (GDBusConnection *connection)
{
  VbService *self = g_object_new (VB_TYPE_SERVICE, NULL);

  self->connection = g_object_ref (connection);
  self->manager = g_dbus_object_manager_server_new (VB_OBJECT_PATH_ROOT);
  g_dbus_object_manager_server_set_connection (self->manager, connection);
  /* Authorization: GetManagedObjects is answered by the gatekeeper. */
  vb_gatekeeper_set_object_manager (vb_gatekeeper_get_default (connection), self->manager);
  return self;
}

void
vb_service_defer_publication (VbService *self)
{
  g_dbus_object_manager_server_set_connection (self->manager, NULL);
}

void
vb_service_release_events (VbService *self)
{
  for (guint i = 0; i < self->backends->len; i++)
    vb_backend_release_events (g_ptr_array_index (self->backends, i));
}

void
vb_service_publish (VbService *self)
{
  if (g_dbus_object_manager_server_get_connection (self->manager) == NULL)
    g_dbus_object_manager_server_set_connection (self->manager, self->connection);
}

static gboolean
export_backend (VbService *self, VbBackend *backend, GError **error)
{
  VbConnect *connect;

  connect = vb_connect_new (backend, self->manager, self->connection, error);
  if (connect == NULL) {
    vb_backend_close (backend);
    return FALSE;
  }
  g_ptr_array_add (self->backends, g_object_ref (backend));
  g_ptr_array_add (self->connects, connect);
  vb_gatekeeper_add_connect (vb_gatekeeper_get_default (self->connection), connect); /* authorization */
  g_info ("exported %s at %s", vb_backend_get_uri (backend), vb_connect_get_path (connect));
  return TRUE;
}

gboolean
vb_service_add_backend (VbService *self, VbBackend *backend, GError **error)
{
  if (!vb_backend_open (backend, error))
    return FALSE;
  return export_backend (self, backend, error);
}

static void
on_backend_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VbService *self = g_task_get_source_object (task);
  VbBackend *backend = VB_BACKEND (source);
  GError *error = NULL;

  if (!vb_backend_open_finish (backend, result, &error) || !export_backend (self, backend, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
vb_service_add_backend_async (VbService *self, VbBackend *backend, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, vb_service_add_backend_async);
  g_task_set_task_data (task, g_object_ref (backend), g_object_unref);
  vb_backend_open_async (backend, on_backend_opened, task);
}

gboolean
vb_service_add_backend_finish (VbService *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
vb_service_shutdown (VbService *self)
{
  for (guint i = 0; i < self->connects->len; i++) {
    vb_connect_unexport (g_ptr_array_index (self->connects, i));
    if (self->connection != NULL) /* authorization */
      vb_gatekeeper_remove_connect (vb_gatekeeper_get_default (self->connection),
                                    g_ptr_array_index (self->connects, i));
  }
  g_ptr_array_set_size (self->connects, 0);
  for (guint i = 0; i < self->backends->len; i++)
    vb_backend_close (g_ptr_array_index (self->backends, i));
  g_ptr_array_set_size (self->backends, 0);
}
