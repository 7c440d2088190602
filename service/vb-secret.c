/* org.libvirt.Secret skeletons, and the secret methods of org.libvirt.Connect.
 * Pure translation: D-Bus arguments in, VbSecretOps calls out. */
#define G_LOG_DOMAIN "virtbus"

#include "vb-connect.h"
#include "vb-error.h"
#include "vb-secret-def.h"
#include "vb-secret-ops.h"
#include "vb-skeleton.h"
#include "vb-xml.h"

#define VB_TYPE_SECRET (vb_secret_get_type ())
G_DECLARE_FINAL_TYPE (VbSecret, vb_secret, VB, SECRET, VbGenLibvirtSecretSkeleton)

struct _VbSecret {
  VbGenLibvirtSecretSkeleton parent_instance;

  VbConnect *connect; /* owns the exported objects, so outlives them */
  VbObj *obj;
};

static void vb_secret_iface_init (VbGenLibvirtSecretIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VbSecret, vb_secret, VB_GEN_TYPE_LIBVIRT_SECRET_SKELETON,
                               G_IMPLEMENT_INTERFACE (VB_GEN_TYPE_LIBVIRT_SECRET, vb_secret_iface_init))

static void
vb_secret_finalize (GObject *object)
{
  VbSecret *self = VB_SECRET (object);

  vb_skeleton_unfollow_obj (G_DBUS_INTERFACE_SKELETON (self), self->obj);
  g_clear_object (&self->obj);
  G_OBJECT_CLASS (vb_secret_parent_class)->finalize (object);
}

/* Runs backend operation @op with the argument list @args (which may use
 * `backend`, `obj` and `task`) and replies as @kind; replies with an error
 * when the backend has no secrets or lacks @op. */
#define RUN_OP(connect_, obj_, op, kind, args) \
  VB_CONNECT_RUN_OP (connect_, VbSecretOpsInterface, VB_TYPE_SECRET_OPS, "secrets", obj_, op, kind, args)

#define SECRET_OP(op, kind, args) RUN_OP (self->connect, self->obj, op, kind, args)

/* ---- org.libvirt.Secret methods ---- */

static gboolean
handle_get_value (VbGenLibvirtSecret *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbSecret *self = VB_SECRET (iface);

  SECRET_OP (get_value, VB_REPLY_VALUE, (backend, obj, flags, task));
}

static gboolean
handle_set_value (VbGenLibvirtSecret *iface, GDBusMethodInvocation *invocation, const char *value_as_string,
                  guint flags)
{
  VbSecret *self = VB_SECRET (iface);

  /* gdbus-codegen hands "ay" over as a NUL-terminated string, which would
   * cut a binary value at its first zero byte: take the bytes from the
   * message itself. */
  g_autoptr(GVariant) value = g_variant_get_child_value (g_dbus_method_invocation_get_parameters (invocation), 0);
  gsize size = 0;
  const guint8 *bytes = g_variant_get_fixed_array (value, &size, 1);

  SECRET_OP (set_value, VB_REPLY_VOID, (backend, obj, bytes, size, flags, task));
}

static gboolean
handle_get_xml_desc (VbGenLibvirtSecret *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbSecret *self = VB_SECRET (iface);

  SECRET_OP (get_xml_desc, VB_REPLY_STRING, (backend, obj, flags, task));
}

static gboolean
handle_undefine (VbGenLibvirtSecret *iface, GDBusMethodInvocation *invocation)
{
  VbSecret *self = VB_SECRET (iface);

  SECRET_OP (undefine, VB_REPLY_VOID, (backend, obj, task));
}

static const VbSkeletonProperty secret_properties[] = {
  { "uuid", "uuid", NULL, NULL },
};

static void
vb_secret_iface_init (VbGenLibvirtSecretIface *iface)
{
  iface->handle_get_value = handle_get_value;
  iface->handle_set_value = handle_set_value;
  iface->handle_get_xmldesc = handle_get_xml_desc;
  iface->handle_undefine = handle_undefine;
}

static void
vb_secret_class_init (VbSecretClass *klass)
{
  vb_skeleton_class_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass), NULL);
  vb_skeleton_class_follow_obj (G_DBUS_INTERFACE_SKELETON_CLASS (klass), secret_properties,
                                G_N_ELEMENTS (secret_properties));
  G_OBJECT_CLASS (klass)->finalize = vb_secret_finalize;
}

static void
vb_secret_init (VbSecret *self)
{
}

GDBusInterfaceSkeleton *
vb_secret_skeleton_new (VbConnect *connect, VbObj *obj)
{
  VbSecret *self = g_object_new (VB_TYPE_SECRET, NULL);
  const VbSecretDef *def = obj->def;

  self->connect = connect;
  self->obj = g_object_ref (obj);

  vb_skeleton_follow_obj (G_DBUS_INTERFACE_SKELETON (self), obj);
  /* A secret's usage can never change (redefinition refuses it), so these
   * are constant, as the interface declares. libvirt has no usage id for
   * usage type none; the property reads "" then. */
  vb_gen_libvirt_secret_set_usage_type (VB_GEN_LIBVIRT_SECRET (self), def != NULL ? (int) def->usage_type : 0);
  vb_gen_libvirt_secret_set_usage_id (VB_GEN_LIBVIRT_SECRET (self),
                                      def != NULL && def->usage_id != NULL ? def->usage_id : "");
  return G_DBUS_INTERFACE_SKELETON (self);
}

/* ---- org.libvirt.Connect: secrets ---- */

static gboolean
secret_matches (VbObj *secret, guint flags)
{
  const VbSecretDef *def = secret->def;

  if ((flags & (VB_LIST_SECRETS_EPHEMERAL | VB_LIST_SECRETS_NO_EPHEMERAL)) &&
      !((flags & VB_LIST_SECRETS_EPHEMERAL && def->ephemeral) ||
        (flags & VB_LIST_SECRETS_NO_EPHEMERAL && !def->ephemeral)))
    return FALSE;
  if ((flags & (VB_LIST_SECRETS_PRIVATE | VB_LIST_SECRETS_NO_PRIVATE)) &&
      !((flags & VB_LIST_SECRETS_PRIVATE && def->private) || (flags & VB_LIST_SECRETS_NO_PRIVATE && !def->private)))
    return FALSE;
  return TRUE;
}

static gboolean
handle_list_secrets (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_reply_list (connect, invocation, VB_OBJ_SECRET, flags, VB_LIST_SECRETS_ALL_FLAGS, secret_matches);
}


static gboolean
handle_lookup_by_uuid (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *uuid)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_lookup_by_uuid (connect, invocation, VB_OBJ_SECRET, "secret", uuid);
}

static gboolean
handle_lookup_by_usage (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, int usage_type,
                        const char *usage_id)
{
  VbConnect *connect = VB_CONNECT (iface);
  g_autoptr(GPtrArray) all = vb_backend_list (vb_connect_get_backend (connect), VB_OBJ_SECRET);
  g_autofree char *what = g_strdup_printf ("no secret with matching usage '%s'", usage_id);
  VbObj *found = NULL;

  if (vb_secret_usage_type_to_string (usage_type) == NULL) {
    vb_invocation_return_error (invocation, VB_ERROR_INVALID_ARG, "unknown secret usage type %d", usage_type);
    return TRUE;
  }
  /* Secrets of usage type none have no usage id, so never match. */
  for (guint i = 0; i < all->len && found == NULL; i++) {
    VbObj *secret = g_ptr_array_index (all, i);
    const VbSecretDef *def = secret->def;
    if (def->usage_type == (VbSecretUsageType) usage_type && def->usage_id != NULL &&
        g_strcmp0 (def->usage_id, usage_id) == 0)
      found = secret;
  }
  return vb_connect_reply_lookup (connect, invocation, VB_OBJ_SECRET, found, what);
}

static gboolean
handle_define_xml (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *xml, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);

  RUN_OP (connect, NULL, define_xml, VB_REPLY_OBJECT, (backend, xml, flags, task));
}

void
vb_secret_connect_iface_init (VbGenLibvirtConnectIface *iface)
{
  iface->handle_list_secrets = handle_list_secrets;
  iface->handle_secret_lookup_by_uuid = handle_lookup_by_uuid;
  iface->handle_secret_lookup_by_usage = handle_lookup_by_usage;
  iface->handle_secret_define_xml = handle_define_xml;
}
