/**
 * The README's router-services transcript stays true: the commands it shows (`natsim lab
 * examples/lab-upnp.yaml --verbose --background laptop=… --run web -- sh -c …`, taken from the
 * README itself), run here inside a sealed network namespace (the lab makes its own), print the
 * lines it shows — the IGD's HTTP port, the client's source port and socat's time stamp aside.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { requireTool } from '../interop/netns.js';
import { natsim, ROOT } from '../support/natsim-cli.js';
import { IN_NETNS, reexecInNamespace } from '../support/sealed-namespace.js';

reexecInNamespace('test/docs/readme-lab-services.ns.test.ts', 'README: the lab’s router-services transcript');

/** Lines with what the kernel or the clock picks replaced, sorted (stdout and stderr interleave freely). */
const normalize = (text: string): string[] =>
  text
    .split('\n')
    .map((l) =>
      l
        .trimEnd()
        .replace(/192\.168\.1\.1:\d+/g, '192.168.1.1:PORT')
        .replace(/198\.51\.100\.20:\d+/g, '198.51.100.20:PORT')
        .replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d socat\[\d+\]/, 'TIME socat[PID]'),
    )
    .filter(Boolean)
    .sort();

if (IN_NETNS) {
  it('natsim lab prints what the README shows: the drop before the mapping, upnpc’s mapping, the connection after', async () => {
    requireTool('upnpc', 'miniupnpc');
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    const start = readme.indexOf('$ sudo natsim lab examples/lab-upnp.yaml --verbose');
    expect(start).toBeGreaterThan(0);
    const block = readme.slice(start, readme.indexOf('```\n', start));
    const [first, second, third, ...shown] = block.split('\n');
    expect(first).toBe('$ sudo natsim lab examples/lab-upnp.yaml --verbose \\');
    const background = second!.match(/^ {4}--background laptop='(.*)' \\$/)?.[1];
    const foreground = third!.match(/^ {4}--run web -- sh -c '(.*)'$/)?.[1];
    expect(background).toBeDefined();
    expect(foreground).toBeDefined();
    const r = await natsim(
      'lab',
      'examples/lab-upnp.yaml',
      '--verbose',
      '--background',
      `laptop=${background}`,
      '--run',
      'web',
      '--',
      'sh',
      '-c',
      foreground!,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(normalize(r.stdout + r.stderr)).toEqual(normalize(shown.join('\n')));
  }, 60_000);
}
