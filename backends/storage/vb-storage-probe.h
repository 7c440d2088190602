/* What a file in a storage pool is: its image format, virtual size, the
 * space it takes and its backing file, read from the file's own header
 * (never by running anything, never trusting a size or offset in it). */
#pragma once

#include <glib.h>

#include "vb-storage-vol-def.h"

G_BEGIN_DECLS

/* The header bytes a probe reads at most. */
#define VB_STORAGE_PROBE_HEADER_MAX (64 * 1024)

/* Fills @def's type, format, capacity, allocation, physical, permissions,
 * timestamps, qcow2 compat level and features, and backing store from the
 * file at @path (symlinks followed). Regular files, block devices and
 * directories are volumes; anything else, or a file that cannot be opened,
 * fails with @error (VB_ERROR_NOT_FOUND for a missing one). */
gboolean vb_storage_probe_path (const char *path, VbStorageVolDef *def, GError **error);

/* The format part alone, from the first @len bytes of an image whose file is
 * @file_size bytes long: sets @def's format, capacity (the file size for
 * raw data), compat level, features and backing store. Returns FALSE when the
 * header names a format but is inconsistent (truncated, offsets past the
 * end), with @error saying what. */
gboolean vb_storage_probe_header (const guint8 *buf, gsize len, guint64 file_size, VbStorageVolDef *def,
                                  GError **error);

G_END_DECLS
