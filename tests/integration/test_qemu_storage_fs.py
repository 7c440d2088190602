"""Storage pools of type 'fs' on qemu://: a file system on a device (here
an image file, which mount(8) puts on a loop device) made by Build, mounted
on the pool's directory while the pool runs, unmounted when it stops. The
daemon runs in a mount namespace of the test's own, so none of its mounts
reaches the host."""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import Virtbus
from test_qemu_storage import CONNECT, ERROR, MIB, POOL, QEMU_PATH, VOL

# virStoragePoolBuildFlags / virStoragePoolCreateFlags
BUILD_NO_OVERWRITE, BUILD_OVERWRITE = 4, 8
CREATE_WITH_BUILD, CREATE_WITH_BUILD_NO_OVERWRITE = 1, 4


def _missing():
    if os.geteuid() != 0:
        return "fs pools mount file systems: root is needed"
    for tool in ("unshare", "nsenter", "mount", "mkfs.ext4", "blkid", "findmnt", "qemu-img"):
        if shutil.which(tool) is None:
            return "%s is not installed (util-linux, e2fsprogs, qemu-utils)" % tool
    if not os.path.exists("/dev/loop-control"):
        return "no loop devices (/dev/loop-control) to mount an image file"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


class FsPools:
    def __init__(self, bus, root):
        self.root = root
        # Its own mount namespace: the pools' mounts stay in there.
        self.vb = Virtbus(bus, root, args=["--driver", "qemu"],
                          prefix=("unshare", "--mount", "--propagation", "private"))

    def inside(self, *argv, check=True):
        """@argv in the daemon's mount namespace."""
        return subprocess.run(["nsenter", "-t", str(self.vb.proc.pid), "-m", "--"] + list(argv),
                              capture_output=True, text=True, check=check)

    def mounted(self, target):
        r = self.inside("findmnt", "-J", "-o", "TARGET,FSTYPE,OPTIONS", "--mountpoint", target, check=False)
        return json.loads(r.stdout)["filesystems"][0] if r.returncode == 0 else None

    def pool_xml(self, name, device, target, fmt="ext4"):
        fmt_xml = "<format type='%s'/>" % fmt if fmt else ""
        return ("<pool type='fs'><name>%s</name><source><device path='%s'/>%s</source>"
                "<target><path>%s</path></target></pool>" % (name, device, fmt_xml, target))

    def define(self, *args, **kw):
        return self.vb.call1(QEMU_PATH, CONNECT, "StoragePoolDefineXML", "su", self.pool_xml(*args, **kw), 0)

    def error(self, path, iface, method, signature="", *args):
        name, message = self.vb.error(path, iface, method, signature, *args)
        assert name == ERROR, (name, message)
        return message


@pytest.fixture
def fs(bus, tmp_root):
    root = os.path.join(tmp_root, "root")
    os.makedirs(root)
    f = FsPools(bus, root)
    yield f
    code = f.vb.stop()
    f.vb.close()
    assert code == 0, "virtbusd exited with %s; log:\n%s" % (code, f.vb.read_log())


def blkid_type(path):
    r = subprocess.run(["blkid", "-p", "-o", "value", "-s", "TYPE", path], capture_output=True, text=True)
    return r.stdout.strip()


def test_fs_pool_lifecycle(fs):
    vb = fs.vb
    image = os.path.join(fs.root, "disk.img")
    with open(image, "wb") as f:
        f.truncate(64 * MIB)
    target = os.path.join(fs.root, "pools", "fsp")
    pool = fs.define("fsp", image, target)

    # No directory yet; then one, but no file system on the device: the
    # start fails, nothing stays mounted, the pool is inactive.
    assert "does not exist (build the pool first)" in fs.error(pool, POOL, "Create", "u", 0)
    msg = fs.error(pool, POOL, "Create", "u", CREATE_WITH_BUILD)
    assert "cannot start storage pool 'fsp'" in msg and "mount" in msg, msg
    assert fs.mounted(target) is None and vb.get_property(pool, POOL, "Active") is False

    # Build: the directory, and with no-overwrite the file system, once.
    vb.call(pool, POOL, "Build", "u", BUILD_NO_OVERWRITE)
    assert blkid_type(image) == "ext4"
    assert "holds a ext4 file system already" in fs.error(pool, POOL, "Build", "u", BUILD_NO_OVERWRITE)

    # Start: mounted (nodev, nosuid) in the daemon's namespace only.
    vb.call(pool, POOL, "Create", "u", 0)
    assert vb.get_property(pool, POOL, "Active") is True
    m = fs.mounted(target)
    assert m["fstype"] == "ext4" and "nodev" in m["options"] and "nosuid" in m["options"]
    assert subprocess.run(["findmnt", "--mountpoint", target], capture_output=True).returncode != 0
    state, capacity, allocation, available = vb.call(pool, POOL, "GetInfo", "")[0]
    assert 40 * MIB < capacity <= 64 * MIB and available < capacity
    # Volumes are files in the mounted file system.
    vol = vb.call1(pool, POOL, "StorageVolCreateXML", "su",
                   "<volume><name>a.qcow2</name><capacity>%d</capacity><target><format type='qcow2'/>"
                   "</target></volume>" % (8 * MIB), 0)
    assert fs.inside("test", "-f", os.path.join(target, "a.qcow2"), check=False).returncode == 0
    assert not os.path.exists(os.path.join(target, "a.qcow2"))  # not on the host's file system

    # A user of the file system keeps it from being unmounted: the pool
    # stays active, with its volumes.
    holder = subprocess.Popen(["nsenter", "-t", str(vb.proc.pid), "-m", "--", "sh", "-c",
                               'cd "$1" && exec sleep 60', "sh", target])
    try:
        deadline = time.monotonic() + 5
        while open("/proc/%d/comm" % holder.pid).read().strip() != "sleep":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        msg = fs.error(pool, POOL, "Destroy", "")
        assert "cannot stop storage pool 'fsp'" in msg and "busy" in msg, msg
        assert vb.get_property(pool, POOL, "Active") is True and fs.mounted(target) is not None
        assert vb.get_property(vol, VOL, "Name") == "a.qcow2"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    vb.call(pool, POOL, "Destroy", "")
    assert fs.mounted(target) is None and vb.get_property(pool, POOL, "Active") is False

    # Overwrite makes a new, empty file system; the next start finds no
    # volume. Before that, a restart of an active pool mounts it again.
    vb.call(pool, POOL, "Create", "u", 0)
    vb.kill_and_restart()  # its mount namespace went with it
    pool = vb.call1(QEMU_PATH, CONNECT, "StoragePoolLookupByName", "s", "fsp")
    deadline = time.monotonic() + 10
    while not vb.get_property(pool, POOL, "Active"):
        assert time.monotonic() < deadline, vb.read_log()
        vb.pump(0.05)
    assert fs.mounted(target) is not None
    # (ext4's lost+found is listed as a volume of type dir, as libvirt does.)
    assert sorted(vb.get_property(p, VOL, "Name") for p in vb.call1(pool, POOL, "ListStorageVolumes", "u", 0)) == \
        ["a.qcow2", "lost+found"]
    vb.call(pool, POOL, "Destroy", "")
    vb.call(pool, POOL, "Build", "u", BUILD_OVERWRITE)
    vb.call(pool, POOL, "Create", "u", 0)
    assert [vb.get_property(p, VOL, "Name") for p in vb.call1(pool, POOL, "ListStorageVolumes", "u", 0)] == \
        ["lost+found"]
    vb.call(pool, POOL, "Destroy", "")
    vb.call(pool, POOL, "Delete", "u", 0)
    assert not os.path.exists(target)
    vb.call(pool, POOL, "Undefine", "")


def test_fs_pool_errors(fs):
    vb = fs.vb
    image = os.path.join(fs.root, "disk2.img")
    with open(image, "wb") as f:
        f.truncate(32 * MIB)
    target = os.path.join(fs.root, "pools", "p1")
    one = fs.define("p1", image, target)
    for xml, want in (
            (fs.pool_xml("p2", image, os.path.join(fs.root, "pools", "p2")), "already uses source device"),
            ("<pool type='fs'><name>p3</name><target><path>%s</path></target></pool>" % fs.root,
             "missing <source>"),
            ("<pool type='fs'><name>p3</name><source><device path='/dev/a'/><device path='/dev/b'/></source>"
             "<target><path>%s</path></target></pool>" % fs.root, "takes a single source device"),
            ("<pool type='fs'><name>p3</name><source><format type='ext4'/></source>"
             "<target><path>%s</path></target></pool>" % fs.root, "<device"),
            (fs.pool_xml("p4", "rel/disk.img", os.path.join(fs.root, "p4")), "not a valid source device path"),
            (fs.pool_xml("p5", "/dev/../tmp/x.img", os.path.join(fs.root, "p5")), "without '..'"),
            (fs.pool_xml("p6", "disk", os.path.join(fs.root, "p6")), "not an absolute path")):
        assert want in fs.error(QEMU_PATH, CONNECT, "StoragePoolDefineXML", "su", xml, 0), xml
    # No such device; a device that is a directory.
    gone = fs.define("gone", os.path.join(fs.root, "nope.img"), os.path.join(fs.root, "pools", "gone"))
    assert "its source device" in fs.error(gone, POOL, "Create", "u", CREATE_WITH_BUILD)
    odd = fs.define("odd", fs.root, os.path.join(fs.root, "pools", "odd"))
    assert "neither a block device nor an image file" in fs.error(odd, POOL, "Create", "u", CREATE_WITH_BUILD)
    # Which file system to make must be said.
    auto = fs.define("auto", os.path.join(fs.root, "a.img"), os.path.join(fs.root, "pools", "auto"), fmt=None)
    with open(os.path.join(fs.root, "a.img"), "wb") as f:
        f.truncate(16 * MIB)
    assert "say which file system to make" in fs.error(auto, POOL, "Build", "u", BUILD_NO_OVERWRITE)
    # A transient pool built and started in one call, and gone when stopped.
    with open(os.path.join(fs.root, "t.img"), "wb") as f:
        f.truncate(16 * MIB)
    t = vb.call1(QEMU_PATH, CONNECT, "StoragePoolCreateXML", "su",
                 fs.pool_xml("tfs", os.path.join(fs.root, "t.img"), os.path.join(fs.root, "pools", "t")),
                 CREATE_WITH_BUILD_NO_OVERWRITE)
    assert fs.mounted(os.path.join(fs.root, "pools", "t"))["fstype"] == "ext4"
    vb.call(t, POOL, "Destroy", "")
    assert fs.mounted(os.path.join(fs.root, "pools", "t")) is None
    assert "tfs" not in [vb.get_property(p, POOL, "Name") for p in vb.call1(QEMU_PATH, CONNECT, "ListStoragePools",
                                                                            "u", 0)]
    assert vb.get_property(one, POOL, "Active") is False
