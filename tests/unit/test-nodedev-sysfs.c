/* backends/nodedev: host devices read from a fake sysfs tree (and once
 * from this machine's /sys), hostile trees, the PCI driver and mediated
 * device writes against a fake kernel, the uevent format, and the module
 * on a backend: load, hotplug events, operations. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vb-backend.h"
#include "vb-error.h"
#include "vb-nodedev-def.h"
#include "vb-nodedev-ids.h"
#include "vb-nodedev-local.h"
#include "vb-nodedev-sysfs.h"
#include "vb-nodedev-uevent.h"
#include "vb-test-util.h"

/* ---- building a fake tree ---- */

static void
put_bytes (const char *root, const char *rel, const void *data, gsize len)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);
}

static void
put (const char *root, const char *rel, const char *text)
{
  put_bytes (root, rel, text, strlen (text));
}

static void
mkdirs (const char *root, const char *rel)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
}

/* A relative link at @from to @to (both relative to the root), as the
 * kernel makes them: "../../devices/…". */
static void
mklink (const char *root, const char *from, const char *to)
{
  g_autofree char *path = g_build_filename (root, from, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GString) target = g_string_new (NULL);

  for (const char *p = from; *p; p++)
    if (*p == '/')
      g_string_append (target, "../");
  g_string_append (target, to);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  unlink (path);
  g_assert_cmpint (symlink (target->str, path), ==, 0);
}

static void
rm_rf (const char *path)
{
  struct stat st;

  if (lstat (path, &st) < 0)
    return;
  if (S_ISDIR (st.st_mode)) {
    g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);
      rm_rf (child);
    }
    rmdir (path);
  } else {
    unlink (path);
  }
}

static char *
read_back (const char *root, const char *rel)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return contents;
}

static char *
link_name (const char *root, const char *rel)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *target = g_file_read_link (path, NULL);
  return target ? g_path_get_basename (target) : NULL;
}

#define P00 "devices/pci0000:00"
#define ROOT_PORT P00 "/0000:00:01.0"
#define NIC ROOT_PORT "/0000:01:00.0"
#define VF ROOT_PORT "/0000:01:10.0"
#define VIRTIO_BLK P00 "/0000:00:02.0"
#define XHCI P00 "/0000:00:03.0"
#define SCSI_HBA P00 "/0000:00:04.0"
#define GPU P00 "/0000:00:05.0"
#define HOST0 SCSI_HBA "/virtio2/host0"
#define SDA_DEV HOST0 "/target0:0:0/0:0:0:0"
#define SR0_DEV HOST0 "/target0:0:1/0:0:1:0"

/* Standard config space: 64-byte header, then (for @pcie_port >= 0) a
 * PCI Express capability whose link has that port number. */
static void
put_config (const char *root, const char *dev, gboolean bridge, int pcie_port)
{
  g_autofree char *rel = g_build_filename (dev, "config", NULL);
  guchar cfg[256] = { 0 };

  cfg[0x0e] = bridge ? 1 : 0;
  if (pcie_port >= 0) {
    cfg[0x06] = 0x10;
    cfg[0x34] = 0x40;
    cfg[0x40] = 0x10;
    cfg[0x41] = 0x00;
    cfg[0x4f] = (guchar) pcie_port;
  }
  put_bytes (root, rel, cfg, sizeof cfg);
}

static void
put_in (const char *root, const char *dir, const char *name, const char *text)
{
  g_autofree char *rel = g_build_filename (dir, name, NULL);
  put (root, rel, text);
}

static void
link_in (const char *root, const char *dir, const char *name, const char *to)
{
  g_autofree char *rel = g_build_filename (dir, name, NULL);
  mklink (root, rel, to);
}

static void
put_pci (const char *root, const char *dev, const char *klass, const char *vendor, const char *device,
         const char *driver)
{
  g_autofree char *addr = g_path_get_basename (dev);
  g_autofree char *bus_link = g_build_filename ("bus/pci/devices", addr, NULL);

  put_in (root, dev, "class", klass);
  put_in (root, dev, "vendor", vendor);
  put_in (root, dev, "device", device);
  put_in (root, dev, "driver_override", "(null)\n");
  link_in (root, dev, "subsystem", "bus/pci");
  if (driver != NULL) {
    g_autofree char *drv = g_build_filename ("bus/pci/drivers", driver, NULL);
    put_in (root, drv, "unbind", "");
    link_in (root, dev, "driver", drv);
  }
  mklink (root, bus_link, dev);
}

static void
build_tree (const char *root)
{
  static const guchar vpd[] = { 0x00, 0x80, 0x00, 0x08, 'D', 'R', 'I', 'V', 'E', '0', '0', '1' };

  /* DMI */
  put (root, "devices/virtual/dmi/id/product_name", "KVM Virtual Machine\n");
  put (root, "devices/virtual/dmi/id/sys_vendor", "QEMU\n");
  put (root, "devices/virtual/dmi/id/product_version", "pc-q35-7.2\n");
  put (root, "devices/virtual/dmi/id/product_serial", "SER123\n");
  put (root, "devices/virtual/dmi/id/product_uuid", "4C4C4544-0042-3010-8051-B4C04F4B3732\n");
  put (root, "devices/virtual/dmi/id/bios_vendor", "SeaBIOS\n");
  put (root, "devices/virtual/dmi/id/bios_version", "1.16.2\n");
  put (root, "devices/virtual/dmi/id/bios_date", "04/01/2014\n");
  mklink (root, "class/dmi/id", "devices/virtual/dmi/id");
  put (root, "bus/pci/drivers_probe", "");

  /* PCI: host bridge, a PCIe root port with a NIC (SR-IOV, one VF) below */
  put_pci (root, P00 "/0000:00:00.0", "0x060000\n", "0x8086\n", "0x29c0\n", NULL);
  put_config (root, P00 "/0000:00:00.0", FALSE, -1);
  put_pci (root, ROOT_PORT, "0x060400\n", "0x1b36\n", "0x000c\n", "pcieport");
  put_config (root, ROOT_PORT, TRUE, 16);
  put_in (root, ROOT_PORT, "max_link_speed", "16.0 GT/s PCIe\n");
  put_in (root, ROOT_PORT, "max_link_width", "16\n");
  put_in (root, ROOT_PORT, "current_link_speed", "2.5 GT/s PCIe\n");
  put_in (root, ROOT_PORT, "current_link_width", "1\n");
  put_in (root, ROOT_PORT, "numa_node", "0\n");
  link_in (root, ROOT_PORT, "iommu_group", "kernel/iommu_groups/3");
  mklink (root, "kernel/iommu_groups/3/devices/0000:00:01.0", ROOT_PORT);

  put_pci (root, NIC, "0x020000\n", "0x8086\n", "0x10fb\n", "ixgbe");
  put_config (root, NIC, FALSE, 0);
  put_in (root, NIC, "max_link_speed", "5.0 GT/s PCIe\n");
  put_in (root, NIC, "max_link_width", "8\n");
  put_in (root, NIC, "current_link_speed", "5.0 GT/s PCIe\n");
  put_in (root, NIC, "current_link_width", "8\n");
  put_in (root, NIC, "numa_node", "-1\n");
  put_in (root, NIC, "sriov_totalvfs", "63\n");
  put_in (root, NIC, "reset", "");
  link_in (root, NIC, "virtfn0", VF);
  link_in (root, NIC, "iommu_group", "kernel/iommu_groups/4");
  mklink (root, "kernel/iommu_groups/4/devices/0000:01:10.0", VF);
  mklink (root, "kernel/iommu_groups/4/devices/0000:01:00.0", NIC);
  put_pci (root, VF, "0x020000\n", "0x8086\n", "0x10ed\n", NULL);
  link_in (root, VF, "physfn", NIC);
  link_in (root, VF, "iommu_group", "kernel/iommu_groups/4");
  put_in (root, NIC "/net/eth0", "address", "52:54:00:12:34:56\n");
  put_in (root, NIC "/net/eth0", "operstate", "up\n");
  put_in (root, NIC "/net/eth0", "speed", "10000\n");
  put_in (root, NIC "/net/eth0", "uevent", "INTERFACE=eth0\nIFINDEX=2\n");
  link_in (root, NIC "/net/eth0", "device", NIC);
  mklink (root, "class/net/eth0", NIC "/net/eth0");
  put (root, "devices/virtual/net/lo/address", "00:00:00:00:00:00\n");
  put (root, "devices/virtual/net/lo/operstate", "unknown\n");
  mklink (root, "class/net/lo", "devices/virtual/net/lo");

  /* virtio-blk disk with a partition; a loop device */
  put_pci (root, VIRTIO_BLK, "0x010000\n", "0x1af4\n", "0x1001\n", "virtio-pci");
  put_in (root, VIRTIO_BLK "/virtio1/block/vda", "uevent", "MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n");
  put_in (root, VIRTIO_BLK "/virtio1/block/vda", "size", "2097152\n");
  put_in (root, VIRTIO_BLK "/virtio1/block/vda", "serial", "VDSERIAL1\n");
  put_in (root, VIRTIO_BLK "/virtio1/block/vda", "removable", "0\n");
  put_in (root, VIRTIO_BLK "/virtio1/block/vda/queue", "logical_block_size", "4096\n");
  link_in (root, VIRTIO_BLK "/virtio1/block/vda", "device", VIRTIO_BLK "/virtio1");
  put_in (root, VIRTIO_BLK "/virtio1/block/vda/vda1", "uevent", "DEVNAME=vda1\nDEVTYPE=partition\n");
  put_in (root, VIRTIO_BLK "/virtio1/block/vda/vda1", "partition", "1\n");
  mklink (root, "block/vda", VIRTIO_BLK "/virtio1/block/vda");
  mklink (root, "class/block/vda", VIRTIO_BLK "/virtio1/block/vda");
  mklink (root, "class/block/vda1", VIRTIO_BLK "/virtio1/block/vda/vda1");
  put (root, "devices/virtual/block/loop0/uevent", "DEVNAME=loop0\nDEVTYPE=disk\n");
  put (root, "devices/virtual/block/loop0/size", "0\n");
  mklink (root, "block/loop0", "devices/virtual/block/loop0");

  /* USB: root hub, a tablet and its interface */
  put_pci (root, XHCI, "0x0c0330\n", "0x1b36\n", "0x000d\n", "xhci_hcd");
  put_in (root, XHCI "/usb1", "uevent", "DEVTYPE=usb_device\nDEVNAME=bus/usb/001/001\n");
  put_in (root, XHCI "/usb1", "busnum", "1\n");
  put_in (root, XHCI "/usb1", "devnum", "1\n");
  put_in (root, XHCI "/usb1", "idVendor", "1d6b\n");
  put_in (root, XHCI "/usb1", "idProduct", "0003\n");
  put_in (root, XHCI "/usb1", "manufacturer", "Linux 6.1.0 xhci-hcd\n");
  put_in (root, XHCI "/usb1", "product", "xHCI Host Controller\n");
  link_in (root, XHCI "/usb1", "driver", "bus/usb/drivers/usb");
  put_in (root, XHCI "/usb1/1-1", "uevent", "DEVTYPE=usb_device\nDEVNAME=bus/usb/001/002\n");
  put_in (root, XHCI "/usb1/1-1", "busnum", "1\n");
  put_in (root, XHCI "/usb1/1-1", "devnum", "2\n");
  put_in (root, XHCI "/usb1/1-1", "idVendor", "0627\n");
  put_in (root, XHCI "/usb1/1-1", "idProduct", "0001\n");
  put_in (root, XHCI "/usb1/1-1", "manufacturer", "QEMU\n");
  put_in (root, XHCI "/usb1/1-1", "product", "QEMU USB Tablet\n");
  put_in (root, XHCI "/usb1/1-1/1-1:1.0", "uevent", "DEVTYPE=usb_interface\n");
  put_in (root, XHCI "/usb1/1-1/1-1:1.0", "bInterfaceNumber", "00\n");
  put_in (root, XHCI "/usb1/1-1/1-1:1.0", "bInterfaceClass", "03\n");
  put_in (root, XHCI "/usb1/1-1/1-1:1.0", "bInterfaceSubClass", "00\n");
  put_in (root, XHCI "/usb1/1-1/1-1:1.0", "bInterfaceProtocol", "00\n");
  link_in (root, XHCI "/usb1/1-1/1-1:1.0", "driver", "bus/usb/drivers/usbhid");
  mklink (root, "bus/usb/devices/usb1", XHCI "/usb1");
  mklink (root, "bus/usb/devices/1-1", XHCI "/usb1/1-1");
  mklink (root, "bus/usb/devices/1-1:1.0", XHCI "/usb1/1-1/1-1:1.0");

  /* SCSI: host, targets, a disk with its generic node, a CD-ROM */
  put_pci (root, SCSI_HBA, "0x010000\n", "0x1af4\n", "0x1004\n", "virtio-pci");
  put_in (root, HOST0, "uevent", "DEVTYPE=scsi_host\n");
  put_in (root, HOST0 "/scsi_host/host0", "unique_id", "1\n");
  put_in (root, HOST0 "/target0:0:0", "uevent", "DEVTYPE=scsi_target\n");
  put_in (root, SDA_DEV, "uevent", "DEVTYPE=scsi_device\n");
  put_in (root, SDA_DEV, "type", "0\n");
  put_in (root, SDA_DEV, "vendor", "QEMU    \n");
  put_in (root, SDA_DEV, "model", "QEMU HARDDISK   \n");
  put_bytes (root, SDA_DEV "/vpd_pg80", vpd, sizeof vpd);
  link_in (root, SDA_DEV, "driver", "bus/scsi/drivers/sd");
  put_in (root, SDA_DEV "/block/sda", "uevent", "DEVNAME=sda\nDEVTYPE=disk\n");
  put_in (root, SDA_DEV "/block/sda", "size", "20971520\n");
  put_in (root, SDA_DEV "/block/sda/queue", "logical_block_size", "512\n");
  link_in (root, SDA_DEV "/block/sda", "device", SDA_DEV);
  put_in (root, SDA_DEV "/scsi_generic/sg0", "uevent", "DEVNAME=sg0\n");
  put_in (root, HOST0 "/target0:0:1", "uevent", "DEVTYPE=scsi_target\n");
  put_in (root, SR0_DEV, "uevent", "DEVTYPE=scsi_device\n");
  put_in (root, SR0_DEV, "type", "5\n");
  put_in (root, SR0_DEV "/block/sr0", "uevent", "DEVNAME=sr0\nDEVTYPE=disk\n");
  put_in (root, SR0_DEV "/block/sr0", "size", "0\n");
  put_in (root, SR0_DEV "/block/sr0", "removable", "1\n");
  put_in (root, SR0_DEV "/block/sr0/queue", "logical_block_size", "2048\n");
  link_in (root, SR0_DEV "/block/sr0", "device", SR0_DEV);
  mklink (root, "bus/scsi/devices/host0", HOST0);
  mklink (root, "bus/scsi/devices/target0:0:0", HOST0 "/target0:0:0");
  mklink (root, "bus/scsi/devices/0:0:0:0", SDA_DEV);
  mklink (root, "bus/scsi/devices/target0:0:1", HOST0 "/target0:0:1");
  mklink (root, "bus/scsi/devices/0:0:1:0", SR0_DEV);
  mklink (root, "block/sda", SDA_DEV "/block/sda");
  mklink (root, "block/sr0", SR0_DEV "/block/sr0");
  mklink (root, "class/scsi_generic/sg0", SDA_DEV "/scsi_generic/sg0");

  /* A GPU: DRM minors and a connector, mediated device types */
  put_pci (root, GPU, "0x030000\n", "0x10de\n", "0x1eb8\n", "nvidia");
  put_in (root, GPU "/drm/card0", "uevent", "DEVNAME=dri/card0\nDEVTYPE=drm_minor\n");
  put_in (root, GPU "/drm/renderD128", "uevent", "DEVNAME=dri/renderD128\nDEVTYPE=drm_minor\n");
  put_in (root, GPU "/drm/card0/card0-HDMI-A-1", "status", "disconnected\n");
  mklink (root, "class/drm/card0", GPU "/drm/card0");
  mklink (root, "class/drm/renderD128", GPU "/drm/renderD128");
  mklink (root, "class/drm/card0-HDMI-A-1", GPU "/drm/card0/card0-HDMI-A-1");
  put_in (root, GPU "/mdev_supported_types/nvidia-222", "name", "GRID T4-1B\n");
  put_in (root, GPU "/mdev_supported_types/nvidia-222", "device_api", "vfio-pci\n");
  put_in (root, GPU "/mdev_supported_types/nvidia-222", "available_instances", "16\n");
  put_in (root, GPU "/mdev_supported_types/nvidia-222", "create", "");
  link_in (root, GPU, "iommu_group", "kernel/iommu_groups/7");
  mklink (root, "kernel/iommu_groups/7/devices/0000:00:05.0", GPU);
  mkdirs (root, "bus/mdev/devices");
}

/* A small pci.ids: comments, a subsystem line, an over-long line. */
static void
put_ids (const char *root)
{
  g_autoptr(GString) ids = g_string_new ("# comment\n#\n");

  g_string_append (ids, "10de  NVIDIA Corporation\n\t1eb8  TU104GL [Tesla T4]\n\t\t10de 12a2  Tesla T4\n");
  g_string_append (ids, "1af4  Red Hat, Inc.\n\t1000  Virtio network device\n\t1001  Virtio block device\n");
  g_string_append (ids, "\t");
  for (int i = 0; i < 1000; i++)
    g_string_append (ids, "1004  long ");
  g_string_append (ids, "\n\t1004  Virtio SCSI\n");
  g_string_append (ids, "8086  Intel Corporation\n\t10fb  82599ES 10-Gigabit SFI/SFP+ Network Connection\n");
  g_string_append (ids, "\t29c0  82G33/G31/P35/P31 Express DRAM Controller\n");
  g_string_append (ids, "C 02  Network controller\n");
  put (root, "ids/pci.ids", ids->str);
  put (root, "ids/usb.ids", "0627  Adomax Technology Co., Ltd\n\t0001  QEMU Tablet\n");
}

/* ---- the fake kernel: what writes to sysfs do ---- */

typedef struct {
  char *root;
  VbNodedevSysfs *sysfs;
  GPtrArray *writes;     /* "<path below the root> <value>" */
  const char *fail_on;   /* a write to a path ending so fails */
  gboolean probe_binds;  /* drivers_probe binds as the override says */
  const char *native;    /* the host driver drivers_probe binds */
} Fixture;

static char *
device_of (Fixture *fx, const char *address)
{
  g_autofree char *link = g_build_filename (fx->root, "bus/pci/devices", address, NULL);
  return realpath (link, NULL);
}

static gboolean
fake_kernel (const char *path, const char *value, gpointer user_data, GError **error)
{
  Fixture *fx = user_data;
  const char *rel = path + strlen (fx->root) + 1;

  g_ptr_array_add (fx->writes, g_strdup_printf ("%s %s", rel, value));
  if (fx->fail_on != NULL && g_str_has_suffix (path, fx->fail_on)) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot write to %s: No such device", rel);
    return FALSE;
  }
  /* An attribute holds what was written last. */
  g_assert_cmpint (truncate (path, 0), ==, 0);
  if (g_str_has_suffix (path, "/driver/unbind")) {
    g_autofree char *dev = g_strndup (path, strlen (path) - strlen ("/driver/unbind"));
    g_autofree char *driver = g_build_filename (dev, "driver", NULL);
    unlink (driver);
  } else if (g_str_has_suffix (path, "/drivers_probe")) {
    g_autofree char *dev = device_of (fx, value);
    g_autofree char *driver = g_build_filename (dev, "driver", NULL);
    g_autofree char *override = g_build_filename (dev, "driver_override", NULL);
    g_autofree char *wanted = NULL;
    g_autofree char *rel_dev = g_strdup (dev + strlen (fx->root) + 1);
    g_autofree char *rel_driver = g_build_filename (rel_dev, "driver", NULL);
    g_autofree char *vfio = g_build_filename (fx->root, "bus/pci/drivers/vfio-pci", NULL);
    struct stat st;

    if (lstat (driver, &st) == 0 || !fx->probe_binds)
      return TRUE;
    g_file_get_contents (override, &wanted, NULL, NULL);
    if (g_strcmp0 (wanted, "vfio-pci") == 0 && g_file_test (vfio, G_FILE_TEST_IS_DIR))
      mklink (fx->root, rel_driver, "bus/pci/drivers/vfio-pci");
    else if (wanted == NULL || wanted[0] == '\0' || g_str_equal (wanted, "\n") || g_str_equal (wanted, "(null)\n"))
      mklink (fx->root, rel_driver, fx->native ? fx->native : "bus/pci/drivers/ixgbe");
  } else if (g_str_has_suffix (path, "/create")) {
    /* …/<parent>/mdev_supported_types/<type>/create */
    g_autofree char *type_dir = g_path_get_dirname (path);
    g_autofree char *types = g_path_get_dirname (type_dir);
    g_autofree char *parent = g_path_get_dirname (types);
    g_autofree char *type = g_path_get_basename (type_dir);
    g_autofree char *mdev = g_build_filename (parent + strlen (fx->root) + 1, value, NULL);
    g_autofree char *type_link = g_build_filename (mdev, "mdev_type", NULL);
    g_autofree char *type_target = g_build_filename (parent + strlen (fx->root) + 1, "mdev_supported_types", type,
                                                     NULL);
    g_autofree char *group = g_build_filename (mdev, "iommu_group", NULL);
    g_autofree char *subsystem = g_build_filename (mdev, "subsystem", NULL);
    g_autofree char *remove = g_build_filename (mdev, "remove", NULL);
    g_autofree char *bus_link = g_build_filename ("bus/mdev/devices", value, NULL);

    mklink (fx->root, type_link, type_target);
    mklink (fx->root, group, "kernel/iommu_groups/12");
    mklink (fx->root, subsystem, "bus/mdev");
    put (fx->root, remove, "");
    mklink (fx->root, bus_link, mdev);
  } else if (g_str_has_suffix (path, "/remove")) {
    g_autofree char *mdev = g_path_get_dirname (path);
    g_autofree char *uuid = g_path_get_basename (mdev);
    g_autofree char *bus_link = g_build_filename (fx->root, "bus/mdev/devices", uuid, NULL);
    rm_rf (mdev);
    unlink (bus_link);
  }
  return TRUE;
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pci_ids = NULL;
  g_autofree char *usb_ids = NULL;

  fx->root = g_dir_make_tmp ("vb-nodedev-XXXXXX", &error);
  g_assert_no_error (error);
  build_tree (fx->root);
  put_ids (fx->root);
  fx->sysfs = vb_nodedev_sysfs_new (fx->root, &error);
  g_assert_no_error (error);
  pci_ids = g_build_filename (fx->root, "ids/pci.ids", NULL);
  usb_ids = g_build_filename (fx->root, "ids/usb.ids", NULL);
  vb_nodedev_sysfs_set_ids_files (fx->sysfs, pci_ids, usb_ids);
  fx->writes = g_ptr_array_new_with_free_func (g_free);
  fx->probe_binds = TRUE;
  vb_nodedev_sysfs_set_write_hook (fake_kernel, fx);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  vb_nodedev_sysfs_set_write_hook (NULL, NULL);
  vb_nodedev_sysfs_unref (fx->sysfs);
  rm_rf (fx->root);
  g_free (fx->root);
  g_ptr_array_unref (fx->writes);
}

/* ---- reading ---- */

static VbNodedevSysfsDevice *
find_device (GPtrArray *devices, const char *name)
{
  for (guint i = 0; i < devices->len; i++) {
    VbNodedevSysfsDevice *device = g_ptr_array_index (devices, i);
    if (g_str_equal (device->def->name, name))
      return device;
  }
  return NULL;
}

/* The formatted XML of @name, checked against the schema. */
static char *
device_xml (GPtrArray *devices, const char *name)
{
  VbNodedevSysfsDevice *device = find_device (devices, name);
  char *xml;

  if (device == NULL)
    g_error ("no device %s", name);
  xml = vb_nodedev_def_format (device->def, 0);
  vb_test_schema_validate (xml, "nodedev.rng");
  return xml;
}

static void
assert_xml (GPtrArray *devices, const char *name, const char *expected)
{
  g_autofree char *xml = device_xml (devices, name);

  if (!g_str_equal (xml, expected))
    g_error ("%s: expected\n%s\ngot\n%s", name, expected, xml);
}

static void
test_scan_names (Fixture *fx, gconstpointer data)
{
  static const char *const expected[][2] = {
    { "computer", NULL },
    { "pci_0000_00_00_0", "computer" },
    { "pci_0000_00_01_0", "computer" },
    { "pci_0000_01_00_0", "pci_0000_00_01_0" },
    { "net_eth0_52_54_00_12_34_56", "pci_0000_01_00_0" },
    { "pci_0000_01_10_0", "pci_0000_00_01_0" },
    { "pci_0000_00_02_0", "computer" },
    { "block_vda_VDSERIAL1", "pci_0000_00_02_0" },
    { "pci_0000_00_03_0", "computer" },
    { "usb_usb1", "pci_0000_00_03_0" },
    { "usb_1_1", "usb_usb1" },
    { "usb_1_1_1_0", "usb_1_1" },
    { "pci_0000_00_04_0", "computer" },
    { "scsi_host0", "pci_0000_00_04_0" },
    { "scsi_target0_0_0", "scsi_host0" },
    { "scsi_0_0_0_0", "scsi_target0_0_0" },
    { "block_sda_DRIVE001", "scsi_0_0_0_0" },
    { "scsi_generic_sg0", "scsi_0_0_0_0" },
    { "scsi_target0_0_1", "scsi_host0" },
    { "scsi_0_0_1_0", "scsi_target0_0_1" },
    { "block_sr0", "scsi_0_0_1_0" },
    { "pci_0000_00_05_0", "computer" },
    { "drm_card0", "pci_0000_00_05_0" },
    { "drm_renderD128", "pci_0000_00_05_0" },
    { "net_lo_00_00_00_00_00_00", "computer" },
  };
  g_autoptr(GPtrArray) devices = vb_nodedev_sysfs_scan (fx->sysfs);

  for (guint i = 0; i < devices->len; i++) {
    VbNodedevSysfsDevice *device = g_ptr_array_index (devices, i);
    g_autofree char *xml = vb_nodedev_def_format (device->def, 0);
    if (!vb_test_schema_validate (xml, "nodedev.rng"))
      return;
  }
  g_assert_cmpuint (devices->len, ==, G_N_ELEMENTS (expected));
  /* "computer" first, then by sysfs path: parents before children. */
  g_assert_cmpstr (((VbNodedevSysfsDevice *) g_ptr_array_index (devices, 0))->def->name, ==, "computer");
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++) {
    VbNodedevSysfsDevice *device = find_device (devices, expected[i][0]);
    if (device == NULL)
      g_error ("%s not listed", expected[i][0]);
    g_assert_cmpstr (device->def->parent, ==, expected[i][1]);
  }
  /* Partitions, loop devices and DRM connectors are no devices. */
  g_assert_null (find_device (devices, "block_vda1"));
  g_assert_null (find_device (devices, "block_loop0"));
  g_assert_null (find_device (devices, "drm_card0_HDMI_A_1"));
}

static void
test_scan_xml (Fixture *fx, gconstpointer data)
{
  g_autoptr(GPtrArray) devices = vb_nodedev_sysfs_scan (fx->sysfs);

  assert_xml (devices, "computer",
              "<device>\n"
              "  <name>computer</name>\n"
              "  <capability type='system'>\n"
              "    <product>KVM Virtual Machine</product>\n"
              "    <hardware>\n"
              "      <vendor>QEMU</vendor>\n"
              "      <version>pc-q35-7.2</version>\n"
              "      <serial>SER123</serial>\n"
              "      <uuid>4c4c4544-0042-3010-8051-b4c04f4b3732</uuid>\n"
              "    </hardware>\n"
              "    <firmware>\n"
              "      <vendor>SeaBIOS</vendor>\n"
              "      <version>1.16.2</version>\n"
              "      <release_date>04/01/2014</release_date>\n"
              "    </firmware>\n"
              "  </capability>\n"
              "</device>\n");
  assert_xml (devices, "pci_0000_00_01_0",
              "<device>\n"
              "  <name>pci_0000_00_01_0</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:01.0</path>\n"
              "  <parent>computer</parent>\n"
              "  <driver>\n"
              "    <name>pcieport</name>\n"
              "  </driver>\n"
              "  <capability type='pci'>\n"
              "    <class>0x060400</class>\n"
              "    <domain>0</domain>\n"
              "    <bus>0</bus>\n"
              "    <slot>1</slot>\n"
              "    <function>0</function>\n"
              "    <product id='0x000c'/>\n"
              "    <vendor id='0x1b36'/>\n"
              "    <capability type='pci-bridge'/>\n"
              "    <iommuGroup number='3'>\n"
              "      <address domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>\n"
              "    </iommuGroup>\n"
              "    <numa node='0'/>\n"
              "    <pci-express>\n"
              "      <link validity='cap' port='16' speed='16' width='16'/>\n"
              "      <link validity='sta' speed='2.5' width='1'/>\n"
              "    </pci-express>\n"
              "  </capability>\n"
              "</device>\n");
  assert_xml (devices, "pci_0000_01_00_0",
              "<device>\n"
              "  <name>pci_0000_01_00_0</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0</path>\n"
              "  <parent>pci_0000_00_01_0</parent>\n"
              "  <driver>\n"
              "    <name>ixgbe</name>\n"
              "  </driver>\n"
              "  <capability type='pci'>\n"
              "    <class>0x020000</class>\n"
              "    <domain>0</domain>\n"
              "    <bus>1</bus>\n"
              "    <slot>0</slot>\n"
              "    <function>0</function>\n"
              "    <product id='0x10fb'>82599ES 10-Gigabit SFI/SFP+ Network Connection</product>\n"
              "    <vendor id='0x8086'>Intel Corporation</vendor>\n"
              "    <capability type='virt_functions' maxCount='63'>\n"
              "      <address domain='0x0000' bus='0x01' slot='0x10' function='0x0'/>\n"
              "    </capability>\n"
              "    <iommuGroup number='4'>\n"
              "      <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n"
              "      <address domain='0x0000' bus='0x01' slot='0x10' function='0x0'/>\n"
              "    </iommuGroup>\n"
              "    <pci-express>\n"
              "      <link validity='cap' port='0' speed='5' width='8'/>\n"
              "      <link validity='sta' speed='5' width='8'/>\n"
              "    </pci-express>\n"
              "  </capability>\n"
              "</device>\n");
  assert_xml (devices, "pci_0000_01_10_0",
              "<device>\n"
              "  <name>pci_0000_01_10_0</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:01.0/0000:01:10.0</path>\n"
              "  <parent>pci_0000_00_01_0</parent>\n"
              "  <capability type='pci'>\n"
              "    <class>0x020000</class>\n"
              "    <domain>0</domain>\n"
              "    <bus>1</bus>\n"
              "    <slot>16</slot>\n"
              "    <function>0</function>\n"
              "    <product id='0x10ed'/>\n"
              "    <vendor id='0x8086'>Intel Corporation</vendor>\n"
              "    <capability type='phys_function'>\n"
              "      <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n"
              "    </capability>\n"
              "    <iommuGroup number='4'>\n"
              "      <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n"
              "      <address domain='0x0000' bus='0x01' slot='0x10' function='0x0'/>\n"
              "    </iommuGroup>\n"
              "  </capability>\n"
              "</device>\n");
  assert_xml (devices, "pci_0000_00_05_0",
              "<device>\n"
              "  <name>pci_0000_00_05_0</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:05.0</path>\n"
              "  <parent>computer</parent>\n"
              "  <driver>\n"
              "    <name>nvidia</name>\n"
              "  </driver>\n"
              "  <capability type='pci'>\n"
              "    <class>0x030000</class>\n"
              "    <domain>0</domain>\n"
              "    <bus>0</bus>\n"
              "    <slot>5</slot>\n"
              "    <function>0</function>\n"
              "    <product id='0x1eb8'>TU104GL [Tesla T4]</product>\n"
              "    <vendor id='0x10de'>NVIDIA Corporation</vendor>\n"
              "    <capability type='mdev_types'>\n"
              "      <type id='nvidia-222'>\n"
              "        <name>GRID T4-1B</name>\n"
              "        <deviceAPI>vfio-pci</deviceAPI>\n"
              "        <availableInstances>16</availableInstances>\n"
              "      </type>\n"
              "    </capability>\n"
              "    <iommuGroup number='7'>\n"
              "      <address domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>\n"
              "    </iommuGroup>\n"
              "  </capability>\n"
              "</device>\n");
  assert_xml (devices, "net_eth0_52_54_00_12_34_56",
              "<device>\n"
              "  <name>net_eth0_52_54_00_12_34_56</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/net/eth0</path>\n"
              "  <parent>pci_0000_01_00_0</parent>\n"
              "  <capability type='net'>\n"
              "    <interface>eth0</interface>\n"
              "    <address>52:54:00:12:34:56</address>\n"
              "    <link speed='10000' state='up'/>\n"
              "    <capability type='80203'/>\n"
              "  </capability>\n"
              "</device>\n");
  assert_xml (devices, "net_lo_00_00_00_00_00_00",
              "<device>\n"
              "  <name>net_lo_00_00_00_00_00_00</name>\n"
              "  <path>/sys/devices/virtual/net/lo</path>\n"
              "  <parent>computer</parent>\n"
              "  <capability type='net'>\n"
              "    <interface>lo</interface>\n"
              "    <address>00:00:00:00:00:00</address>\n"
              "    <link state='unknown'/>\n"
              "    <capability type='80203'/>\n"
              "  </capability>\n"
              "</device>\n");
  /* 2097152 sectors of 512 bytes are 262144 blocks of 4096. */
  assert_xml (devices, "block_vda_VDSERIAL1",
              "<device>\n"
              "  <name>block_vda_VDSERIAL1</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda</path>\n"
              "  <devnode type='dev'>/dev/vda</devnode>\n"
              "  <parent>pci_0000_00_02_0</parent>\n"
              "  <capability type='storage'>\n"
              "    <block>/dev/vda</block>\n"
              "    <drive_type>disk</drive_type>\n"
              "    <serial>VDSERIAL1</serial>\n"
              "    <size>1073741824</size>\n"
              "    <logical_block_size>4096</logical_block_size>\n"
              "    <num_blocks>262144</num_blocks>\n"
              "  </capability>\n"
              "</device>\n");
  assert_xml (devices, "block_sda_DRIVE001",
              "<device>\n"
              "  <name>block_sda_DRIVE001</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:04.0/virtio2/host0/target0:0:0/0:0:0:0/block/sda</path>\n"
              "  <devnode type='dev'>/dev/sda</devnode>\n"
              "  <parent>scsi_0_0_0_0</parent>\n"
              "  <capability type='storage'>\n"
              "    <block>/dev/sda</block>\n"
              "    <bus>scsi</bus>\n"
              "    <drive_type>disk</drive_type>\n"
              "    <model>QEMU HARDDISK</model>\n"
              "    <vendor>QEMU</vendor>\n"
              "    <serial>DRIVE001</serial>\n"
              "    <size>10737418240</size>\n"
              "    <logical_block_size>512</logical_block_size>\n"
              "    <num_blocks>20971520</num_blocks>\n"
              "  </capability>\n"
              "</device>\n");
  assert_xml (devices, "block_sr0",
              "<device>\n"
              "  <name>block_sr0</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:04.0/virtio2/host0/target0:0:1/0:0:1:0/block/sr0</path>\n"
              "  <devnode type='dev'>/dev/sr0</devnode>\n"
              "  <parent>scsi_0_0_1_0</parent>\n"
              "  <capability type='storage'>\n"
              "    <block>/dev/sr0</block>\n"
              "    <bus>scsi</bus>\n"
              "    <drive_type>cd</drive_type>\n"
              "    <capability type='removable'>\n"
              "      <media_available>0</media_available>\n"
              "      <media_size>0</media_size>\n"
              "      <logical_block_size>2048</logical_block_size>\n"
              "      <num_blocks>0</num_blocks>\n"
              "    </capability>\n"
              "  </capability>\n"
              "</device>\n");
  assert_xml (devices, "usb_1_1",
              "<device>\n"
              "  <name>usb_1_1</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:03.0/usb1/1-1</path>\n"
              "  <devnode type='dev'>/dev/bus/usb/001/002</devnode>\n"
              "  <parent>usb_usb1</parent>\n"
              "  <capability type='usb_device'>\n"
              "    <bus>1</bus>\n"
              "    <device>2</device>\n"
              "    <product id='0x0001'>QEMU Tablet</product>\n"
              "    <vendor id='0x0627'>Adomax Technology Co., Ltd</vendor>\n"
              "  </capability>\n"
              "</device>\n");
  /* Not in the database: the device's own strings. */
  assert_xml (devices, "usb_usb1",
              "<device>\n"
              "  <name>usb_usb1</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:03.0/usb1</path>\n"
              "  <devnode type='dev'>/dev/bus/usb/001/001</devnode>\n"
              "  <parent>pci_0000_00_03_0</parent>\n"
              "  <driver>\n"
              "    <name>usb</name>\n"
              "  </driver>\n"
              "  <capability type='usb_device'>\n"
              "    <bus>1</bus>\n"
              "    <device>1</device>\n"
              "    <product id='0x0003'>xHCI Host Controller</product>\n"
              "    <vendor id='0x1d6b'>Linux 6.1.0 xhci-hcd</vendor>\n"
              "  </capability>\n"
              "</device>\n");
  assert_xml (devices, "usb_1_1_1_0",
              "<device>\n"
              "  <name>usb_1_1_1_0</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:03.0/usb1/1-1/1-1:1.0</path>\n"
              "  <parent>usb_1_1</parent>\n"
              "  <driver>\n"
              "    <name>usbhid</name>\n"
              "  </driver>\n"
              "  <capability type='usb'>\n"
              "    <number>0</number>\n"
              "    <class>3</class>\n"
              "    <subclass>0</subclass>\n"
              "    <protocol>0</protocol>\n"
              "  </capability>\n"
              "</device>\n");
  assert_xml (devices, "scsi_host0",
              "<device>\n"
              "  <name>scsi_host0</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:04.0/virtio2/host0</path>\n"
              "  <parent>pci_0000_00_04_0</parent>\n"
              "  <capability type='scsi_host'>\n"
              "    <host>0</host>\n"
              "    <unique_id>1</unique_id>\n"
              "  </capability>\n"
              "</device>\n");
  assert_xml (devices, "scsi_target0_0_0",
              "<device>\n"
              "  <name>scsi_target0_0_0</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:04.0/virtio2/host0/target0:0:0</path>\n"
              "  <parent>scsi_host0</parent>\n"
              "  <capability type='scsi_target'>\n"
              "    <target>target0:0:0</target>\n"
              "  </capability>\n"
              "</device>\n");
  assert_xml (devices, "scsi_0_0_1_0",
              "<device>\n"
              "  <name>scsi_0_0_1_0</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:04.0/virtio2/host0/target0:0:1/0:0:1:0</path>\n"
              "  <parent>scsi_target0_0_1</parent>\n"
              "  <capability type='scsi'>\n"
              "    <host>0</host>\n"
              "    <bus>0</bus>\n"
              "    <target>1</target>\n"
              "    <lun>0</lun>\n"
              "    <type>cdrom</type>\n"
              "  </capability>\n"
              "</device>\n");
  assert_xml (devices, "scsi_generic_sg0",
              "<device>\n"
              "  <name>scsi_generic_sg0</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:04.0/virtio2/host0/target0:0:0/0:0:0:0/scsi_generic/sg0</path>\n"
              "  <devnode type='dev'>/dev/sg0</devnode>\n"
              "  <parent>scsi_0_0_0_0</parent>\n"
              "  <capability type='scsi_generic'>\n"
              "    <char>/dev/sg0</char>\n"
              "  </capability>\n"
              "</device>\n");
  assert_xml (devices, "drm_renderD128",
              "<device>\n"
              "  <name>drm_renderD128</name>\n"
              "  <path>/sys/devices/pci0000:00/0000:00:05.0/drm/renderD128</path>\n"
              "  <devnode type='dev'>/dev/dri/renderD128</devnode>\n"
              "  <parent>pci_0000_00_05_0</parent>\n"
              "  <capability type='drm'>\n"
              "    <type>render</type>\n"
              "  </capability>\n"
              "</device>\n");
}

/* The same device read alone (a uevent), and ListCaps' names. */
static void
test_read_one (Fixture *fx, gconstpointer data)
{
  g_autoptr(VbNodeDevDef) def = vb_nodedev_sysfs_read_device (fx->sysfs, SDA_DEV "/block/sda", "block");
  g_autoptr(VbNodeDevDef) part = vb_nodedev_sysfs_read_device (fx->sysfs, VIRTIO_BLK "/virtio1/block/vda/vda1", NULL);
  g_autoptr(VbNodeDevDef) none = vb_nodedev_sysfs_read_device (fx->sysfs, "devices/nowhere", "pci");
  g_autoptr(VbNodeDevDef) dotdot = vb_nodedev_sysfs_read_device (fx->sysfs, "devices/../ids", "pci");
  g_autoptr(VbNodeDevDef) pci = vb_nodedev_sysfs_read_device (fx->sysfs, GPU, NULL);
  g_auto(GStrv) caps = NULL;

  g_assert_nonnull (def);
  g_assert_cmpstr (def->name, ==, "block_sda_DRIVE001");
  g_assert_null (def->parent);
  g_assert_cmpstr (vb_nodedev_sysfs_def_devpath (def), ==, SDA_DEV "/block/sda");
  g_assert_null (part); /* no subsystem given, none linked: and a partition anyway */
  g_assert_null (none);
  g_assert_null (dotdot);
  /* Subsystem from the link. */
  g_assert_nonnull (pci);
  caps = vb_nodedev_def_cap_names (pci);
  g_assert_cmpstr (caps[0], ==, "pci");
  g_assert_cmpstr (caps[1], ==, "mdev_types");
  g_assert_null (caps[2]);
}

static void
test_ids (Fixture *fx, gconstpointer data)
{
  g_autofree char *path = g_build_filename (fx->root, "ids/pci.ids", NULL);
  g_autoptr(VbNodedevIds) ids = vb_nodedev_ids_new (path);
  g_autoptr(VbNodedevIds) missing = vb_nodedev_ids_new ("/nonexistent/pci.ids");
  char *vendor, *device;

  vb_nodedev_ids_lookup (ids, 0x1af4, 0x1004, &vendor, &device);
  g_assert_cmpstr (vendor, ==, "Red Hat, Inc.");
  g_assert_cmpstr (device, ==, "Virtio SCSI"); /* the over-long line before it skipped */
  g_free (vendor);
  g_free (device);
  vb_nodedev_ids_lookup (ids, 0x10de, 0x12a2, &vendor, &device); /* a subsystem id is no device */
  g_assert_cmpstr (vendor, ==, "NVIDIA Corporation");
  g_assert_null (device);
  g_free (vendor);
  vb_nodedev_ids_lookup (ids, 0x1234, 0x0001, &vendor, &device);
  g_assert_null (vendor);
  g_assert_null (device);
  vb_nodedev_ids_lookup (ids, 0x8086, 0x29c0, &vendor, &device); /* the last vendor, before the classes */
  g_assert_cmpstr (device, ==, "82G33/G31/P35/P31 Express DRAM Controller");
  g_free (vendor);
  g_free (device);
  vb_nodedev_ids_lookup (missing, 0x8086, 0x29c0, &vendor, &device);
  g_assert_null (vendor);
  g_assert_null (device);

  g_assert_true (vb_nodedev_text_is_valid ("Ünïcode & <ok>"));
  g_assert_false (vb_nodedev_text_is_valid (""));
  g_assert_false (vb_nodedev_text_is_valid ("tab\there"));
  g_assert_false (vb_nodedev_text_is_valid ("bad \xff utf-8"));
  g_assert_false (vb_nodedev_text_is_valid ("c1 \xc2\x85"));
  g_assert_false (vb_nodedev_text_is_valid ("nonchar \xef\xbf\xbf"));
}

/* ---- hostile trees ---- */

static void
test_hostile (Fixture *fx, gconstpointer data)
{
  g_autofree char *huge = g_malloc (100000);
  g_autofree char *fifo = g_build_filename (fx->root, P00 "/0000:00:06.0/vendor", NULL);
  g_autoptr(GPtrArray) devices = NULL;
  VbNodedevSysfsDevice *device;
  g_autofree char *xml = NULL;

  memset (huge, 'A', 99999);
  huge[99999] = '\0';
  /* DMI: a huge product name, markup in the vendor, control characters
   * and broken UTF-8, a UUID that is none. */
  put (fx->root, "devices/virtual/dmi/id/product_name", huge);
  put (fx->root, "devices/virtual/dmi/id/sys_vendor", "<b>&'\"</b>\n");
  put (fx->root, "devices/virtual/dmi/id/product_version", "v\x01\n");
  put (fx->root, "devices/virtual/dmi/id/product_serial", "\xff\xfe\n");
  put (fx->root, "devices/virtual/dmi/id/product_uuid", "not-a-uuid\n");
  put_bytes (fx->root, "devices/virtual/dmi/id/bios_vendor", "Sea\0BIOS", 8);

  /* PCI: a FIFO for a vendor id (must not block), a huge device id, a
   * device without class, driver or names; an address that is none. */
  put_pci (fx->root, P00 "/0000:00:06.0", "0x020000\n", "0x8086\n", "0x10fb\n", NULL);
  unlink (fifo);
  g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
  put_pci (fx->root, P00 "/0000:00:07.0", "0x020000\n", "0x8086\n", "0x10fb\n", NULL);
  put_in (fx->root, P00 "/0000:00:07.0", "device", huge);
  put_pci (fx->root, P00 "/0000:00:08.0", "0x020000\n", "0x8086\n", "0x10fb\n", NULL);
  put_in (fx->root, P00 "/0000:00:08.0", "class", "garbage\n");
  put_in (fx->root, P00 "/0000:00:08.0", "numa_node", "many\n");
  put_in (fx->root, P00 "/0000:00:08.0", "max_link_speed", "Unknown\n");
  put_in (fx->root, P00 "/0000:00:08.0", "max_link_width", "0\n");
  put_bytes (fx->root, P00 "/0000:00:08.0/config", "\x01\x02", 2);
  link_in (fx->root, P00 "/0000:00:08.0", "iommu_group", "kernel/iommu_groups/../../etc");
  link_in (fx->root, P00 "/0000:00:08.0", "virtfn0", "nowhere/not-an-address");
  put_pci (fx->root, P00 "/0000:00:09.0", "0x020000\n", "0x8086\n", "0x10fb\n", NULL);
  put_in (fx->root, P00 "/0000:00:09.0", "max_link_speed", "8.0 GT/s PCIe\n");
  put_in (fx->root, P00 "/0000:00:09.0", "max_link_width", "4\n");
  put_pci (fx->root, P00 "/not-an-address", "0x020000\n", "0x8086\n", "0x10fb\n", NULL);

  /* Links leading out of the tree, nowhere, to no device directory; odd
   * entry names. */
  mklink (fx->root, "class/net/escape", "../../../../../../../../etc");
  mklink (fx->root, "class/net/dangling", "devices/virtual/net/gone");
  mklink (fx->root, "class/net/toids", "ids");
  mklink (fx->root, "class/net/loop", "class/net/loop");
  put (fx->root, "class/net/bad name", "");
  /* A network interface with markup in its name, a MAC that is none; a
   * wireless one. */
  put (fx->root, "devices/virtual/net/we<ird>&/address", "00:11:22:33:44:55:66:77:88\n");
  put (fx->root, "devices/virtual/net/we<ird>&/operstate", "dormant\n");
  mklink (fx->root, "class/net/we<ird>&", "devices/virtual/net/we<ird>&");
  put (fx->root, P00 "/0000:00:05.0/net/wlan0/address", "AA:BB:CC:DD:EE:FF\n");
  put (fx->root, P00 "/0000:00:05.0/net/wlan0/uevent", "DEVTYPE=wlan\n");
  mklink (fx->root, "class/net/wlan0", P00 "/0000:00:05.0/net/wlan0");
  /* A disk whose DEVNAME climbs out of /dev, a serial with markup; a
   * disk whose node name the schema refuses; a SCSI disk whose VPD page
   * lies about its length; a SCSI scanner (no disk). */
  put_in (fx->root, VIRTIO_BLK "/virtio1/block/vda", "uevent", "DEVNAME=../../etc/passwd\nDEVTYPE=disk\n");
  put_in (fx->root, VIRTIO_BLK "/virtio1/block/vda", "serial", "<s&n>\n");
  put_in (fx->root, VIRTIO_BLK "/virtio1/block/vdb", "uevent", "DEVNAME=vd:b\nDEVTYPE=disk\n");
  link_in (fx->root, VIRTIO_BLK "/virtio1/block/vdb", "device", VIRTIO_BLK "/virtio1");
  mklink (fx->root, "block/vdb", VIRTIO_BLK "/virtio1/block/vdb");
  put_bytes (fx->root, SDA_DEV "/vpd_pg80", "\x00\x80\x00\xff" "AB", 6);
  put_in (fx->root, SR0_DEV, "type", "6\n");
  /* A USB device without ids; a DRM minor with a DEVNAME of spaces. */
  put_in (fx->root, XHCI "/usb1/1-1", "idVendor", "\n");
  put_in (fx->root, GPU "/drm/card0", "uevent", "DEVNAME=dri/card 0\nDEVTYPE=drm_minor\n");

  devices = vb_nodedev_sysfs_scan (fx->sysfs);
  for (guint i = 0; i < devices->len; i++) {
    g_autofree char *one = vb_nodedev_def_format (((VbNodedevSysfsDevice *) g_ptr_array_index (devices, i))->def, 0);
    if (!vb_test_schema_validate (one, "nodedev.rng"))
      return;
  }

  device = find_device (devices, "computer");
  g_assert_null (device->def->caps->pdata ? ((VbNodeDevCap *) device->def->caps->pdata[0])->system.product : NULL);
  xml = vb_nodedev_def_format (device->def, 0);
  g_assert_nonnull (strstr (xml, "<vendor>&lt;b&gt;&amp;'\"&lt;/b&gt;</vendor>"));
  g_assert_null (strstr (xml, "<version>v"));
  g_assert_null (strstr (xml, "<serial>"));
  g_assert_nonnull (strstr (xml, "<uuid>00000000-0000-0000-0000-000000000000</uuid>"));
  g_assert_null (strstr (xml, "Sea"));

  g_assert_null (find_device (devices, "pci_0000_00_06_0"));
  g_assert_null (find_device (devices, "pci_0000_00_07_0"));
  device = find_device (devices, "pci_0000_00_08_0");
  g_assert_nonnull (device);
  g_clear_pointer (&xml, g_free);
  xml = vb_nodedev_def_format (device->def, 0);
  g_assert_null (strstr (xml, "<class>"));
  g_assert_null (strstr (xml, "<numa"));
  g_assert_null (strstr (xml, "iommuGroup"));
  g_assert_null (strstr (xml, "virt_functions"));
  g_assert_nonnull (strstr (xml, "<pci-express/>"));
  /* No config space: PCI Express from sysfs, without a port. */
  device = find_device (devices, "pci_0000_00_09_0");
  g_clear_pointer (&xml, g_free);
  xml = vb_nodedev_def_format (device->def, 0);
  g_assert_nonnull (strstr (xml, "<link validity='cap' speed='8' width='4'/>"));
  g_assert_null (find_device (devices, "pci_not_an_address"));

  device = find_device (devices, "net_we_ird__");
  g_assert_nonnull (device);
  g_clear_pointer (&xml, g_free);
  xml = vb_nodedev_def_format (device->def, 0);
  g_assert_nonnull (strstr (xml, "<interface>we&lt;ird&gt;&amp;</interface>"));
  g_assert_null (strstr (xml, "<address>"));
  g_assert_nonnull (strstr (xml, "<link state='dormant'/>"));
  device = find_device (devices, "net_wlan0_aa_bb_cc_dd_ee_ff");
  g_assert_nonnull (device);
  g_assert_cmpstr (device->def->parent, ==, "pci_0000_00_05_0");
  g_clear_pointer (&xml, g_free);
  xml = vb_nodedev_def_format (device->def, 0);
  g_assert_nonnull (strstr (xml, "<capability type='80211'/>"));
  g_assert_null (find_device (devices, "net_escape"));
  g_assert_null (find_device (devices, "net_dangling"));

  device = find_device (devices, "block_vda__s_n_");
  g_assert_nonnull (device);
  g_assert_cmpstr (device->def->devnode, ==, "/dev/vda");
  g_assert_null (find_device (devices, "block_vdb"));
  g_assert_nonnull (find_device (devices, "block_sda")); /* no serial from a lying page */
  g_assert_null (find_device (devices, "block_sr0"));    /* a scanner is no disk */
  g_assert_null (find_device (devices, "usb_1_1"));
  g_assert_nonnull (find_device (devices, "usb_1_1_1_0")); /* its parent gone: the next listed ancestor */
  g_assert_cmpstr (find_device (devices, "usb_1_1_1_0")->def->parent, ==, "usb_usb1");
  device = find_device (devices, "drm_card0");
  g_assert_cmpstr (device->def->devnode, ==, "/dev/dri/card0");
}

/* A directory with many entries stays bounded; names of odd lengths. */
static void
test_devpaths (void)
{
  g_autoptr(GHashTable) table = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_true (vb_nodedev_sysfs_devpath_is_valid ("devices/pci0000:00/0000:00:01.0"));
  g_assert_false (vb_nodedev_sysfs_devpath_is_valid ("devices"));
  g_assert_false (vb_nodedev_sysfs_devpath_is_valid ("devices/"));
  g_assert_false (vb_nodedev_sysfs_devpath_is_valid ("devices//x"));
  g_assert_false (vb_nodedev_sysfs_devpath_is_valid ("devices/../etc"));
  g_assert_false (vb_nodedev_sysfs_devpath_is_valid ("devices/a b"));
  g_assert_false (vb_nodedev_sysfs_devpath_is_valid ("/devices/x"));
  g_assert_false (vb_nodedev_sysfs_devpath_is_valid ("class/net/eth0"));

  g_hash_table_insert (table, "devices/a", "A");
  g_hash_table_insert (table, "devices/a/b/c", "C");
  g_assert_cmpstr (vb_nodedev_sysfs_find_ancestor (table, "devices/a/b/c/d"), ==, "C");
  g_assert_cmpstr (vb_nodedev_sysfs_find_ancestor (table, "devices/a/b/x"), ==, "A");
  g_assert_null (vb_nodedev_sysfs_find_ancestor (table, "devices/a"));
  g_assert_null (vb_nodedev_sysfs_find_ancestor (table, "devices/ab/c"));
}

/* ---- writes: vfio-pci, reset, mediated devices ---- */

static void
assert_writes (Fixture *fx, const char *const *expected)
{
  guint n = g_strv_length ((char **) expected);

  for (guint i = 0; i < MAX (n, fx->writes->len); i++) {
    const char *got = i < fx->writes->len ? g_ptr_array_index (fx->writes, i) : "(none)";
    const char *want = i < n ? expected[i] : "(none)";
    if (!g_str_equal (got, want))
      g_error ("write %u: expected '%s', got '%s'", i, want, got);
  }
}

static void
test_detach (Fixture *fx, gconstpointer data)
{
  static const char *const writes[] = {
    NIC "/driver_override vfio-pci",
    NIC "/driver/unbind 0000:01:00.0",
    "bus/pci/drivers_probe 0000:01:00.0",
    NULL,
  };
  static const char *const back[] = {
    NIC "/driver/unbind 0000:01:00.0",
    NIC "/driver_override \n",
    "bus/pci/drivers_probe 0000:01:00.0",
    NULL,
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *driver = NULL;
  g_autofree char *override = NULL;

  mkdirs (fx->root, "bus/pci/drivers/vfio-pci");
  put (fx->root, "bus/pci/drivers/vfio-pci/unbind", "");
  g_assert_true (vb_nodedev_sysfs_pci_detach (fx->sysfs, NIC, &error));
  g_assert_no_error (error);
  assert_writes (fx, writes);
  driver = link_name (fx->root, NIC "/driver");
  g_assert_cmpstr (driver, ==, "vfio-pci");
  override = read_back (fx->root, NIC "/driver_override");
  g_assert_cmpstr (override, ==, "vfio-pci");

  /* Already there: nothing to do. */
  g_ptr_array_set_size (fx->writes, 0);
  g_assert_true (vb_nodedev_sysfs_pci_detach (fx->sysfs, NIC, &error));
  g_assert_cmpuint (fx->writes->len, ==, 0);

  /* And back. */
  g_assert_true (vb_nodedev_sysfs_pci_reattach (fx->sysfs, NIC, &error));
  g_assert_no_error (error);
  assert_writes (fx, back);
  g_clear_pointer (&driver, g_free);
  driver = link_name (fx->root, NIC "/driver");
  g_assert_cmpstr (driver, ==, "ixgbe");
  g_clear_pointer (&override, g_free);
  override = read_back (fx->root, NIC "/driver_override");
  g_assert_cmpstr (override, ==, "\n");

  /* Not detached now. */
  g_ptr_array_set_size (fx->writes, 0);
  g_assert_false (vb_nodedev_sysfs_pci_reattach (fx->sysfs, NIC, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID);
  g_assert_nonnull (strstr (error->message, "is not detached"));
  g_assert_nonnull (strstr (error->message, "ixgbe"));
  g_assert_cmpuint (fx->writes->len, ==, 0);
}

static void
test_detach_no_vfio (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (vb_nodedev_sysfs_pci_detach (fx->sysfs, NIC, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID);
  g_assert_nonnull (strstr (error->message, "vfio-pci kernel module is not loaded"));
  g_assert_cmpuint (fx->writes->len, ==, 0);
}

/* Each failing step, and what its undo leaves. */
static void
test_detach_undo (Fixture *fx, gconstpointer data)
{
  static const char *const unbind_fails[] = {
    NIC "/driver_override vfio-pci",
    NIC "/driver/unbind 0000:01:00.0",
    NIC "/driver_override \n", /* undo; still bound to ixgbe: no probe */
    NULL,
  };
  static const char *const nothing_binds[] = {
    NIC "/driver_override vfio-pci",
    NIC "/driver/unbind 0000:01:00.0",
    "bus/pci/drivers_probe 0000:01:00.0",
    NIC "/driver_override \n",
    "bus/pci/drivers_probe 0000:01:00.0", /* undo: no driver, probe */
    NULL,
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *driver = NULL;
  g_autofree char *override = NULL;
  g_autofree char *path = g_build_filename (fx->root, NIC "/driver_override", NULL);

  mkdirs (fx->root, "bus/pci/drivers/vfio-pci");

  fx->fail_on = "/driver/unbind";
  g_assert_false (vb_nodedev_sysfs_pci_detach (fx->sysfs, NIC, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "cannot unbind PCI device 0000:01:00.0 from ixgbe"));
  assert_writes (fx, unbind_fails);
  driver = link_name (fx->root, NIC "/driver");
  g_assert_cmpstr (driver, ==, "ixgbe");
  override = read_back (fx->root, NIC "/driver_override");
  g_assert_cmpstr (override, ==, "\n");

  /* The probe binds nothing: undone, and the host driver probed again. */
  g_clear_error (&error);
  g_ptr_array_set_size (fx->writes, 0);
  fx->fail_on = NULL;
  fx->probe_binds = FALSE;
  g_assert_false (vb_nodedev_sysfs_pci_detach (fx->sysfs, NIC, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "did not bind to vfio-pci (no driver took it)"));
  assert_writes (fx, nothing_binds);

  /* The probe fails; the undo's probe then rebinds the host driver. */
  g_clear_error (&error);
  g_ptr_array_set_size (fx->writes, 0);
  fx->probe_binds = TRUE;
  mklink (fx->root, NIC "/driver", "bus/pci/drivers/ixgbe");
  fx->fail_on = "/drivers_probe";
  /* The undo's own probe fails too: said, not hidden. */
  g_test_expect_message ("virtbus-nodedev", G_LOG_LEVEL_WARNING, "undoing the detach of 0000:01:00.0: *");
  g_assert_false (vb_nodedev_sysfs_pci_detach (fx->sysfs, NIC, &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, VB_ERROR, VB_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "cannot bind PCI device 0000:01:00.0 to vfio-pci"));
  g_assert_cmpuint (fx->writes->len, ==, 5);

  /* No driver_override: the first write fails, nothing to undo. */
  g_clear_error (&error);
  g_ptr_array_set_size (fx->writes, 0);
  fx->fail_on = NULL;
  mklink (fx->root, NIC "/driver", "bus/pci/drivers/ixgbe");
  unlink (path);
  g_assert_false (vb_nodedev_sysfs_pci_detach (fx->sysfs, NIC, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/sys/" NIC "/driver_override"));
  g_assert_cmpuint (fx->writes->len, ==, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS)); /* nothing created */

  /* Not a PCI device. */
  g_clear_error (&error);
  g_assert_false (vb_nodedev_sysfs_pci_detach (fx->sysfs, XHCI "/usb1", &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_clear_error (&error);
  g_assert_false (vb_nodedev_sysfs_pci_detach (fx->sysfs, P00 "/0000:00:1f.0", &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_FOUND);
}

static void
test_reattach_undo (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *driver = NULL;

  mkdirs (fx->root, "bus/pci/drivers/vfio-pci");
  put (fx->root, "bus/pci/drivers/vfio-pci/unbind", "");
  mklink (fx->root, NIC "/driver", "bus/pci/drivers/vfio-pci");
  put (fx->root, NIC "/driver_override", "vfio-pci");

  /* Clearing the override fails: the device goes back to vfio-pci. */
  fx->fail_on = "/driver_override";
  g_assert_false (vb_nodedev_sysfs_pci_reattach (fx->sysfs, NIC, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_IO);
  driver = link_name (fx->root, NIC "/driver");
  g_assert_cmpstr (driver, ==, "vfio-pci");

  g_clear_error (&error);
  fx->fail_on = "/driver/unbind";
  g_assert_false (vb_nodedev_sysfs_pci_reattach (fx->sysfs, NIC, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "cannot unbind PCI device 0000:01:00.0 from vfio-pci"));
}

static void
test_reset (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;

  /* Under its host driver: refused, nothing written. */
  g_assert_false (vb_nodedev_sysfs_pci_reset (fx->sysfs, NIC, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID);
  g_assert_nonnull (strstr (error->message, "in use by the host's driver ixgbe: detach it first"));
  g_assert_cmpuint (fx->writes->len, ==, 0);
  g_clear_error (&error);

  /* Detached (on vfio-pci): reset. */
  mkdirs (fx->root, "bus/pci/drivers/vfio-pci");
  put (fx->root, "bus/pci/drivers/vfio-pci/unbind", "");
  g_assert_true (vb_nodedev_sysfs_pci_detach (fx->sysfs, NIC, &error));
  g_assert_no_error (error);
  g_assert_true (vb_nodedev_sysfs_pci_reset (fx->sysfs, NIC, &error));
  g_assert_no_error (error);
  value = read_back (fx->root, NIC "/reset");
  g_assert_cmpstr (value, ==, "1");

  /* No host driver, no reset file. */
  g_assert_false (vb_nodedev_sysfs_pci_reset (fx->sysfs, VF, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID);
  g_assert_nonnull (strstr (error->message, "does not support reset"));

  g_clear_error (&error);
  fx->fail_on = "/reset";
  g_assert_false (vb_nodedev_sysfs_pci_reset (fx->sysfs, NIC, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "cannot reset PCI device 0000:01:00.0"));
}

static void
test_mdev (Fixture *fx, gconstpointer data)
{
  const char *uuid = "4b20d080-1b54-4048-85b3-a6a62d165c01";
  g_autoptr(GError) error = NULL;
  g_autofree char *devpath = vb_nodedev_sysfs_mdev_create (fx->sysfs, GPU, "nvidia-222", uuid, &error);
  g_autoptr(VbNodeDevDef) def = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *again = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (devpath, ==, GPU "/4b20d080-1b54-4048-85b3-a6a62d165c01");
  def = vb_nodedev_sysfs_read_device (fx->sysfs, devpath, NULL);
  g_assert_nonnull (def);
  xml = vb_nodedev_def_format (def, 0);
  vb_test_schema_validate (xml, "nodedev.rng");
  g_assert_cmpstr (xml, ==,
                   "<device>\n"
                   "  <name>mdev_4b20d080_1b54_4048_85b3_a6a62d165c01_0000_00_05_0</name>\n"
                   "  <path>/sys/devices/pci0000:00/0000:00:05.0/4b20d080-1b54-4048-85b3-a6a62d165c01</path>\n"
                   "  <capability type='mdev'>\n"
                   "    <type id='nvidia-222'/>\n"
                   "    <uuid>4b20d080-1b54-4048-85b3-a6a62d165c01</uuid>\n"
                   "    <parent_addr>0000:00:05.0</parent_addr>\n"
                   "    <iommuGroup number='12'/>\n"
                   "  </capability>\n"
                   "</device>\n");

  again = vb_nodedev_sysfs_mdev_create (fx->sysfs, GPU, "nvidia-222", uuid, &error);
  g_assert_null (again);
  g_assert_error (error, VB_ERROR, VB_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_null (vb_nodedev_sysfs_mdev_create (fx->sysfs, GPU, "nvidia-999", uuid, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_clear_error (&error);
  g_assert_null (vb_nodedev_sysfs_mdev_create (fx->sysfs, GPU, "../../x", uuid, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_clear_error (&error);

  g_assert_true (vb_nodedev_sysfs_mdev_remove (fx->sysfs, devpath, &error));
  g_assert_no_error (error);
  g_assert_null (vb_nodedev_sysfs_read_device (fx->sysfs, devpath, NULL));
  g_assert_false (vb_nodedev_sysfs_mdev_remove (fx->sysfs, devpath, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_FOUND);
}

/* ---- uevents ---- */

static void
test_uevent_parse (void)
{
  static const char add[] = "add@/devices/pci0000:00/0000:00:03.0/usb1/1-2\0ACTION=add\0"
                            "DEVPATH=/devices/pci0000:00/0000:00:03.0/usb1/1-2\0SUBSYSTEM=usb\0"
                            "DEVTYPE=usb_device\0SEQNUM=1234\0";
  static const char move[] = "move@/devices/virtual/net/eth1\0ACTION=move\0DEVPATH=/devices/virtual/net/eth1\0"
                             "SUBSYSTEM=net\0DEVPATH_OLD=/devices/virtual/net/eth0\0";
  static const char udev[] = "libudev\0\xfe\xed\xca\xfe";
  static const char no_action[] = "add@/devices/x\0DEVPATH=/devices/x\0SUBSYSTEM=usb\0";
  static const char climbing[] = "add@/devices/x\0ACTION=add\0DEVPATH=/devices/../etc\0SUBSYSTEM=usb\0";
  static const char cut[] = "add@/devices/x\0ACTION=add\0DEVPATH=/devices/x";
  static const char odd_subsystem[] = "add@/devices/x\0ACTION=add\0DEVPATH=/devices/x\0SUBSYSTEM=a b\0";
  g_autoptr(VbNodedevUevent) event = vb_nodedev_uevent_parse (add, sizeof add - 1);
  g_autoptr(VbNodedevUevent) moved = vb_nodedev_uevent_parse (move, sizeof move - 1);
  g_autofree char *huge = g_malloc0 (100000);
  g_autoptr(GError) error = NULL;
  int fd;

  g_assert_nonnull (event);
  g_assert_cmpstr (event->action, ==, "add");
  g_assert_cmpstr (event->devpath, ==, "devices/pci0000:00/0000:00:03.0/usb1/1-2");
  g_assert_cmpstr (event->subsystem, ==, "usb");
  g_assert_null (event->devpath_old);
  g_assert_nonnull (moved);
  g_assert_cmpstr (moved->devpath_old, ==, "devices/virtual/net/eth0");
  g_assert_null (vb_nodedev_uevent_parse (udev, sizeof udev - 1));
  g_assert_null (vb_nodedev_uevent_parse (no_action, sizeof no_action - 1));
  g_assert_null (vb_nodedev_uevent_parse (climbing, sizeof climbing - 1));
  g_assert_null (vb_nodedev_uevent_parse (cut, sizeof cut - 1));
  g_assert_null (vb_nodedev_uevent_parse (odd_subsystem, sizeof odd_subsystem - 1));
  g_assert_null (vb_nodedev_uevent_parse (huge, 100000));
  g_assert_null (vb_nodedev_uevent_parse ("", 0));

  /* The socket: normally open to anyone; a sandbox may refuse it. */
  fd = vb_nodedev_uevent_open (&error);
  if (fd < 0) {
    g_assert_error (error, VB_ERROR, VB_ERROR_IO);
    g_test_message ("no uevent socket here: %s", error->message);
    return;
  }
  close (fd);
}

/* ---- the module on a backend ---- */

typedef struct {
  VbBackend parent_instance;
} NodedevTestBackend;
typedef struct {
  VbBackendClass parent_class;
} NodedevTestBackendClass;

GType nodedev_test_backend_get_type (void);
G_DEFINE_TYPE (NodedevTestBackend, nodedev_test_backend, VB_TYPE_BACKEND)

static void
nodedev_test_backend_class_init (NodedevTestBackendClass *klass)
{
}

static void
nodedev_test_backend_init (NodedevTestBackend *self)
{
}

typedef struct {
  Fixture fx;
  VbBackend *backend;
  GPtrArray *events; /* "CREATED name", "DELETED name" */
  VbNodeDevOpsInterface ops;
} Module;

static void
on_lifecycle (VbBackend *backend, VbObj *obj, int event, int detail, gpointer user_data)
{
  Module *m = user_data;

  g_ptr_array_add (m->events, g_strdup_printf ("%s %s", event == VB_NODE_DEVICE_EVENT_CREATED ? "CREATED" : "DELETED",
                                               obj->name));
}

static void
wait_task (GTask *task)
{
  while (!g_task_get_completed (task))
    g_main_context_iteration (NULL, TRUE);
}

static void
wait_idle (Module *m)
{
  while (!vb_nodedev_local_is_idle (m->backend))
    g_main_context_iteration (NULL, TRUE);
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;

  if (vb_nodedev_local_load_finish (VB_BACKEND (source), result, error))
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "none"); /* marks "done" */
}

/* Loads @backend from @root; the error, or "none". */
static GError *
load (VbBackend *backend, const char *root)
{
  GError *error = NULL;

  vb_nodedev_local_load_async (backend, root, NULL, on_loaded, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  return error;
}

/* Where the kernel's uevent socket is refused, the module says so (a
 * warning) and goes on: not a failure of these tests. */
static gboolean
tolerate_no_socket (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
  return strstr (message, "host devices will not follow hotplug") == NULL;
}

static void
module_setup (Module *m, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fixture_setup (&m->fx, data);
  mkdirs (m->fx.root, "bus/pci/drivers/vfio-pci");
  put (m->fx.root, "bus/pci/drivers/vfio-pci/unbind", "");
  m->backend = g_object_new (nodedev_test_backend_get_type (), NULL);
  m->events = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (m->backend, "lifecycle-event", G_CALLBACK (on_lifecycle), m);
  vb_nodedev_local_ops_init (&m->ops);
  g_test_log_set_fatal_handler (tolerate_no_socket, NULL);
  error = load (m->backend, m->fx.root);
  g_assert_cmpstr (error->message, ==, "none");
  wait_idle (m);
}

static void
module_teardown (Module *m, gconstpointer data)
{
  vb_nodedev_local_stop (m->backend);
  g_object_unref (m->backend);
  g_ptr_array_unref (m->events);
  fixture_teardown (&m->fx, data);
}

static VbObj *
lookup (Module *m, const char *name)
{
  return vb_backend_lookup_by_name (m->backend, VB_OBJ_NODE_DEVICE, name);
}

static void
assert_events (Module *m, const char *const *expected)
{
  guint n = g_strv_length ((char **) expected);

  for (guint i = 0; i < MAX (n, m->events->len); i++) {
    const char *got = i < m->events->len ? g_ptr_array_index (m->events, i) : "(none)";
    const char *want = i < n ? expected[i] : "(none)";
    if (!g_str_equal (got, want))
      g_error ("event %u: expected '%s', got '%s'", i, want, got);
  }
  g_ptr_array_set_size (m->events, 0);
}

static void
test_module_load (Module *m, gconstpointer data)
{
  VbObj *obj = lookup (m, "usb_1_1_1_0");
  g_autoptr(VbBackend) other = g_object_new (nodedev_test_backend_get_type (), NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (vb_backend_count (m->backend, VB_OBJ_NODE_DEVICE), ==, 25);
  g_assert_cmpuint (m->events->len, ==, 0); /* the initial devices are no events */
  g_assert_nonnull (obj);
  g_assert_cmpstr (obj->key, ==, "usb_1_1_1_0");
  g_assert_true (obj->active);
  g_assert_false (obj->persistent);
  g_assert_cmpstr (((VbNodeDevDef *) obj->def)->parent, ==, "usb_1_1");
  g_assert_nonnull (lookup (m, "computer"));

  /* Loaded already; a tree that is not there. */
  error = load (m->backend, m->fx.root);
  g_assert_error (error, VB_ERROR, VB_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "the host's devices are loaded already");
  g_clear_error (&error);
  error = load (other, "/nonexistent/sys");
  g_assert_error (error, VB_ERROR, VB_ERROR_IO);
  g_assert_cmpuint (vb_backend_count (other, VB_OBJ_NODE_DEVICE), ==, 0);
}

static void
test_module_hotplug (Module *m, gconstpointer data)
{
  static const char *const added[] = { "CREATED usb_1_2", "CREATED usb_1_2_1_0", NULL };
  static const char *const removed[] = { "DELETED usb_1_2_1_0", "DELETED usb_1_2", NULL };
  static const char *const renamed[] = { "DELETED net_eth0_52_54_00_12_34_56", "CREATED net_ens1_52_54_00_12_34_56",
                                         NULL };
  VbObj *obj;
  VbNodeDevDef *def;
  g_autofree char *from = g_build_filename (m->fx.root, NIC "/net/eth0", NULL);
  g_autofree char *to = g_build_filename (m->fx.root, NIC "/net/ens1", NULL);
  g_autofree char *usb_dir = g_build_filename (m->fx.root, XHCI "/usb1/1-2", NULL);

  /* add: a device, then its interface (the kernel's order). */
  put_in (m->fx.root, XHCI "/usb1/1-2", "busnum", "1\n");
  put_in (m->fx.root, XHCI "/usb1/1-2", "devnum", "3\n");
  put_in (m->fx.root, XHCI "/usb1/1-2", "idVendor", "0627\n");
  put_in (m->fx.root, XHCI "/usb1/1-2", "idProduct", "0001\n");
  put_in (m->fx.root, XHCI "/usb1/1-2/1-2:1.0", "bInterfaceNumber", "00\n");
  put_in (m->fx.root, XHCI "/usb1/1-2/1-2:1.0", "bInterfaceClass", "03\n");
  put_in (m->fx.root, XHCI "/usb1/1-2/1-2:1.0", "bInterfaceSubClass", "01\n");
  put_in (m->fx.root, XHCI "/usb1/1-2/1-2:1.0", "bInterfaceProtocol", "02\n");
  vb_nodedev_local_inject_uevent (m->backend, "add", "/" XHCI "/usb1/1-2", "usb", NULL);
  vb_nodedev_local_inject_uevent (m->backend, "add", "/" XHCI "/usb1/1-2/1-2:1.0", "usb", NULL);
  /* Subsystems not listed, devices of no kind listed: nothing. */
  vb_nodedev_local_inject_uevent (m->backend, "add", "/devices/virtual/misc/tun", "misc", NULL);
  vb_nodedev_local_inject_uevent (m->backend, "add", "/devices/virtual/net/gone", "net", NULL);
  wait_idle (m);
  assert_events (m, added);
  g_assert_cmpstr (((VbNodeDevDef *) lookup (m, "usb_1_2_1_0")->def)->parent, ==, "usb_1_2");

  /* remove of the device: its interface goes first, even if the kernel's
   * own remove for it was lost. */
  rm_rf (usb_dir);
  vb_nodedev_local_inject_uevent (m->backend, "remove", "/" XHCI "/usb1/1-2", "usb", NULL);
  wait_idle (m);
  assert_events (m, removed);
  g_assert_null (lookup (m, "usb_1_2"));
  g_assert_null (lookup (m, "usb_1_2_1_0"));

  /* change: the link went down. */
  put_in (m->fx.root, NIC "/net/eth0", "operstate", "down\n");
  vb_nodedev_local_inject_uevent (m->backend, "change", "/" NIC "/net/eth0", "net", NULL);
  wait_idle (m);
  g_assert_cmpuint (m->events->len, ==, 0);
  def = lookup (m, "net_eth0_52_54_00_12_34_56")->def;
  g_assert_cmpint (vb_nodedev_def_get_cap (def, VB_NODEDEV_CAP_NET)->net.link_state, ==, VB_NODEDEV_LINK_STATE_DOWN);

  /* move: a renamed interface is a new device. */
  g_assert_cmpint (rename (from, to), ==, 0);
  vb_nodedev_local_inject_uevent (m->backend, "move", "/" NIC "/net/ens1", "net", "/" NIC "/net/eth0");
  wait_idle (m);
  assert_events (m, renamed);
  obj = lookup (m, "net_ens1_52_54_00_12_34_56");
  g_assert_nonnull (obj);
  g_assert_cmpstr (((VbNodeDevDef *) obj->def)->sysfs_path, ==, "/sys/" NIC "/net/ens1");

  /* remove of a device we never listed, of one gone: nothing. */
  vb_nodedev_local_inject_uevent (m->backend, "remove", "/devices/virtual/net/nothing", "net", NULL);
  wait_idle (m);
  g_assert_cmpuint (m->events->len, ==, 0);
}

static gpointer
run_op_pointer (GTask *task, GError **error)
{
  wait_task (task);
  return g_task_propagate_pointer (task, error);
}

static void
test_module_ops (Module *m, gconstpointer data)
{
  VbObj *nic = lookup (m, "pci_0000_01_00_0");
  VbObj *usb = lookup (m, "usb_1_1");
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(GVariant) caps = NULL;
  g_autofree char *printed = NULL;

  /* GetXMLDesc reads the device again: its driver changed meanwhile. */
  put (m->fx.root, "bus/pci/drivers/igb/unbind", "");
  mklink (m->fx.root, NIC "/driver", "bus/pci/drivers/igb");
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.get_xml_desc (m->backend, nic, 0, task);
  xml = run_op_pointer (task, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "<name>igb</name>"));
  g_assert_cmpstr (((VbNodeDevDef *) nic->def)->driver, ==, "igb");
  vb_test_schema_validate (xml, "nodedev.rng");
  g_clear_object (&task);
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.get_xml_desc (m->backend, nic, 1, task);
  g_assert_null (run_op_pointer (task, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_UNSUPPORTED_FLAGS);
  g_clear_error (&error);
  g_clear_object (&task);
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.get_xml_desc (m->backend, lookup (m, "computer"), 0, task);
  g_clear_pointer (&xml, g_free);
  xml = run_op_pointer (task, &error);
  g_assert_nonnull (strstr (xml, "<name>computer</name>"));
  g_clear_object (&task);

  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.list_caps (m->backend, lookup (m, "pci_0000_00_05_0"), task);
  caps = run_op_pointer (task, &error);
  printed = g_variant_print (caps, FALSE);
  g_assert_cmpstr (printed, ==, "['pci', 'mdev_types']");
  g_clear_object (&task);

  /* Detach: vfio-pci (the fake kernel binds it), the definition follows. */
  m->fx.native = "bus/pci/drivers/igb";
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.detach (m->backend, nic, "vfio", 0, task);
  wait_task (task);
  g_task_propagate_boolean (task, &error);
  g_assert_no_error (error);
  wait_idle (m);
  g_assert_cmpstr (((VbNodeDevDef *) nic->def)->driver, ==, "vfio-pci");
  g_clear_object (&task);
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.reattach (m->backend, nic, task);
  wait_task (task);
  g_assert_true (g_task_propagate_boolean (task, &error));
  wait_idle (m);
  g_assert_cmpstr (((VbNodeDevDef *) nic->def)->driver, ==, "igb");
  g_clear_object (&task);
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.reattach (m->backend, nic, task);
  wait_task (task);
  g_assert_false (g_task_propagate_boolean (task, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID);
  g_clear_error (&error);
  g_clear_object (&task);
  /* Back on its host driver: not reset from under it. */
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.reset (m->backend, nic, task);
  wait_task (task);
  g_assert_false (g_task_propagate_boolean (task, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID);
  g_assert_nonnull (strstr (error->message, "in use by the host's driver igb"));
  g_clear_error (&error);
  g_clear_object (&task);

  /* What the caller gets wrong. */
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.detach (m->backend, usb, NULL, 0, task);
  wait_task (task);
  g_assert_false (g_task_propagate_boolean (task, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_assert_cmpstr (error->message, ==, "device usb_1_1 is not a PCI device");
  g_clear_error (&error);
  g_clear_object (&task);
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.reset (m->backend, usb, task);
  wait_task (task);
  g_assert_false (g_task_propagate_boolean (task, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_clear_error (&error);
  g_clear_object (&task);
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.detach (m->backend, nic, "kvm", 0, task);
  wait_task (task);
  g_assert_false (g_task_propagate_boolean (task, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_clear_error (&error);
  g_clear_object (&task);
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.detach (m->backend, nic, NULL, 4, task);
  wait_task (task);
  g_assert_false (g_task_propagate_boolean (task, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_UNSUPPORTED_FLAGS);
  g_clear_error (&error);
  g_clear_object (&task);

  /* vHBAs are not offered; other devices are not destroyed. */
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.create_xml (m->backend,
                     "<device><parent>scsi_host0</parent><capability type='scsi_host'>"
                     "<capability type='fc_host'><wwnn>2000000012341234</wwnn><wwpn>1000000012341234</wwpn>"
                     "</capability></capability></device>",
                     0, task);
  g_assert_null (run_op_pointer (task, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "NPIV-capable fibre channel HBA"));
  g_assert_nonnull (strstr (error->message, "1000000012341234"));
  g_clear_error (&error);
  g_clear_object (&task);
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.destroy (m->backend, usb, task);
  wait_task (task);
  g_assert_false (g_task_propagate_boolean (task, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID);
  g_clear_error (&error);
  g_clear_object (&task);
  /* A mediated device on a device offering no types. */
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.create_xml (m->backend,
                     "<device><parent>pci_0000_01_00_0</parent><capability type='mdev'>"
                     "<type id='nvidia-222'/></capability></device>",
                     0, task);
  g_assert_null (run_op_pointer (task, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "mdev-capable"));
  g_clear_error (&error);
  g_clear_object (&task);
}

static void
test_module_mdev (Module *m, gconstpointer data)
{
  static const char *const created[] = { "CREATED mdev_4b20d080_1b54_4048_85b3_a6a62d165c01_0000_00_05_0", NULL };
  static const char *const deleted[] = { "DELETED mdev_4b20d080_1b54_4048_85b3_a6a62d165c01_0000_00_05_0", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = g_task_new (m->backend, NULL, NULL, NULL);
  g_autoptr(VbObj) mdev = NULL;
  VbNodeDevDef *def;

  m->ops.create_xml (m->backend,
                     "<device><parent>pci_0000_00_05_0</parent><capability type='mdev'>"
                     "<type id='nvidia-222'/><uuid>4b20d080-1b54-4048-85b3-a6a62d165c01</uuid>"
                     "</capability></device>",
                     0, task);
  mdev = run_op_pointer (task, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mdev->name, ==, "mdev_4b20d080_1b54_4048_85b3_a6a62d165c01_0000_00_05_0");
  def = mdev->def;
  g_assert_cmpstr (def->parent, ==, "pci_0000_00_05_0");
  wait_idle (m);
  assert_events (m, created);
  /* Its "add" uevent, late: no second device. */
  vb_nodedev_local_inject_uevent (m->backend, "add", "/" GPU "/4b20d080-1b54-4048-85b3-a6a62d165c01", "mdev", NULL);
  wait_idle (m);
  g_assert_cmpuint (m->events->len, ==, 0);

  g_clear_object (&task);
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.create_xml (m->backend,
                     "<device><parent>pci_0000_00_05_0</parent><capability type='mdev'>"
                     "<type id='nvidia-222'/><uuid>4b20d080-1b54-4048-85b3-a6a62d165c01</uuid>"
                     "</capability></device>",
                     0, task);
  g_assert_null (run_op_pointer (task, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_EXISTS);
  g_clear_error (&error);

  g_clear_object (&task);
  task = g_task_new (m->backend, NULL, NULL, NULL);
  m->ops.destroy (m->backend, mdev, task);
  wait_task (task);
  g_assert_true (g_task_propagate_boolean (task, &error));
  g_assert_no_error (error);
  assert_events (m, deleted);
  g_assert_null (lookup (m, mdev->name));
}

/* ---- this machine ---- */

static void
test_real_sys (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbNodedevSysfs) sysfs = vb_nodedev_sysfs_new ("/sys", &error);
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *entry;
  guint pci = 0;

  g_assert_no_error (error);
  devices = vb_nodedev_sysfs_scan (sysfs);
  g_assert_nonnull (find_device (devices, "computer"));
  for (guint i = 0; i < devices->len; i++) {
    VbNodedevSysfsDevice *device = g_ptr_array_index (devices, i);
    g_autofree char *xml = vb_nodedev_def_format (device->def, 0);
    if (!vb_test_schema_validate (xml, "nodedev.rng"))
      return;
    if (g_test_verbose ())
      g_test_message ("%s", xml);
    if (i > 0)
      g_assert_nonnull (find_device (devices, device->def->parent));
  }
  dir = g_dir_open ("/sys/bus/pci/devices", 0, NULL);
  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL) {
    g_autofree char *name = g_strdup_printf ("pci_%s", entry);
    for (char *p = name; *p; p++)
      if (!g_ascii_isalnum (*p))
        *p = '_';
    if (find_device (devices, name) == NULL)
      g_error ("/sys/bus/pci/devices/%s is not listed as %s", entry, name);
    pci++;
  }
  g_test_message ("%u devices on this machine, %u of them PCI", devices->len, pci);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/nodedev/sysfs/scan-names", Fixture, NULL, fixture_setup, test_scan_names, fixture_teardown);
  g_test_add ("/nodedev/sysfs/scan-xml", Fixture, NULL, fixture_setup, test_scan_xml, fixture_teardown);
  g_test_add ("/nodedev/sysfs/read-one", Fixture, NULL, fixture_setup, test_read_one, fixture_teardown);
  g_test_add ("/nodedev/sysfs/ids", Fixture, NULL, fixture_setup, test_ids, fixture_teardown);
  g_test_add ("/nodedev/sysfs/hostile", Fixture, NULL, fixture_setup, test_hostile, fixture_teardown);
  g_test_add_func ("/nodedev/sysfs/devpaths", test_devpaths);
  g_test_add ("/nodedev/sysfs/detach", Fixture, NULL, fixture_setup, test_detach, fixture_teardown);
  g_test_add ("/nodedev/sysfs/detach-no-vfio", Fixture, NULL, fixture_setup, test_detach_no_vfio, fixture_teardown);
  g_test_add ("/nodedev/sysfs/detach-undo", Fixture, NULL, fixture_setup, test_detach_undo, fixture_teardown);
  g_test_add ("/nodedev/sysfs/reattach-undo", Fixture, NULL, fixture_setup, test_reattach_undo, fixture_teardown);
  g_test_add ("/nodedev/sysfs/reset", Fixture, NULL, fixture_setup, test_reset, fixture_teardown);
  g_test_add ("/nodedev/sysfs/mdev", Fixture, NULL, fixture_setup, test_mdev, fixture_teardown);
  g_test_add_func ("/nodedev/uevent/parse", test_uevent_parse);
  g_test_add ("/nodedev/local/load", Module, NULL, module_setup, test_module_load, module_teardown);
  g_test_add ("/nodedev/local/hotplug", Module, NULL, module_setup, test_module_hotplug, module_teardown);
  g_test_add ("/nodedev/local/ops", Module, NULL, module_setup, test_module_ops, module_teardown);
  g_test_add ("/nodedev/local/mdev", Module, NULL, module_setup, test_module_mdev, module_teardown);
  g_test_add_func ("/nodedev/real-sys", test_real_sys);
  return g_test_run ();
}
