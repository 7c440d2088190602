/* org.libvirt.StoragePool and org.libvirt.StorageVol skeletons, and the
 * storage methods of org.libvirt.Connect.
 * Pure translation: D-Bus arguments in, VbStorageOps calls out. */
#define G_LOG_DOMAIN "virtbus"

#include "vb-connect.h"
#include "vb-error.h"
#include "vb-skeleton.h"
#include "vb-storage-ops.h"
#include "vb-storage-pool-def.h"
#include "vb-xml.h"

/* ---- types ---- */

#define VB_TYPE_STORAGE_POOL (vb_storage_pool_get_type ())
G_DECLARE_FINAL_TYPE (VbStoragePool, vb_storage_pool, VB, STORAGE_POOL, VbGenLibvirtStoragePoolSkeleton)

struct _VbStoragePool {
  VbGenLibvirtStoragePoolSkeleton parent_instance;

  VbConnect *connect; /* owns the exported objects, so outlives them */
  VbObj *obj;
};

static void vb_storage_pool_iface_init (VbGenLibvirtStoragePoolIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VbStoragePool, vb_storage_pool, VB_GEN_TYPE_LIBVIRT_STORAGE_POOL_SKELETON,
                               G_IMPLEMENT_INTERFACE (VB_GEN_TYPE_LIBVIRT_STORAGE_POOL, vb_storage_pool_iface_init))

#define VB_TYPE_STORAGE_VOL (vb_storage_vol_get_type ())
G_DECLARE_FINAL_TYPE (VbStorageVol, vb_storage_vol, VB, STORAGE_VOL, VbGenLibvirtStorageVolSkeleton)

struct _VbStorageVol {
  VbGenLibvirtStorageVolSkeleton parent_instance;

  VbConnect *connect;
  VbObj *obj;
};

static void vb_storage_vol_iface_init (VbGenLibvirtStorageVolIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VbStorageVol, vb_storage_vol, VB_GEN_TYPE_LIBVIRT_STORAGE_VOL_SKELETON,
                               G_IMPLEMENT_INTERFACE (VB_GEN_TYPE_LIBVIRT_STORAGE_VOL, vb_storage_vol_iface_init))

/* Runs backend operation @op with the argument list @args (which may use
 * `backend`, `obj` and `task`) and replies as @kind. */
#define RUN_OP(connect_, obj_, op, kind, args) \
  VB_CONNECT_RUN_OP (connect_, VbStorageOpsInterface, VB_TYPE_STORAGE_OPS, "storage pools", obj_, op, kind, args)

#define POOL_OP(op, kind, args) RUN_OP (self->connect, self->obj, op, kind, args)
#define VOL_OP(op, kind, args) RUN_OP (self->connect, self->obj, op, kind, args)


/* ==== org.libvirt.StoragePool ==== */

static void
vb_storage_pool_finalize (GObject *object)
{
  VbStoragePool *self = VB_STORAGE_POOL (object);

  vb_skeleton_unfollow_obj (G_DBUS_INTERFACE_SKELETON (self), self->obj);
  g_clear_object (&self->obj);
  G_OBJECT_CLASS (vb_storage_pool_parent_class)->finalize (object);
}

static gboolean
pool_set_property (GDBusInterfaceSkeleton *skeleton, const char *property, GVariant *value, GError **error)
{
  VbStoragePool *self = VB_STORAGE_POOL (skeleton);
  VbStorageOpsInterface *ops = vb_connect_get_ops (self->connect, VB_TYPE_STORAGE_OPS, "storage pools", error);

  if (ops == NULL)
    return FALSE;
  if (g_strcmp0 (property, "Autostart") == 0 && ops->set_autostart != NULL)
    return ops->set_autostart (vb_connect_get_backend (self->connect), self->obj, g_variant_get_boolean (value),
                               error);
  g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "property %s cannot be set on this connection", property);
  return FALSE;
}

static gboolean
handle_pool_build (VbGenLibvirtStoragePool *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbStoragePool *self = VB_STORAGE_POOL (iface);

  POOL_OP (build, VB_REPLY_VOID, (backend, obj, flags, task));
}

static gboolean
handle_pool_create (VbGenLibvirtStoragePool *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbStoragePool *self = VB_STORAGE_POOL (iface);

  POOL_OP (create, VB_REPLY_VOID, (backend, obj, flags, task));
}

static gboolean
handle_pool_delete (VbGenLibvirtStoragePool *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbStoragePool *self = VB_STORAGE_POOL (iface);

  POOL_OP (delete, VB_REPLY_VOID, (backend, obj, flags, task));
}

static gboolean
handle_pool_destroy (VbGenLibvirtStoragePool *iface, GDBusMethodInvocation *invocation)
{
  VbStoragePool *self = VB_STORAGE_POOL (iface);

  POOL_OP (destroy, VB_REPLY_VOID, (backend, obj, task));
}

static gboolean
handle_pool_get_info (VbGenLibvirtStoragePool *iface, GDBusMethodInvocation *invocation)
{
  VbStoragePool *self = VB_STORAGE_POOL (iface);

  POOL_OP (get_info, VB_REPLY_VALUE, (backend, obj, task));
}

static gboolean
handle_pool_get_xml_desc (VbGenLibvirtStoragePool *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbStoragePool *self = VB_STORAGE_POOL (iface);

  POOL_OP (get_xml_desc, VB_REPLY_STRING, (backend, obj, flags, task));
}

static gboolean
handle_pool_list_volumes (VbGenLibvirtStoragePool *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbStoragePool *self = VB_STORAGE_POOL (iface);

  POOL_OP (list_volumes, VB_REPLY_OBJECT_LIST, (backend, obj, flags, task));
}

static gboolean
handle_pool_refresh (VbGenLibvirtStoragePool *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbStoragePool *self = VB_STORAGE_POOL (iface);

  POOL_OP (refresh, VB_REPLY_VOID, (backend, obj, flags, task));
}

static gboolean
handle_pool_vol_create_xml (VbGenLibvirtStoragePool *iface, GDBusMethodInvocation *invocation, const char *xml,
                            guint flags)
{
  VbStoragePool *self = VB_STORAGE_POOL (iface);

  POOL_OP (vol_create_xml, VB_REPLY_OBJECT, (backend, obj, xml, flags, task));
}

static gboolean
handle_pool_vol_create_xml_from (VbGenLibvirtStoragePool *iface, GDBusMethodInvocation *invocation,
                                 const char *xml, const char *key, guint flags)
{
  VbStoragePool *self = VB_STORAGE_POOL (iface);

  /* libvirt-dbus resolves the source with virStorageVolLookupByKey. */
  VbObj *source = vb_backend_lookup (vb_connect_get_backend (self->connect), VB_OBJ_STORAGE_VOL, key);

  if (source == NULL) {
    g_autofree char *what = g_strdup_printf ("no storage vol with matching key '%s'", key);
    return vb_connect_reply_lookup (self->connect, invocation, VB_OBJ_STORAGE_VOL, NULL, what);
  }
  POOL_OP (vol_create_xml_from, VB_REPLY_OBJECT, (backend, obj, xml, source, flags, task));
}

static gboolean
handle_pool_vol_lookup_by_name (VbGenLibvirtStoragePool *iface, GDBusMethodInvocation *invocation,
                                const char *name)
{
  VbStoragePool *self = VB_STORAGE_POOL (iface);

  POOL_OP (vol_lookup_by_name, VB_REPLY_OBJECT, (backend, obj, name, task));
}

static gboolean
handle_pool_undefine (VbGenLibvirtStoragePool *iface, GDBusMethodInvocation *invocation)
{
  VbStoragePool *self = VB_STORAGE_POOL (iface);

  POOL_OP (undefine, VB_REPLY_VOID, (backend, obj, task));
}

static void
vb_storage_pool_iface_init (VbGenLibvirtStoragePoolIface *iface)
{
  iface->handle_build = handle_pool_build;
  iface->handle_create = handle_pool_create;
  iface->handle_delete = handle_pool_delete;
  iface->handle_destroy = handle_pool_destroy;
  iface->handle_get_info = handle_pool_get_info;
  iface->handle_get_xmldesc = handle_pool_get_xml_desc;
  iface->handle_list_storage_volumes = handle_pool_list_volumes;
  iface->handle_refresh = handle_pool_refresh;
  iface->handle_storage_vol_create_xml = handle_pool_vol_create_xml;
  iface->handle_storage_vol_create_xmlfrom = handle_pool_vol_create_xml_from;
  iface->handle_storage_vol_lookup_by_name = handle_pool_vol_lookup_by_name;
  iface->handle_undefine = handle_pool_undefine;
}

static void
vb_storage_pool_class_init (VbStoragePoolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vb_storage_pool_finalize;
  vb_skeleton_class_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass), pool_set_property);
  vb_skeleton_class_follow_obj (G_DBUS_INTERFACE_SKELETON_CLASS (klass), vb_skeleton_lifecycle_properties,
                                VB_SKELETON_N_LIFECYCLE_PROPERTIES);
}

static void
vb_storage_pool_init (VbStoragePool *self)
{
}

GDBusInterfaceSkeleton *
vb_storage_pool_skeleton_new (VbConnect *connect, VbObj *obj)
{
  VbStoragePool *self = g_object_new (VB_TYPE_STORAGE_POOL, NULL);

  self->connect = connect;
  self->obj = g_object_ref (obj);

  vb_skeleton_follow_obj (G_DBUS_INTERFACE_SKELETON (self), obj);
  return G_DBUS_INTERFACE_SKELETON (self);
}

/* ==== org.libvirt.StorageVol ==== */

static void
vb_storage_vol_finalize (GObject *object)
{
  VbStorageVol *self = VB_STORAGE_VOL (object);

  vb_skeleton_unfollow_obj (G_DBUS_INTERFACE_SKELETON (self), self->obj);
  g_clear_object (&self->obj);
  G_OBJECT_CLASS (vb_storage_vol_parent_class)->finalize (object);
}

static gboolean
handle_vol_delete (VbGenLibvirtStorageVol *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbStorageVol *self = VB_STORAGE_VOL (iface);

  VOL_OP (vol_delete, VB_REPLY_VOID, (backend, obj, flags, task));
}

static gboolean
handle_vol_get_info (VbGenLibvirtStorageVol *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbStorageVol *self = VB_STORAGE_VOL (iface);

  VOL_OP (vol_get_info, VB_REPLY_VALUE, (backend, obj, flags, task));
}

static gboolean
handle_vol_get_xml_desc (VbGenLibvirtStorageVol *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbStorageVol *self = VB_STORAGE_VOL (iface);

  VOL_OP (vol_get_xml_desc, VB_REPLY_STRING, (backend, obj, flags, task));
}

static gboolean
handle_vol_resize (VbGenLibvirtStorageVol *iface, GDBusMethodInvocation *invocation, guint64 capacity,
                   guint flags)
{
  VbStorageVol *self = VB_STORAGE_VOL (iface);

  VOL_OP (vol_resize, VB_REPLY_VOID, (backend, obj, capacity, flags, task));
}

static gboolean
handle_vol_wipe (VbGenLibvirtStorageVol *iface, GDBusMethodInvocation *invocation, guint pattern, guint flags)
{
  VbStorageVol *self = VB_STORAGE_VOL (iface);

  VOL_OP (vol_wipe, VB_REPLY_VOID, (backend, obj, pattern, flags, task));
}

static const VbSkeletonProperty storage_vol_properties[] = {
  { "name", "name", NULL, NULL },
  { "key", "key", NULL, NULL },
  { "path", "path", NULL, NULL },
};

static void
vb_storage_vol_iface_init (VbGenLibvirtStorageVolIface *iface)
{
  iface->handle_delete = handle_vol_delete;
  iface->handle_get_info = handle_vol_get_info;
  iface->handle_get_xmldesc = handle_vol_get_xml_desc;
  iface->handle_resize = handle_vol_resize;
  iface->handle_wipe = handle_vol_wipe;
}

static void
vb_storage_vol_class_init (VbStorageVolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vb_storage_vol_finalize;
  vb_skeleton_class_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass), NULL);
  vb_skeleton_class_follow_obj (G_DBUS_INTERFACE_SKELETON_CLASS (klass), storage_vol_properties,
                                G_N_ELEMENTS (storage_vol_properties));
}

static void
vb_storage_vol_init (VbStorageVol *self)
{
}

GDBusInterfaceSkeleton *
vb_storage_vol_skeleton_new (VbConnect *connect, VbObj *obj)
{
  VbStorageVol *self = g_object_new (VB_TYPE_STORAGE_VOL, NULL);

  self->connect = connect;
  self->obj = g_object_ref (obj);

  vb_skeleton_follow_obj (G_DBUS_INTERFACE_SKELETON (self), obj);
  return G_DBUS_INTERFACE_SKELETON (self);
}

/* ==== org.libvirt.Connect: storage ==== */

static gboolean
pool_matches (VbObj *pool, guint flags)
{
  const VbStoragePoolDef *def = pool->def;

  if ((flags & (VB_STORAGE_POOL_LIST_ACTIVE | VB_STORAGE_POOL_LIST_INACTIVE)) &&
      !((flags & VB_STORAGE_POOL_LIST_ACTIVE && pool->active) ||
        (flags & VB_STORAGE_POOL_LIST_INACTIVE && !pool->active)))
    return FALSE;
  if ((flags & (VB_STORAGE_POOL_LIST_PERSISTENT | VB_STORAGE_POOL_LIST_TRANSIENT)) &&
      !((flags & VB_STORAGE_POOL_LIST_PERSISTENT && pool->persistent) ||
        (flags & VB_STORAGE_POOL_LIST_TRANSIENT && !pool->persistent)))
    return FALSE;
  if ((flags & (VB_STORAGE_POOL_LIST_AUTOSTART | VB_STORAGE_POOL_LIST_NO_AUTOSTART)) &&
      !((flags & VB_STORAGE_POOL_LIST_AUTOSTART && pool->autostart) ||
        (flags & VB_STORAGE_POOL_LIST_NO_AUTOSTART && !pool->autostart)))
    return FALSE;
  if (flags & (VB_STORAGE_POOL_LIST_ALL_FLAGS & ~((guint) VB_STORAGE_POOL_LIST_DIR - 1))) {
    /* The type bits follow libvirt's order, not the model's enum. */
    static const guint type_bit[VB_STORAGE_POOL_TYPE_LAST] = {
      [VB_STORAGE_POOL_DIR] = VB_STORAGE_POOL_LIST_DIR,
      [VB_STORAGE_POOL_FS] = VB_STORAGE_POOL_LIST_FS,
      [VB_STORAGE_POOL_NETFS] = VB_STORAGE_POOL_LIST_NETFS,
      [VB_STORAGE_POOL_LOGICAL] = VB_STORAGE_POOL_LIST_LOGICAL,
      [VB_STORAGE_POOL_DISK] = VB_STORAGE_POOL_LIST_DISK,
      [VB_STORAGE_POOL_ISCSI] = VB_STORAGE_POOL_LIST_ISCSI,
      [VB_STORAGE_POOL_ISCSI_DIRECT] = VB_STORAGE_POOL_LIST_ISCSI_DIRECT,
      [VB_STORAGE_POOL_SCSI] = VB_STORAGE_POOL_LIST_SCSI,
      [VB_STORAGE_POOL_MPATH] = VB_STORAGE_POOL_LIST_MPATH,
      [VB_STORAGE_POOL_RBD] = VB_STORAGE_POOL_LIST_RBD,
      [VB_STORAGE_POOL_SHEEPDOG] = VB_STORAGE_POOL_LIST_SHEEPDOG,
      [VB_STORAGE_POOL_GLUSTER] = VB_STORAGE_POOL_LIST_GLUSTER,
      [VB_STORAGE_POOL_ZFS] = VB_STORAGE_POOL_LIST_ZFS,
      [VB_STORAGE_POOL_VSTORAGE] = VB_STORAGE_POOL_LIST_VSTORAGE,
    };
    if (def == NULL || (guint) def->type >= VB_STORAGE_POOL_TYPE_LAST || !(flags & type_bit[def->type]))
      return FALSE;
  }
  return TRUE;
}

static gboolean
handle_list_pools (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_reply_list (connect, invocation, VB_OBJ_STORAGE_POOL, flags, VB_STORAGE_POOL_LIST_ALL_FLAGS, pool_matches);
}

static gboolean
handle_pool_lookup_by_name (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *name)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_lookup_by_name (connect, invocation, VB_OBJ_STORAGE_POOL, "storage pool", name);
}

static gboolean
handle_pool_lookup_by_uuid (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *uuid)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_lookup_by_uuid (connect, invocation, VB_OBJ_STORAGE_POOL, "storage pool", uuid);
}

static gboolean
handle_vol_lookup_by_key (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *key)
{
  VbConnect *connect = VB_CONNECT (iface);
  g_autofree char *what = g_strdup_printf ("no storage vol with matching key '%s'", key);
  return vb_connect_reply_lookup (connect, invocation, VB_OBJ_STORAGE_VOL, vb_backend_lookup (vb_connect_get_backend (connect), VB_OBJ_STORAGE_VOL, key), what);
}

static gboolean
handle_vol_lookup_by_path (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *path)
{
  VbConnect *connect = VB_CONNECT (iface);
  VbObj *vol = vb_backend_lookup_volume (vb_connect_get_backend (connect), path);
  g_autofree char *what = g_strdup_printf ("no storage vol with matching path '%s'", path);

  /* The registry also finds keys; a path lookup must match the path. */
  if (vol != NULL && g_strcmp0 (vol->path, path) != 0)
    vol = NULL;
  return vb_connect_reply_lookup (connect, invocation, VB_OBJ_STORAGE_VOL, vol, what);
}

static gboolean
handle_pool_create_xml (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *xml,
                        guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);

  RUN_OP (connect, NULL, pool_create_xml, VB_REPLY_OBJECT, (backend, xml, flags, task));
}

static gboolean
handle_pool_define_xml (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *xml,
                        guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);

  RUN_OP (connect, NULL, pool_define_xml, VB_REPLY_OBJECT, (backend, xml, flags, task));
}

static gboolean
handle_find_pool_sources (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *type,
                          const char *src_spec, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);

  /* libvirt-dbus: an empty srcSpec means NULL. */
  const char *spec = src_spec[0] != '\0' ? src_spec : NULL;
  RUN_OP (connect, NULL, find_pool_sources, VB_REPLY_STRING, (backend, type, spec, flags, task));
}

void
vb_storage_connect_iface_init (VbGenLibvirtConnectIface *iface)
{
  iface->handle_list_storage_pools = handle_list_pools;
  iface->handle_storage_pool_lookup_by_name = handle_pool_lookup_by_name;
  iface->handle_storage_pool_lookup_by_uuid = handle_pool_lookup_by_uuid;
  iface->handle_storage_vol_lookup_by_key = handle_vol_lookup_by_key;
  iface->handle_storage_vol_lookup_by_path = handle_vol_lookup_by_path;
  iface->handle_storage_pool_create_xml = handle_pool_create_xml;
  iface->handle_storage_pool_define_xml = handle_pool_define_xml;
  iface->handle_find_storage_pool_sources = handle_find_pool_sources;
}
