/* The rule for host paths in an unprivileged caller's XML. The process runs
 * as root in CI, so files are given to the made-up uids below with chown;
 * the checks themselves never depend on the process' own credentials. */
#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "vb-error.h"
#include "vb-path-policy.h"

#define USER 4242
#define OTHER 4343
#define GROUP 5252

typedef struct {
  char *dir;
} Fixture;

static char *
make_file (Fixture *f, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
  char *path = g_build_filename (f->dir, name, NULL);
  g_assert_true (g_file_set_contents (path, "data", -1, NULL));
  g_assert_cmpint (chown (path, uid, gid), ==, 0);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("vb-path-policy-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  g_assert_cmpint (g_chmod (f->dir, 0755), ==, 0);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);
  g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL));
  g_free (f->dir);
}

static gboolean
can_test (void)
{
  if (getuid () != 0) {
    g_test_skip ("needs root to give files to other uids");
    return FALSE;
  }
  return TRUE;
}

static void
test_root_and_unrestricted (Fixture *f, gconstpointer data)
{
  g_autoptr(VbCallerCreds) root = vb_caller_creds_new (0, 0, NULL, 0);
  g_autofree char *secret = make_file (f, "secret", 0600, 0, 0);

  if (!can_test ())
    return;
  g_assert_true (vb_path_policy_check (NULL, secret, R_OK | W_OK, 0, NULL));
  g_assert_true (vb_path_policy_check (root, secret, R_OK | W_OK, 0, NULL));
  g_assert_true (vb_path_policy_check (root, "/dev/null", R_OK, 0, NULL));
  /* Root may even name something that does not exist (the backend fails). */
  g_assert_true (vb_path_policy_check (root, "relative/disk.img", R_OK, 0, NULL));
}

static void
test_malformed (Fixture *f, gconstpointer data)
{
  g_autoptr(VbCallerCreds) user = vb_caller_creds_new (USER, USER, NULL, 0);
  g_autoptr(GError) error = NULL;

  g_assert_false (vb_path_policy_check (user, "disk.img", R_OK, 0, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_assert_nonnull (strstr (error->message, "disk.img"));
  g_clear_error (&error);
  g_assert_false (vb_path_policy_check (user, "", R_OK, 0, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
}

static void
test_owner_group_other (Fixture *f, gconstpointer data)
{
  const gid_t groups[] = { 17, GROUP };
  g_autoptr(VbCallerCreds) user = vb_caller_creds_new (USER, USER, groups, G_N_ELEMENTS (groups));
  g_autoptr(VbCallerCreds) other = vb_caller_creds_new (OTHER, OTHER, NULL, 0);
  g_autofree char *mine = make_file (f, "mine.img", 0600, USER, USER);
  g_autofree char *root_only = make_file (f, "root.img", 0600, 0, 0);
  g_autofree char *group_ro = make_file (f, "group.img", 0640, 0, GROUP);
  g_autofree char *world_ro = make_file (f, "world.iso", 0644, 0, 0);
  g_autoptr(GError) error = NULL;

  if (!can_test ())
    return;
  g_assert_true (vb_path_policy_check (user, mine, R_OK | W_OK, 0, NULL));
  g_assert_false (vb_path_policy_check (other, mine, R_OK, 0, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED);
  g_assert_nonnull (strstr (error->message, "mine.img"));
  g_clear_error (&error);

  g_assert_false (vb_path_policy_check (user, root_only, R_OK, 0, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED);
  g_clear_error (&error);

  /* Supplementary group: read yes, write no; outsiders neither. */
  g_assert_true (vb_path_policy_check (user, group_ro, R_OK, 0, NULL));
  g_assert_false (vb_path_policy_check (user, group_ro, R_OK | W_OK, 0, NULL));
  g_assert_false (vb_path_policy_check (other, group_ro, R_OK, 0, NULL));

  g_assert_true (vb_path_policy_check (other, world_ro, R_OK, 0, NULL));
  g_assert_false (vb_path_policy_check (other, world_ro, R_OK | W_OK, 0, NULL));
}

static void
test_directory_search (Fixture *f, gconstpointer data)
{
  g_autoptr(VbCallerCreds) user = vb_caller_creds_new (USER, USER, NULL, 0);
  g_autofree char *sub = g_build_filename (f->dir, "private", NULL);
  g_autofree char *inner = g_build_filename (sub, "world.img", NULL);
  g_autofree char *link = g_build_filename (f->dir, "link.img", NULL);

  if (!can_test ())
    return;
  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  g_assert_true (g_file_set_contents (inner, "x", -1, NULL));
  g_assert_cmpint (g_chmod (inner, 0644), ==, 0);
  /* World-readable file, but in a directory the caller cannot search. */
  g_assert_false (vb_path_policy_check (user, inner, R_OK, 0, NULL));
  /* Nor through a symlink placed where it can look. */
  g_assert_cmpint (symlink (inner, link), ==, 0);
  g_assert_false (vb_path_policy_check (user, link, R_OK, 0, NULL));
  /* Once the directory is searchable both work. */
  g_assert_cmpint (g_chmod (sub, 0711), ==, 0);
  g_assert_true (vb_path_policy_check (user, inner, R_OK, 0, NULL));
  g_assert_true (vb_path_policy_check (user, link, R_OK, 0, NULL));
}

static void
test_device_nodes (Fixture *f, gconstpointer data)
{
  g_autoptr(VbCallerCreds) user = vb_caller_creds_new (USER, USER, NULL, 0);
  g_autoptr(GError) error = NULL;

  if (!can_test ())
    return;
  /* /dev/null is world read-write, but a device node the caller does not own. */
  g_assert_false (vb_path_policy_check (user, "/dev/null", R_OK, 0, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED);
  g_assert_nonnull (strstr (error->message, "device"));
}

static void
test_missing_and_create (Fixture *f, gconstpointer data)
{
  g_autoptr(VbCallerCreds) user = vb_caller_creds_new (USER, USER, NULL, 0);
  g_autofree char *missing = g_build_filename (f->dir, "new.img", NULL);
  g_autofree char *own_dir = g_build_filename (f->dir, "own", NULL);
  g_autofree char *in_own = g_build_filename (own_dir, "new.img", NULL);

  if (!can_test ())
    return;
  g_assert_false (vb_path_policy_check (user, missing, R_OK, 0, NULL));
  /* The fixture directory is root's 0755: the user cannot create there. */
  g_assert_false (vb_path_policy_check (user, missing, R_OK | W_OK, VB_PATH_POLICY_MAY_CREATE, NULL));
  g_assert_cmpint (g_mkdir (own_dir, 0700), ==, 0);
  g_assert_cmpint (chown (own_dir, USER, USER), ==, 0);
  g_assert_true (vb_path_policy_check (user, in_own, R_OK | W_OK, VB_PATH_POLICY_MAY_CREATE, NULL));
  g_assert_false (vb_path_policy_check (user, in_own, R_OK, 0, NULL));
}

static void
test_creds_for_pid (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbCallerCreds) creds = vb_caller_creds_new_for_pid (getpid (), NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (creds->uid, ==, getuid ());
  g_assert_cmpuint (creds->gid, ==, getgid ());
  g_assert_null (vb_caller_creds_new_for_pid (-5, NULL, &error));
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/path-policy/root", Fixture, NULL, setup, test_root_and_unrestricted, teardown);
  g_test_add ("/path-policy/malformed", Fixture, NULL, setup, test_malformed, teardown);
  g_test_add ("/path-policy/owner-group-other", Fixture, NULL, setup, test_owner_group_other, teardown);
  g_test_add ("/path-policy/directory-search", Fixture, NULL, setup, test_directory_search, teardown);
  g_test_add ("/path-policy/device-nodes", Fixture, NULL, setup, test_device_nodes, teardown);
  g_test_add ("/path-policy/missing-and-create", Fixture, NULL, setup, test_missing_and_create, teardown);
  g_test_add_func ("/path-policy/creds-for-pid", test_creds_for_pid);
  return g_test_run ();
}
