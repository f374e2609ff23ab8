/** `natsim matrix` spawned as users run it: `node bin/natsim.js matrix …`. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, vi } from 'vitest';

vi.setConfig({ testTimeout: 40_000 });

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TYPES = 'open, full-cone, restricted-cone, port-restricted-cone, symmetric, cgnat (each also as NAME+upnp)';

/** Runs the CLI from the repository root; never rejects on a non-zero exit. */
function natsim(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['bin/natsim.js', ...args], { cwd: ROOT, timeout: 25_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

describe.concurrent('natsim matrix', () => {
  it('text (default): the classic five, three cells that fail, each with its drop, exit 0', async ({ expect }) => {
    const r = await natsim('matrix');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[2]!.split(/ {2,}/)).toEqual([
      'row \\ column',
      'open',
      'full-cone',
      'restricted-cone',
      'port-restricted-cone',
      'symmetric',
    ]);
    expect(lines[3]!.split(/ {2,}/)).toEqual(['open', 'direct', 'direct', 'direct', 'direct', 'direct']);
    expect(lines[7]!.split(/ {2,}/)).toEqual([
      'symmetric',
      'direct',
      'direct',
      'direct',
      'fails at router-b (filtered)',
      'fails at router-b (filtered)',
    ]);
    expect(lines.filter((l) => l.startsWith('  '))).toEqual([
      expect.stringMatching(/^ {2}port-restricted-cone × symmetric: fails at router-b \(filtered\): dropped at router-b: /),
      expect.stringMatching(/^ {2}symmetric × port-restricted-cone: fails at router-b \(filtered\): dropped at router-b: /),
      expect.stringMatching(/^ {2}symmetric × symmetric: fails at router-b \(filtered\): dropped at router-b: /),
    ]);
  });

  it('--format markdown: a table of five rows', async ({ expect }) => {
    const r = await natsim('matrix', '--format', 'markdown');
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| **'));
    expect(rows).toHaveLength(5);
    expect(rows[4]!.split(/ *\| */)).toEqual([
      '',
      '**symmetric**',
      'direct',
      'direct',
      'direct',
      'fails at router-b (filtered)',
      'fails at router-b (filtered)',
      '',
    ]);
    // Padded as a formatter pads it (the README pastes this output unchanged).
    expect(
      new Set(
        r.stdout
          .split('\n')
          .filter((l) => l.startsWith('|'))
          .map((l) => l.length),
      ).size,
    ).toBe(1);
    // The README's "The NAT matrix" shows this very output.
    expect(readFileSync(`${ROOT}README.md`, 'utf8')).toContain(r.stdout.trimEnd());
  });

  it('--format json --types … --cgnat: the stable shape, behind the carrier NAT', async ({ expect }) => {
    const r = await natsim('matrix', '--format', 'json', '--types', 'cgnat,symmetric', '--cgnat');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ rows: ['cgnat', 'symmetric'], columns: ['cgnat', 'symmetric'], cgnat: true });
    expect(j.cells.map((c: { outcome: string }) => c.outcome)).toEqual(['direct', 'direct', 'direct', 'fails']);
    expect(j.cells[3].drop).toMatchObject({ router: 'router-b', reason: 'filtered' });
    expect(j.cells[3].drop.why).toContain('203.0.113.1:');
  });

  it('an unknown type is a usage error naming the types, exit 2', async ({ expect }) => {
    const r = await natsim('matrix', '--types', 'full-cone,moderate');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`error: --types: unknown NAT type "moderate"; types: ${TYPES}\n`);
  });

  it('run --matrix: its types are checked first, and it needs --report', async ({ expect }) => {
    const [typo, alone] = await Promise.all([
      natsim('run', '--report', '/nonexistent/r.html', '--matrix', 'symetric'),
      natsim('run', '--matrix'),
    ]);
    expect([typo.code, typo.stdout, typo.stderr]).toEqual([2, '', `error: --matrix: unknown NAT type "symetric"; types: ${TYPES}\n`]);
    expect([alone.code, alone.stdout, alone.stderr]).toEqual([
      2,
      '',
      'error: --matrix adds the NAT matrix to the report: give --report FILE too\n',
    ]);
  });

  it('NAME+upnp and --upnp: the router offers UPnP, and a symmetric NAT with UPnP punches through a port-restricted cone', async ({
    expect,
  }) => {
    const [mixed, all] = await Promise.all([
      natsim('matrix', '--format', 'json', '--types', 'port-restricted-cone,symmetric,symmetric+upnp'),
      natsim('matrix', '--format', 'json', '--upnp', '--types', 'symmetric'),
    ]);
    expect(mixed.code).toBe(0);
    const j = JSON.parse(mixed.stdout);
    expect(j.rows).toEqual(['port-restricted-cone', 'symmetric', 'symmetric+upnp']);
    const at = (r: string, c: string) => j.cells.find((x: { row: string; column: string }) => x.row === r && x.column === c).outcome;
    expect(at('port-restricted-cone', 'symmetric')).toBe('fails');
    expect(at('port-restricted-cone', 'symmetric+upnp')).toBe('direct');
    expect(at('symmetric+upnp', 'symmetric')).toBe('direct');
    expect(JSON.parse(all.stdout)).toMatchObject({ rows: ['symmetric+upnp'], cells: [{ outcome: 'direct' }] });
  });

  it('--scenario FILE: the rows and columns are its routers; --types picks router ids; an unknown id is a usage error, a missing file exit 1', async ({
    expect,
  }) => {
    const file = 'scenarios/nat-catalogue-hole-punch.yaml';
    const [picked, typo, bad] = await Promise.all([
      natsim('matrix', '--scenario', file, '--types', 'prc-a,sym-a,sym-upnp'),
      natsim('matrix', '--scenario', file, '--types', 'prc-a,sym'),
      natsim('matrix', '--scenario', 'scenarios/no-such-file.yaml'),
    ]);
    expect(picked.stderr).toBe('');
    expect(picked.code).toBe(0);
    const lines = picked.stdout.split('\n');
    expect(lines[0]).toContain(`Rows and columns are the routers of ${file}`);
    expect(lines[2]!.split(/ {2,}/)).toEqual(['row \\ column', 'prc-a', 'sym-a', 'sym-upnp']);
    expect(lines[3]!.split(/ {2,}/)).toEqual(['prc-a', 'direct', 'fails at router-b (filtered)', 'direct']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^error: --types: unknown router "sym"; routers: fc-a, rc-a, prc-a, sym-a, /);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('no-such-file.yaml');
  });

  it('a type listed twice and an unknown format are usage errors, exit 2', async ({ expect }) => {
    const [twice, fmt] = await Promise.all([natsim('matrix', '--types', 'symmetric,symmetric'), natsim('matrix', '--format', 'xml')]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toBe('error: --types: "symmetric" is listed twice\n');
    expect(fmt.code).toBe(2);
    expect(fmt.stderr).toBe('error: --format must be text, markdown, json or html, not "xml"\n');
  });
});
