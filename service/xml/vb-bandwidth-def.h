/* Quality of service of a network or a guest's NIC: libvirt's <bandwidth>
 * element, shared by network and domain definitions. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "vb-xml.h"

G_BEGIN_DECLS

/* Rates in kilobytes/s, burst in kibibytes (tc's "kbps" and "kb", as
 * libvirt); 0 means absent. */
typedef struct {
  guint average, peak, burst;
  guint floor;                /* a guaranteed minimum: inbound of a domain's NIC on a network only */
} VbBandwidthRate;

/* "inbound" is traffic to the guests (of the network, or the NIC's
 * guest), "outbound" traffic from them. */
typedef struct {
  gboolean has_inbound, has_outbound;
  VbBandwidthRate inbound, outbound;
} VbBandwidth;

typedef enum {
  VB_BANDWIDTH_PARSE_FLOOR = 1 << 0,  /* 'floor' allowed (a domain's NIC) */
} VbBandwidthParseFlags;

/* <bandwidth>: NULL with @error set when it is invalid. An element with
 * neither direction gives a VbBandwidth with neither set. */
VbBandwidth *vb_bandwidth_parse (xmlNode *node, guint flags, GError **error);
void vb_bandwidth_format (VbXmlWriter *w, const VbBandwidth *bw);
VbBandwidth *vb_bandwidth_copy (const VbBandwidth *bw);
gboolean vb_bandwidth_equal (const VbBandwidth *a, const VbBandwidth *b);
/* Whether @bw limits anything (NULL, or no direction: no). */
gboolean vb_bandwidth_is_set (const VbBandwidth *bw);
/* The rules libvirt's own parser applies to a direction (also for values
 * set over D-Bus): 'average' needed unless 'floor' is set, 'peak' and
 * 'burst' need 'average', 'peak' not below it; @what names it. */
gboolean vb_bandwidth_rate_check (const VbBandwidthRate *rate, const char *what, gboolean floor_allowed,
                                  GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbBandwidth, g_free)

G_END_DECLS
