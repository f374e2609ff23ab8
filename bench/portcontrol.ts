/**
 * Port-control benchmark: NAT-PMP map requests/s and PCP MAP requests/s against the real
 * miniupnpd 2.3.1 and natsim's gateway in the same lab run, with 1 and 16 requests in flight.
 *
 *   node --import tsx bench/portcontrol.ts      (root; prints ONE JSON object, progress on stderr)
 *
 * The lab is the differential test's (test/differential/lab.sh with natsim-pcp-gateway.ts:
 * namespaces with unique names, deleted on exit; miniupnpd on 10.77.0.1:5351 with NAT-PMP/PCP
 * on, natsim with profile `miniupnpd` and PCP on 10.77.0.1:41012). The load client
 * (bench/portcontrol-load.ts) runs in the LAN namespace from 10.77.0.2 and maps UDP ports in a pool
 * of 16 per slot (first pass creates, later passes refresh; 256 mappings at most). Rounds alternate the subjects so load
 * from other processes hits both alike; the figure is the median of PC_ROUNDS rounds.
 * Knobs: PC_SECONDS=4 (per measurement)  PC_ROUNDS=3.
 * Network safety: every datagram goes to an address inside the namespaces this run creates.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLabProcess } from '../test/differential/lab-process.js';
import { log, median } from './lib.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.PC_SECONDS ?? 4);
const ROUNDS = Number(process.env.PC_ROUNDS ?? 3);
const NATSIM_HTTP_PORT = 41010;
const TARGETS = {
  miniupnpd: { address: '10.77.0.1', port: 5351 },
  natsim: { address: '10.77.0.1', port: NATSIM_HTTP_PORT + 2 },
} as const;
type Subject = keyof typeof TARGETS;

if (process.getuid?.() !== 0) {
  process.stdout.write(`${JSON.stringify({ skipped: 'needs root (network namespaces)' })}\n`);
  process.exit(0);
}

const running = await startLabProcess<{ lan: string }>('natsim-pcp-gateway.ts', {
  NATSIM_HTTP_PORT: String(NATSIM_HTTP_PORT),
  NATSIM_SSDP_PORT: String(NATSIM_HTTP_PORT + 1),
  NATSIM231_HTTP_PORT: '41020',
  NATSIM231_SSDP_PORT: '41021',
});
process.on('SIGINT', () => void running.stop().then(() => process.exit(130)));

try {
  const ready = running.lab;
  log(`portcontrol: lab up (${ready.lan}); ${ROUNDS} rounds of ${SECONDS} s per measurement`);
  const load = (subject: Subject, protocol: 'natpmp' | 'pcp', inFlight: number, basePort: number) => {
    const r = spawnSync('ip', ['netns', 'exec', ready.lan, 'node', '--import', 'tsx', 'bench/portcontrol-load.ts'], {
      cwd: ROOT,
      input: JSON.stringify({ target: TARGETS[subject], protocol, inFlight, seconds: SECONDS, basePort, client: '10.77.0.2' }),
      encoding: 'utf8',
      timeout: (SECONDS + 30) * 1000,
    });
    if (r.status !== 0) throw new Error(`load client failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as { replies: number; lost: number; errors: number; perSec: number };
  };
  const result: Record<string, unknown> = {};
  for (const protocol of ['natpmp', 'pcp'] as const) {
    for (const inFlight of [1, 16]) {
      const runs: Record<Subject, number[]> = { miniupnpd: [], natsim: [] };
      const ratios: number[] = [];
      let lost = 0;
      let errors = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const order: Subject[] = round % 2 ? ['natsim', 'miniupnpd'] : ['miniupnpd', 'natsim'];
        const got = {} as Record<Subject, number>;
        for (const s of order) {
          // NAT-PMP and PCP use separate port pools (42000…, 44000…): each protocol creates its own mappings.
          const r = load(s, protocol, inFlight, protocol === 'natpmp' ? 42000 : 44000);
          runs[s].push(r.perSec);
          got[s] = r.perSec;
          lost += r.lost;
          errors += r.errors;
          log(`portcontrol: ${protocol} ×${inFlight} round ${round + 1} ${s}: ${r.perSec}/s (lost ${r.lost}, errors ${r.errors})`);
        }
        ratios.push(got.natsim / got.miniupnpd);
      }
      result[`${protocol}-${inFlight}`] = {
        natsimPerSec: median(runs.natsim),
        miniupnpdPerSec: median(runs.miniupnpd),
        ratio: Math.round(median(ratios) * 100) / 100,
        runs,
        lost,
        errors,
      };
    }
  }
  result.loadavg = (await import('node:os')).loadavg().map((x) => Math.round(x * 10) / 10);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await running.stop();
}
