/* UEFI firmware from QEMU's firmware descriptors (vb-qemu-firmware.c):
 * which descriptors count, which firmware a definition gets, the NVRAM
 * store made from its template. Descriptors and images are made up in a
 * scratch directory; nothing of the host's is read. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "vb-error.h"
#include "vb-qemu-firmware.h"

typedef struct {
  char *dir;    /* scratch */
  char *etc;    /* like /etc/qemu/firmware */
  char *share;  /* like /usr/share/qemu/firmware */
} Fixture;

static void
write_file (const char *dir, const char *name, const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* A descriptor of a split raw image: @features as a JSON list body. */
static char *
descriptor (const char *code, const char *vars, const char *machines, const char *features)
{
  return g_strdup_printf ("{ \"description\": \"test %s\", \"interface-types\": [ \"uefi\" ],\n"
                          "  \"mapping\": { \"device\": \"flash\",\n"
                          "    \"executable\": { \"filename\": \"%s\", \"format\": \"raw\" },\n"
                          "    \"nvram-template\": { \"filename\": \"%s\", \"format\": \"raw\" } },\n"
                          "  \"targets\": [ { \"architecture\": \"aarch64\", \"machines\": [ \"virt-*\" ] },\n"
                          "                 { \"architecture\": \"x86_64\", \"machines\": [ %s ] } ],\n"
                          "  \"features\": [ %s ], \"tags\": [] }\n",
                          code, code, vars, machines, features);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *plain = NULL, *secure = NULL, *enrolled = NULL;

  f->dir = g_dir_make_tmp ("vb-firmware-XXXXXX", &error);
  g_assert_no_error (error);
  f->etc = g_build_filename (f->dir, "etc", NULL);
  f->share = g_build_filename (f->dir, "share", NULL);
  g_assert_cmpint (g_mkdir (f->etc, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (f->share, 0755), ==, 0);
  /* As Debian ships them: enrolled keys first, then Secure Boot without
   * keys, then plain (pc and q35). */
  enrolled = descriptor ("/fw/CODE.ms.fd", "/fw/VARS.ms.fd", "\"pc-q35-*\"",
                         "\"acpi-s3\", \"enrolled-keys\", \"requires-smm\", \"secure-boot\"");
  secure = descriptor ("/fw/CODE.secboot.fd", "/fw/VARS.fd", "\"pc-q35-*\"",
                       "\"acpi-s3\", \"requires-smm\", \"secure-boot\"");
  plain = descriptor ("/fw/CODE.fd", "/fw/VARS.fd", "\"pc-i440fx-*\", \"pc-q35-*\"", "\"acpi-s3\"");
  write_file (f->share, "40-secure-enrolled.json", enrolled);
  write_file (f->share, "50-secure.json", secure);
  write_file (f->share, "60-plain.json", plain);
  /* Not for us: BIOS, memory-mapped, combined, broken, not JSON objects. */
  write_file (f->share, "10-bios.json",
              "{ \"interface-types\": [ \"bios\" ], \"mapping\": { \"device\": \"memory\", \"filename\": \"/fw/bios.bin\" },"
              " \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ \"pc-*\" ] } ], \"features\": [] }");
  write_file (f->share, "11-memory.json",
              "{ \"interface-types\": [ \"uefi\" ], \"mapping\": { \"device\": \"memory\", \"filename\": \"/fw/x.fd\" },"
              " \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ \"pc-*\" ] } ], \"features\": [] }");
  write_file (f->share, "12-combined.json",
              "{ \"interface-types\": [ \"uefi\" ], \"mapping\": { \"device\": \"flash\", \"mode\": \"combined\","
              " \"executable\": { \"filename\": \"/fw/OVMF.fd\", \"format\": \"raw\" } },"
              " \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ \"pc-*\" ] } ], \"features\": [] }");
  write_file (f->share, "13-qcow2.json",
              "{ \"interface-types\": [ \"uefi\" ], \"mapping\": { \"device\": \"flash\","
              " \"executable\": { \"filename\": \"/fw/c.qcow2\", \"format\": \"qcow2\" },"
              " \"nvram-template\": { \"filename\": \"/fw/v.qcow2\", \"format\": \"qcow2\" } },"
              " \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ \"pc-*\" ] } ], \"features\": [] }");
  write_file (f->share, "14-broken.json", "{ \"interface-types\": [ \"uefi\" ");
  write_file (f->share, "15-array.json", "[ 1, 2 ]");
  write_file (f->share, "16-other-arch.json",
              "{ \"interface-types\": [ \"uefi\" ], \"mapping\": { \"device\": \"flash\","
              " \"executable\": { \"filename\": \"/fw/A.fd\" }, \"nvram-template\": { \"filename\": \"/fw/AV.fd\" } },"
              " \"targets\": [ { \"architecture\": \"aarch64\", \"machines\": [ \"virt-*\" ] } ], \"features\": [] }");
  write_file (f->share, "17-relative.json",
              "{ \"interface-types\": [ \"uefi\" ], \"mapping\": { \"device\": \"flash\","
              " \"executable\": { \"filename\": \"CODE.fd\" }, \"nvram-template\": { \"filename\": \"VARS.fd\" } },"
              " \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ \"pc-*\" ] } ], \"features\": [] }");
  write_file (f->share, "README", "not a descriptor");
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *entry;

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL) {
    g_autofree char *child = g_build_filename (path, entry, NULL);
    if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
      rm_rf (child);
    else
      g_unlink (child);
  }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->etc);
  g_free (f->share);
}

static GPtrArray *
load (Fixture *f)
{
  const char *dirs[] = { f->etc, f->share, NULL };
  return vb_qemu_firmware_load (dirs, "x86_64");
}

static void
test_load (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) fws = load (f);
  const VbQemuFirmware *fw;

  /* Only the three split raw UEFI images for x86_64, in file name order. */
  g_assert_cmpuint (fws->len, ==, 3);
  fw = g_ptr_array_index (fws, 0);
  g_assert_cmpstr (fw->code, ==, "/fw/CODE.ms.fd");
  g_assert_cmpstr (fw->vars, ==, "/fw/VARS.ms.fd");
  g_assert_true (fw->secure_boot && fw->enrolled_keys && fw->requires_smm);
  g_assert_cmpstr (fw->machines[0], ==, "pc-q35-*");
  g_assert_null (fw->machines[1]);
  g_assert_true (g_str_has_suffix (fw->descriptor, "/share/40-secure-enrolled.json"));
  fw = g_ptr_array_index (fws, 1);
  g_assert_true (fw->secure_boot && !fw->enrolled_keys && fw->requires_smm);
  fw = g_ptr_array_index (fws, 2);
  g_assert_cmpstr (fw->code, ==, "/fw/CODE.fd");
  g_assert_false (fw->secure_boot || fw->enrolled_keys || fw->requires_smm);
  g_assert_cmpstr (fw->description, ==, "test /fw/CODE.fd");
}

/* A file in an earlier directory replaces the one of that name further
 * down; an empty one hides it; a new name sorts in among the others. */
static void
test_override (Fixture *f, gconstpointer data)
{
  g_autofree char *local = descriptor ("/local/CODE.fd", "/local/VARS.fd", "\"pc-q35-*\"", "");
  g_autoptr(GPtrArray) fws = NULL;

  write_file (f->etc, "60-plain.json", local);
  write_file (f->etc, "40-secure-enrolled.json", "");
  write_file (f->etc, "55-local.json", local);
  fws = load (f);
  g_assert_cmpuint (fws->len, ==, 3);
  g_assert_cmpstr (((VbQemuFirmware *) g_ptr_array_index (fws, 0))->code, ==, "/fw/CODE.secboot.fd");
  g_assert_cmpstr (((VbQemuFirmware *) g_ptr_array_index (fws, 1))->code, ==, "/local/CODE.fd");
  g_assert_true (g_str_has_suffix (((VbQemuFirmware *) g_ptr_array_index (fws, 1))->descriptor, "/etc/55-local.json"));
  g_assert_true (g_str_has_suffix (((VbQemuFirmware *) g_ptr_array_index (fws, 2))->descriptor, "/etc/60-plain.json"));
}

static VbDomainDef *
parse (const char *os, const char *features)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = g_strdup_printf ("<domain type='qemu'><name>guest</name><memory>65536</memory>%s"
                                          "<features><acpi/>%s</features></domain>",
                                          os, features ? features : "");
  VbDomainDef *def = vb_domain_def_parse (xml, &error);

  g_assert_no_error (error);
  return def;
}

typedef struct {
  const char *what;
  const char *os;
  const char *features;
  const char *machine;
  const char *code;     /* expected loader, NULL: the fill fails */
  const char *template;
  gboolean secure;      /* <loader secure='yes'>, <smm state='on'/> */
  const char *message;  /* the failure's */
} FillCase;

#define EFI_Q35 "<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type>"
#define FEATURES(sb, keys)                                                                                          \
  "<firmware><feature enabled='" sb "' name='secure-boot'/><feature enabled='" keys "' name='enrolled-keys'/>"     \
  "</firmware>"

static const FillCase fill_cases[] = {
  { "default-q35", EFI_Q35 "</os>", NULL, "pc-q35-7.2", "/fw/CODE.ms.fd", "/fw/VARS.ms.fd", TRUE, NULL },
  { "default-pc", EFI_Q35 "</os>", NULL, "pc-i440fx-7.2", "/fw/CODE.fd", "/fw/VARS.fd", FALSE, NULL },
  { "secure-enrolled", EFI_Q35 FEATURES ("yes", "yes") "</os>", NULL, "pc-q35-7.2", "/fw/CODE.ms.fd",
    "/fw/VARS.ms.fd", TRUE, NULL },
  { "secure-no-keys", EFI_Q35 FEATURES ("yes", "no") "</os>", NULL, "pc-q35-7.2", "/fw/CODE.secboot.fd",
    "/fw/VARS.fd", TRUE, NULL },
  { "no-secure-boot", EFI_Q35 "<firmware><feature enabled='no' name='secure-boot'/></firmware></os>", NULL,
    "pc-q35-7.2", "/fw/CODE.fd", "/fw/VARS.fd", FALSE, NULL },
  { "smm-off", EFI_Q35 "</os>", "<smm state='off'/>", "pc-q35-7.2", "/fw/CODE.fd", "/fw/VARS.fd", FALSE, NULL },
  { "loader-not-secure", EFI_Q35 "<loader secure='no'/></os>", NULL, "pc-q35-7.2", "/fw/CODE.fd", "/fw/VARS.fd",
    FALSE, NULL },
  { "own-template", EFI_Q35 "<nvram template='/mine/VARS.fd'/></os>", NULL, "pc-q35-7.2", "/fw/CODE.ms.fd",
    "/mine/VARS.fd", TRUE, NULL },
  { "secure-on-pc", EFI_Q35 FEATURES ("yes", "no") "</os>", NULL, "pc-i440fx-7.2", NULL, NULL, FALSE,
    "no UEFI firmware on this host fits <os firmware='efi'> (machine pc-i440fx-7.2, secure-boot yes, "
    "enrolled-keys no)" },
  { "secure-without-smm", EFI_Q35 FEATURES ("yes", "no") "</os>", "<smm state='off'/>", "pc-q35-7.2", NULL, NULL,
    FALSE, "(machine pc-q35-7.2, secure-boot yes, enrolled-keys no, without SMM)" },
  { "keys-without-secure-boot", EFI_Q35 FEATURES ("no", "yes") "</os>", NULL, "pc-q35-7.2", NULL, NULL, FALSE,
    "keys cannot be enrolled ('enrolled-keys') with Secure Boot turned off" },
  /* Its own image: only the template of a descriptor of it. */
  { "own-loader", "<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type>"
    "<loader readonly='yes' type='pflash'>/fw/CODE.secboot.fd</loader></os>", NULL, "pc-q35-7.2",
    "/fw/CODE.secboot.fd", "/fw/VARS.fd", FALSE, NULL },
  { "own-unknown-loader", "<os><type arch='x86_64' machine='q35'>hvm</type>"
    "<loader type='pflash'>/elsewhere/CODE.fd</loader></os>", NULL, "pc-q35-7.2", "/elsewhere/CODE.fd", NULL, FALSE,
    NULL },
};

static void
test_fill (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) fws = load (f);

  for (gsize i = 0; i < G_N_ELEMENTS (fill_cases); i++) {
    const FillCase *c = &fill_cases[i];
    g_autoptr(VbDomainDef) def = parse (c->os, c->features);
    g_autoptr(GError) error = NULL;
    gboolean ok = vb_qemu_firmware_fill (def, c->machine, fws, "/var/lib/x/nvram", &error);

    g_test_message ("%s", c->what);
    if (c->code == NULL) {
      g_assert_false (ok);
      if (strstr (error->message, c->message) == NULL)
        g_printerr ("%s: %s\n", c->what, error->message);
      g_assert_nonnull (strstr (error->message, c->message));
      continue;
    }
    g_assert_no_error (error);
    g_assert_true (ok);
    g_assert_cmpstr (def->os.loader_path, ==, c->code);
    g_assert_cmpint (def->os.loader_type, ==, VB_DOMAIN_LOADER_TYPE_PFLASH);
    g_assert_cmpint (def->os.loader_readonly, ==, VB_DOMAIN_TRISTATE_YES);
    g_assert_cmpstr (def->os.nvram_template, ==, c->template);
    g_assert_cmpstr (def->os.nvram_path, ==, "/var/lib/x/nvram/guest_VARS.fd");
    if (def->os.firmware == VB_DOMAIN_FIRMWARE_EFI && !g_str_has_prefix (c->what, "own-loader")) {
      g_assert_cmpint (def->os.loader_secure, ==, c->secure ? VB_DOMAIN_TRISTATE_YES : VB_DOMAIN_TRISTATE_NO);
      g_assert_cmpint (def->os.fw_secure_boot, ==, c->code != NULL && strstr (c->code, "CODE.fd") == NULL
                                                     ? VB_DOMAIN_TRISTATE_YES : VB_DOMAIN_TRISTATE_NO);
    }
    if (c->secure)
      g_assert_cmpint (def->features.smm, ==, VB_DOMAIN_TRISTATE_YES);
    /* The filled definition writes and reads back the same. */
    {
      g_autofree char *out = vb_domain_def_format (def, VB_DOMAIN_XML_INACTIVE);
      g_autoptr(VbDomainDef) again = vb_domain_def_parse (out, &error);
      g_autofree char *out2 = NULL;

      g_assert_no_error (error);
      out2 = vb_domain_def_format (again, VB_DOMAIN_XML_INACTIVE);
      g_assert_cmpstr (out, ==, out2);
    }
  }
}

static void
test_fill_none (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) empty = g_ptr_array_new ();
  g_autoptr(VbDomainDef) def = parse (EFI_Q35 "</os>", NULL);
  g_autoptr(VbDomainDef) bios = parse ("<os><type arch='x86_64' machine='q35'>hvm</type></os>", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (vb_qemu_firmware_fill (def, "pc-q35-7.2", empty, "/n", &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "none is installed (Debian package ovmf)"));
  g_assert_null (def->os.loader_path);
  g_assert_null (def->os.nvram_path);
  g_clear_error (&error);
  /* Nothing to do for a BIOS guest. */
  g_assert_true (vb_qemu_firmware_fill (bios, "pc-q35-7.2", empty, "/n", &error));
  g_assert_no_error (error);
  g_assert_null (bios->os.loader_path);
  g_assert_null (bios->os.nvram_path);
}

static void
test_nvram_make (Fixture *f, gconstpointer data)
{
  g_autofree char *template = g_build_filename (f->dir, "VARS.fd", NULL);
  g_autofree char *nvram_dir = g_build_filename (f->dir, "lib", "nvram", NULL);
  g_autofree char *path = g_build_filename (nvram_dir, "guest_VARS.fd", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;
  gsize len;

  write_file (f->dir, "VARS.fd", "template variables");
  /* Made from the template, private, its directory traversable. */
  g_assert_true (vb_qemu_nvram_make (path, template, FALSE, (uid_t) -1, (gid_t) -1, &error));
  g_assert_no_error (error);
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_cmpstr (contents, ==, "template variables");
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (nvram_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0711);
  g_clear_pointer (&contents, g_free);

  /* What the guest stored stays... */
  write_file (nvram_dir, "guest_VARS.fd", "the guest's variables");
  g_assert_true (vb_qemu_nvram_make (path, template, FALSE, (uid_t) -1, (gid_t) -1, &error));
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_cmpstr (contents, ==, "the guest's variables");
  g_clear_pointer (&contents, g_free);
  /* ... unless asked for a fresh copy; no temporary file is left. */
  g_assert_true (vb_qemu_nvram_make (path, template, TRUE, (uid_t) -1, (gid_t) -1, &error));
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_cmpstr (contents, ==, "template variables");
  {
    g_autoptr(GDir) dir = g_dir_open (nvram_dir, 0, NULL);
    guint n = 0;
    while (g_dir_read_name (dir) != NULL)
      n++;
    g_assert_cmpuint (n, ==, 1);
  }

  /* No template: nothing to make it from. */
  g_assert_false (vb_qemu_nvram_make ("/nonexistent/dir/x_VARS.fd", NULL, FALSE, (uid_t) -1, (gid_t) -1, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID);
  g_assert_nonnull (strstr (error->message, "no template"));
  g_clear_error (&error);
  /* A template that is not a file; an NVRAM that is a directory. */
  g_assert_false (vb_qemu_nvram_make (path, nvram_dir, TRUE, (uid_t) -1, (gid_t) -1, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_clear_error (&error);
  g_assert_false (vb_qemu_nvram_make (nvram_dir, template, FALSE, (uid_t) -1, (gid_t) -1, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_assert_nonnull (strstr (error->message, "is not a regular file"));
  g_clear_error (&error);
  /* The old store stays when the new one cannot be made. */
  g_assert_false (vb_qemu_nvram_make (path, "/nonexistent/VARS.fd", TRUE, (uid_t) -1, (gid_t) -1, &error));
  g_clear_pointer (&contents, g_free);
  g_file_get_contents (path, &contents, &len, NULL);
  g_assert_cmpstr (contents, ==, "template variables");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/qemu-firmware/load", Fixture, NULL, fixture_set_up, test_load, fixture_tear_down);
  g_test_add ("/qemu-firmware/override", Fixture, NULL, fixture_set_up, test_override, fixture_tear_down);
  g_test_add ("/qemu-firmware/fill", Fixture, NULL, fixture_set_up, test_fill, fixture_tear_down);
  g_test_add ("/qemu-firmware/fill-none", Fixture, NULL, fixture_set_up, test_fill_none, fixture_tear_down);
  g_test_add ("/qemu-firmware/nvram-make", Fixture, NULL, fixture_set_up, test_nvram_make, fixture_tear_down);
  return g_test_run ();
}
