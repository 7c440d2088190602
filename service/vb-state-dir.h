/* Where a connection keeps its files, and how it writes them.
 *
 * System instance: /etc/virtbus/<driver>, /run/virtbus/<driver>,
 * /var/lib/virtbus/<driver>, /var/log/virtbus/<driver>.
 * Session instance: the XDG config, runtime, data and state directories.
 * A root prefix (--root-prefix, for tests) relocates all of them.
 */
#pragma once

#include <glib.h>
#include <sys/stat.h>

G_BEGIN_DECLS

typedef struct {
  char *config_dir; /* persistent definitions */
  char *run_dir;    /* runtime state of running objects */
  char *lib_dir;    /* data: images, save files, nvram */
  char *log_dir;    /* per-object logs */
} VbStateDirs;

VbStateDirs *vb_state_dirs_new (gboolean system, const char *root_prefix, const char *driver);
void vb_state_dirs_free (VbStateDirs *dirs);
/* Creates the directories (0700 for session, 0755 for system config/data). */
gboolean vb_state_dirs_ensure (const VbStateDirs *dirs, GError **error);

/* Writes @contents to @path so that readers and crashes only ever see the
 * old or the new file: temp file + fsync + rename + fsync of the directory. */
gboolean vb_file_write_atomic (const char *path, const char *contents, gssize len, int mode, GError **error);
/* Removes @path durably; a missing file is not an error. */
gboolean vb_file_remove (const char *path, GError **error);
/* The same for runtime files (the run dir: tmpfs, gone at reboot): still
 * atomic against a daemon crash (temp file + rename), but without the
 * fsyncs, which only matter across a power loss that no running guest
 * survives either, and which cost milliseconds on every state change. */
gboolean vb_file_write_runtime (const char *path, const char *contents, gssize len, int mode, GError **error);
gboolean vb_file_remove_runtime (const char *path, GError **error);
/* Full paths of the regular files in @dir ending in @suffix, sorted; an
 * absent directory is an empty list. Leftover temp files are ignored. */
GPtrArray *vb_dir_list_files (const char *dir, const char *suffix, GError **error);
/* The same files as entries: @name without @suffix, and @st (symlinks
 * followed), in the same order. A GArray of VbDirEntry that frees them. */
typedef struct {
  char *name;
  struct stat st;
} VbDirEntry;
GArray *vb_dir_list_entries (const char *dir, const char *suffix, GError **error);

/* The definitions in the <name>.xml files of @dir, parsed with @parse,
 * in file name order (a GPtrArray freeing them with @free_def). A file
 * that does not parse, or whose definition (@name_of) is not named after
 * it, is left out with a warning saying what it is (@what: "network").
 * Fails only when @dir cannot be read; an absent @dir is empty. */
typedef gpointer (*VbDefParseFunc) (const char *xml, GError **error);
typedef const char *(*VbDefNameFunc) (gconstpointer def);
GPtrArray *vb_dir_read_definitions (const char *dir, const char *what, VbDefParseFunc parse, VbDefNameFunc name_of,
                                    GDestroyNotify free_def, GError **error);

/* What a backend keeping definitions loads at open: @dirs made (with
 * <config_dir>/autostart), then the persistent definitions of its
 * config dir in @configs and the active objects' of its run dir in
 * @states (vb_dir_read_definitions). FALSE with @error, nothing returned. */
gboolean vb_state_dirs_load_definitions (const VbStateDirs *dirs, const char *what, VbDefParseFunc parse,
                                         VbDefNameFunc name_of, GDestroyNotify free_def, GPtrArray **configs,
                                         GPtrArray **states, GError **error);

/* Autostart marks as libvirt keeps them: <config_dir>/autostart/<name>.xml,
 * a link to ../<name>.xml; made when @autostart, else removed. */
gboolean vb_autostart_link_set (const char *config_dir, const char *name, gboolean autostart, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbStateDirs, vb_state_dirs_free)

G_END_DECLS
