"""virtbusctl against virtbusd's test backend on a private bus: tables,
--json, state changes seen on D-Bus, errors and exit codes, edit with a fake
$EDITOR, the console's unavailability, and a real ssh round trip."""
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import time

import pytest

from conftest import TEST_PATH, build_root

DOM_PATH = TEST_PATH + "/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"
DOMAIN = "org.libvirt.Domain"

# virtbusctl(1) exit codes
OK, FAILED, USAGE, NOT_FOUND, CONNECT, DENIED, UNAVAILABLE = range(7)


def ctl_path():
    return os.path.join(build_root(), "tools", "virtbusctl")


def run(virtbus, *args, input=None, env=None, timeout=30):
    e = dict(os.environ)
    e["DBUS_SESSION_BUS_ADDRESS"] = virtbus.bus.address
    e.pop("VIRTBUS_DEFAULT_URI", None)
    e["LC_ALL"] = "C"
    if env:
        e.update(env)
    return subprocess.run([ctl_path()] + list(args), input=input, capture_output=True, text=True,
                          env=e, timeout=timeout)


def ok(virtbus, *args, **kw):
    r = run(virtbus, *args, **kw)
    assert r.returncode == 0, (args, r.returncode, r.stdout, r.stderr)
    return r.stdout


def js(virtbus, *args):
    return json.loads(ok(virtbus, "--json", *args))


def state(virtbus, path=DOM_PATH):
    return virtbus.call(path, DOMAIN, "GetState", "u", 0)[0][0]


def table_rows(text):
    lines = [l for l in text.splitlines() if l.strip()]
    assert set(lines[1]) == {"-"}, text
    header = lines[0].split()
    return header, [l.split(None, len(header) - 1) for l in lines[2:]]


def test_list_table_and_json(virtbus):
    header, rows = table_rows(ok(virtbus, "list", "--all"))
    assert header == ["Id", "Name", "State"]
    assert rows == [["1", "test", "running"]]
    assert js(virtbus, "list") == [{"id": 1, "name": "test", "state": "running"}]
    # the explicit URI means the same connection
    assert js(virtbus, "-c", "test:///default", "list", "--all")[0]["name"] == "test"


def test_json_types_by_field(virtbus, tmp_root):
    # A value's JSON type is its field's, not what the text looks like: a
    # domain named "2024" or "yes" keeps a string name.
    for name in ("2024", "yes", "-5"):
        path = os.path.join(tmp_root, "n.xml")
        with open(path, "w") as f:
            f.write("<domain type='test'><name>%s</name><memory>1024</memory>"
                    "<os><type>hvm</type></os></domain>" % name)
        ok(virtbus, "define", path)
        assert {"id": None, "name": name, "state": "shut off"} in js(virtbus, "list", "--all")
        info = js(virtbus, "dominfo", name)
        assert info["name"] == name and info["id"] is None and info["autostart"] is False, info
        assert info["vcpus"] == 1 and info["max_memory_kib"] == 1024, info
        ok(virtbus, "undefine", name)
    nodes = js(virtbus, "nodeinfo")
    assert isinstance(nodes["cpus"], int) and isinstance(nodes["memory_kib"], int) and \
        isinstance(nodes["cpu_model"], str), nodes
    nets = js(virtbus, "net-list", "--all")
    assert nets and all(isinstance(n["autostart"], bool) and isinstance(n["persistent"], bool)
                        for n in nets), nets


def test_domain_lifecycle(virtbus):
    out = ok(virtbus, "suspend", "test")
    assert "Domain 'test' suspended" in out
    assert state(virtbus) == 3
    virtbus.wait_signal("DomainEvent", lambda s: s[3][0] == DOM_PATH and s[3][1] == 3)  # SUSPENDED
    assert ok(virtbus, "domstate", "test").strip() == "paused"
    ok(virtbus, "resume", "test")
    assert state(virtbus) == 1
    ok(virtbus, "destroy", "test")
    assert state(virtbus) == 5
    assert virtbus.get_property(DOM_PATH, DOMAIN, "Active") is False
    assert js(virtbus, "list") == []
    assert js(virtbus, "list", "--all") == [{"id": None, "name": "test", "state": "shut off"}]
    assert js(virtbus, "list", "--inactive")[0]["name"] == "test"
    ok(virtbus, "start", "test")
    assert state(virtbus) == 1
    assert js(virtbus, "domstate", "test")["state"] == "running"


def test_dominfo(virtbus):
    text = ok(virtbus, "dominfo", "test")
    assert "UUID:" in text and "6695eb01-f6a4-8304-79aa-97f2502e193f" in text
    info = js(virtbus, "dominfo", "test")
    assert info["name"] == "test"
    assert info["state"] == "running"
    assert info["persistent"] is True
    assert info["vcpus"] == 2
    assert info["max_memory_kib"] == 8388608


def test_define_dumpxml_undefine(virtbus, tmp_root):
    xml = ok(virtbus, "dumpxml", "test")
    assert xml.startswith("<domain") and "<name>test</name>" in xml
    new = os.path.join(tmp_root, "d2.xml")
    with open(new, "w") as f:
        f.write("<domain type='test'><name>cli2</name><memory>1024</memory>"
                "<os><type>hvm</type></os></domain>")
    out = ok(virtbus, "define", new)
    assert "Domain 'cli2' defined from" in out
    path = virtbus.call1(TEST_PATH, "org.libvirt.Connect", "DomainLookupByName", "s", "cli2")
    assert path in virtbus.managed_objects()
    assert {"name": "cli2", "id": None, "state": "shut off"} in js(virtbus, "list", "--all")
    ok(virtbus, "autostart", "cli2")
    assert virtbus.get_property(path, DOMAIN, "Autostart") is True
    ok(virtbus, "autostart", "cli2", "--disable")
    assert virtbus.get_property(path, DOMAIN, "Autostart") is False
    ok(virtbus, "undefine", "cli2")
    assert path not in virtbus.managed_objects()


def test_domblklist(virtbus, tmp_root):
    new = os.path.join(tmp_root, "disks.xml")
    with open(new, "w") as f:
        f.write("<domain type='test'><name>disks</name><memory>1024</memory><os><type>hvm</type></os><devices>"
                "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                "<source file='/var/lib/images/top.qcow2'/>"
                "<backingStore type='file'><format type='qcow2'/><source file='/var/lib/images/base.qcow2'/>"
                "</backingStore><target dev='vda' bus='virtio'/></disk>"
                "<disk type='block' device='disk'><source dev='/dev/sdz'/><target dev='vdb' bus='virtio'/></disk>"
                "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>"
                "</devices></domain>")
    ok(virtbus, "define", new)
    # Each disk once, with its own source (not its backing images'); an
    # empty cdrom as "-".
    header, rows = table_rows(ok(virtbus, "domblklist", "disks"))
    assert header == ["Target", "Source"]
    assert rows == [["vda", "/var/lib/images/top.qcow2"], ["vdb", "/dev/sdz"], ["hdc", "-"]]
    header, rows = table_rows(ok(virtbus, "domblklist", "disks", "--details", "--inactive"))
    assert header == ["Type", "Device", "Target", "Source"]
    assert rows[1] == ["block", "disk", "vdb", "/dev/sdz"] and rows[2] == ["file", "cdrom", "hdc", "-"]
    assert js(virtbus, "domblklist", "disks")[2] == {"target": "hdc", "source": None}
    r = run(virtbus, "domblklist", "nosuch")
    assert r.returncode == NOT_FOUND and "nosuch" in r.stderr
    ok(virtbus, "undefine", "disks")


def test_create_transient(virtbus, tmp_root):
    new = os.path.join(tmp_root, "t.xml")
    with open(new, "w") as f:
        f.write("<domain type='test'><name>tr</name><memory>1024</memory><os><type>hvm</type></os></domain>")
    ok(virtbus, "create", new)
    info = js(virtbus, "dominfo", "tr")
    assert info["persistent"] is False and info["state"] == "running"
    ok(virtbus, "destroy", "tr")
    r = run(virtbus, "dominfo", "tr")
    assert r.returncode == NOT_FOUND


def test_errors_and_exit_codes(virtbus):
    r = run(virtbus, "dominfo", "nope")
    assert r.returncode == NOT_FOUND
    assert "failed to get domain 'nope'" in r.stderr
    r = run(virtbus, "start", "test")
    assert r.returncode == FAILED
    assert "error: domain 'test' is already active" in r.stderr
    r = run(virtbus, "bogus-command")
    assert r.returncode == USAGE and "unknown command" in r.stderr
    r = run(virtbus, "dominfo")
    assert r.returncode == USAGE and "usage: virtbusctl dominfo DOMAIN" in r.stderr
    r = run(virtbus, "list", "--bogus")
    assert r.returncode == USAGE
    r = run(virtbus, "-c", "foo:///x", "list")
    assert r.returncode == CONNECT and "unsupported driver 'foo'" in r.stderr
    r = run(virtbus, "setmem", "test", "lots")
    assert r.returncode == USAGE


def test_no_daemon(bus):
    class NoDaemon:
        pass
    nd = NoDaemon()
    nd.bus = bus
    r = run(nd, "list")
    assert r.returncode == CONNECT
    assert "virtbusd is not running on the session bus" in r.stderr


def test_console_and_migrate_unavailable(virtbus):
    r = run(virtbus, "console", "test")
    assert r.returncode == UNAVAILABLE
    assert "console of domain 'test' is not available on this connection" in r.stderr
    r = run(virtbus, "migrate", "test", "qemu+ssh://elsewhere/system")
    assert r.returncode == UNAVAILABLE
    # migration: only qemu:// domains offer org.virtbus.Domain.Migrate
    assert "migration of domain 'test' is not available on this connection" in r.stderr


def write_editor(tmp_root, body):
    path = os.path.join(tmp_root, "editor.sh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nset -e\n" + body)
    os.chmod(path, stat.S_IRWXU)
    return path


def test_edit_valid(virtbus, tmp_root):
    editor = write_editor(tmp_root, "sed -i 's|<memory unit=.KiB.>[0-9]*</memory>|<memory unit=\"KiB\">4194304</memory>|' \"$1\"\n")
    out = ok(virtbus, "edit", "test", env={"EDITOR": editor, "VISUAL": ""})
    assert "Domain 'test' XML configuration edited." in out
    inactive = ok(virtbus, "dumpxml", "--inactive", "test")
    assert "4194304</memory>" in inactive


def test_edit_unchanged(virtbus, tmp_root):
    editor = write_editor(tmp_root, "true\n")
    out = ok(virtbus, "edit", "test", env={"EDITOR": editor, "VISUAL": ""})
    assert "not changed" in out


def test_edit_invalid_then_retry(virtbus, tmp_root):
    count = os.path.join(tmp_root, "count")
    # First round breaks the XML, the second repairs it and changes the memory.
    editor = write_editor(tmp_root, f"""
if [ ! -e {count} ]; then
  touch {count}
  sed -i 's|</domain>|<bogus/></domain>|' "$1"
else
  sed -i -e 's|<bogus/>||' -e 's|<memory unit=.KiB.>[0-9]*</memory>|<memory unit="KiB">3145728</memory>|' "$1"
fi
""")
    r = run(virtbus, "edit", "test", input="y\n", env={"EDITOR": editor, "VISUAL": ""})
    assert r.returncode == OK, r.stderr
    assert "unsupported element <bogus>" in r.stderr
    assert "Failed. Try again? [y,n]:" in r.stdout
    assert "XML configuration edited" in r.stdout
    assert "3145728</memory>" in ok(virtbus, "dumpxml", "--inactive", "test")

    os.unlink(count)
    r = run(virtbus, "edit", "test", input="n\n", env={"EDITOR": editor, "VISUAL": ""})
    assert r.returncode == FAILED
    assert "Changes left in" in r.stderr
    assert "<bogus/>" not in ok(virtbus, "dumpxml", "--inactive", "test")


def test_setmem_setvcpus_stats(virtbus):
    ok(virtbus, "setmem", "test", "1G")
    assert "<currentMemory unit='KiB'>1048576</currentMemory>" in ok(virtbus, "dumpxml", "test")
    ok(virtbus, "setvcpus", "test", "1")
    assert js(virtbus, "dominfo", "test")["vcpus"] in (1, 2)  # live count may differ from <vcpu> max
    stats = js(virtbus, "domstats", "test")
    assert stats["test"]["state.state"] == 1
    text = ok(virtbus, "domstats")
    assert "Domain: 'test'" in text and "state.state=1" in text


def test_iothreads(virtbus):
    """iothreadadd/iothreadinfo/iothreadpin/iothreaddel over AddIOThread,
    GetIOThreadInfo, PinIOThread, DelIOThread, with the host's CPU count
    from NodeGetCPUMap; bad ids and CPU lists refused before any call."""
    host_cpus = len(virtbus.call1("/org/libvirt/Test", "org.libvirt.Connect", "NodeGetCPUMap", "u", 0))
    assert js(virtbus, "iothreadinfo", "test") == []
    assert "IOThread 3 added to domain 'test'" in ok(virtbus, "iothreadadd", "test", "3", "--live")
    ok(virtbus, "iothreadadd", "test", "5")
    rows = js(virtbus, "iothreadinfo", "test")
    assert [r["id"] for r in rows] == [3, 5]
    everything = "0-%d" % (host_cpus - 1) if host_cpus > 1 else "0"
    assert rows[0]["cpus"] == everything, rows
    # The table as virsh prints it.
    header, table = table_rows(ok(virtbus, "iothreadinfo", "test"))
    assert header == ["IOThread", "ID", "CPU", "Affinity"] and [r[0] for r in table] == ["3", "5"]
    assert "pinned to CPUs 0" in ok(virtbus, "iothreadpin", "test", "5", "0")
    rows = js(virtbus, "iothreadinfo", "test")
    assert rows[1]["id"] == 5 and rows[1]["cpus"] == "0"  # a CPU list is a string, even of one CPU
    for bad in ("x", "%d" % host_cpus, "2-1", "^0", "0,,1", "0-"):
        r = run(virtbus, "iothreadpin", "test", "5", bad)
        assert r.returncode == USAGE and "invalid CPU list '%s'" % bad in r.stderr, (bad, r)
    r = run(virtbus, "iothreadadd", "test", "0")
    assert r.returncode == USAGE and "invalid IOThread id '0'" in r.stderr, r
    # What the service refuses comes back as it said it.
    r = run(virtbus, "iothreadadd", "test", "3")
    assert r.returncode == FAILED and "3" in r.stderr, r
    r = run(virtbus, "iothreaddel", "test", "4")
    assert r.returncode == FAILED and "4" in r.stderr, r
    assert "IOThread 3 removed from domain 'test'" in ok(virtbus, "iothreaddel", "test", "3")
    assert [r["id"] for r in js(virtbus, "iothreadinfo", "test")] == [5]


def test_domifaddr(virtbus):
    rows = js(virtbus, "domifaddr", "test")
    assert rows and rows[0]["protocol"] in ("ipv4", "ipv6")
    assert "/" in rows[0]["address"]


def test_save_restore_managedsave(virtbus, tmp_root):
    img = os.path.join(tmp_root, "test.img")
    ok(virtbus, "save", "test", img)
    assert state(virtbus) == 5
    ok(virtbus, "restore", img)
    assert state(virtbus) == 1
    ok(virtbus, "managedsave", "test")
    assert state(virtbus) == 5
    assert virtbus.call1(DOM_PATH, DOMAIN, "HasManagedSaveImage", "u", 0) is True


def test_snapshots(virtbus):
    out = ok(virtbus, "snapshot-create-as", "test", "snap1", "--description", "first")
    assert "Domain snapshot snap1 created" in out
    snaps = js(virtbus, "snapshot-list", "test")
    assert [s["name"] for s in snaps] == ["snap1"]
    assert snaps[0]["state"] == "running"
    ok(virtbus, "suspend", "test")
    ok(virtbus, "snapshot-revert", "test", "snap1")
    assert state(virtbus) == 1
    ok(virtbus, "snapshot-delete", "test", "snap1")
    assert js(virtbus, "snapshot-list", "test") == []
    r = run(virtbus, "snapshot-revert", "test", "snap1")
    assert r.returncode == FAILED and "snap1" in r.stderr


def test_host_commands(virtbus):
    assert ok(virtbus, "capabilities").startswith("<capabilities>")
    host = virtbus.get_property(TEST_PATH, "org.libvirt.Connect", "Hostname")
    assert ok(virtbus, "hostname").strip() == host
    assert js(virtbus, "hostname") == {"hostname": host}
    v = js(virtbus, "version")
    assert v["api"] == "Test 9.0.0"
    node = js(virtbus, "nodeinfo")
    assert node["cpus"] > 0 and node["memory_kib"] > 0


def test_host_statistics(virtbus):
    # test:///default's fixed host (virsh -c test:///default shows the same)
    assert js(virtbus, "nodecpumap") == {"present": 8, "online": 3, "map": "y-y-y---"}
    cpu = js(virtbus, "nodecpustats")
    assert cpu == {"user": 9797400000, "kernel": 34678723400000, "idle": 87264900000, "iowait": 763600000}
    assert "system: " in ok(virtbus, "nodecpustats", "--cpu", "1")
    assert js(virtbus, "nodememstats", "--cell", "1")["total"] > 0
    assert set(js(virtbus, "nodememstats")) == {"total", "free", "buffers", "cached"}
    r = run(virtbus, "nodememstats", "--cell", "x")
    assert r.returncode == 2 and "invalid value 'x' for --cell" in r.stderr
    r = run(virtbus, "nodememstats", "--cell", "7")
    assert r.returncode != 0 and "invalid cell number 7" in r.stderr
    assert js(virtbus, "node-memory-tune")["shm_pages_to_scan"] == 100
    ok(virtbus, "node-memory-tune", "--shm-pages-to-scan", "300", "--shm-sleep-millisecs", "40")
    tune = js(virtbus, "node-memory-tune")
    assert (tune["shm_pages_to_scan"], tune["shm_sleep_millisecs"]) == (300, 40)
    r = run(virtbus, "node-memory-tune", "--shm-pages-to-scan", "-1")
    assert r.returncode == 2
    assert js(virtbus, "node-memory-tune")["shm_pages_to_scan"] == 300
    assert "<sysinfo type='smbios'>" in ok(virtbus, "sysinfo")


def test_networks(virtbus, tmp_root):
    nets = js(virtbus, "net-list", "--all")
    assert {"name": "default", "state": "active", "autostart": False, "persistent": True} in nets
    info = js(virtbus, "net-info", "default")
    assert info["active"] is True and info["bridge"] == "virbr0"
    path = virtbus.call1(TEST_PATH, "org.libvirt.Connect", "NetworkLookupByName", "s", "default")
    ok(virtbus, "net-destroy", "default")
    assert virtbus.get_property(path, "org.libvirt.Network", "Active") is False
    assert js(virtbus, "net-list") == []
    ok(virtbus, "net-start", "default")
    assert virtbus.get_property(path, "org.libvirt.Network", "Active") is True
    ok(virtbus, "net-autostart", "default")
    assert virtbus.get_property(path, "org.libvirt.Network", "Autostart") is True
    assert "<network" in ok(virtbus, "net-dumpxml", "default")
    f = os.path.join(tmp_root, "n.xml")
    with open(f, "w") as fh:
        fh.write("<network><name>clinet</name><bridge name='vbr9'/></network>")
    ok(virtbus, "net-define", f)
    assert js(virtbus, "net-info", "clinet")["active"] is False
    ok(virtbus, "net-undefine", "clinet")
    assert run(virtbus, "net-info", "clinet").returncode == NOT_FOUND


def test_pools_and_volumes(virtbus):
    pools = js(virtbus, "pool-list", "--all")
    assert pools[0]["name"] == "default-pool" and pools[0]["state"] == "active"
    info = js(virtbus, "pool-info", "default-pool")
    assert info["state"] == "running" and info["capacity"] > 0
    ok(virtbus, "vol-create-as", "default-pool", "v1", "10M")
    vols = js(virtbus, "vol-list", "default-pool")
    assert [v["name"] for v in vols] == ["v1"]
    vinfo = js(virtbus, "vol-info", "v1", "--pool", "default-pool")
    assert vinfo["capacity"] == 10 * 1024 * 1024 and vinfo["type"] == "file"
    # by path too
    assert js(virtbus, "vol-info", vols[0]["path"])["name"] == "v1"
    assert "<volume" in ok(virtbus, "vol-dumpxml", "v1", "--pool", "default-pool")
    ok(virtbus, "vol-delete", "v1", "--pool", "default-pool")
    assert js(virtbus, "vol-list", "default-pool") == []
    ok(virtbus, "pool-destroy", "default-pool")
    assert js(virtbus, "pool-info", "default-pool")["state"] == "inactive"
    ok(virtbus, "pool-start", "default-pool")
    assert js(virtbus, "pool-info", "default-pool")["state"] == "running"


def test_interfaces_and_nodedevs(virtbus):
    ifaces = js(virtbus, "iface-list", "--all")
    assert {"name": "eth1", "state": "active", "mac": "aa:bb:cc:dd:ee:ff"} in ifaces
    assert "<interface" in ok(virtbus, "iface-dumpxml", "eth1")
    devs = js(virtbus, "nodedev-list")
    names = {d["name"] for d in devs}
    assert "computer" in names and "scsi_host1" in names
    info = js(virtbus, "nodedev-info", "scsi_host1")
    assert info["parent"] == "computer" and "scsi_host" in info["capabilities"]
    only = {d["name"] for d in js(virtbus, "nodedev-list", "--cap", "scsi_host")}
    assert "computer" not in only and "scsi_host1" in only


def test_help_lists_commands():
    r = subprocess.run([ctl_path(), "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for c in ("list", "net-list", "vol-create-as", "snapshot-create-as", "console"):
        assert "  " + c + " " in r.stdout
    assert "Exit codes" in r.stdout


# ---- remote: ssh to this machine, the bridge relays to the private bus ----

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def sshd(tmp_root):
    exe = shutil.which("sshd") or "/usr/sbin/sshd"
    if not os.path.exists(exe) or not shutil.which("ssh"):
        pytest.fail("openssh-server and openssh-client are needed (build-aux/setup.sh installs them)")
    d = os.path.join(tmp_root, "ssh")
    os.makedirs(d)
    for key in ("hostkey", "userkey"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(d, key)], check=True)
    shutil.copy(os.path.join(d, "userkey.pub"), os.path.join(d, "authorized_keys"))
    port = free_port()
    user = os.environ.get("USER") or __import__("pwd").getpwuid(os.getuid()).pw_name
    config = os.path.join(d, "sshd_config")
    with open(config, "w") as f:
        f.write(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {d}/hostkey
PidFile {d}/sshd.pid
AuthorizedKeysFile {d}/authorized_keys
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
""")
    if os.getuid() == 0:
        os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege-separation directory
    proc = subprocess.Popen([exe, "-D", "-e", "-f", config], stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(d, "sshd.log"), "w"))
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("sshd did not start: " + open(os.path.join(d, "sshd.log")).read())
            time.sleep(0.05)
    yield {"port": port, "user": user, "key": os.path.join(d, "userkey")}
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)


def test_ssh_remote(virtbus, sshd):
    bridge = os.path.join(build_root(), "tools", "virtbus-stdio-bridge")
    socket_path = virtbus.bus.socket
    uri = (f"test+ssh://{sshd['user']}@127.0.0.1:{sshd['port']}/default"
           f"?keyfile={sshd['key']}&no_verify=1&bridge={bridge}&socket={socket_path}")
    # No local bus at all: everything goes through ssh.
    env = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"}
    r = run(virtbus, "-c", uri, "list", "--all", env=env)
    assert r.returncode == 0, r.stderr
    header, rows = table_rows(r.stdout)
    assert rows == [["1", "test", "running"]]
    r = run(virtbus, "-c", uri, "suspend", "test", env=env)
    assert r.returncode == 0, r.stderr
    assert state(virtbus) == 3
    # A remote that is not there is a connection failure.
    bad = uri.replace(socket_path, socket_path + ".missing")
    r = run(virtbus, "-c", bad, "list", env=env)
    assert r.returncode == CONNECT


def test_bash_completion(virtbus):
    bc = "/usr/share/bash-completion/bash_completion"
    if not os.path.exists(bc):
        pytest.fail("bash-completion is needed (build-aux/setup.sh installs it)")
    here = os.path.dirname(os.path.abspath(__file__))
    comp = os.path.join(here, "..", "..", "tools", "virtbusctl.bash-completion")

    def complete(line):
        words = line.split(" ")
        script = (f"source {bc}; source {comp}; COMP_WORDS=({' '.join(repr(w) for w in words)}); "
                  f"COMP_CWORD={len(words) - 1}; COMP_LINE={line!r}; COMP_POINT={len(line)}; "
                  "_virtbusctl; printf '%s\\n' \"${COMPREPLY[@]}\"")
        env = dict(os.environ)
        env["PATH"] = os.path.dirname(ctl_path()) + os.pathsep + env["PATH"]
        env["DBUS_SESSION_BUS_ADDRESS"] = virtbus.bus.address
        r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=30)
        return set(r.stdout.split())

    assert {"net-list", "net-info", "net-start"} <= complete("virtbusctl net-")
    assert complete("virtbusctl start t") == {"test"}
    assert complete("virtbusctl net-info d") == {"default"}
    assert "--all" in complete("virtbusctl list --")
