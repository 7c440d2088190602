"""QEMU backend statistics with the real test guest: GetStats and
Connect.GetAllDomainStats (typed values that move while the guest works),
MemoryStats with a guest-reported period, GetVcpus, GetControlInfo,
GetDiskErrors, vCPU/emulator pinning, and their error paths."""
import os
import time
import xml.etree.ElementTree as ET

import pytest
from gi.repository import Gio, GLib

import guest
from test_qemu_lifecycle import BOOT_TIMEOUT, CONNECT, DOMAIN, QEMU_PATH, drain, qemu  # noqa: F401

pytestmark = pytest.mark.skipif(guest.missing_requirements() is not None,
                                reason=str(guest.missing_requirements()))

# virDomainStatsTypes
ST_STATE, ST_CPU, ST_BALLOON, ST_VCPU, ST_NET, ST_BLOCK, ST_PERF = 1, 2, 4, 8, 16, 32, 64
# virConnectGetAllDomainStatsFlags
GS_ACTIVE, GS_INACTIVE, GS_PERSISTENT, GS_TRANSIENT = 1, 2, 4, 8
GS_RUNNING, GS_PAUSED, GS_SHUTOFF, GS_OTHER = 16, 32, 64, 128
GS_ENFORCE = 1 << 31
# virDomainMemoryStatTags
M_SWAP_IN, M_UNUSED, M_AVAILABLE, M_ACTUAL, M_RSS, M_LAST_UPDATE = 0, 4, 5, 6, 7, 9
AFFECT_LIVE, AFFECT_CONFIG, VCPU_MAXIMUM = 1, 2, 4

DISK_SIZE = 8 * 1024 * 1024


def disk_xml(path, dev="vda"):
    return f"""    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{path}'/>
      <target dev='{dev}' bus='virtio'/>
    </disk>
    <interface type='user'>
      <model type='virtio'/>
    </interface>
"""


def make_disk(qemu, name):
    path = os.path.join(qemu.root, name + ".img")
    with open(path, "wb") as f:
        f.truncate(DISK_SIZE)
    return path


def raw_call(qemu, path, interface, method, signature, *args):
    """The reply's GVariant itself, so the types of a{sv} values can be checked."""
    reply = qemu.vb.connection.call_sync("org.libvirt", path, interface, method,
                                         GLib.Variant("(%s)" % signature, tuple(args)), None,
                                         Gio.DBusCallFlags.NONE, 30000, None)
    return reply.get_child_value(0)


def typed(variant):
    """a{sv} → {key: (type string, value)}"""
    out = {}
    for i in range(variant.n_children()):
        entry = variant.get_child_value(i)
        key = entry.get_child_value(0).get_string()
        value = entry.get_child_value(1).get_variant()
        out[key] = (value.get_type_string(), value.unpack())
    return out


def stats(qemu, path, groups=0, flags=0):
    return typed(raw_call(qemu, path, DOMAIN, "GetStats", "uu", groups, flags))


def all_stats(qemu, groups=0, flags=0):
    records = raw_call(qemu, QEMU_PATH, CONNECT, "GetAllDomainStats", "uu", groups, flags)
    out = {}
    for i in range(records.n_children()):
        rec = records.get_child_value(i)
        out[rec.get_child_value(0).get_string()] = typed(rec.get_child_value(1))
    return out


def wait_for(predicate, con, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting for " + what
        drain(con, 0.2)


def test_get_stats_of_a_running_guest(qemu):
    img = make_disk(qemu, "stats1")
    path = qemu.define("stats1", memory_mib=128, vcpus=1, balloon=True, extra_devices=disk_xml(img))
    qemu.start(path)
    con = qemu.console(path)
    con.wait_ready(BOOT_TIMEOUT)

    s1 = stats(qemu, path)
    assert s1["state.state"] == ("i", 1) and s1["state.reason"] == ("i", 1)
    for key in ("cpu.time", "cpu.user", "cpu.system"):
        assert s1[key][0] == "t", key
    assert s1["cpu.time"][1] > 0
    # the balloon holds what the guest was given
    assert s1["balloon.current"] == ("t", 128 * 1024)
    assert s1["balloon.maximum"] == ("t", 128 * 1024)
    assert s1["balloon.rss"][0] == "t" and s1["balloon.rss"][1] > 1024
    assert s1["vcpu.current"] == ("u", 1) and s1["vcpu.maximum"] == ("u", 1)
    assert s1["vcpu.0.state"] == ("i", 1)
    assert s1["vcpu.0.time"][0] == "t" and s1["vcpu.0.time"][1] > 0
    assert s1["vcpu.0.wait"][0] == "t"
    assert "vcpu.1.state" not in s1
    assert s1["net.count"] == ("u", 1)
    assert s1["net.0.name"] == ("s", "net0")
    assert s1["block.count"] == ("u", 1)
    assert s1["block.0.name"] == ("s", "vda")
    assert s1["block.0.path"] == ("s", img)
    assert s1["block.0.capacity"] == ("t", DISK_SIZE)
    assert s1["block.0.physical"] == ("t", DISK_SIZE)
    for key in ("rd.reqs", "rd.bytes", "rd.times", "wr.reqs", "wr.bytes", "wr.times", "fl.reqs", "fl.times",
                "allocation"):
        assert s1["block.0." + key][0] == "t", key
    assert not any(k.startswith("perf.") for k in s1)

    # The guest reads its disk: the read counters move by what it read.
    status, out = con.run("dd if=/dev/vda of=/dev/null bs=65536 count=64 2>&1", timeout=60)
    assert status == 0, out
    # ... and burns CPU: the CPU times grow.
    status, out = con.run("i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; echo $i", timeout=120)
    assert status == 0 and out.strip().endswith("30000"), out
    s2 = stats(qemu, path)
    assert s2["block.0.rd.bytes"][1] >= s1["block.0.rd.bytes"][1] + 64 * 65536
    assert s2["block.0.rd.reqs"][1] > s1["block.0.rd.reqs"][1]
    assert s2["cpu.time"][1] > s1["cpu.time"][1] + 10 ** 8
    assert s2["vcpu.0.time"][1] > s1["vcpu.0.time"][1] + 10 ** 8

    # One group, only its keys.
    only_state = stats(qemu, path, ST_STATE)
    assert set(only_state) == {"state.state", "state.reason"}
    only_vcpu = stats(qemu, path, ST_VCPU)
    assert all(k.startswith("vcpu.") for k in only_vcpu) and "vcpu.0.time" in only_vcpu
    # Perf counters are not supported: ignored, unless enforced.
    assert set(stats(qemu, path, ST_PERF | ST_STATE)) == {"state.state", "state.reason"}
    name, msg = qemu.vb.error(path, DOMAIN, "GetStats", "uu", ST_PERF, GS_ENFORCE)
    assert name == "org.libvirt.Error" and "0x40" in msg and "not supported" in msg
    # State filters belong to GetAllDomainStats.
    name, msg = qemu.vb.error(path, DOMAIN, "GetStats", "uu", 0, GS_RUNNING)
    assert name == "org.libvirt.Error"

    # Paused: the state says so, the rest is still there.
    qemu.dom(path, "Suspend")
    s3 = stats(qemu, path, ST_STATE | ST_CPU)
    assert s3["state.state"] == ("i", 3) and s3["state.reason"] == ("i", 1)
    assert s3["cpu.time"][0] == "t"
    qemu.dom(path, "Resume")

    con.close()
    qemu.dom(path, "Destroy", "u", 0)
    # Shut off: what the definition says.
    s4 = stats(qemu, path)
    assert s4["state.state"] == ("i", 5)
    assert "cpu.time" not in s4 and "vcpu.0.time" not in s4
    assert s4["balloon.current"] == ("t", 128 * 1024)
    assert s4["vcpu.current"] == ("u", 1)
    assert s4["block.count"] == ("u", 1) and s4["block.0.name"] == ("s", "vda")
    assert s4["block.0.capacity"] == ("t", DISK_SIZE)
    assert "block.0.rd.bytes" not in s4
    assert s4["net.count"] == ("u", 1)


def test_memory_stats_vcpus_control_info_pinning(qemu):
    img = make_disk(qemu, "mem1")
    path = qemu.define("mem1", memory_mib=192, current_memory_mib=160, vcpus=1, balloon=True,
                       extra_devices=disk_xml(img))
    qemu.start(path)
    con = qemu.console(path)
    con.wait_ready(BOOT_TIMEOUT)

    # No period yet: the balloon size and QEMU's RSS, nothing from the guest.
    ms = qemu.dom(path, "MemoryStats", "u", 0)[0]
    assert M_ACTUAL in ms and M_RSS in ms and ms[M_RSS] > 1024
    assert M_UNUSED not in ms and M_LAST_UPDATE not in ms
    # The start shrinks the balloon to <currentMemory>.
    wait_for(lambda: qemu.dom(path, "MemoryStats", "u", 0)[0][M_ACTUAL] == 160 * 1024, con,
             what="the balloon at 160 MiB")
    assert stats(qemu, path, ST_BALLOON)["balloon.current"] == ("t", 160 * 1024)

    # With a period the guest reports its own view.
    name, msg = qemu.vb.error(path, DOMAIN, "SetMemoryStatsPeriod", "iu", -1, AFFECT_LIVE)
    assert name == "org.libvirt.Error" and "negative" in msg
    qemu.dom(path, "SetMemoryStatsPeriod", "iu", 1, AFFECT_LIVE)
    ms = wait_for(lambda: (lambda m: m if M_LAST_UPDATE in m else None)(qemu.dom(path, "MemoryStats", "u", 0)[0]),
                  con, what="guest memory statistics")
    assert 0 < ms[M_UNUSED] <= ms[M_AVAILABLE] <= 192 * 1024
    assert ms[M_SWAP_IN] == 0
    assert abs(ms[M_LAST_UPDATE] - time.time()) < 120
    bs = stats(qemu, path, ST_BALLOON)
    assert bs["balloon.unused"][0] == "t" and bs["balloon.available"][0] == "t"
    assert bs["balloon.last-update"][0] == "t"
    # the live XML carries the period; the persistent one does not
    assert "<stats period='1'/>" in qemu.dom(path, "GetXMLDesc", "u", 0)[0]
    assert "<stats period" not in qemu.dom(path, "GetXMLDesc", "u", 2)[0]
    qemu.dom(path, "SetMemoryStatsPeriod", "iu", 5, AFFECT_CONFIG)
    assert "<stats period='5'/>" in qemu.dom(path, "GetXMLDesc", "u", 2)[0]
    with open(os.path.join(qemu.config_dir, "mem1.xml")) as f:
        assert "<stats period='5'/>" in f.read()

    # GetVcpus is virDomainGetVcpusFlags: a count.
    assert qemu.dom(path, "GetVcpus", "u", 0)[0] == 1
    assert qemu.dom(path, "GetVcpus", "u", AFFECT_LIVE | VCPU_MAXIMUM)[0] == 1
    assert qemu.dom(path, "GetVcpus", "u", AFFECT_CONFIG)[0] == 1
    name, _ = qemu.vb.error(path, DOMAIN, "GetVcpus", "u", AFFECT_LIVE | AFFECT_CONFIG)
    assert name == "org.libvirt.Error"

    # The monitor is connected and idle.
    assert tuple(qemu.dom(path, "GetControlInfo", "u", 0)[0]) == (0, 0, 0)
    assert qemu.dom(path, "GetDiskErrors", "u", 0)[0] == []

    # Pinning the running vCPU thread and the emulator threads.
    ncpu = os.cpu_count()
    info = qemu.dom(path, "GetVcpuPinInfo", "u", 0)[0]
    assert len(info) == 1 and len(info[0]) == ncpu
    qemu.dom(path, "PinVcpu", "uabu", 0, [True] + [False] * (ncpu - 1), AFFECT_LIVE)
    assert qemu.dom(path, "GetVcpuPinInfo", "u", 0)[0] == [[True] + [False] * (ncpu - 1)]
    qemu.dom(path, "PinEmulator", "abu", [True] * ncpu, AFFECT_LIVE)
    assert qemu.dom(path, "GetEmulatorPinInfo", "u", 0)[0] == [True] * ncpu
    # the vCPU kept its own pinning
    assert qemu.dom(path, "GetVcpuPinInfo", "u", 0)[0] == [[True] + [False] * (ncpu - 1)]
    name, msg = qemu.vb.error(path, DOMAIN, "PinVcpu", "uabu", 0, [False] * ncpu, 0)
    assert name == "org.libvirt.Error" and "no cpu" in msg
    name, msg = qemu.vb.error(path, DOMAIN, "PinVcpu", "uabu", 3, [True] * ncpu, 0)
    assert name == "org.libvirt.Error" and "out of range" in msg
    name, msg = qemu.vb.error(path, DOMAIN, "PinVcpu", "uabu", 0, [True] * ncpu, AFFECT_CONFIG)
    assert name == "org.libvirt.Error" and "not supported" in msg
    # the guest still runs
    con.echo("still-alive", timeout=60)

    con.close()
    qemu.dom(path, "Destroy", "u", 0)


def test_all_domain_stats_and_filters(qemu):
    img = make_disk(qemu, "run1")
    run1 = qemu.define("run1", balloon=True, extra_devices=disk_xml(img))
    off1 = qemu.define("off1", memory_mib=64)
    # A period in the definition is applied when the guest starts.
    qemu.dom(run1, "SetMemoryStatsPeriod", "iu", 1, AFFECT_CONFIG)
    qemu.start(run1)
    con = qemu.console(run1)
    con.wait_ready(BOOT_TIMEOUT)
    assert "<stats period='1'/>" in qemu.dom(run1, "GetXMLDesc", "u", 0)[0]
    wait_for(lambda: "balloon.unused" in all_stats(qemu, ST_BALLOON, GS_RUNNING)["run1"], con,
             what="guest memory statistics of run1")

    every = all_stats(qemu)
    assert set(every) == {"run1", "off1"}
    assert every["run1"]["state.state"] == ("i", 1)
    assert every["run1"]["cpu.time"][1] > 0 and every["run1"]["block.0.rd.reqs"][0] == "t"
    assert every["off1"]["state.state"] == ("i", 5)
    assert every["off1"]["balloon.current"] == ("t", 64 * 1024)
    assert "cpu.time" not in every["off1"]

    assert set(all_stats(qemu, 0, GS_RUNNING)) == {"run1"}
    assert set(all_stats(qemu, 0, GS_SHUTOFF)) == {"off1"}
    assert set(all_stats(qemu, 0, GS_RUNNING | GS_SHUTOFF)) == {"run1", "off1"}
    assert set(all_stats(qemu, 0, GS_PAUSED)) == set()
    assert set(all_stats(qemu, 0, GS_ACTIVE)) == {"run1"}
    assert set(all_stats(qemu, 0, GS_INACTIVE)) == {"off1"}
    assert set(all_stats(qemu, 0, GS_PERSISTENT)) == {"run1", "off1"}
    assert set(all_stats(qemu, 0, GS_TRANSIENT)) == set()
    only_state = all_stats(qemu, ST_STATE, GS_RUNNING)
    assert only_state == {"run1": {"state.state": ("i", 1), "state.reason": ("i", 1)}}
    name, msg = qemu.vb.error(QEMU_PATH, CONNECT, "GetAllDomainStats", "uu", ST_PERF | ST_STATE, GS_ENFORCE)
    assert name == "org.libvirt.Error" and "not supported" in msg
    name, _ = qemu.vb.error(QEMU_PATH, CONNECT, "GetAllDomainStats", "uu", 0, 1 << 20)
    assert name == "org.libvirt.Error"

    # Paused domains are found by the PAUSED filter.
    qemu.dom(run1, "Suspend")
    assert set(all_stats(qemu, ST_STATE, GS_PAUSED)) == {"run1"}
    qemu.dom(run1, "Resume")
    con.close()
    qemu.dom(run1, "Destroy", "u", 0)
    assert set(all_stats(qemu, ST_STATE, GS_ACTIVE)) == set()


def test_iothreads_info_and_pinning(qemu):
    ncpu = os.cpu_count()
    everywhere = [True] * ncpu
    first = [True] + [False] * (ncpu - 1)
    xml = guest.domain_xml("io1").replace("<vcpu>", "<iothreads>2</iothreads>\n  <vcpu>", 1)
    path = qemu.connect("DomainDefineXML", "s", xml)
    # Not running: the configuration's IOThreads, unpinned.
    assert qemu.dom(path, "GetIOThreadInfo", "u", 0)[0] == [(1, everywhere), (2, everywhere)]
    name, msg = qemu.vb.error(path, DOMAIN, "PinIOThread", "uabu", 1, first, 0)
    assert name == "org.libvirt.Error" and "not supported" in msg
    qemu.start(path)
    # Running: QEMU's threads; pinning one leaves the other alone.
    assert qemu.dom(path, "GetIOThreadInfo", "u", 0)[0] == [(1, everywhere), (2, everywhere)]
    qemu.dom(path, "PinIOThread", "uabu", 2, first, AFFECT_LIVE)
    assert qemu.dom(path, "GetIOThreadInfo", "u", 0)[0] == [(1, everywhere), (2, first)]
    assert qemu.dom(path, "GetIOThreadInfo", "u", AFFECT_CONFIG)[0] == [(1, everywhere), (2, everywhere)]
    for iothread, cpumap, flags, words in ((3, first, 0, "has no IOThread 3"), (0, first, 0, "start at 1"),
                                          (1, [False] * ncpu, 0, "no cpu"), (1, first, AFFECT_CONFIG, "not supported")):
        name, msg = qemu.vb.error(path, DOMAIN, "PinIOThread", "uabu", iothread, cpumap, flags)
        assert name == "org.libvirt.Error" and words in msg, msg

    # AddIOThread/DelIOThread: QEMU's iothread objects come and go (its
    # query-iothreads is what GetIOThreadInfo shows), the definitions follow.
    def ids(flags):
        root = ET.fromstring(qemu.dom(path, "GetXMLDesc", "u", flags)[0])
        listed = [int(t.get("id")) for t in root.findall("iothreadids/iothread")]
        return int(root.findtext("iothreads", "0")), listed

    qemu.dom(path, "AddIOThread", "uu", 7, AFFECT_LIVE)
    assert qemu.dom(path, "GetIOThreadInfo", "u", 0)[0] == [(1, everywhere), (2, first), (7, everywhere)]
    assert ids(0) == (3, [1, 2, 7]) and ids(2) == (2, [])
    qemu.dom(path, "DelIOThread", "uu", 1, AFFECT_LIVE | AFFECT_CONFIG)
    assert qemu.dom(path, "GetIOThreadInfo", "u", 0)[0] == [(2, first), (7, everywhere)]
    assert ids(0) == (2, [2, 7]) and ids(2) == (1, [2])
    qemu.dom(path, "AddIOThread", "uu", 9, AFFECT_CONFIG)
    assert ids(0) == (2, [2, 7]) and ids(2) == (2, [2, 9])
    for method, iothread, flags, words in (("AddIOThread", 7, 0, "an IOThread with id 7 already exists"),
                                           ("AddIOThread", 0, 0, "start at 1"),
                                           ("AddIOThread", 2, AFFECT_LIVE | AFFECT_CONFIG, "id 2 already exists"),
                                           ("DelIOThread", 5, 0, "no IOThread with id 5"),
                                           ("DelIOThread", 7, AFFECT_CONFIG, "no IOThread with id 7"),
                                           ("AddIOThread", 3, 1 << 5, "unsupported flags")):
        name, msg = qemu.vb.error(path, DOMAIN, method, "uu", iothread, flags)
        assert name == "org.libvirt.Error" and words in msg, (method, msg)
    # The refusals changed nothing.
    assert ids(0) == (2, [2, 7]) and ids(2) == (2, [2, 9])
    assert qemu.dom(path, "GetIOThreadInfo", "u", 0)[0] == [(2, first), (7, everywhere)]
    qemu.dom(path, "Destroy", "u", 0)
    # The next run has the configuration's IOThreads, by their ids.
    assert qemu.dom(path, "GetIOThreadInfo", "u", 0)[0] == [(2, everywhere), (9, everywhere)]
    qemu.start(path)
    assert qemu.dom(path, "GetIOThreadInfo", "u", 0)[0] == [(2, everywhere), (9, everywhere)]
    with open("/proc/%d/cmdline" % qemu.pid("io1"), "rb") as f:
        argv = f.read().split(b"\0")
    assert b"iothread,id=iothread9" in argv and b"iothread,id=iothread1" not in argv
    qemu.dom(path, "DelIOThread", "uu", 9, 0)
    assert qemu.dom(path, "GetIOThreadInfo", "u", 0)[0] == [(2, everywhere)]
    qemu.dom(path, "Destroy", "u", 0)


def test_errors_of_a_stopped_domain(qemu):
    path = qemu.define("idle", balloon=True)
    for method, sig, args in (("MemoryStats", "u", (0,)), ("GetControlInfo", "u", (0,)),
                              ("GetDiskErrors", "u", (0,)), ("GetVcpus", "u", (AFFECT_LIVE,)),
                              ("SetMemoryStatsPeriod", "iu", (2, AFFECT_LIVE)),
                              ("PinVcpu", "uabu", (0, [True], AFFECT_LIVE))):
        name, msg = qemu.vb.error(path, DOMAIN, method, sig, *args)
        assert (name, msg) == ("org.libvirt.Error", "domain 'idle' is not running"), method
    # The configuration can be read and changed without QEMU.
    assert qemu.dom(path, "GetVcpus", "u", 0)[0] == 1
    assert qemu.dom(path, "GetVcpus", "u", VCPU_MAXIMUM)[0] == 1
    qemu.dom(path, "SetMemoryStatsPeriod", "iu", 3, 0)
    assert "<stats period='3'/>" in qemu.dom(path, "GetXMLDesc", "u", 0)[0]
    nob = qemu.define("noballoon")
    name, msg = qemu.vb.error(nob, DOMAIN, "SetMemoryStatsPeriod", "iu", 3, 0)
    assert name == "org.libvirt.Error" and "balloon" in msg
    name, _ = qemu.vb.error(path, DOMAIN, "MemoryStats", "u", 1)
    assert name == "org.libvirt.Error"
