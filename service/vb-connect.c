#define G_LOG_DOMAIN "virtbus"

#include "vb-connect.h"

#include "vb-error.h"
#include "vb-migration.h" /* migration */
#include "vb-object-path.h"
#include "vb-xml.h"
#include "vb-skeleton.h"

/* The libvirt API level whose D-Bus contract virtbus implements; clients
 * such as cockpit-machines gate features on Connect.LibVersion. */
#define VB_LIBVIRT_API_VERSION 9000000

struct _VbConnect {
  VbGenLibvirtConnectSkeleton parent_instance;

  VbBackend *backend;
  GDBusObjectManagerServer *manager;
  char *path;
  GHashTable *exported; /* VbObj* → VbGenObjectSkeleton* (ref) */
};

static void vb_connect_iface_init (VbGenLibvirtConnectIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VbConnect, vb_connect, VB_GEN_TYPE_LIBVIRT_CONNECT_SKELETON,
                               G_IMPLEMENT_INTERFACE (VB_GEN_TYPE_LIBVIRT_CONNECT, vb_connect_iface_init))

static GQuark path_quark;

static void
vb_connect_finalize (GObject *object)
{
  VbConnect *self = VB_CONNECT (object);

  if (self->backend)
    g_signal_handlers_disconnect_by_data (self->backend, self);
  g_clear_pointer (&self->exported, g_hash_table_unref);
  g_clear_object (&self->manager);
  g_clear_object (&self->backend);
  g_free (self->path);
  G_OBJECT_CLASS (vb_connect_parent_class)->finalize (object);
}

static void
vb_connect_class_init (VbConnectClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vb_connect_finalize;
  vb_skeleton_class_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass), NULL);
  path_quark = g_quark_from_static_string ("vb-dbus-path");
}

static void
vb_connect_init (VbConnect *self)
{
  self->exported = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_object_unref);
}

VbBackend *
vb_connect_get_backend (VbConnect *self)
{
  return self->backend;
}

const char *
vb_connect_get_path (VbConnect *self)
{
  return self->path;
}

static VbPathKind
path_kind (VbObjKind kind)
{
  switch (kind) {
  case VB_OBJ_DOMAIN: return VB_PATH_DOMAIN;
  case VB_OBJ_SNAPSHOT: return VB_PATH_SNAPSHOT;
  case VB_OBJ_NETWORK: return VB_PATH_NETWORK;
  case VB_OBJ_STORAGE_POOL: return VB_PATH_STORAGE_POOL;
  case VB_OBJ_STORAGE_VOL: return VB_PATH_STORAGE_VOL;
  case VB_OBJ_NODE_DEVICE: return VB_PATH_NODE_DEVICE;
  case VB_OBJ_INTERFACE: return VB_PATH_INTERFACE;
  case VB_OBJ_SECRET: return VB_PATH_SECRET;
  case VB_OBJ_NWFILTER: return VB_PATH_NWFILTER;
  }
  g_return_val_if_reached (VB_PATH_DOMAIN);
}

GVariant *
vb_connect_path_value_for_obj (VbConnect *self, VbObj *obj)
{
  GVariant *cached = g_object_get_qdata (G_OBJECT (obj), path_quark);
  g_autofree char *path = NULL;

  if (cached != NULL)
    return cached;
  if (obj->kind == VB_OBJ_SNAPSHOT)
    path = vb_object_path_for (self->path, VB_PATH_SNAPSHOT, obj->parent->uuid, obj->name);
  else
    path = vb_object_path_for (self->path, path_kind (obj->kind), obj->uuid ? obj->uuid : obj->key, NULL);
  /* Paths never change: uuids, keys, MACs and snapshot names are fixed.
   * Kept as a ready "o" value so that lists of thousands of objects are
   * built without re-validating every path (perf). */
  cached = g_variant_ref_sink (g_variant_new_object_path (path));
  g_object_set_qdata_full (G_OBJECT (obj), path_quark, cached, (GDestroyNotify) g_variant_unref);
  return cached;
}

char *
vb_connect_path_for_obj (VbConnect *self, VbObj *obj)
{
  return g_strdup (g_variant_get_string (vb_connect_path_value_for_obj (self, obj), NULL));
}

VbObj *
vb_connect_obj_for_path (VbConnect *self, const char *path, VbObjKind kind, GError **error)
{
  g_autofree char *id = NULL;
  g_autofree char *sub = NULL;
  VbPathKind pkind;
  VbObj *obj = NULL;

  if (vb_object_path_parse (self->path, path, &pkind, &id, &sub) && pkind == path_kind (kind)) {
    if (kind == VB_OBJ_SNAPSHOT) {
      VbObj *dom = vb_backend_lookup (self->backend, VB_OBJ_DOMAIN, id);
      obj = dom ? vb_obj_lookup_child (dom, sub) : NULL;
    } else if (kind == VB_OBJ_STORAGE_VOL) {
      obj = vb_backend_lookup_volume (self->backend, id);
    } else {
      obj = vb_backend_lookup (self->backend, kind, id);
    }
  }
  if (obj == NULL)
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "no %s at object path %s",
                 vb_obj_kind_to_string (kind), path);
  return obj;
}

gpointer
vb_connect_get_ops (VbConnect *self, GType iface_type, const char *what, GError **error)
{
  gpointer ops = g_type_interface_peek (G_OBJECT_GET_CLASS (self->backend), iface_type);
  if (ops == NULL)
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "the %s connection does not manage %s",
                 vb_backend_get_uri (self->backend), what);
  return ops;
}

void
vb_connect_return_not_supported (VbConnect *self, GDBusMethodInvocation *invocation)
{
  vb_invocation_return_error (invocation, VB_ERROR_NOT_SUPPORTED, "%s is not supported by the %s connection",
                              g_dbus_method_invocation_get_method_name (invocation),
                              vb_backend_get_uri (self->backend));
}

gboolean
vb_connect_reply_list (VbConnect *self, GDBusMethodInvocation *invocation, VbObjKind kind, guint flags,
                       guint allowed_flags, VbObjMatchFunc matches)
{
  GError *error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) matching = g_ptr_array_new ();

  if (!vb_check_flags (flags, allowed_flags, g_dbus_method_invocation_get_method_name (invocation), &error)) {
    vb_invocation_return_gerror (invocation, error);
    return TRUE;
  }
  all = vb_backend_list (self->backend, kind);
  for (guint i = 0; i < all->len; i++)
    if (matches (g_ptr_array_index (all, i), flags))
      g_ptr_array_add (matching, g_ptr_array_index (all, i));
  vb_invocation_return_object_list (self, invocation, matching);
  return TRUE;
}

gboolean
vb_connect_reply_lookup (VbConnect *self, GDBusMethodInvocation *invocation, VbObjKind kind, VbObj *obj,
                         const char *what)
{
  if (obj == NULL) {
    GError *error = NULL;
    vb_set_not_found (&error, kind, what);
    vb_invocation_return_gerror (invocation, error);
    return TRUE;
  }
  vb_invocation_return_object (self, invocation, obj);
  return TRUE;
}

gboolean
vb_connect_lookup_by_name (VbConnect *self, GDBusMethodInvocation *invocation, VbObjKind kind, const char *noun,
                           const char *name)
{
  g_autofree char *what = g_strdup_printf ("no %s with matching name '%s'", noun, name);
  return vb_connect_reply_lookup (self, invocation, kind, vb_backend_lookup_by_name (self->backend, kind, name),
                                  what);
}

gboolean
vb_connect_lookup_by_uuid (VbConnect *self, GDBusMethodInvocation *invocation, VbObjKind kind, const char *noun,
                           const char *uuid)
{
  char canonical[37];
  g_autofree char *what = g_strdup_printf ("no %s with matching uuid '%s'", noun, uuid);

  if (!vb_uuid_parse (uuid, canonical)) {
    vb_invocation_return_error (invocation, VB_ERROR_INVALID_ARG, "'%s' is not a valid UUID", uuid);
    return TRUE;
  }
  return vb_connect_reply_lookup (self, invocation, kind, vb_backend_lookup (self->backend, kind, canonical), what);
}

/* ---- export ---- */

static GDBusInterfaceSkeleton *
new_skeleton (VbConnect *self, VbObj *obj)
{
  switch (obj->kind) {
  case VB_OBJ_DOMAIN: return vb_domain_skeleton_new (self, obj);
#ifdef VB_HAVE_SNAPSHOT
  case VB_OBJ_SNAPSHOT: return vb_snapshot_skeleton_new (self, obj);
#endif
#ifdef VB_HAVE_NETWORK
  case VB_OBJ_NETWORK: return vb_network_skeleton_new (self, obj);
#endif
#ifdef VB_HAVE_STORAGE
  case VB_OBJ_STORAGE_POOL: return vb_storage_pool_skeleton_new (self, obj);
  case VB_OBJ_STORAGE_VOL: return vb_storage_vol_skeleton_new (self, obj);
#endif
#ifdef VB_HAVE_NODE_DEVICE
  case VB_OBJ_NODE_DEVICE: return vb_node_device_skeleton_new (self, obj);
#endif
#ifdef VB_HAVE_INTERFACE
  case VB_OBJ_INTERFACE: return vb_interface_skeleton_new (self, obj);
#endif
#ifdef VB_HAVE_SECRET
  case VB_OBJ_SECRET: return vb_secret_skeleton_new (self, obj);
#endif
#ifdef VB_HAVE_NWFILTER
  case VB_OBJ_NWFILTER: return vb_nwfilter_skeleton_new (self, obj);
#endif
  default: return NULL;
  }
}

static void
on_object_added (VbBackend *backend, VbObj *obj, VbConnect *self)
{
  g_autofree char *path = vb_connect_path_for_obj (self, obj);
  g_autoptr(GDBusInterfaceSkeleton) iface = new_skeleton (self, obj);
  g_autoptr(VbGenObjectSkeleton) object = NULL;

  if (iface == NULL)
    return;
  /* Authorization: never export a skeleton that bypasses the gatekeeper. */
  if (!vb_skeleton_is_gated (iface)) {
    g_critical ("%s does not call vb_skeleton_class_install: not exporting %s", G_OBJECT_TYPE_NAME (iface), path);
    return;
  }
  object = vb_gen_object_skeleton_new (path);
  g_dbus_object_skeleton_add_interface (G_DBUS_OBJECT_SKELETON (object), iface);
  /* QEMU backend: org.virtbus.Domain next to org.libvirt.Domain. */
  if (obj->kind == VB_OBJ_DOMAIN) {
    g_autoptr(GDBusInterfaceSkeleton) extra = vb_virtbus_domain_skeleton_new (self, obj);
    if (extra != NULL && vb_skeleton_is_gated (extra))
      g_dbus_object_skeleton_add_interface (G_DBUS_OBJECT_SKELETON (object), extra);
  }
  g_hash_table_replace (self->exported, obj, g_object_ref (object));
  g_dbus_object_manager_server_export (self->manager, G_DBUS_OBJECT_SKELETON (object));
}

static void
on_object_removed (VbBackend *backend, VbObj *obj, VbConnect *self)
{
  VbGenObjectSkeleton *object = g_hash_table_lookup (self->exported, obj);

  if (object == NULL)
    return;
  g_dbus_object_manager_server_unexport (self->manager,
                                         g_dbus_object_get_object_path (G_DBUS_OBJECT (object)));
  g_hash_table_remove (self->exported, obj);
}

static void
on_lifecycle_event (VbBackend *backend, VbObj *obj, int event, int detail, VbConnect *self)
{
  VbGenLibvirtConnect *iface = VB_GEN_LIBVIRT_CONNECT (self);
  g_autofree char *path = vb_connect_path_for_obj (self, obj);

  switch (obj->kind) {
  case VB_OBJ_DOMAIN: vb_gen_libvirt_connect_emit_domain_event (iface, path, event, detail); break;
  case VB_OBJ_NETWORK: vb_gen_libvirt_connect_emit_network_event (iface, path, event); break;
  case VB_OBJ_STORAGE_POOL: vb_gen_libvirt_connect_emit_storage_pool_event (iface, path, event, detail); break;
  case VB_OBJ_NODE_DEVICE: vb_gen_libvirt_connect_emit_node_device_event (iface, path, event, detail); break;
  case VB_OBJ_SECRET: vb_gen_libvirt_connect_emit_secret_event (iface, path, event, detail); break;
  default: break;
  }
}

static void
emit_on_object (VbConnect *self, VbObj *obj, const char *interface, const char *name, GVariant *args)
{
  GDBusConnection *connection = g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self));
  g_autofree char *path = vb_connect_path_for_obj (self, obj);
  g_autoptr(GError) error = NULL;

  if (connection == NULL)
    return;
  if (!g_dbus_connection_emit_signal (connection, NULL, path, interface, name, args, &error))
    g_warning ("cannot emit %s.%s on %s: %s", interface, name, path, error->message);
}

static void
on_domain_signal (VbBackend *backend, VbObj *domain, const char *name, GVariant *args, VbConnect *self)
{
  emit_on_object (self, domain, "org.libvirt.Domain", name, args);
}

static void
on_pool_refresh (VbBackend *backend, VbObj *pool, VbConnect *self)
{
  emit_on_object (self, pool, "org.libvirt.StoragePool", "Refresh", NULL);
}

void
vb_connect_unexport (VbConnect *self)
{
  GHashTableIter iter;
  gpointer value;

  g_signal_handlers_disconnect_by_data (self->backend, self);
  g_hash_table_iter_init (&iter, self->exported);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_dbus_object_manager_server_unexport (self->manager, g_dbus_object_get_object_path (value));
  g_hash_table_remove_all (self->exported);
  g_dbus_object_manager_server_unexport (self->manager, self->path);
}

/* ---- host queries ---- */

#define BACKEND_CLASS(self) VB_BACKEND_GET_CLASS ((self)->backend)

static gboolean
not_supported (VbConnect *self, GDBusMethodInvocation *invocation)
{
  vb_connect_return_not_supported (self, invocation);
  return TRUE;
}

static gboolean
reply_string (GDBusMethodInvocation *invocation, char *value, GError **error)
{
  /* @error is a pointer: the callers' backend call fills it while the
   * arguments are evaluated, in an unspecified order. */
  if (value == NULL) {
    vb_invocation_return_gerror (invocation, *error);
    return TRUE;
  }
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(s)", value));
  g_free (value);
  return TRUE;
}

static gboolean
reply_variant (GDBusMethodInvocation *invocation, GVariant *value, GError **error)
{
  /* @error is a pointer: the callers' backend call fills it while the
   * arguments are evaluated, in an unspecified order. */
  if (value == NULL) {
    vb_invocation_return_gerror (invocation, *error);
    return TRUE;
  }
  vb_invocation_return_value (invocation, value);
  return TRUE;
}

static gboolean
handle_get_capabilities (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation)
{
  VbConnect *self = VB_CONNECT (iface);
  GError *error = NULL;
  if (!BACKEND_CLASS (self)->get_capabilities)
    return not_supported (self, invocation);
  return reply_string (invocation, BACKEND_CLASS (self)->get_capabilities (self->backend, &error), &error);
}

static const char *
empty_to_null (const char *s)
{
  return s && *s ? s : NULL;
}

static gboolean
handle_get_domain_capabilities (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation,
                                const char *emulator, const char *arch, const char *machine,
                                const char *virttype, guint flags)
{
  VbConnect *self = VB_CONNECT (iface);
  GError *error = NULL;
  if (!BACKEND_CLASS (self)->get_domain_capabilities)
    return not_supported (self, invocation);
  return reply_string (invocation,
                       BACKEND_CLASS (self)->get_domain_capabilities (self->backend, empty_to_null (emulator),
                                                                      empty_to_null (arch), empty_to_null (machine),
                                                                      empty_to_null (virttype), flags, &error),
                       &error);
}

static gboolean
handle_get_sysinfo (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbConnect *self = VB_CONNECT (iface);
  GError *error = NULL;
  if (!BACKEND_CLASS (self)->get_sysinfo)
    return not_supported (self, invocation);
  return reply_string (invocation, BACKEND_CLASS (self)->get_sysinfo (self->backend, flags, &error), &error);
}

static gboolean
handle_get_cpu_model_names (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *arch,
                            guint flags)
{
  VbConnect *self = VB_CONNECT (iface);
  GError *error = NULL;
  g_auto(GStrv) names = NULL;
  if (!BACKEND_CLASS (self)->get_cpu_model_names)
    return not_supported (self, invocation);
  names = BACKEND_CLASS (self)->get_cpu_model_names (self->backend, arch, flags, &error);
  if (names == NULL) {
    vb_invocation_return_gerror (invocation, error);
    return TRUE;
  }
  vb_invocation_return_value (invocation, g_variant_new_strv ((const char *const *) names, -1));
  return TRUE;
}

static gboolean
handle_baseline_cpu (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *const *xml_cpus,
                     guint flags)
{
  VbConnect *self = VB_CONNECT (iface);
  GError *error = NULL;
  if (!BACKEND_CLASS (self)->baseline_cpu)
    return not_supported (self, invocation);
  return reply_string (invocation, BACKEND_CLASS (self)->baseline_cpu (self->backend, xml_cpus, flags, &error),
                       &error);
}

static gboolean
handle_compare_cpu (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *xml, guint flags)
{
  VbConnect *self = VB_CONNECT (iface);
  GError *error = NULL;
  int result;
  if (!BACKEND_CLASS (self)->compare_cpu)
    return not_supported (self, invocation);
  result = BACKEND_CLASS (self)->compare_cpu (self->backend, xml, flags, &error);
  if (result < 0) {
    vb_invocation_return_gerror (invocation, error);
    return TRUE;
  }
  vb_gen_libvirt_connect_complete_compare_cpu (iface, invocation, result);
  return TRUE;
}

static gboolean
handle_node_get_cpu_map (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbConnect *self = VB_CONNECT (iface);
  GError *error = NULL;
  if (!BACKEND_CLASS (self)->node_get_cpu_map)
    return not_supported (self, invocation);
  return reply_variant (invocation, BACKEND_CLASS (self)->node_get_cpu_map (self->backend, flags, &error), &error);
}

static gboolean
handle_node_get_cpu_stats (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, int cpu, guint flags)
{
  VbConnect *self = VB_CONNECT (iface);
  GError *error = NULL;
  if (!BACKEND_CLASS (self)->node_get_cpu_stats)
    return not_supported (self, invocation);
  return reply_variant (invocation, BACKEND_CLASS (self)->node_get_cpu_stats (self->backend, cpu, flags, &error),
                        &error);
}

static gboolean
handle_node_get_memory_stats (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, int cell,
                              guint flags)
{
  VbConnect *self = VB_CONNECT (iface);
  GError *error = NULL;
  if (!BACKEND_CLASS (self)->node_get_memory_stats)
    return not_supported (self, invocation);
  return reply_variant (invocation,
                        BACKEND_CLASS (self)->node_get_memory_stats (self->backend, cell, flags, &error), &error);
}

static gboolean
handle_node_get_memory_parameters (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbConnect *self = VB_CONNECT (iface);
  GError *error = NULL;
  if (!BACKEND_CLASS (self)->node_get_memory_parameters)
    return not_supported (self, invocation);
  return reply_variant (invocation,
                        BACKEND_CLASS (self)->node_get_memory_parameters (self->backend, flags, &error), &error);
}

static gboolean
handle_node_set_memory_parameters (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation,
                                   GVariant *params, guint flags)
{
  VbConnect *self = VB_CONNECT (iface);
  GError *error = NULL;
  if (!BACKEND_CLASS (self)->node_set_memory_parameters)
    return not_supported (self, invocation);
  if (!BACKEND_CLASS (self)->node_set_memory_parameters (self->backend, params, flags, &error))
    vb_invocation_return_gerror (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
  return TRUE;
}

static gboolean
handle_node_get_security_model (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation)
{
  VbConnect *self = VB_CONNECT (iface);
  GError *error = NULL;
  if (!BACKEND_CLASS (self)->node_get_security_model)
    return not_supported (self, invocation);
  return reply_variant (invocation, BACKEND_CLASS (self)->node_get_security_model (self->backend, &error), &error);
}

static gboolean
handle_node_get_free_memory (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation)
{
  VbConnect *self = VB_CONNECT (iface);
  GError *error = NULL;
  guint64 bytes = 0;
  if (!BACKEND_CLASS (self)->node_get_free_memory)
    return not_supported (self, invocation);
  if (!BACKEND_CLASS (self)->node_get_free_memory (self->backend, &bytes, &error))
    vb_invocation_return_gerror (invocation, error);
  else
    vb_gen_libvirt_connect_complete_node_get_free_memory (iface, invocation, bytes);
  return TRUE;
}

/* The handlers of every part of org.libvirt.Connect, filled once for the
 * class (see vb_domain_iface_init). */
static void
vb_connect_iface_init (VbGenLibvirtConnectIface *iface)
{
  iface->handle_get_capabilities = handle_get_capabilities;
  iface->handle_get_domain_capabilities = handle_get_domain_capabilities;
  iface->handle_get_sysinfo = handle_get_sysinfo;
  iface->handle_get_cpumodel_names = handle_get_cpu_model_names;
  iface->handle_baseline_cpu = handle_baseline_cpu;
  iface->handle_compare_cpu = handle_compare_cpu;
  iface->handle_node_get_cpumap = handle_node_get_cpu_map;
  iface->handle_node_get_cpustats = handle_node_get_cpu_stats;
  iface->handle_node_get_memory_stats = handle_node_get_memory_stats;
  iface->handle_node_get_memory_parameters = handle_node_get_memory_parameters;
  iface->handle_node_set_memory_parameters = handle_node_set_memory_parameters;
  iface->handle_node_get_security_model = handle_node_get_security_model;
  iface->handle_node_get_free_memory = handle_node_get_free_memory;

  vb_domain_connect_iface_init (iface);
#ifdef VB_HAVE_NETWORK
  vb_network_connect_iface_init (iface);
#endif
#ifdef VB_HAVE_STORAGE
  vb_storage_connect_iface_init (iface);
#endif
#ifdef VB_HAVE_NODE_DEVICE
  vb_node_device_connect_iface_init (iface);
#endif
#ifdef VB_HAVE_INTERFACE
  vb_interface_connect_iface_init (iface);
#endif
#ifdef VB_HAVE_SECRET
  vb_secret_connect_iface_init (iface);
#endif
#ifdef VB_HAVE_NWFILTER
  vb_nwfilter_connect_iface_init (iface);
#endif
}

VbConnect *
vb_connect_new (VbBackend *backend, GDBusObjectManagerServer *manager, GError **error)
{
  VbConnect *self = g_object_new (VB_TYPE_CONNECT, NULL);
  VbBackendClass *klass = VB_BACKEND_GET_CLASS (backend);
  g_autoptr(GError) local = NULL;
  g_autofree char *hostname = NULL;
  g_autoptr(GPtrArray) initial = g_ptr_array_new_with_free_func (g_object_unref);

  self->backend = g_object_ref (backend);
  self->manager = g_object_ref (manager);
  self->path = vb_object_path_for_connect (vb_backend_get_driver (backend));

  hostname = klass->get_hostname ? klass->get_hostname (backend, &local) : g_strdup (g_get_host_name ());
  g_object_set (self,
                "encrypted", FALSE,
                "secure", TRUE,
                "hostname", hostname ? hostname : g_get_host_name (),
                "lib-version", (guint64) VB_LIBVIRT_API_VERSION,
                "version", klass->get_version ? klass->get_version (backend) : (guint64) 0,
                NULL);

  /* The Connect object itself. */
  {
    g_autoptr(VbGenObjectSkeleton) object = vb_gen_object_skeleton_new (self->path);
    g_dbus_object_skeleton_add_interface (G_DBUS_OBJECT_SKELETON (object), G_DBUS_INTERFACE_SKELETON (self));
    /* migration: org.virtbus.Migration (incoming side) where the backend has it. */
    {
      g_autoptr(GDBusInterfaceSkeleton) migration = vb_migration_skeleton_new (self);
      if (migration != NULL && vb_skeleton_is_gated (migration))
        g_dbus_object_skeleton_add_interface (G_DBUS_OBJECT_SKELETON (object), migration);
    }
    g_dbus_object_manager_server_export (manager, G_DBUS_OBJECT_SKELETON (object));
  }

  g_signal_connect (backend, "object-added", G_CALLBACK (on_object_added), self);
  g_signal_connect (backend, "object-removed", G_CALLBACK (on_object_removed), self);
  g_signal_connect (backend, "lifecycle-event", G_CALLBACK (on_lifecycle_event), self);
  g_signal_connect (backend, "domain-signal", G_CALLBACK (on_domain_signal), self);
  g_signal_connect (backend, "pool-refresh", G_CALLBACK (on_pool_refresh), self);

  /* Export what the backend already holds: top-level objects, then their
   * volumes and snapshots. */
  for (VbObjKind kind = VB_OBJ_DOMAIN; kind <= VB_OBJ_NWFILTER; kind++) {
    if (kind == VB_OBJ_SNAPSHOT || kind == VB_OBJ_STORAGE_VOL)
      continue;
    g_autoptr(GPtrArray) list = vb_backend_list (backend, kind);
    for (guint i = 0; i < list->len; i++) {
      VbObj *obj = g_ptr_array_index (list, i);
      on_object_added (backend, obj, self);
      if (obj->children != NULL) {
        GHashTableIter iter;
        gpointer child;
        g_hash_table_iter_init (&iter, obj->children);
        while (g_hash_table_iter_next (&iter, NULL, &child))
          on_object_added (backend, child, self);
      }
    }
  }
  return self;
}
