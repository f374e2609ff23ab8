/**
 * Building PCP requests (the client side of RFC 6887 §7.1, §11.1, §12.1, §13): for tests and
 * natsim's in-process clients.
 */
import { PCP_LENGTH, PCP_OPCODE, PCP_OPTION, PCP_VERSION } from '../constants.js';
import { writePcpAddress } from './address.js';
import { opcodeDataLength, pcpLayout } from './layout.js';

/** A request's fields; unset ones are zero. Addresses are IPv4 text ('' = unspecified). */
export interface PcpRequestSpec {
  readonly version?: number;
  readonly opcode: number;
  readonly lifetime?: number;
  readonly client: string;
  /** 24 hex digits (version 2). */
  readonly nonce?: string;
  readonly protocol?: number;
  readonly internalPort?: number;
  readonly suggestedPort?: number;
  readonly suggestedAddress?: string;
  readonly remotePort?: number;
  readonly remoteAddress?: string;
  /** Encoded options ({@link pcpOption}). */
  readonly options?: readonly Uint8Array[];
}

/** Encodes a request. */
export function encodePcpRequest(s: PcpRequestSpec): Uint8Array {
  const version = s.version ?? PCP_VERSION;
  const dataLength = opcodeDataLength(version, s.opcode);
  const options = s.options ?? [];
  const out = new Uint8Array(PCP_LENGTH.header + dataLength + options.reduce((n, o) => n + o.length, 0));
  const view = new DataView(out.buffer);
  out[0] = version;
  out[1] = s.opcode & 0x7f;
  view.setUint32(4, (s.lifetime ?? 0) >>> 0);
  writePcpAddress(out, 8, s.client);
  if (dataLength > 0) writeMappingData(out.subarray(PCP_LENGTH.header, PCP_LENGTH.header + dataLength), version, s);
  let at = PCP_LENGTH.header + dataLength;
  for (const o of options) {
    out.set(o, at);
    at += o.length;
  }
  return out;
}

function writeMappingData(b: Uint8Array, version: number, s: PcpRequestSpec): void {
  const l = pcpLayout(version);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (l.nonce !== undefined) {
    const n = s.nonce ?? '';
    for (let i = 0; i < 12; i++) b[l.nonce + i] = parseInt(n.slice(i * 2, i * 2 + 2) || '0', 16);
  }
  b[l.protocol] = s.protocol ?? 0;
  view.setUint16(l.internalPort, s.internalPort ?? 0);
  view.setUint16(l.externalPort, s.suggestedPort ?? 0);
  writePcpAddress(b, l.externalAddress, s.suggestedAddress ?? '');
  if (s.opcode === PCP_OPCODE.Peer) {
    view.setUint16(l.remotePort, s.remotePort ?? 0);
    writePcpAddress(b, l.remoteAddress, s.remoteAddress ?? '');
  }
}

/** One option: code, reserved, length, the body, padding to a multiple of 4. */
export function pcpOption(code: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(PCP_LENGTH.optionHeader + ((body.length + 3) & ~3));
  out[0] = code;
  out[2] = body.length >> 8;
  out[3] = body.length & 0xff;
  out.set(body, PCP_LENGTH.optionHeader);
  return out;
}

/** THIRD_PARTY naming an internal host. */
export function thirdPartyOption(internal: string): Uint8Array {
  const body = new Uint8Array(PCP_LENGTH.thirdParty);
  writePcpAddress(body, 0, internal);
  return pcpOption(PCP_OPTION.ThirdParty, body);
}

/** PREFER_FAILURE. */
export function preferFailureOption(): Uint8Array {
  return pcpOption(PCP_OPTION.PreferFailure);
}

/** FILTER: remote peers in `address`/`prefixLength` (IPv4 prefix length, 0–32) on `port` (0 = any). */
export function filterOption(address: string, prefixLength: number, port = 0): Uint8Array {
  const body = new Uint8Array(PCP_LENGTH.filter);
  body[1] = prefixLength === 0 ? 0 : 96 + prefixLength;
  body[2] = port >> 8;
  body[3] = port & 0xff;
  writePcpAddress(body, 4, address);
  return pcpOption(PCP_OPTION.Filter, body);
}
