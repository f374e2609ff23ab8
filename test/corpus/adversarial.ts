/**
 * The adversarial parser corpus (issue 12): generated inputs of any size for every parser on the
 * request path — SOAP bodies, HTTP request heads and SSDP datagrams. Each entry names what the
 * parser must answer, so test/corpus/corpus.test.ts checks it is handled correctly and, by
 * counting the scanners' steps at N and 2N, that the work is linear; bench/parse.ts times the
 * SOAP entries at 64 KiB against plain bodies of the same size.
 *
 * The inputs are built, not stored: `make(n)` returns about `n` characters (exactly `n` where the
 * shape allows), so the same shape can be tried at several sizes.
 */

/** Repeats `unit` to exactly `n` characters. */
export const fill = (unit: string, n: number): string => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);

/** Repeats whole `unit`s up to (at most) `n` characters. */
export const units = (unit: string, n: number): string => unit.repeat(Math.max(1, Math.floor(n / unit.length)));

const ENVELOPE_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const ENCODING = 'http://schemas.xmlsoap.org/soap/encoding/';
const IPC1 = 'urn:schemas-upnp-org:service:WANIPConnection:1';

/** A miniupnpc-style AddPortMapping envelope around `inner` (its arguments). */
export const envelope = (inner: string): string =>
  `<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="${ENVELOPE_NS}" s:encodingStyle="${ENCODING}"><s:Body>` +
  `<u:AddPortMapping xmlns:u="${IPC1}">${inner}</u:AddPortMapping></s:Body></s:Envelope>\r\n`;

const OVERHEAD = envelope('').length;

/** What a SOAP body must give: accepted (with the named argument's length), or refused. */
export type SoapExpect = { readonly ok: true; readonly arg?: string } | { readonly ok: false; readonly error: 'malformed' | 'too-deep' | 'doctype' };

export interface SoapCase {
  readonly name: string;
  readonly make: (n: number) => string;
  readonly expect: SoapExpect;
}

/** Plain bodies: what a real client sends, grown to size (the bench's baselines). */
export const SOAP_PLAIN: readonly SoapCase[] = [
  { name: 'plain: one long argument', make: (n) => envelope(`<NewPortMappingDescription>${fill('x', n - OVERHEAD - 55)}</NewPortMappingDescription>`), expect: { ok: true, arg: 'NewPortMappingDescription' } },
  { name: 'plain: many short arguments', make: (n) => envelope(units('<NewExternalPort>8080</NewExternalPort>', n - OVERHEAD)), expect: { ok: true, arg: 'NewExternalPort' } },
];

/** Adversarial bodies, most of them from issue 12's reproductions and the shapes around them. */
export const SOAP_ADVERSARIAL: readonly SoapCase[] = [
  { name: '<a ×N (issue 12: cubic in the old nesting check)', make: (n) => fill('<a', n), expect: { ok: false, error: 'malformed' } },
  { name: '<a<a<a… inside an envelope', make: (n) => envelope(fill('<a', n - OVERHEAD)), expect: { ok: false, error: 'malformed' } },
  { name: '<a b ×N (unterminated tag with attribute names)', make: (n) => '<a' + fill(' b', n - 2), expect: { ok: false, error: 'malformed' } },
  { name: 'long attribute run, never closed', make: (n) => '<a' + Array.from({ length: Math.floor((n - 2) / 11) }, (_, i) => ` a${i.toString(36).padStart(4, '0')}="1" `).join(''), expect: { ok: false, error: 'malformed' } },
  { name: 'long attribute run, closed', make: (n) => envelope(`<X${Array.from({ length: Math.floor((n - OVERHEAD - 10) / 11) }, (_, i) => ` a${i.toString(36).padStart(4, '0')}="1" `).join('')}>v</X>`), expect: { ok: true, arg: 'X' } },
  { name: 'duplicate attributes', make: (n) => envelope(`<X${fill(' a="1"', n - OVERHEAD - 10)}>v</X>`), expect: { ok: false, error: 'malformed' } },
  { name: 'open attribute value', make: (n) => '<a b="' + fill('x', n - 6), expect: { ok: false, error: 'malformed' } },
  { name: '<a b=" ×N (open values)', make: (n) => fill('<a b="', n), expect: { ok: false, error: 'malformed' } },
  { name: "<a b=' ×N (open values)", make: (n) => fill("<a b='", n), expect: { ok: false, error: 'malformed' } },
  { name: 'spaces inside a tag, never closed', make: (n) => '<a' + ' '.repeat(n - 2), expect: { ok: false, error: 'malformed' } },
  { name: 'spaces in an argument', make: (n) => envelope(`<X>${' '.repeat(n - OVERHEAD - 7)}</X>`), expect: { ok: true, arg: 'X' } },
  { name: 'spaces after the envelope', make: (n) => envelope('<X>1</X>') + ' '.repeat(n - OVERHEAD - 8), expect: { ok: true, arg: 'X' } },
  { name: 'deep nesting <a> ×N', make: (n) => units('<a>', n), expect: { ok: false, error: 'too-deep' } },
  { name: 'deep nesting just under the limit, then many empty elements', make: (n) => '<a>'.repeat(31) + units('<b/>', n - 31 * 7) + '</a>'.repeat(31), expect: { ok: true } },
  { name: '</a ×N', make: (n) => fill('</a', n), expect: { ok: false, error: 'malformed' } },
  { name: 'many elements, one left open', make: (n) => envelope(units('<A>1</A>', n - OVERHEAD) + '<A>'), expect: { ok: false, error: 'malformed' } },
  { name: 'entities &amp; ×N', make: (n) => envelope(`<X>${units('&amp;', n - OVERHEAD - 7)}</X>`), expect: { ok: true, arg: 'X' } },
  { name: 'bare & ×N', make: (n) => envelope(`<X>${fill('&', n - OVERHEAD - 7)}</X>`), expect: { ok: true, arg: 'X' } },
  { name: 'character references ×N', make: (n) => envelope(`<X>${units('&#x41;', n - OVERHEAD - 7)}</X>`), expect: { ok: true, arg: 'X' } },
  { name: 'unterminated <![CDATA[ ×N', make: (n) => envelope(`<X>${fill('<![CDATA[', n - OVERHEAD - 7)}</X>`), expect: { ok: false, error: 'malformed' } },
  { name: 'CDATA sections ×N', make: (n) => envelope(`<X>${units('<![CDATA[&]]>', n - OVERHEAD - 7)}</X>`), expect: { ok: true, arg: 'X' } },
  { name: '<!-- ×N', make: (n) => fill('<!--', n), expect: { ok: false, error: 'malformed' } },
  { name: '<? ×N', make: (n) => fill('<?', n), expect: { ok: false, error: 'malformed' } },
  { name: '<?xml followed by spaces', make: (n) => '<?xml' + ' '.repeat(n - 5), expect: { ok: false, error: 'malformed' } },
  { name: '<!DOCTYPE after padding', make: (n) => ' '.repeat(n - 30) + '<!DOCTYPE x [<!ENTITY a "b">]>', expect: { ok: false, error: 'doctype' } },
  { name: 'namespace declarations ×N', make: (n) => `<a${Array.from({ length: Math.floor((n - 4) / 16) }, (_, i) => ` xmlns:p${i.toString(36).padStart(4, '0')}="u"`).join('')}/>`, expect: { ok: true } },
];

/** What an HTTP head must give: the request, or the status it is refused with. */
export type HeadExpect = { readonly ok: true } | { readonly ok: false; readonly status: number };

export interface HeadCase {
  readonly name: string;
  /** The head without its final CRLFCRLF. */
  readonly make: (n: number) => string;
  readonly expect: HeadExpect;
}

const LINE = 'POST /ctl/IPConn HTTP/1.1';

/** HTTP request heads (the server reads at most 16 KiB of them; the parser itself has no limit). */
export const HTTP_HEADS: readonly HeadCase[] = [
  { name: 'many headers', make: (n) => LINE + units('\r\nX-A: b', n - LINE.length), expect: { ok: true } },
  { name: 'a long value of spaces', make: (n) => `${LINE}\r\nX-A:${' '.repeat(n - LINE.length - 8)}b`, expect: { ok: true } },
  { name: 'a value of spaces and tabs only', make: (n) => `${LINE}\r\nX-A:${fill(' \t', n - LINE.length - 7)}`, expect: { ok: true } },
  { name: 'a long header name', make: (n) => `${LINE}\r\n${fill('x', n - LINE.length - 5)}: 1`, expect: { ok: true } },
  { name: 'a long request target', make: (n) => `POST /${fill('a', n - 16)} HTTP/1.1`, expect: { ok: true } },
  { name: 'a request line of spaces', make: (n) => `POST ${' '.repeat(n - 14)}HTTP/1.1`, expect: { ok: false, status: 400 } },
  { name: 'obs-fold lines', make: (n) => LINE + '\r\nX-A: 1' + units('\r\n  folded', n - LINE.length - 8), expect: { ok: false, status: 400 } },
  { name: 'bare CR runs', make: (n) => `${LINE}\r\nX-A: ${fill('\r', n - LINE.length - 7)}`, expect: { ok: false, status: 400 } },
  { name: 'bare LF runs', make: (n) => `${LINE}\r\nX-A: ${fill('\n', n - LINE.length - 7)}`, expect: { ok: false, status: 400 } },
  { name: 'colons only', make: (n) => `${LINE}\r\n${fill(':', n - LINE.length - 2)}`, expect: { ok: false, status: 400 } },
  { name: 'repeated Host', make: (n) => LINE + units('\r\nHost: 1.2.3.4', n - LINE.length), expect: { ok: false, status: 400 } },
  { name: 'Connection: close, close, …', make: (n) => `${LINE}\r\nConnection: ${units('close, ', n - LINE.length - 14)}`, expect: { ok: true } },
];

export interface SsdpCase {
  readonly name: string;
  readonly make: (n: number) => string;
  readonly ok: boolean;
}

const MSEARCH = 'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\n';

/** SSDP datagrams (the parser refuses more than 4 KiB by default; the corpus calls it without that limit). */
export const SSDP_DATAGRAMS: readonly SsdpCase[] = [
  { name: 'ST of spaces (issue 12: quadratic in the old trim)', make: (n) => `${MSEARCH}ST:${' '.repeat(n - MSEARCH.length - 8)}x\r\n\r\n`, ok: true },
  { name: 'a value of spaces and tabs only', make: (n) => `${MSEARCH}ST:${fill(' \t', n - MSEARCH.length - 7)}\r\n\r\n`, ok: true },
  { name: 'many headers', make: (n) => MSEARCH + units('X-A: b\r\n', n - MSEARCH.length - 2) + '\r\n', ok: true },
  { name: 'spaces, then a control character', make: (n) => `${MSEARCH}ST:${' '.repeat(n - MSEARCH.length - 8)}\x01\r\n\r\n`, ok: false },
  { name: 'folded lines', make: (n) => MSEARCH + 'ST: a\r\n' + units(' b\r\n', n - MSEARCH.length - 7), ok: false },
  { name: 'bare LF lines', make: (n) => MSEARCH.replace(/\r\n/g, '\n') + units('X: y\n', n - MSEARCH.length), ok: true },
];
