/** The built-in default scenario and scenario-path expansion (kept light: the CLI loads it at start). */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioConfig } from '../scenario/schema.js';
import { scenarioPath } from '../scenario/shipped.js';

/** The scenario played when none is named. */
export const DEFAULT_SCENARIO = scenarioPath('default');

/** Where `npm run build` leaves the default scenario, validated: `dist/default-scenario.json`. */
export const PREVALIDATED_NAME = 'default-scenario.json';

/** What the build writes: the validated config of the default scenario and the hash of the YAML it came from. */
export interface PrevalidatedScenario {
  readonly sha256: string;
  readonly config: ScenarioConfig;
}

/** SHA-256 of a file's bytes, hex. */
export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The default scenario as the build validated it, when the YAML has not changed since (same
 * SHA-256); undefined otherwise (then the file is loaded and validated as any other). Saves
 * `natsim serve` loading the YAML parser and the schema at start.
 */
export async function prevalidatedDefaultScenario(): Promise<ScenarioConfig | undefined> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    for (const candidate of [join(dir, PREVALIDATED_NAME), join(dir, 'dist', PREVALIDATED_NAME)]) {
      if (existsSync(candidate)) return prevalidatedScenario(candidate, DEFAULT_SCENARIO);
    }
    dir = dirname(dir);
  }
  return undefined;
}

/** The config in `jsonPath` if it was made from `yamlPath` as it is now (same SHA-256), else undefined. */
export async function prevalidatedScenario(jsonPath: string, yamlPath: string): Promise<ScenarioConfig | undefined> {
  try {
    const [json, yaml] = await Promise.all([readFile(jsonPath, 'utf8'), readFile(yamlPath)]);
    const pre = JSON.parse(json) as PrevalidatedScenario;
    return pre.sha256 === sha256(yaml) ? pre.config : undefined;
  } catch {
    return undefined;
  }
}

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
