/* Host (node) devices for a connection backend (qemu://): the devices
 * libvirt's udev node device driver lists, read from sysfs and kept
 * current from kernel uevents; PCI devices detached to vfio-pci,
 * reattached and reset; mediated devices created and removed. See
 * README.md in this folder. */
#pragma once

#include "vb-node-device-ops.h"

G_BEGIN_DECLS

/* VbNodeDevOps for a connection backend that shows the host's devices. */
void vb_nodedev_local_ops_init (VbNodeDevOpsInterface *iface);
/* Reads every device under @sysfs_root ("/sys" in production; a fake tree
 * in tests) in a worker thread, registers them on @backend (kind
 * VB_OBJ_NODE_DEVICE, key = name, active, not persistent), then keeps them
 * current from kernel uevents (NETLINK_KOBJECT_UEVENT, on the main loop):
 * add → register + NodeDevice CREATED event, remove → DELETED event +
 * unregister, change/move → definition re-read (vb_obj_set_def). Completes
 * once the initial devices are registered. A missing uevent socket (no
 * permission) is a warning, not an error. */
void vb_nodedev_local_load_async (VbBackend *backend, const char *sysfs_root, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
gboolean vb_nodedev_local_load_finish (VbBackend *backend, GAsyncResult *result, GError **error);
/* Stops watching uevents (backend close). */
void vb_nodedev_local_stop (VbBackend *backend);

/* For tests: handles a uevent as if the kernel had sent it (@devpath and
 * @devpath_old in the kernel's form, "/devices/…"). */
void vb_nodedev_local_inject_uevent (VbBackend *backend, const char *action, const char *devpath,
                                     const char *subsystem, const char *devpath_old);
/* For tests: whether no event waits and no device is being read. */
gboolean vb_nodedev_local_is_idle (VbBackend *backend);

G_END_DECLS
