/**
 * MAP (RFC 6887 §11): create, renew or delete an inbound mapping through the router's mapping
 * service, which keeps the nonce with the mapping and clamps the lifetime by the PCP policy.
 */
import { PCP_RESULT } from '../constants.js';
import type { ForwardEntry, ForwardProtocol } from '../nat/forward-table.js';
import type { PcpRequest } from './codec.js';
import { forwardFilters } from './filters.js';
import { pcpResultOf } from './refusals.js';
import { type PcpAnswer, type PcpContext, pcpAnswer, refuseRequest } from './reply.js';
import { mappingResponseBody } from './response.js';
import { internalHost, protocolOf } from './third-party.js';

type MapRequest = Extract<PcpRequest, { kind: 'map' }>;
interface Host {
  readonly host: string;
  readonly thirdParty: boolean;
}

/** Answers a MAP request whose header passed the common checks. */
export function answerMap(ctx: PcpContext, req: MapRequest): PcpAnswer {
  const who = internalHost(ctx, req);
  if ('reply' in who) return who;
  const proto = protocolOf(req.protocol);
  if (req.protocol === 0 && req.internalPort !== 0)
    return refuseRequest(ctx, req, PCP_RESULT.MALFORMED_REQUEST, 'protocol 0 (all) with a non-zero internal port');
  if (proto === undefined)
    return refuseRequest(ctx, req, PCP_RESULT.UNSUPP_PROTOCOL, `protocol ${req.protocol} is not mapped (UDP and TCP are)`);
  if (req.header.lifetime === 0) return deleteMappings(ctx, req, who, proto);
  if (proto === 'all') return refuseRequest(ctx, req, PCP_RESULT.UNSUPP_PROTOCOL, 'a mapping for all protocols is not offered');
  return createMapping(ctx, req, who, proto);
}

function createMapping(ctx: PcpContext, req: MapRequest, who: Host, protocol: ForwardProtocol): PcpAnswer {
  const { router, now } = ctx;
  const { preferFailure, filters } = req.options;
  if (filters.length > ctx.policy.maxFilters) {
    return refuseRequest(
      ctx,
      req,
      PCP_RESULT.EXCESSIVE_REMOTE_PEERS,
      `${filters.length} FILTER options (at most ${ctx.policy.maxFilters})`,
    );
  }
  const suggested = req.suggestedAddress;
  if (preferFailure) {
    if (req.suggestedPort === 0 && suggested.kind === 'unspecified') {
      return refuseRequest(ctx, req, PCP_RESULT.MALFORMED_OPTION, 'PREFER_FAILURE without a suggested external port or address');
    }
    if (suggested.kind !== 'unspecified' && (suggested.kind !== 'ipv4' || suggested.address !== router.mappings.reportedAddress('pcp'))) {
      return refuseRequest(ctx, req, PCP_RESULT.CANNOT_PROVIDE_EXTERNAL, "the suggested external address is not this router's");
    }
  }
  const r = router.mappings.request(
    {
      requester: ctx.source.address,
      protocol,
      internalClient: who.host,
      internalPort: req.internalPort,
      // No suggestion: try the internal port first, then upwards, as miniupnpd does.
      externalPort: req.suggestedPort === 0 ? req.internalPort : req.suggestedPort,
      lifetime: req.header.lifetime,
      lifetimeRule: 'pcp-clamped',
      search: preferFailure ? 'exact' : 'ascending',
      origin: 'pcp',
      description: `PCP MAP ${protocol} ${req.internalPort}`,
      nonce: req.nonce,
      thirdParty: who.thirdParty,
      filters: forwardFilters(filters),
    },
    now,
  );
  if (!r.ok) {
    // A proxy relays the upstream server's own result (RFC 7648); with PREFER_FAILURE a port the
    // rules deny is one that cannot be provided, as miniupnpd answers.
    const result =
      r.upstream?.result ?? (preferFailure && r.refusal === 'denied-by-rule' ? PCP_RESULT.CANNOT_PROVIDE_EXTERNAL : pcpResultOf(r.refusal));
    return { ...refuseRequest(ctx, req, result, `${r.refusal}: ${r.message}`), refusal: r.refusal };
  }
  // Proxied upstream (RFC 7648): the client is told where the Internet reaches it, for the shorter lifetime.
  const u = r.upstream;
  const lifetime = u ? Math.min(r.mapping.leaseSeconds, u.lifetime) : r.mapping.leaseSeconds;
  const at = u ? { port: u.externalPort, address: u.externalAddress } : undefined;
  return granted(ctx, req, r.mapping, lifetime, { mapping: r.mapping, refreshed: r.refreshed }, at);
}

/** Lifetime 0: the host's mapping of this protocol and internal port (every one, for port 0) goes. */
function deleteMappings(ctx: PcpContext, req: MapRequest, who: Host, proto: ForwardProtocol | 'all'): PcpAnswer {
  const { router, now } = ctx;
  const wildcard = req.internalPort === 0;
  const victims = router.mappings.managed(now).filter(
    (e) =>
      e.origin === 'pcp' &&
      e.internalClient === who.host &&
      (proto === 'all' || e.protocol === proto) &&
      (wildcard || e.internalPort === req.internalPort) &&
      // A wildcard delete takes only the mappings made with this nonce.
      (!wildcard || e.nonce === req.nonce),
  );
  const removed: ForwardEntry[] = [];
  for (const v of victims) {
    const r = router.mappings.remove(
      { requester: ctx.source.address, protocol: v.protocol, externalPort: v.externalPort, nonce: req.nonce, thirdParty: who.thirdParty },
      now,
    );
    if (!r.ok) return { ...refuseRequest(ctx, req, pcpResultOf(r.refusal), `${r.refusal}: ${r.message}`), refusal: r.refusal };
    removed.push(...r.removed);
  }
  const first = removed[0];
  if (!first) return { ...refuseRequest(ctx, req, PCP_RESULT.SUCCESS, 'nothing to delete'), removed };
  return granted(ctx, req, first, 0, { removed });
}

function granted(
  ctx: PcpContext,
  req: MapRequest,
  e: ForwardEntry,
  lifetime: number,
  extra: { mapping?: ForwardEntry; refreshed?: boolean; removed?: ForwardEntry[] },
  assigned: { port: number; address: string } = { port: e.externalPort, address: ctx.router.mappings.externalAddress() },
): PcpAnswer {
  const body = mappingResponseBody(req.header.version, req.body, assigned);
  return pcpAnswer(ctx, req.header, PCP_RESULT.SUCCESS, lifetime, { body, options: req.options.echo }, { ...extra, request: req });
}
