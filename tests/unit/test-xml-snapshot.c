/* Tests for the domain snapshot XML model (service/xml/vb-snapshot-def.c). */
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "vb-error.h"
#include "vb-snapshot-def.h"
#include "vb-xml.h"
#include "vb-test-util.h"

static char *
data_path (const char *name)
{
  const char *dir = g_getenv ("VB_TEST_DATA");
  return g_build_filename (dir ? dir : "tests/data", "xml", "snapshot", name, NULL);
}

static char *
load (const char *name)
{
  g_autofree char *path = data_path (name);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* Validates @xml against the snapshot schema; FALSE (test skipped) when the
 * schema is not installed. */
static gboolean
schema_validate (const char *xml)
{
  return vb_test_schema_validate (xml, "domainsnapshot.rng");
}

static char *
assert_round_trip (const VbSnapshotDef *def, guint flags)
{
  g_autoptr(GError) error = NULL;
  char *out = vb_snapshot_def_format (def, flags);
  g_autoptr(VbSnapshotDef) again = vb_snapshot_def_parse (out, &error);
  if (again == NULL)
    g_printerr ("re-parse failed: %s\n%s\n", error->message, out);
  g_assert_no_error (error);
  g_autofree char *out2 = vb_snapshot_def_format (again, flags);
  g_assert_cmpstr (out, ==, out2);
  return out;
}

static VbSnapshotDef *
parse_ok (const char *xml, guint flags)
{
  g_autoptr(GError) error = NULL;
  VbSnapshotDef *def = vb_snapshot_def_parse_full (xml, flags, &error);
  if (def == NULL)
    g_printerr ("parse failed: %s\n", error->message);
  g_assert_no_error (error);
  return def;
}

static void
parse_fails (const char *xml, guint flags, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbSnapshotDef) def = vb_snapshot_def_parse_full (xml, flags, &error);
  g_assert_null (def);
  g_assert_nonnull (error);
  g_test_message ("  -> %s", error->message);
  if (strstr (error->message, needle) == NULL)
    g_printerr ("error '%s' lacks '%s'\n", error->message, needle);
  g_assert_nonnull (strstr (error->message, needle));
}

static void
test_samples (void)
{
  g_autofree char *dir_path = data_path ("");
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint count = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *xml = NULL;
    g_autoptr(VbSnapshotDef) def = NULL;
    g_autoptr(VbSnapshotDef) copy = NULL;
    guint flags = g_str_has_prefix (name, "user-") ? VB_SNAPSHOT_PARSE_USER : 0;

    if (!g_str_has_suffix (name, ".xml"))
      continue;
    g_test_message ("sample %s", name);
    xml = load (name);
    def = parse_ok (xml, flags);
    copy = vb_snapshot_def_copy (def);
    for (guint f = 0; f <= VB_SNAPSHOT_XML_SECURE; f++) {
      g_autofree char *out = assert_round_trip (def, f);
      g_autofree char *out_copy = vb_snapshot_def_format (copy, f);
      g_assert_cmpstr (out, ==, out_copy);
      if (!schema_validate (out))
        return;
    }
    count++;
  }
  g_assert_cmpuint (count, >=, 4);
}

static void
test_test_driver (void)
{
  g_autofree char *xml = load ("test-driver-running.xml");
  g_autoptr(VbSnapshotDef) def = parse_ok (xml, 0);
  g_autofree char *out = NULL;
  const VbSnapshotDiskDef *d;

  g_assert_cmpstr (def->name, ==, "s2");
  g_assert_null (def->description);
  g_assert_cmpint (def->state, ==, VB_SNAPSHOT_STATE_RUNNING);
  g_assert_cmpstr (def->parent, ==, "s1");
  g_assert_true (def->has_creation_time);
  g_assert_cmpint (def->creation_time, >, 1600000000);
  g_assert_cmpint (def->memory, ==, VB_SNAPSHOT_LOCATION_INTERNAL);
  g_assert_cmpuint (def->disks->len, ==, 1);
  d = g_ptr_array_index (def->disks, 0);
  g_assert_cmpstr (d->name, ==, "vda");
  g_assert_cmpint (d->snapshot, ==, VB_SNAPSHOT_LOCATION_INTERNAL);
  g_assert_nonnull (def->domain);
  g_assert_cmpstr (def->domain->name, ==, "test");
  g_assert_cmpuint (def->domain->memory_kib, ==, 8388608);
  g_assert_null (def->inactive_domain);
  g_assert_cmpint (def->active, ==, -1);

  /* Identical to what libvirt's test driver prints. */
  out = vb_snapshot_def_format (def, 0);
  g_assert_cmpstr (out, ==, xml);
}

static void
test_embedded_domain (void)
{
  g_autofree char *xml = load ("redefine-disk-only.xml");
  g_autoptr(VbSnapshotDef) def = parse_ok (xml, 0);
  g_autofree char *plain = vb_snapshot_def_format (def, 0);
  g_autofree char *secure = vb_snapshot_def_format (def, VB_SNAPSHOT_XML_SECURE);
  g_autofree char *dom_alone = NULL;
  g_autofree char *meta = NULL;
  g_autoptr(VbDomainDef) reparsed = NULL;
  g_autoptr(GError) error = NULL;
  const char *start, *end;
  g_autofree char *embedded = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) dedented = g_string_new (NULL);

  g_assert_cmpint (def->state, ==, VB_SNAPSHOT_STATE_DISK_SNAPSHOT);
  g_assert_cmpint (def->memory, ==, VB_SNAPSHOT_LOCATION_NO);
  g_assert_cmpint (def->active, ==, 1);
  g_assert_nonnull (def->cookie);
  g_assert_nonnull (strstr (def->cookie, "Skylake-Client-IBRS"));
  g_assert_nonnull (def->inactive_domain);
  g_assert_cmpuint (def->inactive_domain->vcpus, ==, 2);
  g_assert_cmpuint (def->domain->disks->len, ==, 2);
  meta = vb_domain_def_get_metadata (def->domain, VB_DOMAIN_METADATA_ELEMENT, "urn:example:note", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (meta, "hello"));

  /* Passwords of the embedded domain follow the SECURE flag. */
  g_assert_null (strstr (plain, "hunter2"));
  g_assert_nonnull (strstr (secure, "passwd='hunter2'"));

  /* The embedded <domain> is exactly the domain model's inactive output,
   * indented one level. */
  start = strstr (plain, "  <domain type=");
  end = strstr (plain, "  </domain>\n");
  g_assert_nonnull (start);
  g_assert_nonnull (end);
  embedded = g_strndup (start, (gsize) (end - start) + strlen ("  </domain>\n"));
  lines = g_strsplit (embedded, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    if (*lines[i] == '\0')
      continue;
    g_assert_true (g_str_has_prefix (lines[i], "  "));
    g_string_append_printf (dedented, "%s\n", lines[i] + 2);
  }
  dom_alone = vb_domain_def_format (def->domain, VB_DOMAIN_XML_INACTIVE);
  g_assert_cmpstr (dedented->str, ==, dom_alone);
  reparsed = vb_domain_def_parse (dedented->str, &error);
  g_assert_no_error (error);
  g_free (dom_alone);
  dom_alone = vb_domain_def_format (reparsed, VB_DOMAIN_XML_INACTIVE);
  g_assert_cmpstr (dedented->str, ==, dom_alone);
}

static void
test_user_input (void)
{
  g_autofree char *xml = load ("user-external.xml");
  g_autoptr(VbSnapshotDef) def = parse_ok (xml, VB_SNAPSHOT_PARSE_USER);
  g_autoptr(VbSnapshotDef) nameless = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const VbSnapshotDiskDef *d;

  g_assert_cmpstr (def->name, ==, "before-upgrade");
  g_assert_nonnull (strstr (def->description, "\ndistribution"));
  g_assert_cmpint (def->memory, ==, VB_SNAPSHOT_LOCATION_EXTERNAL);
  g_assert_cmpstr (def->memory_file, ==, "/var/lib/libvirt/qemu/snapshot/before-upgrade.mem");
  g_assert_true (def->has_creation_time);
  g_assert_cmpint (def->creation_time, >=, now - 5);
  g_assert_cmpuint (def->disks->len, ==, 4);
  d = g_ptr_array_index (def->disks, 0);
  g_assert_cmpint (d->snapshot, ==, VB_SNAPSHOT_LOCATION_EXTERNAL);
  g_assert_cmpstr (d->driver_type, ==, "qcow2");
  g_assert_cmpstr (d->src_path, ==, "/var/lib/libvirt/images/fedora.before-upgrade");
  d = g_ptr_array_index (def->disks, 1);
  g_assert_cmpint (d->snapshot, ==, VB_SNAPSHOT_LOCATION_NO);
  d = g_ptr_array_index (def->disks, 2);
  g_assert_cmpint (d->snapshot, ==, VB_SNAPSHOT_LOCATION_MANUAL);
  g_assert_cmpstr (d->name, ==, "/srv/iso/Fedora-39.iso");
  d = g_ptr_array_index (def->disks, 3);
  g_assert_cmpint (d->snapshot, ==, VB_SNAPSHOT_LOCATION_EXTERNAL); /* implied by the source */
  g_assert_cmpint (d->type, ==, VB_SNAPSHOT_DISK_TYPE_BLOCK);
  g_assert_null (def->domain);

  /* A missing name comes from the creation time, as in libvirt. */
  nameless = parse_ok ("<domainsnapshot/>", VB_SNAPSHOT_PARSE_USER);
  {
    g_autofree char *expect = g_strdup_printf ("%" G_GINT64_FORMAT, nameless->creation_time);
    g_assert_cmpstr (nameless->name, ==, expect);
  }

  /* Everything else is for redefinition only. */
  parse_fails ("<domainsnapshot><state>running</state></domainsnapshot>", VB_SNAPSHOT_PARSE_USER, "<state>");
  parse_fails ("<domainsnapshot><creationTime>5</creationTime></domainsnapshot>", VB_SNAPSHOT_PARSE_USER,
               "redefining");
  parse_fails ("<domainsnapshot><parent><name>p</name></parent></domainsnapshot>", VB_SNAPSHOT_PARSE_USER, "<parent>");
  parse_fails ("<domainsnapshot><cookie/></domainsnapshot>", VB_SNAPSHOT_PARSE_USER, "<cookie>");
  parse_fails ("<domainsnapshot><active>1</active></domainsnapshot>", VB_SNAPSHOT_PARSE_USER, "<active>");
  {
    g_autofree char *withdom = load ("test-driver-running.xml");
    parse_fails (withdom, VB_SNAPSHOT_PARSE_USER, "<state>");
  }
  /* Redefinition needs a name and a creation time. */
  parse_fails ("<domainsnapshot><creationTime>5</creationTime></domainsnapshot>", 0, "<name>");
  parse_fails ("<domainsnapshot><name>x</name></domainsnapshot>", 0, "<creationTime>");
}

static void
test_negative (void)
{
  static const struct { const char *body; const char *needle; } bad[] = {
    { "<name>a/b</name>", "'/'" },
    { "<name></name>", "empty" },
    { "<state>sleeping</state>", "sleeping" },
    { "<creationTime>-5</creationTime>", "integer" },
    { "<creationTime>99999999999999999999</creationTime>", "integer" },
    { "<parent/>", "<name>" },
    { "<memory snapshot='external'/>", "file" },
    { "<memory snapshot='internal' file='/a'/>", "external" },
    { "<memory file='relative'/>", "absolute" },
    { "<memory snapshot='manual'/>", "manual" },
    { "<memory/>", "snapshot" },
    { "<disks><disk/></disks>", "'name'" },
    { "<disks><disk name='vda'/><disk name='vda'/></disks>", "twice" },
    { "<disks><disk name='nope'/></disks>", "nope" },
    { "<disks><disk name='vda' snapshot='internal'><source file='/x'/></disk></disks>", "external" },
    { "<disks><disk name='vda' snapshot='sometimes'/></disks>", "sometimes" },
    { "<disks><disk name='vda' type='network'/></disks>", "network" },
    { "<disks><disk name='vda'><driver type='qcow7'/></disk></disks>", "qcow7" },
    { "<disks><disk name='vda'><source file='/x'><seclabel/></source></disk></disks>", "<seclabel>" },
    { "<disks><bogus/></disks>", "<bogus>" },
    { "<active>2</active>", "0 or 1" },
    { "<domain type='kvm'><name>x</name></domain>", "<os>" },
    { "<domain type='kvm'><name>x</name><memory>1</memory><os><type>hvm</type></os><bad/></domain>", "<bad>" },
    { "<inactiveDomain type='xen'/>", "xen" },
    { "<checkpoint/>", "<checkpoint>" },
    { "<name>a</name><name>b</name>", "only once" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *xml = g_strdup_printf ("<domainsnapshot><creationTime>1</creationTime>%s%s</domainsnapshot>",
                                            strstr (bad[i].body, "<name>") ? "" : "<name>n</name>", bad[i].body);
    /* The creationTime tests need the only creationTime. */
    if (strstr (bad[i].body, "<creationTime>")) {
      g_free (xml);
      xml = g_strdup_printf ("<domainsnapshot><name>n</name>%s</domainsnapshot>", bad[i].body);
    }
    g_test_message ("bad %" G_GSIZE_FORMAT ": %s", i, bad[i].body);
    parse_fails (xml, 0, bad[i].needle);
  }
  parse_fails ("<domain/>", 0, "<domainsnapshot>");
  parse_fails ("<domainsnapshot>", 0, "malformed");
  {
    g_autoptr(GError) error = NULL;
    g_assert_null (vb_snapshot_def_parse_full ("<domainsnapshot/>", 0x80, &error));
    g_assert_error (error, VB_ERROR, VB_ERROR_UNSUPPORTED_FLAGS);
  }
}

static void
test_enums (void)
{
  g_assert_cmpstr (vb_snapshot_state_to_string (VB_SNAPSHOT_STATE_SHUTOFF), ==, "shutoff");
  g_assert_null (vb_snapshot_state_to_string (VB_SNAPSHOT_STATE_NONE));
  g_assert_cmpint (vb_snapshot_state_from_string ("paused"), ==, VB_SNAPSHOT_STATE_PAUSED);
  g_assert_cmpint (vb_snapshot_state_from_string ("nope"), ==, -1);
  g_assert_cmpstr (vb_snapshot_location_to_string (VB_SNAPSHOT_LOCATION_EXTERNAL), ==, "external");
  g_assert_true (vb_snapshot_def_validate_name ("snap 1", NULL));
  g_assert_false (vb_snapshot_def_validate_name ("a\tb", NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/xml/snapshot/samples", test_samples);
  g_test_add_func ("/xml/snapshot/test-driver", test_test_driver);
  g_test_add_func ("/xml/snapshot/embedded-domain", test_embedded_domain);
  g_test_add_func ("/xml/snapshot/user-input", test_user_input);
  g_test_add_func ("/xml/snapshot/negative", test_negative);
  g_test_add_func ("/xml/snapshot/enums", test_enums);
  return g_test_run ();
}
