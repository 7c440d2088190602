/* The one reversible codec between objects and D-Bus object paths, using
 * libvirt-dbus' scheme so existing clients find objects where they expect:
 *
 *   <connect>/domain/_<uuid, '-' → '_'>          (network, storagepool, secret, nwfilter alike)
 *   <connect>/domainsnapshot/_<uuid>_<enc(name)>
 *   <connect>/storagevol/<enc(key)>
 *   <connect>/nodedev/<enc(name)>
 *   <connect>/interface/<enc(mac)>
 *
 * enc() keeps [A-Za-z0-9] and writes every other byte as _xx (lowercase hex),
 * so it is lossless; vb_object_path_decode() rejects anything enc() cannot
 * produce instead of guessing.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VB_OBJECT_PATH_ROOT "/org/libvirt"

typedef enum {
  VB_PATH_DOMAIN,
  VB_PATH_SNAPSHOT,
  VB_PATH_NETWORK,
  VB_PATH_STORAGE_POOL,
  VB_PATH_STORAGE_VOL,
  VB_PATH_NODE_DEVICE,
  VB_PATH_INTERFACE,
  VB_PATH_SECRET,
  VB_PATH_NWFILTER,
} VbPathKind;

char *vb_object_path_encode (const char *str);
/* NULL when @encoded is not a valid encoding. */
char *vb_object_path_decode (const char *encoded);

/* "/org/libvirt/Test" for driver "Test". */
char *vb_object_path_for_connect (const char *driver);
/* "<connect>/domain": the parent of every object of @kind. */
char *vb_object_path_for_kind (const char *connect_path, VbPathKind kind);
/* @id is the uuid (domain, network, pool, secret, nwfilter), the key (volume),
 * the name (node device) or the MAC (interface); @sub is the snapshot name. */
char *vb_object_path_for (const char *connect_path, VbPathKind kind, const char *id, const char *sub);
/* Inverse of vb_object_path_for: fills *kind, *id and (snapshots) *sub. */
gboolean vb_object_path_parse (const char *connect_path, const char *path, VbPathKind *kind,
                               char **id, char **sub);

G_END_DECLS
