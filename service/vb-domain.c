/* org.libvirt.Domain skeletons, and the domain methods of org.libvirt.Connect.
 * Pure translation: D-Bus arguments in, VbDomainOps calls out. */
#define G_LOG_DOMAIN "virtbus"

#include "vb-connect.h"
#include "vb-domain-def.h"
#include "vb-domain-ops.h"
#include "vb-error.h"
#include "vb-migration.h"
#include "vb-skeleton.h"
#include "vb-xml.h"

#define VB_TYPE_DOMAIN (vb_domain_get_type ())
G_DECLARE_FINAL_TYPE (VbDomain, vb_domain, VB, DOMAIN, VbGenLibvirtDomainSkeleton)

struct _VbDomain {
  VbGenLibvirtDomainSkeleton parent_instance;

  VbConnect *connect; /* owns the exported objects, so outlives them */
  VbObj *obj;
};

static void vb_domain_iface_init (VbGenLibvirtDomainIface *iface);

/* The method handlers are the interface's vfuncs, filled once for the class
 * (the generated handle-* signals run them as their class closure): no
 * per-instance signal handlers. */
G_DEFINE_FINAL_TYPE_WITH_CODE (VbDomain, vb_domain, VB_GEN_TYPE_LIBVIRT_DOMAIN_SKELETON,
                               G_IMPLEMENT_INTERFACE (VB_GEN_TYPE_LIBVIRT_DOMAIN, vb_domain_iface_init))

/* libvirt's virConnectListAllDomainsFlags. */
enum {
  LIST_ACTIVE = 1 << 0,
  LIST_INACTIVE = 1 << 1,
  LIST_PERSISTENT = 1 << 2,
  LIST_TRANSIENT = 1 << 3,
  LIST_RUNNING = 1 << 4,
  LIST_PAUSED = 1 << 5,
  LIST_SHUTOFF = 1 << 6,
  LIST_OTHER = 1 << 7,
  LIST_MANAGEDSAVE = 1 << 8,
  LIST_NO_MANAGEDSAVE = 1 << 9,
  LIST_AUTOSTART = 1 << 10,
  LIST_NO_AUTOSTART = 1 << 11,
  LIST_HAS_SNAPSHOT = 1 << 12,
  LIST_NO_SNAPSHOT = 1 << 13,
  LIST_HAS_CHECKPOINT = 1 << 14,
  LIST_NO_CHECKPOINT = 1 << 15,
  LIST_ALL_FLAGS = (1 << 16) - 1,
};

static void
vb_domain_finalize (GObject *object)
{
  VbDomain *self = VB_DOMAIN (object);

  vb_skeleton_unfollow_obj (G_DBUS_INTERFACE_SKELETON (self), self->obj);
  g_clear_object (&self->obj);
  G_OBJECT_CLASS (vb_domain_parent_class)->finalize (object);
}

/* Looks up the backend's domain operations; replies with an error and
 * returns NULL when the backend manages no domains. */
static VbDomainOpsInterface *
get_ops (VbConnect *connect, GDBusMethodInvocation *invocation)
{
  GError *error = NULL;
  VbDomainOpsInterface *ops = vb_connect_get_ops (connect, VB_TYPE_DOMAIN_OPS, "domains", &error);

  if (ops == NULL) {
    vb_invocation_return_gerror (invocation, error);
    return NULL;
  }
  return ops;
}

/* Runs backend operation @op with the argument list @args (which may use
 * `backend`, `obj` and `task`) and replies as @kind. */
#define RUN_OP(connect_, obj_, op, kind, args) \
  VB_CONNECT_RUN_OP (connect_, VbDomainOpsInterface, VB_TYPE_DOMAIN_OPS, "domains", obj_, op, kind, args)

#define DOMAIN_OP(op, kind, args) RUN_OP (self->connect, self->obj, op, kind, args)

/* ---- properties ---- */

static void
push_id (GDBusInterfaceSkeleton *skeleton, VbObj *obj)
{
  /* libvirt-dbus reports virDomainGetID(), (unsigned) -1 when not running. */
  vb_gen_libvirt_domain_set_id (VB_GEN_LIBVIRT_DOMAIN (skeleton), obj->id < 0 ? G_MAXUINT : (guint) obj->id);
}

static void
update_scheduler_type (VbDomain *self)
{
  VbDomainOpsInterface *ops = vb_connect_get_ops (self->connect, VB_TYPE_DOMAIN_OPS, "domains", NULL);
  g_autofree char *type = NULL;
  int nparams = 0;

  if (ops && ops->get_scheduler_type)
    type = ops->get_scheduler_type (vb_connect_get_backend (self->connect), self->obj, &nparams);
  vb_gen_libvirt_domain_set_scheduler_type (VB_GEN_LIBVIRT_DOMAIN (self),
                                            g_variant_new ("(si)", type ? type : "", nparams));
}

static void
push_def (GDBusInterfaceSkeleton *skeleton, VbObj *obj)
{
  const VbDomainDef *def = obj->def;

  vb_gen_libvirt_domain_set_ostype (VB_GEN_LIBVIRT_DOMAIN (skeleton),
                                    def && def->os.type == VB_DOMAIN_OS_LINUX ? "linux" : "hvm");
  update_scheduler_type (VB_DOMAIN (skeleton));
}

static const VbSkeletonProperty properties[] = {
  { "name", "name", NULL, NULL },
  { "uuid", "uuid", NULL, NULL },
  { "active", "active", NULL, NULL },
  { "persistent", "persistent", NULL, NULL },
  { "autostart", "autostart", NULL, NULL },
  { "updated", "updated", NULL, NULL },
  { "id", NULL, push_id, "Id" },
  { "def", NULL, push_def, "OSType SchedulerType" },
};

static gboolean
set_property (GDBusInterfaceSkeleton *skeleton, const char *property, GVariant *value, GError **error)
{
  VbDomain *self = VB_DOMAIN (skeleton);
  VbDomainOpsInterface *ops = vb_connect_get_ops (self->connect, VB_TYPE_DOMAIN_OPS, "domains", error);

  if (ops == NULL)
    return FALSE;
  if (g_strcmp0 (property, "Autostart") == 0 && ops->set_autostart != NULL)
    return ops->set_autostart (vb_connect_get_backend (self->connect), self->obj, g_variant_get_boolean (value),
                               error);
  g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "property %s cannot be set on this connection", property);
  return FALSE;
}

/* ---- org.libvirt.Domain methods ---- */

static gboolean
handle_create (VbGenLibvirtDomain *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbDomain *self = VB_DOMAIN (iface);

  DOMAIN_OP (create, VB_REPLY_VOID, (backend, obj, flags, task));
}

static gboolean
handle_suspend (VbGenLibvirtDomain *iface, GDBusMethodInvocation *invocation)
{
  VbDomain *self = VB_DOMAIN (iface);

  DOMAIN_OP (suspend, VB_REPLY_VOID, (backend, obj, task));
}

static gboolean
handle_get_xml_desc (VbGenLibvirtDomain *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbDomain *self = VB_DOMAIN (iface);

  DOMAIN_OP (get_xml_desc, VB_REPLY_STRING, (backend, obj, flags, task));
}

static gboolean
handle_get_state (VbGenLibvirtDomain *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbDomain *self = VB_DOMAIN (iface);

  DOMAIN_OP (get_state, VB_REPLY_VALUE, (backend, obj, flags, task));
}

/* The rest of org.libvirt.Domain. */
#include "vb-domain-methods.inc"

static void
vb_domain_iface_init (VbGenLibvirtDomainIface *iface)
{
  iface->handle_create = handle_create;
  iface->handle_suspend = handle_suspend;
  iface->handle_get_xmldesc = handle_get_xml_desc;
  iface->handle_get_state = handle_get_state;
  domain_methods_iface_init (iface);
}

static void
vb_domain_class_init (VbDomainClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vb_domain_finalize;
  vb_skeleton_class_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass), set_property);
  vb_skeleton_class_follow_obj (G_DBUS_INTERFACE_SKELETON_CLASS (klass), properties, G_N_ELEMENTS (properties));
}

static void
vb_domain_init (VbDomain *self)
{
}

GDBusInterfaceSkeleton *
vb_domain_skeleton_new (VbConnect *connect, VbObj *obj)
{
  VbDomain *self = g_object_new (VB_TYPE_DOMAIN, NULL);

  self->connect = connect;
  self->obj = g_object_ref (obj);

  vb_skeleton_follow_obj (G_DBUS_INTERFACE_SKELETON (self), obj);
  return G_DBUS_INTERFACE_SKELETON (self);
}

/* ---- org.libvirt.Connect: domains ---- */

static gboolean
domain_matches (VbObj *dom, guint flags)
{
  if ((flags & (LIST_ACTIVE | LIST_INACTIVE)) && !((flags & LIST_ACTIVE && dom->active) ||
                                                   (flags & LIST_INACTIVE && !dom->active)))
    return FALSE;
  if ((flags & (LIST_PERSISTENT | LIST_TRANSIENT)) &&
      !((flags & LIST_PERSISTENT && dom->persistent) || (flags & LIST_TRANSIENT && !dom->persistent)))
    return FALSE;
  if (flags & (LIST_RUNNING | LIST_PAUSED | LIST_SHUTOFF | LIST_OTHER)) {
    gboolean running = dom->state == VB_DOMAIN_RUNNING;
    gboolean paused = dom->state == VB_DOMAIN_PAUSED;
    gboolean shutoff = dom->state == VB_DOMAIN_SHUTOFF;
    gboolean other = !running && !paused && !shutoff;
    if (!((flags & LIST_RUNNING && running) || (flags & LIST_PAUSED && paused) ||
          (flags & LIST_SHUTOFF && shutoff) || (flags & LIST_OTHER && other)))
      return FALSE;
  }
  if ((flags & (LIST_MANAGEDSAVE | LIST_NO_MANAGEDSAVE)) &&
      !((flags & LIST_MANAGEDSAVE && dom->has_managed_save) ||
        (flags & LIST_NO_MANAGEDSAVE && !dom->has_managed_save)))
    return FALSE;
  if ((flags & (LIST_AUTOSTART | LIST_NO_AUTOSTART)) &&
      !((flags & LIST_AUTOSTART && dom->autostart) || (flags & LIST_NO_AUTOSTART && !dom->autostart)))
    return FALSE;
  if (flags & (LIST_HAS_SNAPSHOT | LIST_NO_SNAPSHOT)) {
    gboolean has = dom->children != NULL && g_hash_table_size (dom->children) > 0;
    if (!((flags & LIST_HAS_SNAPSHOT && has) || (flags & LIST_NO_SNAPSHOT && !has)))
      return FALSE;
  }
  /* Checkpoints are not supported: no domain has one. */
  if ((flags & (LIST_HAS_CHECKPOINT | LIST_NO_CHECKPOINT)) && !(flags & LIST_NO_CHECKPOINT))
    return FALSE;
  return TRUE;
}

static gboolean
handle_list_domains (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_reply_list (connect, invocation, VB_OBJ_DOMAIN, flags, LIST_ALL_FLAGS, domain_matches);
}


static gboolean
handle_lookup_by_name (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *name)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_lookup_by_name (connect, invocation, VB_OBJ_DOMAIN, "domain", name);
}

static gboolean
handle_lookup_by_uuid (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *uuid)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_lookup_by_uuid (connect, invocation, VB_OBJ_DOMAIN, "domain", uuid);
}

static gboolean
handle_lookup_by_id (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, int id)
{
  VbConnect *connect = VB_CONNECT (iface);
  g_autofree char *what = g_strdup_printf ("no domain with matching id %d", id);
  return vb_connect_reply_lookup (connect, invocation, VB_OBJ_DOMAIN, vb_backend_lookup_domain_by_id (vb_connect_get_backend (connect), id),
                       what);
}

static gboolean
handle_define_xml (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *xml)
{
  VbConnect *connect = VB_CONNECT (iface);

  RUN_OP (connect, NULL, define_xml, VB_REPLY_OBJECT, (backend, xml, 0, task));
}

static gboolean
handle_create_xml (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *xml, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);

  RUN_OP (connect, NULL, create_xml, VB_REPLY_OBJECT, (backend, xml, NULL, flags, task));
}

/* The rest of the domain part of org.libvirt.Connect. */
#include "vb-domain-connect-methods.inc"

void
vb_domain_connect_iface_init (VbGenLibvirtConnectIface *iface)
{
  iface->handle_list_domains = handle_list_domains;
  iface->handle_domain_lookup_by_name = handle_lookup_by_name;
  iface->handle_domain_lookup_by_uuid = handle_lookup_by_uuid;
  iface->handle_domain_lookup_by_id = handle_lookup_by_id;
  iface->handle_domain_define_xml = handle_define_xml;
  iface->handle_domain_create_xml = handle_create_xml;
  domain_connect_methods_iface_init (iface);
}
