/**
 * Hole punching by real programs in the lab, against what the simulation says for the same
 * scenario. The shipped NAT catalogue (scenarios/nat-catalogue-hole-punch.yaml) runs as a lab;
 * coturn's turnserver answers STUN on its reflector (198.51.100.6:3478); two peers
 * (test/lab/programs/udp-punch.py, kernel UDP sockets) each learn their reflexive address from it,
 * the test passes the addresses across (the rendezvous), and both send at once, answering
 * whatever source a punch arrives from. The file re-runs itself inside a sealed network
 * namespace, and the lab makes its own namespaces inside that.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LabHandle, startLab } from '../../src/lab/start-lab.js';
import { loadScenarioFile } from '../../src/scenario/loader.js';
import { runScenario } from '../../src/scenario/simulate.js';
import { assertSealed, IN_NETNS, REPO, reexecInNamespace, requireTool } from '../interop/netns.js';
import { spawnTurnserver } from './turnserver.js';

reexecInNamespace('test/lab/hole-punch.ns.test.ts', 'lab: UDP hole punching by real programs, as the simulation says');

const SCENARIO = join(REPO, 'scenarios/nat-catalogue-hole-punch.yaml');
const PUNCH = join(REPO, 'test/lab/programs/udp-punch.py');
const PYTHON = '/usr/bin/python3';
const STUN = '198.51.100.6:3478';

/** The catalogue's checks played in the lab, each by two peers on one port. */
const PAIRS = [
  { check: 'FC × PRC', port: 40010 },
  { check: 'FC × SYM', port: 40020 },
  { check: 'PRC × SYM', port: 40030 },
  { check: 'SYM × SYM', port: 40040 },
] as const;

type Line = Record<string, unknown>;

interface PeerRun {
  readonly lines: Line[];
  readonly code: number | null;
}

if (IN_NETNS) {
  let lab: LabHandle;
  let dir: string;
  let stunLog = '';
  const simulated = new Map<string, { result: string; from: string; to: string; failedAt?: string }>();
  const drops: { router: string; reason: string }[] = [];

  beforeAll(async () => {
    assertSealed(['lo']);
    requireTool('turnserver', 'coturn');
    requireTool('socat', 'socat');
    const result = runScenario(await loadScenarioFile(SCENARIO));
    for (const c of result.checks) simulated.set(c.name, c);
    dir = mkdtempSync(join(tmpdir(), 'natsim-punch-'));
    // coturn's turnserver, not the lab's built-in STUN server, answers on the reflector.
    lab = await startLab({ scenario: SCENARIO, stun: false });
    lab.events.onAny((e) => {
      if (e.type === 'packet-dropped') drops.push({ router: e.hop.node, reason: e.reason });
    });
    const stun = spawnTurnserver(lab, 'reflector', ['198.51.100.6'], dir);
    stun.stdout!.on('data', (d: Buffer) => (stunLog += d.toString()));
    await waitForStun();
  }, 60_000);

  afterAll(async () => {
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** turnserver is up once a STUN request from the public peer gets an answer. */
  async function waitForStun(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const r = await lab.exec('public-peer', [PYTHON, '-c', STUN_PROBE]);
      if (r.code === 0) return;
      await new Promise((done) => setTimeout(done, 200));
    }
    throw new Error(`turnserver did not answer STUN on ${STUN}\n${stunLog}`);
  }

  /** Runs both peers of a pair, passing each one's reflexive address to the other. */
  async function punch(a: string, b: string, port: number): Promise<[PeerRun, PeerRun]> {
    const start = (host: string, name: string) => {
      const p = lab.spawn(host, PYTHON, [PUNCH, STUN, String(port), name, '6'], { stdio: ['pipe', 'pipe', 'inherit'] });
      const lines: Line[] = [];
      const done = new Promise<PeerRun>((resolve) => p.once('close', (code) => resolve({ lines, code })));
      createInterface({ input: p.stdout! }).on('line', (l) => {
        const m = JSON.parse(l) as Line;
        lines.push(m);
        p.emit('message-line', m);
      });
      return { p, done };
    };
    const pa = start(a, 'a');
    const pb = start(b, 'b');
    pa.p.on('message-line', (m: Line) => m.reflexive && pb.p.stdin!.write(`${JSON.stringify({ peer: m.reflexive })}\n`));
    pb.p.on('message-line', (m: Line) => m.reflexive && pa.p.stdin!.write(`${JSON.stringify({ peer: m.reflexive })}\n`));
    return Promise.all([pa.done, pb.done]);
  }

  describe('udp-punch.py pairs through the lab, each pair against the simulation of the same check', () => {
    for (const { check, port } of PAIRS) {
      it(`${check}`, async () => {
        const sim = simulated.get(check);
        expect(sim, `the scenario has a check named ${check}`).toBeDefined();
        const before = drops.length;
        const [a, b] = await punch(sim!.from, sim!.to, port);
        const dropped = drops.slice(before);
        const direct = a.code === 0 && b.code === 0;
        const report = JSON.stringify({ a: a.lines, b: b.lines });
        // Each side learnt a reflexive address on its NAT's external address.
        for (const run of [a, b]) expect(run.lines[0]?.reflexive, report).toMatch(/^203\.0\.113\.\d+:\d+$/);
        expect(a.lines.at(-1), report).toEqual({ direct });
        expect(b.lines.at(-1), report).toEqual({ direct });
        expect(direct ? 'works' : 'fails', `${check}: the lab's peers vs the simulation\n${report}`).toBe(sim!.result);
        // Where the simulation says the punch fails, the lab's punches were dropped at that router too.
        if (!direct) expect(dropped.map((d) => d.router)).toContain(sim!.failedAt);
      }, 30_000);
    }
  });
}

/** One STUN Binding request to the reflector; exit 0 on any answer with the request's id. */
const STUN_PROBE = `
import os, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
tid = os.urandom(12)
s.sendto(struct.pack('!HHI', 1, 0, 0x2112A442) + tid, ('198.51.100.6', 3478))
d, _ = s.recvfrom(2048)
raise SystemExit(0 if d[8:20] == tid else 1)
`;
