/* Storage volume XML (<volume>, libvirt's storagevol.rng) as a typed
 * structure. Sizes are in bytes. Formatting takes VbStorageXmlFlags
 * (VB_STORAGE_XML_INACTIVE leaves out key, timestamps and extents).
 */
#pragma once

#include <glib.h>

#include "vb-storage-pool-def.h"

G_BEGIN_DECLS

typedef enum {
  VB_STORAGE_VOL_FILE,
  VB_STORAGE_VOL_BLOCK,
  VB_STORAGE_VOL_DIR,
  VB_STORAGE_VOL_NETWORK,
  VB_STORAGE_VOL_NETDIR,
  VB_STORAGE_VOL_PLOOP,
  VB_STORAGE_VOL_TYPE_LAST
} VbStorageVolType;

/* <format type='…'/>: file formats, then file system and partition types
 * (a volume's valid set depends on its pool, which the backend checks). */
typedef enum {
  VB_STORAGE_VOL_FORMAT_DEFAULT, /* no <format> element */
  VB_STORAGE_VOL_FORMAT_UNKNOWN,
  VB_STORAGE_VOL_FORMAT_RAW,
  VB_STORAGE_VOL_FORMAT_DIR,
  VB_STORAGE_VOL_FORMAT_BOCHS,
  VB_STORAGE_VOL_FORMAT_CLOOP,
  VB_STORAGE_VOL_FORMAT_DMG,
  VB_STORAGE_VOL_FORMAT_ISO,
  VB_STORAGE_VOL_FORMAT_VPC,
  VB_STORAGE_VOL_FORMAT_VDI,
  VB_STORAGE_VOL_FORMAT_FAT,
  VB_STORAGE_VOL_FORMAT_VHD,
  VB_STORAGE_VOL_FORMAT_PLOOP,
  VB_STORAGE_VOL_FORMAT_LUKS,
  VB_STORAGE_VOL_FORMAT_COW,
  VB_STORAGE_VOL_FORMAT_QCOW,
  VB_STORAGE_VOL_FORMAT_QCOW2,
  VB_STORAGE_VOL_FORMAT_QED,
  VB_STORAGE_VOL_FORMAT_VMDK,
  /* file systems */
  VB_STORAGE_VOL_FORMAT_NONE,
  VB_STORAGE_VOL_FORMAT_AUTO,
  VB_STORAGE_VOL_FORMAT_EXT2,
  VB_STORAGE_VOL_FORMAT_EXT3,
  VB_STORAGE_VOL_FORMAT_EXT4,
  VB_STORAGE_VOL_FORMAT_UFS,
  VB_STORAGE_VOL_FORMAT_ISO9660,
  VB_STORAGE_VOL_FORMAT_UDF,
  VB_STORAGE_VOL_FORMAT_GFS,
  VB_STORAGE_VOL_FORMAT_GFS2,
  VB_STORAGE_VOL_FORMAT_VFAT,
  VB_STORAGE_VOL_FORMAT_HFSPLUS,
  VB_STORAGE_VOL_FORMAT_XFS,
  VB_STORAGE_VOL_FORMAT_OCFS2,
  VB_STORAGE_VOL_FORMAT_VMFS,
  /* partitions */
  VB_STORAGE_VOL_FORMAT_LINUX,
  VB_STORAGE_VOL_FORMAT_FAT16,
  VB_STORAGE_VOL_FORMAT_FAT32,
  VB_STORAGE_VOL_FORMAT_LINUX_SWAP,
  VB_STORAGE_VOL_FORMAT_LINUX_LVM,
  VB_STORAGE_VOL_FORMAT_LINUX_RAID,
  VB_STORAGE_VOL_FORMAT_EXTENDED,
  VB_STORAGE_VOL_FORMAT_LAST
} VbStorageVolFormat;

typedef enum {
  VB_STORAGE_ENCRYPTION_NONE, /* no <encryption> */
  VB_STORAGE_ENCRYPTION_DEFAULT,
  VB_STORAGE_ENCRYPTION_QCOW,
  VB_STORAGE_ENCRYPTION_LUKS,
  VB_STORAGE_ENCRYPTION_LUKS2,
} VbStorageEncryptionFormat;

typedef enum {
  VB_STORAGE_ENCRYPTION_ENGINE_DEFAULT,
  VB_STORAGE_ENCRYPTION_ENGINE_QEMU,
  VB_STORAGE_ENCRYPTION_ENGINE_LIBRBD,
} VbStorageEncryptionEngine;

/* A file time: seconds and nanoseconds since the epoch. */
typedef struct {
  gboolean set;
  guint64 sec;
  guint nsec;
} VbStorageTimestamp;

typedef struct {
  VbStorageTimestamp atime, btime, ctime, mtime;
} VbStorageTimestamps;

typedef struct {
  char *path;
  GArray *extents; /* VbStorageExtent; never NULL */
} VbStorageVolSourceDevice;

typedef struct {
  char *path;
  VbStorageVolFormat format;
  VbStoragePerms perms;
  VbStorageTimestamps timestamps; /* live data */
} VbStorageVolBackingStore;

typedef struct {
  VbStorageVolType type;
  char *name;
  char *key;                 /* live data; NULL when unknown */
  GPtrArray *source_devices; /* VbStorageVolSourceDevice, live data; never NULL */
  gboolean has_capacity;
  guint64 capacity;
  gboolean has_allocation;
  guint64 allocation;
  gboolean has_physical;
  guint64 physical;

  /* <target> */
  char *path;
  VbStorageVolFormat format;
  VbStoragePerms perms;
  VbStorageTimestamps timestamps; /* live data */
  VbStorageEncryptionFormat encryption;
  VbStorageEncryptionEngine encryption_engine;
  char *encryption_secret_uuid; /* exclusive with encryption_secret_usage */
  char *encryption_secret_usage;
  char *compat;          /* qcow2 compat level, "0.10" or "1.1" */
  gboolean nocow;
  guint64 cluster_size;  /* bytes; 0 when absent */
  gboolean lazy_refcounts;
  gboolean extended_l2;

  VbStorageVolBackingStore *backing_store; /* NULL when absent */
} VbStorageVolDef;

const char *vb_storage_vol_type_to_string (VbStorageVolType type);
int vb_storage_vol_type_from_string (const char *str);
const char *vb_storage_vol_format_to_string (VbStorageVolFormat format);
int vb_storage_vol_format_from_string (const char *str);

/* Parses user input (also the output of format). <capacity> is optional
 * here because CreateXMLFrom may take it from the source volume; check
 * has_capacity where it is required. */
VbStorageVolDef *vb_storage_vol_def_parse (const char *xml, GError **error);
char *vb_storage_vol_def_format (const VbStorageVolDef *def, guint flags);
VbStorageVolDef *vb_storage_vol_def_new (void);
VbStorageVolDef *vb_storage_vol_def_copy (const VbStorageVolDef *def);
void vb_storage_vol_def_free (VbStorageVolDef *def);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbStorageVolDef, vb_storage_vol_def_free)

G_END_DECLS
