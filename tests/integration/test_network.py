"""org.libvirt.Network and the network methods of org.libvirt.Connect, against
the test backend (libvirt's test:///default: one active, persistent
"default" network)."""
import pytest
from gi.repository import GLib

from conftest import TEST_PATH

NET = "org.libvirt.Network"
CONNECT = "org.libvirt.Connect"
PROPS = "org.freedesktop.DBus.Properties"
OM = "org.freedesktop.DBus.ObjectManager"
LIBVIRT_ERROR = "org.libvirt.Error"

DEFAULT_UUID = "dd8fe884-6c02-601e-7551-cca97df1c5df"
DEFAULT_PATH = TEST_PATH + "/network/_" + DEFAULT_UUID.replace("-", "_")
# virsh -c test:///default net-dumpxml default
DEFAULT_XML = """<network>
  <name>default</name>
  <uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>
"""

# virNetworkEventLifecycleType
DEFINED, UNDEFINED, STARTED, STOPPED = 0, 1, 2, 3
# virConnectListAllNetworksFlags
L_INACTIVE, L_ACTIVE, L_PERSISTENT, L_TRANSIENT, L_AUTOSTART, L_NO_AUTOSTART = 1, 2, 4, 8, 16, 32
# virNetworkUpdateCommand / Section / Flags
MODIFY, DELETE, ADD_LAST, ADD_FIRST = 1, 2, 3, 4
SEC_BRIDGE, SEC_IP, SEC_DHCP_HOST, SEC_DHCP_RANGE, SEC_DNS_HOST = 1, 3, 4, 5, 10
CURRENT, LIVE, CONFIG = 0, 1, 2
XML_INACTIVE = 1

N1_UUID = "6f1e0c5a-3b7d-4e2a-9c41-0d2b7a9e8f10"
N1_PATH = TEST_PATH + "/network/_" + N1_UUID.replace("-", "_")
N1_XML = """<network>
  <name>n1</name>
  <uuid>%s</uuid>
  <bridge name='vbr1' stp='on' delay='0'/>
  <ip address='10.1.0.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='10.1.0.2' end='10.1.0.9'/>
    </dhcp>
  </ip>
</network>
""" % N1_UUID


def host(mac, ip):
    return "<host mac='%s' ip='%s'/>" % (mac, ip)


def n1_xml_with(extra_hosts):
    """N1_XML with static DHCP hosts after the range, as libvirt formats them."""
    lines = "".join("      %s\n" % h for h in extra_hosts)
    return N1_XML.replace("    </dhcp>\n", lines + "    </dhcp>\n")


def xml_of(virtbus, path, flags=0):
    return virtbus.call1(path, NET, "GetXMLDesc", "u", flags)


def props(virtbus, path):
    return virtbus.properties(path, NET)


def network_event(virtbus, path, code):
    sig = virtbus.wait_signal("NetworkEvent", lambda s: s[3][0] == path, interface=CONNECT)
    assert sig[0] == TEST_PATH
    assert sig[3] == (path, code), sig
    return sig


def prop_changed(virtbus, path, name, value):
    def match(s):
        return s[0] == path and s[3][0] == NET and name in s[3][1]
    sig = virtbus.wait_signal("PropertiesChanged", match, interface=PROPS)
    assert sig[3][1][name] == value, sig


def define(virtbus, xml=N1_XML):
    return virtbus.connect_call("NetworkDefineXML", "s", xml)


def assert_error(virtbus, path, iface, method, sig="", *args, contains=()):
    name, msg = virtbus.error(path, iface, method, sig, *args)
    assert name == LIBVIRT_ERROR, (name, msg)
    for c in (contains if isinstance(contains, (list, tuple)) else (contains,)):
        assert c in msg, msg
    return msg


def assert_no_signal(virtbus, name, seconds=0.2):
    virtbus.pump(seconds)
    assert not [s for s in virtbus.signals if s[2] == name], virtbus.signals


# ---- the default network ----

def test_default_network(virtbus):
    assert virtbus.connect_call("ListNetworks", "u", 0) == [DEFAULT_PATH]
    assert props(virtbus, DEFAULT_PATH) == {
        "Active": True, "Autostart": False, "Name": "default", "Persistent": True, "UUID": DEFAULT_UUID}
    assert xml_of(virtbus, DEFAULT_PATH) == DEFAULT_XML
    assert xml_of(virtbus, DEFAULT_PATH, XML_INACTIVE) == DEFAULT_XML
    objs = virtbus.managed_objects()
    assert objs[DEFAULT_PATH][NET]["Name"] == "default"


def test_lookups(virtbus):
    assert virtbus.connect_call("NetworkLookupByName", "s", "default") == DEFAULT_PATH
    assert virtbus.connect_call("NetworkLookupByUUID", "s", DEFAULT_UUID) == DEFAULT_PATH
    # libvirt accepts the UUID without dashes and in upper case
    assert virtbus.connect_call("NetworkLookupByUUID", "s", DEFAULT_UUID.replace("-", "").upper()) == DEFAULT_PATH

    msg = assert_error(virtbus, TEST_PATH, CONNECT, "NetworkLookupByName", "s", "nope", contains="nope")
    assert "network" in msg.lower()
    assert_error(virtbus, TEST_PATH, CONNECT, "NetworkLookupByUUID", "s", N1_UUID, contains=N1_UUID)
    assert_error(virtbus, TEST_PATH, CONNECT, "NetworkLookupByUUID", "s", "not-a-uuid",
                 contains=["not-a-uuid", "UUID"])


def test_list_filters(virtbus):
    n1 = define(virtbus)
    virtbus.call(n1, PROPS, "Set", "ssv", NET, "Autostart", GLib.Variant("b", True))
    t = virtbus.connect_call("NetworkCreateXML", "s", "<network><name>t1</name></network>")
    lst = lambda f: sorted(virtbus.connect_call("ListNetworks", "u", f))
    assert lst(0) == sorted([DEFAULT_PATH, n1, t])
    assert lst(L_ACTIVE) == sorted([DEFAULT_PATH, t])
    assert lst(L_INACTIVE) == [n1]
    assert lst(L_ACTIVE | L_INACTIVE) == lst(0)
    assert lst(L_PERSISTENT) == sorted([DEFAULT_PATH, n1])
    assert lst(L_TRANSIENT) == [t]
    assert lst(L_AUTOSTART) == [n1]
    assert lst(L_NO_AUTOSTART) == sorted([DEFAULT_PATH, t])
    assert lst(L_ACTIVE | L_PERSISTENT) == [DEFAULT_PATH]
    assert lst(L_INACTIVE | L_TRANSIENT) == []
    assert_error(virtbus, TEST_PATH, CONNECT, "ListNetworks", "u", 64,
                 contains=["unsupported flags", "0x40"])


# ---- define / undefine ----

def test_define_and_undefine(virtbus):
    virtbus.clear_signals()
    path = define(virtbus)
    assert path == N1_PATH
    sig = virtbus.wait_signal("InterfacesAdded", lambda s: s[3][0] == path, interface=OM)
    assert sig[3][1][NET] == {"Active": False, "Autostart": False, "Name": "n1", "Persistent": True,
                              "UUID": N1_UUID}
    network_event(virtbus, path, DEFINED)
    assert xml_of(virtbus, path) == N1_XML
    assert virtbus.connect_call("NetworkLookupByName", "s", "n1") == path

    virtbus.call(path, NET, "Undefine")
    network_event(virtbus, path, UNDEFINED)
    sig = virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == path, interface=OM)
    assert NET in sig[3][1]
    assert path not in virtbus.managed_objects()
    assert virtbus.connect_call("ListNetworks", "u", 0) == [DEFAULT_PATH]
    assert_error(virtbus, TEST_PATH, CONNECT, "NetworkLookupByName", "s", "n1", contains="n1")


def test_define_generates_uuid(virtbus):
    path = define(virtbus, "<network><name>nouuid</name></network>")
    uuid = props(virtbus, path)["UUID"]
    assert len(uuid) == 36 and uuid.count("-") == 4
    assert path == TEST_PATH + "/network/_" + uuid.replace("-", "_")
    xml = xml_of(virtbus, path)
    assert "<name>nouuid</name>" in xml and ("<uuid>%s</uuid>" % uuid) in xml


def test_define_bad_xml(virtbus):
    virtbus.clear_signals()
    assert_error(virtbus, TEST_PATH, CONNECT, "NetworkDefineXML", "s", "<network><name>x</name>",
                 contains="malformed")
    assert_error(virtbus, TEST_PATH, CONNECT, "NetworkDefineXML", "s", "<domain><name>x</name></domain>",
                 contains="<network>")
    assert_error(virtbus, TEST_PATH, CONNECT, "NetworkDefineXML", "s",
                 "<network><name>x</name><bogus/></network>", contains="<bogus>")
    assert_error(virtbus, TEST_PATH, CONNECT, "NetworkDefineXML", "s",
                 "<network><name>x</name><uuid>1234</uuid></network>", contains="1234")
    assert_error(virtbus, TEST_PATH, CONNECT, "NetworkCreateXML", "s",
                 "<network><name>x</name><ip address='10.0.0.1' bogusattr='1'/></network>", contains="bogusattr")
    assert virtbus.connect_call("ListNetworks", "u", 0) == [DEFAULT_PATH]
    assert_no_signal(virtbus, "NetworkEvent")


def test_define_collisions(virtbus):
    define(virtbus)
    # same name, different uuid
    msg = assert_error(virtbus, TEST_PATH, CONNECT, "NetworkDefineXML", "s",
                       N1_XML.replace(N1_UUID, "11111111-2222-3333-4444-555555555555"),
                       contains=["n1", "already exists", N1_UUID])
    # without a uuid a new one is generated, so the name clashes as well
    assert_error(virtbus, TEST_PATH, CONNECT, "NetworkDefineXML", "s", "<network><name>n1</name></network>",
                 contains=["n1", "already exists"])
    # same uuid, different name
    assert_error(virtbus, TEST_PATH, CONNECT, "NetworkDefineXML", "s",
                 "<network><name>other</name><uuid>%s</uuid></network>" % DEFAULT_UUID,
                 contains=["default", "already defined", DEFAULT_UUID])
    assert_error(virtbus, TEST_PATH, CONNECT, "NetworkCreateXML", "s",
                 "<network><name>other</name><uuid>%s</uuid></network>" % DEFAULT_UUID,
                 contains=["default", DEFAULT_UUID])
    assert len(virtbus.connect_call("ListNetworks", "u", 0)) == 2
    assert msg


def test_redefine_inactive_replaces_definition(virtbus):
    path = define(virtbus)
    virtbus.clear_signals()
    new = N1_XML.replace("vbr1", "vbr9")
    assert define(virtbus, new) == path
    network_event(virtbus, path, DEFINED)
    assert xml_of(virtbus, path) == new
    assert len(virtbus.connect_call("ListNetworks", "u", 0)) == 2


def test_redefine_active_keeps_live_definition(virtbus):
    path = define(virtbus)
    virtbus.call(path, NET, "Create")
    new = N1_XML.replace("vbr1", "vbr9")
    assert define(virtbus, new) == path
    assert xml_of(virtbus, path) == N1_XML
    assert xml_of(virtbus, path, XML_INACTIVE) == new
    virtbus.call(path, NET, "Destroy")
    assert xml_of(virtbus, path) == new
    virtbus.call(path, NET, "Create")
    assert xml_of(virtbus, path) == new


def test_define_makes_transient_persistent(virtbus):
    path = virtbus.connect_call("NetworkCreateXML", "s", N1_XML)
    assert props(virtbus, path)["Persistent"] is False
    virtbus.clear_signals()
    assert define(virtbus, N1_XML.replace("vbr1", "vbr2")) == path
    network_event(virtbus, path, DEFINED)
    prop_changed(virtbus, path, "Persistent", True)
    assert props(virtbus, path)["Active"] is True
    assert xml_of(virtbus, path) == N1_XML
    virtbus.call(path, NET, "Destroy")
    # persistent now: it survives being stopped, with the defined config
    assert props(virtbus, path) ["Active"] is False
    assert "vbr2" in xml_of(virtbus, path)


# ---- start / stop ----

def test_create_and_destroy(virtbus):
    path = define(virtbus)
    virtbus.clear_signals()
    virtbus.call(path, NET, "Create")
    network_event(virtbus, path, STARTED)
    prop_changed(virtbus, path, "Active", True)
    assert props(virtbus, path)["Active"] is True
    assert_error(virtbus, path, NET, "Create", contains=["n1", "already"])

    virtbus.call(path, NET, "Destroy")
    network_event(virtbus, path, STOPPED)
    prop_changed(virtbus, path, "Active", False)
    assert props(virtbus, path) == {"Active": False, "Autostart": False, "Name": "n1", "Persistent": True,
                                    "UUID": N1_UUID}
    assert_error(virtbus, path, NET, "Destroy", contains=["n1", "not active"])
    assert path in virtbus.managed_objects()


def test_destroy_default(virtbus):
    virtbus.clear_signals()
    virtbus.call(DEFAULT_PATH, NET, "Destroy")
    network_event(virtbus, DEFAULT_PATH, STOPPED)
    assert virtbus.connect_call("ListNetworks", "u", L_INACTIVE) == [DEFAULT_PATH]
    assert xml_of(virtbus, DEFAULT_PATH) == DEFAULT_XML
    virtbus.call(DEFAULT_PATH, NET, "Create")
    network_event(virtbus, DEFAULT_PATH, STARTED)


def test_create_xml_transient(virtbus):
    virtbus.clear_signals()
    path = virtbus.connect_call("NetworkCreateXML", "s", N1_XML)
    assert path == N1_PATH
    sig = virtbus.wait_signal("InterfacesAdded", lambda s: s[3][0] == path, interface=OM)
    assert sig[3][1][NET]["Active"] is True and sig[3][1][NET]["Persistent"] is False
    network_event(virtbus, path, STARTED)
    assert xml_of(virtbus, path) == N1_XML
    # no persistent config: the inactive XML is the live one
    assert xml_of(virtbus, path, XML_INACTIVE) == N1_XML

    assert_error(virtbus, TEST_PATH, CONNECT, "NetworkCreateXML", "s", N1_XML, contains=["n1", "already active"])
    assert_error(virtbus, path, NET, "Undefine", contains=["transient", "n1"])

    virtbus.call(path, NET, "Destroy")
    network_event(virtbus, path, STOPPED)
    virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == path, interface=OM)
    assert virtbus.connect_call("ListNetworks", "u", 0) == [DEFAULT_PATH]
    name, _ = virtbus.error(path, NET, "GetXMLDesc", "u", 0)
    assert name == "org.freedesktop.DBus.Error.UnknownMethod"


def test_create_xml_starts_inactive_persistent_network(virtbus):
    path = define(virtbus)
    live = N1_XML.replace("vbr1", "vbr7")
    virtbus.clear_signals()
    assert virtbus.connect_call("NetworkCreateXML", "s", live) == path
    network_event(virtbus, path, STARTED)
    assert props(virtbus, path)["Active"] is True and props(virtbus, path)["Persistent"] is True
    # as in libvirt, the new definition replaces the persistent one too
    assert xml_of(virtbus, path) == live
    assert xml_of(virtbus, path, XML_INACTIVE) == live
    virtbus.call(path, NET, "Destroy")
    assert props(virtbus, path)["Persistent"] is True
    assert xml_of(virtbus, path) == live


def test_undefine_active_makes_transient(virtbus):
    path = define(virtbus)
    virtbus.call(path, PROPS, "Set", "ssv", NET, "Autostart", GLib.Variant("b", True))
    virtbus.call(path, NET, "Create")
    virtbus.clear_signals()
    virtbus.call(path, NET, "Undefine")
    network_event(virtbus, path, UNDEFINED)
    prop_changed(virtbus, path, "Persistent", False)
    assert props(virtbus, path) == {"Active": True, "Autostart": False, "Name": "n1", "Persistent": False,
                                    "UUID": N1_UUID}
    assert virtbus.connect_call("ListNetworks", "u", L_TRANSIENT) == [path]
    virtbus.call(path, NET, "Destroy")
    network_event(virtbus, path, STOPPED)
    virtbus.wait_signal("InterfacesRemoved", lambda s: s[3][0] == path, interface=OM)


# ---- autostart ----

def test_autostart(virtbus):
    virtbus.clear_signals()
    virtbus.set_property(DEFAULT_PATH, NET, "Autostart", GLib.Variant("b", True))
    prop_changed(virtbus, DEFAULT_PATH, "Autostart", True)
    assert virtbus.get_property(DEFAULT_PATH, NET, "Autostart") is True
    assert virtbus.connect_call("ListNetworks", "u", L_AUTOSTART) == [DEFAULT_PATH]
    virtbus.set_property(DEFAULT_PATH, NET, "Autostart", GLib.Variant("b", False))
    prop_changed(virtbus, DEFAULT_PATH, "Autostart", False)
    assert virtbus.connect_call("ListNetworks", "u", L_AUTOSTART) == []

    t = virtbus.connect_call("NetworkCreateXML", "s", N1_XML)
    with pytest.raises(GLib.Error) as info:
        virtbus.set_property(t, NET, "Autostart", GLib.Variant("b", True))
    assert "org.libvirt.Error" in info.value.message
    assert "transient" in info.value.message
    assert virtbus.get_property(t, NET, "Autostart") is False


def test_read_only_properties(virtbus):
    with pytest.raises(GLib.Error) as info:
        virtbus.set_property(DEFAULT_PATH, NET, "Name", GLib.Variant("s", "x"))
    assert "Name" in info.value.message
    assert virtbus.get_property(DEFAULT_PATH, NET, "Name") == "default"


# ---- XML ----

def test_get_xml_desc_flags(virtbus):
    assert_error(virtbus, DEFAULT_PATH, NET, "GetXMLDesc", "u", 2, contains=["unsupported flags", "0x2"])


# ---- Update ----

H1 = host("52:54:00:00:00:01", "10.1.0.5")
H2 = host("52:54:00:00:00:02", "10.1.0.6")
H3 = host("52:54:00:00:00:03", "10.1.0.7")


def update(virtbus, path, command, section, xml, flags, index=-1):
    virtbus.call(path, NET, "Update", "uuisu", command, section, index, xml, flags)


def test_update_inactive(virtbus):
    path = define(virtbus)
    update(virtbus, path, ADD_LAST, SEC_DHCP_HOST, H1, CURRENT)
    update(virtbus, path, ADD_LAST, SEC_DHCP_HOST, H2, CONFIG)
    update(virtbus, path, ADD_FIRST, SEC_DHCP_HOST, H3, CONFIG, 0)
    assert xml_of(virtbus, path) == n1_xml_with([H3, H1, H2])
    update(virtbus, path, DELETE, SEC_DHCP_HOST, H1, CURRENT)
    assert xml_of(virtbus, path) == n1_xml_with([H3, H2])
    # not running: the live definition cannot be changed
    assert_error(virtbus, path, NET, "Update", "uuisu", ADD_LAST, SEC_DHCP_HOST, -1, H1, LIVE,
                 contains="not running")
    assert xml_of(virtbus, path) == n1_xml_with([H3, H2])


def test_update_live_and_config(virtbus):
    path = define(virtbus)
    virtbus.call(path, NET, "Create")
    virtbus.clear_signals()
    update(virtbus, path, ADD_LAST, SEC_DHCP_HOST, H1, LIVE)
    assert xml_of(virtbus, path) == n1_xml_with([H1])
    assert xml_of(virtbus, path, XML_INACTIVE) == N1_XML
    update(virtbus, path, ADD_LAST, SEC_DHCP_HOST, H2, CONFIG)
    assert xml_of(virtbus, path) == n1_xml_with([H1])
    assert xml_of(virtbus, path, XML_INACTIVE) == n1_xml_with([H2])
    update(virtbus, path, ADD_LAST, SEC_DHCP_HOST, H3, LIVE | CONFIG)
    assert xml_of(virtbus, path) == n1_xml_with([H1, H3])
    assert xml_of(virtbus, path, XML_INACTIVE) == n1_xml_with([H2, H3])
    # CURRENT on a running network is LIVE
    update(virtbus, path, DELETE, SEC_DHCP_HOST, H1, CURRENT)
    assert xml_of(virtbus, path) == n1_xml_with([H3])
    assert xml_of(virtbus, path, XML_INACTIVE) == n1_xml_with([H2, H3])
    # an update is not a lifecycle event
    assert_no_signal(virtbus, "NetworkEvent")
    virtbus.call(path, NET, "Destroy")
    assert xml_of(virtbus, path) == n1_xml_with([H2, H3])


def test_update_is_all_or_nothing(virtbus):
    path = define(virtbus)
    virtbus.call(path, NET, "Create")
    update(virtbus, path, ADD_LAST, SEC_DHCP_HOST, H1, LIVE)
    # H1 exists live but not in the config: the config half would succeed,
    # the live half fails, so neither changes
    assert_error(virtbus, path, NET, "Update", "uuisu", ADD_LAST, SEC_DHCP_HOST, -1, H1, LIVE | CONFIG)
    assert xml_of(virtbus, path) == n1_xml_with([H1])
    assert xml_of(virtbus, path, XML_INACTIVE) == N1_XML


def test_update_errors(virtbus):
    path = define(virtbus)
    update(virtbus, path, ADD_LAST, SEC_DHCP_HOST, H1, CONFIG)
    args = lambda cmd, sec, xml, flags, idx=-1: ("uuisu", cmd, sec, idx, xml, flags)
    assert_error(virtbus, path, NET, "Update", *args(ADD_LAST, SEC_DHCP_HOST, H2, 4),
                 contains=["unsupported flags", "0x4"])
    # duplicate entry
    assert_error(virtbus, path, NET, "Update", *args(ADD_LAST, SEC_DHCP_HOST, H1, CONFIG),
                 contains=["n1", "already has"])
    # missing entry
    assert_error(virtbus, path, NET, "Update", *args(DELETE, SEC_DHCP_HOST, H2, CONFIG),
                 contains=["n1", "no matching"])
    # sections libvirt cannot update
    assert_error(virtbus, path, NET, "Update", *args(ADD_LAST, SEC_BRIDGE, "<bridge name='x'/>", CONFIG),
                 contains="bridge")
    # bad command / section numbers
    assert_error(virtbus, path, NET, "Update", *args(99, SEC_DHCP_HOST, H2, CONFIG), contains="99")
    assert_error(virtbus, path, NET, "Update", *args(ADD_LAST, 99, H2, CONFIG), contains="99")
    # malformed and wrong fragments
    assert_error(virtbus, path, NET, "Update", *args(ADD_LAST, SEC_DHCP_HOST, "<host mac=", CONFIG), contains="malformed")
    assert_error(virtbus, path, NET, "Update", *args(ADD_LAST, SEC_DHCP_HOST, "<hostx mac='52:54:00:00:00:09' ip='10.1.0.9'/>", CONFIG),
                 contains="hostx")
    # no <ip> at that index
    assert_error(virtbus, path, NET, "Update", *args(ADD_LAST, SEC_DHCP_HOST, H2, CONFIG, 8),
                 contains=["index 8"])
    assert xml_of(virtbus, path) == n1_xml_with([H1])

    t = virtbus.connect_call("NetworkCreateXML", "s", N1_XML.replace("n1", "t1").replace(N1_UUID, DEFAULT_UUID[:-1] + "0"))
    assert_error(virtbus, t, NET, "Update", *args(ADD_LAST, SEC_DHCP_HOST, H2, CONFIG),
                 contains=["transient"])


# ---- leases ----

def test_dhcp_leases_not_supported(virtbus):
    # libvirt's test driver has no virNetworkGetDHCPLeases either
    msg = assert_error(virtbus, DEFAULT_PATH, NET, "GetDHCPLeases", "su", "", 0, contains="GetDHCPLeases")
    assert "not supported" in msg
