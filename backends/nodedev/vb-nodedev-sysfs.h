/* The host's devices as libvirt's udev node device driver names and
 * describes them, read from sysfs alone (no udev database): one device
 * directory in, one VbNodeDevDef out. Plus the sysfs writes that move a
 * PCI device between its host driver and vfio-pci, reset it, and create
 * or remove mediated devices.
 *
 * Everything here is synchronous and blocking (callers run it in a worker
 * thread) and thread-safe. Every path goes through the root given at
 * creation ("/sys", or a fake tree in tests); the XML shows paths as the
 * kernel names them ("/sys/devices/…"). Values read from sysfs are
 * untrusted: reads are bounded, names and texts are checked before they go
 * into a name or the XML, and whatever is odd is skipped with a debug
 * message.
 *
 * A devpath is a device's directory relative to the root, "devices/…"
 * (a kernel uevent's DEVPATH without its leading '/').
 */
#pragma once

#include <glib.h>

#include "vb-nodedev-def.h"

G_BEGIN_DECLS

/* The name of the root device, which stands for the host itself. */
#define VB_NODEDEV_COMPUTER "computer"

typedef struct _VbNodedevSysfs VbNodedevSysfs;

/* Fails when @root is not a directory. */
VbNodedevSysfs *vb_nodedev_sysfs_new (const char *root, GError **error);
VbNodedevSysfs *vb_nodedev_sysfs_ref (VbNodedevSysfs *self);
void vb_nodedev_sysfs_unref (VbNodedevSysfs *self);
/* The id databases used for names (default: the first of
 * /usr/share/misc/pci.ids, /usr/share/hwdata/pci.ids and the same for
 * usb.ids); NULL: no names. Call before any read. */
void vb_nodedev_sysfs_set_ids_files (VbNodedevSysfs *self, const char *pci_ids, const char *usb_ids);

/* "computer": capability system from <root>/class/dmi/id. */
VbNodeDevDef *vb_nodedev_sysfs_read_computer (VbNodedevSysfs *self);
/* The device at @devpath, or NULL (with a debug message) when that is no
 * device libvirt lists or cannot be read. @subsystem: the subsystem when
 * known (a uevent's SUBSYSTEM), NULL to read the subsystem link. The
 * parent is left NULL. */
VbNodeDevDef *vb_nodedev_sysfs_read_device (VbNodedevSysfs *self, const char *devpath, const char *subsystem);

typedef struct {
  char *devpath;     /* NULL for "computer" */
  VbNodeDevDef *def; /* with its parent */
} VbNodedevSysfsDevice;

void vb_nodedev_sysfs_device_free (VbNodedevSysfsDevice *device);

/* Every device: "computer" first, then by devpath (so every parent comes
 * before its children), each parent the nearest listed ancestor. Devices
 * whose name is taken already are left out. */
GPtrArray *vb_nodedev_sysfs_scan (VbNodedevSysfs *self);

/* Whether @devpath is "devices/…" made of plausible sysfs names. */
gboolean vb_nodedev_sysfs_devpath_is_valid (const char *devpath);
/* The devpath of a device read here (from its <path>), or NULL. */
const char *vb_nodedev_sysfs_def_devpath (const VbNodeDevDef *def);
/* The value of @table (keyed by devpath) for the nearest proper ancestor
 * of @devpath, or NULL when it has none there. */
gpointer vb_nodedev_sysfs_find_ancestor (GHashTable *table, const char *devpath);

/* ---- PCI devices: vfio-pci and reset ---- */

/* Binds the PCI device at @devpath to vfio-pci (driver_override, unbind,
 * drivers_probe, then checks the driver link); undoes its steps when one
 * fails. Already on vfio-pci: nothing to do. */
gboolean vb_nodedev_sysfs_pci_detach (VbNodedevSysfs *self, const char *devpath, GError **error);
/* Unbinds it from vfio-pci, clears driver_override, reprobes. */
gboolean vb_nodedev_sysfs_pci_reattach (VbNodedevSysfs *self, const char *devpath, GError **error);
/* Writes "1" to its reset attribute. */
gboolean vb_nodedev_sysfs_pci_reset (VbNodedevSysfs *self, const char *devpath, GError **error);

/* ---- Mediated devices ---- */

/* Creates mediated device @uuid of @type_id under the device at
 * @parent_devpath; returns the new device's devpath. */
char *vb_nodedev_sysfs_mdev_create (VbNodedevSysfs *self, const char *parent_devpath, const char *type_id,
                                    const char *uuid, GError **error);
/* Removes the mediated device at @devpath. */
gboolean vb_nodedev_sysfs_mdev_remove (VbNodedevSysfs *self, const char *devpath, GError **error);

/* For tests: called for each write to a sysfs attribute that exists (full
 * path and value), just before the value is written, so a test can act as
 * the kernel; returning FALSE with @error makes the write fail as the
 * kernel would, nothing written. NULL: none. */
typedef gboolean (*VbNodedevSysfsWriteHook) (const char *path, const char *value, gpointer user_data,
                                             GError **error);
void vb_nodedev_sysfs_set_write_hook (VbNodedevSysfsWriteHook hook, gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNodedevSysfs, vb_nodedev_sysfs_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNodedevSysfsDevice, vb_nodedev_sysfs_device_free)

G_END_DECLS
