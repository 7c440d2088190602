"""The host's devices and network interfaces on qemu://: org.libvirt.NodeDevice
from sysfs (and kernel uevents), org.libvirt.Interface from rtnetlink. The
daemon runs in a network namespace of the test's own, so the interfaces it
sees, and those the test adds, removes, starts and stops, are the test's."""
import json
import os
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from test_qemu_network import network  # noqa: F401 (the fixture)
from test_schemas import validate
from test_virtbusctl import run as virtbusctl

QEMU_PATH = "/org/libvirt/QEMU"
CONNECT = "org.libvirt.Connect"
NODEDEV = "org.libvirt.NodeDevice"
IFACE = "org.libvirt.Interface"
ERROR = "org.libvirt.Error"
# virConnectListAllNodeDeviceFlags / virNodeDeviceEventLifecycleType
CAP_PCI_DEV, CAP_NET = 1 << 1, 1 << 4
DEV_CREATED, DEV_DELETED = 0, 1
# virConnectListAllInterfacesFlags
IF_INACTIVE, IF_ACTIVE = 1, 2


def devices(n, flags=0):
    """name → (path, XML) of every node device listed with @flags."""
    found = {}
    for path in n.connect("ListNodeDevices", "u", flags):
        name = n.vb.get_property(path, NODEDEV, "Name")
        found[name] = (path, n.vb.call1(path, NODEDEV, "GetXMLDesc", "u", 0))
    return found


def interfaces(n, flags=0):
    found = {}
    for path in n.connect("ListInterfaces", "u", flags):
        found[n.vb.get_property(path, IFACE, "Name")] = path
    return found


def wait_for(predicate, what, n, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "%s; log:\n%s" % (what, n.vb.read_log())
        n.vb.pump(0.05)


def test_node_devices(network):
    n = network
    devs = devices(n)
    # The machine itself and every PCI function of the host.
    assert "computer" in devs
    pci = sorted(os.listdir("/sys/bus/pci/devices"))
    for address in pci:
        domain, bus, slot_fn = address.split(":")
        slot, fn = slot_fn.split(".")
        name = "pci_%s_%s_%s_%s" % (domain, bus, slot, fn)
        assert name in devs, (name, sorted(devs))
        root = ET.fromstring(devs[name][1])
        cap = root.find("capability[@type='pci']")
        assert int(cap.find("domain").text) == int(domain, 16)
        assert int(cap.find("bus").text) == int(bus, 16)
        assert int(cap.find("slot").text) == int(slot, 16)
        assert int(cap.find("function").text) == int(fn, 16)
        with open("/sys/bus/pci/devices/%s/vendor" % address) as f:
            assert int(cap.find("vendor").get("id"), 16) == int(f.read(), 16)
        assert root.find("path").text.startswith("/sys/devices/")
        path = devs[name][0]
        assert n.vb.call1(path, NODEDEV, "ListCaps", "") == ["pci"]
    for name, (path, xml) in devs.items():
        validate(xml, "nodedev.rng")
        root = ET.fromstring(xml)
        assert root.find("name").text == name
        parent = root.find("parent")
        if name == "computer":
            assert parent is None
        else:
            # Every parent is itself a listed device.
            assert parent is not None and parent.text in devs, (name, xml)
            assert n.vb.get_property(path, NODEDEV, "Parent") == parent.text
    # The capability filter, and lookups.
    assert sorted(devices(n, CAP_PCI_DEV)) == sorted(d for d in devs if d.startswith("pci_"))
    computer = n.connect("NodeDeviceLookupByName", "s", "computer")
    assert computer == devs["computer"][0]
    assert "no node device with matching name 'nope'" in n.error(QEMU_PATH, CONNECT, "NodeDeviceLookupByName", "s",
                                                                  "nope")
    # What cannot be done here fails clearly, and changes nothing.
    assert "not a PCI device" in n.error(computer, NODEDEV, "Reset", "")
    assert "not a PCI device" in n.error(computer, NODEDEV, "Detach", "su", "", 0)
    assert "neither a vHBA nor a mediated device" in n.error(computer, NODEDEV, "Destroy", "")
    if pci:
        first = devs["pci_" + pci[0].replace(":", "_").replace(".", "_")][0]
        assert "xen" in n.error(first, NODEDEV, "Detach", "su", "xen", 0)
    # A device a host driver runs is never reset from under it. Asked only
    # of devices that cannot be reset anyway (no reset attribute: this
    # machine's virtio devices), so that a regression fails this test
    # without resetting the host's disk or NIC.
    for address in pci:
        with open("/sys/bus/pci/devices/%s/uevent" % address) as f:
            if "DRIVER=" not in f.read() or os.path.exists("/sys/bus/pci/devices/%s/reset" % address):
                continue
        bound = devs["pci_" + address.replace(":", "_").replace(".", "_")][0]
        assert "detach it first" in n.error(bound, NODEDEV, "Reset", "")
        assert "not detached" in n.error(first, NODEDEV, "ReAttach", "") or \
            "vfio" in n.error(first, NODEDEV, "ReAttach", "")
    msg = n.error(QEMU_PATH, CONNECT, "NodeDeviceCreateXML", "su",
                  "<device><parent>computer</parent><capability type='scsi_host'><capability type='fc_host'>"
                  "<wwnn>2000000012341234</wwnn><wwpn>1000000012341234</wwpn></capability></capability>"
                  "</device>", 0)
    assert "vHBA" in msg or "fibre" in msg, msg
    assert sorted(devices(n)) == sorted(devs)

    # virtbusctl over the same calls.
    r = virtbusctl(n.vb, "-c", "qemu:///session", "nodedev-list")
    assert r.returncode == 0 and "computer" in r.stdout.split(), r
    r = virtbusctl(n.vb, "-c", "qemu:///session", "nodedev-dumpxml", "computer")
    assert r.returncode == 0 and "<capability type='system'>" in r.stdout, r
    for command in ("nodedev-detach", "nodedev-reattach", "nodedev-reset"):
        r = virtbusctl(n.vb, "-c", "qemu:///session", command, "computer")
        assert r.returncode == 1 and "not a PCI device" in r.stderr, r
    r = virtbusctl(n.vb, "-c", "qemu:///session", "nodedev-detach", "computer", "--driver", "xen")
    assert r.returncode == 1 and "not a PCI device" in r.stderr, r


def test_node_devices_follow_the_kernel(network):
    """A network device appears with NodeDeviceEvent CREATED when the kernel
    adds it and goes with DELETED; both in the daemon's namespace."""
    n = network
    before = devices(n, CAP_NET)
    assert any(name.startswith("net_lo_") for name in before), sorted(before)
    n.vb.clear_signals()
    n.sh("ip", "link", "add", "hp0", "address", "52:54:00:aa:bb:01", "type", "veth", "peer", "name", "hp1",
         "address", "52:54:00:aa:bb:02")
    name = "net_hp0_52_54_00_aa_bb_01"
    wait_for(lambda: name in devices(n, CAP_NET), "no node device for the new veth", n)
    path, xml = devices(n, CAP_NET)[name]
    validate(xml, "nodedev.rng")
    cap = ET.fromstring(xml).find("capability[@type='net']")
    assert cap.find("interface").text == "hp0" and cap.find("address").text == "52:54:00:aa:bb:01"
    wait_for(lambda: any(s[2] == "NodeDeviceEvent" and tuple(s[3]) == (path, DEV_CREATED, 0)
                         for s in n.vb.signals), "no CREATED event", n)
    n.sh("ip", "link", "del", "hp0")
    wait_for(lambda: name not in devices(n, CAP_NET), "the deleted veth's node device stayed", n)
    wait_for(lambda: any(s[2] == "NodeDeviceEvent" and tuple(s[3]) == (path, DEV_DELETED, 0)
                         for s in n.vb.signals), "no DELETED event", n)
    assert sorted(devices(n, CAP_NET)) == sorted(before)


def test_host_interfaces(network):
    n = network
    n.sh("ip", "link", "add", "hbr0", "type", "bridge")
    n.sh("ip", "link", "add", "port0", "address", "52:54:00:cc:dd:01", "type", "veth", "peer", "name", "port1",
         "address", "52:54:00:cc:dd:02")
    n.sh("ip", "link", "set", "port0", "master", "hbr0")
    n.sh("ip", "addr", "add", "192.168.170.1/24", "dev", "hbr0")
    n.sh("ip", "link", "set", "hbr0", "up")
    n.sh("ip", "link", "set", "port0", "up")
    wait_for(lambda: {"lo", "hbr0", "port0", "port1"} <= set(interfaces(n)), "interfaces missing", n)
    ifs = interfaces(n)
    assert set(interfaces(n, IF_ACTIVE)) >= {"lo", "hbr0", "port0"} and "port1" not in interfaces(n, IF_ACTIVE)
    assert "port1" in interfaces(n, IF_INACTIVE)
    for name, path in ifs.items():
        xml = n.vb.call1(path, IFACE, "GetXMLDesc", "u", 0)
        validate(xml, "interface.rng")
        assert ET.fromstring(xml).get("name") == name
    bridge = ET.fromstring(n.vb.call1(ifs["hbr0"], IFACE, "GetXMLDesc", "u", 0))
    assert bridge.get("type") == "bridge"
    assert [m.get("name") for m in bridge.findall("bridge/interface")] == ["port0"]
    ips = [(ip.get("address"), ip.get("prefix")) for ip in bridge.findall("protocol[@family='ipv4']/ip")]
    assert ips == [("192.168.170.1", "24")]
    port1 = ET.fromstring(n.vb.call1(ifs["port1"], IFACE, "GetXMLDesc", "u", 0))
    assert port1.get("type") == "ethernet" and port1.find("mac").get("address") == "52:54:00:cc:dd:02"
    assert n.connect("InterfaceLookupByMAC", "s", "52:54:00:cc:dd:02") == ifs["port1"]
    # A MAC two interfaces have names neither (as libvirt refuses it).
    n.sh("ip", "link", "add", "dup0", "address", "52:54:00:cc:dd:0e", "type", "veth", "peer", "name", "dup1",
         "address", "52:54:00:cc:dd:0e")
    wait_for(lambda: {"dup0", "dup1"} <= set(interfaces(n)), "the veth pair is missing", n)
    name, msg = n.vb.error(QEMU_PATH, CONNECT, "InterfaceLookupByMAC", "s", "52:54:00:CC:DD:0E")
    assert name == "org.libvirt.Error" and "matches 2 interfaces" in msg, msg
    n.sh("ip", "link", "set", "dup1", "address", "52:54:00:cc:dd:0f")
    wait_for(lambda: n.vb.get_property(interfaces(n)["dup1"], IFACE, "MAC") == "52:54:00:cc:dd:0f",
             "dup1's new MAC is not seen", n)
    assert n.connect("InterfaceLookupByMAC", "s", "52:54:00:cc:dd:0f") == interfaces(n)["dup1"]
    assert n.connect("InterfaceLookupByMAC", "s", "52:54:00:cc:dd:0e") == interfaces(n)["dup0"]
    n.sh("ip", "link", "del", "dup0")
    assert n.connect("InterfaceLookupByName", "s", "port1") == ifs["port1"]
    assert n.vb.get_property(ifs["port1"], IFACE, "Active") is False
    assert n.vb.get_property(ifs["port1"], IFACE, "MAC") == "52:54:00:cc:dd:02"

    # Create/Destroy bring the link up and down.
    n.vb.call(ifs["port1"], IFACE, "Create", "u", 0)
    assert n.vb.get_property(ifs["port1"], IFACE, "Active") is True
    assert "UP" in json.loads(n.sh("ip", "-j", "link", "show", "port1").stdout)[0]["flags"]
    assert "already active" in n.error(ifs["port1"], IFACE, "Create", "u", 0)
    n.vb.call(ifs["port1"], IFACE, "Destroy", "u", 0)
    assert n.vb.get_property(ifs["port1"], IFACE, "Active") is False
    assert "UP" not in json.loads(n.sh("ip", "-j", "link", "show", "port1").stdout)[0]["flags"]
    assert "not active" in n.error(ifs["port1"], IFACE, "Destroy", "u", 0)
    # Changes behind the daemon's back show.
    n.sh("ip", "link", "set", "port1", "up")
    wait_for(lambda: n.vb.get_property(ifs["port1"], IFACE, "Active") is True, "port1 up not seen", n)
    # The host's persistent configuration is not ours to write.
    for method, sig, args in (("InterfaceDefineXML", "su", ("<interface type='ethernet' name='x0'/>", 0)),
                              ("InterfaceChangeBegin", "u", (0,))):
        assert "not supported" in n.error(QEMU_PATH, CONNECT, method, sig, *args)
    assert "not supported" in n.error(ifs["port1"], IFACE, "Undefine", "")
    # A link that goes goes from the bus; a new one comes.
    n.sh("ip", "link", "del", "port0")
    wait_for(lambda: "port0" not in interfaces(n) and "port1" not in interfaces(n), "deleted veth still listed", n)
    n.sh("ip", "link", "add", "new0", "type", "veth", "peer", "name", "new1")
    wait_for(lambda: {"new0", "new1"} <= set(interfaces(n)), "new veth not listed", n)
    assert "no interface with matching name 'port0'" in n.error(QEMU_PATH, CONNECT, "InterfaceLookupByName", "s",
                                                               "port0")
    r = virtbusctl(n.vb, "-c", "qemu:///session", "iface-list", "--all")
    assert r.returncode == 0 and "hbr0" in r.stdout and "new1" in r.stdout, r
