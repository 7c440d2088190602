#include "vb-test-util.h"

#include <libxml/relaxng.h>
#include <string.h>

#include "vb-error.h"

char *
vb_test_data_dir (const char *kind)
{
  const char *base = g_getenv ("VB_TEST_DATA");
  return g_build_filename (base ? base : "tests/data", "xml", kind, NULL);
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
vb_test_list_samples (const char *kind)
{
  g_autofree char *dir = vb_test_data_dir (kind);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = g_dir_open (dir, 0, &error);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".xml"))
      g_ptr_array_add (files, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (files, compare_paths);
  g_assert_cmpuint (files->len, >, 0);
  return files;
}

char *
vb_test_read_sample (const char *kind, const char *file)
{
  g_autofree char *dir = vb_test_data_dir (kind);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

gboolean
vb_test_schema_validate (const char *xml, const char *schema_name)
{
  static GHashTable *schemas; /* name → xmlRelaxNG */
  const char *dir = g_getenv ("VB_SCHEMA_DIR");
  g_autofree char *path = g_build_filename (dir ? dir : "/usr/share/libvirt/schemas", schema_name, NULL);
  xmlRelaxNG *schema;
  xmlRelaxNGValidCtxt *vctxt;
  xmlDoc *doc;
  int ret;

  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_autofree char *msg = g_strdup_printf ("%s missing: install the Debian package libvirt0", path);
    g_test_skip (msg);
    return FALSE;
  }
  if (schemas == NULL)
    schemas = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  schema = g_hash_table_lookup (schemas, schema_name);
  if (schema == NULL) {
    xmlRelaxNGParserCtxt *pctxt = xmlRelaxNGNewParserCtxt (path);
    schema = xmlRelaxNGParse (pctxt);
    xmlRelaxNGFreeParserCtxt (pctxt);
    g_assert_nonnull (schema);
    g_hash_table_insert (schemas, g_strdup (schema_name), schema);
  }
  doc = xmlReadMemory (xml, (int) strlen (xml), "formatted.xml", NULL, XML_PARSE_NONET);
  g_assert_nonnull (doc);
  vctxt = xmlRelaxNGNewValidCtxt (schema);
  ret = xmlRelaxNGValidateDoc (vctxt, doc);
  xmlRelaxNGFreeValidCtxt (vctxt);
  xmlFreeDoc (doc);
  if (ret != 0)
    g_printerr ("document failing %s:\n%s", schema_name, xml);
  g_assert_cmpint (ret, ==, 0);
  return TRUE;
}

void
vb_test_assert_xml_error (const GError *error, const char *needle)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == VB_ERROR);
  g_assert_cmpint (error->code, ==, VB_ERROR_XML);
  if (strstr (error->message, needle) == NULL)
    g_error ("error '%s' does not mention '%s'", error->message, needle);
}
