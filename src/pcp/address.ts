/**
 * PCP's 128-bit address fields (RFC 6887 §5): an IPv4 address travels as the IPv4-mapped IPv6
 * address ::ffff:a.b.c.d; "no address" is all zeros (::) or ::ffff:0.0.0.0.
 */

/** An address field as read: IPv4 text, `unspecified`, or IPv6 (which natsim's IPv4 model does not serve). */
export type PcpAddress =
  | { readonly kind: 'ipv4'; readonly address: string }
  | { readonly kind: 'unspecified' }
  | { readonly kind: 'ipv6'; readonly text: string };

/** Reads the 16 bytes at `offset`. */
export function readPcpAddress(d: Uint8Array, offset: number): PcpAddress {
  let zeros = true;
  for (let i = 0; i < 16; i++) if (d[offset + i] !== 0) zeros = false;
  if (zeros) return { kind: 'unspecified' };
  if (isV4Mapped(d, offset)) {
    const a = `${d[offset + 12]}.${d[offset + 13]}.${d[offset + 14]}.${d[offset + 15]}`;
    return a === '0.0.0.0' ? { kind: 'unspecified' } : { kind: 'ipv4', address: a };
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((d[offset + i]! << 8) | d[offset + i + 1]!).toString(16));
  return { kind: 'ipv6', text: groups.join(':') };
}

function isV4Mapped(d: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 10; i++) if (d[offset + i] !== 0) return false;
  return d[offset + 10] === 0xff && d[offset + 11] === 0xff;
}

/** Writes an IPv4 address (dotted quad) as ::ffff:a.b.c.d at `offset`; '' writes ::ffff:0.0.0.0. */
export function writePcpAddress(d: Uint8Array, offset: number, ipv4: string): void {
  d.fill(0, offset, offset + 10);
  d[offset + 10] = 0xff;
  d[offset + 11] = 0xff;
  const parts = (ipv4 || '0.0.0.0').split('.');
  for (let i = 0; i < 4; i++) d[offset + 12 + i] = Number(parts[i] ?? 0) & 0xff;
}

/** The text of an address field, for messages. */
export function describePcpAddress(a: PcpAddress): string {
  return a.kind === 'ipv4' ? a.address : a.kind === 'unspecified' ? '(unspecified)' : a.text;
}
