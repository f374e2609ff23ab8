/**
 * One contract suite, run against all nine RFC 4787 mapping × filtering combinations over UDP and
 * TCP: the expected external endpoints and verdicts are derived from the behaviour names alone.
 */
import { describe, expect, it } from 'vitest';
import {
  ep,
  FakeClock,
  type FilteringBehavior,
  formatEndpoint,
  type MappingBehavior,
  Network,
  natPolicy,
  type Packet,
  type Protocol,
  SeededRng,
  TCP,
} from '../../src/nat/index.js';

const MAPPINGS: MappingBehavior[] = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'];
const FILTERINGS: FilteringBehavior[] = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'];
const PROTOCOLS: Protocol[] = ['udp', 'tcp'];

const WAN = '203.0.113.1';
const A = '192.168.1.10';
const S1 = '198.51.100.1';
const S2 = '198.51.100.2';
const S3 = '198.51.100.3';

function setup(mapping: MappingBehavior, filtering: FilteringBehavior) {
  const net = new Network({ clock: new FakeClock(), rng: new SeededRng(7) });
  net.addRouter({
    id: 'nat',
    wan: WAN,
    lan: '192.168.1.0/24',
    nat: natPolicy('full-cone', { mapping, filtering, portAssignment: 'sequential' }),
  });
  net.addHost({ id: 'a', address: A, on: 'nat' });
  net.addHost({ id: 's1', address: S1 });
  net.addHost({ id: 's2', address: S2 });
  net.addHost({ id: 's3', address: S3 });
  return net;
}

const pkt = (proto: Protocol, src: string, sport: number, dst: string, dport: number, flags = 0): Packet => ({
  proto,
  src: ep(src, sport),
  dst: ep(dst, dport),
  flags,
});

describe.each(MAPPINGS.flatMap((m) => FILTERINGS.flatMap((f) => PROTOCOLS.map((p) => [m, f, p] as const))))(
  'mapping %s × filtering %s over %s',
  (mapping, filtering, proto) => {
    const syn = proto === 'tcp' ? TCP.SYN : 0;
    const ack = proto === 'tcp' ? TCP.SYN | TCP.ACK : 0;

    function openFlows() {
      const net = setup(mapping, filtering);
      const first = net.send('a', pkt(proto, A, 5000, S1, 3478, syn));
      const samePeerOtherPort = net.send('a', pkt(proto, A, 5000, S1, 3479, syn));
      const otherPeer = net.send('a', pkt(proto, A, 5000, S2, 3478, syn));
      return { net, first, samePeerOtherPort, otherPeer };
    }

    it('creates a mapping on the first outbound packet and reuses it per the mapping behaviour', () => {
      const { first, samePeerOtherPort, otherPeer } = openFlows();
      expect(first.delivered).toBe(true);
      expect(first.hops[0]!.code).toBe('new-mapping');
      const e1 = formatEndpoint(first.packet.src);
      expect(e1.startsWith(`${WAN}:`)).toBe(true);
      const e2 = formatEndpoint(samePeerOtherPort.packet.src);
      const e3 = formatEndpoint(otherPeer.packet.src);
      // Same remote address, other port: only address-and-port-dependent mapping makes a new one.
      if (mapping === 'address-and-port-dependent') expect(e2).not.toBe(e1);
      else expect(e2).toBe(e1);
      // Other remote address: only endpoint-independent mapping keeps the external endpoint.
      if (mapping === 'endpoint-independent') expect(e3).toBe(e1);
      else expect(e3).not.toBe(e1);
      // Never two mappings on one external port (RFC 4787 REQ-3: no port overloading).
      const exts = new Set([e1, e2, e3]);
      const distinctExpected = mapping === 'endpoint-independent' ? 1 : mapping === 'address-dependent' ? 2 : 3;
      expect(exts.size).toBe(distinctExpected);
    });

    it('admits the reply from the endpoint it sent to', () => {
      const { net, first } = openFlows();
      const reply = net.send('s1', pkt(proto, S1, 3478, WAN, first.packet.src.port, ack));
      expect(reply.delivered).toBe(true);
      expect(reply.to).toBe('a');
      expect(formatEndpoint(reply.packet.dst)).toBe(`${A}:5000`);
      expect(reply.hops[0]!.code).toBe('mapped');
    });

    it('filters a contacted address from another port per the filtering behaviour', () => {
      const { net, first } = openFlows();
      // S1:4000 was never sent to, but S1 was.
      const d = net.send('s1', pkt(proto, S1, 4000, WAN, first.packet.src.port, syn));
      if (filtering === 'address-and-port-dependent') {
        expect(d.delivered).toBe(false);
        expect(d.drop?.code).toBe('filtered');
        expect(d.drop?.node).toBe('nat');
      } else {
        expect(d.delivered).toBe(true);
        expect(formatEndpoint(d.packet.dst)).toBe(`${A}:5000`);
      }
    });

    it('filters an address never contacted per the filtering behaviour', () => {
      const { net, first } = openFlows();
      const d = net.send('s3', pkt(proto, S3, 3478, WAN, first.packet.src.port, syn));
      if (filtering === 'endpoint-independent') {
        expect(d.delivered).toBe(true);
        expect(d.to).toBe('a');
      } else {
        expect(d.delivered).toBe(false);
        expect(d.drop?.code).toBe('filtered');
        expect(d.drop?.message).toContain(`${filtering} filtering`);
      }
    });

    it('admits a second contacted endpoint on a shared mapping only where the mapping is shared', () => {
      const { net, first, otherPeer } = openFlows();
      // S2 replies to the first mapping's external port (not the one it was sent from).
      const d = net.send('s2', pkt(proto, S2, 3478, WAN, first.packet.src.port, ack));
      const shared = first.packet.src.port === otherPeer.packet.src.port;
      if (shared || filtering === 'endpoint-independent') {
        expect(d.delivered).toBe(true);
      } else {
        expect(d.drop?.code).toBe('filtered');
      }
    });

    it('drops unsolicited traffic to an unmapped port with no-mapping', () => {
      const { net } = openFlows();
      const d = net.send('s1', pkt(proto, S1, 3478, WAN, 40000, syn));
      expect(d.delivered).toBe(false);
      expect(d.drop?.code).toBe('no-mapping');
      expect(d.drop?.message).toBe(
        `dropped at nat: no mapping for ${WAN}:40000 (${proto.toUpperCase()}, inbound from ${S1}:3478): nothing inside has sent to it and no port forward exists`,
      );
    });

    it('keeps the mapping table in step with the traffic', () => {
      const { net } = openFlows();
      const maps = net.router('nat').listMappings(0);
      const expected = mapping === 'endpoint-independent' ? 1 : mapping === 'address-dependent' ? 2 : 3;
      expect(maps).toHaveLength(expected);
      for (const m of maps) {
        expect(m.protocol).toBe(proto);
        expect(m.internal).toBe(`${A}:5000`);
      }
    });
  },
);
