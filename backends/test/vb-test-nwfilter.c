/* The test backend's network filters, in memory, with the rules of libvirt's
 * nwfilter driver: a filter is identified by name and uuid (redefinition
 * must keep both), filter references may not form a loop, and a filter
 * another filter references cannot be undefined. Nothing is instantiated
 * on the host.
 *
 * libvirt ships a set of standard filters that domains commonly reference
 * (clean-traffic and its parts); the connection starts with a small set of
 * our own filters under those names, so such domain XML resolves here too. */
#include "vb-test-private.h"

#include "vb-error.h"
#include "vb-nwfilter-def.h"
#include "vb-nwfilter-ops.h"
#include "vb-xml.h"

/* Our own renditions of libvirt's standard filters. $MAC and $IP are the
 * variables libvirt fills in from the interface a filter is applied to. */
static const char *const standard_filters[] = {
  "<filter name='allow-arp' chain='arp'>"
  "  <uuid>4b1c6a0e-2f5d-4c8e-9a71-3d6e0b5f8a21</uuid>"
  "  <rule action='accept' direction='inout' priority='500'/>"
  "</filter>",

  "<filter name='allow-ipv4' chain='ipv4'>"
  "  <uuid>9e27d3b4-61a8-4f0c-b5d2-7c4a18e9f036</uuid>"
  "  <rule action='accept' direction='inout' priority='500'/>"
  "</filter>",

  "<filter name='allow-dhcp' chain='ipv4' priority='-700'>"
  "  <uuid>c5f08e12-7a3b-4d69-8e4f-21b9d6a7c350</uuid>"
  "  <rule action='accept' direction='out' priority='100'>"
  "    <ip protocol='udp' srcportstart='68' dstportstart='67'/>"
  "  </rule>"
  "  <rule action='accept' direction='in' priority='100'>"
  "    <ip protocol='udp' srcportstart='67' dstportstart='68'/>"
  "  </rule>"
  "</filter>",

  "<filter name='no-mac-spoofing' chain='mac' priority='-800'>"
  "  <uuid>17a4e9c2-b80d-4e36-a5f1-6d2c93b7e048</uuid>"
  "  <rule action='drop' direction='out' priority='500'>"
  "    <mac match='no' srcmacaddr='$MAC'/>"
  "  </rule>"
  "</filter>",

  "<filter name='no-ip-spoofing' chain='ipv4-ip' priority='-710'>"
  "  <uuid>e8d2b5a7-3c61-4f9e-8b04-5a7f1c2d9e63</uuid>"
  "  <rule action='return' direction='out' priority='100'>"
  "    <ip srcipaddr='0.0.0.0' protocol='udp'/>"
  "  </rule>"
  "  <rule action='drop' direction='out' priority='500'>"
  "    <ip match='no' srcipaddr='$IP'/>"
  "  </rule>"
  "</filter>",

  "<filter name='no-arp-spoofing' chain='arp-spoof' priority='-500'>"
  "  <uuid>3f6a0d94-c2e7-4b18-9d53-8e1b7a4c6f25</uuid>"
  "  <rule action='drop' direction='out' priority='350'>"
  "    <arp match='no' arpsrcmacaddr='$MAC'/>"
  "  </rule>"
  "  <rule action='drop' direction='out' priority='400'>"
  "    <arp match='no' arpsrcipaddr='$IP'/>"
  "  </rule>"
  "</filter>",

  "<filter name='no-other-l2-traffic'>"
  "  <uuid>b0e4c7f3-8d25-4a6b-91e8-c3f5d0a2b714</uuid>"
  "  <rule action='drop' direction='inout' priority='1000'/>"
  "</filter>",

  "<filter name='clean-traffic'>"
  "  <uuid>6d9b1e48-f5a2-4c07-8e3d-0b7c4a9f2e81</uuid>"
  "  <filterref filter='no-mac-spoofing'/>"
  "  <filterref filter='no-ip-spoofing'/>"
  "  <filterref filter='no-arp-spoofing'/>"
  "  <filterref filter='allow-arp'/>"
  "  <filterref filter='allow-ipv4'/>"
  "  <filterref filter='no-other-l2-traffic'/>"
  "</filter>",
};

static VbObj *
nwfilter_new (VbNWFilterDef *def)
{
  VbObj *filter = vb_obj_new (VB_OBJ_NWFILTER, def->name, def->uuid, def, (GDestroyNotify) vb_nwfilter_def_free);

  filter->persistent = TRUE;
  return filter;
}

/* Whether the <filter> document @xml names a uuid (the model generates one
 * when it does not, which we cannot tell apart afterwards). */
static gboolean
xml_has_uuid (const char *xml)
{
  g_autoptr(xmlDoc) doc = vb_xml_parse (xml, -1, "filter", NULL);

  return doc != NULL && vb_xml_child (xmlDocGetRootElement (doc), "uuid") != NULL;
}

static gboolean
references (const VbNWFilterDef *def, const char *name)
{
  for (guint i = 0; i < def->entries->len; i++) {
    const VbNWFilterEntry *entry = g_ptr_array_index (def->entries, i);
    if (entry->ref != NULL && g_strcmp0 (entry->ref->filter, name) == 0)
      return TRUE;
  }
  return FALSE;
}

/* Depth-first walk from @def over the filters it references (as they are
 * now defined, except that @root_name stands for the definition being
 * added). @chain holds the names on the current path; on reaching
 * @root_name again it is the loop, reported in @error. References to
 * filters that do not exist (yet) are allowed, as in libvirt. */
static gboolean
check_loop (VbBackend *backend, const VbNWFilterDef *def, const char *root_name, GPtrArray *chain,
            GHashTable *done, GError **error)
{
  g_ptr_array_add (chain, def->name);
  for (guint i = 0; i < def->entries->len; i++) {
    const VbNWFilterEntry *entry = g_ptr_array_index (def->entries, i);
    VbObj *target;

    if (entry->ref == NULL)
      continue;
    if (g_strcmp0 (entry->ref->filter, root_name) == 0) {
      g_autoptr(GString) path = g_string_new (NULL);
      for (guint j = 0; j < chain->len; j++)
        g_string_append_printf (path, "'%s' -> ", (const char *) g_ptr_array_index (chain, j));
      g_string_append_printf (path, "'%s'", root_name);
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "filter '%s' would introduce a loop: %s", root_name,
                   path->str);
      return FALSE;
    }
    if (g_hash_table_contains (done, entry->ref->filter))
      continue;
    g_hash_table_add (done, entry->ref->filter);
    target = vb_backend_lookup_by_name (backend, VB_OBJ_NWFILTER, entry->ref->filter);
    if (target != NULL && !check_loop (backend, target->def, root_name, chain, done, error))
      return FALSE;
  }
  g_ptr_array_remove_index (chain, chain->len - 1);
  return TRUE;
}

/* Adds or (same name and uuid) updates a filter from @xml; returns it
 * (borrowed), or NULL with @error. */
static VbObj *
define_filter (VbBackend *backend, const char *xml, GError **error)
{
  g_autoptr(VbNWFilterDef) def = vb_nwfilter_def_parse (xml, error);
  g_autoptr(GPtrArray) chain = g_ptr_array_new ();
  g_autoptr(GHashTable) done = g_hash_table_new (g_str_hash, g_str_equal);
  VbObj *by_uuid, *by_name;

  if (def == NULL)
    return NULL;
  by_name = vb_backend_lookup_by_name (backend, VB_OBJ_NWFILTER, def->name);
  /* Redefining by name alone keeps the filter's identity. */
  if (by_name != NULL && !xml_has_uuid (xml))
    g_strlcpy (def->uuid, by_name->uuid, sizeof def->uuid);
  by_uuid = vb_backend_lookup (backend, VB_OBJ_NWFILTER, def->uuid);
  if (by_uuid != NULL && g_strcmp0 (by_uuid->name, def->name) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "filter with same UUID %s but different name ('%s') already exists",
                 def->uuid, by_uuid->name);
    return NULL;
  }
  if (by_uuid == NULL && by_name != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "filter '%s' already exists with uuid %s", by_name->name,
                 by_name->uuid);
    return NULL;
  }
  if (!check_loop (backend, def, def->name, chain, done, error))
    return NULL;

  if (by_uuid != NULL) {
    vb_obj_set_def (by_uuid, g_steal_pointer (&def));
    return by_uuid;
  } else {
    g_autoptr(VbObj) created = nwfilter_new (g_steal_pointer (&def));
    vb_backend_add_object (backend, created);
    return created;
  }
}

static void
test_nwfilter_define_xml (VbBackend *backend, const char *xml, GTask *task)
{
  GError *error = NULL;
  VbObj *filter = define_filter (backend, xml, &error);

  if (filter == NULL) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, g_object_ref (filter), g_object_unref);
}

static void
test_nwfilter_get_xml_desc (VbBackend *backend, VbObj *filter, guint flags, GTask *task)
{
  GError *error = NULL;

  /* virNWFilterGetXMLDesc defines no flags. */
  if (!vb_check_flags (flags, 0, "GetXMLDesc", &error)) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, vb_nwfilter_def_format (filter->def, 0), g_free);
}

static void
test_nwfilter_undefine (VbBackend *backend, VbObj *filter, GTask *task)
{
  g_autoptr(GPtrArray) all = vb_backend_list (backend, VB_OBJ_NWFILTER);

  /* Removing a referenced filter would leave its users with a dangling
   * reference they cannot be instantiated with. */
  for (guint i = 0; i < all->len; i++) {
    VbObj *other = g_ptr_array_index (all, i);
    if (other != filter && references (other->def, filter->name)) {
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                               "nwfilter is in use: filter '%s' references '%s'", other->name, filter->name);
      return;
    }
  }
  vb_backend_remove_object (backend, filter);
  g_task_return_boolean (task, TRUE);
}

void
vb_test_nwfilter_ops_init (VbNWFilterOpsInterface *iface)
{
  iface->define_xml = test_nwfilter_define_xml;
  iface->get_xml_desc = test_nwfilter_get_xml_desc;
  iface->undefine = test_nwfilter_undefine;
}

gboolean
vb_test_nwfilter_populate (VbTestBackend *self, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (standard_filters); i++) {
    if (define_filter (VB_BACKEND (self), standard_filters[i], error) == NULL) {
      g_prefix_error (error, "standard network filter %" G_GSIZE_FORMAT ": ", i);
      return FALSE;
    }
  }
  return TRUE;
}
