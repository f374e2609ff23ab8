/**
 * Every router profile, served by startGateway and checked end to end over HTTP (and SSDP for the
 * SSDP quirks): the behaviour that defines it, against the miniupnpd default where it differs.
 */
import { describe, expect, it } from 'vitest';
import { IP_PROTOCOL, NATPMP_OPCODE, NATPMP_RESULT, PCP_OPCODE, PCP_RESULT } from '../../src/constants.js';
import { type GatewayHandle, startGateway } from '../../src/gateway/index.js';
import { FakeClock } from '../../src/nat/clock.js';
import { encodeNatpmpRequest, parseNatpmpResponse } from '../../src/natpmp/codec.js';
import { encodePcpRequest, type PcpRequestSpec, thirdPartyOption } from '../../src/pcp/request.js';
import { parsePcpResponse } from '../../src/pcp/response.js';
import { parseScenario } from '../../src/scenario/loader.js';
import { ROUTER_PROFILES } from '../../src/soap/profiles.js';
import { udpRequest } from '../support/udp-client.js';
import { CFG, faultEnvelope, headerOf, IGD1, IGD2, IPC1, IPC2, mappingArgs, mSearch, soap, udpClient, xmlText } from './helpers.js';

async function serve(profile: string): Promise<GatewayHandle> {
  return startGateway({ scenario: 'scenarios/default.yaml', profile, mxDelay: 'none', clock: new FakeClock(0) });
}

async function description(gw: GatewayHandle): Promise<string> {
  return (await fetch(gw.descriptionUrl)).text();
}

/** Sends one unicast M-SEARCH and returns the replies that arrive. */
async function search(gw: GatewayHandle, st: string, expect: number): Promise<Array<{ msg: string; port: number }>> {
  const c = await udpClient();
  try {
    await c.send(mSearch(st, gw.ssdpAddress), gw.ssdpAddress.port);
    await c.waitFor(expect + 1, 300);
    return c.received.map((r) => ({ msg: r.msg, port: r.rinfo.port }));
  } finally {
    await c.close();
  }
}

/** A mapping of another LAN client (192.168.1.77), made through the router's mapping service. */
function otherClientsMapping(gw: GatewayHandle, port: number): void {
  const r = gw.router.mappings.request(
    {
      requester: '192.168.1.77',
      protocol: 'tcp',
      internalClient: '192.168.1.77',
      internalPort: port,
      externalPort: port,
      lifetime: 0,
      origin: 'upnp',
    },
    gw.clock.now(),
  );
  expect(r.ok).toBe(true);
}

/** A gateway of `profile` offering NAT-PMP and PCP on an ephemeral UDP port (LAN 10.7.0.0/24; loopback stands for 10.7.0.2). */
function portControlGateway(profile: string, clock = new FakeClock(0)): Promise<GatewayHandle> {
  const yaml = `name: port control ${profile}
routers:
  gw: { wan: 81.2.69.160, lan: 10.7.0.0/24, profile: ${profile}, services: { upnp: true, natpmp: true, pcp: true } }
hosts:
  h: { router: gw, address: 10.7.0.2 }
`;
  return startGateway({ scenario: parseScenario(yaml, 'port-control.yaml'), natpmp: { port: 0 }, mxDelay: 'none', clock });
}

/** One datagram to the gateway's UDP 5351 socket and its reply. */
async function udpAsk(gw: GatewayHandle, bytes: Uint8Array): Promise<Buffer> {
  return (await udpRequest(gw.natpmpAddress!, bytes, { noReply: 'no reply on the port-control port' })).msg;
}

const pcpMap = (extra: Partial<PcpRequestSpec> = {}) =>
  encodePcpRequest({
    opcode: PCP_OPCODE.Map,
    client: '10.7.0.2',
    nonce: '0102030405060708090a0b0c',
    protocol: IP_PROTOCOL.udp,
    internalPort: 5000,
    lifetime: 7200,
    ...extra,
  });
const natpmpMap = encodeNatpmpRequest({ opcode: NATPMP_OPCODE.MapUdp, internalPort: 6000, externalPort: 6000, lifetime: 7200 });

/** UPnP in the mapping-protocol profiles is miniupnpd's: an AddPortMapping is accepted. */
async function upnpAsMiniupnpd(gw: GatewayHandle): Promise<void> {
  expect((await soap(gw, 'AddPortMapping', mappingArgs())).status).toBe(200);
}

/** The defining behaviour of each profile. */
const CHECKS: Record<string, (gw: GatewayHandle) => Promise<void>> = {
  async miniupnpd(gw) {
    expect([gw.profile, gw.igdVersion]).toEqual(['miniupnpd', 2]);
    expect(xmlText(await description(gw), 'deviceType')).toBe(IGD2);
    // IGDv2: lease 0 is clamped to one week; lowercase protocol accepted; no NewInternalClient = the requester.
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewLeaseDuration: 0, NewProtocol: 'udp', NewInternalClient: '' }))).status).toBe(
      200,
    );
    expect(gw.listMappings()).toEqual([expect.objectContaining({ protocol: 'UDP', internalClient: '192.168.1.2', leaseDuration: 604800 })]);
    // Secure mode: another client's address is 606 on IGDv2.
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewExternalPort: 5001, NewInternalClient: '192.168.1.77' }))).code).toBe(606);
    // AddAnyPortMapping returns the port it reserved.
    const any = await soap(gw, 'AddAnyPortMapping', mappingArgs({ NewExternalPort: 5000, NewProtocol: 'UDP' }));
    expect(any.status).toBe(200);
    expect(any.arg('NewReservedPort')).toBe('5000'); // same client: the refresh rule
    // DeletePortMappingRange honours NewManage: 0 deletes only the requester's mappings.
    otherClientsMapping(gw, 6000);
    const range = (manage: number) => ({ NewStartPort: 5990, NewEndPort: 6010, NewProtocol: 'TCP', NewManage: manage });
    expect((await soap(gw, 'DeletePortMappingRange', range(0))).code).toBe(730);
    expect(gw.listMappings().map((m) => m.externalPort)).toContain(6000);
    expect((await soap(gw, 'DeletePortMappingRange', range(1))).status).toBe(200);
    expect(gw.listMappings().map((m) => m.externalPort)).not.toContain(6000);
    const counters = gw.router.counters;
    counters.bytesSent = 2 ** 32 + 5;
    expect((await soap(gw, 'GetTotalBytesSent', {}, { serviceType: CFG })).arg('NewTotalBytesSent')).toBe(String(2 ** 32 + 5));
  },
  async 'miniupnpd-2.3.1'(gw) {
    expect([gw.profile, gw.igdVersion]).toEqual(['miniupnpd-2.3.1', 2]);
    // 2.3.1 ignores NewManage: 0 deletes another client's mapping too (the differential table's row).
    otherClientsMapping(gw, 6000);
    expect(
      (await soap(gw, 'DeletePortMappingRange', { NewStartPort: 5990, NewEndPort: 6010, NewProtocol: 'TCP', NewManage: 0 })).status,
    ).toBe(200);
    expect(gw.listMappings()).toEqual([]);
    // 718 for a secure-mode violation on IGDv2, and 2.3.1's spelling of 716.
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewExternalPort: 5001, NewInternalClient: '192.168.1.77' }))).code).toBe(718);
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewExternalPort: 0 }))).body).toBe(
      faultEnvelope(716, 'Wildcard not permited in ExtPort'),
    );
  },
  async 'miniupnpd-igd1'(gw) {
    expect([gw.profile, gw.igdVersion]).toEqual(['miniupnpd-igd1', 1]);
    const doc = await description(gw);
    expect(xmlText(doc, 'deviceType')).toBe(IGD1);
    expect(doc).toContain(`<serviceType>${IPC1}</serviceType>`);
    expect(doc).not.toContain(IPC2);
    // IGDv1: lease 0 is permanent.
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewLeaseDuration: 0 }))).status).toBe(200);
    expect(gw.listMappings()).toEqual([expect.objectContaining({ externalPort: 5000, leaseDuration: 0 })]);
    gw.advance(30 * 24 * 3600_000);
    expect(gw.listMappings()).toHaveLength(1);
    const spec = await soap(gw, 'GetSpecificPortMappingEntry', { NewRemoteHost: '', NewExternalPort: 5000, NewProtocol: 'UDP' });
    expect(spec.arg('NewLeaseDuration')).toBe('0');
    // No 606 on IGDv1: secure-mode violations are 718.
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewExternalPort: 5001, NewInternalClient: '192.168.1.77' }))).code).toBe(718);
  },
  async 'permanent-only'(gw) {
    expect(gw.igdVersion).toBe(1);
    const r = await soap(gw, 'AddPortMapping', mappingArgs({ NewLeaseDuration: 3600 }));
    expect([r.status, r.body]).toEqual([500, faultEnvelope(725, 'OnlyPermanentLeasesSupported')]);
    expect(gw.listMappings()).toEqual([]);
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewLeaseDuration: 0 }))).status).toBe(200);
    expect(gw.listMappings()).toEqual([expect.objectContaining({ leaseDuration: 0 })]);
  },
  async 'lease-rejected'(gw) {
    expect(gw.igdVersion).toBe(1);
    const r = await soap(gw, 'AddPortMapping', mappingArgs({ NewLeaseDuration: 1 }));
    expect([r.status, r.body]).toEqual([500, faultEnvelope(402, 'Invalid Args')]);
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewLeaseDuration: 0 }))).status).toBe(200);
    expect(gw.listMappings()).toEqual([expect.objectContaining({ leaseDuration: 0 })]);
  },
  async 'lowercase-protocol-rejected'(gw) {
    expect(gw.igdVersion).toBe(2);
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewProtocol: 'tcp' }))).body).toBe(faultEnvelope(402, 'Invalid Args'));
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewProtocol: 'Udp' }))).code).toBe(402);
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewProtocol: 'TCP' }))).status).toBe(200);
    expect(gw.listMappings()).toEqual([expect.objectContaining({ protocol: 'TCP' })]);
  },
  async 'disconnected-wan'(gw) {
    const status = await soap(gw, 'GetStatusInfo');
    expect(status.arg('NewConnectionStatus')).toBe('Disconnected');
    expect((await soap(gw, 'GetExternalIPAddress')).arg('NewExternalIPAddress')).toBe('');
    expect((await soap(gw, 'GetCommonLinkProperties', {}, { serviceType: CFG })).arg('NewPhysicalLinkStatus')).toBe('Down');
    const add = await soap(gw, 'AddPortMapping', mappingArgs());
    expect([add.status, add.body]).toEqual([500, faultEnvelope(501, 'Action Failed')]);
    expect(gw.listMappings()).toEqual([]);
    // The handle still knows the model's address; only the IGD hides it.
    expect(gw.externalIp).toBe('203.0.113.10');
  },
  async 'strict-miniupnpd'(gw) {
    // --strict: NewInternalClient is required.
    const missing = await soap(gw, 'AddPortMapping', mappingArgs({ NewInternalClient: '' }));
    expect(missing.body).toBe(faultEnvelope(402, 'Invalid Args'));
    expect((await soap(gw, 'AddPortMapping', mappingArgs())).status).toBe(200);
    // 32-bit counters.
    gw.router.counters.bytesSent = 2 ** 32 + 5;
    expect((await soap(gw, 'GetTotalBytesSent', {}, { serviceType: CFG })).arg('NewTotalBytesSent')).toBe('5');
    // --strict builds do not advertise WANPPPConnection.
    expect(await search(gw, 'urn:schemas-upnp-org:service:WANPPPConnection:1', 0)).toEqual([]);
  },
  async 'ssdp-mx-spread'(gw) {
    // Over unicast (loopback has no multicast) the reply comes at once; the spread is the responder's (test/ssdp).
    const replies = await search(gw, IGD1, 1);
    expect(replies.map((r) => headerOf(r.msg, 'LOCATION'))).toEqual([gw.descriptionUrl]);
  },
  async 'ssdp-other-port'(gw) {
    const [r] = await search(gw, IGD1, 1);
    expect(headerOf(r!.msg, 'LOCATION')).toBe(gw.descriptionUrl);
    expect(r!.port).not.toBe(gw.ssdpAddress.port);
  },
  async 'ssdp-multicast-only'(gw) {
    expect(await search(gw, IGD1, 0)).toEqual([]);
  },
  async 'ssdp-unicast-only'(gw) {
    const replies = await search(gw, IGD1, 1);
    expect(replies.map((r) => [headerOf(r.msg, 'LOCATION'), r.port])).toEqual([[gw.descriptionUrl, gw.ssdpAddress.port]]);
  },
  async 'ssdp-all-root-only'(gw) {
    expect(await search(gw, 'ssdp:all', 4)).toHaveLength(4);
  },
  async 'natpmp-only'(gw) {
    await upnpAsMiniupnpd(gw);
    await using pc = await portControlGateway('natpmp-only');
    const r = await udpAsk(pc, pcpMap());
    expect([r[0], parseNatpmpResponse(r).result]).toEqual([0, NATPMP_RESULT.UnsupportedVersion]);
    expect(parseNatpmpResponse(await udpAsk(pc, natpmpMap)).result).toBe(NATPMP_RESULT.Success);
  },
  async 'pcp-draft-v1'(gw) {
    await upnpAsMiniupnpd(gw);
    await using pc = await portControlGateway('pcp-draft-v1');
    expect(parsePcpResponse(await udpAsk(pc, pcpMap()))).toMatchObject({ version: 1, result: PCP_RESULT.UNSUPP_VERSION });
    expect(parsePcpResponse(await udpAsk(pc, pcpMap({ version: 1 })))).toMatchObject({ version: 1, result: PCP_RESULT.SUCCESS });
  },
  async 'pcp-not-authorized'(gw) {
    await upnpAsMiniupnpd(gw);
    await using pc = await portControlGateway('pcp-not-authorized');
    expect(parsePcpResponse(await udpAsk(pc, pcpMap()))).toMatchObject({ result: PCP_RESULT.NOT_AUTHORIZED, lifetime: 1800 });
    expect(pc.listMappings()).toEqual([]);
  },
  async 'vpn-60s'(gw) {
    await upnpAsMiniupnpd(gw);
    await using pc = await portControlGateway('vpn-60s');
    expect(parsePcpResponse(await udpAsk(pc, pcpMap()))).toMatchObject({ result: PCP_RESULT.SUCCESS, lifetime: 60 });
    expect(parseNatpmpResponse(await udpAsk(pc, natpmpMap))).toMatchObject({ result: NATPMP_RESULT.Success, lifetime: 60 });
  },
  async 'pcp-miniupnpd-error-lifetimes'(gw) {
    await upnpAsMiniupnpd(gw);
    await using pc = await portControlGateway('pcp-miniupnpd-error-lifetimes');
    expect(parsePcpResponse(await udpAsk(pc, pcpMap({ protocol: 132 })))).toMatchObject({
      result: PCP_RESULT.UNSUPP_PROTOCOL,
      lifetime: 0,
    });
  },
  async 'epoch-kept'(gw) {
    await upnpAsMiniupnpd(gw);
    const clock = new FakeClock(0);
    await using pc = await portControlGateway('epoch-kept', clock);
    clock.advance(10_000);
    pc.router.setWanAddress('81.2.69.170', clock.now());
    expect(parseNatpmpResponse(await udpAsk(pc, encodeNatpmpRequest({ opcode: NATPMP_OPCODE.ExternalAddress })))).toMatchObject({
      address: '81.2.69.170',
      epoch: 10,
    });
  },
  async 'pcp-third-party'(gw) {
    await upnpAsMiniupnpd(gw);
    await using pc = await portControlGateway('pcp-third-party');
    expect(parsePcpResponse(await udpAsk(pc, pcpMap({ options: [thirdPartyOption('10.7.0.77')] })))).toMatchObject({
      result: PCP_RESULT.SUCCESS,
    });
    expect(pc.listMappings().map((m) => `${m.origin} ${m.internalClient}:${m.internalPort}`)).toEqual(['pcp 10.7.0.77:5000']);
  },
  async 'upnp-only'(gw) {
    await upnpAsMiniupnpd(gw);
    await using pc = await portControlGateway('upnp-only');
    expect(pc.natpmpAddress).toBeUndefined();
  },
};

describe('router profiles served by startGateway', () => {
  it('every profile in ROUTER_PROFILES has a check here', () => {
    expect(Object.keys(CHECKS).sort()).toEqual(Object.keys(ROUTER_PROFILES).sort());
  });

  for (const name of Object.keys(ROUTER_PROFILES)) {
    it(`${name}: ${ROUTER_PROFILES[name]!.summary}`, async () => {
      await using gw = await serve(name);
      expect(gw.profile).toBe(name);
      expect(gw.igdVersion).toBe(ROUTER_PROFILES[name]!.igdVersion);
      expect(xmlText(await description(gw), 'deviceType')).toBe(gw.igdVersion === 2 ? IGD2 : IGD1);
      const check = CHECKS[name];
      if (!check) throw new Error(`no check for profile ${name}`);
      await check(gw);
    });
  }

  it("uses the scenario router's profile unless one is given", async () => {
    const config = parseScenario(
      [
        'name: profile from the scenario',
        'routers:',
        '  r: { wan: 198.51.100.9, lan: 192.168.1.0/24, services: { upnp: true }, profile: permanent-only }',
        'hosts:',
        '  pc: { router: r, address: 192.168.1.10 }',
      ].join('\n'),
    );
    {
      await using gw = await startGateway({ scenario: config, mxDelay: 'none', clock: new FakeClock(0) });
      expect([gw.profile, gw.igdVersion]).toEqual(['permanent-only', 1]);
      expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewLeaseDuration: 60 }))).code).toBe(725);
    }
    await using gw = await startGateway({ scenario: config, profile: 'miniupnpd', mxDelay: 'none', clock: new FakeClock(0) });
    expect([gw.profile, gw.igdVersion]).toEqual(['miniupnpd', 2]);
  });

  it('igdVersion overrides the profile', async () => {
    await using gw = await startGateway({ scenario: 'scenarios/default.yaml', igdVersion: 1, mxDelay: 'none', clock: new FakeClock(0) });
    expect([gw.profile, gw.igdVersion]).toEqual(['miniupnpd', 1]);
    expect(xmlText(await description(gw), 'deviceType')).toBe(IGD1);
  });

  it('a scenario router whose WAN is down reads as Disconnected with any profile', async () => {
    const config = parseScenario(
      [
        'name: wan down',
        'routers:',
        '  r: { wan: 198.51.100.9, lan: 192.168.1.0/24, services: { upnp: true }, wanUp: false }',
        'hosts:',
        '  pc: { router: r, address: 192.168.1.10 }',
      ].join('\n'),
    );
    await using gw = await startGateway({ scenario: config, mxDelay: 'none', clock: new FakeClock(0) });
    expect((await soap(gw, 'GetStatusInfo')).arg('NewConnectionStatus')).toBe('Disconnected');
    expect((await soap(gw, 'AddPortMapping', mappingArgs())).code).toBe(501);
  });
});
