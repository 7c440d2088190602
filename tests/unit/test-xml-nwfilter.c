/* Tests for the network filter model (service/xml/vb-nwfilter-def.c). */
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "vb-error.h"
#include "vb-nwfilter-def.h"
#include "vb-xml.h"
#include "vb-test-util.h"

static char *
data_path (const char *file)
{
  const char *dir = g_getenv ("VB_TEST_DATA");
  return g_build_filename (dir ? dir : "tests/data", "xml", "nwfilter", file, NULL);
}

static char *
load_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static VbNWFilterDef *
parse_sample (const char *file)
{
  g_autofree char *path = data_path (file);
  g_autofree char *xml = load_file (path);
  g_autoptr(GError) error = NULL;
  VbNWFilterDef *def = vb_nwfilter_def_parse (xml, &error);
  g_assert_no_error (error);
  g_assert_nonnull (def);
  return def;
}

/* Validates @xml against the libvirt schema; skips (naming the package that
 * ships the schemas) only when the schema is not installed. */
static void
assert_schema_valid (const char *xml)
{
  vb_test_schema_validate (xml, "nwfilter.rng");
}

static void
check_round_trip (const char *xml)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbNWFilterDef) def = vb_nwfilter_def_parse (xml, &error);
  g_assert_no_error (error);

  g_autofree char *out1 = vb_nwfilter_def_format (def, 0);
  g_autoptr(VbNWFilterDef) def2 = vb_nwfilter_def_parse (out1, &error);
  g_assert_no_error (error);
  g_autofree char *out2 = vb_nwfilter_def_format (def2, 0);
  g_assert_cmpstr (out1, ==, out2);

  g_autoptr(VbNWFilterDef) copy = vb_nwfilter_def_copy (def);
  g_autofree char *out3 = vb_nwfilter_def_format (copy, 0);
  g_assert_cmpstr (out1, ==, out3);

  assert_schema_valid (out1);
}

static guint
round_trip_dir (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = g_dir_open (dir, 0, &error);
  const char *name;
  guint count = 0;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (d)) != NULL) {
    if (!g_str_has_suffix (name, ".xml"))
      continue;
    g_autofree char *path = g_build_filename (dir, name, NULL);
    g_autofree char *xml = load_file (path);
    g_test_message ("sample %s", path);
    check_round_trip (xml);
    count++;
  }
  return count;
}

static void
test_samples (void)
{
  g_autofree char *dir = data_path ("");
  g_assert_cmpuint (round_trip_dir (dir), >=, 6);
}

/* The filters libvirt installs are real-world input: read them in place
 * when they are there. */
static void
test_installed_filters (void)
{
  const char *dir = "/usr/share/libvirt/nwfilter";
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR)) {
    g_test_skip ("no libvirt filters installed (Debian package libvirt-daemon-config-nwfilter)");
    return;
  }
  g_assert_cmpuint (round_trip_dir (dir), >, 0);
}

static const VbNWFilterRule *
rule_at (const VbNWFilterDef *def, guint i)
{
  const VbNWFilterEntry *e = g_ptr_array_index (def->entries, i);
  g_assert_nonnull (e->rule);
  g_assert_null (e->ref);
  return e->rule;
}

static const VbNWFilterRef *
ref_at (const VbNWFilterDef *def, guint i)
{
  const VbNWFilterEntry *e = g_ptr_array_index (def->entries, i);
  g_assert_nonnull (e->ref);
  g_assert_null (e->rule);
  return e->ref;
}

static void
test_order_and_fields (void)
{
  g_autoptr(VbNWFilterDef) def = parse_sample ("guest-clean.xml");
  const VbNWFilterRule *rule;

  g_assert_cmpstr (def->name, ==, "guest-clean");
  g_assert_cmpstr (def->chain, ==, "root");
  g_assert_false (def->has_priority);
  g_assert_cmpstr (def->uuid, ==, "d217f2d7-5a04-0e01-8b98-ec2743436b74");
  g_assert_cmpuint (def->entries->len, ==, 6);
  /* References and rules keep their interleaving. */
  g_assert_cmpstr (ref_at (def, 0)->filter, ==, "no-mac-spoofing");
  g_assert_cmpstr (ref_at (def, 1)->filter, ==, "no-ip-spoofing");
  rule = rule_at (def, 2);
  g_assert_cmpint (rule->action, ==, VB_NWFILTER_ACTION_ACCEPT);
  g_assert_cmpint (rule->direction, ==, VB_NWFILTER_DIRECTION_OUT);
  g_assert_true (rule->has_priority);
  g_assert_cmpint (rule->priority, ==, -650);
  g_assert_true (rule->statematch);
  g_assert_cmpint (rule->protocol, ==, VB_NWFILTER_PROTOCOL_MAC);
  g_assert_cmpstr (vb_nwfilter_rule_get_attr (rule, "protocolid"), ==, "ipv4");
  g_assert_cmpstr (ref_at (def, 3)->filter, ==, "allow-incoming-ipv4");
  rule = rule_at (def, 5);
  g_assert_cmpint (rule->action, ==, VB_NWFILTER_ACTION_DROP);
  g_assert_cmpint (rule->direction, ==, VB_NWFILTER_DIRECTION_INOUT);
  g_assert_false (rule->has_priority);
  g_assert_cmpint (rule->protocol, ==, VB_NWFILTER_PROTOCOL_NONE);
  g_assert_cmpuint (rule->attrs->len, ==, 0);

  g_autofree char *out = vb_nwfilter_def_format (def, 0);
  g_assert_nonnull (strstr (out, "<filter name='guest-clean' chain='root'>\n"
                                 "  <uuid>d217f2d7-5a04-0e01-8b98-ec2743436b74</uuid>\n"
                                 "  <filterref filter='no-mac-spoofing'/>\n"));
  g_assert_nonnull (strstr (out, "  <rule action='drop' direction='inout'/>\n"));
}

static void
test_attribute_order (void)
{
  g_autoptr(VbNWFilterDef) def = parse_sample ("ipv4.xml");
  const VbNWFilterRule *rule = rule_at (def, 2);
  static const char *const names[] = {
    "srcmacaddr", "srcipaddr", "srcipmask", "dstipaddr", "dstipmask", "srcipfrom", "srcipto", "dstipfrom",
    "dstipto", "srcportstart", "srcportend", "dstportstart", "dstportend", "dscp", "connlimit-above", "state",
    "ipset", "ipsetflags", "flags", "comment",
  };

  g_assert_cmpstr (def->chain, ==, "ipv4");
  g_assert_cmpint (def->priority, ==, -700);
  g_assert_cmpint (rule->protocol, ==, VB_NWFILTER_PROTOCOL_TCP);
  g_assert_false (rule->statematch);
  g_assert_cmpuint (rule->attrs->len, ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < rule->attrs->len; i++)
    g_assert_cmpstr (((VbNWFilterAttr *) g_ptr_array_index (rule->attrs, i))->name, ==, names[i]);
  /* Values are kept verbatim, variables included. */
  g_assert_cmpstr (vb_nwfilter_rule_get_attr (rule, "dstipaddr"), ==, "$IP");
  g_assert_cmpstr (vb_nwfilter_rule_get_attr (rule, "flags"), ==, "SYN,ACK/SYN");
  g_assert_cmpstr (vb_nwfilter_rule_get_attr (rule, "ipset"), ==, "trusted hosts");
  g_assert_null (vb_nwfilter_rule_get_attr (rule, "protocol"));

  g_autofree char *out = vb_nwfilter_def_format (def, 0);
  g_assert_nonnull (strstr (out, "<rule action='accept' direction='in' statematch='false'>"));
  g_assert_nonnull (strstr (out, "<tcp srcmacaddr='$MAC' srcipaddr='10.1.0.0' srcipmask='16' "));
}

static void
test_params_and_protocols (void)
{
  g_autoptr(VbNWFilterDef) params = parse_sample ("params.xml");
  g_autoptr(VbNWFilterDef) l2 = parse_sample ("layer2.xml");
  g_autoptr(VbNWFilterDef) v6 = parse_sample ("ipv6.xml");
  const VbNWFilterRef *ref = ref_at (params, 0);
  const VbNWFilterAttr *p;

  g_assert_cmpstr (params->chain, ==, "vlan_x");
  g_assert_cmpint (params->priority, ==, -750);
  g_assert_cmpstr (ref->filter, ==, "clean-traffic");
  g_assert_cmpuint (ref->params->len, ==, 4);
  p = g_ptr_array_index (ref->params, 1);
  g_assert_cmpstr (p->name, ==, "IP");
  g_assert_cmpstr (p->value, ==, "10.0.0.2");
  g_assert_false (rule_at (params, 1)->statematch);
  g_assert_cmpint (rule_at (params, 1)->priority, ==, -1000);

  g_assert_cmpint (rule_at (l2, 3)->protocol, ==, VB_NWFILTER_PROTOCOL_VLAN);
  g_assert_cmpstr (vb_nwfilter_rule_get_attr (rule_at (l2, 3), "srcmacaddr"), ==, "$MAC[@1]");
  g_assert_cmpint (rule_at (l2, 5)->protocol, ==, VB_NWFILTER_PROTOCOL_STP);
  g_assert_cmpstr (vb_nwfilter_rule_get_attr (rule_at (l2, 5), "type"), ==, "0x80");

  static const VbNWFilterProtocol v6_protocols[] = {
    VB_NWFILTER_PROTOCOL_IPV6, VB_NWFILTER_PROTOCOL_IPV6, VB_NWFILTER_PROTOCOL_TCP_IPV6,
    VB_NWFILTER_PROTOCOL_UDP_IPV6, VB_NWFILTER_PROTOCOL_SCTP_IPV6, VB_NWFILTER_PROTOCOL_ICMPV6,
    VB_NWFILTER_PROTOCOL_ALL_IPV6, VB_NWFILTER_PROTOCOL_ESP_IPV6, VB_NWFILTER_PROTOCOL_AH_IPV6,
    VB_NWFILTER_PROTOCOL_UDPLITE_IPV6,
  };
  g_assert_cmpuint (v6->entries->len, ==, G_N_ELEMENTS (v6_protocols));
  for (guint i = 0; i < G_N_ELEMENTS (v6_protocols); i++)
    g_assert_cmpint (rule_at (v6, i)->protocol, ==, v6_protocols[i]);
}

static void
test_generated_uuid_and_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbNWFilterDef) def = vb_nwfilter_def_parse ("<filter name='x'/>", &error);
  g_assert_no_error (error);
  g_assert_true (g_uuid_string_is_valid (def->uuid));
  /* No chain means the root chain, and it is written out. */
  g_assert_cmpstr (def->chain, ==, "root");
  g_autofree char *out = vb_nwfilter_def_format (def, 0);
  g_autofree char *expected = g_strdup_printf ("<filter name='x' chain='root'>\n  <uuid>%s</uuid>\n</filter>\n",
                                               def->uuid);
  g_assert_cmpstr (out, ==, expected);
  check_round_trip (out);
}

static void
test_value_kinds (void)
{
  /* Each accepted value must also satisfy the schema. */
  static const char *const good[] = {
    "<mac srcmacaddr='0:1:2:3:4:5'/>", "<mac protocolid='0x600'/>", "<mac protocolid='0xFFFF'/>",
    "<mac protocolid='1536'/>", "<mac protocolid='vlan'/>", "<mac protocolid='$P'/>",
    "<vlan vlanid='0xfff'/>", "<vlan vlanid='0'/>", "<stp type='255' flags='0xff'/>",
    "<stp root-cost='0x0'/>", "<arp opcode='Reply_reverse'/>", "<arp opcode='InARP_request'/>",
    "<arp opcode='ARP_NAK'/>", "<arp opcode='65535'/>", "<arp gratuitous='1'/>",
    "<ip protocol='icmpv6'/>", "<ip protocol='0xff'/>", "<ip protocol='255'/>", "<ip dscp='63'/>",
    "<ip srcipmask='0'/>", "<ip srcipmask='255.255.255.128'/>", "<ipv6 srcipmask='ffff::'/>",
    "<ipv6 srcipaddr='1:2:3:4:5:6:7:8'/>", "<ipv6 dstipaddr='::'/>", "<ipv6 typeend='0xa'/>",
    "<tcp flags='NONE/ALL'/>", "<tcp state='INVALID'/>", "<tcp ipset='a.b:c-d+e f' ipsetflags='src,src,dst,dst,src,dst'/>",
    "<tcp srcipaddr='$ IP[ @12 ] '/>", "<udp connlimit-above='0x10'/>", "<icmp type='0' code='255'/>",
    "<all comment=''/>", "<tcp-ipv6 dscp='$D'/>", "<icmpv6 code='0x1'/>",
  };
  static const char *const bad[] = {
    "<mac srcmacaddr='0:1:2:3:4'/>", "<mac srcmacaddr='000:1:2:3:4:5'/>", "<mac protocolid='0x5ff'/>",
    "<mac protocolid='1535'/>", "<mac protocolid='0x10000'/>", "<mac protocolid='ip'/>",
    "<vlan vlanid='4096'/>", "<vlan vlanid='0x1000'/>", "<stp type='$T'/>", "<stp type='256'/>",
    "<stp root-cost='4294967296'/>", "<arp opcode='Reply_REVERSE'/>", "<arp opcode='REPLY'/>", "<arp opcode='0x1'/>",
    "<arp gratuitous='maybe'/>", "<arp arpsrcipaddr='fe80::1'/>", "<ip protocol='gre'/>",
    "<ip protocol='256'/>", "<ip dscp='64'/>", "<ip dscp='0x40'/>", "<ip srcipmask='33'/>",
    "<ip srcipmask='255.0.255.0'/>", "<ip srcipaddr='10.0.0.256'/>", "<ip srcipaddr='fe80::1'/>",
    "<ipv6 srcipaddr='10.0.0.1'/>", "<ipv6 srcipmask='129'/>", "<ipv6 srcipmask='::ffff:255.255.255.0'/>",
    "<ipv6 srcipaddr='1:2:3:4:5:6:7::'/>", "<ipv6 srcipaddr='fe80::1%eth0'/>",
    "<tcp flags='SYN'/>", "<tcp flags='SYN/FOO'/>", "<tcp flags='SYN,/ACK'/>", "<tcp state='NEW,NONE'/>",
    "<tcp state='new'/>", "<tcp ipset='x' ipsetflags='src,src,dst,dst,src,dst,src'/>",
    "<tcp ipset='semi;colon' ipsetflags='src'/>", "<tcp ipset='x'/>", "<tcp ipsetflags='src'/>",
    "<tcp srcipaddr='$'/>", "<tcp srcipaddr='$A[]'/>", "<tcp srcipaddr='$A[1'/>", "<tcp srcipaddr='$A-B'/>", "<tcp srcipaddr='$A [1]'/>",
    "<udp connlimit-above='65536'/>", "<icmp type='0x100'/>", "<tcp-ipv6 connlimit-above='1'/>",
    "<tcp-ipv6 state='NEW'/>", "<udp flags='SYN/SYN'/>", "<mac srcipaddr='10.0.0.1'/>", "<stp dstmacaddr='0:1:2:3:4:5'/>",
    "<tcp dstmacaddr='0:1:2:3:4:5'/>", "<icmp srcportstart='1'/>", "<ipv6 dscp='1'/>", "<ip type='1'/>",
    "<all match='true'/>", "<all comment='line&#10;break'/>",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
    g_autofree char *xml = g_strdup_printf ("<filter name='f'><rule action='accept' direction='in'>%s</rule></filter>",
                                            good[i]);
    g_test_message ("good %s", good[i]);
    check_round_trip (xml);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *xml = g_strdup_printf ("<filter name='f'><rule action='accept' direction='in'>%s</rule></filter>",
                                            bad[i]);
    g_autoptr(GError) error = NULL;
    g_autoptr(VbNWFilterDef) def = vb_nwfilter_def_parse (xml, &error);
    g_test_message ("bad %s", bad[i]);
    if (def != NULL)
      g_error ("'%s' was accepted", bad[i]);
    g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  }
}

static void
test_invalid (void)
{
  static const struct {
    const char *xml;
    const char *message;
  } cases[] = {
    { "<filter name='x'>", "malformed" },
    { "<network/>", "expected root element <filter>" },
    /* missing required parts */
    { "<filter/>", "missing attribute 'name'" },
    { "<filter name='x'><rule direction='in'/></filter>", "missing attribute 'action'" },
    { "<filter name='x'><rule action='drop'/></filter>", "missing attribute 'direction'" },
    { "<filter name='x'><filterref/></filter>", "missing attribute 'filter'" },
    { "<filter name='x'><filterref filter='y'><parameter name='IP'/></filterref></filter>",
      "missing attribute 'value'" },
    /* unsupported elements and attributes */
    { "<filter name='x'><comment>no</comment></filter>", "unsupported element <comment>" },
    { "<filter name='x' owner='me'/>", "unsupported attribute 'owner'" },
    { "<filter name='x'><rule action='drop' direction='in' log='yes'/></filter>", "unsupported attribute 'log'" },
    { "<filter name='x'><rule action='drop' direction='in'><gre/></rule></filter>", "unsupported protocol element <gre>" },
    { "<filter name='x'><rule action='drop' direction='in'><tcp bogus='1'/></rule></filter>",
      "unsupported attribute 'bogus' on /filter/rule/tcp" },
    { "<filter name='x'><rule action='drop' direction='in'><mac srcipaddr='10.0.0.1'/></rule></filter>",
      "unsupported attribute 'srcipaddr' on /filter/rule/mac" },
    { "<filter name='x'><filterref filter='y'><param name='a' value='b'/></filterref></filter>",
      "unsupported element <param>" },
    { "<filter name='x' xmlns:a='urn:a'><a:rule/></filter>", "namespaced" },
    { "<filter name='x'><rule action='drop' direction='in'>text</rule></filter>", "unexpected text" },
    /* bad enum values */
    { "<filter name='x'><rule action='allow' direction='in'/></filter>", "'allow'" },
    { "<filter name='x'><rule action='drop' direction='both'/></filter>", "'both'" },
    { "<filter name='x'><rule action='drop' direction='in' statematch='true'/></filter>", "'true'" },
    /* values */
    { "<filter name='1x'/>", "filter name" },
    { "<filter name='a b'/>", "filter name" },
    { "<filter name='x' chain='ipv4-way-too-long'/>", "'chain'" },
    { "<filter name='x' chain='tcp'/>", "'chain'" },
    { "<filter name='x' priority='1001'/>", "-1000..1000" },
    { "<filter name='x'><rule action='drop' direction='in' priority='-2000'/></filter>", "-1000..1000" },
    { "<filter name='x'><rule action='drop' direction='in' priority='high'/></filter>", "not an integer" },
    { "<filter name='x'><rule action='drop' direction='in'><mac srcmacaddr='zz'/></rule></filter>",
      "MAC address" },
    { "<filter name='x'><rule action='drop' direction='in'><tcp-ipv6 srcipaddr='10.0.0.1'/></rule></filter>",
      "IPv6 address" },
    { "<filter name='x'><rule action='drop' direction='in'><tcp ipset='a'/></rule></filter>",
      "'ipset' and 'ipsetflags'" },
    { "<filter name='x'><filterref filter='y'><parameter name='A-B' value='1'/></filterref></filter>",
      "parameter name" },
    { "<filter name='x'><filterref filter='y'><parameter name='A' value='1 2'/></filterref></filter>",
      "parameter value" },
    { "<filter name='x'><uuid>xyz</uuid></filter>", "not a valid UUID" },
    /* duplicates */
    { "<filter name='x'><rule action='drop' direction='in'><tcp/><udp/></rule></filter>",
      "one protocol element" },
    { "<filter name='x'><rule action='drop' direction='in'><tcp/><tcp/></rule></filter>",
      "one protocol element" },
    { "<filter name='x'><uuid>d217f2d7-5a04-0e01-8b98-ec2743436b74</uuid>"
      "<uuid>d217f2d7-5a04-0e01-8b98-ec2743436b75</uuid></filter>", "may appear only once" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(VbNWFilterDef) def = vb_nwfilter_def_parse (cases[i].xml, &error);
    g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].xml);
    if (def != NULL)
      g_error ("case %" G_GSIZE_FORMAT " parsed but should not have", i);
    g_assert_error (error, VB_ERROR, VB_ERROR_XML);
    if (strstr (error->message, cases[i].message) == NULL)
      g_error ("case %" G_GSIZE_FORMAT ": '%s' does not mention '%s'", i, error->message, cases[i].message);
  }
}

static void
test_enum_strings (void)
{
  g_assert_cmpstr (vb_nwfilter_action_to_string (VB_NWFILTER_ACTION_CONTINUE), ==, "continue");
  g_assert_cmpint (vb_nwfilter_action_from_string ("reject"), ==, VB_NWFILTER_ACTION_REJECT);
  g_assert_cmpint (vb_nwfilter_action_from_string ("allow"), ==, -1);
  g_assert_cmpstr (vb_nwfilter_direction_to_string (VB_NWFILTER_DIRECTION_INOUT), ==, "inout");
  g_assert_cmpint (vb_nwfilter_direction_from_string ("out"), ==, VB_NWFILTER_DIRECTION_OUT);
  g_assert_null (vb_nwfilter_protocol_to_string (VB_NWFILTER_PROTOCOL_NONE));
  g_assert_cmpstr (vb_nwfilter_protocol_to_string (VB_NWFILTER_PROTOCOL_UDPLITE_IPV6), ==, "udplite-ipv6");
  g_assert_cmpint (vb_nwfilter_protocol_from_string ("icmpv6"), ==, VB_NWFILTER_PROTOCOL_ICMPV6);
  g_assert_cmpint (vb_nwfilter_protocol_from_string ("none"), ==, -1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/xml/nwfilter/samples", test_samples);
  g_test_add_func ("/xml/nwfilter/installed-filters", test_installed_filters);
  g_test_add_func ("/xml/nwfilter/order-and-fields", test_order_and_fields);
  g_test_add_func ("/xml/nwfilter/attribute-order", test_attribute_order);
  g_test_add_func ("/xml/nwfilter/params-and-protocols", test_params_and_protocols);
  g_test_add_func ("/xml/nwfilter/generated-uuid", test_generated_uuid_and_defaults);
  g_test_add_func ("/xml/nwfilter/value-kinds", test_value_kinds);
  g_test_add_func ("/xml/nwfilter/invalid", test_invalid);
  g_test_add_func ("/xml/nwfilter/enum-strings", test_enum_strings);
  return g_test_run ();
}
