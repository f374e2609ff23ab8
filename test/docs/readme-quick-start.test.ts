// The README Quick start's "Other things to try", run in order as on a fresh clone: every
// command exits 0 (natsim init writes the my-scenario.yaml the later lines use).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function commands(): string[][] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = readme.split('Other things to try:')[1]?.split('```sh\n')[1]?.split('```')[0];
  expect(block, 'the Quick start has an "Other things to try" sh block').toBeDefined();
  return block!
    .trim()
    .split('\n')
    .map((line) => {
      const cmd = line.replace(/\s+#.*$/, '');
      expect(cmd.startsWith('npx natsim '), line).toBe(true);
      // Split on spaces, keeping "double-quoted words" together.
      return [...cmd.slice('npx natsim '.length).matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
    });
}

describe('README Quick start', () => {
  it('every "Other things to try" command exits 0, in order, in a fresh directory with the shipped scenarios', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natsim-quick-start-'));
    symlinkSync(join(ROOT, 'scenarios'), join(dir, 'scenarios'));
    const list = commands();
    expect(list.map((c) => c[0])).toEqual(expect.arrayContaining(['init', 'validate', 'run']));
    expect(list.findIndex((c) => c[0] === 'init')).toBeLessThan(list.findIndex((c) => c[0] === 'validate'));
    for (const args of list) {
      const r = await new Promise<{ code: number; stderr: string }>((resolve, reject) => {
        execFile(
          process.execPath,
          [join(ROOT, 'bin', 'natsim.js'), ...args],
          { cwd: dir, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
          (err, _out, stderr) => {
            if (err && typeof err.code !== 'number') return reject(err);
            resolve({ code: err ? (err.code as number) : 0, stderr });
          },
        );
      });
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
  }, 120_000);
});
