/**
 * How a hop is drawn, by what the hop did — told apart by line and head, not only by colour:
 * forward (solid, open head), translate (solid, filled head), hairpin (dotted, filled head),
 * deliver (solid, filled head and a dot), drop (dashed, ending in a large ✗).
 */
import type { HopAction } from '../nat/trace.js';
import { COLOUR } from './palette.js';
import { el } from './svg.js';

const STYLE: Record<HopAction, { colour: string; width: number; dash?: string }> = {
  forward: { colour: COLOUR.forward, width: 2.5 },
  translate: { colour: COLOUR.translate, width: 3 },
  hairpin: { colour: COLOUR.hairpin, width: 3.5, dash: '2 6' },
  deliver: { colour: COLOUR.deliver, width: 3 },
  drop: { colour: COLOUR.drop, width: 3.5, dash: '10 6' },
};

/** What each style means, for legends. */
export const ARROW_MEANING: Record<HopAction, string> = {
  forward: 'forwarded',
  translate: 'translated by a NAT',
  hairpin: 'hairpinned',
  deliver: 'delivered',
  drop: 'dropped (node, reason code and sentence beside it)',
};

function head(action: HopAction, x: number, y: number, dir: number, colour: string): string {
  const back = x - dir * 14;
  if (action === 'drop') {
    const d = 11;
    const cross = { stroke: colour, 'stroke-width': 5, 'stroke-linecap': 'round' };
    return (
      el('line', { x1: x - d, y1: y - d, x2: x + d, y2: y + d, ...cross }) +
      el('line', { x1: x - d, y1: y + d, x2: x + d, y2: y - d, ...cross })
    );
  }
  const pts = `${back},${y - 8} ${x},${y} ${back},${y + 8}`;
  if (action === 'forward') return el('polyline', { points: pts, fill: 'none', stroke: colour, 'stroke-width': 3 });
  const tri = el('polygon', { points: pts, fill: colour });
  return action === 'deliver' ? tri + el('circle', { cx: x + dir * 8, cy: y, r: 6, fill: colour }) : tri;
}

/** An arrow from x1 to x2 at height y (a small loop when x1 = x2: a hop at the sender itself). */
export function hopArrow(action: HopAction, x1: number, x2: number, y: number): string {
  const st = STYLE[action];
  const paint = { stroke: st.colour, 'stroke-width': st.width, fill: 'none', 'stroke-dasharray': st.dash };
  if (x1 === x2) return el('path', { d: `M ${x1} ${y - 6} h 34 v 16 h -30`, ...paint }) + head(action, x1 + 2, y + 10, -1, st.colour);
  const dir = Math.sign(x2 - x1);
  const end = action === 'deliver' ? x2 - dir * 16 : x2;
  return el('line', { x1: x1 + dir * 6, y1: y, x2: end, y2: y, ...paint }) + head(action, end, y, dir, st.colour);
}
