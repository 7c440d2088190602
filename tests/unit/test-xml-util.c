/* Tests for the safe XML reader and the writer (service/xml/vb-xml.c). */
#include <libxml/parser.h>

#include "vb-error.h"
#include "vb-xml.h"

static void
test_parse_rejects_hostile (void)
{
  static const char *const bad[] = {
    /* billion laughs */
    "<!DOCTYPE d [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;&a;'>]><domain>&b;</domain>",
    /* external entity */
    "<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain>&x;</domain>",
    /* bare doctype */
    "<!DOCTYPE domain><domain/>",
    "<domain>",
    "",
    "<network/>",
    "<ns:domain xmlns:ns='urn:x'/>",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = vb_xml_parse (bad[i], -1, "domain", &error);
    g_assert_null (doc);
    g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  }
}

static void
test_parse_size_limit (void)
{
  g_autoptr(GError) error = NULL;
  gsize n = VB_XML_MAX_SIZE + 16;
  g_autofree char *big = g_malloc (n + 1);
  memset (big, ' ', n);
  memcpy (big, "<domain>", 8);
  memcpy (big + n - 9, "</domain>", 9);
  big[n] = '\0';
  g_autoptr(xmlDoc) doc = vb_xml_parse (big, -1, "domain", &error);
  g_assert_null (doc);
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  g_assert_nonnull (strstr (error->message, "too large"));
}

static void
test_deep_nesting (void)
{
  g_autoptr(GString) s = g_string_new ("<domain>");
  g_autoptr(GError) error = NULL;
  for (int i = 0; i < 100000; i++)
    g_string_append (s, "<a>");
  g_autoptr(xmlDoc) doc = vb_xml_parse (s->str, -1, "domain", &error);
  g_assert_null (doc);
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
}

static void
test_consumed (void)
{
  const char *xml = "<domain type='kvm' bogus='1'>\n  <name>x</name>\n  <extra/>\n</domain>";
  g_autoptr(GError) error = NULL;
  g_autoptr(xmlDoc) doc = vb_xml_parse (xml, -1, "domain", &error);
  g_assert_no_error (error);
  xmlNode *root = xmlDocGetRootElement (doc);
  g_autofree char *type = vb_xml_prop (root, "type");
  g_autofree char *name = vb_xml_child_text (root, "name");
  g_assert_cmpstr (type, ==, "kvm");
  g_assert_cmpstr (name, ==, "x");

  g_assert_false (vb_xml_check_consumed (root, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  g_assert_nonnull (strstr (error->message, "'bogus'"));
  g_clear_error (&error);

  g_free (vb_xml_prop (root, "bogus"));
  g_assert_false (vb_xml_check_consumed (root, &error));
  g_assert_nonnull (strstr (error->message, "<extra>"));
  g_assert_nonnull (strstr (error->message, "/domain/extra"));
  g_clear_error (&error);

  g_assert_nonnull (vb_xml_child (root, "extra"));
  g_assert_true (vb_xml_check_consumed (root, &error));
  g_assert_no_error (error);
}

static void
test_duplicate_and_text (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(xmlDoc) doc = vb_xml_parse ("<domain><name>a</name><name>b</name></domain>", -1, "domain", &error);
  xmlNode *root = xmlDocGetRootElement (doc);
  g_free (vb_xml_child_text (root, "name"));
  g_assert_false (vb_xml_check_consumed (root, &error));
  g_assert_nonnull (strstr (error->message, "only once"));
  g_clear_error (&error);

  g_autoptr(xmlDoc) doc2 = vb_xml_parse ("<domain>stray<x/></domain>", -1, "domain", &error);
  root = xmlDocGetRootElement (doc2);
  vb_xml_child (root, "x");
  g_assert_false (vb_xml_check_consumed (root, &error));
  g_assert_nonnull (strstr (error->message, "stray"));
}

static void
test_typed_props (void)
{
  static const char *const modes[] = { "nat", "route", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(xmlDoc) doc = vb_xml_parse ("<domain a='0x10' b='-3' c='yes' d='route' e='zz' f='maybe'/>",
                                        -1, "domain", &error);
  xmlNode *root = xmlDocGetRootElement (doc);
  guint64 a = 0;
  int b = 0, d = -1;
  gboolean c = FALSE;
  guint64 missing = 42;

  g_assert_cmpint (vb_xml_prop_u64 (root, "a", &a, &error), ==, 1);
  g_assert_cmpuint (a, ==, 16);
  g_assert_cmpint (vb_xml_prop_int (root, "b", &b, &error), ==, 1);
  g_assert_cmpint (b, ==, -3);
  g_assert_cmpint (vb_xml_prop_bool (root, "c", FALSE, &c, &error), ==, 1);
  g_assert_true (c);
  g_assert_cmpint (vb_xml_prop_enum (root, "d", modes, &d, &error), ==, 1);
  g_assert_cmpint (d, ==, 1);
  g_assert_cmpint (vb_xml_prop_u64 (root, "nope", &missing, &error), ==, 0);
  g_assert_cmpuint (missing, ==, 42);
  g_assert_cmpint (vb_xml_prop_u64 (root, "e", &a, &error), ==, -1);
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  g_clear_error (&error);
  g_assert_cmpint (vb_xml_prop_bool (root, "f", FALSE, &c, &error), ==, -1);
  g_assert_nonnull (strstr (error->message, "maybe"));
}

static void
test_scaled (void)
{
  g_autoptr(GError) error = NULL;
  guint64 v = 0;
  g_assert_true (vb_parse_scaled ("1", "GiB", 1024, 1024, G_MAXUINT64, &v, &error));
  g_assert_cmpuint (v, ==, 1024 * 1024);
  g_assert_true (vb_parse_scaled ("2048", NULL, 1024, 1024, G_MAXUINT64, &v, &error));
  g_assert_cmpuint (v, ==, 2048);
  g_assert_true (vb_parse_scaled ("1000", "b", 1024, 1024, G_MAXUINT64, &v, &error));
  g_assert_cmpuint (v, ==, 1);
  g_assert_false (vb_parse_scaled ("99999999999", "EiB", 1024, 1024, G_MAXUINT64, &v, &error));
  g_clear_error (&error);
  g_assert_false (vb_parse_scaled ("1", "parsecs", 1024, 1024, G_MAXUINT64, &v, &error));
  g_clear_error (&error);
  g_assert_false (vb_parse_scaled ("-1", NULL, 1024, 1024, G_MAXUINT64, &v, &error));
}

static void
test_uuid (void)
{
  char out[37];
  g_assert_true (vb_uuid_parse ("6695EB01F6A4830479AA97F2502E193F", out));
  g_assert_cmpstr (out, ==, "6695eb01-f6a4-8304-79aa-97f2502e193f");
  g_assert_false (vb_uuid_parse ("6695eb01-f6a4", out));
  g_assert_false (vb_uuid_parse ("zz95eb01-f6a4-8304-79aa-97f2502e193f", out));
  vb_uuid_generate (out);
  g_assert_true (g_uuid_string_is_valid (out));
}

static void
test_writer (void)
{
  g_autoptr(VbXmlWriter) w = vb_xml_writer_new ();
  vb_xml_writer_start (w, "domain", "type", "kvm", "id", NULL, NULL);
  vb_xml_writer_element (w, "name", "a<b>&'c'", NULL);
  vb_xml_writer_element (w, "title", NULL, NULL);
  vb_xml_writer_start (w, "devices", NULL);
  vb_xml_writer_end (w);
  vb_xml_writer_start (w, "os", NULL);
  vb_xml_writer_element (w, "type", "hvm", "arch", "x86_64", NULL);
  vb_xml_writer_end (w);
  vb_xml_writer_raw (w, "<metadata><x:a xmlns:x='urn:x'>\n  keep</x:a></metadata>");
  g_autofree char *s = vb_xml_writer_finish (g_steal_pointer (&w));
  g_assert_cmpstr (s, ==,
                   "<domain type='kvm'>\n"
                   "  <name>a&lt;b&gt;&amp;'c'</name>\n"
                   "  <devices/>\n"
                   "  <os>\n"
                   "    <type arch='x86_64'>hvm</type>\n"
                   "  </os>\n"
                   "  <metadata><x:a xmlns:x='urn:x'>\n  keep</x:a></metadata>\n"
                   "</domain>\n");
}

/* vb_parse_u64_fields: exactly N decimal numbers, nothing around them. */
static void
test_parse_fields (void)
{
  guint64 f[3] = { 0 };

  g_assert_true (vb_parse_u64_fields ("01/31/2024", '/', 3, f));
  g_assert_cmpuint (f[0], ==, 1);
  g_assert_cmpuint (f[1], ==, 31);
  g_assert_cmpuint (f[2], ==, 2024);
  g_assert_true (vb_parse_u64_fields ("4.6", '.', 2, f));
  g_assert_cmpuint (f[1], ==, 6);
  g_assert_false (vb_parse_u64_fields ("4.6", '.', 3, f));
  g_assert_false (vb_parse_u64_fields ("4.6.1", '.', 2, f));
  g_assert_false (vb_parse_u64_fields ("4.", '.', 2, f));
  g_assert_false (vb_parse_u64_fields (".6", '.', 2, f));
  g_assert_false (vb_parse_u64_fields ("4.-6", '.', 2, f));
  g_assert_false (vb_parse_u64_fields (" 4.6", '.', 2, f));
  g_assert_false (vb_parse_u64_fields ("4/6", '.', 2, f));
  g_assert_false (vb_parse_u64_fields ("99999999999999999999.1", '.', 2, f));
  g_assert_false (vb_parse_u64_fields ("", '.', 1, f));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/xml/parse/hostile", test_parse_rejects_hostile);
  g_test_add_func ("/xml/parse/size-limit", test_parse_size_limit);
  g_test_add_func ("/xml/parse/deep-nesting", test_deep_nesting);
  g_test_add_func ("/xml/consumed", test_consumed);
  g_test_add_func ("/xml/parse/u64-fields", test_parse_fields);
  g_test_add_func ("/xml/duplicate-and-text", test_duplicate_and_text);
  g_test_add_func ("/xml/typed-props", test_typed_props);
  g_test_add_func ("/xml/scaled", test_scaled);
  g_test_add_func ("/xml/uuid", test_uuid);
  g_test_add_func ("/xml/writer", test_writer);
  return g_test_run ();
}
