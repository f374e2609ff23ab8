/**
 * `natsim validate` as users run it: every problem at file:line:col on stderr, warnings that
 * fail only with --strict, and the scenario-file limits.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, vi } from 'vitest';

vi.setConfig({ testTimeout: 40_000 });

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = mkdtempSync(join(tmpdir(), 'natsim-validate-'));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function natsim(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['bin/natsim.js', ...args],
      { cwd: ROOT, timeout: 25_000, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

function file(name: string, text: string | Uint8Array): string {
  const path = join(DIR, name);
  writeFileSync(path, text);
  return path;
}

const LINTED = file(
  'linted.yaml',
  `name: t
hosts:
  a: { address: 198.51.100.1 }
  b: { address: 10.0.0.2 }
checks:
  - { from: a, to: a, expect: works }
`,
);

const BROKEN = file(
  'broken.yaml',
  `name: t
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24 }
hosts:
  a: { router: hom, address: 192.168.1.10, colour: red }
  b: { address: 198.51.100.2 }
  c: { address: 198.51.100.2 }
checks:
  - { from: a, to: b, expect: work }
`,
);

describe.concurrent('natsim validate', () => {
  it('warnings: printed on stderr, the file is ok, exit 0', async ({ expect }) => {
    const r = await natsim('validate', LINTED);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${LINTED}: ok (2 warnings)\n`);
    expect(r.stderr).toBe(
      [
        `${LINTED}:4:17: warning: hosts.b.address: 10.0.0.2 is a private (RFC 1918) address, but host b is on the Internet, where such an address is not routed; use a public address (e.g. from 198.51.100.0/24) or put host b behind a router`,
        `${LINTED}:6:20: warning: checks.0.to: "from" and "to" are the same host (a): a host calling itself crosses no router, so the check tests nothing`,
        '',
      ].join('\n'),
    );
  });

  it('--strict: warnings fail, exit 1', async ({ expect }) => {
    const r = await natsim('validate', '--strict', LINTED);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(`${LINTED}: 2 warnings (--strict)`);
  });

  it('every problem of a file in one run: schema, references and the address run refuses, in file order', async ({ expect }) => {
    const r = await natsim('validate', BROKEN);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        `${BROKEN}:5:16: hosts.a.router: no router "hom" (did you mean "home"?); routers: home`,
        `${BROKEN}:5:44: hosts.a.colour: unknown key "colour"; expected one of: router, address, aliases, app, admin, description`,
        `${BROKEN}:7:17: hosts.c.address: address 198.51.100.2 is already used by host b on the Internet`,
        `${BROKEN}:9:31: checks.0.expect: expected one of "works", "fails", "relayed", got "work" (did you mean "works"?)`,
        '',
      ].join('\n'),
    );
  });

  it('run refuses the same file with the same located lines', async ({ expect }) => {
    const v = await natsim('validate', BROKEN);
    const r = await natsim('run', BROKEN);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(v.stderr);
  });

  it('--max-scenario-bytes must be a positive whole number', async ({ expect }) => {
    const r = await natsim('validate', '--max-scenario-bytes', 'lots', LINTED);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --max-scenario-bytes must be a whole number of bytes, at least 1, not "lots"\n');
  });
});
