/**
 * One lab host's network namespace and its TUN bridge.
 *
 * - The holder, `unshare --net sh -c HOLDER_SCRIPT`, run by the helper inside the lab's PID
 *   namespace, makes the host's namespace, turns IPv6 off in it, prints its PID as the machine
 *   sees it (natsim enters the namespace by it) and waits.
 * - The bridge, `socat TUN,… UDP:127.0.0.1:RELAY,sourceport=P`, run in the lab's namespace,
 *   creates a TUN device there and carries every datagram between it and natsim's relay socket.
 * - The TUN is moved into the host's namespace as `eth0` (`ip link set … netns`; socat keeps its
 *   file descriptor), then the holder gives it the host's address, brings it up and routes
 *   everything through it. The host's namespace has nothing else but `lo`.
 */
import type { HelperCommand, LabNamespace } from './lab-namespace.js';

/** The host's interface name inside its namespace. */
export const HOST_INTERFACE = 'eth0';

/** First UDP source port of the bridges (bridge i sends from BRIDGE_PORT_BASE + i) in the lab's namespace. */
export const BRIDGE_PORT_BASE = 20_000;

/**
 * $1: address/prefix length; $2: default gateway ('' for a route straight out of eth0); $3 …:
 * more addresses (aliases), address/prefix length each. Prints `pid N`, waits for a line on stdin
 * (the TUN is in), configures it and prints `configured`.
 */
const HOLDER_SCRIPT = `for f in /proc/sys/net/ipv6/conf/all/disable_ipv6 /proc/sys/net/ipv6/conf/default/disable_ipv6; do
  [ -w "$f" ] && echo 1 > "$f"
done
read -r pid _ < /proc/self/stat
echo "pid $pid"
read -r go || exit 0
if [ -n "$2" ]; then route="default via $2 dev ${HOST_INTERFACE} onlink"; else route="default dev ${HOST_INTERFACE}"; fi
primary=$1
shift 2
{
  echo "link set lo up"
  echo "addr add $primary dev ${HOST_INTERFACE}"
  for alias in "$@"; do echo "addr add $alias dev ${HOST_INTERFACE}"; done
  echo "link set ${HOST_INTERFACE} up"
  echo "route add $route"
} | ip -batch - || exit 1
echo configured
exec sleep infinity`;

/** What one host needs. */
export interface HostNamespaceSpec {
  readonly id: string;
  /** Its position in the lab (names the TUN `ln<index>` and the bridge port). */
  readonly index: number;
  /** `address/prefixLength`. */
  readonly cidr: string;
  /** More addresses of the host, `address/prefixLength` each (the primary stays the source by default). */
  readonly aliases?: readonly string[];
  /** Default gateway on its LAN (a router's LAN address), or undefined for an Internet host. */
  readonly gateway?: string;
}

/** A host namespace, built. */
export interface HostNamespace {
  readonly id: string;
  /** PID (in natsim's PID namespace) of the process holding the host's network namespace. */
  readonly pid: number;
  /** UDP port the host's bridge sends from, in the lab's namespace. */
  readonly bridgePort: number;
  readonly holder: HelperCommand;
  readonly bridge: HelperCommand;
}

/** The socat command line of one bridge. */
export function bridgeArgs(tun: string, relayPort: number, bridgePort: number): string[] {
  return ['-d', '-d', '-b', '65536', `TUN,tun-type=tun,iff-no-pi,tun-name=${tun}`, `UDP:127.0.0.1:${relayPort},sourceport=${bridgePort}`];
}

/**
 * Builds one host's namespace and bridge (the relay must already be reading its socket, or socat
 * would stop on the first port unreachable). Rejects naming the command that failed. `onPid` is
 * told the holder's PID as soon as the namespace exists, before `eth0` is in and configured (to
 * start something there meanwhile).
 */
export async function buildHostNamespace(ns: LabNamespace, spec: HostNamespaceSpec, onPid?: (pid: number) => void): Promise<HostNamespace> {
  const tun = `ln${spec.index}`;
  const bridgePort = BRIDGE_PORT_BASE + spec.index;
  const holder = ns.run('unshare', ['--net', 'sh', '-c', HOLDER_SCRIPT, 'holder', spec.cidr, spec.gateway ?? '', ...(spec.aliases ?? [])]);
  const bridge = ns.run('socat', bridgeArgs(tun, ns.relayPort, bridgePort));
  const step = async <T>(what: string, p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      throw new Error(`host ${spec.id}: ${what}: ${(e as Error).message}`);
    }
  };
  const [pidLine] = await Promise.all([
    step('unshare --net (its namespace)', holder.waitFor(/^pid (\d+)$/m)),
    step('socat (its TUN bridge)', bridge.waitFor(/starting data transfer loop/, 'stderr')),
  ]);
  const pid = Number(pidLine[1]);
  onPid?.(pid);
  const move = ns.run('ip', ['link', 'set', tun, 'netns', `/proc/${pid}/ns/net`, 'name', HOST_INTERFACE]);
  const moved = await move.exited;
  if (moved.code !== 0) throw new Error(`host ${spec.id}: ip link set ${tun} netns: ${move.stderr.trim() || `exit ${moved.code}`}`);
  holder.write('go\n');
  await step('configuring eth0', holder.waitFor(/^configured$/m));
  return { id: spec.id, pid, bridgePort, holder, bridge };
}
