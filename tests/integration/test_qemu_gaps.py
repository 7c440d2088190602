"""QEMU backend: the capabilities are known before the bus name is owned,
the balloon follows <currentMemory>, and in system mode the QEMU user gets
access to root-only images for as long as the domain runs."""
import os
import signal
import stat
import subprocess
import time

import pytest
from gi.repository import Gio, GLib

import guest
from test_qemu_lifecycle import (BOOT_TIMEOUT, CONNECT, DOMAIN, QEMU_PATH, VDOMAIN, drain, qemu,  # noqa: F401
                                 wait_gone)

pytestmark = pytest.mark.skipif(guest.missing_requirements() is not None,
                                reason=str(guest.missing_requirements()))


def test_host_queries_answer_at_once_after_name_owned(qemu):
    # The probe finished before the name was owned: these do not wait.
    t = time.monotonic()
    caps = qemu.connect("GetCapabilities")
    assert caps.startswith("<capabilities")
    assert "x86_64" in caps
    assert qemu.vb.properties(QEMU_PATH, CONNECT)["Version"] >= 1000000
    assert time.monotonic() - t < 2
    # A definition is validated against the probed capabilities right away.
    path = qemu.define("early")
    assert qemu.state(path)[0] == 5


def test_name_is_owned_only_after_the_probe(virtbus_with_env, tmp_root):
    # A QEMU that takes 1.5 s to answer each run of the probe.
    slow = os.path.join(tmp_root, "slow-qemu")
    with open(slow, "w") as f:
        f.write("#!/bin/sh\nsleep 1.5\nexec %s \"$@\"\n" % guest.QEMU)
    os.chmod(slow, 0o755)
    t = time.monotonic()
    vb = virtbus_with_env({"VIRTBUS_QEMU_EMULATOR": slow}, "qemu")
    assert time.monotonic() - t >= 1.5
    # Objects were exported before the name: the very first calls work
    # and do not wait.
    t = time.monotonic()
    caps = vb.call1(QEMU_PATH, CONNECT, "GetCapabilities", "")
    assert "<capabilities" in caps
    assert vb.properties(QEMU_PATH, CONNECT)["Version"] >= 1000000
    assert vb.call1(QEMU_PATH, CONNECT, "GetCPUModelNames", "su", "x86_64", 0)
    assert time.monotonic() - t < 1


def test_failed_probe_is_not_fatal(virtbus_with_env):
    vb = virtbus_with_env({"VIRTBUS_QEMU_EMULATOR": "/bin/false"}, "qemu")
    name, message = vb.error(QEMU_PATH, CONNECT, "GetCapabilities", "")
    assert name == "org.libvirt.Error" and "QEMU (/bin/false) is not usable" in message
    name, message = vb.error(QEMU_PATH, CONNECT, "DomainDefineXML", "s", guest.domain_xml("nope"))
    assert name == "org.libvirt.Error" and "is not usable" in message


def test_balloon_target_from_current_memory(qemu):
    path = qemu.define("balloonvm", memory_mib=256, current_memory_mib=192, balloon=True)
    qemu.vb.signals.clear()
    qemu.start(path)
    con = qemu.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    # The guest's virtio_balloon driver gives back 64 MiB: QEMU reports it.
    deadline = time.monotonic() + 60
    values = []
    while 192 * 1024 not in values:
        assert time.monotonic() < deadline, "no BalloonChange to 192 MiB; got %r" % values
        drain(con, 0.1)
        qemu.vb.pump()
        values = [s[3][0] for s in qemu.vb.signals if s[2] == "BalloonChange" and s[0] == path]
    assert all(v >= 192 * 1024 for v in values)
    con.close()
    qemu.dom(path, "Destroy", "u", 0)


def test_no_balloon_when_current_equals_memory(qemu):
    path = qemu.define("fullvm", memory_mib=128, balloon=True)
    qemu.vb.signals.clear()
    qemu.start(path)
    con = qemu.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    for _ in range(20):
        drain(con, 0.1)
    qemu.vb.pump()
    assert [s for s in qemu.vb.signals if s[2] == "BalloonChange" and s[0] == path] == []
    con.close()
    qemu.dom(path, "Destroy", "u", 0)


def acl_entries(path):
    try:
        return os.getxattr(path, "system.posix_acl_access")
    except OSError:
        return None


@pytest.mark.skipif(os.geteuid() != 0, reason="system mode needs root")
def test_system_mode_gives_qemu_user_access_to_images(tmp_root):
    from conftest import Bus, virtbusd_path
    os.chmod(tmp_root, 0o711)
    root = os.path.join(tmp_root, "root")
    for d in ("run", "var/log"):
        os.makedirs(os.path.join(root, d), mode=0o755)
    images = os.path.join(tmp_root, "images")
    os.makedirs(images, mode=0o711)
    disk = os.path.join(images, "disk.img")
    rodisk = os.path.join(images, "ro.img")
    for p in (disk, rodisk):
        with open(p, "wb") as f:
            f.truncate(1024 * 1024)
        os.chmod(p, 0o600)
    # The kernel and initrd too: root-only copies.
    g = guest.build_guest()
    kernel = os.path.join(images, "vmlinux")
    initrd = os.path.join(images, "initrd")
    for src, dst in ((g.kernel, kernel), (g.initrd, initrd)):
        with open(src, "rb") as a, open(dst, "wb") as b:
            b.write(a.read())
        os.chmod(dst, 0o600)
    g2 = guest.Guest(g.dir)
    g2.kernel, g2.initrd = kernel, initrd
    before = {p: (os.stat(p).st_mode, os.stat(p).st_uid, acl_entries(p)) for p in (disk, rodisk, kernel, initrd)}
    assert all(v[2] is None for v in before.values())

    extra = f"""    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{rodisk}'/>
      <target dev='vdb' bus='virtio'/>
      <readonly/>
    </disk>
"""
    bus = Bus(tmp_root, kind="system")
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus.address)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    log = open(os.path.join(tmp_root, "virtbusd.log"), "wb")
    daemon = subprocess.Popen([virtbusd_path(), "--system", "--root-prefix", root, "--driver", "qemu",
                               "--qemu-user", "nobody", "--verbose"], env=env, stdout=log, stderr=subprocess.STDOUT)
    conn = bus.connection
    pid = None

    def call(path, iface, method, sig, *args):
        return conn.call_sync("org.libvirt", path, iface, method, GLib.Variant("(%s)" % sig, args), None,
                              Gio.DBusCallFlags.NONE, 60000, None).unpack()

    try:
        deadline = time.monotonic() + 10
        xml = guest.domain_xml("aclvm", extra_devices=extra, guest=g2)
        while True:
            try:
                path = call(QEMU_PATH, CONNECT, "DomainDefineXML", "s", xml)[0]
                break
            except GLib.Error:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        call(path, DOMAIN, "Create", "u", 0)
        pid = int(open(os.path.join(root, "run", "virtbus", "qemu", "aclvm", "qemu.pid")).read())
        with open("/proc/%d/status" % pid) as f:
            assert [l for l in f if l.startswith("Uid:")][0].split()[1:] == ["65534"] * 4
        # QEMU (as nobody) holds the images open: read-write and read-only.
        opened = {}
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                flags = int([l for l in f if l.startswith("flags:")][0].split()[1], 8)
            opened[target] = flags & 3
        assert opened.get(disk) == os.O_RDWR, opened
        assert opened.get(rodisk) == os.O_RDONLY, opened
        # nobody has an ACL entry: rw on the disk, r on the read-only one.
        assert acl_entries(disk) is not None and acl_entries(rodisk) is not None
        out = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "test", "-w", rodisk])
        assert out.returncode != 0
        out = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "test", "-w", disk])
        assert out.returncode == 0
        reply, fds = conn.call_with_unix_fd_list_sync(
            "org.libvirt", path, VDOMAIN, "OpenConsole", GLib.Variant("(uu)", (0, 0)), None,
            Gio.DBusCallFlags.NONE, 10000, None, None)
        con = guest.Console(fds.get(reply.unpack()[0]))
        con.wait_ready(BOOT_TIMEOUT)
        con.close()
        call(path, DOMAIN, "Destroy", "u", 0)
        wait_gone([pid])
        pid = None
        after = {p: (os.stat(p).st_mode, os.stat(p).st_uid, acl_entries(p)) for p in before}
        assert after == before
    finally:
        if pid is not None and os.path.exists("/proc/%d" % pid):
            os.kill(pid, signal.SIGKILL)
            wait_gone([pid])
        daemon.terminate()
        assert daemon.wait(10) == 0
        log.close()
        bus.stop()


@pytest.mark.skipif(os.geteuid() != 0, reason="system mode needs root")
def test_system_mode_access_restored_across_daemon_restart(tmp_root):
    from conftest import Bus, virtbusd_path
    os.chmod(tmp_root, 0o711)
    root = os.path.join(tmp_root, "root")
    for d in ("run", "var/log"):
        os.makedirs(os.path.join(root, d), mode=0o755)
    images = os.path.join(tmp_root, "images")
    os.makedirs(images, mode=0o711)
    disk = os.path.join(images, "disk.img")
    with open(disk, "wb") as f:
        f.truncate(1024 * 1024)
    os.chmod(disk, 0o640)
    # An ACL of its own (a named group entry) must come back as it was.
    os.setxattr(disk, "system.posix_acl_access",
                b"\x02\0\0\0" + b"".join(tag.to_bytes(2, "little") + perm.to_bytes(2, "little") + i.to_bytes(4, "little")
                                       for tag, perm, i in ((1, 6, 0xffffffff), (4, 4, 0xffffffff), (8, 4, 4),
                                                            (0x10, 4, 0xffffffff), (0x20, 0, 0xffffffff))))
    before = (os.stat(disk).st_mode, acl_entries(disk))
    extra = f"""    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
"""
    bus = Bus(tmp_root, kind="system")
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus.address)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    log = open(os.path.join(tmp_root, "virtbusd.log"), "ab")
    conn = bus.connection
    pids = []

    def start_daemon():
        d = subprocess.Popen([virtbusd_path(), "--system", "--root-prefix", root, "--driver", "qemu",
                              "--qemu-user", "nobody", "--verbose", "--replace"], env=env, stdout=log,
                             stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                call(QEMU_PATH, CONNECT, "ListDomains", "u", 0)
                return d
            except GLib.Error:
                assert time.monotonic() < deadline
                time.sleep(0.05)

    def call(path, iface, method, sig, *args):
        return conn.call_sync("org.libvirt", path, iface, method, GLib.Variant("(%s)" % sig, args), None,
                              Gio.DBusCallFlags.NONE, 60000, None).unpack()

    def qemu_pid():
        return int(open(os.path.join(root, "run", "virtbus", "qemu", "rvm", "qemu.pid")).read())

    daemon = start_daemon()
    try:
        path = call(QEMU_PATH, CONNECT, "DomainDefineXML", "s", guest.domain_xml("rvm", extra_devices=extra))[0]
        # 1: the daemon is killed while the guest runs; the next one restores at Destroy.
        call(path, DOMAIN, "Create", "u", 0)
        pids.append(qemu_pid())
        granted = acl_entries(disk)
        assert granted != before[1] and (65534).to_bytes(4, "little") in granted
        daemon.kill()
        daemon.wait()
        daemon = start_daemon()
        assert acl_entries(disk) == granted
        call(path, DOMAIN, "Destroy", "u", 0)
        wait_gone(pids)
        assert (os.stat(disk).st_mode, acl_entries(disk)) == before
        # 2: the guest dies while no daemon runs; the next one restores at once.
        call(path, DOMAIN, "Create", "u", 0)
        pids = [qemu_pid()]
        assert acl_entries(disk) == granted
        daemon.kill()
        daemon.wait()
        os.kill(pids[0], signal.SIGKILL)
        wait_gone(pids)
        daemon = start_daemon()
        assert (os.stat(disk).st_mode, acl_entries(disk)) == before
        assert tuple(call(path, DOMAIN, "GetState", "u", 0)[0]) == (5, 3)
    finally:
        for pid in pids:
            if os.path.exists("/proc/%d" % pid):
                os.kill(pid, signal.SIGKILL)
        wait_gone(pids)
        daemon.terminate()
        assert daemon.wait(10) == 0
        log.close()
        bus.stop()
