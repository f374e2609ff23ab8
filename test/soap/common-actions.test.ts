import { describe, expect, it } from 'vitest';
import { CFG, call, client, IPC1, IPC2, L3F, makeFixture, mapping, soapBody } from './helpers.js';

describe('WANIPConnection status actions', () => {
  it('GetStatusInfo: Connected, ERROR_NONE, uptime from router.startedAt', () => {
    const { igd, clock } = makeFixture();
    clock.advance(42_500);
    const r = call(igd, 'GetStatusInfo');
    expect(r.body).toContain(
      `<u:GetStatusInfoResponse xmlns:u="${IPC2}"><NewConnectionStatus>Connected</NewConnectionStatus>` +
        '<NewLastConnectionError>ERROR_NONE</NewLastConnectionError><NewUptime>42</NewUptime></u:GetStatusInfoResponse>',
    );
  });

  it('GetExternalIPAddress reports router.wanAddress and follows changes', () => {
    const { igd, router } = makeFixture();
    expect(call(igd, 'GetExternalIPAddress').body).toContain('<NewExternalIPAddress>81.2.69.160</NewExternalIPAddress>');
    router.setWanAddress('81.2.69.161');
    expect(call(igd, 'GetExternalIPAddress').arg('NewExternalIPAddress')).toBe('81.2.69.161');
  });

  it('GetConnectionTypeInfo and GetNATRSIPStatus', () => {
    const { igd } = makeFixture();
    expect(call(igd, 'GetConnectionTypeInfo').body).toContain(
      '<NewConnectionType>IP_Routed</NewConnectionType><NewPossibleConnectionTypes>IP_Routed</NewPossibleConnectionTypes>',
    );
    expect(call(igd, 'GetNATRSIPStatus').body).toContain('<NewRSIPAvailable>0</NewRSIPAvailable><NewNATEnabled>1</NewNATEnabled>');
    const plain = makeFixture({}, { nat: null });
    expect(call(plain.igd, 'GetNATRSIPStatus').arg('NewNATEnabled')).toBe('0');
  });

  it('SetConnectionType is 731 ReadOnly; RequestConnection and ForceTermination are 606', () => {
    const { igd } = makeFixture();
    const r = call(igd, 'SetConnectionType', { NewConnectionType: 'IP_Routed' });
    expect(r.code).toBe(731);
    expect(r.body).toContain('<errorDescription>ReadOnly</errorDescription>');
    expect(call(igd, 'RequestConnection').code).toBe(606);
    expect(call(igd, 'ForceTermination').code).toBe(606);
  });

  it('QueryStateVariable: ConnectionStatus and PortMappingNumberOfEntries; 404 otherwise; 402 without varName', () => {
    const { igd } = makeFixture();
    call(igd, 'AddPortMapping', mapping());
    expect(call(igd, 'QueryStateVariable', { varName: 'ConnectionStatus' }).body).toContain('<return>Connected</return>');
    expect(call(igd, 'QueryStateVariable', { varName: 'PortMappingNumberOfEntries' }).arg('return')).toBe('1');
    const r = call(igd, 'QueryStateVariable', { varName: 'ExternalIPAddress' });
    expect(r.code).toBe(404);
    expect(r.body).toContain('<errorDescription>Invalid Var</errorDescription>');
    expect(call(igd, 'QueryStateVariable').code).toBe(402);
  });

  it('401 for unknown actions, including GetPortMappingNumberOfEntries', () => {
    const { igd } = makeFixture();
    for (const a of ['GetPortMappingNumberOfEntries', 'Frobnicate', 'constructor', '__proto__']) {
      const r = call(igd, a);
      expect(r.code, a).toBe(401);
      expect(r.body).toContain('<errorDescription>Invalid Action</errorDescription>');
    }
  });

  it('dispatches on the action name alone, like miniupnpd (any control URL, any version)', () => {
    const v1 = makeFixture({ igdVersion: 1 });
    expect(call(v1.igd, 'AddAnyPortMapping', mapping(), { serviceType: IPC1 }).arg('NewReservedPort')).toBe('5000');
    expect(call(v1.igd, 'GetTotalBytesSent', {}, { serviceType: CFG, path: '/ctl/IPConn' }).status).toBe(200);
  });
});

describe('WANCommonInterfaceConfig', () => {
  it('GetCommonLinkProperties', () => {
    const { igd, router } = makeFixture();
    const r = call(igd, 'GetCommonLinkProperties', {}, { serviceType: CFG, path: '/ctl/CmnIfCfg' });
    expect(r.body).toContain(
      `<u:GetCommonLinkPropertiesResponse xmlns:u="${CFG}"><NewWANAccessType>Cable</NewWANAccessType>` +
        '<NewLayer1UpstreamMaxBitRate>1000000000</NewLayer1UpstreamMaxBitRate><NewLayer1DownstreamMaxBitRate>1000000000</NewLayer1DownstreamMaxBitRate>' +
        '<NewPhysicalLinkStatus>Up</NewPhysicalLinkStatus></u:GetCommonLinkPropertiesResponse>',
    );
    router.setWanUp(false);
    expect(call(igd, 'GetCommonLinkProperties', {}, { serviceType: CFG }).arg('NewPhysicalLinkStatus')).toBe('Down');
  });

  it('GetTotalBytes*/Packets* from router.counters', () => {
    const { igd, router } = makeFixture();
    Object.assign(router.counters, { bytesSent: 1000, bytesReceived: 2000, packetsSent: 3, packetsReceived: 4 });
    const o = { serviceType: CFG, path: '/ctl/CmnIfCfg' };
    expect(call(igd, 'GetTotalBytesSent', {}, o).body).toContain(
      `<u:GetTotalBytesSentResponse xmlns:u="${CFG}"><NewTotalBytesSent>1000</NewTotalBytesSent>`,
    );
    expect(call(igd, 'GetTotalBytesReceived', {}, o).arg('NewTotalBytesReceived')).toBe('2000');
    expect(call(igd, 'GetTotalPacketsSent', {}, o).arg('NewTotalPacketsSent')).toBe('3');
    expect(call(igd, 'GetTotalPacketsReceived', {}, o).arg('NewTotalPacketsReceived')).toBe('4');
  });

  it('counters wrap at 2^32 only in strict mode', () => {
    const lax = makeFixture();
    lax.router.counters.bytesSent = 2 ** 32 + 5;
    expect(call(lax.igd, 'GetTotalBytesSent', {}, { serviceType: CFG }).arg('NewTotalBytesSent')).toBe(String(2 ** 32 + 5));
    const strict = makeFixture({ profile: 'strict-miniupnpd' });
    strict.router.counters.bytesSent = 2 ** 32 + 5;
    expect(call(strict.igd, 'GetTotalBytesSent', {}, { serviceType: CFG }).arg('NewTotalBytesSent')).toBe('5');
  });
});

describe('Layer3Forwarding', () => {
  it('GetDefaultConnectionService names the WANConnectionDevice and WANIPConn1', () => {
    const { igd } = makeFixture({ uuid: '12345678-1234-1234-1234-123456789abc' });
    const r = call(igd, 'GetDefaultConnectionService', {}, { serviceType: L3F, path: '/ctl/L3F' });
    expect(r.body).toContain(
      `<u:GetDefaultConnectionServiceResponse xmlns:u="${L3F}"><NewDefaultConnectionService>` +
        'uuid:12345678-1234-1234-1234-123456789abe:WANConnectionDevice:2,urn:upnp-org:serviceId:WANIPConn1' +
        '</NewDefaultConnectionService></u:GetDefaultConnectionServiceResponse>',
    );
  });

  it('SetDefaultConnectionService: accepted and ignored; 402 without the argument; 720/721 in strict mode', () => {
    const { igd } = makeFixture();
    const o = { serviceType: L3F, path: '/ctl/L3F' };
    expect(call(igd, 'SetDefaultConnectionService', { NewDefaultConnectionService: 'x' }, o).body).toContain(
      `<u:SetDefaultConnectionServiceResponse xmlns:u="${L3F}"></u:SetDefaultConnectionServiceResponse>`,
    );
    expect(call(igd, 'SetDefaultConnectionService', {}, o).code).toBe(402);
    const strict = makeFixture({ profile: 'strict-miniupnpd' });
    expect(call(strict.igd, 'SetDefaultConnectionService', { NewDefaultConnectionService: 'uuid:nope,x' }, o).code).toBe(720);
    const good = `${strict.igd.udns.wanConnectionDevice}:WANConnectionDevice:2,urn:upnp-org:serviceId:WANIPConn1`;
    expect(call(strict.igd, 'SetDefaultConnectionService', { NewDefaultConnectionService: good }, o).status).toBe(200);
    expect(
      call(strict.igd, 'SetDefaultConnectionService', { NewDefaultConnectionService: `${strict.igd.udns.wanConnectionDevice}:x,y` }, o)
        .code,
    ).toBe(721);
  });
});

describe('SOAP request handling', () => {
  it('no SOAPACTION: 400 Bad request (miniupnpd)', () => {
    const { igd } = makeFixture();
    const r = igd.control({ soapAction: undefined, body: soapBody('GetStatusInfo', IPC2), client: client(), path: '/ctl/IPConn' });
    expect(r.status).toBe(400);
    expect(r.body).toBe('<html><body>Bad request</body></html>');
  });

  it('SOAPACTION without # is 401; quotes are optional', () => {
    const { igd } = makeFixture();
    const body = soapBody('GetStatusInfo', IPC2);
    expect(igd.control({ soapAction: 'GetStatusInfo', body, client: client(), path: '/ctl/IPConn' }).body).toContain(
      '<errorCode>401</errorCode>',
    );
    const r = igd.control({ soapAction: `${IPC2}#GetStatusInfo`, body, client: client(), path: '/ctl/IPConn' });
    expect(r.status).toBe(200);
  });

  it('the header names the action; the body only supplies arguments (any prefix or none)', () => {
    const { igd, router } = makeFixture();
    const body = soapBody('SomethingElse', IPC2, mapping(), 'm');
    const r = igd.control({ soapAction: `"${IPC2}#AddPortMapping"`, body, client: client(), path: '/ctl/IPConn' });
    expect(r.status).toBe(200);
    expect(r.body).toContain('AddPortMappingResponse');
    const noPrefix = soapBody('AddPortMapping', IPC2, mapping({ NewExternalPort: 5001 }), '');
    expect(igd.control({ soapAction: `"${IPC2}#AddPortMapping"`, body: noPrefix, client: client(), path: '/ctl/IPConn' }).status).toBe(200);
    expect(router.forwards.size).toBe(2);
  });

  it('malformed XML, DOCTYPE and entity bombs: 402 fault, never a crash', () => {
    const { igd } = makeFixture();
    const act = `"${IPC2}#AddPortMapping"`;
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' +
      '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:AddPortMapping xmlns:u="x">' +
      '<NewPortMappingDescription>&lol2;</NewPortMappingDescription></u:AddPortMapping></s:Body></s:Envelope>';
    for (const body of ['<s:Envelope><s:Body>', 'garbage', bomb, '\u0000\u0001\u0002', '<a>'.repeat(100) + '</a>'.repeat(100)]) {
      const r = igd.control({ soapAction: act, body, client: client(), path: '/ctl/IPConn' });
      expect(r.status).toBe(500);
      expect(r.body).toContain('<errorCode>402</errorCode>');
    }
    // An unknown action stays 401 whatever the body.
    expect(igd.control({ soapAction: `"${IPC2}#Nope"`, body: 'garbage', client: client(), path: '/' }).body).toContain(
      '<errorCode>401</errorCode>',
    );
    // A no-argument action with an empty body succeeds, as in miniupnpd.
    expect(igd.control({ soapAction: `"${IPC2}#GetStatusInfo"`, body: '', client: client(), path: '/' }).status).toBe(200);
  });

  it('escapes the echoed namespace', () => {
    const { igd } = makeFixture();
    const r = igd.control({ soapAction: '"urn:a"b<c>#GetStatusInfo"', body: '', client: client(), path: '/' });
    expect(r.body).toContain('xmlns:u="urn:a&quot;b&lt;c&gt;"');
  });

  it('reports requests and faults to onEvent', () => {
    const { igd, events } = makeFixture();
    call(igd, 'AddPortMapping', mapping({ NewExternalPort: 0 }));
    expect(events.map((e) => e.type)).toEqual(['soap-request', 'fault']);
    expect(events[1]).toMatchObject({ type: 'fault', action: 'AddPortMapping', code: 716 });
  });
});
