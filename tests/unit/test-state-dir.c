/* Persistence layer: directory layout and atomic writes. */
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "vb-error.h"
#include "vb-state-dir.h"

static void
test_layout (void)
{
  g_autoptr(VbStateDirs) sys = vb_state_dirs_new (TRUE, "/tmp/prefix", "qemu");
  g_autoptr(VbStateDirs) sys_real = vb_state_dirs_new (TRUE, NULL, "qemu");
  g_autoptr(VbStateDirs) ses = vb_state_dirs_new (FALSE, "/tmp/p", "qemu");
  g_autoptr(VbStateDirs) ses_xdg = vb_state_dirs_new (FALSE, NULL, "qemu");

  g_assert_cmpstr (sys_real->config_dir, ==, "/etc/virtbus/qemu");
  g_assert_cmpstr (sys_real->run_dir, ==, "/run/virtbus/qemu");
  g_assert_cmpstr (sys_real->lib_dir, ==, "/var/lib/virtbus/qemu");
  g_assert_cmpstr (sys_real->log_dir, ==, "/var/log/virtbus/qemu");
  g_assert_cmpstr (sys->config_dir, ==, "/tmp/prefix/etc/virtbus/qemu");
  g_assert_cmpstr (sys->lib_dir, ==, "/tmp/prefix/var/lib/virtbus/qemu");
  g_assert_true (g_str_has_prefix (ses->config_dir, "/tmp/p/"));
  g_assert_true (g_str_has_prefix (ses->run_dir, "/tmp/p/"));
  g_assert_true (g_str_has_prefix (ses->lib_dir, "/tmp/p/"));
  g_assert_true (g_str_has_prefix (ses->log_dir, "/tmp/p/"));
  g_assert_true (g_str_has_prefix (ses_xdg->config_dir, g_get_user_config_dir ()));
  g_assert_true (g_str_has_prefix (ses_xdg->run_dir, g_get_user_runtime_dir ()));
}

static void
test_atomic_write (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vb-state-XXXXXX", &error);
  g_autoptr(VbStateDirs) dirs = vb_state_dirs_new (FALSE, dir, "test");
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GPtrArray) files = NULL;
  struct stat st;

  g_assert_no_error (error);
  g_assert_true (vb_state_dirs_ensure (dirs, &error));
  g_assert_no_error (error);
  path = g_build_filename (dirs->config_dir, "a.xml", NULL);
  g_assert_true (vb_file_write_atomic (path, "<a/>", -1, 0600, &error));
  g_assert_true (vb_file_write_atomic (path, "<b/>", -1, 0600, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "<b/>");
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* A crash leftover (temp file) is not listed. */
  g_autofree char *leftover = g_build_filename (dirs->config_dir, "a.xml.4RTX1Z", NULL);
  g_assert_true (g_file_set_contents (leftover, "junk", -1, NULL));
  g_autofree char *hidden = g_build_filename (dirs->config_dir, ".b.xml", NULL);
  g_assert_true (g_file_set_contents (hidden, "junk", -1, NULL));
  files = vb_dir_list_files (dirs->config_dir, ".xml", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (files->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (files, 0), ==, path);

  g_assert_true (vb_file_remove (path, &error));
  g_assert_true (vb_file_remove (path, &error)); /* already gone: fine */
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* Writing where no directory exists fails with a message naming the path. */
  g_autofree char *bad = g_build_filename (dir, "missing", "x.xml", NULL);
  g_assert_false (vb_file_write_atomic (bad, "x", -1, 0600, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_IO);
  g_assert_nonnull (strstr (error->message, bad));

  g_autoptr(GPtrArray) none = vb_dir_list_files (bad, ".xml", NULL);
  g_assert_cmpuint (none->len, ==, 0);

  g_unlink (leftover);
  g_unlink (hidden);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_cmpint (system (cmd), ==, 0);
}

/* Runtime files: the same atomic replacement (no temp file left, mode
 * kept, readers see old or new), without the fsyncs. */
static void
test_runtime_write (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vb-state-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "dom.state", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GDir) d = NULL;
  struct stat st;
  guint entries = 0;

  g_assert_no_error (error);
  g_assert_true (vb_file_write_runtime (path, "{\"state\": 1}", -1, 0600, &error));
  g_assert_true (vb_file_write_runtime (path, "{\"state\": 3}", -1, 0600, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "{\"state\": 3}");
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  d = g_dir_open (dir, 0, NULL);
  while (g_dir_read_name (d) != NULL)
    entries++;
  g_assert_cmpuint (entries, ==, 1);

  g_assert_true (vb_file_remove_runtime (path, &error));
  g_assert_true (vb_file_remove_runtime (path, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* A missing directory: an error naming the path, nothing created. */
  g_autofree char *bad = g_build_filename (dir, "missing", "x.state", NULL);
  g_assert_false (vb_file_write_runtime (bad, "x", -1, 0600, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_IO);
  g_assert_nonnull (strstr (error->message, bad));
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/state-dir/layout", test_layout);
  g_test_add_func ("/state-dir/atomic-write", test_atomic_write);
  g_test_add_func ("/state-dir/runtime-write", test_runtime_write);
  return g_test_run ();
}
