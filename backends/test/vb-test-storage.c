/* The test backend's storage pools and volumes: libvirt's test:///default
 * "default-pool", and pools/volumes kept in memory only (no file is ever
 * created). A destroyed pool keeps its volumes "on disk" (the pool's
 * stash) and shows them again when started, as a real directory would;
 * Delete on an inactive pool throws them away. */
#include "vb-test-private.h"

#include "vb-error.h"
#include "vb-storage-pool-def.h"
#include "vb-storage-vol-def.h"

#define GIB (G_GUINT64_CONSTANT (1024) * 1024 * 1024)
/* Every test pool has this much room, as in libvirt's test driver. */
#define TEST_POOL_CAPACITY (100 * GIB)

#define DEFAULT_POOL_XML                               \
  "<pool type='dir'>"                                  \
  "<name>default-pool</name>"                          \
  "<uuid>dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566</uuid>"  \
  "<target><path>/default-pool</path></target>"        \
  "</pool>"

/* libvirt's virStoragePoolDefineFlags: VALIDATE (our parser is always strict). */
#define POOL_DEFINE_VALIDATE (1 << 0)

typedef struct {
  GPtrArray *stash; /* VbStorageVolDef: the volumes of the pool while it is inactive */
} TestPool;

static void
test_pool_free (gpointer data)
{
  TestPool *tp = data;

  g_ptr_array_unref (tp->stash);
  g_free (tp);
}

static TestPool *
test_pool (VbObj *pool)
{
  if (pool->backend_data == NULL) {
    TestPool *tp = g_new0 (TestPool, 1);
    tp->stash = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_storage_vol_def_free);
    pool->backend_data = tp;
    pool->backend_data_free = test_pool_free;
  }
  return pool->backend_data;
}

static VbStoragePoolDef *
pool_def (VbObj *pool)
{
  return pool->def;
}

static VbStorageVolDef *
vol_def (VbObj *vol)
{
  return vol->def;
}

static void
return_error (GTask *task, int code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
return_error (GTask *task, int code, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_task_return_new_error (task, VB_ERROR, code, "%s", message);
}

static gboolean
check_flags (GTask *task, guint flags, guint allowed, const char *method)
{
  GError *error = NULL;

  if (vb_check_flags (flags, allowed, method, &error))
    return TRUE;
  g_task_return_error (task, error);
  return FALSE;
}

static gboolean
check_active (GTask *task, VbObj *pool, gboolean want_active)
{
  if (pool->active == want_active)
    return TRUE;
  return_error (task, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is %s", pool->name,
                pool->active ? "active" : "not active");
  return FALSE;
}

/* Pool sizes follow the volumes: allocation is what they take. */
static void
update_pool_sizes (VbObj *pool)
{
  VbStoragePoolDef *def = pool_def (pool);
  guint64 allocation = 0;
  GHashTableIter iter;
  gpointer value;

  if (pool->children != NULL) {
    g_hash_table_iter_init (&iter, pool->children);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      allocation += vol_def (value)->allocation;
  }
  def->capacity = TEST_POOL_CAPACITY;
  def->allocation = allocation;
  def->available = allocation < def->capacity ? def->capacity - allocation : 0;
}

/* ---- volumes ---- */

static char *
vol_path_in (VbObj *pool, const char *name)
{
  const VbStoragePoolDef *def = pool_def (pool);

  /* Pools without a local target (rbd, gluster, …) name volumes
   * <pool>/<volume>, as libvirt does for network pools. */
  if (def->target_path == NULL)
    return g_strdup_printf ("%s/%s", def->source.name ? def->source.name : pool->name, name);
  return g_build_filename (def->target_path, name, NULL);
}

/* Registers @def (taken) as a volume of the active @pool. */
static VbObj *
add_volume (VbTestBackend *self, VbObj *pool, VbStorageVolDef *def)
{
  VbObj *vol = vb_obj_new (VB_OBJ_STORAGE_VOL, def->name, NULL, def, (GDestroyNotify) vb_storage_vol_def_free);

  vb_obj_set_key (vol, def->key);
  vb_obj_set_path (vol, def->path);
  vol->parent = pool;
  vb_backend_add_object (VB_BACKEND (self), vol);
  g_object_unref (vol); /* the registry and the pool hold it */
  return vol;
}

/* Brings the stashed volumes of @pool back (at start). */
static void
restore_volumes (VbTestBackend *self, VbObj *pool)
{
  TestPool *tp = test_pool (pool);
  g_autoptr(GPtrArray) stash = g_steal_pointer (&tp->stash);

  tp->stash = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_storage_vol_def_free);
  for (guint i = 0; i < stash->len; i++) {
    VbStorageVolDef *def = g_ptr_array_index (stash, i);
    /* A key taken meanwhile (another pool type on the same target) keeps
     * this one hidden rather than shadowing it. */
    if (vb_backend_lookup_volume (VB_BACKEND (self), def->key) != NULL)
      g_ptr_array_add (tp->stash, vb_storage_vol_def_copy (def));
    else
      add_volume (self, pool, vb_storage_vol_def_copy (def));
  }
  update_pool_sizes (pool);
}

/* Unregisters the volumes of @pool (at stop), keeping them when @keep. */
static void
drop_volumes (VbTestBackend *self, VbObj *pool, gboolean keep)
{
  g_autoptr(GList) children = NULL;

  if (pool->children == NULL)
    return;
  children = g_hash_table_get_values (pool->children);
  for (GList *l = children; l != NULL; l = l->next) {
    if (keep)
      g_ptr_array_add (test_pool (pool)->stash, vb_storage_vol_def_copy (vol_def (l->data)));
    vb_backend_remove_object (VB_BACKEND (self), l->data);
  }
}

/* ---- pools ---- */

static VbObj *
new_pool (VbStoragePoolDef *def)
{
  VbObj *pool = vb_obj_new (VB_OBJ_STORAGE_POOL, def->name, def->uuid, def,
                            (GDestroyNotify) vb_storage_pool_def_free);
  test_pool (pool);
  update_pool_sizes (pool);
  return pool;
}

static VbStoragePoolDef *
parse_pool (const char *xml, GError **error)
{
  g_autoptr(VbStoragePoolDef) def = vb_storage_pool_def_parse (xml, error);

  if (def == NULL)
    return NULL;
  if (def->name == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "missing pool <name>");
    return NULL;
  }
  return g_steal_pointer (&def);
}

static void
test_pool_define_xml (VbBackend *backend, const char *xml, guint flags, GTask *task)
{
  GError *error = NULL;
  g_autoptr(VbStoragePoolDef) def = NULL;
  VbObj *pool;

  if (!check_flags (task, flags, POOL_DEFINE_VALIDATE, "StoragePoolDefineXML"))
    return;
  def = parse_pool (xml, &error);
  if (def == NULL || !vb_storage_pool_check_duplicate (backend, def, &pool, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (pool != NULL) {
    /* Redefinition: a running pool keeps its live config until stopped. */
    def->capacity = pool_def (pool)->capacity;
    if (pool->active) {
      vb_obj_set_newdef (pool, g_steal_pointer (&def));
    } else {
      vb_obj_set_def (pool, g_steal_pointer (&def));
      update_pool_sizes (pool);
    }
    vb_obj_set_persistent (pool, TRUE);
  } else {
    pool = new_pool (g_steal_pointer (&def));
    pool->persistent = TRUE;
    vb_backend_add_object (backend, pool);
    g_object_unref (pool);
  }
  vb_backend_emit_event (backend, pool, VB_STORAGE_POOL_EVENT_DEFINED, 0);
  g_task_return_pointer (task, g_object_ref (pool), g_object_unref);
}

static void
test_pool_create_xml (VbBackend *backend, const char *xml, guint flags, GTask *task)
{
  GError *error = NULL;
  g_autoptr(VbStoragePoolDef) def = NULL;
  VbObj *pool;

  if (!check_flags (task, flags, 0, "StoragePoolCreateXML"))
    return;
  def = parse_pool (xml, &error);
  if (def == NULL || !vb_storage_pool_check_duplicate (backend, def, &pool, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (pool != NULL) {
    return_error (task, VB_ERROR_EXISTS, "pool '%s' already exists with uuid %s", pool->name, pool->uuid);
    return;
  }
  pool = new_pool (g_steal_pointer (&def));
  pool->active = TRUE;
  vb_backend_add_object (backend, pool);
  g_object_unref (pool);
  vb_backend_emit_event (backend, pool, VB_STORAGE_POOL_EVENT_STARTED, 0);
  g_task_return_pointer (task, g_object_ref (pool), g_object_unref);
}

static void
test_find_pool_sources (VbBackend *backend, const char *type, const char *src_spec, guint flags, GTask *task)
{
  GError *error = NULL;
  int pool_type = vb_storage_pool_type_from_string (type);
  g_autoptr(VbStoragePoolSource) spec = NULL;
  g_autoptr(VbStoragePoolSourceList) list = NULL;

  if (!check_flags (task, flags, 0, "FindStoragePoolSources"))
    return;
  if (pool_type < 0) {
    return_error (task, VB_ERROR_INVALID_ARG, "unknown storage pool type '%s'", type);
    return;
  }
  if (pool_type != VB_STORAGE_POOL_LOGICAL && pool_type != VB_STORAGE_POOL_NETFS) {
    return_error (task, VB_ERROR_NOT_SUPPORTED, "finding sources of '%s' pools is not supported", type);
    return;
  }
  if (src_spec != NULL) {
    spec = vb_storage_pool_source_parse (pool_type, src_spec, &error);
    if (spec == NULL) {
      g_task_return_error (task, error);
      return;
    }
  }

  list = vb_storage_pool_source_list_new (pool_type);
  if (pool_type == VB_STORAGE_POOL_LOGICAL) {
    /* The two volume groups libvirt's test driver reports. */
    for (guint i = 0; i < 2; i++) {
      g_autofree char *xml = g_strdup_printf ("<source><device path='/dev/sda2%u'/><name>testvg%u</name>"
                                              "<format type='lvm2'/></source>", i, i + 1);
      VbStoragePoolSource *src = vb_storage_pool_source_parse (pool_type, xml, &error);
      if (src == NULL) {
        g_task_return_error (task, error);
        return;
      }
      vb_storage_pool_source_list_add (list, src);
    }
  } else {
    VbStoragePoolSource *src;
    if (spec == NULL || spec->hosts->len == 0) {
      return_error (task, VB_ERROR_INVALID_ARG, "hostname must be specified for netfs sources");
      return;
    }
    /* One NFS export on the host asked about. */
    src = vb_storage_pool_source_copy (spec);
    g_free (src->dir);
    src->dir = g_strdup ("/testshare");
    src->format = VB_STORAGE_POOL_FORMAT_NFS;
    vb_storage_pool_source_list_add (list, src);
  }
  g_task_return_pointer (task, vb_storage_pool_source_list_format (list), g_free);
}

static gboolean
test_pool_set_autostart (VbBackend *backend, VbObj *pool, gboolean autostart, GError **error)
{
  if (!pool->persistent) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "transient pool '%s' cannot be autostarted",
                 pool->name);
    return FALSE;
  }
  vb_obj_set_autostart (pool, autostart);
  return TRUE;
}

static void
test_pool_build (VbBackend *backend, VbObj *pool, guint flags, GTask *task)
{
  if (!check_flags (task, flags, 0, "Build") || !check_active (task, pool, FALSE))
    return;
  vb_backend_emit_event (backend, pool, VB_STORAGE_POOL_EVENT_CREATED, 0);
  g_task_return_boolean (task, TRUE);
}

static void
test_pool_create (VbBackend *backend, VbObj *pool, guint flags, GTask *task)
{
  if (!check_flags (task, flags, 0, "Create") || !check_active (task, pool, FALSE))
    return;
  vb_obj_set_active (pool, TRUE);
  restore_volumes (VB_TEST_BACKEND (backend), pool);
  vb_backend_emit_event (backend, pool, VB_STORAGE_POOL_EVENT_STARTED, 0);
  g_task_return_boolean (task, TRUE);
}

static void
test_pool_delete (VbBackend *backend, VbObj *pool, guint flags, GTask *task)
{
  if (!check_flags (task, flags, 0, "Delete") || !check_active (task, pool, FALSE))
    return;
  /* The pool's storage is gone, and with it the volumes. */
  g_ptr_array_set_size (test_pool (pool)->stash, 0);
  vb_backend_emit_event (backend, pool, VB_STORAGE_POOL_EVENT_DELETED, 0);
  g_task_return_boolean (task, TRUE);
}

static void
test_pool_destroy (VbBackend *backend, VbObj *pool, GTask *task)
{
  g_autoptr(VbObj) keep = g_object_ref (pool);

  if (!check_active (task, pool, TRUE))
    return;
  /* An inactive pool lists no volumes: they leave the bus. */
  drop_volumes (VB_TEST_BACKEND (backend), pool, pool->persistent);
  vb_obj_set_active (pool, FALSE);
  if (pool->newdef != NULL) {
    gpointer newdef = g_steal_pointer (&pool->newdef);
    vb_obj_set_def (pool, newdef);
  }
  update_pool_sizes (pool);
  vb_backend_emit_event (backend, pool, VB_STORAGE_POOL_EVENT_STOPPED, 0);
  if (!pool->persistent)
    vb_backend_remove_object (backend, pool);
  g_task_return_boolean (task, TRUE);
}

static void
test_pool_get_info (VbBackend *backend, VbObj *pool, GTask *task)
{
  const VbStoragePoolDef *def = pool_def (pool);
  GVariant *info = g_variant_new ("(ittt)",
                                  pool->active ? VB_STORAGE_POOL_STATE_RUNNING : VB_STORAGE_POOL_STATE_INACTIVE,
                                  def->capacity, def->allocation, def->available);

  g_task_return_pointer (task, g_variant_ref_sink (info), (GDestroyNotify) g_variant_unref);
}

static void
test_pool_get_xml_desc (VbBackend *backend, VbObj *pool, guint flags, GTask *task)
{
  const VbStoragePoolDef *def;

  if (!check_flags (task, flags, VB_STORAGE_XML_INACTIVE, "GetXMLDesc"))
    return;
  def = (flags & VB_STORAGE_XML_INACTIVE) ? vb_obj_get_persistent_def (pool) : pool->def;
  g_task_return_pointer (task, vb_storage_pool_def_format (def, flags), g_free);
}

static void
test_pool_list_volumes (VbBackend *backend, VbObj *pool, guint flags, GTask *task)
{
  if (!check_flags (task, flags, 0, "ListStorageVolumes") || !check_active (task, pool, TRUE))
    return;
  g_task_return_pointer (task, vb_storage_pool_sorted_volumes (pool), (GDestroyNotify) g_ptr_array_unref);
}

static void
test_pool_refresh (VbBackend *backend, VbObj *pool, guint flags, GTask *task)
{
  if (!check_flags (task, flags, 0, "Refresh") || !check_active (task, pool, TRUE))
    return;
  update_pool_sizes (pool);
  vb_backend_emit_pool_refresh (backend, pool);
  g_task_return_boolean (task, TRUE);
}

static void
test_pool_undefine (VbBackend *backend, VbObj *pool, GTask *task)
{
  g_autoptr(VbObj) keep = g_object_ref (pool);

  if (!check_active (task, pool, FALSE))
    return;
  vb_backend_emit_event (backend, pool, VB_STORAGE_POOL_EVENT_UNDEFINED, 0);
  vb_backend_remove_object (backend, pool);
  g_task_return_boolean (task, TRUE);
}

/* Parses a new volume for @pool and fills in what the pool decides: path,
 * key, type and default format. */
static VbStorageVolDef *
prepare_volume (VbObj *pool, const char *xml, GTask *task)
{
  GError *error = NULL;
  g_autoptr(VbStorageVolDef) def = NULL;
  VbStoragePoolType type = pool_def (pool)->type;

  if (!check_active (task, pool, TRUE))
    return NULL;
  def = vb_storage_vol_def_parse (xml, &error);
  if (def == NULL) {
    g_task_return_error (task, error);
    return NULL;
  }
  if (vb_obj_lookup_child (pool, def->name) != NULL) {
    return_error (task, VB_ERROR_EXISTS, "storage volume '%s' already exists in pool '%s'", def->name,
                  pool->name);
    return NULL;
  }
  g_free (def->path);
  def->path = vol_path_in (pool, def->name);
  g_free (def->key);
  def->key = g_strdup (def->path);
  if (type == VB_STORAGE_POOL_DIR || type == VB_STORAGE_POOL_FS || type == VB_STORAGE_POOL_NETFS) {
    def->type = VB_STORAGE_VOL_FILE;
    if (def->format == VB_STORAGE_VOL_FORMAT_DEFAULT)
      def->format = VB_STORAGE_VOL_FORMAT_RAW;
  } else if (type == VB_STORAGE_POOL_RBD || type == VB_STORAGE_POOL_GLUSTER || type == VB_STORAGE_POOL_SHEEPDOG) {
    def->type = VB_STORAGE_VOL_NETWORK;
  } else {
    def->type = VB_STORAGE_VOL_BLOCK;
  }
  return g_steal_pointer (&def);
}

/* Accounts a new volume in its pool, refusing one that does not fit. */
static VbObj *
commit_volume (VbBackend *backend, VbObj *pool, VbStorageVolDef *def_in, GTask *task)
{
  g_autoptr(VbStorageVolDef) def = def_in;
  VbObj *vol;

  if (!def->has_allocation || def->allocation > def->capacity) {
    def->allocation = def->capacity;
    def->has_allocation = TRUE;
  }
  if (def->allocation > pool_def (pool)->available) {
    return_error (task, VB_ERROR_FAILED,
                  "not enough free space in pool '%s' for volume '%s': %" G_GUINT64_FORMAT
                  " bytes needed, %" G_GUINT64_FORMAT " available",
                  pool->name, def->name, def->allocation, pool_def (pool)->available);
    return NULL;
  }
  if (vb_backend_lookup_volume (backend, def->key) != NULL) {
    return_error (task, VB_ERROR_EXISTS, "a storage volume with key '%s' already exists", def->key);
    return NULL;
  }
  vol = add_volume (VB_TEST_BACKEND (backend), pool, g_steal_pointer (&def));
  update_pool_sizes (pool);
  return vol;
}

static void
test_vol_create_xml (VbBackend *backend, VbObj *pool, const char *xml, guint flags, GTask *task)
{
  VbStorageVolDef *def;
  VbObj *vol;

  if (!check_flags (task, flags, 0, "StorageVolCreateXML"))
    return;
  def = prepare_volume (pool, xml, task);
  if (def == NULL)
    return;
  if (!def->has_capacity) {
    return_error (task, VB_ERROR_XML, "volume '%s' has no <capacity>", def->name);
    vb_storage_vol_def_free (def);
    return;
  }
  vol = commit_volume (backend, pool, def, task);
  if (vol != NULL)
    g_task_return_pointer (task, g_object_ref (vol), g_object_unref);
}

static void
test_vol_create_xml_from (VbBackend *backend, VbObj *pool, const char *xml, VbObj *source, guint flags,
                          GTask *task)
{
  const VbStorageVolDef *orig = vol_def (source);
  VbStorageVolDef *def;
  VbObj *vol;

  if (!check_flags (task, flags, 0, "StorageVolCreateXMLFrom"))
    return;
  def = prepare_volume (pool, xml, task);
  if (def == NULL)
    return;
  /* A clone is never smaller than its origin. */
  if (!def->has_capacity || def->capacity < orig->capacity) {
    def->capacity = orig->capacity;
    def->has_capacity = TRUE;
  }
  vol = commit_volume (backend, pool, def, task);
  if (vol != NULL)
    g_task_return_pointer (task, g_object_ref (vol), g_object_unref);
}

static void
test_vol_lookup_by_name (VbBackend *backend, VbObj *pool, const char *name, GTask *task)
{
  VbObj *vol;
  GError *error = NULL;

  if (!check_active (task, pool, TRUE))
    return;
  vol = vb_obj_lookup_child (pool, name);
  if (vol == NULL) {
    g_autofree char *what = g_strdup_printf ("no storage vol with matching name '%s'", name);
    vb_set_not_found (&error, VB_OBJ_STORAGE_VOL, what);
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, g_object_ref (vol), g_object_unref);
}

static void
test_vol_delete (VbBackend *backend, VbObj *vol, guint flags, GTask *task)
{
  VbObj *pool = vol->parent;

  if (!check_flags (task, flags, 0, "Delete"))
    return;
  vb_backend_remove_object (backend, vol);
  update_pool_sizes (pool);
  g_task_return_boolean (task, TRUE);
}

static void
test_vol_get_info (VbBackend *backend, VbObj *vol, guint flags, GTask *task)
{
  const VbStorageVolDef *def = vol_def (vol);
  GVariant *info;

  if (!check_flags (task, flags, VB_STORAGE_VOL_GET_PHYSICAL, "GetInfo"))
    return;
  /* In memory, a volume's physical size is what it allocates. */
  info = g_variant_new ("(itt)", (int) def->type, def->capacity, def->allocation);
  g_task_return_pointer (task, g_variant_ref_sink (info), (GDestroyNotify) g_variant_unref);
}

static void
test_vol_get_xml_desc (VbBackend *backend, VbObj *vol, guint flags, GTask *task)
{
  if (!check_flags (task, flags, 0, "GetXMLDesc"))
    return;
  g_task_return_pointer (task, vb_storage_vol_def_format (vol_def (vol), 0), g_free);
}

static void
test_vol_resize (VbBackend *backend, VbObj *vol, guint64 capacity, guint flags, GTask *task)
{
  GError *error = NULL;
  VbStorageVolDef *def = vol_def (vol);
  VbStoragePoolDef *pdef = pool_def (vol->parent);
  guint64 target;

  if (!check_flags (task, flags,
                    VB_STORAGE_VOL_RESIZE_ALLOCATE | VB_STORAGE_VOL_RESIZE_DELTA | VB_STORAGE_VOL_RESIZE_SHRINK,
                    "Resize"))
    return;

  if (!vb_storage_vol_resize_target (vol, def->capacity, def->allocation, pdef->available, capacity, flags, &target,
                                     &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (target < def->allocation) {
    return_error (task, VB_ERROR_INVALID_ARG,
                  "cannot shrink volume '%s' to %" G_GUINT64_FORMAT " bytes, below its allocation of %"
                  G_GUINT64_FORMAT " bytes", vol->name, target, def->allocation);
    return;
  }

  def->capacity = target;
  def->has_capacity = TRUE;
  if (flags & VB_STORAGE_VOL_RESIZE_ALLOCATE)
    def->allocation = target;
  update_pool_sizes (vol->parent);
  g_task_return_boolean (task, TRUE);
}

static void
test_vol_wipe (VbBackend *backend, VbObj *vol, guint pattern, guint flags, GTask *task)
{
  if (!check_flags (task, flags, 0, "Wipe"))
    return;
  if (pattern >= VB_STORAGE_VOL_WIPE_ALG_LAST) {
    return_error (task, VB_ERROR_INVALID_ARG, "wiping algorithm %u is not supported (0 to %d)", pattern,
                  VB_STORAGE_VOL_WIPE_ALG_LAST - 1);
    return;
  }
  /* In memory there is no data to overwrite. */
  g_task_return_boolean (task, TRUE);
}

void
vb_test_storage_ops_init (VbStorageOpsInterface *iface)
{
  iface->pool_create_xml = test_pool_create_xml;
  iface->pool_define_xml = test_pool_define_xml;
  iface->find_pool_sources = test_find_pool_sources;
  iface->set_autostart = test_pool_set_autostart;
  iface->build = test_pool_build;
  iface->create = test_pool_create;
  iface->delete = test_pool_delete;
  iface->destroy = test_pool_destroy;
  iface->get_info = test_pool_get_info;
  iface->get_xml_desc = test_pool_get_xml_desc;
  iface->list_volumes = test_pool_list_volumes;
  iface->refresh = test_pool_refresh;
  iface->vol_create_xml = test_vol_create_xml;
  iface->vol_create_xml_from = test_vol_create_xml_from;
  iface->vol_lookup_by_name = test_vol_lookup_by_name;
  iface->undefine = test_pool_undefine;
  iface->vol_delete = test_vol_delete;
  iface->vol_get_info = test_vol_get_info;
  iface->vol_get_xml_desc = test_vol_get_xml_desc;
  iface->vol_resize = test_vol_resize;
  iface->vol_wipe = test_vol_wipe;
}

gboolean
vb_test_storage_populate (VbTestBackend *self, GError **error)
{
  VbStoragePoolDef *def = vb_storage_pool_def_parse (DEFAULT_POOL_XML, error);
  VbObj *pool;

  if (def == NULL)
    return FALSE;
  pool = new_pool (def);
  pool->active = TRUE;
  pool->persistent = TRUE;
  vb_backend_add_object (VB_BACKEND (self), pool);
  g_object_unref (pool);
  return TRUE;
}
