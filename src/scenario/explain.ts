/**
 * Explanations of a played check: a narrative of what each endpoint did and learnt, summaries and
 * the JSON views of a run. Diagrams: ./mermaid.ts (sequence), ./topology.ts (the network).
 */
import { checkResultArgument, scenarioResultArgument } from './argument.js';
import type { CheckResult, ScenarioResult } from './simulate.js';
import { formatTime } from './timeline.js';

export { explainMarkdown, explainMermaid, explainMermaidDocument } from './mermaid.js';

const VERDICT: Record<string, string> = { works: 'WORKS', fails: 'FAILS', relayed: 'RELAYED' };

/** A plain-text narrative of one check. */
export function explainText(check: CheckResult): string {
  checkResultArgument(check, 'explainText');
  const lines: string[] = [];
  lines.push(`Check "${check.name}": ${check.from} → ${check.to}, ${check.feature}`);
  lines.push(`Result: ${VERDICT[check.result]} (expected ${check.expect}${check.pass ? ', as expected' : ' — MISMATCH'})`);
  lines.push(`Why: ${check.reason}`);
  lines.push('');
  lines.push('What happened, step by step:');
  let n = 0;
  for (const s of check.steps) {
    n++;
    if (!s.delivery) {
      lines.push(`${String(n).padStart(3)}. ${s.text}`);
      continue;
    }
    lines.push(`${String(n).padStart(3)}. ${s.text}`);
    for (const h of s.delivery.hops) lines.push(`       ${h.action === 'drop' ? '✗' : '·'} ${h.message}`);
  }
  if (check.result === 'fails' && check.failedAt) {
    lines.push('');
    lines.push(
      check.failedAt === 'internet' ? 'The decisive drop happened on the Internet.' : `The decisive drop happened at ${check.failedAt}.`,
    );
  }
  return lines.join('\n');
}

/** One line per check: `PASS works  name — reason`. */
export function summaryText(result: ScenarioResult): string {
  scenarioResultArgument(result, 'summaryText');
  const lines = [`${result.scenario}${result.file ? ` (${result.file})` : ''}`];
  for (const c of result.checks) {
    lines.push(`  ${c.pass ? 'PASS' : 'FAIL'} ${c.result.padEnd(7)} ${c.name} (expected ${c.expect})`);
    if (!c.pass || c.result !== 'works') lines.push(`         ${c.reason}`);
  }
  if (result.timeline) lines.push('  timeline:', ...timelineLines(result).map((l) => `    ${l}`));
  lines.push(`  ${result.passed} passed, ${result.failed} failed`);
  return lines.join('\n');
}

/** One line per timeline entry: `t=6 min  wait  6 min pass …`. */
function timelineLines(result: ScenarioResult): string[] {
  return (result.timeline ?? []).map((t) => `t=${formatTime(t.at).padEnd(8)} ${t.kind.padEnd(11)} ${t.text}`);
}

/** The timeline of a run, as `explain` prints it before the checks (empty without a timeline). */
export function timelineText(result: ScenarioResult): string {
  if (!result.timeline) return '';
  return [
    'Timeline (model time; each check sees the state the entries before it produced):',
    ...timelineLines(result).map((l) => `  ${l}`),
  ].join('\n');
}

/** The stable `--json` view of a scenario run. */
export function toJson(result: ScenarioResult): object {
  scenarioResultArgument(result, 'toJson');
  return {
    scenario: result.scenario,
    ...(result.file ? { file: result.file } : {}),
    checks: result.checks.map((c) => ({
      name: c.name,
      from: c.from,
      to: c.to,
      feature: c.feature,
      expect: c.expect,
      result: c.result,
      pass: c.pass,
      reason: c.reason,
      hops: c.hops,
      ...(c.classification ? { classification: c.classification } : {}),
    })),
    ...(result.timeline ? { timeline: result.timeline } : {}),
    passed: result.passed,
    failed: result.failed,
  };
}

/** The `explain --format json` view: the run's JSON plus every step of every check with its hops. */
export function explainJson(result: ScenarioResult): object {
  scenarioResultArgument(result, 'explainJson');
  const base = toJson(result) as { checks: object[] };
  return {
    ...base,
    checks: result.checks.map((c, i) => ({
      ...base.checks[i],
      ...(c.failedAt ? { failedAt: c.failedAt } : {}),
      steps: c.steps.map((s) => ({
        actor: s.actor,
        text: s.text,
        ...(s.from ? { from: s.from } : {}),
        ...(s.delivery
          ? {
              delivered: s.delivery.delivered,
              hops: s.delivery.hops.map((h) => ({ node: h.node, action: h.action, code: h.code, message: h.message })),
            }
          : {}),
      })),
    })),
  };
}
