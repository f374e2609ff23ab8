/** The scenario engine, loaded when a command needs it (keeps `natsim serve` start-up light). */
import type { ScenarioConfig } from '../scenario/schema.js';

export async function engine() {
  const [{ loadScenarioFile }, { runScenario }, explain, topology] = await Promise.all([
    import('../scenario/loader.js'),
    import('../scenario/simulate.js'),
    import('../scenario/explain.js'),
    import('../scenario/topology.js'),
  ]);
  return { loadScenarioFile, runScenario, ...explain, ...topology };
}

/** The HTML report renderer, loaded only for `--format html` and `--report`. */
export function report() {
  return import('../report/index.js');
}

/** The names of a scenario's checks as `--check` takes them (unnamed ones are `check N`). */
export function checkNames(config: ScenarioConfig): string[] {
  return config.checks.map((c, i) => c.name ?? `check ${i + 1}`);
}
