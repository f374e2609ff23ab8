/**
 * Reliability under load, inside private network namespaces (re-executed under `unshare --net`;
 * the lan host and its veth are the interop lab's, test/interop/netns.ts), against `natsim serve`
 * as a separate process on 10.99.0.1:
 *
 * - load: 300 concurrent clients from 30 LAN addresses asking for 150 overlapping TCP and UDP
 *   ports; afterwards no external port is held twice, every acknowledged mapping is in the table
 *   with the client it was acknowledged to, and GetGenericPortMappingEntry and
 *   GetListOfPortMappings list the same table;
 * - crash: the same load against `natsim serve --lease-file`, killed with SIGKILL in the middle,
 *   then restarted on the same file: no acknowledged mapping is lost, and the leases go on from
 *   where they were (remaining lease, not a fresh one).
 *
 * Nothing here measures speed; the numbers of requests only bound the run's length.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLan, GW_ADDRESS, IN_NETNS, LAN_IFACE, type Lan, NODE, reexecInNamespace } from '../interop/netns.js';
import { ended, type ListedMapping, listByIndex, listByRange, type ServeProcess, startServe } from './serve-process.js';

reexecInNamespace('test/reliability/load.ns.test.ts', 'reliability: load and kill -9 with a lease file');

const ADDRESSES = Array.from({ length: 30 }, (_, i) => `10.99.0.${10 + i}`);
const PORTS: [number, number] = [20000, 20149];
const HTTP_PORT = 49300;

interface Ack {
  readonly key: string;
  readonly client: string;
  readonly lease: number;
  readonly at: number;
}

/** Runs the load client on the lan host; resolves with its acknowledgements and summary. */
function runLoad(
  lan: Lan,
  url: string,
  requests: number,
  onAck?: (count: number) => void,
): Promise<{ acks: Ack[]; summary: Record<string, unknown> | undefined; stderr: string }> {
  const child = lan.spawn(NODE, [
    '--import',
    'tsx',
    'test/reliability/load-client.ts',
    JSON.stringify({ url, addresses: ADDRESSES, clients: 300, ports: PORTS, requests, seed: 7 }),
  ]);
  const acks: Ack[] = [];
  let summary: Record<string, unknown> | undefined;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('ACK ')) {
      const [, proto, port, client, , lease] = line.split(' ');
      acks.push({ key: `${proto} ${port}`, client: client!, lease: Number(lease), at: Date.now() });
      onAck?.(acks.length);
    } else if (line.startsWith('{')) {
      summary = JSON.parse(line) as Record<string, unknown>;
    }
  });
  return ended(child, 90_000).then(() => ({ acks, summary, stderr }));
}

const keyOf = (m: ListedMapping): string => `${m.protocol} ${m.externalPort}`;
const canon = (list: readonly ListedMapping[]): string[] =>
  list.map((m) => `${keyOf(m)} ${m.internalClient}:${m.internalPort} ${m.description}`).sort();

/** The invariants every table must keep, whatever the load. */
async function checkTable(gw: ServeProcess, acks: readonly Ack[]): Promise<ListedMapping[]> {
  const byIndex = await listByIndex(gw.controlUrl);
  const byRange = await listByRange(gw.controlUrl);
  // No external port twice.
  const keys = byIndex.map(keyOf);
  expect(new Set(keys).size).toBe(keys.length);
  // The two listing actions agree.
  expect(canon(byRange)).toEqual(canon(byIndex));
  // Every acknowledged mapping is there, held by the client it was acknowledged to.
  const table = new Map(byIndex.map((m) => [keyOf(m), m]));
  const missing = acks.filter((a) => table.get(a.key)?.internalClient !== a.client);
  expect(missing.map((a) => `${a.key} → ${a.client}: table has ${table.get(a.key)?.internalClient ?? 'nothing'}`)).toEqual([]);
  return byIndex;
}

if (IN_NETNS) {
  let lan: Lan | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'natsim-reliability-'));
  beforeAll(async () => {
    lan = await createLan();
    // The LAN host's other addresses: one per group of clients.
    const r = await lan.run('sh', ['-c', ADDRESSES.map((a) => `ip addr add ${a}/24 dev ${LAN_IFACE}`).join(' && ')]);
    if (r.code !== 0) throw new Error(`adding LAN addresses failed: ${r.output}`);
  }, 30_000);
  afterAll(async () => {
    await lan?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('natsim serve under load', () => {
    it('300 clients on 150 overlapping ports: no port twice, every acknowledged mapping present, both listings agree', async () => {
      const gw = await startServe(['--listen', GW_ADDRESS, '--http-port', String(HTTP_PORT), '--ssdp-port', '0', '--no-multicast']);
      try {
        const { acks, summary, stderr } = await runLoad(lan!, gw.controlUrl, 15);
        expect(summary, stderr).toMatchObject({ done: true, transportErrors: 0 });
        const codes = summary!['codes'] as Record<string, number>;
        // The load did overlap: some requests were refused because another address held the port.
        expect(codes['500 718']).toBeGreaterThan(0);
        expect(codes['200']).toBe(acks.length);
        expect(Object.keys(codes).sort()).toEqual(['200', '500 718']);
        const table = await checkTable(gw, acks);
        expect(table.length).toBe(new Set(acks.map((a) => a.key)).size);
        expect(gw.child.exitCode).toBeNull();
      } finally {
        await gw.kill('SIGTERM');
      }
    }, 90_000);

    it('kill -9 under load with --lease-file, restart: no acknowledged mapping lost, leases resumed', async () => {
      const leaseFile = join(dir, 'crash.journal');
      const args = [
        '--listen',
        GW_ADDRESS,
        '--http-port',
        String(HTTP_PORT + 1),
        '--ssdp-port',
        '0',
        '--no-multicast',
        '--lease-file',
        leaseFile,
      ];
      const gw = await startServe(args);
      let killedAt = 0;
      const load = runLoad(lan!, gw.controlUrl, 0, (n) => {
        // In the middle of the load: hundreds acknowledged, hundreds of requests in flight.
        if (n === 800 && !killedAt) {
          killedAt = Date.now();
          gw.child.kill('SIGKILL');
        }
      });
      const { acks, summary, stderr } = await load;
      expect(killedAt, `the load never reached 800 acknowledgements: ${JSON.stringify(summary)} ${stderr}`).toBeGreaterThan(0);
      expect((await gw.exited).signal).toBe('SIGKILL');
      expect(acks.length).toBeGreaterThanOrEqual(800);

      // Down for a while, so a lease that started afresh would show.
      await new Promise((r) => setTimeout(r, 2500));
      const again = await startServe(args);
      try {
        const restoredAt = Date.now();
        const ready = again.ready['leases'] as Record<string, number>;
        expect(ready).toMatchObject({ expired: 0, refused: 0 });
        const table = await checkTable(again, acks);
        expect(ready['restored']).toBe(table.length);
        // Leases resumed: every request for a port asked for the same lease (load-client.ts), so
        // what is left must be that lease less at least the time natsim was down — a fresh lease
        // would fail — and no less than the time since the port was first acknowledged.
        const first = new Map<string, Ack>();
        for (const a of acks) if (!first.has(a.key)) first.set(a.key, a);
        const downSeconds = Math.floor((restoredAt - killedAt) / 1000);
        expect(downSeconds).toBeGreaterThanOrEqual(2);
        for (const m of table) {
          const a = first.get(keyOf(m));
          if (!a) continue; // written but its reply never arrived: in the table, never acknowledged
          const elapsed = Math.ceil((Date.now() - a.at) / 1000);
          expect(m.lease, keyOf(m)).toBeLessThanOrEqual(a.lease - downSeconds);
          expect(m.lease, keyOf(m)).toBeGreaterThanOrEqual(a.lease - elapsed - 2);
        }
        expect(restoredAt).toBeGreaterThan(killedAt);
      } finally {
        await again.kill('SIGTERM');
      }
    }, 100_000);
  });
}
