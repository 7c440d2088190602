"""Host queries of org.libvirt.Connect against the test backend, which answers
like libvirt's test:///default driver."""
import socket
import xml.etree.ElementTree as ET

from gi.repository import GLib

from conftest import TEST_PATH

CONNECT = "org.libvirt.Connect"
LIBVIRT_ERROR = "org.libvirt.Error"

# virCPUCompareResult
INCOMPATIBLE, IDENTICAL, SUPERSET = 0, 1, 2

HOST_CPU = """<cpu>
  <arch>i686</arch>
  <feature name='pae'/>
  <feature name='nonpae'/>
</cpu>"""

CORE2DUO = """<cpu>
  <arch>x86_64</arch>
  <model>core2duo</model>
  <vendor>Intel</vendor>
  <feature name='vmx'/>
  <feature name='ssse3'/>
</cpu>"""

PENRYN = """<cpu>
  <arch>x86_64</arch>
  <model>Penryn</model>
  <vendor>Intel</vendor>
  <feature name='vmx'/>
</cpu>"""


def test_connect_properties(virtbus):
    props = virtbus.properties(TEST_PATH, CONNECT)
    assert props["Version"] == 2
    assert props["Hostname"] == socket.gethostname()


def test_capabilities(virtbus):
    caps = ET.fromstring(virtbus.connect_call("GetCapabilities"))
    host = caps.find("host")
    assert host.findtext("cpu/arch") == "i686"
    assert [f.tag for f in host.find("cpu/features")] == ["pae", "nonpae"]
    assert [p.get("size") for p in host.findall("cpu/pages")] == ["4", "8", "2048", "1048576"]
    cells = host.findall("topology/cells/cell")
    assert [c.findtext("memory") for c in cells] == ["2097152", "4194304"]
    cpus = host.findall("topology/cells/cell/cpus/cpu")
    assert [c.get("id") for c in cpus] == [str(i) for i in range(16)]
    assert cpus[9].get("socket_id") == "1" and cpus[9].get("core_id") == "1"
    assert host.findtext("secmodel/model") == "testSecurity"
    assert host.find("iommu").get("support") == "no"
    guests = caps.findall("guest")
    assert [g.findtext("os_type") for g in guests] == ["hvm", "xen"]
    for g in guests:
        assert g.find("arch").get("name") == "i686"
        assert g.findtext("arch/wordsize") == "32"
        assert g.findtext("arch/emulator") == "/usr/bin/test-hv"
        assert g.find("arch/domain").get("type") == "test"


def test_domain_capabilities_not_supported(virtbus):
    name, msg = virtbus.error(TEST_PATH, CONNECT, "GetDomainCapabilities", "ssssu", "", "", "", "", 0)
    assert name == LIBVIRT_ERROR
    assert "not supported" in msg


def test_sysinfo(virtbus):
    si = ET.fromstring(virtbus.connect_call("GetSysinfo", "u", 0))
    assert si.tag == "sysinfo" and si.get("type") == "smbios"
    entries = {e.get("name"): e.text for e in si.findall("bios/entry")}
    assert entries == {"vendor": "LENOVO", "version": "G4ETA1WW (2.61 )", "date": "05/07/2014",
                       "release": "2.61"}
    name, msg = virtbus.error(TEST_PATH, CONNECT, "GetSysinfo", "u", 1)
    assert name == LIBVIRT_ERROR and "flags" in msg


def test_cpu_model_names(virtbus):
    x86 = virtbus.connect_call("GetCPUModelNames", "su", "x86_64", 0)
    assert len(x86) == 58
    assert x86[0] == "486"
    for model in ("qemu64", "Haswell", "Skylake-Server", "EPYC-Milan", "Opteron_G5"):
        assert model in x86
    assert virtbus.connect_call("GetCPUModelNames", "su", "i686", 0) == x86
    assert "POWER9" in virtbus.connect_call("GetCPUModelNames", "su", "ppc64le", 0)
    # every model name is accepted on aarch64
    assert virtbus.connect_call("GetCPUModelNames", "su", "aarch64", 0) == []
    name, msg = virtbus.error(TEST_PATH, CONNECT, "GetCPUModelNames", "su", "foo", 0)
    assert name == LIBVIRT_ERROR and msg == "cannot find architecture foo"
    name, msg = virtbus.error(TEST_PATH, CONNECT, "GetCPUModelNames", "su", "x86_64", 1)
    assert name == LIBVIRT_ERROR and "flags" in msg


def test_node_cpu_map(virtbus):
    # libvirt's test driver: 8 CPUs present, 0, 2 and 4 online (y-y-y---)
    assert virtbus.connect_call("NodeGetCPUMap", "u", 0) == [True, False, True, False, True, False, False, False]
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeGetCPUMap", "u", 1)
    assert name == LIBVIRT_ERROR and "flags" in msg


def test_node_cpu_stats(virtbus):
    expected = {"user": 9797400000, "kernel": 34678723400000, "idle": 87264900000, "iowait": 763600000}
    assert virtbus.connect_call("NodeGetCPUStats", "iu", -1, 0) == expected
    assert virtbus.connect_call("NodeGetCPUStats", "iu", 0, 0) == expected
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeGetCPUStats", "iu", -2, 0)
    assert name == LIBVIRT_ERROR and "-2" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeGetCPUStats", "iu", -1, 1)
    assert name == LIBVIRT_ERROR and "flags" in msg


def test_node_memory_stats(virtbus):
    stats = virtbus.connect_call("NodeGetMemoryStats", "iu", -1, 0)
    assert set(stats) == {"total", "free", "buffers", "cached"}
    assert stats["total"] == 3145728
    assert stats["free"] == 3072
    assert virtbus.connect_call("NodeGetMemoryStats", "iu", 0, 0)["total"] == 2097152
    assert virtbus.connect_call("NodeGetMemoryStats", "iu", 1, 0)["total"] == 4194304
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeGetMemoryStats", "iu", 2, 0)
    assert name == LIBVIRT_ERROR and "cell" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeGetMemoryStats", "iu", -1, 4)
    assert name == LIBVIRT_ERROR and "flags" in msg


def test_node_free_memory_and_security_model(virtbus):
    assert virtbus.connect_call("NodeGetFreeMemory") == 3145728
    assert virtbus.connect_call("NodeGetSecurityModel") == ("testSecurity", "")


def test_node_memory_parameters(virtbus):
    params = virtbus.connect_call("NodeGetMemoryParameters", "u", 0)
    assert params == {"shm_pages_to_scan": 100, "shm_sleep_millisecs": 20, "shm_pages_shared": 0,
                      "shm_pages_sharing": 0, "shm_pages_unshared": 0, "shm_pages_volatile": 0,
                      "shm_full_scans": 0, "shm_merge_across_nodes": 1}
    virtbus.call(TEST_PATH, CONNECT, "NodeSetMemoryParameters", "a{sv}u",
                 {"shm_pages_to_scan": GLib.Variant("u", 250), "shm_merge_across_nodes": GLib.Variant("u", 0)}, 0)
    params = virtbus.connect_call("NodeGetMemoryParameters", "u", 0)
    assert params["shm_pages_to_scan"] == 250
    assert params["shm_merge_across_nodes"] == 0
    assert params["shm_sleep_millisecs"] == 20

    bad = [
        ({"shm_merge_across_nodes": GLib.Variant("u", 2)}, "out of range"),
        ({"shm_pages_to_scan": GLib.Variant("u", 0)}, "out of range"),
        ({"shm_pages_shared": GLib.Variant("t", 5)}, "read-only"),
        ({"no_such_param": GLib.Variant("u", 5)}, "unknown"),
        ({"shm_sleep_millisecs": GLib.Variant("s", "10")}, "unsigned integer"),
        # nothing applies when one entry is bad
        ({"shm_sleep_millisecs": GLib.Variant("u", 99), "shm_pages_to_scan": GLib.Variant("i", -1)}, "integer"),
    ]
    for p, text in bad:
        name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeSetMemoryParameters", "a{sv}u", p, 0)
        assert name == LIBVIRT_ERROR and text in msg, (p, msg)
    params = virtbus.connect_call("NodeGetMemoryParameters", "u", 0)
    assert params["shm_sleep_millisecs"] == 20 and params["shm_pages_to_scan"] == 250
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeSetMemoryParameters", "a{sv}u", {}, 1)
    assert name == LIBVIRT_ERROR and "flags" in msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "NodeGetMemoryParameters", "u", 1)
    assert name == LIBVIRT_ERROR and "flags" in msg


def test_compare_cpu(virtbus):
    assert virtbus.connect_call("CompareCPU", "su", HOST_CPU, 0) == IDENTICAL
    assert virtbus.connect_call("CompareCPU", "su", "<cpu><feature policy='require' name='pae'/></cpu>", 0) \
        == SUPERSET
    assert virtbus.connect_call("CompareCPU", "su", "<cpu mode='host-passthrough'/>", 0) == IDENTICAL
    # the test host CPU has no vmx, no model and is not x86_64
    assert virtbus.connect_call("CompareCPU", "su", "<cpu><feature policy='require' name='vmx'/></cpu>", 0) \
        == INCOMPATIBLE
    assert virtbus.connect_call("CompareCPU", "su", "<cpu><feature policy='forbid' name='pae'/></cpu>", 0) \
        == INCOMPATIBLE
    assert virtbus.connect_call("CompareCPU", "su", CORE2DUO, 0) == INCOMPATIBLE
    # FAIL_INCOMPATIBLE turns the answer into an error that says why
    name, msg = virtbus.error(TEST_PATH, CONNECT, "CompareCPU", "su",
                              "<cpu><feature policy='require' name='vmx'/></cpu>", 1)
    assert name == LIBVIRT_ERROR and "incompatible" in msg and "vmx" in msg
    assert virtbus.connect_call("CompareCPU", "su", HOST_CPU, 3) == IDENTICAL
    name, msg = virtbus.error(TEST_PATH, CONNECT, "CompareCPU", "su", "<cpu", 0)
    assert name == LIBVIRT_ERROR and msg
    name, msg = virtbus.error(TEST_PATH, CONNECT, "CompareCPU", "su", HOST_CPU, 4)
    assert name == LIBVIRT_ERROR and "flags" in msg


def test_baseline_cpu(virtbus):
    out = ET.fromstring(virtbus.connect_call("BaselineCPU", "asu", [CORE2DUO], 0))
    assert out.get("mode") == "custom" and out.get("match") == "exact"
    assert out.findtext("model") == "core2duo" and out.find("model").get("fallback") == "forbid"
    assert out.findtext("vendor") == "Intel"
    assert sorted(f.get("name") for f in out.findall("feature")) == ["ssse3", "vmx"]

    out = ET.fromstring(virtbus.connect_call("BaselineCPU", "asu", [CORE2DUO, PENRYN], 0))
    # two models: the older one, features common to both
    assert out.findtext("model") == "core2duo" and out.find("model").get("fallback") == "allow"
    assert [(f.get("policy"), f.get("name")) for f in out.findall("feature")] == [("require", "vmx")]

    for cpus, text in (([], "no CPU"),
                       (["<cpu><arch>x86_64</arch></cpu>"], "model"),
                       (["<cpu><model>Penryn</model></cpu>"], "architecture"),
                       (["<cpu><arch>x86_64</arch><model>foo</model></cpu>"], "unknown CPU model foo"),
                       (["<cpu mode='custom'><arch>x86_64</arch><model>Penryn</model></cpu>"], "mode"),
                       ([CORE2DUO, CORE2DUO.replace("Intel", "AMD")], "vendors"),
                       ([CORE2DUO, PENRYN.replace("x86_64", "i686")], "incompatible")):
        name, msg = virtbus.error(TEST_PATH, CONNECT, "BaselineCPU", "asu", cpus, 0)
        assert name == LIBVIRT_ERROR and text in msg, (cpus, msg)
    # MIGRATABLE is not supported by the test driver
    name, msg = virtbus.error(TEST_PATH, CONNECT, "BaselineCPU", "asu", [CORE2DUO], 2)
    assert name == LIBVIRT_ERROR and "flags" in msg
