/**
 * RFC 5382 REQ-5: TCP state is tracked per connection, not per mapping. Two connections from the
 * same local port (as TCP hole punching makes: one to the rendezvous server, one to the peer)
 * share one endpoint-independent mapping; closing one must not shorten the other, which as an
 * established connection keeps the mapping for at least 2 h 4 min (7440 s) idle.
 */
import { describe, expect, it } from 'vitest';
import { A, ep, home, natPolicy, PEER, SERVER, sec, TCP, tcp, WAN } from './helpers.js';

const toServer = (flags: number) => tcp(ep(A, 5000), ep(SERVER, 443), flags);
const fromServer = (flags: number) => tcp(ep(SERVER, 443), ep(WAN, 5000), flags);
const toPeer = (flags: number) => tcp(ep(A, 5000), ep(PEER, 6000), flags);
const fromPeer = (flags: number) => tcp(ep(PEER, 6000), ep(WAN, 5000), flags);

/** Both connections established through one port-restricted-cone NAT, at t = 0 and t = 1 s. */
function twoConnections() {
  const t = home(natPolicy('port-restricted-cone'));
  const { network, clock } = t;
  network.send('a', toServer(TCP.SYN));
  expect(network.send('server', fromServer(TCP.SYN | TCP.ACK)).to).toBe('a');
  network.send('a', toServer(TCP.ACK));
  clock.advance(sec(1));
  network.send('a', toPeer(TCP.SYN));
  expect(network.send('peer', fromPeer(TCP.SYN | TCP.ACK)).to).toBe('a');
  network.send('a', toPeer(TCP.ACK));
  expect(t.router.listMappings(clock.now())).toHaveLength(1); // one mapping, two connections
  return t;
}

describe('RFC 5382 REQ-5: TCP connections tracked per remote endpoint', () => {
  for (const [name, flags, from] of [
    ['RST from inside', TCP.RST, 'a'],
    ['FIN from inside', TCP.FIN | TCP.ACK, 'a'],
    ['RST from the peer', TCP.RST, 'peer'],
  ] as const) {
    it(`REQ-5: a ${name} on one connection leaves the other established connection its 7440 s (the issue's reproduction)`, () => {
      const { network, clock, router } = twoConnections();
      clock.advance(sec(9)); // t = 10 s
      const closing = network.send(from, from === 'a' ? toPeer(flags) : fromPeer(flags));
      expect(closing.delivered).toBe(true);
      expect(router.listMappings(clock.now())[0]).toMatchObject({ tcpState: 'established', expiresAt: sec(7440) });
      clock.advance(sec(1000)); // t = 1010 s: well past 240 s (transitory) and 300 s (UDP)
      const late = network.send('server', fromServer(TCP.ACK));
      expect(late.to).toBe('a');
      expect(late.hops[0]!.code).toBe('mapped');
      expect(network.send('a', toServer(TCP.ACK)).hops[0]!.code).toBe('mapped'); // same external port
    });
  }

  it('REQ-5: the closed connection itself still gets only the 240 s transitory timer', () => {
    const { network, clock, router } = twoConnections();
    clock.advance(sec(9)); // t = 10 s
    network.send('a', toPeer(TCP.RST));
    const [m] = router.nat!.mappings(clock.now());
    clock.advance(sec(239)); // t = 249 s
    expect(router.nat!.admits(m!, ep(PEER, 6000), clock.now())).toBe(true);
    clock.advance(sec(1)); // t = 250 s: the RST'd connection's timer ran out
    const d = network.send('peer', fromPeer(TCP.ACK));
    expect(d.drop?.code).toBe('filtered'); // the mapping lives on (the server connection), the peer is not admitted
    expect(d.drop?.message).toBe(
      'dropped at nat: mapping 203.0.113.1:5000 → 192.168.1.10:5000 exists, but address-and-port-dependent filtering admits only what ' +
        '192.168.1.10:5000 has sent to (198.51.100.5:443), not endpoint 198.51.100.20:6000: its permission ran out at 250 s, one timer after the last packet sent to it',
    );
  });

  it('REQ-5: an established connection keeps the mapping at least 2 h 4 min idle, then it expires', () => {
    const { network, clock, router } = twoConnections();
    network.send('a', toPeer(TCP.FIN | TCP.ACK)); // t = 1 s
    clock.advance(sec(7439)); // t = 7440 s, 7440 s after the last server packet (at 0 s)
    expect(router.listMappings(clock.now())).toEqual([]);
    expect(network.send('server', fromServer(TCP.ACK)).drop?.code).toBe('no-mapping');
  });

  it('REQ-5: both connections closed: the mapping follows the later close by 240 s', () => {
    const { network, clock, router } = twoConnections();
    network.send('a', toServer(TCP.FIN | TCP.ACK)); // t = 1 s
    clock.advance(sec(10));
    network.send('a', toPeer(TCP.FIN | TCP.ACK)); // t = 11 s
    expect(router.listMappings(clock.now())[0]).toMatchObject({ tcpState: 'closing', expiresAt: sec(251) });
    clock.advance(sec(240));
    expect(router.listMappings(clock.now())).toEqual([]);
  });

  it('REQ-5: a new SYN to a third host on the same port does not disturb the established connections', () => {
    const { network, clock, router } = twoConnections();
    clock.advance(sec(100));
    network.send('a', tcp(ep(A, 5000), ep('198.51.100.30', 80), TCP.SYN)); // lone SYN: transitory
    expect(router.listMappings(clock.now())[0]).toMatchObject({ tcpState: 'established', expiresAt: sec(1 + 7440) });
    clock.advance(sec(1000));
    expect(network.send('peer', fromPeer(TCP.ACK)).to).toBe('a');
  });
});
