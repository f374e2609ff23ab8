/**
 * The lanes of a check's sequence diagram, left to right: the caller's side of the network
 * (its hosts, then the routers in front of them, outermost last), the Internet, then every other
 * side (outermost router first, hosts last), each side in order of first appearance.
 */
import type { ScenarioConfig } from '../scenario/schema.js';
import { INTERNET } from '../scenario/topology.js';
import type { NodeKind } from './shapes.js';

/** One lane: a host, server, router or the Internet. */
export interface Lane {
  readonly id: string;
  readonly kind: NodeKind;
}

/** `router:ID` (the router itself as a destination) → `ID`. */
export const laneName = (node: string): string => (node.startsWith('router:') ? node.slice(7) : node);

/** What `id` is in `config`. */
export function kindOf(config: ScenarioConfig, id: string): NodeKind {
  if (id === INTERNET) return 'internet';
  if (Object.hasOwn(config.routers, id)) return 'router';
  if (Object.hasOwn(config.hosts, id)) return 'host';
  if (Object.hasOwn(config.servers, id)) return 'server';
  return 'other';
}

/** The router `id` sits behind (its LAN's router, or a router's parent), or undefined on the Internet. */
function upOf(config: ScenarioConfig, id: string): string | undefined {
  if (Object.hasOwn(config.routers, id)) return config.routers[id]!.parent;
  if (Object.hasOwn(config.hosts, id)) return config.hosts[id]!.router;
  if (Object.hasOwn(config.servers, id)) return config.servers[id]!.router;
  return undefined;
}

/** The chain from `id` out to the node attached to the Internet (bounded: the schema refuses cycles). */
function chain(config: ScenarioConfig, id: string): string[] {
  const out = [id];
  for (let up = upOf(config, id); up !== undefined && out.length < 64 && !out.includes(up); up = upOf(config, up)) out.push(up);
  return out;
}

/** Orders the participants of a check (`seen`, in order of first appearance) into lanes. */
export function orderLanes(config: ScenarioConfig, seen: readonly string[], caller: string): Lane[] {
  const sides = new Map<string, { id: string; depth: number; order: number }[]>();
  seen.forEach((id, order) => {
    if (id === INTERNET) return;
    const c = chain(config, id);
    const side = c.at(-1)!;
    if (!sides.has(side)) sides.set(side, []);
    sides.get(side)!.push({ id, depth: c.length, order });
  });
  const callerSide = chain(config, caller).at(-1)!;
  const left = (sides.get(callerSide) ?? []).sort((a, b) => b.depth - a.depth || a.order - b.order);
  const right = [...sides.entries()]
    .filter(([side]) => side !== callerSide)
    .flatMap(([, members]) => members.sort((a, b) => a.depth - b.depth || a.order - b.order));
  const lane = (id: string): Lane => ({ id, kind: kindOf(config, id) });
  return [...left.map((m) => lane(m.id)), lane(INTERNET), ...right.map((m) => lane(m.id))];
}
