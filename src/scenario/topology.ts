/**
 * The network of a scenario as a picture: the Internet, routers (nested by `parent`), hosts and
 * servers on the LAN they sit on — as a Mermaid flowchart, a text tree or JSON.
 */
import { scenarioArgument } from './argument.js';
import type { LoadedScenario } from './loader.js';
import type { RouterSpec, ScenarioConfig } from './schema.js';

/** One node of the topology; `on` is the router whose LAN it sits on, or `internet`. */
export interface TopologyNode {
  readonly id: string;
  readonly kind: 'router' | 'host' | 'server';
  readonly on: string;
  /** A one-line summary: addresses, NAT, services, app or role. */
  readonly label: string;
}

/** The Internet's id in {@link topologyNodes}. */
export const INTERNET = 'internet';

/** A router's NAT as people name it: `no NAT`, `NAT symmetric`, `NAT cgnat (tuned)`. */
export function natName(r: RouterSpec): string {
  if (r.nat === 'none') return 'no NAT';
  if (typeof r.nat === 'string') return `NAT ${r.nat}`;
  return `NAT ${r.nat.preset ?? 'port-restricted-cone'} (tuned)`;
}

function routerLabel(r: RouterSpec): string {
  const wan = Array.isArray(r.wan) ? r.wan.join(', ') : r.wan;
  const services = Object.entries(r.services)
    .filter(([, on]) => on)
    .map(([s]) => (s === 'upnp' ? 'UPnP' : s === 'pcp' ? 'PCP' : s === 'natpmp' ? 'NAT-PMP' : s));
  const modes = r.upstream ? [r.upstream.pcp].flat() : [];
  const upstream = modes.length ? [`relays ${modes.map((m) => (m === 'iwf' ? 'UPnP' : 'PCP')).join(' and ')} to ${r.parent} over PCP`] : [];
  return [
    `WAN ${wan}`,
    `LAN ${r.lan}`,
    natName(r),
    ...(r.firewall ? [`firewall inbound ${r.firewall.inbound}`] : []),
    ...services,
    ...upstream,
  ].join(' · ');
}

/** Every router, host and server with where it is attached, routers first (in file order). */
export function topologyNodes(scenario: ScenarioConfig | LoadedScenario): TopologyNode[] {
  const { config } = scenarioArgument(scenario, 'topologyNodes');
  return [
    ...Object.entries(config.routers).map(
      ([id, r]): TopologyNode => ({ id, kind: 'router', on: r.parent ?? INTERNET, label: routerLabel(r) }),
    ),
    ...Object.entries(config.hosts).map(
      ([id, h]): TopologyNode => ({ id, kind: 'host', on: h.router ?? INTERNET, label: `${h.address}${h.app ? ` · ${h.app}` : ''}` }),
    ),
    ...Object.entries(config.servers).map(
      ([id, s]): TopologyNode => ({ id, kind: 'server', on: s.router ?? INTERNET, label: `${s.address} · ${s.role}` }),
    ),
  ];
}

const flowId = (n: { kind: string; id: string }): string => `${n.kind}_${n.id.replace(/[^A-Za-z0-9_]/g, '_')}`;
/** Flowchart label text inside double quotes: quotes and entity starts as Mermaid entities. */
const flowText = (t: string): string =>
  t
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/[\r\n]+/g, ' ');

/** A Mermaid flowchart of the scenario's network (one document). */
export function topologyMermaid(scenario: ScenarioConfig | LoadedScenario): string {
  const nodes = topologyNodes(scenarioArgument(scenario, 'topologyMermaid').config);
  const idOf = (on: string): string => (on === INTERNET ? INTERNET : flowId({ kind: 'router', id: on }));
  const lines = ['flowchart TB', `  ${INTERNET}(("Internet"))`];
  for (const n of nodes) {
    const text = `${flowText(n.id)}<br/><small>${flowText(n.label)}</small>`;
    lines.push(
      n.kind === 'router'
        ? `  ${flowId(n)}{{"${text}"}}`
        : n.kind === 'server'
          ? `  ${flowId(n)}[("${text}")]`
          : `  ${flowId(n)}["${text}"]`,
    );
  }
  for (const n of nodes) lines.push(`  ${idOf(n.on)} --- ${flowId(n)}`);
  return lines.join('\n');
}

/** The network as an indented text tree under "Internet". */
export function topologyText(scenario: ScenarioConfig | LoadedScenario): string {
  const nodes = topologyNodes(scenarioArgument(scenario, 'topologyText').config);
  const lines = ['Internet'];
  const walk = (on: string, prefix: string): void => {
    const children = nodes.filter((n) => n.on === on);
    children.forEach((n, i) => {
      const last = i === children.length - 1;
      lines.push(`${prefix}${last ? '└─ ' : '├─ '}${n.id} (${n.kind}): ${n.label}`);
      if (n.kind === 'router') walk(n.id, `${prefix}${last ? '   ' : '│  '}`);
    });
  };
  walk(INTERNET, '');
  return lines.join('\n');
}

/** The network as JSON: `{ scenario, nodes: [{ id, kind, on, label }] }`. */
export function topologyJson(scenario: ScenarioConfig | LoadedScenario): object {
  const { config } = scenarioArgument(scenario, 'topologyJson');
  return { scenario: config.name, nodes: topologyNodes(config) };
}
