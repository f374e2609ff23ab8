# A python3-libtorrent session with NAT-PMP on (UPnP, LSD and DHT off) on a LAN host: it finds the
# gateway from its routes, maps its listen port over NAT-PMP; prints each port-mapping alert as a
# JSON line, then {"done": ...} once TCP and UDP are mapped (or after the timeout); on a line on
# stdin it shuts the session down (which deletes its mappings) and prints {"stopped": true}.
# usage: python3 libtorrent_natpmp_client.py LOCAL_ADDRESS PORT
import json
import sys
import time

import libtorrent as lt

local, port = sys.argv[1], int(sys.argv[2])
ses = lt.session({
    'listen_interfaces': f'{local}:{port}',
    'enable_natpmp': True, 'enable_upnp': False, 'enable_lsd': False, 'enable_dht': False,
    'alert_mask': lt.alert.category_t.port_mapping_notification | lt.alert.category_t.error_notification
    | lt.alert.category_t.port_mapping_log_notification,
})
mapped = {}
deadline = time.time() + 20
while time.time() < deadline and len(mapped) < 2:
    ses.wait_for_alert(500)
    for a in ses.pop_alerts():
        kind = type(a).__name__
        line = {'alert': kind, 'message': a.message()}
        if kind == 'portmap_alert':
            proto = str(getattr(a, 'map_protocol', '')).rsplit('.', 1)[-1].lower() or ('tcp' if 'TCP' in a.message() else 'udp')
            line.update({'external_port': a.external_port, 'protocol': proto})
            mapped[proto] = a.external_port
        print(json.dumps(line), flush=True)
print(json.dumps({'done': mapped}), flush=True)
sys.stdin.readline()
del ses  # the destructor blocks until the session has shut down, its NAT-PMP deletes sent
print(json.dumps({'stopped': True}), flush=True)
