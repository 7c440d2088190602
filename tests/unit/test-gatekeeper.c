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

/* Entries checked against libvirt's remote_protocol.x "@acl:" lines, where
 * an earlier table differed. */
static void
test_libvirt_acl_corrections (void)
{
  static const struct {
    const char *interface, *member;
    const char *perms; /* space-separated, in order */
  } cases[] = {
    { "org.libvirt.Domain", "PMWakeup", "domain.pm-control" },           /* not init_control */
    { "org.libvirt.Domain", "BlockJobAbort", "domain.write" },           /* not block_write */
    { "org.libvirt.Domain", "BlockJobSetSpeed", "domain.write" },
    { "org.libvirt.Domain", "GetHostname", "domain.write" },             /* guest agent */
    { "org.libvirt.Domain", "GetTime", "domain.write" },
    { "org.libvirt.Domain", "SnapshotCurrent", "domain.read" },          /* not snapshot */
    { "org.libvirt.Domain", "SnapshotLookupByName", "domain.read" },
    { "org.libvirt.Domain", "GetStats", "connect.search-domains domain.read" },
    { "org.libvirt.Domain", "GetVcpuPinInfo", "domain.read connect.read" }, /* + virNodeGetCPUMap */
    { "org.libvirt.StorageVol", "Wipe", "storage-vol.format" },          /* not data_write */
    { "org.libvirt.Connect", "BaselineCPU", "connect.read" },            /* not write */
    { "org.libvirt.Connect", "CompareCPU", "connect.read" },
    { "org.libvirt.Connect", "GetDomainCapabilities", "connect.write" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    const char *const *perms = vb_gatekeeper_lookup_permissions (cases[i].interface, cases[i].member, FALSE);
    g_autofree char *joined = NULL;
    g_assert_nonnull (perms);
    joined = g_strjoinv (" ", (char **) perms);
    g_test_message ("%s.%s", cases[i].interface, cases[i].member);
    g_assert_cmpstr (joined, ==, cases[i].perms);
  }
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

  /* ... and declares nothing else, each once. */
  {
    g_autoptr(GRegex) regex = g_regex_new ("<action id=\"" VB_POLKIT_ACTION_PREFIX "([a-z.-]+)\">", 0, 0, NULL);
    g_autoptr(GMatchInfo) match = NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GString) unused = g_string_new (NULL);

    g_regex_match (regex, contents, 0, &match);
    while (g_match_info_matches (match)) {
      char *perm = g_match_info_fetch (match, 1);
      if (!g_strv_contains ((const char *const *) perms, perm))
        g_string_append_printf (unused, " %s", perm);
      if (!g_hash_table_add (seen, perm))
        g_error ("policy/org.virtbus.policy.in declares %s twice", perm);
      g_match_info_next (match, NULL);
    }
    if (unused->len > 0)
      g_error ("policy/org.virtbus.policy.in declares unused actions:%s", unused->str);
    g_assert_cmpuint (g_hash_table_size (seen), ==, g_strv_length (perms));
  }
}

/* ---- flag-dependent permissions ---- */

/* A value of @type with every field zero/empty (the arguments do not
 * matter to the table, only the flags). */
static GVariant *
zero_value (const GVariantType *type)
{
  if (g_variant_type_is_array (type))
    return g_variant_new_array (g_variant_type_element (type), NULL, 0);
  if (g_variant_type_is_tuple (type) || g_variant_type_is_dict_entry (type)) {
    g_autoptr(GPtrArray) items = g_ptr_array_new ();
    for (const GVariantType *t = g_variant_type_first (type); t != NULL; t = g_variant_type_next (t))
      g_ptr_array_add (items, zero_value (t));
    if (g_variant_type_is_dict_entry (type))
      return g_variant_new_dict_entry (items->pdata[0], items->pdata[1]);
    return g_variant_new_tuple ((GVariant **) items->pdata, items->len);
  }
  if (g_variant_type_is_variant (type))
    return g_variant_new_variant (g_variant_new_int32 (0));
  switch (g_variant_type_peek_string (type)[0]) {
  case 'b': return g_variant_new_boolean (FALSE);
  case 'y': return g_variant_new_byte (0);
  case 'n': return g_variant_new_int16 (0);
  case 'q': return g_variant_new_uint16 (0);
  case 'i': return g_variant_new_int32 (0);
  case 'u': return g_variant_new_uint32 (0);
  case 'x': return g_variant_new_int64 (0);
  case 't': return g_variant_new_uint64 (0);
  case 'h': return g_variant_new_handle (0);
  case 'd': return g_variant_new_double (0);
  case 's': return g_variant_new_string ("");
  case 'o': return g_variant_new_object_path ("/");
  case 'g': return g_variant_new_signature ("");
  default: g_assert_not_reached ();
  }
}

/* Arguments for @method of @interface (from the interface XML files) with @flags
 * as the last one, which must be the uint32 flags. */
static GVariant *
call_params (const char *interface, const char *method, guint32 flags)
{
  g_autoptr(GPtrArray) nodes = load_interfaces ();

  for (guint i = 0; i < nodes->len; i++) {
    GDBusNodeInfo *node = g_ptr_array_index (nodes, i);
    GDBusInterfaceInfo *iface = g_dbus_node_info_lookup_interface (node, interface);
    GDBusMethodInfo *info = iface ? g_dbus_interface_info_lookup_method (iface, method) : NULL;
    g_autoptr(GPtrArray) args = g_ptr_array_new ();
    guint n = 0;

    if (info == NULL)
      continue;
    while (info->in_args && info->in_args[n])
      n++;
    g_assert_cmpuint (n, >, 0);
    g_assert_cmpstr (info->in_args[n - 1]->signature, ==, "u");
    for (guint j = 0; j + 1 < n; j++) {
      g_autoptr(GVariantType) type = g_variant_type_new (info->in_args[j]->signature);
      g_ptr_array_add (args, zero_value (type));
    }
    g_ptr_array_add (args, g_variant_new_uint32 (flags));
    return g_variant_ref_sink (g_variant_new_tuple ((GVariant **) args->pdata, args->len));
  }
  g_error ("no method %s.%s", interface, method);
}

static char *
perms_for (const char *interface, const char *method, guint32 flags)
{
  g_autoptr(GVariant) params = call_params (interface, method, flags);
  g_auto(GStrv) perms = vb_gatekeeper_permissions_for_call (interface, method, params);

  g_assert_nonnull (perms);
  return g_strjoinv (" ", perms);
}

/* libvirt: "@acl: domain:save:!VIR_DOMAIN_AFFECT_CONFIG|VIR_DOMAIN_AFFECT_LIVE"
 * and "domain:save:VIR_DOMAIN_AFFECT_CONFIG" on every method whose flags are
 * virDomainModificationImpact. */
static void
test_affect_config_needs_save (void)
{
  static const char *const methods[] = {
    "SetMemory", "SetVcpus", "AttachDevice", "DetachDevice", "UpdateDevice", "SetMetadata",
    "SetBlockIOParameters", "SetMemoryParameters", "SetNumaParameters", "SetSchedulerParameters",
    "SetMemoryStatsPeriod", "SetBlockIOTune", "PinVcpu", "PinEmulator", "AddIOThread",
    "DelIOThread", "PinIOThread", "SetInterfaceParameters",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (methods); i++) {
    g_autofree char *live = perms_for ("org.libvirt.Domain", methods[i], 1);
    g_autofree char *config = perms_for ("org.libvirt.Domain", methods[i], 2);
    g_autofree char *both = perms_for ("org.libvirt.Domain", methods[i], 3);
    g_autofree char *current = perms_for ("org.libvirt.Domain", methods[i], 0);
    g_test_message ("%s", methods[i]);
    g_assert_cmpstr (live, ==, "domain.write");
    g_assert_cmpstr (config, ==, "domain.write domain.save");
    g_assert_cmpstr (both, ==, "domain.write domain.save");
    /* CURRENT: the persistent config when the domain is inactive. */
    g_assert_cmpstr (current, ==, "domain.write domain.save");
  }
}

static void
test_other_flag_checks (void)
{
  static const struct {
    const char *interface, *method;
    guint32 flags;
    const char *perms;
  } cases[] = {
    { "org.libvirt.Domain", "GetXMLDesc", 0, "domain.read" },
    { "org.libvirt.Domain", "GetXMLDesc", 1, "domain.read domain.read-secure" },
    { "org.libvirt.Domain", "GetXMLDesc", 2, "domain.read" }, /* INACTIVE */
    { "org.libvirt.Domain", "GetXMLDesc", 8, "domain.read domain.read-secure" }, /* MIGRATABLE */
    { "org.libvirt.DomainSnapshot", "GetXMLDesc", 1, "domain.read domain.read-secure" },
    { "org.libvirt.DomainSnapshot", "GetXMLDesc", 8, "domain.read" },
    /* libvirt: write, whatever the flags (CVE-2019-10161) */
    { "org.libvirt.Connect", "DomainSaveImageGetXMLDesc", 0, "domain.write" },
    { "org.libvirt.Connect", "DomainSaveImageGetXMLDesc", 1, "domain.write" },
    { "org.libvirt.Domain", "GetVcpus", 1, "domain.read" },
    { "org.libvirt.Domain", "GetVcpus", 8, "domain.read domain.write" }, /* VCPU_GUEST */
    { "org.libvirt.Domain", "SetPerfEvents", 2, "domain.write" },       /* no save in libvirt */
    { "org.libvirt.Network", "Update", 1, "network.write" },
    { "org.libvirt.Network", "Update", 2, "network.write network.save" },
    { "org.libvirt.Network", "Update", 0, "network.write network.save" },
    { "org.libvirt.Domain", "SnapshotCreateXML", 0, "domain.snapshot" },
    { "org.libvirt.Domain", "SnapshotCreateXML", 64, "domain.snapshot domain.fs-freeze" }, /* QUIESCE */
    { "org.libvirt.Domain", "Shutdown", 1, "domain.init-control" },                        /* ACPI */
    { "org.libvirt.Domain", "Shutdown", 2, "domain.init-control domain.write" },           /* GUEST_AGENT */
    { "org.libvirt.Domain", "Reboot", 2, "domain.init-control domain.write" },
    { "org.libvirt.Domain", "Create", 1, "domain.start" }, /* START_PAUSED: nothing more */
    { "org.libvirt.Domain", "Undefine", 0, "domain.delete" },
    { "org.libvirt.Domain", "Undefine", 0xff, "domain.delete" },
    { "org.libvirt.Domain", "SetVcpus", 1 | 8, "domain.write" }, /* VCPU_GUEST: write, already */
    { "org.libvirt.Domain", "Destroy", 0xffffffff, "domain.stop" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *perms = perms_for (cases[i].interface, cases[i].method, cases[i].flags);
    g_test_message ("%s.%s 0x%x", cases[i].interface, cases[i].method, cases[i].flags);
    g_assert_cmpstr (perms, ==, cases[i].perms);
  }
  /* InterfaceAddresses: write only when the source (arg 0) is the agent. */
  {
    static const struct {
      guint32 source;
      const char *perms;
    } sources[] = { { 0, "domain.read" }, { 1, "domain.read domain.write" }, { 2, "domain.read" } };
    for (gsize i = 0; i < G_N_ELEMENTS (sources); i++) {
      g_autoptr(GVariant) params = g_variant_ref_sink (g_variant_new ("(uu)", sources[i].source, 0));
      g_auto(GStrv) perms = vb_gatekeeper_permissions_for_call ("org.libvirt.Domain", "InterfaceAddresses", params);
      g_autofree char *joined = g_strjoinv (" ", perms);
      g_assert_cmpstr (joined, ==, sources[i].perms);
    }
  }
  /* No flags argument at all: only the fixed permissions. */
  {
    g_auto(GStrv) perms = vb_gatekeeper_permissions_for_call ("org.libvirt.Domain", "GetXMLDesc", NULL);
    g_assert_cmpstr (perms[0], ==, "domain.read");
    g_assert_null (perms[1]);
    g_assert_null (vb_gatekeeper_permissions_for_call ("org.libvirt.Domain", "NoSuchMethod", NULL));
  }
}

/* ---- the new object's identity in defines and creates ---- */

static char *
details_for (const char *interface, const char *method, GVariant *params)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (params);
  g_autoptr(GVariant) details = vb_gatekeeper_new_object_details (interface, method, owned);
  GVariantIter iter;
  const char *key, *value;
  g_autoptr(GString) out = g_string_new (NULL);

  if (details == NULL)
    return NULL;
  g_variant_iter_init (&iter, details);
  while (g_variant_iter_next (&iter, "{&s&s}", &key, &value))
    g_string_append_printf (out, "%s%s=%s", out->len ? " " : "", key, value);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_define_details (void)
{
  static const struct {
    const char *interface, *method, *xml;
    const char *details; /* NULL: none (malformed) */
  } cases[] = {
    { "org.libvirt.Connect", "DomainDefineXML",
      "<domain type='kvm'><name> vm1 </name><uuid>6695EB01F6A4830479AA97F2502E193F</uuid><memory>1</memory></domain>",
      "domain_name=vm1 domain_uuid=6695eb01-f6a4-8304-79aa-97f2502e193f" },
    { "org.libvirt.Connect", "DomainCreateXML", "<domain><name>vm2</name></domain>", "domain_name=vm2" },
    { "org.libvirt.Connect", "DomainCreateXMLWithFiles", "<domain><name>vm3</name><uuid>bad</uuid></domain>",
      "domain_name=vm3" },
    { "org.libvirt.Connect", "DomainDefineXML", "<domain><name>vm1</name>", NULL },  /* not well-formed */
    { "org.libvirt.Connect", "DomainDefineXML", "<network><name>n</name></network>", NULL }, /* wrong root */
    { "org.libvirt.Connect", "DomainDefineXML",
      "<!DOCTYPE domain [<!ENTITY x 'evil'>]><domain><name>&x;</name></domain>", NULL }, /* no DTDs */
    { "org.libvirt.Connect", "NetworkDefineXML",
      "<network><name>net</name><uuid>00000000-0000-0000-0000-000000000001</uuid></network>",
      "network_name=net network_uuid=00000000-0000-0000-0000-000000000001" },
    { "org.libvirt.Connect", "NetworkCreateXML", "<network><name>net2</name></network>", "network_name=net2" },
    { "org.libvirt.Connect", "StoragePoolDefineXML", "<pool type='dir'><name>p</name></pool>", "pool_name=p" },
    { "org.libvirt.Connect", "StoragePoolCreateXML", "<pool type='dir'><name>p2</name></pool>", "pool_name=p2" },
    { "org.libvirt.StoragePool", "StorageVolCreateXML", "<volume><name>v.img</name></volume>", "vol_name=v.img" },
    { "org.libvirt.StoragePool", "StorageVolCreateXMLFrom", "<volume><name>w.img</name></volume>",
      "vol_name=w.img" },
    { "org.libvirt.Connect", "InterfaceDefineXML",
      "<interface type='ethernet' name='eth9'><mac address='52:54:00:00:00:01'/></interface>",
      "interface_name=eth9 interface_macaddr=52:54:00:00:00:01" },
    { "org.libvirt.Connect", "SecretDefineXML",
      "<secret><uuid>00000000-0000-0000-0000-000000000002</uuid><usage type='volume'><volume>/a.img</volume>"
      "</usage></secret>",
      "secret_uuid=00000000-0000-0000-0000-000000000002 secret_usage_volume=/a.img" },
    { "org.libvirt.Connect", "SecretDefineXML", "<secret><usage type='ceph'><name>c</name></usage></secret>",
      "secret_usage_ceph=c" },
    { "org.libvirt.Connect", "SecretDefineXML",
      "<secret><usage type='iscsi'><target>t</target></usage></secret>", "secret_usage_target=t" },
    { "org.libvirt.Connect", "NWFilterDefineXML",
      "<filter name='f1'><uuid>00000000-0000-0000-0000-000000000003</uuid></filter>",
      "nwfilter_name=f1 nwfilter_uuid=00000000-0000-0000-0000-000000000003" },
    { "org.libvirt.Connect", "NodeDeviceCreateXML", "<device><name>scsi_host9</name></device>",
      "node_device_name=scsi_host9" },
    { "org.libvirt.Domain", "SnapshotCreateXML", "<domainsnapshot><name>s1</name></domainsnapshot>",
      "snapshot_name=s1" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *details = details_for (cases[i].interface, cases[i].method,
                                            g_variant_new ("(su)", cases[i].xml, 0));
    g_test_message ("%s %s", cases[i].method, cases[i].xml);
    g_assert_cmpstr (details, ==, cases[i].details);
  }
  /* Not a define: no new object. */
  g_assert_null (details_for ("org.libvirt.Domain", "GetXMLDesc", g_variant_new ("(u)", 0)));
  g_assert_null (details_for ("org.libvirt.Connect", "DomainLookupByName", g_variant_new ("(s)", "x")));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gatekeeper/every-member-mapped", test_every_member_mapped);
  g_test_add_func ("/gatekeeper/unmapped-denied", test_unmapped_denied);
  g_test_add_func ("/gatekeeper/libvirt-vocabulary", test_libvirt_vocabulary);
  g_test_add_func ("/gatekeeper/libvirt-acl-corrections", test_libvirt_acl_corrections);
  g_test_add_func ("/gatekeeper/policy-declares-every-permission", test_policy_declares_every_permission);
  g_test_add_func ("/gatekeeper/affect-config-needs-save", test_affect_config_needs_save);
  g_test_add_func ("/gatekeeper/other-flag-checks", test_other_flag_checks);
  g_test_add_func ("/gatekeeper/define-details", test_define_details);
  return g_test_run ();
}
