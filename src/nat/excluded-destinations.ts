/**
 * Destinations excluded from translation (RFC 6888 REQ-6: "It MUST be possible to
 * administratively turn off translation for specific destination addresses and/or ports").
 * Packets to them leave with their internal source; replies from them come back to it.
 *
 * As data: `"198.51.100.0/24"` (any port), `"198.51.100.53:53"` (one port of a /32),
 * `"192.0.2.0/24:8000-8099"` (a port range of a prefix).
 */
import { AddressError, type Endpoint, inPrefix, type Prefix, parsePrefix } from './address.js';

/** One parsed exclusion. */
export interface Exclusion {
  readonly prefix: Prefix;
  readonly fromPort: number;
  readonly toPort: number;
  /** The text it was parsed from. */
  readonly text: string;
}

/** Parses one exclusion; throws {@link AddressError} with the accepted forms. */
export function parseExclusion(text: string): Exclusion {
  const colon = text.indexOf(':');
  const prefixText = colon < 0 ? text : text.slice(0, colon);
  let fromPort = 0;
  let toPort = 65535;
  if (colon >= 0) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.slice(colon + 1));
    fromPort = m ? Number(m[1]) : -1;
    toPort = m ? Number(m[2] ?? m[1]) : -1;
    if (!m || fromPort < 1 || toPort > 65535 || fromPort > toPort) throw bad(text);
  }
  try {
    return { prefix: parsePrefix(prefixText), fromPort, toPort, text };
  } catch {
    throw bad(text);
  }
}

function bad(text: string): AddressError {
  return new AddressError(
    `not an excluded destination: "${text}" (expected a prefix such as 198.51.100.0/24, optionally with :port or :low-high)`,
  );
}

/** Parses a list of exclusions (empty list: nothing excluded). */
export function parseExclusions(list: readonly string[]): readonly Exclusion[] {
  return list.map(parseExclusion);
}

/** The exclusion `dst` falls under, if any. */
export function excludedBy(list: readonly Exclusion[], dst: Endpoint): Exclusion | undefined {
  for (const x of list) if (dst.port >= x.fromPort && dst.port <= x.toPort && inPrefix(dst.ip, x.prefix)) return x;
  return undefined;
}
