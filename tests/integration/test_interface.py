"""Host interfaces: org.libvirt.Interface and the interface methods of
org.libvirt.Connect, against the test backend's test:///default objects."""
from gi.repository import GLib

from conftest import TEST_PATH

IFACE = "org.libvirt.Interface"
CONNECT = "org.libvirt.Connect"
LIBVIRT_ERROR = "org.libvirt.Error"

ETH1_MAC = "aa:bb:cc:dd:ee:ff"

ETH2_XML = """<interface type='ethernet' name='eth2'>
  <start mode='onboot'/>
  <mac address='aa:bb:cc:dd:ee:00'/>
</interface>"""


def enc(s):
    return "".join(c if c.isascii() and c.isalnum() else "_%02x" % ord(c) for c in s)


def iface_path(mac):
    return TEST_PATH + "/interface/" + enc(mac)


ETH1 = iface_path(ETH1_MAC)
ETH2 = iface_path("aa:bb:cc:dd:ee:00")


def interface_paths(virtbus):
    # The test connection's (the daemon may also run qemu://, which shows the host's).
    return sorted(p for p, ifaces in virtbus.managed_objects().items()
                  if IFACE in ifaces and p.startswith(TEST_PATH + "/"))


def test_initial_interface_is_eth1(virtbus):
    assert interface_paths(virtbus) == [ETH1]
    props = virtbus.properties(ETH1, IFACE)
    assert props == {"Active": True, "MAC": ETH1_MAC, "Name": "eth1"}
    objs = virtbus.managed_objects()
    assert objs[ETH1][IFACE]["Name"] == "eth1"


def test_list_interfaces_flags(virtbus):
    assert virtbus.connect_call("ListInterfaces", "u", 0) == [ETH1]
    assert virtbus.connect_call("ListInterfaces", "u", 2) == [ETH1]   # ACTIVE
    assert virtbus.connect_call("ListInterfaces", "u", 1) == []       # INACTIVE
    assert virtbus.connect_call("ListInterfaces", "u", 3) == [ETH1]
    name, msg = virtbus.error(TEST_PATH, CONNECT, "ListInterfaces", "u", 4)
    assert name == LIBVIRT_ERROR
    assert "flags" in msg


def test_lookups(virtbus):
    assert virtbus.connect_call("InterfaceLookupByName", "s", "eth1") == ETH1
    assert virtbus.connect_call("InterfaceLookupByMAC", "s", ETH1_MAC) == ETH1
    assert virtbus.connect_call("InterfaceLookupByMAC", "s", ETH1_MAC.upper()) == ETH1
    name, msg = virtbus.error(TEST_PATH, CONNECT, "InterfaceLookupByName", "s", "nope")
    assert name == LIBVIRT_ERROR
    assert msg == "Interface not found: no interface with matching name 'nope'"
    name, msg = virtbus.error(TEST_PATH, CONNECT, "InterfaceLookupByMAC", "s", "00:00:00:00:00:00")
    assert name == LIBVIRT_ERROR
    assert msg == "Interface not found: no interface with matching mac '00:00:00:00:00:00'"


def test_get_xml_desc(virtbus):
    xml = virtbus.call1(ETH1, IFACE, "GetXMLDesc", "u", 0)
    assert xml.startswith("<interface type='ethernet' name='eth1'>")
    for part in ("<start mode='onboot'/>", "<mtu size='1492'/>", "<ip address='192.168.0.5' prefix='24'/>",
                 "<route gateway='192.168.0.1'/>", "<mac address='aa:bb:cc:dd:ee:ff'/>"):
        assert part in xml
    # libvirt's test driver accepts no flags here
    name, msg = virtbus.error(ETH1, IFACE, "GetXMLDesc", "u", 1)
    assert name == LIBVIRT_ERROR
    assert "flags" in msg


def test_destroy_and_create(virtbus):
    virtbus.clear_signals()
    virtbus.call(ETH1, IFACE, "Destroy", "u", 0)
    sig = virtbus.wait_signal("PropertiesChanged", lambda s: s[0] == ETH1)
    assert sig[3][0] == IFACE and sig[3][1]["Active"] is False
    assert virtbus.get_property(ETH1, IFACE, "Active") is False
    assert virtbus.connect_call("ListInterfaces", "u", 1) == [ETH1]
    name, msg = virtbus.error(ETH1, IFACE, "Destroy", "u", 0)
    assert name == LIBVIRT_ERROR and "not active" in msg

    virtbus.call(ETH1, IFACE, "Create", "u", 0)
    sig = virtbus.wait_signal("PropertiesChanged", lambda s: s[0] == ETH1)
    assert sig[3][1]["Active"] is True
    name, msg = virtbus.error(ETH1, IFACE, "Create", "u", 0)
    assert name == LIBVIRT_ERROR and "already active" in msg
    name, msg = virtbus.error(ETH1, IFACE, "Create", "u", 8)
    assert name == LIBVIRT_ERROR and "flags" in msg
    name, msg = virtbus.error(ETH1, IFACE, "Destroy", "u", 8)
    assert name == LIBVIRT_ERROR and "flags" in msg


def test_define_start_undefine(virtbus):
    virtbus.clear_signals()
    path = virtbus.connect_call("InterfaceDefineXML", "su", ETH2_XML, 0)
    assert path == ETH2
    sig = virtbus.wait_signal("InterfacesAdded", lambda s: s[3][0] == ETH2)
    assert sig[3][1][IFACE] == {"Active": False, "MAC": "aa:bb:cc:dd:ee:00", "Name": "eth2"}
    assert interface_paths(virtbus) == sorted([ETH1, ETH2])
    assert virtbus.connect_call("ListInterfaces", "u", 1) == [ETH2]
    assert virtbus.connect_call("InterfaceLookupByName", "s", "eth2") == ETH2
    assert "<mac address='aa:bb:cc:dd:ee:00'/>" in virtbus.call1(ETH2, IFACE, "GetXMLDesc", "u", 0)

    # redefining the same name and MAC updates in place
    path = virtbus.connect_call("InterfaceDefineXML", "su", ETH2_XML.replace("onboot", "hotplug"), 0)
    assert path == ETH2
    assert "<start mode='hotplug'/>" in virtbus.call1(ETH2, IFACE, "GetXMLDesc", "u", 0)

    virtbus.call(ETH2, IFACE, "Create", "u", 0)
    assert virtbus.get_property(ETH2, IFACE, "Active") is True

    virtbus.clear_signals()
    virtbus.call(ETH2, IFACE, "Undefine")
    virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == ETH2)
    assert interface_paths(virtbus) == [ETH1]
    name, _ = virtbus.error(ETH2, IFACE, "GetXMLDesc", "u", 0)
    assert name == "org.freedesktop.DBus.Error.UnknownMethod"
    name, msg = virtbus.error(TEST_PATH, CONNECT, "InterfaceLookupByName", "s", "eth2")
    assert name == LIBVIRT_ERROR and "no interface with matching name 'eth2'" in msg


def test_undefine_active_interface(virtbus):
    # libvirt's test driver removes a running interface too
    virtbus.call(ETH1, IFACE, "Undefine")
    assert interface_paths(virtbus) == []
    assert virtbus.connect_call("ListInterfaces", "u", 0) == []


def test_define_changing_mac_moves_object(virtbus):
    new_xml = "<interface type='ethernet' name='eth1'><mac address='52:54:00:00:00:01'/></interface>"
    path = virtbus.connect_call("InterfaceDefineXML", "su", new_xml, 0)
    assert path == iface_path("52:54:00:00:00:01")
    assert interface_paths(virtbus) == [path]
    # the running state carries over
    assert virtbus.get_property(path, IFACE, "Active") is True


def test_define_errors(virtbus):
    name, msg = virtbus.error(TEST_PATH, CONNECT, "InterfaceDefineXML", "su", "<interface", 0)
    assert name == LIBVIRT_ERROR and msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "InterfaceDefineXML", "su", "<network/>", 0)
    assert name == LIBVIRT_ERROR and msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "InterfaceDefineXML", "su", ETH2_XML, 1)
    assert name == LIBVIRT_ERROR and "flags" in msg
    # another interface already has eth1's MAC
    dup = "<interface type='ethernet' name='eth9'><mac address='aa:bb:cc:dd:ee:ff'/></interface>"
    name, msg = virtbus.error(TEST_PATH, CONNECT, "InterfaceDefineXML", "su", dup, 0)
    assert name == LIBVIRT_ERROR and "eth1" in msg
    assert interface_paths(virtbus) == [ETH1]


def test_bridge_without_mac(virtbus):
    xml = """<interface type='bridge' name='br0'>
  <start mode='onboot'/>
  <bridge stp='off'>
    <interface type='ethernet' name='eth5'>
      <mac address='52:54:00:00:00:05'/>
    </interface>
  </bridge>
</interface>"""
    path = virtbus.connect_call("InterfaceDefineXML", "su", xml, 0)
    # an interface without a MAC of its own is keyed by its name
    assert path == iface_path("br0")
    assert virtbus.properties(path, IFACE) == {"Active": False, "MAC": "", "Name": "br0"}
    assert "<bridge stp='off'>" in virtbus.call1(path, IFACE, "GetXMLDesc", "u", 0)


def test_change_transaction_errors(virtbus):
    name, msg = virtbus.error(TEST_PATH, CONNECT, "InterfaceChangeCommit", "u", 0)
    assert name == LIBVIRT_ERROR and "no transaction running" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "InterfaceChangeRollback", "u", 0)
    assert name == LIBVIRT_ERROR and "no transaction running" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "InterfaceChangeBegin", "u", 1)
    assert name == LIBVIRT_ERROR and "flags" in msg
    virtbus.call(TEST_PATH, CONNECT, "InterfaceChangeBegin", "u", 0)
    name, msg = virtbus.error(TEST_PATH, CONNECT, "InterfaceChangeBegin", "u", 0)
    assert name == LIBVIRT_ERROR and "another transaction" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "InterfaceChangeCommit", "u", 1)
    assert name == LIBVIRT_ERROR and "flags" in msg
    virtbus.call(TEST_PATH, CONNECT, "InterfaceChangeCommit", "u", 0)
    name, msg = virtbus.error(TEST_PATH, CONNECT, "InterfaceChangeCommit", "u", 0)
    assert name == LIBVIRT_ERROR and "nothing to be committed" in msg


def test_change_commit_keeps_changes(virtbus):
    virtbus.call(TEST_PATH, CONNECT, "InterfaceChangeBegin", "u", 0)
    virtbus.connect_call("InterfaceDefineXML", "su", ETH2_XML, 0)
    virtbus.call(TEST_PATH, CONNECT, "InterfaceChangeCommit", "u", 0)
    assert interface_paths(virtbus) == sorted([ETH1, ETH2])
    assert virtbus.get_property(ETH1, IFACE, "Active") is True
    # a commit closes the transaction
    name, msg = virtbus.error(TEST_PATH, CONNECT, "InterfaceChangeRollback", "u", 0)
    assert name == LIBVIRT_ERROR and "nothing to rollback" in msg


def test_change_rollback_restores(virtbus):
    virtbus.call(TEST_PATH, CONNECT, "InterfaceChangeBegin", "u", 0)
    virtbus.connect_call("InterfaceDefineXML", "su", ETH2_XML, 0)
    virtbus.call(ETH1, IFACE, "Undefine")
    assert interface_paths(virtbus) == [ETH2]
    virtbus.clear_signals()
    virtbus.call(TEST_PATH, CONNECT, "InterfaceChangeRollback", "u", 0)
    virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == ETH2)
    virtbus.wait_signal("InterfacesAdded", lambda s: s[3][0] == ETH1)
    assert interface_paths(virtbus) == [ETH1]
    # like libvirt's test driver, restored interfaces are down
    assert virtbus.properties(ETH1, IFACE) == {"Active": False, "MAC": ETH1_MAC, "Name": "eth1"}
    assert "<mtu size='1492'/>" in virtbus.call1(ETH1, IFACE, "GetXMLDesc", "u", 0)
    name, msg = virtbus.error(TEST_PATH, CONNECT, "InterfaceChangeRollback", "u", 0)
    assert name == LIBVIRT_ERROR and "nothing to rollback" in msg


def test_change_rollback_updates_kept_interface_in_place(virtbus):
    virtbus.call(TEST_PATH, CONNECT, "InterfaceChangeBegin", "u", 0)
    changed = "<interface type='ethernet' name='eth1'><mtu size='9000'/><mac address='aa:bb:cc:dd:ee:ff'/></interface>"
    virtbus.connect_call("InterfaceDefineXML", "su", changed, 0)
    assert "9000" in virtbus.call1(ETH1, IFACE, "GetXMLDesc", "u", 0)
    virtbus.clear_signals()
    virtbus.call(TEST_PATH, CONNECT, "InterfaceChangeRollback", "u", 0)
    sig = virtbus.wait_signal("PropertiesChanged", lambda s: s[0] == ETH1)
    assert sig[3][1]["Active"] is False
    virtbus.pump(0.1)
    assert not [s for s in virtbus.signals if s[2] in ("InterfacesAdded", "InterfacesRemoved")]
    xml = virtbus.call1(ETH1, IFACE, "GetXMLDesc", "u", 0)
    assert "<mtu size='1492'/>" in xml and "9000" not in xml
