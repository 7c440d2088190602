"""Virtual networks on qemu://: real bridges, nftables tables and dnsmasq,
made, changed and removed over org.libvirt.Network, and guests plugged into
them with taps. The daemon runs in a network namespace of the test's own,
so nothing here touches the host's network."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid as uuidlib
import xml.etree.ElementTree as ET

import pytest
from gi.repository import Gio, GLib

from conftest import BUS_NAME, Virtbus

QEMU_PATH = "/org/libvirt/QEMU"
CONNECT = "org.libvirt.Connect"
NETWORK = "org.libvirt.Network"
DOMAIN = "org.libvirt.Domain"
ERROR = "org.libvirt.Error"
# virNetworkEventLifecycleType
DEFINED, UNDEFINED, STARTED, STOPPED = range(4)
# virNetworkUpdateCommand / Section / Flags
MODIFY, DELETE, ADD_LAST, ADD_FIRST = 1, 2, 3, 4
SECTION_BRIDGE, SECTION_IP_DHCP_HOST, SECTION_DHCP_RANGE, SECTION_DNS_HOST = 1, 4, 5, 10
AFFECT_LIVE, AFFECT_CONFIG = 1, 2


def _missing():
    if os.geteuid() != 0:
        return "virtual networks need root (bridges, network namespaces)"
    for tool, package in (("ip", "iproute2"), ("nft", "nftables"), ("dnsmasq", "dnsmasq-base")):
        if shutil.which(tool) is None and not os.path.exists("/usr/sbin/" + tool):
            return "%s is not installed (Debian package %s)" % (tool, package)
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


def net_xml(name, ip="192.168.100.1", prefix=24, forward="nat", bridge=None, dhcp=True, extra="", uuid=None):
    fwd = "" if forward is None else "<forward mode='%s'/>" % forward
    br = "" if bridge is None else "<bridge name='%s'/>" % bridge
    base = ip.rsplit(".", 1)[0] if ip else None
    dhcp_xml = ("<dhcp><range start='%s.10' end='%s.50'/></dhcp>" % (base, base)) if dhcp and ip else ""
    ip_xml = "" if ip is None else "<ip address='%s' prefix='%d'>%s</ip>" % (ip, prefix, dhcp_xml)
    uuid_xml = "<uuid>%s</uuid>" % uuid if uuid else ""
    return "<network><name>%s</name>%s%s%s%s%s</network>" % (name, uuid_xml, fwd, br, ip_xml, extra)


class Net:
    def __init__(self, bus, root, ns):
        self.root = root
        self.ns = ns
        self.vb = Virtbus(bus, root, args=["--driver", "qemu"], prefix=("ip", "netns", "exec", ns))

    def sh(self, *argv, check=True):
        return subprocess.run(["ip", "netns", "exec", self.ns] + list(argv), capture_output=True, text=True,
                              check=check)

    def links(self):
        return {link["ifname"]: link for link in json.loads(self.sh("ip", "-j", "-d", "link", "show").stdout)}

    def addresses(self, dev):
        out = json.loads(self.sh("ip", "-j", "addr", "show", "dev", dev).stdout)
        return sorted("%s/%d" % (a["local"], a["prefixlen"]) for a in out[0]["addr_info"] if a["scope"] != "link")

    def tables(self):
        return self.sh("nft", "list", "tables").stdout.split()

    def ruleset(self, table):
        return self.sh("nft", "list", "table", "inet", table, check=False).stdout

    def connect(self, method, signature="", *args):
        return self.vb.call1(QEMU_PATH, CONNECT, method, signature, *args)

    def define(self, xml):
        return self.connect("NetworkDefineXML", "s", xml)

    def net(self, path, method, signature="", *args):
        return self.vb.call(path, NETWORK, method, signature, *args)

    def xml(self, path, flags=0):
        return ET.fromstring(self.vb.call1(path, NETWORK, "GetXMLDesc", "u", flags))

    def prop(self, path, name):
        return self.vb.get_property(path, NETWORK, name)

    def error(self, path, iface, method, signature="", *args):
        name, message = self.vb.error(path, iface, method, signature, *args)
        assert name == ERROR, (name, message)
        return message

    def events(self, path):
        self.vb.pump(0.05)
        return [s[3][1] for s in self.vb.signals if s[2] == "NetworkEvent" and s[3][0] == path]

    def files(self, suffix):
        found = []
        for d, _, names in os.walk(self.root):
            found += [os.path.join(d, n) for n in names if n.endswith(suffix) and "network" in d]
        return found

    def wait_active(self, path, timeout=10):
        """Autostart runs once the connection is open: wait for it."""
        deadline = time.monotonic() + timeout
        while not self.prop(path, "Active"):
            assert time.monotonic() < deadline, self.vb.read_log()
            self.vb.pump(0.05)

    def dnsmasq_file(self, name, suffix):
        """dnsmasq's file of network @name (they go by uuid), or None."""
        uuid = self.prop(self.connect("NetworkLookupByName", "s", name), "UUID")
        found = [p for p in self.files(suffix) if os.path.basename(p) == uuid + suffix]
        return found[0] if found else None

    def dnsmasq_text(self, name, suffix):
        with open(self.dnsmasq_file(name, suffix)) as f:
            return f.read()

    def dnsmasq_pid(self, name):
        path = self.dnsmasq_file(name, ".pid")
        if path is None:
            return None
        with open(path) as f:
            pid = int(f.read().strip())
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return pid if b"dnsmasq" in f.read() else None
        except FileNotFoundError:
            return None


def wait_gone(pid, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.05)
    raise AssertionError("process %d is still there" % pid)


@pytest.fixture
def network(bus, tmp_root):
    ns = "vbnet-%d-%s" % (os.getpid(), uuidlib.uuid4().hex[:6])
    subprocess.run(["ip", "netns", "add", ns], check=True)
    subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
    root = os.path.join(tmp_root, "root")
    os.makedirs(root)
    n = None
    try:
        n = Net(bus, root, ns)
        yield n
    finally:
        code = None
        if n is not None:
            code = n.vb.stop()
            n.vb.close()
        # What the namespace still runs is ours (dnsmasq, a guest a failed
        # test left): ended by PID before the namespace goes.
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in pids:
            wait_gone(int(pid))
        subprocess.run(["ip", "netns", "del", ns])
        if n is not None:
            assert code == 0, "virtbusd exited with %s; log:\n%s" % (code, n.vb.read_log())


def test_nat_network_lifecycle(network):
    n = network
    vb = n.vb
    assert n.connect("ListNetworks", "u", 0) == []
    path = n.define(net_xml("net1"))
    # Filled in at define time, as libvirt does: a free bridge name and a MAC.
    x = n.xml(path)
    assert x.find("bridge").get("name") == "virbr0"
    assert re.fullmatch(r"52:54:00(:[0-9a-f]{2}){3}", x.find("mac").get("address"))
    assert n.prop(path, "Active") is False
    assert "virbr0" not in n.links()

    n.net(path, "Create")
    assert n.events(path) == [DEFINED, STARTED]
    assert n.prop(path, "Active") is True
    link = n.links()["virbr0"]
    assert link["linkinfo"]["info_kind"] == "bridge"
    assert "UP" in link["flags"]
    assert link["address"] == x.find("mac").get("address")
    assert n.addresses("virbr0") == ["192.168.100.1/24"]
    assert n.sh("cat", "/proc/sys/net/ipv4/ip_forward").stdout.strip() == "1"
    table = "virtbus_" + n.prop(path, "UUID").replace("-", "")
    assert table in n.tables()
    rules = n.ruleset(table)
    assert "masquerade" in rules and "192.168.100.0/24" in rules and '"virbr0"' in rules
    pid = n.dnsmasq_pid("net1")
    assert pid is not None
    text = n.dnsmasq_text("net1", ".conf")
    assert "interface=virbr0" in text and "dhcp-range=192.168.100.10,192.168.100.50" in text
    # dnsmasq answers DHCP and DNS on the bridge.
    listening = n.sh("ss", "-lnup").stdout
    assert "192.168.100.1:53" in listening and ":67" in listening
    assert n.net(path, "GetDHCPLeases", "su", "", 0) == ([],)

    assert "already running" in n.error(path, NETWORK, "Create")
    vb.clear_signals()
    n.net(path, "Destroy")
    assert n.events(path) == [STOPPED]
    wait_gone(pid)
    assert "virbr0" not in n.links()
    assert table not in n.tables()
    assert "is not active" in n.error(path, NETWORK, "GetDHCPLeases", "su", "", 0)
    assert "is not active" in n.error(path, NETWORK, "Destroy")
    n.net(path, "Undefine")
    assert n.connect("ListNetworks", "u", 0) == []
    assert n.files(".xml") == []


def test_forward_modes(network):
    n = network
    isolated = n.define(net_xml("iso", ip="10.10.1.1", forward=None))
    routed = n.define(net_xml("rt", ip="10.10.2.1", forward="route", dhcp=False))
    opened = n.define(net_xml("op", ip="10.10.3.1", forward="open", bridge="vbopen0"))
    for path in (isolated, routed, opened):
        n.net(path, "Create")
    names = {n.prop(p, "Name"): n.xml(p).find("bridge").get("name") for p in (isolated, routed, opened)}
    assert names == {"iso": "virbr0", "rt": "virbr1", "op": "vbopen0"}
    table = lambda p: "virtbus_" + n.prop(p, "UUID").replace("-", "")
    iso_rules = n.ruleset(table(isolated))
    assert 'iifname "virbr0" reject' in iso_rules and 'oifname "virbr0" reject' in iso_rules
    assert "masquerade" not in iso_rules and "saddr" not in iso_rules
    rt_rules = n.ruleset(table(routed))
    assert "10.10.2.0/24" in rt_rules and "accept" in rt_rules and "masquerade" not in rt_rules
    # An open network has no rules of ours at all; a route network no DHCP.
    assert table(opened) not in n.tables()
    assert n.dnsmasq_pid("rt") is not None
    assert "dhcp-range" not in n.dnsmasq_text("rt", ".conf")
    for path in (isolated, routed, opened):
        n.net(path, "Destroy")
    assert not {"virbr0", "virbr1", "vbopen0"} & set(n.links())
    assert not [t for t in n.tables() if t.startswith("virtbus_")]


def test_bad_networks_leave_nothing(network):
    n = network
    # The bridge name is taken by a host interface: nothing is left half made.
    n.sh("ip", "link", "add", "busy0", "type", "veth", "peer", "name", "busy1")
    path = n.define(net_xml("clash", bridge="busy0"))
    assert "bridge name 'busy0' is already in use" in n.error(path, NETWORK, "Create")
    assert n.prop(path, "Active") is False
    assert not [t for t in n.tables() if t.startswith("virtbus_")]
    assert n.dnsmasq_pid("clash") is None
    n.net(path, "Undefine")
    # The subnet is in use on the host.
    n.sh("ip", "addr", "add", "10.20.0.5/16", "dev", "busy0")
    n.sh("ip", "link", "set", "busy0", "up")
    n.sh("ip", "link", "set", "busy1", "up")
    path = n.define(net_xml("overlap", ip="10.20.30.1"))
    assert "is already in use by interface busy0" in n.error(path, NETWORK, "Create")
    assert "virbr0" not in n.links()
    n.net(path, "Undefine")
    # Two networks cannot share a bridge name.
    first = n.define(net_xml("first", bridge="vbsame"))
    assert "already in use by another network" in n.error(QEMU_PATH, CONNECT, "NetworkDefineXML", "s",
                                                           net_xml("second", bridge="vbsame", ip="10.30.0.1"))
    n.net(first, "Undefine")
    # Hostile or impossible definitions are refused at define time.
    for xml, want in ((net_xml("evil", bridge="br0;reboot"), "'br0;reboot' is not a device name"),
                      (net_xml("evil", bridge="br0:x"), "invalid bridge name 'br0:x'"),
                      (net_xml("long", bridge="b" * 16), "invalid bridge name"),
                      (net_xml("hostdev", forward="hostdev"), "forward mode 'hostdev' is not supported"),
                      ("<network><name>hb</name><forward mode='bridge'/></network>", "or a host bridge (<bridge name=...>)"),
                      ("<network><name>bad", "")):
        assert want in n.error(QEMU_PATH, CONNECT, "NetworkDefineXML", "s", xml)
    assert n.connect("ListNetworks", "u", 0) == []
    # A host bridge network needs its bridge.
    hb = n.define("<network><name>hb</name><forward mode='bridge'/><bridge name='hostbr0'/></network>")
    assert "host bridge 'hostbr0', which does not exist" in n.error(hb, NETWORK, "Create")
    n.sh("ip", "link", "add", "hostbr0", "type", "bridge")
    n.net(hb, "Create")
    assert n.prop(hb, "Active") is True
    n.net(hb, "Destroy")
    # Destroying a host bridge network leaves the host's bridge alone.
    assert "hostbr0" in n.links()
    # Without an active network, there are no leases to ask for.
    assert "is not active" in n.error(hb, NETWORK, "GetDHCPLeases", "su", "", 0)


def test_transient_network(network):
    n = network
    path = n.connect("NetworkCreateXML", "s", net_xml("tmp", ip="10.40.0.1"))
    assert n.prop(path, "Active") is True and n.prop(path, "Persistent") is False
    assert "cannot set autostart for transient" in n.vb.error(path, "org.freedesktop.DBus.Properties", "Set", "ssv",
                                                              NETWORK, "Autostart",
                                                              GLib.Variant("b", True))[1]
    n.net(path, "Destroy")
    assert n.connect("ListNetworks", "u", 0) == []
    assert "virbr0" not in n.links()
    # A failed start of a transient network leaves no network behind.
    n.sh("ip", "link", "add", "virbr9", "type", "bridge")
    assert "already in use" in n.error(QEMU_PATH, CONNECT, "NetworkCreateXML", "s",
                                       net_xml("tmp", ip="10.40.0.1", bridge="virbr9"))
    assert n.connect("ListNetworks", "u", 0) == []


def test_live_updates(network):
    n = network
    path = n.define(net_xml("upd"))
    n.net(path, "Create")
    pid = n.dnsmasq_pid("upd")
    host = "<host mac='52:54:00:aa:bb:cc' name='web' ip='192.168.100.20'/>"
    n.net(path, "Update", "uuisu", ADD_LAST, SECTION_IP_DHCP_HOST, -1, host, AFFECT_LIVE | AFFECT_CONFIG)
    # dnsmasq runs again with the new host; live and persistent XML have it.
    new_pid = n.dnsmasq_pid("upd")
    assert new_pid is not None and new_pid != pid
    assert "52:54:00:aa:bb:cc,192.168.100.20,web" in n.dnsmasq_text("upd", ".hostsfile")
    for flags in (0, 1):
        hosts = n.xml(path, flags).findall("ip/dhcp/host")
        assert [(h.get("mac"), h.get("ip")) for h in hosts] == [("52:54:00:aa:bb:cc", "192.168.100.20")]
    # A duplicate, a bad fragment, a section that cannot change live: refused,
    # nothing changes, dnsmasq keeps running.
    assert n.error(path, NETWORK, "Update", "uuisu", ADD_LAST, SECTION_IP_DHCP_HOST, -1, host, AFFECT_LIVE)
    assert n.error(path, NETWORK, "Update", "uuisu", ADD_LAST, SECTION_IP_DHCP_HOST, -1, "<host", AFFECT_LIVE)
    assert "cannot change live" in n.error(path, NETWORK, "Update", "uuisu", MODIFY, SECTION_BRIDGE, -1,
                                           "<bridge name='virbr7'/>", AFFECT_LIVE)
    assert n.dnsmasq_pid("upd") == new_pid
    n.net(path, "Update", "uuisu", ADD_LAST, SECTION_DNS_HOST, -1,
          "<host ip='192.168.100.30'><hostname>db</hostname></host>", AFFECT_LIVE)
    assert n.dnsmasq_text("upd", ".addnhosts").split() == ["192.168.100.30", "db"]
    n.net(path, "Update", "uuisu", DELETE, SECTION_IP_DHCP_HOST, -1, host, AFFECT_LIVE | AFFECT_CONFIG)
    assert n.xml(path).findall("ip/dhcp/host") == []
    assert n.xml(path, 1).findall("ip/dhcp/host") == []
    n.net(path, "Destroy")


def test_networks_survive_a_restart(network):
    n = network
    keep = n.define(net_xml("keep"))
    n.net(keep, "Create")
    gone = n.define(net_xml("gone", ip="10.50.0.1"))
    n.net(gone, "Create")
    auto = n.define(net_xml("auto", ip="10.60.0.1"))
    n.vb.set_property(auto, NETWORK, "Autostart", GLib.Variant("b", True))
    pid = n.dnsmasq_pid("keep")
    # The daemon dies; the networks keep running without it.
    n.vb.proc.send_signal(signal.SIGKILL)
    n.vb.proc.wait()
    n.sh("ip", "link", "del", "virbr1")      # "gone"'s bridge, behind the daemon's back
    n.vb.start()
    keep = n.connect("NetworkLookupByName", "s", "keep")
    assert n.prop(keep, "Active") is True
    assert n.dnsmasq_pid("keep") == pid
    gone = n.connect("NetworkLookupByName", "s", "gone")
    assert n.prop(gone, "Active") is False
    assert n.dnsmasq_pid("gone") is None
    assert "virtbus_" + n.prop(gone, "UUID").replace("-", "") not in n.tables()
    auto = n.connect("NetworkLookupByName", "s", "auto")
    assert n.prop(auto, "Autostart") is True
    n.wait_active(auto)
    # dnsmasq died while the daemon was away: it runs again after a restart.
    os.kill(pid, signal.SIGKILL)
    wait_gone(pid)
    n.vb.stop()
    n.vb.start()
    assert n.dnsmasq_pid("keep") not in (None, pid)
    for path in (n.connect("NetworkLookupByName", "s", name) for name in ("keep", "auto")):
        n.net(path, "Destroy")
    assert not [t for t in n.tables() if t.startswith("virtbus_")]


# nft and dnsmasq for the daemon, the real ones behind them, that the test
# can hold at a point where something must wait for them: while
# <gate>/hold-nft exists, a script that only deletes a table (no "{")
# waits, once read, for <gate>/release; while <gate>/hold-dnsmasq exists,
# so does a dnsmasq start. <gate>/held says one is waiting. A dnsmasq
# start fails once when <gate>/fail-dnsmasq exists.
HELD_NFT = """#!/bin/sh
if [ "$1 $2" != "-f -" ]; then exec %(real)s "$@"; fi
script=$(cat)
case "$script" in
*"{"*) ;;
*) [ -e %(gate)s/hold-nft ] && %(gate)s/wait ;;
esac
printf '%%s\\n' "$script" | exec %(real)s -f -
"""
HELD_DNSMASQ = """#!/bin/sh
if [ -e %(gate)s/fail-dnsmasq ]; then
  rm -f %(gate)s/fail-dnsmasq
  echo "dnsmasq: refused by the test" >&2
  exit 1
fi
[ -e %(gate)s/hold-dnsmasq ] && %(gate)s/wait
exec %(real)s "$@"
"""
GATE_WAIT = """#!/bin/sh
: > %(gate)s/held
n=0
while [ ! -e %(gate)s/release ] && [ $n -lt 3000 ]; do sleep 0.01; n=$((n + 1)); done
"""


class Gate:
    """Holds the daemon's table deletions or dnsmasq starts until released
    (see HELD_NFT)."""

    def __init__(self, n, path):
        self.n = n
        self.path = path

    def _file(self, name):
        return os.path.join(self.path, name)

    def hold(self, tool):
        for name in ("held", "release"):
            if os.path.exists(self._file(name)):
                os.unlink(self._file(name))
        open(self._file("hold-" + tool), "w").close()

    def fail_dnsmasq_once(self):
        open(self._file("fail-dnsmasq"), "w").close()

    def wait_held(self, timeout=10):
        deadline = time.monotonic() + timeout
        while not os.path.exists(self._file("held")):
            assert time.monotonic() < deadline, "nothing was held; log:\n" + self.n.vb.read_log()
            time.sleep(0.01)

    def release(self):
        for tool in ("nft", "dnsmasq"):
            if os.path.exists(self._file("hold-" + tool)):
                os.unlink(self._file("hold-" + tool))
        open(self._file("release"), "w").close()


@pytest.fixture
def gate(network, tmp_path, monkeypatch):
    """The network fixture's daemon, restarted on an nft and a dnsmasq the
    test can hold: what must wait for them can be seen waiting."""
    path = tmp_path / "gate"
    bindir = tmp_path / "bin"
    path.mkdir()
    bindir.mkdir()
    for name, text in (("nft", HELD_NFT), ("dnsmasq", HELD_DNSMASQ)):
        real = shutil.which(name) or "/usr/sbin/" + name
        (bindir / name).write_text(text % {"real": real, "gate": path})
        (bindir / name).chmod(0o755)
    (path / "wait").write_text(GATE_WAIT % {"gate": path})
    (path / "wait").chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bindir, os.environ.get("PATH", "/usr/bin:/bin")))
    assert network.vb.stop() == 0
    network.vb.start()
    g = Gate(network, str(path))
    yield g
    g.release()


class PortBlocker:
    """A socket on UDP port 67 in the namespace, as another DHCP server
    would hold it: a dnsmasq serving DHCP cannot start."""

    def __init__(self, n):
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", n.ns, sys.executable, "-c",
             "import socket, sys\n"
             "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
             "s.bind(('0.0.0.0', 67))\n"
             "print('bound', flush=True)\n"
             "sys.stdin.read()\n"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "bound"

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


def call_async(vb, path, interface, method, signature="", *args):
    """Sends a call; its reply (out arguments, or the GLib.Error) is
    appended to the list returned once the main context is pumped."""
    params = GLib.Variant("(%s)" % signature, tuple(args)) if signature else None
    replies = []

    def on_reply(conn, result):
        try:
            replies.append(conn.call_finish(result).unpack())
        except GLib.Error as e:
            replies.append(e)
    vb.connection.call(BUS_NAME, path, interface, method, params, None, Gio.DBusCallFlags.NONE, 30000, None,
                       on_reply)
    return replies


def wait_reply(vb, replies, timeout=30):
    deadline = time.monotonic() + timeout
    while not replies:
        assert time.monotonic() < deadline, vb.read_log()
        vb.pump(0.01)
    return replies[0]


def test_failed_start_cleans_up_before_it_reports(network, gate):
    """A start that fails after its firewall step reports its error only
    once dnsmasq is stopped and its table is gone: a retry the moment the
    error arrives cannot have its fresh table deleted by the failed start's
    removal running late, and while that removal runs the network is busy."""
    n = network
    path = n.define(net_xml("retry"))
    table = "virtbus_" + n.prop(path, "UUID").replace("-", "")
    blocker = PortBlocker(n)
    gate.hold("nft")
    first = call_async(n.vb, path, NETWORK, "Create")
    gate.wait_held()
    # The failed start's table removal is under way: the network is not
    # free yet, even with the cause of the failure gone.
    blocker.close()
    assert "try again" in n.error(path, NETWORK, "Create")
    gate.release()
    err = wait_reply(n.vb, first)
    assert isinstance(err, GLib.Error), err
    # The start's own error, not one of its cleanup.
    assert "cannot start dnsmasq for network 'retry'" in err.message and "DHCP" in err.message, err.message
    assert n.prop(path, "Active") is False
    assert table not in n.tables()
    assert "virbr0" not in n.links()
    assert n.dnsmasq_pid("retry") is None
    # The retry right after the error: its table stays.
    n.net(path, "Create")
    assert table in n.tables()
    assert n.dnsmasq_pid("retry") is not None
    n.net(path, "Destroy")
    assert table not in n.tables()


def test_failed_restore_cleans_up_before_it_reports(network, gate):
    """A network that was active before a daemon restart and cannot be
    restored is inactive only once its table is gone, and the daemon
    serves only after that: no table of it deleted late."""
    n = network
    path = n.define(net_xml("gone", ip="10.50.0.1"))
    n.net(path, "Create")
    table = "virtbus_" + n.prop(path, "UUID").replace("-", "")
    pid = n.dnsmasq_pid("gone")
    n.vb.proc.send_signal(signal.SIGKILL)
    n.vb.proc.wait()
    n.vb.proc = None
    n.vb.log.close()
    n.sh("ip", "link", "del", "virbr0")      # behind the daemon's back
    state = [p for p in n.files("gone.xml") if os.sep + "runtime" + os.sep in p]
    assert len(state) == 1, n.files(".xml")
    gate.hold("nft")
    # Started without waiting for its bus name: the daemon takes it only
    # once its networks are loaded, the failed one cleaned up.
    n.vb.wait_for_name = lambda timeout=10: None
    try:
        n.vb.start()
    finally:
        del n.vb.wait_for_name
    gate.wait_held()
    # The table is being deleted: the network is still the active one it
    # was (its state file is there), its dnsmasq already stopped.
    assert os.path.exists(state[0])
    wait_gone(pid)
    gate.release()
    n.vb.wait_for_name()
    path = n.connect("NetworkLookupByName", "s", "gone")
    assert n.prop(path, "Active") is False
    assert not os.path.exists(state[0])
    assert table not in n.tables()
    assert n.dnsmasq_pid("gone") is None


def test_failed_live_update_restores_dnsmasq_before_it_reports(network, gate):
    """A live update whose new dnsmasq does not start reports its error
    once the old dnsmasq runs again, and the network is busy until then:
    a Destroy right after the error cannot miss a dnsmasq still starting."""
    n = network
    path = n.define(net_xml("upd"))
    n.net(path, "Create")
    old = n.dnsmasq_pid("upd")
    gate.fail_dnsmasq_once()
    gate.hold("dnsmasq")
    update = call_async(n.vb, path, NETWORK, "Update", "uuisu", ADD_LAST, SECTION_DHCP_RANGE, 0,
                        "<range start='192.168.100.60' end='192.168.100.70'/>", AFFECT_LIVE)
    gate.wait_held()
    # The old dnsmasq is starting again.
    wait_gone(old)
    assert "try again" in n.error(path, NETWORK, "Destroy")
    gate.release()
    err = wait_reply(n.vb, update)
    assert isinstance(err, GLib.Error) and "refused by the test" in err.message, err
    pid = n.dnsmasq_pid("upd")
    assert pid is not None
    assert "dhcp-range=192.168.100.60" not in n.dnsmasq_text("upd", ".conf")
    assert [r.get("start") for r in n.xml(path).findall("ip/dhcp/range")] == ["192.168.100.10"]
    n.net(path, "Destroy")
    wait_gone(pid)


def nic(source, mac, model="virtio"):
    kind, name = source
    attr = "network" if kind == "network" else "bridge"
    return (f"<interface type='{kind}'><mac address='{mac}'/><source {attr}='{name}'/>"
            f"<model type='{model}'/></interface>")


@pytest.mark.skipif(__import__("guest").missing_requirements() is not None,
                    reason=str(__import__("guest").missing_requirements()))
def test_guest_on_a_network(network):
    """A guest on a NAT network gets a DHCP lease from its dnsmasq and
    reaches the host through the bridge; a second NIC plugged live on a
    host bridge; the taps go with the guest."""
    import guest
    from test_qemu_hotplug import guest_value, wait_domain_signal
    from test_qemu_lifecycle import BOOT_TIMEOUT, Qemu, wait_gone as wait_pids_gone

    n = network
    q = Qemu(n.vb, n.root)
    net = n.define(net_xml("lan", ip="192.168.150.1"))
    mac = "52:54:00:12:34:56"
    xml = guest.domain_xml("netvm", extra_devices=nic(("network", "lan"), mac))
    path = q.connect("DomainDefineXML", "s", xml)
    # The network is not running yet: the guest cannot start.
    assert "network 'lan' is not active" in n.error(path, DOMAIN, "Create", "u", 0)
    assert "no network with matching name 'nope'" in n.error(
        QEMU_PATH, CONNECT, "DomainCreateXML", "su",
        guest.domain_xml("other", extra_devices=nic(("network", "nope"), "52:54:00:12:34:57")), 0)
    n.net(net, "Create")
    q.start(path)
    con = q.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    live = ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0])
    iface = live.find("devices/interface")
    tap = iface.find("target").get("dev")
    assert re.fullmatch(r"vnet\d+", tap)
    assert iface.find("source").get("network") == "lan" and iface.find("source").get("bridge") == "virbr0"
    link = n.links()[tap]
    assert link["master"] == "virbr0" and link["address"] == "fe:54:00:12:34:56"
    # The inactive definition keeps neither the tap nor the bridge.
    inactive = q.dom(path, "GetXMLDesc", "u", 2)[0]
    assert "vnet" not in inactive and "virbr0" not in inactive

    # No lease yet: no host name from one.
    assert "no DHCP lease of domain 'netvm' carries a host name" in n.error(path, DOMAIN, "GetHostname", "u", 1)
    status, out = con.run("ip link set eth0 up && udhcpc -i eth0 -n -q -t 10 -T 2 -s /bin/true "
                          "-x hostname:lease-guest 2>&1", timeout=60)
    assert status == 0, out
    leases = n.net(net, "GetDHCPLeases", "su", "", 0)[0]
    assert len(leases) == 1
    bridge, expiry, kind, lmac, iaid, ip, prefix, hostname, clientid = leases[0]
    assert (bridge, kind, lmac, prefix, hostname) == ("virbr0", 0, mac, 24, "lease-guest")
    # GetHostname from the lease (flag LEASE), what `virsh domhostname --source lease` asks.
    assert q.dom(path, "GetHostname", "u", 1) == ("lease-guest",)
    assert ip.startswith("192.168.150.") and 10 <= int(ip.rsplit(".", 1)[1]) <= 50
    assert expiry > time.time()
    assert n.net(net, "GetDHCPLeases", "su", "52:54:00:00:00:99", 0) == ([],)
    assert n.net(net, "GetDHCPLeases", "su", mac.upper(), 0)[0] == leases
    from test_virtbusctl import run
    r = run(n.vb, "-c", "qemu:///session", "net-dhcp-leases", "lan")
    assert r.returncode == 0 and mac in r.stdout and ip + "/24" in r.stdout and "ipv4" in r.stdout, r
    r = run(n.vb, "-c", "qemu:///session", "net-dhcp-leases", "lan", "--mac", "52:54:00:00:00:99")
    assert r.returncode == 0 and mac not in r.stdout, r
    r = run(n.vb, "-c", "qemu:///session", "domhostname", "netvm", "--source", "lease")
    assert r.returncode == 0 and r.stdout == "lease-guest\n", r
    r = run(n.vb, "-c", "qemu:///session", "domhostname", "netvm", "--source", "dns")
    assert r.returncode != 0 and "invalid --source 'dns'" in r.stderr, r
    r = run(n.vb, "-c", "qemu:///session", "domifaddr", "netvm")
    assert r.returncode == 0 and ip + "/24" in r.stdout and tap in r.stdout, r
    # The guest reaches the host's end of the bridge.
    guest_value(con, "ip addr add %s/24 dev eth0 2>/dev/null; ping -c 1 -W 2 192.168.150.1 >/dev/null && echo up"
                % ip, "up")
    # The domain's addresses from the leases (what cockpit-machines shows),
    # and its traffic from the tap, as the guest sees it.
    assert q.dom(path, "InterfaceAddresses", "uu", 0, 0)[0] == [(tap, mac, [(0, ip, 24)])]
    from test_qemu_stats import stats
    st = stats(q, path)
    assert st["net.0.name"] == ("s", tap)
    assert st["net.0.tx.pkts"][0] == "t" and st["net.0.rx.drop"][0] == "t"
    assert st["net.0.tx.pkts"][1] > 0 and st["net.0.rx.pkts"][1] > 0
    assert st["net.0.tx.bytes"][1] > st["net.0.tx.pkts"][1]

    # A second NIC, live, on a host bridge of the namespace.
    n.sh("ip", "link", "add", "hostbr0", "type", "bridge")
    n.sh("ip", "link", "set", "hostbr0", "up")
    n.vb.clear_signals()
    q.dom(path, "AttachDevice", "su", nic(("bridge", "hostbr0"), "52:54:00:12:34:58"), 1)
    wait_domain_signal(q, "DeviceAdded", path, ("net1",), con)
    guest_value(con, "cat /sys/class/net/eth1/address", "52:54:00:12:34:58")
    second = [i for i in ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0]).findall("devices/interface")
              if i.find("source").get("bridge") == "hostbr0"][0]
    tap2 = second.find("target").get("dev")
    assert n.links()[tap2]["master"] == "hostbr0"
    assert "bridge 'nobr' does not exist" in n.error(path, DOMAIN, "AttachDevice", "su",
                                                     nic(("bridge", "nobr"), "52:54:00:12:34:59"), 1)

    # The daemon dies and comes back: the guest keeps its network.
    con.close()
    n.vb.kill_and_restart()
    assert n.prop(n.connect("NetworkLookupByName", "s", "lan"), "Active") is True
    con = q.console(path)
    guest_value(con, "ping -c 1 -W 2 192.168.150.1 >/dev/null && echo up", "up")
    con.close()
    pid = q.pid("netvm")
    q.dom(path, "Destroy", "u", 0)
    wait_pids_gone([pid])
    deadline = time.monotonic() + 5
    while tap in n.links() or tap2 in n.links():
        assert time.monotonic() < deadline, "the taps outlived the guest"
        time.sleep(0.05)
    n.net(net, "Destroy")


def direct_nic(dev, mac, mode=None, target=None, model="virtio"):
    mode_attr = f" mode='{mode}'" if mode else ""
    target_xml = f"<target dev='{target}'/>" if target else ""
    return (f"<interface type='direct'><mac address='{mac}'/><source dev='{dev}'{mode_attr}/>{target_xml}"
            f"<model type='{model}'/></interface>")


def macvtaps(n):
    return {name: link for name, link in n.links().items()
            if link.get("linkinfo", {}).get("info_kind") == "macvtap"}


@pytest.mark.skipif(__import__("guest").missing_requirements() is not None,
                    reason=str(__import__("guest").missing_requirements()))
def test_guest_on_a_direct_interface(network):
    """<interface type='direct'>: a macvtap on a host interface, made for
    the guest at start and hotplug, carrying its traffic to the wire, and
    removed when the guest lets go of it, daemon restart or not."""
    import guest
    from test_qemu_hotplug import guest_value, wait_domain_signal
    from test_qemu_lifecycle import BOOT_TIMEOUT, Qemu, wait_gone as wait_pids_gone
    from test_qemu_stats import stats

    n = network
    q = Qemu(n.vb, n.root)
    # The "wire": a veth pair, the host's end of it with an address.
    n.sh("ip", "link", "add", "lan0", "type", "veth", "peer", "name", "wire0")
    n.sh("ip", "addr", "add", "192.168.160.1/24", "dev", "wire0")
    n.sh("ip", "link", "set", "wire0", "up")
    n.sh("ip", "link", "set", "lan0", "up")

    # Refused without anything left behind: no such host interface; a
    # target name some other interface has (which stays).
    assert "host interface 'nope' does not exist" in n.error(
        QEMU_PATH, CONNECT, "DomainCreateXML", "su",
        guest.domain_xml("bad1", extra_devices=direct_nic("nope", "52:54:00:12:35:01")), 0)
    assert "interface 'wire0' already exists" in n.error(
        QEMU_PATH, CONNECT, "DomainCreateXML", "su",
        guest.domain_xml("bad2", extra_devices=direct_nic("lan0", "52:54:00:12:35:02", target="wire0")), 0)
    assert "missing <source dev=...>" in n.error(
        QEMU_PATH, CONNECT, "DomainCreateXML", "su",
        guest.domain_xml("bad3", extra_devices="<interface type='direct'><mac address='52:54:00:12:35:03'/>"
                         "<model type='virtio'/></interface>"), 0)
    assert macvtaps(n) == {} and n.links()["wire0"]["operstate"] != "ABSENT"

    mac = "52:54:00:12:35:10"
    path = q.connect("DomainDefineXML", "s",
                     guest.domain_xml("dirvm", extra_devices=direct_nic("lan0", mac, mode="bridge")))
    q.start(path)
    con = q.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    iface = ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0]).find("devices/interface")
    assert iface.get("type") == "direct"
    assert (iface.find("source").get("dev"), iface.find("source").get("mode")) == ("lan0", "bridge")
    tap = iface.find("target").get("dev")
    assert re.fullmatch(r"macvtap\d+", tap)
    link = macvtaps(n)[tap]
    assert link["address"] == mac and link["link"] == "lan0" and link["linkinfo"]["info_data"]["mode"] == "bridge"
    assert "macvtap" not in q.dom(path, "GetXMLDesc", "u", 2)[0]

    # Traffic goes through the macvtap to the host's end of the wire and back.
    guest_value(con, "ip link set eth0 up; ip addr add 192.168.160.5/24 dev eth0 2>/dev/null; "
                "ping -c 1 -W 2 192.168.160.1 >/dev/null && echo up", "up")
    neighbours = n.sh("ip", "neigh", "show", "dev", "wire0").stdout
    assert "192.168.160.5" in neighbours and mac in neighbours
    st = stats(q, path)
    assert st["net.0.name"] == ("s", tap)
    assert st["net.0.tx.pkts"][1] > 0 and st["net.0.rx.pkts"][1] > 0

    # A second one, live, in the default mode (vepa), and out again.
    n.vb.clear_signals()
    q.dom(path, "AttachDevice", "su", direct_nic("lan0", "52:54:00:12:35:11"), 1)
    wait_domain_signal(q, "DeviceAdded", path, ("net1",), con)
    guest_value(con, "cat /sys/class/net/eth1/address", "52:54:00:12:35:11")
    second = [i for i in ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0]).findall("devices/interface")
              if i.find("mac").get("address") == "52:54:00:12:35:11"][0]
    tap2 = second.find("target").get("dev")
    assert macvtaps(n)[tap2]["linkinfo"]["info_data"]["mode"] == "vepa"
    assert "host interface 'gone0' does not exist" in n.error(
        path, DOMAIN, "AttachDevice", "su", direct_nic("gone0", "52:54:00:12:35:12"), 1)
    assert set(macvtaps(n)) == {tap, tap2}
    q.dom(path, "DetachDevice", "su", direct_nic("lan0", "52:54:00:12:35:11"), 1)
    wait_domain_signal(q, "DeviceRemoved", path, ("net1",), con)
    deadline = time.monotonic() + 5
    while tap2 in n.links():
        assert time.monotonic() < deadline, "the detached NIC's macvtap stayed"
        time.sleep(0.05)

    # The daemon dies and comes back: the guest keeps its macvtap, and it
    # goes with the guest.
    con.close()
    n.vb.kill_and_restart()
    con = q.console(path)
    guest_value(con, "ping -c 1 -W 2 192.168.160.1 >/dev/null && echo up", "up")
    con.close()
    pid = q.pid("dirvm")
    q.dom(path, "Destroy", "u", 0)
    wait_pids_gone([pid])
    assert macvtaps(n) == {}
    assert "lan0" in n.links() and "wire0" in n.links()


def ethernet_nic(mac, target=None, managed=None, extra=""):
    managed_attr = f" managed='{managed}'" if managed else ""
    target_xml = f"<target dev='{target}'{managed_attr}/>" if target else ""
    return (f"<interface type='ethernet'><mac address='{mac}'/>{extra}{target_xml}<model type='virtio'/>"
            f"</interface>")


def routes(n, dev):
    return sorted("%s via %s" % (r["dst"], r.get("gateway", "-"))
                  for r in json.loads(n.sh("ip", "-j", "route", "show", "dev", dev).stdout))


@pytest.mark.skipif(__import__("guest").missing_requirements() is not None,
                    reason=str(__import__("guest").missing_requirements()))
def test_guest_on_an_ethernet_interface(network):
    """<interface type='ethernet'>: a tap in no bridge, the host's side of
    it with the definition's addresses and routes, traffic between guest and
    host over it; or a tap the host made (managed='no'), used as it is and
    left in place."""
    import guest
    from test_qemu_hotplug import guest_value
    from test_qemu_lifecycle import BOOT_TIMEOUT, Qemu, wait_gone as wait_pids_gone

    n = network
    q = Qemu(n.vb, n.root)
    mac = "52:54:00:12:36:10"
    host_side = ("<ip address='192.168.170.1' prefix='24'/><ip address='10.1.0.1' peer='10.1.0.2'/>"
                 "<route address='10.77.0.0' prefix='16' gateway='192.168.170.5'/>")
    path = q.connect("DomainDefineXML", "s",
                     guest.domain_xml("ethvm", extra_devices=ethernet_nic(mac, target="vm-eth0", extra=host_side)))
    q.start(path)
    con = q.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    link = n.links()["vm-eth0"]
    assert link["linkinfo"]["info_kind"] == "tun" and "master" not in link
    assert link["address"] == "fe" + mac[2:] and "UP" in link["flags"]
    # A missing prefix is the classful one (as libvirt); the peer is the
    # other end of a point-to-point address.
    assert n.addresses("vm-eth0") == ["10.1.0.1/8", "192.168.170.1/24"]
    infos = json.loads(n.sh("ip", "-j", "addr", "show", "dev", "vm-eth0").stdout)[0]["addr_info"]
    assert [a.get("address") for a in infos if a["local"] == "10.1.0.1"] == ["10.1.0.2"]
    assert "10.77.0.0/16 via 192.168.170.5" in routes(n, "vm-eth0")
    iface = ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0]).find("devices/interface")
    assert iface.get("type") == "ethernet" and iface.find("target").get("dev") == "vm-eth0"
    assert [ip.get("address") for ip in iface.findall("ip")] == ["192.168.170.1", "10.1.0.1"]

    # The guest reaches the host over it.
    guest_value(con, "ip link set eth0 up; ip addr add 192.168.170.5/24 dev eth0 2>/dev/null; "
                "ping -c 1 -W 2 192.168.170.1 >/dev/null && echo up", "up")
    assert mac in n.sh("ip", "neigh", "show", "dev", "vm-eth0").stdout
    con.close()
    pid = q.pid("ethvm")
    q.dom(path, "Destroy", "u", 0)
    wait_pids_gone([pid])
    # The tap went with QEMU, and its routes with it.
    assert "vm-eth0" not in n.links()
    assert "10.77.0.0/16" not in n.sh("ip", "route").stdout

    # Its name taken: refused, the other interface untouched.
    n.sh("ip", "link", "add", "vm-eth0", "type", "veth", "peer", "name", "vm-eth0p")
    assert "interface 'vm-eth0' already exists" in n.error(path, DOMAIN, "Create", "u", 0)
    n.sh("ip", "link", "del", "vm-eth0")

    # A tap the host made and set up: opened as it is, and it stays.
    n.sh("ip", "tuntap", "add", "dev", "hosttap", "mode", "tap")
    n.sh("ip", "addr", "add", "192.168.171.1/24", "dev", "hosttap")
    n.sh("ip", "link", "set", "hosttap", "up")
    mac2 = "52:54:00:12:36:11"
    path2 = q.connect("DomainDefineXML", "s", guest.domain_xml(
        "ethvm2", extra_devices=ethernet_nic(mac2, target="hosttap", managed="no")))
    inactive = ET.fromstring(q.dom(path2, "GetXMLDesc", "u", 2)[0]).find("devices/interface/target")
    assert inactive.attrib == {"dev": "hosttap", "managed": "no"}
    q.start(path2)
    con = q.console(path2)
    con.wait_ready(BOOT_TIMEOUT)
    guest_value(con, "ip link set eth0 up; ip addr add 192.168.171.5/24 dev eth0 2>/dev/null; "
                "ping -c 1 -W 2 192.168.171.1 >/dev/null && echo up", "up")
    con.close()
    pid = q.pid("ethvm2")
    q.dom(path2, "Destroy", "u", 0)
    wait_pids_gone([pid])
    assert "hosttap" in n.links() and n.addresses("hosttap") == ["192.168.171.1/24"]
    # Gone: the start says so.
    n.sh("ip", "link", "del", "hosttap")
    assert "tap device 'hosttap' does not exist" in n.error(path2, DOMAIN, "Create", "u", 0)


def tap_queues(pid, tap):
    """How many queues of tap @tap process @pid holds (its /dev/net/tun
    descriptors attached to it)."""
    count = 0
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                count += "iff:\t%s\n" % tap in f.read()
        except FileNotFoundError:
            pass
    return count


def macvtap_queues(pid, ifindex):
    """How many descriptors of macvtap number @ifindex's device process
    @pid holds (/dev/tapN, or the daemon's own node for it)."""
    count = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            count += re.search(r"/tap%d(-[0-9a-f]+)?( \(deleted\))?$" % ifindex,
                               os.readlink("/proc/%d/fd/%s" % (pid, fd))) is not None
        except FileNotFoundError:
            pass
    return count


def mq_nic(kind, source, mac, queues, target=None, managed=None):
    src = {"bridge": f"<source bridge='{source}'/>", "direct": f"<source dev='{source}' mode='bridge'/>",
           "ethernet": ""}[kind]
    managed_attr = f" managed='{managed}'" if managed else ""
    target_xml = f"<target dev='{target}'{managed_attr}/>" if target else ""
    return (f"<interface type='{kind}'><mac address='{mac}'/>{src}{target_xml}<model type='virtio'/>"
            f"<driver queues='{queues}'/></interface>")


@pytest.mark.skipif(__import__("guest").missing_requirements() is not None,
                    reason=str(__import__("guest").missing_requirements()))
def test_multiqueue_interfaces(network):
    """<driver queues='N'>: a tap (or macvtap) opened once per queue, all
    of them handed to QEMU, a virtio NIC with as many queue pairs the guest
    uses one per vCPU; at start and hotplug, on a bridge, a macvtap and a
    tap the host made for several queues (one made for one is refused)."""
    import guest
    from test_qemu_hotplug import guest_value, wait_domain_signal
    from test_qemu_lifecycle import BOOT_TIMEOUT, Qemu, wait_gone as wait_pids_gone

    n = network
    q = Qemu(n.vb, n.root)
    n.sh("ip", "link", "add", "mqbr0", "type", "bridge")
    n.sh("ip", "addr", "add", "192.168.180.1/24", "dev", "mqbr0")
    n.sh("ip", "link", "set", "mqbr0", "up")
    n.sh("ip", "link", "add", "lan0", "type", "veth", "peer", "name", "wire0")
    n.sh("ip", "link", "set", "wire0", "up")
    n.sh("ip", "link", "set", "lan0", "up")

    # Refused before anything is made: a model without queues, a tap the
    # host made for one queue.
    assert "several queues need model type='virtio'" in n.error(
        QEMU_PATH, CONNECT, "DomainDefineXML", "s", guest.domain_xml(
            "bad", extra_devices=mq_nic("bridge", "mqbr0", "52:54:00:12:37:01", 2).replace("virtio", "e1000")))
    n.sh("ip", "tuntap", "add", "dev", "onetap", "mode", "tap")
    assert "was not made for several queues (multi_queue)" in n.error(
        QEMU_PATH, CONNECT, "DomainCreateXML", "su", guest.domain_xml(
            "bad2", extra_devices=mq_nic("ethernet", None, "52:54:00:12:37:02", 2, "onetap", "no")), 0)
    n.sh("ip", "tuntap", "add", "dev", "mqtap", "mode", "tap", "multi_queue")

    mac = "52:54:00:12:37:10"
    devices = (mq_nic("bridge", "mqbr0", mac, 4) + mq_nic("direct", "lan0", "52:54:00:12:37:11", 2)
               + mq_nic("ethernet", None, "52:54:00:12:37:12", 2, "mqtap", "no"))
    path = q.connect("DomainDefineXML", "s", guest.domain_xml("mqvm", vcpus=2, extra_devices=devices))
    q.start(path)
    con = q.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    pid = q.pid("mqvm")
    ifaces = ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0]).findall("devices/interface")
    assert [i.find("driver").get("queues") for i in ifaces] == ["4", "2", "2"]
    tap, macvtap = ifaces[0].find("target").get("dev"), ifaces[1].find("target").get("dev")
    # The host side: a multiqueue tap, each queue of it open in QEMU.
    assert "multi_queue" in n.sh("ip", "-d", "link", "show", "dev", tap).stdout
    assert tap_queues(pid, tap) == 4 and tap_queues(pid, "mqtap") == 2
    assert macvtap_queues(pid, n.links()[macvtap]["ifindex"]) == 2
    cmdline = open("/proc/%d/cmdline" % pid).read().split("\0")
    assert any(",mq=on,vectors=10," in a for a in cmdline) and any(",mq=on,vectors=6," in a for a in cmdline)
    # The guest's side: virtio-net with several queues (feature bit 22,
    # VIRTIO_NET_F_MQ), of which it uses one pair per vCPU.
    for dev in ("eth0", "eth1", "eth2"):
        guest_value(con, "cut -c23 /sys/class/net/%s/device/features" % dev, "1")
        guest_value(con, "ls /sys/class/net/%s/queues | grep -c rx-" % dev, "2")
    # Traffic flows over it.
    guest_value(con, "ip link set eth0 up; ip addr add 192.168.180.5/24 dev eth0 2>/dev/null; "
                "ping -c 3 -W 2 192.168.180.1 >/dev/null && echo up", "up")

    # Its queues do not change live.
    assert "its queues (4) cannot change while the guest runs" in n.error(
        path, DOMAIN, "UpdateDevice", "su", mq_nic("bridge", "mqbr0", mac, 2), 1)

    # One more, live, and out again: its queues' descriptors go with it.
    n.vb.clear_signals()
    mac2 = "52:54:00:12:37:13"
    q.dom(path, "AttachDevice", "su", mq_nic("bridge", "mqbr0", mac2, 3), 1)
    wait_domain_signal(q, "DeviceAdded", path, ("net3",), con)
    guest_value(con, "cat /sys/class/net/eth3/address", mac2)
    guest_value(con, "cut -c23 /sys/class/net/eth3/device/features", "1")
    guest_value(con, "ls /sys/class/net/eth3/queues | grep -c rx-", "2")
    third = [i for i in ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0]).findall("devices/interface")
             if i.find("mac").get("address") == mac2][0]
    tap2 = third.find("target").get("dev")
    assert third.find("driver").get("queues") == "3" and tap_queues(pid, tap2) == 3
    q.dom(path, "DetachDevice", "su", mq_nic("bridge", "mqbr0", mac2, 3), 1)
    wait_domain_signal(q, "DeviceRemoved", path, ("net3",), con)
    deadline = time.monotonic() + 5
    while tap2 in n.links() or tap_queues(pid, tap2):
        assert time.monotonic() < deadline, "the detached NIC's tap stayed"
        time.sleep(0.05)
    con.close()
    q.dom(path, "Destroy", "u", 0)
    wait_pids_gone([pid])
    # Ours went with the guest; the host's stayed.
    assert tap not in n.links() and macvtap not in n.links() and "mqtap" in n.links()
    # The host's tap for several queues wants them asked for.
    assert "was made for several queues (multi_queue): the interface needs <driver queues=...>" in n.error(
        QEMU_PATH, CONNECT, "DomainCreateXML", "su", guest.domain_xml(
            "bad3", extra_devices=ethernet_nic("52:54:00:12:37:14", target="mqtap", managed="no")), 0)


def listening(n):
    """The TCP addresses ("ADDR:PORT") listened on in the namespace."""
    return set(line.split()[3] for line in n.sh("ss", "-Hltn").stdout.splitlines())


@pytest.mark.skipif(__import__("guest").missing_requirements() is not None,
                    reason=str(__import__("guest").missing_requirements()))
def test_displays_listen_on_a_network(network):
    """<listen type='network'>: the display listens on the network's
    address, looked up at each start (the live XML shows it, the persistent
    one does not); a network over a host bridge lends the bridge's
    address; a network that is missing, not running or has no address
    stops the start with a clear error and leaves nothing behind."""
    import guest
    from test_qemu_lifecycle import Qemu, wait_gone as wait_pids_gone

    n = network
    q = Qemu(n.vb, n.root)
    lan = n.define(net_xml("lan", ip="192.168.160.1", dhcp=False))
    n.sh("ip", "link", "add", "hostbr1", "type", "bridge")
    n.sh("ip", "link", "set", "hostbr1", "up")
    brnet = n.define(net_xml("brnet", forward="bridge", bridge="hostbr1", ip=None))
    displays = ("<graphics type='vnc' autoport='yes'><listen type='network' network='lan'/></graphics>"
                "<graphics type='spice' autoport='yes'><listen type='network' network='brnet'/></graphics>")
    path = q.connect("DomainDefineXML", "s", guest.domain_xml("listenvm", extra_devices=displays))
    inactive = ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0])
    assert [g.find("listen").attrib for g in inactive.findall("devices/graphics")] == [
        {"type": "network", "network": "lan"}, {"type": "network", "network": "brnet"}]

    # Neither network runs yet, then the bridge has no address.
    assert ("the vnc display of domain 'listenvm' cannot listen on network 'lan': network 'lan' is not active"
            in n.error(path, DOMAIN, "Create", "u", 0))
    n.net(lan, "Create")
    n.net(brnet, "Create")
    assert ("cannot listen on network 'brnet': interface 'hostbr1' of network 'brnet' has no IPv4 address "
            "to listen on" in n.error(path, DOMAIN, "Create", "u", 0))
    assert q.state(path)[0] == 5 and q.runtime_leftovers() == []
    n.sh("ip", "addr", "add", "10.9.8.7/24", "dev", "hostbr1")

    q.start(path)
    live = ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0])
    vnc, spice = live.findall("devices/graphics")
    assert vnc.find("listen").attrib == {"type": "network", "network": "lan", "address": "192.168.160.1"}
    assert vnc.get("listen") == "192.168.160.1"
    assert spice.find("listen").attrib == {"type": "network", "network": "brnet", "address": "10.9.8.7"}
    vnc_port, spice_port = int(vnc.get("port")), int(spice.get("port"))
    assert vnc_port >= 5900 and spice_port >= 5900 and vnc_port != spice_port
    # QEMU listens there, and only there.
    deadline = time.monotonic() + 10
    want = {"192.168.160.1:%d" % vnc_port, "10.9.8.7:%d" % spice_port}
    while not want <= listening(n):
        assert time.monotonic() < deadline, listening(n)
        time.sleep(0.05)
    assert not any(a.endswith(":%d" % vnc_port) and a != "192.168.160.1:%d" % vnc_port for a in listening(n))
    banner = n.sh(sys.executable, "-c", "import socket; s = socket.create_connection(('192.168.160.1', %d), 10); "
                  "print(s.recv(12).decode().strip())" % vnc_port).stdout.strip()
    assert banner.startswith("RFB 003."), banner
    # The persistent definition keeps the network, not its address.
    persistent = q.dom(path, "GetXMLDesc", "u", 2)[0]
    assert "192.168.160.1" not in persistent and "10.9.8.7" not in persistent
    pid = q.pid("listenvm")
    q.dom(path, "Destroy", "u", 0)
    wait_pids_gone([pid])
    after = ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0])
    assert [g.find("listen").attrib for g in after.findall("devices/graphics")] == [
        {"type": "network", "network": "lan"}, {"type": "network", "network": "brnet"}]

    # A network of its own with no address, and one that does not exist.
    bare = n.define(net_xml("bare", forward=None, ip=None))
    n.net(bare, "Create")
    xml = guest.domain_xml("listenvm2", extra_devices="<graphics type='vnc' autoport='yes'>"
                           "<listen type='network' network='bare'/></graphics>")
    path2 = q.connect("DomainDefineXML", "s", xml)
    assert "network 'bare' has no IP address to listen on" in n.error(path2, DOMAIN, "Create", "u", 0)
    xml = guest.domain_xml("listenvm3", extra_devices="<graphics type='vnc' autoport='yes'>"
                           "<listen type='network' network='nope'/></graphics>")
    assert "cannot listen on network 'nope': no network with matching name 'nope'" in n.error(
        QEMU_PATH, CONNECT, "DomainCreateXML", "su", xml, 0)
    assert q.runtime_leftovers() == []


@pytest.mark.skipif(__import__("guest").missing_requirements() is not None,
                    reason=str(__import__("guest").missing_requirements()))
def test_networks_of_macvtaps(network):
    """Forward modes bridge (without a bridge name), vepa, private and
    passthrough: the network's guests go onto its host interfaces with
    macvtaps, spread over them, one per interface in passthrough mode."""
    import guest
    from test_qemu_hotplug import guest_value, wait_domain_signal
    from test_qemu_lifecycle import BOOT_TIMEOUT, Qemu, wait_gone as wait_pids_gone

    n = network
    q = Qemu(n.vb, n.root)
    for i in (0, 1, 2):
        n.sh("ip", "link", "add", "up%d" % i, "type", "veth", "peer", "name", "far%d" % i)
        n.sh("ip", "addr", "add", "192.168.18%d.1/24" % i, "dev", "far%d" % i)
        for dev in ("up%d" % i, "far%d" % i):
            n.sh("ip", "link", "set", dev, "up")

    # What such a network cannot have.
    for xml, text in (
            ("<network><name>m1</name><forward mode='vepa'/></network>", "needs the host interfaces"),
            ("<network><name>m1</name><forward mode='bridge'/></network>", "or a host bridge"),
            ("<network><name>m1</name><forward mode='private' dev='up0'/><ip address='10.1.1.1' prefix='24'/>"
             "</network>", "<ip>, <dns>, <domain> and <mac> belong to the host's own setup"),
            ("<network><name>m1</name><forward mode='passthrough'><pf dev='up0'/></forward></network>",
             "SR-IOV physical functions"),
            ("<network><name>m1</name><forward mode='hostdev'/></network>", "not supported")):
        assert text in n.error(QEMU_PATH, CONNECT, "NetworkDefineXML", "s", xml), xml
    before = set(n.links())
    spread = n.define("<network><name>spread</name><forward mode='bridge'><interface dev='up0'/>"
                      "<interface dev='up1'/></forward></network>")
    single = n.define("<network><name>single</name><forward mode='passthrough' dev='up2'/></network>")
    missing = n.define("<network><name>missing</name><forward mode='vepa'><interface dev='nope0'/></forward>"
                       "</network>")
    assert "forwards to host interface 'nope0', which does not exist" in n.error(missing, NETWORK, "Create")
    assert n.prop(missing, "Active") is False
    n.net(spread, "Create")
    n.net(single, "Create")
    # No bridge, no dnsmasq, no firewall table of ours.
    assert set(n.links()) == before and n.tables() == [] and n.dnsmasq_pid("spread") is None
    assert n.net(spread, "GetDHCPLeases", "su", "", 0) == ([],)
    assert n.xml(spread).find("bridge") is None

    macs = ["52:54:00:12:36:%02x" % i for i in range(1, 5)]
    nics = nic(("network", "spread"), macs[0]) + nic(("network", "spread"), macs[1])
    path = q.connect("DomainDefineXML", "s", guest.domain_xml("mvvm", extra_devices=nics))
    q.start(path)
    con = q.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    live = q.dom(path, "GetXMLDesc", "u", 0)[0]
    from test_schemas import validate
    validate(live, "domain.rng")
    ifaces = ET.fromstring(live).findall("devices/interface")
    assert [i.get("type") for i in ifaces] == ["direct", "direct"]
    assert [(i.find("source").get("network"), i.find("source").get("mode")) for i in ifaces] == \
        [("spread", "bridge")] * 2
    # Spread over both interfaces.
    assert sorted(i.find("source").get("dev") for i in ifaces) == ["up0", "up1"]
    taps = macvtaps(n)
    assert sorted(link["link"] for link in taps.values()) == ["up0", "up1"]
    # The config keeps the network.
    config = ET.fromstring(q.dom(path, "GetXMLDesc", "u", 2)[0]).findall("devices/interface")
    assert [i.get("type") for i in config] == ["network", "network"]
    assert all(i.find("source").get("dev") is None and i.find("target") is None for i in config)
    on_up0 = [i for i in ifaces if i.find("source").get("dev") == "up0"][0].find("mac").get("address")
    eth = "eth0" if on_up0 == macs[0] else "eth1"
    guest_value(con, "ip link set %s up; ip addr add 192.168.180.5/24 dev %s 2>/dev/null; "
                "ping -c 1 -W 2 192.168.180.1 >/dev/null && echo up" % (eth, eth), "up")

    # Passthrough: one guest NIC per interface.
    n.vb.clear_signals()
    q.dom(path, "AttachDevice", "su", nic(("network", "single"), macs[2]), 1)
    wait_domain_signal(q, "DeviceAdded", path, ("net2",), con)
    third = [i for i in ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0]).findall("devices/interface")
             if i.find("mac").get("address") == macs[2]][0]
    assert (third.find("source").get("dev"), third.find("source").get("mode")) == ("up2", "passthrough")
    assert "has no free interface" in n.error(path, DOMAIN, "AttachDevice", "su", nic(("network", "single"), macs[3]),
                                              1)
    assert len(macvtaps(n)) == 3
    # Passthrough onto an interface that has other macvtaps: said clearly.
    assert "the guest must be alone on 'up0'" in n.error(
        path, DOMAIN, "AttachDevice", "su", direct_nic("up0", macs[3], mode="passthrough"), 1)
    assert len(macvtaps(n)) == 3

    # A restart keeps them; the guest's end removes them all.
    con.close()
    n.vb.kill_and_restart()
    assert [i.get("type") for i in ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0]).findall(
        "devices/interface")] == ["direct"] * 3
    pid = q.pid("mvvm")
    q.dom(path, "Destroy", "u", 0)
    wait_pids_gone([pid])
    assert macvtaps(n) == {}
    # And the next start begins again from the network.
    q.start(path)
    assert len(macvtaps(n)) == 2
    q.dom(path, "Destroy", "u", 0)
    assert macvtaps(n) == {}


def test_shipped_default_network(network):
    """data/networks/default.xml, as the README tells users to define it."""
    n = network
    with open(os.path.join(os.environ.get("VB_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", "..")),
                           "data", "networks", "default.xml")) as f:
        path = n.define(f.read())
    n.vb.set_property(path, NETWORK, "Autostart", GLib.Variant("b", True))
    n.net(path, "Create")
    assert n.addresses("virbr0") == ["192.168.122.1/24"]
    assert "dhcp-range=192.168.122.2,192.168.122.254" in n.dnsmasq_text("default", ".conf")
    x = n.xml(path, 1)
    assert x.find("uuid") is not None and x.find("mac") is not None
    n.net(path, "Destroy")
    n.net(path, "Undefine")
