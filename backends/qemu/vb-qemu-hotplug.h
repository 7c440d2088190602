/* Hotplug and live changes of the QEMU backend (vb-qemu-hotplug.c). */
#pragma once

#include "vb-qemu-private.h"

G_BEGIN_DECLS

/* q35 definitions without any pcie-root-port get a few spare ones (the
 * only PCIe slots that take hot-plugged devices); others are unchanged. */
void vb_qemu_hotplug_add_root_ports (VbDomainDef *def);
/* For a caller that is not root: may it use the image paths of @dev? */
gboolean vb_qemu_hotplug_check_device_paths (VbObj *dom, const VbDomainDeviceDef *dev, GTask *task,
                                             GError **error);
/* System mode: the QEMU user gets access to @dev's image (kept until the
 * domain stops). */
gboolean vb_qemu_hotplug_grant_device_access (VbObj *dom, const VbDomainDeviceDef *dev, GError **error);

G_END_DECLS
