/** Port forwards and the arbiter between forwards, dynamic mappings and the router's own ports. */
import { describe, expect, it } from 'vitest';
import { ForwardTable } from '../../src/nat/index.js';
import { A, B, dstOf, ep, home, natPolicy, PEER, SERVER, sec, srcOf, udp, WAN } from './helpers.js';

const STATIC = { protocol: 'udp', externalPort: 6000, internalClient: A, internalPort: 5000 } as const;

describe('static forwards on the data plane', () => {
  it('admit inbound traffic from anyone (even under port-restricted filtering)', () => {
    const { network } = home(natPolicy('port-restricted-cone'), { forwards: [STATIC] });
    for (const [host, ip] of [
      ['server', SERVER],
      ['peer', PEER],
    ] as const) {
      const d = network.send(host, udp(ep(ip, 1234), ep(WAN, 6000)));
      expect(d.to).toBe('a');
      expect(dstOf(d)).toBe('192.168.1.10:5000');
      expect(d.hops[0]!.code).toBe('port-forward');
      expect(d.hops[0]!.message).toBe(
        `translated by a port forward at nat: UDP ${ip}:1234 → 203.0.113.1:6000 ⇒ UDP ${ip}:1234 → 192.168.1.10:5000 (static forward UDP 6000 → 192.168.1.10:5000)`,
      );
    }
  });

  it('send outbound traffic of the internal endpoint out on the forward external port', () => {
    const { network, router } = home(natPolicy('port-restricted-cone'), { forwards: [STATIC] });
    const d = network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    expect(srcOf(d)).toBe('203.0.113.1:6000');
    expect(d.hops[0]!.code).toBe('port-forward');
    expect(d.hops[0]!.message).toBe(
      'translated by a port forward at nat: UDP 192.168.1.10:5000 → 198.51.100.5:3478 ⇒ UDP 203.0.113.1:6000 → 198.51.100.5:3478 (leaves on static forward port 6000)',
    );
    expect(router.listMappings(0)).toEqual([]); // no dynamic mapping was needed
    // Another internal port of the same host is translated normally.
    expect(srcOf(network.send('a', udp(ep(A, 5001), ep(SERVER, 3478))))).toBe('203.0.113.1:5001');
    expect(router.forwards.find('udp', 6000)!.packets).toBe(1);
  });

  it('restricted to a remote host: another remote is dropped with forward-remote-mismatch', () => {
    const { network } = home(natPolicy('port-restricted-cone'), { forwards: [{ ...STATIC, remoteHost: PEER }] });
    expect(network.send('peer', udp(ep(PEER, 1), ep(WAN, 6000))).to).toBe('a');
    const d = network.send('server', udp(ep(SERVER, 1), ep(WAN, 6000)));
    expect(d.drop?.code).toBe('forward-remote-mismatch');
    expect(d.drop?.message).toBe('dropped at nat: nat forwards UDP 6000 only for 198.51.100.20, not 198.51.100.5');
  });

  it('a disabled forward does not forward', () => {
    const { network } = home(natPolicy('port-restricted-cone'), { forwards: [{ ...STATIC, enabled: false }] });
    expect(network.send('server', udp(ep(SERVER, 1), ep(WAN, 6000))).delivered).toBe(false);
  });

  it('a disabled forward is reported as no-mapping, not as a remote-host mismatch "only for any"', () => {
    const { network } = home(natPolicy('port-restricted-cone'), { forwards: [{ ...STATIC, enabled: false }] });
    const d = network.send('server', udp(ep(SERVER, 1), ep(WAN, 6000)));
    // today: 'forward-remote-mismatch', "nat forwards UDP 6000 only for any, not 198.51.100.5"
    expect(d.drop?.code).toBe('no-mapping');
  });

  it('a static forward on a reserved port makes the router config invalid', () => {
    expect(() => home(natPolicy('full-cone'), { reservedPorts: [{ protocol: 'udp', port: 6000 }], forwards: [STATIC] })).toThrow(
      'router nat: forward udp 6000: UDP port 6000 is used by the router itself',
    );
  });
});

describe('the arbiter', () => {
  it('refuses a port held by a live dynamic mapping (held-by-dynamic-mapping)', () => {
    const { network, router, clock } = home(natPolicy('full-cone'));
    network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    const r = router.forwards.add(
      { protocol: 'udp', externalPort: 5000, internalClient: B, internalPort: 5000, origin: 'upnp' },
      clock.now(),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.conflict).toEqual({
      reason: 'held-by-dynamic-mapping',
      holder: '192.168.1.10:5000',
      message: 'UDP port 5000 is in use by a dynamic mapping for 192.168.1.10:5000',
    });
    // Other protocol: free. After the mapping expires: free.
    expect(router.forwards.check('tcp', 5000, B, '', clock.now())).toBeUndefined();
    clock.advance(sec(300));
    expect(router.forwards.check('udp', 5000, B, '', clock.now())).toBeUndefined();
  });

  it('refuses a port forwarded to another client (held-by-other-client)', () => {
    const { router } = home(natPolicy('full-cone'), { forwards: [STATIC] });
    const r = router.forwards.add({ protocol: 'udp', externalPort: 6000, internalClient: B, internalPort: 7000, origin: 'upnp' }, 0);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.conflict).toEqual({
      reason: 'held-by-other-client',
      holder: '192.168.1.10:5000',
      message: 'UDP port 6000 is forwarded to 192.168.1.10:5000 (static)',
    });
  });

  it('replaces the entry of the same client in place', () => {
    const { router } = home(natPolicy('full-cone'));
    const events: string[] = [];
    router.events.onAny((c) => {
      if ('mapping' in c) events.push(`${c.type}:${c.mapping.internalPort}`);
    });
    router.forwards.add({ protocol: 'udp', externalPort: 7000, internalClient: B, internalPort: 1, origin: 'upnp' }, 0);
    router.forwards.add({ protocol: 'udp', externalPort: 7001, internalClient: B, internalPort: 9, origin: 'upnp' }, 0);
    const r = router.forwards.add({ protocol: 'udp', externalPort: 7000, internalClient: B, internalPort: 2, origin: 'upnp' }, 0);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.replaced?.internalPort).toBe(1);
    expect(router.forwards.list().map((e) => `${e.externalPort}->${e.internalPort}`)).toEqual(['7000->2', '7001->9']);
    expect(events).toEqual(['mapping-created:1', 'mapping-created:9', 'mapping-refreshed:2']);
  });

  it('refuses a reserved port (reserved-port)', () => {
    const { router } = home(natPolicy('full-cone'), { reservedPorts: [{ protocol: 'tcp', port: 5000 }] });
    const r = router.forwards.add({ protocol: 'tcp', externalPort: 5000, internalClient: A, internalPort: 5000, origin: 'upnp' }, 0);
    expect(r).toEqual({
      ok: false,
      conflict: { reason: 'reserved-port', holder: 'the router', message: 'TCP port 5000 is used by the router itself' },
    });
  });

  it('refuses when the table is full (table-full), but still allows replacement', () => {
    const { router } = home(natPolicy('full-cone'), { maxForwards: 2 });
    const add = (port: number, client = A) =>
      router.forwards.add({ protocol: 'udp', externalPort: port, internalClient: client, internalPort: port, origin: 'upnp' }, 0);
    expect(add(7000).ok).toBe(true);
    expect(add(7001).ok).toBe(true);
    expect(add(7002)).toEqual({ ok: false, conflict: { reason: 'table-full', message: 'the forward table is full (2 entries)' } });
    expect(add(7000).ok).toBe(true);
    expect(router.forwards.size).toBe(2);
  });
});

describe('dynamic mappings and forwards share the port space', () => {
  it('a dynamic mapping skips a port held by a forward', () => {
    const { network } = home(natPolicy('full-cone'), {
      forwards: [{ protocol: 'udp', externalPort: 5000, internalClient: A, internalPort: 9999 }],
    });
    // B's preserve choice would be 5000; the forward holds it.
    expect(srcOf(network.send('b', udp(ep(B, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5001');
  });

  it('a forward whose lease ended no longer holds its port against dynamic mappings', () => {
    const { network, router, clock } = home(natPolicy('full-cone'));
    router.forwards.add(
      { protocol: 'udp', externalPort: 5000, internalClient: A, internalPort: 9999, origin: 'upnp', leaseSeconds: 10 },
      0,
    );
    clock.advance(sec(20));
    // Without a sweep, the expired entry still blocks 5000 (today: 203.0.113.1:5001; after network.expire(): 5000).
    expect(srcOf(network.send('b', udp(ep(B, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5000');
  });

  it('a dynamic mapping skips a reserved port', () => {
    const { network } = home(natPolicy('full-cone'), { reservedPorts: [{ protocol: 'udp', port: 5000 }] });
    expect(srcOf(network.send('a', udp(ep(A, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5001');
  });
});

describe('leases', () => {
  it('a forward expires on the clock, with an expired change event, and stops forwarding', () => {
    const { network, router, clock } = home(natPolicy('port-restricted-cone'));
    const events: string[] = [];
    router.events.onAny((c) => {
      if ('mapping' in c) events.push(`${c.type}:${c.origin}:${c.mapping.externalPort}`);
    });
    const r = router.forwards.add({ ...STATIC, origin: 'upnp', leaseSeconds: 60 }, clock.now());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.entry.expiresAt).toBe(sec(60));
    clock.advance(sec(59));
    expect(ForwardTable.remainingSeconds(r.entry, clock.now())).toBe(1);
    network.expire();
    expect(router.forwards.size).toBe(1);
    expect(network.send('server', udp(ep(SERVER, 1), ep(WAN, 6000))).to).toBe('a');
    clock.advance(sec(1));
    network.expire();
    expect(router.forwards.size).toBe(0);
    expect(events).toEqual(['mapping-created:upnp:6000', 'mapping-expired:upnp:6000']);
    expect(network.send('server', udp(ep(SERVER, 1), ep(WAN, 6000))).drop?.code).toBe('no-mapping');
  });

  it('the data plane sweeps an expired lease itself', () => {
    const { network, router, clock } = home(natPolicy('port-restricted-cone'));
    const events: string[] = [];
    router.events.onAny((c) => {
      if ('mapping' in c) events.push(c.type);
    });
    router.forwards.add({ ...STATIC, origin: 'natpmp', leaseSeconds: 10 }, 0);
    clock.advance(sec(11));
    expect(network.send('server', udp(ep(SERVER, 1), ep(WAN, 6000))).drop?.code).toBe('no-mapping');
    expect(events).toEqual(['mapping-created', 'mapping-expired']);
  });

  it('permanent entries report 0 remaining seconds and never expire', () => {
    const { router, network, clock } = home(natPolicy('full-cone'), { forwards: [STATIC] });
    clock.advance(sec(1e6));
    network.expire();
    expect(router.forwards.size).toBe(1);
    expect(ForwardTable.remainingSeconds(router.forwards.at(0)!, clock.now())).toBe(0);
  });
});

describe('findFreePort', () => {
  it('returns the preferred port when free, else the nearest free port above it', () => {
    const { router, network } = home(natPolicy('full-cone'), { forwards: [STATIC] });
    const f = router.forwards;
    expect(f.findFreePort('udp', 7000, B, 0)).toBe(7000);
    expect(f.findFreePort('udp', 6000, B, 0)).toBe(6001);
    expect(f.findFreePort('tcp', 6000, B, 0)).toBe(6000);
    // Never hands a client its own entry silently.
    expect(f.findFreePort('udp', 6000, A, 0)).toBe(6001);
    // Skips ports held by dynamic mappings.
    network.send('b', udp(ep(B, 6001), ep(SERVER, 3478)));
    expect(f.findFreePort('udp', 6000, B, 0)).toBe(6002);
  });

  it('wraps from 65535 to 1024 and keeps a free privileged preferred port', () => {
    const { router } = home(natPolicy('full-cone'), {
      forwards: [{ protocol: 'udp', externalPort: 65535, internalClient: A, internalPort: 1 }],
    });
    expect(router.forwards.findFreePort('udp', 65535, B, 0)).toBe(1024);
    expect(router.forwards.findFreePort('udp', 80, B, 0)).toBe(80);
  });
});
