/**
 * The lab's packet layer: real IPv4 datagrams in and out of the pure model (src/nat). No I/O;
 * the TUN plumbing reads datagrams, calls this layer and writes what it returns.
 *
 * ## API
 *
 * - {@link decodeIpv4}`(bytes)` → a {@link Datagram} (`ok: true`: the model's `packet` with the
 *   payload as `data`, plus `ttl`, `headerLength`, offsets and `icmp` type/code/id or the
 *   embedded header of an ICMP error) or a {@link DecodeRefusal} (`ok: false`, `code` from
 *   {@link DECODE_REASONS}: truncated, not-ipv4, bad-header-length, bad-total-length,
 *   bad-checksum, fragment, unknown-protocol, bad-transport, unsupported-icmp; and a `message`
 *   sentence). Never throws; linear in the input.
 * - {@link rewriteDatagram}`(datagram, translated, { hops, inPlace })` → the outgoing bytes with
 *   the translated addresses, ports or echo id and TTL − hops, checksums updated per RFC 1624
 *   (UDP checksum 0 stays 0); a changed payload (an ALG returned new `data`) is re-encoded with
 *   new lengths and full checksums ({@link reencodeDatagram}); `{ ok: false, code: 'ttl-expired',
 *   hop }` when a router on the way would see TTL 0.
 * - {@link encodeIpv4}`(packet, options)` builds a datagram from scratch (full checksums).
 * - Checksum helpers in checksum.ts ({@link internetChecksum}, {@link updateChecksum16}, …).
 *
 * Typical use for one datagram read from host H's TUN device:
 *
 * ```ts
 * const d = decodeIpv4(bytes);
 * if (!d.ok) return log(d.code, d.message);            // counted drop
 * const r = network.send(H, d.packet, { trace: false });
 * if (!r.delivered) return log(r.drop!.code, r.drop!.message);
 * const out = rewriteDatagram(d, r.packet, { hops: routersCrossed(r) });
 * if (out.ok) writeToTun(r.to!, out.bytes);
 * ```
 *
 * @see RFC 791, RFC 768, RFC 9293, RFC 792, RFC 1624, RFC 5508
 */
export * from './checksum.js';
export * from './encode.js';
export * from './ipv4.js';
export * from './rewrite.js';
