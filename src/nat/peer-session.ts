/**
 * PCP's PEER (RFC 6887 §12) in the model: create, or find, the NAT session an internal endpoint
 * has towards one remote peer and keep it alive for a lifetime, as if it had sent a packet there.
 * The session then behaves like any other (filtering, expiry, events).
 */
import { type Endpoint, formatIPv4 } from './address.js';
import { grantedLifetime } from './mapping-service.js';
import { type MappingInfo, NatTable } from './nat-table.js';
import { pcpPolicyOf, pcpRefusesMappings } from './pcp-policy.js';
import type { Router } from './router.js';

export type PeerRefusal =
  /** The router translates nothing (no NAPT table): there is no session to hold. */
  | 'no-nat'
  /** The WAN is down or forwarding is disabled. */
  | 'forwarding-disabled'
  /** No external port is free for a new session, or the host's quota is used up. */
  | 'no-resources'
  /** The PCP policy refuses every MAP and PEER. */
  | 'protocol-disabled';

export type PeerResult =
  | {
      readonly ok: true;
      readonly session: MappingInfo;
      readonly created: boolean;
      readonly externalAddress: string;
      readonly externalPort: number;
      readonly lifetime: number;
    }
  | { readonly ok: false; readonly refusal: PeerRefusal; readonly message: string };

export interface PeerRequest {
  readonly protocol: 'udp' | 'tcp';
  readonly internal: Endpoint;
  readonly remote: Endpoint;
  /** Seconds asked; clamped by the PCP policy. 0 holds nothing: the session keeps its own timer. */
  readonly lifetime: number;
}

/** Creates or extends the session `req.internal` → `req.remote` at `router`. */
export function holdPeerSession(router: Router, req: PeerRequest, now: number): PeerResult {
  const nat = router.nat;
  if (!nat) return { ok: false, refusal: 'no-nat', message: `${router.id} has no NAT sessions` };
  if (pcpRefusesMappings(router.mappings.config.policy))
    return { ok: false, refusal: 'protocol-disabled', message: `${router.id} answers PCP but authorizes no PEER` };
  if (router.mappings.forwardingDisabled())
    return { ok: false, refusal: 'forwarding-disabled', message: `${router.id} cannot forward now` };
  const granted = req.lifetime === 0 ? 0 : grantedLifetime(req.lifetime, 'pcp-clamped', pcpPolicyOf(router.mappings.config.policy));
  const r = nat.hold(req.protocol, req.internal, req.remote, now + granted * 1000, now);
  if ('code' in r)
    return { ok: false, refusal: 'no-resources', message: `no session for ${formatIPv4(req.internal.ip)}:${req.internal.port}: ${r.code}` };
  const m = r.mapping;
  const session = NatTable.info(m);
  if (r.created && router.events.has('session-created'))
    router.events.emit({ type: 'session-created', router: router.id, at: now, session });
  return {
    ok: true,
    session,
    created: r.created,
    externalAddress: formatIPv4(m.extIp),
    externalPort: m.extPort,
    lifetime: Math.max(0, Math.ceil((m.expiresAt - now) / 1000)),
  };
}
