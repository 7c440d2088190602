/* virtbus client library: VirtbusObject, the base of the typed wrappers.
 *
 * A wrapper holds one object of the daemon's ObjectManager (whose proxies
 * are the generated VbGen… types) and re-emits its PropertiesChanged as
 * GObject notifications, so bindings see state changes without polling.
 *
 * Calls go through g_dbus_proxy_call() rather than the generated
 * vb_gen_…_call_…() functions because only the former takes call flags,
 * and the client may ask for ALLOW_INTERACTIVE_AUTHORIZATION.
 */
#include "virtbus-private.h"

typedef struct {
  VirtbusClient *client; /* weak: the client owns the lists that own us */
  GDBusObject *object;
  GDBusProxy *proxy;
  gulong changed_id;
} VirtbusObjectPrivate;

/**
 * VirtbusObject:
 *
 * The base class of the objects a #VirtbusClient lists: domains, networks,
 * storage pools and volumes, host interfaces, node devices and domain
 * snapshots. Its properties follow the daemon's D-Bus properties and notify
 * when they change.
 */
G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (VirtbusObject, virtbus_object, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_DBUS_OBJECT,
  PROP_OBJECT_PATH,
  PROP_NAME,
  PROP_UUID,
  PROP_ACTIVE,
  PROP_PERSISTENT,
  PROP_AUTOSTART,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer user_data)
{
  VirtbusObject *self = user_data;
  GObjectClass *klass = G_OBJECT_GET_CLASS (self);
  GVariantIter iter;
  const char *name;

  g_object_freeze_notify (G_OBJECT (self));
  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "{&sv}", &name, NULL)) {
    /* D-Bus "Active" is GObject "active", "UUID" is "uuid", and so on. */
    g_autofree char *lower = g_ascii_strdown (name, -1);
    if (g_object_class_find_property (klass, lower) != NULL)
      g_object_notify (G_OBJECT (self), lower);
  }
  for (guint i = 0; invalidated != NULL && invalidated[i] != NULL; i++) {
    g_autofree char *lower = g_ascii_strdown (invalidated[i], -1);
    if (g_object_class_find_property (klass, lower) != NULL)
      g_object_notify (G_OBJECT (self), lower);
  }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
virtbus_object_constructed (GObject *object)
{
  VirtbusObject *self = VIRTBUS_OBJECT (object);
  VirtbusObjectPrivate *priv = virtbus_object_get_instance_private (self);
  const char *iface = VIRTBUS_OBJECT_GET_CLASS (self)->interface_name;

  G_OBJECT_CLASS (virtbus_object_parent_class)->constructed (object);

  g_return_if_fail (priv->object != NULL);
  priv->proxy = G_DBUS_PROXY (g_dbus_object_get_interface (priv->object, iface));
  if (priv->proxy != NULL)
    priv->changed_id = g_signal_connect (priv->proxy, "g-properties-changed",
                                         G_CALLBACK (on_properties_changed), self);
}

static void
virtbus_object_dispose (GObject *object)
{
  VirtbusObject *self = VIRTBUS_OBJECT (object);
  VirtbusObjectPrivate *priv = virtbus_object_get_instance_private (self);

  if (priv->proxy != NULL && priv->changed_id != 0)
    g_clear_signal_handler (&priv->changed_id, priv->proxy);
  g_clear_object (&priv->proxy);
  g_clear_object (&priv->object);
  g_clear_weak_pointer (&priv->client);
  G_OBJECT_CLASS (virtbus_object_parent_class)->dispose (object);
}

static void
virtbus_object_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  VirtbusObject *self = VIRTBUS_OBJECT (object);
  VirtbusObjectPrivate *priv = virtbus_object_get_instance_private (self);

  switch (prop_id) {
  case PROP_CLIENT:
    g_value_set_object (value, priv->client);
    break;
  case PROP_DBUS_OBJECT:
    g_value_set_object (value, priv->object);
    break;
  case PROP_OBJECT_PATH:
    g_value_set_string (value, virtbus_object_get_object_path (self));
    break;
  case PROP_NAME:
    g_value_take_string (value, virtbus_object_dup_name (self));
    break;
  case PROP_UUID:
    g_value_take_string (value, virtbus_object_dup_uuid (self));
    break;
  case PROP_ACTIVE:
    g_value_set_boolean (value, virtbus_object_get_active (self));
    break;
  case PROP_PERSISTENT:
    g_value_set_boolean (value, virtbus_object_get_persistent (self));
    break;
  case PROP_AUTOSTART:
    g_value_set_boolean (value, virtbus_object_get_autostart (self));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
virtbus_object_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  VirtbusObject *self = VIRTBUS_OBJECT (object);
  VirtbusObjectPrivate *priv = virtbus_object_get_instance_private (self);

  switch (prop_id) {
  case PROP_CLIENT:
    g_set_weak_pointer (&priv->client, g_value_get_object (value));
    break;
  case PROP_DBUS_OBJECT:
    priv->object = g_value_dup_object (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static char *
default_dup_name (VirtbusObject *self)
{
  g_autoptr(GVariant) v = virtbus_object_get_dbus_property (self, "Name");

  return v != NULL && g_variant_is_of_type (v, G_VARIANT_TYPE_STRING) ? g_variant_dup_string (v, NULL) : NULL;
}

static void
virtbus_object_class_init (VirtbusObjectClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = virtbus_object_constructed;
  object_class->dispose = virtbus_object_dispose;
  object_class->get_property = virtbus_object_get_property;
  object_class->set_property = virtbus_object_set_property;
  klass->dup_name = default_dup_name;

  /**
   * VirtbusObject:client: (attributes org.gtk.Property.get=virtbus_object_get_client)
   *
   * The client this object belongs to.
   */
  props[PROP_CLIENT] = g_param_spec_object ("client", NULL, NULL, G_TYPE_OBJECT,
                                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * VirtbusObject:dbus-object:
   *
   * The D-Bus object (from the daemon's ObjectManager) this wraps.
   */
  props[PROP_DBUS_OBJECT] = g_param_spec_object ("dbus-object", NULL, NULL, G_TYPE_DBUS_OBJECT,
                                                 G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                 G_PARAM_STATIC_STRINGS);
  /**
   * VirtbusObject:object-path: (attributes org.gtk.Property.get=virtbus_object_get_object_path)
   *
   * The D-Bus object path.
   */
  props[PROP_OBJECT_PATH] = g_param_spec_string ("object-path", NULL, NULL, NULL,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * VirtbusObject:name:
   *
   * The object's name (for volumes, the volume name; for interfaces, the
   * host interface name).
   */
  props[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * VirtbusObject:uuid:
   *
   * The object's UUID, or %NULL for kinds that have none.
   */
  props[PROP_UUID] = g_param_spec_string ("uuid", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * VirtbusObject:active: (attributes org.gtk.Property.get=virtbus_object_get_active)
   *
   * Whether the object is running/active; %FALSE for kinds without state.
   */
  props[PROP_ACTIVE] = g_param_spec_boolean ("active", NULL, NULL, FALSE,
                                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * VirtbusObject:persistent: (attributes org.gtk.Property.get=virtbus_object_get_persistent)
   *
   * Whether the object has a persistent definition.
   */
  props[PROP_PERSISTENT] = g_param_spec_boolean ("persistent", NULL, NULL, FALSE,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * VirtbusObject:autostart: (attributes org.gtk.Property.get=virtbus_object_get_autostart)
   *
   * Whether the object starts when the host boots.
   */
  props[PROP_AUTOSTART] = g_param_spec_boolean ("autostart", NULL, NULL, FALSE,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
virtbus_object_init (VirtbusObject *self)
{
}

/**
 * virtbus_object_get_client:
 * @self: a #VirtbusObject
 *
 * Returns: (transfer none) (nullable): the client, or %NULL once it is gone
 */
VirtbusClient *
virtbus_object_get_client (VirtbusObject *self)
{
  VirtbusObjectPrivate *priv = virtbus_object_get_instance_private (self);

  g_return_val_if_fail (VIRTBUS_IS_OBJECT (self), NULL);
  return priv->client;
}

/**
 * virtbus_object_get_object_path:
 * @self: a #VirtbusObject
 *
 * Returns: (transfer none): the object's D-Bus path
 */
const char *
virtbus_object_get_object_path (VirtbusObject *self)
{
  VirtbusObjectPrivate *priv = virtbus_object_get_instance_private (self);

  g_return_val_if_fail (VIRTBUS_IS_OBJECT (self), NULL);
  return g_dbus_object_get_object_path (priv->object);
}

/**
 * virtbus_object_get_interface_name:
 * @self: a #VirtbusObject
 *
 * Returns: (transfer none): the D-Bus interface this object wraps
 */
const char *
virtbus_object_get_interface_name (VirtbusObject *self)
{
  g_return_val_if_fail (VIRTBUS_IS_OBJECT (self), NULL);
  return VIRTBUS_OBJECT_GET_CLASS (self)->interface_name;
}

/**
 * virtbus_object_get_proxy:
 * @self: a #VirtbusObject
 *
 * The proxy is an instance of the generated proxy type for the interface;
 * use it for D-Bus calls the wrappers do not cover.
 *
 * Returns: (transfer none) (nullable): the D-Bus proxy of the object's main interface
 */
GDBusProxy *
virtbus_object_get_proxy (VirtbusObject *self)
{
  VirtbusObjectPrivate *priv = virtbus_object_get_instance_private (self);

  g_return_val_if_fail (VIRTBUS_IS_OBJECT (self), NULL);
  return priv->proxy;
}

/**
 * virtbus_object_get_dbus_object:
 * @self: a #VirtbusObject
 *
 * Returns: (transfer none): the D-Bus object, with every interface the
 *   daemon exports for it (e.g. org.virtbus.Domain next to org.libvirt.Domain)
 */
GDBusObject *
virtbus_object_get_dbus_object (VirtbusObject *self)
{
  VirtbusObjectPrivate *priv = virtbus_object_get_instance_private (self);

  g_return_val_if_fail (VIRTBUS_IS_OBJECT (self), NULL);
  return priv->object;
}

/**
 * virtbus_object_get_dbus_property:
 * @self: a #VirtbusObject
 * @name: a D-Bus property name of the object's interface, e.g. "Active"
 *
 * Returns: (transfer full) (nullable): the cached value, or %NULL
 */
GVariant *
virtbus_object_get_dbus_property (VirtbusObject *self, const char *name)
{
  VirtbusObjectPrivate *priv = virtbus_object_get_instance_private (self);

  g_return_val_if_fail (VIRTBUS_IS_OBJECT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  if (priv->proxy == NULL)
    return NULL;
  return g_dbus_proxy_get_cached_property (priv->proxy, name);
}

static gboolean
get_bool (VirtbusObject *self, const char *name)
{
  g_autoptr(GVariant) v = virtbus_object_get_dbus_property (self, name);

  return v != NULL && g_variant_is_of_type (v, G_VARIANT_TYPE_BOOLEAN) && g_variant_get_boolean (v);
}

/**
 * virtbus_object_dup_name:
 * @self: a #VirtbusObject
 *
 * Returns: (transfer full) (nullable): the object's name
 */
char *
virtbus_object_dup_name (VirtbusObject *self)
{
  g_return_val_if_fail (VIRTBUS_IS_OBJECT (self), NULL);
  return VIRTBUS_OBJECT_GET_CLASS (self)->dup_name (self);
}

/**
 * virtbus_object_dup_uuid:
 * @self: a #VirtbusObject
 *
 * Returns: (transfer full) (nullable): the object's UUID, or %NULL for
 *   kinds without one
 */
char *
virtbus_object_dup_uuid (VirtbusObject *self)
{
  g_autoptr(GVariant) v = NULL;

  g_return_val_if_fail (VIRTBUS_IS_OBJECT (self), NULL);
  v = virtbus_object_get_dbus_property (self, "UUID");
  return v != NULL && g_variant_is_of_type (v, G_VARIANT_TYPE_STRING) ? g_variant_dup_string (v, NULL) : NULL;
}

/**
 * virtbus_object_get_active:
 * @self: a #VirtbusObject
 *
 * Returns: whether the object is active
 */
gboolean
virtbus_object_get_active (VirtbusObject *self)
{
  g_return_val_if_fail (VIRTBUS_IS_OBJECT (self), FALSE);
  return get_bool (self, "Active");
}

/**
 * virtbus_object_get_persistent:
 * @self: a #VirtbusObject
 *
 * Returns: whether the object has a persistent definition
 */
gboolean
virtbus_object_get_persistent (VirtbusObject *self)
{
  g_return_val_if_fail (VIRTBUS_IS_OBJECT (self), FALSE);
  return get_bool (self, "Persistent");
}

/**
 * virtbus_object_get_autostart:
 * @self: a #VirtbusObject
 *
 * Returns: whether the object is started with the host
 */
gboolean
virtbus_object_get_autostart (VirtbusObject *self)
{
  g_return_val_if_fail (VIRTBUS_IS_OBJECT (self), FALSE);
  return get_bool (self, "Autostart");
}

void
virtbus_task_return_dbus_error (GTask *task, GError *error)
{
  g_task_return_error (task, virtbus_error_from_dbus (error));
}

static void
call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GVariant *reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);

  if (reply == NULL)
    virtbus_task_return_dbus_error (task, error);
  else
    g_task_return_pointer (task, reply, (GDestroyNotify) g_variant_unref);
}

/**
 * virtbus_object_call_async:
 * @self: a #VirtbusObject
 * @method: a method of the object's interface, e.g. "Suspend"
 * @parameters: (nullable): the method's arguments as a tuple, or %NULL; if
 *   floating, it is consumed
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the call completes
 * @user_data: (closure): data for @callback
 *
 * Calls any method of the object's interface, with the client's call flags
 * (interactive authorization when the client allows it).
 */
void
virtbus_object_call_async (VirtbusObject *self, const char *method, GVariant *parameters,
                           GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  VirtbusObjectPrivate *priv = virtbus_object_get_instance_private (self);
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VIRTBUS_IS_OBJECT (self));
  g_return_if_fail (method != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, virtbus_object_call_async);
  if (priv->proxy == NULL) {
    if (parameters != NULL)
      g_variant_unref (g_variant_ref_sink (parameters));
    g_task_return_new_error (task, VIRTBUS_ERROR, VIRTBUS_ERROR_NOT_FOUND, "the object is gone");
    return;
  }
  g_dbus_proxy_call (priv->proxy, method, parameters,
                     priv->client != NULL ? virtbus_client_get_call_flags (priv->client) : 0,
                     G_MAXINT, cancellable, call_done, g_steal_pointer (&task));
}

/**
 * virtbus_object_call_finish:
 * @self: a #VirtbusObject
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the reply's out arguments as a tuple, or %NULL on error
 */
GVariant *
virtbus_object_call_finish (VirtbusObject *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * virtbus_object_call_sync:
 * @self: a #VirtbusObject
 * @method: a method of the object's interface
 * @parameters: (nullable): the arguments as a tuple; if floating, it is consumed
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The blocking version of virtbus_object_call_async(), for scripts and
 * command-line tools.
 *
 * Returns: (transfer full): the reply's out arguments, or %NULL on error
 */
GVariant *
virtbus_object_call_sync (VirtbusObject *self, const char *method, GVariant *parameters,
                          GCancellable *cancellable, GError **error)
{
  VirtbusObjectPrivate *priv = virtbus_object_get_instance_private (self);
  GError *local = NULL;
  GVariant *reply;

  g_return_val_if_fail (VIRTBUS_IS_OBJECT (self), NULL);
  if (priv->proxy == NULL) {
    if (parameters != NULL)
      g_variant_unref (g_variant_ref_sink (parameters));
    g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_NOT_FOUND, "the object is gone");
    return NULL;
  }
  reply = g_dbus_proxy_call_sync (priv->proxy, method, parameters,
                                  priv->client != NULL ? virtbus_client_get_call_flags (priv->client) : 0,
                                  G_MAXINT, cancellable, &local);
  if (reply == NULL)
    g_propagate_error (error, virtbus_error_from_dbus (local));
  return reply;
}

static void
xml_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(GVariant) reply = virtbus_object_call_finish (VIRTBUS_OBJECT (source), result, &error);
  char *xml = NULL;

  if (reply == NULL) {
    g_task_return_error (task, error);
    return;
  }
  g_variant_get (reply, "(s)", &xml);
  g_task_return_pointer (task, xml, g_free);
}

/**
 * virtbus_object_get_xml_desc_async:
 * @self: a #VirtbusObject
 * @flags: the GetXMLDesc flags of the interface (0 for the defaults)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the XML
 * @user_data: (closure): data for @callback
 *
 * Fetches the object's XML description.
 */
void
virtbus_object_get_xml_desc_async (VirtbusObject *self, guint flags, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, virtbus_object_get_xml_desc_async);
  virtbus_object_call_async (self, "GetXMLDesc", g_variant_new ("(u)", flags), cancellable, xml_done, task);
}

/**
 * virtbus_object_get_xml_desc_finish:
 * @self: a #VirtbusObject
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the XML description, or %NULL on error
 */
char *
virtbus_object_get_xml_desc_finish (VirtbusObject *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * virtbus_object_get_xml_desc_sync:
 * @self: a #VirtbusObject
 * @flags: the GetXMLDesc flags of the interface
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the XML description, or %NULL on error
 */
char *
virtbus_object_get_xml_desc_sync (VirtbusObject *self, guint flags, GCancellable *cancellable, GError **error)
{
  g_autoptr(GVariant) reply = virtbus_object_call_sync (self, "GetXMLDesc", g_variant_new ("(u)", flags),
                                                        cancellable, error);
  char *xml = NULL;

  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(s)", &xml);
  return xml;
}

static GVariant *
autostart_params (VirtbusObject *self, gboolean autostart)
{
  return g_variant_new ("(ssv)", virtbus_object_get_interface_name (self), "Autostart",
                        g_variant_new_boolean (autostart));
}

static void
set_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    virtbus_task_return_dbus_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * virtbus_object_set_autostart_async:
 * @self: a #VirtbusObject
 * @autostart: whether to start the object with the host
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Sets the Autostart property (domains, networks, storage pools).
 */
void
virtbus_object_set_autostart_async (VirtbusObject *self, gboolean autostart, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  VirtbusObjectPrivate *priv = virtbus_object_get_instance_private (self);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  if (priv->proxy == NULL) {
    g_task_return_new_error (task, VIRTBUS_ERROR, VIRTBUS_ERROR_NOT_FOUND, "the object is gone");
    g_object_unref (task);
    return;
  }
  g_dbus_connection_call (g_dbus_proxy_get_connection (priv->proxy), g_dbus_proxy_get_name (priv->proxy),
                          virtbus_object_get_object_path (self), "org.freedesktop.DBus.Properties", "Set",
                          autostart_params (self, autostart), NULL,
                          priv->client != NULL ? virtbus_client_get_call_flags (priv->client) : 0,
                          -1, cancellable, set_done, task);
}

/**
 * virtbus_object_set_autostart_finish:
 * @self: a #VirtbusObject
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_object_set_autostart_finish (VirtbusObject *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * virtbus_object_set_autostart_sync:
 * @self: a #VirtbusObject
 * @autostart: whether to start the object with the host
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
virtbus_object_set_autostart_sync (VirtbusObject *self, gboolean autostart, GCancellable *cancellable,
                                   GError **error)
{
  VirtbusObjectPrivate *priv = virtbus_object_get_instance_private (self);
  GError *local = NULL;
  g_autoptr(GVariant) reply = NULL;

  if (priv->proxy == NULL) {
    g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_NOT_FOUND, "the object is gone");
    return FALSE;
  }
  reply = g_dbus_connection_call_sync (g_dbus_proxy_get_connection (priv->proxy),
                                       g_dbus_proxy_get_name (priv->proxy), virtbus_object_get_object_path (self),
                                       "org.freedesktop.DBus.Properties", "Set", autostart_params (self, autostart),
                                       NULL, priv->client != NULL ? virtbus_client_get_call_flags (priv->client) : 0,
                                       -1, cancellable, &local);
  if (reply == NULL) {
    g_propagate_error (error, virtbus_error_from_dbus (local));
    return FALSE;
  }
  return TRUE;
}
