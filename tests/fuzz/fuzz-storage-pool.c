/* libFuzzer target for the storage pool parser: whatever parses must format,
 * parse back and format identically, in every format mode. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vb-storage-pool-def.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_round_trip (const VbStoragePoolDef *def, guint flags)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = vb_storage_pool_def_format (def, flags);
  g_autoptr(VbStoragePoolDef) def2 = vb_storage_pool_def_parse (out, &error);

  if (def2 == NULL) {
    fprintf (stderr, "formatted output does not parse back: %s\n%s", error->message, out);
    abort ();
  }
  g_autofree char *out2 = vb_storage_pool_def_format (def2, flags);
  if (strcmp (out, out2) != 0) {
    fprintf (stderr, "round trip changed the document:\n%s----\n%s", out, out2);
    abort ();
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *xml = g_malloc (size + 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(VbStoragePoolDef) def = NULL;

  memcpy (xml, data, size);
  xml[size] = '\0';
  def = vb_storage_pool_def_parse (xml, &error);
  if (def == NULL) {
    if (error == NULL)
      abort ();
    return 0;
  }
  for (guint flags = 0; flags <= VB_STORAGE_XML_INACTIVE; flags++)
    check_round_trip (def, flags);

  g_autoptr(VbStoragePoolDef) copy = vb_storage_pool_def_copy (def);
  g_autofree char *a = vb_storage_pool_def_format (def, 0);
  g_autofree char *b = vb_storage_pool_def_format (copy, 0);
  if (strcmp (a, b) != 0)
    abort ();
  return 0;
}
