/* Hotplug and live changes of the QEMU backend (vb-qemu-hotplug.c). */
#pragma once

#include "vb-qemu-private.h"

G_BEGIN_DECLS

/* q35 definitions without any pcie-root-port get a few spare ones (the
 * only PCIe slots that take hot-plugged devices); others are unchanged. */
void vb_qemu_hotplug_add_root_ports (VbDomainDef *def);

G_END_DECLS
