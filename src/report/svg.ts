/**
 * A few SVG building blocks: elements with escaped attributes, text lines, and the width
 * estimates the layouts use (the report embeds no font, so widths are estimated from the
 * character count with generous per-character advances).
 */
import { escapeText } from './escape.js';

/** Attribute values; `undefined` leaves the attribute out. */
export type Attrs = Readonly<Record<string, string | number | undefined>>;

function attrText(attrs: Attrs): string {
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeText(String(v))}"`)
    .join('');
}

/** `<tag attrs>children</tag>` (children are markup already); self-closing when there are none. */
export function el(tag: string, attrs: Attrs, children: string | readonly string[] = ''): string {
  const inner = typeof children === 'string' ? children : children.join('');
  return inner === '' ? `<${tag}${attrText(attrs)}/>` : `<${tag}${attrText(attrs)}>${inner}</${tag}>`;
}

/** A `<text>` element of plain (escaped) text. */
export function text(x: number, y: number, content: string, attrs: Attrs = {}): string {
  return el('text', { x, y, ...attrs }, escapeText(content));
}

/** Advance per character, in em, for the font families of the report's stylesheet. */
const ADVANCE = { sans: 0.6, bold: 0.66, mono: 0.62 } as const;

/** Estimated width in px of `content` at `size` px. */
export function textWidth(content: string, size: number, face: keyof typeof ADVANCE = 'sans'): number {
  return Math.ceil([...content].length * size * ADVANCE[face]);
}

/** How many characters fit in `width` px at `size` px. */
export function charsIn(width: number, size: number, face: keyof typeof ADVANCE = 'sans'): number {
  return Math.max(8, Math.floor(width / (size * ADVANCE[face])));
}

/** `content` broken at spaces (or hard, for a long word) into lines of at most `max` characters. */
export function wrap(content: string, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of content.split(/\s+/).filter(Boolean)) {
    let w = word;
    while ([...w].length > max) {
      if (line) lines.push(line);
      line = '';
      const chars = [...w];
      lines.push(chars.slice(0, max).join(''));
      w = chars.slice(max).join('');
    }
    if (!line) line = w;
    else if ([...line].length + 1 + [...w].length <= max) line += ` ${w}`;
    else {
      lines.push(line);
      line = w;
    }
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}
