"""Fixture pieces shared by the authorization tests: a private SYSTEM bus
that unprivileged uids may connect to, virtbusd --system on it, and a
client running as another uid."""
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

from gi.repository import Gio, GLib

from conftest import BUS_NAME, Bus, Virtbus, virtbusd_path

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("VB_SOURCE_ROOT", os.path.join(HERE, "..", ".."))
NOBODY = 65534
NOT_AUTHORIZED = "org.virtbus.Error.NotAuthorized"
AUTH_CANCELLED = "org.virtbus.Error.AuthenticationCancelled"


def open_bus(tmp_root, kind):
    # Unprivileged clients must reach the socket in the test's directory.
    os.chmod(tmp_root, 0o755)
    return Bus(tmp_root, kind)


class SystemVirtbus(Virtbus):
    """virtbusd --system (as root) on a private system bus."""

    def start(self, extra_args=()):
        env = dict(os.environ)
        env["DBUS_SYSTEM_BUS_ADDRESS"] = self.bus.address
        for var in ("DBUS_SESSION_BUS_ADDRESS", "DBUS_STARTER_ADDRESS", "DBUS_STARTER_BUS_TYPE"):
            env.pop(var, None)
        self.log = open(os.path.join(self.root_prefix, "virtbusd.log"), "ab")
        self.proc = subprocess.Popen(
            [virtbusd_path(), "--system", "--root-prefix", self.root_prefix, "--verbose"]
            + self.args + list(extra_args),
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_for_name()


class Client:
    """authz_client.py running as @uid (via setpriv), talking to @address."""

    def __init__(self, address, uid=NOBODY, gid=None):
        gid = uid if gid is None else gid
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        self.proc = subprocess.Popen(
            ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--clear-groups",
             sys.executable if sys.executable.startswith("/usr/") else "/usr/bin/python3",
             os.path.join(HERE, "authz_client.py"), address],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, cwd="/")

    def send(self, path, interface, method, signature="", args=None, interactive=False):
        req = {"path": path, "interface": interface, "method": method, "signature": signature,
               "args": args, "interactive": interactive}
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()

    def receive(self):
        line = self.proc.stdout.readline()
        assert line, "the unprivileged client died"
        return json.loads(line)

    def call(self, *args, **kw):
        self.send(*args, **kw)
        return self.receive()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


def interfaces():
    """{interface name: (methods [(name, in signature)], writable properties [(name, type)])}."""
    result = {}
    idir = os.path.join(SOURCE_ROOT, "interfaces")
    for name in sorted(os.listdir(idir)):
        if not name.endswith(".xml") or not name.startswith(("org.libvirt.", "org.virtbus.")):
            continue
        for iface in ET.parse(os.path.join(idir, name)).getroot().iter("interface"):
            methods = []
            for m in iface.iter("method"):
                sig = "".join(a.get("type") for a in m.iter("arg") if a.get("direction", "in") == "in")
                methods.append((m.get("name"), sig))
            props = [(p.get("name"), p.get("type")) for p in iface.iter("property") if "write" in p.get("access")]
            result[iface.get("name")] = (methods, props)
    return result


def wait_for_name(connection, name, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        owner = connection.call_sync(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
            GLib.Variant("(s)", (name,)), GLib.VariantType("(b)"), Gio.DBusCallFlags.NONE, 1000, None)
        if owner.unpack()[0]:
            return
        time.sleep(0.02)
    raise RuntimeError("%s did not appear on the bus" % name)
