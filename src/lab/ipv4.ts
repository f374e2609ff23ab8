/**
 * Decoding IPv4 datagrams (as read from a TUN device) into the model's {@link Packet}, plus what
 * the lab keeps to rewrite them: TTL, header length, the raw bytes, ICMP type/code/id and, for
 * ICMP errors, the embedded header.
 *
 * Decoding never throws: a datagram the lab cannot carry is refused with a stable reason code and
 * a sentence. It is linear in the input (only the IPv4 header checksum is summed; transport
 * checksums are not verified, as a router does not verify them, and stay as wrong as they came).
 *
 * @see RFC 791 (IPv4)
 * @see RFC 768 (UDP)
 * @see RFC 9293 (TCP)
 * @see RFC 792 (ICMP)
 */
import type { Endpoint } from '../nat/address.js';
import { formatIPv4 } from '../nat/address.js';
import { type Packet, TCP } from '../nat/packet.js';
import { onesSum, read16, read32 } from './checksum.js';

/** IP protocol numbers the lab carries. */
export const IPPROTO = { ICMP: 1, TCP: 6, UDP: 17 } as const;

/** ICMP message types the lab understands. */
export const ICMP_TYPE = {
  ECHO_REPLY: 0,
  DEST_UNREACHABLE: 3,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
} as const;

/** TCP header flag bits on the wire. */
export const TCP_WIRE = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

/** Why a datagram was refused (a stable contract, like the model's reason codes). */
export const DECODE_REASONS = {
  truncated: 'the datagram is shorter than its headers or its total length',
  'not-ipv4': 'the version field is not 4',
  'bad-header-length': 'the IPv4 header length (IHL) is below 5 words or beyond the datagram',
  'bad-total-length': 'the IPv4 total length is smaller than the header',
  'bad-checksum': 'the IPv4 header checksum is wrong',
  fragment: 'the datagram is a fragment (MF set or a non-zero offset); the lab does not reassemble',
  'unknown-protocol': 'the IP protocol is not UDP, TCP or ICMP',
  'bad-transport': 'the UDP, TCP or ICMP header is malformed (length or data offset)',
  'unsupported-icmp': 'the ICMP message is neither an echo nor an error carrying a UDP, TCP or echo header',
} as const;

export type DecodeReason = keyof typeof DECODE_REASONS;

/** A datagram the codec refused. */
export interface DecodeRefusal {
  readonly ok: false;
  readonly code: DecodeReason;
  /** A sentence naming what was wrong, with the offending value. */
  readonly message: string;
}

/** The header an ICMP error carries: the datagram (as it was sent) that caused the error. @see RFC 792, RFC 5508 */
export interface EmbeddedHeader {
  /** The embedded datagram as the model sees it (its src is the error's destination side). */
  readonly packet: Packet;
  /** Offset of the embedded IPv4 header in the outer datagram. */
  readonly offset: number;
  readonly headerLength: number;
  readonly protocol: number;
  /** Bytes of the embedded datagram the error quotes (header + at least 8 transport bytes). */
  readonly quoted: number;
}

/** ICMP details. */
export interface IcmpInfo {
  readonly type: number;
  readonly code: number;
  /** The echo identifier (echo request/reply). */
  readonly id?: number;
  /** The embedded header (destination unreachable, time exceeded, parameter problem). */
  readonly error?: EmbeddedHeader;
}

/** A decoded datagram. `bytes` is the input (not copied); offsets index into it. */
export interface Datagram {
  readonly ok: true;
  /**
   * The model's view: addresses, ports (ICMP echo: the identifier as the querying side's port —
   * a request's source, a reply's destination — and 0 for the other side), TCP flags, the
   * payload bytes as `data` (a view into `bytes`) and the total length as `size`. For an ICMP
   * error the ports are 0: it is translated by its {@link IcmpInfo.error} header.
   */
  readonly packet: Packet;
  readonly bytes: Uint8Array;
  readonly ttl: number;
  readonly protocol: number;
  readonly headerLength: number;
  readonly totalLength: number;
  /** Offset of the UDP/TCP/ICMP header. */
  readonly transportOffset: number;
  /** Offset of the application payload (after the UDP/TCP/ICMP echo header). */
  readonly payloadOffset: number;
  readonly icmp?: IcmpInfo;
}

export type DecodeResult = Datagram | DecodeRefusal;

function refuse(code: DecodeReason, detail: string): DecodeRefusal {
  return { ok: false, code, message: `${DECODE_REASONS[code]}: ${detail}` };
}

function datagram(
  packet: Packet,
  bytes: Uint8Array,
  ttl: number,
  protocol: number,
  headerLength: number,
  totalLength: number,
  payloadOffset: number,
  icmp?: IcmpInfo,
): Datagram {
  const d = { ok: true as const, packet, bytes, ttl, protocol, headerLength, totalLength, transportOffset: headerLength, payloadOffset };
  return icmp ? { ...d, icmp } : d;
}

/** Model TCP flags from the wire's flag byte. */
export function modelTcpFlags(wire: number): number {
  return (
    (wire & TCP_WIRE.SYN ? TCP.SYN : 0) |
    (wire & TCP_WIRE.ACK ? TCP.ACK : 0) |
    (wire & TCP_WIRE.FIN ? TCP.FIN : 0) |
    (wire & TCP_WIRE.RST ? TCP.RST : 0)
  );
}

/**
 * Decodes one IPv4 datagram. Checks version, IHL, total length (trailing link padding beyond it
 * is ignored), header checksum, fragmentation, protocol and the transport header's own length.
 * @see RFC 791 section 3.1
 */
export function decodeIpv4(bytes: Uint8Array): DecodeResult {
  const n = bytes.length;
  if (n < 20) return refuse('truncated', `${n} bytes, an IPv4 header needs at least 20`);
  const version = bytes[0]! >>> 4;
  if (version !== 4) return refuse('not-ipv4', `version ${version}`);
  const hl = (bytes[0]! & 0x0f) * 4;
  if (hl < 20 || hl > n) return refuse('bad-header-length', `IHL ${hl / 4} (${hl} bytes) in a ${n}-byte datagram`);
  const total = read16(bytes, 2);
  if (total < hl) return refuse('bad-total-length', `total length ${total} < header length ${hl}`);
  if (total > n) return refuse('truncated', `total length ${total} but only ${n} bytes`);
  if (onesSum(bytes, 0, hl) !== 0xffff)
    return refuse('bad-checksum', `header checksum 0x${read16(bytes, 10).toString(16).padStart(4, '0')}`);
  const frag = read16(bytes, 6);
  if (frag & 0x3fff) {
    return refuse('fragment', `${frag & 0x2000 ? 'more-fragments set' : 'last fragment'}, offset ${(frag & 0x1fff) * 8}`);
  }
  const ttl = bytes[8]!;
  const protocol = bytes[9]!;
  const src = read32(bytes, 12);
  const dst = read32(bytes, 16);
  const t = hl;
  const len = total - hl;
  if (protocol === IPPROTO.UDP) {
    if (len < 8) return refuse('truncated', `UDP ${where(src, dst)}: ${len} bytes after the IPv4 header, UDP needs 8`);
    const ulen = read16(bytes, t + 4);
    if (ulen < 8 || ulen > len)
      return refuse('bad-transport', `UDP ${where(src, dst)}: length ${ulen} with ${len} bytes after the IPv4 header`);
    const packet: Packet = {
      proto: 'udp',
      src: { ip: src, port: read16(bytes, t) },
      dst: { ip: dst, port: read16(bytes, t + 2) },
      data: bytes.subarray(t + 8, t + ulen),
      size: total,
    };
    return datagram(packet, bytes, ttl, protocol, hl, total, t + 8);
  }
  if (protocol === IPPROTO.TCP) {
    if (len < 20) return refuse('truncated', `TCP ${where(src, dst)}: ${len} bytes after the IPv4 header, TCP needs 20`);
    const off = (bytes[t + 12]! >>> 4) * 4;
    if (off < 20 || off > len) return refuse('bad-transport', `TCP ${where(src, dst)}: data offset ${off} with ${len} bytes`);
    const packet: Packet = {
      proto: 'tcp',
      src: { ip: src, port: read16(bytes, t) },
      dst: { ip: dst, port: read16(bytes, t + 2) },
      flags: modelTcpFlags(bytes[t + 13]!),
      data: bytes.subarray(t + off, total),
      size: total,
    };
    return datagram(packet, bytes, ttl, protocol, hl, total, t + off);
  }
  if (protocol === IPPROTO.ICMP) {
    if (len < 8) return refuse('truncated', `ICMP ${where(src, dst)}: ${len} bytes, ICMP needs 8`);
    const type = bytes[t]!;
    const code = bytes[t + 1]!;
    if (type === ICMP_TYPE.ECHO_REQUEST || type === ICMP_TYPE.ECHO_REPLY) {
      const id = read16(bytes, t + 4);
      const request = type === ICMP_TYPE.ECHO_REQUEST;
      const packet: Packet = {
        proto: 'icmp',
        src: { ip: src, port: request ? id : 0 },
        dst: { ip: dst, port: request ? 0 : id },
        data: bytes.subarray(t + 8, total),
        size: total,
      };
      return datagram(packet, bytes, ttl, protocol, hl, total, t + 8, { type, code, id });
    }
    if (type === ICMP_TYPE.DEST_UNREACHABLE || type === ICMP_TYPE.TIME_EXCEEDED || type === ICMP_TYPE.PARAMETER_PROBLEM) {
      const inner = decodeEmbedded(bytes, t + 8, total);
      if (!inner.ok) return refuse(inner.code, `ICMP type ${type} code ${code} ${where(src, dst)}: ${inner.detail}`);
      const packet: Packet = { proto: 'icmp', src: { ip: src, port: 0 }, dst: { ip: dst, port: 0 }, size: total };
      return datagram(packet, bytes, ttl, protocol, hl, total, t + 8, { type, code, error: inner.header });
    }
    return refuse('unsupported-icmp', `ICMP type ${type} code ${code} ${where(src, dst)}`);
  }
  return refuse('unknown-protocol', `protocol ${protocol} ${where(src, dst)}`);
}

/** `10.0.0.2 → 8.8.8.8`, for refusal sentences only (formatting costs more than decoding). */
function where(src: number, dst: number): string {
  return `${formatIPv4(src)} → ${formatIPv4(dst)}`;
}

type EmbeddedResult = { ok: true; header: EmbeddedHeader } | { ok: false; code: DecodeReason; detail: string };

/** The IPv4 header and first transport bytes an ICMP error quotes, from `at` to `end`. @see RFC 792 */
function decodeEmbedded(b: Uint8Array, at: number, end: number): EmbeddedResult {
  const avail = end - at;
  if (avail < 20) return { ok: false, code: 'truncated', detail: `it quotes ${avail} bytes, not an IPv4 header` };
  if (b[at]! >>> 4 !== 4) return { ok: false, code: 'unsupported-icmp', detail: `the quoted header is version ${b[at]! >>> 4}` };
  const hl = (b[at]! & 0x0f) * 4;
  if (hl < 20 || hl + 8 > avail) {
    return {
      ok: false,
      code: 'truncated',
      detail: `the quoted header (IHL ${hl / 4}) and 8 transport bytes need ${hl + 8}, it has ${avail}`,
    };
  }
  const protocol = b[at + 9]!;
  const src = read32(b, at + 12);
  const dst = read32(b, at + 16);
  const t = at + hl;
  let s: Endpoint;
  let d: Endpoint;
  let proto: Packet['proto'];
  if (protocol === IPPROTO.UDP || protocol === IPPROTO.TCP) {
    proto = protocol === IPPROTO.UDP ? 'udp' : 'tcp';
    s = { ip: src, port: read16(b, t) };
    d = { ip: dst, port: read16(b, t + 2) };
  } else if (protocol === IPPROTO.ICMP && (b[t] === ICMP_TYPE.ECHO_REQUEST || b[t] === ICMP_TYPE.ECHO_REPLY)) {
    proto = 'icmp';
    const id = read16(b, t + 4);
    const request = b[t] === ICMP_TYPE.ECHO_REQUEST;
    s = { ip: src, port: request ? id : 0 };
    d = { ip: dst, port: request ? 0 : id };
  } else {
    return {
      ok: false,
      code: 'unsupported-icmp',
      detail: `the quoted datagram is protocol ${protocol}${protocol === 1 ? ` type ${b[t]}` : ''}`,
    };
  }
  const embeddedTotal = read16(b, at + 2);
  const quoted = Math.min(avail, Math.max(embeddedTotal, hl + 8));
  return { ok: true, header: { packet: { proto, src: s, dst: d }, offset: at, headerLength: hl, protocol, quoted } };
}
