"""Internal (qcow2) snapshots of the QEMU backend with real QEMU: the tiny
test guest (tests/guest/) boots under TCG with a qcow2 disk made by qemu-img
in the test's temporary root.

Running guests are snapshotted with QMP snapshot-save (disks and RAM) and
reverted with snapshot-load: a marker written into the guest's RAM (its
initramfs root) before the snapshot is back after the revert. Shut-off
domains use qemu-img; the image contents are checked with qemu-io.
"""
import glob
import os
import subprocess
import time

import pytest

import guest
from test_qemu_lifecycle import (QEMU_PATH, CONNECT, DOMAIN, BOOT_TIMEOUT, qemu,  # noqa: F401 (fixture)
                                 qemu_pids)
from test_schemas import validate

SNAP = "org.libvirt.DomainSnapshot"

# virDomainEventType and details
EV_DEFINED, EV_UNDEFINED, EV_STARTED, EV_SUSPENDED, EV_RESUMED, EV_STOPPED = range(6)
DEFINED_UPDATED, DEFINED_FROM_SNAPSHOT = 1, 3
STARTED_FROM_SNAPSHOT = 3
SUSPENDED_PAUSED, SUSPENDED_FROM_SNAPSHOT = 0, 5
RESUMED_UNPAUSED, RESUMED_FROM_SNAPSHOT = 0, 2
STOPPED_DESTROYED, STOPPED_FROM_SNAPSHOT = 1, 6
# virDomainState and reasons
RUNNING, PAUSED, SHUTOFF = 1, 3, 5
RUNNING_FROM_SNAPSHOT = 4
PAUSED_FROM_SNAPSHOT = 7
SHUTOFF_FROM_SNAPSHOT = 7
# virDomainSnapshotCreateFlags
CREATE_REDEFINE, CREATE_CURRENT, CREATE_NO_METADATA, CREATE_HALT, CREATE_DISK_ONLY = 1, 2, 4, 8, 16
# virDomainSnapshotListFlags
LIST_ROOTS = LIST_DESCENDANTS = 1
LIST_LEAVES, LIST_NO_LEAVES, LIST_INACTIVE, LIST_ACTIVE, LIST_TOPOLOGICAL = 4, 8, 32, 64, 1024
# virDomainSnapshotDeleteFlags, virDomainSnapshotRevertFlags
DELETE_CHILDREN, DELETE_METADATA_ONLY, DELETE_CHILDREN_ONLY = 1, 2, 4
REVERT_RUNNING, REVERT_PAUSED, REVERT_FORCE = 1, 2, 4
UNDEFINE_SNAPSHOTS_METADATA = 2

LONG = 120000  # ms: snapshot jobs of a TCG guest on a loaded machine

pytestmark = pytest.mark.skipif(guest.missing_requirements() is not None,
                                reason=str(guest.missing_requirements()))


def make_image(q, name, fmt="qcow2", size="16M"):
    path = os.path.join(q.root, name + "." + fmt)
    subprocess.run(["qemu-img", "create", "-q", "-f", fmt, path, size], check=True)
    return path


def disk_xml(path, fmt="qcow2", dev="vda"):
    return f"""    <disk type='file' device='disk'>
      <driver name='qemu' type='{fmt}'/>
      <source file='{path}'/>
      <target dev='{dev}' bus='virtio'/>
    </disk>
"""


def image_tags(path):
    """Internal snapshot tags of a qcow2 image (-U: also while QEMU has it open)."""
    out = subprocess.run(["qemu-img", "snapshot", "-l", "-U", path], check=True, capture_output=True,
                         text=True).stdout
    tags = []
    for line in out.splitlines()[2:]:
        fields = line.split()
        if len(fields) >= 2:
            tags.append(fields[1])
    return sorted(tags)


def qemu_io(path, command):
    run = subprocess.run(["qemu-io", "-f", "qcow2", "-c", command, path], capture_output=True, text=True)
    if run.returncode != 0:
        # Shown with the failed assertion on the result.
        print(f"qemu-io -c {command!r} {path}: exit {run.returncode}: {run.stdout}{run.stderr}")
    return run


def snap_xml(name, description=None):
    desc = "<description>%s</description>" % description if description else ""
    return "<domainsnapshot><name>%s</name>%s</domainsnapshot>" % (name, desc)


def create(q, dom, name, flags=0):
    return q.vb.call1(dom, DOMAIN, "SnapshotCreateXML", "su", snap_xml(name), flags, timeout=LONG)


def snap_name(q, path):
    xml = q.vb.call1(path, SNAP, "GetXMLDesc", "u", 0)
    return xml.split("<name>", 1)[1].split("</name>", 1)[0]


def names(q, paths):
    return sorted(snap_name(q, p) for p in paths)


def listed(q, dom, flags=0):
    return names(q, q.vb.call1(dom, DOMAIN, "ListDomainSnapshots", "u", flags))


def lookup(q, dom, name):
    return q.vb.call1(dom, DOMAIN, "SnapshotLookupByName", "su", name, 0)


def current(q, dom):
    return snap_name(q, q.vb.call1(dom, DOMAIN, "SnapshotCurrent", "u", 0))


def marker(con):
    status, out = con.run("cat /tmp/marker")
    assert status == 0, out
    return out.strip().splitlines()[-1]


def test_running_snapshot_restores_guest_ram(qemu):
    q, vb = qemu, qemu.vb
    img = make_image(q, "run")
    dom, con = q.boot("snaprun", extra_devices=disk_xml(img))
    assert con.run("echo before-snapshot > /tmp/marker")[0] == 0

    vb.clear_signals()
    s1 = create(q, dom, "s1")
    assert lookup(q, dom, "s1") == s1
    # QEMU paused the guest while it wrote; it runs again.
    q.wait_event(dom, EV_SUSPENDED, SUSPENDED_PAUSED, console=con)
    q.wait_event(dom, EV_RESUMED, RESUMED_UNPAUSED, console=con)
    assert q.state(dom)[0] == RUNNING
    assert image_tags(img) == ["s1"]
    xml = vb.call1(s1, SNAP, "GetXMLDesc", "u", 0)
    validate(xml, "domainsnapshot.rng")
    assert "<state>running</state>" in xml
    assert "<memory snapshot='internal'/>" in xml
    assert "<disk name='vda' snapshot='internal'/>" in xml
    assert "<domain" in xml and "<name>snaprun</name>" in xml
    assert "<creationTime>" in xml
    assert vb.call1(s1, SNAP, "IsCurrent", "u", 0) is True
    assert current(q, dom) == "s1"

    # The guest moves on, then goes back in time.
    assert con.run("echo after-snapshot > /tmp/marker")[0] == 0
    assert marker(con) == "after-snapshot"
    vb.clear_signals()
    vb.call(s1, SNAP, "Revert", "u", 0, timeout=LONG)
    assert q.state(dom) == (RUNNING, RUNNING_FROM_SNAPSHOT)
    assert (EV_RESUMED, RESUMED_FROM_SNAPSHOT) in q.events(dom)
    assert (EV_SUSPENDED, SUSPENDED_PAUSED) not in q.events(dom)
    assert marker(con) == "before-snapshot"

    # Revert with PAUSED: the guest stays stopped at the snapshot.
    vb.clear_signals()
    vb.call(s1, SNAP, "Revert", "u", REVERT_PAUSED, timeout=LONG)
    assert q.state(dom) == (PAUSED, PAUSED_FROM_SNAPSHOT)
    assert (EV_SUSPENDED, SUSPENDED_FROM_SNAPSHOT) in q.events(dom)
    q.dom(dom, "Resume")
    assert marker(con) == "before-snapshot"

    # A second snapshot of the running guest, deleted again while it runs.
    tmp = create(q, dom, "tmp")
    assert image_tags(img) == ["s1", "tmp"]
    assert vb.properties(tmp, SNAP) is not None
    vb.call(tmp, SNAP, "Delete", "u", 0, timeout=LONG)
    assert image_tags(img) == ["s1"]
    assert current(q, dom) == "s1"
    con.close()

    # Reverting the shut-off domain to a running snapshot starts it there.
    q.dom(dom, "Destroy", "u", 0)
    q.wait_event(dom, EV_STOPPED, STOPPED_DESTROYED, timeout=30)
    vb.clear_signals()
    vb.call(s1, SNAP, "Revert", "u", 0, timeout=LONG)
    q.wait_event(dom, EV_STARTED, STARTED_FROM_SNAPSHOT, timeout=5)
    assert q.state(dom) == (RUNNING, RUNNING_FROM_SNAPSHOT)
    con = q.console(dom)
    con.wait_ready(60)
    assert marker(con) == "before-snapshot"

    # HALT: the snapshot is taken, then the domain stops.
    vb.clear_signals()
    s2 = create(q, dom, "s2", CREATE_HALT)
    q.wait_event(dom, EV_STOPPED, STOPPED_FROM_SNAPSHOT, timeout=30, console=con)
    con.close()
    assert q.state(dom) == (SHUTOFF, SHUTOFF_FROM_SNAPSHOT)
    assert snap_name(q, vb.call1(s2, SNAP, "GetParent", "u", 0)) == "s1"
    assert image_tags(img) == ["s1", "s2"]
    # Deleting from the shut-off domain uses qemu-img.
    vb.call(s2, SNAP, "Delete", "u", 0, timeout=LONG)
    assert image_tags(img) == ["s1"]
    assert listed(q, dom) == ["s1"]
    assert "CRITICAL" not in vb.read_log()


def test_shutoff_snapshot_and_revert(qemu):
    q, vb = qemu, qemu.vb
    img = make_image(q, "off")
    dom = q.define("snapoff", memory_mib=128, extra_devices=disk_xml(img))
    assert qemu_io(img, "write -P 0x11 0 64k").returncode == 0

    s1 = create(q, dom, "s1")
    xml = vb.call1(s1, SNAP, "GetXMLDesc", "u", 0)
    assert "<state>shutoff</state>" in xml
    assert "<memory snapshot='no'/>" in xml
    assert image_tags(img) == ["s1"]
    assert qemu_pids(q.root) == []

    # New contents and a new definition, then back.
    assert qemu_io(img, "write -P 0x22 0 64k").returncode == 0
    q.connect("DomainDefineXML", "s", guest.domain_xml(
        "snapoff", uuid=vb.properties(dom, DOMAIN)["UUID"], memory_mib=96, extra_devices=disk_xml(img)))
    assert "<memory unit='KiB'>98304</memory>" in q.dom(dom, "GetXMLDesc", "u", 0)[0]
    vb.clear_signals()
    vb.call(s1, SNAP, "Revert", "u", 0, timeout=LONG)
    assert qemu_io(img, "read -P 0x11 0 64k").returncode == 0
    assert qemu_io(img, "read -P 0x22 0 64k").returncode != 0
    assert "<memory unit='KiB'>131072</memory>" in q.dom(dom, "GetXMLDesc", "u", 0)[0]
    assert (EV_DEFINED, DEFINED_FROM_SNAPSHOT) in q.events(dom)
    assert q.state(dom)[0] == SHUTOFF
    with open(os.path.join(q.config_dir, "snapoff.xml")) as f:
        assert "<memory unit='KiB'>131072</memory>" in f.read()

    # RUNNING: reverted, then booted.
    vb.clear_signals()
    vb.call(s1, SNAP, "Revert", "u", REVERT_RUNNING, timeout=LONG)
    q.wait_event(dom, EV_STARTED, STARTED_FROM_SNAPSHOT, timeout=5)
    assert q.state(dom) == (RUNNING, RUNNING_FROM_SNAPSHOT)
    # Reverting the running domain to the shut-off snapshot stops it.
    vb.clear_signals()
    vb.call(s1, SNAP, "Revert", "u", 0, timeout=LONG)
    q.wait_event(dom, EV_STOPPED, STOPPED_FROM_SNAPSHOT, timeout=5)
    assert q.state(dom) == (SHUTOFF, SHUTOFF_FROM_SNAPSHOT)
    assert qemu_pids(q.root) == []


def test_tree_current_and_delete(qemu):
    q, vb = qemu, qemu.vb
    img = make_image(q, "tree")
    dom = q.define("snaptree", extra_devices=disk_xml(img))

    name, msg = vb.error(dom, DOMAIN, "SnapshotCurrent", "u", 0)
    assert name == "org.libvirt.Error" and "no current snapshot" in msg
    s1 = create(q, dom, "s1")
    s2 = create(q, dom, "s2")
    assert snap_name(q, vb.call1(s2, SNAP, "GetParent", "u", 0)) == "s1"
    vb.call(s1, SNAP, "Revert", "u", 0, timeout=LONG)
    assert current(q, dom) == "s1"
    s3 = create(q, dom, "s3")
    assert current(q, dom) == "s3"
    assert vb.call1(s1, SNAP, "IsCurrent", "u", 0) is False
    assert vb.call1(s3, SNAP, "IsCurrent", "u", 0) is True

    assert snap_name(q, vb.call1(s3, SNAP, "GetParent", "u", 0)) == "s1"
    name, msg = vb.error(s1, SNAP, "GetParent", "u", 0)
    assert name == "org.libvirt.Error" and "does not have a parent" in msg
    assert listed(q, dom) == ["s1", "s2", "s3"]
    assert listed(q, dom, LIST_ROOTS) == ["s1"]
    assert listed(q, dom, LIST_LEAVES) == ["s2", "s3"]
    assert listed(q, dom, LIST_NO_LEAVES) == ["s1"]
    assert listed(q, dom, LIST_INACTIVE) == ["s1", "s2", "s3"]
    assert listed(q, dom, LIST_ACTIVE) == []
    topo = [snap_name(q, p) for p in vb.call1(dom, DOMAIN, "ListDomainSnapshots", "u", LIST_TOPOLOGICAL)]
    assert topo[0] == "s1" and sorted(topo) == ["s1", "s2", "s3"]
    assert names(q, vb.call1(s1, SNAP, "ListChildren", "u", 0)) == ["s2", "s3"]
    s4 = create(q, dom, "s4")
    assert names(q, vb.call1(s1, SNAP, "ListChildren", "u", 0)) == ["s2", "s3"]
    assert names(q, vb.call1(s1, SNAP, "ListChildren", "u", LIST_DESCENDANTS)) == ["s2", "s3", "s4"]
    assert image_tags(img) == ["s1", "s2", "s3", "s4"]

    # Without flags the children move up to the deleted snapshot's parent.
    vb.call(s1, SNAP, "Delete", "u", 0, timeout=LONG)
    assert listed(q, dom, LIST_ROOTS) == ["s2", "s3"]
    assert image_tags(img) == ["s2", "s3", "s4"]
    name, msg = vb.error(s2, SNAP, "GetParent", "u", 0)
    assert name == "org.libvirt.Error"
    # The old path is stale now.
    name, msg = vb.error(s1, SNAP, "Revert", "u", 0)
    assert name == "org.freedesktop.DBus.Error.UnknownMethod", (name, msg)
    assert "does not exist" in msg and "Revert" in msg, msg
    # CHILDREN: the subtree goes, current (s4) moves up past it.
    assert current(q, dom) == "s4"
    vb.call(s3, SNAP, "Delete", "u", DELETE_CHILDREN, timeout=LONG)
    assert listed(q, dom) == ["s2"]
    assert image_tags(img) == ["s2"]
    name, msg = vb.error(dom, DOMAIN, "SnapshotCurrent", "u", 0)
    assert name == "org.libvirt.Error"
    assert s4 not in vb.managed_objects()
    name, _ = vb.error(s4, SNAP, "GetXMLDesc", "u", 0)
    assert name == "org.freedesktop.DBus.Error.UnknownMethod"
    # NO_METADATA: data in the image, no object to find later.
    loose = create(q, dom, "loose", CREATE_NO_METADATA)
    assert loose.endswith("_loose") and loose not in vb.managed_objects()
    assert image_tags(img) == ["loose", "s2"]
    assert listed(q, dom) == ["s2"]
    subprocess.run(["qemu-img", "snapshot", "-d", "loose", img], check=True)
    # METADATA_ONLY keeps the data in the image.
    vb.call(s2, SNAP, "Delete", "u", DELETE_METADATA_ONLY)
    assert listed(q, dom) == []
    assert image_tags(img) == ["s2"]


def test_metadata_survives_daemon_restart(qemu):
    q, vb = qemu, qemu.vb
    img = make_image(q, "keep")
    dom = q.define("snapkeep", extra_devices=disk_xml(img))
    s1 = create(q, dom, "s1")
    s2 = create(q, dom, ".hidden two")
    xml2 = vb.call1(s2, SNAP, "GetXMLDesc", "u", 0)

    assert vb.stop() == 0
    vb.clear_signals()
    vb.start()
    assert listed(q, dom) == [".hidden two", "s1"]
    assert lookup(q, dom, "s1") == s1
    assert current(q, dom) == ".hidden two"
    assert vb.call1(s2, SNAP, "GetXMLDesc", "u", 0) == xml2
    assert snap_name(q, vb.call1(s2, SNAP, "GetParent", "u", 0)) == "s1"
    objs = vb.managed_objects()
    assert SNAP in objs[s1] and SNAP in objs[s2]


def test_failures_and_undefine(qemu):
    q, vb = qemu, qemu.vb
    raw = make_image(q, "plain", fmt="raw")
    bad = q.define("snapraw", extra_devices=disk_xml(raw, fmt="raw"))
    name, msg = vb.error(bad, DOMAIN, "SnapshotCreateXML", "su", snap_xml("x"), 0)
    assert name == "org.libvirt.Error"
    assert "vda" in msg and "qcow2" in msg and "raw" in msg
    assert listed(q, bad) == []

    img = make_image(q, "good")
    dom = q.define("snapfail", extra_devices=disk_xml(img))
    name, msg = vb.error(dom, DOMAIN, "SnapshotCreateXML", "su",
                         "<domainsnapshot><name>x</name><memory snapshot='external' file='/tmp/m'/></domainsnapshot>",
                         0)
    assert name == "org.libvirt.Error" and "is not running: it has no memory state" in msg
    name, msg = vb.error(dom, DOMAIN, "SnapshotCreateXML", "su", snap_xml("x"), 1 << 6)  # QUIESCE
    assert name == "org.libvirt.Error" and "QUIESCE is for disk-only (external) snapshots" in msg
    name, msg = vb.error(dom, DOMAIN, "SnapshotCreateXML", "su", snap_xml("x"), CREATE_DISK_ONLY | (1 << 6))
    assert name == "org.libvirt.Error" and "QUIESCE needs domain 'snapfail' running" in msg
    name, msg = vb.error(dom, DOMAIN, "SnapshotCreateXML", "su", snap_xml("x"), CREATE_CURRENT)
    assert name == "org.libvirt.Error" and "REDEFINE" in msg
    name, msg = vb.error(dom, DOMAIN, "SnapshotCreateXML", "su", snap_xml("x"), 1 << 20)
    assert name == "org.libvirt.Error"
    name, msg = vb.error(dom, DOMAIN, "SnapshotLookupByName", "su", "nope", 0)
    assert name == "org.libvirt.Error" and "nope" in msg

    s1 = create(q, dom, "s1")
    name, msg = vb.error(dom, DOMAIN, "SnapshotCreateXML", "su", snap_xml("s1"), 0)
    assert name == "org.libvirt.Error" and "already exists" in msg
    # A snapshot whose data is gone from the image: qemu-img's error.
    subprocess.run(["qemu-img", "snapshot", "-d", "s1", img], check=True)
    name, msg = vb.error(s1, SNAP, "Revert", "u", 0)
    assert name == "org.libvirt.Error" and "s1" in msg and "qemu-img" in msg

    name, msg = vb.error(dom, DOMAIN, "Rename", "su", "other", 0)
    assert name == "org.libvirt.Error" and "snapshots" in msg
    name, msg = vb.error(dom, DOMAIN, "Undefine", "u", 0)
    assert name == "org.libvirt.Error" and "snapshots" in msg
    assert vb.properties(dom, DOMAIN)["Name"] == "snapfail"
    vb.clear_signals()
    q.dom(dom, "Undefine", "u", UNDEFINE_SNAPSHOTS_METADATA)
    q.wait_event(dom, EV_UNDEFINED, 0, timeout=5)
    assert s1 not in vb.managed_objects()
    # The metadata is gone with it: a new domain with the same uuid has none.
    snapdir = os.path.join(q.root, "data", "virtbus", "qemu", "snapshot")
    leftovers = []
    for dirpath, _, files in os.walk(snapdir) if os.path.isdir(snapdir) else []:
        leftovers += files
    assert leftovers == []


# ---- external (disk-only) snapshots ----

CREATE_REUSE_EXT = 32


def chain_of(q, dom, flags=0):
    """The <source file=> paths of vda in the domain's XML, top first."""
    import re
    text = q.vb.call1(dom, DOMAIN, "GetXMLDesc", "u", flags)
    d = re.search(r"<disk.*?</disk>", text, re.S).group(0)
    return re.findall(r"<source file='([^']*)'", d)


def backing_of(path):
    import json
    info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", path], check=True,
                                     capture_output=True, text=True).stdout)
    return info.get("full-backing-filename")


def ext_xml(name, disk="", memory=""):
    return f"<domainsnapshot><name>{name}</name>{memory}<disks>{disk}</disks></domainsnapshot>"


def test_external_disk_only_snapshots_of_a_running_domain(qemu):
    q, vb = qemu, qemu.vb
    img = make_image(q, "ext")
    assert qemu_io(img, "write -q -P 0xa0 0 1M").returncode == 0
    dom = q.define("extvm", extra_devices=disk_xml(img))
    q.dom(dom, "Create", "u", 1, timeout=LONG)  # paused: the disks are what matters
    overlay = os.path.join(q.root, "ext.e1")

    for xml, flags, msg in [
            # No agent to freeze the file systems (test_qemu_agent.py has the agent's).
            (snap_xml("e0"), CREATE_DISK_ONLY | (1 << 6),
             "cannot create snapshot 'e0' of domain 'extvm': freezing the guest's file systems: domain 'extvm' "),
            (ext_xml("e0", "<disk name='vda' snapshot='external'/>"), 0, "either saves its memory too"),
            (ext_xml("e0", memory="<memory snapshot='external' file='/tmp/m'/>"), CREATE_DISK_ONLY,
             "DISK_ONLY excludes"),
            (ext_xml("e0", "<disk name='vda' snapshot='internal'/>"), CREATE_DISK_ONLY, "cannot be mixed"),
            (ext_xml("e0", "<disk name='vda'><source file='rel.qcow2'/></disk>"), CREATE_DISK_ONLY,
             "not an absolute path"),
            (ext_xml("e0", "<disk name='vdz'/>"), CREATE_DISK_ONLY, "no disk named 'vdz'"),
            (snap_xml("e0"), CREATE_REUSE_EXT, "REUSE_EXT is for external"),
            (snap_xml("e0"), CREATE_DISK_ONLY | CREATE_REUSE_EXT, "does not exist")]:
        name, text = vb.error(dom, DOMAIN, "SnapshotCreateXML", "su", xml, flags)
        assert name == "org.libvirt.Error" and msg in text, (xml, flags, text)
    open(overlay, "w").close()
    name, text = vb.error(dom, DOMAIN, "SnapshotCreateXML", "su", snap_xml("e1"), CREATE_DISK_ONLY)
    assert "exists: pass REUSE_EXT" in text
    os.unlink(overlay)
    assert listed(q, dom) == [] and chain_of(q, dom) == [img]

    # The default overlay: the image's path with the snapshot's name.
    e1 = create(q, dom, "e1", CREATE_DISK_ONLY)
    assert os.path.exists(overlay) and backing_of(overlay) == img
    assert chain_of(q, dom) == [overlay, img]
    assert chain_of(q, dom, 2) == [overlay]  # the config writes there too
    x = vb.call1(e1, SNAP, "GetXMLDesc", "u", 0)
    assert "<state>disk-snapshot</state>" in x and "snapshot='external'" in x and overlay in x
    validate(x, "domainsnapshot.rng")
    validate(q.dom(dom, "GetXMLDesc", "u", 0)[0], "domain.rng")
    # A second one, named: the chain grows; e1 is its parent.
    second = os.path.join(q.root, "ext-2.qcow2")
    e2 = q.vb.call1(dom, DOMAIN, "SnapshotCreateXML", "su",
                    ext_xml("e2", f"<disk name='vda' snapshot='external'><source file='{second}'/></disk>"),
                    CREATE_DISK_ONLY, timeout=LONG)
    assert chain_of(q, dom) == [second, overlay, img]
    assert vb.call1(e2, SNAP, "GetParent", "u", 0) == e1
    # Writes go to the top; the snapshot's images keep their data.
    q.dom(dom, "BlockResize", "stu", "vda", 24 * 1024, 0)

    name, text = vb.error(e1, SNAP, "Revert", "u", 0)
    assert "external" in text and "not supported" in text
    name, text = vb.error(e1, SNAP, "Delete", "u", DELETE_CHILDREN)
    assert "together with their children" in text and os.path.exists(second)
    vb.call(e2, SNAP, "Delete", "u", DELETE_METADATA_ONLY)
    assert listed(q, dom) == ["e1"] and os.path.exists(second)

    # The metadata survives a daemon restart; the next boot opens the chain.
    q.dom(dom, "Destroy", "u", 0)
    vb.stop()
    vb.start()
    assert listed(q, dom) == ["e1"]
    assert chain_of(q, dom) == [second]
    q.dom(dom, "Create", "u", 1, timeout=LONG)
    deadline = time.monotonic() + 10
    while chain_of(q, dom) != [second, overlay, img]:
        assert time.monotonic() < deadline, chain_of(q, dom)
        time.sleep(0.05)
    q.dom(dom, "Destroy", "u", 0)
    assert "24 MiB" in subprocess.run(["qemu-img", "info", second], capture_output=True, text=True).stdout
    assert "16 MiB" in subprocess.run(["qemu-img", "info", img], capture_output=True, text=True).stdout
    assert qemu_io(second, "read -q -P 0xa0 0 1M").returncode == 0


def test_external_snapshot_of_a_shut_off_domain(qemu):
    q, vb = qemu, qemu.vb
    img = make_image(q, "off")
    dom = q.define("offvm", extra_devices=disk_xml(img))
    top = os.path.join(q.root, "off-top.qcow2")
    # qemu-img's failure leaves nothing: no overlay, the config unchanged.
    bad = os.path.join(q.root, "missing-dir", "x.qcow2")
    name, text = vb.error(dom, DOMAIN, "SnapshotCreateXML", "su",
                          ext_xml("s0", f"<disk name='vda' snapshot='external'><source file='{bad}'/></disk>"), 0)
    assert name == "org.libvirt.Error" and "qemu-img" in text
    assert chain_of(q, dom) == [img] and listed(q, dom) == []

    s1 = q.vb.call1(dom, DOMAIN, "SnapshotCreateXML", "su",
                    ext_xml("s1", f"<disk name='vda' snapshot='external'><source file='{top}'/></disk>"), 0,
                    timeout=LONG)
    assert "<state>shutoff</state>" in vb.call1(s1, SNAP, "GetXMLDesc", "u", 0)
    assert chain_of(q, dom) == [top] and backing_of(top) == img
    # REUSE_EXT: an overlay made by hand.
    mine = os.path.join(q.root, "mine.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", top, mine], check=True)
    q.vb.call1(dom, DOMAIN, "SnapshotCreateXML", "su",
               ext_xml("s2", f"<disk name='vda'><source file='{mine}'/></disk>"),
               CREATE_DISK_ONLY | CREATE_REUSE_EXT, timeout=LONG)
    assert chain_of(q, dom) == [mine]
    assert listed(q, dom) == ["s1", "s2"]


# ---- deleting external snapshots: their overlays merged down ----

MIB = 1024 * 1024
JOB_COMMIT, JOB_ACTIVE_COMMIT = 3, 4
JOB_COMPLETED, JOB_READY = 0, 3


def patterns_ok(path, fmt="qcow2", **at):
    """Every {offset MiB: byte} of @at reads back from the image at @path."""
    for mib, byte in at.items():
        r = subprocess.run(["qemu-io", "-f", fmt, "-c", "read -q -P 0x%x %dM 1M" % (byte, int(mib[1:])), path],
                           capture_output=True, text=True)
        if r.returncode != 0 or "Pattern verification failed" in r.stdout + r.stderr:
            return False
    return True


def snapshot_domain_xml(q, snap):
    return q.vb.call1(snap, SNAP, "GetXMLDesc", "u", 0).split("<domain", 1)[1]


def two_external_snapshots(q, name, size="16M"):
    """A shut-off domain on image 0xa0 at 0 with external snapshots s1 and
    s2 (overlays o1: 0xb1 at 1M, o2: 0xc2 at 2M) -> (dom, img, o1, o2, s1, s2)."""
    img = make_image(q, name, size=size)
    assert qemu_io(img, "write -q -P 0xa0 0 1M").returncode == 0
    dom = q.define(name + "vm", extra_devices=disk_xml(img))
    o1, o2 = os.path.join(q.root, name + "-o1.qcow2"), os.path.join(q.root, name + "-o2.qcow2")
    s1 = q.vb.call1(dom, DOMAIN, "SnapshotCreateXML", "su",
                    ext_xml("s1", f"<disk name='vda' snapshot='external'><source file='{o1}'/></disk>"), 0,
                    timeout=LONG)
    assert qemu_io(o1, "write -q -P 0xb1 1M 1M").returncode == 0
    s2 = q.vb.call1(dom, DOMAIN, "SnapshotCreateXML", "su",
                    ext_xml("s2", f"<disk name='vda' snapshot='external'><source file='{o2}'/></disk>"), 0,
                    timeout=LONG)
    assert qemu_io(o2, "write -q -P 0xc2 2M 1M").returncode == 0
    assert backing_of(o2) == o1 and backing_of(o1) == img
    return dom, img, o1, o2, s1, s2


def test_deleting_external_snapshots_of_a_running_domain(qemu):
    from test_qemu_hotplug import wait_domain_signal
    q, vb = qemu, qemu.vb
    dom, img, o1, o2, s1, s2 = two_external_snapshots(q, "mrun")
    q.dom(dom, "Create", "u", 1, timeout=LONG)  # paused
    deadline = time.monotonic() + 10
    while chain_of(q, dom) != [o2, o1, img]:
        assert time.monotonic() < deadline, chain_of(q, dom)
        time.sleep(0.05)
    assert current(q, dom) == "s2"
    # s2 is the current leaf, so s1 has its one child: both may go; with
    # CHILDREN they may not.
    name, text = vb.error(s1, SNAP, "Delete", "u", DELETE_CHILDREN)
    assert "together with their children" in text and os.path.exists(o1)

    # s1, below the top: its overlay o1 is committed into img (a commit,
    # not an active one), o2 now sits on img, and s2 says so.
    vb.clear_signals()
    vb.call(s1, SNAP, "Delete", "u", 0, timeout=LONG)
    wait_domain_signal(q, "BlockJob", dom, ("vda", JOB_COMMIT, JOB_COMPLETED))
    assert not os.path.exists(o1)
    assert chain_of(q, dom) == [o2, img] and chain_of(q, dom, 2) == [o2]
    assert backing_of(o2) == img
    assert listed(q, dom) == ["s2"] and current(q, dom) == "s2"
    assert vb.error(s2, SNAP, "GetParent", "u", 0)[0] == "org.libvirt.Error"
    assert f"<source file='{img}'/>" in snapshot_domain_xml(q, s2) and o1 not in snapshot_domain_xml(q, s2)
    validate(vb.call1(s2, SNAP, "GetXMLDesc", "u", 0), "domainsnapshot.rng")

    # s2, the disk's active layer: an active commit that pivots onto img.
    vb.call(s2, SNAP, "Delete", "u", 0, timeout=LONG)
    wait_domain_signal(q, "BlockJob", dom, ("vda", JOB_ACTIVE_COMMIT, JOB_READY))
    wait_domain_signal(q, "BlockJob", dom, ("vda", JOB_ACTIVE_COMMIT, JOB_COMPLETED))
    assert not os.path.exists(o2)
    assert chain_of(q, dom) == [img] and chain_of(q, dom, 2) == [img]
    assert listed(q, dom) == []
    name, text = vb.error(dom, DOMAIN, "SnapshotCurrent", "u", 0)
    assert "no current snapshot" in text or "snapshot" in text
    validate(q.dom(dom, "GetXMLDesc", "u", 0)[0], "domain.rng")
    # No block job is left, the domain goes on.
    assert tuple(q.dom(dom, "GetBlockJobInfo", "su", "vda", 0)[0]) == (0, 0, 0, 0)
    q.dom(dom, "Resume", "", timeout=LONG)
    q.dom(dom, "Destroy", "u", 0)
    # Nothing of the data is lost: all three writes are in img now.
    assert patterns_ok(img, M0=0xa0, M1=0xb1, M2=0xc2)
    # After a restart the domain still boots from img alone.
    vb.stop()
    vb.start()
    assert listed(q, dom) == [] and chain_of(q, dom) == [img]


def test_deleting_external_snapshots_of_a_shut_off_domain(qemu):
    q, vb = qemu, qemu.vb
    img = make_image(q, "moff")
    assert qemu_io(img, "write -q -P 0xa0 0 1M").returncode == 0
    dom = q.define("moffvm", extra_devices=disk_xml(img))
    # An internal snapshot first: it stays in img through the merges.
    create(q, dom, "i0")
    o1, o2 = os.path.join(q.root, "moff-o1.qcow2"), os.path.join(q.root, "moff-o2.qcow2")
    s1 = vb.call1(dom, DOMAIN, "SnapshotCreateXML", "su",
                  ext_xml("s1", f"<disk name='vda' snapshot='external'><source file='{o1}'/></disk>"), 0,
                  timeout=LONG)
    assert qemu_io(o1, "write -q -P 0xb1 1M 1M").returncode == 0
    s2 = vb.call1(dom, DOMAIN, "SnapshotCreateXML", "su",
                  ext_xml("s2", f"<disk name='vda' snapshot='external'><source file='{o2}'/></disk>"), 0,
                  timeout=LONG)
    assert qemu_io(o2, "write -q -P 0xc2 2M 1M").returncode == 0
    i0 = lookup(q, dom, "i0")
    # Reverting to i0 would write img under s1's overlay.
    name, text = vb.error(i0, SNAP, "Revert", "u", 0)
    assert "under the overlay" in text and "delete 's1' first" in text
    # An internal snapshot in o2 (below s2) keeps s2 from being merged.
    i3 = create(q, dom, "i3")
    assert image_tags(o2) == ["i3"]
    name, text = vb.error(s2, SNAP, "Delete", "u", 0)
    assert "'i3'" in text and "internal" in text and os.path.exists(o2)
    name, text = vb.error(s1, SNAP, "Delete", "u", DELETE_CHILDREN_ONLY)
    assert "one at a time" in text
    vb.call(i3, SNAP, "Delete", "u", 0, timeout=LONG)
    assert image_tags(o2) == []

    # s1 in the middle: o1 into img, o2 rebased onto img.
    vb.call(s1, SNAP, "Delete", "u", 0, timeout=LONG)
    assert not os.path.exists(o1) and backing_of(o2) == img
    assert chain_of(q, dom) == [o2] and listed(q, dom) == ["i0", "s2"]
    assert vb.call1(s2, SNAP, "GetParent", "u", 0) == i0
    assert f"<source file='{img}'/>" in snapshot_domain_xml(q, s2)
    assert patterns_ok(o2, M0=0xa0, M1=0xb1, M2=0xc2)
    assert image_tags(img) == ["i0"]
    # s2 on top: the config goes back to img.
    vb.call(s2, SNAP, "Delete", "u", 0, timeout=LONG)
    assert not os.path.exists(o2) and chain_of(q, dom) == [img]
    assert f"type='qcow2'" in q.dom(dom, "GetXMLDesc", "u", 2)[0]
    assert listed(q, dom) == ["i0"] and current(q, dom) == "i0"
    assert patterns_ok(img, M0=0xa0, M1=0xb1, M2=0xc2)
    # Nothing is under an overlay any more: i0 may be reverted to, and it
    # still has img as it was (0xa0 only).
    vb.call(i0, SNAP, "Revert", "u", 0, timeout=LONG)
    assert patterns_ok(img, M0=0xa0) and not patterns_ok(img, M1=0xb1)


def test_external_delete_failures_leave_everything(qemu):
    q, vb = qemu, qemu.vb
    dom, img, o1, o2, s1, s2 = two_external_snapshots(q, "mbad")
    # The overlay is not where the snapshot says (a chain changed by hand):
    # refused before anything is touched.
    moved = o1 + ".moved"
    os.rename(o1, moved)
    name, text = vb.error(s1, SNAP, "Delete", "u", 0)
    assert name == "org.libvirt.Error" and "backing chain" in text
    os.rename(moved, o1)
    assert backing_of(o2) == o1 and listed(q, dom) == ["s1", "s2"]
    # qemu-img cannot commit (another process holds img's write lock):
    # nothing merged, both snapshots kept.
    # (Its answer to a command says it has the image open; polling with
    # qemu-img instead would race it for the lock.)
    holder = subprocess.Popen(["qemu-io", "-f", "qcow2", img], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        holder.stdin.write(b"length\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip().endswith(b"16 MiB")
        assert subprocess.run(["qemu-img", "info", img], capture_output=True).returncode != 0
        name, text = vb.error(s1, SNAP, "Delete", "u", 0)
    finally:
        holder.stdin.close()
        holder.wait()
    assert "cannot delete snapshot 's1'" in text and "qemu-img commit failed" in text, text
    assert os.path.exists(o1) and backing_of(o2) == o1 and listed(q, dom) == ["s1", "s2"]
    assert patterns_ok(o2, M0=0xa0, M1=0xb1, M2=0xc2)
    assert glob.glob(os.path.join(q.root, "data", "virtbus", "qemu", "snapshot", "*", "deleting")) == []
    # Afterwards it works.
    vb.call(s1, SNAP, "Delete", "u", 0, timeout=LONG)
    assert not os.path.exists(o1) and backing_of(o2) == img


def marker_files(q):
    return glob.glob(os.path.join(q.root, "data", "virtbus", "qemu", "snapshot", "*", "deleting"))


def delete_until_merging(q, name, snap):
    """Sends Delete of @snap (domain @name) without waiting for its reply
    and returns once QEMU runs its merge (the daemon's runtime state says
    so), with the list the reply will be appended to."""
    from gi.repository import GLib
    state = os.path.join(q.run_dir, name + ".state")
    replies = []
    q.vb.connection.call("org.libvirt", snap, SNAP, "Delete", GLib.Variant("(u)", (0,)), None, 0, LONG, None,
                         lambda conn, res, data: replies.append(res), None)
    deadline = time.monotonic() + 20
    while True:
        q.vb.pump()
        with open(state) as f:
            if '"merge"' in f.read():
                return replies
        assert time.monotonic() < deadline and not replies
        time.sleep(0.002)


def test_external_delete_cut_short_while_shut_off(qemu):
    """A daemon that ends after merging s1's overlay but before it forgot s1
    (what SIGKILL between qemu-img and the metadata leaves): the next one
    finishes the deletion from the images."""
    q, vb = qemu, qemu.vb
    dom, img, o1, o2, s1, s2 = two_external_snapshots(q, "mcut")
    vb.stop()
    subprocess.run(["qemu-img", "commit", "-q", "-d", o1], check=True)
    subprocess.run(["qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "qcow2", "-b", img, o2], check=True)
    os.unlink(o1)
    (snapdir,) = glob.glob(os.path.join(q.root, "data", "virtbus", "qemu", "snapshot", "*"))
    with open(os.path.join(snapdir, "deleting"), "w") as f:
        f.write("s1")
    vb.start()
    assert listed(q, dom) == ["s2"] and current(q, dom) == "s2"
    assert f"<source file='{img}'/>" in snapshot_domain_xml(q, lookup(q, dom, "s2"))
    assert marker_files(q) == []
    # A marker for a snapshot whose overlays are all still there (the
    # daemon ended before any merge): the snapshot stays, the marker goes.
    vb.stop()
    with open(os.path.join(snapdir, "deleting"), "w") as f:
        f.write("s2")
    vb.start()
    assert listed(q, dom) == ["s2"] and marker_files(q) == []
    vb.call(lookup(q, dom, "s2"), SNAP, "Delete", "u", 0, timeout=LONG)
    assert listed(q, dom) == [] and chain_of(q, dom) == [img]
    assert patterns_ok(img, M0=0xa0, M1=0xb1, M2=0xc2)


def test_external_delete_cut_short_while_running(qemu):
    """SIGKILL while QEMU commits s2's overlay (the disk's top, 512 MiB of
    data): QEMU goes on, the next daemon finds the merge, pivots it once
    ready, removes the overlay and forgets s2."""
    from test_qemu_hotplug import wait_domain_signal
    q, vb = qemu, qemu.vb
    dom, img, o1, o2, s1, s2 = two_external_snapshots(q, "mkill", size="1G")
    assert qemu_io(o2, "write -q -P 0xd3 256M 512M").returncode == 0
    vb.call(s1, SNAP, "Delete", "u", 0, timeout=LONG)  # shut off: qemu-img
    q.dom(dom, "Create", "u", 1, timeout=LONG)
    deadline = time.monotonic() + 10
    while chain_of(q, dom) != [o2, img]:
        assert time.monotonic() < deadline, chain_of(q, dom)
        time.sleep(0.05)
    delete_until_merging(q, "mkillvm", s2)
    assert marker_files(q) != []
    vb.kill_and_restart()
    wait_domain_signal(q, "BlockJob", dom, ("vda", JOB_ACTIVE_COMMIT, JOB_COMPLETED), timeout=120)
    deadline = time.monotonic() + 10
    while listed(q, dom) != []:
        assert time.monotonic() < deadline, listed(q, dom)
        time.sleep(0.05)
    assert not os.path.exists(o2) and marker_files(q) == []
    assert chain_of(q, dom) == [img] and chain_of(q, dom, 2) == [img]
    q.dom(dom, "Destroy", "u", 0)
    assert patterns_ok(img, M0=0xa0, M1=0xb1, M2=0xc2, M256=0xd3, M767=0xd3)


def test_external_delete_of_a_domain_that_stops_meanwhile(qemu):
    """Destroy while the overlay's commit runs: Delete fails and says so,
    the snapshot and its overlay stay (the data all there), and Delete on
    the shut-off domain then merges with qemu-img."""
    from gi.repository import GLib
    q, vb = qemu, qemu.vb
    dom, img, o1, o2, s1, s2 = two_external_snapshots(q, "mstop", size="1G")
    assert qemu_io(o2, "write -q -P 0xd3 256M 512M").returncode == 0
    q.dom(dom, "Create", "u", 1, timeout=LONG)
    deadline = time.monotonic() + 10
    while chain_of(q, dom) != [o2, o1, img]:
        assert time.monotonic() < deadline, chain_of(q, dom)
        time.sleep(0.05)
    replies = delete_until_merging(q, "mstopvm", s2)
    q.dom(dom, "Destroy", "u", 0)
    deadline = time.monotonic() + 20
    while not replies:
        assert time.monotonic() < deadline
        vb.pump(0.02)
    with pytest.raises(GLib.Error) as info:
        vb.connection.call_finish(replies[0])
    # QEMU cancels its jobs as it quits (or the daemon sees it gone first).
    text = info.value.message
    assert "cannot delete snapshot 's2'" in text and ("was cancelled" in text or "stopped before" in text), text
    assert listed(q, dom) == ["s1", "s2"] and os.path.exists(o2) and chain_of(q, dom) == [o2]
    assert marker_files(q) == []
    assert patterns_ok(o2, M0=0xa0, M1=0xb1, M2=0xc2, M256=0xd3)
    vb.call(s2, SNAP, "Delete", "u", 0, timeout=LONG)
    assert not os.path.exists(o2) and chain_of(q, dom) == [o1] and listed(q, dom) == ["s1"]
    assert patterns_ok(o1, M0=0xa0, M1=0xb1, M2=0xc2, M256=0xd3, M767=0xd3)


def test_virtbusctl_external_snapshots(qemu):
    from test_virtbusctl import OK, USAGE, run
    q, vb = qemu, qemu.vb
    img = make_image(q, "ctl")
    assert qemu_io(img, "write -q -P 0xa0 0 1M").returncode == 0
    dom = q.define("ctlvm", extra_devices=disk_xml(img))
    q.dom(dom, "Create", "u", 1, timeout=LONG)
    ov = os.path.join(q.root, "ctl,top.qcow2")  # a comma, written ",," in the spec

    def ctl(*args):
        return run(vb, "-c", "qemu:///session", *args, timeout=120)

    for spec, msg in [("vda,bogus=1", "unknown field 'bogus=1'"), (",file=/x", "names no disk"),
                      ("vda,stype=net", "stype is file or block")]:
        r = ctl("snapshot-create-as", "ctlvm", "x", "--disk-only", "--diskspec", spec)
        assert r.returncode == USAGE and msg in r.stderr, (spec, r.stderr)
    r = ctl("snapshot-create-as", "ctlvm", "x1", "--disk-only", "--diskspec",
            "vda,snapshot=external,driver=qcow2,file=" + ov.replace(",", ",,"))
    assert r.returncode == OK, r.stderr
    assert chain_of(q, dom) == [ov, img] and backing_of(ov) == img
    assert "<state>disk-snapshot</state>" in vb.call1(lookup(q, dom, "x1"), SNAP, "GetXMLDesc", "u", 0)
    r = ctl("snapshot-delete", "ctlvm", "x1", "--children")
    assert r.returncode != OK and "together with their children" in r.stderr
    # A child taken while running: its definition has ov with img below.
    assert ctl("snapshot-create-as", "ctlvm", "x1c", "--disk-only").returncode == OK
    child_top = chain_of(q, dom)[0]
    assert chain_of(q, dom) == [child_top, ov, img]
    r = ctl("snapshot-delete", "ctlvm", "x1")
    assert r.returncode == OK and "Domain snapshot x1 deleted" in r.stdout, r.stderr
    assert not os.path.exists(ov) and chain_of(q, dom) == [child_top, img] and listed(q, dom) == ["x1c"]
    # x1c's live definition (taken while running: with the chain) names
    # img once, as its disk's image, with no chain left below it; its
    # inactive one names it as its image too.
    child_xml = snapshot_domain_xml(q, lookup(q, dom, "x1c"))
    live, inactive = child_xml.split("</domain>", 1)
    assert live.count(img) == 1 and f"<source file='{img}'" in live and ov not in child_xml
    assert "<inactiveDomain" in inactive and f"<source file='{img}'/>" in inactive
    validate(vb.call1(lookup(q, dom, "x1c"), SNAP, "GetXMLDesc", "u", 0), "domainsnapshot.rng")
    assert ctl("snapshot-delete", "ctlvm", "x1c").returncode == OK
    assert not os.path.exists(child_top) and chain_of(q, dom) == [img] and listed(q, dom) == []
    # --metadata keeps the overlay.
    assert ctl("snapshot-create-as", "ctlvm", "x2", "--disk-only").returncode == OK
    top = chain_of(q, dom)[0]
    assert ctl("snapshot-delete", "ctlvm", "x2", "--metadata").returncode == OK
    assert os.path.exists(top) and chain_of(q, dom) == [top, img] and listed(q, dom) == []
    # --memspec: the memory too (here alone: the disk gets no overlay).
    for spec, msg in [("", "names no file"), ("/m,bogus=1", "unknown field 'bogus=1'")]:
        r = ctl("snapshot-create-as", "ctlvm", "x", "--memspec", spec)
        assert r.returncode == USAGE and msg in r.stderr, (spec, r.stderr)
    r = ctl("snapshot-create-as", "ctlvm", "x", "--memspec", ",snapshot=external")
    assert r.returncode == 1 and "an external memory snapshot needs a 'file'" in r.stderr, r.stderr
    mem = os.path.join(q.root, "ctl,mem")
    r = ctl("snapshot-create-as", "ctlvm", "x3", "--memspec", "file=" + mem.replace(",", ",,"),
            "--diskspec", "vda,snapshot=no", "--live")
    assert r.returncode == OK, r.stderr
    x3 = vb.call1(lookup(q, dom, "x3"), SNAP, "GetXMLDesc", "u", 0)
    assert f"<memory snapshot='external' file='{mem}'/>" in x3 and "<state>paused</state>" in x3, x3
    assert os.path.getsize(mem) > 0 and chain_of(q, dom) == [top, img] and q.state(dom)[0] == PAUSED
    assert ctl("snapshot-delete", "ctlvm", "x3").returncode == OK
    assert not os.path.exists(mem) and listed(q, dom) == []
    q.dom(dom, "Destroy", "u", 0)


# ---- external memory snapshots: the guest's state in a save image ----

CREATE_QUIESCE, CREATE_LIVE = 1 << 6, 1 << 8


def mem_xml(name, mem, disk=""):
    return ext_xml(name, disk, f"<memory snapshot='external' file='{mem}'/>")


def wait_state(q, dom, want, timeout=10):
    deadline = time.monotonic() + timeout
    while q.state(dom)[0] != want:
        assert time.monotonic() < deadline, q.state(dom)
        time.sleep(0.05)


def test_external_memory_snapshots_of_a_running_domain(qemu):
    q, vb = qemu, qemu.vb
    img = make_image(q, "mem")
    dom, con = q.boot("memvm", extra_devices=disk_xml(img))
    assert con.run("echo before-snapshot > /tmp/marker")[0] == 0
    mem1 = os.path.join(q.root, "memvm.m1")
    overlay1 = os.path.join(q.root, "mem.m1")

    taken = os.path.join(q.root, "taken")
    open(taken, "w").close()
    for xml, flags, msg in [
            (mem_xml("m1", "rel.mem"), 0, "'rel.mem' is not an absolute path"),
            (mem_xml("m1", taken), 0, "exists: pass REUSE_EXT to overwrite it"),
            (mem_xml("m1", q.root), 0, "is a directory"),
            (mem_xml("m1", img), 0, "is the image of disk 'vda'"),
            (mem_xml("m1", mem1, f"<disk name='vda'><source file='{mem1}'/></disk>"), 0,
             "is the memory state's file"),
            (mem_xml("m1", mem1), CREATE_DISK_ONLY, "DISK_ONLY excludes"),
            (mem_xml("m1", mem1), CREATE_QUIESCE, "QUIESCE is for disk-only snapshots"),
            (mem_xml("m1", mem1, "<disk name='vda' snapshot='internal'/>"), 0, "cannot be mixed"),
            (snap_xml("m1"), CREATE_LIVE, "live snapshot creation is supported only with external memory"),
            (ext_xml("m1", "<disk name='vda' snapshot='external'/>"), 0, "either saves its memory too")]:
        name, text = vb.error(dom, DOMAIN, "SnapshotCreateXML", "su", xml, flags)
        assert name == "org.libvirt.Error" and msg in text, (xml, flags, text)
    # A memory file QEMU cannot be given: nothing is left, the guest runs on.
    name, text = vb.error(dom, DOMAIN, "SnapshotCreateXML", "su", mem_xml("m1", "/nonexistent/dir/m"), 0)
    assert "cannot create snapshot 'm1'" in text and "/nonexistent/dir/m" in text, text
    assert listed(q, dom) == [] and chain_of(q, dom) == [img] and not os.path.exists(overlay1)
    assert q.state(dom)[0] == RUNNING

    vb.clear_signals()
    m1 = q.vb.call1(dom, DOMAIN, "SnapshotCreateXML", "su", mem_xml("m1", mem1), 0, timeout=LONG)
    # Paused while the memory and the disks were taken, then running again.
    q.wait_event(dom, EV_SUSPENDED, SUSPENDED_PAUSED, console=con)
    q.wait_event(dom, EV_RESUMED, RESUMED_UNPAUSED, console=con)
    assert q.state(dom)[0] == RUNNING
    x = vb.call1(m1, SNAP, "GetXMLDesc", "u", 0)
    assert "<state>running</state>" in x and f"<memory snapshot='external' file='{mem1}'/>" in x, x
    assert f"<source file='{overlay1}'/>" in x
    validate(x, "domainsnapshot.rng")
    assert chain_of(q, dom) == [overlay1, img] and chain_of(q, dom, 2) == [overlay1]
    assert backing_of(overlay1) == img
    # The memory file is a save image of the domain as it was (its disk the
    # image under the overlay).
    with open(mem1, "rb") as f:
        assert f.read(16) == b"VirtbusSaveImage"
    saved = vb.call1(QEMU_PATH, CONNECT, "DomainSaveImageGetXMLDesc", "su", mem1, 0)
    assert f"<source file='{img}'/>" in saved and "<name>memvm</name>" in saved
    assert con.run("echo after-snapshot > /tmp/marker")[0] == 0
    assert marker(con) == "after-snapshot"

    # LIVE: the guest runs while its memory is written, then pauses for the disks.
    mem2 = os.path.join(q.root, "memvm.m2")
    overlay2 = os.path.join(q.root, "mem.m2")
    vb.clear_signals()
    m2 = q.vb.call1(dom, DOMAIN, "SnapshotCreateXML", "su", mem_xml("m2", mem2), CREATE_LIVE, timeout=LONG)
    q.wait_event(dom, EV_RESUMED, RESUMED_UNPAUSED, console=con)
    assert q.state(dom)[0] == RUNNING
    assert chain_of(q, dom) == [overlay2, overlay1, img]
    assert vb.call1(m2, SNAP, "GetParent", "u", 0) == m1 and current(q, dom) == "m2"
    assert marker(con) == "after-snapshot"

    # No revert (as libvirt 9.0); deleting m2 merges its overlay and removes its memory.
    name, text = vb.error(m1, SNAP, "Revert", "u", 0)
    assert "external" in text and "not supported" in text
    vb.call(m2, SNAP, "Delete", "u", 0, timeout=LONG)
    assert not os.path.exists(mem2) and not os.path.exists(overlay2)
    assert chain_of(q, dom) == [overlay1, img] and listed(q, dom) == ["m1"]
    # Metadata only: the files stay.
    vb.call(m1, SNAP, "Delete", "u", DELETE_METADATA_ONLY)
    assert os.path.exists(mem1) and listed(q, dom) == []

    # The memory state is the guest's: restored from it, the marker is the
    # one it had then (the disk image under the overlay is the one it names).
    q.dom(dom, "Destroy", "u", 0)
    con.close()
    vb.clear_signals()
    vb.call(QEMU_PATH, CONNECT, "DomainRestore", "ssu", mem1, "", 0, timeout=LONG)
    assert q.state(dom)[0] == RUNNING
    con = q.console(dom)
    con.wait_ready(60)
    assert marker(con) == "before-snapshot"
    q.dom(dom, "Destroy", "u", 0)
    con.close()


def test_external_memory_snapshot_of_a_paused_domain(qemu):
    q, vb = qemu, qemu.vb
    img = make_image(q, "pmem")
    dom, con = q.boot("pmemvm", extra_devices=disk_xml(img))
    q.dom(dom, "Suspend")
    wait_state(q, dom, PAUSED)
    mem1 = os.path.join(q.root, "pmem-state.m1")
    vb.clear_signals()
    m1 = q.vb.call1(dom, DOMAIN, "SnapshotCreateXML", "su", mem_xml("m1", mem1), 0, timeout=LONG)
    assert "<state>paused</state>" in vb.call1(m1, SNAP, "GetXMLDesc", "u", 0)
    with open(mem1, "rb") as f:
        header = f.read(24)
    assert int.from_bytes(header[20:24], "little") & 1  # restores paused
    # Still paused, as the user left it: no event, no run in between.
    assert q.state(dom) == (PAUSED, 1)
    assert q.events(dom) == []
    # QEMU has its disks back: another memory snapshot (a second migration
    # to a file), a raw core dump and a block job work while paused.
    mem2 = os.path.join(q.root, "pmem-state.m2")
    q.vb.call1(dom, DOMAIN, "SnapshotCreateXML", "su", mem_xml("m2", mem2), 0, timeout=LONG)
    dump = os.path.join(q.root, "pmem.core")
    q.dom(dom, "CoreDump", "suu", dump, 0, 0, timeout=LONG)
    q.dom(dom, "CoreDump", "suu", dump + "2", 0, 0, timeout=LONG)
    assert os.path.getsize(dump + "2") > 0
    q.dom(dom, "BlockResize", "stu", "vda", 24 * 1024, 0)
    assert q.state(dom) == (PAUSED, 1) and q.events(dom) == []
    q.dom(dom, "Resume")
    wait_state(q, dom, RUNNING)
    assert con.run("echo resumed > /tmp/marker")[0] == 0
    assert marker(con) == "resumed"
    # Deleting both (the last first) merges everything back into the image.
    m2 = lookup(q, dom, "m2")
    vb.call(m2, SNAP, "Delete", "u", 0, timeout=LONG)
    vb.call(m1, SNAP, "Delete", "u", 0, timeout=LONG)
    assert chain_of(q, dom) == [img] and not os.path.exists(mem1) and not os.path.exists(mem2)
    assert listed(q, dom) == []
    # HALT: the guest is shut off once its state and disks are taken.
    mem3 = os.path.join(q.root, "pmem-state.m3")
    m3 = q.vb.call1(dom, DOMAIN, "SnapshotCreateXML", "su", mem_xml("m3", mem3), CREATE_HALT, timeout=LONG)
    wait_state(q, dom, SHUTOFF)
    assert "<state>running</state>" in vb.call1(m3, SNAP, "GetXMLDesc", "u", 0)
    overlay3 = os.path.join(q.root, "pmem.m3")
    assert os.path.getsize(mem3) > 0 and chain_of(q, dom) == [overlay3] and backing_of(overlay3) == img
    con.close()


def start_stuck_memory_snapshot(q, dom, fifo):
    """A memory-only snapshot into @fifo, which nobody reads: QEMU blocks
    writing; returns once it is under way (call_async's dict)."""
    from test_qemu_save import call_async
    pending = call_async(q.vb, dom, DOMAIN, "SnapshotCreateXML", "su",
                         mem_xml("stuck", fifo, "<disk name='vda' snapshot='no'/>"), CREATE_REUSE_EXT)
    deadline = time.monotonic() + 60
    while True:
        q.vb.pump()
        assert "error" not in pending, pending.get("error")
        info = q.dom(dom, "GetJobInfo")[0]
        if info[0] == 2 and info[6] > 0:  # unbounded, some memory processed
            break
        assert time.monotonic() < deadline, info
        time.sleep(0.05)
    assert q.state(dom) == (PAUSED, 9)  # paused for a snapshot
    jtype, stats = q.dom(dom, "GetJobStats", "u", 0)[0]
    assert stats["operation"] == 6  # snapshot
    return pending


def drain_fifo(reader):
    try:
        os.read(reader, 1 << 20)
    except BlockingIOError:
        pass


def test_external_memory_snapshot_aborted_or_cut_short_is_undone(qemu):
    import json
    import stat
    q, vb = qemu, qemu.vb
    img = make_image(q, "abrt")
    dom, con = q.boot("abrtvm", extra_devices=disk_xml(img))
    assert con.run("echo survivor > /tmp/marker")[0] == 0
    fifo = os.path.join(q.root, "abrt.fifo")
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        # AbortJob: the migration is cancelled, the guest runs again.
        pending = start_stuck_memory_snapshot(q, dom, fifo)
        q.dom(dom, "AbortJob")
        deadline = time.monotonic() + 60
        while "error" not in pending and "result" not in pending:
            assert time.monotonic() < deadline
            drain_fifo(reader)
            vb.pump(0.01)
        assert "error" in pending and "cancelled" in pending["error"].message, pending
        wait_state(q, dom, RUNNING)
        assert listed(q, dom) == [] and chain_of(q, dom) == [img]
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # not ours: it stays

        # virtbusd dies in the middle: the next one undoes the snapshot.
        start_stuck_memory_snapshot(q, dom, fifo)
        with open(os.path.join(q.run_dir, "abrtvm.state")) as f:
            job = json.load(f)["job"]
        assert job["kind"] == 6 and job["was-running"] is True and "image" not in job
        con.close()
        vb.kill_and_restart()
        deadline = time.monotonic() + 60
        while q.state(dom)[0] != RUNNING:
            assert time.monotonic() < deadline, q.state(dom)
            drain_fifo(reader)
            time.sleep(0.01)
    finally:
        os.close(reader)
    assert "its snapshot was cut short by a restart of virtbusd" in vb.read_log()
    assert q.dom(dom, "GetJobInfo")[0][0] == 0
    assert listed(q, dom) == []
    con = q.console(dom)
    con.wait_ready(60)
    assert marker(con) == "survivor"
    q.dom(dom, "Destroy", "u", 0)
    con.close()
