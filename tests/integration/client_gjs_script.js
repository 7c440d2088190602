// Run by test_client_gjs.py with GI_TYPELIB_PATH/LD_LIBRARY_PATH set to the
// build tree: drives libvirtbus from GJS, asynchronously, and prints what it
// saw as JSON lines for the test to check.
const {GLib, Virtbus} = imports.gi;

const loop = new GLib.MainLoop(null, false);
const events = [];
let client = null;

function out(obj) {
    print(JSON.stringify(obj));
}

function fail(e) {
    out({error: String(e)});
    loop.quit();
}

Virtbus.Client.new_for_uri_async(ARGV[0], null, (src, res) => {
    try {
        client = Virtbus.Client.new_for_uri_finish(res);
    } catch (e) {
        fail(e);
        return;
    }
    const domains = client.get_domains();
    const list = [];
    for (let i = 0; i < domains.get_n_items(); i++) {
        const d = domains.get_item(i);
        list.push([d.name, d.active]);
    }
    out({domains: list});
    domains.connect('items-changed', (m, pos, removed, added) => events.push(['items-changed', pos, removed, added]));
    const dom = client.find_domain('test');
    dom.connect('notify::active', d => events.push(['active', d.active]));

    dom.destroy_async(null, (d, r) => {
        try {
            d.destroy_finish(r);
        } catch (e) {
            fail(e);
            return;
        }
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, 200, () => {
            out({active_after_destroy: d.active});
            // an error from the daemon arrives as a Virtbus.Error
            d.suspend_async(null, (d2, r2) => {
                try {
                    d2.suspend_finish(r2);
                    out({unexpected: 'suspend of a stopped domain succeeded'});
                } catch (e) {
                    out({suspend_error: [e.matches(Virtbus.Error, Virtbus.Error.FAILED), e.message]});
                }
                d2.start_async(null, (d3, r3) => {
                    d3.start_finish(r3);
                    GLib.timeout_add(GLib.PRIORITY_DEFAULT, 200, () => {
                        out({active_after_start: d3.active});
                        client.define_domain_async("<domain type='test'><name>gjs1</name><memory>1024</memory>" +
                                                   '<os><type>hvm</type></os></domain>', null, (c, r4) => {
                            const nd = c.define_domain_finish(r4);
                            out({defined: nd.name, n_items: domains.get_n_items()});
                            out({events});
                            loop.quit();
                        });
                        return GLib.SOURCE_REMOVE;
                    });
                });
            });
            return GLib.SOURCE_REMOVE;
        });
    });
});
GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, 20, () => {
    out({timeout: true});
    loop.quit();
    return GLib.SOURCE_REMOVE;
});
loop.run();
