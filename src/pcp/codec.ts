/**
 * PCP requests off the wire (RFC 6887 §7.1, §8.3, §11.1, §12.1, §14.1): the checks a server makes
 * before it looks at any mapping, in the RFC's order. Each step reads a fixed number of bytes or
 * walks the options once (linear, bounded by the 1100-byte maximum).
 */
import { PCP_LENGTH, PCP_OPCODE, PCP_RESPONSE_BIT, PCP_RESULT } from '../constants.js';
import { type PcpAddress, readPcpAddress } from './address.js';
import { opcodeDataLength, pcpLayout } from './layout.js';
import { type PcpOptions, parsePcpOptions } from './options.js';

/** The common header of a request. */
export interface PcpHeader {
  readonly version: number;
  readonly opcode: number;
  readonly lifetime: number;
  /** The PCP Client's IP Address field. */
  readonly client: PcpAddress;
}

/** MAP and PEER requests' shared fields. */
interface MappingFields {
  readonly header: PcpHeader;
  readonly options: PcpOptions;
  /** The 96-bit nonce as 24 hex digits ('' for the version-1 draft, which has none). */
  readonly nonce: string;
  /** IANA protocol number (0 = all). */
  readonly protocol: number;
  readonly internalPort: number;
  readonly suggestedPort: number;
  readonly suggestedAddress: PcpAddress;
  /** The opcode data as received (an error response copies it). */
  readonly body: Uint8Array;
}

export type PcpRequest =
  | { readonly kind: 'announce'; readonly header: PcpHeader; readonly options: PcpOptions }
  | ({ readonly kind: 'map' } & MappingFields)
  | ({ readonly kind: 'peer'; readonly remotePort: number; readonly remoteAddress: PcpAddress } & MappingFields);

/** A request that cannot be served as sent: the result code and what the error response echoes. */
export interface PcpRequestError {
  readonly error: number;
  readonly version: number;
  readonly opcode: number;
  readonly lifetime: number;
  /** The opcode data, when the request held all of it. */
  readonly body?: Uint8Array;
  /** The offending option (UNSUPP_OPTION, MALFORMED_OPTION). */
  readonly option?: Uint8Array;
  readonly message: string;
}

/** Why a datagram gets no answer (RFC 6887 §8.3: under two bytes, or a response). */
export type PcpIgnoreReason = 'too-short' | 'response';

export type PcpParse = PcpRequest | PcpRequestError | { readonly ignored: PcpIgnoreReason };

const u16 = (d: Uint8Array, at: number): number => (d[at]! << 8) | d[at + 1]!;
const u32 = (d: Uint8Array, at: number): number => ((d[at]! << 24) | (d[at + 1]! << 16) | (d[at + 2]! << 8) | d[at + 3]!) >>> 0;

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Reads a request a server speaking `versions` received. */
export function parsePcpRequest(d: Uint8Array, versions: readonly number[]): PcpParse {
  if (d.length < 2) return { ignored: 'too-short' };
  if (d[1]! & PCP_RESPONSE_BIT) return { ignored: 'response' };
  const version = d[0]!;
  const opcode = d[1]!;
  const lifetime = d.length >= 8 ? u32(d, 4) : 0;
  const fail = (error: number, message: string, extra: Partial<PcpRequestError> = {}): PcpRequestError => ({
    error,
    version,
    opcode,
    lifetime,
    message,
    ...extra,
  });
  if (!versions.includes(version))
    return fail(PCP_RESULT.UNSUPP_VERSION, `PCP version ${version} is not spoken (${versions.join(', ') || 'none'})`);
  if (d.length < PCP_LENGTH.header || d.length > PCP_LENGTH.max || d.length % 4 !== 0) {
    return fail(PCP_RESULT.MALFORMED_REQUEST, `a request of ${d.length} bytes (24–1100, a multiple of 4)`);
  }
  if (opcode !== PCP_OPCODE.Announce && opcode !== PCP_OPCODE.Map && opcode !== PCP_OPCODE.Peer) {
    return fail(PCP_RESULT.UNSUPP_OPCODE, `opcode ${opcode} is not supported`);
  }
  const dataEnd = PCP_LENGTH.header + opcodeDataLength(version, opcode);
  if (d.length < dataEnd) return fail(PCP_RESULT.MALFORMED_REQUEST, `opcode ${opcode} needs ${dataEnd} bytes, got ${d.length}`);
  const body = d.slice(PCP_LENGTH.header, dataEnd);
  const options = parsePcpOptions(d, dataEnd, opcode);
  if ('result' in options) {
    return fail(options.result, options.message, { body, ...(options.option ? { option: options.option.slice() } : {}) });
  }
  const header: PcpHeader = { version, opcode, lifetime, client: readPcpAddress(d, 8) };
  if (opcode === PCP_OPCODE.Announce) return { kind: 'announce', header, options };
  return opcode === PCP_OPCODE.Map ? { kind: 'map', ...mappingFields(header, options, body) } : peerRequest(header, options, body);
}

function mappingFields(header: PcpHeader, options: PcpOptions, body: Uint8Array): MappingFields {
  const l = pcpLayout(header.version);
  const nonce = l.nonce === undefined ? '' : hex(body.subarray(l.nonce, l.nonce + 12));
  return {
    header,
    options,
    nonce,
    body,
    protocol: body[l.protocol]!,
    internalPort: u16(body, l.internalPort),
    suggestedPort: u16(body, l.externalPort),
    suggestedAddress: readPcpAddress(body, l.externalAddress),
  };
}

function peerRequest(header: PcpHeader, options: PcpOptions, body: Uint8Array): PcpRequest {
  const l = pcpLayout(header.version);
  return {
    kind: 'peer',
    ...mappingFields(header, options, body),
    remotePort: u16(body, l.remotePort),
    remoteAddress: readPcpAddress(body, l.remoteAddress),
  };
}
