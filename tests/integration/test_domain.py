"""Domains of the test backend (test:///default) over D-Bus: the built-in
domain, define/create/undefine, every lifecycle transition with its
DomainEvent codes, configuration changes, devices, statistics and jobs."""
import os

from gi.repository import Gio, GLib

from conftest import TEST_PATH

DOM = "org.libvirt.Domain"
CONN = "org.libvirt.Connect"
ERR = "org.libvirt.Error"
TEST_UUID = "6695eb01-f6a4-8304-79aa-97f2502e193f"
TEST_DOM = TEST_PATH + "/domain/_" + TEST_UUID.replace("-", "_")

# virDomainEventType and details
DEFINED, UNDEFINED, STARTED, SUSPENDED, RESUMED, STOPPED, SHUTDOWN = range(7)
# virDomainState
RUNNING, PAUSED, SHUTOFF = 1, 3, 5
NO_ID = 0xFFFFFFFF
AFFECT_LIVE, AFFECT_CONFIG = 1, 2
XML_INACTIVE = 2


def domain_xml(name="vm1", uuid="11111111-2222-3333-4444-555555555555", memory=1048576, extra=""):
    return f"""<domain type='test'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='KiB'>{memory}</memory>
  <currentMemory unit='KiB'>{memory}</currentMemory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/var/lib/images/{name}.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    {extra}
  </devices>
</domain>"""


def dom_path(uuid):
    return TEST_PATH + "/domain/_" + uuid.replace("-", "_")


def call(vb, path, method, sig="", *args):
    return vb.call(path, DOM, method, sig, *args)


def call1(vb, path, method, sig="", *args):
    return vb.call1(path, DOM, method, sig, *args)


def prop(vb, path, name):
    return vb.get_property(path, DOM, name)


def wait_event(vb, path, event, detail):
    sig = vb.wait_signal("DomainEvent", lambda s: s[3][0] == path, interface=CONN)
    assert sig[3] == (path, event, detail), sig
    return sig


def wait_props(vb, path, predicate=lambda changed: True):
    sig = vb.wait_signal("PropertiesChanged",
                         lambda s: s[0] == path and s[3][0] == DOM and predicate(s[3][1]))
    return sig[3][1]


def define(vb, xml=None):
    path = vb.connect_call("DomainDefineXML", "s", xml or domain_xml())
    return path


# ---- the built-in domain ----------------------------------------------

def test_default_domain_matches_test_driver(virtbus):
    assert virtbus.connect_call("ListDomains", "u", 0) == [TEST_DOM]
    props = virtbus.properties(TEST_DOM, DOM)
    assert props["Name"] == "test"
    assert props["UUID"] == TEST_UUID
    assert props["Active"] is True
    assert props["Id"] == 1
    assert props["Persistent"] is True
    assert props["Autostart"] is False
    assert props["Updated"] is False
    assert props["SchedulerType"] == ("fair", 1)
    assert call1(virtbus, TEST_DOM, "GetState", "u", 0) == (RUNNING, 0)
    xml = call1(virtbus, TEST_DOM, "GetXMLDesc", "u", 0)
    for piece in ("<domain type='test' id='1'>", "<name>test</name>", TEST_UUID,
                  "<memory unit='KiB'>8388608</memory>", "<currentMemory unit='KiB'>2097152</currentMemory>",
                  "/guest/diskimage1", "dev='vda'", "aa:bb:cc:dd:ee:ff", "network='default'",
                  "testnet0", "<memballoon model='virtio'", "arch='i686'", "<boot dev='hd'/>"):
        assert piece in xml, piece
    inactive = call1(virtbus, TEST_DOM, "GetXMLDesc", "u", XML_INACTIVE)
    assert "id='1'" not in inactive


def test_lookups(virtbus):
    assert virtbus.connect_call("DomainLookupByName", "s", "test") == TEST_DOM
    assert virtbus.connect_call("DomainLookupByUUID", "s", TEST_UUID) == TEST_DOM
    assert virtbus.connect_call("DomainLookupByUUID", "s", TEST_UUID.replace("-", "")) == TEST_DOM
    assert virtbus.connect_call("DomainLookupByID", "i", 1) == TEST_DOM
    name, msg = virtbus.error(TEST_PATH, CONN, "DomainLookupByName", "s", "nosuch")
    assert name == ERR and "nosuch" in msg
    name, msg = virtbus.error(TEST_PATH, CONN, "DomainLookupByUUID", "s", "not-a-uuid")
    assert name == ERR and "not-a-uuid" in msg
    name, msg = virtbus.error(TEST_PATH, CONN, "DomainLookupByUUID", "s", "11111111-2222-3333-4444-555555555555")
    assert name == ERR and "11111111-2222-3333-4444-555555555555" in msg
    name, msg = virtbus.error(TEST_PATH, CONN, "DomainLookupByID", "i", 42)
    assert name == ERR and "42" in msg


# ---- define / undefine ------------------------------------------------

def test_define_adds_object_and_emits_events(virtbus):
    virtbus.clear_signals()
    path = define(virtbus)
    assert path == dom_path("11111111-2222-3333-4444-555555555555")
    added = virtbus.wait_signal("InterfacesAdded", lambda s: s[3][0] == path)
    assert DOM in added[3][1]
    assert added[3][1][DOM]["Name"] == "vm1"
    wait_event(virtbus, path, DEFINED, 0)
    props = virtbus.properties(path, DOM)
    assert props["Active"] is False and props["Persistent"] is True and props["Id"] == NO_ID
    assert call1(virtbus, path, "GetState", "u", 0) == (SHUTOFF, 0)
    assert sorted(virtbus.connect_call("ListDomains", "u", 0)) == sorted([TEST_DOM, path])
    # inactive (2) / active (1) filters
    assert virtbus.connect_call("ListDomains", "u", 2) == [path]
    assert virtbus.connect_call("ListDomains", "u", 1) == [TEST_DOM]

    # Redefining the same domain updates it.
    assert define(virtbus, domain_xml(memory=2097152)) == path
    wait_event(virtbus, path, DEFINED, 1)
    assert "<memory unit='KiB'>2097152</memory>" in call1(virtbus, path, "GetXMLDesc", "u", 0)

    virtbus.clear_signals()
    call(virtbus, path, "Undefine", "u", 0)
    wait_event(virtbus, path, UNDEFINED, 0)
    virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == path)
    assert virtbus.connect_call("ListDomains", "u", 0) == [TEST_DOM]


def test_define_collisions(virtbus):
    name, msg = virtbus.error(TEST_PATH, CONN, "DomainDefineXML", "s", domain_xml(name="test"))
    assert name == ERR
    assert "domain 'test' already exists with uuid " + TEST_UUID in msg
    name, msg = virtbus.error(TEST_PATH, CONN, "DomainDefineXML", "s", domain_xml(name="other", uuid=TEST_UUID))
    assert name == ERR
    assert "domain 'test' is already defined with uuid " + TEST_UUID in msg
    name, msg = virtbus.error(TEST_PATH, CONN, "DomainCreateXML", "su", domain_xml(name="test"), 0)
    assert name == ERR and "already exists" in msg


def test_bad_xml(virtbus):
    name, msg = virtbus.error(TEST_PATH, CONN, "DomainDefineXML", "s", "<domain type='test'><name>x</name")
    assert name == ERR and msg
    name, msg = virtbus.error(TEST_PATH, CONN, "DomainDefineXML", "s",
                              domain_xml(extra="<frobnicator model='x'/>"))
    assert name == ERR and "frobnicator" in msg
    name, msg = virtbus.error(TEST_PATH, CONN, "DomainCreateXML", "su", "not xml at all", 0)
    assert name == ERR
    assert virtbus.connect_call("ListDomains", "u", 0) == [TEST_DOM]


def test_define_with_usb_redirection(virtbus):
    """A SPICE guest as virt-manager writes it (two spicevmc redirdevs), plus
    a usbredir server over tcp and a filter: kept and written as libvirt does."""
    uuid = "11111111-2222-3333-4444-5555555555aa"
    redir = """<redirdev bus='usb' type='spicevmc'/>
    <redirdev bus='usb' type='spicevmc'/>
    <redirdev bus='usb' type='tcp'>
      <source mode='connect' host='usbhost' service='4000'/>
      <protocol type='raw'/>
    </redirdev>
    <redirfilter>
      <usbdev class='0x08' vendor='0x15e1' product='0x2007' version='1.10' allow='yes'/>
      <usbdev class='-1' vendor='-1' product='-1' version='-1' allow='no'/>
    </redirfilter>"""
    path = define(virtbus, domain_xml(name="spice", uuid=uuid, extra=redir))
    assert path == dom_path(uuid)
    for flags in (0, XML_INACTIVE):
        xml = call1(virtbus, path, "GetXMLDesc", "u", flags)
        assert xml.count("<redirdev bus='usb' type='spicevmc'/>") == 2
        assert ("<redirdev bus='usb' type='tcp'>\n"
                "      <source mode='connect' host='usbhost' service='4000'/>\n"
                "      <protocol type='raw'/>\n"
                "    </redirdev>\n"
                "    <redirfilter>\n"
                "      <usbdev class='0x08' vendor='0x15E1' product='0x2007' version='1.10' allow='yes'/>\n"
                "      <usbdev allow='no'/>\n"
                "    </redirfilter>\n") in xml

    tcp = "<redirdev bus='usb' type='tcp'><source mode='connect' host='other' service='4001'/></redirdev>"
    call(virtbus, path, "AttachDevice", "su", tcp, AFFECT_CONFIG)
    assert "host='other'" in call1(virtbus, path, "GetXMLDesc", "u", XML_INACTIVE)
    call(virtbus, path, "DetachDevice", "su", tcp, AFFECT_CONFIG)
    assert "host='other'" not in call1(virtbus, path, "GetXMLDesc", "u", XML_INACTIVE)
    name, msg = virtbus.error(path, DOM, "DetachDevice", "su", "<redirdev bus='usb' type='spicevmc'/>", AFFECT_CONFIG)
    assert name == ERR and "2 <redirdev> devices match" in msg

    name, msg = virtbus.error(TEST_PATH, CONN, "DomainDefineXML", "s",
                              domain_xml(name="bad", uuid="11111111-2222-3333-4444-5555555555ab",
                                         extra="<redirdev bus='usb' type='pty'/>"))
    assert name == ERR and "not supported for USB redirection" in msg


def test_define_running_domain_stores_next_config(virtbus):
    xml = call1(virtbus, TEST_DOM, "GetXMLDesc", "u", XML_INACTIVE)
    new_xml = xml.replace("<memory unit='KiB'>8388608</memory>", "<memory unit='KiB'>4194304</memory>")
    assert new_xml != xml
    virtbus.clear_signals()
    assert virtbus.connect_call("DomainDefineXML", "s", new_xml) == TEST_DOM
    wait_event(virtbus, TEST_DOM, DEFINED, 1)
    assert prop(virtbus, TEST_DOM, "Updated") is True
    assert "8388608" in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", 0)
    assert "4194304" in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", XML_INACTIVE)
    call(virtbus, TEST_DOM, "Destroy", "u", 0)
    assert "4194304" in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", 0)
    assert prop(virtbus, TEST_DOM, "Updated") is False


def test_undefine_running_makes_transient(virtbus):
    virtbus.clear_signals()
    call(virtbus, TEST_DOM, "Undefine", "u", 0)
    wait_event(virtbus, TEST_DOM, UNDEFINED, 0)
    assert prop(virtbus, TEST_DOM, "Persistent") is False
    assert virtbus.connect_call("ListDomains", "u", 8) == [TEST_DOM]  # transient
    name, msg = virtbus.error(TEST_DOM, DOM, "Undefine", "u", 0)
    assert name == ERR and "transient" in msg
    name, msg = virtbus.error(TEST_DOM, DOM, "ManagedSave", "u", 0)
    assert name == ERR and "transient" in msg
    call(virtbus, TEST_DOM, "Destroy", "u", 0)
    wait_event(virtbus, TEST_DOM, STOPPED, 1)
    virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == TEST_DOM)
    assert virtbus.connect_call("ListDomains", "u", 0) == []


def test_create_transient(virtbus):
    virtbus.clear_signals()
    path = virtbus.connect_call("DomainCreateXML", "su", domain_xml(name="tr"), 0)
    virtbus.wait_signal("InterfacesAdded", lambda s: s[3][0] == path)
    wait_event(virtbus, path, STARTED, 0)
    props = virtbus.properties(path, DOM)
    assert props["Persistent"] is False and props["Active"] is True
    assert props["Id"] == 2  # the test domain has 1
    assert virtbus.connect_call("DomainLookupByID", "i", 2) == path
    name, msg = virtbus.error(TEST_PATH, CONN, "DomainCreateXML", "su", domain_xml(name="tr"), 0)
    assert name == ERR and "already active" in msg
    name, msg = virtbus.error(TEST_PATH, CONN, "DomainCreateXML", "su", domain_xml(name="tr2", uuid="22222222-2222-3333-4444-555555555555"), 0x100)
    assert name == ERR and "flag" in msg.lower()
    call(virtbus, path, "Shutdown", "u", 0)
    wait_event(virtbus, path, SHUTDOWN, 0)
    wait_event(virtbus, path, STOPPED, 0)
    virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == path)


def test_create_paused(virtbus):
    virtbus.clear_signals()
    path = virtbus.connect_call("DomainCreateXML", "su", domain_xml(name="p"), 1)
    wait_event(virtbus, path, STARTED, 0)
    wait_event(virtbus, path, SUSPENDED, 0)
    assert call1(virtbus, path, "GetState", "u", 0) == (PAUSED, 1)


# ---- lifecycle ---------------------------------------------------------

def test_lifecycle_transitions(virtbus):
    d = TEST_DOM
    virtbus.clear_signals()
    call(virtbus, d, "Suspend")
    wait_event(virtbus, d, SUSPENDED, 0)
    assert call1(virtbus, d, "GetState", "u", 0) == (PAUSED, 1)
    name, msg = virtbus.error(d, DOM, "Suspend")
    assert name == ERR and "not running" in msg
    call(virtbus, d, "Resume")
    wait_event(virtbus, d, RESUMED, 0)
    assert call1(virtbus, d, "GetState", "u", 0) == (RUNNING, 5)
    name, msg = virtbus.error(d, DOM, "Resume")
    assert name == ERR and "not paused" in msg

    call(virtbus, d, "Shutdown", "u", 0)
    wait_event(virtbus, d, SHUTDOWN, 0)
    wait_event(virtbus, d, STOPPED, 0)
    changed = wait_props(virtbus, d, lambda c: "Active" in c)
    assert changed["Active"] is False
    assert call1(virtbus, d, "GetState", "u", 0) == (SHUTOFF, 1)
    assert prop(virtbus, d, "Id") == NO_ID
    for method in ("Shutdown", "Destroy", "Reboot", "Reset"):
        name, msg = virtbus.error(d, DOM, method, "u", 0)
        assert name == ERR and "not running" in msg, method

    call(virtbus, d, "Create", "u", 0)
    wait_event(virtbus, d, STARTED, 0)
    changed = wait_props(virtbus, d, lambda c: "Active" in c)
    assert changed["Active"] is True
    assert prop(virtbus, d, "Id") == 2
    name, msg = virtbus.error(d, DOM, "Create", "u", 0)
    assert name == ERR and "already active" in msg

    call(virtbus, d, "Destroy", "u", 0)
    wait_event(virtbus, d, STOPPED, 1)
    assert call1(virtbus, d, "GetState", "u", 0) == (SHUTOFF, 2)
    name, msg = virtbus.error(d, DOM, "Create", "u", 0x100)
    assert name == ERR and "flag" in msg.lower()


def test_reboot_emits_signal(virtbus):
    virtbus.clear_signals()
    call(virtbus, TEST_DOM, "Reboot", "u", 0)
    virtbus.wait_signal("Reboot", lambda s: s[0] == TEST_DOM, interface=DOM)
    assert call1(virtbus, TEST_DOM, "GetState", "u", 0) == (RUNNING, 1)
    call(virtbus, TEST_DOM, "Reset", "u", 0)
    call(virtbus, TEST_DOM, "InjectNMI", "u", 0)
    name, msg = virtbus.error(TEST_DOM, DOM, "Reboot", "u", 0x100)
    assert name == ERR


def test_rename(virtbus):
    name, msg = virtbus.error(TEST_DOM, DOM, "Rename", "su", "renamed", 0)
    assert name == ERR and "active" in msg
    call(virtbus, TEST_DOM, "Destroy", "u", 0)
    define(virtbus)
    name, msg = virtbus.error(TEST_DOM, DOM, "Rename", "su", "vm1", 0)
    assert name == ERR and "vm1" in msg and "exists" in msg
    virtbus.clear_signals()
    call(virtbus, TEST_DOM, "Rename", "su", "renamed", 0)
    wait_event(virtbus, TEST_DOM, UNDEFINED, 1)
    wait_event(virtbus, TEST_DOM, DEFINED, 2)
    changed = wait_props(virtbus, TEST_DOM, lambda c: "Name" in c)
    assert changed["Name"] == "renamed"
    assert virtbus.connect_call("DomainLookupByName", "s", "renamed") == TEST_DOM
    assert "<name>renamed</name>" in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", 0)
    name, _ = virtbus.error(TEST_PATH, CONN, "DomainLookupByName", "s", "test")
    assert name == ERR


def test_autostart(virtbus):
    virtbus.clear_signals()
    virtbus.set_property(TEST_DOM, DOM, "Autostart", GLib.Variant("b", True))
    changed = wait_props(virtbus, TEST_DOM, lambda c: "Autostart" in c)
    assert changed["Autostart"] is True
    assert virtbus.connect_call("ListDomains", "u", 1 << 10) == [TEST_DOM]
    path = virtbus.connect_call("DomainCreateXML", "su", domain_xml(name="tr"), 0)
    try:
        virtbus.set_property(path, DOM, "Autostart", GLib.Variant("b", True))
        assert False, "autostart of a transient domain must fail"
    except GLib.Error as e:
        assert "transient" in e.message


# ---- save / restore / managed save / dump -----------------------------

def test_managed_save(virtbus):
    virtbus.clear_signals()
    call(virtbus, TEST_DOM, "ManagedSave", "u", 0)
    wait_event(virtbus, TEST_DOM, STOPPED, 4)
    assert call1(virtbus, TEST_DOM, "GetState", "u", 0) == (SHUTOFF, 5)
    assert call1(virtbus, TEST_DOM, "HasManagedSaveImage", "u", 0) is True
    assert virtbus.connect_call("ListDomains", "u", 1 << 8) == [TEST_DOM]
    name, msg = virtbus.error(TEST_DOM, DOM, "Undefine", "u", 0)
    assert name == ERR and "managed save" in msg
    call(virtbus, TEST_DOM, "Create", "u", 0)
    wait_event(virtbus, TEST_DOM, STARTED, 2)
    assert call1(virtbus, TEST_DOM, "HasManagedSaveImage", "u", 0) is False
    call(virtbus, TEST_DOM, "ManagedSave", "u", 0)
    call(virtbus, TEST_DOM, "ManagedSaveRemove", "u", 0)
    assert call1(virtbus, TEST_DOM, "HasManagedSaveImage", "u", 0) is False
    name, msg = virtbus.error(TEST_DOM, DOM, "ManagedSave", "u", 0)
    assert name == ERR and "not running" in msg


def test_save_and_restore(virtbus, tmp_root):
    image = os.path.join(tmp_root, "test.save")
    call(virtbus, TEST_DOM, "Suspend")
    virtbus.clear_signals()
    call(virtbus, TEST_DOM, "Save", "ssu", image, "", 0)
    wait_event(virtbus, TEST_DOM, STOPPED, 4)
    assert call1(virtbus, TEST_DOM, "GetState", "u", 0) == (SHUTOFF, 5)
    with open(image) as f:
        assert "<name>test</name>" in f.read()
    xml = virtbus.connect_call("DomainSaveImageGetXMLDesc", "su", image, 0)
    assert "<name>test</name>" in xml and "id=" not in xml.split(">")[0]

    new_xml = xml.replace("<currentMemory unit='KiB'>2097152</currentMemory>",
                          "<currentMemory unit='KiB'>1048576</currentMemory>")
    virtbus.call(TEST_PATH, CONN, "DomainSaveImageDefineXML", "ssu", image, new_xml, 0)
    assert "1048576" in virtbus.connect_call("DomainSaveImageGetXMLDesc", "su", image, 0)

    virtbus.call(TEST_PATH, CONN, "DomainRestore", "ssu", image, "", 0)
    wait_event(virtbus, TEST_DOM, STARTED, 2)
    # It was paused when saved, so it comes back paused.
    wait_event(virtbus, TEST_DOM, SUSPENDED, 4)
    assert call1(virtbus, TEST_DOM, "GetState", "u", 0)[0] == PAUSED
    assert "<currentMemory unit='KiB'>1048576</currentMemory>" in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", 0)
    name, msg = virtbus.error(TEST_PATH, CONN, "DomainRestore", "ssu", image, "", 0)
    assert name == ERR and "already active" in msg

    bogus = os.path.join(tmp_root, "bogus")
    with open(bogus, "w") as f:
        f.write("hello")
    name, msg = virtbus.error(TEST_PATH, CONN, "DomainRestore", "ssu", bogus, "", 0)
    assert name == ERR and bogus in msg
    name, msg = virtbus.error(TEST_PATH, CONN, "DomainRestore", "ssu", os.path.join(tmp_root, "missing"), "", 0)
    assert name == ERR and "missing" in msg


def test_save_transient_domain_vanishes_and_restores(virtbus, tmp_root):
    image = os.path.join(tmp_root, "tr.save")
    path = virtbus.connect_call("DomainCreateXML", "su", domain_xml(name="tr"), 0)
    virtbus.clear_signals()
    call(virtbus, path, "Save", "ssu", image, "", 0)
    wait_event(virtbus, path, STOPPED, 4)
    virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == path)
    virtbus.call(TEST_PATH, CONN, "DomainRestore", "ssu", image, "", 0)
    virtbus.wait_signal("InterfacesAdded", lambda s: s[3][0] == path)
    wait_event(virtbus, path, STARTED, 2)
    assert call1(virtbus, path, "GetState", "u", 0) == (RUNNING, 3)


def test_core_dump(virtbus, tmp_root):
    dump = os.path.join(tmp_root, "test.core")
    call(virtbus, TEST_DOM, "CoreDump", "suu", dump, 0, 0)
    assert os.path.getsize(dump) > 0
    assert call1(virtbus, TEST_DOM, "GetState", "u", 0)[0] == RUNNING
    name, msg = virtbus.error(TEST_DOM, DOM, "CoreDump", "suu", dump, 1, 0)
    assert name == ERR and "memory-only" in msg
    virtbus.clear_signals()
    call(virtbus, TEST_DOM, "CoreDump", "suu", dump, 0, 1)  # crash
    wait_event(virtbus, TEST_DOM, STOPPED, 2)
    assert call1(virtbus, TEST_DOM, "GetState", "u", 0) == (SHUTOFF, 3)
    name, msg = virtbus.error(TEST_DOM, DOM, "CoreDump", "suu", dump, 0, 0)
    assert name == ERR and "not running" in msg


# ---- metadata, devices, resources --------------------------------------

def test_metadata(virtbus):
    name, msg = virtbus.error(TEST_DOM, DOM, "GetMetadata", "isu", 0, "", 0)
    assert name == ERR
    virtbus.clear_signals()
    call(virtbus, TEST_DOM, "SetMetadata", "isssu", 0, "A test domain", "", "", 0)
    sig = virtbus.wait_signal("MetadataChange", lambda s: s[0] == TEST_DOM, interface=DOM)
    assert sig[3] == (0, "")
    assert call1(virtbus, TEST_DOM, "GetMetadata", "isu", 0, "", 0) == "A test domain"
    assert "<description>A test domain</description>" in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", 0)
    # live only: the persistent config does not have it
    assert "A test domain" not in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", XML_INACTIVE)

    call(virtbus, TEST_DOM, "SetMetadata", "isssu", 1, "Title", "", "", AFFECT_LIVE | AFFECT_CONFIG)
    assert call1(virtbus, TEST_DOM, "GetMetadata", "isu", 1, "", AFFECT_CONFIG) == "Title"

    uri = "http://example.org/app/1.0"
    call(virtbus, TEST_DOM, "SetMetadata", "isssu", 2, "<thing colour='blue'/>", "app", uri, 0)
    sig = virtbus.wait_signal("MetadataChange", lambda s: s[3][0] == 2, interface=DOM)
    assert sig[3] == (2, uri)
    value = call1(virtbus, TEST_DOM, "GetMetadata", "isu", 2, uri, 0)
    assert "thing" in value and "blue" in value
    name, msg = virtbus.error(TEST_DOM, DOM, "GetMetadata", "isu", 2, "http://other.example/", 0)
    assert name == ERR
    name, msg = virtbus.error(TEST_DOM, DOM, "SetMetadata", "isssu", 0, "x", "", "", 0x80)
    assert name == ERR and "flag" in msg.lower()


DISK_XML = """<disk type='file' device='disk'>
  <source file='/var/lib/images/extra.img'/>
  <target dev='vdb' bus='virtio'/>
</disk>"""


def test_attach_detach_device(virtbus):
    virtbus.clear_signals()
    call(virtbus, TEST_DOM, "AttachDevice", "su", DISK_XML, 0)
    sig = virtbus.wait_signal("DeviceAdded", lambda s: s[0] == TEST_DOM, interface=DOM)
    assert sig[3] == ("vdb",)
    assert "dev='vdb'" in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", 0)
    assert "dev='vdb'" not in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", XML_INACTIVE)
    assert prop(virtbus, TEST_DOM, "Updated") is True
    name, msg = virtbus.error(TEST_DOM, DOM, "AttachDevice", "su", DISK_XML, 0)
    assert name == ERR and "vdb" in msg

    call(virtbus, TEST_DOM, "AttachDevice", "su", DISK_XML, AFFECT_CONFIG)
    assert "dev='vdb'" in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", XML_INACTIVE)

    call(virtbus, TEST_DOM, "DetachDevice", "su", DISK_XML, AFFECT_LIVE | AFFECT_CONFIG)
    sig = virtbus.wait_signal("DeviceRemoved", lambda s: s[0] == TEST_DOM, interface=DOM)
    assert sig[3] == ("vdb",)
    assert "dev='vdb'" not in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", 0)
    assert "dev='vdb'" not in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", XML_INACTIVE)
    name, msg = virtbus.error(TEST_DOM, DOM, "DetachDevice", "su", DISK_XML, 0)
    assert name == ERR

    nic = "<interface type='network'><mac address='aa:bb:cc:dd:ee:ff'/><source network='other'/></interface>"
    call(virtbus, TEST_DOM, "UpdateDevice", "su", nic, 0)
    assert "network='other'" in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", 0)

    name, msg = virtbus.error(TEST_DOM, DOM, "AttachDevice", "su", "<bogusdevice/>", 0)
    assert name == ERR and "bogusdevice" in msg
    name, msg = virtbus.error(TEST_DOM, DOM, "AttachDevice", "su", DISK_XML, 0x40)
    assert name == ERR and "flag" in msg.lower()
    call(virtbus, TEST_DOM, "Destroy", "u", 0)
    name, msg = virtbus.error(TEST_DOM, DOM, "AttachDevice", "su", DISK_XML, AFFECT_LIVE)
    assert name == ERR and "not running" in msg
    call(virtbus, TEST_DOM, "AttachDevice", "su", DISK_XML, 0)  # current = config when inactive
    assert "dev='vdb'" in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", 0)


def test_set_memory(virtbus):
    virtbus.clear_signals()
    call(virtbus, TEST_DOM, "SetMemory", "tu", 1048576, 0)
    sig = virtbus.wait_signal("BalloonChange", lambda s: s[0] == TEST_DOM, interface=DOM)
    assert sig[3] == (1048576,)
    assert "<currentMemory unit='KiB'>1048576</currentMemory>" in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", 0)
    stats = call1(virtbus, TEST_DOM, "GetStats", "uu", 4, 0)
    assert stats["balloon.current"] == 1048576
    assert stats["balloon.maximum"] == 8388608
    assert dict(call1(virtbus, TEST_DOM, "MemoryStats", "u", 0))[6] == 1048576
    name, msg = virtbus.error(TEST_DOM, DOM, "SetMemory", "tu", 9999999, 0)
    assert name == ERR and "max memory" in msg
    name, msg = virtbus.error(TEST_DOM, DOM, "SetMemory", "tu", 4194304, 4 | AFFECT_LIVE)
    assert name == ERR and "active" in msg
    call(virtbus, TEST_DOM, "SetMemory", "tu", 4194304, 4 | AFFECT_CONFIG)
    assert "<memory unit='KiB'>4194304</memory>" in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", XML_INACTIVE)
    assert "<memory unit='KiB'>8388608</memory>" in call1(virtbus, TEST_DOM, "GetXMLDesc", "u", 0)
    name, msg = virtbus.error(TEST_DOM, DOM, "SetMemory", "tu", 1, 0x10)
    assert name == ERR and "flag" in msg.lower()


def test_set_vcpus(virtbus):
    assert call1(virtbus, TEST_DOM, "GetVcpus", "u", 0) == 2
    assert call1(virtbus, TEST_DOM, "GetVcpus", "u", 4) == 2
    call(virtbus, TEST_DOM, "SetVcpus", "uu", 1, 0)
    assert call1(virtbus, TEST_DOM, "GetVcpus", "u", 0) == 1
    assert call1(virtbus, TEST_DOM, "GetVcpus", "u", AFFECT_CONFIG) == 2
    assert call1(virtbus, TEST_DOM, "GetStats", "uu", 8, 0)["vcpu.current"] == 1
    name, msg = virtbus.error(TEST_DOM, DOM, "SetVcpus", "uu", 3, 0)
    assert name == ERR and "exceeds maximum (3 > 2)" in msg
    name, msg = virtbus.error(TEST_DOM, DOM, "SetVcpus", "uu", 4, 4 | AFFECT_LIVE)
    assert name == ERR
    call(virtbus, TEST_DOM, "SetVcpus", "uu", 4, 4 | AFFECT_CONFIG)
    assert call1(virtbus, TEST_DOM, "GetVcpus", "u", 4 | AFFECT_CONFIG) == 4
    call(virtbus, TEST_DOM, "SetVcpus", "uu", 2, 0)
    call(virtbus, TEST_DOM, "SetVcpus", "uu", 1, 8)  # guest
    assert call1(virtbus, TEST_DOM, "GetVcpus", "u", 8) == 1
    guest = call1(virtbus, TEST_DOM, "GetGuestVcpus", "u", 0)
    assert guest == {"vcpus": "0,1", "online": "0", "offlinable": "1"}
    call(virtbus, TEST_DOM, "SetGuestVcpus", "abiu", [False, True], 1, 0)
    assert call1(virtbus, TEST_DOM, "GetGuestVcpus", "u", 0)["online"] == "0,1"
    name, msg = virtbus.error(TEST_DOM, DOM, "SetGuestVcpus", "abiu", [True], 0, 0)
    assert name == ERR and "vcpu 0" in msg


def test_vcpu_and_emulator_pinning(virtbus):
    pins = call1(virtbus, TEST_DOM, "GetVcpuPinInfo", "u", 0)
    assert len(pins) == 2
    assert pins[0] == [True] * 8 + [False] * 8
    call(virtbus, TEST_DOM, "PinVcpu", "uabu", 1, [False, False, True], 0)
    pins = call1(virtbus, TEST_DOM, "GetVcpuPinInfo", "u", 0)
    assert pins[1] == [False, False, True] + [False] * 13
    name, msg = virtbus.error(TEST_DOM, DOM, "PinVcpu", "uabu", 5, [True], 0)
    assert name == ERR and "vcpu 5" in msg
    name, msg = virtbus.error(TEST_DOM, DOM, "PinVcpu", "uabu", 0, [False] * 20 + [True], 0)
    assert name == ERR and "cpu 20" in msg
    assert call1(virtbus, TEST_DOM, "GetEmulatorPinInfo", "u", 0) == [True] * 8 + [False] * 8
    call(virtbus, TEST_DOM, "PinEmulator", "abu", [True], 0)
    assert call1(virtbus, TEST_DOM, "GetEmulatorPinInfo", "u", 0) == [True] + [False] * 15


def test_iothreads(virtbus):
    assert call1(virtbus, TEST_DOM, "GetIOThreadInfo", "u", 0) == []
    call(virtbus, TEST_DOM, "AddIOThread", "uu", 3, 0)
    info = call1(virtbus, TEST_DOM, "GetIOThreadInfo", "u", 0)
    assert info == [(3, [True] * 8 + [False] * 8)]
    # The definition lists it by id.
    xml = call1(virtbus, TEST_DOM, "GetXMLDesc", "u", 0)
    assert "<iothreads>1</iothreads>" in xml and "<iothread id='3'/>" in xml
    call(virtbus, TEST_DOM, "PinIOThread", "uabu", 3, [False, True], 0)
    assert call1(virtbus, TEST_DOM, "GetIOThreadInfo", "u", 0)[0][1][:2] == [False, True]
    name, msg = virtbus.error(TEST_DOM, DOM, "AddIOThread", "uu", 3, 0)
    assert name == ERR and "3" in msg
    call(virtbus, TEST_DOM, "DelIOThread", "uu", 3, 0)
    assert call1(virtbus, TEST_DOM, "GetIOThreadInfo", "u", 0) == []
    name, msg = virtbus.error(TEST_DOM, DOM, "DelIOThread", "uu", 3, 0)
    assert name == ERR


def test_parameters(virtbus):
    assert call1(virtbus, TEST_DOM, "GetSchedulerParameters", "u", 0) == {"weight": 50}
    call(virtbus, TEST_DOM, "SetSchedulerParameters", "a{sv}u", {"weight": GLib.Variant("u", 100)}, 0)
    assert call1(virtbus, TEST_DOM, "GetSchedulerParameters", "u", 0) == {"weight": 100}
    name, msg = virtbus.error(TEST_DOM, DOM, "SetSchedulerParameters", "a{sv}u",
                              {"bogus": GLib.Variant("u", 1)}, 0)
    assert name == ERR and "bogus" in msg
    name, msg = virtbus.error(TEST_DOM, DOM, "SetSchedulerParameters", "a{sv}u",
                              {"weight": GLib.Variant("s", "x")}, 0)
    assert name == ERR and "weight" in msg
    mem = call1(virtbus, TEST_DOM, "GetMemoryParameters", "u", 0)
    assert mem["hard_limit"] == 9007199254740991
    numa = call1(virtbus, TEST_DOM, "GetNumaParameters", "u", 0)
    assert numa["numa_mode"] == 0
    perf = call1(virtbus, TEST_DOM, "GetPerfEvents", "u", 0)
    assert perf["cmt"] is False
    assert "weight" in call1(virtbus, TEST_DOM, "GetBlockIOParameters", "u", 0)
    tune = call1(virtbus, TEST_DOM, "GetBlockIOTune", "su", "vda", 0)
    assert tune["total_bytes_sec"] == 0
    call(virtbus, TEST_DOM, "SetBlockIOTune", "sa{sv}u", "vda", {"total_bytes_sec": GLib.Variant("t", 1000)}, 0)
    assert call1(virtbus, TEST_DOM, "GetBlockIOTune", "su", "vda", 0)["total_bytes_sec"] == 1000
    name, msg = virtbus.error(TEST_DOM, DOM, "GetBlockIOTune", "su", "vdz", 0)
    assert name == ERR and "vdz" in msg
    call(virtbus, TEST_DOM, "SetInterfaceParameters", "sa{sv}u", "testnet0",
         {"inbound.average": GLib.Variant("u", 500)}, 0)
    assert call1(virtbus, TEST_DOM, "GetInterfaceParameters", "su", "aa:bb:cc:dd:ee:ff", 0)["inbound.average"] == 500


# ---- statistics, guest info, jobs ---------------------------------------

def test_all_domain_stats(virtbus):
    define(virtbus)
    records = dict(virtbus.connect_call("GetAllDomainStats", "uu", 0, 0))
    assert set(records) == {"test", "vm1"}
    t = records["test"]
    assert t["state.state"] == RUNNING
    assert t["balloon.current"] == 2097152
    assert t["vcpu.current"] == 2 and t["vcpu.maximum"] == 2
    assert t["net.count"] == 1 and t["net.0.name"] == "testnet0"
    assert t["block.count"] == 1 and t["block.0.name"] == "vda" and t["block.0.path"] == "/guest/diskimage1"
    assert "cpu.time" in t and "block.0.rd.reqs" in t and "net.0.rx.bytes" in t
    v = records["vm1"]
    assert v["state.state"] == SHUTOFF and "cpu.time" not in v
    # filters: active (1) / inactive (2)
    assert [r[0] for r in virtbus.connect_call("GetAllDomainStats", "uu", 1, 1)] == ["test"]
    only = virtbus.connect_call("GetAllDomainStats", "uu", 1, 2)
    assert only == [("vm1", {"state.state": SHUTOFF, "state.reason": 0})]
    # cpu time grows while running and stops while paused
    t1 = call1(virtbus, TEST_DOM, "GetStats", "uu", 2, 0)["cpu.time"]
    virtbus.pump(0.05)
    t2 = call1(virtbus, TEST_DOM, "GetStats", "uu", 2, 0)["cpu.time"]
    assert t2 > t1
    call(virtbus, TEST_DOM, "Suspend")
    t3 = call1(virtbus, TEST_DOM, "GetStats", "uu", 2, 0)["cpu.time"]
    virtbus.pump(0.05)
    assert call1(virtbus, TEST_DOM, "GetStats", "uu", 2, 0)["cpu.time"] == t3
    name, msg = virtbus.error(TEST_PATH, CONN, "GetAllDomainStats", "uu", 1 << 20, 1 << 31)
    assert name == ERR
    name, msg = virtbus.error(TEST_PATH, CONN, "GetAllDomainStats", "uu", 0, 1 << 20)
    assert name == ERR and "flag" in msg.lower()


def test_guest_information(virtbus):
    assert call1(virtbus, TEST_DOM, "GetHostname", "u", 0) == "testhost"
    secs, nsecs = call1(virtbus, TEST_DOM, "GetTime", "u", 0)
    assert abs(secs - GLib.get_real_time() / 1e6) < 5
    call(virtbus, TEST_DOM, "SetTime", "tuu", 1000000000, 0, 0)
    assert abs(call1(virtbus, TEST_DOM, "GetTime", "u", 0)[0] - 1000000000) < 5
    assert call1(virtbus, TEST_DOM, "GetFSInfo", "u", 0) == [
        ("/", "vda1", "ext4", ["vda"]), ("/boot", "vda2", "ext4", ["vda"])]
    assert call1(virtbus, TEST_DOM, "FSFreeze", "asu", [], 0) == 2
    name, msg = virtbus.error(TEST_DOM, DOM, "FSTrim", "stu", "", 0, 0)
    assert name == ERR and "frozen" in msg
    assert call1(virtbus, TEST_DOM, "FSThaw", "asu", ["/boot"], 0) == 1
    assert call1(virtbus, TEST_DOM, "FSThaw", "asu", [], 0) == 1
    call(virtbus, TEST_DOM, "FSTrim", "stu", "/", 0, 0)
    name, msg = virtbus.error(TEST_DOM, DOM, "FSFreeze", "asu", ["/nonexistent"], 0)
    assert name == ERR and "/nonexistent" in msg
    assert call1(virtbus, TEST_DOM, "InterfaceAddresses", "uu", 0, 0) == [
        ("testnet0", "aa:bb:cc:dd:ee:ff", [(0, "192.168.122.3", 24)])]
    assert call1(virtbus, TEST_DOM, "GetControlInfo", "u", 0) == (0, 0, 0)
    assert call1(virtbus, TEST_DOM, "GetDiskErrors", "u", 0) == [("vda", 1)]
    assert call1(virtbus, TEST_DOM, "GetSecurityLabelList") == [("libvirt-test", True)]
    call(virtbus, TEST_DOM, "SetUserPassword", "ssu", "root", "secret", 0)
    call(virtbus, TEST_DOM, "SendKey", "uuauu", 0, 0, [28], 0)
    name, msg = virtbus.error(TEST_DOM, DOM, "SendKey", "uuauu", 0, 0, list(range(17)), 0)
    assert name == ERR and "16" in msg
    call(virtbus, TEST_DOM, "SendProcessSignal", "xuu", 1, 15, 0)
    stats = dict(call1(virtbus, TEST_DOM, "MemoryStats", "u", 0))
    assert stats[6] == 2097152 and stats[4] == 1048576
    call(virtbus, TEST_DOM, "SetMemoryStatsPeriod", "iu", 10, 0)
    assert len(call1(virtbus, TEST_DOM, "MemoryPeek", "ttu", 0, 16, 1)) == 16
    name, msg = virtbus.error(TEST_DOM, DOM, "MemoryPeek", "ttu", 0, 16, 0)
    assert name == ERR
    call(virtbus, TEST_DOM, "Destroy", "u", 0)
    for method, sig, args in (("GetHostname", "u", (0,)), ("GetTime", "u", (0,)), ("GetFSInfo", "u", (0,)),
                              ("MemoryStats", "u", (0,)), ("InterfaceAddresses", "uu", (0, 0))):
        name, msg = virtbus.error(TEST_DOM, DOM, method, sig, *args)
        assert name == ERR and "not running" in msg, method


def test_jobs_and_migration_tunables(virtbus):
    info = call1(virtbus, TEST_DOM, "GetJobInfo")
    assert info[0] == 0
    assert call1(virtbus, TEST_DOM, "GetJobStats", "u", 0) == (0, {})
    name, msg = virtbus.error(TEST_DOM, DOM, "AbortJob")
    assert name == ERR and "no job" in msg
    assert call1(virtbus, TEST_DOM, "MigrateGetCompressionCache", "u", 0) == 64 * 1024 * 1024
    call(virtbus, TEST_DOM, "MigrateSetCompressionCache", "tu", 1 << 20, 0)
    assert call1(virtbus, TEST_DOM, "MigrateGetCompressionCache", "u", 0) == 1 << 20
    call(virtbus, TEST_DOM, "MigrateSetMaxSpeed", "tu", 100, 0)
    assert call1(virtbus, TEST_DOM, "MigrateGetMaxSpeed", "u", 0) == 100
    call(virtbus, TEST_DOM, "MigrateSetMaxDowntime", "tu", 50, 0)
    name, msg = virtbus.error(TEST_DOM, DOM, "MigrateStartPostCopy", "u", 0)
    assert name == ERR and "migrated" in msg
    name, msg = virtbus.error(TEST_DOM, DOM, "MigrateToURI3", "sa{sv}u", "test:///default", {}, 0)
    assert name == ERR and "not supported" in msg
    call(virtbus, TEST_DOM, "ManagedSave", "u", 0)
    job = call1(virtbus, TEST_DOM, "GetJobStats", "u", 1)
    assert job[0] == 3 and job[1]["data_total"] == 2097152 * 1024


def test_block_jobs(virtbus):
    assert call1(virtbus, TEST_DOM, "GetBlockJobInfo", "su", "vda", 0) == (0, 0, 0, 0)
    virtbus.clear_signals()
    call(virtbus, TEST_DOM, "BlockPull", "stu", "vda", 0, 0)
    job = call1(virtbus, TEST_DOM, "GetBlockJobInfo", "su", "vda", 0)
    assert job[0] == 1 and job[3] == 1099511627776 and job[2] <= job[3]
    name, msg = virtbus.error(TEST_DOM, DOM, "BlockPull", "stu", "vda", 0, 0)
    assert name == ERR and "already in active block job" in msg
    sig = virtbus.wait_signal("BlockJob", lambda s: s[0] == TEST_DOM, interface=DOM, timeout=5)
    assert sig[3] == ("vda", 1, 0)
    assert call1(virtbus, TEST_DOM, "GetBlockJobInfo", "su", "vda", 0) == (0, 0, 0, 0)

    call(virtbus, TEST_DOM, "BlockCopy", "ssa{sv}u", "vda",
         "<disk type='file'><source file='/tmp/copy.img'/></disk>", {}, 0)
    name, msg = virtbus.error(TEST_DOM, DOM, "BlockJobAbort", "su", "vda", 2)
    assert name == ERR and "not ready" in msg
    sig = virtbus.wait_signal("BlockJob", lambda s: s[0] == TEST_DOM, interface=DOM, timeout=5)
    assert sig[3] == ("vda", 2, 3)
    call(virtbus, TEST_DOM, "BlockJobSetSpeed", "stu", "vda", 10, 0)
    assert call1(virtbus, TEST_DOM, "GetBlockJobInfo", "su", "vda", 0)[1] == 10
    call(virtbus, TEST_DOM, "BlockJobAbort", "su", "vda", 2)
    sig = virtbus.wait_signal("BlockJob", lambda s: s[0] == TEST_DOM, interface=DOM)
    assert sig[3] == ("vda", 2, 0)
    name, msg = virtbus.error(TEST_DOM, DOM, "BlockJobAbort", "su", "vda", 0)
    assert name == ERR and "does not have an active block job" in msg

    call(virtbus, TEST_DOM, "BlockResize", "stu", "vda", 2048, 1)
    assert call1(virtbus, TEST_DOM, "GetStats", "uu", 32, 0)["block.0.capacity"] == 2048
    assert len(call1(virtbus, TEST_DOM, "BlockPeek", "sttu", "vda", 0, 512, 0)) == 512
    name, msg = virtbus.error(TEST_DOM, DOM, "BlockPeek", "sttu", "vda", 2000, 512, 0)
    assert name == ERR and "beyond" in msg
    name, msg = virtbus.error(TEST_DOM, DOM, "BlockPull", "stu", "sdz", 0, 0)
    assert name == ERR and "sdz" in msg


def test_create_with_files_and_pm_wakeup(virtbus):
    path = define(virtbus)
    virtbus.clear_signals()
    virtbus.call(path, DOM, "CreateWithFiles", "ahu", [], 0, fd_list=Gio.UnixFDList.new())
    wait_event(virtbus, path, STARTED, 0)
    changed = wait_props(virtbus, path, lambda c: "Id" in c)
    assert changed["Id"] == 2
    name, msg = virtbus.error(path, DOM, "PMWakeup", "u", 0)
    assert name == ERR and "power management" in msg
    name, msg = virtbus.error(path, DOM, "OpenGraphicsFD", "uu", 0, 0)
    assert name == ERR and "graphics" in msg


def test_create_xml_runs_given_config_of_inactive_domain(virtbus):
    path = define(virtbus)
    virtbus.clear_signals()
    assert virtbus.connect_call("DomainCreateXML", "su", domain_xml(memory=524288), 0) == path
    wait_event(virtbus, path, STARTED, 0)
    assert prop(virtbus, path, "Persistent") is True
    assert "524288" in call1(virtbus, path, "GetXMLDesc", "u", 0)
    assert "1048576" in call1(virtbus, path, "GetXMLDesc", "u", XML_INACTIVE)
    call(virtbus, path, "Destroy", "u", 0)
    wait_event(virtbus, path, STOPPED, 1)
    assert "1048576" in call1(virtbus, path, "GetXMLDesc", "u", 0)
    assert path in virtbus.connect_call("ListDomains", "u", 0)


def test_open_graphics_fd(virtbus):
    graphics = "<graphics type='vnc' autoport='yes'/>"
    path = virtbus.connect_call("DomainCreateXML", "su", domain_xml(name="g", extra=graphics), 0)
    (handle,), fds = virtbus.call(path, DOM, "OpenGraphicsFD", "uu", 0, 0, fd_list=Gio.UnixFDList.new())
    assert fds is not None and fds.get_length() == 1
    fd = fds.get(handle)
    assert fd >= 0
    os.close(fd)
    name, msg = virtbus.error(path, DOM, "OpenGraphicsFD", "uu", 1, 0)
    assert name == ERR and "index 1" in msg


def test_undefine_flags(virtbus):
    path = define(virtbus)
    name, msg = virtbus.error(path, DOM, "Undefine", "u", 0x1000)
    assert name == ERR and "flag" in msg.lower()
    name, msg = virtbus.error(path, DOM, "Undefine", "u", 4 | 8)
    assert name == ERR and "exclusive" in msg
    call(virtbus, path, "Undefine", "u", 1)  # managed-save flag without an image is fine
    assert path not in virtbus.connect_call("ListDomains", "u", 0)


# ---- lazy export: what the wire shows without a skeleton per object --------

def introspect(vb, path):
    import xml.etree.ElementTree as ET
    xml = vb.call1(path, "org.freedesktop.DBus.Introspectable", "Introspect")
    root = ET.fromstring(xml)
    return ([i.get("name") for i in root.findall("interface")], [n.get("name") for n in root.findall("node")])


def test_exported_objects_look_like_skeletons(virtbus):
    path = define(virtbus)
    objs = virtbus.managed_objects()
    # Every domain of the connection, with exactly the properties GetAll gives.
    doms = sorted(p for p in objs if p.startswith(TEST_PATH + "/domain/"))
    assert doms == sorted([TEST_DOM, path])
    for p in doms:
        assert set(objs[p]) == {DOM}
        assert objs[p][DOM] == virtbus.properties(p, DOM)
    # The connection object is still there, and the other kinds too.
    assert CONN in objs[TEST_PATH]
    assert any(p.startswith(TEST_PATH + "/network/") for p in objs)

    # Introspection: the kind's node lists its objects, an object its interfaces.
    ifaces, nodes = introspect(virtbus, TEST_PATH)
    assert CONN in ifaces and "domain" in nodes and "network" in nodes
    ifaces, nodes = introspect(virtbus, TEST_PATH + "/domain")
    assert ifaces == [] or set(ifaces) <= {"org.freedesktop.DBus.Introspectable", "org.freedesktop.DBus.Peer",
                                           "org.freedesktop.DBus.Properties"}
    assert sorted(nodes) == sorted(p.rsplit("/", 1)[1] for p in doms)
    ifaces, nodes = introspect(virtbus, path)
    assert DOM in ifaces and "org.freedesktop.DBus.Properties" in ifaces and nodes == []

    # Unknown and removed objects: no interface at all.
    gone = dom_path("99999999-2222-3333-4444-555555555555")
    name, msg = virtbus.error(gone, DOM, "GetXMLDesc", "u", 0)
    assert name == "org.freedesktop.DBus.Error.UnknownMethod", (name, msg)
    name, msg = virtbus.error(gone, "org.freedesktop.DBus.Properties", "GetAll", "s", DOM)
    assert name == "org.freedesktop.DBus.Error.UnknownMethod", (name, msg)
    call(virtbus, path, "Undefine", "u", 0)
    name, msg = virtbus.error(path, DOM, "GetXMLDesc", "u", 0)
    assert name == "org.freedesktop.DBus.Error.UnknownMethod", (name, msg)
    assert path not in virtbus.managed_objects()
    assert introspect(virtbus, path)[0] == [] or DOM not in introspect(virtbus, path)[0]


def test_properties_changed_names_only_what_changed(virtbus):
    path = define(virtbus)
    virtbus.clear_signals()
    virtbus.set_property(path, DOM, "Autostart", GLib.Variant("b", True))
    assert wait_props(virtbus, path) == {"Autostart": True}
    call(virtbus, path, "Create", "u", 0)
    changed = wait_props(virtbus, path, lambda c: "Active" in c)
    assert changed["Active"] is True and changed["Id"] != NO_ID and "Name" not in changed
    assert "Autostart" not in changed
    call(virtbus, path, "Destroy", "u", 0)
    changed = wait_props(virtbus, path, lambda c: "Active" in c and not c["Active"])
    assert changed["Id"] == NO_ID


def test_lists_follow_every_change(virtbus):
    # Replies to identical lists are reused: each change must show at once.
    a = define(virtbus, domain_xml("aaa", "11111111-2222-3333-4444-000000000001"))
    b = define(virtbus, domain_xml("bbb", "11111111-2222-3333-4444-000000000002"))
    assert virtbus.connect_call("ListDomains", "u", 0) == [a, b, TEST_DOM]
    assert virtbus.connect_call("ListDomains", "u", 0) == [a, b, TEST_DOM]
    call(virtbus, a, "Rename", "su", "zzz", 0)
    assert virtbus.connect_call("ListDomains", "u", 0) == [b, TEST_DOM, a]
    c = define(virtbus, domain_xml("ccc", "11111111-2222-3333-4444-000000000003"))
    assert virtbus.connect_call("ListDomains", "u", 0) == [b, c, TEST_DOM, a]
    call(virtbus, b, "Undefine", "u", 0)
    assert virtbus.connect_call("ListDomains", "u", 0) == [c, TEST_DOM, a]
    # Filters give their own lists, and the full one is still right after.
    assert virtbus.connect_call("ListDomains", "u", 1) == [TEST_DOM]
    assert virtbus.connect_call("ListDomains", "u", 0) == [c, TEST_DOM, a]


def test_property_reads_follow_every_change(virtbus):
    # After a GetAll the daemon answers Get/GetAll from GDBus' worker thread
    # with the values it published: every change must show at once, with no
    # wait for PropertiesChanged, and a removed object must not answer.
    path = define(virtbus)
    props = virtbus.properties(path, DOM)
    assert virtbus.properties(path, DOM) == props
    assert virtbus.get_property(path, DOM, "Autostart") is False
    virtbus.set_property(path, DOM, "Autostart", GLib.Variant("b", True))
    assert virtbus.get_property(path, DOM, "Autostart") is True
    assert virtbus.properties(path, DOM)["Autostart"] is True
    call(virtbus, path, "Create", "u", 0)
    running = virtbus.properties(path, DOM)
    assert running["Active"] is True and running["Id"] != NO_ID
    assert virtbus.get_property(path, DOM, "Id") == running["Id"]
    call(virtbus, path, "Destroy", "u", 0)
    assert virtbus.get_property(path, DOM, "Active") is False
    assert virtbus.properties(path, DOM)["Id"] == NO_ID
    call(virtbus, path, "Rename", "su", "renamed", 0)
    assert virtbus.get_property(path, DOM, "Name") == "renamed"
    # What is not a property still gets GDBus' own error.
    name, _ = virtbus.error(path, "org.freedesktop.DBus.Properties", "Get", "ss", DOM, "NoSuchProperty")
    assert name == "org.freedesktop.DBus.Error.InvalidArgs", name
    assert virtbus.properties(path, DOM)["Name"] == "renamed"
    # Gone: no interface any more; defined again (same uuid, same path): the
    # new definition's values.
    call(virtbus, path, "Undefine", "u", 0)
    name, _ = virtbus.error(path, "org.freedesktop.DBus.Properties", "GetAll", "s", DOM)
    assert name == "org.freedesktop.DBus.Error.UnknownMethod", name
    name, _ = virtbus.error(path, "org.freedesktop.DBus.Properties", "Get", "ss", DOM, "Name")
    assert name == "org.freedesktop.DBus.Error.UnknownMethod", name
    assert define(virtbus, domain_xml("again")) == path
    assert virtbus.properties(path, DOM)["Name"] == "again"
    assert virtbus.get_property(path, DOM, "Autostart") is False


def test_objects_work_after_their_skeletons_were_swept(virtbus_with_env):
    # Skeletons are made on demand and dropped once idle (here after 1-2 s):
    # calls, Set and PropertiesChanged must not notice.
    vb = virtbus_with_env({"VIRTBUSD_SKELETON_SWEEP_SECONDS": "1"}, "test")
    path = define(vb)
    for _ in range(2):
        assert vb.properties(path, DOM)["Name"] == "vm1"
        vb.clear_signals()
        vb.set_property(path, DOM, "Autostart", GLib.Variant("b", True))
        assert wait_props(vb, path) == {"Autostart": True}
        vb.pump(2.5)  # two sweeps: the first marks, the second drops
        vb.clear_signals()
        vb.set_property(path, DOM, "Autostart", GLib.Variant("b", False))
        assert wait_props(vb, path) == {"Autostart": False}
        assert "<name>vm1</name>" in call1(vb, path, "GetXMLDesc", "u", 0)
        vb.pump(2.5)
    assert "dropped the skeletons of" in vb.read_log()
    # A removed object's skeletons outlive it until the sweep: harmless.
    call(vb, path, "Undefine", "u", 0)
    vb.pump(2.5)
    name, _ = vb.error(path, DOM, "GetXMLDesc", "u", 0)
    assert name == "org.freedesktop.DBus.Error.UnknownMethod"
