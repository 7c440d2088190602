/* Storage pool XML (<pool type='…'>, libvirt's storagepool.rng) as a typed
 * structure, and the <sources> list returned by FindStoragePoolSources.
 *
 * Every pool type of the schema is modelled; which <source> children a type
 * accepts follows the schema, so e.g. <host> on a 'dir' pool is reported as
 * unsupported rather than silently ignored.
 */
#pragma once

#include <glib.h>

#include "vb-xml.h"

G_BEGIN_DECLS

/* Formatting flags. */
typedef enum {
  /* Leave out the live data (capacity, allocation, available, free extents). */
  VB_STORAGE_XML_INACTIVE = 1 << 0,
} VbStorageXmlFlags;

typedef enum {
  VB_STORAGE_POOL_DIR,
  VB_STORAGE_POOL_FS,
  VB_STORAGE_POOL_NETFS,
  VB_STORAGE_POOL_LOGICAL,
  VB_STORAGE_POOL_DISK,
  VB_STORAGE_POOL_ISCSI,
  VB_STORAGE_POOL_ISCSI_DIRECT,
  VB_STORAGE_POOL_SCSI,
  VB_STORAGE_POOL_MPATH,
  VB_STORAGE_POOL_RBD,
  VB_STORAGE_POOL_SHEEPDOG,
  VB_STORAGE_POOL_GLUSTER,
  VB_STORAGE_POOL_ZFS,
  VB_STORAGE_POOL_VSTORAGE,
  VB_STORAGE_POOL_TYPE_LAST
} VbStoragePoolType;

/* <source><format type='…'/>: the union of the per-pool-type value sets.
 * Which values a pool type accepts is checked when parsing. */
typedef enum {
  VB_STORAGE_POOL_FORMAT_DEFAULT, /* no <format> element */
  VB_STORAGE_POOL_FORMAT_AUTO,
  VB_STORAGE_POOL_FORMAT_EXT2,
  VB_STORAGE_POOL_FORMAT_EXT3,
  VB_STORAGE_POOL_FORMAT_EXT4,
  VB_STORAGE_POOL_FORMAT_UFS,
  VB_STORAGE_POOL_FORMAT_ISO9660,
  VB_STORAGE_POOL_FORMAT_UDF,
  VB_STORAGE_POOL_FORMAT_GFS,
  VB_STORAGE_POOL_FORMAT_GFS2,
  VB_STORAGE_POOL_FORMAT_VFAT,
  VB_STORAGE_POOL_FORMAT_HFSPLUS,
  VB_STORAGE_POOL_FORMAT_XFS,
  VB_STORAGE_POOL_FORMAT_OCFS2,
  VB_STORAGE_POOL_FORMAT_VMFS,
  VB_STORAGE_POOL_FORMAT_NFS,
  VB_STORAGE_POOL_FORMAT_CIFS,
  VB_STORAGE_POOL_FORMAT_GLUSTERFS,
  VB_STORAGE_POOL_FORMAT_UNKNOWN,
  VB_STORAGE_POOL_FORMAT_DOS,
  VB_STORAGE_POOL_FORMAT_DVH,
  VB_STORAGE_POOL_FORMAT_GPT,
  VB_STORAGE_POOL_FORMAT_MAC,
  VB_STORAGE_POOL_FORMAT_BSD,
  VB_STORAGE_POOL_FORMAT_PC98,
  VB_STORAGE_POOL_FORMAT_SUN,
  VB_STORAGE_POOL_FORMAT_LVM2,
  VB_STORAGE_POOL_FORMAT_LAST
} VbStoragePoolFormat;

/* An optional yes/no (or on/off) attribute. */
typedef enum {
  VB_STORAGE_TRISTATE_ABSENT,
  VB_STORAGE_TRISTATE_YES,
  VB_STORAGE_TRISTATE_NO,
} VbStorageTristate;

/* <permissions>, shared by pool targets and volumes. */
typedef struct {
  gint64 mode;  /* -1 when absent, else 0 … 07777 */
  gint64 owner; /* -1 when absent (as libvirt, an explicit -1 means absent) */
  gint64 group; /* -1 when absent */
  char *label;
} VbStoragePerms;

typedef struct {
  guint64 start;
  guint64 end;
} VbStorageExtent;

typedef struct {
  char *name;
  guint port; /* 0 when absent */
} VbStoragePoolSourceHost;

typedef struct {
  char *path;
  VbStorageTristate part_separator;
  GArray *free_extents; /* VbStorageExtent, live data of disk pools; never NULL */
} VbStoragePoolSourceDevice;

typedef enum {
  VB_STORAGE_ADAPTER_NONE, /* no <adapter> */
  VB_STORAGE_ADAPTER_SCSI_HOST,
  VB_STORAGE_ADAPTER_FC_HOST,
} VbStorageAdapterType;

typedef struct {
  VbStorageAdapterType type;
  /* scsi_host: either a name, or the PCI address of the parent HBA. */
  char *name;
  gboolean has_parentaddr;
  gboolean has_unique_id;
  guint unique_id;
  guint pci_domain, pci_bus, pci_slot, pci_function;
  /* fc_host (vHBA) */
  char *parent;
  VbStorageTristate managed;
  char *parent_wwnn;
  char *parent_wwpn;
  char *parent_fabric_wwn;
  char *wwnn;
  char *wwpn;
} VbStoragePoolSourceAdapter;

typedef enum {
  VB_STORAGE_AUTH_NONE, /* no <auth> */
  VB_STORAGE_AUTH_CHAP,
  VB_STORAGE_AUTH_CEPH,
} VbStorageAuthType;

typedef struct {
  VbStorageAuthType type;
  char *username;
  char *secret_uuid;  /* canonical form; exclusive with secret_usage */
  char *secret_usage;
} VbStoragePoolAuth;

typedef struct {
  GPtrArray *hosts;   /* VbStoragePoolSourceHost; never NULL */
  GPtrArray *devices; /* VbStoragePoolSourceDevice; never NULL */
  char *dir;          /* <dir path='…'/> */
  VbStoragePoolSourceAdapter adapter;
  char *name;         /* <name>: volume group, rbd pool, gluster volume, … */
  VbStoragePoolFormat format;
  guint protocol_ver; /* netfs <protocol ver='…'/>; 0 when absent */
  char *vendor;
  char *product;
  char *initiator_iqn;
  VbStoragePoolAuth auth;
} VbStoragePoolSource;

typedef struct {
  VbStoragePoolType type;
  char *name;
  char uuid[37];
  /* Live data, in bytes. */
  guint64 capacity;
  guint64 allocation;
  guint64 available;
  VbStorageTristate cow; /* <features><cow state='…'/> (dir and fs only) */
  VbStoragePoolSource source;
  char *target_path;     /* NULL for the types without a local target */
  VbStoragePerms target_perms;
} VbStoragePoolDef;

/* The reply of FindStoragePoolSources. */
typedef struct {
  VbStoragePoolType type;
  GPtrArray *sources; /* VbStoragePoolSource */
} VbStoragePoolSourceList;

const char *vb_storage_pool_type_to_string (VbStoragePoolType type);
int vb_storage_pool_type_from_string (const char *str);
const char *vb_storage_pool_format_to_string (VbStoragePoolFormat format);
int vb_storage_pool_format_from_string (const char *str);
/* Whether <format type='@format'/> is valid for a pool of @type. */
gboolean vb_storage_pool_format_valid_for (VbStoragePoolType type, VbStoragePoolFormat format);

/* An empty def: no source, perms unset, no UUID (the caller sets one). */
VbStoragePoolDef *vb_storage_pool_def_new (void);
VbStoragePoolDef *vb_storage_pool_def_parse (const char *xml, GError **error);
char *vb_storage_pool_def_format (const VbStoragePoolDef *def, guint flags);
VbStoragePoolDef *vb_storage_pool_def_copy (const VbStoragePoolDef *def);
void vb_storage_pool_def_free (VbStoragePoolDef *def);

/* Parses the source specification given to FindStoragePoolSources: a bare
 * <source> element as it appears in a pool of @type. Unlike a pool
 * definition, no child is required. */
VbStoragePoolSource *vb_storage_pool_source_parse (VbStoragePoolType type, const char *xml, GError **error);
VbStoragePoolSource *vb_storage_pool_source_new (void);
void vb_storage_pool_source_free (VbStoragePoolSource *source);
VbStoragePoolSource *vb_storage_pool_source_copy (const VbStoragePoolSource *source);

VbStoragePoolSourceList *vb_storage_pool_source_list_new (VbStoragePoolType type);
/* Takes ownership of @source. */
void vb_storage_pool_source_list_add (VbStoragePoolSourceList *list, VbStoragePoolSource *source);
char *vb_storage_pool_source_list_format (const VbStoragePoolSourceList *list);
void vb_storage_pool_source_list_free (VbStoragePoolSourceList *list);

/* <permissions> helpers shared with the volume model. */
void vb_storage_perms_init (VbStoragePerms *perms);
void vb_storage_perms_clear (VbStoragePerms *perms);
void vb_storage_perms_copy (VbStoragePerms *dest, const VbStoragePerms *src);
gboolean vb_storage_perms_is_set (const VbStoragePerms *perms);
/* Reads the optional <permissions> child of @parent. */
gboolean vb_storage_perms_parse (xmlNode *parent, VbStoragePerms *perms, GError **error);
/* Writes <permissions> when anything is set. */
void vb_storage_perms_format (VbXmlWriter *w, const VbStoragePerms *perms);
/* Absolute path check and libvirt-style cleanup (duplicate and trailing
 * slashes removed). Returns NULL with @error set when @path is unusable. */
char *vb_storage_path_canonicalize (xmlNode *node, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbStoragePoolDef, vb_storage_pool_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbStoragePoolSource, vb_storage_pool_source_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbStoragePoolSourceList, vb_storage_pool_source_list_free)

G_END_DECLS
