/* Helpers shared by the unit tests of the XML model: sample documents under
 * $VB_TEST_DATA/xml/<kind>/ and validation against libvirt's RelaxNG schemas. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* $VB_TEST_DATA/xml/<kind> (tests/data/xml/<kind> when unset). */
char *vb_test_data_dir (const char *kind);
/* Sorted paths of the .xml samples of @kind; asserts there is at least one. */
GPtrArray *vb_test_list_samples (const char *kind);
/* Contents of sample @file of @kind; asserts it can be read. */
char *vb_test_read_sample (const char *kind, const char *file);
/* Asserts @xml validates against schema @schema_name from $VB_SCHEMA_DIR
 * (/usr/share/libvirt/schemas); returns FALSE, after g_test_skip() naming
 * the Debian package, only when the schema is not installed. Parsed schemas
 * are cached for the life of the test program. */
gboolean vb_test_schema_validate (const char *xml, const char *schema_name);
/* Asserts @error is a VB_ERROR_XML whose message contains @needle. */
void vb_test_assert_xml_error (const GError *error, const char *needle);

G_END_DECLS
