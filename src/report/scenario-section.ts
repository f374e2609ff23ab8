/** One scenario of a report: what it is, its network, its verdicts, its timeline and each check. */
import type { ScenarioConfig } from '../scenario/schema.js';
import type { ScenarioResult } from '../scenario/simulate.js';
import { checkSection } from './check-section.js';
import { escapeText } from './escape.js';
import { arrowLegend } from './legend.js';
import { timelineTable } from './timeline-table.js';
import { topologySvg } from './topology-svg.js';
import { verdictTable } from './verdict-table.js';

/** A scenario's config with the result of playing it. */
export interface ReportEntry {
  readonly config: ScenarioConfig;
  readonly result: ScenarioResult;
}

/** The heading and prose of a scenario (name, file, description, source). */
export function scenarioHead(config: ScenarioConfig, file: string | undefined, level: 1 | 2): string {
  return [
    `<h${level}>${escapeText(config.name)}</h${level}>`,
    file ? `<p class="meta">Scenario file <code>${escapeText(file)}</code></p>` : '',
    config.description ? `<p>${escapeText(config.description)}</p>` : '',
    config.source ? `<p class="meta">Source: ${escapeText(config.source)}</p>` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** The network drawing of a scenario with its heading. */
export function networkFigure(config: ScenarioConfig): string {
  return `<h3>Network</h3>\n<figure class="network">${topologySvg(config)}</figure>`;
}

/** The `<section>` of scenario number `index` (ids `s{index}-c{check}`). */
export function scenarioSection(entry: ReportEntry, index: number, level: 1 | 2): string {
  const { config, result } = entry;
  const anchor = (i: number): string => `s${index}-c${i}`;
  const totals = `${result.passed} passed, ${result.failed} failed`;
  return [
    `<section class="scenario" id="s${index}" data-scenario="${escapeText(result.scenario)}">`,
    scenarioHead(config, result.file, level),
    `<p class="totals">${result.failed ? '✘' : '✔'} ${escapeText(totals)}</p>`,
    networkFigure(config),
    '<h3>Verdicts</h3>',
    verdictTable(result, anchor),
    timelineTable(result),
    '<h3>Checks, packet by packet</h3>',
    arrowLegend(),
    ...result.checks.map((c, i) => checkSection(config, c, anchor(i))),
    '</section>',
  ].join('\n');
}
