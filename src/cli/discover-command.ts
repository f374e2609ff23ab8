/** `natsim discover`: SSDP search (natsim's own client, src/ssdp/search.ts) and each gateway's external address. */
import type { Command } from 'commander';
import { DEVICE_TYPE, SERVICE_TYPE, SSDP_PORT } from '../constants.js';
import { isIPv4 } from '../nat/address.js';
import { SsdpSearchError, searchInterfaces, ssdpSearch } from '../ssdp/search.js';
import { environmentError, usageError } from './errors.js';
import { secondsValue } from './option-values.js';

/** A gateway found by SSDP. */
export interface DiscoveredGateway {
  readonly location: string;
  readonly st: string;
  readonly usn: string;
  readonly server?: string;
  readonly externalIp?: string;
  readonly error?: string;
}

/** Options of {@link discoverGateways}. */
export interface DiscoverOptions {
  readonly windowMs: number;
  readonly unicast?: { readonly address: string; readonly port: number };
}

/** Searches for IGDs and asks each for its external address. */
export async function discoverGateways(options: DiscoverOptions): Promise<DiscoveredGateway[]> {
  const answers = await ssdpSearch({
    st: DEVICE_TYPE.InternetGatewayDevice(1),
    windowMs: options.windowMs,
    ...(options.unicast ? { unicast: options.unicast } : {}),
  });
  const seen = new Map<string, { location: string; st: string; usn: string; server?: string }>();
  for (const { headers } of answers) {
    const location = headers.get('location');
    if (!location || seen.has(location)) continue;
    const server = headers.get('server');
    seen.set(location, { location, st: headers.get('st') ?? '', usn: headers.get('usn') ?? '', ...(server ? { server } : {}) });
  }
  return Promise.all(
    [...seen.values()].map(async (g) => {
      try {
        return { ...g, externalIp: await externalIp(g.location) };
      } catch (e) {
        return { ...g, error: (e as Error).message };
      }
    }),
  );
}

function unicastTarget(text: string): { address: string; port: number } {
  const [address = '', port] = text.split(':');
  const n = port === undefined ? SSDP_PORT : Number(port);
  if (!isIPv4(address) || !/^\d{1,5}$/.test(port ?? '1900') || n < 1 || n > 65535) {
    throw usageError(`--unicast must be an IPv4 address with an optional port (ADDR or ADDR:PORT, port 1–65535), not "${text}"`);
  }
  return { address, port: n };
}

export function registerDiscoverCommand(program: Command): void {
  program
    .command('discover')
    .description('search the LAN for Internet gateway devices (SSDP) and show their external address')
    .option(
      '--timeout <seconds>',
      'how long to listen for answers, 1–60 seconds (devices are asked to answer within MX = timeout − 1, 1–5 s)',
      secondsValue('--timeout', 1, 60),
      4,
    )
    .option('--unicast <addr[:port]>', 'ask one device directly instead of the multicast group (port default 1900)', unicastTarget)
    .option('--json', 'print a JSON array of the gateways found ([] when none answered)')
    .action(async (opts: { timeout: number; unicast?: { address: string; port: number }; json?: boolean }) => {
      const where = searchInterfaces();
      if (where.loopbackOnly && !opts.unicast && !opts.json) {
        console.error(
          `natsim: no network interface but loopback (${where.names.join(', ')}) is up; searching there, where only a gateway on this machine can answer`,
        );
      }
      let found: DiscoveredGateway[];
      try {
        found = await discoverGateways({ windowMs: opts.timeout * 1000, ...(opts.unicast ? { unicast: opts.unicast } : {}) });
      } catch (e) {
        if (e instanceof SsdpSearchError) throw environmentError(`discover: ${e.message}`);
        throw e;
      }
      if (opts.json) console.log(JSON.stringify(found));
      else if (found.length === 0) console.log('no gateway answered');
      for (const g of opts.json ? [] : found) {
        console.log(
          `${g.location}  ${g.server ?? ''}\n  ${g.st}\n  external address: ${g.externalIp ?? `unknown (${g.error ?? 'no answer'})`}`,
        );
      }
    });
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
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'text/xml; charset="utf-8"', SOAPAction: `"${type}#GetExternalIPAddress"` },
      signal: AbortSignal.timeout(3000),
    });
    const text = await res.text();
    const ip = /<NewExternalIPAddress>([^<]*)<\/NewExternalIPAddress>/.exec(text);
    if (ip) return ip[1]!;
    throw new Error(`GetExternalIPAddress failed (HTTP ${res.status})`);
  }
  throw new Error('no WANIPConnection service in the description');
}
