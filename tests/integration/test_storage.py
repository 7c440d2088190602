"""Storage pools and volumes over D-Bus: org.libvirt.StoragePool,
org.libvirt.StorageVol and the storage methods of org.libvirt.Connect,
against the test backend (libvirt's test:///default behaviour)."""
import xml.etree.ElementTree as ET

import pytest
from gi.repository import GLib

from conftest import TEST_PATH

POOL = "org.libvirt.StoragePool"
VOL = "org.libvirt.StorageVol"
CONNECT = "org.libvirt.Connect"
ERROR = "org.libvirt.Error"
OM = "org.freedesktop.DBus.ObjectManager"
PROPS = "org.freedesktop.DBus.Properties"

DEFAULT_UUID = "dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566"
GIB = 1024 ** 3
MIB = 1024 ** 2

# virStoragePoolEventLifecycleType
DEFINED, UNDEFINED, STARTED, STOPPED, CREATED, DELETED = range(6)
# virStoragePoolState
INACTIVE, RUNNING = 0, 2
# virStorageVolResizeFlags
ALLOCATE, DELTA, SHRINK = 1, 2, 4

POOL_XML = "<pool type='dir'><name>{name}</name>{uuid}<target><path>/{name}</path></target></pool>"


def pool_xml(name, uuid=None):
    return POOL_XML.format(name=name, uuid="<uuid>%s</uuid>" % uuid if uuid else "")


def vol_xml(name, capacity_mib, allocation_mib=None):
    alloc = "" if allocation_mib is None else "<allocation unit='MiB'>%d</allocation>" % allocation_mib
    return "<volume><name>%s</name><capacity unit='MiB'>%d</capacity>%s</volume>" % (name, capacity_mib, alloc)


def pool_event(virtbus, path, event):
    s = virtbus.wait_signal("StoragePoolEvent", lambda s: s[3][0] == path and s[3][1] == event, interface=CONNECT)
    assert s[0] == TEST_PATH
    assert s[3] == (path, event, 0)
    return s


def define(virtbus, name, uuid=None):
    return virtbus.connect_call("StoragePoolDefineXML", "su", pool_xml(name, uuid), 0)


def start_pool(virtbus, name):
    path = define(virtbus, name)
    virtbus.call(path, POOL, "Create", "u", 0)
    return path


def info(virtbus, path):
    return virtbus.call1(path, POOL, "GetInfo")


def default_pool(virtbus):
    return virtbus.connect_call("StoragePoolLookupByName", "s", "default-pool")


# ---- the populated default pool ----

def test_default_pool_properties_and_xml(virtbus):
    path = default_pool(virtbus)
    assert path.startswith(TEST_PATH + "/storagepool/")
    props = virtbus.properties(path, POOL)
    assert props == {"Active": True, "Autostart": False, "Name": "default-pool", "Persistent": True,
                     "UUID": DEFAULT_UUID}
    root = ET.fromstring(virtbus.call1(path, POOL, "GetXMLDesc", "u", 0))
    assert root.get("type") == "dir"
    assert root.findtext("name") == "default-pool"
    assert root.findtext("uuid") == DEFAULT_UUID
    assert int(root.findtext("capacity")) == 100 * GIB
    assert int(root.findtext("allocation")) == 0
    assert int(root.findtext("available")) == 100 * GIB
    assert root.findtext("target/path") == "/default-pool"
    assert info(virtbus, path) == (RUNNING, 100 * GIB, 0, 100 * GIB)
    assert virtbus.call1(path, POOL, "ListStorageVolumes", "u", 0) == []


def test_default_pool_in_object_manager(virtbus):
    objs = virtbus.managed_objects()
    path = default_pool(virtbus)
    assert objs[path][POOL]["Name"] == "default-pool"
    assert not any(VOL in ifaces for ifaces in objs.values())


def test_inactive_xml_leaves_out_live_sizes(virtbus):
    root = ET.fromstring(virtbus.call1(default_pool(virtbus), POOL, "GetXMLDesc", "u", 1))
    assert root.find("capacity") is None and root.find("allocation") is None
    assert root.findtext("target/path") == "/default-pool"
    name, msg = virtbus.error(default_pool(virtbus), POOL, "GetXMLDesc", "u", 2)
    assert name == ERROR and "unsupported flags" in msg


# ---- Connect: listing and lookups ----

def test_list_storage_pools_flags(virtbus):
    default = default_pool(virtbus)
    inactive = define(virtbus, "p-inactive")
    transient = virtbus.connect_call("StoragePoolCreateXML", "su", pool_xml("p-transient"), 0)
    logical = virtbus.connect_call(
        "StoragePoolDefineXML", "su",
        "<pool type='logical'><name>vg</name><source><name>vg</name></source>"
        "<target><path>/dev/vg</path></target></pool>", 0)

    def ls(flags):
        return sorted(virtbus.connect_call("ListStoragePools", "u", flags))

    assert ls(0) == sorted([default, inactive, transient, logical])
    assert ls(1) == sorted([inactive, logical])          # INACTIVE
    assert ls(2) == sorted([default, transient])          # ACTIVE
    assert ls(4) == sorted([default, inactive, logical])  # PERSISTENT
    assert ls(8) == [transient]                           # TRANSIENT
    assert ls(16) == []                                   # AUTOSTART
    assert ls(32) == ls(0)                                # NO_AUTOSTART
    assert ls(64) == sorted([default, inactive, transient])  # DIR
    assert ls(512) == [logical]                           # LOGICAL
    assert ls(64 | 512 | 1) == sorted([inactive, logical])
    assert ls(128) == []                                  # FS
    virtbus.set_property(inactive, POOL, "Autostart", GLib.Variant("b", True))
    assert ls(16) == [inactive]
    name, msg = virtbus.error(TEST_PATH, CONNECT, "ListStoragePools", "u", 1 << 20)
    assert name == ERROR and "unsupported flags" in msg


def test_pool_lookups(virtbus):
    path = default_pool(virtbus)
    assert virtbus.connect_call("StoragePoolLookupByUUID", "s", DEFAULT_UUID) == path
    assert virtbus.connect_call("StoragePoolLookupByUUID", "s", DEFAULT_UUID.replace("-", "").upper()) == path
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StoragePoolLookupByName", "s", "nope")
    assert name == ERROR and "no storage pool with matching name 'nope'" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StoragePoolLookupByUUID", "s",
                              "00000000-0000-0000-0000-000000000001")
    assert name == ERROR and "no storage pool with matching uuid" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StoragePoolLookupByUUID", "s", "not-a-uuid")
    assert name == ERROR and "not a valid UUID" in msg


def test_volume_lookups(virtbus):
    pool = default_pool(virtbus)
    vol = virtbus.call1(pool, POOL, "StorageVolCreateXML", "su", vol_xml("disk.img", 10), 0)
    assert virtbus.connect_call("StorageVolLookupByKey", "s", "/default-pool/disk.img") == vol
    assert virtbus.connect_call("StorageVolLookupByPath", "s", "/default-pool/disk.img") == vol
    assert virtbus.call1(pool, POOL, "StorageVolLookupByName", "s", "disk.img") == vol
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StorageVolLookupByKey", "s", "/nope")
    assert name == ERROR and "no storage vol with matching key '/nope'" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StorageVolLookupByPath", "s", "/default-pool/nope")
    assert name == ERROR and "no storage vol with matching path '/default-pool/nope'" in msg
    name, msg = virtbus.error(pool, POOL, "StorageVolLookupByName", "s", "nope")
    assert name == ERROR and "no storage vol with matching name 'nope'" in msg


# ---- pool lifecycle ----

def test_define_start_stop_undefine_lifecycle(virtbus):
    virtbus.clear_signals()
    path = define(virtbus, "p1")
    pool_event(virtbus, path, DEFINED)
    objs = virtbus.managed_objects()
    assert objs[path][POOL]["Active"] is False
    assert objs[path][POOL]["Persistent"] is True
    assert info(virtbus, path)[0] == INACTIVE
    assert virtbus.call1(path, POOL, "GetXMLDesc", "u", 0).count("<name>p1</name>") == 1

    virtbus.call(path, POOL, "Build", "u", 0)
    pool_event(virtbus, path, CREATED)

    virtbus.call(path, POOL, "Create", "u", 0)
    pool_event(virtbus, path, STARTED)
    virtbus.wait_signal("PropertiesChanged",
                        lambda s: s[0] == path and s[3][0] == POOL and s[3][1].get("Active") is True)
    assert virtbus.get_property(path, POOL, "Active") is True
    assert info(virtbus, path) == (RUNNING, 100 * GIB, 0, 100 * GIB)

    virtbus.call(path, POOL, "Refresh", "u", 0)
    s = virtbus.wait_signal("Refresh", lambda s: s[0] == path, interface=POOL)
    assert s[3] == ()

    virtbus.call(path, POOL, "Destroy")
    pool_event(virtbus, path, STOPPED)
    virtbus.wait_signal("PropertiesChanged",
                        lambda s: s[0] == path and s[3][0] == POOL and s[3][1].get("Active") is False)
    assert info(virtbus, path)[0] == INACTIVE

    virtbus.call(path, POOL, "Delete", "u", 0)
    pool_event(virtbus, path, DELETED)

    virtbus.call(path, POOL, "Undefine")
    pool_event(virtbus, path, UNDEFINED)
    virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == path, interface=OM)
    assert path not in virtbus.managed_objects()
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StoragePoolLookupByName", "s", "p1")
    assert name == ERROR


def test_define_emits_interfaces_added(virtbus):
    virtbus.clear_signals()
    path = define(virtbus, "added")
    s = virtbus.wait_signal("InterfacesAdded", lambda s: s[3][0] == path, interface=OM)
    props = s[3][1][POOL]
    assert props["Name"] == "added" and props["Active"] is False and props["Persistent"] is True


def test_create_xml_is_transient_and_vanishes_on_destroy(virtbus):
    virtbus.clear_signals()
    path = virtbus.connect_call("StoragePoolCreateXML", "su", pool_xml("t1"), 0)
    pool_event(virtbus, path, STARTED)
    props = virtbus.properties(path, POOL)
    assert props["Active"] is True and props["Persistent"] is False
    vol = virtbus.call1(path, POOL, "StorageVolCreateXML", "su", vol_xml("v", 1), 0)

    name, msg = virtbus.error(path, POOL, "Undefine")
    assert name == ERROR and "storage pool 't1' is active" in msg
    name, msg = virtbus.error(path, PROPS, "Set", "ssv", POOL, "Autostart", GLib.Variant("b", True))
    assert name == ERROR and "transient" in msg

    virtbus.clear_signals()
    virtbus.call(path, POOL, "Destroy")
    # In order: the volume leaves, the pool stops (while its path is valid), the pool leaves.
    virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == vol, interface=OM)
    pool_event(virtbus, path, STOPPED)
    virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == path, interface=OM)
    objs = virtbus.managed_objects()
    assert path not in objs and vol not in objs


def test_redefine_updates_and_duplicates_are_refused(virtbus):
    uuid = "11111111-2222-3333-4444-555555555555"
    path = define(virtbus, "dup", uuid)
    # Same name and uuid: an update of the same object.
    assert define(virtbus, "dup", uuid) == path
    # Same name, other uuid.
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StoragePoolDefineXML", "su", pool_xml("dup"), 0)
    assert name == ERROR and "pool 'dup' already exists with uuid " + uuid in msg
    # Same uuid, other name.
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StoragePoolDefineXML", "su", pool_xml("other", uuid), 0)
    assert name == ERROR and "'dup' is already defined with uuid " + uuid in msg
    # CreateXML may not reuse a defined pool.
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StoragePoolCreateXML", "su", pool_xml("dup", uuid), 0)
    assert name == ERROR and "already exists" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StoragePoolCreateXML", "su", pool_xml("default-pool"), 0)
    assert name == ERROR and "already exists" in msg
    # Another dir pool on the same target directory.
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StoragePoolDefineXML", "su",
                              "<pool type='dir'><name>dup2</name><target><path>/default-pool</path></target></pool>",
                              0)
    assert name == ERROR and "conflict with pool 'default-pool'" in msg


def test_redefine_of_running_pool_applies_on_stop(virtbus):
    uuid = "11111111-2222-3333-4444-666666666666"
    path = define(virtbus, "live", uuid)
    virtbus.call(path, POOL, "Create", "u", 0)
    new = "<pool type='dir'><name>live</name><uuid>%s</uuid><target><path>/elsewhere</path></target></pool>" % uuid
    assert virtbus.connect_call("StoragePoolDefineXML", "su", new, 0) == path
    live = ET.fromstring(virtbus.call1(path, POOL, "GetXMLDesc", "u", 0))
    inactive = ET.fromstring(virtbus.call1(path, POOL, "GetXMLDesc", "u", 1))
    assert live.findtext("target/path") == "/live"
    assert inactive.findtext("target/path") == "/elsewhere"
    virtbus.call(path, POOL, "Destroy")
    live = ET.fromstring(virtbus.call1(path, POOL, "GetXMLDesc", "u", 0))
    assert live.findtext("target/path") == "/elsewhere"


def test_define_validate_flag_and_bad_flags(virtbus):
    assert define(virtbus, "validated")  # flags 0
    assert virtbus.connect_call("StoragePoolDefineXML", "su", pool_xml("v2"), 1)  # VALIDATE
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StoragePoolDefineXML", "su", pool_xml("v3"), 2)
    assert name == ERROR and "unsupported flags" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StoragePoolCreateXML", "su", pool_xml("v4"), 1)
    assert name == ERROR and "unsupported flags" in msg


def test_malformed_and_unknown_xml(virtbus):
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StoragePoolDefineXML", "su", "<pool", 0)
    assert name == ERROR and msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StoragePoolDefineXML", "su",
                              "<pool type='dir'><name>b</name><bogus/><target><path>/b</path></target></pool>", 0)
    assert name == ERROR and "bogus" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StoragePoolDefineXML", "su",
                              "<pool type='floppy'><name>b</name></pool>", 0)
    assert name == ERROR and "floppy" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "StoragePoolCreateXML", "su", "<network/>", 0)
    assert name == ERROR and msg
    # Nothing was created by the failures.
    assert len(virtbus.connect_call("ListStoragePools", "u", 0)) == 1


def test_wrong_state_errors(virtbus):
    active = default_pool(virtbus)
    inactive = define(virtbus, "idle")
    for method in ("Build", "Create", "Delete"):
        name, msg = virtbus.error(active, POOL, method, "u", 0)
        assert name == ERROR and "storage pool 'default-pool' is active" in msg, method
    name, msg = virtbus.error(active, POOL, "Undefine")
    assert name == ERROR and "is active" in msg
    name, msg = virtbus.error(inactive, POOL, "Destroy")
    assert name == ERROR and "storage pool 'idle' is not active" in msg
    for method in ("Refresh", "ListStorageVolumes"):
        name, msg = virtbus.error(inactive, POOL, method, "u", 0)
        assert name == ERROR and "'idle' is not active" in msg, method
    name, msg = virtbus.error(inactive, POOL, "StorageVolCreateXML", "su", vol_xml("x", 1), 0)
    assert name == ERROR and "not active" in msg
    name, msg = virtbus.error(inactive, POOL, "StorageVolLookupByName", "s", "x")
    assert name == ERROR and "not active" in msg


def test_pool_unsupported_flags(virtbus):
    path = default_pool(virtbus)
    idle = define(virtbus, "idle")
    for p, method in ((idle, "Build"), (idle, "Create"), (idle, "Delete"), (path, "Refresh"),
                      (path, "ListStorageVolumes")):
        name, msg = virtbus.error(p, POOL, method, "u", 1)
        assert name == ERROR and "unsupported flags" in msg, method


def test_autostart_property(virtbus):
    path = define(virtbus, "auto")
    virtbus.clear_signals()
    virtbus.set_property(path, POOL, "Autostart", GLib.Variant("b", True))
    s = virtbus.wait_signal("PropertiesChanged", lambda s: s[0] == path and s[3][0] == POOL)
    assert s[3][1] == {"Autostart": True}
    assert virtbus.get_property(path, POOL, "Autostart") is True
    virtbus.set_property(path, POOL, "Autostart", GLib.Variant("b", False))
    assert virtbus.get_property(path, POOL, "Autostart") is False


# ---- volumes ----

def test_volume_create_info_xml_and_accounting(virtbus):
    pool = default_pool(virtbus)
    virtbus.clear_signals()
    vol = virtbus.call1(pool, POOL, "StorageVolCreateXML", "su", vol_xml("v1", 10, 5), 0)
    assert vol.startswith(TEST_PATH + "/storagevol/")
    s = virtbus.wait_signal("InterfacesAdded", lambda s: s[3][0] == vol, interface=OM)
    assert s[3][1][VOL] == {"Name": "v1", "Key": "/default-pool/v1", "Path": "/default-pool/v1"}
    assert virtbus.properties(vol, VOL) == {"Name": "v1", "Key": "/default-pool/v1", "Path": "/default-pool/v1"}
    assert virtbus.call1(vol, VOL, "GetInfo", "u", 0) == (0, 10 * MIB, 5 * MIB)
    root = ET.fromstring(virtbus.call1(vol, VOL, "GetXMLDesc", "u", 0))
    assert root.get("type") == "file"
    assert root.findtext("name") == "v1"
    assert root.findtext("key") == "/default-pool/v1"
    assert int(root.findtext("capacity")) == 10 * MIB
    assert int(root.findtext("allocation")) == 5 * MIB
    assert root.findtext("target/path") == "/default-pool/v1"
    assert root.find("target/format").get("type") == "raw"
    assert info(virtbus, pool) == (RUNNING, 100 * GIB, 5 * MIB, 100 * GIB - 5 * MIB)
    assert virtbus.call1(pool, POOL, "ListStorageVolumes", "u", 0) == [vol]

    # Without <allocation> a volume is fully allocated.
    vol2 = virtbus.call1(pool, POOL, "StorageVolCreateXML", "su", vol_xml("v2", 20), 0)
    assert virtbus.call1(vol2, VOL, "GetInfo", "u", 0) == (0, 20 * MIB, 20 * MIB)
    assert info(virtbus, pool)[2] == 25 * MIB
    assert virtbus.call1(pool, POOL, "ListStorageVolumes", "u", 0) == [vol, vol2]  # by name

    virtbus.clear_signals()
    virtbus.call(vol2, VOL, "Delete", "u", 0)
    virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == vol2, interface=OM)
    assert info(virtbus, pool)[2] == 5 * MIB
    assert vol2 not in virtbus.managed_objects()
    name, _ = virtbus.error(vol2, VOL, "GetInfo", "u", 0)
    assert name == "org.freedesktop.DBus.Error.UnknownMethod"


def test_volume_bad_input(virtbus):
    pool = default_pool(virtbus)
    virtbus.call1(pool, POOL, "StorageVolCreateXML", "su", vol_xml("v1", 1), 0)
    name, msg = virtbus.error(pool, POOL, "StorageVolCreateXML", "su", vol_xml("v1", 1), 0)
    assert name == ERROR and "'v1' already exists" in msg
    name, msg = virtbus.error(pool, POOL, "StorageVolCreateXML", "su",
                              "<volume><name>big</name><capacity unit='GiB'>200</capacity></volume>", 0)
    assert name == ERROR and "not enough free space" in msg and "'big'" in msg
    name, msg = virtbus.error(pool, POOL, "StorageVolCreateXML", "su", vol_xml("a/b", 1), 0)
    assert name == ERROR and "'/'" in msg
    name, msg = virtbus.error(pool, POOL, "StorageVolCreateXML", "su", "<volume><name>x</name>", 0)
    assert name == ERROR and msg
    name, msg = virtbus.error(pool, POOL, "StorageVolCreateXML", "su",
                              "<volume><name>x</name><capacity>1</capacity><color/></volume>", 0)
    assert name == ERROR and "color" in msg
    name, msg = virtbus.error(pool, POOL, "StorageVolCreateXML", "su", "<volume><name>x</name></volume>", 0)
    assert name == ERROR and "capacity" in msg
    name, msg = virtbus.error(pool, POOL, "StorageVolCreateXML", "su", vol_xml("y", 1), 1)
    assert name == ERROR and "unsupported flags" in msg
    assert len(virtbus.call1(pool, POOL, "ListStorageVolumes", "u", 0)) == 1


def test_volume_clone(virtbus):
    pool = default_pool(virtbus)
    other = start_pool(virtbus, "other")
    orig = virtbus.call1(pool, POOL, "StorageVolCreateXML", "su", vol_xml("orig", 30, 10), 0)
    # No capacity given: the clone takes the origin's.
    clone = virtbus.call1(other, POOL, "StorageVolCreateXMLFrom", "ssu", "<volume><name>copy</name></volume>",
                          "/default-pool/orig", 0)
    assert clone != orig
    assert virtbus.properties(clone, VOL)["Key"] == "/other/copy"
    assert virtbus.call1(clone, VOL, "GetInfo", "u", 0) == (0, 30 * MIB, 30 * MIB)
    assert info(virtbus, other)[2] == 30 * MIB
    # A larger capacity is kept.
    clone2 = virtbus.call1(pool, POOL, "StorageVolCreateXMLFrom", "ssu", vol_xml("copy2", 40),
                           "/default-pool/orig", 0)
    assert virtbus.call1(clone2, VOL, "GetInfo", "u", 0)[1] == 40 * MIB
    name, msg = virtbus.error(pool, POOL, "StorageVolCreateXMLFrom", "ssu", vol_xml("c3", 1), "/no/such", 0)
    assert name == ERROR and "no storage vol with matching key '/no/such'" in msg
    name, msg = virtbus.error(pool, POOL, "StorageVolCreateXMLFrom", "ssu", vol_xml("copy2", 1),
                              "/default-pool/orig", 0)
    assert name == ERROR and "already exists" in msg
    name, msg = virtbus.error(pool, POOL, "StorageVolCreateXMLFrom", "ssu", vol_xml("c4", 1),
                              "/default-pool/orig", 1)
    assert name == ERROR and "unsupported flags" in msg


def test_volume_resize(virtbus):
    pool = default_pool(virtbus)
    vol = virtbus.call1(pool, POOL, "StorageVolCreateXML", "su", vol_xml("r", 10, 5), 0)

    def vinfo():
        return virtbus.call1(vol, VOL, "GetInfo", "u", 0)

    virtbus.call(vol, VOL, "Resize", "tu", 20 * MIB, 0)
    assert vinfo() == (0, 20 * MIB, 5 * MIB)
    name, msg = virtbus.error(vol, VOL, "Resize", "tu", 15 * MIB, 0)
    assert name == ERROR and "SHRINK" in msg
    virtbus.call(vol, VOL, "Resize", "tu", 15 * MIB, SHRINK)
    assert vinfo() == (0, 15 * MIB, 5 * MIB)
    name, msg = virtbus.error(vol, VOL, "Resize", "tu", 1 * MIB, SHRINK)
    assert name == ERROR and "below its allocation" in msg
    virtbus.call(vol, VOL, "Resize", "tu", 5 * MIB, DELTA)
    assert vinfo() == (0, 20 * MIB, 5 * MIB)
    virtbus.call(vol, VOL, "Resize", "tu", 2 * MIB, DELTA | SHRINK)
    assert vinfo() == (0, 18 * MIB, 5 * MIB)
    virtbus.call(vol, VOL, "Resize", "tu", 30 * MIB, ALLOCATE)
    assert vinfo() == (0, 30 * MIB, 30 * MIB)
    assert info(virtbus, pool)[2] == 30 * MIB
    name, msg = virtbus.error(vol, VOL, "Resize", "tu", 200 * GIB, ALLOCATE)
    assert name == ERROR and "not enough space" in msg
    # Sparse growth beyond the pool is allowed, as for a real sparse file.
    virtbus.call(vol, VOL, "Resize", "tu", 200 * GIB, 0)
    assert vinfo() == (0, 200 * GIB, 30 * MIB)
    name, msg = virtbus.error(vol, VOL, "Resize", "tu", 1, 8)
    assert name == ERROR and "unsupported flags" in msg


def test_volume_wipe_and_flags(virtbus):
    pool = default_pool(virtbus)
    vol = virtbus.call1(pool, POOL, "StorageVolCreateXML", "su", vol_xml("w", 1), 0)
    for pattern in range(10):
        virtbus.call(vol, VOL, "Wipe", "uu", pattern, 0)
    name, msg = virtbus.error(vol, VOL, "Wipe", "uu", 10, 0)
    assert name == ERROR and "algorithm 10" in msg
    name, msg = virtbus.error(vol, VOL, "Wipe", "uu", 0, 1)
    assert name == ERROR and "unsupported flags" in msg
    name, msg = virtbus.error(vol, VOL, "GetXMLDesc", "u", 1)
    assert name == ERROR and "unsupported flags" in msg
    name, msg = virtbus.error(vol, VOL, "GetInfo", "u", 2)
    assert name == ERROR and "unsupported flags" in msg
    name, msg = virtbus.error(vol, VOL, "Delete", "u", 2)
    assert name == ERROR and "unsupported flags" in msg
    assert vol in virtbus.managed_objects()


def test_volumes_leave_with_stopped_pool_and_return_on_start(virtbus):
    path = start_pool(virtbus, "keep")
    vol = virtbus.call1(path, POOL, "StorageVolCreateXML", "su", vol_xml("data", 10, 3), 0)
    virtbus.clear_signals()
    virtbus.call(path, POOL, "Destroy")
    virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == vol and VOL in s[3][1], interface=OM)
    assert vol not in virtbus.managed_objects()
    name, _ = virtbus.error(TEST_PATH, CONNECT, "StorageVolLookupByKey", "s", "/keep/data")
    assert name == ERROR

    virtbus.call(path, POOL, "Create", "u", 0)
    virtbus.wait_signal("InterfacesAdded", lambda s: s[3][0] == vol, interface=OM)
    assert virtbus.call1(path, POOL, "ListStorageVolumes", "u", 0) == [vol]
    assert info(virtbus, path)[2] == 3 * MIB

    # Delete on the stopped pool throws its volumes away.
    virtbus.call(path, POOL, "Destroy")
    virtbus.call(path, POOL, "Delete", "u", 0)
    virtbus.call(path, POOL, "Create", "u", 0)
    assert virtbus.call1(path, POOL, "ListStorageVolumes", "u", 0) == []
    assert info(virtbus, path)[2] == 0


def test_undefine_removes_pool_after_its_volumes(virtbus):
    path = start_pool(virtbus, "gone")
    vol = virtbus.call1(path, POOL, "StorageVolCreateXML", "su", vol_xml("x", 1), 0)
    virtbus.call(path, POOL, "Destroy")
    virtbus.clear_signals()
    virtbus.call(path, POOL, "Undefine")
    pool_event(virtbus, path, UNDEFINED)
    objs = virtbus.managed_objects()
    assert path not in objs and vol not in objs


# ---- FindStoragePoolSources ----

def test_find_pool_sources_logical(virtbus):
    xml = virtbus.connect_call("FindStoragePoolSources", "ssu", "logical", "", 0)
    root = ET.fromstring(xml)
    assert root.tag == "sources"
    found = [(s.find("device").get("path"), s.findtext("name"), s.find("format").get("type"))
             for s in root.findall("source")]
    assert found == [("/dev/sda20", "testvg1", "lvm2"), ("/dev/sda21", "testvg2", "lvm2")]


def test_find_pool_sources_netfs(virtbus):
    xml = virtbus.connect_call("FindStoragePoolSources", "ssu", "netfs", "<source><host name='nas'/></source>", 0)
    sources = ET.fromstring(xml).findall("source")
    assert len(sources) == 1
    assert sources[0].find("host").get("name") == "nas"
    assert sources[0].find("dir").get("path") == "/testshare"
    assert sources[0].find("format").get("type") == "nfs"
    name, msg = virtbus.error(TEST_PATH, CONNECT, "FindStoragePoolSources", "ssu", "netfs", "", 0)
    assert name == ERROR and "hostname must be specified" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "FindStoragePoolSources", "ssu", "netfs", "<source", 0)
    assert name == ERROR and msg


def test_find_pool_sources_errors(virtbus):
    name, msg = virtbus.error(TEST_PATH, CONNECT, "FindStoragePoolSources", "ssu", "dir", "", 0)
    assert name == ERROR and "'dir'" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "FindStoragePoolSources", "ssu", "floppy", "", 0)
    assert name == ERROR and "unknown storage pool type 'floppy'" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "FindStoragePoolSources", "ssu", "logical", "", 1)
    assert name == ERROR and "unsupported flags" in msg
