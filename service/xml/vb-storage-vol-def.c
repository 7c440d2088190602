#define G_LOG_DOMAIN "virtbus-xml"

#include "vb-storage-vol-def.h"

#include <string.h>

#include "vb-error.h"

static const char *const vol_type_names[] = {
  "file", "block", "dir", "network", "netdir", "ploop", NULL
};
G_STATIC_ASSERT (G_N_ELEMENTS (vol_type_names) == VB_STORAGE_VOL_TYPE_LAST + 1);

static const char *const vol_format_names[] = {
  "", "unknown", "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd", "ploop",
  "luks", "cow", "qcow", "qcow2", "qed", "vmdk",
  "none", "auto", "ext2", "ext3", "ext4", "ufs", "iso9660", "udf", "gfs", "gfs2", "vfat", "hfs+",
  "xfs", "ocfs2", "vmfs",
  "linux", "fat16", "fat32", "linux-swap", "linux-lvm", "linux-raid", "extended", NULL
};
G_STATIC_ASSERT (G_N_ELEMENTS (vol_format_names) == VB_STORAGE_VOL_FORMAT_LAST + 1);

static const char *const encryption_names[] = { "", "default", "qcow", "luks", "luks2", NULL };
static const char *const engine_names[] = { "", "qemu", "librbd", NULL };

const char *
vb_storage_vol_type_to_string (VbStorageVolType type)
{
  if ((guint) type >= VB_STORAGE_VOL_TYPE_LAST)
    return NULL;
  return vol_type_names[type];
}

int
vb_storage_vol_type_from_string (const char *str)
{
  for (int i = 0; str && vol_type_names[i]; i++)
    if (strcmp (vol_type_names[i], str) == 0)
      return i;
  return -1;
}

const char *
vb_storage_vol_format_to_string (VbStorageVolFormat format)
{
  if ((guint) format >= VB_STORAGE_VOL_FORMAT_LAST || format == VB_STORAGE_VOL_FORMAT_DEFAULT)
    return NULL;
  return vol_format_names[format];
}

int
vb_storage_vol_format_from_string (const char *str)
{
  for (int i = 1; str && vol_format_names[i]; i++)
    if (strcmp (vol_format_names[i], str) == 0)
      return i;
  return -1;
}

static gboolean G_GNUC_PRINTF (3, 4)
set_node_error (GError **error, xmlNode *node, const char *format, ...)
{
  g_autofree char *where = vb_xml_node_describe (node);
  g_autofree char *msg = NULL;
  va_list ap;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, VB_ERROR, VB_ERROR_XML, "%s: %s", where, msg);
  return FALSE;
}

/* XML parsers turn tabs and line breaks in attribute values into spaces and
 * carriage returns in text into line feeds, so values holding them (only
 * reachable through character references) could not be written back
 * faithfully: refuse them up front. Depth is bounded by libxml2's nesting
 * limit. */
static gboolean
check_chars (xmlNode *node, GError **error)
{
  for (xmlAttr *a = node->properties; a != NULL; a = a->next)
    for (xmlNode *t = a->children; t != NULL; t = t->next)
      if (t->content != NULL && strpbrk ((const char *) t->content, "\t\n\r") != NULL)
        return set_node_error (error, node, "attribute '%s' contains a tab or line break", (const char *) a->name);
  for (xmlNode *c = node->children; c != NULL; c = c->next) {
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content != NULL &&
        strchr ((const char *) c->content, '\r') != NULL)
      return set_node_error (error, node, "text contains a carriage return");
    if (c->type == XML_ELEMENT_NODE && !check_chars (c, error))
      return FALSE;
  }
  return TRUE;
}

static void
source_device_free (gpointer p)
{
  VbStorageVolSourceDevice *dev = p;
  g_free (dev->path);
  g_array_unref (dev->extents);
  g_free (dev);
}

static void
backing_store_free (VbStorageVolBackingStore *bs)
{
  if (bs == NULL)
    return;
  g_free (bs->path);
  vb_storage_perms_clear (&bs->perms);
  g_free (bs);
}

VbStorageVolDef *
vb_storage_vol_def_new (void)
{
  VbStorageVolDef *def = g_new0 (VbStorageVolDef, 1);
  def->source_devices = g_ptr_array_new_with_free_func (source_device_free);
  vb_storage_perms_init (&def->perms);
  return def;
}

void
vb_storage_vol_def_free (VbStorageVolDef *def)
{
  if (def == NULL)
    return;
  g_free (def->name);
  g_free (def->key);
  g_ptr_array_unref (def->source_devices);
  g_free (def->path);
  vb_storage_perms_clear (&def->perms);
  g_free (def->encryption_secret_uuid);
  g_free (def->encryption_secret_usage);
  g_free (def->compat);
  backing_store_free (def->backing_store);
  g_free (def);
}

VbStorageVolDef *
vb_storage_vol_def_copy (const VbStorageVolDef *def)
{
  VbStorageVolDef *copy = vb_storage_vol_def_new ();

  copy->type = def->type;
  copy->name = g_strdup (def->name);
  copy->key = g_strdup (def->key);
  for (guint i = 0; i < def->source_devices->len; i++) {
    const VbStorageVolSourceDevice *d = g_ptr_array_index (def->source_devices, i);
    VbStorageVolSourceDevice *c = g_new0 (VbStorageVolSourceDevice, 1);
    c->path = g_strdup (d->path);
    c->extents = g_array_copy (d->extents);
    g_ptr_array_add (copy->source_devices, c);
  }
  copy->has_capacity = def->has_capacity;
  copy->capacity = def->capacity;
  copy->has_allocation = def->has_allocation;
  copy->allocation = def->allocation;
  copy->has_physical = def->has_physical;
  copy->physical = def->physical;
  copy->path = g_strdup (def->path);
  copy->format = def->format;
  vb_storage_perms_copy (&copy->perms, &def->perms);
  copy->timestamps = def->timestamps;
  copy->encryption = def->encryption;
  copy->encryption_engine = def->encryption_engine;
  copy->encryption_secret_uuid = g_strdup (def->encryption_secret_uuid);
  copy->encryption_secret_usage = g_strdup (def->encryption_secret_usage);
  copy->compat = g_strdup (def->compat);
  copy->nocow = def->nocow;
  copy->cluster_size = def->cluster_size;
  copy->lazy_refcounts = def->lazy_refcounts;
  copy->extended_l2 = def->extended_l2;
  if (def->backing_store != NULL) {
    const VbStorageVolBackingStore *bs = def->backing_store;
    copy->backing_store = g_new0 (VbStorageVolBackingStore, 1);
    copy->backing_store->path = g_strdup (bs->path);
    copy->backing_store->format = bs->format;
    vb_storage_perms_copy (&copy->backing_store->perms, &bs->perms);
    copy->backing_store->timestamps = bs->timestamps;
  }
  return copy;
}

/* "seconds[.fraction]" with at most nine fraction digits. */
static gboolean
parse_timestamp (xmlNode *parent, const char *name, VbStorageTimestamp *ts, GError **error)
{
  xmlNode *node = vb_xml_child (parent, name);
  g_autofree char *text = NULL;
  const char *dot;
  g_autofree char *secs = NULL;
  guint nsec = 0;

  if (node == NULL)
    return TRUE;
  text = g_strstrip (vb_xml_text (node));
  dot = strchr (text, '.');
  secs = dot ? g_strndup (text, dot - text) : g_strdup (text);
  if (secs[0] == '\0' || !g_ascii_isdigit (secs[0]) || !vb_parse_u64 (secs, &ts->sec))
    return set_node_error (error, node, "'%s' is not a timestamp", text);
  if (dot != NULL) {
    const char *p = dot + 1;
    int digits = 0;
    for (; *p; p++, digits++) {
      if (!g_ascii_isdigit (*p) || digits >= 9)
        return set_node_error (error, node, "'%s' is not a timestamp", text);
      nsec = nsec * 10 + (guint) (*p - '0');
    }
    for (; digits < 9; digits++)
      nsec *= 10;
  }
  ts->nsec = nsec;
  ts->set = TRUE;
  return TRUE;
}

static gboolean
parse_timestamps (xmlNode *parent, VbStorageTimestamps *ts, GError **error)
{
  xmlNode *node = vb_xml_child (parent, "timestamps");
  if (node == NULL)
    return TRUE;
  return parse_timestamp (node, "atime", &ts->atime, error) && parse_timestamp (node, "btime", &ts->btime, error) &&
         parse_timestamp (node, "ctime", &ts->ctime, error) && parse_timestamp (node, "mtime", &ts->mtime, error);
}

static gboolean
parse_format (xmlNode *parent, VbStorageVolFormat *out, GError **error)
{
  xmlNode *node = vb_xml_child (parent, "format");
  g_autofree char *value = NULL;
  int f;

  if (node == NULL)
    return TRUE;
  value = vb_xml_prop_required (node, "type", error);
  if (value == NULL)
    return FALSE;
  f = vb_storage_vol_format_from_string (value);
  if (f < 0)
    return set_node_error (error, node, "unsupported volume format '%s'", value);
  *out = f;
  return TRUE;
}

static gboolean
parse_path (xmlNode *parent, char **out, gboolean allow_uri, GError **error)
{
  xmlNode *node = vb_xml_child (parent, "path");
  g_autofree char *text = NULL;

  if (node == NULL)
    return TRUE;
  text = g_strstrip (vb_xml_text (node));
  /* Network volumes are addressed by URI (rbd:pool/image, gluster://…). */
  if (allow_uri && text[0] != '/') {
    if (text[0] == '\0' || strchr (text, ':') == NULL || strpbrk (text, " \n\t") != NULL)
      return set_node_error (error, node, "'%s' is neither an absolute path nor a URI", text);
    *out = g_steal_pointer (&text);
    return TRUE;
  }
  *out = vb_storage_path_canonicalize (node, text, error);
  return *out != NULL;
}

static gboolean
parse_encryption (xmlNode *node, VbStorageVolDef *def, GError **error)
{
  int fmt = -1, engine = -1;
  xmlNode *secret;

  /* The tables start with "" for "absent", which is not a valid spelling. */
  if (vb_xml_prop_enum (node, "format", encryption_names + 1, &fmt, error) < 0)
    return FALSE;
  if (fmt < 0)
    return set_node_error (error, node, "missing attribute 'format'");
  def->encryption = fmt + 1;
  if (vb_xml_prop_enum (node, "engine", engine_names + 1, &engine, error) < 0)
    return FALSE;
  def->encryption_engine = engine + 1;

  secret = vb_xml_child (node, "secret");
  if (secret == NULL)
    return TRUE;
  g_autofree char *type = vb_xml_prop_required (secret, "type", error);
  if (type == NULL)
    return FALSE;
  if (strcmp (type, "passphrase") != 0)
    return set_node_error (error, secret, "unsupported secret type '%s' (supported: 'passphrase')", type);
  g_autofree char *uuid = vb_xml_prop (secret, "uuid");
  def->encryption_secret_usage = vb_xml_prop (secret, "usage");
  if ((uuid == NULL) == (def->encryption_secret_usage == NULL))
    return set_node_error (error, secret, "needs exactly one of 'uuid' and 'usage'");
  if (uuid != NULL) {
    char canon[37];
    if (!vb_uuid_parse (uuid, canon))
      return set_node_error (error, secret, "'%s' is not a valid UUID", uuid);
    def->encryption_secret_uuid = g_strdup (canon);
  }
  return TRUE;
}

static gboolean
parse_target (xmlNode *target, VbStorageVolDef *def, GError **error)
{
  xmlNode *node;

  if (!parse_path (target, &def->path, TRUE, error) || !parse_format (target, &def->format, error) ||
      !vb_storage_perms_parse (target, &def->perms, error) || !parse_timestamps (target, &def->timestamps, error))
    return FALSE;

  node = vb_xml_child (target, "encryption");
  if (node != NULL && !parse_encryption (node, def, error))
    return FALSE;

  node = vb_xml_child (target, "compat");
  if (node != NULL) {
    g_autofree char *text = g_strstrip (vb_xml_text (node));
    const char *dot = strchr (text, '.');
    gboolean ok = dot != NULL && dot != text && dot[1] != '\0';
    for (const char *p = text; ok && *p; p++)
      if (!g_ascii_isdigit (*p) && p != dot)
        ok = FALSE;
    if (!ok)
      return set_node_error (error, node, "'%s' is not a compat level like '1.1'", text);
    def->compat = g_steal_pointer (&text);
  }

  node = vb_xml_child (target, "nocow");
  def->nocow = node != NULL;

  if (vb_xml_child_scaled (target, "clusterSize", 1, 1, G_MAXUINT32, &def->cluster_size, error) < 0)
    return FALSE;

  node = vb_xml_child (target, "features");
  if (node != NULL) {
    def->lazy_refcounts = vb_xml_child (node, "lazy_refcounts") != NULL;
    def->extended_l2 = vb_xml_child (node, "extended_l2") != NULL;
  }
  return TRUE;
}

static gboolean
parse_source (xmlNode *source, VbStorageVolDef *def, GError **error)
{
  for (xmlNode *n = vb_xml_next (source, NULL, "device"); n; n = vb_xml_next (source, n, "device")) {
    g_autofree char *path = vb_xml_prop_required (n, "path", error);
    VbStorageVolSourceDevice *dev;

    if (path == NULL)
      return FALSE;
    if (path[0] != '/' || path[1] == '\0' || strchr (path, '\n') != NULL)
      return set_node_error (error, n, "'%s' is not an absolute path", path);
    dev = g_new0 (VbStorageVolSourceDevice, 1);
    dev->path = g_steal_pointer (&path);
    dev->extents = g_array_new (FALSE, FALSE, sizeof (VbStorageExtent));
    g_ptr_array_add (def->source_devices, dev);
    for (xmlNode *e = vb_xml_next (n, NULL, "extent"); e; e = vb_xml_next (n, e, "extent")) {
      VbStorageExtent ext;
      int r1 = vb_xml_prop_u64 (e, "start", &ext.start, error);
      if (r1 < 0)
        return FALSE;
      int r2 = vb_xml_prop_u64 (e, "end", &ext.end, error);
      if (r2 < 0)
        return FALSE;
      if (r1 == 0 || r2 == 0)
        return set_node_error (error, e, "needs both 'start' and 'end'");
      if (ext.end < ext.start)
        return set_node_error (error, e, "extent ends before it starts");
      g_array_append_val (dev->extents, ext);
    }
  }
  return TRUE;
}

static gboolean
valid_vol_name (const char *name)
{
  return name[0] != '\0' && strcmp (name, ".") != 0 && strcmp (name, "..") != 0 && strchr (name, '/') == NULL &&
         strchr (name, '\n') == NULL;
}

VbStorageVolDef *
vb_storage_vol_def_parse (const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = vb_xml_parse (xml, -1, "volume", error);
  g_autoptr(VbStorageVolDef) def = NULL;
  xmlNode *root, *node;
  int type = VB_STORAGE_VOL_FILE;
  int r;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  if (!check_chars (root, error))
    return NULL;
  def = vb_storage_vol_def_new ();
  if (vb_xml_prop_enum (root, "type", vol_type_names, &type, error) < 0)
    return NULL;
  def->type = type;

  node = vb_xml_child (root, "name");
  if (node == NULL) {
    set_node_error (error, root, "missing <name>");
    return NULL;
  }
  def->name = vb_xml_text (node);
  if (!valid_vol_name (def->name)) {
    set_node_error (error, node, "volume name must be non-empty, not '.' or '..', and contain no '/' or newline");
    return NULL;
  }

  node = vb_xml_child (root, "key");
  if (node != NULL)
    def->key = vb_xml_text (node);

  node = vb_xml_child (root, "source");
  if (node != NULL && !parse_source (node, def, error))
    return NULL;

  r = vb_xml_child_scaled (root, "capacity", 1, 1, G_MAXUINT64, &def->capacity, error);
  if (r < 0)
    return NULL;
  def->has_capacity = r > 0;
  r = vb_xml_child_scaled (root, "allocation", 1, 1, G_MAXUINT64, &def->allocation, error);
  if (r < 0)
    return NULL;
  def->has_allocation = r > 0;
  r = vb_xml_child_scaled (root, "physical", 1, 1, G_MAXUINT64, &def->physical, error);
  if (r < 0)
    return NULL;
  def->has_physical = r > 0;

  node = vb_xml_child (root, "target");
  if (node != NULL && !parse_target (node, def, error))
    return NULL;

  node = vb_xml_child (root, "backingStore");
  if (node != NULL) {
    VbStorageVolBackingStore *bs = g_new0 (VbStorageVolBackingStore, 1);
    vb_storage_perms_init (&bs->perms);
    def->backing_store = bs;
    if (!parse_path (node, &bs->path, FALSE, error) || !parse_format (node, &bs->format, error) ||
        !vb_storage_perms_parse (node, &bs->perms, error) || !parse_timestamps (node, &bs->timestamps, error))
      return NULL;
    if (bs->path == NULL) {
      set_node_error (error, node, "missing <path>");
      return NULL;
    }
  }

  if (!vb_xml_check_consumed (root, error))
    return NULL;
  return g_steal_pointer (&def);
}

static void
write_bytes (VbXmlWriter *w, const char *name, guint64 value)
{
  char buf[32];
  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, value);
  vb_xml_writer_element (w, name, buf, "unit", "bytes", NULL);
}

static void
write_timestamps (VbXmlWriter *w, const VbStorageTimestamps *ts)
{
  const VbStorageTimestamp *all[] = { &ts->atime, &ts->btime, &ts->ctime, &ts->mtime };
  static const char *const names[] = { "atime", "btime", "ctime", "mtime" };
  gboolean any = FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
    any |= all[i]->set;
  if (!any)
    return;
  vb_xml_writer_start (w, "timestamps", NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (all); i++) {
    char buf[48];
    if (!all[i]->set)
      continue;
    g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT ".%09u", all[i]->sec, all[i]->nsec);
    vb_xml_writer_element (w, names[i], buf, NULL);
  }
  vb_xml_writer_end (w);
}

char *
vb_storage_vol_def_format (const VbStorageVolDef *def, guint flags)
{
  g_autoptr(VbXmlWriter) w = vb_xml_writer_new ();
  gboolean live = !(flags & VB_STORAGE_XML_INACTIVE);

  g_return_val_if_fail (def != NULL && (guint) def->type < VB_STORAGE_VOL_TYPE_LAST, NULL);

  vb_xml_writer_start (w, "volume", "type", vol_type_names[def->type], NULL);
  vb_xml_writer_element (w, "name", def->name, NULL);
  if (live)
    vb_xml_writer_element (w, "key", def->key, NULL);
  if (live && def->source_devices->len > 0) {
    vb_xml_writer_start (w, "source", NULL);
    for (guint i = 0; i < def->source_devices->len; i++) {
      const VbStorageVolSourceDevice *d = g_ptr_array_index (def->source_devices, i);
      vb_xml_writer_start (w, "device", "path", d->path, NULL);
      for (guint j = 0; j < d->extents->len; j++) {
        const VbStorageExtent *e = &g_array_index (d->extents, VbStorageExtent, j);
        char start[32], end[32];
        g_snprintf (start, sizeof start, "%" G_GUINT64_FORMAT, e->start);
        g_snprintf (end, sizeof end, "%" G_GUINT64_FORMAT, e->end);
        vb_xml_writer_empty (w, "extent", "start", start, "end", end, NULL);
      }
      vb_xml_writer_end (w);
    }
    vb_xml_writer_end (w);
  }
  if (def->has_capacity)
    write_bytes (w, "capacity", def->capacity);
  if (def->has_allocation)
    write_bytes (w, "allocation", def->allocation);
  if (def->has_physical)
    write_bytes (w, "physical", def->physical);

  vb_xml_writer_start (w, "target", NULL);
  vb_xml_writer_element (w, "path", def->path, NULL);
  if (def->format != VB_STORAGE_VOL_FORMAT_DEFAULT)
    vb_xml_writer_empty (w, "format", "type", vol_format_names[def->format], NULL);
  vb_storage_perms_format (w, &def->perms);
  if (live)
    write_timestamps (w, &def->timestamps);
  if (def->encryption != VB_STORAGE_ENCRYPTION_NONE) {
    const char *engine = def->encryption_engine ? engine_names[def->encryption_engine] : NULL;
    vb_xml_writer_start (w, "encryption", "format", encryption_names[def->encryption], "engine", engine, NULL);
    if (def->encryption_secret_uuid != NULL || def->encryption_secret_usage != NULL)
      vb_xml_writer_empty (w, "secret", "type", "passphrase", "uuid", def->encryption_secret_uuid, "usage",
                           def->encryption_secret_usage, NULL);
    vb_xml_writer_end (w);
  }
  vb_xml_writer_element (w, "compat", def->compat, NULL);
  if (def->nocow)
    vb_xml_writer_empty (w, "nocow", NULL);
  if (def->cluster_size > 0)
    write_bytes (w, "clusterSize", def->cluster_size);
  if (def->lazy_refcounts || def->extended_l2) {
    vb_xml_writer_start (w, "features", NULL);
    if (def->lazy_refcounts)
      vb_xml_writer_empty (w, "lazy_refcounts", NULL);
    if (def->extended_l2)
      vb_xml_writer_empty (w, "extended_l2", NULL);
    vb_xml_writer_end (w);
  }
  vb_xml_writer_end (w);

  if (def->backing_store != NULL) {
    const VbStorageVolBackingStore *bs = def->backing_store;
    vb_xml_writer_start (w, "backingStore", NULL);
    vb_xml_writer_element (w, "path", bs->path, NULL);
    if (bs->format != VB_STORAGE_VOL_FORMAT_DEFAULT)
      vb_xml_writer_empty (w, "format", "type", vol_format_names[bs->format], NULL);
    vb_storage_perms_format (w, &bs->perms);
    if (live)
      write_timestamps (w, &bs->timestamps);
    vb_xml_writer_end (w);
  }
  vb_xml_writer_end (w);
  return vb_xml_writer_finish (g_steal_pointer (&w));
}
