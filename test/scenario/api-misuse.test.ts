/**
 * The scenario functions called with the wrong thing, as plain JavaScript can: a NatsimError
 * (ERR_NATSIM_INVALID_ARGUMENT) that says what to pass instead, never a TypeError from inside.
 */
import { describe, expect, it } from 'vitest';
import {
  explainJson,
  explainMarkdown,
  explainMermaid,
  explainMermaidDocument,
  explainText,
  loadScenarioFile,
  NatsimError,
  parseScenario,
  runScenario,
  scenarioPath,
  toJson,
  topologyJson,
  topologyMermaid,
  topologyText,
} from '../../src/index.js';

const any = <F extends (...args: never[]) => unknown>(f: F) => f as unknown as (...args: unknown[]) => unknown;

function misuse(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(NatsimError);
    expect((e as NatsimError).code).toBe('ERR_NATSIM_INVALID_ARGUMENT');
    return (e as Error).message;
  }
  throw new Error('did not throw');
}

describe('scenario functions called wrongly', async () => {
  const loaded = await loadScenarioFile(scenarioPath('wm-04-isp-nat'));
  const result = runScenario(loaded);

  it('explainText / explainMermaid given the whole result say to pass one check', () => {
    for (const [name, f] of [
      ['explainText', explainText],
      ['explainMermaid', explainMermaid],
    ] as const) {
      expect(misuse(() => any(f)(result))).toBe(
        `${name}(): expected one check's result (an element of runScenario(…).checks, or runCheck()'s), not a whole scenario result: pass result.checks[i], or use explainMermaidDocument()/explainMarkdown() for every check`,
      );
      expect(misuse(() => any(f)(undefined))).toBe(
        `${name}(): expected one check's result (an element of runScenario(…).checks, or runCheck()'s), not undefined`,
      );
    }
    expect(explainText(result.checks[0]!)).toMatch(/^Check "/);
  });

  it('the whole-result views given one check, or the scenario itself', () => {
    for (const [name, f] of [
      ['toJson', toJson],
      ['explainJson', explainJson],
      ['explainMermaidDocument', explainMermaidDocument],
      ['explainMarkdown', explainMarkdown],
    ] as const) {
      expect(misuse(() => any(f)(result.checks[0]))).toBe(`${name}(): expected what runScenario() returns, not one check's result`);
      expect(misuse(() => any(f)(loaded.config))).toBe(
        `${name}(): expected what runScenario() returns, not a scenario: run it first, runScenario(scenario)`,
      );
    }
  });

  it('topology views take the loaded file too, and refuse a path', () => {
    expect(topologyText(loaded)).toBe(topologyText(loaded.config));
    expect(topologyJson(loaded)).toEqual(topologyJson(loaded.config));
    expect(topologyMermaid(loaded)).toBe(topologyMermaid(loaded.config));
    expect(misuse(() => any(topologyMermaid)('scenarios/default.yaml'))).toBe(
      'topologyMermaid(): expected a scenario from loadScenarioFile(path) or parseScenario(yaml), not the string "scenarios/default.yaml": load it first, e.g. topologyMermaid(await loadScenarioFile("scenarios/default.yaml"))',
    );
  });

  it('loadScenarioFile and parseScenario given the wrong kind of thing', async () => {
    await expect(any(loadScenarioFile)(undefined)).rejects.toMatchObject({
      code: 'ERR_NATSIM_INVALID_ARGUMENT',
      message: "loadScenarioFile(): expected a scenario file's path (scenarioPath(name) for a shipped one), not undefined",
    });
    expect(misuse(() => any(parseScenario)(loaded.config))).toBe(
      "parseScenario(): expected the scenario's YAML text, not an object (an object is validated with scenarioSchema.parse())",
    );
  });
});
