"""Save/restore, managed save and jobs of the QEMU backend, with the real
test guest (tests/guest/) under TCG: the guest's memory survives a
save/restore (a marker written before is read back after, in the same
boot), events and states follow libvirt's codes, GetJobInfo/GetJobStats
report a save while it runs and AbortJob cancels it."""
import json
import os
import shutil
import stat
import struct
import time

import pytest
from gi.repository import Gio, GLib

import guest
from conftest import BUS_NAME
from test_qemu_lifecycle import (BOOT_TIMEOUT, CONNECT, DOMAIN, QEMU_PATH, TPM, drain, qemu,  # noqa: F401
                                 qemu_pids, swtpm_pids, tpm_state_files, wait_gone)

# virDomainEventType and details
EV_DEFINED, EV_UNDEFINED, EV_STARTED, EV_SUSPENDED, EV_RESUMED, EV_STOPPED = range(6)
STARTED_BOOTED, STARTED_RESTORED = 0, 2
SUSPENDED_PAUSED, SUSPENDED_RESTORED = 0, 4
RESUMED_UNPAUSED = 0
STOPPED_DESTROYED, STOPPED_SAVED = 1, 4
# virDomainState and reasons
RUNNING, PAUSED, SHUTOFF = 1, 3, 5
RUNNING_RESTORED, RUNNING_SAVE_CANCELED = 3, 7
PAUSED_USER, PAUSED_SAVE = 1, 3
SHUTOFF_SAVED = 5
SHUTOFF_CRASHED, STOPPED_CRASHED = 3, 2
# virDomainCoreDumpFlags
DUMP_CRASH, DUMP_LIVE, DUMP_BYPASS_CACHE, DUMP_RESET, DUMP_MEMORY_ONLY = 1, 2, 4, 8, 16
OP_DUMP = 8
# virDomainJobType / virDomainJobOperation
JOB_NONE, JOB_UNBOUNDED, JOB_COMPLETED, JOB_CANCELLED = 0, 2, 3, 5
OP_SAVE, OP_RESTORE = 2, 3
SAVE_RUNNING, SAVE_PAUSED = 2, 4
JOB_STATS_COMPLETED, JOB_STATS_KEEP_COMPLETED = 1, 2
UNDEFINE_MANAGED_SAVE = 1
START_FORCE_BOOT = 8

ERR = "org.libvirt.Error"
MAGIC = b"VirtbusSaveImage"

pytestmark = pytest.mark.skipif(guest.missing_requirements() is not None,
                                reason=str(guest.missing_requirements()))


def uptime(con):
    status, out = con.run("cat /proc/uptime")
    assert status == 0, out
    return float(out.strip().splitlines()[-1].split()[0])


def mark(con, text):
    # The initramfs root is in RAM: the file lives only in the guest's memory.
    status, out = con.run("echo %s > /marker && sync" % text)
    assert status == 0, out


def read_marker(con):
    status, out = con.run("cat /marker")
    assert status == 0, out
    return out.strip().splitlines()[-1]


def error(qemu, path, iface, method, sig="", *args, timeout=60000):
    with pytest.raises(GLib.Error) as info:
        qemu.vb.call(path, iface, method, sig, *args, timeout=timeout)
    name = Gio.DBusError.get_remote_error(info.value)
    msg = info.value.message.split(": ", 1)[-1] if info.value.message.startswith("GDBus.Error") else info.value.message
    return name, msg


def domain_names(qemu):
    return sorted(qemu.vb.properties(p, DOMAIN)["Name"]
                  for p in qemu.vb.call1(QEMU_PATH, CONNECT, "ListDomains", "u", 0))


def managed_path(qemu, name):
    return os.path.join(qemu.root, "data", "virtbus", "qemu", "save", name + ".save")


def job_completed(qemu, path):
    """The params of the first JobCompleted of @path recorded (not consumed)."""
    deadline = time.monotonic() + 30
    while True:
        qemu.vb.pump()
        found = [s[3][0] for s in qemu.vb.signals if s[2] == "JobCompleted" and s[0] == path]
        if found:
            return found[0]
        assert time.monotonic() < deadline, "no JobCompleted signal"
        time.sleep(0.01)


def test_save_and_restore_keep_the_guest_memory(qemu, tmp_path):
    vb = qemu.vb
    path, con = qemu.boot("sv1")
    mark(con, "before-save-42")
    up_before = uptime(con)
    image = str(tmp_path / "sv1.img")
    vb.clear_signals()

    qemu.dom(path, "Save", "ssu", image, "", 0, timeout=120000)
    # Paused for the save, then stopped as saved.
    assert qemu.events(path)[:2] == [(EV_SUSPENDED, SUSPENDED_PAUSED), (EV_STOPPED, STOPPED_SAVED)]
    assert qemu.state(path) == (SHUTOFF, SHUTOFF_SAVED)
    assert vb.properties(path, DOMAIN)["Active"] is False
    assert qemu_pids(qemu.root) == []
    params = job_completed(qemu, path)
    assert params["operation"] == OP_SAVE and params["success"] is True
    assert params["memory_total"] > 0 and params["memory_remaining"] == 0
    jtype, stats = qemu.dom(path, "GetJobStats", "u", JOB_STATS_COMPLETED | JOB_STATS_KEEP_COMPLETED)[0]
    assert jtype == JOB_COMPLETED and stats["operation"] == OP_SAVE and stats["data_processed"] > 0
    # Read once without KEEP_COMPLETED, then gone.
    assert qemu.dom(path, "GetJobStats", "u", JOB_STATS_COMPLETED)[0][0] == JOB_COMPLETED
    assert qemu.dom(path, "GetJobStats", "u", JOB_STATS_COMPLETED)[0] == (JOB_NONE, {})
    assert qemu.dom(path, "GetJobInfo")[0][0] == JOB_NONE
    with open(image, "rb") as f:
        head = f.read(64)
    assert head[:16] == MAGIC
    assert os.stat(image).st_size > 1024 * 1024
    # Saving what does not run is refused.
    name, msg = error(qemu, path, DOMAIN, "Save", "ssu", str(tmp_path / "x.img"), "", 0)
    assert name == ERR and "not running" in msg
    assert not os.path.exists(str(tmp_path / "x.img"))

    vb.clear_signals()
    vb.call(QEMU_PATH, CONNECT, "DomainRestore", "ssu", image, "", 0, timeout=120000)
    qemu.wait_event(path, EV_STARTED, STARTED_RESTORED)
    assert qemu.state(path) == (RUNNING, RUNNING_RESTORED)
    assert (EV_STARTED, STARTED_BOOTED) not in qemu.events(path)
    con.close()
    con = qemu.console(path)
    con.wait_ready(60)
    # Same boot: the marker is there and the clock went on.
    assert read_marker(con) == "before-save-42"
    assert uptime(con) >= up_before
    # The domain stayed the persistent one (same object, config kept).
    assert vb.properties(path, DOMAIN)["Persistent"] is True
    assert domain_names(qemu) == ["sv1"]
    # Restoring over a running domain is an error.
    name, msg = error(qemu, QEMU_PATH, CONNECT, "DomainRestore", "ssu", image, "", 0)
    assert name == ERR and "already active" in msg
    qemu.dom(path, "Destroy", "u", 0)
    con.close()


def test_save_paused_transient_restores_paused(qemu, tmp_path):
    vb = qemu.vb
    path = qemu.connect("DomainCreateXML", "su", guest.domain_xml("sv2"), 0, timeout=60000)
    con = qemu.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    mark(con, "paused-marker")
    qemu.dom(path, "Suspend")
    assert qemu.state(path) == (PAUSED, PAUSED_USER)
    image = str(tmp_path / "sv2.img")
    vb.clear_signals()
    qemu.dom(path, "Save", "ssu", image, "", 0, timeout=120000)
    qemu.wait_event(path, EV_STOPPED, STOPPED_SAVED)
    # A transient domain is gone once saved.
    assert domain_names(qemu) == []
    con.close()

    vb.clear_signals()
    vb.call(QEMU_PATH, CONNECT, "DomainRestore", "ssu", image, "", 0, timeout=120000)
    assert domain_names(qemu) == ["sv2"]
    path = vb.call1(QEMU_PATH, CONNECT, "DomainLookupByName", "s", "sv2")
    assert qemu.events(path) == [(EV_STARTED, STARTED_RESTORED), (EV_SUSPENDED, SUSPENDED_RESTORED)]
    assert qemu.state(path) == (PAUSED, PAUSED_SAVE)
    assert vb.properties(path, DOMAIN)["Persistent"] is False
    con = qemu.console(path)
    qemu.dom(path, "Resume")
    con.wait_ready(60)
    assert read_marker(con) == "paused-marker"

    # The RUNNING flag overrides the image's paused state.
    image2 = str(tmp_path / "sv2b.img")
    qemu.dom(path, "Suspend")
    qemu.dom(path, "Save", "ssu", image2, "", 0, timeout=120000)
    con.close()
    vb.clear_signals()
    vb.call(QEMU_PATH, CONNECT, "DomainRestore", "ssu", image2, "", SAVE_RUNNING, timeout=120000)
    path = vb.call1(QEMU_PATH, CONNECT, "DomainLookupByName", "s", "sv2")
    assert qemu.state(path) == (RUNNING, RUNNING_RESTORED)
    con = qemu.console(path)
    con.wait_ready(60)
    assert read_marker(con) == "paused-marker"
    qemu.dom(path, "Destroy", "u", 0)
    con.close()


def call_async(vb, path, iface, method, sig, *args, timeout=120000):
    """Starts a call; returns a dict that gets 'result' or 'error'."""
    out = {}

    def done(conn, res):
        try:
            out["result"] = conn.call_finish(res).unpack()
        except GLib.Error as e:
            out["error"] = e

    vb.connection.call(BUS_NAME, path, iface, method, GLib.Variant("(%s)" % sig, args), None,
                       Gio.DBusCallFlags.NONE, timeout, None, done)
    return out


def start_stuck_save(qemu, path, fifo):
    """Starts a Save into @fifo, which nobody reads: QEMU blocks writing;
    returns once the save is under way (call_async's dict)."""
    pending = call_async(qemu.vb, path, DOMAIN, "Save", "ssu", fifo, "", 0)
    deadline = time.monotonic() + 60
    while True:
        qemu.vb.pump()
        assert "error" not in pending, pending.get("error")
        info = qemu.dom(path, "GetJobInfo")[0]
        if info[0] == JOB_UNBOUNDED and info[6] > 0:
            break
        assert time.monotonic() < deadline, info
        time.sleep(0.05)
    assert qemu.state(path) == (PAUSED, PAUSED_SAVE)
    return pending


def test_job_progress_and_abort_of_a_save(qemu, tmp_path):
    vb = qemu.vb
    path, con = qemu.boot("sv3")
    mark(con, "still-here")
    assert qemu.dom(path, "GetJobInfo")[0][0] == JOB_NONE
    name, msg = error(qemu, path, DOMAIN, "AbortJob")
    assert name == ERR and "no job is active" in msg

    # A fifo nobody reads: QEMU blocks writing, the save stays underway.
    fifo = str(tmp_path / "slow.fifo")
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    vb.clear_signals()
    pending = start_stuck_save(qemu, path, fifo)
    jtype, stats = qemu.dom(path, "GetJobStats", "u", 0)[0]
    assert jtype == JOB_UNBOUNDED and stats["operation"] == OP_SAVE
    assert stats["memory_total"] > 0 and stats["memory_remaining"] > 0
    # One job at a time.
    name, msg = error(qemu, path, DOMAIN, "Save", "ssu", str(tmp_path / "other.img"), "", 0)
    assert name == ERR and "already running" in msg

    qemu.dom(path, "AbortJob")
    # Let QEMU's blocked write go on (its data are thrown away) until the save gives up.
    deadline = time.monotonic() + 60
    while "error" not in pending and "result" not in pending:
        assert time.monotonic() < deadline
        try:
            os.read(reader, 1 << 20)
        except BlockingIOError:
            pass
        vb.pump(0.01)
    os.close(reader)
    assert "error" in pending, pending
    assert Gio.DBusError.get_remote_error(pending["error"]) == ERR
    assert "cancelled" in pending["error"].message
    params = job_completed(qemu, path)
    assert params["success"] is False and params["operation"] == OP_SAVE and "cancelled" in params["errmsg"]
    # The guest runs on where it was, the fifo (not ours) stays.
    qemu.wait_event(path, EV_RESUMED, RESUMED_UNPAUSED, console=con)
    assert qemu.state(path) == (RUNNING, RUNNING_SAVE_CANCELED)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert read_marker(con) == "still-here"
    assert qemu.dom(path, "GetJobStats", "u", JOB_STATS_COMPLETED)[0][0] == JOB_CANCELLED
    assert qemu.dom(path, "GetJobInfo")[0][0] == JOB_NONE
    qemu.dom(path, "Destroy", "u", 0)
    con.close()


def test_save_cut_short_by_a_daemon_death_is_undone(qemu, tmp_path):
    vb = qemu.vb
    path, con = qemu.boot("sv9")
    mark(con, "survivor")
    con.close()
    fifo = str(tmp_path / "stuck.fifo")
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        start_stuck_save(qemu, path, fifo)
        with open(os.path.join(qemu.run_dir, "sv9.state")) as f:
            job = json.load(f)["job"]
        assert job["kind"] == OP_SAVE and job["was-running"] is True and "image" not in job

        # virtbusd dies in the middle; QEMU goes on writing (blocked).
        vb.kill_and_restart()
        # The new daemon cancels the save (QEMU's write is let go on,
        # its data thrown away) and runs the guest again.
        deadline = time.monotonic() + 60
        while qemu.state(path) != (RUNNING, RUNNING_SAVE_CANCELED):
            assert time.monotonic() < deadline, qemu.state(path)
            try:
                os.read(reader, 1 << 20)
            except BlockingIOError:
                pass
            time.sleep(0.01)
    finally:
        os.close(reader)
    qemu.wait_event(path, EV_RESUMED, RESUMED_UNPAUSED)
    assert "its save was cut short by a restart of virtbusd" in vb.read_log()
    assert qemu.dom(path, "GetJobInfo")[0][0] == JOB_NONE
    with open(os.path.join(qemu.run_dir, "sv9.state")) as f:
        assert "job" not in json.load(f)
    # The fifo (not ours) stays; the guest's memory is its own.
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    con = qemu.console(path)
    con.wait_ready(60)
    assert read_marker(con) == "survivor"
    con.close()
    qemu.dom(path, "Destroy", "u", 0)


def test_core_dump(qemu, tmp_path):
    vb = qemu.vb
    path, con = qemu.boot("dump1")
    mark(con, "dumped-but-alive")
    con.close()

    # Memory only: an ELF core of the guest's RAM; the guest runs on.
    elf = str(tmp_path / "mem.core")
    vb.clear_signals()
    qemu.dom(path, "CoreDump", "suu", elf, 0, DUMP_MEMORY_ONLY, timeout=120000)
    with open(elf, "rb") as f:
        head = f.read(20)
    assert head[:4] == b"\x7fELF" and head[4] == 2  # ELFCLASS64
    assert struct.unpack("<H", head[16:18])[0] == 4  # ET_CORE
    # The guest's 128 MiB are in it.
    assert os.stat(elf).st_size > 128 * 1024 * 1024
    assert qemu.state(path)[0] == RUNNING
    assert qemu.events(path)[:2] == [(EV_SUSPENDED, SUSPENDED_PAUSED), (EV_RESUMED, RESUMED_UNPAUSED)]
    params = job_completed(qemu, path)
    assert params["operation"] == OP_DUMP and params["success"] is True

    # Raw (libvirt's default): QEMU's migration stream, live; runs on.
    raw = str(tmp_path / "raw.core")
    qemu.dom(path, "CoreDump", "suu", raw, 0, DUMP_LIVE | DUMP_BYPASS_CACHE, timeout=120000)
    with open(raw, "rb") as f:
        assert f.read(4) == b"QEVM"
    assert qemu.state(path)[0] == RUNNING

    # A paused guest stays paused.
    qemu.dom(path, "Suspend")
    qemu.dom(path, "CoreDump", "suu", str(tmp_path / "paused.core"), 0, DUMP_MEMORY_ONLY, timeout=120000)
    assert qemu.state(path) == (PAUSED, PAUSED_USER)
    qemu.dom(path, "Resume")

    # The guest's memory is its own still.
    con = qemu.console(path)
    con.wait_ready(60)
    assert read_marker(con) == "dumped-but-alive"

    # RESET: dumped, then reset (a Reboot signal, a new boot).
    vb.clear_signals()
    qemu.dom(path, "CoreDump", "suu", str(tmp_path / "reset.core"), 0, DUMP_MEMORY_ONLY | DUMP_RESET,
             timeout=120000)
    vb.wait_signal("Reboot", lambda s: s[0] == path)
    con.wait_ready(BOOT_TIMEOUT)
    status, _ = con.run("test -e /marker")
    assert status != 0
    con.close()

    # Refused before anything is written.
    bad = str(tmp_path / "never.core")
    for args, message in [
        ((bad, 0, DUMP_CRASH | DUMP_RESET), "mutually exclusive"),
        ((bad, 1, 0), "requires a memory-only dump"),
        ((bad, 9, DUMP_MEMORY_ONLY), "unknown dump format 9"),
        ((bad, 0, 1 << 5), "unsupported flags (0x20)"),
        (("relative.core", 0, DUMP_MEMORY_ONLY), "must be absolute"),
        ((str(tmp_path / "no-such-dir" / "x.core"), 0, DUMP_MEMORY_ONLY), "cannot create core dump"),
    ]:
        name, msg = error(qemu, path, DOMAIN, "CoreDump", "suu", *args)
        assert name == ERR and message in msg, (args, msg)
    assert not os.path.exists(bad)

    # CRASH: dumped, then the domain is shut off as crashed.
    vb.clear_signals()
    qemu.dom(path, "CoreDump", "suu", str(tmp_path / "crash.core"), 0, DUMP_MEMORY_ONLY | DUMP_CRASH,
             timeout=120000)
    qemu.wait_event(path, EV_STOPPED, STOPPED_CRASHED)
    assert qemu.state(path) == (SHUTOFF, SHUTOFF_CRASHED)
    assert qemu_pids(qemu.root) == []
    name, msg = error(qemu, path, DOMAIN, "CoreDump", "suu", bad, 0, 0)
    assert name == ERR and "not running" in msg


def test_restore_of_bad_images_fails_cleanly(qemu, tmp_path):
    vb = qemu.vb
    junk = tmp_path / "junk.img"
    junk.write_bytes(b"this is not a save image at all" * 10)
    name, msg = error(qemu, QEMU_PATH, CONNECT, "DomainRestore", "ssu", str(junk), "", 0)
    assert name == ERR and "not a virtbus save image" in msg
    name, msg = error(qemu, QEMU_PATH, CONNECT, "DomainRestore", "ssu", str(tmp_path / "missing.img"), "", 0)
    assert name == ERR and "cannot open" in msg
    name, msg = error(qemu, QEMU_PATH, CONNECT, "DomainRestore", "ssu", "relative.img", "", 0)
    assert name == ERR and "absolute" in msg

    path, con = qemu.boot("sv4")
    image = str(tmp_path / "sv4.img")
    qemu.dom(path, "Save", "ssu", image, "", 0, timeout=120000)
    con.close()
    with open(image, "rb") as f:
        data = f.read()
    offset = struct.unpack_from("<Q", data, 32)[0]
    assert data[offset:offset + 4] == b"QEVM"

    cut = tmp_path / "cut.img"
    cut.write_bytes(data[:40])
    name, msg = error(qemu, QEMU_PATH, CONNECT, "DomainRestore", "ssu", str(cut), "", 0)
    assert name == ERR and "corrupt" in msg and "truncated" in msg
    cut.write_bytes(data[:offset])
    name, msg = error(qemu, QEMU_PATH, CONNECT, "DomainRestore", "ssu", str(cut), "", 0)
    assert name == ERR and "corrupt" in msg
    newer = tmp_path / "newer.img"
    newer.write_bytes(data[:16] + struct.pack("<I", 99) + data[20:offset + 4096])
    name, msg = error(qemu, QEMU_PATH, CONNECT, "DomainRestore", "ssu", str(newer), "", 0)
    assert name == ERR and "version 99" in msg
    assert qemu_pids(qemu.root) == []

    # A damaged guest state: QEMU refuses it, nothing is left running.
    vb.clear_signals()
    bad = tmp_path / "bad.img"
    bad.write_bytes(data[:offset + 4] + b"\xff" * 65536)
    name, msg = error(qemu, QEMU_PATH, CONNECT, "DomainRestore", "ssu", str(bad), "", 0)
    assert name == ERR and "could not load" in msg, msg
    assert qemu.state(path) == (SHUTOFF, SHUTOFF_SAVED)
    assert vb.properties(path, DOMAIN)["Active"] is False
    assert (EV_STARTED, STARTED_RESTORED) not in qemu.events(path)
    deadline = time.monotonic() + 10
    while qemu_pids(qemu.root):
        assert time.monotonic() < deadline, qemu_pids(qemu.root)
        time.sleep(0.05)
    # A cut-off stream is refused the same way, and the good image still restores.
    cut.write_bytes(data[:offset + (len(data) - offset) // 2])
    name, msg = error(qemu, QEMU_PATH, CONNECT, "DomainRestore", "ssu", str(cut), "", 0)
    assert name == ERR and "could not load" in msg, msg
    deadline = time.monotonic() + 10
    while qemu_pids(qemu.root):
        assert time.monotonic() < deadline, qemu_pids(qemu.root)
        time.sleep(0.05)
    time.sleep(0.5)  # the daemon reaps the killed QEMU (see the report: start right after a failed start)
    vb.call(QEMU_PATH, CONNECT, "DomainRestore", "ssu", image, "", 0, timeout=120000)
    assert qemu.state(path) == (RUNNING, RUNNING_RESTORED)
    qemu.dom(path, "Destroy", "u", 0)


def test_save_image_xml_round_trip(qemu, tmp_path):
    vb = qemu.vb
    path, con = qemu.boot("sv5")
    image = str(tmp_path / "sv5.img")
    qemu.dom(path, "Save", "ssu", image, "", 0, timeout=120000)
    con.close()
    xml = vb.call1(QEMU_PATH, CONNECT, "DomainSaveImageGetXMLDesc", "su", image, 0)
    assert "<name>sv5</name>" in xml and " id=" not in xml.split(">", 1)[0]
    size = os.stat(image).st_size

    # A small edit fits the padded slot: rewritten in place.
    small = xml.replace("</name>", "</name>\n  <description>small edit</description>", 1)
    vb.call(QEMU_PATH, CONNECT, "DomainSaveImageDefineXML", "ssu", image, small, 0)
    assert "<description>small edit</description>" in vb.call1(QEMU_PATH, CONNECT, "DomainSaveImageGetXMLDesc",
                                                                 "su", image, 0)
    assert os.stat(image).st_size == size
    # A large one does not: the image is rewritten with a bigger slot.
    big_text = "x" * 20000
    big = xml.replace("</name>", "</name>\n  <description>%s</description>" % big_text, 1)
    vb.call(QEMU_PATH, CONNECT, "DomainSaveImageDefineXML", "ssu", image, big, SAVE_PAUSED)
    assert big_text in vb.call1(QEMU_PATH, CONNECT, "DomainSaveImageGetXMLDesc", "su", image, 0)
    assert os.stat(image).st_size > size
    assert not any(n.endswith(".vbtmp") for n in os.listdir(str(tmp_path)))
    # Not the same machine: refused.
    other = xml.replace("<memory unit='KiB'>131072</memory>", "<memory unit='KiB'>262144</memory>")
    assert other != xml
    name, msg = error(qemu, QEMU_PATH, CONNECT, "DomainSaveImageDefineXML", "ssu", image, other, 0)
    assert name == ERR and "memory size" in msg
    renamed = xml.replace("<name>sv5</name>", "<name>other</name>")
    name, msg = error(qemu, QEMU_PATH, CONNECT, "DomainSaveImageDefineXML", "ssu", image, renamed, 0)
    assert name == ERR and "must describe domain 'sv5'" in msg

    # The new XML and the paused flag are what the restore uses.
    vb.clear_signals()
    vb.call(QEMU_PATH, CONNECT, "DomainRestore", "ssu", image, "", 0, timeout=120000)
    assert qemu.state(path) == (PAUSED, PAUSED_SAVE)
    assert big_text in qemu.dom(path, "GetXMLDesc", "u", 0)[0]
    # ...while the persistent config is untouched.
    assert big_text not in qemu.dom(path, "GetXMLDesc", "u", 2)[0]
    qemu.dom(path, "Destroy", "u", 0)


def test_managed_save(qemu, tmp_path):
    vb = qemu.vb
    path, con = qemu.boot("sv6")
    mark(con, "managed-marker")
    assert qemu.dom(path, "HasManagedSaveImage", "u", 0)[0] is False
    vb.clear_signals()
    qemu.dom(path, "ManagedSave", "u", 0, timeout=120000)
    qemu.wait_event(path, EV_STOPPED, STOPPED_SAVED)
    assert qemu.state(path) == (SHUTOFF, SHUTOFF_SAVED)
    assert os.path.isfile(managed_path(qemu, "sv6"))
    assert qemu.dom(path, "HasManagedSaveImage", "u", 0)[0] is True
    con.close()
    # ListDomains' MANAGEDSAVE filter (1 << 8) sees it.
    assert vb.call1(QEMU_PATH, CONNECT, "ListDomains", "u", 1 << 8) == [path]

    # Known after a daemon restart too.
    assert vb.stop() == 0
    vb.start()
    path = vb.call1(QEMU_PATH, CONNECT, "DomainLookupByName", "s", "sv6")
    assert qemu.dom(path, "HasManagedSaveImage", "u", 0)[0] is True
    assert vb.call1(QEMU_PATH, CONNECT, "ListDomains", "u", 1 << 8) == [path]
    name, msg = error(qemu, path, DOMAIN, "Undefine", "u", 0)
    assert name == ERR and "managed save image" in msg
    name, msg = error(qemu, path, DOMAIN, "Rename", "su", "sv6b", 0)
    assert name == ERR and "managed save image" in msg

    # Create resumes from it and removes it.
    vb.clear_signals()
    qemu.dom(path, "Create", "u", 0, timeout=120000)
    assert qemu.events(path) == [(EV_STARTED, STARTED_RESTORED)]
    assert qemu.state(path) == (RUNNING, RUNNING_RESTORED)
    assert not os.path.exists(managed_path(qemu, "sv6"))
    assert qemu.dom(path, "HasManagedSaveImage", "u", 0)[0] is False
    con = qemu.console(path)
    con.wait_ready(60)
    assert read_marker(con) == "managed-marker"
    con.close()

    # FORCE_BOOT throws the image away and boots.
    qemu.dom(path, "ManagedSave", "u", 0, timeout=120000)
    vb.clear_signals()
    qemu.dom(path, "Create", "u", START_FORCE_BOOT, timeout=120000)
    assert qemu.events(path) == [(EV_STARTED, STARTED_BOOTED)]
    assert not os.path.exists(managed_path(qemu, "sv6"))
    con = qemu.console(path)
    con.wait_ready(BOOT_TIMEOUT)
    status, _ = con.run("test -e /marker")
    assert status != 0
    con.close()

    # ManagedSaveRemove, then undefine with the flag removes the image.
    qemu.dom(path, "ManagedSave", "u", 0, timeout=120000)
    qemu.dom(path, "ManagedSaveRemove", "u", 0)
    assert qemu.dom(path, "HasManagedSaveImage", "u", 0)[0] is False
    qemu.start(path)
    qemu.dom(path, "ManagedSave", "u", 0, timeout=120000)
    qemu.dom(path, "Undefine", "u", UNDEFINE_MANAGED_SAVE)
    assert not os.path.exists(managed_path(qemu, "sv6"))
    assert domain_names(qemu) == []

    # A transient domain has no managed save.
    tpath = qemu.connect("DomainCreateXML", "su", guest.domain_xml("sv7"), 0, timeout=60000)
    name, msg = error(qemu, tpath, DOMAIN, "ManagedSave", "u", 0)
    assert name == ERR and "transient" in msg
    qemu.dom(tpath, "Destroy", "u", 0)


def test_autostart_restores_the_managed_save_image(qemu):
    vb = qemu.vb
    path, con = qemu.boot("sv8")
    mark(con, "autostart-marker")
    qemu.dom(path, "ManagedSave", "u", 0, timeout=120000)
    con.close()
    vb.set_property(path, DOMAIN, "Autostart", GLib.Variant("b", True))
    assert vb.stop() == 0
    vb.clear_signals()
    vb.start()
    path = vb.call1(QEMU_PATH, CONNECT, "DomainLookupByName", "s", "sv8")
    deadline = time.monotonic() + 60
    while qemu.state(path)[0] != RUNNING:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert qemu.state(path) == (RUNNING, RUNNING_RESTORED)
    assert (EV_STARTED, STARTED_RESTORED) in qemu.events(path)
    assert not os.path.exists(managed_path(qemu, "sv8"))
    con = qemu.console(path)
    con.wait_ready(60)
    assert read_marker(con) == "autostart-marker"
    qemu.dom(path, "Destroy", "u", 0)
    con.close()


@pytest.mark.skipif(shutil.which("swtpm") is None or shutil.which("swtpm_setup") is None,
                    reason="swtpm and swtpm_setup are not installed (Debian packages swtpm, swtpm-tools)")
def test_save_and_restore_of_a_guest_with_an_emulated_tpm(qemu, tmp_path):
    # The TPM's volatile state travels in the image (QEMU takes it from
    # the swtpm); the restored QEMU gets a swtpm of its own on the same
    # state and refuses to load the image when it does not answer.
    path, con = qemu.boot("svtpm", extra_devices=TPM)
    mark(con, "with-a-tpm")
    assert len(swtpm_pids(qemu.root)) == 1
    image = str(tmp_path / "svtpm.img")
    qemu.dom(path, "Save", "ssu", image, "", 0, timeout=120000)
    wait_gone(swtpm_pids(qemu.root))
    assert swtpm_pids(qemu.root) == [] and qemu_pids(qemu.root) == []
    (state,) = tpm_state_files(qemu.root)
    qemu.vb.call(QEMU_PATH, CONNECT, "DomainRestore", "ssu", image, "", 0, timeout=120000)
    assert qemu.state(path)[0] == RUNNING
    assert len(swtpm_pids(qemu.root)) == 1 and tpm_state_files(qemu.root) == [state]
    con.close()
    con = qemu.console(path)
    con.wait_ready(60)
    assert read_marker(con) == "with-a-tpm"
    qemu.dom(path, "Destroy", "u", 0)
    wait_gone(swtpm_pids(qemu.root))
    con.close()
