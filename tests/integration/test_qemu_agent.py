"""The QEMU backend's guest agent part with a real qemu-ga: the test guest
built with --with-agent (tests/guest/README.md) runs Debian's qemu-ga on the
org.qemu.guest_agent.0 port; the domain has the matching <channel>, a
virtio disk (the guest formats and mounts it on /mnt/data) and a user-mode
NIC (the guest gives it 10.0.2.15/24 and fd00:76:62::15/64).
"""
import os
import subprocess
import time

import pytest
from gi.repository import GLib

import guest
from test_qemu_lifecycle import (  # noqa: F401  (qemu is a fixture)
    BOOT_TIMEOUT, DOMAIN, EV_SHUTDOWN, EV_STOPPED, RUNNING, SHUTDOWN_GUEST, SHUTOFF, SHUTOFF_SHUTDOWN,
    STOPPED_SHUTDOWN, drain, press_power_button, qemu)

pytestmark = pytest.mark.skipif(
    guest.missing_requirements() is not None or not os.access("/usr/sbin/qemu-ga", os.X_OK),
    reason=str(guest.missing_requirements() or "no /usr/sbin/qemu-ga (Debian package qemu-guest-agent)"))

ERROR = "org.libvirt.Error"
# virConnectDomainEventAgentLifecycleState / Reason
AGENT_CONNECTED, AGENT_DISCONNECTED = 1, 2
REASON_CHANNEL = 2
# flags and sources
SHUTDOWN_ACPI, SHUTDOWN_AGENT = 1, 2
HOSTNAME_LEASE, HOSTNAME_AGENT = 1, 2
TIME_SYNC = 1
PASSWORD_ENCRYPTED = 1
SRC_LEASE, SRC_AGENT, SRC_ARP = 0, 1, 2
IPV4, IPV6 = 0, 1
# virDomainModificationImpact, virDomainVcpuFlags
AFFECT_CONFIG, VCPU_MAXIMUM, VCPU_GUEST = 2, 4, 8
# virDomainSnapshotCreateFlags
SNAP_DISK_ONLY, SNAP_QUIESCE = 16, 64

MAC = "52:54:00:76:62:01"
# SHA-512 crypt of "s3cret" with salt "abcdefgh".
S3CRET_HASH = ("$6$abcdefgh$Z7KfoKnKTSZrzo5VZ0YubGLQOj9ov6sHo9TmE3zIU/LHKhpE30zCnZ0mcIXYf9r9rQ4DYaXoxAF"
               "SPFlcWdxjB.")


def agent_domain(qemu, name, vcpus=1):
    """Defines a domain running the agent guest, with a disk and a NIC."""
    disk = os.path.join(qemu.root, name + "-data.img")
    subprocess.run(["truncate", "-s", "16M", disk], check=True)
    devices = f"""    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='user'>
      <mac address='{MAC}'/>
      <model type='virtio'/>
    </interface>
"""
    return qemu.define(name, agent=True, extra_devices=devices, vcpus=vcpus)


def wait_agent_event(qemu, path, state, con, timeout=BOOT_TIMEOUT):
    """Waits for AgentEvent(state, CHANNEL) of @path, reading the console meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        qemu.vb.pump()
        for i, s in enumerate(qemu.vb.signals):
            if s[0] == path and s[2] == "AgentEvent" and s[3] == (state, REASON_CHANNEL):
                del qemu.vb.signals[:i + 1]
                return
        assert time.monotonic() < deadline, "no AgentEvent %d; got %r\nconsole:\n%s\nlog:\n%s" % (
            state, qemu.vb.signals, con.transcript[-3000:], qemu.vb.read_log()[-3000:])
        drain(con, 0.05)


def boot_agent(qemu, name, vcpus=1):
    path = agent_domain(qemu, name, vcpus)
    qemu.vb.clear_signals()
    qemu.start(path)
    con = qemu.console(path)
    wait_agent_event(qemu, path, AGENT_CONNECTED, con)
    con.wait_ready(BOOT_TIMEOUT)
    return path, con


def call(qemu, path, method, signature="", *args):
    return qemu.vb.call(path, DOMAIN, method, signature, *args, timeout=90000)


def error(qemu, path, method, signature="", *args):
    return qemu.vb.error(path, DOMAIN, method, signature, *args)


def guest_file(con, path):
    rc, out = con.run("cat " + path)
    assert rc == 0, out
    return out


def live_xml(qemu, path):
    return qemu.vb.call1(path, DOMAIN, "GetXMLDesc", "u", 0)


def test_agent_reports_the_guest(qemu):
    path, con = boot_agent(qemu, "ga1")
    assert "state='connected'" in live_xml(qemu, path)

    # GetHostname: the agent by default and with its flag; a user-mode NIC has
    # no lease on a network of the host.
    assert call(qemu, path, "GetHostname", "u", 0) == ("virtbus-guest",)
    assert call(qemu, path, "GetHostname", "u", HOSTNAME_AGENT) == ("virtbus-guest",)
    name, msg = error(qemu, path, "GetHostname", "u", HOSTNAME_LEASE)
    assert name == ERROR and "no DHCP lease of domain 'ga1' carries a host name" in msg
    name, msg = error(qemu, path, "GetHostname", "u", HOSTNAME_LEASE | HOSTNAME_AGENT)
    assert name == ERROR and "mutually exclusive" in msg

    # InterfaceAddresses from the agent: what the guest configured.
    (ifaces,) = call(qemu, path, "InterfaceAddresses", "uu", SRC_AGENT, 0)
    by_name = {n: (hw, addrs) for n, hw, addrs in ifaces}
    assert set(by_name) == {"lo", "eth0"}, ifaces
    assert (IPV4, "127.0.0.1", 8) in by_name["lo"][1]
    assert (IPV6, "::1", 128) in by_name["lo"][1]
    assert by_name["eth0"][0] == MAC
    assert (IPV4, "10.0.2.15", 24) in by_name["eth0"][1]
    assert (IPV6, "fd00:76:62::15", 64) in by_name["eth0"][1]
    # User-mode networking: no DHCP lease database, nothing in the host's ARP table.
    assert call(qemu, path, "InterfaceAddresses", "uu", SRC_LEASE, 0) == ([],)
    assert call(qemu, path, "InterfaceAddresses", "uu", SRC_ARP, 0) == ([],)
    name, msg = error(qemu, path, "InterfaceAddresses", "uu", 7, 0)
    assert name == ERROR and "source" in msg

    # GetTime / SetTime: the guest clock follows.
    (secs, nsecs), = call(qemu, path, "GetTime", "u", 0)
    assert abs(secs - time.time()) < 30 and 0 <= nsecs < 10**9
    past = int(time.time()) - 86400
    call(qemu, path, "SetTime", "tuu", past, 500000000, 0)
    (secs, _), = call(qemu, path, "GetTime", "u", 0)
    assert abs(secs - past) < 30, (secs, past)
    rc, out = con.run("date +%s")
    assert rc == 0 and abs(int(out.strip()) - past) < 30
    call(qemu, path, "SetTime", "tuu", int(time.time()), 0, 0)
    call(qemu, path, "SetTime", "tuu", 0, 0, TIME_SYNC)  # from the guest's RTC
    (secs, _), = call(qemu, path, "GetTime", "u", 0)
    assert abs(secs - time.time()) < 30
    name, msg = error(qemu, path, "SetTime", "tuu", 0, 2 * 10**9, 0)
    assert name == ERROR and "nseconds" in msg
    name, msg = error(qemu, path, "GetTime", "u", 1)
    assert name == ERROR

    # GetFSInfo: the mounted disk, by its target in the definition.
    (fsinfo,) = call(qemu, path, "GetFSInfo", "u", 0)
    assert ("/mnt/data", "vda", "ext4", ["vda"]) in fsinfo, fsinfo

    # FSFreeze holds writes back until FSThaw.
    assert call(qemu, path, "FSFreeze", "asu", [], 0) == (1,)
    rc, _ = con.run("(echo data > /mnt/data/file && touch /tmp/written) >/dev/null 2>&1 &")
    assert rc == 0
    rc, _ = con.run("sleep 1; test -e /tmp/written")
    assert rc != 0, "a write to the frozen filesystem went through"
    assert call(qemu, path, "FSThaw", "asu", [], 0) == (1,)
    rc, out = con.run("i=0; while [ ! -e /tmp/written ] && [ $i -lt 50 ]; do usleep 100000; i=$((i+1)); done;"
                      " cat /mnt/data/file")
    assert rc == 0 and out.strip() == "data"
    assert call(qemu, path, "FSFreeze", "asu", ["/mnt/data"], 0) == (1,)
    name, msg = error(qemu, path, "FSThaw", "asu", ["/mnt/data"], 0)
    assert name == ERROR and "thaws all" in msg
    assert call(qemu, path, "FSThaw", "asu", [], 0) == (1,)
    # Mountpoints the guest does not have freeze nothing.
    assert call(qemu, path, "FSFreeze", "asu", ["/nowhere"], 0) == (0,)
    assert call(qemu, path, "FSThaw", "asu", [], 0) == (0,)

    # FSTrim: all filesystems only.
    call(qemu, path, "FSTrim", "stu", "", 0, 0)
    name, msg = error(qemu, path, "FSTrim", "stu", "/mnt/data", 0, 0)
    assert name == ERROR and "trims all" in msg

    # SetUserPassword: /etc/shadow changes (through the guest's chpasswd).
    call(qemu, path, "SetUserPassword", "ssu", "virtbus", "s3cret pass", 0)
    shadow = guest_file(con, "/etc/shadow")
    hashed = [line.split(":")[1] for line in shadow.splitlines() if line.startswith("virtbus:")][0]
    assert hashed.startswith("$6$")
    rc, out = con.run("mkpasswd -m sha512 's3cret pass' '%s'" % hashed.split("$")[2])
    assert rc == 0 and out.strip() == hashed
    call(qemu, path, "SetUserPassword", "ssu", "virtbus", S3CRET_HASH, PASSWORD_ENCRYPTED)
    assert "virtbus:%s:" % S3CRET_HASH in guest_file(con, "/etc/shadow")
    name, msg = error(qemu, path, "SetUserPassword", "ssu", "nobody-here", "x", 0)
    assert name == ERROR and "guest-set-user-password failed" in msg

    # A stuck agent: a clear error within seconds, then it is usable again
    # (the handshake drops its late answers).
    rc, _ = con.run("kill -STOP $(cat /run/qemu-ga.pid)")
    assert rc == 0
    start = time.monotonic()
    name, msg = error(qemu, path, "GetHostname", "u", 0)
    assert name == ERROR and "not responding" in msg, msg
    assert time.monotonic() - start < 12
    rc, _ = con.run("kill -CONT $(cat /run/qemu-ga.pid)")
    assert rc == 0
    assert call(qemu, path, "GetHostname", "u", 0) == ("virtbus-guest",)
    assert call(qemu, path, "GetHostname", "u", 0) == ("virtbus-guest",)

    # The agent goes away: AgentEvent disconnected, calls fail at once.
    qemu.vb.clear_signals()
    rc, _ = con.run("kill $(cat /run/qemu-ga.pid)")
    assert rc == 0
    wait_agent_event(qemu, path, AGENT_DISCONNECTED, con, timeout=30)
    assert "state='disconnected'" in live_xml(qemu, path)
    start = time.monotonic()
    name, msg = error(qemu, path, "GetHostname", "u", 0)
    assert name == ERROR and "guest agent of domain 'ga1' is not connected" in msg
    assert time.monotonic() - start < 2
    # ... and comes back.
    rc, _ = con.run("/usr/sbin/qemu-ga -d -m virtio-serial -p /dev/virtio-ports/org.qemu.guest_agent.0"
                    " -f /run/qemu-ga.pid -t /run/qga")
    assert rc == 0
    wait_agent_event(qemu, path, AGENT_CONNECTED, con, timeout=30)
    assert call(qemu, path, "GetHostname", "u", 0) == ("virtbus-guest",)

    # A restarted daemon reconnects to the agent of the running guest.
    con.close()
    assert qemu.vb.stop() == 0
    qemu.vb.start()
    # Until the monitor is reconnected and has told the port's state, the
    # agent counts as not connected.
    deadline = time.monotonic() + 10
    while True:
        try:
            assert call(qemu, path, "GetHostname", "u", 0) == ("virtbus-guest",)
            break
        except GLib.Error as e:
            assert "is not connected" in e.message and time.monotonic() < deadline, e.message
            time.sleep(0.1)

    # Agent or power button, and the agent is stuck: the power button does it.
    con = qemu.console(path)
    rc, _ = con.run("kill -STOP $(cat /run/qemu-ga.pid)")
    assert rc == 0
    qemu.vb.clear_signals()
    call(qemu, path, "Shutdown", "u", SHUTDOWN_AGENT | SHUTDOWN_ACPI)
    deadline = time.monotonic() + 60
    while (EV_STOPPED, STOPPED_SHUTDOWN) not in qemu.events(path):
        assert time.monotonic() < deadline, qemu.events(path)
        drain(con)
    assert qemu.state(path) == (SHUTOFF, SHUTOFF_SHUTDOWN)
    con.close()


def test_guest_vcpus(qemu):
    path, con = boot_agent(qemu, "gvcpu", vcpus=2)
    # vcpu 0 has no online switch in Linux: only 1 can go offline.
    assert call(qemu, path, "GetGuestVcpus", "u", 0) == ({"vcpus": "0-1", "online": "0-1", "offlinable": "1"},)

    call(qemu, path, "SetGuestVcpus", "abiu", [False, True], 0, 0)
    assert guest_file(con, "/sys/devices/system/cpu/cpu1/online").strip().splitlines()[-1] == "0"
    assert call(qemu, path, "GetGuestVcpus", "u", 0) == ({"vcpus": "0-1", "online": "0", "offlinable": "1"},)
    call(qemu, path, "SetGuestVcpus", "abiu", [False, True], 1, 0)
    assert guest_file(con, "/sys/devices/system/cpu/cpu1/online").strip().splitlines()[-1] == "1"
    assert call(qemu, path, "GetGuestVcpus", "u", 0)[0]["online"] == "0-1"

    for args, message in [
        (([True], 0, 0), "vcpu 0 of domain 'gvcpu' cannot be taken offline"),
        (([False, False, False, True], 1, 0), "vcpu 3 of domain 'gvcpu' does not exist"),
        (([False, False], 1, 0), "selects no vcpu"),
        (([], 1, 0), "selects no vcpu"),
        (([False, True], 2, 0), "state must be 0 (offline) or 1 (online)"),
        (([False, True], 0, 1), "unsupported flags (0x1)"),
    ]:
        name, msg = error(qemu, path, "SetGuestVcpus", "abiu", *args)
        assert name == "org.libvirt.Error" and message in msg, (args, msg)
    name, msg = error(qemu, path, "GetGuestVcpus", "u", 1)
    assert name == "org.libvirt.Error" and "unsupported flags (0x1)" in msg
    # Nothing changed by the refusals.
    assert call(qemu, path, "GetGuestVcpus", "u", 0)[0]["online"] == "0-1"

    # SetVcpus/GetVcpus with the guest flag (`virsh setvcpus --guest`,
    # `vcpucount --guest`): a count of online vcpus, through the agent.
    assert call(qemu, path, "GetVcpus", "u", VCPU_GUEST) == (2,)
    call(qemu, path, "SetVcpus", "uu", 1, VCPU_GUEST)
    assert guest_file(con, "/sys/devices/system/cpu/cpu1/online").strip().splitlines()[-1] == "0"
    assert call(qemu, path, "GetVcpus", "u", VCPU_GUEST) == (1,)
    assert call(qemu, path, "GetVcpus", "u", VCPU_GUEST | VCPU_MAXIMUM) == (2,)
    assert call(qemu, path, "GetGuestVcpus", "u", 0)[0]["online"] == "0"
    # The vCPUs QEMU runs did not change, only what the guest uses of them.
    assert call(qemu, path, "GetVcpus", "u", 0) == (2,)
    call(qemu, path, "SetVcpus", "uu", 1, VCPU_GUEST)  # already there: nothing to do
    from test_virtbusctl import run
    r = run(qemu.vb, "-c", "qemu:///session", "setvcpus", "gvcpu", "2", "--guest")
    assert r.returncode == 0 and "vCPUs of domain 'gvcpu' set to 2" in r.stdout, r
    assert guest_file(con, "/sys/devices/system/cpu/cpu1/online").strip().splitlines()[-1] == "1"
    assert call(qemu, path, "GetVcpus", "u", VCPU_GUEST) == (2,)
    for args, message in [
        ((3, VCPU_GUEST), "domain 'gvcpu' has 2 vCPUs plugged in: the guest cannot bring 3 online"),
        ((1, VCPU_GUEST | AFFECT_CONFIG), "changes the running guest only"),
        ((1, VCPU_GUEST | VCPU_MAXIMUM), "changes the running guest only"),
        ((0, VCPU_GUEST), "at least 1"),
    ]:
        name, msg = error(qemu, path, "SetVcpus", "uu", *args)
        assert name == "org.libvirt.Error" and message in msg, (args, msg)
    name, msg = error(qemu, path, "GetVcpus", "u", VCPU_GUEST | AFFECT_CONFIG)
    assert name == "org.libvirt.Error" and "not with config" in msg
    assert call(qemu, path, "GetVcpus", "u", VCPU_GUEST) == (2,)

    qemu.dom(path, "Destroy", "u", 0)
    con.close()
    name, msg = error(qemu, path, "GetGuestVcpus", "u", 0)
    assert name == "org.libvirt.Error" and "not running" in msg
    for method, sig, args in [("GetVcpus", "u", (VCPU_GUEST,)), ("SetVcpus", "uu", (1, VCPU_GUEST))]:
        name, msg = error(qemu, path, method, sig, *args)
        assert name == "org.libvirt.Error" and "domain 'gvcpu' is not running" in msg, (method, msg)


def test_quiesced_snapshot(qemu):
    """SnapshotCreateXML with QUIESCE: the agent freezes the guest's file
    systems (writing back what the guest cached) around the disk-only
    snapshot, so the image below the overlay holds them whole."""
    path, con = boot_agent(qemu, "quiet")
    disk = os.path.join(qemu.root, "quiet-data.img")
    snap = "<domainsnapshot><name>%s</name></domainsnapshot>"
    # No agent to freeze (it went away): the snapshot fails and nothing is
    # made: no overlay, no snapshot, the disk as it was.
    files = sorted(os.listdir(qemu.root))
    qemu.vb.clear_signals()
    rc, _ = con.run("kill $(cat /run/qemu-ga.pid)")
    assert rc == 0
    wait_agent_event(qemu, path, AGENT_DISCONNECTED, con, timeout=30)
    name, msg = error(qemu, path, "SnapshotCreateXML", "su", snap % "q0", SNAP_DISK_ONLY | SNAP_QUIESCE)
    assert name == ERROR and "cannot create snapshot 'q0' of domain 'quiet': freezing the guest's file systems: " \
        "guest agent of domain 'quiet' is not connected" in msg, msg
    rc, _ = con.run("/usr/sbin/qemu-ga -d -m virtio-serial -p /dev/virtio-ports/org.qemu.guest_agent.0"
                    " -f /run/qemu-ga.pid -t /run/qga -l /var/log/qemu-ga.log")
    assert rc == 0
    wait_agent_event(qemu, path, AGENT_CONNECTED, con, timeout=30)
    assert sorted(os.listdir(qemu.root)) == files
    assert call(qemu, path, "ListDomainSnapshots", "u", 0) == ([],)
    assert "quiet-data.img'" in live_xml(qemu, path)

    # The guest writes back dirty pages only when asked: what it writes now
    # stays in its page cache.
    rc, out = con.run("echo 0 > /proc/sys/vm/dirty_writeback_centisecs && "
                      "echo 360000 > /proc/sys/vm/dirty_expire_centisecs && "
                      "echo quiesced-note-1 > /mnt/data/note")
    assert rc == 0, out
    with open(disk, "rb") as f:
        assert b"quiesced-note-1" not in f.read()

    # Not for internal snapshots (they stop the guest instead).
    name, msg = error(qemu, path, "SnapshotCreateXML", "su", snap % "q0", SNAP_QUIESCE)
    assert name == ERROR and "QUIESCE is for disk-only (external) snapshots" in msg

    (spath,) = call(qemu, path, "SnapshotCreateXML", "su", snap % "q1", SNAP_DISK_ONLY | SNAP_QUIESCE)
    assert call(qemu, path, "ListDomainSnapshots", "u", 0) == ([spath],)
    # The image below the overlay has the note the guest had only cached.
    with open(disk, "rb") as f:
        assert b"quiesced-note-1" in f.read()
    # Thawed: the guest writes on (now into the overlay).
    rc, out = con.run("echo after > /mnt/data/after && sync && cat /mnt/data/after", timeout=20)
    assert rc == 0 and out.strip() == "after", out
    assert "quiet-data.q1'" in live_xml(qemu, path)
    # The same from virtbusctl.
    from test_virtbusctl import run
    rc, out = con.run("echo quiesced-note-2 > /mnt/data/note2")
    assert rc == 0, out
    r = run(qemu.vb, "-c", "qemu:///session", "snapshot-create-as", "quiet", "q2", "--disk-only", "--quiesce")
    assert r.returncode == 0, r
    with open(os.path.join(qemu.root, "quiet-data.q1"), "rb") as f:
        assert b"quiesced-note-2" in f.read()
    assert "quiet-data.q2'" in live_xml(qemu, path)
    qemu.dom(path, "Destroy", "u", 0)
    con.close()


def test_agent_reboot_and_shutdown(qemu):
    path, con = boot_agent(qemu, "ga2")
    # Without acpid the power button does nothing: only the agent can act.
    rc, _ = con.run("kill $(cat /run/acpid.pid)")
    assert rc == 0

    qemu.vb.clear_signals()
    call(qemu, path, "Reboot", "u", SHUTDOWN_AGENT)
    qemu.vb.wait_signal("Reboot", lambda s: s[0] == path, timeout=60)
    # The guest boots again and its agent comes back.
    wait_agent_event(qemu, path, AGENT_CONNECTED, con)
    con.wait_ready(BOOT_TIMEOUT)
    assert qemu.state(path)[0] == RUNNING
    rc, _ = con.run("kill $(cat /run/acpid.pid)")
    assert rc == 0

    # No flag: with an agent connected, libvirt's choice is the agent.
    qemu.vb.clear_signals()
    call(qemu, path, "Reboot", "u", 0)
    qemu.vb.wait_signal("Reboot", lambda s: s[0] == path, timeout=60)
    wait_agent_event(qemu, path, AGENT_CONNECTED, con)
    con.wait_ready(BOOT_TIMEOUT)
    rc, _ = con.run("kill $(cat /run/acpid.pid)")
    assert rc == 0

    qemu.vb.clear_signals()
    call(qemu, path, "Shutdown", "u", SHUTDOWN_AGENT)
    deadline = time.monotonic() + 60
    while (EV_STOPPED, STOPPED_SHUTDOWN) not in qemu.events(path):
        assert time.monotonic() < deadline, qemu.events(path)
        drain(con)
    assert qemu.events(path) == [(EV_SHUTDOWN, SHUTDOWN_GUEST), (EV_STOPPED, STOPPED_SHUTDOWN)]
    assert qemu.state(path) == (SHUTOFF, SHUTOFF_SHUTDOWN)
    con.close()

    # Not running: clear errors.
    for method, sig, args in [("GetHostname", "u", (0,)), ("GetTime", "u", (0,)), ("GetFSInfo", "u", (0,)),
                              ("FSFreeze", "asu", ([], 0)), ("InterfaceAddresses", "uu", (SRC_AGENT, 0)),
                              ("SetUserPassword", "ssu", ("root", "x", 0))]:
        name, msg = error(qemu, path, method, sig, *args)
        assert name == ERROR and "domain 'ga2' is not running" in msg, (method, msg)
    name, msg = error(qemu, path, "Shutdown", "u", SHUTDOWN_AGENT)
    assert name == ERROR and "not running" in msg


def test_domain_without_agent_channel(qemu):
    path, con = qemu.boot("noga")
    for method, sig, args in [("GetHostname", "u", (0,)), ("GetTime", "u", (0,)),
                              ("SetTime", "tuu", (0, 0, TIME_SYNC)), ("GetFSInfo", "u", (0,)),
                              ("FSFreeze", "asu", ([], 0)), ("FSThaw", "asu", ([], 0)),
                              ("FSTrim", "stu", ("", 0, 0)), ("InterfaceAddresses", "uu", (SRC_AGENT, 0)),
                              ("SetUserPassword", "ssu", ("root", "x", 0)),
                              ("Shutdown", "u", (SHUTDOWN_AGENT,)), ("Reboot", "u", (SHUTDOWN_AGENT,))]:
        name, msg = error(qemu, path, method, sig, *args)
        assert name == ERROR and "domain 'noga' has no guest agent channel" in msg, (method, msg)
    assert qemu.state(path)[0] == RUNNING
    # Agent or power button: the power button does it.
    qemu.vb.clear_signals()
    press_power_button(qemu, path, con, flags=SHUTDOWN_AGENT | SHUTDOWN_ACPI)
    deadline = time.monotonic() + 60
    while (EV_STOPPED, STOPPED_SHUTDOWN) not in qemu.events(path):
        assert time.monotonic() < deadline, qemu.events(path)
        drain(con)
    con.close()
    assert not any(s[2] == "AgentEvent" for s in qemu.vb.signals)
