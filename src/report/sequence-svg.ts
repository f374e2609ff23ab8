/**
 * A check's sequence diagram as one SVG: a lane per host, server and router (and the Internet),
 * every hop of every packet as an arrow between lanes, and a text column beside the lanes with
 * the packet, its translation and, for a drop, the node, the reason code and the sentence.
 * Arrow styles differ by more than colour: forward (open head), translate (filled head),
 * hairpin (dotted), deliver (filled head and a dot), drop (dashed, ending in a large ✗).
 * Hops are `<g class="hop" data-action data-node data-code>`; lanes `<g class="lane" data-lane>`.
 */
import type { ScenarioConfig } from '../scenario/schema.js';
import type { CheckResult } from '../scenario/simulate.js';
import { hopArrow } from './arrows.js';
import { escapeText } from './escape.js';
import type { Lane } from './lanes.js';
import { COLOUR } from './palette.js';
import { type SequenceRow, sequenceModel } from './sequence-model.js';
import { nodeShape } from './shapes.js';
import { charsIn, el, text, textWidth, wrap } from './svg.js';

const S = {
  font: 18,
  small: 15,
  lineHeight: 25,
  margin: 16,
  stepColumn: 48,
  minSpacing: 150,
  header: 70,
  textWidth: 760,
  gap: 28,
} as const;

/** Geometry shared by every row. */
interface Frame {
  readonly lanes: readonly Lane[];
  readonly spacing: number;
  readonly laneX: (i: number) => number;
  readonly textX: number;
  readonly width: number;
  readonly mono: number;
  readonly prose: number;
}

function frame(lanes: readonly Lane[]): Frame {
  const widest = Math.max(...lanes.map((l) => textWidth(l.id, S.font, 'bold') + (l.kind === 'router' ? 36 : 0)));
  const spacing = Math.max(S.minSpacing, widest + 40);
  const left = S.margin + S.stepColumn;
  const textX = left + spacing * lanes.length + S.gap;
  return {
    lanes,
    spacing,
    laneX: (i) => left + spacing * (i + 0.5),
    textX,
    width: textX + S.textWidth + S.margin,
    mono: charsIn(S.textWidth, S.font, 'mono'),
    prose: charsIn(S.textWidth, S.font),
  };
}

function header(f: Frame, y: number): string {
  return f.lanes
    .map((l, i) => {
      const w = f.spacing - 24;
      const x = f.laneX(i) - w / 2;
      const label = l.kind === 'internet' ? 'Internet' : l.id;
      return el('g', { class: 'lane', 'data-lane': l.id, 'data-kind': l.kind }, [
        nodeShape(l.kind, x, y, w, 56),
        text(f.laneX(i), y + (l.kind === 'internet' ? 34 : 25), label, { class: 'lane-title', 'font-size': S.font }),
        text(f.laneX(i), y + 46, l.kind === 'other' || l.kind === 'internet' ? '' : l.kind, { class: 'lane-kind', 'font-size': S.small }),
      ]);
    })
    .join('');
}

/** Text lines (with their class) of a row's text column. */
function rowText(f: Frame, row: SequenceRow): Array<[string, string]> {
  if (row.type === 'note') return wrap(row.text, f.prose).map((l) => [l, 'note-text']);
  if (row.type === 'packet') return wrap(`${row.step}. ${row.text}`, f.prose).map((l) => [l, 'packet-caption']);
  const lines: Array<[string, string]> = wrap(row.packet, f.mono).map((l) => [l, 'packet']);
  if (row.after) lines.push(...wrap(`⇒ ${row.after}`, f.mono).map((l): [string, string] => [l, 'packet translated']));
  if (row.action === 'drop') {
    const where = row.node === 'internet' ? 'on the Internet' : `at ${row.node}`;
    lines.push([`✗ DROPPED ${where} — ${row.code}`, 'drop-title']);
    lines.push(...wrap(row.message, f.prose).map((l): [string, string] => [l, 'drop-text']));
  }
  return lines;
}

/** The arrow of a hop row at height y, with its reason code above it. */
function arrow(f: Frame, row: Extract<SequenceRow, { type: 'hop' }>, y: number): string {
  const x1 = f.laneX(row.from);
  const x2 = f.laneX(row.to);
  const label = text((x1 + x2) / 2 + (x1 === x2 ? 40 : 0), y - 9, row.action === 'drop' ? `✗ ${row.code}` : row.code, {
    class: `hop-label${row.action === 'drop' ? ' drop-label' : ''}`,
    'font-size': S.small,
  });
  return hopArrow(row.action, x1, x2, y) + label;
}

function noteMarker(x: number, y: number): string {
  return (
    el('rect', {
      x: x - 12,
      y: y - 12,
      width: 24,
      height: 24,
      rx: 3,
      fill: COLOUR.note.fill,
      stroke: COLOUR.note.stroke,
      'stroke-width': 2,
    }) + text(x, y + 6, 'i', { class: 'note-mark', 'font-size': S.small })
  );
}

function rowSvg(f: Frame, row: SequenceRow, y: number): { svg: string; band: string; height: number } {
  const lines = rowText(f, row);
  const height = Math.max(48, lines.length * S.lineHeight + 18) + (row.type === 'packet' ? 8 : 0);
  const top = row.type === 'packet' ? y + 8 : y;
  const textLines = lines.map(([l, cls], i) => text(f.textX, top + 26 + i * S.lineHeight, l, { class: cls, 'font-size': S.font }));
  const parts: string[] = [];
  let attrs: Record<string, string | number> = { class: row.type, 'data-step': row.step };
  if (row.type === 'hop') {
    attrs = {
      class: `hop hop-${row.action}`,
      'data-step': row.step,
      'data-action': row.action,
      'data-node': row.node,
      'data-code': row.code,
    };
    parts.push(arrow(f, row, y + 30));
  } else if (row.type === 'note') {
    parts.push(noteMarker(f.laneX(row.lane), y + 22));
    parts.push(text(S.margin + S.stepColumn / 2, top + 26, String(row.step), { class: 'step-number note-number', 'font-size': S.small }));
  } else {
    parts.push(el('line', { x1: S.margin, y1: y + 4, x2: f.width - S.margin, y2: y + 4, class: 'step-rule' }));
    parts.push(text(S.margin + S.stepColumn / 2, top + 26, String(row.step), { class: 'step-number', 'font-size': S.font }));
  }
  const band = row.type === 'hop' && row.action === 'drop' ? el('rect', { x: 0, y, width: f.width, height, class: 'drop-band' }) : '';
  return { svg: el('g', attrs, [...parts, ...textLines]), band, height };
}

/** The sequence diagram of one played check. */
export function sequenceSvg(config: ScenarioConfig, check: CheckResult): string {
  const model = sequenceModel(config, check);
  const f = frame(model.lanes);
  let y = S.header + 20;
  const rows: string[] = [];
  const bands: string[] = [];
  for (const row of model.rows) {
    const r = rowSvg(f, row, y);
    rows.push(r.svg);
    bands.push(r.band);
    y += r.height;
  }
  const repeat = model.rows.length > 24;
  const bottom = y + 12;
  const height = bottom + (repeat ? S.header + 8 : 0);
  const lifelines = model.lanes.map((_, i) => el('line', { x1: f.laneX(i), y1: S.header, x2: f.laneX(i), y2: bottom, class: 'lifeline' }));
  return el(
    'svg',
    {
      class: 'sequence',
      'data-check': check.name,
      viewBox: `0 0 ${f.width} ${height}`,
      width: f.width,
      height,
      role: 'img',
      'aria-label': `Sequence of packets of the check ${check.name}`,
    },
    [
      el('title', {}, escapeText(`${check.name}: ${check.from} → ${check.to}`)),
      ...bands,
      ...lifelines,
      header(f, 8),
      ...rows,
      ...(repeat ? [header(f, bottom + 4)] : []),
    ],
  );
}
