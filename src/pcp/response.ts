/**
 * PCP responses (RFC 6887 §7.2, §11.1, §12.1): the common header (R bit, result code, lifetime,
 * epoch time, 96 reserved bits), the opcode data, the options. Encoding for the server; decoding
 * for tests and in-process clients.
 */
import { PCP_LENGTH, PCP_OPCODE, PCP_RESPONSE_BIT } from '../constants.js';
import { type PcpAddress, readPcpAddress, writePcpAddress } from './address.js';
import { opcodeDataLength, pcpLayout } from './layout.js';

/** What a response says. */
export interface PcpResponseFields {
  readonly version: number;
  readonly opcode: number;
  readonly result: number;
  readonly lifetime: number;
  readonly epoch: number;
  /** Opcode data (MAP, PEER), already filled in. */
  readonly body?: Uint8Array;
  /** Options, each padded to a multiple of 4. */
  readonly options?: readonly Uint8Array[];
}

/** Encodes a response; its length is a multiple of 4 and at most 1100 (options past that are dropped). */
export function encodePcpResponse(r: PcpResponseFields): Uint8Array {
  const body = r.body ?? new Uint8Array(0);
  const options: Uint8Array[] = [];
  let length = PCP_LENGTH.header + body.length;
  for (const o of r.options ?? []) {
    if (length + o.length > PCP_LENGTH.max) break;
    options.push(o);
    length += o.length;
  }
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out[0] = r.version;
  out[1] = (r.opcode | PCP_RESPONSE_BIT) & 0xff;
  out[3] = r.result;
  view.setUint32(4, r.lifetime >>> 0);
  view.setUint32(8, r.epoch >>> 0);
  out.set(body, PCP_LENGTH.header);
  let at = PCP_LENGTH.header + body.length;
  for (const o of options) {
    out.set(o, at);
    at += o.length;
  }
  return out;
}

/**
 * The opcode data of a MAP or PEER response: the request's (nonce, protocol, internal port,
 * remote peer) with the assigned external port and address, reserved bytes zeroed. An error
 * response passes the suggested port and address through (RFC 6887 §11.1).
 */
export function mappingResponseBody(version: number, requestBody: Uint8Array, assigned?: { port: number; address: string }): Uint8Array {
  const l = pcpLayout(version);
  const body = requestBody.slice();
  for (const [from, to] of l.reserved) if (to <= body.length) body.fill(0, from, to);
  if (assigned) {
    body[l.externalPort] = assigned.port >> 8;
    body[l.externalPort + 1] = assigned.port & 0xff;
    writePcpAddress(body, l.externalAddress, assigned.address);
  }
  return body;
}

/** A response as read back. */
export interface PcpResponse {
  readonly version: number;
  readonly opcode: number;
  readonly result: number;
  readonly lifetime: number;
  readonly epoch: number;
  readonly nonce?: string;
  readonly protocol?: number;
  readonly internalPort?: number;
  readonly externalPort?: number;
  readonly externalAddress?: PcpAddress;
  readonly remotePort?: number;
  readonly remoteAddress?: PcpAddress;
  /** Option codes present, in order. */
  readonly optionCodes: readonly number[];
  readonly length: number;
}

const u16 = (d: Uint8Array, at: number): number => (d[at]! << 8) | d[at + 1]!;

/** Reads a response (throws on one shorter than its header or opcode data). */
export function parsePcpResponse(d: Uint8Array): PcpResponse {
  if (d.length < PCP_LENGTH.header || !(d[1]! & PCP_RESPONSE_BIT)) throw new RangeError(`not a PCP response (${d.length} bytes)`);
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const version = d[0]!;
  const opcode = d[1]! & ~PCP_RESPONSE_BIT;
  const base = { version, opcode, result: d[3]!, lifetime: view.getUint32(4), epoch: view.getUint32(8), length: d.length };
  const dataLength = d.length > PCP_LENGTH.header ? opcodeDataLength(version, opcode) : 0;
  const end = PCP_LENGTH.header + dataLength;
  const optionCodes = readOptionCodes(d, end);
  if (dataLength === 0 || d.length < end) return { ...base, optionCodes };
  const l = pcpLayout(version);
  const b = d.subarray(PCP_LENGTH.header, end);
  const nonce = l.nonce === undefined ? '' : Array.from(b.subarray(0, 12), (x) => x.toString(16).padStart(2, '0')).join('');
  const fields = {
    ...base,
    optionCodes,
    nonce,
    protocol: b[l.protocol]!,
    internalPort: u16(b, l.internalPort),
    externalPort: u16(b, l.externalPort),
    externalAddress: readPcpAddress(b, l.externalAddress),
  };
  return opcode === PCP_OPCODE.Peer
    ? { ...fields, remotePort: u16(b, l.remotePort), remoteAddress: readPcpAddress(b, l.remoteAddress) }
    : fields;
}

function readOptionCodes(d: Uint8Array, from: number): number[] {
  const codes: number[] = [];
  for (let at = from; at + PCP_LENGTH.optionHeader <= d.length; ) {
    codes.push(d[at]!);
    at += PCP_LENGTH.optionHeader + ((u16(d, at + 2) + 3) & ~3);
  }
  return codes;
}
