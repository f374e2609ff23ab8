/**
 * What the scenario functions accept: a validated scenario (`parseScenario()`'s result, or the
 * `config` of `loadScenarioFile()`) or the loaded file itself. Anything else is a
 * {@link NatsimError} `ERR_NATSIM_INVALID_ARGUMENT` that says what to pass instead.
 */
import { describeValue, NatsimError } from '../errors.js';
import type { LoadedScenario } from './loader.js';
import type { ScenarioConfig } from './schema.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields every validated scenario has (the schema fills in the optional ones). */
const SHAPE: readonly [string, (v: unknown) => boolean][] = [
  ['routers', isObject],
  ['hosts', isObject],
  ['servers', isObject],
  ['checks', Array.isArray],
];

const WHAT = 'a scenario from loadScenarioFile(path) or parseScenario(yaml)';

/** The config (and file, when given a loaded file) of a scenario argument of `fn`; throws when it is not one. */
export function scenarioArgument(value: unknown, fn: string): { readonly config: ScenarioConfig; readonly file?: string } {
  if (typeof value === 'string') {
    throw new NatsimError('ERR_NATSIM_INVALID_ARGUMENT', {
      fn,
      reason: `expected ${WHAT}, not the string ${describeValue(value)}: load it first, e.g. ${fn}(await loadScenarioFile(${describeValue(value)}))`,
    });
  }
  const loaded = isObject(value) && typeof value['file'] === 'string' && isObject(value['config']);
  const config = loaded ? (value as unknown as LoadedScenario).config : value;
  if (!isObject(config))
    throw new NatsimError('ERR_NATSIM_INVALID_ARGUMENT', { fn, reason: `expected ${WHAT}, not ${describeValue(value)}` });
  const missing = SHAPE.filter(([k, ok]) => !ok(config[k])).map(([k]) => k);
  if (missing.length) {
    throw new NatsimError('ERR_NATSIM_INVALID_ARGUMENT', {
      fn,
      reason: `expected ${WHAT}, not an object without ${missing.map((k) => `"${k}"`).join(', ')} (a hand-written config must go through parseScenario() or scenarioSchema.parse() first)`,
    });
  }
  return loaded
    ? { config: config as unknown as ScenarioConfig, file: (value as unknown as LoadedScenario).file }
    : { config: config as unknown as ScenarioConfig };
}

/** Throws unless `value` is one check's result (an element of `runScenario(…).checks`, or `runCheck()`'s). */
export function checkResultArgument(value: unknown, fn: string): void {
  if (isObject(value) && Array.isArray(value['steps']) && typeof value['name'] === 'string') return;
  const whole = isObject(value) && Array.isArray(value['checks']);
  throw new NatsimError('ERR_NATSIM_INVALID_ARGUMENT', {
    fn,
    reason: whole
      ? "expected one check's result (an element of runScenario(…).checks, or runCheck()'s), not a whole scenario result: pass result.checks[i], or use explainMermaidDocument()/explainMarkdown() for every check"
      : `expected one check's result (an element of runScenario(…).checks, or runCheck()'s), not ${describeValue(value)}`,
  });
}

/** Throws unless `value` is what `runScenario()` returns. */
export function scenarioResultArgument(value: unknown, fn: string): void {
  if (isObject(value) && Array.isArray(value['checks']) && typeof value['scenario'] === 'string') return;
  const one = isObject(value) && Array.isArray(value['steps']);
  const scenario = isObject(value) && isObject(value['routers']);
  throw new NatsimError('ERR_NATSIM_INVALID_ARGUMENT', {
    fn,
    reason: `expected what runScenario() returns, not ${one ? "one check's result" : scenario ? 'a scenario: run it first, runScenario(scenario)' : describeValue(value)}`,
  });
}
