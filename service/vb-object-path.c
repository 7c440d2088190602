#include "vb-object-path.h"

#include <string.h>

static const char *const kind_dirs[] = {
  [VB_PATH_DOMAIN] = "domain",
  [VB_PATH_SNAPSHOT] = "domainsnapshot",
  [VB_PATH_NETWORK] = "network",
  [VB_PATH_STORAGE_POOL] = "storagepool",
  [VB_PATH_STORAGE_VOL] = "storagevol",
  [VB_PATH_NODE_DEVICE] = "nodedev",
  [VB_PATH_INTERFACE] = "interface",
  [VB_PATH_SECRET] = "secret",
  [VB_PATH_NWFILTER] = "nwfilter",
};

#define UUID_STRLEN 36

char *
vb_object_path_for_kind (const char *connect_path, VbPathKind kind)
{
  return g_strconcat (connect_path, "/", kind_dirs[kind], NULL);
}

static gboolean
kind_uses_uuid (VbPathKind kind)
{
  return kind == VB_PATH_DOMAIN || kind == VB_PATH_NETWORK || kind == VB_PATH_STORAGE_POOL ||
         kind == VB_PATH_SECRET || kind == VB_PATH_NWFILTER || kind == VB_PATH_SNAPSHOT;
}

char *
vb_object_path_encode (const char *str)
{
  static const char hex[] = "0123456789abcdef";
  GString *out = g_string_sized_new (strlen (str) * 3);

  for (const guchar *p = (const guchar *) str; *p; p++) {
    if (g_ascii_isalnum (*p)) {
      g_string_append_c (out, (char) *p);
    } else {
      g_string_append_c (out, '_');
      g_string_append_c (out, hex[*p >> 4]);
      g_string_append_c (out, hex[*p & 0xf]);
    }
  }
  return g_string_free (out, FALSE);
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

char *
vb_object_path_decode (const char *encoded)
{
  GString *out = g_string_sized_new (strlen (encoded));

  for (const char *p = encoded; *p; p++) {
    if (g_ascii_isalnum (*p)) {
      g_string_append_c (out, *p);
      continue;
    }
    int hi, lo;
    if (*p != '_' || (hi = hex_value (p[1])) < 0 || (lo = hex_value (p[2])) < 0) {
      g_string_free (out, TRUE);
      return NULL;
    }
    int byte = (hi << 4) | lo;
    /* An escaped alphanumeric or NUL is never produced by the encoder. */
    if (byte == 0 || g_ascii_isalnum (byte)) {
      g_string_free (out, TRUE);
      return NULL;
    }
    g_string_append_c (out, (char) byte);
    p += 2;
  }
  return g_string_free (out, FALSE);
}

static char *
encode_uuid (const char *uuid)
{
  char *ret = g_strconcat ("_", uuid, NULL);
  return g_strdelimit (ret, "-", '_');
}

static gboolean
decode_uuid (const char *element, char **uuid)
{
  char *ret;

  if (strlen (element) != UUID_STRLEN + 1 || element[0] != '_')
    return FALSE;
  ret = g_strdelimit (g_strdup (element + 1), "_", '-');
  if (!g_uuid_string_is_valid (ret)) {
    g_free (ret);
    return FALSE;
  }
  *uuid = ret;
  return TRUE;
}

char *
vb_object_path_for_connect (const char *driver)
{
  return g_strdup_printf (VB_OBJECT_PATH_ROOT "/%s", driver);
}

char *
vb_object_path_for (const char *connect_path, VbPathKind kind, const char *id, const char *sub)
{
  g_autofree char *element = NULL;

  g_return_val_if_fail (id != NULL && *id != '\0', NULL);
  if (kind == VB_PATH_SNAPSHOT) {
    g_autofree char *u = encode_uuid (id);
    g_autofree char *n = vb_object_path_encode (sub);
    element = g_strconcat (u, "_", n, NULL);
  } else if (kind_uses_uuid (kind)) {
    element = encode_uuid (id);
  } else {
    element = vb_object_path_encode (id);
  }
  return g_strconcat (connect_path, "/", kind_dirs[kind], "/", element, NULL);
}

gboolean
vb_object_path_parse (const char *connect_path, const char *path, VbPathKind *kind, char **id, char **sub)
{
  gsize clen = strlen (connect_path);
  const char *rest, *slash;

  if (strncmp (path, connect_path, clen) != 0 || path[clen] != '/')
    return FALSE;
  rest = path + clen + 1;
  slash = strchr (rest, '/');
  if (slash == NULL || slash[1] == '\0' || strchr (slash + 1, '/') != NULL)
    return FALSE;

  for (guint k = 0; k < G_N_ELEMENTS (kind_dirs); k++) {
    if (strlen (kind_dirs[k]) != (gsize) (slash - rest) || strncmp (rest, kind_dirs[k], slash - rest) != 0)
      continue;
    const char *element = slash + 1;
    if (k == VB_PATH_SNAPSHOT) {
      g_autofree char *u = g_strndup (element, UUID_STRLEN + 1);
      if (strlen (element) < UUID_STRLEN + 3 || element[UUID_STRLEN + 1] != '_')
        return FALSE;
      char *name = vb_object_path_decode (element + UUID_STRLEN + 2);
      if (name == NULL || *name == '\0' || !decode_uuid (u, id)) {
        g_free (name);
        return FALSE;
      }
      *sub = name;
    } else if (kind_uses_uuid (k)) {
      if (!decode_uuid (element, id))
        return FALSE;
    } else {
      char *decoded = vb_object_path_decode (element);
      if (decoded == NULL || *decoded == '\0') {
        g_free (decoded);
        return FALSE;
      }
      *id = decoded;
    }
    *kind = k;
    return TRUE;
  }
  return FALSE;
}
