/**
 * One datagram through the model: decode, {@link Network.send} (or, for an ICMP error,
 * {@link Network.sendIcmpError}), rewrite. What a TUN relay calls per datagram it reads.
 *
 * Limitation: the model runs before the TTL is checked, so a datagram that expires on the way
 * (a traceroute probe) has already refreshed or created state at the routers it crossed in the
 * model, including the ones after the one that would drop it. Datagrams with a TTL of 16 or less
 * go through the model with tracing on (slower), to know the router they expire at.
 */
import type { Network } from '../nat/network.js';
import type { Hop, ReasonCode } from '../nat/trace.js';
import { type CaptureSink, capturePoints, icmpErrorCapturePoints } from './capture.js';
import { buildIcmpError, rewriteIcmpError } from './icmp-error.js';
import { type Datagram, type DecodeReason, decodeIpv4 } from './ipv4.js';
import { rewriteDatagram } from './rewrite.js';

/** A datagram carried: where it goes and its bytes as they arrive there. */
export interface Carried {
  readonly ok: true;
  /** Host id (or `router:<id>`) to write the bytes to. */
  readonly to: string;
  readonly bytes: Uint8Array;
  /** Routers it crossed. */
  readonly routers: number;
}

/** A datagram not carried: which stage refused it, the reason code and a sentence. */
export interface NotCarried {
  readonly ok: false;
  /** `decode`: the codec refused the bytes; `model`: a router or the network dropped it; `ttl`: it expired on the way. */
  readonly stage: 'decode' | 'model' | 'ttl';
  readonly code: DecodeReason | ReasonCode | 'ttl-expired';
  readonly message: string;
  /** The node that dropped it (stage `model`). */
  readonly node?: string;
  /** Stage `ttl`: which router on the path (1 = first) saw it expire. */
  readonly hop?: number;
  /**
   * Stage `ttl`: the ICMP time exceeded that router sends back (from its LAN address, translated
   * by the routers between it and the sender), when it received the datagram on its LAN side.
   */
  readonly timeExceeded?: { readonly to: string; readonly bytes: Uint8Array };
}

/** Datagrams with a TTL this low are sent through the model with tracing, to know which router they expire at. */
const TRACE_TTL = 16;

export type CarryResult = Carried | NotCarried;

/**
 * Carries one IPv4 datagram sent by host `from` through `network`. `trace` (default false) asks
 * the model for sentences in drops; without it a drop's message is the reason's short text.
 * `inPlace` (default false) rewrites `bytes` itself when the payload did not change (the caller
 * owns the buffer and writes the result before reading the next datagram into it). `capture`
 * receives the datagram as seen on each side of every router it reached (see capture.ts; it
 * turns tracing on), before the result is returned.
 */
export function carryDatagram(
  network: Network,
  from: string,
  bytes: Uint8Array,
  options: { trace?: boolean; inPlace?: boolean; capture?: CaptureSink } = {},
): CarryResult {
  const capture = options.capture;
  const trace = (options.trace ?? false) || capture !== undefined;
  const d = decodeIpv4(bytes);
  if (!d.ok) return { ok: false, stage: 'decode', code: d.code, message: d.message };
  const err = d.icmp?.error;
  if (err) {
    const r = network.sendIcmpError(from, { src: d.packet.src.ip, dst: d.packet.dst.ip, embedded: err.packet }, { trace });
    if (!r.delivered) return { ok: false, stage: 'model', code: r.drop!.code, message: r.drop!.message, node: r.drop!.node };
    const out = rewriteIcmpError(d, r, { hops: r.routers.length });
    if (!out.ok) return { ok: false, stage: 'ttl', code: out.code, message: out.message, hop: out.hop };
    if (capture) for (const p of icmpErrorCapturePoints(d.bytes.subarray(0, d.totalLength), r, out.bytes)) capture(p);
    return { ok: true, to: r.to!, bytes: out.bytes, routers: r.routers.length };
  }
  const r = network.send(from, d.packet, { trace: trace || d.ttl <= TRACE_TTL });
  if (capture) for (const p of capturePoints(network, d, r.hops)) capture(p);
  if (!r.delivered) return { ok: false, stage: 'model', code: r.drop!.code, message: r.drop!.message, node: r.drop!.node };
  if (r.routers === 0 && r.packet === d.packet) return { ok: true, to: r.to!, bytes: d.bytes.subarray(0, d.totalLength), routers: 0 };
  if (d.ttl <= r.routers) {
    const expired = rewriteDatagram(d, r.packet, { hops: r.routers });
    if (expired.ok) throw new Error('unreachable: the TTL check disagrees');
    const te = timeExceeded(network, d, r.hops, expired.hop);
    return { ok: false, stage: 'ttl', code: expired.code, message: expired.message, hop: expired.hop, ...(te ? { timeExceeded: te } : {}) };
  }
  const out = rewriteDatagram(d, r.packet, { hops: r.routers, inPlace: options.inPlace ?? false });
  if (!out.ok) return { ok: false, stage: 'ttl', code: out.code, message: out.message, hop: out.hop };
  return { ok: true, to: r.to!, bytes: out.bytes, routers: r.routers };
}

/**
 * The time exceeded router `hop` (1 = first) sends back for `d`, carried to the sender: built
 * from the router's LAN address about the datagram as the router received it (TTL 1), then
 * translated by the routers before it. Undefined when the router received it on its WAN side.
 * @see RFC 792 (type 11 code 0), RFC 1812 section 5.3.1
 */
function timeExceeded(network: Network, d: Datagram, hops: readonly Hop[], hop: number): { to: string; bytes: Uint8Array } | undefined {
  const routerHops = hops.filter((h) => h.action === 'forward' || h.action === 'translate' || h.action === 'hairpin');
  const at = routerHops[hop - 1];
  if (!at) return undefined;
  const router = network.router(at.node);
  if (!router.onLan(at.before.src.ip)) return undefined;
  const received = rewriteDatagram(d, at.before, { hops: hop - 1 });
  if (!received.ok) return undefined;
  const error = decodeIpv4(buildIcmpError(received.bytes, router.lanAddress));
  if (!error.ok) return undefined;
  const back = network.sendIcmpError(router.id, { src: router.lanAddress, dst: at.before.src.ip, embedded: at.before });
  if (!back.delivered) return undefined;
  const out = rewriteIcmpError(error, back, { hops: back.routers.length });
  return out.ok ? { to: back.to!, bytes: out.bytes } : undefined;
}
