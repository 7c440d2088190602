"""Block jobs of QEMU domains (backends/qemu/vb-qemu-blockjob.c) with the
real test guest under TCG and qcow2 chains made with qemu-img: pull,
commit (into a lower image, and of the active layer with a pivot), copy
(cancelled, and pivoted), job info and speed, the BlockJob signal, what
the live and persistent definitions say afterwards, the data in the images,
and a daemon restart in the middle of a job."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

import guest
from test_qemu_hotplug import wait_domain_signal, xml
from test_qemu_lifecycle import DOMAIN, qemu  # noqa: F401
from test_schemas import validate

pytestmark = pytest.mark.skipif(guest.missing_requirements() is not None,
                                reason=str(guest.missing_requirements()))

PULL, COPY, COMMIT, ACTIVE_COMMIT = 1, 2, 3, 4
COMPLETED, FAILED, CANCELED, READY = 0, 1, 2, 3
ABORT_ASYNC, ABORT_PIVOT = 1, 2
COMMIT_SHALLOW, COMMIT_DELETE, COMMIT_ACTIVE = 1, 2, 4
COPY_REUSE_EXT = 2
XML_INACTIVE = 2
START_PAUSED = 1
MIB = 1024 * 1024


def img(*args):
    subprocess.run(["qemu-img"] + list(args), check=True, capture_output=True)


def qemu_io(path, command):
    r = subprocess.run(["qemu-io", "-f", "qcow2", "-c", command, path], capture_output=True, text=True)
    assert r.returncode == 0 and "Pattern verification failed" not in r.stdout, (command, r.stdout, r.stderr)


def backing_of(path):
    out = subprocess.run(["qemu-img", "info", "-U", "--output=json", path], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r'"full-backing-filename": "([^"]*)"', out)
    return m.group(1) if m else None


def chain(tmp_path, layers):
    """qcow2 images base → … → top, each with 1 MiB of its own pattern at
    offset i MiB; returns their paths, base first."""
    paths = []
    for i, name in enumerate(layers):
        p = str(tmp_path / name)
        if paths:
            img("create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", paths[-1], p)
        else:
            img("create", "-q", "-f", "qcow2", p, "16M")
        qemu_io(p, "write -q -P 0x%x %d 1M" % (0xa0 + i, i * MIB))
        paths.append(p)
    return paths


def disk(path, fmt="qcow2"):
    return (f"    <disk type='file' device='disk'><driver name='qemu' type='{fmt}'/>"
            f"<source file='{path}'/><target dev='vda' bus='virtio'/></disk>\n")


def start(q, name, path, boot=False):
    dom = q.define(name, extra_devices=disk(path))
    if boot:
        q.start(dom)
        con = q.console(dom)
        con.wait_ready(120)
        return dom, con
    q.dom(dom, "Create", "u", START_PAUSED, timeout=60000)
    return dom, None


def after_restart(q, dom, timeout=30):
    """GetBlockJobInfo of vda once a restarted daemon has reconnected to
    QEMU's monitor (it owns its bus name before; calls meanwhile say so)."""
    from gi.repository import GLib
    deadline = time.monotonic() + timeout
    while True:
        try:
            return tuple(q.dom(dom, "GetBlockJobInfo", "su", "vda", 0)[0])
        except GLib.Error as e:
            if "monitor is not connected yet" not in e.message or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def job_signal(q, dom, type_, status, con=None, timeout=60):
    return wait_domain_signal(q, "BlockJob", dom, ("vda", type_, status), con, timeout)


def sources(text):
    """The <source file=> paths of the disk in a domain XML, top first."""
    d = re.search(r"<disk.*?</disk>", text, re.S).group(0)
    return re.findall(r"<source file='([^']*)'", d)


def indices(text):
    """The index= of the disk's <source> and <backingStore>s, top first."""
    d = re.search(r"<disk.*?</disk>", text, re.S).group(0)
    top = re.findall(r"<source file='[^']*' index='(\d+)'", d)
    return [int(i) for i in top + re.findall(r"<backingStore type='file' index='(\d+)'", d)]


def test_commit_and_pull_follow_the_chain(qemu, tmp_path):
    base, mid, top = chain(tmp_path, ["base.qcow2", "mid.qcow2", "top.qcow2"])
    dom, con = start(qemu, "bj1", top, boot=True)
    qemu.vb.clear_signals()
    # The live definition shows the chain QEMU opened; the config does not.
    assert sources(xml(qemu, dom)) == [top, mid, base]
    assert sources(xml(qemu, dom, XML_INACTIVE)) == [top]
    # Each image of the live chain has its index (libvirt's "vda[N]"),
    # counted from the bottom; the config has none.
    assert indices(xml(qemu, dom)) == [3, 2, 1]
    assert indices(xml(qemu, dom, XML_INACTIVE)) == []
    # Both are libvirt's domain XML (aliases, chain, indices, ...).
    validate(xml(qemu, dom), "domain.rng")
    validate(xml(qemu, dom, XML_INACTIVE), "domain.rng")

    # No job yet: zeros, and what cannot be done says why.
    assert tuple(qemu.dom(dom, "GetBlockJobInfo", "su", "vda", 0)[0]) == (0, 0, 0, 0)
    for method, sig, args, msg in [
            ("BlockCommit", "ssstu", ("vda", "", "", 0, 0), "needs the ACTIVE flag"),
            ("BlockCommit", "ssstu", ("vda", base, mid, 0, COMMIT_ACTIVE), "is for committing the active layer"),
            ("BlockCommit", "ssstu", ("vda", top, mid, 0, 0), "not below the top"),
            ("BlockCommit", "ssstu", ("vda", "/nowhere.qcow2", mid, 0, 0), "not in the backing chain"),
            ("BlockCommit", "ssstu", ("vda", "", base, 0, 0), "has no backing image"),
            ("BlockCommit", "ssstu", ("vda", "vda[1]", "vda[9]", 0, 0), "'vda[9]' is not in the backing chain"),
            ("BlockCommit", "ssstu", ("vda", "vda[0]", "vda[2]", 0, 0), "'vda[0]' is not in the backing chain"),
            ("BlockCommit", "ssstu", ("vda", "vdb[1]", "vda[2]", 0, 0), "'vdb[1]' is not in the backing chain"),
            ("BlockCommit", "ssstu", ("vda", "vda[3]", "vda[2]", 0, 0), "not below the top"),
            ("BlockPull", "stu", ("vdz", 0, 0), "has no disk 'vdz'"),
            ("BlockRebase", "sstu", ("vda", "/nowhere.qcow2", 0, 0), "not in the backing chain"),
            ("BlockRebase", "sstu", ("vda", "", 0, 1), "need the COPY flag"),
            ("BlockJobAbort", "su", ("vda", 0), "has no block job running"),
            ("BlockJobSetSpeed", "stu", ("vda", 1, 0), "has no block job running"),
            ("BlockPull", "stu", ("vda", 1 << 62, 0), "bandwidth must be less than")]:
        name, text = qemu.vb.error(dom, DOMAIN, method, sig, *args)
        assert name == "org.libvirt.Error" and msg in text, (method, args, text)

    # mid into base, and mid removed (DELETE), both named by index: top's
    # backing is now base.
    qemu.dom(dom, "BlockCommit", "ssstu", "vda", "vda[1]", "vda[2]", 0, COMMIT_DELETE)
    job_signal(qemu, dom, COMMIT, COMPLETED, con)
    assert not os.path.exists(mid)
    assert sources(xml(qemu, dom)) == [top, base]
    assert indices(xml(qemu, dom)) == [2, 1]
    assert backing_of(top) == base

    # Everything below top into top: no backing left.
    qemu.dom(dom, "BlockPull", "stu", "vda", 0, 0)
    job_signal(qemu, dom, PULL, COMPLETED, con)
    assert sources(xml(qemu, dom)) == [top]
    assert backing_of(top) is None
    # The persistent definition still names top (it had no chain written).
    assert sources(xml(qemu, dom, XML_INACTIVE)) == [top]
    # The guest still reads its disk.
    _, out = con.run("dd if=/dev/vda of=/dev/null bs=1M count=3 && echo read-ok")
    assert "read-ok" in out
    con.close()
    qemu.dom(dom, "Destroy", "u", 0)
    for i in range(3):
        qemu_io(top, "read -q -P 0x%x %d 1M" % (0xa0 + i, i * MIB))


def test_active_commit_pivots_and_config_follows(qemu, tmp_path):
    base, top = chain(tmp_path, ["base.qcow2", "top.qcow2"])
    dom, _ = start(qemu, "bj2", top)
    qemu.vb.clear_signals()

    # 1 MiB/s: slow enough to see the job, its type and its speed.
    qemu.dom(dom, "BlockCommit", "ssstu", "vda", "", "", 1, COMMIT_ACTIVE)
    # QEMU knows the job's length once the job ran a first time (on a
    # loaded host a moment after the call returned).
    deadline = time.monotonic() + 10
    while True:
        info = tuple(qemu.dom(dom, "GetBlockJobInfo", "su", "vda", 0)[0])
        if info[3] > 0 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert info[0] == ACTIVE_COMMIT and info[1] == 1 and info[3] > 0, info
    assert tuple(qemu.dom(dom, "GetBlockJobInfo", "su", "vda", 1)[0])[1] == MIB  # BANDWIDTH_BYTES
    name, text = qemu.vb.error(dom, DOMAIN, "BlockPull", "stu", "vda", 0, 0)
    assert "already has a block job" in text
    name, text = qemu.vb.error(dom, DOMAIN, "BlockJobAbort", "su", "vda", ABORT_PIVOT)
    assert "not ready to pivot" in text or "READY" in text
    qemu.dom(dom, "BlockJobSetSpeed", "stu", "vda", 0, 0)
    job_signal(qemu, dom, ACTIVE_COMMIT, READY)

    # The pivot answers once it happened: the disk is base now, live and in
    # the config (it was the same disk there).
    qemu.dom(dom, "BlockJobAbort", "su", "vda", ABORT_PIVOT)
    job_signal(qemu, dom, ACTIVE_COMMIT, COMPLETED)
    assert sources(xml(qemu, dom)) == [base]
    assert sources(xml(qemu, dom, XML_INACTIVE)) == [base]
    assert tuple(qemu.dom(dom, "GetBlockJobInfo", "su", "vda", 0)[0]) == (0, 0, 0, 0)
    # Commands on the disk reach its new node.
    qemu.dom(dom, "BlockResize", "stu", "vda", 32 * 1024, 0)
    qemu.dom(dom, "Destroy", "u", 0)
    qemu_io(base, "read -q -P 0xa0 0 1M")
    qemu_io(base, "read -q -P 0xa1 1M 1M")
    assert "32 MiB" in subprocess.run(["qemu-img", "info", base], capture_output=True, text=True).stdout


def test_copy_cancelled_then_pivoted(qemu, tmp_path):
    (src,) = chain(tmp_path, ["src.qcow2"])
    dst = str(tmp_path / "dst.qcow2")
    dest_xml = f"<disk type='file'><source file='{dst}'/><driver type='qcow2'/></disk>"
    dom, _ = start(qemu, "bj3", src)
    qemu.vb.clear_signals()

    for x, params, flags, msg in [
            ("<disk type='file'><source file='rel.qcow2'/></disk>", {}, 0, "absolute path"),
            (dest_xml, {"bogus": ("t", 1)}, 0, "unknown block copy parameter 'bogus'"),
            (dest_xml, {"granularity": ("u", 1000)}, 0, "power of two"),
            (dest_xml, {}, COPY_REUSE_EXT, "does not exist"),
            (f"<disk type='file'><source file='{src}'/></disk>", {}, COPY_REUSE_EXT, "its own image"),
            ("<disk", {}, 0, "")]:
        from gi.repository import GLib
        v = {k: GLib.Variant(t, val) for k, (t, val) in params.items()}
        name, text = qemu.vb.error(dom, DOMAIN, "BlockCopy", "ssa{sv}u", "vda", x, v, flags)
        assert name == "org.libvirt.Error" and msg in text, (x, text)
    assert not os.path.exists(dst)

    # Cancelled once ready: the disk stays on src, the copy is removed.
    qemu.dom(dom, "BlockCopy", "ssa{sv}u", "vda", dest_xml, {}, 0)
    job_signal(qemu, dom, COPY, READY)
    assert os.path.exists(dst)
    qemu.dom(dom, "BlockJobAbort", "su", "vda", 0)
    job_signal(qemu, dom, COPY, CANCELED)
    assert sources(xml(qemu, dom)) == [src]
    assert not os.path.exists(dst)

    # An existing destination is only used when asked to.
    open(dst, "w").close()
    name, text = qemu.vb.error(dom, DOMAIN, "BlockCopy", "ssa{sv}u", "vda", dest_xml, {}, 0)
    assert "exists: pass REUSE_EXT" in text
    os.unlink(dst)

    # Pivoted: the live disk is the copy, the config keeps src (as libvirt).
    from gi.repository import GLib
    qemu.dom(dom, "BlockCopy", "ssa{sv}u", "vda", dest_xml, {"bandwidth": GLib.Variant("t", 64 * MIB)}, 0)
    job_signal(qemu, dom, COPY, READY)
    qemu.dom(dom, "BlockJobAbort", "su", "vda", ABORT_PIVOT)
    job_signal(qemu, dom, COPY, COMPLETED)
    assert sources(xml(qemu, dom)) == [dst]
    assert sources(xml(qemu, dom, XML_INACTIVE)) == [src]
    qemu.dom(dom, "BlockResize", "stu", "vda", 24 * 1024, 0)
    qemu.dom(dom, "Destroy", "u", 0)
    qemu_io(dst, "read -q -P 0xa0 0 1M")
    assert "24 MiB" in subprocess.run(["qemu-img", "info", dst], capture_output=True, text=True).stdout


def test_job_survives_a_daemon_restart(qemu, tmp_path):
    (src,) = chain(tmp_path, ["src.qcow2"])
    dst = str(tmp_path / "dst.qcow2")
    dom, _ = start(qemu, "bj4", src)
    qemu.vb.clear_signals()
    qemu.dom(dom, "BlockCopy", "ssa{sv}u", "vda",
             f"<disk type='file'><source file='{dst}'/><driver type='qcow2'/></disk>", {}, 0)
    job_signal(qemu, dom, COPY, READY)

    vb = qemu.vb
    vb.kill_and_restart()

    # The new daemon knows the job (from its state file and QEMU) and can
    # pivot it; the disk then is the copy.
    info = after_restart(qemu, dom)
    assert info[0] == COPY and info[2] == info[3] > 0, info
    qemu.dom(dom, "BlockJobAbort", "su", "vda", ABORT_PIVOT)
    job_signal(qemu, dom, COPY, COMPLETED)
    assert sources(xml(qemu, dom)) == [dst]
    # And after an orderly restart, commands still reach the copy's node.
    assert vb.stop() == 0
    vb.start()
    assert after_restart(qemu, dom) == (0, 0, 0, 0)
    assert sources(xml(qemu, dom)) == [dst]
    qemu.dom(dom, "BlockResize", "stu", "vda", 20 * 1024, 0)
    qemu.dom(dom, "Destroy", "u", 0)
    assert "20 MiB" in subprocess.run(["qemu-img", "info", dst], capture_output=True, text=True).stdout


def test_rebase_relative_shallow_commit_async_abort_and_stop(qemu, tmp_path):
    # l0 ← l1 ← l2 ← l3, each naming its backing file relatively.
    names = ["l0.qcow2", "l1.qcow2", "l2.qcow2", "l3.qcow2"]
    for i, n in enumerate(names):
        if i == 0:
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", n, "16M"], cwd=tmp_path, check=True)
        else:
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", names[i - 1], n],
                           cwd=tmp_path, check=True)
        qemu_io(str(tmp_path / n), "write -q -P 0x%x %d 1M" % (0xa0 + i, i * MIB))
    l0, l1, l2, l3 = (str(tmp_path / n) for n in names)
    dom, _ = start(qemu, "bj5", l3)
    qemu.vb.clear_signals()

    # Pull only l2 into l3; l3 then names l1 as l2 did: relatively.
    qemu.dom(dom, "BlockRebase", "sstu", "vda", l1, 0, 16)  # RELATIVE
    job_signal(qemu, dom, PULL, COMPLETED)
    assert sources(xml(qemu, dom)) == [l3, l1, l0]
    info = subprocess.run(["qemu-img", "info", "-U", l3], capture_output=True, text=True).stdout
    assert re.search(r"^backing file: l1\.qcow2", info, re.M), info

    # SHALLOW: l1 into the image right below it, l0.
    name, text = qemu.vb.error(dom, DOMAIN, "BlockCommit", "ssstu", "vda", l3, l1, 0, COMMIT_SHALLOW)
    assert "shallow commit goes into the image right below" in text
    qemu.dom(dom, "BlockCommit", "ssstu", "vda", "", l1, 0, COMMIT_SHALLOW)
    job_signal(qemu, dom, COMMIT, COMPLETED)
    assert sources(xml(qemu, dom)) == [l3, l0]

    # A copy through BlockRebase(COPY), aborted without waiting.
    dst = str(tmp_path / "dst.qcow2")
    qemu.dom(dom, "BlockRebase", "sstu", "vda", dst, 0, 8)  # COPY
    job_signal(qemu, dom, COPY, READY)
    qemu.dom(dom, "BlockJobAbort", "su", "vda", ABORT_ASYNC)
    job_signal(qemu, dom, COPY, CANCELED)
    assert not os.path.exists(dst)

    # A domain that stops takes its job with it, and the copy QEMU made.
    from gi.repository import GLib
    qemu.dom(dom, "BlockCopy", "ssa{sv}u", "vda",
             f"<disk type='file'><source file='{dst}'/><driver type='qcow2'/></disk>",
             {"bandwidth": GLib.Variant("t", 4096)}, 0)
    assert tuple(qemu.dom(dom, "GetBlockJobInfo", "su", "vda", 1)[0])[:2] == (COPY, 4096)
    assert os.path.exists(dst)
    qemu.dom(dom, "Destroy", "u", 0)
    assert not os.path.exists(dst)
    for i in range(4):
        qemu_io(l3, "read -q -P 0x%x %d 1M" % (0xa0 + i, i * MIB))


def test_virtbusctl_block_commands(qemu, tmp_path):
    from test_virtbusctl import FAILED, OK, USAGE, ctl_path, run
    base, top = chain(tmp_path, ["base.qcow2", "top.qcow2"])
    dom, _ = start(qemu, "bjctl", top)
    vb = qemu.vb

    def ctl(*args):
        return run(vb, "-c", "qemu:///session", *args, timeout=120)

    r = ctl("blockjob", "bjctl", "vda")
    assert r.returncode == OK and re.search(r"Type:\s+none", r.stdout), r.stdout
    assert json.loads(ctl("--json", "domblklist", "bjctl").stdout) == [{"target": "vda", "source": top}]
    # An active commit, waited for and pivoted in one go.
    r = ctl("blockcommit", "bjctl", "vda", "--active", "--pivot")
    assert r.returncode == OK and "Disk 'vda' pivoted" in r.stdout, (r.stdout, r.stderr)
    assert sources(xml(qemu, dom)) == [base]
    assert json.loads(ctl("--json", "domblklist", "bjctl").stdout) == [{"target": "vda", "source": base}]
    # A copy left mirroring, its info, a new speed, then cancelled.
    dst = str(tmp_path / "copy.qcow2")
    r = ctl("blockcopy", "bjctl", "vda", dst, "--wait")
    assert r.returncode == OK and "is ready" in r.stdout, (r.stdout, r.stderr)
    r = ctl("--json", "blockjob", "bjctl", "vda")
    assert r.returncode == OK and json.loads(r.stdout)["type"] == "copy", r.stdout
    info = json.loads(r.stdout)
    # Numbers as numbers: bytes done and to do (equal once ready), 0 = unlimited.
    assert info["current"] == info["end"] and info["end"] > 0 and info["bandwidth"] == 0, info
    assert ctl("blockjob", "bjctl", "vda", "--bandwidth", "5").returncode == OK
    assert "5242880" in ctl("blockjob", "bjctl", "vda").stdout
    assert json.loads(ctl("--json", "blockjob", "bjctl", "vda").stdout)["bandwidth"] == 5242880
    r = ctl("blockjob", "bjctl", "vda", "--abort")
    assert r.returncode == OK and "aborted" in r.stdout
    assert not os.path.exists(dst)
    # Errors keep their exit codes and messages.
    r = ctl("blockpull", "bjctl", "vda", "--wait")
    assert r.returncode == FAILED and "no backing image" in r.stderr, r.stderr
    r = ctl("blockcommit", "bjctl", "vda", "--top", base, "--pivot")
    assert r.returncode == USAGE and "--pivot is for" in r.stderr
    r = ctl("blockpull", "bjctl", "vda", "--pivot")
    assert r.returncode == USAGE and "doesn't support option --pivot" in r.stderr
    r = ctl("blockjob", "bjctl", "vda", "--bandwidth", "x")
    assert r.returncode == USAGE
    # Ctrl+C while waiting cancels the job.
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=vb.bus.address, LC_ALL="C")
    p = subprocess.Popen([ctl_path(), "-c", "qemu:///session", "blockcopy", "bjctl", "vda", dst, "--bandwidth", "1",
                          "--wait"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while tuple(qemu.dom(dom, "GetBlockJobInfo", "su", "vda", 0)[0])[0] != COPY:
        assert time.monotonic() < deadline and p.poll() is None
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == FAILED and "cancelled" in err, (out, err)
    assert not os.path.exists(dst)
    qemu.dom(dom, "Destroy", "u", 0)


def test_job_that_ends_while_no_daemon_runs(qemu, tmp_path):
    base, top = chain(tmp_path, ["base.qcow2", "top.qcow2"])
    dom, _ = start(qemu, "bj6", top)
    deadline = time.monotonic() + 10
    while sources(xml(qemu, dom)) != [top, base]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # 1 MiB/s: the pull of base's 1 MiB ends about a second later, when no
    # daemon listens.
    qemu.dom(dom, "BlockPull", "stu", "vda", 1, 0)
    qemu.vb.proc.send_signal(signal.SIGKILL)
    qemu.vb.proc.wait()
    deadline = time.monotonic() + 30
    while backing_of(top) is not None:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    qemu.vb.proc = None
    qemu.vb.log.close()
    qemu.vb.clear_signals()
    qemu.vb.start()
    # The next daemon learns from QEMU how the job ended, says so, and
    # reads the disk back from QEMU.
    job_signal(qemu, dom, PULL, COMPLETED)
    assert sources(xml(qemu, dom)) == [top]
    assert tuple(qemu.dom(dom, "GetBlockJobInfo", "su", "vda", 0)[0]) == (0, 0, 0, 0)
    qemu.dom(dom, "Destroy", "u", 0)


def test_commit_that_ends_while_no_daemon_runs(qemu, tmp_path):
    """A commit with DELETE that ends while no daemon runs: the next daemon
    finishes it as the job's end would have (the signal, the committed
    image removed, the chain in the live and persistent definitions) and
    has QEMU forget the job, so that the disk takes a new one."""
    base, mid, top = chain(tmp_path, ["base.qcow2", "mid.qcow2", "top.qcow2"])
    chain_xml = (f"    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                 f"<source file='{top}'/>"
                 f"<backingStore type='file'><format type='qcow2'/><source file='{mid}'/>"
                 f"<backingStore type='file'><format type='qcow2'/><source file='{base}'/>"
                 f"<backingStore/></backingStore></backingStore>"
                 f"<target dev='vda' bus='virtio'/></disk>\n")
    dom = qemu.define("bj7", extra_devices=chain_xml)
    qemu.dom(dom, "Create", "u", START_PAUSED, timeout=60000)
    assert sources(xml(qemu, dom, XML_INACTIVE)) == [top, mid, base]
    # 1 MiB/s: mid's 1 MiB is in base about a second later.
    qemu.dom(dom, "BlockCommit", "ssstu", "vda", base, mid, 1, COMMIT_DELETE)
    qemu.vb.proc.send_signal(signal.SIGKILL)
    qemu.vb.proc.wait()
    deadline = time.monotonic() + 30
    while backing_of(top) != base:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert os.path.exists(mid)
    qemu.vb.proc = None
    qemu.vb.log.close()
    qemu.vb.clear_signals()
    qemu.vb.start()
    job_signal(qemu, dom, COMMIT, COMPLETED)
    assert not os.path.exists(mid)
    assert sources(xml(qemu, dom)) == [top, base]
    assert sources(xml(qemu, dom, XML_INACTIVE)) == [top, base]
    # QEMU forgot the old job: the disk takes the next one (same job id).
    qemu.dom(dom, "BlockPull", "stu", "vda", 0, 0)
    job_signal(qemu, dom, PULL, COMPLETED)
    assert sources(xml(qemu, dom)) == [top]
    qemu.dom(dom, "Destroy", "u", 0)
    for i in range(3):
        qemu_io(top, "read -q -P 0x%x %d 1M" % (0xa0 + i, i * MIB))
