/**
 * startGateway({ leaseFile }) over real HTTP on 127.0.0.1: a mapping is in the journal before
 * its SOAP reply is sent (a held-back write holds the reply back), a write that fails is not
 * acknowledged (fault 501, mapping taken back), and a new gateway on the same file restores the
 * table with the remaining leases.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startGateway } from '../../src/gateway/index.js';
import { replayJournal } from '../../src/gateway/lease-records.js';
import { mappingArgs, soap } from './helpers.js';

const DEFAULT = 'scenarios/default.yaml';
const dir = mkdtempSync(join(tmpdir(), 'natsim-leasefile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (): string => join(dir, `gw-${++n}.journal`);
const inFile = (path: string): number[] => replayJournal(readFileSync(path, 'utf8')).leases.map((l) => l.externalPort);

describe('startGateway with a lease file', () => {
  it('restores mappings in table order with their remaining lease after a restart', async () => {
    const leaseFile = file();
    {
      await using gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', leaseFile });
      expect(gw.leases).toMatchObject({ created: true, restored: 0 });
      for (const [port, lease] of [
        [41001, 3600],
        [41002, 0],
        [41003, 120],
      ] as const) {
        const r = await soap(
          gw,
          'AddPortMapping',
          mappingArgs({ NewExternalPort: port, NewInternalPort: port, NewLeaseDuration: lease, NewPortMappingDescription: `app ${port}` }),
        );
        expect(r.status).toBe(200);
      }
      expect((await soap(gw, 'DeletePortMapping', { NewRemoteHost: '', NewExternalPort: 41002, NewProtocol: 'UDP' })).status).toBe(200);
      expect(
        (await soap(gw, 'AddPortMapping', mappingArgs({ NewExternalPort: 41002, NewInternalPort: 41007, NewLeaseDuration: 0 }))).status,
      ).toBe(200);
    }
    await using gw2 = await startGateway({ scenario: DEFAULT, mxDelay: 'none', leaseFile });
    expect(gw2.leases).toMatchObject({ created: false, restored: 3, expired: 0, problems: [] });
    const upnp = gw2.listMappings().filter((m) => m.origin === 'upnp');
    expect(upnp.map((m) => [m.externalPort, m.internalPort, m.description])).toEqual([
      [41001, 41001, 'app 41001'],
      [41003, 41003, 'app 41003'],
      [41002, 41007, 'test'],
    ]);
    expect(upnp[0]!.leaseDuration).toBeGreaterThan(3590);
    expect(upnp[0]!.leaseDuration).toBeLessThanOrEqual(3600);
    expect(upnp[1]!.leaseDuration).toBeLessThanOrEqual(120);
    expect(upnp[2]!.leaseDuration).toBeGreaterThan(604_790); // IGD:2 makes 0 a week
    expect(upnp[2]!.leaseDuration).toBeLessThanOrEqual(604_800);
    // The restored table answers over SOAP as before.
    const e = await soap(gw2, 'GetGenericPortMappingEntry', {
      NewPortMappingIndex: gw2.listMappings().findIndex((m) => m.externalPort === 41003),
    });
    expect(e.arg('NewPortMappingDescription')).toBe('app 41003');
  });

  it('sends the AddPortMapping reply only once the record is written', async () => {
    const leaseFile = file();
    let release!: () => void;
    let gate: Promise<void> | undefined;
    let writeStarted!: () => void;
    const started = new Promise<void>((r) => (writeStarted = r));
    await using gw = await startGateway({
      scenario: DEFAULT,
      mxDelay: 'none',
      leaseFile,
      leaseWriteHook: () => {
        writeStarted();
        return gate;
      },
    });
    gate = new Promise<void>((r) => (release = r));
    let answered = false;
    const reply = soap(gw, 'AddPortMapping', mappingArgs({ NewExternalPort: 42001 })).then((r) => ((answered = true), r));
    await started;
    try {
      // The write is held back: no reply may have left, however long we wait.
      await new Promise((r) => setTimeout(r, 300));
      expect(answered).toBe(false);
      expect(gw.listMappings().some((m) => m.externalPort === 42001)).toBe(true);
      expect(inFile(leaseFile)).toEqual([]);
    } finally {
      release();
    }
    const r = await reply;
    expect(r.status).toBe(200);
    expect(inFile(leaseFile)).toEqual([42001]);
  });

  it('answers 501 and takes the mapping back when the lease file cannot be written', async () => {
    const leaseFile = file();
    let fail = false;
    await using gw = await startGateway({
      scenario: DEFAULT,
      mxDelay: 'none',
      leaseFile,
      leaseWriteHook: () => {
        if (fail) throw new Error('ENOSPC: no space left on device');
      },
    });
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewExternalPort: 43001 }))).status).toBe(200);
    fail = true;
    const r = await soap(gw, 'AddPortMapping', mappingArgs({ NewExternalPort: 43002 }));
    expect(r.status).toBe(500);
    expect(r.code).toBe(501);
    expect(gw.listMappings().some((m) => m.externalPort === 43002)).toBe(false);
    fail = false;
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewExternalPort: 43003 }))).status).toBe(200);
    expect(inFile(leaseFile)).toEqual([43001, 43003]);
  });

  it('with leaseSync "write" keeps the same records', async () => {
    const leaseFile = file();
    await using gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', leaseFile, leaseSync: 'write' });
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewExternalPort: 44001 }))).status).toBe(200);
    expect(inFile(leaseFile)).toEqual([44001]);
  });
});
