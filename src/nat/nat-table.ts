/**
 * The translation table of one NAPT: dynamic mappings created by outbound traffic, their
 * RFC 4787 mapping/filtering/port-assignment/pooling behaviour, timers and expiry.
 *
 * Pure data plane: every method takes `now` (ms); randomness comes from an injected {@link Rng}.
 */
import { type Endpoint, formatEndpoint, formatIPv4, type IPv4, type Protocol } from './address.js';
import type { Rng } from './clock.js';
import type { NatPolicy } from './policy.js';
import { PortBlocks } from './port-blocks.js';
import {
  admitsAddress,
  admitsEndpoint,
  findRemote,
  lapsedUntil,
  latestUntil,
  liveRemotes,
  type PeerState,
  type RemoteState,
  type RemoteTable,
  remoteFor,
  TcpState,
  tcpStep,
  tcpSummary,
  tcpTimeout,
} from './remote-state.js';
import { type Expiring, TimerHeap } from './timer-heap.js';

const PROTO_CODE: Record<Protocol, number> = { udp: 0, tcp: 1, icmp: 2 };
const CODE_PROTO: readonly Protocol[] = ['udp', 'tcp', 'icmp'];

/**
 * A dynamic mapping: internal endpoint ↔ external endpoint. It is also the state of its first
 * remote (`until`, `tcpState`, `seen`: see {@link RemoteState}); other remotes are in `peers`.
 */
export class Mapping implements Expiring, RemoteTable {
  /** Remotes beyond the first (filtering permissions, TCP connections), keyed by ip*65536+port. */
  peers: Map<number, PeerState> | undefined = undefined;
  expiresAt = 0;
  queuedAt = -1;
  /** The first remote: admitted until (ms), its TCP connection state, directions seen. */
  until = 0;
  tcpState: TcpState = TcpState.None;
  seen = 0;
  packetsOut = 0;
  packetsIn = 0;
  /** Kept alive at least until then (ms) whatever the traffic: a PCP PEER request's lifetime. */
  heldUntil = 0;
  constructor(
    readonly proto: number,
    readonly intIp: IPv4,
    readonly intPort: number,
    readonly extIp: IPv4,
    readonly extPort: number,
    /** The first remote contacted (the key's remote for ADM/APDM). */
    readonly remoteIp: IPv4,
    readonly remotePort: number,
    readonly subKey: number,
    readonly createdAt: number,
  ) {}

  /** Key of the internal endpoint (computed: a stored 50-bit number costs a 16-byte heap box). */
  get outKey(): number {
    return key3(this.intIp, this.intPort, this.proto);
  }
  get protocol(): Protocol {
    return CODE_PROTO[this.proto]!;
  }
  get internal(): Endpoint {
    return { ip: this.intIp, port: this.intPort };
  }
  get external(): Endpoint {
    return { ip: this.extIp, port: this.extPort };
  }
}

/** A public, plain view of a mapping. */
export interface MappingInfo {
  readonly protocol: Protocol;
  readonly internal: string;
  readonly external: string;
  /** First remote endpoint the mapping was created for. */
  readonly remote: string;
  readonly expiresAt: number;
  readonly tcpState?: 'transitory' | 'established' | 'closing';
}

/** Why a translation was refused. */
export type NatRefusal =
  | { readonly code: 'no-mapping' }
  | { readonly code: 'filtered'; readonly mapping: Mapping }
  | { readonly code: 'port-quota'; readonly quota: number }
  | { readonly code: 'port-blocks-full'; readonly blocks: number; readonly size: number }
  | { readonly code: 'ports-exhausted' };

/** Knows which external ports are taken by other mechanisms (forwards, the router itself). */
export interface PortGuard {
  /** True when `port` on the primary external address is held by a forward or reserved. */
  isHeld(protocol: Protocol, port: number): boolean;
}

/** The result of an outbound lookup: the mapping and whether it was just created. */
export interface OutboundResult {
  readonly mapping: Mapping;
  readonly created: boolean;
}

const key3 = (ip: IPv4, port: number, proto: number): number => (ip * 65536 + port) * 4 + proto;

/**
 * Values indexed by an endpoint as address → port/protocol → value. Both levels have small-integer
 * keys (`ip | 0` is always a Smi; port * 4 + proto < 2^18) that V8 hashes inline, where a 50-bit
 * key3 is a boxed HeapNumber: a call to hash it and one more cache miss per probe.
 */
class EndpointIndex<T> {
  readonly #byIp = new Map<number, Map<number, T>>();
  get(ip: IPv4, pp: number): T | undefined {
    return this.#byIp.get(ip | 0)?.get(pp);
  }
  set(ip: IPv4, pp: number, value: T): void {
    const k = ip | 0;
    let inner = this.#byIp.get(k);
    if (inner === undefined) this.#byIp.set(k, (inner = new Map()));
    inner.set(pp, value);
  }
  delete(ip: IPv4, pp: number): void {
    const k = ip | 0;
    const inner = this.#byIp.get(k);
    if (inner?.delete(pp) && inner.size === 0) this.#byIp.delete(k);
  }
}

/** Dynamic translation state of one NAT. */
export class NatTable {
  readonly #eim = new EndpointIndex<Mapping>();
  readonly #dep = new EndpointIndex<Map<number, Mapping>>();
  readonly #inbound = new Map<number, Mapping>();
  readonly #heap = new TimerHeap<Mapping>();
  readonly #paired = new Map<IPv4, IPv4>();
  readonly #perHost = new Map<IPv4, number>();
  readonly #freed = new Map<number, { until: number; intIp: IPv4 }>();
  /** Ports held by dynamic mappings, 1 bit per port, per protocol and external address (`ip | 0`). */
  readonly #held: Map<number, Int32Array>[] = [new Map(), new Map(), new Map()];
  #nextSeq = 0;
  #pairedNext = 0;
  /** Port blocks per subscriber, when the policy allocates in bulk. */
  readonly portBlocks: PortBlocks | null;
  onRemove: ((m: Mapping, reason: 'expired' | 'cleared', now: number) => void) | undefined;

  constructor(
    public policy: NatPolicy,
    public externalIps: IPv4[],
    readonly rng: Rng,
    readonly guard: PortGuard = { isHeld: () => false },
  ) {
    const pb = policy.portBlocks;
    this.portBlocks = pb ? new PortBlocks(pb, rng, policy.portAssignment === 'random') : null;
  }

  /** Number of live mappings. */
  get size(): number {
    return this.#inbound.size;
  }

  /**
   * Finds or creates the mapping for an outbound packet and refreshes it.
   * Returns a refusal when a new mapping is needed but cannot be had.
   */
  outbound(protocol: Protocol, src: Endpoint, dst: Endpoint, flags: number, now: number): OutboundResult | NatRefusal {
    const proto = PROTO_CODE[protocol];
    const mb = this.policy.mapping;
    let m: Mapping | undefined;
    let sub = 0;
    let bucket: Map<number, Mapping> | undefined;
    const pp = src.port * 4 + proto;
    if (mb === 'endpoint-independent') {
      m = this.#eim.get(src.ip, pp);
    } else {
      sub = mb === 'address-dependent' ? dst.ip : dst.ip * 65536 + dst.port;
      bucket = this.#dep.get(src.ip, pp);
      m = bucket?.get(sub);
    }
    if (m !== undefined && m.expiresAt <= now) {
      this.#remove(m, 'expired', now);
      m = undefined;
    }
    let created = false;
    if (m === undefined) {
      const made = this.#create(proto, src, dst, sub, now);
      if (!(made instanceof Mapping)) return made;
      m = made;
      created = true;
      if (mb === 'endpoint-independent') this.#eim.set(src.ip, pp, m);
      else {
        if (!bucket) this.#dep.set(src.ip, pp, (bucket = new Map()));
        bucket.set(sub, m);
      }
    }
    const r = created ? m : remoteFor(m, dst.ip, dst.port, now);
    m.packetsOut++;
    r.seen |= 1;
    this.#touch(m, r, flags, true, now);
    return { mapping: m, created };
  }

  /**
   * Finds or creates the mapping `src` gets towards `dst`, as an outbound packet would, and keeps
   * it and `dst`'s permission alive until at least `until` (ms): PCP's PEER (RFC 6887 §12). No
   * packet is counted.
   */
  hold(protocol: Protocol, src: Endpoint, dst: Endpoint, until: number, now: number): OutboundResult | NatRefusal {
    const r = this.outbound(protocol, src, dst, 0, now);
    if ('code' in r) return r;
    const m = r.mapping;
    m.packetsOut--;
    const remote = findRemote(m, dst.ip, dst.port);
    if (remote !== undefined && remote.until < until) remote.until = until;
    if (until > m.heldUntil) m.heldUntil = until;
    if (until > m.expiresAt) {
      m.expiresAt = until;
      this.#heap.schedule(m);
    }
    return r;
  }

  /**
   * Finds the mapping for an inbound packet to `dst` (an external endpoint) from `src`, and
   * applies the filtering policy.
   */
  inbound(protocol: Protocol, src: Endpoint, dst: Endpoint, flags: number, now: number): Mapping | NatRefusal {
    const proto = PROTO_CODE[protocol];
    const m = this.#inbound.get(key3(dst.ip, dst.port, proto));
    if (m === undefined) return NO_MAPPING;
    if (m.expiresAt <= now) {
      this.#remove(m, 'expired', now);
      return NO_MAPPING;
    }
    if (!this.admits(m, src, now)) return { code: 'filtered', mapping: m };
    m.packetsIn++;
    if (proto === 1) {
      const r = remoteFor(m, src.ip, src.port, now); // a connection opened from outside is tracked too
      r.seen |= 2;
      this.#touch(m, r, flags, false, now);
    } else if (this.policy.refreshOnInbound) {
      const r = findRemote(m, src.ip, src.port);
      if (r !== undefined) r.seen |= 2;
      this.#touch(m, r, flags, false, now);
    }
    return m;
  }

  /** The mapping holding an external endpoint (no filtering, no refresh). */
  lookupExternal(protocol: Protocol, ext: Endpoint, now: number): Mapping | undefined {
    const m = this.#inbound.get(key3(ext.ip, ext.port, PROTO_CODE[protocol]));
    return m && m.expiresAt > now ? m : undefined;
  }

  /**
   * The live mapping an outbound packet from `internal` to `remote` would use, without creating
   * or refreshing one (an ICMP error a LAN host sends about inbound traffic, RFC 5508).
   */
  lookupInternal(protocol: Protocol, internal: Endpoint, remote: Endpoint, now: number): Mapping | undefined {
    const pp = internal.port * 4 + PROTO_CODE[protocol];
    const mb = this.policy.mapping;
    const m =
      mb === 'endpoint-independent'
        ? this.#eim.get(internal.ip, pp)
        : this.#dep.get(internal.ip, pp)?.get(mb === 'address-dependent' ? remote.ip : remote.ip * 65536 + remote.port);
    return m && m.expiresAt > now ? m : undefined;
  }

  /**
   * Does the mapping's filtering admit a packet from `src` at `now`? A remote is admitted while
   * its permission lasts: the protocol's idle timer (for TCP, its connection's) from the last
   * packet sent to it, whatever traffic to other remotes keeps the mapping itself alive.
   */
  admits(m: Mapping, src: Endpoint, now: number): boolean {
    switch (this.policy.filtering) {
      case 'endpoint-independent':
        return true;
      case 'address-dependent':
        return admitsAddress(m, src.ip, now);
      case 'address-and-port-dependent':
        return admitsEndpoint(m, src.ip, src.port, now);
    }
  }

  /**
   * When the sender `src` (its endpoint, or for address-dependent filtering its address) was once
   * admitted and its permission has run out: the latest time it ran out (ms); otherwise undefined.
   */
  lapsedPermission(m: Mapping, src: Endpoint, now: number): number | undefined {
    return lapsedUntil(m, src.ip, this.policy.filtering === 'address-dependent' ? -1 : src.port, now);
  }

  /** Remote endpoints a mapping still admits (first remote first), as `a.b.c.d:port`. */
  static admitted(m: Mapping, now: number): string[] {
    return liveRemotes(m, now).map(([ip, port]) => `${formatIPv4(ip)}:${port}`);
  }

  /** Removes mappings whose timers ran out at or before `now`; returns how many. */
  expire(now: number): number {
    if (this.#heap.peekTime() > now) return 0;
    return this.#heap.expire(now, (m) => this.#remove(m, 'expired', now));
  }

  /** The time of the next timer (Infinity when none). */
  nextExpiry(): number {
    return this.#heap.peekTime();
  }

  /** Drops every mapping. */
  clear(now: number): void {
    for (const m of [...this.#inbound.values()]) this.#remove(m, 'cleared', now);
  }

  /** Live mappings. */
  *mappings(now: number): IterableIterator<Mapping> {
    for (const m of this.#inbound.values()) if (m.expiresAt > now) yield m;
  }

  /** A plain view of a mapping (`now`, default its last refresh, decides which TCP connections count as live). */
  static info(m: Mapping, now = -Infinity): MappingInfo {
    const info: MappingInfo = {
      protocol: m.protocol,
      internal: formatEndpoint(m.internal),
      external: formatEndpoint(m.external),
      remote: `${formatIPv4(m.remoteIp)}:${m.remotePort}`,
      expiresAt: m.expiresAt,
    };
    if (m.proto !== 1) return info;
    const st = tcpSummary(m, now);
    const tcpState = st === TcpState.Established ? 'established' : st === TcpState.Closing ? 'closing' : 'transitory';
    return { ...info, tcpState };
  }

  /** Whether `port` on the primary external address is held by a dynamic mapping; who holds it. */
  dynamicHolder(protocol: Protocol, port: number, now: number): Mapping | undefined {
    const ip = this.externalIps[0];
    if (ip === undefined) return undefined;
    return this.lookupExternal(protocol, { ip, port }, now);
  }

  /**
   * Refreshes a mapping for a packet exchanged with remote `r` (undefined: a remote without
   * state, e.g. an inbound refresh from a stranger under endpoint-independent filtering).
   * UDP/ICMP: the remote's permission and the mapping both run the protocol's timer from now.
   * TCP (RFC 5382 REQ-5): the remote's connection moves on and runs its own state's timer; the
   * mapping lives as long as its longest-lived connection.
   */
  #touch(m: Mapping, r: RemoteState | undefined, flags: number, outbound: boolean, now: number): void {
    const t = this.policy.timers;
    if (m.proto === 1 && r !== undefined) {
      tcpStep(r, flags, outbound);
      r.until = now + tcpTimeout(r, t) * 1000;
      m.expiresAt = r.until >= m.expiresAt ? r.until : latestUntil(m, now);
    } else {
      m.expiresAt = now + (m.proto === 0 ? t.udp : m.proto === 2 ? t.icmp : t.tcpTransitory) * 1000;
      if (r !== undefined) r.until = m.expiresAt;
    }
    if (m.heldUntil > m.expiresAt) m.expiresAt = m.heldUntil;
    this.#heap.schedule(m);
  }

  #create(proto: number, src: Endpoint, dst: Endpoint, subKey: number, now: number): Mapping | NatRefusal {
    if (this.#heap.peekTime() <= now) this.expire(now); // so that a held port bit always means a live holder
    const p = this.policy;
    const count = this.#perHost.get(src.ip) ?? 0;
    if (p.portQuota > 0 && count >= p.portQuota) return { code: 'port-quota', quota: p.portQuota };
    const extIp = this.#pickAddress(src.ip);
    const blocks = this.portBlocks;
    const extPort = blocks
      ? blocks.pick(src.ip, extIp, p.portAssignment === 'preserve' ? src.port : -1, (port) =>
          this.#portFree(proto, extIp, port, src.ip, now),
        )
      : this.#pickPort(proto, src, extIp, now);
    if (extPort < 0) {
      return blocks ? { code: 'port-blocks-full', blocks: blocks.policy.perSubscriber, size: blocks.policy.size } : PORTS_EXHAUSTED;
    }
    blocks?.take(extIp, extPort);
    const m = new Mapping(proto, src.ip, src.port, extIp, extPort, dst.ip, dst.port, subKey, now);
    this.#inbound.set(key3(extIp, extPort, proto), m);
    this.#heldBits(proto, extIp)[extPort >>> 5]! |= 1 << (extPort & 31);
    this.#perHost.set(src.ip, count + 1);
    return m;
  }

  #heldBits(proto: number, extIp: IPv4): Int32Array {
    const byIp = this.#held[proto]!;
    let bits = byIp.get(extIp | 0);
    if (bits === undefined) byIp.set(extIp | 0, (bits = new Int32Array(2048)));
    return bits;
  }

  #pickAddress(intIp: IPv4): IPv4 {
    const pool = this.externalIps;
    if (pool.length === 1) return pool[0]!;
    if (this.policy.pooling === 'paired') {
      let ip = this.#paired.get(intIp);
      if (ip === undefined) {
        ip = pool[this.#pairedNext++ % pool.length]!;
        this.#paired.set(intIp, ip);
      }
      return ip;
    }
    return pool[this.rng.int(0, pool.length - 1)]!;
  }

  #portFree(proto: number, extIp: IPv4, port: number, intIp: IPv4, now: number): boolean {
    const k = key3(extIp, port, proto);
    const holder = this.#inbound.get(k);
    if (holder !== undefined) {
      if (holder.expiresAt > now) return false;
      this.#remove(holder, 'expired', now);
    }
    if (extIp === this.externalIps[0] && this.guard.isHeld(CODE_PROTO[proto]!, port)) return false;
    if (this.policy.portReuseDelay > 0) {
      const f = this.#freed.get(k);
      if (f !== undefined) {
        if (f.until > now && f.intIp !== intIp) return false;
        if (f.until <= now) this.#freed.delete(k);
      }
    }
    return true;
  }

  #pickPort(proto: number, src: Endpoint, extIp: IPv4, now: number): number {
    const p = this.policy;
    const low = p.portRangePreservation && src.port < 1024;
    const lo = low ? 1 : 1024;
    const hi = low ? 1023 : 65535;
    const fits = (port: number): boolean => !p.portParity || (port & 1) === (src.port & 1);
    const inRange = src.port >= lo && src.port <= hi;
    if (p.portAssignment === 'preserve' && inRange && this.#portFree(proto, extIp, src.port, src.ip, now)) return src.port;
    let start: number;
    if (p.portAssignment === 'random') {
      for (let tries = 0; tries < 32; tries++) {
        let port = this.rng.int(lo, hi);
        if (!fits(port)) port = port + 1 > hi ? port - 1 : port + 1;
        if (this.#portFree(proto, extIp, port, src.ip, now)) return port;
      }
      start = this.rng.int(lo, hi);
    } else if (p.portAssignment === 'sequential') {
      start = lo + (this.#nextSeq++ % (hi - lo + 1));
    } else {
      start = inRange ? src.port + 1 : lo; // preserve fell through: next free above
    }
    const span = hi - lo + 1;
    if (!fits(start)) start++;
    const held = this.#heldBits(proto, extIp);
    for (let i = 0; i < span; i++) {
      const port = lo + ((start - lo + i) % span);
      const word = held[port >>> 5]!;
      if (word & (1 << (port & 31))) {
        // held by a live mapping; a fully held word skips to its last port (hi is ≡ 31 mod 32: no wrap)
        if (word === -1) i += 31 - (port & 31);
        continue;
      }
      if (!fits(port)) continue;
      if (this.#portFree(proto, extIp, port, src.ip, now)) {
        if (p.portAssignment === 'sequential') this.#nextSeq = port - lo + 1;
        return port;
      }
    }
    return -1;
  }

  #remove(m: Mapping, reason: 'expired' | 'cleared', now: number): void {
    const ik = key3(m.extIp, m.extPort, m.proto);
    if (this.#inbound.get(ik) !== m) return;
    this.#inbound.delete(ik);
    this.#heldBits(m.proto, m.extIp)[m.extPort >>> 5]! &= ~(1 << (m.extPort & 31));
    this.#heap.cancel(m);
    this.portBlocks?.release(m.extIp, m.extPort);
    const pp = m.intPort * 4 + m.proto;
    if (this.policy.mapping === 'endpoint-independent') {
      if (this.#eim.get(m.intIp, pp) === m) this.#eim.delete(m.intIp, pp);
    } else {
      const b = this.#dep.get(m.intIp, pp);
      if (b?.get(m.subKey) === m) {
        b.delete(m.subKey);
        if (b.size === 0) this.#dep.delete(m.intIp, pp);
      }
    }
    const c = (this.#perHost.get(m.intIp) ?? 1) - 1;
    if (c <= 0) this.#perHost.delete(m.intIp);
    else this.#perHost.set(m.intIp, c);
    if (this.policy.portReuseDelay > 0) {
      const freedAt = reason === 'expired' ? Math.min(now, m.expiresAt) : now;
      this.#freed.set(ik, { until: freedAt + this.policy.portReuseDelay * 1000, intIp: m.intIp });
    }
    this.onRemove?.(m, reason, now);
  }
}

const NO_MAPPING: NatRefusal = { code: 'no-mapping' };
const PORTS_EXHAUSTED: NatRefusal = { code: 'ports-exhausted' };
