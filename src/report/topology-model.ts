/**
 * The scenario's network as the report draws it: a tree under the Internet (routers nested by
 * `parent`, hosts and servers on the LAN they sit on), each node with the lines its box shows.
 */

import type { ScenarioConfig } from '../scenario/schema.js';
import { INTERNET, natName, topologyNodes } from '../scenario/topology.js';

/** One node of the drawing. */
export interface DrawnNode {
  readonly id: string;
  readonly kind: 'router' | 'host' | 'server';
  /** Second line of the box: the kind, and a server's role. */
  readonly subtitle: string;
  /** Further lines: addresses, NAT type, services, app. */
  readonly facts: readonly string[];
  /** A router's LAN prefix (drawn on its LAN segment). */
  readonly lan?: string;
  readonly children: readonly DrawnNode[];
}

function routerFacts(config: ScenarioConfig, id: string): string[] {
  const r = config.routers[id]!;
  const wan = Array.isArray(r.wan) ? r.wan.join(', ') : r.wan;
  const services = Object.entries(r.services)
    .filter(([, on]) => on)
    .map(([s]) => (s === 'upnp' ? 'UPnP' : s === 'natpmp' ? 'NAT-PMP' : s === 'pcp' ? 'PCP' : s));
  return [
    `WAN ${wan}`,
    natName(r),
    ...(r.firewall ? [`firewall: inbound ${r.firewall.inbound}`] : []),
    ...(r.algs.length ? [`ALG: ${r.algs.join(', ')}`] : []),
    ...(services.length ? [`offers ${services.join(', ')}`] : []),
    ...(r.wanUp ? [] : ['WAN link down']),
  ];
}

function leafFacts(config: ScenarioConfig, id: string, kind: 'host' | 'server'): string[] {
  if (kind === 'server') return [config.servers[id]!.address];
  const h = config.hosts[id]!;
  return [h.address, ...(h.app ? [h.app] : []), ...(h.admin ? [] : ['no admin rights'])];
}

/** The nodes attached to the Internet, each with its subtree, in file order (routers first). */
export function drawnTopology(config: ScenarioConfig): DrawnNode[] {
  const nodes = topologyNodes(config);
  const build = (on: string): DrawnNode[] =>
    nodes
      .filter((n) => n.on === on)
      .map((n) =>
        n.kind === 'router'
          ? {
              id: n.id,
              kind: n.kind,
              subtitle: 'router',
              facts: routerFacts(config, n.id),
              lan: config.routers[n.id]!.lan,
              children: build(n.id),
            }
          : {
              id: n.id,
              kind: n.kind,
              subtitle: n.kind === 'server' ? `server · ${config.servers[n.id]!.role}` : 'host',
              facts: leafFacts(config, n.id, n.kind),
              children: [],
            },
      );
  return build(INTERNET);
}

/** Every node of the drawing, depth first. */
export function allDrawn(roots: readonly DrawnNode[]): DrawnNode[] {
  return roots.flatMap((n) => [n, ...allDrawn(n.children)]);
}
