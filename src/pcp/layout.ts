/**
 * Where the fields of MAP and PEER opcode data sit, per PCP version: version 2 (RFC 6887 §11.1,
 * §12.1) starts with the 96-bit mapping nonce; the version-1 draft had none, so every field sits
 * 12 bytes earlier.
 */
import { PCP_LENGTH, PCP_OPCODE, PCP_VERSION } from '../constants.js';

export interface PcpLayout {
  /** Offset of the nonce, or undefined (version 1). */
  readonly nonce: number | undefined;
  readonly protocol: number;
  readonly internalPort: number;
  readonly externalPort: number;
  readonly externalAddress: number;
  readonly remotePort: number;
  readonly remoteAddress: number;
  /** Reserved byte ranges [from, to) that a response carries as zeros. */
  readonly reserved: readonly (readonly [number, number])[];
  readonly mapLength: number;
  readonly peerLength: number;
}

function layout(base: number, v2: boolean): PcpLayout {
  return {
    nonce: v2 ? 0 : undefined,
    protocol: base,
    internalPort: base + 4,
    externalPort: base + 6,
    externalAddress: base + 8,
    remotePort: base + 24,
    remoteAddress: base + 28,
    reserved: [
      [base + 1, base + 4],
      [base + 26, base + 28],
    ],
    mapLength: v2 ? PCP_LENGTH.map : PCP_LENGTH.mapV1,
    peerLength: v2 ? PCP_LENGTH.peer : PCP_LENGTH.peerV1,
  };
}

const V2 = layout(12, true);
const V1 = layout(0, false);

/** The layout of a version's opcode data. */
export function pcpLayout(version: number): PcpLayout {
  return version === PCP_VERSION ? V2 : V1;
}

/** How many bytes of opcode data an opcode has in a version (ANNOUNCE: none). */
export function opcodeDataLength(version: number, opcode: number): number {
  const l = pcpLayout(version);
  return opcode === PCP_OPCODE.Map ? l.mapLength : opcode === PCP_OPCODE.Peer ? l.peerLength : 0;
}
