"""libvirtbus through PyGObject (GI typelib from the build tree): async
client creation, the live domain list, stop/start seen as notify::active,
define/undefine seen as items-changed, and errors in the Virtbus.Error
domain."""
import json
import os
import subprocess

from conftest import TEST_PATH, build_root, sanitizer_client_env

DOM_PATH = TEST_PATH + "/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"


def gi_env(virtbus):
    env = dict(os.environ)
    lib = os.path.join(build_root(), "introspection")
    env["GI_TYPELIB_PATH"] = lib + os.pathsep + env.get("GI_TYPELIB_PATH", "")
    env["LD_LIBRARY_PATH"] = lib + os.pathsep + env.get("LD_LIBRARY_PATH", "")
    env["DBUS_SESSION_BUS_ADDRESS"] = virtbus.bus.address
    return sanitizer_client_env(env)  # ASan pass: preload clang's ASan runtime


def run_script(virtbus, cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, env=gi_env(virtbus), timeout=60)
    assert r.returncode == 0, r.stderr
    assert "CRITICAL" not in r.stderr and "Warning" not in r.stderr, r.stderr
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    merged = {}
    for l in lines:
        merged.update(l)
    assert "error" not in merged and "timeout" not in merged, merged
    return merged


def check(virtbus, seen):
    assert seen["domains"] == [["test", True, "6695eb01-f6a4-8304-79aa-97f2502e193f"]]
    domain, is_failed, message = seen["start_error"]
    assert domain == "virtbus-error-quark" and is_failed
    assert message == "domain 'test' is already active"
    assert seen["active_after_destroy"] is False
    assert seen["state"] == 5
    assert seen["active_after_start"] is True
    # notify::active fired for the stop and for the start, in order
    actives = [e[1] for e in seen["events"] if e[0] == "active"]
    assert actives[:2] == [False, True], seen["events"]
    assert seen["defined"] == "py1" and seen["n_items"] == 2
    changes = [e[1:] for e in seen["events"] if e[0] == "items-changed"]
    assert changes == [[1, 0, 1], [1, 1, 0]], seen["events"]
    assert seen["final"] == ["test"]
    # and the daemon agrees
    assert virtbus.call(DOM_PATH, "org.libvirt.Domain", "GetState", "u", 0)[0][0] == 1


def test_client_python(virtbus):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "client_python_script.py")
    seen = run_script(virtbus, ["/usr/bin/python3", script, "test:///default"])
    check(virtbus, seen)
