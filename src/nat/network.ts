/**
 * The router tree: the Internet at the root, routers with LANs, hosts on LANs or on the Internet.
 * {@link Network.send} delivers a packet between any two endpoints and traces every hop.
 */
import { formatEndpoint, formatIPv4, type IPv4, inPrefix, parseIPv4 } from './address.js';
import { type Clock, FakeClock, type Rng, SeededRng } from './clock.js';
import { ModelEvents } from './events.js';
import { checkPacket, describePacket, type Packet } from './packet.js';
import { type IcmpErrorStep, Router, type RouterConfig, type StepResult } from './router.js';
import { type RouterSide, RouterSockets, type SocketHandler } from './router-sockets.js';
import { type Hop, type HopAction, REASONS, type ReasonCode } from './trace.js';
import { type PcpWire, UpstreamPcpRelay } from './upstream-pcp.js';

/** The id of the root network. */
export const INTERNET = 'internet';

/** A host: an address on a router's LAN or on the Internet. */
export interface HostConfig {
  readonly id: string;
  readonly address: string;
  /** More addresses the host holds on the same network (e.g. a STUN server's alternate address). */
  readonly aliases?: readonly string[];
  /** Router id, or 'internet' (default). */
  readonly on?: string;
}

/** A host at runtime. */
export interface Host {
  readonly id: string;
  /** The primary address: what the host sends from unless it binds another of its addresses. */
  readonly ip: IPv4;
  readonly address: string;
  /** Its other addresses (empty for most hosts). */
  readonly aliases: readonly IPv4[];
  /** Router id or 'internet'. */
  readonly on: string;
}

/** Whether `ip` is one of `host`'s addresses. */
export function holds(host: Host, ip: IPv4): boolean {
  return ip === host.ip || (host.aliases.length > 0 && host.aliases.includes(ip));
}

/** Where a packet ended up. */
export interface Delivery {
  readonly delivered: boolean;
  /** Host id (or `router:<id>` for the router itself) the packet was delivered to. */
  readonly to?: string;
  /** The packet as it arrived (or as it was when dropped). */
  readonly packet: Packet;
  /** Every hop, when tracing (always contains the final hop). */
  readonly hops: readonly Hop[];
  /** The hop that dropped the packet. */
  readonly drop?: Hop;
  /**
   * Routers that forwarded the packet (translated, routed or hairpinned it), counted with or
   * without tracing: an IPv4 datagram's TTL drops by this much on the way.
   */
  readonly routers: number;
}

/** An ICMP error to carry (RFC 5508): its outer addresses and the header it quotes. */
export interface IcmpErrorSpec {
  /** The error's source address (the sending host's, or a router's own address). */
  readonly src: IPv4;
  /** The error's destination: the source of the quoted packet as the sender of the error saw it. */
  readonly dst: IPv4;
  /** The quoted packet's header (protocol, endpoints) as it reached the sender of the error. */
  readonly embedded: Packet;
}

/** Where an ICMP error ended up, translated at every NAT on the way. */
export interface IcmpErrorDelivery {
  readonly delivered: boolean;
  /** Host id (or `router:<id>`) the error was delivered to. */
  readonly to?: string;
  /** Outer addresses and quoted header as delivered (or as they were at the drop). */
  readonly src: IPv4;
  readonly dst: IPv4;
  readonly embedded: Packet;
  /** Routers the error crossed, in order (each decrements the TTL). */
  readonly routers: readonly string[];
  /** Why it was dropped: node, reason code and sentence. */
  readonly drop?: { readonly node: string; readonly code: ReasonCode; readonly message: string };
}

export interface SendOptions {
  /** Record every hop with a sentence (default true). Off for speed: only the last hop is kept. */
  readonly trace?: boolean;
  /**
   * Model time (ms) to carry the packet at; default the clock's now. For a timer that fell due
   * before the clock was read (a renewal {@link Network.expire} runs when time has jumped past it).
   */
  readonly at?: number;
}

/** A router sending from one of its own sockets: its LAN address, or its WAN address. */
export interface RouterOrigin {
  readonly router: string;
  readonly side: RouterSide;
}

/** A request datagram and its answer, both carried through the model ({@link Network.exchange}). */
export interface Exchange {
  /** The request's journey. */
  readonly request: Delivery;
  /** The reply's journey, when a router socket answered. */
  readonly reply?: Delivery;
  /** The reply's bytes, when it got back to the sender. */
  readonly answer?: Uint8Array;
}

/**
 * One broadcast domain: the Internet or a router's LAN. Maps are keyed by `ip | 0`: addresses from
 * 128.0.0.0 up (192.168/16, most of the Internet) are not small integers, and V8 hashes a boxed
 * number key through a runtime call with one more cache miss per probe.
 */
class Segment {
  readonly hosts = new Map<number, Host>();
  /** Child routers by each of their WAN-side addresses. */
  readonly children = new Map<number, Router>();
  /** Child routers without NAT, reached by their LAN prefix. */
  readonly routed: Router[] = [];
  /** Child NATs with destinations excluded from translation: their replies are routed to the LAN. */
  readonly excluding: Router[] = [];
  constructor(readonly owner: Router | null) {}

  routedChild(ip: IPv4): Router | undefined {
    for (const r of this.routed) if (inPrefix(ip, r.lanPrefix)) return r;
    return undefined;
  }

  excludingChild(p: Packet): Router | undefined {
    for (const r of this.excluding) if (r.acceptsUntranslated(p)) return r;
    return undefined;
  }
}

export interface NetworkOptions {
  readonly clock?: Clock;
  /**
   * The scenario's random source (default `new SeededRng(1)`). Each router draws from its own
   * stream, `rng.fork('router:<id>')`, so adding a router does not change the ports another picks;
   * a source without `fork` is shared by every router.
   */
  readonly rng?: Rng;
  /**
   * The PCP wire format (src/pcp/upstream-wire.ts's `PCP_WIRE`), for routers that relay their
   * mappings upstream (`upstream` in a {@link RouterConfig}); the model holds no codec of its own.
   */
  readonly pcpWire?: PcpWire;
}

/** The whole modelled network. */
export class Network {
  readonly clock: Clock;
  readonly rng: Rng;
  /** The model's event stream: every router of this network publishes here. */
  readonly events = new ModelEvents();
  readonly #internet = new Segment(null);
  readonly #lans = new Map<string, Segment>();
  readonly #routers = new Map<string, Router>();
  readonly #hosts = new Map<string, Host>();
  readonly #hostSeg = new Map<string, Segment>();
  readonly #sockets = new RouterSockets();
  readonly #relays: UpstreamPcpRelay[] = [];
  readonly #pcpWire: PcpWire | undefined;

  constructor(options: NetworkOptions = {}) {
    this.clock = options.clock ?? new FakeClock();
    this.rng = options.rng ?? new SeededRng(1);
    this.#pcpWire = options.pcpWire;
  }

  /** Adds a router under its parent (which must exist already). */
  addRouter(config: RouterConfig): Router {
    if (this.#routers.has(config.id) || this.#hosts.has(config.id) || config.id === INTERNET) {
      throw new Error(`duplicate node id "${config.id}"`);
    }
    const parent = this.#segment(config.parent ?? INTERNET, `router ${config.id}`);
    const rng = this.rng.fork ? this.rng.fork(`router:${config.id}`) : this.rng;
    const router = new Router(config, rng, this.clock.now(), this.events);
    for (const ip of router.externalAddresses) this.#claim(parent, ip, `router ${config.id}`);
    for (const ip of router.externalAddresses) parent.children.set(ip | 0, router);
    if (!router.natEnabled) parent.routed.push(router);
    else if (router.excluded.length > 0) parent.excluding.push(router);
    const lan = new Segment(router);
    this.#lans.set(router.id, lan);
    this.#routers.set(router.id, router);
    this.events.on('wan-address-changed', (c) => {
      if (c.router !== router.id) return;
      parent.children.delete(parseIPv4(c.old) | 0);
      for (const ip of router.externalAddresses) parent.children.set(ip | 0, router);
    });
    if (config.upstream && config.upstream.pcp.length > 0) this.#relayUpstream(router, config);
    return router;
  }

  #relayUpstream(router: Router, config: RouterConfig): void {
    const parent = this.#routers.get(router.parentId);
    if (!parent) throw new Error(`router ${router.id}: upstream PCP needs a parent router to ask (its parent is the Internet)`);
    if (!this.#pcpWire) throw new Error(`router ${router.id}: upstream PCP needs a network with a PCP wire (NetworkOptions.pcpWire)`);
    const relay = new UpstreamPcpRelay(this, router, parent, config.upstream!, this.#pcpWire);
    router.mappings.attachRelay(relay);
    this.#relays.push(relay);
  }

  /** Adds a host on a router's LAN or on the Internet. */
  addHost(config: HostConfig): Host {
    if (this.#routers.has(config.id) || this.#hosts.has(config.id) || config.id === INTERNET) {
      throw new Error(`duplicate node id "${config.id}"`);
    }
    const on = config.on ?? INTERNET;
    const seg = this.#segment(on, `host ${config.id}`);
    const texts = [config.address, ...(config.aliases ?? [])];
    const ips = texts.map((text) => parseIPv4(text));
    if (new Set(ips).size !== ips.length) throw new Error(`host ${config.id}: an address is listed twice (${texts.join(', ')})`);
    ips.forEach((ip, i) => {
      if (seg.owner && !seg.owner.onLan(ip)) {
        throw new Error(
          `host ${config.id}: ${texts[i]} is not in ${on}'s LAN ${formatIPv4(seg.owner.lanPrefix.addr)}/${seg.owner.lanPrefix.len}`,
        );
      }
      this.#claim(seg, ip, `host ${config.id}`);
    });
    const [ip, ...aliases] = ips as [IPv4, ...IPv4[]];
    const host: Host = { id: config.id, ip, address: config.address, aliases, on };
    for (const a of ips) seg.hosts.set(a | 0, host);
    this.#hosts.set(host.id, host);
    this.#hostSeg.set(host.id, seg);
    return host;
  }

  router(id: string): Router {
    const r = this.#routers.get(id);
    if (!r) throw new Error(`no router "${id}"`);
    return r;
  }

  /** Whether `id` names a router of this network. */
  hasRouter(id: string): boolean {
    return this.#routers.has(id);
  }

  host(id: string): Host {
    const h = this.#hosts.get(id);
    if (!h) throw new Error(`no host "${id}"`);
    return h;
  }

  get routers(): readonly Router[] {
    return [...this.#routers.values()];
  }

  get hosts(): readonly Host[] {
    return [...this.#hosts.values()];
  }

  /** The chain of routers from a host up to the Internet (nearest first). */
  pathToInternet(hostId: string): Router[] {
    const out: Router[] = [];
    let seg = this.#hostSeg.get(hostId);
    if (!seg) throw new Error(`no host "${hostId}"`);
    while (seg.owner) {
      out.push(seg.owner);
      seg = this.#segment(seg.owner.parentId, '');
    }
    return out;
  }

  /**
   * Expires leases and mappings on every router at the clock's current time. Routers relaying
   * mappings upstream renew them first, each at the time its renewal fell due.
   */
  expire(): void {
    const now = this.clock.now();
    for (const relay of this.#relays) relay.renew(now);
    for (const r of this.#routers.values()) r.expire(now);
  }

  /**
   * Sends a packet from a host. The packet's source address must be the host's (otherwise it is
   * dropped with `spoofed-source`); it is routed, translated and filtered hop by hop until it is
   * delivered or dropped. Throws `PacketError` for malformed fields (ports, addresses).
   */
  send(from: string, packet: Packet, options: SendOptions = {}): Delivery {
    return this.#published(from, this.#route(from, packet, options), options);
  }

  /**
   * Sends a packet from a router's own socket: from its LAN address into its LAN, or from its WAN
   * address onto its parent's network (so it crosses the parent's NAT like any packet from that
   * LAN). A source that is not the router's address on that side is dropped with
   * `spoofed-source`. Events name the sender `router:<id>`.
   */
  sendFromRouter(routerId: string, side: RouterSide, packet: Packet, options: SendOptions = {}): Delivery {
    const router = this.router(routerId);
    checkPacket(packet);
    const trace = options.trace ?? true;
    const hops: Hop[] = [];
    const own = side === 'lan' ? packet.src.ip === router.lanAddress : router.isExternal(packet.src.ip);
    if (!own) {
      hops.push(
        this.#hop(
          trace,
          routerId,
          'drop',
          'spoofed-source',
          packet,
          undefined,
          () => `dropped at ${routerId}: ${formatIPv4(packet.src.ip)} is not its ${side.toUpperCase()} address`,
        ),
      );
      return this.#published(`router:${routerId}`, this.#dropped(packet, hops, 0), options);
    }
    const seg = side === 'lan' ? this.#lans.get(routerId)! : this.#segment(router.parentId, '');
    const now = options.at ?? this.clock.now();
    return this.#published(`router:${routerId}`, this.#walk(seg, packet, trace, now, hops), options);
  }

  /**
   * Binds a socket of a router (see {@link RouterSockets}): a port on its LAN address, or on its
   * WAN address (datagrams for it are then delivered to the router, not translated inward). With
   * a handler, {@link exchange} hands it the datagrams that arrive and carries its answers back.
   * Returns the unbind function; throws for a port bound already.
   */
  bind(routerId: string, side: RouterSide, proto: 'udp' | 'tcp', port: number, handler?: SocketHandler): () => void {
    this.router(routerId);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`router ${routerId}: socket port ${port} is not 1–65535`);
    return this.#sockets.bind({ router: routerId, side, proto, port, ...(handler ? { handler } : {}) });
  }

  /**
   * Sends a request datagram (`packet.data`) from a host or a router socket; when it reaches a
   * router socket with a handler, the handler's answer is carried back from that socket to the
   * request's source as it arrived (through the same NATs, reversed). `answer` holds the reply's
   * bytes when they got back to the sender.
   */
  exchange(from: string | RouterOrigin, packet: Packet, options: SendOptions = {}): Exchange {
    const request =
      typeof from === 'string' ? this.send(from, packet, options) : this.sendFromRouter(from.router, from.side, packet, options);
    if (!request.delivered || !request.to?.startsWith('router:')) return { request };
    const serverId = request.to.slice('router:'.length);
    const server = this.router(serverId);
    const arrived = request.packet;
    const side: RouterSide = arrived.dst.ip === server.lanAddress ? 'lan' : 'wan';
    const socket = this.#sockets.get(serverId, side, arrived.proto, arrived.dst.port);
    if (!socket?.handler || arrived.data === undefined || arrived.proto === 'icmp') return { request };
    const now = options.at ?? this.clock.now();
    const answer = socket.handler(arrived.data, arrived.src, now);
    if (!answer) return { request };
    const reply = this.sendFromRouter(serverId, side, { proto: arrived.proto, src: arrived.dst, dst: arrived.src, data: answer }, options);
    const back = typeof from === 'string' ? from : `router:${from.router}`;
    return reply.delivered && reply.to === back && reply.packet.data ? { request, reply, answer: reply.packet.data } : { request, reply };
  }

  #published(from: string, d: Delivery, options: SendOptions): Delivery {
    const type = d.delivered ? 'packet-delivered' : 'packet-dropped';
    if (this.events.has(type)) {
      const hop = d.hops[d.hops.length - 1]!;
      this.events.emit({
        type,
        router: hop.node,
        at: options.at ?? this.clock.now(),
        from,
        packet: d.packet,
        hop,
        reason: hop.code,
        ...(d.to !== undefined ? { to: d.to } : {}),
      });
    }
    return d;
  }

  /**
   * Carries an ICMP error (destination unreachable, time exceeded …) from a host, or from a router
   * (`from` a router id: the error leaves on that router's LAN, as for a datagram whose TTL ran
   * out there), towards the source of the packet it quotes. Every NAT on the way finds its mapping
   * by the quoted header alone (no new mapping, no refresh, no filtering) and translates the
   * outer address and the quoted header (RFC 5508 REQ-1, REQ-3, REQ-4); a NAT that has no
   * mapping drops it with `icmp-no-mapping`. No event is emitted.
   * @see RFC 5508 section 4
   */
  sendIcmpError(from: string, error: IcmpErrorSpec, options: SendOptions = {}): IcmpErrorDelivery {
    const trace = options.trace ?? true;
    const now = this.clock.now();
    checkPacket(error.embedded);
    let seg: Segment;
    let src = error.src;
    let dst = error.dst;
    let embedded = error.embedded;
    const routers: string[] = [];
    const result = (drop?: IcmpErrorDelivery['drop'], to?: string): IcmpErrorDelivery => ({
      delivered: drop === undefined,
      src,
      dst,
      embedded,
      routers,
      ...(to !== undefined ? { to } : {}),
      ...(drop ? { drop } : {}),
    });
    const host = this.#hosts.get(from);
    if (host) {
      if (!holds(host, error.src)) {
        return result({
          node: from,
          code: 'spoofed-source',
          message: trace
            ? `dropped at ${from}: its address is ${host.address}, not the source ${formatIPv4(error.src)}`
            : REASONS['spoofed-source'],
        });
      }
      seg = this.#hostSeg.get(from)!;
    } else if (this.#routers.has(from)) {
      seg = this.#lans.get(from)!;
    } else throw new Error(`no host or router "${from}"`);
    const failed = (node: string, r: Extract<IcmpErrorStep, { ok: false }>) =>
      result({ node, code: r.code, message: trace ? `dropped at ${node}: ${r.message}` : REASONS[r.code] });
    let fromAbove = false;
    for (let n = 0; n < 64; n++) {
      const target = seg.hosts.get(dst | 0);
      if (target) return result(undefined, target.id);
      const owner = seg.owner;
      if (owner && dst === owner.lanAddress) return result(undefined, `router:${owner.id}`);
      const child = seg.children.get(dst | 0) ?? (seg.routed.length ? seg.routedChild(dst) : undefined);
      if (child) {
        const r = child.icmpErrorInbound(embedded, now, trace);
        if (!r.ok) return failed(child.id, r);
        routers.push(child.id);
        dst = r.outer;
        embedded = r.embedded;
        seg = this.#lans.get(child.id)!;
        fromAbove = true;
        continue;
      }
      if (owner && !fromAbove) {
        const r = owner.icmpErrorOutbound(embedded, now, trace);
        if (!r.ok) return failed(owner.id, r);
        routers.push(owner.id);
        src = r.outer;
        embedded = r.embedded;
        if (owner.isExternal(dst)) {
          // Hairpinned: back through the same router's inbound side.
          const back = owner.icmpErrorInbound(embedded, now, trace);
          if (!back.ok) return failed(owner.id, back);
          dst = back.outer;
          embedded = back.embedded;
          fromAbove = true;
          continue;
        }
        seg = this.#segment(owner.parentId, '');
        continue;
      }
      const where = owner ? owner.id : INTERNET;
      const code: ReasonCode = owner ? 'no-host' : 'no-route';
      return result({
        node: where,
        code,
        message: trace
          ? owner
            ? `dropped at ${where}: no host has address ${formatIPv4(dst)} on its LAN`
            : `dropped on the Internet: no route to ${formatIPv4(dst)}${isPrivateText(dst)}`
          : REASONS[code],
      });
    }
    return result({ node: INTERNET, code: 'ttl-exceeded', message: 'dropped: routing loop' });
  }

  #route(from: string, packet: Packet, options: SendOptions): Delivery {
    const host = this.#hosts.get(from);
    if (!host) throw new Error(`no host "${from}"`);
    checkPacket(packet);
    const trace = options.trace ?? true;
    const hops: Hop[] = [];
    if (!holds(host, packet.src.ip)) {
      hops.push(
        this.#hop(
          trace,
          from,
          'drop',
          'spoofed-source',
          packet,
          undefined,
          () =>
            `dropped at ${from}: its address is ${host.address}, not the source ${formatIPv4(packet.src.ip)} (a spoofed source is not sent)`,
        ),
      );
      return this.#dropped(packet, hops, 0);
    }
    return this.#walk(this.#hostSeg.get(from)!, packet, trace, options.at ?? this.clock.now(), hops);
  }

  /** Carries a packet from segment `start` (sent by something on it) hop by hop to its end. */
  #walk(start: Segment, packet: Packet, trace: boolean, now: number, hops: Hop[]): Delivery {
    let seg = start;
    let p = packet;
    let fromAbove = false;
    let crossed = false;
    let routers = 0;
    for (let n = 0; n < 64; n++) {
      const dip = p.dst.ip;
      const target = seg.hosts.get(dip | 0);
      if (target) {
        const code: ReasonCode = crossed ? 'delivered' : 'same-lan';
        const hop = this.#hop(trace, target.id, 'deliver', code, p, undefined, () =>
          crossed
            ? `delivered to ${target.id} (${formatEndpoint(p.dst)})`
            : seg.owner
              ? `delivered to ${target.id} on the same LAN, no router involved`
              : `delivered to ${target.id} across the Internet, no NAT involved`,
        );
        hops.push(hop);
        return { delivered: true, to: target.id, packet: p, hops, routers };
      }
      const owner = seg.owner;
      if (owner && dip === owner.lanAddress) {
        hops.push(
          this.#hop(
            trace,
            owner.id,
            'deliver',
            'to-router',
            p,
            undefined,
            () => `delivered to router ${owner.id} itself (${formatEndpoint(p.dst)})`,
          ),
        );
        return { delivered: true, to: `router:${owner.id}`, packet: p, hops, routers };
      }
      const child =
        seg.children.get(dip | 0) ??
        (seg.routed.length ? seg.routedChild(dip) : undefined) ??
        (seg.excluding.length ? seg.excludingChild(p) : undefined);
      if (child && this.#sockets.size > 0 && this.#ownSocket(child, p)) {
        hops.push(
          this.#hop(
            trace,
            child.id,
            'deliver',
            'to-router',
            p,
            undefined,
            () => `delivered to router ${child.id} itself (${formatEndpoint(p.dst)}, a socket of its own on its WAN address)`,
          ),
        );
        return { delivered: true, to: `router:${child.id}`, packet: p, hops, routers };
      }
      if (child) {
        const r = child.inbound(p, now, trace);
        const step = this.#step(trace, child.id, r, p, hops);
        if (!step) return this.#dropped(p, hops, routers);
        p = step;
        routers++;
        seg = this.#lans.get(child.id)!;
        fromAbove = true;
        crossed = true;
        continue;
      }
      if (owner && !fromAbove && owner.isExternal(dip)) {
        const r = owner.hairpin(p, now, trace);
        const step = this.#step(trace, owner.id, r, p, hops);
        if (!step) return this.#dropped(p, hops, routers);
        p = step;
        routers++;
        crossed = true;
        continue;
      }
      if (owner && !fromAbove) {
        const r = owner.outbound(p, now, trace);
        const step = this.#step(trace, owner.id, r, p, hops);
        if (!step) return this.#dropped(p, hops, routers);
        p = step;
        routers++;
        seg = this.#segment(owner.parentId, '');
        crossed = true;
        continue;
      }
      const where = owner ? owner.id : INTERNET;
      if (owner) {
        hops.push(
          this.#hop(
            trace,
            where,
            'drop',
            'no-host',
            p,
            undefined,
            () => `dropped at ${where}: no host has address ${formatIPv4(dip)} on its LAN`,
          ),
        );
      } else {
        hops.push(
          this.#hop(
            trace,
            where,
            'drop',
            'no-route',
            p,
            undefined,
            () => `dropped on the Internet: no route to ${formatIPv4(dip)}${isPrivateText(dip)}`,
          ),
        );
      }
      return this.#dropped(p, hops, routers);
    }
    hops.push(this.#hop(trace, INTERNET, 'drop', 'ttl-exceeded', p, undefined, () => 'dropped: routing loop'));
    return this.#dropped(p, hops, routers);
  }

  /** A packet for a port the router has bound on its primary WAN address. */
  #ownSocket(router: Router, p: Packet): boolean {
    return (
      p.proto !== 'icmp' &&
      p.dst.ip === router.externalAddresses[0] &&
      this.#sockets.get(router.id, 'wan', p.proto, p.dst.port) !== undefined
    );
  }

  #step(trace: boolean, node: string, r: StepResult, before: Packet, hops: Hop[]): Packet | undefined {
    if (!r.ok) {
      hops.push(this.#hop(trace, node, 'drop', r.code, before, undefined, () => `dropped at ${node}: ${r.message}`));
      return undefined;
    }
    if (trace) {
      const action: HopAction =
        r.code === 'routed' || r.code === 'not-translated' ? 'forward' : r.code === 'hairpin' ? 'hairpin' : 'translate';
      const hop = this.#hop(trace, node, action, r.code, before, r.packet, () => {
        const what = r.code === 'routed' ? `forwarded by ${node}` : `${REASONS[r.code]} at ${node}`;
        const change = r.packet === before ? describePacket(before) : `${describePacket(before)} ⇒ ${describePacket(r.packet)}`;
        return `${what}: ${change}${r.note ? ` (${r.note})` : ''}`;
      });
      hops.push(r.admission ? { ...hop, admission: r.admission } : hop);
    }
    return r.packet;
  }

  #hop(
    trace: boolean,
    node: string,
    action: HopAction,
    code: ReasonCode,
    before: Packet,
    after: Packet | undefined,
    message: () => string,
  ): Hop {
    const hop: Hop = { node, action, code, before, message: trace ? message() : REASONS[code] };
    return after ? { ...hop, after } : hop;
  }

  #dropped(p: Packet, hops: Hop[], routers: number): Delivery {
    return { delivered: false, packet: p, hops, drop: hops[hops.length - 1]!, routers };
  }

  #segment(id: string, who: string): Segment {
    if (id === INTERNET) return this.#internet;
    const s = this.#lans.get(id);
    if (!s) throw new Error(`${who}: no router "${id}" (add parents before children)`);
    return s;
  }

  #claim(seg: Segment, ip: IPv4, who: string): void {
    const h = seg.hosts.get(ip | 0);
    const r = seg.children.get(ip | 0);
    if (h || r || seg.owner?.lanAddress === ip) {
      throw new Error(
        `${who}: address ${formatIPv4(ip)} is already used by ${h ? `host ${h.id}` : r ? `router ${r.id}` : `router ${seg.owner!.id}`}`,
      );
    }
  }
}

function isPrivateText(ip: IPv4): string {
  const a = ip >>> 24;
  const b = (ip >>> 16) & 255;
  if (a === 10 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168))
    return ` (${formatIPv4(ip)} is a private RFC 1918 address: it is not routed on the Internet)`;
  if (a === 100 && b >= 64 && b < 128)
    return ` (${formatIPv4(ip)} is in the carrier-NAT shared space 100.64.0.0/10: it is not routed on the Internet)`;
  return '';
}
