/**
 * GENA CALLBACK URLs (UDA 1.1 §4.1.2) and the CallStranger guard (CVE-2020-12695).
 *
 * Each URL is parsed with the WHATWG URL parser — the same `URL` the NOTIFY is then delivered to
 * (gena-delivery.ts passes the parsed URL to node:http), so the host that is checked is the host
 * that is contacted. The old check read the text before the first `:` and let
 * `http://127.0.0.1:x@127.0.0.2:9100/` through to 127.0.0.2 (issue 12).
 *
 * A URL qualifies when it is `http:`, carries no userinfo, is at most
 * {@link GENA_LIMITS.callbackUrlLength} characters, and its host is an IP literal equal to the
 * subscriber's TCP address (IPv4-mapped IPv6 peers compare as IPv4).
 */
import { isIP } from 'node:net';
import { GENA_LIMITS } from './soap-constants.js';

/** Strips an IPv4-mapped IPv6 prefix. */
export function normalizePeer(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** A callback URL that passed the checks, or why the URL was refused. */
export type CallbackCheck = { readonly ok: true; readonly url: URL } | { readonly ok: false; readonly reason: string };

/** Checks one callback URL against the subscriber's address `peer`. */
export function checkCallbackUrl(raw: string, peer: string): CallbackCheck {
  if (raw.length > GENA_LIMITS.callbackUrlLength) return { ok: false, reason: `longer than ${GENA_LIMITS.callbackUrlLength} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (url.protocol !== 'http:') return { ok: false, reason: `scheme ${url.protocol} is not http:` };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'userinfo is refused' };
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host) === 0) return { ok: false, reason: `host ${url.hostname} is not an address` };
  if (normalizePeer(host) !== normalizePeer(peer))
    return { ok: false, reason: `host ${url.hostname} is not the subscriber's address ${peer}` };
  return { ok: true, url };
}

/**
 * The first URL of a CALLBACK header (`<http://a/b><http://c/d>`) that passes
 * {@link checkCallbackUrl}, looking at no more than {@link GENA_LIMITS.callbackUrls} of them.
 * Undefined when none qualifies.
 */
export function selectCallbackUrl(header: string, peer: string): URL | undefined {
  let tried = 0;
  let i = 0;
  while (tried < GENA_LIMITS.callbackUrls) {
    const open = header.indexOf('<', i);
    if (open < 0) return undefined;
    const close = header.indexOf('>', open + 1);
    if (close < 0) return undefined;
    tried++;
    const r = checkCallbackUrl(header.slice(open + 1, close).trim(), peer);
    if (r.ok) return r.url;
    i = close + 1;
  }
  return undefined;
}

/** {@link selectCallbackUrl} as a string (the URL as it will be contacted). */
export function selectCallback(header: string, peer: string): string | undefined {
  return selectCallbackUrl(header, peer)?.href;
}
