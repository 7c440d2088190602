#!/usr/bin/python3
"""Benchmarks of virtbus side by side with the anchor stack (libvirt-dbus on libvirtd).

One client, the same code for both services: each round starts a service on
its own private dbus-daemon with all of its state under a temporary
directory, measures every figure, and stops it (by PID).  Rounds alternate
(virtbus, anchor, virtbus, anchor, ...) so that drift of the machine hits
both alike.  The client runs on one CPU, the buses and services on another.

    /usr/bin/python3 bench/run.py [--quick] [--build DIR] [--json FILE]

See bench/README.md for what each figure means.
"""

import argparse
import json
import os
import pwd
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib

import gi
gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

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
    add("DomainDefineXML rate [1/s]", len(defines) / sum(defines))
    add("ListDomains, %d domains [ms]" % cfg.domains,
        [t * 1e3 for t in timed(lambda: svc.connect("ListDomains", "u", 0), cfg.n_list)])
    one = paths[len(paths) // 2]
    add("Properties.GetAll(Domain) [us]",
        [t * 1e6 for t in timed(lambda: svc.call(one, "org.freedesktop.DBus.Properties", "GetAll",
                                                 GLib.Variant("(s)", (DOMAIN,))), cfg.n)])
    add("Domain.GetXMLDesc [us]",
        [t * 1e6 for t in timed(lambda: svc.call(one, DOMAIN, "GetXMLDesc", GLib.Variant("(u)", (0,))),
                                cfg.n)])
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
    svc.stop()


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
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="about 1 minute instead of about 3-4")
    ap.add_argument("--build", default=os.environ.get("VB_BUILD_ROOT", os.path.join(TOP, "build")),
                    help="meson build directory holding virtbusd")
    ap.add_argument("--rounds", type=int, help="rounds per service (alternating)")
    ap.add_argument("--domains", type=int, default=1000, help="domains defined for the large figures")
    ap.add_argument("--json", help="also write the raw samples here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary state directory")
    cfg = ap.parse_args()
    cfg.rounds = cfg.rounds or (2 if cfg.quick else 6)
    cfg.n = 200 if cfg.quick else 1000
    cfg.n_list = 10 if cfg.quick else 30
    cfg.settle = 1.0

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
    t_start = time.monotonic()
    try:
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
    finally:
        for s in services:
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
        a = summary(results["anchor"].get(fig, [float("nan")]))
        ratio = v[0] / a[0] if a[0] else float("nan")
        print("| %s | %s (%s) | %s (%s) | %.3f |" % (fig, fmt(v[0]), fmt(v[1]), fmt(a[0]), fmt(a[1]), ratio))
    for fig in results["anchor"]:
        if fig not in results["virtbus"]:
            a = summary(results["anchor"][fig])
            print("| %s | – | %s (%s) | – |" % (fig, fmt(a[0]), fmt(a[1])))
    if cfg.json:
        with open(cfg.json, "w") as f:
            json.dump({"date": time.strftime("%Y-%m-%d"), "rounds": cfg.rounds, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
