/* Names from pci.ids / usb.ids, read per vendor block (see the header). */
#include "config.h"

#include "vb-nodedev-ids.h"

#include <stdio.h>
#include <string.h>

/* Lines of the databases are far shorter; a longer one is skipped. */
#define LINE_SIZE 512
/* pci.ids is about 1.5 MiB: stop indexing at a size no database has. */
#define MAX_FILE_SIZE (64 * 1024 * 1024)

struct _VbNodedevIds {
  char *path;
  GMutex lock;
  gboolean indexed;
  GHashTable *vendors; /* vendor id → offset of its line + 1 */
};

VbNodedevIds *
vb_nodedev_ids_new (const char *path)
{
  VbNodedevIds *self = g_new0 (VbNodedevIds, 1);

  self->path = g_strdup (path);
  g_mutex_init (&self->lock);
  return self;
}

void
vb_nodedev_ids_free (VbNodedevIds *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  g_mutex_clear (&self->lock);
  g_clear_pointer (&self->vendors, g_hash_table_unref);
  g_free (self);
}

const char *
vb_nodedev_ids_find_file (const char *const *candidates)
{
  for (guint i = 0; candidates[i] != NULL; i++)
    if (g_file_test (candidates[i], G_FILE_TEST_IS_REGULAR))
      return candidates[i];
  return NULL;
}

gboolean
vb_nodedev_text_is_valid (const char *text)
{
  if (text == NULL || text[0] == '\0' || !g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0xfffe || c == 0xffff)
      return FALSE;
  }
  return TRUE;
}

/* Reads one line into @buf without its newline; a line too long for @buf
 * is consumed and comes back empty. FALSE at the end of the file. */
static gboolean
next_line (FILE *f, char *buf, gsize size)
{
  gsize len;
  int c;

  if (fgets (buf, (int) size, f) == NULL)
    return FALSE;
  len = strlen (buf);
  if (len > 0 && buf[len - 1] == '\n') {
    buf[len - 1] = '\0';
    return TRUE;
  }
  if (feof (f))
    return TRUE;
  while ((c = fgetc (f)) != EOF && c != '\n')
    ;
  buf[0] = '\0';
  return TRUE;
}

/* "xxxx  Name": four hex digits, two spaces, the name. */
static gboolean
parse_id_line (const char *line, guint *id, const char **name)
{
  guint value = 0;

  for (int i = 0; i < 4; i++) {
    int digit = g_ascii_xdigit_value (line[i]);
    if (digit < 0)
      return FALSE;
    value = value * 16 + (guint) digit;
  }
  if (line[4] != ' ' || line[5] != ' ')
    return FALSE;
  *id = value;
  *name = line + 6;
  return TRUE;
}

static void
build_index (VbNodedevIds *self)
{
  char line[LINE_SIZE];
  FILE *f;

  self->indexed = TRUE;
  self->vendors = g_hash_table_new (NULL, NULL);
  f = fopen (self->path, "re");
  if (f == NULL) {
    g_debug ("no id database at %s", self->path);
    return;
  }
  for (;;) {
    long offset = ftell (f);
    const char *name;
    guint id;

    if (offset < 0 || offset > MAX_FILE_SIZE || !next_line (f, line, sizeof line))
      break;
    if (parse_id_line (line, &id, &name) && !g_hash_table_contains (self->vendors, GUINT_TO_POINTER (id)))
      g_hash_table_insert (self->vendors, GUINT_TO_POINTER (id), GSIZE_TO_POINTER ((gsize) offset + 1));
  }
  fclose (f);
}

static char *
clean_name (const char *name)
{
  g_autofree char *copy = g_strstrip (g_strdup (name));
  return vb_nodedev_text_is_valid (copy) ? g_steal_pointer (&copy) : NULL;
}

void
vb_nodedev_ids_lookup (VbNodedevIds *self, guint vendor, guint device, char **vendor_name, char **device_name)
{
  char line[LINE_SIZE];
  const char *name;
  gsize pos;
  guint id;
  FILE *f;

  *vendor_name = NULL;
  *device_name = NULL;
  if (self == NULL || self->path == NULL)
    return;
  g_mutex_lock (&self->lock);
  if (!self->indexed)
    build_index (self);
  pos = GPOINTER_TO_SIZE (g_hash_table_lookup (self->vendors, GUINT_TO_POINTER (vendor)));
  g_mutex_unlock (&self->lock);
  if (pos == 0)
    return;

  f = fopen (self->path, "re");
  if (f == NULL)
    return;
  if (fseek (f, (long) (pos - 1), SEEK_SET) == 0 && next_line (f, line, sizeof line) &&
      parse_id_line (line, &id, &name) && id == vendor) {
    *vendor_name = clean_name (name);
    /* The vendor's devices follow, one tab in; two tabs are subsystems. */
    while (next_line (f, line, sizeof line)) {
      if (line[0] == '#' || line[0] == '\0' || (line[0] == '\t' && line[1] == '\t'))
        continue;
      if (line[0] != '\t')
        break;
      if (parse_id_line (line + 1, &id, &name) && id == device) {
        *device_name = clean_name (name);
        break;
      }
    }
  }
  fclose (f);
}
