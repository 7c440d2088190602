/* The object-path codec: libvirt-dbus' scheme, and lossless both ways. */
#include "vb-object-path.h"

typedef struct {
  const char *plain;
  const char *encoded;
} Vector;

static const Vector vectors[] = {
  { "eth0", "eth0" },
  { "aa:bb:cc:dd:ee:ff", "aa_3abb_3acc_3add_3aee_3aff" },
  { "/default-pool/vol.img", "_2fdefault_2dpool_2fvol_2eimg" },
  { "scsi_host1", "scsi_5fhost1" },
  { "_", "_5f" },
  { "a b", "a_20b" },
  { "\xc3\xa9t\xc3\xa9", "_c3_a9t_c3_a9" },
};

static void
test_vectors (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++) {
    g_autofree char *enc = vb_object_path_encode (vectors[i].plain);
    g_autofree char *dec = vb_object_path_decode (vectors[i].encoded);
    g_assert_cmpstr (enc, ==, vectors[i].encoded);
    g_assert_cmpstr (dec, ==, vectors[i].plain);
  }
}

static void
test_every_byte_round_trips (void)
{
  char all[256];
  for (int i = 1; i < 256; i++)
    all[i - 1] = (char) i;
  all[255] = '\0';
  g_autofree char *enc = vb_object_path_encode (all);
  g_autofree char *path = g_strdup_printf ("/x/%s", enc);
  g_assert_true (g_variant_is_object_path (path));
  for (const char *p = enc; *p; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '_');
  g_autofree char *dec = vb_object_path_decode (enc);
  g_assert_cmpstr (dec, ==, all);
}

static void
test_decode_rejects_non_canonical (void)
{
  static const char *const bad[] = { "_", "_4", "_zz", "_41" /* escaped 'A' */, "_00", "a-b", "a_2F" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *dec = vb_object_path_decode (bad[i]);
    g_assert_null (dec);
  }
}

static void
test_paths (void)
{
  g_autofree char *conn = vb_object_path_for_connect ("Test");
  g_autofree char *dom = vb_object_path_for (conn, VB_PATH_DOMAIN, "6695eb01-f6a4-8304-79aa-97f2502e193f", NULL);
  g_autofree char *snap = vb_object_path_for (conn, VB_PATH_SNAPSHOT, "6695eb01-f6a4-8304-79aa-97f2502e193f", "s 1");
  g_autofree char *vol = vb_object_path_for (conn, VB_PATH_STORAGE_VOL, "/default-pool/a", NULL);
  g_autofree char *iface = vb_object_path_for (conn, VB_PATH_INTERFACE, "aa:bb:cc:dd:ee:ff", NULL);
  g_autofree char *nd = vb_object_path_for (conn, VB_PATH_NODE_DEVICE, "scsi_host1", NULL);

  g_assert_cmpstr (conn, ==, "/org/libvirt/Test");
  g_assert_cmpstr (dom, ==, "/org/libvirt/Test/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f");
  g_assert_cmpstr (snap, ==, "/org/libvirt/Test/domainsnapshot/_6695eb01_f6a4_8304_79aa_97f2502e193f_s_201");
  g_assert_cmpstr (vol, ==, "/org/libvirt/Test/storagevol/_2fdefault_2dpool_2fa");
  g_assert_cmpstr (iface, ==, "/org/libvirt/Test/interface/aa_3abb_3acc_3add_3aee_3aff");
  g_assert_cmpstr (nd, ==, "/org/libvirt/Test/nodedev/scsi_5fhost1");
  g_assert_true (g_variant_is_object_path (dom));
  g_assert_true (g_variant_is_object_path (snap));
  g_assert_true (g_variant_is_object_path (vol));

  struct { const char *path; VbPathKind kind; const char *id; const char *sub; } back[] = {
    { dom, VB_PATH_DOMAIN, "6695eb01-f6a4-8304-79aa-97f2502e193f", NULL },
    { snap, VB_PATH_SNAPSHOT, "6695eb01-f6a4-8304-79aa-97f2502e193f", "s 1" },
    { vol, VB_PATH_STORAGE_VOL, "/default-pool/a", NULL },
    { iface, VB_PATH_INTERFACE, "aa:bb:cc:dd:ee:ff", NULL },
    { nd, VB_PATH_NODE_DEVICE, "scsi_host1", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (back); i++) {
    g_autofree char *id = NULL, *sub = NULL;
    VbPathKind kind;
    g_assert_true (vb_object_path_parse (conn, back[i].path, &kind, &id, &sub));
    g_assert_cmpint (kind, ==, back[i].kind);
    g_assert_cmpstr (id, ==, back[i].id);
    g_assert_cmpstr (sub, ==, back[i].sub);
  }
}

static void
test_parse_rejects (void)
{
  static const char *const bad[] = {
    "/org/libvirt/QEMU/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f", /* other connection */
    "/org/libvirt/Test/domain/6695eb01_f6a4_8304_79aa_97f2502e193f",  /* no leading _ */
    "/org/libvirt/Test/domain/_6695eb01_f6a4_8304_79aa_97f2502e193",  /* short */
    "/org/libvirt/Test/domain/_zz95eb01_f6a4_8304_79aa_97f2502e193f", /* not hex */
    "/org/libvirt/Test/bogus/abc",
    "/org/libvirt/Test/domain",
    "/org/libvirt/Test/domain/",
    "/org/libvirt/Test/nodedev/a/b",
    "/org/libvirt/Test/nodedev/_zz",
    "/org/libvirt/Test/domainsnapshot/_6695eb01_f6a4_8304_79aa_97f2502e193f",
    "/org/libvirt/Testing/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *id = NULL, *sub = NULL;
    VbPathKind kind;
    g_assert_false (vb_object_path_parse ("/org/libvirt/Test", bad[i], &kind, &id, &sub));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/object-path/vectors", test_vectors);
  g_test_add_func ("/object-path/every-byte", test_every_byte_round_trips);
  g_test_add_func ("/object-path/decode-rejects", test_decode_rejects_non_canonical);
  g_test_add_func ("/object-path/paths", test_paths);
  g_test_add_func ("/object-path/parse-rejects", test_parse_rejects);
  return g_test_run ();
}
