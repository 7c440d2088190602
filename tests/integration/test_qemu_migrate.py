"""Live migration between two virtbusd (org.virtbus.Domain.Migrate).

Each test runs two daemons (--driver qemu), each on its own private
dbus-daemon inside its own network namespace; a veth pair joins the two
namespaces (10.99.0.1 <-> 10.99.0.2). The source daemon reaches the
destination's bus through its unix socket (the filesystem is shared across
network namespaces), while QEMU's migration stream can only go over the veth:
the namespaces have nothing else but their loopback. The fixture deletes the
namespaces and kills every QEMU by PID, also when a test fails.
"""
import os
import signal
import subprocess
import sys
import time

import pytest
from gi.repository import GLib

import guest
from conftest import Bus, Virtbus, build_root
from test_qemu_lifecycle import BOOT_TIMEOUT, Qemu, describe_processes, qemu_pids, wait_gone, zombie_children

QEMU_PATH = "/org/libvirt/QEMU"
DOMAIN = "org.libvirt.Domain"
VDOMAIN = "org.virtbus.Domain"
MIGRATION = "org.virtbus.Migration"

# virDomainMigrateFlags
LIVE, PEER2PEER, TUNNELLED, PERSIST_DEST, UNDEFINE_SOURCE, PAUSED = 1, 2, 4, 8, 16, 32
NON_SHARED_DISK, NON_SHARED_INC, OFFLINE, POSTCOPY = 64, 128, 1024, 32768
# virDomainEventType and details
EV_DEFINED, EV_UNDEFINED, EV_STARTED, EV_SUSPENDED, EV_RESUMED, EV_STOPPED = range(6)
DEFINED_ADDED, UNDEFINED_REMOVED = 0, 0
STARTED_MIGRATED = 1
SUSPENDED_PAUSED, SUSPENDED_MIGRATED = 0, 1
RESUMED_MIGRATED = 1
STOPPED_MIGRATED = 3
# virDomainState and reasons
RUNNING, PAUSED_STATE, SHUTOFF = 1, 3, 5
RUNNING_MIGRATED, RUNNING_MIGRATION_CANCELED = 2, 6
PAUSED_USER, PAUSED_MIGRATION = 1, 2
SHUTOFF_MIGRATED = 4

SRC_IP, DST_IP = "10.99.0.1", "10.99.0.2"
MIGRATE_TIMEOUT = 180000  # ms


def _missing():
    why = guest.missing_requirements()
    if why:
        return why
    if os.geteuid() != 0:
        return "network namespaces need root"
    if not os.access("/usr/sbin/ip", os.X_OK) and not os.access("/sbin/ip", os.X_OK):
        return "no ip(8) (Debian package iproute2)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


def sh(*argv, check=True):
    return subprocess.run(list(argv), check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Site:
    """One side: a namespace, its bus and its virtbusd."""

    def __init__(self, ns, veth, ip, tmp_root, tag):
        self.ns = ns
        self.veth = veth
        self.ip = ip
        self.prefix = ("ip", "netns", "exec", ns)
        self.dir = os.path.join(tmp_root, tag)
        self.root = os.path.join(self.dir, "root")
        os.makedirs(self.root)
        self.bus = None
        self.vb = None
        self.q = None

    def start(self):
        self.bus = Bus(self.dir, prefix=self.prefix)
        self.vb = Virtbus(self.bus, self.root, args=["--driver", "qemu"], prefix=self.prefix)
        self.q = Qemu(self.vb, self.root)

    def netns(self, *argv, check=True):
        return sh(*self.prefix, *argv, check=check)

    def rx_bytes(self):
        return int(self.netns("cat", "/sys/class/net/%s/statistics/rx_bytes" % self.veth).stdout)

    def stop(self):
        """Kills what the test left (by PID), then the daemon and the bus;
        returns what went wrong, for the fixture to assert on."""
        problems = []
        try:
            if self.vb is not None:
                leftovers = qemu_pids(self.root)
                for pid in leftovers:
                    os.kill(pid, signal.SIGKILL)
                try:
                    wait_gone(leftovers)
                except AssertionError as e:
                    problems.append(str(e))
                if leftovers:
                    problems.append("QEMU processes left running: %r" % leftovers)
                if self.vb.proc is not None:
                    deadline = time.monotonic() + 5
                    while zombie_children(self.vb.proc.pid) and time.monotonic() < deadline:
                        time.sleep(0.02)
                    if zombie_children(self.vb.proc.pid):
                        problems.append("%s: zombies: %r" % (self.ns, describe_processes(zombie_children(self.vb.proc.pid))))
                code = self.vb.stop()
                self.vb.close()
                if code not in (0, None):
                    problems.append("virtbusd exited with %s; log:\n%s" % (code, self.vb.read_log()))
                left = self.q.runtime_leftovers()
                if left:
                    problems.append("runtime files left: %r" % left)
        finally:
            # Also when stopping the daemon raised: no bus outlives the test.
            if self.bus is not None:
                self.bus.stop()
        return problems

    @property
    def address(self):
        return self.bus.address


class Pair:
    def __init__(self, tmp_root):
        tag = "%d" % (os.getpid() % 100000)
        self.src = Site("vbmig%s-a" % tag, "vbm%sa" % tag, SRC_IP, tmp_root, "src")
        self.dst = Site("vbmig%s-b" % tag, "vbm%sb" % tag, DST_IP, tmp_root, "dst")
        self.namespaces = []

    def setup(self):
        # ssh:// destinations: the source daemon runs this instead of ssh;
        # it records its arguments and runs the bridge it was asked to run
        # against the destination's bus (the "remote" host is this one).
        self.ssh_args = os.path.join(self.src.dir, "..", "ssh-args")
        self.dst_address_file = os.path.join(self.src.dir, "..", "dst-address")
        fake_ssh = os.path.join(self.src.dir, "..", "fake-ssh")
        with open(fake_ssh, "w") as f:
            f.write('#!/bin/sh\nprintf "%%s\\n" "$@" > %s\nexec %s --address="$(cat %s)"\n' % (
                self.ssh_args, os.path.join(build_root(), "tools", "virtbus-stdio-bridge"), self.dst_address_file))
        os.chmod(fake_ssh, 0o755)
        os.environ["VIRTBUS_SSH"] = fake_ssh
        for site in (self.src, self.dst):
            sh("ip", "netns", "add", site.ns)
            self.namespaces.append(site.ns)
            site.netns("ip", "link", "set", "lo", "up")
        sh("ip", "link", "add", self.src.veth, "netns", self.src.ns, "type", "veth",
           "peer", "name", self.dst.veth, "netns", self.dst.ns)
        for site in (self.src, self.dst):
            site.netns("ip", "addr", "add", site.ip + "/24", "dev", site.veth)
            site.netns("ip", "link", "set", site.veth, "up")
        # The link is up once the destination answers (a refused TCP
        # connection is an answer).
        probe = ("import socket, sys\n"
                 "try:\n socket.create_connection((sys.argv[1], 9), 1)\n"
                 "except ConnectionRefusedError:\n pass\n")
        deadline = time.monotonic() + 10
        while self.src.netns(sys.executable, "-c", probe, DST_IP, check=False).returncode != 0:
            assert time.monotonic() < deadline, "the veth link did not come up"
            time.sleep(0.1)
        try:
            self.src.start()
        finally:
            del os.environ["VIRTBUS_SSH"]
        self.dst.start()
        with open(self.dst_address_file, "w") as f:
            f.write(self.dst.address)

    def teardown(self):
        problems = []
        for site in (self.src, self.dst):
            try:
                problems += site.stop()
            except Exception as e:  # keep going: the namespaces must go
                problems.append("stopping %s: %r" % (site.ns, e))
        for ns in self.namespaces:
            sh("ip", "netns", "del", ns, check=False)
        return problems


@pytest.fixture
def pair(tmp_root):
    p = Pair(tmp_root)
    try:
        p.setup()
        yield p
    finally:
        problems = p.teardown()
    assert problems == [], "\n".join(problems)


def migrate(site, path, destination, params=None, flags=LIVE):
    values = {k: v if isinstance(v, GLib.Variant) else GLib.Variant("s", v) for k, v in (params or {}).items()}
    return site.vb.call(path, VDOMAIN, "Migrate", "sa{sv}u", destination, values, flags, timeout=MIGRATE_TIMEOUT)


def migrate_error(site, path, destination, params=None, flags=LIVE):
    with pytest.raises(GLib.Error) as info:
        migrate(site, path, destination, params, flags)
    err = info.value
    name = "org.libvirt.Error" if "org.libvirt.Error" in err.message else err.message
    msg = err.message.split("org.libvirt.Error: ", 1)[-1]
    return name, msg


def migrate_uri3(site, path, dconnuri, params=None, flags=PEER2PEER | LIVE):
    """org.libvirt.Domain.MigrateToURI3, as cockpit-machines and virsh call it."""
    values = {k: v if isinstance(v, GLib.Variant) else GLib.Variant("s", v) for k, v in (params or {}).items()}
    return site.vb.call(path, DOMAIN, "MigrateToURI3", "sa{sv}u", dconnuri, values, flags, timeout=MIGRATE_TIMEOUT)


def migrate_uri3_error(site, path, dconnuri, params=None, flags=PEER2PEER | LIVE):
    with pytest.raises(GLib.Error) as info:
        migrate_uri3(site, path, dconnuri, params, flags)
    assert "org.libvirt.Error" in info.value.message, info.value.message
    return info.value.message.split("org.libvirt.Error: ", 1)[-1]


def bus_socket(site):
    assert site.address.startswith("unix:path="), site.address
    return site.address[len("unix:path="):]


def lookup(site, name):
    return site.vb.call1(QEMU_PATH, "org.libvirt.Connect", "DomainLookupByName", "s", name)


def domain_names(site):
    paths = site.vb.call1(QEMU_PATH, "org.libvirt.Connect", "ListDomains", "u", 0)
    return sorted(site.vb.properties(p, DOMAIN)["Name"] for p in paths)


def uptime(con):
    status, out = con.run("cat /proc/uptime")
    assert status == 0, out
    return float(out.strip().splitlines()[-1].split()[0])


def assert_still_running(site, path, con):
    assert site.q.state(path)[0] == RUNNING
    con.echo("still-here-%d" % int(time.monotonic() * 1000))


def test_migration_interface_on_the_connection(pair):
    objs = pair.dst.vb.managed_objects()
    assert MIGRATION in objs[QEMU_PATH]
    # Nothing to finish or cancel: errors, not crashes.
    name, msg = pair.dst.vb.error(QEMU_PATH, MIGRATION, "Finish", "su", "no-such-cookie", 0)
    assert name == "org.libvirt.Error" and "no incoming migration" in msg
    name, msg = pair.dst.vb.error(QEMU_PATH, MIGRATION, "Cancel", "su", "no-such-cookie", 0)
    assert name == "org.libvirt.Error" and "no incoming migration" in msg


def test_live_migration(pair):
    src, dst = pair.src, pair.dst
    path, con = src.q.boot("vm1")
    src_pid = src.q.pid("vm1")
    status, out = con.run("mkdir -p /mnt/m && mount -t tmpfs tmpfs /mnt/m && "
                          "echo MIGRATED-MARKER-4711 > /mnt/m/marker && echo ok")
    assert status == 0, out
    before = uptime(con)
    con.close()
    rx_before = dst.rx_bytes()
    src.vb.clear_signals()
    dst.vb.clear_signals()

    migrate(src, path, dst.address, {"migrate_uri": "tcp:" + DST_IP}, LIVE | PERSIST_DEST)

    # Source: its QEMU is gone; the definition stays (no UNDEFINE_SOURCE).
    wait_gone([src_pid])
    assert src.q.state(path) == (SHUTOFF, SHUTOFF_MIGRATED)
    assert src.vb.properties(path, DOMAIN)["Persistent"] is True
    deadline = time.monotonic() + 10
    while (EV_STOPPED, STOPPED_MIGRATED) not in src.q.events(path):
        assert time.monotonic() < deadline, src.q.events(path)
        time.sleep(0.05)
    assert src.q.events(path) == [(EV_SUSPENDED, SUSPENDED_MIGRATED), (EV_STOPPED, STOPPED_MIGRATED)]
    # One MigrationIteration per pre-copy pass (the first is 1), and the
    # job's figures when it completed.
    passes = [s[3][0] for s in src.vb.signals if s[2] == "MigrationIteration" and s[0] == path]
    assert passes and passes[0] == 1 and passes == sorted(passes), src.vb.signals
    (stats,) = src.vb.wait_signal("JobCompleted", lambda s: s[0] == path)[3]
    assert stats["operation"] == 5  # VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT
    assert qemu_pids(src.root) == []

    # Destination: the same domain (same UUID, so the same path) runs there.
    dpath = lookup(dst, "vm1")
    assert dpath == path
    assert dst.q.state(dpath) == (RUNNING, RUNNING_MIGRATED)
    props = dst.vb.properties(dpath, DOMAIN)
    assert props["Active"] is True and props["Persistent"] is True
    dst.q.wait_event(dpath, EV_STARTED, STARTED_MIGRATED)
    assert os.path.exists(os.path.join(dst.q.config_dir, "vm1.xml"))
    (dst_pid,) = qemu_pids(dst.root)
    with open("/proc/%d/cmdline" % dst_pid, "rb") as f:
        assert b"-incoming\0defer" in f.read()

    # The stream went over the veth (the guest's RAM: megabytes).
    assert dst.rx_bytes() - rx_before > 4 * 1024 * 1024

    # The same boot of the guest answers at the destination, with its RAM.
    dcon = dst.q.console(dpath)
    dcon.wait_ready(BOOT_TIMEOUT)
    status, out = dcon.run("cat /mnt/m/marker")
    assert (status, out.strip().splitlines()[-1]) == (0, "MIGRATED-MARKER-4711")
    assert uptime(dcon) >= before
    dst.q.dom(dpath, "Destroy", "u", 0)
    dcon.close()


def test_migrate_over_ssh(pair):
    src, dst = pair.src, pair.dst
    path, con = src.q.boot("vm4")
    con.close()
    # No migrate_uri: the destination listens on every address and the
    # source sends to the host it reached the destination by.
    migrate(src, path, "ssh://admin@%s:2222/system" % DST_IP, flags=LIVE)
    with open(pair.ssh_args) as f:
        argv = f.read().split("\n")
    assert argv[:7] == ["-T", "-e", "none", "-o", "BatchMode=yes", "-p", "2222"]
    assert argv[7:12] == ["-l", "admin", "--", DST_IP, "virtbus-stdio-bridge --system"]
    # Still defined at the source (no UNDEFINE_SOURCE), shut off.
    assert src.q.state(path) == (SHUTOFF, SHUTOFF_MIGRATED)
    dpath = lookup(dst, "vm4")
    assert dst.q.state(dpath) == (RUNNING, RUNNING_MIGRATED)
    # Not persistent there without PERSIST_DEST.
    assert dst.vb.properties(dpath, DOMAIN)["Persistent"] is False
    dcon = dst.q.console(dpath)
    dcon.wait_ready(BOOT_TIMEOUT)
    dst.q.dom(dpath, "Destroy", "u", 0)
    dcon.close()
    # A transient domain is gone once destroyed.
    assert domain_names(dst) == []

    name, msg = migrate_error(src, path, "ssh:///system", flags=OFFLINE | PERSIST_DEST)
    assert "not a valid ssh://" in msg
    name, msg = migrate_error(src, path, "ssh://host/elsewhere", flags=OFFLINE | PERSIST_DEST)
    assert "the path must be /system or /session" in msg


def test_migrate_to_uri3_as_cockpit_does(pair):
    """cockpit-machines' Migrate dialog: MigrateToURI3 of a libvirt URI with
    no parameters, PEER2PEER | LIVE and, for a permanent move,
    PERSIST_DEST | UNDEFINE_SOURCE."""
    src, dst = pair.src, pair.dst
    path, con = src.q.boot("vm5")
    con.close()
    migrate_uri3(src, path, "qemu+ssh://admin@%s/system" % DST_IP, {},
                 PEER2PEER | LIVE | PERSIST_DEST | UNDEFINE_SOURCE)
    with open(pair.ssh_args) as f:
        argv = f.read().split("\n")
    assert argv[:9] == ["-T", "-e", "none", "-o", "BatchMode=yes", "-l", "admin", "--", DST_IP]
    assert argv[9] == "virtbus-stdio-bridge --system"
    # Gone here, defined and running there.
    assert domain_names(src) == []
    assert not os.path.exists(os.path.join(src.q.config_dir, "vm5.xml"))
    dpath = lookup(dst, "vm5")
    assert dst.q.state(dpath) == (RUNNING, RUNNING_MIGRATED)
    assert dst.vb.properties(dpath, DOMAIN)["Persistent"] is True
    assert os.path.exists(os.path.join(dst.q.config_dir, "vm5.xml"))
    dcon = dst.q.console(dpath)
    dcon.wait_ready(BOOT_TIMEOUT)
    dcon.echo("arrived-by-uri3")
    dst.q.dom(dpath, "Destroy", "u", 0)
    dcon.close()


def test_migrate_to_uri3_refusals_and_parameters(pair):
    src, dst = pair.src, pair.dst
    path, con = src.q.boot("vm6")
    src.vb.clear_signals()
    socket = bus_socket(dst)
    to_dst = "qemu+unix:///system?socket=" + socket
    refusals = [
        (to_dst, {}, LIVE, "without the PEER2PEER flag"),
        (to_dst, {}, PEER2PEER | LIVE | TUNNELLED, "tunnelled migration"),
        (to_dst, {}, PEER2PEER | LIVE | NON_SHARED_DISK, "storage both hosts share"),
        (to_dst, {}, PEER2PEER | LIVE | NON_SHARED_INC, "storage both hosts share"),
        (to_dst, {}, PEER2PEER | LIVE | (1 << 11), "unsupported flags (0x800)"),
        ("qemu+tcp://%s/system" % DST_IP, {}, PEER2PEER | LIVE, "the tcp transport is not supported"),
        ("qemu:///system", {}, PEER2PEER | LIVE, "this host's own daemon"),
        ("test:///default", {}, PEER2PEER | LIVE, "only qemu connections"),
        ("qemu+ssh://%s/system?keyfile=/etc/shadow" % DST_IP, {}, PEER2PEER | LIVE,
         "URI parameter 'keyfile' is not supported"),
        (to_dst, {"migrate_disks": "vda"}, PEER2PEER | LIVE, "migration parameter 'migrate_disks' is not supported"),
        (to_dst, {"bandwidth": GLib.Variant("u", 5)}, PEER2PEER | LIVE,
         "migration parameter 'bandwidth' must be of type 't', not 'u'"),
        (to_dst, {"bandwidth.postcopy": GLib.Variant("t", 0)}, PEER2PEER | LIVE, "bandwidth.postcopy must be above 0"),
    ]
    for dconnuri, params, flags, message in refusals:
        msg = migrate_uri3_error(src, path, dconnuri, params, flags)
        assert message in msg, (dconnuri, params, flags, msg)
    # The short parameter names of earlier versions are refused, not ignored.
    name, msg = migrate_error(src, path, dst.address, {"dest_name": "elsewhere"})
    assert "migration parameter 'dest_name' is not supported" in msg
    # Nothing happened on either side.
    assert_still_running(src, path, con)
    assert src.q.events(path) == []
    assert domain_names(dst) == [] and qemu_pids(dst.root) == []

    # A destination's Prepare checks the parameters too.
    name, msg = dst.vb.error(QEMU_PATH, MIGRATION, "Prepare", "sa{sv}u", "<domain/>",
                             {"dest_xml": GLib.Variant("s", "<domain/>")}, 0)
    assert "migration parameter 'dest_xml' is not supported" in msg

    # The destination's bus socket by a qemu+unix URI, renamed there, with
    # the libvirt parameter names (also through org.virtbus.Domain.Migrate).
    migrate_uri3(src, path, to_dst, {"migrate_uri": "tcp:" + DST_IP, "destination_name": "vm6-there",
                                     "bandwidth": GLib.Variant("t", 1000),
                                     "bandwidth.postcopy": GLib.Variant("t", 100)},
                 PEER2PEER | LIVE)
    assert src.q.state(path) == (SHUTOFF, SHUTOFF_MIGRATED)
    dpath = lookup(dst, "vm6-there")
    assert dst.vb.properties(dpath, DOMAIN)["Name"] == "vm6-there"
    assert dst.q.state(dpath) == (RUNNING, RUNNING_MIGRATED)
    dcon = dst.q.console(dpath)
    dcon.wait_ready(BOOT_TIMEOUT)
    # ...and back, by org.virtbus.Domain.Migrate with a libvirt URI.
    migrate(dst, dpath, "qemu+unix:///system?socket=" + bus_socket(src),
            {"migrate_uri": "tcp:" + SRC_IP, "destination_name": "vm6"}, LIVE)
    dcon.close()
    assert domain_names(dst) == []
    assert src.q.state(path) == (RUNNING, RUNNING_MIGRATED)
    con = src.q.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    src.q.dom(path, "Destroy", "u", 0)
    con.close()


def test_unreachable_destination(pair):
    src, dst = pair.src, pair.dst
    path, con = src.q.boot("vm1")
    src.vb.clear_signals()

    # No bus there.
    missing = "unix:path=" + os.path.join(dst.dir, "no-such-bus")
    name, msg = migrate_error(src, path, missing)
    assert name == "org.libvirt.Error"
    assert "cannot connect to the destination" in msg and "no-such-bus" in msg
    assert_still_running(src, path, con)

    # Not an address at all.
    name, msg = migrate_error(src, path, "somewhere-else")
    assert "neither a D-Bus address" in msg
    assert_still_running(src, path, con)

    # A stream address the destination does not have.
    name, msg = migrate_error(src, path, dst.address, {"migrate_uri": "tcp:10.99.0.77"})
    assert "the destination refused the migration: cannot listen on tcp:10.99.0.77" in msg
    assert_still_running(src, path, con)
    assert domain_names(dst) == []
    assert qemu_pids(dst.root) == []

    # The stream cannot get through (the destination rejects TCP on the
    # veth): the source's QEMU fails, the destination drops its half.
    dst.netns("iptables", "-I", "INPUT", "-i", dst.veth, "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset")
    name, msg = migrate_error(src, path, dst.address, {"migrate_uri": "tcp:" + DST_IP})
    assert "cannot migrate domain 'vm1'" in msg
    assert_still_running(src, path, con)
    deadline = time.monotonic() + 15
    while (domain_names(dst) or qemu_pids(dst.root)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert domain_names(dst) == [] and qemu_pids(dst.root) == []
    # Nothing but the job's end changed the source: no lifecycle event.
    assert src.q.events(path) == []

    # Not live: the guest is stopped first, and runs again after the failure.
    name, msg = migrate_error(src, path, dst.address, {"migrate_uri": "tcp:" + DST_IP}, flags=0)
    assert "failed" in msg
    assert src.q.state(path) == (RUNNING, RUNNING_MIGRATION_CANCELED)
    assert src.q.events(path) == [(EV_SUSPENDED, SUSPENDED_MIGRATED), (EV_RESUMED, RESUMED_MIGRATED)]
    con.echo("back-after-failed-offline")
    src.q.dom(path, "Destroy", "u", 0)
    con.close()


def test_destination_refuses(pair):
    src, dst = pair.src, pair.dst
    path, con = src.q.boot("vm1")
    # Another domain called vm1 (another UUID) is defined at the destination.
    dst.q.define("vm1")
    src.vb.clear_signals()
    name, msg = migrate_error(src, path, dst.address, {"migrate_uri": "tcp:" + DST_IP})
    assert name == "org.libvirt.Error"
    assert "the destination refused the migration" in msg and "already exists" in msg
    assert_still_running(src, path, con)
    assert src.q.events(path) == []
    assert qemu_pids(dst.root) == []
    # Unknown flags are refused before anything happens.
    name, msg = migrate_error(src, path, dst.address, flags=LIVE | 2)
    assert "unsupported flags (0x2)" in msg
    src.q.dom(path, "Destroy", "u", 0)
    con.close()


def test_offline_migration(pair):
    src, dst = pair.src, pair.dst
    path = src.q.define("vm2")
    # An inactive domain needs OFFLINE.
    name, msg = migrate_error(src, path, dst.address)
    assert "is not running" in msg and "OFFLINE" in msg
    # Its compression cache is the running QEMU's: none.
    for method, sig, args in (("MigrateGetCompressionCache", "u", (0,)),
                              ("MigrateSetCompressionCache", "tu", (64 << 20, 0))):
        name, msg = src.vb.error(path, DOMAIN, method, sig, *args)
        assert name == "org.libvirt.Error" and "is not running" in msg, msg
    # OFFLINE needs PERSIST_DEST.
    name, msg = migrate_error(src, path, dst.address, flags=OFFLINE)
    assert "requires the PERSIST_DEST flag" in msg
    assert domain_names(dst) == []

    src.vb.clear_signals()
    migrate(src, path, dst.address, flags=OFFLINE | PERSIST_DEST | UNDEFINE_SOURCE)
    dpath = lookup(dst, "vm2")
    props = dst.vb.properties(dpath, DOMAIN)
    assert props["Persistent"] is True and props["Active"] is False
    assert os.path.exists(os.path.join(dst.q.config_dir, "vm2.xml"))
    dst.q.wait_event(dpath, EV_DEFINED, DEFINED_ADDED)
    # UNDEFINE_SOURCE: gone here.
    src.q.wait_event(path, EV_UNDEFINED, UNDEFINED_REMOVED)
    assert domain_names(src) == []
    assert not os.path.exists(os.path.join(src.q.config_dir, "vm2.xml"))


def test_virtbusctl_migrate_and_tunables(pair):
    src, dst = pair.src, pair.dst
    path, con = src.q.boot("vm3")
    # Tunables are remembered for the next migration.
    assert src.q.dom(path, "MigrateGetMaxSpeed", "u", 0) == (8796093022207,)
    src.q.dom(path, "MigrateSetMaxSpeed", "tu", 512, 0)
    assert src.q.dom(path, "MigrateGetMaxSpeed", "u", 0) == (512,)
    src.q.dom(path, "MigrateSetMaxDowntime", "tu", 500, 0)
    name, msg = src.vb.error(path, DOMAIN, "MigrateSetMaxDowntime", "tu", 0, 0)
    assert "downtime must be" in msg
    name, msg = src.vb.error(path, DOMAIN, "MigrateStartPostCopy", "u", 0)
    assert "is not being migrated" in msg
    # The compression cache is QEMU's (64 MiB unless set).
    assert src.q.dom(path, "MigrateGetCompressionCache", "u", 0) == (64 << 20,)
    src.q.dom(path, "MigrateSetCompressionCache", "tu", 32 << 20, 0)
    assert src.q.dom(path, "MigrateGetCompressionCache", "u", 0) == (32 << 20,)
    name, msg = src.vb.error(path, DOMAIN, "MigrateSetCompressionCache", "tu", 1, 0)
    assert name == "org.libvirt.Error" and "expects a power of two" in msg, msg  # QEMU's own words
    name, msg = src.vb.error(path, DOMAIN, "MigrateGetCompressionCache", "u", 4)
    assert "unsupported flags" in msg
    con.close()

    env = dict(os.environ)
    env["DBUS_SESSION_BUS_ADDRESS"] = src.address
    env.pop("VIRTBUS_DEFAULT_URI", None)
    env["LC_ALL"] = "C"
    r = subprocess.run([os.path.join(build_root(), "tools", "virtbusctl"), "-c", "qemu:///session",
                        "migrate", "vm3", dst.address, "--live", "--undefinesource", "--persistent",
                        "--migrateuri", "tcp:" + DST_IP],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=240)
    assert r.returncode == 0, r.stderr
    assert "migrated" in r.stdout
    # Gone here (UNDEFINE_SOURCE), running there.
    assert domain_names(src) == []
    dpath = lookup(dst, "vm3")
    assert dst.q.state(dpath) == (RUNNING, RUNNING_MIGRATED)
    dcon = dst.q.console(dpath)
    dcon.wait_ready(BOOT_TIMEOUT)
    dst.q.dom(dpath, "Destroy", "u", 0)
    dcon.close()

    # A failure is reported with the daemon's message and exit code 1.
    r = subprocess.run([os.path.join(build_root(), "tools", "virtbusctl"), "-c", "qemu:///session",
                        "migrate", "vm3", dst.address],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode == 3 and "no such object" in r.stderr


def migrate_async(site, path, destination, params, flags):
    """Starts Migrate; returns a dict that gets 'result' or 'error'."""
    from gi.repository import Gio
    values = {k: GLib.Variant("t" if isinstance(v, int) else "s", v) for k, v in params.items()}
    out = {}

    def done(conn, res):
        try:
            out["result"] = conn.call_finish(res).unpack()
        except GLib.Error as e:
            out["error"] = e

    site.vb.connection.call("org.libvirt", path, VDOMAIN, "Migrate",
                            GLib.Variant("(sa{sv}u)", (destination, values, flags)), None,
                            Gio.DBusCallFlags.NONE, MIGRATE_TIMEOUT, None, done)
    return out


def wait_migrating(site, path, pending, timeout=60):
    """Until the source's job has sent some of the guest's memory."""
    deadline = time.monotonic() + timeout
    while True:
        site.vb.pump(0.05)
        assert "error" not in pending and "result" not in pending, pending
        info = site.q.dom(path, "GetJobInfo")[0]
        if info[0] in (1, 2) and info[7] > 0:  # BOUNDED/UNBOUNDED, memory processed
            return info
        assert time.monotonic() < deadline, info


def wait_done(site, pending, timeout=180):
    deadline = time.monotonic() + timeout
    while "error" not in pending and "result" not in pending:
        assert time.monotonic() < deadline
        site.vb.pump(0.05)
    assert "error" not in pending, pending["error"].message


def test_speed_raised_and_post_copy_during_a_migration(pair):
    """MigrateSetMaxSpeed and MigrateStartPostCopy act on a migration that
    is underway (throttled to 1 MiB/s so it is still running)."""
    src, dst = pair.src, pair.dst
    path, con = src.q.boot("vm5")
    status, out = con.run("mkdir -p /mnt/m && mount -t tmpfs tmpfs /mnt/m && "
                          "dd if=/dev/urandom of=/mnt/m/fill bs=1M count=24 2>/dev/null && "
                          "echo SPEED-MARKER > /mnt/m/marker && echo ok", timeout=120)
    assert status == 0, out
    con.close()

    # 1: raise the speed of a crawling migration; it then completes.
    pending = migrate_async(src, path, dst.address, {"migrate_uri": "tcp:" + DST_IP, "bandwidth": 1}, LIVE)
    wait_migrating(src, path, pending)
    # Throttled: still underway seconds later.
    src.vb.pump(2)
    assert pending == {}, pending
    assert src.q.dom(path, "MigrateGetMaxSpeed", "u", 0) == (1,)
    t0 = time.monotonic()
    src.q.dom(path, "MigrateSetMaxSpeed", "tu", 8192, 0)
    assert src.q.dom(path, "MigrateGetMaxSpeed", "u", 0) == (8192,)
    wait_done(src, pending)
    # 24 MiB of random data at 1 MiB/s would take far longer.
    assert time.monotonic() - t0 < 20
    dpath = lookup(dst, "vm5")
    assert dst.q.state(dpath) == (RUNNING, RUNNING_MIGRATED)

    # 2: back again, in post-copy: the guest switches to the destination
    # while its memory still follows.
    src.vb.clear_signals()
    dst.q.dom(dpath, "MigrateSetMaxSpeed", "tu", 1, 0)
    pending = migrate_async(dst, dpath, src.address, {"migrate_uri": "tcp:" + SRC_IP}, LIVE | POSTCOPY)
    wait_migrating(dst, dpath, pending)
    dst.vb.pump(2)
    assert pending == {}, pending
    dst.q.dom(dpath, "MigrateStartPostCopy", "u", 0)
    wait_done(dst, pending)
    assert src.q.state(path)[0] == RUNNING
    scon = src.q.console(path)
    scon.wait_ready(BOOT_TIMEOUT)
    status, out = scon.run("cat /mnt/m/marker")
    assert (status, out.strip().splitlines()[-1]) == (0, "SPEED-MARKER")
    src.q.dom(path, "Destroy", "u", 0)
    scon.close()
