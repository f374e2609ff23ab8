#!/usr/bin/python3
"""udp-punch.py STUN_IP:PORT LOCAL_PORT NAME [SECONDS]: a UDP hole-punching peer (stdlib only).
Learns its reflexive address with one STUN Binding request (RFC 5389) from LOCAL_PORT and prints
{"reflexive": "IP:PORT"}; reads the peer's reflexive address as one JSON line {"peer": "IP:PORT"}
on stdin; then sends "punch from NAME" to it every 100 ms and answers whatever source a punch
arrives from (so a peer-reflexive address works too). Prints {"received": TEXT, "from": "IP:PORT"}
for the first punch received and {"direct": true} once both directions worked (a punch received
and an answer to one of its own received), or {"direct": false} after SECONDS (default 10).
Exit status 0 when direct, 1 otherwise."""
import json, os, select, socket, struct, sys, time

stun_ip, stun_port = sys.argv[1].rsplit(':', 1)
port, name = int(sys.argv[2]), sys.argv[3]
seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
MAGIC = 0x2112A442

def out(obj):
    print(json.dumps(obj), flush=True)

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', port))
tid = os.urandom(12)
s.sendto(struct.pack('!HHI', 0x0001, 0, MAGIC) + tid, (stun_ip, int(stun_port)))
s.settimeout(5)
reflexive = None
while reflexive is None:
    data, src = s.recvfrom(2048)
    if len(data) < 20 or data[8:20] != tid:
        continue
    at = 20
    while at + 4 <= len(data):
        t, n = struct.unpack('!HH', data[at:at + 4])
        v = data[at + 4:at + 4 + n]
        if t == 0x0020 and v[1] == 1:  # XOR-MAPPED-ADDRESS, IPv4
            xport = struct.unpack('!H', v[2:4])[0] ^ (MAGIC >> 16)
            xip = struct.unpack('!I', v[4:8])[0] ^ MAGIC
            reflexive = f'{socket.inet_ntoa(struct.pack("!I", xip))}:{xport}'
        at += 4 + ((n + 3) & ~3)
out({'reflexive': reflexive})
peer_ip, peer_port = json.loads(sys.stdin.readline())['peer'].rsplit(':', 1)
targets = {(peer_ip, int(peer_port))}
s.setblocking(False)
got_punch = got_answer = False
deadline = time.monotonic() + seconds
next_send = 0.0
while time.monotonic() < deadline and not (got_punch and got_answer):
    now = time.monotonic()
    if now >= next_send:
        for t in targets:
            s.sendto(f'punch from {name}'.encode(), t)
        next_send = now + 0.1
    r, _, _ = select.select([s], [], [], 0.05)
    if not r:
        continue
    data, src = s.recvfrom(2048)
    text = data.decode('utf8', 'replace')
    if text.startswith('punch from '):
        if not got_punch:
            out({'received': text, 'from': f'{src[0]}:{src[1]}'})
        got_punch = True
        targets.add(src)
        s.sendto(f'answer from {name}'.encode(), src)
    elif text.startswith('answer from '):
        got_answer = True
out({'direct': got_punch and got_answer})
sys.exit(0 if got_punch and got_answer else 1)
