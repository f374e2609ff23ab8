"""Maps ports with the real GUPnP-IGD library (libgupnp-igd-1.0 through python3-gi +
gir1.2-gupnpigd-1.0) and prints one JSON object a line.

usage: gupnp_igd_client.py LOCAL_IP PORT...

GUPnPSimpleIgd discovers the IGD by SSDP, subscribes to its WANIPConnection events (GENA) and
maps each PORT (TCP, same internal port). Events printed:
  {"event": "mapped", "port": P, "external_ip": IP, "replaces": OLD}   (mapped-external-port)
  {"event": "error", "port": P, "message": ...}                         (error-mapping-port)
After every port is mapped it prints {"event": "all-mapped"} and then reads commands on stdin,
one a line: "remove P" (remove_port), "quit". A change of the external address arrives through
GENA only: GUPnP-IGD then emits mapped-external-port again for every mapping, with "replaces".
"""
import json
import sys

try:
    import gi
    gi.require_version("GUPnPIgd", "1.0")
    from gi.repository import GLib, GUPnPIgd
except (ImportError, ValueError) as e:
    print(json.dumps({"event": "fatal", "error": f"GUPnP-IGD introspection missing (Debian packages python3-gi gir1.2-gupnpigd-1.0): {e}"}), flush=True)
    sys.exit(3)


def emit(**obj):
    print(json.dumps(obj), flush=True)


def main():
    local_ip = sys.argv[1]
    ports = [int(p) for p in sys.argv[2:]]
    loop = GLib.MainLoop()
    igd = GUPnPIgd.SimpleIgd.new()
    pending = set(ports)

    def mapped(_igd, proto, external_ip, replaces, external_port, lip, local_port, description):
        emit(event="mapped", proto=proto, port=external_port, external_ip=external_ip, replaces=replaces or "", local_ip=lip)
        if external_port in pending:
            pending.discard(external_port)
            if not pending:
                emit(event="all-mapped")

    def failed(_igd, error, proto, external_port, lip, local_port, description):
        emit(event="error", port=external_port, message=error.message if error else "")

    igd.connect("mapped-external-port", mapped)
    igd.connect("error-mapping-port", failed)
    for p in ports:
        igd.add_port("TCP", p, local_ip, p, 3600, f"natsim gupnp-igd {p}")

    def command(channel, _cond):
        line = channel.readline()
        if not line:
            loop.quit()
            return False
        words = line.split()
        if words and words[0] == "remove":
            igd.remove_port("TCP", int(words[1]))
            emit(event="removed", port=int(words[1]))
        elif words and words[0] == "quit":
            loop.quit()
            return False
        return True

    channel = GLib.IOChannel.unix_new(sys.stdin.fileno())
    GLib.io_add_watch(channel, GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP, command)
    GLib.timeout_add(60_000, loop.quit)
    loop.run()
    emit(event="done")


main()
