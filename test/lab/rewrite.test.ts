import { describe, expect, it } from 'vitest';
import { read16 } from '../../src/lab/checksum.js';
import { encodeIpv4 } from '../../src/lab/encode.js';
import { type Datagram, decodeIpv4 } from '../../src/lab/ipv4.js';
import { rewriteDatagram } from '../../src/lab/rewrite.js';
import type { Packet } from '../../src/nat/packet.js';
import { badChecksums, GOLDEN, hex, ip } from './reference.js';

function decoded(b: Uint8Array): Datagram {
  const d = decodeIpv4(b);
  if (!d.ok) throw new Error(d.message);
  return d;
}

function rewrite(d: Datagram, p: Packet, hops = 1): Uint8Array {
  const r = rewriteDatagram(d, p, { hops });
  if (!r.ok) throw new Error(r.message);
  return r.bytes;
}

const EXT = ip('203.0.113.5');
const INT = ip('10.0.0.2');

describe('rewriteDatagram (RFC 1624 incremental update)', () => {
  const cases: Array<[string, string, (p: Packet) => Packet]> = [
    ['ping out: source and echo id', GOLDEN.ping, (p) => ({ ...p, src: { ip: EXT, port: 0x9999 } })],
    ['ping out: same id', GOLDEN.ping, (p) => ({ ...p, src: { ip: EXT, port: p.src.port } })],
    ['UDP out: source address and port', GOLDEN.udp, (p) => ({ ...p, src: { ip: EXT, port: 1024 } })],
    ['UDP in: destination address and port', GOLDEN.udp, (p) => ({ ...p, dst: { ip: ip('192.168.77.9'), port: 61000 } })],
    ['UDP both ends (hairpin)', GOLDEN.udp, (p) => ({ ...p, src: { ip: EXT, port: 1 }, dst: { ip: ip('10.0.0.3'), port: 65535 } })],
    ['TCP SYN out (IPv4 options)', GOLDEN.syn, (p) => ({ ...p, src: { ip: EXT, port: 40001 } })],
    ['TCP SYN unchanged addresses', GOLDEN.syn, (p) => p],
  ];
  it.each(cases)('%s: checksums verify by full recomputation, TTL decremented', (_n, h, f) => {
    const d = decoded(hex(h));
    const out = f(d.packet);
    const b = rewrite(d, out);
    expect(badChecksums(b)).toEqual([]);
    const again = decoded(b);
    expect(again.packet.src).toEqual(out.src);
    expect(again.packet.dst).toEqual(out.dst);
    expect(again.ttl).toBe(d.ttl - 1);
    expect(Buffer.from(again.packet.data!)).toEqual(Buffer.from(d.packet.data!));
  });

  it('does not touch its input unless asked to work in place', () => {
    const input = hex(GOLDEN.udp);
    const d = decoded(input);
    rewrite(d, { ...d.packet, src: { ip: EXT, port: 1 } });
    expect(Buffer.from(input).toString('hex')).toBe(GOLDEN.udp);
    const r = rewriteDatagram(d, { ...d.packet, src: { ip: EXT, port: 1 } }, { inPlace: true });
    expect(r.ok && r.bytes).toBe(input);
    expect(badChecksums(input)).toEqual([]);
  });

  it('rewrites an echo reply id on the destination side', () => {
    const reply = encodeIpv4({ proto: 'icmp', src: { ip: ip('8.8.8.8'), port: 0 }, dst: { ip: EXT, port: 0x9999 } }, { icmpType: 0 });
    const d = decoded(reply);
    const b = rewrite(d, { ...d.packet, dst: { ip: INT, port: 0x1234 } });
    expect(badChecksums(b)).toEqual([]);
    expect(read16(b, 24)).toBe(0x1234);
  });

  it('leaves a UDP checksum of 0 at 0 (none sent)', () => {
    const d = decoded(
      encodeIpv4(
        { proto: 'udp', src: { ip: INT, port: 5000 }, dst: { ip: ip('1.1.1.1'), port: 53 }, payload: 'q' },
        { noUdpChecksum: true },
      ),
    );
    const b = rewrite(d, { ...d.packet, src: { ip: EXT, port: 7000 } });
    expect(read16(b, 26)).toBe(0);
    expect(badChecksums(b)).toEqual([]);
    expect(decoded(b).packet.src).toEqual({ ip: EXT, port: 7000 });
  });

  it('sends a UDP checksum that updates to 0 as 0xffff', () => {
    // Search for a source port whose translation makes the one's-complement sum all ones.
    const d = decoded(hex(GOLDEN.udp));
    let hits = 0;
    for (let port = 1; port < 65536 && hits < 3; port++) {
      const b = rewrite(d, { ...d.packet, src: { ip: EXT, port } });
      const c = read16(b, 26);
      expect(c).not.toBe(0);
      if (c === 0xffff) {
        hits++;
        expect(badChecksums(b)).toEqual([]);
      }
    }
    expect(hits).toBeGreaterThan(0);
  });

  it('decrements the TTL once per router crossed', () => {
    const d = decoded(hex(GOLDEN.udp));
    expect(decoded(rewrite(d, d.packet, 3)).ttl).toBe(61);
  });

  it.each([
    [1, 1, 1],
    [2, 5, 2],
    [0, 1, 1],
  ])('drops a datagram with TTL %i crossing %i routers (expired at router %i)', (ttl, hops, at) => {
    const d = decoded(encodeIpv4({ proto: 'udp', src: { ip: INT, port: 5000 }, dst: { ip: ip('1.1.1.1'), port: 53 } }, { ttl }));
    const r = rewriteDatagram(d, d.packet, { hops });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('ttl-expired');
      expect(r.hop).toBe(at);
      expect(r.message).toContain(`TTL ${ttl}`);
    }
  });
});

describe('payload rewrite (an ALG changed the bytes)', () => {
  const sip = 'INVITE sip:bob@198.51.100.7 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2:5060\r\nContent-Length: 0\r\n\r\n';
  it.each([
    ['longer UDP payload', 'udp', `${sip.replace('10.0.0.2', '203.0.113.5')}`],
    ['shorter UDP payload', 'udp', 'BYE'],
    ['odd-length TCP payload', 'tcp', 'abc'],
    ['empty TCP payload', 'tcp', ''],
  ] as const)('%s: new lengths, full checksums', (_n, proto, text) => {
    const d = decoded(
      encodeIpv4({ proto, src: { ip: INT, port: 5060 }, dst: { ip: ip('198.51.100.7'), port: 5060 }, payload: sip }, { ttl: 9, seq: 77 }),
    );
    const data = new Uint8Array(Buffer.from(text, 'latin1'));
    const b = rewrite(d, { ...d.packet, src: { ip: EXT, port: 5060 }, data });
    expect(badChecksums(b)).toEqual([]);
    const again = decoded(b);
    expect(again.totalLength).toBe(d.payloadOffset + data.length);
    expect(Buffer.from(again.packet.data!).toString('latin1')).toBe(text);
    expect(again.ttl).toBe(8);
    expect(again.packet.src).toEqual({ ip: EXT, port: 5060 });
  });

  it('re-encodes from payload text when the packet carries no bytes', () => {
    const d = decoded(
      encodeIpv4({ proto: 'udp', src: { ip: INT, port: 5060 }, dst: { ip: ip('198.51.100.7'), port: 5060 }, payload: 'a' }),
    );
    const { data: _drop, ...rest } = d.packet;
    const b = rewrite(d, { ...rest, payload: 'hello' });
    expect(badChecksums(b)).toEqual([]);
    expect(Buffer.from(decoded(b).packet.data!).toString()).toBe('hello');
  });
});
