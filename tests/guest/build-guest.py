#!/usr/bin/python3
"""Build the tiny virtbus test guest: an uncompressed vmlinux and a busybox initramfs.

    tests/guest/build-guest.py OUTDIR [--kernel /boot/vmlinuz-X] [--busybox /bin/busybox]
                               [--module NAME ...] [--extra-binary PATH ...] [--with-agent]

Writes OUTDIR/vmlinux, OUTDIR/initramfs.cpio.gz and OUTDIR/cmdline (the kernel
command line to boot them with).  A stamp file (OUTDIR/inputs.json) records
the inputs; when they have not changed, nothing is rebuilt.  See README.md in
this folder for what the guest does on its serial console.

Only the Python standard library is used: the kernel payload is decompressed
with lzma/zlib (and the zstd/lz4 command line tools when a kernel needs them),
the cpio archive (newc format) is written by this script itself.
"""
import argparse
import fcntl
import glob
import gzip
import hashlib
import json
import lzma
import os
import shutil
import struct
import subprocess
import sys
import zlib

# Bumped whenever the layout of the guest changes in a way the input hashes
# would not notice.
GUEST_FORMAT = 4

READY_MARKER = "VIRTBUS-GUEST-READY"

# Kernel command line: serial console, reboot at once on a panic (QEMU's
# pvpanic + -action panic=pause still sees it first), and keep the console
# quiet so that test replies are not interleaved with kernel messages.
# The rest only saves boot time under TCG: no crypto self-tests, no
# read-only remapping/W+X scan of the kernel image, one UART probed, no TSC
# and timer checks.
CMDLINE = ("console=ttyS0 panic=-1 quiet loglevel=3 8250.nr_uarts=1 tsc=reliable no_timer_check"
           " cryptomgr.notests rodata=off")

# Modules loaded by /init, in this order (dependencies are added before the
# modules that need them).  button+evdev: ACPI power button seen by acpid;
# pvpanic*: tell QEMU about a guest panic; virtio_*: devices tests may add;
# qemu_fw_cfg: the fw_cfg entries a domain gives its guest, in /sys.
DEFAULT_MODULES = [
    "button", "evdev",
    "pvpanic", "pvpanic-mmio", "pvpanic-pci",
    "virtio_pci", "virtio_net", "virtio_blk", "virtio_console", "virtio_balloon",
    "qemu_fw_cfg",
]

# --with-agent: Debian's qemu-ga (package qemu-guest-agent) and what its
# commands need to give real answers.  Only in this variant, so the plain
# guest stays as small and quick to boot as before.
QEMU_GA = "/usr/sbin/qemu-ga"
# ext4 (also serving ext2) for the disk the agent freezes, trims and lists;
# virtiofs (with fuse) and 9p over virtio for the shared directories tests
# mount.
AGENT_MODULES = ["crc32c_generic", "ext4", "virtiofs", "9pnet_virtio", "9p"]

# /etc/init.d/qga, run by /init before the ready marker: loopback and the
# user-mode NIC get fixed addresses, a virtio disk (if any) is formatted
# once and mounted on /mnt/data, the virtio-serial port named
# org.qemu.guest_agent.0 gets its udev-style name, then qemu-ga runs on it.
QGA_START = r"""#!/bin/sh
ifconfig lo 127.0.0.1 netmask 255.0.0.0 up
if [ -e /sys/class/net/eth0 ]; then
  ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
  ip -6 addr add fd00:76:62::15/64 dev eth0
fi
if [ -b /dev/vda ]; then
  mkdir -p /mnt/data
  mount -t ext4 /dev/vda /mnt/data 2>/dev/null ||
    { mke2fs -q /dev/vda && mount -t ext4 /dev/vda /mnt/data; } ||
    echo "guest: cannot mount /dev/vda" >&2
fi
port=
mkdir -p /dev/virtio-ports
for p in /sys/class/virtio-ports/*; do
  [ -r "$p/name" ] || continue
  read -r name < "$p/name"
  ln -sf "/dev/${p##*/}" "/dev/virtio-ports/$name"
  [ "$name" = org.qemu.guest_agent.0 ] && port="/dev/virtio-ports/$name"
done
[ -n "$port" ] || exit 0
mkdir -p /run/qga
/usr/sbin/qemu-ga -d -m virtio-serial -p "$port" -f /run/qemu-ga.pid -t /run/qga -l /var/log/qemu-ga.log
# Ready only once the agent holds its port open.
i=0
while [ $i -lt 500 ]; do
  pid=
  [ -r /run/qemu-ga.pid ] && read -r pid < /run/qemu-ga.pid
  if [ -n "$pid" ] && ls -l "/proc/$pid/fd/" 2>/dev/null | grep -q " -> /dev/vport"; then
    exit 0
  fi
  i=$((i + 1))
  usleep 10000
done
echo "guest: qemu-ga did not open its port" >&2
"""

# qemu-ga's guest-set-user-password runs `chpasswd [-e]` with "user:password"
# on stdin.  Debian's chpasswd needs PAM; this one does the same to
# /etc/shadow with busybox's mkpasswd (SHA-512).
CHPASSWD = r"""#!/bin/sh
crypted=0
[ "$1" = -e ] && crypted=1
while IFS= read -r line; do
  user=${line%%:*}
  pw=${line#*:}
  grep -q "^$user:" /etc/shadow || { echo "chpasswd: unknown user $user" >&2; exit 1; }
  if [ $crypted = 0 ]; then
    pw=$(mkpasswd -m sha512 "$pw") || exit 1
  fi
  U="$user" P="$pw" awk -F: 'BEGIN { OFS = ":" } $1 == ENVIRON["U"] { $2 = ENVIRON["P"] } { print }' \
    /etc/shadow > /etc/shadow.new && mv /etc/shadow.new /etc/shadow || exit 1
done
"""

# guest-shutdown runs `/sbin/shutdown -h -P|-H|-r +0 MESSAGE` (/sbin is /bin here).
SHUTDOWN = r"""#!/bin/sh
for arg; do
  case "$arg" in
    -r) exec reboot -f ;;
    -H) exec halt -f ;;
  esac
done
exec poweroff -f
"""

PASSWD = "root:x:0:0:root:/root:/bin/sh\nvirtbus:x:1000:1000:virtbus:/home/virtbus:/bin/sh\n"
SHADOW = "root:*:19000:0:99999:7:::\nvirtbus:!:19000:0:99999:7:::\n"
GROUP = "root:x:0:\nvirtbus:x:1000:\n"

# --------------------------------------------------------------------------
# vmlinuz -> vmlinux

# Magic numbers of the compressors a bzImage payload may use, with the tool
# that undoes them.
COMPRESSORS = [
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x1f\x8b\x08", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\x5d\x00\x00", "lzma"),
    (b"\x02\x21\x4c\x18", "lz4"),
]


def _decompress(kind, data):
    if kind == "xz":
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)
    if kind == "lzma":
        return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(data)
    if kind == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
    # No decoder in the standard library: use Debian's command line tool
    # (zstd / lz4 packages), which stops at the end of the first frame.
    tool = {"zstd": ["zstd", "-dc"], "lz4": ["lz4", "-dc"]}[kind]
    if shutil.which(tool[0]) is None:
        raise SystemExit(f"kernel payload is {kind}-compressed: install Debian's {tool[0]} package")
    res = subprocess.run(tool, input=data, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return res.stdout


def extract_vmlinux(vmlinuz):
    """Return the ELF image inside a bzImage."""
    with open(vmlinuz, "rb") as f:
        image = f.read()
    if image[:4] == b"\x7fELF":
        return image
    candidates = []
    # Boot protocol >= 2.08 says where the payload is: offset relative to
    # the start of the protected-mode code, which follows the setup sectors.
    if image[0x202:0x206] == b"HdrS" and struct.unpack_from("<H", image, 0x206)[0] >= 0x208:
        setup_sects = image[0x1f1] or 4
        offset, length = struct.unpack_from("<II", image, 0x248)
        start = (setup_sects + 1) * 512 + offset
        candidates.append((start, image[start:start + length]))
    # Otherwise (or if that fails) look for every compression magic.
    for magic, _ in COMPRESSORS:
        pos = image.find(magic)
        while pos >= 0:
            candidates.append((pos, image[pos:]))
            pos = image.find(magic, pos + 1)
    for _, payload in candidates:
        for magic, kind in COMPRESSORS:
            if not payload.startswith(magic):
                continue
            try:
                out = _decompress(kind, payload)
            except (lzma.LZMAError, zlib.error, EOFError):
                continue
            if out[:4] == b"\x7fELF":
                return out
    raise SystemExit(f"{vmlinuz}: no compressed ELF kernel found in it")


def has_pvh_note(elf):
    """True when the ELF has a Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY (18),
    the PVH entry point QEMU uses to boot a vmlinux directly."""
    if elf[4] != 2:  # ELFCLASS64 only
        return False
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
        if p_type != 4:  # PT_NOTE
            continue
        pos, end = p_offset, p_offset + p_filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12:pos + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and ntype == 18:
                return True
            pos += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
    return False


# --------------------------------------------------------------------------
# cpio (newc) writer

class Cpio:
    """Writes a newc ("070701") cpio archive; entries are owned by root."""

    def __init__(self):
        self.chunks = []
        self.ino = 1

    def _entry(self, name, mode, data=b"", rdev=(0, 0), nlink=1):
        name_b = name.encode() + b"\0"
        header = "070701" + "".join("%08X" % v for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0))
        self.ino += 1
        blob = header.encode() + name_b
        blob += b"\0" * (-len(blob) % 4)
        blob += data
        blob += b"\0" * (-len(blob) % 4)
        self.chunks.append(blob)

    def dir(self, name, perm=0o755):
        self._entry(name, 0o040000 | perm, nlink=2)

    def file(self, name, data, perm=0o644):
        self._entry(name, 0o100000 | perm, data)

    def symlink(self, name, target):
        self._entry(name, 0o120777, target.encode())

    def chardev(self, name, major, minor, perm=0o600):
        self._entry(name, 0o020000 | perm, rdev=(major, minor))

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return b"".join(self.chunks)


# --------------------------------------------------------------------------
# modules

def module_files(moddir, names):
    """Module files to load, dependencies first, following modules.dep."""
    deps = {}
    by_name = {}
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            path, _, rest = line.partition(":")
            deps[path] = rest.split()
            base = os.path.basename(path).split(".ko")[0]
            by_name[base.replace("-", "_")] = path
    order = []

    def visit(path):
        if path in order:
            return
        for dep in deps.get(path, []):
            visit(dep)
        order.append(path)

    for name in names:
        path = by_name.get(name.replace("-", "_"))
        if path is None:
            # Built into the kernel (modules.builtin) or absent: nothing to load.
            continue
        visit(path)
    return order


def read_module(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".xz"):
        return lzma.decompress(data)
    if path.endswith(".gz"):
        return gzip.decompress(data)
    if path.endswith(".zst"):
        return _decompress("zstd", data)
    return data


# --------------------------------------------------------------------------
# extra binaries (hook for e.g. qemu-guest-agent)

def elf_needed_libs(path):
    """Shared libraries a dynamic executable needs, resolved by the host's
    dynamic loader (ldd output: 'name => /path (addr)' or '/path (addr)')."""
    res = subprocess.run(["ldd", path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    libs = []
    for line in res.stdout.splitlines():
        parts = line.split()
        for p in parts:
            if p.startswith("/") and os.path.exists(p):
                libs.append(p)
                break
    return libs


# --------------------------------------------------------------------------
# /init and its configuration

INIT_SCRIPT = r"""#!/bin/busybox sh
# virtbus test guest /init (generated by tests/guest/build-guest.py)
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
# Boot stage times (guest uptime), for boot-time work: `run cat /run/boot-times`.
stage() { read -r up idle < /proc/uptime; echo "$up $1" >> /run/boot-times; }
stage init
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run /tmp /var/log
mount -t devpts devpts /dev/pts
echo 1 > /proc/sys/kernel/sysrq
hostname virtbus-guest

while read -r mod; do
  insmod "/lib/modules/$mod" 2>/dev/null || echo "guest: insmod $mod failed" >&2
done < /etc/modules
stage modules

# acpid opens /dev/input/event0, event1, ... until one is missing, once, at
# start: wait until the power button's event device node exists (and note
# which it is: POWER_EVENT).
POWER_EVENT=
wait_power_button() {
  i=0
  while [ $i -lt 500 ]; do
    for d in /sys/class/input/input*; do
      [ -r "$d/name" ] || continue
      read -r name < "$d/name"
      case "$name" in
        "Power Button")
          for e in "$d"/event*; do
            if [ -e "/dev/input/${e##*/}" ]; then
              POWER_EVENT="/dev/input/${e##*/}"
              return 0
            fi
          done ;;
      esac
    done
    i=$((i + 1))
    usleep 10000
  done
  echo "guest: no power button input device" >&2
  return 1
}
wait_power_button
stage power-button

acpid -c /etc/acpi -a /etc/acpid.conf -M /etc/acpi.map -l /var/log/acpid.log -p /run/acpid.pid

# Announce readiness only once acpid holds the power button's event device
# (it opens them one after the other: holding event0 is not enough): a
# powerdown request arriving before that would be lost.
wait_acpid() {
  held=" -> /dev/input/event"
  [ -n "$POWER_EVENT" ] && held=" -> $POWER_EVENT\$"
  i=0
  while [ $i -lt 500 ]; do
    pid=
    [ -r /run/acpid.pid ] && read -r pid < /run/acpid.pid
    if [ -n "$pid" ] && ls -l "/proc/$pid/fd/" 2>/dev/null | grep -q "$held"; then
      return 0
    fi
    i=$((i + 1))
    usleep 10000
  done
  echo "guest: acpid did not open an input device" >&2
  return 1
}
wait_acpid
stage acpid

# Optional hook: extra programs copied in by build-guest.py --extra-binary
# may be started by scripts dropped in /etc/init.d (none by default).
for s in /etc/init.d/*; do
  [ -x "$s" ] && "$s"
done

exec </dev/ttyS0 >/dev/ttyS0 2>&1
# Line mode without echo: what the host reads back is only our answers.
stty -echo
stage ready
echo "@@READY@@"

while true; do
  if ! read -r cmd arg; then
    usleep 100000
    continue
  fi
  case "$cmd" in
    "") ;;
    echo) echo "$arg" ;;
    hostname) hostname ;;
    uptime) cat /proc/uptime ;;
    panic) echo c > /proc/sysrq-trigger ;;
    poweroff) poweroff -f ;;
    reboot) reboot -f ;;
    run) sh -c "$arg"; echo "VIRTBUS-RC $?" ;;
    *) echo "VIRTBUS-UNKNOWN $cmd" ;;
  esac
done
""".replace("@@READY@@", READY_MARKER)

POWEROFF_ACTION = "#!/bin/sh\nexec poweroff -f\n"

# busybox acpid: the map turns an input event into an event string, the
# action file turns a key found in that string into a path under -c DIR,
# which acpid runs.
ACPI_MAP = ("EV_KEY 01 KEY_POWER 116 1 button/power PWRF 00000080\n"
            "EV_KEY 01 KEY_SLEEP 142 1 button/sleep SLPB 00000080\n")
ACPID_CONF = "PWRF PWRF/00000080\n"


def build_initramfs(busybox, modules, extra, moddir, extra_files=(), agent=False):
    c = Cpio()
    for d in ("bin", "dev", "etc", "etc/acpi", "etc/acpi/PWRF", "etc/init.d", "lib",
              "lib/modules", "lib64", "proc", "sys", "run", "tmp", "var", "var/log", "root"):
        c.dir(d)
    # The kernel opens /dev/console for init before devtmpfs is mounted.
    c.chardev("dev/console", 5, 1)
    with open(busybox, "rb") as f:
        c.file("bin/busybox", f.read(), 0o755)
    c.symlink("bin/sh", "busybox")
    c.symlink("sbin", "bin")
    c.file("init", INIT_SCRIPT.encode(), 0o755)
    c.file("etc/acpi.map", ACPI_MAP.encode())
    c.file("etc/acpid.conf", ACPID_CONF.encode())
    c.file("etc/acpi/PWRF/00000080", POWEROFF_ACTION.encode(), 0o755)
    names = []
    for path in modules:
        name = os.path.basename(path)
        for ext in (".xz", ".gz", ".zst"):
            if name.endswith(ext):
                name = name[:-len(ext)]
        c.file("lib/modules/" + name, read_module(os.path.join(moddir, path)))
        names.append(name)
    c.file("etc/modules", ("\n".join(names) + "\n").encode())
    made = set()
    for src in extra:
        for path in [src] + elf_needed_libs(src):
            if path in made:
                continue
            made.add(path)
            parts = path.strip("/").split("/")
            for i in range(1, len(parts)):
                d = "/".join(parts[:i])
                if d not in made and d not in ("bin", "lib", "lib64", "etc"):
                    made.add(d)
                    c.dir(d)
            real = os.path.realpath(path)
            with open(real, "rb") as f:
                c.file(path.strip("/"), f.read(), 0o755)
    for host_path, guest_path in extra_files:
        with open(host_path, "rb") as f:
            c.file(guest_path.strip("/"), f.read(), os.stat(host_path).st_mode & 0o777)
    if agent:
        c.file("etc/init.d/qga", QGA_START.encode(), 0o755)
        c.file("bin/chpasswd", CHPASSWD.encode(), 0o755)
        c.file("bin/shutdown", SHUTDOWN.encode(), 0o755)
        c.file("etc/passwd", PASSWD.encode())
        c.file("etc/shadow", SHADOW.encode(), 0o600)
        c.file("etc/group", GROUP.encode())
        c.symlink("var/run", "../run")
        c.dir("home")
        c.dir("home/virtbus")
    return gzip.compress(c.finish(), compresslevel=1, mtime=0)


# --------------------------------------------------------------------------

def newest_kernel():
    kernels = glob.glob("/boot/vmlinuz-*")
    if not kernels:
        raise SystemExit("no /boot/vmlinuz-*: install Debian's linux-image-amd64")
    return max(kernels, key=os.path.getmtime)


def file_id(path):
    st = os.stat(path)
    return [os.path.realpath(path), st.st_size, int(st.st_mtime)]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("outdir")
    ap.add_argument("--kernel", help="bzImage to extract vmlinux from (default: newest /boot/vmlinuz-*)")
    ap.add_argument("--modules-dir", help="default: /lib/modules/<version of the kernel>")
    ap.add_argument("--busybox", default="/bin/busybox", help="a statically linked busybox")
    ap.add_argument("--module", action="append", default=None,
                    help="module to load at boot (repeatable; default: %s)" % " ".join(DEFAULT_MODULES))
    ap.add_argument("--extra-binary", action="append", default=[],
                    help="copy this program and its shared libraries into the initramfs")
    ap.add_argument("--extra-file", action="append", default=[], metavar="HOST=GUEST",
                    help="copy a host file to a guest path (same mode); executables "
                    "put in /etc/init.d/ are run by /init before the ready marker")
    ap.add_argument("--with-agent", action="store_true",
                    help="add qemu-ga (Debian's qemu-guest-agent), started on the "
                    "org.qemu.guest_agent.0 port, and what its commands need")
    args = ap.parse_args(argv)
    if args.with_agent:
        if not os.access(QEMU_GA, os.X_OK):
            raise SystemExit(f"--with-agent: no {QEMU_GA} (install Debian's qemu-guest-agent)")
        args.extra_binary.append(QEMU_GA)

    kernel = args.kernel or newest_kernel()
    version = os.path.basename(kernel).split("vmlinuz-", 1)[-1]
    moddir = args.modules_dir or os.path.join("/lib/modules", version)
    module_names = args.module if args.module is not None else DEFAULT_MODULES
    if args.with_agent:
        module_names = module_names + AGENT_MODULES
    with open(os.path.abspath(__file__), "rb") as f:
        script_hash = hashlib.sha256(f.read()).hexdigest()

    extra_files = []
    for spec in args.extra_file:
        host, sep, guest = spec.partition("=")
        if not sep or not guest.startswith("/"):
            raise SystemExit(f"--extra-file {spec}: expected HOST=/GUEST/PATH")
        extra_files.append((host, guest))
    inputs = {
        "format": GUEST_FORMAT,
        "script": script_hash,
        "kernel": file_id(kernel),
        "busybox": file_id(args.busybox),
        "modules_dir": moddir,
        "modules": module_names,
        "extra": [file_id(p) for p in args.extra_binary],
        "extra_files": [file_id(h) + [g] for h, g in extra_files],
        "agent": args.with_agent,
    }
    os.makedirs(args.outdir, exist_ok=True)
    # Test runners build in parallel (meson runs pytest files concurrently):
    # one builds, the others wait and then find the stamp up to date.
    lock = open(os.path.join(args.outdir, ".lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    stamp = os.path.join(args.outdir, "inputs.json")
    outputs = [os.path.join(args.outdir, n) for n in ("vmlinux", "initramfs.cpio.gz", "cmdline")]
    try:
        with open(stamp) as f:
            if json.load(f) == inputs and all(os.path.exists(p) for p in outputs):
                return 0
    except (OSError, ValueError):
        pass

    vmlinux = extract_vmlinux(kernel)
    if not has_pvh_note(vmlinux):
        print(f"warning: {kernel} has no PVH entry point; QEMU cannot boot its vmlinux, "
              "use the bzImage with -kernel instead", file=sys.stderr)
    modules = module_files(moddir, module_names)
    initrd = build_initramfs(args.busybox, modules, args.extra_binary, moddir, extra_files,
                             args.with_agent)

    def write(name, data):
        tmp = os.path.join(args.outdir, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(args.outdir, name))

    write("vmlinux", vmlinux)
    write("initramfs.cpio.gz", initrd)
    write("cmdline", (CMDLINE + "\n").encode())
    write("inputs.json", json.dumps(inputs, indent=1).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
