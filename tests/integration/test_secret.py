"""org.libvirt.Secret and the secret methods of org.libvirt.Connect, against
the test backend. libvirt's test driver has no secrets at all; the embedded
test backend keeps them in memory with the rules of libvirt's secret driver
(uuid/usage collisions, private values, lifecycle events)."""
import pytest
from gi.repository import Gio, GLib

from conftest import TEST_PATH

SECRET = "org.libvirt.Secret"
CONNECT = "org.libvirt.Connect"
PROPS = "org.freedesktop.DBus.Properties"
OM = "org.freedesktop.DBus.ObjectManager"
LIBVIRT_ERROR = "org.libvirt.Error"

# virSecretEventLifecycleType
DEFINED, UNDEFINED = 0, 1
# virConnectListAllSecretsFlags
L_EPHEMERAL, L_NO_EPHEMERAL, L_PRIVATE, L_NO_PRIVATE = 1, 2, 4, 8
# virSecretUsageType
USAGE_NONE, USAGE_VOLUME, USAGE_CEPH, USAGE_ISCSI, USAGE_TLS, USAGE_VTPM = 0, 1, 2, 3, 4, 5

S1_UUID = "2a5b8c1e-0f3d-4e7a-b6c9-1d2e3f405162"
S1_PATH = TEST_PATH + "/secret/_" + S1_UUID.replace("-", "_")
# As the model formats it (libvirt: virsh secret-dumpxml).
S1_XML = """<secret ephemeral='no' private='no'>
  <uuid>%s</uuid>
  <description>disk passphrase</description>
  <usage type='volume'>
    <volume>/var/lib/libvirt/images/s1.img</volume>
  </usage>
</secret>
""" % S1_UUID

S2_UUID = "7c0d9e8f-1a2b-4c3d-8e5f-60718293a4b5"
S2_PATH = TEST_PATH + "/secret/_" + S2_UUID.replace("-", "_")
S2_XML = """<secret ephemeral='yes' private='yes'>
  <uuid>%s</uuid>
  <usage type='ceph'>
    <name>client.admin secret</name>
  </usage>
</secret>
""" % S2_UUID


def secret_path(uuid):
    return TEST_PATH + "/secret/_" + uuid.replace("-", "_")


def define(virtbus, xml=S1_XML, flags=0):
    return virtbus.connect_call("SecretDefineXML", "su", xml, flags)


def props(virtbus, path):
    return virtbus.properties(path, SECRET)


def assert_error(virtbus, path, iface, method, sig="", *args, contains=()):
    name, msg = virtbus.error(path, iface, method, sig, *args)
    assert name == LIBVIRT_ERROR, (name, msg)
    for c in (contains if isinstance(contains, (list, tuple)) else (contains,)):
        assert c in msg, msg
    return msg


def secret_event(virtbus, path, code):
    sig = virtbus.wait_signal("SecretEvent", lambda s: s[3][0] == path, interface=CONNECT)
    assert sig[0] == TEST_PATH
    assert sig[3] == (path, code, 0), sig
    return sig


def assert_no_signal(virtbus, name, seconds=0.2):
    virtbus.pump(seconds)
    assert not [s for s in virtbus.signals if s[2] == name], virtbus.signals


def raw_call(virtbus, path, method, params):
    """Calls with prebuilt parameters and returns the reply GVariant: 1 MiB
    byte arrays are far too slow to pass through PyGObject's unpacking."""
    return virtbus.connection.call_sync("org.libvirt", path, SECRET, method, params, None,
                                        Gio.DBusCallFlags.NONE, 10000, None)


def value_params(value, flags):
    ay = GLib.Variant.new_from_bytes(GLib.VariantType("ay"), GLib.Bytes.new(value), True)
    return GLib.Variant.new_tuple(ay, GLib.Variant("u", flags))


def get_value(virtbus, path, flags=0):
    reply = raw_call(virtbus, path, "GetValue", GLib.Variant("(u)", (flags,)))
    return bytes(reply.get_child_value(0).get_data_as_bytes().get_data() or b"")


def set_value(virtbus, path, value, flags=0):
    assert raw_call(virtbus, path, "SetValue", value_params(value, flags)).unpack() == ()


def set_value_error(virtbus, path, value, flags=0):
    with pytest.raises(GLib.Error) as info:
        raw_call(virtbus, path, "SetValue", value_params(value, flags))
    assert Gio.DBusError.get_remote_error(info.value) == LIBVIRT_ERROR, info.value.message
    return info.value.message


# ---- empty start, define, lookups ----

def test_no_initial_secrets(virtbus):
    assert virtbus.connect_call("ListSecrets", "u", 0) == []
    assert not [p for p in virtbus.managed_objects() if "/secret/" in p]


def test_define_and_undefine(virtbus):
    virtbus.clear_signals()
    path = define(virtbus)
    assert path == S1_PATH
    sig = virtbus.wait_signal("InterfacesAdded", lambda s: s[3][0] == path, interface=OM)
    assert sig[3][1][SECRET] == {"UUID": S1_UUID, "UsageID": "/var/lib/libvirt/images/s1.img",
                                 "UsageType": USAGE_VOLUME}
    secret_event(virtbus, path, DEFINED)
    assert props(virtbus, path) == {"UUID": S1_UUID, "UsageID": "/var/lib/libvirt/images/s1.img",
                                    "UsageType": USAGE_VOLUME}
    assert virtbus.call1(path, SECRET, "GetXMLDesc", "u", 0) == S1_XML
    assert virtbus.managed_objects()[path][SECRET]["UUID"] == S1_UUID
    assert virtbus.connect_call("ListSecrets", "u", 0) == [path]

    assert virtbus.call(path, SECRET, "Undefine") == ()
    secret_event(virtbus, path, UNDEFINED)
    sig = virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == path, interface=OM)
    assert SECRET in sig[3][1]
    assert path not in virtbus.managed_objects()
    assert virtbus.connect_call("ListSecrets", "u", 0) == []
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretLookupByUUID", "s", S1_UUID,
                 contains=["Secret not found", S1_UUID])
    # the object is gone from the bus
    with pytest.raises(GLib.Error):
        virtbus.call(path, SECRET, "Undefine")


def test_undefine_event_precedes_removal(virtbus):
    path = define(virtbus)
    virtbus.clear_signals()
    virtbus.call(path, SECRET, "Undefine")
    virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == path, interface=OM)
    # wait_signal dropped everything before InterfacesRemoved: the event must
    # not be left over, i.e. it came first
    virtbus.pump(0.1)
    assert not [s for s in virtbus.signals if s[2] == "SecretEvent"], virtbus.signals


def test_define_generates_uuid(virtbus):
    path = define(virtbus, "<secret ephemeral='no' private='no'><usage type='tls'><name>web</name></usage></secret>")
    uuid = props(virtbus, path)["UUID"]
    assert len(uuid) == 36 and uuid.count("-") == 4
    assert path == secret_path(uuid)
    xml = virtbus.call1(path, SECRET, "GetXMLDesc", "u", 0)
    assert ("<uuid>%s</uuid>" % uuid) in xml and "<name>web</name>" in xml
    assert props(virtbus, path)["UsageType"] == USAGE_TLS


def test_usage_none_has_empty_usage_id(virtbus):
    a = define(virtbus, "<secret><uuid>00000000-0000-0000-0000-0000000000a1</uuid></secret>")
    b = define(virtbus, "<secret><uuid>00000000-0000-0000-0000-0000000000b2</uuid></secret>")
    # no usage: nothing to collide on
    assert a != b
    assert props(virtbus, a) == {"UUID": "00000000-0000-0000-0000-0000000000a1", "UsageID": "", "UsageType": 0}
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretLookupByUsage", "is", USAGE_NONE, "",
                 contains="Secret not found")


def test_lookups(virtbus):
    s1 = define(virtbus)
    s2 = define(virtbus, S2_XML)
    assert virtbus.connect_call("SecretLookupByUUID", "s", S1_UUID) == s1
    assert virtbus.connect_call("SecretLookupByUUID", "s", S2_UUID.replace("-", "").upper()) == s2
    assert virtbus.connect_call("SecretLookupByUsage", "is", USAGE_VOLUME, "/var/lib/libvirt/images/s1.img") == s1
    assert virtbus.connect_call("SecretLookupByUsage", "is", USAGE_CEPH, "client.admin secret") == s2
    # the usage id belongs to its type
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretLookupByUsage", "is", USAGE_TLS, "client.admin secret",
                 contains=["Secret not found", "client.admin secret"])
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretLookupByUsage", "is", USAGE_VOLUME, "/nope",
                 contains="/nope")
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretLookupByUsage", "is", 42, "x", contains="42")
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretLookupByUUID", "s", "00000000-1111-2222-3333-444444444444",
                 contains="00000000-1111-2222-3333-444444444444")
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretLookupByUUID", "s", "bogus", contains=["bogus", "UUID"])


def test_list_filters(virtbus):
    s1 = define(virtbus)                # persistent, public
    s2 = define(virtbus, S2_XML)        # ephemeral, private
    s3 = define(virtbus, "<secret ephemeral='yes' private='no'><uuid>%s</uuid>"
                "<usage type='iscsi'><target>iqn.2026-01.org.example:t</target></usage></secret>"
                % "11111111-2222-3333-4444-555555555555")
    lst = lambda f: sorted(virtbus.connect_call("ListSecrets", "u", f))
    assert lst(0) == sorted([s1, s2, s3])
    assert lst(L_EPHEMERAL) == sorted([s2, s3])
    assert lst(L_NO_EPHEMERAL) == [s1]
    assert lst(L_PRIVATE) == [s2]
    assert lst(L_NO_PRIVATE) == sorted([s1, s3])
    assert lst(L_EPHEMERAL | L_NO_PRIVATE) == [s3]
    assert lst(L_NO_EPHEMERAL | L_PRIVATE) == []
    assert lst(L_EPHEMERAL | L_NO_EPHEMERAL) == lst(0)
    assert props(virtbus, s3)["UsageType"] == USAGE_ISCSI
    assert_error(virtbus, TEST_PATH, CONNECT, "ListSecrets", "u", 16, contains=["unsupported flags", "0x10"])


# ---- redefinition and collisions ----

def test_redefine_updates(virtbus):
    path = define(virtbus)
    virtbus.clear_signals()
    set_value(virtbus, path, b"hunter2")
    new_xml = S1_XML.replace("disk passphrase", "new description")
    assert define(virtbus, new_xml) == path
    secret_event(virtbus, path, DEFINED)
    assert virtbus.call1(path, SECRET, "GetXMLDesc", "u", 0) == new_xml
    # the value survives the redefinition, no new object appeared
    assert get_value(virtbus, path) == b"hunter2"
    assert virtbus.connect_call("ListSecrets", "u", 0) == [path]
    assert not [s for s in virtbus.signals if s[2] == "InterfacesAdded"]


def test_usage_conflict(virtbus):
    define(virtbus)
    virtbus.clear_signals()
    other = S1_XML.replace(S1_UUID, "99999999-8888-7777-6666-555555555555")
    msg = assert_error(virtbus, TEST_PATH, CONNECT, "SecretDefineXML", "su", other, 0,
                       contains=["a secret with UUID %s already defined for use with" % S1_UUID,
                                 "/var/lib/libvirt/images/s1.img"])
    # a different usage type may use the same id
    assert msg.startswith("a secret")
    assert virtbus.connect_call("ListSecrets", "u", 0) == [S1_PATH]
    assert_no_signal(virtbus, "SecretEvent")
    # a different usage type may use the same id
    define(virtbus, S2_XML)
    tls = define(virtbus, "<secret><uuid>99999999-8888-7777-6666-555555555555</uuid>"
                 "<usage type='tls'><name>client.admin secret</name></usage></secret>")
    assert props(virtbus, tls)["UsageType"] == USAGE_TLS
    assert virtbus.connect_call("SecretLookupByUsage", "is", USAGE_TLS, "client.admin secret") == tls
    assert virtbus.connect_call("SecretLookupByUsage", "is", USAGE_CEPH, "client.admin secret") == S2_PATH


def test_changing_usage_refused(virtbus):
    path = define(virtbus)
    virtbus.clear_signals()
    moved = S1_XML.replace("/var/lib/libvirt/images/s1.img", "/elsewhere.img")
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretDefineXML", "su", moved, 0,
                 contains=["a secret with UUID %s is already defined for use with" % S1_UUID,
                           "/var/lib/libvirt/images/s1.img"])
    assert virtbus.call1(path, SECRET, "GetXMLDesc", "u", 0) == S1_XML
    # same usage id, other usage type: still a change of usage
    ceph = define(virtbus, S2_XML)
    virtbus.clear_signals()
    retyped = S2_XML.replace("type='ceph'", "type='tls'")
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretDefineXML", "su", retyped, 0,
                 contains=[S2_UUID, "client.admin secret"])
    assert props(virtbus, ceph)["UsageType"] == USAGE_CEPH
    assert_no_signal(virtbus, "SecretEvent")


def test_private_flag_cannot_be_dropped(virtbus):
    path = define(virtbus, S2_XML)
    public = S2_XML.replace("private='yes'", "private='no'")
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretDefineXML", "su", public, 0,
                 contains=["private", S2_UUID])
    assert virtbus.connect_call("ListSecrets", "u", L_PRIVATE) == [path]
    # making a public secret private is fine
    s1 = define(virtbus)
    assert define(virtbus, S1_XML.replace("private='no'", "private='yes'")) == s1
    assert sorted(virtbus.connect_call("ListSecrets", "u", L_PRIVATE)) == sorted([path, s1])


def test_define_bad_xml(virtbus):
    virtbus.clear_signals()
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretDefineXML", "su", "<secret><uuid>", 0,
                 contains="malformed")
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretDefineXML", "su", "<network/>", 0, contains="<secret>")
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretDefineXML", "su", "<secret><bogus/></secret>", 0,
                 contains="<bogus>")
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretDefineXML", "su", "<secret><uuid>123</uuid></secret>", 0,
                 contains="123")
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretDefineXML", "su",
                 "<secret><usage type='floppy'><name>x</name></usage></secret>", 0, contains="floppy")
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretDefineXML", "su", "<secret/>", 2,
                 contains=["unsupported flags", "0x2"])
    assert virtbus.connect_call("ListSecrets", "u", 0) == []
    assert_no_signal(virtbus, "SecretEvent")


def test_define_validate_flag(virtbus):
    # VIR_SECRET_DEFINE_VALIDATE: accepted (our parser always validates)
    assert define(virtbus, S1_XML, 1) == S1_PATH
    assert_error(virtbus, TEST_PATH, CONNECT, "SecretDefineXML", "su", "<secret><bogus/></secret>", 1,
                 contains="<bogus>")


# ---- values ----

def test_value_roundtrip(virtbus):
    path = define(virtbus)
    assert_error(virtbus, path, SECRET, "GetValue", "u", 0, contains=["does not have a value", S1_UUID])
    binary = bytes(range(256)) + b"\0\0tail"
    set_value(virtbus, path, binary)
    assert get_value(virtbus, path) == binary
    set_value(virtbus, path, b"second")
    assert get_value(virtbus, path) == b"second"
    set_value(virtbus, path, b"")
    assert get_value(virtbus, path) == b""
    assert_error(virtbus, path, SECRET, "GetValue", "u", 1, contains=["unsupported flags", "0x1"])
    assert_error(virtbus, path, SECRET, "SetValue", "ayu", b"x", 4, contains=["unsupported flags", "0x4"])
    assert get_value(virtbus, path) == b""


def test_ephemeral_value_kept_in_memory(virtbus, tmp_root):
    import os
    path = define(virtbus, S2_XML.replace("private='yes'", "private='no'"))
    set_value(virtbus, path, b"ephemeral-sekrit")
    assert get_value(virtbus, path) == b"ephemeral-sekrit"
    # nothing under the state root mentions the secret or its value
    for d, _, files in os.walk(virtbus.root_prefix):
        for f in files:
            if f == "virtbusd.log":
                continue
            with open(os.path.join(d, f), "rb") as fh:
                data = fh.read()
            assert b"ephemeral-sekrit" not in data and S2_UUID.encode() not in data, f


def test_private_value(virtbus):
    path = define(virtbus, S2_XML)
    set_value(virtbus, path, b"top secret")
    assert_error(virtbus, path, SECRET, "GetValue", "u", 0, contains="secret is private")
    # still settable, still not readable
    set_value(virtbus, path, b"other")
    assert_error(virtbus, path, SECRET, "GetValue", "u", 0, contains="secret is private")
    assert "top secret" not in virtbus.call1(path, SECRET, "GetXMLDesc", "u", 0)


def test_oversized_value(virtbus):
    path = define(virtbus)
    set_value(virtbus, path, b"small")
    big = b"\x01" * (1024 * 1024 + 1)
    msg = set_value_error(virtbus, path, big)
    assert "1048577" in msg and "1048576" in msg and "exceeds" in msg, msg
    assert get_value(virtbus, path) == b"small"
    exact = b"\x02" * (1024 * 1024)
    set_value(virtbus, path, exact)
    assert get_value(virtbus, path) == exact


def test_xml_desc_flags(virtbus):
    path = define(virtbus)
    assert_error(virtbus, path, SECRET, "GetXMLDesc", "u", 1, contains=["unsupported flags", "0x1"])


# ---- wire types ----

def test_wrong_dbus_types(virtbus):
    path = define(virtbus)
    name, _ = virtbus.error(TEST_PATH, CONNECT, "SecretDefineXML", "s", S1_XML)
    assert name == "org.freedesktop.DBus.Error.InvalidArgs"
    name, _ = virtbus.error(path, SECRET, "SetValue", "su", "string-not-bytes", 0)
    assert name == "org.freedesktop.DBus.Error.InvalidArgs"
    name, _ = virtbus.error(TEST_PATH, CONNECT, "SecretLookupByUsage", "ss", "1", "x")
    assert name == "org.freedesktop.DBus.Error.InvalidArgs"
    name, _ = virtbus.error(path, SECRET, "GetValue", "s", "0")
    assert name == "org.freedesktop.DBus.Error.InvalidArgs"
    # properties are read-only
    name, _ = virtbus.error(path, PROPS, "Set", "ssv", SECRET, "UsageID", GLib.Variant("s", "x"))
    assert name.startswith("org.freedesktop.DBus.Error")
    assert props(virtbus, path)["UsageID"] == "/var/lib/libvirt/images/s1.img"
