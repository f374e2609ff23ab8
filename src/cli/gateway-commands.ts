/** `natsim serve` and `natsim discover`. */
import type { Command } from 'commander';
import { SERVICE_TYPE, DEVICE_TYPE } from '../constants.js';
import { DEFAULT_SCENARIO, prevalidatedDefaultScenario } from './default-scenario.js';

interface ServeOptions {
  scenario?: string;
  router?: string;
  listen: string;
  httpPort: string;
  ssdpPort: string;
  multicast?: boolean;
  profile?: string;
  closeConnections?: boolean;
  json?: boolean;
  verbose?: boolean;
}

function port(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new Error(`${flag} must be a port number (0–65535), not "${text}"`);
  return n;
}

export function registerGatewayCommands(program: Command): void {
  program
    .command('serve')
    .description('serve one router of a scenario as a UPnP IGD (SSDP + SOAP + GENA) that real clients can use')
    .option('--scenario <file>', 'scenario file (default: the built-in default scenario)')
    .option('--router <id>', 'router to serve (default: the first that offers UPnP)')
    .option('--listen <addr|iface>', 'address or interface to serve on', '127.0.0.1')
    .option('--http-port <n>', 'HTTP port (0 = any free port)', '0')
    .option('--ssdp-port <n>', 'SSDP port', '1900')
    .option('--multicast', 'join the SSDP multicast group and send NOTIFYs (default: only off loopback)')
    .option('--no-multicast', 'never use multicast')
    .option('--profile <name>', 'router profile (see the README table)')
    .option('--close-connections', 'close the HTTP connection after every reply, as miniupnpd (default: keep-alive unless the client asks to close)')
    .option('--json', 'print the ready line as JSON')
    .option('--verbose', 'log every SSDP and SOAP exchange (pino, to stderr)')
    .action(async (opts: ServeOptions) => {
      let httpPort: number;
      let ssdpPort: number;
      try {
        httpPort = port(opts.httpPort, '--http-port');
        ssdpPort = port(opts.ssdpPort, '--ssdp-port');
      } catch (e) {
        // A usage error, as the other commands report them: one line, exit code 2.
        console.error(`error: ${(e as Error).message}`);
        process.exitCode = 2;
        return;
      }
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
        // Unknown router or profile, port in use, bad scenario: a message, not a stack trace.
        console.error(`error: ${(e as Error).message}`);
        process.exitCode = 1;
        return;
      }
      if (log) {
        gw.events.on('ssdp-search', (e) => log.debug({ st: e.st, from: `${e.from.address}:${e.from.port}`, via: e.via, answered: e.answered, ignored: e.ignored }, 'M-SEARCH'));
        gw.events.on('upnp', (e) => log.debug(e, e.type));
        gw.events.on('mapping-expired', (m) => log.info(m, 'mapping expired'));
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

  program
    .command('discover')
    .description('search the LAN for Internet gateway devices (SSDP) and show their external address')
    .option('--timeout <seconds>', 'how long to listen for answers (at least 3.5: the search says MX: 3)', '4')
    .option('--json', 'one JSON object per gateway')
    .action(async (opts: { timeout: string; json?: boolean }) => {
      const seconds = Number(opts.timeout);
      if (!(seconds > 0 && seconds <= 60)) throw new Error(`--timeout must be between 0 and 60 seconds, not "${opts.timeout}"`);
      const found = await discoverGateways(seconds * 1000);
      if (found.length === 0 && !opts.json) console.log('no gateway answered');
      for (const g of found) {
        if (opts.json) console.log(JSON.stringify(g));
        else console.log(`${g.location}  ${g.server ?? ''}\n  ${g.st}\n  external address: ${g.externalIp ?? `unknown (${g.error ?? 'no answer'})`}`);
      }
    });
}

/** A gateway found by SSDP. */
export interface DiscoveredGateway {
  readonly location: string;
  readonly st: string;
  readonly usn: string;
  readonly server?: string;
  readonly externalIp?: string;
  readonly error?: string;
}

/**
 * node-ssdp's client always sends `MX: 3`, and real devices wait a random time within MX before
 * answering, so a search must listen at least this long to hear every gateway.
 */
export const MIN_DISCOVERY_WINDOW_MS = 3500;

/** Searches with node-ssdp's client and asks each gateway for its external address. */
export async function discoverGateways(timeoutMs: number): Promise<DiscoveredGateway[]> {
  const ssdp = (await import('node-ssdp')).default as unknown as { Client: new (opts?: object) => SsdpClient };
  const client = new ssdp.Client({ explicitSocketBind: true });
  const seen = new Map<string, { location: string; st: string; usn: string; server?: string }>();
  client.on('response', (headers: Record<string, string>) => {
    const location = headers['LOCATION'];
    if (location && !seen.has(location)) {
      seen.set(location, { location, st: headers['ST'] ?? '', usn: headers['USN'] ?? '', ...(headers['SERVER'] ? { server: headers['SERVER'] } : {}) });
    }
  });
  await client.search(DEVICE_TYPE.InternetGatewayDevice(1));
  await new Promise((r) => setTimeout(r, Math.max(timeoutMs, MIN_DISCOVERY_WINDOW_MS)));
  client.stop();
  const out: DiscoveredGateway[] = [];
  for (const g of seen.values()) {
    try {
      out.push({ ...g, externalIp: await externalIp(g.location) });
    } catch (e) {
      out.push({ ...g, error: (e as Error).message });
    }
  }
  return out;
}

interface SsdpClient {
  on(event: 'response', listener: (headers: Record<string, string>) => void): void;
  search(st: string): Promise<void> | void;
  stop(): void;
}

async function externalIp(location: string): Promise<string> {
  const desc = await (await fetch(location, { signal: AbortSignal.timeout(3000) })).text();
  for (const v of [2, 1] as const) {
    const type = SERVICE_TYPE.WANIPConnection(v);
    const i = desc.indexOf(`<serviceType>${type}</serviceType>`);
    if (i < 0) continue;
    const ctl = /<controlURL>([^<]+)<\/controlURL>/.exec(desc.slice(i));
    if (!ctl) continue;
    const url = new URL(ctl[1]!, location);
    const body = `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:GetExternalIPAddress xmlns:u="${type}"></u:GetExternalIPAddress></s:Body></s:Envelope>`;
    const res = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'text/xml; charset="utf-8"', SOAPAction: `"${type}#GetExternalIPAddress"` }, signal: AbortSignal.timeout(3000) });
    const text = await res.text();
    const ip = /<NewExternalIPAddress>([^<]*)<\/NewExternalIPAddress>/.exec(text);
    if (ip) return ip[1]!;
    throw new Error(`GetExternalIPAddress failed (HTTP ${res.status})`);
  }
  throw new Error('no WANIPConnection service in the description');
}
