// The README's cascade story (### Mapping on every layer of a cascade) against what natsim prints:
// the `natsim run` transcript exactly, every line of the `natsim explain` transcript that is not
// elided, its "Why" paragraph, and the YAML excerpt as it stands in the shipped scenario.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCENARIO = 'scenarios/wm-04-isp-nat-pcp.yaml';
const CHECK = 'alice calls bob (audio/video)';

function section(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const s = readme.split('### Mapping on every layer of a cascade\n')[1]?.split('\n### ')[0];
  expect(s, 'the README has the cascade section').toBeDefined();
  return s!;
}

/** The fenced block that starts with `first` (its first line), without the fences. */
function block(text: string, first: string): string[] {
  const start = text.indexOf(`\`\`\`\n${first}\n`);
  expect(start, `a block starting "${first}"`).toBeGreaterThanOrEqual(0);
  const body = text.slice(start + 4);
  return body.slice(0, body.indexOf('\n```')).split('\n');
}

function natsim(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'natsim.js'), ...args], { cwd: ROOT, timeout: 30_000 }, (err, out) => {
      if (err) return reject(err);
      resolve(out);
    });
  });
}

describe('README: Mapping on every layer of a cascade', () => {
  it('the natsim run transcript is what natsim run prints', async () => {
    const [cmd, ...shown] = block(section(), `$ npx natsim run ${SCENARIO}`);
    expect(cmd).toBe(`$ npx natsim run ${SCENARIO}`);
    expect(shown.join('\n')).toBe((await natsim('run', SCENARIO)).trimEnd());
  });

  it('every line of the explain transcript not elided is a line natsim explain prints; the Why paragraph is its Why', async () => {
    const shown = block(section(), `$ npx natsim explain ${SCENARIO} --check "${CHECK}"`).slice(1);
    const out = (await natsim('explain', SCENARIO, '--check', CHECK)).split('\n');
    const why = shown.findIndex((l) => l.startsWith('Why: '));
    const end = shown.findIndex((l, i) => i > why && l === '');
    expect(shown.slice(why, end).join(' ')).toBe(out.find((l) => l.startsWith('Why: ')));
    for (const line of [...shown.slice(0, why), ...shown.slice(end)].filter((l) => l.trim() !== '…')) expect(out).toContain(line);
  });

  it('the YAML excerpt is the shipped scenario’s, line for line', () => {
    const s = section();
    const yaml = s.slice(s.indexOf('```yaml\n') + 8, s.indexOf('\n```', s.indexOf('```yaml\n')));
    const file = readFileSync(join(ROOT, SCENARIO), 'utf8')
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('#'));
    for (const line of yaml.split('\n')) expect(file).toContain(line);
  });
});
