/* The gatekeeper's table covers the whole wire contract, and the polkit
 * policy file declares every permission it uses. */
#include "vb-gatekeeper.h"

static char *
source_path (const char *relative)
{
  const char *root = g_getenv ("VB_SOURCE_ROOT");
  g_assert_nonnull (root);
  return g_build_filename (root, relative, NULL);
}

static GPtrArray *
load_interfaces (void)
{
  g_autofree char *dir_path = source_path ("interfaces");
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  GPtrArray *nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_dbus_node_info_unref);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *file = NULL;
    g_autofree char *xml = NULL;
    g_autoptr(GError) error = NULL;
    GDBusNodeInfo *node;

    if (!g_str_has_suffix (name, ".xml") ||
        !(g_str_has_prefix (name, "org.libvirt.") || g_str_has_prefix (name, "org.virtbus.")))
      continue;
    file = g_build_filename (dir_path, name, NULL);
    g_assert_true (g_file_get_contents (file, &xml, NULL, &error));
    node = g_dbus_node_info_new_for_xml (xml, &error);
    g_assert_no_error (error);
    g_ptr_array_add (nodes, node);
  }
  return nodes;
}

static void
test_every_member_mapped (void)
{
  g_autoptr(GPtrArray) nodes = load_interfaces ();
  g_autoptr(GString) missing = g_string_new (NULL);
  guint methods = 0, properties = 0;

  g_assert_cmpuint (nodes->len, >=, 10);
  for (guint n = 0; n < nodes->len; n++) {
    GDBusNodeInfo *node = g_ptr_array_index (nodes, n);
    for (guint i = 0; node->interfaces && node->interfaces[i]; i++) {
      GDBusInterfaceInfo *iface = node->interfaces[i];
      for (guint m = 0; iface->methods && iface->methods[m]; m++, methods++)
        if (vb_gatekeeper_lookup_permissions (iface->name, iface->methods[m]->name, FALSE) == NULL)
          g_string_append_printf (missing, " %s.%s()", iface->name, iface->methods[m]->name);
      for (guint p = 0; iface->properties && iface->properties[p]; p++) {
        if (!(iface->properties[p]->flags & G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE))
          continue;
        properties++;
        if (vb_gatekeeper_lookup_permissions (iface->name, iface->properties[p]->name, TRUE) == NULL)
          g_string_append_printf (missing, " %s.%s (writable property)", iface->name, iface->properties[p]->name);
      }
    }
  }
  if (missing->len > 0)
    g_error ("no gatekeeper entry (so always denied) for:%s", missing->str);
  g_assert_cmpuint (methods, >, 190);
  g_assert_cmpuint (properties, >=, 3);
}

static void
test_unmapped_denied (void)
{
  g_assert_null (vb_gatekeeper_lookup_permissions ("org.libvirt.Domain", "NoSuchMethod", FALSE));
  g_assert_null (vb_gatekeeper_lookup_permissions ("org.libvirt.Domain", "Name", TRUE));
  g_assert_null (vb_gatekeeper_lookup_permissions ("org.example.Domain", "Create", FALSE));
  /* A method is not a property and vice versa. */
  g_assert_null (vb_gatekeeper_lookup_permissions ("org.libvirt.Domain", "Create", TRUE));
  g_assert_null (vb_gatekeeper_lookup_permissions ("org.libvirt.Domain", "Autostart", FALSE));
}

static void
test_libvirt_vocabulary (void)
{
  const char *const *perms;

  perms = vb_gatekeeper_lookup_permissions ("org.libvirt.Domain", "Create", FALSE);
  g_assert_cmpstr (perms[0], ==, "domain.start");
  g_assert_null (perms[1]);
  perms = vb_gatekeeper_lookup_permissions ("org.libvirt.Domain", "Destroy", FALSE);
  g_assert_cmpstr (perms[0], ==, "domain.stop");
  perms = vb_gatekeeper_lookup_permissions ("org.libvirt.Connect", "DomainDefineXML", FALSE);
  g_assert_cmpstr (perms[0], ==, "domain.write");
  g_assert_cmpstr (perms[1], ==, "domain.save");
  perms = vb_gatekeeper_lookup_permissions ("org.libvirt.Domain", "Autostart", TRUE);
  g_assert_cmpstr (perms[0], ==, "domain.write");
  perms = vb_gatekeeper_lookup_permissions ("org.libvirt.Secret", "GetValue", FALSE);
  g_assert_cmpstr (perms[0], ==, "secret.read-secure");
  perms = vb_gatekeeper_lookup_permissions ("org.libvirt.Connect", "ListStoragePools", FALSE);
  g_assert_cmpstr (perms[0], ==, "connect.search-storage-pools");
}

static void
test_policy_declares_every_permission (void)
{
  g_autofree char *file = source_path ("policy/org.virtbus.policy.in");
  g_autofree char *contents = NULL;
  g_auto(GStrv) perms = vb_gatekeeper_list_permissions ();
  g_autoptr(GString) missing = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (file, &contents, NULL, &error));
  g_assert_cmpuint (g_strv_length (perms), >, 60);
  for (guint i = 0; perms[i] != NULL; i++) {
    g_autofree char *needle = g_strdup_printf ("<action id=\"%s%s\">", VB_POLKIT_ACTION_PREFIX, perms[i]);
    const char *at = strstr (contents, needle);
    const char *end;
    gboolean readonly = g_str_has_suffix (perms[i], ".getattr") || g_str_has_suffix (perms[i], ".read") ||
                        strstr (perms[i], ".search-") != NULL;
    g_autofree char *action = NULL;

    /* lowercase, hyphenated, object.permission */
    g_assert_true (g_regex_match_simple ("^[a-z-]+\\.[a-z-]+$", perms[i], 0, 0));
    if (at == NULL) {
      g_string_append_printf (missing, " %s", perms[i]);
      continue;
    }
    end = strstr (at, "</action>");
    g_assert_nonnull (end);
    action = g_strndup (at, end - at);
    /* Read-only permissions default to yes, the rest to auth_admin_keep. */
    g_assert_nonnull (strstr (action, readonly ? "<allow_active>yes</allow_active>"
                                               : "<allow_active>auth_admin_keep</allow_active>"));
    g_assert_nonnull (strstr (action, readonly ? "<allow_any>yes</allow_any>"
                                               : "<allow_any>auth_admin_keep</allow_any>"));
  }
  if (missing->len > 0)
    g_error ("policy/org.virtbus.policy.in lacks actions for:%s", missing->str);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gatekeeper/every-member-mapped", test_every_member_mapped);
  g_test_add_func ("/gatekeeper/unmapped-denied", test_unmapped_denied);
  g_test_add_func ("/gatekeeper/libvirt-vocabulary", test_libvirt_vocabulary);
  g_test_add_func ("/gatekeeper/policy-declares-every-permission", test_policy_declares_every_permission);
  return g_test_run ();
}
