import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE, profilesMarkdownTable, ROUTER_PROFILES, routerProfile } from '../../src/soap/profiles.js';
import { CFG, call, IPC1, makeFixture, mapping } from './helpers.js';

describe('router profiles', () => {
  it('miniupnpd is the default: IGDv2, secure mode', () => {
    const { igd } = makeFixture();
    expect(igd.profile).toBe(DEFAULT_PROFILE);
    expect(igd.igdVersion).toBe(2);
    expect(igd.identity.server).toMatch(/UPnP\/1\.1 MiniUPnPd\//);
  });

  it('miniupnpd-igd1 serves IGD:1', () => {
    const { igd } = makeFixture({ profile: 'miniupnpd-igd1' });
    expect(igd.igdVersion).toBe(1);
    expect(igd.description('/rootDesc.xml')).toContain('InternetGatewayDevice:1');
    expect(call(igd, 'AddPortMapping', mapping({ NewInternalClient: '192.168.1.9' })).code).toBe(718);
  });

  it('permanent-only: any non-zero lease is 725, lease 0 is a permanent mapping', () => {
    const { igd, router } = makeFixture({ profile: 'permanent-only' });
    const r = call(igd, 'AddPortMapping', mapping());
    expect(r.code).toBe(725);
    expect(r.body).toContain('<errorDescription>OnlyPermanentLeasesSupported</errorDescription>');
    expect(call(igd, 'AddPortMapping', mapping({ NewLeaseDuration: 0 })).status).toBe(200);
    expect(router.forwards.find('udp', 5000)?.expiresAt).toBe(Infinity);
  });

  it('lease-rejected: any non-zero lease is 402', () => {
    const { igd } = makeFixture({ profile: 'lease-rejected' });
    expect(call(igd, 'AddPortMapping', mapping()).code).toBe(402);
    expect(call(igd, 'AddPortMapping', mapping({ NewLeaseDuration: 0 })).status).toBe(200);
  });

  it('lowercase-protocol-rejected: "tcp" is 402, "TCP" works', () => {
    const { igd } = makeFixture({ profile: 'lowercase-protocol-rejected' });
    expect(call(igd, 'AddPortMapping', mapping({ NewProtocol: 'tcp' })).code).toBe(402);
    expect(call(igd, 'AddPortMapping', mapping({ NewProtocol: 'TCP' })).status).toBe(200);
    expect(call(igd, 'GetSpecificPortMappingEntry', { NewRemoteHost: '', NewExternalPort: 5000, NewProtocol: 'udp' }).code).toBe(402);
  });

  it('disconnected-wan: Disconnected, empty address, link Down, AddPortMapping 501', () => {
    const { igd } = makeFixture({ profile: 'disconnected-wan' });
    expect(call(igd, 'GetStatusInfo').arg('NewConnectionStatus')).toBe('Disconnected');
    expect(call(igd, 'GetExternalIPAddress').arg('NewExternalIPAddress')).toBe('');
    expect(call(igd, 'GetCommonLinkProperties', {}, { serviceType: CFG }).arg('NewPhysicalLinkStatus')).toBe('Down');
    expect(call(igd, 'AddPortMapping', mapping()).code).toBe(501);
    expect(call(igd, 'AddAnyPortMapping', mapping()).code).toBe(501);
  });

  it('strict-miniupnpd: NewInternalClient and NewRemoteHost are required', () => {
    const { igd } = makeFixture({ profile: 'strict-miniupnpd' });
    expect(call(igd, 'AddPortMapping', mapping({ NewInternalClient: '' })).code).toBe(402);
    expect(call(igd, 'GetSpecificPortMappingEntry', { NewExternalPort: 5000, NewProtocol: 'UDP' }).code).toBe(402);
    expect(call(igd, 'DeletePortMapping', { NewExternalPort: 5000, NewProtocol: 'UDP' }).code).toBe(402);
    expect(call(igd, 'SetConnectionType').code).toBe(402);
  });

  it('strict without remote-host support answers 726; non-strict ignores the remote host', () => {
    const strict = makeFixture({ profile: { ...routerProfile('strict-miniupnpd'), supportRemoteHost: false } });
    expect(call(strict.igd, 'AddPortMapping', mapping({ NewRemoteHost: '8.8.8.8' })).code).toBe(726);
    expect(call(strict.igd, 'AddPortMapping', mapping({ NewRemoteHost: '*' })).status).toBe(200);
    const lax = makeFixture({ profile: { ...DEFAULT_PROFILE, supportRemoteHost: false } });
    expect(call(lax.igd, 'AddPortMapping', mapping({ NewRemoteHost: '8.8.8.8' })).status).toBe(200);
    expect(lax.router.forwards.find('udp', 5000)?.remoteHost).toBe('');
    const rh = makeFixture();
    expect(call(rh.igd, 'AddPortMapping', mapping({ NewRemoteHost: '8.8.8.8' })).status).toBe(200);
    expect(rh.router.forwards.find('udp', 5000, '8.8.8.8')).toBeDefined();
    expect(call(rh.igd, 'GetGenericPortMappingEntry', { NewPortMappingIndex: 0 }).arg('NewRemoteHost')).toBe('8.8.8.8');
  });

  it('the default protocolCheck (miniupnpd) treats unknown protocols as TCP', () => {
    const { igd, router } = makeFixture();
    expect(call(igd, 'AddPortMapping', mapping({ NewProtocol: 'SCTP' })).status).toBe(200);
    expect(router.forwards.find('tcp', 5000)).toBeDefined();
  });

  it("serviceActionCheck restricts actions to the control URL's service and version", () => {
    const { igd } = makeFixture({ profile: { ...routerProfile('miniupnpd-igd1'), serviceActionCheck: true } });
    expect(call(igd, 'AddAnyPortMapping', mapping(), { serviceType: IPC1, path: '/ctl/IPConn' }).code).toBe(401);
    expect(call(igd, 'GetTotalBytesSent', {}, { serviceType: CFG, path: '/ctl/IPConn' }).code).toBe(401);
    expect(call(igd, 'GetTotalBytesSent', {}, { serviceType: CFG, path: '/ctl/CmnIfCfg' }).status).toBe(200);
    expect(call(igd, 'AddPortMapping', mapping(), { serviceType: IPC1, path: '/ctl/IPConn' }).status).toBe(200);
  });

  it('SSDP quirk flags are carried for the SSDP layer', () => {
    expect(routerProfile('ssdp-other-port').ssdp.replyFromOtherPort).toBe(true);
    expect(routerProfile('ssdp-multicast-only').ssdp.searchMode).toBe('multicast-only');
    expect(routerProfile('ssdp-unicast-only').ssdp.searchMode).toBe('unicast-only');
    expect(routerProfile('ssdp-all-root-only').ssdp.ssdpAllRootOnly).toBe(true);
    expect(makeFixture({ profile: 'ssdp-other-port' }).igd.identity.ssdp.replyFromOtherPort).toBe(true);
  });

  it('lookup and the README table', () => {
    expect(() => routerProfile('nope')).toThrow(/known: miniupnpd/);
    const table = profilesMarkdownTable();
    for (const name of Object.keys(ROUTER_PROFILES)) expect(table).toContain(`\`${name}\``);
    expect(table.split('\n')[0]).toBe('| profile | IGD | behaviour | SSDP quirks | NAT-PMP / PCP (where offered) |');
  });
});
