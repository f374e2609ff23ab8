/**
 * Packets as the model sees them: protocol, endpoints, TCP flags, an optional text payload
 * (what ALGs read and rewrite) and a size for traffic counters.
 */
import { formatEndpoint, type Endpoint, type Protocol } from './address.js';

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
