#include "vb-storage-ops.h"

#include "vb-error.h"
#include "vb-storage-pool-def.h"

G_DEFINE_INTERFACE (VbStorageOps, vb_storage_ops, VB_TYPE_BACKEND)

static void
vb_storage_ops_default_init (VbStorageOpsInterface *iface)
{
}

/* Stable listings: by volume name. */
static int
compare_by_name (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 ((*(VbObj *const *) a)->name, (*(VbObj *const *) b)->name);
}

gboolean
vb_storage_pool_check_duplicate (VbBackend *backend, const VbStoragePoolDef *def, VbObj **existing, GError **error)
{
  VbObj *by_uuid = vb_backend_lookup (backend, VB_OBJ_STORAGE_POOL, def->uuid);
  VbObj *by_name = vb_backend_lookup_by_name (backend, VB_OBJ_STORAGE_POOL, def->name);

  *existing = NULL;
  if (by_uuid != NULL && g_strcmp0 (by_uuid->name, def->name) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "pool '%s' is already defined with uuid %s", by_uuid->name,
                 def->uuid);
    return FALSE;
  }
  if (by_name != NULL && by_uuid == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "pool '%s' already exists with uuid %s", by_name->name,
                 by_name->uuid);
    return FALSE;
  }
  *existing = by_uuid;

  /* Two pools of one type on the same target would share volume keys
   * (not disk pools: their volumes are their device's partitions, and
   * their target is where every disk's are, /dev). */
  if (def->target_path != NULL && def->type != VB_STORAGE_POOL_DISK) {
    g_autoptr(GPtrArray) pools = vb_backend_list (backend, VB_OBJ_STORAGE_POOL);
    for (guint i = 0; i < pools->len; i++) {
      VbObj *other = g_ptr_array_index (pools, i);
      const VbStoragePoolDef *odef = other->def;
      if (other != by_uuid && odef->type == def->type && g_strcmp0 (odef->target_path, def->target_path) == 0) {
        g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "storage source conflict with pool '%s': both use %s",
                     other->name, def->target_path);
        return FALSE;
      }
    }
  }
  return TRUE;
}

gboolean
vb_storage_vol_resize_target (VbObj *vol, guint64 capacity, guint64 allocation, guint64 available, guint64 size,
                              guint flags, guint64 *target, GError **error)
{
  if (!(flags & VB_STORAGE_VOL_RESIZE_DELTA)) {
    *target = size;
  } else if (flags & VB_STORAGE_VOL_RESIZE_SHRINK) {
    /* Shrinking by more than the volume has stops at zero. */
    *target = size < capacity ? capacity - size : 0;
  } else {
    if (size > G_MAXUINT64 - capacity) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "growing volume '%s' by %" G_GUINT64_FORMAT
                   " bytes overflows", vol->name, size);
      return FALSE;
    }
    *target = capacity + size;
  }
  if (*target < capacity && !(flags & VB_STORAGE_VOL_RESIZE_SHRINK)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "cannot shrink volume '%s' from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT
                 " bytes without the SHRINK flag", vol->name, capacity, *target);
    return FALSE;
  }
  if ((flags & VB_STORAGE_VOL_RESIZE_ALLOCATE) && *target > allocation && *target - allocation > available) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED,
                 "not enough space left in pool '%s' to allocate %" G_GUINT64_FORMAT " more bytes",
                 vol->parent ? vol->parent->name : "?", *target - allocation);
    return FALSE;
  }
  return TRUE;
}

GPtrArray *
vb_storage_pool_sorted_volumes (VbObj *pool)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  if (pool->children != NULL) {
    g_hash_table_iter_init (&iter, pool->children);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      g_ptr_array_add (list, g_object_ref (value));
  }
  g_ptr_array_sort (list, compare_by_name);
  return list;
}
