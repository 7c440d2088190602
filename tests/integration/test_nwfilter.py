"""org.libvirt.NWFilter and the network filter methods of org.libvirt.Connect,
against the test backend. libvirt's test driver has no network filters; the
embedded test backend keeps them in memory with the rules of libvirt's
nwfilter driver and starts with a few standard filters of its own under
libvirt's names (clean-traffic and the filters it references)."""
from gi.repository import GLib

from conftest import TEST_PATH

NWF = "org.libvirt.NWFilter"
CONNECT = "org.libvirt.Connect"
PROPS = "org.freedesktop.DBus.Properties"
OM = "org.freedesktop.DBus.ObjectManager"
LIBVIRT_ERROR = "org.libvirt.Error"

STANDARD = ["allow-arp", "allow-dhcp", "allow-ipv4", "clean-traffic", "no-arp-spoofing", "no-ip-spoofing",
            "no-mac-spoofing", "no-other-l2-traffic"]
CLEAN_TRAFFIC_REFS = ["no-mac-spoofing", "no-ip-spoofing", "no-arp-spoofing", "allow-arp", "allow-ipv4",
                      "no-other-l2-traffic"]

F1_UUID = "5e4d3c2b-1a09-4f8e-a7d6-c5b4a3928170"
F1_PATH = TEST_PATH + "/nwfilter/_" + F1_UUID.replace("-", "_")
# As the model formats it (libvirt: virsh nwfilter-dumpxml).
F1_XML = """<filter name='f1' chain='ipv4' priority='-700'>
  <uuid>%s</uuid>
  <rule action='accept' direction='in' priority='500'>
    <tcp dstportstart='22'/>
  </rule>
  <filterref filter='allow-arp'/>
</filter>
""" % F1_UUID


def filter_path(uuid):
    return TEST_PATH + "/nwfilter/_" + uuid.replace("-", "_")


def define(virtbus, xml=F1_XML):
    return virtbus.connect_call("NWFilterDefineXML", "s", xml)


def props(virtbus, path):
    return virtbus.properties(path, NWF)


def xml_of(virtbus, path):
    return virtbus.call1(path, NWF, "GetXMLDesc", "u", 0)


def by_name(virtbus, name):
    return virtbus.connect_call("NWFilterLookupByName", "s", name)


def names(virtbus):
    return [props(virtbus, p)["Name"] for p in virtbus.connect_call("ListNWFilters", "u", 0)]


def assert_error(virtbus, path, iface, method, sig="", *args, contains=()):
    name, msg = virtbus.error(path, iface, method, sig, *args)
    assert name == LIBVIRT_ERROR, (name, msg)
    for c in (contains if isinstance(contains, (list, tuple)) else (contains,)):
        assert c in msg, msg
    return msg


def simple(name, refs=(), uuid=None):
    body = "".join("<filterref filter='%s'/>" % r for r in refs)
    u = "<uuid>%s</uuid>" % uuid if uuid else ""
    return "<filter name='%s'>%s<rule action='accept' direction='inout'/>%s</filter>" % (name, u, body)


# ---- standard filters ----

def test_standard_filters(virtbus):
    paths = virtbus.connect_call("ListNWFilters", "u", 0)
    assert len(paths) == len(STANDARD)
    assert names(virtbus) == STANDARD  # listed by name
    objs = virtbus.managed_objects()
    for p in paths:
        pr = props(virtbus, p)
        assert p == filter_path(pr["UUID"])
        assert objs[p][NWF] == pr
        assert by_name(virtbus, pr["Name"]) == p
        assert virtbus.connect_call("NWFilterLookupByUUID", "s", pr["UUID"]) == p
        xml = xml_of(virtbus, p)
        assert xml.startswith("<filter name='%s'" % pr["Name"]) and ("<uuid>%s</uuid>" % pr["UUID"]) in xml
    ct = xml_of(virtbus, by_name(virtbus, "clean-traffic"))
    for r in CLEAN_TRAFFIC_REFS:
        assert "<filterref filter='%s'/>" % r in ct
    # what libvirt's clean-traffic does: a guest may only send with its own MAC
    assert "srcmacaddr='$MAC'" in xml_of(virtbus, by_name(virtbus, "no-mac-spoofing"))


def test_standard_filters_roundtrip(virtbus):
    # each standard filter's XML defines back to the same filter, unchanged
    for p in virtbus.connect_call("ListNWFilters", "u", 0):
        xml = xml_of(virtbus, p)
        assert define(virtbus, xml) == p
        assert xml_of(virtbus, p) == xml


def test_list_flags(virtbus):
    assert_error(virtbus, TEST_PATH, CONNECT, "ListNWFilters", "u", 1, contains=["unsupported flags", "0x1"])


# ---- define / lookup / undefine ----

def test_define_and_undefine(virtbus):
    virtbus.clear_signals()
    path = define(virtbus)
    assert path == F1_PATH
    sig = virtbus.wait_signal("InterfacesAdded", lambda s: s[3][0] == path, interface=OM)
    assert sig[3][1][NWF] == {"Name": "f1", "UUID": F1_UUID}
    assert props(virtbus, path) == {"Name": "f1", "UUID": F1_UUID}
    assert xml_of(virtbus, path) == F1_XML
    assert by_name(virtbus, "f1") == path
    assert virtbus.connect_call("NWFilterLookupByUUID", "s", F1_UUID.replace("-", "").upper()) == path
    assert path in virtbus.connect_call("ListNWFilters", "u", 0)

    assert virtbus.call(path, NWF, "Undefine") == ()
    sig = virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == path, interface=OM)
    assert NWF in sig[3][1]
    assert path not in virtbus.managed_objects()
    assert names(virtbus) == STANDARD
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterLookupByName", "s", "f1",
                 contains=["Network filter not found", "f1"])
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterLookupByUUID", "s", F1_UUID, contains=F1_UUID)
    # libvirt-dbus has no nwfilter lifecycle signal
    assert not [s for s in virtbus.signals if s[1] == CONNECT]


def test_lookup_errors(virtbus):
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterLookupByName", "s", "nope",
                 contains=["Network filter not found", "nope"])
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterLookupByUUID", "s", "zzz", contains=["zzz", "UUID"])


def test_define_generates_uuid(virtbus):
    path = define(virtbus, simple("gen"))
    uuid = props(virtbus, path)["UUID"]
    assert len(uuid) == 36 and path == filter_path(uuid)
    assert ("<uuid>%s</uuid>" % uuid) in xml_of(virtbus, path)


def test_redefine(virtbus):
    path = define(virtbus)
    virtbus.clear_signals()
    changed = F1_XML.replace("'22'", "'2222'")
    assert define(virtbus, changed) == path
    assert xml_of(virtbus, path) == changed
    # without a uuid, redefining by name keeps the filter's identity
    no_uuid = changed.replace("  <uuid>%s</uuid>\n" % F1_UUID, "").replace("'2222'", "'80'")
    assert define(virtbus, no_uuid) == path
    assert props(virtbus, path) == {"Name": "f1", "UUID": F1_UUID}
    assert xml_of(virtbus, path) == F1_XML.replace("'22'", "'80'")
    virtbus.pump(0.1)
    assert not [s for s in virtbus.signals if s[2] in ("InterfacesAdded", "InterfacesRemoved")]


def test_define_collisions(virtbus):
    define(virtbus)
    # same name, other uuid
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterDefineXML", "s",
                 F1_XML.replace(F1_UUID, "11111111-2222-3333-4444-555555555555"),
                 contains=["filter 'f1' already exists with uuid %s" % F1_UUID])
    # same uuid, other name
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterDefineXML", "s", F1_XML.replace("name='f1'", "name='f2'"),
                 contains=["same UUID", "('f1')"])
    assert names(virtbus) == sorted(STANDARD + ["f1"])
    assert xml_of(virtbus, F1_PATH) == F1_XML


def test_define_bad_xml(virtbus):
    before = virtbus.connect_call("ListNWFilters", "u", 0)
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterDefineXML", "s", "<filter name='x'>", contains="malformed")
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterDefineXML", "s", "<network/>", contains="<filter>")
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterDefineXML", "s", "<filter name='x'><bogus/></filter>",
                 contains="<bogus>")
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterDefineXML", "s",
                 "<filter name='x'><rule action='explode' direction='in'/></filter>", contains="explode")
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterDefineXML", "s",
                 "<filter name='x'><rule action='drop' direction='in'><tcp dstportstart='notaport'/></rule>"
                 "</filter>", contains="notaport")
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterDefineXML", "s",
                 "<filter name='x'><uuid>12</uuid></filter>", contains="12")
    assert virtbus.connect_call("ListNWFilters", "u", 0) == before


def test_xml_desc_flags(virtbus):
    path = by_name(virtbus, "allow-arp")
    assert_error(virtbus, path, NWF, "GetXMLDesc", "u", 1, contains=["unsupported flags", "0x1"])


# ---- filter references ----

def test_self_reference_rejected(virtbus):
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterDefineXML", "s", simple("selfish", ["selfish"]),
                 contains=["loop", "selfish"])
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterLookupByName", "s", "selfish", contains="selfish")


def test_indirect_loop_rejected(virtbus):
    # references to filters that do not exist yet are fine
    a = define(virtbus, simple("a", ["b"]))
    b = define(virtbus, simple("b", ["c"]))
    msg = assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterDefineXML", "s", simple("c", ["allow-arp", "a"]),
                       contains=["loop", "'c'", "'a'", "'b'"])
    assert "'c' -> 'a' -> 'b' -> 'c'" in msg
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterLookupByName", "s", "c", contains="c")
    c = define(virtbus, simple("c", ["allow-arp"]))
    # redefining an existing filter into a loop is refused and keeps the old one
    old = xml_of(virtbus, a)
    assert_error(virtbus, TEST_PATH, CONNECT, "NWFilterDefineXML", "s", simple("c", ["a"]),
                 contains=["loop", "'c' -> 'a' -> 'b' -> 'c'"])
    assert "allow-arp" in xml_of(virtbus, c) and xml_of(virtbus, a) == old
    # a diamond is no loop
    d = define(virtbus, simple("d", ["a", "b", "c"]))
    assert props(virtbus, d)["Name"] == "d"
    assert b


def test_undefine_in_use(virtbus):
    path = by_name(virtbus, "no-mac-spoofing")
    assert_error(virtbus, path, NWF, "Undefine", contains=["nwfilter is in use", "clean-traffic"])
    assert path in virtbus.managed_objects()
    f1 = define(virtbus)  # references allow-arp
    assert_error(virtbus, by_name(virtbus, "allow-arp"), NWF, "Undefine", contains="nwfilter is in use")
    virtbus.call(f1, NWF, "Undefine")
    # clean-traffic still references allow-arp
    assert_error(virtbus, by_name(virtbus, "allow-arp"), NWF, "Undefine", contains="clean-traffic")
    # once the user is gone the parts can go
    virtbus.call(by_name(virtbus, "clean-traffic"), NWF, "Undefine")
    virtbus.call(path, NWF, "Undefine")
    assert "no-mac-spoofing" not in names(virtbus)
    # nothing references a filter whose own reference dangles
    g = define(virtbus, simple("g", ["missing"]))
    virtbus.call(g, NWF, "Undefine")
    assert "g" not in names(virtbus)


# ---- wire types ----

def test_wrong_dbus_types(virtbus):
    path = by_name(virtbus, "allow-arp")
    name, _ = virtbus.error(TEST_PATH, CONNECT, "NWFilterDefineXML", "su", F1_XML, 0)
    assert name == "org.freedesktop.DBus.Error.InvalidArgs"
    name, _ = virtbus.error(TEST_PATH, CONNECT, "NWFilterLookupByName", "u", 3)
    assert name == "org.freedesktop.DBus.Error.InvalidArgs"
    name, _ = virtbus.error(path, NWF, "GetXMLDesc", "s", "0")
    assert name == "org.freedesktop.DBus.Error.InvalidArgs"
    name, _ = virtbus.error(path, PROPS, "Set", "ssv", NWF, "Name", GLib.Variant("s", "renamed"))
    assert name.startswith("org.freedesktop.DBus.Error")
    assert props(virtbus, path)["Name"] == "allow-arp"
