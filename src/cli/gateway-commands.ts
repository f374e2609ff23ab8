/** `natsim serve` (and registration of `natsim discover`). */
import type { Command } from 'commander';
import { DEFAULT_SCENARIO, prevalidatedDefaultScenario } from './default-scenario.js';
import { NatsimError } from '../errors.js';
import { ScenarioError } from '../scenario/errors.js';
import { usageError } from './errors.js';
import { registerDiscoverCommand } from './discover-command.js';
import { portValue } from './option-values.js';

interface ServeOptions {
  scenario?: string;
  router?: string;
  listen: string;
  httpPort: number;
  ssdpPort: number;
  multicast?: boolean;
  profile?: string;
  closeConnections?: boolean;
  json?: boolean;
  verbose?: boolean;
}


export function registerGatewayCommands(program: Command): void {
  program
    .command('serve')
    .description('serve one router of a scenario as a UPnP IGD (SSDP + SOAP + GENA) that real clients can use')
    .option('--scenario <file>', 'scenario file (default: the built-in default scenario)')
    .option('--router <id>', 'router to serve (default: the first that offers UPnP)')
    .option('--listen <addr|iface>', 'address or interface to serve on', '127.0.0.1')
    .option('--http-port <n>', 'HTTP port, 0–65535 (0 = any free port)', portValue('--http-port'), 0)
    .option('--ssdp-port <n>', 'SSDP port, 0–65535', portValue('--ssdp-port'), 1900)
    .option('--multicast', 'join the SSDP multicast group and send NOTIFYs (default: only off loopback)')
    .option('--no-multicast', 'never use multicast')
    .option('--profile <name>', 'router profile (see the README table)')
    .option('--close-connections', 'close the HTTP connection after every reply, as miniupnpd (default: keep-alive unless the client asks to close)')
    .option('--json', 'print the ready line as JSON')
    .option('--verbose', 'log every SSDP and SOAP exchange (pino, to stderr)')
    .action(async (opts: ServeOptions) => {
      const { httpPort, ssdpPort } = opts;
      const { startGateway } = await import('../gateway/start-gateway.js');
      let log: import('pino').Logger | undefined;
      if (opts.verbose) {
        // pino is CommonJS: its named export survives bundling only as a property of the default.
        const mod = (await import('pino')) as typeof import('pino') & { default?: { pino?: typeof import('pino').pino } };
        const pino = mod.pino ?? mod.default?.pino;
        if (!pino) throw new Error('pino could not be loaded');
        log = pino({ level: 'debug' }, pino.destination(2));
      }
      let gw: Awaited<ReturnType<typeof startGateway>>;
      try {
        gw = await startGateway({
          scenario: opts.scenario ?? (await prevalidatedDefaultScenario()) ?? DEFAULT_SCENARIO,
          listen: opts.listen,
          httpPort,
          ssdpPort,
          ...(opts.router !== undefined ? { router: opts.router } : {}),
          ...(opts.multicast !== undefined ? { multicast: opts.multicast } : {}),
          ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
          ...(opts.closeConnections ? { keepAlive: false } : {}),
          ...(log ? { logger: log } : {}),
        });
      } catch (e) {
        // A port in use (exit 3) or a bad scenario (exit 1) as reportCliError words them; what is
        // left is a bad option value (unknown router, profile or interface): a usage error, with
        // the option the library names spelt as its flag.
        if (e instanceof NatsimError) throw usageError(e.option ? `--${e.option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${e.reason}` : e.message);
        if ((e as NodeJS.ErrnoException).code !== undefined || e instanceof ScenarioError) throw e;
        throw usageError((e as Error).message);
      }
      if (log) {
        gw.events.on('ssdp-search', (e) => log.debug({ st: e.st, from: `${e.from.address}:${e.from.port}`, via: e.via, answered: e.answered, ignored: e.ignored }, 'M-SEARCH'));
        gw.events.on('upnp', (e) => log.debug(e, e.type));
        gw.events.on('mapping-expired', (e) => log.info({ router: e.router, origin: e.origin, protocol: e.mapping.protocol, externalPort: e.mapping.externalPort, internalClient: e.mapping.internalClient, internalPort: e.mapping.internalPort }, 'mapping expired'));
      }
      const ready = {
        ready: true, descriptionUrl: gw.descriptionUrl, ssdp: `${gw.ssdpAddress.address}:${gw.ssdpAddress.port}`,
        router: gw.routerId, profile: gw.profile, igd: gw.igdVersion, externalIp: gw.externalIp, pid: process.pid,
      };
      if (opts.json) console.log(JSON.stringify(ready));
      else {
        console.log(`natsim: serving router ${gw.routerId} (${gw.profile}, IGD:${gw.igdVersion}) — external address ${gw.externalIp}`);
        console.log(`natsim: ready at ${gw.descriptionUrl} (SSDP on ${ready.ssdp}); Ctrl-C to stop`);
      }
      let stopping = false;
      const shutdown = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        log?.info({ signal }, 'stopping');
        void gw.stop().then(() => process.exit(0));
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
    });

  registerDiscoverCommand(program);
}
