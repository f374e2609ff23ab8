/**
 * A 100 MB TCP transfer by real programs (socat, sha256sum) through a home NAT behind a carrier
 * NAT in the lab, every segment through the model: it arrives intact. The file re-runs itself
 * inside a sealed network namespace, and the lab makes its own namespaces inside that.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LabHandle, startLab } from '../../src/lab/start-lab.js';
import { assertSealed, IN_NETNS, reexecInNamespace, requireTool } from '../interop/netns.js';

reexecInNamespace('test/lab/tcp-transfer.ns.test.ts', 'lab: 100 MB over TCP through a home NAT behind a carrier NAT');

const SCENARIO = `
name: lab test — a home NAT behind a carrier NAT
routers:
  isp: { wan: 198.51.100.1, lan: 100.64.0.0/10, nat: cgnat }
  home: { parent: isp, wan: 100.64.0.2, lan: 192.168.1.0/24, nat: port-restricted-cone }
hosts:
  alice: { router: home, address: 192.168.1.10 }
  server: { address: 203.0.113.80 }
`;

const MB = 100;

if (IN_NETNS) {
  let lab: LabHandle;
  let dir: string;

  beforeAll(async () => {
    assertSealed(['lo']);
    requireTool('socat', 'socat');
    dir = mkdtempSync(join(tmpdir(), 'natsim-tcp-'));
    writeFileSync(join(dir, 'cascade.yaml'), SCENARIO);
    lab = await startLab({ scenario: join(dir, 'cascade.yaml') });
  });

  afterAll(async () => {
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`${MB} MB from alice (behind both NATs) to a server on the Internet arrive intact, the connection seen from the carrier's address`, async () => {
    const sent = join(dir, 'sent.bin');
    const received = join(dir, 'received.bin');
    const peer = join(dir, 'peer.txt');
    const gen = await lab.exec('alice', `head -c ${MB}M /dev/urandom > ${sent}`);
    expect(gen.code, gen.output).toBe(0);
    // The server writes what it receives and the peer's address socat reports.
    const server = lab.spawn('server', 'sh', ['-c', `socat -d -d -u TCP-LISTEN:9000,reuseaddr OPEN:${received},creat,trunc 2> ${peer}`]);
    const serverDone = new Promise<number | null>((resolve) => server.once('close', resolve));
    let up = false;
    for (let i = 0; i < 50 && !up; i++) {
      up = (await lab.exec('server', 'ss -ltn')).stdout.includes(':9000');
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    expect(up, 'socat listens on 9000').toBe(true);
    const started = performance.now();
    const send = await lab.exec('alice', `socat -u OPEN:${sent} TCP:203.0.113.80:9000`, { timeoutMs: 100_000 });
    expect(send.code, send.output).toBe(0);
    expect(await serverDone).toBe(0);
    const seconds = (performance.now() - started) / 1000;
    const sums = await lab.exec('alice', `sha256sum ${sent} ${received} | cut -d' ' -f1`);
    const [a, b] = sums.stdout.trim().split('\n');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
    const who = await lab.exec('server', `cat ${peer}`);
    expect(who.stdout).toMatch(/accepting connection from AF=2 198\.51\.100\.1:\d+/);
    console.log(`lab: ${MB} MB through two NATs in ${seconds.toFixed(1)} s (${((MB * 8) / seconds).toFixed(0)} Mbit/s)`);
  }, 300_000);
}
