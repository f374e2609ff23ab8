/**
 * The PCP wire format the model's upstream relay speaks (src/nat/upstream-pcp.ts): a MAP request
 * (version 2, with THIRD_PARTY and PREFER_FAILURE as asked) and its response read back. Networks
 * whose routers relay upstream are built with it (`new Network({ pcpWire: PCP_WIRE })`).
 */
import { IP_PROTOCOL, PCP_OPCODE, PCP_VERSION } from '../constants.js';
import type { PcpWire, UpstreamMapReply, UpstreamMapRequest } from '../nat/upstream-pcp.js';
import { pcpResultName } from './refusals.js';
import { encodePcpRequest, preferFailureOption, thirdPartyOption } from './request.js';
import { parsePcpResponse } from './response.js';

function encodeMap(r: UpstreamMapRequest): Uint8Array {
  const options: Uint8Array[] = [];
  if (r.thirdParty !== undefined) options.push(thirdPartyOption(r.thirdParty));
  if (r.preferFailure) options.push(preferFailureOption());
  return encodePcpRequest({
    version: PCP_VERSION,
    opcode: PCP_OPCODE.Map,
    lifetime: r.lifetime,
    client: r.client,
    nonce: r.nonce,
    protocol: r.protocol === 'udp' ? IP_PROTOCOL.udp : IP_PROTOCOL.tcp,
    internalPort: r.internalPort,
    suggestedPort: r.suggestedPort,
    options,
  });
}

function decodeMap(d: Uint8Array): UpstreamMapReply | undefined {
  // NAT-PMP's answer (version 0) and anything that is no version-2 MAP response are not ours.
  if (d.length < 2 || d[0] !== PCP_VERSION || (d[1]! & 0x7f) !== PCP_OPCODE.Map) return undefined;
  let r: ReturnType<typeof parsePcpResponse>;
  try {
    r = parsePcpResponse(d);
  } catch {
    return undefined;
  }
  const address = r.externalAddress;
  return {
    result: r.result,
    lifetime: r.lifetime,
    epoch: r.epoch,
    externalAddress: address?.kind === 'ipv4' ? address.address : '',
    externalPort: r.externalPort ?? 0,
  };
}

/** PCP version 2 MAP, as the relay asks and reads it. */
export const PCP_WIRE: PcpWire = { encodeMap, decodeMap, resultName: pcpResultName };
