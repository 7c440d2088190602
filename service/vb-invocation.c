#define G_LOG_DOMAIN "virtbus"

#include "vb-invocation.h"

#include "vb-client.h"
#include "vb-connect.h"
#include "vb-error.h"
#include "vb-gatekeeper.h"

void
vb_invocation_return_gerror (GDBusMethodInvocation *invocation, GError *error)
{
  g_debug ("%s.%s failed: %s", g_dbus_method_invocation_get_interface_name (invocation),
           g_dbus_method_invocation_get_method_name (invocation), error->message);
  g_dbus_method_invocation_return_dbus_error (invocation, vb_error_dbus_name (error), error->message);
  g_error_free (error);
}

void
vb_invocation_return_error (GDBusMethodInvocation *invocation, int code, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  GError *error = g_error_new_valist (VB_ERROR, code, format, ap);
  va_end (ap);
  vb_invocation_return_gerror (invocation, error);
}

void
vb_invocation_return_value (GDBusMethodInvocation *invocation, GVariant *value)
{
  g_dbus_method_invocation_return_value (invocation, g_variant_new_tuple (&value, 1));
}

void
vb_invocation_return_object (VbConnect *connect, GDBusMethodInvocation *invocation, VbObj *obj)
{
  g_autofree char *path = vb_connect_path_for_obj (connect, obj);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", path));
}

static void
reply_object_list (VbConnect *connect, GDBusMethodInvocation *invocation, GPtrArray *objs)
{
  g_autoptr(GVariant) value = vb_connect_list_value (connect, objs);

  g_dbus_method_invocation_return_value (invocation, value);
}

/* Authorization: a list shows a caller only the objects it may getattr
 * (as libvirt filters virConnectListAll*). */
typedef struct {
  VbConnect *connect;
  GDBusMethodInvocation *invocation;
} FilterData;

static void
on_list_filtered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FilterData *data = user_data;
  g_autoptr(GDBusMethodInvocation) invocation = data->invocation;
  g_autoptr(VbConnect) connect = data->connect;
  GError *error = NULL;
  g_autoptr(GPtrArray) visible = vb_gatekeeper_filter_objects_finish (VB_GATEKEEPER (source), result, &error);

  g_free (data);
  if (visible == NULL) {
    vb_invocation_return_gerror (g_steal_pointer (&invocation), error);
    return;
  }
  reply_object_list (connect, g_steal_pointer (&invocation), visible);
}

void
vb_invocation_return_object_list (VbConnect *connect, GDBusMethodInvocation *invocation, GPtrArray *objs)
{
  GDBusConnection *bus = g_dbus_method_invocation_get_connection (invocation);
  VbGatekeeper *gatekeeper = vb_gatekeeper_get_default (bus);
  g_autoptr(GPtrArray) owned = NULL;
  FilterData *data;

  /* perf: nothing to filter for a caller who sees everything. */
  if (vb_gatekeeper_sees_everything (gatekeeper, g_dbus_method_invocation_get_sender (invocation))) {
    reply_object_list (connect, invocation, objs);
    return;
  }
  owned = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < objs->len; i++)
    g_ptr_array_add (owned, g_object_ref (g_ptr_array_index (objs, i)));
  data = g_new0 (FilterData, 1);
  data->connect = g_object_ref (connect);
  data->invocation = invocation;
  vb_gatekeeper_filter_objects (gatekeeper, invocation, owned, on_list_filtered, data);
}

typedef struct {
  GDBusMethodInvocation *invocation;
  VbReplyKind kind;
} ReplyData;

/* GetAllDomainStats for a restricted caller: the records of the domains it
 * may read (one polkit check per domain, as for lists). */
typedef struct {
  GDBusMethodInvocation *invocation;
  GVariant *records; /* a(sa{sv}) */
} StatsData;

static void
on_stats_filtered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StatsData *data = user_data;
  g_autoptr(GDBusMethodInvocation) invocation = data->invocation;
  g_autoptr(GVariant) records = data->records;
  GError *error = NULL;
  g_autoptr(GPtrArray) readable = vb_gatekeeper_filter_objects_finish (VB_GATEKEEPER (source), result, &error);
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  GVariantBuilder builder;
  GVariantIter iter;
  const char *name;
  GVariant *stats;

  g_free (data);
  if (readable == NULL) {
    vb_invocation_return_gerror (g_steal_pointer (&invocation), error);
    return;
  }
  for (guint i = 0; i < readable->len; i++)
    g_hash_table_add (names, ((VbObj *) g_ptr_array_index (readable, i))->name);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sa{sv})"));
  g_variant_iter_init (&iter, records);
  while (g_variant_iter_next (&iter, "(&s@a{sv})", &name, &stats)) {
    if (g_hash_table_contains (names, name))
      g_variant_builder_add (&builder, "(s@a{sv})", name, stats);
    g_variant_unref (stats);
  }
  vb_invocation_return_value (g_steal_pointer (&invocation), g_variant_builder_end (&builder));
}

static void
return_domain_stats (VbConnect *connect, GDBusMethodInvocation *invocation, GVariant *records)
{
  VbBackend *backend = vb_connect_get_backend (connect);
  g_autoptr(GPtrArray) doms = g_ptr_array_new_with_free_func (g_object_unref);
  GVariantIter iter;
  const char *name;
  StatsData *data;

  if (vb_gatekeeper_get_caller_creds (invocation) == NULL ||
      !g_variant_is_of_type (records, G_VARIANT_TYPE ("a(sa{sv})"))) {
    vb_invocation_return_value (invocation, records);
    return;
  }
  g_variant_iter_init (&iter, records);
  while (g_variant_iter_next (&iter, "(&s@a{sv})", &name, NULL)) {
    /* A domain gone since the stats were taken is not shown. */
    VbObj *dom = vb_backend_lookup_by_name (backend, VB_OBJ_DOMAIN, name);
    if (dom != NULL)
      g_ptr_array_add (doms, g_object_ref (dom));
  }
  data = g_new0 (StatsData, 1);
  data->invocation = invocation;
  data->records = g_variant_ref (records);
  vb_gatekeeper_filter_objects_for (vb_gatekeeper_get_default (g_dbus_method_invocation_get_connection (invocation)),
                                    invocation, doms, "domain.read", on_stats_filtered, data);
}

static void
on_task_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VbConnect *connect = VB_CONNECT (source);
  ReplyData *data = user_data;
  g_autoptr(GDBusMethodInvocation) invocation = data->invocation;
  VbReplyKind kind = data->kind;
  GError *error = NULL;
  gpointer value = NULL;

  g_slice_free (ReplyData, data);
  if (kind == VB_REPLY_VOID) {
    if (g_task_propagate_boolean (G_TASK (result), &error))
      g_dbus_method_invocation_return_value (g_steal_pointer (&invocation), NULL);
  } else {
    value = g_task_propagate_pointer (G_TASK (result), &error);
    if (value == NULL && error == NULL)
      error = g_error_new (VB_ERROR, VB_ERROR_FAILED, "internal error: operation returned no result");
  }
  if (error != NULL) {
    vb_invocation_return_gerror (g_steal_pointer (&invocation), error);
    return;
  }
  switch (kind) {
  case VB_REPLY_VOID:
    break;
  case VB_REPLY_STRING:
    g_dbus_method_invocation_return_value (g_steal_pointer (&invocation), g_variant_new ("(s)", (char *) value));
    g_free (value);
    break;
  case VB_REPLY_OBJECT:
    vb_invocation_return_object (connect, g_steal_pointer (&invocation), value);
    g_object_unref (value);
    break;
  case VB_REPLY_OBJECT_LIST:
    vb_invocation_return_object_list (connect, g_steal_pointer (&invocation), value);
    g_ptr_array_unref (value);
    break;
  case VB_REPLY_VALUE:
    vb_invocation_return_value (g_steal_pointer (&invocation), value);
    g_variant_unref (value);
    break;
  case VB_REPLY_DOMAIN_STATS:
    return_domain_stats (connect, g_steal_pointer (&invocation), value);
    g_variant_unref (value);
    break;
  }
}

static GQuark
caller_creds_quark (void)
{
  return g_quark_from_static_string ("vb-caller-creds");
}

GTask *
vb_invocation_task_new (VbConnect *connect, GDBusMethodInvocation *invocation, VbReplyKind kind)
{
  ReplyData *data = g_slice_new (ReplyData);
  const VbCallerCreds *creds;
  GTask *task;

  data->invocation = invocation; /* the reply consumes the handler's reference */
  data->kind = kind;
  task = g_task_new (connect, NULL, on_task_done, data);
  g_task_set_source_tag (task, vb_invocation_task_new);
  /* The gatekeeper left restricted callers' credentials on the invocation;
   * the backend gets them with the task (its task data is the backend's). */
  vb_client_tag_task (task, g_dbus_method_invocation_get_sender (invocation));
  creds = vb_gatekeeper_get_caller_creds (invocation);
  if (creds != NULL)
    g_object_set_qdata_full (G_OBJECT (task), caller_creds_quark (), vb_caller_creds_copy (creds),
                             (GDestroyNotify) vb_caller_creds_free);
  return task;
}

const VbCallerCreds *
vb_task_get_caller_creds (GTask *task)
{
  return g_object_get_qdata (G_OBJECT (task), caller_creds_quark ());
}
