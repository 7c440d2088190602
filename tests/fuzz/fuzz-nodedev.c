/* libFuzzer target for the node device parser: whatever parses must format,
 * parse back and format identically, in every format mode. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vb-nodedev-def.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_round_trip (const VbNodeDevDef *def, guint flags)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = vb_nodedev_def_format (def, flags);
  g_autoptr(VbNodeDevDef) def2 = vb_nodedev_def_parse (out, &error);

  if (def2 == NULL) {
    fprintf (stderr, "formatted output does not parse back: %s\n%s", error->message, out);
    abort ();
  }
  g_autofree char *out2 = vb_nodedev_def_format (def2, flags);
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
  g_autoptr(VbNodeDevDef) def = NULL;

  memcpy (xml, data, size);
  xml[size] = '\0';
  def = vb_nodedev_def_parse (xml, &error);
  if (def == NULL) {
    if (error == NULL)
      abort ();
    return 0;
  }
  /* Node devices have no format flags. */
  check_round_trip (def, 0);

  g_autoptr(VbNodeDevDef) copy = vb_nodedev_def_copy (def);
  g_autofree char *a = vb_nodedev_def_format (def, 0);
  g_autofree char *b = vb_nodedev_def_format (copy, 0);
  if (strcmp (a, b) != 0)
    abort ();
  return 0;
}
