"""The host's own queries on qemu:// (NodeGetCPUMap, NodeGetCPUStats,
NodeGetMemoryStats, NodeGetFreeMemory, Node{Get,Set}MemoryParameters,
NodeGetSecurityModel, GetSysinfo), checked against libvirt's answers on the
same host: libvirtd (session mode, as an unprivileged user) behind
libvirt-dbus on a bus of its own, called with the same D-Bus calls.

GetSysinfo is compared on SMBIOS tables of the tests' making
(tests/integration/smbios.py): virtbusd reads them where the kernel
exports them (VIRTBUS_HOST_ROOT), libvirtd through dmidecode, which sees
them in a mount namespace of its own where /usr/sbin/dmidecode reads the
table's dump. Nothing of the host's changes: the KSM tunables are written
in a host tree of the test's own."""
import os
import pwd
import shutil
import signal
import subprocess
import time
import uuid as uuidlib
import xml.etree.ElementTree as ET

import pytest
from gi.repository import GLib

import smbios
from conftest import Bus, BUS_NAME
from test_virtbusctl import ok as virtbusctl

QEMU_PATH = "/org/libvirt/QEMU"
CONNECT = "org.libvirt.Connect"
ANCHOR_USER = "nobody"
DMIDECODE = "/usr/sbin/dmidecode"


def have_anchor():
    return os.path.exists("/usr/sbin/libvirtd") and os.path.exists("/usr/sbin/libvirt-dbus")


class Libvirt:
    """libvirtd + libvirt-dbus --session as ANCHOR_USER, state under @state;
    with @dmi_dump, dmidecode reads that dump instead of the host's
    tables."""

    def __init__(self, state, dmi_dump=None):
        pw = pwd.getpwnam(ANCHOR_USER)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.state = state
        home = os.path.join(state, "home")
        self.env = dict(os.environ, HOME=home, USER=ANCHOR_USER, LOGNAME=ANCHOR_USER, LIBVIRT_AUTOSTART="0")
        for key, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache"),
                         ("XDG_DATA_HOME", ".local/share"), ("XDG_RUNTIME_DIR", "run")):
            self.env[key] = os.path.join(home, sub)
            os.makedirs(self.env[key], exist_ok=True)
        conf = os.path.join(self.env["XDG_CONFIG_HOME"], "libvirt")
        os.makedirs(conf, exist_ok=True)
        with open(os.path.join(conf, "libvirtd.conf"), "w") as f:
            f.write('log_outputs = "3:file:%s/libvirtd.log"\n' % home)
        with open(os.path.join(conf, "qemu.conf"), "w") as f:
            f.write('stdio_handler = "file"\n')
        # libvirtd's user reaches its home (and the dump) through the test's root
        os.chmod(os.path.dirname(state), 0o755)
        os.chmod(state, 0o755)
        for dirpath, dirnames, filenames in os.walk(home):
            for n in [dirpath] + [os.path.join(dirpath, x) for x in dirnames + filenames]:
                os.chown(n, self.uid, self.gid)
        os.chmod(self.env["XDG_RUNTIME_DIR"], 0o700)
        self.log = open(os.path.join(state, "libvirt.log"), "ab")
        self.bus = Bus(state)
        self.env["DBUS_SESSION_BUS_ADDRESS"] = self.bus.address
        self.procs = []
        try:
            self._start(state, dmi_dump)
        except BaseException:
            self.stop()  # nothing of a failed start is left running
            raise

    def _start(self, state, dmi_dump):
        sock = os.path.join(self.env["XDG_RUNTIME_DIR"], "libvirt", "libvirt-sock")
        cmd = ["setpriv", "--reuid", str(self.uid), "--regid", str(self.gid), "--clear-groups", "/usr/sbin/libvirtd"]
        if dmi_dump is not None:
            # dmidecode, as libvirtd runs it, reads the dump: a bind mount in
            # a mount namespace of libvirtd's own.
            real = os.path.join(state, "dmidecode.real")
            shutil.copy(DMIDECODE, real)
            wrapper = os.path.join(state, "dmidecode")
            with open(wrapper, "w") as f:
                f.write('#!/bin/sh\nexec %s --from-dump %s "$@"\n' % (real, dmi_dump))
            os.chmod(wrapper, 0o755)
            os.chmod(dmi_dump, 0o644)
            cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                   'mount --bind "$0" %s && exec "$@"' % DMIDECODE, wrapper] + cmd
        self.procs.append(subprocess.Popen(cmd, env=self.env, stdout=self.log, stderr=self.log,
                                           stdin=subprocess.DEVNULL))
        deadline = time.monotonic() + 30
        while not os.path.exists(sock):
            assert self.procs[0].poll() is None, "libvirtd exited: see %s" % self.env["HOME"]
            assert time.monotonic() < deadline, "libvirtd did not start"
            time.sleep(0.02)
        self.procs.append(subprocess.Popen(
            ["setpriv", "--reuid", str(self.uid), "--regid", str(self.gid), "--clear-groups",
             "/usr/sbin/libvirt-dbus", "--session"], env=self.env, stdout=self.log, stderr=self.log,
            stdin=subprocess.DEVNULL))
        deadline = time.monotonic() + 30
        while True:
            owner = self.bus.connection.call_sync(
                "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
                GLib.Variant("(s)", (BUS_NAME,)), None, 0, 5000, None).unpack()[0]
            if owner:
                break
            assert self.procs[1].poll() is None, "libvirt-dbus exited"
            assert time.monotonic() < deadline, "libvirt-dbus did not take %s" % BUS_NAME
            time.sleep(0.02)

    def call(self, method, signature="", *args):
        reply = self.bus.connection.call_sync(
            BUS_NAME, QEMU_PATH, CONNECT, method, GLib.Variant("(%s)" % signature, args) if signature else None,
            None, 0, 30000, None)
        return reply.unpack() if reply is not None else ()

    def stop(self):
        for p in reversed(self.procs):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.bus.stop()
        self.log.close()


@pytest.fixture
def anchor(tmp_root):
    if not have_anchor():
        pytest.skip("libvirtd and libvirt-dbus (the oracle) are not installed")
    started = []

    def start(dmi_dump=None):
        state = os.path.join(tmp_root, "libvirt-%d" % len(started))
        os.makedirs(state)
        lv = Libvirt(state, dmi_dump)
        started.append(lv)
        return lv
    yield start
    for lv in started:
        lv.stop()


def ours(vb, method, signature="", *args):
    return vb.call(QEMU_PATH, CONNECT, method, signature, *args)


def error_of(fn, *args):
    with pytest.raises(GLib.Error) as e:
        fn(*args)
    return e.value.message


def test_host_queries_match_libvirt(virtbus_with_env, anchor):
    lv = anchor()
    vb = virtbus_with_env({}, "qemu")

    # The same answers where nothing moves.
    for method, sig, args in (("NodeGetCPUMap", "u", (0,)), ("NodeGetSecurityModel", "", ()),
                              ("NodeGetMemoryParameters", "u", (0,))):
        assert ours(vb, method, sig, *args) == lv.call(method, sig, *args), method
    # The memory: the same fields and totals; free memory moves.
    for cell in [-1] + sorted(int(n[4:]) for n in os.listdir("/sys/devices/system/node")
                              if n.startswith("node") and n[4:].isdigit()):
        mine, theirs = ours(vb, "NodeGetMemoryStats", "iu", cell, 0)[0], lv.call("NodeGetMemoryStats", "iu", cell, 0)[0]
        assert list(mine) == list(theirs), cell
        assert mine["total"] == theirs["total"], cell
        assert abs(mine["free"] - theirs["free"]) < max(theirs["total"] // 50, 65536), (cell, mine, theirs)
    free_mine, free_theirs = ours(vb, "NodeGetFreeMemory")[0], lv.call("NodeGetFreeMemory")[0]
    assert abs(free_mine - free_theirs) < 128 << 20, (free_mine, free_theirs)
    # CPU times only grow: ours lies between two of libvirt's.
    ncpus = len(ours(vb, "NodeGetCPUMap", "u", 0)[0])
    for cpu in [-1] + list(range(ncpus)):
        before = lv.call("NodeGetCPUStats", "iu", cpu, 0)[0]
        mine = ours(vb, "NodeGetCPUStats", "iu", cpu, 0)[0]
        after = lv.call("NodeGetCPUStats", "iu", cpu, 0)[0]
        assert list(mine) == list(before), cpu
        for key in mine:
            assert before[key] <= mine[key] <= after[key], (cpu, key, before, mine, after)
    # Both refuse the same wrong arguments.
    for method, sig, args in (("NodeGetCPUStats", "iu", (ncpus, 0)), ("NodeGetCPUStats", "iu", (-2, 0)),
                              ("NodeGetMemoryStats", "iu", (99, 0)), ("NodeGetMemoryStats", "iu", (-1, 1)),
                              ("NodeGetCPUMap", "u", (1,))):
        error_of(lv.call, method, sig, *args)
        assert "org.libvirt.Error" in error_of(ours, vb, method, sig, *args), (method, args)
    # This host's SMBIOS: answered where the kernel exports it, a clear
    # error where it does not.
    if os.path.exists("/sys/firmware/dmi/tables/DMI"):
        assert ours(vb, "GetSysinfo", "u", 0)[0].startswith("<sysinfo type='smbios'>")
    else:
        assert "SMBIOS information is not available" in error_of(ours, vb, "GetSysinfo", "u", 0)
        error_of(lv.call, "GetSysinfo", "u", 0)


# libvirt's reading of dmidecode's text: section → (its sysinfo element,
# [(dmidecode's field, the entry's name)]); the first BIOS, system and
# chassis, every base board, processor and memory device.
SECTIONS = (
    ("BIOS Information", "bios", False,
     [("Vendor", "vendor"), ("Version", "version"), ("Release Date", "date"), ("BIOS Revision", "release")]),
    ("System Information", "system", False,
     [("Manufacturer", "manufacturer"), ("Product Name", "product"), ("Version", "version"),
      ("Serial Number", "serial"), ("UUID", "uuid"), ("SKU Number", "sku"), ("Family", "family")]),
    ("Base Board Information", "baseBoard", True,
     [("Manufacturer", "manufacturer"), ("Product Name", "product"), ("Version", "version"),
      ("Serial Number", "serial"), ("Asset Tag", "asset"), ("Location In Chassis", "location")]),
    ("Chassis Information", "chassis", False,
     [("Manufacturer", "manufacturer"), ("Version", "version"), ("Serial Number", "serial"),
      ("Asset Tag", "asset"), ("SKU Number", "sku")]),
    ("Processor Information", "processor", True,
     [("Socket Designation", "socket_destination"), ("Type", "type"), ("Family", "family"),
      ("Manufacturer", "manufacturer"), ("Signature", "signature"), ("Version", "version"),
      ("External Clock", "external_clock"), ("Max Speed", "max_speed"), ("Status", "status"),
      ("Serial Number", "serial_number"), ("Part Number", "part_number")]),
    ("Memory Device", "memory_device", True,
     [("Size", "size"), ("Form Factor", "form_factor"), ("Locator", "locator"), ("Bank Locator", "bank_locator"),
      ("Type", "type"), ("Type Detail", "type_detail"), ("Speed", "speed"), ("Manufacturer", "manufacturer"),
      ("Serial Number", "serial_number"), ("Part Number", "part_number")]),
)


def dmidecode_sysinfo(dump):
    """What libvirt's host <sysinfo> holds for @dump, from dmidecode's text,
    as [(element, [(entry name, value)])]."""
    text = subprocess.run([DMIDECODE, "--from-dump", dump, "-q", "-t", "0,1,2,3,4,11,17"], capture_output=True,
                          text=True, check=True).stdout
    blocks = {}
    for block in text.split("\n\n"):
        lines = block.strip("\n").split("\n")
        fields = {}
        for line in lines[1:]:
            if line.startswith("\t") and not line.startswith("\t\t") and ": " in line:
                key, value = line[1:].split(": ", 1)
                fields.setdefault(key, value)
        blocks.setdefault(lines[0], []).append(fields)
    out = []
    for title, element, every, mapping in SECTIONS:
        for fields in blocks.get(title, [])[:None if every else 1]:
            if fields.get("Size") == "No Module Installed":
                continue
            entries = [(name, fields[key].rstrip()) for key, name in mapping if fields.get(key, "").strip()]
            if entries:
                out.append((element, entries))
    oem = [f for f in blocks.get("OEM Strings", [])]
    if oem:
        out.append(("oemStrings", [(None, v) for f in oem for k, v in sorted(f.items(), key=lambda kv: int(
            kv[0].split()[1]))]))
    return out


def sysinfo_of(xml):
    root = ET.fromstring(xml)
    assert root.tag == "sysinfo" and root.attrib == {"type": "smbios"}
    return [(child.tag, [(e.get("name"), e.text) for e in child]) for child in root]


@pytest.mark.parametrize("table", ["sample", "edge"])
def test_sysinfo_matches_dmidecode(virtbus_with_env, anchor, tmp_root, table):
    """libvirt reads the same from dmidecode (its session daemon, the only
    one a test may run, never reads SMBIOS: it says so)."""
    t = getattr(smbios, table)()
    host = os.path.join(tmp_root, "host")
    t.write_sysfs(host)
    dump = os.path.join(tmp_root, "dmi.bin")
    t.write_dump(dump)
    vb = virtbus_with_env({"VIRTBUS_HOST_ROOT": host}, "qemu")

    mine = ours(vb, "GetSysinfo", "u", 0)[0]
    assert sysinfo_of(mine) == dmidecode_sysinfo(dump), mine
    # The processors and memory devices the table has (the empty slot none).
    root = ET.fromstring(mine)
    assert len(root.findall("processor")) == sum(1 for s in t.structs if s[0] == 4)
    assert len(root.findall("memory_device")) == sum(1 for s in t.structs if s[0] == 17 and s[0x0C:0x0E] != b"\0\0")
    assert "flags" in error_of(ours, vb, "GetSysinfo", "u", 1)
    # virtbusctl shows it.
    assert virtbusctl(vb, "-c", "qemu:///session", "sysinfo").strip() == mine.strip()
    if table == "sample":
        assert "not available" in error_of(anchor().call, "GetSysinfo", "u", 0)


def test_sysinfo_cut_short_table(virtbus_with_env, tmp_root):
    """A table that ends inside a structure: what is whole is shown."""
    t = smbios.sample()
    host = os.path.join(tmp_root, "host")
    t.write_sysfs(host)
    path = os.path.join(host, "sys/firmware/dmi/tables/DMI")
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:len(data) * 2 // 3])
    vb = virtbus_with_env({"VIRTBUS_HOST_ROOT": host}, "qemu")
    root = ET.fromstring(ours(vb, "GetSysinfo", "u", 0)[0])
    assert root.find("bios/entry[@name='vendor']").text == "LENOVO"
    assert len(root.findall("memory_device")) < 2


def fake_host(root, ksm=True, merge=True):
    """A host tree: 4 CPUs present (1 offline), 2 NUMA nodes, /proc/stat
    and meminfo of known values, the KSM tunables."""
    def put(rel, text):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    put("sys/devices/system/cpu/present", "0-3\n")
    put("sys/devices/system/cpu/online", "0,2-3\n")
    put("proc/stat", "cpu  100 20 300 4000 50 6 7 0 0 0\ncpu0 10 2 30 400 5 1 1 0 0 0\n"
                     "cpu2 11 3 31 401 6 2 2 0 0 0\ncpu3 12 4 32 402 7 3 3 0 0 0\nintr 1\n")
    put("proc/meminfo", "MemTotal:       16000000 kB\nMemFree:         9000000 kB\nMemAvailable:   12000000 kB\n"
                        "Buffers:           11111 kB\nCached:           222222 kB\n")
    put("sys/devices/system/node/node0/meminfo", "Node 0 MemTotal:  8000000 kB\nNode 0 MemFree:   5000000 kB\n"
                                                 "Node 0 MemUsed:   3000000 kB\n")
    put("sys/devices/system/node/node1/meminfo", "Node 1 MemTotal:  7900000 kB\nNode 1 MemFree:   3900000 kB\n")
    if ksm:
        values = {"pages_to_scan": 100, "sleep_millisecs": 20, "pages_shared": 5, "pages_sharing": 6,
                  "pages_unshared": 7, "pages_volatile": 8, "full_scans": 9, "run": 0}
        if merge:
            values["merge_across_nodes"] = 1
        for name, v in values.items():
            put("sys/kernel/mm/ksm/" + name, "%d\n" % v)


def test_host_queries_on_a_host_of_our_own(virtbus_with_env, tmp_root):
    host = os.path.join(tmp_root, "host")
    fake_host(host)
    vb = virtbus_with_env({"VIRTBUS_HOST_ROOT": host}, "qemu")
    tick = 10 ** 9 // os.sysconf("SC_CLK_TCK")

    assert ours(vb, "NodeGetCPUMap", "u", 0) == ([True, False, True, True],)
    # kernel = system + irq + softirq, user = user + nice
    assert ours(vb, "NodeGetCPUStats", "iu", -1, 0)[0] == {
        "kernel": (300 + 6 + 7) * tick, "user": 120 * tick, "idle": 4000 * tick, "iowait": 50 * tick}
    assert ours(vb, "NodeGetCPUStats", "iu", 2, 0)[0]["user"] == 14 * tick
    assert "no such online CPU" in error_of(ours, vb, "NodeGetCPUStats", "iu", 1, 0)
    assert ours(vb, "NodeGetMemoryStats", "iu", -1, 0)[0] == {
        "total": 16000000, "free": 9000000, "buffers": 11111, "cached": 222222}
    assert ours(vb, "NodeGetMemoryStats", "iu", 1, 0)[0] == {"total": 7900000, "free": 3900000}
    assert "cells 0 to 1" in error_of(ours, vb, "NodeGetMemoryStats", "iu", 2, 0)
    # Free memory: the sum over the NUMA nodes, as libvirt counts it.
    assert ours(vb, "NodeGetFreeMemory") == ((5000000 + 3900000) * 1024,)
    assert ours(vb, "NodeGetMemoryParameters", "u", 0)[0] == {
        "shm_pages_to_scan": 100, "shm_sleep_millisecs": 20, "shm_pages_shared": 5, "shm_pages_sharing": 6,
        "shm_pages_unshared": 7, "shm_pages_volatile": 8, "shm_full_scans": 9, "shm_merge_across_nodes": 1}
    # The typed values are those libvirt sends.
    reply = vb.connection.call_sync(BUS_NAME, QEMU_PATH, CONNECT, "NodeGetMemoryParameters",
                                    GLib.Variant("(u)", (0,)), None, 0, 5000, None)
    types = {k: reply.get_child_value(0).lookup_value(k, None).get_type_string()
             for k in reply.unpack()[0]}
    assert types["shm_pages_to_scan"] == "u" and types["shm_full_scans"] == "t"


def ksm(host, name):
    with open(os.path.join(host, "sys/kernel/mm/ksm", name)) as f:
        return int(f.read())


def set_params(vb, params):
    ours(vb, "NodeSetMemoryParameters", "a{sv}u", params, 0)


def test_set_memory_parameters(virtbus_with_env, tmp_root):
    host = os.path.join(tmp_root, "host")
    fake_host(host)
    vb = virtbus_with_env({"VIRTBUS_HOST_ROOT": host}, "qemu")

    set_params(vb, {"shm_pages_to_scan": GLib.Variant("u", 250), "shm_sleep_millisecs": GLib.Variant("u", 50)})
    assert (ksm(host, "pages_to_scan"), ksm(host, "sleep_millisecs")) == (250, 50)
    got = ours(vb, "NodeGetMemoryParameters", "u", 0)[0]
    assert (got["shm_pages_to_scan"], got["shm_sleep_millisecs"]) == (250, 50)
    # Refused as a whole, nothing written.
    for params, what in (({"shm_pages_to_scan": GLib.Variant("u", 1), "shm_full_scans": GLib.Variant("t", 0)},
                          "read-only"),
                         ({"shm_pages_to_scan": GLib.Variant("u", 1), "shm_bogus": GLib.Variant("u", 0)},
                          "unknown memory parameter"),
                         ({"shm_pages_to_scan": GLib.Variant("t", 1)}, "must be of type 'u'"),
                         ({"shm_pages_to_scan": GLib.Variant("s", "1")}, "must be of type 'u'")):
        assert what in error_of(set_params, vb, params)
        assert ksm(host, "pages_to_scan") == 250
    assert "flags" in error_of(ours, vb, "NodeSetMemoryParameters", "a{sv}u", {}, 4)
    virtbusctl(vb, "-c", "qemu:///session", "node-memory-tune", "--shm-sleep-millisecs", "70")
    assert ksm(host, "sleep_millisecs") == 70
    assert "shm_full_scans:" in virtbusctl(vb, "-c", "qemu:///session", "node-memory-tune")
    # A write the kernel refuses: what was already written goes back.
    merge = os.path.join(host, "sys/kernel/mm/ksm/merge_across_nodes")
    os.unlink(merge)
    os.mkdir(merge)
    try:
        msg = error_of(set_params, vb, {"shm_pages_to_scan": GLib.Variant("u", 400),
                                        "shm_merge_across_nodes": GLib.Variant("u", 0)})
    finally:
        os.rmdir(merge)
    assert "merge_across_nodes" in msg or "shm_merge_across_nodes" in msg
    assert ksm(host, "pages_to_scan") == 250


def test_memory_parameters_without_ksm(virtbus_with_env, tmp_root):
    host = os.path.join(tmp_root, "host")
    fake_host(host, ksm=False)
    vb = virtbus_with_env({"VIRTBUS_HOST_ROOT": host}, "qemu")
    assert "kernel same-page merging" in error_of(ours, vb, "NodeGetMemoryParameters", "u", 0)
    assert "kernel same-page merging" in error_of(set_params, vb, {"shm_pages_to_scan": GLib.Variant("u", 1)})
    assert "SMBIOS information is not available" in error_of(ours, vb, "GetSysinfo", "u", 0)


def test_memory_parameters_without_numa_merging(virtbus_with_env, tmp_root):
    host = os.path.join(tmp_root, "host")
    fake_host(host, merge=False)
    vb = virtbus_with_env({"VIRTBUS_HOST_ROOT": host}, "qemu")
    assert "shm_merge_across_nodes" not in ours(vb, "NodeGetMemoryParameters", "u", 0)[0]
    assert "has no shm_merge_across_nodes" in error_of(
        set_params, vb, {"shm_merge_across_nodes": GLib.Variant("u", 0)})


GUEST_SYSINFO = """<sysinfo type='smbios'>
    <bios><entry name='vendor'>Acme, Inc.</entry><entry name='date'>01/31/2024</entry>
      <entry name='release'>1.7</entry></bios>
    <system><entry name='manufacturer'>OpenStack Foundation</entry><entry name='product'>OpenStack Nova</entry>
      <entry name='serial'>serial, with a comma</entry><entry name='family'>Virtual Machine</entry></system>
    <baseBoard><entry name='manufacturer'>Board Maker</entry><entry name='asset'>tag 42</entry></baseBoard>
    <chassis><entry name='manufacturer'>Chassis Maker</entry><entry name='sku'>rack-1</entry></chassis>
    <oemStrings><entry>io.systemd.credential:greeting=hello</entry></oemStrings>
  </sysinfo>
  <sysinfo type='fwcfg'>
    <entry name='opt/com.example/name'>example, value</entry>
    <entry name='opt/com.example/file' file='%s'/>
  </sysinfo>
  <os>"""

# What the guest's kernel shows of its SMBIOS tables.
DMI_FIELDS = ("bios_vendor", "bios_date", "bios_release", "sys_vendor", "product_name", "product_serial",
              "product_family", "product_uuid", "board_vendor", "board_asset_tag", "chassis_vendor")


def guest_dmi(con):
    status, out = con.run("for f in %s; do echo \"$f=$(cat /sys/class/dmi/id/$f 2>/dev/null)\"; done"
                          % " ".join(DMI_FIELDS), timeout=30)
    assert status == 0, out
    pairs = (line.strip().split("=", 1) for line in out.splitlines() if "=" in line)
    return {k: v for k, v in pairs if k in DMI_FIELDS}  # not the echoed command


@pytest.mark.skipif(__import__("guest").missing_requirements() is not None,
                    reason=str(__import__("guest").missing_requirements()))
def test_guests_see_their_sysinfo_or_the_hosts(virtbus_with_env, tmp_root):
    """<smbios mode='sysinfo'>: the guest's firmware tables hold the
    domain's <sysinfo type='smbios'>, and its fw_cfg the <sysinfo
    type='fwcfg'> entries; mode='host': the host's own (its UUID not: the
    guest keeps the domain's); mode='emulate' or none: QEMU's. A host
    without SMBIOS tables stops a mode='host' start with a clear error."""
    from test_qemu_lifecycle import Qemu, qemu_pids, wait_gone

    host = os.path.join(tmp_root, "host")
    smbios.sample().write_sysfs(host)
    blob = os.path.join(tmp_root, "blob.txt")
    with open(blob, "w") as f:
        f.write("from a file\n")
    vb = virtbus_with_env({"VIRTBUS_HOST_ROOT": host}, "qemu")
    q = Qemu(vb, vb.root_prefix)
    try:
        check_sysinfo_guests(vb, q, host, blob)
    finally:
        # A failed check leaves no guest behind (virtbusd is stopped after).
        leftovers = qemu_pids(vb.root_prefix)
        for pid in leftovers:
            os.kill(pid, signal.SIGKILL)
        wait_gone(leftovers)


def check_sysinfo_guests(vb, q, host, blob):
    import guest
    from test_qemu_lifecycle import BOOT_TIMEOUT, wait_gone

    def boot(name, os_xml, smbios_mode):
        uuid = str(uuidlib.uuid4())
        xml = guest.domain_xml(name, uuid=uuid).replace("<os>", os_xml, 1)
        if smbios_mode:
            xml = xml.replace("</os>", "<smbios mode='%s'/></os>" % smbios_mode, 1)
        path = q.connect("DomainDefineXML", "s", xml)
        q.start(path)
        con = q.console(path)
        con.wait_ready(BOOT_TIMEOUT)
        return path, con, uuid

    def destroy(path, name):
        pid = q.pid(name)
        q.dom(path, "Destroy", "u", 0)
        wait_gone([pid])

    # The domain's own.
    path, con, uuid = boot("own", GUEST_SYSINFO % blob, "sysinfo")
    dmi = guest_dmi(con)
    assert dmi == {"bios_vendor": "Acme, Inc.", "bios_date": "01/31/2024", "bios_release": "1.7",
                   "sys_vendor": "OpenStack Foundation", "product_name": "OpenStack Nova",
                   "product_serial": "serial, with a comma", "product_family": "Virtual Machine",
                   "product_uuid": uuid, "board_vendor": "Board Maker", "board_asset_tag": "tag 42",
                   "chassis_vendor": "Chassis Maker"}, dmi
    status, out = con.run("cat /sys/firmware/qemu_fw_cfg/by_name/opt/com.example/name/raw; echo; "
                          "cat /sys/firmware/qemu_fw_cfg/by_name/opt/com.example/file/raw")
    assert status == 0 and out.splitlines() == ["example, value", "from a file"], out
    # The OEM strings (type 11) are in the guest's table.
    status, out = con.run("cat /sys/firmware/dmi/entries/11-0/raw | tr '\\0' '\\n'")
    assert status == 0 and "io.systemd.credential:greeting=hello" in out, out
    live = ET.fromstring(q.dom(path, "GetXMLDesc", "u", 0)[0])
    assert live.find("sysinfo[@type='smbios']/system/entry[@name='product']").text == "OpenStack Nova"
    assert live.find("os/smbios").get("mode") == "sysinfo"
    con.close()
    destroy(path, "own")

    # The host's, the domain's UUID kept.
    path, con, uuid = boot("hosts", "<os>", "host")
    dmi = guest_dmi(con)
    assert (dmi["bios_vendor"], dmi["bios_date"], dmi["sys_vendor"], dmi["product_name"], dmi["product_family"],
            dmi["board_vendor"], dmi["chassis_vendor"]) == (
        "LENOVO", "05/07/2014", "Lenovo", "20BE0061MC", "ThinkPad T440p", "LENOVO", "LENOVO"), dmi
    assert dmi["product_uuid"] == uuid
    con.close()
    destroy(path, "hosts")

    # QEMU's own, with mode='emulate' as without <smbios>.
    for name, mode in (("emul", "emulate"), ("plain", None)):
        path, con, uuid = boot(name, "<os>", mode)
        dmi = guest_dmi(con)
        assert dmi["sys_vendor"] == "QEMU" and dmi["product_uuid"] == uuid, dmi
        con.close()
        destroy(path, name)

    # No SMBIOS on the host: mode='host' cannot start, and says why.
    os.unlink(os.path.join(host, "sys/firmware/dmi/tables/DMI"))
    path = q.connect("DomainLookupByName", "s", "hosts")
    name, message = vb.error(path, "org.libvirt.Domain", "Create", "u", 0)
    assert name == "org.libvirt.Error"
    assert ("domain 'hosts' asks for the host's SMBIOS information (<smbios mode='host'>): the host's SMBIOS "
            "information is not available" in message), message
    assert q.state(path)[0] == 5 and q.runtime_leftovers() == []
    # A fw_cfg file that went away: refused before QEMU runs.
    os.unlink(blob)
    path = q.connect("DomainLookupByName", "s", "own")
    assert "fw_cfg entry 'opt/com.example/file': file %s does not exist" % blob in vb.error(
        path, "org.libvirt.Domain", "Create", "u", 0)[1]
