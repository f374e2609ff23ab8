/**
 * PEER (RFC 6887 §12): create or extend the NAT session an internal endpoint has towards one
 * remote peer, and report its external endpoint (src/nat/peer-session.ts does the model's part).
 */
import { PCP_RESULT } from '../constants.js';
import { parseIPv4 } from '../nat/address.js';
import { holdPeerSession } from '../nat/peer-session.js';
import type { PcpRequest } from './codec.js';
import { PCP_PEER_REFUSAL_RESULTS, pcpResultOf } from './refusals.js';
import { type PcpAnswer, type PcpContext, pcpAnswer, refuseRequest } from './reply.js';
import { mappingResponseBody } from './response.js';
import { internalHost, protocolOf } from './third-party.js';

type PeerRequest = Extract<PcpRequest, { kind: 'peer' }>;

/** Answers a PEER request whose header passed the common checks. */
export function answerPeer(ctx: PcpContext, req: PeerRequest): PcpAnswer {
  const { router, now } = ctx;
  if (!ctx.policy.peer || !router.nat) return refuseRequest(ctx, req, PCP_RESULT.UNSUPP_OPCODE, 'PEER is not served here');
  const who = internalHost(ctx, req);
  if ('reply' in who) return who;
  const protocol = protocolOf(req.protocol);
  if (protocol === undefined || protocol === 'all')
    return refuseRequest(ctx, req, PCP_RESULT.UNSUPP_PROTOCOL, `PEER for protocol ${req.protocol} (UDP and TCP are served)`);
  const remote = req.remoteAddress;
  if (req.internalPort === 0 || req.remotePort === 0 || remote.kind !== 'ipv4') {
    return refuseRequest(ctx, req, PCP_RESULT.MALFORMED_REQUEST, 'PEER needs an internal port, a remote peer port and an IPv4 remote peer');
  }
  const denied = router.mappings.authorize(ctx.source.address, who.host, who.thirdParty);
  if (denied && !denied.ok) return { ...refuseRequest(ctx, req, pcpResultOf(denied.refusal), denied.message), refusal: denied.refusal };
  const r = holdPeerSession(
    router,
    {
      protocol,
      internal: { ip: parseIPv4(who.host), port: req.internalPort },
      remote: { ip: parseIPv4(remote.address), port: req.remotePort },
      lifetime: req.header.lifetime,
    },
    now,
  );
  if (!r.ok) return { ...refuseRequest(ctx, req, PCP_PEER_REFUSAL_RESULTS[r.refusal], r.message), refusal: r.refusal };
  const body = mappingResponseBody(req.header.version, req.body, { port: r.externalPort, address: r.externalAddress });
  return pcpAnswer(
    ctx,
    req.header,
    PCP_RESULT.SUCCESS,
    r.lifetime,
    { body, options: req.options.echo },
    { request: req, session: r.session },
  );
}
