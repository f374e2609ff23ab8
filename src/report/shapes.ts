/**
 * The outline of each kind of node (router: hexagon, host: rectangle, server: rounded box with a
 * double outline, the Internet: ellipse), shared by the topology drawing, the lanes of the
 * sequence diagrams and the legend.
 */
import { COLOUR } from './palette.js';
import { el } from './svg.js';

/** Kinds of node the report draws. */
export type NodeKind = 'router' | 'host' | 'server' | 'internet' | 'other';

function colours(kind: NodeKind): { fill: string; stroke: string } {
  return kind === 'other' ? COLOUR.internet : COLOUR[kind];
}

/** The outline of a `kind` node in the box (x, y, w, h). */
export function nodeShape(kind: NodeKind, x: number, y: number, w: number, h: number): string {
  const { fill, stroke } = colours(kind);
  const paint = { fill, stroke, 'stroke-width': 2.5 };
  switch (kind) {
    case 'router': {
      const p = Math.min(18, w / 6);
      const pts = [
        [x + p, y],
        [x + w - p, y],
        [x + w, y + h / 2],
        [x + w - p, y + h],
        [x + p, y + h],
        [x, y + h / 2],
      ];
      return el('polygon', { points: pts.map(([a, b]) => `${a},${b}`).join(' '), ...paint });
    }
    case 'server':
      return (
        el('rect', { x, y, width: w, height: h, rx: 14, ...paint }) +
        el('rect', { x: x + 5, y: y + 5, width: w - 10, height: h - 10, rx: 10, fill: 'none', stroke, 'stroke-width': 1.5 })
      );
    case 'internet':
    case 'other':
      return el('ellipse', { cx: x + w / 2, cy: y + h / 2, rx: w / 2, ry: h / 2, ...paint });
    default:
      return el('rect', { x, y, width: w, height: h, rx: 3, ...paint });
  }
}
