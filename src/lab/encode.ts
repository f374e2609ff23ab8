/**
 * Building IPv4 datagrams from scratch: what the lab's own services (a built-in STUN server, a
 * router's ICMP errors) send, and what tests feed the decoder. Full checksums.
 * @see RFC 791, RFC 768, RFC 9293, RFC 792
 */
import { latin1Bytes, type Packet, TCP } from '../nat/packet.js';
import { internetChecksum, pseudoHeaderSum, write16, write32 } from './checksum.js';
import { ICMP_TYPE, IPPROTO, TCP_WIRE } from './ipv4.js';

/** Header fields {@link encodeIpv4} does not take from the packet. */
export interface EncodeOptions {
  /** Default 64. */
  readonly ttl?: number;
  /** IPv4 identification (default 0). */
  readonly id?: number;
  /** Set the don't-fragment bit (default true). */
  readonly dontFragment?: boolean;
  /** TCP sequence/acknowledgement numbers and window (defaults 0, 0, 65535). */
  readonly seq?: number;
  readonly ack?: number;
  readonly window?: number;
  /** ICMP: echo request (default) or reply. */
  readonly icmpType?: typeof ICMP_TYPE.ECHO_REQUEST | typeof ICMP_TYPE.ECHO_REPLY;
  /** ICMP echo sequence number (default 0). */
  readonly icmpSeq?: number;
  /** UDP: send without a checksum (0). Default false. */
  readonly noUdpChecksum?: boolean;
}

/** Wire TCP flags from the model's. */
export function wireTcpFlags(model: number): number {
  return (
    (model & TCP.SYN ? TCP_WIRE.SYN : 0) |
    (model & TCP.ACK ? TCP_WIRE.ACK : 0) |
    (model & TCP.FIN ? TCP_WIRE.FIN : 0) |
    (model & TCP.RST ? TCP_WIRE.RST : 0)
  );
}

/**
 * Encodes a model packet (UDP, TCP or ICMP echo with the id as `src.port` of a request, `dst.port` of a reply) as an IPv4 datagram
 * with a 20-byte header; the payload is `data`, else `payload` as latin1.
 */
export function encodeIpv4(p: Packet, options: EncodeOptions = {}): Uint8Array {
  const payload = p.data ?? latin1Bytes(p.payload ?? '');
  const th = p.proto === 'tcp' ? 20 : 8;
  const total = 20 + th + payload.length;
  if (total > 0xffff) throw new RangeError(`datagram of ${total} bytes is above IPv4's 65535`);
  const b = new Uint8Array(total);
  const protocol = p.proto === 'udp' ? IPPROTO.UDP : p.proto === 'tcp' ? IPPROTO.TCP : IPPROTO.ICMP;
  b[0] = 0x45;
  write16(b, 2, total);
  write16(b, 4, options.id ?? 0);
  write16(b, 6, (options.dontFragment ?? true) ? 0x4000 : 0);
  b[8] = options.ttl ?? 64;
  b[9] = protocol;
  write32(b, 12, p.src.ip >>> 0);
  write32(b, 16, p.dst.ip >>> 0);
  write16(b, 10, internetChecksum(b, 0, 20));
  b.set(payload, 20 + th);
  const len = total - 20;
  if (p.proto === 'icmp') {
    const type = options.icmpType ?? ICMP_TYPE.ECHO_REQUEST;
    b[20] = type;
    write16(b, 24, type === ICMP_TYPE.ECHO_REPLY ? p.dst.port : p.src.port);
    write16(b, 26, options.icmpSeq ?? 0);
    write16(b, 22, internetChecksum(b, 20, total));
    return b;
  }
  write16(b, 20, p.src.port);
  write16(b, 22, p.dst.port);
  const pseudo = pseudoHeaderSum(p.src.ip >>> 0, p.dst.ip >>> 0, protocol, len);
  if (p.proto === 'udp') {
    write16(b, 24, len);
    if (!options.noUdpChecksum) write16(b, 26, internetChecksum(b, 20, total, pseudo) || 0xffff);
    return b;
  }
  write32(b, 24, (options.seq ?? 0) >>> 0);
  write32(b, 28, (options.ack ?? 0) >>> 0);
  b[32] = 5 << 4;
  b[33] = wireTcpFlags(p.flags ?? 0);
  write16(b, 34, options.window ?? 65535);
  write16(b, 36, internetChecksum(b, 20, total, pseudo));
  return b;
}
