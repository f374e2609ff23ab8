/** The built-in default scenario and scenario-path expansion (kept light: the CLI loads it at start). */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's scenarios folder, found upwards from this module (src/cli, dist/cli or a bundle chunk). */
function packageScenarios(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'scenarios', 'default.yaml');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return fileURLToPath(new URL('../../scenarios/default.yaml', import.meta.url));
}

/** The scenario played when none is named. */
export const DEFAULT_SCENARIO = packageScenarios();

/** Expands files and directories into scenario files (sorted, .yaml/.yml). */
export async function scenarioFiles(inputs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const input of inputs.length ? inputs : [DEFAULT_SCENARIO]) {
    const st = await stat(input).catch(() => undefined);
    if (st?.isDirectory()) {
      const names = (await readdir(input)).filter((n) => /\.ya?ml$/.test(n)).sort();
      out.push(...names.map((n) => join(input, n)));
    } else {
      out.push(input);
    }
  }
  return out;
}
