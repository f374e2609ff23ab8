/**
 * `startScenarioGateway()`: every router of a scenario that offers a service (UPnP, NAT-PMP,
 * PCP), or the ones named, served at once from one shared model — one {@link Network} built from
 * the scenario, so a mapping made at one router and a packet through another meet the same
 * state. Each router gets its own address, so their SSDP, HTTP and port-control (5351) sockets
 * coexist: on loopback the first served router binds the listen address (127.0.0.1 by default)
 * and the next ones the addresses after it (127.0.0.2, 127.0.0.3 … in scenario order); Linux
 * answers all of 127.0.0.0/8 on `lo`.
 *
 * ```ts
 * await using gws = await startScenarioGateway({ scenario: 'wm-02-two-upnp-gateways' });
 * gws.router('home-b').descriptionUrl; // http://127.0.0.2:…/rootDesc.xml
 * await gws.router('home-a').reboot();
 * ```
 */
import { describeValue, NatsimError } from '../errors.js';
import { formatIPv4, isIPv4, type Prefix, parseIPv4 } from '../nat/address.js';
import type { Clock } from '../nat/clock.js';
import { SeededRng } from '../nat/clock.js';
import { Network } from '../nat/network.js';
import type { SocketProvider } from '../net/socket-provider.js';
import { PCP_WIRE } from '../pcp/upstream-wire.js';
import { routerOrder } from '../scenario/build.js';
import type { LoadedScenario } from '../scenario/loader.js';
import type { RouterSpec, ScenarioConfig } from '../scenario/schema.js';
import { isScenarioName, shippedScenarioPath } from '../scenario/shipped.js';
import { isAdvanceable, OffsetClock } from './clock.js';
import { checkScenarioGatewayOptions } from './options.js';
import {
  addScenario,
  assertRouter,
  type GatewayOptions,
  resolveListenOption,
  type ServedRouterHandle,
  serveRouter,
} from './start-gateway.js';

const FN = 'startScenarioGateway';

/** Options of {@link startScenarioGateway}: those of `startGateway` that apply to every served router. */
export interface ScenarioGatewayOptions
  extends Omit<GatewayOptions, 'scenario' | 'router' | 'nat' | 'wan' | 'lan' | 'leaseFile' | 'leaseSync' | 'leaseWriteHook'> {
  /** A shipped scenario's name, a scenario file's path, or a loaded scenario (default: the default scenario). */
  readonly scenario?: string | ScenarioConfig | LoadedScenario;
  /**
   * Routers to serve, in any order (they are served, and given addresses, in scenario order).
   * Default: every router with `services: { upnp | natpmp | pcp: true }`.
   */
  readonly routers?: readonly string[];
  /**
   * The first served router's address (default 127.0.0.1). On loopback the next routers take the
   * following addresses; elsewhere only one router can be served (name it in `routers`).
   */
  readonly listen?: string;
  /**
   * NAT-PMP/PCP on the routers that offer them: false (none), or `true` / `{ port }` (default
   * port 0: ephemeral; real clients need 5351, as `natsim serve` uses).
   */
  readonly natpmp?: boolean | { readonly port?: number };
  /**
   * Serve this model instead of building one from the scenario; it must hold the scenario's
   * routers (the lab passes its own, so the routers' services and its data plane share every
   * mapping). `seed` is then the model's; the clock defaults to the model's.
   */
  readonly network?: Network;
  /**
   * Where each served router's sockets are (default: the loopback addresses from `listen`, opened
   * by natsim itself). The lab puts each router on its LAN address inside its own namespace.
   */
  readonly placement?: (routerId: string) => RouterPlacement;
}

/** Where one served router's sockets are: the address they bind to and who opens them. */
export interface RouterPlacement {
  /** The router's address on its LAN, as its clients reach it. */
  readonly address: string;
  /** Opens the router's sockets (default: natsim's own namespace). */
  readonly sockets?: SocketProvider;
}

/** Running routers of one scenario. */
export interface ScenarioGatewayHandle extends AsyncDisposable {
  /** The served routers' ids, in scenario order (the order of their addresses). */
  readonly routers: readonly string[];
  /** The one model every served router is part of. */
  readonly network: Network;
  readonly clock: Clock;
  /** One served router's handle (its endpoints and controls); throws for a router not served. */
  router(id: string): ServedRouterHandle;
  /** Moves the shared clock forward and expires every router's leases (relayed mappings renewed upstream first). */
  advance(ms: number): void;
  /** Stops every router (byebye, sockets closed). Safe to call twice. */
  stop(): Promise<void>;
}

/** Does the scenario router offer a mapping service? */
export const offersService = (spec: RouterSpec): boolean =>
  spec.services.upnp === true || spec.services.natpmp === true || spec.services.pcp === true;

/** Is the router served as an IGD (HTTP and SSDP)? Where it offers UPnP; a router named that offers nothing too, as startGateway serves it. */
export const servesIgd = (spec: RouterSpec): boolean => spec.services.upnp === true || !offersService(spec);

/**
 * Which routers of `config` to serve, in scenario order: the named ones (checked), else every one
 * offering a service. Throws when nothing would be served.
 */
export function routersToServe(config: ScenarioConfig, named?: readonly string[]): string[] {
  const ids = routerOrder(config);
  if (named !== undefined) {
    if (!Array.isArray(named) || named.length === 0 || !named.every((n) => typeof n === 'string' && n !== '')) {
      throw new NatsimError('ERR_NATSIM_INVALID_OPTION', {
        fn: FN,
        option: 'routers',
        reason: `must be a non-empty array of router ids, not ${describeValue(named)}`,
      });
    }
    for (const id of named) assertRouter(config, id);
    return ids.filter((id) => named.includes(id));
  }
  const offering = ids.filter((id) => offersService(config.routers[id]!));
  if (offering.length === 0) {
    throw new NatsimError('ERR_NATSIM_INVALID_OPTION', {
      fn: FN,
      option: 'routers',
      reason: `no router of the scenario offers a service (services: { upnp | natpmp | pcp: true }); name the routers to serve (routers: ${ids.join(', ') || 'none'})`,
    });
  }
  return offering;
}

/**
 * The address of the `index`-th served router: `first` itself, then on loopback the addresses
 * after it (127.0.0.1, 127.0.0.2 …).
 */
export function routerAddress(first: string, index: number): string {
  if (index === 0) return first;
  const n = parseIPv4(first) + index;
  if (!first.startsWith('127.') || (n & 0xff) === 0 || (n & 0xff) === 255 || n >>> 24 !== 127) {
    throw new NatsimError('ERR_NATSIM_INVALID_OPTION', {
      fn: FN,
      option: 'listen',
      reason: `${index + 1} routers need ${index + 1} loopback addresses from ${first}, and ${formatIPv4(n >>> 0)} is not one`,
    });
  }
  return formatIPv4(n >>> 0);
}

/** Serves every router of a scenario that offers a service (or those in `routers`) from one model. */
export async function startScenarioGateway(options: ScenarioGatewayOptions = {}): Promise<ScenarioGatewayHandle> {
  checkScenarioGatewayOptions(options);
  const { scenario, routers: named, network, placement, ...rest } = options;
  const config = await loadScenario(scenario ?? 'default');
  const ids = routersToServe(config, named);
  const places = placement ? placedRouters(ids, placement, network) : await loopbackPlaces(ids, options.listen);
  const clock = options.clock ?? network?.clock ?? new OffsetClock();
  const net = network ?? new Network({ clock, rng: new SeededRng(options.seed ?? config.seed ?? 1), pcpWire: PCP_WIRE });
  if (!network) addScenario(net, config, places.real);

  // The IGDs' HTTP servers share the process's descriptors: each caps its connections at its share.
  const igds = ids.filter((id) => servesIgd(config.routers[id]!)).length;
  const served = new Map<string, ServedRouterHandle>();
  const stopAll = async (): Promise<void> => {
    await Promise.all([...served.values()].map((h) => h.stop()));
  };
  try {
    for (const [i, id] of ids.entries()) {
      const spec = config.routers[id]!;
      const portControl = spec.services.natpmp === true || spec.services.pcp === true;
      served.set(
        id,
        await serveRouter({
          net,
          clock,
          routerId: id,
          address: places.at[i]!.address,
          ...(places.at[i]!.sockets ? { sockets: places.at[i]!.sockets } : {}),
          options: { ...rest, clock },
          upnp: servesIgd(spec),
          natpmp: portControl && options.natpmp !== false ? (options.natpmp ?? true) : false,
          pcp: spec.services.pcp === true,
          profile: options.profile ?? spec.profile,
          descriptorShare: igds,
        }),
      );
    }
  } catch (e) {
    await stopAll();
    throw e;
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stopAll());
  return {
    routers: ids,
    network: net,
    clock,
    router: (id) => {
      const h = served.get(id);
      if (!h) {
        throw new NatsimError('ERR_NATSIM_UNKNOWN_ROUTER', {
          fn: 'router',
          reason: `router ${describeValue(id)} is not served (served: ${ids.join(', ')})`,
        });
      }
      return h;
    },
    advance: (ms) => {
      if (!isAdvanceable(clock)) throw new Error('advance() needs a clock with advance(): pass a FakeClock or use the default clock');
      clock.advance(ms);
      // Every router of the model, relays first (their renewals at the times they fell due).
      net.expire();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Where the routers are served, and (one router off loopback) the real interface its LAN becomes. */
interface Places {
  readonly at: readonly RouterPlacement[];
  readonly real?: { readonly id: string; readonly listen: { address: string; prefix: Prefix | undefined } };
}

/** Loopback addresses from `listen` (127.0.0.1, 127.0.0.2 …), or one router on a real interface. */
async function loopbackPlaces(ids: readonly string[], listenOption: string | undefined): Promise<Places> {
  const listen = await resolveListenOption(listenOption ?? '127.0.0.1', FN);
  const loopback = listen.address.startsWith('127.');
  if (!loopback && ids.length > 1) {
    throw new NatsimError('ERR_NATSIM_INVALID_OPTION', {
      fn: FN,
      option: 'listen',
      reason: `${ids.length} routers (${ids.join(', ')}) cannot share ${listen.address}: serve several on loopback, or name one router`,
    });
  }
  return { at: ids.map((_, i) => ({ address: routerAddress(listen.address, i) })), ...(loopback ? {} : { real: { id: ids[0]!, listen } }) };
}

/** Each router where `placement` puts it (checked), in the given model when there is one. */
function placedRouters(ids: readonly string[], placement: (routerId: string) => RouterPlacement, network?: Network): Places {
  return {
    at: ids.map((id) => {
      if (network && !network.hasRouter(id)) {
        throw new NatsimError('ERR_NATSIM_INVALID_OPTION', {
          fn: FN,
          option: 'network',
          reason: `the model has no router "${id}" of the scenario`,
        });
      }
      const place = placement(id);
      if (typeof place !== 'object' || place === null || typeof place.address !== 'string' || !isIPv4(place.address)) {
        throw new NatsimError('ERR_NATSIM_INVALID_OPTION', {
          fn: FN,
          option: 'placement',
          reason: `must return { address: an IPv4 address, sockets? } for router "${id}", not ${describeValue(place)}`,
        });
      }
      return place;
    }),
  };
}

async function loadScenario(scenario: string | ScenarioConfig | LoadedScenario): Promise<ScenarioConfig> {
  if (typeof scenario !== 'string') return 'config' in scenario && 'file' in scenario ? scenario.config : scenario;
  const file = isScenarioName(scenario) ? shippedScenarioPath(scenario, { fn: FN, option: 'scenario' }) : scenario;
  return (await (await import('../scenario/loader.js')).loadScenarioFile(file)).config;
}
