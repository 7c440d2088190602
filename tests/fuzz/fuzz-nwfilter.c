/* libFuzzer target for the nwfilter XML parser: whatever parses must format
 * to XML that parses again and formats identically. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vb-nwfilter-def.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *xml = g_malloc (size + 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(VbNWFilterDef) def = NULL;
  g_autoptr(VbNWFilterDef) def2 = NULL;
  g_autofree char *out1 = NULL;
  g_autofree char *out2 = NULL;

  memcpy (xml, data, size);
  xml[size] = '\0';
  def = vb_nwfilter_def_parse (xml, &error);
  if (def == NULL)
    return 0;

  out1 = vb_nwfilter_def_format (def, 0);
  def2 = vb_nwfilter_def_parse (out1, &error);
  if (def2 == NULL)
    abort ();
  out2 = vb_nwfilter_def_format (def2, 0);
  if (strcmp (out1, out2) != 0)
    abort ();
  return 0;
}
