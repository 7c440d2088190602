#!/usr/bin/env bash
# The main job: virtbusd with the embedded test backend on this (private)
# session bus, and a short scripted tour: mostly virtbusctl, plus the raw
# D-Bus calls underneath through gdbus.
set -euo pipefail
virtbusd="$1"
state=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$state"' EXIT

"$virtbusd" --session --root-prefix "$state" &
pid=$!
for _ in $(seq 200); do
  gdbus call --session -d org.freedesktop.DBus -o /org/freedesktop/DBus \
    -m org.freedesktop.DBus.NameHasOwner org.libvirt 2>/dev/null | grep -q true && break
  sleep 0.05
done

T=/org/libvirt/Test
ctl=$(dirname "$virtbusd")/tools/virtbusctl
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }
vc() { say "virtbusctl $*"; "$ctl" "$@"; }

vc list --all
vc dominfo test
vc suspend test
vc domstate test
vc resume test
vc --json list
vc net-list --all
vc pool-list --all
vc vol-create-as default-pool demo.img 1G
vc vol-list default-pool
vc snapshot-create-as test first --description "tour snapshot"
vc snapshot-list test
vc nodedev-list
vc dumpxml test | head -n 12
say "a bad call gets a clear error and a meaningful exit code:"
"$ctl" start test || echo "(exit code $?)"
"$ctl" console test || echo "(exit code $?)"

say "the same through raw D-Bus:"
run gdbus call --session -d org.libvirt -o $T -m org.libvirt.Connect.ListDomains 0
dom=$(gdbus call --session -d org.libvirt -o $T -m org.libvirt.Connect.DomainLookupByName test | sed -E "s/^\(objectpath '([^']+)',\)$/\1/")
run gdbus call --session -d org.libvirt -o "$dom" -m org.freedesktop.DBus.Properties.GetAll org.libvirt.Domain
run gdbus call --session -d org.libvirt -o "$dom" -m org.libvirt.Domain.GetState 0
say "a bad call gets a clear error:"
gdbus call --session -d org.libvirt -o $T -m org.libvirt.Connect.DomainDefineXML '<domain><name>x</name><bogus/></domain>' || true
say "gdbus introspect --session -d org.libvirt -o /org/libvirt --recurse (object tree)"
gdbus introspect --session -d org.libvirt -o /org/libvirt --recurse | grep -E '^ *node /' | head -n 20
