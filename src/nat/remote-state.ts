/**
 * What a mapping knows about each remote endpoint it exchanges packets with: the filtering
 * permission (RFC 4787 §5: a remote is admitted while the internal endpoint keeps sending to it)
 * and, for TCP, the state of the connection to it (RFC 5382 REQ-5: connections are tracked one
 * by one, so closing one does not shorten another that shares the mapping).
 *
 * The first remote's state lives in the mapping itself (most mappings have exactly one remote);
 * the others in a bounded table.
 */
import { TCP } from './packet.js';
import type { NatTimers } from './policy.js';

/** TCP state of one connection (RFC 5382 minimal tracking). */
export const TcpState = { None: 0, Transitory: 1, Established: 2, Closing: 3 } as const;
export type TcpState = (typeof TcpState)[keyof typeof TcpState];

/** The state a mapping keeps for one remote endpoint. */
export interface RemoteState {
  /** Admitted by filtering until this time (ms); for TCP also when the connection's timer runs out. */
  until: number;
  tcpState: TcpState;
  /** Bit 1: seen outbound, bit 2: seen inbound (since the last SYN). */
  seen: number;
}

/** A remote beyond a mapping's first. */
export class PeerState implements RemoteState {
  until = 0;
  tcpState: TcpState = TcpState.None;
  seen = 0;
}

/** Most remotes one mapping tracks besides its first; past it the soonest to expire is forgotten. */
export const MAX_REMOTES_PER_MAPPING = 1024;

/** A mapping as this module sees it: its first remote's state inline, the others in `peers`. */
export interface RemoteTable extends RemoteState {
  readonly proto: number;
  readonly remoteIp: number;
  readonly remotePort: number;
  /** Remotes beyond the first, keyed by ip * 65536 + port. */
  peers: Map<number, PeerState> | undefined;
}

/** The key of a remote endpoint in {@link RemoteTable.peers}. */
export const remoteKey = (ip: number, port: number): number => ip * 65536 + port;

/** The state kept for a remote endpoint, if any. */
export function findRemote(m: RemoteTable, ip: number, port: number): RemoteState | undefined {
  if (m.remoteIp === ip && m.remotePort === port) return m;
  return m.peers?.get(remoteKey(ip, port));
}

/** The state for a remote endpoint, created when missing (evicting expired or soonest-expiring peers when full). */
export function remoteFor(m: RemoteTable, ip: number, port: number, now: number): RemoteState {
  const found = findRemote(m, ip, port);
  if (found !== undefined) return found;
  let peers = m.peers;
  if (peers === undefined) m.peers = peers = new Map();
  else if (peers.size >= MAX_REMOTES_PER_MAPPING) makeRoom(peers, now);
  const s = new PeerState();
  peers.set(remoteKey(ip, port), s);
  return s;
}

function makeRoom(peers: Map<number, PeerState>, now: number): void {
  let soonestKey = -1;
  let soonest = Infinity;
  for (const [k, s] of peers) {
    if (s.until <= now) peers.delete(k);
    else if (s.until < soonest) {
      soonest = s.until;
      soonestKey = k;
    }
  }
  if (peers.size >= MAX_REMOTES_PER_MAPPING) peers.delete(soonestKey);
}

/** Is some endpoint of address `ip` still admitted (address-dependent filtering)? */
export function admitsAddress(m: RemoteTable, ip: number, now: number): boolean {
  if (m.remoteIp === ip && m.until > now) return true;
  if (m.peers !== undefined) for (const [k, s] of m.peers) if (s.until > now && Math.floor(k / 65536) === ip) return true;
  return false;
}

/** Is endpoint ip:port still admitted (address-and-port-dependent filtering)? */
export function admitsEndpoint(m: RemoteTable, ip: number, port: number, now: number): boolean {
  const s = findRemote(m, ip, port);
  return s !== undefined && s.until > now;
}

/** The latest time any remote is live until; forgets peers that are no longer live. */
export function latestUntil(m: RemoteTable, now: number): number {
  let t = m.until;
  if (m.peers !== undefined) {
    for (const [k, s] of m.peers) {
      if (s.until <= now) m.peers.delete(k);
      else if (s.until > t) t = s.until;
    }
  }
  return t;
}

/** Advances one TCP connection by one segment. */
export function tcpStep(s: RemoteState, flags: number, outbound: boolean): void {
  if (flags & (TCP.RST | TCP.FIN)) {
    s.tcpState = TcpState.Closing;
    return;
  }
  if (flags & TCP.SYN) {
    if (!(flags & TCP.ACK) && s.tcpState !== TcpState.Established) {
      s.tcpState = TcpState.Transitory;
      s.seen = outbound ? 1 : 2;
    } else if (s.tcpState === TcpState.None) {
      s.tcpState = TcpState.Transitory;
    }
    return;
  }
  // A non-SYN packet after traffic both ways completes the handshake.
  if (s.tcpState === TcpState.Transitory && s.seen === 3 && flags & TCP.ACK) s.tcpState = TcpState.Established;
  else if (s.tcpState === TcpState.None) s.tcpState = TcpState.Transitory;
}

/** The idle timeout (s) of one connection in its state. */
export function tcpTimeout(s: RemoteState, timers: NatTimers): number {
  return s.tcpState === TcpState.Established ? timers.tcpEstablished : timers.tcpTransitory;
}

/** The mapping's TCP state for views: established if any live connection is, else transitory if any is opening, else closing. */
export function tcpSummary(m: RemoteTable, now: number): TcpState {
  let best: TcpState = m.until > now ? m.tcpState : TcpState.None;
  if (m.peers !== undefined) {
    for (const s of m.peers.values()) {
      if (s.until <= now) continue;
      if (s.tcpState === TcpState.Established) return TcpState.Established;
      if (best !== TcpState.Established && (best === TcpState.None || best === TcpState.Closing)) best = s.tcpState;
    }
  }
  return best;
}

/** Remote endpoints still admitted, as [ip, port] pairs (the first remote first). */
export function liveRemotes(m: RemoteTable, now: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (m.until > now) out.push([m.remoteIp, m.remotePort]);
  if (m.peers !== undefined) for (const [k, s] of m.peers) if (s.until > now) out.push([Math.floor(k / 65536), k % 65536]);
  return out;
}

/**
 * The latest time a permission for ip:port (port -1: any port of ip) ran out, when one is still
 * remembered and none for it is live; otherwise undefined.
 */
export function lapsedUntil(m: RemoteTable, ip: number, port: number, now: number): number | undefined {
  let last = -Infinity;
  const consider = (rip: number, rport: number, until: number): boolean => {
    if (rip !== ip || (port >= 0 && rport !== port)) return false;
    if (until > now) return true;
    if (until > last) last = until;
    return false;
  };
  if (consider(m.remoteIp, m.remotePort, m.until)) return undefined;
  if (m.peers !== undefined) for (const [k, s] of m.peers) if (consider(Math.floor(k / 65536), k % 65536, s.until)) return undefined;
  return last === -Infinity ? undefined : last;
}
