"""The tiny test guest (tests/guest/) booted by plain QEMU under TCG.

No virtbus here: this checks the guest itself does what the QEMU backend tests
rely on (ready marker, console answers, ACPI powerdown, reboot, panic).
"""
import os
import re
import tempfile
import time

import pytest

import guest as G

missing = G.missing_requirements()
pytestmark = pytest.mark.skipif(missing is not None, reason=missing or "")


class RawGuest:
    def __init__(self, workdir, **kwargs):
        self.proc, qmp_path, serial_path = G.boot_raw(workdir, **kwargs)
        try:
            self.console = G.Console(G.connect_unix(serial_path))
            self.qmp = G.Qmp(qmp_path)
        except BaseException:
            G.kill_qemu(self.proc)
            raise

    def start(self):
        """Resume the paused (-S) guest; return the seconds until it is ready."""
        t0 = time.monotonic()
        self.qmp.execute("cont")
        self.console.read_until(G.READY_MARKER, 90)
        return time.monotonic() - t0

    def close(self):
        G.kill_qemu(self.proc)
        self.console.close()
        self.qmp.close()


@pytest.fixture
def boot():
    made = []
    with tempfile.TemporaryDirectory(prefix="vb-guest-") as tmp:
        def _boot(**kwargs):
            g = RawGuest(os.path.join(tmp, "vm%d" % len(made)), **kwargs)
            made.append(g)
            return g
        try:
            yield _boot
        finally:
            for g in made:
                g.close()


def test_build_is_cached():
    g = G.build_guest()
    with open(g.kernel, "rb") as f:
        assert f.read(4) == b"\x7fELF"
    with open(g.initrd, "rb") as f:
        assert f.read(2) == b"\x1f\x8b"
    assert g.cmdline.startswith("console=ttyS0 panic=-1")
    mtime = os.stat(g.initrd).st_mtime_ns
    G.build_guest.cache_clear()
    again = G.build_guest()
    assert os.stat(again.initrd).st_mtime_ns == mtime, "unchanged inputs rebuilt the guest"


def test_boot_ready_and_console(boot):
    g = boot()
    seconds = g.start()
    print("test guest ready %.2f s after cont (TCG)" % seconds)
    assert seconds < 60
    assert g.qmp.execute("query-status")["status"] == "running"
    g.console.echo("hello from the host 42")
    g.console.send_line("hostname")
    g.console.read_line("virtbus-guest")
    status, out = g.console.run("cat /proc/cmdline")
    assert status == 0 and "console=ttyS0" in out
    status, _ = g.console.run("false")
    assert status == 1
    # acpid holds the power button's event device before the marker: the
    # promise tests rely on (it is not the first one: the keyboard's is).
    status, out = g.console.run("grep -A4 'Name=\"Power Button\"' /proc/bus/input/devices")
    assert status == 0, out
    button = re.search(r"Handlers=.*\b(event\d+)", out).group(1)
    status, out = g.console.run("ls -l /proc/$(cat /run/acpid.pid)/fd")
    assert status == 0 and re.search(r" -> /dev/input/%s$" % button, out, re.M), out
    # Stage times in guest uptime, for whoever optimises the boot.
    status, out = g.console.run("cat /run/boot-times")
    print("guest boot stages (uptime s):", out.split())
    assert "ready" in out


def test_wait_ready_when_marker_missed(boot):
    """Connecting after the marker was printed: probes still get answered."""
    g = boot()
    g.start()
    g.console.buffer = ""
    g.console.wait_ready(30)
    g.console.echo("still-there")


def test_acpi_powerdown(boot):
    g = boot()
    g.start()
    g.qmp.execute("system_powerdown")
    g.qmp.wait_event("POWERDOWN", 10)
    try:
        ev = g.qmp.wait_event("SHUTDOWN", 60, pump=[g.console])
    except EOFError:
        # Without -no-shutdown QEMU exits right after the guest powered
        # off, and may close the monitor before its last event got out (a
        # slow reader: seen under the sanitizers' load). The guest said so
        # on its console.
        if "reboot: Power down" not in g.console.transcript:
            try:
                g.console.read_until("reboot: Power down", 10)
            except EOFError:
                pass
        assert "reboot: Power down" in g.console.transcript, g.console.transcript[-500:]
    else:
        assert ev["data"]["guest"] is True
        assert ev["data"]["reason"] == "guest-shutdown"
    # Without -no-shutdown QEMU exits once the guest powered off.
    assert g.proc.wait(30) == 0


def test_powerdown_with_no_shutdown_pauses(boot):
    """With -no-shutdown (how virtbus runs QEMU) the process stays, shut down."""
    g = boot(no_shutdown=True)
    g.start()
    g.qmp.execute("system_powerdown")
    ev = g.qmp.wait_event("SHUTDOWN", 60, pump=[g.console])
    assert ev["data"]["guest"] is True
    assert ev["data"]["reason"] == "guest-shutdown"
    assert g.qmp.execute("query-status")["status"] == "shutdown"
    assert g.proc.poll() is None


def test_guest_reboot_and_reset(boot):
    g = boot()
    g.start()
    g.console.send_line("reboot")
    ev = g.qmp.wait_event("RESET", 30, pump=[g.console])
    assert ev["data"]["guest"] is True
    g.console.read_until(G.READY_MARKER, 90)
    g.console.echo("after-guest-reboot")
    g.qmp.drain_events()
    g.qmp.execute("system_reset")
    ev = g.qmp.wait_event("RESET", 30, pump=[g.console])
    assert ev["data"]["guest"] is False
    g.console.read_until(G.READY_MARKER, 90)
    g.console.echo("after-system-reset")
    # SeaBIOS may reset once more on its own (guest=true): any further RESET
    # is one of those, never a second host-requested one.
    extra = [e for e in g.qmp.drain_events() if e["event"] == "RESET"]
    assert all(e["data"]["guest"] is True for e in extra)
    print("extra RESET events after system_reset:", len(extra))


def test_panic_reported(boot):
    g = boot()
    g.start()
    g.console.send_line("panic")
    ev = g.qmp.wait_event("GUEST_PANICKED", 60, pump=[g.console])
    assert ev["data"]["action"] == "pause"
    assert g.qmp.execute("query-status")["status"] == "guest-panicked"
    g.console.drain()
    assert "Kernel panic - not syncing: sysrq triggered crash" in g.console.transcript
    assert g.proc.poll() is None


def test_domain_xml_shape():
    import xml.etree.ElementTree as ET
    g = G.build_guest()
    root = ET.fromstring(G.domain_xml("vm1", uuid="11111111-2222-3333-4444-555555555555",
                                      memory_mib=96, extra_devices="    <watchdog model='i6300esb'/>\n"))
    assert root.get("type") == "qemu"
    assert root.findtext("name") == "vm1"
    assert root.findtext("uuid") == "11111111-2222-3333-4444-555555555555"
    assert root.find("memory").text == "96" and root.find("memory").get("unit") == "MiB"
    t = root.find("os/type")
    assert (t.get("arch"), t.get("machine"), t.text) == ("x86_64", "pc", "hvm")
    assert root.findtext("os/kernel") == g.kernel
    assert root.findtext("os/initrd") == g.initrd
    assert root.findtext("os/cmdline") == g.cmdline
    assert root.find("devices/serial").get("type") == "pty"
    assert root.find("devices/panic").get("model") == "isa"
    assert root.find("devices/watchdog") is not None
    assert root.find("devices/panic") is not None
    assert G.domain_xml("vm2", pvpanic=False).find("<panic") < 0
