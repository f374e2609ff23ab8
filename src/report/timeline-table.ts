/** The timeline of a run as a table: model time, what kind of entry, what happened. */
import type { ScenarioResult } from '../scenario/simulate.js';
import { formatTime } from '../scenario/timeline.js';
import { escapeText } from './escape.js';

/** The table, or '' when the run has no timeline. */
export function timelineTable(result: ScenarioResult): string {
  if (!result.timeline) return '';
  const rows = result.timeline.map((t) => {
    const verdict =
      t.pass === undefined ? '' : t.pass ? ' <span class="verdict pass">✔ PASS</span>' : ' <span class="verdict fail">✘ FAIL</span>';
    return `<tr data-kind="${escapeText(t.kind)}"><td class="mono">t=${escapeText(formatTime(t.at))}</td><td>${escapeText(t.kind)}</td><td>${escapeText(t.text)}${verdict}</td></tr>`;
  });
  return [
    '<h3>Timeline</h3>',
    '<p class="meta">Model time (never the wall clock); each check sees the state the entries before it produced.</p>',
    '<table class="timeline"><thead><tr><th>when</th><th>entry</th><th>what happened</th></tr></thead><tbody>',
    ...rows,
    '</tbody></table>',
  ].join('\n');
}
