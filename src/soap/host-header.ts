/**
 * The Host header check of the IGD's HTTP face (DNS-rebinding guard, as miniupnpd's, made exact).
 *
 * Accepted: an absent or empty Host, a numeric IPv4 address (four decimal octets, 0–255), or a
 * bracketed IPv6 literal (`[fe80::1]`, checked with node:net's IPv6 parser), each optionally
 * followed by `:port` (up to five digits, at most 65535; an empty port is allowed, RFC 3986).
 * A well-formed DNS name (`evil.example.com`) is the rebinding case: 404, as miniupnpd. Anything
 * that is not a valid URI host at all — brackets around a name (`[evil.example]`, which miniupnpd's
 * `[`-prefix test let through, issue 12), more than one colon outside brackets, a bad port,
 * characters a host may not contain — is a malformed request: 400 (RFC 9112 §3.2).
 */
import { isIPv6 } from 'node:net';

/** The verdict on a Host header: accepted, a name (404), or malformed (400). */
export type HostHeaderVerdict = 'ok' | 'name' | 'malformed';

/** True for 0–255 without leading zeros beyond one digit ("0", "10", "255"). */
function isOctet(s: string): boolean {
  if (s.length === 0 || s.length > 3) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  if (s.length > 1 && s.charCodeAt(0) === 48) return false;
  return Number(s) <= 255;
}

/** A dotted-quad IPv4 literal. */
export function isIPv4Literal(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every(isOctet);
}

/** An empty port or 1–5 digits up to 65535. */
function isPort(s: string): boolean {
  if (s.length > 5) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return s.length === 0 || Number(s) <= 65535;
}

/** reg-name characters of RFC 3986 §3.2.2 (unreserved, sub-delims, `%`). */
const REG_NAME = /^[A-Za-z0-9\-._~!$&'()*+,;=%]+$/;

/** Classifies a Host header value. */
export function classifyHostHeader(host: string | undefined): HostHeaderVerdict {
  if (host === undefined || host === '') return 'ok';
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return 'malformed';
    const rest = host.slice(end + 1);
    if (rest !== '' && !(rest.startsWith(':') && isPort(rest.slice(1)))) return 'malformed';
    return isIPv6(host.slice(1, end)) ? 'ok' : 'malformed';
  }
  const colon = host.indexOf(':');
  const name = colon < 0 ? host : host.slice(0, colon);
  if (colon >= 0 && !isPort(host.slice(colon + 1))) return 'malformed';
  if (isIPv4Literal(name)) return 'ok';
  return REG_NAME.test(name) ? 'name' : 'malformed';
}

/** True when the Host header is an address literal (or absent): {@link classifyHostHeader} is 'ok'. */
export function hostHeaderAcceptable(host: string | undefined): boolean {
  return classifyHostHeader(host) === 'ok';
}
