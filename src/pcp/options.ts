/**
 * PCP options (RFC 6887 §7.3, §13): code, reserved, length (the semantic length, without the
 * padding that brings each option to a multiple of 4 bytes), data. Codes below 128 must be
 * understood; 128 and above may be skipped. One pass over the bytes; every option is bounded by
 * the message (at most 1100 bytes).
 */
import { PCP_LENGTH, PCP_OPCODE, PCP_OPTION, PCP_OPTIONAL_OPTION_MIN, PCP_RESULT } from '../constants.js';
import { type PcpAddress, readPcpAddress } from './address.js';

/** A FILTER option: remote peers allowed to use the mapping (prefix length over the 128-bit address). */
export interface PcpFilter {
  readonly prefixLength: number;
  /** 0 = any port. */
  readonly remotePort: number;
  readonly remote: PcpAddress;
}

/** The options of a request, understood. */
export interface PcpOptions {
  readonly thirdParty?: PcpAddress;
  /** The THIRD_PARTY option's bytes (an UNSUPP_OPTION answer echoes them). */
  readonly thirdPartyOption?: Uint8Array;
  readonly preferFailure: boolean;
  readonly filters: readonly PcpFilter[];
  /** The understood options' bytes (padded), echoed in a success response. */
  readonly echo: readonly Uint8Array[];
}

/** A request the options make wrong: the result code, the offending option's bytes, why. */
export interface PcpOptionError {
  readonly result: number;
  readonly option?: Uint8Array;
  readonly message: string;
}

/** Options each opcode may carry (RFC 6887 §13.1–13.3). */
const ALLOWED: Readonly<Record<number, readonly number[]>> = {
  [PCP_OPCODE.Announce]: [],
  [PCP_OPCODE.Map]: [PCP_OPTION.ThirdParty, PCP_OPTION.PreferFailure, PCP_OPTION.Filter],
  [PCP_OPCODE.Peer]: [PCP_OPTION.ThirdParty],
};

/** The body length each known option must have. */
const BODY: Readonly<Record<number, number>> = {
  [PCP_OPTION.ThirdParty]: PCP_LENGTH.thirdParty,
  [PCP_OPTION.PreferFailure]: PCP_LENGTH.preferFailure,
  [PCP_OPTION.Filter]: PCP_LENGTH.filter,
};

const NAMES: Readonly<Record<number, string>> = { 1: 'THIRD_PARTY', 2: 'PREFER_FAILURE', 3: 'FILTER' };

const malformed = (message: string, option?: Uint8Array): PcpOptionError => ({
  result: PCP_RESULT.MALFORMED_OPTION,
  message,
  ...(option ? { option } : {}),
});

/** Reads the options from `offset` to the end of `d` (whose length is a multiple of 4) for `opcode`. */
export function parsePcpOptions(d: Uint8Array, offset: number, opcode: number): PcpOptions | PcpOptionError {
  let thirdParty: PcpAddress | undefined;
  let thirdPartyOption: Uint8Array | undefined;
  let preferFailure = false;
  const filters: PcpFilter[] = [];
  const echo: Uint8Array[] = [];
  for (let at = offset; at < d.length; ) {
    if (d.length - at < PCP_LENGTH.optionHeader) return malformed(`an option header at byte ${at} is cut short`);
    const code = d[at]!;
    const length = (d[at + 2]! << 8) | d[at + 3]!;
    const end = at + PCP_LENGTH.optionHeader + ((length + 3) & ~3);
    if (end > d.length) return malformed(`option ${code} at byte ${at} says ${length} bytes, past the end of the message`);
    const raw = d.subarray(at, end);
    const body = d.subarray(at + PCP_LENGTH.optionHeader, at + PCP_LENGTH.optionHeader + length);
    at = end;
    if (NAMES[code] === undefined) {
      if (code >= PCP_OPTIONAL_OPTION_MIN) continue;
      return { result: PCP_RESULT.UNSUPP_OPTION, option: raw, message: `option ${code} is mandatory to process and not supported` };
    }
    const name = NAMES[code];
    if (!ALLOWED[opcode]!.includes(code)) return malformed(`${name} is not valid with opcode ${opcode}`, raw);
    if (length !== BODY[code]) return malformed(`${name} must be ${BODY[code]} bytes, not ${length}`, raw);
    if (code === PCP_OPTION.ThirdParty) {
      if (thirdParty) return malformed('THIRD_PARTY appears twice', raw);
      thirdParty = readPcpAddress(body, 0);
      thirdPartyOption = raw.slice();
    } else if (code === PCP_OPTION.PreferFailure) {
      if (preferFailure) return malformed('PREFER_FAILURE appears twice', raw);
      preferFailure = true;
    } else {
      const f = readFilter(body);
      if ('message' in f) return malformed(f.message, raw);
      filters.push(f);
    }
    echo.push(raw);
  }
  return { ...(thirdParty && thirdPartyOption ? { thirdParty, thirdPartyOption } : {}), preferFailure, filters, echo };
}

/** A FILTER body: reserved, prefix length, remote peer port, remote peer address. */
function readFilter(body: Uint8Array): PcpFilter | { message: string } {
  const prefixLength = body[1]!;
  const remote = readPcpAddress(body, 4);
  if (prefixLength > 128) return { message: `FILTER prefix length ${prefixLength} is over 128` };
  // An IPv4 prefix counts the 96 bits of ::ffff:0:0/96 (RFC 6887 §13.3); 0 means "no filter".
  if (prefixLength !== 0 && prefixLength < 96 && remote.kind !== 'ipv6') {
    return { message: `FILTER prefix length ${prefixLength} is shorter than the IPv4-mapped prefix (96)` };
  }
  return { prefixLength, remotePort: (body[2]! << 8) | body[3]!, remote };
}
