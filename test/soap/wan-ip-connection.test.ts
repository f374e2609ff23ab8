import { describe, expect, it } from 'vitest';
import { ep } from '../../src/nat/address.js';
import { DEFAULT_PROFILE } from '../../src/soap/profiles.js';
import { call, client, IPC1, IPC2, makeFixture, mapping } from './helpers.js';

describe('AddPortMapping', () => {
  it('adds a mapping to the forward table with origin upnp and answers the request namespace', () => {
    const { igd, router, modelEvents } = makeFixture();
    const r = call(igd, 'AddPortMapping', mapping());
    expect(r.status).toBe(200);
    expect(r.body).toBe(
      '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' +
        's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>' +
        `<u:AddPortMappingResponse xmlns:u="${IPC2}"/></s:Body></s:Envelope>\r\n`,
    );
    const e = router.forwards.find('udp', 5000);
    expect(e).toMatchObject({
      origin: 'upnp',
      internalClient: '192.168.1.20',
      internalPort: 5000,
      description: 'test',
      leaseSeconds: 3600,
    });
    expect(modelEvents.some((x) => x.type === 'mapping-created' && x.origin === 'upnp' && x.router === 'r1')).toBe(true);
  });

  it('echoes a WANIPConnection:1 namespace on an IGDv2', () => {
    const { igd } = makeFixture();
    const r = call(igd, 'AddPortMapping', mapping(), { serviceType: IPC1 });
    expect(r.body).toContain(`<u:AddPortMappingResponse xmlns:u="${IPC1}"/>`);
  });

  it('402 when a required argument is missing', () => {
    const { igd } = makeFixture();
    for (const k of ['NewExternalPort', 'NewInternalPort', 'NewProtocol']) {
      const args = mapping();
      delete args[k];
      expect(call(igd, 'AddPortMapping', args).code, k).toBe(402);
    }
  });

  it('402 for ill-formed ports, protocol, client and lease', () => {
    // The default (miniupnpd's shipped) permission rules see internal port 0 first: 606.
    expect(call(makeFixture().igd, 'AddPortMapping', mapping({ NewInternalPort: 0 })).code).toBe(606);
    const { igd } = makeFixture({ permissions: [] });
    expect(call(igd, 'AddPortMapping', mapping({ NewInternalPort: 0 })).code).toBe(402);
    expect(call(igd, 'AddPortMapping', mapping({ NewInternalPort: 'x' })).code).toBe(402);
    expect(call(igd, 'AddPortMapping', mapping({ NewExternalPort: 70000 })).code).toBe(402);
    expect(call(igd, 'AddPortMapping', mapping({ NewInternalClient: 'not-a-host' })).code).toBe(402);
    expect(call(igd, 'AddPortMapping', mapping({ NewLeaseDuration: 'soon' })).code).toBe(402);
    expect(call(igd, 'AddPortMapping', mapping({ NewLeaseDuration: -5 })).code).toBe(402);
    expect(call(igd, 'AddPortMapping', mapping({ NewRemoteHost: 'example.com' })).code).toBe(402);
  });

  it('unknown protocols are TCP, as in miniupnpd; 402 with protocolCheck case-insensitive', () => {
    const { igd, router } = makeFixture();
    expect(call(igd, 'AddPortMapping', mapping({ NewProtocol: 'SCTP' })).status).toBe(200);
    expect(call(igd, 'AddPortMapping', mapping({ NewExternalPort: 5001, NewProtocol: '' })).status).toBe(200);
    expect(router.forwards.list().map((e) => e.protocol)).toEqual(['tcp', 'tcp']);
    // nat-port-mapper deletes with NewProtocol "" (= TCP in miniupnpd).
    expect(call(igd, 'DeletePortMapping', { NewRemoteHost: '', NewExternalPort: 5001, NewProtocol: '' }).status).toBe(200);
    const strict = makeFixture({ profile: { ...DEFAULT_PROFILE, protocolCheck: 'case-insensitive' } });
    expect(call(strict.igd, 'AddPortMapping', mapping({ NewProtocol: 'SCTP' })).code).toBe(402);
    expect(call(strict.igd, 'AddPortMapping', mapping({ NewProtocol: 'udp' })).status).toBe(200);
  });

  it('716 for external port 0 or the * wildcard', () => {
    const { igd } = makeFixture();
    expect(call(igd, 'AddPortMapping', mapping({ NewExternalPort: 0 })).code).toBe(716);
    expect(call(igd, 'AddPortMapping', mapping({ NewExternalPort: '*' })).code).toBe(716);
    const r = call(igd, 'AddPortMapping', mapping({ NewExternalPort: 0 }));
    expect(r.body).toContain('<errorDescription>WildCardNotPermittedInExtPort</errorDescription>');
  });

  it('accepts lowercase protocol like miniupnpd (case-insensitive)', () => {
    const { igd, router } = makeFixture();
    expect(call(igd, 'AddPortMapping', mapping({ NewProtocol: 'tcp' })).status).toBe(200);
    expect(router.forwards.find('tcp', 5000)).toBeDefined();
  });

  it('an empty NewInternalClient means the requester (non-strict miniupnpd)', () => {
    const { igd, router } = makeFixture();
    expect(call(igd, 'AddPortMapping', mapping({ NewInternalClient: '' })).status).toBe(200);
    expect(router.forwards.find('udp', 5000)?.internalClient).toBe('192.168.1.20');
  });

  it('IGDv2 clamps lease 0 and leases above 604800 to 604800', () => {
    const { igd, router } = makeFixture();
    call(igd, 'AddPortMapping', mapping({ NewLeaseDuration: 0 }));
    expect(router.forwards.find('udp', 5000)?.leaseSeconds).toBe(604800);
    call(igd, 'AddPortMapping', mapping({ NewExternalPort: 5001, NewLeaseDuration: 999999 }));
    expect(router.forwards.find('udp', 5001)?.leaseSeconds).toBe(604800);
    call(igd, 'AddPortMapping', mapping({ NewExternalPort: 5002, NewLeaseDuration: 60 }));
    expect(router.forwards.find('udp', 5002)?.leaseSeconds).toBe(60);
  });

  it('IGDv1 treats lease 0 as permanent and keeps large leases', () => {
    const { igd, router, clock } = makeFixture({ igdVersion: 1 });
    call(igd, 'AddPortMapping', mapping({ NewLeaseDuration: 0 }));
    const e = router.forwards.find('udp', 5000)!;
    expect(e.leaseSeconds).toBe(0);
    expect(e.expiresAt).toBe(Infinity);
    call(igd, 'AddPortMapping', mapping({ NewExternalPort: 5001, NewLeaseDuration: 999999 }));
    expect(router.forwards.find('udp', 5001)?.leaseSeconds).toBe(999999);
    clock.advance(10 * 86400 * 1000);
    expect(
      call(igd, 'GetSpecificPortMappingEntry', { NewRemoteHost: '', NewExternalPort: 5000, NewProtocol: 'UDP' }).arg('NewLeaseDuration'),
    ).toBe('0');
  });

  it('same port, protocol, remote host and client overwrites in place (refresh)', () => {
    const { igd, router, clock, modelEvents } = makeFixture();
    call(igd, 'AddPortMapping', mapping({ NewExternalPort: 4000, NewInternalPort: 4000 }));
    call(igd, 'AddPortMapping', mapping());
    clock.advance(1000_000);
    const r = call(igd, 'AddPortMapping', mapping({ NewInternalPort: 6000, NewPortMappingDescription: 'new', NewLeaseDuration: 7200 }));
    expect(r.status).toBe(200);
    expect(router.forwards.size).toBe(2);
    expect(router.forwards.at(1)).toMatchObject({ externalPort: 5000, internalPort: 6000, description: 'new' });
    expect(
      call(igd, 'GetSpecificPortMappingEntry', { NewRemoteHost: '', NewExternalPort: 5000, NewProtocol: 'UDP' }).arg('NewLeaseDuration'),
    ).toBe('7200');
    expect(modelEvents.at(-1)).toMatchObject({ type: 'mapping-refreshed', origin: 'upnp', mapping: { internalPort: 6000 } });
  });

  it('718 when another client holds the port (secure mode off)', () => {
    const { igd } = makeFixture({ secureMode: false });
    call(igd, 'AddPortMapping', mapping());
    const r = call(igd, 'AddPortMapping', mapping({ NewInternalClient: '192.168.1.30' }), { from: client('192.168.1.30') });
    expect(r.code).toBe(718);
    expect(r.body).toContain('<errorDescription>ConflictInMappingEntry</errorDescription>');
  });

  it('718 when the same port is asked for another remote host (miniupnpd keeps one mapping per port)', () => {
    const { igd } = makeFixture();
    call(igd, 'AddPortMapping', mapping());
    expect(call(igd, 'AddPortMapping', mapping({ NewRemoteHost: '8.8.8.8' })).code).toBe(718);
  });

  it('718 when a dynamic NAT mapping holds the external port', () => {
    const { igd, network } = makeFixture();
    network.addHost({ id: 'pc', address: '192.168.1.40', on: 'r1' });
    network.addHost({ id: 'srv', address: '8.8.8.8' });
    const d = network.send('pc', { proto: 'udp', src: ep('192.168.1.40', 7000), dst: ep('8.8.8.8', 53) });
    expect(d.delivered).toBe(true);
    const port = d.packet.src.port;
    expect(call(igd, 'AddPortMapping', mapping({ NewExternalPort: port })).code).toBe(718);
  });

  it('729 (IGDv2) / 718 (IGDv1) for a port the router itself uses or a static forward', () => {
    const reserved = {
      reservedPorts: [{ protocol: 'tcp' as const, port: 5000 }],
      forwards: [{ protocol: 'udp' as const, externalPort: 22, internalClient: '192.168.1.5', internalPort: 22 }],
    };
    // No permission rules: the default ones would deny port 22 first (606).
    const v2 = makeFixture({ permissions: [] }, reserved);
    expect(call(v2.igd, 'AddPortMapping', mapping({ NewProtocol: 'TCP' })).code).toBe(729);
    expect(call(v2.igd, 'AddPortMapping', mapping({ NewExternalPort: 22 })).code).toBe(729);
    const v1 = makeFixture({ igdVersion: 1 }, reserved);
    expect(call(v1.igd, 'AddPortMapping', mapping({ NewProtocol: 'TCP' })).code).toBe(718);
  });

  it('501 when the forward table is full', () => {
    const { igd } = makeFixture({}, { maxForwards: 1 });
    expect(call(igd, 'AddPortMapping', mapping()).status).toBe(200);
    expect(call(igd, 'AddPortMapping', mapping({ NewExternalPort: 5001 })).code).toBe(501);
  });
});

describe('descriptions', () => {
  it('are cut to 63 characters when the mapping is accepted (a 60,000-character one is not stored whole)', () => {
    const { igd, router } = makeFixture();
    expect(call(igd, 'AddPortMapping', mapping({ NewPortMappingDescription: 'x'.repeat(60_000) })).status).toBe(200);
    expect(router.forwards.find('udp', 5000)!.description).toBe('x'.repeat(63));
    expect(call(igd, 'AddAnyPortMapping', mapping({ NewExternalPort: 6000, NewPortMappingDescription: 'é'.repeat(100) })).status).toBe(200);
    expect(router.forwards.find('udp', 6000)!.description).toHaveLength(63);
  });
});

describe('secure mode', () => {
  it('IGDv2: 606 when NewInternalClient is not the requester', () => {
    const { igd } = makeFixture();
    const r = call(igd, 'AddPortMapping', mapping({ NewInternalClient: '192.168.1.99' }));
    expect(r.code).toBe(606);
    expect(r.body).toContain('<errorDescription>Action not authorized</errorDescription>');
  });

  it("IGDv1: 718 on add, 714 on delete of another client's mapping", () => {
    const { igd } = makeFixture({ igdVersion: 1 });
    expect(call(igd, 'AddPortMapping', mapping({ NewInternalClient: '192.168.1.99' })).code).toBe(718);
    call(igd, 'AddPortMapping', mapping());
    const del = { NewRemoteHost: '', NewExternalPort: 5000, NewProtocol: 'UDP' };
    expect(call(igd, 'DeletePortMapping', del, { from: client('192.168.1.30') }).code).toBe(714);
  });

  it("IGDv2: 606 on delete of another client's mapping; the owner may delete", () => {
    const { igd, router } = makeFixture();
    call(igd, 'AddPortMapping', mapping());
    const del = { NewRemoteHost: '', NewExternalPort: 5000, NewProtocol: 'UDP' };
    expect(call(igd, 'DeletePortMapping', del, { from: client('192.168.1.30') }).code).toBe(606);
    expect(call(igd, 'DeletePortMapping', del).status).toBe(200);
    expect(router.forwards.size).toBe(0);
  });

  it('secure mode off lets a client map another address', () => {
    const { igd, router } = makeFixture({ secureMode: false });
    expect(call(igd, 'AddPortMapping', mapping({ NewInternalClient: '192.168.1.99' })).status).toBe(200);
    expect(router.forwards.find('udp', 5000)?.internalClient).toBe('192.168.1.99');
  });

  it('a loopback requester may name 127.0.0.1; the mapping is stored for its LAN address', () => {
    const { igd, router } = makeFixture();
    const loop = { address: '192.168.1.2', peer: '127.0.0.1', loopback: true };
    expect(call(igd, 'AddPortMapping', mapping({ NewInternalClient: '127.0.0.1' }), { from: loop }).status).toBe(200);
    expect(router.forwards.find('udp', 5000)?.internalClient).toBe('192.168.1.2');
    expect(call(igd, 'AddPortMapping', mapping({ NewExternalPort: 5001, NewInternalClient: '192.168.1.2' }), { from: loop }).status).toBe(
      200,
    );
    expect(call(igd, 'AddPortMapping', mapping({ NewExternalPort: 5002, NewInternalClient: '192.168.1.20' }), { from: loop }).code).toBe(
      606,
    );
  });
});

describe('permission rules', () => {
  const rules = ['deny 0-1023 0.0.0.0/0 0-65535', 'allow 1024-65535 192.168.1.0/24 1024-65535', 'deny 0-65535 0.0.0.0/0 0-65535'];

  it('first matching rule wins: 606 on IGDv2, 718 on IGDv1', () => {
    const v2 = makeFixture({ permissions: rules });
    expect(call(v2.igd, 'AddPortMapping', mapping({ NewExternalPort: 80 })).code).toBe(606);
    expect(call(v2.igd, 'AddPortMapping', mapping({ NewInternalPort: 80 })).code).toBe(606);
    expect(call(v2.igd, 'AddPortMapping', mapping()).status).toBe(200);
    const v1 = makeFixture({ igdVersion: 1, permissions: rules });
    expect(call(v1.igd, 'AddPortMapping', mapping({ NewExternalPort: 80 })).code).toBe(718);
  });

  it("default rules are miniupnpd's shipped ones: 1024–65535 to 1024–65535 for the LAN, the rest denied (22, 80, 443 → 606)", () => {
    const { igd, router } = makeFixture();
    for (const port of [22, 80, 443, 1023]) {
      expect(call(igd, 'AddPortMapping', mapping({ NewExternalPort: port, NewInternalPort: 5000 })).code, `external ${port}`).toBe(606);
      expect(call(igd, 'AddPortMapping', mapping({ NewExternalPort: 5000, NewInternalPort: port })).code, `internal ${port}`).toBe(606);
    }
    expect(call(igd, 'AddPortMapping', mapping({ NewExternalPort: 1024, NewInternalPort: 65535 })).status).toBe(200);
    expect(router.mappings.config.permissions.map((r) => r.text)).toEqual([
      'allow 1024-65535 192.168.1.0/24 1024-65535',
      'deny 0-65535 0.0.0.0/0 0-65535',
    ]);
    // No rules at all: everything is allowed, as miniupnpd without permission lines.
    expect(call(makeFixture({ permissions: [] }).igd, 'AddPortMapping', mapping({ NewExternalPort: 80, NewInternalPort: 80 })).status).toBe(
      200,
    );
  });

  it('rejects bad rule syntax at configuration time', () => {
    expect(() => makeFixture({ permissions: ['maybe 1-2 1.2.3.4 1-2'] })).toThrow(/allow or deny/);
    expect(() => makeFixture({ permissions: ['allow 1-99999 1.2.3.4 1-2'] })).toThrow(/65535/);
  });
});

describe('GetSpecificPortMappingEntry / GetGenericPortMappingEntry', () => {
  it('reports the mapping with the remaining lease, decreasing with the clock; expiry removes it', () => {
    const { igd, clock, router } = makeFixture();
    call(igd, 'AddPortMapping', mapping({ NewLeaseDuration: 100 }));
    const q = { NewRemoteHost: '', NewExternalPort: 5000, NewProtocol: 'UDP' };
    let r = call(igd, 'GetSpecificPortMappingEntry', q);
    expect(r.body).toContain(
      `<u:GetSpecificPortMappingEntryResponse xmlns:u="${IPC2}"><NewInternalPort>5000</NewInternalPort>` +
        '<NewInternalClient>192.168.1.20</NewInternalClient><NewEnabled>1</NewEnabled>' +
        '<NewPortMappingDescription>test</NewPortMappingDescription><NewLeaseDuration>100</NewLeaseDuration></u:GetSpecificPortMappingEntryResponse>',
    );
    clock.advance(40_000);
    r = call(igd, 'GetSpecificPortMappingEntry', q);
    expect(r.arg('NewLeaseDuration')).toBe('60');
    expect(call(igd, 'GetGenericPortMappingEntry', { NewPortMappingIndex: 0 }).arg('NewLeaseDuration')).toBe('60');
    clock.advance(60_000);
    expect(call(igd, 'GetSpecificPortMappingEntry', q).code).toBe(714);
    expect(router.forwards.size).toBe(0);
  });

  it('router.expire alone removes the expired mapping', () => {
    const { igd, clock, router } = makeFixture();
    call(igd, 'AddPortMapping', mapping({ NewLeaseDuration: 10 }));
    clock.advance(10_000);
    router.expire(clock.now());
    expect(router.forwards.size).toBe(0);
  });

  it('714 for an absent entry, 402 for a missing or zero port', () => {
    const { igd } = makeFixture();
    expect(call(igd, 'GetSpecificPortMappingEntry', { NewRemoteHost: '', NewExternalPort: 1234, NewProtocol: 'TCP' }).code).toBe(714);
    expect(call(igd, 'GetSpecificPortMappingEntry', { NewRemoteHost: '', NewProtocol: 'TCP' }).code).toBe(402);
    expect(call(igd, 'GetSpecificPortMappingEntry', { NewRemoteHost: '', NewExternalPort: 0, NewProtocol: 'TCP' }).code).toBe(402);
  });

  it('iterates with GetGenericPortMappingEntry until 713, in creation order', () => {
    const { igd } = makeFixture();
    for (const [port, proto] of [
      [5000, 'UDP'],
      [6000, 'TCP'],
      [7000, 'UDP'],
    ] as const) {
      call(igd, 'AddPortMapping', mapping({ NewExternalPort: port, NewInternalPort: port, NewProtocol: proto }));
    }
    const seen: string[] = [];
    for (let i = 0; ; i++) {
      const r = call(igd, 'GetGenericPortMappingEntry', { NewPortMappingIndex: i });
      if (r.code !== undefined) {
        expect(r.code).toBe(713);
        expect(r.body).toContain('<errorDescription>SpecifiedArrayIndexInvalid</errorDescription>');
        break;
      }
      seen.push(`${r.arg('NewProtocol')} ${r.arg('NewExternalPort')}`);
      expect(r.body).toContain('<NewRemoteHost></NewRemoteHost><NewExternalPort>');
    }
    expect(seen).toEqual(['UDP 5000', 'TCP 6000', 'UDP 7000']);
  });

  it('lists NAT-PMP/PCP entries but not static forwards', () => {
    const { igd, router, clock } = makeFixture(
      {},
      {
        forwards: [{ protocol: 'tcp', externalPort: 22, internalClient: '192.168.1.5', internalPort: 22 }],
      },
    );
    router.forwards.add(
      {
        protocol: 'udp',
        externalPort: 9000,
        internalClient: '192.168.1.7',
        internalPort: 9000,
        origin: 'natpmp',
        description: 'NAT-PMP 9000 udp',
        leaseSeconds: 60,
      },
      clock.now(),
    );
    expect(call(igd, 'GetGenericPortMappingEntry', { NewPortMappingIndex: 0 }).arg('NewExternalPort')).toBe('9000');
    expect(call(igd, 'GetGenericPortMappingEntry', { NewPortMappingIndex: 1 }).code).toBe(713);
  });

  it('402 for a missing or non-numeric index; 713 for a negative one', () => {
    const { igd } = makeFixture();
    expect(call(igd, 'GetGenericPortMappingEntry', {}).code).toBe(402);
    expect(call(igd, 'GetGenericPortMappingEntry', { NewPortMappingIndex: 'abc' }).code).toBe(402);
    expect(call(igd, 'GetGenericPortMappingEntry', { NewPortMappingIndex: -1 }).code).toBe(713);
  });

  it('escapes descriptions and truncates them to 63 bytes like miniupnpd', () => {
    const { igd } = makeFixture();
    call(igd, 'AddPortMapping', mapping({ NewPortMappingDescription: 'a&amp;b&lt;c' }));
    expect(call(igd, 'GetGenericPortMappingEntry', { NewPortMappingIndex: 0 }).arg('NewPortMappingDescription')).toBe('a&amp;b&lt;c');
    call(igd, 'AddPortMapping', mapping({ NewExternalPort: 5001, NewPortMappingDescription: 'x'.repeat(100) }));
    expect(call(igd, 'GetGenericPortMappingEntry', { NewPortMappingIndex: 1 }).arg('NewPortMappingDescription')).toBe('x'.repeat(63));
  });
});

describe('DeletePortMapping', () => {
  it('deletes; 714 when absent; 402 when arguments are missing', () => {
    const { igd, router, modelEvents } = makeFixture();
    call(igd, 'AddPortMapping', mapping());
    const del = { NewRemoteHost: '', NewExternalPort: 5000, NewProtocol: 'UDP' };
    const r = call(igd, 'DeletePortMapping', del);
    expect(r.body).toContain(`<u:DeletePortMappingResponse xmlns:u="${IPC2}"></u:DeletePortMappingResponse>`);
    expect(router.forwards.size).toBe(0);
    expect(modelEvents.some((e) => e.type === 'mapping-removed')).toBe(true);
    expect(call(igd, 'DeletePortMapping', del).code).toBe(714);
    expect(call(igd, 'DeletePortMapping', { NewExternalPort: 5000 }).code).toBe(402);
    expect(call(igd, 'DeletePortMapping', { NewExternalPort: 0, NewProtocol: 'UDP' }).code).toBe(402);
  });

  it('does not delete static forwards (714)', () => {
    const { igd } = makeFixture(
      {},
      { forwards: [{ protocol: 'tcp', externalPort: 22, internalClient: '192.168.1.20', internalPort: 22 }] },
    );
    expect(call(igd, 'DeletePortMapping', { NewRemoteHost: '', NewExternalPort: 22, NewProtocol: 'TCP' }).code).toBe(714);
  });
});

describe('AddAnyPortMapping (IGDv2)', () => {
  it('returns the asked port when free', () => {
    const { igd, router } = makeFixture();
    const r = call(igd, 'AddAnyPortMapping', mapping({ NewExternalPort: 6000 }));
    expect(r.body).toContain(
      `<u:AddAnyPortMappingResponse xmlns:u="${IPC2}"><NewReservedPort>6000</NewReservedPort></u:AddAnyPortMappingResponse>`,
    );
    expect(router.forwards.find('udp', 6000)?.leaseSeconds).toBe(3600);
  });

  it('searches +1, -1, +2 … around a taken port', () => {
    const { igd } = makeFixture({ secureMode: false });
    call(igd, 'AddPortMapping', mapping({ NewInternalClient: '192.168.1.30' }));
    call(igd, 'AddPortMapping', mapping({ NewExternalPort: 5001, NewInternalClient: '192.168.1.30' }));
    const r = call(igd, 'AddAnyPortMapping', mapping());
    expect(r.arg('NewReservedPort')).toBe('4999');
  });

  it("refreshes the client's own mapping on the asked port", () => {
    const { igd, router } = makeFixture();
    call(igd, 'AddPortMapping', mapping());
    expect(call(igd, 'AddAnyPortMapping', mapping({ NewLeaseDuration: 0 })).arg('NewReservedPort')).toBe('5000');
    expect(router.forwards.size).toBe(1);
    expect(router.forwards.find('udp', 5000)?.leaseSeconds).toBe(604800);
  });

  it('picks a port for 0 or *, deterministically from the rng', () => {
    const { igd } = makeFixture();
    const a = Number(call(igd, 'AddAnyPortMapping', mapping({ NewExternalPort: 0 })).arg('NewReservedPort'));
    const b = Number(call(igd, 'AddAnyPortMapping', mapping({ NewExternalPort: '*' })).arg('NewReservedPort'));
    expect(a).toBeGreaterThanOrEqual(1024);
    expect(b).toBeGreaterThanOrEqual(1024);
    const again = makeFixture();
    expect(Number(call(again.igd, 'AddAnyPortMapping', mapping({ NewExternalPort: 0 })).arg('NewReservedPort'))).toBe(a);
  });

  it('728 when no port is available (permissions deny everything else; or the table is full)', () => {
    const { igd } = makeFixture({ permissions: ['allow 5000 192.168.1.30 5000', 'deny 0-65535 0.0.0.0/0 0-65535'], secureMode: false });
    // 192.168.1.30 holds 5000, every other port is denied for .30.
    expect(call(igd, 'AddPortMapping', mapping({ NewInternalClient: '192.168.1.30' })).status).toBe(200);
    const r = call(igd, 'AddAnyPortMapping', mapping({ NewInternalClient: '192.168.1.31' }));
    expect(r.code).toBe(728);
    const full = makeFixture({}, { maxForwards: 1 });
    call(full.igd, 'AddPortMapping', mapping());
    expect(call(full.igd, 'AddAnyPortMapping', mapping({ NewExternalPort: 6000 })).code).toBe(728);
  });

  it('402 for missing arguments or internal port 0; 606 for another client', () => {
    const { igd } = makeFixture();
    const args = mapping();
    delete args.NewInternalClient;
    expect(call(igd, 'AddAnyPortMapping', args).code).toBe(402);
    expect(call(igd, 'AddAnyPortMapping', mapping({ NewInternalPort: 0 })).code).toBe(402);
    expect(call(igd, 'AddAnyPortMapping', mapping({ NewExternalPort: '12ab' })).code).toBe(402);
    expect(call(igd, 'AddAnyPortMapping', mapping({ NewInternalClient: '192.168.1.50' })).code).toBe(606);
  });
});

describe('DeletePortMappingRange / GetListOfPortMappings (IGDv2)', () => {
  function populate(igd: ReturnType<typeof makeFixture>['igd']): void {
    for (const port of [5000, 5001, 5002, 7000]) {
      call(
        igd,
        'AddPortMapping',
        mapping({ NewExternalPort: port, NewInternalPort: port, NewProtocol: 'TCP', NewPortMappingDescription: `d${port}` }),
      );
    }
    call(igd, 'AddPortMapping', mapping({ NewExternalPort: 5003 }));
  }

  it("GetListOfPortMappings builds miniupnpd's PortMappingList in a CDATA section", () => {
    const { igd } = makeFixture();
    populate(igd);
    const r = call(igd, 'GetListOfPortMappings', {
      NewStartPort: 5000,
      NewEndPort: 5001,
      NewProtocol: 'TCP',
      NewManage: 1,
      NewNumberOfPorts: 0,
    });
    expect(r.body).toContain(
      `<u:GetListOfPortMappingsResponse xmlns:u="${IPC2}"><NewPortListing><![CDATA[` +
        '<p:PortMappingList xmlns:p="urn:schemas-upnp-org:gw:WANIPConnection" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' +
        'xsi:schemaLocation="urn:schemas-upnp-org:gw:WANIPConnection http://www.upnp.org/schemas/gw/WANIPConnection-v2.xsd">' +
        '<p:PortMappingEntry><p:NewRemoteHost></p:NewRemoteHost><p:NewExternalPort>5000</p:NewExternalPort><p:NewProtocol>TCP</p:NewProtocol>' +
        '<p:NewInternalPort>5000</p:NewInternalPort><p:NewInternalClient>192.168.1.20</p:NewInternalClient><p:NewEnabled>1</p:NewEnabled>' +
        '<p:NewDescription>d5000</p:NewDescription><p:NewLeaseTime>3600</p:NewLeaseTime></p:PortMappingEntry>' +
        '<p:PortMappingEntry><p:NewRemoteHost></p:NewRemoteHost><p:NewExternalPort>5001</p:NewExternalPort>',
    );
    expect(r.body).toContain('</p:PortMappingList>]]></NewPortListing></u:GetListOfPortMappingsResponse>');
    expect(r.body).not.toContain('5002</p:NewExternalPort>');
    const one = call(igd, 'GetListOfPortMappings', {
      NewStartPort: 0,
      NewEndPort: 65535,
      NewProtocol: 'TCP',
      NewManage: 1,
      NewNumberOfPorts: 1,
    });
    expect(one.body.match(/<p:PortMappingEntry>/g)).toHaveLength(1);
  });

  it('GetListOfPortMappings: 402 for missing/non-numeric args, 733 for start > end', () => {
    const { igd } = makeFixture();
    expect(call(igd, 'GetListOfPortMappings', { NewStartPort: 1, NewEndPort: 2, NewProtocol: 'TCP', NewManage: 1 }).code).toBe(402);
    expect(
      call(igd, 'GetListOfPortMappings', { NewStartPort: 'a', NewEndPort: 2, NewProtocol: 'TCP', NewManage: 1, NewNumberOfPorts: 0 }).code,
    ).toBe(402);
    const r = call(igd, 'GetListOfPortMappings', { NewStartPort: 9, NewEndPort: 2, NewProtocol: 'TCP', NewManage: 1, NewNumberOfPorts: 0 });
    expect(r.code).toBe(733);
    expect(r.body).toContain('<errorDescription>InconsistentParameter</errorDescription>');
    const empty = call(igd, 'GetListOfPortMappings', {
      NewStartPort: 1,
      NewEndPort: 2,
      NewProtocol: 'TCP',
      NewManage: 1,
      NewNumberOfPorts: 0,
    });
    expect(empty.status).toBe(200);
    expect(empty.body).not.toContain('<p:PortMappingEntry>');
  });

  it("DeletePortMappingRange honours NewManage: 0 deletes only the requester's mappings (730 when it has none there), 1 every one", () => {
    const { igd, router } = makeFixture({ secureMode: false });
    populate(igd);
    const other = client('192.168.1.30');
    call(igd, 'AddPortMapping', mapping({ NewExternalPort: 5500, NewProtocol: 'TCP', NewInternalClient: '192.168.1.30' }), { from: other });
    const range = (manage: number | string) => ({ NewStartPort: 5000, NewEndPort: 5999, NewProtocol: 'TCP', NewManage: manage });
    expect(call(igd, 'DeletePortMappingRange', range(0), { from: client('192.168.1.99') }).code).toBe(730);
    expect(call(igd, 'DeletePortMappingRange', range(0), { from: other }).status).toBe(200);
    expect(router.forwards.list().map((e) => `${e.protocol}${e.externalPort}`)).toEqual([
      'tcp5000',
      'tcp5001',
      'tcp5002',
      'tcp7000',
      'udp5003',
    ]);
    expect(call(igd, 'DeletePortMappingRange', range(0)).status).toBe(200);
    expect(router.forwards.list().map((e) => `${e.protocol}${e.externalPort}`)).toEqual(['tcp7000', 'udp5003']);
    call(igd, 'AddPortMapping', mapping({ NewExternalPort: 5500, NewProtocol: 'TCP', NewInternalClient: '192.168.1.30' }), { from: other });
    expect(call(igd, 'DeletePortMappingRange', range('1')).status).toBe(200);
    expect(router.forwards.list().map((e) => `${e.protocol}${e.externalPort}`)).toEqual(['tcp7000', 'udp5003']);
  });

  it('the miniupnpd-2.3.1 profile ignores NewManage, as 2.3.1 does', () => {
    const { igd, router } = makeFixture({ profile: 'miniupnpd-2.3.1', secureMode: false });
    populate(igd);
    expect(
      call(
        igd,
        'DeletePortMappingRange',
        { NewStartPort: 5000, NewEndPort: 5999, NewProtocol: 'TCP', NewManage: 0 },
        { from: client('192.168.1.99') },
      ).status,
    ).toBe(200);
    expect(router.forwards.list().map((e) => `${e.protocol}${e.externalPort}`)).toEqual(['tcp7000', 'udp5003']);
  });

  it("DeletePortMappingRange deletes the protocol's mappings in range; 730 when none; 733; 402", () => {
    const { igd, router } = makeFixture();
    populate(igd);
    const r = call(igd, 'DeletePortMappingRange', { NewStartPort: 5000, NewEndPort: 5999, NewProtocol: 'TCP', NewManage: 1 });
    expect(r.body).toContain(`<u:DeletePortMappingRangeResponse xmlns:u="${IPC2}"></u:DeletePortMappingRangeResponse>`);
    expect(router.forwards.list().map((e) => `${e.protocol}${e.externalPort}`)).toEqual(['tcp7000', 'udp5003']);
    const none = call(igd, 'DeletePortMappingRange', { NewStartPort: 5000, NewEndPort: 5999, NewProtocol: 'TCP', NewManage: 1 });
    expect(none.code).toBe(730);
    expect(none.body).toContain('<errorDescription>PortMappingNotFound</errorDescription>');
    expect(call(igd, 'DeletePortMappingRange', { NewStartPort: 6000, NewEndPort: 5000, NewProtocol: 'TCP', NewManage: 1 }).code).toBe(733);
    expect(call(igd, 'DeletePortMappingRange', { NewStartPort: 6000, NewProtocol: 'TCP', NewManage: 1 }).code).toBe(402);
  });
});

describe('WAN state', () => {
  it('reserved WAN (carrier NAT): forwarding allowed and address reported by default', () => {
    const { igd, router } = makeFixture({}, { wan: '100.64.3.7' });
    expect(call(igd, 'GetExternalIPAddress').arg('NewExternalIPAddress')).toBe('100.64.3.7');
    expect(call(igd, 'AddPortMapping', mapping()).status).toBe(200);
    expect(router.forwards.size).toBe(1);
  });

  it('reserved WAN with allowReservedWan=false: empty address and 501 like miniupnpd', () => {
    const { igd } = makeFixture({ allowReservedWan: false }, { wan: '100.64.3.7' });
    expect(call(igd, 'GetExternalIPAddress').arg('NewExternalIPAddress')).toBe('');
    const r = call(igd, 'AddPortMapping', mapping());
    expect(r.code).toBe(501);
    expect(r.body).toContain('<errorDescription>Action Failed</errorDescription>');
  });

  it('disconnected WAN: Disconnected, empty address, 501 on add', () => {
    const { igd, router } = makeFixture();
    router.setWanUp(false);
    expect(call(igd, 'GetStatusInfo').arg('NewConnectionStatus')).toBe('Disconnected');
    expect(call(igd, 'GetExternalIPAddress').body).toContain('<NewExternalIPAddress></NewExternalIPAddress>');
    expect(call(igd, 'AddPortMapping', mapping()).code).toBe(501);
  });
});
