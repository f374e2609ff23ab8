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
 * - {@link rewriteIcmpError}`(datagram, translation, { hops })` for a decoded ICMP error
 *   (destination unreachable, time exceeded, parameter problem): outer addresses and TTL, the
 *   quoted header's addresses, ports or echo id, its IPv4 and (when quoted) transport checksum,
 *   and the ICMP checksum. `translation` is what {@link Network.sendIcmpError} returns: the model
 *   finds each NAT's mapping by the quoted header (RFC 5508), so a UDP sender behind NAT gets its
 *   port unreachable ("connection refused").
 * - {@link buildIcmpError}`(offending, routerIp, { type, code })` builds the error a router or host
 *   sends (default time exceeded), quoting up to 576 bytes.
 * - {@link carryDatagram}`(network, fromHost, bytes)` does all of it for one datagram: decode,
 *   `Network.send` or `Network.sendIcmpError`, rewrite with `hops` = routers crossed; returns
 *   `{ ok: true, to, bytes }` or `{ ok: false, stage: 'decode' | 'model' | 'ttl', code, message }`; a `ttl` refusal carries the
 *   router's ICMP time exceeded, already translated back (`timeExceeded: { to, bytes }`), when
 *   the datagram expired on a router's LAN side (traceroute from a LAN host).
 * - {@link encodeIpv4}`(packet, options)` builds a datagram from scratch (full checksums).
 * - Checksum helpers in checksum.ts ({@link internetChecksum}, {@link updateChecksum16}, …).
 *
 * Typical use for one datagram read from host H's TUN device:
 *
 * ```ts
 * const r = carryDatagram(network, H, bytes);
 * if (r.ok) writeToTun(r.to, r.bytes);   // r.to may be `router:<id>` (the router's own services)
 * else count(r.stage, r.code, r.message); // e.g. decode/fragment, model/no-mapping, ttl/ttl-expired
 * ```
 *
 * The model's ICMP echo convention: the identifier is the querying side's port (a request's
 * `src.port`, a reply's `dst.port`), the other side's port is 0, so a NAT's filtering admits the
 * reply whatever id the NAT assigned. Payloads travel as `Packet.data` (a view into the input);
 * ALGs read them as latin1 text and return new bytes, which the rewrite re-encodes. A TCP ALG
 * that changes a length does not repair sequence numbers (see rewrite.ts). Transport checksums
 * are never verified (a router does not), only kept right.
 *
 * ## The lab itself
 *
 * {@link startLab}`({ scenario })` (start-lab.ts) runs the scenario as network namespaces with real
 * processes, each host's packets carried by the functions above (lab-namespace.ts: the private
 * namespace and its helper; host-namespace.ts: a host's namespace and TUN bridge; relay.ts: the
 * relay socket; host-process.ts: processes in a host).
 *
 * @see RFC 791, RFC 768, RFC 9293, RFC 792, RFC 1624, RFC 5508
 */
export * from './capture.js';
export * from './carry.js';
export * from './checksum.js';
export * from './encode.js';
export type { ExecOptions, ExecResult } from './host-process.js';
export * from './icmp-error.js';
export * from './ipv4.js';
export type { LabMode } from './lab-namespace.js';
export * from './pcap.js';
export * from './pcap-file.js';
export type { LabDrop, RelayStats } from './relay.js';
export * from './rewrite.js';
export { type LabHandle, type LabOptions, startLab } from './start-lab.js';
