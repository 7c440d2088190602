/* Tests for the storage pool and volume XML models
 * (service/xml/vb-storage-pool-def.c, vb-storage-vol-def.c). */
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "vb-error.h"
#include "vb-test-util.h"
#include "vb-storage-pool-def.h"
#include "vb-storage-vol-def.h"
#include "vb-xml.h"

/* ---- pools ---- */

static VbStoragePoolDef *
parse_pool_sample (const char *file)
{
  g_autofree char *xml = vb_test_read_sample ("pool", file);
  g_autoptr(GError) error = NULL;
  VbStoragePoolDef *def = vb_storage_pool_def_parse (xml, &error);
  g_assert_no_error (error);
  g_assert_nonnull (def);
  return def;
}

static void
check_pool_round_trip (const char *path)
{
  g_autofree char *xml = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &xml, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("pool sample %s", path);

  g_autoptr(VbStoragePoolDef) def = vb_storage_pool_def_parse (xml, &error);
  g_assert_no_error (error);
  for (guint flags = 0; flags <= VB_STORAGE_XML_INACTIVE; flags++) {
    g_autofree char *out = vb_storage_pool_def_format (def, flags);
    g_autoptr(VbStoragePoolDef) def2 = vb_storage_pool_def_parse (out, &error);
    g_assert_no_error (error);
    g_autofree char *out2 = vb_storage_pool_def_format (def2, flags);
    g_assert_cmpstr (out, ==, out2);
    if (!vb_test_schema_validate (out, "storagepool.rng"))
      return;
  }
  g_autoptr(VbStoragePoolDef) copy = vb_storage_pool_def_copy (def);
  g_autofree char *a = vb_storage_pool_def_format (def, 0);
  g_autofree char *b = vb_storage_pool_def_format (copy, 0);
  g_assert_cmpstr (a, ==, b);
}

static void
test_pool_samples (void)
{
  g_autoptr(GPtrArray) files = vb_test_list_samples ("pool");
  for (guint i = 0; i < files->len; i++)
    check_pool_round_trip (g_ptr_array_index (files, i));
}

static void
test_pool_test_driver (void)
{
  /* What `virsh -c test:///default pool-dumpxml default-pool` prints. */
  g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("test-default-pool.xml");
  g_autofree char *expected = vb_test_read_sample ("pool", "test-default-pool.xml");
  g_autofree char *out = vb_storage_pool_def_format (def, 0);
  g_autofree char *inactive = vb_storage_pool_def_format (def, VB_STORAGE_XML_INACTIVE);

  g_assert_cmpint (def->type, ==, VB_STORAGE_POOL_DIR);
  g_assert_cmpstr (def->name, ==, "default-pool");
  g_assert_cmpstr (def->uuid, ==, "dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566");
  g_assert_cmpuint (def->capacity, ==, 107374182400ULL);
  g_assert_cmpuint (def->allocation, ==, 0);
  g_assert_cmpuint (def->available, ==, 107374182400ULL);
  g_assert_cmpstr (def->target_path, ==, "/default-pool");
  /* libvirt writes the empty <source> with a blank line inside. */
  g_autofree char *normalized = g_strdup (expected);
  char *p = strstr (normalized, "<source>\n  </source>");
  g_assert_nonnull (p);
  memcpy (p, "<source/>", 9);
  memmove (p + 9, p + 20, strlen (p + 20) + 1);
  g_assert_cmpstr (out, ==, normalized);
  g_assert_null (strstr (inactive, "capacity"));
}

static void
test_pool_fields (void)
{
  {
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("dir.xml");
    g_assert_cmpuint (def->capacity, ==, 100ULL << 30);
    g_assert_cmpuint (def->allocation, ==, 4096);
    g_assert_cmpuint (def->available, ==, 1024 * 1024);
    g_assert_cmpint (def->cow, ==, VB_STORAGE_TRISTATE_NO);
    g_assert_cmpstr (def->source.vendor, ==, "Acme");
    g_assert_cmpstr (def->source.product, ==, "Storage 3000");
    g_assert_cmpstr (def->target_path, ==, "/var/lib/libvirt/images");
    g_assert_cmpint (def->target_perms.mode, ==, 0711);
    g_assert_cmpint (def->target_perms.owner, ==, 0);
    g_assert_cmpint (def->target_perms.group, ==, -1);
    g_assert_cmpstr (def->target_perms.label, ==, "system_u:object_r:virt_image_t:s0");
  }
  {
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("fs.xml");
    VbStoragePoolSourceDevice *dev;
    g_assert_true (g_uuid_string_is_valid (def->uuid));
    g_assert_cmpuint (def->source.devices->len, ==, 1);
    dev = g_ptr_array_index (def->source.devices, 0);
    g_assert_cmpstr (dev->path, ==, "/dev/sdc1");
    g_assert_cmpint (def->source.format, ==, VB_STORAGE_POOL_FORMAT_EXT4);
  }
  {
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("netfs.xml");
    VbStoragePoolSourceHost *host = g_ptr_array_index (def->source.hosts, 0);
    g_assert_cmpstr (def->uuid, ==, "ce824643-ec8a-4a91-9b56-68af90bd877d");
    g_assert_cmpstr (host->name, ==, "nfs.example.com");
    g_assert_cmpuint (host->port, ==, 2049);
    g_assert_cmpstr (def->source.dir, ==, "/export/images");
    g_assert_cmpint (def->source.format, ==, VB_STORAGE_POOL_FORMAT_NFS);
    g_assert_cmpuint (def->source.protocol_ver, ==, 4);
    g_assert_cmpint (def->target_perms.mode, ==, 0755);
  }
  {
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("logical.xml");
    g_assert_cmpuint (def->source.devices->len, ==, 2);
    /* The volume group name defaults to the pool name. */
    g_assert_cmpstr (def->source.name, ==, "vg0");
    g_assert_cmpint (def->source.format, ==, VB_STORAGE_POOL_FORMAT_LVM2);
  }
  {
    /* ... and the pool name to the volume group name. */
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("logical-noname.xml");
    g_assert_cmpstr (def->name, ==, "HostVG");
    g_assert_null (def->target_path);
  }
  {
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("disk.xml");
    VbStoragePoolSourceDevice *dev = g_ptr_array_index (def->source.devices, 0);
    g_assert_cmpint (dev->part_separator, ==, VB_STORAGE_TRISTATE_NO);
    g_assert_cmpuint (dev->free_extents->len, ==, 1);
    g_assert_cmpuint (g_array_index (dev->free_extents, VbStorageExtent, 0).start, ==, 32256);
    g_assert_cmpint (def->source.format, ==, VB_STORAGE_POOL_FORMAT_GPT);
    g_autofree char *inactive = vb_storage_pool_def_format (def, VB_STORAGE_XML_INACTIVE);
    g_assert_null (strstr (inactive, "freeExtent"));
  }
  {
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("iscsi.xml");
    g_assert_cmpstr (def->source.initiator_iqn, ==, "iqn.2013-06.com.example:host1");
    g_assert_cmpint (def->source.auth.type, ==, VB_STORAGE_AUTH_CHAP);
    g_assert_cmpstr (def->source.auth.username, ==, "myuser");
    g_assert_cmpstr (def->source.auth.secret_usage, ==, "libvirtiscsi");
    g_assert_null (def->source.auth.secret_uuid);
  }
  {
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("iscsi-direct.xml");
    g_assert_null (def->target_path);
    g_assert_cmpstr (def->source.auth.secret_uuid, ==, "2ec115d7-3a88-3ceb-bc12-0ac909a6fd87");
  }
  {
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("scsi-host.xml");
    g_assert_cmpint (def->source.adapter.type, ==, VB_STORAGE_ADAPTER_SCSI_HOST);
    g_assert_cmpstr (def->source.adapter.name, ==, "host0");
  }
  {
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("scsi-parentaddr.xml");
    const VbStoragePoolSourceAdapter *a = &def->source.adapter;
    g_assert_true (a->has_parentaddr);
    g_assert_true (a->has_unique_id);
    g_assert_cmpuint (a->unique_id, ==, 1);
    g_assert_cmpuint (a->pci_slot, ==, 0x1f);
    g_assert_cmpuint (a->pci_function, ==, 2);
  }
  {
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("scsi-fc.xml");
    const VbStoragePoolSourceAdapter *a = &def->source.adapter;
    g_assert_cmpint (a->type, ==, VB_STORAGE_ADAPTER_FC_HOST);
    g_assert_cmpstr (a->parent, ==, "scsi_host1");
    g_assert_cmpint (a->managed, ==, VB_STORAGE_TRISTATE_YES);
    g_assert_cmpstr (a->wwnn, ==, "20000000c9831b4b");
    g_assert_cmpstr (a->wwpn, ==, "10000000c9831b4b");
  }
  {
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("scsi-fc-parentwwn.xml");
    g_assert_cmpstr (def->source.adapter.parent_wwnn, ==, "20000000c9848140");
    g_assert_cmpstr (def->source.adapter.parent_fabric_wwn, ==, "2000000043214321");
  }
  {
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("rbd.xml");
    g_assert_cmpuint (def->source.hosts->len, ==, 3);
    g_assert_cmpstr (def->source.name, ==, "rbdpool");
    g_assert_cmpint (def->source.auth.type, ==, VB_STORAGE_AUTH_CEPH);
    g_assert_cmpstr (def->source.auth.secret_uuid, ==, "2ec115d7-3a88-3ceb-bc12-0ac909a6fd87");
  }
  {
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("sheepdog.xml");
    g_assert_cmpstr (def->name, ==, "sheep");
  }
  {
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("gluster.xml");
    g_assert_cmpstr (def->source.dir, ==, "/sub");
  }
  {
    g_autoptr(VbStoragePoolDef) def = parse_pool_sample ("zfs.xml");
    g_assert_cmpint (def->type, ==, VB_STORAGE_POOL_ZFS);
    g_assert_null (def->target_path);
  }
}

static void
test_pool_negative (void)
{
  static const struct {
    const char *xml;
    const char *needle;
  } cases[] = {
    { "<pool type='dir'><name>a</name><bogus/><target><path>/x</path></target></pool>", "<bogus>" },
    { "<pool type='dir' extra='1'><name>a</name><target><path>/x</path></target></pool>", "'extra'" },
    { "<pool type='lvm'><name>a</name></pool>", "unsupported pool type 'lvm'" },
    { "<pool><name>a</name></pool>", "missing attribute 'type'" },
    { "<pool type='dir'><target><path>/x</path></target></pool>", "missing <name>" },
    { "<pool type='dir'><name>a</name></pool>", "missing <target>" },
    { "<pool type='dir'><name>a</name><name>b</name><target><path>/x</path></target></pool>", "only once" },
    { "<pool type='dir'><name>a/b</name><target><path>/x</path></target></pool>", "'/'" },
    { "<pool type='dir'><name>a</name><target><path>/x</path></target>", "malformed XML" },
    { "<pool type='dir'><name>a</name><uuid>nope</uuid><target><path>/x</path></target></pool>", "UUID" },
    { "<pool type='dir'><name>a</name><target><path>relative</path></target></pool>", "absolute" },
    { "<pool type='dir'><name>a</name><source><host name='h'/></source><target><path>/x</path></target></pool>",
      "<host>" },
    { "<pool type='dir'><name>a</name><capacity unit='parsec'>1</capacity><target><path>/x</path></target></pool>",
      "unit" },
    { "<pool type='dir'><name>a</name><capacity>99999999999999999999999</capacity><target><path>/x</path></target></pool>",
      "capacity" },
    { "<pool type='dir'><name>a</name><target><path>/x</path><permissions><mode>0999</mode></permissions></target></pool>",
      "octal" },
    { "<pool type='dir'><name>a</name><target><path>/x</path><permissions><owner>-5</owner></permissions></target></pool>",
      "owner" },
    { "<pool type='fs'><name>a</name><source><device path='/dev/a'/><format type='nfs'/></source><target><path>/x</path></target></pool>",
      "format type 'nfs'" },
    { "<pool type='fs'><name>a</name><source><device path='/dev/a'/><device path='/dev/b'/></source><target><path>/x</path></target></pool>",
      "single source device" },
    { "<pool type='fs'><name>a</name><source/><target><path>/x</path></target></pool>", "missing <device>" },
    { "<pool type='netfs'><name>a</name><source><host name='h'/></source><target><path>/x</path></target></pool>",
      "missing <dir>" },
    { "<pool type='netfs'><name>a</name><source><host name='h h'/><dir path='/e'/></source><target><path>/x</path></target></pool>",
      "host name" },
    { "<pool type='netfs'><name>a</name><source><host name='h' port='70000'/><dir path='/e'/></source><target><path>/x</path></target></pool>",
      "port" },
    { "<pool type='netfs'><name>a</name><features><cow state='no'/></features><source><host name='h'/><dir path='/e'/></source><target><path>/x</path></target></pool>",
      "<features>" },
    { "<pool type='scsi'><name>a</name><source><adapter type='fc_host' wwnn='123' wwpn='1000000012341234'/></source><target><path>/x</path></target></pool>",
      "WWN" },
    { "<pool type='scsi'><name>a</name><source><adapter type='fc_host' name='host0' wwnn='2000000012341234' wwpn='1000000012341234'/></source><target><path>/x</path></target></pool>",
      "'name'" },
    { "<pool type='scsi'><name>a</name><source><adapter type='scsi_host'/></source><target><path>/x</path></target></pool>",
      "either a 'name'" },
    { "<pool type='iscsi'><name>a</name><source><host name='h'/><device path='iqn.2013-06.com.example:x'/><auth type='ceph' username='u'><secret usage='x'/></auth></source><target><path>/x</path></target></pool>",
      "auth type 'chap'" },
    { "<pool type='iscsi'><name>a</name><source><host name='h'/><device path='iqn.2013-06.com.example:x'/><auth type='chap' username='u'><secret usage='x' uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87'/></auth></source><target><path>/x</path></target></pool>",
      "exactly one" },
    { "<pool type='iscsi-direct'><name>a</name><source><host name='h'/><device path='/dev/x'/><initiator><iqn name='iqn.2013-06.com.example:h'/></initiator></source></pool>",
      "source device path" },
    { "<pool type='rbd'><name>a</name><source><host name='h'/></source></pool>", "missing <source><name>" },
    { "<pool type='rbd'><name>a</name><source><name>p</name><host name='h'/></source><target><path>/x</path></target></pool>",
      "<target>" },
    { "<pool type='fs'><name>a</name><source><device path='/dev/a'/></source><target><path>/x</path></target><fs:mount_opts xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'/></pool>",
      "namespaced" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(VbStoragePoolDef) def = vb_storage_pool_def_parse (cases[i].xml, &error);
    g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].xml);
    g_assert_null (def);
    vb_test_assert_xml_error (error, cases[i].needle);
  }
}

static void
test_pool_hostile (void)
{
  /* Many hosts and extents: linear work, no crash. */
  g_autoptr(GString) s = g_string_new ("<pool type='rbd'><source><name>p</name>");
  g_autoptr(GError) error = NULL;
  for (int i = 0; i < 20000; i++)
    g_string_append_printf (s, "<host name='h%d' port='%d'/>", i, i % 65536);
  g_string_append (s, "</source></pool>");
  g_autoptr(VbStoragePoolDef) def = vb_storage_pool_def_parse (s->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (def->source.hosts->len, ==, 20000);

  /* No error pointer: still fails cleanly. */
  g_assert_null (vb_storage_pool_def_parse ("<pool type='scsi'><name>a</name><source><adapter type='fc_host' "
                                            "wwnn='1' wwpn='2'/></source><target><path>/x</path></target></pool>",
                                            NULL));
  g_assert_null (vb_storage_pool_def_parse (NULL, NULL));
}

static void
test_pool_sources (void)
{
  g_autoptr(GError) error = NULL;

  /* The shapes FindStoragePoolSources returns on test:///default. */
  {
    g_autoptr(VbStoragePoolSourceList) list = vb_storage_pool_source_list_new (VB_STORAGE_POOL_LOGICAL);
    for (int i = 1; i <= 2; i++) {
      VbStoragePoolSource *src = vb_storage_pool_source_new ();
      VbStoragePoolSourceDevice *dev = g_new0 (VbStoragePoolSourceDevice, 1);
      dev->path = g_strdup_printf ("/dev/sda2%d", i - 1);
      dev->free_extents = g_array_new (FALSE, FALSE, sizeof (VbStorageExtent));
      g_ptr_array_add (src->devices, dev);
      src->name = g_strdup_printf ("testvg%d", i);
      src->format = VB_STORAGE_POOL_FORMAT_LVM2;
      vb_storage_pool_source_list_add (list, src);
    }
    g_autofree char *out = vb_storage_pool_source_list_format (list);
    g_assert_cmpstr (out, ==,
                     "<sources>\n"
                     "  <source>\n"
                     "    <device path='/dev/sda20'/>\n"
                     "    <name>testvg1</name>\n"
                     "    <format type='lvm2'/>\n"
                     "  </source>\n"
                     "  <source>\n"
                     "    <device path='/dev/sda21'/>\n"
                     "    <name>testvg2</name>\n"
                     "    <format type='lvm2'/>\n"
                     "  </source>\n"
                     "</sources>\n");
  }
  {
    g_autoptr(VbStoragePoolSource) spec =
      vb_storage_pool_source_parse (VB_STORAGE_POOL_NETFS, "<source><host name='localhost'/></source>", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (spec->hosts->len, ==, 1);
    g_autoptr(VbStoragePoolSourceList) list = vb_storage_pool_source_list_new (VB_STORAGE_POOL_NETFS);
    VbStoragePoolSource *src = vb_storage_pool_source_copy (spec);
    src->dir = g_strdup ("/testshare");
    src->format = VB_STORAGE_POOL_FORMAT_NFS;
    vb_storage_pool_source_list_add (list, src);
    g_autofree char *out = vb_storage_pool_source_list_format (list);
    g_assert_cmpstr (out, ==,
                     "<sources>\n"
                     "  <source>\n"
                     "    <host name='localhost'/>\n"
                     "    <dir path='/testshare'/>\n"
                     "    <format type='nfs'/>\n"
                     "  </source>\n"
                     "</sources>\n");
  }
  {
    g_autoptr(VbStoragePoolSource) spec =
      vb_storage_pool_source_parse (VB_STORAGE_POOL_NETFS, "<source><adapter name='x'/></source>", &error);
    g_assert_null (spec);
    vb_test_assert_xml_error (error, "<adapter>");
  }
}

/* ---- volumes ---- */

static VbStorageVolDef *
parse_vol_sample (const char *file)
{
  g_autofree char *xml = vb_test_read_sample ("vol", file);
  g_autoptr(GError) error = NULL;
  VbStorageVolDef *def = vb_storage_vol_def_parse (xml, &error);
  g_assert_no_error (error);
  g_assert_nonnull (def);
  return def;
}

static void
check_vol_round_trip (const char *path)
{
  g_autofree char *xml = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &xml, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("volume sample %s", path);

  g_autoptr(VbStorageVolDef) def = vb_storage_vol_def_parse (xml, &error);
  g_assert_no_error (error);
  for (guint flags = 0; flags <= VB_STORAGE_XML_INACTIVE; flags++) {
    g_autofree char *out = vb_storage_vol_def_format (def, flags);
    g_autoptr(VbStorageVolDef) def2 = vb_storage_vol_def_parse (out, &error);
    g_assert_no_error (error);
    g_autofree char *out2 = vb_storage_vol_def_format (def2, flags);
    g_assert_cmpstr (out, ==, out2);
    if (!vb_test_schema_validate (out, "storagevol.rng"))
      return;
  }
  g_autoptr(VbStorageVolDef) copy = vb_storage_vol_def_copy (def);
  g_autofree char *a = vb_storage_vol_def_format (def, 0);
  g_autofree char *b = vb_storage_vol_def_format (copy, 0);
  g_assert_cmpstr (a, ==, b);
}

static void
test_vol_samples (void)
{
  g_autoptr(GPtrArray) files = vb_test_list_samples ("vol");
  for (guint i = 0; i < files->len; i++)
    check_vol_round_trip (g_ptr_array_index (files, i));
}

static void
test_vol_fields (void)
{
  {
    g_autoptr(VbStorageVolDef) def = parse_vol_sample ("qcow2-full.xml");
    g_assert_cmpint (def->type, ==, VB_STORAGE_VOL_FILE);
    g_assert_cmpstr (def->name, ==, "disk1.qcow2");
    g_assert_cmpstr (def->key, ==, "/var/lib/libvirt/images/disk1.qcow2");
    g_assert_true (def->has_capacity);
    g_assert_cmpuint (def->capacity, ==, 10ULL << 30);
    g_assert_cmpuint (def->allocation, ==, 100ULL << 20);
    g_assert_cmpuint (def->physical, ==, 200ULL << 20);
    g_assert_cmpstr (def->path, ==, "/var/lib/libvirt/images/disk1.qcow2");
    g_assert_cmpint (def->format, ==, VB_STORAGE_VOL_FORMAT_QCOW2);
    g_assert_cmpint (def->perms.mode, ==, 0600);
    g_assert_cmpint (def->perms.owner, ==, 107);
    g_assert_cmpint (def->perms.group, ==, 107);
    g_assert_true (def->timestamps.atime.set);
    g_assert_cmpuint (def->timestamps.atime.sec, ==, 1341933637);
    g_assert_cmpuint (def->timestamps.atime.nsec, ==, 273190990);
    g_assert_cmpuint (def->timestamps.btime.nsec, ==, 0);
    g_assert_cmpuint (def->timestamps.mtime.nsec, ==, 500000000);
    g_assert_cmpint (def->encryption, ==, VB_STORAGE_ENCRYPTION_LUKS);
    g_assert_cmpint (def->encryption_engine, ==, VB_STORAGE_ENCRYPTION_ENGINE_QEMU);
    g_assert_cmpstr (def->encryption_secret_uuid, ==, "2ec115d7-3a88-3ceb-bc12-0ac909a6fd87");
    g_assert_cmpstr (def->compat, ==, "1.1");
    g_assert_true (def->nocow);
    g_assert_cmpuint (def->cluster_size, ==, 65536);
    g_assert_true (def->lazy_refcounts);
    g_assert_true (def->extended_l2);
    g_assert_nonnull (def->backing_store);
    g_assert_cmpstr (def->backing_store->path, ==, "/var/lib/libvirt/images/base.img");
    g_assert_cmpint (def->backing_store->format, ==, VB_STORAGE_VOL_FORMAT_RAW);
    g_assert_cmpint (def->backing_store->perms.mode, ==, 0644);
    g_assert_cmpint (def->backing_store->perms.owner, ==, -1);
    g_assert_cmpuint (def->backing_store->timestamps.mtime.nsec, ==, 1);

    g_autofree char *live = vb_storage_vol_def_format (def, 0);
    g_autofree char *inactive = vb_storage_vol_def_format (def, VB_STORAGE_XML_INACTIVE);
    g_assert_nonnull (strstr (live, "<atime>1341933637.273190990</atime>"));
    g_assert_nonnull (strstr (live, "<mtime>1341930622.500000000</mtime>"));
    g_assert_nonnull (strstr (live, "<key>"));
    g_assert_null (strstr (inactive, "<key>"));
    g_assert_null (strstr (inactive, "timestamps"));
  }
  {
    g_autoptr(VbStorageVolDef) def = parse_vol_sample ("minimal.xml");
    g_assert_cmpint (def->type, ==, VB_STORAGE_VOL_FILE);
    g_assert_cmpuint (def->capacity, ==, 1073741824);
    g_assert_false (def->has_allocation);
    g_assert_null (def->path);
    g_assert_null (def->backing_store);
  }
  {
    g_autoptr(VbStorageVolDef) def = parse_vol_sample ("create-raw.xml");
    g_assert_cmpuint (def->capacity, ==, 20ULL << 30);
    g_assert_true (def->has_allocation);
    g_assert_cmpuint (def->allocation, ==, 0);
  }
  {
    g_autoptr(VbStorageVolDef) def = parse_vol_sample ("lv.xml");
    VbStorageVolSourceDevice *dev;
    g_assert_cmpint (def->type, ==, VB_STORAGE_VOL_BLOCK);
    g_assert_cmpuint (def->source_devices->len, ==, 2);
    dev = g_ptr_array_index (def->source_devices, 1);
    g_assert_cmpstr (dev->path, ==, "/dev/sdc1");
    g_assert_cmpuint (dev->extents->len, ==, 2);
    g_assert_cmpuint (g_array_index (dev->extents, VbStorageExtent, 1).end, ==, 33554432);
  }
  {
    g_autoptr(VbStorageVolDef) def = parse_vol_sample ("network.xml");
    g_assert_cmpint (def->type, ==, VB_STORAGE_VOL_NETWORK);
    g_assert_cmpstr (def->path, ==, "rbd:rbdpool/image1");
  }
  {
    g_autoptr(VbStorageVolDef) def = parse_vol_sample ("partition.xml");
    g_assert_cmpint (def->format, ==, VB_STORAGE_VOL_FORMAT_LINUX_SWAP);
    g_assert_cmpint (def->encryption, ==, VB_STORAGE_ENCRYPTION_DEFAULT);
  }
}

static void
test_vol_negative (void)
{
  static const struct {
    const char *xml;
    const char *needle;
  } cases[] = {
    { "<volume><name>a</name><capacity>1</capacity><bogus/></volume>", "<bogus>" },
    { "<volume sparse='yes'><name>a</name></volume>", "'sparse'" },
    { "<volume type='tape'><name>a</name></volume>", "unsupported value 'tape'" },
    { "<volume><capacity>1</capacity></volume>", "missing <name>" },
    { "<volume><name>a</name><name>b</name></volume>", "only once" },
    { "<volume><name>a/b</name></volume>", "'/'" },
    { "<volume><name>..</name></volume>", "'..'" },
    { "<volume><name>a</name>", "malformed XML" },
    { "<volume><name>a</name><capacity unit='XiB'>1</capacity></volume>", "unit" },
    { "<volume><name>a</name><target><format type='qcow3'/></target></volume>", "qcow3" },
    { "<volume><name>a</name><target><format/></target></volume>", "missing attribute 'type'" },
    { "<volume><name>a</name><target><path>relative/path</path></target></volume>", "absolute" },
    { "<volume><name>a</name><target><compat>one</compat></target></volume>", "compat" },
    { "<volume><name>a</name><target><timestamps><atime>1.1234567891</atime></timestamps></target></volume>",
      "timestamp" },
    { "<volume><name>a</name><target><encryption format='rot13'/></target></volume>", "rot13" },
    { "<volume><name>a</name><target><encryption format='luks'><secret type='passphrase'/></encryption></target></volume>",
      "exactly one" },
    { "<volume><name>a</name><target><encryption format='luks'><cipher name='aes' size='256'/></encryption></target></volume>",
      "<cipher>" },
    { "<volume><name>a</name><target><features><refcount_bits/></features></target></volume>", "<refcount_bits>" },
    { "<volume><name>a</name><backingStore><format type='raw'/></backingStore></volume>", "missing <path>" },
    { "<volume><name>a</name><source><device path='/dev/a'><extent start='5' end='1'/></device></source></volume>",
      "ends before" },
    { "<volume><name>a&#13;b</name></volume>", "carriage return" },
    { "<volume type='file&#10;'><name>a</name></volume>", "line break" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(VbStorageVolDef) def = vb_storage_vol_def_parse (cases[i].xml, &error);
    g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].xml);
    g_assert_null (def);
    vb_test_assert_xml_error (error, cases[i].needle);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/xml/storage-pool/samples", test_pool_samples);
  g_test_add_func ("/xml/storage-pool/test-driver", test_pool_test_driver);
  g_test_add_func ("/xml/storage-pool/fields", test_pool_fields);
  g_test_add_func ("/xml/storage-pool/negative", test_pool_negative);
  g_test_add_func ("/xml/storage-pool/hostile", test_pool_hostile);
  g_test_add_func ("/xml/storage-pool/sources", test_pool_sources);
  g_test_add_func ("/xml/storage-vol/samples", test_vol_samples);
  g_test_add_func ("/xml/storage-vol/fields", test_vol_fields);
  g_test_add_func ("/xml/storage-vol/negative", test_vol_negative);
  return g_test_run ();
}
