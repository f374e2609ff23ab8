/** `natsim init`: writes the commented starter scenario, which validates (strictly) and runs; never overwrites without --force. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, vi } from 'vitest';
import { STARTER_SCENARIO } from '../../src/scenario/starter.js';

vi.setConfig({ testTimeout: 40_000 });

const BIN = fileURLToPath(new URL('../../bin/natsim.js', import.meta.url));

function natsim(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd, timeout: 25_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

describe.concurrent('natsim init', () => {
  it('writes my-scenario.yaml, which validates with --strict and whose every check passes', async ({ expect }) => {
    const dir = mkdtempSync(join(tmpdir(), 'natsim-init-'));
    const r = await natsim(dir, 'init');
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'wrote my-scenario.yaml: a starter scenario with three routers, four hosts, two reflectors and five checks\nnext: npx natsim validate my-scenario.yaml && npx natsim run my-scenario.yaml\n',
    });
    expect(readFileSync(join(dir, 'my-scenario.yaml'), 'utf8')).toBe(STARTER_SCENARIO);
    const v = await natsim(dir, 'validate', '--strict', 'my-scenario.yaml');
    expect([v.code, v.stdout, v.stderr]).toEqual([0, 'my-scenario.yaml: ok\n', '']);
    const run = await natsim(dir, 'run', 'my-scenario.yaml');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('  5 passed, 0 failed\n');
    expect(run.stdout.match(/^ {2}PASS /gm)).toHaveLength(5);
    const explain = await natsim(dir, 'explain', 'my-scenario.yaml', '--check', 'alice and carol punch a hole');
    expect(explain.code).toBe(0);
  });

  it('refuses to overwrite an existing file (exit 2, file unchanged); --force overwrites it', async ({ expect }) => {
    const dir = mkdtempSync(join(tmpdir(), 'natsim-init-'));
    writeFileSync(join(dir, 'mine.yaml'), 'my own work\n');
    const r = await natsim(dir, 'init', 'mine.yaml');
    expect([r.code, r.stdout, r.stderr]).toEqual([
      2,
      '',
      'error: mine.yaml already exists; choose another name or add --force to overwrite it\n',
    ]);
    expect(readFileSync(join(dir, 'mine.yaml'), 'utf8')).toBe('my own work\n');
    const f = await natsim(dir, 'init', 'mine.yaml', '--force');
    expect(f.code).toBe(0);
    expect(readFileSync(join(dir, 'mine.yaml'), 'utf8')).toBe(STARTER_SCENARIO);
  });

  it('a directory that does not exist: exit 1 and one sentence', async ({ expect }) => {
    const dir = mkdtempSync(join(tmpdir(), 'natsim-init-'));
    const r = await natsim(dir, 'init', 'no/such/dir/x.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: cannot write no\/such\/dir\/x\.yaml: ENOENT: no such file or directory, open 'no\/such\/dir\/x\.yaml'\n$/,
    );
  });
});
