/**
 * A scenario file as located source: bytes checked (size cap, UTF-8, control characters), YAML
 * parsed with bounded nesting and alias expansion, and every node findable by its document path
 * so each problem can be reported at file:line:col.
 */
import { open } from 'node:fs/promises';
import type { CST } from 'yaml';
import { Composer, type Document, isMap, isPair, isScalar, Lexer, LineCounter, type Pair, Parser, visit, type YAMLMap } from 'yaml';
import type { ScenarioIssue } from './errors.js';

import { DEFAULT_MAX_SCENARIO_BYTES, MAX_SCENARIO_ALIASES, MAX_SCENARIO_DEPTH } from './limits.js';

export { DEFAULT_MAX_SCENARIO_BYTES, MAX_SCENARIO_ALIASES, MAX_SCENARIO_DEPTH } from './limits.js';

/** Limits applied when reading a scenario. */
export interface ScenarioLimits {
  /** Largest file accepted, in bytes (default {@link DEFAULT_MAX_SCENARIO_BYTES}). */
  readonly maxBytes?: number;
}

/** Position in the text: 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly col: number;
}

/** Either the text, or the issues that stopped reading it. */
export type ReadResult = { readonly text: string } | { readonly issues: ScenarioIssue[] };

function issueAt(file: string, pos: Position, message: string): ScenarioIssue {
  return { file, line: pos.line, col: pos.col, path: '', message };
}

/** Line and column of a string offset, by a linear scan (for texts without a LineCounter). */
export function positionIn(text: string, offset: number): Position {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

/** Reads a scenario file, refusing it before parsing when it is larger than the cap. */
export async function readScenarioFile(file: string, limits: ScenarioLimits = {}): Promise<ReadResult> {
  const max = limits.maxBytes ?? DEFAULT_MAX_SCENARIO_BYTES;
  let bytes: Buffer;
  try {
    const fh = await open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      if (size > max) return { issues: [tooBig(file, size, max)] };
      // Read at most max + 1 bytes, so a file that grows after stat() is still caught.
      const buf = Buffer.alloc(Math.min(size, max) + 1);
      let n = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
        if (bytesRead === 0) break;
        n += bytesRead;
        if (n === buf.length) break;
      }
      if (n > max) return { issues: [tooBig(file, n, max)] };
      bytes = buf.subarray(0, n);
    } finally {
      await fh.close();
    }
  } catch (e) {
    return { issues: [issueAt(file, { line: 1, col: 1 }, `cannot read file: ${(e as Error).message}`)] };
  }
  return decodeScenario(bytes, file);
}

function tooBig(file: string, size: number, max: number): ScenarioIssue {
  return issueAt(
    file,
    { line: 1, col: 1 },
    `the file is ${size} bytes, larger than the ${max}-byte limit for scenario files (raise it with --max-scenario-bytes)`,
  );
}

/** Decodes UTF-8 bytes, refusing invalid UTF-8 and control characters at their line:col. */
export function decodeScenario(bytes: Uint8Array, file: string): ReadResult {
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, bad));
    const b = bytes[bad]!.toString(16).toUpperCase().padStart(2, '0');
    return {
      issues: [
        issueAt(file, positionIn(before, before.length), `invalid UTF-8 (byte 0x${b} at offset ${bad}): scenario files must be UTF-8 text`),
      ],
    };
  }
  const text = new TextDecoder('utf-8').decode(bytes);
  const issue = controlCharacter(text, file);
  return issue ? { issues: [issue] } : { text };
}

/** The first NUL or other C0 control character (tab, LF and CR aside), as an issue. */
export function controlCharacter(text: string, file: string): ScenarioIssue | undefined {
  // eslint-disable-next-line no-control-regex
  const m = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.exec(text);
  if (!m) return undefined;
  const code = m[0].charCodeAt(0);
  const what = code === 0 ? 'a NUL byte' : `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return issueAt(file, positionIn(text, m.index), `${what}: scenario files must be text`);
}

/** Offset of the first byte that is not part of valid UTF-8, or -1. Linear. */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** A problem found in the data, to be located: a path in the document (and maybe a key there). */
export interface Problem {
  readonly path: readonly PropertyKey[];
  readonly key?: string;
  readonly message: string;
  readonly severity?: 'error' | 'warning';
}

/** A problem as a located issue (at 1:1 of `<scenario>` when the source is unknown). */
export function locatedIssue(p: Problem, source?: ScenarioSource): ScenarioIssue {
  const pos = source ? source.locate(p.path, p.key) : { line: 1, col: 1 };
  const path = [...p.path, ...(p.key !== undefined ? [p.key] : [])].map(String).join('.');
  const hint = source && p.severity !== 'warning' ? source.commaHint(p.path, p.key) : undefined;
  return {
    file: source?.file ?? '<scenario>',
    line: pos.line,
    col: pos.col,
    path,
    message: hint ? `${p.message} (${hint})` : p.message,
    ...(p.severity === 'warning' ? { severity: 'warning' as const } : {}),
  };
}

/** A parsed YAML document with positions. */
export class ScenarioSource {
  readonly #lc: LineCounter;
  readonly #pairs = new WeakMap<YAMLMap, Map<string, Pair>>();

  private constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document,
    lc: LineCounter,
  ) {
    this.#lc = lc;
  }

  /**
   * Parses YAML text. Returns the source and the plain data, or the YAML-level issues (syntax,
   * nesting deeper than {@link MAX_SCENARIO_DEPTH}, excessive aliases), each located.
   */
  static parse(
    text: string,
    file: string,
  ): { source: ScenarioSource; data: unknown; warnings: ScenarioIssue[] } | { issues: ScenarioIssue[] } {
    const control = controlCharacter(text, file);
    if (control) return { issues: [control] };
    const flow = flowNestingIssue(text, file);
    if (flow) return { issues: [flow] };
    const lc = new LineCounter();
    const docs = composeChecked(text, file, lc);
    if (!Array.isArray(docs)) return { issues: [docs] };
    const doc = docs[0]!;
    const source = new ScenarioSource(file, text, doc, lc);
    const errors = doc.errors.map((e) => issueAt(file, source.position(e.pos[0]), `YAML: ${e.message.split('\n')[0]}`));
    if (docs.length > 1)
      errors.push(
        issueAt(
          file,
          source.position(docs[1]!.range?.[0] ?? 0),
          'YAML: a scenario file holds one document; this is a second one (after ---)',
        ),
      );
    if (errors.length === 0) errors.push(...source.#duplicateKeys());
    if (errors.length > 0) return { issues: errors };
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: MAX_SCENARIO_ALIASES });
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e;
      return { issues: [issueAt(file, source.position(firstAliasOffset(doc)), aliasMessage(e.message))] };
    }
    const warnings = doc.warnings.map(
      (w): ScenarioIssue => ({ ...issueAt(file, source.position(w.pos[0]), `YAML: ${w.message.split('\n')[0]}`), severity: 'warning' }),
    );
    return { source, data, warnings };
  }

  /** Keys written twice in one mapping, at the second (a Set per mapping: linear). */
  #duplicateKeys(): ScenarioIssue[] {
    const out: ScenarioIssue[] = [];
    visit(this.doc, {
      Map: (_, map) => {
        const seen = new Map<string, number>();
        for (const p of map.items) {
          if (!isScalar(p.key) || !p.key.range) continue;
          const k = String(p.key.value);
          const first = seen.get(k);
          if (first === undefined) {
            seen.set(k, p.key.range[0]);
            continue;
          }
          const f = this.position(first);
          out.push(
            issueAt(
              this.file,
              this.position(p.key.range[0]),
              `YAML: key "${k}" is written twice in this mapping (first at line ${f.line}, column ${f.col})`,
            ),
          );
        }
      },
    });
    return out;
  }

  /** Line and column of a string offset. */
  position(offset: number): Position {
    const p = this.#lc.linePos(offset);
    return { line: p.line, col: p.col };
  }

  /** Position of the node at `path` (or of one key in the mapping there); the nearest ancestor when absent. */
  locate(path: readonly PropertyKey[], key?: string): Position {
    return this.position(this.#offsetOf(path, key));
  }

  /**
   * A "quote it" hint when the key at `path` (or `key` in the mapping at `path`) is a stray piece
   * of a flow mapping `{ … }` whose previous value had a comma in it: `{ description: a, b }`.
   */
  commaHint(path: readonly PropertyKey[], key?: string): string | undefined {
    const parentPath = key === undefined ? path.slice(0, -1) : path;
    const name = key ?? String(path.at(-1));
    const map = this.#nodeAt(parentPath);
    if (!isMap(map) || !map.flow) return undefined;
    const i = map.items.findIndex((p) => isScalar(p.key) && String(p.key.value) === name);
    const pair = map.items[i];
    const prev = map.items[i - 1];
    if (!pair || !prev || pair.value !== null || !isScalar(pair.key) || !isScalar(prev.value) || !isScalar(prev.key)) return undefined;
    if (prev.value.type !== 'PLAIN' || !prev.value.range || !pair.key.range) return undefined;
    const joined = this.text.slice(prev.value.range[0], pair.key.range[1]);
    if (joined.includes('\n') || joined.includes('"')) return undefined;
    return `in a flow mapping { … } a comma ends the value; if "${name}" belongs to ${String(prev.key.value)}, quote it: ${String(prev.key.value)}: "${joined}"`;
  }

  #nodeAt(path: readonly PropertyKey[]): unknown {
    let node: unknown = this.doc.contents;
    for (const seg of path) {
      const next = this.#child(node, seg);
      if (next === undefined) return undefined;
      node = next.value;
    }
    return node;
  }

  #child(node: unknown, seg: PropertyKey): { keyNode?: unknown; value: unknown } | undefined {
    if (isMap(node)) {
      const pair = this.#pairIndex(node).get(String(seg));
      return pair ? { keyNode: pair.key, value: pair.value } : undefined;
    }
    if (node && typeof node === 'object' && 'items' in node && typeof seg === 'number') {
      const item = (node as { items: unknown[] }).items[seg];
      return item === undefined ? undefined : { value: item };
    }
    return undefined;
  }

  /** key → pair of a mapping, built once per mapping (keeps locating many issues linear). */
  #pairIndex(map: YAMLMap): Map<string, Pair> {
    let index = this.#pairs.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items)
        if (isPair(p) && isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p as Pair);
      this.#pairs.set(map, index);
    }
    return index;
  }

  #offsetOf(path: readonly PropertyKey[], key?: string): number {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const seg of path) {
      const next = this.#child(node, seg);
      if (!next) return offset;
      offset = rangeStart(next.keyNode) ?? offset;
      if (next.value === null || next.value === undefined) return offset;
      node = next.value;
      offset = rangeStart(node) ?? offset;
    }
    if (key !== undefined) {
      const next = this.#child(node, key);
      if (next) return rangeStart(next.keyNode) ?? offset;
    }
    return offset;
  }
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return r ? r[0] : undefined;
}

function aliasMessage(raw: string): string {
  return /Excessive alias count/.test(raw)
    ? `YAML: the aliases expand to too large a document (more than ${MAX_SCENARIO_ALIASES} alias expansions, a "billion laughs" pattern)`
    : `YAML: ${raw.split('\n')[0]}`;
}

function firstAliasOffset(doc: Document): number {
  let offset = 0;
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

const CONTROL_TOKENS = new Set(['\u0002', '\u0018', '\u001f', '\ufeff']);

/**
 * Flow brackets nested deeper than {@link MAX_SCENARIO_DEPTH}, counted on the lexer's tokens
 * (linear; yaml's CST parser is slow on very deep flow input, so this runs first).
 */
function flowNestingIssue(text: string, file: string): ScenarioIssue | undefined {
  let depth = 0;
  let offset = 0;
  for (const tok of new Lexer().lex(text)) {
    if (tok.length === 1 && CONTROL_TOKENS.has(tok) && text[offset] !== tok) continue;
    if (tok === '[' || tok === '{') {
      if (++depth > MAX_SCENARIO_DEPTH) return deepIssue(file, positionIn(text, offset));
    } else if (tok === ']' || tok === '}') depth = Math.max(0, depth - 1);
    offset += tok.length;
  }
  return undefined;
}

/** The YAML documents of the text, or the nesting issue that stopped composing them. */
function composeChecked(text: string, file: string, lc: LineCounter): Document[] | ScenarioIssue {
  const tokens = [...new Parser(lc.addNewLine).parse(text)];
  const deep = nestingIssue(tokens, text, file);
  if (deep) return deep;
  // uniqueKeys is quadratic in yaml 2 (each key compared with every earlier one): checked after, linearly.
  return [...new Composer({ uniqueKeys: false }).compose(tokens, true, text.length)];
}

/** Block and flow nesting together, on the CST, with an explicit stack (no recursion). */
function nestingIssue(tokens: readonly CST.Token[], text: string, file: string): ScenarioIssue | undefined {
  type Tok = { type: string; offset: number; items?: Array<{ key?: unknown; value?: unknown }>; value?: unknown };
  const stack: Array<[Tok, number]> = tokens.map((t) => [t as Tok, 0]);
  while (stack.length > 0) {
    const [tok, d] = stack.pop()!;
    if (tok.type === 'document' && tok.value) stack.push([tok.value as Tok, 0]);
    if (!tok.items) continue;
    if (d + 1 > MAX_SCENARIO_DEPTH) return deepIssue(file, positionIn(text, tok.offset));
    for (const item of tok.items) {
      if (item.key && typeof item.key === 'object') stack.push([item.key as Tok, d + 1]);
      if (item.value && typeof item.value === 'object') stack.push([item.value as Tok, d + 1]);
    }
  }
  return undefined;
}

function deepIssue(file: string, pos: Position): ScenarioIssue {
  return issueAt(file, pos, `YAML: mappings and lists nested deeper than ${MAX_SCENARIO_DEPTH} levels`);
}
