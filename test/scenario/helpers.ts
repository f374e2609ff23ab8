/** Shared helpers for the scenario tests (not a test file itself). */
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { ScenarioError, type ScenarioIssue } from '../../src/scenario/errors.js';
import { parseScenario } from '../../src/scenario/loader.js';
import { type CheckResult, runScenario, type ScenarioResult } from '../../src/scenario/simulate.js';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** test/scenario/fixtures/ */
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Parses YAML text and plays every check. */
export function play(yaml: string): ScenarioResult {
  return runScenario(parseScenario(yaml, 'inline.yaml'));
}

/** Parses YAML text and plays every check, indexed by check name. */
export function playByName(yaml: string): Map<string, CheckResult> {
  return new Map(play(yaml).checks.map((c) => [c.name, c]));
}

/** The named check of a result map, failing the test when it is absent. */
export function check(results: Map<string, CheckResult>, name: string): CheckResult {
  const c = results.get(name);
  expect(c, `no check "${name}" in the results`).toBeDefined();
  return c!;
}

/** Every step text of a check, in order. */
export function stepTexts(c: CheckResult): string[] {
  return c.steps.map((s) => s.text);
}

/** The 1-based line and column where `needle` first occurs in `text` (after `from`, if given). */
export function at(text: string, needle: string, from?: string): { line: number; col: number } {
  const start = from === undefined ? 0 : text.indexOf(from);
  expect(start, `"${from}" not found in the text`).toBeGreaterThanOrEqual(0);
  const offset = text.indexOf(needle, start);
  expect(offset, `"${needle}" not found in the text`).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

/** The issues `parseScenario(text)` throws (fails the test when it does not throw a ScenarioError). */
export function issuesOf(text: string, file = 'x.yaml'): ScenarioIssue[] {
  try {
    parseScenario(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return [...(e as ScenarioError).issues];
  }
  expect.fail('expected a ScenarioError, but the scenario loaded');
}

/** The whole message `parseScenario(text)` throws. */
export function errorOf(text: string, file = 'x.yaml'): string {
  try {
    parseScenario(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as ScenarioError).message;
  }
  expect.fail('expected a ScenarioError, but the scenario loaded');
}
