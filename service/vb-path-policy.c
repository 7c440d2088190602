#define G_LOG_DOMAIN "virtbus"

#include "vb-path-policy.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "vb-error.h"

VbCallerCreds *
vb_caller_creds_new (uid_t uid, gid_t gid, const gid_t *groups, guint n_groups)
{
  VbCallerCreds *creds = g_new0 (VbCallerCreds, 1);

  creds->uid = uid;
  creds->gid = gid;
  creds->n_groups = n_groups;
  creds->groups = n_groups ? g_memdup2 (groups, n_groups * sizeof (gid_t)) : NULL;
  return creds;
}

VbCallerCreds *
vb_caller_creds_copy (const VbCallerCreds *creds)
{
  return vb_caller_creds_new (creds->uid, creds->gid, creds->groups, creds->n_groups);
}

void
vb_caller_creds_free (VbCallerCreds *creds)
{
  if (creds == NULL)
    return;
  g_free (creds->groups);
  g_free (creds);
}

VbCallerCreds *
vb_caller_creds_new_for_pid (pid_t pid, const char *proc_root, GError **error)
{
  g_autofree char *file = g_strdup_printf ("%s/%d/status", proc_root ? proc_root : "/proc", (int) pid);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GArray) groups = g_array_new (FALSE, FALSE, sizeof (gid_t));
  gint64 uid = -1, gid = -1;

  if (!g_file_get_contents (file, &contents, NULL, error))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    /* "Uid:\treal\teffective\tsaved\tfs": the real ids are the user's. */
    if (g_str_has_prefix (lines[i], "Uid:"))
      uid = g_ascii_strtoll (lines[i] + 4, NULL, 10);
    else if (g_str_has_prefix (lines[i], "Gid:"))
      gid = g_ascii_strtoll (lines[i] + 4, NULL, 10);
    else if (g_str_has_prefix (lines[i], "Groups:")) {
      g_auto(GStrv) words = g_strsplit_set (lines[i] + 7, " \t", -1);
      for (guint j = 0; words[j] != NULL; j++)
        if (*words[j] != '\0') {
          gid_t g = (gid_t) g_ascii_strtoull (words[j], NULL, 10);
          g_array_append_val (groups, g);
        }
    }
  }
  if (uid < 0 || gid < 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot read the credentials of process %d", (int) pid);
    return NULL;
  }
  return vb_caller_creds_new ((uid_t) uid, (gid_t) gid, (const gid_t *) groups->data, groups->len);
}

static gboolean
in_group (const VbCallerCreds *creds, gid_t gid)
{
  if (creds->gid == gid)
    return TRUE;
  for (guint i = 0; i < creds->n_groups; i++)
    if (creds->groups[i] == gid)
      return TRUE;
  return FALSE;
}

/* Mode-bit check of one file for @want (R_OK/W_OK/X_OK bits), as the kernel
 * does it without ACLs: the owner class, else the group class, else other. */
static gboolean
mode_allows (const VbCallerCreds *creds, const struct stat *st, int want)
{
  int bits;

  if (st->st_uid == creds->uid)
    bits = (st->st_mode >> 6) & 7;
  else if (in_group (creds, st->st_gid))
    bits = (st->st_mode >> 3) & 7;
  else
    bits = st->st_mode & 7;
  return (bits & want) == want;
}

static gboolean
has_access_acl (const char *path)
{
  return getxattr (path, "system.posix_acl_access", NULL, 0) >= 0;
}

/* Checks @path (existing) for @want, refusing ACLs the caller does not own. */
static gboolean
check_one (const VbCallerCreds *creds, const char *path, const char *shown, int want, GError **error)
{
  struct stat st;

  if (stat (path, &st) != 0) {
    int saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED, "cannot use '%s': %s", shown, g_strerror (saved));
    return FALSE;
  }
  if (st.st_uid != creds->uid && has_access_acl (path)) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED,
                 "cannot use '%s': '%s' has an access control list and is not yours", shown, path);
    return FALSE;
  }
  if (!mode_allows (creds, &st, want)) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED, "cannot use '%s': uid %u may not %s '%s'", shown,
                 (guint) creds->uid,
                 S_ISDIR (st.st_mode) ? (want & W_OK ? "create files in" : "search")
                                      : (want & W_OK ? "read and write" : "read"),
                 path);
    return FALSE;
  }
  return TRUE;
}

/* Search permission on every directory leading to @path (absolute). */
static gboolean
check_dirs (const VbCallerCreds *creds, const char *path, const char *shown, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_auto(GStrv) parts = g_strsplit (dir, "/", -1);
  g_autoptr(GString) prefix = g_string_new ("/");

  if (!check_one (creds, "/", shown, X_OK, error))
    return FALSE;
  for (guint i = 0; parts[i] != NULL; i++) {
    if (*parts[i] == '\0')
      continue;
    if (prefix->len > 1)
      g_string_append_c (prefix, '/');
    g_string_append (prefix, parts[i]);
    if (!check_one (creds, prefix->str, shown, X_OK, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
vb_path_policy_check (const VbCallerCreds *creds, const char *path, int access, VbPathPolicyFlags flags,
                      GError **error)
{
  g_autofree char *resolved = NULL;
  struct stat st;
  int want = access & (R_OK | W_OK);

  if (path == NULL || *path == '\0') {
    g_set_error_literal (error, VB_ERROR, VB_ERROR_INVALID_ARG, "an empty path was given");
    return FALSE;
  }
  /* Root may name anything, and so may everyone when there are no limits. */
  if (creds == NULL || creds->uid == 0)
    return TRUE;
  if (!g_path_is_absolute (path)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "'%s' is not an absolute path", path);
    return FALSE;
  }
  if (want == 0)
    want = R_OK;

  if (stat (path, &st) != 0) {
    int saved = errno;
    g_autofree char *parent = NULL;
    if (saved != ENOENT || !(flags & VB_PATH_POLICY_MAY_CREATE)) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED, "cannot use '%s': %s", path, g_strerror (saved));
      return FALSE;
    }
    /* A new file: the caller must be able to create it. */
    parent = g_path_get_dirname (path);
    if (!check_dirs (creds, path, path, error))
      return FALSE;
    resolved = realpath (parent, NULL);
    if (resolved == NULL) {
      saved = errno;
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED, "cannot use '%s': %s", path, g_strerror (saved));
      return FALSE;
    }
    {
      g_autofree char *child = g_build_filename (resolved, "x", NULL);
      return check_dirs (creds, child, path, error) && check_one (creds, resolved, path, W_OK | X_OK, error);
    }
  }

  if ((S_ISBLK (st.st_mode) || S_ISCHR (st.st_mode)) && st.st_uid != creds->uid) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED,
                 "cannot use '%s': device nodes may be named only by their owner or root", path);
    return FALSE;
  }
  /* Both the path as written (symlinks in it are followed through the
   * directories that hold them) and the file it resolves to. */
  if (!check_dirs (creds, path, path, error))
    return FALSE;
  resolved = realpath (path, NULL);
  if (resolved == NULL) {
    int saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED, "cannot use '%s': %s", path, g_strerror (saved));
    return FALSE;
  }
  if (strcmp (resolved, path) != 0 && !check_dirs (creds, resolved, path, error))
    return FALSE;
  return check_one (creds, resolved, path, want, error);
}
