/**
 * startScenarioGateway(): every router of a scenario that offers a service, served at once from
 * one model, each on its own loopback address (127.0.0.1, 127.0.0.2 … in scenario order) — real
 * SSDP (unicast M-SEARCH), SOAP and NAT-PMP/PCP over loopback; multicast stays off. Also the
 * handles' reboot() and setExternalAddress(), and a PCP-only router bound by startGateway.
 */
import { describe, expect, it } from 'vitest';
import { IP_PROTOCOL, NATPMP_OPCODE, PCP_OPCODE, PCP_RESULT } from '../../src/constants.js';
import { NatsimError } from '../../src/errors.js';
import { type GatewayHandle, startGateway, startScenarioGateway } from '../../src/gateway/index.js';
import { FakeClock } from '../../src/nat/clock.js';
import { encodeNatpmpRequest, parseNatpmpResponse } from '../../src/natpmp/codec.js';
import { encodePcpRequest } from '../../src/pcp/request.js';
import { parsePcpResponse } from '../../src/pcp/response.js';
import { parseScenario } from '../../src/scenario/loader.js';
import { udpRequest } from '../support/udp-client.js';
import { headerOf, IGD1, mappingArgs, mSearch, soap } from './helpers.js';

// isp offers PCP only; home-a UPnP and NAT-PMP behind it; home-b UPnP only; plain nothing.
const scenario = parseScenario(
  `name: serve-all
routers:
  isp: { wan: 198.51.100.1, lan: 100.64.0.0/24, nat: port-restricted-cone, services: { pcp: true } }
  home-a: { parent: isp, wan: 100.64.0.2, lan: 192.168.1.0/24, nat: port-restricted-cone, services: { upnp: true, natpmp: true } }
  home-b: { wan: 203.0.113.20, lan: 192.168.2.0/24, nat: port-restricted-cone, services: { upnp: true } }
  plain: { wan: 203.0.113.30, lan: 192.168.3.0/24, nat: port-restricted-cone }
hosts:
  a: { router: home-a, address: 192.168.1.2 }
  b: { router: home-b, address: 192.168.2.2 }
`,
  'serve-all.yaml',
);

const publicAddress = encodeNatpmpRequest({ opcode: NATPMP_OPCODE.ExternalAddress });
// A loopback sender stands for the address after the router's own on its LAN: 100.64.0.2 at the isp.
const pcpMap = encodePcpRequest({
  opcode: PCP_OPCODE.Map,
  lifetime: 600,
  client: '100.64.0.2',
  nonce: '0102030405060708090a0b0c',
  protocol: IP_PROTOCOL.udp,
  internalPort: 7000,
  suggestedPort: 7000,
});

/** A served router with UPnP, as the SOAP helper takes it. */
type Igd = Pick<GatewayHandle, 'descriptionUrl' | 'igdVersion'>;

/** The one search reply a unicast M-SEARCH for the root device gets from `ssdp`. */
async function search(ssdp: { address: string; port: number }): Promise<string> {
  const { msg } = await udpRequest(ssdp, Buffer.from(mSearch(IGD1, ssdp), 'latin1'), { noReply: `no SSDP reply from ${ssdp.address}` });
  return msg.toString('latin1');
}

describe('startScenarioGateway', () => {
  it('serves every router offering a service, each on its own loopback address in scenario order, with what it offers', async () => {
    await using gws = await startScenarioGateway({ scenario, mxDelay: 'none', clock: new FakeClock(0) });
    expect(gws.routers).toEqual(['isp', 'home-a', 'home-b']);
    const [isp, a, b] = gws.routers.map((id) => gws.router(id));
    expect([isp!.address, a!.address, b!.address]).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    // isp: PCP only, so no IGD; home-b: UPnP only, so nothing on the port-control port.
    expect(isp!.descriptionUrl).toBeUndefined();
    expect(isp!.natpmpAddress?.address).toBe('127.0.0.1');
    expect(a!.descriptionUrl).toMatch(/^http:\/\/127\.0\.0\.2:\d+\/rootDesc\.xml$/);
    expect(a!.natpmpAddress?.address).toBe('127.0.0.2');
    expect(b!.descriptionUrl).toMatch(/^http:\/\/127\.0\.0\.3:\d+\//);
    expect(b!.natpmpAddress).toBeUndefined();
    expect(() => gws.router('plain')).toThrow('router "plain" is not served (served: isp, home-a, home-b)');

    // Each SSDP responder answers with its own router's LOCATION; each IGD reports its own WAN.
    expect(headerOf(await search(a!.ssdpAddress!), 'LOCATION')).toBe(a!.descriptionUrl);
    expect(headerOf(await search(b!.ssdpAddress!), 'LOCATION')).toBe(b!.descriptionUrl);
    expect((await soap(a as Igd, 'GetExternalIPAddress')).arg('NewExternalIPAddress')).toBe('100.64.0.2');
    expect((await soap(b as Igd, 'GetExternalIPAddress')).arg('NewExternalIPAddress')).toBe('203.0.113.20');
    const pub = parseNatpmpResponse((await udpRequest(a!.natpmpAddress!, publicAddress)).msg);
    expect(pub).toMatchObject({ result: 0, address: '100.64.0.2' });

    // The PCP-only carrier answers PCP MAP from its own address and port.
    const { msg, from } = await udpRequest(isp!.natpmpAddress!, pcpMap);
    expect(from).toMatchObject({ address: '127.0.0.1', port: isp!.natpmpAddress!.port });
    expect(parsePcpResponse(msg)).toMatchObject({
      result: PCP_RESULT.SUCCESS,
      externalPort: 7000,
      externalAddress: { kind: 'ipv4', address: '198.51.100.1' },
    });
    expect(isp!.listMappings()).toEqual([expect.objectContaining({ externalPort: 7000, internalClient: '100.64.0.2', origin: 'pcp' })]);
  });

  it('is one model: a mapping made at one router is in that router of the shared network only', async () => {
    await using gws = await startScenarioGateway({ scenario, mxDelay: 'none', clock: new FakeClock(0) });
    const a = gws.router('home-a');
    const r = await soap(
      a as Igd,
      'AddPortMapping',
      mappingArgs({ NewExternalPort: 8080, NewInternalPort: 8080, NewInternalClient: '192.168.1.2' }),
    );
    expect(r.status).toBe(200);
    expect(gws.network.router('home-a').forwards.list()).toEqual([expect.objectContaining({ externalPort: 8080, origin: 'upnp' })]);
    expect(a.network).toBe(gws.network);
    expect(gws.router('home-b').listMappings()).toEqual([]);
    // A packet from the Internet to home-a's mapped port goes through the carrier, where nothing is mapped.
    expect(gws.network.router('isp').forwards.list()).toEqual([]);
  });

  it('serves only the routers named, the first on 127.0.0.1', async () => {
    await using gws = await startScenarioGateway({ scenario, routers: ['home-b', 'home-a'], mxDelay: 'none' });
    expect(gws.routers).toEqual(['home-a', 'home-b']);
    expect(gws.router('home-a').address).toBe('127.0.0.1');
    expect(gws.router('home-b').address).toBe('127.0.0.2');
    expect(gws.network.routers.map((r) => r.id)).toEqual(['isp', 'home-a', 'home-b', 'plain']);
  });

  it('refuses an unknown router, single-router options, and a scenario with nothing to serve', async () => {
    await expect(startScenarioGateway({ scenario, routers: ['nope'] })).rejects.toMatchObject({
      code: 'ERR_NATSIM_UNKNOWN_ROUTER',
      message: 'no router "nope" in the scenario (routers: isp, home-a, home-b, plain)',
    });
    await expect(startScenarioGateway({ scenario, leaseFile: 'x' } as never)).rejects.toMatchObject({
      code: 'ERR_NATSIM_INVALID_OPTION',
      option: 'leaseFile',
    });
    await expect(startScenarioGateway({ scenario, mxDelay: 'soon' } as never)).rejects.toThrow(
      /^startScenarioGateway\(\): option "mxDelay": must be one of/,
    );
    const none = parseScenario('name: none\nrouters:\n  r: { wan: 203.0.113.1, lan: 10.0.0.0/24 }\nhosts: {}\n', 'none.yaml');
    await expect(startScenarioGateway({ scenario: none })).rejects.toThrow(/no router of the scenario offers a service/);
  });

  it('stop() closes every router and is safe twice', async () => {
    const gws = await startScenarioGateway({ scenario, mxDelay: 'none' });
    const url = gws.router('home-b').descriptionUrl!;
    expect((await fetch(url)).status).toBe(200);
    await gws.stop();
    await gws.stop();
    await expect(fetch(url)).rejects.toThrow();
  });
});

describe('reboot() and setExternalAddress()', () => {
  it('reboot(): mappings lost, statics kept, epoch restarts, BOOTID moves on; the other routers untouched', async () => {
    const clock = new FakeClock(0);
    await using gws = await startScenarioGateway({ scenario, mxDelay: 'none', clock });
    const a = gws.router('home-a');
    const b = gws.router('home-b');
    await soap(a as Igd, 'AddPortMapping', mappingArgs({ NewExternalPort: 8080, NewInternalClient: '192.168.1.2' }));
    await soap(b as Igd, 'AddPortMapping', mappingArgs({ NewExternalPort: 8081, NewInternalClient: '192.168.2.2' }));
    gws.advance(100_000);
    expect(parseNatpmpResponse((await udpRequest(a.natpmpAddress!, publicAddress)).msg).epoch).toBe(100);
    const before = Number(headerOf(await search(a.ssdpAddress!), 'BOOTID.UPNP.ORG'));
    expect(Number.isInteger(before)).toBe(true);
    const rebooted: unknown[] = [];
    a.events.on('router-rebooted', (e) => rebooted.push(e));

    await a.reboot();
    expect(rebooted).toEqual([expect.objectContaining({ router: 'home-a', mappingsLost: 1 })]);
    expect(a.listMappings()).toEqual([]);
    expect(b.listMappings()).toHaveLength(1);
    expect(parseNatpmpResponse((await udpRequest(a.natpmpAddress!, publicAddress)).msg).epoch).toBe(0);
    expect(Number(headerOf(await search(a.ssdpAddress!), 'BOOTID.UPNP.ORG'))).toBe(before + 1);
    // It still serves: the mapping can be made again.
    const again = await soap(a as Igd, 'AddPortMapping', mappingArgs({ NewExternalPort: 8080, NewInternalClient: '192.168.1.2' }));
    expect(again.status).toBe(200);
  });

  it('setExternalAddress(): the IGD and NAT-PMP report the new address; mappings kept by default, dropped when asked', async () => {
    await using gw = await startGateway({ scenario, router: 'home-a', natpmp: { port: 0 }, mxDelay: 'none', clock: new FakeClock(0) });
    await soap(gw, 'AddPortMapping', mappingArgs({ NewExternalPort: 8080, NewInternalClient: '192.168.1.2' }));
    const changed: unknown[] = [];
    gw.events.on('wan-address-changed', (e) => changed.push(e));

    gw.setExternalAddress('100.64.0.9');
    expect(changed).toEqual([expect.objectContaining({ router: 'home-a', old: '100.64.0.2', address: '100.64.0.9' })]);
    expect(gw.externalIp).toBe('100.64.0.9');
    expect((await soap(gw, 'GetExternalIPAddress')).arg('NewExternalIPAddress')).toBe('100.64.0.9');
    expect(parseNatpmpResponse((await udpRequest(gw.natpmpAddress!, publicAddress)).msg)).toMatchObject({ address: '100.64.0.9' });
    expect(gw.listMappings()).toHaveLength(1);

    gw.setExternalAddress('100.64.0.10', 'drop');
    expect(gw.listMappings()).toEqual([]);
    expect(() => gw.setExternalAddress('not-an-ip')).toThrow(NatsimError);
    expect(() => gw.setExternalAddress('100.64.0.11', 'lose' as never)).toThrow('mappings must be "keep" or "drop", not "lose"');
  });
});

describe('startGateway and a PCP-only router', () => {
  it('binds the port-control socket for a router offering only PCP, as natsim run serves it', async () => {
    await using gw = await startGateway({ scenario, router: 'isp', mxDelay: 'none', clock: new FakeClock(0) });
    expect(gw.natpmpAddress).toBeDefined();
    const reply = parsePcpResponse((await udpRequest(gw.natpmpAddress!, pcpMap)).msg);
    expect(reply).toMatchObject({ opcode: PCP_OPCODE.Map, result: PCP_RESULT.SUCCESS, externalPort: 7000 });
  });
});
