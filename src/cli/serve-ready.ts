/**
 * `natsim serve`'s ready output, once every router is serving: for each served router its id,
 * profile, external address and endpoints (the IGD's description URL and SSDP socket when it
 * offers UPnP, the NAT-PMP/PCP socket when it offers those), as a JSON entry of the ready line's
 * `routers` array, or as one readable line when several routers are served.
 */
import type { ServedRouterHandle } from '../gateway/start-gateway.js';

/** What the ready output reads from a served router's handle (a startGateway handle fits too). */
export type ReadyHandle = Pick<
  ServedRouterHandle,
  'routerId' | 'profile' | 'igdVersion' | 'externalIp' | 'descriptionUrl' | 'ssdpAddress' | 'natpmpAddress'
>;

/** A served router as the ready output shows it. */
export interface ReadyRouter {
  readonly handle: ReadyHandle;
  /** The address its sockets are bound to. */
  readonly address: string;
  /** Its port-control socket answers PCP as well as NAT-PMP. */
  readonly pcp: boolean;
}

const endpoint = (a: { readonly address: string; readonly port: number }): string => `${a.address}:${a.port}`;

/** The router's entry in the JSON ready line's `routers` array. */
export function readyEntry(r: ReadyRouter): Record<string, unknown> {
  const h = r.handle;
  return {
    router: h.routerId,
    address: r.address,
    profile: h.profile,
    externalIp: h.externalIp,
    ...(h.descriptionUrl !== undefined ? { igd: h.igdVersion, descriptionUrl: h.descriptionUrl } : {}),
    ...(h.ssdpAddress ? { ssdp: endpoint(h.ssdpAddress) } : {}),
    ...(h.natpmpAddress ? { natpmp: endpoint(h.natpmpAddress) } : {}),
    ...(h.natpmpAddress && r.pcp ? { pcp: endpoint(h.natpmpAddress) } : {}),
  };
}

/**
 * One router's readable ready line when several are served, e.g.
 * `natsim: home-b (miniupnpd, IGD:2) — external address 203.0.113.20 — ready at http://127.0.0.2:40944/rootDesc.xml (SSDP on 127.0.0.2:1900)`.
 */
export function readyLine(r: ReadyRouter): string {
  const h = r.handle;
  const control = h.natpmpAddress ? `${r.pcp ? 'NAT-PMP and PCP' : 'NAT-PMP'} on ${endpoint(h.natpmpAddress)}` : undefined;
  const what = h.descriptionUrl !== undefined ? `${h.profile}, IGD:${h.igdVersion}` : h.profile;
  const where =
    h.descriptionUrl !== undefined
      ? `ready at ${h.descriptionUrl} (${[h.ssdpAddress ? `SSDP on ${endpoint(h.ssdpAddress)}` : undefined, control].filter(Boolean).join(', ')})`
      : `ready: ${control ?? `nothing served on ${r.address}`}`;
  return `natsim: ${h.routerId} (${what}) — external address ${h.externalIp} — ${where}`;
}
