/** `natsim serve`: one router of a scenario as a UPnP IGD on real sockets, until SIGINT/SIGTERM. */
import type { Command } from 'commander';
import { NATPMP_PORT } from '../constants.js';
import { NatsimError } from '../errors.js';
import { ScenarioError } from '../scenario/errors.js';
import type { ScenarioConfig } from '../scenario/schema.js';
import { DEFAULT_SCENARIO, prevalidatedDefaultScenario } from './default-scenario.js';
import { CliError, EXIT, environmentError, usageError } from './errors.js';
import { lineBatcher } from './line-batcher.js';
import { integerValue, portValue } from './option-values.js';
import { assertSsdpPortFree } from './port-guard.js';
import { attachServeLog } from './serve-log.js';

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
    .description('serve one router of a scenario as a UPnP IGD (SSDP + SOAP + GENA) that real clients can use')
    .option('--scenario <file>', 'scenario file (default: the built-in default scenario)')
    .option('--router <id>', 'router to serve (default: the first that offers UPnP)')
    .option('--listen <addr|iface>', 'address or interface to serve on', '127.0.0.1')
    .option('--http-port <n>', 'HTTP port, 0–65535 (0 = any free port)', portValue('--http-port'), 0)
    .option('--ssdp-port <n>', 'SSDP port, 0–65535; refused when another gateway already answers there', portValue('--ssdp-port'), 1900)
    .option(
      '--natpmp-port <n>',
      'serve NAT-PMP (RFC 6886) on this UDP port, 0–65535 (default: 5351 when the router has services: { natpmp: true }, else off)',
      portValue('--natpmp-port'),
    )
    .option('--no-natpmp', 'do not serve NAT-PMP')
    .option('--multicast', 'join the SSDP multicast group and send NOTIFYs (default: only off loopback)')
    .option('--no-multicast', 'never use multicast')
    .option('--profile <name>', 'router profile (see the README table)')
    .option(
      '--permissions <file>',
      "port-mapping permission rules from a miniupnpd.conf-syntax file (its allow/deny lines; default: the scenario's, else miniupnpd's shipped rules)",
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
      'keep mappings in this journal: each is on disk before its reply, and a restart restores them with their remaining lease',
    )
    .option(
      '--lease-sync <mode>',
      'when a lease record counts as written: fsync (survives a power cut) or write (survives a crash of natsim)',
      leaseSyncValue,
      'fsync',
    )
    .option('--json', 'print the ready line and the log as JSON lines')
    .option('--verbose', 'log every SSDP search and UPnP exchange too (default: mapping changes and faults)')
    .action(serve);
}

async function serve(opts: ServeOptions): Promise<void> {
  const { startGateway, resolveListen } = await import('../gateway/start-gateway.js');
  const config = await loadConfig(opts.scenario);
  const permissions = opts.permissions !== undefined ? await readPermissions(opts.permissions) : undefined;
  // Every stdout line goes through one batcher, so the log's lines keep their order with the rest.
  const out = lineBatcher();
  const write = out.line;
  const notice = (event: string, text: string, fields: object = {}): void =>
    opts.json ? write(JSON.stringify({ event, time: new Date().toISOString(), ...fields })) : write(`natsim: ${text}`);
  let address: string;
  try {
    address = resolveListen(opts.listen).address;
  } catch (e) {
    throw asUsageError(e);
  }
  await assertSsdpPortFree(address, opts.ssdpPort);
  const natpmp = natpmpSetting(opts, config, (await import('../scenario/build.js')).routerOrder(config));
  let gw: Awaited<ReturnType<typeof startGateway>>;
  try {
    gw = await startGateway({
      scenario: config,
      listen: opts.listen,
      httpPort: opts.httpPort,
      ssdpPort: opts.ssdpPort,
      ...(opts.router !== undefined ? { router: opts.router } : {}),
      natpmp,
      ...(opts.multicast !== undefined ? { multicast: opts.multicast } : {}),
      ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
      ...(permissions !== undefined ? { permissions } : {}),
      ...(opts.closeConnections ? { keepAlive: false } : {}),
      ...(opts.maxConnections !== undefined ? { httpLimits: { maxConnections: opts.maxConnections } } : {}),
      ...(opts.leaseFile !== undefined ? { leaseFile: opts.leaseFile, leaseSync: opts.leaseSync } : {}),
      logger: {
        warn: (o, msg) => console.error(`natsim: ${msg ?? 'warning'} ${JSON.stringify(o)}`),
        error: (o, msg) => console.error(`natsim: ${msg ?? 'error'}: ${String((o as { err?: unknown }).err ?? JSON.stringify(o))}`),
      },
    });
  } catch (e) {
    // The lease file: not a natsim journal (exit 1), or one natsim cannot read or write (exit 3).
    // Another natsim holds the lease file: the environment, as a port in use is (exit 3).
    if ((e as Error).name === 'LeaseFileLockedError') throw new CliError((e as Error).message, EXIT.environment, 'LEASE_FILE_LOCKED');
    if ((e as Error).name === 'LeaseJournalError')
      throw new CliError((e as Error).message, EXIT.failed, (e as NodeJS.ErrnoException).code ?? 'LEASE_FILE');
    if (opts.leaseFile !== undefined && (e as NodeJS.ErrnoException).path?.startsWith(opts.leaseFile)) {
      throw environmentError(`lease file ${opts.leaseFile}: ${(e as Error).message}`);
    }
    // A port in use (exit 3) or a bad scenario (exit 1) as reportCliError words them; what is
    // left is a bad option value (unknown router, profile or interface): a usage error.
    if (e instanceof NatsimError || !((e as NodeJS.ErrnoException).code !== undefined || e instanceof ScenarioError)) throw asUsageError(e);
    throw e;
  }
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
  out.flush(); // whoever waits for the ready line sees it now
  if (!config.routers[gw.routerId]?.services.upnp) {
    console.error(
      `natsim: warning: router ${gw.routerId} of ${opts.scenario ?? 'the default scenario'} does not offer UPnP (services: { upnp: true } is not set); serving it as an IGD anyway`,
    );
  }
  attachServeLog(gw, { ...(opts.json ? { json: true } : {}), ...(opts.verbose ? { verbose: true } : {}), write });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    if (opts.verbose) notice('stopping', `stopping (${signal})`, { signal });
    void gw.stop().then(() => {
      out.flush();
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/**
 * NAT-PMP for startGateway: --no-natpmp off, --natpmp-port on that port, else 5351 when the router
 * to serve (named, or the first offering UPnP, as startGateway picks) has services: { natpmp: true }.
 */
function natpmpSetting(opts: ServeOptions, config: ScenarioConfig, ids: readonly string[]): false | { port: number } {
  if (opts.natpmp === false) return false;
  if (opts.natpmpPort !== undefined) return { port: opts.natpmpPort };
  const id = opts.router ?? ids.find((r) => config.routers[r]!.services.upnp) ?? ids[0];
  return id !== undefined && config.routers[id]?.services.natpmp ? { port: NATPMP_PORT } : false;
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
