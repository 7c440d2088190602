/* Quality of service (<bandwidth>) of a guest NIC's host device or a
 * network's bridge, with tc(8):
 *
 *  - traffic the device sends (its egress) goes through an HTB class of
 *    the average rate, up to the peak (HTB's ceil), with the burst;
 *  - traffic it receives (its ingress) is redirected (u32 + mirred) to an
 *    IFB device of its own, "vb-<device>", whose egress has the same HTB
 *    class. (libvirt polices ingress instead; policing drops what is over
 *    the rate where shaping queues it, and a kernel without act_police
 *    cannot do it at all.)
 *
 * Which direction is which depends on the device: a tap or a bridge sends
 * what goes to the guests (inbound) and receives what they send
 * (outbound); a macvtap is the other way round. */
#pragma once

#include <gio/gio.h>

#include "vb-bandwidth-def.h"

G_BEGIN_DECLS

typedef enum {
  VB_SHAPE_TAP,      /* taps and bridges: inbound on egress, outbound on ingress */
  VB_SHAPE_MACVTAP,  /* macvtaps: outbound on egress, inbound on ingress */
} VbShapeKind;

/* The IFB device that shapes what @dev receives: "vb-" and @dev, or a
 * digest of it for a name too long for that. */
char *vb_bandwidth_ifb_name (const char *dev);

/* The tc -batch script shaping @dev as @bw says (floors are not the
 * device's: see the network). "" when nothing is limited. */
char *vb_bandwidth_tc_script (const char *dev, const VbBandwidth *bw, VbShapeKind kind);

/* Shapes @dev (which exists) as @bw says; @bw NULL or without a
 * direction: unshaped. @fresh: @dev was just made (nothing of an earlier
 * shaping to take away first). On failure nothing of it is left on @dev
 * (unshaped). */
void vb_bandwidth_apply_async (const char *dev, const VbBandwidth *bw, VbShapeKind kind, gboolean fresh,
                               GAsyncReadyCallback callback, gpointer user_data);
gboolean vb_bandwidth_apply_finish (GAsyncResult *result, GError **error);

/* Once @dev is gone or no longer shaped: its IFB device goes (if there
 * is one). Synchronous (one netlink request). */
void vb_bandwidth_release (const char *dev);

G_END_DECLS
