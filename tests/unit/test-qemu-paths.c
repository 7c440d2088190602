/* Tests for the host paths of a QEMU definition (backends/qemu/vb-qemu-domain.c):
 * which paths are collected, with which access, and that a restricted
 * caller is refused a path it could not open itself, by name. */
#include <glib/gstdio.h>
#include <unistd.h>

#include "vb-error.h"
#include "vb-qemu-private.h"

static const char *full_xml =
  "<domain type='kvm'>"
  "  <name>paths</name>"
  "  <memory unit='MiB'>64</memory>"
  "  <os>"
  "    <type arch='x86_64' machine='pc'>hvm</type>"
  "    <loader readonly='yes' type='pflash'>/fw/code.fd</loader>"
  "    <nvram template='/fw/vars.fd'>/nv/paths_VARS.fd</nvram>"
  "    <kernel>/boot/k</kernel><initrd>/boot/i</initrd><dtb>/boot/d</dtb>"
  "  </os>"
  "  <devices>"
  "    <emulator>/usr/bin/qemu-system-x86_64</emulator>"
  "    <disk type='file' device='disk'><source file='/img/a.qcow2'/><target dev='vda' bus='virtio'/>"
  "      <backingStore type='file'><format type='raw'/><source file='/img/base.raw'/></backingStore></disk>"
  "    <disk type='file' device='cdrom'><source file='/iso/c.iso'/><target dev='hdc' bus='ide'/>"
  "      <readonly/></disk>"
  "    <disk type='file' device='cdrom'><target dev='hdd' bus='ide'/><readonly/></disk>"
  "    <serial type='file'><source path='/log/serial.txt'/><log file='/log/serial.log'/></serial>"
  "    <console type='pty'><log file='/log/console.log'/></console>"
  "  </devices>"
  "</domain>";

static void
test_collects_every_path (void)
{
  static const struct {
    const char *path;
    int access;
    guint flags;
    const char *what;
  } expected[] = {
    { "/usr/bin/qemu-system-x86_64", R_OK, 0, "emulator" },
    { "/boot/k", R_OK, 0, "kernel" },
    { "/boot/i", R_OK, 0, "initrd" },
    { "/boot/d", R_OK, 0, "dtb" },
    { "/fw/code.fd", R_OK, 0, "loader" },
    { "/fw/vars.fd", R_OK, 0, "nvram template" },
    { "/nv/paths_VARS.fd", R_OK | W_OK, VB_PATH_POLICY_MAY_CREATE, "nvram" },
    { "/img/a.qcow2", R_OK | W_OK, 0, "disk 'vda'" },
    { "/img/base.raw", R_OK, 0, "backing store 1 of disk 'vda'" },
    { "/iso/c.iso", R_OK, 0, "disk 'hdc'" },
    { "/log/serial.txt", W_OK, VB_PATH_POLICY_MAY_CREATE, "serial 0 source" },
    { "/log/serial.log", W_OK, VB_PATH_POLICY_MAY_CREATE, "serial 0 log" },
    { "/log/console.log", W_OK, VB_PATH_POLICY_MAY_CREATE, "console 0 log" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDef) def = vb_domain_def_parse_full (full_xml, VB_DOMAIN_PARSE_INACTIVE, &error);
  g_autoptr(GArray) paths = NULL;

  g_assert_no_error (error);
  paths = vb_qemu_domain_host_paths (def);
  for (guint i = 0; i < paths->len; i++) {
    const VbQemuHostPath *p = &g_array_index (paths, VbQemuHostPath, i);
    g_test_message ("%s: %s (%d, %u)", p->what, p->path, p->access, p->flags);
  }
  g_assert_cmpuint (paths->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < paths->len; i++) {
    const VbQemuHostPath *p = &g_array_index (paths, VbQemuHostPath, i);
    g_assert_cmpstr (p->path, ==, expected[i].path);
    g_assert_cmpint (p->access, ==, expected[i].access);
    g_assert_cmpuint (p->flags, ==, expected[i].flags);
    g_assert_cmpstr (p->what, ==, expected[i].what);
  }
}

static VbDomainDef *
def_with_disk (const char *path)
{
  g_autofree char *xml = g_strdup_printf (
    "<domain type='kvm'><name>d</name><memory unit='MiB'>64</memory><os><type>hvm</type></os>"
    "<devices><disk type='file' device='disk'><source file='%s'/><target dev='vda' bus='virtio'/></disk>"
    "</devices></domain>",
    path);
  g_autoptr(GError) error = NULL;
  VbDomainDef *def = vb_domain_def_parse_full (xml, VB_DOMAIN_PARSE_INACTIVE, &error);

  g_assert_no_error (error);
  return def;
}

static void
test_restricted_caller (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vb-qemu-paths-XXXXXX", NULL);
  g_autofree char *secret = g_build_filename (dir, "secret.img", NULL);
  g_autofree char *shared = g_build_filename (dir, "shared.img", NULL);
  g_autoptr(VbDomainDef) secret_def = NULL;
  g_autoptr(VbDomainDef) shared_def = NULL;
  g_autoptr(VbCallerCreds) other = NULL;
  g_autoptr(VbCallerCreds) root = vb_caller_creds_new (0, 0, NULL, 0);
  g_autoptr(GError) error = NULL;
  uid_t uid = getuid () == 65534 ? 65533 : 65534;

  g_assert_nonnull (dir);
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (secret, "x", 1, NULL));
  g_assert_cmpint (g_chmod (secret, 0600), ==, 0);
  g_assert_true (g_file_set_contents (shared, "x", 1, NULL));
  g_assert_cmpint (g_chmod (shared, 0666), ==, 0);
  other = vb_caller_creds_new (uid, uid, NULL, 0);
  secret_def = def_with_disk (secret);
  shared_def = def_with_disk (shared);

  /* Another user may not use the owner's private image, by name. */
  g_assert_false (vb_qemu_domain_check_host_paths (secret_def, other, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED);
  g_assert_nonnull (strstr (error->message, secret));
  g_assert_nonnull (strstr (error->message, "disk 'vda'"));
  g_clear_error (&error);
  /* A file it can open is fine. */
  g_assert_true (vb_qemu_domain_check_host_paths (shared_def, other, &error));
  g_assert_no_error (error);
  /* Unrestricted callers: no creds, or root's. */
  g_assert_true (vb_qemu_domain_check_host_paths (secret_def, NULL, &error));
  g_assert_true (vb_qemu_domain_check_host_paths (secret_def, root, &error));
  g_assert_no_error (error);

  g_unlink (secret);
  g_unlink (shared);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/qemu-paths/collects-every-path", test_collects_every_path);
  g_test_add_func ("/qemu-paths/restricted-caller", test_restricted_caller);
  return g_test_run ();
}
