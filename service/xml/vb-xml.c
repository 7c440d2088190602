#define G_LOG_DOMAIN "virtbus-xml"

#include "vb-xml.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xmlsave.h>
#include <string.h>

#include "vb-error.h"

/* Marker stored in xmlNode/xmlAttr _private once the parser has read it. */
static char seen_marker;
#define SEEN ((void *) &seen_marker)

typedef struct {
  gboolean has_dtd;
} ParseState;

static void
on_internal_subset (void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
  xmlParserCtxt *ctxt = ctx;
  ParseState *state = ctxt->_private;

  /* A DTD is the door to entity expansion and external fetches: refuse it. */
  state->has_dtd = TRUE;
  xmlStopParser (ctxt);
}

static void
on_entity_decl (void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                const xmlChar *system_id, xmlChar *content)
{
  xmlParserCtxt *ctxt = ctx;
  ParseState *state = ctxt->_private;

  state->has_dtd = TRUE;
  xmlStopParser (ctxt);
}

xmlDoc *
vb_xml_parse (const char *xml, gssize len, const char *root_name, GError **error)
{
  ParseState state = { FALSE };
  xmlNode *root;

  if (xml == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "no XML document given");
    return NULL;
  }
  if (len < 0)
    len = strlen (xml);
  if (len == 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "empty XML document, expected <%s>", root_name);
    return NULL;
  }
  if ((gsize) len > VB_XML_MAX_SIZE) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML,
                 "XML document too large (%" G_GSSIZE_FORMAT " bytes, limit %d)",
                 len, VB_XML_MAX_SIZE);
    return NULL;
  }

  xmlParserCtxt *ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "out of memory creating XML parser");
    return NULL;
  }
  ctxt->_private = &state;
  ctxt->sax->internalSubset = on_internal_subset;
  ctxt->sax->entityDecl = on_entity_decl;

  xmlDoc *doc = xmlCtxtReadMemory (ctxt, xml, (int) len, "input.xml", "UTF-8",
                                   XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                   XML_PARSE_NOCDATA);
  if (state.has_dtd) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML,
                 "XML document must not contain a DOCTYPE or entity declarations");
    if (doc)
      xmlFreeDoc (doc);
    xmlFreeParserCtxt (ctxt);
    return NULL;
  }
  if (doc == NULL || !ctxt->wellFormed) {
    const xmlError *xerr = xmlCtxtGetLastError (ctxt);
    g_autofree char *msg = g_strdup (xerr && xerr->message ? xerr->message : "malformed document");
    g_strchomp (msg);
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "malformed XML at line %d: %s",
                 xerr ? xerr->line : 0, msg);
    if (doc)
      xmlFreeDoc (doc);
    xmlFreeParserCtxt (ctxt);
    return NULL;
  }
  xmlFreeParserCtxt (ctxt);

  root = xmlDocGetRootElement (doc);
  if (root == NULL || root->ns != NULL || g_strcmp0 ((const char *) root->name, root_name) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "expected root element <%s>, found <%s>",
                 root_name, root ? (const char *) root->name : "");
    xmlFreeDoc (doc);
    return NULL;
  }
  root->_private = SEEN;
  return doc;
}

char *
vb_xml_node_describe (xmlNode *node)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  GString *path = g_string_new (NULL);
  long line = node ? xmlGetLineNo (node) : -1;

  for (xmlNode *n = node; n != NULL && n->type == XML_ELEMENT_NODE; n = n->parent)
    g_ptr_array_add (names, (gpointer) n->name);
  for (guint i = names->len; i > 0; i--)
    g_string_append_printf (path, "/%s", (const char *) g_ptr_array_index (names, i - 1));
  if (line > 0)
    g_string_append_printf (path, " (line %ld)", line);
  return g_string_free (path, FALSE);
}

gboolean
vb_xml_fail (GError **error, xmlNode *node, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;
  g_autofree char *where = vb_xml_node_describe (node);

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, VB_ERROR, VB_ERROR_XML, "%s: %s", where, msg);
  return FALSE;
}

gboolean
vb_xml_has_control_chars (const char *s, gboolean allow_newlines)
{
  for (; *s; s++) {
    guchar c = (guchar) *s;

    if (allow_newlines && (c == '\n' || c == '\t'))
      continue;
    if (c < 0x20 || c == 0x7f)
      return TRUE;
  }
  return FALSE;
}

static xmlAttr *
find_attr (xmlNode *node, const char *name)
{
  for (xmlAttr *a = node->properties; a != NULL; a = a->next)
    if (a->ns == NULL && strcmp ((const char *) a->name, name) == 0)
      return a;
  return NULL;
}

char *
vb_xml_prop (xmlNode *node, const char *name)
{
  xmlAttr *attr = find_attr (node, name);
  if (attr == NULL)
    return NULL;
  attr->_private = SEEN;
  xmlChar *value = xmlNodeListGetString (node->doc, attr->children, 1);
  char *ret = g_strdup (value ? (const char *) value : "");
  xmlFree (value);
  return ret;
}

static void
set_attr_error (GError **error, xmlNode *node, const char *name, const char *value, const char *problem)
{
  g_autofree char *where = vb_xml_node_describe (node);
  g_set_error (error, VB_ERROR, VB_ERROR_XML, "attribute '%s' of %s: '%s' %s", name, where, value, problem);
}

char *
vb_xml_prop_required (xmlNode *node, const char *name, GError **error)
{
  char *value = vb_xml_prop (node, name);
  if (value == NULL) {
    g_autofree char *where = vb_xml_node_describe (node);
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "missing attribute '%s' on %s", name, where);
  }
  return value;
}

gboolean
vb_parse_u64_fields (const char *text, char separator, guint n, guint64 *out)
{
  const char *p = text;

  for (guint i = 0; i < n; i++) {
    char *end;

    if (i > 0 && *p++ != separator)
      return FALSE;
    if (!g_ascii_isdigit (*p))
      return FALSE;
    errno = 0;
    out[i] = g_ascii_strtoull (p, &end, 10);
    if (errno != 0)
      return FALSE;
    p = end;
  }
  return *p == '\0';
}

gboolean
vb_parse_u64 (const char *str, guint64 *out)
{
  g_autofree char *copy = NULL;
  guint base = 10;
  guint64 value;
  char *end = NULL;

  if (str == NULL)
    return FALSE;
  copy = g_strstrip (g_strdup (str));
  const char *p = copy;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    base = 16;
    p += 2;
  }
  if (*p == '\0' || !g_ascii_isxdigit (*p) || (base == 10 && !g_ascii_isdigit (*p)))
    return FALSE;
  errno = 0;
  value = g_ascii_strtoull (p, &end, base);
  if (errno != 0 || *end != '\0')
    return FALSE;
  *out = value;
  return TRUE;
}

int
vb_xml_prop_u64 (xmlNode *node, const char *name, guint64 *out, GError **error)
{
  g_autofree char *value = vb_xml_prop (node, name);
  if (value == NULL)
    return 0;
  if (!vb_parse_u64 (value, out)) {
    set_attr_error (error, node, name, value, "is not a non-negative integer");
    return -1;
  }
  return 1;
}

int
vb_xml_prop_uint (xmlNode *node, const char *name, guint *out, GError **error)
{
  guint64 v;
  int r = vb_xml_prop_u64 (node, name, &v, error);
  if (r <= 0)
    return r;
  if (v > G_MAXUINT) {
    g_autofree char *s = g_strdup_printf ("%" G_GUINT64_FORMAT, v);
    set_attr_error (error, node, name, s, "is out of range");
    return -1;
  }
  *out = (guint) v;
  return 1;
}

int
vb_xml_prop_int (xmlNode *node, const char *name, int *out, GError **error)
{
  g_autofree char *value = vb_xml_prop (node, name);
  gint64 v;
  char *end = NULL;

  if (value == NULL)
    return 0;
  errno = 0;
  v = g_ascii_strtoll (value, &end, 10);
  if (errno != 0 || end == value || *end != '\0' || v < G_MININT || v > G_MAXINT) {
    set_attr_error (error, node, name, value, "is not an integer");
    return -1;
  }
  *out = (int) v;
  return 1;
}

int
vb_xml_prop_enum (xmlNode *node, const char *name, const char *const *values, int *out, GError **error)
{
  g_autofree char *value = vb_xml_prop (node, name);
  if (value == NULL)
    return 0;
  for (int i = 0; values[i] != NULL; i++) {
    if (strcmp (values[i], value) == 0) {
      *out = i;
      return 1;
    }
  }
  g_autofree char *allowed = g_strjoinv ("', '", (char **) values);
  g_autofree char *where = vb_xml_node_describe (node);
  g_set_error (error, VB_ERROR, VB_ERROR_XML,
               "attribute '%s' of %s: unsupported value '%s' (supported: '%s')",
               name, where, value, allowed);
  return -1;
}

int
vb_xml_prop_bool (xmlNode *node, const char *name, gboolean on_off, gboolean *out, GError **error)
{
  static const char *const yes_no[] = { "no", "yes", NULL };
  static const char *const on_off_values[] = { "off", "on", NULL };
  int idx = 0;
  int r = vb_xml_prop_enum (node, name, on_off ? on_off_values : yes_no, &idx, error);
  if (r == 1)
    *out = idx == 1;
  return r;
}

xmlNode *
vb_xml_next (xmlNode *parent, xmlNode *prev, const char *name)
{
  xmlNode *n = prev ? prev->next : parent->children;
  for (; n != NULL; n = n->next) {
    if (n->type != XML_ELEMENT_NODE || n->ns != NULL)
      continue;
    if (name == NULL || strcmp ((const char *) n->name, name) == 0) {
      n->_private = SEEN;
      return n;
    }
  }
  return NULL;
}

xmlNode *
vb_xml_child (xmlNode *node, const char *name)
{
  return vb_xml_next (node, NULL, name);
}

guint
vb_xml_count (xmlNode *node, const char *name)
{
  guint count = 0;
  for (xmlNode *n = node->children; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && n->ns == NULL && strcmp ((const char *) n->name, name) == 0)
      count++;
  return count;
}

char *
vb_xml_text (xmlNode *node)
{
  GString *s = g_string_new (NULL);
  for (xmlNode *n = node->children; n != NULL; n = n->next) {
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
      n->_private = SEEN;
      if (n->content)
        g_string_append (s, (const char *) n->content);
    }
  }
  return g_string_free (s, FALSE);
}

char *
vb_xml_child_text (xmlNode *node, const char *name)
{
  xmlNode *child = vb_xml_child (node, name);
  return child ? vb_xml_text (child) : NULL;
}

int
vb_xml_text_u64 (xmlNode *node, guint64 *out, GError **error)
{
  g_autofree char *text = vb_xml_text (node);
  if (!vb_parse_u64 (text, out)) {
    g_autofree char *where = vb_xml_node_describe (node);
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "%s: '%s' is not a non-negative integer",
                 where, g_strstrip (text));
    return -1;
  }
  return 1;
}

int
vb_xml_child_u64 (xmlNode *node, const char *name, guint64 *out, GError **error)
{
  xmlNode *child = vb_xml_child (node, name);
  if (child == NULL)
    return 0;
  return vb_xml_text_u64 (child, out, error);
}

void
vb_xml_mark_subtree (xmlNode *node)
{
  node->_private = SEEN;
  if (node->type == XML_ELEMENT_NODE)
    for (xmlAttr *a = node->properties; a != NULL; a = a->next)
      a->_private = SEEN;
  for (xmlNode *n = node->children; n != NULL; n = n->next)
    vb_xml_mark_subtree (n);
}

char *
vb_xml_take_subtree (xmlNode *node)
{
  xmlBuffer *buf = xmlBufferCreate ();
  char *ret;

  vb_xml_mark_subtree (node);
  xmlNodeDump (buf, node->doc, node, 0, 0);
  ret = g_strdup ((const char *) xmlBufferContent (buf));
  xmlBufferFree (buf);
  return ret;
}

static gboolean
is_blank (const xmlChar *s)
{
  for (; s && *s; s++)
    if (!g_ascii_isspace (*s))
      return FALSE;
  return TRUE;
}

static gboolean
has_seen_sibling_named (xmlNode *node)
{
  for (xmlNode *n = node->parent ? node->parent->children : NULL; n != NULL; n = n->next)
    if (n != node && n->type == XML_ELEMENT_NODE && n->_private == SEEN &&
        n->ns == node->ns && strcmp ((const char *) n->name, (const char *) node->name) == 0)
      return TRUE;
  return FALSE;
}

gboolean
vb_xml_check_consumed (xmlNode *node, GError **error)
{
  if (node->type == XML_ELEMENT_NODE) {
    if (node->_private != SEEN) {
      g_autofree char *where = vb_xml_node_describe (node);
      if (node->ns != NULL)
        g_set_error (error, VB_ERROR, VB_ERROR_XML,
                     "unsupported namespaced element <%s:%s> at %s (only <metadata> may hold foreign namespaces)",
                     node->ns->prefix ? (const char *) node->ns->prefix : "", node->name, where);
      else if (has_seen_sibling_named (node))
        g_set_error (error, VB_ERROR, VB_ERROR_XML,
                     "element <%s> may appear only once at %s", node->name, where);
      else
        g_set_error (error, VB_ERROR, VB_ERROR_XML, "unsupported element <%s> at %s", node->name, where);
      return FALSE;
    }
    for (xmlAttr *a = node->properties; a != NULL; a = a->next) {
      if (a->_private != SEEN) {
        g_autofree char *where = vb_xml_node_describe (node);
        g_set_error (error, VB_ERROR, VB_ERROR_XML, "unsupported attribute '%s' on %s", a->name, where);
        return FALSE;
      }
    }
    for (xmlNode *n = node->children; n != NULL; n = n->next)
      if (!vb_xml_check_consumed (n, error))
        return FALSE;
  } else if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
    if (node->_private != SEEN && !is_blank (node->content)) {
      g_autofree char *where = vb_xml_node_describe (node->parent);
      g_autofree char *text = g_strstrip (g_strndup ((const char *) node->content, 40));
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "unexpected text '%s' in %s", text, where);
      return FALSE;
    }
  }
  /* Comments and processing instructions carry no configuration. */
  return TRUE;
}

typedef struct {
  const char *name;
  guint64 scale;
} UnitScale;

static const UnitScale unit_scales[] = {
  { "b", 1 }, { "bytes", 1 },
  { "KB", 1000ULL }, { "k", 1024ULL }, { "K", 1024ULL }, { "KiB", 1024ULL },
  { "MB", 1000ULL * 1000 }, { "m", 1ULL << 20 }, { "M", 1ULL << 20 }, { "MiB", 1ULL << 20 },
  { "GB", 1000ULL * 1000 * 1000 }, { "g", 1ULL << 30 }, { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
  { "TB", 1000ULL * 1000 * 1000 * 1000 }, { "t", 1ULL << 40 }, { "T", 1ULL << 40 }, { "TiB", 1ULL << 40 },
  { "PB", 1000ULL * 1000 * 1000 * 1000 * 1000 }, { "p", 1ULL << 50 }, { "P", 1ULL << 50 }, { "PiB", 1ULL << 50 },
  { "EB", 1000ULL * 1000 * 1000 * 1000 * 1000 * 1000 }, { "e", 1ULL << 60 }, { "E", 1ULL << 60 }, { "EiB", 1ULL << 60 },
};

gboolean
vb_parse_scaled (const char *value, const char *unit, guint64 default_scale, guint64 result_scale,
                 guint64 max, guint64 *out, GError **error)
{
  guint64 number, scale = default_scale, bytes;

  if (!vb_parse_u64 (value, &number)) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "'%s' is not a non-negative integer", value ? value : "");
    return FALSE;
  }
  if (unit != NULL) {
    gboolean found = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS (unit_scales); i++) {
      if (strcmp (unit_scales[i].name, unit) == 0) {
        scale = unit_scales[i].scale;
        found = TRUE;
        break;
      }
    }
    if (!found) {
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "unknown unit '%s'", unit);
      return FALSE;
    }
  }
  if (number != 0 && scale > G_MAXUINT64 / number) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "value %s %s is too large", value, unit ? unit : "");
    return FALSE;
  }
  bytes = number * scale;
  /* Round up to whole result units, as libvirt does. */
  *out = bytes / result_scale + (bytes % result_scale ? 1 : 0);
  if (*out > max) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "value %s %s exceeds the limit of %" G_GUINT64_FORMAT,
                 value, unit ? unit : "", max);
    return FALSE;
  }
  return TRUE;
}

int
vb_xml_child_scaled (xmlNode *node, const char *name, guint64 default_scale, guint64 result_scale,
                     guint64 max, guint64 *out, GError **error)
{
  xmlNode *child = vb_xml_child (node, name);
  g_autofree char *unit = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;

  if (child == NULL)
    return 0;
  unit = vb_xml_prop (child, "unit");
  text = vb_xml_text (child);
  if (!vb_parse_scaled (text, unit, default_scale, result_scale, max, out, &local)) {
    g_autofree char *where = vb_xml_node_describe (child);
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "%s: %s", where, local->message);
    return -1;
  }
  return 1;
}

gboolean
vb_uuid_parse (const char *str, char out[37])
{
  char hex[33];
  int n = 0;

  if (str == NULL)
    return FALSE;
  for (const char *p = str; *p; p++) {
    if (*p == '-' || *p == ' ')
      continue;
    if (!g_ascii_isxdigit (*p) || n >= 32)
      return FALSE;
    hex[n++] = g_ascii_tolower (*p);
  }
  if (n != 32)
    return FALSE;
  hex[32] = '\0';
  g_snprintf (out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
  return TRUE;
}

void
vb_uuid_generate (char out[37])
{
  g_autofree char *s = g_uuid_string_random ();
  memcpy (out, s, 37);
}

/* ---- Writer ---- */

struct _VbXmlWriter {
  GString *out;
  GPtrArray *stack; /* open element names */
  gboolean pending; /* last start tag not yet closed with '>' */
};

VbXmlWriter *
vb_xml_writer_new (void)
{
  VbXmlWriter *w = g_new0 (VbXmlWriter, 1);
  w->out = g_string_new (NULL);
  w->stack = g_ptr_array_new_with_free_func (g_free);
  return w;
}

void
vb_xml_writer_free (VbXmlWriter *w)
{
  if (w == NULL)
    return;
  g_string_free (w->out, TRUE);
  g_ptr_array_unref (w->stack);
  g_free (w);
}

static void
indent (VbXmlWriter *w)
{
  for (guint i = 0; i < w->stack->len; i++)
    g_string_append (w->out, "  ");
}

static void
flush_pending (VbXmlWriter *w)
{
  if (w->pending) {
    g_string_append (w->out, ">\n");
    w->pending = FALSE;
  }
}

static void
append_escaped (GString *out, const char *s, gboolean attr)
{
  for (; *s; s++) {
    switch (*s) {
    case '&': g_string_append (out, "&amp;"); break;
    case '<': g_string_append (out, "&lt;"); break;
    case '>': g_string_append (out, "&gt;"); break;
    case '\'': if (attr) g_string_append (out, "&apos;"); else g_string_append_c (out, *s); break;
    case '"': if (attr) g_string_append (out, "&quot;"); else g_string_append_c (out, *s); break;
    /* Parsers normalise literal tabs and newlines in attributes, and CR
     * everywhere: write them as references so values survive a re-parse. */
    case '\t': if (attr) g_string_append (out, "&#9;"); else g_string_append_c (out, *s); break;
    case '\n': if (attr) g_string_append (out, "&#10;"); else g_string_append_c (out, *s); break;
    case '\r': g_string_append (out, "&#13;"); break;
    default: g_string_append_c (out, *s);
    }
  }
}

static void
open_tag (VbXmlWriter *w, const char *name, va_list ap)
{
  const char *attr;

  flush_pending (w);
  indent (w);
  g_string_append_printf (w->out, "<%s", name);
  while ((attr = va_arg (ap, const char *)) != NULL) {
    const char *value = va_arg (ap, const char *);
    if (value == NULL)
      continue;
    g_string_append_printf (w->out, " %s='", attr);
    append_escaped (w->out, value, TRUE);
    g_string_append_c (w->out, '\'');
  }
}

void
vb_xml_writer_start (VbXmlWriter *w, const char *name, ...)
{
  va_list ap;
  va_start (ap, name);
  open_tag (w, name, ap);
  va_end (ap);
  g_ptr_array_add (w->stack, g_strdup (name));
  w->pending = TRUE;
}

void
vb_xml_writer_end (VbXmlWriter *w)
{
  g_return_if_fail (w->stack->len > 0);
  g_autofree char *name = g_ptr_array_steal_index (w->stack, w->stack->len - 1);
  if (w->pending) {
    g_string_append (w->out, "/>\n");
    w->pending = FALSE;
    return;
  }
  indent (w);
  g_string_append_printf (w->out, "</%s>\n", name);
}

void
vb_xml_writer_element (VbXmlWriter *w, const char *name, const char *text, ...)
{
  va_list ap;
  if (text == NULL)
    return;
  va_start (ap, text);
  open_tag (w, name, ap);
  va_end (ap);
  g_string_append_c (w->out, '>');
  append_escaped (w->out, text, FALSE);
  g_string_append_printf (w->out, "</%s>\n", name);
}

void
vb_xml_writer_element_u64 (VbXmlWriter *w, const char *name, guint64 value)
{
  char buf[32];
  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, value);
  vb_xml_writer_element (w, name, buf, NULL);
}

void
vb_xml_writer_empty (VbXmlWriter *w, const char *name, ...)
{
  va_list ap;
  va_start (ap, name);
  open_tag (w, name, ap);
  va_end (ap);
  g_string_append (w->out, "/>\n");
}

void
vb_xml_writer_raw (VbXmlWriter *w, const char *xml)
{
  /* Only the first line is indented: the rest is content kept verbatim. */
  flush_pending (w);
  indent (w);
  g_string_append (w->out, xml);
  if (!g_str_has_suffix (xml, "\n"))
    g_string_append_c (w->out, '\n');
}

char *
vb_xml_writer_finish (VbXmlWriter *w)
{
  char *ret;
  while (w->stack->len > 0)
    vb_xml_writer_end (w);
  ret = g_string_free (w->out, FALSE);
  w->out = NULL;
  g_ptr_array_unref (w->stack);
  g_free (w);
  return ret;
}
