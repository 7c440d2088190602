/* Safe XML reading with "every node must be understood" bookkeeping, and a
 * small writer producing libvirt-style XML (2-space indent, single quotes).
 *
 * Reading: vb_xml_parse() refuses DTDs, entities, network access and oversized
 * input. Every accessor below marks what it read; vb_xml_check_consumed() then
 * fails on the first element, attribute or text the parser did not look at, so
 * nothing a user wrote is ever silently dropped.
 */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/* Largest XML document accepted from a caller. */
#define VB_XML_MAX_SIZE (10 * 1024 * 1024)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)

/* Parses @xml (UTF-8, @len bytes or NUL-terminated when -1). The root element
 * must be named @root_name. */
xmlDoc *vb_xml_parse (const char *xml, gssize len, const char *root_name, GError **error);

/* "/domain/devices/disk (line 12)" for messages. */
char *vb_xml_node_describe (xmlNode *node);
/* Sets @error (VB_ERROR_XML) to "<where @node is>: <message>"; returns FALSE. */
gboolean vb_xml_fail (GError **error, xmlNode *node, const char *fmt, ...) G_GNUC_PRINTF (3, 4);
/* Whether @s has control characters (C0 or DEL); newlines and tabs are
 * allowed when @allow_newlines. */
gboolean vb_xml_has_control_chars (const char *s, gboolean allow_newlines);

/* Attributes. Each marks the attribute as consumed.
 * The int-returning ones return 1 when present and valid, 0 when absent
 * (@out untouched), -1 with @error set when present but invalid. */
char *vb_xml_prop (xmlNode *node, const char *name);
char *vb_xml_prop_required (xmlNode *node, const char *name, GError **error);
int vb_xml_prop_u64 (xmlNode *node, const char *name, guint64 *out, GError **error);
int vb_xml_prop_uint (xmlNode *node, const char *name, guint *out, GError **error);
int vb_xml_prop_int (xmlNode *node, const char *name, int *out, GError **error);
/* @values is NULL-terminated; *out receives the index. */
int vb_xml_prop_enum (xmlNode *node, const char *name, const char *const *values, int *out, GError **error);
/* yes/no (or on/off when @on_off): *out is TRUE/FALSE. */
int vb_xml_prop_bool (xmlNode *node, const char *name, gboolean on_off, gboolean *out, GError **error);

/* Children. Each returned element is marked consumed. */
xmlNode *vb_xml_child (xmlNode *node, const char *name);
/* Iterates the element children named @name (any name when NULL), after @prev. */
xmlNode *vb_xml_next (xmlNode *parent, xmlNode *prev, const char *name);
guint vb_xml_count (xmlNode *node, const char *name);

/* Text content of @node (marks its text). */
char *vb_xml_text (xmlNode *node);
/* Text of child @name, or NULL when absent (marks both). */
char *vb_xml_child_text (xmlNode *node, const char *name);
int vb_xml_child_u64 (xmlNode *node, const char *name, guint64 *out, GError **error);
int vb_xml_text_u64 (xmlNode *node, guint64 *out, GError **error);

/* Marks @node and everything below it consumed and returns it serialized
 * verbatim (used for <metadata> and opaque blobs). */
char *vb_xml_take_subtree (xmlNode *node);
void vb_xml_mark_subtree (xmlNode *node);

/* Fails naming the first element/attribute/text under @root not consumed. */
gboolean vb_xml_check_consumed (xmlNode *root, GError **error);

/* Number parsing shared by the model: decimal, or hex with 0x. */
gboolean vb_parse_u64 (const char *str, guint64 *out);
/* Whether @text is exactly @n decimal numbers separated by @separator
 * ("01/31/2024" with '/' and 3), each then in @out. */
gboolean vb_parse_u64_fields (const char *text, char separator, guint n, guint64 *out);
/* Parses a libvirt scaled integer ("512" with unit "MiB") into units of
 * @result_scale bytes (1 for bytes, 1024 for KiB); a missing @unit means
 * @default_scale. Fails on overflow, unknown units and values > @max. */
gboolean vb_parse_scaled (const char *value, const char *unit, guint64 default_scale,
                          guint64 result_scale, guint64 max, guint64 *out, GError **error);
/* Reads <name unit='..'>N</name> under @node; return convention as above. */
int vb_xml_child_scaled (xmlNode *node, const char *name, guint64 default_scale,
                         guint64 result_scale, guint64 max, guint64 *out, GError **error);

/* UUIDs: accepts 32 hex digits with optional dashes, normalises to the
 * canonical lowercase 8-4-4-4-12 form. */
gboolean vb_uuid_parse (const char *str, char out[37]);
void vb_uuid_generate (char out[37]);

/* ---- Writer ---- */
typedef struct _VbXmlWriter VbXmlWriter;

VbXmlWriter *vb_xml_writer_new (void);
void vb_xml_writer_free (VbXmlWriter *w);
/* Returns the document and frees the writer. */
char *vb_xml_writer_finish (VbXmlWriter *w);
/* Attribute list: name, value pairs ending with a NULL name; pairs with a
 * NULL value are skipped. An element with no content is closed as <x/>. */
void vb_xml_writer_start (VbXmlWriter *w, const char *name, ...) G_GNUC_NULL_TERMINATED;
void vb_xml_writer_end (VbXmlWriter *w);
/* <name attrs>text</name>; nothing at all when @text is NULL. */
void vb_xml_writer_element (VbXmlWriter *w, const char *name, const char *text, ...) G_GNUC_NULL_TERMINATED;
void vb_xml_writer_element_u64 (VbXmlWriter *w, const char *name, guint64 value);
/* An empty element: <name attrs/>. */
void vb_xml_writer_empty (VbXmlWriter *w, const char *name, ...) G_GNUC_NULL_TERMINATED;
/* Inserts already-serialized XML, re-indented at the current level. */
void vb_xml_writer_raw (VbXmlWriter *w, const char *xml);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbXmlWriter, vb_xml_writer_free)

G_END_DECLS
