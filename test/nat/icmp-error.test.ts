import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../src/nat/index.js';
import { A, B, ep, home, natPolicy, net, SERVER, sec, udp, WAN } from './helpers.js';

const ip = parseIPv4;

describe('Network.sendIcmpError (RFC 5508: an ICMP error translated by its embedded header)', () => {
  it('brings a port unreachable back to the LAN sender, the quoted header translated back', () => {
    const { network } = home(natPolicy('port-restricted-cone'));
    const sent = network.send('a', udp(ep(A, 5000), ep(SERVER, 53)));
    expect(sent.delivered).toBe(true);
    const r = network.sendIcmpError('server', { src: ip(SERVER), dst: sent.packet.src.ip, embedded: sent.packet });
    expect(r).toMatchObject({ delivered: true, to: 'a', src: ip(SERVER), dst: ip(A), routers: ['nat'] });
    expect(r.embedded).toEqual(udp(ep(A, 5000), ep(SERVER, 53)));
  });

  it('finds the mapping without refreshing it or creating one', () => {
    const { network, clock, router } = home(natPolicy('port-restricted-cone'));
    const sent = network.send('a', udp(ep(A, 5000), ep(SERVER, 53)));
    const before = router.listMappings(clock.now())[0]!.expiresAt;
    clock.advance(sec(100));
    network.sendIcmpError('server', { src: ip(SERVER), dst: ip(WAN), embedded: sent.packet });
    expect(router.listMappings(clock.now())[0]!.expiresAt).toBe(before);
    const none = network.sendIcmpError('server', { src: ip(SERVER), dst: ip(WAN), embedded: udp(ep(WAN, 1), ep(SERVER, 53)) });
    expect(none.delivered).toBe(false);
    expect(none.drop).toMatchObject({ node: 'nat', code: 'icmp-no-mapping' });
    expect(none.drop!.message).toContain('203.0.113.1:1 → 198.51.100.5:53');
    expect(router.listMappings(clock.now())).toHaveLength(1);
  });

  it('drops an error quoting an expired mapping', () => {
    const { network, clock } = home(natPolicy('port-restricted-cone'));
    const sent = network.send('a', udp(ep(A, 5000), ep(SERVER, 53)));
    clock.advance(sec(301));
    const r = network.sendIcmpError('server', { src: ip(SERVER), dst: ip(WAN), embedded: sent.packet });
    expect(r.drop?.code).toBe('icmp-no-mapping');
  });

  it.each(['endpoint-independent', 'address-dependent', 'address-and-port-dependent'] as const)(
    'translates through a cascade (home behind a carrier NAT) with %s mapping',
    (mapping) => {
      const { network } = net();
      network.addRouter({ id: 'cgn', wan: '203.0.113.9', lan: '100.64.0.0/10', nat: natPolicy('symmetric', { mapping }) });
      network.addRouter({ id: 'home', parent: 'cgn', wan: '100.64.0.2', lan: '192.168.1.0/24', nat: natPolicy('symmetric', { mapping }) });
      network.addHost({ id: 'a', address: A, on: 'home' });
      network.addHost({ id: 'server', address: SERVER });
      const sent = network.send('a', udp(ep(A, 5000), ep(SERVER, 53)));
      const r = network.sendIcmpError('server', { src: ip(SERVER), dst: sent.packet.src.ip, embedded: sent.packet });
      expect(r).toMatchObject({ delivered: true, to: 'a', dst: ip(A), routers: ['cgn', 'home'] });
      expect(r.embedded.src).toEqual(ep(A, 5000));
    },
  );

  it('carries an error from a LAN host out through the mapping that brought the packet in (port forward)', () => {
    const { network } = home(natPolicy('port-restricted-cone'), {
      forwards: [{ protocol: 'udp', externalPort: 6000, internalClient: B, internalPort: 7000 }],
    });
    const inbound = network.send('server', udp(ep(SERVER, 4000), ep(WAN, 6000)));
    expect(inbound.to).toBe('b');
    const r = network.sendIcmpError('b', { src: ip(B), dst: ip(SERVER), embedded: inbound.packet });
    expect(r).toMatchObject({ delivered: true, to: 'server', src: ip(WAN), dst: ip(SERVER), routers: ['nat'] });
    expect(r.embedded).toEqual(udp(ep(SERVER, 4000), ep(WAN, 6000)));
  });

  it('carries an error from a LAN host about a reply to its own session (symmetric NAT)', () => {
    const { network } = home(natPolicy('symmetric'));
    const out = network.send('a', udp(ep(A, 5000), ep(SERVER, 53)));
    const back = network.send('server', udp(ep(SERVER, 53), out.packet.src));
    expect(back.to).toBe('a');
    const r = network.sendIcmpError('a', { src: ip(A), dst: ip(SERVER), embedded: back.packet });
    expect(r).toMatchObject({ delivered: true, to: 'server', src: ip(WAN) });
    expect(r.embedded.dst).toEqual(out.packet.src);
  });

  it('starts at a router for an error the router itself sends (time exceeded on its LAN side)', () => {
    const { network } = home(natPolicy('port-restricted-cone'));
    const r = network.sendIcmpError('nat', { src: ip('192.168.1.1'), dst: ip(A), embedded: udp(ep(A, 5000), ep(SERVER, 53)) });
    expect(r).toMatchObject({ delivered: true, to: 'a', routers: [] });
  });

  it('refuses a spoofed error source and an unknown sender', () => {
    const { network } = home(natPolicy('port-restricted-cone'));
    const r = network.sendIcmpError('a', { src: ip(B), dst: ip(SERVER), embedded: udp(ep(SERVER, 53), ep(A, 5000)) });
    expect(r.drop?.code).toBe('spoofed-source');
    expect(() => network.sendIcmpError('nobody', { src: 1, dst: 2, embedded: udp(ep(A, 1), ep(B, 2)) })).toThrow(/no host or router/);
  });

  it('counts routers crossed by Network.send with and without tracing', () => {
    const { network } = home(natPolicy('port-restricted-cone', { hairpinning: true }));
    expect(network.send('a', udp(ep(A, 5000), ep(SERVER, 53)), { trace: false }).routers).toBe(1);
    expect(network.send('a', udp(ep(A, 5000), ep(B, 53))).routers).toBe(0);
  });
});
