/**
 * A router that makes its mappings at the next NAT out too, over PCP (RFC 6887): the UPnP
 * IGD-PCP interworking function of RFC 6970 (`iwf`: UPnP mappings) and the PCP proxy of RFC 7648
 * (`proxy`: PCP mappings). When the router's mapping service grants a mapping of a relayed origin,
 * the relay sends a PCP MAP from the router's WAN address to the PCP server of its parent router
 * (the one whose LAN holds that address) as a datagram through the model, so the parent's own
 * policy decides; the parent's answer decides the local one. A NAT router maps its own WAN
 * address and external port upstream (the mapping then runs Internet → parent → router → host); a
 * router without NAT asks with THIRD_PARTY for the LAN host itself.
 *
 * Upstream lifetimes follow the local ones: a renewal at half the granted lifetime (RFC 6887
 * §11.2.1) while the local mapping lives, a delete (lifetime 0) when it is removed or runs out,
 * nothing when the router reboots (it forgets), every mapping asked again when the parent
 * reboots or changes address (what its unsolicited ANNOUNCE tells a PCP client, §14.1.3).
 * The wire format is injected ({@link PcpWire}): the model holds no codec.
 */
import { NATPMP_CLIENT_PORT, NATPMP_PORT, PCP_RESULT } from '../constants.js';
import { ep } from './address.js';
import type { ModelEvents } from './events.js';
import type { ForwardEntry, ForwardOrigin, ForwardProtocol } from './forward-table.js';
import type { MappingRelay, RelayOutcome, UpstreamMapping } from './mapping-relay.js';
import type { MappingRequest, Refusal, SearchStrategy } from './mapping-service.js';
import type { Exchange, RouterOrigin, SendOptions } from './network.js';
import type { Packet } from './packet.js';
import type { Router } from './router.js';
import type { RouterSide, SocketHandler } from './router-sockets.js';

/** Which local mappings a router relays upstream over PCP. */
export type UpstreamMode =
  /** UPnP IGD mappings (RFC 6970, the IGD-PCP interworking function). */
  | 'iwf'
  /** PCP mappings its LAN asks for (RFC 7648, a PCP proxy). */
  | 'proxy';

/** A router's upstream settings (`upstream:` of a scenario router). */
export interface UpstreamSettings {
  readonly pcp: readonly UpstreamMode[];
}

/** One PCP MAP request, as data. */
export interface UpstreamMapRequest {
  /** The client address field: the router's WAN address (the packet's source). */
  readonly client: string;
  /** 24 hex digits. */
  readonly nonce: string;
  readonly protocol: ForwardProtocol;
  readonly internalPort: number;
  readonly suggestedPort: number;
  /** Seconds; 0 deletes. */
  readonly lifetime: number;
  readonly preferFailure: boolean;
  /** THIRD_PARTY: the LAN host the mapping is for (a router without NAT). */
  readonly thirdParty?: string;
}

/** A MAP response, as data. */
export interface UpstreamMapReply {
  readonly result: number;
  readonly lifetime: number;
  readonly epoch: number;
  readonly externalAddress: string;
  readonly externalPort: number;
}

/** The PCP wire format, injected by the layer that speaks it (src/pcp/upstream-wire.ts). */
export interface PcpWire {
  encodeMap(request: UpstreamMapRequest): Uint8Array;
  /** The MAP response `datagram` holds; undefined when it holds none (NAT-PMP's answer, garbage). */
  decodeMap(datagram: Uint8Array): UpstreamMapReply | undefined;
  /** A result code's name, e.g. `CANNOT_PROVIDE_EXTERNAL`. */
  resultName(result: number): string;
}

/** What the relay needs of its network. */
export interface RelayNetwork {
  readonly events: ModelEvents;
  exchange(from: RouterOrigin, packet: Packet, options?: SendOptions): Exchange;
  bind(routerId: string, side: RouterSide, proto: 'udp' | 'tcp', port: number, handler?: SocketHandler): () => void;
}

/** The UDP port the relay's PCP client sends from (and hears answers on) on the router's WAN address. */
export const UPSTREAM_CLIENT_PORT = NATPMP_CLIENT_PORT;
/** What a permanent local mapping asks upstream for: a day, renewed while it lives. */
export const UPSTREAM_PERMANENT_LIFETIME = 86400;
/** How the relay learns the upstream address with no mapping yet: a short MAP of the discard port. */
export const UPSTREAM_PROBE = { port: 9, lifetime: 30 } as const;
/** At most this many renewals per {@link UpstreamPcpRelay.renew} call; later ones wait for the next. */
const MAX_RENEWALS_PER_CALL = 100_000;

/** A relayed mapping: the local entry and what the upstream made of it. */
interface Relayed {
  entry: ForwardEntry;
  readonly nonce: string;
  readonly preferFailure: boolean;
  upstream: UpstreamMapping;
  /** When to renew (ms). */
  renewAt: number;
}

/** How an exchange with the upstream ended when it brought no MAP answer. */
type Unanswered = { readonly answered: false; readonly why: string };
type Answered = { readonly answered: true; readonly reply: UpstreamMapReply };

/** The PCP refusal of the upstream as the local service's refusal (RFC 6970's error table, by meaning). */
export function upstreamRefusal(result: number): Refusal {
  switch (result) {
    case PCP_RESULT.NOT_AUTHORIZED:
      return 'upstream-not-authorized';
    case PCP_RESULT.CANNOT_PROVIDE_EXTERNAL:
      return 'upstream-conflict';
    case PCP_RESULT.NO_RESOURCES:
    case PCP_RESULT.USER_EX_QUOTA:
      return 'upstream-no-resources';
    default:
      return 'upstream-failure';
  }
}

const keyOf = (e: Pick<ForwardEntry, 'protocol' | 'externalPort' | 'remoteHost'>): string =>
  `${e.protocol}/${e.externalPort}/${e.remoteHost}`;
const hex = (n: number, digits: number): string => (n >>> 0).toString(16).padStart(digits, '0').slice(-digits);

/** The relay of one router to its parent. */
export class UpstreamPcpRelay implements MappingRelay {
  readonly modes: readonly UpstreamMode[];
  readonly #net: RelayNetwork;
  readonly #router: Router;
  readonly #parent: Router;
  readonly #wire: PcpWire;
  readonly #table = new Map<string, Relayed>();
  /** The upstream's external address, as its last answer said. */
  #address: string | undefined;
  #nonces = 0;
  /** No renewal is due before this (ms): {@link renew} returns at once until then. */
  #earliest = Infinity;

  constructor(net: RelayNetwork, router: Router, parent: Router, settings: UpstreamSettings, wire: PcpWire) {
    this.#net = net;
    this.#router = router;
    this.#parent = parent;
    this.modes = [...new Set(settings.pcp)];
    this.#wire = wire;
    router.forwards.reservePort('udp', UPSTREAM_CLIENT_PORT);
    net.bind(router.id, 'wan', 'udp', UPSTREAM_CLIENT_PORT);
    const events = net.events;
    const gone = (e: { router: string; mapping: ForwardEntry; at: number }): void => {
      if (e.router === router.id) this.#dropped(e.mapping, e.at);
    };
    events.on('mapping-removed', gone);
    events.on('mapping-expired', gone);
    events.on('mapping-refreshed', (e) => {
      const r = e.router === router.id ? this.#table.get(keyOf(e.mapping)) : undefined;
      if (r) r.entry = e.mapping;
    });
    events.on('router-rebooted', (e) => {
      if (e.router === parent.id) this.#remapAll(e.at);
    });
    events.on('wan-address-changed', (e) => {
      if (e.router === parent.id) this.#remapAll(e.at);
    });
  }

  /** The router asked. */
  get parent(): string {
    return this.#parent.id;
  }

  /** Live relayed mappings: the local entry and the upstream one. */
  list(): Array<{ readonly local: ForwardEntry; readonly upstream: UpstreamMapping }> {
    return [...this.#table.values()].map((r) => ({ local: r.entry, upstream: r.upstream }));
  }

  relays(origin: ForwardOrigin): boolean {
    return (origin === 'upnp' && this.modes.includes('iwf')) || (origin === 'pcp' && this.modes.includes('proxy'));
  }

  relay(req: MappingRequest, entry: ForwardEntry, now: number): RelayOutcome {
    const key = keyOf(entry);
    const known = this.#table.get(key);
    const nonce = known?.nonce ?? this.#nonce(entry.protocol, entry.externalPort);
    const preferFailure = (req.search ?? 'exact') === ('exact' satisfies SearchStrategy);
    const a = this.#map(entry, nonce, preferFailure, this.#askedLifetime(entry, now), now);
    if (!a.answered) {
      this.#table.delete(key);
      return { ok: true, note: `not relayed: ${a.why}` };
    }
    const { reply } = a;
    if (reply.result !== PCP_RESULT.SUCCESS) {
      this.#table.delete(key);
      return {
        ok: false,
        refusal: upstreamRefusal(reply.result),
        message: `${this.#parent.id} answered PCP MAP ${entry.protocol.toUpperCase()} ${this.#internalText(entry)} with ${reply.result} ${this.#wire.resultName(reply.result)}`,
        upstream: { router: this.#parent.id, result: reply.result },
      };
    }
    const upstream = this.#record(entry, nonce, preferFailure, reply, now);
    return { ok: true, upstream };
  }

  externalAddress(origin: ForwardOrigin, now?: number): string | undefined {
    if (!this.relays(origin)) return undefined;
    if (this.#address !== undefined || now === undefined) return this.#address;
    const probe = this.#exchange(
      {
        client: this.#router.wanAddress,
        nonce: this.#nonce('udp', 0, 0),
        protocol: 'udp',
        internalPort: UPSTREAM_PROBE.port,
        suggestedPort: 0,
        lifetime: UPSTREAM_PROBE.lifetime,
        preferFailure: false,
      },
      now,
    );
    if (probe.answered && probe.reply.result === PCP_RESULT.SUCCESS) this.#address = probe.reply.externalAddress;
    return this.#address;
  }

  reset(): void {
    this.#table.clear();
    this.#address = undefined;
  }

  /** Renews every relayed mapping whose renewal fell due by `now`, each at its due time. */
  renew(now: number): void {
    if (now < this.#earliest) return;
    let budget = MAX_RENEWALS_PER_CALL;
    for (;;) {
      let due: Relayed | undefined;
      let earliest = Infinity;
      for (const r of this.#table.values()) {
        if (r.renewAt <= now && (!due || r.renewAt < due.renewAt)) due = r;
        else if (r.renewAt < earliest) earliest = r.renewAt;
      }
      if (!due || budget-- <= 0) {
        this.#earliest = due ? now : earliest;
        return;
      }
      const at = due.renewAt;
      if (due.entry.expiresAt <= at) {
        // The local mapping ran out first: its expiry deletes the upstream one.
        due.renewAt = Infinity;
        continue;
      }
      this.#renewOne(due, at);
    }
  }

  #renewOne(r: Relayed, at: number): void {
    const a = this.#map(r.entry, r.nonce, r.preferFailure, this.#askedLifetime(r.entry, at), at, false);
    if (a.answered && a.reply.result === PCP_RESULT.SUCCESS) {
      this.#record(r.entry, r.nonce, r.preferFailure, a.reply, at);
      return;
    }
    // Refused or unanswered: the upstream mapping is lost; the local one stays, as the LAN asked.
    this.#table.delete(keyOf(r.entry));
  }

  /** The parent lost or renumbered its state: ask for every mapping again. */
  #remapAll(at: number): void {
    this.#address = undefined;
    for (const r of [...this.#table.values()]) this.#renewOne(r, at);
  }

  /** A local mapping went: its upstream one is deleted (lifetime 0). */
  #dropped(entry: ForwardEntry, at: number): void {
    const key = keyOf(entry);
    const r = this.#table.get(key);
    if (!r || r.entry !== entry) return;
    this.#table.delete(key);
    this.#map(entry, r.nonce, false, 0, at);
  }

  #record(entry: ForwardEntry, nonce: string, preferFailure: boolean, reply: UpstreamMapReply, at: number): UpstreamMapping {
    const upstream: UpstreamMapping = {
      router: this.#parent.id,
      externalAddress: reply.externalAddress,
      externalPort: reply.externalPort,
      lifetime: reply.lifetime,
    };
    this.#address = reply.externalAddress;
    const renewAt = reply.lifetime > 0 ? at + Math.max(1, Math.floor(reply.lifetime / 2)) * 1000 : Infinity;
    this.#table.set(keyOf(entry), { entry, nonce, preferFailure, upstream, renewAt });
    if (renewAt < this.#earliest) this.#earliest = renewAt;
    return upstream;
  }

  /** The upstream lifetime a local mapping asks for: what is left of its lease, or a day for a permanent one. */
  #askedLifetime(entry: ForwardEntry, at: number): number {
    if (entry.expiresAt === Infinity) return UPSTREAM_PERMANENT_LIFETIME;
    return Math.max(1, Math.ceil((entry.expiresAt - at) / 1000));
  }

  /** MAP (or delete, lifetime 0) of a local entry upstream. */
  #map(entry: ForwardEntry, nonce: string, preferFailure: boolean, lifetime: number, at: number, trace = true): Answered | Unanswered {
    const nat = this.#router.natEnabled;
    return this.#exchange(
      {
        client: this.#router.wanAddress,
        nonce,
        protocol: entry.protocol,
        internalPort: nat ? entry.externalPort : entry.internalPort,
        suggestedPort: entry.externalPort,
        lifetime,
        preferFailure: preferFailure && lifetime > 0,
        ...(nat ? {} : { thirdParty: entry.internalClient }),
      },
      at,
      trace,
    );
  }

  #internalText(entry: ForwardEntry): string {
    return this.#router.natEnabled
      ? `${this.#router.wanAddress}:${entry.externalPort}`
      : `${entry.internalClient}:${entry.internalPort} (THIRD_PARTY)`;
  }

  /** One MAP through the model; `trace`: hop sentences (a client's request; renewals go without). */
  #exchange(request: UpstreamMapRequest, at: number, trace = true): Answered | Unanswered {
    const x = this.#net.exchange(
      { router: this.#router.id, side: 'wan' },
      {
        proto: 'udp',
        src: ep(request.client, UPSTREAM_CLIENT_PORT),
        dst: ep(this.#parent.lanAddress, NATPMP_PORT),
        data: this.#wire.encodeMap(request),
      },
      { at, trace },
    );
    if (!x.answer) {
      const why = x.request.delivered
        ? `nothing answers PCP on ${this.#parent.id}'s UDP ${NATPMP_PORT}`
        : `the request was dropped at ${x.request.drop?.node ?? 'the network'} (${x.request.drop?.code ?? 'no answer'})`;
      return { answered: false, why };
    }
    const reply = this.#wire.decodeMap(x.answer);
    if (!reply)
      return { answered: false, why: `${this.#parent.id} does not speak PCP on UDP ${NATPMP_PORT} (its answer is no PCP MAP response)` };
    return { answered: true, reply };
  }

  /** A stable nonce: the router's WAN address, the protocol, the port and a counter. */
  #nonce(protocol: ForwardProtocol, port: number, n = ++this.#nonces): string {
    const wan = this.#router.externalAddresses[0]!;
    return `${hex(wan, 8)}${protocol === 'udp' ? '11' : '06'}${hex(port, 4)}${hex(n, 10)}`;
  }
}
