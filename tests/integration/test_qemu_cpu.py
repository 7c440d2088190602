"""CPU models on qemu://: the host CPU in GetCapabilities, host-model and
usable models in GetDomainCapabilities, Connect.CompareCPU and
Connect.BaselineCPU, and guests started with <cpu mode='host-model'>.

The oracle is QEMU itself (asked here, apart from the daemon, what each
model has: query-cpu-model-expansion) and the host's /proc/cpuinfo."""
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

import guest
from test_qemu_lifecycle import BOOT_TIMEOUT, CONNECT, QEMU_PATH, qemu  # noqa: F401
from test_schemas import validate

pytestmark = pytest.mark.skipif(guest.missing_requirements() is not None,
                                reason=str(guest.missing_requirements()))

ERR = "org.libvirt.Error"
# virCPUCompareResult, virConnectCompareCPUFlags, virConnectBaselineCPUFlags
INCOMPATIBLE, IDENTICAL, SUPERSET = 0, 1, 2
FAIL_INCOMPATIBLE, VALIDATE_XML = 1, 2
EXPAND_FEATURES, MIGRATABLE = 1, 2
# libvirt's spelling → QEMU's, where more than - _ . differ
ALIASES = {"pclmuldq": "pclmulqdq", "tsc_deadline_timer": "tsc-deadline", "nonstop_tsc": "invtsc"}
# What QEMU's models set that no host CPU flag shows (not compared)
UNSHOWN = re.compile(r"^(vmx-.*|kvm.*|hypervisor|.*-no|ibrs-all|skip-l1dfl-vmentry|tsx-ctrl|fb-clear|rrsba|rsba|"
                     r"spec-ctrl|ssbd|virt-ssbd|amd-ssbd|amd-stibp|stibp|ibpb|ibrs|core-capability|"
                     r"split-lock-detect|full-width-write|pdcm|xtpr|x2apic|tsc-deadline)$")


def norm(name):
    name = ALIASES.get(name, name)
    return re.sub(r"[-_.]", "", name).lower()


def host_cpuinfo():
    with open("/proc/cpuinfo") as f:
        text = f.read()
    vendor = re.search(r"^vendor_id\s*:\s*(\S+)", text, re.M).group(1)
    flags = re.search(r"^flags\s*:(.*)$", text, re.M).group(1).split()
    return {"GenuineIntel": "Intel", "AuthenticAMD": "AMD"}.get(vendor, vendor), {norm(f) for f in flags}


def qemu_ask(commands):
    """Replies (by id) of a QEMU with -machine none under TCG to @commands."""
    script = '{"execute":"qmp_capabilities"}\n'
    for i, (cmd, args) in enumerate(commands):
        script += json.dumps({"execute": cmd, "arguments": args, "id": i}) + "\n"
    script += '{"execute":"quit"}\n'
    out = subprocess.run([guest.QEMU, "-S", "-nodefaults", "-display", "none", "-machine", "none,accel=tcg",
                          "-qmp", "stdio"], input=script, capture_output=True, text=True, timeout=60).stdout
    replies = {}
    for line in out.splitlines():
        msg = json.loads(line)
        if "id" in msg:
            replies[msg["id"]] = msg
    return [replies[i] for i in range(len(commands))]


def model_features(*models):
    """model → the set of (normalised) features QEMU gives it, compared ones only."""
    replies = qemu_ask([("query-cpu-model-expansion", {"type": "static", "model": {"name": m}}) for m in models])
    out = {}
    for m, r in zip(models, replies):
        props = r["return"]["model"]["props"]
        out[m] = {norm(k) for k, v in props.items() if v is True and not UNSHOWN.match(k)}
    return out


def cpu_of(xml, path):
    el = ET.fromstring(xml).find(path)
    assert el is not None, xml
    return el


def features_of(el, policy=None):
    return sorted(f.get("name") for f in el.findall("feature") if policy is None or f.get("policy") == policy)


def host_cpu(qemu):
    caps = qemu.connect("GetCapabilities")
    validate(caps, "capability.rng")
    return caps, cpu_of(caps, "host/cpu")


def test_host_cpu_is_a_model_and_the_host_features_beyond_it(qemu):
    vendor, flags = host_cpuinfo()
    caps, cpu = host_cpu(qemu)
    model = cpu.findtext("model")
    assert cpu.findtext("vendor") == vendor
    assert model in qemu.connect("GetCPUModelNames", "su", "x86_64", 0)
    # Every feature of the model and every one listed: the host has it.
    listed = {norm(f) for f in features_of(cpu)}
    mine = model_features(model)[model]
    assert mine <= flags, "model %s has what the host lacks: %r" % (model, mine - flags)
    assert listed <= flags, listed - flags
    assert not (listed & mine), "features listed although the model has them: %r" % (listed & mine)
    assert "pni" in mine | listed and "sse2" in mine | listed
    # The host's own description compares as identical.
    host_xml = ET.tostring(cpu, encoding="unicode")
    assert qemu.connect("CompareCPU", "su", host_xml, 0) == IDENTICAL
    assert qemu.connect("CompareCPU", "su", host_xml, FAIL_INCOMPATIBLE | VALIDATE_XML) == IDENTICAL


def lacking_feature(flags):
    """A feature QEMU knows that this host does not have."""
    for name in ("amx-tile", "avx512-fp16", "sgx", "pks", "avx512-4vnniw", "xop", "fma4"):
        if norm(name) not in flags:
            return name
    pytest.skip("the host has every feature this test would require")


def test_compare_cpu(qemu):
    vendor, flags = host_cpuinfo()
    _, cpu = host_cpu(qemu)
    model = cpu.findtext("model")
    lacking = lacking_feature(flags)
    other_vendor = "Intel" if vendor != "Intel" else "AMD"

    def compare(xml, flags=0):
        return qemu.connect("CompareCPU", "su", xml, flags)

    def refused(xml, flags, message):
        name, msg = qemu.vb.error(QEMU_PATH, CONNECT, "CompareCPU", "su", xml, flags)
        assert name == ERR and message in msg, msg

    # The oldest model: the host has more.
    assert compare("<cpu><model>486</model></cpu>") == SUPERSET
    assert compare("<cpu match='minimum'><model>%s</model></cpu>" % model) in (IDENTICAL, SUPERSET)
    assert compare("<cpu mode='host-passthrough'/>") == IDENTICAL
    assert compare("<cpu mode='host-model'/>") == IDENTICAL
    # A feature the host lacks, in either spelling.
    needs = "<cpu><model>%s</model><feature policy='require' name='%s'/></cpu>" % (model, lacking)
    assert compare(needs) == INCOMPATIBLE
    refused(needs, FAIL_INCOMPATIBLE, "host CPU does not provide required feature: %s" % lacking)
    refused(needs.replace(lacking, lacking.replace("-", "_")), FAIL_INCOMPATIBLE, lacking)
    # ... unless only optional, or disabled.
    assert compare(needs.replace("require", "optional")) in (IDENTICAL, SUPERSET)
    assert compare(needs.replace("require", "disable")) in (IDENTICAL, SUPERSET)
    # A forbidden one it has.
    forbids = "<cpu><model>486</model><feature policy='forbid' name='sse2'/></cpu>"
    assert compare(forbids) == INCOMPATIBLE
    refused(forbids, FAIL_INCOMPATIBLE, "host CPU provides forbidden feature: sse2")
    # strict: the host may not have more.
    assert compare("<cpu match='strict'><model>486</model></cpu>") == INCOMPATIBLE
    refused("<cpu match='strict'><model>486</model></cpu>", FAIL_INCOMPATIBLE,
            "host CPU provides features the strict CPU definition does not have")
    # Vendor and architecture.
    assert compare("<cpu><arch>x86_64</arch><model>486</model><vendor>%s</vendor></cpu>" % vendor) == SUPERSET
    refused("<cpu><arch>x86_64</arch><model>486</model><vendor>%s</vendor></cpu>" % other_vendor,
            FAIL_INCOMPATIBLE, "does not match required CPU vendor %s" % other_vendor)
    assert compare("<cpu><arch>aarch64</arch><model>cortex-a57</model></cpu>") == INCOMPATIBLE
    # A host CPU's features in libvirt's spelling (pclmuldq, lahf_lm) are known.
    assert compare("<cpu><arch>x86_64</arch><model>486</model><feature name='sse2'/></cpu>") == SUPERSET

    # Bad input: errors naming what is wrong.
    refused("<cpu><model>NoSuchModel</model></cpu>", 0, "unknown CPU model NoSuchModel")
    refused("<cpu><model>486</model><feature policy='require' name='warp-drive'/></cpu>", 0,
            "unknown CPU feature warp-drive")
    refused("<cpu><model>486</model><feature policy='maybe' name='sse2'/></cpu>", 0, "maybe")
    refused("<cpu><model>486</model><feature name='sse2'/><feature name='sse2'/></cpu>", 0, "listed twice")
    refused("<cpu><arch>x86_64</arch><model>486</model><feature policy='require' name='sse2'/></cpu>", 0,
            "have no policy")
    refused("<cpu><model>486</model>", 0, "")
    refused("<domain/>", 0, "cpu")
    refused("", 0, "no CPU definition")
    refused("<cpu mode='custom'/>", 0, "neither a model nor features")
    refused("<cpu><model>486</model></cpu>", 4, "flags")
    # Elements the schema does not have: refused only when validating.
    assert compare("<cpu><model>486</model><bogus/></cpu>") == SUPERSET
    refused("<cpu><model>486</model><bogus/></cpu>", VALIDATE_XML, "bogus")


def test_baseline_cpu(qemu):
    vendor, flags = host_cpuinfo()
    _, cpu = host_cpu(qemu)
    host_xml = ET.tostring(cpu, encoding="unicode")
    names = qemu.connect("GetCPUModelNames", "su", "x86_64", 0)

    def baseline(cpus, flags=0):
        xml = qemu.connect("BaselineCPU", "asu", cpus, flags)
        validate("<domain type='qemu'><name>b</name><memory>1</memory><os><type>hvm</type></os>%s</domain>" % xml,
                 "domain.rng")
        el = ET.fromstring(xml)
        assert el.tag == "cpu" and el.get("mode") == "custom" and el.get("match") == "exact", xml
        assert el.find("model").get("fallback") == "forbid"
        assert el.findtext("model") in names
        return el

    # Of the host alone: what the host has, all of it.
    one = baseline([host_xml])
    assert one.findtext("vendor") == vendor
    got = {norm(f) for f in features_of(one, "require")} | model_features(one.findtext("model"))[one.findtext("model")]
    assert got <= flags
    assert qemu.connect("CompareCPU", "su", ET.tostring(one, encoding="unicode"), 0) in (IDENTICAL, SUPERSET)

    # With an older CPU: only what both have.
    nehalem = model_features("Nehalem")["Nehalem"]
    older = "<cpu><arch>x86_64</arch><model>Nehalem</model><vendor>%s</vendor></cpu>" % vendor
    two = baseline([host_xml, older])
    model = two.findtext("model")
    both = {norm(f) for f in features_of(two, "require")} | model_features(model)[model]
    assert both <= nehalem and both <= flags, (both - nehalem, both - flags)
    # Nehalem's own features the host has are all there.
    assert both == nehalem & flags
    # EXPAND_FEATURES: every feature listed, the model's too.
    expanded = baseline([host_xml, older], EXPAND_FEATURES)
    assert expanded.findtext("model") == model
    assert {norm(f) for f in features_of(expanded, "require")} == both
    # MIGRATABLE: no invariant TSC.
    with_invtsc = "<cpu><arch>x86_64</arch><model>Nehalem</model><vendor>%s</vendor><feature name='invtsc'/></cpu>"
    kept = baseline([with_invtsc % vendor], EXPAND_FEATURES)
    assert "invtsc" in features_of(kept)
    dropped = baseline([with_invtsc % vendor], EXPAND_FEATURES | MIGRATABLE)
    assert "invtsc" not in features_of(dropped)

    def refused(cpus, flags, message):
        name, msg = qemu.vb.error(QEMU_PATH, CONNECT, "BaselineCPU", "asu", cpus, flags)
        assert name == ERR and message in msg, msg

    other_vendor = "Intel" if vendor != "Intel" else "AMD"
    refused([], 0, "no CPU definitions")
    refused([host_xml, older.replace(vendor, other_vendor)], 0, "CPU vendors do not match")
    refused(["<cpu><model>Nehalem</model></cpu>"], 0, "CPU 1: missing CPU architecture")
    refused([host_xml, "<cpu><arch>x86_64</arch><model>Bogus</model></cpu>"], 0, "CPU 2: unknown CPU model Bogus")
    refused(["<cpu><arch>aarch64</arch><model>cortex-a57</model></cpu>"], 0, "not x86")
    refused([host_xml, "<cpu><arch>x86_64</arch><model>Nehalem"], 0, "CPU 2")
    refused([host_xml], 4, "flags")


def test_domain_capabilities_host_model_and_usable_models(qemu):
    vendor, flags = host_cpuinfo()
    doc = qemu.connect("GetDomainCapabilities", "ssssu", "", "", "", "qemu", 0)
    validate(doc, "domaincaps.rng")
    tree = ET.fromstring(doc)
    host_model = tree.find("cpu/mode[@name='host-model']")
    assert host_model.get("supported") == "yes"
    model = host_model.findtext("model")
    assert host_model.find("model").get("fallback") == "forbid"
    assert host_model.findtext("vendor") == vendor
    # What TCG can give a guest (QEMU's "max" under TCG) of what the host has.
    tcg = model_features("max", model)
    wanted = tcg["max"] & flags
    required = {norm(f) for f in features_of(host_model, "require")}
    disabled = {norm(f) for f in features_of(host_model, "disable")}
    assert (tcg[model] - disabled) | required == wanted
    assert not (required & disabled)

    # usable='yes' exactly for the models QEMU's TCG runs with all features.
    custom = tree.find("cpu/mode[@name='custom']")
    defs = qemu_ask([("query-cpu-definitions", {})])[0]["return"]
    unusable = {d["name"] for d in defs if d.get("unavailable-features")}
    seen = 0
    for m in custom.findall("model"):
        assert m.get("usable") == ("no" if m.text in unusable else "yes"), (m.text, m.get("usable"))
        seen += 1
    assert seen > 20
    vendors = {m.text: m.get("vendor") for m in custom.findall("model")}
    assert vendors["Nehalem"] == "Intel" and vendors["EPYC"] == "AMD"


def test_guest_with_host_model(qemu):
    doc = qemu.connect("GetDomainCapabilities", "ssssu", "", "", "", "qemu", 0)
    host_model = ET.fromstring(doc).find("cpu/mode[@name='host-model']")
    model = host_model.findtext("model")
    required = set(features_of(host_model, "require"))
    disabled = set(features_of(host_model, "disable"))
    # The guest's own feature goes on top: sse4.2 taken away.
    xml = guest.domain_xml("hostmodel").replace(
        "</features>", "</features>\n  <cpu mode='host-model'><feature policy='disable' name='sse4.2'/></cpu>")
    path = qemu.connect("DomainDefineXML", "s", xml)
    qemu.start(path)
    con = qemu.console(path)
    con.wait_ready(BOOT_TIMEOUT)

    live = qemu.vb.call1(path, "org.libvirt.Domain", "GetXMLDesc", "u", 0)
    validate(live, "domain.rng")
    cpu = cpu_of(live, "cpu")
    assert (cpu.get("mode"), cpu.get("match"), cpu.get("check")) == ("custom", "exact", "full"), live
    assert cpu.findtext("model") == model and cpu.find("model").get("fallback") == "forbid"
    live_required = set(features_of(cpu, "require"))
    live_disabled = set(features_of(cpu, "disable"))
    assert "sse4.2" in live_disabled and "sse4.2" not in live_required
    assert live_required == required - {"sse4.2"}
    assert live_disabled - {"sse4.2"} == disabled
    # The definition keeps host-model.
    inactive = qemu.vb.call1(path, "org.libvirt.Domain", "GetXMLDesc", "u", 2)
    assert cpu_of(inactive, "cpu").get("mode") == "host-model"

    # QEMU runs that model with those features.
    with open("/proc/%d/cmdline" % qemu.pid("hostmodel"), "rb") as f:
        argv = f.read().decode().split("\0")
    cpu_arg = argv[argv.index("-cpu") + 1].split(",")
    assert cpu_arg[0] == model
    assert "-sse4.2" in cpu_arg
    assert {a[1:] for a in cpu_arg if a.startswith("+")} >= {ALIASES.get(f, f) for f in live_required} - {"pclmuldq"}

    # The guest sees it: no SSE4.2, and what its kernel shows of the rest.
    _, out = con.run("cat /proc/cpuinfo")
    guest_flags = {norm(f) for f in re.search(r"^flags\s*:(.*)$", out, re.M).group(1).split()}
    assert "sse42" not in guest_flags
    # Of the features the guest's kernel shows as they are (it makes some up,
    # such as 3dnowprefetch on any 64-bit AMD CPU): required there, disabled not.
    plain = {"avx", "avx2", "aes", "xsave", "popcnt", "bmi1", "bmi2", "erms", "umip", "vaes", "clwb", "sha-ni",
             "rdseed", "xsavec", "svm", "monitor", "sse4a", "adx", "smap", "smep"}
    for f in live_required & plain:
        assert norm(f) in guest_flags, f
    for f in live_disabled & plain:
        assert norm(f) not in guest_flags, f
    assert live_required & plain and live_disabled & plain
    con.close()
    qemu.vb.call(path, "org.libvirt.Domain", "Destroy", "u", 0)
    # No complaint of QEMU about features TCG cannot give.
    with open(os.path.join(qemu.root, "state", "virtbus", "qemu", "log", "hostmodel.log")) as f:
        log = f.read()
    assert "-cpu %s," % model in log and "support requested feature" not in log, log


def test_virtbusctl_cpu_commands(qemu, tmp_path):
    from test_virtbusctl import run

    def ctl(*args):
        return run(qemu.vb, "-c", "qemu:///session", *args)

    vendor, flags = host_cpuinfo()
    r = ctl("cpu-models", "x86_64")
    assert r.returncode == 0 and "Nehalem" in r.stdout.split(), r.stderr
    r = ctl("domcapabilities", "--virttype", "qemu", "--machine", "q35")
    assert r.returncode == 0 and "<machine>pc-q35-" in r.stdout and "host-model' supported='yes'" in r.stdout
    # The capabilities as they are: their host <cpu> is compared, and a
    # domain's <cpu> (not its <cputune>).
    caps = tmp_path / "caps.xml"
    caps.write_text(qemu.connect("GetCapabilities"))
    r = ctl("cpu-compare", str(caps))
    assert r.returncode == 0 and "identical" in r.stdout, (r.stdout, r.stderr)
    dom = tmp_path / "dom.xml"
    dom.write_text("<domain><cputune/><cpu match='exact'><model>486</model></cpu></domain>")
    r = ctl("cpu-compare", str(dom))
    assert r.returncode == 0 and "superset" in r.stdout, (r.stdout, r.stderr)
    r = ctl("--json", "cpu-compare", str(dom))
    assert json.loads(r.stdout) == {"result": "superset"}
    bad = tmp_path / "bad.xml"
    bad.write_text("<cpu><model>486</model><feature policy='require' name='%s'/></cpu>" % lacking_feature(flags))
    r = ctl("cpu-compare", str(bad))
    assert r.returncode != 0 and "incompatible" in r.stdout
    r = ctl("cpu-compare", str(bad), "--error")
    assert r.returncode != 0 and "does not provide required feature" in r.stderr
    r = ctl("cpu-compare", str(tmp_path / "missing.xml"))
    assert r.returncode != 0 and "missing.xml" in r.stderr
    # Two host CPUs one after the other.
    both = tmp_path / "both.xml"
    both.write_text(ET.tostring(cpu_of(caps.read_text(), "host/cpu"), encoding="unicode")
                    + "<cpu><arch>x86_64</arch><model>Nehalem</model><vendor>%s</vendor></cpu>" % vendor)
    r = ctl("cpu-baseline", str(both), "--features")
    assert r.returncode == 0, r.stderr
    el = ET.fromstring(r.stdout)
    assert {norm(f) for f in features_of(el)} <= model_features("Nehalem")["Nehalem"]
    r = ctl("cpu-baseline", str(dom))
    assert r.returncode != 0 and "missing CPU architecture" in r.stderr
