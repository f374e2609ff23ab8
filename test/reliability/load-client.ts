/**
 * The load of the reliability suite, run on the LAN host: many concurrent UPnP clients, each a
 * keep-alive connection from one of several LAN addresses, asking for AddPortMapping on an
 * overlapping range of external ports (secure mode: a client maps its own address, so a port
 * held by another address is refused with 718, and its own is refreshed).
 *
 *     node --import tsx load-client.ts '{"url":…,"addresses":[…],"clients":300,"ports":[20000,20149],"requests":20,"seed":1}'
 *
 * Prints one line per acknowledged mapping, `ACK PROTO PORT CLIENT INTPORT LEASE` (as soon as the
 * 200 arrives, so a test that kills the gateway knows what was acknowledged), and at the end one
 * JSON summary line. With `requests: 0` every client keeps going until its connection fails.
 */
import http from 'node:http';

interface Options {
  readonly url: string;
  readonly addresses: readonly string[];
  readonly clients: number;
  readonly ports: readonly [number, number];
  /** AddPortMapping calls per client (0: until the connection fails). */
  readonly requests: number;
  readonly seed: number;
}

const o = JSON.parse(process.argv[2]!) as Options;
const IPC2 = 'urn:schemas-upnp-org:service:WANIPConnection:2';

/** mulberry32: a small seeded generator (the load is the same every run). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const codes = new Map<string, number>();
const count = (k: string): void => void codes.set(k, (codes.get(k) ?? 0) + 1);
let acked = 0;
let transportErrors = 0;

function add(agent: http.Agent, client: string, proto: string, port: number, intPort: number, lease: number): Promise<number | 'error'> {
  const body = `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:AddPortMapping xmlns:u="${IPC2}"><NewRemoteHost></NewRemoteHost><NewExternalPort>${port}</NewExternalPort><NewProtocol>${proto}</NewProtocol><NewInternalPort>${intPort}</NewInternalPort><NewInternalClient>${client}</NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>load ${client}</NewPortMappingDescription><NewLeaseDuration>${lease}</NewLeaseDuration></u:AddPortMapping></s:Body></s:Envelope>`;
  return new Promise((resolve) => {
    const req = http.request(
      o.url,
      {
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'text/xml; charset="utf-8"',
          SOAPAction: `"${IPC2}#AddPortMapping"`,
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => {
          if (res.statusCode === 200) {
            acked++;
            process.stdout.write(`ACK ${proto} ${port} ${client} ${intPort} ${lease}\n`);
          }
          count(res.statusCode === 200 ? '200' : `${res.statusCode} ${/<errorCode>(\d+)<\/errorCode>/.exec(text)?.[1] ?? ''}`.trim());
          resolve(res.statusCode ?? 0);
        });
        res.on('error', () => resolve('error'));
      },
    );
    req.on('error', () => resolve('error'));
    req.setTimeout(15_000, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

/** The lease every request for this external port asks for (600–3580 s). */
export const leaseOf = (port: number): number => 600 + ((port - o.ports[0]) % 150) * 20;

async function runClient(i: number): Promise<void> {
  const client = o.addresses[i % o.addresses.length]!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: client });
  const next = rng(o.seed * 1000 + i);
  const [lo, hi] = o.ports;
  try {
    for (let n = 0; o.requests === 0 || n < o.requests; n++) {
      const proto = next() < 0.5 ? 'TCP' : 'UDP';
      const port = lo + Math.floor(next() * (hi - lo + 1));
      // The lease depends on the port only, so a restored lease can be checked against it.
      const r = await add(agent, client, proto, port, port, leaseOf(port));
      if (r === 'error') {
        transportErrors++;
        if (o.requests === 0) return; // the gateway is gone
      }
    }
  } finally {
    agent.destroy();
  }
}

await Promise.all(Array.from({ length: o.clients }, (_, i) => runClient(i)));
process.stdout.write(`${JSON.stringify({ done: true, acked, transportErrors, codes: Object.fromEntries(codes) })}\n`);
