"""Authorization with the REAL polkitd (Debian's polkitd package).

polkitd runs on the test's private system bus. It reads its actions and
rules only from fixed global directories (/usr/share/polkit-1/actions,
/etc/polkit-1/rules.d: it has no option to look elsewhere), so for the
duration of this module the test installs
  /usr/share/polkit-1/actions/org.virtbus.test-<pid>.policy  (our actions)
  /etc/polkit-1/rules.d/10-virtbus-test-<pid>.rules           (the rules below)
and removes both afterwards. The rules only concern the throwaway user
vbauthz-test (created with useradd if missing, removed again if created):
it may see, start and stop the domain allowed-vm, and nothing else.
"""
import os
import pwd
import shutil
import subprocess

import pytest

from authz_helpers import NOT_AUTHORIZED, Client, SystemVirtbus, open_bus, wait_for_name
from conftest import TEST_PATH, build_root

POLKITD = "/usr/lib/polkit-1/polkitd"
USER = "vbauthz-test"
DOM = "org.libvirt.Domain"
CONN = "org.libvirt.Connect"
OM = "org.freedesktop.DBus.ObjectManager"
ACTIONS = "/usr/share/polkit-1/actions/org.virtbus.test-%d.policy" % os.getpid()
RULES = "/etc/polkit-1/rules.d/10-virtbus-test-%d.rules" % os.getpid()
RULES_TEXT = """// virtbus test (removed after the run)
polkit.addRule(function(action, subject) {
    if (subject.user != "%s" || action.id.indexOf("org.virtbus.api.") != 0)
        return polkit.Result.NOT_HANDLED;
    var perm = action.id.substr("org.virtbus.api.".length);
    if (perm == "connect.getattr" || perm == "connect.search-domains")
        return polkit.Result.YES;
    if (perm == "domain.getattr" || perm == "domain.read" || perm == "domain.start" || perm == "domain.stop")
        return action.lookup("domain_name") == "allowed-vm" ? polkit.Result.YES : polkit.Result.NO;
    return polkit.Result.NO;
});
""" % USER

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(POLKITD),
                                reason="needs root and polkitd")


def domain_xml(name, uuid):
    return f"""<domain type='test'><name>{name}</name><uuid>{uuid}</uuid>
  <memory unit='KiB'>65536</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>"""


@pytest.fixture(scope="module")
def test_user():
    created = False
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
                       check=True)
        created = True
    yield pwd.getpwnam(USER)
    if created:
        subprocess.run(["userdel", USER], check=False)


@pytest.fixture(scope="module")
def polkit_files():
    shutil.copyfile(os.path.join(build_root(), "policy", "org.virtbus.policy"), ACTIONS)
    with open(RULES, "w") as f:
        f.write(RULES_TEXT)
    os.chmod(RULES, 0o644)
    yield
    for path in (ACTIONS, RULES):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


@pytest.fixture
def real(tmp_root, test_user, polkit_files):
    bus = open_bus(tmp_root, "system")
    env = dict(os.environ)
    env["DBUS_SYSTEM_BUS_ADDRESS"] = bus.address
    with open(os.path.join(tmp_root, "polkitd.log"), "wb") as log:
        polkitd = subprocess.Popen([POLKITD, "--no-debug"], env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_for_name(bus.connection, "org.freedesktop.PolicyKit1")
    root = os.path.join(tmp_root, "root")
    os.makedirs(root)
    vb = SystemVirtbus(bus, root, args=("--driver", "test"))
    allowed = vb.connect_call("DomainDefineXML", "s", domain_xml("allowed-vm", "aaaaaaaa-0000-4000-8000-000000000001"))
    other = vb.connect_call("DomainDefineXML", "s", domain_xml("other-vm", "aaaaaaaa-0000-4000-8000-000000000002"))
    client = Client(bus.address, uid=test_user.pw_uid, gid=test_user.pw_gid)
    yield vb, client, allowed, other
    client.close()
    code = vb.stop()
    vb.close()
    polkitd.terminate()
    polkitd.wait(timeout=10)
    bus.stop()
    assert code == 0, vb.read_log()


def test_start_and_stop_only_allowed_vm(real):
    vb, client, allowed, other = real
    assert client.call(allowed, DOM, "Create", "u", [0]) == {"ok": []}
    assert vb.get_property(allowed, DOM, "Active") is True
    assert client.call(allowed, DOM, "Destroy", "u", [0]) == {"ok": []}
    assert vb.get_property(allowed, DOM, "Active") is False

    reply = client.call(other, DOM, "Create", "u", [0])
    assert reply["error"] == NOT_AUTHORIZED and "domain.start" in reply["message"]
    assert vb.get_property(other, DOM, "Active") is False
    vb.call(other, DOM, "Create", "u", 0)  # root is not asked
    reply = client.call(other, DOM, "Destroy", "u", [0])
    assert reply["error"] == NOT_AUTHORIZED
    assert vb.get_property(other, DOM, "Active") is True


def test_cannot_define_or_undefine(real):
    vb, client, allowed, other = real
    before = sorted(vb.connect_call("ListDomains", "u", 0))
    reply = client.call(TEST_PATH, CONN, "DomainDefineXML", "s",
                        [domain_xml("new-vm", "aaaaaaaa-0000-4000-8000-000000000003")])
    assert reply["error"] == NOT_AUTHORIZED and "domain.write" in reply["message"]
    reply = client.call(allowed, DOM, "Undefine", "u", [0])
    assert reply["error"] == NOT_AUTHORIZED and "domain.delete" in reply["message"]
    reply = client.call(allowed, "org.freedesktop.DBus.Properties", "Set", "ssv",
                        [DOM, "Autostart", ["b", True]])
    assert reply["error"] == NOT_AUTHORIZED
    assert sorted(vb.connect_call("ListDomains", "u", 0)) == before
    assert vb.get_property(allowed, DOM, "Autostart") is False


def test_sees_only_what_the_rules_allow(real):
    vb, client, allowed, other = real
    assert len(vb.connect_call("ListDomains", "u", 0)) >= 3  # root: test, allowed-vm, other-vm
    assert client.call(TEST_PATH, CONN, "ListDomains", "u", [0]) == {"ok": [[allowed]]}
    seen = client.call("/org/libvirt", OM, "GetManagedObjects")["ok"][0]
    assert sorted(seen) == sorted([TEST_PATH, allowed])
    assert seen[allowed][DOM]["Name"] == "allowed-vm"
    assert client.call(other, "org.freedesktop.DBus.Properties", "Get", "ss", [DOM, "Name"])["error"] == \
        NOT_AUTHORIZED
    assert client.call(TEST_PATH, CONN, "DomainLookupByName", "s", ["other-vm"])["error"] == NOT_AUTHORIZED
    assert client.call(TEST_PATH, CONN, "DomainLookupByName", "s", ["allowed-vm"]) == {"ok": [allowed]}
    assert "<name>allowed-vm</name>" in client.call(allowed, DOM, "GetXMLDesc", "u", [0])["ok"][0]
    # Networks etc. are not granted: not listed, not readable.
    assert client.call(TEST_PATH, CONN, "ListNetworks", "u", [0])["error"] == NOT_AUTHORIZED
