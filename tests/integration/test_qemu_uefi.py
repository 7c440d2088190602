"""UEFI guests on qemu:///session: the firmware chosen from the host's QEMU
firmware descriptors (Debian's ovmf), each guest's own NVRAM store made from
its template, Secure Boot as the guest's firmware enforces it, and what
virt-install writes for Windows 11 (Secure Boot with Microsoft's keys, SMM,
Hyper-V enlightenments).

The guests boot OVMF under TCG from an EFI system partition (a FAT image
made with mtools) holding a Linux kernel as \\EFI\\BOOT\\BOOTX64.EFI; OVMF's
boot manager reports on the serial port (a file) whether it started the
image or refused it.
"""
import hashlib
import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

import guest
from test_qemu_lifecycle import CONNECT, DOMAIN, QEMU_PATH, qemu, qemu_pids, wait_gone  # noqa: F401
from test_schemas import validate

ERR = "org.libvirt.Error"
# virDomainUndefineFlagsValues, virDomainCreateFlags
UNDEFINE_NVRAM, UNDEFINE_KEEP_NVRAM = 4, 8
START_RESET_NVRAM = 32
XML_INACTIVE = 2

DESCRIPTORS = "/usr/share/qemu/firmware"
OVMF = "/usr/share/OVMF"
PLAIN_CODE, PLAIN_VARS = OVMF + "/OVMF_CODE_4M.fd", OVMF + "/OVMF_VARS_4M.fd"
MS_CODE, MS_VARS = OVMF + "/OVMF_CODE_4M.ms.fd", OVMF + "/OVMF_VARS_4M.ms.fd"
SNAKEOIL_CODE, SNAKEOIL_VARS = OVMF + "/OVMF_CODE_4M.snakeoil.fd", OVMF + "/OVMF_VARS_4M.snakeoil.fd"
SNAKEOIL_KEY, SNAKEOIL_CERT = "/usr/share/ovmf/PkKek-1-snakeoil.key", "/usr/share/ovmf/PkKek-1-snakeoil.pem"
FIRMWARE_TIMEOUT = 90


def _missing():
    why = guest.missing_requirements()
    if why:
        return why
    if not os.path.exists(os.path.join(DESCRIPTORS, "40-edk2-x86_64-secure-enrolled.json")) or \
            not os.path.exists(MS_CODE):
        return "no OVMF with firmware descriptors (Debian package ovmf)"
    if shutil.which("mformat") is None or shutil.which("mcopy") is None:
        return "no mtools (Debian package mtools)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


def kernel():
    return sorted(os.path.join("/boot", n) for n in os.listdir("/boot") if n.startswith("vmlinuz-"))[-1]


def make_esp(path, efi_binary):
    """A FAT image with @efi_binary as the removable-media boot loader."""
    with open(path, "wb") as f:
        f.truncate(32 * 1024 * 1024)
    subprocess.run(["mformat", "-i", path, "::"], check=True)
    subprocess.run(["mmd", "-i", path, "::/EFI", "::/EFI/BOOT"], check=True)
    subprocess.run(["mcopy", "-i", path, efi_binary, "::/EFI/BOOT/BOOTX64.EFI"], check=True)
    return path


def efi_xml(name, esp, serial, os_extra="", features="", machine="q35", os_attrs=" firmware='efi'",
            clock="", disks=""):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os{os_attrs}>
    <type arch='x86_64' machine='{machine}'>hvm</type>
{os_extra}  </os>
  <features>
    <acpi/>
    <apic/>
{features}  </features>
{clock}  <on_reboot>destroy</on_reboot>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{esp}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
{disks}    <serial type='file'>
      <source path='{serial}'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
"""


def os_of(qemu, path, flags=0):
    tree = ET.fromstring(qemu.dom(path, "GetXMLDesc", "u", flags)[0])
    return tree.find("os"), tree.find("features")


def wait_serial(path, pattern, timeout=FIRMWARE_TIMEOUT):
    """The serial log once it matches @pattern (a regex), printable only."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        try:
            with open(path, "rb") as f:
                text = re.sub(r"[^\x20-\x7e\n]", "", f.read().decode("latin-1"))
        except FileNotFoundError:
            pass
        if re.search(pattern, text):
            return text
        time.sleep(0.2)
    raise AssertionError("no %r on the serial port after %ds; it has:\n%s" % (pattern, timeout, text[-2000:]))


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def cmdline(qemu, name):
    with open("/proc/%d/cmdline" % qemu.pid(name), "rb") as f:
        return f.read().split(b"\0")


def stop(qemu, path):
    pids = qemu_pids(qemu.root)
    qemu.dom(path, "Destroy", "u", 0)
    wait_gone(pids)


@pytest.fixture
def esp(tmp_path):
    return make_esp(str(tmp_path / "esp.img"), kernel())


def test_uefi_guest_gets_its_firmware_and_nvram(qemu, esp, tmp_path):
    serial = str(tmp_path / "plain.log")
    xml = efi_xml("plain", esp, serial,
                  os_extra="    <firmware><feature enabled='no' name='secure-boot'/></firmware>\n")
    path = qemu.connect("DomainDefineXML", "s", xml)

    # The firmware is chosen at define time and kept in the definition.
    os_el, features = os_of(qemu, path, XML_INACTIVE)
    validate(qemu.dom(path, "GetXMLDesc", "u", XML_INACTIVE)[0], "domain.rng")
    assert os_el.get("firmware") == "efi"
    loader, nvram = os_el.find("loader"), os_el.find("nvram")
    assert loader.text == PLAIN_CODE
    assert (loader.get("type"), loader.get("readonly"), loader.get("secure")) == ("pflash", "yes", "no")
    assert nvram.get("template") == PLAIN_VARS
    store = nvram.text
    assert store.startswith(qemu.root) and store.endswith("/nvram/plain_VARS.fd")
    assert {f.get("name"): f.get("enabled") for f in os_el.find("firmware")} == \
        {"secure-boot": "no", "enrolled-keys": "no"}
    assert features.find("smm") is None
    assert not os.path.exists(store)

    # The first start makes the store from the template; OVMF boots the
    # kernel on the ESP (no Secure Boot: any image runs).
    qemu.start(path)
    assert os.path.exists(store)
    assert oct(os.stat(store).st_mode & 0o777) == "0o600"
    wait_serial(serial, r"BdsDxe: starting Boot\w+ .*PciRoot")
    argv = cmdline(qemu, "plain")
    assert ('{"driver":"file","filename":"%s","node-name":"vb-pflash1-file","read-only":false}' % store).encode() \
        in argv
    assert b"driver=cfi.pflash01,property=secure,value=on" not in argv
    stop(qemu, path)
    # OVMF wrote its boot entries: the store is the guest's now, and the
    # next start keeps it (same file, not made anew).
    assert digest(store) != digest(PLAIN_VARS)
    inode = os.stat(store).st_ino
    os.unlink(serial)
    qemu.start(path)
    wait_serial(serial, r"BdsDxe: starting Boot")
    assert os.stat(store).st_ino == inode
    stop(qemu, path)

    # RESET_NVRAM: a fresh copy of the template.
    os.unlink(serial)
    qemu.dom(path, "Create", "u", START_RESET_NVRAM, timeout=60000)
    assert os.stat(store).st_ino != inode
    wait_serial(serial, r"BdsDxe: starting Boot")
    stop(qemu, path)

    # A store that is not a file: a clear error, nothing started.
    os.rename(store, store + ".saved")
    os.mkdir(store)
    name, msg = qemu.vb.error(path, DOMAIN, "Create", "u", 0)
    assert name == ERR and "the NVRAM %s is not a regular file" % store in msg
    assert qemu_pids(qemu.root) == []
    os.rmdir(store)
    os.rename(store + ".saved", store)

    # Undefine does not lose the guest's variables by accident.
    name, msg = qemu.vb.error(path, DOMAIN, "Undefine", "u", 0)
    assert name == ERR and "cannot undefine domain 'plain' with nvram (%s)" % store in msg
    assert os.path.exists(store)
    qemu.dom(path, "Undefine", "u", UNDEFINE_KEEP_NVRAM)
    assert os.path.exists(store)
    # Defined again, it finds its store; Undefine with NVRAM removes it.
    path = qemu.connect("DomainDefineXML", "s", xml)
    assert os_of(qemu, path)[0].find("nvram").text == store
    qemu.dom(path, "Undefine", "u", UNDEFINE_NVRAM)
    assert not os.path.exists(store)
    # A BIOS guest has no store: RESET_NVRAM says so.
    bios = qemu.connect("DomainDefineXML", "s", efi_xml("bios", esp, serial, os_attrs=""))
    assert os_of(qemu, bios)[0].find("nvram") is None
    name, msg = qemu.vb.error(bios, DOMAIN, "Create", "u", START_RESET_NVRAM)
    assert name == ERR and "has no NVRAM to reset" in msg
    qemu.dom(bios, "Undefine", "u", 0)


def test_rename_moves_the_nvram(qemu, esp, tmp_path):
    serial = str(tmp_path / "r.log")
    path = qemu.connect("DomainDefineXML", "s", efi_xml("before", esp, serial))
    qemu.start(path)
    wait_serial(serial, r"BdsDxe")
    stop(qemu, path)
    store = os_of(qemu, path)[0].find("nvram").text
    variables = digest(store)
    qemu.dom(path, "Rename", "su", "after", 0)
    renamed = os_of(qemu, path)[0].find("nvram").text
    assert renamed == store.replace("/before_VARS.fd", "/after_VARS.fd")
    assert not os.path.exists(store) and digest(renamed) == variables
    # An NVRAM the definition put elsewhere stays where it is.
    own = str(tmp_path / "own_VARS.fd")
    shutil.copy(renamed, own)
    xml = efi_xml("own", esp, serial, os_extra="    <nvram>%s</nvram>\n" % own)
    own_path = qemu.connect("DomainDefineXML", "s", xml)
    qemu.dom(own_path, "Rename", "su", "own2", 0)
    assert os_of(qemu, own_path)[0].find("nvram").text == own and os.path.exists(own)
    qemu.dom(own_path, "Undefine", "u", UNDEFINE_KEEP_NVRAM)
    qemu.dom(path, "Undefine", "u", UNDEFINE_NVRAM)
    assert not os.path.exists(renamed)


WINDOWS_FEATURES = """    <hyperv mode='custom'>
      <relaxed state='on'/>
      <vapic state='on'/>
      <spinlocks state='on' retries='8191'/>
      <runtime state='on'/>
      <synic state='on'/>
      <frequencies state='on'/>
      <tlbflush state='on'/>
      <ipi state='on'/>
    </hyperv>
    <vmport state='off'/>
"""
WINDOWS_CLOCK = """  <clock offset='localtime'>
    <timer name='rtc' tickpolicy='catchup'/>
    <timer name='pit' tickpolicy='delay'/>
    <timer name='hpet' present='no'/>
    <timer name='hypervclock' present='yes'/>
  </clock>
"""
SECURE_ENROLLED = """    <firmware>
      <feature enabled='yes' name='enrolled-keys'/>
      <feature enabled='yes' name='secure-boot'/>
    </firmware>
"""


def test_windows_11_secure_boot_refuses_unsigned(qemu, esp, tmp_path):
    """virt-install's Windows 11: Secure Boot with Microsoft's keys. The
    Debian kernel on the ESP is not signed by them: OVMF refuses it."""
    serial = str(tmp_path / "win.log")
    xml = efi_xml("win11", esp, serial, os_extra=SECURE_ENROLLED, features=WINDOWS_FEATURES, clock=WINDOWS_CLOCK)
    path = qemu.connect("DomainDefineXML", "s", xml)
    inactive = qemu.dom(path, "GetXMLDesc", "u", XML_INACTIVE)[0]
    validate(inactive, "domain.rng")
    os_el, features = os_of(qemu, path, XML_INACTIVE)
    loader = os_el.find("loader")
    assert loader.text == MS_CODE and loader.get("secure") == "yes"
    assert os_el.find("nvram").get("template") == MS_VARS
    # The Secure Boot build needs SMM: turned on for it.
    assert features.find("smm").get("state") == "on"
    hyperv = features.find("hyperv")
    assert hyperv.get("mode") == "custom"
    assert hyperv.find("spinlocks").attrib == {"state": "on", "retries": "8191"}

    qemu.start(path)
    text = wait_serial(serial, r"BdsDxe: failed to load Boot\w+ .*: Access Denied")
    assert "BdsDxe: starting Boot0001" not in text
    argv = cmdline(qemu, "win11")
    assert b"driver=cfi.pflash01,property=secure,value=on" in argv
    machine = argv[argv.index(b"-machine") + 1]
    assert b",smm=on," in machine and b"vmport=off" in machine and b"hpet=off" in machine
    cpu = argv[argv.index(b"-cpu") + 1].decode()
    assert cpu == "qemu64,hv-time=on,hv-relaxed=on,hv-vapic=on,hv-spinlocks=0x1fff,hv-runtime=on,hv-synic=on," \
                  "hv-frequencies=on,hv-tlbflush=on,hv-ipi=on"
    assert argv[argv.index(b"-rtc") + 1] == b"base=localtime,driftfix=slew"
    stop(qemu, path)
    qemu.dom(path, "Undefine", "u", UNDEFINE_NVRAM)


@pytest.mark.skipif(shutil.which("sbsign") is None or shutil.which("sbattach") is None or
                    shutil.which("openssl") is None or not os.path.exists(SNAKEOIL_KEY),
                    reason="no sbsigntool/openssl or OVMF's snakeoil key (Debian packages sbsigntool, openssl, ovmf)")
def test_secure_boot_runs_what_its_keys_signed(qemu, tmp_path):
    """Secure Boot seen from inside: OVMF's test build enrolled with its
    snakeoil key (a loader and template of the definition's own) starts a
    kernel signed with that key, and the kernel finds Secure Boot on."""
    key = str(tmp_path / "snakeoil.key")
    unsigned = str(tmp_path / "vmlinuz.efi")
    signed = str(tmp_path / "vmlinuz.signed.efi")
    subprocess.run(["openssl", "pkey", "-in", SNAKEOIL_KEY, "-passin", "pass:snakeoil", "-out", key], check=True)
    shutil.copy(kernel(), unsigned)
    subprocess.run(["sbattach", "--remove", unsigned], check=False, capture_output=True)
    subprocess.run(["sbsign", "--key", key, "--cert", SNAKEOIL_CERT, "--output", signed, unsigned], check=True,
                   capture_output=True)
    esp = make_esp(str(tmp_path / "signed.img"), signed)
    serial = str(tmp_path / "so.log")
    os_extra = (f"    <loader readonly='yes' secure='yes' type='pflash'>{SNAKEOIL_CODE}</loader>\n"
                f"    <nvram template='{SNAKEOIL_VARS}'/>\n")
    path = qemu.connect("DomainDefineXML", "s", efi_xml("snakeoil", esp, serial, os_extra=os_extra,
                                                          features="    <smm state='on'/>\n"))
    os_el = os_of(qemu, path)[0]
    assert os_el.find("nvram").get("template") == SNAKEOIL_VARS
    assert os_el.find("nvram").text.endswith("/nvram/snakeoil_VARS.fd")
    qemu.start(path)
    wait_serial(serial, r"EFI stub: UEFI Secure Boot is enabled")
    stop(qemu, path)
    qemu.dom(path, "Undefine", "u", UNDEFINE_NVRAM)


def test_uefi_errors(qemu, esp, tmp_path):
    serial = str(tmp_path / "e.log")
    cases = [
        # Secure Boot firmware runs on q35 only.
        (efi_xml("e1", esp, serial, machine="pc",
                 os_extra="    <firmware><feature enabled='yes' name='secure-boot'/></firmware>\n"),
         "no UEFI firmware on this host fits <os firmware='efi'> (machine pc-i440fx-7.2, secure-boot yes)"),
        (efi_xml("e2", esp, serial, os_extra="    <firmware><feature enabled='yes' name='secure-boot'/></firmware>\n",
                 features="    <smm state='off'/>\n"),
         "secure-boot yes, without SMM"),
        (efi_xml("e3", esp, serial, os_extra="    <firmware><feature enabled='no' name='secure-boot'/>"
                 "<feature enabled='yes' name='enrolled-keys'/></firmware>\n"),
         "keys cannot be enrolled"),
        # TCG has no Hyper-V VP index.
        (efi_xml("e4", esp, serial, features="    <hyperv><vpindex state='on'/></hyperv>\n"),
         "<hyperv><vpindex state='on'/> needs KVM"),
        (efi_xml("e5", esp, serial, features="    <hyperv><spinlocks state='on' retries='100'/></hyperv>\n"),
         "at least 4095"),
    ]
    for xml, message in cases:
        name, msg = qemu.vb.error(QEMU_PATH, CONNECT, "DomainDefineXML", "s", xml)
        assert name == ERR and message in msg, msg
    assert qemu.connect("ListDomains", "u", 0) == []


def test_domain_capabilities_show_the_firmware(qemu):
    q35 = qemu.connect("GetDomainCapabilities", "ssssu", "", "", "q35", "qemu", 0)
    pc = qemu.connect("GetDomainCapabilities", "ssssu", "", "", "pc", "qemu", 0)
    validate(q35, "domaincaps.rng")
    validate(pc, "domaincaps.rng")

    def loader(doc):
        tree = ET.fromstring(doc)
        el = tree.find("os/loader")
        enums = {e.get("name"): [v.text for v in e.findall("value")] for e in el.findall("enum")}
        return [v.text for v in el.findall("value")], enums, tree

    values, enums, tree = loader(q35)
    assert [v.text for v in tree.find("os/enum[@name='firmware']").findall("value")] == ["efi"]
    assert MS_CODE in values and PLAIN_CODE in values
    assert enums["secure"] == ["yes", "no"] and enums["type"] == ["rom", "pflash"]
    values, enums, _ = loader(pc)
    assert MS_CODE not in values and PLAIN_CODE in values
    assert enums["secure"] == ["no"]
    # What a Windows 11 guest needs, as virt-install reads it.
    features = [v.text for v in tree.find("features/hyperv/enum[@name='features']").findall("value")]
    assert "relaxed" in features and "spinlocks" in features and "vpindex" not in features
    if shutil.which("swtpm") and shutil.which("swtpm_setup"):
        tpm = tree.find("devices/tpm")
        assert tpm.get("supported") == "yes"
        assert [v.text for v in tpm.find("enum[@name='model']").findall("value")] == ["tpm-tis", "tpm-crb"]
    graphics = [v.text for v in tree.find("devices/graphics/enum[@name='type']").findall("value")]
    assert graphics == ["vnc", "spice"]


def test_managed_save_resumes_with_a_reset_nvram(qemu, esp, tmp_path):
    """Create with RESET_NVRAM of a guest with a managed save image resumes
    the image (as a plain Create does) on a fresh copy of the template.
    (QEMU then writes the flash it restored back over it: the variables in
    the image win, as with libvirt.)"""
    serial = str(tmp_path / "ms.log")
    path = qemu.connect("DomainDefineXML", "s", efi_xml("saved", esp, serial))
    qemu.start(path)
    wait_serial(serial, r"BdsDxe: starting Boot")
    store = os_of(qemu, path)[0].find("nvram").text
    inode = os.stat(store).st_ino
    qemu.dom(path, "ManagedSave", "u", 0, timeout=60000)
    wait_gone(qemu_pids(qemu.root))
    assert qemu.vb.properties(path, DOMAIN)["Active"] is False
    qemu.dom(path, "Create", "u", START_RESET_NVRAM, timeout=60000)
    assert qemu.state(path) == (1, 3)  # running, restored
    assert os.stat(store).st_ino != inode
    stop(qemu, path)
    qemu.dom(path, "Undefine", "u", UNDEFINE_NVRAM)


def test_internal_snapshot_of_a_running_uefi_guest(qemu, esp, tmp_path):
    """QEMU's snapshot-save names the disks: the NVRAM flash (raw) is not
    one of them, so a running UEFI guest can have internal snapshots."""
    serial = str(tmp_path / "snap.log")
    data = str(tmp_path / "data.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", data, "16M"], check=True)
    disk = f"""    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='{data}'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
"""
    # The ESP is raw: read-only here, so the snapshot lives in the qcow2 disk.
    xml = efi_xml("snap", esp, serial, disks=disk).replace(
        "<target dev='vda' bus='virtio'/>", "<target dev='vda' bus='virtio'/>\n      <readonly/>")
    path = qemu.connect("DomainDefineXML", "s", xml)
    qemu.start(path)
    wait_serial(serial, r"BdsDxe: starting Boot")
    snap = qemu.vb.call1(path, DOMAIN, "SnapshotCreateXML", "su",
                         "<domainsnapshot><name>s1</name></domainsnapshot>", 0, timeout=120000)
    assert snap.startswith(QEMU_PATH)
    out = subprocess.run(["qemu-img", "snapshot", "-U", "-l", data], check=True, capture_output=True, text=True)
    assert "s1" in out.stdout
    stop(qemu, path)
    qemu.dom(path, "Undefine", "u", UNDEFINE_NVRAM | 2)  # and the snapshots' metadata
