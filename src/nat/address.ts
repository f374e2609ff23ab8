/**
 * IPv4 addresses, prefixes and endpoints.
 *
 * Addresses are kept as unsigned 32-bit numbers on the data plane (cheap to hash and compare);
 * the string form is used at the edges (config, traces, protocol adapters).
 */

/** Transport protocols the model translates. `icmp` is reserved for ICMP query ids. */
export type Protocol = 'udp' | 'tcp' | 'icmp';

/** An IPv4 address as an unsigned 32-bit integer. */
export type IPv4 = number;

/** A transport endpoint: address and port (or ICMP query id). */
export interface Endpoint {
  readonly ip: IPv4;
  readonly port: number;
}

/** An IPv4 prefix such as 192.168.1.0/24. */
export interface Prefix {
  readonly addr: IPv4;
  readonly len: number;
}

/** Thrown for malformed addresses, prefixes and ports. */
export class AddressError extends Error {
  override readonly name = 'AddressError';
}

/**
 * Dotted-quad IPv4 text as a number, or -1: four decimal octets of one to three digits, none above
 * 255, no leading zeros. One pass without a regular expression (it runs on every request).
 */
export function tryParseIPv4(text: string): number {
  const n = text.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return -1; // leading zero
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/** Parses dotted-quad IPv4 text; throws {@link AddressError} on anything else. */
export function parseIPv4(text: string): IPv4 {
  const n = tryParseIPv4(text);
  if (n < 0) throw new AddressError(`not an IPv4 address: "${text}"`);
  return n;
}

/** True when `text` is a dotted-quad IPv4 address. */
export function isIPv4(text: string): boolean {
  return tryParseIPv4(text) >= 0;
}

/** Formats a 32-bit address as dotted-quad text. */
export function formatIPv4(ip: IPv4): string {
  return `${(ip >>> 24) & 255}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** Parses `a.b.c.d/len` (a bare address is a /32). The address is masked to the prefix. */
export function parsePrefix(text: string): Prefix {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const lenText = slash < 0 ? '32' : text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(lenText) || Number(lenText) > 32) {
    throw new AddressError(`not an IPv4 prefix: "${text}"`);
  }
  const len = Number(lenText);
  return { addr: maskOf(parseIPv4(addrText), len), len };
}

/** Formats a prefix as `a.b.c.d/len`. */
export function formatPrefix(p: Prefix): string {
  return `${formatIPv4(p.addr)}/${p.len}`;
}

function maskOf(ip: IPv4, len: number): IPv4 {
  if (len === 0) return 0;
  return (ip & (0xffffffff << (32 - len))) >>> 0;
}

/** True when `ip` lies inside `prefix`. */
export function inPrefix(ip: IPv4, prefix: Prefix): boolean {
  return maskOf(ip, prefix.len) === prefix.addr;
}

/** The n-th address of a prefix (n = 1 is the first host address). */
export function nthAddress(prefix: Prefix, n: number): IPv4 {
  return (prefix.addr + n) >>> 0;
}

/** Builds an endpoint from text or a number address. */
export function ep(ip: string | IPv4, port: number): Endpoint {
  return { ip: typeof ip === 'string' ? parseIPv4(ip) : ip, port };
}

/** Formats an endpoint as `a.b.c.d:port`. */
export function formatEndpoint(e: Endpoint): string {
  return `${formatIPv4(e.ip)}:${e.port}`;
}

/** Parses `a.b.c.d:port`. */
export function parseEndpoint(text: string): Endpoint {
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw new AddressError(`not an endpoint (address:port): "${text}"`);
  const portText = text.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) {
    throw new AddressError(`not an endpoint (address:port): "${text}"`);
  }
  return { ip: parseIPv4(text.slice(0, colon)), port };
}

/** True when both endpoints have the same address and port. */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.ip === b.ip && a.port === b.port;
}

/** Special-purpose ranges that are not globally reachable (RFC 6890 and RFC 6598). */
export const RESERVED_PREFIXES: readonly Prefix[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.31.196.0/24',
  '192.52.193.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '192.175.48.0/24',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
].map(parsePrefix);

/** Private-use (RFC 1918), carrier shared (RFC 6598), loopback and link-local ranges. */
export const PRIVATE_PREFIXES: readonly Prefix[] = [
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
].map(parsePrefix);

/** True for addresses that are never routed on the Internet: RFC 1918, 100.64/10, loopback, link-local. */
export function isPrivateAddress(ip: IPv4): boolean {
  return PRIVATE_PREFIXES.some((p) => inPrefix(ip, p));
}

/** True for addresses in a reserved or shared range (private, CGN shared space, test nets …). */
export function isReservedAddress(ip: IPv4): boolean {
  return RESERVED_PREFIXES.some((p) => inPrefix(ip, p));
}
