/** The key to the sequence diagrams' arrows, as a list of small drawings with words. */
import type { HopAction } from '../nat/trace.js';
import { ARROW_MEANING, hopArrow } from './arrows.js';
import { escapeText } from './escape.js';
import { el } from './svg.js';

const ACTIONS: readonly HopAction[] = ['forward', 'translate', 'hairpin', 'deliver', 'drop'];

/** An HTML list: one arrow per hop action and what it means. */
export function arrowLegend(): string {
  const items = ACTIONS.map((a) => {
    const svg = el('svg', { width: 90, height: 28, viewBox: '0 0 90 28', 'aria-hidden': 'true' }, hopArrow(a, 6, 76, 14));
    return `<li>${svg} ${escapeText(ARROW_MEANING[a])}</li>`;
  });
  return `<ul class="legend-list">${items.join('')}</ul>`;
}
