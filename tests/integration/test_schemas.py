"""Everything the daemon emits as XML validates against libvirt's RelaxNG
schemas (Debian's libvirt0 package, a test-only dependency), and a live
GDBusObjectManagerClient follows objects as they appear and vanish."""
import os
import subprocess
import tempfile

import pytest
from gi.repository import Gio, GLib

from conftest import BUS_NAME, TEST_PATH

SCHEMAS = os.environ.get("VB_SCHEMA_DIR", "/usr/share/libvirt/schemas")


def validate(xml, schema):
    path = os.path.join(SCHEMAS, schema)
    if not os.path.exists(path):
        pytest.skip("libvirt's RelaxNG schemas are missing: install Debian's libvirt0")
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(xml)
    try:
        r = subprocess.run(["xmllint", "--noout", "--relaxng", path, f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    assert r.returncode == 0, "%s does not validate:\n%s\n%s" % (schema, r.stderr, xml)


LIST_METHODS = [
    ("ListDomains", "org.libvirt.Domain", "domain.rng"),
    ("ListNetworks", "org.libvirt.Network", "network.rng"),
    ("ListStoragePools", "org.libvirt.StoragePool", "storagepool.rng"),
    ("ListInterfaces", "org.libvirt.Interface", "interface.rng"),
    ("ListNodeDevices", "org.libvirt.NodeDevice", "nodedev.rng"),
    ("ListSecrets", "org.libvirt.Secret", "secret.rng"),
    ("ListNWFilters", "org.libvirt.NWFilter", "nwfilter.rng"),
]


def populate(vb):
    """Adds one object of each kind the test backend starts without."""
    pool = vb.connect_call("StoragePoolLookupByName", "s", "default-pool")
    vb.call1(pool, "org.libvirt.StoragePool", "StorageVolCreateXML", "su",
             "<volume><name>v.img</name><capacity unit='MiB'>10</capacity>"
             "<target><format type='qcow2'/></target></volume>", 0)
    vb.connect_call("SecretDefineXML", "su",
                    "<secret ephemeral='no' private='no'><usage type='volume'><volume>/default-pool/v.img"
                    "</volume></usage></secret>", 0)
    dom = vb.connect_call("DomainLookupByName", "s", "test")
    vb.call1(dom, "org.libvirt.Domain", "SnapshotCreateXML", "su",
             "<domainsnapshot><name>s1</name><description>first</description></domainsnapshot>", 0)
    return pool, dom


@pytest.mark.parametrize("flags", [0, 2])  # live and inactive descriptions
def test_every_object_xml_validates(virtbus, flags):
    pool, dom = populate(virtbus)
    seen = 0
    for method, iface, schema in LIST_METHODS:
        for path in virtbus.connect_call(method, "u", 0):
            # Each kind's own INACTIVE flag value (the test driver has none
            # for host interfaces).
            inactive = {"org.libvirt.Domain": 2, "org.libvirt.Network": 1, "org.libvirt.StoragePool": 1}.get(iface, 0)
            f = inactive if flags else 0
            xml = virtbus.call1(path, iface, "GetXMLDesc", "u", f)
            validate(xml, schema)
            seen += 1
    for vol in virtbus.call1(pool, "org.libvirt.StoragePool", "ListStorageVolumes", "u", 0):
        validate(virtbus.call1(vol, "org.libvirt.StorageVol", "GetXMLDesc", "u", 0), "storagevol.rng")
        seen += 1
    for snap in virtbus.call1(dom, "org.libvirt.Domain", "ListDomainSnapshots", "u", 0):
        validate(virtbus.call1(snap, "org.libvirt.DomainSnapshot", "GetXMLDesc", "u", 0), "domainsnapshot.rng")
        seen += 1
    assert seen >= 12


def test_capabilities_validate(virtbus):
    validate(virtbus.connect_call("GetCapabilities"), "capability.rng")


def test_object_manager_client_follows_changes(virtbus):
    """A GDBusObjectManagerClient sees objects appear and vanish, live."""
    manager = Gio.DBusObjectManagerClient.new_sync(
        virtbus.connection, Gio.DBusObjectManagerClientFlags.NONE, BUS_NAME, "/org/libvirt", None, None, None)
    paths = {o.get_object_path() for o in manager.get_objects()}
    dom = virtbus.connect_call("DomainLookupByName", "s", "test")
    assert {TEST_PATH, dom} <= paths
    kinds = {i.get_interface_name() for o in manager.get_objects() for i in o.get_interfaces()}
    assert {"org.libvirt.Connect", "org.libvirt.Domain", "org.libvirt.Network", "org.libvirt.StoragePool",
            "org.libvirt.Interface", "org.libvirt.NodeDevice", "org.libvirt.NWFilter"} <= kinds

    added, removed = [], []
    manager.connect("object-added", lambda m, o: added.append(o.get_object_path()))
    manager.connect("object-removed", lambda m, o: removed.append(o.get_object_path()))
    new = virtbus.connect_call("DomainDefineXML", "s",
                               "<domain type='test'><name>om</name><memory>1024</memory>"
                               "<os><type>hvm</type></os></domain>")
    virtbus.pump(0.3)
    assert new in added
    proxy = manager.get_interface(new, "org.libvirt.Domain")
    assert proxy.get_cached_property("Name").unpack() == "om"
    assert proxy.get_cached_property("Active").unpack() is False

    changed = []
    proxy.connect("g-properties-changed", lambda p, c, i: changed.append(c.unpack()))
    virtbus.call(new, "org.libvirt.Domain", "Create", "u", 0)
    virtbus.pump(0.3)
    assert proxy.get_cached_property("Active").unpack() is True
    assert any(c.get("Active") is True for c in changed)

    virtbus.call(new, "org.libvirt.Domain", "Destroy", "u", 0)
    virtbus.call(new, "org.libvirt.Domain", "Undefine", "u", 0)
    virtbus.pump(0.3)
    assert new in removed
    assert manager.get_object(new) is None
