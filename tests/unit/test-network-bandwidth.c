/* Tests for the shaping of NICs and bridges (backends/network/
 * vb-network-bandwidth.c): the tc scripts for each kind of device and
 * direction, and the IFB devices' names. The scripts run against the
 * kernel in tests/integration/test_qemu_bandwidth.py. */
#include <gio/gio.h>
#include <string.h>

#include "vb-network-bandwidth.h"

static void
test_ifb_names (void)
{
  g_autofree char *a = vb_bandwidth_ifb_name ("vnet12");
  g_autofree char *b = vb_bandwidth_ifb_name ("macvtap123456");
  g_autofree char *c = vb_bandwidth_ifb_name ("macvtap123457");
  g_autofree char *d = vb_bandwidth_ifb_name ("abcdefghijkl");

  g_assert_cmpstr (a, ==, "vb-vnet12");
  g_assert_cmpstr (d, ==, "vb-abcdefghijkl");
  /* Too long for "vb-" in front: a digest, still a valid name, distinct. */
  g_assert_cmpuint (strlen (b), ==, 15);
  g_assert_true (g_str_has_prefix (b, "vb-"));
  g_assert_cmpstr (b, !=, c);
}

static void
test_scripts (void)
{
  VbBandwidth bw = { .has_inbound = TRUE, .inbound = { .average = 1000, .peak = 2000, .burst = 64 },
                     .has_outbound = TRUE, .outbound = { .average = 5 } };
  g_autofree char *tap = vb_bandwidth_tc_script ("vnet0", &bw, VB_SHAPE_TAP);
  g_autofree char *macvtap = vb_bandwidth_tc_script ("macvtap0", &bw, VB_SHAPE_MACVTAP);
  g_autofree char *none = vb_bandwidth_tc_script ("vnet0", NULL, VB_SHAPE_TAP);
  g_autofree char *floor_only = NULL;
  g_autofree char *big = NULL;

  /* A tap: inbound (to the guest) on its egress, outbound through its IFB. */
  g_assert_cmpstr (tap, ==,
                   "qdisc add dev vnet0 root handle 1: htb default 1\n"
                   "class add dev vnet0 parent 1: classid 1:1 htb rate 1000kbps ceil 2000kbps burst 64kb "
                   "quantum 100000\n"
                   "qdisc add dev vb-vnet0 root handle 1: htb default 1\n"
                   "class add dev vb-vnet0 parent 1: classid 1:1 htb rate 5kbps ceil 5kbps quantum 1600\n"
                   "qdisc add dev vnet0 handle ffff: ingress\n"
                   "filter add dev vnet0 parent ffff: protocol all prio 1 u32 match u32 0 0 "
                   "action mirred egress redirect dev vb-vnet0\n");
  /* A macvtap the other way round. */
  g_assert_true (g_str_has_prefix (macvtap, "qdisc add dev macvtap0 root handle 1: htb default 1\n"
                                            "class add dev macvtap0 parent 1: classid 1:1 htb rate 5kbps ceil "
                                            "5kbps quantum 1600\n"
                                            "qdisc add dev vb-macvtap0 root handle 1: htb default 1\n"
                                            "class add dev vb-macvtap0 parent 1: classid 1:1 htb rate 1000kbps"));
  g_assert_cmpstr (none, ==, "");

  /* One direction only: nothing on the other side. */
  bw.has_outbound = FALSE;
  g_free (tap);
  tap = vb_bandwidth_tc_script ("vnet0", &bw, VB_SHAPE_TAP);
  g_assert_null (strstr (tap, "ingress"));
  g_assert_null (strstr (tap, "vb-vnet0"));

  /* A floor alone limits nothing on the device; a fast class's quantum
   * stays within what HTB takes without a warning. */
  bw.inbound = (VbBandwidthRate) { .floor = 100 };
  floor_only = vb_bandwidth_tc_script ("vnet0", &bw, VB_SHAPE_TAP);
  g_assert_cmpstr (floor_only, ==, "");
  bw.inbound = (VbBandwidthRate) { .average = 4000000 };
  big = vb_bandwidth_tc_script ("vnet0", &bw, VB_SHAPE_TAP);
  g_assert_nonnull (strstr (big, "rate 4000000kbps ceil 4000000kbps quantum 200000\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/network-bandwidth/ifb-names", test_ifb_names);
  g_test_add_func ("/network-bandwidth/scripts", test_scripts);
  return g_test_run ();
}
