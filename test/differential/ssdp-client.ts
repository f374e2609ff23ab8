/**
 * A small SSDP client for the differential test, run inside the lan namespace (`ip netns exec LAN
 * node --import tsx ssdp-client.ts`). It reads `{ targets: { name: { address, port } }, searches:
 * SsdpSearch[] }` as JSON on stdin and sends each target each search as a unicast M-SEARCH from a
 * fresh socket, one at a time, recording when each reply arrived; prints `{ results: { name:
 * SsdpResult[] }, devices: { name: { udn: deviceTypeName } } }` (devices from the description).
 * A search's replies are collected until `quietMs` pass without one (or `maxWaitMs` in all).
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';

/** One search, sent `repeat` times. */
export interface SsdpSearch {
  readonly name: string;
  readonly st: string;
  readonly mx: number;
  readonly repeat: number;
}

/** One reply. */
export interface SsdpReplySeen {
  /** Milliseconds from sending the search. */
  readonly afterMs: number;
  readonly st: string;
  readonly usn: string;
  readonly location: string;
}

/** The replies to one sending of a search. */
export interface SsdpResult {
  readonly name: string;
  readonly replies: SsdpReplySeen[];
}

const QUIET_MS = 400;
const MAX_WAIT_MS = 6500;

const header = (msg: string, name: string): string => new RegExp(`^${name}:[ \\t]*(.*?)[ \\t]*$`, 'im').exec(msg)?.[1] ?? '';

function searchOnce(target: { address: string; port: number }, s: SsdpSearch): Promise<SsdpResult> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const replies: SsdpReplySeen[] = [];
    let sent = 0;
    let quiet: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(quiet);
      clearTimeout(deadline);
      socket.close();
      resolve({ name: s.name, replies });
    };
    const deadline = setTimeout(finish, MAX_WAIT_MS);
    socket.on('error', reject);
    socket.on('message', (m) => {
      const msg = m.toString('latin1');
      replies.push({
        afterMs: Math.round((performance.now() - sent) * 10) / 10,
        st: header(msg, 'ST'),
        usn: header(msg, 'USN'),
        location: header(msg, 'LOCATION'),
      });
      clearTimeout(quiet);
      quiet = setTimeout(finish, QUIET_MS);
    });
    socket.bind(0, () => {
      const msg = `M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: ${s.mx}\r\nST: ${s.st}\r\n\r\n`;
      sent = performance.now();
      socket.send(msg, target.port, target.address, (e) => {
        if (e) reject(e);
      });
    });
  });
}

/** UDN → device type name (`InternetGatewayDevice`, …) from a root description. */
async function deviceNames(location: string): Promise<Record<string, string>> {
  const text = await (await fetch(location, { signal: AbortSignal.timeout(5000) })).text();
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/<deviceType>urn:schemas-upnp-org:device:(\w+):\d+<\/deviceType>[\s\S]*?<UDN>([^<]+)<\/UDN>/g))
    out[m[2]!] = m[1]!;
  return out;
}

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const { targets, searches } = JSON.parse(input) as { targets: Record<string, { address: string; port: number }>; searches: SsdpSearch[] };
  const results: Record<string, SsdpResult[]> = {};
  const devices: Record<string, Record<string, string>> = {};
  for (const [name, target] of Object.entries(targets)) {
    results[name] = [];
    for (const s of searches) for (let i = 0; i < s.repeat; i++) results[name].push(await searchOnce(target, s));
    // Which device each UDN is, from the description the replies point to.
    const location = results[name].flatMap((r) => r.replies).find((r) => r.location)?.location;
    devices[name] = location ? await deviceNames(location) : {};
  }
  process.stdout.write(JSON.stringify({ results, devices }));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
