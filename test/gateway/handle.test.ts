/**
 * The startGateway() handle end to end over real HTTP on 127.0.0.1 (ephemeral ports, multicast
 * off): description, external address, mappings with fake-time leases, events, fault injection,
 * reset, stop/dispose, plain options, errors, the reserved HTTP port.
 *
 * `await using` compiles with our tsconfig (lib esnext.disposable) and runs under vitest's
 * transform on Node 20 (Symbol.asyncDispose exists there), so the tests use it directly.
 */
import { describe, expect, it } from 'vitest';
import { type GatewayEvents, mappingView, startGateway } from '../../src/gateway/index.js';
import { FakeClock } from '../../src/nat/clock.js';
import { CFG, faultEnvelope, IGD2, IPC2, mappingArgs, portOf, soap, tcpProbe, xmlText } from './helpers.js';

const DEFAULT = 'scenarios/default.yaml';

/** Collects every event of the given names, in order. */
function record<K extends keyof GatewayEvents>(
  gw: { events: import('node:events').EventEmitter<GatewayEvents> },
  ...names: K[]
): Array<[K, GatewayEvents[K][0]]> {
  const out: Array<[K, GatewayEvents[K][0]]> = [];
  for (const n of names) {
    (gw.events.on as any)(n, (e: GatewayEvents[K][0]) => out.push([n, e]));
  }
  return out;
}

describe('startGateway on the default scenario', () => {
  it('serves the IGD:2 root description at descriptionUrl and reports the router WAN address', async () => {
    await using gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
    expect(gw.descriptionUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/rootDesc\.xml$/);
    expect(portOf(gw.descriptionUrl)).toBeGreaterThan(0);
    expect(gw.ssdpAddress.address).toBe('127.0.0.1');
    expect(gw.ssdpAddress.port).toBeGreaterThan(0);
    expect(gw.routerId).toBe('home-a');
    expect(gw.profile).toBe('miniupnpd');
    expect(gw.igdVersion).toBe(2);
    expect(gw.externalIp).toBe('203.0.113.10');

    const res = await fetch(gw.descriptionUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/xml; charset="utf-8"');
    const doc = await res.text();
    expect(xmlText(doc, 'deviceType')).toBe(IGD2);
    expect(doc).toContain(`<serviceType>${IPC2}</serviceType>`);
    expect(xmlText(doc, 'UDN')).toMatch(/^uuid:[0-9a-f-]{36}$/);

    const ip = await soap(gw, 'GetExternalIPAddress');
    expect(ip.status).toBe(200);
    expect(ip.arg('NewExternalIPAddress')).toBe('203.0.113.10');
  });

  it('AddPortMapping over SOAP lands in listMappings; the lease counts down with advance() and expires once', async () => {
    await using gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
    const expired: unknown[] = [];
    gw.events.on('mapping-expired', (e) => expired.push(mappingView(e.mapping, gw.clock.now())));

    const add = await soap(gw, 'AddPortMapping', mappingArgs({ NewLeaseDuration: 3600 }));
    expect(add.status).toBe(200);
    expect(add.body).toContain(`<u:AddPortMappingResponse xmlns:u="${IPC2}"/>`);
    const entry = {
      protocol: 'UDP',
      externalPort: 5000,
      internalClient: '192.168.1.2',
      internalPort: 5000,
      remoteHost: '',
      description: 'test',
      enabled: true,
      origin: 'upnp',
    };
    expect(gw.listMappings()).toEqual([{ ...entry, leaseDuration: 3600 }]);

    gw.advance(1000);
    expect(gw.listMappings()).toEqual([{ ...entry, leaseDuration: 3599 }]);
    gw.advance(1500); // 2.5 s in: whole seconds, rounded up
    expect(gw.listMappings()).toEqual([{ ...entry, leaseDuration: 3598 }]);
    const spec = await soap(gw, 'GetSpecificPortMappingEntry', { NewRemoteHost: '', NewExternalPort: 5000, NewProtocol: 'UDP' });
    expect(spec.arg('NewLeaseDuration')).toBe('3598');

    gw.advance(3600_000 - 2500 - 1);
    expect(gw.listMappings()).toEqual([{ ...entry, leaseDuration: 1 }]);
    expect(expired).toEqual([]);
    gw.advance(1);
    expect(gw.listMappings()).toEqual([]);
    expect(expired).toEqual([{ ...entry, leaseDuration: 0 }]);
    gw.advance(10 * 3600_000);
    gw.listMappings();
    expect(expired).toHaveLength(1);
    const after = await soap(gw, 'GetSpecificPortMappingEntry', { NewRemoteHost: '', NewExternalPort: 5000, NewProtocol: 'UDP' });
    expect(after.code).toBe(714);
  });

  it("emits soap-request, the model's mapping-created / mapping-removed, and fault with their payloads", async () => {
    await using gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
    const log = record(gw, 'soap-request', 'mapping-created', 'mapping-refreshed', 'mapping-removed', 'mapping-expired', 'fault');
    const model = {
      protocol: 'tcp',
      externalPort: 6000,
      internalClient: '192.168.1.2',
      internalPort: 6001,
      remoteHost: '',
      description: 'ev',
      enabled: true,
      origin: 'upnp',
      owner: '192.168.1.2',
      leaseSeconds: 600,
    };

    expect(
      (
        await soap(
          gw,
          'AddPortMapping',
          mappingArgs({
            NewProtocol: 'TCP',
            NewExternalPort: 6000,
            NewInternalPort: 6001,
            NewPortMappingDescription: 'ev',
            NewLeaseDuration: 600,
          }),
        )
      ).status,
    ).toBe(200);
    expect((await soap(gw, 'DeletePortMapping', { NewRemoteHost: '', NewExternalPort: 6000, NewProtocol: 'TCP' })).status).toBe(200);
    const miss = await soap(gw, 'DeletePortMapping', { NewRemoteHost: '', NewExternalPort: 6000, NewProtocol: 'TCP' });
    expect(miss.status).toBe(500);
    expect(miss.body).toBe(faultEnvelope(714, 'NoSuchEntryInArray'));

    const req = (action: string) => [
      'soap-request',
      { type: 'soap-request', action, serviceType: IPC2, client: '192.168.1.2', peer: '127.0.0.1' },
    ];
    expect(log).toEqual([
      req('AddPortMapping'),
      ['mapping-created', { type: 'mapping-created', router: gw.routerId, at: 0, origin: 'upnp', mapping: expect.objectContaining(model) }],
      req('DeletePortMapping'),
      ['mapping-removed', { type: 'mapping-removed', router: gw.routerId, at: 0, origin: 'upnp', mapping: expect.objectContaining(model) }],
      req('DeletePortMapping'),
      [
        'fault',
        expect.objectContaining({
          type: 'fault',
          action: 'DeletePortMapping',
          code: 714,
          description: 'NoSuchEntryInArray',
          client: '192.168.1.2',
        }),
      ],
    ]);
  });

  it("use({ action: 'AddPortMapping', fault: 718 }) fails only the next AddPortMapping", async () => {
    await using gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
    const faults = record(gw, 'fault');
    gw.use({ action: 'AddPortMapping', fault: 718 });
    expect(gw.pendingFaults()).toEqual([{ action: 'AddPortMapping', fault: 718 }]);

    // Another action does not consume it.
    expect((await soap(gw, 'GetExternalIPAddress')).status).toBe(200);
    expect(gw.pendingFaults()).toHaveLength(1);

    const failed = await soap(gw, 'AddPortMapping', mappingArgs());
    expect(failed.status).toBe(500);
    expect(failed.code).toBe(718);
    expect(failed.body).toContain('<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring>');
    expect(failed.body).toContain('<errorCode>718</errorCode><errorDescription>ConflictInMappingEntry</errorDescription>');
    expect(failed.body).toBe(faultEnvelope(718, 'ConflictInMappingEntry'));
    expect(failed.headers.get('content-type')).toBe('text/xml; charset="utf-8"');
    expect(gw.listMappings()).toEqual([]);
    expect(gw.pendingFaults()).toEqual([]);
    gw.assertNoPendingFaults();
    expect(faults).toEqual([
      [
        'fault',
        {
          type: 'fault',
          action: 'AddPortMapping',
          code: 718,
          description: 'ConflictInMappingEntry',
          injected: true,
          client: '192.168.1.2',
        },
      ],
    ]);

    const ok = await soap(gw, 'AddPortMapping', mappingArgs());
    expect(ok.status).toBe(200);
    const again = await soap(gw, 'AddPortMapping', mappingArgs());
    expect(again.status).toBe(200);
    expect(gw.listMappings()).toHaveLength(1);
  });

  it('an injected fault still counts as a SOAP request', async () => {
    await using gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
    const log = record(gw, 'soap-request');
    gw.use({ action: 'GetExternalIPAddress', fault: 501 });
    expect((await soap(gw, 'GetExternalIPAddress')).code).toBe(501);
    expect(log).toEqual([
      [
        'soap-request',
        { type: 'soap-request', action: 'GetExternalIPAddress', serviceType: IPC2, client: '192.168.1.2', peer: '127.0.0.1' },
      ],
    ]);
  });

  it('use({ fault: 501, times: 2 }) fails any two actions, then lets requests through', async () => {
    await using gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
    gw.use({ fault: 501, times: 2 });
    const a = await soap(gw, 'GetExternalIPAddress');
    expect([a.status, a.body]).toEqual([500, faultEnvelope(501, 'Action Failed')]);
    const b = await soap(gw, 'GetTotalBytesSent', {}, { serviceType: CFG });
    expect([b.status, b.body]).toEqual([500, faultEnvelope(501, 'Action Failed')]);
    const c = await soap(gw, 'GetStatusInfo');
    expect(c.status).toBe(200);
    expect(c.arg('NewConnectionStatus')).toBe('Connected');
    gw.assertNoPendingFaults();
  });

  it('use({ fault: { code, description } }) answers with that description', async () => {
    await using gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
    gw.use({ action: 'GetStatusInfo', fault: { code: 899, description: 'Vendor <odd> & Co' } });
    const r = await soap(gw, 'GetStatusInfo');
    expect(r.body).toBe(faultEnvelope(899, 'Vendor &lt;odd&gt; &amp; Co'));
  });

  it('use({ fault: { http: 503 } }) answers a bare HTTP 503', async () => {
    await using gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
    gw.use({ fault: { http: 503 } });
    const r = await soap(gw, 'GetExternalIPAddress');
    expect(r.status).toBe(503);
    expect(r.body).toBe('');
    expect(r.headers.get('connection')).toBe('close');
    expect((await soap(gw, 'GetExternalIPAddress')).status).toBe(200);
  });

  it('rejects nonsense injections', async () => {
    await using gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
    expect(() => gw.use({ fault: 42 })).toThrow('not a UPnP error code: 42');
    expect(() => gw.use({ fault: 718, times: 0 })).toThrow('times must be positive');
    expect(gw.pendingFaults()).toEqual([]);
  });

  it('assertNoPendingFaults() throws listing the unused injections', async () => {
    await using gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
    gw.use({ action: 'AddPortMapping', fault: 718 }, { fault: { http: 503 }, times: 2 });
    expect(() => gw.assertNoPendingFaults()).toThrow(
      '2 injected fault(s) were never used: AddPortMapping → 718; any action → {"http":503}',
    );
    // An unlimited injection is never "pending".
    gw.reset();
    gw.use({ action: 'GetStatusInfo', fault: 501, times: Infinity });
    gw.assertNoPendingFaults();
    expect((await soap(gw, 'GetStatusInfo')).code).toBe(501);
    expect((await soap(gw, 'GetStatusInfo')).code).toBe(501);
  });

  it('stop({ strict: true }) stops, then rejects on unused injections', async () => {
    const gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
    gw.use({ action: 'DeletePortMapping', fault: 714 });
    await expect(gw.stop({ strict: true })).rejects.toThrow('1 injected fault(s) were never used: DeletePortMapping → 714');
    expect(await tcpProbe(portOf(gw.descriptionUrl))).toBe('ECONNREFUSED');
    await expect(gw.stop()).resolves.toBeUndefined();

    const clean = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
    clean.use({ fault: 501 });
    expect((await soap(clean, 'GetStatusInfo')).code).toBe(501);
    await expect(clean.stop({ strict: true })).resolves.toBeUndefined();
  });

  it('reset() drops UPnP mappings and faults but keeps the static forwards of the scenario', async () => {
    await using gw = await startGateway({
      scenario: 'scenarios/ispq-02-router-forwarding-rule.yaml',
      mxDelay: 'none',
      clock: new FakeClock(0),
    });
    const statics = gw.listMappings();
    expect(statics).toHaveLength(3 + 101);
    expect(statics.every((m) => m.origin === 'static' && m.internalClient === '192.168.0.100')).toBe(true);
    expect(statics[0]).toEqual({
      protocol: 'TCP',
      externalPort: 2000,
      internalClient: '192.168.0.100',
      internalPort: 2000,
      remoteHost: '',
      description: 'iSpQ video control, data, quick message',
      enabled: true,
      leaseDuration: 0,
      origin: 'static',
    });

    // The static forwards hold their ports against UPnP (miniupnpd: another mechanism holds it).
    expect(
      (await soap(gw, 'AddPortMapping', mappingArgs({ NewProtocol: 'TCP', NewExternalPort: 2001, NewInternalClient: '192.168.0.2' }))).code,
    ).toBe(729);
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewExternalPort: 7000, NewInternalClient: '192.168.0.2' }))).status).toBe(200);
    expect(gw.listMappings()).toHaveLength(105);
    gw.use({ fault: 718 });
    const removed: unknown[] = [];
    gw.events.on('mapping-removed', (e) => removed.push(mappingView(e.mapping, gw.clock.now())));

    gw.reset();
    expect(gw.listMappings()).toEqual(statics);
    expect(gw.pendingFaults()).toEqual([]);
    expect(removed).toEqual([expect.objectContaining({ externalPort: 7000, origin: 'upnp' })]);
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewExternalPort: 7000, NewInternalClient: '192.168.0.2' }))).status).toBe(200);
  });

  it('stop() twice is safe, after stop the HTTP port refuses connections', async () => {
    const gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
    const port = portOf(gw.descriptionUrl);
    expect(await tcpProbe(port)).toBe('connected');
    await expect(Promise.all([gw.stop(), gw.stop()])).resolves.toEqual([undefined, undefined]);
    await expect(gw.stop()).resolves.toBeUndefined();
    expect(await tcpProbe(port)).toBe('ECONNREFUSED');
    await expect(fetch(gw.descriptionUrl)).rejects.toThrow('fetch failed');
  });

  it('stop() closes a keep-alive connection that is still open', async () => {
    const gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
    const net = await import('node:net');
    const sock = net.connect({ host: '127.0.0.1', port: portOf(gw.descriptionUrl) });
    await new Promise((r) => sock.once('connect', r));
    const closed = new Promise((r) => sock.once('close', r));
    await gw.stop();
    await closed;
    expect(sock.destroyed).toBe(true);
  });

  it('[Symbol.asyncDispose] stops the gateway', async () => {
    let port = 0;
    {
      await using gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
      port = portOf(gw.descriptionUrl);
      expect(await tcpProbe(port)).toBe('connected');
    }
    expect(await tcpProbe(port)).toBe('ECONNREFUSED');
  });

  it('advance() needs an advanceable clock', async () => {
    await using gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: { now: () => 0 } });
    expect(() => gw.advance(1000)).toThrow('advance() needs a clock with advance()');
    await using real = await startGateway({ scenario: DEFAULT, mxDelay: 'none' });
    expect((await soap(real, 'AddPortMapping', mappingArgs({ NewLeaseDuration: 60 }))).status).toBe(200);
    real.advance(60_000);
    expect(real.listMappings()).toEqual([]);
    expect(() => real.advance(-1)).toThrow(RangeError);
  });
});

describe('startGateway without a scenario', () => {
  it('serves a plain router from { nat, wan }', async () => {
    await using gw = await startGateway({ nat: 'symmetric', wan: '198.51.100.77', mxDelay: 'none', clock: new FakeClock(0) });
    expect(gw.routerId).toBe('gateway');
    expect(gw.externalIp).toBe('198.51.100.77');
    expect(gw.router.wanAddress).toBe('198.51.100.77');
    expect(gw.router.lanAddressText).toBe('192.168.1.1');
    expect(gw.router.policy).toMatchObject({ mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent' });
    expect((await soap(gw, 'GetExternalIPAddress')).arg('NewExternalIPAddress')).toBe('198.51.100.77');
    expect((await soap(gw, 'AddPortMapping', mappingArgs())).status).toBe(200);
    expect(gw.listMappings()).toEqual([expect.objectContaining({ externalPort: 5000, internalClient: '192.168.1.2', origin: 'upnp' })]);
  });

  it('with only nat, wan or lan: one plain router, 203.0.113.1, port-restricted cone, miniupnpd by default', async () => {
    await using gw = await startGateway({ lan: '192.168.7.0/24', mxDelay: 'none' });
    expect([gw.routerId, gw.externalIp, gw.profile, gw.igdVersion, gw.router.lanAddressText]).toEqual([
      'gateway',
      '203.0.113.1',
      'miniupnpd',
      2,
      '192.168.7.1',
    ]);
    expect(gw.router.policy).toMatchObject({ mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' });
  });

  it('with no options at all: the default scenario, the router `natsim serve` serves', async () => {
    await using gw = await startGateway({ mxDelay: 'none' });
    expect([gw.routerId, gw.externalIp, gw.profile, gw.igdVersion]).toEqual(['home-a', '203.0.113.10', 'miniupnpd', 2]);
    expect(gw.router.lanAddressText).toBe('192.168.1.1');
  });
});

describe('startGateway errors', () => {
  it('names the routers when the router id is unknown', async () => {
    await expect(startGateway({ scenario: 'scenarios/wm-04-isp-nat.yaml', router: 'nope' })).rejects.toThrow(
      'no router "nope" in the scenario (routers: isp-nat, home-a)',
    );
  });

  it('names the profiles when the profile is unknown, and leaves no socket behind', async () => {
    const net = (await import('node:net')).default;
    const { vi } = await import('vitest');
    const spy = vi.spyOn(net, 'createServer');
    try {
      await expect(startGateway({ scenario: DEFAULT, profile: 'nope' })).rejects.toThrow(
        /unknown router profile "nope" \(known: miniupnpd, miniupnpd-igd1, /,
      );
      // The profile is checked before any socket is opened.
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('rejects a missing scenario file', async () => {
    await expect(startGateway({ scenario: 'scenarios/does-not-exist.yaml' })).rejects.toThrow(/does-not-exist\.yaml/);
  });
});

describe('reserved ports', () => {
  it("AddPortMapping on the gateway's own HTTP port is 729 (IGD:2), the SSDP port too", async () => {
    await using gw = await startGateway({ scenario: DEFAULT, mxDelay: 'none', clock: new FakeClock(0) });
    const http = portOf(gw.descriptionUrl);
    const r = await soap(gw, 'AddPortMapping', mappingArgs({ NewProtocol: 'TCP', NewExternalPort: http, NewInternalPort: 8080 }));
    expect(r.status).toBe(500);
    expect(r.body).toBe(faultEnvelope(729, 'ConflictWithOtherMechanisms'));
    const s = await soap(gw, 'AddPortMapping', mappingArgs({ NewProtocol: 'UDP', NewExternalPort: gw.ssdpAddress.port }));
    expect(s.code).toBe(729);
    expect(gw.listMappings()).toEqual([]);
    // The same number on the other protocol is free.
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewProtocol: 'UDP', NewExternalPort: http }))).status).toBe(200);
  });

  it('is 718 on an IGD:1 build', async () => {
    await using gw = await startGateway({ scenario: DEFAULT, profile: 'miniupnpd-igd1', mxDelay: 'none', clock: new FakeClock(0) });
    const r = await soap(gw, 'AddPortMapping', mappingArgs({ NewProtocol: 'TCP', NewExternalPort: portOf(gw.descriptionUrl) }));
    expect(r.code).toBe(718);
  });
});
