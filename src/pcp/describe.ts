/**
 * A PCP datagram in a few words, for explanations: `MAP TCP 100.64.0.2:8080 (suggesting 8080,
 * 3600 s, PREFER_FAILURE)`, or an answer `SUCCESS: 203.0.113.1:8080 for 3600 s`. Undefined for
 * what is not PCP (version 0 is NAT-PMP).
 */
import { IP_PROTOCOL, PCP_OPCODE, PCP_RESPONSE_BIT, PCP_RESULT } from '../constants.js';
import { describePcpAddress } from './address.js';
import { parsePcpRequest } from './codec.js';
import { pcpResultName } from './refusals.js';
import { parsePcpResponse } from './response.js';

const OPCODES: Readonly<Record<number, string>> = { [PCP_OPCODE.Announce]: 'ANNOUNCE', [PCP_OPCODE.Map]: 'MAP', [PCP_OPCODE.Peer]: 'PEER' };
const protocolName = (n: number | undefined): string =>
  n === IP_PROTOCOL.udp ? 'UDP' : n === IP_PROTOCOL.tcp ? 'TCP' : n === IP_PROTOCOL.all ? 'all protocols' : `protocol ${n}`;

export function describePcpDatagram(d: Uint8Array): string | undefined {
  if (d.length < 2 || d[0] === 0) return undefined;
  return d[1]! & PCP_RESPONSE_BIT ? describeResponse(d) : describeRequest(d);
}

function describeRequest(d: Uint8Array): string | undefined {
  const r = parsePcpRequest(d, [d[0]!]);
  if ('ignored' in r) return undefined;
  if ('error' in r) return `a malformed request (${r.message})`;
  if (r.kind === 'announce') return 'ANNOUNCE';
  const opts = r.options;
  const who = describePcpAddress(opts.thirdParty ?? r.header.client);
  const parts = [
    ...(opts.thirdParty ? ['THIRD_PARTY'] : []),
    ...(r.suggestedPort !== 0 ? [`suggesting ${r.suggestedPort}`] : []),
    r.header.lifetime === 0 ? 'lifetime 0: delete' : `${r.header.lifetime} s`,
    ...(opts.preferFailure ? ['PREFER_FAILURE'] : []),
  ];
  return `${OPCODES[r.header.opcode] ?? `opcode ${r.header.opcode}`} ${protocolName(r.protocol)} ${who}:${r.internalPort} (${parts.join(', ')})`;
}

function describeResponse(d: Uint8Array): string | undefined {
  let r: ReturnType<typeof parsePcpResponse>;
  try {
    r = parsePcpResponse(d);
  } catch {
    return undefined;
  }
  const name = pcpResultName(r.result);
  if (r.result !== PCP_RESULT.SUCCESS) return `${name} (retry after ${r.lifetime} s)`;
  if (r.opcode === PCP_OPCODE.Announce || r.externalAddress === undefined) return `${name}, epoch ${r.epoch} s`;
  if (r.lifetime === 0) return `${name}: deleted`;
  return `${name}: ${describePcpAddress(r.externalAddress)}:${r.externalPort} for ${r.lifetime} s`;
}
