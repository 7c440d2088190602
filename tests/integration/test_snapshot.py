"""Domain snapshots of the test backend (test:///default) over D-Bus:
org.libvirt.DomainSnapshot and the snapshot methods of org.libvirt.Domain —
creation (running, paused, shut off, HALT, REDEFINE), the tree (GetParent,
ListChildren, ListDomainSnapshots with filter flags), the current snapshot,
revert (state, definition and DomainEvent codes), delete with each flag, the
ObjectManager signals, and bad input."""
import re

from conftest import TEST_PATH

DOM = "org.libvirt.Domain"
SNAP = "org.libvirt.DomainSnapshot"
CONN = "org.libvirt.Connect"
OM = "org.freedesktop.DBus.ObjectManager"
ERR = "org.libvirt.Error"
TEST_UUID = "6695eb01-f6a4-8304-79aa-97f2502e193f"
TEST_DOM = TEST_PATH + "/domain/_" + TEST_UUID.replace("-", "_")
SNAP_PREFIX = TEST_PATH + "/domainsnapshot/_" + TEST_UUID.replace("-", "_") + "_"

# virDomainEventType and the FROM_SNAPSHOT details
STARTED, SUSPENDED, RESUMED, STOPPED = 2, 3, 4, 5
STARTED_FROM_SNAPSHOT, SUSPENDED_FROM_SNAPSHOT, RESUMED_FROM_SNAPSHOT, STOPPED_FROM_SNAPSHOT = 3, 5, 2, 6
# virDomainState and the FROM_SNAPSHOT reasons
RUNNING, PAUSED, SHUTOFF = 1, 3, 5
RUNNING_FROM_SNAPSHOT, PAUSED_FROM_SNAPSHOT, SHUTOFF_FROM_SNAPSHOT = 4, 7, 7
# virDomainSnapshotCreateFlags
C_REDEFINE, C_CURRENT, C_NO_METADATA, C_HALT, C_DISK_ONLY, C_REUSE_EXT = 1, 2, 4, 8, 16, 32
C_QUIESCE, C_ATOMIC, C_LIVE, C_VALIDATE = 64, 128, 256, 512
# virDomainSnapshotListFlags
L_ROOTS = L_DESCENDANTS = 1
L_METADATA, L_LEAVES, L_NO_LEAVES, L_NO_METADATA = 2, 4, 8, 16
L_INACTIVE, L_ACTIVE, L_DISK_ONLY, L_INTERNAL, L_EXTERNAL, L_TOPOLOGICAL = 32, 64, 128, 256, 512, 1024
# virDomainSnapshotDeleteFlags
D_CHILDREN, D_METADATA_ONLY, D_CHILDREN_ONLY = 1, 2, 4
# virDomainSnapshotRevertFlags
R_RUNNING, R_PAUSED, R_FORCE = 1, 2, 4
XML_INACTIVE = 2


def snap_xml(name, description=None, extra=""):
    desc = "<description>%s</description>" % description if description else ""
    return "<domainsnapshot><name>%s</name>%s%s</domainsnapshot>" % (name, desc, extra)


def create(vb, name, flags=0, **kw):
    return vb.call1(TEST_DOM, DOM, "SnapshotCreateXML", "su", snap_xml(name, **kw), flags)


def dom(vb, method, sig="", *args):
    return vb.call(TEST_DOM, DOM, method, sig, *args)


def snap(vb, path, method, flags=0):
    return vb.call(path, SNAP, method, "u", flags)


def snap1(vb, path, method, flags=0):
    return vb.call1(path, SNAP, method, "u", flags)


def names(vb, paths):
    """Snapshot names of @paths, from their XML (in order)."""
    return [re.search(r"<name>([^<]*)</name>", snap1(vb, p, "GetXMLDesc")).group(1) for p in paths]


def listing(vb, flags=0):
    return names(vb, vb.call1(TEST_DOM, DOM, "ListDomainSnapshots", "u", flags))


def children(vb, path, flags=0):
    return names(vb, snap1(vb, path, "ListChildren", flags))


def state(vb):
    return tuple(vb.call1(TEST_DOM, DOM, "GetState", "u", 0))


def current(vb):
    return vb.call1(TEST_DOM, DOM, "SnapshotCurrent", "u", 0)


def domain_events(vb):
    vb.pump(0.2)
    return [s[3][1:] for s in vb.signals if s[2] == "DomainEvent" and s[3][0] == TEST_DOM]


def xml_field(xml, tag):
    m = re.search(r"<%s>([^<]*)</%s>" % (tag, tag), xml)
    return m.group(1) if m else None


def build_tree(vb):
    """s1 (running) -> s2 (running) -> {s3 (shut off), s4 (running)} ; s4 current.
    s3 is taken after a shutdown and s4 after a restart from s2."""
    p1 = create(vb, "s1")
    p2 = create(vb, "s2", description="second")
    dom(vb, "Shutdown", "u", 0)
    p3 = create(vb, "s3")
    # Creating from s2 again: revert to it, then snapshot.
    snap(vb, p2, "Revert")
    p4 = create(vb, "s4")
    return p1, p2, p3, p4


# ---- creation and XML ----

def test_create_running_snapshot(virtbus):
    before = state(virtbus)
    assert before[0] == RUNNING
    path = create(virtbus, "s1", description="first one")
    assert path == SNAP_PREFIX + "s1"
    assert virtbus.call1(TEST_DOM, DOM, "SnapshotLookupByName", "su", "s1", 0) == path
    xml = snap1(virtbus, path, "GetXMLDesc")
    assert xml_field(xml, "name") == "s1"
    assert xml_field(xml, "description") == "first one"
    assert xml_field(xml, "state") == "running"
    assert int(xml_field(xml, "creationTime")) > 1600000000
    assert "<parent>" not in xml
    assert "<memory snapshot='internal'/>" in xml
    assert "<disk name='vda' snapshot='internal'/>" in xml
    # The domain is embedded as it was, without a run-time id.
    assert "<domain type='test'>" in xml
    assert "<uuid>%s</uuid>" % TEST_UUID in xml
    assert snap1(virtbus, path, "IsCurrent") is True
    assert current(virtbus) == path
    # The state of the domain is not touched.
    assert state(virtbus) == before


def test_name_with_odd_characters(virtbus):
    path = create(virtbus, "before upgrade.1")
    assert path.startswith(SNAP_PREFIX) and " " not in path and "." not in path
    assert virtbus.call1(TEST_DOM, DOM, "SnapshotLookupByName", "su", "before upgrade.1", 0) == path
    assert names(virtbus, [path]) == ["before upgrade.1"]
    assert path in virtbus.managed_objects()


def test_create_shutoff_snapshot_and_parent(virtbus):
    p1 = create(virtbus, "s1")
    dom(virtbus, "Shutdown", "u", 0)
    p2 = create(virtbus, "off")
    xml = snap1(virtbus, p2, "GetXMLDesc")
    assert xml_field(xml, "state") == "shutoff"
    assert "<memory snapshot='no'/>" in xml
    assert "<parent>\n    <name>s1</name>\n  </parent>" in xml
    assert snap1(virtbus, p2, "GetParent") == p1
    assert snap1(virtbus, p1, "IsCurrent") is False
    assert snap1(virtbus, p2, "IsCurrent") is True


def test_create_paused_snapshot(virtbus):
    dom(virtbus, "Suspend")
    path = create(virtbus, "p")
    assert xml_field(snap1(virtbus, path, "GetXMLDesc"), "state") == "paused"


def test_generated_name_and_refused_internal_fields(virtbus):
    # Without a name, the creation time names the snapshot.
    path = virtbus.call1(TEST_DOM, DOM, "SnapshotCreateXML", "su", "<domainsnapshot/>", 0)
    out = snap1(virtbus, path, "GetXMLDesc")
    assert xml_field(out, "name") == xml_field(out, "creationTime")
    assert int(xml_field(out, "creationTime")) > 1600000000
    # State, creation time and parent come from the domain: a request that
    # sets them is refused rather than silently overridden.
    for extra in ("<state>shutoff</state>", "<creationTime>5</creationTime>", "<parent><name>p</name></parent>"):
        name, msg = virtbus.error(TEST_DOM, DOM, "SnapshotCreateXML", "su", snap_xml("x", extra=extra), 0)
        assert name == ERR and "redefining" in msg, msg
    assert len(listing(virtbus)) == 1


def test_create_with_halt_stops_the_domain(virtbus):
    virtbus.clear_signals()
    path = create(virtbus, "h", C_HALT)
    assert xml_field(snap1(virtbus, path, "GetXMLDesc"), "state") == "running"
    assert state(virtbus) == (SHUTOFF, SHUTOFF_FROM_SNAPSHOT)
    assert virtbus.get_property(TEST_DOM, DOM, "Active") is False
    assert domain_events(virtbus) == [(STOPPED, STOPPED_FROM_SNAPSHOT)]


def test_create_accepted_and_refused_flags(virtbus):
    create(virtbus, "a", C_LIVE | C_ATOMIC | C_QUIESCE | C_VALIDATE)
    for bad in (C_NO_METADATA, C_DISK_ONLY, C_REUSE_EXT, 1 << 12):
        name, msg = virtbus.error(TEST_DOM, DOM, "SnapshotCreateXML", "su", snap_xml("x"), bad)
        assert name == ERR
        assert "flags" in msg and "SnapshotCreateXML" in msg, msg
    name, msg = virtbus.error(TEST_DOM, DOM, "SnapshotCreateXML", "su", snap_xml("x"), C_CURRENT)
    assert name == ERR and "REDEFINE" in msg
    assert listing(virtbus) == ["a"]


def test_redefine(virtbus):
    p1 = create(virtbus, "s1")
    p2 = create(virtbus, "s2")
    xml = snap1(virtbus, p2, "GetXMLDesc")
    snap(virtbus, p2, "Delete")
    assert current(virtbus) == p1
    # Redefining brings back the exact same description, not current.
    path = virtbus.call1(TEST_DOM, DOM, "SnapshotCreateXML", "su", xml, C_REDEFINE)
    assert path == p2
    assert snap1(virtbus, p2, "GetXMLDesc") == xml
    assert snap1(virtbus, p2, "GetParent") == p1
    assert snap1(virtbus, p2, "IsCurrent") is False
    # With CURRENT it becomes current; redefining an existing one edits it.
    edited = xml.replace("<name>s2</name>", "<name>s2</name>\n  <description>edited</description>")
    assert virtbus.call1(TEST_DOM, DOM, "SnapshotCreateXML", "su", edited, C_REDEFINE | C_CURRENT) == p2
    assert xml_field(snap1(virtbus, p2, "GetXMLDesc"), "description") == "edited"
    assert current(virtbus) == p2
    # A redefinition needs the domain, a known parent and no cycle.
    name, msg = virtbus.error(TEST_DOM, DOM, "SnapshotCreateXML", "su",
                              "<domainsnapshot><name>r</name><state>running</state>"
                              "<creationTime>1</creationTime></domainsnapshot>", C_REDEFINE)
    assert name == ERR and "domain" in msg
    orphan = xml.replace("<name>s1</name>", "<name>ghost</name>").replace("<name>s2</name>", "<name>r</name>", 1)
    name, msg = virtbus.error(TEST_DOM, DOM, "SnapshotCreateXML", "su", orphan, C_REDEFINE)
    assert name == ERR and "ghost" in msg
    # s1 under its own child s2 would be a cycle.
    cycle = snap1(virtbus, p1, "GetXMLDesc").replace(
        "<state>running</state>\n", "<state>running</state>\n  <parent>\n    <name>s2</name>\n  </parent>\n")
    assert "<name>s2</name>" in cycle
    name, msg = virtbus.error(TEST_DOM, DOM, "SnapshotCreateXML", "su", cycle, C_REDEFINE)
    assert name == ERR and "cycle" in msg


# ---- the tree ----

def test_tree_navigation(virtbus):
    p1, p2, p3, p4 = build_tree(virtbus)
    assert snap1(virtbus, p2, "GetParent") == p1
    assert snap1(virtbus, p3, "GetParent") == p2
    assert snap1(virtbus, p4, "GetParent") == p2
    name, msg = virtbus.error(p1, SNAP, "GetParent", "u", 0)
    assert name == ERR and "s1" in msg and "parent" in msg
    assert children(virtbus, p1) == ["s2"]
    assert children(virtbus, p2) == ["s3", "s4"]
    assert children(virtbus, p1, L_DESCENDANTS) == ["s2", "s3", "s4"]
    assert children(virtbus, p4) == []
    assert children(virtbus, p1, L_DESCENDANTS | L_LEAVES) == ["s3", "s4"]
    assert children(virtbus, p1, L_DESCENDANTS | L_INACTIVE) == ["s3"]
    assert current(virtbus) == p4
    assert [snap1(virtbus, p, "IsCurrent") for p in (p1, p2, p3, p4)] == [False, False, False, True]


def test_list_domain_snapshots_flags(virtbus):
    build_tree(virtbus)
    assert listing(virtbus) == ["s1", "s2", "s3", "s4"]
    assert listing(virtbus, L_ROOTS) == ["s1"]
    assert listing(virtbus, L_LEAVES) == ["s3", "s4"]
    assert listing(virtbus, L_NO_LEAVES) == ["s1", "s2"]
    assert listing(virtbus, L_LEAVES | L_NO_LEAVES) == ["s1", "s2", "s3", "s4"]
    assert listing(virtbus, L_INACTIVE) == ["s3"]
    assert listing(virtbus, L_ACTIVE) == ["s1", "s2", "s4"]
    assert listing(virtbus, L_ACTIVE | L_INACTIVE) == ["s1", "s2", "s3", "s4"]
    assert listing(virtbus, L_DISK_ONLY) == []
    assert listing(virtbus, L_METADATA) == ["s1", "s2", "s3", "s4"]
    assert listing(virtbus, L_NO_METADATA) == []
    assert listing(virtbus, L_INTERNAL) == ["s1", "s2", "s3", "s4"]
    assert listing(virtbus, L_EXTERNAL) == []
    topo = listing(virtbus, L_TOPOLOGICAL)
    assert topo[0] == "s1" and topo[1] == "s2" and sorted(topo[2:]) == ["s3", "s4"]
    name, msg = virtbus.error(TEST_DOM, DOM, "ListDomainSnapshots", "u", 1 << 11)
    assert name == ERR and "flags" in msg


def test_has_snapshot_domain_list_filter(virtbus):
    has, no = 1 << 12, 1 << 13
    assert TEST_DOM not in virtbus.connect_call("ListDomains", "u", has)
    create(virtbus, "s1")
    assert TEST_DOM in virtbus.connect_call("ListDomains", "u", has)
    assert TEST_DOM not in virtbus.connect_call("ListDomains", "u", no)


# ---- revert ----

def test_revert_to_shutoff_snapshot_restores_state_and_xml(virtbus):
    dom(virtbus, "Shutdown", "u", 0)
    original = virtbus.call1(TEST_DOM, DOM, "GetXMLDesc", "u", XML_INACTIVE)
    p_off = create(virtbus, "off")
    # Change the definition and start the domain.
    changed = original.replace("<currentMemory unit='KiB'>2097152</currentMemory>",
                               "<currentMemory unit='KiB'>1048576</currentMemory>")
    assert changed != original
    virtbus.connect_call("DomainDefineXML", "s", changed)
    dom(virtbus, "Create", "u", 0)
    assert "1048576" in virtbus.call1(TEST_DOM, DOM, "GetXMLDesc", "u", 0)
    virtbus.clear_signals()

    snap(virtbus, p_off, "Revert")
    assert state(virtbus) == (SHUTOFF, SHUTOFF_FROM_SNAPSHOT)
    assert virtbus.get_property(TEST_DOM, DOM, "Active") is False
    assert virtbus.call1(TEST_DOM, DOM, "GetXMLDesc", "u", XML_INACTIVE) == original
    assert domain_events(virtbus) == [(STOPPED, STOPPED_FROM_SNAPSHOT)]
    assert current(virtbus) == p_off


def test_revert_to_shutoff_snapshot_with_running_and_paused(virtbus):
    dom(virtbus, "Shutdown", "u", 0)
    p_off = create(virtbus, "off")
    virtbus.clear_signals()
    snap(virtbus, p_off, "Revert", R_RUNNING)
    assert state(virtbus) == (RUNNING, RUNNING_FROM_SNAPSHOT)
    assert domain_events(virtbus) == [(STARTED, STARTED_FROM_SNAPSHOT)]
    assert virtbus.get_property(TEST_DOM, DOM, "Id") not in (0, 0xFFFFFFFF)
    virtbus.clear_signals()
    snap(virtbus, p_off, "Revert", R_PAUSED)
    assert state(virtbus) == (PAUSED, PAUSED_FROM_SNAPSHOT)
    assert domain_events(virtbus) == [(STOPPED, STOPPED_FROM_SNAPSHOT), (STARTED, STARTED_FROM_SNAPSHOT),
                                      (SUSPENDED, SUSPENDED_FROM_SNAPSHOT)]


def test_revert_to_running_snapshot(virtbus):
    p1 = create(virtbus, "s1")
    original = virtbus.call1(TEST_DOM, DOM, "GetXMLDesc", "u", XML_INACTIVE)
    dom(virtbus, "Shutdown", "u", 0)
    changed = original.replace("<currentMemory unit='KiB'>2097152</currentMemory>",
                               "<currentMemory unit='KiB'>1048576</currentMemory>")
    virtbus.connect_call("DomainDefineXML", "s", changed)
    create(virtbus, "off")
    virtbus.clear_signals()

    # From shut off: the domain starts.
    snap(virtbus, p1, "Revert")
    assert state(virtbus) == (RUNNING, RUNNING_FROM_SNAPSHOT)
    assert virtbus.get_property(TEST_DOM, DOM, "Active") is True
    assert virtbus.call1(TEST_DOM, DOM, "GetXMLDesc", "u", XML_INACTIVE) == original
    assert domain_events(virtbus) == [(STARTED, STARTED_FROM_SNAPSHOT)]
    assert snap1(virtbus, p1, "IsCurrent") is True

    # From running, with PAUSED: the domain pauses.
    virtbus.clear_signals()
    snap(virtbus, p1, "Revert", R_PAUSED)
    assert state(virtbus) == (PAUSED, PAUSED_FROM_SNAPSHOT)
    assert domain_events(virtbus) == [(SUSPENDED, SUSPENDED_FROM_SNAPSHOT)]

    # From paused: it runs again.
    virtbus.clear_signals()
    snap(virtbus, p1, "Revert")
    assert state(virtbus) == (RUNNING, RUNNING_FROM_SNAPSHOT)
    assert domain_events(virtbus) == [(RESUMED, RESUMED_FROM_SNAPSHOT)]


def test_revert_to_paused_snapshot_pauses_unless_running_flag(virtbus):
    dom(virtbus, "Suspend")
    p = create(virtbus, "p")
    dom(virtbus, "Destroy", "u", 0)  # a paused guest cannot shut down
    virtbus.clear_signals()
    snap(virtbus, p, "Revert")
    assert state(virtbus) == (PAUSED, PAUSED_FROM_SNAPSHOT)
    assert domain_events(virtbus) == [(STARTED, STARTED_FROM_SNAPSHOT), (SUSPENDED, SUSPENDED_FROM_SNAPSHOT)]
    snap(virtbus, p, "Revert", R_RUNNING)
    assert state(virtbus) == (RUNNING, RUNNING_FROM_SNAPSHOT)


def test_revert_bad_flags(virtbus):
    p = create(virtbus, "s1")
    name, msg = virtbus.error(p, SNAP, "Revert", "u", R_RUNNING | R_PAUSED)
    assert name == ERR and "mutually exclusive" in msg
    name, msg = virtbus.error(p, SNAP, "Revert", "u", 8)
    assert name == ERR and "flags" in msg


# ---- delete ----

def test_delete_reparents_children_and_moves_current(virtbus):
    p1, p2, p3, p4 = build_tree(virtbus)
    virtbus.clear_signals()
    snap(virtbus, p2, "Delete")
    assert listing(virtbus) == ["s1", "s3", "s4"]
    assert snap1(virtbus, p3, "GetParent") == p1
    assert snap1(virtbus, p4, "GetParent") == p1
    assert children(virtbus, p1) == ["s3", "s4"]
    assert current(virtbus) == p4
    # The current snapshot's parent becomes current when it goes.
    snap(virtbus, p4, "Delete")
    assert current(virtbus) == p1
    # A root's children become roots.
    snap(virtbus, p1, "Delete")
    assert listing(virtbus, L_ROOTS) == ["s3"]
    name, msg = virtbus.error(p3, SNAP, "GetParent", "u", 0)
    assert name == ERR
    name, msg = virtbus.error(TEST_DOM, DOM, "SnapshotCurrent", "u", 0)
    assert name == ERR and "no current snapshot" in msg


def test_delete_children(virtbus):
    p1, p2, p3, p4 = build_tree(virtbus)
    snap(virtbus, p2, "Delete", D_CHILDREN)
    assert listing(virtbus) == ["s1"]
    assert current(virtbus) == p1
    assert children(virtbus, p1) == []


def test_delete_children_only(virtbus):
    p1, p2, p3, p4 = build_tree(virtbus)
    snap(virtbus, p2, "Delete", D_CHILDREN_ONLY)
    assert listing(virtbus) == ["s1", "s2"]
    assert current(virtbus) == p2
    assert children(virtbus, p2) == []


def test_delete_refused_flags(virtbus):
    p = create(virtbus, "s1")
    name, msg = virtbus.error(p, SNAP, "Delete", "u", D_METADATA_ONLY)
    assert name == ERR and "flags" in msg
    name, msg = virtbus.error(p, SNAP, "Delete", "u", D_CHILDREN | D_CHILDREN_ONLY)
    assert name == ERR and "mutually exclusive" in msg
    assert listing(virtbus) == ["s1"]


def test_deleted_snapshot_is_gone(virtbus):
    p = create(virtbus, "s1")
    snap(virtbus, p, "Delete")
    for method in ("Revert", "Delete", "GetXMLDesc", "IsCurrent"):
        name, msg = virtbus.error(p, SNAP, method, "u", 0)
        assert name in ("org.freedesktop.DBus.Error.UnknownObject", "org.freedesktop.DBus.Error.UnknownMethod",
                        ERR), (method, name, msg)
    name, msg = virtbus.error(TEST_DOM, DOM, "SnapshotLookupByName", "su", "s1", 0)
    assert name == ERR and "s1" in msg


# ---- object manager ----

def test_object_manager_signals(virtbus):
    virtbus.clear_signals()
    path = create(virtbus, "s1")
    sig = virtbus.wait_signal("InterfacesAdded", lambda s: s[3][0] == path, interface=OM)
    assert SNAP in sig[3][1]
    assert path in virtbus.managed_objects()
    snap(virtbus, path, "Delete")
    sig = virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == path, interface=OM)
    assert SNAP in sig[3][1]
    assert path not in virtbus.managed_objects()


def test_undefine_removes_snapshots(virtbus):
    p1 = create(virtbus, "s1")
    p2 = create(virtbus, "s2")
    dom(virtbus, "Shutdown", "u", 0)
    name, msg = virtbus.error(TEST_DOM, DOM, "Undefine", "u", 0)
    assert name == ERR and "snapshot" in msg
    virtbus.clear_signals()
    dom(virtbus, "Undefine", "u", 2)  # SNAPSHOTS_METADATA
    virtbus.pump(0.3)
    removed = [s[3][0] for s in virtbus.signals if s[2] == "InterfacesRemoved"]
    # The snapshots go first: clients never see a snapshot without its domain.
    assert sorted(removed[:2]) == [p1, p2] and removed[2] == TEST_DOM, removed
    objs = virtbus.managed_objects()
    assert p1 not in objs and p2 not in objs and TEST_DOM not in objs


# ---- bad input ----

def test_bad_input(virtbus):
    def bad(xml, flags=0):
        return virtbus.error(TEST_DOM, DOM, "SnapshotCreateXML", "su", xml, flags)

    name, msg = bad("<domainsnapshot><name>x</name>")
    assert name == ERR
    name, msg = bad("<domainsnapshot><name>x</name><bogus/></domainsnapshot>")
    assert name == ERR and "bogus" in msg
    name, msg = bad("<domainsnapshot><name>x</name><memory snapshot='sideways'/></domainsnapshot>")
    assert name == ERR and "sideways" in msg
    name, msg = bad("<domain><name>x</name></domain>")
    assert name == ERR
    name, msg = bad("<domainsnapshot><name>a/b</name></domainsnapshot>")
    assert name == ERR and "/" in msg
    name, msg = bad(snap_xml("x", extra="<disks><disk name='vdz'/></disks>"))
    assert name == ERR and "vdz" in msg
    name, msg = bad(snap_xml("x", extra="<disks><disk name='vda' snapshot='no'/></disks>"))
    assert name == ERR and "vda" in msg and "internal" in msg
    name, msg = bad(snap_xml("x", extra="<memory snapshot='external' file='/tmp/m'/>"))
    assert name == ERR and "external" in msg
    name, msg = bad("<domainsnapshot><name>x</name><name>y</name></domainsnapshot>")
    assert name == ERR
    assert listing(virtbus) == []

    create(virtbus, "dup")
    name, msg = bad(snap_xml("dup"))
    assert name == ERR and "dup" in msg and "exists" in msg
    assert listing(virtbus) == ["dup"]

    name, msg = virtbus.error(TEST_DOM, DOM, "SnapshotLookupByName", "su", "missing", 0)
    assert name == ERR and "missing" in msg
    name, msg = virtbus.error(TEST_DOM, DOM, "SnapshotCurrent", "u", 1)
    assert name == ERR and "flags" in msg


def test_memory_choice_and_secure_flag(virtbus):
    # The memory of a running domain is always kept, as in the test driver.
    p = create(virtbus, "s1", extra="<memory snapshot='no'/><disks><disk name='vda' snapshot='internal'/></disks>")
    xml = snap1(virtbus, p, "GetXMLDesc")
    assert "<memory snapshot='internal'/>" in xml
    assert "<disk name='vda' snapshot='internal'/>" in xml
    assert snap1(virtbus, p, "GetXMLDesc", 1) == xml
    name, msg = virtbus.error(p, SNAP, "GetXMLDesc", "u", 2)
    assert name == ERR and "flags" in msg
    # Memory cannot be kept for a domain that is not running.
    dom(virtbus, "Shutdown", "u", 0)
    name, msg = virtbus.error(TEST_DOM, DOM, "SnapshotCreateXML", "su",
                              snap_xml("off", extra="<memory snapshot='internal'/>"), 0)
    assert name == ERR and "memory" in msg


def test_running_snapshot_keeps_differing_persistent_config(virtbus):
    live = virtbus.call1(TEST_DOM, DOM, "GetXMLDesc", "u", XML_INACTIVE)
    config = live.replace("<currentMemory unit='KiB'>2097152</currentMemory>",
                          "<currentMemory unit='KiB'>1048576</currentMemory>")
    virtbus.connect_call("DomainDefineXML", "s", config)  # running: only the next boot changes
    p = create(virtbus, "s1")
    xml = snap1(virtbus, p, "GetXMLDesc")
    assert "<inactiveDomain type='test'>" in xml
    # Another config change, then back: both configs come back.
    virtbus.connect_call("DomainDefineXML", "s", live)
    assert virtbus.call1(TEST_DOM, DOM, "GetXMLDesc", "u", XML_INACTIVE) == live
    snap(virtbus, p, "Revert")
    assert virtbus.call1(TEST_DOM, DOM, "GetXMLDesc", "u", XML_INACTIVE) == config
    assert "2097152</currentMemory>" in virtbus.call1(TEST_DOM, DOM, "GetXMLDesc", "u", 0)
    assert virtbus.get_property(TEST_DOM, DOM, "Updated") is True
