"""Helpers to boot the tiny virtbus test guest (tests/guest/) under QEMU TCG.

Not a test file: import it from tests.

    g = build_guest()                         # cached, into <build>/guest/
    xml = domain_xml("vm1", ...)              # libvirt domain XML booting it
    proc, qmp_path, serial_path = boot_raw(workdir)   # plain QEMU, no virtbus
    con = Console(sock)                       # talk to the guest's ttyS0

The guest prints READY_MARKER on ttyS0 once it can honour an ACPI powerdown,
then answers one command per line (see tests/guest/README.md):
`echo TEXT` -> TEXT, `hostname`, `uptime`, `panic`, `poweroff`, `reboot`,
`run SHELL-CMD` -> output then "VIRTBUS-RC <status>".
"""
import functools
import json
import os
import select
import socket
import subprocess
import sys
import time
import uuid as uuidlib
from xml.sax.saxutils import escape

READY_MARKER = "VIRTBUS-GUEST-READY"
QEMU = "/usr/bin/qemu-system-x86_64"

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_SCRIPT = os.path.join(HERE, "..", "guest", "build-guest.py")


def _build_root():
    root = os.environ.get("VB_BUILD_ROOT")
    if root:
        return root
    return os.path.join(HERE, "..", "..", "build")


class Guest:
    """Paths of a built guest and the kernel command line to boot it with."""

    def __init__(self, directory):
        self.dir = os.path.abspath(directory)
        self.kernel = os.path.join(self.dir, "vmlinux")
        self.initrd = os.path.join(self.dir, "initramfs.cpio.gz")
        with open(os.path.join(self.dir, "cmdline")) as f:
            self.cmdline = f.read().strip()


def missing_requirements():
    """Why the guest cannot be built or booted here, or None."""
    if not os.access(QEMU, os.X_OK):
        return "qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"
    if not any(n.startswith("vmlinuz-") for n in os.listdir("/boot")):
        return "no /boot/vmlinuz-* (Debian package linux-image-amd64)"
    if not os.path.exists("/bin/busybox"):
        return "no /bin/busybox (Debian package busybox-static)"
    return None


@functools.lru_cache(maxsize=None)
def build_guest(outdir=None, agent=False):
    """Build (or reuse: build-guest.py keeps a stamp) the guest; return a Guest.
    agent=True: the variant with qemu-ga (build-guest.py --with-agent), in
    <build>/guest-agent/."""
    outdir = outdir or os.path.join(_build_root(), "guest-agent" if agent else "guest")
    subprocess.run([sys.executable, BUILD_SCRIPT, outdir] + (["--with-agent"] if agent else []), check=True)
    return Guest(outdir)


# The guest agent's channel (qemu-ga in the guest opens its port).
AGENT_CHANNEL = """    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
"""


def domain_xml(name, uuid=None, memory_mib=128, vcpus=1, extra_devices="",
               pvpanic=True, cmdline_extra="", on_poweroff="destroy",
               on_reboot="restart", on_crash="destroy", guest=None,
               emulator=QEMU, current_memory_mib=None, balloon=False, agent=False):
    """A libvirt domain XML (type='qemu', i.e. TCG) that boots the test guest
    directly from its kernel and initramfs, with a pty serial console.
    agent=True: the guest with qemu-ga and the agent's channel."""
    g = guest or build_guest(agent=agent)
    if agent:
        extra_devices = AGENT_CHANNEL + extra_devices
    uuid = uuid or str(uuidlib.uuid4())
    cmdline = g.cmdline + (" " + cmdline_extra if cmdline_extra else "")
    panic = "    <panic model='isa'/>\n" if pvpanic else ""
    return f"""<domain type='qemu'>
  <name>{escape(name)}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>{memory_mib}</memory>
  <currentMemory unit='MiB'>{current_memory_mib or memory_mib}</currentMemory>
  <vcpu>{vcpus}</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{escape(g.kernel)}</kernel>
    <initrd>{escape(g.initrd)}</initrd>
    <cmdline>{escape(cmdline)}</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <on_poweroff>{on_poweroff}</on_poweroff>
  <on_reboot>{on_reboot}</on_reboot>
  <on_crash>{on_crash}</on_crash>
  <devices>
    <emulator>{escape(emulator)}</emulator>
    <serial type='pty'>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
{panic}    <memballoon model='{"virtio" if balloon else "none"}'/>
{extra_devices}  </devices>
</domain>
"""


class Console:
    """Line-oriented access to the guest's serial console over a connected
    stream socket (a socket.socket, or a file descriptor such as the one
    org.virtbus.Domain.OpenConsole passes; the fd is then owned by us).

    Keep reading while the guest prints: QEMU writes serial output to the
    socket one byte per send(), each charged ~1 KiB against the unix socket's
    send buffer, so a few hundred unread characters block the UART, and a
    panicking kernel (which polls it) then takes minutes.  Qmp.wait_event
    takes pump=[console] for that reason."""

    def __init__(self, sock):
        if isinstance(sock, int):
            sock = socket.socket(fileno=sock)
        self.sock = sock
        self.sock.setblocking(False)
        self.buffer = ""     # received text not consumed by a read_until yet
        self.transcript = ""  # everything received, for error messages

    def close(self):
        self.sock.close()

    def _receive(self, timeout):
        ready, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        if not ready:
            return False
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("console closed; received so far:\n" + self.transcript[-2000:])
        text = data.decode("utf-8", "replace").replace("\r", "")
        self.buffer += text
        self.transcript += text
        return True

    def drain(self):
        """Read whatever the guest printed so far, without waiting."""
        while self._receive(0):
            pass

    def read_until(self, marker, timeout=30):
        """Wait for marker; return the text up to and including it (consumed)."""
        deadline = time.monotonic() + timeout
        while marker not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {marker!r} on the console within {timeout}s; "
                                   "received:\n" + self.transcript[-2000:])
            self._receive(left)
        end = self.buffer.index(marker) + len(marker)
        text, self.buffer = self.buffer[:end], self.buffer[end:]
        return text

    def read_line(self, line, timeout=30):
        """Wait for a line exactly equal to `line` (so the tty echoing our own
        input back, before the guest disables echo, never matches)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.buffer.split("\n")
            for i, candidate in enumerate(lines[:-1]):
                if candidate.strip() == line:
                    self.buffer = "\n".join(lines[i + 1:])
                    return
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no line {line!r} on the console within {timeout}s; "
                                   "received:\n" + self.transcript[-2000:])
            self._receive(left)

    def send_line(self, text):
        data = (text + "\n").encode()
        self.sock.setblocking(True)
        try:
            self.sock.sendall(data)
        finally:
            self.sock.setblocking(False)

    def echo(self, text, timeout=30):
        """Ask the guest to echo text back; proves its console is alive."""
        self.send_line("echo " + text)
        self.read_line(text, timeout)

    def wait_ready(self, timeout=60):
        """Wait until the guest answers, whether or not we were connected when
        it printed READY_MARKER (output sent to an unconnected socket chardev
        is lost).  Input sent before the command loop runs waits in the tty."""
        deadline = time.monotonic() + timeout
        n = 0
        while True:
            n += 1
            probe = "VIRTBUS-PING-%d" % n
            self.send_line("echo " + probe)
            try:
                self.read_line(probe, min(2.0, max(deadline - time.monotonic(), 0)))
                return
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise

    def run(self, shell_command, timeout=30):
        """Run a shell command in the guest; return (exit status, output)."""
        self.send_line("run " + shell_command)
        out = self.read_until("VIRTBUS-RC ", timeout)[:-len("VIRTBUS-RC ")]
        status = self.read_until("\n", timeout).strip()
        return int(status), out


def connect_unix(path, timeout=10):
    """Connect to a unix stream socket, waiting for it to appear."""
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class Qmp:
    """A minimal synchronous QMP client that records events."""

    def __init__(self, path, timeout=10):
        self.sock = connect_unix(path, timeout)
        self.file = self.sock.makefile("rwb", buffering=0)
        self.events = []
        self._lines = b""
        greeting = self._read_message(timeout)
        if "QMP" not in greeting:
            raise RuntimeError("not a QMP greeting: %r" % greeting)
        self.execute("qmp_capabilities")

    def close(self):
        self.file.close()
        self.sock.close()

    def _read_message(self, timeout, pump=()):
        """Next QMP message.  While waiting, keep reading the consoles in
        pump: a guest whose serial output nobody reads stalls (see Console)."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._lines:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("QMP: no message within %.1fs" % timeout)
            ready, _, _ = select.select([self.sock] + [c.sock for c in pump], [], [], left)
            for con in pump:
                if con.sock in ready:
                    con._receive(0)
            if self.sock in ready:
                data = self.sock.recv(65536)
                if not data:
                    raise EOFError("QMP connection closed")
                self._lines += data
        line, self._lines = self._lines.split(b"\n", 1)
        return json.loads(line)

    def execute(self, command, timeout=30, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._read_message(timeout)
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise RuntimeError("QMP %s: %s" % (command, reply["error"].get("desc")))
            return reply.get("return")

    def drain_events(self):
        """Read every event already sent by QEMU; return and forget them all."""
        while True:
            try:
                msg = self._read_message(0.05)
            except TimeoutError:
                break
            if "event" in msg:
                self.events.append(msg)
        events, self.events = self.events, []
        return events

    def wait_event(self, name, timeout=30, pump=()):
        """Return the first recorded or arriving event called name (consumed).
        pump: Consoles to keep reading meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev["event"] == name:
                    return self.events.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("QMP: no %s event within %ss (got %s)"
                                   % (name, timeout, [e["event"] for e in self.events]))
            try:
                msg = self._read_message(left, pump)
            except EOFError:
                raise EOFError("QMP connection closed before %s (got %s)"
                               % (name, [e["event"] for e in self.events]))
            except TimeoutError:
                continue
            if "event" in msg:
                self.events.append(msg)


def raw_argv(guest, qmp_path, serial_path, memory_mib=128, cmdline_extra="",
             no_shutdown=False, paused=True, extra_args=()):
    """argv of a plain QEMU (TCG) booting the guest; serial and QMP on unix sockets."""
    cmdline = guest.cmdline + (" " + cmdline_extra if cmdline_extra else "")
    serial_log = os.path.splitext(serial_path)[0] + ".log"
    argv = [QEMU, "-accel", "tcg", "-machine", "pc", "-m", str(memory_mib),
            "-nodefaults", "-no-user-config", "-display", "none",
            "-kernel", guest.kernel, "-initrd", guest.initrd, "-append", cmdline,
            "-chardev", f"socket,id=ser0,path={serial_path},server=on,wait=off,logfile={serial_log}",
            "-serial", "chardev:ser0",
            "-qmp", f"unix:{qmp_path},server=on,wait=off",
            "-device", "pvpanic", "-action", "panic=pause"]
    if paused:
        argv.append("-S")
    if no_shutdown:
        argv.append("-no-shutdown")
    return argv + list(extra_args)


def boot_raw(workdir, memory_mib=128, cmdline_extra="", no_shutdown=False,
             paused=True, extra_args=(), guest=None):
    """Start plain qemu-system-x86_64 on the guest, without virtbus.

    Returns (Popen, qmp socket path, serial socket path) once both sockets
    exist.  With paused=True (default) the guest CPU is stopped (-S): connect
    to the serial socket first, then send QMP `cont`, so that no console
    output is lost.  QEMU's own stdout/stderr go to <workdir>/qemu.log, the
    serial output also to <workdir>/serial.log.  The caller kills the process
    (kill_qemu) when done."""
    g = guest or build_guest()
    os.makedirs(workdir, exist_ok=True)
    qmp_path = os.path.join(workdir, "qmp.sock")
    serial_path = os.path.join(workdir, "serial.sock")
    argv = raw_argv(g, qmp_path, serial_path, memory_mib, cmdline_extra,
                    no_shutdown, paused, extra_args)
    with open(os.path.join(workdir, "qemu.log"), "wb") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while not (os.path.exists(qmp_path) and os.path.exists(serial_path)):
        if proc.poll() is not None:
            with open(os.path.join(workdir, "qemu.log")) as f:
                raise RuntimeError("QEMU exited with %s: %s" % (proc.returncode, f.read()))
        if time.monotonic() > deadline:
            kill_qemu(proc)
            raise TimeoutError("QEMU did not create its sockets")
        time.sleep(0.01)
    return proc, qmp_path, serial_path


def kill_qemu(proc, timeout=10):
    """Kill a QEMU started by boot_raw (by its PID) and reap it."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout)


__all__ = ["READY_MARKER", "QEMU", "Guest", "missing_requirements", "build_guest", "AGENT_CHANNEL",
           "domain_xml", "Console", "connect_unix", "Qmp", "raw_argv", "boot_raw",
           "kill_qemu"]
