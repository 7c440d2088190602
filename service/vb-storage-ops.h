/* VbStorageOps: what a backend implements to manage storage pools and their
 * volumes. One entry per operation of org.libvirt.StoragePool,
 * org.libvirt.StorageVol and the storage part of org.libvirt.Connect that
 * needs the backend (listing and lookups are answered by the service from
 * the object registry).
 *
 * Calling convention as in vb-domain-ops.h: plain C values with libvirt's
 * meaning in, @task completed as the bracket says:
 *   [void] g_task_return_boolean (task, TRUE)
 *   [s]    g_task_return_pointer (task, char *, g_free)
 *   [o]    g_task_return_pointer (task, g_object_ref (VbObj *), g_object_unref)
 *   [ao]   g_task_return_pointer (task, GPtrArray of owned VbObj *, g_ptr_array_unref)
 *   [T]    g_task_return_pointer (task, g_variant_ref_sink (value of D-Bus type T), g_variant_unref)
 * or g_task_return_error() with a VB_ERROR. A NULL entry means "not
 * supported by this backend".
 */
#pragma once

#include "vb-backend.h"
#include "vb-storage-pool-def.h"

G_BEGIN_DECLS

/* libvirt's virStoragePoolEventLifecycleType (the detail is always 0). */
typedef enum {
  VB_STORAGE_POOL_EVENT_DEFINED = 0,
  VB_STORAGE_POOL_EVENT_UNDEFINED = 1,
  VB_STORAGE_POOL_EVENT_STARTED = 2,
  VB_STORAGE_POOL_EVENT_STOPPED = 3,
  VB_STORAGE_POOL_EVENT_CREATED = 4,
  VB_STORAGE_POOL_EVENT_DELETED = 5,
} VbStoragePoolEvent;

/* libvirt's virStoragePoolState, the first member of GetInfo. */
typedef enum {
  VB_STORAGE_POOL_STATE_INACTIVE = 0,
  VB_STORAGE_POOL_STATE_BUILDING = 1,
  VB_STORAGE_POOL_STATE_RUNNING = 2,
  VB_STORAGE_POOL_STATE_DEGRADED = 3,
  VB_STORAGE_POOL_STATE_INACCESSIBLE = 4,
} VbStoragePoolState;

/* libvirt's virConnectListAllStoragePoolsFlags. */
typedef enum {
  VB_STORAGE_POOL_LIST_INACTIVE = 1 << 0,
  VB_STORAGE_POOL_LIST_ACTIVE = 1 << 1,
  VB_STORAGE_POOL_LIST_PERSISTENT = 1 << 2,
  VB_STORAGE_POOL_LIST_TRANSIENT = 1 << 3,
  VB_STORAGE_POOL_LIST_AUTOSTART = 1 << 4,
  VB_STORAGE_POOL_LIST_NO_AUTOSTART = 1 << 5,
  /* Pool types: DIR << 0 … ISCSI_DIRECT << 13. */
  VB_STORAGE_POOL_LIST_DIR = 1 << 6,
  VB_STORAGE_POOL_LIST_FS = 1 << 7,
  VB_STORAGE_POOL_LIST_NETFS = 1 << 8,
  VB_STORAGE_POOL_LIST_LOGICAL = 1 << 9,
  VB_STORAGE_POOL_LIST_DISK = 1 << 10,
  VB_STORAGE_POOL_LIST_ISCSI = 1 << 11,
  VB_STORAGE_POOL_LIST_SCSI = 1 << 12,
  VB_STORAGE_POOL_LIST_MPATH = 1 << 13,
  VB_STORAGE_POOL_LIST_RBD = 1 << 14,
  VB_STORAGE_POOL_LIST_SHEEPDOG = 1 << 15,
  VB_STORAGE_POOL_LIST_GLUSTER = 1 << 16,
  VB_STORAGE_POOL_LIST_ZFS = 1 << 17,
  VB_STORAGE_POOL_LIST_VSTORAGE = 1 << 18,
  VB_STORAGE_POOL_LIST_ISCSI_DIRECT = 1 << 19,
  VB_STORAGE_POOL_LIST_ALL_FLAGS = (1 << 20) - 1,
} VbStoragePoolListFlags;

/* libvirt's virStorageVolResizeFlags. */
typedef enum {
  VB_STORAGE_VOL_RESIZE_ALLOCATE = 1 << 0,
  VB_STORAGE_VOL_RESIZE_DELTA = 1 << 1,
  VB_STORAGE_VOL_RESIZE_SHRINK = 1 << 2,
} VbStorageVolResizeFlags;

/* libvirt's virStorageVolWipeAlgorithm: ZERO (0) … TRIM (9). */
#define VB_STORAGE_VOL_WIPE_ALG_LAST 10

/* libvirt's virStorageVolInfoFlags. */
#define VB_STORAGE_VOL_GET_PHYSICAL (1 << 0)

#define VB_TYPE_STORAGE_OPS (vb_storage_ops_get_type ())
G_DECLARE_INTERFACE (VbStorageOps, vb_storage_ops, VB, STORAGE_OPS, VbBackend)

typedef void (*VbStoragePoolFlagsOp) (VbBackend *backend, VbObj *pool, guint flags, GTask *task);
typedef void (*VbStoragePoolOp) (VbBackend *backend, VbObj *pool, GTask *task);
typedef void (*VbStorageVolFlagsOp) (VbBackend *backend, VbObj *vol, guint flags, GTask *task);

struct _VbStorageOpsInterface {
  GTypeInterface parent_iface;

  /* ---- org.libvirt.Connect ---- */
  void (*pool_create_xml) (VbBackend *backend, const char *xml, guint flags, GTask *task); /* [o] */
  void (*pool_define_xml) (VbBackend *backend, const char *xml, guint flags, GTask *task); /* [o] */
  /* @src_spec may be NULL. */
  void (*find_pool_sources) (VbBackend *backend, const char *type, const char *src_spec, guint flags,
                             GTask *task); /* [s] */

  /* ---- org.libvirt.StoragePool ---- */
  gboolean (*set_autostart) (VbBackend *backend, VbObj *pool, gboolean autostart, GError **error);
  VbStoragePoolFlagsOp build;          /* [void] */
  VbStoragePoolFlagsOp create;         /* [void] */
  VbStoragePoolFlagsOp delete;         /* [void] */
  VbStoragePoolOp destroy;             /* [void] */
  VbStoragePoolOp get_info;            /* [(ittt)] state, capacity, allocation, available */
  VbStoragePoolFlagsOp get_xml_desc;   /* [s] */
  VbStoragePoolFlagsOp list_volumes;   /* [ao] */
  VbStoragePoolFlagsOp refresh;        /* [void] */
  void (*vol_create_xml) (VbBackend *backend, VbObj *pool, const char *xml, guint flags, GTask *task); /* [o] */
  /* @source is the volume to clone (any pool). */
  void (*vol_create_xml_from) (VbBackend *backend, VbObj *pool, const char *xml, VbObj *source, guint flags,
                               GTask *task); /* [o] */
  void (*vol_lookup_by_name) (VbBackend *backend, VbObj *pool, const char *name, GTask *task); /* [o] */
  VbStoragePoolOp undefine;            /* [void] */

  /* ---- org.libvirt.StorageVol (vol->parent is the pool) ---- */
  VbStorageVolFlagsOp vol_delete;      /* [void] */
  VbStorageVolFlagsOp vol_get_info;    /* [(itt)] type, capacity, allocation */
  VbStorageVolFlagsOp vol_get_xml_desc; /* [s] */
  void (*vol_resize) (VbBackend *backend, VbObj *vol, guint64 capacity, guint flags, GTask *task); /* [void] */
  void (*vol_wipe) (VbBackend *backend, VbObj *vol, guint pattern, guint flags, GTask *task); /* [void] */
};

/* ---- helpers for the backends ---- */

/* libvirt's duplicate rules for a pool definition: a uuid belongs to one
 * name and a name to one uuid, and two pools of one type do not share a
 * target. @existing: the pool with the same uuid and name, if any. */
gboolean vb_storage_pool_check_duplicate (VbBackend *backend, const VbStoragePoolDef *def,
                                          VbObj **existing, GError **error);
/* Resize's new capacity of @vol (now @capacity bytes, @allocation of them
 * taken, @available left in its pool) for @size and libvirt's
 * VbStorageVolResizeFlags @flags, with libvirt's refusals. */
gboolean vb_storage_vol_resize_target (VbObj *vol, guint64 capacity, guint64 allocation, guint64 available,
                                       guint64 size, guint flags, guint64 *target, GError **error);
/* The volumes of @pool (new references), by name. */
GPtrArray *vb_storage_pool_sorted_volumes (VbObj *pool);

G_END_DECLS
