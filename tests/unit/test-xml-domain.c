/* Tests for the domain XML model (service/xml/vb-domain-def.c). */
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "vb-domain-def.h"
#include "vb-error.h"
#include "vb-xml.h"
#include "vb-test-util.h"

/* ---- helpers ---- */

static char *
data_path (const char *name)
{
  const char *dir = g_getenv ("VB_TEST_DATA");
  return g_build_filename (dir ? dir : "tests/data", "xml", "domain", name, NULL);
}

static char *
load (const char *name)
{
  g_autofree char *path = data_path (name);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* Validates @xml against schema @schema_file; returns FALSE (after
 * g_test_skip) when the schema is not installed. */
static gboolean
schema_validate (const char *schema_file, const char *xml)
{
  return vb_test_schema_validate (xml, schema_file);
}

/* format(parse(format(def))) == format(def) for @flags; returns the output. */
static char *
assert_round_trip (const VbDomainDef *def, guint flags)
{
  g_autoptr(GError) error = NULL;
  char *out = vb_domain_def_format (def, flags);
  g_autoptr(VbDomainDef) again = vb_domain_def_parse (out, &error);
  if (again == NULL)
    g_printerr ("re-parse failed: %s\n%s\n", error->message, out);
  g_assert_no_error (error);
  g_autofree char *out2 = vb_domain_def_format (again, flags);
  g_assert_cmpstr (out, ==, out2);
  return out;
}

static VbDomainDef *
parse_ok (const char *xml)
{
  g_autoptr(GError) error = NULL;
  VbDomainDef *def = vb_domain_def_parse (xml, &error);
  if (def == NULL)
    g_printerr ("parse failed: %s\n", error->message);
  g_assert_no_error (error);
  return def;
}

/* Parses @xml expecting a VB_ERROR_XML error containing @needle. */
static void
parse_fails (const char *xml, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDef) def = vb_domain_def_parse (xml, &error);
  if (def != NULL)
    g_printerr ("unexpectedly parsed:\n%s\n", xml);
  g_assert_null (def);
  g_assert_nonnull (error);
  g_assert_true (error->domain == VB_ERROR);
  g_test_message ("  -> %s", error->message);
  if (strstr (error->message, needle) == NULL)
    g_printerr ("error '%s' lacks '%s'\n", error->message, needle);
  g_assert_nonnull (strstr (error->message, needle));
}

#define MINIMAL_HEAD \
  "<domain type='kvm'><name>m</name><memory>1024</memory><os><type>hvm</type></os>"

static char *
with_devices (const char *devices)
{
  return g_strdup_printf (MINIMAL_HEAD "<devices>%s</devices></domain>", devices);
}

/* <sysinfo>: entries in libvirt's order whatever the document's, empty
 * ones left out (and a section left empty), the system UUID made
 * canonical and given to a domain without <uuid>, fw_cfg entries in
 * order; copies equal. */
static void
test_sysinfo (void)
{
  static const char *const expected =
    "  <sysinfo type='smbios'>\n"
    "    <bios>\n"
    "      <entry name='vendor'>Acme &amp; Sons</entry>\n"
    "      <entry name='date'>01/31/2024</entry>\n"
    "      <entry name='release'>1.2</entry>\n"
    "    </bios>\n"
    "    <system>\n"
    "      <entry name='manufacturer'>OpenStack Foundation</entry>\n"
    "      <entry name='product'>OpenStack Nova</entry>\n"
    "      <entry name='serial'>s, with comma</entry>\n"
    "      <entry name='uuid'>c7a5fdbd-edaf-9455-926a-d65c16db1809</entry>\n"
    "      <entry name='family'>Virtual Machine</entry>\n"
    "    </system>\n"
    "    <baseBoard>\n"
    "      <entry name='manufacturer'>Board A</entry>\n"
    "    </baseBoard>\n"
    "    <baseBoard>\n"
    "      <entry name='product'>Board B</entry>\n"
    "      <entry name='location'>slot 2</entry>\n"
    "    </baseBoard>\n"
    "    <oemStrings>\n"
    "      <entry>myappname:some arbitrary data</entry>\n"
    "      <entry></entry>\n"
    "    </oemStrings>\n"
    "  </sysinfo>\n"
    "  <sysinfo type='fwcfg'>\n"
    "    <entry name='opt/com.example/name'>example value</entry>\n"
    "    <entry name='opt/com.example/config' file='/etc/example.xml'/>\n"
    "  </sysinfo>\n"
    "  <os>\n";
  g_autoptr(VbDomainDef) def = parse_ok (
    "<domain type='kvm'><name>nova</name><memory>1024</memory>"
    "<sysinfo type='smbios'><oemStrings><entry>myappname:some arbitrary data</entry><entry/></oemStrings>"
    "<baseBoard><entry name='manufacturer'>Board A</entry></baseBoard>"
    "<system><entry name='family'>Virtual Machine</entry><entry name='uuid'>C7A5FDBDEDAF9455926AD65C16DB1809</entry>"
    "<entry name='serial'>s, with comma</entry><entry name='version'></entry>"
    "<entry name='product'>OpenStack Nova</entry><entry name='manufacturer'>OpenStack Foundation</entry></system>"
    "<chassis><entry name='asset'></entry></chassis>"
    "<baseBoard><entry name='location'>slot 2</entry><entry name='product'>Board B</entry></baseBoard>"
    "<bios><entry name='release'>1.2</entry><entry name='date'>01/31/2024</entry>"
    "<entry name='vendor'>Acme &amp; Sons</entry></bios></sysinfo>"
    "<sysinfo type='fwcfg'><entry name='opt/com.example/name'>example value</entry>"
    "<entry name='opt/com.example/config' file='/etc/example.xml'/></sysinfo>"
    "<os><smbios mode='sysinfo'/><type>hvm</type></os></domain>");
  g_autoptr(VbDomainDef) copy = vb_domain_def_copy (def);
  g_autofree char *out = assert_round_trip (def, VB_DOMAIN_XML_INACTIVE);
  g_autofree char *out_copy = vb_domain_def_format (copy, VB_DOMAIN_XML_INACTIVE);
  const VbSysinfoDef *si;

  g_assert_cmpstr (out, ==, out_copy);
  g_assert_nonnull (strstr (out, expected));
  g_assert_nonnull (strstr (out, "<smbios mode='sysinfo'/>"));
  /* No <uuid>: the system's is the domain's. */
  g_assert_cmpstr (def->uuid, ==, "c7a5fdbd-edaf-9455-926a-d65c16db1809");
  g_assert_cmpuint (def->sysinfos->len, ==, 2);
  si = g_ptr_array_index (def->sysinfos, 0);
  g_assert_cmpint (si->type, ==, VB_SYSINFO_TYPE_SMBIOS);
  g_assert_null (si->chassis);
  g_assert_null (vb_sysinfo_get (si->system, "version"));
  g_assert_cmpstr (vb_sysinfo_get (si->bios, "release"), ==, "1.2");
  g_assert_cmpstr (vb_sysinfo_get (g_ptr_array_index (si->base_boards, 1), "location"), ==, "slot 2");
  si = g_ptr_array_index (def->sysinfos, 1);
  g_assert_cmpint (si->type, ==, VB_SYSINFO_TYPE_FWCFG);
  g_assert_cmpuint (si->fwcfg->len, ==, 2);
  if (!schema_validate ("domain.rng", out))
    return;

  /* The same UUID in <uuid>, another spelling: accepted. */
  {
    g_autoptr(VbDomainDef) same = parse_ok (
      MINIMAL_HEAD "<uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><sysinfo type='smbios'><system>"
      "<entry name='uuid'>c7a5fdbdedaf9455926ad65c16db1809</entry></system></sysinfo></domain>");
    g_assert_cmpstr (same->uuid, ==, "c7a5fdbd-edaf-9455-926a-d65c16db1809");
  }
  /* Empty sysinfos, as libvirt writes them. */
  {
    g_autoptr(VbDomainDef) empty = parse_ok (
      MINIMAL_HEAD "<sysinfo type='smbios'><bios><entry name='vendor'/></bios></sysinfo>"
      "<sysinfo type='fwcfg'/></domain>");
    g_autofree char *empty_out = assert_round_trip (empty, 0);
    g_assert_nonnull (strstr (empty_out, "  <sysinfo type='smbios'/>\n  <sysinfo type='fwcfg'/>\n"));
  }
  /* The host's, as GetSysinfo writes it: processors and memory skipped,
   * values as they are, the first of each section. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VbSysinfoDef) host = vb_sysinfo_def_parse_host (
      "<sysinfo type='smbios'><bios><entry name='vendor'>SeaBIOS</entry><entry name='date'>Mon 1 Jan</entry></bios>"
      "<system><entry name='uuid'>Not Settable</entry></system><chassis><entry name='version'>1</entry></chassis>"
      "<chassis><entry name='version'>2</entry></chassis><processor><entry name='family'>Other</entry></processor>"
      "<memory_device><entry name='size'>1 GB</entry></memory_device><oemStrings><entry>o</entry></oemStrings>"
      "</sysinfo>", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (vb_sysinfo_get (host->bios, "date"), ==, "Mon 1 Jan");
    g_assert_cmpstr (vb_sysinfo_get (host->system, "uuid"), ==, "Not Settable");
    g_assert_cmpstr (vb_sysinfo_get (host->chassis, "version"), ==, "1");
    g_assert_cmpuint (host->oem_strings->len, ==, 1);
    g_assert_null (vb_sysinfo_def_parse_host ("<sysinfo type='smbios'><cpu/></sysinfo>", &error));
    g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  }
}

/* ---- sample documents ---- */

/* Samples whose output the libvirt 9.0 schema cannot validate (models
 * added in later libvirt releases). */
static gboolean
sample_schema_checked (const char *name)
{
  return !g_str_has_prefix (name, "noschema-");
}

static void
test_samples (void)
{
  g_autofree char *dir_path = data_path ("");
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint count = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *xml = NULL;
    g_autoptr(VbDomainDef) def = NULL;
    const guint flag_sets[] = { 0, VB_DOMAIN_XML_INACTIVE, VB_DOMAIN_XML_SECURE,
                                VB_DOMAIN_XML_SECURE | VB_DOMAIN_XML_INACTIVE | VB_DOMAIN_XML_MIGRATABLE };

    if (!g_str_has_suffix (name, ".xml"))
      continue;
    g_test_message ("sample %s", name);
    xml = load (name);
    def = parse_ok (xml);
    for (gsize i = 0; i < G_N_ELEMENTS (flag_sets); i++) {
      g_autofree char *out = assert_round_trip (def, flag_sets[i]);
      g_autoptr(VbDomainDef) copy = vb_domain_def_copy (def);
      g_autofree char *out_copy = vb_domain_def_format (copy, flag_sets[i]);
      g_assert_cmpstr (out, ==, out_copy);
      if (sample_schema_checked (name) && !schema_validate ("domain.rng", out))
        return;
    }
    /* Persistent-config parsing must round-trip too. */
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VbDomainDef) inactive = vb_domain_def_parse_full (xml, VB_DOMAIN_PARSE_INACTIVE, &error);
      g_assert_no_error (error);
      g_assert_cmpint (inactive->id, ==, -1);
      g_free (assert_round_trip (inactive, 0));
    }
    count++;
  }
  g_assert_cmpuint (count, >=, 6);
}

static void
test_test_driver_xml (void)
{
  g_autofree char *xml = load ("test-default.xml");
  g_autoptr(VbDomainDef) def = parse_ok (xml);
  g_autofree char *out = NULL;
  const VbDomainDiskDef *disk;
  const VbDomainNetDef *net;

  g_assert_cmpint (def->virt_type, ==, VB_DOMAIN_VIRT_TEST);
  g_assert_cmpstr (vb_domain_virt_type_to_string (def->virt_type), ==, "test");
  g_assert_cmpstr (vb_domain_os_type_to_string (def->os.type), ==, "hvm");
  g_assert_cmpint (vb_domain_device_type_from_string ("interface"), ==, VB_DOMAIN_DEVICE_INTERFACE);
  g_assert_cmpint (vb_domain_lifecycle_action_from_string ("rename-restart"), ==, VB_DOMAIN_LIFECYCLE_RENAME_RESTART);
  g_assert_cmpint (def->id, ==, 1);
  g_assert_cmpstr (def->name, ==, "test");
  g_assert_cmpstr (def->uuid, ==, "6695eb01-f6a4-8304-79aa-97f2502e193f");
  g_assert_cmpuint (def->memory_kib, ==, 8388608);
  g_assert_cmpuint (def->current_memory_kib, ==, 2097152);
  g_assert_cmpuint (def->vcpus, ==, 2);
  g_assert_cmpuint (def->vcpus_current, ==, 2);
  g_assert_cmpint (def->vcpu_placement, ==, VB_DOMAIN_VCPU_PLACEMENT_STATIC);
  g_assert_cmpstr (def->os.arch, ==, "i686");
  g_assert_cmpuint (def->os.n_boot_devs, ==, 1);
  g_assert_cmpint (def->os.boot_devs[0], ==, VB_DOMAIN_BOOT_DISK);
  g_assert_cmpint (def->clock.offset, ==, VB_DOMAIN_CLOCK_UTC);
  g_assert_cmpint (def->on_reboot, ==, VB_DOMAIN_LIFECYCLE_RESTART);
  g_assert_cmpuint (def->disks->len, ==, 1);
  disk = g_ptr_array_index (def->disks, 0);
  g_assert_cmpstr (disk->src_path, ==, "/guest/diskimage1");
  g_assert_cmpstr (disk->dst, ==, "vda");
  g_assert_cmpint (disk->bus, ==, VB_DOMAIN_DISK_BUS_VIRTIO);
  g_assert_cmpint (disk->info.address.type, ==, VB_DOMAIN_ADDRESS_PCI);
  g_assert_cmpuint (disk->info.address.u.pci.bus, ==, 1);
  net = g_ptr_array_index (def->nets, 0);
  g_assert_cmpstr (net->mac, ==, "aa:bb:cc:dd:ee:ff");
  g_assert_false (net->mac_generated);
  g_assert_cmpstr (net->src_network, ==, "default");
  g_assert_cmpstr (net->target_dev, ==, "testnet0");
  g_assert_nonnull (def->memballoon);
  g_assert_cmpint (def->memballoon->model, ==, VB_DOMAIN_MEMBALLOON_VIRTIO);

  /* Our output is exactly what libvirt's test driver prints. */
  out = vb_domain_def_format (def, 0);
  g_assert_cmpstr (out, ==, xml);
}

static void
test_kvm_full (void)
{
  g_autofree char *xml = load ("kvm-q35-uefi.xml");
  g_autoptr(VbDomainDef) def = parse_ok (xml);
  g_autoptr(GError) error = NULL;
  const VbDomainDiskDef *d;
  const VbDomainControllerDef *c;
  const VbDomainNetDef *n;
  const VbDomainChrDef *chr;
  const VbDomainGraphicsDef *g;
  const VbDomainGraphicsListen *l;
  const VbDomainVideoDef *v;
  const VbDomainHostdevDef *h;
  const VbDomainRngDef *r;
  const VbDomainDiskBacking *b;
  g_autofree char *secure = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *meta = NULL;

  g_assert_cmpint (def->virt_type, ==, VB_DOMAIN_VIRT_KVM);
  g_assert_cmpint (def->id, ==, -1);
  g_assert_true (def->has_genid);
  g_assert_false (def->genid_generated);
  g_assert_cmpstr (def->title, ==, "Fedora workstation");
  g_assert_nonnull (strstr (def->description, "\nwith UEFI"));
  g_assert_cmpuint (def->metadata->len, ==, 2);
  meta = vb_domain_def_get_metadata (def, VB_DOMAIN_METADATA_ELEMENT, "urn:example:app", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (meta, "keep <b>me</b> verbatim"));
  g_assert_nonnull (strstr (meta, "xmlns:app=\"urn:example:app\""));

  g_assert_cmpuint (def->memory_kib, ==, 4 * 1024 * 1024);
  g_assert_cmpuint (def->current_memory_kib, ==, 3 * 1024 * 1024);
  g_assert_cmpuint (def->max_memory_kib, ==, 32ULL * 1024 * 1024);
  g_assert_cmpuint (def->max_memory_slots, ==, 16);
  g_assert_true (def->memory_backing.nosharepages);
  g_assert_cmpint (def->memory_backing.source, ==, VB_DOMAIN_MEMORY_SOURCE_MEMFD);
  g_assert_cmpint (def->memory_backing.access, ==, VB_DOMAIN_MEMORY_ACCESS_SHARED);
  g_assert_cmpuint (def->vcpus, ==, 4);
  g_assert_cmpuint (def->vcpus_current, ==, 2);
  g_assert_cmpstr (def->vcpu_cpuset, ==, "0-7,^3");
  g_assert_cmpuint (def->iothreads, ==, 2);
  g_assert_cmpstr (def->resource_partition, ==, "/machine");

  g_assert_cmpint (def->os.firmware, ==, VB_DOMAIN_FIRMWARE_EFI);
  g_assert_cmpstr (def->os.machine, ==, "pc-q35-8.2");
  g_assert_cmpint (def->os.fw_secure_boot, ==, VB_DOMAIN_TRISTATE_YES);
  g_assert_cmpint (def->os.loader_type, ==, VB_DOMAIN_LOADER_TYPE_PFLASH);
  g_assert_cmpint (def->os.loader_secure, ==, VB_DOMAIN_TRISTATE_YES);
  g_assert_cmpstr (def->os.loader_path, ==, "/usr/share/OVMF/OVMF_CODE.secboot.fd");
  g_assert_cmpstr (def->os.nvram_template, ==, "/usr/share/OVMF/OVMF_VARS.secboot.fd");
  g_assert_cmpuint (def->os.n_boot_devs, ==, 0); /* per-device boot order in use */
  g_assert_cmpint (def->os.bootmenu_enable, ==, VB_DOMAIN_TRISTATE_YES);
  g_assert_cmpuint (def->os.bootmenu_timeout, ==, 3000);
  g_assert_cmpint (def->os.smbios, ==, VB_DOMAIN_SMBIOS_HOST);

  g_assert_true (def->features.acpi);
  g_assert_true (def->features.apic);
  g_assert_false (def->features.pae);
  g_assert_cmpint (def->features.vmport, ==, VB_DOMAIN_TRISTATE_NO);
  g_assert_cmpint (def->features.smm, ==, VB_DOMAIN_TRISTATE_YES);
  g_assert_cmpint (def->features.kvm_hidden, ==, VB_DOMAIN_TRISTATE_YES);
  g_assert_cmpint (def->features.ioapic, ==, VB_DOMAIN_IOAPIC_KVM);

  g_assert_nonnull (def->cpu);
  g_assert_cmpint (def->cpu->mode, ==, VB_DOMAIN_CPU_MODE_HOST_PASSTHROUGH);
  g_assert_cmpint (def->cpu->check, ==, VB_DOMAIN_CPU_CHECK_NONE);
  g_assert_cmpint (def->cpu->migratable, ==, VB_DOMAIN_TRISTATE_YES);
  g_assert_cmpuint (def->cpu->cores, ==, 2);
  g_assert_cmpuint (def->cpu->features->len, ==, 1);

  g_assert_cmpint (def->clock.offset, ==, VB_DOMAIN_CLOCK_VARIABLE);
  g_assert_cmpint (def->clock.adjustment, ==, -3600);
  g_assert_cmpint (def->clock.basis, ==, VB_DOMAIN_CLOCK_BASIS_LOCALTIME);
  g_assert_cmpuint (def->clock.timers->len, ==, 4);
  g_assert_cmpint (((VbDomainTimerDef *) g_ptr_array_index (def->clock.timers, 0))->track, ==,
                   VB_DOMAIN_TIMER_TRACK_GUEST);
  g_assert_cmpint (def->on_crash, ==, VB_DOMAIN_LIFECYCLE_COREDUMP_RESTART);
  g_assert_cmpint (def->on_lockfailure, ==, VB_DOMAIN_LOCKFAILURE_PAUSE);
  g_assert_cmpint (def->pm_suspend_to_mem, ==, VB_DOMAIN_TRISTATE_NO);

  g_assert_cmpstr (def->emulator, ==, "/usr/bin/qemu-system-x86_64");
  g_assert_cmpuint (def->disks->len, ==, 5);
  d = g_ptr_array_index (def->disks, 0);
  g_assert_cmpstr (d->driver_format, ==, "qcow2");
  g_assert_cmpint (d->cache, ==, VB_DOMAIN_DISK_CACHE_DISABLE);
  g_assert_cmpint (d->io, ==, VB_DOMAIN_DISK_IO_NATIVE);
  g_assert_cmpint (d->discard, ==, VB_DOMAIN_DISK_DISCARD_UNMAP);
  g_assert_cmpuint (d->driver_iothread, ==, 1);
  g_assert_cmpuint (d->backing->len, ==, 2);
  g_assert_true (d->backing_terminated);
  b = g_ptr_array_index (d->backing, 1);
  g_assert_cmpint (b->type, ==, VB_DOMAIN_DISK_TYPE_BLOCK);
  g_assert_cmpstr (b->path, ==, "/dev/vg0/golden");
  g_assert_cmpuint (d->iotune.read_bytes_sec, ==, 10485760);
  g_assert_cmpuint (d->iotune.total_iops_sec, ==, 1000);
  g_assert_cmpstr (d->serial, ==, "QM-0001");
  g_assert_cmpuint (d->info.boot_order, ==, 1);
  g_assert_cmpstr (d->info.alias, ==, "ua-rootdisk");
  d = g_ptr_array_index (def->disks, 1);
  g_assert_cmpint (d->device, ==, VB_DOMAIN_DISK_DEVICE_LUN);
  g_assert_true (d->shareable);
  g_assert_cmpint (d->info.address.type, ==, VB_DOMAIN_ADDRESS_DRIVE);
  g_assert_cmpuint (d->info.address.u.drive.unit, ==, 1);
  d = g_ptr_array_index (def->disks, 2);
  g_assert_cmpint (d->device, ==, VB_DOMAIN_DISK_DEVICE_CDROM);
  g_assert_cmpint (d->startup_policy, ==, VB_DOMAIN_STARTUP_POLICY_OPTIONAL);
  g_assert_cmpint (d->tray, ==, VB_DOMAIN_DISK_TRAY_CLOSED);
  g_assert_true (d->readonly);
  d = g_ptr_array_index (def->disks, 3);
  g_assert_null (d->src_path); /* empty floppy drive */
  g_assert_cmpint (d->bus, ==, VB_DOMAIN_DISK_BUS_FDC);
  g_assert_true (vb_domain_def_find_disk (def, "/srv/iso/Fedora-39.iso") == g_ptr_array_index (def->disks, 2));
  g_assert_true (vb_domain_def_find_disk (def, "vdb") == g_ptr_array_index (def->disks, 4));
  g_assert_null (vb_domain_def_find_disk (def, "vdz"));

  c = g_ptr_array_index (def->controllers, 1);
  g_assert_cmpstr (c->model, ==, "pcie-root-port");
  g_assert_cmpstr (c->model_name, ==, "pcie-root-port");
  g_assert_cmpint (c->target_port, ==, 0x10);
  g_assert_cmpint (c->target_chassis, ==, 1);
  g_assert_cmpint (c->target_bus_nr, ==, -1);
  g_assert_cmpint (c->info.address.u.pci.multifunction, ==, VB_DOMAIN_TRISTATE_YES);
  c = g_ptr_array_index (def->controllers, 4);
  g_assert_cmpint (c->type, ==, VB_DOMAIN_CONTROLLER_SCSI);
  g_assert_cmpuint (c->driver_queues, ==, 4);

  n = g_ptr_array_index (def->nets, 0);
  g_assert_cmpstr (n->mac, ==, "52:54:00:ab:cd:01"); /* normalised to lowercase */
  g_assert_cmpstr (n->src_portgroup, ==, "lan");
  g_assert_cmpint (n->driver_name, ==, VB_DOMAIN_NET_DRIVER_VHOST);
  g_assert_cmpuint (n->mtu, ==, 9000);
  g_assert_cmpint (n->link_state, ==, VB_DOMAIN_NET_LINK_UP);
  g_assert_true (vb_domain_def_find_net_by_mac (def, "52:54:00:AB:CD:03") == g_ptr_array_index (def->nets, 2));
  g_assert_true (vb_domain_def_find_net_by_target (def, "tap-fedora") == g_ptr_array_index (def->nets, 1));
  n = g_ptr_array_index (def->nets, 2);
  g_assert_cmpint (n->src_mode, ==, VB_DOMAIN_NET_DIRECT_MODE_VEPA);

  chr = g_ptr_array_index (def->serials, 0);
  g_assert_cmpint (chr->type, ==, VB_DOMAIN_CHR_TYPE_PTY);
  g_assert_cmpstr (chr->target_model, ==, "isa-serial");
  g_assert_cmpint (chr->log_append, ==, VB_DOMAIN_TRISTATE_YES);
  chr = g_ptr_array_index (def->serials, 1);
  g_assert_cmpstr (chr->src_host, ==, "127.0.0.1");
  g_assert_cmpint (chr->protocol, ==, VB_DOMAIN_CHR_PROTOCOL_TELNET);
  chr = g_ptr_array_index (def->channels, 0);
  g_assert_cmpstr (chr->target_name, ==, "org.qemu.guest_agent.0");
  g_assert_cmpint (chr->info.address.type, ==, VB_DOMAIN_ADDRESS_VIRTIO_SERIAL);
  g_assert_cmpuint (chr->info.address.u.virtio_serial.port, ==, 1);

  g = g_ptr_array_index (def->graphics, 0);
  g_assert_cmpint (g->type, ==, VB_DOMAIN_GRAPHICS_SPICE);
  g_assert_true (g->autoport);
  g_assert_cmpstr (g->passwd, ==, "s3cret");
  l = g_ptr_array_index (g->listens, 0);
  g_assert_cmpstr (l->address, ==, "127.0.0.1");
  g = g_ptr_array_index (def->graphics, 1);
  g_assert_cmpint (g->port, ==, 5905);
  g_assert_false (g->autoport);
  l = g_ptr_array_index (g->listens, 0);
  g_assert_cmpint (l->type, ==, VB_DOMAIN_GRAPHICS_LISTEN_NETWORK);

  v = g_ptr_array_index (def->videos, 0);
  g_assert_cmpint (v->model, ==, VB_DOMAIN_VIDEO_QXL);
  g_assert_cmpuint (v->vgamem, ==, 16384);
  g_assert_true (v->primary);
  h = g_ptr_array_index (def->hostdevs, 0);
  g_assert_true (h->managed);
  g_assert_cmpuint (h->pci_slot, ==, 0x12);
  g_assert_cmpstr (h->driver_name, ==, "vfio");
  h = g_ptr_array_index (def->hostdevs, 1);
  g_assert_cmpuint (h->usb_vendor, ==, 0x046d);
  g_assert_cmpuint (h->usb_device, ==, 4);
  g_assert_cmpint (((VbDomainSoundDef *) g_ptr_array_index (def->sounds, 0))->model, ==, VB_DOMAIN_SOUND_ICH9);
  g_assert_cmpint (((VbDomainAudioDef *) g_ptr_array_index (def->audios, 0))->type, ==, VB_DOMAIN_AUDIO_SPICE);
  g_assert_cmpint (def->memballoon->autodeflate, ==, VB_DOMAIN_TRISTATE_YES);
  g_assert_cmpuint (def->memballoon->stats_period, ==, 10);
  r = g_ptr_array_index (def->rngs, 0);
  g_assert_cmpstr (r->source, ==, "/dev/urandom");
  g_assert_cmpuint (r->rate_bytes, ==, 1024);
  r = g_ptr_array_index (def->rngs, 1);
  g_assert_cmpint (r->backend, ==, VB_DOMAIN_RNG_BACKEND_BUILTIN);
  g_assert_cmpint (((VbDomainWatchdogDef *) g_ptr_array_index (def->watchdogs, 0))->action, ==,
                   VB_DOMAIN_WATCHDOG_ACTION_RESET);
  g_assert_cmpint (((VbDomainPanicDef *) g_ptr_array_index (def->panics, 0))->info.address.u.isa.iobase, ==, 0x505);
  g_assert_cmpint (((VbDomainTpmDef *) g_ptr_array_index (def->tpms, 0))->model, ==, VB_DOMAIN_TPM_MODEL_CRB);
  g_assert_cmpstr (((VbDomainFsDef *) g_ptr_array_index (def->filesystems, 0))->dst, ==, "export");
  g_assert_cmpuint (def->seclabels->len, ==, 2);

  /* Passwords only with the SECURE flag. */
  secure = vb_domain_def_format (def, VB_DOMAIN_XML_SECURE);
  plain = vb_domain_def_format (def, 0);
  g_assert_nonnull (strstr (secure, "passwd='s3cret'"));
  g_assert_null (strstr (plain, "s3cret"));
}

static void
test_defaults (void)
{
  g_autoptr(VbDomainDef) def = parse_ok (MINIMAL_HEAD "</domain>");
  g_autoptr(VbDomainDef) def2 = NULL;
  g_autofree char *out = NULL;

  g_assert_true (g_uuid_string_is_valid (def->uuid));
  g_assert_cmpuint (def->memory_kib, ==, 1024);
  g_assert_cmpuint (def->current_memory_kib, ==, 1024);
  g_assert_cmpuint (def->vcpus, ==, 1);
  g_assert_cmpuint (def->vcpus_current, ==, 1);
  g_assert_cmpstr (def->os.arch, ==, "x86_64");
  g_assert_cmpuint (def->os.n_boot_devs, ==, 1);
  g_assert_cmpint (def->os.boot_devs[0], ==, VB_DOMAIN_BOOT_DISK);
  g_assert_cmpint (def->on_poweroff, ==, VB_DOMAIN_LIFECYCLE_DESTROY);
  g_assert_cmpint (def->on_crash, ==, VB_DOMAIN_LIFECYCLE_DESTROY);
  g_assert_cmpint (def->clock.offset, ==, VB_DOMAIN_CLOCK_UTC);
  out = assert_round_trip (def, 0);
  if (!schema_validate ("domain.rng", out))
    return;

  /* The test driver's default architecture is i686. */
  def2 = parse_ok ("<domain type='test'><name>t</name><memory unit='MiB'>1</memory>"
                   "<currentMemory unit='GiB'>1</currentMemory><vcpu>2</vcpu>"
                   "<os><type>hvm</type></os></domain>");
  g_assert_cmpstr (def2->os.arch, ==, "i686");
  /* currentMemory above memory is clamped, as libvirt does. */
  g_assert_cmpuint (def2->current_memory_kib, ==, 1024);
  g_assert_cmpuint (def2->vcpus_current, ==, 2);

  /* Generated genid: kept live, written empty in the persistent config. */
  {
    g_autoptr(VbDomainDef) g = parse_ok (MINIMAL_HEAD "<genid/></domain>");
    g_autofree char *live = vb_domain_def_format (g, 0);
    g_autofree char *inactive = vb_domain_def_format (g, VB_DOMAIN_XML_INACTIVE);
    g_assert_true (g->genid_generated);
    g_assert_nonnull (strstr (live, g->genid));
    g_assert_nonnull (strstr (inactive, "<genid/>"));
  }

  /* vb_domain_def_new() makes a formattable def once named. */
  {
    g_autoptr(VbDomainDef) n = vb_domain_def_new ();
    n->name = g_strdup ("fresh");
    n->memory_kib = n->current_memory_kib = 2048;
    g_assert_true (vb_domain_def_validate (n, NULL));
    g_free (assert_round_trip (n, 0));
  }
}

static void
test_live_vs_inactive (void)
{
  g_autofree char *xml = load ("kvm-live.xml");
  g_autoptr(VbDomainDef) def = parse_ok (xml);
  g_autoptr(GError) error = NULL;
  g_autofree char *live = vb_domain_def_format (def, 0);
  g_autofree char *inactive = vb_domain_def_format (def, VB_DOMAIN_XML_INACTIVE);
  g_autoptr(VbDomainDef) cfg = vb_domain_def_parse_full (xml, VB_DOMAIN_PARSE_INACTIVE, &error);
  g_autofree char *cfg_out = NULL;
  const VbDomainGraphicsDef *g;

  g_assert_no_error (error);
  g_assert_cmpint (def->id, ==, 7);
  g = g_ptr_array_index (def->graphics, 0);
  g_assert_cmpint (g->port, ==, 5900);
  g_assert_true (g->autoport);

  g_assert_nonnull (strstr (live, "id='7'"));
  g_assert_nonnull (strstr (live, "vnet3"));
  g_assert_nonnull (strstr (live, "alias name='net0'"));
  g_assert_nonnull (strstr (live, "alias name='ua-disk'"));
  g_assert_nonnull (strstr (live, "/dev/pts/4"));
  g_assert_nonnull (strstr (live, "port='5900'"));
  g_assert_nonnull (strstr (live, "svirt_image_t"));
  g_assert_nonnull (strstr (live, "portid="));
  g_assert_nonnull (strstr (live, "state='connected'"));
  g_assert_nonnull (strstr (live, "index='2'"));

  g_assert_null (strstr (inactive, "id='7'"));
  g_assert_null (strstr (inactive, "vnet3"));
  g_assert_null (strstr (inactive, "alias name='net0'"));
  g_assert_nonnull (strstr (inactive, "alias name='ua-disk'"));
  g_assert_null (strstr (inactive, "/dev/pts/4"));
  g_assert_null (strstr (inactive, "port='5900'"));
  g_assert_nonnull (strstr (inactive, "port='-1' autoport='yes'"));
  g_assert_null (strstr (inactive, "svirt"));
  g_assert_null (strstr (inactive, "portid="));
  g_assert_null (strstr (inactive, "state='connected'"));
  g_assert_null (strstr (inactive, "index='2'"));
  g_assert_nonnull (strstr (inactive, "<target dev='mytap'/>")); /* user-chosen names stay */

  /* Parsing as persistent config drops the same data (a dynamic seclabel
   * stays, without its generated labels). */
  cfg_out = vb_domain_def_format (cfg, 0);
  g_assert_null (strstr (cfg_out, "svirt"));
  g_assert_nonnull (strstr (cfg_out, "<seclabel type='dynamic' model='selinux' relabel='yes'/>"));
  g_clear_pointer (&cfg_out, g_free);
  cfg_out = vb_domain_def_format (cfg, VB_DOMAIN_XML_INACTIVE);
  g_assert_cmpstr (cfg_out, ==, inactive);
}

static void
test_metadata_api (void)
{
  g_autoptr(VbDomainDef) def = parse_ok (MINIMAL_HEAD "</domain>");
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  char *s;

  s = vb_domain_def_get_metadata (def, VB_DOMAIN_METADATA_TITLE, NULL, &error);
  g_assert_null (s);
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (vb_domain_def_set_metadata (def, VB_DOMAIN_METADATA_TITLE, NULL, NULL, "My VM", &error));
  g_assert_true (vb_domain_def_set_metadata (def, VB_DOMAIN_METADATA_DESCRIPTION, "", "", "line 1\nline 2", &error));
  g_assert_no_error (error);
  g_assert_false (vb_domain_def_set_metadata (def, VB_DOMAIN_METADATA_TITLE, NULL, NULL, "two\nlines", &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_clear_error (&error);
  s = vb_domain_def_get_metadata (def, VB_DOMAIN_METADATA_TITLE, NULL, &error);
  g_assert_cmpstr (s, ==, "My VM");
  g_free (s);

  g_assert_true (vb_domain_def_set_metadata (def, VB_DOMAIN_METADATA_ELEMENT, "app", "http://example.org/app/",
                                             "<config><opt name='x'>1</opt></config>", &error));
  g_assert_no_error (error);
  g_assert_true (vb_domain_def_set_metadata (def, VB_DOMAIN_METADATA_ELEMENT, "other", "urn:other",
                                             "<?xml version='1.0'?><data/>", &error));
  g_assert_no_error (error);
  s = vb_domain_def_get_metadata (def, VB_DOMAIN_METADATA_ELEMENT, "http://example.org/app/", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s, ==, "<app:config xmlns:app=\"http://example.org/app/\"><opt name=\"x\">1</opt></app:config>");
  g_free (s);

  /* Replace keeps one element per namespace. */
  g_assert_true (vb_domain_def_set_metadata (def, VB_DOMAIN_METADATA_ELEMENT, "app2", "http://example.org/app/",
                                             "<config2/>", &error));
  g_assert_cmpuint (def->metadata->len, ==, 2);
  s = vb_domain_def_get_metadata (def, VB_DOMAIN_METADATA_ELEMENT, "http://example.org/app/", &error);
  g_assert_cmpstr (s, ==, "<app2:config2 xmlns:app2=\"http://example.org/app/\"/>");
  g_free (s);

  out = assert_round_trip (def, 0);
  if (!schema_validate ("domain.rng", out))
    return;

  /* Bad input. */
  g_assert_false (vb_domain_def_set_metadata (def, VB_DOMAIN_METADATA_ELEMENT, "app", "urn:x", "<a/><b/>", &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  g_clear_error (&error);
  g_assert_false (vb_domain_def_set_metadata (def, VB_DOMAIN_METADATA_ELEMENT, "app", "urn:x", "<a>", &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  g_clear_error (&error);
  g_assert_false (vb_domain_def_set_metadata (def, VB_DOMAIN_METADATA_ELEMENT, "1bad", "urn:x", "<a/>", &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_clear_error (&error);
  g_assert_false (vb_domain_def_set_metadata (def, VB_DOMAIN_METADATA_ELEMENT, "app", NULL, "<a/>", &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_clear_error (&error);
  g_assert_false (vb_domain_def_set_metadata (def, 7, NULL, NULL, "x", &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_clear_error (&error);

  /* Removal. */
  g_assert_true (vb_domain_def_set_metadata (def, VB_DOMAIN_METADATA_ELEMENT, NULL, "urn:other", NULL, &error));
  g_assert_true (vb_domain_def_set_metadata (def, VB_DOMAIN_METADATA_TITLE, NULL, NULL, "", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (def->metadata->len, ==, 1);
  g_assert_null (def->title);
  s = vb_domain_def_get_metadata (def, VB_DOMAIN_METADATA_ELEMENT, "urn:other", &error);
  g_assert_null (s);
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Namespaces declared on <domain> itself are carried into the element. */
  {
    g_autoptr(VbDomainDef) d = parse_ok ("<domain type='kvm' xmlns:z='urn:z'><name>m</name><memory>1024</memory>"
                                         "<os><type>hvm</type></os><metadata><z:x z:a='1'/></metadata></domain>");
    g_autofree char *m = vb_domain_def_get_metadata (d, VB_DOMAIN_METADATA_ELEMENT, "urn:z", &error);
    g_autofree char *o = NULL;
    g_assert_no_error (error);
    g_assert_cmpstr (m, ==, "<z:x xmlns:z=\"urn:z\" z:a=\"1\"/>");
    o = assert_round_trip (d, 0);
  }
}

static void
test_device_api (void)
{
  g_autofree char *xml = load ("kvm-q35-uefi.xml");
  g_autoptr(VbDomainDef) def = parse_ok (xml);
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDeviceDef) disk = NULL;
  g_autoptr(VbDomainDeviceDef) disk2 = NULL;
  g_autoptr(VbDomainDeviceDef) net = NULL;
  g_autoptr(VbDomainDeviceDef) removed = NULL;
  g_autoptr(VbDomainDeviceDef) copy = NULL;
  g_autofree char *fragment = NULL;
  guint ndisks = def->disks->len;

  disk = vb_domain_device_def_parse ("<?xml version='1.0'?>\n<disk type='file' device='disk'>"
                                     "<source file='/images/new.img'/><target dev='vdc' bus='virtio'/></disk>",
                                     &error);
  g_assert_no_error (error);
  g_assert_cmpint (disk->type, ==, VB_DOMAIN_DEVICE_DISK);
  g_assert_cmpstr (disk->data.disk->dst, ==, "vdc");
  fragment = vb_domain_device_def_format (disk, 0);
  g_assert_cmpstr (fragment, ==,
                   "<disk type='file' device='disk'>\n"
                   "  <source file='/images/new.img'/>\n"
                   "  <target dev='vdc' bus='virtio'/>\n"
                   "</disk>\n");
  copy = vb_domain_device_def_copy (disk);
  g_assert_cmpstr (copy->data.disk->src_path, ==, "/images/new.img");

  g_assert_true (vb_domain_def_add_device (def, disk, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (def->disks->len, ==, ndisks + 1);
  /* Same target again: refused. */
  g_assert_false (vb_domain_def_add_device (def, disk, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_cmpint (vb_domain_def_find_device (def, disk, &error), ==, (int) ndisks);

  /* Update: a new medium for the cdrom keeps its address. */
  disk2 = vb_domain_device_def_parse ("<disk type='file' device='cdrom'><source file='/srv/iso/other.iso'/>"
                                      "<target dev='sdb' bus='sata'/></disk>", &error);
  g_assert_no_error (error);
  g_assert_true (vb_domain_def_update_device (def, disk2, &error));
  g_assert_no_error (error);
  {
    const VbDomainDiskDef *d = vb_domain_def_find_disk_by_target (def, "sdb");
    g_assert_cmpstr (d->src_path, ==, "/srv/iso/other.iso");
    g_assert_cmpint (d->info.address.type, ==, VB_DOMAIN_ADDRESS_DRIVE);
  }

  /* Detach by target only. */
  removed = vb_domain_def_remove_device (def, disk, &error);
  g_assert_no_error (error);
  g_assert_nonnull (removed);
  g_assert_cmpuint (def->disks->len, ==, ndisks);
  g_assert_null (vb_domain_def_remove_device (def, disk, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_pointer (&removed, vb_domain_device_def_free);

  /* Interfaces: by MAC; a description without a MAC matches only when unique. */
  net = vb_domain_device_def_parse ("<interface type='network'><mac address='52:54:00:AB:CD:05'/>"
                                    "<source network='default'/></interface>", &error);
  g_assert_no_error (error);
  g_assert_cmpint (vb_domain_def_find_device (def, net, &error), ==, 4);
  g_assert_false (vb_domain_def_add_device (def, net, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_EXISTS);
  g_clear_error (&error);
  g_clear_pointer (&net, vb_domain_device_def_free);
  net = vb_domain_device_def_parse ("<interface type='network'><source network='default'/></interface>", &error);
  g_assert_true (net->data.net->mac_generated);
  g_assert_cmpint (vb_domain_def_find_device (def, net, &error), ==, -1);
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG); /* five interfaces match */
  g_clear_error (&error);
  g_assert_true (vb_domain_def_add_device (def, net, &error));
  g_assert_no_error (error);
  g_clear_pointer (&net, vb_domain_device_def_free);

  /* Other device kinds. */
  {
    const struct { const char *xml; int expect_idx; } finds[] = {
      { "<controller type='scsi' index='0'/>", 4 },
      { "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='6' slot='0x12' function='5'/></source></hostdev>", 0 },
      { "<hostdev mode='subsystem' type='usb'><source><vendor id='0x046d'/><product id='0xc52b'/></source></hostdev>", 1 },
      { "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>", 0 },
      { "<serial type='tcp'><source mode='bind' service='1'/><target port='1'/></serial>", 1 },
      { "<video><model type='virtio'/></video>", 1 },
      { "<memballoon model='virtio'/>", 0 },
      { "<rng model='virtio-non-transitional'><backend model='builtin'/></rng>", 1 },
      { "<watchdog model='i6300esb'/>", 0 },
      { "<filesystem><source dir='/x'/><target dir='export'/></filesystem>", 0 },
      { "<graphics type='vnc'/>", 1 },
      { "<audio id='1' type='none'/>", 0 },
      { "<tpm><backend type='emulator'/></tpm>", 0 },
      { "<input type='mouse'/>", 1 },
      { "<sound model='ich9'/>", 0 },
      { "<panic model='isa'/>", 0 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (finds); i++) {
      g_autoptr(VbDomainDeviceDef) dev = vb_domain_device_def_parse (finds[i].xml, &error);
      g_assert_no_error (error);
      g_test_message ("find %s", finds[i].xml);
      g_assert_cmpint (vb_domain_def_find_device (def, dev, &error), ==, finds[i].expect_idx);
      g_assert_no_error (error);
    }
  }

  /* A second memballoon or a clashing boot order is refused; def unchanged. */
  {
    g_autoptr(VbDomainDeviceDef) mb = vb_domain_device_def_parse ("<memballoon model='none'/>", &error);
    g_autoptr(VbDomainDeviceDef) boot = vb_domain_device_def_parse (
      "<disk type='file'><source file='/a'/><target dev='vdq'/><boot order='1'/></disk>", &error);
    g_autoptr(VbDomainDeviceDef) ctl = vb_domain_device_def_parse ("<controller type='usb' model='ehci'/>", &error);
    g_assert_no_error (error);
    g_assert_false (vb_domain_def_add_device (def, mb, &error));
    g_assert_error (error, VB_ERROR, VB_ERROR_EXISTS);
    g_clear_error (&error);
    g_assert_false (vb_domain_def_add_device (def, boot, &error));
    g_assert_nonnull (strstr (error->message, "boot order 1"));
    g_clear_error (&error);
    g_assert_null (vb_domain_def_find_disk (def, "vdq"));
    g_assert_cmpuint (ctl->data.controller->index, ==, 0);
    g_assert_false (vb_domain_def_add_device (def, ctl, &error));
    g_assert_error (error, VB_ERROR, VB_ERROR_EXISTS);
    g_clear_error (&error);
  }

  /* The edited def still round-trips and validates. */
  {
    g_autofree char *out = assert_round_trip (def, 0);
    schema_validate ("domain.rng", out);
  }

  /* Fragment errors. */
  {
    const char *bad[] = {
      "", "<disk/><disk/>", "<emulator>/bin/x</emulator>", "<hub type='usb'/>",
      "<disk type='file'><source file='/a'/><target dev='vda'/><bogus/></disk>", "text",
    };
    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
      g_autoptr(VbDomainDeviceDef) dev = vb_domain_device_def_parse (bad[i], &error);
      g_assert_null (dev);
      g_assert_error (error, VB_ERROR, VB_ERROR_XML);
      g_clear_error (&error);
    }
  }
}

static void
test_negative (void)
{
  static const struct { const char *devices; const char *needle; } bad_devices[] = {
    { "<disk type='file'><source file='/a'/><target dev='vda'/><geometry cyls='1'/></disk>", "<geometry>" },
    { "<disk type='file' snapshot='no'><source file='/a'/><target dev='vda'/></disk>", "'snapshot'" },
    { "<disk type='network'><target dev='vda'/></disk>", "'network'" },
    { "<disk type='file'><source file='/a'/><target dev='vda'/></disk>"
      "<disk type='file'><source file='/b'/><target dev='vda'/></disk>", "vda" },
    { "<disk type='file'><target dev='vda'/></disk>", "<source>" },
    { "<disk type='file'><source file='a'/><target dev='vda'/></disk>", "absolute path" },
    { "<disk type='file'><source file='/a'/><target dev='zz'/></disk>", "disk target" },
    { "<disk type='file'><source file='/a'/><target dev='vda'/><driver type='qcow9'/></disk>", "qcow9" },
    { "<disk type='file'><source file='/a'/></disk>", "<target>" },
    { "<disk type='file' device='lun'><source file='/a'/><target dev='sda'/></disk>", "lun" },
    { "<disk type='file'><source file='/a'/><target dev='vda'/><iotune><total_bytes_sec>1</total_bytes_sec>"
      "<read_bytes_sec>2</read_bytes_sec></iotune></disk>", "total_bytes_sec" },
    { "<disk type='file'><source file='/a'/><target dev='vda' tray='open'/></disk>", "tray" },
    { "<interface type='network'><mac address='01:00:00:00:00:01'/><source network='n'/></interface>", "MAC" },
    { "<interface type='network'><mac address='52:54:00:00:00:01'/><source network='n'/></interface>"
      "<interface type='user'><mac address='52:54:00:00:00:01'/></interface>", "52:54:00:00:00:01" },
    { "<interface type='vhostuser'/>", "vhostuser" },
    { "<interface type='network'><source network='n'/><virtualport type='openvswitch'/></interface>", "<virtualport>" },
    { "<interface type='bridge'/>", "bridge" },
    { "<interface type='user'><source dev='x'/></interface>", "<source>" },
    { "<controller type='pci' index='0'/>", "model" },
    { "<controller type='scsi' model='bogus'/>", "bogus" },
    { "<controller type='usb' index='0'/><controller type='usb' index='0'/>", "index 0" },
    { "<controller type='sata' index='0' model='x'/>", "'model'" },
    { "<graphics type='sdl'/>", "sdl" },
    { "<graphics type='vnc' port='70000'/>", "port" },
    { "<graphics type='vnc' listen='1.2.3.4'><listen type='address' address='5.6.7.8'/></graphics>", "listen" },
    { "<graphics type='vnc'><image compression='off'/></graphics>", "<image>" },
    { "<graphics type='spice'><video compression='off'/></graphics>", "<video>" },
    { "<video><model type='qxl' primary='yes'/></video><video><model type='vga' primary='yes'/></video>", "primary" },
    { "<video/>", "<model" },
    { "<video><model type='vga' ram='1'/></video>", "'ram'" },
    { "<input type='evdev'/>", "evdev" },
    { "<input type='tablet' bus='ps2'/>", "ps2" },
    { "<sound model='ich9'><audio id='3'/></sound>", "audio id 3" },
    { "<audio id='1' type='none'/><audio id='1' type='spice'/>", "audio id 1" },
    { "<hostdev mode='capabilities' type='storage'/>", "capabilities" },
    { "<hostdev mode='subsystem' type='scsi'/>", "scsi" },
    { "<hostdev mode='subsystem' type='usb'><source/></hostdev>", "vendor" },
    { "<memballoon model='virtio'/><memballoon model='none'/>", "memballoon" },
    { "<rng model='virtio'><backend model='random'>/etc/passwd</backend></rng>", "/etc/passwd" },
    { "<rng model='virtio'><backend model='egd' type='tcp'/></rng>", "egd" },
    { "<watchdog model='bogus'/>", "bogus" },
    { "<channel type='pty'><target type='guestfwd' address='1.2.3.4' port='1'/></channel>", "guestfwd" },
    { "<channel type='pty'/>", "<target" },
    { "<serial type='udp'/>", "udp" },
    { "<serial type='null'><source path='/x'/></serial>", "no <source>" },
    { "<serial type='file'/>", "<source path" },
    { "<smartcard mode='host'/>", "<smartcard>" },
    { "<filesystem type='block'><source dev='/dev/x'/><target dir='t'/></filesystem>", "block" },
    { "<tpm><backend type='external'/></tpm>", "external" },
    { "<panic model='bogus'/>", "bogus" },
    { "<emulator>/a</emulator><emulator>/b</emulator>", "only once" },
    { "<disk type='file'><source file='/a'/><target dev='vda'/><boot order='1'/></disk>"
      "<interface type='user'><boot order='1'/></interface>", "boot order 1" },
    { "<disk type='file'><source file='/a'/><target dev='vda'/><address type='pci' slot='0x20'/></disk>", "slot" },
    { "<disk type='file'><source file='/a'/><target dev='vda'/><address type='ccw'/></disk>", "ccw" },
    { "<disk type='file'><source file='/a'/><target dev='vda'/><address type='usb' bus='0' port='1.x'/></disk>", "port" },
    { "<disk type='file'><source file='/a'/><target dev='vda'/><alias name='a b'/></disk>", "alias" },
    { "<disk type='file'><source file='/a'/><target dev='vda'/><driver iothread='1'/></disk>", "iothread" },
    { "<disk type='file'><source file='/a'><seclabel relabel='no'/></source><target dev='vda'/></disk>", "<seclabel>" },
  };
  static const struct { const char *xml; const char *needle; } bad_docs[] = {
    { "<domain type='xen'><name>x</name><memory>1</memory><os><type>hvm</type></os></domain>", "xen" },
    { "<domain type='kvm'><memory>1</memory><os><type>hvm</type></os></domain>", "<name>" },
    { "<domain type='kvm'><name>a/b</name><memory>1</memory><os><type>hvm</type></os></domain>", "'/'" },
    { "<domain type='kvm'><name></name><memory>1</memory><os><type>hvm</type></os></domain>", "empty" },
    { "<domain type='kvm'><name>x</name><name>y</name><memory>1</memory><os><type>hvm</type></os></domain>", "only once" },
    { "<domain type='kvm'><name>x</name><os><type>hvm</type></os></domain>", "<memory>" },
    { "<domain type='kvm'><name>x</name><memory>0</memory><os><type>hvm</type></os></domain>", "greater than 0" },
    { "<domain type='kvm'><name>x</name><memory unit='EiB'>99999</memory><os><type>hvm</type></os></domain>", "memory" },
    { "<domain type='kvm'><name>x</name><memory>1</memory></domain>", "<os>" },
    { "<domain type='kvm'><name>x</name><memory>1</memory><os><type>exe</type></os></domain>", "exe" },
    { "<domain type='kvm'><name>x</name><memory>1</memory><os><type arch='z80'>hvm</type></os></domain>", "z80" },
    { MINIMAL_HEAD "<vcpu>0</vcpu></domain>", "vcpu" },
    { MINIMAL_HEAD "<vcpu current='3'>2</vcpu></domain>", "current" },
    { MINIMAL_HEAD "<vcpu>99999999999999999999</vcpu></domain>", "vcpu" },
    { MINIMAL_HEAD "<vcpu placement='sometimes'>2</vcpu></domain>", "sometimes" },
    { MINIMAL_HEAD "<vcpu cpuset='3-1'>2</vcpu></domain>", "cpuset" },
    { MINIMAL_HEAD "<uuid>not-a-uuid</uuid></domain>", "UUID" },
    { MINIMAL_HEAD "<cputune><shares>1</shares></cputune></domain>", "<cputune>" },
    { MINIMAL_HEAD "<sysinfo/></domain>", "missing attribute 'type'" },
    { MINIMAL_HEAD "<sysinfo type='acpi'/></domain>", "acpi" },
    { MINIMAL_HEAD "<sysinfo type='smbios'><bios><entry name='colour'>red</entry></bios></sysinfo></domain>",
      "unknown <bios> entry 'colour' (known: 'vendor', 'version', 'date', 'release')" },
    { MINIMAL_HEAD "<sysinfo type='smbios'><chassis><entry name='product'>x</entry></chassis></sysinfo></domain>",
      "unknown <chassis> entry 'product'" },
    { MINIMAL_HEAD "<sysinfo type='smbios'><bios><entry>x</entry></bios></sysinfo></domain>",
      "missing attribute 'name'" },
    { MINIMAL_HEAD "<sysinfo type='smbios'><system><entry name='sku'>a</entry><entry name='sku'>b</entry>"
      "</system></sysinfo></domain>", "entry 'sku' given twice" },
    { MINIMAL_HEAD "<sysinfo type='smbios'><bios><entry name='date'>2024-01-31</entry></bios></sysinfo></domain>",
      "BIOS date '2024-01-31' is not mm/dd/yy or mm/dd/yyyy" },
    { MINIMAL_HEAD "<sysinfo type='smbios'><bios><entry name='date'>13/01/2024</entry></bios></sysinfo></domain>",
      "BIOS date" },
    { MINIMAL_HEAD "<sysinfo type='smbios'><bios><entry name='date'>01/02/1850</entry></bios></sysinfo></domain>",
      "BIOS date" },
    { MINIMAL_HEAD "<sysinfo type='smbios'><system><entry name='uuid'>nope</entry></system></sysinfo></domain>",
      "'nope' is not a UUID" },
    { MINIMAL_HEAD "<uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><sysinfo type='smbios'><system>"
      "<entry name='uuid'>c7a5fdbd-edaf-9455-926a-d65c16db1800</entry></system></sysinfo></domain>",
      "the system UUID c7a5fdbd-edaf-9455-926a-d65c16db1800 is not the domain's (c7a5fdbd-edaf-9455-926a-d65c16db1809)" },
    { MINIMAL_HEAD "<sysinfo type='smbios'><bios><entry name='vendor'>a&#10;b</entry></bios></sysinfo></domain>",
      "control characters" },
    { MINIMAL_HEAD "<sysinfo type='smbios'><bios><entry name='vendor'>a</entry></bios><bios>"
      "<entry name='vendor'>b</entry></bios></sysinfo></domain>", "<bios> may appear only once" },
    { MINIMAL_HEAD "<sysinfo type='smbios'/><sysinfo type='smbios'/></domain>",
      "only one <sysinfo> of each type" },
    { MINIMAL_HEAD "<sysinfo type='smbios'><processor/></sysinfo></domain>", "unsupported element <processor>" },
    { MINIMAL_HEAD "<sysinfo type='smbios'><oemStrings><entry name='x'>y</entry></oemStrings></sysinfo></domain>",
      "'name'" },
    { MINIMAL_HEAD "<sysinfo type='fwcfg'><entry>v</entry></sysinfo></domain>", "missing attribute 'name'" },
    { MINIMAL_HEAD "<sysinfo type='fwcfg'><entry name='opt/a'/></sysinfo></domain>", "a value or a file" },
    { MINIMAL_HEAD "<sysinfo type='fwcfg'><entry name='opt/a' file='/f'>v</entry></sysinfo></domain>",
      "either a value or a file" },
    { MINIMAL_HEAD "<sysinfo type='fwcfg'><entry name='opt/a' file='rel'/></sysinfo></domain>",
      "not an absolute path" },
    { MINIMAL_HEAD "<sysinfo type='fwcfg'><entry name='opt/a'>1</entry><entry name='opt/a'>2</entry>"
      "</sysinfo></domain>", "entry 'opt/a' given twice" },
    { MINIMAL_HEAD "<sysinfo type='fwcfg'><bios/></sysinfo></domain>", "unsupported element <bios>" },
    { MINIMAL_HEAD "<on_reboot>coredump-destroy</on_reboot></domain>", "coredump" },
    { MINIMAL_HEAD "<on_crash>explode</on_crash></domain>", "explode" },
    { MINIMAL_HEAD "<clock offset='absolute' start='0'/></domain>", "absolute" },
    { MINIMAL_HEAD "<clock offset='utc' adjustment='reset'/></domain>", "adjustment" },
    { MINIMAL_HEAD "<clock offset='utc'><timer name='kvmclock' tickpolicy='delay'/></clock></domain>", "tickpolicy" },
    { MINIMAL_HEAD "<clock offset='utc'><timer name='rtc'/><timer name='rtc'/></clock></domain>", "twice" },
    { MINIMAL_HEAD "<features><viridian/></features></domain>", "<viridian>" },
    { MINIMAL_HEAD "<features><gic version='4'/></features></domain>", "'4'" },
    { MINIMAL_HEAD "<features><acpi/><acpi/></features></domain>", "only once" },
    { MINIMAL_HEAD "<features><apic eoi='on'/></features></domain>", "'eoi'" },
    { MINIMAL_HEAD "<cpu mode='custom'><model>Skylake</model><topology sockets='2' cores='2' threads='1'/></cpu></domain>",
      "topology" },
    { MINIMAL_HEAD "<cpu mode='host-passthrough'><model>Skylake</model></cpu></domain>", "custom" },
    { MINIMAL_HEAD "<cpu><feature policy='require' name='a'/><feature policy='disable' name='a'/></cpu></domain>", "twice" },
    { MINIMAL_HEAD "<cpu><cache mode='passthrough'/></cpu></domain>", "<cache>" },
    { MINIMAL_HEAD "<cpu><numa><cell id='1' cpus='0' memory='1024'/></numa></cpu></domain>", "NUMA" },
    { MINIMAL_HEAD "<memoryBacking><hugepages><page size='0'/></hugepages></memoryBacking></domain>", "size" },
    { MINIMAL_HEAD "<maxMemory unit='KiB'>1</maxMemory></domain>", "slots" },
    { MINIMAL_HEAD "<seclabel type='static' model='selinux'/></domain>", "label" },
    { MINIMAL_HEAD "<seclabel type='none'><label>x</label></seclabel></domain>", "none" },
    { MINIMAL_HEAD "<seclabel type='dynamic' relabel='no'/></domain>", "relabel" },
    { "<domain type='kvm' bogus='1'><name>x</name><memory>1</memory><os><type>hvm</type></os></domain>", "'bogus'" },
    { "<domain type='kvm'><name>x</name><memory>1</memory><os><type>hvm</type><boot dev='hd'/><boot dev='hd'/></os></domain>",
      "twice" },
    { "<domain type='kvm'><name>x</name><memory>1</memory><os><type>hvm</type><boot dev='hd'/></os>"
      "<devices><disk type='file'><source file='/a'/><target dev='vda'/><boot order='1'/></disk></devices></domain>",
      "cannot be combined" },
    { "<domain type='kvm'><name>x</name><memory>1</memory><os><type>linux</type></os></domain>", "kernel" },
    { "<domain type='kvm'><name>x</name><memory>1</memory><os><type>hvm</type></os><qemu:commandline "
      "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'/></domain>", "namespaced" },
    { "<domain type='kvm'><name>x</name><memory>1</memory><os><type>hvm</type></os>stray</domain>", "stray" },
    { "<domain type='kvm'><name>x</name>", "malformed" },
    { "<network/>", "<domain>" },
    { "<!DOCTYPE domain [<!ENTITY a 'b'>]><domain type='kvm'/>", "DOCTYPE" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad_devices); i++) {
    g_autofree char *xml = with_devices (bad_devices[i].devices);
    g_test_message ("bad device %" G_GSIZE_FORMAT ": %s", i, bad_devices[i].devices);
    parse_fails (xml, bad_devices[i].needle);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (bad_docs); i++) {
    g_test_message ("bad doc %" G_GSIZE_FORMAT ": %s", i, bad_docs[i].xml);
    parse_fails (bad_docs[i].xml, bad_docs[i].needle);
  }

  /* Unsupported flags. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VbDomainDef) def = vb_domain_def_parse_full (MINIMAL_HEAD "</domain>", 0x100, &error);
    g_assert_null (def);
    g_assert_error (error, VB_ERROR, VB_ERROR_UNSUPPORTED_FLAGS);
  }
}

static void
test_graphics_listen (void)
{
  g_autofree char *xml = with_devices ("<graphics type='vnc' port='5901' listen='192.0.2.1'>"
                                       "<listen type='network' network='lan'/></graphics>");
  g_autoptr(VbDomainDef) live = parse_ok (xml);
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDef) cfg = vb_domain_def_parse_full (xml, VB_DOMAIN_PARSE_INACTIVE, &error);
  const VbDomainGraphicsDef *g = g_ptr_array_index (live->graphics, 0);
  const VbDomainGraphicsListen *l = g_ptr_array_index (g->listens, 0);
  g_autofree char *live_out = NULL;
  g_autofree char *cfg_out = NULL;

  g_assert_no_error (error);
  /* The listen= attribute carries the network's current address. */
  g_assert_cmpstr (l->address, ==, "192.0.2.1");
  g_assert_false (g->autoport);
  live_out = assert_round_trip (live, 0);
  g_assert_nonnull (strstr (live_out, "<graphics type='vnc' port='5901' autoport='no' listen='192.0.2.1'>"));
  g_assert_nonnull (strstr (live_out, "<listen type='network' network='lan' address='192.0.2.1'/>"));
  l = g_ptr_array_index (((VbDomainGraphicsDef *) g_ptr_array_index (cfg->graphics, 0))->listens, 0);
  g_assert_null (l->address);
  cfg_out = assert_round_trip (cfg, 0);
  g_assert_null (strstr (cfg_out, "192.0.2.1"));
  schema_validate ("domain.rng", live_out);
}

static void
test_validate_name (void)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (vb_domain_def_validate_name ("web-01 (prod)", &error));
  g_assert_true (vb_domain_def_validate_name ("ünïcode", &error));
  g_assert_false (vb_domain_def_validate_name ("", &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_clear_error (&error);
  g_assert_false (vb_domain_def_validate_name (NULL, &error));
  g_clear_error (&error);
  g_assert_false (vb_domain_def_validate_name ("a/b", &error));
  g_clear_error (&error);
  g_assert_false (vb_domain_def_validate_name ("a\nb", &error));
  g_clear_error (&error);
}

static void
test_hostile (void)
{
  g_autoptr(GString) s = g_string_new (MINIMAL_HEAD "<devices>");
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDef) def = NULL;
  g_autoptr(GString) chain = g_string_new (NULL);

  /* Many devices: accepted, and the duplicate checks stay linear. */
  for (int i = 0; i < 20000; i++)
    g_string_append_printf (s, "<disk type='file'><source file='/d%d'/><target dev='vd%d' bus='virtio'/></disk>", i, i);
  g_string_append (s, "</devices></domain>");
  def = vb_domain_def_parse (s->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (def->disks->len, ==, 20000);
  g_clear_pointer (&def, vb_domain_def_free);

  /* A deep backing chain is walked without recursion (libxml2 caps depth). */
  g_string_append (chain, "<disk type='file'><source file='/top'/>");
  for (int i = 0; i < 100; i++)
    g_string_append_printf (chain, "<backingStore type='file'><format type='qcow2'/><source file='/b%d'/>", i);
  for (int i = 0; i < 100; i++)
    g_string_append (chain, "</backingStore>");
  g_string_append (chain, "<target dev='vda'/></disk>");
  {
    g_autofree char *xml = with_devices (chain->str);
    def = vb_domain_def_parse (xml, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (((VbDomainDiskDef *) g_ptr_array_index (def->disks, 0))->backing->len, ==, 100);
    g_free (assert_round_trip (def, 0));
  }

  /* Odd characters are refused where they could not round-trip. */
  parse_fails (MINIMAL_HEAD "<devices><disk type='file'><source file='/a&#10;b'/><target dev='vda'/></disk></devices></domain>",
               "absolute path");
  parse_fails (MINIMAL_HEAD "<title>a&#1;b</title></domain>", "malformed");
  {
    g_autoptr(VbDomainDef) d = parse_ok (MINIMAL_HEAD "<description>a&#13;b</description></domain>");
    g_assert_cmpstr (d->description, ==, "a\nb");
  }
}

static void
test_filterref (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = load ("qemu-nwfilter.xml");
  g_autoptr(VbDomainDef) def = vb_domain_def_parse (xml, &error);
  g_assert_no_error (error);
  VbDomainNetDef *net = g_ptr_array_index (def->nets, 0);
  g_assert_cmpstr (net->filterref, ==, "clean-traffic");
  g_assert_cmpuint (net->filter_params->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (net->filter_params, 0), ==, "IP");
  g_assert_cmpstr (g_ptr_array_index (net->filter_params, 1), ==, "10.0.2.15");
  net = g_ptr_array_index (def->nets, 1);
  g_assert_cmpstr (net->filterref, ==, "no-mac-spoofing");
  g_assert_null (net->filter_params);

  static const char *const bad[] = {
    "<filterref/>",
    "<filterref filter=''/>",
    "<filterref filter='a'><parameter name='bad-name' value='x'/></filterref>",
    "<filterref filter='a'><parameter name='IP'/></filterref>",
    "<filterref filter='a'><bogus/></filterref>",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *doc = g_strdup_printf ("<domain type='qemu'><name>f</name><memory>1024</memory>"
                                            "<os><type>hvm</type></os><devices><interface type='user'>%s"
                                            "</interface></devices></domain>", bad[i]);
    g_autoptr(GError) err = NULL;
    g_autoptr(VbDomainDef) d = vb_domain_def_parse (doc, &err);
    g_assert_null (d);
    g_assert_error (err, VB_ERROR, VB_ERROR_XML);
  }
}

/* BlockCopy's destination: a <disk> for where its image is, no target. */
static void
test_disk_source (void)
{
  GError *error = NULL;
  VbDomainDiskDef *d;

  d = vb_domain_disk_source_parse ("<disk type='block'><driver type='raw'/><source dev='/dev/sdz'/></disk>", &error);
  g_assert_no_error (error);
  g_assert_cmpint (d->type, ==, VB_DOMAIN_DISK_TYPE_BLOCK);
  g_assert_cmpstr (d->src_path, ==, "/dev/sdz");
  g_assert_cmpstr (d->driver_format, ==, "raw");
  g_assert_null (d->dst);
  vb_domain_disk_def_free (d);
  d = vb_domain_disk_source_parse ("<disk><source file='/i/c.qcow2'/><target dev='vdq'/></disk>", &error);
  g_assert_no_error (error);
  g_assert_cmpint (d->type, ==, VB_DOMAIN_DISK_TYPE_FILE);
  g_assert_cmpstr (d->src_path, ==, "/i/c.qcow2");
  g_assert_null (d->driver_format);
  vb_domain_disk_def_free (d);

  g_assert_null (vb_domain_disk_source_parse ("<disk type='file'/>", &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  g_clear_error (&error);
  g_assert_null (vb_domain_disk_source_parse ("<interface type='user'/>", &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  g_clear_error (&error);
  g_assert_null (vb_domain_disk_source_parse ("<disk><source file='/a'/></disk><disk/>", &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  g_clear_error (&error);
  g_assert_null (vb_domain_disk_source_parse ("<disk type='nvme'><source file='/a'/></disk>", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_null (vb_domain_disk_source_parse ("<disk", &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  g_clear_error (&error);
}

/* <disk type='volume'>: pool and volume in every form; what a backend
 * resolved it to only in the status form. */
static void
test_disk_volume (void)
{
  g_autofree char *xml = with_devices ("<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
                                       "<source pool='vms' volume='root.qcow2' mode='host'/>"
                                       "<target dev='vda' bus='virtio'/></disk>");
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDef) def = vb_domain_def_parse_full (xml, VB_DOMAIN_PARSE_INACTIVE, &error);
  g_autoptr(VbDomainDef) back = NULL;
  g_autofree char *out = NULL;
  g_autofree char *status = NULL;
  VbDomainDiskDef *disk;

  g_assert_no_error (error);
  disk = g_ptr_array_index (def->disks, 0);
  g_assert_cmpint (disk->type, ==, VB_DOMAIN_DISK_TYPE_VOLUME);
  g_assert_cmpstr (disk->src_pool, ==, "vms");
  g_assert_cmpstr (disk->src_volume, ==, "root.qcow2");
  g_assert_null (disk->src_path);
  g_assert_false (vb_domain_disk_is_local_image (disk));

  /* Resolved (as a backend does at start): the XML does not change... */
  disk->src_path = g_strdup ("/pools/vms/root.qcow2");
  disk->src_actual = VB_DOMAIN_DISK_TYPE_FILE;
  g_assert_true (vb_domain_disk_is_local_image (disk));
  out = vb_domain_def_format (def, 0);
  g_assert_nonnull (strstr (out, "<source pool='vms' volume='root.qcow2'/>"));
  g_assert_null (strstr (out, "/pools/vms"));
  if (schema_validate ("domain.rng", out) == FALSE)
    return;
  /* ... except in the status form, which reads back with the path. */
  status = vb_domain_def_format (def, VB_DOMAIN_XML_STATUS);
  g_assert_nonnull (strstr (status, "file='/pools/vms/root.qcow2'"));
  back = vb_domain_def_parse_full (status, VB_DOMAIN_PARSE_STATUS, &error);
  g_assert_no_error (error);
  disk = g_ptr_array_index (back->disks, 0);
  g_assert_cmpstr (disk->src_path, ==, "/pools/vms/root.qcow2");
  g_assert_cmpint (vb_domain_disk_local_type (disk), ==, VB_DOMAIN_DISK_TYPE_FILE);
  /* A client's XML cannot name the path that way. */
  {
    g_autoptr(VbDomainDef) plain = vb_domain_def_parse_full (status, 0, &error);
    g_assert_null (plain);
    g_assert_error (error, VB_ERROR, VB_ERROR_XML);
    g_assert_nonnull (strstr (error->message, "'file'"));
    g_clear_error (&error);
  }

  {
    static const struct { const char *disk; const char *needle; } bad[] = {
      { "<disk type='volume'><source pool='p'/><target dev='vda'/></disk>", "volume" },
      { "<disk type='volume'><target dev='vda'/></disk>", "'pool' and 'volume'" },
      { "<disk type='volume'><source pool='p' volume='v' mode='direct'/><target dev='vda'/></disk>", "mode" },
      { "<disk type='volume'><source pool='p' volume='v' startupPolicy='optional'/><target dev='vda'/></disk>",
        "startupPolicy" },
      { "<disk type='file'><source file='/a'/><backingStore type='volume'><format type='raw'/>"
        "<source file='/b'/></backingStore><target dev='vda'/></disk>", "backingStore" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
      g_autofree char *doc = with_devices (bad[i].disk);
      g_autoptr(VbDomainDef) d = vb_domain_def_parse (doc, &error);
      g_assert_null (d);
      g_assert_error (error, VB_ERROR, VB_ERROR_XML);
      g_assert_nonnull (strstr (error->message, bad[i].needle));
      g_clear_error (&error);
    }
  }
}

/* <redirdev> and <redirfilter>: what virt-manager writes for a SPICE guest,
 * plus a usbredir server over tcp, read back in libvirt's form. */
#define REDIR_DOMAIN \
  "<domain type='kvm'><name>spice-vm</name><uuid>2b2c2d2e-0000-4000-8000-000000000001</uuid>" \
  "<memory unit='MiB'>2048</memory><vcpu>2</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os>" \
  "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>" \
  "<disk type='file' device='disk'><source file='/var/lib/libvirt/images/spice-vm.qcow2'/>" \
  "<target dev='vda' bus='virtio'/><boot order='1'/></disk>" \
  "<controller type='usb' index='0' model='qemu-xhci' ports='15'/>" \
  "<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>" \
  "<input type='tablet' bus='usb'/>" \
  "<graphics type='spice' autoport='yes'><listen type='address'/></graphics>" \
  "<video><model type='qxl' ram='65536' vram='65536' vgamem='16384' heads='1' primary='yes'/></video>" \
  "<memballoon model='virtio'/>" \
  /* Before the redirdevs, with libvirt's spelling of "any": both are normalised. */ \
  "<redirfilter><usbdev class='0x08' vendor='0x15e1' product='0x2007' version='1.10' allow='yes'/>" \
  "<usbdev class='-1' vendor='-1' product='-1' version='-1' allow='no'/></redirfilter>" \
  "<redirdev bus='usb' type='spicevmc'><alias name='redir0'/></redirdev>" \
  "<redirdev type='spicevmc'><address type='usb' bus='0' port='3'/></redirdev>" \
  "<redirdev bus='usb' type='tcp'><source mode='connect' host='usbhost.example.com' service='4000'/>" \
  "<protocol type='raw'/><boot order='2'/><alias name='ua-usbredir'/></redirdev>" \
  "</devices></domain>"

/* What virt-manager and libvirt write under <graphics type='spice'>:
 * kept and written back in libvirt's order and spelling. */
static void
test_spice_options (void)
{
  g_autofree char *xml = with_devices (
    "<graphics type='spice' autoport='yes' defaultMode='any'>"
    "<listen type='address' address='127.0.0.1'/>"
    "<channel name='main' mode='insecure'/><channel name='usbredir' mode='any'/>"
    "<image compression='off'/><jpeg compression='never'/><zlib compression='always'/>"
    "<playback compression='off'/><streaming mode='filter'/><clipboard copypaste='no'/>"
    "<mouse mode='client'/><filetransfer enable='no'/><gl enable='no'/>"
    "</graphics>"
    "<graphics type='spice'><listen type='socket' socket='/run/x/spice.sock'/></graphics>");
  g_autoptr(VbDomainDef) def = parse_ok (xml);
  const VbDomainGraphicsDef *g = g_ptr_array_index (def->graphics, 0);
  const char *expect =
    "    <graphics type='spice' autoport='yes' listen='127.0.0.1' defaultMode='any'>\n"
    "      <listen type='address' address='127.0.0.1'/>\n"
    "      <channel name='main' mode='insecure'/>\n"
    "      <channel name='usbredir' mode='any'/>\n"
    "      <image compression='off'/>\n"
    "      <jpeg compression='never'/>\n"
    "      <zlib compression='always'/>\n"
    "      <playback compression='off'/>\n"
    "      <streaming mode='filter'/>\n"
    "      <clipboard copypaste='no'/>\n"
    "      <mouse mode='client'/>\n"
    "      <filetransfer enable='no'/>\n"
    "      <gl enable='no'/>\n"
    "    </graphics>\n";

  g_assert_cmpint (g->spice[VB_DOMAIN_SPICE_IMAGE], ==, 6);
  g_assert_cmpstr (vb_domain_spice_option_to_string (VB_DOMAIN_SPICE_IMAGE, g->spice[VB_DOMAIN_SPICE_IMAGE]), ==,
                   "off");
  g_assert_cmpstr (vb_domain_spice_option_to_string (VB_DOMAIN_SPICE_MOUSE, g->spice[VB_DOMAIN_SPICE_MOUSE]), ==,
                   "client");
  g_assert_cmpint (g->spice_channel[VB_DOMAIN_SPICE_CHANNEL_MAIN], ==, 3);
  g_assert_cmpint (g->spice_channel[VB_DOMAIN_SPICE_CHANNEL_DISPLAY], ==, 0);
  g_assert_cmpstr (vb_domain_spice_channel_to_string (VB_DOMAIN_SPICE_CHANNEL_USBREDIR), ==, "usbredir");
  {
    const guint flag_sets[] = { 0, VB_DOMAIN_XML_INACTIVE };
    for (gsize i = 0; i < G_N_ELEMENTS (flag_sets); i++) {
      g_autofree char *out = assert_round_trip (def, flag_sets[i]);
      g_autoptr(VbDomainDef) copy = vb_domain_def_copy (def);
      g_autofree char *out_copy = vb_domain_def_format (copy, flag_sets[i]);
      g_assert_cmpstr (out, ==, out_copy);
      if (strstr (out, expect) == NULL)
        g_printerr ("%s\n", out);
      g_assert_nonnull (strstr (out, expect));
      g_assert_nonnull (strstr (out, "<listen type='socket' socket='/run/x/spice.sock'/>"));
      if (!schema_validate ("domain.rng", out))
        return;
    }
  }
  {
    static const char *const bad[][2] = {
      { "<graphics type='spice'><image compression='fast'/></graphics>", "fast" },
      { "<graphics type='spice'><image/></graphics>", "compression" },
      { "<graphics type='spice'><channel name='main' mode='any'/><channel name='main' mode='secure'/></graphics>",
        "channel 'main' listed twice" },
      { "<graphics type='spice'><channel name='video' mode='any'/></graphics>", "video" },
      { "<graphics type='spice' defaultMode='plain'/>", "plain" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
      g_autofree char *bad_xml = with_devices (bad[i][0]);
      parse_fails (bad_xml, bad[i][1]);
    }
  }
}

/* <interface type='ethernet'>: the host side's addresses and routes, a
 * tap the host made (managed='no'). */
/* <bandwidth> of a NIC: kept as written (no longer dropped), validated
 * as libvirt does, a floor only on a network's NIC. */
static void
test_net_bandwidth (void)
{
  g_autofree char *xml = with_devices (
    "<interface type='network'><mac address='52:54:00:aa:bb:11'/><source network='default'/>"
    "<bandwidth><inbound average='1000' peak='5000' floor='200' burst='1024'/>"
    "<outbound average='128' burst='256'/></bandwidth></interface>"
    "<interface type='bridge'><mac address='52:54:00:aa:bb:12'/><source bridge='br0'/>"
    "<bandwidth><outbound average='10'/></bandwidth></interface>"
    "<interface type='bridge'><mac address='52:54:00:aa:bb:13'/><source bridge='br0'/><bandwidth/></interface>");
  g_autoptr(VbDomainDef) def = parse_ok (xml);
  const VbDomainNetDef *a = g_ptr_array_index (def->nets, 0);
  const VbDomainNetDef *b = g_ptr_array_index (def->nets, 1);
  const VbDomainNetDef *c = g_ptr_array_index (def->nets, 2);
  g_autofree char *out = NULL;
  g_autoptr(VbDomainDef) copy = vb_domain_def_copy (def);

  g_assert_true (a->bandwidth->has_inbound && a->bandwidth->has_outbound);
  g_assert_cmpuint (a->bandwidth->inbound.average, ==, 1000);
  g_assert_cmpuint (a->bandwidth->inbound.peak, ==, 5000);
  g_assert_cmpuint (a->bandwidth->inbound.floor, ==, 200);
  g_assert_cmpuint (a->bandwidth->inbound.burst, ==, 1024);
  g_assert_cmpuint (a->bandwidth->outbound.average, ==, 128);
  g_assert_cmpuint (a->bandwidth->outbound.burst, ==, 256);
  g_assert_false (b->bandwidth->has_inbound);
  g_assert_null (c->bandwidth); /* limits nothing */
  g_assert_true (vb_bandwidth_equal (a->bandwidth, ((VbDomainNetDef *) g_ptr_array_index (copy->nets, 0))->bandwidth));
  g_assert_false (vb_bandwidth_equal (a->bandwidth, b->bandwidth));
  g_assert_true (vb_bandwidth_equal (c->bandwidth, NULL));
  out = assert_round_trip (def, VB_DOMAIN_XML_INACTIVE);
  g_assert_nonnull (strstr (out, "<bandwidth>\n"));
  g_assert_nonnull (strstr (out, "<inbound average='1000' peak='5000' floor='200' burst='1024'/>"));
  g_assert_nonnull (strstr (out, "<outbound average='128' burst='256'/>"));
  g_assert_nonnull (strstr (out, "<outbound average='10'/>"));

#define BW(type, src, bw) \
  "<interface type='" type "'><source " src "/><bandwidth>" bw "</bandwidth></interface>"
  {
    static const struct {
      const char *nic, *needle;
    } bad[] = {
      { BW ("network", "network='n'", "<inbound peak='10'/>"), "'average' or 'floor' is required" },
      { BW ("network", "network='n'", "<inbound floor='10' burst='5'/>"), "'peak' and 'burst' need 'average'" },
      { BW ("network", "network='n'", "<outbound average='10' floor='5'/>"), "'floor' is only allowed" },
      { BW ("bridge", "bridge='br0'", "<inbound average='10' floor='5'/>"), "'floor' is only allowed" },
      { BW ("network", "network='n'", "<inbound average='0'/>"), "0 is out of range" },
      { BW ("network", "network='n'", "<inbound average='-1'/>"), "not a non-negative integer" },
      { BW ("network", "network='n'", "<inbound average='4294967296'/>"), "out of range" },
      { BW ("network", "network='n'", "<inbound average='100' peak='99'/>"), "'peak' (99) is below 'average'" },
      { BW ("network", "network='n'", "<inbound average='1'/><inbound average='2'/>"), "only one <inbound>" },
      { BW ("bridge", "bridge='br0'", "<outbound/>"), "'average' is required" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
      g_autofree char *doc = with_devices (bad[i].nic);
      parse_fails (doc, bad[i].needle);
    }
  }
#undef BW
}

static void
test_ethernet (void)
{
  g_autofree char *xml = with_devices (
    "<interface type='ethernet'><mac address='52:54:00:aa:bb:01'/>"
    "<ip address='192.168.170.1' prefix='24'/><ip address='fd00::1' family='ipv6' prefix='64'/>"
    "<ip address='10.1.0.1' peer='10.1.0.2'/>"
    "<route address='10.77.0.0' prefix='16' gateway='192.168.170.5'/>"
    "<route family='ipv4' address='10.78.0.0' netmask='255.255.0.0' gateway='192.168.170.5' metric='10'/>"
    "<target dev='vnet7'/><model type='virtio'/></interface>"
    "<interface type='ethernet'><mac address='52:54:00:aa:bb:02'/><target dev='vnet-host' managed='no'/>"
    "</interface>");
  g_autoptr(VbDomainDef) def = parse_ok (xml);
  const VbDomainNetDef *a = g_ptr_array_index (def->nets, 0);
  const VbDomainNetDef *b = g_ptr_array_index (def->nets, 1);
  const VbDomainNetIp *ip;
  const VbDomainNetRoute *r;

  g_assert_cmpuint (a->ips->len, ==, 3);
  ip = g_ptr_array_index (a->ips, 2);
  g_assert_cmpstr (ip->address, ==, "10.1.0.1");
  g_assert_cmpstr (ip->peer, ==, "10.1.0.2");
  g_assert_false (ip->has_prefix);
  g_assert_cmpuint (a->routes->len, ==, 2);
  r = g_ptr_array_index (a->routes, 1);
  g_assert_cmpstr (r->netmask, ==, "255.255.0.0");
  g_assert_true (r->has_metric && r->metric == 10);
  g_assert_cmpint (b->target_managed, ==, VB_DOMAIN_TRISTATE_NO);
  {
    g_autofree char *live = assert_round_trip (def, 0);
    g_autofree char *inactive = assert_round_trip (def, VB_DOMAIN_XML_INACTIVE);
    g_autoptr(VbDomainDef) copy = vb_domain_def_copy (def);
    g_autofree char *copied = vb_domain_def_format (copy, 0);

    g_assert_cmpstr (live, ==, copied);
    g_assert_nonnull (strstr (live, "<ip address='10.1.0.1' peer='10.1.0.2'/>"));
    g_assert_nonnull (strstr (live, "<route family='ipv4' address='10.78.0.0' netmask='255.255.0.0' "
                                    "gateway='192.168.170.5' metric='10'/>"));
    g_assert_nonnull (strstr (live, "<target dev='vnet7'/>"));
    /* A generated name is not config; one of a tap the host made is. */
    g_assert_null (strstr (inactive, "vnet7"));
    g_assert_nonnull (strstr (inactive, "<target dev='vnet-host' managed='no'/>"));
    if (!schema_validate ("domain.rng", live) || !schema_validate ("domain.rng", inactive))
      return;
  }
  {
    static const char *const bad[][2] = {
      { "<interface type='ethernet'><ip address='300.1.1.1'/></interface>", "is not an IP address" },
      { "<interface type='ethernet'><ip address='10.0.0.1' prefix='33'/></interface>", "out of range" },
      { "<interface type='ethernet'><ip address='fd00::1' prefix='129'/></interface>", "out of range" },
      { "<interface type='ethernet'><ip address='10.0.0.1' family='ipv6'/></interface>", "is not an ipv6 address" },
      { "<interface type='ethernet'><ip address='10.0.0.1' family='inet'/></interface>", "not ipv4 or ipv6" },
      { "<interface type='ethernet'><ip address='10.0.0.1' peer='fd00::2'/></interface>", "is not an ipv4" },
      { "<interface type='ethernet'><ip prefix='24'/></interface>", "missing attribute 'address'" },
      { "<interface type='ethernet'><route address='10.0.0.0' prefix='8'/></interface>",
        "missing attribute 'gateway'" },
      { "<interface type='ethernet'><route address='10.0.0.0' prefix='8' netmask='255.0.0.0' gateway='10.1.1.1'/>"
        "</interface>", "either a prefix or a netmask" },
      { "<interface type='ethernet'><route address='fd00::' netmask='255.0.0.0' gateway='fd00::1'/></interface>",
        "only for IPv4 routes" },
      { "<interface type='ethernet'><route address='10.0.0.0' prefix='8' gateway='fd00::1'/></interface>",
        "not of the route's family" },
      { "<interface type='ethernet'><target dev='t0' managed='maybe'/></interface>", "managed" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
      g_autofree char *bad_xml = with_devices (bad[i][0]);
      parse_fails (bad_xml, bad[i][1]);
    }
  }
}

/* <iothreads> and <iothreadids>: ids given, the rest of the count filled
 * with the lowest free ids (as libvirt), disks using them by id, and the
 * AddIOThread/DelIOThread helpers. */
static void
test_iothreads (void)
{
  g_autofree char *xml = g_strdup_printf (
    MINIMAL_HEAD "<iothreads>3</iothreads><iothreadids><iothread id='5'/><iothread id='2'/></iothreadids>"
    "<devices><disk type='file'><source file='/a'/><target dev='vda' bus='virtio'/>"
    "<driver name='qemu' type='raw' iothread='5'/></disk></devices></domain>");
  g_autoptr(VbDomainDef) def = parse_ok (xml);
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (def->iothreads, ==, 3);
  g_assert_cmpuint (vb_domain_def_iothread_id (def, 0), ==, 5);
  g_assert_cmpuint (vb_domain_def_iothread_id (def, 1), ==, 2);
  g_assert_cmpuint (vb_domain_def_iothread_id (def, 2), ==, 1);
  g_assert_true (vb_domain_def_has_iothread (def, 1) && !vb_domain_def_has_iothread (def, 3));
  {
    g_autofree char *out = assert_round_trip (def, 0);
    g_autoptr(VbDomainDef) copy = vb_domain_def_copy (def);
    g_autofree char *copied = vb_domain_def_format (copy, 0);

    g_assert_cmpstr (out, ==, copied);
    g_assert_nonnull (strstr (out, "<iothreads>3</iothreads>\n  <iothreadids>\n    <iothread id='5'/>\n"
                                   "    <iothread id='2'/>\n    <iothread id='1'/>\n  </iothreadids>"));
    if (!schema_validate ("domain.rng", out))
      return;
  }

  /* DelIOThread: not while a disk uses it; then the ids close up. */
  g_assert_false (vb_domain_def_del_iothread (def, 5, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID);
  g_assert_nonnull (strstr (error->message, "IOThread 5 is in use by disk 'vda'"));
  g_clear_error (&error);
  g_assert_false (vb_domain_def_del_iothread (def, 4, &error));
  g_assert_nonnull (strstr (error->message, "no IOThread with id 4"));
  g_clear_error (&error);
  g_assert_true (vb_domain_def_del_iothread (def, 2, &error));
  g_assert_cmpuint (def->iothreads, ==, 2);
  g_assert_false (vb_domain_def_add_iothread (def, 5, &error));
  g_assert_nonnull (strstr (error->message, "an IOThread with id 5 already exists"));
  g_clear_error (&error);
  g_assert_false (vb_domain_def_add_iothread (def, 0, &error));
  g_clear_error (&error);
  g_assert_true (vb_domain_def_add_iothread (def, 7, &error));
  g_assert_cmpuint (def->iothreads, ==, 3);
  g_assert_cmpuint (vb_domain_def_iothread_id (def, 2), ==, 7);

  /* Ids 1..n in order are the plain count again. */
  {
    g_autofree char *plain_xml = g_strdup_printf (MINIMAL_HEAD "<iothreads>1</iothreads><devices/></domain>");
    g_autoptr(VbDomainDef) plain = parse_ok (plain_xml);
    g_autofree char *out = NULL;

    g_assert_true (vb_domain_def_add_iothread (plain, 2, NULL));
    out = vb_domain_def_format (plain, 0);
    g_assert_nonnull (strstr (out, "<iothreads>2</iothreads>"));
    g_assert_null (strstr (out, "iothreadids"));
    g_assert_true (vb_domain_def_add_iothread (plain, 9, NULL));
    g_assert_true (vb_domain_def_del_iothread (plain, 9, NULL));
    g_free (out);
    out = vb_domain_def_format (plain, 0);
    g_assert_null (strstr (out, "iothreadids"));
  }
  /* <iothreadids> alone sets the count. */
  {
    g_autofree char *ids_xml = g_strdup_printf (
      MINIMAL_HEAD "<iothreadids><iothread id='4'/><iothread id='8'/></iothreadids><devices/></domain>");
    g_autoptr(VbDomainDef) ids = parse_ok (ids_xml);

    g_assert_cmpuint (ids->iothreads, ==, 2);
    g_assert_cmpuint (vb_domain_def_iothread_id (ids, 1), ==, 8);
  }
  {
    static const char *const bad[][2] = {
      { "<iothreadids><iothread id='2'/><iothread id='2'/></iothreadids>", "duplicate iothread id 2" },
      { "<iothreadids><iothread id='0'/></iothreadids>", "id" },
      { "<iothreadids><iothread/></iothreadids>", "missing attribute 'id'" },
      { "<iothreadids><iothread id='1' thread_pool_min='2'/></iothreadids>", "unsupported attribute" },
      { "<iothreads>2</iothreads><devices><disk type='file'><source file='/a'/><target dev='vda' bus='virtio'/>"
        "<driver name='qemu' iothread='3'/></disk></devices>", "uses iothread 3, which the domain does not have" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
      g_autofree char *bad_xml = g_strdup_printf (MINIMAL_HEAD "%s%s</domain>", bad[i][0],
                                                  strstr (bad[i][0], "<devices>") ? "" : "<devices/>");
      parse_fails (bad_xml, bad[i][1]);
    }
  }
}

/* <features><hyperv> as virt-install writes it for Windows, and the
 * firmware features of a Secure Boot guest. */
static void
test_hyperv (void)
{
  static const char *const hyperv =
    "    <hyperv mode='custom'>\n"
    "      <relaxed state='on'/>\n"
    "      <vapic state='on'/>\n"
    "      <spinlocks state='on' retries='8191'/>\n"
    "      <vpindex state='on'/>\n"
    "      <runtime state='on'/>\n"
    "      <synic state='on'/>\n"
    "      <stimer state='on'>\n"
    "        <direct state='on'/>\n"
    "      </stimer>\n"
    "      <reset state='off'/>\n"
    "      <vendor_id state='on' value='KVMKVMKVM'/>\n"
    "      <frequencies state='on'/>\n"
    "      <reenlightenment state='off'/>\n"
    "      <tlbflush state='on'/>\n"
    "      <ipi state='on'/>\n"
    "      <evmcs state='off'/>\n"
    "      <avic state='on'/>\n"
    "    </hyperv>\n";
  /* Given in another order than libvirt writes them. */
  g_autofree char *xml = g_strdup (
    "<domain type='kvm'><name>win</name><memory>65536</memory>"
    "<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type>"
    "<firmware><feature enabled='yes' name='secure-boot'/><feature enabled='yes' name='enrolled-keys'/></firmware>"
    "</os><features><acpi/><apic/><smm state='on'/><hyperv>"
    "<avic state='on'/><evmcs state='off'/><ipi state='on'/><tlbflush state='on'/><reenlightenment state='off'/>"
    "<frequencies state='on'/><vendor_id state='on' value='KVMKVMKVM'/><reset state='off'/>"
    "<stimer state='on'><direct state='on'/></stimer><synic state='on'/><runtime state='on'/>"
    "<vpindex state='on'/><spinlocks state='on' retries='8191'/><vapic state='on'/><relaxed state='on'/>"
    "</hyperv></features><clock offset='localtime'><timer name='hypervclock' present='yes'/></clock>"
    "<devices/></domain>");
  g_autoptr(VbDomainDef) def = parse_ok (xml);
  g_autoptr(VbDomainDef) copy = vb_domain_def_copy (def);
  g_autofree char *out = assert_round_trip (def, VB_DOMAIN_XML_INACTIVE);
  g_autofree char *out_copy = vb_domain_def_format (copy, VB_DOMAIN_XML_INACTIVE);

  g_assert_cmpint (def->features.hyperv_mode, ==, VB_DOMAIN_HYPERV_MODE_CUSTOM);
  g_assert_cmpint (def->features.hyperv[VB_DOMAIN_HYPERV_RESET], ==, VB_DOMAIN_TRISTATE_NO);
  g_assert_cmpint (def->features.hyperv[VB_DOMAIN_HYPERV_RELAXED], ==, VB_DOMAIN_TRISTATE_YES);
  g_assert_cmpuint (def->features.hyperv_spinlock_retries, ==, 8191);
  g_assert_cmpstr (def->features.hyperv_vendor_id, ==, "KVMKVMKVM");
  g_assert_cmpstr (vb_domain_hyperv_feature_to_string (VB_DOMAIN_HYPERV_VENDOR_ID), ==, "vendor_id");
  g_assert_null (vb_domain_hyperv_feature_to_string (VB_DOMAIN_HYPERV_LAST));
  g_assert_cmpstr (out, ==, out_copy);
  if (strstr (out, hyperv) == NULL)
    g_printerr ("%s\n", out);
  g_assert_nonnull (strstr (out, hyperv));
  g_assert_nonnull (strstr (out, "<feature enabled='yes' name='secure-boot'/>"));
  if (!schema_validate ("domain.rng", out))
    return;

  {
    g_autoptr(VbDomainDef) pt = parse_ok ("<domain type='kvm'><name>p</name><memory>65536</memory>"
                                          "<os><type>hvm</type></os><features><hyperv mode='passthrough'/>"
                                          "</features></domain>");
    g_autofree char *pt_out = assert_round_trip (pt, VB_DOMAIN_XML_INACTIVE);
    g_assert_nonnull (strstr (pt_out, "<hyperv mode='passthrough'/>"));
    g_assert_cmpint (pt->features.hyperv_mode, ==, VB_DOMAIN_HYPERV_MODE_PASSTHROUGH);
    schema_validate ("domain.rng", pt_out);
  }
  {
    static const char *const bad[][2] = {
      { "<hyperv><spinlocks state='on'/></hyperv>", "missing attribute 'retries'" },
      { "<hyperv><spinlocks state='on' retries='4094'/></hyperv>", "at least 4095" },
      { "<hyperv><vendor_id state='on'/></hyperv>", "missing attribute 'value'" },
      { "<hyperv><vendor_id state='on' value='thirteen-char'/></hyperv>", "at most 12 characters" },
      { "<hyperv><vendor_id state='on' value='a,b'/></hyperv>", "no comma" },
      { "<hyperv><relaxed/></hyperv>", "missing attribute 'state'" },
      { "<hyperv><relaxed state='yes'/></hyperv>", "state" },
      { "<hyperv mode='passthrough'><relaxed state='on'/></hyperv>", "takes no enlightenments" },
      { "<hyperv mode='host'/>", "host" },
      { "<hyperv><stimer state='on'><direct/></stimer></hyperv>", "missing attribute 'state'" },
      { "<hyperv><vpcount state='on'/></hyperv>", "vpcount" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
      g_autofree char *bad_xml = g_strdup_printf ("<domain type='kvm'><name>b</name><memory>65536</memory>"
                                                  "<os><type>hvm</type></os><features>%s</features></domain>",
                                                  bad[i][0]);
      parse_fails (bad_xml, bad[i][1]);
    }
  }
}

static void
test_redirdev (void)
{
  g_autoptr(VbDomainDef) def = parse_ok (REDIR_DOMAIN);
  g_autoptr(GError) error = NULL;
  const VbDomainRedirdevDef *r;
  const VbDomainRedirFilterUsbDev *rule;
  const char *expect =
    "    <redirdev bus='usb' type='spicevmc'>\n"
    "      <alias name='redir0'/>\n"
    "    </redirdev>\n"
    "    <redirdev bus='usb' type='spicevmc'>\n"
    "      <address type='usb' bus='0' port='3'/>\n"
    "    </redirdev>\n"
    "    <redirdev bus='usb' type='tcp'>\n"
    "      <source mode='connect' host='usbhost.example.com' service='4000'/>\n"
    "      <protocol type='raw'/>\n"
    "      <boot order='2'/>\n"
    "      <alias name='ua-usbredir'/>\n"
    "    </redirdev>\n"
    "    <redirfilter>\n"
    "      <usbdev class='0x08' vendor='0x15E1' product='0x2007' version='1.10' allow='yes'/>\n"
    "      <usbdev allow='no'/>\n"
    "    </redirfilter>\n"
    "    <memballoon model='virtio'/>\n";

  g_assert_cmpint (vb_domain_device_type_from_string ("redirdev"), ==, VB_DOMAIN_DEVICE_REDIRDEV);
  g_assert_cmpuint (def->redirdevs->len, ==, 3);
  r = g_ptr_array_index (def->redirdevs, 0);
  g_assert_cmpint (r->type, ==, VB_DOMAIN_CHR_TYPE_SPICEVMC);
  g_assert_cmpstr (r->info.alias, ==, "redir0");
  g_assert_null (r->src_host);
  r = g_ptr_array_index (def->redirdevs, 1);
  g_assert_cmpint (r->info.address.type, ==, VB_DOMAIN_ADDRESS_USB);
  g_assert_cmpstr (r->info.address.u.usb.port, ==, "3");
  r = g_ptr_array_index (def->redirdevs, 2);
  g_assert_cmpint (r->type, ==, VB_DOMAIN_CHR_TYPE_TCP);
  g_assert_cmpint (r->src_mode, ==, VB_DOMAIN_CHR_MODE_CONNECT);
  g_assert_cmpstr (r->src_host, ==, "usbhost.example.com");
  g_assert_cmpstr (r->src_service, ==, "4000");
  g_assert_cmpint (r->protocol, ==, VB_DOMAIN_CHR_PROTOCOL_RAW);
  g_assert_cmpuint (r->info.boot_order, ==, 2);
  g_assert_cmpuint (def->redirfilter->len, ==, 2);
  rule = g_ptr_array_index (def->redirfilter, 0);
  g_assert_cmpint (rule->usb_class, ==, 0x08);
  g_assert_cmpint (rule->vendor, ==, 0x15e1);
  g_assert_cmpint (rule->product, ==, 0x2007);
  g_assert_cmpint (rule->version, ==, 0x0110);
  g_assert_true (rule->allow);
  rule = g_ptr_array_index (def->redirfilter, 1);
  g_assert_cmpint (rule->usb_class, ==, -1);
  g_assert_cmpint (rule->vendor, ==, -1);
  g_assert_cmpint (rule->product, ==, -1);
  g_assert_cmpint (rule->version, ==, -1);
  g_assert_false (rule->allow);

  /* libvirt's place and spelling: after the hostdevs, filter right after
   * the redirdevs, before the memballoon; in every form, copies alike. */
  {
    const guint flag_sets[] = { 0, VB_DOMAIN_XML_INACTIVE, VB_DOMAIN_XML_SECURE | VB_DOMAIN_XML_MIGRATABLE };
    for (gsize i = 0; i < G_N_ELEMENTS (flag_sets); i++) {
      g_autofree char *out = assert_round_trip (def, flag_sets[i]);
      g_autoptr(VbDomainDef) copy = vb_domain_def_copy (def);
      g_autofree char *out_copy = vb_domain_def_format (copy, flag_sets[i]);
      g_assert_cmpstr (out, ==, out_copy);
      if (flag_sets[i] & VB_DOMAIN_XML_INACTIVE) {
        /* The generated alias is live-only; a user alias stays. */
        g_assert_null (strstr (out, "redir0"));
        g_assert_nonnull (strstr (out, "ua-usbredir"));
      } else {
        g_assert_nonnull (strstr (out, expect));
        g_assert_cmpint (strstr (out, "<video>") - out, <, strstr (out, "<redirdev") - out);
      }
      if (!schema_validate ("domain.rng", out))
        return;
    }
  }
  {
    g_autoptr(VbDomainDef) cfg = vb_domain_def_parse_full (REDIR_DOMAIN, VB_DOMAIN_PARSE_INACTIVE, &error);
    g_assert_no_error (error);
    g_assert_null (((VbDomainRedirdevDef *) g_ptr_array_index (cfg->redirdevs, 0))->info.alias);
    g_assert_cmpstr (((VbDomainRedirdevDef *) g_ptr_array_index (cfg->redirdevs, 2))->info.alias, ==, "ua-usbredir");
  }

  /* Versions keep their two decimal parts; an empty filter filters nothing. */
  {
    g_autofree char *xml = with_devices ("<redirfilter><usbdev version='2.0' allow='yes'/>"
                                         "<usbdev class='0xe0' version='1.1' allow='no'/>"
                                         "<usbdev vendor='1234' allow='no'/></redirfilter>");
    g_autoptr(VbDomainDef) d = parse_ok (xml);
    g_autofree char *out = assert_round_trip (d, 0);
    g_autoptr(VbDomainDef) empty = NULL;
    g_autofree char *empty_out = NULL;
    g_assert_nonnull (strstr (out, "<usbdev version='2.0' allow='yes'/>\n"
                                   "      <usbdev class='0xE0' version='1.1' allow='no'/>\n"
                                   "      <usbdev vendor='0x04D2' allow='no'/>\n"));
    empty = parse_ok (MINIMAL_HEAD "<devices><redirfilter/></devices></domain>");
    g_assert_cmpuint (empty->redirfilter->len, ==, 0);
    empty_out = vb_domain_def_format (empty, 0);
    g_assert_null (strstr (empty_out, "redirfilter"));
  }

  /* Per-device boot orders are shared with disks and the rest. */
  {
    g_autofree char *xml = with_devices ("<disk type='file'><source file='/a'/><target dev='vda'/>"
                                         "<boot order='1'/></disk>"
                                         "<redirdev bus='usb' type='spicevmc'><boot order='1'/></redirdev>");
    g_autoptr(VbDomainDef) d = vb_domain_def_parse (xml, &error);
    g_assert_null (d);
    vb_test_assert_xml_error (error, "boot order 1");
    g_clear_error (&error);
  }

  /* Refused, each with a VB_ERROR_XML naming the problem. */
  {
    static const struct { const char *devices; const char *needle; } bad[] = {
      { "<redirdev bus='usb' type='pty'/>", "'pty' is not supported for USB redirection" },
      { "<redirdev bus='usb' type='udp'/>", "'udp' is not supported for USB redirection" },
      { "<redirdev bus='usb'/>", "missing attribute 'type'" },
      { "<redirdev bus='pci' type='spicevmc'/>", "'pci'" },
      { "<redirdev bus='usb' type='tcp'/>", "missing <source" },
      { "<redirdev bus='usb' type='tcp'><source mode='connect' service='4000'/></redirdev>",
        "missing attribute 'host'" },
      { "<redirdev bus='usb' type='tcp'><source mode='connect' host='h'/></redirdev>", "missing attribute 'service'" },
      { "<redirdev bus='usb' type='tcp'><source mode='listen' host='h' service='1'/></redirdev>", "'listen'" },
      { "<redirdev bus='usb' type='tcp'><source host='h' service='1'/><protocol type='ssh'/></redirdev>", "'ssh'" },
      { "<redirdev bus='usb' type='spicevmc'><source path='/x'/></redirdev>", "takes no <source>" },
      { "<redirdev bus='usb' type='spicevmc'><protocol type='raw'/></redirdev>", "<protocol>" },
      { "<redirdev bus='usb' type='spicevmc'><address type='pci' slot='3'/></redirdev>", "address of type 'usb'" },
      { "<redirdev bus='usb' type='spicevmc'><boot order='0'/></redirdev>", "order" },
      { "<redirfilter><usbdev vendor='0xZZ' allow='yes'/></redirfilter>", "attribute 'vendor': '0xZZ'" },
      { "<redirfilter><usbdev product='0x12345' allow='yes'/></redirfilter>", "attribute 'product'" },
      { "<redirfilter><usbdev class='0x100' allow='yes'/></redirfilter>", "attribute 'class'" },
      { "<redirfilter><usbdev class='010' allow='yes'/></redirfilter>", "attribute 'class'" },
      { "<redirfilter><usbdev vendor='-2' allow='yes'/></redirfilter>", "attribute 'vendor'" },
      { "<redirfilter><usbdev version='1.100' allow='yes'/></redirfilter>", "attribute 'version'" },
      { "<redirfilter><usbdev version='2' allow='yes'/></redirfilter>", "attribute 'version'" },
      { "<redirfilter><usbdev allow='maybe'/></redirfilter>", "'maybe'" },
      { "<redirfilter><usbdev vendor='0x1234'/></redirfilter>", "missing attribute 'allow'" },
      { "<redirfilter><usbdev allow='yes' bogus='1'/></redirfilter>", "'bogus'" },
      { "<redirfilter><device allow='yes'/></redirfilter>", "<device>" },
      { "<redirfilter/><redirfilter/>", "only once" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
      g_autofree char *xml = with_devices (bad[i].devices);
      g_autoptr(VbDomainDef) d = vb_domain_def_parse (xml, &error);
      g_test_message ("bad %s", bad[i].devices);
      g_assert_null (d);
      vb_test_assert_xml_error (error, bad[i].needle);
      g_clear_error (&error);
    }
  }
}

/* A lone <redirdev> as AttachDevice/DetachDevice get it. */
static void
test_redirdev_device (void)
{
  g_autoptr(VbDomainDef) def = parse_ok (REDIR_DOMAIN);
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDeviceDef) spice = vb_domain_device_def_parse ("<redirdev bus='usb' type='spicevmc'/>", &error);
  g_autoptr(VbDomainDeviceDef) tcp = NULL;
  g_autoptr(VbDomainDeviceDef) by_addr = NULL;
  g_autoptr(VbDomainDeviceDef) copy = NULL;
  g_autoptr(VbDomainDeviceDef) removed = NULL;
  g_autofree char *fragment = NULL;
  g_autofree char *tcp_fragment = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (spice->type, ==, VB_DOMAIN_DEVICE_REDIRDEV);
  g_assert_cmpint (spice->data.redirdev->type, ==, VB_DOMAIN_CHR_TYPE_SPICEVMC);
  fragment = vb_domain_device_def_format (spice, 0);
  g_assert_cmpstr (fragment, ==, "<redirdev bus='usb' type='spicevmc'/>\n");

  tcp = vb_domain_device_def_parse ("<redirdev bus='usb' type='tcp'><source mode='bind' host='0.0.0.0' service='4001'/>"
                                    "<protocol type='telnet'/><address type='usb' bus='0' port='4'/></redirdev>",
                                    &error);
  g_assert_no_error (error);
  copy = vb_domain_device_def_copy (tcp);
  tcp_fragment = vb_domain_device_def_format (copy, 0);
  g_assert_cmpstr (tcp_fragment, ==,
                   "<redirdev bus='usb' type='tcp'>\n"
                   "  <source mode='bind' host='0.0.0.0' service='4001'/>\n"
                   "  <protocol type='telnet'/>\n"
                   "  <address type='usb' bus='0' port='4'/>\n"
                   "</redirdev>\n");

  /* Two spicevmc redirdevs match a bare description: ambiguous. */
  g_assert_cmpint (vb_domain_def_find_device (def, spice, &error), ==, -1);
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_clear_error (&error);
  by_addr = vb_domain_device_def_parse ("<redirdev bus='usb' type='spicevmc'><address type='usb' bus='0' port='3'/>"
                                        "</redirdev>", &error);
  g_assert_no_error (error);
  g_assert_cmpint (vb_domain_def_find_device (def, by_addr, &error), ==, 1);
  g_assert_no_error (error);

  /* Attach, then detach by source. */
  g_assert_true (vb_domain_def_add_device (def, tcp, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (def->redirdevs->len, ==, 4);
  g_assert_cmpint (vb_domain_def_find_device (def, tcp, &error), ==, 3);
  removed = vb_domain_def_remove_device (def, tcp, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (removed->data.redirdev->src_service, ==, "4001");
  g_assert_cmpuint (def->redirdevs->len, ==, 3);
  g_clear_pointer (&removed, vb_domain_device_def_free);
  g_assert_null (vb_domain_def_remove_device (def, tcp, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Detach one spicevmc by address; the other is then the only match. */
  removed = vb_domain_def_remove_device (def, by_addr, &error);
  g_assert_no_error (error);
  g_clear_pointer (&removed, vb_domain_device_def_free);
  g_assert_cmpint (vb_domain_def_find_device (def, spice, &error), ==, 0);
  g_assert_no_error (error);

  {
    g_autofree char *out = assert_round_trip (def, 0);
    schema_validate ("domain.rng", out);
  }

  /* A def built by hand is held to what the parser ensures. */
  {
    g_autoptr(VbDomainDef) n = vb_domain_def_new ();
    VbDomainRedirdevDef *r = g_new0 (VbDomainRedirdevDef, 1);
    VbDomainRedirFilterUsbDev *rule = g_new0 (VbDomainRedirFilterUsbDev, 1);
    n->name = g_strdup ("hand");
    n->memory_kib = n->current_memory_kib = 2048;
    r->type = VB_DOMAIN_CHR_TYPE_TCP;
    g_ptr_array_add (n->redirdevs, r);
    g_assert_false (vb_domain_def_validate (n, &error));
    vb_test_assert_xml_error (error, "host and service");
    g_clear_error (&error);
    r->src_host = g_strdup ("h");
    r->src_service = g_strdup ("1");
    rule->usb_class = 0x100;
    g_ptr_array_add (n->redirfilter, rule);
    g_assert_false (vb_domain_def_validate (n, &error));
    vb_test_assert_xml_error (error, "rule 1");
    g_clear_error (&error);
    rule->usb_class = rule->vendor = rule->product = rule->version = -1;
    g_assert_true (vb_domain_def_validate (n, &error));
    g_free (assert_round_trip (n, 0));
  }

  /* Fragment errors are XML errors too. */
  {
    g_autoptr(VbDomainDeviceDef) bad = vb_domain_device_def_parse ("<redirdev bus='usb' type='file'/>", &error);
    g_assert_null (bad);
    vb_test_assert_xml_error (error, "not supported for USB redirection");
    g_clear_error (&error);
    bad = vb_domain_device_def_parse ("<redirfilter><usbdev allow='yes'/></redirfilter>", &error);
    g_assert_null (bad);
    vb_test_assert_xml_error (error, "unsupported device <redirfilter>");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/xml/domain/disk-volume", test_disk_volume);
  g_test_add_func ("/xml/domain/samples", test_samples);
  g_test_add_func ("/xml/domain/filterref", test_filterref);
  g_test_add_func ("/xml/domain/test-driver", test_test_driver_xml);
  g_test_add_func ("/xml/domain/kvm-full", test_kvm_full);
  g_test_add_func ("/xml/domain/defaults", test_defaults);
  g_test_add_func ("/xml/domain/live-vs-inactive", test_live_vs_inactive);
  g_test_add_func ("/xml/domain/metadata", test_metadata_api);
  g_test_add_func ("/xml/domain/devices", test_device_api);
  g_test_add_func ("/xml/domain/negative", test_negative);
  g_test_add_func ("/xml/domain/graphics-listen", test_graphics_listen);
  g_test_add_func ("/xml/domain/validate-name", test_validate_name);
  g_test_add_func ("/xml/domain/hostile", test_hostile);
  g_test_add_func ("/xml/domain/disk-source", test_disk_source);
  g_test_add_func ("/xml/domain/redirdev", test_redirdev);
  g_test_add_func ("/xml/domain/spice-options", test_spice_options);
  g_test_add_func ("/xml/domain/redirdev-device", test_redirdev_device);
  g_test_add_func ("/xml/domain/hyperv", test_hyperv);
  g_test_add_func ("/xml/domain/sysinfo", test_sysinfo);
  g_test_add_func ("/xml/domain/ethernet", test_ethernet);
  g_test_add_func ("/xml/domain/net-bandwidth", test_net_bandwidth);
  g_test_add_func ("/xml/domain/iothreads", test_iothreads);
  return g_test_run ();
}
