/**
 * Captures the fuzz seeds of the reliability suite (test/reliability/seeds.json): the exact bytes
 * the real UPnP clients of the interop suite send — upnpc (miniupnpc), python3-miniupnpc,
 * nat-upnp and @achingbrain/nat-port-mapper — to natsim's gateway, split into HTTP requests and
 * SSDP datagrams.
 *
 *     node --import tsx test/reliability/capture-seeds.ts
 *
 * It re-executes itself under `unshare --net` and builds the interop lab's lan namespace
 * (test/interop/netns.ts), so every packet stays in namespaces it made. The gateway runs in this
 * process; a tap on its sockets ('connection'/'data' of net servers, 'message' of dgram sockets)
 * records what arrives, without changing what the clients see.
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { startGateway } from '../../src/gateway/start-gateway.js';
import { CLIENTS, createLan, GW_ADDRESS, IN_NETNS, LAN_ADDRESS, LAN_IFACE, type Lan, NODE, PYTHON, REPO } from '../interop/netns.js';

const OUT = fileURLToPath(new URL('./seeds.json', import.meta.url));

if (!IN_NETNS) {
  const setup = 'ip link set lo up; ip link set lo multicast on; ip route add 239.0.0.0/8 dev lo src 127.0.0.1';
  const r = spawnSync(
    'unshare',
    ['--net', 'sh', '-c', `${setup}; NATSIM_NETNS=1 exec ${process.execPath} --import tsx test/reliability/capture-seeds.ts`],
    {
      cwd: REPO,
      stdio: 'inherit',
      env: { ...process.env, NATSIM_NETNS: '1' },
    },
  );
  process.exit(r.status ?? 1);
}

/** Raw bytes as received, per TCP connection and per datagram. */
const streams: Array<{ client: string; bytes: Buffer[] }> = [];
const datagrams: Array<{ client: string; bytes: Buffer }> = [];
let current = 'setup';

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;
const emitServer = net.Server.prototype.emit as Emit;
(net.Server.prototype as { emit: Emit }).emit = function (this: unknown, event: string | symbol, ...args: unknown[]): boolean {
  if (event === 'connection') {
    const s = { client: current, bytes: [] as Buffer[] };
    streams.push(s);
    (args[0] as net.Socket).on('data', (d: Buffer) => s.bytes.push(Buffer.from(d)));
  }
  return emitServer.call(this, event, ...args);
};
const emitDgram = dgram.Socket.prototype.emit as Emit;
(dgram.Socket.prototype as { emit: Emit }).emit = function (this: unknown, event: string | symbol, ...args: unknown[]): boolean {
  if (event === 'message') datagrams.push({ client: current, bytes: Buffer.from(args[0] as Buffer) });
  return emitDgram.call(this, event, ...args);
};

/** Splits a connection's bytes into requests (head + Content-Length body; the rest as one piece). */
function requests(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) {
      out.push(data.subarray(at));
      break;
    }
    const head = data.subarray(at, end).toString('latin1');
    const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    const next = Math.min(data.length, end + 4 + len);
    out.push(data.subarray(at, next));
    at = next;
  }
  return out;
}

/** Runs a stepper client to the end, answering every step at once. */
async function drive(lan: Lan, name: string, cmd: string, args: string[]): Promise<void> {
  current = name;
  const child = lan.spawn(cmd, args);
  child.stdout.on('data', () => child.stdin.write('next\n'));
  child.stderr.resume();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const lan = await createLan();
try {
  for (const [name, profile] of [
    ['upnpc', 'miniupnpd'],
    ['python3-miniupnpc', 'miniupnpd'],
    ['nat-upnp', 'miniupnpd-igd1'],
    ['nat-port-mapper', 'miniupnpd'],
  ] as const) {
    const gw = await startGateway({
      scenario: 'scenarios/default.yaml',
      profile,
      listen: GW_ADDRESS,
      httpPort: 0,
      ssdpPort: 1900,
      multicast: true,
      mxDelay: 'none',
    });
    try {
      current = name;
      if (name === 'upnpc') {
        for (const args of [
          ['-m', LAN_IFACE, '-i', '-s'],
          ['-u', gw.descriptionUrl, '-a', LAN_ADDRESS, '6881', '6881', 'TCP', '3600'],
          ['-u', gw.descriptionUrl, '-e', 'seed', '-r', '6882', 'UDP'],
          ['-u', gw.descriptionUrl, '-l'],
          ['-u', gw.descriptionUrl, '-L'],
          ['-u', gw.descriptionUrl, '-n', LAN_ADDRESS, '6883', '6883', 'TCP', '600'],
          ['-u', gw.descriptionUrl, '-N', '6800', '6900', 'TCP'],
          ['-u', gw.descriptionUrl, '-d', '6881', 'TCP'],
        ])
          await lan.run('upnpc', args, 20_000);
      } else if (name === 'python3-miniupnpc') {
        await drive(lan, name, PYTHON, [`${CLIENTS}miniupnpc_client.py`, LAN_IFACE]);
      } else if (name === 'nat-upnp') {
        await drive(lan, name, NODE, [`${CLIENTS}nat-upnp-client.cjs`]);
      } else {
        await drive(lan, name, NODE, [`${CLIENTS}nat-port-mapper-client.mjs`, gw.descriptionUrl, LAN_ADDRESS]);
      }
    } finally {
      await gw.stop();
    }
  }
} finally {
  await lan.close();
}

const seen = new Set<string>();
const unique = (client: string, b: Buffer): { client: string; text: string } | undefined => {
  const text = b.toString('latin1');
  // Requests that differ only in a per-run value (ports, SIDs, boundaries) stay apart: fine.
  if (seen.has(text)) return undefined;
  seen.add(text);
  return { client, text };
};
const http = streams.flatMap((s) => requests(Buffer.concat(s.bytes)).map((b) => unique(s.client, b))).filter((x) => x !== undefined);
const ssdp = datagrams
  .filter((d) => d.bytes.subarray(0, 8).toString('latin1') === 'M-SEARCH')
  .map((d) => unique(d.client, d.bytes))
  .filter((x) => x !== undefined);
writeFileSync(
  OUT,
  `${JSON.stringify(
    {
      about: 'Requests captured from real UPnP clients by test/reliability/capture-seeds.ts (latin1 text). Seeds of the reliability fuzz.',
      http,
      ssdp,
    },
    null,
    1,
  )}\n`,
);
console.log(
  `captured ${http.length} HTTP requests and ${ssdp.length} SSDP searches from ${new Set([...http, ...ssdp].map((s) => s.client)).size} clients → ${OUT}`,
);
