/* Tests for the host and domain capabilities builders
 * (service/xml/vb-capabilities.c). No parser exists, so every formatted
 * document is checked against libvirt's schema instead of a round trip. */
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "vb-capabilities.h"
#include "vb-xml.h"
#include "vb-test-util.h"


/* The host capabilities test:///default reports, rebuilt with the builder. */
static VbCapabilities *
build_test_driver_caps (void)
{
  VbCapabilities *caps = vb_capabilities_new ("i686");
  static const char *const os_types[] = { "hvm", "xen" };

  vb_capabilities_add_host_cpu_flag (caps, "pae");
  vb_capabilities_add_host_cpu_flag (caps, "nonpae");
  vb_capabilities_add_host_pages (caps, 4);
  vb_capabilities_add_host_pages (caps, 8);
  vb_capabilities_add_host_pages (caps, 2048);
  vb_capabilities_add_host_pages (caps, 1048576);
  caps->host.has_power_management = TRUE;
  caps->host.iommu = VB_CAPS_TRISTATE_NO;
  for (guint c = 0; c < 2; c++) {
    VbCapsCell *cell = vb_capabilities_add_cell (caps, c, 2097152ULL * (c + 1));
    vb_caps_cell_add_pages (cell, c == 0 ? 4 : 8, 524288);
    vb_caps_cell_add_pages (cell, 2048, 0);
    vb_caps_cell_add_pages (cell, 1048576, 0);
    for (guint i = 0; i < 8; i++) {
      g_autofree char *siblings = g_strdup_printf ("%u", c * 8 + i);
      vb_caps_cell_add_cpu (cell, c * 8 + i, c, 0, i, siblings);
    }
  }
  vb_capabilities_add_secmodel (caps, "testSecurity", "");
  for (gsize i = 0; i < G_N_ELEMENTS (os_types); i++) {
    VbCapsGuest *guest = vb_capabilities_add_guest (caps, os_types[i], "i686", 32, "/usr/bin/test-hv");
    vb_caps_guest_add_domain (guest, "test", NULL);
    vb_caps_guest_add_feature (guest, "pae");
    vb_caps_guest_add_feature (guest, "nonpae");
  }
  return caps;
}

static char *
drop_blank_lines (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GString *out = g_string_new (NULL);
  for (guint i = 0; lines[i]; i++)
    if (lines[i][0] != '\0')
      g_string_append_printf (out, "%s\n", lines[i]);
  return g_string_free (out, FALSE);
}

static void
test_caps_test_driver (void)
{
  /* `virsh -c test:///default capabilities`, apart from libvirt's blank
   * separator lines. */
  g_autoptr(VbCapabilities) caps = build_test_driver_caps ();
  g_autofree char *out = vb_capabilities_format (caps);
  g_autofree char *expected_raw = vb_test_read_sample ("capabilities", "test-default.xml");
  g_autofree char *expected = drop_blank_lines (expected_raw);

  g_assert_cmpstr (out, ==, expected);
  vb_test_schema_validate (out, "capability.rng");
  g_assert_nonnull (vb_capabilities_find_guest (caps, "xen", "i686", "test"));
  g_assert_null (vb_capabilities_find_guest (caps, "hvm", "x86_64", NULL));
  g_assert_null (vb_capabilities_find_guest (caps, "hvm", "i686", "kvm"));
}

static void
test_caps_full (void)
{
  g_autoptr(VbCapabilities) caps = vb_capabilities_new ("x86_64");
  VbCapsHost *host = &caps->host;
  VbCapsCell *cell;
  VbCapsSecModel *sm;
  VbCapsGuest *guest;
  VbCapsGuestDomain *kvm;

  g_strlcpy (host->uuid, "4c4c4544-004e-4810-805a-b5c04f4d5931", sizeof host->uuid);
  host->cpu_model = g_strdup ("Skylake-Client-IBRS");
  host->cpu_vendor = g_strdup ("Intel");
  host->has_cpu_topology = TRUE;
  host->cpu_sockets = 1;
  host->cpu_dies = 1;
  host->cpu_cores = 4;
  host->cpu_threads = 2;
  vb_capabilities_add_host_cpu_flag (caps, "vmx");
  vb_capabilities_add_host_cpu_feature (caps, "ds");
  vb_capabilities_add_host_cpu_feature (caps, "pdcm");
  vb_capabilities_add_host_pages (caps, 4);
  vb_capabilities_add_host_pages (caps, 2048);
  host->has_power_management = TRUE;
  host->suspend_mem = TRUE;
  host->suspend_disk = TRUE;
  host->suspend_hybrid = TRUE;
  host->iommu = VB_CAPS_TRISTATE_YES;
  host->migration_live = TRUE;
  vb_capabilities_add_migration_transport (caps, "tcp");
  vb_capabilities_add_migration_transport (caps, "rdma");
  cell = vb_capabilities_add_cell (caps, 0, 16210872);
  vb_caps_cell_add_pages (cell, 4, 4052718);
  vb_caps_cell_add_pages (cell, 2048, 0);
  vb_caps_cell_add_distance (cell, 0, 10);
  for (guint i = 0; i < 8; i++) {
    g_autofree char *siblings = g_strdup_printf ("%u,%u", i % 4, i % 4 + 4);
    vb_caps_cell_add_cpu (cell, i, 0, 0, i % 4, siblings);
  }
  cell = vb_capabilities_add_cell (caps, 1, 0);
  vb_caps_cell_add_cpu (cell, 8, 0, 0, 0, NULL);
  sm = vb_capabilities_add_secmodel (caps, "apparmor", "0");
  sm = vb_capabilities_add_secmodel (caps, "dac", "0");
  vb_caps_secmodel_add_baselabel (sm, "kvm", "+64055:+994");
  vb_caps_secmodel_add_baselabel (sm, "qemu", "+64055:+994");

  guest = vb_capabilities_add_guest (caps, "hvm", "x86_64", 64, "/usr/bin/qemu-system-x86_64");
  vb_caps_guest_add_machine (guest, "pc-i440fx-7.2", NULL, 255);
  vb_caps_guest_add_machine (guest, "pc", "pc-i440fx-7.2", 255);
  vb_caps_guest_add_machine (guest, "pc-q35-7.2", NULL, 288);
  vb_caps_guest_add_machine (guest, "pc-i440fx-2.0", NULL, 255)->deprecated = TRUE;
  vb_caps_guest_add_domain (guest, "qemu", NULL);
  kvm = vb_caps_guest_add_domain (guest, "kvm", "/usr/bin/kvm");
  vb_caps_guest_domain_add_machine (kvm, "q35", "pc-q35-7.2", 288);
  vb_caps_guest_add_feature_toggle (guest, "acpi", TRUE, TRUE);
  vb_caps_guest_add_feature_toggle (guest, "apic", FALSE, TRUE);
  vb_caps_guest_add_feature (guest, "cpuselection");
  vb_caps_guest_add_feature (guest, "deviceboot");
  vb_caps_guest_add_feature_toggle (guest, "disksnapshot", FALSE, TRUE);

  g_autofree char *out = vb_capabilities_format (caps);
  vb_test_schema_validate (out, "capability.rng");
  g_assert_nonnull (strstr (out, "<uuid>4c4c4544-004e-4810-805a-b5c04f4d5931</uuid>"));
  g_assert_nonnull (strstr (out, "<topology sockets='1' dies='1' cores='4' threads='2'/>"));
  g_assert_nonnull (strstr (out, "<machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>"));
  g_assert_nonnull (strstr (out, "<machine maxCpus='255' deprecated='yes'>pc-i440fx-2.0</machine>"));
  g_assert_nonnull (strstr (out, "<apic default='on' toggle='no'/>"));
  g_assert_nonnull (strstr (out, "<baselabel type='kvm'>+64055:+994</baselabel>"));
  g_assert_nonnull (strstr (out, "<uri_transport>rdma</uri_transport>"));
  g_assert_nonnull (strstr (out, "<sibling id='0' value='10'/>"));
  g_assert_nonnull (strstr (out, "<cpu id='8'/>"));
  g_assert_nonnull (strstr (out, "<cells num='2'>"));
  g_assert_true (vb_capabilities_find_guest (caps, "hvm", "x86_64", "kvm") == guest);
}

static void
test_caps_minimal (void)
{
  g_autoptr(VbCapabilities) caps = vb_capabilities_new ("aarch64");
  g_autofree char *out = vb_capabilities_format (caps);
  g_assert_cmpstr (out, ==,
                   "<capabilities>\n"
                   "  <host>\n"
                   "    <cpu>\n"
                   "      <arch>aarch64</arch>\n"
                   "    </cpu>\n"
                   "  </host>\n"
                   "</capabilities>\n");
  vb_test_schema_validate (out, "capability.rng");
}

static VbDomainCaps *
build_qemu_domain_caps (void)
{
  VbDomainCaps *caps = vb_domain_caps_new ("/usr/bin/qemu-system-x86_64", "kvm", "pc-q35-7.2", "x86_64");
  VbDomainCapsEnum *e;

  caps->vcpu_max = 288;
  vb_domain_caps_feature_set (&caps->iothreads, TRUE);
  vb_domain_caps_feature_add_enum (&caps->os, "firmware", "bios", "efi", NULL);
  vb_domain_caps_add_loader_value (caps, "/usr/share/OVMF/OVMF_CODE_4M.fd");
  vb_domain_caps_add_loader_value (caps, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd");
  vb_domain_caps_feature_add_enum (&caps->loader, "type", "rom", "pflash", NULL);
  vb_domain_caps_feature_add_enum (&caps->loader, "readonly", "yes", "no", NULL);
  vb_domain_caps_feature_add_enum (&caps->loader, "secure", "yes", "no", NULL);

  caps->has_cpu = TRUE;
  vb_domain_caps_feature_add_enum (&caps->cpu_host_passthrough, "hostPassthroughMigratable", "on", "off", NULL);
  vb_domain_caps_feature_add_enum (&caps->cpu_maximum, "maximumMigratable", "on", "off", NULL);
  caps->cpu_host_model_supported = TRUE;
  caps->cpu_host_model = g_strdup ("Skylake-Client-IBRS");
  caps->cpu_host_model_fallback = g_strdup ("forbid");
  caps->cpu_host_model_vendor = g_strdup ("Intel");
  vb_domain_caps_add_host_model_feature (caps, "require", "ss");
  vb_domain_caps_add_host_model_feature (caps, "disable", "hle");
  caps->cpu_custom_supported = TRUE;
  vb_domain_caps_add_custom_model (caps, "qemu64", "yes", "unknown", FALSE);
  vb_domain_caps_add_custom_model (caps, "Opteron_G2", "no", "AMD", TRUE);

  vb_domain_caps_feature_add_enum (&caps->memory_backing, "sourceType", "file", "anonymous", "memfd", NULL);
  vb_domain_caps_feature_add_enum (&caps->devices[VB_DOMAIN_CAPS_DEVICE_DISK], "diskDevice", "disk", "cdrom",
                                   "floppy", "lun", NULL);
  vb_domain_caps_feature_add_enum (&caps->devices[VB_DOMAIN_CAPS_DEVICE_DISK], "bus", "ide", "fdc", "scsi",
                                   "virtio", "usb", "sata", NULL);
  vb_domain_caps_feature_add_enum (&caps->devices[VB_DOMAIN_CAPS_DEVICE_GRAPHICS], "type", "sdl", "vnc", "spice",
                                   NULL);
  vb_domain_caps_feature_add_enum (&caps->devices[VB_DOMAIN_CAPS_DEVICE_VIDEO], "modelType", "vga", "cirrus",
                                   "virtio", "none", "bochs", "ramfb", NULL);
  e = vb_domain_caps_feature_add_enum (&caps->devices[VB_DOMAIN_CAPS_DEVICE_HOSTDEV], "mode", NULL);
  vb_domain_caps_enum_add_value (e, "subsystem");
  vb_domain_caps_feature_add_enum (&caps->devices[VB_DOMAIN_CAPS_DEVICE_HOSTDEV], "subsysType", "usb", "pci",
                                   "scsi", NULL);
  vb_domain_caps_feature_add_enum (&caps->devices[VB_DOMAIN_CAPS_DEVICE_RNG], "model", "virtio",
                                   "virtio-transitional", "virtio-non-transitional", NULL);
  vb_domain_caps_feature_add_enum (&caps->devices[VB_DOMAIN_CAPS_DEVICE_RNG], "backendModel", "random", "egd",
                                   "builtin", NULL);
  vb_domain_caps_feature_set (&caps->devices[VB_DOMAIN_CAPS_DEVICE_TPM], FALSE);
  vb_domain_caps_feature_set (&caps->features[VB_DOMAIN_CAPS_FEATURE_GIC], FALSE);
  vb_domain_caps_feature_set (&caps->features[VB_DOMAIN_CAPS_FEATURE_VMCOREINFO], TRUE);
  vb_domain_caps_feature_set (&caps->features[VB_DOMAIN_CAPS_FEATURE_GENID], TRUE);
  vb_domain_caps_feature_set (&caps->features[VB_DOMAIN_CAPS_FEATURE_BACKING_STORE_INPUT], TRUE);
  vb_domain_caps_feature_set (&caps->features[VB_DOMAIN_CAPS_FEATURE_BACKUP], TRUE);
  vb_domain_caps_feature_set (&caps->features[VB_DOMAIN_CAPS_FEATURE_SEV], TRUE);
  caps->has_sev_details = TRUE;
  caps->sev_cbitpos = 47;
  caps->sev_reduced_phys_bits = 1;
  caps->sev_max_guests = 15;
  caps->sev_max_es_guests = 0;
  vb_domain_caps_feature_add_enum (&caps->features[VB_DOMAIN_CAPS_FEATURE_HYPERV], "features", "relaxed", "vapic",
                                   NULL);
  return caps;
}

static void
test_domain_caps_full (void)
{
  g_autoptr(VbDomainCaps) caps = build_qemu_domain_caps ();
  g_autofree char *out = vb_domain_caps_format (caps);

  vb_test_schema_validate (out, "domaincaps.rng");
  g_assert_nonnull (strstr (out, "<vcpu max='288'/>\n  <iothreads supported='yes'/>\n"));
  g_assert_nonnull (strstr (out, "<os supported='yes'>\n"
                                 "    <enum name='firmware'>\n"
                                 "      <value>bios</value>\n"
                                 "      <value>efi</value>\n"
                                 "    </enum>\n"
                                 "    <loader supported='yes'>\n"
                                 "      <value>/usr/share/OVMF/OVMF_CODE_4M.fd</value>\n"));
  g_assert_nonnull (strstr (out, "<model fallback='forbid'>Skylake-Client-IBRS</model>"));
  g_assert_nonnull (strstr (out, "<feature policy='disable' name='hle'/>"));
  g_assert_nonnull (strstr (out, "<model usable='no' deprecated='yes' vendor='AMD'>Opteron_G2</model>"));
  g_assert_nonnull (strstr (out, "<tpm supported='no'/>"));
  g_assert_nonnull (strstr (out, "<gic supported='no'/>"));
  g_assert_nonnull (strstr (out, "<cbitpos>47</cbitpos>"));
}

static void
test_domain_caps_minimal (void)
{
  g_autoptr(VbDomainCaps) caps = vb_domain_caps_new ("/usr/bin/qemu-system-aarch64", "qemu", NULL, "aarch64");
  g_autofree char *out = NULL;

  caps->has_cpu = TRUE;
  out = vb_domain_caps_format (caps);
  g_assert_cmpstr (out, ==,
                   "<domainCapabilities>\n"
                   "  <path>/usr/bin/qemu-system-aarch64</path>\n"
                   "  <domain>qemu</domain>\n"
                   "  <arch>aarch64</arch>\n"
                   "  <cpu>\n"
                   "    <mode name='host-passthrough' supported='no'/>\n"
                   "    <mode name='maximum' supported='no'/>\n"
                   "    <mode name='host-model' supported='no'/>\n"
                   "    <mode name='custom' supported='no'/>\n"
                   "  </cpu>\n"
                   "</domainCapabilities>\n");
  vb_test_schema_validate (out, "domaincaps.rng");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/xml/capabilities/test-driver", test_caps_test_driver);
  g_test_add_func ("/xml/capabilities/full", test_caps_full);
  g_test_add_func ("/xml/capabilities/minimal", test_caps_minimal);
  g_test_add_func ("/xml/domain-capabilities/full", test_domain_caps_full);
  g_test_add_func ("/xml/domain-capabilities/minimal", test_domain_caps_minimal);
  return g_test_run ();
}
