/**
 * SSDP wire format (UDA 1.1 §1): parsing datagrams and building the messages a device sends.
 *
 * Parsing never throws: whatever arrives on the socket (binary garbage, a truncated or huge
 * datagram) yields `{ ok: false, error }`. Builders produce byte-exact text with CRLF line endings
 * and throw only on caller errors (a value carrying CR/LF, which would inject headers).
 */

import { NTS_ALIVE, NTS_BYEBYE, SSDP_DISCOVER, SSDP_MULTICAST_ADDRESS, SSDP_PORT } from '../constants.js';

/** Largest datagram the parser accepts by default (miniupnpd reads into a 1500-byte buffer). */
export const SSDP_MAX_DATAGRAM_BYTES = 4096;

/** `HOST` value of every multicast SSDP message. */
export const SSDP_MULTICAST_HOST = `${SSDP_MULTICAST_ADDRESS}:${SSDP_PORT}`;

/** Header names are stored lower-cased; values are trimmed of surrounding spaces and tabs. */
export type SsdpHeaders = ReadonlyMap<string, string>;

/** A parsed SSDP request (`M-SEARCH * HTTP/1.1` or `NOTIFY * HTTP/1.1`). */
export interface SsdpRequest {
  readonly kind: 'request';
  readonly method: 'M-SEARCH' | 'NOTIFY';
  /** `HTTP/1.1` (or `HTTP/1.0`, tolerated). */
  readonly version: string;
  readonly headers: SsdpHeaders;
}

/** A parsed SSDP response (`HTTP/1.1 200 OK`, the answer to an M-SEARCH). */
export interface SsdpResponse {
  readonly kind: 'response';
  readonly version: string;
  readonly status: number;
  readonly reason: string;
  readonly headers: SsdpHeaders;
}

/** Any parsed SSDP message. */
export type SsdpMessage = SsdpRequest | SsdpResponse;

/** Result of {@link parseSsdpMessage}: never an exception. */
export type ParseResult = { readonly ok: true; readonly message: SsdpMessage } | { readonly ok: false; readonly error: string };

/** Options for {@link parseSsdpMessage}. */
export interface ParseOptions {
  /** Datagrams longer than this are refused (default {@link SSDP_MAX_DATAGRAM_BYTES}). */
  readonly maxBytes?: number;
  /** Counts the characters examined (tests prove the parse linear with it, not by timing). */
  readonly work?: { steps: number };
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^(M-SEARCH|NOTIFY) \* (HTTP\/1\.[01])$/;
const STATUS_LINE = /^(HTTP\/1\.[01]) ([1-5][0-9]{2})(?: (.*))?$/;
/** Control characters other than HTAB are not allowed anywhere in a header section. */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

function fail(error: string): ParseResult {
  return { ok: false, error };
}

/**
 * Parses one SSDP datagram. Header names are case-insensitive (stored lower-cased); lines may end
 * in CRLF or a bare LF; the header section ends at the first empty line or at the end of the
 * datagram (anything after the empty line is ignored). The first occurrence of a repeated header
 * wins. Never throws.
 */
export function parseSsdpMessage(data: Buffer | Uint8Array | string, options: ParseOptions = {}): ParseResult {
  try {
    const maxBytes = options.maxBytes ?? SSDP_MAX_DATAGRAM_BYTES;
    const size = typeof data === 'string' ? Buffer.byteLength(data, 'latin1') : data.byteLength;
    if (size === 0) return fail('empty datagram');
    if (size > maxBytes) return fail(`datagram too large (${size} > ${maxBytes} bytes)`);
    // latin1 maps every byte to one char, so binary input cannot make the decoder throw or grow.
    const text = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');

    const lines = text.split('\n');
    const startLine = stripCr(lines[0] ?? '');
    if (CONTROL.test(startLine)) return fail('control character in start line');

    const headers = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) {
      const line = stripCr(lines[i]!);
      if (line === '') break;
      if (CONTROL.test(line)) return fail(`control character in header line ${i}`);
      if (line.startsWith(' ') || line.startsWith('\t')) return fail(`obsolete line folding at line ${i}`);
      const colon = line.indexOf(':');
      if (colon <= 0) return fail(`header line ${i} has no name`);
      const name = line.slice(0, colon);
      if (!TOKEN.test(name)) return fail(`invalid header name at line ${i}`);
      const key = name.toLowerCase();
      if (!headers.has(key)) headers.set(key, trimSpTab(line, colon + 1, options.work));
    }
    // The split and the one-character-class tests above look at each character once.
    if (options.work) options.work.steps += 2 * text.length;

    const req = REQUEST_LINE.exec(startLine);
    if (req) {
      return {
        ok: true,
        message: { kind: 'request', method: req[1] as 'M-SEARCH' | 'NOTIFY', version: req[2]!, headers },
      };
    }
    const res = STATUS_LINE.exec(startLine);
    if (res) {
      return {
        ok: true,
        message: { kind: 'response', version: res[1]!, status: Number(res[2]), reason: res[3] ?? '', headers },
      };
    }
    return fail('not an SSDP start line');
  } catch (e) {
    // Defensive: nothing above should throw, but a socket handler must never see an exception.
    return fail(`unparseable datagram: ${(e as Error).message}`);
  }
}

/**
 * line[from…] without the spaces and tabs around it. A hand-written scan: the old
 * `.replace(/^[ \t]+|[ \t]+$/g, '')` retried the second alternative at every position of a run of
 * spaces, quadratic in its length (issue 12: a 4 KB header of spaces cost 9 ms of CPU).
 */
export function trimSpTab(line: string, from = 0, work?: { steps: number }): string {
  let a = from;
  let b = line.length;
  while (a < b && (line.charCodeAt(a) === 32 || line.charCodeAt(a) === 9)) a++;
  while (b > a && (line.charCodeAt(b - 1) === 32 || line.charCodeAt(b - 1) === 9)) b--;
  if (work) work.steps += line.length - from + 2; // both loops, then the slice
  return line.slice(a, b);
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

// ---------------------------------------------------------------------------------------------
// Builders

function checkValue(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new TypeError(`SSDP header ${name} must not contain CR or LF`);
  return value;
}

function serialize(startLine: string, headers: ReadonlyArray<readonly [string, string]>): string {
  let out = `${startLine}\r\n`;
  for (const [name, value] of headers) {
    checkValue(name, value);
    out += value === '' ? `${name}:\r\n` : `${name}: ${value}\r\n`;
  }
  return `${out}\r\n`;
}

/** Formats a time as an RFC 1123 date (`Sun, 06 Nov 1994 08:49:37 GMT`) for the `DATE` header. */
export function formatHttpDate(time: Date | number): string {
  const d = typeof time === 'number' ? new Date(time) : time;
  return d.toUTCString();
}

/** Fields shared by search responses and `ssdp:alive` notifications. */
export interface AdvertisementFields {
  /** `CACHE-CONTROL: max-age=N`, in seconds. */
  readonly maxAge: number;
  /** Description URL (`LOCATION`). */
  readonly location: string;
  /** `SERVER` product tokens, e.g. `Linux/5.10 UPnP/1.1 natsim/0.1`. */
  readonly server: string;
  /** `USN` header. */
  readonly usn: string;
  /** `BOOTID.UPNP.ORG`. */
  readonly bootId: number;
  /** `CONFIGID.UPNP.ORG`. */
  readonly configId: number;
}

/** Input of {@link buildSearchResponse}. */
export interface SearchResponseFields extends AdvertisementFields {
  /** Echoed search target (`ST`). */
  readonly st: string;
  /** Time for the `DATE` header. */
  readonly date: Date | number;
}

/**
 * Builds the unicast answer to an M-SEARCH (UDA 1.1 §1.3.3):
 * CACHE-CONTROL, DATE, EXT, LOCATION, SERVER, ST, USN, BOOTID.UPNP.ORG, CONFIGID.UPNP.ORG.
 */
export function buildSearchResponse(f: SearchResponseFields): string {
  return serialize('HTTP/1.1 200 OK', [
    ['CACHE-CONTROL', `max-age=${uint('maxAge', f.maxAge)}`],
    ['DATE', formatHttpDate(f.date)],
    ['EXT', ''],
    ['LOCATION', f.location],
    ['SERVER', f.server],
    ['ST', f.st],
    ['USN', f.usn],
    ['BOOTID.UPNP.ORG', String(uint('bootId', f.bootId))],
    ['CONFIGID.UPNP.ORG', String(uint('configId', f.configId))],
  ]);
}

/** Input of {@link buildNotifyAlive}. */
export interface NotifyAliveFields extends AdvertisementFields {
  /** Notification type (`NT`). */
  readonly nt: string;
  /** `HOST` (default `239.255.255.250:1900`). */
  readonly host?: string;
}

/**
 * Builds a `NOTIFY * HTTP/1.1` with `NTS: ssdp:alive` (UDA 1.1 §1.2.2):
 * HOST, CACHE-CONTROL, LOCATION, NT, NTS, SERVER, USN, BOOTID.UPNP.ORG, CONFIGID.UPNP.ORG.
 */
export function buildNotifyAlive(f: NotifyAliveFields): string {
  return serialize('NOTIFY * HTTP/1.1', [
    ['HOST', f.host ?? SSDP_MULTICAST_HOST],
    ['CACHE-CONTROL', `max-age=${uint('maxAge', f.maxAge)}`],
    ['LOCATION', f.location],
    ['NT', f.nt],
    ['NTS', NTS_ALIVE],
    ['SERVER', f.server],
    ['USN', f.usn],
    ['BOOTID.UPNP.ORG', String(uint('bootId', f.bootId))],
    ['CONFIGID.UPNP.ORG', String(uint('configId', f.configId))],
  ]);
}

/** Input of {@link buildNotifyByebye}. */
export interface NotifyByebyeFields {
  readonly nt: string;
  readonly usn: string;
  readonly bootId: number;
  readonly configId: number;
  /** `HOST` (default `239.255.255.250:1900`). */
  readonly host?: string;
}

/**
 * Builds a `NOTIFY * HTTP/1.1` with `NTS: ssdp:byebye` (UDA 1.1 §1.2.3):
 * HOST, NT, NTS, USN, BOOTID.UPNP.ORG, CONFIGID.UPNP.ORG.
 */
export function buildNotifyByebye(f: NotifyByebyeFields): string {
  return serialize('NOTIFY * HTTP/1.1', [
    ['HOST', f.host ?? SSDP_MULTICAST_HOST],
    ['NT', f.nt],
    ['NTS', NTS_BYEBYE],
    ['USN', f.usn],
    ['BOOTID.UPNP.ORG', String(uint('bootId', f.bootId))],
    ['CONFIGID.UPNP.ORG', String(uint('configId', f.configId))],
  ]);
}

/** Input of {@link buildMSearch}. */
export interface MSearchFields {
  readonly st: string;
  /** `MX` seconds; omitted from the message when undefined (unicast search). */
  readonly mx?: number;
  /** `HOST` (default `239.255.255.250:1900`; a unicast search names the device's address). */
  readonly host?: string;
  /** `MAN` (default `"ssdp:discover"`). */
  readonly man?: string;
}

/** Builds an `M-SEARCH * HTTP/1.1` request: HOST, MAN, MX (when given), ST. */
export function buildMSearch(f: MSearchFields): string {
  const headers: Array<[string, string]> = [
    ['HOST', f.host ?? SSDP_MULTICAST_HOST],
    ['MAN', f.man ?? SSDP_DISCOVER],
  ];
  if (f.mx !== undefined) headers.push(['MX', String(uint('mx', f.mx))]);
  headers.push(['ST', f.st]);
  return serialize('M-SEARCH * HTTP/1.1', headers);
}

function uint(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`${name} must be an unsigned 32-bit integer, got ${n}`);
  return n;
}
