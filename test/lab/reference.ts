/**
 * Test oracles for the lab codec: a from-scratch Internet checksum (written independently of
 * src/lab/checksum.ts, over a DataView) and golden datagrams built by hand (hex).
 */

export const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((h) => Number.parseInt(h, 16)));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const ip = (s: string): number => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);

function sum(words: number[]): number {
  let s = words.reduce((a, w) => a + w, 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

function words(b: Uint8Array, from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i += 2) out.push(b[i]! * 256 + (i + 1 < to ? b[i + 1]! : 0));
  return out;
}

/** Is the one's-complement sum over the range (checksum included) all ones? */
export function sumsToOnes(b: Uint8Array, from: number, to: number, extra: number[] = []): boolean {
  return sum([...words(b, from, to), ...extra]) === 0xffff;
}

/**
 * Checks every checksum of an IPv4 datagram by full recomputation: IPv4 header, UDP (unless 0) /
 * TCP with the pseudo-header, ICMP; for an ICMP error also the quoted IPv4 header.
 * Returns the names of the checksums that are wrong.
 */
export function badChecksums(b: Uint8Array): string[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const bad: string[] = [];
  const hl = (b[0]! & 15) * 4;
  const total = v.getUint16(2);
  if (!sumsToOnes(b, 0, hl)) bad.push('ipv4');
  const proto = b[9]!;
  const pseudo = [v.getUint16(12), v.getUint16(14), v.getUint16(16), v.getUint16(18), proto, total - hl];
  if (proto === 17) {
    if (v.getUint16(hl + 6) !== 0 && !sumsToOnes(b, hl, total, pseudo)) bad.push('udp');
    if (v.getUint16(hl + 4) !== total - hl) bad.push('udp-length');
  } else if (proto === 6) {
    if (!sumsToOnes(b, hl, total, pseudo)) bad.push('tcp');
  } else if (proto === 1) {
    if (!sumsToOnes(b, hl, total)) bad.push('icmp');
    const type = b[hl]!;
    if (type === 3 || type === 11) {
      const at = hl + 8;
      const ihl = (b[at]! & 15) * 4;
      if (!sumsToOnes(b, at, at + ihl)) bad.push('embedded-ipv4');
    }
  }
  return bad;
}

/** Golden datagrams (built by hand with Python's struct, checksums by its own sum). */
export const GOLDEN = {
  /** ICMP echo request 10.0.0.2 → 8.8.8.8, id 0x1234, seq 1, "abcdefgh", TTL 64. */
  ping: '450000241c464000400104820a0000020808080808005435123400016162636465666768',
  /** UDP 10.0.0.2:40000 → 8.8.8.8:53, a DNS query for example.com A. */
  udp: '450000391c4640004011045d0a000002080808089c4000350025677b123401000001000000000000076578616d706c6503636f6d0000010001',
  /** TCP SYN 10.0.0.2:51000 → 93.184.216.34:80, seq 0x01020304, MSS 1460; IPv4 header with 4 option bytes (IHL 6). */
  syn: '460000301c4640004006dba40a0000025db8d82201010100c738005001020304000000006002faf091ca0000020405b4',
  /** ICMP port unreachable 8.8.8.8 → 203.0.113.5 quoting UDP 203.0.113.5:1024 → 8.8.8.8:53 (TTL 63) in full. */
  unreachable:
    '45000055000040003c01f29208080808cb0071050303494900000000450000391c4640003f11d358cb00710508080808040000350025cdb7123401000001000000000000076578616d706c6503636f6d0000010001',
  /** The IPv4 header of Wikipedia's checksum example (192.168.0.1 → 192.168.0.199, UDP, checksum 0xb861). */
  wikipediaHeader: '45000073000040004011b861c0a80001c0a800c7',
} as const;
