"""The daemon core: bus name, Connect object, ObjectManager, clean exit."""
import os
import signal
import subprocess

from conftest import TEST_PATH, virtbusd_path


def test_help_documents_every_option():
    out = subprocess.run([virtbusd_path(), "--help"], capture_output=True, text=True, check=True).stdout
    for opt in ("--system", "--session", "--driver", "--root-prefix", "--replace", "--verbose", "--version"):
        assert opt in out, opt


def test_bad_option_is_an_error():
    r = subprocess.run([virtbusd_path(), "--no-such-option"], capture_output=True, text=True)
    assert r.returncode != 0
    assert "Unknown option" in r.stderr


def test_unknown_driver_is_an_error(bus, tmp_root):
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus.address)
    r = subprocess.run([virtbusd_path(), "--session", "--root-prefix", tmp_root, "--driver", "xen"],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "unknown driver 'xen'" in r.stderr


def test_connect_properties(virtbus):
    props = virtbus.properties(TEST_PATH, "org.libvirt.Connect")
    assert set(props) == {"Encrypted", "Hostname", "LibVersion", "Secure", "Version"}
    assert props["Encrypted"] is False
    assert props["Hostname"]
    assert props["LibVersion"] >= 9000000


def test_object_manager_lists_connect(virtbus):
    objs = virtbus.managed_objects()
    assert TEST_PATH in objs
    assert "org.libvirt.Connect" in objs[TEST_PATH]


def test_unknown_object_is_an_error(virtbus):
    name, msg = virtbus.error(TEST_PATH + "/domain/_00000000_0000_0000_0000_000000000000",
                              "org.libvirt.Domain", "GetXMLDesc", "u", 0)
    assert name == "org.freedesktop.DBus.Error.UnknownMethod"
    assert "does not exist" in msg


def test_wrong_argument_types_are_rejected(virtbus):
    name, _ = virtbus.error(TEST_PATH, "org.libvirt.Connect", "ListDomains", "s", "not-a-flag")
    assert name == "org.freedesktop.DBus.Error.InvalidArgs"


def test_sigterm_exits_cleanly(virtbus):
    assert virtbus.stop(signal.SIGTERM) == 0
    virtbus.start()


def test_sigint_exits_cleanly(virtbus):
    assert virtbus.stop(signal.SIGINT) == 0
    virtbus.start()


def test_second_instance_does_not_steal_the_name(virtbus, bus, tmp_root):
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus.address)
    r = subprocess.run([virtbusd_path(), "--session", "--root-prefix", tmp_root], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "could not own" in r.stderr
