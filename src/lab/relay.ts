/**
 * The lab's relay: every datagram a host's bridge sends to the relay socket is one IPv4 packet
 * that host sent; {@link carryDatagram} takes it through the model and the result is written to
 * the destination host's bridge (which writes it into that host's TUN). Nothing else is sent:
 * a datagram the model drops, or one for an address no host has, goes nowhere.
 *
 * A router the lab gives a namespace of its own ({@link LabRelay.addRouter}: its services run
 * there) is a host on its LAN: what the model delivers to it from its LAN (`router:<id>`) goes to
 * its namespace, and what it sends goes straight to the LAN host it is addressed to (same
 * segment, no NAT), or to every host of its LAN when it is multicast. Multicast a LAN host sends
 * (224.0.0.0/4: SSDP, NAT-PMP announcements) is not routed: it reaches the other hosts of its LAN
 * and the router's namespace, as on a real LAN. A router without a namespace answers ICMP echo
 * from its LAN (ping the gateway); anything else delivered to it is dropped, `to-router`.
 * With a {@link LabStun}, the reflectors' UDP 3478 and 3479 are answered by the built-in STUN
 * server, whose replies go through the model like any packet.
 */
import type { Socket } from 'node:dgram';
import type { Network } from '../nat/network.js';
import type { CaptureSink } from './capture.js';
import { type CarryResult, carryDatagram } from './carry.js';
import { copyBytes, internetChecksum, write16 } from './checksum.js';
import { ICMP_TYPE, IPPROTO } from './ipv4.js';
import type { LabStun } from './lab-stun.js';

/** A datagram the lab did not deliver: who sent it, which stage refused it, the reason code and sentence. */
export interface LabDrop {
  readonly from: string;
  /**
   * `decode`, `model`, `ttl` (see {@link carryDatagram}) or `lab`: delivered to a router the lab
   * does not serve (`to-router`), a router's own datagram off its LAN (`router-off-lan`),
   * multicast off a LAN (`multicast-off-lan`), or a datagram the lab cannot read (`lab-error`).
   */
  readonly stage: 'decode' | 'model' | 'ttl' | 'lab';
  readonly code: string;
  readonly message: string;
  /** The node that dropped it (stage `model`). */
  readonly node?: string;
}

/** Counters of a running relay. */
export interface RelayStats {
  /** Datagrams received from the hosts' bridges. */
  readonly received: number;
  /** Datagrams written to a host's bridge (ICMP errors and echo replies the lab made included). */
  readonly delivered: number;
  /** Drops by reason code. */
  readonly dropped: Readonly<Record<string, number>>;
}

export interface RelayOptions {
  /** Ask the model for sentences in drops (slower; default false: the reason's short text). */
  readonly trace?: boolean;
  /** Called for every drop. */
  readonly onDrop?: (drop: LabDrop) => void;
  /** Receives every capture point (see capture.ts). */
  readonly capture?: CaptureSink;
  /**
   * Bypass the model: deliver each datagram unchanged to the host holding its destination
   * address (host ids by address). The benchmarks' baseline: the same plumbing, no NAT.
   */
  readonly plain?: ReadonlyMap<number, string>;
  /** The reflectors' built-in STUN server (answers their UDP 3478/3479 instead of their namespace). */
  readonly stun?: LabStun;
}

const LOOPBACK = '127.0.0.1';

/** 224.0.0.0/4, by the first byte of the destination address. */
const isMulticast = (bytes: Uint8Array): boolean => bytes.length >= 20 && bytes[16]! >= 224 && bytes[16]! < 240;

/** The relay between the bridges' UDP datagrams and the model. */
export class LabRelay {
  readonly #hostByPort = new Map<number, string>();
  readonly #portByHost = new Map<string, number>();
  readonly #routerByPort = new Map<number, string>();
  readonly #portByRouter = new Map<string, number>();
  /** Each router's LAN hosts in the lab, by address. */
  readonly #lanHosts = new Map<string, Map<number, string>>();
  #received = 0;
  #delivered = 0;
  readonly #dropped = new Map<string, number>();

  constructor(
    private readonly socket: Socket,
    private readonly network: Network,
    private readonly options: RelayOptions = {},
  ) {
    socket.on('message', (bytes, rinfo) => this.#onDatagram(bytes, rinfo.port));
  }

  /** Routes datagrams from (and to) bridge port `port` for host `id`. */
  addHost(id: string, port: number): void {
    this.#hostByPort.set(port, id);
    this.#portByHost.set(id, port);
    const host = this.network.host(id);
    if (host.on === 'internet') return;
    let lan = this.#lanHosts.get(host.on);
    if (!lan) this.#lanHosts.set(host.on, (lan = new Map()));
    for (const ip of [host.ip, ...host.aliases]) lan.set(ip, id);
  }

  /** Routes datagrams from (and to) bridge port `port` for router `id`'s own namespace. */
  addRouter(id: string, port: number): void {
    this.#routerByPort.set(port, id);
    this.#portByRouter.set(id, port);
  }

  get stats(): RelayStats {
    return { received: this.#received, delivered: this.#delivered, dropped: Object.fromEntries(this.#dropped) };
  }

  #onDatagram(bytes: Buffer, port: number): void {
    const from = this.#hostByPort.get(port);
    if (from === undefined) {
      const router = this.#routerByPort.get(port);
      if (router !== undefined) this.#fromRouter(router, bytes);
      return;
    }
    this.#received++;
    if (this.options.plain) {
      const to = bytes.length >= 20 ? this.options.plain.get(bytes.readInt32BE(16)) : undefined;
      if (to !== undefined) this.#deliver(to, bytes);
      else this.#drop({ from, stage: 'lab', code: 'no-host', message: 'plain forwarding: no lab host has the destination address' });
      return;
    }
    if (isMulticast(bytes)) {
      this.#multicast(from, bytes);
      return;
    }
    this.#carry(from, bytes, true);
  }

  /** Carries one datagram sent by `from` and delivers the result; `serve`: let the built-in STUN server answer. */
  #carry(from: string, bytes: Uint8Array, serve: boolean): void {
    let r: CarryResult;
    try {
      r = carryDatagram(this.network, from, bytes, {
        inPlace: true,
        ...(this.options.trace ? { trace: true } : {}),
        ...(this.options.capture ? { capture: this.options.capture } : {}),
      });
    } catch (e) {
      this.#drop({ from, stage: 'lab', code: 'lab-error', message: `the lab failed on this datagram: ${(e as Error).message}` });
      return;
    }
    if (r.ok) {
      if (r.to.startsWith('router:')) this.#toRouter(from, r.to.slice('router:'.length), r.bytes, r.routers);
      else if (serve && this.options.stun?.serves(r.to)) this.#stun(r.to, r.bytes);
      else this.#deliver(r.to, r.bytes);
      return;
    }
    this.#drop({ from, stage: r.stage, code: r.code, message: r.message, ...(r.node ? { node: r.node } : {}) });
    if (r.timeExceeded) this.#deliver(r.timeExceeded.to, r.timeExceeded.bytes);
  }

  /** A datagram for a reflector: the STUN server's reply is carried from the reflector (or its alternate). */
  #stun(to: string, bytes: Uint8Array): void {
    const reply = this.options.stun!.answer(to, bytes);
    if (reply === undefined) this.#deliver(to, bytes);
    else if (reply) this.#carry(reply.from, reply.bytes, false);
  }

  #deliver(to: string, bytes: Uint8Array): void {
    const port = this.#portByHost.get(to);
    if (port === undefined) return;
    this.#delivered++;
    this.socket.send(bytes, port, LOOPBACK);
  }

  /** Into a router's own namespace (seen on its LAN side). */
  #deliverToRouter(router: string, port: number, bytes: Uint8Array): void {
    this.#delivered++;
    this.options.capture?.({ router, side: 'inside', bytes: copyBytes(bytes) });
    this.socket.send(bytes, port, LOOPBACK);
  }

  /** Multicast from a LAN host: to the other hosts of its LAN and to its router's namespace. */
  #multicast(from: string, bytes: Uint8Array): void {
    const on = this.network.host(from).on;
    if (on === 'internet') {
      this.#drop({
        from,
        stage: 'lab',
        code: 'multicast-off-lan',
        message: `multicast from ${from} on the Internet: the lab carries multicast only within a LAN`,
      });
      return;
    }
    for (const host of this.#lanHosts.get(on)?.values() ?? []) if (host !== from) this.#deliver(host, bytes);
    const port = this.#portByRouter.get(on);
    if (port !== undefined) this.#deliverToRouter(on, port, bytes);
  }

  /** What a router's namespace sent: to the LAN host it is for, or to all of them (multicast). */
  #fromRouter(router: string, bytes: Buffer): void {
    this.#received++;
    const from = `router:${router}`;
    if (bytes.length < 20 || bytes[0]! >> 4 !== 4) {
      this.#drop({ from, stage: 'lab', code: 'lab-error', message: `router ${router} sent a datagram that is not IPv4`, node: router });
      return;
    }
    this.options.capture?.({ router, side: 'inside', bytes: copyBytes(bytes) });
    const lan = this.#lanHosts.get(router);
    if (isMulticast(bytes)) {
      for (const host of lan?.values() ?? []) this.#deliver(host, bytes);
      return;
    }
    const dst = ((bytes[16]! << 24) | (bytes[17]! << 16) | (bytes[18]! << 8) | bytes[19]!) >>> 0;
    const to = lan?.get(dst);
    if (to !== undefined) {
      this.#deliver(to, bytes);
      return;
    }
    this.#drop({
      from,
      stage: 'lab',
      code: 'router-off-lan',
      message: `router ${router} sent to ${bytes.subarray(16, 20).join('.')}, and the lab carries a router's own datagrams only to the hosts of its LAN`,
      node: router,
    });
  }

  /**
   * Into the router's namespace when it has one and the datagram came from its LAN; otherwise an
   * echo request from its LAN is answered and the rest dropped.
   */
  #toRouter(from: string, router: string, bytes: Uint8Array, routers: number): void {
    const port = this.#portByRouter.get(router);
    if (port !== undefined && routers === 0 && this.network.host(from).on === router) {
      this.#deliverToRouter(router, port, bytes);
      return;
    }
    const ihl = (bytes[0]! & 0x0f) * 4;
    if (routers === 0 && bytes[9] === IPPROTO.ICMP && bytes[ihl] === ICMP_TYPE.ECHO_REQUEST) {
      this.#deliver(from, echoReply(bytes, ihl));
      return;
    }
    this.#drop({
      from,
      stage: 'lab',
      code: 'to-router',
      message:
        port === undefined
          ? `delivered to router ${router} itself, and the lab runs no service there`
          : `delivered to router ${router} from outside its LAN, and its services answer only on its LAN`,
      node: router,
    });
  }

  #drop(d: LabDrop): void {
    this.#dropped.set(d.code, (this.#dropped.get(d.code) ?? 0) + 1);
    this.options.onDrop?.(d);
  }
}

/** The echo reply to an echo request (addresses swapped, TTL 64, checksums recomputed). */
export function echoReply(request: Uint8Array, ihl: number): Uint8Array {
  const b = Uint8Array.from(request);
  b.set(request.subarray(16, 20), 12);
  b.set(request.subarray(12, 16), 16);
  b[8] = 64;
  write16(b, 10, 0);
  write16(b, 10, internetChecksum(b, 0, ihl));
  b[ihl] = ICMP_TYPE.ECHO_REPLY;
  write16(b, ihl + 2, 0);
  write16(b, ihl + 2, internetChecksum(b, ihl, b.length));
  return b;
}
