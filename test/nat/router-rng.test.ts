/** Per-router random streams: derived from the scenario seed and the router id only. */
import { describe, expect, it } from 'vitest';
import { deriveSeed, FakeClock, Network, SeededRng } from '../../src/nat/index.js';
import { ep, natPolicy, net, SERVER, srcOf, udp } from './helpers.js';

function addSymmetric(network: Network, id: string, n: number): void {
  network.addRouter({ id, wan: `203.0.113.${n}`, lan: `192.168.${n}.0/24`, nat: natPolicy('symmetric') });
  network.addHost({ id: `${id}-host`, address: `192.168.${n}.10`, on: id });
}

function portsOf(network: Network, id: string, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < 5; i++) out.push(srcOf(network.send(`${id}-host`, udp(ep(`192.168.${n}.10`, 5000), ep(SERVER, 3000 + i)))));
  return out;
}

describe('per-router random streams', () => {
  it('adding a router does not change the ports another router picks', () => {
    const alone = net(7);
    addSymmetric(alone.network, 'r1', 1);
    const withOthers = net(7);
    addSymmetric(withOthers.network, 'r0', 3); // added first: with one shared stream it drew first
    addSymmetric(withOthers.network, 'r1', 1);
    addSymmetric(withOthers.network, 'r2', 2);
    for (const n of [3, 2]) withOthers.network.send(`r${n === 3 ? 0 : 2}-host`, udp(ep(`192.168.${n}.10`, 5000), ep(SERVER, 9)));
    const ports = portsOf(alone.network, 'r1', 1);
    expect(portsOf(withOthers.network, 'r1', 1)).toEqual(ports);
    expect(new Set(ports).size).toBe(5); // they are random ports, not a constant
  });

  it('another seed gives other ports; the same seed the same ports', () => {
    const a = net(7);
    const b = net(8);
    const c = net(7);
    for (const t of [a, b, c]) addSymmetric(t.network, 'r1', 1);
    const pa = portsOf(a.network, 'r1', 1);
    expect(portsOf(b.network, 'r1', 1)).not.toEqual(pa);
    expect(portsOf(c.network, 'r1', 1)).toEqual(pa);
  });

  it('two routers with the same policy and seed but different ids pick different ports', () => {
    const { network } = net(7);
    addSymmetric(network, 'r1', 1);
    addSymmetric(network, 'r2', 2);
    expect(portsOf(network, 'r1', 1)).not.toEqual(portsOf(network, 'r2', 2));
  });

  it('a fork depends on the seed and the label, not on what was drawn before', () => {
    const rng = new SeededRng(42);
    const first = rng.fork('router:x').int(0, 1e9);
    rng.next();
    rng.next();
    expect(rng.fork('router:x').int(0, 1e9)).toBe(first);
    expect(new SeededRng(deriveSeed(42, 'router:x')).int(0, 1e9)).toBe(first);
    expect(deriveSeed(42, 'router:y')).not.toBe(deriveSeed(42, 'router:x'));
    expect(deriveSeed(43, 'router:x')).not.toBe(deriveSeed(42, 'router:x'));
  });

  it('a source without fork is shared by every router (scripted randomness)', () => {
    const draws: number[] = [];
    const scripted = {
      next: () => 0.5,
      int: (lo: number, hi: number) => {
        draws.push(lo);
        return lo + ((hi - lo) >> 1);
      },
    };
    const network = new Network({ clock: new FakeClock(), rng: scripted });
    addSymmetric(network, 'r1', 1);
    addSymmetric(network, 'r2', 2);
    network.send('r1-host', udp(ep('192.168.1.10', 5000), ep(SERVER, 1)));
    network.send('r2-host', udp(ep('192.168.2.10', 5000), ep(SERVER, 1)));
    expect(draws.length).toBe(2);
  });
});
