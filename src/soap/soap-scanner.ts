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
import type { SoapBody } from './xml.js';
import { BANG, COLON, DQ, EQ, GT, isWs, LT, QUESTION, SLASH, SQ } from './xml-chars.js';
import type { ScanWork } from './xml-check.js';
import { decodeXmlText } from './xml-text.js';

/** Attributes per element checked for duplicates in a list (a SOAP envelope has at most three); more use a Set. */
const MAX_LISTED_ATTRIBUTES = 16;

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
  if (!isNameStart(text.charCodeAt(i))) {
    w.steps++;
    return -1;
  }
  let j = i + 1;
  let colon = false;
  for (;;) {
    const c = text.charCodeAt(j);
    if (isNameChar(c)) j++;
    else if (c === COLON && !colon && isNameStart(text.charCodeAt(j + 1))) {
      colon = true;
      j += 2;
    } else {
      // One step per character examined (the name, then the character after it).
      w.steps += j - i + 1;
      return j;
    }
  }
}

/** The envelope openings miniupnpc (upnpc, python miniupnpc), nat-upnp and natsim's own tools send. */
const KNOWN_OPENINGS: ReadonlyArray<{ readonly text: string }> = [
  '<?xml version="1.0"?>\r\n',
  '<?xml version="1.0"?>\n',
  '<?xml version="1.0"?>',
  '',
].map((decl) => ({
  text: `${decl}<s:Envelope xmlns:s="${SOAP_ENVELOPE_NS}" s:encodingStyle="${SOAP_ENCODING}"><s:Body>`,
}));

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
 * namespace declarations.
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
  /** Raw namespace declarations ([attribute, raw value, …]) of the root, the Body and the action. */
  rootNs: string[] | undefined;
  bodyNs: string[] | undefined;
  actionNs: string[] | undefined;
}

/** Whether a leaf at `depth` named `name` adds an argument: in scope, and the first of its local name there. */
function counts(found: Found, depth: number, actionOpen: boolean, name: string): boolean {
  if (!found.bodyFound) return !found.all.has(localName(name));
  return actionOpen && depth >= 3 && !found.args.has(localName(name));
}

/** Adds a leaf that {@link counts}: to the whole document's leaves until a Body is found, then to the action's arguments. */
function addLeaf(found: Found, name: string, value: string): void {
  (found.bodyFound ? found.args : found.all).set(localName(name), value);
}

/** Scans `text` into `found`; {@link CUT}, undefined when the text is outside the subset, or true. */
function scanTree(text: string, w: ScanWork, found: Found): true | typeof CUT | undefined {
  const n = text.length;
  let i = 0;
  /** Qualified names of the open elements, outermost first. */
  const names: string[] = [];
  /** Whether each open element has had a child element (then it is no leaf and its text is ignored). */
  const hasKids: boolean[] = [];
  let rootSeen = false;
  /** The Body (at depth 1) / the action (at depth 2) is the open element there. */
  let bodyOpen = false;
  let actionOpen = false;
  // slice + === compares natively; startsWith and charCodeAt loops cost several ns a character.
  const known = KNOWN_OPENINGS.find((o) => text.slice(0, o.text.length) === o.text);
  if (known) {
    // The opening every miniupnpc-family client sends, byte for byte: known to be well-formed,
    // so scanning resumes inside <s:Body> with Envelope and Body open.
    names.push('s:Envelope', 's:Body');
    hasKids.push(true, false);
    rootSeen = true;
    found.rootIsEnvelope = true;
    found.bodyFound = true;
    found.rootNs = ['xmlns:s', SOAP_ENVELOPE_NS];
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
  /** Raw text of the current text node (it runs across comments), not yet added to its element. */
  let raw = '';
  /** Text of the innermost open element while it has no child element. */
  let leafText = '';
  for (;;) {
    // Markup often follows markup (`<b/><b/>…`): look before calling the native search.
    const lt = text.charCodeAt(i) === LT ? i : text.indexOf('<', i);
    const runEnd = lt < 0 ? n : lt;
    w.steps += 2 * (runEnd - i) + 1; // the search, then the run's slice or blank check
    const depth = names.length;
    const leaf = depth > 0 && !hasKids[depth - 1];
    if (runEnd > i) {
      // A text run: outside the root only whitespace; inside, the text of a (so far) leaf.
      if (depth === 0) {
        if (!blank(text, i, runEnd, w)) return undefined;
      } else if (leaf) raw += text.slice(i, runEnd);
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
        if (raw !== '') {
          w.steps += 2 * raw.length;
          if (leaf) leafText += decodeXmlText(normalised(raw));
          raw = '';
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
      if (raw !== '') {
        w.steps += 2 * raw.length;
        if (leaf) leafText += decodeXmlText(normalised(raw));
        raw = '';
      }
      i = end + 2;
      continue;
    }
    if (next === SLASH) {
      // End tag: </name ws*>, where name must be the open element's (no need to scan it).
      // An end tag that does not close the open element is malformed for every parser.
      const s = i + 2;
      if (depth === 0) return CUT;
      const name = names[depth - 1]!;
      const len = name.length;
      w.steps += len;
      if (text.slice(s, s + len) !== name) return CUT;
      let j = s + len;
      while (isWs(text.charCodeAt(j))) j++;
      w.steps += j - s - len + 1;
      if (text.charCodeAt(j) !== GT) return CUT;
      // The leaf's last text node is decoded only when the leaf counts (first of its name, in scope).
      if (leaf && counts(found, depth - 1, actionOpen, name)) {
        w.steps += 2 * raw.length;
        addLeaf(found, name, raw === '' ? leafText : leafText + decodeXmlText(normalised(raw)));
      }
      raw = '';
      leafText = '';
      names.pop();
      hasKids.pop();
      if (depth === 3) actionOpen = false;
      else if (depth === 2) bodyOpen = false;
      i = j + 1;
      continue;
    }
    // Start tag: <name (ws+ attr ws* = ws* "value")* ws* (/)?>
    if (rootSeen && depth === 0) return undefined; // a second root
    const s = i + 1;
    const e = nameEnd(text, s, w);
    if (e < 0) return undefined; // <!…, <?…, < x, …
    // Which of the three elements whose namespace declarations count this is, if any.
    let role = 0;
    let name: string | undefined;
    if (depth === 0) role = 1;
    else if (depth === 1 && found.rootIsEnvelope && !found.bodyFound) {
      name = text.slice(s, e);
      if (localName(name) === 'Body') role = 2;
    } else if (depth === 2 && bodyOpen && found.action === undefined) role = 3;
    let ns: string[] | undefined;
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
      // Kept raw; decoded (trimmed, as fast-xml-parser's trimValues does) only when looked up.
      if (role !== 0 && (attr === 'xmlns' || attr.startsWith('xmlns:'))) (ns ??= []).push(attr, text.slice(vs, ve));
      j = ve + 1;
    }
    const selfClosing = text.charCodeAt(j) === SLASH;
    if (selfClosing && text.charCodeAt(j + 1) !== GT) return undefined;
    if (depth > 0) hasKids[depth - 1] = true;
    else rootSeen = true;
    // The parent is no leaf now: its text is ignored.
    raw = '';
    leafText = '';
    if (role === 1) {
      name = text.slice(s, e);
      found.rootIsEnvelope = localName(name) === 'Envelope';
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
      if (!found.bodyFound || (actionOpen && depth >= 3)) {
        const qname = name ?? text.slice(s, e);
        if (counts(found, depth, actionOpen, qname)) addLeaf(found, qname, '');
      }
      i = j + 2;
      continue;
    }
    if (depth + 1 > MAX_XML_DEPTH) return undefined; // let the full path report it
    names.push(name ?? text.slice(s, e));
    hasKids.push(false);
    if (role === 2) bodyOpen = true;
    else if (role === 3) actionOpen = true;
    i = j + 1;
  }
  if (names.length !== 0) return CUT;
  if (!rootSeen) return undefined;
  return true;
}

/** The value a namespace declaration list gives `xmlns` / `xmlns:p`, if it does. */
function nsValue(ns: string[] | undefined, key: string): string | undefined {
  if (ns) for (let k = 0; k < ns.length; k += 2) if (ns[k] === key) return decodeXmlText(normalised(ns[k + 1]!));
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
    const serviceType = nsValue(found.actionNs, key) ?? nsValue(found.bodyNs, key) ?? nsValue(found.rootNs, key) ?? '';
    return { action: localName(action), serviceType, args: found.args };
  }
  return { action: '', serviceType: '', args: found.all };
}
