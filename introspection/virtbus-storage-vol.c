/* virtbus client library: VirtbusStorageVol, a storage volume. */
#include "virtbus-private.h"

/**
 * VirtbusStorageVol:
 *
 * A storage volume of the connection (org.libvirt.StorageVol). Use
 * virtbus_object_call_async() for the interface's methods.
 */
struct _VirtbusStorageVol {
  VirtbusObject parent_instance;
};

G_DEFINE_FINAL_TYPE (VirtbusStorageVol, virtbus_storage_vol, VIRTBUS_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  PROP_KEY,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static char *
dup_string (VirtbusStorageVol *self, const char *name)
{
  g_autoptr(GVariant) v = virtbus_object_get_dbus_property (VIRTBUS_OBJECT (self), name);

  return v != NULL && g_variant_is_of_type (v, G_VARIANT_TYPE_STRING) ? g_variant_dup_string (v, NULL) : NULL;
}

static void
virtbus_storage_vol_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id) {
  case PROP_PATH:
    g_value_take_string (value, virtbus_storage_vol_dup_path (VIRTBUS_STORAGE_VOL (object)));
    break;
  case PROP_KEY:
    g_value_take_string (value, virtbus_storage_vol_dup_key (VIRTBUS_STORAGE_VOL (object)));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
virtbus_storage_vol_class_init (VirtbusStorageVolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = virtbus_storage_vol_get_property;
  VIRTBUS_OBJECT_CLASS (klass)->interface_name = "org.libvirt.StorageVol";

  /**
   * VirtbusStorageVol:path:
   *
   * The volume's path on the host.
   */
  props[PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * VirtbusStorageVol:key:
   *
   * The volume's unique key.
   */
  props[PROP_KEY] = g_param_spec_string ("key", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
virtbus_storage_vol_init (VirtbusStorageVol *self)
{
}

/**
 * virtbus_storage_vol_dup_path:
 * @self: a #VirtbusStorageVol
 *
 * Returns: (transfer full) (nullable): the volume's path on the host
 */
char *
virtbus_storage_vol_dup_path (VirtbusStorageVol *self)
{
  g_return_val_if_fail (VIRTBUS_IS_STORAGE_VOL (self), NULL);
  return dup_string (self, "Path");
}

/**
 * virtbus_storage_vol_dup_key:
 * @self: a #VirtbusStorageVol
 *
 * Returns: (transfer full) (nullable): the volume's unique key
 */
char *
virtbus_storage_vol_dup_key (VirtbusStorageVol *self)
{
  g_return_val_if_fail (VIRTBUS_IS_STORAGE_VOL (self), NULL);
  return dup_string (self, "Key");
}
