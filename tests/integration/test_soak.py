"""Soak test of the QEMU backend: 8 concurrent clients, each on its own D-Bus
connection, define / start / shut down / destroy / undefine tiny TCG guests
while listing domains and reading other clients' definitions, for a bounded
time (VB_SOAK_SECONDS, default 60 s of client work; the whole test stays
under 3 minutes).

The run has three phases separated by a quiet point where every client has
finished and cleaned up: a warm-up, then two measured halves. At every quiet
point no domain and no QEMU process may be left; after the run the daemon's
open file descriptors must be back to the warm-up baseline, its RSS may not
have grown by more than RSS_GROWTH_LIMIT between the two halves (skipped in an
AddressSanitizer build, whose quarantine holds freed memory on purpose:
LeakSanitizer checks leaks there instead), and it must still answer.

Races between clients are expected and tolerated, but counted: shutting down
a domain that its owner just destroyed ("domain ... is not running"), or
reading a domain that its owner just undefined (the object is gone). Any other
error fails the test.
"""
import os
import random
import threading
import time
import uuid as uuidlib

import pytest
from gi.repository import Gio, GLib

import guest
from conftest import BUS_NAME, Virtbus, virtbusd_path
from test_qemu_lifecycle import qemu_pids

QEMU_PATH = "/org/libvirt/QEMU"
CONNECT = "org.libvirt.Connect"
DOMAIN = "org.libvirt.Domain"

CLIENTS = 8
MAX_GUESTS = 4           # QEMU processes at once: fits a 2-CPU machine
SOAK_SECONDS = float(os.environ.get("VB_SOAK_SECONDS", "60"))
SHUTDOWN_WAIT = 6.0      # seconds an ACPI shutdown may take before we destroy
FD_MARGIN = 2
RSS_GROWTH_LIMIT = 4 * 1024 * 1024   # bytes, second half vs first half
RUNNING, SHUTOFF = 1, 5

pytestmark = [
    pytest.mark.skipif(guest.missing_requirements() is not None, reason=str(guest.missing_requirements())),
    pytest.mark.soak,
]


def asan_build():
    with open(virtbusd_path(), "rb") as f:
        return b"__asan_init" in f.read()


def children(pid):
    """All direct children of @pid (any state, zombies included)."""
    kids = []
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return kids


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for %d" % pid)


class Tally:
    """Operation and error counts shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ops = {}
        self.tolerated = {}
        self.unexpected = []

    def op(self, name):
        with self.lock:
            self.ops[name] = self.ops.get(name, 0) + 1

    def race(self, kind):
        with self.lock:
            self.tolerated[kind] = self.tolerated.get(kind, 0) + 1

    def fail(self, what, err):
        with self.lock:
            self.unexpected.append("%s: %s" % (what, err))


def error_name(err):
    return Gio.DBusError.get_remote_error(err) or ""


def vanished(err):
    """The object was unexported between our lookup and our call."""
    return error_name(err) in ("org.freedesktop.DBus.Error.UnknownObject",
                               "org.freedesktop.DBus.Error.UnknownMethod",
                               "org.freedesktop.DBus.Error.UnknownInterface")


def not_running(err):
    return error_name(err) == "org.libvirt.Error" and "is not running" in err.message


def not_found(err):
    return error_name(err) == "org.libvirt.Error" and "no domain" in err.message.lower()


class Gone(Exception):
    """Our own transient domain was shut down by another client: a tolerated
    race that ends the iteration."""


class Client(threading.Thread):
    """One client: its own bus connection, its own domain name, and reads and
    shutdowns aimed at the other clients' domains."""

    def __init__(self, index, address, deadline, slots, tally):
        super().__init__(name="soak-client-%d" % index)
        self.index = index
        self.address = address
        self.deadline = deadline
        self.slots = slots
        self.tally = tally
        self.rng = random.Random(index * 7919 + int(deadline))
        self.iterations = 0
        self.conn = None

    def call(self, path, iface, method, sig="", *args, timeout=30000):
        params = GLib.Variant("(%s)" % sig, args) if sig else None
        reply = self.conn.call_sync(BUS_NAME, path, iface, method, params, None,
                                    Gio.DBusCallFlags.NONE, timeout, None)
        self.tally.op(method)
        return reply.unpack()

    def run(self):
        try:
            self.conn = Gio.DBusConnection.new_for_address_sync(
                self.address,
                Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
                None, None)
            while time.monotonic() < self.deadline:
                self.iteration()
                self.iterations += 1
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            self.tally.fail("client %d crashed" % self.index, repr(e))
        finally:
            if self.conn is not None:
                self.conn.close_sync(None)

    def poke_others(self):
        """List the domains; read (and sometimes shut down) another one."""
        try:
            paths = self.call(QEMU_PATH, CONNECT, "ListDomains", "u", 0)[0]
        except GLib.Error as e:
            self.tally.fail("ListDomains", e.message)
            return
        if not paths:
            return
        path = self.rng.choice(paths)
        try:
            xml = self.call(path, DOMAIN, "GetXMLDesc", "u", 0)[0]
            if "<domain" not in xml:
                self.tally.fail("GetXMLDesc %s" % path, "not a domain XML: %r" % xml[:80])
            if self.rng.random() < 0.15:
                self.call(path, DOMAIN, "Shutdown", "u", 0)
        except GLib.Error as e:
            if vanished(e) or not_found(e):
                self.tally.race("object gone")
            elif not_running(e):
                self.tally.race("not running")
            else:
                self.tally.fail("poke %s" % path, "%s %s" % (error_name(e), e.message))

    def own(self, path, method, sig="", *args, **kw):
        """A call on our own domain; another client's shutdown of it is a
        tolerated race (a transient domain then disappears: Gone)."""
        try:
            return self.call(path, DOMAIN, method, sig, *args, **kw)
        except GLib.Error as e:
            if vanished(e) or not_found(e):
                self.tally.race("object gone")
                raise Gone() from e
            if not_running(e):
                self.tally.race("not running")
                return None
            raise

    def wait_shutoff(self, path, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.poke_others()
            try:
                if tuple(self.call(path, DOMAIN, "GetState", "u", 0)[0])[0] == SHUTOFF:
                    return True
            except GLib.Error as e:
                if vanished(e) or not_found(e):
                    return True  # a transient domain is gone once it stops
                raise
            time.sleep(0.2)
        return False

    def iteration(self):
        name = "soak%d" % self.index
        xml = guest.domain_xml(name, uuid=str(uuidlib.uuid4()))
        transient = self.rng.random() < 0.25
        path = None
        started = False
        try:
            if transient:
                if not self.slot():
                    return
                try:
                    path = self.call(QEMU_PATH, CONNECT, "DomainCreateXML", "su", xml, 0, timeout=60000)[0]
                    started = True
                    self.exercise(path, name, persistent=False)
                    self.stop(path)
                    started = False
                    path = None
                except Gone:
                    path = started = None
                finally:
                    self.slots.release()
                return
            path = self.call(QEMU_PATH, CONNECT, "DomainDefineXML", "s", xml)[0]
            self.exercise(path, name)
            if self.slot():
                try:
                    self.call(path, DOMAIN, "Create", "u", 0, timeout=60000)
                    started = True
                    self.exercise(path, name)
                    self.stop(path)
                    started = False
                finally:
                    self.slots.release()
            self.call(path, DOMAIN, "Undefine", "u", 0)
            path = None
        except GLib.Error as e:
            self.tally.fail("%s on %s" % (name, path), "%s %s" % (error_name(e), e.message))
        finally:
            if path is not None:
                self.cleanup(path, started)

    def slot(self):
        """A guest slot, unless the phase ends before one frees up (so that
        the clients queued for a slot do not stretch the phase)."""
        if self.slots.acquire(timeout=max(self.deadline - time.monotonic(), 0.01)):
            return True
        self.tally.op("start skipped at the deadline")
        return False

    def exercise(self, path, name, persistent=True):
        xml = self.own(path, "GetXMLDesc", "u", 0)[0]
        if "<name>%s</name>" % name not in xml:
            self.tally.fail("GetXMLDesc %s" % path, "not %s's XML: %r" % (name, xml[:200]))
        paths = self.call(QEMU_PATH, CONNECT, "ListDomains", "u", 0)[0]
        if persistent and path not in paths:
            self.tally.fail("ListDomains", "%s missing from %r" % (path, paths))
        for _ in range(self.rng.randint(1, 4)):
            self.poke_others()

    def stop(self, path):
        """Shut the guest down politely or not; a concurrent shutdown by
        another client makes our own Destroy a tolerated race."""
        if self.rng.random() < 0.5:
            time.sleep(self.rng.uniform(0, 2))
            if self.own(path, "Shutdown", "u", 0) is None:
                return  # someone else stopped it first
            if self.wait_shutoff(path, SHUTDOWN_WAIT):
                self.tally.op("shutdown honoured")
                return
        try:
            self.call(path, DOMAIN, "Destroy", "u", 0)
        except GLib.Error as e:
            if not (not_running(e) or vanished(e)):
                raise
            self.tally.race("not running")

    def cleanup(self, path, started):
        """After an unexpected error: leave nothing behind for the next phase."""
        for method in (["Destroy"] if started else []) + ["Undefine"]:
            try:
                self.call(path, DOMAIN, method, "u", 0)
            except GLib.Error:
                pass


def run_phase(vb, seconds, tally):
    slots = threading.BoundedSemaphore(MAX_GUESTS)
    deadline = time.monotonic() + seconds
    clients = [Client(i, vb.bus.address, deadline, slots, tally) for i in range(CLIENTS)]
    for c in clients:
        c.start()
    for c in clients:
        c.join(timeout=seconds + 240)
        assert not c.is_alive(), "client %d hangs" % c.index
    return sum(c.iterations for c in clients)


def quiet_point(vb, root):
    """After a phase: nothing defined, no QEMU, no child of virtbusd left."""
    assert vb.call1(QEMU_PATH, CONNECT, "ListDomains", "u", 0) == []
    deadline = time.monotonic() + 15
    while (qemu_pids(root) or children(vb.proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert qemu_pids(root) == [], "QEMU processes left: %r" % qemu_pids(root)
    assert children(vb.proc.pid) == [], "virtbusd children left: %r" % children(vb.proc.pid)
    # Let the daemon finish whatever idle work it queued (unrefs, closes).
    time.sleep(0.5)
    return fd_count(vb.proc.pid), rss_bytes(vb.proc.pid)


@pytest.fixture
def soak_daemon(bus, tmp_root):
    guest.build_guest()  # before the clock starts
    root = os.path.join(tmp_root, "root")
    os.makedirs(root)
    vb = Virtbus(bus, root, args=["--driver", "qemu"])
    yield vb, root
    leftovers = qemu_pids(root)
    for pid in leftovers:
        os.kill(pid, 9)
    code = vb.stop()
    vb.close()
    assert leftovers == [], "QEMU processes left running: %r" % leftovers
    assert code == 0, "virtbusd exited with %s; log:\n%s" % (code, vb.read_log()[-5000:])


def test_soak_concurrent_clients(soak_daemon):
    vb, root = soak_daemon
    tally = Tally()
    t0 = time.monotonic()
    # The QEMU connection opens asynchronously (capability probe): wait.
    while True:
        try:
            vb.call1(QEMU_PATH, CONNECT, "ListDomains", "u", 0)
            break
        except GLib.Error:
            assert time.monotonic() - t0 < 30, "qemu:///session never answered"
            time.sleep(0.1)
    fd_start = fd_count(vb.proc.pid)

    phase = SOAK_SECONDS / 3
    counts = [run_phase(vb, phase, tally)]
    fd_warm, rss_warm = quiet_point(vb, root)
    counts.append(run_phase(vb, phase, tally))
    fd_mid, rss_mid = quiet_point(vb, root)
    counts.append(run_phase(vb, phase, tally))
    fd_end, rss_end = quiet_point(vb, root)
    elapsed = time.monotonic() - t0

    print("soak: %.0f s, iterations per phase %r, ops %r, tolerated races %r"
          % (elapsed, counts, tally.ops, tally.tolerated))
    print("soak: fds start/warm/mid/end %d/%d/%d/%d, RSS warm/mid/end %d/%d/%d KiB"
          % (fd_start, fd_warm, fd_mid, fd_end, rss_warm // 1024, rss_mid // 1024, rss_end // 1024))
    assert tally.unexpected == [], "unexpected errors:\n" + "\n".join(tally.unexpected)
    # Every phase really ran guests, and every client did work.
    assert all(n >= CLIENTS for n in counts), counts
    assert tally.ops.get("Create", 0) + tally.ops.get("DomainCreateXML", 0) >= 2 * CLIENTS, tally.ops
    assert abs(fd_end - fd_warm) <= FD_MARGIN and abs(fd_mid - fd_warm) <= FD_MARGIN, \
        "virtbusd fds: after warm-up %d, mid %d, end %d" % (fd_warm, fd_mid, fd_end)
    if not asan_build():
        assert rss_end - rss_mid <= RSS_GROWTH_LIMIT, \
            "virtbusd RSS grew %d KiB in the second half" % ((rss_end - rss_mid) // 1024)
    # Still answering, and still doing real work.
    path = vb.call1(QEMU_PATH, CONNECT, "DomainDefineXML", "s", guest.domain_xml("after-soak"))
    assert vb.call1(QEMU_PATH, CONNECT, "ListDomains", "u", 0) == [path]
    vb.call(path, DOMAIN, "Undefine", "u", 0)
