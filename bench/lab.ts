/**
 * Lab benchmark (root or unprivileged user namespaces; everything inside the lab's own private
 * namespaces).
 *
 * - startup: `startLab()` of a 10-host scenario (three home routers, one behind a carrier NAT,
 *   two hosts each, four Internet hosts) until every host's eth0 is up, then a first ping through
 *   the NAT cascade; ROUNDS rounds, median, min and max. Target (issue 9): under 2 s.
 *
 * Prints one JSON object on stdout; progress on stderr.
 *
 *   node --import tsx bench/lab.ts
 */
import { performance } from 'node:perf_hooks';
import { startLab } from '../src/lab/start-lab.js';
import { parseScenario } from '../src/scenario/loader.js';
import { log } from './lib.js';

const ROUNDS = Number(process.env.LAB_ROUNDS ?? 7);

const TEN_HOSTS = parseScenario(`
name: bench — ten lab hosts
routers:
  home-a: { wan: 203.0.113.10, lan: 192.168.1.0/24, nat: port-restricted-cone }
  home-b: { wan: 203.0.113.20, lan: 192.168.2.0/24, nat: symmetric }
  cgn: { wan: 203.0.113.30, lan: 100.64.0.0/10, nat: cgnat }
  home-c: { parent: cgn, wan: 100.64.0.2, lan: 192.168.3.0/24, nat: port-restricted-cone }
hosts:
  a1: { router: home-a, address: 192.168.1.10 }
  a2: { router: home-a, address: 192.168.1.11 }
  b1: { router: home-b, address: 192.168.2.10 }
  b2: { router: home-b, address: 192.168.2.11 }
  c1: { router: home-c, address: 192.168.3.10 }
  c2: { router: home-c, address: 192.168.3.11 }
  i1: { address: 198.51.100.1 }
  i2: { address: 198.51.100.2 }
  i3: { address: 198.51.100.3 }
servers:
  stun: { address: 198.51.100.6, role: reflector }
`);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round1 = (x: number): number => Math.round(x * 10) / 10;

async function startup(): Promise<Record<string, unknown>> {
  const starts: number[] = [];
  const firstPing: number[] = [];
  let mode = '';
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const lab = await startLab({ scenario: TEN_HOSTS });
    const up = performance.now() - t0;
    const r = await lab.exec('c1', ['ping', '-c', '1', '-W', '2', '198.51.100.1']);
    const pinged = performance.now() - t0;
    if (!/1 received/.test(r.stdout)) throw new Error(`the first ping failed: ${r.output}`);
    mode = lab.mode;
    await lab.stop();
    starts.push(up);
    firstPing.push(pinged);
    log(`startup round ${i + 1}: ${up.toFixed(0)} ms up, ${pinged.toFixed(0)} ms to the first ping answered`);
  }
  return {
    hosts: TEN_HOSTS.hosts ? Object.keys(TEN_HOSTS.hosts).length + Object.keys(TEN_HOSTS.servers).length : 0,
    mode,
    rounds: ROUNDS,
    startupMs: { median: round1(median(starts)), min: round1(Math.min(...starts)), max: round1(Math.max(...starts)) },
    firstPingMs: { median: round1(median(firstPing)), min: round1(Math.min(...firstPing)), max: round1(Math.max(...firstPing)) },
  };
}

const result = { node: process.version, startup: await startup() };
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
