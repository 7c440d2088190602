/* The domain index: a cache of which definition file holds which domain.
 *
 * perf: with thousands of domains defined, parsing every definition at
 * start-up costs seconds. The index remembers, for each <name>.xml of the
 * config directory, the file's identity (inode, size, mtime) and the
 * domain's uuid; a start that finds the file unchanged creates the domain
 * from the index and parses its definition only when something needs it
 * (vb_qemu_domain_ensure_def). A file that changed, or is not in the index,
 * is parsed as before, and the index is written again.
 *
 * It lives in <lib dir>/cache (a cache: deleting it only costs one slower
 * start). Format, one line per domain after a header line:
 *
 *   <inode> <size> <mtime s> <mtime ns> <uuid> <name>\n
 *
 * A name that cannot be written on one line is left out (parsed each time).
 */
#include "vb-qemu-index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vb-state-dir.h"

#define HEADER "virtbus-domain-index 1\n"

void
vb_qemu_index_entry_free (VbQemuIndexEntry *entry)
{
  g_free (entry->uuid);
  g_free (entry);
}

static gboolean
parse_u64 (const char **p, guint64 *out)
{
  char *end;

  errno = 0;
  if (!g_ascii_isdigit (**p))
    return FALSE;
  *out = g_ascii_strtoull (*p, &end, 10);
  if (errno != 0 || *end != ' ')
    return FALSE;
  *p = end + 1;
  return TRUE;
}

GHashTable *
vb_qemu_index_read (const char *path)
{
  GHashTable *index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) vb_qemu_index_entry_free);
  g_autofree char *text = NULL;
  gsize len = 0;
  const char *p, *end;

  if (!g_file_get_contents (path, &text, &len, NULL))
    return index;
  if (!g_str_has_prefix (text, HEADER) || memchr (text, '\0', len) != NULL)
    return index; /* another format, or damaged: start over */
  p = text + strlen (HEADER);
  end = text + len;
  while (p < end) {
    const char *eol = memchr (p, '\n', end - p);
    VbQemuIndexEntry entry = { 0 };
    guint64 sec, nsec;
    const char *space;

    if (eol == NULL)
      break; /* a truncated last line */
    if (!parse_u64 (&p, &entry.ino) || !parse_u64 (&p, &entry.size) || !parse_u64 (&p, &sec) ||
        !parse_u64 (&p, &nsec) || (space = memchr (p, ' ', eol - p)) == NULL || space == p || space + 1 >= eol) {
      p = eol + 1;
      continue;
    }
    entry.mtime_sec = (gint64) sec;
    entry.mtime_nsec = (gint64) nsec;
    entry.uuid = g_strndup (p, space - p);
    g_hash_table_replace (index, g_strndup (space + 1, eol - space - 1), g_memdup2 (&entry, sizeof entry));
    p = eol + 1;
  }
  return index;
}

gboolean
vb_qemu_index_matches (const VbQemuIndexEntry *entry, const struct stat *st)
{
  return entry != NULL && entry->ino == (guint64) st->st_ino && entry->size == (guint64) st->st_size &&
         entry->mtime_sec == (gint64) st->st_mtim.tv_sec && entry->mtime_nsec == (gint64) st->st_mtim.tv_nsec;
}

void
vb_qemu_index_add (GString *out, const char *name, const char *uuid, const struct stat *st)
{
  if (out->len == 0)
    g_string_append (out, HEADER);
  if (strchr (name, '\n') != NULL || uuid == NULL || strchr (uuid, ' ') != NULL)
    return;
  g_string_append_printf (out, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                          " %s %s\n",
                          (guint64) st->st_ino, (guint64) st->st_size, (gint64) st->st_mtim.tv_sec,
                          (gint64) st->st_mtim.tv_nsec, uuid, name);
}

gboolean
vb_qemu_index_write (const char *path, GString *contents, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (contents->len == 0)
    g_string_append (contents, HEADER);
  if (g_mkdir_with_parents (dir, 0700) < 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot create %s: %s", dir,
                 g_strerror (errno));
    return FALSE;
  }
  /* A cache: a crash that loses it only costs one slower start. */
  return vb_file_write_runtime (path, contents->str, contents->len, 0600, error);
}
