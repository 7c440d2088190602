/* org.virtbus.Domain skeletons: virtbus' own additions to domain objects
 * (OpenConsole), exported next to org.libvirt.Domain for backends that
 * implement them. Pure translation: D-Bus in, VbDomainOps calls out. */
#define G_LOG_DOMAIN "virtbus"

#include "vb-connect.h"
#include "vb-domain-ops.h"
#include "vb-error.h"
#include "vb-migration.h" /* migration */
#include "vb-skeleton.h"

#define VB_TYPE_VIRTBUS_DOMAIN (vb_virtbus_domain_get_type ())
G_DECLARE_FINAL_TYPE (VbVirtbusDomain, vb_virtbus_domain, VB, VIRTBUS_DOMAIN, VbGenVirtbusDomainSkeleton)

struct _VbVirtbusDomain {
  VbGenVirtbusDomainSkeleton parent_instance;

  VbConnect *connect; /* owns the exported objects, so outlives them */
  VbObj *obj;
};

static void vb_virtbus_domain_iface_init (VbGenVirtbusDomainIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VbVirtbusDomain, vb_virtbus_domain, VB_GEN_TYPE_VIRTBUS_DOMAIN_SKELETON,
                               G_IMPLEMENT_INTERFACE (VB_GEN_TYPE_VIRTBUS_DOMAIN, vb_virtbus_domain_iface_init))

static void
vb_virtbus_domain_finalize (GObject *object)
{
  VbVirtbusDomain *self = VB_VIRTBUS_DOMAIN (object);

  g_clear_object (&self->obj);
  G_OBJECT_CLASS (vb_virtbus_domain_parent_class)->finalize (object);
}

/* The reply carries a descriptor, which the generic task reply cannot: the
 * op leaves the GUnixFDList on the task as "fd-list" and its "h" result
 * indexes into it. */
static void
on_console_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  GError *error = NULL;
  g_autoptr(GVariant) value = g_task_propagate_pointer (G_TASK (result), &error);
  GUnixFDList *fds = g_object_get_data (G_OBJECT (result), "fd-list");

  if (error == NULL && (value == NULL || fds == NULL))
    error = g_error_new (VB_ERROR, VB_ERROR_FAILED, "internal error: operation returned no file descriptor");
  if (error != NULL) {
    vb_invocation_return_gerror (g_steal_pointer (&invocation), error);
    return;
  }
  g_dbus_method_invocation_return_value_with_unix_fd_list (g_steal_pointer (&invocation),
                                                           g_variant_new_tuple (&value, 1), fds);
}

static gboolean
handle_open_console (VbGenVirtbusDomain *iface, GDBusMethodInvocation *invocation, guint index, guint flags)
{
  VbVirtbusDomain *self = VB_VIRTBUS_DOMAIN (iface);
  GError *error = NULL;
  VbDomainOpsInterface *ops = vb_connect_get_ops (self->connect, VB_TYPE_DOMAIN_OPS, "domains", &error);
  g_autoptr(GTask) task = NULL;

  if (ops == NULL) {
    vb_invocation_return_gerror (invocation, error);
    return TRUE;
  }
  if (ops->open_console == NULL) {
    vb_invocation_return_error (invocation, VB_ERROR_NOT_SUPPORTED, "OpenConsole is not supported by the %s connection",
                                vb_backend_get_uri (vb_connect_get_backend (self->connect)));
    return TRUE;
  }
  /* The reply consumes the handler's reference to @invocation. */
  task = g_task_new (self->connect, NULL, on_console_done, invocation);
  g_task_set_source_tag (task, handle_open_console);
  ops->open_console (vb_connect_get_backend (self->connect), self->obj, index, flags, task);
  return TRUE;
}

/* migration: the protocol between the daemons is vb-migration.c's. */
static gboolean
handle_migrate (VbGenVirtbusDomain *iface, GDBusMethodInvocation *invocation, const char *destination,
                GVariant *params, guint flags)
{
  VbVirtbusDomain *self = VB_VIRTBUS_DOMAIN (iface);

  vb_migration_run (self->connect, self->obj, invocation, destination, params, flags);
  return TRUE;
}

static void
vb_virtbus_domain_iface_init (VbGenVirtbusDomainIface *iface)
{
  iface->handle_open_console = handle_open_console;
  iface->handle_migrate = handle_migrate; /* migration */
}

static void
vb_virtbus_domain_class_init (VbVirtbusDomainClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vb_virtbus_domain_finalize;
  vb_skeleton_class_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass), NULL);
}

static void
vb_virtbus_domain_init (VbVirtbusDomain *self)
{
}

gboolean
vb_virtbus_domain_offered (VbConnect *connect)
{
  VbDomainOpsInterface *ops = vb_connect_get_ops (connect, VB_TYPE_DOMAIN_OPS, "domains", NULL);

  return ops != NULL && ops->open_console != NULL;
}

GDBusInterfaceSkeleton *
vb_virtbus_domain_skeleton_new (VbConnect *connect, VbObj *obj)
{
  VbVirtbusDomain *self;

  /* Only where there is something to offer. */
  if (!vb_virtbus_domain_offered (connect))
    return NULL;
  self = g_object_new (VB_TYPE_VIRTBUS_DOMAIN, NULL);
  self->connect = connect;
  self->obj = g_object_ref (obj);
  return G_DBUS_INTERFACE_SKELETON (self);
}
