"""`virtbusctl console` and VirtbusDomain.open_console against a real QEMU
guest (tests/guest/) served by virtbusd's qemu:///session connection.

virtbusd runs with its default drivers (test and qemu).  virtbusctl runs
under a pseudo-terminal for the interactive cases: raw mode while
connected, Ctrl+] to leave, the terminal restored afterwards.  Every QEMU is
killed by PID when the test ends.
"""
import os
import select
import signal
import subprocess
import sys
import termios
import time

import pytest

import guest
from conftest import Virtbus, build_root, sanitizer_client_env
from test_qemu_lifecycle import BOOT_TIMEOUT, QEMU_PATH, Qemu, describe_processes, qemu_pids, wait_gone, zombie_children

URI = "qemu:///session"
# virtbusctl(1) exit codes
OK, FAILED, USAGE, NOT_FOUND, CONNECT, DENIED, UNAVAILABLE = range(7)

pytestmark = pytest.mark.skipif(guest.missing_requirements() is not None,
                                reason=str(guest.missing_requirements()))


def ctl_env(vb):
    env = dict(os.environ)
    env["DBUS_SESSION_BUS_ADDRESS"] = vb.bus.address
    env.pop("VIRTBUS_DEFAULT_URI", None)
    env["LC_ALL"] = "C"
    return env


def ctl_argv(*args):
    return [os.path.join(build_root(), "tools", "virtbusctl"), "-c", URI] + list(args)


@pytest.fixture
def qemu(bus, tmp_root):
    root = os.path.join(tmp_root, "root")
    os.makedirs(root)
    vb = Virtbus(bus, root)  # default drivers: test and qemu
    q = Qemu(vb, root)
    yield q
    leftovers = qemu_pids(root)
    for pid in leftovers:
        os.kill(pid, signal.SIGKILL)
    wait_gone(leftovers)
    deadline = time.monotonic() + 5
    while zombie_children(vb.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    zombies = zombie_children(vb.proc.pid)
    code = vb.stop()
    vb.close()
    assert code == 0, "virtbusd exited with %s; log:\n%s" % (code, vb.read_log())
    assert zombies == [], describe_processes(zombies)


def booted(qemu, name):
    """Boot a guest, wait until it answers, then free its console (QEMU's
    socket chardev serves one client at a time)."""
    path, con = qemu.boot(name)
    con.close()
    return path


class PtyCtl:
    """virtbusctl with stdin/stdout on a pseudo-terminal, stderr in a file."""

    def __init__(self, qemu, tmp_root, *args):
        self.master, self.slave = os.openpty()
        self.cooked = termios.tcgetattr(self.slave)
        self.err_path = os.path.join(tmp_root, "ctl-stderr-%d" % time.monotonic_ns())
        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(ctl_argv(*args), stdin=self.slave, stdout=self.slave, stderr=err,
                                         env=ctl_env(qemu.vb), start_new_session=True)
        self.out = b""

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")

    def pump(self, timeout=0.05):
        # Keep reading: what virtbusctl cannot write blocks its relay.
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                self.out += os.read(self.master, 65536)
            except OSError:
                pass

    def wait(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while not predicate():
            assert self.proc.poll() is None or predicate(), \
                "virtbusctl exited (%s) waiting for %s; stderr: %s" % (self.proc.returncode, what, self.stderr())
            assert time.monotonic() < deadline, "no %s; output %r; stderr %r" % (what, self.out, self.stderr())
            self.pump()

    def is_raw(self):
        lflag = termios.tcgetattr(self.slave)[3]
        return not (lflag & (termios.ICANON | termios.ECHO | termios.ISIG))

    def lines(self):
        return [l.strip() for l in self.out.decode(errors="replace").replace("\r", "").split("\n")]

    def type(self, data):
        os.write(self.master, data)

    def finish(self, timeout):
        """Wait for the exit (reading meanwhile); return (code, seconds)."""
        t0 = time.monotonic()
        while self.proc.poll() is None:
            assert time.monotonic() - t0 < timeout, "virtbusctl still running; stderr %r" % self.stderr()
            self.pump(0.02)
        return self.proc.returncode, time.monotonic() - t0

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def ptys():
    opened = []
    yield opened
    for p in opened:
        p.close()


def test_console_on_a_pty_echo_and_escape(qemu, tmp_root, ptys):
    booted(qemu, "vm1")
    ctl = PtyCtl(qemu, tmp_root, "console", "vm1")
    ptys.append(ctl)
    assert not ctl.is_raw()
    ctl.wait(lambda: "Escape character is ^]" in ctl.stderr(), 30, "banner")
    assert "Connected to domain 'vm1'" in ctl.stderr()
    ctl.wait(ctl.is_raw, 10, "raw mode on the terminal")
    iflag, oflag = termios.tcgetattr(ctl.slave)[:2]
    assert not iflag & termios.ICRNL and not oflag & termios.OPOST

    # Enter on a raw terminal is a carriage return; the guest's tty takes it.
    ctl.type(b"echo hello-console\r")
    ctl.wait(lambda: "hello-console" in ctl.lines(), 30, "the guest's answer")
    # A second line, typed character by character as a person would.
    for ch in b"echo second-line\r":
        ctl.type(bytes([ch]))
    ctl.wait(lambda: "second-line" in ctl.lines(), 30, "the second answer")

    ctl.type(b"\x1d")
    code, seconds = ctl.finish(5)
    assert code == OK, ctl.stderr()
    assert seconds < 2
    # Back to exactly the cooked state it had before.
    assert termios.tcgetattr(ctl.slave) == ctl.cooked
    assert not ctl.is_raw()
    # The guest is untouched and its console free for the next client.
    con = qemu.console(qemu.connect("DomainLookupByName", "s", "vm1"))
    con.echo("still-there", timeout=30)
    con.close()


def test_console_ends_when_the_domain_stops(qemu, tmp_root, ptys):
    path = booted(qemu, "vm1")
    ctl = PtyCtl(qemu, tmp_root, "console", "vm1")
    ptys.append(ctl)
    ctl.wait(ctl.is_raw, 30, "raw mode on the terminal")
    ctl.type(b"echo before-destroy\r")
    ctl.wait(lambda: "before-destroy" in ctl.lines(), 30, "the guest's answer")
    qemu.dom(path, "Destroy", "u", 0)
    code, seconds = ctl.finish(5)
    assert code == OK, ctl.stderr()
    assert "console was closed by the domain" in ctl.stderr()
    assert termios.tcgetattr(ctl.slave) == ctl.cooked


def test_console_sigterm_restores_the_terminal(qemu, tmp_root, ptys):
    booted(qemu, "vm1")
    ctl = PtyCtl(qemu, tmp_root, "console", "vm1")
    ptys.append(ctl)
    ctl.wait(ctl.is_raw, 30, "raw mode on the terminal")
    ctl.proc.send_signal(signal.SIGTERM)
    code, _ = ctl.finish(5)
    assert code == FAILED
    assert termios.tcgetattr(ctl.slave) == ctl.cooked


def test_console_relays_a_pipe(qemu):
    booted(qemu, "vm1")
    t0 = time.monotonic()
    r = subprocess.run(ctl_argv("console", "vm1", "--linger", "3"), input="echo hello-pipe\necho second-pipe\n",
                       capture_output=True, text=True, env=ctl_env(qemu.vb), timeout=60)
    assert r.returncode == OK, r.stderr
    lines = [l.strip() for l in r.stdout.replace("\r", "").split("\n")]
    assert "hello-pipe" in lines and "second-pipe" in lines, r.stdout
    # Leaves after the guest has been quiet for the linger time.
    assert time.monotonic() - t0 < 30
    # Ctrl+] in piped input ends the session too; what follows is not sent.
    r = subprocess.run(ctl_argv("console", "vm1"), input=b"echo before-escape\n\x1decho after-escape\n",
                       capture_output=True, env=ctl_env(qemu.vb), timeout=30)
    assert r.returncode == OK, r.stderr
    con = qemu.console(qemu.connect("DomainLookupByName", "s", "vm1"))
    con.wait_ready(60)
    con.drain()
    assert "after-escape" not in con.transcript, con.transcript
    con.close()


def test_console_errors(qemu):
    qemu.define("off1")
    r = subprocess.run(ctl_argv("console", "off1"), capture_output=True, text=True, env=ctl_env(qemu.vb),
                       stdin=subprocess.DEVNULL, timeout=30)
    assert r.returncode == FAILED
    assert "error: domain 'off1' is not running" in r.stderr
    assert "Connected" not in r.stderr and r.stdout == ""
    r = subprocess.run(ctl_argv("console", "nope"), capture_output=True, text=True, env=ctl_env(qemu.vb),
                       stdin=subprocess.DEVNULL, timeout=30)
    assert r.returncode == NOT_FOUND
    r = subprocess.run(ctl_argv("console", "off1", "--linger", "soon"), capture_output=True, text=True,
                       env=ctl_env(qemu.vb), stdin=subprocess.DEVNULL, timeout=30)
    assert r.returncode == USAGE and "--linger" in r.stderr
    # The test connection of the same daemon has no consoles.
    r = subprocess.run(ctl_argv("console", "test")[:1] + ["-c", "test:///default", "console", "test"],
                       capture_output=True, text=True, env=ctl_env(qemu.vb), stdin=subprocess.DEVNULL, timeout=30)
    assert r.returncode == UNAVAILABLE


LIB_SCRIPT = r"""
import sys
import gi
gi.require_version("Virtbus", "1.0")
from gi.repository import GLib, Virtbus

client = Virtbus.Client.new_for_uri_sync(sys.argv[1], None)
dom = client.find_domain(sys.argv[2])
print("has_console", dom.has_console(), flush=True)
stream = dom.open_console_sync(0, None)
stream.get_output_stream().write_all(("echo " + sys.argv[3] + "\n").encode(), None)
text = b""
inp = stream.get_input_stream()
loop = GLib.MainLoop()
found = []

def on_read(s, res):
    global text
    data = s.read_bytes_finish(res).get_data()
    if not data:
        print("eof", flush=True)
        return loop.quit()
    text += data
    lines = [l.strip() for l in text.decode(errors="replace").replace("\r", "").split("\n")]
    if sys.argv[3] in lines:
        found.append(True)
        return loop.quit()
    s.read_bytes_async(4096, GLib.PRIORITY_DEFAULT, None, on_read)

inp.read_bytes_async(4096, GLib.PRIORITY_DEFAULT, None, on_read)
GLib.timeout_add_seconds(30, loop.quit)
loop.run()
stream.close(None)
print("answer", bool(found), flush=True)
try:
    client.find_domain(sys.argv[4]).open_console_sync(0, None)
    print("off-error none", flush=True)
except GLib.Error as e:
    print("off-error", e.domain, e.message, flush=True)
"""


def test_library_open_console(qemu):
    booted(qemu, "vm1")
    qemu.define("off1")
    lib = os.path.join(build_root(), "introspection")
    env = ctl_env(qemu.vb)
    env["GI_TYPELIB_PATH"] = lib + os.pathsep + env.get("GI_TYPELIB_PATH", "")
    env["LD_LIBRARY_PATH"] = lib + os.pathsep + env.get("LD_LIBRARY_PATH", "")
    sanitizer_client_env(env)  # ASan pass: preload clang's ASan runtime
    r = subprocess.run(["/usr/bin/python3", "-c", LIB_SCRIPT, URI, "vm1", "hello-library", "off1"],
                       capture_output=True, text=True, env=env, timeout=90)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert "has_console True" in out
    assert "answer True" in out, r.stdout
    assert "off-error virtbus-error-quark domain 'off1' is not running" in out, r.stdout


def test_save_progress_bar_and_ctrl_c_aborts(qemu, tmp_root):
    """`virtbusctl save` on a terminal draws the job's progress (from
    GetJobInfo) on stderr, and Ctrl+C aborts the job (AbortJob): the save
    fails as cancelled and the guest runs on."""
    path = booted(qemu, "vm1")
    # A fifo nobody reads yet: QEMU's write blocks, the save stays underway.
    fifo = os.path.join(tmp_root, "slow.fifo")
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    master, slave = os.openpty()
    proc = subprocess.Popen(ctl_argv("save", "vm1", fifo), stdin=slave, stdout=slave, stderr=slave,
                            env=ctl_env(qemu.vb), start_new_session=True)
    os.close(slave)
    out = b""

    def read_until(pred, timeout, what):
        nonlocal out
        deadline = time.monotonic() + timeout
        while not pred(out.decode(errors="replace")):
            assert time.monotonic() < deadline, "no %s; terminal: %r" % (what, out)
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    pass
            assert proc.poll() is None or ready, "virtbusctl exited: %r" % out

    try:
        read_until(lambda t: "Save: [" in t and "%" in t, 90, "progress bar")
        assert "MiB" in out.decode(errors="replace") or "KiB" in out.decode(errors="replace")
        proc.send_signal(signal.SIGINT)
        read_until(lambda t: "Aborting the job" in t, 30, "abort message")
        # QEMU's blocked write goes on (into the void) until the save gives up.
        deadline = time.monotonic() + 90
        while proc.poll() is None:
            assert time.monotonic() < deadline, out
            try:
                os.read(reader, 1 << 20)
            except BlockingIOError:
                pass
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    pass
        try:
            out += os.read(master, 65536)
        except OSError:
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(reader)
        os.close(master)
    text = out.decode(errors="replace")
    assert proc.returncode == FAILED, text
    assert "error:" in text and "cancel" in text, text
    # The guest was not saved away: it runs (again) under virtbusd.
    deadline = time.monotonic() + 30
    while qemu.state(path)[0] != 1:
        assert time.monotonic() < deadline, qemu.state(path)
        qemu.vb.pump(0.1)


def test_save_without_a_terminal_prints_no_bar(qemu, tmp_root):
    booted(qemu, "vm1")
    image = os.path.join(tmp_root, "vm1.save")
    r = subprocess.run(ctl_argv("save", "vm1", image), capture_output=True, text=True, env=ctl_env(qemu.vb),
                       stdin=subprocess.DEVNULL, timeout=120)
    assert r.returncode == OK, r.stderr
    assert "Domain 'vm1' saved to " + image in r.stdout
    assert "[" not in r.stderr and "\r" not in r.stderr, r.stderr
    assert os.path.getsize(image) > 1 << 20
    r = subprocess.run(ctl_argv("restore", image), capture_output=True, text=True, env=ctl_env(qemu.vb),
                       stdin=subprocess.DEVNULL, timeout=120)
    assert r.returncode == OK, r.stderr
