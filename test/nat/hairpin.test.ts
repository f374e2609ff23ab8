/** RFC 4787 REQ-9 / RFC 5382 hairpinning, on one NAT and on a CGN between two home routers. */
import { describe, expect, it } from 'vitest';
import { A, B, dstOf, ep, home, hopAt, natPolicy, net, SERVER, srcOf, udp, WAN } from './helpers.js';

describe('hairpinning on one NAT', () => {
  function withB(hairpinning: boolean, preset: 'full-cone' | 'port-restricted-cone' = 'full-cone') {
    const t = home(natPolicy(preset, { hairpinning }));
    const out = t.network.send('b', udp(ep(B, 6000), ep(SERVER, 3478)));
    expect(srcOf(out)).toBe('203.0.113.1:6000');
    return t;
  }

  it('on: A reaches B through B external endpoint and B sees A external endpoint as source', () => {
    const { network } = withB(true);
    const d = network.send('a', udp(ep(A, 5000), ep(WAN, 6000)));
    expect(d.delivered).toBe(true);
    expect(d.to).toBe('b');
    expect(srcOf(d)).toBe('203.0.113.1:5000'); // REQ-9: the external source, never 192.168.1.10
    expect(dstOf(d)).toBe('192.168.1.11:6000');
    expect(d.hops.map((h) => h.code)).toEqual(['hairpin', 'delivered']);
    expect(d.hops[0]!.action).toBe('hairpin');
    expect(d.hops[0]!.message).toBe(
      'hairpinned back into the LAN at nat: UDP 192.168.1.10:5000 → 203.0.113.1:6000 ⇒ UDP 203.0.113.1:5000 → 192.168.1.11:6000 ' +
        '(source 192.168.1.10:5000 → 203.0.113.1:5000, destination 203.0.113.1:6000 → 192.168.1.11:6000)',
    );
  });

  it('on: the source B sees is the same external endpoint a server sees, and B can answer to it', () => {
    const { network } = withB(true);
    const hp = network.send('a', udp(ep(A, 5000), ep(WAN, 6000)));
    const viaServer = network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    expect(srcOf(viaServer)).toBe(srcOf(hp));
    const reply = network.send('b', udp(ep(B, 6000), hp.packet.src));
    expect(reply.to).toBe('a');
    expect(srcOf(reply)).toBe('203.0.113.1:6000');
    expect(dstOf(reply)).toBe('192.168.1.10:5000');
  });

  it('on, port-restricted filtering: the hairpinned packet is filtered until B has sent to A external endpoint', () => {
    const { network } = withB(true, 'port-restricted-cone');
    const first = network.send('a', udp(ep(A, 5000), ep(WAN, 6000)));
    expect(first.drop?.code).toBe('filtered');
    expect(first.drop?.node).toBe('nat');
    // B answers to A's external endpoint: this passes (A's mapping was made towards B's external endpoint) …
    const punch = network.send('b', udp(ep(B, 6000), ep(WAN, 5000)));
    expect(punch.to).toBe('a');
    // … and opened B's filter for A.
    const again = network.send('a', udp(ep(A, 5000), ep(WAN, 6000)));
    expect(again.to).toBe('b');
    expect(srcOf(again)).toBe('203.0.113.1:5000');
  });

  it('off: dropped with hairpin-disabled', () => {
    const { network } = withB(false);
    const d = network.send('a', udp(ep(A, 5000), ep(WAN, 6000)));
    expect(d.delivered).toBe(false);
    expect(d.drop?.code).toBe('hairpin-disabled');
    expect(d.drop?.node).toBe('nat');
    expect(d.drop?.message).toBe(
      'dropped at nat: nat does not hairpin: 203.0.113.1:6000 is its own external address and it will not loop packets back into the LAN',
    );
  });

  it('symmetric preset does not hairpin', () => {
    const { network } = home(natPolicy('symmetric'));
    network.send('b', udp(ep(B, 6000), ep(SERVER, 3478)));
    expect(network.send('a', udp(ep(A, 5000), ep(WAN, 6000))).drop?.code).toBe('hairpin-disabled');
  });

  it('to a port with nothing behind it: no-mapping at the NAT', () => {
    const { network } = withB(true);
    const d = network.send('a', udp(ep(A, 5000), ep(WAN, 7777)));
    expect(d.drop?.code).toBe('no-mapping');
    expect(d.drop?.node).toBe('nat');
  });

  it('to a static forward: delivered to the forward target with A external source', () => {
    const { network } = home(natPolicy('port-restricted-cone'), {
      forwards: [{ protocol: 'udp', externalPort: 7000, internalClient: B, internalPort: 7001 }],
    });
    const d = network.send('a', udp(ep(A, 5000), ep(WAN, 7000)));
    expect(d.to).toBe('b');
    expect(srcOf(d)).toBe('203.0.113.1:5000');
    expect(dstOf(d)).toBe('192.168.1.11:7001');
    expect(d.hops[0]!.code).toBe('hairpin');
  });
});

describe('CGN hairpinning between two subscribers', () => {
  function cgnTwoHomes(hairpinning: boolean) {
    const t = net(5);
    t.network.addRouter({ id: 'cgn', wan: WAN, lan: '100.64.0.0/10', nat: natPolicy('cgnat', { hairpinning }) });
    t.network.addRouter({ id: 'home1', parent: 'cgn', wan: '100.64.0.2', lan: '192.168.1.0/24', nat: natPolicy('full-cone') });
    t.network.addRouter({ id: 'home2', parent: 'cgn', wan: '100.64.0.3', lan: '192.168.2.0/24', nat: natPolicy('full-cone') });
    t.network.addHost({ id: 'a', address: A, on: 'home1' });
    t.network.addHost({ id: 'b', address: '192.168.2.10', on: 'home2' });
    t.network.addHost({ id: 'server', address: SERVER });
    const bOut = t.network.send('b', udp(ep('192.168.2.10', 6000), ep(SERVER, 3478)));
    expect(bOut.delivered).toBe(true);
    return { ...t, bExt: bOut.packet.src };
  }

  it('on: A reaches B through the CGN address; B sees A CGN external endpoint', () => {
    const { network, bExt } = cgnTwoHomes(true);
    const d = network.send('a', udp(ep(A, 5000), bExt));
    expect(d.delivered).toBe(true);
    expect(d.to).toBe('b');
    expect(d.hops.map((h) => `${h.node}:${h.code}`)).toEqual(['home1:new-mapping', 'cgn:hairpin', 'home2:mapped', 'b:delivered']);
    const aExt = hopAt(d, 'cgn').after!.src;
    expect(srcOf(d)).toBe(`203.0.113.1:${aExt.port}`);
    expect(dstOf(d)).toBe('192.168.2.10:6000');
    // What B sees is exactly what a server on the Internet would see from A.
    expect(srcOf(network.send('a', udp(ep(A, 5000), ep(SERVER, 3478))))).toBe(srcOf(d));
  });

  it('off: dropped at the CGN with hairpin-disabled', () => {
    const { network, bExt } = cgnTwoHomes(false);
    const d = network.send('a', udp(ep(A, 5000), bExt));
    expect(d.drop?.code).toBe('hairpin-disabled');
    expect(d.drop?.node).toBe('cgn');
    expect(d.drop?.message.startsWith('dropped at cgn: cgn does not hairpin: 203.0.113.1:')).toBe(true);
  });
});
