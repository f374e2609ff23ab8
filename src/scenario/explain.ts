/**
 * Explanations of a played check: a narrative of what each endpoint did and learnt, and a
 * sequence diagram (Mermaid) of every packet across hosts and routers.
 */
import { describePacket } from '../nat/packet.js';
import type { CheckResult, ScenarioResult } from './simulate.js';

const VERDICT: Record<string, string> = { works: 'WORKS', fails: 'FAILS', relayed: 'RELAYED' };

/** A plain-text narrative of one check. */
export function explainText(check: CheckResult): string {
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
    lines.push(check.failedAt === 'internet' ? 'The decisive drop happened on the Internet.' : `The decisive drop happened at ${check.failedAt}.`);
  }
  return lines.join('\n');
}

/** A Mermaid sequence diagram of every packet of a check. */
export function explainMermaid(check: CheckResult): string {
  const participants: string[] = [];
  const add = (p: string): string => {
    const id = p.replace(/[^A-Za-z0-9_]/g, '_');
    if (!participants.includes(p)) participants.push(p);
    return id;
  };
  const body: string[] = [];
  for (const s of check.steps) {
    if (!s.delivery) {
      add(s.actor);
      body.push(`  Note over ${add(s.actor)}: ${escape(s.text)}`);
      continue;
    }
    let prev = s.from ?? s.actor;
    add(prev);
    for (const h of s.delivery.hops) {
      const node = h.node.startsWith('router:') ? h.node.slice(7) : h.node;
      const label = escape(`${describePacket(h.before)}${h.action === 'drop' ? ` ✗ ${h.code}` : ''}`);
      if (node === prev && h.action !== 'drop') {
        // A hop at the sender itself cannot happen; skip.
        continue;
      }
      const arrow = h.action === 'drop' ? '-x' : '->>';
      body.push(`  ${add(prev)}${arrow}${add(node)}: ${label}`);
      if (h.action === 'translate' || h.action === 'hairpin') {
        if (h.after) body.push(`  Note right of ${add(node)}: ${escape(`${h.code}: now ${describePacket(h.after)}`)}`);
      }
      if (h.action === 'drop') body.push(`  Note right of ${add(node)}: ${escape(h.message)}`);
      prev = node;
    }
  }
  const head = ['sequenceDiagram', ...participants.map((p) => `  participant ${p.replace(/[^A-Za-z0-9_]/g, '_')} as ${p}`)];
  return [...head, ...body].join('\n');
}

function escape(text: string): string {
  return text.replace(/[;#]/g, ',').replace(/\n/g, ' ');
}

/** One line per check: `PASS works  name — reason`. */
export function summaryText(result: ScenarioResult): string {
  const lines = [`${result.scenario}${result.file ? ` (${result.file})` : ''}`];
  for (const c of result.checks) {
    lines.push(`  ${c.pass ? 'PASS' : 'FAIL'} ${c.result.padEnd(7)} ${c.name} (expected ${c.expect})`);
    if (!c.pass || c.result !== 'works') lines.push(`         ${c.reason}`);
  }
  lines.push(`  ${result.passed} passed, ${result.failed} failed`);
  return lines.join('\n');
}

/** The stable `--json` view of a scenario run. */
export function toJson(result: ScenarioResult): object {
  return {
    scenario: result.scenario,
    ...(result.file ? { file: result.file } : {}),
    checks: result.checks.map((c) => ({
      name: c.name, from: c.from, to: c.to, feature: c.feature, expect: c.expect, result: c.result, pass: c.pass,
      reason: c.reason, hops: c.hops,
      ...(c.classification ? { classification: c.classification } : {}),
    })),
    passed: result.passed,
    failed: result.failed,
  };
}
