#define G_LOG_DOMAIN "virtbus-xml"

#include "vb-snapshot-def.h"

#include <libxml/tree.h>
#include <stdarg.h>
#include <string.h>

#include "vb-error.h"
#include "vb-xml.h"

static const char *const state_names[] = {
  "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "disk-snapshot", NULL
}; /* from 1 */
static const char *const location_names[] = { "no", "internal", "external", "manual", NULL }; /* from 1 */
static const char *const memory_location_names[] = { "no", "internal", "external", NULL };    /* from 1 */
static const char *const disk_type_names[] = { "file", "block", NULL };

G_STATIC_ASSERT (G_N_ELEMENTS (state_names) == VB_SNAPSHOT_STATE_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (location_names) == VB_SNAPSHOT_LOCATION_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (disk_type_names) == VB_SNAPSHOT_DISK_TYPE_LAST + 1);

/* Elements only libvirt itself (or a redefine) may supply. */
static const char *const internal_only_elements[] = {
  "state", "creationTime", "parent", "domain", "inactiveDomain", "cookie", "active", NULL
};

const char *
vb_snapshot_state_to_string (VbSnapshotState state)
{
  if (state <= VB_SNAPSHOT_STATE_NONE || state >= VB_SNAPSHOT_STATE_LAST)
    return NULL;
  return state_names[state - 1];
}

int
vb_snapshot_state_from_string (const char *str)
{
  for (int i = 0; str && state_names[i]; i++)
    if (strcmp (state_names[i], str) == 0)
      return i + 1;
  return -1;
}

const char *
vb_snapshot_location_to_string (VbSnapshotLocation location)
{
  if (location <= VB_SNAPSHOT_LOCATION_DEFAULT || location >= VB_SNAPSHOT_LOCATION_LAST)
    return NULL;
  return location_names[location - 1];
}

/* ---- helpers ---- */

static gboolean
is_abs_path (const char *s)
{
  return s[0] == '/' && s[1] != '\0' && !vb_xml_has_control_chars (s, FALSE);
}

/* A domain disk's target name: (fd|hd|sd|vd|xvd|ubd) followed by [a-zA-Z0-9_]+. */
static gboolean
is_disk_target (const char *s)
{
  static const char *const prefixes[] = { "fd", "hd", "sd", "vd", "xvd", "ubd", NULL };
  for (int i = 0; prefixes[i]; i++) {
    if (g_str_has_prefix (s, prefixes[i])) {
      const char *p = s + strlen (prefixes[i]);
      if (*p == '\0')
        return FALSE;
      for (; *p; p++)
        if (!g_ascii_isalnum (*p) && *p != '_')
          return FALSE;
      return TRUE;
    }
  }
  return FALSE;
}

/* Text of @node; '\r' becomes '\n' (as XML line-end handling would). */
static gboolean
node_text (xmlNode *node, gboolean multiline, char **out, GError **error)
{
  g_autofree char *text = vb_xml_text (node);
  for (char *p = text; *p; p++)
    if (*p == '\r')
      *p = '\n';
  if (vb_xml_has_control_chars (text, multiline))
    return vb_xml_fail (error, node, "text contains control characters");
  g_free (*out);
  *out = g_steal_pointer (&text);
  return TRUE;
}

static gboolean
attr_enum (xmlNode *node, const char *name, const char *const *values, int offset, int *out, GError **error)
{
  int idx = 0;
  int r = vb_xml_prop_enum (node, name, values, &idx, error);
  if (r < 0)
    return FALSE;
  if (r > 0)
    *out = idx + offset;
  return TRUE;
}

static gboolean
attr_path (xmlNode *node, const char *name, char **out, GError **error)
{
  g_autofree char *value = vb_xml_prop (node, name);
  if (value == NULL)
    return TRUE;
  if (!is_abs_path (value))
    return vb_xml_fail (error, node, "attribute '%s': '%s' is not an absolute path", name, value);
  g_free (*out);
  *out = g_steal_pointer (&value);
  return TRUE;
}

/* Serializes @node self-contained: namespaces declared by ancestors are
 * re-declared on the copy, so the text parses wherever it is written. */
static char *
element_dump (xmlNode *node)
{
  xmlDoc *doc = xmlNewDoc ((const xmlChar *) "1.0");
  xmlNode *copy = xmlDocCopyNode (node, doc, 1);
  xmlBuffer *buf;
  char *ret = NULL;

  if (copy == NULL) {
    xmlFreeDoc (doc);
    return NULL;
  }
  xmlDocSetRootElement (doc, copy);
  xmlReconciliateNs (doc, copy);
  buf = xmlBufferCreate ();
  if (xmlNodeDump (buf, doc, copy, 0, 0) >= 0)
    ret = g_strdup ((const char *) xmlBufferContent (buf));
  xmlBufferFree (buf);
  xmlFreeDoc (doc);
  return ret;
}

/* ---- lifecycle ---- */

void
vb_snapshot_disk_def_free (gpointer p)
{
  VbSnapshotDiskDef *d = p;
  if (d == NULL)
    return;
  g_free (d->name);
  g_free (d->driver_type);
  g_free (d->src_path);
  g_free (d);
}

VbSnapshotDef *
vb_snapshot_def_new (void)
{
  VbSnapshotDef *def = g_new0 (VbSnapshotDef, 1);
  def->disks = g_ptr_array_new_with_free_func (vb_snapshot_disk_def_free);
  def->active = -1;
  return def;
}

void
vb_snapshot_def_free (VbSnapshotDef *def)
{
  if (def == NULL)
    return;
  g_free (def->name);
  g_free (def->description);
  g_free (def->parent);
  g_free (def->memory_file);
  g_ptr_array_unref (def->disks);
  vb_domain_def_free (def->domain);
  vb_domain_def_free (def->inactive_domain);
  g_free (def->cookie);
  g_free (def);
}

VbSnapshotDef *
vb_snapshot_def_copy (const VbSnapshotDef *s)
{
  VbSnapshotDef *def;

  g_return_val_if_fail (s != NULL, NULL);
  def = vb_snapshot_def_new ();
  def->name = g_strdup (s->name);
  def->description = g_strdup (s->description);
  def->state = s->state;
  def->has_creation_time = s->has_creation_time;
  def->creation_time = s->creation_time;
  def->parent = g_strdup (s->parent);
  def->memory = s->memory;
  def->memory_file = g_strdup (s->memory_file);
  for (guint i = 0; i < s->disks->len; i++) {
    const VbSnapshotDiskDef *sd = g_ptr_array_index (s->disks, i);
    VbSnapshotDiskDef *d = g_new0 (VbSnapshotDiskDef, 1);
    d->name = g_strdup (sd->name);
    d->snapshot = sd->snapshot;
    d->type = sd->type;
    d->driver_type = g_strdup (sd->driver_type);
    d->src_path = g_strdup (sd->src_path);
    g_ptr_array_add (def->disks, d);
  }
  def->active = s->active;
  def->domain = s->domain ? vb_domain_def_copy (s->domain) : NULL;
  def->inactive_domain = s->inactive_domain ? vb_domain_def_copy (s->inactive_domain) : NULL;
  def->cookie = g_strdup (s->cookie);
  return def;
}

gboolean
vb_snapshot_def_validate_name (const char *name, GError **error)
{
  if (name == NULL || *name == '\0') {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "snapshot name must not be empty");
    return FALSE;
  }
  if (strchr (name, '/') != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "snapshot name '%s' must not contain '/'", name);
    return FALSE;
  }
  if (vb_xml_has_control_chars (name, FALSE) || !g_utf8_validate (name, -1, NULL)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "snapshot name must be UTF-8 without control characters");
    return FALSE;
  }
  return TRUE;
}

/* ---- parsing ---- */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbSnapshotDiskDef, vb_snapshot_disk_def_free)

static VbSnapshotDiskDef *
disk_parse (xmlNode *node, GError **error)
{
  g_autoptr(VbSnapshotDiskDef) d = g_new0 (VbSnapshotDiskDef, 1);
  g_autofree char *type = NULL;
  xmlNode *n;
  int v = 0;
  gboolean external_bits;

  d->name = vb_xml_prop (node, "name");
  if (d->name == NULL)
    return vb_xml_fail (error, node, "missing attribute 'name'"), NULL;
  if (!(d->name[0] == '/' ? is_abs_path (d->name) : is_disk_target (d->name)))
    return vb_xml_fail (error, node,
                        "attribute 'name': '%s' is neither a disk target nor an absolute path", d->name), NULL;
  if (!attr_enum (node, "snapshot", location_names, 1, &v, error))
    return NULL;
  d->snapshot = v;
  type = vb_xml_prop (node, "type");
  v = VB_SNAPSHOT_DISK_TYPE_FILE;
  if (type && !attr_enum (node, "type", disk_type_names, 0, &v, error))
    return NULL;
  d->type = v;
  if ((n = vb_xml_child (node, "driver")) != NULL) {
    d->driver_type = vb_xml_prop (n, "type");
    if (d->driver_type && !vb_domain_disk_format_is_valid (d->driver_type))
      return vb_xml_fail (error, n, "attribute 'type': unsupported storage format '%s'", d->driver_type), NULL;
  }
  if ((n = vb_xml_child (node, "source")) != NULL) {
    if (!attr_path (n, d->type == VB_SNAPSHOT_DISK_TYPE_BLOCK ? "dev" : "file", &d->src_path, error))
      return NULL;
  }
  external_bits = type != NULL || d->driver_type != NULL || d->src_path != NULL;
  /* A new file named without snapshot= means an external snapshot. */
  if (d->snapshot == VB_SNAPSHOT_LOCATION_DEFAULT && external_bits)
    d->snapshot = VB_SNAPSHOT_LOCATION_EXTERNAL;
  if (d->snapshot != VB_SNAPSHOT_LOCATION_EXTERNAL && d->snapshot != VB_SNAPSHOT_LOCATION_DEFAULT && external_bits)
    return vb_xml_fail (error, node, "only external disk snapshots take a type, <driver> or <source>"), NULL;
  return g_steal_pointer (&d);
}

static VbSnapshotDef *
snapshot_parse_root (xmlNode *root, guint flags, GError **error)
{
  g_autoptr(VbSnapshotDef) def = vb_snapshot_def_new ();
  g_autoptr(GHashTable) disk_names = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean user = (flags & VB_SNAPSHOT_PARSE_USER) != 0;
  xmlNode *n;
  int v;

  if (user) {
    for (int i = 0; internal_only_elements[i]; i++) {
      if (vb_xml_count (root, internal_only_elements[i]) > 0) {
        n = vb_xml_child (root, internal_only_elements[i]);
        vb_xml_fail (error, n, "<%s> is only accepted when redefining a snapshot", internal_only_elements[i]);
        return NULL;
      }
    }
  }

  if ((n = vb_xml_child (root, "name")) != NULL) {
    g_autoptr(GError) local = NULL;
    if (!node_text (n, FALSE, &def->name, error))
      return NULL;
    if (!vb_snapshot_def_validate_name (def->name, &local))
      return vb_xml_fail (error, n, "%s", local->message), NULL;
  }
  if ((n = vb_xml_child (root, "description")) != NULL) {
    if (!node_text (n, TRUE, &def->description, error))
      return NULL;
    if (*def->description == '\0')
      g_clear_pointer (&def->description, g_free);
  }
  if ((n = vb_xml_child (root, "state")) != NULL) {
    g_autofree char *text = g_strstrip (vb_xml_text (n));
    v = vb_snapshot_state_from_string (text);
    if (v < 0)
      return vb_xml_fail (error, n, "unknown domain state '%s'", text), NULL;
    def->state = v;
  }
  if ((n = vb_xml_child (root, "creationTime")) != NULL) {
    guint64 t = 0;
    if (vb_xml_text_u64 (n, &t, error) < 0)
      return NULL;
    if (t > G_MAXINT64)
      return vb_xml_fail (error, n, "creation time is out of range"), NULL;
    def->creation_time = (gint64) t;
    def->has_creation_time = TRUE;
  }
  if ((n = vb_xml_child (root, "parent")) != NULL) {
    g_autoptr(GError) local = NULL;
    xmlNode *pn = vb_xml_child (n, "name");
    if (pn == NULL)
      return vb_xml_fail (error, n, "missing <name>"), NULL;
    if (!node_text (pn, FALSE, &def->parent, error))
      return NULL;
    if (!vb_snapshot_def_validate_name (def->parent, &local))
      return vb_xml_fail (error, pn, "%s", local->message), NULL;
  }
  if ((n = vb_xml_child (root, "memory")) != NULL) {
    v = 0;
    if (!attr_enum (n, "snapshot", memory_location_names, 1, &v, error) ||
        !attr_path (n, "file", &def->memory_file, error))
      return NULL;
    def->memory = v;
    if (def->memory_file && def->memory == VB_SNAPSHOT_LOCATION_DEFAULT)
      def->memory = VB_SNAPSHOT_LOCATION_EXTERNAL;
    if (def->memory == VB_SNAPSHOT_LOCATION_EXTERNAL && def->memory_file == NULL)
      return vb_xml_fail (error, n, "an external memory snapshot needs a 'file'"), NULL;
    if (def->memory != VB_SNAPSHOT_LOCATION_EXTERNAL && def->memory_file != NULL)
      return vb_xml_fail (error, n, "'file' is only for snapshot='external'"), NULL;
    if (def->memory == VB_SNAPSHOT_LOCATION_DEFAULT)
      return vb_xml_fail (error, n, "missing attribute 'snapshot'"), NULL;
  }
  if ((n = vb_xml_child (root, "disks")) != NULL) {
    for (xmlNode *dn = vb_xml_next (n, NULL, "disk"); dn != NULL; dn = vb_xml_next (n, dn, "disk")) {
      VbSnapshotDiskDef *d = disk_parse (dn, error);
      if (d == NULL)
        return NULL;
      g_ptr_array_add (def->disks, d);
      if (!g_hash_table_add (disk_names, d->name))
        return vb_xml_fail (error, dn, "disk '%s' is listed twice", d->name), NULL;
    }
  }
  if ((n = vb_xml_child (root, "active")) != NULL) {
    g_autofree char *text = g_strstrip (vb_xml_text (n));
    if (strcmp (text, "0") != 0 && strcmp (text, "1") != 0)
      return vb_xml_fail (error, n, "must be 0 or 1"), NULL;
    def->active = text[0] == '1';
  }
  if ((n = vb_xml_child (root, "domain")) != NULL) {
    def->domain = vb_domain_def_parse_node (n, VB_DOMAIN_PARSE_INACTIVE, error);
    if (def->domain == NULL)
      return NULL;
  }
  if ((n = vb_xml_child (root, "inactiveDomain")) != NULL) {
    def->inactive_domain = vb_domain_def_parse_node (n, VB_DOMAIN_PARSE_INACTIVE, error);
    if (def->inactive_domain == NULL)
      return NULL;
  }
  if ((n = vb_xml_child (root, "cookie")) != NULL) {
    def->cookie = element_dump (n);
    if (def->cookie == NULL)
      return vb_xml_fail (error, n, "cannot serialize the cookie"), NULL;
    vb_xml_mark_subtree (n);
  }

  if (!vb_xml_check_consumed (root, error))
    return NULL;

  if (user) {
    def->creation_time = g_get_real_time () / G_USEC_PER_SEC;
    def->has_creation_time = TRUE;
    if (def->name == NULL)
      def->name = g_strdup_printf ("%" G_GINT64_FORMAT, def->creation_time);
  } else {
    if (def->name == NULL)
      return vb_xml_fail (error, root, "a redefined snapshot needs a <name>"), NULL;
    if (!def->has_creation_time)
      return vb_xml_fail (error, root, "a redefined snapshot needs a <creationTime>"), NULL;
  }
  return g_steal_pointer (&def);
}

VbSnapshotDef *
vb_snapshot_def_parse_full (const char *xml, guint flags, GError **error)
{
  g_autoptr(xmlDoc) doc = NULL;

  if (!vb_check_flags (flags, VB_SNAPSHOT_PARSE_USER, "snapshot XML parse", error))
    return NULL;
  doc = vb_xml_parse (xml, -1, "domainsnapshot", error);
  if (doc == NULL)
    return NULL;
  return snapshot_parse_root (xmlDocGetRootElement (doc), flags, error);
}

VbSnapshotDef *
vb_snapshot_def_parse (const char *xml, GError **error)
{
  return vb_snapshot_def_parse_full (xml, 0, error);
}

/* ---- formatting ---- */

char *
vb_snapshot_def_format (const VbSnapshotDef *def, guint flags)
{
  g_autoptr(VbXmlWriter) w = vb_xml_writer_new ();
  guint domain_flags = VB_DOMAIN_XML_INACTIVE | ((flags & VB_SNAPSHOT_XML_SECURE) ? VB_DOMAIN_XML_SECURE : 0);

  g_return_val_if_fail (def != NULL, NULL);

  vb_xml_writer_start (w, "domainsnapshot", NULL);
  vb_xml_writer_element (w, "name", def->name, NULL);
  vb_xml_writer_element (w, "description", def->description, NULL);
  vb_xml_writer_element (w, "state", vb_snapshot_state_to_string (def->state), NULL);
  if (def->parent) {
    vb_xml_writer_start (w, "parent", NULL);
    vb_xml_writer_element (w, "name", def->parent, NULL);
    vb_xml_writer_end (w);
  }
  if (def->has_creation_time) {
    g_autofree char *t = g_strdup_printf ("%" G_GINT64_FORMAT, def->creation_time);
    vb_xml_writer_element (w, "creationTime", t, NULL);
  }
  if (def->memory != VB_SNAPSHOT_LOCATION_DEFAULT)
    vb_xml_writer_empty (w, "memory", "snapshot", vb_snapshot_location_to_string (def->memory),
                         "file", def->memory == VB_SNAPSHOT_LOCATION_EXTERNAL ? def->memory_file : NULL, NULL);
  if (def->disks->len) {
    vb_xml_writer_start (w, "disks", NULL);
    for (guint i = 0; i < def->disks->len; i++) {
      const VbSnapshotDiskDef *d = g_ptr_array_index (def->disks, i);
      gboolean external = d->snapshot == VB_SNAPSHOT_LOCATION_EXTERNAL;
      gboolean block = d->type == VB_SNAPSHOT_DISK_TYPE_BLOCK;
      vb_xml_writer_start (w, "disk", "name", d->name, "snapshot", vb_snapshot_location_to_string (d->snapshot),
                           "type", external ? (block ? "block" : "file") : NULL, NULL);
      if (external && d->driver_type)
        vb_xml_writer_empty (w, "driver", "type", d->driver_type, NULL);
      if (external && d->src_path)
        vb_xml_writer_empty (w, "source", block ? "dev" : "file", d->src_path, NULL);
      vb_xml_writer_end (w);
    }
    vb_xml_writer_end (w);
  }
  if (def->domain)
    vb_domain_def_format_into (w, def->domain, domain_flags, "domain");
  if (def->inactive_domain)
    vb_domain_def_format_into (w, def->inactive_domain, domain_flags, "inactiveDomain");
  if (def->cookie)
    vb_xml_writer_raw (w, def->cookie);
  if (def->active >= 0)
    vb_xml_writer_element (w, "active", def->active ? "1" : "0", NULL);
  vb_xml_writer_end (w);
  return vb_xml_writer_finish (g_steal_pointer (&w));
}
