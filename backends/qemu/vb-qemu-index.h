/* The domain index of the QEMU backend (see vb-qemu-index.c). */
#pragma once

#include <glib.h>
#include <sys/stat.h>

G_BEGIN_DECLS

typedef struct {
  guint64 ino;
  guint64 size;
  gint64 mtime_sec;
  gint64 mtime_nsec;
  char *uuid;
} VbQemuIndexEntry;

void vb_qemu_index_entry_free (VbQemuIndexEntry *entry);
/* domain name → VbQemuIndexEntry; empty when the file is missing or not
 * an index. */
GHashTable *vb_qemu_index_read (const char *path);
/* Whether @st is the file @entry describes. */
gboolean vb_qemu_index_matches (const VbQemuIndexEntry *entry, const struct stat *st);
/* Appends @name's line (the header first, when @out is empty). */
void vb_qemu_index_add (GString *out, const char *name, const char *uuid, const struct stat *st);
gboolean vb_qemu_index_write (const char *path, GString *contents, GError **error);

G_END_DECLS
