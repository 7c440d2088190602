#define G_LOG_DOMAIN "virtbus-xml"

#include "vb-secret-def.h"

#include <string.h>

#include "vb-error.h"
#include "vb-xml.h"

static const char *const usage_type_names[] = {
  "none", "volume", "ceph", "iscsi", "tls", "vtpm", NULL,
};

/* The usage types that may appear in <usage type=...>: all but "none". */
#define USAGE_TYPE_XML_VALUES (usage_type_names + 1)

/* The element under <usage> naming what the secret is for, per type. */
static const char *const usage_id_elements[] = {
  NULL, "volume", "name", "target", "name", "name",
};

const char *
vb_secret_usage_type_to_string (VbSecretUsageType type)
{
  if ((guint) type >= G_N_ELEMENTS (usage_type_names) - 1)
    return NULL;
  return usage_type_names[type];
}

int
vb_secret_usage_type_from_string (const char *str)
{
  for (int i = 0; str != NULL && usage_type_names[i] != NULL; i++)
    if (strcmp (usage_type_names[i], str) == 0)
      return i;
  return -1;
}

void
vb_secret_def_free (VbSecretDef *def)
{
  if (def == NULL)
    return;
  g_free (def->description);
  g_free (def->usage_id);
  g_free (def);
}

VbSecretDef *
vb_secret_def_copy (const VbSecretDef *def)
{
  VbSecretDef *copy = g_new0 (VbSecretDef, 1);

  *copy = *def;
  copy->description = g_strdup (def->description);
  copy->usage_id = g_strdup (def->usage_id);
  return copy;
}

/* Element text may hold newlines and tabs; other control characters would
 * not survive the writer (it does not escape them) or a re-parse (a CR
 * becomes LF). */
static gboolean
check_text (xmlNode *node, const char *text, gboolean multi_line, GError **error)
{
  if (vb_xml_has_control_chars (text, multi_line))
    return vb_xml_fail (error, node, "control characters are not allowed");
  return TRUE;
}

static gboolean
parse_usage (VbSecretDef *def, xmlNode *usage, GError **error)
{
  int idx = 0;
  int r = vb_xml_prop_enum (usage, "type", USAGE_TYPE_XML_VALUES, &idx, error);

  if (r < 0)
    return FALSE;
  if (r == 0) {
    g_autofree char *where = vb_xml_node_describe (usage);
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "missing attribute 'type' on %s", where);
    return FALSE;
  }
  def->usage_type = idx + 1;

  const char *child_name = usage_id_elements[def->usage_type];
  xmlNode *child = vb_xml_child (usage, child_name);
  if (child == NULL) {
    g_autofree char *where = vb_xml_node_describe (usage);
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "missing element <%s> in %s (required for usage type '%s')",
                 child_name, where, usage_type_names[def->usage_type]);
    return FALSE;
  }
  def->usage_id = vb_xml_text (child);
  if (!check_text (child, def->usage_id, FALSE, error))
    return FALSE;

  /* The schema's absFilePath and objectName types. */
  if (def->usage_type == VB_SECRET_USAGE_VOLUME) {
    if (def->usage_id[0] != '/' || def->usage_id[1] == '\0') {
      g_autofree char *where = vb_xml_node_describe (child);
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "%s: '%s' is not an absolute file path", where, def->usage_id);
      return FALSE;
    }
  } else if (def->usage_id[0] == '\0' || strchr (def->usage_id, '/') != NULL) {
    g_autofree char *where = vb_xml_node_describe (child);
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "%s: '%s' must be non-empty and must not contain '/'",
                 where, def->usage_id);
    return FALSE;
  }
  return TRUE;
}

VbSecretDef *
vb_secret_def_parse (const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = vb_xml_parse (xml, -1, "secret", error);
  g_autoptr(VbSecretDef) def = NULL;
  xmlNode *root, *node;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  def = g_new0 (VbSecretDef, 1);

  if (vb_xml_prop_bool (root, "ephemeral", FALSE, &def->ephemeral, error) < 0 ||
      vb_xml_prop_bool (root, "private", FALSE, &def->private, error) < 0)
    return NULL;

  node = vb_xml_child (root, "uuid");
  if (node != NULL) {
    g_autofree char *text = vb_xml_text (node);
    if (!vb_uuid_parse (g_strstrip (text), def->uuid)) {
      g_autofree char *where = vb_xml_node_describe (node);
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "%s: '%s' is not a valid UUID", where, text);
      return NULL;
    }
  } else {
    vb_uuid_generate (def->uuid);
  }

  node = vb_xml_child (root, "description");
  if (node != NULL) {
    def->description = vb_xml_text (node);
    if (!check_text (node, def->description, TRUE, error))
      return NULL;
  }

  node = vb_xml_child (root, "usage");
  if (node != NULL && !parse_usage (def, node, error))
    return NULL;

  if (!vb_xml_check_consumed (root, error))
    return NULL;
  return g_steal_pointer (&def);
}

char *
vb_secret_def_format (const VbSecretDef *def, guint flags)
{
  VbXmlWriter *w = vb_xml_writer_new ();

  vb_xml_writer_start (w, "secret",
                       "ephemeral", def->ephemeral ? "yes" : "no",
                       "private", def->private ? "yes" : "no",
                       NULL);
  vb_xml_writer_element (w, "uuid", def->uuid, NULL);
  vb_xml_writer_element (w, "description", def->description, NULL);
  if (def->usage_type != VB_SECRET_USAGE_NONE && (guint) def->usage_type < G_N_ELEMENTS (usage_id_elements)) {
    vb_xml_writer_start (w, "usage", "type", usage_type_names[def->usage_type], NULL);
    vb_xml_writer_element (w, usage_id_elements[def->usage_type], def->usage_id ? def->usage_id : "", NULL);
    vb_xml_writer_end (w);
  }
  return vb_xml_writer_finish (w);
}
