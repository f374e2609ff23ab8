/**
 * Lease-file benchmark: AddPortMapping rate of `natsim serve` with no lease file, with
 * `--lease-file` and `--lease-sync fsync` (the default), and with `--lease-sync write`, over 1 and
 * 16 keep-alive connections. All figures come from one invocation: the three servers run side
 * by side and each round measures every mode once per connection count, in rotating order and
 * close together, so load from other processes (and other writers on the disk) hits them alike;
 * the rates are medians over the rounds, the ratios (fsync/off, write/off) medians of the
 * per-round ratios.
 *
 * Run (from the repo root; prints ONE JSON object on stdout, progress on stderr):
 *   node --import tsx bench/leases.ts
 * Knobs: LB_SECONDS=1.5 (per measurement)  LB_ROUNDS=7  LB_DIR=/tmp (where the lease files go:
 *        the figures are those of that filesystem)
 *
 * The client is in this process: N connections (http.Agent keepAlive, one request in flight
 * each), AddPortMapping UDP on 200 ports per connection cycling, so the table stays the same
 * size and every request after the first round of ports refreshes a mapping (journalled like a
 * new one). Network safety: natsim serve listens on 127.0.0.1 only, ports ephemeral, multicast
 * off; every run is bounded in time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { log, median } from './lib.js';

const SECONDS = Number(process.env.LB_SECONDS ?? 1.5);
const ROUNDS = Number(process.env.LB_ROUNDS ?? 7);
const DIR = mkdtempSync(join(process.env.LB_DIR ?? os.tmpdir(), 'natsim-bench-leases-'));
const IPC2 = 'urn:schemas-upnp-org:service:WANIPConnection:2';
type Mode = 'off' | 'fsync' | 'write';
const MODES: readonly Mode[] = ['off', 'fsync', 'write'];
const CONNS = [1, 16] as const;
/** Ports each connection cycles over: 16 × 200 stays below the table's 4096 entries. */
const PORTS_PER_CONN = 200;

interface Server {
  child: ChildProcess;
  url: string;
  leaseFile?: string;
}

async function startServe(mode: Mode, tag: string): Promise<Server> {
  const leaseFile = mode === 'off' ? undefined : join(DIR, `${tag}.journal`);
  const args = [
    'bin/natsim.js',
    'serve',
    '--json',
    '--http-port',
    '0',
    '--ssdp-port',
    '0',
    '--no-multicast',
    ...(leaseFile ? ['--lease-file', leaseFile, '--lease-sync', mode] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: string): void => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"ready"'));
      if (!line) return;
      // From here on its log (a line per mapping change) is read and dropped.
      child.stdout!.off('data', onData).on('data', () => {});
      resolve(new URL('/ctl/IPConn', (JSON.parse(line) as { descriptionUrl: string }).descriptionUrl).href);
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.on('exit', (c) => reject(new Error(`natsim serve exited ${c}`)));
  });
  return { child, url, ...(leaseFile ? { leaseFile } : {}) };
}

function body(port: number): string {
  return `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:AddPortMapping xmlns:u="${IPC2}"><NewRemoteHost></NewRemoteHost><NewExternalPort>${port}</NewExternalPort><NewProtocol>UDP</NewProtocol><NewInternalPort>${port}</NewInternalPort><NewInternalClient>192.168.1.2</NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>bench</NewPortMappingDescription><NewLeaseDuration>3600</NewLeaseDuration></u:AddPortMapping></s:Body></s:Envelope>`;
}

function post(agent: http.Agent, url: string, port: number): Promise<number> {
  const b = body(port);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'text/xml; charset="utf-8"',
          SOAPAction: `"${IPC2}#AddPortMapping"`,
          'Content-Length': Buffer.byteLength(b),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => {
          if (res.statusCode !== 200) log(`port ${port}: ${text.slice(0, 300)}`);
          resolve(res.statusCode ?? 0);
        });
      },
    );
    req.on('error', reject);
    req.end(b);
  });
}

/** AddPortMapping/s over `conns` connections for SECONDS (after a 0.5 s warm-up). */
async function measure(url: string, conns: number): Promise<number> {
  let done = 0;
  let counting = false;
  let stop = false;
  const worker = async (i: number): Promise<void> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let n = 0; !stop; n++) {
        const status = await post(agent, url, 20000 + i * PORTS_PER_CONN + (n % PORTS_PER_CONN));
        if (status !== 200) throw new Error(`AddPortMapping answered HTTP ${status}`);
        if (counting) done++;
      }
    } finally {
      agent.destroy();
    }
  };
  const workers = Array.from({ length: conns }, (_, i) => worker(i));
  await new Promise((r) => setTimeout(r, 500));
  counting = true;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  counting = false;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const rate = done / elapsed;
  stop = true;
  await Promise.all(workers);
  return rate;
}

/**
 * The disk's floor: 256-byte O_DSYNC writes in place into a preallocated file (what the journal
 * does per group commit), one at a time, for SECONDS. A single connection with fsync cannot go
 * faster than this.
 */
function diskSyncsPerSec(): number {
  const path = join(DIR, 'disk-probe');
  let fd = openSync(path, 'w');
  writeSync(fd, Buffer.alloc(1 << 20));
  closeSync(fd);
  fd = openSync(path, constants.O_RDWR | constants.O_DSYNC);
  const rec = Buffer.alloc(256, 0x61);
  let n = 0;
  const t0 = process.hrtime.bigint();
  const until = t0 + BigInt(Math.round(SECONDS * 1e9));
  while (process.hrtime.bigint() < until) writeSync(fd, rec, 0, rec.length, (n++ % 4096) * 256);
  const rate = n / (Number(process.hrtime.bigint() - t0) / 1e9);
  closeSync(fd);
  return rate;
}

const results: Record<string, number[]> = {};
const disk: number[] = [];
const key = (mode: Mode, conns: number): string => `${mode}/${conns}`;
let fileBytes = 0;
// One server per mode for the whole run; the measurements alternate between them, short and
// close together, so a slow phase of the machine (or of its disk) hits every mode alike.
const servers = new Map<Mode, Server>();
try {
  for (const mode of MODES) servers.set(mode, await startServe(mode, mode));
  for (let round = 0; round < ROUNDS; round++) {
    disk.push(diskSyncsPerSec());
    log(`round ${round + 1}/${ROUNDS}  disk: ${disk.at(-1)!.toFixed(0)} O_DSYNC writes/s`);
    for (const conns of CONNS) {
      const order = MODES.map((_, i) => MODES[(i + round) % MODES.length]!);
      for (const mode of order) {
        const s = servers.get(mode)!;
        const rate = await measure(s.url, conns);
        (results[key(mode, conns)] ??= []).push(rate);
        if (s.leaseFile) fileBytes = Math.max(fileBytes, statSync(s.leaseFile).size);
        log(
          `round ${round + 1}/${ROUNDS}  lease file ${mode.padEnd(5)}  ${String(conns).padStart(2)} conn  ${rate.toFixed(0)} AddPortMapping/s`,
        );
      }
    }
  }
} finally {
  for (const s of servers.values()) s.child.kill('SIGTERM');
  rmSync(DIR, { recursive: true, force: true });
}

const out: Record<string, unknown> = {
  bench: 'leases',
  seconds: SECONDS,
  rounds: ROUNDS,
  dir: process.env.LB_DIR ?? os.tmpdir(),
  largestLeaseFileBytes: fileBytes,
  diskSyncedWritesPerSec: Math.round(median(disk)),
};
for (const conns of CONNS) {
  const row: Record<string, unknown> = {};
  for (const mode of MODES) row[`${mode}PerSec`] = Math.round(median(results[key(mode, conns)]!));
  for (const mode of ['fsync', 'write'] as const) {
    const ratios = results[key(mode, conns)]!.map((r, i) => r / results[key('off', conns)]![i]!);
    row[`${mode}VsOff`] = Number(median(ratios).toFixed(2));
  }
  out[`conns${conns}`] = row;
}
process.stdout.write(`${JSON.stringify(out)}\n`);
