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
 * request's allocations; this reader costs a few microseconds and builds no element tree: it
 * keeps the open elements' names, the leaves that count as arguments and the namespace
 * declarations of the root, Body and action only (a body of 16,000 `<b/>` allocates no node per
 * element). It cannot widen what is accepted: a body it does not understand takes the old path.
 */
import { SOAP_ENCODING, SOAP_ENVELOPE_NS } from '../constants.js';
import { MAX_XML_DEPTH } from './soap-constants.js';
import { SpanSet, sameSpan } from './span-set.js';
import type { SoapBody } from './xml.js';
import { BANG, COLON, DQ, EQ, GT, isWs, LT, QUESTION, SLASH, SQ } from './xml-chars.js';
import type { ScanWork } from './xml-check.js';
import { decodeXmlText } from './xml-text.js';

/** Attributes per element checked for duplicates against each other in place (a SOAP envelope has at most three); more use a {@link SpanSet}. */
const MAX_LISTED_ATTRIBUTES = 8;

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

/** Where the last name {@link nameEnd} read has its `:` (-1: none). */
let nameColon = -1;

/**
 * Reads a name at `i` (ASCII, at most one `:` between two non-empty parts); returns the end offset,
 * or -1 when there is no name in the subset there.
 */
function nameEnd(text: string, i: number, w: ScanWork): number {
  nameColon = -1;
  if (!isNameStart(text.charCodeAt(i))) {
    w.steps++;
    return -1;
  }
  let j = i + 1;
  for (;;) {
    const c = text.charCodeAt(j);
    if (isNameChar(c)) j++;
    else if (c === COLON && nameColon < 0 && isNameStart(text.charCodeAt(j + 1))) {
      nameColon = j;
      j += 2;
    } else {
      // One step per character examined (the name, then the character after it).
      w.steps += j - i + 1;
      return j;
    }
  }
}

/** The envelope openings miniupnpc (upnpc, python miniupnpc), nat-upnp and natsim's own tools send, each with where its Envelope and Body names start. */
const KNOWN_OPENINGS: ReadonlyArray<{ readonly text: string; readonly envelope: number; readonly body: number }> = [
  '<?xml version="1.0"?>\r\n',
  '<?xml version="1.0"?>\n',
  '<?xml version="1.0"?>',
  '',
].map((decl) => {
  const text = `${decl}<s:Envelope xmlns:s="${SOAP_ENVELOPE_NS}" s:encodingStyle="${SOAP_ENCODING}"><s:Body>`;
  return { text, envelope: text.indexOf('<s:Envelope') + 1, body: text.indexOf('<s:Body>') + 1 };
});

/** True when text[from, to) is XML whitespace only. */
function blank(text: string, from: number, to: number, w: ScanWork): boolean {
  w.steps += to - from;
  for (let k = from; k < to; k++) if (!isWs(text.charCodeAt(k))) return false;
  return true;
}

/** The body ends inside markup, with elements open, or an end tag does not match: malformed whatever parser reads it. */
const CUT = Symbol('cut');

const localName = (qname: string): string => {
  const i = qname.indexOf(':');
  return i < 0 ? qname : qname.slice(i + 1);
};

/**
 * What the scan keeps of the document: only what the SOAP action reads. No element tree is
 * built — leaves are collected as they close (document order is the order a depth-first walk
 * of the tree would visit them), and only the root, the Body and the action element keep their
 * namespace declarations. Names are compared where they stand in the text: a name is sliced
 * only when it is kept (an argument's first occurrence, the action).
 */
interface Found {
  /** Leaves of the whole document, first occurrence winning: the arguments when there is no Envelope/Body. */
  readonly all: Map<string, string>;
  /** Leaves inside the action element (Envelope/Body's first child element). */
  readonly args: Map<string, string>;
  rootIsEnvelope: boolean;
  bodyFound: boolean;
  /** The action element's qualified name; undefined until it opens. */
  action: string | undefined;
  /** Namespace declarations of the root, the Body and the action: offsets [name start, name end, value start, value end, …]. */
  rootNs: number[] | undefined;
  bodyNs: number[] | undefined;
  actionNs: number[] | undefined;
}

/**
 * The scan's sets of spans, and the open elements' name offsets (at most MAX_XML_DEPTH), reused
 * from scan to scan (a scan runs to its end synchronously; each starts by clearing them): the local
 * names of the arguments found so far (whole document / action), an element's attribute names.
 */
const ALL_NAMES = new SpanSet();
const ARG_NAMES = new SpanSet();
const ATTRIBUTES = new SpanSet();
/** Per open element: where its name starts, ends, and its local part starts; whether it has had a child element. */
const OPENED = new Int32Array(MAX_XML_DEPTH + 1);
const OPENED_END = new Int32Array(MAX_XML_DEPTH + 1);
const OPENED_LOCAL = new Int32Array(MAX_XML_DEPTH + 1);
const HAS_KIDS = new Uint8Array(MAX_XML_DEPTH + 1);

/**
 * Whether a leaf at `depth` whose local name is text[from, to) adds an argument: in scope, and the
 * first of its local name there (then the name is recorded: the caller adds the leaf).
 */
function counts(found: Found, depth: number, actionOpen: boolean, text: string, from: number, to: number, w: ScanWork): boolean {
  if (!found.bodyFound) return ALL_NAMES.add(text, from, to, w);
  return actionOpen && depth >= 3 && ARG_NAMES.add(text, from, to, w);
}

/** Adds a leaf that {@link counts}: to the whole document's leaves until a Body is found, then to the action's arguments. */
function addLeaf(found: Found, name: string, value: string): void {
  (found.bodyFound ? found.args : found.all).set(name, value);
}

/** text[from, to) is `xmlns` or `xmlns:…` (compared in place). */
const isXmlns = (text: string, from: number, to: number): boolean =>
  to - from >= 5 &&
  text.charCodeAt(from) === 120 && // x m l n s
  text.charCodeAt(from + 1) === 109 &&
  text.charCodeAt(from + 2) === 108 &&
  text.charCodeAt(from + 3) === 110 &&
  text.charCodeAt(from + 4) === 115 &&
  (to - from === 5 || text.charCodeAt(from + 5) === COLON);

/** The text node so far: `raw` and the piece text[from, to) not yet sliced (no closure: the scan's variables stay in registers). */
const rawText = (text: string, raw: string, from: number, to: number): string => (to === from ? raw : raw + text.slice(from, to));

/** Scans `text` into `found`; {@link CUT}, undefined when the text is outside the subset, or true. */
function scanTree(text: string, w: ScanWork, found: Found): true | typeof CUT | undefined {
  const n = text.length;
  let i = 0;
  // The open elements, outermost first (OPENED…, HAS_KIDS: then it is no leaf and its text is ignored).
  let depth = 0;
  ALL_NAMES.clear();
  ARG_NAMES.clear();
  /** An element's attribute names so far (offsets), then a set when there are many. */
  const attrStart: number[] = [];
  const attrEnd: number[] = [];
  let rootSeen = false;
  /** The Body (at depth 1) / the action (at depth 2) is the open element there. */
  let bodyOpen = false;
  let actionOpen = false;
  // slice + === compares natively; startsWith and charCodeAt loops cost several ns a character.
  const known = KNOWN_OPENINGS.find((o) => text.slice(0, o.text.length) === o.text);
  if (known) {
    // The opening every miniupnpc-family client sends, byte for byte: known to be well-formed,
    // so scanning resumes inside <s:Body> with Envelope and Body open.
    OPENED[0] = known.envelope;
    OPENED_END[0] = known.envelope + 10;
    OPENED_LOCAL[0] = known.envelope + 2;
    HAS_KIDS[0] = 1;
    OPENED[1] = known.body;
    OPENED_END[1] = known.body + 6;
    OPENED_LOCAL[1] = known.body + 2;
    HAS_KIDS[1] = 0;
    depth = 2;
    rootSeen = true;
    found.rootIsEnvelope = true;
    found.bodyFound = true;
    found.rootNs = [known.envelope + 11, known.envelope + 18, known.envelope + 20, known.envelope + 20 + SOAP_ENVELOPE_NS.length];
    bodyOpen = true;
    i = known.text.length;
  } else if (text.startsWith('<?')) {
    XML_DECL.lastIndex = 0;
    const matched = XML_DECL.test(text);
    // The declaration's pattern has no nested quantifiers over the same characters: one pass.
    w.steps += matched ? XML_DECL.lastIndex : n;
    if (!matched) return undefined;
    i = XML_DECL.lastIndex;
  }
  /** Raw text of the current text node (it runs across comments), not yet added to its element: earlier pieces… */
  let raw = '';
  /** …and the last piece, text[pieceFrom, pieceTo), sliced only when the text is used. */
  let pieceFrom = 0;
  let pieceTo = 0;
  /** Text of the innermost open element while it has no child element. */
  let leafText = '';
  for (;;) {
    // Markup often follows markup (`<b/><b/>…`): look before calling the native search.
    const lt = text.charCodeAt(i) === LT ? i : text.indexOf('<', i);
    const runEnd = lt < 0 ? n : lt;
    w.steps += 2 * (runEnd - i) + 1; // the search, then the run's slice or blank check
    const leaf = depth > 0 && HAS_KIDS[depth - 1] === 0;
    if (runEnd > i) {
      // A text run: outside the root only whitespace; inside, the text of a (so far) leaf.
      if (depth === 0) {
        if (!blank(text, i, runEnd, w)) return undefined;
      } else if (leaf) {
        if (pieceTo > pieceFrom) raw += text.slice(pieceFrom, pieceTo);
        pieceFrom = i;
        pieceTo = runEnd;
      }
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
      if (depth > 0 && text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i + 9);
        w.steps += (end < 0 ? n : end + 3) - i;
        if (end < 0) return CUT;
        if (raw.length + pieceTo - pieceFrom !== 0) {
          w.steps += 2 * (raw.length + pieceTo - pieceFrom);
          if (leaf) leafText += decodeXmlText(normalised(rawText(text, raw, pieceFrom, pieceTo)));
          raw = '';
          pieceFrom = pieceTo = 0;
        }
        if (leaf) leafText += normalisedLines(text.slice(i + 9, end));
        i = end + 3;
        continue;
      }
      return undefined; // DOCTYPE, CDATA outside the root, …
    }
    if (next === QUESTION) {
      // A processing instruction (not a second XML declaration): skipped.
      const e = nameEnd(text, i + 2, w);
      if (e < 0 || (e - i - 2 === 3 && text.slice(i + 2, e).toLowerCase() === 'xml')) return undefined;
      const end = text.indexOf('?>', e);
      w.steps += (end < 0 ? n : end + 2) - e;
      if (end < 0) return CUT;
      // It ends the current text node: trimmed, decoded, added to the open leaf.
      if (raw.length + pieceTo - pieceFrom !== 0) {
        w.steps += 2 * (raw.length + pieceTo - pieceFrom);
        if (leaf) leafText += decodeXmlText(normalised(rawText(text, raw, pieceFrom, pieceTo)));
        raw = '';
        pieceFrom = pieceTo = 0;
      }
      i = end + 2;
      continue;
    }
    if (next === SLASH) {
      // End tag: </name ws*>, where name must be the open element's (compared in place, not scanned).
      // An end tag that does not close the open element is malformed for every parser.
      const s = i + 2;
      if (depth === 0) return CUT;
      const os = OPENED[depth - 1]!;
      const oe = OPENED_END[depth - 1]!;
      const len = oe - os;
      w.steps += len;
      if (!sameSpan(text, os, s, len)) return CUT;
      let j = s + len;
      while (isWs(text.charCodeAt(j))) j++;
      w.steps += j - s - len + 1;
      if (text.charCodeAt(j) !== GT) return CUT;
      // The leaf's last text node is decoded only when the leaf counts (first of its name, in scope).
      if (leaf && counts(found, depth - 1, actionOpen, text, OPENED_LOCAL[depth - 1]!, oe, w)) {
        w.steps += 2 * (raw.length + pieceTo - pieceFrom);
        const rawNow = rawText(text, raw, pieceFrom, pieceTo);
        addLeaf(found, text.slice(OPENED_LOCAL[depth - 1]!, oe), rawNow === '' ? leafText : leafText + decodeXmlText(normalised(rawNow)));
      }
      raw = '';
      pieceFrom = pieceTo = 0;
      leafText = '';
      if (depth === 3) actionOpen = false;
      else if (depth === 2) bodyOpen = false;
      depth--;
      i = j + 1;
      continue;
    }
    // Start tag: <name (ws+ attr ws* = ws* "value")* ws* (/)?>
    if (rootSeen && depth === 0) return undefined; // a second root
    const s = i + 1;
    const e = nameEnd(text, s, w);
    if (e < 0) return undefined; // <!…, <?…, < x, …
    const local = nameColon < 0 ? s : nameColon + 1;
    // Which of the three elements whose namespace declarations count this is, if any.
    let role = 0;
    if (depth === 0) role = 1;
    else if (depth === 1 && found.rootIsEnvelope && !found.bodyFound) {
      if (e - local === 4 && text.startsWith('Body', local)) role = 2;
    } else if (depth === 2 && bodyOpen && found.action === undefined) role = 3;
    let ns: number[] | undefined;
    let j = e;
    let attrs = 0;
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
      // Envelopes carry a handful of attributes, compared with each other in place; beyond that
      // a set of spans keeps the duplicate check linear.
      if (attrs < MAX_LISTED_ATTRIBUTES) {
        const len = ae - j;
        for (let k = 0; k < attrs; k++) {
          if (attrEnd[k]! - attrStart[k]! === len && sameSpan(text, attrStart[k]!, j, len)) return undefined;
        }
        w.steps += attrs;
        attrStart[attrs] = j;
        attrEnd[attrs] = ae;
      } else {
        if (attrs === MAX_LISTED_ATTRIBUTES) {
          ATTRIBUTES.clear();
          for (let k = 0; k < attrs; k++) ATTRIBUTES.add(text, attrStart[k]!, attrEnd[k]!, w);
        }
        if (!ATTRIBUTES.add(text, j, ae, w)) return undefined;
      }
      attrs++;
      const as = j;
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
      // Kept raw; decoded (trimmed, as fast-xml-parser's trimValues does) only when looked up.
      if (role !== 0 && isXmlns(text, as, ae)) (ns ??= []).push(as, ae, vs, ve);
      j = ve + 1;
    }
    const selfClosing = text.charCodeAt(j) === SLASH;
    if (selfClosing && text.charCodeAt(j + 1) !== GT) return undefined;
    if (depth > 0) HAS_KIDS[depth - 1] = 1;
    else rootSeen = true;
    // The parent is no leaf now: its text is ignored.
    raw = '';
    pieceFrom = pieceTo = 0;
    leafText = '';
    if (role === 1) {
      found.rootIsEnvelope = e - local === 8 && text.startsWith('Envelope', local);
      found.rootNs = ns;
    } else if (role === 2) {
      found.bodyFound = true;
      found.bodyNs = ns;
    } else if (role === 3) {
      found.action = text.slice(s, e);
      found.actionNs = ns;
    }
    if (selfClosing) {
      // An empty leaf: nothing to keep unless it counts as an argument.
      if ((!found.bodyFound || (actionOpen && depth >= 3)) && counts(found, depth, actionOpen, text, local, e, w))
        addLeaf(found, text.slice(local, e), '');
      i = j + 2;
      continue;
    }
    if (depth + 1 > MAX_XML_DEPTH) return undefined; // let the full path report it
    OPENED[depth] = s;
    OPENED_END[depth] = e;
    OPENED_LOCAL[depth] = local;
    HAS_KIDS[depth] = 0;
    depth++;
    if (role === 2) bodyOpen = true;
    else if (role === 3) actionOpen = true;
    i = j + 1;
  }
  if (depth !== 0) return CUT;
  if (!rootSeen) return undefined;
  return true;
}

/** The value the namespace declarations `ns` (offsets into `text`) give `xmlns` / `xmlns:p`, if they do. */
function nsValue(text: string, ns: number[] | undefined, key: string): string | undefined {
  if (ns)
    for (let k = 0; k < ns.length; k += 4) {
      if (ns[k + 1]! - ns[k]! === key.length && text.startsWith(key, ns[k]!))
        return decodeXmlText(normalised(text.slice(ns[k + 2]!, ns[k + 3]!)));
    }
  return undefined;
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
  const found: Found = {
    all: new Map(),
    args: new Map(),
    rootIsEnvelope: false,
    bodyFound: false,
    action: undefined,
    rootNs: undefined,
    bodyNs: undefined,
    actionNs: undefined,
  };
  const scanned = scanTree(text, work, found);
  if (scanned === CUT) {
    work.steps += text.length;
    return DECLARATION.test(text) ? undefined : 'malformed';
  }
  if (!scanned) return undefined;
  if (found.rootIsEnvelope && found.bodyFound) {
    const action = found.action;
    if (action === undefined) return { action: '', serviceType: '', args: found.args };
    const colon = action.indexOf(':');
    const key = colon < 0 ? 'xmlns' : `xmlns:${action.slice(0, colon)}`;
    const serviceType = nsValue(text, found.actionNs, key) ?? nsValue(text, found.bodyNs, key) ?? nsValue(text, found.rootNs, key) ?? '';
    return { action: localName(action), serviceType, args: found.args };
  }
  return { action: '', serviceType: '', args: found.all };
}
