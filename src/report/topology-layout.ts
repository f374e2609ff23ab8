/**
 * A layered layout of the network tree: each node at the layer of its depth under the Internet,
 * children side by side under their router's LAN segment and the router centred over them; the
 * Internet's subtrees packed left to right into rows no wider than {@link MAX_ROW_WIDTH}.
 */
import { textWidth } from './svg.js';
import type { DrawnNode } from './topology-model.js';

/** Type sizes (px) and spacing of the drawing. */
export const TOPO = {
  title: 22,
  line: 17,
  titleHeight: 30,
  lineHeight: 24,
  pad: 14,
  /** Extra width of a router's hexagon points. */
  point: 18,
  minWidth: 170,
  siblingGap: 30,
  /** Between a node's layer and its children's layer; the LAN segment runs halfway. */
  layerGap: 64,
  /** From the top of a row (its Internet segment) to the top of its first layer. */
  rowHead: 44,
  rowGap: 36,
  margin: 24,
  /** Left edge of the first subtree of a row (room for the Internet backbone). */
  indent: 64,
  /** Height of the band at the top with the Internet and the legend. */
  head: 110,
} as const;

/** Widest row of subtrees before the next row starts (a subtree wider than this gets a row to itself). */
export const MAX_ROW_WIDTH = 1500;

/** A node with its box. */
export interface PlacedNode {
  readonly node: DrawnNode;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** A horizontal network segment: a router's LAN, or a row's piece of the Internet. */
export interface Segment {
  /** Router id, or `internet`. */
  readonly of: string;
  readonly y: number;
  readonly x1: number;
  readonly x2: number;
  /** Where the owner's drop line meets it (the router's centre; the backbone for the Internet). */
  readonly from: { readonly x: number; readonly y: number };
  /** Children's attachment points (their top centres). */
  readonly drops: readonly { readonly x: number; readonly y: number }[];
  readonly label?: string;
}

export interface TopologyLayout {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly PlacedNode[];
  readonly segments: readonly Segment[];
  /** The Internet backbone: x and the y span joining every row's segment. */
  readonly backbone: { readonly x: number; readonly y1: number; readonly y2: number };
}

function boxSize(n: DrawnNode): { w: number; h: number } {
  const widest = Math.max(
    textWidth(n.id, TOPO.title, 'bold'),
    textWidth(n.subtitle, TOPO.line),
    ...n.facts.map((f) => textWidth(f, TOPO.line, 'mono')),
  );
  const point = n.kind === 'router' ? 2 * TOPO.point : 0;
  return {
    w: Math.max(TOPO.minWidth, widest + 2 * TOPO.pad + point),
    h: 2 * TOPO.pad + TOPO.titleHeight + TOPO.lineHeight * (1 + n.facts.length),
  };
}

/** Measures every node once: sizes, subtree widths, and the height of each layer. */
class Measure {
  readonly size = new Map<DrawnNode, { w: number; h: number }>();
  readonly span = new Map<DrawnNode, number>();
  readonly layer: number[] = [];

  visit(n: DrawnNode, depth: number): number {
    const s = boxSize(n);
    this.size.set(n, s);
    this.layer[depth] = Math.max(this.layer[depth] ?? 0, s.h);
    const kids = n.children.map((c) => this.visit(c, depth + 1));
    const kidsWidth = kids.reduce((a, b) => a + b, 0) + TOPO.siblingGap * Math.max(0, kids.length - 1);
    const span = Math.max(s.w, kidsWidth);
    this.span.set(n, span);
    return span;
  }

  depthOf(n: DrawnNode): number {
    return 1 + Math.max(0, ...n.children.map((c) => this.depthOf(c)));
  }

  /** Height of layers 0 … depth-1 with the gaps between them. */
  layersHeight(depth: number): number {
    let h = 0;
    for (let d = 0; d < depth; d++) h += this.layer[d]! + (d ? TOPO.layerGap : 0);
    return h;
  }

  /** Top of layer `depth`, relative to the first layer. */
  layerTop(depth: number): number {
    return depth === 0 ? 0 : this.layersHeight(depth) + TOPO.layerGap;
  }
}

function place(
  m: Measure,
  n: DrawnNode,
  left: number,
  top: number,
  depth: number,
  out: { nodes: PlacedNode[]; segments: Segment[] },
): void {
  const { w, h } = m.size.get(n)!;
  const span = m.span.get(n)!;
  const y = top + m.layerTop(depth);
  const cx = left + span / 2;
  out.nodes.push({ node: n, x: cx - w / 2, y, w, h });
  if (n.children.length === 0) return;
  const kidsWidth = n.children.reduce((a, c) => a + m.span.get(c)!, 0) + TOPO.siblingGap * (n.children.length - 1);
  let x = left + (span - kidsWidth) / 2;
  const drops: { x: number; y: number }[] = [];
  for (const c of n.children) {
    const cs = m.span.get(c)!;
    place(m, c, x, top, depth + 1, out);
    drops.push({ x: x + cs / 2, y: top + m.layerTop(depth + 1) });
    x += cs + TOPO.siblingGap;
  }
  const busY = y + m.layer[depth]! + TOPO.layerGap / 2;
  const xs = [cx, ...drops.map((d) => d.x)];
  out.segments.push({
    of: n.id,
    y: busY,
    x1: Math.min(...xs) - 12,
    x2: Math.max(...xs) + 12,
    from: { x: cx, y: y + h },
    drops,
    ...(n.lan ? { label: `LAN ${n.lan}` } : {}),
  });
}

/** Lays out the tree of {@link drawnTopology}. */
export function layoutTopology(roots: readonly DrawnNode[]): TopologyLayout {
  const m = new Measure();
  for (const r of roots) m.visit(r, 0);
  const rows: DrawnNode[][] = [];
  let width = 0;
  for (const r of roots) {
    const row = rows.at(-1);
    const used = row ? row.reduce((a, n) => a + m.span.get(n)!, 0) + TOPO.siblingGap * row.length : 0;
    if (row && used + m.span.get(r)! <= MAX_ROW_WIDTH) row.push(r);
    else rows.push([r]);
  }
  const out = { nodes: [] as PlacedNode[], segments: [] as Segment[] };
  const backboneX = TOPO.margin + TOPO.indent / 2;
  let top = TOPO.head;
  let lastBus = top;
  for (const row of rows) {
    let x = TOPO.margin + TOPO.indent;
    const drops: { x: number; y: number }[] = [];
    for (const r of row) {
      place(m, r, x, top + TOPO.rowHead, 0, out);
      drops.push({ x: x + m.span.get(r)! / 2, y: top + TOPO.rowHead });
      x += m.span.get(r)! + TOPO.siblingGap;
    }
    width = Math.max(width, x - TOPO.siblingGap + TOPO.margin);
    lastBus = top + TOPO.rowHead / 2;
    out.segments.push({
      of: 'internet',
      y: lastBus,
      x1: backboneX,
      x2: Math.max(...drops.map((d) => d.x)) + 12,
      from: { x: backboneX, y: lastBus },
      drops,
    });
    top += TOPO.rowHead + m.layersHeight(Math.max(...row.map((r) => m.depthOf(r)))) + TOPO.rowGap;
  }
  return {
    width: Math.max(width, 900),
    height: top - TOPO.rowGap + TOPO.margin,
    nodes: out.nodes,
    segments: out.segments,
    backbone: { x: backboneX, y1: TOPO.head - 30, y2: lastBus },
  };
}
