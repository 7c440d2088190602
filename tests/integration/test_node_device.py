"""Node devices: org.libvirt.NodeDevice and the node device methods of
org.libvirt.Connect, against the test backend's test:///default devices."""
from conftest import TEST_PATH

NODEDEV = "org.libvirt.NodeDevice"
CONNECT = "org.libvirt.Connect"
LIBVIRT_ERROR = "org.libvirt.Error"

# virNodeDeviceEventLifecycleType
CREATED, DELETED = 0, 1

# virConnectListAllNodeDeviceFlags
CAP_SYSTEM = 1
CAP_PCI_DEV = 2
CAP_NET = 16
CAP_SCSI_HOST = 32
CAP_FC_HOST = 512
CAP_VPORTS = 1024
PERSISTENT = 1 << 28
INACTIVE = 1 << 29
ACTIVE = 1 << 30


def enc(s):
    return "".join(c if c.isascii() and c.isalnum() else "_%02x" % ord(c) for c in s)


def dev_path(name):
    return TEST_PATH + "/nodedev/" + enc(name)


COMPUTER = dev_path("computer")
HOST1 = dev_path("scsi_host1")
HOST2 = dev_path("scsi_host2")
HOST11 = dev_path("scsi_host11")
HOST12 = dev_path("scsi_host12")
ALL = sorted([COMPUTER, HOST1, HOST2, HOST11])

VHBA_XML = """<device>
  <parent>%s</parent>
  <capability type='scsi_host'>
    <capability type='fc_host'>
      <wwnn>2000000012345678</wwnn>
      <wwpn>1000000012345678</wwpn>
    </capability>
  </capability>
</device>"""


def nodedev_paths(virtbus):
    # The test connection's (the daemon may also run qemu://, which shows the host's).
    return sorted(p for p, ifaces in virtbus.managed_objects().items()
                  if NODEDEV in ifaces and p.startswith(TEST_PATH + "/"))


def test_initial_devices(virtbus):
    assert nodedev_paths(virtbus) == ALL
    assert virtbus.properties(COMPUTER, NODEDEV) == {"Name": "computer", "Parent": ""}
    assert virtbus.properties(HOST1, NODEDEV) == {"Name": "scsi_host1", "Parent": "computer"}
    assert virtbus.properties(HOST2, NODEDEV) == {"Name": "scsi_host2", "Parent": "computer"}
    assert virtbus.properties(HOST11, NODEDEV) == {"Name": "scsi_host11", "Parent": "scsi_host1"}


def test_get_xml_desc(virtbus):
    xml = virtbus.call1(COMPUTER, NODEDEV, "GetXMLDesc", "u", 0)
    assert "<name>computer</name>" in xml
    assert "<capability type='system'>" in xml
    assert "<serial>123456</serial>" in xml
    assert "<uuid>11111111-2222-3333-4444-555555555555</uuid>" in xml
    assert "<release_date>01/22/2007</release_date>" in xml
    xml = virtbus.call1(HOST11, NODEDEV, "GetXMLDesc", "u", 0)
    for part in ("<name>scsi_host11</name>", "<parent>scsi_host1</parent>", "<host>11</host>",
                 "<unique_id>10</unique_id>", "<wwnn>2000000034563456</wwnn>", "<wwpn>1000000034563456</wwpn>",
                 "<fabric_wwn>2000000043214321</fabric_wwn>"):
        assert part in xml, part
    assert "vport_ops" not in xml
    assert "<max_vports>0</max_vports>" in virtbus.call1(HOST1, NODEDEV, "GetXMLDesc", "u", 0)
    name, msg = virtbus.error(HOST1, NODEDEV, "GetXMLDesc", "u", 1)
    assert name == LIBVIRT_ERROR and "flags" in msg


def test_list_caps(virtbus):
    assert virtbus.call1(COMPUTER, NODEDEV, "ListCaps") == ["system"]
    assert virtbus.call1(HOST1, NODEDEV, "ListCaps") == ["scsi_host", "fc_host", "vports"]
    assert virtbus.call1(HOST11, NODEDEV, "ListCaps") == ["scsi_host", "fc_host"]


def test_list_node_devices_filters(virtbus):
    assert sorted(virtbus.connect_call("ListNodeDevices", "u", 0)) == ALL
    assert virtbus.connect_call("ListNodeDevices", "u", CAP_SYSTEM) == [COMPUTER]
    assert sorted(virtbus.connect_call("ListNodeDevices", "u", CAP_SCSI_HOST)) == sorted([HOST1, HOST2, HOST11])
    assert sorted(virtbus.connect_call("ListNodeDevices", "u", CAP_FC_HOST)) == sorted([HOST1, HOST2, HOST11])
    assert sorted(virtbus.connect_call("ListNodeDevices", "u", CAP_VPORTS)) == sorted([HOST1, HOST2])
    assert sorted(virtbus.connect_call("ListNodeDevices", "u", CAP_SYSTEM | CAP_VPORTS)) == \
        sorted([COMPUTER, HOST1, HOST2])
    assert virtbus.connect_call("ListNodeDevices", "u", CAP_PCI_DEV | CAP_NET) == []
    assert sorted(virtbus.connect_call("ListNodeDevices", "u", ACTIVE)) == ALL
    assert virtbus.connect_call("ListNodeDevices", "u", INACTIVE) == []
    assert virtbus.connect_call("ListNodeDevices", "u", PERSISTENT) == []
    assert virtbus.connect_call("ListNodeDevices", "u", ACTIVE | CAP_SYSTEM) == [COMPUTER]
    name, msg = virtbus.error(TEST_PATH, CONNECT, "ListNodeDevices", "u", 1 << 31)
    assert name == LIBVIRT_ERROR and "flags" in msg


def test_lookups(virtbus):
    assert virtbus.connect_call("NodeDeviceLookupByName", "s", "scsi_host2") == HOST2
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeDeviceLookupByName", "s", "nope")
    assert name == LIBVIRT_ERROR
    assert msg == "Node device not found: no node device with matching name 'nope'"
    assert virtbus.connect_call("NodeDeviceLookupSCSIHostByWWN", "ssu",
                                "2000000056785678", "1000000056785678", 0) == HOST2
    assert virtbus.connect_call("NodeDeviceLookupSCSIHostByWWN", "ssu",
                                "2000000034563456", "1000000034563456", 0) == HOST11
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeDeviceLookupSCSIHostByWWN", "ssu",
                              "2000000056785678", "1000000012341234", 0)
    assert name == LIBVIRT_ERROR and msg.startswith("Node device not found")
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeDeviceLookupSCSIHostByWWN", "ssu",
                              "2000000056785678", "1000000056785678", 1)
    assert name == LIBVIRT_ERROR and "flags" in msg


def test_create_vhba_and_destroy(virtbus):
    virtbus.clear_signals()
    path = virtbus.connect_call("NodeDeviceCreateXML", "su", VHBA_XML % "scsi_host1", 0)
    assert path == HOST12
    sig = virtbus.wait_signal("InterfacesAdded", lambda s: s[3][0] == HOST12)
    assert sig[3][1][NODEDEV] == {"Name": "scsi_host12", "Parent": "scsi_host1"}
    sig = virtbus.wait_signal("NodeDeviceEvent")
    assert sig[0] == TEST_PATH and sig[3] == (HOST12, CREATED, 0)

    xml = virtbus.call1(HOST12, NODEDEV, "GetXMLDesc", "u", 0)
    for part in ("<name>scsi_host12</name>", "<parent>scsi_host1</parent>", "<host>12</host>",
                 "<wwnn>2000000012345678</wwnn>", "<wwpn>1000000012345678</wwpn>",
                 "<fabric_wwn>2000000043214321</fabric_wwn>"):
        assert part in xml, part
    assert virtbus.call1(HOST12, NODEDEV, "ListCaps") == ["scsi_host", "fc_host"]
    assert virtbus.connect_call("NodeDeviceLookupSCSIHostByWWN", "ssu",
                                "2000000012345678", "1000000012345678", 0) == HOST12
    assert HOST12 in virtbus.connect_call("ListNodeDevices", "u", CAP_FC_HOST)

    # the same WWNs again
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeDeviceCreateXML", "su", VHBA_XML % "scsi_host2", 0)
    assert name == LIBVIRT_ERROR and "scsi_host12" in msg

    virtbus.clear_signals()
    virtbus.call(HOST12, NODEDEV, "Destroy")
    sig = virtbus.wait_signal("NodeDeviceEvent")
    assert sig[3] == (HOST12, DELETED, 0)
    virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == HOST12)
    assert nodedev_paths(virtbus) == ALL
    name, _ = virtbus.error(HOST12, NODEDEV, "GetXMLDesc", "u", 0)
    assert name == "org.freedesktop.DBus.Error.UnknownMethod"


def test_create_vhba_without_parent_picks_vport_host(virtbus):
    xml = """<device><capability type='scsi_host'><capability type='fc_host'>
      <wwnn>2000000099999999</wwnn><wwpn>1000000099999999</wwpn>
    </capability></capability></device>"""
    path = virtbus.connect_call("NodeDeviceCreateXML", "su", xml, 1)  # VALIDATE
    assert virtbus.get_property(path, NODEDEV, "Parent") in ("scsi_host1", "scsi_host2")


def test_create_vhba_parent_by_fabric(virtbus):
    xml = """<device><parent fabric_wwn='2000000087658765'/>
      <capability type='scsi_host'><capability type='fc_host'>
      <wwnn>2000000099999999</wwnn><wwpn>1000000099999999</wwpn>
    </capability></capability></device>"""
    path = virtbus.connect_call("NodeDeviceCreateXML", "su", xml, 0)
    assert virtbus.get_property(path, NODEDEV, "Parent") == "scsi_host2"
    assert "<fabric_wwn>2000000087658765</fabric_wwn>" in virtbus.call1(path, NODEDEV, "GetXMLDesc", "u", 0)


def test_create_errors(virtbus):
    virtbus.clear_signals()
    # parent without vport_ops
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeDeviceCreateXML", "su", VHBA_XML % "scsi_host11", 0)
    assert name == LIBVIRT_ERROR and "scsi_host11" in msg and "vport" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeDeviceCreateXML", "su", VHBA_XML % "nope", 0)
    assert name == LIBVIRT_ERROR and "nope" in msg
    # no WWNs
    xml = "<device><parent>scsi_host1</parent><capability type='scsi_host'>" \
          "<capability type='fc_host'/></capability></device>"
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeDeviceCreateXML", "su", xml, 0)
    assert name == LIBVIRT_ERROR and "WWNN" in msg
    # not a vHBA
    xml = "<device><parent>scsi_host1</parent><capability type='scsi_host'><host>5</host></capability></device>"
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeDeviceCreateXML", "su", xml, 0)
    assert name == LIBVIRT_ERROR and "vHBA" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeDeviceCreateXML", "su", "<device", 0)
    assert name == LIBVIRT_ERROR and msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeDeviceCreateXML", "su", VHBA_XML % "scsi_host1", 2)
    assert name == LIBVIRT_ERROR and "flags" in msg
    assert nodedev_paths(virtbus) == ALL
    virtbus.pump(0.1)
    assert not [s for s in virtbus.signals if s[2] == "NodeDeviceEvent"]


def test_detach_reattach_reset_need_pci(virtbus):
    for method, sig, args in (("Detach", "su", ("", 0)), ("Detach", "su", ("vfio", 0)),
                              ("ReAttach", "", ()), ("Reset", "", ())):
        name, msg = virtbus.error(HOST1, NODEDEV, method, sig, *args)
        assert name == LIBVIRT_ERROR, method
        assert msg == "device scsi_host1 is not a PCI device", (method, msg)
    name, msg = virtbus.error(HOST1, NODEDEV, "Detach", "su", "", 4)
    assert name == LIBVIRT_ERROR and "flags" in msg


def test_destroy_plain_device(virtbus):
    # libvirt's test driver lets any device be destroyed
    virtbus.clear_signals()
    virtbus.call(HOST11, NODEDEV, "Destroy")
    sig = virtbus.wait_signal("NodeDeviceEvent")
    assert sig[3] == (HOST11, DELETED, 0)
    assert nodedev_paths(virtbus) == sorted([COMPUTER, HOST1, HOST2])
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeDeviceLookupByName", "s", "scsi_host11")
    assert name == LIBVIRT_ERROR and "scsi_host11" in msg
