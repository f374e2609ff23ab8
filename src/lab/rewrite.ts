/**
 * Rewriting a decoded datagram as the model translated it: addresses, ports (or the ICMP echo
 * identifier) and TTL replaced, with every checksum the change touches updated incrementally.
 * When an ALG changed the payload the datagram is re-encoded instead, with new lengths and full
 * checksums.
 *
 * TCP and a payload whose length changes: the segment is re-encoded with the new length, but
 * sequence and acknowledgement numbers are not adjusted (natsim keeps no per-connection delta), so
 * an ALG that changes a TCP payload's length desynchronises the connection. The lab's TCP ALGs
 * (H.323 in natsim's text rendering) are meant for the model; for real TCP the rewrite is honest
 * about its bytes and leaves sequence repair out.
 *
 * @see RFC 1624 (incremental checksum update, equation 3)
 * @see RFC 3022 section 4.2 (NAT checksum adjustment)
 * @see RFC 1812 section 5.3.1 (TTL)
 */
import { formatIPv4 } from '../nat/address.js';
import { latin1Bytes, type Packet } from '../nat/packet.js';
import {
  copyBytes,
  internetChecksum,
  pseudoHeaderSum,
  read16,
  read32,
  updateChecksum16,
  updateChecksum32,
  write16,
  write32,
} from './checksum.js';
import { type Datagram, ICMP_TYPE, IPPROTO } from './ipv4.js';

/** Options of {@link rewriteDatagram}. */
export interface RewriteOptions {
  /** Routers the datagram crossed (each decrements the TTL once); default 1. */
  readonly hops?: number;
  /** Write into `datagram.bytes` instead of a copy (the caller owns the buffer). Default false. */
  readonly inPlace?: boolean;
}

/** A datagram whose TTL ran out on the way. @see RFC 1812 section 5.3.1 */
export interface TtlExpired {
  readonly ok: false;
  readonly code: 'ttl-expired';
  /** Which of the crossed routers (1 = the first) dropped it. */
  readonly hop: number;
  readonly message: string;
}

export type RewriteResult = { readonly ok: true; readonly bytes: Uint8Array } | TtlExpired;

/** Checks the TTL for `hops` routers: each drops a datagram whose TTL would reach 0. */
export function checkTtl(ttl: number, hops: number, what: string): TtlExpired | undefined {
  if (ttl > hops) return undefined;
  const hop = Math.max(ttl, 1);
  return {
    ok: false,
    code: 'ttl-expired',
    hop,
    message: `TTL expired: ${what} arrived with TTL ${ttl} and router ${hop} of ${hops} on its path would forward it with TTL 0`,
  };
}

/** Did the model (an ALG) hand back a payload other than the one decoded? */
function payloadChanged(d: Datagram, p: Packet): boolean {
  if (p.data !== undefined) return p.data !== d.packet.data;
  return p.payload !== undefined;
}

/**
 * The outgoing bytes for `datagram` after the model translated it to `translated` (same protocol;
 * new source/destination address and port or echo id). TTL is decremented by `hops`; a datagram
 * it would expire is refused with `ttl-expired`. UDP datagrams sent without a checksum (0) keep
 * none. A changed payload (`translated.data`, or `payload` text as latin1) is re-encoded by
 * {@link reencodeDatagram}.
 * @see RFC 1624 equation 3
 */
export function rewriteDatagram(datagram: Datagram, translated: Packet, options: RewriteOptions = {}): RewriteResult {
  const hops = options.hops ?? 1;
  const d = datagram;
  const expired = checkTtl(d.ttl, hops, describe(d));
  if (expired) return expired;
  if (payloadChanged(d, translated)) return { ok: true, bytes: reencodeDatagram(d, translated, hops) };
  const b = options.inPlace ? d.bytes : copyBytes(d.bytes, d.totalLength);
  const oldSrc = read32(b, 12);
  const oldDst = read32(b, 16);
  const newSrc = translated.src.ip >>> 0;
  const newDst = translated.dst.ip >>> 0;
  // IPv4 header: TTL (shares a word with the protocol) and both addresses.
  const oldTtlWord = read16(b, 8);
  const newTtlWord = oldTtlWord - (hops << 8);
  let hc = read16(b, 10);
  hc = updateChecksum16(hc, oldTtlWord, newTtlWord);
  if (oldSrc !== newSrc) hc = updateChecksum32(hc, oldSrc, newSrc);
  if (oldDst !== newDst) hc = updateChecksum32(hc, oldDst, newDst);
  write16(b, 8, newTtlWord);
  write32(b, 12, newSrc);
  write32(b, 16, newDst);
  write16(b, 10, hc);
  const t = d.transportOffset;
  if (d.protocol === IPPROTO.UDP || d.protocol === IPPROTO.TCP) {
    const at = t + (d.protocol === IPPROTO.UDP ? 6 : 16);
    let c = read16(b, at);
    if (d.protocol === IPPROTO.UDP && c === 0) {
      // No checksum was sent: none is computed (RFC 768).
      write16(b, t, translated.src.port);
      write16(b, t + 2, translated.dst.port);
      return { ok: true, bytes: b };
    }
    if (oldSrc !== newSrc) c = updateChecksum32(c, oldSrc, newSrc);
    if (oldDst !== newDst) c = updateChecksum32(c, oldDst, newDst);
    const sp = read16(b, t);
    const dp = read16(b, t + 2);
    if (sp !== translated.src.port) c = updateChecksum16(c, sp, translated.src.port);
    if (dp !== translated.dst.port) c = updateChecksum16(c, dp, translated.dst.port);
    // A UDP checksum that computes to 0 is sent as all ones (0 means "none").
    if (d.protocol === IPPROTO.UDP && c === 0) c = 0xffff;
    write16(b, t, translated.src.port);
    write16(b, t + 2, translated.dst.port);
    write16(b, at, c);
  } else if (d.icmp?.id !== undefined) {
    // Echo: the identifier is the "port"; a request carries the inside host's id out (source
    // side), a reply carries it back (destination side). No pseudo-header in ICMP.
    const id = d.icmp.type === ICMP_TYPE.ECHO_REQUEST ? translated.src.port : translated.dst.port;
    const old = read16(b, t + 4);
    if (old !== id) {
      write16(b, t + 2, updateChecksum16(read16(b, t + 2), old, id));
      write16(b, t + 4, id);
    }
  }
  return { ok: true, bytes: b };
}

/**
 * Re-encodes `datagram` with `translated`'s addresses, ports and payload (`data`, else `payload`
 * as latin1): new IPv4 total length, UDP length, full IPv4/UDP/TCP/ICMP checksums; the IP options,
 * TCP options and other header fields are kept. Linear in the new datagram.
 */
export function reencodeDatagram(datagram: Datagram, translated: Packet, hops = 1): Uint8Array {
  const d = datagram;
  const payload = translated.data ?? latin1Bytes(translated.payload ?? '');
  const headers = d.payloadOffset;
  const total = headers + payload.length;
  if (total > 0xffff) throw new RangeError(`re-encoded datagram would be ${total} bytes, above IPv4's 65535`);
  const b = new Uint8Array(total);
  b.set(d.bytes.subarray(0, headers), 0);
  b.set(payload, headers);
  write16(b, 2, total);
  b[8] = d.ttl - hops;
  write32(b, 12, translated.src.ip >>> 0);
  write32(b, 16, translated.dst.ip >>> 0);
  write16(b, 10, 0);
  write16(b, 10, internetChecksum(b, 0, d.headerLength));
  const t = d.transportOffset;
  const len = total - t;
  if (d.protocol === IPPROTO.UDP || d.protocol === IPPROTO.TCP) {
    write16(b, t, translated.src.port);
    write16(b, t + 2, translated.dst.port);
    const udp = d.protocol === IPPROTO.UDP;
    const at = t + (udp ? 6 : 16);
    if (udp) write16(b, t + 4, len);
    if (udp && read16(d.bytes, at) === 0) return b;
    write16(b, at, 0);
    let c = internetChecksum(b, t, total, pseudoHeaderSum(translated.src.ip >>> 0, translated.dst.ip >>> 0, d.protocol, len));
    if (udp && c === 0) c = 0xffff;
    write16(b, at, c);
  } else {
    if (d.icmp?.id !== undefined) write16(b, t + 4, d.icmp.type === ICMP_TYPE.ECHO_REQUEST ? translated.src.port : translated.dst.port);
    write16(b, t + 2, 0);
    write16(b, t + 2, internetChecksum(b, t, total));
  }
  return b;
}

function describe(d: Datagram): string {
  const p = d.packet;
  return `${p.proto.toUpperCase()} ${formatIPv4(p.src.ip)} → ${formatIPv4(p.dst.ip)}`;
}
