/* The test backend's secrets, in memory, with the rules of libvirt's secret
 * driver: a uuid is generated when the XML has none, redefining a uuid
 * updates that secret (its usage and privacy may not change), a usage id
 * belongs to one secret per usage type, private values are never revealed.
 * test:///default starts with none. Being in memory, no secret (ephemeral
 * or not) is ever written to disk. */
#include "vb-test-private.h"

#include <string.h>

#include "vb-error.h"
#include "vb-secret-def.h"
#include "vb-secret-ops.h"

/* libvirt's virSecretDefineFlags: VALIDATE asks for a schema check, which
 * our parser always does (it refuses anything it does not know). */
#define SECRET_DEFINE_VALIDATE (1 << 0)

/* A secret's value: a buffer wiped before it is freed, so a value that was
 * replaced or undefined does not linger in freed memory. */
typedef struct {
  gsize size;
  guint8 data[];
} SecretValue;

static void
secret_value_free (gpointer data)
{
  SecretValue *value = data;

  explicit_bzero (value->data, value->size);
  g_free (value);
}

static GBytes *
secret_value_new (const guint8 *bytes, gsize size)
{
  SecretValue *value = g_malloc (sizeof (SecretValue) + size);

  value->size = size;
  if (size > 0)
    memcpy (value->data, bytes, size);
  return g_bytes_new_with_free_func (value->data, size, secret_value_free, value);
}

static const char *
usage_description (const VbSecretDef *def)
{
  return def->usage_id != NULL ? def->usage_id : "no usage";
}

/* The secret other than @self using @def's usage, if any. Secrets of usage
 * type none have nothing to collide on. */
static VbObj *
find_usage_owner (VbBackend *backend, const VbSecretDef *def)
{
  g_autoptr(GPtrArray) all = NULL;

  if (def->usage_type == VB_SECRET_USAGE_NONE)
    return NULL;
  all = vb_backend_list (backend, VB_OBJ_SECRET);
  for (guint i = 0; i < all->len; i++) {
    VbObj *secret = g_ptr_array_index (all, i);
    const VbSecretDef *other = secret->def;
    if (other->usage_type == def->usage_type && g_strcmp0 (other->usage_id, def->usage_id) == 0)
      return secret;
  }
  return NULL;
}

static void
test_secret_define_xml (VbBackend *backend, const char *xml, guint flags, GTask *task)
{
  GError *error = NULL;
  g_autoptr(VbSecretDef) def = NULL;
  VbObj *secret;

  if (!vb_check_flags (flags, SECRET_DEFINE_VALIDATE, "SecretDefineXML", &error)) {
    g_task_return_error (task, error);
    return;
  }
  def = vb_secret_def_parse (xml, &error);
  if (def == NULL) {
    g_task_return_error (task, error);
    return;
  }

  secret = vb_backend_lookup (backend, VB_OBJ_SECRET, def->uuid);
  if (secret != NULL) {
    const VbSecretDef *old = secret->def;
    /* Objects that use the secret find it by usage: moving it elsewhere
     * would silently rewire them, so libvirt refuses. */
    if (old->usage_type != def->usage_type || g_strcmp0 (old->usage_id, def->usage_id) != 0) {
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_EXISTS,
                               "a secret with UUID %s is already defined for use with %s", secret->uuid,
                               usage_description (old));
      return;
    }
    /* Turning a private secret public would reveal its value. */
    if (old->private && !def->private) {
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                               "cannot change private flag on existing secret %s", secret->uuid);
      return;
    }
    vb_obj_set_def (secret, g_steal_pointer (&def));
  } else {
    VbObj *owner = find_usage_owner (backend, def);
    g_autoptr(VbObj) created = NULL;
    VbSecretDef *owned;

    if (owner != NULL) {
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_EXISTS, "a secret with UUID %s already defined for use with %s",
                               owner->uuid, usage_description (owner->def));
      return;
    }
    /* Secrets have no name; the registry wants one, and the uuid is unique. */
    owned = g_steal_pointer (&def);
    created = vb_obj_new (VB_OBJ_SECRET, owned->uuid, owned->uuid, owned, (GDestroyNotify) vb_secret_def_free);
    created->persistent = TRUE;
    created->backend_data_free = (GDestroyNotify) g_bytes_unref;
    vb_backend_add_object (backend, created);
    secret = created;
  }
  vb_backend_emit_event (backend, secret, VB_SECRET_EVENT_DEFINED, 0);
  g_task_return_pointer (task, g_object_ref (secret), g_object_unref);
}

static void
test_secret_get_value (VbBackend *backend, VbObj *secret, guint flags, GTask *task)
{
  GError *error = NULL;
  const VbSecretDef *def = secret->def;
  GBytes *value = secret->backend_data;

  if (!vb_check_flags (flags, 0, "GetValue", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (def->private) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "secret is private");
    return;
  }
  if (value == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_FOUND, "secret '%s' does not have a value", secret->uuid);
    return;
  }
  g_task_return_pointer (task,
                         g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                        g_bytes_get_data (value, NULL),
                                                                        g_bytes_get_size (value), 1)),
                         (GDestroyNotify) g_variant_unref);
}

static void
test_secret_set_value (VbBackend *backend, VbObj *secret, const guint8 *value, gsize size, guint flags,
                       GTask *task)
{
  GError *error = NULL;

  if (!vb_check_flags (flags, 0, "SetValue", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (size > VB_SECRET_VALUE_MAX) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG,
                             "secret value of %" G_GSIZE_FORMAT " bytes exceeds the maximum of %d bytes", size,
                             VB_SECRET_VALUE_MAX);
    return;
  }
  if (secret->backend_data != NULL)
    g_bytes_unref (secret->backend_data);
  secret->backend_data = secret_value_new (value, size);
  g_task_return_boolean (task, TRUE);
}

static void
test_secret_get_xml_desc (VbBackend *backend, VbObj *secret, guint flags, GTask *task)
{
  GError *error = NULL;

  if (!vb_check_flags (flags, 0, "GetXMLDesc", &error)) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, vb_secret_def_format (secret->def, 0), g_free);
}

static void
test_secret_undefine (VbBackend *backend, VbObj *secret, GTask *task)
{
  /* The event goes out while the object path still resolves. */
  vb_backend_emit_event (backend, secret, VB_SECRET_EVENT_UNDEFINED, 0);
  vb_backend_remove_object (backend, secret);
  g_task_return_boolean (task, TRUE);
}

void
vb_test_secret_ops_init (VbSecretOpsInterface *iface)
{
  iface->define_xml = test_secret_define_xml;
  iface->get_value = test_secret_get_value;
  iface->set_value = test_secret_set_value;
  iface->get_xml_desc = test_secret_get_xml_desc;
  iface->undefine = test_secret_undefine;
}
