/**
 * What a relaying router did upstream while a client asked it for a mapping (RFC 6970's IGD-PCP
 * interworking function, RFC 7648's PCP proxy): read off the model's events, so the simulation
 * tells it without looking inside the router.
 */
import type { MappingEvent } from '../nat/events.js';
import type { Network } from '../nat/network.js';

/**
 * Runs `fn` and returns its value and a sentence per mapping another router made over PCP
 * meanwhile: for a client's mapping (`mapping`), or for the external-address question (`address`).
 */
export function withUpstreamNotes<T>(
  net: Network,
  rid: string,
  fn: () => T,
  kind: 'mapping' | 'address' = 'mapping',
): { value: T; notes: string[] } {
  const made: MappingEvent[] = [];
  const seen = (e: MappingEvent): void => {
    if (e.router !== rid && e.origin === 'pcp') made.push(e);
  };
  const offs = [net.events.on('mapping-created', seen), net.events.on('mapping-refreshed', seen)];
  let value: T;
  try {
    value = fn();
  } finally {
    for (const off of offs) off();
  }
  const notes = made.map((e) => {
    const m = e.mapping;
    const lease = m.leaseSeconds > 0 ? ` for ${m.leaseSeconds} s` : '';
    const outside = net.router(e.router).wanAddress;
    const what = `${m.protocol.toUpperCase()} ${outside}:${m.externalPort} → ${m.internalClient}:${m.internalPort}${lease}`;
    return kind === 'address'
      ? `${rid} asks ${e.router} over PCP for its external address: a short MAP (${what}) answers ${outside}`
      : `${rid} maps it at ${e.router} too, over PCP: ${what}`;
  });
  return { value, notes };
}
