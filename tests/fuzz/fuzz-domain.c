/* libFuzzer target for the domain XML parser: whatever parses must format
 * to XML that parses again and formats identically, and a device parsed
 * alone must round-trip too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vb-domain-def.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_round_trip (const VbDomainDef *def, guint flags)
{
  g_autofree char *out = vb_domain_def_format (def, flags);
  g_autoptr(VbDomainDef) again = vb_domain_def_parse (out, NULL);
  g_autofree char *out2 = NULL;
  g_autoptr(VbDomainDef) copy = vb_domain_def_copy (def);
  g_autofree char *out_copy = vb_domain_def_format (copy, flags);

  if (again == NULL)
    abort ();
  out2 = vb_domain_def_format (again, flags);
  if (strcmp (out, out2) != 0 || strcmp (out, out_copy) != 0)
    abort ();
}

static void
check_device (const char *xml)
{
  g_autoptr(VbDomainDeviceDef) dev = vb_domain_device_def_parse (xml, NULL);
  g_autofree char *out = NULL;
  g_autofree char *out2 = NULL;
  g_autoptr(VbDomainDeviceDef) again = NULL;

  if (dev == NULL)
    return;
  out = vb_domain_device_def_format (dev, 0);
  again = vb_domain_device_def_parse (out, NULL);
  if (again == NULL)
    abort ();
  out2 = vb_domain_device_def_format (again, 0);
  if (strcmp (out, out2) != 0)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *xml = g_malloc (size + 1);
  g_autoptr(VbDomainDef) def = NULL;

  memcpy (xml, data, size);
  xml[size] = '\0';

  def = vb_domain_def_parse (xml, NULL);
  if (def != NULL) {
    check_round_trip (def, 0);
    check_round_trip (def, VB_DOMAIN_XML_SECURE | VB_DOMAIN_XML_INACTIVE);
  } else {
    check_device (xml);
  }
  return 0;
}
