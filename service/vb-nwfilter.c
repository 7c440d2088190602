/* org.libvirt.NWFilter skeletons, and the network filter methods of
 * org.libvirt.Connect. Pure translation: D-Bus arguments in, VbNWFilterOps
 * calls out. */
#define G_LOG_DOMAIN "virtbus"

#include "vb-connect.h"
#include "vb-error.h"
#include "vb-nwfilter-ops.h"
#include "vb-skeleton.h"
#include "vb-xml.h"

#define VB_TYPE_NWFILTER (vb_nwfilter_get_type ())
G_DECLARE_FINAL_TYPE (VbNWFilter, vb_nwfilter, VB, NWFILTER, VbGenLibvirtNWFilterSkeleton)

struct _VbNWFilter {
  VbGenLibvirtNWFilterSkeleton parent_instance;

  VbConnect *connect; /* owns the exported objects, so outlives them */
  VbObj *obj;
};

static void vb_nwfilter_iface_init (VbGenLibvirtNWFilterIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VbNWFilter, vb_nwfilter, VB_GEN_TYPE_LIBVIRT_NWFILTER_SKELETON,
                               G_IMPLEMENT_INTERFACE (VB_GEN_TYPE_LIBVIRT_NWFILTER, vb_nwfilter_iface_init))

static void
vb_nwfilter_finalize (GObject *object)
{
  VbNWFilter *self = VB_NWFILTER (object);

  vb_skeleton_unfollow_obj (G_DBUS_INTERFACE_SKELETON (self), self->obj);
  g_clear_object (&self->obj);
  G_OBJECT_CLASS (vb_nwfilter_parent_class)->finalize (object);
}

/* Runs backend operation @op with the argument list @args (which may use
 * `backend`, `obj` and `task`) and replies as @kind; replies with an error
 * when the backend has no network filters or lacks @op. */
#define RUN_OP(connect_, obj_, op, kind, args) \
  VB_CONNECT_RUN_OP (connect_, VbNWFilterOpsInterface, VB_TYPE_NWFILTER_OPS, "network filters", obj_, op, kind, args)

#define NWFILTER_OP(op, kind, args) RUN_OP (self->connect, self->obj, op, kind, args)

/* ---- org.libvirt.NWFilter methods ---- */

static gboolean
handle_get_xml_desc (VbGenLibvirtNWFilter *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbNWFilter *self = VB_NWFILTER (iface);

  NWFILTER_OP (get_xml_desc, VB_REPLY_STRING, (backend, obj, flags, task));
}

static gboolean
handle_undefine (VbGenLibvirtNWFilter *iface, GDBusMethodInvocation *invocation)
{
  VbNWFilter *self = VB_NWFILTER (iface);

  NWFILTER_OP (undefine, VB_REPLY_VOID, (backend, obj, task));
}

static const VbSkeletonProperty nwfilter_properties[] = {
  { "name", "name", NULL, NULL },
  { "uuid", "uuid", NULL, NULL },
};

static void
vb_nwfilter_iface_init (VbGenLibvirtNWFilterIface *iface)
{
  iface->handle_get_xmldesc = handle_get_xml_desc;
  iface->handle_undefine = handle_undefine;
}

static void
vb_nwfilter_class_init (VbNWFilterClass *klass)
{
  vb_skeleton_class_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass), NULL);
  vb_skeleton_class_follow_obj (G_DBUS_INTERFACE_SKELETON_CLASS (klass), nwfilter_properties,
                                G_N_ELEMENTS (nwfilter_properties));
  G_OBJECT_CLASS (klass)->finalize = vb_nwfilter_finalize;
}

static void
vb_nwfilter_init (VbNWFilter *self)
{
}

GDBusInterfaceSkeleton *
vb_nwfilter_skeleton_new (VbConnect *connect, VbObj *obj)
{
  VbNWFilter *self = g_object_new (VB_TYPE_NWFILTER, NULL);

  self->connect = connect;
  self->obj = g_object_ref (obj);

  vb_skeleton_follow_obj (G_DBUS_INTERFACE_SKELETON (self), obj);
  return G_DBUS_INTERFACE_SKELETON (self);
}

/* ---- org.libvirt.Connect: network filters ---- */

static gboolean
handle_list_nwfilters (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, guint flags)
{
  VbConnect *connect = VB_CONNECT (iface);
  GError *error = NULL;
  g_autoptr(GPtrArray) all = NULL;

  /* virConnectListAllNWFilters defines no flags. */
  if (!vb_check_flags (flags, 0, "ListNWFilters", &error)) {
    vb_invocation_return_gerror (invocation, error);
    return TRUE;
  }
  all = vb_backend_list (vb_connect_get_backend (connect), VB_OBJ_NWFILTER);
  vb_invocation_return_object_list (connect, invocation, all);
  return TRUE;
}


static gboolean
handle_lookup_by_name (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *name)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_lookup_by_name (connect, invocation, VB_OBJ_NWFILTER, "nwfilter", name);
}

static gboolean
handle_lookup_by_uuid (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *uuid)
{
  VbConnect *connect = VB_CONNECT (iface);

  return vb_connect_lookup_by_uuid (connect, invocation, VB_OBJ_NWFILTER, "nwfilter", uuid);
}

static gboolean
handle_define_xml (VbGenLibvirtConnect *iface, GDBusMethodInvocation *invocation, const char *xml)
{
  VbConnect *connect = VB_CONNECT (iface);

  RUN_OP (connect, NULL, define_xml, VB_REPLY_OBJECT, (backend, xml, task));
}

void
vb_nwfilter_connect_iface_init (VbGenLibvirtConnectIface *iface)
{
  iface->handle_list_nwfilters = handle_list_nwfilters;
  iface->handle_nwfilter_lookup_by_name = handle_lookup_by_name;
  iface->handle_nwfilter_lookup_by_uuid = handle_lookup_by_uuid;
  iface->handle_nwfilter_define_xml = handle_define_xml;
}
