/**
 * The pure PCP server (RFC 6887): one datagram from one source, answered as one router at one
 * moment. No sockets and no clock of its own; the UDP 5351 adapter dispatches version 2 (and 1,
 * where a profile speaks the draft) here and version 0 to NAT-PMP. Policy lives in the model;
 * this reads the wire (./codec.ts), checks what RFC 6887 §8.3 asks of every request, and turns
 * the model's refusals into result codes (./refusals.ts).
 */
import { PCP_RESULT } from '../constants.js';
import { isIPv4, parseIPv4 } from '../nat/address.js';
import { pcpPolicyOf } from '../nat/pcp-policy.js';
import type { Router } from '../nat/router.js';
import { describePcpAddress } from './address.js';
import { type PcpRequestError, parsePcpRequest } from './codec.js';
import { answerMap } from './map.js';
import { answerPeer } from './peer.js';
import { answerVersion, type PcpAnswer, type PcpContext, type PcpOutcome, type PcpSource, pcpAnswer, refuseRequest } from './reply.js';
import { mappingResponseBody } from './response.js';

export type { PcpOutcome, PcpSource } from './reply.js';

/** Answers one PCP datagram from `source`, as `router` at `now` (ms). */
export function answerPcp(datagram: Uint8Array, source: PcpSource, router: Router, now: number): PcpOutcome {
  if (router.mappings.config.policy.portControl === 'absent') return { ignored: 'not-served' };
  if (!isIPv4(source.address) || !router.onLan(parseIPv4(source.address))) return { ignored: 'not-from-lan' };
  const policy = pcpPolicyOf(router.mappings.config.policy);
  // NAT-PMP only: the port's NAT-PMP server answers (UNSUPP_VERSION, RFC 6887 §9).
  if (policy.versions.length === 0) return { ignored: 'not-served' };
  const parsed = parsePcpRequest(datagram, policy.versions);
  if ('ignored' in parsed) return parsed;
  router.expire(now);
  const ctx: PcpContext = { router, policy, source, now, epoch: router.mappings.epochSeconds(now) };
  if ('error' in parsed) return answerRequestError(ctx, parsed);
  const client = parsed.header.client;
  if (client.kind !== 'ipv4' || client.address !== source.address) {
    return refuseRequest(
      ctx,
      parsed,
      PCP_RESULT.ADDRESS_MISMATCH,
      `the client address field says ${describePcpAddress(client)}, the packet came from ${source.address}: a NAT sits between`,
    );
  }
  switch (parsed.kind) {
    case 'announce':
      return { ...pcpAnswer(ctx, parsed.header, PCP_RESULT.SUCCESS, 0), request: parsed };
    case 'map':
      return answerMap(ctx, parsed);
    case 'peer':
      return answerPeer(ctx, parsed);
  }
}

/** An error found while reading: header, the opcode data when it was whole, the offending option. */
function answerRequestError(ctx: PcpContext, e: PcpRequestError): PcpAnswer {
  const version = e.error === PCP_RESULT.UNSUPP_VERSION ? answerVersion(e.version, ctx.policy.versions) : e.version;
  const body = e.body ? mappingResponseBody(e.version, e.body) : undefined;
  return pcpAnswer(
    ctx,
    { version, opcode: e.opcode & 0x7f },
    e.error,
    0,
    {
      ...(body ? { body } : {}),
      ...(e.option ? { options: [e.option] } : {}),
    },
    { message: e.message },
  );
}
