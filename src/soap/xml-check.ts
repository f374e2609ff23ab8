/**
 * A linear markup check run before fast-xml-parser sees a SOAP body.
 *
 * One forward pass with a hand-written scanner (no regular expressions, no backtracking): every
 * character is looked at a bounded number of times, so the cost is O(length) whatever the input.
 * It refuses what must never reach the recursive parser — DOCTYPE and ENTITY declarations,
 * nesting deeper than the limit, and markup that is not well-formed: an unterminated tag, comment,
 * CDATA section or processing instruction, an unquoted attribute or one holding `<`, a duplicate
 * attribute, an end tag that does not match the open element. What it lets through has balanced,
 * bounded-depth markup, which keeps the parser after it linear too (bench/parse.ts measures it).
 *
 * The old check, the regex `<(\/?)([A-Za-z_][^\s/>]*)[^>]*?(\/?)>`, was cubic on `<a<a<a…`
 * (issue 12: a 4 KB body took 2 s, 8 KB 14.5 s).
 */
import { BANG, DQ, EQ, GT, isWs, LT, QUESTION, SLASH, SQ } from './xml-chars.js';

/** Work done by a scan, for tests that prove linearity by counting instead of timing. */
export interface ScanWork {
  /** Characters examined, including the spans native searches (indexOf) passed over. */
  steps: number;
}

/** Why a body fails the check. */
export type XmlCheckError = 'doctype' | 'too-deep' | 'malformed';

export type XmlCheckResult = { readonly ok: true } | { readonly ok: false; readonly error: XmlCheckError; readonly message: string };

/** Characters that end a name (XML names are checked in detail by the parser after this). */
const endsName = (c: number): boolean =>
  isWs(c) || c === GT || c === SLASH || c === LT || c === EQ || c === DQ || c === SQ || Number.isNaN(c);

const OK: XmlCheckResult = { ok: true };
const bad = (message: string): XmlCheckResult => ({ ok: false, error: 'malformed', message });

/** Case-insensitive ASCII comparison of text at `i` with upper-case `word`. */
function startsWithUpper(text: string, i: number, word: string): boolean {
  if (i + word.length > text.length) return false;
  for (let k = 0; k < word.length; k++) {
    let c = text.charCodeAt(i + k);
    if (c >= 97 && c <= 122) c -= 32;
    if (c !== word.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * Checks the markup of `text`: linear in its length. `limit` is the deepest nesting allowed;
 * `work`, when given, is incremented by the characters examined.
 */
export function checkXmlMarkup(text: string, limit: number, work?: ScanWork): XmlCheckResult {
  const n = text.length;
  const stack: string[] = [];
  let i = 0;
  let steps = 0;
  /** A native search from `from`; its span counts as work. */
  const find = (needle: string, from: number): number => {
    const at = text.indexOf(needle, from);
    steps += (at < 0 ? n : at + needle.length) - from;
    return at;
  };
  const result = (r: XmlCheckResult): XmlCheckResult => {
    if (work) work.steps += steps;
    return r;
  };
  for (;;) {
    const lt = find('<', i);
    if (lt < 0) break;
    i = lt + 1;
    const c = text.charCodeAt(i);
    steps++;
    if (c === BANG) {
      if (text.startsWith('--', i + 1)) {
        const end = find('-->', i + 3);
        if (end < 0) return result(bad('unterminated comment'));
        i = end + 3;
      } else if (text.startsWith('[CDATA[', i + 1)) {
        if (stack.length === 0) return result(bad('CDATA section outside the root element'));
        const end = find(']]>', i + 8);
        if (end < 0) return result(bad('unterminated CDATA section'));
        i = end + 3;
      } else if (startsWithUpper(text, i + 1, 'DOCTYPE') || startsWithUpper(text, i + 1, 'ENTITY')) {
        return result({ ok: false, error: 'doctype', message: 'DOCTYPE/ENTITY declarations are refused' });
      } else return result(bad(`unexpected "<!" at offset ${lt}`));
      continue;
    }
    if (c === QUESTION) {
      const end = find('?>', i + 1);
      if (end < 0) return result(bad('unterminated processing instruction'));
      i = end + 2;
      continue;
    }
    const closing = c === SLASH;
    if (closing) i++;
    // The element name.
    const s = i;
    while (!endsName(text.charCodeAt(i))) i++;
    steps += i - s + 1;
    if (i === s) return result(bad(`tag without a name at offset ${lt}`));
    const name = text.slice(s, i);
    if (closing) {
      while (isWs(text.charCodeAt(i))) {
        i++;
        steps++;
      }
      if (text.charCodeAt(i) !== GT) return result(bad(`malformed end tag at offset ${lt}`));
      i++;
      if (stack.length === 0 || stack[stack.length - 1] !== name) return result(bad(`end tag </${name}> does not match the open element`));
      stack.pop();
      continue;
    }
    // Attributes: (ws+ name ws* = ws* quoted-value)*, then ws* and > or />.
    let seen: Set<string> | undefined;
    let first: string | undefined;
    for (;;) {
      const before = i;
      while (isWs(text.charCodeAt(i))) i++;
      steps += i - before + 1;
      const d = text.charCodeAt(i);
      if (d === GT) {
        i++;
        if (stack.length >= limit) return result({ ok: false, error: 'too-deep', message: `elements nest deeper than ${limit}` });
        stack.push(name);
        break;
      }
      if (d === SLASH) {
        if (text.charCodeAt(i + 1) !== GT) return result(bad(`malformed empty-element tag at offset ${lt}`));
        i += 2;
        break;
      }
      if (i === before || endsName(d)) return result(bad(`malformed start tag at offset ${lt}`));
      const as = i;
      while (!endsName(text.charCodeAt(i))) i++;
      steps += i - as;
      const attr = text.slice(as, i);
      if (first === undefined) first = attr;
      else {
        seen ??= new Set([first]);
        if (seen.has(attr)) return result(bad(`duplicate attribute ${attr} at offset ${lt}`));
        seen.add(attr);
      }
      while (isWs(text.charCodeAt(i))) {
        i++;
        steps++;
      }
      if (text.charCodeAt(i) !== EQ) return result(bad(`attribute ${attr} without a value at offset ${lt}`));
      i++;
      while (isWs(text.charCodeAt(i))) {
        i++;
        steps++;
      }
      const q = text.charCodeAt(i);
      if (q !== DQ && q !== SQ) return result(bad(`unquoted attribute ${attr} at offset ${lt}`));
      i++;
      const vs = i;
      for (;;) {
        const v = text.charCodeAt(i);
        if (v === q) break;
        if (v === LT || Number.isNaN(v)) return result(bad(`unterminated or malformed value of ${attr} at offset ${lt}`));
        i++;
      }
      steps += i - vs + 1;
      i++;
    }
  }
  if (stack.length > 0) return result(bad(`element <${stack[stack.length - 1]}> is not closed`));
  return result(OK);
}
