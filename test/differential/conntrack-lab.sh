#!/bin/bash
# Differential lab for the NAT model's timers: Linux netfilter (nftables masquerade + conntrack)
# as the reference NAT, in network namespaces this script creates (unique names) and always deletes.
#
#   $P-lan 10.78.0.2 --veth-- 10.78.0.1 $P-router 100.65.0.1 --veth-- 100.65.0.2/.3 $P-wan
#
# The router's conntrack timers are shortened (UDP 2 s, TCP established 4 s, close 1 s) so that
# the timeline of conntrack-driver.py takes seconds; it prints one JSON line of observations.
# Usage: conntrack-lab.sh (as root, from the repository root). Nothing is sent outside the
# namespaces: the veth pairs are created inside them and no address is added in the root namespace.
set -u
P=nsmodel-$$
LAN=$P-lan ROUTER=$P-router WAN=$P-wan
log() { echo "conntrack-lab: $*" >&2; }
cleanup() {
  trap - EXIT INT TERM HUP PIPE
  for n in $LAN $ROUTER $WAN; do
    for pid in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$n" 2>/dev/null
  done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
fail() { log "$*"; exit 1; }
for tool in ip nft python3; do command -v $tool >/dev/null || fail "$tool is missing (apt-get install -y iproute2 nftables python3)"; done
for n in $LAN $ROUTER $WAN; do
  [ -e "/run/netns/$n" ] && fail "namespace $n already exists"
  ip netns add "$n" || fail "ip netns add $n"
  ip -n "$n" link set lo up
done
ip link add veth-lan netns "$LAN" type veth peer name veth-rl netns "$ROUTER" || fail "veth lan"
ip link add veth-rw netns "$ROUTER" type veth peer name veth-wan netns "$WAN" || fail "veth wan"
ip -n "$LAN" addr add 10.78.0.2/24 dev veth-lan && ip -n "$LAN" link set veth-lan up || fail addr
ip -n "$ROUTER" addr add 10.78.0.1/24 dev veth-rl && ip -n "$ROUTER" link set veth-rl up || fail addr
ip -n "$ROUTER" addr add 100.65.0.1/24 dev veth-rw && ip -n "$ROUTER" link set veth-rw up || fail addr
ip -n "$WAN" addr add 100.65.0.2/24 dev veth-wan && ip -n "$WAN" addr add 100.65.0.3/24 dev veth-wan \
  && ip -n "$WAN" link set veth-wan up || fail addr
ip -n "$LAN" route add default via 10.78.0.1
ip -n "$WAN" route add default via 100.65.0.1
ip netns exec "$ROUTER" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$ROUTER" nft -f - <<'NFT' || fail nft
table ip nat {
  chain postrouting { type nat hook postrouting priority srcnat; policy accept; oifname "veth-rw" masquerade; }
}
NFT
ip netns exec "$ROUTER" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=2 net.netfilter.nf_conntrack_udp_timeout_stream=2 \
  net.netfilter.nf_conntrack_tcp_timeout_established=4 net.netfilter.nf_conntrack_tcp_timeout_close=1 || fail sysctl
python3 "$(dirname "$0")/conntrack-driver.py" "$LAN" "$WAN" || fail "driver failed"
