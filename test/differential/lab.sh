#!/bin/bash
# Differential lab: the real miniupnpd and natsim's gateway side by side, in network namespaces
# this script creates (unique names) and always deletes.
#
#   $P-lan 10.77.0.2/.3 --veth-- 10.77.0.1 $P-router 100.64.0.1 --veth-- 100.64.0.2/.3 $P-wan (coturn)
#
# In $P-router: miniupnpd (HTTP 10.77.0.1:49000, secure mode, allow 1024-65535 10.77.0.0/24) and
# natsim twice (HTTP 10.77.0.1:$NATSIM_HTTP_PORT with profile miniupnpd, and :$NATSIM231_HTTP_PORT
# with profile miniupnpd-2.3.1, or $NATSIM231_PROFILE; same rules, WAN 100.64.0.1). Modelled on
# /work/shared/lab/lab-miniupnpd.sh: coturn in $P-wan answers miniupnpd 2.3.1's STUN check (it
# refuses a reserved WAN address without it) and a bind mount over /dev/console in miniupnpd's
# private mount namespace keeps its log lines off the machine console.
#
# Usage: lab.sh NATSIM_LAUNCHER   (run from the repository root, as root; MINIUPNPD_LEASES=FILE
# gives miniupnpd a lease file to start from)
# Prints one line `READY {json}` once both gateways answer, then stays up until stdin closes or
# it gets SIGTERM/SIGINT; teardown runs on every exit path. Nothing is sent outside the namespaces:
# the veth pairs are created directly inside them and no address is added in the root namespace.
set -u
LAUNCHER=${1:?usage: lab.sh NATSIM_LAUNCHER}
P=nsdiff-$$
LAN=$P-lan ROUTER=$P-router WAN=$P-wan
NATSIM_HTTP_PORT=${NATSIM_HTTP_PORT:-49010}
NATSIM_SSDP_PORT=${NATSIM_SSDP_PORT:-49011}
NATSIM231_HTTP_PORT=${NATSIM231_HTTP_PORT:-49020}
NATSIM231_SSDP_PORT=${NATSIM231_SSDP_PORT:-49021}
D=$(mktemp -d /tmp/nsdiff.XXXXXX)
NATSIM_PID=
NATSIM231_PID=
CAT_PID=
log() { echo "lab: $*" >&2; }

cleanup() {
  trap - EXIT INT TERM HUP PIPE
  [ -n "$CAT_PID" ] && kill "$CAT_PID" 2>/dev/null
  [ -n "$NATSIM_PID" ] && kill "$NATSIM_PID" 2>/dev/null
  [ -n "$NATSIM231_PID" ] && kill "$NATSIM231_PID" 2>/dev/null
  for f in miniupnpd.pid turnserver.pid; do [ -s "$D/$f" ] && kill "$(cat "$D/$f")" 2>/dev/null; done
  # Anything else still running inside our own namespaces was started by this script.
  for n in $LAN $ROUTER $WAN; do
    for pid in $(ip netns pids "$n" 2>/dev/null); do kill "$pid" 2>/dev/null; done
  done
  for i in $(seq 30); do
    left=
    for n in $LAN $ROUTER $WAN; do [ -n "$(ip netns pids "$n" 2>/dev/null)" ] && left=1; done
    [ -z "$left" ] && break
    sleep 0.1
  done
  for n in $LAN $ROUTER $WAN; do
    for pid in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$n" 2>/dev/null
  done
  if [ -n "${KEEP_LOGS:-}" ]; then log "logs kept in $D"; else rm -rf "$D"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
fail() { log "$*"; for f in fetch.log natsim.out miniupnpd.log console.log natsim.log natsim231.log turnserver.log; do [ -s "$D/$f" ] && { echo "--- $f" >&2; tail -n 20 "$D/$f" >&2; }; done; exit 1; }

# --- configuration (same as the shared lab's) ---
LABCONF="$(cd "$(dirname "$0")/../lab" && pwd)"
for f in miniupnpd.conf router.nft turnserver.conf; do sed "s#@DIR@#$D#g" "$LABCONF/$f" > "$D/$f"; done

# --- namespaces (veth ends are created directly inside them) ---
for n in $LAN $ROUTER $WAN; do
  [ -e "/run/netns/$n" ] && fail "namespace $n already exists"
  ip netns add "$n" || fail "ip netns add $n"
  ip -n "$n" link set lo up
done
ip link add veth-lan netns "$LAN" type veth peer name veth-rl netns "$ROUTER" || fail "veth lan"
ip link add veth-rw netns "$ROUTER" type veth peer name veth-wan netns "$WAN" || fail "veth wan"
ip -n "$LAN"    addr add 10.77.0.2/24  dev veth-lan && ip -n "$LAN" addr add 10.77.0.3/24 dev veth-lan \
  && ip -n "$LAN" link set veth-lan up || fail addr
ip -n "$ROUTER" addr add 10.77.0.1/24  dev veth-rl  && ip -n "$ROUTER" link set veth-rl up  || fail addr
ip -n "$ROUTER" addr add 100.64.0.1/24 dev veth-rw  && ip -n "$ROUTER" link set veth-rw up  || fail addr
ip -n "$WAN"    addr add 100.64.0.2/24 dev veth-wan && ip -n "$WAN" addr add 100.64.0.3/24 dev veth-wan \
  && ip -n "$WAN" link set veth-wan up || fail addr
ip -n "$LAN" route add default via 10.77.0.1
ip -n "$WAN" route add default via 100.64.0.1
ip netns exec "$ROUTER" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$ROUTER" nft -f "$D/router.nft" || fail "nft"

# --- coturn (STUN for miniupnpd's reserved-address check) ---
ip netns exec "$WAN" turnserver -c "$D/turnserver.conf" > "$D/turnserver.log" 2>&1 &
for i in $(seq 50); do ip netns exec "$WAN" ss -lun | grep -q '100.64.0.3:3479' && break; sleep 0.1; done

# --- miniupnpd ---
# MINIUPNPD_LEASES=FILE: miniupnpd starts with that lease file (it reloads the mappings in it).
if [ -n "${MINIUPNPD_LEASES:-}" ]; then cp "$MINIUPNPD_LEASES" "$D/upnp.leases" || fail "cannot copy $MINIUPNPD_LEASES"; fi
: > "$D/console.log"
ip netns exec "$ROUTER" sh -c "mount --bind '$D/console.log' /dev/console && exec /usr/sbin/miniupnpd -f '$D/miniupnpd.conf' -P '$D/miniupnpd.pid' -d" > "$D/miniupnpd.log" 2>&1 &
for i in $(seq 100); do grep -q 'Listening for NAT-PMP' "$D/miniupnpd.log" && break; sleep 0.1; done
grep -q 'Listening for NAT-PMP' "$D/miniupnpd.log" || fail "miniupnpd did not start"

# --- natsim (same router namespace, other ports) ---
NATSIM_HTTP_PORT=$NATSIM_HTTP_PORT NATSIM_SSDP_PORT=$NATSIM_SSDP_PORT \
  ip netns exec "$ROUTER" node --import tsx "$LAUNCHER" > "$D/natsim.out" 2> "$D/natsim.log" &
NATSIM_PID=$!
for i in $(seq 150); do grep -qs '"ready":true' "$D/natsim.out" && break; kill -0 $NATSIM_PID 2>/dev/null || break; sleep 0.1; done
grep -q '"ready":true' "$D/natsim.out" || fail "natsim did not start"
NATSIM_PROFILE=${NATSIM231_PROFILE:-miniupnpd-2.3.1} NATSIM_HTTP_PORT=$NATSIM231_HTTP_PORT NATSIM_SSDP_PORT=$NATSIM231_SSDP_PORT \
  ip netns exec "$ROUTER" node --import tsx "$LAUNCHER" > "$D/natsim231.out" 2> "$D/natsim231.log" &
NATSIM231_PID=$!
for i in $(seq 150); do grep -qs '"ready":true' "$D/natsim231.out" && break; kill -0 $NATSIM231_PID 2>/dev/null || break; sleep 0.1; done
grep -q '"ready":true' "$D/natsim231.out" || fail "natsim (${NATSIM231_PROFILE:-miniupnpd-2.3.1}) did not start"

# --- both answer from the lan namespace ---
for url in http://10.77.0.1:49000/rootDesc.xml "http://10.77.0.1:$NATSIM_HTTP_PORT/rootDesc.xml" "http://10.77.0.1:$NATSIM231_HTTP_PORT/rootDesc.xml"; do
  ok=
  for i in $(seq 50); do
    ip netns exec "$LAN" node -e "fetch('$url').then(r=>{if(!r.ok)console.error('HTTP',r.status);process.exit(r.ok?0:1)},e=>{console.error(String(e.cause||e));process.exit(1)})" 2>>"$D/fetch.log" && { ok=1; break; }
    sleep 0.1
  done
  [ -n "$ok" ] || fail "$url does not answer from $LAN"
done

printf 'READY {"lan":"%s","router":"%s","wan":"%s","dir":"%s","miniupnpd":"http://10.77.0.1:49000","natsim":"http://10.77.0.1:%s","natsim231":"http://10.77.0.1:%s","natsimReady":%s}\n' \
  "$LAN" "$ROUTER" "$WAN" "$D" "$NATSIM_HTTP_PORT" "$NATSIM231_HTTP_PORT" "$(grep '"ready":true' "$D/natsim.out" | head -1)"
# Stay up until the test closes our stdin (or dies: the pipe closes too) or signals us.
exec 3<&0
cat <&3 > /dev/null &
CAT_PID=$!
wait $CAT_PID
