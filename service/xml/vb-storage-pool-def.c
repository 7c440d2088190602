#define G_LOG_DOMAIN "virtbus-xml"

#include "vb-storage-pool-def.h"

#include <gio/gio.h>
#include <string.h>

#include "vb-error.h"

static const char *const pool_type_names[] = {
  "dir", "fs", "netfs", "logical", "disk", "iscsi", "iscsi-direct", "scsi",
  "mpath", "rbd", "sheepdog", "gluster", "zfs", "vstorage", NULL
};
G_STATIC_ASSERT (G_N_ELEMENTS (pool_type_names) == VB_STORAGE_POOL_TYPE_LAST + 1);

static const char *const pool_format_names[] = {
  "", "auto", "ext2", "ext3", "ext4", "ufs", "iso9660", "udf", "gfs", "gfs2",
  "vfat", "hfs+", "xfs", "ocfs2", "vmfs", "nfs", "cifs", "glusterfs", "unknown",
  "dos", "dvh", "gpt", "mac", "bsd", "pc98", "sun", "lvm2", NULL
};
G_STATIC_ASSERT (G_N_ELEMENTS (pool_format_names) == VB_STORAGE_POOL_FORMAT_LAST + 1);

static const char *const adapter_type_names[] = { "", "scsi_host", "fc_host", NULL };
static const char *const auth_type_names[] = { "", "chap", "ceph", NULL };

/* What the <source> (and <target>) of each pool type may hold, after the
 * schema: anything not listed stays unconsumed and is reported. */
enum {
  SRC_HOST = 1 << 0,
  SRC_DEVICE = 1 << 1,
  SRC_MULTI_DEVICE = 1 << 2,
  SRC_DIR = 1 << 3,
  SRC_ADAPTER = 1 << 4,
  SRC_NAME = 1 << 5,
  SRC_FORMAT = 1 << 6,
  SRC_PROTOCOL = 1 << 7,
  SRC_VENDOR = 1 << 8,
  SRC_INITIATOR = 1 << 9,
  SRC_AUTH = 1 << 10,
  REQ_HOST = 1 << 11,
  REQ_DEVICE = 1 << 12,
  REQ_DIR = 1 << 13,
  REQ_ADAPTER = 1 << 14,
  REQ_NAME = 1 << 15,
  REQ_INITIATOR = 1 << 16,
  /* The pool <name> may be omitted and defaults to the source name. */
  NAME_FROM_SOURCE = 1 << 17,
  /* The source name defaults to the pool name (logical volume groups). */
  SOURCE_NAME_DEFAULT = 1 << 18,
  HAS_COW = 1 << 19,
};

typedef enum {
  TARGET_NONE,          /* no <target> at all */
  TARGET_REQUIRED,      /* <target><path> required */
  TARGET_OPTIONAL,      /* <target> optional, with a <path> when present */
  TARGET_PATH_OPTIONAL, /* <target> optional, <path> optional */
} TargetKind;

typedef struct {
  guint flags;
  TargetKind target;
  VbStorageAuthType auth;
} PoolTypeInfo;

static const PoolTypeInfo pool_info[VB_STORAGE_POOL_TYPE_LAST] = {
  [VB_STORAGE_POOL_DIR] = { SRC_VENDOR | HAS_COW, TARGET_REQUIRED, 0 },
  [VB_STORAGE_POOL_FS] = { SRC_DEVICE | SRC_FORMAT | SRC_VENDOR | REQ_DEVICE | HAS_COW, TARGET_REQUIRED, 0 },
  [VB_STORAGE_POOL_NETFS] = { SRC_HOST | SRC_DIR | SRC_FORMAT | SRC_PROTOCOL | SRC_VENDOR | REQ_HOST | REQ_DIR,
                              TARGET_REQUIRED, 0 },
  [VB_STORAGE_POOL_LOGICAL] = { SRC_NAME | SRC_DEVICE | SRC_MULTI_DEVICE | SRC_FORMAT | SRC_VENDOR |
                                NAME_FROM_SOURCE | SOURCE_NAME_DEFAULT,
                                TARGET_PATH_OPTIONAL, 0 },
  [VB_STORAGE_POOL_DISK] = { SRC_DEVICE | SRC_FORMAT | SRC_VENDOR | REQ_DEVICE, TARGET_REQUIRED, 0 },
  [VB_STORAGE_POOL_ISCSI] = { SRC_HOST | SRC_DEVICE | SRC_INITIATOR | SRC_AUTH | SRC_VENDOR | REQ_HOST | REQ_DEVICE,
                              TARGET_REQUIRED, VB_STORAGE_AUTH_CHAP },
  [VB_STORAGE_POOL_ISCSI_DIRECT] = { SRC_HOST | SRC_DEVICE | SRC_INITIATOR | SRC_AUTH | REQ_HOST | REQ_DEVICE |
                                     REQ_INITIATOR,
                                     TARGET_NONE, VB_STORAGE_AUTH_CHAP },
  [VB_STORAGE_POOL_SCSI] = { SRC_ADAPTER | SRC_VENDOR | REQ_ADAPTER, TARGET_REQUIRED, 0 },
  [VB_STORAGE_POOL_MPATH] = { 0, TARGET_REQUIRED, 0 },
  [VB_STORAGE_POOL_RBD] = { SRC_NAME | SRC_HOST | SRC_AUTH | REQ_NAME | REQ_HOST | NAME_FROM_SOURCE, TARGET_NONE,
                            VB_STORAGE_AUTH_CEPH },
  [VB_STORAGE_POOL_SHEEPDOG] = { SRC_HOST | SRC_NAME | REQ_HOST | REQ_NAME | NAME_FROM_SOURCE, TARGET_NONE, 0 },
  [VB_STORAGE_POOL_GLUSTER] = { SRC_HOST | SRC_NAME | SRC_DIR | REQ_HOST | REQ_NAME | NAME_FROM_SOURCE, TARGET_NONE, 0 },
  [VB_STORAGE_POOL_ZFS] = { SRC_NAME | SRC_DEVICE | REQ_NAME | NAME_FROM_SOURCE, TARGET_OPTIONAL, 0 },
  [VB_STORAGE_POOL_VSTORAGE] = { SRC_NAME | REQ_NAME | NAME_FROM_SOURCE, TARGET_REQUIRED, 0 },
};

const char *
vb_storage_pool_type_to_string (VbStoragePoolType type)
{
  if ((guint) type >= VB_STORAGE_POOL_TYPE_LAST)
    return NULL;
  return pool_type_names[type];
}

int
vb_storage_pool_type_from_string (const char *str)
{
  for (int i = 0; str && pool_type_names[i]; i++)
    if (strcmp (pool_type_names[i], str) == 0)
      return i;
  return -1;
}

const char *
vb_storage_pool_format_to_string (VbStoragePoolFormat format)
{
  if ((guint) format >= VB_STORAGE_POOL_FORMAT_LAST || format == VB_STORAGE_POOL_FORMAT_DEFAULT)
    return NULL;
  return pool_format_names[format];
}

int
vb_storage_pool_format_from_string (const char *str)
{
  for (int i = 1; str && pool_format_names[i]; i++)
    if (strcmp (pool_format_names[i], str) == 0)
      return i;
  return -1;
}

gboolean
vb_storage_pool_format_valid_for (VbStoragePoolType type, VbStoragePoolFormat format)
{
  if (format == VB_STORAGE_POOL_FORMAT_DEFAULT)
    return TRUE;
  switch (type) {
  case VB_STORAGE_POOL_FS:
    return format >= VB_STORAGE_POOL_FORMAT_AUTO && format <= VB_STORAGE_POOL_FORMAT_VMFS;
  case VB_STORAGE_POOL_NETFS:
    return format == VB_STORAGE_POOL_FORMAT_AUTO || format == VB_STORAGE_POOL_FORMAT_NFS ||
           format == VB_STORAGE_POOL_FORMAT_CIFS || format == VB_STORAGE_POOL_FORMAT_GLUSTERFS;
  case VB_STORAGE_POOL_DISK:
    return format >= VB_STORAGE_POOL_FORMAT_UNKNOWN && format <= VB_STORAGE_POOL_FORMAT_LVM2;
  case VB_STORAGE_POOL_LOGICAL:
    return format == VB_STORAGE_POOL_FORMAT_UNKNOWN || format == VB_STORAGE_POOL_FORMAT_LVM2;
  default:
    return FALSE;
  }
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

/* ---- shared pieces ---- */

void
vb_storage_perms_init (VbStoragePerms *perms)
{
  perms->mode = -1;
  perms->owner = -1;
  perms->group = -1;
  perms->label = NULL;
}

void
vb_storage_perms_clear (VbStoragePerms *perms)
{
  g_clear_pointer (&perms->label, g_free);
  vb_storage_perms_init (perms);
}

void
vb_storage_perms_copy (VbStoragePerms *dest, const VbStoragePerms *src)
{
  dest->mode = src->mode;
  dest->owner = src->owner;
  dest->group = src->group;
  dest->label = g_strdup (src->label);
}

gboolean
vb_storage_perms_is_set (const VbStoragePerms *perms)
{
  return perms->mode >= 0 || perms->owner >= 0 || perms->group >= 0 || perms->label != NULL;
}

/* uid/gid: "-1" means "not set", as in libvirt. */
static gboolean
parse_id (xmlNode *parent, const char *name, gint64 *out, GError **error)
{
  xmlNode *node = vb_xml_child (parent, name);
  g_autofree char *text = NULL;
  guint64 v;

  if (node == NULL)
    return TRUE;
  text = g_strstrip (vb_xml_text (node));
  if (strcmp (text, "-1") == 0) {
    *out = -1;
    return TRUE;
  }
  if (!g_ascii_isdigit (text[0]) || !vb_parse_u64 (text, &v) || v >= G_MAXUINT32)
    return set_node_error (error, node, "'%s' is not a valid user or group id", text);
  *out = (gint64) v;
  return TRUE;
}

gboolean
vb_storage_perms_parse (xmlNode *parent, VbStoragePerms *perms, GError **error)
{
  xmlNode *node = vb_xml_child (parent, "permissions");
  xmlNode *mode;

  if (node == NULL)
    return TRUE;
  mode = vb_xml_child (node, "mode");
  if (mode != NULL) {
    g_autofree char *text = g_strstrip (vb_xml_text (mode));
    char *end = NULL;
    guint64 v;

    if (text[0] < '0' || text[0] > '7')
      return set_node_error (error, mode, "'%s' is not an octal mode", text);
    v = g_ascii_strtoull (text, &end, 8);
    if (*end != '\0' || v > 0777)
      return set_node_error (error, mode, "'%s' is not an octal mode between 0 and 0777", text);
    perms->mode = (gint64) v;
  }
  if (!parse_id (node, "owner", &perms->owner, error) || !parse_id (node, "group", &perms->group, error))
    return FALSE;
  g_free (perms->label);
  perms->label = vb_xml_child_text (node, "label");
  return TRUE;
}

void
vb_storage_perms_format (VbXmlWriter *w, const VbStoragePerms *perms)
{
  char buf[32];

  if (!vb_storage_perms_is_set (perms))
    return;
  vb_xml_writer_start (w, "permissions", NULL);
  if (perms->mode >= 0) {
    g_snprintf (buf, sizeof buf, "%04o", (guint) perms->mode);
    vb_xml_writer_element (w, "mode", buf, NULL);
  }
  if (perms->owner >= 0)
    vb_xml_writer_element_u64 (w, "owner", (guint64) perms->owner);
  if (perms->group >= 0)
    vb_xml_writer_element_u64 (w, "group", (guint64) perms->group);
  vb_xml_writer_element (w, "label", perms->label, NULL);
  vb_xml_writer_end (w);
}

char *
vb_storage_path_canonicalize (xmlNode *node, const char *path, GError **error)
{
  GString *s;

  if (path == NULL || path[0] != '/') {
    set_node_error (error, node, "'%s' is not an absolute path", path ? path : "");
    return NULL;
  }
  if (strchr (path, '\n') != NULL) {
    set_node_error (error, node, "path must not contain a newline");
    return NULL;
  }
  s = g_string_sized_new (strlen (path));
  for (const char *p = path; *p; p++) {
    if (*p == '/' && s->len > 0 && s->str[s->len - 1] == '/')
      continue;
    g_string_append_c (s, *p);
  }
  while (s->len > 1 && s->str[s->len - 1] == '/')
    g_string_truncate (s, s->len - 1);
  if (s->len < 2) {
    set_node_error (error, node, "'%s' is not usable as a path", path);
    g_string_free (s, TRUE);
    return NULL;
  }
  return g_string_free (s, FALSE);
}

static gboolean
valid_wwn (const char *wwn)
{
  const char *p = wwn;
  if (g_str_has_prefix (p, "0x") || g_str_has_prefix (p, "0X"))
    p += 2;
  if (strlen (p) != 16)
    return FALSE;
  for (; *p; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

/* Reads a WWN attribute into *@out; FALSE on an invalid (or a missing
 * @required) one. */
static gboolean
wwn_prop (xmlNode *node, const char *name, gboolean required, char **out, GError **error)
{
  g_autofree char *value = vb_xml_prop (node, name);

  if (value == NULL) {
    if (required)
      return set_node_error (error, node, "missing attribute '%s'", name);
    return TRUE;
  }
  if (!valid_wwn (value))
    return set_node_error (error, node, "attribute '%s': '%s' is not a WWN (16 hex digits)", name, value);
  g_free (*out);
  *out = g_steal_pointer (&value);
  return TRUE;
}

static gboolean
valid_host_name (const char *name)
{
  if (name[0] == '\0' || strchr (name, '%') != NULL)
    return FALSE;
  if (g_hostname_is_ip_address (name))
    return TRUE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean
valid_generic_name (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isalnum (*s) && *s != '_' && *s != '+' && *s != '-')
      return FALSE;
  return TRUE;
}

/* iqn.YYYY-MM.reversed.domain[:anything] */
static gboolean
valid_iqn (const char *s)
{
  if (!g_str_has_prefix (s, "iqn.") || strlen (s) < 13)
    return FALSE;
  s += 4;
  for (int i = 0; i < 4; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  if (s[4] != '-' || !g_ascii_isdigit (s[5]) || !g_ascii_isdigit (s[6]) || s[7] != '.')
    return FALSE;
  int month = (s[5] - '0') * 10 + (s[6] - '0');
  if (month < 1 || month > 12)
    return FALSE;
  s += 8;
  if (*s == '\0' || *s == ':')
    return FALSE;
  for (; *s && *s != ':'; s++)
    if (!g_ascii_isalnum (*s) && *s != '.' && *s != '-')
      return FALSE;
  return *s == '\0' || s[1] != '\0';
}

/* ---- source ---- */

static void
host_free (gpointer p)
{
  VbStoragePoolSourceHost *host = p;
  g_free (host->name);
  g_free (host);
}

static void
device_free (gpointer p)
{
  VbStoragePoolSourceDevice *dev = p;
  g_free (dev->path);
  g_array_unref (dev->free_extents);
  g_free (dev);
}

static VbStoragePoolSourceDevice *
device_new (void)
{
  VbStoragePoolSourceDevice *dev = g_new0 (VbStoragePoolSourceDevice, 1);
  dev->free_extents = g_array_new (FALSE, FALSE, sizeof (VbStorageExtent));
  return dev;
}

static void
source_init (VbStoragePoolSource *src)
{
  memset (src, 0, sizeof *src);
  src->hosts = g_ptr_array_new_with_free_func (host_free);
  src->devices = g_ptr_array_new_with_free_func (device_free);
}

static void
adapter_clear (VbStoragePoolSourceAdapter *a)
{
  g_free (a->name);
  g_free (a->parent);
  g_free (a->parent_wwnn);
  g_free (a->parent_wwpn);
  g_free (a->parent_fabric_wwn);
  g_free (a->wwnn);
  g_free (a->wwpn);
  memset (a, 0, sizeof *a);
}

static void
source_clear (VbStoragePoolSource *src)
{
  g_clear_pointer (&src->hosts, g_ptr_array_unref);
  g_clear_pointer (&src->devices, g_ptr_array_unref);
  g_clear_pointer (&src->dir, g_free);
  adapter_clear (&src->adapter);
  g_clear_pointer (&src->name, g_free);
  g_clear_pointer (&src->vendor, g_free);
  g_clear_pointer (&src->product, g_free);
  g_clear_pointer (&src->initiator_iqn, g_free);
  g_clear_pointer (&src->auth.username, g_free);
  g_clear_pointer (&src->auth.secret_uuid, g_free);
  g_clear_pointer (&src->auth.secret_usage, g_free);
}

static void
source_copy_into (VbStoragePoolSource *dest, const VbStoragePoolSource *src)
{
  source_init (dest);
  for (guint i = 0; i < src->hosts->len; i++) {
    const VbStoragePoolSourceHost *h = g_ptr_array_index (src->hosts, i);
    VbStoragePoolSourceHost *copy = g_new0 (VbStoragePoolSourceHost, 1);
    copy->name = g_strdup (h->name);
    copy->port = h->port;
    g_ptr_array_add (dest->hosts, copy);
  }
  for (guint i = 0; i < src->devices->len; i++) {
    const VbStoragePoolSourceDevice *d = g_ptr_array_index (src->devices, i);
    VbStoragePoolSourceDevice *copy = device_new ();
    copy->path = g_strdup (d->path);
    copy->part_separator = d->part_separator;
    g_array_append_vals (copy->free_extents, d->free_extents->data, d->free_extents->len);
    g_ptr_array_add (dest->devices, copy);
  }
  dest->dir = g_strdup (src->dir);
  dest->adapter = src->adapter;
  dest->adapter.name = g_strdup (src->adapter.name);
  dest->adapter.parent = g_strdup (src->adapter.parent);
  dest->adapter.parent_wwnn = g_strdup (src->adapter.parent_wwnn);
  dest->adapter.parent_wwpn = g_strdup (src->adapter.parent_wwpn);
  dest->adapter.parent_fabric_wwn = g_strdup (src->adapter.parent_fabric_wwn);
  dest->adapter.wwnn = g_strdup (src->adapter.wwnn);
  dest->adapter.wwpn = g_strdup (src->adapter.wwpn);
  dest->name = g_strdup (src->name);
  dest->format = src->format;
  dest->protocol_ver = src->protocol_ver;
  dest->vendor = g_strdup (src->vendor);
  dest->product = g_strdup (src->product);
  dest->initiator_iqn = g_strdup (src->initiator_iqn);
  dest->auth.type = src->auth.type;
  dest->auth.username = g_strdup (src->auth.username);
  dest->auth.secret_uuid = g_strdup (src->auth.secret_uuid);
  dest->auth.secret_usage = g_strdup (src->auth.secret_usage);
}

VbStoragePoolSource *
vb_storage_pool_source_new (void)
{
  VbStoragePoolSource *src = g_new0 (VbStoragePoolSource, 1);
  source_init (src);
  return src;
}

void
vb_storage_pool_source_free (VbStoragePoolSource *source)
{
  if (source == NULL)
    return;
  source_clear (source);
  g_free (source);
}

VbStoragePoolSource *
vb_storage_pool_source_copy (const VbStoragePoolSource *source)
{
  VbStoragePoolSource *copy = g_new0 (VbStoragePoolSource, 1);
  source_copy_into (copy, source);
  return copy;
}

static gboolean
parse_hosts (xmlNode *src_node, VbStoragePoolSource *src, GError **error)
{
  for (xmlNode *n = vb_xml_next (src_node, NULL, "host"); n; n = vb_xml_next (src_node, n, "host")) {
    g_autofree char *name = vb_xml_prop_required (n, "name", error);
    int port = 0;
    VbStoragePoolSourceHost *host;

    if (name == NULL)
      return FALSE;
    if (!valid_host_name (name))
      return set_node_error (error, n, "'%s' is not a host name or IP address", name);
    if (vb_xml_prop_int (n, "port", &port, error) < 0)
      return FALSE;
    /* -1 is the schema's spelling of "default port". */
    if (port < -1 || port > 65535)
      return set_node_error (error, n, "port %d is out of range", port);
    host = g_new0 (VbStoragePoolSourceHost, 1);
    host->name = g_steal_pointer (&name);
    host->port = port > 0 ? (guint) port : 0;
    g_ptr_array_add (src->hosts, host);
  }
  return TRUE;
}

static gboolean
parse_devices (xmlNode *src_node, VbStoragePoolType type, VbStoragePoolSource *src, GError **error)
{
  guint flags = pool_info[type].flags;

  for (xmlNode *n = vb_xml_next (src_node, NULL, "device"); n; n = vb_xml_next (src_node, n, "device")) {
    g_autofree char *path = vb_xml_prop_required (n, "path", error);
    VbStoragePoolSourceDevice *dev;

    if (path == NULL)
      return FALSE;
    if (src->devices->len > 0 && !(flags & SRC_MULTI_DEVICE))
      return set_node_error (error, n, "a '%s' pool takes a single source device", pool_type_names[type]);
    /* The schema's choice: an absolute path, a plain name or an IQN; direct
     * iSCSI takes only the IQN. */
    if (type == VB_STORAGE_POOL_ISCSI_DIRECT ? !valid_iqn (path)
        : !(valid_generic_name (path) || valid_iqn (path) || (path[0] == '/' && path[1] != '\0')))
      return set_node_error (error, n, "'%s' is not a valid source device path", path);

    dev = device_new ();
    g_ptr_array_add (src->devices, dev);
    dev->path = g_steal_pointer (&path);
    if (type != VB_STORAGE_POOL_ISCSI_DIRECT) {
      gboolean sep = FALSE;
      int r = vb_xml_prop_bool (n, "part_separator", FALSE, &sep, error);
      if (r < 0)
        return FALSE;
      if (r > 0)
        dev->part_separator = sep ? VB_STORAGE_TRISTATE_YES : VB_STORAGE_TRISTATE_NO;

      for (xmlNode *e = vb_xml_next (n, NULL, "freeExtent"); e; e = vb_xml_next (n, e, "freeExtent")) {
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
        g_array_append_val (dev->free_extents, ext);
      }
    }
  }
  return TRUE;
}

static gboolean
parse_adapter (xmlNode *node, VbStoragePoolSourceAdapter *a, GError **error)
{
  int type = VB_STORAGE_ADAPTER_SCSI_HOST - 1;

  /* Without a type, libvirt (and the schema) assume scsi_host. */
  if (vb_xml_prop_enum (node, "type", adapter_type_names + 1, &type, error) < 0)
    return FALSE;
  type++;
  a->type = type;

  if (type == VB_STORAGE_ADAPTER_SCSI_HOST) {
    xmlNode *parentaddr = vb_xml_child (node, "parentaddr");
    a->name = vb_xml_prop (node, "name");
    if ((a->name == NULL) == (parentaddr == NULL))
      return set_node_error (error, node, "a scsi_host adapter needs either a 'name' or a <parentaddr>");
    if (a->name != NULL && a->name[0] == '\0')
      return set_node_error (error, node, "adapter name must not be empty");
    if (parentaddr != NULL) {
      xmlNode *addr = vb_xml_child (parentaddr, "address");
      int r;

      a->has_parentaddr = TRUE;
      r = vb_xml_prop_uint (parentaddr, "unique_id", &a->unique_id, error);
      if (r < 0)
        return FALSE;
      if (r > 0 && a->unique_id == 0)
        return set_node_error (error, parentaddr, "unique_id must be positive");
      a->has_unique_id = r > 0;
      if (addr == NULL)
        return set_node_error (error, parentaddr, "missing <address>");
      if (vb_xml_prop_uint (addr, "domain", &a->pci_domain, error) < 0 ||
          vb_xml_prop_uint (addr, "bus", &a->pci_bus, error) < 0 ||
          vb_xml_prop_uint (addr, "slot", &a->pci_slot, error) < 0 ||
          vb_xml_prop_uint (addr, "function", &a->pci_function, error) < 0)
        return FALSE;
      if (a->pci_domain > 0xffff || a->pci_bus > 0xff || a->pci_slot > 0x1f || a->pci_function > 7)
        return set_node_error (error, addr, "PCI address out of range");
    }
    return TRUE;
  }

  if (!wwn_prop (node, "wwnn", TRUE, &a->wwnn, error) || !wwn_prop (node, "wwpn", TRUE, &a->wwpn, error))
    return FALSE;
  a->parent = vb_xml_prop (node, "parent");
  if (a->parent != NULL && a->parent[0] == '\0')
    return set_node_error (error, node, "adapter parent must not be empty");
  gboolean managed = FALSE;
  int r = vb_xml_prop_bool (node, "managed", FALSE, &managed, error);
  if (r < 0)
    return FALSE;
  if (r > 0)
    a->managed = managed ? VB_STORAGE_TRISTATE_YES : VB_STORAGE_TRISTATE_NO;
  if (!wwn_prop (node, "parent_wwnn", FALSE, &a->parent_wwnn, error) ||
      !wwn_prop (node, "parent_wwpn", FALSE, &a->parent_wwpn, error) ||
      !wwn_prop (node, "parent_fabric_wwn", FALSE, &a->parent_fabric_wwn, error))
    return FALSE;
  if ((a->parent_wwnn == NULL) != (a->parent_wwpn == NULL))
    return set_node_error (error, node, "'parent_wwnn' and 'parent_wwpn' must be given together");
  return TRUE;
}

static gboolean
parse_auth (xmlNode *node, VbStoragePoolType type, VbStoragePoolAuth *auth, GError **error)
{
  int t = -1;
  xmlNode *secret;

  if (vb_xml_prop_enum (node, "type", auth_type_names + 1, &t, error) < 0)
    return FALSE;
  t++;
  if (t != (int) pool_info[type].auth)
    return set_node_error (error, node, "a '%s' pool needs auth type '%s'", pool_type_names[type],
                           auth_type_names[pool_info[type].auth]);
  auth->type = t;
  auth->username = vb_xml_prop_required (node, "username", error);
  if (auth->username == NULL)
    return FALSE;
  if (auth->username[0] == '\0')
    return set_node_error (error, node, "username must not be empty");
  secret = vb_xml_child (node, "secret");
  if (secret == NULL)
    return set_node_error (error, node, "missing <secret>");
  g_autofree char *uuid = vb_xml_prop (secret, "uuid");
  auth->secret_usage = vb_xml_prop (secret, "usage");
  if ((uuid == NULL) == (auth->secret_usage == NULL))
    return set_node_error (error, secret, "needs exactly one of 'uuid' and 'usage'");
  if (uuid != NULL) {
    char canon[37];
    if (!vb_uuid_parse (uuid, canon))
      return set_node_error (error, secret, "'%s' is not a valid UUID", uuid);
    auth->secret_uuid = g_strdup (canon);
  }
  return TRUE;
}

/* Reads the children of <source> allowed for @type; the caller checks
 * consumption, so disallowed children are reported. */
static gboolean
parse_source (xmlNode *node, VbStoragePoolType type, gboolean check_required, VbStoragePoolSource *src,
              GError **error)
{
  guint flags = pool_info[type].flags;
  xmlNode *child;

  if (flags & SRC_HOST) {
    if (!parse_hosts (node, src, error))
      return FALSE;
    if (check_required && (flags & REQ_HOST) && src->hosts->len == 0)
      return set_node_error (error, node, "missing <host>");
  }
  if (flags & SRC_DEVICE) {
    if (!parse_devices (node, type, src, error))
      return FALSE;
    if (check_required && (flags & REQ_DEVICE) && src->devices->len == 0)
      return set_node_error (error, node, "missing <device>");
  }
  if (flags & SRC_FORMAT) {
    child = vb_xml_child (node, "format");
    if (child != NULL) {
      g_autofree char *value = vb_xml_prop_required (child, "type", error);
      int f;
      if (value == NULL)
        return FALSE;
      f = vb_storage_pool_format_from_string (value);
      if (f < 0 || !vb_storage_pool_format_valid_for (type, f))
        return set_node_error (error, child, "unsupported format type '%s' for a '%s' pool", value,
                               pool_type_names[type]);
      src->format = f;
    }
  }
  if (flags & SRC_DIR) {
    child = vb_xml_child (node, "dir");
    if (child != NULL) {
      src->dir = vb_xml_prop_required (child, "path", error);
      if (src->dir == NULL)
        return FALSE;
      /* cifs shares and gluster volumes are named relative to the server. */
      gboolean relative_ok = src->format == VB_STORAGE_POOL_FORMAT_CIFS ||
                             src->format == VB_STORAGE_POOL_FORMAT_GLUSTERFS;
      if (src->dir[0] == '\0' || strchr (src->dir, '\n') != NULL || (!relative_ok && src->dir[0] != '/'))
        return set_node_error (error, child, "'%s' is not a valid directory path", src->dir);
    } else if (check_required && (flags & REQ_DIR)) {
      return set_node_error (error, node, "missing <dir>");
    }
  }
  if (flags & SRC_PROTOCOL) {
    child = vb_xml_child (node, "protocol");
    if (child != NULL) {
      int r = vb_xml_prop_uint (child, "ver", &src->protocol_ver, error);
      if (r < 0)
        return FALSE;
      if (r == 0)
        return set_node_error (error, child, "missing attribute 'ver'");
      if (src->protocol_ver == 0)
        return set_node_error (error, child, "protocol version must be positive");
      if (src->format == VB_STORAGE_POOL_FORMAT_CIFS || src->format == VB_STORAGE_POOL_FORMAT_GLUSTERFS)
        return set_node_error (error, child, "a protocol version applies to NFS only");
    }
  }
  if (flags & SRC_ADAPTER) {
    child = vb_xml_child (node, "adapter");
    if (child != NULL) {
      if (!parse_adapter (child, &src->adapter, error))
        return FALSE;
    } else if (check_required && (flags & REQ_ADAPTER)) {
      return set_node_error (error, node, "missing <adapter>");
    }
  }
  if (flags & SRC_NAME) {
    child = vb_xml_child (node, "name");
    if (child != NULL) {
      src->name = g_strstrip (vb_xml_text (child));
      if (src->name[0] == '\0' || strchr (src->name, '\n') != NULL)
        return set_node_error (error, child, "source name must be a non-empty single line");
    }
    /* A missing required name may still be defaulted by the caller. */
  }
  if (flags & SRC_INITIATOR) {
    child = vb_xml_child (node, "initiator");
    if (child != NULL) {
      xmlNode *iqn = vb_xml_child (child, "iqn");
      if (iqn == NULL)
        return set_node_error (error, child, "missing <iqn>");
      src->initiator_iqn = vb_xml_prop_required (iqn, "name", error);
      if (src->initiator_iqn == NULL)
        return FALSE;
      if (src->initiator_iqn[0] == '\0')
        return set_node_error (error, iqn, "initiator name must not be empty");
    } else if (check_required && (flags & REQ_INITIATOR)) {
      return set_node_error (error, node, "missing <initiator>");
    }
  }
  if (flags & SRC_AUTH) {
    child = vb_xml_child (node, "auth");
    if (child != NULL && !parse_auth (child, type, &src->auth, error))
      return FALSE;
  }
  if (flags & SRC_VENDOR) {
    child = vb_xml_child (node, "vendor");
    if (child != NULL && (src->vendor = vb_xml_prop_required (child, "name", error)) == NULL)
      return FALSE;
    child = vb_xml_child (node, "product");
    if (child != NULL && (src->product = vb_xml_prop_required (child, "name", error)) == NULL)
      return FALSE;
  }
  return TRUE;
}

static void
format_source (VbXmlWriter *w, VbStoragePoolType type, const VbStoragePoolSource *src, guint flags)
{
  char buf[32];

  vb_xml_writer_start (w, "source", NULL);
  for (guint i = 0; i < src->hosts->len; i++) {
    const VbStoragePoolSourceHost *h = g_ptr_array_index (src->hosts, i);
    g_snprintf (buf, sizeof buf, "%u", h->port);
    vb_xml_writer_empty (w, "host", "name", h->name, "port", h->port ? buf : NULL, NULL);
  }
  for (guint i = 0; i < src->devices->len; i++) {
    const VbStoragePoolSourceDevice *d = g_ptr_array_index (src->devices, i);
    const char *sep = d->part_separator == VB_STORAGE_TRISTATE_YES  ? "yes"
                      : d->part_separator == VB_STORAGE_TRISTATE_NO ? "no"
                                                                    : NULL;
    vb_xml_writer_start (w, "device", "path", d->path, "part_separator", sep, NULL);
    if (!(flags & VB_STORAGE_XML_INACTIVE)) {
      for (guint j = 0; j < d->free_extents->len; j++) {
        const VbStorageExtent *e = &g_array_index (d->free_extents, VbStorageExtent, j);
        char start[32], end[32];
        g_snprintf (start, sizeof start, "%" G_GUINT64_FORMAT, e->start);
        g_snprintf (end, sizeof end, "%" G_GUINT64_FORMAT, e->end);
        vb_xml_writer_empty (w, "freeExtent", "start", start, "end", end, NULL);
      }
    }
    vb_xml_writer_end (w);
  }
  if (src->dir != NULL)
    vb_xml_writer_empty (w, "dir", "path", src->dir, NULL);

  const VbStoragePoolSourceAdapter *a = &src->adapter;
  if (a->type == VB_STORAGE_ADAPTER_SCSI_HOST && a->has_parentaddr) {
    char uid[16], dom[16], bus[16], slot[16], fn[16];
    g_snprintf (uid, sizeof uid, "%u", a->unique_id);
    g_snprintf (dom, sizeof dom, "0x%04x", a->pci_domain);
    g_snprintf (bus, sizeof bus, "0x%02x", a->pci_bus);
    g_snprintf (slot, sizeof slot, "0x%02x", a->pci_slot);
    g_snprintf (fn, sizeof fn, "0x%x", a->pci_function);
    vb_xml_writer_start (w, "adapter", "type", "scsi_host", NULL);
    vb_xml_writer_start (w, "parentaddr", "unique_id", a->has_unique_id ? uid : NULL, NULL);
    vb_xml_writer_empty (w, "address", "domain", dom, "bus", bus, "slot", slot, "function", fn, NULL);
    vb_xml_writer_end (w);
    vb_xml_writer_end (w);
  } else if (a->type == VB_STORAGE_ADAPTER_SCSI_HOST) {
    vb_xml_writer_empty (w, "adapter", "type", "scsi_host", "name", a->name, NULL);
  } else if (a->type == VB_STORAGE_ADAPTER_FC_HOST) {
    const char *managed = a->managed == VB_STORAGE_TRISTATE_YES  ? "yes"
                          : a->managed == VB_STORAGE_TRISTATE_NO ? "no"
                                                                 : NULL;
    vb_xml_writer_empty (w, "adapter", "type", "fc_host", "parent", a->parent, "managed", managed,
                         "parent_wwnn", a->parent_wwnn, "parent_wwpn", a->parent_wwpn,
                         "parent_fabric_wwn", a->parent_fabric_wwn, "wwnn", a->wwnn, "wwpn", a->wwpn, NULL);
  }

  vb_xml_writer_element (w, "name", src->name, NULL);
  if (src->initiator_iqn != NULL) {
    vb_xml_writer_start (w, "initiator", NULL);
    vb_xml_writer_empty (w, "iqn", "name", src->initiator_iqn, NULL);
    vb_xml_writer_end (w);
  }
  if (src->format != VB_STORAGE_POOL_FORMAT_DEFAULT)
    vb_xml_writer_empty (w, "format", "type", pool_format_names[src->format], NULL);
  if (src->protocol_ver > 0) {
    g_snprintf (buf, sizeof buf, "%u", src->protocol_ver);
    vb_xml_writer_empty (w, "protocol", "ver", buf, NULL);
  }
  if (src->auth.type != VB_STORAGE_AUTH_NONE) {
    vb_xml_writer_start (w, "auth", "type", auth_type_names[src->auth.type], "username", src->auth.username, NULL);
    vb_xml_writer_empty (w, "secret", "uuid", src->auth.secret_uuid, "usage", src->auth.secret_usage, NULL);
    vb_xml_writer_end (w);
  }
  if (src->vendor != NULL)
    vb_xml_writer_empty (w, "vendor", "name", src->vendor, NULL);
  if (src->product != NULL)
    vb_xml_writer_empty (w, "product", "name", src->product, NULL);
  vb_xml_writer_end (w);
}

/* ---- pool ---- */

VbStoragePoolDef *
vb_storage_pool_def_new (void)
{
  VbStoragePoolDef *def = g_new0 (VbStoragePoolDef, 1);
  source_init (&def->source);
  vb_storage_perms_init (&def->target_perms);
  return def;
}

void
vb_storage_pool_def_free (VbStoragePoolDef *def)
{
  if (def == NULL)
    return;
  g_free (def->name);
  source_clear (&def->source);
  g_free (def->target_path);
  vb_storage_perms_clear (&def->target_perms);
  g_free (def);
}

VbStoragePoolDef *
vb_storage_pool_def_copy (const VbStoragePoolDef *def)
{
  VbStoragePoolDef *copy = g_new0 (VbStoragePoolDef, 1);

  copy->type = def->type;
  copy->name = g_strdup (def->name);
  memcpy (copy->uuid, def->uuid, sizeof copy->uuid);
  copy->capacity = def->capacity;
  copy->allocation = def->allocation;
  copy->available = def->available;
  copy->cow = def->cow;
  source_copy_into (&copy->source, &def->source);
  copy->target_path = g_strdup (def->target_path);
  vb_storage_perms_copy (&copy->target_perms, &def->target_perms);
  return copy;
}

static gboolean
valid_object_name (const char *name)
{
  return name[0] != '\0' && strchr (name, '/') == NULL && strchr (name, '\n') == NULL;
}

static gboolean
parse_target (xmlNode *root, VbStoragePoolDef *def, GError **error)
{
  TargetKind kind = pool_info[def->type].target;
  xmlNode *target, *path;

  /* Types without a local target leave <target> unconsumed, so that it is
   * reported as unsupported. */
  if (kind == TARGET_NONE)
    return TRUE;
  target = vb_xml_child (root, "target");
  if (target == NULL) {
    if (kind == TARGET_REQUIRED)
      return set_node_error (error, root, "missing <target>");
    return TRUE;
  }
  path = vb_xml_child (target, "path");
  if (path != NULL) {
    g_autofree char *text = g_strstrip (vb_xml_text (path));
    def->target_path = vb_storage_path_canonicalize (path, text, error);
    if (def->target_path == NULL)
      return FALSE;
  } else if (kind != TARGET_PATH_OPTIONAL) {
    return set_node_error (error, target, "missing <path>");
  }
  return vb_storage_perms_parse (target, &def->target_perms, error);
}

static gboolean
parse_sizes (xmlNode *root, VbStoragePoolDef *def, GError **error)
{
  if (vb_xml_child_scaled (root, "capacity", 1, 1, G_MAXUINT64, &def->capacity, error) < 0 ||
      vb_xml_child_scaled (root, "allocation", 1, 1, G_MAXUINT64, &def->allocation, error) < 0 ||
      vb_xml_child_scaled (root, "available", 1, 1, G_MAXUINT64, &def->available, error) < 0)
    return FALSE;
  return TRUE;
}

VbStoragePoolDef *
vb_storage_pool_def_parse (const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = vb_xml_parse (xml, -1, "pool", error);
  g_autoptr(VbStoragePoolDef) def = NULL;
  g_autofree char *type = NULL;
  xmlNode *root, *node;
  guint flags;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  if (!check_chars (root, error))
    return NULL;
  type = vb_xml_prop_required (root, "type", error);
  if (type == NULL)
    return NULL;
  def = vb_storage_pool_def_new ();
  int t = vb_storage_pool_type_from_string (type);
  if (t < 0) {
    g_autofree char *allowed = g_strjoinv ("', '", (char **) pool_type_names);
    set_node_error (error, root, "unsupported pool type '%s' (supported: '%s')", type, allowed);
    return NULL;
  }
  def->type = t;
  flags = pool_info[def->type].flags;

  node = vb_xml_child (root, "name");
  if (node != NULL) {
    def->name = g_strstrip (vb_xml_text (node));
    if (!valid_object_name (def->name)) {
      set_node_error (error, node, "pool name must be non-empty and contain no '/' or newline");
      return NULL;
    }
  }

  node = vb_xml_child (root, "uuid");
  if (node != NULL) {
    g_autofree char *text = g_strstrip (vb_xml_text (node));
    if (!vb_uuid_parse (text, def->uuid)) {
      set_node_error (error, node, "'%s' is not a valid UUID", text);
      return NULL;
    }
  } else {
    vb_uuid_generate (def->uuid);
  }

  if (!parse_sizes (root, def, error))
    return NULL;

  if (flags & HAS_COW) {
    node = vb_xml_child (root, "features");
    if (node != NULL) {
      xmlNode *cow = vb_xml_child (node, "cow");
      gboolean state = FALSE;
      if (cow != NULL) {
        int r = vb_xml_prop_bool (cow, "state", FALSE, &state, error);
        if (r < 0)
          return NULL;
        if (r == 0) {
          set_node_error (error, cow, "missing attribute 'state'");
          return NULL;
        }
        def->cow = state ? VB_STORAGE_TRISTATE_YES : VB_STORAGE_TRISTATE_NO;
      }
    }
  }

  node = vb_xml_child (root, "source");
  if (node != NULL) {
    if (!parse_source (node, def->type, TRUE, &def->source, error))
      return NULL;
  } else if (flags & (REQ_HOST | REQ_DEVICE | REQ_DIR | REQ_ADAPTER | REQ_NAME | REQ_INITIATOR)) {
    set_node_error (error, root, "missing <source>");
    return NULL;
  }

  if (def->name == NULL && (flags & NAME_FROM_SOURCE) && def->source.name != NULL) {
    if (!valid_object_name (def->source.name)) {
      set_node_error (error, root, "source name '%s' cannot serve as the pool name", def->source.name);
      return NULL;
    }
    def->name = g_strdup (def->source.name);
  }
  if (def->name == NULL) {
    set_node_error (error, root, "missing <name>");
    return NULL;
  }
  if (def->source.name == NULL && (flags & SOURCE_NAME_DEFAULT))
    def->source.name = g_strdup (def->name);
  if (def->source.name == NULL && (flags & REQ_NAME)) {
    set_node_error (error, root, "missing <source><name>");
    return NULL;
  }

  if (!parse_target (root, def, error))
    return NULL;

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

char *
vb_storage_pool_def_format (const VbStoragePoolDef *def, guint flags)
{
  g_autoptr(VbXmlWriter) w = vb_xml_writer_new ();

  g_return_val_if_fail (def != NULL && (guint) def->type < VB_STORAGE_POOL_TYPE_LAST, NULL);

  vb_xml_writer_start (w, "pool", "type", pool_type_names[def->type], NULL);
  vb_xml_writer_element (w, "name", def->name, NULL);
  if (def->uuid[0] != '\0')
    vb_xml_writer_element (w, "uuid", def->uuid, NULL);
  if (!(flags & VB_STORAGE_XML_INACTIVE)) {
    write_bytes (w, "capacity", def->capacity);
    write_bytes (w, "allocation", def->allocation);
    write_bytes (w, "available", def->available);
  }
  if (def->cow != VB_STORAGE_TRISTATE_ABSENT) {
    vb_xml_writer_start (w, "features", NULL);
    vb_xml_writer_empty (w, "cow", "state", def->cow == VB_STORAGE_TRISTATE_YES ? "yes" : "no", NULL);
    vb_xml_writer_end (w);
  }
  format_source (w, def->type, &def->source, flags);
  /* The schema wants <target> of logical pools even when it is empty. */
  if (pool_info[def->type].target == TARGET_PATH_OPTIONAL ||
      (pool_info[def->type].target != TARGET_NONE &&
       (def->target_path != NULL || vb_storage_perms_is_set (&def->target_perms)))) {
    vb_xml_writer_start (w, "target", NULL);
    vb_xml_writer_element (w, "path", def->target_path, NULL);
    vb_storage_perms_format (w, &def->target_perms);
    vb_xml_writer_end (w);
  }
  vb_xml_writer_end (w);
  return vb_xml_writer_finish (g_steal_pointer (&w));
}

/* ---- FindStoragePoolSources ---- */

VbStoragePoolSource *
vb_storage_pool_source_parse (VbStoragePoolType type, const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(VbStoragePoolSource) src = NULL;
  xmlNode *root;

  g_return_val_if_fail ((guint) type < VB_STORAGE_POOL_TYPE_LAST, NULL);
  doc = vb_xml_parse (xml, -1, "source", error);
  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  if (!check_chars (root, error))
    return NULL;
  src = vb_storage_pool_source_new ();
  if (!parse_source (root, type, FALSE, src, error))
    return NULL;
  if (!vb_xml_check_consumed (root, error))
    return NULL;
  return g_steal_pointer (&src);
}

VbStoragePoolSourceList *
vb_storage_pool_source_list_new (VbStoragePoolType type)
{
  VbStoragePoolSourceList *list = g_new0 (VbStoragePoolSourceList, 1);
  list->type = type;
  list->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_storage_pool_source_free);
  return list;
}

void
vb_storage_pool_source_list_add (VbStoragePoolSourceList *list, VbStoragePoolSource *source)
{
  g_ptr_array_add (list->sources, source);
}

char *
vb_storage_pool_source_list_format (const VbStoragePoolSourceList *list)
{
  g_autoptr(VbXmlWriter) w = vb_xml_writer_new ();

  vb_xml_writer_start (w, "sources", NULL);
  for (guint i = 0; i < list->sources->len; i++)
    format_source (w, list->type, g_ptr_array_index (list->sources, i), 0);
  vb_xml_writer_end (w);
  return vb_xml_writer_finish (g_steal_pointer (&w));
}

void
vb_storage_pool_source_list_free (VbStoragePoolSourceList *list)
{
  if (list == NULL)
    return;
  g_ptr_array_unref (list->sources);
  g_free (list);
}
