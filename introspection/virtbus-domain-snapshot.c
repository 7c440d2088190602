/* virtbus client library: VirtbusDomainSnapshot, a snapshot of a domain. */
#include "virtbus-private.h"

/**
 * VirtbusDomainSnapshot:
 *
 * A snapshot of a domain of the connection (org.libvirt.DomainSnapshot). Use
 * virtbus_object_call_async() for the interface's methods.
 */
struct _VirtbusDomainSnapshot {
  VirtbusObject parent_instance;
};

G_DEFINE_FINAL_TYPE (VirtbusDomainSnapshot, virtbus_domain_snapshot, VIRTBUS_TYPE_OBJECT)

/* Snapshots have no D-Bus properties; the name is in the object path:
 * <connect>/domainsnapshot/_<domain uuid with '_'>_<name, [A-Za-z0-9] kept, other bytes as _xx>. */
static const char *
path_tail (VirtbusObject *self)
{
  const char *path = virtbus_object_get_object_path (self);
  const char *slash = strrchr (path, '/');

  /* "_" + 36 uuid characters + "_" */
  if (slash == NULL || strlen (slash + 1) < 38 || slash[1] != '_' || slash[38] != '_')
    return NULL;
  return slash + 1;
}

static char *
dup_name_from_path (VirtbusObject *self)
{
  const char *tail = path_tail (self);
  GString *name;

  if (tail == NULL)
    return NULL;
  name = g_string_new (NULL);
  for (const char *p = tail + 38; *p != '\0'; p++) {
    if (*p == '_' && g_ascii_isxdigit (p[1]) && g_ascii_isxdigit (p[2])) {
      g_string_append_c (name, (char) (g_ascii_xdigit_value (p[1]) * 16 + g_ascii_xdigit_value (p[2])));
      p += 2;
    } else {
      g_string_append_c (name, *p);
    }
  }
  return g_string_free (name, FALSE);
}

/**
 * virtbus_domain_snapshot_dup_domain_uuid:
 * @self: a #VirtbusDomainSnapshot
 *
 * Returns: (transfer full) (nullable): the UUID of the snapshot's domain
 */
char *
virtbus_domain_snapshot_dup_domain_uuid (VirtbusDomainSnapshot *self)
{
  const char *tail;
  char *uuid;

  g_return_val_if_fail (VIRTBUS_IS_DOMAIN_SNAPSHOT (self), NULL);
  tail = path_tail (VIRTBUS_OBJECT (self));
  if (tail == NULL)
    return NULL;
  uuid = g_strndup (tail + 1, 36);
  g_strdelimit (uuid, "_", '-');
  return uuid;
}

static void
virtbus_domain_snapshot_class_init (VirtbusDomainSnapshotClass *klass)
{
  VIRTBUS_OBJECT_CLASS (klass)->interface_name = "org.libvirt.DomainSnapshot";
  VIRTBUS_OBJECT_CLASS (klass)->dup_name = dup_name_from_path;
}

static void
virtbus_domain_snapshot_init (VirtbusDomainSnapshot *self)
{
}
