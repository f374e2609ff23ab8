/**
 * The scenarios shipped with natsim (the package's `scenarios/` folder), by name: `default`,
 * `wm-04-isp-nat`, … — what `startGateway({ scenario: 'default' })` and `natsim run` use.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeValue, NatsimError } from '../errors.js';
import { didYouMean } from './errors.js';

/** The package's scenarios folder, found upwards from this module (src/scenario, dist/scenario or a bundle chunk). */
function findScenariosDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'scenarios');
    if (existsSync(join(candidate, 'default.yaml'))) return candidate;
    dir = dirname(dir);
  }
  return fileURLToPath(new URL('../../scenarios', import.meta.url));
}

/** Absolute path of the shipped `scenarios/` folder. */
export const SCENARIOS_DIR = findScenariosDir();

/** A scenario name as opposed to a path: letters, digits and dashes, no dot, no slash. */
export function isScenarioName(text: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9-]*$/.test(text);
}

/** Names of the shipped scenarios, sorted (`default`, `ichat-01-household-routers`, …). */
export function scenarioNames(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((n) => n.endsWith('.yaml'))
    .map((n) => n.slice(0, -'.yaml'.length))
    .sort();
}

/**
 * Absolute path of a shipped scenario: `scenarioPath('default')` → `…/natsim/scenarios/default.yaml`.
 * Throws {@link NatsimError} `ERR_NATSIM_UNKNOWN_SCENARIO` (with the known names) for any other name.
 */
export function scenarioPath(name: string): string {
  return shippedScenarioPath(name, { fn: 'scenarioPath' });
}

/** {@link scenarioPath} for another function's option (its errors name that function and option). */
export function shippedScenarioPath(name: string, where: { readonly fn: string; readonly option?: string }): string {
  if (typeof name !== 'string') {
    throw new NatsimError('ERR_NATSIM_INVALID_ARGUMENT', {
      ...where,
      reason: `expected a scenario name such as "default", got ${describeValue(name)}`,
    });
  }
  const base = name.endsWith('.yaml') ? name.slice(0, -'.yaml'.length) : name;
  const path = join(SCENARIOS_DIR, `${base}.yaml`);
  if (isScenarioName(base) && existsSync(path)) return path;
  const names = scenarioNames();
  const hint = didYouMean(base, names);
  throw new NatsimError('ERR_NATSIM_UNKNOWN_SCENARIO', {
    ...where,
    reason: `no shipped scenario named ${describeValue(name)}${hint ? ` (did you mean "${hint}"?)` : ''}; shipped: ${names.join(', ')}`,
  });
}
