/**
 * `startLab()`: the scenario as real network namespaces, every IPv4 packet through the model.
 *
 * One network namespace per scenario host and server, each with `eth0` holding the host's address
 * (its LAN's prefix length; /32 on the Internet) and a default route out of it (via the router's
 * LAN address on a LAN). Whatever a host sends into `eth0` reaches natsim's relay (TUN → socat →
 * UDP inside the lab's private namespace), goes through {@link carryDatagram} and the model, and
 * comes out of the destination host's `eth0`, translated. Nothing in a host namespace has a
 * path anywhere else. The model runs in real time: NAT timers on the wall clock (a scenario's
 * `timers` shorten them), expired once a second.
 *
 * ```ts
 * await using lab = await startLab({ scenario: 'wm-01-single-upnp-nat' });
 * const r = await lab.exec('alice', 'ping -c 3 198.51.100.20');
 * lab.listMappings('home-a'); // the ping's ICMP session
 * ```
 *
 * The scenario's `role: reflector` servers answer STUN on UDP 3478 and 3479 (the built-in server,
 * each using the other reflector as its alternate address) unless `stun: false`.
 *
 * Every router offering a service (`services: { upnp | natpmp | pcp: true }`) gets a namespace of
 * its own too, `eth0` with its LAN address, where its services listen — UPnP IGD (SSDP on 1900,
 * multicast and unicast; HTTP SOAP/GENA), NAT-PMP/PCP on 5351 — served by the gateway
 * (src/gateway) on the lab's own model: the mappings they grant are the ones its packets meet.
 * The sockets are opened in the router's namespace by a helper (router-sockets.ts) and handed to
 * natsim. Routers with the same LAN prefix each answer their own LAN.
 *
 * Requirements: Linux, util-linux (unshare, nsenter, setpriv), iproute2, socat, /dev/net/tun;
 * root, or unprivileged user namespaces (then /dev/net/tun must be world-accessible).
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { NATPMP_PORT, SSDP_PORT } from '../constants.js';
import { describeValue, NatsimError } from '../errors.js';
import { OffsetClock } from '../gateway/clock.js';
import { offersService, type ScenarioGatewayHandle, startScenarioGateway } from '../gateway/start-scenario-gateway.js';
import { formatIPv4 } from '../nat/address.js';
import type { ModelEvents } from '../nat/events.js';
import type { MappingInfo } from '../nat/nat-table.js';
import type { Network } from '../nat/network.js';
import { buildNetworkOn, routerOrder } from '../scenario/build.js';
import type { LoadedScenario } from '../scenario/loader.js';
import type { ScenarioConfig } from '../scenario/schema.js';
import { isScenarioName, shippedScenarioPath } from '../scenario/shipped.js';
import type { CaptureSink } from './capture.js';
import { buildHostNamespace, type HostNamespace, type HostNamespaceSpec } from './host-namespace.js';
import { type ExecOptions, type ExecResult, hostCommand, hostExec, hostSpawn } from './host-process.js';
import { type LabMode, type LabNamespace, startLabNamespace } from './lab-namespace.js';
import { LabStun } from './lab-stun.js';
import { type LabDrop, LabRelay, type RelayStats } from './relay.js';
import { type RouterSockets, startRouterSockets } from './router-sockets.js';

const FN = 'startLab';

/** Options of {@link startLab}. */
export interface LabOptions {
  /** A shipped scenario's name, a scenario file's path, or a scenario config. */
  readonly scenario: string | ScenarioConfig | LoadedScenario;
  /** The model's random seed (default: the scenario's). */
  readonly seed?: number;
  /** Drops carry the model's full sentence (slower per packet; default false: the reason's short text). */
  readonly trace?: boolean;
  /** Called for every datagram the lab did not deliver. */
  readonly onDrop?: (drop: LabDrop) => void;
  /** Receives each datagram as seen inside and outside every router (see `PcapDirectory`). */
  readonly capture?: CaptureSink;
  /**
   * Bypass the model (benchmarks' baseline): every datagram goes unchanged to the host holding its
   * destination address — the same namespaces, TUNs and relay, no NAT, no firewall.
   * @default false
   */
  readonly plainForwarding?: boolean;
  /**
   * Answer the `role: reflector` servers' UDP 3478 and 3479 with the built-in STUN server, each
   * reflector using the other as its alternate address (default true). False: they are plain
   * hosts, for a STUN server of your own (e.g. coturn's turnserver).
   */
  readonly stun?: boolean;
  /** Serve the routers' UPnP, NAT-PMP and PCP in the lab, those that offer them (default true). */
  readonly services?: boolean;
}

/** A running lab. `await using` stops it. */
export interface LabHandle extends AsyncDisposable {
  /** `root` (namespaces made directly) or `rootless` (inside a user namespace). */
  readonly mode: LabMode;
  /** Host and server ids, in scenario order (servers first). */
  readonly hosts: readonly string[];
  /** The model the lab's packets go through. */
  readonly network: Network;
  /** The model's events (mappings, sessions, packets delivered and dropped). */
  readonly events: ModelEvents;
  /**
   * The routers' services (UPnP IGD, NAT-PMP/PCP) on their LAN addresses, when a router offers
   * one: `services.router(id).descriptionUrl`, its events, faults, reboot().
   */
  readonly services: ScenarioGatewayHandle | undefined;
  /** How long start-up took, in ms. */
  readonly startupMs: number;
  /** Datagrams received, delivered and dropped (by reason) so far. */
  readonly stats: RelayStats;
  /** The PID (in natsim's PID namespace) whose network namespace is the host's. */
  pid(host: string): number;
  /** The command line that runs `cmd args` in a host (e.g. a shell from another terminal, as the same user). */
  command(host: string, cmd: string, args?: readonly string[]): string[];
  /** Starts a process in a host's namespace; `kill()` signals the process itself. */
  spawn(host: string, cmd: string, args?: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Runs a command in a host to completion: a string is run by `sh -c`, an array as is. */
  exec(host: string, command: string | readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** The NAT sessions a router holds now. */
  listMappings(router: string): MappingInfo[];
  /** Kills every process of the lab and its namespaces; resolves when they are gone. Safe twice. */
  stop(): Promise<void>;
}

/** Starts the lab of a scenario. Throws `ERR_NATSIM_LAB_UNAVAILABLE` naming what the machine lacks. */
export async function startLab(options: LabOptions): Promise<LabHandle> {
  const t0 = performance.now();
  if (typeof options !== 'object' || options === null) {
    throw new NatsimError('ERR_NATSIM_INVALID_ARGUMENT', { fn: FN, reason: `takes an options object, not ${describeValue(options)}` });
  }
  const config = await loadScenario(options.scenario);
  const clock = new OffsetClock();
  const network = buildNetworkOn(config, clock, options.seed ?? config.seed);
  const specs = hostSpecs(config, network);
  const served = options.services === false ? [] : routerOrder(config).filter((id) => offersService(config.routers[id]!));
  const routerSpecs = served.map((id, i): HostNamespaceSpec => {
    const router = network.router(id);
    return { id: `router ${id}`, index: specs.length + i, cidr: `${formatIPv4(router.lanAddress)}/${router.lanPrefix.len}` };
  });
  const ns = await startLabNamespace(FN);
  const reflectors = Object.keys(config.servers).filter((id) => config.servers[id]!.role === 'reflector');
  const stun = options.stun !== false && reflectors.length > 0 ? new LabStun(network, reflectors) : undefined;
  const relay = new LabRelay(ns.relay, network, {
    ...(stun ? { stun } : {}),
    ...(options.trace ? { trace: true } : {}),
    ...(options.onDrop ? { onDrop: options.onDrop } : {}),
    ...(options.capture ? { capture: options.capture } : {}),
    ...(options.plainForwarding ? { plain: new Map(network.hosts.flatMap((h) => [h.ip, ...h.aliases].map((ip) => [ip | 0, h.id]))) } : {}),
  });
  const built = new Map<string, HostNamespace>();
  const helpers: RouterSockets[] = [];
  let services: ScenarioGatewayHandle | undefined;
  try {
    await Promise.all([
      ...specs.map(async (spec) => {
        const h = await buildHostNamespace(ns, spec);
        relay.addHost(h.id, h.bridgePort);
        built.set(h.id, h);
      }),
      ...served.map(async (id, i) => {
        // The socket helper starts (a Node process) while the router's eth0 is being set up.
        let sockets: Promise<RouterSockets> | undefined;
        const r = await buildHostNamespace(ns, routerSpecs[i]!, (pid) => {
          sockets = startRouterSockets(ns.mode, pid, id);
          sockets.catch(() => {}); // awaited below; ns.stop() ends it if the build fails
        });
        relay.addRouter(id, r.bridgePort);
        helpers[i] = await sockets!;
      }),
    ]);
    if (served.length > 0) services = await serveRouters(config, network, clock, served, helpers);
  } catch (e) {
    for (const h of helpers) h?.stop();
    await ns.stop();
    throw e;
  }
  const ticker = setInterval(() => network.expire(), 1000);
  ticker.unref();
  const teardown = async (): Promise<void> => {
    await services?.stop(); // byebye, and the sockets closed while the namespaces still carry them
    for (const h of helpers) h.stop();
  };
  return labHandle(ns, network, relay, built, specs, ticker, services, teardown, performance.now() - t0);
}

/** The gateway on the lab's model: each router on its LAN address, its sockets in its namespace. */
function serveRouters(
  config: ScenarioConfig,
  network: Network,
  clock: OffsetClock,
  served: readonly string[],
  helpers: readonly RouterSockets[],
): Promise<ScenarioGatewayHandle> {
  return startScenarioGateway({
    scenario: config,
    network,
    clock,
    routers: served,
    placement: (id) => ({ address: formatIPv4(network.router(id).lanAddress), sockets: helpers[served.indexOf(id)]!.provider }),
    ssdpPort: SSDP_PORT,
    natpmp: { port: NATPMP_PORT },
  });
}

function labHandle(
  ns: LabNamespace,
  network: Network,
  relay: LabRelay,
  built: ReadonlyMap<string, HostNamespace>,
  specs: readonly HostNamespaceSpec[],
  ticker: NodeJS.Timeout,
  services: ScenarioGatewayHandle | undefined,
  teardown: () => Promise<void>,
  startupMs: number,
): LabHandle {
  const children = new Set<ChildProcess>();
  const hostPid = (host: string, fn: string): number => {
    const h = typeof host === 'string' ? built.get(host) : undefined;
    if (!h) {
      throw new NatsimError('ERR_NATSIM_INVALID_ARGUMENT', {
        fn,
        reason: `no host ${describeValue(host)} in the lab (hosts: ${[...built.keys()].join(', ')})`,
      });
    }
    return h.pid;
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      clearInterval(ticker);
      await teardown();
      await ns.stop();
      await Promise.all([...children].map((c) => exitOf(c)));
    })());
  return {
    mode: ns.mode,
    hosts: specs.map((s) => s.id),
    network,
    events: network.events,
    services,
    startupMs,
    get stats() {
      return relay.stats;
    },
    pid: (host) => hostPid(host, 'pid'),
    command: (host, cmd, args = []) => {
      const [c, a] = hostCommand(ns.mode, hostPid(host, 'command'), cmd, args);
      return [c, ...a];
    },
    spawn: (host, cmd, args = [], options = {}) => {
      const child = hostSpawn(ns.mode, hostPid(host, 'spawn'), cmd, args, options);
      children.add(child);
      child.once('close', () => children.delete(child));
      return child;
    },
    exec: (host, command, options = {}) => {
      const [cmd, args] = typeof command === 'string' ? ['sh', ['-c', command]] : [command[0]!, command.slice(1)];
      return hostExec(ns.mode, hostPid(host, 'exec'), cmd, args, options);
    },
    listMappings: (router) => {
      if (typeof router !== 'string' || !network.hasRouter(router)) {
        throw new NatsimError('ERR_NATSIM_UNKNOWN_ROUTER', {
          fn: 'listMappings',
          reason: `no router ${describeValue(router)} in the lab (routers: ${network.routers.map((r) => r.id).join(', ') || 'none'})`,
        });
      }
      return network.router(router).listMappings(network.clock.now());
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** One namespace per server and host: its address with its LAN's prefix length, and its gateway. */
function hostSpecs(config: ScenarioConfig, network: Network): HostNamespaceSpec[] {
  const ids = [...Object.keys(config.servers), ...Object.keys(config.hosts)];
  return ids.map((id, index) => {
    const host = network.host(id);
    const len = host.on === 'internet' ? 32 : network.router(host.on).lanPrefix.len;
    const aliases = host.aliases.length ? { aliases: host.aliases.map((a) => `${formatIPv4(a)}/${len}`) } : {};
    if (host.on === 'internet') return { id, index, cidr: `${host.address}/32`, ...aliases };
    const router = network.router(host.on);
    return { id, index, cidr: `${host.address}/${len}`, gateway: formatIPv4(router.lanAddress), ...aliases };
  });
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('close', () => resolve()));
}

async function loadScenario(scenario: string | ScenarioConfig | LoadedScenario): Promise<ScenarioConfig> {
  if (typeof scenario === 'object' && scenario !== null) return 'config' in scenario && 'file' in scenario ? scenario.config : scenario;
  if (typeof scenario !== 'string') {
    throw new NatsimError('ERR_NATSIM_INVALID_OPTION', {
      fn: FN,
      option: 'scenario',
      reason: `must be a scenario name, a file path or a config, not ${describeValue(scenario)}`,
    });
  }
  const file = isScenarioName(scenario) ? shippedScenarioPath(scenario, { fn: FN, option: 'scenario' }) : scenario;
  return (await (await import('../scenario/loader.js')).loadScenarioFile(file)).config;
}
