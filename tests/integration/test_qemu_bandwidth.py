"""Quality of service on qemu://: <bandwidth> of guest NICs (their own or
their network portgroup's) and of networks, made with tc on the taps and
bridges (an IFB device per shaped ingress), changed live with
SetInterfaceParameters and UpdateDevice. tc itself and the time a guest's
transfer takes are the oracles. The daemon runs in a network namespace of
the test's own."""
import re
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from test_qemu_network import CONNECT, DOMAIN, ERROR, QEMU_PATH, _missing, net_xml, network  # noqa: F401

pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))

AFFECT_LIVE, AFFECT_CONFIG = 1, 2
PARAMS = ("inbound.average", "inbound.peak", "inbound.floor", "inbound.burst",
          "outbound.average", "outbound.peak", "outbound.burst")


def tc(n, *args):
    return n.sh("tc", *args, check=False).stdout


def htb_class(n, dev):
    """(rate, ceil, burst) of the HTB class 1:1 on @dev, as tc prints them, or None."""
    m = re.search(r"class htb 1:1 root .*?rate (\S+) ceil (\S+) burst (\S+)", tc(n, "class", "show", "dev", dev))
    return m.groups() if m else None


def sent_bytes(n, dev):
    m = re.search(r"class htb 1:1 .*?\n Sent (\d+) bytes", tc(n, "-s", "class", "show", "dev", dev), re.S)
    return int(m.group(1)) if m else None


def redirected_to(n, dev):
    """The device @dev's ingress is redirected to, or None."""
    m = re.search(r"Egress Redirect to device (\S+)\)", tc(n, "filter", "show", "dev", dev, "ingress"))
    return m.group(1) if m else None


def ifbs(n):
    return sorted(name for name, link in n.links().items() if link.get("linkinfo", {}).get("info_kind") == "ifb")


def shaped_nic(mac, network="shaped", portgroup=None, bandwidth=""):
    pg = f" portgroup='{portgroup}'" if portgroup else ""
    return (f"<interface type='network'><mac address='{mac}'/><source network='{network}'{pg}/>"
            f"<model type='virtio'/>{bandwidth}</interface>")


def params(q, path, dev, flags=0):
    got = dict(q.dom(path, "GetInterfaceParameters", "su", dev, flags)[0])
    assert tuple(got) == PARAMS
    return got


def test_shaping_refusals_and_networks(network):
    """What cannot be shaped is refused when defined, naming why; a
    network's own bandwidth shapes its bridge both ways (the way out
    through an IFB), and goes with it."""
    import guest

    n = network
    user = guest.domain_xml("u1", extra_devices="<interface type='user'><bandwidth><inbound average='10'/>"
                                                "</bandwidth></interface>")
    assert "user-mode networking has no host device" in n.error(QEMU_PATH, CONNECT, "DomainDefineXML", "s", user)
    bad = guest.domain_xml("u2", extra_devices=shaped_nic("52:54:00:aa:00:01",
                                                          bandwidth="<bandwidth><inbound peak='10'/></bandwidth>"))
    assert "'average' or 'floor' is required" in n.error(QEMU_PATH, CONNECT, "DomainDefineXML", "s", bad)
    bad = guest.domain_xml("u3", extra_devices=shaped_nic(
        "52:54:00:aa:00:01", bandwidth="<bandwidth><inbound average='100' peak='50'/></bandwidth>"))
    assert "'peak' (50) is below 'average' (100)" in n.error(QEMU_PATH, CONNECT, "DomainDefineXML", "s", bad)
    floor = guest.domain_xml("u4", extra_devices=shaped_nic(
        "52:54:00:aa:00:01", bandwidth="<bandwidth><inbound average='100' floor='50'/></bandwidth>"))
    assert "floor" in n.error(QEMU_PATH, CONNECT, "DomainDefineXML", "s", floor)
    assert n.vb.call1(QEMU_PATH, CONNECT, "ListDomains", "u", 0) == []
    # A network-wide <bandwidth> needs a bridge of the network's own.
    n.sh("ip", "link", "add", "hostbr0", "type", "bridge")
    msg = n.error(QEMU_PATH, CONNECT, "NetworkDefineXML", "s",
                  "<network><name>hb</name><forward mode='bridge'/><bridge name='hostbr0'/>"
                  "<bandwidth><inbound average='100'/></bandwidth></network>")
    assert "needs a bridge of the network's own" in msg
    assert "floor" in n.error(QEMU_PATH, CONNECT, "NetworkDefineXML", "s", net_xml(
        "fl", extra="<bandwidth><inbound average='100' floor='10'/></bandwidth>"))

    net = n.define(net_xml("shaped", ip="192.168.170.1", extra="<bandwidth><inbound average='5000' peak='10000' "
                           "burst='1024'/><outbound average='4000'/></bandwidth>"))
    n.net(net, "Create")
    bridge = n.xml(net).find("bridge").get("name")
    # To the guests: the bridge's egress; from them: its ingress, to an IFB.
    assert htb_class(n, bridge) == ("40Mbit", "80Mbit", "1024Kb")
    assert redirected_to(n, bridge) == "vb-" + bridge
    assert htb_class(n, "vb-" + bridge)[:2] == ("32Mbit", "32Mbit")
    assert ifbs(n) == ["vb-" + bridge]
    bw = n.xml(net).find("bandwidth")
    assert bw.find("inbound").attrib == {"average": "5000", "peak": "10000", "burst": "1024"}
    n.net(net, "Destroy")
    assert ifbs(n) == [] and bridge not in n.links()


@pytest.mark.skipif(__import__("guest").missing_requirements() is not None,
                    reason=str(__import__("guest").missing_requirements()))
def test_guest_traffic_is_shaped(network):
    """A guest's NIC with <bandwidth>: its tap's egress (to the guest)
    and ingress (from it, through an IFB) are shaped, which a transfer's
    duration shows both ways; SetInterfaceParameters and UpdateDevice
    change it live and in the definition; a NIC plugged live on a
    portgroup gets the portgroup's; nothing is left when the guest goes."""
    import guest
    from test_qemu_hotplug import guest_value, wait_domain_signal
    from test_qemu_lifecycle import BOOT_TIMEOUT, Qemu, wait_gone as wait_pids_gone

    n = network
    q = Qemu(n.vb, n.root)
    net = n.define(net_xml("shaped", ip="192.168.170.1", dhcp=False,
                           extra="<portgroup name='slow'><bandwidth><inbound average='50'/><outbound average='25'/>"
                                 "</bandwidth></portgroup>"))
    n.net(net, "Create")
    mac = "52:54:00:aa:00:10"
    own = "<bandwidth><inbound average='60' burst='16'/><outbound average='40' burst='16'/></bandwidth>"
    path = q.connect("DomainDefineXML", "s", guest.domain_xml("bwvm", extra_devices=shaped_nic(mac, bandwidth=own)))
    q.start(path)
    con = q.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    iface = ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0]).find("devices/interface")
    tap = iface.find("target").get("dev")
    assert iface.find("bandwidth/inbound").attrib == {"average": "60", "burst": "16"}
    assert htb_class(n, tap) == ("480Kbit", "480Kbit", "16Kb")
    assert redirected_to(n, tap) == "vb-" + tap
    assert htb_class(n, "vb-" + tap)[:2] == ("320Kbit", "320Kbit")
    want = dict.fromkeys(PARAMS, 0)
    want.update({"inbound.average": 60, "inbound.burst": 16, "outbound.average": 40, "outbound.burst": 16})
    assert params(q, path, tap) == want
    assert params(q, path, mac, AFFECT_CONFIG) == want

    # The guest sends 160 KiB to the host (40 kB/s), then gets as much
    # from it (60 kB/s): each takes its size less the burst over the rate.
    guest_value(con, "ip addr add 192.168.170.5/24 dev eth0 2>/dev/null; ip link set eth0 up; "
                     "ping -c 1 -W 2 192.168.170.1 >/dev/null && echo up", "up")
    size = 160 * 1024
    server = ("import socket,sys,time\n"
              "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
              "s.bind(('192.168.170.1', 5555)); s.listen(1); print('listening', flush=True)\n"
              "c,_=s.accept(); got=0; t0=None\n"
              "while got < %d:\n"
              "    b=c.recv(65536)\n"
              "    if not b: break\n"
              "    t0 = t0 or time.monotonic(); got += len(b)\n"
              "print(got, time.monotonic() - t0, flush=True); c.close()\n" % size)
    srv = subprocess.Popen(["ip", "netns", "exec", n.ns, "python3", "-c", server], stdout=subprocess.PIPE, text=True)
    try:
        assert srv.stdout.readline().strip() == "listening"
        status, out = con.run("dd if=/dev/zero bs=1024 count=160 2>/dev/null | nc 192.168.170.1 5555", timeout=60)
        got, seconds = srv.stdout.readline().split()
    finally:
        srv.kill()
        srv.wait()
    assert int(got) == size, out
    # (160 KiB - 16 KiB burst) / 40 kB/s = 3.7 s
    assert float(seconds) > 2.5, seconds
    assert sent_bytes(n, "vb-" + tap) >= size

    # The guest's nc has no input: it half-closes at once, and the host's
    # sender is done once its kernel has the data. The transfer's end is
    # when the guest has it all.
    sender = ("import socket\n"
              "c=socket.create_connection(('192.168.170.5', 6666), timeout=60)\n"
              "c.sendall(b'\\0' * %d); c.shutdown(socket.SHUT_WR)\n"
              "while c.recv(4096): pass\n" % size)
    status, out = con.run("rm -f /tmp/got; (nc -l -p 6666 | wc -c > /tmp/got) </dev/null >/dev/null 2>&1 & "
                          "sleep 0.5; echo ok")
    assert status == 0
    t0 = time.monotonic()
    r = subprocess.run(["ip", "netns", "exec", n.ns, "python3", "-c", sender], capture_output=True, text=True,
                       timeout=90)
    assert r.returncode == 0, r.stderr
    guest_value(con, "cat /tmp/got 2>/dev/null || echo none", str(size))
    # (160 KiB - 16 KiB burst) / 60 kB/s = 2.5 s
    assert time.monotonic() - t0 > 1.7
    assert sent_bytes(n, tap) >= size

    # Live only: inbound faster, outbound no longer limited (its IFB goes).
    q.dom(path, "SetInterfaceParameters", "sa{sv}u", tap,
          {"inbound.average": GLib_u(100), "outbound.average": GLib_u(0)}, AFFECT_LIVE)
    assert htb_class(n, tap)[:2] == ("800Kbit", "800Kbit") and redirected_to(n, tap) is None
    assert ifbs(n) == []
    want_live = dict.fromkeys(PARAMS, 0)
    want_live.update({"inbound.average": 100, "inbound.burst": 16})
    assert params(q, path, tap) == want_live
    assert params(q, path, mac, AFFECT_CONFIG) == want
    live_bw = ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0]).find("devices/interface/bandwidth")
    assert live_bw.find("outbound") is None and live_bw.find("inbound").get("average") == "100"
    # The definition only.
    q.dom(path, "SetInterfaceParameters", "sa{sv}u", mac, {"outbound.peak": GLib_u(80)}, AFFECT_CONFIG)
    assert params(q, path, mac, AFFECT_CONFIG)["outbound.peak"] == 80
    assert htb_class(n, tap)[:2] == ("800Kbit", "800Kbit")
    # Refused, nothing changed.
    for args, text in ((({"inbound.nope": GLib_u(1)}), "unknown interface parameter 'inbound.nope'"),
                       (({"inbound.average": GLib_s("x")}), "must be an unsigned 32-bit integer"),
                       (({"inbound.peak": GLib_u(10)}), "'peak' (10) is below 'average' (100)"),
                       (({"inbound.floor": GLib_u(10)}), "floor")):
        name, message = n.vb.error(path, DOMAIN, "SetInterfaceParameters", "sa{sv}u", tap, args, AFFECT_LIVE)
        assert name == ERROR and text in message, message
    assert "has no interface 'nope0'" in n.error(path, DOMAIN, "SetInterfaceParameters", "sa{sv}u", "nope0",
                                                 {"inbound.average": GLib_u(1)}, AFFECT_LIVE)
    assert params(q, path, tap) == want_live and htb_class(n, tap)[:2] == ("800Kbit", "800Kbit")

    # virtbusctl domiftune: shows, sets.
    from test_virtbusctl import run
    r = run(n.vb, "-c", "qemu:///session", "domiftune", "bwvm", tap)
    assert r.returncode == 0 and re.search(r"inbound\.average:\s+100\n", r.stdout), r
    r = run(n.vb, "-c", "qemu:///session", "domiftune", "bwvm", mac, "--inbound", "120,240", "--live")
    assert r.returncode == 0, r
    assert htb_class(n, tap)[:2] == ("960Kbit", "1920Kbit")
    r = run(n.vb, "-c", "qemu:///session", "domiftune", "bwvm", tap, "--outbound", "1,2,3,4")
    assert r.returncode != 0 and "invalid --outbound '1,2,3,4'" in r.stderr, r
    r = run(n.vb, "-c", "qemu:///session", "domiftune", "bwvm", mac, "--config")
    assert r.returncode == 0 and re.search(r"outbound\.peak:\s+80\n", r.stdout), r

    # UpdateDevice without <bandwidth>: unshaped.
    q.dom(path, "UpdateDevice", "su", shaped_nic(mac), AFFECT_LIVE)
    assert htb_class(n, tap) is None and params(q, path, tap) == dict.fromkeys(PARAMS, 0)
    assert ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0]).find("devices/interface/bandwidth") is None
    # ... and with one again.
    q.dom(path, "UpdateDevice", "su", shaped_nic(mac, bandwidth="<bandwidth><outbound average='30'/></bandwidth>"),
          AFFECT_LIVE)
    assert htb_class(n, tap) is None and htb_class(n, "vb-" + tap)[:2] == ("240Kbit", "240Kbit")

    # A NIC plugged live on the portgroup: the portgroup's bandwidth.
    n.vb.clear_signals()
    mac2 = "52:54:00:aa:00:11"
    q.dom(path, "AttachDevice", "su", shaped_nic(mac2, portgroup="slow"), AFFECT_LIVE)
    wait_domain_signal(q, "DeviceAdded", path, ("net1",), con)
    second = [i for i in ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0]).findall("devices/interface")
              if i.find("mac").get("address") == mac2][0]
    tap2 = second.find("target").get("dev")
    assert second.find("bandwidth") is None
    assert htb_class(n, tap2)[:2] == ("400Kbit", "400Kbit") and htb_class(n, "vb-" + tap2)[:2] == ("200Kbit",
                                                                                                      "200Kbit")
    assert params(q, path, mac2)["inbound.average"] == 50
    assert sorted(ifbs(n)) == sorted(["vb-" + tap, "vb-" + tap2])

    # The daemon restarts: the shaping stays, and goes with the guest.
    con.close()
    n.vb.kill_and_restart()
    assert htb_class(n, "vb-" + tap)[:2] == ("240Kbit", "240Kbit")
    pid = q.pid("bwvm")
    q.dom(path, "Destroy", "u", 0)
    wait_pids_gone([pid])
    deadline = time.monotonic() + 5
    while tap in n.links() or tap2 in n.links():
        assert time.monotonic() < deadline, "the taps outlived the guest"
        time.sleep(0.05)
    assert ifbs(n) == []
    # The definition kept its own (config) changes.
    cfg = ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0]).find("devices/interface/bandwidth")
    assert cfg.find("outbound").attrib == {"average": "40", "peak": "80", "burst": "16"}


def GLib_u(v):
    from gi.repository import GLib
    return GLib.Variant("u", v)


def GLib_s(v):
    from gi.repository import GLib
    return GLib.Variant("s", v)
