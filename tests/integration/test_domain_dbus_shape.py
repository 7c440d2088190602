"""Every method of org.libvirt.Domain and org.libvirt.Connect is routed.

The method list and in-signatures come from our interfaces/*.xml when the
tests are collected, so a method added to the XML without a handler fails
here. Each method is called on the test backend (a fresh daemon per method)
twice:
  * with arguments of the right types: any reply or org.libvirt.Error will
    do, but not UnknownMethod (the generated skeleton's answer when no
    handler took the call), and the daemon must survive it;
  * with the first argument of a wrong type: the bus layer must answer
    InvalidArgs before any handler runs.
"""
import os
from pathlib import Path

import pytest
from gi.repository import Gio, GLib

from conftest import BUS_NAME, TEST_PATH

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_DOMAIN_PATH = TEST_PATH + "/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"
UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"


def interfaces_dir():
    return Path(os.environ.get("VB_INTERFACES_DIR", REPO_ROOT / "interfaces"))


def methods_of(iface):
    """[(method name, [(arg name, arg signature)…])] of @iface's XML."""
    text = (interfaces_dir() / (iface + ".xml")).read_text(encoding="utf-8")
    info = Gio.DBusNodeInfo.new_for_xml(text).lookup_interface(iface)
    assert info is not None, iface
    return [(m.name, [(a.name, a.signature) for a in m.in_args]) for m in info.methods]


DOMAIN_METHODS = methods_of("org.libvirt.Domain")
CONNECT_METHODS = methods_of("org.libvirt.Connect")

# Plausible strings for arguments whose name says what they are; anything
# else gets "" (libvirt-dbus' NULL).
STRING_ARGS = {
    "name": "test",
    "uuid": "6695eb01-f6a4-8304-79aa-97f2502e193f",
    "xml": "<domain type='test'><name>shape</name><memory>1024</memory>"
           "<os><type>hvm</type></os></domain>",
    "disk": "vda",
    "device": "vda",
    "to": "/nonexistent/virtbus-shape.save",
    "from": "/nonexistent/virtbus-shape.save",
    "file": "/nonexistent/virtbus-shape.save",
    "arch": "x86_64",
}


def plausible(signature, arg_name=""):
    """A Python value of D-Bus type @signature, and how many fds it indexes."""
    t = GLib.VariantType.new(signature)
    if t.is_array():
        elem = t.element().dup_string()
        if t.element().is_dict_entry():
            return {}, 0
        if elem == "h":
            return [0], 1
        if elem == "b":
            return [True], 0
        if elem == "s":
            # Lists of XML documents (BaselineCPU) want at least one entry.
            return (["<cpu/>"] if "xml" in arg_name.lower() else []), 0
        return [], 0
    if t.is_tuple():
        vals = [plausible(t2.dup_string()) for t2 in _tuple_items(t)]
        return tuple(v for v, _ in vals), sum(n for _, n in vals)
    if signature == "s":
        return STRING_ARGS.get(arg_name, ""), 0
    if signature == "o":
        return "/", 0
    if signature == "g":
        return "", 0
    if signature == "b":
        return False, 0
    if signature == "d":
        return 0.0, 0
    if signature == "h":
        return 0, 1
    if signature == "v":
        return GLib.Variant("s", ""), 0
    if signature in "ynqiuxt":
        return 0, 0
    raise AssertionError("no plausible value for D-Bus type %s" % signature)


def _tuple_items(t):
    item = t.first()
    while item is not None:
        yield item
        item = item.next()


def call(virtbus, path, iface, method, signature, args, nfds=0):
    """Calls @method; returns None on success or the D-Bus error name."""
    params = GLib.Variant("(%s)" % signature, tuple(args)) if signature else None
    fd_list = None
    pipes = []
    if nfds:
        fd_list = Gio.UnixFDList.new()
        for _ in range(nfds):
            r, w = os.pipe()
            pipes += [r, w]
            fd_list.append(r)
    try:
        virtbus.connection.call_with_unix_fd_list_sync(
            BUS_NAME, path, iface, method, params, None, Gio.DBusCallFlags.NONE, 20000, fd_list, None)
        return None
    except GLib.Error as err:
        name = Gio.DBusError.get_remote_error(err)
        assert name is not None, "%s.%s: local failure %s" % (iface, method, err.message)
        return name, err.message
    finally:
        for fd in pipes:
            os.close(fd)


def right_args(in_args):
    signature = "".join(sig for _, sig in in_args)
    values, nfds = [], 0
    for name, sig in in_args:
        value, n = plausible(sig, name)
        values.append(value)
        nfds += n
    return signature, values, nfds


def wrong_args(in_args):
    """The in-arguments with the first one's type changed (or one extra
    argument for a method that takes none)."""
    if not in_args:
        return "s", ["surplus"]
    first = "u" if in_args[0][1] == "s" else "s"
    rest_sig, rest_values, _ = right_args(in_args[1:])
    return first + rest_sig, [7 if first == "u" else "wrong"] + rest_values


def domain_path(virtbus):
    """The test domain, or while the test backend has no domain part, any
    exported domain."""
    objs = virtbus.managed_objects()
    if TEST_DOMAIN_PATH in objs:
        return TEST_DOMAIN_PATH
    for path, ifaces in sorted(objs.items()):
        if "org.libvirt.Domain" in ifaces:
            return path
    pytest.fail("the test backend exports no domain to call org.libvirt.Domain methods on")


def check_routed(virtbus, path, iface, method, in_args):
    signature, values, nfds = right_args(in_args)
    result = call(virtbus, path, iface, method, signature, values, nfds)
    assert result is None or result[0] != UNKNOWN_METHOD, \
        "%s.%s(%s) is not routed: %s" % (iface, method, signature, result[1])
    # Whatever the call did, the object and the daemon are still there.
    assert virtbus.proc.poll() is None, "virtbusd died in %s.%s:\n%s" % (iface, method, virtbus.read_log())


def check_wrong_types(virtbus, path, iface, method, in_args):
    signature, values = wrong_args(in_args)
    result = call(virtbus, path, iface, method, signature, values)
    assert result is not None, "%s.%s accepted (%s)" % (iface, method, signature)
    assert result[0] == INVALID_ARGS, "%s.%s(%s): %s %s" % (iface, method, signature, *result)


@pytest.mark.parametrize("method,in_args", DOMAIN_METHODS, ids=[m for m, _ in DOMAIN_METHODS])
def test_domain_method_is_routed(virtbus, method, in_args):
    path = domain_path(virtbus)
    check_wrong_types(virtbus, path, "org.libvirt.Domain", method, in_args)
    check_routed(virtbus, path, "org.libvirt.Domain", method, in_args)


@pytest.mark.parametrize("method,in_args", CONNECT_METHODS, ids=[m for m, _ in CONNECT_METHODS])
def test_connect_method_is_routed(virtbus, method, in_args):
    check_wrong_types(virtbus, TEST_PATH, "org.libvirt.Connect", method, in_args)
    check_routed(virtbus, TEST_PATH, "org.libvirt.Connect", method, in_args)


def test_method_lists_are_complete():
    """The parametrisation above really covers the interfaces (a broken XML
    read would otherwise leave the tests vacuous)."""
    names = {m for m, _ in DOMAIN_METHODS}
    assert len(DOMAIN_METHODS) >= 90
    assert {"Create", "CreateWithFiles", "OpenGraphicsFD", "SnapshotLookupByName", "GetBlockIOTune"} <= names
    names = {m for m, _ in CONNECT_METHODS}
    assert {"ListDomains", "DomainCreateXMLWithFiles", "GetAllDomainStats", "DomainRestore"} <= names


def test_wrong_argument_builder_really_differs():
    for method, in_args in DOMAIN_METHODS + CONNECT_METHODS:
        assert wrong_args(in_args)[0] != right_args(in_args)[0], method


def test_snapshot_lookup_of_missing_snapshot_names_it(virtbus):
    path = domain_path(virtbus)
    result = call(virtbus, path, "org.libvirt.Domain", "SnapshotLookupByName", "su", ["no-such-snap", 0])
    assert result is not None
    name, msg = result
    assert name == "org.libvirt.Error"
    assert "no-such-snap" in msg
    assert "not found" in msg


def test_snapshot_lookup_rejects_flags(virtbus):
    path = domain_path(virtbus)
    name, msg = call(virtbus, path, "org.libvirt.Domain", "SnapshotLookupByName", "su", ["x", 1])
    assert name == "org.libvirt.Error"
    assert "unsupported flags (0x1)" in msg


def test_create_with_files_rejects_handle_out_of_range(virtbus):
    """A handle that indexes no descriptor of the message is the caller's
    error, whatever the backend supports."""
    path = domain_path(virtbus)
    name, msg = call(virtbus, path, "org.libvirt.Domain", "CreateWithFiles", "ahu", [[1], 0], nfds=1)
    assert name == "org.libvirt.Error"
    assert "file descriptor handle 1 is out of range" in msg


def test_create_xml_with_files_rejects_handle_out_of_range(virtbus):
    name, msg = call(virtbus, TEST_PATH, "org.libvirt.Connect", "DomainCreateXMLWithFiles", "sahu",
                     ["<domain/>", [0, 3], 0], nfds=2)
    assert name == "org.libvirt.Error"
    assert "file descriptor handle 3 is out of range: the call carried 2 descriptor(s)" in msg
