/* Tests for backends/qemu/vb-qemu-caps.c against the real
 * qemu-system-x86_64 of the host (Debian 12's QEMU 7.2). */
#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "vb-error.h"
#include "vb-qemu-caps.h"
#include "vb-qemu-cpu.h"
#include "vb-xml.h"

#define EMULATOR "/usr/bin/qemu-system-x86_64"

static gboolean
have_qemu (void)
{
  if (g_file_test (EMULATOR, G_FILE_TEST_IS_EXECUTABLE))
    return TRUE;
  g_test_skip (EMULATOR " missing: install qemu-system-x86");
  return FALSE;
}

static void
probe_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static VbQemuCaps *
probe (const char *emulator, GError **error)
{
  GAsyncResult *result = NULL;
  VbQemuCaps *caps;

  vb_qemu_caps_probe_async (emulator, NULL, probe_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  caps = vb_qemu_caps_probe_finish (result, error);
  g_object_unref (result);
  return caps;
}

static void
schema_validate (const char *xml, const char *schema_name)
{
  const char *dir = g_getenv ("VB_SCHEMA_DIR");
  g_autofree char *path = g_build_filename (dir ? dir : "/usr/share/libvirt/schemas", schema_name, NULL);
  xmlRelaxNGParserCtxtPtr pctxt;
  xmlRelaxNGPtr schema;
  xmlRelaxNGValidCtxtPtr vctxt;
  int ret;

  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_autoptr(xmlDoc) doc = xmlReadMemory (xml, strlen (xml), "formatted.xml", NULL, XML_PARSE_NONET);
  g_assert_nonnull (doc);
  pctxt = xmlRelaxNGNewParserCtxt (path);
  schema = xmlRelaxNGParse (pctxt);
  g_assert_nonnull (schema);
  vctxt = xmlRelaxNGNewValidCtxt (schema);
  ret = xmlRelaxNGValidateDoc (vctxt, doc);
  if (ret != 0)
    g_printerr ("document failing %s:\n%s", schema_name, xml);
  g_assert_cmpint (ret, ==, 0);
  xmlRelaxNGFreeValidCtxt (vctxt);
  xmlRelaxNGFree (schema);
  xmlRelaxNGFreeParserCtxt (pctxt);
}

static gboolean
host_has_kvm_module (void)
{
  return g_file_test ("/sys/module/kvm_intel", G_FILE_TEST_IS_DIR)
         || g_file_test ("/sys/module/kvm_amd", G_FILE_TEST_IS_DIR);
}

static void
test_probe (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbQemuCaps) caps = NULL;
  const VbQemuMachine *pc, *q35, *versioned;
  gboolean one_default = FALSE;

  if (!have_qemu ())
    return;
  caps = probe (EMULATOR, &error);
  g_assert_no_error (error);
  g_assert_nonnull (caps);
  g_assert_cmpstr (caps->emulator, ==, EMULATOR);
  g_assert_cmpstr (caps->arch, ==, "x86_64");
  /* Debian 12: 7.2.x */
  g_assert_cmpuint (caps->version / 1000, ==, 7002);

  pc = vb_qemu_caps_find_machine (caps, "pc");
  g_assert_nonnull (pc);
  g_assert_cmpstr (pc->alias, ==, "pc");
  g_assert_cmpstr (pc->name, ==, "pc-i440fx-7.2");
  g_assert_true (pc->is_default);
  g_assert_cmpuint (pc->max_cpus, ==, 255);
  q35 = vb_qemu_caps_find_machine (caps, "q35");
  g_assert_nonnull (q35);
  g_assert_cmpstr (q35->name, ==, "pc-q35-7.2");
  g_assert_cmpuint (q35->max_cpus, ==, 288);
  versioned = vb_qemu_caps_find_machine (caps, "pc-i440fx-2.12");
  g_assert_nonnull (versioned);
  g_assert_null (versioned->alias);
  g_assert_false (versioned->is_default);
  g_assert_null (vb_qemu_caps_find_machine (caps, "no-such-machine"));
  for (guint i = 0; i < caps->machines->len; i++) {
    const VbQemuMachine *m = g_ptr_array_index (caps->machines, i);
    if (m->is_default) {
      g_assert_false (one_default);
      one_default = TRUE;
    }
  }
  g_assert_true (one_default);

  g_assert_true (vb_qemu_caps_has_cpu_model (caps, "qemu64"));
  g_assert_true (vb_qemu_caps_has_cpu_model (caps, "Skylake-Client"));
  g_assert_true (vb_qemu_caps_has_cpu_model (caps, "max"));
  g_assert_false (vb_qemu_caps_has_cpu_model (caps, "no-such-cpu"));

  g_assert_true (vb_qemu_caps_has_device (caps, "virtio-blk-pci"));
  g_assert_true (vb_qemu_caps_has_device (caps, "virtio-net-pci"));
  g_assert_true (vb_qemu_caps_has_device (caps, "qemu-xhci"));
  g_assert_true (vb_qemu_caps_has_device (caps, "pvpanic"));
  g_assert_false (vb_qemu_caps_has_device (caps, "virtio-device")); /* abstract */
  g_assert_false (vb_qemu_caps_has_device (caps, "no-such-device"));

  /* This QEMU has the KVM accelerator built in; usable only with a vendor
   * module loaded (a bare nested /dev/kvm does not count). */
  g_assert_cmpint (caps->kvm_available, ==, host_has_kvm_module () && g_access ("/dev/kvm", R_OK | W_OK) == 0);
  if (g_file_test ("/usr/share/OVMF/OVMF_CODE.fd", G_FILE_TEST_EXISTS)
      || g_file_test ("/usr/share/OVMF/OVMF_CODE_4M.fd", G_FILE_TEST_EXISTS))
    g_assert_nonnull (caps->ovmf_code);
  else
    g_assert_null (caps->ovmf_code);
}

static void
test_cache (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbQemuCaps) a = NULL;
  g_autoptr(VbQemuCaps) b = NULL;
  gint64 start;

  if (!have_qemu ())
    return;
  a = probe (EMULATOR, &error);
  g_assert_no_error (error);
  /* Cached: no QEMU run, so well under the ~100 ms a probe takes, and an
   * independent copy with the same content. */
  start = g_get_monotonic_time ();
  b = probe (EMULATOR, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 20000);
  g_assert_true (a != b);
  g_assert_cmpuint (a->version, ==, b->version);
  g_assert_cmpuint (a->machines->len, ==, b->machines->len);
  g_assert_cmpuint (a->devices->len, ==, b->devices->len);
  g_assert_cmpuint (a->cpu_models->len, ==, b->cpu_models->len);
}

static void
test_probe_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbQemuCaps) caps = probe ("/nonexistent/qemu-system-x86_64", &error);

  g_assert_null (caps);
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/nonexistent/qemu-system-x86_64"));
  g_clear_error (&error);

  /* Executable but not QEMU: /bin/true answers nothing. */
  caps = probe ("/bin/true", &error);
  g_assert_null (caps);
  g_assert_error (error, VB_ERROR, VB_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "did not answer"));
}

static void
test_capabilities_xml (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbQemuCaps) caps = NULL;
  g_autofree char *xml = NULL;

  if (!have_qemu ())
    return;
  caps = probe (EMULATOR, &error);
  g_assert_no_error (error);
  xml = vb_qemu_caps_format_capabilities (caps, &error);
  g_assert_no_error (error);
  schema_validate (xml, "capability.rng");
  g_assert_nonnull (strstr (xml, "<arch>x86_64</arch>"));
  g_assert_nonnull (strstr (xml, "<emulator>" EMULATOR "</emulator>"));
  g_assert_nonnull (strstr (xml, "<machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>"));
  g_assert_nonnull (strstr (xml, "<machine canonical='pc-q35-7.2' maxCpus='288'>q35</machine>"));
  g_assert_nonnull (strstr (xml, "<machine maxCpus='255'>pc-i440fx-2.12</machine>"));
  g_assert_nonnull (strstr (xml, "<arch name='i686'>"));
  g_assert_nonnull (strstr (xml, "<domain type='qemu'"));
  if (caps->kvm_available)
    g_assert_nonnull (strstr (xml, "<domain type='kvm'"));
  else
    g_assert_null (strstr (xml, "<domain type='kvm'"));
  g_assert_nonnull (strstr (xml, "<cell id='0'>"));
  g_assert_nonnull (strstr (xml, "<cpu id='0' "));
}

static void
test_domain_capabilities_xml (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbQemuCaps) caps = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *q35 = NULL;
  char *bad;

  if (!have_qemu ())
    return;
  caps = probe (EMULATOR, &error);
  g_assert_no_error (error);
  xml = vb_qemu_caps_format_domain_capabilities (caps, NULL, NULL, "qemu", &error);
  g_assert_no_error (error);
  schema_validate (xml, "domaincaps.rng");
  g_assert_nonnull (strstr (xml, "<machine>pc-i440fx-7.2</machine>"));
  g_assert_nonnull (strstr (xml, "<domain>qemu</domain>"));
  g_assert_nonnull (strstr (xml, ">qemu64</model>"));
  g_assert_nonnull (strstr (xml, "<vcpu max='255'/>"));

  q35 = vb_qemu_caps_format_domain_capabilities (caps, NULL, "q35", "qemu", &error);
  g_assert_no_error (error);
  schema_validate (q35, "domaincaps.rng");
  g_assert_nonnull (strstr (q35, "<machine>pc-q35-7.2</machine>"));

  bad = vb_qemu_caps_format_domain_capabilities (caps, NULL, "no-such-machine", "qemu", &error);
  g_assert_null (bad);
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_assert_nonnull (strstr (error->message, "no-such-machine"));
  g_clear_error (&error);

  bad = vb_qemu_caps_format_domain_capabilities (caps, NULL, NULL, "xen", &error);
  g_assert_null (bad);
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_clear_error (&error);

  caps->kvm_available = FALSE;
  bad = vb_qemu_caps_format_domain_capabilities (caps, NULL, NULL, "kvm", &error);
  g_assert_null (bad);
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED);
  g_assert_cmpstr (error->message, ==, "KVM is not available: /dev/kvm missing or unusable");
}

/* The probe kept on disk (vb_qemu_caps_set_cache_dir): written after a
 * probe, used instead of running QEMU while its key matches, ignored and
 * rewritten when it does not. Each step probes through a symlink of its
 * own, so the in-memory cache (per path) never answers. */
static char *
disk_cache_file (const char *dir, const char *emulator)
{
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, emulator, -1);
  g_autofree char *name = g_strdup_printf ("qemu-caps-%.16s.txt", sum);

  return g_build_filename (dir, name, NULL);
}

/* Writes a cache file: @key_prefix@emulator, @first, then @tail (the
 * mark and the compressed second part), which @damage leaves out (1), cuts
 * short (2), adds a byte to (3) or changes a byte of (4). */
static void
write_cache_file (const char *path, const char *key_prefix, const char *emulator, const char *first, GBytes *tail,
                  guint damage)
{
  g_autoptr(GString) s = g_string_new (NULL);
  gsize len = 0;
  const char *bytes = g_bytes_get_data (tail, &len);

  g_string_append_printf (s, "%s%s\n%s", key_prefix, emulator, first);
  if (damage != 1)
    g_string_append_len (s, bytes, damage == 2 ? len - 1 : len);
  if (damage == 3)
    g_string_append_c (s, 'x');
  if (damage == 4)
    s->str[s->len - len / 2] ^= 0x20;
  g_assert_true (g_file_set_contents (path, s->str, s->len, NULL));
}

/* The CPU models' transcript is kept compressed and unpacked when first
 * needed: what went in comes back, and bytes that are not what was packed
 * give an error, not models. */
static void
test_cpu_packed (void)
{
  g_autoptr(GError) error = NULL;
  const char *text = "{\"return\": {}, \"id\": \"cpu-models-done\"}\n";
  g_autoptr(VbQemuCpuData) data = vb_qemu_cpu_data_new ();
  g_autoptr(VbQemuCpuData) copy = vb_qemu_cpu_data_new ();
  g_autoptr(VbQemuCpuData) bad = vb_qemu_cpu_data_new ();
  g_autoptr(VbQemuCpuData) none = vb_qemu_cpu_data_new ();
  g_autoptr(GBytes) packed = NULL;
  g_autoptr(VbQemuCpuModelDef) host = NULL;
  gsize size = 0;

  g_assert_true (vb_qemu_cpu_data_set_transcript (data, text, &error));
  g_assert_no_error (error);
  packed = vb_qemu_cpu_data_get_packed (data, &size);
  g_assert_nonnull (packed);
  g_assert_cmpuint (size, ==, strlen (text));

  /* Unpacked whole, but no model in it. */
  vb_qemu_cpu_data_set_packed (copy, g_bytes_ref (packed), size);
  host = vb_qemu_cpu_host (copy, &error);
  g_assert_null (host);
  g_assert_error (error, VB_ERROR, VB_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "QEMU described no CPU models"));
  g_clear_error (&error);

  /* Told another length: damaged. */
  vb_qemu_cpu_data_set_packed (bad, g_bytes_ref (packed), size + 1);
  host = vb_qemu_cpu_host (bad, &error);
  g_assert_null (host);
  g_assert_nonnull (strstr (error->message, "damaged"));
  g_clear_error (&error);

  /* Not zlib at all. */
  vb_qemu_cpu_data_set_packed (none, g_bytes_new_static ("not zlib", 8), 100);
  host = vb_qemu_cpu_host (none, &error);
  g_assert_null (host);
  g_assert_nonnull (strstr (error->message, "damaged"));
}

static void
test_disk_cache (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *cache = NULL;
  g_autofree char *qemu1 = NULL, *qemu2 = NULL, *qemu3 = NULL;
  g_autofree char *file1 = NULL, *file2 = NULL, *file3 = NULL;
  g_autofree char *contents = NULL;
  gsize contents_len = 0;
  g_autofree char *stale = NULL;
  g_autoptr(VbQemuCaps) a = NULL;
  g_autoptr(VbQemuCaps) b = NULL;
  g_autoptr(VbQemuCaps) c = NULL;
  g_autofree char *transcript = NULL;
  g_autofree char *key_prefix = NULL;
  g_autoptr(GBytes) tail = NULL;
  const char *mark;
  char *eol;

  if (!have_qemu ())
    return;
  tmp = g_dir_make_tmp ("vb-caps-XXXXXX", &error);
  g_assert_no_error (error);
  cache = g_build_filename (tmp, "cache", NULL);
  qemu1 = g_build_filename (tmp, "qemu-system-x86_64", NULL);
  qemu2 = g_build_filename (tmp, "qemu2", NULL);
  qemu3 = g_build_filename (tmp, "qemu3", NULL);
  g_assert_cmpint (symlink (EMULATOR, qemu1), ==, 0);
  g_assert_cmpint (symlink (EMULATOR, qemu2), ==, 0);
  g_assert_cmpint (symlink (EMULATOR, qemu3), ==, 0);
  vb_qemu_caps_set_cache_dir (cache);

  /* A real probe leaves its transcript behind its key line. */
  a = probe (qemu1, &error);
  g_assert_no_error (error);
  file1 = disk_cache_file (cache, qemu1);
  g_assert_true (g_file_get_contents (file1, &contents, &contents_len, NULL));
  eol = strchr (contents, '\n');
  g_assert_nonnull (eol);
  *eol = '\0';
  g_assert_true (g_str_has_prefix (contents, "virtbus-qemu-caps 3 "));
  g_assert_true (g_str_has_suffix (contents, qemu1));
  g_assert_nonnull (strstr (eol + 1, "\"machines\""));
  /* ... and the second part's, every CPU model expanded, compressed: its
   * mark tells its length, compressed length and checksum. */
  g_assert_nonnull (a->cpu);
  mark = strstr (eol + 1, "\n#cpu-models zlib ");
  g_assert_nonnull (mark);
  {
    gsize size = 0, packed_len = 0;
    g_autoptr(GBytes) packed = vb_qemu_cpu_data_get_packed (a->cpu, &size);
    g_autofree char *sum = NULL;
    g_autofree char *line = NULL;

    g_assert_nonnull (packed);
    sum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, packed);
    packed_len = g_bytes_get_size (packed);
    line = g_strdup_printf ("\n#cpu-models zlib %" G_GSIZE_FORMAT " %" G_GSIZE_FORMAT " %s\n", size, packed_len, sum);
    g_assert_true (g_str_has_prefix (mark, line));
    /* 132 models' expansions: ~0.9 MB of JSON, compressed well. */
    g_assert_cmpuint (size, >, 100000);
    g_assert_cmpuint (packed_len * 10, <, size);
    g_assert_cmpuint (contents + contents_len - (mark + strlen (line)), ==, packed_len);
    g_assert_cmpmem (mark + strlen (line), packed_len, g_bytes_get_data (packed, NULL), packed_len);
  }
  /* Everything from the mark on, kept to build other files. */
  tail = g_bytes_new (mark, contents + contents_len - mark);
  {
    g_autofree char *first = g_strndup (eol + 1, mark - (eol + 1));
    GRegex *re = g_regex_new ("\"major\": *[0-9]+", 0, 0, NULL);

    transcript = g_regex_replace_literal (re, first, -1, 0, "\"major\": 97", 0, NULL);
    g_regex_unref (re);
  }
  key_prefix = g_strndup (contents, strlen (contents) - strlen (qemu1));

  /* A file with the right key is believed: a forged QEMU version proves
   * that no QEMU ran. The key names the path, so forge qemu2's. Its CPU
   * models come from the file's second part. */
  file2 = disk_cache_file (cache, qemu2);
  write_cache_file (file2, key_prefix, qemu2, transcript, tail, 0);
  b = probe (qemu2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (b->version / 1000000, ==, 97);
  g_assert_cmpuint (b->machines->len, ==, a->machines->len);
  g_assert_nonnull (b->cpu);
  {
    g_autoptr(VbQemuCpuModelDef) host_a = vb_qemu_cpu_host (a->cpu, &error);
    g_autoptr(VbQemuCpuModelDef) host_b = NULL;

    g_assert_no_error (error);
    host_b = vb_qemu_cpu_host (b->cpu, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (host_a->model, ==, host_b->model);
    g_assert_cmpuint (host_a->require->len, ==, host_b->require->len);
  }

  /* A key that does not match (another size) means a new probe, whose
   * result replaces the file. */
  {
    g_autofree char *key3 = g_strconcat (key_prefix, qemu3, NULL);
    g_autofree char *bad_key = NULL;
    GRegex *re = g_regex_new ("size=[0-9]+", 0, 0, NULL);

    bad_key = g_regex_replace_literal (re, key3, -1, 0, "size=1", 0, NULL);
    g_regex_unref (re);
    stale = g_steal_pointer (&bad_key);
  }
  file3 = disk_cache_file (cache, qemu3);
  write_cache_file (file3, stale, "", transcript, tail, 0);
  c = probe (qemu3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c->version, ==, a->version);
  {
    g_autofree char *rewritten = NULL;

    g_assert_true (g_file_get_contents (file3, &rewritten, NULL, NULL));
    g_assert_null (strstr (rewritten, "size=1 "));
  }

  /* A transcript cut short (the devices' reply lost, as a loaded host once
   * produced) under the right key is not believed, not even as a QEMU
   * without devices: a new probe replaces it. */
  {
    g_autofree char *qemu4 = g_build_filename (tmp, "qemu4", NULL);
    g_autofree char *file4 = NULL;
    g_autofree char *rewritten = NULL;
    g_auto(GStrv) lines = g_strsplit (transcript, "\n", -1);
    g_autoptr(GString) kept = g_string_new (NULL);
    g_autoptr(VbQemuCaps) d = NULL;

    g_assert_cmpint (symlink (EMULATOR, qemu4), ==, 0);
    for (guint i = 0; lines[i] != NULL; i++)
      if (strstr (lines[i], "\"devices\"") == NULL)
        g_string_append_printf (kept, "%s\n", lines[i]);
    g_assert_cmpuint (kept->len, <, strlen (transcript));
    file4 = disk_cache_file (cache, qemu4);
    write_cache_file (file4, key_prefix, qemu4, kept->str, tail, 0);
    d = probe (qemu4, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (d->devices->len, ==, a->devices->len);
    g_assert_cmpuint (d->devices->len, >, 0);
    g_assert_true (g_file_get_contents (file4, &rewritten, NULL, NULL));
    g_assert_nonnull (strstr (rewritten, "\"devices\""));
    g_unlink (file4);
    g_unlink (qemu4);
  }

  /* Without the CPU models' part (a cache of an older virtbus), with it
   * cut short, with bytes more, or with one byte changed, the file is not
   * believed either: each is probed again and rewritten whole. */
  for (guint damage = 1; damage <= 4; damage++) {
    g_autofree char *qemu5 = g_strdup_printf ("%s/qemu5-%u", tmp, damage);
    g_autofree char *file5 = NULL;
    g_autofree char *rewritten = NULL;
    gsize rewritten_len = 0;
    g_autoptr(VbQemuCaps) e = NULL;

    g_assert_cmpint (symlink (EMULATOR, qemu5), ==, 0);
    file5 = disk_cache_file (cache, qemu5);
    write_cache_file (file5, key_prefix, qemu5, transcript, tail, damage);
    e = probe (qemu5, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (e->version, ==, a->version);
    g_assert_nonnull (e->cpu);
    g_assert_true (g_file_get_contents (file5, &rewritten, &rewritten_len, NULL));
    g_assert_null (strstr (rewritten, "\"major\": 97"));
    g_assert_nonnull (strstr (rewritten, "\n#cpu-models zlib "));
    g_unlink (file5);
    g_unlink (qemu5);
  }

  vb_qemu_caps_set_cache_dir (NULL);
  g_unlink (file1);
  g_unlink (file2);
  g_unlink (file3);
  g_unlink (qemu1);
  g_unlink (qemu2);
  g_unlink (qemu3);
  g_rmdir (cache);
  g_rmdir (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* A QEMU refusing its command line must fail an assertion, not kill us. */
  signal (SIGPIPE, SIG_IGN);
  g_test_add_func ("/qemu-caps/probe", test_probe);
  g_test_add_func ("/qemu-caps/cache", test_cache);
  g_test_add_func ("/qemu-caps/disk-cache", test_disk_cache);
  g_test_add_func ("/qemu-caps/cpu-packed", test_cpu_packed);
  g_test_add_func ("/qemu-caps/probe-errors", test_probe_errors);
  g_test_add_func ("/qemu-caps/capabilities-xml", test_capabilities_xml);
  g_test_add_func ("/qemu-caps/domain-capabilities-xml", test_domain_capabilities_xml);
  return g_test_run ();
}
