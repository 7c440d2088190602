/* org.libvirt.Interface skeletons, and the host interface methods of
 * org.libvirt.Connect. Pure translation: D-Bus arguments in, VbInterfaceOps
 * calls out; listing and lookups come from the backend's registry. */
#define G_LOG_DOMAIN "virtbus"

#include "vb-connect.h"
#include "vb-skeleton.h"
#include "vb-error.h"
#include "vb-interface-def.h"
#include "vb-interface-ops.h"

#define VB_TYPE_INTERFACE (vb_interface_get_type ())
G_DECLARE_FINAL_TYPE (VbInterface, vb_interface, VB, INTERFACE, VbGenLibvirtInterfaceSkeleton)

struct _VbInterface {
  VbGenLibvirtInterfaceSkeleton parent_instance;

  VbConnect *connect; /* owns the exported objects, so outlives them */
  VbObj *obj;
};

static void vb_interface_iface_init (VbGenLibvirtInterfaceIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VbInterface, vb_interface, VB_GEN_TYPE_LIBVIRT_INTERFACE_SKELETON,
                               G_IMPLEMENT_INTERFACE (VB_GEN_TYPE_LIBVIRT_INTERFACE, vb_interface_iface_init))

static void
vb_interface_finalize (GObject *object)
{
  VbInterface *self = VB_INTERFACE (object);

  vb_skeleton_unfollow_obj (G_DBUS_INTERFACE_SKELETON (self), self->obj);
  g_clear_object (&self->obj);
  G_OBJECT_CLASS (vb_interface_parent_class)->finalize (object);
}

/* Runs backend operation @op with the argument list @args (which may use
 * `backend`, `obj` and `task`) and replies as @kind. */
#define RUN_OP(connect_, obj_, op, kind, args) \
  VB_CONNECT_RUN_OP (connect_, VbInterfaceOpsInterface, VB_TYPE_INTERFACE_OPS, "host interfaces", obj_, op, kind, args)

#define INTERFACE_OP(op, kind, args) RUN_OP (self->connect, self->obj, op, kind, args)

/* ---- properties ---- */

static void
push_mac (GDBusInterfaceSkeleton *skeleton, VbObj *obj)
{
  const VbInterfaceDef *def = obj->def;
  /* Bridges and bonds have no MAC of their own: libvirt-dbus then shows "". */
  vb_gen_libvirt_interface_set_mac (VB_GEN_LIBVIRT_INTERFACE (skeleton), def && def->mac ? def->mac : "");
}

/* ---- org.libvirt.Interface methods ---- */

static gboolean
handle_create (VbGenLibvirtInterface *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbInterface *self = VB_INTERFACE (iface);

  INTERFACE_OP (create, VB_REPLY_VOID, (backend, obj, flags, task));
}

static gboolean
handle_destroy (VbGenLibvirtInterface *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbInterface *self = VB_INTERFACE (iface);

  INTERFACE_OP (destroy, VB_REPLY_VOID, (backend, obj, flags, task));
}

static gboolean
handle_get_xml_desc (VbGenLibvirtInterface *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbInterface *self = VB_INTERFACE (iface);

  INTERFACE_OP (get_xml_desc, VB_REPLY_STRING, (backend, obj, flags, task));
}

static gboolean
handle_undefine (VbGenLibvirtInterface *iface, GDBusMethodInvocation *invocation)
{
  VbInterface *self = VB_INTERFACE (iface);

  INTERFACE_OP (undefine, VB_REPLY_VOID, (backend, obj, task));
}

static const VbSkeletonProperty interface_properties[] = {
  { "name", "name", NULL, NULL },
  { "active", "active", NULL, NULL },
  { "def", NULL, push_mac, "MAC" },
};

static void
vb_interface_iface_init (VbGenLibvirtInterfaceIface *iface)
{
  iface->handle_create = handle_create;
  iface->handle_destroy = handle_destroy;
  iface->handle_get_xmldesc = handle_get_xml_desc;
  iface->handle_undefine = handle_undefine;
}

static void
vb_interface_class_init (VbInterfaceClass *klass)
{
  vb_skeleton_class_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass), NULL);
  vb_skeleton_class_follow_obj (G_DBUS_INTERFACE_SKELETON_CLASS (klass), interface_properties,
                                G_N_ELEMENTS (interface_properties));
  G_OBJECT_CLASS (klass)->finalize = vb_interface_finalize;
}

static void
vb_interface_init (VbInterface *self)
{
}

GDBusInterfaceSkeleton *
vb_interface_skeleton_new (VbConnect *connect, VbObj *obj)
{
  VbInterface *self = g_object_new (VB_TYPE_INTERFACE, NULL);

  self->connect = connect;
  self->obj = g_object_ref (obj);

  vb_skeleton_follow_obj (G_DBUS_INTERFACE_SKELETON (self), obj);
  return G_DBUS_INTERFACE_SKELETON (self);
}

/* ---- org.libvirt.Connect: host interfaces ---- */

static gboolean
handle_list_interfaces (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);
  GError *error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) matching = g_ptr_array_new ();

  if (!vb_check_flags (flags, VB_LIST_INTERFACES_INACTIVE | VB_LIST_INTERFACES_ACTIVE, "ListInterfaces",
                       &error)) {
    vb_invocation_return_gerror (invocation, error);
    return TRUE;
  }
  all = vb_backend_list (vb_connect_get_backend (connect), VB_OBJ_INTERFACE);
  for (guint i = 0; i < all->len; i++) {
    VbObj *obj = g_ptr_array_index (all, i);
    /* Neither or both bits: everything. */
    if ((flags & VB_LIST_INTERFACES_ACTIVE) && !(flags & VB_LIST_INTERFACES_INACTIVE) && !obj->active)
      continue;
    if ((flags & VB_LIST_INTERFACES_INACTIVE) && !(flags & VB_LIST_INTERFACES_ACTIVE) && obj->active)
      continue;
    g_ptr_array_add (matching, obj);
  }
  vb_invocation_return_object_list (connect, invocation, matching);
  return TRUE;
}


static gboolean
handle_lookup_by_name (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *name)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_lookup_by_name (connect, invocation, VB_OBJ_INTERFACE, "interface", name);
}

static gboolean
handle_lookup_by_mac (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *mac)
{
  VbConnect *connect = VB_CONNECT (iface);
  g_autofree char *what = g_strdup_printf ("no interface with matching mac '%s'", mac);
  g_autoptr(GPtrArray) all = vb_backend_list (vb_connect_get_backend (connect), VB_OBJ_INTERFACE);
  VbObj *found = NULL;
  guint matches = 0;

  /* MACs compare case-insensitively; an interface without a MAC (keyed by
   * its name) never matches. A MAC two interfaces have (a bridge and its
   * first port) names neither, as libvirt refuses it. */
  for (guint i = 0; i < all->len; i++) {
    VbObj *obj = g_ptr_array_index (all, i);
    const VbInterfaceDef *def = obj->def;
    if (def != NULL && def->mac != NULL && g_ascii_strcasecmp (def->mac, mac) == 0) {
      found = obj;
      matches++;
    }
  }
  if (matches > 1) {
    vb_invocation_return_error (invocation, VB_ERROR_INVALID_ARG, "the MAC address '%s' matches %u interfaces",
                                mac, matches);
    return TRUE;
  }
  return vb_connect_reply_lookup (connect, invocation, VB_OBJ_INTERFACE, found, what);
}

static gboolean
handle_define_xml (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *xml, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);

  RUN_OP (connect, NULL, define_xml, VB_REPLY_OBJECT, (backend, xml, flags, task));
}

static gboolean
handle_change_begin (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);

  RUN_OP (connect, NULL, change_begin, VB_REPLY_VOID, (backend, flags, task));
}

static gboolean
handle_change_commit (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);

  RUN_OP (connect, NULL, change_commit, VB_REPLY_VOID, (backend, flags, task));
}

static gboolean
handle_change_rollback (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);

  RUN_OP (connect, NULL, change_rollback, VB_REPLY_VOID, (backend, flags, task));
}

void
vb_interface_connect_iface_init (VbGenLibvirtConnectIface *iface)
{
  iface->handle_list_interfaces = handle_list_interfaces;
  iface->handle_interface_lookup_by_name = handle_lookup_by_name;
  iface->handle_interface_lookup_by_mac = handle_lookup_by_mac;
  iface->handle_interface_define_xml = handle_define_xml;
  iface->handle_interface_change_begin = handle_change_begin;
  iface->handle_interface_change_commit = handle_change_commit;
  iface->handle_interface_change_rollback = handle_change_rollback;
}
