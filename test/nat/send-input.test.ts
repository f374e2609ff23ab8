/** Network.send refuses malformed packets with a clear RangeError and drops spoofed sources with a reason. */
import { describe, expect, it } from 'vitest';
import { type Packet, PacketError } from '../../src/nat/index.js';
import { A, ep, home, natPolicy, SERVER, udp, WAN } from './helpers.js';

describe('Network.send input validation', () => {
  const bad: ReadonlyArray<[string, Packet, RegExp]> = [
    ['source port 70000', udp(ep(A, 70000), ep(SERVER, 3478)), /packet src port 70000 is not a valid UDP port \(an integer 1–65535\)/],
    ['source port -1', udp(ep(A, -1), ep(SERVER, 3478)), /packet src port -1 is not a valid UDP port/],
    ['source port 1.5', udp(ep(A, 1.5), ep(SERVER, 3478)), /packet src port 1.5 is not a valid UDP port/],
    ['destination port 0', { proto: 'tcp', src: ep(A, 5000), dst: ep(SERVER, 0), flags: 1 }, /packet dst port 0 is not a valid TCP port/],
    ['destination port NaN', udp(ep(A, 5000), ep(SERVER, Number.NaN)), /packet dst port NaN/],
    [
      'ICMP id 65536',
      { proto: 'icmp', src: ep(A, 65536), dst: ep(SERVER, 1) },
      /packet src port 65536 is not a valid ICMP query id \(an integer 0–65535\)/,
    ],
    ['destination address 2^32', udp(ep(A, 5000), { ip: 2 ** 32, port: 1 }), /packet dst address 4294967296 is not an IPv4 address/],
    ['destination address -3', udp(ep(A, 5000), { ip: -3, port: 1 }), /packet dst address -3 is not an IPv4 address/],
    [
      'protocol sctp',
      { proto: 'sctp' as 'udp', src: ep(A, 5000), dst: ep(SERVER, 1) },
      /packet protocol "sctp" is not one of udp, tcp, icmp/,
    ],
    ['TCP flags 99', { proto: 'tcp', src: ep(A, 5000), dst: ep(SERVER, 80), flags: 99 }, /packet flags 99/],
  ];
  for (const [what, packet, message] of bad) {
    it(`throws a RangeError for ${what}`, () => {
      const { network, router } = home(natPolicy('full-cone'));
      let err: unknown;
      try {
        network.send('a', packet);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RangeError);
      expect(err).toBeInstanceOf(PacketError);
      expect((err as PacketError).code).toBe('invalid-packet');
      expect((err as Error).message).toMatch(message);
      expect(router.listMappings(0)).toEqual([]); // nothing was translated, no 1.5 external port kept
    });
  }

  it('accepts the edges: ports 1 and 65535, ICMP id 0', () => {
    const { network } = home(natPolicy('full-cone'));
    expect(network.send('a', udp(ep(A, 1), ep(SERVER, 65535))).to).toBe('server');
    expect(network.send('a', udp(ep(A, 65535), ep(SERVER, 1))).to).toBe('server');
    expect(network.send('a', { proto: 'icmp', src: ep(A, 0), dst: ep(SERVER, 0) }).to).toBe('server');
  });
});

describe('spoofed sources', () => {
  it('a packet whose source is not the host address is dropped with spoofed-source, not thrown', () => {
    const { network, router } = home(natPolicy('full-cone'));
    const d = network.send('a', udp(ep('192.168.1.99', 5000), ep(SERVER, 3478)));
    expect(d.delivered).toBe(false);
    expect(d.hops.map((h) => `${h.node}:${h.action}:${h.code}`)).toEqual(['a:drop:spoofed-source']);
    expect(d.drop?.message).toBe('dropped at a: its address is 192.168.1.10, not the source 192.168.1.99 (a spoofed source is not sent)');
    expect(router.listMappings(0)).toEqual([]);
  });

  it('an Internet host spoofing the router WAN address is dropped too (also without tracing)', () => {
    const { network } = home(natPolicy('full-cone'));
    const d = network.send('server', udp(ep(WAN, 3478), ep(WAN, 5000)), { trace: false });
    expect(d.drop?.code).toBe('spoofed-source');
  });
});
