/* Node device XML (<device>, libvirt's nodedev.rng) as a typed structure.
 *
 * A device carries a list of capabilities, each a VbNodeDevCap whose @type
 * says which of its per-type members is meaningful. The same parser reads
 * full descriptions and the short documents given to CreateXML/DefineXML
 * (a vHBA: <parent> plus a scsi_host capability holding only fc_host; a
 * mediated device: <parent> plus an mdev capability); those have no <name>
 * and, for scsi_host, no <host>.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  VB_NODEDEV_CAP_SYSTEM,
  VB_NODEDEV_CAP_PCI,
  VB_NODEDEV_CAP_USB_DEVICE,
  VB_NODEDEV_CAP_USB,
  VB_NODEDEV_CAP_NET,
  VB_NODEDEV_CAP_SCSI_HOST,
  VB_NODEDEV_CAP_SCSI_TARGET,
  VB_NODEDEV_CAP_SCSI,
  VB_NODEDEV_CAP_STORAGE,
  VB_NODEDEV_CAP_SCSI_GENERIC,
  VB_NODEDEV_CAP_DRM,
  VB_NODEDEV_CAP_MDEV,
  VB_NODEDEV_CAP_CCW,
  VB_NODEDEV_CAP_CSS,
  VB_NODEDEV_CAP_VDPA,
  VB_NODEDEV_CAP_LAST
} VbNodeDevCapType;

typedef struct {
  guint domain;
  guint bus;
  guint slot;
  guint function;
} VbNodeDevPciAddress;

typedef struct {
  char *id;
  char *name; /* may be NULL */
  char *device_api; /* vfio-pci, vfio-ccw or vfio-ap */
  guint available_instances;
} VbNodeDevMdevType;

typedef enum {
  VB_NODEDEV_PCIE_LINK_CAP, /* what the device can do */
  VB_NODEDEV_PCIE_LINK_STA, /* what it currently runs at */
} VbNodeDevPcieLinkValidity;

typedef struct {
  VbNodeDevPcieLinkValidity validity;
  gboolean has_port;
  guint port;
  char *speed; /* GT/s, "2.5", "8", …; may be NULL */
  guint width;
} VbNodeDevPcieLink;

typedef enum {
  VB_NODEDEV_PCI_BRIDGE_NONE,
  VB_NODEDEV_PCI_BRIDGE_PCI,     /* capability type='pci-bridge' */
  VB_NODEDEV_PCI_BRIDGE_CARDBUS, /* capability type='cardbus-bridge' */
} VbNodeDevPciBridge;

typedef enum {
  VB_NODEDEV_NET_SUBCAP_NONE,
  VB_NODEDEV_NET_SUBCAP_80203,
  VB_NODEDEV_NET_SUBCAP_80211,
} VbNodeDevNetSubcap;

typedef enum {
  VB_NODEDEV_LINK_STATE_DEFAULT, /* no state attribute */
  VB_NODEDEV_LINK_STATE_UNKNOWN,
  VB_NODEDEV_LINK_STATE_NOTPRESENT,
  VB_NODEDEV_LINK_STATE_DOWN,
  VB_NODEDEV_LINK_STATE_LOWERLAYERDOWN,
  VB_NODEDEV_LINK_STATE_TESTING,
  VB_NODEDEV_LINK_STATE_DORMANT,
  VB_NODEDEV_LINK_STATE_UP,
} VbNodeDevLinkState;

typedef enum {
  VB_NODEDEV_DRM_PRIMARY,
  VB_NODEDEV_DRM_CONTROL,
  VB_NODEDEV_DRM_RENDER,
} VbNodeDevDrmType;

typedef struct {
  guint cssid;
  guint ssid;
  guint devno;
} VbNodeDevCcwAddress;

typedef struct {
  char *name;
  char *value;
} VbNodeDevMdevAttr;

typedef struct {
  char *product;
  char *hardware_vendor;
  char *hardware_version;
  char *hardware_serial;
  char hardware_uuid[37];
  char *firmware_vendor;
  char *firmware_version;
  char *firmware_release_date;
} VbNodeDevCapSystem;

typedef struct {
  gboolean has_class;
  guint class_code; /* 24 bits */
  guint domain;
  guint bus;
  guint slot;
  guint function;
  guint product_id;
  char *product_name;
  guint vendor_id;
  char *vendor_name;
  gboolean has_phys_function;
  VbNodeDevPciAddress phys_function;
  gboolean has_virt_functions;
  guint max_virt_functions; /* 0 when unknown */
  GArray *virt_functions;   /* VbNodeDevPciAddress */
  VbNodeDevPciBridge bridge;
  GPtrArray *mdev_types;    /* VbNodeDevMdevType */
  gboolean has_iommu_group;
  guint iommu_group;
  GArray *iommu_group_devices; /* VbNodeDevPciAddress */
  gboolean has_numa_node;
  int numa_node;
  gboolean is_pcie;        /* <pci-express> present */
  GPtrArray *pcie_links;   /* VbNodeDevPcieLink */
} VbNodeDevCapPci;

typedef struct {
  guint bus;
  guint device;
  guint product_id;
  char *product_name;
  guint vendor_id;
  char *vendor_name;
} VbNodeDevCapUsbDevice;

typedef struct {
  guint number;
  guint klass;
  guint subclass;
  guint protocol;
  char *description;
} VbNodeDevCapUsb;

typedef struct {
  char *interface;
  char *address; /* MAC, lowercase */
  gboolean has_link;
  guint link_speed;
  VbNodeDevLinkState link_state;
  GPtrArray *features; /* char *: offload feature names */
  VbNodeDevNetSubcap subcap;
} VbNodeDevCapNet;

typedef struct {
  gboolean has_host; /* absent in vHBA creation requests */
  guint host;
  gboolean has_unique_id;
  guint unique_id;
  gboolean has_fc_host;
  char *wwnn; /* NULL only in vHBA creation requests (to be generated) */
  char *wwpn;
  char *fabric_wwn;
  gboolean has_vport_ops;
  guint max_vports;
  guint vports;
} VbNodeDevCapScsiHost;

typedef struct {
  char *target;
  gboolean has_fc_remote_port;
  char *rport;
  char *rport_wwpn;
} VbNodeDevCapScsiTarget;

typedef struct {
  guint host;
  guint bus;
  guint target;
  guint lun;
  char *type;
} VbNodeDevCapScsi;

typedef struct {
  char *block;
  char *bus;
  char *drive_type;
  char *model;
  char *vendor;
  char *serial;
  gboolean removable;
  gboolean media_available; /* removable only */
  guint64 media_size;       /* removable only */
  char *media_label;        /* removable only */
  guint64 size;             /* fixed only */
  guint64 logical_block_size;
  guint64 num_blocks;
  gboolean hotpluggable;
} VbNodeDevCapStorage;

typedef struct {
  char *type_id;
  gboolean has_iommu_group;
  guint iommu_group;
  char uuid[37]; /* empty when absent */
  char *parent_addr;
  GPtrArray *attrs; /* VbNodeDevMdevAttr */
} VbNodeDevCapMdev;

typedef struct {
  VbNodeDevCcwAddress address;
  gboolean has_channel_dev_addr;
  VbNodeDevCcwAddress channel_dev_addr;
  GPtrArray *mdev_types; /* VbNodeDevMdevType */
} VbNodeDevCapCss;

/* One <capability>. Only the member matching @type is meaningful; all
 * arrays of all members are allocated (never NULL). */
typedef struct {
  VbNodeDevCapType type;
  VbNodeDevCapSystem system;
  VbNodeDevCapPci pci;
  VbNodeDevCapUsbDevice usb_device;
  VbNodeDevCapUsb usb;
  VbNodeDevCapNet net;
  VbNodeDevCapScsiHost scsi_host;
  VbNodeDevCapScsiTarget scsi_target;
  VbNodeDevCapScsi scsi;
  VbNodeDevCapStorage storage;
  char *scsi_generic_char; /* scsi_generic: <char> */
  VbNodeDevDrmType drm_type;
  VbNodeDevCapMdev mdev;
  VbNodeDevCcwAddress ccw;
  VbNodeDevCapCss css;
  char *vdpa_chardev;
} VbNodeDevCap;

typedef struct {
  char *name;       /* NULL in creation requests */
  char *sysfs_path; /* live data */
  char *devnode;    /* <devnode type='dev'> */
  GPtrArray *devlinks; /* char *: <devnode type='link'>; never NULL */
  char *parent;
  /* Alternatives to naming the parent, for vHBA creation. */
  char *parent_wwnn;
  char *parent_wwpn;
  char *parent_fabric_wwn;
  char *driver;
  GPtrArray *caps; /* VbNodeDevCap; never NULL */
} VbNodeDevDef;

const char *vb_nodedev_cap_type_to_string (VbNodeDevCapType type);
int vb_nodedev_cap_type_from_string (const char *str);

VbNodeDevDef *vb_nodedev_def_new (void);
VbNodeDevCap *vb_nodedev_cap_new (VbNodeDevCapType type);
void vb_nodedev_cap_free (VbNodeDevCap *cap);
/* Appends a new capability of @type to @def and returns it. */
VbNodeDevCap *vb_nodedev_def_add_cap (VbNodeDevDef *def, VbNodeDevCapType type);

/* @flags: none defined yet, pass 0. */
VbNodeDevDef *vb_nodedev_def_parse (const char *xml, GError **error);
char *vb_nodedev_def_format (const VbNodeDevDef *def, guint flags);
VbNodeDevDef *vb_nodedev_def_copy (const VbNodeDevDef *def);
void vb_nodedev_def_free (VbNodeDevDef *def);

/* The first capability of @type, or NULL. */
VbNodeDevCap *vb_nodedev_def_get_cap (const VbNodeDevDef *def, VbNodeDevCapType type);
/* Capability names as NodeDevice.ListCaps reports them: one per capability,
 * plus "fc_host" and "vports" after a scsi_host with those sub-capabilities
 * and "mdev_types" after a pci or css device that supports mediated devices
 * (as libvirt's node device driver does). NULL-terminated. */
GStrv vb_nodedev_def_cap_names (const VbNodeDevDef *def);
/* Whether @cap_name (as in cap_names) applies to @def. */
gboolean vb_nodedev_def_has_cap_name (const VbNodeDevDef *def, const char *cap_name);

/* WWNs compare case-insensitively, with or without "0x". */
gboolean vb_nodedev_wwn_equal (const char *a, const char *b);
/* "aa:bb:cc:dd:ee:ff" (hex digits of either case). */
gboolean vb_nodedev_mac_is_valid (const char *mac);
/* Whether @def is a scsi_host with an fc_host of these port/node names. */
gboolean vb_nodedev_def_matches_wwn (const VbNodeDevDef *def, const char *wwnn, const char *wwpn);
/* Finds the scsi_host among @defs (VbNodeDevDef) with these names. */
VbNodeDevDef *vb_nodedev_find_scsi_host_by_wwn (GPtrArray *defs, const char *wwnn, const char *wwpn);
/* Finds a vport-capable scsi_host among @defs on fabric @fabric_wwn. */
VbNodeDevDef *vb_nodedev_find_scsi_host_by_fabric_wwn (GPtrArray *defs, const char *fabric_wwn);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNodeDevDef, vb_nodedev_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNodeDevCap, vb_nodedev_cap_free)

G_END_DECLS
