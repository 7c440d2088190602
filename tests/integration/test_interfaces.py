"""Check that virtbus's D-Bus interface files match libvirt-dbus on the wire.

Our XML files (interfaces/org.libvirt.*.xml) are compared member by member
with the ones shipped by Debian's libvirt-dbus package.  Only what a client
can observe on the bus is compared: interface names, method argument
names/types/directions (in order), property types/access and signal argument
names/types (in order).  Documentation and annotations are ignored.

Environment:
  VB_INTERFACES_DIR            our interface files (default: <repo>/interfaces)
  VB_REFERENCE_INTERFACES_DIR  reference files (default: /usr/share/dbus-1/interfaces)
"""

import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

INTERFACE_NAMES = [
    "org.libvirt.Connect",
    "org.libvirt.Domain",
    "org.libvirt.DomainSnapshot",
    "org.libvirt.Network",
    "org.libvirt.StoragePool",
    "org.libvirt.StorageVol",
    "org.libvirt.Interface",
    "org.libvirt.NodeDevice",
    "org.libvirt.Secret",
    "org.libvirt.NWFilter",
]

SKIP_REASON = "Debian package libvirt-dbus is not installed"


def our_dir() -> Path:
    return Path(os.environ.get("VB_INTERFACES_DIR", REPO_ROOT / "interfaces"))


def reference_dir() -> Path:
    return Path(os.environ.get("VB_REFERENCE_INTERFACES_DIR",
                               "/usr/share/dbus-1/interfaces"))


def xml_name(iface: str) -> str:
    return iface + ".xml"


def load_signature(path: Path) -> dict:
    """Return {interface: {"methods": {...}, "properties": {...}, "signals": {...}}}.

    methods:    name -> [(arg name, type, direction), ...]   (direction defaults to 'in')
    properties: name -> (type, access)
    signals:    name -> [(arg name, type), ...]
    """
    root = ET.parse(path).getroot()
    result = {}
    for iface in root.findall("interface"):
        iname = iface.get("name")
        if iname in result:
            raise AssertionError(f"{path}: interface {iname} declared twice")
        members = {"methods": {}, "properties": {}, "signals": {}}
        for method in iface.findall("method"):
            name = method.get("name")
            if name in members["methods"]:
                raise AssertionError(f"{path}: {iname}.{name}: method declared twice")
            members["methods"][name] = [
                (arg.get("name"), arg.get("type"), arg.get("direction", "in"))
                for arg in method.findall("arg")
            ]
        for prop in iface.findall("property"):
            name = prop.get("name")
            if name in members["properties"]:
                raise AssertionError(f"{path}: {iname}.{name}: property declared twice")
            members["properties"][name] = (prop.get("type"), prop.get("access"))
        for signal in iface.findall("signal"):
            name = signal.get("name")
            if name in members["signals"]:
                raise AssertionError(f"{path}: {iname}.{name}: signal declared twice")
            members["signals"][name] = [
                (arg.get("name"), arg.get("type")) for arg in signal.findall("arg")
            ]
        result[iname] = members
    return result


def compare_signatures(ours: dict, reference: dict) -> list:
    """Return a list of human readable differences (empty when identical)."""
    problems = []
    for iname in sorted(set(reference) - set(ours)):
        problems.append(f"interface {iname}: present in reference, missing in ours")
    for iname in sorted(set(ours) - set(reference)):
        problems.append(f"interface {iname}: present in ours, missing in reference")

    kinds = (("methods", "method"), ("properties", "property"), ("signals", "signal"))
    for iname in sorted(set(ours) & set(reference)):
        for key, label in kinds:
            mine = ours[iname][key]
            theirs = reference[iname][key]
            for name in sorted(set(theirs) - set(mine)):
                problems.append(f"{iname}.{name}: {label} missing in ours")
            for name in sorted(set(mine) - set(theirs)):
                problems.append(f"{iname}.{name}: {label} not in reference")
            for name in sorted(set(mine) & set(theirs)):
                if mine[name] != theirs[name]:
                    problems.append(
                        f"{iname}.{name}: {label} differs: "
                        f"ours={mine[name]!r} reference={theirs[name]!r}")
    return problems


def compare_files(ours_path: Path, reference_path: Path) -> list:
    return compare_signatures(load_signature(ours_path), load_signature(reference_path))


def require_reference(iface: str) -> Path:
    path = reference_dir() / xml_name(iface)
    if not path.is_file():
        pytest.skip(SKIP_REASON)
    return path


@pytest.mark.parametrize("iface", INTERFACE_NAMES)
def test_matches_libvirt_dbus(iface):
    reference = require_reference(iface)
    ours = our_dir() / xml_name(iface)
    assert ours.is_file(), f"{ours} is missing"
    problems = compare_files(ours, reference)
    assert not problems, (f"{ours.name} differs from {reference}:\n  "
                          + "\n  ".join(problems))


@pytest.mark.parametrize("iface", INTERFACE_NAMES)
def test_no_disabled_change_notification(iface):
    """Our daemon emits PropertiesChanged, so no interface may opt out of it."""
    root = ET.parse(our_dir() / xml_name(iface)).getroot()
    for node in root.findall("interface"):
        for annotation in node.findall("annotation"):
            assert not (annotation.get("name")
                        == "org.freedesktop.DBus.Property.EmitsChangedSignal"
                        and annotation.get("value") == "false"), (
                f"{node.get('name')}: interface-level EmitsChangedSignal=false")


@pytest.mark.parametrize("iface", INTERFACE_NAMES)
def test_gdbus_parses(iface):
    gi = pytest.importorskip("gi")
    gi.require_version("Gio", "2.0")
    from gi.repository import Gio

    text = (our_dir() / xml_name(iface)).read_text(encoding="utf-8")
    node = Gio.DBusNodeInfo.new_for_xml(text)
    assert node.lookup_interface(iface) is not None, f"{iface} not found by GDBus"


def test_comparator_detects_changed_arg_type(tmp_path):
    """Negative self-check: a single changed argument type must be reported."""
    source = our_dir() / xml_name("org.libvirt.Secret")
    broken = tmp_path / source.name
    shutil.copy(source, broken)

    tree = ET.parse(broken)
    method = tree.getroot().find(
        "interface[@name='org.libvirt.Secret']/method[@name='SetValue']")
    assert method is not None
    arg = method.find("arg[@name='flags']")
    assert arg is not None and arg.get("type") == "u"
    arg.set("type", "t")
    tree.write(broken)

    assert compare_files(source, source) == []
    problems = compare_files(broken, source)
    assert len(problems) == 1, problems
    assert "org.libvirt.Secret.SetValue" in problems[0]
    assert "'t'" in problems[0] and "'u'" in problems[0]


def test_comparator_detects_missing_and_extra_interface(tmp_path):
    """Negative self-check: interface set differences must be reported both ways."""
    source = our_dir() / xml_name("org.libvirt.NWFilter")
    renamed = tmp_path / source.name
    tree = ET.parse(source)
    tree.getroot().find("interface").set("name", "org.libvirt.NWFilterX")
    tree.write(renamed)

    problems = compare_files(renamed, source)
    assert any("org.libvirt.NWFilter:" in p and "missing in ours" in p for p in problems)
    assert any("org.libvirt.NWFilterX:" in p and "missing in reference" in p
               for p in problems)
