/**
 * NAT-PMP's wire format (RFC 6886 §3): request parsing and response encoding, nothing else. All
 * fields are big-endian; every parse reads a fixed number of bytes (linear, bounded).
 */
import { NATPMP_LENGTH, NATPMP_OPCODE, NATPMP_RESPONSE_BIT, NATPMP_VERSION } from '../constants.js';

/** A request as read off the wire. */
export type NatpmpRequest =
  | { readonly kind: 'address'; readonly version: number; readonly opcode: 0 }
  | {
      readonly kind: 'map';
      readonly version: number;
      readonly opcode: 1 | 2;
      readonly protocol: 'udp' | 'tcp';
      readonly internalPort: number;
      readonly externalPort: number;
      readonly lifetime: number;
    }
  /** A version other than 0: answered "unsupported version" with the opcode echoed. */
  | { readonly kind: 'bad-version'; readonly version: number; readonly opcode: number }
  /** Version 0, an opcode NAT-PMP lacks: answered "unsupported opcode". */
  | { readonly kind: 'bad-opcode'; readonly version: number; readonly opcode: number };

/** Why a datagram gets no answer at all. */
export type IgnoreReason = 'too-short' | 'response';

/** Reads a request; `{ ignored }` for what a server drops silently (as miniupnpd: too short, or a response). */
export function parseNatpmpRequest(d: Uint8Array): NatpmpRequest | { readonly ignored: IgnoreReason } {
  if (d.length < NATPMP_LENGTH.addressRequest) return { ignored: 'too-short' };
  const version = d[0]!;
  const opcode = d[1]!;
  if (opcode & NATPMP_RESPONSE_BIT) return { ignored: 'response' };
  const isMap = opcode === NATPMP_OPCODE.MapUdp || opcode === NATPMP_OPCODE.MapTcp;
  if (isMap && d.length < NATPMP_LENGTH.mapRequest) return { ignored: 'too-short' };
  if (version !== NATPMP_VERSION) return { kind: 'bad-version', version, opcode };
  if (opcode === NATPMP_OPCODE.ExternalAddress) return { kind: 'address', version, opcode };
  if (!isMap) return { kind: 'bad-opcode', version, opcode };
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  return {
    kind: 'map',
    version,
    opcode: opcode as 1 | 2,
    protocol: opcode === NATPMP_OPCODE.MapUdp ? 'udp' : 'tcp',
    internalPort: view.getUint16(4),
    externalPort: view.getUint16(6),
    lifetime: view.getUint32(8),
  };
}

function header(length: number, opcode: number, result: number, epoch: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, NATPMP_VERSION);
  view.setUint8(1, (opcode | NATPMP_RESPONSE_BIT) & 0xff);
  view.setUint16(2, result);
  view.setUint32(4, epoch >>> 0);
  return { bytes, view };
}

/** An 8-byte response carrying only a result code (unsupported version or opcode). */
export function encodeErrorResponse(opcode: number, result: number, epoch: number): Uint8Array {
  return header(NATPMP_LENGTH.error, opcode, result, epoch).bytes;
}

/** The external-address response (opcode 128); `address` 0.0.0.0 with a non-zero result. */
export function encodeAddressResponse(result: number, epoch: number, address: string): Uint8Array {
  const { bytes } = header(NATPMP_LENGTH.addressResponse, NATPMP_OPCODE.ExternalAddress, result, epoch);
  const parts = (address || '0.0.0.0').split('.').map(Number);
  for (let i = 0; i < 4; i++) bytes[8 + i] = parts[i] ?? 0;
  return bytes;
}

/** A map response (opcode 129 or 130). */
export function encodeMapResponse(
  opcode: 1 | 2,
  result: number,
  epoch: number,
  internalPort: number,
  externalPort: number,
  lifetime: number,
): Uint8Array {
  const { bytes, view } = header(NATPMP_LENGTH.mapResponse, opcode, result, epoch);
  view.setUint16(8, internalPort);
  view.setUint16(10, externalPort);
  view.setUint32(12, lifetime >>> 0);
  return bytes;
}

/** A response as read back (for tests and the in-process client). */
export interface NatpmpResponse {
  readonly version: number;
  readonly opcode: number;
  readonly result: number;
  readonly epoch: number;
  readonly address?: string;
  readonly internalPort?: number;
  readonly externalPort?: number;
  readonly lifetime?: number;
}

/** Reads a response; throws on one shorter than its header. */
export function parseNatpmpResponse(d: Uint8Array): NatpmpResponse {
  if (d.length < NATPMP_LENGTH.error) throw new Error(`NAT-PMP response of ${d.length} bytes is shorter than its 8-byte header`);
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const base = { version: d[0]!, opcode: d[1]!, result: view.getUint16(2), epoch: view.getUint32(4) };
  if (base.opcode === (NATPMP_OPCODE.ExternalAddress | NATPMP_RESPONSE_BIT) && d.length >= NATPMP_LENGTH.addressResponse) {
    return { ...base, address: `${d[8]}.${d[9]}.${d[10]}.${d[11]}` };
  }
  if (d.length >= NATPMP_LENGTH.mapResponse) {
    return { ...base, internalPort: view.getUint16(8), externalPort: view.getUint16(10), lifetime: view.getUint32(12) };
  }
  return base;
}

/** A request's bytes (for tests and the in-process client). */
export function encodeNatpmpRequest(r: {
  opcode: number;
  version?: number;
  internalPort?: number;
  externalPort?: number;
  lifetime?: number;
}): Uint8Array {
  if (r.opcode === NATPMP_OPCODE.ExternalAddress) return Uint8Array.of(r.version ?? NATPMP_VERSION, r.opcode);
  const bytes = new Uint8Array(NATPMP_LENGTH.mapRequest);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, r.version ?? NATPMP_VERSION);
  view.setUint8(1, r.opcode);
  view.setUint16(4, r.internalPort ?? 0);
  view.setUint16(6, r.externalPort ?? 0);
  view.setUint32(8, r.lifetime ?? 0);
  return bytes;
}
