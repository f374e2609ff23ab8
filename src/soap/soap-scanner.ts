/**
 * A strict one-pass reader for the plain SOAP envelopes UPnP control points send.
 *
 * It accepts a well-defined subset of XML: an optional XML declaration at the very start, then
 * one root element; ASCII names with at most one prefix; quoted attributes without `<` or `>`;
 * text with the predefined entities, character references and bare `&` (decoded as
 * `decodeXmlText` does); CDATA sections, comments and processing instructions inside; at most
 * {@link MAX_XML_DEPTH} levels. Line ends are normalised and values trimmed as fast-xml-parser
 * does (text around a comment is one text node, a processing instruction or CDATA section splits
 * it, CDATA is not trimmed), so for such a body it returns exactly what {@link parseSoapBody}'s
 * validated fast-xml-parser path returns (a differential fuzz test holds the two together).
 * Anything else — DOCTYPE, non-ASCII names, `<?xml` after the start, malformed markup — returns
 * `undefined`, and the caller falls back to the linear markup check and fast-xml-parser.
 *
 * Every step moves forward through the text (native searches included), so the work is linear in
 * its length; `work` counts it (test/corpus/ proves it at N and 2N).
 *
 * Why: validating and parsing with fast-xml-parser costs 30–70 µs per request and most of a
 * request's allocations; this reader costs a few microseconds and allocates one small node per
 * element. It cannot widen what is accepted: a body it does not understand takes the old path.
 */
import { SOAP_ENCODING, SOAP_ENVELOPE_NS } from '../constants.js';
import { MAX_XML_DEPTH } from './soap-constants.js';
import type { SoapBody } from './xml.js';
import type { ScanWork } from './xml-check.js';
import { decodeXmlText } from './xml-text.js';

/** An element as the extraction below needs it. */
interface El {
  readonly name: string;
  /** Namespace declarations as [attribute, value, attribute, value, …]; undefined when there are none. */
  ns: string[] | undefined;
  /** Child elements; the shared {@link NO_KIDS} until the first (most elements are leaves). */
  kids: El[];
  /** Trimmed text of a leaf (elements with element children ignore their text). */
  text: string;
}

const LT = 60;
const GT = 62;
/** Attributes per element checked for duplicates in a list (a SOAP envelope has at most three); more use a Set. */
const MAX_LISTED_ATTRIBUTES = 16;
const BANG = 33;
const QUESTION = 63;
const SLASH = 47;
const EQ = 61;
const DQ = 34;
const SQ = 39;
const COLON = 58;

const isWs = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;
const isNameStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isNameChar = (c: number): boolean => isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46;

/** What the full path refuses as 'doctype' before anything else. */
const DECLARATION = /<!DOCTYPE|<!ENTITY/i;

/** Line ends normalised to LF (XML 1.0 §2.11). */
const normalisedLines = (raw: string): string => (raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw);
/** A value as fast-xml-parser gives it: line ends normalised, trimmed. */
const normalised = (raw: string): string => normalisedLines(raw).trim();

/** `<?xml version="1.0" encoding="utf-8"?>` at offset 0: pseudo-attributes with plain values. */
const XML_DECL = /^<\?xml(?:[ \t\r\n]+[A-Za-z]+[ \t\r\n]*=[ \t\r\n]*(?:"[^"<>&?]*"|'[^'<>&?]*'))*[ \t\r\n]*\?>/y;

/**
 * Reads a name at `i` (ASCII, at most one `:` between two non-empty parts); returns the end offset,
 * or -1 when there is no name in the subset there.
 */
function nameEnd(text: string, i: number, w: ScanWork): number {
  w.steps++;
  if (!isNameStart(text.charCodeAt(i))) return -1;
  let j = i + 1;
  let colon = false;
  for (;;) {
    const c = text.charCodeAt(j);
    w.steps++;
    if (isNameChar(c)) j++;
    else if (c === COLON && !colon && isNameStart(text.charCodeAt(j + 1))) {
      colon = true;
      j += 2;
    } else return j;
  }
}

/** The envelope openings miniupnpc (upnpc, python miniupnpc), nat-upnp and natsim's own tools send. */
const KNOWN_OPENINGS: ReadonlyArray<{ readonly text: string }> =
  ['<?xml version="1.0"?>\r\n', '<?xml version="1.0"?>\n', '<?xml version="1.0"?>', ''].map((decl) => ({
    text: `${decl}<s:Envelope xmlns:s="${SOAP_ENVELOPE_NS}" s:encodingStyle="${SOAP_ENCODING}"><s:Body>`,
  }));

/** True when text[from, to) is XML whitespace only. */
function blank(text: string, from: number, to: number, w: ScanWork): boolean {
  w.steps += to - from;
  for (let k = from; k < to; k++) if (!isWs(text.charCodeAt(k))) return false;
  return true;
}

/** The kids of every leaf: one shared empty array, never pushed to. */
const NO_KIDS: El[] = [];

/** The body ends inside markup, with elements open, or an end tag does not match: malformed whatever parser reads it. */
const CUT = Symbol('cut');

/** Scans `text`; the element tree's root, {@link CUT}, or undefined when the text is outside the subset. */
function scanTree(text: string, w: ScanWork): El | typeof CUT | undefined {
  const n = text.length;
  let i = 0;
  const stack: El[] = [];
  let root: El | undefined;
  // slice + === compares natively; startsWith and charCodeAt loops cost several ns a character.
  const known = KNOWN_OPENINGS.find((o) => text.slice(0, o.text.length) === o.text);
  if (known) {
    // The opening every miniupnpc-family client sends, byte for byte: known to be well-formed,
    // so scanning resumes inside <s:Body> with Envelope and Body open.
    const body: El = { name: 's:Body', ns: undefined, kids: [], text: '' };
    root = { name: 's:Envelope', ns: ['xmlns:s', SOAP_ENVELOPE_NS], kids: [body], text: '' };
    stack.push(root, body);
    i = known.text.length;
  } else if (text.startsWith('<?')) {
    XML_DECL.lastIndex = 0;
    const matched = XML_DECL.test(text);
    // The declaration's pattern has no nested quantifiers over the same characters: one pass.
    w.steps += matched ? XML_DECL.lastIndex : n;
    if (!matched) return undefined;
    i = XML_DECL.lastIndex;
  }
  /** Raw text of the current text node (it runs across comments), not yet added to its element. */
  let raw = '';
  /** Ends the current text node: trimmed, decoded, appended to the open leaf. */
  const flush = (top: El | undefined): void => {
    if (raw === '') return;
    w.steps += 2 * raw.length;
    if (top && top.kids.length === 0) top.text += decodeXmlText(normalised(raw));
    raw = '';
  };
  for (;;) {
    const lt = text.indexOf('<', i);
    const runEnd = lt < 0 ? n : lt;
    w.steps += 2 * (runEnd - i) + 1; // the search, then the run's slice or blank check
    const top = stack[stack.length - 1];
    if (runEnd > i) {
      // A text run: outside the root only whitespace; inside, the text of a (so far) leaf.
      if (!top) {
        if (!blank(text, i, runEnd, w)) return undefined;
      } else if (top.kids.length === 0) raw += text.slice(i, runEnd);
    }
    if (lt < 0) break;
    i = lt;
    const next = text.charCodeAt(i + 1);
    if (next === BANG) {
      if (text.startsWith('<!--', i)) {
        // A comment: skipped; the text node continues after it (as fast-xml-parser reads it).
        const end = text.indexOf('-->', i + 4);
        w.steps += (end < 0 ? n : end + 3) - i;
        if (end < 0) return CUT;
        i = end + 3;
        continue;
      }
      if (top && text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i + 9);
        w.steps += (end < 0 ? n : end + 3) - i;
        if (end < 0) return CUT;
        flush(top);
        if (top.kids.length === 0) top.text += normalisedLines(text.slice(i + 9, end));
        i = end + 3;
        continue;
      }
      return undefined; // DOCTYPE, CDATA outside the root, …
    }
    if (next === QUESTION) {
      // A processing instruction (not a second XML declaration): skipped; it ends the text node.
      const e = nameEnd(text, i + 2, w);
      if (e < 0 || (e - i - 2 === 3 && text.slice(i + 2, e).toLowerCase() === 'xml')) return undefined;
      const end = text.indexOf('?>', e);
      w.steps += (end < 0 ? n : end + 2) - e;
      if (end < 0) return CUT;
      flush(top);
      i = end + 2;
      continue;
    }
    flush(top);
    if (next === SLASH) {
      // End tag: </name ws*>, where name must be the open element's (no need to scan it).
      // An end tag that does not close the open element is malformed for every parser.
      const s = i + 2;
      if (!top) return CUT;
      const len = top.name.length;
      w.steps += len;
      if (text.slice(s, s + len) !== top.name) return CUT;
      let j = s + len;
      while (isWs(text.charCodeAt(j))) j++;
      w.steps += j - s - len + 1;
      if (text.charCodeAt(j) !== GT) return CUT;
      stack.pop();
      i = j + 1;
      continue;
    }
    // Start tag: <name (ws+ attr ws* = ws* "value")* ws* (/)?>
    if (root !== undefined && stack.length === 0) return undefined; // a second root
    const s = i + 1;
    const e = nameEnd(text, s, w);
    if (e < 0) return undefined; // <!…, <?…, < x, …
    const el: El = { name: text.slice(s, e), ns: undefined, kids: NO_KIDS, text: '' };
    let j = e;
    let seen: string[] | undefined;
    let seenSet: Set<string> | undefined;
    for (;;) {
      const before = j;
      while (isWs(text.charCodeAt(j))) j++;
      w.steps += j - before + 1;
      const d = text.charCodeAt(j);
      if (d === GT || d === SLASH) break;
      if (j >= n) return CUT;
      if (j === before) return undefined; // attributes need whitespace before them
      const ae = nameEnd(text, j, w);
      if (ae < 0) return undefined;
      const attr = text.slice(j, ae);
      // Envelopes carry a handful of attributes, searched in a list; beyond that a Set keeps the
      // duplicate check linear.
      if (seenSet) {
        if (seenSet.has(attr)) return undefined;
        seenSet.add(attr);
      } else {
        if (seen?.includes(attr)) return undefined;
        w.steps += seen?.length ?? 0;
        (seen ??= []).push(attr);
        if (seen.length > MAX_LISTED_ATTRIBUTES) seenSet = new Set(seen);
      }
      j = ae;
      const eq = j;
      while (isWs(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) !== EQ) return undefined;
      j++;
      while (isWs(text.charCodeAt(j))) j++;
      w.steps += j - eq;
      const q = text.charCodeAt(j);
      if (q !== DQ && q !== SQ) return undefined;
      const vs = j + 1;
      // No `<` or `>` in the value: one pass to the closing quote (searching for each from the
      // value's start would rescan the rest of the body once per attribute: quadratic).
      let ve = vs;
      for (;;) {
        const v = text.charCodeAt(ve);
        if (v === q) break;
        if (Number.isNaN(v)) return CUT;
        if (v === LT || v === GT) return undefined;
        ve++;
      }
      w.steps += ve - vs + 1;
      // Values are trimmed, as fast-xml-parser's trimValues does.
      if (attr === 'xmlns' || attr.startsWith('xmlns:')) (el.ns ??= []).push(attr, decodeXmlText(normalised(text.slice(vs, ve))));
      j = ve + 1;
    }
    const parent = stack[stack.length - 1];
    if (parent) {
      if (parent.kids === NO_KIDS) parent.kids = [el];
      else parent.kids.push(el);
    }
    else root = el;
    if (text.charCodeAt(j) === SLASH) {
      if (text.charCodeAt(j + 1) !== GT) return undefined;
      i = j + 2;
      continue;
    }
    if (stack.length + 1 > MAX_XML_DEPTH) return undefined; // let the full path report it
    stack.push(el);
    i = j + 1;
  }
  if (stack.length !== 0) return CUT;
  if (root === undefined) return undefined;
  return root;
}

const localName = (qname: string): string => {
  const i = qname.indexOf(':');
  return i < 0 ? qname : qname.slice(i + 1);
};

/** The value an element declares for `xmlns` / `xmlns:p`, if it does. */
function nsValue(el: El, key: string): string | undefined {
  const ns = el.ns;
  if (ns) for (let k = 0; k < ns.length; k += 2) if (ns[k] === key) return ns[k + 1];
  return undefined;
}

/** Leaf elements as name → text, first occurrence winning (as xml.ts's collectLeaves). */
function collectLeaves(els: readonly El[], out: Map<string, string>): void {
  for (const el of els) {
    if (el.kids.length > 0) collectLeaves(el.kids, out);
    else {
      const ln = localName(el.name);
      if (!out.has(ln)) out.set(ln, el.text);
    }
  }
}

/**
 * Reads a SOAP body in the subset described above; undefined when the body needs the full parser,
 * 'malformed' when it ends inside markup or with elements open, or an end tag does not close the
 * open element (refused as the full path would
 * refuse it, without reading it twice; a body naming DOCTYPE or ENTITY anywhere is left to the
 * full path, which reports that first). The caller has already applied the size limit. `work`,
 * when given, counts the characters examined (tests prove the scan linear with it).
 */
export function scanSoapBody(text: string, work: ScanWork = { steps: 0 }): SoapBody | 'malformed' | undefined {
  const root = scanTree(text, work);
  if (root === CUT) {
    work.steps += text.length;
    return DECLARATION.test(text) ? undefined : 'malformed';
  }
  if (!root) return undefined;
  const args = new Map<string, string>();
  if (localName(root.name) === 'Envelope') {
    const body = root.kids.find((k) => localName(k.name) === 'Body');
    if (body) {
      const action = body.kids[0];
      if (!action) return { action: '', serviceType: '', args };
      collectLeaves(action.kids, args);
      const colon = action.name.indexOf(':');
      const key = colon < 0 ? 'xmlns' : `xmlns:${action.name.slice(0, colon)}`;
      const serviceType = nsValue(action, key) ?? nsValue(body, key) ?? nsValue(root, key) ?? '';
      return { action: localName(action.name), serviceType, args };
    }
  }
  collectLeaves([root], args);
  return { action: '', serviceType: '', args };
}
