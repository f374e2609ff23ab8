/** Shared builders for the NAT model tests (not a test file itself). */
import {
  type Delivery,
  type Endpoint,
  ep,
  FakeClock,
  formatEndpoint,
  type Hop,
  type NatPolicy,
  Network,
  natPolicy,
  type Packet,
  type Router,
  type RouterConfig,
  SeededRng,
  TCP,
} from '../../src/nat/index.js';

export { ep, formatEndpoint, natPolicy, TCP };

export const WAN = '203.0.113.1';
export const A = '192.168.1.10';
export const B = '192.168.1.11';
export const C = '192.168.1.12';
export const SERVER = '198.51.100.5';
export const PEER = '198.51.100.20';

/** Seconds to milliseconds. */
export const sec = (s: number): number => s * 1000;

export const udp = (src: Endpoint, dst: Endpoint, payload?: string): Packet =>
  payload === undefined ? { proto: 'udp', src, dst } : { proto: 'udp', src, dst, payload };

export const tcp = (src: Endpoint, dst: Endpoint, flags: number): Packet => ({ proto: 'tcp', src, dst, flags });

/** An empty network with a fake clock at 0 and a seeded RNG. */
export function net(seed = 1): { network: Network; clock: FakeClock } {
  const clock = new FakeClock();
  return { network: new Network({ clock, rng: new SeededRng(seed) }), clock };
}

/**
 * One NAT `nat` (WAN 203.0.113.1, LAN 192.168.1.0/24) with hosts a, b, c on the LAN and
 * server, peer on the Internet.
 */
export function home(
  nat: NatPolicy | null,
  extra: Omit<Partial<RouterConfig>, 'id' | 'lan' | 'nat'> = {},
  seed = 1,
): { network: Network; clock: FakeClock; router: Router } {
  const t = net(seed);
  const router = t.network.addRouter({ wan: WAN, ...extra, id: 'nat', lan: '192.168.1.0/24', nat });
  t.network.addHost({ id: 'a', address: A, on: 'nat' });
  t.network.addHost({ id: 'b', address: B, on: 'nat' });
  t.network.addHost({ id: 'c', address: C, on: 'nat' });
  t.network.addHost({ id: 'server', address: SERVER });
  t.network.addHost({ id: 'peer', address: PEER });
  return { ...t, router };
}

/** The source / destination of the packet as delivered (or dropped) as `a.b.c.d:port`. */
export const srcOf = (d: Delivery): string => formatEndpoint(d.packet.src);
export const dstOf = (d: Delivery): string => formatEndpoint(d.packet.dst);

/** The first hop at `node`. */
export function hopAt(d: Delivery, node: string): Hop {
  const h = d.hops.find((x) => x.node === node);
  if (!h) throw new Error(`no hop at ${node}: ${d.hops.map((x) => x.node).join(', ')}`);
  return h;
}

/** `before ⇒ after` endpoints of a translating hop, as text. */
export function rewrite(h: Hop): { before: string; after: string } {
  const show = (p: Packet): string => `${formatEndpoint(p.src)} → ${formatEndpoint(p.dst)}`;
  return { before: show(h.before), after: h.after ? show(h.after) : '(none)' };
}
