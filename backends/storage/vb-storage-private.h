/* Shared between the pool (vb-storage-local.c) and volume
 * (vb-storage-volume.c) halves of local storage. */
#pragma once

#include "vb-error.h"
#include "vb-invocation.h"
#include "vb-path-policy.h"
#include "vb-storage-local.h"
#include "vb-storage-pool-def.h"
#include "vb-storage-probe.h"
#include "vb-storage-vol-def.h"
#include "vb-task.h"

G_BEGIN_DECLS

/* The per-connection state, kept on the backend object. */
typedef struct {
  VbStateDirs *dirs; /* config: definitions (+ autostart/), run: active pools */
  char *qemu_img;
} VbStorageLocal;

/* A disk pool's sizes, from its partition table. */
typedef struct {
  guint64 capacity, allocation, available;
} VbStorageDiskSizes;

/* pool->backend_data */
typedef struct {
  VbStorageDiskSizes disk_sizes; /* disk: as of the last read of its table */
  guint jobs;           /* volume jobs running in the pool */
  gboolean scanning;    /* starting or refreshing */
  gboolean mounting;    /* fs: mounting, unmounting or making its file system */
  GHashTable *building; /* names of the volumes being made */
  GPtrArray *waiters;   /* GTask: refreshes waiting for the running scan */
} VbStoragePool;

/* vol->backend_data */
typedef struct {
  guint busy;        /* jobs on the volume, or reading it */
  const char *what;  /* what the first of them is doing */
} VbStorageVol;

VbStorageLocal *vb_storage_local_get (VbBackend *backend);
VbStoragePool *vb_storage_pool (VbObj *pool);
VbStorageVol *vb_storage_vol (VbObj *vol);

/* Pools: live sizes from the file system the target lies on (a disk
 * pool's from its partition table). */
void vb_storage_pool_update_sizes (VbObj *pool);
/* Makes @pool's volumes @vols (VbStorageVolDef; volumes being made are
 * left alone); for a disk pool also its sizes (@sizes, else NULL). */
void vb_storage_pool_apply_volumes (VbBackend *backend, VbObj *pool, GPtrArray *vols,
                                    const VbStorageDiskSizes *sizes);

/* Volumes. */
VbObj *vb_storage_vol_add (VbBackend *backend, VbObj *pool, VbStorageVolDef *def);
/* Reads the volume's file again; removes the volume (and fails) when the
 * file is gone. */
gboolean vb_storage_vol_refresh (VbBackend *backend, VbObj *vol, GError **error);
/* A probed definition of the file @name in @pool's directory. */
VbStorageVolDef *vb_storage_vol_def_probe (VbObj *pool, const char *name, GError **error);
void vb_storage_volume_ops_init (VbStorageOpsInterface *iface);

/* Fails with NOT_AUTHORIZED when @creds (a caller that is not root) would
 * give @perms' file another owner or group than its own; @what names it. */
gboolean vb_storage_check_owner (const VbStoragePerms *perms, const VbCallerCreds *creds, const char *what,
                                 GError **error);

/* Pools of type fs (vb-storage-fs.c). */
const char *vb_storage_fs_device (const VbStoragePoolDef *def);
/* A source device path an fs or disk pool takes: absolute, without "..". */
gboolean vb_storage_device_path_valid (const char *device);
gboolean vb_storage_fs_check_def (const VbStoragePoolDef *def, const VbCallerCreds *creds, GError **error);
/* Is something mounted on @target (its real path)? */
gboolean vb_storage_fs_is_mounted (const char *target);
/* Each completes [void] (vb_storage_fs_finish); an error says what failed
 * and the tool's message. */
void vb_storage_fs_mount_async (const VbStoragePoolDef *def, GAsyncReadyCallback callback, gpointer user_data);
void vb_storage_fs_umount_async (const VbStoragePoolDef *def, GAsyncReadyCallback callback, gpointer user_data);
/* mkfs of the pool's <format>; unless @overwrite, only on a device where
 * blkid finds no file system. */
void vb_storage_fs_mkfs_async (const VbStoragePoolDef *def, gboolean overwrite, GAsyncReadyCallback callback,
                               gpointer user_data);
gboolean vb_storage_fs_finish (GAsyncResult *result, GError **error);

/* Pools of type disk (vb-storage-disk.c): a block device whose
 * partitions are the volumes. Each call blocks (sfdisk runs), so they run
 * in worker threads; the ones that read the table fill @vols
 * (VbStorageVolDef) and @sizes. */
const char *vb_storage_disk_label (const VbStoragePoolDef *def);
gboolean vb_storage_disk_check_def (const VbStoragePoolDef *def, const VbCallerCreds *creds, GError **error);
gboolean vb_storage_disk_scan (const VbStoragePoolDef *def, GPtrArray *vols, VbStorageDiskSizes *sizes,
                               GError **error);
/* Writes a new, empty partition table; unless @overwrite, only on a device
 * where blkid finds neither a table nor a file system. */
gboolean vb_storage_disk_build (const VbStoragePoolDef *def, gboolean overwrite, GError **error);
/* Wipes the partition table (the pool's Delete). */
gboolean vb_storage_disk_delete (const VbStoragePoolDef *def, GError **error);
gboolean vb_storage_disk_check_vol_format (const VbStoragePoolDef *def, VbStorageVolFormat format, GError **error);
/* A new partition of @capacity bytes named @name, which must be the name
 * the kernel will give it; returns that name. */
char *vb_storage_disk_create (const VbStoragePoolDef *def, const char *name, VbStorageVolFormat format,
                              guint64 capacity, GPtrArray *vols, VbStorageDiskSizes *sizes, GError **error);
gboolean vb_storage_disk_remove (const VbStoragePoolDef *def, const char *name, GPtrArray *vols,
                                 VbStorageDiskSizes *sizes, GError **error);

G_END_DECLS
