/**
 * `natsim serve` as a separate process for the reliability suite (it must be able to crash, or be
 * killed, without taking the test with it), plus SOAP helpers that read its table.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { REPO } from '../support/sealed-namespace.js';

export const IPC2 = 'urn:schemas-upnp-org:service:WANIPConnection:2';

/** A running `natsim serve`. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly descriptionUrl: string;
  readonly controlUrl: string;
  readonly ssdp: { address: string; port: number };
  readonly ready: Record<string, unknown>;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code and signal once the process has ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `natsim serve --json …` and resolves once it is ready. */
export function startServe(args: readonly string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['bin/natsim.js', 'serve', '--json', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`natsim serve not ready after 20 s: ${err}`)), 20_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"ready"'));
      if (!line) return;
      clearTimeout(timer);
      const ready = JSON.parse(line) as Record<string, unknown> & { descriptionUrl: string; ssdp: string };
      const [address, port] = ready.ssdp.split(':');
      resolve({
        child,
        ready,
        descriptionUrl: ready.descriptionUrl,
        controlUrl: new URL('/ctl/IPConn', ready.descriptionUrl).href,
        ssdp: { address: address!, port: Number(port) },
        stderr: () => err,
        exited,
        kill: async (signal = 'SIGKILL') => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill(signal);
          await exited;
        },
      });
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`natsim serve exited (${code ?? signal}) before it was ready: ${err}`));
    });
  });
}

/** One SOAP call over a fresh connection: status and body. */
export function soapCall(
  controlUrl: string,
  action: string,
  args: Record<string, string | number>,
  localAddress?: string,
): Promise<{ status: number; body: string }> {
  const inner = Object.entries(args)
    .map(([k, v]) => `<${k}>${v}</${k}>`)
    .join('');
  const body = `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:${action} xmlns:u="${IPC2}">${inner}</u:${action}></s:Body></s:Envelope>`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      controlUrl,
      {
        method: 'POST',
        agent: false,
        ...(localAddress ? { localAddress } : {}),
        headers: {
          'Content-Type': 'text/xml; charset="utf-8"',
          SOAPAction: `"${IPC2}#${action}"`,
          'Content-Length': Buffer.byteLength(body),
          Connection: 'close',
        },
      },
      (res) => {
        let text = '';
        res
          .setEncoding('utf8')
          .on('data', (d: string) => (text += d))
          .on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`${action}: no answer in 10 s`)));
    req.end(body);
  });
}

const field = (body: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];

/** A mapping as both listing actions report it. */
export interface ListedMapping {
  readonly protocol: string;
  readonly externalPort: number;
  readonly internalClient: string;
  readonly internalPort: number;
  readonly description: string;
  readonly lease: number;
}

/** The table through GetGenericPortMappingEntry 0, 1, … until 713. */
export async function listByIndex(controlUrl: string): Promise<ListedMapping[]> {
  const out: ListedMapping[] = [];
  for (let i = 0; ; i++) {
    const r = await soapCall(controlUrl, 'GetGenericPortMappingEntry', { NewPortMappingIndex: i });
    if (r.status !== 200) {
      if (!r.body.includes('<errorCode>713</errorCode>')) throw new Error(`GetGenericPortMappingEntry ${i}: HTTP ${r.status} ${r.body}`);
      return out;
    }
    out.push({
      protocol: field(r.body, 'NewProtocol')!,
      externalPort: Number(field(r.body, 'NewExternalPort')),
      internalClient: field(r.body, 'NewInternalClient')!,
      internalPort: Number(field(r.body, 'NewInternalPort')),
      description: field(r.body, 'NewPortMappingDescription') ?? '',
      lease: Number(field(r.body, 'NewLeaseDuration')),
    });
  }
}

/** The table through GetListOfPortMappings over all ports, TCP then UDP. */
export async function listByRange(controlUrl: string): Promise<ListedMapping[]> {
  const out: ListedMapping[] = [];
  for (const protocol of ['TCP', 'UDP']) {
    const r = await soapCall(controlUrl, 'GetListOfPortMappings', {
      NewStartPort: 1,
      NewEndPort: 65535,
      NewProtocol: protocol,
      NewManage: 1,
      NewNumberOfPorts: 1000,
    });
    if (r.status !== 200) throw new Error(`GetListOfPortMappings ${protocol}: HTTP ${r.status} ${r.body}`);
    const listing = /<NewPortListing><!\[CDATA\[([\s\S]*)\]\]><\/NewPortListing>/.exec(r.body)?.[1] ?? '';
    for (const m of listing.matchAll(/<p:PortMappingEntry>([\s\S]*?)<\/p:PortMappingEntry>/g)) {
      const f = (n: string): string => new RegExp(`<p:${n}>([^<]*)</p:${n}>`).exec(m[1]!)?.[1] ?? '';
      out.push({
        protocol: f('NewProtocol'),
        externalPort: Number(f('NewExternalPort')),
        internalClient: f('NewInternalClient'),
        internalPort: Number(f('NewInternalPort')),
        description: f('NewDescription'),
        lease: Number(f('NewLeaseTime')),
      });
    }
  }
  return out;
}

/** Waits for a child to end (or kills it after `ms`). */
export async function ended(child: ChildProcess, ms = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await once(child, 'exit');
  clearTimeout(timer);
}
