/**
 * The port-control port (UDP 5351) as one pure function: NAT-PMP and PCP share it and are told
 * apart by the version byte (RFC 6887 §9). Where PCP is offered, a datagram whose first byte is
 * not NAT-PMP's 0 goes to the PCP server; a router whose policy speaks no PCP version leaves it
 * to NAT-PMP, which answers "unsupported version" (result 1) so that PCP clients fall back. The
 * socket adapter (src/gateway/natpmp-server.ts) and the simulation's clients both call this.
 */
import { NATPMP_MAX_DATAGRAM, PCP_LENGTH } from '../constants.js';
import type { Router } from '../nat/router.js';
import { answerNatpmp, type NatpmpOutcome, type NatpmpSource } from '../natpmp/responder.js';
import type { PcpOutcome } from './reply.js';
import { answerPcp } from './responder.js';

/** Which server answered, and how. */
export type PortControlOutcome =
  | { readonly protocol: 'pcp'; readonly outcome: PcpOutcome }
  | { readonly protocol: 'natpmp'; readonly outcome: NatpmpOutcome };

/** Answers one datagram on the port-control port, as `router` at `now`; `pcp`: the router offers PCP. */
export function answerPortControl(
  datagram: Uint8Array,
  source: NatpmpSource,
  router: Router,
  now: number,
  pcp: boolean,
): PortControlOutcome {
  if (pcp && datagram.length > 0 && datagram[0] !== 0) {
    const outcome = answerPcp(datagram.length > PCP_LENGTH.max ? datagram.subarray(0, PCP_LENGTH.max) : datagram, source, router, now);
    if (!('ignored' in outcome) || outcome.ignored !== 'not-served') return { protocol: 'pcp', outcome };
  }
  const d = datagram.length > NATPMP_MAX_DATAGRAM ? datagram.subarray(0, NATPMP_MAX_DATAGRAM) : datagram;
  return { protocol: 'natpmp', outcome: answerNatpmp(d, source, router, now) };
}
