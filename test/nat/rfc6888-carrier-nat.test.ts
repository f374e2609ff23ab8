/**
 * RFC 6888 carrier-NAT policies as data: REQ-6 destinations excluded from translation, and
 * port-block (bulk) allocation per subscriber (RFC 6888 §5, RFC 7422).
 */
import { describe, expect, it } from 'vitest';
import { PORT_BLOCK_BASE, parseExclusion, parseIPv4 } from '../../src/nat/index.js';
import { buildNetwork } from '../../src/scenario/build.js';
import { parseScenario } from '../../src/scenario/loader.js';
import { errorOf } from '../scenario/helpers.js';
import { A, B, ep, home, natPolicy, net, PEER, SERVER, sec, srcOf, udp, WAN } from './helpers.js';

describe('RFC 6888 REQ-6: destinations excluded from translation', () => {
  const cgn = () => home(natPolicy('cgnat', { excludedDestinations: ['198.51.100.5:53', '192.0.2.0/24'] }));

  it('REQ-6: a packet to an excluded destination leaves with its internal source, and no mapping is made', () => {
    const { network, router } = cgn();
    const d = network.send('a', udp(ep(A, 5000), ep(SERVER, 53)));
    expect(d.to).toBe('server');
    expect(srcOf(d)).toBe('192.168.1.10:5000');
    expect(d.hops.map((h) => `${h.node}:${h.action}:${h.code}`)).toEqual(['nat:forward:not-translated', 'server:deliver:delivered']);
    expect(d.hops[0]!.message).toBe(
      'forwarded untranslated: the destination is excluded from translation (RFC 6888 REQ-6) at nat: UDP 192.168.1.10:5000 → 198.51.100.5:53 (198.51.100.5:53 is excluded from translation)',
    );
    expect(router.listMappings(0)).toEqual([]);
  });

  it('REQ-6: the excluded destination replies to the internal address and is routed back', () => {
    const { network } = cgn();
    network.send('a', udp(ep(A, 5000), ep(SERVER, 53)));
    const back = network.send('server', udp(ep(SERVER, 53), ep(A, 5000)));
    expect(back.to).toBe('a');
    expect(back.hops.map((h) => `${h.node}:${h.code}`)).toEqual(['nat:not-translated', 'a:delivered']);
  });

  it('REQ-6: only the excluded ports and prefixes: another port of the same host is translated', () => {
    const { network, router } = cgn();
    const d = network.send('a', udp(ep(A, 5000), ep(SERVER, 54)));
    expect(d.hops[0]!.code).toBe('new-mapping');
    expect(srcOf(d)).toMatch(/^203\.0\.113\.1:\d+$/);
    expect(router.listMappings(0)).toHaveLength(1);
    expect(network.send('a', udp(ep(A, 5001), ep('192.0.2.77', 9))).hops[0]!.code).toBe('not-translated'); // a whole /24
  });

  it('REQ-6: a non-excluded host cannot reach the internal address (it is not routed on the Internet)', () => {
    const { network } = cgn();
    network.send('a', udp(ep(A, 5000), ep(SERVER, 53)));
    expect(network.send('peer', udp(ep(PEER, 53), ep(A, 5000))).drop?.code).toBe('no-route');
    expect(network.send('server', udp(ep(SERVER, 54), ep(A, 5000))).drop?.code).toBe('no-route'); // not the excluded port
  });

  it('REQ-6: behind a home NAT, the CGN passes the home router’s address untranslated both ways', () => {
    const t = net(3);
    t.network.addRouter({ id: 'cgn', wan: WAN, lan: '100.64.0.0/10', nat: natPolicy('cgnat', { excludedDestinations: ['198.51.100.5'] }) });
    t.network.addRouter({ id: 'home', parent: 'cgn', wan: '100.64.0.2', lan: '192.168.1.0/24', nat: natPolicy('port-restricted-cone') });
    t.network.addHost({ id: 'a', address: A, on: 'home' });
    t.network.addHost({ id: 'server', address: SERVER });
    const out = t.network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    expect(out.hops.map((h) => `${h.node}:${h.code}`)).toEqual(['home:new-mapping', 'cgn:not-translated', 'server:delivered']);
    expect(srcOf(out)).toBe('100.64.0.2:5000');
    const back = t.network.send('server', udp(ep(SERVER, 3478), out.packet.src));
    expect(back.hops.map((h) => `${h.node}:${h.code}`)).toEqual(['cgn:not-translated', 'home:mapped', 'a:delivered']);
  });

  it('bad exclusions are refused with the accepted forms', () => {
    expect(() => parseExclusion('198.51.100.0/33')).toThrow(
      /not an excluded destination: "198.51.100.0\/33" \(expected a prefix such as 198.51.100.0\/24, optionally with :port or :low-high\)/,
    );
    expect(() => parseExclusion('198.51.100.5:0')).toThrow(/not an excluded destination/);
    expect(() => parseExclusion('198.51.100.5:90-80')).toThrow(/not an excluded destination/);
    expect(parseExclusion('192.0.2.0/24:8000-8099')).toMatchObject({ fromPort: 8000, toPort: 8099 });
    expect(() => home(natPolicy('cgnat', { excludedDestinations: ['dns'] }))).toThrow('router nat: not an excluded destination: "dns"');
  });
});

describe('port blocks per subscriber (RFC 6888 §5 bulk allocation)', () => {
  const blocksOf = (size: number, perSubscriber: number, portAssignment: 'random' | 'preserve' | 'sequential' = 'random') =>
    home(natPolicy('cgnat', { portBlocks: { size, perSubscriber }, portAssignment, portQuota: 0 }));
  const extPort = (d: { packet: { src: { port: number } } }) => d.packet.src.port;
  const blockIndex = (port: number, size: number) => Math.floor((port - PORT_BLOCK_BASE) / size);

  it('every mapping of a subscriber takes a port inside its own aligned blocks', () => {
    const { network, router } = blocksOf(64, 2);
    const ports: number[] = [];
    for (let i = 0; i < 100; i++) ports.push(extPort(network.send('a', udp(ep(A, 10000 + i), ep(SERVER, 3478)))));
    expect(new Set(ports).size).toBe(100);
    const blocks = router.nat!.portBlocks!.blocksOf(parseIPv4(A));
    expect(blocks).toHaveLength(2);
    for (const b of blocks) {
      expect((b.first - PORT_BLOCK_BASE) % 64).toBe(0);
      expect(b.last - b.first).toBe(63);
    }
    expect(new Set(ports.map((p) => blockIndex(p, 64))).size).toBe(2);
    for (const p of ports) expect(blocks.some((b) => p >= b.first && p <= b.last)).toBe(true);
  });

  it('a subscriber whose blocks are full is refused with port-blocks-full; another subscriber is not', () => {
    const { network } = blocksOf(16, 2);
    for (let i = 0; i < 32; i++) expect(network.send('a', udp(ep(A, 10000 + i), ep(SERVER, 3478))).delivered).toBe(true);
    const d = network.send('a', udp(ep(A, 20000), ep(SERVER, 3478)));
    expect(d.drop?.code).toBe('port-blocks-full');
    expect(d.drop?.message).toBe('dropped at nat: 192.168.1.10 has used every port of its 2 port blocks of 16 at nat');
    const other = network.send('b', udp(ep(B, 20000), ep(SERVER, 3478)));
    expect(other.delivered).toBe(true);
  });

  it('subscribers never share a block', () => {
    const { network } = blocksOf(32, 4);
    const byHost = new Map<string, Set<number>>();
    for (let i = 0; i < 60; i++) {
      for (const [id, ip] of [
        ['a', A],
        ['b', B],
      ] as const) {
        const p = extPort(network.send(id, udp(ep(ip, 10000 + i), ep(SERVER, 3478))));
        if (!byHost.has(id)) byHost.set(id, new Set());
        byHost.get(id)!.add(blockIndex(p, 32));
      }
    }
    const a = [...byHost.get('a')!];
    const b = [...byHost.get('b')!];
    expect(a.length).toBe(2);
    expect(b.length).toBe(2);
    expect(a.filter((i) => b.includes(i))).toEqual([]);
  });

  it('a block returns to the pool when its last mapping expires', () => {
    const { network, clock, router } = blocksOf(16, 1);
    for (let i = 0; i < 16; i++) network.send('a', udp(ep(A, 10000 + i), ep(SERVER, 3478)));
    expect(network.send('a', udp(ep(A, 20000), ep(SERVER, 3478))).drop?.code).toBe('port-blocks-full');
    clock.advance(sec(300));
    network.expire();
    expect([...router.nat!.portBlocks!.blocks()]).toEqual([]);
    expect(network.send('a', udp(ep(A, 20000), ep(SERVER, 3478))).delivered).toBe(true);
  });

  it('preserve and sequential assignment fill a block from the preferred or lowest port; ports stay EIM', () => {
    const seq = blocksOf(100, 1, 'sequential');
    const p1 = extPort(seq.network.send('a', udp(ep(A, 5000), ep(SERVER, 3478))));
    const p2 = extPort(seq.network.send('a', udp(ep(A, 5001), ep(SERVER, 3478))));
    expect(p2).toBe(p1 + 1);
    expect((p1 - PORT_BLOCK_BASE) % 100).toBe(0);
    expect(extPort(seq.network.send('a', udp(ep(A, 5000), ep(PEER, 1))))).toBe(p1); // endpoint-independent mapping
  });

  it('a bad port-block policy is refused naming the router and the field', () => {
    expect(() => home(natPolicy('cgnat', { portBlocks: { size: 0, perSubscriber: 1 } }))).toThrow(
      'router nat: portBlocks.size 0 is not an integer 1–64512',
    );
    expect(() => home(natPolicy('cgnat', { portBlocks: { size: 8, perSubscriber: 1.5 } }))).toThrow(
      'router nat: portBlocks.perSubscriber 1.5 is not an integer ≥ 1',
    );
  });

  it('scenario files take portBlocks and excludedDestinations, and refuse bad ones with a location', () => {
    const text = `name: t
routers:
  cgn: { wan: 203.0.113.1, lan: 100.64.0.0/10, nat: { preset: cgnat, portBlocks: { size: 512, perSubscriber: 4 }, excludedDestinations: ["198.51.100.53:53"] } }
hosts:
  a: { router: cgn, address: 100.64.0.5 }
  dns: { address: 198.51.100.53 }
checks:
  - { name: c, from: a, to: dns, feature: hole-punch, expect: works }
`;
    const { net: network } = buildNetwork(parseScenario(text, 'x.yaml'));
    expect(network.router('cgn').policy).toMatchObject({
      portBlocks: { size: 512, perSubscriber: 4 },
      excludedDestinations: ['198.51.100.53:53'],
    });
    expect(network.send('a', udp(ep('100.64.0.5', 4000), ep('198.51.100.53', 53))).hops[0]!.code).toBe('not-translated');
    const d = network.send('a', udp(ep('100.64.0.5', 4000), ep('198.51.100.53', 54)));
    expect(d.packet.src.port).toBeGreaterThanOrEqual(PORT_BLOCK_BASE);
    expect(errorOf(text.replace('"198.51.100.53:53"', '"dns:53"'))).toBe(
      'x.yaml:3:138: routers.cgn.nat.excludedDestinations.0: expected a prefix such as 198.51.100.0/24, optionally with :port or :low-high, got "dns:53"',
    );
    expect(errorOf(text.replace('size: 512', 'size: 0'))).toBe(
      'x.yaml:3:90: routers.cgn.nat.portBlocks.size: expected a number of at least 1, got 0',
    );
  });
});
