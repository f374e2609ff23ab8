/**
 * The port-forward table of one NAT: static forwards, UPnP/NAT-PMP/PCP mappings, ALG expectations
 * and firewall pinholes all live here, and compete with dynamic mappings for external ports
 * through one arbiter ({@link ForwardTable.check}).
 */
import { type IPv4, inPrefix, type Prefix, parseIPv4 } from './address.js';
import { type MappingEventType, ModelEvents } from './events.js';
import { type Expiring, TimerHeap } from './timer-heap.js';

/** Which mechanism created a forward. */
export type ForwardOrigin = 'static' | 'upnp' | 'natpmp' | 'pcp' | 'pinhole' | 'alg';

/** Protocols a forward can carry. */
export type ForwardProtocol = 'udp' | 'tcp';

/** What a caller asks for. Addresses are dotted-quad text. */
export interface ForwardSpec {
  protocol: ForwardProtocol;
  /** 1–65535. */
  externalPort: number;
  internalClient: string;
  internalPort: number;
  /** Only this remote address may use the forward; '' or absent = any. */
  remoteHost?: string;
  description?: string;
  /** Lease in seconds; 0 or absent = no expiry. */
  leaseSeconds?: number;
  origin: ForwardOrigin;
  enabled?: boolean;
  /** Who asked (the control point's address); defaults to the internal client. */
  owner?: string;
  /** PCP's mapping nonce (never shown in UPnP listings). */
  nonce?: string;
  /** PCP FILTER options: the remote peers allowed to use the mapping (none = any). */
  filters?: readonly ForwardFilter[];
}

/** A remote-peer filter of a mapping (PCP FILTER, RFC 6887 §13.3): an IPv4 prefix and a port (0 = any). */
export interface ForwardFilter {
  readonly prefix: Prefix;
  readonly port: number;
}

/**
 * Whether a mapping's FILTERs admit a remote peer (RFC 6887 §13.3): no filters admit every peer;
 * otherwise the peer must fall in one filter's prefix, on its port (0 = any port).
 */
export function admitsPeer(e: Pick<ForwardEntry, 'filters'>, remoteIp: IPv4, remotePort: number): boolean {
  const filters = e.filters;
  if (filters === undefined || filters.length === 0) return true;
  return filters.some((f) => inPrefix(remoteIp, f.prefix) && (f.port === 0 || f.port === remotePort));
}

/** A live entry of the table. */
export interface ForwardEntry extends Expiring {
  readonly id: number;
  readonly protocol: ForwardProtocol;
  readonly externalPort: number;
  readonly internalClient: string;
  readonly internalClientIp: IPv4;
  readonly internalPort: number;
  /** '' = any remote host. */
  readonly remoteHost: string;
  readonly remoteHostIp: IPv4 | undefined;
  readonly description: string;
  readonly origin: ForwardOrigin;
  readonly enabled: boolean;
  readonly owner: string;
  readonly nonce?: string;
  /** PCP FILTER options recorded with the mapping (absent = any remote peer). */
  readonly filters?: readonly ForwardFilter[];
  readonly createdAt: number;
  /** The lease asked for, in seconds (0 = permanent). */
  readonly leaseSeconds: number;
  /** Absolute expiry in ms (Infinity for permanent entries). */
  expiresAt: number;
  queuedAt: number;
  /** Packets that used this forward, inbound and outbound. */
  packets: number;
}

/** Why an external port cannot be had. Adapters map these to protocol error codes. */
export type ConflictReason = 'held-by-other-client' | 'held-by-dynamic-mapping' | 'reserved-port' | 'table-full';

export interface Conflict {
  readonly reason: ConflictReason;
  /** Who holds the port, e.g. `192.168.1.20:5000` or `upnp mapping for 192.168.1.20`. */
  readonly holder?: string;
  readonly message: string;
}

export type AddResult =
  | { readonly ok: true; readonly entry: ForwardEntry; readonly replaced?: ForwardEntry }
  | { readonly ok: false; readonly conflict: Conflict };

/** Asked by the arbiter about external ports held by dynamic (outbound-created) mappings. */
export interface DynamicPortProbe {
  /** The internal endpoint holding `protocol`/`port` dynamically, as text, or undefined. */
  dynamicHolder(protocol: ForwardProtocol, externalPort: number, now: number): string | undefined;
}

/** Entries a forward table holds unless told otherwise. */
export const MAX_FORWARDS = 4096;

export interface ForwardTableOptions {
  /** Ports the router itself listens on (e.g. its UPnP HTTP port): never forwardable. */
  reservedPorts?: Iterable<{ protocol: ForwardProtocol; port: number }>;
  /** Maximum number of entries (default 4096). */
  maxEntries?: number;
  /** Where changes are published (default: a stream of the table's own). */
  events?: ModelEvents;
  /** The router id events carry (default ''). */
  routerId?: string;
}

const internalKey = (protocol: ForwardProtocol, ip: IPv4, port: number): number => (ip * 65536 + port) * 2 + (protocol === 'tcp' ? 1 : 0);
const key = (protocol: ForwardProtocol, port: number): number => (protocol === 'tcp' ? 65536 : 0) + port;

/** The forward table of one router. */
export class ForwardTable {
  readonly #byPort = new Map<number, ForwardEntry[]>();
  readonly #byInternal = new Map<number, ForwardEntry[]>();
  #order: ForwardEntry[] = [];
  readonly #heap = new TimerHeap<ForwardEntry>();
  readonly #reserved = new Set<number>();
  #nextId = 1;
  #probe: DynamicPortProbe | undefined;
  readonly maxEntries: number;
  /** The stream mapping-created/refreshed/removed/expired are published on. */
  readonly events: ModelEvents;
  readonly #routerId: string;

  constructor(options: ForwardTableOptions = {}) {
    for (const r of options.reservedPorts ?? []) this.#reserved.add(key(r.protocol, r.port));
    this.maxEntries = options.maxEntries ?? MAX_FORWARDS;
    this.events = options.events ?? new ModelEvents();
    this.#routerId = options.routerId ?? '';
  }

  /** Connects the arbiter to the NAT's dynamic mappings (done by the router). */
  attachDynamicProbe(probe: DynamicPortProbe): void {
    this.#probe = probe;
  }

  /** Marks a port as used by the router itself. */
  reservePort(protocol: ForwardProtocol, port: number): void {
    this.#reserved.add(key(protocol, port));
  }

  /** True when the router itself uses this port. */
  isReserved(protocol: ForwardProtocol, port: number): boolean {
    return this.#reserved.has(key(protocol, port));
  }

  get size(): number {
    return this.#order.length;
  }

  /** Entries in creation order (the index order of GetGenericPortMappingEntry). */
  list(): readonly ForwardEntry[] {
    return this.#order;
  }

  /** The entry at `index` in creation order. */
  at(index: number): ForwardEntry | undefined {
    return this.#order[index];
  }

  /** The entry with exactly this protocol, external port and remote host ('' = wildcard). */
  find(protocol: ForwardProtocol, externalPort: number, remoteHost = ''): ForwardEntry | undefined {
    return this.#byPort.get(key(protocol, externalPort))?.find((e) => e.remoteHost === remoteHost);
  }

  /**
   * The arbiter: may `internalClient` have `protocol`/`externalPort` (for `remoteHost`)?
   * Undefined when yes (including when it already holds it), else the conflict.
   */
  check(
    protocol: ForwardProtocol,
    externalPort: number,
    internalClient: string,
    remoteHost = '',
    now = 0,
    internalPort?: number,
  ): Conflict | undefined {
    if (this.#reserved.has(key(protocol, externalPort))) {
      return {
        reason: 'reserved-port',
        holder: 'the router',
        message: `${protocol.toUpperCase()} port ${externalPort} is used by the router itself`,
      };
    }
    const same = this.find(protocol, externalPort, remoteHost);
    if (same && same.expiresAt > now && same.internalClient !== internalClient) {
      return {
        reason: 'held-by-other-client',
        holder: `${same.internalClient}:${same.internalPort}`,
        message: `${protocol.toUpperCase()} port ${externalPort} is forwarded to ${same.internalClient}:${same.internalPort} (${same.origin})`,
      };
    }
    const dyn = this.#probe?.dynamicHolder(protocol, externalPort, now);
    // The flow that already holds the port dynamically may turn it into a forward of its own.
    if (dyn !== undefined && dyn !== `${internalClient}:${internalPort}`) {
      return {
        reason: 'held-by-dynamic-mapping',
        holder: dyn,
        message: `${protocol.toUpperCase()} port ${externalPort} is in use by a dynamic mapping for ${dyn}`,
      };
    }
    return undefined;
  }

  /**
   * Adds a forward, or replaces the entry with the same protocol, external port and remote host
   * when it belongs to the same internal client (the UPnP overwrite rule).
   */
  add(spec: ForwardSpec, now: number): AddResult {
    const remoteHost = spec.remoteHost ?? '';
    const conflict = this.check(spec.protocol, spec.externalPort, spec.internalClient, remoteHost, now, spec.internalPort);
    if (conflict) return { ok: false, conflict };
    const existing = this.find(spec.protocol, spec.externalPort, remoteHost);
    if (!existing && this.#order.length >= this.maxEntries) {
      return {
        ok: false,
        conflict: { reason: 'table-full', message: `the forward table is full (${this.maxEntries} entries)` },
      };
    }
    const lease = spec.leaseSeconds ?? 0;
    const entry: ForwardEntry = {
      id: this.#nextId++,
      protocol: spec.protocol,
      externalPort: spec.externalPort,
      internalClient: spec.internalClient,
      internalClientIp: parseIPv4(spec.internalClient),
      internalPort: spec.internalPort,
      remoteHost,
      remoteHostIp: remoteHost === '' ? undefined : parseIPv4(remoteHost),
      description: spec.description ?? '',
      origin: spec.origin,
      enabled: spec.enabled ?? true,
      owner: spec.owner ?? spec.internalClient,
      ...(spec.nonce !== undefined ? { nonce: spec.nonce } : {}),
      ...(spec.filters !== undefined && spec.filters.length > 0 ? { filters: spec.filters } : {}),
      createdAt: now,
      leaseSeconds: lease,
      expiresAt: lease > 0 ? now + lease * 1000 : Infinity,
      queuedAt: -1,
      packets: 0,
    };
    if (existing) {
      // Replace in place: the entry keeps its index in the table.
      this.#detach(existing, false);
      const i = this.#order.indexOf(existing);
      this.#order[i] = entry;
    } else {
      this.#order.push(entry);
    }
    const k = key(entry.protocol, entry.externalPort);
    const list = this.#byPort.get(k);
    if (list) {
      list.push(entry);
      // Specific remote hosts first, so data-plane matching prefers them.
      list.sort((a, b) => (a.remoteHost === '' ? 1 : 0) - (b.remoteHost === '' ? 1 : 0));
    } else {
      this.#byPort.set(k, [entry]);
    }
    const ik = internalKey(entry.protocol, entry.internalClientIp, entry.internalPort);
    const il = this.#byInternal.get(ik);
    if (il) il.push(entry);
    else this.#byInternal.set(ik, [entry]);
    this.#heap.schedule(entry);
    if (existing) {
      this.#emit('mapping-refreshed', entry, now);
      return { ok: true, entry, replaced: existing };
    }
    this.#emit('mapping-created', entry, now);
    return { ok: true, entry };
  }

  /** Removes the entry with this protocol, external port and remote host. */
  remove(protocol: ForwardProtocol, externalPort: number, remoteHost = '', now = 0): ForwardEntry | undefined {
    const entry = this.find(protocol, externalPort, remoteHost);
    if (!entry) return undefined;
    this.#removeEntry(entry, 'mapping-removed', now);
    return entry;
  }

  /** Removes a given entry (`now` is the time the event carries). */
  delete(entry: ForwardEntry, now = 0): boolean {
    if (!this.#order.includes(entry)) return false;
    this.#removeEntry(entry, 'mapping-removed', now);
    return true;
  }

  /** Removes every entry (optionally only those of one origin). */
  clear(origin?: ForwardOrigin, now = 0): number {
    const victims = this.#order.filter((e) => origin === undefined || e.origin === origin);
    for (const e of victims) this.#removeEntry(e, 'mapping-removed', now);
    return victims.length;
  }

  /**
   * A free external port for `internalClient`: `preferred` if free, else the nearest free port
   * above it (wrapping within 1024–65535). Undefined when none is free.
   */
  findFreePort(protocol: ForwardProtocol, preferred: number, internalClient: string, now: number): number | undefined {
    const lo = 1024;
    const span = 65536 - lo;
    const start = preferred >= lo && preferred <= 65535 ? preferred : lo;
    if (preferred > 0 && preferred < lo && !this.check(protocol, preferred, internalClient, '', now)) return preferred;
    for (let i = 0; i < span; i++) {
      const port = lo + ((start - lo + i) % span);
      const existing = this.find(protocol, port, '');
      if (existing && existing.internalClient === internalClient) continue; // never steal own entries silently
      if (!this.check(protocol, port, internalClient, '', now)) return port;
    }
    return undefined;
  }

  /** Removes and reports entries whose lease ended at or before `now`. */
  expire(now: number): ForwardEntry[] {
    const out: ForwardEntry[] = [];
    if (this.#heap.peekTime() > now) return out;
    this.#heap.expire(now, (entry) => {
      out.push(entry);
      this.#removeEntry(entry, 'mapping-expired', now);
    });
    return out;
  }

  /** The time of the next lease expiry (Infinity when none). */
  nextExpiry(): number {
    return this.#heap.peekTime();
  }

  /** Data plane: the enabled, unexpired entry accepting an inbound packet, if any. */
  matchInbound(protocol: ForwardProtocol, externalPort: number, remoteIp: IPv4, remotePort: number, now: number): ForwardEntry | undefined {
    const list = this.#byPort.get(key(protocol, externalPort));
    if (!list) return undefined;
    for (const e of list) {
      if (!e.enabled || e.expiresAt <= now) continue;
      if ((e.remoteHostIp === undefined || e.remoteHostIp === remoteIp) && admitsPeer(e, remoteIp, remotePort)) return e;
    }
    return undefined;
  }

  /** Entries on a port, for explaining refusals (including ones restricted to other remotes). */
  entriesOnPort(protocol: ForwardProtocol, externalPort: number): readonly ForwardEntry[] {
    return this.#byPort.get(key(protocol, externalPort)) ?? [];
  }

  /**
   * Data plane: the forward whose internal endpoint is this one, so outbound traffic from it
   * leaves on the forward's external port (as miniupnpd's SNAT rules do).
   */
  matchOutbound(protocol: ForwardProtocol, internalIp: IPv4, internalPort: number, remoteIp: IPv4, now: number): ForwardEntry | undefined {
    const list = this.#byInternal.get(internalKey(protocol, internalIp, internalPort));
    if (!list) return undefined;
    for (const e of list) {
      if (e.enabled && e.expiresAt > now && (e.remoteHostIp === undefined || e.remoteHostIp === remoteIp)) return e;
    }
    return undefined;
  }

  /** Remaining lease in whole seconds (0 for permanent entries). */
  static remainingSeconds(entry: ForwardEntry, now: number): number {
    if (entry.expiresAt === Infinity) return 0;
    return Math.max(0, Math.ceil((entry.expiresAt - now) / 1000));
  }

  #removeEntry(entry: ForwardEntry, type: 'mapping-removed' | 'mapping-expired', now: number): void {
    this.#detach(entry, true);
    this.#emit(type, entry, now);
  }

  #detach(entry: ForwardEntry, fromOrder: boolean): void {
    this.#heap.cancel(entry);
    const k = key(entry.protocol, entry.externalPort);
    const list = this.#byPort.get(k);
    if (list) {
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.#byPort.delete(k);
    }
    const ik = internalKey(entry.protocol, entry.internalClientIp, entry.internalPort);
    const il = this.#byInternal.get(ik);
    if (il) {
      const i = il.indexOf(entry);
      if (i >= 0) il.splice(i, 1);
      if (il.length === 0) this.#byInternal.delete(ik);
    }
    if (fromOrder) {
      const i = this.#order.indexOf(entry);
      if (i >= 0) this.#order.splice(i, 1);
    }
  }

  #emit(type: MappingEventType, entry: ForwardEntry, now: number): void {
    if (!this.events.has(type)) return;
    this.events.emit({ type, router: this.#routerId, at: now, mapping: entry, origin: entry.origin });
  }
}
