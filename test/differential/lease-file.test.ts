/**
 * natsim's lease file against the real miniupnpd 2.3.1 (Debian miniupnpd-nftables), both ways,
 * in the differential lab's network namespaces (lab.sh: unique names, always deleted):
 *
 * - natsim → miniupnpd: a natsim lease journal is exported with `natsim leases export` and given
 *   to miniupnpd as its `lease_file` (lab.sh MINIUPNPD_LEASES) before it starts; miniupnpd
 *   reloads it, and upnpc on the LAN host lists the mappings with their remaining lease.
 * - miniupnpd → natsim: upnpc maps a port through miniupnpd; miniupnpd's own lease file is
 *   imported with `natsim leases import`, and a gateway started on that journal lists it.
 *
 * Needs root, iproute2, nftables, miniupnpd-nftables, coturn and miniupnpc (`npm test` installs
 * them as root); without them it fails, naming what is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLeaseJournal } from '../../src/gateway/lease-journal.js';
import { type LeaseRecord, replayJournal } from '../../src/gateway/lease-records.js';
import { startGateway } from '../../src/gateway/start-gateway.js';
import { type LabProcess, startLabProcess } from './lab-process.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ME = '10.77.0.2';
const tmp = mkdtempSync(join(tmpdir(), 'natsim-lease-diff-'));

interface Lab {
  readonly lan: string;
  readonly dir: string;
  readonly miniupnpd: string;
}

function missingRequirement(): string | undefined {
  if (process.getuid?.() !== 0) return 'the lease-file lab needs root (network namespaces)';
  const need: Record<string, string> = {
    ip: 'iproute2',
    nft: 'nftables',
    miniupnpd: 'miniupnpd-nftables',
    turnserver: 'coturn',
    upnpc: 'miniupnpc',
  };
  for (const [bin, pkg] of Object.entries(need)) {
    if (spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`], { stdio: 'ignore' }).status !== 0) {
      return `${bin} is missing: apt-get install -y --no-install-recommends ${pkg}`;
    }
  }
  return undefined;
}

/** `natsim …` as a real process; resolves with its exit code and output. */
function natsim(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/natsim.js', ...args], { cwd: REPO, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lease = (over: Partial<LeaseRecord> & Pick<LeaseRecord, 'protocol' | 'externalPort'>): LeaseRecord => ({
  internalClient: ME,
  internalPort: over.externalPort,
  remoteHost: '',
  description: `natsim ${over.externalPort}`,
  expiresAtMs: 0,
  leaseSeconds: 0,
  origin: 'upnp',
  enabled: true,
  owner: ME,
  ...over,
});

describe('lease file: natsim and the real miniupnpd 2.3.1 (network namespaces)', () => {
  let running: LabProcess<Lab> | undefined;
  let lab: Lab | undefined;
  const journal = join(tmp, 'natsim.journal');
  const exported = join(tmp, 'exported.leases');

  beforeAll(async () => {
    const missing = missingRequirement();
    if (missing !== undefined) throw new Error(missing);
    // A natsim lease file as `natsim serve --lease-file` leaves it, exported for miniupnpd.
    const now = Date.now();
    await writeLeaseJournal(journal, [
      lease({
        protocol: 'tcp',
        externalPort: 46001,
        description: 'exported: with colons',
        expiresAtMs: now + 3_600_000,
        leaseSeconds: 3600,
      }),
      lease({ protocol: 'udp', externalPort: 46002 }),
      lease({ protocol: 'tcp', externalPort: 46003, remoteHost: '100.64.0.2' }),
      lease({ protocol: 'udp', externalPort: 46004, expiresAtMs: now - 1000, leaseSeconds: 60 }),
    ]);
    const ex = natsim('leases', 'export', '--lease-file', journal, '--output', exported);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stderr).toMatch(/not exported: TCP 46003 → 10\.77\.0\.2:46003: restricted to remote host 100\.64\.0\.2/);
    expect(ex.stderr).toMatch(/not exported: UDP 46004 .*the lease has run out/);

    running = await startLabProcess<Lab>('natsim-gateway.ts', { MINIUPNPD_LEASES: exported });
    lab = running.lab;
  }, 60_000);

  afterAll(async () => {
    rmSync(tmp, { recursive: true, force: true });
    await running?.stop();
  }, 20_000);

  const upnpc = (...args: string[]): string => {
    const r = spawnSync('ip', ['netns', 'exec', lab!.lan, 'upnpc', '-u', `${lab!.miniupnpd}/rootDesc.xml`, ...args], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    return `${r.stdout}${r.stderr}`;
  };

  it('miniupnpd restores what natsim exported, with the remaining lease', () => {
    const out = upnpc('-l');
    // upnpc -l: " i protocol exPort->inAddr:inPort description remoteHost leaseTime"
    const rows = out.split('\n').filter((l) => /^\s*\d+\s+(TCP|UDP)\s+\d+->/.test(l));
    const tcp = rows.find((l) => l.includes('46001->'));
    const udp = rows.find((l) => l.includes('46002->'));
    expect(tcp, out).toMatch(/TCP\s+46001->10\.77\.0\.2:46001\s+'exported: with colons'\s+''\s+(\d+)/);
    const left = Number(/'' (\d+)\s*$/.exec(tcp!)![1]);
    expect(left).toBeGreaterThan(3500);
    expect(left).toBeLessThanOrEqual(3600);
    expect(udp, out).toMatch(/UDP\s+46002->10\.77\.0\.2:46002\s+'natsim 46002'\s+''\s+0/);
    expect(rows.some((l) => l.includes('46003->') || l.includes('46004->'))).toBe(false);
  });

  it('natsim imports the lease file miniupnpd writes and serves its mappings', async () => {
    const added = upnpc('-e', 'from miniupnpd', '-a', ME, '46010', '46010', 'UDP', '900');
    expect(added).toMatch(/is redirected to internal 10\.77\.0\.2:46010 \(duration=900\)/);
    const real = readFileSync(join(lab!.dir, 'upnp.leases'), 'utf8');
    // miniupnpd's own line: PROTO:EXTPORT:INTCLIENT:INTPORT:TIMESTAMP:DESC, TIMESTAMP in Unix time.
    const line = real.split('\n').find((l) => l.startsWith('UDP:46010:'));
    expect(line, real).toMatch(/^UDP:46010:10\.77\.0\.2:46010:(\d+):from miniupnpd$/);
    const stamp = Number(line!.split(':')[4]);
    expect(Math.abs(stamp - (Math.floor(Date.now() / 1000) + 900))).toBeLessThan(10);

    const target = join(tmp, 'imported.journal');
    const im = natsim('leases', 'import', join(lab!.dir, 'upnp.leases'), '--lease-file', target);
    expect(im.code, im.stderr).toBe(0);
    expect(im.stderr).toMatch(/3 mapping\(s\) imported/);
    expect(
      replayJournal(readFileSync(target, 'utf8'))
        .leases.map((l) => `${l.protocol} ${l.externalPort}`)
        .sort(),
    ).toEqual(['tcp 46001', 'udp 46002', 'udp 46010']);

    await using gw = await startGateway({ lan: '10.77.0.0/24', wan: '100.64.0.1', mxDelay: 'none', leaseFile: target });
    expect(gw.leases).toMatchObject({ restored: 3, expired: 0, refused: [], problems: [] });
    const m = gw.listMappings().find((e) => e.externalPort === 46010)!;
    expect(m).toMatchObject({ protocol: 'UDP', internalClient: ME, internalPort: 46010, description: 'from miniupnpd', origin: 'upnp' });
    expect(m.leaseDuration).toBeGreaterThan(880);
    expect(m.leaseDuration).toBeLessThanOrEqual(900);
  });
});
