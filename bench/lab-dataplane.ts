/**
 * Lab data-plane benchmark (root or unprivileged user namespaces; every packet stays inside the
 * lab's own private namespaces). One run measures, each through the model and through the same
 * plumbing with the model bypassed (`startLab({ plainForwarding: true })`: TUN → socat → relay →
 * socat → TUN, delivered by destination address, no NAT) — the baseline:
 *
 * - UDP datagrams/s through one NAT with 64 in flight (bench/lab-udp.mjs, 64-byte payloads);
 * - TCP throughput with iperf3 through one and two NATs (a home NAT behind a carrier NAT);
 * - round-trip time p50/p99 with ping through 0, 1 and 2 NATs.
 *
 * Rounds alternate model and baseline so load from elsewhere hits both alike; figures are medians.
 * Target (issue 9): the model's throughput at least 80% of the baseline's.
 *
 *   node --import tsx bench/lab-dataplane.ts      (LAB_SECONDS=5 per measurement, LAB_ROUNDS=3)
 *
 * Prints one JSON object on stdout; progress on stderr.
 */
import { join } from 'node:path';
import { type LabHandle, startLab } from '../src/lab/start-lab.js';
import { parseScenario } from '../src/scenario/loader.js';
import { log } from './lib.js';

const SECONDS = Number(process.env.LAB_SECONDS ?? 5);
const ROUNDS = Number(process.env.LAB_ROUNDS ?? 3);
const UDP = join(import.meta.dirname, 'lab-udp.mjs');

/** i0 → i1 crosses no NAT, a → i1 one, c → i1 two (home-2 behind the carrier NAT). */
const SCENARIO = parseScenario(`
name: bench — the lab's data plane
routers:
  home: { wan: 203.0.113.10, lan: 192.168.1.0/24, nat: port-restricted-cone }
  cgn: { wan: 203.0.113.30, lan: 100.64.0.0/10, nat: cgnat }
  home-2: { parent: cgn, wan: 100.64.0.2, lan: 192.168.3.0/24, nat: port-restricted-cone }
hosts:
  a: { router: home, address: 192.168.1.10 }
  c: { router: home-2, address: 192.168.3.10 }
  i0: { address: 198.51.100.2 }
  i1: { address: 198.51.100.1 }
`);
const FROM = { 0: 'i0', 1: 'a', 2: 'c' } as const;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const r1 = (x: number): number => Math.round(x * 100) / 100;

async function waitFor(lab: LabHandle, host: string, check: string, pattern: RegExp): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (pattern.test((await lab.exec(host, check)).stdout)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${host}: ${check} never matched ${pattern}`);
}

async function udpPerSec(lab: LabHandle): Promise<number> {
  const echo = lab.spawn('i1', process.execPath, [UDP, 'echo', '7000'], { stdio: 'ignore' });
  try {
    await waitFor(lab, 'i1', 'ss -lun', /:7000\b/);
    const r = await lab.exec('a', [process.execPath, UDP, 'load', '198.51.100.1', '7000', '64', String(SECONDS)], {
      timeoutMs: (SECONDS + 20) * 1000,
    });
    if (r.code !== 0) throw new Error(`udp load: ${r.output}`);
    const j = JSON.parse(r.stdout.trim()) as { perSec: number; lost: number; replies: number };
    log(`  udp: ${j.replies} replies, ${j.lost} lost`);
    return j.perSec;
  } finally {
    echo.kill();
  }
}

async function tcpMbps(lab: LabHandle, nats: 1 | 2): Promise<number> {
  const server = lab.spawn('i1', 'iperf3', ['-s', '-1', '-p', '5201'], { stdio: 'ignore' });
  try {
    await waitFor(lab, 'i1', 'ss -ltn', /:5201\b/);
    const r = await lab.exec(FROM[nats], ['iperf3', '-c', '198.51.100.1', '-p', '5201', '-t', String(SECONDS), '-J'], {
      timeoutMs: (SECONDS + 30) * 1000,
    });
    if (r.code !== 0) throw new Error(`iperf3: ${r.output}`);
    const j = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
    return j.end.sum_received.bits_per_second / 1e6;
  } finally {
    server.kill();
  }
}

async function rtt(lab: LabHandle, nats: 0 | 1 | 2): Promise<{ p50: number; p99: number }> {
  const r = await lab.exec(FROM[nats], ['ping', '-c', '300', '-i', '0.005', '-W', '1', '198.51.100.1'], { timeoutMs: 60_000 });
  const times = [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  if (times.length < 290) throw new Error(`ping: only ${times.length} of 300 answered\n${r.output}`);
  return { p50: pct(times, 50), p99: pct(times, 99) };
}

async function measure(plain: boolean): Promise<Record<string, number>> {
  const lab = await startLab({ scenario: SCENARIO, ...(plain ? { plainForwarding: true } : {}) });
  try {
    const out: Record<string, number> = {};
    out.udpPerSec = await udpPerSec(lab);
    out.tcp1Mbps = await tcpMbps(lab, 1);
    out.tcp2Mbps = await tcpMbps(lab, 2);
    for (const n of [0, 1, 2] as const) {
      const t = await rtt(lab, n);
      out[`rtt${n}P50`] = t.p50;
      out[`rtt${n}P99`] = t.p99;
    }
    return out;
  } finally {
    await lab.stop();
  }
}

const runs: Record<'model' | 'plain', Record<string, number>[]> = { model: [], plain: [] };
for (let i = 0; i < ROUNDS; i++) {
  for (const kind of i % 2 ? (['plain', 'model'] as const) : (['model', 'plain'] as const)) {
    const m = await measure(kind === 'plain');
    runs[kind].push(m);
    log(`lab-dataplane round ${i + 1} ${kind}: ${JSON.stringify(m)}`);
  }
}
const med = (kind: 'model' | 'plain', key: string): number => r1(median(runs[kind].map((m) => m[key]!)));
const keys = Object.keys(runs.model[0]!);
const result = {
  node: process.version,
  seconds: SECONDS,
  rounds: ROUNDS,
  model: Object.fromEntries(keys.map((k) => [k, med('model', k)])),
  plain: Object.fromEntries(keys.map((k) => [k, med('plain', k)])),
  ratio: Object.fromEntries(
    ['udpPerSec', 'tcp1Mbps', 'tcp2Mbps'].map((k) => [k, Math.round((med('model', k) / med('plain', k)) * 100) / 100]),
  ),
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
