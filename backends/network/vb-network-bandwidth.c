#include "config.h"

#include "vb-network-bandwidth.h"

#include <string.h>

#include "vb-error.h"
#include "vb-netlink.h"
#include "vb-network-tool.h"

char *
vb_bandwidth_ifb_name (const char *dev)
{
  g_autofree char *digest = NULL;

  if (strlen (dev) <= 12)
    return g_strconcat ("vb-", dev, NULL);
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, dev, -1);
  return g_strdup_printf ("vb-%.12s", digest);
}

/* One HTB class with @rate on @dev's root: everything @dev sends goes
 * through it (it is the default class). */
static void
add_htb (GString *s, const char *dev, const VbBandwidthRate *rate)
{
  /* HTB's quantum (bytes a class sends in a round) from the rate, as
   * HTB would (rate / 10) but held inside what HTB accepts without
   * complaining in the kernel log, and never below a full frame. */
  guint64 quantum = CLAMP ((guint64) rate->average * 100, 1600, 200000);

  g_string_append_printf (s, "qdisc add dev %s root handle 1: htb default 1\n", dev);
  g_string_append_printf (s, "class add dev %s parent 1: classid 1:1 htb rate %ukbps ceil %ukbps", dev,
                          rate->average, rate->peak != 0 ? rate->peak : rate->average);
  if (rate->burst != 0)
    g_string_append_printf (s, " burst %ukb", rate->burst);
  g_string_append_printf (s, " quantum %" G_GUINT64_FORMAT "\n", quantum);
}

static void
directions (const VbBandwidth *bw, VbShapeKind kind, const VbBandwidthRate **egress, const VbBandwidthRate **ingress)
{
  const VbBandwidthRate *in = NULL, *out = NULL;

  /* A floor alone (no average) limits nothing on the device. */
  if (bw != NULL && bw->has_inbound && bw->inbound.average != 0)
    in = &bw->inbound;
  if (bw != NULL && bw->has_outbound && bw->outbound.average != 0)
    out = &bw->outbound;
  *egress = kind == VB_SHAPE_TAP ? in : out;
  *ingress = kind == VB_SHAPE_TAP ? out : in;
}

char *
vb_bandwidth_tc_script (const char *dev, const VbBandwidth *bw, VbShapeKind kind)
{
  const VbBandwidthRate *egress, *ingress;
  GString *s = g_string_new (NULL);

  directions (bw, kind, &egress, &ingress);
  if (egress != NULL)
    add_htb (s, dev, egress);
  if (ingress != NULL) {
    g_autofree char *ifb = vb_bandwidth_ifb_name (dev);
    add_htb (s, ifb, ingress);
    g_string_append_printf (s, "qdisc add dev %s handle ffff: ingress\n", dev);
    g_string_append_printf (s, "filter add dev %s parent ffff: protocol all prio 1 u32 match u32 0 0 "
                               "action mirred egress redirect dev %s\n", dev, ifb);
  }
  return g_string_free (s, FALSE);
}

static char *
clear_script (const char *dev)
{
  return g_strdup_printf ("qdisc del dev %s root\nqdisc del dev %s ingress\n", dev, dev);
}

typedef struct {
  char *dev;
  char *tc;
  char *script;   /* what shapes; NULL once run */
  char *error;    /* the failure being cleaned up after */
} Apply;

static void
apply_free (gpointer p)
{
  Apply *a = p;

  g_free (a->dev);
  g_free (a->tc);
  g_free (a->script);
  g_free (a->error);
  g_free (a);
}

static void
run_tc (GTask *task, const char *script, gboolean force, GAsyncReadyCallback callback)
{
  Apply *a = g_task_get_task_data (task);
  const char *argv[] = { a->tc, "-batch", "-", NULL, NULL };
  g_autofree char *what = g_strdup_printf ("shape the traffic of '%s' with tc", a->dev);

  if (force) {
    /* Go on past errors: the deletions of what may not be there. */
    argv[1] = "-force";
    argv[2] = "-batch";
    argv[3] = "-";
  }
  vb_network_run_tool_async (argv, script, what, callback, task);
}

static void
on_cleared_after_failure (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Apply *a = g_task_get_task_data (task);

  vb_network_run_tool_finish (result, NULL);
  vb_bandwidth_release (a->dev);
  g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "%s", a->error);
}

static void
on_shaped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Apply *a = g_task_get_task_data (task);
  GError *error = NULL;
  g_autofree char *clear = NULL;

  if (vb_network_run_tool_finish (result, &error)) {
    g_task_return_boolean (task, TRUE);
    g_object_unref (task);
    return;
  }
  /* Nothing half-done: what of it was added goes again. */
  a->error = g_strdup (error->message);
  g_error_free (error);
  clear = clear_script (a->dev);
  run_tc (task, clear, TRUE, on_cleared_after_failure);
}

static void
shape (GTask *task)
{
  Apply *a = g_task_get_task_data (task);
  g_autofree char *script = g_steal_pointer (&a->script);
  g_autofree char *ifb = vb_bandwidth_ifb_name (a->dev);
  gboolean needs_ifb = strstr (script, "mirred") != NULL;
  GError *error = NULL;

  /* An IFB of this name is of an earlier shaping of @dev (or of a device
   * of this name that is gone): made anew. */
  vb_bandwidth_release (a->dev);
  if (*script == '\0') {
    g_task_return_boolean (task, TRUE);
    g_object_unref (task);
    return;
  }
  if (needs_ifb) {
    g_autofree char *alias = g_strdup_printf ("virtbus: what %s receives, shaped", a->dev);
    if (!vb_netlink_ifb_add (ifb, alias, &error) || !vb_netlink_link_set_up (ifb, TRUE, &error)) {
      vb_bandwidth_release (a->dev);
      g_prefix_error (&error, "cannot shape the traffic of '%s': ", a->dev);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  }
  run_tc (task, script, FALSE, on_shaped);
}

static void
on_old_cleared (GObject *source, GAsyncResult *result, gpointer user_data)
{
  /* Errors are the deletions of what was not there. */
  vb_network_run_tool_finish (result, NULL);
  shape (user_data);
}

void
vb_bandwidth_apply_async (const char *dev, const VbBandwidth *bw, VbShapeKind kind, gboolean fresh,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  Apply *a = g_new0 (Apply, 1);

  g_task_set_source_tag (task, vb_bandwidth_apply_async);
  g_task_set_task_data (task, a, apply_free);
  a->dev = g_strdup (dev);
  a->script = vb_bandwidth_tc_script (dev, bw, kind);
  if (fresh && *a->script == '\0') {
    g_task_return_boolean (task, TRUE);
    g_object_unref (task);
    return;
  }
  a->tc = vb_network_find_tool ("tc");
  if (a->tc == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                             "cannot shape the traffic of '%s': tc is not installed (Debian package iproute2)", dev);
    g_object_unref (task);
    return;
  }
  if (fresh) {
    shape (task);
    return;
  }
  {
    g_autofree char *clear = clear_script (dev);
    run_tc (task, clear, TRUE, on_old_cleared);
  }
}

gboolean
vb_bandwidth_apply_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
vb_bandwidth_release (const char *dev)
{
  g_autofree char *ifb = vb_bandwidth_ifb_name (dev);

  if (vb_netlink_link_exists (ifb))
    vb_netlink_link_delete (ifb, NULL);
}
