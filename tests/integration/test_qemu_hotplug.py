"""Hotplug and live changes of QEMU domains (backends/qemu/vb-qemu-hotplug.c)
with the real test guest under TCG: devices attached and detached live and
in the config, cdrom media, vCPUs, balloon, block resize, I/O throttling,
keys and NMIs, q35 root ports."""
import os
import re
import subprocess
import time

import pytest

import guest
from test_schemas import validate
from test_qemu_lifecycle import (BOOT_TIMEOUT, DOMAIN, QEMU_PATH, CONNECT, RUNNING, drain,  # noqa: F401
                                 qemu)

pytestmark = pytest.mark.skipif(guest.missing_requirements() is not None,
                                reason=str(guest.missing_requirements()))

LIVE, CONFIG = 1, 2
TRAY_OPEN, TRAY_CLOSE = 0, 1


def make_image(tmp_path, name, size="16M", fmt="qcow2"):
    path = str(tmp_path / name)
    subprocess.run(["qemu-img", "create", "-q", "-f", fmt, path, size], check=True)
    return path


# The test guest has no disk of its own: the first virtio disk plugged is
# its vda, whatever the target name on the host side.
def disk_xml(path, dev="vdb", bus="virtio", fmt="qcow2"):
    return (f"<disk type='file' device='disk'><driver name='qemu' type='{fmt}'/>"
            f"<source file='{path}'/><target dev='{dev}' bus='{bus}'/></disk>")


def nic_xml(mac):
    return f"<interface type='user'><mac address='{mac}'/><model type='virtio'/></interface>"


def guest_value(con, command, want, timeout=60):
    """Run @command in the guest until its last output line is @want."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        _, out = con.run(command, timeout=30)
        lines = out.strip().splitlines()
        last = lines[-1].strip() if lines else ""
        if last == want:
            return
        time.sleep(0.5)
    raise AssertionError("guest: %r gave %r, not %r" % (command, last, want))


def wait_domain_signal(q, name, path, args, console=None, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        q.vb.pump()
        for i, s in enumerate(q.vb.signals):
            if s[2] == name and s[0] == path and s[3] == args:
                del q.vb.signals[:i + 1]
                return s
        assert time.monotonic() < deadline, "no %s%r; got %r" % (name, args, q.vb.signals)
        if console is not None:
            drain(console, 0.05)
        else:
            time.sleep(0.02)


def vcpu_element(text):
    """(current attribute or None, maximum) of <vcpu>."""
    m = re.search(r"<vcpu([^>]*)>(\d+)</vcpu>", text)
    cur = re.search(r"current='(\d+)'", m.group(1))
    return (cur.group(1) if cur else None, m.group(2))


def xml(q, path, flags=0):
    return q.dom(path, "GetXMLDesc", "u", flags)[0]


def test_disk_attach_resize_iotune_detach_live(qemu, tmp_path):
    image = make_image(tmp_path, "extra.qcow2", "16M")
    path, con = qemu.boot("hp1")
    qemu.vb.clear_signals()

    qemu.dom(path, "AttachDevice", "su", disk_xml(image), LIVE)
    wait_domain_signal(qemu, "DeviceAdded", path, ("virtio-disk1",), con)
    guest_value(con, "cat /sys/block/vda/size", str(16 * 1024 * 2))
    live = xml(qemu, path)
    assert "dev='vdb'" in live and "virtio-disk1" in live
    validate(live, "domain.rng")
    # Live only: the persistent definition does not have it.
    assert "dev='vdb'" not in xml(qemu, path, 2)  # VIR_DOMAIN_XML_INACTIVE
    # Attaching the same target again is refused.
    name, msg = qemu.vb.error(path, DOMAIN, "AttachDevice", "su", disk_xml(image), LIVE)
    assert name == "org.libvirt.Error" and "vdb" in msg

    # BlockResize (KiB by default, bytes with the flag): the guest sees it.
    qemu.dom(path, "BlockResize", "stu", "vdb", 32 * 1024, 0)
    guest_value(con, "cat /sys/block/vda/size", str(32 * 1024 * 2))
    qemu.dom(path, "BlockResize", "stu", image, 40 * 1024 * 1024, 1)
    guest_value(con, "cat /sys/block/vda/size", str(40 * 1024 * 2))
    name, msg = qemu.vb.error(path, DOMAIN, "BlockResize", "stu", "vdz", 1024, 0)
    assert "no disk 'vdz'" in msg

    # I/O throttling: set, read back, exclusive totals.
    from gi.repository import GLib
    params = {"read_bytes_sec": GLib.Variant("t", 1048576), "write_iops_sec": GLib.Variant("t", 200)}
    qemu.dom(path, "SetBlockIOTune", "sa{sv}u", "vdb", params, LIVE)
    got = qemu.dom(path, "GetBlockIOTune", "su", "vdb", 0)[0]
    assert got["read_bytes_sec"] == 1048576 and got["write_iops_sec"] == 200 and got["total_bytes_sec"] == 0
    qemu.dom(path, "SetBlockIOTune", "sa{sv}u", "vdb", {"total_bytes_sec": GLib.Variant("t", 4096000)}, LIVE)
    got = qemu.dom(path, "GetBlockIOTune", "su", "vdb", 0)[0]
    assert got["total_bytes_sec"] == 4096000 and got["read_bytes_sec"] == 0 and got["write_iops_sec"] == 200
    name, msg = qemu.vb.error(path, DOMAIN, "SetBlockIOTune", "sa{sv}u", "vdb",
                              {"total_bytes_sec": GLib.Variant("t", 1), "read_bytes_sec": GLib.Variant("t", 1)}, LIVE)
    assert "cannot be set at the same time" in msg
    name, msg = qemu.vb.error(path, DOMAIN, "SetBlockIOTune", "sa{sv}u", "vdb",
                              {"bogus": GLib.Variant("t", 1)}, LIVE)
    assert "unknown block I/O tuning parameter 'bogus'" in msg
    assert "<iotune>" in xml(qemu, path) and "<total_bytes_sec>4096000</total_bytes_sec>" in xml(qemu, path)

    # Detach: confirmed by DEVICE_DELETED → DeviceRemoved, gone from the XML.
    qemu.dom(path, "DetachDevice", "su", disk_xml(image), LIVE)
    wait_domain_signal(qemu, "DeviceRemoved", path, ("virtio-disk1",), con)
    assert "dev='vdb'" not in xml(qemu, path)
    guest_value(con, "test -e /sys/block/vda && echo present || echo gone", "gone")
    name, msg = qemu.vb.error(path, DOMAIN, "DetachDevice", "su", disk_xml(image), LIVE)
    assert name == "org.libvirt.Error" and "vdb" in msg

    # The image can be plugged again (node names were released).
    qemu.dom(path, "AttachDevice", "su", disk_xml(image), LIVE)
    wait_domain_signal(qemu, "DeviceAdded", path, ("virtio-disk1",), con)
    guest_value(con, "cat /sys/block/vda/size", str(40 * 1024 * 2))
    qemu.dom(path, "Destroy", "u", 0)
    con.close()
    # A live-only device goes with the run.
    assert "dev='vdb'" not in xml(qemu, path)


def test_scsi_disk_attach_detach(qemu, tmp_path):
    image = make_image(tmp_path, "scsi.qcow2", "8M")
    path, con = qemu.boot("hp8")
    qemu.vb.clear_signals()
    # No SCSI controller yet: said so.
    name, msg = qemu.vb.error(path, DOMAIN, "AttachDevice", "su", disk_xml(image, dev="sdb", bus="scsi"), LIVE)
    assert "no SCSI controller" in msg
    qemu.dom(path, "Destroy", "u", 0)
    con.close()
    qemu.dom(path, "AttachDevice", "su", "<controller type='scsi' index='0' model='virtio-scsi'/>", CONFIG)
    qemu.start(path)
    con = qemu.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    qemu.dom(path, "AttachDevice", "su", disk_xml(image, dev="sdb", bus="scsi"), LIVE)
    wait_domain_signal(qemu, "DeviceAdded", path, ("scsi0-0-0-1",), con)
    assert "scsi0-0-0-1" in xml(qemu, path)
    # SCSI unplug needs no guest cooperation: gone when the call returns.
    qemu.dom(path, "DetachDevice", "su", disk_xml(image, dev="sdb", bus="scsi"), LIVE)
    wait_domain_signal(qemu, "DeviceRemoved", path, ("scsi0-0-0-1",), con)
    assert "dev='sdb'" not in xml(qemu, path)
    qemu.dom(path, "Destroy", "u", 0)
    con.close()


def test_iotune_in_config_applies_at_start(qemu, tmp_path):
    from gi.repository import GLib
    image = make_image(tmp_path, "tuned.qcow2", "8M")
    path = qemu.define("hp9", extra_devices="    " + disk_xml(image) + "\n")
    qemu.dom(path, "SetBlockIOTune", "sa{sv}u", "vdb", {"total_iops_sec": GLib.Variant("t", 5000)}, CONFIG)
    with open(os.path.join(qemu.config_dir, "hp9.xml")) as f:
        assert "<total_iops_sec>5000</total_iops_sec>" in f.read()
    name, msg = qemu.vb.error(path, DOMAIN, "SetBlockIOTune", "sa{sv}u", "vdb",
                              {"total_iops_sec": GLib.Variant("t", 1)}, LIVE)
    assert "not running" in msg
    qemu.start(path)
    con = qemu.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    got = qemu.dom(path, "GetBlockIOTune", "su", "vdb", LIVE)[0]
    assert got["total_iops_sec"] == 5000
    # The throttled disk still works in the guest.
    status, out = con.run("dd if=/dev/vda of=/dev/null bs=4096 count=64 2>&1")
    assert status == 0, out
    qemu.dom(path, "Destroy", "u", 0)
    con.close()


def test_config_attach_persists_and_live_needs_running(qemu, tmp_path):
    vb = qemu.vb
    image = make_image(tmp_path, "cfg.qcow2", "8M")
    path = qemu.define("hp2")
    name, msg = vb.error(path, DOMAIN, "AttachDevice", "su", disk_xml(image), LIVE)
    assert name == "org.libvirt.Error" and "not running" in msg
    # Current (0) on a stopped domain = config.
    qemu.dom(path, "AttachDevice", "su", disk_xml(image, dev="vdc"), 0)
    qemu.dom(path, "AttachDevice", "su", nic_xml("52:54:00:12:34:99"), CONFIG)
    with open(os.path.join(qemu.config_dir, "hp2.xml")) as f:
        saved = f.read()
    assert "dev='vdc'" in saved and "52:54:00:12:34:99" in saved

    assert vb.stop() == 0
    vb.start()
    assert "dev='vdc'" in xml(qemu, path) and "52:54:00:12:34:99" in xml(qemu, path)
    # Boots with it: the guest sees the disk and the NIC.
    qemu.start(path)
    con = qemu.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    guest_value(con, "cat /sys/block/vda/size", str(8 * 1024 * 2))
    guest_value(con, "cat /sys/class/net/eth0/address", "52:54:00:12:34:99")
    # Config-only detach while running: the live domain keeps it.
    qemu.dom(path, "DetachDevice", "su", disk_xml(image, dev="vdc"), CONFIG)
    assert "dev='vdc'" in xml(qemu, path)
    assert "dev='vdc'" not in xml(qemu, path, 2)
    name, msg = vb.error(path, DOMAIN, "DetachDevice", "su", disk_xml(image, dev="vdq"), CONFIG)
    assert name == "org.libvirt.Error" and "vdq" in msg
    qemu.dom(path, "Destroy", "u", 0)
    con.close()
    assert "dev='vdc'" not in xml(qemu, path)


def test_nic_attach_detach_live(qemu):
    path, con = qemu.boot("hp3")
    qemu.vb.clear_signals()
    qemu.dom(path, "AttachDevice", "su", nic_xml("52:54:00:ab:cd:ef"), LIVE)
    wait_domain_signal(qemu, "DeviceAdded", path, ("net0",), con)
    guest_value(con, "cat /sys/class/net/eth0/address", "52:54:00:ab:cd:ef")
    assert "52:54:00:ab:cd:ef" in xml(qemu, path)
    # No bandwidth control with user-mode networking.
    got = qemu.dom(path, "GetInterfaceParameters", "su", "52:54:00:ab:cd:ef", 0)[0]
    assert got["inbound.average"] == 0
    from gi.repository import GLib
    name, msg = qemu.vb.error(path, DOMAIN, "SetInterfaceParameters", "sa{sv}u", "52:54:00:ab:cd:ef",
                              {"inbound.average": GLib.Variant("u", 100)}, 0)
    assert "user-mode networking" in msg

    qemu.dom(path, "DetachDevice", "su", nic_xml("52:54:00:ab:cd:ef"), LIVE)
    wait_domain_signal(qemu, "DeviceRemoved", path, ("net0",), con)
    guest_value(con, "test -e /sys/class/net/eth0 && echo present || echo gone", "gone")
    assert "52:54:00:ab:cd:ef" not in xml(qemu, path)
    # What cannot be plugged live says so.
    name, msg = qemu.vb.error(path, DOMAIN, "AttachDevice", "su",
                              "<serial type='pty'><target port='1'/></serial>", LIVE)
    assert name == "org.libvirt.Error" and "live attach of <serial>" in msg
    qemu.dom(path, "Destroy", "u", 0)
    con.close()


def test_nic_link_state(qemu):
    # Defined unplugged (<link state='down'/>): the guest boots without a
    # carrier; UpdateDevice plugs and unplugs it live (cockpit-machines'
    # buttons), and with CONFIG the next start keeps the state.
    down = ("<interface type='user'><mac address='52:54:00:ab:cd:01'/><model type='virtio'/>"
            "<link state='down'/></interface>")
    up = down.replace("<link state='down'/>", "<link state='up'/>")
    path, con = qemu.boot("hp-link", extra_devices=down)
    guest_value(con, "ip link set eth0 up; cat /sys/class/net/eth0/carrier", "0")
    assert "<link state='down'/>" in xml(qemu, path)
    qemu.dom(path, "UpdateDevice", "su", up, LIVE)
    guest_value(con, "cat /sys/class/net/eth0/carrier", "1")
    assert "<link state='up'/>" in xml(qemu, path)
    # Live only: the persistent definition still has it down.
    assert "<link state='down'/>" in xml(qemu, path, 2)
    qemu.dom(path, "UpdateDevice", "su", down, LIVE | CONFIG)
    guest_value(con, "cat /sys/class/net/eth0/carrier", "0")
    assert "<link state='down'/>" in xml(qemu, path) and "<link state='down'/>" in xml(qemu, path, 2)
    # Found without a MAC too (by alias); what needs the guest off is refused.
    qemu.dom(path, "UpdateDevice", "su", "<interface type='user'><model type='virtio'/><link state='up'/>"
             "<alias name='net0'/></interface>", LIVE)
    guest_value(con, "cat /sys/class/net/eth0/carrier", "1")
    name, msg = qemu.vb.error(path, DOMAIN, "UpdateDevice", "su", up.replace("virtio", "e1000"), LIVE)
    assert name == "org.libvirt.Error" and "only its link state can change" in msg, msg
    name, msg = qemu.vb.error(path, DOMAIN, "UpdateDevice", "su", up.replace("cd:01", "cd:99"), LIVE)
    assert name == "org.libvirt.Error" and "52:54:00:ab:cd:99" in msg, msg
    qemu.dom(path, "Destroy", "u", 0)
    con.close()


def test_cdrom_media_change(qemu, tmp_path):
    iso1 = make_image(tmp_path, "one.iso", "1M", "raw")
    cdrom = "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>%s<target dev='hdc' bus='ide'/></disk>"
    path, con = qemu.boot("hp4", extra_devices="    " + cdrom % "" + "\n")
    qemu.vb.clear_signals()
    qemu.dom(path, "UpdateDevice", "su", cdrom % ("<source file='%s'/>" % iso1), LIVE)
    assert iso1 in xml(qemu, path)
    validate(xml(qemu, path), "domain.rng")
    # The new medium is the bottom (and top) of the cdrom's chain: index 1.
    assert "<source file='%s' index='1'/>" % iso1 in xml(qemu, path)
    wait_domain_signal(qemu, "TrayChange", path, ("ide0-1-0", TRAY_OPEN), con)
    wait_domain_signal(qemu, "TrayChange", path, ("ide0-1-0", TRAY_CLOSE), con)
    # Eject: an empty source.
    qemu.dom(path, "UpdateDevice", "su", cdrom % "", LIVE)
    assert iso1 not in xml(qemu, path)
    assert "index=" not in re.search(r"<disk type='file' device='cdrom'>.*?</disk>", xml(qemu, path), re.S).group(0)
    wait_domain_signal(qemu, "TrayChange", path, ("ide0-1-0", TRAY_OPEN), con)
    # Only cdrom media (and NIC links) change live.
    name, msg = qemu.vb.error(path, DOMAIN, "UpdateDevice", "su", "<serial type='pty'><target port='0'/></serial>",
                              LIVE)
    assert "live update of <serial>" in msg and "only the medium of a cdrom" in msg
    qemu.dom(path, "Destroy", "u", 0)
    con.close()


def test_vcpus_and_memory(qemu):
    vb = qemu.vb
    xmltext = guest.domain_xml("hp5", vcpus=2, balloon=True).replace("<vcpu>2</vcpu>",
                                                                       "<vcpu current='1'>2</vcpu>")
    path = qemu.connect("DomainDefineXML", "s", xmltext)
    qemu.start(path)
    con = qemu.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    guest_value(con, "cat /sys/devices/system/cpu/present", "0")
    vb.clear_signals()

    assert vcpu_element(xml(qemu, path)) == ("1", "2")
    qemu.dom(path, "SetVcpus", "uu", 2, LIVE)
    assert vcpu_element(xml(qemu, path)) == (None, "2")
    # Live only: the next boot still starts with one.
    assert vcpu_element(xml(qemu, path, 2)) == ("1", "2")
    guest_value(con, "cat /sys/devices/system/cpu/present", "0-1")
    con.run("echo 1 > /sys/devices/system/cpu/cpu1/online")
    guest_value(con, "cat /sys/devices/system/cpu/online", "0-1")
    name, msg = vb.error(path, DOMAIN, "SetVcpus", "uu", 3, LIVE)
    assert "greater than max allowable vcpus" in msg
    name, msg = vb.error(path, DOMAIN, "SetVcpus", "uu", 2, 4 | LIVE)  # MAXIMUM live
    assert "maximum" in msg
    # Config: current vCPUs of the next boot.
    # Unplug again (the guest gives the CPU back through ACPI).
    qemu.dom(path, "SetVcpus", "uu", 1, LIVE)
    guest_value(con, "cat /sys/devices/system/cpu/present", "0", timeout=90)
    deadline = time.monotonic() + 30
    while vcpu_element(xml(qemu, path)) != ("1", "2"):
        assert time.monotonic() < deadline, xml(qemu, path)
        drain(con, 0.1)
    qemu.dom(path, "SetVcpus", "uu", 2, CONFIG)
    assert vcpu_element(xml(qemu, path, 2)) == (None, "2")

    # Balloon: BalloonChange and the live <currentMemory> follow.
    qemu.dom(path, "SetMemory", "tu", 96 * 1024, LIVE)
    wait_domain_signal(qemu, "BalloonChange", path, (96 * 1024,), con, timeout=90)
    assert "<currentMemory unit='KiB'>98304</currentMemory>" in xml(qemu, path)
    name, msg = vb.error(path, DOMAIN, "SetMemory", "tu", 512 * 1024, LIVE)
    assert "higher than max memory" in msg
    name, msg = vb.error(path, DOMAIN, "SetMemory", "tu", 512 * 1024, 4 | LIVE)
    assert "maximum memory on an active domain" in msg
    qemu.dom(path, "SetMemory", "tu", 200 * 1024, 4 | CONFIG)
    assert "<memory unit='KiB'>204800</memory>" in xml(qemu, path, 2)
    qemu.dom(path, "Destroy", "u", 0)
    con.close()


def test_send_key_and_nmi(qemu):
    path, con = qemu.boot("hp6")

    def i8042_irqs():
        _, out = con.run("grep ' 1:' /proc/interrupts")
        return sum(int(x) for x in out.split(":", 1)[1].split()[:-2] if x.isdigit())

    before = i8042_irqs()
    qemu.dom(path, "SendKey", "uuauu", 0, 50, [30], 0)  # linux KEY_A
    deadline = time.monotonic() + 30
    while i8042_irqs() <= before:
        assert time.monotonic() < deadline, "no keyboard interrupt in the guest"
        time.sleep(0.5)
    name, msg = qemu.vb.error(path, DOMAIN, "SendKey", "uuauu", 7, 0, [4], 0)  # USB codeset
    assert "keycode set 7 is not supported" in msg
    name, msg = qemu.vb.error(path, DOMAIN, "SendKey", "uuauu", 0, 0, [], 0)
    assert "keycodes are required" in msg

    qemu.dom(path, "InjectNMI", "u", 0)
    deadline = time.monotonic() + 30
    while True:
        _, out = con.run("dmesg | grep -c NMI")
        if out.strip().splitlines() and out.strip().splitlines()[-1] != "0":
            break
        assert time.monotonic() < deadline, "the guest saw no NMI"
        time.sleep(0.5)
    qemu.dom(path, "Destroy", "u", 0)
    con.close()
    name, msg = qemu.vb.error(path, DOMAIN, "InjectNMI", "u", 0)
    assert "not running" in msg


def test_q35_root_ports_and_hotplug(qemu, tmp_path):
    image = make_image(tmp_path, "q35.qcow2", "8M")
    xmltext = guest.domain_xml("hp7").replace("machine='pc'", "machine='q35'")
    path = qemu.connect("DomainDefineXML", "s", xmltext)
    inactive = xml(qemu, path)
    assert inactive.count("model='pcie-root-port'") == 4
    qemu.start(path)
    con = qemu.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    qemu.vb.clear_signals()
    qemu.dom(path, "AttachDevice", "su", disk_xml(image), LIVE)
    wait_domain_signal(qemu, "DeviceAdded", path, ("virtio-disk1",), con)
    guest_value(con, "cat /sys/block/vda/size", str(8 * 1024 * 2))
    # Plugged into the first spare root port (pci.1).
    live = xml(qemu, path)
    disk = live[live.index("dev='vdb'"):]
    assert "bus='0x01'" in disk[:disk.index("</disk>")], disk
    qemu.dom(path, "DetachDevice", "su", disk_xml(image), LIVE)
    wait_domain_signal(qemu, "DeviceRemoved", path, ("virtio-disk1",), con)
    guest_value(con, "test -e /sys/block/vda && echo present || echo gone", "gone")
    qemu.dom(path, "Destroy", "u", 0)
    con.close()
