"""Plays one timeline through the Linux NAT of conntrack-lab.sh and prints what arrived, as JSON.

Run by conntrack-lab.sh as `python3 conntrack-driver.py LAN_NS WAN_NS`. One single-threaded
process opens each socket inside its namespace (setns), so one clock orders every event. Every
event is recorded with the time it really happened (seconds since the start), so the model can
replay the same timeline; `delivered` says whether the packet reached the other side.
"""
import ctypes
import json
import os
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
LAN_NS, WAN_NS = sys.argv[1], sys.argv[2]
HOST, SERVER, PEER = '10.78.0.2', '100.65.0.2', '100.65.0.3'


def enter(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f'setns {path}')
    finally:
        os.close(fd)


def in_ns(ns, make):
    home = os.open('/proc/self/ns/net', os.O_RDONLY)
    try:
        enter(f'/run/netns/{ns}')
        return make()
    finally:
        libc.setns(home, CLONE_NEWNET)
        os.close(home)


def udp(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    s.setblocking(False)
    return s


def tcp_client():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind((HOST, 5000))
    return s


def listener(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(4)
    return s


host_udp = in_ns(LAN_NS, lambda: udp(HOST, 5000))
server_udp = in_ns(WAN_NS, lambda: udp(SERVER, 3478))
peer_udp = in_ns(WAN_NS, lambda: udp(PEER, 7000))
server_tcp = in_ns(WAN_NS, lambda: listener(SERVER, 443))
peer_tcp = in_ns(WAN_NS, lambda: listener(PEER, 6000))
c1 = in_ns(LAN_NS, tcp_client)
c2 = in_ns(LAN_NS, tcp_client)

events = []
t0 = time.monotonic()


def now():
    return round(time.monotonic() - t0, 4)


def at(t):
    d = t0 + t - time.monotonic()
    if d > 0:
        time.sleep(d)


def drain_udp(s):
    got = []
    while True:
        try:
            data, src = s.recvfrom(2048)
        except BlockingIOError:
            return got
        got.append((data.decode(), src))


def arrived_udp(s, text, wait=0.3):
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if any(d == text for d, _ in drain_udp(s)):
            return True
        time.sleep(0.01)
    return False


def arrived_tcp(s, text, wait=0.3):
    s.settimeout(wait)
    try:
        return s.recv(100).decode() == text
    except (socket.timeout, OSError):
        return False


# t ≈ 0: two TCP connections from the same local port 5000, one to the server, one to the peer.
c1.connect((SERVER, 443))
a1, _ = server_tcp.accept()
events.append({'t': now(), 'event': 'tcp-open-server'})
c2.connect((PEER, 6000))
a2, _ = peer_tcp.accept()
events.append({'t': now(), 'event': 'tcp-open-peer'})
tcp_ext = a1.getpeername()

# t = 0.05: UDP from port 5000 to the server; the server notes the source it saw.
at(0.05)
host_udp.sendto(b'u-first', (SERVER, 3478))
events.append({'t': now(), 'event': 'udp-to-server'})
time.sleep(0.05)
first = drain_udp(server_udp)
udp_ext = first[0][1] if first else None

schedule = [(0.5 + 0.5 * i, 'udp-to-peer') for i in range(10)]  # keeps the mapping alive: 0.5 … 5.0 s
schedule += [(0.6, 'tcp-rst-peer'), (1.0, 'udp-probe-server-1'), (2.0, 'tcp-data-server-1'),
             (4.5, 'udp-probe-server-2'), (4.6, 'udp-probe-peer'), (7.0, 'tcp-data-server-2')]
schedule.sort()
for t, name in schedule:
    at(t)
    e = {'t': now(), 'event': name}
    if name == 'udp-to-peer':
        host_udp.sendto(b'keep', (PEER, 7000))
        drain_udp(peer_udp)
    elif name == 'tcp-rst-peer':
        c2.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        c2.close()  # abortive close: an RST
    elif name.startswith('udp-probe-'):
        src = server_udp if 'server' in name else peer_udp
        if udp_ext is None:
            e['delivered'] = False
        else:
            src.sendto(name.encode(), udp_ext)
            e['delivered'] = arrived_udp(host_udp, name)
    elif name.startswith('tcp-data-server-'):
        try:
            a1.send(name.encode())
            e['delivered'] = arrived_tcp(c1, name)
        except OSError:
            e['delivered'] = False
    events.append(e)

print(json.dumps({'udpExternal': f'{udp_ext[0]}:{udp_ext[1]}' if udp_ext else None,
                  'tcpExternal': f'{tcp_ext[0]}:{tcp_ext[1]}', 'events': events}))
