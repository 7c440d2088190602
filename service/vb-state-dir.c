#define G_LOG_DOMAIN "virtbus"

#include "config.h"

#include "vb-state-dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "vb-error.h"

VbStateDirs *
vb_state_dirs_new (gboolean system, const char *root_prefix, const char *driver)
{
  VbStateDirs *dirs = g_new0 (VbStateDirs, 1);
  const char *root = root_prefix ? root_prefix : "";

  if (system) {
    dirs->config_dir = g_build_filename (root, VB_SYSCONFDIR, "virtbus", driver, NULL);
    dirs->run_dir = g_build_filename (root, VB_RUNSTATEDIR, "virtbus", driver, NULL);
    dirs->lib_dir = g_build_filename (root, VB_LOCALSTATEDIR, "lib", "virtbus", driver, NULL);
    dirs->log_dir = g_build_filename (root, VB_LOCALSTATEDIR, "log", "virtbus", driver, NULL);
  } else if (root_prefix != NULL) {
    dirs->config_dir = g_build_filename (root, "config", "virtbus", driver, NULL);
    dirs->run_dir = g_build_filename (root, "runtime", "virtbus", driver, NULL);
    dirs->lib_dir = g_build_filename (root, "data", "virtbus", driver, NULL);
    dirs->log_dir = g_build_filename (root, "state", "virtbus", driver, "log", NULL);
  } else {
    dirs->config_dir = g_build_filename (g_get_user_config_dir (), "virtbus", driver, NULL);
    dirs->run_dir = g_build_filename (g_get_user_runtime_dir (), "virtbus", driver, NULL);
    dirs->lib_dir = g_build_filename (g_get_user_data_dir (), "virtbus", driver, NULL);
    dirs->log_dir = g_build_filename (g_get_user_state_dir (), "virtbus", driver, "log", NULL);
  }
  return dirs;
}

void
vb_state_dirs_free (VbStateDirs *dirs)
{
  if (dirs == NULL)
    return;
  g_free (dirs->config_dir);
  g_free (dirs->run_dir);
  g_free (dirs->lib_dir);
  g_free (dirs->log_dir);
  g_free (dirs);
}

static gboolean
ensure_dir (const char *dir, int mode, GError **error)
{
  if (g_mkdir_with_parents (dir, mode) < 0) {
    int saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot create directory %s: %s", dir, g_strerror (saved));
    return FALSE;
  }
  return TRUE;
}

gboolean
vb_state_dirs_ensure (const VbStateDirs *dirs, GError **error)
{
  return ensure_dir (dirs->config_dir, 0700, error) && ensure_dir (dirs->run_dir, 0700, error) &&
         ensure_dir (dirs->lib_dir, 0711, error) && ensure_dir (dirs->log_dir, 0700, error);
}

static void
fsync_parent (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    /* Makes the rename itself durable; failure only weakens that guarantee. */
    (void) fsync (fd);
    close (fd);
  }
}

gboolean
vb_file_write_atomic (const char *path, const char *contents, gssize len, int mode, GError **error)
{
  g_autoptr(GError) local = NULL;

  if (len < 0)
    len = strlen (contents);
  if (!g_file_set_contents_full (path, contents, len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 mode, &local)) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot write %s: %s", path, local->message);
    return FALSE;
  }
  fsync_parent (path);
  return TRUE;
}

gboolean
vb_file_remove (const char *path, GError **error)
{
  if (g_unlink (path) < 0 && errno != ENOENT) {
    int saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot remove %s: %s", path, g_strerror (saved));
    return FALSE;
  }
  fsync_parent (path);
  return TRUE;
}

gboolean
vb_file_write_runtime (const char *path, const char *contents, gssize len, int mode, GError **error)
{
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  gsize done = 0;
  int fd;

  if (len < 0)
    len = strlen (contents);
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0) {
    int saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot write %s: %s", path, g_strerror (saved));
    return FALSE;
  }
  while (done < (gsize) len) {
    gssize n = write (fd, contents + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int saved = n < 0 ? errno : ENOSPC;
      close (fd);
      g_unlink (tmp);
      g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot write %s: %s", path, g_strerror (saved));
      return FALSE;
    }
    done += n;
  }
  if (close (fd) < 0 || g_rename (tmp, path) < 0) {
    int saved = errno;
    g_unlink (tmp);
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot write %s: %s", path, g_strerror (saved));
    return FALSE;
  }
  return TRUE;
}

gboolean
vb_file_remove_runtime (const char *path, GError **error)
{
  if (g_unlink (path) < 0 && errno != ENOENT) {
    int saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot remove %s: %s", path, g_strerror (saved));
    return FALSE;
  }
  return TRUE;
}

typedef struct {
  VbDirEntry entry;
  char *file; /* name + suffix: the sort key */
} Listed;

static int
compare_listed (gconstpointer a, gconstpointer b)
{
  return strcmp (((const Listed *) a)->file, ((const Listed *) b)->file);
}

static void
clear_entry (gpointer data)
{
  g_free (((VbDirEntry *) data)->name);
}

GArray *
vb_dir_list_entries (const char *dir, const char *suffix, GError **error)
{
  g_autoptr(GArray) listed = g_array_new (FALSE, FALSE, sizeof (Listed));
  GArray *entries;
  gsize suffix_len = strlen (suffix);
  DIR *d = opendir (dir);
  struct dirent *ent;

  if (d == NULL) {
    int saved = errno;
    /* perf: called per domain at start-up for directories that mostly do
     * not exist: no GError for that. */
    if (saved == ENOENT)
      return g_array_new (FALSE, FALSE, sizeof (VbDirEntry));
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot read directory %s: %s", dir, g_strerror (saved));
    return NULL;
  }
  while ((ent = readdir (d)) != NULL) {
    Listed item = { { 0 }, NULL };
    gsize len = strlen (ent->d_name);

    /* Atomic writes leave ".name.XXXXXX" temp files only on a crash. */
    if (ent->d_name[0] == '.' || len <= suffix_len || strcmp (ent->d_name + len - suffix_len, suffix) != 0)
      continue;
    if (fstatat (dirfd (d), ent->d_name, &item.entry.st, 0) < 0 || !S_ISREG (item.entry.st.st_mode))
      continue;
    item.entry.name = g_strndup (ent->d_name, len - suffix_len);
    item.file = g_strdup (ent->d_name);
    g_array_append_val (listed, item);
  }
  closedir (d);
  g_array_sort (listed, compare_listed);
  entries = g_array_sized_new (FALSE, FALSE, sizeof (VbDirEntry), listed->len);
  g_array_set_clear_func (entries, clear_entry);
  for (guint i = 0; i < listed->len; i++) {
    Listed *item = &g_array_index (listed, Listed, i);
    g_array_append_val (entries, item->entry);
    g_free (item->file);
  }
  return entries;
}

GPtrArray *
vb_dir_list_files (const char *dir, const char *suffix, GError **error)
{
  g_autoptr(GArray) entries = vb_dir_list_entries (dir, suffix, error);
  GPtrArray *files;

  if (entries == NULL)
    return NULL;
  files = g_ptr_array_new_full (entries->len, g_free);
  for (guint i = 0; i < entries->len; i++) {
    g_autofree char *file = g_strconcat (g_array_index (entries, VbDirEntry, i).name, suffix, NULL);
    g_ptr_array_add (files, g_build_filename (dir, file, NULL));
  }
  return files;
}

gboolean
vb_autostart_link_set (const char *config_dir, const char *name, gboolean autostart, GError **error)
{
  g_autofree char *file = g_strconcat (name, ".xml", NULL);
  g_autofree char *link = g_build_filename (config_dir, "autostart", file, NULL);
  g_autofree char *target = g_strconcat ("../", file, NULL);

  if (unlink (link) < 0 && errno != ENOENT) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot remove %s: %s", link, g_strerror (errno));
    return FALSE;
  }
  if (autostart && symlink (target, link) < 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot create %s: %s", link, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

GPtrArray *
vb_dir_read_definitions (const char *dir, const char *what, VbDefParseFunc parse, VbDefNameFunc name_of,
                         GDestroyNotify free_def, GError **error)
{
  g_autoptr(GPtrArray) files = vb_dir_list_files (dir, ".xml", error);
  GPtrArray *defs;

  if (files == NULL)
    return NULL;
  defs = g_ptr_array_new_with_free_func (free_def);
  for (guint i = 0; i < files->len; i++) {
    const char *path = g_ptr_array_index (files, i);
    g_autofree char *xml = NULL;
    g_autofree char *base = g_path_get_basename (path);
    g_autoptr(GError) local = NULL;
    gpointer def = NULL;

    if (g_file_get_contents (path, &xml, NULL, &local))
      def = parse (xml, &local);
    if (def == NULL) {
      g_warning ("ignoring %s definition %s: %s", what, path, local->message);
      continue;
    }
    base[strlen (base) - strlen (".xml")] = '\0';
    if (strcmp (base, name_of (def)) != 0) {
      g_warning ("ignoring %s definition %s: it defines %s '%s'", what, path, what, name_of (def));
      free_def (def);
      continue;
    }
    g_ptr_array_add (defs, def);
  }
  return defs;
}

gboolean
vb_state_dirs_load_definitions (const VbStateDirs *dirs, const char *what, VbDefParseFunc parse,
                                VbDefNameFunc name_of, GDestroyNotify free_def, GPtrArray **configs,
                                GPtrArray **states, GError **error)
{
  g_autofree char *autostart_dir = g_build_filename (dirs->config_dir, "autostart", NULL);
  g_autoptr(GPtrArray) found = NULL;

  if (!vb_state_dirs_ensure (dirs, error))
    return FALSE;
  if (g_mkdir_with_parents (autostart_dir, 0755) < 0) {
    int saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot create %s: %s", autostart_dir, g_strerror (saved));
    return FALSE;
  }
  found = vb_dir_read_definitions (dirs->config_dir, what, parse, name_of, free_def, error);
  if (found == NULL)
    return FALSE;
  *states = vb_dir_read_definitions (dirs->run_dir, what, parse, name_of, free_def, error);
  if (*states == NULL)
    return FALSE;
  *configs = g_steal_pointer (&found);
  return TRUE;
}
