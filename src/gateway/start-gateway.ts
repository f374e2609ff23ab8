/**
 * `startGateway()`: one router of the model served as a UPnP IGD on real sockets — the SOAP/GENA
 * express app over HTTP and the SSDP responder over UDP — returned as a disposable handle with
 * per-test controls (fault injection, reset, fake time) and typed events.
 *
 * ```ts
 * await using gw = await startGateway({ scenario: 'scenarios/default.yaml' });
 * // point a UPnP client at gw.descriptionUrl …
 * expect(gw.listMappings()).toHaveLength(1);
 * ```
 */
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { UPNP_ERROR } from '../constants.js';
import { describeValue, NatsimError } from '../errors.js';
import { formatIPv4, inPrefix, isIPv4, type Prefix, parseIPv4 } from '../nat/address.js';
import type { Clock } from '../nat/clock.js';
import { SeededRng } from '../nat/clock.js';
import type { ModelEventMap } from '../nat/events.js';
import { type ForwardEntry, ForwardTable } from '../nat/forward-table.js';
import { Network } from '../nat/network.js';
import { type NatPresetName, natPolicy } from '../nat/policy.js';
import type { Router } from '../nat/router.js';
import type { SocketProvider } from '../net/socket-provider.js';
import { PCP_WIRE } from '../pcp/upstream-wire.js';
import { bindModelServices, routerConfigFromSpec, routerOrder } from '../scenario/build.js';
import type { LoadedScenario } from '../scenario/loader.js';
import type { ScenarioConfig } from '../scenario/schema.js';
import { isScenarioName, shippedScenarioPath } from '../scenario/shipped.js';
import { createUpnpResponder, type UpnpHttpReply } from '../soap/app.js';
import { isLoopbackIPv4 } from '../soap/control-context.js';
import { soapFaultBody } from '../soap/errors.js';
import { httpDeliver, normalizePeer } from '../soap/gena.js';
import { defaultLoopbackClient } from '../soap/service.js';
import type { UpnpEvent } from '../soap/types.js';
import { parseSoapActionHeader } from '../soap/xml.js';
import type { SsdpBudgetLimits } from '../ssdp/budget.js';
import { SsdpResponder } from '../ssdp/responder.js';
import { type SsdpEvent, type SsdpLog, type SsdpServer, startSsdpServer } from '../ssdp/server.js';
import { isAdvanceable, OffsetClock } from './clock.js';
import { type FaultInjection, FaultQueue, faultCode } from './faults.js';
import { type HttpLimits, type HttpServer, startHttpServer } from './http-server.js';
import { LeaseJournal, type LeaseRestoreReport, type LeaseSync } from './lease-journal.js';
import { type NatpmpServer, type NatpmpServerEvent, startNatpmpServer } from './natpmp-server.js';
import { checkGatewayOptions } from './options.js';

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  /**
   * A shipped scenario's name (`'default'`, `'wm-04-isp-nat'`, … see {@link scenarioPath}), a
   * scenario file's path, or a loaded scenario (what {@link loadScenarioFile} or `parseScenario`
   * returns). Absent: the built-in default scenario, as `natsim serve` serves it — unless `nat`,
   * `wan` or `lan` is given, then one plain router made from those.
   */
  readonly scenario?: string | ScenarioConfig | LoadedScenario;
  /** Which router of the scenario to serve (default: the first offering UPnP, else the first). */
  readonly router?: string;
  /** Address or interface name to serve on (default 127.0.0.1). */
  readonly listen?: string;
  /** HTTP port (default 0: ephemeral). */
  readonly httpPort?: number;
  /** SSDP port (default 0: ephemeral; `natsim serve` uses 1900). */
  readonly ssdpPort?: number;
  /** Join the SSDP multicast group and send NOTIFYs (default: off on loopback, on elsewhere). */
  readonly multicast?: boolean;
  /** Time source (default: real time that `advance()` can push forward). */
  readonly clock?: Clock;
  /** Router profile name (default: the scenario router's `profile`, else `miniupnpd`). */
  readonly profile?: string;
  readonly igdVersion?: 1 | 2;
  /** Secure mode (default true). */
  readonly secureMode?: boolean;
  /** miniupnpd.conf permission rules. */
  readonly permissions?: readonly string[];
  /** Report and map on a reserved WAN address (default true). */
  readonly allowReservedWan?: boolean;
  /**
   * Keep HTTP/1.1 connections open between requests unless the client asks to close (default
   * true). false: close after every reply, as miniupnpd does.
   */
  readonly keepAlive?: boolean;
  /** HTTP limits and timeouts (defaults: {@link DEFAULT_HTTP_LIMITS}; the body limit is the IGD's, 64 KiB). */
  readonly httpLimits?: Partial<Omit<HttpLimits, 'maxBodyBytes'>>;
  /**
   * SSDP reply timing (default: the profile's — `fixed` 50 ms for miniupnpd, `random` within MX
   * for `ssdp-mx-spread` and `strict-miniupnpd`); 'none' answers at once (tests).
   */
  readonly mxDelay?: 'random' | 'none' | 'fixed';
  /** SSDP reply budget (defaults: `SSDP_REPLY_BUDGET`, documented in the README). */
  readonly ssdpBudget?: Partial<SsdpBudgetLimits>;
  /** SSDP delayed replies that may wait at once (default `SSDP_REPLY_BUDGET.maxPending`). */
  readonly ssdpMaxPending?: number;
  /** NOTIFY alive interval, ms. */
  readonly notifyIntervalMs?: number;
  /** Structured logger (pino fits). */
  readonly logger?: SsdpLog;
  /** Without a scenario: NAT preset (default port-restricted-cone), WAN address and LAN prefix. */
  readonly nat?: NatPresetName;
  readonly wan?: string;
  readonly lan?: string;
  /** Seed for the model's RNG (default: the scenario's). */
  readonly seed?: number;
  /**
   * Serve NAT-PMP (RFC 6886) on UDP at the listen address: `true` or `{ port }` (default port 0:
   * ephemeral; real clients need 5351, as `natsim serve` uses). Default: on when the scenario's
   * router has `services: { natpmp: true }`, off otherwise.
   */
  readonly natpmp?: boolean | { readonly port?: number };
  /**
   * Keep runtime mappings (UPnP; NAT-PMP/PCP when served) in this journal file: each is on disk
   * before its reply is sent, and a restart restores them with their remaining lease (see
   * lease-journal.ts). Default: no file, mappings live in memory only.
   */
  readonly leaseFile?: string;
  /** When a journal record counts as written: 'fsync' (default, survives a power cut) or 'write' (survives a crash of natsim). */
  readonly leaseSync?: LeaseSync;
  /** Runs before each lease-file write (tests: delay it for a slow disk, throw for a failing one). */
  readonly leaseWriteHook?: () => void | Promise<void>;
}

/** A mapping as the handle lists it. */
export interface MappingView {
  readonly protocol: 'TCP' | 'UDP';
  readonly externalPort: number;
  readonly internalClient: string;
  readonly internalPort: number;
  readonly remoteHost: string;
  readonly description: string;
  readonly enabled: boolean;
  /** Remaining lease in seconds (0 = permanent). */
  readonly leaseDuration: number;
  readonly origin: ForwardEntry['origin'];
}

/** The model's events as EventEmitter argument lists (same names, same payloads as `network.events`). */
export type ModelGatewayEvents = { [K in keyof ModelEventMap]: [ModelEventMap[K]] };

/**
 * Events of a running gateway: every event of the model (mapping-created/refreshed/removed/expired,
 * session-created/expired, packet-delivered/dropped, wan-address-changed, wan-status-changed),
 * forwarded from `network.events` unchanged, plus the protocol layers' own.
 */
export interface GatewayEvents extends ModelGatewayEvents {
  'ssdp-search': [Extract<SsdpEvent, { type: 'search' }>];
  'soap-request': [Extract<UpnpEvent, { type: 'soap-request' }>];
  fault: [
    | Extract<UpnpEvent, { type: 'fault' }>
    | { type: 'fault'; action: string; code: number; description: string; injected: true; client: string },
  ];
  upnp: [UpnpEvent];
  /** NAT-PMP requests answered and ignored, announcements sent. */
  natpmp: [NatpmpServerEvent];
}

/** A forward-table entry as the handle lists it, with its remaining lease at `now`. */
export function mappingView(e: ForwardEntry, now: number): MappingView {
  return {
    protocol: e.protocol === 'tcp' ? 'TCP' : 'UDP',
    externalPort: e.externalPort,
    internalClient: e.internalClient,
    internalPort: e.internalPort,
    remoteHost: e.remoteHost,
    description: e.description,
    enabled: e.enabled,
    leaseDuration: ForwardTable.remainingSeconds(e, now),
    origin: e.origin,
  };
}

/** A running gateway. */
export interface GatewayHandle extends AsyncDisposable {
  /** `http://ADDR:PORT/rootDesc.xml` */
  readonly descriptionUrl: string;
  /** Where the SSDP responder listens. */
  readonly ssdpAddress: { readonly address: string; readonly port: number };
  /** Where the NAT-PMP server listens (undefined when NAT-PMP is not served). */
  readonly natpmpAddress: { readonly address: string; readonly port: number } | undefined;
  /** The HTTP server's limits and timeouts in effect. */
  readonly httpLimits: HttpLimits;
  /** The router's WAN address as the IGD reports it. */
  readonly externalIp: string;
  readonly routerId: string;
  readonly profile: string;
  readonly igdVersion: 1 | 2;
  /** The model behind the gateway (the router's forward table is the mapping table). */
  readonly network: Network;
  readonly router: Router;
  readonly clock: Clock;
  readonly events: EventEmitter<GatewayEvents>;
  /** With a lease file: what the start restored from it (mappings, expired, dropped records). */
  readonly leases: LeaseRestoreReport | undefined;
  /** The forward table (UPnP mappings, static forwards …) with remaining leases. */
  listMappings(): MappingView[];
  /** Injects faults for the next matching SOAP requests, e.g. `{ action: 'AddPortMapping', fault: 718 }`. */
  use(...faults: FaultInjection[]): void;
  /** Injected faults not yet used. */
  pendingFaults(): FaultInjection[];
  /** Throws when injected faults were not used. */
  assertNoPendingFaults(): void;
  /** Removes runtime mappings (UPnP/NAT-PMP/PCP/ALG) and injected faults; a new NAT-PMP epoch begins (announced). */
  reset(): void;
  /** Moves the clock forward and expires leases. */
  advance(ms: number): void;
  /**
   * Restarts the router as a power cycle does: NAT sessions and every dynamic mapping (UPnP,
   * NAT-PMP, PCP, ALG) are lost, static forwards stay, the NAT-PMP/PCP epoch starts again and is
   * announced (with multicast), and SSDP says byebye, then alive with BOOTID.UPNP.ORG one higher.
   */
  reboot(): Promise<void>;
  /**
   * The ISP renumbers the line: the router's WAN address becomes `address`. NAT sessions end;
   * dynamic mappings are kept or dropped as `mappings` says (default: the profile's
   * `onWanAddressChange`, else keep); the epoch restarts unless the profile keeps it; NAT-PMP/PCP
   * announce it (with multicast) and GENA notifies ExternalIPAddress.
   */
  setExternalAddress(address: string, mappings?: 'keep' | 'drop'): void;
  /**
   * Stops serving: byebye, sockets closed. Safe to call twice. With `strict`, then rejects as
   * {@link assertNoPendingFaults} would when injected faults were never used.
   */
  stop(options?: { readonly strict?: boolean }): Promise<void>;
}

const RUNTIME_ORIGINS = new Set<ForwardEntry['origin']>(['upnp', 'natpmp', 'pcp', 'alg']);

/** Resolves an interface name or address to an IPv4 address and its prefix. */
export function resolveListen(listen: string): { address: string; prefix: Prefix | undefined } {
  const ifaces = os.networkInterfaces();
  if (!isIPv4(listen)) {
    const v4 = ifaces[listen]?.find((a) => a.family === 'IPv4');
    if (!v4) {
      throw new NatsimError('ERR_NATSIM_NO_INTERFACE', {
        option: 'listen',
        reason: `no interface "${listen}" with an IPv4 address (have: ${Object.keys(ifaces).join(', ')})`,
      });
    }
    return { address: v4.address, prefix: { addr: parseIPv4(v4.address) & (parseIPv4(v4.netmask) >>> 0), len: maskLen(v4.netmask) } };
  }
  for (const list of Object.values(ifaces)) {
    const v4 = list?.find((a) => a.family === 'IPv4' && a.address === listen);
    if (v4) return { address: listen, prefix: { addr: (parseIPv4(v4.address) & parseIPv4(v4.netmask)) >>> 0, len: maskLen(v4.netmask) } };
  }
  return { address: listen, prefix: undefined };
}

/**
 * {@link resolveListen}, waiting up to `waitMs` for a non-loopback address to appear: Node lists
 * only running interfaces, and a link that was just set up (a veth in a fresh namespace) may take
 * a moment. Serving on an address no running interface has is an error, not a guess at the LAN.
 */
export async function resolveListenWhenUp(listen: string, waitMs = 3000): Promise<{ address: string; prefix: Prefix | undefined }> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const r = resolveListen(listen);
    if (r.prefix !== undefined || isLoopback(r.address)) return r;
    if (Date.now() >= deadline) {
      throw new NatsimError('ERR_NATSIM_NO_INTERFACE', {
        option: 'listen',
        reason: `no running network interface has the address ${listen}`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function maskLen(mask: string): number {
  let n = parseIPv4(mask);
  let len = 0;
  while (n & 0x80000000) {
    len++;
    n = (n << 1) >>> 0;
  }
  return len;
}

const isLoopback = (address: string): boolean => address.startsWith('127.');

/** Starts serving one router as a UPnP IGD. */
export async function startGateway(options: GatewayOptions = {}): Promise<GatewayHandle> {
  checkGatewayOptions(options);
  const listen = await resolveListenOption(options.listen ?? '127.0.0.1', 'startGateway');
  const loopback = isLoopback(listen.address);
  const clock = options.clock ?? new OffsetClock();
  const config = await gatewayScenario(options);

  // The model: the scenario's routers (or one plain router).
  const net = new Network({ clock, rng: new SeededRng(options.seed ?? config?.seed ?? 1), pcpWire: PCP_WIRE });
  let routerId: string;
  if (config) {
    const ids = routerOrder(config);
    routerId = options.router ?? ids.find((id) => config.routers[id]!.services.upnp) ?? ids[0] ?? '';
    assertRouter(config, routerId);
    addScenario(net, config, loopback ? undefined : { id: routerId, listen });
  } else {
    routerId = options.router ?? 'gateway';
    const lan = !loopback && listen.prefix ? `${formatIPv4(listen.prefix.addr)}/${listen.prefix.len}` : (options.lan ?? '192.168.1.0/24');
    net.addRouter({
      id: routerId,
      wan: options.wan ?? '203.0.113.1',
      lan,
      ...(!loopback && listen.prefix ? { lanAddress: listen.address } : {}),
      nat: natPolicy(options.nat ?? 'port-restricted-cone'),
    });
  }
  const spec = config?.routers[routerId];
  const served = await serveRouter({
    net,
    clock,
    routerId,
    address: listen.address,
    options,
    upnp: true,
    natpmp: options.natpmp ?? (spec?.services.natpmp === true || spec?.services.pcp === true),
    pcp: spec?.services.pcp === true,
    profile: options.profile ?? spec?.profile,
  });
  return served as GatewayHandle;
}

/** {@link resolveListenWhenUp}, its error naming `fn` and the `listen` option. */
export async function resolveListenOption(listen: string, fn: string): Promise<{ address: string; prefix: Prefix | undefined }> {
  return resolveListenWhenUp(listen).catch((e: unknown) => {
    throw e instanceof NatsimError ? new NatsimError(e.code, { fn, option: 'listen', reason: e.reason }) : e;
  });
}

/** Throws ERR_NATSIM_UNKNOWN_ROUTER unless the scenario has a router `id`. */
export function assertRouter(config: ScenarioConfig, id: string): void {
  if (!config.routers[id]) {
    const ids = routerOrder(config);
    throw new NatsimError('ERR_NATSIM_UNKNOWN_ROUTER', {
      reason: `no router "${id}" in the scenario (routers: ${ids.join(', ') || 'none'})`,
    });
  }
}

/**
 * Adds the scenario's routers, servers and hosts to `net`. With `real` (serving one router on a
 * real interface), that router's LAN becomes the interface's network, and its hosts are left out
 * (their addresses do not fit there).
 */
export function addScenario(
  net: Network,
  config: ScenarioConfig,
  real?: { readonly id: string; readonly listen: { address: string; prefix: Prefix | undefined } },
): void {
  let realLan: string | undefined;
  for (const id of routerOrder(config)) {
    const spec = config.routers[id]!;
    const listen = real?.listen;
    const replace =
      id === real?.id &&
      listen?.prefix !== undefined &&
      !inPrefix(parseIPv4(listen.address), routerConfigFromSpec(id, spec).lan ? prefixOf(spec.lan) : listen.prefix);
    net.addRouter(
      routerConfigFromSpec(
        id,
        spec,
        replace && listen?.prefix
          ? { lan: `${formatIPv4(listen.prefix.addr)}/${listen.prefix.len}`, lanAddress: listen.address, forwards: [] }
          : {},
      ),
    );
    if (replace) realLan = id;
  }
  // The scenario's servers and hosts, so packets sent through `network` reach them.
  for (const [id, h] of [...Object.entries(config.servers), ...Object.entries(config.hosts)]) {
    if (h.router !== undefined && h.router === realLan) continue;
    net.addHost({ id, address: h.address, ...(h.router ? { on: h.router } : {}) });
  }
  // NAT-PMP/PCP inside the model too, for what travels it (a home router relaying to its carrier).
  bindModelServices(net, config);
}

/** What {@link serveRouter} needs: one router of a model, where and what to serve. */
export interface ServeRouterContext {
  readonly net: Network;
  readonly clock: Clock;
  readonly routerId: string;
  /** The address this router's sockets bind to. */
  readonly address: string;
  readonly options: GatewayOptions;
  /** Serve the IGD (HTTP + SSDP). */
  readonly upnp: boolean;
  /** Serve NAT-PMP (and PCP, with `pcp`) on UDP: false, or true / `{ port }`. */
  readonly natpmp: boolean | { readonly port?: number };
  readonly pcp: boolean;
  readonly profile: string | undefined;
  /** HTTP servers of this process sharing its descriptors (the IGDs served at once; default 1). */
  readonly descriptorShare?: number;
  /** Where the router's sockets come from (default: natsim's own namespace). */
  readonly sockets?: SocketProvider;
}

/** A served router: {@link GatewayHandle}, where the IGD's parts are absent when UPnP is not served. */
export interface ServedRouterHandle extends Omit<GatewayHandle, 'descriptionUrl' | 'ssdpAddress' | 'httpLimits'> {
  /** The address this router's sockets are bound to. */
  readonly address: string;
  /** `http://ADDR:PORT/rootDesc.xml`; undefined when the router does not offer UPnP. */
  readonly descriptionUrl: string | undefined;
  readonly ssdpAddress: { readonly address: string; readonly port: number } | undefined;
  readonly httpLimits: HttpLimits | undefined;
}

/** Serves one router of `net` on `address`: the IGD (when `upnp`), NAT-PMP/PCP (when asked). */
export async function serveRouter(ctx: ServeRouterContext): Promise<ServedRouterHandle> {
  const { net, clock, routerId, options } = ctx;
  const loopback = isLoopback(ctx.address);
  const listen = { address: ctx.address };
  const profileName = ctx.profile;
  const router = net.router(routerId);

  const events = new EventEmitter<GatewayEvents>();
  const faults = new FaultQueue();
  const view = (e: ForwardEntry): MappingView => mappingView(e, clock.now());
  // The handle's events subscribe to the model's one stream.
  const unsubscribe = net.events.onAny((e) => {
    (events.emit as (name: string, arg: unknown) => boolean)(e.type, e);
  });

  // HTTP: the IGD (a function from request to reply) behind a thin handler for injected faults,
  // served by the gateway's own HTTP/1.1 server.
  // A loopback requester stands for this LAN address, as in the app (src/soap/app.ts).
  const loopbackAs = defaultLoopbackClient(router);
  const app = createUpnpResponder({
    router,
    clock,
    ...(profileName !== undefined ? { profile: profileName } : {}),
    ...(options.igdVersion !== undefined ? { igdVersion: options.igdVersion } : {}),
    ...(options.secureMode !== undefined ? { secureMode: options.secureMode } : {}),
    ...(options.permissions !== undefined ? { permissions: options.permissions } : {}),
    ...(options.allowReservedWan !== undefined ? { allowReservedWan: options.allowReservedWan } : {}),
    ...(options.keepAlive !== undefined ? { keepAlive: options.keepAlive } : {}),
    deliver: httpDeliver(undefined, ctx.sockets),
    onEvent: (e) => {
      events.emit('upnp', e);
      if (e.type === 'soap-request') events.emit('soap-request', e);
      else if (e.type === 'fault') events.emit('fault', e);
    },
  });
  const closeAfterFault = options.keepAlive === false;

  // Durable leases: restored before any socket is open, so no request races the restore. Ports
  // the gateway will listen on are reserved first (an ephemeral port is reserved once known).
  let journal: LeaseJournal | undefined;
  if (options.leaseFile !== undefined) {
    if (options.httpPort) router.forwards.reservePort('tcp', options.httpPort);
    if (options.ssdpPort) router.forwards.reservePort('udp', options.ssdpPort);
    try {
      journal = await LeaseJournal.open({
        path: options.leaseFile,
        forwards: router.forwards,
        routerId,
        clock,
        // Restored through the mapping service: the rules in force now decide, as for a new request.
        restore: (lease, leaseSeconds, now) => {
          const r = router.mappings.request(
            {
              requester: lease.owner,
              protocol: lease.protocol,
              internalClient: lease.internalClient,
              internalPort: lease.internalPort,
              externalPort: lease.externalPort,
              remoteHost: lease.remoteHost,
              lifetime: leaseSeconds,
              lifetimeRule: 'as-requested',
              search: 'exact',
              origin: lease.origin,
              description: lease.description,
              ...(lease.nonce !== undefined ? { nonce: lease.nonce } : {}),
            },
            now,
          );
          return r.ok ? undefined : `${r.refusal}: ${r.message}`;
        },
        ...(options.leaseSync !== undefined ? { sync: options.leaseSync } : {}),
        ...(options.leaseWriteHook ? { beforeWrite: options.leaseWriteHook } : {}),
      });
    } catch (e) {
      unsubscribe();
      app.close();
      throw e;
    }
  }
  /** Entries added while the IGD handles one request (to take back if the journal cannot keep them). */
  let addedNow: ForwardEntry[] | undefined;
  const unsubscribeAdded = net.events.on('mapping-created', (e) => {
    if (e.router === routerId) addedNow?.push(e.mapping);
  });
  /**
   * Runs one request's answer (UPnP or NAT-PMP). With a lease file it resolves only once every
   * change so far is in the journal; if the journal cannot keep them, what this answer added is
   * taken back and it rejects, so nothing unrecorded is ever acknowledged.
   */
  const commit = <T>(answer: () => T): T | Promise<T> => {
    if (!journal) return answer();
    const added: ForwardEntry[] = [];
    addedNow = added;
    let out: T;
    try {
      out = answer();
    } finally {
      addedNow = undefined;
    }
    if (journal.durable) return out;
    return journal.flush().then(
      () => out,
      (e: Error) => {
        for (const entry of added) router.forwards.delete(entry, clock.now());
        throw e;
      },
    );
  };
  /** The IGD's reply, sent only once every change so far is in the journal. */
  const durableReply = (req: Parameters<typeof app>[0]): UpnpHttpReply | Promise<UpnpHttpReply> => {
    const reply = commit(() => app(req));
    if (!(reply instanceof Promise)) return reply;
    return reply.catch((e: Error) => {
      // Not kept, so not acknowledged: the request fails (its additions were taken back).
      const body = soapFaultBody(UPNP_ERROR.ActionFailed, 'ActionFailed');
      events.emit('upnp', {
        type: 'fault',
        action: parseSoapActionHeader(req.headers['soapaction'])?.action ?? '',
        code: UPNP_ERROR.ActionFailed,
        description: e.message,
        client: req.peer,
      });
      return {
        status: 500,
        statusText: 'Internal Server Error',
        headers: { 'Content-Type': 'text/xml; charset="utf-8"', 'Content-Length': String(Buffer.byteLength(body)), Ext: '' },
        body,
        close: true,
      };
    });
  };
  /** An injected fault instead of the IGD's answer (after its delay). */
  const injectedReply = (action: string, injected: FaultInjection, client: string): UpnpHttpReply => {
    const f = faultCode(injected.fault);
    if ('http' in f) return { status: f.http, headers: { 'Content-Length': '0' }, body: '', close: true };
    const body = soapFaultBody(f.code, f.description);
    const fault = { type: 'fault', action, code: f.code, description: f.description, injected: true, client } as const;
    events.emit('upnp', fault);
    events.emit('fault', fault);
    return {
      status: 500,
      statusText: 'Internal Server Error',
      headers: { 'Content-Type': 'text/xml; charset="utf-8"', 'Content-Length': String(Buffer.byteLength(body)), Ext: '' },
      body,
      close: closeAfterFault,
    };
  };
  const identity = app.upnp.identity;
  const igd = ctx.upnp ? await serveIgd() : undefined;
  const server = igd?.server;
  const ssdp = igd?.ssdp;
  const descriptionUrl = igd?.descriptionUrl;

  /** HTTP (the IGD) and SSDP on the router's address. */
  async function serveIgd(): Promise<{ server: HttpServer; ssdp: SsdpServer; descriptionUrl: string }> {
    let server: HttpServer;
    try {
      server = await startHttpServer({
        host: listen.address,
        port: options.httpPort ?? 0,
        ...(ctx.sockets ? { sockets: ctx.sockets } : {}),
        ...options.httpLimits,
        ...(ctx.descriptorShare !== undefined ? { descriptorShare: ctx.descriptorShare } : {}),
        maxBodyBytes: app.bodyLimit,
        errorReply: (status) => app.errorReply(status),
        handler: (req): UpnpHttpReply | Promise<UpnpHttpReply> => {
          router.expire(clock.now());
          if (req.method === 'POST' && !faults.empty) {
            const soapAction = parseSoapActionHeader(req.headers['soapaction']);
            const action = soapAction?.action;
            const injected = action !== undefined ? faults.take(action) : undefined;
            if (injected && soapAction && action !== undefined) {
              const peer = normalizePeer(req.peer);
              const client = peer === '::1' || isLoopbackIPv4(peer) ? loopbackAs : peer;
              const request = { type: 'soap-request', action, serviceType: soapAction.serviceType, client, peer } as const;
              events.emit('upnp', request);
              events.emit('soap-request', request);
              if (!injected.delayMs) return injectedReply(action, injected, client);
              const delay = injected.delayMs;
              return new Promise((resolve) => setTimeout(() => resolve(injectedReply(action, injected, client)), delay).unref());
            }
          }
          return durableReply(req);
        },
      });
    } catch (e) {
      unsubscribeAdded();
      await journal?.close();
      app.close();
      throw e;
    }
    const httpPort = server.port;
    router.forwards.reservePort('tcp', httpPort);
    const descriptionUrl = `http://${listen.address}:${httpPort}${identity.descriptionPath}`;

    // SSDP.
    const responder = new SsdpResponder(
      {
        rootUdn: identity.rootUdn,
        wanDeviceUdn: identity.wanDeviceUdn,
        wanConnectionDeviceUdn: identity.wanConnectionDeviceUdn,
        igdVersion: identity.igdVersion,
        location: descriptionUrl,
        server: identity.server,
        bootId: Math.floor(clock.now() / 1000) >>> 0,
        configId: identity.configId,
        maxAge: 1800,
      },
      {
        mxDelay: options.mxDelay ?? (identity.ssdp.replyTiming === 'fixed' ? 'fixed' : 'random'),
        quirks: identity.ssdp,
        ...(loopback ? {} : { lanPrefix: router.lanPrefix }),
      },
    );
    let ssdp: SsdpServer;
    try {
      ssdp = await startSsdpServer({
        responder,
        address: listen.address,
        port: options.ssdpPort ?? 0,
        multicast: options.multicast ?? !loopback,
        ...(ctx.sockets ? { sockets: ctx.sockets } : {}),
        ...(options.notifyIntervalMs !== undefined ? { notifyIntervalMs: options.notifyIntervalMs } : {}),
        ...(options.ssdpBudget ? { budget: options.ssdpBudget } : {}),
        ...(options.ssdpMaxPending !== undefined ? { maxPending: options.ssdpMaxPending } : {}),
        ...(options.logger ? { log: options.logger } : {}),
        onEvent: (e) => {
          if (e.type === 'search') events.emit('ssdp-search', e);
        },
      });
    } catch (e) {
      await server.close();
      unsubscribeAdded();
      await journal?.close();
      app.close();
      throw e;
    }
    router.forwards.reservePort('udp', ssdp.port);
    return { server, ssdp, descriptionUrl };
  }

  // NAT-PMP: the pure server behind a UDP socket on the same address.
  const natpmpOption = ctx.natpmp;
  let natpmp: NatpmpServer | undefined;
  // A UPnP-only profile binds nothing on the port-control port (clients get ICMP port unreachable).
  if (natpmpOption !== false && router.mappings.config.policy.portControl !== 'absent') {
    try {
      natpmp = await startNatpmpServer({
        router,
        clock,
        address: listen.address,
        port: typeof natpmpOption === 'object' ? (natpmpOption.port ?? 0) : 0,
        multicast: options.multicast ?? !loopback,
        loopbackAs,
        onEvent: (e) => events.emit('natpmp', e),
        commit,
        pcp: ctx.pcp,
        ...(ctx.sockets ? { sockets: ctx.sockets } : {}),
      });
    } catch (e) {
      await ssdp?.stop();
      await server?.close();
      unsubscribeAdded();
      await journal?.close();
      app.close();
      throw e;
    }
    router.forwards.reservePort('udp', natpmp.port);
  }

  // Leases run out in real time too.
  const ticker = setInterval(() => router.expire(clock.now()), 1000);
  ticker.unref();

  let stopping: Promise<void> | undefined;
  const stop = (stopOptions?: { readonly strict?: boolean }): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(ticker);
      unsubscribe();
      await natpmp?.stop();
      await ssdp?.stop();
      await server?.close();
      unsubscribeAdded();
      await journal?.close();
      app.close();
    })();
    return stopOptions?.strict ? stopping.then(() => assertNoPendingFaults()) : stopping;
  };
  const assertNoPendingFaults = (): void => {
    const left = faults.pending();
    if (left.length) {
      throw new Error(
        `${left.length} injected fault(s) were never used: ${left.map((f) => `${f.action ?? 'any action'} → ${JSON.stringify(f.fault)}`).join('; ')}`,
      );
    }
  };

  const handle: ServedRouterHandle = {
    address: listen.address,
    descriptionUrl,
    ssdpAddress: ssdp ? { address: listen.address, port: ssdp.port } : undefined,
    natpmpAddress: natpmp ? { address: natpmp.address, port: natpmp.port } : undefined,
    httpLimits: server?.limits,
    get externalIp() {
      return router.wanAddress;
    },
    routerId,
    profile: app.upnp.profile.name,
    igdVersion: identity.igdVersion,
    network: net,
    router,
    clock,
    events,
    leases: journal?.report,
    listMappings: () => {
      router.expire(clock.now());
      return router.forwards.list().map(view);
    },
    use: (...f) => faults.add(...f),
    pendingFaults: () => faults.pending(),
    assertNoPendingFaults,
    reset: () => {
      faults.clear();
      for (const e of [...router.forwards.list()]) if (RUNTIME_ORIGINS.has(e.origin)) router.forwards.delete(e, clock.now());
      router.nat?.clear(clock.now());
      router.mappings.resetEpoch(clock.now());
      natpmp?.announce();
    },
    advance: (ms) => {
      if (!isAdvanceable(clock)) throw new Error('advance() needs a clock with advance(): pass a FakeClock or use the default clock');
      clock.advance(ms);
      router.expire(clock.now());
    },
    reboot: async () => {
      if (stopping) return;
      router.reboot(clock.now()); // the NAT-PMP/PCP server announces the new epoch (it listens for router-rebooted)
      await ssdp?.restart();
    },
    setExternalAddress: (address, mode) => {
      if (typeof address !== 'string' || !isIPv4(address)) {
        throw new NatsimError('ERR_NATSIM_INVALID_ARGUMENT', {
          fn: 'setExternalAddress',
          reason: `expected an IPv4 address such as "203.0.113.7", not ${describeValue(address)}`,
        });
      }
      if (mode !== undefined && mode !== 'keep' && mode !== 'drop') {
        throw new NatsimError('ERR_NATSIM_INVALID_ARGUMENT', {
          fn: 'setExternalAddress',
          reason: `mappings must be "keep" or "drop", not ${describeValue(mode)}`,
        });
      }
      router.expire(clock.now());
      router.setWanAddress(address, clock.now(), mode);
    },
    stop,
    [Symbol.asyncDispose]: () => stop(),
  };
  return handle;
}

/**
 * The scenario to serve: a shipped one by name, a file, a loaded one, or — with none and no
 * `nat`/`wan`/`lan` — the default scenario. The loader (yaml, zod) is loaded only when a file has
 * to be read.
 */
async function gatewayScenario(options: GatewayOptions): Promise<ScenarioConfig | undefined> {
  const plain = options.nat !== undefined || options.wan !== undefined || options.lan !== undefined;
  const scenario = options.scenario ?? (plain ? undefined : 'default');
  if (typeof scenario !== 'string') return scenario && 'config' in scenario && 'file' in scenario ? scenario.config : scenario;
  const file = isScenarioName(scenario) ? shippedScenarioPath(scenario, { fn: 'startGateway', option: 'scenario' }) : scenario;
  return (await (await import('../scenario/loader.js')).loadScenarioFile(file)).config;
}

function prefixOf(text: string): Prefix {
  const [a, l] = text.split('/');
  const len = Number(l ?? 32);
  return { addr: len === 0 ? 0 : (parseIPv4(a!) & (0xffffffff << (32 - len))) >>> 0, len };
}
