"""Shared fixtures for the integration tests.

Every test gets its own private message bus (a dbus-daemon started here) and
its own virtbusd on it, with all state under a temporary root prefix. Nothing
touches the host's buses or directories.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
from gi.repository import Gio, GLib

BUS_NAME = "org.libvirt"
TEST_PATH = "/org/libvirt/Test"


def build_root():
    root = os.environ.get("VB_BUILD_ROOT")
    if root:
        return root
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "build")


def virtbusd_path():
    return os.path.join(build_root(), "virtbusd")


# ---- sanitizer pass (build-aux/run-tests.sh, ASan+UBSan build) ----
# There the sanitizers write each report to <VB_SANITIZER_LOG>.<pid> (their
# log_path) instead of stderr, so a report by any process is found whether or
# not the test looked at that process' output or exit status. run-tests.sh
# counts and prints every report file; the fixtures below also fail the test
# whose virtbusd wrote one.
def sanitizer_report(pid):
    """The sanitizer report written by process @pid, or None."""
    prefix = os.environ.get("VB_SANITIZER_LOG")
    if not prefix or pid is None:
        return None
    try:
        with open("%s.%d" % (prefix, pid), errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return None


def sanitizer_client_env(env):
    """Lets an uninstrumented interpreter (python3, gjs) load the ASan-built
    libvirtbus: clang's ASan runtime (VB_ASAN_RUNTIME) must be preloaded.
    LeakSanitizer is off for those interpreters: their own one-time
    allocations are not ours (the C client test covers libvirtbus' leaks)."""
    runtime = os.environ.get("VB_ASAN_RUNTIME")
    if runtime:
        env["LD_PRELOAD"] = runtime
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
        # Meson's generate_gir lists GCC's sanitizer runtimes (libasan.so.8,
        # libubsan.so.1) in the typelib even for a clang build; GI would
        # dlopen them next to clang's runtime, and two ASan runtimes abort.
        # Those names resolve to the clang runtime already loaded instead.
        shim = os.path.join(build_root(), "asan-gi-libs")
        os.makedirs(shim, exist_ok=True)
        for name in ("libasan.so.8", "libubsan.so.1"):
            link = os.path.join(shim, name)
            try:
                os.symlink(runtime, link)
            except FileExistsError:
                pass
        env["LD_LIBRARY_PATH"] = shim + os.pathsep + env.get("LD_LIBRARY_PATH", "")
    return env


def pytest_configure(config):
    config.addinivalue_line("markers", "soak: bounded concurrency soak test (runs in CI)")
# ---- end sanitizer pass ----


class Bus:
    """A private dbus-daemon, killed by PID when the test ends."""

    def __init__(self, tmpdir, kind="session", prefix=()):
        # prefix: a command to run dbus-daemon under, e.g. ("ip", "netns", "exec", NS)
        self.tmpdir = tmpdir
        self.socket = os.path.join(tmpdir, "bus")
        self.address = "unix:path=" + self.socket
        config = os.path.join(tmpdir, "bus.conf")
        with open(config, "w") as f:
            f.write(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>{kind}</type>
  <listen>{self.address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
    <allow user="*"/>
  </policy>
</busconfig>
""")
        self.proc = subprocess.Popen(
            list(prefix) + ["dbus-daemon", "--nofork", "--nopidfile", "--config-file=" + config],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # The socket file appears before dbus-daemon listens on it: retry.
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("dbus-daemon did not start: %s" % self.proc.stderr.read())
            try:
                self.connection = Gio.DBusConnection.new_for_address_sync(
                    self.address,
                    Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
                    None, None)
                break
            except GLib.Error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def stop(self):
        try:
            self.connection.close_sync(None)
        except GLib.Error:
            pass
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stderr.close()


class Virtbus:
    """A virtbusd on a private bus, with helpers to call it and watch signals."""

    def __init__(self, bus, root_prefix, args=(), prefix=()):
        # prefix: a command to run virtbusd under (see Bus)
        self.bus = bus
        self.root_prefix = root_prefix
        self.args = list(args)
        self.prefix = list(prefix)
        self.proc = None
        self.signals = []
        self.connection = bus.connection
        self._sub = self.connection.signal_subscribe(
            BUS_NAME, None, None, None, None, Gio.DBusSignalFlags.NONE, self._on_signal)
        self.start()

    def _on_signal(self, conn, sender, path, iface, name, params):
        self.signals.append((path, iface, name, params.unpack()))

    def start(self, extra_args=()):
        env = dict(os.environ)
        env["DBUS_SESSION_BUS_ADDRESS"] = self.bus.address
        env.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        self.log = open(os.path.join(self.root_prefix, "virtbusd.log"), "ab")
        self.proc = subprocess.Popen(
            self.prefix + [virtbusd_path(), "--session", "--root-prefix", self.root_prefix, "--verbose"]
            + self.args + list(extra_args),
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_for_name()

    def wait_for_name(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("virtbusd exited with %s; log:\n%s%s" % (
                    self.proc.returncode, self.read_log(), sanitizer_report(self.proc.pid) or ""))
            owner = self.connection.call_sync(
                "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                "NameHasOwner", GLib.Variant("(s)", (BUS_NAME,)), GLib.VariantType("(b)"),
                Gio.DBusCallFlags.NONE, 1000, None)
            if owner.unpack()[0]:
                return
            time.sleep(0.01)
        raise RuntimeError("virtbusd did not own %s in time" % BUS_NAME)

    def read_log(self):
        with open(os.path.join(self.root_prefix, "virtbusd.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        pid = self.proc.pid
        # LeakSanitizer's exit-time scan makes an ASan build slower to stop.
        code = self.proc.wait(timeout=60 if os.environ.get("VB_SANITIZER_LOG") else 10)
        self.proc = None
        self.log.close()
        report = sanitizer_report(pid)  # sanitizer pass
        assert report is None, "virtbusd (pid %d) sanitizer report:\n%s" % (pid, report)
        return code

    def kill_and_restart(self):
        """SIGKILL the daemon (as a crash would end it), then start a new one."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None
        self.log.close()
        self.clear_signals()
        self.start()

    def close(self):
        self.stop()
        self.connection.signal_unsubscribe(self._sub)

    # ---- calls ----
    def call(self, path, interface, method, signature="", *args, timeout=10000, fd_list=None):
        """Calls a method; returns the unpacked out arguments (a tuple)."""
        params = GLib.Variant("(%s)" % signature, tuple(args)) if signature else None
        if fd_list is not None:
            reply, out_fds = self.connection.call_with_unix_fd_list_sync(
                BUS_NAME, path, interface, method, params, None, Gio.DBusCallFlags.NONE, timeout,
                fd_list, None)
            return reply.unpack(), out_fds
        reply = self.connection.call_sync(BUS_NAME, path, interface, method, params, None,
                                          Gio.DBusCallFlags.NONE, timeout, None)
        return reply.unpack()

    def call1(self, path, interface, method, signature="", *args, **kw):
        """Calls a method with exactly one out argument and returns it."""
        out = self.call(path, interface, method, signature, *args, **kw)
        assert len(out) == 1, out
        return out[0]

    def connect_call(self, method, signature="", *args, path=TEST_PATH):
        return self.call1(path, "org.libvirt.Connect", method, signature, *args)

    def error(self, path, interface, method, signature="", *args):
        """Calls a method that must fail; returns (dbus error name, message)."""
        with pytest.raises(GLib.Error) as info:
            self.call(path, interface, method, signature, *args)
        err = info.value
        name = Gio.DBusError.get_remote_error(err)
        msg = err.message
        prefix = "GDBus.Error:%s: " % name
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
        return name, msg

    def get_property(self, path, interface, name):
        return self.call1(path, "org.freedesktop.DBus.Properties", "Get", "ss", interface, name)

    def properties(self, path, interface):
        return self.call1(path, "org.freedesktop.DBus.Properties", "GetAll", "s", interface)

    def set_property(self, path, interface, name, value):
        return self.call(path, "org.freedesktop.DBus.Properties", "Set", "ssv", interface, name, value)

    def managed_objects(self):
        return self.call1("/org/libvirt", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")

    # ---- signals ----
    def pump(self, seconds=0.0):
        ctx = GLib.MainContext.default()
        deadline = time.monotonic() + seconds
        while True:
            while ctx.pending():
                ctx.iteration(False)
            if time.monotonic() >= deadline:
                break
            time.sleep(0.005)

    def wait_signal(self, name, predicate=lambda s: True, timeout=5.0, interface=None):
        """Waits for a signal (path, iface, name, args) matching; returns it and
        drops it and everything before it from the record."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            for i, s in enumerate(self.signals):
                if s[2] == name and (interface is None or s[1] == interface) and predicate(s):
                    del self.signals[:i + 1]
                    return s
            if time.monotonic() > deadline:
                raise AssertionError("no %s signal within %.1fs; got %r" % (name, timeout, self.signals))
            time.sleep(0.005)

    def clear_signals(self):
        self.pump()
        self.signals.clear()


@pytest.fixture
def tmp_root():
    d = tempfile.mkdtemp(prefix="virtbus-test-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def bus(tmp_root):
    b = Bus(tmp_root)
    yield b
    b.stop()


@pytest.fixture
def virtbus_with_env(bus, tmp_root, monkeypatch):
    """start(env, driver): a virtbusd of its own, in a root of its own, with
    the environment variables @env; stopped (exit 0 checked) at the end."""
    started = []

    def start(env, driver):
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        root = os.path.join(tmp_root, "root-%d" % len(started))
        os.makedirs(root)
        vb = Virtbus(bus, root, args=["--driver", driver])
        started.append(vb)
        return vb
    yield start
    for vb in started:
        code = vb.stop()
        vb.close()
        assert code == 0, "virtbusd exited with %s; log:\n%s" % (code, vb.read_log())


@pytest.fixture
def virtbus(bus, tmp_root):
    root = os.path.join(tmp_root, "root")
    os.makedirs(root)
    vb = Virtbus(bus, root)
    yield vb
    code = vb.stop()
    vb.close()
    assert code == 0, "virtbusd exited with %s; log:\n%s" % (code, vb.read_log())
