"""Storage pools of type 'dir' on qemu://: real directories and image files,
made, listed, cloned, resized, wiped and deleted over org.libvirt.StoragePool
and org.libvirt.StorageVol; the pools survive a daemon restart."""
import json
import os
import shutil
import signal
import stat
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import Virtbus

QEMU_PATH = "/org/libvirt/QEMU"
CONNECT = "org.libvirt.Connect"
POOL = "org.libvirt.StoragePool"
VOL = "org.libvirt.StorageVol"
ERROR = "org.libvirt.Error"
MIB = 1024 ** 2
GIB = 1024 ** 3

# virStoragePoolEventLifecycleType
DEFINED, UNDEFINED, STARTED, STOPPED, CREATED, DELETED = range(6)
INACTIVE, RUNNING = 0, 2
# virStorageVolResizeFlags
ALLOCATE, DELTA, SHRINK = 1, 2, 4
# virStorageVolCreateFlags
PREALLOC_METADATA, REFLINK = 1, 2
# virStorageVolWipeAlgorithm
WIPE_ZERO, WIPE_NNSA, WIPE_RANDOM, WIPE_TRIM = 0, 1, 8, 9
# virStoragePoolCreateFlags
CREATE_WITH_BUILD = 1

pytestmark = pytest.mark.skipif(shutil.which("qemu-img") is None, reason="qemu-img is not installed")


class Storage:
    def __init__(self, vb, root):
        self.vb = vb
        self.root = root
        self.pools = os.path.join(root, "pools")

    def dir(self, name):
        return os.path.join(self.pools, name)

    def pool_xml(self, name, target=None, extra=""):
        return ("<pool type='dir'><name>%s</name><target><path>%s</path>%s</target></pool>"
                % (name, target or self.dir(name), extra))

    def define(self, name, **kw):
        return self.vb.call1(QEMU_PATH, CONNECT, "StoragePoolDefineXML", "su", self.pool_xml(name, **kw), 0)

    def started(self, name, **kw):
        path = self.define(name, **kw)
        self.vb.call(path, POOL, "Create", "u", CREATE_WITH_BUILD)
        return path

    def pool(self, path, method, signature="", *args):
        return self.vb.call(path, POOL, method, signature, *args)

    def create_vol(self, pool, name, capacity, fmt=None, allocation=None, extra="", flags=0):
        xml = "<volume><name>%s</name><capacity>%d</capacity>" % (name, capacity)
        if allocation is not None:
            xml += "<allocation>%d</allocation>" % allocation
        if fmt and "<target>" not in extra:
            xml += "<target><format type='%s'/></target>" % fmt
        xml += extra + "</volume>"
        return self.vb.call1(pool, POOL, "StorageVolCreateXML", "su", xml, flags)

    def vol(self, path, method, signature="", *args):
        return self.vb.call(path, VOL, method, signature, *args)

    def vol_xml(self, path):
        return ET.fromstring(self.vb.call1(path, VOL, "GetXMLDesc", "u", 0))

    def volumes(self, pool):
        return [self.vb.get_property(p, VOL, "Name") for p in self.vb.call1(pool, POOL, "ListStorageVolumes", "u", 0)]

    def error(self, path, iface, method, signature="", *args):
        name, message = self.vb.error(path, iface, method, signature, *args)
        assert name == ERROR, (name, message)
        return message


@pytest.fixture
def storage(bus, tmp_root):
    root = os.path.join(tmp_root, "root")
    os.makedirs(root)
    vb = Virtbus(bus, root, args=["--driver", "qemu"])
    yield Storage(vb, root)
    # A guest a failed test left running is killed by PID while its daemon
    # (the subreaper) is still there to reap it.
    from test_qemu_lifecycle import qemu_pids, wait_gone
    leftovers = qemu_pids(root)
    for pid in leftovers:
        os.kill(pid, signal.SIGKILL)
    wait_gone(leftovers)
    code = vb.stop()
    vb.close()
    assert code == 0, "virtbusd exited with %s; log:\n%s" % (code, vb.read_log())


def img_info(path):
    out = subprocess.run(["qemu-img", "info", "-U", "--output=json", path], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


def pool_events(vb, path):
    vb.pump(0.05)
    return [s[3][1] for s in vb.signals if s[2] == "StoragePoolEvent" and s[3][0] == path]


def test_dir_pool_lifecycle(storage):
    vb = storage.vb
    vb.clear_signals()
    path = storage.define("p1", extra="<permissions><mode>0750</mode></permissions>")
    assert path.startswith(QEMU_PATH + "/storagepool/")
    assert vb.get_property(path, POOL, "Active") is False
    assert vb.get_property(path, POOL, "Persistent") is True
    # Its definition is on disk, under the storage config directory.
    configs = [os.path.join(d, f) for d, _, fs in os.walk(storage.root) for f in fs if f == "p1.xml"]
    assert len(configs) == 1 and "storage" in configs[0]

    # Not built yet: starting says so.
    assert "does not exist (build the pool first)" in storage.error(path, POOL, "Create", "u", 0)
    storage.pool(path, "Build", "u", 0)
    st = os.stat(storage.dir("p1"))
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o750
    storage.pool(path, "Create", "u", 0)
    assert vb.get_property(path, POOL, "Active") is True
    state, capacity, allocation, available = vb.call1(path, POOL, "GetInfo")
    assert state == RUNNING
    sv = os.statvfs(storage.dir("p1"))
    assert capacity == sv.f_blocks * sv.f_frsize
    assert 0 < available <= capacity and allocation <= capacity
    xml = ET.fromstring(vb.call1(path, POOL, "GetXMLDesc", "u", 0))
    assert int(xml.findtext("capacity")) == capacity
    assert xml.findtext("target/path") == storage.dir("p1")
    assert storage.volumes(path) == []
    assert "is active" in storage.error(path, POOL, "Undefine")
    assert "is active" in storage.error(path, POOL, "Delete", "u", 0)

    storage.pool(path, "Destroy")
    assert vb.call1(path, POOL, "GetInfo")[0] == INACTIVE
    storage.pool(path, "Delete", "u", 0)
    assert not os.path.exists(storage.dir("p1"))
    storage.pool(path, "Undefine")
    assert not os.path.exists(configs[0])
    assert pool_events(vb, path) == [DEFINED, CREATED, STARTED, STOPPED, DELETED, UNDEFINED]
    assert vb.error(QEMU_PATH, CONNECT, "StoragePoolLookupByName", "s", "p1")[0] == ERROR


def test_raw_and_qcow2_volumes(storage):
    vb = storage.vb
    pool = storage.started("images")
    raw = storage.create_vol(pool, "disk.raw", 10 * MIB, allocation=0)
    f = os.path.join(storage.dir("images"), "disk.raw")
    st = os.stat(f)
    assert st.st_size == 10 * MIB and stat.S_IMODE(st.st_mode) == 0o600
    assert img_info(f)["format"] == "raw"
    assert vb.call1(raw, VOL, "GetInfo", "u", 0) == (0, 10 * MIB, st.st_blocks * 512)
    assert vb.get_property(raw, VOL, "Path") == f
    assert vb.get_property(raw, VOL, "Key") == f

    # Without <allocation> a raw volume is fully allocated, as in libvirt.
    full = storage.create_vol(pool, "full.raw", 4 * MIB)
    assert os.stat(os.path.join(storage.dir("images"), "full.raw")).st_blocks * 512 >= 4 * MIB
    assert vb.call1(full, VOL, "GetInfo", "u", 0)[2] >= 4 * MIB

    q = storage.create_vol(pool, "base.qcow2", GIB, fmt="qcow2",
                           extra="<target><format type='qcow2'/><compat>1.1</compat>"
                                 "<features><lazy_refcounts/></features></target>")
    base = os.path.join(storage.dir("images"), "base.qcow2")
    info = img_info(base)
    assert info["format"] == "qcow2" and info["virtual-size"] == GIB
    assert info["format-specific"]["data"]["lazy-refcounts"] is True
    x = storage.vol_xml(q)
    assert x.findtext("target/format/[@type]") is None or True
    assert x.find("target/format").get("type") == "qcow2"
    assert int(x.findtext("capacity")) == GIB
    assert x.findtext("target/compat") == "1.1"

    over = storage.create_vol(pool, "overlay.qcow2", GIB, fmt="qcow2",
                              extra="<backingStore><path>%s</path></backingStore>" % base)
    info = img_info(os.path.join(storage.dir("images"), "overlay.qcow2"))
    assert info["backing-filename"] == base and info["backing-filename-format"] == "qcow2"
    x = storage.vol_xml(over)
    assert x.findtext("backingStore/path") == base
    assert x.find("backingStore/format").get("type") == "qcow2"

    assert storage.volumes(pool) == ["base.qcow2", "disk.raw", "full.raw", "overlay.qcow2"]
    assert vb.call1(QEMU_PATH, CONNECT, "StorageVolLookupByPath", "s", base) == q
    assert vb.call1(QEMU_PATH, CONNECT, "StorageVolLookupByKey", "s", f) == raw
    assert vb.call1(pool, POOL, "StorageVolLookupByName", "s", "overlay.qcow2") == over
    # The pool's allocation follows what the file system holds.
    assert vb.call1(pool, POOL, "GetInfo")[0] == RUNNING

    storage.vol(raw, "Delete", "u", 0)
    assert not os.path.exists(f)
    assert storage.volumes(pool) == ["base.qcow2", "full.raw", "overlay.qcow2"]
    assert vb.error(QEMU_PATH, CONNECT, "StorageVolLookupByPath", "s", f)[0] == ERROR


def test_bad_volumes_leave_nothing(storage):
    pool = storage.started("bad")
    d = storage.dir("bad")
    storage.create_vol(pool, "a", MIB, allocation=0)
    assert "already exists" in storage.error(pool, POOL, "StorageVolCreateXML", "su",
                                             "<volume><name>a</name><capacity>1</capacity></volume>", 0)
    for name in ("../escape", "sub/x", "..", "."):
        msg = storage.error(pool, POOL, "StorageVolCreateXML", "su",
                            "<volume><name>%s</name><capacity>1</capacity></volume>" % name, 0)
        assert "volume name must" in msg
    assert not os.path.exists(os.path.join(storage.pools, "escape"))
    # A file that is there but not listed is never overwritten.
    with open(os.path.join(d, "mine"), "w") as f:
        f.write("keep me")
    assert "exists already" in storage.error(pool, POOL, "StorageVolCreateXML", "su",
                                              "<volume><name>mine</name><capacity>1048576</capacity></volume>", 0)
    with open(os.path.join(d, "mine")) as f:
        assert f.read() == "keep me"
    assert "format 'iso'" in storage.error(
        pool, POOL, "StorageVolCreateXML", "su",
        "<volume><name>c.iso</name><capacity>1</capacity><target><format type='iso'/></target></volume>", 0)
    assert "cannot have a backing store" in storage.error(
        pool, POOL, "StorageVolCreateXML", "su",
        "<volume><name>r</name><capacity>1</capacity><backingStore><path>%s/a</path></backingStore></volume>" % d, 0)
    assert "no <capacity>" in storage.error(pool, POOL, "StorageVolCreateXML", "su",
                                            "<volume><name>nocap</name></volume>", 0)
    assert "encrypted" in storage.error(
        pool, POOL, "StorageVolCreateXML", "su",
        "<volume><name>enc</name><capacity>1</capacity><target><format type='qcow2'/>"
        "<encryption format='luks'/></target></volume>", 0)
    assert "backing store of volume 'ov'" in storage.error(
        pool, POOL, "StorageVolCreateXML", "su",
        "<volume><name>ov</name><capacity>1</capacity><target><format type='qcow2'/></target>"
        "<backingStore><path>/nonexistent/base.qcow2</path></backingStore></volume>", 0)
    # More than the file system has: the raw file is not left behind.
    free = os.statvfs(d).f_bavail * os.statvfs(d).f_frsize
    storage.error(pool, POOL, "StorageVolCreateXML", "su",
                  "<volume><name>huge</name><capacity>%d</capacity></volume>" % (free * 4 + GIB), 0)
    assert sorted(os.listdir(d)) == ["a", "mine"]
    assert storage.volumes(pool) == ["a"]
    assert "unsupported flags" in storage.error(pool, POOL, "StorageVolCreateXML", "su",
                                                "<volume><name>f</name><capacity>1</capacity></volume>", 1 << 8).lower()
    storage.pool(pool, "Destroy")
    assert "not active" in storage.error(pool, POOL, "StorageVolCreateXML", "su",
                                         "<volume><name>late</name><capacity>1</capacity></volume>", 0)
    assert not os.path.exists(os.path.join(d, "late"))


def test_refresh_lists_what_is_in_the_directory(storage):
    vb = storage.vb
    pool = storage.started("seen")
    d = storage.dir("seen")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", os.path.join(d, "made.qcow2"), "64M"], check=True)
    subprocess.run(["qemu-img", "create", "-q", "-f", "vmdk", os.path.join(d, "other.vmdk"), "32M"], check=True)
    with open(os.path.join(d, "plain.img"), "wb") as f:
        f.truncate(3 * MIB)
    os.mkfifo(os.path.join(d, "fifo"))
    # A qcow2 header whose backing name lies past the end of the file.
    with open(os.path.join(d, "broken.qcow2"), "wb") as f:
        f.write(b"QFI\xfb" + (3).to_bytes(4, "big") + (60000).to_bytes(8, "big") + (500).to_bytes(4, "big")
                + bytes(200))
    vb.clear_signals()
    assert storage.volumes(pool) == []
    storage.pool(pool, "Refresh", "u", 0)
    vb.wait_signal("Refresh", lambda s: s[0] == pool, interface=POOL)
    assert storage.volumes(pool) == ["made.qcow2", "other.vmdk", "plain.img"]
    by_name = {n: vb.call1(pool, POOL, "StorageVolLookupByName", "s", n) for n in storage.volumes(pool)}
    assert storage.vol_xml(by_name["made.qcow2"]).find("target/format").get("type") == "qcow2"
    assert vb.call1(by_name["made.qcow2"], VOL, "GetInfo", "u", 0)[1] == 64 * MIB
    assert storage.vol_xml(by_name["other.vmdk"]).find("target/format").get("type") == "vmdk"
    assert vb.call1(by_name["other.vmdk"], VOL, "GetInfo", "u", 0)[1] == 32 * MIB
    assert storage.vol_xml(by_name["plain.img"]).find("target/format").get("type") == "raw"
    # Files removed behind the daemon's back: a call on the volume says so
    # and the volume goes; a refresh drops the others.
    os.unlink(os.path.join(d, "plain.img"))
    assert "is gone" in storage.error(by_name["plain.img"], VOL, "GetInfo", "u", 0)
    os.unlink(os.path.join(d, "other.vmdk"))
    storage.pool(pool, "Refresh", "u", 0)
    assert storage.volumes(pool) == ["made.qcow2"]
    # The files it does not list are still there.
    assert os.path.exists(os.path.join(d, "broken.qcow2")) and os.path.exists(os.path.join(d, "fifo"))


def test_clone_resize_and_wipe(storage):
    vb = storage.vb
    pool = storage.started("work")
    d = storage.dir("work")
    src = storage.create_vol(pool, "src.raw", 4 * MIB, allocation=0)
    data = os.urandom(MIB)
    with open(os.path.join(d, "src.raw"), "r+b") as f:
        f.seek(MIB)
        f.write(data)

    # Clone to qcow2, larger: the data is the original's.
    xml = "<volume><name>copy.qcow2</name><capacity>%d</capacity><target><format type='qcow2'/></target></volume>"
    copy = vb.call1(pool, POOL, "StorageVolCreateXMLFrom", "ssu", xml % (8 * MIB), vb.get_property(src, VOL, "Key"), 0)
    info = img_info(os.path.join(d, "copy.qcow2"))
    assert info["format"] == "qcow2" and info["virtual-size"] == 8 * MIB
    back = os.path.join(storage.root, "back.raw")
    subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", os.path.join(d, "copy.qcow2"), back],
                   check=True)
    with open(back, "rb") as f:
        f.seek(MIB)
        assert f.read(MIB) == data
    key = vb.get_property(src, VOL, "Key")
    # A clone is never smaller than its original; the default format is the original's.
    small = vb.call1(pool, POOL, "StorageVolCreateXMLFrom", "ssu",
                     "<volume><name>small</name><capacity>1</capacity></volume>", key, 0)
    assert vb.call1(small, VOL, "GetInfo", "u", 0)[1] == 4 * MIB
    assert storage.vol_xml(small).find("target/format").get("type") == "raw"
    # Reflink: both raw, and the file system must share blocks.
    try:
        ref = vb.call1(pool, POOL, "StorageVolCreateXMLFrom", "ssu",
                       "<volume><name>ref</name><capacity>1</capacity></volume>", key, REFLINK)
    except Exception as e:  # noqa: BLE001 - the file system decides
        assert "reflink copy" in str(e), e
        assert not os.path.exists(os.path.join(d, "ref"))
    else:
        with open(os.path.join(d, "ref"), "rb") as f:
            f.seek(MIB)
            assert f.read(MIB) == data
        storage.vol(ref, "Delete", "u", 0)
    assert "both volumes must be raw" in storage.error(
        pool, POOL, "StorageVolCreateXMLFrom", "ssu", xml.replace("copy", "other") % MIB, key, REFLINK)
    assert not os.path.exists(os.path.join(d, "other.qcow2"))

    # Resize: grow, refuse a shrink without the flag, shrink with it, delta.
    storage.vol(copy, "Resize", "tu", 16 * MIB, 0)
    assert img_info(os.path.join(d, "copy.qcow2"))["virtual-size"] == 16 * MIB
    assert "without the SHRINK flag" in storage.error(copy, VOL, "Resize", "tu", 2 * MIB, 0)
    storage.vol(copy, "Resize", "tu", 12 * MIB, SHRINK)
    assert vb.call1(copy, VOL, "GetInfo", "u", 0)[1] == 12 * MIB
    storage.vol(src, "Resize", "tu", MIB, DELTA)
    assert os.stat(os.path.join(d, "src.raw")).st_size == 5 * MIB
    storage.vol(src, "Resize", "tu", 2 * MIB, DELTA | SHRINK)
    assert os.stat(os.path.join(d, "src.raw")).st_size == 3 * MIB
    assert "overflows" in storage.error(src, VOL, "Resize", "tu", 2 ** 64 - 1, DELTA)

    # Wipe: zeros over a raw volume; a qcow2 one stays a qcow2 of its size.
    storage.vol(src, "Wipe", "uu", WIPE_ZERO, 0)
    with open(os.path.join(d, "src.raw"), "rb") as f:
        assert f.read() == bytes(3 * MIB)
    storage.vol(copy, "Wipe", "uu", WIPE_RANDOM, 0)
    info = img_info(os.path.join(d, "copy.qcow2"))
    assert info["format"] == "qcow2" and info["virtual-size"] == 12 * MIB
    subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", os.path.join(d, "copy.qcow2"), back],
                   check=True)
    with open(back, "rb") as f:
        assert f.read() == bytes(12 * MIB)
    assert "not supported" in storage.error(src, VOL, "Wipe", "uu", WIPE_NNSA, 0)
    assert "does not exist" in storage.error(src, VOL, "Wipe", "uu", 42, 0)


def test_volume_in_use_is_not_deleted_or_wiped(storage):
    pool = storage.started("busy")
    d = storage.dir("busy")
    vol = storage.create_vol(pool, "held.qcow2", 16 * MIB, fmt="qcow2")
    image = os.path.join(d, "held.qcow2")
    holder = subprocess.Popen(["qemu-io", "-f", "qcow2", image], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        holder.stdin.write("length\n")
        holder.stdin.flush()
        holder.stdout.readline()  # the image is open and locked
        assert "is in use" in storage.error(vol, VOL, "Delete", "u", 0)
        assert "is in use" in storage.error(vol, VOL, "Wipe", "uu", 0, 0)
        assert "is in use" in storage.error(vol, VOL, "Resize", "tu", 32 * MIB, 0)
        assert os.path.exists(image)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    storage.vol(vol, "Delete", "u", 0)
    assert not os.path.exists(image)


def test_pools_survive_a_restart(storage):
    vb = storage.vb
    kept = storage.started("kept")
    storage.create_vol(kept, "v1", MIB, allocation=0)
    auto = storage.define("auto")
    storage.pool(auto, "Build", "u", 0)
    vb.set_property(auto, POOL, "Autostart", __import__("gi.repository.GLib", fromlist=["GLib"]).Variant("b", True))
    idle = storage.define("idle")
    transient = vb.call1(QEMU_PATH, CONNECT, "StoragePoolCreateXML", "su", storage.pool_xml("transient"),
                         CREATE_WITH_BUILD)
    assert vb.get_property(transient, POOL, "Persistent") is False
    # A redefinition while running takes effect at the next start.
    uuid = vb.get_property(kept, POOL, "UUID")
    vb.call1(QEMU_PATH, CONNECT, "StoragePoolDefineXML", "su",
             storage.pool_xml("kept", extra="<permissions><mode>0700</mode></permissions>").replace(
                 "</name>", "</name><uuid>%s</uuid>" % uuid), 0)
    assert ET.fromstring(vb.call1(kept, POOL, "GetXMLDesc", "u", 0)).find("target/permissions") is None
    assert ET.fromstring(vb.call1(kept, POOL, "GetXMLDesc", "u", 1)).findtext("target/permissions/mode") == "0700"

    vb.kill_and_restart()
    assert vb.get_property(kept, POOL, "Active") is True
    assert storage.volumes(kept) == ["v1"]
    assert ET.fromstring(vb.call1(kept, POOL, "GetXMLDesc", "u", 1)).findtext("target/permissions/mode") == "0700"
    assert vb.get_property(auto, POOL, "Autostart") is True
    deadline = time.monotonic() + 5
    while not vb.get_property(auto, POOL, "Active"):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert vb.get_property(idle, POOL, "Active") is False
    assert vb.get_property(transient, POOL, "Active") is True
    assert vb.get_property(transient, POOL, "Persistent") is False
    storage.pool(transient, "Destroy")
    assert vb.error(QEMU_PATH, CONNECT, "StoragePoolLookupByName", "s", "transient")[0] == ERROR
    storage.pool(kept, "Destroy")
    assert ET.fromstring(vb.call1(kept, POOL, "GetXMLDesc", "u", 0)).findtext("target/permissions/mode") == "0700"

    # A pool whose directory vanished while the daemon was away is not active.
    storage.pool(kept, "Create", "u", 0)
    vb.stop()
    shutil.rmtree(storage.dir("kept"))
    vb.start()
    assert vb.get_property(kept, POOL, "Active") is False


def test_pool_errors(storage):
    vb = storage.vb
    msg = storage.error(QEMU_PATH, CONNECT, "StoragePoolDefineXML", "su",
                        "<pool type='logical'><name>vg</name><source><name>vg</name></source>"
                        "<target><path>/dev/vg</path></target></pool>", 0)
    assert "type 'logical' are not supported" in msg
    storage.define("one", target=storage.dir("shared"))
    assert "storage source conflict" in storage.error(QEMU_PATH, CONNECT, "StoragePoolDefineXML", "su",
                                                      storage.pool_xml("two", target=storage.dir("shared")), 0)
    assert "invalid pool name" in storage.error(QEMU_PATH, CONNECT, "StoragePoolDefineXML", "su",
                                                storage.pool_xml(".hidden"), 0)
    assert "is not usable" in storage.error(QEMU_PATH, CONNECT, "StoragePoolDefineXML", "su",
                                             storage.pool_xml("root", target="/"), 0)
    full = storage.started("full")
    storage.create_vol(full, "stays", MIB, allocation=0)
    storage.pool(full, "Destroy")
    assert "is not empty" in storage.error(full, POOL, "Delete", "u", 0)
    assert os.path.exists(os.path.join(storage.dir("full"), "stays"))
    assert "mutually exclusive" in storage.error(full, POOL, "Build", "u", 4 | 8)
    assert "not active" in storage.error(full, POOL, "ListStorageVolumes", "u", 0)
    # A directory others may write to: no qemu-img in it (a link could take a
    # volume's place between the checks and the tool), raw volumes still.
    shared = storage.started("open")
    os.chmod(storage.dir("open"), 0o1777)
    assert "qemu-img is not run in it" in storage.error(
        shared, POOL, "StorageVolCreateXML", "su",
        "<volume><name>q</name><capacity>1048576</capacity><target><format type='qcow2'/></target></volume>", 0)
    raw = storage.create_vol(shared, "r", MIB, allocation=0)
    assert "qemu-img is not run in it" in storage.error(raw, VOL, "Resize", "tu", 2 * MIB, 0)
    assert os.listdir(storage.dir("open")) == ["r"]
    # A file where the directory should be.
    with open(storage.dir("file"), "w") as f:
        f.write("x")
    filepool = storage.define("file")
    assert "not a directory" in storage.error(filepool, POOL, "Create", "u", 0)
    assert "not a directory" in storage.error(filepool, POOL, "Build", "u", 0)
    assert vb.get_property(filepool, POOL, "Active") is False


def test_virtbusctl_storage(storage):
    from test_virtbusctl import run

    def ok(*args):
        r = run(storage.vb, "-c", "qemu:///session", *args)
        assert r.returncode == 0, (args, r.returncode, r.stdout, r.stderr)
        return r.stdout

    def fails(*args):
        r = run(storage.vb, "-c", "qemu:///session", *args)
        assert r.returncode != 0, (args, r.stdout)
        return r.stderr

    xml = os.path.join(storage.root, "pool.xml")
    with open(xml, "w") as f:
        f.write(storage.pool_xml("ctl"))
    ok("pool-define", xml)
    assert "build the pool first" in fails("pool-start", "ctl")
    ok("pool-build", "ctl")
    ok("pool-start", "ctl")
    d = storage.dir("ctl")
    ok("vol-create-as", "ctl", "base.qcow2", "64M", "--format", "qcow2", "--prealloc-metadata")
    assert img_info(os.path.join(d, "base.qcow2"))["actual-size"] > 64 * 1024
    assert "preallocation conflicts with a backing store" in fails(
        "vol-create-as", "ctl", "top.qcow2", "64M", "--format", "qcow2", "--backing-vol", "base.qcow2",
        "--prealloc-metadata")
    ok("vol-create-as", "ctl", "top.qcow2", "64M", "--format", "qcow2", "--backing-vol", "base.qcow2",
       "--backing-vol-format", "qcow2")
    info = img_info(os.path.join(d, "top.qcow2"))
    assert info["backing-filename"] == os.path.join(d, "base.qcow2")
    assert "--backing-vol-format needs --backing-vol" in fails("vol-create-as", "ctl", "x", "1M",
                                                               "--backing-vol-format", "raw")
    ok("vol-clone", "base.qcow2", "copy.qcow2", "--pool", "ctl")
    assert img_info(os.path.join(d, "copy.qcow2"))["format"] == "qcow2"
    ok("vol-resize", "copy.qcow2", "128M", "--pool", "ctl")
    assert img_info(os.path.join(d, "copy.qcow2"))["virtual-size"] == 128 * MIB
    ok("vol-resize", "copy.qcow2", "-32M", "--pool", "ctl", "--shrink")
    assert img_info(os.path.join(d, "copy.qcow2"))["virtual-size"] == 96 * MIB
    assert "needs --shrink" in fails("vol-resize", "copy.qcow2", "-1M", "--pool", "ctl")
    ok("vol-create-as", "ctl", "data.raw", "2M", "--allocation", "0")
    with open(os.path.join(d, "data.raw"), "r+b") as f:
        f.write(b"\xff" * 4096)
    ok("vol-wipe", "data.raw", "--pool", "ctl", "--algorithm", "zero")
    with open(os.path.join(d, "data.raw"), "rb") as f:
        assert f.read() == bytes(2 * MIB)
    assert "unknown wiping algorithm" in fails("vol-wipe", "data.raw", "--pool", "ctl", "--algorithm", "shred")
    assert ok("vol-path", "data.raw", "--pool", "ctl").strip() == os.path.join(d, "data.raw")
    # By path, the clone goes to the pool that lists the original.
    ok("vol-clone", os.path.join(d, "data.raw"), "data2.raw")
    assert os.path.getsize(os.path.join(d, "data2.raw")) == 2 * MIB
    for v in ("data2.raw", "data.raw", "copy.qcow2", "top.qcow2", "base.qcow2"):
        ok("vol-delete", v, "--pool", "ctl")
    ok("pool-destroy", "ctl")
    ok("pool-delete", "ctl")
    assert not os.path.exists(d)
    ok("pool-start", "ctl", "--build")
    assert os.path.isdir(d)


def volume_disk(pool, volume, dev, fmt="qcow2"):
    return (f"<disk type='volume' device='disk'><driver name='qemu' type='{fmt}'/>"
            f"<source pool='{pool}' volume='{volume}'/><target dev='{dev}' bus='virtio'/></disk>")


@pytest.mark.skipif(__import__("guest").missing_requirements() is not None,
                    reason=str(__import__("guest").missing_requirements()))
def test_domain_disks_from_pool_volumes(storage):
    import guest
    from test_qemu_hotplug import guest_value, wait_domain_signal
    from test_qemu_lifecycle import BOOT_TIMEOUT, Qemu, qemu_pids, wait_gone

    vb = storage.vb
    q = Qemu(vb, storage.root)
    pool = storage.started("vms")
    d = storage.dir("vms")
    storage.create_vol(pool, "root.qcow2", 16 * MIB, fmt="qcow2")
    storage.create_vol(pool, "data.raw", 8 * MIB, allocation=0)

    # Defined while the volume is missing: that is fine until it starts.
    xml = guest.domain_xml("volvm", extra_devices=volume_disk("vms", "root.qcow2", "vda")
                           + volume_disk("vms", "later.qcow2", "vdc"))
    path = q.connect("DomainDefineXML", "s", xml)
    msg = storage.error(path, "org.libvirt.Domain", "Create", "u", 0)
    assert "storage pool 'vms' has no volume 'later.qcow2'" in msg
    inactive = q.dom(path, "GetXMLDesc", "u", 2)[0]
    assert "<source pool='vms' volume='root.qcow2'/>" in inactive and "file=" not in inactive
    xml = guest.domain_xml("volvm", uuid=vb.get_property(path, "org.libvirt.Domain", "UUID"),
                           extra_devices=volume_disk("vms", "root.qcow2", "vda"))
    q.connect("DomainDefineXML", "s", xml)
    # An inactive pool: its volumes cannot be used.
    storage.pool(pool, "Destroy")
    assert "storage pool 'vms' containing volume 'root.qcow2' is not active" in storage.error(
        path, "org.libvirt.Domain", "Create", "u", 0)
    storage.pool(pool, "Create", "u", 0)

    q.start(path)
    con = q.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    guest_value(con, "cat /sys/block/vda/size", str(16 * 1024 * 2))
    pid = q.pid("volvm")
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        assert os.path.join(d, "root.qcow2").encode() in f.read()
    live = q.dom(path, "GetXMLDesc", "u", 0)[0]
    assert "<source pool='vms' volume='root.qcow2'" in live and "file=" not in live
    # The running domain holds the volume: it is neither deleted nor wiped.
    root_vol = vb.call1(pool, POOL, "StorageVolLookupByName", "s", "root.qcow2")
    assert "is in use" in storage.error(root_vol, VOL, "Delete", "u", 0)

    # Hotplug a volume; then the daemon dies and comes back: the disk is
    # still the volume's file, and block operations find it.
    vb.clear_signals()
    q.dom(path, "AttachDevice", "su", volume_disk("vms", "data.raw", "vdb", fmt="raw"), 1)
    wait_domain_signal(q, "DeviceAdded", path, ("virtio-disk1",), con)
    guest_value(con, "cat /sys/block/vdb/size", str(8 * 1024 * 2))
    assert "<source pool='vms' volume='data.raw'" in q.dom(path, "GetXMLDesc", "u", 0)[0]
    assert "no volume 'nope'" in storage.error(path, "org.libvirt.Domain", "AttachDevice", "su",
                                               volume_disk("vms", "nope", "vdd"), 1)
    con.close()
    vb.kill_and_restart()
    con = q.console(path)
    q.dom(path, "BlockResize", "stu", "vdb", 12 * 1024, 0)
    guest_value(con, "cat /sys/block/vdb/size", str(12 * 1024 * 2))
    assert "<source pool='vms' volume='data.raw'" in q.dom(path, "GetXMLDesc", "u", 0)[0]
    con.close()
    q.dom(path, "Destroy", "u", 0)
    wait_gone([pid])
    assert qemu_pids(storage.root) == []
    # Shut off, the volume is free again.
    storage.vol(root_vol, "Delete", "u", 0)
    assert not os.path.exists(os.path.join(d, "root.qcow2"))
