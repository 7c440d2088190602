#define G_LOG_DOMAIN "virtbus"

#include "vb-connect.h"

#include <string.h>

#include "vb-domain-ops.h"
#include "vb-error.h"
#include "vb-gatekeeper.h"
#include "vb-interface-ops.h"
#include "vb-migration.h" /* migration */
#include "vb-network-ops.h"
#include "vb-node-device-ops.h"
#include "vb-nwfilter-ops.h"
#include "vb-object-path.h"
#include "vb-secret-ops.h"
#include "vb-skeleton.h"
#include "vb-storage-ops.h"
#include "vb-xml.h"

/* The libvirt API level whose D-Bus contract virtbus implements; clients
 * such as cockpit-machines gate features on Connect.LibVersion. */
#define VB_LIBVIRT_API_VERSION 9000000

typedef struct {
  VbConnect *self;
  VbObjKind kind;
  char *root;  /* <connect>/<kind> */
  guint id;
} Subtree;

struct _VbConnect {
  VbGenLibvirtConnectSkeleton parent_instance;

  VbBackend *backend;
  GDBusObjectManagerServer *manager;
  GDBusConnection *connection;
  char *path;
  gboolean virtbus_domain;  /* domains also have org.virtbus.Domain */
  Subtree subtrees[VB_OBJ_NWFILTER + 1];
  GHashTable *materialized; /* VbObj* → Materialized* */
  guint sweep_id;
  GHashTable *changes;      /* VbObj* (ref) → GPtrArray of changed VbObj property names */
  guint changes_id;
  struct {
    GPtrArray *objs;        /* the last list replied for this kind (refs) */
    GVariant *value;        /* its "(ao)" */
  } lists[VB_OBJ_NWFILTER + 1];
};

static void vb_connect_iface_init (VbGenLibvirtConnectIface *iface);

static void materialized_free (gpointer data);
static void clear_list_cache (VbConnect *self, VbObjKind kind);

G_DEFINE_FINAL_TYPE_WITH_CODE (VbConnect, vb_connect, VB_GEN_TYPE_LIBVIRT_CONNECT_SKELETON,
                               G_IMPLEMENT_INTERFACE (VB_GEN_TYPE_LIBVIRT_CONNECT, vb_connect_iface_init))

static void
vb_connect_finalize (GObject *object)
{
  VbConnect *self = VB_CONNECT (object);

  if (self->backend)
    g_signal_handlers_disconnect_by_data (self->backend, self);
  for (guint k = 0; k < G_N_ELEMENTS (self->subtrees); k++)
    if (self->subtrees[k].id != 0)
      g_dbus_connection_unregister_subtree (self->connection, self->subtrees[k].id);
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_clear_handle_id (&self->changes_id, g_source_remove);
  for (guint k = 0; k < G_N_ELEMENTS (self->subtrees); k++)
    g_free (self->subtrees[k].root);
  for (guint k = 0; k < G_N_ELEMENTS (self->lists); k++)
    clear_list_cache (self, k);
  g_clear_pointer (&self->materialized, g_hash_table_unref);
  g_clear_pointer (&self->changes, g_hash_table_unref);
  g_clear_object (&self->connection);
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
}

static void
vb_connect_init (VbConnect *self)
{
  self->materialized = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                              materialized_free);
  self->changes = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref,
                                         (GDestroyNotify) g_ptr_array_unref);
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
  g_autofree char *path = NULL;

  if (obj->path_value != NULL)
    return obj->path_value;
  if (obj->kind == VB_OBJ_SNAPSHOT)
    path = vb_object_path_for (self->path, VB_PATH_SNAPSHOT, obj->parent->uuid, obj->name);
  else
    path = vb_object_path_for (self->path, path_kind (obj->kind), obj->uuid ? obj->uuid : obj->key, NULL);
  /* Paths never change: uuids, keys, MACs and snapshot names are fixed.
   * Kept as a ready "o" value so that lists of thousands of objects are
   * built without re-validating every path (perf). */
  obj->path_value = g_variant_ref_sink (g_variant_new_object_path (path));
  return obj->path_value;
}

static void
clear_list_cache (VbConnect *self, VbObjKind kind)
{
  g_clear_pointer (&self->lists[kind].objs, g_ptr_array_unref);
  g_clear_pointer (&self->lists[kind].value, g_variant_unref);
}

GVariant *
vb_connect_list_value (VbConnect *self, GPtrArray *objs)
{
  VbObjKind kind;
  GVariantBuilder builder;
  GVariant *value;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("ao"));
  if (objs->len == 0)
    return g_variant_ref_sink (g_variant_new ("(ao)", &builder));
  kind = VB_OBJ (g_ptr_array_index (objs, 0))->kind;
  /* perf: clients poll lists; the same objects give the same reply. The
   * cache holds references, so a pointer cannot be another object's. */
  if (self->lists[kind].objs != NULL && self->lists[kind].objs->len == objs->len &&
      memcmp (self->lists[kind].objs->pdata, objs->pdata, objs->len * sizeof (gpointer)) == 0) {
    g_variant_builder_clear (&builder);
    return g_variant_ref (self->lists[kind].value);
  }
  for (guint i = 0; i < objs->len; i++)
    g_variant_builder_add_value (&builder, vb_connect_path_value_for_obj (self, g_ptr_array_index (objs, i)));
  value = g_variant_ref_sink (g_variant_new ("(ao)", &builder));
  clear_list_cache (self, kind);
  self->lists[kind].objs = g_ptr_array_new_full (objs->len, g_object_unref);
  for (guint i = 0; i < objs->len; i++)
    g_ptr_array_add (self->lists[kind].objs, g_object_ref (g_ptr_array_index (objs, i)));
  self->lists[kind].value = g_variant_ref (value);
  return value;
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
  /* perf: the whole list, as a caller who sees everything gets it, is
   * published for the gatekeeper's answers from GDBus' worker thread until
   * an object of this connection comes, goes or is renamed. */
  if (flags == 0 && matching->len == all->len) {
    VbGatekeeper *gatekeeper = vb_gatekeeper_get_default (g_dbus_method_invocation_get_connection (invocation));
    const char *sender = g_dbus_method_invocation_get_sender (invocation);

    if (vb_gatekeeper_sees_everything (gatekeeper, sender)) {
      g_autoptr(GVariant) value = vb_connect_list_value (self, matching);

      vb_gatekeeper_publish_reply (gatekeeper, sender, self->path,
                                   g_dbus_method_invocation_get_interface_name (invocation),
                                   g_dbus_method_invocation_get_method_name (invocation), 0, value);
      g_dbus_method_invocation_return_value (invocation, value);
      return TRUE;
    }
  }
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

/* ---- export ----
 *
 * perf: objects are exported lazily. Each kind of object has one subtree
 * registration (<connect>/domain, <connect>/domainsnapshot, …): GDBus asks,
 * per call, which interfaces a node has and where to dispatch, and the node
 * is looked up in the backend. An object's interface skeletons exist only
 * while calls use them ("materialized", dropped by a sweep once idle), so
 * ten thousand defined domains cost no skeleton, no GValue per property and
 * no registration each. What GDBusObjectManagerServer would send for them —
 * InterfacesAdded/Removed, PropertiesChanged, GetManagedObjects (answered by
 * the gatekeeper through vb_connect_list_objects/vb_connect_object_entry) —
 * is produced here from the objects, so the wire is the same as if every
 * object had skeletons of its own. */

#define N_SLOTS 2            /* interfaces per object: org.libvirt.<Kind> (+ org.virtbus.Domain) */
#define SWEEP_SECONDS 10     /* materialized skeletons unused this long go away */

/* The sweep's period: SWEEP_SECONDS, or VIRTBUSD_SKELETON_SWEEP_SECONDS
 * (1-3600) so that tests see the sweep at work without waiting. */
static guint
sweep_seconds (void)
{
  static guint seconds;

  if (seconds == 0) {
    const char *env = g_getenv ("VIRTBUSD_SKELETON_SWEEP_SECONDS");
    guint64 value = 0;

    if (env == NULL || !g_ascii_string_to_unsigned (env, 10, 1, 3600, &value, NULL))
      value = SWEEP_SECONDS;
    seconds = (guint) value;
  }
  return seconds;
}

typedef struct {
  VbConnect *self;
  VbObj *obj;                                /* ref */
  GDBusInterfaceSkeleton *slots[N_SLOTS];   /* NULL until used */
  gboolean used;                            /* since the last sweep */
} Materialized;

/* The GetAll replies of an object's skeletons are published to the
 * gatekeeper (answered from GDBus' worker thread, see
 * vb_gatekeeper_publish_properties) while the skeletons live and nothing
 * changed: withdrawn at any change of the object or of a skeleton, at its
 * removal, and when its skeletons go. */
static void
withdraw_properties (VbConnect *self, VbObj *obj)
{
  vb_gatekeeper_withdraw_properties (vb_gatekeeper_get_default (self->connection),
                                     g_variant_get_string (vb_connect_path_value_for_obj (self, obj), NULL));
}

/* The same for this connection's lists (published by vb_connect_reply_list):
 * when an object comes, goes or is renamed. */
static void
withdraw_lists (VbConnect *self)
{
  vb_gatekeeper_withdraw_replies (vb_gatekeeper_get_default (self->connection), self->path);
}

static void
stop_publishing (Materialized *m)
{
  for (guint i = 0; i < N_SLOTS; i++)
    if (m->slots[i] != NULL) {
      vb_skeleton_set_published (m->slots[i], FALSE);
      g_signal_handlers_disconnect_by_data (m->slots[i], m);
    }
  withdraw_properties (m->self, m->obj);
}

static void
on_skeleton_notify (GObject *skeleton, GParamSpec *pspec, gpointer user_data)
{
  Materialized *m = user_data;

  withdraw_properties (m->self, m->obj);
}

static void
materialized_free (gpointer data)
{
  Materialized *m = data;

  stop_publishing (m);
  for (guint i = 0; i < N_SLOTS; i++)
    g_clear_object (&m->slots[i]);
  g_object_unref (m->obj);
  g_free (m);
}

static gboolean
kind_exported (VbObjKind kind)
{
  switch (kind) {
  case VB_OBJ_DOMAIN: return TRUE;
#ifdef VB_HAVE_SNAPSHOT
  case VB_OBJ_SNAPSHOT: return TRUE;
#endif
#ifdef VB_HAVE_NETWORK
  case VB_OBJ_NETWORK: return TRUE;
#endif
#ifdef VB_HAVE_STORAGE
  case VB_OBJ_STORAGE_POOL: return TRUE;
  case VB_OBJ_STORAGE_VOL: return TRUE;
#endif
#ifdef VB_HAVE_NODE_DEVICE
  case VB_OBJ_NODE_DEVICE: return TRUE;
#endif
#ifdef VB_HAVE_INTERFACE
  case VB_OBJ_INTERFACE: return TRUE;
#endif
#ifdef VB_HAVE_SECRET
  case VB_OBJ_SECRET: return TRUE;
#endif
#ifdef VB_HAVE_NWFILTER
  case VB_OBJ_NWFILTER: return TRUE;
#endif
  default: return FALSE;
  }
}

/* Whether this connection exports objects of @kind: built in, and the
 * backend manages them (no empty <connect>/network node on a connection
 * without networks). */
static gboolean
kind_served (VbConnect *self, VbObjKind kind)
{
  GType ops = G_TYPE_INVALID;

  if (!kind_exported (kind))
    return FALSE;
  switch (kind) {
  case VB_OBJ_DOMAIN:
  case VB_OBJ_SNAPSHOT: ops = VB_TYPE_DOMAIN_OPS; break;
  case VB_OBJ_NETWORK: ops = VB_TYPE_NETWORK_OPS; break;
  case VB_OBJ_STORAGE_POOL:
  case VB_OBJ_STORAGE_VOL: ops = VB_TYPE_STORAGE_OPS; break;
  case VB_OBJ_NODE_DEVICE: ops = VB_TYPE_NODE_DEV_OPS; break;
  case VB_OBJ_INTERFACE: ops = VB_TYPE_INTERFACE_OPS; break;
  case VB_OBJ_SECRET: ops = VB_TYPE_SECRET_OPS; break;
  case VB_OBJ_NWFILTER: ops = VB_TYPE_NWFILTER_OPS; break;
  }
  return g_type_interface_peek (G_OBJECT_GET_CLASS (self->backend), ops) != NULL;
}

/* The interface of slot @slot of objects of @kind, or NULL. */
static GDBusInterfaceInfo *
slot_info (VbConnect *self, VbObjKind kind, guint slot)
{
  if (!kind_served (self, kind))
    return NULL;
  if (slot == 1)
    return kind == VB_OBJ_DOMAIN && self->virtbus_domain ? vb_gen_virtbus_domain_interface_info () : NULL;
  switch (kind) {
  case VB_OBJ_DOMAIN: return vb_gen_libvirt_domain_interface_info ();
  case VB_OBJ_SNAPSHOT: return vb_gen_libvirt_domain_snapshot_interface_info ();
  case VB_OBJ_NETWORK: return vb_gen_libvirt_network_interface_info ();
  case VB_OBJ_STORAGE_POOL: return vb_gen_libvirt_storage_pool_interface_info ();
  case VB_OBJ_STORAGE_VOL: return vb_gen_libvirt_storage_vol_interface_info ();
  case VB_OBJ_NODE_DEVICE: return vb_gen_libvirt_node_device_interface_info ();
  case VB_OBJ_INTERFACE: return vb_gen_libvirt_interface_interface_info ();
  case VB_OBJ_SECRET: return vb_gen_libvirt_secret_interface_info ();
  case VB_OBJ_NWFILTER: return vb_gen_libvirt_nwfilter_interface_info ();
  }
  return NULL;
}

static GDBusInterfaceSkeleton *
new_skeleton (VbConnect *self, VbObj *obj, guint slot)
{
  GDBusInterfaceSkeleton *skeleton = NULL;

  if (slot_info (self, obj->kind, slot) == NULL)
    return NULL;
  if (slot == 1)
    skeleton = vb_virtbus_domain_skeleton_new (self, obj);
  else
    switch (obj->kind) {
    case VB_OBJ_DOMAIN: skeleton = vb_domain_skeleton_new (self, obj); break;
#ifdef VB_HAVE_SNAPSHOT
    case VB_OBJ_SNAPSHOT: skeleton = vb_snapshot_skeleton_new (self, obj); break;
#endif
#ifdef VB_HAVE_NETWORK
    case VB_OBJ_NETWORK: skeleton = vb_network_skeleton_new (self, obj); break;
#endif
#ifdef VB_HAVE_STORAGE
    case VB_OBJ_STORAGE_POOL: skeleton = vb_storage_pool_skeleton_new (self, obj); break;
    case VB_OBJ_STORAGE_VOL: skeleton = vb_storage_vol_skeleton_new (self, obj); break;
#endif
#ifdef VB_HAVE_NODE_DEVICE
    case VB_OBJ_NODE_DEVICE: skeleton = vb_node_device_skeleton_new (self, obj); break;
#endif
#ifdef VB_HAVE_INTERFACE
    case VB_OBJ_INTERFACE: skeleton = vb_interface_skeleton_new (self, obj); break;
#endif
#ifdef VB_HAVE_SECRET
    case VB_OBJ_SECRET: skeleton = vb_secret_skeleton_new (self, obj); break;
#endif
#ifdef VB_HAVE_NWFILTER
    case VB_OBJ_NWFILTER: skeleton = vb_nwfilter_skeleton_new (self, obj); break;
#endif
    default: break;
    }
  /* Authorization: never dispatch to a skeleton that bypasses the gatekeeper. */
  if (skeleton != NULL && !vb_skeleton_is_gated (skeleton)) {
    g_critical ("%s does not call vb_skeleton_class_install: not exporting it", G_OBJECT_TYPE_NAME (skeleton));
    g_clear_object (&skeleton);
  }
  return skeleton;
}

static gboolean
sweep (gpointer user_data)
{
  VbConnect *self = user_data;
  GHashTableIter iter;
  Materialized *m;
  guint dropped = 0;

  g_hash_table_iter_init (&iter, self->materialized);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &m)) {
    gboolean busy = FALSE;

    if (m->used) {
      m->used = FALSE;
      continue;
    }
    /* A call in flight holds its skeleton: keep it until the next sweep. */
    for (guint i = 0; i < N_SLOTS; i++)
      busy |= m->slots[i] != NULL && G_OBJECT (m->slots[i])->ref_count > 1;
    if (!busy) {
      g_hash_table_iter_remove (&iter);
      dropped++;
    }
  }
  if (dropped > 0)
    g_debug ("%s: dropped the skeletons of %u idle objects", self->path, dropped);
  if (g_hash_table_size (self->materialized) > 0)
    return G_SOURCE_CONTINUE;
  self->sweep_id = 0;
  return G_SOURCE_REMOVE;
}

/* The skeleton of @obj's interface @slot, created on first use. */
static GDBusInterfaceSkeleton *
materialize (VbConnect *self, VbObj *obj, guint slot)
{
  Materialized *m = g_hash_table_lookup (self->materialized, obj);

  if (m == NULL) {
    m = g_new0 (Materialized, 1);
    m->self = self;
    m->obj = g_object_ref (obj);
    g_hash_table_insert (self->materialized, obj, m);
  }
  if (m->slots[slot] == NULL && (m->slots[slot] = new_skeleton (self, obj, slot)) != NULL) {
    g_signal_connect (m->slots[slot], "notify", G_CALLBACK (on_skeleton_notify), m);
    vb_skeleton_set_published (m->slots[slot], TRUE);
  }
  m->used = TRUE;
  if (self->sweep_id == 0)
    self->sweep_id = g_timeout_add_seconds (sweep_seconds (), sweep, self);
  return m->slots[slot];
}

/* Every exported object of @kind (references). */
static void
add_objects_of_kind (VbConnect *self, VbObjKind kind, GPtrArray *out)
{
  VbObjKind parent_kind = kind == VB_OBJ_SNAPSHOT ? VB_OBJ_DOMAIN
                          : kind == VB_OBJ_STORAGE_VOL ? VB_OBJ_STORAGE_POOL : kind;
  g_autoptr(GPtrArray) list = NULL;

  if (!kind_served (self, kind))
    return;
  list = vb_backend_list (self->backend, parent_kind);
  for (guint i = 0; i < list->len; i++) {
    VbObj *obj = g_ptr_array_index (list, i);
    if (parent_kind == kind) {
      g_ptr_array_add (out, g_object_ref (obj));
    } else if (obj->children != NULL) {
      GHashTableIter iter;
      gpointer child;
      g_hash_table_iter_init (&iter, obj->children);
      while (g_hash_table_iter_next (&iter, NULL, &child))
        if (VB_OBJ (child)->kind == kind)
          g_ptr_array_add (out, g_object_ref (child));
    }
  }
}

GPtrArray *
vb_connect_list_objects (VbConnect *self)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);

  /* Top-level objects, then their volumes and snapshots. */
  for (VbObjKind kind = VB_OBJ_DOMAIN; kind <= VB_OBJ_NWFILTER; kind++)
    if (kind != VB_OBJ_SNAPSHOT && kind != VB_OBJ_STORAGE_VOL)
      add_objects_of_kind (self, kind, out);
  add_objects_of_kind (self, VB_OBJ_STORAGE_VOL, out);
  add_objects_of_kind (self, VB_OBJ_SNAPSHOT, out);
  return out;
}

/* a{sa{sv}}: every interface of @obj with all its properties. */
static GVariant *
object_interfaces (VbConnect *self, VbObj *obj)
{
  GVariantBuilder ifaces;

  g_variant_builder_init (&ifaces, G_VARIANT_TYPE ("a{sa{sv}}"));
  for (guint slot = 0; slot < N_SLOTS; slot++) {
    Materialized *m = g_hash_table_lookup (self->materialized, obj);
    g_autoptr(GDBusInterfaceSkeleton) skeleton = NULL;
    g_autoptr(GVariant) props = NULL;

    /* A transient skeleton: listing thousands of objects must not keep
     * thousands of skeletons around. */
    if (m != NULL && m->slots[slot] != NULL)
      skeleton = g_object_ref (m->slots[slot]);
    else
      skeleton = new_skeleton (self, obj, slot);
    if (skeleton == NULL)
      continue;
    props = g_dbus_interface_skeleton_get_properties (skeleton); /* full reference */
    g_variant_builder_add (&ifaces, "{s@a{sv}}", g_dbus_interface_skeleton_get_info (skeleton)->name, props);
  }
  return g_variant_builder_end (&ifaces);
}

void
vb_connect_object_entry (VbConnect *self, VbObj *obj, GVariantBuilder *builder)
{
  g_variant_builder_add (builder, "{o@a{sa{sv}}}", g_variant_get_string (vb_connect_path_value_for_obj (self, obj), NULL),
                         object_interfaces (self, obj));
}

/* GDBusObjectManagerServer's connection is set once the service publishes:
 * before that nobody can see the objects, so no signal is sent. */
static GDBusConnection *
published_connection (VbConnect *self)
{
  return g_dbus_object_manager_server_get_connection (self->manager);
}

static void
emit_manager_signal (VbConnect *self, GDBusConnection *connection, const char *name, GVariant *args)
{
  g_autoptr(GError) error = NULL;

  if (!g_dbus_connection_emit_signal (connection, NULL,
                                      g_dbus_object_manager_get_object_path (G_DBUS_OBJECT_MANAGER (self->manager)),
                                      "org.freedesktop.DBus.ObjectManager", name, args, &error))
    g_warning ("cannot emit %s: %s", name, error ? error->message : "invalid arguments");
}

static void
on_object_added (VbBackend *backend, VbObj *obj, VbConnect *self)
{
  g_autoptr(GDBusConnection) connection = published_connection (self);

  withdraw_lists (self);

  if (connection == NULL || !kind_served (self, obj->kind))
    return;
  emit_manager_signal (self, connection, "InterfacesAdded",
                       g_variant_new ("(@o@a{sa{sv}})", vb_connect_path_value_for_obj (self, obj),
                                      object_interfaces (self, obj)));
}

static void
on_object_removed (VbBackend *backend, VbObj *obj, VbConnect *self)
{
  g_autoptr(GDBusConnection) connection = published_connection (self);
  GVariantBuilder names;

  /* Its skeletons stay for the sweep: GDBus may have dispatched a call to
   * one (its pointer as user data) that runs later in this iteration. */
  Materialized *m = g_hash_table_lookup (self->materialized, obj);

  withdraw_lists (self);
  if (m != NULL)
    stop_publishing (m);
  g_hash_table_remove (self->changes, obj);
  clear_list_cache (self, obj->kind);
  if (connection == NULL || !kind_served (self, obj->kind))
    return;
  g_variant_builder_init (&names, G_VARIANT_TYPE_STRING_ARRAY);
  for (guint slot = 0; slot < N_SLOTS; slot++) {
    GDBusInterfaceInfo *info = slot_info (self, obj->kind, slot);
    if (info != NULL)
      g_variant_builder_add (&names, "s", info->name);
  }
  emit_manager_signal (self, connection, "InterfacesRemoved",
                       g_variant_new ("(@oas)", vb_connect_path_value_for_obj (self, obj), &names));
}

/* PropertiesChanged: changes are collected per object and sent from an idle,
 * as gdbus-codegen's skeletons do, one signal per interface. */
static gboolean
flush_changes (gpointer user_data)
{
  VbConnect *self = user_data;
  g_autoptr(GHashTable) changes = g_steal_pointer (&self->changes);
  g_autoptr(GDBusConnection) connection = published_connection (self);
  GHashTableIter iter;
  gpointer key, value;

  self->changes = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref,
                                         (GDestroyNotify) g_ptr_array_unref);
  self->changes_id = 0;
  if (connection == NULL)
    return G_SOURCE_REMOVE;
  g_hash_table_iter_init (&iter, changes);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    VbObj *obj = key;

    if (obj->owner != self->backend)
      continue; /* removed meanwhile: InterfacesRemoved said it all */
    for (guint slot = 0; slot < N_SLOTS; slot++) {
      GDBusInterfaceInfo *info = slot_info (self, obj->kind, slot);
      GDBusInterfaceSkeleton *skeleton;
      GVariant *changed;
      g_autoptr(GError) error = NULL;

      if (info == NULL || info->properties == NULL || info->properties[0] == NULL)
        continue;
      skeleton = materialize (self, obj, slot);
      changed = skeleton ? vb_skeleton_changed_properties (skeleton, value) : NULL;
      if (changed == NULL)
        continue;
      if (!g_dbus_connection_emit_signal (connection, NULL, g_variant_get_string (vb_connect_path_value_for_obj (self, obj), NULL),
                                          "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                          g_variant_new ("(s@a{sv}@as)", info->name, changed, g_variant_new_strv (NULL, 0)), &error))
        g_warning ("cannot emit PropertiesChanged: %s", error->message);
    }
  }
  return G_SOURCE_REMOVE;
}

static void
on_object_changed (VbBackend *backend, VbObj *obj, GParamSpec *pspec, VbConnect *self)
{
  GPtrArray *names;

  if (!kind_served (self, obj->kind))
    return;
  /* Only objects with skeletons can have published properties. */
  if (g_hash_table_contains (self->materialized, obj))
    withdraw_properties (self, obj);
  /* Lists are in name order. */
  if (g_strcmp0 (pspec->name, "name") == 0)
    withdraw_lists (self);
  names = g_hash_table_lookup (self->changes, obj);
  if (names == NULL) {
    names = g_ptr_array_new ();
    g_hash_table_insert (self->changes, g_object_ref (obj), names);
  }
  /* pspec names are interned (G_PARAM_STATIC_STRINGS). */
  if (!g_ptr_array_find (names, pspec->name, NULL))
    g_ptr_array_add (names, (gpointer) pspec->name);
  if (self->changes_id == 0) {
    GSource *source = g_idle_source_new ();
    g_source_set_priority (source, G_PRIORITY_DEFAULT);
    g_source_set_callback (source, flush_changes, self, NULL);
    g_source_set_static_name (source, "[virtbus] PropertiesChanged");
    self->changes_id = g_source_attach (source, NULL);
    g_source_unref (source);
  }
}

/* ---- the subtrees ---- */

/* (GDBus hands introspect the node's path, dispatch the subtree's.) */
static VbObj *
node_obj (Subtree *st, const char *node)
{
  g_autofree char *path = NULL;

  if (node == NULL)
    return NULL;
  path = g_strconcat (st->root, "/", node, NULL);
  return vb_connect_obj_for_path (st->self, path, st->kind, NULL);
}

static char **
subtree_enumerate (GDBusConnection *connection, const char *sender, const char *object_path, gpointer user_data)
{
  Subtree *st = user_data;
  g_autoptr(GPtrArray) objs = g_ptr_array_new_with_free_func (g_object_unref);
  GPtrArray *nodes = g_ptr_array_new ();

  add_objects_of_kind (st->self, st->kind, objs);
  for (guint i = 0; i < objs->len; i++) {
    const char *path = g_variant_get_string (vb_connect_path_value_for_obj (st->self, objs->pdata[i]), NULL);
    g_ptr_array_add (nodes, g_strdup (strrchr (path, '/') + 1));
  }
  g_ptr_array_add (nodes, NULL);
  return (char **) g_ptr_array_free (nodes, FALSE);
}

static GDBusInterfaceInfo **
subtree_introspect (GDBusConnection *connection, const char *sender, const char *object_path, const char *node,
                    gpointer user_data)
{
  Subtree *st = user_data;
  GPtrArray *infos;

  if (node_obj (st, node) == NULL)
    return NULL;
  infos = g_ptr_array_new ();
  for (guint slot = 0; slot < N_SLOTS; slot++) {
    GDBusInterfaceInfo *info = slot_info (st->self, st->kind, slot);
    if (info != NULL)
      g_ptr_array_add (infos, g_dbus_interface_info_ref (info));
  }
  g_ptr_array_add (infos, NULL);
  return (GDBusInterfaceInfo **) g_ptr_array_free (infos, FALSE);
}

/* Calls on an object the backend could not ready (a definition file that
 * went bad on disk): once the gatekeeper let the caller in, every method,
 * Get and GetAll get that error. */
static void
on_unready_authorized (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data; /* consumed by the reply */
  Subtree *st = g_object_get_data (G_OBJECT (invocation), "vb-subtree");
  GError *error = NULL;
  VbObj *obj;

  if (!vb_gatekeeper_authorize_finish (VB_GATEKEEPER (source), result, &error)) {
    vb_invocation_return_gerror (invocation, error);
    return;
  }
  obj = vb_connect_obj_for_path (st->self, g_dbus_method_invocation_get_object_path (invocation), st->kind,
                                 &error);
  if (obj != NULL && vb_backend_prepare_object (st->self->backend, obj, &error))
    g_set_error (&error, VB_ERROR, VB_ERROR_FAILED, "%s was not ready; try again",
                 g_dbus_method_invocation_get_object_path (invocation));
  vb_invocation_return_gerror (invocation, error);
}

static void
unready_method_call (GDBusConnection *connection, const char *sender, const char *object_path,
                     const char *interface_name, const char *method_name, GVariant *parameters,
                     GDBusMethodInvocation *invocation, gpointer user_data)
{
  Subtree *st = user_data;

  /* Undefine needs no definition: a broken one can still be removed. */
  if (st->kind == VB_OBJ_DOMAIN && g_strcmp0 (interface_name, "org.libvirt.Domain") == 0 &&
      g_strcmp0 (method_name, "Undefine") == 0) {
    VbObj *obj = vb_connect_obj_for_path (st->self, object_path, st->kind, NULL);
    GDBusInterfaceSkeleton *skeleton = obj ? materialize (st->self, obj, 0) : NULL;
    if (skeleton != NULL) {
      /* Its gated vtable: authorized there like any call. */
      G_DBUS_INTERFACE_SKELETON_GET_CLASS (skeleton)->get_vtable (skeleton)->method_call (
        connection, sender, object_path, interface_name, method_name, parameters, invocation, skeleton);
      return;
    }
  }
  /* The subtree lives as long as the connection, which outlives calls. */
  g_object_set_data (G_OBJECT (invocation), "vb-subtree", user_data);
  vb_gatekeeper_authorize (vb_gatekeeper_get_default (connection), invocation, on_unready_authorized, invocation);
}

static const GDBusInterfaceVTable unready_vtable = {
  .method_call = unready_method_call,
};

static const GDBusInterfaceVTable *
subtree_dispatch (GDBusConnection *connection, const char *sender, const char *object_path,
                  const char *interface_name, const char *node, gpointer *out_user_data, gpointer user_data)
{
  Subtree *st = user_data;
  VbObj *obj = node_obj (st, node);
  GDBusInterfaceSkeleton *skeleton = NULL;

  if (obj == NULL)
    return NULL;
  if (!vb_backend_prepare_object (st->self->backend, obj, NULL)) {
    *out_user_data = st;
    return &unready_vtable;
  }
  for (guint slot = 0; slot < N_SLOTS && skeleton == NULL; slot++) {
    GDBusInterfaceInfo *info = slot_info (st->self, st->kind, slot);
    if (info != NULL && g_strcmp0 (info->name, interface_name) == 0)
      skeleton = materialize (st->self, obj, slot);
  }
  if (skeleton == NULL)
    return NULL;
  /* The skeleton's own (gated) vtable, with the skeleton as its data: the
   * sweep keeps it until the call has been dispatched. */
  *out_user_data = skeleton;
  return G_DBUS_INTERFACE_SKELETON_GET_CLASS (skeleton)->get_vtable (skeleton);
}

static const GDBusSubtreeVTable subtree_vtable = {
  .enumerate = subtree_enumerate,
  .introspect = subtree_introspect,
  .dispatch = subtree_dispatch,
};

static gboolean
register_subtrees (VbConnect *self, GError **error)
{
  for (VbObjKind kind = VB_OBJ_DOMAIN; kind <= VB_OBJ_NWFILTER; kind++) {
    Subtree *st = &self->subtrees[kind];

    st->self = self;
    st->kind = kind;
    if (!kind_served (self, kind))
      continue;
    st->root = vb_object_path_for_kind (self->path, path_kind (kind));
    /* Nodes are looked up, never enumerated, to dispatch a call (perf). */
    st->id = g_dbus_connection_register_subtree (self->connection, st->root, &subtree_vtable,
                                                 G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES, st, NULL,
                                                 error);
    if (st->id == 0)
      return FALSE;
  }
  return TRUE;
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
  g_signal_handlers_disconnect_by_data (self->backend, self);
  for (guint k = 0; k < G_N_ELEMENTS (self->subtrees); k++)
    if (self->subtrees[k].id != 0) {
      g_dbus_connection_unregister_subtree (self->connection, self->subtrees[k].id);
      self->subtrees[k].id = 0;
    }
  g_hash_table_remove_all (self->materialized);
  g_hash_table_remove_all (self->changes);
  withdraw_lists (self);
  for (guint k = 0; k < G_N_ELEMENTS (self->lists); k++)
    clear_list_cache (self, k);
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_clear_handle_id (&self->changes_id, g_source_remove);
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
vb_connect_new (VbBackend *backend, GDBusObjectManagerServer *manager, GDBusConnection *connection,
                GError **error)
{
  VbConnect *self = g_object_new (VB_TYPE_CONNECT, NULL);
  VbBackendClass *klass = VB_BACKEND_GET_CLASS (backend);
  g_autoptr(GError) local = NULL;
  g_autofree char *hostname = NULL;
  g_autoptr(GPtrArray) initial = g_ptr_array_new_with_free_func (g_object_unref);

  self->backend = g_object_ref (backend);
  self->manager = g_object_ref (manager);
  self->connection = g_object_ref (connection);
  self->path = vb_object_path_for_connect (vb_backend_get_driver (backend));
  self->virtbus_domain = vb_virtbus_domain_offered (self);

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
  g_signal_connect (backend, "object-changed", G_CALLBACK (on_object_changed), self);

  /* What the backend already holds is reachable at once through the
   * subtrees; announced only when the service is already published. */
  if (!register_subtrees (self, error)) {
    vb_connect_unexport (self);
    g_object_unref (self);
    return NULL;
  }
  {
    g_autoptr(GDBusConnection) published = published_connection (self);
    if (published != NULL) {
      g_autoptr(GPtrArray) objs = vb_connect_list_objects (self);
      for (guint i = 0; i < objs->len; i++)
        on_object_added (backend, g_ptr_array_index (objs, i), self);
    }
  }
  return self;
}
