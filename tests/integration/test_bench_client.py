"""bench/vb-bench-call: the benchmarks' lean client (sd-bus), against virtbusd's test driver.

The benchmark's figures are only as good as this client: it must make the
calls it is asked for, read every value of each reply and time each call.
"""
import os
import subprocess
import time

import pytest
from gi.repository import GLib

from conftest import build_root

CLIENT = os.path.join(build_root(), "bench", "vb-bench-call")
TEST_PATH = "/org/libvirt/Test"
CONNECT = "org.libvirt.Connect"
DOMAIN = "org.libvirt.Domain"

pytestmark = pytest.mark.skipif(not os.access(CLIENT, os.X_OK),
                                reason="bench/vb-bench-call not built: libsystemd-dev (sd-bus) is not installed")


def basic_values(v):
    """The number of basic values in the GVariant @v (what the client reads)."""
    if v.is_container():
        return sum(basic_values(v.get_child_value(i)) for i in range(v.n_children()))
    return 1


def run(bus, *args, count=None, check=True):
    argv = [CLIENT, "--address", bus.address] + (["--count", str(count)] if count else []) + list(args)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def samples(p):
    lines = p.stdout.splitlines()
    assert lines[0].startswith("items ")
    return int(lines[0].split()[1]), [float(x) for x in lines[1:]]


def define(virtbus, n):
    for i in range(n):
        virtbus.connect_call("DomainDefineXML", "s",
                             "<domain type='test'><name>bench%03d</name><memory>8192</memory>"
                             "<os><type>hvm</type></os></domain>" % i)


def test_reads_every_value_of_each_reply(virtbus):
    define(virtbus, 150)
    paths = virtbus.connect_call("ListDomains", "u", 0)
    assert len(paths) == 151
    items, took = samples(run(virtbus.bus, "org.libvirt", TEST_PATH, CONNECT, "ListDomains", "u", "0", count=5))
    assert items == len(paths)
    assert len(took) == 5 and all(t > 0 for t in took)

    # A dictionary of variants: every key and every value inside counted.
    one = paths[0]
    props = virtbus.bus.connection.call_sync("org.libvirt", one, "org.freedesktop.DBus.Properties", "GetAll",
                                             GLib.Variant("(s)", (DOMAIN,)), None, 0, 10000, None)
    items, took = samples(run(virtbus.bus, "org.libvirt", one, "org.freedesktop.DBus.Properties", "GetAll",
                              "s", DOMAIN, count=3))
    assert items == basic_values(props) > 2 * len(props[0])
    assert len(took) == 3

    # Arguments of several basic types reach the service as given.
    items, _ = samples(run(virtbus.bus, "org.libvirt", TEST_PATH, CONNECT, "DomainLookupByName", "s", "bench007"))
    assert items == 1
    items, _ = samples(run(virtbus.bus, "org.libvirt", one, DOMAIN, "GetXMLDesc", "u", "0"))
    assert items == 1

    # Ping to the bus itself (the floor) and to the service: empty replies.
    items, took = samples(run(virtbus.bus, "org.freedesktop.DBus", "/", "org.freedesktop.DBus.Peer", "Ping",
                              count=10))
    assert items == 0 and len(took) == 10
    items, took = samples(run(virtbus.bus, "org.libvirt", "/", "org.freedesktop.DBus.Peer", "Ping", count=2))
    assert items == 0 and len(took) == 2


def test_errors_are_reported_not_timed(virtbus):
    # The service's error: exit 1 with its name and message, no samples.
    p = run(virtbus.bus, "org.libvirt", TEST_PATH, CONNECT, "DomainLookupByName", "s", "nosuch", check=False)
    assert p.returncode == 1 and p.stdout == ""
    assert "org.libvirt.Error" in p.stderr and "nosuch" in p.stderr
    # Wrong argument types: the service refuses them.
    p = run(virtbus.bus, "org.libvirt", TEST_PATH, CONNECT, "ListDomains", "s", "0", check=False)
    assert p.returncode == 1 and "InvalidArgs" in p.stderr
    # Arguments the client cannot make, or a signature that does not fit them: usage errors.
    for args in (("u", "-"), ("u", "1x"), ("u", "-1"), ("u", "4294967296"), ("y", "256"), ("i", "2147483648"),
                 ("n", "-32769"), ("d", "x"), ("b", "maybe"), ("su", "x"), ("a", "x"), ("u",)):
        p = run(virtbus.bus, "org.libvirt", TEST_PATH, CONNECT, "ListDomains", *args, check=False)
        assert p.returncode == 2, (args, p.stderr)
    for opts in (["--count", "0"], ["--count", "x"], ["--worker", "-1"], ["--nosuch", "1"], ["--count"]):
        p = subprocess.run([CLIENT, "--address", virtbus.bus.address] + opts + ["org.libvirt", "/", "x.y", "Z"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        assert p.returncode == 2 and "usage" in p.stderr, opts
    # In range, a number goes through (the service answers, here with its error for a wrong signature).
    p = run(virtbus.bus, "org.libvirt", TEST_PATH, CONNECT, "ListDomains", "y", "255", check=False)
    assert p.returncode == 1 and "InvalidArgs" in p.stderr
    p = subprocess.run([CLIENT, "--address", "unix:path=/nonexistent/bus", "org.libvirt", "/", "x.y", "Z"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert p.returncode == 1 and "connecting to the bus" in p.stderr


def test_worker_mode_calls_from_the_start_time_on(virtbus):
    define(virtbus, 20)
    p = subprocess.Popen([CLIENT, "--address", virtbus.bus.address, "--worker", "0.5", "org.libvirt", TEST_PATH,
                          CONNECT, "ListDomains", "u", "0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "ready\n"
        start = time.time() + 0.3
        p.stdin.write("%r\n" % start)
        p.stdin.flush()
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    # It waited for the start time, then ran for its half second.
    assert time.time() >= start + 0.5
    assert float(out) > 10
