/**
 * NAT-PMP with a lease file (issue 12 item 7: every acknowledged mapping is on disk before its
 * reply): a held-back journal write holds the NAT-PMP reply back, a write that fails is never
 * acknowledged (no reply, mapping taken back, the client's retry succeeds once the disk does), and
 * a restart restores the NAT-PMP mapping with its origin.
 */
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from '../../src/gateway/index.js';
import { replayJournal } from '../../src/gateway/lease-records.js';
import { encodeNatpmpRequest, type NatpmpResponse, parseNatpmpResponse } from '../../src/natpmp/codec.js';
import { parseScenario } from '../../src/scenario/loader.js';

const dir = mkdtempSync(join(tmpdir(), 'natsim-natpmp-leases-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (): string => join(dir, `gw-${++n}.journal`);
const inFile = (path: string): number[] => replayJournal(readFileSync(path, 'utf8')).leases.map((l) => l.externalPort);
const scenario = parseScenario(
  `name: natpmp-leases
routers:
  gw: { wan: 81.2.69.160, lan: 10.7.0.0/24, services: { upnp: true, natpmp: true } }
hosts:
  h: { router: gw, address: 10.7.0.2 }
`,
  'natpmp-leases.yaml',
);

/** A NAT-PMP client socket on 127.0.0.1 that collects every reply it gets. */
async function client(
  gw: GatewayHandle,
): Promise<{ send(port: number): void; replies: NatpmpResponse[]; next(): Promise<NatpmpResponse>; close(): void }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const replies: NatpmpResponse[] = [];
  let waiter: ((r: NatpmpResponse) => void) | undefined;
  socket.on('message', (msg) => {
    const r = parseNatpmpResponse(msg);
    replies.push(r);
    waiter?.(r);
  });
  return {
    send: (port) =>
      socket.send(
        encodeNatpmpRequest({ opcode: 1, internalPort: port, externalPort: port, lifetime: 3600 }),
        gw.natpmpAddress!.port,
        '127.0.0.1',
      ),
    replies,
    next: () => new Promise((resolve) => (waiter = resolve)),
    close: () => socket.close(),
  };
}

describe('NAT-PMP with a lease file', () => {
  it('sends the map reply only once the record is written', async () => {
    const leaseFile = file();
    let release!: () => void;
    let gate: Promise<void> | undefined;
    await using gw = await startGateway({ scenario, natpmp: { port: 0 }, mxDelay: 'none', leaseFile, leaseWriteHook: () => gate });
    gate = new Promise<void>((r) => (release = r));
    const c = await client(gw);
    try {
      const reply = c.next();
      c.send(47001);
      await new Promise((r) => setTimeout(r, 300));
      // Held back: granted in the table, not yet on disk, so not yet acknowledged.
      expect(c.replies).toEqual([]);
      expect(gw.listMappings().some((m) => m.externalPort === 47001 && m.origin === 'natpmp')).toBe(true);
      expect(inFile(leaseFile)).toEqual([]);
      release();
      expect(await reply).toMatchObject({ opcode: 129, result: 0, externalPort: 47001 });
      expect(inFile(leaseFile)).toEqual([47001]);
    } finally {
      release();
      c.close();
    }
  });

  it('does not acknowledge a mapping the lease file cannot keep, and takes it back', async () => {
    const leaseFile = file();
    let fail = false;
    const errors: string[] = [];
    await using gw = await startGateway({
      scenario,
      natpmp: { port: 0 },
      mxDelay: 'none',
      leaseFile,
      leaseWriteHook: () => {
        if (fail) throw new Error('ENOSPC: no space left on device');
      },
    });
    gw.events.on('natpmp', (e) => {
      if (e.type === 'natpmp-error') errors.push(e.error.message);
    });
    const c = await client(gw);
    try {
      fail = true;
      c.send(47002);
      await new Promise((r) => setTimeout(r, 300));
      expect(c.replies).toEqual([]);
      expect(errors).toEqual([expect.stringContaining('ENOSPC')]);
      expect(gw.listMappings().some((m) => m.externalPort === 47002)).toBe(false);
      // The client retries (RFC 6886 §3.1); once the disk works again it is answered.
      fail = false;
      const reply = c.next();
      c.send(47002);
      expect(await reply).toMatchObject({ result: 0, externalPort: 47002 });
      expect(inFile(leaseFile)).toEqual([47002]);
    } finally {
      c.close();
    }
  });

  it('restores a NAT-PMP mapping after a restart, still owned by NAT-PMP', async () => {
    const leaseFile = file();
    {
      await using gw = await startGateway({ scenario, natpmp: { port: 0 }, mxDelay: 'none', leaseFile });
      const c = await client(gw);
      const reply = c.next();
      c.send(47003);
      expect(await reply).toMatchObject({ result: 0, externalPort: 47003 });
      c.close();
    }
    await using gw2 = await startGateway({ scenario, natpmp: { port: 0 }, mxDelay: 'none', leaseFile });
    expect(gw2.listMappings()).toEqual([
      expect.objectContaining({ protocol: 'UDP', externalPort: 47003, internalClient: '10.7.0.2', origin: 'natpmp' }),
    ]);
  });
});
