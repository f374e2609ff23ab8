# UDP echo for lab tests: python3 udp-echo.py PORT. Prints "listening" once bound, then answers
# every datagram with "from IP:PORT", the source address and port it saw.
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
print("listening", flush=True)
while True:
    data, addr = s.recvfrom(2048)
    s.sendto(b"from %s:%d" % (addr[0].encode(), addr[1]), addr)
