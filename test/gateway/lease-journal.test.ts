/**
 * The lease journal (src/gateway/lease-journal.ts, lease-records.ts) on a real file in a temp
 * directory: records and replay, restore with the remaining lease on the wall clock, expired
 * leases dropped, table order kept, a damaged or partial tail dropped and reported, compaction,
 * and failing writes.
 */
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { LeaseJournal, LeaseJournalError } from '../../src/gateway/lease-journal.js';
import { encodeRecord, type LeaseRecord, replayJournal } from '../../src/gateway/lease-records.js';
import { FakeClock } from '../../src/nat/clock.js';
import { type ForwardSpec, ForwardTable } from '../../src/nat/forward-table.js';

const dir = mkdtempSync(join(tmpdir(), 'natsim-leases-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (): string => join(dir, `leases-${++n}.journal`);

const spec = (externalPort: number, over: Partial<ForwardSpec> = {}): ForwardSpec => ({
  protocol: 'tcp',
  externalPort,
  internalClient: '192.168.1.2',
  internalPort: externalPort,
  description: `m${externalPort}`,
  leaseSeconds: 3600,
  origin: 'upnp',
  ...over,
});
const lease = (externalPort: number, over: Partial<LeaseRecord> = {}): LeaseRecord => ({
  protocol: 'tcp',
  externalPort,
  internalClient: '192.168.1.2',
  internalPort: externalPort,
  remoteHost: '',
  description: `m${externalPort}`,
  expiresAtMs: 0,
  leaseSeconds: 0,
  origin: 'upnp',
  enabled: true,
  owner: '192.168.1.2',
  ...over,
});
const HEADER = encodeRecord({ op: 'header', format: 'natsim-leases', version: 1 });

/** A table, a model clock and a wall clock that a test moves. */
function world(wallStart = 1_700_000_000_000) {
  const clock = new FakeClock(5_000);
  const wall = { now: wallStart };
  return { forwards: new ForwardTable(), clock, wall, wallClock: () => wall.now };
}

describe('journal records', () => {
  it('replays puts and dels into table order: a put on a present key replaces in place', () => {
    const text =
      HEADER +
      [
        encodeRecord({ op: 'put', lease: lease(1001) }),
        encodeRecord({ op: 'put', lease: lease(1002) }),
        encodeRecord({ op: 'put', lease: lease(1003) }),
        encodeRecord({ op: 'put', lease: lease(1001, { description: 'refreshed' }) }),
        encodeRecord({ op: 'del', protocol: 'tcp', externalPort: 1002, remoteHost: '' }),
        encodeRecord({ op: 'put', lease: lease(1002, { internalPort: 9 }) }),
      ].join('');
    const r = replayJournal(text);
    expect(r.problems).toEqual([]);
    expect(r.header).toEqual({ op: 'header', format: 'natsim-leases', version: 1 });
    expect(r.leases.map((l) => [l.externalPort, l.description, l.internalPort])).toEqual([
      [1001, 'refreshed', 1001],
      [1003, 'm1003', 1003],
      [1002, 'm1002', 9],
    ]);
  });

  it('drops a partial last record and a damaged one, with their line numbers', () => {
    const good = encodeRecord({ op: 'put', lease: lease(2001) });
    const damaged = encodeRecord({ op: 'put', lease: lease(2002) }).replace('2002', '2009'); // checksum no longer fits
    const partial = encodeRecord({ op: 'put', lease: lease(2003) }).slice(0, 30);
    const r = replayJournal(HEADER + good + damaged + good.replace(/^[0-9a-f]{8}/, 'zzzzzzzz') + partial);
    expect(r.leases.map((l) => l.externalPort)).toEqual([2001]);
    expect(r.problems.map((p) => [p.line, p.reason])).toEqual([
      [3, 'bad-checksum'],
      [4, 'bad-checksum'],
      [5, 'partial-record'],
    ]);
    expect(r.problems[2]!.message).toMatch(/line 5: a partial record at the end \(30 bytes/);
  });

  it('drops a record whose checksum fits but whose fields do not', () => {
    const json = JSON.stringify({ op: 'put', p: 'tcp', e: 70000 });
    const line = `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
    expect(replayJournal(HEADER + line).problems.map((p) => p.reason)).toEqual(['bad-record']);
  });
});

describe('LeaseJournal', () => {
  it('restores mappings with their remaining lease on the wall clock, in table order, expired ones dropped', async () => {
    const path = file();
    const a = world();
    const j1 = await LeaseJournal.open({ path, forwards: a.forwards, clock: a.clock, wallClock: a.wallClock });
    expect(j1.report).toMatchObject({ created: true, restored: 0, expired: 0 });
    a.forwards.add(spec(3001, { leaseSeconds: 100 }), a.clock.now());
    a.forwards.add(spec(3002, { leaseSeconds: 0, protocol: 'udp', remoteHost: '198.51.100.7' }), a.clock.now());
    a.forwards.add(spec(3003, { leaseSeconds: 1000 }), a.clock.now());
    a.forwards.add(spec(3004, { origin: 'alg' }), a.clock.now()); // not a client's mapping: not kept
    a.forwards.add(spec(3001, { leaseSeconds: 600, description: 'renewed' }), a.clock.now()); // in place
    await j1.flush();
    await j1.close();

    // natsim was down for 200 s of wall-clock time; the new process's model clock starts elsewhere.
    const b = world(a.wall.now + 200_000);
    const j2 = await LeaseJournal.open({ path, forwards: b.forwards, clock: b.clock, wallClock: b.wallClock });
    expect(j2.report).toMatchObject({ created: false, restored: 3, expired: 0, problems: [], refused: [] });
    const rows = b.forwards
      .list()
      .map((e) => [e.protocol, e.externalPort, e.description, e.remoteHost, ForwardTable.remainingSeconds(e, b.clock.now())]);
    expect(rows).toEqual([
      ['tcp', 3001, 'renewed', '', 400],
      ['udp', 3002, 'm3002', '198.51.100.7', 0],
      ['tcp', 3003, 'm3003', '', 800],
    ]);
    await j2.close();

    // 500 s more: 3001's lease (400 s left) ran out while down; the permanent one stays.
    const c = world(b.wall.now + 500_000);
    const j3 = await LeaseJournal.open({ path, forwards: c.forwards, clock: c.clock, wallClock: c.wallClock });
    expect(j3.report).toMatchObject({ restored: 2, expired: 1 });
    expect(c.forwards.list().map((e) => e.externalPort)).toEqual([3002, 3003]);
    await j3.close();
  });

  it('forgets deleted and expired mappings', async () => {
    const path = file();
    const a = world();
    const j = await LeaseJournal.open({ path, forwards: a.forwards, clock: a.clock, wallClock: a.wallClock });
    a.forwards.add(spec(4001, { leaseSeconds: 10 }), a.clock.now());
    a.forwards.add(spec(4002), a.clock.now());
    a.forwards.add(spec(4003), a.clock.now());
    a.forwards.remove('tcp', 4002);
    a.clock.advance(11_000);
    a.forwards.expire(a.clock.now());
    await j.flush();
    await j.close();
    const r = replayJournal(readFileSync(path, 'utf8'));
    expect(r.leases.map((l) => l.externalPort)).toEqual([4003]);
  });

  it('keeps a damaged tail out: the partial record is dropped and reported, the rest restored, the file rewritten clean', async () => {
    const path = file();
    const a = world();
    const j = await LeaseJournal.open({ path, forwards: a.forwards, clock: a.clock, wallClock: a.wallClock });
    for (let p = 5001; p <= 5005; p++) a.forwards.add(spec(p), a.clock.now());
    await j.flush();
    await j.close();
    appendFileSync(path, encodeRecord({ op: 'put', lease: lease(5006) }).slice(0, 17)); // a write cut short
    const b = world();
    const j2 = await LeaseJournal.open({ path, forwards: b.forwards, clock: b.clock, wallClock: b.wallClock });
    expect(j2.report.restored).toBe(5);
    expect(j2.report.problems).toHaveLength(1);
    expect(j2.report.problems[0]).toMatchObject({ line: 7, reason: 'partial-record' });
    await j2.close();
    expect(replayJournal(readFileSync(path, 'utf8')).problems).toEqual([]);
  });

  it('refuses a file that is not a natsim journal with a stable code', async () => {
    const path = file();
    writeFileSync(path, 'TCP:8080:192.168.1.2:8080:0:miniupnpd line\n');
    const a = world();
    const err = await LeaseJournal.open({ path, forwards: a.forwards, clock: a.clock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeaseJournalError);
    expect(err).toMatchObject({ code: 'LEASE_FILE_FOREIGN', message: expect.stringMatching(/natsim leases import/) });
  });

  it("reports a mapping the table refuses on restore (the port is now the router's own)", async () => {
    const path = file();
    const a = world();
    const j = await LeaseJournal.open({ path, forwards: a.forwards, clock: a.clock, wallClock: a.wallClock });
    a.forwards.add(spec(6001), a.clock.now());
    a.forwards.add(spec(6002), a.clock.now());
    await j.close();
    const b = world();
    b.forwards.reservePort('tcp', 6001);
    const j2 = await LeaseJournal.open({ path, forwards: b.forwards, clock: b.clock, wallClock: b.wallClock });
    expect(j2.report.restored).toBe(1);
    expect(j2.report.refused.map((r) => [r.lease.externalPort, r.reason])).toEqual([
      [6001, expect.stringMatching(/used by the router itself/)],
    ]);
    await j2.close();
  });

  it('compacts: churn on a few mappings keeps the file small', async () => {
    const path = file();
    const a = world();
    const j = await LeaseJournal.open({ path, forwards: a.forwards, clock: a.clock, wallClock: a.wallClock, compactAfter: 100 });
    for (let round = 0; round < 50; round++) {
      for (let p = 7001; p <= 7010; p++) a.forwards.add(spec(p, { description: `round ${round}` }), a.clock.now());
      for (let p = 7001; p <= 7005; p++) a.forwards.remove('tcp', p);
      await j.flush();
    }
    expect(j.compactions).toBeGreaterThan(0);
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n').length).toBeLessThan(250); // 50 rounds × 15 records = 750 without compaction
    const r = replayJournal(text);
    expect(r.leases.map((l) => [l.externalPort, l.description])).toEqual([7006, 7007, 7008, 7009, 7010].map((p) => [p, 'round 49']));
    expect(statSync(path).size).toBeGreaterThan(0);
    await j.close();
  });

  it('rejects the waiting flush when a write fails, and rewrites the whole journal on the next one', async () => {
    const path = file();
    const a = world();
    let fail = false;
    const j = await LeaseJournal.open({
      path,
      forwards: a.forwards,
      clock: a.clock,
      wallClock: a.wallClock,
      beforeWrite: () => {
        if (fail) throw new Error('disk on fire');
      },
    });
    a.forwards.add(spec(8001), a.clock.now());
    await j.flush();
    fail = true;
    a.forwards.add(spec(8002), a.clock.now());
    await expect(j.flush()).rejects.toThrow(/disk on fire/);
    expect(j.durable).toBe(false);
    fail = false;
    a.forwards.add(spec(8003), a.clock.now());
    await j.flush();
    expect(replayJournal(readFileSync(path, 'utf8')).leases.map((l) => l.externalPort)).toEqual([8001, 8002, 8003]);
    await j.close();
  });

  it('writes into preallocated space; a record cut short there is dropped and reported, the zeros skipped', async () => {
    const path = file();
    const a = world();
    const j = await LeaseJournal.open({ path, forwards: a.forwards, clock: a.clock, wallClock: a.wallClock });
    for (let p = 9501; p <= 9503; p++) a.forwards.add(spec(p), a.clock.now());
    await j.flush();
    await j.close();
    const bytes = readFileSync(path);
    expect(bytes.length).toBeGreaterThanOrEqual(64 * 1024); // zero-filled ahead of the records
    const end = bytes.indexOf(0);
    expect(bytes.subarray(end).every((b) => b === 0)).toBe(true);
    expect(replayJournal(bytes.toString('utf8'))).toMatchObject({ problems: [], records: 4 });
    // A crash in the middle of the next write: part of a record, then the zeros.
    const torn = encodeRecord({ op: 'put', lease: lease(9504) }).slice(0, 40);
    const fd = openSync(path, 'r+');
    writeSync(fd, torn, end);
    closeSync(fd);
    const r = replayJournal(readFileSync(path, 'utf8'));
    expect(r.leases.map((l) => l.externalPort)).toEqual([9501, 9502, 9503]);
    expect(r.problems).toEqual([
      { line: 5, reason: 'partial-record', message: 'line 5: a partial record at the end (40 bytes without a line end) was dropped' },
    ]);
  });

  it('groups the records of concurrent changes into few writes', async () => {
    const path = file();
    const a = world();
    const j = await LeaseJournal.open({ path, forwards: a.forwards, clock: a.clock, wallClock: a.wallClock });
    const before = j.writes;
    const flushes: Array<Promise<void>> = [];
    for (let p = 9001; p <= 9100; p++) {
      a.forwards.add(spec(p), a.clock.now());
      flushes.push(j.flush());
    }
    await Promise.all(flushes);
    expect(j.writes - before).toBeLessThanOrEqual(2);
    expect(replayJournal(readFileSync(path, 'utf8')).leases).toHaveLength(100);
    await j.close();
  });
});
