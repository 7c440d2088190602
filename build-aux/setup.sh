#!/usr/bin/env bash
# virtbus developer entry point: installs what is missing, builds, and runs.
#
#   build-aux/setup.sh run    install deps, build, run virtbusd on a private bus with a tour of calls
#   build-aux/setup.sh test   install deps, build, run every test (unit, integration, fuzz)
#   build-aux/setup.sh bench  install deps, build, run bench/run.py against libvirt-dbus + libvirtd (see bench/README.md)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build="$top/build"

# Debian 12 packages: build and run deps (QEMU for the qemu backend), then test-only deps (libvirt's RelaxNG
# schemas, libvirt-dbus' interface files and virsh serve as references and
# oracles in tests; virtbus never links or calls libvirt).
build_deps=(meson ninja-build pkg-config gcc libglib2.0-dev libxml2-dev libjson-glib-dev dbus libglib2.0-bin
            qemu-system-x86 qemu-utils)
# virtual networks on qemu:// (backends/network): dnsmasq for DHCP/DNS, nft for NAT and
# forwarding; iproute2's ip for the tests' network namespaces
build_deps+=(dnsmasq-base nftables iproute2)
# Host devices (backends/nodedev): the names of PCI and USB vendors and products.
build_deps+=(pci.ids usb.ids)
# fs storage pools (backends/storage): mkfs.ext4 and blkid, mount and umount
build_deps+=(e2fsprogs util-linux mount)
# disk storage pools (backends/storage/vb-storage-disk.c): sfdisk writes and reads partition tables,
# wipefs (util-linux) clears them
build_deps+=(fdisk)
# emulated TPMs of QEMU guests (backends/qemu/vb-qemu-tpm.c): swtpm and swtpm_setup
build_deps+=(swtpm swtpm-tools)
# UEFI guests (backends/qemu/vb-qemu-firmware.c): OVMF and its firmware descriptors
build_deps+=(ovmf)
test_deps=(clang libclang-rt-14-dev python3 python3-pytest python3-gi gir1.2-glib-2.0 python3-dbus
           python3-dbusmock libxml2-utils libvirt0 libvirt-dbus libvirt-clients
           linux-image-amd64 busybox-static qemu-guest-agent
           polkitd gettext util-linux passwd
           libsystemd-dev) # bench/vb-bench-call.c, built and checked by the tests too
# client library (GIR/typelib, gi-docgen optional) and virtbusctl; GJS and a throwaway sshd for their tests
build_deps+=(gobject-introspection libgirepository1.0-dev gir1.2-glib-2.0 bash-completion)
# policy/ translated through po/ (msgfmt, polkit.its from polkitd)
build_deps+=(gettext polkitd)
test_deps+=(gjs openssh-server openssh-client)
# test_qemu_host_info: libvirtd's session daemon behind libvirt-dbus answers the same host queries (the
# oracle; never linked or called by virtbus), dmidecode reads the tests' SMBIOS tables as libvirt does
test_deps+=(libvirt-daemon libvirt-daemon-driver-qemu dmidecode)
# test_qemu_graphics: SPICE (RSA-OAEP) and VNC (DES) password checks of a running display
test_deps+=(python3-cryptography)
# test_qemu_uefi: an EFI system partition (mtools, dosfstools), a kernel signed with OVMF's test key
test_deps+=(mtools dosfstools sbsigntool openssl)
# bench/ only: the anchor stack (libvirtd + libvirt-dbus on qemu:///session) measured side by side with virtbus
bench_deps=(python3 python3-gi gir1.2-glib-2.0 dbus libvirt-daemon libvirt-daemon-driver-qemu libvirt-dbus
            libsystemd-dev) # bench/vb-bench-call.c, the lean client (sd-bus)

install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

configure() {
  if [ -f "$build/build.ninja" ]; then
    meson setup --reconfigure "$build" "$top" "$@" >/dev/null
  else
    meson setup "$build" "$top" "$@" >/dev/null
  fi
  ninja -C "$build"
}

case "${1:-}" in
  run)
    install_missing "${build_deps[@]}"
    configure
    exec dbus-run-session -- "$here/tour.sh" "$build/virtbusd"
    ;;
  test)
    install_missing "${build_deps[@]}" "${test_deps[@]}"
    configure -Dwerror=true
    exec "$here/run-tests.sh" "$build"
    ;;
  bench)
    shift
    install_missing "${build_deps[@]}" "${bench_deps[@]}"
    configure
    exec /usr/bin/python3 "$top/bench/run.py" --build "$build" "$@"
    ;;
  *)
    echo "usage: $0 run|test|bench [--quick]" >&2
    exit 2
    ;;
esac
