"""Authorization of the system instance, against python-dbusmock's polkitd.

virtbusd --system runs as root on a private system bus; callers run as uid
65534 (nobody) through setpriv. The mock polkit allows exactly the actions
the test lists (SetAllowed), so every method of every interface can be
checked table-driven: denied with org.virtbus.Error.NotAuthorized and no
state change when its permission is missing, let through when it is there.
Root, and the session instance's own user, never ask polkit.
"""
import os
import signal
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest
from gi.repository import Gio, GLib

from authz_helpers import (AUTH_CANCELLED, NOT_AUTHORIZED, SOURCE_ROOT, Client, SystemVirtbus, interfaces, open_bus,
                           wait_for_name)
from conftest import TEST_PATH, Virtbus

PREFIX = "org.virtbus.api."
POLKIT = "org.freedesktop.PolicyKit1"
MOCK_PATH = "/org/freedesktop/PolicyKit1/Authority"
DOM = "org.libvirt.Domain"
CONN = "org.libvirt.Connect"
PROPS = "org.freedesktop.DBus.Properties"
TEST_DOM = TEST_PATH + "/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run clients as another uid")


class Polkit:
    def __init__(self, bus):
        env = dict(os.environ)
        env["DBUS_SYSTEM_BUS_ADDRESS"] = bus.address
        self.proc = subprocess.Popen(["/usr/bin/python3", "-m", "dbusmock", "--template", "polkitd", "--system"],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.conn = bus.connection
        wait_for_name(self.conn, POLKIT)

    def mock(self, method, signature, *args):
        self.conn.call_sync(POLKIT, MOCK_PATH, "org.freedesktop.DBus.Mock", method,
                            GLib.Variant("(%s)" % signature, args), None, Gio.DBusCallFlags.NONE, 5000, None)

    def query(self, method):
        return self.conn.call_sync(POLKIT, MOCK_PATH, "org.freedesktop.DBus.Mock", method, None, None,
                                   Gio.DBusCallFlags.NONE, 5000, None).unpack()[0]

    def allow(self, *perms):
        self.mock("SetAllowed", "as", [PREFIX + p for p in perms])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def system(tmp_root):
    bus = open_bus(tmp_root, "system")
    polkit = Polkit(bus)
    root = os.path.join(tmp_root, "root")
    os.makedirs(root)
    vb = SystemVirtbus(bus, root, args=("--driver", "test"))
    client = Client(bus.address)
    yield vb, polkit, client
    client.close()
    code = vb.stop()
    vb.close()
    polkit.stop()
    bus.stop()
    assert code == 0, vb.read_log()


def object_for_each_interface(vb):
    """One object path per interface, creating a snapshot and a secret."""
    vb.call1(TEST_DOM, DOM, "SnapshotCreateXML", "su", "<domainsnapshot><name>s1</name></domainsnapshot>", 0)
    vb.connect_call("SecretDefineXML", "su",
                    "<secret ephemeral='no' private='no'><usage type='volume'><volume>/v.img</volume>"
                    "</usage></secret>", 0)
    pool = [p for p, i in vb.managed_objects().items() if "org.libvirt.StoragePool" in i][0]
    vb.call1(pool, "org.libvirt.StoragePool", "StorageVolCreateXML", "su",
             "<volume><name>authz.img</name><capacity unit='MiB'>1</capacity></volume>", 0)
    paths = {}
    for path, ifaces in sorted(vb.managed_objects().items()):
        for name in ifaces:
            paths.setdefault(name, path)
    paths[DOM] = TEST_DOM
    return paths


def has_properties(iface):
    idir = os.path.join(SOURCE_ROOT, "interfaces")
    for name in os.listdir(idir):
        if name.endswith(".xml"):
            for i in ET.parse(os.path.join(idir, name)).getroot().iter("interface"):
                if i.get("name") == iface:
                    return any(True for _ in i.iter("property"))
    return False


def test_unprivileged_denied_everything_state_unchanged(system):
    vb, polkit, client = system
    paths = object_for_each_interface(vb)
    # org.virtbus.* additions are offered by some connections only (not the
    # test one); the unit test test-gatekeeper covers their table entries.
    table = {k: v for k, v in interfaces().items() if k.startswith("org.libvirt.") or k in paths}
    assert set(table) - set(paths) == set(), "no object to call for %s" % (set(table) - set(paths))
    before = vb.managed_objects()
    calls = 0
    for iface, (methods, props) in table.items():
        for method, sig in methods:
            reply = client.call(paths[iface], iface, method, sig)
            assert reply.get("error") == NOT_AUTHORIZED, (iface, method, reply)
            assert "not authorized" in reply["message"] and PREFIX in reply["message"], reply
            calls += 1
        for prop, ptype in props:
            value = [ptype, True if ptype == "b" else 0]
            reply = client.call(paths[iface], PROPS, "Set", "ssv", [iface, prop, value])
            assert reply.get("error") == NOT_AUTHORIZED, (iface, prop, reply)
            calls += 1
        # Reading properties is seeing the object: getattr. Root reads them
        # first, so that the values are published for the answers from
        # GDBus' worker thread: those are for callers that pass anyway.
        if props:
            vb.properties(paths[iface], iface)
            reply = client.call(paths[iface], PROPS, "Get", "ss", [iface, props[0][0]])
            assert reply.get("error") == NOT_AUTHORIZED, (iface, props[0][0], reply)
        reply = client.call(paths[iface], PROPS, "GetAll", "s", [iface])
        if reply.get("ok") == [{}]:
            # GDBus answers GetAll itself for an interface without properties.
            assert not has_properties(iface), iface
        else:
            assert reply.get("error") == NOT_AUTHORIZED, (iface, reply)
    assert calls > 190
    assert vb.managed_objects() == before


def test_unprivileged_let_through_when_allowed(system):
    vb, polkit, client = system
    paths = object_for_each_interface(vb)
    polkit.mock("AllowUnknown", "b", True)
    for iface, (methods, props) in interfaces().items():
        if iface not in paths:
            continue
        for method, sig in methods:
            if (iface, method) in ((DOM, "Undefine"), ("org.libvirt.DomainSnapshot", "Delete")):
                continue  # keep the objects for the calls after them
            reply = client.call(paths[iface], iface, method, sig)
            # Arguments are dummies: the backend may refuse them, the gate may not.
            assert reply.get("error") not in (NOT_AUTHORIZED, AUTH_CANCELLED), (iface, method, reply)


def test_method_needs_its_permission(system):
    vb, polkit, client = system
    assert vb.get_property(TEST_DOM, DOM, "Active") is True
    polkit.allow("domain.start")  # not stop
    reply = client.call(TEST_DOM, DOM, "Destroy", "u", [0])
    assert reply == {"error": NOT_AUTHORIZED, "message": reply["message"]}
    assert "org.virtbus.api.domain.stop" in reply["message"]
    assert vb.get_property(TEST_DOM, DOM, "Active") is True
    polkit.allow("domain.stop")
    assert client.call(TEST_DOM, DOM, "Destroy", "u", [0]) == {"ok": []}
    assert vb.get_property(TEST_DOM, DOM, "Active") is False
    # Every permission libvirt checks is needed: define takes write AND save.
    xml = "<domain type='test'><name>n1</name><memory>1024</memory><os><type>hvm</type></os></domain>"
    polkit.allow("domain.write")
    assert client.call(TEST_PATH, CONN, "DomainDefineXML", "s", [xml])["error"] == NOT_AUTHORIZED
    polkit.allow("domain.write", "domain.save")
    path = client.call(TEST_PATH, CONN, "DomainDefineXML", "s", [xml])["ok"][0]
    assert vb.get_property(path, DOM, "Name") == "n1"


def test_properties_set_is_gated(system):
    vb, polkit, client = system
    assert vb.get_property(TEST_DOM, DOM, "Autostart") is False
    polkit.allow("domain.getattr")
    reply = client.call(TEST_DOM, PROPS, "Set", "ssv", [DOM, "Autostart", ["b", True]])
    assert reply["error"] == NOT_AUTHORIZED and "domain.write" in reply["message"]
    assert vb.get_property(TEST_DOM, DOM, "Autostart") is False
    polkit.allow("domain.getattr", "domain.write")
    assert client.call(TEST_DOM, PROPS, "Set", "ssv", [DOM, "Autostart", ["b", True]]) == {"ok": []}
    assert vb.get_property(TEST_DOM, DOM, "Autostart") is True
    # Get/GetAll of a visible object work as for root.
    assert client.call(TEST_DOM, PROPS, "Get", "ss", [DOM, "Name"]) == {"ok": ["test"]}
    got = client.call(TEST_DOM, PROPS, "GetAll", "s", [DOM])["ok"][0]
    assert got["Name"] == "test" and got["Autostart"] is True


def test_lists_and_managed_objects_show_only_visible(system):
    vb, polkit, client = system
    everything = vb.managed_objects()
    domains = vb.connect_call("ListDomains", "u", 0)
    assert TEST_DOM in domains
    # No search permission: the list itself is refused.
    assert client.call(TEST_PATH, CONN, "ListDomains", "u", [0])["error"] == NOT_AUTHORIZED
    # Search but no getattr: an empty list.
    polkit.allow("connect.search-domains")
    assert client.call(TEST_PATH, CONN, "ListDomains", "u", [0]) == {"ok": [[]]}
    polkit.allow("connect.search-domains", "domain.getattr")
    assert sorted(client.call(TEST_PATH, CONN, "ListDomains", "u", [0])["ok"][0]) == sorted(domains)
    # GetManagedObjects: the connection object, plus what may be seen.
    polkit.allow()
    seen = client.call("/org/libvirt", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")["ok"][0]
    assert sorted(seen) == [TEST_PATH]
    assert seen[TEST_PATH][CONN]["Hostname"] == everything[TEST_PATH][CONN]["Hostname"]
    polkit.allow("domain.getattr", "network.getattr")
    seen = client.call("/org/libvirt", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")["ok"][0]
    expected = {p for p, i in everything.items() if p == TEST_PATH or DOM in i or "org.libvirt.Network" in i}
    assert set(seen) == expected and len(expected) > 2
    assert seen[TEST_DOM][DOM]["Name"] == "test"
    # Lookups of an invisible object are refused.
    polkit.allow("network.getattr")
    assert client.call(TEST_PATH, CONN, "DomainLookupByName", "s", ["test"])["error"] == NOT_AUTHORIZED
    polkit.allow("domain.getattr")
    assert client.call(TEST_PATH, CONN, "DomainLookupByName", "s", ["test"]) == {"ok": [TEST_DOM]}


def test_root_never_asks(system):
    vb, polkit, client = system
    polkit.allow()  # polkit says no to everything; root does not ask it
    vb.call(TEST_DOM, DOM, "Destroy", "u", 0)
    assert vb.get_property(TEST_DOM, DOM, "Active") is False
    vb.set_property(TEST_DOM, DOM, "Autostart", GLib.Variant("b", True))
    assert vb.get_property(TEST_DOM, DOM, "Autostart") is True
    assert TEST_DOM in vb.managed_objects()


def test_pending_check_does_not_block_the_daemon(system, bus_address=None):
    vb, polkit, client = system
    other = Client(vb.bus.address)
    try:
        polkit.allow("domain.stop", "domain.read")
        polkit.mock("SimulateHangActions", "as", [PREFIX + "domain.stop"])
        client.send(TEST_DOM, DOM, "Destroy", "u", [0])
        deadline = time.monotonic() + 10
        while not polkit.query("HaveHangingCalls"):
            assert time.monotonic() < deadline, "the check never reached polkit"
            time.sleep(0.02)
        # While that check hangs, others are served: root and another caller.
        assert "<name>test</name>" in vb.call1(TEST_DOM, DOM, "GetXMLDesc", "u", 0)
        assert other.call(TEST_DOM, DOM, "GetState", "u", [0])["ok"][0][0] == 1
        assert vb.get_property(TEST_DOM, DOM, "Active") is True
        polkit.mock("ReleaseHangingCalls", "")
        assert client.receive() == {"ok": []}
        assert vb.get_property(TEST_DOM, DOM, "Active") is False
    finally:
        other.close()


def test_session_instance_only_its_own_user(tmp_root):
    bus = open_bus(tmp_root, "session")
    root = os.path.join(tmp_root, "root")
    os.makedirs(root)
    vb = Virtbus(bus, root)
    client = Client(bus.address)
    try:
        reply = client.call(TEST_DOM, DOM, "Destroy", "u", [0])
        assert reply["error"] == NOT_AUTHORIZED and "uid 65534" in reply["message"]
        reply = client.call("/org/libvirt", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")
        assert reply["error"] == NOT_AUTHORIZED
        reply = client.call(TEST_DOM, PROPS, "Get", "ss", [DOM, "Name"])
        assert reply["error"] == NOT_AUTHORIZED
        assert vb.get_property(TEST_DOM, DOM, "Active") is True
        vb.call(TEST_DOM, DOM, "Destroy", "u", 0)  # the owner is unaffected
        assert vb.get_property(TEST_DOM, DOM, "Active") is False
    finally:
        client.close()
        code = vb.stop()
        vb.close()
        bus.stop()
    assert code == 0


def test_system_unit_is_sandboxed():
    from conftest import build_root
    unit = {}
    with open(os.path.join(build_root(), "data", "virtbusd.service")) as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                key, value = line.strip().split("=", 1)
                unit[key] = value
    assert unit["ProtectSystem"] == "strict"
    assert unit["ProtectHome"] == "read-only"
    assert unit["PrivateTmp"] == unit["NoNewPrivileges"] == "yes"
    for d in ("/etc/virtbus", "/var/lib/virtbus", "/run/virtbus", "/var/log/virtbus"):
        assert d in unit["ReadWritePaths"].split()
    caps = set(unit["CapabilityBoundingSet"].split())
    assert {"CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_KILL", "CAP_NET_ADMIN"} <= caps
    assert not caps & {"CAP_SYS_MODULE", "CAP_SYS_PTRACE", "CAP_SYS_BOOT", "CAP_MAC_ADMIN", "CAP_SETFCAP"}


def test_interactive_flag_and_dismissed_dialog(system):
    vb, polkit, client = system
    # Replace the mock's answer: a dismissed dialog when the call allowed
    # interaction (flag 1 reached polkit), a challenge otherwise.
    polkit.mock("AddMethod", "sssss", "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization",
                "(sa{sv})sa{ss}us", "(bba{ss})",
                "ret = (False, False, {'polkit.dismissed': 'true'}) if args[3] & 1 else (False, True, {})")
    reply = client.call(TEST_DOM, DOM, "Destroy", "u", [0], interactive=True)
    assert reply["error"] == AUTH_CANCELLED and "dismissed" in reply["message"], reply
    reply = client.call(TEST_DOM, DOM, "Destroy", "u", [0])
    assert reply["error"] == NOT_AUTHORIZED and "interactive" in reply["message"], reply
    assert vb.get_property(TEST_DOM, DOM, "Active") is True


def polkit_rule(polkit, expression):
    """Make the mock polkit decide like a rules file: @expression (Python)
    sees `action` (the id without our prefix) and `details` (the dict the
    daemon sent) and says whether the call is allowed."""
    code = ("action = args[1][len('%s'):] if args[1].startswith('%s') else ''\n"
            "details = dict(args[2])\n"
            "ret = (bool(%s), False, {})") % (PREFIX, PREFIX, expression)
    polkit.mock("AddMethod", "sssss", "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization",
                "(sa{sv})sa{ss}us", "(bba{ss})", code)


def test_get_all_domain_stats_shows_only_readable_domains(system):
    vb, polkit, client = system
    vb.connect_call("DomainDefineXML", "s",
                    "<domain type='test'><name>other</name><memory>1024</memory><os><type>hvm</type></os></domain>")
    assert sorted(r[0] for r in vb.connect_call("GetAllDomainStats", "uu", 0, 0)) == ["other", "test"]
    # libvirt: connect.search-domains for the call, domain.read per record.
    polkit_rule(polkit, "action == 'connect.search-domains' or "
                        "(action == 'domain.read' and details.get('domain_name') == 'test')")
    records = client.call(TEST_PATH, CONN, "GetAllDomainStats", "uu", [0, 0])["ok"][0]
    assert [r[0] for r in records] == ["test"]
    root_records = dict(vb.connect_call("GetAllDomainStats", "uu", 0, 0))
    # The record is the full one (counters move on between the two calls).
    assert set(records[0][1]) == set(root_records["test"]) and records[0][1]["state.state"] == 1
    # Without search-domains the call itself is refused.
    polkit_rule(polkit, "action == 'domain.read'")
    reply = client.call(TEST_PATH, CONN, "GetAllDomainStats", "uu", [0, 0])
    assert reply["error"] == NOT_AUTHORIZED and "connect.search-domains" in reply["message"]
    # Root still gets every record.
    assert sorted(r[0] for r in vb.connect_call("GetAllDomainStats", "uu", 0, 0)) == ["other", "test"]


def test_define_checks_the_new_objects_identity(system):
    vb, polkit, client = system
    # A rule that lets the caller define only a domain named allowed-vm.
    # Without a name in the details (malformed XML) the rule lets the call
    # through, to show the gate falls back and the backend reports the XML.
    polkit_rule(polkit, "action in ('domain.write', 'domain.save') and "
                        "details.get('domain_name', 'allowed-vm') == 'allowed-vm' and "
                        "details.get('connect_driver') == 'Test'")
    xml = "<domain type='test'><name>%s</name><memory>1024</memory><os><type>hvm</type></os></domain>"
    path = client.call(TEST_PATH, CONN, "DomainDefineXML", "s", [xml % "allowed-vm"])["ok"][0]
    assert vb.get_property(path, DOM, "Name") == "allowed-vm"
    reply = client.call(TEST_PATH, CONN, "DomainDefineXML", "s", [xml % "other-vm"])
    assert reply["error"] == NOT_AUTHORIZED and "domain.write" in reply["message"], reply
    names = [vb.get_property(p, DOM, "Name") for p in vb.connect_call("ListDomains", "u", 0)]
    assert "other-vm" not in names and "allowed-vm" in names
    reply = client.call(TEST_PATH, CONN, "DomainDefineXML", "s", ["<domain><name>allowed-vm</name>"])
    assert reply.get("error") not in (None, NOT_AUTHORIZED), reply
    # The UUID goes along too: a rule on domain_uuid.
    uuid = "0b1e4f1c-7a4d-4e0e-9b64-8f5a3f6c2d11"
    polkit_rule(polkit, "action in ('domain.write', 'domain.save') and details.get('domain_uuid') == '%s'" % uuid)
    uxml = ("<domain type='test'><name>by-uuid</name><uuid>%s</uuid><memory>1024</memory>"
            "<os><type>hvm</type></os></domain>")
    assert client.call(TEST_PATH, CONN, "DomainDefineXML", "s", [uxml % uuid.upper()])["ok"]
    reply = client.call(TEST_PATH, CONN, "DomainDefineXML", "s", [uxml.replace("by-uuid", "by-uuid2") %
                                                                   "0b1e4f1c-7a4d-4e0e-9b64-8f5a3f6c2d12"])
    assert reply["error"] == NOT_AUTHORIZED
    # Other kinds: a network named only-this.
    polkit_rule(polkit, "action in ('network.write', 'network.save') and "
                        "details.get('network_name') == 'only-this'")
    nxml = "<network><name>%s</name><bridge name='virbr9'/></network>"
    assert client.call(TEST_PATH, CONN, "NetworkDefineXML", "s", [nxml % "only-this"])["ok"]
    assert client.call(TEST_PATH, CONN, "NetworkDefineXML", "s", [nxml % "not-this"])["error"] == NOT_AUTHORIZED


def test_affect_config_needs_save(system):
    vb, polkit, client = system
    polkit.allow("domain.write")
    # LIVE only: write is enough.
    assert client.call(TEST_DOM, DOM, "SetMemory", "tu", [1000000, 1]) == {"ok": []}
    # CONFIG: the persistent definition changes, which takes save.
    reply = client.call(TEST_DOM, DOM, "SetMemory", "tu", [900000, 2])
    assert reply["error"] == NOT_AUTHORIZED and "domain.save" in reply["message"], reply
    polkit.allow("domain.write", "domain.save")
    assert client.call(TEST_DOM, DOM, "SetMemory", "tu", [900000, 2]) == {"ok": []}


@pytest.fixture
def system_qemu(tmp_root):
    if not os.path.exists("/usr/bin/qemu-system-x86_64"):
        pytest.skip("needs qemu-system-x86_64")
    bus = open_bus(tmp_root, "system")
    polkit = Polkit(bus)
    root = os.path.join(tmp_root, "root")
    # QEMU runs as nobody: it must reach its run and log directories.
    for d in ("run", "var/log"):
        os.makedirs(os.path.join(root, d), mode=0o755)
    vb = SystemVirtbus(bus, root, args=("--driver", "qemu", "--qemu-user", "nobody"))
    client = Client(bus.address)
    yield vb, polkit, client
    client.close()
    code = vb.stop()
    vb.close()
    polkit.stop()
    bus.stop()
    assert code == 0, vb.read_log()


def test_qemu_define_checks_the_callers_host_paths(system_qemu, tmp_root):
    vb, polkit, client = system_qemu
    qemu = "/org/libvirt/QEMU"
    # A disk image only root may read, and one anybody may use.
    private = os.path.join(tmp_root, "private")
    os.makedirs(private, mode=0o700)
    os.chmod(private, 0o700)
    secret = os.path.join(private, "secret.img")
    public = os.path.join(tmp_root, "public.img")
    for path, mode in ((secret, 0o600), (public, 0o666)):
        with open(path, "wb") as f:
            f.truncate(1 << 20)
        os.chmod(path, mode)
    os.chmod(tmp_root, 0o755)
    xml = ("<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory>"
           "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
           "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='%s'/>"
           "<target dev='vda' bus='virtio'/></disk></devices></domain>")
    polkit.allow("domain.write", "domain.save", "domain.start", "domain.getattr")
    for method, sig, extra in (("DomainDefineXML", "s", []), ("DomainCreateXML", "su", [0])):
        reply = client.call(qemu, CONN, method, sig, [xml % ("stolen", secret)] + extra)
        assert reply.get("error") == NOT_AUTHORIZED, (method, reply)
        assert secret in reply["message"] and "disk 'vda'" in reply["message"], reply
    assert vb.connect_call("ListDomains", "u", 0, path=qemu) == []
    # A path the caller may open itself is accepted.
    path = client.call(qemu, CONN, "DomainDefineXML", "s", [xml % ("mine", public)])["ok"][0]
    assert vb.get_property(path, DOM, "Name") == "mine"
    # Root is not restricted.
    path = vb.connect_call("DomainDefineXML", "s", xml % ("roots", secret), path=qemu)
    assert vb.get_property(path, DOM, "Name") == "roots"


def test_qemu_block_jobs_check_the_callers_paths(system_qemu, tmp_root):
    """BlockCopy's destination and the images BlockCommit's DELETE would
    remove are the caller's to name: the root daemon does not write or
    delete for it what it could not itself."""
    vb, polkit, client = system_qemu
    qemu = "/org/libvirt/QEMU"
    os.chmod(tmp_root, 0o755)
    private = os.path.join(tmp_root, "private")
    fixed = os.path.join(tmp_root, "fixed")  # files anyone may write, in a directory only root may change
    pub = os.path.join(tmp_root, "pub")
    for d, mode in ((private, 0o700), (fixed, 0o755), (pub, 0o777)):
        os.makedirs(d)
        os.chmod(d, mode)
    base, mid, top = os.path.join(pub, "base.qcow2"), os.path.join(fixed, "mid.qcow2"), os.path.join(pub, "top.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", base, "8M"], check=True)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base, mid], check=True)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", mid, top], check=True)
    for p in (base, mid, top):
        os.chmod(p, 0o666)
    xml = ("<domain type='qemu'><name>bj</name><memory unit='MiB'>64</memory>"
           "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
           "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='%s'/>"
           "<target dev='vda' bus='virtio'/></disk><memballoon model='none'/></devices></domain>" % top)
    dom = vb.connect_call("DomainCreateXML", "su", xml, 1, path=qemu)  # START_PAUSED
    polkit.allow("domain.block-write", "domain.write", "domain.getattr", "domain.read")

    secret_copy = os.path.join(private, "copy.qcow2")
    reply = client.call(dom, DOM, "BlockCopy", "ssa{sv}u",
                        ["vda", "<disk type='file'><source file='%s'/></disk>" % secret_copy, {}, 0])
    assert reply.get("error") == NOT_AUTHORIZED and secret_copy in reply["message"], reply
    assert not os.path.exists(secret_copy)
    reply = client.call(dom, DOM, "BlockCommit", "ssstu", ["vda", base, mid, 0, 2])  # DELETE
    assert reply.get("error") == NOT_AUTHORIZED and fixed in reply["message"], reply
    assert os.path.exists(mid)
    assert client.call(dom, DOM, "GetBlockJobInfo", "su", ["vda", 0]) == {"ok": [[0, 0, 0, 0]]}
    # An external snapshot's overlay likewise.
    polkit.allow("domain.block-write", "domain.write", "domain.getattr", "domain.read", "domain.snapshot")
    secret_overlay = os.path.join(private, "top.snap")
    reply = client.call(dom, DOM, "SnapshotCreateXML", "su",
                        ["<domainsnapshot><name>s</name><disks><disk name='vda' snapshot='external'>"
                         "<source file='%s'/></disk></disks></domainsnapshot>" % secret_overlay, 16])  # DISK_ONLY
    assert reply.get("error") == NOT_AUTHORIZED and secret_overlay in reply["message"], reply
    assert not os.path.exists(secret_overlay)

    # Where the caller may write, it may copy; and cancel its copy.
    copy = os.path.join(pub, "copy.qcow2")
    reply = client.call(dom, DOM, "BlockCopy", "ssa{sv}u",
                        ["vda", "<disk type='file'><source file='%s'/></disk>" % copy, {}, 0])
    assert reply == {"ok": []}, reply
    assert client.call(dom, DOM, "GetBlockJobInfo", "su", ["vda", 0])["ok"][0][0] == 2  # COPY
    assert client.call(dom, DOM, "BlockJobAbort", "su", ["vda", 0]) == {"ok": []}
    assert not os.path.exists(copy)
    vb.call(dom, DOM, "Destroy", "u", 0)


def test_qemu_storage_checks_the_callers_paths(system_qemu, tmp_root):
    """A pool's directory, and the volumes a caller changes, must be ones the
    caller could reach itself: a link in a pool leading to a file only root
    may write is not wiped or resized for it."""
    vb, polkit, client = system_qemu
    qemu = "/org/libvirt/QEMU"
    os.chmod(tmp_root, 0o755)
    private = os.path.join(tmp_root, "private")
    pub = os.path.join(tmp_root, "pub")
    for d, mode in ((private, 0o700), (pub, 0o755)):
        os.makedirs(d)
        os.chmod(d, mode)
    secret = os.path.join(private, "secret.img")
    with open(secret, "wb") as f:
        f.write(b"root's data" + bytes(4096))
    os.chmod(secret, 0o600)
    os.symlink(secret, os.path.join(pub, "link.img"))
    with open(os.path.join(pub, "open.img"), "wb") as f:
        f.truncate(1 << 20)
    os.chmod(os.path.join(pub, "open.img"), 0o666)
    pool_xml = "<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>"
    pool = vb.connect_call("StoragePoolCreateXML", "su", pool_xml % ("pub", pub), 0, path=qemu)
    link = vb.connect_call("StorageVolLookupByPath", "s", os.path.join(pub, "link.img"), path=qemu)
    opened = vb.connect_call("StorageVolLookupByPath", "s", os.path.join(pub, "open.img"), path=qemu)
    polkit.allow("storage-pool.write", "storage-pool.start", "storage-pool.save", "storage-pool.getattr",
                 "storage-vol.format", "storage-vol.delete", "storage-vol.resize", "storage-vol.create",
                 "storage-vol.getattr")

    for method, sig, args in (("Wipe", "uu", [0, 0]), ("Delete", "u", [0]), ("Resize", "tu", [1 << 21, 0])):
        reply = client.call(link, "org.libvirt.StorageVol", method, sig, args)
        assert reply.get("error") == NOT_AUTHORIZED, (method, reply)
    with open(secret, "rb") as f:
        assert f.read().startswith(b"root's data")
    assert os.path.islink(os.path.join(pub, "link.img"))
    # What the caller may write itself, it may wipe.
    assert "ok" in client.call(opened, "org.libvirt.StorageVol", "Wipe", "uu", [0, 0])
    # A pool where the caller could not make files itself, and an owner of someone else's.
    reply = client.call(qemu, CONN, "StoragePoolDefineXML", "su", [pool_xml % ("mine", os.path.join(private, "p")), 0])
    assert reply.get("error") == NOT_AUTHORIZED and private in reply["message"], reply
    reply = client.call(pool, "org.libvirt.StoragePool", "StorageVolCreateXML", "su",
                        ["<volume><name>x</name><capacity>1</capacity><target><permissions><owner>0</owner>"
                         "</permissions></target></volume>", 0])
    assert reply.get("error") == NOT_AUTHORIZED, reply
    assert not os.path.exists(os.path.join(pub, "x"))
