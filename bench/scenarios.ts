/**
 * Scenario benchmark: the time to play every shipped scenario, and a generated topology of
 * 10,000 hosts behind 1,000 home NATs under 10 carrier NATs playing 100,000 flows (time and peak
 * memory). Prints one JSON object on stdout; progress on stderr.
 *
 *   node --expose-gc --import tsx bench/scenarios.ts
 */
import os from 'node:os';
import { scenarioFiles } from '../src/cli/default-scenario.js';
import { ep, formatIPv4 } from '../src/nat/address.js';
import type { Network } from '../src/nat/network.js';
import { buildNetwork } from '../src/scenario/build.js';
import { loadScenarioFile } from '../src/scenario/loader.js';
import { MATRIX_TYPES, playMatrix } from '../src/scenario/matrix.js';
import { type ScenarioConfig, scenarioSchema } from '../src/scenario/schema.js';
import { runScenario } from '../src/scenario/simulate.js';
import { log, median, msSince, nowNs } from './lib.js';

const gc = (globalThis as { gc?: () => void }).gc;

async function shippedScenarios(): Promise<Record<string, unknown>> {
  const files = await scenarioFiles(['scenarios']);
  const configs = await Promise.all(files.map(async (f) => (await loadScenarioFile(f)).config));
  let checks = 0;
  const times: number[] = [];
  for (let run = 0; run < 5; run++) {
    const t0 = nowNs();
    checks = 0;
    for (const c of configs) checks += runScenario(c).checks.length;
    times.push(msSince(t0));
  }
  const t0 = nowNs();
  for (const f of files) runScenario((await loadScenarioFile(f)).config);
  const withLoad = msSince(t0);
  log(
    `shipped scenarios: ${files.length} files, ${checks} checks, median ${median(times).toFixed(1)} ms (with YAML load and validation: ${withLoad.toFixed(1)} ms)`,
  );
  return { files: files.length, checks, medianMs: round(median(times)), withLoadMs: round(withLoad), runsMs: times.map(round) };
}

/**
 * A 50-step timeline: a call set up, kept alive, idled, resumed, the router rebooted, a port
 * mapped over UPnP and reached, the WAN address changed, the link taken down and up — against a
 * baseline measured in the same run: the same number of checks played as plain `checks:` (each
 * in a fresh network), which is what a scenario without a timeline costs.
 */
function timelineScenarios(): { timeline: ScenarioConfig; baseline: ScenarioConfig; checks: number } {
  const base = {
    name: 'bench timeline',
    routers: { home: { wan: '203.0.113.10', lan: '192.168.1.0/24', nat: 'port-restricted-cone', services: { upnp: true } } },
    hosts: {
      alice: { router: 'home', address: '192.168.1.10', app: 'ichat-av' },
      bob: { address: '198.51.100.20', app: 'ichat-av' },
      visitor: { address: '198.51.100.30' },
    },
    servers: { aim: { address: '198.51.100.5', role: 'signalling' }, snatmap: { address: '198.51.100.6', role: 'reflector' } },
    checks: [{ name: 'call', from: 'alice', to: 'bob', feature: 'av', expect: 'works' }],
  };
  const round = (k: number): unknown[] => [
    { check: 'call' },
    { keepalive: { host: 'alice', to: 'bob', every: '25s' } },
    { wait: '6min' },
    { check: { name: `resume ${k}`, from: 'bob', to: 'alice', resume: true, expect: 'works' } },
    { map: { host: 'alice', protocol: 'tcp', port: 8080, via: 'upnp' } },
    { check: { name: `reach ${k}`, from: 'visitor', to: 'alice', protocol: 'tcp', port: 8080, expect: 'works' } },
    { reboot: 'home' },
    { check: { name: `after reboot ${k}`, from: 'visitor', to: 'alice', protocol: 'tcp', port: 8080, expect: 'fails' } },
    { 'wan-address': { router: 'home', address: k % 2 ? '203.0.113.10' : '203.0.113.11' } },
    { link: { router: 'home', state: 'down' } },
    { link: { router: 'home', state: 'up' } },
  ];
  const entries = [...round(0), ...round(1), ...round(2), ...round(3), ...round(4)].slice(0, 50);
  const checks = entries.filter((e) => 'check' in (e as object)).length;
  const timeline = scenarioSchema.parse({
    ...base,
    checks: [],
    timeline: entries.map((e) =>
      'check' in (e as object) && (e as { check: unknown }).check === 'call'
        ? { check: { name: 'call', from: 'alice', to: 'bob', feature: 'av', expect: 'works' } }
        : e,
    ),
  });
  const baseline = scenarioSchema.parse({
    ...base,
    checks: Array.from({ length: checks }, (_, i) => ({ ...base.checks[0], name: `call ${i}` })),
  });
  return { timeline, baseline, checks };
}

function timelineBench(): Record<string, unknown> {
  const { timeline, baseline, checks } = timelineScenarios();
  const t: number[] = [];
  const b: number[] = [];
  let failed = 0;
  for (let run = 0; run < 7; run++) {
    let t0 = nowNs();
    failed = runScenario(timeline).failed;
    t.push(msSince(t0));
    t0 = nowNs();
    runScenario(baseline);
    b.push(msSince(t0));
  }
  const ratio = median(t) / median(b);
  log(
    `timeline: 50 steps (${checks} checks), median ${median(t).toFixed(2)} ms; baseline ${checks} plain checks ${median(b).toFixed(2)} ms; ratio ${ratio.toFixed(2)}; ${failed} failed`,
  );
  return {
    steps: 50,
    checks,
    medianMs: round(median(t)),
    baselineChecksMs: round(median(b)),
    ratio: round(ratio),
    failed,
    runsMs: t.map(round),
  };
}

/**
 * `natsim matrix` at its largest: the six preset types × six, each cell behind a carrier NAT (a
 * cascade of two NATs per peer), every cell played as packets — against the same 6 × 6 without
 * the carrier NAT, measured in the same rounds.
 */
function matrixBench(): Record<string, unknown> {
  const rows = [...MATRIX_TYPES];
  const cascade: number[] = [];
  const flat: number[] = [];
  let direct = 0;
  for (let run = 0; run < 7; run++) {
    let t0 = nowNs();
    direct = playMatrix({ rows, cgnat: true }).cells.filter((c) => c.outcome === 'direct').length;
    cascade.push(msSince(t0));
    t0 = nowNs();
    playMatrix({ rows });
    flat.push(msSince(t0));
  }
  const ratio = median(cascade) / median(flat);
  log(
    `matrix: 6×6 behind a carrier NAT, median ${median(cascade).toFixed(1)} ms (${direct} of 36 direct); 6×6 without ${median(flat).toFixed(1)} ms; ratio ${ratio.toFixed(2)}`,
  );
  return {
    cells: rows.length * rows.length,
    cascadeMedianMs: round(median(cascade)),
    flatMedianMs: round(median(flat)),
    ratio: round(ratio),
    directWithCarrier: direct,
    runsMs: cascade.map(round),
  };
}

/** 10 carrier NATs × 100 home NATs × 10 hosts, plus 100 servers on the Internet. */
function generatedTopology(): ScenarioConfig {
  const routers: Record<string, unknown> = {};
  const hosts: Record<string, unknown> = {};
  const servers: Record<string, unknown> = {};
  for (let c = 0; c < 10; c++) {
    routers[`cgn-${c}`] = { wan: `203.0.113.${c + 1}`, lan: `100.${64 + c}.0.0/16`, nat: { preset: 'cgnat', portQuota: 0 } };
    for (let h = 0; h < 100; h++) {
      const home = `home-${c}-${h}`;
      const third = h;
      routers[home] = {
        parent: `cgn-${c}`,
        wan: `100.${64 + c}.0.${h + 2}`,
        lan: `10.${c}.${third}.0/24`,
        nat: h % 4 === 3 ? 'symmetric' : 'port-restricted-cone',
      };
      for (let i = 0; i < 10; i++) hosts[`h-${c}-${h}-${i}`] = { router: home, address: `10.${c}.${third}.${i + 10}` };
    }
  }
  for (let s = 0; s < 100; s++) servers[`srv-${s}`] = { address: `198.51.100.${s + 1}`, role: 'relay' };
  return scenarioSchema.parse({ name: 'generated 10k hosts', routers, hosts, servers, checks: [] });
}

function play(net: Network, hostIds: string[], flows: number): { delivered: number; dropped: number } {
  let delivered = 0;
  let dropped = 0;
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const half = flows / 2;
  // Half the flows: client → server request and reply (two NAT layers each way).
  for (let f = 0; f < half; f++) {
    const id = hostIds[rnd(hostIds.length)]!;
    const h = net.host(id);
    const srv = ep(`198.51.100.${1 + rnd(100)}`, 3478);
    const d = net.send(id, { proto: 'udp', src: ep(h.ip, 20000 + (f % 20000)), dst: srv }, { trace: false });
    if (!d.delivered) {
      dropped++;
      continue;
    }
    const back = net.send(d.to!, { proto: 'udp', src: srv, dst: d.packet.src }, { trace: false });
    if (back.delivered) delivered++;
    else dropped++;
  }
  // The other half: peer-to-peer hole punching attempts between random hosts (reflexive addresses first).
  for (let f = 0; f < half; f++) {
    const a = hostIds[rnd(hostIds.length)]!;
    const b = hostIds[rnd(hostIds.length)]!;
    if (a === b) continue;
    const ha = net.host(a);
    const hb = net.host(b);
    const refl = ep('198.51.100.1', 3478);
    const ra = net.send(a, { proto: 'udp', src: ep(ha.ip, 40000), dst: refl }, { trace: false }).packet.src;
    const rb = net.send(b, { proto: 'udp', src: ep(hb.ip, 40000), dst: refl }, { trace: false }).packet.src;
    net.send(a, { proto: 'udp', src: ep(ha.ip, 40000), dst: rb }, { trace: false });
    const d1 = net.send(b, { proto: 'udp', src: ep(hb.ip, 40000), dst: ra }, { trace: false });
    const d2 = net.send(a, { proto: 'udp', src: ep(ha.ip, 40000), dst: rb }, { trace: false });
    if (d1.delivered && d2.delivered) delivered++;
    else dropped++;
  }
  return { delivered, dropped };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

async function main(): Promise<void> {
  const shipped = await shippedScenarios();
  const timeline = timelineBench();
  const matrix = matrixBench();
  gc?.();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 5);
  const t0 = nowNs();
  const config = generatedTopology();
  const { net } = buildNetwork(config);
  const buildMs = msSince(t0);
  const hostIds = Object.keys(config.hosts);
  const t1 = nowNs();
  const flows = 100_000;
  const outcome = play(net, hostIds, flows);
  const playMs = msSince(t1);
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
  clearInterval(sampler);
  const mappings = net.routers.reduce((n, r) => n + (r.nat?.size ?? 0), 0);
  log(
    `generated: ${net.routers.length} routers, ${hostIds.length} hosts; build ${buildMs.toFixed(0)} ms; ${flows} flows in ${playMs.toFixed(0)} ms; ${mappings} live mappings; peak heap ${(peakHeap / 2 ** 20).toFixed(0)} MiB, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
  );
  const result = {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    at: new Date().toISOString(),
    shippedScenarios: shipped,
    timeline,
    matrix,
    generated: {
      carrierNats: 10,
      homeNats: 1000,
      hosts: hostIds.length,
      flows,
      buildMs: round(buildMs),
      playMs: round(playMs),
      totalMs: round(buildMs + playMs),
      flowsPerSec: Math.round(flows / (playMs / 1000)),
      delivered: outcome.delivered,
      dropped: outcome.dropped,
      liveMappings: mappings,
      peakHeapMiB: round(peakHeap / 2 ** 20),
      peakRssMiB: round(peakRss / 2 ** 20),
      baselineHeapMiB: round(base.heapUsed / 2 ** 20),
      example: `h-0-0-0 is ${formatIPv4(net.host('h-0-0-0').ip)} behind home-0-0 and cgn-0`,
    },
  };
  console.log(JSON.stringify(result, null, 2));
}

await main();
