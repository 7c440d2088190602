/* Tests for the <secret> model (service/xml/vb-secret-def.c). */
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "vb-error.h"
#include "vb-secret-def.h"
#include "vb-xml.h"
#include "vb-test-util.h"

static char *
data_path (const char *file)
{
  const char *dir = g_getenv ("VB_TEST_DATA");
  return g_build_filename (dir ? dir : "tests/data", "xml", "secret", file, NULL);
}

static char *
load_sample (const char *file)
{
  g_autofree char *path = data_path (file);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* Validates @xml against the libvirt schema; skips (naming the package that
 * ships the schemas) only when the schema is not installed. */
static void
assert_schema_valid (const char *xml)
{
  vb_test_schema_validate (xml, "secret.rng");
}

/* Parse, format, re-parse, format again: the two outputs must match, the
 * copy must format the same, and the output must satisfy the schema. */
static VbSecretDef *
check_round_trip (const char *xml)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbSecretDef) def = vb_secret_def_parse (xml, &error);
  g_assert_no_error (error);
  g_assert_nonnull (def);

  g_autofree char *out1 = vb_secret_def_format (def, 0);
  g_autoptr(VbSecretDef) def2 = vb_secret_def_parse (out1, &error);
  g_assert_no_error (error);
  g_autofree char *out2 = vb_secret_def_format (def2, 0);
  g_assert_cmpstr (out1, ==, out2);

  g_autoptr(VbSecretDef) copy = vb_secret_def_copy (def);
  g_autofree char *out3 = vb_secret_def_format (copy, 0);
  g_assert_cmpstr (out1, ==, out3);

  assert_schema_valid (out1);
  return g_steal_pointer (&def);
}

static void
test_samples (void)
{
  g_autofree char *dir = data_path ("");
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = g_dir_open (dir, 0, &error);
  const char *name;
  guint count = 0;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (d)) != NULL) {
    if (!g_str_has_suffix (name, ".xml"))
      continue;
    g_test_message ("sample %s", name);
    g_autofree char *xml = load_sample (name);
    g_autoptr(VbSecretDef) def = check_round_trip (xml);
    g_assert_nonnull (def);
    count++;
  }
  g_assert_cmpuint (count, >=, 6);
}

static void
test_fields (void)
{
  static const struct {
    const char *file;
    gboolean ephemeral, private;
    const char *uuid;
    VbSecretUsageType type;
    const char *usage_id;
    const char *description;
  } cases[] = {
    { "volume.xml", FALSE, TRUE, "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f", VB_SECRET_USAGE_VOLUME,
      "/var/lib/libvirt/images/guest.luks", "LUKS passphrase for the guest disk" },
    { "ceph.xml", FALSE, FALSE, "2b3c4d5e-6f70-8192-a3b4-c5d6e7f80912", VB_SECRET_USAGE_CEPH,
      "client.libvirt secret", NULL },
    { "iscsi.xml", FALSE, FALSE, "5e6f7081-92a3-4b4c-9d6e-7f8091a2b3c4", VB_SECRET_USAGE_ISCSI,
      "iqn.2013-07.com.example:storage.lun1", "CHAP secret" },
    { "tls.xml", TRUE, TRUE, "6f708192-a3b4-4c5d-8e6f-708192a3b4c5", VB_SECRET_USAGE_TLS, "tls-client-key", NULL },
    { "vtpm.xml", FALSE, TRUE, "708192a3-b4c5-4d6e-9f70-8192a3b4c5d6", VB_SECRET_USAGE_VTPM, "VTPM_alpha",
      "vTPM state key for guest 'alpha'" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *xml = load_sample (cases[i].file);
    g_autoptr(GError) error = NULL;
    g_autoptr(VbSecretDef) def = vb_secret_def_parse (xml, &error);
    g_assert_no_error (error);
    g_assert_cmpint (def->ephemeral, ==, cases[i].ephemeral);
    g_assert_cmpint (def->private, ==, cases[i].private);
    g_assert_cmpstr (def->uuid, ==, cases[i].uuid);
    g_assert_cmpint (def->usage_type, ==, cases[i].type);
    g_assert_cmpstr (def->usage_id, ==, cases[i].usage_id);
    g_assert_cmpstr (def->description, ==, cases[i].description);
  }
}

static void
test_no_usage (void)
{
  g_autofree char *xml = load_sample ("no-usage.xml");
  g_autoptr(GError) error = NULL;
  g_autoptr(VbSecretDef) def = vb_secret_def_parse (xml, &error);
  g_assert_no_error (error);
  g_assert_true (def->ephemeral);
  g_assert_false (def->private);
  g_assert_cmpint (def->usage_type, ==, VB_SECRET_USAGE_NONE);
  g_assert_null (def->usage_id);
  g_assert_cmpstr (def->description, ==, "A free-standing secret.\nIt has two lines & an ampersand.");
  /* No <uuid>: one is generated, as libvirt does. */
  g_assert_true (g_uuid_string_is_valid (def->uuid));

  g_autofree char *out = vb_secret_def_format (def, 0);
  g_assert_nonnull (strstr (out, "<secret ephemeral='yes' private='no'>"));
  g_assert_null (strstr (out, "<usage"));
}

static void
test_minimal (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbSecretDef) def = vb_secret_def_parse ("<secret/>", &error);
  g_assert_no_error (error);
  g_assert_false (def->ephemeral);
  g_assert_false (def->private);
  g_autofree char *out = vb_secret_def_format (def, 0);
  g_autofree char *expected = g_strdup_printf ("<secret ephemeral='no' private='no'>\n"
                                               "  <uuid>%s</uuid>\n"
                                               "</secret>\n", def->uuid);
  g_assert_cmpstr (out, ==, expected);
}

static void
test_enum_strings (void)
{
  static const char *const names[] = { "none", "volume", "ceph", "iscsi", "tls", "vtpm" };
  for (int i = 0; i < (int) G_N_ELEMENTS (names); i++) {
    g_assert_cmpstr (vb_secret_usage_type_to_string (i), ==, names[i]);
    g_assert_cmpint (vb_secret_usage_type_from_string (names[i]), ==, i);
  }
  /* The values travel on the wire: they are libvirt's. */
  g_assert_cmpint (VB_SECRET_USAGE_VOLUME, ==, 1);
  g_assert_cmpint (VB_SECRET_USAGE_VTPM, ==, 5);
  g_assert_null (vb_secret_usage_type_to_string (6));
  g_assert_cmpint (vb_secret_usage_type_from_string ("nope"), ==, -1);
}

static void
test_invalid (void)
{
  static const struct {
    const char *xml;
    const char *message;
  } cases[] = {
    /* malformed */
    { "<secret>", "malformed" },
    { "<domain/>", "expected root element <secret>" },
    /* unsupported element / attribute */
    { "<secret><value>c2VjcmV0</value></secret>", "unsupported element <value>" },
    { "<secret owner='me'/>", "unsupported attribute 'owner'" },
    { "<secret><usage type='ceph'><name>a</name><pool>p</pool></usage></secret>", "unsupported element <pool>" },
    { "<secret><usage type='volume' extra='1'><volume>/a</volume></usage></secret>", "'extra'" },
    /* bad enum values */
    { "<secret ephemeral='maybe'/>", "'maybe'" },
    { "<secret private='1'/>", "'private'" },
    { "<secret><usage type='kerberos'><name>a</name></usage></secret>", "'kerberos'" },
    { "<secret><usage type='none'/></secret>", "'none'" },
    /* missing required parts */
    { "<secret><usage><name>a</name></usage></secret>", "missing attribute 'type'" },
    { "<secret><usage type='volume'/></secret>", "missing element <volume>" },
    { "<secret><usage type='iscsi'><name>a</name></usage></secret>", "missing element <target>" },
    /* bad values */
    { "<secret><usage type='volume'><volume>relative/path</volume></usage></secret>", "absolute" },
    { "<secret><usage type='ceph'><name>a/b</name></usage></secret>", "'/'" },
    { "<secret><usage type='tls'><name></name></usage></secret>", "non-empty" },
    { "<secret><uuid>not-a-uuid</uuid></secret>", "not a valid UUID" },
    { "<secret><description>a&#13;b</description></secret>", "control characters" },
    { "<secret><usage type='ceph'><name>a&#10;b</name></usage></secret>", "control characters" },
    /* duplicated singletons */
    { "<secret><uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f</uuid>"
      "<uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d6e</uuid></secret>", "may appear only once" },
    { "<secret><description>a</description><description>b</description></secret>", "may appear only once" },
    { "<secret><usage type='ceph'><name>a</name><name>b</name></usage></secret>", "may appear only once" },
    /* hostile */
    { "<!DOCTYPE secret [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><secret><description>&x;</description></secret>",
      "DOCTYPE" },
    { "<secret xmlns:x='urn:x'><x:value/></secret>", "namespaced" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(VbSecretDef) def = vb_secret_def_parse (cases[i].xml, &error);
    g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].xml);
    g_assert_null (def);
    g_assert_error (error, VB_ERROR, VB_ERROR_XML);
    if (strstr (error->message, cases[i].message) == NULL)
      g_error ("case %" G_GSIZE_FORMAT ": '%s' does not mention '%s'", i, error->message, cases[i].message);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/xml/secret/samples", test_samples);
  g_test_add_func ("/xml/secret/fields", test_fields);
  g_test_add_func ("/xml/secret/no-usage", test_no_usage);
  g_test_add_func ("/xml/secret/minimal", test_minimal);
  g_test_add_func ("/xml/secret/enum-strings", test_enum_strings);
  g_test_add_func ("/xml/secret/invalid", test_invalid);
  return g_test_run ();
}
