/**
 * The verdict table of a scenario run: per check, who, what, the expected and the played
 * outcome, PASS/FAIL (a word and a shape, not only a colour) and why — for a failure, the
 * node that dropped the decisive packet.
 */
import type { CheckResult, ScenarioResult } from '../scenario/simulate.js';
import { escapeText } from './escape.js';

/** `✓ works`, `✗ fails`, `↻ relayed`. */
export function outcomeText(outcome: string): string {
  return `${outcome === 'works' ? '✓' : outcome === 'fails' ? '✗' : '↻'} ${outcome}`;
}

/** A PASS/FAIL badge. */
export function verdictBadge(check: CheckResult): string {
  return check.pass ? '<span class="verdict pass">✔ PASS</span>' : '<span class="verdict fail">✘ FAIL</span>';
}

function row(check: CheckResult, anchor: string): string {
  const where = check.failedAt
    ? ` <strong>(dropped ${check.failedAt === 'internet' ? 'on the Internet' : `at ${escapeText(check.failedAt)}`})</strong>`
    : '';
  return [
    `<tr data-check="${escapeText(check.name)}" data-pass="${check.pass}">`,
    `<td><a href="#${anchor}">${escapeText(check.name)}</a></td>`,
    `<td>${escapeText(check.from)} → ${escapeText(check.to)}</td>`,
    `<td>${escapeText(check.feature)}</td>`,
    `<td class="outcome">${escapeText(outcomeText(check.expect))}</td>`,
    `<td class="outcome">${escapeText(outcomeText(check.result))}</td>`,
    `<td>${verdictBadge(check)}</td>`,
    `<td class="why">${escapeText(check.reason)}${where}</td>`,
    '</tr>',
  ].join('');
}

/** The table; `anchorOf(i)` is the id of check i's section. */
export function verdictTable(result: ScenarioResult, anchorOf: (i: number) => string): string {
  return [
    '<table class="verdicts">',
    '<thead><tr><th>check</th><th>from → to</th><th>feature</th><th>expected</th><th>result</th><th>verdict</th><th>why</th></tr></thead>',
    '<tbody>',
    ...result.checks.map((c, i) => row(c, anchorOf(i))),
    '</tbody></table>',
  ].join('\n');
}
