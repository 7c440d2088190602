/* <sysinfo>: parsing, formatting, copying (see vb-sysinfo-def.h). */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "vb-error.h"
#include "vb-sysinfo-def.h"

static const char *const section_names[] = { "bios", "system", "baseBoard", "chassis" };
static const char *const type_names[] = { "smbios", "fwcfg", NULL };

static const char *const bios_fields[] = { "vendor", "version", "date", "release", NULL };
static const char *const system_fields[] = { "manufacturer", "product", "version", "serial", "uuid", "sku",
                                             "family", NULL };
static const char *const base_board_fields[] = { "manufacturer", "product", "version", "serial", "asset",
                                                 "location", NULL };
static const char *const chassis_fields[] = { "manufacturer", "version", "serial", "asset", "sku", NULL };

G_STATIC_ASSERT (G_N_ELEMENTS (section_names) == VB_SYSINFO_SECTION_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (system_fields) - 1 <= VB_SYSINFO_MAX_FIELDS);

const char *
vb_sysinfo_section_name (VbSysinfoSectionKind kind)
{
  g_return_val_if_fail (kind < VB_SYSINFO_SECTION_LAST, NULL);
  return section_names[kind];
}

const char *const *
vb_sysinfo_field_names (VbSysinfoSectionKind kind)
{
  switch (kind) {
  case VB_SYSINFO_BIOS: return bios_fields;
  case VB_SYSINFO_SYSTEM: return system_fields;
  case VB_SYSINFO_BASE_BOARD: return base_board_fields;
  case VB_SYSINFO_CHASSIS: return chassis_fields;
  case VB_SYSINFO_SECTION_LAST:
  default: g_return_val_if_reached (NULL);
  }
}

const char *
vb_sysinfo_get (const VbSysinfoSection *section, const char *field)
{
  const char *const *names;

  if (section == NULL)
    return NULL;
  names = vb_sysinfo_field_names (section->kind);
  for (guint i = 0; names[i] != NULL; i++)
    if (strcmp (names[i], field) == 0)
      return section->fields[i];
  return NULL;
}

/* ---- life cycle ---- */

static void
section_free (gpointer p)
{
  VbSysinfoSection *s = p;

  if (s == NULL)
    return;
  for (guint i = 0; i < VB_SYSINFO_MAX_FIELDS; i++)
    g_free (s->fields[i]);
  g_free (s);
}

static VbSysinfoSection *
section_copy (const VbSysinfoSection *s)
{
  VbSysinfoSection *c;

  if (s == NULL)
    return NULL;
  c = g_new0 (VbSysinfoSection, 1);
  c->kind = s->kind;
  for (guint i = 0; i < VB_SYSINFO_MAX_FIELDS; i++)
    c->fields[i] = g_strdup (s->fields[i]);
  return c;
}

static void
fwcfg_entry_free (gpointer p)
{
  VbSysinfoFwcfgEntry *e = p;

  g_free (e->name);
  g_free (e->value);
  g_free (e->file);
  g_free (e);
}

VbSysinfoDef *
vb_sysinfo_def_new (VbSysinfoType type)
{
  VbSysinfoDef *def = g_new0 (VbSysinfoDef, 1);

  def->type = type;
  def->base_boards = g_ptr_array_new_with_free_func (section_free);
  def->oem_strings = g_ptr_array_new_with_free_func (g_free);
  def->fwcfg = g_ptr_array_new_with_free_func (fwcfg_entry_free);
  return def;
}

void
vb_sysinfo_def_free (VbSysinfoDef *def)
{
  if (def == NULL)
    return;
  section_free (def->bios);
  section_free (def->system);
  section_free (def->chassis);
  g_ptr_array_unref (def->base_boards);
  g_ptr_array_unref (def->oem_strings);
  g_ptr_array_unref (def->fwcfg);
  g_free (def);
}

VbSysinfoDef *
vb_sysinfo_def_copy (const VbSysinfoDef *def)
{
  VbSysinfoDef *c;

  g_return_val_if_fail (def != NULL, NULL);
  c = vb_sysinfo_def_new (def->type);
  c->bios = section_copy (def->bios);
  c->system = section_copy (def->system);
  c->chassis = section_copy (def->chassis);
  for (guint i = 0; i < def->base_boards->len; i++)
    g_ptr_array_add (c->base_boards, section_copy (g_ptr_array_index (def->base_boards, i)));
  for (guint i = 0; i < def->oem_strings->len; i++)
    g_ptr_array_add (c->oem_strings, g_strdup (g_ptr_array_index (def->oem_strings, i)));
  for (guint i = 0; i < def->fwcfg->len; i++) {
    const VbSysinfoFwcfgEntry *e = g_ptr_array_index (def->fwcfg, i);
    VbSysinfoFwcfgEntry *ce = g_new0 (VbSysinfoFwcfgEntry, 1);

    ce->name = g_strdup (e->name);
    ce->value = g_strdup (e->value);
    ce->file = g_strdup (e->file);
    g_ptr_array_add (c->fwcfg, ce);
  }
  return c;
}

/* ---- parsing ---- */

/* The text of @node, without control characters (QEMU's -smbios and
 * fw_cfg strings are one line); NULL with @error. */
static char *
entry_text (xmlNode *node, GError **error)
{
  g_autofree char *text = vb_xml_text (node);

  if (vb_xml_has_control_chars (text, FALSE))
    return vb_xml_fail (error, node, "text contains control characters"), NULL;
  return g_steal_pointer (&text);
}

/* mm/dd/yy or mm/dd/yyyy (a year of two digits, or from 1900), as libvirt
 * checks it. */
static gboolean
bios_date_valid (const char *date)
{
  guint64 f[3]; /* month, day, year */

  return vb_parse_u64_fields (date, '/', 3, f) && f[0] >= 1 && f[0] <= 12 && f[1] >= 1 && f[1] <= 31 &&
         (f[2] < 100 || f[2] >= 1900) && f[2] <= 9999;
}

static gboolean
section_parse (xmlNode *node, VbSysinfoSectionKind kind, gboolean host, VbSysinfoSection **out, GError **error)
{
  const char *const *names = vb_sysinfo_field_names (kind);
  g_autoptr(GPtrArray) seen = g_ptr_array_new ();
  VbSysinfoSection *s = g_new0 (VbSysinfoSection, 1);
  gboolean any = FALSE;

  s->kind = kind;
  for (xmlNode *e = vb_xml_next (node, NULL, "entry"); e != NULL; e = vb_xml_next (node, e, "entry")) {
    g_autofree char *name = vb_xml_prop (e, "name");
    g_autofree char *text = NULL;
    int field = -1;

    if (name == NULL) {
      section_free (s);
      return vb_xml_fail (error, e, "missing attribute 'name'");
    }
    for (guint i = 0; names[i] != NULL && field < 0; i++)
      if (strcmp (names[i], name) == 0)
        field = (int) i;
    if (field < 0) {
      g_autofree char *allowed = g_strjoinv ("', '", (char **) names);
      section_free (s);
      return vb_xml_fail (error, e, "unknown <%s> entry '%s' (known: '%s')", section_names[kind], name, allowed);
    }
    if (g_ptr_array_find (seen, names[field], NULL)) {
      section_free (s);
      return vb_xml_fail (error, e, "entry '%s' given twice", name);
    }
    g_ptr_array_add (seen, (gpointer) names[field]);
    text = entry_text (e, error);
    if (text == NULL) {
      section_free (s);
      return FALSE;
    }
    if (*text == '\0')
      continue; /* libvirt's reading: an empty entry is none */
    if (!host && kind == VB_SYSINFO_BIOS && strcmp (name, "date") == 0 && !bios_date_valid (text)) {
      section_free (s);
      return vb_xml_fail (error, e, "BIOS date '%s' is not mm/dd/yy or mm/dd/yyyy", text);
    }
    if (!host && kind == VB_SYSINFO_SYSTEM && strcmp (name, "uuid") == 0) {
      char uuid[37];
      if (!vb_uuid_parse (text, uuid)) {
        section_free (s);
        return vb_xml_fail (error, e, "'%s' is not a UUID", text);
      }
      g_free (text);
      text = g_strdup (uuid);
    }
    s->fields[field] = g_steal_pointer (&text);
    any = TRUE;
  }
  if (!any) {
    section_free (s);
    s = NULL;
  }
  *out = s;
  return TRUE;
}

static VbSysinfoDef *
parse (xmlNode *node, gboolean host, GError **error)
{
  g_autoptr(VbSysinfoDef) def = NULL;
  int type = 0;
  xmlNode *n;

  switch (vb_xml_prop_enum (node, "type", type_names, &type, error)) {
  case 1:
    break;
  case 0:
    return vb_xml_fail (error, node, "missing attribute 'type' (smbios or fwcfg)"), NULL;
  default:
    return NULL;
  }
  def = vb_sysinfo_def_new (type);
  if (def->type == VB_SYSINFO_TYPE_FWCFG) {
    for (n = vb_xml_next (node, NULL, "entry"); n != NULL; n = vb_xml_next (node, n, "entry")) {
      VbSysinfoFwcfgEntry *e = g_new0 (VbSysinfoFwcfgEntry, 1);
      g_autofree char *text = NULL;

      g_ptr_array_add (def->fwcfg, e);
      e->name = vb_xml_prop (n, "name");
      e->file = vb_xml_prop (n, "file");
      if (e->name == NULL || *e->name == '\0')
        return vb_xml_fail (error, n, "missing attribute 'name'"), NULL;
      if (vb_xml_has_control_chars (e->name, FALSE))
        return vb_xml_fail (error, n, "attribute 'name' contains control characters"), NULL;
      for (guint i = 0; i + 1 < def->fwcfg->len; i++)
        if (strcmp (((VbSysinfoFwcfgEntry *) g_ptr_array_index (def->fwcfg, i))->name, e->name) == 0)
          return vb_xml_fail (error, n, "entry '%s' given twice", e->name), NULL;
      text = entry_text (n, error);
      if (text == NULL)
        return NULL;
      if (e->file != NULL) {
        if (e->file[0] != '/' || e->file[1] == '\0')
          return vb_xml_fail (error, n, "attribute 'file': '%s' is not an absolute path", e->file), NULL;
        if (*text != '\0')
          return vb_xml_fail (error, n, "an entry has either a value or a file, not both"), NULL;
      } else if (*text == '\0') {
        return vb_xml_fail (error, n, "an entry needs a value or a file"), NULL;
      } else {
        e->value = g_steal_pointer (&text);
      }
    }
    return g_steal_pointer (&def);
  }

  for (guint k = 0; k < VB_SYSINFO_SECTION_LAST; k++) {
    for (n = vb_xml_next (node, NULL, section_names[k]); n != NULL; n = vb_xml_next (node, n, section_names[k])) {
      VbSysinfoSection *s = NULL;

      if (!section_parse (n, k, host, &s, error))
        return NULL;
      if (k == VB_SYSINFO_BASE_BOARD) {
        if (s != NULL)
          g_ptr_array_add (def->base_boards, s);
        continue;
      }
      /* Only base boards come more than once (the host's tables are read
       * as libvirt reads them: the first of each). */
      if (n != vb_xml_child (node, section_names[k])) {
        section_free (s);
        if (!host)
          return vb_xml_fail (error, n, "<%s> may appear only once", section_names[k]), NULL;
        continue;
      }
      switch (k) {
      case VB_SYSINFO_BIOS: def->bios = s; break;
      case VB_SYSINFO_SYSTEM: def->system = s; break;
      case VB_SYSINFO_CHASSIS: def->chassis = s; break;
      default: section_free (s); break;
      }
    }
  }
  if ((n = vb_xml_child (node, "oemStrings")) != NULL) {
    for (xmlNode *e = vb_xml_next (n, NULL, "entry"); e != NULL; e = vb_xml_next (n, e, "entry")) {
      char *text = entry_text (e, error);
      if (text == NULL)
        return NULL;
      g_ptr_array_add (def->oem_strings, text);
    }
  }
  if (host) {
    for (n = vb_xml_next (node, NULL, "processor"); n != NULL; n = vb_xml_next (node, n, "processor"))
      vb_xml_mark_subtree (n);
    for (n = vb_xml_next (node, NULL, "memory_device"); n != NULL; n = vb_xml_next (node, n, "memory_device"))
      vb_xml_mark_subtree (n);
  }
  return g_steal_pointer (&def);
}

VbSysinfoDef *
vb_sysinfo_def_parse_node (xmlNode *node, GError **error)
{
  g_return_val_if_fail (node != NULL, NULL);
  return parse (node, FALSE, error);
}

VbSysinfoDef *
vb_sysinfo_def_parse_host (const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = vb_xml_parse (xml, -1, "sysinfo", error);
  g_autoptr(VbSysinfoDef) def = NULL;

  if (doc == NULL)
    return NULL;
  def = parse (xmlDocGetRootElement (doc), TRUE, error);
  if (def == NULL || !vb_xml_check_consumed (xmlDocGetRootElement (doc), error))
    return NULL;
  if (def->type != VB_SYSINFO_TYPE_SMBIOS) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "the host's sysinfo is not of type 'smbios'");
    return NULL;
  }
  return g_steal_pointer (&def);
}

/* ---- formatting ---- */

static void
section_format (VbXmlWriter *w, const VbSysinfoSection *s)
{
  const char *const *names;

  if (s == NULL)
    return;
  names = vb_sysinfo_field_names (s->kind);
  vb_xml_writer_start (w, section_names[s->kind], NULL);
  for (guint i = 0; names[i] != NULL; i++)
    if (s->fields[i] != NULL)
      vb_xml_writer_element (w, "entry", s->fields[i], "name", names[i], NULL);
  vb_xml_writer_end (w);
}

void
vb_sysinfo_def_format (VbXmlWriter *w, const VbSysinfoDef *def)
{
  gboolean empty = def->type == VB_SYSINFO_TYPE_FWCFG
                     ? def->fwcfg->len == 0
                     : def->bios == NULL && def->system == NULL && def->base_boards->len == 0 &&
                         def->chassis == NULL && def->oem_strings->len == 0;

  if (empty) {
    vb_xml_writer_empty (w, "sysinfo", "type", type_names[def->type], NULL);
    return;
  }
  vb_xml_writer_start (w, "sysinfo", "type", type_names[def->type], NULL);
  if (def->type == VB_SYSINFO_TYPE_FWCFG) {
    for (guint i = 0; i < def->fwcfg->len; i++) {
      const VbSysinfoFwcfgEntry *e = g_ptr_array_index (def->fwcfg, i);
      if (e->file != NULL)
        vb_xml_writer_empty (w, "entry", "name", e->name, "file", e->file, NULL);
      else
        vb_xml_writer_element (w, "entry", e->value, "name", e->name, NULL);
    }
  } else {
    section_format (w, def->bios);
    section_format (w, def->system);
    for (guint i = 0; i < def->base_boards->len; i++)
      section_format (w, g_ptr_array_index (def->base_boards, i));
    section_format (w, def->chassis);
    if (def->oem_strings->len > 0) {
      vb_xml_writer_start (w, "oemStrings", NULL);
      for (guint i = 0; i < def->oem_strings->len; i++)
        vb_xml_writer_element (w, "entry", g_ptr_array_index (def->oem_strings, i), NULL);
      vb_xml_writer_end (w);
    }
  }
  vb_xml_writer_end (w);
}
