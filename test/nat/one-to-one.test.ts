/** 1:1 NAT: whole-address translation, ports unchanged. */
import { describe, expect, it } from 'vitest';
import { A, B, C, dstOf, ep, home, natPolicy, SERVER, srcOf, TCP, tcp, udp, WAN } from './helpers.js';

const policy = natPolicy('one-to-one', {
  oneToOne: [
    { internal: A, external: '203.0.113.10' },
    { internal: B, external: '203.0.113.11' },
  ],
});

describe('one-to-one NAT', () => {
  it('rewrites the source address and keeps the port', () => {
    const { network, router } = home(policy);
    const d = network.send('a', udp(ep(A, 40123), ep(SERVER, 3478)));
    expect(d.delivered).toBe(true);
    expect(srcOf(d)).toBe('203.0.113.10:40123');
    expect(d.hops[0]!.code).toBe('one-to-one');
    expect(d.hops[0]!.message).toBe(
      'translated by a 1:1 NAT entry at nat: UDP 192.168.1.10:40123 → 198.51.100.5:3478 ⇒ UDP 203.0.113.10:40123 → 198.51.100.5:3478',
    );
    expect(srcOf(network.send('b', udp(ep(B, 40123), ep(SERVER, 3478))))).toBe('203.0.113.11:40123');
    expect(router.listMappings(0)).toEqual([]); // stateless
    expect(router.externalAddresses.length).toBe(3);
  });

  it('lets unsolicited inbound traffic reach the internal host on any port', () => {
    const { network } = home(policy);
    const d = network.send('server', tcp(ep(SERVER, 50000), ep('203.0.113.10', 22), TCP.SYN));
    expect(d.to).toBe('a');
    expect(dstOf(d)).toBe('192.168.1.10:22');
    expect(srcOf(d)).toBe('198.51.100.5:50000');
    expect(d.hops.map((h) => h.code)).toEqual(['one-to-one', 'delivered']);
  });

  it('drops an unlisted internal host with no-one-to-one', () => {
    const { network } = home(policy);
    const d = network.send('c', udp(ep(C, 5000), ep(SERVER, 3478)));
    expect(d.delivered).toBe(false);
    expect(d.drop?.code).toBe('no-one-to-one');
    expect(d.drop?.message).toBe('dropped at nat: 192.168.1.12 has no 1:1 NAT address at nat');
  });

  it('drops inbound traffic to the router primary address (no entry)', () => {
    const { network } = home(policy);
    const d = network.send('server', udp(ep(SERVER, 3478), ep(WAN, 5000)));
    expect(d.drop?.code).toBe('no-one-to-one');
    expect(d.drop?.message).toBe('dropped at nat: 203.0.113.1 has no 1:1 NAT entry at nat');
  });

  it('hairpins between two 1:1 hosts', () => {
    const { network } = home(policy);
    const d = network.send('a', udp(ep(A, 5000), ep('203.0.113.11', 6000)));
    expect(d.to).toBe('b');
    expect(srcOf(d)).toBe('203.0.113.10:5000');
    expect(dstOf(d)).toBe('192.168.1.11:6000');
  });
});
