"""Storage pools of type 'disk' on qemu://: a block device whose partitions
are the volumes. Here the disk is a loop device of the test's own (on an
image file in its temporary directory, detached at the end); its partition
table is written with sfdisk and the kernel told of each partition."""
import json
import os
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import Virtbus
from test_qemu_storage import CONNECT, ERROR, MIB, POOL, QEMU_PATH, VOL

BUILD_NO_OVERWRITE, BUILD_OVERWRITE = 4, 8
CREATE_WITH_BUILD = 1
GPT_SWAP = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"
GPT_LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"


def _missing():
    if os.geteuid() != 0:
        return "disk pools partition block devices: root is needed"
    for tool in ("losetup", "sfdisk", "wipefs", "blkid", "mkfs.ext4"):
        if shutil.which(tool) is None:
            return "%s is not installed (util-linux, fdisk, e2fsprogs)" % tool
    if not os.path.exists("/dev/loop-control"):
        return "no loop devices (/dev/loop-control) to make a disk of"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


class Disk:
    def __init__(self, bus, root):
        self.root = root
        self.image = os.path.join(root, "disk.img")
        with open(self.image, "wb") as f:
            f.truncate(64 * MIB)
        # -P: a loop device that may have partitions.
        self.loop = subprocess.run(["losetup", "-f", "-P", "--show", self.image], capture_output=True, text=True,
                                   check=True).stdout.strip()
        self.name = os.path.basename(self.loop)
        self.vb = None
        os.makedirs(os.path.join(root, "state"))
        try:
            self.vb = Virtbus(bus, os.path.join(root, "state"), args=["--driver", "qemu"])
        except BaseException:
            self.close()
            raise

    def part(self, n):
        return "%sp%d" % (self.name, n)

    def pool_xml(self, name, fmt="gpt", device=None, target="/dev"):
        fmt_xml = "<format type='%s'/>" % fmt if fmt else ""
        return ("<pool type='disk'><name>%s</name><source><device path='%s'/>%s</source>"
                "<target><path>%s</path></target></pool>" % (name, device or self.loop, fmt_xml, target))

    def define(self, name, **kw):
        return self.vb.call1(QEMU_PATH, CONNECT, "StoragePoolDefineXML", "su", self.pool_xml(name, **kw), 0)

    def error(self, path, iface, method, signature="", *args):
        name, message = self.vb.error(path, iface, method, signature, *args)
        assert name == ERROR, (name, message)
        return message

    def vol_xml(self, name, mib, fmt=None):
        fmt_xml = "<target><format type='%s'/></target>" % fmt if fmt else ""
        return "<volume><name>%s</name><capacity unit='MiB'>%d</capacity>%s</volume>" % (name, mib, fmt_xml)

    def create_vol(self, pool, name, mib, fmt=None):
        return self.vb.call1(pool, POOL, "StorageVolCreateXML", "su", self.vol_xml(name, mib, fmt), 0)

    def table(self):
        r = subprocess.run(["sfdisk", "--json", self.loop], capture_output=True, text=True)
        return json.loads(r.stdout)["partitiontable"] if r.returncode == 0 else None

    def kernel_parts(self):
        return sorted(e for e in os.listdir("/sys/class/block/%s" % self.name) if e.startswith(self.name + "p"))

    def volumes(self, pool):
        return sorted(self.vb.get_property(p, VOL, "Name")
                      for p in self.vb.call1(pool, POOL, "ListStorageVolumes", "u", 0))

    def close(self):
        subprocess.run(["losetup", "-d", self.loop])


@pytest.fixture
def disk(bus, tmp_root):
    root = os.path.join(tmp_root, "root")
    os.makedirs(root)
    d = Disk(bus, root)
    try:
        yield d
    finally:
        code = d.vb.stop()
        d.vb.close()
        d.close()
        assert code == 0, "virtbusd exited with %s; log:\n%s" % (code, d.vb.read_log())


def blkid(path, tag):
    return subprocess.run(["blkid", "-p", "-o", "value", "-s", tag, path], capture_output=True,
                          text=True).stdout.strip()


def size_of(path):
    return int(subprocess.run(["blockdev", "--getsize64", path], capture_output=True, text=True,
                              check=True).stdout)


def test_gpt_disk_pool(disk):
    vb = disk.vb
    pool = disk.define("dp")
    assert "has no partition table (build the pool to write a gpt one)" in disk.error(pool, POOL, "Create", "u", 0)
    assert vb.get_property(pool, POOL, "Active") is False

    # Something on it already: a plain build leaves it, overwrite replaces it.
    subprocess.run(["mkfs.ext4", "-q", "-F", disk.loop], check=True)
    assert "holds a ext4 file system already" in disk.error(pool, POOL, "Build", "u", 0)
    assert blkid(disk.loop, "TYPE") == "ext4"
    vb.call(pool, POOL, "Build", "u", BUILD_OVERWRITE)
    assert blkid(disk.loop, "PTTYPE") == "gpt" and blkid(disk.loop, "TYPE") == ""
    assert "holds a gpt partition table already" in disk.error(pool, POOL, "Build", "u", BUILD_NO_OVERWRITE)

    vb.call(pool, POOL, "Create", "u", 0)
    assert disk.volumes(pool) == []
    state, capacity, allocation, available = vb.call(pool, POOL, "GetInfo", "")[0]
    assert (state, capacity, allocation) == (2, 64 * MIB, 0) and 62 * MIB < available < 64 * MIB

    # A partition is named as the kernel will name it.
    msg = disk.error(pool, POOL, "StorageVolCreateXML", "su", disk.vol_xml("swap", 16), 0)
    assert "invalid partition name 'swap', expected '%s'" % disk.part(1) in msg
    assert "format 'qcow2' is none of" in disk.error(pool, POOL, "StorageVolCreateXML", "su",
                                                      disk.vol_xml(disk.part(1), 16, "qcow2"), 0)
    assert "no extended partitions" in disk.error(pool, POOL, "StorageVolCreateXML", "su",
                                                  disk.vol_xml(disk.part(1), 16, "extended"), 0)
    assert disk.table().get("partitions") is None

    p1 = disk.create_vol(pool, disk.part(1), 16, "linux-swap")
    p2 = disk.create_vol(pool, disk.part(2), 8)
    assert disk.kernel_parts() == [disk.part(1), disk.part(2)]
    assert size_of("/dev/" + disk.part(1)) == 16 * MIB and size_of("/dev/" + disk.part(2)) == 8 * MIB
    parts = disk.table()["partitions"]
    assert [p["type"] for p in parts] == [GPT_SWAP, GPT_LINUX]
    x = ET.fromstring(vb.call1(p1, VOL, "GetXMLDesc", "u", 0))
    assert x.get("type") == "block" and x.find("key").text == "/dev/" + disk.part(1)
    assert x.find("target/path").text == "/dev/" + disk.part(1)
    assert x.find("target/format").get("type") == "linux-swap"
    ext = x.find("source/device/extent")
    assert x.find("source/device").get("path") == disk.loop
    assert int(ext.get("start")) == parts[0]["start"] * 512 and int(ext.get("end")) - int(ext.get("start")) == 16 * MIB
    assert ET.fromstring(vb.call1(p2, VOL, "GetXMLDesc", "u", 0)).find("target/format").get("type") == "linux"
    assert vb.call1(p2, VOL, "GetInfo", "u", 0) == (1, 8 * MIB, 8 * MIB)
    state, capacity, allocation, available2 = vb.call(pool, POOL, "GetInfo", "")[0]
    assert allocation == 24 * MIB and available2 == available - 24 * MIB
    px = ET.fromstring(vb.call1(pool, POOL, "GetXMLDesc", "u", 0))
    assert px.find("source/format").get("type") == "gpt" and int(px.find("allocation").text) == 24 * MIB

    msg = disk.error(pool, POOL, "StorageVolCreateXML", "su", disk.vol_xml(disk.part(3), 100), 0)
    assert "no free space for %d bytes" % (100 * MIB) in msg
    assert "keep their size" in disk.error(p2, VOL, "Resize", "tu", 16 * MIB, 0)
    assert "is a disk pool" in disk.error(pool, POOL, "StorageVolCreateXMLFrom", "ssu",
                                          disk.vol_xml(disk.part(3), 8), vb.get_property(p2, VOL, "Key"), 0)

    # Wipe writes over the partition, and only it.
    with open("/dev/" + disk.part(2), "r+b") as f:
        f.write(b"\xaa" * MIB)
    vb.call(p2, VOL, "Wipe", "uu", 0, 0)
    with open("/dev/" + disk.part(2), "rb") as f:
        assert f.read(MIB) == b"\0" * MIB

    # In use (held exclusively, as a mount would): it stays.
    fd = os.open("/dev/" + disk.part(1), os.O_RDONLY | os.O_EXCL)
    try:
        assert "is in use" in disk.error(p1, VOL, "Delete", "u", 0)
    finally:
        os.close(fd)
    assert disk.kernel_parts() == [disk.part(1), disk.part(2)]
    vb.call(p1, VOL, "Delete", "u", 0)
    assert disk.volumes(pool) == [disk.part(2)] and disk.kernel_parts() == [disk.part(2)]
    assert [p["node"] for p in disk.table()["partitions"]] == ["/dev/" + disk.part(2)]
    # The lowest free number again.
    disk.create_vol(pool, disk.part(1), 4, "linux-raid")

    # Made behind the daemon's back: a refresh lists it (and the kernel
    # learns of it).
    subprocess.run(["sfdisk", "-q", "--append", "--no-reread", "--no-tell-kernel", disk.loop],
                   input="size=2MiB, type=V\n", text=True, check=True)
    vb.call(pool, POOL, "Refresh", "u", 0)
    assert disk.volumes(pool) == [disk.part(1), disk.part(2), disk.part(3)]
    assert os.path.exists("/dev/" + disk.part(3))
    p3 = vb.call1(pool, POOL, "StorageVolLookupByName", "s", disk.part(3))
    assert ET.fromstring(vb.call1(p3, VOL, "GetXMLDesc", "u", 0)).find("target/format").get("type") == "linux-lvm"

    # A restarted daemon has the pool active again, with its partitions.
    vb.kill_and_restart()
    pool = vb.call1(QEMU_PATH, CONNECT, "StoragePoolLookupByName", "s", "dp")
    deadline = time.monotonic() + 10
    while not vb.get_property(pool, POOL, "Active"):
        assert time.monotonic() < deadline, vb.read_log()
        vb.pump(0.05)
    assert disk.volumes(pool) == [disk.part(1), disk.part(2), disk.part(3)]

    # Stopped: the partitions stay. Deleted: the table goes.
    vb.call(pool, POOL, "Destroy", "")
    assert disk.kernel_parts() == [disk.part(1), disk.part(2), disk.part(3)]
    vb.call(pool, POOL, "Delete", "u", 0)
    assert disk.table() is None and blkid(disk.loop, "PTTYPE") == "" and disk.kernel_parts() == []
    vb.call(pool, POOL, "Undefine", "")


def test_dos_disk_pool(disk):
    vb = disk.vb
    # Built and started in one call (a transient pool), as libvirt's dos
    # when no format is given.
    pool = vb.call1(QEMU_PATH, CONNECT, "StoragePoolCreateXML", "su", disk.pool_xml("dos", fmt=None),
                    CREATE_WITH_BUILD)
    assert blkid(disk.loop, "PTTYPE") == "dos"
    assert "already uses source device" in disk.error(QEMU_PATH, CONNECT, "StoragePoolDefineXML", "su",
                                                      disk.pool_xml("other"), 0)
    for n, fmt in ((1, "linux"), (2, "fat32"), (3, "extended")):
        disk.create_vol(pool, disk.part(n), 20 if fmt == "extended" else 8, fmt)
    assert "has an extended partition already" in disk.error(pool, POOL, "StorageVolCreateXML", "su",
                                                             disk.vol_xml(disk.part(4), 4, "extended"), 0)
    disk.create_vol(pool, disk.part(4), 8, "fat16")
    # Four primary partitions: the next one is logical, inside the extended one.
    assert "expected '%s'" % disk.part(5) in disk.error(pool, POOL, "StorageVolCreateXML", "su",
                                                         disk.vol_xml(disk.part(6), 4), 0)
    p5 = disk.create_vol(pool, disk.part(5), 4, "linux-swap")
    disk.create_vol(pool, disk.part(6), 4)
    parts = {p["node"]: p for p in disk.table()["partitions"]}
    ext = parts["/dev/" + disk.part(3)]
    logical = parts["/dev/" + disk.part(5)]
    assert [parts["/dev/" + disk.part(n)]["type"] for n in (1, 2, 3, 4, 5, 6)] == ["83", "c", "5", "6", "82", "83"]
    assert ext["start"] < logical["start"] < ext["start"] + ext["size"]
    assert disk.kernel_parts() == sorted(disk.part(n) for n in range(1, 7))
    e = vb.call1(pool, POOL, "StorageVolLookupByName", "s", disk.part(3))
    # The extended partition's allocation is what its logical ones take.
    assert vb.call1(e, VOL, "GetInfo", "u", 0) == (1, 20 * MIB, 8 * MIB)
    assert "still holds logical partitions" in disk.error(e, VOL, "Delete", "u", 0)
    assert "cannot wipe extended partition" in disk.error(e, VOL, "Wipe", "uu", 0, 0)
    assert "the largest free logical area" in disk.error(pool, POOL, "StorageVolCreateXML", "su",
                                                         disk.vol_xml(disk.part(7), 16), 0)
    # Deleting a logical partition renumbers the ones after it (dos does).
    vb.call(p5, VOL, "Delete", "u", 0)
    assert disk.volumes(pool) == sorted(disk.part(n) for n in range(1, 6))
    assert ET.fromstring(vb.call1(vb.call1(pool, POOL, "StorageVolLookupByName", "s", disk.part(5)), VOL,
                                  "GetXMLDesc", "u", 0)).find("target/format").get("type") == "linux"
    assert disk.kernel_parts() == sorted(disk.part(n) for n in range(1, 6))
    # A transient pool goes when stopped; its partitions stay.
    vb.call(pool, POOL, "Destroy", "")
    assert disk.kernel_parts() == sorted(disk.part(n) for n in range(1, 6))

    # A pool of the other table format refuses to start on it.
    gpt = disk.define("g")
    assert "has a dos partition table, not the gpt one" in disk.error(gpt, POOL, "Create", "u", 0)
    for xml, want in ((disk.pool_xml("m", fmt="mac"), "format 'mac' are not supported"),
                      (disk.pool_xml("r", device="sdz"), "absolute path without '..'"),
                      (disk.pool_xml("r", device="/dev/../tmp/x"), "absolute path without '..'"),
                      ("<pool type='disk'><name>n</name><target><path>/dev</path></target></pool>", "source")):
        assert want in disk.error(QEMU_PATH, CONNECT, "StoragePoolDefineXML", "su", xml, 0), xml
    nodev = disk.define("nodev", device=os.path.join(disk.root, "disk.img"))
    assert "is not a block device" in disk.error(nodev, POOL, "Create", "u", 0)
    # Pools of other disks live beside it, all with their partitions in /dev.
    second = disk.define("second", device="/dev/disk-that-is-not-there")
    assert "device /dev/disk-that-is-not-there: No such file or directory" in disk.error(second, POOL, "Create",
                                                                                         "u", 0)
