#!/bin/bash
# A second real miniupnpd in the differential lab's router namespace, configured like the first
# (test/lab/miniupnpd.conf) but without the STUN check: its WAN address 100.64.0.1 is reserved, so
# miniupnpd 2.3.1 disables port forwarding ("Port forwarding is impossible") and AddPortMapping
# fails with 501. HTTP on 10.77.0.1:49100, NAT-PMP off (the first instance holds 5351).
#
# Usage: nostun-miniupnpd.sh ROUTER_NETNS DIR   (as root; DIR is the lab's temporary directory)
# Prints `READY <pid>` once it listens, then stays up until stdin closes or SIGTERM; it stops the
# daemon on every exit path (lab.sh's teardown kills whatever is left in the namespace too).
set -u
ROUTER=${1:?usage: nostun-miniupnpd.sh ROUTER_NETNS DIR}
D=${2:?usage: nostun-miniupnpd.sh ROUTER_NETNS DIR}
LABCONF="$(cd "$(dirname "$0")/../lab" && pwd)"
CONF=$D/nostun.conf
sed -e "s#@DIR@#$D#g" -e 's/^http_port=.*/http_port=49100/' -e 's/^enable_natpmp=.*/enable_natpmp=no/' \
    -e 's/^ext_perform_stun=.*/ext_perform_stun=no/' -e '/^ext_stun_/d' \
    -e "s#^lease_file=.*#lease_file=$D/nostun.leases#" -e "s#^minissdpdsocket=.*#minissdpdsocket=$D/nostun-minissdpd.sock#" \
    -e 's/^uuid=.*/uuid=3f1c6b1e-7a4d-4c1e-9a57-0e2b5d6c7a03/' "$LABCONF/miniupnpd.conf" > "$CONF"
PIDFILE=$D/nostun.pid
cleanup() {
  trap - EXIT INT TERM HUP PIPE
  [ -s "$PIDFILE" ] && kill "$(cat "$PIDFILE")" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
: > "$D/nostun-console.log"
ip netns exec "$ROUTER" sh -c "mount --bind '$D/nostun-console.log' /dev/console && exec /usr/sbin/miniupnpd -f '$CONF' -P '$PIDFILE' -d" > "$D/nostun.log" 2>&1 &
for i in $(seq 100); do grep -q 'HTTP listening on port 49100' "$D/nostun.log" && break; sleep 0.1; done
grep -q 'HTTP listening on port 49100' "$D/nostun.log" || { echo "nostun: miniupnpd did not start" >&2; tail -n 20 "$D/nostun.log" >&2; exit 1; }
for i in $(seq 20); do [ -s "$PIDFILE" ] && break; sleep 0.1; done
echo "READY $(cat "$PIDFILE" 2>/dev/null)"
grep -i 'reserved\|impossible' "$D/nostun.log" >&2
cat > /dev/null
