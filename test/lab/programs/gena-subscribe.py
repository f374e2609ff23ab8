"""GENA subscriber for lab tests: listens on argv[2] (all addresses), SUBSCRIBEs to the event URL
argv[1] with itself as CALLBACK (its address toward the gateway, port argv[2]), prints
"subscribed SID", then waits (at most 10 s) for one NOTIFY, answers 200 and prints "notify from
ADDR SEQ=N ExternalIPAddress=VALUE".
"""
import http.client
import re
import socket
import sys
import urllib.parse

url = urllib.parse.urlsplit(sys.argv[1])
port = int(sys.argv[2])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", port))
srv.listen(4)
srv.settimeout(10)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
conn.connect()
me = conn.sock.getsockname()[0]
conn.request("SUBSCRIBE", url.path, headers={"CALLBACK": f"<http://{me}:{port}/cb>", "NT": "upnp:event", "TIMEOUT": "Second-300"})
res = conn.getresponse()
res.read()
print(f"subscribed {res.status} {res.getheader('SID')}", flush=True)
c, (addr, _) = srv.accept()
c.settimeout(10)
data = b""
while b"\r\n\r\n" not in data:
    data += c.recv(4096)
head, _, body = data.partition(b"\r\n\r\n")
length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
while len(body) < length:
    body += c.recv(4096)
c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
c.close()
seq = re.search(rb"(?i)seq:\s*(\d+)", head).group(1).decode()
ip = re.search(rb"<ExternalIPAddress>([^<]*)</ExternalIPAddress>", body)
print(f"notify from {addr} {head.split(b' ')[0].decode()} SEQ={seq} ExternalIPAddress={ip.group(1).decode() if ip else '-'}", flush=True)
