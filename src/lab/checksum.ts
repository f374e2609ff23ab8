/**
 * The Internet checksum: the one's-complement sum of 16-bit big-endian words, computed in full or
 * updated incrementally when a field changes.
 *
 * @see RFC 1071 (computing the Internet checksum)
 * @see RFC 1624 (incremental update, equation 3)
 */

/**
 * The one's-complement sum (folded to 16 bits, not complemented) of `bytes[start, end)` added to
 * `initial`. An odd trailing byte is padded with a zero byte. Linear in the range.
 */
export function onesSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  const even = end - ((end - start) & 1);
  for (; i < even; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum field value for `bytes[start, end)` (its checksum field zeroed or included), plus `initial`. */
export function internetChecksum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  return ~onesSum(bytes, start, end, initial) & 0xffff;
}

/** The pseudo-header sum of UDP and TCP (source, destination, protocol, transport length). */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  let sum = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * RFC 1624 equation 3: the new checksum `HC' = ~(~HC + ~m + m')` after a 16-bit word changes from
 * `m` to `m2` (`hc` is the checksum field as sent). Equation 3 rather than 2 because equation 2
 * can produce the one's-complement negative zero (0x0000 for a sum that is 0xFFFF).
 * @see RFC 1624 section 3
 */
export function updateChecksum16(hc: number, m: number, m2: number): number {
  let sum = (~hc & 0xffff) + (~m & 0xffff) + (m2 & 0xffff);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** {@link updateChecksum16} for a 32-bit field (an IPv4 address): both halves at once. */
export function updateChecksum32(hc: number, m: number, m2: number): number {
  let sum = (~hc & 0xffff) + (~(m >>> 16) & 0xffff) + (~m & 0xffff) + (m2 >>> 16) + (m2 & 0xffff);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Reads a big-endian 16-bit word. */
export function read16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

/** Writes a big-endian 16-bit word. */
export function write16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

/** Reads a big-endian 32-bit word as an unsigned number. */
export function read32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Writes a big-endian 32-bit word. */
export function write32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/**
 * A copy of `bytes[0, end)` in memory of its own. Not `bytes.slice()`: on a Node Buffer (what a
 * socket delivers) `slice` returns a view of the same memory, so a "copy" rewritten in place
 * would change the datagram it came from.
 */
export function copyBytes(bytes: Uint8Array, end: number = bytes.length): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes, 0, end);
}
