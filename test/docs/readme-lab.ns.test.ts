/**
 * The README's lab transcript stays true: the same `natsim lab examples/lab-cgn.yaml --verbose
 * --run phone -- turnutils_natdiscovery -m -f 198.51.100.6`, run here (inside a sealed network
 * namespace; the lab makes its own), prints the lines the README shows — the phone's own local
 * ports aside, which the kernel picks — and the simulation agrees with the classification.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { requireTool } from '../interop/netns.js';
import { natsim, ROOT } from '../support/natsim-cli.js';
import { IN_NETNS, reexecInNamespace } from '../support/sealed-namespace.js';

reexecInNamespace('test/docs/readme-lab.ns.test.ts', 'README: the lab transcript');

/** Lines with the phone's kernel-chosen ports replaced, sorted (stdout and stderr interleave freely). */
const normalize = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.replace(/(0\.0\.0\.0|192\.168\.1\.10):\d+/g, '$1:LOCAL'))
    .sort();

if (IN_NETNS) {
  it('natsim lab prints what the README shows, and natsim run classifies the same', async () => {
    requireTool('turnutils_natdiscovery', 'coturn');
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    const start = readme.indexOf('$ cat out.txt\n', readme.indexOf('## The lab: real programs'));
    expect(start).toBeGreaterThan(0);
    const shown = readme.slice(start + '$ cat out.txt\n'.length, readme.indexOf('```\n', start));
    const r = await natsim(
      'lab',
      'examples/lab-cgn.yaml',
      '--verbose',
      '--run',
      'phone',
      '--',
      'turnutils_natdiscovery',
      '-m',
      '-f',
      '198.51.100.6',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(normalize(r.stdout + r.stderr)).toEqual(normalize(shown));
    const sim = await natsim('run', 'examples/lab-cgn.yaml');
    expect(sim.code, sim.stdout).toBe(0);
    expect(sim.stdout).toMatch(/PASS works {3}the phone classifies its NATs/);
  }, 60_000);
}
