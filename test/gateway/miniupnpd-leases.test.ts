/**
 * miniupnpd's lease-file format (src/gateway/miniupnpd-leases.ts) and `natsim leases
 * export|import` as real processes on files in a temp directory. The lines are the ones
 * miniupnpd 2.3.1's lease_file_add() writes (`%s:%hu:%s:%hu:%u:%s`); the lab test
 * (test/differential/lease-file.test.ts) reads and writes them with the real miniupnpd.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLeaseJournal } from '../../src/gateway/lease-journal.js';
import { type LeaseRecord, replayJournal } from '../../src/gateway/lease-records.js';
import { formatMiniupnpdLeases, MINIUPNPD_MAX_LINE, parseMiniupnpdLeases } from '../../src/gateway/miniupnpd-leases.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'natsim-miniupnpd-leases-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = 1_767_000_000_000; // Unix ms
const lease = (over: Partial<LeaseRecord> & Pick<LeaseRecord, 'protocol' | 'externalPort'>): LeaseRecord => ({
  internalClient: '192.168.1.2',
  internalPort: over.externalPort,
  remoteHost: '',
  description: `d${over.externalPort}`,
  expiresAtMs: 0,
  leaseSeconds: 0,
  origin: 'upnp',
  enabled: true,
  owner: '192.168.1.2',
  ...over,
});

describe('miniupnpd lease file format', () => {
  it('reads PROTO:EXTPORT:INTCLIENT:INTPORT:TIMESTAMP:DESC with Unix-time expiries; the description keeps its colons', () => {
    const text = `${[
      `TCP:8080:192.168.1.20:80:${NOW / 1000 + 3600}:web: with colons `,
      'UDP:51413:192.168.1.21:51413:0:Transmission at 51413',
      `udp:5000:192.168.1.22:5000:${NOW / 1000 - 5}:ran out`,
      `TCP:8080:192.168.1.20:81:${NOW / 1000 + 60}:updated`, // a later line for the same port wins, in place
    ].join('\n')}\n`;
    const r = parseMiniupnpdLeases(text, { nowMs: NOW });
    expect(r.problems).toEqual([]);
    expect(r.expired).toBe(1);
    expect(
      r.leases.map((l) => [l.protocol, l.externalPort, l.internalClient, l.internalPort, l.description, l.expiresAtMs, l.leaseSeconds]),
    ).toEqual([
      ['tcp', 8080, '192.168.1.20', 81, 'updated', NOW + 60_000, 60],
      ['udp', 51413, '192.168.1.21', 51413, 'Transmission at 51413', 0, 0],
    ]);
  });

  it('reads the LEASEFILE_USE_REMAINING_TIME variant (seconds left)', () => {
    const r = parseMiniupnpdLeases('TCP:9000:10.0.0.5:9000:120:rem\n', { nowMs: NOW, time: 'remaining' });
    expect(r.leases[0]).toMatchObject({ expiresAtMs: NOW + 120_000, leaseSeconds: 120 });
  });

  it('names each line it cannot read', () => {
    const r = parseMiniupnpdLeases(
      [
        'garbage',
        'SCTP:1:10.0.0.1:1:0:x',
        'TCP:70000:10.0.0.1:1:0:x',
        'TCP:1:host.lan:1:0:x',
        'TCP:1:10.0.0.1:1:soon:x',
        'TCP:2:10.0.0.1:2:0:ok',
      ].join('\n'),
      { nowMs: NOW },
    );
    expect(r.leases.map((l) => l.externalPort)).toEqual([2]);
    expect(r.problems.map((p) => p.line)).toEqual([1, 2, 3, 4, 5]);
    expect(r.problems[1]!.message).toMatch(/protocol "SCTP"/);
  });

  it('writes what miniupnpd writes; a remote-host mapping or a lapsed lease is reported, not written', () => {
    const out = formatMiniupnpdLeases(
      [
        lease({ protocol: 'tcp', externalPort: 8080, internalPort: 80, description: 'web\r\nline', expiresAtMs: NOW + 3_599_500 }),
        lease({ protocol: 'udp', externalPort: 51413 }),
        lease({ protocol: 'tcp', externalPort: 443, remoteHost: '198.51.100.9' }),
        lease({ protocol: 'udp', externalPort: 5000, expiresAtMs: NOW - 1 }),
      ],
      { nowMs: NOW },
    );
    expect(out.text).toBe(`TCP:8080:192.168.1.2:80:${NOW / 1000 + 3600}:webline\nUDP:51413:192.168.1.2:51413:0:d51413\n`);
    expect(out.skipped.map((s) => [s.lease.externalPort, s.reason])).toEqual([
      [443, expect.stringMatching(/no remote-host field/)],
      [5000, 'the lease has run out'],
    ]);
    expect(
      formatMiniupnpdLeases([lease({ protocol: 'tcp', externalPort: 1, expiresAtMs: NOW + 10_000 })], { nowMs: NOW, time: 'remaining' })
        .text,
    ).toBe('TCP:1:192.168.1.2:1:10:d1\n');
  });

  it('keeps lines within what miniupnpd reads whole, and round-trips', () => {
    const long = formatMiniupnpdLeases([lease({ protocol: 'tcp', externalPort: 2, description: 'é'.repeat(60_000) })], { nowMs: NOW });
    expect(Buffer.byteLength(long.text) - 1).toBeLessThanOrEqual(MINIUPNPD_MAX_LINE);
    const leases = [
      lease({ protocol: 'tcp', externalPort: 8080, expiresAtMs: NOW + 100_000, leaseSeconds: 100 }),
      lease({ protocol: 'udp', externalPort: 9 }),
    ];
    const back = parseMiniupnpdLeases(formatMiniupnpdLeases(leases, { nowMs: NOW }).text, { nowMs: NOW }).leases;
    expect(back).toEqual(leases);
  });
});

describe('natsim leases export|import', () => {
  const natsim = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/natsim.js', 'leases', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });

  it('exports a natsim lease file to stdout and to a file, reporting what miniupnpd cannot hold', async () => {
    const journal = join(dir, 'export.journal');
    const far = Date.now() + 3_600_000;
    await writeLeaseJournal(journal, [
      lease({ protocol: 'tcp', externalPort: 8080, expiresAtMs: far, leaseSeconds: 3600 }),
      lease({ protocol: 'udp', externalPort: 443, remoteHost: '198.51.100.9' }),
    ]);
    const r = natsim('export', '--lease-file', journal);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`TCP:8080:192.168.1.2:8080:${Math.ceil(far / 1000)}:d8080\n`);
    expect(r.stderr).toMatch(/not exported: UDP 443 → 192\.168\.1\.2:443: restricted to remote host 198\.51\.100\.9/);
    const out = join(dir, 'exported.leases');
    const f = natsim('export', '--lease-file', journal, '--output', out, '--time', 'remaining');
    expect(f.status, f.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^TCP:8080:192\.168\.1\.2:8080:(359\d|3600):d8080\n$/);
  });

  it('imports a miniupnpd lease file into a natsim lease file, merging with what it held', async () => {
    const journal = join(dir, 'import.journal');
    await writeLeaseJournal(journal, [lease({ protocol: 'tcp', externalPort: 7000 })]);
    const src = join(dir, 'upnp.leases');
    const t = Math.floor(Date.now() / 1000);
    writeFileSync(
      src,
      `UDP:51413:192.168.1.21:51413:${t + 600}:Transmission\nTCP:7000:192.168.1.2:7001:0:replaced\nTCP:22:192.168.1.5:22:${t - 10}:gone\n`,
    );
    const r = natsim('import', src, '--lease-file', journal);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2 mapping\(s\) imported into .*import\.journal \(2 in all\), 1 expired dropped/);
    expect(
      replayJournal(readFileSync(journal, 'utf8')).leases.map((l) => [l.protocol, l.externalPort, l.internalPort, l.description]),
    ).toEqual([
      ['tcp', 7000, 7001, 'replaced'],
      ['udp', 51413, 51413, 'Transmission'],
    ]);
    const bad = natsim('import', src, '--lease-file', journal, '--time', 'later');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--time must be absolute or remaining, not "later"/);
  });
});
