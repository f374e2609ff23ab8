/** Turns a scenario config into a live {@link Network}. */
import { parsePrefix } from '../nat/address.js';
import { type Clock, FakeClock, SeededRng } from '../nat/clock.js';
import type { FirewallConfig, FirewallRule } from '../nat/firewall.js';
import type { ForwardSpec } from '../nat/forward-table.js';
import { type HostConfig, Network } from '../nat/network.js';
import type { RouterConfig } from '../nat/router.js';
import { bindPortControl } from '../pcp/model-server.js';
import { PCP_WIRE } from '../pcp/upstream-wire.js';
import { ROUTER_PROFILES } from '../soap/profiles.js';
import { ScenarioError } from './errors.js';
import { natFromSpec } from './nat-spec.js';
import { portRange } from './port-range.js';
import type { FirewallSpec, RouterSpec, ScenarioConfig } from './schema.js';
import { semanticIssues } from './semantics.js';
import { locatedIssue } from './source.js';

/** The NAT policy a scenario's `nat:` field stands for (null = no NAT). */
export { natFromSpec };

/** The firewall a scenario's `firewall:` field stands for. */
export function firewallFromSpec(spec: FirewallSpec): FirewallConfig {
  return {
    defaultInbound: spec.inbound,
    defaultOutbound: spec.outbound,
    stateful: spec.stateful,
    rules: spec.rules.map(
      (r): FirewallRule => ({
        action: r.action,
        direction: r.direction,
        ...(r.protocol ? { protocol: r.protocol } : {}),
        ...(r.from ? { src: parsePrefix(r.from) } : {}),
        ...(r.to ? { dst: parsePrefix(r.to) } : {}),
        ...(r.ports !== undefined ? { dstPorts: portRange(r.ports) } : {}),
        ...(r.sourcePorts !== undefined ? { srcPorts: portRange(r.sourcePorts) } : {}),
        ...(r.name ? { name: r.name } : {}),
      }),
    ),
  };
}

/** The router config of the model for one scenario router. */
export function routerConfigFromSpec(id: string, r: RouterSpec, extra: Partial<RouterConfig> = {}): RouterConfig {
  const forwards: Array<Omit<ForwardSpec, 'origin'>> = [];
  for (const f of r.forwards) {
    const { from, to } = portRange(f.external);
    for (let p = from; p <= to; p++) {
      forwards.push({
        protocol: f.protocol,
        externalPort: p,
        internalClient: f.internal,
        internalPort: (f.internalPort ?? from) + (p - from),
        ...(f.remoteHost ? { remoteHost: f.remoteHost } : {}),
        description: f.description ?? 'static forward',
      });
    }
  }
  return {
    id,
    wan: r.wan,
    lan: r.lan,
    ...(r.parent ? { parent: r.parent } : {}),
    ...(r.lanAddress ? { lanAddress: r.lanAddress } : {}),
    nat: natFromSpec(r.nat),
    ...(r.firewall ? { firewall: firewallFromSpec(r.firewall) } : {}),
    forwards,
    algs: r.algs,
    wanUp: r.wanUp,
    ...(r.upstream ? { upstream: { pcp: typeof r.upstream.pcp === 'string' ? [r.upstream.pcp] : r.upstream.pcp } } : {}),
    // The router half of the profile is the router's own policy, whichever protocol asks.
    mapping: {
      ...(r.permissions ? { permissions: r.permissions } : {}),
      ...(ROUTER_PROFILES[r.profile] ? { policy: ROUTER_PROFILES[r.profile]!.router } : {}),
    },
    ...extra,
  };
}

/** Routers ordered parents first. */
export function routerOrder(config: ScenarioConfig): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string, stack: string[]): void => {
    if (seen.has(id)) return;
    if (stack.includes(id)) throw new Error(`routers form a cycle: ${[...stack, id].join(' → ')}`);
    const parent = config.routers[id]?.parent;
    if (parent && parent !== 'internet') visit(parent, [...stack, id]);
    seen.add(id);
    out.push(id);
  };
  for (const id of Object.keys(config.routers)) visit(id, []);
  return out;
}

const checked = new WeakSet<ScenarioConfig>();

/**
 * Throws a {@link ScenarioError} for the semantic errors of a config: the checks `validate` runs
 * (the config has no source here, so issues name `<scenario>:1:1` and the path).
 */
export function assertBuildable(config: ScenarioConfig): void {
  if (checked.has(config)) return;
  const errors = semanticIssues(config).filter((i) => i.severity === 'error');
  if (errors.length > 0) {
    throw new ScenarioError(errors.map((e) => locatedIssue(e)));
  }
  checked.add(config);
}

/**
 * The routers' port-control servers inside the model: each router offering NAT-PMP or PCP answers
 * datagrams to its LAN address's UDP 5351 that travel the model (a home router's PCP client
 * asking its carrier), with the same dispatcher `natsim serve` puts on a socket.
 */
export function bindModelServices(net: Network, config: ScenarioConfig): void {
  for (const id of routerOrder(config)) {
    const services = config.routers[id]!.services;
    if (services.natpmp || services.pcp) bindPortControl(net, id, services.pcp);
  }
}

/** Builds the network of a scenario on a fresh fake clock. Throws {@link ScenarioError} for a config `validate` would refuse. */
export function buildNetwork(config: ScenarioConfig, seed = config.seed): { net: Network; clock: FakeClock } {
  assertBuildable(config);
  const clock = new FakeClock(0);
  return { net: buildNetworkOn(config, clock, seed), clock };
}

/** Builds the network of a scenario on `clock` (the lab's is the wall clock). Throws like {@link buildNetwork}. */
export function buildNetworkOn(config: ScenarioConfig, clock: Clock, seed = config.seed): Network {
  assertBuildable(config);
  const net = new Network({ clock, rng: new SeededRng(seed), pcpWire: PCP_WIRE });
  for (const id of routerOrder(config)) net.addRouter(routerConfigFromSpec(id, config.routers[id]!));
  bindModelServices(net, config);
  for (const [id, s] of Object.entries(config.servers)) net.addHost(hostConfig(id, s));
  for (const [id, h] of Object.entries(config.hosts)) net.addHost(hostConfig(id, h));
  return net;
}

/** A scenario host or server as the model's {@link HostConfig}. */
function hostConfig(id: string, h: { address: string; aliases?: readonly string[] | undefined; router?: string | undefined }): HostConfig {
  return { id, address: h.address, ...(h.aliases?.length ? { aliases: h.aliases } : {}), ...(h.router ? { on: h.router } : {}) };
}
