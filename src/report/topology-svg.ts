/**
 * The topology drawing: one SVG of the network laid out by ./topology-layout.ts. Every node is a
 * `<g data-node="ID" data-kind="router|host|server">` (the Internet `data-node="internet"`).
 */
import type { ScenarioConfig } from '../scenario/schema.js';
import { escapeText } from './escape.js';
import { COLOUR } from './palette.js';
import { nodeShape } from './shapes.js';
import { el, text } from './svg.js';
import { layoutTopology, type PlacedNode, type Segment, TOPO } from './topology-layout.js';
import { drawnTopology } from './topology-model.js';

function nodeBox(p: PlacedNode): string {
  const { node: n, x, y, w, h } = p;
  const cx = x + w / 2;
  let ty = y + TOPO.pad + TOPO.title;
  const lines = [
    text(cx, ty, n.id, { class: 'node-title', 'font-size': TOPO.title }),
    text(cx, (ty += TOPO.lineHeight), n.subtitle, { class: 'node-kind', 'font-size': TOPO.line }),
    ...n.facts.map((f) => text(cx, (ty += TOPO.lineHeight), f, { class: 'node-fact', 'font-size': TOPO.line })),
  ];
  return el('g', { class: `node node-${n.kind}`, 'data-node': n.id, 'data-kind': n.kind }, [
    el('title', {}, escapeText(`${n.subtitle} ${n.id}: ${n.facts.join(', ')}`)),
    nodeShape(n.kind, x, y, w, h),
    ...lines,
  ]);
}

function segment(s: Segment): string {
  const internet = s.of === 'internet';
  const stroke = internet ? COLOUR.internet.stroke : COLOUR.router.stroke;
  const width = internet ? 5 : 3.5;
  const parts = [
    el('line', { x1: s.from.x, y1: s.from.y, x2: s.from.x, y2: s.y, stroke, 'stroke-width': width }),
    el('line', { x1: s.x1, y1: s.y, x2: s.x2, y2: s.y, stroke, 'stroke-width': width, 'stroke-linecap': 'round' }),
    ...s.drops.map((d) => el('line', { x1: d.x, y1: s.y, x2: d.x, y2: d.y, stroke, 'stroke-width': 2.5 })),
  ];
  if (s.label) {
    parts.push(text(s.from.x + 10, s.y - 8, s.label, { class: 'segment-label', 'font-size': TOPO.line }));
  }
  return el('g', { class: internet ? 'segment internet-segment' : 'segment lan', 'data-segment': s.of }, parts);
}

function legend(x: number, y: number): string {
  const items: Array<[Parameters<typeof nodeShape>[0], string]> = [
    ['router', 'router (NAT)'],
    ['host', 'host'],
    ['server', 'server'],
  ];
  const parts: string[] = [];
  let lx = x;
  for (const [kind, label] of items) {
    parts.push(nodeShape(kind, lx, y - 20, 46, 30), text(lx + 56, y + 2, label, { 'font-size': TOPO.line }));
    lx += 90 + label.length * 11;
  }
  parts.push(el('line', { x1: lx, y1: y - 5, x2: lx + 46, y2: y - 5, stroke: COLOUR.router.stroke, 'stroke-width': 3.5 }));
  parts.push(text(lx + 56, y + 2, 'LAN segment', { 'font-size': TOPO.line }));
  return el('g', { class: 'legend', 'aria-hidden': 'true' }, parts);
}

/** The network of `config` as one self-contained SVG element. */
export function topologySvg(config: ScenarioConfig): string {
  const layout = layoutTopology(drawnTopology(config));
  const { x, y1, y2 } = layout.backbone;
  const cloud = el('g', { class: 'node node-internet', 'data-node': 'internet', 'data-kind': 'internet' }, [
    nodeShape('internet', TOPO.margin, 18, 150, 60),
    text(TOPO.margin + 75, 56, 'Internet', { class: 'node-title', 'font-size': TOPO.title }),
  ]);
  const backbone = el('line', { x1: x, y1, x2: x, y2, stroke: COLOUR.internet.stroke, 'stroke-width': 5 });
  return el(
    'svg',
    {
      class: 'topology',
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      width: layout.width,
      height: layout.height,
      role: 'img',
      'aria-label': `Network of ${config.name}`,
    },
    [backbone, ...layout.segments.map(segment), cloud, legend(TOPO.margin + 200, 52), ...layout.nodes.map(nodeBox)],
  );
}
