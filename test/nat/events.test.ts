/** The model's one event stream: names, shapes, and who publishes them. */
import { describe, expect, it } from 'vitest';
import { type ModelEvent, type ModelEvents, Router, SeededRng } from '../../src/nat/index.js';
import { A, ep, home, natPolicy, PEER, SERVER, sec, udp, WAN } from './helpers.js';

function recorder(events: ModelEvents): ModelEvent[] {
  const out: ModelEvent[] = [];
  events.onAny((e) => out.push(e));
  return out;
}

describe('model events', () => {
  it('mapping-created / refreshed / removed / expired carry the origin, the router and the time', () => {
    const { network, router, clock } = home(natPolicy('full-cone'));
    const log = recorder(network.events);
    const m = router.mappings;
    const req = {
      requester: A,
      protocol: 'udp' as const,
      internalClient: A,
      internalPort: 5000,
      externalPort: 5000,
      lifetime: 10,
      origin: 'natpmp' as const,
    };
    m.request(req, 0);
    m.request({ ...req, lifetime: 20 }, 0);
    m.remove({ requester: A, protocol: 'udp', externalPort: 5000 }, 5);
    m.request({ ...req, externalPort: 5001 }, 0);
    clock.advance(sec(10));
    network.expire();
    expect(log.map((e) => [e.type, e.router, e.at, 'origin' in e ? e.origin : '', 'mapping' in e ? e.mapping.externalPort : 0])).toEqual([
      ['mapping-created', 'nat', 0, 'natpmp', 5000],
      ['mapping-refreshed', 'nat', 0, 'natpmp', 5000],
      ['mapping-removed', 'nat', 5, 'natpmp', 5000],
      ['mapping-created', 'nat', 0, 'natpmp', 5001],
      ['mapping-expired', 'nat', sec(10), 'natpmp', 5001],
    ]);
  });

  it('session-created, packet-delivered, packet-dropped (with the hop reason), session-expired', () => {
    const { network, clock } = home(natPolicy('port-restricted-cone'));
    const log = recorder(network.events);
    const out = network.send('a', udp(ep(A, 4000), ep(SERVER, 53)));
    const ext = out.packet.src;
    network.send('peer', udp(ep(PEER, 1), ext));
    clock.advance(sec(3600));
    network.expire();
    expect(log.map((e) => e.type)).toEqual(['session-created', 'packet-delivered', 'packet-dropped', 'session-expired']);
    const [created, delivered, dropped, expired] = log as [any, any, any, any];
    expect(created.session).toMatchObject({ protocol: 'udp' });
    expect(delivered).toMatchObject({ from: 'a', to: 'server', reason: 'delivered' });
    expect(dropped).toMatchObject({ router: 'nat', from: 'peer', reason: 'filtered', hop: { action: 'drop', code: 'filtered' } });
    expect(expired).toMatchObject({ type: 'session-expired', reason: 'expired' });
  });

  it('wan-address-changed and wan-status-changed', () => {
    const { network, router } = home(natPolicy('full-cone'));
    const log = recorder(network.events);
    router.setWanAddress('203.0.113.9', 7);
    router.setWanUp(false, 8);
    expect(log).toEqual([
      { type: 'wan-address-changed', router: 'nat', at: 7, old: WAN, address: '203.0.113.9' },
      { type: 'wan-status-changed', router: 'nat', at: 8, up: false },
    ]);
  });

  it('a router built alone has its own stream; listeners can unsubscribe; one throwing does not starve the rest', () => {
    const r = new Router({ id: 'solo', wan: WAN, lan: '192.168.9.0/24' }, new SeededRng(1), 0);
    const seen: string[] = [];
    const off = r.events.on('mapping-created', (e) => seen.push(`a:${e.mapping.externalPort}`));
    r.events.on('mapping-created', () => {
      throw new Error('boom');
    });
    r.events.on('mapping-created', (e) => seen.push(`b:${e.mapping.externalPort}`));
    const add = (port: number): unknown =>
      r.mappings.request(
        {
          requester: '192.168.9.2',
          protocol: 'tcp',
          internalClient: '192.168.9.2',
          internalPort: port,
          externalPort: port,
          lifetime: 0,
          origin: 'upnp',
        },
        0,
      );
    expect(() => add(10000)).toThrow('boom');
    off();
    expect(() => add(10001)).toThrow('boom');
    expect(seen).toEqual(['a:10000', 'b:10000', 'b:10001']);
    expect(r.events.has('packet-dropped')).toBe(false);
  });
});
