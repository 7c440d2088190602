#define G_LOG_DOMAIN "virtbus-xml"

#include "vb-bandwidth-def.h"

#include <string.h>

#include "vb-error.h"

gboolean
vb_bandwidth_rate_check (const VbBandwidthRate *rate, const char *what, gboolean floor_allowed, GError **error)
{
  if (rate->floor != 0 && !floor_allowed) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "%s: 'floor' is only allowed on the inbound traffic of a domain's interface of type 'network'",
                 what);
    return FALSE;
  }
  if (rate->average == 0 && rate->floor == 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "%s: 'average'%s is required", what,
                 floor_allowed ? " or 'floor'" : "");
    return FALSE;
  }
  if (rate->average == 0 && (rate->peak != 0 || rate->burst != 0)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "%s: 'peak' and 'burst' need 'average'", what);
    return FALSE;
  }
  if (rate->peak != 0 && rate->peak < rate->average) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "%s: 'peak' (%u) is below 'average' (%u)", what, rate->peak,
                 rate->average);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_rate (xmlNode *node, gboolean floor_allowed, VbBandwidthRate *rate, GError **error)
{
  static const char *const names[] = { "average", "peak", "burst", "floor" };
  guint *fields[] = { &rate->average, &rate->peak, &rate->burst, &rate->floor };
  g_autofree char *where = vb_xml_node_describe (node);
  GError *local = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
    int r = vb_xml_prop_uint (node, names[i], fields[i], error);
    if (r < 0)
      return FALSE;
    if (r > 0 && *fields[i] == 0)
      return vb_xml_fail (error, node, "attribute '%s': 0 is out of range (at least 1)", names[i]);
  }
  if (!vb_bandwidth_rate_check (rate, where, floor_allowed, &local)) {
    g_set_error_literal (error, VB_ERROR, VB_ERROR_XML, local->message);
    g_error_free (local);
    return FALSE;
  }
  return TRUE;
}

VbBandwidth *
vb_bandwidth_parse (xmlNode *node, guint flags, GError **error)
{
  g_autoptr(VbBandwidth) bw = g_new0 (VbBandwidth, 1);
  xmlNode *child;

  if (vb_xml_count (node, "inbound") > 1 || vb_xml_count (node, "outbound") > 1)
    return vb_xml_fail (error, node, "only one <inbound> and one <outbound> are allowed"), NULL;
  if ((child = vb_xml_child (node, "inbound")) != NULL) {
    bw->has_inbound = TRUE;
    if (!parse_rate (child, (flags & VB_BANDWIDTH_PARSE_FLOOR) != 0, &bw->inbound, error))
      return NULL;
  }
  if ((child = vb_xml_child (node, "outbound")) != NULL) {
    bw->has_outbound = TRUE;
    if (!parse_rate (child, FALSE, &bw->outbound, error))
      return NULL;
  }
  return g_steal_pointer (&bw);
}

static const char *
opt_uint (char buf[16], guint v)
{
  if (v == 0)
    return NULL;
  g_snprintf (buf, 16, "%u", v);
  return buf;
}

void
vb_bandwidth_format (VbXmlWriter *w, const VbBandwidth *bw)
{
  const gboolean has[] = { bw->has_inbound, bw->has_outbound };
  const VbBandwidthRate *rates[] = { &bw->inbound, &bw->outbound };
  static const char *const names[] = { "inbound", "outbound" };

  vb_xml_writer_start (w, "bandwidth", NULL);
  for (int i = 0; i < 2; i++) {
    char a[16], p[16], f[16], b[16];
    if (!has[i])
      continue;
    vb_xml_writer_empty (w, names[i],
                         "average", opt_uint (a, rates[i]->average),
                         "peak", opt_uint (p, rates[i]->peak),
                         "floor", opt_uint (f, rates[i]->floor),
                         "burst", opt_uint (b, rates[i]->burst),
                         NULL);
  }
  vb_xml_writer_end (w);
}

VbBandwidth *
vb_bandwidth_copy (const VbBandwidth *bw)
{
  return bw != NULL ? g_memdup2 (bw, sizeof *bw) : NULL;
}

static gboolean
rate_equal (gboolean has_a, const VbBandwidthRate *a, gboolean has_b, const VbBandwidthRate *b)
{
  if (has_a != has_b)
    return FALSE;
  return !has_a || (a->average == b->average && a->peak == b->peak && a->burst == b->burst && a->floor == b->floor);
}

gboolean
vb_bandwidth_equal (const VbBandwidth *a, const VbBandwidth *b)
{
  static const VbBandwidth none = { 0 };

  if (a == NULL)
    a = &none;
  if (b == NULL)
    b = &none;
  return rate_equal (a->has_inbound, &a->inbound, b->has_inbound, &b->inbound) &&
         rate_equal (a->has_outbound, &a->outbound, b->has_outbound, &b->outbound);
}

gboolean
vb_bandwidth_is_set (const VbBandwidth *bw)
{
  return bw != NULL && (bw->has_inbound || bw->has_outbound);
}
