/**
 * Packets as the model sees them: protocol, endpoints, TCP flags, an optional text payload
 * (what ALGs read and rewrite) and a size for traffic counters.
 */
import { type Endpoint, formatEndpoint, type Protocol } from './address.js';

/** TCP flag bits. */
export const TCP = { SYN: 1, ACK: 2, FIN: 4, RST: 8 } as const;

export interface Packet {
  readonly proto: Protocol;
  readonly src: Endpoint;
  readonly dst: Endpoint;
  /** TCP flags ({@link TCP}); ignored for UDP. */
  readonly flags?: number;
  /** Application payload as text (e.g. a SIP message); ALGs may rewrite it. */
  readonly payload?: string;
  /** Bytes on the wire (default: payload length + 28). */
  readonly size?: number;
}

/** Bytes a packet counts for. */
export function packetSize(p: Packet): number {
  return p.size ?? (p.payload ? p.payload.length : 0) + 28;
}

/** `UDP 10.0.0.2:5000 → 1.2.3.4:3478` */
export function describePacket(p: Packet): string {
  return `${p.proto.toUpperCase()} ${formatEndpoint(p.src)} → ${formatEndpoint(p.dst)}${flagText(p)}`;
}

function flagText(p: Packet): string {
  if (p.proto !== 'tcp' || !p.flags) return '';
  const names: string[] = [];
  if (p.flags & TCP.SYN) names.push('SYN');
  if (p.flags & TCP.ACK) names.push('ACK');
  if (p.flags & TCP.FIN) names.push('FIN');
  if (p.flags & TCP.RST) names.push('RST');
  return ` [${names.join(',')}]`;
}

/** Thrown by {@link checkPacket} for a packet no host could put on a wire. */
export class PacketError extends RangeError {
  override readonly name = 'PacketError';
  /** Stable error code. */
  readonly code = 'invalid-packet';
}

const PROTOCOLS: ReadonlySet<string> = new Set(['udp', 'tcp', 'icmp']);

/**
 * Checks a packet's fields: a known protocol, addresses that are 32-bit unsigned integers, and
 * ports that are integers 1–65535 (UDP, TCP; port 0 is not a valid endpoint) or 0–65535 (ICMP
 * query ids). Throws {@link PacketError} naming the field.
 */
export function checkPacket(p: Packet): void {
  if (!PROTOCOLS.has(p.proto)) throw new PacketError(`packet protocol ${JSON.stringify(p.proto)} is not one of udp, tcp, icmp`);
  checkEndpoint(p, 'src');
  checkEndpoint(p, 'dst');
  const f = p.flags;
  if (f !== undefined && !(Number.isInteger(f) && f >= 0 && f <= 15))
    throw new PacketError(`packet flags ${f} are not a combination of TCP flag bits (an integer 0–15)`);
}

function checkEndpoint(p: Packet, which: 'src' | 'dst'): void {
  const e = p[which];
  if (e === null || typeof e !== 'object') throw new PacketError(`packet ${which} is not an endpoint`);
  const ip = e.ip;
  if (!(Number.isInteger(ip) && ip >= 0 && ip <= 0xffffffff))
    throw new PacketError(`packet ${which} address ${ip} is not an IPv4 address (an integer 0–4294967295)`);
  const port = e.port;
  const lo = p.proto === 'icmp' ? 0 : 1;
  if (!(Number.isInteger(port) && port >= lo && port <= 65535)) {
    const what = p.proto === 'icmp' ? 'ICMP query id (an integer 0–65535)' : `${p.proto.toUpperCase()} port (an integer 1–65535)`;
    throw new PacketError(`packet ${which} port ${port} is not a valid ${what}`);
  }
}
