/** The router's mapping service: one request shape for every protocol, named refusals. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUTER_POLICY, type MappingRequest } from '../../src/nat/index.js';
import { A, B, C, home, natPolicy, sec, WAN } from './helpers.js';

const req = (over: Partial<MappingRequest> = {}): MappingRequest => ({
  requester: A,
  protocol: 'tcp',
  internalClient: A,
  internalPort: 5000,
  externalPort: 5000,
  lifetime: 3600,
  origin: 'upnp',
  description: 'test',
  ...over,
});

describe('MappingService.request', () => {
  it('creates, then refreshes in place for the same client; the owner is the requester', () => {
    const { router } = home(natPolicy('full-cone'));
    const r1 = router.mappings.request(req(), 0);
    expect(r1).toMatchObject({ ok: true, refreshed: false, mapping: { externalPort: 5000, owner: A, origin: 'upnp', leaseSeconds: 3600 } });
    const r2 = router.mappings.request(req({ internalPort: 5001 }), 0);
    expect(r2).toMatchObject({ ok: true, refreshed: true, mapping: { internalPort: 5001, origin: 'upnp' } });
    expect(router.forwards.size).toBe(1);
    // NAT-PMP and PCP overwrite only a mapping of the same internal port (RFC 6886 §3.3; miniupnpd's
    // pcpserver.c moves on to another port): another one is held.
    expect(router.mappings.request(req({ internalPort: 5002, origin: 'natpmp' }), 0)).toMatchObject({
      ok: false,
      refusal: 'held-by-other-client',
    });
    expect(router.mappings.request(req({ internalPort: 5002, origin: 'pcp', nonce: 'n' }), 0)).toMatchObject({
      ok: false,
      refusal: 'held-by-other-client',
    });
  });

  it('names each refusal', () => {
    const { router } = home(natPolicy('full-cone'), {
      forwards: [{ protocol: 'tcp', externalPort: 22, internalClient: B, internalPort: 22, origin: 'static' }],
      reservedPorts: [{ protocol: 'tcp', port: 80 }],
      mapping: { permissions: ['deny 6000-6010 0.0.0.0/0 0-65535'] },
    });
    const m = router.mappings;
    m.request(req(), 0);
    const refusal = (r: ReturnType<typeof m.request>): string => (r.ok ? 'ok' : r.refusal);
    expect(refusal(m.request(req({ internalClient: B }), 0))).toBe('not-owner');
    expect(refusal(m.request(req({ requester: B, internalClient: B }), 0))).toBe('held-by-other-client');
    expect(refusal(m.request(req({ externalPort: 22 }), 0))).toBe('held-by-other-mechanism');
    expect(refusal(m.request(req({ externalPort: 80 }), 0))).toBe('reserved-port');
    expect(refusal(m.request(req({ externalPort: 6005 }), 0))).toBe('denied-by-rule');
    expect(refusal(m.request(req({ externalPort: 7000, internalPort: 0 }), 0))).toBe('invalid-internal-port');
    router.setWanUp(false);
    expect(refusal(m.request(req({ externalPort: 7000 }), 0))).toBe('forwarding-disabled');
    // Refreshing one's own mapping still works while forwarding is disabled (as miniupnpd).
    expect(refusal(m.request(req(), 0))).toBe('ok');
  });

  it('a full table is no-resources; a NAT session on the port is held-by-session', () => {
    const { router, network } = home(natPolicy('full-cone'), { maxForwards: 1 });
    expect(router.mappings.request(req(), 0).ok).toBe(true);
    const full = router.mappings.request(req({ externalPort: 5001 }), 0);
    expect(full).toMatchObject({ ok: false, refusal: 'no-resources' });
    const d = network.send('b', { proto: 'udp', src: { ip: router.lanAddress + 10, port: 40000 }, dst: { ip: 0xc6336405, port: 1 } });
    expect(d.delivered).toBe(true);
    const port = d.packet.src.port;
    router.forwards.clear();
    const held = router.mappings.request(req({ protocol: 'udp', externalPort: port }), 0);
    expect(held).toMatchObject({ ok: false, refusal: 'held-by-session' });
  });

  it('lease policy: permanent-only and nonzero-refused, checked on the requested lifetime', () => {
    const { router } = home(natPolicy('full-cone'), { mapping: { policy: { ...DEFAULT_ROUTER_POLICY, leases: 'permanent-only' } } });
    expect(router.mappings.request(req(), 0)).toMatchObject({ ok: false, refusal: 'only-permanent-leases' });
    expect(router.mappings.request(req({ lifetime: 0 }), 0)).toMatchObject({ ok: true, mapping: { expiresAt: Infinity } });
    router.mappings.configure({ policy: { ...DEFAULT_ROUTER_POLICY, leases: 'nonzero-refused' } });
    expect(router.mappings.request(req({ externalPort: 5001 }), 0)).toMatchObject({ ok: false, refusal: 'lease-refused' });
  });

  it('lifetime rules: week-clamped and zero-is-week', () => {
    const { router } = home(natPolicy('full-cone'));
    const m = router.mappings;
    expect(m.request(req({ lifetime: 0, lifetimeRule: 'week-clamped' }), 0)).toMatchObject({ mapping: { leaseSeconds: 604800 } });
    expect(m.request(req({ lifetime: 10 ** 7, lifetimeRule: 'week-clamped' }), 0)).toMatchObject({ mapping: { leaseSeconds: 604800 } });
    expect(m.request(req({ lifetime: 10 ** 7, lifetimeRule: 'zero-is-week' }), 0)).toMatchObject({ mapping: { leaseSeconds: 10 ** 7 } });
    expect(m.request(req({ lifetime: 0 }), 0)).toMatchObject({ mapping: { leaseSeconds: 0 } });
  });

  it('nearest search: +1, −1, +2 … skipping ports the rules deny; exhausted is named', () => {
    const { router } = home(natPolicy('full-cone'), { mapping: { secureMode: false, permissions: ['deny 4999 0.0.0.0/0 0-65535'] } });
    const m = router.mappings;
    m.request(req({ requester: B, internalClient: B }), 0);
    m.request(req({ requester: B, internalClient: B, externalPort: 5001 }), 0);
    // 5000 taken, 5001 taken, 4999 denied, 5002 free.
    expect(m.request(req({ search: 'nearest' }), 0)).toMatchObject({ ok: true, mapping: { externalPort: 5002 } });
    m.configure({ permissions: ['allow 5000 0.0.0.0/0 0-65535', 'deny 0-65535 0.0.0.0/0 0-65535'] });
    expect(m.request(req({ requester: C, internalClient: C, internalPort: 1, search: 'nearest' }), 0)).toMatchObject({
      ok: false,
      refusal: 'ports-exhausted',
    });
  });

  it('a nonce binds a mapping: refresh or delete with another is nonce-mismatch', () => {
    const { router } = home(natPolicy('full-cone'));
    expect(router.mappings.request(req({ origin: 'pcp', nonce: 'n1' }), 0).ok).toBe(true);
    expect(router.mappings.request(req({ origin: 'pcp', nonce: 'n2' }), 0)).toMatchObject({ ok: false, refusal: 'nonce-mismatch' });
    expect(router.mappings.remove({ requester: A, protocol: 'tcp', externalPort: 5000, nonce: 'n2' }, 0)).toMatchObject({
      ok: false,
      refusal: 'nonce-mismatch',
    });
    expect(router.mappings.remove({ requester: A, protocol: 'tcp', externalPort: 5000, nonce: 'n1' }, 0)).toMatchObject({ ok: true });
  });

  it('remove: not-owner in secure mode, no-such-mapping when absent', () => {
    const { router } = home(natPolicy('full-cone'));
    router.mappings.request(req(), 0);
    expect(router.mappings.remove({ requester: B, protocol: 'tcp', externalPort: 5000 }, 0)).toMatchObject({
      ok: false,
      refusal: 'not-owner',
    });
    expect(router.mappings.remove({ requester: A, protocol: 'udp', externalPort: 5000 }, 0)).toMatchObject({
      ok: false,
      refusal: 'no-such-mapping',
    });
  });

  it('the reported external address is blank on a reserved WAN unless allowed', () => {
    const { router } = home(natPolicy('full-cone'), { wan: '100.64.0.5', mapping: { allowReservedWan: false } });
    expect(router.mappings.externalAddress()).toBe('');
    expect(router.mappings.request(req(), 0)).toMatchObject({ ok: false, refusal: 'forwarding-disabled' });
    router.mappings.configure({ allowReservedWan: true });
    expect(router.mappings.externalAddress()).toBe('100.64.0.5');
    router.setWanAddress(WAN);
    expect(router.mappings.externalAddress()).toBe(WAN);
    void sec;
  });
});

describe('permission rules in miniupnpd.conf syntax', () => {
  it('parsePermissionFile keeps the allow/deny lines in order, skips comments and options, names a bad line', async () => {
    const { parsePermissionFile, PermissionFileError, defaultPermissionRules } = await import('../../src/nat/index.js');
    expect(
      parsePermissionFile(
        'ext_ifname=eth0\n# comment\n\nallow 1024-65535 192.168.0.0/24 1024-65535  # trailing\r\ndeny 0-65535 0.0.0.0/0 0-65535\n',
      ),
    ).toEqual(['allow 1024-65535 192.168.0.0/24 1024-65535', 'deny 0-65535 0.0.0.0/0 0-65535']);
    let err: unknown;
    try {
      parsePermissionFile('allow 1-2 10.0.0.0/8 1-2\nallow 1-70000 10.0.0.0/8 1\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PermissionFileError);
    expect(err).toMatchObject({ line: 2, code: 'bad-permission-file', message: expect.stringMatching(/^line 2: .*above 65535/) });
    expect(defaultPermissionRules('10.0.0.0/8')).toEqual(['allow 1024-65535 10.0.0.0/8 1024-65535', 'deny 0-65535 0.0.0.0/0 0-65535']);
  });

  it("a router gets miniupnpd's shipped rules for its LAN unless its config says otherwise", () => {
    const { router } = home(natPolicy('full-cone'));
    expect(router.mappings.permitted(80, A, 80)).toBe(false);
    expect(router.mappings.permitted(1024, A, 1024)).toBe(true);
    expect(router.mappings.permitted(1024, '10.0.0.1', 1024)).toBe(false);
    const open = home(natPolicy('full-cone'), { mapping: { permissions: [] } }).router;
    expect(open.mappings.permitted(80, A, 80)).toBe(true);
  });
});
