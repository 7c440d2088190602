/* virtbus client library: VirtbusDomain, one virtual machine. */
#include "virtbus-private.h"

#include <gio/gunixfdlist.h>
#include <unistd.h>

/**
 * VirtbusDomain:
 *
 * A virtual machine of the connection. Its #VirtbusObject:active property
 * follows the daemon (PropertiesChanged), so a view bound to it updates by
 * itself when the machine starts or stops.
 */
struct _VirtbusDomain {
  VirtbusObject parent_instance;
};

G_DEFINE_FINAL_TYPE (VirtbusDomain, virtbus_domain, VIRTBUS_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
virtbus_domain_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id) {
  case PROP_ID:
    g_value_set_uint (value, virtbus_domain_get_id (VIRTBUS_DOMAIN (object)));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
virtbus_domain_class_init (VirtbusDomainClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = virtbus_domain_get_property;
  VIRTBUS_OBJECT_CLASS (klass)->interface_name = "org.libvirt.Domain";

  /**
   * VirtbusDomain:id: (attributes org.gtk.Property.get=virtbus_domain_get_id)
   *
   * The running domain's ID; 0 when it is not running (libvirt reports -1,
   * which D-Bus carries as an unsigned number).
   */
  props[PROP_ID] = g_param_spec_uint ("id", NULL, NULL, 0, G_MAXUINT, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
virtbus_domain_init (VirtbusDomain *self)
{
}

/**
 * virtbus_domain_get_id:
 * @self: a #VirtbusDomain
 *
 * Returns: the domain's ID as the daemon reports it
 */
guint
virtbus_domain_get_id (VirtbusDomain *self)
{
  g_autoptr(GVariant) v = NULL;

  g_return_val_if_fail (VIRTBUS_IS_DOMAIN (self), 0);
  v = virtbus_object_get_dbus_property (VIRTBUS_OBJECT (self), "Id");
  return v != NULL && g_variant_is_of_type (v, G_VARIANT_TYPE_UINT32) ? g_variant_get_uint32 (v) : 0;
}

/**
 * virtbus_domain_state_to_string:
 * @state: a #VirtbusDomainState
 *
 * Returns: (transfer none): the state as virsh shows it, e.g. "shut off"
 */
const char *
virtbus_domain_state_to_string (VirtbusDomainState state)
{
  switch (state) {
  case VIRTBUS_DOMAIN_STATE_NOSTATE:
    return "no state";
  case VIRTBUS_DOMAIN_STATE_RUNNING:
    return "running";
  case VIRTBUS_DOMAIN_STATE_BLOCKED:
    return "idle";
  case VIRTBUS_DOMAIN_STATE_PAUSED:
    return "paused";
  case VIRTBUS_DOMAIN_STATE_SHUTDOWN:
    return "in shutdown";
  case VIRTBUS_DOMAIN_STATE_SHUTOFF:
    return "shut off";
  case VIRTBUS_DOMAIN_STATE_CRASHED:
    return "crashed";
  case VIRTBUS_DOMAIN_STATE_PMSUSPENDED:
    return "pmsuspended";
  default:
    return "unknown";
  }
}

static void
simple_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(GVariant) reply = virtbus_object_call_finish (VIRTBUS_OBJECT (source), result, &error);

  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
simple_call_async (VirtbusDomain *self, const char *method, GVariant *params, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data, gpointer tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  virtbus_object_call_async (VIRTBUS_OBJECT (self), method, params, cancellable, simple_call_done, task);
}

/**
 * virtbus_domain_start_async:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Starts (boots) the domain.
 */
void
virtbus_domain_start_async (VirtbusDomain *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_return_if_fail (VIRTBUS_IS_DOMAIN (self));
  simple_call_async (self, "Create", g_variant_new ("(u)", 0), cancellable, callback, user_data,
                     virtbus_domain_start_async);
}

/**
 * virtbus_domain_start_finish:
 * @self: a #VirtbusDomain
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_start_finish (VirtbusDomain *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * virtbus_domain_start_sync:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Starts (boots) the domain. Blocks until the daemon replied.
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_start_sync (VirtbusDomain *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  g_return_val_if_fail (VIRTBUS_IS_DOMAIN (self), FALSE);
  reply = virtbus_object_call_sync (VIRTBUS_OBJECT (self), "Create", g_variant_new ("(u)", 0), cancellable, error);
  return reply != NULL;
}

/**
 * virtbus_domain_shutdown_async:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Asks the guest to shut down.
 */
void
virtbus_domain_shutdown_async (VirtbusDomain *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_return_if_fail (VIRTBUS_IS_DOMAIN (self));
  simple_call_async (self, "Shutdown", g_variant_new ("(u)", 0), cancellable, callback, user_data,
                     virtbus_domain_shutdown_async);
}

/**
 * virtbus_domain_shutdown_finish:
 * @self: a #VirtbusDomain
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_shutdown_finish (VirtbusDomain *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * virtbus_domain_shutdown_sync:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Asks the guest to shut down. Blocks until the daemon replied.
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_shutdown_sync (VirtbusDomain *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  g_return_val_if_fail (VIRTBUS_IS_DOMAIN (self), FALSE);
  reply = virtbus_object_call_sync (VIRTBUS_OBJECT (self), "Shutdown", g_variant_new ("(u)", 0), cancellable, error);
  return reply != NULL;
}

/**
 * virtbus_domain_destroy_async:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Stops the domain at once, like pulling the power cord.
 */
void
virtbus_domain_destroy_async (VirtbusDomain *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_return_if_fail (VIRTBUS_IS_DOMAIN (self));
  simple_call_async (self, "Destroy", g_variant_new ("(u)", 0), cancellable, callback, user_data,
                     virtbus_domain_destroy_async);
}

/**
 * virtbus_domain_destroy_finish:
 * @self: a #VirtbusDomain
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_destroy_finish (VirtbusDomain *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * virtbus_domain_destroy_sync:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Stops the domain at once, like pulling the power cord. Blocks until the daemon replied.
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_destroy_sync (VirtbusDomain *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  g_return_val_if_fail (VIRTBUS_IS_DOMAIN (self), FALSE);
  reply = virtbus_object_call_sync (VIRTBUS_OBJECT (self), "Destroy", g_variant_new ("(u)", 0), cancellable, error);
  return reply != NULL;
}

/**
 * virtbus_domain_reboot_async:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Asks the guest to reboot.
 */
void
virtbus_domain_reboot_async (VirtbusDomain *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_return_if_fail (VIRTBUS_IS_DOMAIN (self));
  simple_call_async (self, "Reboot", g_variant_new ("(u)", 0), cancellable, callback, user_data,
                     virtbus_domain_reboot_async);
}

/**
 * virtbus_domain_reboot_finish:
 * @self: a #VirtbusDomain
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_reboot_finish (VirtbusDomain *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * virtbus_domain_reboot_sync:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Asks the guest to reboot. Blocks until the daemon replied.
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_reboot_sync (VirtbusDomain *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  g_return_val_if_fail (VIRTBUS_IS_DOMAIN (self), FALSE);
  reply = virtbus_object_call_sync (VIRTBUS_OBJECT (self), "Reboot", g_variant_new ("(u)", 0), cancellable, error);
  return reply != NULL;
}

/**
 * virtbus_domain_reset_async:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Resets the domain, like pressing the reset button.
 */
void
virtbus_domain_reset_async (VirtbusDomain *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_return_if_fail (VIRTBUS_IS_DOMAIN (self));
  simple_call_async (self, "Reset", g_variant_new ("(u)", 0), cancellable, callback, user_data,
                     virtbus_domain_reset_async);
}

/**
 * virtbus_domain_reset_finish:
 * @self: a #VirtbusDomain
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_reset_finish (VirtbusDomain *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * virtbus_domain_reset_sync:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Resets the domain, like pressing the reset button. Blocks until the daemon replied.
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_reset_sync (VirtbusDomain *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  g_return_val_if_fail (VIRTBUS_IS_DOMAIN (self), FALSE);
  reply = virtbus_object_call_sync (VIRTBUS_OBJECT (self), "Reset", g_variant_new ("(u)", 0), cancellable, error);
  return reply != NULL;
}

/**
 * virtbus_domain_suspend_async:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Pauses the domain's CPUs.
 */
void
virtbus_domain_suspend_async (VirtbusDomain *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_return_if_fail (VIRTBUS_IS_DOMAIN (self));
  simple_call_async (self, "Suspend", NULL, cancellable, callback, user_data,
                     virtbus_domain_suspend_async);
}

/**
 * virtbus_domain_suspend_finish:
 * @self: a #VirtbusDomain
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_suspend_finish (VirtbusDomain *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * virtbus_domain_suspend_sync:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Pauses the domain's CPUs. Blocks until the daemon replied.
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_suspend_sync (VirtbusDomain *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  g_return_val_if_fail (VIRTBUS_IS_DOMAIN (self), FALSE);
  reply = virtbus_object_call_sync (VIRTBUS_OBJECT (self), "Suspend", NULL, cancellable, error);
  return reply != NULL;
}

/**
 * virtbus_domain_resume_async:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Resumes a paused domain.
 */
void
virtbus_domain_resume_async (VirtbusDomain *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_return_if_fail (VIRTBUS_IS_DOMAIN (self));
  simple_call_async (self, "Resume", NULL, cancellable, callback, user_data,
                     virtbus_domain_resume_async);
}

/**
 * virtbus_domain_resume_finish:
 * @self: a #VirtbusDomain
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_resume_finish (VirtbusDomain *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * virtbus_domain_resume_sync:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Resumes a paused domain. Blocks until the daemon replied.
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_resume_sync (VirtbusDomain *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  g_return_val_if_fail (VIRTBUS_IS_DOMAIN (self), FALSE);
  reply = virtbus_object_call_sync (VIRTBUS_OBJECT (self), "Resume", NULL, cancellable, error);
  return reply != NULL;
}

/**
 * virtbus_domain_undefine_async:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Removes the domain's persistent definition.
 */
void
virtbus_domain_undefine_async (VirtbusDomain *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_return_if_fail (VIRTBUS_IS_DOMAIN (self));
  simple_call_async (self, "Undefine", g_variant_new ("(u)", 0), cancellable, callback, user_data,
                     virtbus_domain_undefine_async);
}

/**
 * virtbus_domain_undefine_finish:
 * @self: a #VirtbusDomain
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_undefine_finish (VirtbusDomain *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * virtbus_domain_undefine_sync:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Removes the domain's persistent definition. Blocks until the daemon replied.
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_domain_undefine_sync (VirtbusDomain *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  g_return_val_if_fail (VIRTBUS_IS_DOMAIN (self), FALSE);
  reply = virtbus_object_call_sync (VIRTBUS_OBJECT (self), "Undefine", g_variant_new ("(u)", 0), cancellable, error);
  return reply != NULL;
}

static void
state_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GVariant *reply = virtbus_object_call_finish (VIRTBUS_OBJECT (source), result, &error);

  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, reply, (GDestroyNotify) g_variant_unref);
}

/**
 * virtbus_domain_get_state_async:
 * @self: a #VirtbusDomain
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the state
 * @user_data: (closure): data for @callback
 *
 * Asks the daemon for the domain's state and its reason.
 */
void
virtbus_domain_get_state_async (VirtbusDomain *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
  GTask *task;

  g_return_if_fail (VIRTBUS_IS_DOMAIN (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, virtbus_domain_get_state_async);
  virtbus_object_call_async (VIRTBUS_OBJECT (self), "GetState", g_variant_new ("(u)", 0), cancellable,
                             state_done, task);
}

/**
 * virtbus_domain_get_state_finish:
 * @self: a #VirtbusDomain
 * @result: the #GAsyncResult passed to the callback
 * @reason: (out) (optional): the reason code of the state (libvirt's numbering)
 * @error: return location for a #GError
 *
 * Returns: the state, or %VIRTBUS_DOMAIN_STATE_NOSTATE on error
 */
VirtbusDomainState
virtbus_domain_get_state_finish (VirtbusDomain *self, GAsyncResult *result, int *reason, GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  gint32 state = 0, why = 0;

  g_return_val_if_fail (g_task_is_valid (result, self), VIRTBUS_DOMAIN_STATE_NOSTATE);
  reply = g_task_propagate_pointer (G_TASK (result), error);
  if (reply != NULL)
    g_variant_get (reply, "((ii))", &state, &why);
  if (reason != NULL)
    *reason = why;
  return (VirtbusDomainState) state;
}

/**
 * virtbus_domain_get_state_sync:
 * @self: a #VirtbusDomain
 * @reason: (out) (optional): the reason code of the state
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: the state, or %VIRTBUS_DOMAIN_STATE_NOSTATE on error
 */
VirtbusDomainState
virtbus_domain_get_state_sync (VirtbusDomain *self, int *reason, GCancellable *cancellable, GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  gint32 state = 0, why = 0;

  g_return_val_if_fail (VIRTBUS_IS_DOMAIN (self), VIRTBUS_DOMAIN_STATE_NOSTATE);
  reply = virtbus_object_call_sync (VIRTBUS_OBJECT (self), "GetState", g_variant_new ("(u)", 0), cancellable,
                                    error);
  if (reply != NULL)
    g_variant_get (reply, "((ii))", &state, &why);
  if (reason != NULL)
    *reason = why;
  return (VirtbusDomainState) state;
}

/* ---- console (org.virtbus.Domain, offered by some connections only) ---- */

static GDBusProxy *
console_proxy (VirtbusDomain *self)
{
  return G_DBUS_PROXY (g_dbus_object_get_interface (virtbus_object_get_dbus_object (VIRTBUS_OBJECT (self)),
                                                    "org.virtbus.Domain"));
}

/**
 * virtbus_domain_has_console:
 * @self: a #VirtbusDomain
 *
 * Returns: whether the connection offers serial consoles for this domain
 */
gboolean
virtbus_domain_has_console (VirtbusDomain *self)
{
  g_autoptr(GDBusProxy) proxy = NULL;

  g_return_val_if_fail (VIRTBUS_IS_DOMAIN (self), FALSE);
  proxy = console_proxy (self);
  return proxy != NULL;
}

static GIOStream *
stream_from_reply (GVariant *reply, GUnixFDList *fds, GError **error)
{
  g_autoptr(GSocket) socket = NULL;
  gint32 handle = -1;
  int fd;

  g_variant_get (reply, "(h)", &handle);
  fd = fds != NULL ? g_unix_fd_list_get (fds, handle, error) : -1;
  if (fd < 0) {
    if (error != NULL && *error == NULL)
      g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_FAILED, "the daemon sent no console socket");
    return NULL;
  }
  socket = g_socket_new_from_fd (fd, error);
  if (socket == NULL) {
    close (fd);
    return NULL;
  }
  return G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
}

static GError *
no_console_error (void)
{
  return g_error_new_literal (VIRTBUS_ERROR, VIRTBUS_ERROR_NOT_SUPPORTED,
                              "consoles are not available on this connection "
                              "(the daemon does not offer org.virtbus.Domain.OpenConsole)");
}

static void
console_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GUnixFDList) fds = NULL;
  GError *error = NULL;
  g_autoptr(GVariant) reply = g_dbus_proxy_call_with_unix_fd_list_finish (G_DBUS_PROXY (source), &fds, result,
                                                                          &error);
  GIOStream *stream;

  if (reply == NULL) {
    virtbus_task_return_dbus_error (task, error);
    return;
  }
  stream = stream_from_reply (reply, fds, &error);
  if (stream == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, stream, g_object_unref);
}

/**
 * virtbus_domain_open_console_async:
 * @self: a #VirtbusDomain
 * @index: the console number (0 for the first serial console)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the console stream
 * @user_data: (closure): data for @callback
 *
 * Connects to a serial console of the running domain. Fails with
 * %VIRTBUS_ERROR_NOT_SUPPORTED on connections without consoles.
 */
void
virtbus_domain_open_console_async (VirtbusDomain *self, guint index, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GDBusProxy) proxy = NULL;
  GTask *task;

  g_return_if_fail (VIRTBUS_IS_DOMAIN (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, virtbus_domain_open_console_async);
  proxy = console_proxy (self);
  if (proxy == NULL) {
    g_task_return_error (task, no_console_error ());
    g_object_unref (task);
    return;
  }
  g_dbus_proxy_call_with_unix_fd_list (proxy, "OpenConsole", g_variant_new ("(uu)", index, 0),
                                       virtbus_client_get_call_flags (virtbus_object_get_client (VIRTBUS_OBJECT (self))),
                                       -1, NULL, cancellable, console_done, task);
}

/**
 * virtbus_domain_open_console_finish:
 * @self: a #VirtbusDomain
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a stream connected to the console, or %NULL on error
 */
GIOStream *
virtbus_domain_open_console_finish (VirtbusDomain *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * virtbus_domain_open_console_sync:
 * @self: a #VirtbusDomain
 * @index: the console number (0 for the first serial console)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a stream connected to the console, or %NULL on error
 */
GIOStream *
virtbus_domain_open_console_sync (VirtbusDomain *self, guint index, GCancellable *cancellable, GError **error)
{
  g_autoptr(GDBusProxy) proxy = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GVariant) reply = NULL;
  GError *local = NULL;

  g_return_val_if_fail (VIRTBUS_IS_DOMAIN (self), NULL);
  proxy = console_proxy (self);
  if (proxy == NULL) {
    g_propagate_error (error, no_console_error ());
    return NULL;
  }
  reply = g_dbus_proxy_call_with_unix_fd_list_sync (proxy, "OpenConsole", g_variant_new ("(uu)", index, 0),
                                                    virtbus_client_get_call_flags (virtbus_object_get_client (VIRTBUS_OBJECT (self))),
                                                    -1, NULL, &fds, cancellable, &local);
  if (reply == NULL) {
    g_propagate_error (error, virtbus_error_from_dbus (local));
    return NULL;
  }
  return stream_from_reply (reply, fds, error);
}
