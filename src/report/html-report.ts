/**
 * The HTML report: one self-contained file (inline stylesheet, inline SVG, no script, nothing
 * fetched) with, per scenario, the network drawing, the verdict table, the timeline and a
 * sequence diagram per check; optionally an HTML fragment of the NAT matrix.
 */
import type { ScenarioConfig } from '../scenario/schema.js';
import { htmlDocument } from './document.js';
import { escapeText } from './escape.js';
import { networkFigure, type ReportEntry, scenarioHead, scenarioSection } from './scenario-section.js';

export type { ReportEntry };

/** Options of {@link htmlReport}. */
export interface HtmlReportOptions {
  /** Page title (default: the scenario's name, or "natsim report" for several). */
  readonly title?: string;
  /** Trusted HTML (natsim's own matrix renderer, which escapes its text) placed after the scenarios. */
  readonly appendix?: string;
  /** Scenario files that could not be played, one sentence each (listed first). */
  readonly problems?: readonly string[];
}

function problemList(problems: readonly string[]): string {
  if (problems.length === 0) return '';
  return [
    '<section class="problems"><h2>Files that could not be played</h2><ul>',
    ...problems.map((p) => `<li><code>${escapeText(p)}</code></li>`),
    '</ul></section>',
  ].join('\n');
}

/** The report of one or more played scenarios as one HTML document. */
export function htmlReport(entries: readonly ReportEntry[], options: HtmlReportOptions = {}): string {
  const problems = options.problems ?? [];
  const one = entries.length === 1 && problems.length === 0;
  const title = options.title ?? (one ? `natsim report — ${entries[0]!.config.name}` : 'natsim report');
  const passed = entries.reduce((a, e) => a + e.result.passed, 0);
  const failed = entries.reduce((a, e) => a + e.result.failed, 0);
  const head = one
    ? ''
    : [
        `<h1>${escapeText(title)}</h1>`,
        `<p class="totals">${entries.length} scenarios: ${passed} checks passed, ${failed} failed</p>`,
        '<ul>',
        ...entries.map(
          (e, i) => `<li><a href="#s${i}">${escapeText(e.config.name)}</a> — ${e.result.passed} passed, ${e.result.failed} failed</li>`,
        ),
        '</ul>',
      ].join('\n');
  const body = [head, problemList(problems), ...entries.map((e, i) => scenarioSection(e, i, one ? 1 : 2)), options.appendix ?? '']
    .filter(Boolean)
    .join('\n');
  return htmlDocument(title, body);
}

/** Only the network of a scenario, as an HTML document. */
export function htmlTopology(config: ScenarioConfig, file?: string): string {
  return htmlDocument(`natsim network — ${config.name}`, `${scenarioHead(config, file, 1)}\n${networkFigure(config)}`);
}
