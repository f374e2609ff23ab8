import { describe, expect, it } from 'vitest';
import { internetChecksum, onesSum, read16, updateChecksum16, updateChecksum32, write16 } from '../../src/lab/checksum.js';
import { encodeIpv4 } from '../../src/lab/encode.js';
import { type DecodeReason, decodeIpv4 } from '../../src/lab/ipv4.js';
import { TCP } from '../../src/nat/packet.js';
import { badChecksums, GOLDEN, hex, ip, sumsToOnes } from './reference.js';

function decoded(h: string) {
  const d = decodeIpv4(hex(h));
  if (!d.ok) throw new Error(d.message);
  return d;
}

describe('Internet checksum (RFC 1071, RFC 1624)', () => {
  it("computes Wikipedia's example header checksum 0xb861", () => {
    const b = hex(GOLDEN.wikipediaHeader);
    expect(read16(b, 10)).toBe(0xb861);
    write16(b, 10, 0);
    expect(internetChecksum(b, 0, 20)).toBe(0xb861);
  });

  it('sums an odd-length range as if padded with a zero byte', () => {
    expect(onesSum(Uint8Array.of(0x01, 0x02, 0x03), 0, 3)).toBe(0x0102 + 0x0300);
  });

  it('equation 3 agrees with full recomputation for random field changes', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 8;
    for (let n = 0; n < 2000; n++) {
      const b = new Uint8Array(20);
      for (let i = 0; i < 20; i++) b[i] = rnd() & 0xff;
      write16(b, 10, 0);
      const c = internetChecksum(b, 0, 20);
      write16(b, 10, c);
      const at = 12 + 2 * (rnd() % 4);
      const old = read16(b, at);
      const now = n % 50 === 0 ? 0 : rnd() & 0xffff;
      write16(b, at, now);
      write16(b, 10, updateChecksum16(c, old, now));
      expect(sumsToOnes(b, 0, 20)).toBe(true);
    }
  });

  it('updates for a 32-bit address as for its two halves', () => {
    const c = 0x1234;
    const a = ip('10.0.0.2');
    const z = ip('203.0.113.5');
    expect(updateChecksum32(c, a, z)).toBe(updateChecksum16(updateChecksum16(c, a >>> 16, z >>> 16), a & 0xffff, z & 0xffff));
  });
});

describe('decodeIpv4', () => {
  it('decodes a golden ICMP echo request (the id as its source port)', () => {
    const d = decoded(GOLDEN.ping);
    expect(d.packet).toMatchObject({
      proto: 'icmp',
      src: { ip: ip('10.0.0.2'), port: 0x1234 },
      dst: { ip: ip('8.8.8.8'), port: 0 },
      size: 36,
    });
    expect(d.icmp).toEqual({ type: 8, code: 0, id: 0x1234 });
    expect(d.ttl).toBe(64);
    expect(Buffer.from(d.packet.data!).toString()).toBe('abcdefgh');
  });

  it('decodes a golden UDP datagram, the payload a view into the input', () => {
    const d = decoded(GOLDEN.udp);
    expect(d.packet).toMatchObject({ proto: 'udp', src: { ip: ip('10.0.0.2'), port: 40000 }, dst: { ip: ip('8.8.8.8'), port: 53 } });
    expect(d.packet.data!.length).toBe(29);
    expect(d.packet.data!.buffer).toBe(d.bytes.buffer);
    expect(d.payloadOffset).toBe(28);
  });

  it('decodes a golden TCP SYN with IPv4 and TCP options', () => {
    const d = decoded(GOLDEN.syn);
    expect(d.headerLength).toBe(24);
    expect(d.transportOffset).toBe(24);
    expect(d.payloadOffset).toBe(48);
    expect(d.packet).toMatchObject({ proto: 'tcp', flags: TCP.SYN, src: { port: 51000 }, dst: { ip: ip('93.184.216.34'), port: 80 } });
    expect(d.packet.data!.length).toBe(0);
  });

  it('decodes an ICMP port unreachable and its embedded UDP header', () => {
    const d = decoded(GOLDEN.unreachable);
    expect(d.icmp?.type).toBe(3);
    expect(d.icmp?.code).toBe(3);
    expect(d.icmp?.error?.packet).toEqual({
      proto: 'udp',
      src: { ip: ip('203.0.113.5'), port: 1024 },
      dst: { ip: ip('8.8.8.8'), port: 53 },
    });
    expect(d.icmp?.error?.offset).toBe(28);
  });

  it('ignores link padding after the total length', () => {
    const b = new Uint8Array([...hex(GOLDEN.syn), 0, 0, 0, 0, 0, 0]);
    const d = decodeIpv4(b);
    expect(d.ok && d.totalLength).toBe(48);
  });

  it('round-trips what encodeIpv4 builds, with valid checksums', () => {
    const cases = [
      { proto: 'udp', src: { ip: 1, port: 2 }, dst: { ip: 0xffffffff, port: 65535 }, payload: 'x'.repeat(1001) },
      { proto: 'tcp', src: { ip: ip('192.168.1.2'), port: 1 }, dst: { ip: ip('1.2.3.4'), port: 443 }, flags: TCP.SYN | TCP.ACK },
      { proto: 'icmp', src: { ip: ip('192.168.1.2'), port: 7 }, dst: { ip: ip('1.2.3.4'), port: 0 }, payload: 'ping' },
    ] as const;
    for (const p of cases) {
      const b = encodeIpv4(p);
      expect(badChecksums(b)).toEqual([]);
      const d = decodeIpv4(b);
      expect(d.ok).toBe(true);
      if (d.ok) expect(d.packet).toMatchObject({ proto: p.proto, src: p.src, dst: p.dst, ...('flags' in p ? { flags: p.flags } : {}) });
    }
  });

  const mutate = (h: string, f: (b: Uint8Array) => Uint8Array | undefined): Uint8Array => {
    const b = hex(h);
    return f(b) ?? b;
  };
  const fixHeader = (b: Uint8Array): Uint8Array => {
    const hl = (b[0]! & 15) * 4;
    write16(b, 10, 0);
    write16(b, 10, internetChecksum(b, 0, hl));
    return b;
  };
  const refusals: Array<[string, Uint8Array, DecodeReason]> = [
    ['empty input', new Uint8Array(0), 'truncated'],
    ['19 bytes', hex(GOLDEN.udp).subarray(0, 19), 'truncated'],
    ['IPv6', mutate(GOLDEN.udp, (b) => ((b[0] = 0x60), undefined)), 'not-ipv4'],
    ['IHL 4', mutate(GOLDEN.udp, (b) => ((b[0] = 0x44), undefined)), 'bad-header-length'],
    ['IHL 15 in 57 bytes', mutate(GOLDEN.udp, (b) => ((b[0] = 0x4f), undefined)), 'bad-header-length'],
    ['total length 19', mutate(GOLDEN.udp, (b) => fixHeader((write16(b, 2, 19), b))), 'bad-total-length'],
    ['total length beyond the bytes', mutate(GOLDEN.udp, (b) => fixHeader((write16(b, 2, 58), b))), 'truncated'],
    ['a cut datagram', hex(GOLDEN.udp).subarray(0, 40), 'truncated'],
    ['a flipped header bit', mutate(GOLDEN.udp, (b) => ((b[15]! ^= 1), undefined)), 'bad-checksum'],
    ['a first fragment (MF)', mutate(GOLDEN.udp, (b) => fixHeader((write16(b, 6, 0x2000), b))), 'fragment'],
    ['a later fragment (offset 185)', mutate(GOLDEN.udp, (b) => fixHeader((write16(b, 6, 185), b))), 'fragment'],
    ['protocol 47 (GRE)', mutate(GOLDEN.udp, (b) => fixHeader(((b[9] = 47), b))), 'unknown-protocol'],
    ['UDP length 7', mutate(GOLDEN.udp, (b) => ((b[24] = 0), (b[25] = 7), undefined)), 'bad-transport'],
    ['UDP length beyond the datagram', mutate(GOLDEN.udp, (b) => ((b[25] = 0x26), undefined)), 'bad-transport'],
    ['TCP data offset 4', mutate(GOLDEN.syn, (b) => ((b[36] = 0x40), undefined)), 'bad-transport'],
    ['TCP data offset 15 words', mutate(GOLDEN.syn, (b) => ((b[36] = 0xf0), undefined)), 'bad-transport'],
    ['ICMP timestamp', mutate(GOLDEN.ping, (b) => ((b[20] = 13), undefined)), 'unsupported-icmp'],
    ['an unreachable quoting 27 bytes', fixHeader(mutate(GOLDEN.unreachable, (b) => write16(b, 2, 55) ?? b.subarray(0, 55))), 'truncated'],
  ];
  it.each(refusals)('refuses %s', (_name, bytes, code) => {
    const d = decodeIpv4(bytes);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.code).toBe(code);
      expect(d.message.length).toBeGreaterThan(20);
    }
  });
});
