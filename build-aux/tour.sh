#!/usr/bin/env bash
# The main job: virtbusd with the embedded test backend on this (private)
# session bus, and a short scripted tour of calls through gdbus.
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
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

run gdbus call --session -d org.libvirt -o $T -m org.libvirt.Connect.ListDomains 0
dom=$(gdbus call --session -d org.libvirt -o $T -m org.libvirt.Connect.DomainLookupByName test | sed -E "s/^\(objectpath '([^']+)',\)$/\1/")
run gdbus call --session -d org.libvirt -o "$dom" -m org.freedesktop.DBus.Properties.GetAll org.libvirt.Domain
run gdbus call --session -d org.libvirt -o "$dom" -m org.libvirt.Domain.GetState 0
run gdbus call --session -d org.libvirt -o "$dom" -m org.libvirt.Domain.Suspend
run gdbus call --session -d org.libvirt -o "$dom" -m org.libvirt.Domain.GetState 0
run gdbus call --session -d org.libvirt -o "$dom" -m org.libvirt.Domain.Resume
say "gdbus call ... org.libvirt.Domain.GetXMLDesc 0"
gdbus call --session -d org.libvirt -o "$dom" -m org.libvirt.Domain.GetXMLDesc 0 | sed -e "s/^('//" -e "s/',)$//" -e 's/\\n/\n/g'
run gdbus call --session -d org.libvirt -o $T -m org.libvirt.Connect.ListNetworks 0
run gdbus call --session -d org.libvirt -o $T -m org.libvirt.Connect.ListStoragePools 0
say "a bad call gets a clear error:"
gdbus call --session -d org.libvirt -o $T -m org.libvirt.Connect.DomainDefineXML "<domain type='test'><name>x</name><memory>1024</memory><os><type>hvm</type></os><bogus/></domain>" || true
say "gdbus introspect --session -d org.libvirt -o /org/libvirt --recurse (object tree)"
gdbus introspect --session -d org.libvirt -o /org/libvirt --recurse | grep -E '^ *node /' 
