# UDP client for lab tests: python3 udp-send.py IP PORT [SOURCE_PORT [TIMEOUT_S]]. Sends one datagram from a
# connected socket and prints the reply, or the error the kernel reports (e.g.
# "ConnectionRefusedError [Errno 111] Connection refused" after an ICMP port unreachable).
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(float(sys.argv[4]) if len(sys.argv) > 4 else 3)
if len(sys.argv) > 3 and sys.argv[3] != "0":
    s.bind(("0.0.0.0", int(sys.argv[3])))
s.connect((sys.argv[1], int(sys.argv[2])))
s.send(b"hello")
try:
    print("reply", s.recv(2048).decode(), flush=True)
except Exception as e:
    print(type(e).__name__, e, flush=True)
    sys.exit(1)
