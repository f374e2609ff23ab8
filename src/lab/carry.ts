/**
 * One datagram through the model: decode, {@link Network.send} (or, for an ICMP error,
 * {@link Network.sendIcmpError}), rewrite. What a TUN relay calls per datagram it reads.
 *
 * Limitation: the model runs before the TTL is checked, so a datagram that expires on the way
 * (a traceroute probe) has already refreshed or created state at the routers it crossed in the
 * model, including the ones after the one that would drop it.
 */
import type { Network } from '../nat/network.js';
import type { ReasonCode } from '../nat/trace.js';
import { rewriteIcmpError } from './icmp-error.js';
import { type DecodeReason, decodeIpv4 } from './ipv4.js';
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
}

export type CarryResult = Carried | NotCarried;

/**
 * Carries one IPv4 datagram sent by host `from` through `network`. `trace` (default false) asks
 * the model for sentences in drops; without it a drop's message is the reason's short text.
 * `inPlace` (default false) rewrites `bytes` itself when the payload did not change (the caller
 * owns the buffer and writes the result before reading the next datagram into it).
 */
export function carryDatagram(
  network: Network,
  from: string,
  bytes: Uint8Array,
  options: { trace?: boolean; inPlace?: boolean } = {},
): CarryResult {
  const trace = options.trace ?? false;
  const d = decodeIpv4(bytes);
  if (!d.ok) return { ok: false, stage: 'decode', code: d.code, message: d.message };
  const err = d.icmp?.error;
  if (err) {
    const r = network.sendIcmpError(from, { src: d.packet.src.ip, dst: d.packet.dst.ip, embedded: err.packet }, { trace });
    if (!r.delivered) return { ok: false, stage: 'model', code: r.drop!.code, message: r.drop!.message, node: r.drop!.node };
    const out = rewriteIcmpError(d, r, { hops: r.routers.length });
    if (!out.ok) return { ok: false, stage: 'ttl', code: out.code, message: out.message, hop: out.hop };
    return { ok: true, to: r.to!, bytes: out.bytes, routers: r.routers.length };
  }
  const r = network.send(from, d.packet, { trace });
  if (!r.delivered) return { ok: false, stage: 'model', code: r.drop!.code, message: r.drop!.message, node: r.drop!.node };
  if (r.routers === 0 && r.packet === d.packet) return { ok: true, to: r.to!, bytes: d.bytes.subarray(0, d.totalLength), routers: 0 };
  const out = rewriteDatagram(d, r.packet, { hops: r.routers, inPlace: options.inPlace ?? false });
  if (!out.ok) return { ok: false, stage: 'ttl', code: out.code, message: out.message, hop: out.hop };
  return { ok: true, to: r.to!, bytes: out.bytes, routers: r.routers };
}
