/** Model operations a timeline plays: reboot, WAN address change (mappings kept or dropped by policy), link down/up. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUTER_POLICY, type ModelEvent } from '../../src/nat/index.js';
import { A, ep, home, natPolicy, PEER, SERVER, sec, TCP, tcp, udp, WAN } from './helpers.js';

function setUp() {
  const t = home(natPolicy('port-restricted-cone'), {
    forwards: [{ protocol: 'tcp', externalPort: 22, internalClient: A, internalPort: 22 }],
  });
  t.router.mappings.request(
    { requester: A, protocol: 'tcp', internalClient: A, internalPort: 8080, externalPort: 8080, lifetime: 0, origin: 'upnp' },
    0,
  );
  const out = t.network.send('a', udp(ep(A, 4000), ep(SERVER, 3478)));
  const log: ModelEvent[] = [];
  t.network.events.onAny((e) => log.push(e));
  return { ...t, ext: out.packet.src, log };
}

const inbound = (t: ReturnType<typeof setUp>, port: number) => t.network.send('peer', tcp(ep(PEER, 61000), ep(WAN, port), TCP.SYN));

describe('Router.reboot', () => {
  it('loses NAT sessions and dynamic mappings, keeps static forwards, restarts the uptime, emits router-rebooted', () => {
    const t = setUp();
    expect(inbound(t, 8080).delivered).toBe(true);
    t.clock.advance(sec(60));
    t.router.reboot(t.clock.now());
    expect(t.log.map((e) => e.type).filter((n) => !n.startsWith('packet-'))).toEqual([
      'session-expired',
      'mapping-removed',
      'router-rebooted',
    ]);
    expect(t.log.at(-1)).toEqual({ type: 'router-rebooted', router: 'nat', at: sec(60), mappingsLost: 1, sessionsLost: 1 });
    expect(t.router.startedAt).toBe(sec(60));
    expect(inbound(t, 8080).drop).toMatchObject({ node: 'nat', code: 'no-mapping' });
    expect(inbound(t, 22).delivered).toBe(true);
    expect(t.network.send('server', udp(ep(SERVER, 3478), t.ext)).drop).toMatchObject({ node: 'nat', code: 'no-mapping' });
  });

  it('forgets the firewall connection state: a reply to a flow from before the reboot is refused', () => {
    const t = home(null, { firewall: { defaultInbound: 'deny', defaultOutbound: 'allow', rules: [] } });
    t.network.send('a', udp(ep(A, 4000), ep(SERVER, 3478)));
    expect(t.network.send('server', udp(ep(SERVER, 3478), ep(A, 4000))).delivered).toBe(true);
    t.router.reboot(0);
    expect(t.network.send('server', udp(ep(SERVER, 3478), ep(A, 4000))).drop).toMatchObject({ node: 'nat', code: 'firewall-default' });
  });
});

describe('Router.setWanAddress', () => {
  it('keeps dynamic mappings by default (miniupnpd) and ends the NAT sessions of the old address', () => {
    const t = setUp();
    t.router.setWanAddress('203.0.113.9', 5);
    expect(t.log.map((e) => e.type)).toEqual(['session-expired', 'wan-address-changed']);
    expect(t.network.send('peer', tcp(ep(PEER, 61000), ep('203.0.113.9', 8080), TCP.SYN)).delivered).toBe(true);
    expect(inbound(t, 8080).drop).toMatchObject({ node: 'internet' });
  });

  it('drops them when asked, or when the router policy says drop; static forwards stay', () => {
    for (const how of ['argument', 'policy'] as const) {
      const t = setUp();
      if (how === 'policy') t.router.mappings.configure({ policy: { ...DEFAULT_ROUTER_POLICY, onWanAddressChange: 'drop' } });
      if (how === 'argument') t.router.setWanAddress('203.0.113.9', 5, 'drop');
      else t.router.setWanAddress('203.0.113.9', 5);
      expect(t.log.map((e) => e.type)).toEqual(['session-expired', 'mapping-removed', 'wan-address-changed']);
      expect(t.network.send('peer', tcp(ep(PEER, 61000), ep('203.0.113.9', 8080), TCP.SYN)).drop).toMatchObject({
        node: 'nat',
        code: 'no-mapping',
      });
      expect(t.network.send('peer', tcp(ep(PEER, 61000), ep('203.0.113.9', 22), TCP.SYN)).delivered).toBe(true);
    }
  });
});

describe('Router.setWanUp', () => {
  it('down drops both ways with wan-down and keeps the tables; up restores', () => {
    const t = setUp();
    t.router.setWanUp(false, 1);
    expect(inbound(t, 22).drop).toMatchObject({ node: 'nat', code: 'wan-down' });
    expect(t.network.send('a', udp(ep(A, 4000), ep(SERVER, 3478))).drop).toMatchObject({ node: 'nat', code: 'wan-down' });
    t.router.setWanUp(true, 2);
    expect(inbound(t, 8080).delivered).toBe(true);
    expect(t.log.filter((e) => e.type === 'wan-status-changed').map((e) => e.at)).toEqual([1, 2]);
  });
});
