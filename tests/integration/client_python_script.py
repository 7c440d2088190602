"""Run by test_client_python.py with GI_TYPELIB_PATH/LD_LIBRARY_PATH set to
the build tree: drives libvirtbus through PyGObject, asynchronously, and
prints what it saw as JSON lines for the test to check."""
import json
import sys

import gi
gi.require_version("Virtbus", "1.0")
from gi.repository import GLib, Virtbus  # noqa: E402

loop = GLib.MainLoop()
events = []
state = {}


def out(**kw):
    print(json.dumps(kw), flush=True)


def fail(err):
    out(error=[err.domain, err.code, err.message])
    loop.quit()


def step_define(client, domains):
    def on_defined(c, res):
        try:
            dom = c.define_domain_finish(res)
        except GLib.Error as e:
            return fail(e)
        out(defined=dom.props.name, n_items=domains.get_n_items())

        def on_undefined(d, res2):
            d.undefine_finish(res2)
            GLib.timeout_add(200, finish, domains)
        dom.undefine_async(None, on_undefined)
    client.define_domain_async("<domain type='test'><name>py1</name><memory>1024</memory>"
                               "<os><type>hvm</type></os></domain>", None, on_defined)


def finish(domains):
    out(events=events, final=[d.props.name for d in domains])
    loop.quit()
    return False


def on_client(source, res):
    try:
        client = Virtbus.Client.new_for_uri_finish(res)
    except GLib.Error as e:
        return fail(e)
    state["client"] = client
    domains = client.get_domains()
    out(domains=[(d.props.name, d.props.active, d.props.uuid) for d in domains])
    domains.connect("items-changed", lambda m, pos, rem, add: events.append(["items-changed", pos, rem, add]))
    dom = client.find_domain("test")
    dom.connect("notify::active", lambda d, p: events.append(["active", d.props.active]))

    def on_error_start(d, res):
        try:
            d.start_finish(res)
            out(unexpected="start of a running domain succeeded")
        except GLib.Error as e:
            out(start_error=[e.domain, e.code == Virtbus.Error.FAILED, e.message])

        def on_destroyed(d2, res2):
            d2.destroy_finish(res2)
            state["after_destroy"] = True

            def after_notify():
                out(active_after_destroy=d2.props.active,
                    state=int(d2.get_state_sync(None)[0]))

                def on_started(d3, res3):
                    d3.start_finish(res3)

                    def after_start():
                        out(active_after_start=d3.props.active)
                        step_define(client, domains)
                        return False
                    GLib.timeout_add(200, after_start)
                d2.start_async(None, on_started)
                return False
            GLib.timeout_add(200, after_notify)
        d.destroy_async(None, on_destroyed)
    dom.start_async(None, on_error_start)


Virtbus.Client.new_for_uri_async(sys.argv[1], None, on_client)
GLib.timeout_add_seconds(20, lambda: (out(timeout=True), loop.quit()))
loop.run()
