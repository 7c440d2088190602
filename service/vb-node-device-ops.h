/* VbNodeDevOps: what a backend implements to manage host (node) devices.
 * One entry per operation of org.libvirt.NodeDevice and the node device
 * part of org.libvirt.Connect (listing and lookups are answered by the
 * service from the object registry and the devices' definitions).
 *
 * Calling convention as in vb-domain-ops.h: plain C arguments with libvirt's
 * meaning, and the operation completes @task as the bracket says
 * ([void] g_task_return_boolean, [s] a char *, [o] a VbObj reference,
 * [as] a GVariant "as") or with a VB_ERROR. A NULL entry means "not
 * supported by this backend".
 *
 * Node devices are VbObj of kind VB_OBJ_NODE_DEVICE whose key is the device
 * name, with a VbNodedevDef as ->def.
 */
#pragma once

#include "vb-backend.h"
#include "vb-nodedev-def.h"

G_BEGIN_DECLS

/* libvirt's virConnectListAllNodeDeviceFlags. */
typedef enum {
  VB_LIST_NODE_DEVICES_CAP_SYSTEM = 1 << 0,
  VB_LIST_NODE_DEVICES_CAP_PCI_DEV = 1 << 1,
  VB_LIST_NODE_DEVICES_CAP_USB_DEV = 1 << 2,
  VB_LIST_NODE_DEVICES_CAP_USB_INTERFACE = 1 << 3,
  VB_LIST_NODE_DEVICES_CAP_NET = 1 << 4,
  VB_LIST_NODE_DEVICES_CAP_SCSI_HOST = 1 << 5,
  VB_LIST_NODE_DEVICES_CAP_SCSI_TARGET = 1 << 6,
  VB_LIST_NODE_DEVICES_CAP_SCSI = 1 << 7,
  VB_LIST_NODE_DEVICES_CAP_STORAGE = 1 << 8,
  VB_LIST_NODE_DEVICES_CAP_FC_HOST = 1 << 9,
  VB_LIST_NODE_DEVICES_CAP_VPORTS = 1 << 10,
  VB_LIST_NODE_DEVICES_CAP_SCSI_GENERIC = 1 << 11,
  VB_LIST_NODE_DEVICES_CAP_DRM = 1 << 12,
  VB_LIST_NODE_DEVICES_CAP_MDEV_TYPES = 1 << 13,
  VB_LIST_NODE_DEVICES_CAP_MDEV = 1 << 14,
  VB_LIST_NODE_DEVICES_CAP_CCW_DEV = 1 << 15,
  VB_LIST_NODE_DEVICES_CAP_CSS_DEV = 1 << 16,
  VB_LIST_NODE_DEVICES_CAP_VDPA = 1 << 17,
  VB_LIST_NODE_DEVICES_CAP_AP_CARD = 1 << 18,
  VB_LIST_NODE_DEVICES_CAP_AP_QUEUE = 1 << 19,
  VB_LIST_NODE_DEVICES_CAP_AP_MATRIX = 1 << 20,
  VB_LIST_NODE_DEVICES_CAP_VPD = 1 << 21,
  VB_LIST_NODE_DEVICES_PERSISTENT = 1 << 28,
  VB_LIST_NODE_DEVICES_INACTIVE = 1 << 29,
  VB_LIST_NODE_DEVICES_ACTIVE = 1 << 30,
} VbListNodeDevicesFlags;

#define VB_LIST_NODE_DEVICES_CAPS_MASK ((1u << 22) - 1)
#define VB_LIST_NODE_DEVICES_ALL_FLAGS                                                                   \
  (VB_LIST_NODE_DEVICES_CAPS_MASK | VB_LIST_NODE_DEVICES_PERSISTENT | VB_LIST_NODE_DEVICES_INACTIVE |   \
   VB_LIST_NODE_DEVICES_ACTIVE)

/* libvirt's virNodeDeviceEventLifecycleType (details are always 0). */
typedef enum {
  VB_NODE_DEVICE_EVENT_CREATED = 0,
  VB_NODE_DEVICE_EVENT_DELETED = 1,
  VB_NODE_DEVICE_EVENT_DEFINED = 2,
  VB_NODE_DEVICE_EVENT_UNDEFINED = 3,
} VbNodeDeviceEvent;

#define VB_TYPE_NODE_DEV_OPS (vb_node_dev_ops_get_type ())
G_DECLARE_INTERFACE (VbNodeDevOps, vb_node_dev_ops, VB, NODE_DEV_OPS, VbBackend)

typedef void (*VbNodeDevOp) (VbBackend *backend, VbObj *dev, GTask *task);

struct _VbNodeDevOpsInterface {
  GTypeInterface parent_iface;

  /* ---- org.libvirt.Connect ---- */
  void (*create_xml) (VbBackend *backend, const char *xml, guint flags, GTask *task); /* [o] */

  /* ---- org.libvirt.NodeDevice ---- */
  VbNodeDevOp destroy; /* [void] */
  /* @driver_name is NULL for the default driver. */
  void (*detach) (VbBackend *backend, VbObj *dev, const char *driver_name, guint flags, GTask *task); /* [void] */
  void (*get_xml_desc) (VbBackend *backend, VbObj *dev, guint flags, GTask *task); /* [s] */
  VbNodeDevOp list_caps; /* [as] */
  VbNodeDevOp reattach;  /* [void] */
  VbNodeDevOp reset;     /* [void] */
};

/* list_caps from the device's definition (a VbNodeDevDef): what every
 * backend answers. */
void vb_node_dev_ops_list_caps (VbBackend *backend, VbObj *dev, GTask *task);

/* Detach, ReAttach and Reset only make sense for PCI devices: an error
 * (INVALID_ARG) for the others. */
gboolean vb_node_dev_check_pci (VbObj *dev, GError **error);
/* Detach's arguments: no flags, a PCI device, the vfio driver (NULL: the
 * default, vfio). */
gboolean vb_node_dev_check_detach (VbObj *dev, const char *driver_name, guint flags, GError **error);

/* NodeDeviceCreateXML's document, its flags checked (VALIDATE: the parser
 * always validates); NULL with @error. */
VbNodeDevDef *vb_node_dev_parse_create_xml (const char *xml, guint flags, GError **error);

G_END_DECLS
