/* System mode: the unprivileged QEMU user gets access to the images,
 * kernels and fw_cfg files a domain uses while it runs, through one POSIX
 * ACL entry per file (the system.posix_acl_access xattr, written directly:
 * no libacl).
 * What a file looked like before (mode, ACL) is remembered — in the
 * runtime state file too — and put back when the domain stops. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "vb-qemu-private.h"

#define ACL_XATTR "system.posix_acl_access"
#define ACL_VERSION 2
/* Tags of the Linux ACL xattr (linux/posix_acl_xattr.h). */
enum { TAG_USER_OBJ = 0x01, TAG_USER = 0x02, TAG_GROUP_OBJ = 0x04, TAG_GROUP = 0x08, TAG_MASK = 0x10,
       TAG_OTHER = 0x20 };
#define ACL_UNDEFINED_ID 0xffffffffu

struct _VbQemuGrant {
  char *path;
  guint32 mode;   /* st_mode & 07777 before */
  GBytes *acl;    /* the access ACL before; NULL = had none */
};

typedef struct {
  guint16 tag, perm;
  guint32 id;
} AclEntry;

void
vb_qemu_grant_free (gpointer data)
{
  VbQemuGrant *g = data;

  g_free (g->path);
  g_clear_pointer (&g->acl, g_bytes_unref);
  g_free (g);
}

static GBytes *
read_acl (const char *path)
{
  ssize_t len = getxattr (path, ACL_XATTR, NULL, 0);
  g_autofree guint8 *buf = NULL;

  if (len <= 0)
    return NULL;
  buf = g_malloc (len);
  len = getxattr (path, ACL_XATTR, buf, len);
  if (len <= 0)
    return NULL;
  return g_bytes_new (buf, len);
}

static GArray *
parse_acl (GBytes *acl, guint32 mode)
{
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (AclEntry));
  gsize len = 0;
  const guint8 *p = acl ? g_bytes_get_data (acl, &len) : NULL;

  if (p != NULL && len >= 4 && GUINT32_FROM_LE (*(const guint32 *) p) == ACL_VERSION) {
    for (gsize off = 4; off + 8 <= len; off += 8) {
      AclEntry e;
      memcpy (&e.tag, p + off, 2);
      memcpy (&e.perm, p + off + 2, 2);
      memcpy (&e.id, p + off + 4, 4);
      e.tag = GUINT16_FROM_LE (e.tag);
      e.perm = GUINT16_FROM_LE (e.perm);
      e.id = GUINT32_FROM_LE (e.id);
      g_array_append_val (entries, e);
    }
    return entries;
  }
  /* No ACL: the mode is the minimal ACL. */
  {
    AclEntry base[] = {
      { TAG_USER_OBJ, (mode >> 6) & 7, ACL_UNDEFINED_ID },
      { TAG_GROUP_OBJ, (mode >> 3) & 7, ACL_UNDEFINED_ID },
      { TAG_OTHER, mode & 7, ACL_UNDEFINED_ID },
    };
    g_array_append_vals (entries, base, G_N_ELEMENTS (base));
  }
  return entries;
}

static int
compare_entries (gconstpointer a, gconstpointer b)
{
  const AclEntry *x = a, *y = b;

  if (x->tag != y->tag)
    return x->tag < y->tag ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* Adds (or widens) the entry of @uid and makes the mask let it through. */
static GBytes *
acl_with_user (GArray *entries, uid_t uid, guint16 perm)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint16 group_class = 0;
  gboolean found = FALSE, has_mask = FALSE;
  guint32 version = GUINT32_TO_LE (ACL_VERSION);

  for (guint i = 0; i < entries->len; i++) {
    AclEntry *e = &g_array_index (entries, AclEntry, i);
    if (e->tag == TAG_USER && e->id == (guint32) uid) {
      e->perm |= perm;
      found = TRUE;
    }
  }
  if (!found) {
    AclEntry e = { TAG_USER, perm, (guint32) uid };
    g_array_append_val (entries, e);
  }
  for (guint i = 0; i < entries->len; i++) {
    AclEntry *e = &g_array_index (entries, AclEntry, i);
    if (e->tag == TAG_USER || e->tag == TAG_GROUP || e->tag == TAG_GROUP_OBJ)
      group_class |= e->perm;
    if (e->tag == TAG_MASK)
      has_mask = TRUE;
  }
  if (!has_mask) {
    AclEntry e = { TAG_MASK, 0, ACL_UNDEFINED_ID };
    g_array_append_val (entries, e);
  }
  for (guint i = 0; i < entries->len; i++) {
    AclEntry *e = &g_array_index (entries, AclEntry, i);
    /* An existing mask only widens: other named entries keep what they had. */
    if (e->tag == TAG_MASK)
      e->perm = has_mask ? (e->perm | perm) : group_class;
  }
  g_array_sort (entries, compare_entries);
  g_byte_array_append (out, (const guint8 *) &version, 4);
  for (guint i = 0; i < entries->len; i++) {
    AclEntry *e = &g_array_index (entries, AclEntry, i);
    guint16 tag = GUINT16_TO_LE (e->tag), p = GUINT16_TO_LE (e->perm);
    guint32 id = GUINT32_TO_LE (e->id);
    g_byte_array_append (out, (const guint8 *) &tag, 2);
    g_byte_array_append (out, (const guint8 *) &p, 2);
    g_byte_array_append (out, (const guint8 *) &id, 4);
  }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static void
restore_one (VbQemuGrant *g)
{
  if (g->acl != NULL) {
    gsize len;
    const void *data = g_bytes_get_data (g->acl, &len);
    if (setxattr (g->path, ACL_XATTR, data, len, 0) < 0 && errno != ENOENT)
      g_warning ("cannot restore the ACL of %s: %s", g->path, g_strerror (errno));
    return;
  }
  if (removexattr (g->path, ACL_XATTR) < 0 && errno != ENODATA && errno != ENOENT)
    g_warning ("cannot remove the ACL of %s: %s", g->path, g_strerror (errno));
  /* Setting an ACL put its mask into the group bits of the mode. */
  if (chmod (g->path, g->mode) < 0 && errno != ENOENT)
    g_warning ("cannot restore the mode of %s: %s", g->path, g_strerror (errno));
}

void
vb_qemu_access_restore (GPtrArray *grants)
{
  /* Last granted first: a file granted twice ends as it was. */
  for (guint i = grants ? grants->len : 0; i > 0; i--)
    restore_one (g_ptr_array_index (grants, i - 1));
}

static gboolean
grant_one (GPtrArray *grants, const char *path, uid_t uid, gboolean writable, GError **error)
{
  struct stat st;
  g_autoptr(GArray) entries = NULL;
  g_autoptr(GBytes) acl = NULL;
  VbQemuGrant *g;
  gsize len;
  const void *data;

  if (path == NULL || *path == '\0')
    return TRUE;
  for (guint i = 0; i < grants->len; i++)
    if (g_strcmp0 (((VbQemuGrant *) g_ptr_array_index (grants, i))->path, path) == 0 && !writable)
      return TRUE;
  if (stat (path, &st) < 0) {
    /* QEMU says what is missing more precisely (and a missing nvram is created). */
    if (errno == ENOENT)
      return TRUE;
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot access %s: %s", path, g_strerror (errno));
    return FALSE;
  }
  if (!S_ISREG (st.st_mode) && !S_ISBLK (st.st_mode))
    return TRUE;
  g = g_new0 (VbQemuGrant, 1);
  g->path = g_strdup (path);
  g->mode = st.st_mode & 07777;
  g->acl = read_acl (path);
  entries = parse_acl (g->acl, g->mode);
  acl = acl_with_user (entries, uid, writable ? 6 : 4);
  data = g_bytes_get_data (acl, &len);
  if (setxattr (path, ACL_XATTR, data, len, 0) < 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot give the QEMU user (uid %u) access to %s: %s",
                 (guint) uid, path, g_strerror (errno));
    vb_qemu_grant_free (g);
    return FALSE;
  }
  g_ptr_array_add (grants, g);
  return TRUE;
}

GPtrArray *
vb_qemu_access_grant (const VbDomainDef *def, uid_t uid, GError **error)
{
  g_autoptr(GPtrArray) grants = g_ptr_array_new_with_free_func (vb_qemu_grant_free);
  gboolean ok = TRUE;

  ok = ok && grant_one (grants, def->os.kernel, uid, FALSE, error);
  ok = ok && grant_one (grants, def->os.initrd, uid, FALSE, error);
  ok = ok && grant_one (grants, def->os.dtb, uid, FALSE, error);
  ok = ok && grant_one (grants, def->os.loader_path, uid, FALSE, error);
  ok = ok && grant_one (grants, def->os.nvram_path, uid, TRUE, error);
  for (guint i = 0; ok && def->disks && i < def->disks->len; i++) {
    const VbDomainDiskDef *disk = g_ptr_array_index (def->disks, i);
    ok = grant_one (grants, disk->src_path, uid, !disk->readonly, error);
  }
  /* The files of <sysinfo type='fwcfg'> entries QEMU reads. */
  for (guint i = 0; ok && i < def->sysinfos->len; i++) {
    const VbSysinfoDef *si = g_ptr_array_index (def->sysinfos, i);
    for (guint j = 0; ok && j < si->fwcfg->len; j++)
      ok = grant_one (grants, ((const VbSysinfoFwcfgEntry *) g_ptr_array_index (si->fwcfg, j))->file, uid, FALSE,
                      error);
  }
  if (!ok) {
    vb_qemu_access_restore (grants);
    return NULL;
  }
  return g_steal_pointer (&grants);
}

JsonNode *
vb_qemu_access_to_json (GPtrArray *grants)
{
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; grants && i < grants->len; i++) {
    VbQemuGrant *g = g_ptr_array_index (grants, i);
    JsonObject *o = json_object_new ();
    json_object_set_string_member (o, "path", g->path);
    json_object_set_int_member (o, "mode", g->mode);
    if (g->acl != NULL) {
      gsize len;
      const guchar *data = g_bytes_get_data (g->acl, &len);
      g_autofree char *b64 = g_base64_encode (data, len);
      json_object_set_string_member (o, "acl", b64);
    }
    json_array_add_object_element (array, o);
  }
  json_node_take_array (node, array);
  return node;
}

GPtrArray *
vb_qemu_access_from_json (JsonNode *node)
{
  GPtrArray *grants = g_ptr_array_new_with_free_func (vb_qemu_grant_free);
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return grants;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++) {
    JsonNode *el = json_array_get_element (array, i);
    JsonObject *o;
    VbQemuGrant *g;
    const char *b64;

    if (!JSON_NODE_HOLDS_OBJECT (el))
      continue;
    o = json_node_get_object (el);
    if (json_object_get_string_member_with_default (o, "path", NULL) == NULL)
      continue;
    g = g_new0 (VbQemuGrant, 1);
    g->path = g_strdup (json_object_get_string_member (o, "path"));
    g->mode = (guint32) json_object_get_int_member_with_default (o, "mode", 0600);
    b64 = json_object_get_string_member_with_default (o, "acl", NULL);
    if (b64 != NULL) {
      gsize len = 0;
      guchar *data = g_base64_decode (b64, &len);
      g->acl = g_bytes_new_take (data, len);
    }
    g_ptr_array_add (grants, g);
  }
  return grants;
}
