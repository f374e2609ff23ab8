"""TCP server for lab tests: listens on argv[1] (all addresses), prints "listening", then for
each of argv[2] (default 1) connections reads one line, prints "got LINE from ADDR:PORT" and
answers "re: LINE".
"""
import socket
import sys

port = int(sys.argv[1])
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
s.listen(4)
print("listening", flush=True)
for _ in range(count):
    c, (addr, peer_port) = s.accept()
    with c:
        f = c.makefile("rb")
        line = f.readline().decode().strip()
        print(f"got {line} from {addr}:{peer_port}", flush=True)
        c.sendall(f"re: {line}\n".encode())
