import { describe, expect, it } from 'vitest';
import { type CarryResult, carryDatagram } from '../../src/lab/carry.js';
import { read16 } from '../../src/lab/checksum.js';
import { encodeIpv4 } from '../../src/lab/encode.js';
import { buildIcmpError, rewriteIcmpError } from '../../src/lab/icmp-error.js';
import { type Datagram, decodeIpv4 } from '../../src/lab/ipv4.js';
import { FakeClock, Network, natPolicy, SeededRng, TCP } from '../../src/nat/index.js';
import { badChecksums, GOLDEN, hex, ip, sumsToOnes, toHex } from './reference.js';

function decoded(b: Uint8Array): Datagram {
  const d = decodeIpv4(b);
  if (!d.ok) throw new Error(d.message);
  return d;
}

function carried(r: CarryResult) {
  if (!r.ok) throw new Error(`${r.stage} ${r.code}: ${r.message}`);
  return r;
}

/** a, b behind `home` (NAT 203.0.113.1, LAN 10.0.0.0/24); dns 8.8.8.8 and web on the Internet; optionally behind a carrier NAT. */
function lab(options: { cgn?: boolean; algs?: string[] } = {}) {
  const network = new Network({ clock: new FakeClock(), rng: new SeededRng(3) });
  if (options.cgn) network.addRouter({ id: 'cgn', wan: '198.51.100.1', lan: '100.64.0.0/10', nat: natPolicy('symmetric') });
  network.addRouter({
    id: 'home',
    ...(options.cgn ? { parent: 'cgn', wan: '100.64.0.2' } : { wan: '203.0.113.1' }),
    lan: '10.0.0.0/24',
    nat: natPolicy('symmetric'),
    ...(options.algs ? { algs: options.algs } : {}),
  });
  network.addHost({ id: 'a', address: '10.0.0.2', on: 'home' });
  network.addHost({ id: 'dns', address: '8.8.8.8' });
  network.addHost({ id: 'web', address: '93.184.216.34' });
  network.addHost({ id: 'sip', address: '198.51.100.7' });
  return network;
}

describe('carryDatagram: real datagrams through the model', () => {
  it('carries a golden ping out and its reply back', () => {
    const network = lab();
    const out = carried(carryDatagram(network, 'a', hex(GOLDEN.ping)));
    expect(out.to).toBe('dns');
    expect(badChecksums(out.bytes)).toEqual([]);
    const seen = decoded(out.bytes);
    expect(seen.packet.src.ip).toBe(ip('203.0.113.1'));
    expect(seen.ttl).toBe(63);
    // The Internet host answers with an echo reply to the id it saw.
    const reply = encodeIpv4(
      { proto: 'icmp', src: seen.packet.dst, dst: seen.packet.src, data: seen.packet.data! },
      { icmpType: 0, icmpSeq: 1 },
    );
    const back = carried(carryDatagram(network, 'dns', reply));
    expect(back.to).toBe('a');
    expect(badChecksums(back.bytes)).toEqual([]);
    const got = decoded(back.bytes);
    expect(got.packet.dst).toEqual({ ip: ip('10.0.0.2'), port: 0x1234 });
    expect(read16(back.bytes, 24)).toBe(0x1234);
  });

  it('carries a golden TCP SYN through two NATs (TTL − 2) and refuses the unsolicited one back', () => {
    const network = lab({ cgn: true });
    const out = carried(carryDatagram(network, 'a', hex(GOLDEN.syn)));
    expect(out).toMatchObject({ to: 'web', routers: 2 });
    expect(badChecksums(out.bytes)).toEqual([]);
    expect(decoded(out.bytes).ttl).toBe(62);
    expect(decoded(out.bytes).packet.src.ip).toBe(ip('198.51.100.1'));
    const stray = encodeIpv4({
      proto: 'tcp',
      src: { ip: ip('93.184.216.34'), port: 80 },
      dst: { ip: ip('198.51.100.1'), port: 9 },
      flags: TCP.SYN,
    });
    const r = carryDatagram(network, 'web', stray);
    expect(r).toMatchObject({ ok: false, stage: 'model', code: 'no-mapping', node: 'cgn' });
  });

  it("rewrites the caller's buffer when asked to work in place", () => {
    const b = hex(GOLDEN.udp);
    const out = carried(carryDatagram(lab(), 'a', b, { inPlace: true }));
    expect(out.bytes).toBe(b);
    expect(badChecksums(b)).toEqual([]);
    expect(decoded(b).packet.src.ip).toBe(ip('203.0.113.1'));
  });

  it('names the decode refusal of a fragment', () => {
    const b = hex(GOLDEN.udp);
    b[6] = 0x20; // MF (the header checksum is now wrong too; the checksum is checked first)
    expect(carryDatagram(lab(), 'a', b)).toMatchObject({ ok: false, stage: 'decode', code: 'bad-checksum' });
  });

  it('drops a datagram whose TTL runs out at the second router', () => {
    const network = lab({ cgn: true });
    const p = decoded(hex(GOLDEN.udp)).packet;
    const r = carryDatagram(network, 'a', encodeIpv4(p, { ttl: 2 }));
    expect(r).toMatchObject({ ok: false, stage: 'ttl', code: 'ttl-expired', hop: 2 });
  });

  it.each([
    [1, 'home', '10.0.0.1'],
    [2, 'cgn', '100.64.0.1'],
  ])('answers TTL %i with a time exceeded from router %s (%s), translated back to the sender', (ttl, _router, from) => {
    const network = lab({ cgn: true });
    const sent = encodeIpv4(decoded(hex(GOLDEN.udp)).packet, { ttl });
    const r = carryDatagram(network, 'a', sent);
    expect(r).toMatchObject({ ok: false, stage: 'ttl', hop: ttl });
    if (r.ok || !r.timeExceeded) throw new Error('no time exceeded');
    expect(r.timeExceeded.to).toBe('a');
    const te = decoded(r.timeExceeded.bytes);
    expect(badChecksums(r.timeExceeded.bytes)).toEqual([]);
    expect(te.icmp).toMatchObject({ type: 11, code: 0 });
    expect(te.packet.src.ip).toBe(ip(from));
    expect(te.packet.dst.ip).toBe(ip('10.0.0.2'));
    expect(te.icmp!.error!.packet).toEqual({
      proto: 'udp',
      src: { ip: ip('10.0.0.2'), port: 40000 },
      dst: { ip: ip('8.8.8.8'), port: 53 },
    });
    expect(te.ttl).toBe(64 - (ttl - 1));
  });

  it('gives a UDP sender behind two NATs its "connection refused": port unreachable translated back (RFC 5508)', () => {
    const network = lab({ cgn: true });
    const sent = hex(GOLDEN.udp);
    const out = carried(carryDatagram(network, 'a', sent));
    // The DNS host's kernel answers "port unreachable", quoting the whole datagram it received.
    const err = buildIcmpError(out.bytes, ip('8.8.8.8'), { type: 3, code: 3 });
    expect(badChecksums(err)).toEqual([]);
    const back = carried(carryDatagram(network, 'dns', err));
    expect(back).toMatchObject({ to: 'a', routers: 2 });
    expect(badChecksums(back.bytes)).toEqual([]);
    const got = decoded(back.bytes);
    expect(got.packet.dst.ip).toBe(ip('10.0.0.2'));
    expect(got.icmp).toMatchObject({ type: 3, code: 3 });
    expect(got.icmp!.error!.packet).toEqual({
      proto: 'udp',
      src: { ip: ip('10.0.0.2'), port: 40000 },
      dst: { ip: ip('8.8.8.8'), port: 53 },
    });
    // The quote is the sender's own datagram again, byte for byte, but for the TTL and header checksum.
    const quote = back.bytes.subarray(28);
    const mask = (b: Uint8Array) => toHex(Uint8Array.from(b, (v, i) => (i === 8 || i === 10 || i === 11 ? 0 : v)));
    expect(mask(quote)).toBe(mask(sent));
    expect(sumsToOnes(quote, 0, 20)).toBe(true);
  });

  it('rewrites a quote holding only 8 transport bytes (no TCP checksum quoted)', () => {
    const network = lab();
    const out = carried(carryDatagram(network, 'a', hex(GOLDEN.syn)));
    const short = buildIcmpError(out.bytes.subarray(0, 24 + 8), ip('93.184.216.34'), { type: 3, code: 1 });
    short.set([0, 48], 28 + 2); // the quote's total length says 48 while 32 bytes are quoted
    const d = decoded(fixOuter(short));
    const r = network.sendIcmpError('web', { src: d.packet.src.ip, dst: d.packet.dst.ip, embedded: d.icmp!.error!.packet });
    const b = rewriteIcmpError(d, r, { hops: r.routers.length });
    expect(b.ok).toBe(true);
    if (b.ok) {
      expect(badChecksums(b.bytes)).toEqual([]);
      expect(decoded(b.bytes).icmp!.error!.packet.src).toEqual({ ip: ip('10.0.0.2'), port: 51000 });
    }
  });

  it('rewrites real SIP bytes through the SIP ALG: new lengths, full checksums', () => {
    const network = lab({ algs: ['sip'] });
    const body = 'v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\nc=IN IP4 10.0.0.2\r\nm=audio 49170 RTP/AVP 0\r\n';
    const sip = `INVITE sip:bob@198.51.100.7 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2:5060\r\nContact: <sip:alice@10.0.0.2:5060>\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const bytes = encodeIpv4({
      proto: 'udp',
      src: { ip: ip('10.0.0.2'), port: 5060 },
      dst: { ip: ip('198.51.100.7'), port: 5060 },
      data: new Uint8Array(Buffer.from(sip, 'latin1')),
    });
    const out = carried(carryDatagram(network, 'a', bytes));
    expect(badChecksums(out.bytes)).toEqual([]);
    const got = decoded(out.bytes);
    const text = Buffer.from(got.packet.data!).toString('latin1');
    expect(text).not.toContain('10.0.0.2');
    expect(text).toContain('c=IN IP4 203.0.113.1');
    expect(got.totalLength).toBe(28 + text.length);
    const newBody = text.slice(text.indexOf('\r\n\r\n') + 4);
    expect(text).toContain(`Content-Length: ${newBody.length}\r\n`);
    expect(newBody.length).toBeGreaterThan(body.length);
  });

  it('carries a binary payload unchanged through a NAT with the SIP ALG on', () => {
    const network = lab({ algs: ['sip'] });
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff);
    const bytes = encodeIpv4({ proto: 'udp', src: { ip: ip('10.0.0.2'), port: 5060 }, dst: { ip: ip('8.8.8.8'), port: 5060 }, data });
    const out = carried(carryDatagram(network, 'a', bytes));
    expect(badChecksums(out.bytes)).toEqual([]);
    expect(toHex(decoded(out.bytes).packet.data!)).toBe(toHex(data));
  });
});

function fixOuter(b: Uint8Array): Uint8Array {
  // recompute the ICMP checksum after editing the quote
  b[22] = 0;
  b[23] = 0;
  let s = 0;
  for (let i = 20; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  b[22] = c >> 8;
  b[23] = c & 0xff;
  return b;
}
