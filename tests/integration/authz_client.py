"""A D-Bus client for the authorization tests, run as an unprivileged uid.

Reads one JSON request per line on stdin and answers one JSON line on
stdout: {"ok": [out args]} or {"error": D-Bus error name, "message": text}.
A request is {"path", "interface", "method", "signature", "args"}; "args"
null means "any well-typed arguments" (built from the signature); a "v"
argument is given as [type, value]. "interactive": true sets
ALLOW_INTERACTIVE_AUTHORIZATION.
"""
import json
import sys

from gi.repository import Gio, GLib


def default_value(sig):
    if sig == "s":
        return ""
    if sig == "o":
        return "/"
    if sig == "b":
        return False
    if sig == "d":
        return 0.0
    if sig == "v":
        return GLib.Variant("s", "")
    if sig.startswith("a{"):
        return {}
    if sig.startswith("a"):
        return []
    if sig.startswith("("):
        return tuple(default_value(t) for t in GLib.Variant.split_signature(sig))
    return 0


def build(signature, args):
    if not signature:
        return None
    types = GLib.Variant.split_signature("(%s)" % signature)
    if args is None:
        return GLib.Variant("(%s)" % signature, tuple(default_value(t) for t in types))
    values = []
    for t, a in zip(types, args):
        values.append(GLib.Variant(a[0], a[1]) if t == "v" else a)
    return GLib.Variant("(%s)" % signature, tuple(values))


def plain(value):
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return list(value)
    if isinstance(value, GLib.Variant):
        return plain(value.unpack())
    return value


def main():
    address = sys.argv[1]
    conn = Gio.DBusConnection.new_for_address_sync(
        address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
        None, None)
    for line in sys.stdin:
        req = json.loads(line)
        flags = Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION if req.get("interactive") else Gio.DBusCallFlags.NONE
        try:
            params = build(req["signature"], req.get("args"))
            reply = conn.call_sync("org.libvirt", req["path"], req["interface"], req["method"], params, None,
                                   flags, req.get("timeout", 20000), None)
            out = {"ok": plain(reply.unpack())}
        except GLib.Error as e:
            name = Gio.DBusError.get_remote_error(e) or ""
            msg = e.message
            prefix = "GDBus.Error:%s: " % name
            if msg.startswith(prefix):
                msg = msg[len(prefix):]
            out = {"error": name, "message": msg}
        except Exception as e:  # a bad request: report it, keep serving
            out = {"error": "client", "message": repr(e)}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
