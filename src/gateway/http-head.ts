/**
 * The request head of the gateway's HTTP/1.1 server (request line and header fields), read by a
 * hand-written scanner: one forward pass over the characters plus one per header line, no regular
 * expression, so the work is linear in the head's length whatever it holds (issue 12; the
 * adversarial corpus in test/corpus/ counts the steps at N and 2N).
 *
 * Refused (thrown {@link HeadRefusal}): control characters other than HTAB, a CR or LF that is not
 * part of a CRLF pair (bare CR, bare LF), a malformed request line, a header line without a colon
 * or with a name that is not a token (which also catches obs-fold), a repeated Content-Length,
 * Transfer-Encoding or Host (400); Content-Length with Transfer-Encoding (400, request smuggling);
 * a transfer coding other than chunked (501); a malformed Content-Length (400) or one above the
 * body limit (413).
 */
import type { ScanWork } from '../soap/xml-check.js';

/** A request head as read. */
export interface RequestHead {
  readonly method: string;
  readonly url: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minorVersion: 0 | 1;
  /** Header values by lower-case name (a null-prototype object); repeated headers joined with ", ". */
  readonly headers: Record<string, string | undefined>;
  /** Whether the connection stays open after the reply. */
  readonly keepAlive: boolean;
  /** Content-Length, or -1 for chunked. */
  readonly length: number;
}

/** Thrown by {@link parseRequestHead}: answer `status` and close. */
export class HeadRefusal {
  constructor(readonly status: number) {}
}

const SINGLE = new Set(['content-length', 'transfer-encoding', 'host']);

/** tchar of RFC 9110 §5.6.2, by character code. */
const TCHAR: readonly boolean[] = (() => {
  const t: boolean[] = new Array<boolean>(128).fill(false);
  for (const ch of "!#$%&'*+-.^_`|~") t[ch.charCodeAt(0)] = true;
  for (let c = 48; c <= 57; c++) t[c] = true;
  for (let c = 65; c <= 90; c++) t[c] = true;
  for (let c = 97; c <= 122; c++) t[c] = true;
  return t;
})();

/** True when text[from, to) is a non-empty token. */
function isToken(text: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) if (TCHAR[text.charCodeAt(i)] !== true) return false;
  return true;
}

/** Header names seen before → lower-case key (bounded, as names come from clients). */
const KEYS = new Map<string, string>();

function headerKey(text: string, from: number, to: number): string | undefined {
  const name = text.slice(from, to);
  const known = KEYS.get(name);
  if (known !== undefined) return known;
  if (!isToken(text, from, to)) return undefined;
  const key = name.toLowerCase();
  if (KEYS.size >= 256) KEYS.clear();
  KEYS.set(name, key);
  return key;
}

/** Refuses control characters and any CR or LF that is not a CRLF pair: one pass. */
function checkCharacters(text: string): void {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 32 && c !== 127) continue;
    if (c === 9) continue;
    if (c === 13 && text.charCodeAt(i + 1) === 10) {
      i++;
      continue;
    }
    throw new HeadRefusal(400);
  }
}

/** `METHOD SP target SP HTTP/1.x` in text[0, end). */
function requestLine(text: string, end: number): { method: string; url: string; minorVersion: 0 | 1 } {
  const sp1 = text.indexOf(' ', 0);
  if (sp1 <= 0 || sp1 >= end || !isToken(text, 0, sp1)) throw new HeadRefusal(400);
  const sp2 = text.indexOf(' ', sp1 + 1);
  if (sp2 < 0 || sp2 >= end || sp2 === sp1 + 1) throw new HeadRefusal(400);
  for (let i = sp1 + 1; i < sp2; i++) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c === 0xa0) throw new HeadRefusal(400); // as the old /[^\s]+/ (the head is latin1)
  }
  if (end - sp2 !== 9 || !text.startsWith(' HTTP/1.', sp2)) throw new HeadRefusal(400);
  const v = text.charCodeAt(end - 1);
  if (v !== 48 && v !== 49) throw new HeadRefusal(400);
  return { method: text.slice(0, sp1), url: text.slice(sp1 + 1, sp2), minorVersion: v === 49 ? 1 : 0 };
}

/** The bounds of a header value without the optional whitespace around it (SP and HTAB, RFC 9110 §5.5). */
function trimmed(text: string, from: number, to: number): string {
  let a = from;
  let b = to;
  while (a < b && (text.charCodeAt(a) === 32 || text.charCodeAt(a) === 9)) a++;
  while (b > a && (text.charCodeAt(b - 1) === 32 || text.charCodeAt(b - 1) === 9)) b--;
  return text.slice(a, b);
}

/** True when `s` is 1 to 15 ASCII digits. */
function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 15) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Parses a request head (without the final CRLFCRLF). `work`, when given, is incremented by the
 * characters examined: a constant number of passes over the text.
 */
export function parseRequestHead(text: string, maxBodyBytes: number, work?: ScanWork): RequestHead {
  const n = text.length;
  checkCharacters(text);
  let steps = n;
  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = n;
  const line = requestLine(text, eol);
  steps += eol;
  const headers = Object.create(null) as Record<string, string | undefined>;
  let i = eol + 2;
  while (eol < n) {
    let e = text.indexOf('\r\n', i);
    if (e < 0) e = n;
    steps += e - i + 2;
    const colon = text.indexOf(':', i);
    if (colon <= i || colon >= e) throw new HeadRefusal(400);
    const key = headerKey(text, i, colon);
    if (key === undefined) throw new HeadRefusal(400); // also catches obs-fold (leading space)
    const value = trimmed(text, colon + 1, e);
    const prev = headers[key];
    if (prev === undefined) headers[key] = value;
    else if (SINGLE.has(key)) throw new HeadRefusal(400);
    else headers[key] = `${prev}, ${value}`;
    if (e >= n) break;
    i = e + 2;
  }
  if (work) work.steps += steps;
  const { minorVersion } = line;
  const conn = headers['connection']?.toLowerCase();
  const keepAlive = minorVersion === 1 ? !(conn?.includes('close') ?? false) : (conn?.includes('keep-alive') ?? false);
  const te = headers['transfer-encoding'];
  const cl = headers['content-length'];
  let length = 0;
  let close = !keepAlive;
  if (te !== undefined) {
    if (cl !== undefined) throw new HeadRefusal(400);
    if (te.toLowerCase() !== 'chunked') throw new HeadRefusal(501);
    length = -1;
    if (minorVersion === 0) close = true; // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 → close after
  } else if (cl !== undefined) {
    if (!isDigits(cl)) throw new HeadRefusal(400);
    length = Number(cl);
    if (length > maxBodyBytes) throw new HeadRefusal(413);
  }
  return { method: line.method, url: line.url, minorVersion, headers, keepAlive: !close, length };
}
