"""libvirtbus from GJS (GI typelib from the build tree): the script lists
the domains, stops and starts the test domain and defines a new one while
watching the list and the domain's notify::active; the daemon is checked
over D-Bus afterwards."""
import os
import shutil

import pytest

from conftest import TEST_PATH
from test_client_python import run_script

DOM_PATH = TEST_PATH + "/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"


def test_client_gjs(virtbus):
    gjs = shutil.which("gjs")
    if gjs is None:
        pytest.fail("gjs is needed (build-aux/setup.sh installs it)")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "client_gjs_script.js")
    seen = run_script(virtbus, [gjs, script, "test:///default"])
    assert seen["domains"] == [["test", True]]
    assert seen["active_after_destroy"] is False
    is_failed, message = seen["suspend_error"]
    assert is_failed and message == "domain 'test' is not running"
    assert seen["active_after_start"] is True
    assert [e[1] for e in seen["events"] if e[0] == "active"] == [False, True]
    assert seen["defined"] == "gjs1" and seen["n_items"] == 2
    assert [e[1:] for e in seen["events"] if e[0] == "items-changed"] == [[1, 0, 1]]
    assert virtbus.call(DOM_PATH, "org.libvirt.Domain", "GetState", "u", 0)[0][0] == 1
    path = virtbus.call1(TEST_PATH, "org.libvirt.Connect", "DomainLookupByName", "s", "gjs1")
    assert path in virtbus.managed_objects()
