/**
 * `natsim serve`: the routers of a scenario that offer a service (or those `--router a,b` names),
 * from one model, on real sockets until SIGINT/SIGTERM: one router as a UPnP IGD by startGateway,
 * several by startScenarioGateway, each on its own loopback address (127.0.0.1, 127.0.0.2 …).
 */
import type { Command } from 'commander';
import { NATPMP_PORT } from '../constants.js';
import { NatsimError } from '../errors.js';
import type { GatewayHandle, GatewayOptions } from '../gateway/start-gateway.js';
import { ScenarioError } from '../scenario/errors.js';
import type { ScenarioConfig } from '../scenario/schema.js';
import { DEFAULT_SCENARIO, prevalidatedDefaultScenario } from './default-scenario.js';
import { CliError, EXIT, environmentError, usageError } from './errors.js';
import { lineBatcher } from './line-batcher.js';
import { integerValue, portValue } from './option-values.js';
import { assertSsdpPortFree } from './port-guard.js';
import { attachServeLog, type LogHandle } from './serve-log.js';
import { readyEntry, readyLine } from './serve-ready.js';

interface ServeOptions {
  scenario?: string;
  router?: string;
  listen: string;
  httpPort: number;
  ssdpPort: number;
  /** A port, or false for --no-natpmp; absent: 5351 where the scenario router offers natpmp. */
  natpmpPort?: number;
  natpmp?: boolean;
  multicast?: boolean;
  profile?: string;
  permissions?: string;
  closeConnections?: boolean;
  maxConnections?: number;
  json?: boolean;
  verbose?: boolean;
  leaseFile?: string;
  leaseSync: 'fsync' | 'write';
}

function leaseSyncValue(text: string): 'fsync' | 'write' {
  if (text !== 'fsync' && text !== 'write') throw usageError(`--lease-sync must be fsync or write, not "${text}"`);
  return text;
}

async function loadConfig(file: string | undefined): Promise<ScenarioConfig> {
  if (file === undefined) {
    const pre = await prevalidatedDefaultScenario();
    if (pre) return pre;
  }
  return (await (await import('../scenario/loader.js')).loadScenarioFile(file ?? DEFAULT_SCENARIO)).config;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'serve the routers of a scenario that offer a service (UPnP IGD: SSDP + SOAP + GENA; NAT-PMP; PCP), from one model, for real clients',
    )
    .option('--scenario <file>', 'scenario file (default: the built-in default scenario)')
    .option(
      '--router <ids>',
      'routers to serve, comma-separated (default: every router with services: { upnp | natpmp | pcp: true }, else the first)',
    )
    .option(
      '--listen <addr|iface>',
      'address or interface to serve on; several routers take it and the loopback addresses after it (127.0.0.1, 127.0.0.2 … in scenario order)',
      '127.0.0.1',
    )
    .option('--http-port <n>', "HTTP port on each router's address, 0–65535 (0 = any free port)", portValue('--http-port'), 0)
    .option(
      '--ssdp-port <n>',
      "SSDP port on each router's address, 0–65535; refused when another gateway already answers there",
      portValue('--ssdp-port'),
      1900,
    )
    .option(
      '--natpmp-port <n>',
      'UDP port of NAT-PMP (RFC 6886) and PCP, 0–65535 (default 5351 on routers with services: { natpmp | pcp: true }; serving one router, this turns NAT-PMP on for it anyway)',
      portValue('--natpmp-port'),
    )
    .option('--no-natpmp', 'serve neither NAT-PMP nor PCP')
    .option('--multicast', 'join the SSDP multicast group and send NOTIFYs (default: only off loopback)')
    .option('--no-multicast', 'never use multicast')
    .option(
      '--profile <name>',
      "router profile of every served router (default: each router's profile: in the scenario; see the README table)",
    )
    .option(
      '--permissions <file>',
      "port-mapping permission rules of every served router from a miniupnpd.conf-syntax file (its allow/deny lines; default: the scenario's, else miniupnpd's shipped rules)",
    )
    .option(
      '--close-connections',
      'close the HTTP connection after every reply, as miniupnpd (default: keep-alive unless the client asks to close)',
    )
    .option(
      '--max-connections <n>',
      'HTTP connections open at once, 1–1000000 (default 512; at the cap the oldest idle one is closed, or 503)',
      integerValue('--max-connections', 1, 1_000_000),
    )
    .option(
      '--lease-file <file>',
      'keep mappings in this journal: each is on disk before its reply, and a restart restores them with their remaining lease (one router only)',
    )
    .option(
      '--lease-sync <mode>',
      'when a lease record counts as written: fsync (survives a power cut) or write (survives a crash of natsim)',
      leaseSyncValue,
      'fsync',
    )
    .option('--json', 'print the ready line (its routers array: each served router and its endpoints) and the log as JSON lines')
    .option('--verbose', 'log every SSDP search and UPnP exchange too (default: mapping changes and faults)')
    .action(serve);
}

async function serve(opts: ServeOptions): Promise<void> {
  const { resolveListen } = await import('../gateway/start-gateway.js');
  const { chooseRouters, igdAddresses, parseRouterList, routerAddresses } = await import('./serve-routers.js');
  const config = await loadConfig(opts.scenario);
  const ids = chooseRouters(config, opts.router !== undefined ? parseRouterList(opts.router) : undefined);
  const permissions = opts.permissions !== undefined ? await readPermissions(opts.permissions) : undefined;
  let first: string;
  try {
    first = resolveListen(opts.listen).address;
  } catch (e) {
    throw asUsageError(e);
  }
  const addresses = routerAddresses(first, ids);
  if (ids.length > 1 && opts.leaseFile !== undefined) {
    throw usageError(`--lease-file keeps one router's mappings, and ${ids.length} are served (${ids.join(', ')}): name one with --router`);
  }
  // Where a served router is an IGD, its SSDP port must not be answered by someone else already.
  await Promise.all(igdAddresses(config, ids, addresses).map((a) => assertSsdpPortFree(a, opts.ssdpPort)));
  // Every stdout line goes through one batcher, so the log's lines keep their order with the rest.
  const out = lineBatcher();
  const write = out.line;
  const notice = (event: string, text: string, fields: object = {}): void =>
    opts.json ? write(JSON.stringify({ event, time: new Date().toISOString(), ...fields })) : write(`natsim: ${text}`);
  const common = {
    httpPort: opts.httpPort,
    ssdpPort: opts.ssdpPort,
    ...(opts.multicast !== undefined ? { multicast: opts.multicast } : {}),
    ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
    ...(permissions !== undefined ? { permissions } : {}),
    ...(opts.closeConnections ? { keepAlive: false } : {}),
    ...(opts.maxConnections !== undefined ? { httpLimits: { maxConnections: opts.maxConnections } } : {}),
    logger: {
      warn: (o: object, msg?: string) => console.error(`natsim: ${msg ?? 'warning'} ${JSON.stringify(o)}`),
      error: (o: object, msg?: string) =>
        console.error(`natsim: ${msg ?? 'error'}: ${String((o as { err?: unknown }).err ?? JSON.stringify(o))}`),
    },
  };
  const served =
    ids.length === 1
      ? await serveOne(opts, config, ids[0]!, common, write)
      : await serveSeveral(opts, config, ids, addresses, common, write);
  // The signal handlers go in before the ready line leaves: whoever reads it may signal at once.
  stopOnSignals(
    served,
    (signal) => {
      if (opts.verbose) notice('stopping', `stopping (${signal})`, { signal });
    },
    out.flush,
  );
  out.flush(); // whoever waits for the ready line sees it now
  for (const id of served.asIgd) {
    console.error(
      `natsim: warning: router ${id} of ${opts.scenario ?? 'the default scenario'} does not offer UPnP (services: { upnp: true } is not set); serving it as an IGD anyway`,
    );
  }
  for (const h of served.handles) {
    attachServeLog(h, {
      ...(opts.json ? { json: true } : {}),
      ...(opts.verbose ? { verbose: true } : {}),
      ...(served.handles.length > 1 ? { nameRouter: true } : {}),
      write,
    });
  }
}

/**
 * Stops what is served on the first SIGINT or SIGTERM (announced by `stopping`), then flushes
 * the output and exits 0; a second signal while stopping is ignored.
 */
function stopOnSignals(served: Served, stopping: (signal: string) => void, flush: () => void): void {
  let stopped = false;
  const shutdown = (signal: string): void => {
    if (stopped) return;
    stopped = true;
    stopping(signal);
    void served.stop().then(() => {
      flush();
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** What {@link serveOne} and {@link serveSeveral} started. */
interface Served {
  readonly handles: readonly LogHandle[];
  /** Routers served as an IGD although their scenario does not offer UPnP. */
  readonly asIgd: readonly string[];
  stop(): Promise<void>;
}

/** Options both ways of serving take alike. */
type CommonOptions = Omit<GatewayOptions, 'scenario' | 'router' | 'listen' | 'natpmp'>;

/** One router, by startGateway (so --lease-file, --natpmp-port on any router, an IGD always), printed as it always was. */
async function serveOne(
  opts: ServeOptions,
  config: ScenarioConfig,
  id: string,
  common: CommonOptions,
  write: (line: string) => void,
): Promise<Served> {
  const { startGateway } = await import('../gateway/start-gateway.js');
  let gw: GatewayHandle;
  try {
    gw = await startGateway({
      ...common,
      scenario: config,
      listen: opts.listen,
      router: id,
      natpmp: natpmpSetting(opts, config, id),
      ...(opts.leaseFile !== undefined ? { leaseFile: opts.leaseFile, leaseSync: opts.leaseSync } : {}),
    });
  } catch (e) {
    throw startError(e, opts);
  }
  const spec = config.routers[id]!;
  const ready = {
    ready: true,
    descriptionUrl: gw.descriptionUrl,
    ssdp: `${gw.ssdpAddress.address}:${gw.ssdpAddress.port}`,
    router: gw.routerId,
    profile: gw.profile,
    igd: gw.igdVersion,
    externalIp: gw.externalIp,
    pid: process.pid,
    ...(gw.natpmpAddress ? { natpmp: `${gw.natpmpAddress.address}:${gw.natpmpAddress.port}` } : {}),
    ...(gw.leases
      ? {
          leases: {
            file: gw.leases.path,
            restored: gw.leases.restored,
            expired: gw.leases.expired,
            refused: gw.leases.refused.length,
            damaged: gw.leases.problems.length,
          },
        }
      : {}),
    routers: [readyEntry({ handle: gw, address: gw.ssdpAddress.address, pcp: spec.services.pcp === true })],
  };
  // What the lease file held that could not be restored goes to stderr, one line each.
  for (const p of gw.leases?.problems ?? []) console.error(`natsim: lease file ${gw.leases!.path}: ${p.message}`);
  for (const r of gw.leases?.refused ?? []) {
    console.error(
      `natsim: lease file ${gw.leases!.path}: ${r.lease.protocol.toUpperCase()} ${r.lease.externalPort} → ${r.lease.internalClient}:${r.lease.internalPort} not restored: ${r.reason}`,
    );
  }
  if (opts.json) write(JSON.stringify(ready));
  else {
    write(`natsim: serving router ${gw.routerId} (${gw.profile}, IGD:${gw.igdVersion}) — external address ${gw.externalIp}`);
    if (gw.leases) {
      const l = gw.leases;
      write(
        `natsim: lease file ${l.path}${l.created ? ' (new)' : ''}: ${l.restored} mapping(s) restored, ${l.expired} expired, ${l.refused.length} refused, ${l.problems.length} damaged record(s) dropped`,
      );
    }
    write(
      `natsim: ready at ${gw.descriptionUrl} (SSDP on ${ready.ssdp}${ready.natpmp ? `, NAT-PMP on ${ready.natpmp}` : ''}); Ctrl-C to stop`,
    );
  }
  return { handles: [gw], asIgd: spec.services.upnp ? [] : [id], stop: () => gw.stop() };
}

/**
 * Several routers, by startScenarioGateway: one model, each router on its own loopback address
 * with what its scenario offers (an IGD where it offers UPnP, NAT-PMP/PCP on --natpmp-port,
 * default 5351, where it offers those); a router named that offers nothing is an IGD.
 */
async function serveSeveral(
  opts: ServeOptions,
  config: ScenarioConfig,
  ids: readonly string[],
  addresses: readonly string[],
  common: CommonOptions,
  write: (line: string) => void,
): Promise<Served> {
  const { startScenarioGateway, offersService } = await import('../gateway/start-scenario-gateway.js');
  let gws: Awaited<ReturnType<typeof startScenarioGateway>>;
  try {
    gws = await startScenarioGateway({
      ...common,
      scenario: config,
      routers: ids,
      listen: opts.listen,
      natpmp: opts.natpmp === false ? false : { port: opts.natpmpPort ?? NATPMP_PORT },
    });
  } catch (e) {
    throw startError(e, opts);
  }
  const routers = gws.routers.map((id, i) => ({
    handle: gws.router(id),
    address: addresses[i]!,
    pcp: config.routers[id]!.services.pcp === true,
  }));
  if (opts.json) write(JSON.stringify({ ready: true, pid: process.pid, routers: routers.map(readyEntry) }));
  else {
    const where = routers.map((r) => `${r.handle.routerId} on ${r.address}`).join(', ');
    write(`natsim: serving ${ids.length} routers of ${opts.scenario ?? 'the default scenario'} from one model: ${where}`);
    for (const r of routers) write(readyLine(r));
    write(`natsim: ready (${ids.length} routers); Ctrl-C to stop`);
  }
  return {
    handles: routers.map((r) => r.handle),
    asIgd: ids.filter((id) => !offersService(config.routers[id]!)),
    stop: () => gws.stop(),
  };
}

/**
 * A start-up failure as the CLI reports it: the lease file not a natsim journal (exit 1), or one
 * natsim cannot read or write, or held by another natsim (exit 3); a port in use (exit 3) or a bad
 * scenario (exit 1) as reportCliError words them; what is left is a bad option value (unknown
 * profile or interface): a usage error.
 */
function startError(e: unknown, opts: ServeOptions): unknown {
  if ((e as Error).name === 'LeaseFileLockedError') return new CliError((e as Error).message, EXIT.environment, 'LEASE_FILE_LOCKED');
  if ((e as Error).name === 'LeaseJournalError')
    return new CliError((e as Error).message, EXIT.failed, (e as NodeJS.ErrnoException).code ?? 'LEASE_FILE');
  if (opts.leaseFile !== undefined && (e as NodeJS.ErrnoException).path?.startsWith(opts.leaseFile)) {
    return environmentError(`lease file ${opts.leaseFile}: ${(e as Error).message}`);
  }
  if (e instanceof NatsimError || !((e as NodeJS.ErrnoException).code !== undefined || e instanceof ScenarioError)) return asUsageError(e);
  return e;
}

/**
 * NAT-PMP for startGateway: --no-natpmp off, --natpmp-port on that port, else 5351 when the router
 * to serve has services: { natpmp: true } or { pcp: true } (one socket answers both).
 */
function natpmpSetting(opts: ServeOptions, config: ScenarioConfig, id: string): false | { port: number } {
  if (opts.natpmp === false) return false;
  if (opts.natpmpPort !== undefined) return { port: opts.natpmpPort };
  const services = config.routers[id]?.services;
  return services?.natpmp || services?.pcp ? { port: NATPMP_PORT } : false;
}

/** The allow/deny rules of a miniupnpd.conf-syntax file, or a usage error naming the file and line. */
async function readPermissions(file: string): Promise<string[]> {
  const { readFile } = await import('node:fs/promises');
  const { parsePermissionFile, PermissionFileError } = await import('../nat/permissions.js');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw usageError(`--permissions: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return parsePermissionFile(text);
  } catch (e) {
    if (e instanceof PermissionFileError) throw usageError(`--permissions: ${file}:${e.line}: ${e.message.replace(/^line \d+: /, '')}`);
    throw e;
  }
}

/** A library error as a usage error, the option it names spelt as its flag (`listen` → `--listen`). */
function asUsageError(e: unknown): Error {
  if (e instanceof NatsimError && e.option) return usageError(`--${e.option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${e.reason}`);
  return usageError((e as Error).message);
}
