#define G_LOG_DOMAIN "virtbus"

#include "vb-skeleton.h"

#include "vb-error.h"
#include "vb-gatekeeper.h"
#include "vb-invocation.h"

typedef struct {
  GDBusInterfaceVTable *(*parent_get_vtable) (GDBusInterfaceSkeleton *skeleton);
  VbSetPropertyFunc setter;
  GDBusInterfaceVTable parent;
  GDBusInterfaceVTable vtable;
  gsize initialized;
  const VbSkeletonProperty *props; /* vb_skeleton_class_follow_obj */
  guint n_props;
} Hooks;

static GQuark
hooks_quark (void)
{
  return g_quark_from_static_string ("vb-skeleton-hooks");
}

static GQuark
published_quark (void)
{
  return g_quark_from_static_string ("vb-skeleton-published");
}

void
vb_skeleton_set_published (GDBusInterfaceSkeleton *skeleton, gboolean published)
{
  g_object_set_qdata (G_OBJECT (skeleton), published_quark (), GINT_TO_POINTER (published));
}

static Hooks *
get_hooks (GDBusInterfaceSkeleton *skeleton)
{
  return g_type_get_qdata (G_TYPE_FROM_INSTANCE (skeleton), hooks_quark ());
}

/* Properties.Get/GetAll/Set, once authorized: GDBus sends them to
 * method_call because the vtable has no get/set_property. */
static void
dispatch_properties (GDBusInterfaceSkeleton *skeleton, Hooks *hooks, GDBusMethodInvocation *invocation)
{
  const char *member = g_dbus_method_invocation_get_method_name (invocation);
  GVariant *params = g_dbus_method_invocation_get_parameters (invocation);
  const char *iface = NULL, *property = NULL;
  GError *error = NULL;

  g_variant_get_child (params, 0, "&s", &iface);
  if (g_strcmp0 (member, "GetAll") == 0) {
    /* get_properties returns a full (non-floating) reference. */
    g_autoptr(GVariant) all = g_dbus_interface_skeleton_get_properties (skeleton);

    if (g_object_get_qdata (G_OBJECT (skeleton), published_quark ()) != NULL)
      vb_gatekeeper_publish_properties (vb_gatekeeper_get_default (g_dbus_method_invocation_get_connection (invocation)),
                                        g_dbus_method_invocation_get_sender (invocation),
                                        g_dbus_method_invocation_get_object_path (invocation), iface, all);
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(@a{sv})", all));
    return;
  }
  g_variant_get_child (params, 1, "&s", &property);
  if (g_strcmp0 (member, "Get") == 0) {
    g_autoptr(GVariant) value =
      hooks->parent.get_property (g_dbus_method_invocation_get_connection (invocation),
                                  g_dbus_method_invocation_get_sender (invocation),
                                  g_dbus_method_invocation_get_object_path (invocation), iface, property, &error,
                                  skeleton);
    if (value == NULL) {
      g_dbus_method_invocation_take_error (invocation, error);
      return;
    }
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(v)", value));
    return;
  }
  {
    g_autoptr(GVariant) value = NULL;
    gboolean ok;

    g_variant_get_child (params, 2, "v", &value);
    if (hooks->setter != NULL)
      ok = hooks->setter (skeleton, property, value, &error);
    else if (hooks->parent.set_property != NULL)
      ok = hooks->parent.set_property (g_dbus_method_invocation_get_connection (invocation),
                                       g_dbus_method_invocation_get_sender (invocation),
                                       g_dbus_method_invocation_get_object_path (invocation), iface, property,
                                       value, &error, skeleton);
    else
      ok = (g_set_error (&error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "property %s cannot be set", property), FALSE);
    if (!ok) {
      /* Set errors go out like method errors: org.libvirt.Error, except
       * the authorization ones. */
      vb_invocation_return_gerror (invocation, error);
      return;
    }
    g_dbus_method_invocation_return_value (invocation, NULL);
  }
}

typedef struct {
  GDBusInterfaceSkeleton *skeleton;
  GDBusMethodInvocation *invocation;
} Pending;

/* The call, once authorized. */
static void
dispatch_call (GDBusInterfaceSkeleton *skeleton, GDBusMethodInvocation *invocation)
{
  Hooks *hooks = get_hooks (skeleton);

  if (g_strcmp0 (g_dbus_method_invocation_get_interface_name (invocation), "org.freedesktop.DBus.Properties") == 0) {
    dispatch_properties (skeleton, hooks, invocation); /* replying consumes the invocation */
    return;
  }
  hooks->parent.method_call (g_dbus_method_invocation_get_connection (invocation),
                             g_dbus_method_invocation_get_sender (invocation),
                             g_dbus_method_invocation_get_object_path (invocation),
                             g_dbus_method_invocation_get_interface_name (invocation),
                             g_dbus_method_invocation_get_method_name (invocation),
                             g_dbus_method_invocation_get_parameters (invocation), invocation, skeleton);
}

static void
on_authorized (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pending *pending = user_data;
  g_autoptr(GDBusInterfaceSkeleton) skeleton = pending->skeleton;
  GDBusMethodInvocation *invocation = pending->invocation; /* passed on to the reply */
  GError *error = NULL;

  g_free (pending);
  if (!vb_gatekeeper_authorize_finish (VB_GATEKEEPER (source), result, &error)) {
    vb_invocation_return_gerror (invocation, error);
    return;
  }
  dispatch_call (skeleton, invocation);
}

static void
hooked_method_call (GDBusConnection *connection, const char *sender, const char *object_path,
                    const char *interface_name, const char *method_name, GVariant *parameters,
                    GDBusMethodInvocation *invocation, gpointer user_data)
{
  VbGatekeeper *gatekeeper = vb_gatekeeper_get_default (connection);
  Pending *pending;

  /* perf: a caller that passes anyway goes on without a main loop round. */
  if (vb_gatekeeper_allows_at_once (gatekeeper, invocation)) {
    g_autoptr(GDBusInterfaceSkeleton) skeleton = g_object_ref (G_DBUS_INTERFACE_SKELETON (user_data));
    dispatch_call (skeleton, invocation);
    return;
  }
  pending = g_new0 (Pending, 1);
  /* The skeleton may be unexported while polkit thinks: keep it alive. */
  pending->skeleton = g_object_ref (G_DBUS_INTERFACE_SKELETON (user_data));
  pending->invocation = invocation;
  vb_gatekeeper_authorize (gatekeeper, invocation, on_authorized, pending);
}

static GDBusInterfaceVTable *
hooked_get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  Hooks *hooks = get_hooks (skeleton);

  if (g_once_init_enter (&hooks->initialized)) {
    hooks->parent = *hooks->parent_get_vtable (skeleton);
    hooks->vtable = hooks->parent;
    hooks->vtable.method_call = hooked_method_call;
    /* Without these GDBus hands Properties.Get/GetAll/Set to method_call,
     * where they can be authorized asynchronously. */
    hooks->vtable.get_property = NULL;
    hooks->vtable.set_property = NULL;
    g_once_init_leave (&hooks->initialized, 1);
  }
  return &hooks->vtable;
}

void
vb_skeleton_class_install (GDBusInterfaceSkeletonClass *klass, VbSetPropertyFunc setter)
{
  Hooks *hooks = g_type_get_qdata (G_TYPE_FROM_CLASS (klass), hooks_quark ());

  if (hooks != NULL) {
    /* Installed twice (route_set_property after install): keep the setter. */
    if (setter != NULL)
      hooks->setter = setter;
    return;
  }
  hooks = g_new0 (Hooks, 1);
  hooks->parent_get_vtable = klass->get_vtable;
  hooks->setter = setter;
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), hooks_quark (), hooks);
  klass->get_vtable = hooked_get_vtable;
}

void
vb_skeleton_class_route_set_property (GDBusInterfaceSkeletonClass *klass, VbSetPropertyFunc setter)
{
  vb_skeleton_class_install (klass, setter);
}

gboolean
vb_skeleton_is_gated (GDBusInterfaceSkeleton *skeleton)
{
  return G_DBUS_INTERFACE_SKELETON_GET_CLASS (skeleton)->get_vtable == hooked_get_vtable;
}

/* ---- properties that follow the VbObj ---- */

const VbSkeletonProperty vb_skeleton_lifecycle_properties[VB_SKELETON_N_LIFECYCLE_PROPERTIES] = {
  { "name", "name", NULL, NULL },
  { "uuid", "uuid", NULL, NULL },
  { "active", "active", NULL, NULL },
  { "persistent", "persistent", NULL, NULL },
  { "autostart", "autostart", NULL, NULL },
};

void
vb_skeleton_class_follow_obj (GDBusInterfaceSkeletonClass *klass, const VbSkeletonProperty *props, guint n_props)
{
  Hooks *hooks = g_type_get_qdata (G_TYPE_FROM_CLASS (klass), hooks_quark ());

  g_return_if_fail (hooks != NULL);
  hooks->props = props;
  hooks->n_props = n_props;
}

static void
push_property (GDBusInterfaceSkeleton *skeleton, VbObj *obj, const VbSkeletonProperty *prop, GParamSpec *pspec)
{
  g_auto(GValue) value = G_VALUE_INIT;

  if (prop->push != NULL) {
    prop->push (skeleton, obj);
    return;
  }
  if (pspec == NULL)
    pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (obj), prop->obj_property);
  g_value_init (&value, G_PARAM_SPEC_VALUE_TYPE (pspec));
  g_object_get_property (G_OBJECT (obj), prop->obj_property, &value);
  g_object_set_property (G_OBJECT (skeleton), prop->property, &value);
}

static void
on_obj_notify (VbObj *obj, GParamSpec *pspec, GDBusInterfaceSkeleton *skeleton)
{
  Hooks *hooks = get_hooks (skeleton);

  for (guint i = 0; i < hooks->n_props; i++)
    if (g_str_equal (hooks->props[i].obj_property, pspec->name))
      push_property (skeleton, obj, &hooks->props[i], pspec);
}

void
vb_skeleton_follow_obj (GDBusInterfaceSkeleton *skeleton, VbObj *obj)
{
  Hooks *hooks = get_hooks (skeleton);

  g_return_if_fail (hooks != NULL);
  for (guint i = 0; i < hooks->n_props; i++)
    push_property (skeleton, obj, &hooks->props[i], NULL);
  g_signal_connect (obj, "notify", G_CALLBACK (on_obj_notify), skeleton);
}

void
vb_skeleton_unfollow_obj (GDBusInterfaceSkeleton *skeleton, VbObj *obj)
{
  if (obj != NULL)
    g_signal_handlers_disconnect_by_func (obj, on_obj_notify, skeleton);
}

static void
add_changed (GVariantBuilder *builder, GHashTable *seen, GVariant *all, const char *dbus_name)
{
  g_autoptr(GVariant) value = NULL;

  if (!g_hash_table_add (seen, (gpointer) dbus_name))
    return;
  value = g_variant_lookup_value (all, dbus_name, NULL);
  if (value != NULL)
    g_variant_builder_add (builder, "{sv}", dbus_name, value);
}

GVariant *
vb_skeleton_changed_properties (GDBusInterfaceSkeleton *skeleton, GPtrArray *obj_props)
{
  Hooks *hooks = get_hooks (skeleton);
  g_autoptr(GVariant) all = NULL;
  g_autoptr(GHashTable) seen = NULL;
  GVariantBuilder builder;
  gboolean any = FALSE;

  if (hooks == NULL || hooks->n_props == 0)
    return NULL;
  all = g_dbus_interface_skeleton_get_properties (skeleton);
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, NULL);
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  for (guint i = 0; i < hooks->n_props; i++) {
    const VbSkeletonProperty *prop = &hooks->props[i];
    gboolean hit = FALSE;

    for (guint j = 0; j < obj_props->len && !hit; j++)
      hit = g_str_equal (prop->obj_property, g_ptr_array_index (obj_props, j));
    if (!hit)
      continue;
    any = TRUE;
    if (prop->property != NULL) {
      /* gdbus-codegen gives each property its D-Bus name as nick. */
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (skeleton), prop->property);
      add_changed (&builder, seen, all, g_param_spec_get_nick (pspec));
    } else if (prop->dbus_names != NULL) {
      g_auto(GStrv) names = g_strsplit (prop->dbus_names, " ", -1);
      for (guint k = 0; names[k] != NULL; k++)
        add_changed (&builder, seen, all, g_intern_string (names[k]));
    }
  }
  if (!any) {
    g_variant_builder_clear (&builder);
    return NULL;
  }
  return g_variant_builder_end (&builder);
}
