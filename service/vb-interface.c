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

G_DEFINE_FINAL_TYPE (VbInterface, vb_interface, VB_GEN_TYPE_LIBVIRT_INTERFACE_SKELETON)

static void
vb_interface_finalize (GObject *object)
{
  VbInterface *self = VB_INTERFACE (object);

  g_clear_object (&self->obj);
  G_OBJECT_CLASS (vb_interface_parent_class)->finalize (object);
}

/* Runs backend operation @op with the argument list @args (which may use
 * `backend`, `obj` and `task`) and replies as @kind. */
#define RUN_OP(connect_, obj_, op, kind, args) \
  VB_CONNECT_RUN_OP (connect_, VbInterfaceOpsInterface, VB_TYPE_INTERFACE_OPS, "host interfaces", obj_, op, kind, args)

#define INTERFACE_OP(op, kind, args) RUN_OP (self->connect, self->obj, op, kind, args)

/* ---- properties ---- */

static gboolean
def_to_mac (GBinding *binding, const GValue *from, GValue *to, gpointer user_data)
{
  const VbInterfaceDef *def = g_value_get_pointer (from);
  /* Bridges and bonds have no MAC of their own: libvirt-dbus then shows "". */
  g_value_set_string (to, def && def->mac ? def->mac : "");
  return TRUE;
}

/* ---- org.libvirt.Interface methods ---- */

static gboolean
handle_create (VbGenLibvirtInterface *iface, GDBusMethodInvocation *invocation, guint flags, VbInterface *self)
{
  INTERFACE_OP (create, VB_REPLY_VOID, (backend, obj, flags, task));
}

static gboolean
handle_destroy (VbGenLibvirtInterface *iface, GDBusMethodInvocation *invocation, guint flags, VbInterface *self)
{
  INTERFACE_OP (destroy, VB_REPLY_VOID, (backend, obj, flags, task));
}

static gboolean
handle_get_xml_desc (VbGenLibvirtInterface *iface, GDBusMethodInvocation *invocation, guint flags,
                     VbInterface *self)
{
  INTERFACE_OP (get_xml_desc, VB_REPLY_STRING, (backend, obj, flags, task));
}

static gboolean
handle_undefine (VbGenLibvirtInterface *iface, GDBusMethodInvocation *invocation, VbInterface *self)
{
  INTERFACE_OP (undefine, VB_REPLY_VOID, (backend, obj, task));
}

static void
vb_interface_class_init (VbInterfaceClass *klass)
{
  vb_skeleton_class_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass), NULL);
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

  g_object_bind_property (obj, "name", self, "name", G_BINDING_SYNC_CREATE);
  g_object_bind_property (obj, "active", self, "active", G_BINDING_SYNC_CREATE);
  g_object_bind_property_full (obj, "def", self, "mac", G_BINDING_SYNC_CREATE, def_to_mac, NULL, NULL, NULL);

  g_signal_connect (self, "handle-create", G_CALLBACK (handle_create), self);
  g_signal_connect (self, "handle-destroy", G_CALLBACK (handle_destroy), self);
  g_signal_connect (self, "handle-get-xmldesc", G_CALLBACK (handle_get_xml_desc), self);
  g_signal_connect (self, "handle-undefine", G_CALLBACK (handle_undefine), self);
  return G_DBUS_INTERFACE_SKELETON (self);
}

/* ---- org.libvirt.Connect: host interfaces ---- */

static gboolean
handle_list_interfaces (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags,
                        VbConnect *connect)
{
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
handle_lookup_by_name (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *name,
                       VbConnect *connect)
{
  return vb_connect_lookup_by_name (connect, invocation, VB_OBJ_INTERFACE, "interface", name);
}

static gboolean
handle_lookup_by_mac (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *mac,
                      VbConnect *connect)
{
  g_autofree char *what = g_strdup_printf ("no interface with matching mac '%s'", mac);
  g_autoptr(GPtrArray) all = vb_backend_list (vb_connect_get_backend (connect), VB_OBJ_INTERFACE);
  VbObj *found = NULL;

  /* MACs compare case-insensitively; an interface without a MAC (keyed by
   * its name) never matches. */
  for (guint i = 0; i < all->len && found == NULL; i++) {
    VbObj *obj = g_ptr_array_index (all, i);
    const VbInterfaceDef *def = obj->def;
    if (def != NULL && def->mac != NULL && g_ascii_strcasecmp (def->mac, mac) == 0)
      found = obj;
  }
  return vb_connect_reply_lookup (connect, invocation, VB_OBJ_INTERFACE, found, what);
}

static gboolean
handle_define_xml (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *xml, guint flags,
                   VbConnect *connect)
{
  RUN_OP (connect, NULL, define_xml, VB_REPLY_OBJECT, (backend, xml, flags, task));
}

static gboolean
handle_change_begin (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags,
                     VbConnect *connect)
{
  RUN_OP (connect, NULL, change_begin, VB_REPLY_VOID, (backend, flags, task));
}

static gboolean
handle_change_commit (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags,
                      VbConnect *connect)
{
  RUN_OP (connect, NULL, change_commit, VB_REPLY_VOID, (backend, flags, task));
}

static gboolean
handle_change_rollback (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags,
                        VbConnect *connect)
{
  RUN_OP (connect, NULL, change_rollback, VB_REPLY_VOID, (backend, flags, task));
}

void
vb_interface_connect_init (VbConnect *connect)
{
  g_signal_connect (connect, "handle-list-interfaces", G_CALLBACK (handle_list_interfaces), connect);
  g_signal_connect (connect, "handle-interface-lookup-by-name", G_CALLBACK (handle_lookup_by_name), connect);
  g_signal_connect (connect, "handle-interface-lookup-by-mac", G_CALLBACK (handle_lookup_by_mac), connect);
  g_signal_connect (connect, "handle-interface-define-xml", G_CALLBACK (handle_define_xml), connect);
  g_signal_connect (connect, "handle-interface-change-begin", G_CALLBACK (handle_change_begin), connect);
  g_signal_connect (connect, "handle-interface-change-commit", G_CALLBACK (handle_change_commit), connect);
  g_signal_connect (connect, "handle-interface-change-rollback", G_CALLBACK (handle_change_rollback), connect);
}
