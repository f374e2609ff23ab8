/** A home NAT behind a carrier-grade NAT (RFC 6888, RFC 6598 shared space). */
import { describe, expect, it } from 'vitest';
import { A, dstOf, ep, hopAt, natPolicy, net, PEER, rewrite, SERVER, srcOf, udp, WAN } from './helpers.js';

const HOME_WAN = '100.64.0.2';

function cascade() {
  const t = net(2024);
  const cgn = t.network.addRouter({ id: 'cgn', wan: WAN, lan: '100.64.0.0/10', nat: natPolicy('cgnat') });
  const home = t.network.addRouter({
    id: 'home',
    parent: 'cgn',
    wan: HOME_WAN,
    lan: '192.168.1.0/24',
    nat: natPolicy('port-restricted-cone'),
  });
  t.network.addHost({ id: 'a', address: A, on: 'home' });
  t.network.addHost({ id: 'server', address: SERVER });
  t.network.addHost({ id: 'peer', address: PEER });
  return { ...t, cgn, home };
}

describe('home NAT behind a CGN', () => {
  it('translates twice on the way out and twice on the way back', () => {
    const { network } = cascade();
    expect(network.pathToInternet('a').map((r) => r.id)).toEqual(['home', 'cgn']);
    const out = network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    expect(out.to).toBe('server');
    expect(out.hops.map((h) => `${h.node}:${h.code}`)).toEqual(['home:new-mapping', 'cgn:new-mapping', 'server:delivered']);
    expect(rewrite(hopAt(out, 'home'))).toEqual({
      before: '192.168.1.10:5000 → 198.51.100.5:3478',
      after: '100.64.0.2:5000 → 198.51.100.5:3478',
    });
    const cgnExt = srcOf(out);
    expect(cgnExt).toBe('203.0.113.1:28913'); // cgnat assigns random ports: fixed by seed 2024 and the router id
    expect(rewrite(hopAt(out, 'cgn'))).toEqual({
      before: '100.64.0.2:5000 → 198.51.100.5:3478',
      after: `${cgnExt} → 198.51.100.5:3478`,
    });
    expect(hopAt(out, 'cgn').message).toBe(
      `outbound packet created a new mapping at cgn: UDP 100.64.0.2:5000 → 198.51.100.5:3478 ⇒ UDP ${cgnExt} → 198.51.100.5:3478`,
    );

    const back = network.send('server', udp(ep(SERVER, 3478), out.packet.src));
    expect(back.to).toBe('a');
    expect(back.hops.map((h) => `${h.node}:${h.code}`)).toEqual(['cgn:mapped', 'home:mapped', 'a:delivered']);
    expect(rewrite(hopAt(back, 'cgn')).after).toBe('198.51.100.5:3478 → 100.64.0.2:5000');
    expect(rewrite(hopAt(back, 'home')).after).toBe('198.51.100.5:3478 → 192.168.1.10:5000');
    expect(dstOf(back)).toBe('192.168.1.10:5000');
  });

  it('the CGN filters endpoint-independently, the home NAT port-restricted: a stranger dies at home', () => {
    const { network } = cascade();
    const out = network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    const d = network.send('peer', udp(ep(PEER, 1), out.packet.src));
    expect(d.hops.map((h) => `${h.node}:${h.code}`)).toEqual(['cgn:mapped', 'home:filtered']);
    expect(d.drop?.node).toBe('home');
  });

  describe('a UPnP forward on the home router only', () => {
    function withUpnp() {
      const t = cascade();
      const r = t.home.forwards.add({ protocol: 'udp', externalPort: 6000, internalClient: A, internalPort: 6000, origin: 'upnp' }, 0);
      expect(r.ok).toBe(true);
      return t;
    }

    it('does not make the host reachable at the home WAN address (not routed on the Internet)', () => {
      const { network } = withUpnp();
      const d = network.send('peer', udp(ep(PEER, 1), ep(HOME_WAN, 6000)));
      expect(d.delivered).toBe(false);
      expect(d.drop?.code).toBe('no-route');
      expect(d.drop?.node).toBe('internet');
      expect(d.drop?.message).toBe(
        'dropped on the Internet: no route to 100.64.0.2 (100.64.0.2 is in the carrier-NAT shared space 100.64.0.0/10: it is not routed on the Internet)',
      );
    });

    it('does not make the host reachable at the CGN address (no mapping at the CGN)', () => {
      const { network } = withUpnp();
      const d = network.send('peer', udp(ep(PEER, 1), ep(WAN, 6000)));
      expect(d.drop?.code).toBe('no-mapping');
      expect(d.drop?.node).toBe('cgn');
      expect(d.drop?.message).toBe(
        'dropped at cgn: no mapping for 203.0.113.1:6000 (UDP, inbound from 198.51.100.20:1): nothing inside has sent to it and no port forward exists',
      );
    });

    it('works once the CGN forwards the port as well (PCP)', () => {
      const { network, cgn } = withUpnp();
      const r = cgn.forwards.add({ protocol: 'udp', externalPort: 6000, internalClient: HOME_WAN, internalPort: 6000, origin: 'pcp' }, 0);
      expect(r.ok).toBe(true);
      const d = network.send('peer', udp(ep(PEER, 1), ep(WAN, 6000)));
      expect(d.to).toBe('a');
      expect(d.hops.map((h) => `${h.node}:${h.code}`)).toEqual(['cgn:port-forward', 'home:port-forward', 'a:delivered']);
      expect(rewrite(hopAt(d, 'cgn')).after).toBe('198.51.100.20:1 → 100.64.0.2:6000');
      expect(dstOf(d)).toBe('192.168.1.10:6000');
      // And the host's traffic from that port leaves through both forwards.
      const out = network.send('a', udp(ep(A, 6000), ep(PEER, 1)));
      expect(out.hops.map((h) => `${h.node}:${h.code}`)).toEqual(['home:port-forward', 'cgn:port-forward', 'peer:delivered']);
      expect(srcOf(out)).toBe('203.0.113.1:6000');
    });

    it('a CGN forward alone (without the home forward) stops at the home router', () => {
      const { network, cgn } = cascade();
      cgn.forwards.add({ protocol: 'udp', externalPort: 6000, internalClient: HOME_WAN, internalPort: 6000, origin: 'pcp' }, 0);
      const d = network.send('peer', udp(ep(PEER, 1), ep(WAN, 6000)));
      expect(d.drop?.code).toBe('no-mapping');
      expect(d.drop?.node).toBe('home');
      expect(d.drop?.message.startsWith('dropped at home: no mapping for 100.64.0.2:6000')).toBe(true);
    });
  });
});
