/** Mapping timers: RFC 4787 REQ-5/REQ-6 for UDP, RFC 5382 for TCP, sweeping with expire(). */
import { describe, expect, it } from 'vitest';
import { A, ep, home, natPolicy, SERVER, sec, srcOf, TCP, tcp, udp, WAN } from './helpers.js';

const out = () => udp(ep(A, 5000), ep(SERVER, 3478));
const back = () => udp(ep(SERVER, 3478), ep(WAN, 5000));

describe('UDP mapping timer', () => {
  it('lives 300 s idle by default', () => {
    const { network, clock, router } = home(natPolicy('port-restricted-cone'));
    network.send('a', out());
    expect(router.listMappings(clock.now())).toEqual([
      { protocol: 'udp', internal: '192.168.1.10:5000', external: '203.0.113.1:5000', remote: '198.51.100.5:3478', expiresAt: sec(300) },
    ]);
    clock.advance(sec(299));
    expect(network.send('server', back()).to).toBe('a');
    clock.advance(sec(2)); // 301 s after the only outbound packet
    const d = network.send('server', back());
    expect(d.drop?.code).toBe('no-mapping');
    expect(d.drop?.message).toBe(
      'dropped at nat: no mapping for 203.0.113.1:5000 (UDP, inbound from 198.51.100.5:3478): nothing inside has sent to it and no port forward exists',
    );
    expect(router.listMappings(clock.now())).toEqual([]);
  });

  it('expires exactly at 300 s (the timer is inclusive)', () => {
    const { network, clock } = home(natPolicy('port-restricted-cone'));
    network.send('a', out());
    clock.advance(sec(300));
    expect(network.send('server', back()).drop?.code).toBe('no-mapping');
  });

  it('outbound traffic refreshes the mapping (REQ-6) and keeps the same external port', () => {
    const { network, clock, router } = home(natPolicy('port-restricted-cone'));
    network.send('a', out());
    clock.advance(sec(200));
    expect(srcOf(network.send('a', out()))).toBe('203.0.113.1:5000');
    expect(router.listMappings(clock.now())[0]!.expiresAt).toBe(sec(500));
    clock.advance(sec(250)); // 450 s
    expect(network.send('server', back()).to).toBe('a');
    clock.advance(sec(51)); // 501 s
    expect(network.send('server', back()).drop?.code).toBe('no-mapping');
  });

  it('inbound traffic does not refresh by default', () => {
    const { network, clock, router } = home(natPolicy('port-restricted-cone'));
    network.send('a', out());
    clock.advance(sec(200));
    expect(network.send('server', back()).to).toBe('a');
    expect(router.listMappings(clock.now())[0]!.expiresAt).toBe(sec(300));
    clock.advance(sec(101));
    expect(network.send('server', back()).drop?.code).toBe('no-mapping');
  });

  it('inbound traffic refreshes with refreshOnInbound', () => {
    const { network, clock, router } = home(natPolicy('port-restricted-cone', { refreshOnInbound: true }));
    network.send('a', out());
    clock.advance(sec(200));
    expect(network.send('server', back()).to).toBe('a');
    expect(router.listMappings(clock.now())[0]!.expiresAt).toBe(sec(500));
    clock.advance(sec(101));
    expect(network.send('server', back()).to).toBe('a');
  });

  it('custom UDP timer', () => {
    const { network, clock } = home(natPolicy('full-cone', { timers: { udp: 30 } }));
    network.send('a', out());
    clock.advance(sec(29));
    expect(network.send('server', back()).to).toBe('a');
    clock.advance(sec(1));
    expect(network.send('server', back()).drop?.code).toBe('no-mapping');
  });

  it('a new mapping after expiry starts from scratch', () => {
    const { network, clock } = home(natPolicy('full-cone'));
    network.send('a', out());
    clock.advance(sec(400));
    const d = network.send('a', out());
    expect(d.hops[0]!.code).toBe('new-mapping');
    expect(srcOf(d)).toBe('203.0.113.1:5000');
  });
});

describe('ICMP query mapping timer', () => {
  it('uses the icmp timer (60 s)', () => {
    const { network, clock, router } = home(natPolicy('full-cone'));
    network.send('a', { proto: 'icmp', src: ep(A, 77), dst: ep(SERVER, 77) });
    expect(router.listMappings(clock.now())[0]).toMatchObject({ protocol: 'icmp', external: '203.0.113.1:77', expiresAt: sec(60) });
    clock.advance(sec(60));
    expect(router.listMappings(clock.now())).toEqual([]);
  });
});

describe('TCP mapping timers (RFC 5382)', () => {
  const fromA = (flags: number) => tcp(ep(A, 5000), ep(SERVER, 443), flags);
  const toA = (flags: number) => tcp(ep(SERVER, 443), ep(WAN, 5000), flags);

  it('a lone SYN leaves a transitory mapping of 240 s', () => {
    const { network, clock, router } = home(natPolicy('port-restricted-cone'));
    network.send('a', fromA(TCP.SYN));
    expect(router.listMappings(clock.now())).toEqual([
      {
        protocol: 'tcp',
        internal: '192.168.1.10:5000',
        external: '203.0.113.1:5000',
        remote: '198.51.100.5:443',
        expiresAt: sec(240),
        tcpState: 'transitory',
      },
    ]);
    clock.advance(sec(240));
    expect(network.send('server', toA(TCP.SYN | TCP.ACK)).drop?.code).toBe('no-mapping');
  });

  it('SYN out, SYN-ACK in, ACK out: established for 7440 s', () => {
    const { network, clock, router } = home(natPolicy('port-restricted-cone'));
    network.send('a', fromA(TCP.SYN));
    clock.advance(sec(1));
    expect(network.send('server', toA(TCP.SYN | TCP.ACK)).to).toBe('a');
    clock.advance(sec(1));
    network.send('a', fromA(TCP.ACK));
    const [m] = router.listMappings(clock.now());
    expect(m).toMatchObject({ tcpState: 'established', expiresAt: sec(2 + 7440) });
    clock.advance(sec(7000));
    const late = network.send('server', toA(TCP.ACK));
    expect(late.to).toBe('a');
    expect(late.hops[0]!.code).toBe('mapped');
  });

  it('an established mapping expires after 7440 s idle', () => {
    const { network, clock, router } = home(natPolicy('port-restricted-cone'));
    network.send('a', fromA(TCP.SYN));
    network.send('server', toA(TCP.SYN | TCP.ACK));
    network.send('a', fromA(TCP.ACK));
    clock.advance(sec(7440));
    expect(network.send('server', toA(TCP.ACK)).drop?.code).toBe('no-mapping');
    expect(router.listMappings(clock.now())).toEqual([]);
  });

  it('SYN out + SYN-ACK in is still a half-open (transitory) connection until the final ACK', () => {
    const { network, clock, router } = home(natPolicy('port-restricted-cone'));
    network.send('a', fromA(TCP.SYN));
    network.send('server', toA(TCP.SYN | TCP.ACK));
    // RFC 5382 §5: the handshake is complete only after the third segment; today the SYN-ACK
    // alone makes the mapping 'established' with a 7440 s timer.
    expect(router.listMappings(clock.now())[0]).toMatchObject({ tcpState: 'transitory', expiresAt: sec(240) });
  });

  for (const [name, flag] of [
    ['FIN', TCP.FIN | TCP.ACK],
    ['RST', TCP.RST],
  ] as const) {
    it(`${name} from inside moves an established mapping back to the 240 s timer`, () => {
      const { network, clock, router } = home(natPolicy('port-restricted-cone'));
      network.send('a', fromA(TCP.SYN));
      network.send('server', toA(TCP.SYN | TCP.ACK));
      network.send('a', fromA(TCP.ACK));
      clock.advance(sec(100));
      network.send('a', fromA(flag));
      expect(router.listMappings(clock.now())[0]).toMatchObject({ tcpState: 'closing', expiresAt: sec(340) });
      clock.advance(sec(240));
      expect(network.send('server', toA(TCP.ACK)).drop?.code).toBe('no-mapping');
    });

    it(`${name} from outside also closes the mapping`, () => {
      const { network, clock, router } = home(natPolicy('port-restricted-cone'));
      network.send('a', fromA(TCP.SYN));
      network.send('server', toA(TCP.SYN | TCP.ACK));
      network.send('a', fromA(TCP.ACK));
      clock.advance(sec(10));
      expect(network.send('server', toA(flag)).to).toBe('a');
      expect(router.listMappings(clock.now())[0]).toMatchObject({ tcpState: 'closing', expiresAt: sec(250) });
    });
  }

  it('custom TCP timers', () => {
    const { network, clock, router } = home(natPolicy('full-cone', { timers: { tcpTransitory: 10, tcpEstablished: 100 } }));
    network.send('a', fromA(TCP.SYN));
    expect(router.listMappings(clock.now())[0]!.expiresAt).toBe(sec(10));
    network.send('server', toA(TCP.SYN | TCP.ACK));
    network.send('a', fromA(TCP.ACK));
    expect(router.listMappings(clock.now())[0]!.expiresAt).toBe(sec(100));
  });
});

describe('sweeping', () => {
  it('router.expire(now) removes expired mappings and reports them through onRemove', () => {
    const { network, clock, router } = home(natPolicy('full-cone'));
    network.send('a', out());
    network.send('a', udp(ep(A, 5001), ep(SERVER, 3478)));
    const removed: string[] = [];
    router.nat!.onRemove = (m, reason) => removed.push(`${m.extPort}:${reason}`);
    clock.advance(sec(301));
    expect(router.nat!.size).toBe(2); // lazy: nothing swept yet
    router.expire(clock.now());
    expect(router.nat!.size).toBe(0);
    expect(removed.sort()).toEqual(['5000:expired', '5001:expired']);
  });

  it('network.expire() sweeps every router at the clock time', () => {
    const { network, clock, router } = home(natPolicy('full-cone'));
    network.send('a', out());
    clock.advance(sec(100));
    network.send('a', udp(ep(A, 5001), ep(SERVER, 3478)));
    expect(router.nat!.nextExpiry()).toBe(sec(300));
    clock.advance(sec(200)); // 300 s: the first one is due
    network.expire();
    expect(router.nat!.size).toBe(1);
    expect(router.listMappings(clock.now()).map((m) => m.external)).toEqual(['203.0.113.1:5001']);
    expect(router.nat!.nextExpiry()).toBe(sec(400));
  });
});
