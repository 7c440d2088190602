/* The host's network interfaces for a connection backend (qemu://), as
 * libvirt's udev interface driver shows them: every link of the daemon's
 * network namespace, read and followed over rtnetlink, started and
 * stopped ("ifup"/"ifdown": the link set up or down). Their persistent
 * configuration belongs to the host's network manager: defining,
 * undefining and change transactions are refused. See README.md. */
#pragma once

#include "vb-interface-ops.h"

G_BEGIN_DECLS

/* VbInterfaceOps for a connection backend that shows the host's interfaces. */
void vb_interface_local_ops_init (VbInterfaceOpsInterface *iface);

/* Dumps the links and addresses of the daemon's network namespace over
 * rtnetlink, registers one VbObj (kind VB_OBJ_INTERFACE, name = ifname,
 * key = MAC or the name when there is none, active = IFF_UP, persistent
 * TRUE as libvirt's udev driver reports) per interface on @backend, then
 * keeps them current from rtnetlink notifications (RTNLGRP_LINK,
 * IPV4_IFADDR, IPV6_IFADDR) read on the main loop: new links appear,
 * deleted ones go, up/down changes Active (vb_obj_set_active, so
 * PropertiesChanged follows), renames/MAC/MTU/address changes update the
 * definition. Completes once the initial interfaces are registered.
 *
 * An interface whose MAC another registered interface already has as its
 * key (a bridge and its first port, a VLAN and its link) gets its name as
 * key instead, so no two objects share a key or an object path. */
void vb_interface_local_load_async (VbBackend *backend, GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
gboolean vb_interface_local_load_finish (VbBackend *backend, GAsyncResult *result, GError **error);

/* Stops following the kernel's notifications (a load in progress fails).
 * The registered objects stay as they were last seen. */
void vb_interface_local_stop (VbBackend *backend);

G_END_DECLS
