/** One check of a report: its verdict, why, the decisive drop, and its sequence diagram. */
import type { ScenarioConfig } from '../scenario/schema.js';
import type { CheckResult } from '../scenario/simulate.js';
import { escapeText } from './escape.js';
import { sequenceSvg } from './sequence-svg.js';
import { outcomeText, verdictBadge } from './verdict-table.js';

function decisiveDrop(check: CheckResult): string {
  const drop = [...check.hops].reverse().find((h) => h.action === 'drop');
  if (!drop) return '';
  const where = drop.node === 'internet' ? 'on the Internet' : `at ${drop.node}`;
  return `<p class="drop-summary" data-drop-node="${escapeText(drop.node)}" data-drop-code="${escapeText(drop.code)}">✗ Dropped ${escapeText(where)} — <code>${escapeText(drop.code)}</code>: ${escapeText(drop.message)}</p>`;
}

/** The `<details>` of one check (open), with the id `anchor`. */
export function checkSection(config: ScenarioConfig, check: CheckResult, anchor: string): string {
  const expectation = check.pass
    ? `expected ${check.expect}, as expected`
    : `expected ${check.expect} — MISMATCH: the scenario says ${check.expect}, the packets say ${check.result}`;
  return [
    `<details open class="check${check.pass ? '' : ' mismatch'}" id="${anchor}" data-check="${escapeText(check.name)}" data-result="${check.result}" data-pass="${check.pass}">`,
    `<summary>${verdictBadge(check)} ${escapeText(outcomeText(check.result))} — ${escapeText(check.name)}</summary>`,
    `<p><strong>${escapeText(check.from)} → ${escapeText(check.to)}</strong>, ${escapeText(check.feature)}; ${escapeText(expectation)}.</p>`,
    `<p><strong>Why:</strong> ${escapeText(check.reason)}</p>`,
    decisiveDrop(check),
    `<figure>${sequenceSvg(config, check)}</figure>`,
    '</details>',
  ].join('\n');
}
