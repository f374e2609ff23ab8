/**
 * Where a carried datagram was seen: for every router it reached, its bytes on the side it came
 * in and on the side it went out — what a capture on the router's LAN interface (`inside`, before
 * translation outbound, after it inbound) and on its WAN interface (`outside`) would record.
 * A datagram dropped at a router is seen only on the side it arrived at.
 *
 * Pure: it rebuilds each point's bytes from the model's trace (`Delivery.hops`) with
 * {@link rewriteDatagram}, TTL included. {@link carryDatagram} calls it when asked to capture.
 */
import type { IcmpErrorDelivery, Network } from '../nat/network.js';
import type { Router } from '../nat/router.js';
import type { Hop } from '../nat/trace.js';
import { copyBytes } from './checksum.js';
import type { Datagram } from './ipv4.js';
import { rewriteDatagram } from './rewrite.js';

/** The two sides of a router a capture can watch: its LAN (`inside`) and its WAN (`outside`). */
export type CaptureSide = 'inside' | 'outside';

/** One datagram as seen on one side of one router. The bytes are the caller's to keep. */
export interface CapturePoint {
  readonly router: string;
  readonly side: CaptureSide;
  readonly bytes: Uint8Array;
}

/** A function that records capture points; called synchronously, in the order the datagram met them. */
export type CaptureSink = (point: CapturePoint) => void;

const AT_ROUTER = new Set(['forward', 'translate', 'hairpin', 'drop']);

/** The capture points of datagram `d` along `hops` (a traced `Network.send`). */
export function capturePoints(network: Network, d: Datagram, hops: readonly Hop[]): CapturePoint[] {
  const points: CapturePoint[] = [];
  let crossed = 0;
  for (const hop of hops) {
    if (!AT_ROUTER.has(hop.action) || !network.hasRouter(hop.node)) continue;
    const router = network.router(hop.node);
    const inSide = arrivalSide(router, hop);
    const before = rewriteDatagram(d, hop.before, { hops: crossed });
    if (before.ok) points.push({ router: router.id, side: inSide, bytes: before.bytes });
    if (hop.action === 'drop' || !hop.after) break;
    crossed++;
    const outSide: CaptureSide = hop.action === 'hairpin' ? 'inside' : inSide === 'inside' ? 'outside' : 'inside';
    const after = rewriteDatagram(d, hop.after, { hops: crossed });
    if (after.ok) points.push({ router: router.id, side: outSide, bytes: after.bytes });
  }
  return points;
}

/**
 * The capture points of an ICMP error: its bytes as sent, on the outside of the first router it
 * crossed, and as delivered, on the inside of the last (`delivered` is the rewritten error). The
 * model does not report an error's intermediate forms, so routers between them see nothing.
 */
export function icmpErrorCapturePoints(original: Uint8Array, delivery: IcmpErrorDelivery, delivered: Uint8Array): CapturePoint[] {
  const first = delivery.routers[0];
  const last = delivery.routers[delivery.routers.length - 1];
  if (first === undefined || last === undefined) return [];
  return [
    { router: first, side: 'outside', bytes: copyBytes(original) },
    { router: last, side: 'inside', bytes: copyBytes(delivered) },
  ];
}

/**
 * Which side of `router` the hop's packet arrived on. A hairpin (or its drop) comes from the LAN
 * to an external address; otherwise a packet to one of the router's external addresses, or to
 * its LAN when it only routes, came from outside, and anything else from its LAN.
 */
function arrivalSide(router: Router, hop: Hop): CaptureSide {
  const { src, dst } = hop.before;
  if (hop.action === 'hairpin') return 'inside';
  if (router.isExternal(dst.ip)) return router.onLan(src.ip) ? 'inside' : 'outside';
  return router.onLan(dst.ip) ? 'outside' : 'inside';
}
