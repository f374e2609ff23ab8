/** The SIP ALG: payload rewriting and the media ports it opens. */
import { describe, expect, it } from 'vitest';
import { A, B, dstOf, ep, home, natPolicy, PEER, SERVER, srcOf, udp, WAN } from './helpers.js';

const invite = (ip: string, sipPort: number): string =>
  [
    `INVITE sip:bob@${SERVER} SIP/2.0`,
    `Via: SIP/2.0/UDP ${ip}:${sipPort}`,
    `Contact: <sip:alice@${ip}:${sipPort}>`,
    'Content-Type: application/sdp',
    '',
    'v=0',
    `o=alice 1 1 IN IP4 ${ip}`,
    `c=IN IP4 ${ip}`,
    'm=audio 5004 RTP/AVP 0',
  ].join('\r\n');

/**
 * B first takes external ports 5060 and 5004 so that A's signalling and media ports cannot be
 * preserved: the ALG must write the ports actually opened.
 */
function busy(algs: string[]) {
  const t = home(natPolicy('port-restricted-cone'), { algs });
  expect(srcOf(t.network.send('b', udp(ep(B, 5060), ep('198.51.100.99', 9))))).toBe('203.0.113.1:5060');
  expect(srcOf(t.network.send('b', udp(ep(B, 5004), ep('198.51.100.99', 9))))).toBe('203.0.113.1:5004');
  return t;
}

describe('SIP ALG', () => {
  it('rewrites the private address and the media port in an INVITE', () => {
    const { network } = busy(['sip']);
    const d = network.send('a', udp(ep(A, 5060), ep(SERVER, 5060), invite(A, 5060)));
    expect(d.to).toBe('server');
    expect(srcOf(d)).toBe('203.0.113.1:5061');
    expect(d.packet.payload).toBe(
      [
        `INVITE sip:bob@${SERVER} SIP/2.0`,
        'Via: SIP/2.0/UDP 203.0.113.1:5061',
        'Contact: <sip:alice@203.0.113.1:5061>',
        'Content-Type: application/sdp',
        '',
        'v=0',
        'o=alice 1 1 IN IP4 203.0.113.1',
        'c=IN IP4 203.0.113.1',
        'm=audio 5005 RTP/AVP 0',
      ].join('\r\n'),
    );
    expect(d.hops[0]!.message).toBe(
      'outbound packet created a new mapping at nat: UDP 192.168.1.10:5060 → 198.51.100.5:5060 ⇒ UDP 203.0.113.1:5061 → 198.51.100.5:5060 ' +
        '(sip ALG: rewrote 192.168.1.10 to 203.0.113.1 in the SIP message; opened audio 203.0.113.1:5005 → 192.168.1.10:5004)',
    );
  });

  it('opens alg forwards for RTP and RTCP with the UDP mapping lifetime', () => {
    const { network, router } = busy(['sip']);
    network.send('a', udp(ep(A, 5060), ep(SERVER, 5060), invite(A, 5060)));
    expect(
      router
        .listForwards()
        .map(
          (e) =>
            `${e.origin} ${e.protocol} ${e.externalPort} → ${e.internalClient}:${e.internalPort} (${e.leaseSeconds} s) ${e.description}`,
        ),
    ).toEqual([
      'alg udp 5005 → 192.168.1.10:5004 (300 s) SIP ALG audio media',
      'alg udp 5006 → 192.168.1.10:5005 (300 s) SIP ALG audio RTCP',
    ]);
  });

  it('lets the peer send RTP to the announced port despite port-restricted filtering', () => {
    const { network } = busy(['sip']);
    network.send('a', udp(ep(A, 5060), ep(SERVER, 5060), invite(A, 5060)));
    const rtp = network.send('peer', udp(ep(PEER, 7000), ep(WAN, 5005)));
    expect(rtp.to).toBe('a');
    expect(dstOf(rtp)).toBe('192.168.1.10:5004');
    expect(srcOf(rtp)).toBe('198.51.100.20:7000');
    expect(rtp.hops[0]!.code).toBe('port-forward');
    // A's own RTP leaves from the announced port, so symmetric RTP works too.
    expect(srcOf(network.send('a', udp(ep(A, 5004), ep(PEER, 7000))))).toBe('203.0.113.1:5005');
  });

  it('a retransmitted INVITE reuses the opened ports', () => {
    const { network, router } = busy(['sip']);
    network.send('a', udp(ep(A, 5060), ep(SERVER, 5060), invite(A, 5060)));
    const again = network.send('a', udp(ep(A, 5060), ep(SERVER, 5060), invite(A, 5060)));
    expect(again.packet.payload).toContain('m=audio 5005 RTP/AVP 0');
    expect(router.forwards.size).toBe(2);
  });

  it('without the ALG the SDP arrives unchanged and RTP from the peer is dropped', () => {
    const { network } = home(natPolicy('port-restricted-cone'));
    const d = network.send('a', udp(ep(A, 5060), ep(SERVER, 5060), invite(A, 5060)));
    expect(d.to).toBe('server');
    expect(d.packet.payload).toBe(invite(A, 5060));
    // The peer uses what the SDP says: a private address, not routed on the Internet …
    const toSdp = network.send('peer', udp(ep(PEER, 7000), ep(A, 5004)));
    expect(toSdp.drop?.code).toBe('no-route');
    expect(toSdp.drop?.node).toBe('internet');
    // … and even the right public address has no mapping for the media port.
    const toWan = network.send('peer', udp(ep(PEER, 7000), ep(WAN, 5004)));
    expect(toWan.drop?.code).toBe('no-mapping');
  });

  it('leaves non-SIP traffic alone', () => {
    const { network, router } = home(natPolicy('port-restricted-cone'), { algs: ['sip'] });
    const text = 'HELLO from 192.168.1.10:4000\r\nc=IN IP4 192.168.1.10\r\nm=audio 5004 RTP/AVP 0';
    const d = network.send('a', udp(ep(A, 4000), ep(SERVER, 4000), text));
    expect(d.packet.payload).toBe(text);
    expect(router.forwards.size).toBe(0);
  });

  it('rejects an unknown ALG name', () => {
    expect(() => home(natPolicy('full-cone'), { algs: ['bogus'] })).toThrow(
      /^router nat: unknown ALG "bogus" \(known: (.*, )?sip(, .*)?\)$/,
    );
  });

  it('does not rewrite another LAN address that merely starts with the sender address', () => {
    // A (192.168.1.10) relays a message that names 192.168.1.100 (e.g. a phone behind an IP-PBX).
    const { network } = home(natPolicy('full-cone'), { algs: ['sip'] });
    const msg = ['OPTIONS sip:bob@198.51.100.5 SIP/2.0', 'Via: SIP/2.0/UDP 192.168.1.10:5060', 'Via: SIP/2.0/UDP 192.168.1.100:5062'].join(
      '\r\n',
    );
    const d = network.send('a', udp(ep(A, 5060), ep(SERVER, 5060), msg));
    // today the second Via becomes "203.0.113.10:5062", a wrong public host
    expect(d.packet.payload).toBe(
      ['OPTIONS sip:bob@198.51.100.5 SIP/2.0', 'Via: SIP/2.0/UDP 203.0.113.1:5060', 'Via: SIP/2.0/UDP 192.168.1.100:5062'].join('\r\n'),
    );
  });
});
