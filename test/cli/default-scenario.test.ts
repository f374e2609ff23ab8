/**
 * The default scenario the build validates ahead of time (dist/default-scenario.json, made by
 * `npm run build`, which `npm test` runs first): it must be exactly what loading the YAML gives,
 * and it must be ignored as soon as the YAML differs from what it was made from.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCENARIO,
  PREVALIDATED_NAME,
  prevalidatedDefaultScenario,
  prevalidatedScenario,
  sha256,
} from '../../src/cli/default-scenario.js';
import { loadScenarioFile } from '../../src/scenario/loader.js';

const BUILT = join('dist', PREVALIDATED_NAME);

describe('prevalidated default scenario', () => {
  it('is what loading scenarios/default.yaml gives, made from the YAML as it is', async () => {
    const built = JSON.parse(readFileSync(BUILT, 'utf8')) as { sha256: string; config: unknown };
    expect(built.sha256).toBe(sha256(readFileSync(DEFAULT_SCENARIO)));
    const { config } = await loadScenarioFile(DEFAULT_SCENARIO);
    expect(built.config).toEqual(JSON.parse(JSON.stringify(config)));
    // Nothing is lost in JSON: the loaded config survives the round trip unchanged.
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
    expect(await prevalidatedDefaultScenario()).toEqual(config);
  });

  it('is ignored once the YAML changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natsim-prevalidated-'));
    const yaml = join(dir, 'default.yaml');
    writeFileSync(yaml, readFileSync(DEFAULT_SCENARIO));
    expect(await prevalidatedScenario(BUILT, yaml)).toBeDefined();
    writeFileSync(yaml, `${readFileSync(DEFAULT_SCENARIO, 'utf8')}\n# edited\n`);
    expect(await prevalidatedScenario(BUILT, yaml)).toBeUndefined();
    expect(await prevalidatedScenario(join(dir, 'missing.json'), yaml)).toBeUndefined();
  });
});
