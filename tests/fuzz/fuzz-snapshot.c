/* libFuzzer target for the domain snapshot XML parser: whatever parses
 * (as redefine or as user input) must format to XML that parses again and
 * formats identically. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vb-snapshot-def.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_round_trip (const VbSnapshotDef *def, guint flags)
{
  g_autofree char *out = vb_snapshot_def_format (def, flags);
  g_autoptr(VbSnapshotDef) again = vb_snapshot_def_parse (out, NULL);
  g_autofree char *out2 = NULL;
  g_autoptr(VbSnapshotDef) copy = vb_snapshot_def_copy (def);
  g_autofree char *out_copy = vb_snapshot_def_format (copy, flags);

  if (again == NULL)
    abort ();
  out2 = vb_snapshot_def_format (again, flags);
  if (strcmp (out, out2) != 0 || strcmp (out, out_copy) != 0)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *xml = g_malloc (size + 1);
  g_autoptr(VbSnapshotDef) def = NULL;
  g_autoptr(VbSnapshotDef) user = NULL;

  memcpy (xml, data, size);
  xml[size] = '\0';

  def = vb_snapshot_def_parse (xml, NULL);
  if (def != NULL) {
    check_round_trip (def, 0);
    check_round_trip (def, VB_SNAPSHOT_XML_SECURE);
  }
  user = vb_snapshot_def_parse_full (xml, VB_SNAPSHOT_PARSE_USER, NULL);
  if (user != NULL)
    check_round_trip (user, 0);
  return 0;
}
