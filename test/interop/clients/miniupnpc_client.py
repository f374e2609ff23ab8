"""Drives python3-miniupnpc (the real libminiupnpc, via /usr/bin/python3) from a LAN host.

usage: miniupnpc_client.py MULTICAST_IFACE
Prints one JSON object a line per step and waits for a line on stdin before the next step, so
the test can look at the gateway in between. A failing call is reported as {"error": "..."}.
"""
import json
import sys

try:
    import miniupnpc
except ImportError as e:
    print(json.dumps({"step": "import", "error": f"python3-miniupnpc is not installed (Debian package python3-miniupnpc): {e}"}), flush=True)
    sys.exit(3)


def step(name, fn):
    try:
        out = {"step": name, "value": fn()}
    except Exception as e:  # miniupnpc raises plain Exception with the UPnP error description
        out = {"step": name, "error": str(e)}
    print(json.dumps(out), flush=True)
    sys.stdin.readline()
    return out.get("value")


u = miniupnpc.UPnP(multicastif=sys.argv[1])  # read-only once built
u.discoverdelay = 1000
step("discover", u.discover)
step("selectigd", u.selectigd)
lan = step("lanaddr", lambda: u.lanaddr)
step("statusinfo", lambda: list(u.statusinfo()))
step("connectiontype", u.connectiontype)
step("externalipaddress", u.externalipaddress)
step("addportmapping", lambda: u.addportmapping(6881, "TCP", lan, 6881, "natsim interop", "", 3600))
step("getspecificportmapping", lambda: u.getspecificportmapping(6881, "TCP"))
step("getgenericportmapping", lambda: u.getgenericportmapping(0))
step("getgenericportmapping1", lambda: u.getgenericportmapping(1))
step("getportmappingnumberofentries", u.getportmappingnumberofentries)
step("addportmapping_other_client", lambda: u.addportmapping(6882, "TCP", "10.99.0.77", 6882, "not me", "", 0))
step("addanyportmapping", lambda: u.addanyportmapping(6881, "UDP", lan, 6881, "natsim any", ""))
step("deleteportmapping", lambda: u.deleteportmapping(6881, "TCP"))
step("getspecificportmapping_after", lambda: u.getspecificportmapping(6881, "TCP"))
step("deleteportmappingrange", lambda: u.deleteportmappingrange(1, 65535, "UDP", 0))
print(json.dumps({"step": "done"}), flush=True)
