/**
 * Safe SOAP parsing and reply envelopes.
 *
 * Parsing never throws. A body is refused (`ok: false`) when it is larger than the limit, carries a
 * DOCTYPE or ENTITY declaration (no entity expansion at all: only the five predefined entities and
 * numeric character references are decoded, by this module), nests deeper than
 * {@link MAX_XML_DEPTH}, or is not well-formed XML. Every step is linear in the body's length:
 * `xml-check.ts` vets the markup in one pass before fast-xml-parser runs. Namespace prefixes are ignored (`u:`, `m:` or
 * none); the action's namespace is reported when it is declared.
 *
 * Plain envelopes (the subset `soap-scanner.ts` describes) are read by a strict one-pass scanner
 * that gives the same result; every other body is validated and parsed by fast-xml-parser.
 *
 * Like miniupnpd, the SOAPACTION header names the action; the body only supplies arguments.
 * Like miniupnpd's lenient parser, a bare `&` (miniupnpc does not escape descriptions, so
 * `upnpc -e "a & b"` sends one) is taken literally instead of failing the request.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SOAP_ENCODING, SOAP_ENVELOPE_NS } from '../constants.js';
import { DEFAULT_BODY_LIMIT, MAX_XML_DEPTH } from './soap-constants.js';
import { scanSoapBody } from './soap-scanner.js';
import { checkXmlMarkup, type ScanWork } from './xml-check.js';
import { decodeXmlText } from './xml-text.js';

export { decodeXmlText } from './xml-text.js';

/** A parsed SOAPACTION header. */
export interface SoapActionHeader {
  /** The service type before `#`, echoed as the reply namespace (at most 255 characters). */
  readonly serviceType: string;
  /** The action name after `#`. */
  readonly action: string;
}

/**
 * Parses a SOAPACTION header value: `"urn:…:WANIPConnection:1#AddPortMapping"`, with or without
 * double (or single) quotes. Undefined when there is no `#` (miniupnpd: 401 Invalid Action).
 */
export function parseSoapActionHeader(value: string | undefined): SoapActionHeader | undefined {
  if (value === undefined) return undefined;
  let v = value.trim();
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) {
    v = v.slice(1, -1);
  }
  const hash = v.indexOf('#');
  if (hash < 0) return undefined;
  let action = v.slice(hash + 1);
  if (action.endsWith('"')) action = action.slice(0, -1);
  return { serviceType: v.slice(0, Math.min(hash, 255)), action };
}

/** A parsed SOAP request body. */
export interface SoapBody {
  /** Local name of the action element (`Body`'s first child), '' when there is none. */
  readonly action: string;
  /** Namespace URI of the action element, '' when undeclared. */
  readonly serviceType: string;
  /** Arguments by local name (first occurrence wins); empty elements give ''. */
  readonly args: ReadonlyMap<string, string>;
}

/** Why a body was refused. */
export type SoapBodyError = 'too-large' | 'doctype' | 'too-deep' | 'malformed';

export type SoapBodyResult =
  | { readonly ok: true; readonly body: SoapBody }
  | { readonly ok: false; readonly error: SoapBodyError; readonly message: string };

export interface ParseSoapOptions {
  /** Largest body in bytes (default {@link DEFAULT_BODY_LIMIT}). */
  readonly maxBytes?: number;
  /**
   * Counts the characters natsim's own scanners examine (the one-pass reader and the markup
   * check; fast-xml-parser's work is not counted): tests prove linearity with it, not by timing.
   */
  readonly work?: ScanWork;
}

type Node = Record<string, unknown>;

const BLANK = /^\s*$/;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  trimValues: true,
  preserveOrder: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: '#cdata',
  commentPropName: false,
});

/** An `&` that does not start a character or entity reference. */
const BARE_AMPERSAND = /&(?!#[0-9]{1,7};|#x[0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]*;)/g;

/**
 * Escapes bare ampersands outside CDATA sections, in one forward pass (the CDATA sections are
 * found with native searches that never look back: linear even with many unterminated ones).
 */
function escapeBareAmpersands(text: string): string {
  if (!text.includes('&')) return text;
  let out = '';
  let i = 0;
  for (;;) {
    const cdata = text.indexOf('<![CDATA[', i);
    const end = cdata < 0 ? -1 : text.indexOf(']]>', cdata + 9);
    const stop = cdata < 0 || end < 0 ? text.length : cdata;
    out += text.slice(i, stop).replace(BARE_AMPERSAND, '&amp;');
    if (stop === text.length) return out;
    out += text.slice(cdata, end + 3);
    i = end + 3;
  }
}

const localName = (qname: string): string => {
  const i = qname.indexOf(':');
  return i < 0 ? qname : qname.slice(i + 1);
};

const prefixOf = (qname: string): string => {
  const i = qname.indexOf(':');
  return i < 0 ? '' : qname.slice(0, i);
};

/** The element name of a preserveOrder node (its one key that is not `:@`). */
function elementName(node: Node): string | undefined {
  for (const k of Object.keys(node)) if (k !== ':@' && k !== '#text' && k !== '#cdata') return k;
  return undefined;
}

function children(node: Node, name: string): Node[] {
  const c = node[name];
  return Array.isArray(c) ? (c as Node[]) : [];
}

function textOf(nodes: Node[]): string {
  let out = '';
  for (const n of nodes) {
    if (typeof n['#text'] === 'string') out += decodeXmlText(n['#text']);
    else if (Array.isArray(n['#cdata'])) {
      for (const c of n['#cdata'] as Node[]) if (typeof c['#text'] === 'string') out += c['#text'];
    }
  }
  return out;
}

function attrs(node: Node): Record<string, string> {
  const a = node[':@'];
  return a && typeof a === 'object' ? (a as Record<string, string>) : {};
}

/** Resolves `prefix` against the namespace declarations of `chain` (innermost last). */
function resolveNs(prefix: string, chain: Node[]): string {
  const key = prefix === '' ? '@_xmlns' : `@_xmlns:${prefix}`;
  for (let i = chain.length - 1; i >= 0; i--) {
    const v = attrs(chain[i]!)[key];
    if (typeof v === 'string') return decodeXmlText(v);
  }
  return '';
}

/** Collects leaf elements as name → text, first occurrence winning (miniupnpd's ParseNameValue). */
function collectLeaves(nodes: Node[], out: Map<string, string>): void {
  for (const n of nodes) {
    const name = elementName(n);
    if (name === undefined) continue;
    const kids = children(n, name);
    const hasElements = kids.some((k) => elementName(k) !== undefined);
    if (hasElements) collectLeaves(kids, out);
    else {
      const ln = localName(name);
      if (!out.has(ln)) out.set(ln, textOf(kids));
    }
  }
}

/**
 * Parses a SOAP request body. Arguments are the child elements of the action element
 * (`Envelope/Body/<action>`); without that structure, every leaf element of the document counts.
 */
export function parseSoapBody(text: string, options: ParseSoapOptions = {}): SoapBodyResult {
  const max = options.maxBytes ?? DEFAULT_BODY_LIMIT;
  // UTF-8 needs 1 to 3 bytes per UTF-16 unit: count the bytes only when the length leaves doubt.
  if (text.length * 3 > max && Buffer.byteLength(text, 'utf8') > max)
    return { ok: false, error: 'too-large', message: `body larger than ${max} bytes` };
  if (BLANK.test(text)) return { ok: true, body: { action: '', serviceType: '', args: new Map() } };
  const scanned = scanSoapBody(text, options.work);
  if (scanned === 'malformed')
    return {
      ok: false,
      error: 'malformed',
      message: 'malformed markup: the body ends inside markup or with elements open, or an end tag does not match',
    };
  if (scanned) return { ok: true, body: scanned };
  return parseSoapBodyFully(text, options.work);
}

/**
 * The full path of {@link parseSoapBody}: DOCTYPE and depth checks, fast-xml-parser's validator,
 * then its parser. Exported for the test that holds the scanner to the same results.
 */
export function parseSoapBodyFully(text: string, work?: ScanWork): SoapBodyResult {
  if (text.trim() === '') return { ok: true, body: { action: '', serviceType: '', args: new Map() } };
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    return { ok: false, error: 'doctype', message: 'DOCTYPE/ENTITY declarations are refused' };
  }
  const checked = checkXmlMarkup(text, MAX_XML_DEPTH, work);
  if (!checked.ok) return checked;
  text = escapeBareAmpersands(text);
  let valid: ReturnType<typeof XMLValidator.validate>;
  try {
    valid = XMLValidator.validate(text);
  } catch (e) {
    return { ok: false, error: 'malformed', message: e instanceof Error ? e.message : String(e) };
  }
  if (valid !== true) return { ok: false, error: 'malformed', message: valid.err.msg };
  let doc: Node[];
  try {
    doc = parser.parse(text) as Node[];
  } catch (e) {
    return { ok: false, error: 'malformed', message: e instanceof Error ? e.message : String(e) };
  }
  const args = new Map<string, string>();
  const envelope = doc.find((n) => {
    const name = elementName(n);
    return name !== undefined && localName(name) === 'Envelope';
  });
  if (envelope) {
    const envName = elementName(envelope)!;
    const body = children(envelope, envName).find((n) => {
      const name = elementName(n);
      return name !== undefined && localName(name) === 'Body';
    });
    if (body) {
      const bodyName = elementName(body)!;
      const actionNode = children(body, bodyName).find((n) => elementName(n) !== undefined);
      if (actionNode) {
        const actionName = elementName(actionNode)!;
        collectLeaves(children(actionNode, actionName), args);
        return {
          ok: true,
          body: {
            action: localName(actionName),
            serviceType: resolveNs(prefixOf(actionName), [envelope, body, actionNode]),
            args,
          },
        };
      }
      return { ok: true, body: { action: '', serviceType: '', args } };
    }
  }
  collectLeaves(doc, args);
  return { ok: true, body: { action: '', serviceType: '', args } };
}

/** Wraps an action response in miniupnpd's reply envelope (XML declaration, CRLFs included). */
export function soapEnvelope(inner: string): string {
  return (
    '<?xml version="1.0"?>\r\n' +
    `<s:Envelope xmlns:s="${SOAP_ENVELOPE_NS}" s:encodingStyle="${SOAP_ENCODING}"><s:Body>` +
    inner +
    '</s:Body></s:Envelope>\r\n'
  );
}
