#!/usr/bin/python3
"""Benchmarks of virtbus side by side with the anchor stack (libvirt-dbus on libvirtd).

The same client code for both services: each round starts a service on
its own private dbus-daemon with all of its state under a temporary
directory, measures every figure, and stops it (by PID).  Rounds alternate
(virtbus, anchor, virtbus, anchor, ...) so that drift of the machine hits
both alike.  The client runs on one CPU, the buses and services on another.
The calls that are repeated to time them are made twice, by this script's
GDBus client and by a lean one (bench/vb-bench-call.c, sd-bus, built with the
project when libsystemd-dev is installed) whose own CPU time is a smaller part
of each round trip.

    /usr/bin/python3 bench/run.py [--quick] [--build DIR] [--json FILE]

See bench/README.md for what each figure means.
"""

import argparse
import json
import os
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib

import gi
gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
import guest as tinyguest  # noqa: E402  (tests/integration/guest.py: the tiny TCG guest)

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
QEMU = "/usr/bin/qemu-system-x86_64"
BUS_NAME = "org.libvirt"
QEMU_PATH = "/org/libvirt/QEMU"
CONNECT = "org.libvirt.Connect"
DOMAIN = "org.libvirt.Domain"
# The anchor runs unprivileged (libvirtd as root would be the system
# instance and touch the host's networks, cgroups and /etc/libvirt).
ANCHOR_USER = "nobody"

CLIENT_CPU = 0
SERVICE_CPU = 1

# Seconds after its start by which the tiny guest has booted and idles.
IDLE_AFTER = 2.5

# A QEMU starts fast when another one has just freed its memory, and 3-5×
# slower once the host has had the time to take the freed memory back
# (this machine's virtio-balloon does free page reporting, 2 s after the
# frees): the faults of the new QEMU's first pages then go out to the
# host. Every Create and every raw floor start is therefore made at a set
# time after the last guest of the bench went away: WARM_GAP for the
# samples the targets use, COLD_GAP for one sample per round of each
# ("after 5 s without a guest"). Without this, the first Create of a round
# (long after the last guest) met a floor measured 0.2 s after one.
WARM_GAP = 0.2
COLD_GAP = 5.0
last_guest_gone = [0.0]


def guest_gone():
    last_guest_gone[0] = time.monotonic()


def pause_after_guest(gap):
    time.sleep(max(0.0, last_guest_gone[0] + gap - time.monotonic()))

# virDomainEventType
EVENT_STARTED, EVENT_SUSPENDED, EVENT_RESUMED, EVENT_STOPPED = 2, 3, 4, 5


def pin_services():
    if os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {SERVICE_CPU})



def domain_xml(name):
    # A minimal TCG domain; it is only ever defined, never started.
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuidlib.uuid4()}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><emulator>{QEMU}</emulator></devices>
</domain>
"""


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Bus:
    """A private dbus-daemon (pinned to the service CPU), stopped by PID."""

    def __init__(self, tmpdir):
        self.socket = os.path.join(tmpdir, "bus")
        self.address = "unix:path=" + self.socket
        conf = os.path.join(tmpdir, "bus.conf")
        with open(conf, "w") as f:
            f.write(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{self.address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/><allow user="*"/>
  </policy>
</busconfig>
""")
        self.proc = subprocess.Popen(["dbus-daemon", "--nofork", "--nopidfile", "--config-file=" + conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=pin_services)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.conn = Gio.DBusConnection.new_for_address_sync(
                    self.address,
                    Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
                    None, None)
                break
            except GLib.Error:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    stop_pid(self.proc)
                    raise RuntimeError("dbus-daemon did not start")
                time.sleep(0.005)
        os.chmod(self.socket, 0o777)

    def call(self, dest, path, iface, method, args=None, timeout=120000):
        return self.conn.call_sync(dest, path, iface, method, args, None, Gio.DBusCallFlags.NONE, timeout, None)

    def owned(self):
        return self.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                         "NameHasOwner", GLib.Variant("(s)", (BUS_NAME,)))[0]

    def pin(self, cpu):
        """Move the running dbus-daemon (each of its threads) to @cpu."""
        if os.cpu_count() and os.cpu_count() > 1:
            for tid in os.listdir("/proc/%d/task" % self.proc.pid):
                os.sched_setaffinity(int(tid), {cpu})

    def stop(self):
        self.conn.close_sync(None)
        stop_pid(self.proc)


def stop_pid(proc, sig=signal.SIGTERM):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Service:
    """Base of both stacks: state kept under one directory for the whole
    benchmark (so cold starts find the defined domains), processes started
    and stopped per round."""

    def __init__(self, state):
        self.state = state
        self.bus = None
        self.procs = []

    def env(self):
        env = dict(os.environ)
        env["DBUS_SESSION_BUS_ADDRESS"] = self.bus.address
        return env

    def wait_owned(self, t0, proc, timeout=120):
        """Return seconds from t0 to org.libvirt being owned."""
        owned = [None]
        loop = GLib.MainLoop()

        def on_owner(conn, sender, path, iface, sig, params):
            if params[0] == BUS_NAME and params[2]:
                owned[0] = time.perf_counter()
                loop.quit()

        sub = self.bus.conn.signal_subscribe("org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
                                             "/org/freedesktop/DBus", BUS_NAME, Gio.DBusSignalFlags.NONE,
                                             on_owner)
        try:
            if not self.bus.owned():
                def check():
                    if proc.poll() is not None:
                        loop.quit()
                        return False
                    return True
                tid = GLib.timeout_add(50, check)
                GLib.timeout_add_seconds(timeout, loop.quit)
                loop.run()
                GLib.source_remove(tid)
                if owned[0] is None:
                    raise RuntimeError("%s did not own %s" % (self.name, BUS_NAME))
            else:
                owned[0] = time.perf_counter()
        finally:
            self.bus.conn.signal_unsubscribe(sub)
        return owned[0] - t0

    def call(self, path, iface, method, args=None, timeout=120000):
        return self.bus.call(BUS_NAME, path, iface, method, args, timeout)

    def connect(self, method, sig="", *args):
        return self.call(QEMU_PATH, CONNECT, method, GLib.Variant("(%s)" % sig, args) if sig else None)

    def start(self):
        """Start bus + service; return (seconds to name owned, seconds to first reply)."""
        busdir = tempfile.mkdtemp(prefix="bus-", dir=self.state)
        os.chmod(busdir, 0o755)
        self.bus = Bus(busdir)
        t0 = time.perf_counter()
        self.spawn()
        owned = self.wait_owned(t0, self.procs[-1])
        self.connect("ListDomains", "u", 0)
        first = time.perf_counter() - t0
        return owned, first

    def stop(self):
        for p in reversed(self.procs):
            stop_pid(p)
        self.procs = []
        if self.bus:
            self.bus.stop()
            self.bus = None

    def rss(self):
        """{process name: VmRSS KiB} of the service's processes."""
        return {n: rss_kib(p.pid) for n, p in zip(self.proc_names, self.procs)}


class Virtbus(Service):
    name = "virtbus"
    proc_names = ["virtbusd"]

    def __init__(self, state, build):
        super().__init__(state)
        self.binary = os.path.join(build, "virtbusd")
        self.root = os.path.join(state, "root")
        os.makedirs(self.root, exist_ok=True)

    def domain_config_dir(self):
        return os.path.join(self.root, "config", "virtbus", "qemu")

    def spawn(self):
        log = open(os.path.join(self.state, "virtbusd.log"), "ab")
        self.procs.append(subprocess.Popen(
            [self.binary, "--session", "--driver", "qemu", "--root-prefix", self.root],
            env=self.env(), stdout=log, stderr=log, stdin=subprocess.DEVNULL, preexec_fn=pin_services))


class Anchor(Service):
    """libvirtd in session mode (as an unprivileged user, HOME and XDG dirs
    private) and libvirt-dbus --session on a bus of its own."""

    name = "anchor"
    proc_names = ["libvirtd", "libvirt-dbus"]

    def __init__(self, state):
        super().__init__(state)
        pw = pwd.getpwnam(ANCHOR_USER)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.home = os.path.join(state, "home")
        self.xdg = {k: os.path.join(self.home, d) for k, d in
                    (("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache"),
                     ("XDG_DATA_HOME", ".local/share"), ("XDG_RUNTIME_DIR", "run"))}
        for d in self.xdg.values():
            os.makedirs(d, exist_ok=True)
        os.makedirs(os.path.join(self.xdg["XDG_CONFIG_HOME"], "libvirt"), exist_ok=True)
        # QEMU's output to plain files rather than through a virtlogd we
        # would also have to run; keep libvirtd quiet.
        with open(os.path.join(self.xdg["XDG_CONFIG_HOME"], "libvirt", "qemu.conf"), "w") as f:
            f.write('stdio_handler = "file"\n')
        with open(os.path.join(self.xdg["XDG_CONFIG_HOME"], "libvirt", "libvirtd.conf"), "w") as f:
            f.write('log_outputs = "3:file:%s/libvirtd.log"\n' % self.home)
        os.chmod(state, 0o755)
        for dirpath, dirnames, filenames in os.walk(self.home):
            for n in [dirpath] + [os.path.join(dirpath, x) for x in dirnames + filenames]:
                os.chown(n, self.uid, self.gid)
        os.chmod(self.xdg["XDG_RUNTIME_DIR"], 0o700)
        self.sock = os.path.join(self.xdg["XDG_RUNTIME_DIR"], "libvirt", "libvirt-sock")

    def env(self):
        env = super().env()
        env.update(self.xdg)
        env.update(HOME=self.home, USER=ANCHOR_USER, LOGNAME=ANCHOR_USER, LIBVIRT_AUTOSTART="0")
        return env

    def domain_config_dir(self):
        return os.path.join(self.xdg["XDG_CONFIG_HOME"], "libvirt", "qemu")

    def preexec(self):
        pin_services()
        os.setgroups([])
        os.setgid(self.gid)
        os.setuid(self.uid)

    def spawn(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        log = open(os.path.join(self.state, "anchor.log"), "ab")
        libvirtd = subprocess.Popen(["/usr/sbin/libvirtd"], env=self.env(), stdout=log, stderr=log,
                                    stdin=subprocess.DEVNULL, preexec_fn=self.preexec)
        # libvirt-dbus would otherwise try to autostart a libvirtd of its own.
        while not os.path.exists(self.sock):
            if libvirtd.poll() is not None:
                raise RuntimeError("libvirtd exited: see %s/anchor.log" % self.state)
            time.sleep(0.001)
        dbus = subprocess.Popen(["/usr/sbin/libvirt-dbus", "--session"], env=self.env(), stdout=log,
                                stderr=log, stdin=subprocess.DEVNULL, preexec_fn=self.preexec)
        self.procs = [libvirtd, dbus]


def timed(fn, n):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def lean(svc, cfg, n, path, iface, method, sig="", *args, dest=BUS_NAME, items=None):
    """@n calls from the lean client (bench/vb-bench-call.c: sd-bus, every
    value of the reply read), timed by it; their durations in seconds.
    @items: how many values each reply must hold."""
    argv = [cfg.lean_client, "--address", svc.bus.address, "--count", str(n), dest, path, iface, method]
    if sig:
        argv += [sig] + [str(a) for a in args]
    out = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=True).stdout.split("\n")
    got = int(out[0].split()[1])
    if items is not None and got != items:
        raise RuntimeError("%s.%s of %s: %d values in the reply, expected %d" % (iface, method, svc.name, got, items))
    return [float(x) / 1e6 for x in out[1:] if x]


def round_of(svc, cfg, res):
    """One round on @svc; appends samples to res[figure]."""
    def add(fig, vals):
        res.setdefault(fig, []).extend(vals if isinstance(vals, list) else [vals])

    owned, first = svc.start()
    add("cold start, name owned (0 domains) [ms]", owned * 1e3)
    add("cold start, first reply (0 domains) [ms]", first * 1e3)
    time.sleep(cfg.settle)
    rss = svc.rss()
    add("idle RSS, 0 domains, service total [KiB]", sum(rss.values()))
    if "libvirtd" in rss:
        add("idle RSS, 0 domains, libvirtd only [KiB]", rss["libvirtd"])

    ping = Gio.DBusConnection.call_sync
    conn = svc.bus.conn
    args = (None, None, Gio.DBusCallFlags.NONE, 10000, None)
    add("Peer.Ping to the bus (floor) [us]",
        [t * 1e6 for t in timed(lambda: ping(conn, "org.freedesktop.DBus", "/", "org.freedesktop.DBus.Peer",
                                             "Ping", *args), cfg.n)])
    add("Peer.Ping to the service [us]",
        [t * 1e6 for t in timed(lambda: ping(conn, BUS_NAME, "/", "org.freedesktop.DBus.Peer", "Ping", *args),
                                cfg.n)])
    add("ListDomains, 0 domains [us]",
        [t * 1e6 for t in timed(lambda: svc.connect("ListDomains", "u", 0), cfg.n)])
    # The same calls from the lean client (see bench/README.md, "Clients").
    add("Peer.Ping to the bus (floor), sd-bus client [us]",
        [t * 1e6 for t in lean(svc, cfg, cfg.n, "/", "org.freedesktop.DBus.Peer", "Ping",
                               dest="org.freedesktop.DBus")])
    add("Peer.Ping to the service, sd-bus client [us]",
        [t * 1e6 for t in lean(svc, cfg, cfg.n, "/", "org.freedesktop.DBus.Peer", "Ping")])
    add("ListDomains, 0 domains, sd-bus client [us]",
        [t * 1e6 for t in lean(svc, cfg, cfg.n, QEMU_PATH, CONNECT, "ListDomains", "u", 0, items=0)])

    names = ["bench%04d" % i for i in range(cfg.domains)]
    xmls = [domain_xml(n) for n in names]
    paths = []
    defines = []
    for i, x in enumerate(xmls):
        t = time.perf_counter()
        paths.append(svc.connect("DomainDefineXML", "s", x)[0])
        defines.append(time.perf_counter() - t)
        if i + 1 == 100:
            add("ListDomains, 100 domains [ms]",
                [t * 1e3 for t in timed(lambda: svc.connect("ListDomains", "u", 0), cfg.n_list)])
            add("ListDomains, 100 domains, sd-bus client [ms]",
                [t * 1e3 for t in lean(svc, cfg, cfg.n_list, QEMU_PATH, CONNECT, "ListDomains", "u", 0,
                                       items=100)])
    add("DomainDefineXML rate [1/s]", len(defines) / sum(defines))
    add("ListDomains, %d domains [ms]" % cfg.domains,
        [t * 1e3 for t in timed(lambda: svc.connect("ListDomains", "u", 0), cfg.n_list)])
    add("ListDomains, %d domains, sd-bus client [ms]" % cfg.domains,
        [t * 1e3 for t in lean(svc, cfg, cfg.n_list, QEMU_PATH, CONNECT, "ListDomains", "u", 0,
                               items=cfg.domains)])
    add("ListDomains, %d domains, %d concurrent clients [calls/s]" % (cfg.domains, cfg.clients),
        concurrent_list(svc, cfg))
    add("ListDomains, %d domains, %d concurrent sd-bus clients [calls/s]" % (cfg.domains, cfg.clients),
        concurrent_list(svc, cfg, lean_client=True))
    one = paths[len(paths) // 2]
    add("Properties.GetAll(Domain) [us]",
        [t * 1e6 for t in timed(lambda: svc.call(one, "org.freedesktop.DBus.Properties", "GetAll",
                                                 GLib.Variant("(s)", (DOMAIN,))), cfg.n)])
    add("Domain.GetXMLDesc [us]",
        [t * 1e6 for t in timed(lambda: svc.call(one, DOMAIN, "GetXMLDesc", GLib.Variant("(u)", (0,))),
                                cfg.n)])
    add("Properties.GetAll(Domain), sd-bus client [us]",
        [t * 1e6 for t in lean(svc, cfg, cfg.n, one, "org.freedesktop.DBus.Properties", "GetAll", "s", DOMAIN)])
    add("Domain.GetXMLDesc, sd-bus client [us]",
        [t * 1e6 for t in lean(svc, cfg, cfg.n, one, DOMAIN, "GetXMLDesc", "u", 0, items=1)])
    time.sleep(cfg.settle)
    rss = svc.rss()
    add("idle RSS, %d domains, service total [KiB]" % cfg.domains, sum(rss.values()))
    if "libvirtd" in rss:
        add("idle RSS, %d domains, libvirtd only [KiB]" % cfg.domains, rss["libvirtd"])

    svc.stop()
    owned, first = svc.start()
    add("cold start, name owned (%d domains) [ms]" % cfg.domains, owned * 1e3)
    add("cold start, first reply (%d domains) [ms]" % cfg.domains, first * 1e3)
    time.sleep(cfg.settle)
    rss = svc.rss()
    add("RSS after cold start, %d domains, service total [KiB]" % cfg.domains, sum(rss.values()))

    paths = svc.connect("ListDomains", "u", 0)[0]
    undef = timed(lambda: svc.call(paths.pop(), DOMAIN, "Undefine", GLib.Variant("(u)", (0,))), len(paths))
    add("Domain.Undefine rate [1/s]", len(undef) / sum(undef))
    if cfg.guest is not None:
        lifecycle(svc, cfg, res, cfg.guest)
    svc.stop()
    # The floor in the virtbus rounds, with the command line virtbus used.
    if cfg.guest is not None and svc.name == "virtbus" and cfg.qemu_argv is not None:
        raw_floor(cfg, res, os.path.join(svc.state, "floor"))


# ---- 10000 domains: cold start and RSS -------------------------------------

def populate(svc, n):
    """Give @svc n defined domains on disk, fast: define one through D-Bus
    (so the file is the service's own output), then copy that file n-1 times
    with other names and uuids.  Both services read these at start-up."""
    svc.start()
    svc.connect("DomainDefineXML", "s", domain_xml("seed"))
    svc.stop()
    cfgdir = svc.domain_config_dir()
    seed = os.path.join(cfgdir, "seed.xml")
    with open(seed) as f:
        text = f.read()
    st = os.stat(seed)
    for i in range(1, n):
        name = "big%05d" % i
        x = text.replace("<name>seed</name>", "<name>%s</name>" % name)
        x = re.sub(r"<uuid>[^<]*</uuid>", "<uuid>%s</uuid>" % uuidlib.uuid4(), x)
        path = os.path.join(cfgdir, name + ".xml")
        with open(path, "w") as f:
            f.write(x)
        os.chown(path, st.st_uid, st.st_gid)


def big_round(svc, cfg, res):
    def add(fig, val):
        res.setdefault(fig, []).append(val)
    owned, first = svc.start()
    add("cold start, name owned (%d domains) [ms]" % cfg.big, owned * 1e3)
    add("cold start, first reply (%d domains) [ms]" % cfg.big, first * 1e3)
    time.sleep(cfg.settle)
    add("RSS after cold start, %d domains, service total [KiB]" % cfg.big, sum(svc.rss().values()))
    svc.stop()


# ---- 8 concurrent clients ------------------------------------------------------

def worker(address, seconds):
    """--worker mode: ListDomains in a loop on a connection of its own, from
    the start time the parent sends once every worker is connected."""
    conn = Gio.DBusConnection.new_for_address_sync(
        address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
        None, None)
    print("ready", flush=True)
    start_at = float(sys.stdin.readline())
    while time.time() < start_at:
        time.sleep(0.001)
    n = 0
    end = start_at + seconds
    while time.time() < end:
        conn.call_sync(BUS_NAME, QEMU_PATH, CONNECT, "ListDomains", GLib.Variant("(u)", (0,)), None,
                       Gio.DBusCallFlags.NONE, 60000, None)
        n += 1
    print(n / (time.time() - start_at))


def concurrent_list(svc, cfg, lean_client=False):
    """Total ListDomains/s of cfg.clients clients calling back to back:
    this script's GDBus client, or the lean one (bench/vb-bench-call.c)."""
    if lean_client:
        argv = [cfg.lean_client, "--address", svc.bus.address, "--worker", repr(cfg.concurrent_seconds),
                BUS_NAME, QEMU_PATH, CONNECT, "ListDomains", "u", "0"]
    else:
        argv = [sys.executable, os.path.abspath(__file__), "--worker", svc.bus.address,
                repr(cfg.concurrent_seconds)]
    procs = [subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for _ in range(cfg.clients)]
    for p in procs:
        if p.stdout.readline().strip() != "ready":
            raise RuntimeError("a ListDomains client failed to connect")
    start_at = time.time() + 0.1
    for p in procs:
        p.stdin.write("%r\n" % start_at)
        p.stdin.flush()
    return sum(float(p.communicate()[0]) for p in procs)


# ---- lifecycle of a real guest, and the raw QEMU floor ---------------------------

def guest_files(tmp, build):
    """The tiny test guest (tests/guest/), copied where the anchor's
    unprivileged user can read it."""
    os.environ.setdefault("VB_BUILD_ROOT", build)
    g = tinyguest.build_guest()
    d = os.path.join(tmp, "guest")
    os.makedirs(d, exist_ok=True)
    for n in ("vmlinux", "initramfs.cpio.gz", "cmdline"):
        shutil.copy(os.path.join(g.dir, n), d)
        os.chmod(os.path.join(d, n), 0o644)
    os.chmod(d, 0o755)
    return tinyguest.Guest(d)


def call_and_event(svc, path, iface, method, args, event, timeout=60):
    """Seconds from sending @method to its reply, and to the DomainEvent
    @event for @path."""
    loop = GLib.MainLoop()
    got = {}

    def on_event(conn, sender, opath, ifc, sig, params):
        if params[0] == path and params[1] == event and "event" not in got:
            got["event"] = time.perf_counter()
            if "reply" in got:
                loop.quit()

    def on_reply(conn, result):
        got["reply"] = time.perf_counter()
        try:
            conn.call_finish(result)
        except GLib.Error as e:
            got["error"] = e
            loop.quit()
        if "event" in got:
            loop.quit()

    def on_timeout():
        got["timeout"] = True
        loop.quit()
        return False

    conn = svc.bus.conn
    sub = conn.signal_subscribe(None, CONNECT, "DomainEvent", QEMU_PATH, None, Gio.DBusSignalFlags.NONE, on_event)
    tid = GLib.timeout_add_seconds(timeout, on_timeout)
    try:
        t0 = time.perf_counter()
        conn.call(BUS_NAME, path, iface, method, args, None, Gio.DBusCallFlags.NONE, timeout * 1000, None, on_reply)
        loop.run()
    finally:
        if "timeout" not in got:
            GLib.source_remove(tid)
        conn.signal_unsubscribe(sub)
    if "error" in got:
        raise RuntimeError("%s %s: %s" % (svc.name, method, got["error"].message))
    if "reply" not in got or "event" not in got:
        raise RuntimeError("%s %s: no reply or no DomainEvent %d within %ds" % (svc.name, method, event, timeout))
    return got["reply"] - t0, got["event"] - t0


def qemu_argv_of(uuid):
    """argv of the running QEMU whose command line names @uuid."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")[:-1]
        except OSError:
            continue
        args = [a.decode() for a in argv]
        if args and "qemu-system" in args[0] and any(uuid in a for a in args):
            return args
    return None


def lifecycle(svc, cfg, res, g):
    def add(fig, val):
        res.setdefault(fig, []).append(val * 1e3)
    uuid = str(uuidlib.uuid4())
    xml = tinyguest.domain_xml("benchguest", uuid=uuid, guest=g)
    if os.cpu_count() and os.cpu_count() > 1:
        # Both stacks give the QEMU they spawn every host CPU unless told
        # otherwise: the guest joins the services on their CPU, as the
        # raw floor's QEMU does, and leaves the client's alone.
        xml = xml.replace("<vcpu>", "<vcpu cpuset='%d'>" % SERVICE_CPU)
    path = svc.connect("DomainDefineXML", "s", xml)[0]
    try:
        # n_cold cycles more than n_life: their Creates come COLD_GAP after
        # the last guest, the others WARM_GAP after the one before.
        for i in range(cfg.n_cold + cfg.n_life):
            cold = i < cfg.n_cold
            pause_after_guest(COLD_GAP if cold else WARM_GAP)
            reply, event = call_and_event(svc, path, DOMAIN, "Create", GLib.Variant("(u)", (0,)), EVENT_STARTED)
            when = ", after %g s without a guest" % COLD_GAP if cold else ""
            add("Domain.Create → reply%s [ms]" % when, reply)
            add("Domain.Create → DomainEvent Started%s [ms]" % when, event)
            if svc.name == "virtbus" and cfg.qemu_argv is None:
                cfg.qemu_argv = qemu_argv_of(uuid)
                cfg.qemu_root = svc.root
            started = time.monotonic()
            time.sleep(0.3)
            for method, ev in (("Suspend", EVENT_SUSPENDED), ("Resume", EVENT_RESUMED)):
                reply, event = call_and_event(svc, path, DOMAIN, method, None, ev)
                add("Domain.%s → reply [ms]" % method, reply)
                add("Domain.%s → DomainEvent [ms]" % method, event)
            # Again, the guest still busy, with the bus on the client's CPU:
            # above, the reply waits in the bus for the CPU the resumed vCPU
            # holds (bench/README.md, finding 4); here only the service
            # shares a CPU with its guest, as QEMU alone does in the floor.
            svc.bus.pin(CLIENT_CPU)
            try:
                for method, ev in (("Suspend", EVENT_SUSPENDED), ("Resume", EVENT_RESUMED)):
                    reply, event = call_and_event(svc, path, DOMAIN, method, None, ev)
                    add("Domain.%s → reply, bus on the client CPU [ms]" % method, reply)
            finally:
                svc.bus.pin(SERVICE_CPU)
            # Again once the guest has booted and idles: without its vCPU
            # competing for the service CPU (see bench/README.md).
            time.sleep(max(0.0, started + IDLE_AFTER - time.monotonic()))
            for method, ev in (("Suspend", EVENT_SUSPENDED), ("Resume", EVENT_RESUMED)):
                reply, event = call_and_event(svc, path, DOMAIN, method, None, ev)
                add("Domain.%s → reply, idle guest [ms]" % method, reply)
            reply, event = call_and_event(svc, path, DOMAIN, "Destroy", GLib.Variant("(u)", (0,)), EVENT_STOPPED)
            guest_gone()
            add("Domain.Destroy → reply [ms]", reply)
            add("Domain.Destroy → DomainEvent Stopped [ms]", event)
    finally:
        try:
            svc.call(path, DOMAIN, "Destroy", GLib.Variant("(u)", (0,)))
            guest_gone()
        except GLib.Error:
            pass
        svc.call(path, DOMAIN, "Undefine", GLib.Variant("(u)", (0,)))


def raw_floor(cfg, res, workdir):
    """The same QEMU command line virtbus ran, without virtbus: spawn →
    qmp_capabilities → cont; QMP stop and cont round trips; quit → process
    gone."""
    def add(fig, val):
        res.setdefault(fig, []).append(val * 1e3)
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    qmp_path = os.path.join(workdir, "qmp.sock")
    argv, skip = [], False
    for i, a in enumerate(cfg.qemu_argv):
        if skip:
            skip = False
        elif a == "-daemonize":
            pass
        elif a == "-pidfile":
            skip = True
        elif a == "-qmp":
            argv += ["-qmp", "unix:%s,server=on,wait=off" % qmp_path]
            skip = True
        elif a.startswith("socket,id=charmonitor,fd=3,"):
            # The monitor socket virtbus listens on before QEMU runs: the
            # floor does the same (see listening below).
            argv.append(a)
        else:
            if cfg.qemu_root in a:
                a = a.replace(cfg.qemu_root, workdir)
            argv.append(a)
    for a in argv:
        for piece in re.split("[,=]", a):
            if piece.startswith(workdir):
                os.makedirs(os.path.dirname(piece), exist_ok=True)
    if "-S" not in argv:
        argv.append("-S")
    with open(os.path.join(workdir, "argv"), "w") as f:
        f.write("\0".join(argv))
    for i in range(cfg.n_cold + cfg.n_life):  # as lifecycle(): the first n_cold after COLD_GAP
        cold = i < cfg.n_cold
        if os.path.exists(qmp_path):
            os.unlink(qmp_path)
        with open(os.path.join(workdir, "qemu.log"), "ab") as log:
            pause_after_guest(COLD_GAP if cold else WARM_GAP)
            listening = "-mon" in argv
            t0 = time.perf_counter()
            if listening:
                # As virtbus: bound and listening before QEMU runs, QEMU's
                # fd 3; the connection below waits for the greeting.
                lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                lsock.bind(qmp_path)
                lsock.listen(4)

                def setup():
                    pin_services()  # as the domain's <vcpu cpuset>
                    os.dup2(lsock.fileno(), 3)
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=False,
                                        preexec_fn=setup)
                lsock.close()
            else:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                        preexec_fn=pin_services)  # as the domain's <vcpu cpuset>
                while not os.path.exists(qmp_path):
                    if proc.poll() is not None:
                        raise RuntimeError("raw QEMU exited: see %s/qemu.log" % workdir)
                    time.sleep(0.0005)
            qmp = tinyguest.Qmp(qmp_path)  # greeting + qmp_capabilities
            qmp.execute("cont")
            add("raw QEMU floor: spawn → qmp_capabilities → cont%s [ms]"
                % (", after %g s without a guest" % COLD_GAP if cold else ""), time.perf_counter() - t0)
        started = time.monotonic()
        time.sleep(0.3)
        for cmd in ("stop", "cont"):
            t = time.perf_counter()
            qmp.execute(cmd)
            add("raw QEMU floor: QMP %s round trip [ms]" % cmd, time.perf_counter() - t)
        time.sleep(max(0.0, started + IDLE_AFTER - time.monotonic()))
        for cmd in ("stop", "cont"):
            t = time.perf_counter()
            qmp.execute(cmd)
            add("raw QEMU floor: QMP %s round trip, idle guest [ms]" % cmd, time.perf_counter() - t)
        t = time.perf_counter()
        try:
            qmp.execute("quit")
        except (EOFError, OSError):
            pass
        proc.wait()
        guest_gone()
        add("raw QEMU floor: quit → process gone [ms]", time.perf_counter() - t)
        qmp.close()


def summary(vals):
    vals = sorted(vals)
    p95 = vals[min(len(vals) - 1, int(round(0.95 * (len(vals) - 1))))]
    return statistics.median(vals), p95, len(vals)


def fmt(v):
    if v >= 1000:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker(sys.argv[2], float(sys.argv[3]))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="about 3 minutes instead of about 10 (2 rounds, fewer samples)")
    ap.add_argument("--build", default=os.environ.get("VB_BUILD_ROOT", os.path.join(TOP, "build")),
                    help="meson build directory holding virtbusd")
    ap.add_argument("--rounds", type=int, help="rounds per service (alternating)")
    ap.add_argument("--domains", type=int, default=1000, help="domains defined for the large figures")
    ap.add_argument("--big", type=int, default=10000,
                    help="domains on disk for the large cold-start figures (0: skip them)")
    ap.add_argument("--no-guest", action="store_true", help="skip the figures that boot the tiny guest")
    ap.add_argument("--json", help="also write the raw samples here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary state directory")
    cfg = ap.parse_args()
    cfg.rounds = cfg.rounds or (2 if cfg.quick else 6)
    cfg.n = 200 if cfg.quick else 1000
    cfg.n_list = 10 if cfg.quick else 30
    cfg.settle = 1.0
    cfg.clients = 8
    cfg.concurrent_seconds = 1.0 if cfg.quick else 3.0
    cfg.n_life = 2 if cfg.quick else 5
    # Cold starts spread widely (103-269 ms in six samples): three a round.
    cfg.n_cold = 1 if cfg.quick else 3
    cfg.qemu_argv = None
    cfg.qemu_root = None
    cfg.guest = None

    cfg.lean_client = os.path.join(cfg.build, "bench", "vb-bench-call")
    if not os.access(cfg.lean_client, os.X_OK):
        sys.exit("%s is missing: it is built with libsystemd-dev installed (build-aux/setup.sh bench does both)"
                 % cfg.lean_client)
    if os.geteuid() != 0:
        sys.exit("run as root: the anchor's libvirtd is started as the unprivileged user %r" % ANCHOR_USER)
    if os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {CLIENT_CPU})

    tmp = tempfile.mkdtemp(prefix="virtbus-bench-")
    os.chmod(tmp, 0o755)
    os.makedirs(os.path.join(tmp, "virtbus"))
    os.makedirs(os.path.join(tmp, "anchor"))
    services = [Virtbus(os.path.join(tmp, "virtbus"), cfg.build), Anchor(os.path.join(tmp, "anchor"))]
    results = {s.name: {} for s in services}
    big = {}
    if cfg.big:
        os.makedirs(os.path.join(tmp, "virtbus-big"))
        os.makedirs(os.path.join(tmp, "anchor-big"))
        big = {"virtbus": Virtbus(os.path.join(tmp, "virtbus-big"), cfg.build),
               "anchor": Anchor(os.path.join(tmp, "anchor-big"))}
    t_start = time.monotonic()
    try:
        if not cfg.no_guest:
            why = tinyguest.missing_requirements()
            if why:
                print("skipping the guest figures: %s" % why, file=sys.stderr)
            else:
                cfg.guest = guest_files(tmp, cfg.build)
        for s in big.values():
            print("populating %s with %d domains" % (s.name, cfg.big), file=sys.stderr, flush=True)
            populate(s, cfg.big)
            # The first start after the files were copied behind the
            # service's back: virtbus finds no domain index and parses
            # every definition (the later rounds are ordinary restarts).
            owned, first = s.start()
            results[s.name]["cold start, first start of copied files, name owned (%d domains) [ms]" % cfg.big] = \
                [owned * 1e3]
            results[s.name]["cold start, first start of copied files, first reply (%d domains) [ms]" % cfg.big] = \
                [first * 1e3]
            s.stop()
        # Warm-up (not recorded): libvirtd probes QEMU's capabilities once
        # and caches them under its XDG cache dir; virtbus' own caches too.
        for s in services:
            s.start()
            s.stop()
        for r in range(cfg.rounds):
            order = services if r % 2 == 0 else list(reversed(services))
            for s in order:
                print("round %d/%d: %s" % (r + 1, cfg.rounds, s.name), file=sys.stderr, flush=True)
                round_of(s, cfg, results[s.name])
                if s.name in big:
                    big_round(big[s.name], cfg, results[s.name])
    finally:
        for s in services + list(big.values()):
            s.stop()
        if cfg.keep:
            print("state kept in", tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    elapsed = time.monotonic() - t_start
    print("virtbus vs anchor (libvirt-dbus 1.4.1 + libvirtd 9.0, qemu:///session); "
          "%d alternating rounds each, %.0f s, %s" % (cfg.rounds, elapsed, time.strftime("%Y-%m-%d")))
    print("| figure | virtbus median (p95) | anchor median (p95) | virtbus/anchor |")
    print("|---|---|---|---|")
    for fig in results["virtbus"]:
        v = summary(results["virtbus"][fig])
        if fig not in results["anchor"]:
            print("| %s | %s (%s) | – | – |" % (fig, fmt(v[0]), fmt(v[1])))
            continue
        a = summary(results["anchor"][fig])
        ratio = v[0] / a[0] if a[0] else float("nan")
        print("| %s | %s (%s) | %s (%s) | %.3f |" % (fig, fmt(v[0]), fmt(v[1]), fmt(a[0]), fmt(a[1]), ratio))
    for fig in results["anchor"]:
        if fig not in results["virtbus"]:
            a = summary(results["anchor"][fig])
            print("| %s | – | %s (%s) | – |" % (fig, fmt(a[0]), fmt(a[1])))
    floor = results["virtbus"]

    def med(res, fig):
        return summary(res[fig])[0] if fig in res else float("nan")
    if "raw QEMU floor: quit → process gone [ms]" in floor:
        print()
        print("| lifecycle target | virtbus | anchor |")
        print("|---|---|---|")
        spawn = med(floor, "raw QEMU floor: spawn → qmp_capabilities → cont [ms]")

        def margin(call, qmp):
            # How much longer a call takes than QMP's own command, in ms.
            return lambda r: "%.2f" % (med(r, "Domain.%s [ms]" % call) - med(floor, "raw QEMU floor: %s [ms]" % qmp))
        cold = ", after %g s without a guest" % COLD_GAP
        cold_spawn = med(floor, "raw QEMU floor: spawn → qmp_capabilities → cont%s [ms]" % cold)
        rows = [("Create → DomainEvent Started / floor (target ≤ 1.3)",
                 lambda r: "%.2f" % (med(r, "Domain.Create → DomainEvent Started [ms]") / spawn)),
                ("Create → DomainEvent Started / floor%s" % cold,
                 lambda r: "%.2f" % (med(r, "Domain.Create → DomainEvent Started%s [ms]" % cold) / cold_spawn)),
                ("Destroy → reply − floor quit → gone [ms] (target ≤ 10)",
                 margin("Destroy → reply", "quit → process gone"))]
        # (the call's figure, the floor's, the row's label): the bus' CPU
        # does not matter to the floor, which has no bus.
        for suffix, qsuffix, label in (("", "", " (target ≤ 2)"),
                                       (", bus on the client CPU", "", ", bus on the client CPU (target ≤ 2)"),
                                       (", idle guest", ", idle guest", ", idle guest")):
            rows += [("Suspend → reply − QMP stop [ms]" + label,
                      margin("Suspend → reply" + suffix, "QMP stop round trip" + qsuffix)),
                     ("Resume → reply − QMP cont [ms]" + label,
                      margin("Resume → reply" + suffix, "QMP cont round trip" + qsuffix))]
        for label, fn in rows:
            print("| %s | %s | %s |" % (label, fn(results["virtbus"]), fn(results["anchor"])))
    if cfg.json:
        with open(cfg.json, "w") as f:
            json.dump({"date": time.strftime("%Y-%m-%d"), "rounds": cfg.rounds, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
