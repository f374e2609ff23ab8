/**
 * ICMP errors through a NAT: rewriting the outer header and the header the error quotes, and
 * building the errors a router itself sends (time exceeded).
 *
 * A NAT that forwards an ICMP error must translate both the outer destination (or source) and
 * the embedded datagram's matching endpoint, fix the embedded IPv4 header checksum, the embedded
 * transport checksum when the quote holds it, and the ICMP checksum (which covers the quote).
 * That is what lets a UDP sender behind a NAT see "connection refused" for a closed port.
 *
 * @see RFC 5508 section 4 (NAT behavior for ICMP error messages)
 * @see RFC 792, RFC 1812 section 4.3.2.3 (how much of the datagram an error quotes)
 */
import type { IPv4 } from '../nat/address.js';
import type { Packet } from '../nat/packet.js';
import { copyBytes, internetChecksum, read16, read32, updateChecksum16, updateChecksum32, write16, write32 } from './checksum.js';
import { type Datagram, ICMP_TYPE, IPPROTO } from './ipv4.js';
import { checkTtl, type RewriteResult } from './rewrite.js';

/** An ICMP error as translated by the model ({@link Network.sendIcmpError}'s delivery). */
export interface IcmpErrorTranslation {
  readonly src: IPv4;
  readonly dst: IPv4;
  readonly embedded: Packet;
}

/**
 * The outgoing bytes of a decoded ICMP error after the model translated it: outer addresses and
 * TTL (− `hops`), the quoted header's addresses and ports (or echo id) with its IPv4 checksum and
 * transport checksum (when quoted; a UDP checksum of 0 stays 0) updated per RFC 1624, and the
 * ICMP checksum recomputed over the message. Throws a RangeError for a datagram that is not a
 * decoded ICMP error.
 * @see RFC 5508 REQ-3
 */
export function rewriteIcmpError(datagram: Datagram, t: IcmpErrorTranslation, options: { hops?: number } = {}): RewriteResult {
  const d = datagram;
  const err = d.icmp?.error;
  if (!err) throw new RangeError('rewriteIcmpError needs a decoded ICMP error (destination unreachable, time exceeded, parameter problem)');
  const hops = options.hops ?? 1;
  const expired = checkTtl(d.ttl, hops, 'an ICMP error');
  if (expired) return expired;
  const b = copyBytes(d.bytes, d.totalLength);
  // Outer IPv4 header (its checksum covers only the header).
  const oSrc = read32(b, 12);
  const oDst = read32(b, 16);
  const ttlWord = read16(b, 8);
  let hc = updateChecksum16(read16(b, 10), ttlWord, ttlWord - (hops << 8));
  hc = updateChecksum32(hc, oSrc, t.src >>> 0);
  hc = updateChecksum32(hc, oDst, t.dst >>> 0);
  write16(b, 8, ttlWord - (hops << 8));
  write32(b, 12, t.src >>> 0);
  write32(b, 16, t.dst >>> 0);
  write16(b, 10, hc);
  // Embedded IPv4 header.
  const e = err.offset;
  const eSrc = read32(b, e + 12);
  const eDst = read32(b, e + 16);
  const nSrc = t.embedded.src.ip >>> 0;
  const nDst = t.embedded.dst.ip >>> 0;
  let ec = read16(b, e + 10);
  ec = updateChecksum32(ec, eSrc, nSrc);
  ec = updateChecksum32(ec, eDst, nDst);
  write32(b, e + 12, nSrc);
  write32(b, e + 16, nDst);
  write16(b, e + 10, ec);
  // Embedded transport header: ports (or echo id) and, when quoted, its checksum.
  const et = e + err.headerLength;
  const end = e + err.quoted;
  if (err.protocol === IPPROTO.UDP || err.protocol === IPPROTO.TCP) {
    const at = et + (err.protocol === IPPROTO.UDP ? 6 : 16);
    const sp = read16(b, et);
    const dp = read16(b, et + 2);
    write16(b, et, t.embedded.src.port);
    write16(b, et + 2, t.embedded.dst.port);
    if (at + 2 <= end) {
      let c = read16(b, at);
      if (!(err.protocol === IPPROTO.UDP && c === 0)) {
        c = updateChecksum32(c, eSrc, nSrc);
        c = updateChecksum32(c, eDst, nDst);
        c = updateChecksum16(c, sp, t.embedded.src.port);
        c = updateChecksum16(c, dp, t.embedded.dst.port);
        if (err.protocol === IPPROTO.UDP && c === 0) c = 0xffff;
        write16(b, at, c);
      }
    }
  } else {
    // A quoted echo: the id of the side that sent it (a request's source, a reply's destination).
    const id = b[et] === ICMP_TYPE.ECHO_REQUEST ? t.embedded.src.port : t.embedded.dst.port;
    const old = read16(b, et + 4);
    write16(b, et + 4, id);
    write16(b, et + 2, updateChecksum16(read16(b, et + 2), old, id));
  }
  // The ICMP checksum covers the whole message, quote included: recompute it (≤ 576 bytes usually).
  const t0 = d.transportOffset;
  write16(b, t0 + 2, 0);
  write16(b, t0 + 2, internetChecksum(b, t0, d.totalLength));
  return { ok: true, bytes: b };
}

/** How many bytes of the offending datagram an error quotes: as much as fits in 576 (RFC 1812 4.3.2.3). */
const MAX_ERROR = 576;

/**
 * Builds an ICMP error from `from` about `offending` (raw datagram bytes, as received) to its
 * source: time exceeded in transit (type 11 code 0) by default, or any type/code (e.g. 3/3 port
 * unreachable). Quotes the offending header and as much of its data as fits in 576 bytes.
 * @see RFC 792, RFC 1812 section 4.3.2.3
 */
export function buildIcmpError(
  offending: Uint8Array,
  from: IPv4,
  options: { type?: number; code?: number; ttl?: number } = {},
): Uint8Array {
  const quoteLen = Math.min(offending.length, read16(offending, 2), MAX_ERROR - 28);
  const total = 28 + quoteLen;
  const b = new Uint8Array(total);
  b[0] = 0x45;
  write16(b, 2, total);
  b[8] = options.ttl ?? 64;
  b[9] = IPPROTO.ICMP;
  write32(b, 12, from >>> 0);
  b.set(offending.subarray(12, 16), 16);
  write16(b, 10, internetChecksum(b, 0, 20));
  b[20] = options.type ?? ICMP_TYPE.TIME_EXCEEDED;
  b[21] = options.code ?? 0;
  b.set(offending.subarray(0, quoteLen), 28);
  write16(b, 22, internetChecksum(b, 20, total));
  return b;
}
