/**
 * FILTER options (RFC 6887 §13.3) as the model records them: IPv4 prefixes and ports. A prefix
 * length of 0 clears the filters; IPv6 prefixes can match no IPv4 peer and are dropped.
 */
import { parseIPv4 } from '../nat/address.js';
import type { ForwardFilter } from '../nat/forward-table.js';
import type { PcpFilter } from './options.js';

/** The model's filters for a MAP's FILTER options. */
export function forwardFilters(filters: readonly PcpFilter[]): ForwardFilter[] {
  if (filters.some((f) => f.prefixLength === 0)) return [];
  const out: ForwardFilter[] = [];
  for (const f of filters) {
    if (f.remote.kind === 'ipv6') continue;
    const len = f.prefixLength - 96;
    const ip = f.remote.kind === 'ipv4' ? parseIPv4(f.remote.address) : 0;
    const addr = len === 0 ? 0 : (ip & (0xffffffff << (32 - len))) >>> 0;
    out.push({ prefix: { addr, len }, port: f.remotePort });
  }
  return out;
}
