/* Vendor and product names from the PCI and USB id databases (pci.ids,
 * usb.ids: "vvvv  Vendor" lines, each followed by "\tdddd  Device" lines).
 *
 * The first lookup indexes where each vendor's block starts (one pass over
 * the file, a few thousand offsets); every lookup then reads only that
 * vendor's block. Safe to use from several threads. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VbNodedevIds VbNodedevIds;

/* @path: the database; nothing is read until the first lookup, and a
 * missing file simply yields no names. */
VbNodedevIds *vb_nodedev_ids_new (const char *path);
void vb_nodedev_ids_free (VbNodedevIds *self);
/* The first of @candidates that exists, or NULL. */
const char *vb_nodedev_ids_find_file (const char *const *candidates);

/* Names of @vendor and of its @device; each output is set to a new string,
 * or NULL when the database does not know it. */
void vb_nodedev_ids_lookup (VbNodedevIds *self, guint vendor, guint device, char **vendor_name, char **device_name);

/* Whether @text may go into XML as it is: non-empty valid UTF-8 without
 * control characters or non-characters. */
gboolean vb_nodedev_text_is_valid (const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNodedevIds, vb_nodedev_ids_free)

G_END_DECLS
