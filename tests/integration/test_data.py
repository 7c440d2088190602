"""Data files: bus activation and bus policy."""
import configparser
import os
import subprocess
import time
import xml.etree.ElementTree as ET

from gi.repository import Gio, GLib

from conftest import build_root, virtbusd_path

SRC = os.environ.get("VB_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))


def read_service(path):
    cp = configparser.ConfigParser()
    cp.optionxform = str
    cp.read(path)
    return cp["D-BUS Service"]


def test_activation_files():
    system = read_service(os.path.join(build_root(), "data", "org.libvirt.service"))
    session = read_service(os.path.join(build_root(), "data", "session", "org.libvirt.service"))
    assert system["Name"] == session["Name"] == "org.libvirt"
    assert system["Exec"].endswith("virtbusd --system")
    assert system["User"] == "root"
    assert system["SystemdService"] == "virtbusd.service"
    assert session["Exec"].endswith("virtbusd --session")


def test_bus_policy_lets_only_root_own_the_name():
    root = ET.parse(os.path.join(SRC, "data", "org.libvirt.conf")).getroot()
    owners = [(p.attrib, a.attrib) for p in root.findall("policy") for a in p.findall("allow") if "own" in a.attrib]
    assert owners == [({"user": "root"}, {"own": "org.libvirt"})]
    default = [p for p in root.findall("policy") if p.get("context") == "default"][0]
    assert {"send_destination": "org.libvirt"} in [a.attrib for a in default.findall("allow")]


def test_session_bus_activation(tmp_root):
    """A call to org.libvirt on a bus that only knows our service file starts virtbusd."""
    services = os.path.join(tmp_root, "services")
    os.makedirs(services)
    prefix = os.path.join(tmp_root, "state")
    with open(os.path.join(services, "org.libvirt.service"), "w") as f:
        f.write("[D-BUS Service]\nName=org.libvirt\nExec=%s --session --root-prefix %s\n" % (virtbusd_path(), prefix))
    sock = os.path.join(tmp_root, "bus")
    conf = os.path.join(tmp_root, "bus.conf")
    with open(conf, "w") as f:
        f.write("""<busconfig><type>session</type><listen>unix:path=%s</listen>
<servicedir>%s</servicedir><policy context="default"><allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/></policy>
</busconfig>""" % (sock, services))
    bus = subprocess.Popen(["dbus-daemon", "--nofork", "--nopidfile", "--config-file=" + conf],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # The socket file appears when the bus binds it, a moment before it
        # listens: retry until it accepts.
        deadline = time.monotonic() + 10
        while True:
            try:
                conn = Gio.DBusConnection.new_for_address_sync(
                    "unix:path=" + sock,
                    Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
                    None, None)
                break
            except GLib.Error:
                if time.monotonic() > deadline or bus.poll() is not None:
                    raise
                time.sleep(0.01)
        reply = conn.call_sync("org.libvirt", "/org/libvirt/Test", "org.freedesktop.DBus.Properties", "Get",
                               GLib.Variant("(ss)", ("org.libvirt.Connect", "Encrypted")), None,
                               Gio.DBusCallFlags.NONE, 20000, None)
        assert reply.unpack()[0] is False
        pid = conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                             "GetConnectionUnixProcessID", GLib.Variant("(s)", ("org.libvirt",)), None,
                             Gio.DBusCallFlags.NONE, 5000, None).unpack()[0]
        os.kill(pid, 15)
        # The activated daemon is the bus's child: wait for it to be gone.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.02)
        conn.close_sync(None)
    finally:
        bus.terminate()
        bus.wait(timeout=10)
