/**
 * Whom a MAP or PEER is for (RFC 6887 §13.1): the sender, or the host a THIRD_PARTY option names.
 * A server without the option answers UNSUPP_OPTION; whether a third party may be mapped is the
 * model's call (the mapping service's `authorize`).
 */
import { IP_PROTOCOL, PCP_RESULT } from '../constants.js';
import type { PcpRequest } from './codec.js';
import { type PcpAnswer, type PcpContext, refuseRequest } from './reply.js';

/** The internal host, or the answer refusing the option. */
export type InternalHost = { readonly host: string; readonly thirdParty: boolean } | PcpAnswer;

export function internalHost(ctx: PcpContext, req: Extract<PcpRequest, { kind: 'map' | 'peer' }>): InternalHost {
  const { thirdParty, thirdPartyOption } = req.options;
  if (!thirdParty || !thirdPartyOption) return { host: ctx.source.address, thirdParty: false };
  if (ctx.policy.thirdParty === 'unsupported') {
    return refuseRequest(ctx, req, PCP_RESULT.UNSUPP_OPTION, 'THIRD_PARTY is not supported here', [thirdPartyOption]);
  }
  if (thirdParty.kind !== 'ipv4')
    return refuseRequest(ctx, req, PCP_RESULT.MALFORMED_OPTION, 'THIRD_PARTY must name an IPv4 host', [thirdPartyOption]);
  if (thirdParty.address === ctx.source.address) {
    return refuseRequest(ctx, req, PCP_RESULT.MALFORMED_REQUEST, 'THIRD_PARTY names the sender itself');
  }
  return { host: thirdParty.address, thirdParty: true };
}

/** IANA protocol number → the model's protocol; 'all' for 0; undefined for the rest. */
export function protocolOf(n: number): 'udp' | 'tcp' | 'all' | undefined {
  return n === IP_PROTOCOL.udp ? 'udp' : n === IP_PROTOCOL.tcp ? 'tcp' : n === IP_PROTOCOL.all ? 'all' : undefined;
}
