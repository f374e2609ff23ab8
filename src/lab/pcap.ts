/**
 * The classic libpcap file format for raw IPv4 datagrams: a 24-byte file header, then one
 * 16-byte record header per datagram followed by its bytes. Pure: bytes in, bytes out; the
 * caller writes them (see pcap-file.ts).
 *
 * Link type 101 (`LINKTYPE_RAW`): each record starts at the IPv4 header, as a TUN device without
 * packet information delivers it, so tshark and tcpdump decode it with no link layer.
 *
 * @see https://www.tcpdump.org/manpages/pcap-savefile.5.html
 * @see https://www.tcpdump.org/linktypes.html (LINKTYPE_RAW = 101)
 */

/** `LINKTYPE_RAW`: the record is a raw IPv4 (or IPv6) datagram. */
export const LINKTYPE_RAW = 101;

/** Records longer than this are cut (the original length is kept in the record header). */
export const PCAP_SNAPLEN = 65535;

const MAGIC_MICROSECONDS = 0xa1b2c3d4;

/** The 24-byte file header (little-endian, microsecond timestamps, version 2.4). */
export function pcapFileHeader(snaplen: number = PCAP_SNAPLEN, linkType: number = LINKTYPE_RAW): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint32(0, MAGIC_MICROSECONDS, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  // thiszone (8) and sigfigs (12) stay 0.
  v.setUint32(16, snaplen, true);
  v.setUint32(20, linkType, true);
  return b;
}

/**
 * One record: its 16-byte header and the datagram (cut at `snaplen`). `atMs` is the capture time
 * in milliseconds since the Unix epoch (fractions kept to the microsecond).
 */
export function pcapRecord(atMs: number, datagram: Uint8Array, snaplen: number = PCAP_SNAPLEN): Uint8Array {
  const incl = Math.min(datagram.length, snaplen);
  const b = new Uint8Array(16 + incl);
  const v = new DataView(b.buffer);
  const us = Math.max(0, Math.round(atMs * 1000));
  v.setUint32(0, Math.floor(us / 1e6) >>> 0, true);
  v.setUint32(4, us % 1e6, true);
  v.setUint32(8, incl, true);
  v.setUint32(12, datagram.length, true);
  b.set(datagram.subarray(0, incl), 16);
  return b;
}
