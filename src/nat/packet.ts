/**
 * Packets as the model sees them: protocol, endpoints, TCP flags, an optional payload (text, or
 * the real bytes when the packet came off a wire; ALGs read and rewrite it) and a size for
 * traffic counters.
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
  /**
   * Application payload as bytes (a packet from a real wire). It flows through the model
   * unchanged unless an ALG rewrites it: ALGs read it as text through {@link payloadText} and
   * return a new array (so a changed payload is a different object). When both are set, `data`
   * is the payload and `payload` its latin1 text.
   */
  readonly data?: Uint8Array;
  /** Bytes on the wire (default: payload length + 28). */
  readonly size?: number;
}

/** Bytes a packet counts for. */
export function packetSize(p: Packet): number {
  return p.size ?? (p.data ? p.data.length : p.payload ? p.payload.length : 0) + 28;
}

/**
 * The payload as text: `payload`, or `data` read as latin1 (one character per byte, so a text
 * rewrite maps back to the same bytes with {@link latin1Bytes}). Undefined when there is none.
 */
export function payloadText(p: Packet): string | undefined {
  if (p.payload !== undefined) return p.payload;
  const d = p.data;
  if (d === undefined) return undefined;
  let s = '';
  for (let i = 0; i < d.length; i += 8192) s += String.fromCharCode.apply(null, d.subarray(i, i + 8192) as unknown as number[]);
  return s;
}

/** Text as latin1 bytes (each character's low 8 bits): the inverse of {@link payloadText} for bytes. */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/**
 * A copy of `p` whose payload is `text`: for a packet that carries bytes, `data` becomes the
 * text's latin1 bytes too (and `size` follows the length change), so the edge re-encodes it.
 */
export function withPayloadText(p: Packet, text: string): Packet {
  if (p.data === undefined) return { ...p, payload: text };
  const data = latin1Bytes(text);
  const size = p.size === undefined ? undefined : p.size - p.data.length + data.length;
  return size === undefined ? { ...p, payload: text, data } : { ...p, payload: text, data, size };
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
