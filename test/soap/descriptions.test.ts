import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import {
  defaultDeviceInfo,
  deriveUdns,
  layer3ForwardingScpd,
  rootDescription,
  uuidFromSeed,
  wanCommonInterfaceConfigScpd,
  wanIpConnectionScpd,
} from '../../src/soap/descriptions.js';
import { makeFixture } from './helpers.js';

describe('UDNs', () => {
  it('derives WANDevice and WANConnectionDevice UDNs like miniupnpd (last hex digit + 1, 9→a, f→0)', () => {
    expect(deriveUdns('00000000-0000-0000-0000-000000000000')).toEqual({
      root: 'uuid:00000000-0000-0000-0000-000000000000',
      wanDevice: 'uuid:00000000-0000-0000-0000-000000000001',
      wanConnectionDevice: 'uuid:00000000-0000-0000-0000-000000000002',
    });
    expect(deriveUdns('uuid:x-8').wanConnectionDevice).toBe('uuid:x-a');
    expect(deriveUdns('uuid:x-e').wanConnectionDevice).toBe('uuid:x-0');
  });

  it('uuidFromSeed is stable and well-formed', () => {
    expect(uuidFromSeed('r1')).toBe(uuidFromSeed('r1'));
    expect(uuidFromSeed('r1')).not.toBe(uuidFromSeed('r2'));
    expect(uuidFromSeed('r1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('root description', () => {
  const cfg = (igdVersion: 1 | 2) => ({
    igdVersion,
    udns: deriveUdns('11111111-2222-3333-4444-555555555550'),
    info: defaultDeviceInfo('192.168.1.1'),
  });

  it("IGD:2 tree with miniupnpd's layout", () => {
    const x = rootDescription(cfg(2));
    expect(XMLValidator.validate(x)).toBe(true);
    expect(
      x.startsWith(
        '<?xml version="1.0"?>\r\n<root xmlns="urn:schemas-upnp-org:device-1-0" configId="1337">' +
          '<specVersion><major>1</major><minor>1</minor></specVersion><device>' +
          '<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType><friendlyName>OpenWRT router</friendlyName>',
      ),
    ).toBe(true);
    expect(x).toContain(
      '<UDN>uuid:11111111-2222-3333-4444-555555555550</UDN><serviceList><service>' +
        '<serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><serviceId>urn:upnp-org:serviceId:L3Forwarding1</serviceId>' +
        '<SCPDURL>/L3F.xml</SCPDURL><controlURL>/ctl/L3F</controlURL><eventSubURL>/evt/L3F</eventSubURL></service></serviceList><deviceList>',
    );
    expect(x).toContain('<deviceType>urn:schemas-upnp-org:device:WANDevice:2</deviceType><friendlyName>WANDevice</friendlyName>');
    expect(x).toContain('<UDN>uuid:11111111-2222-3333-4444-555555555551</UDN><UPC>MINIUPNPD</UPC>');
    expect(x).toContain(
      '<serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType><serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId>' +
        '<SCPDURL>/WANCfg.xml</SCPDURL><controlURL>/ctl/CmnIfCfg</controlURL><eventSubURL>/evt/CmnIfCfg</eventSubURL>',
    );
    expect(x).toContain('<deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:2</deviceType>');
    expect(x).toContain('<UDN>uuid:11111111-2222-3333-4444-555555555552</UDN>');
    expect(x).toContain(
      '<serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>' +
        '<SCPDURL>/WANIPCn.xml</SCPDURL><controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL>',
    );
    expect(x.endsWith('</deviceList><presentationURL>http://192.168.1.1/</presentationURL></device></root>')).toBe(true);
    expect(x).not.toContain('URLBase');
  });

  it('IGD:1 types; forceIgd1 downgrades an IGD:2; URLBase only when configured; empty fields omitted', () => {
    expect(rootDescription(cfg(1))).toContain('InternetGatewayDevice:1');
    const forced = rootDescription(cfg(2), true);
    expect(forced).toContain('WANIPConnection:1');
    expect(forced).not.toContain('Device:2');
    const withBase = rootDescription({ ...cfg(2), urlBase: 'http://192.168.1.1:5000/' });
    expect(withBase).toContain('</specVersion><URLBase>http://192.168.1.1:5000/</URLBase><device>');
    const noPres = rootDescription({ ...cfg(2), info: { ...defaultDeviceInfo('x'), presentationURL: '', friendlyName: 'A & B' } });
    expect(noPres).not.toContain('presentationURL');
    expect(noPres).toContain('<friendlyName>A &amp; B</friendlyName>');
  });

  it('the service uses the configured name and UUID', () => {
    const { igd } = makeFixture({ friendlyName: 'natsim r1', uuid: 'abcdef00-0000-4000-8000-000000000009' });
    const x = igd.description('/rootDesc.xml')!;
    expect(x).toContain('<friendlyName>natsim r1</friendlyName>');
    expect(x).toContain('<UDN>uuid:abcdef00-0000-4000-8000-00000000000a</UDN>');
    expect(igd.description('/ROOTDESC.XML')).toBe(x);
    expect(igd.description('/nope.xml')).toBeUndefined();
    expect(igd.description('/rootDesc.xml', 'Microsoft-Windows/10.0 UPnP/1.0')).toContain('InternetGatewayDevice:1');
    expect(makeFixture({ urlBase: true, httpPort: 5000 }).igd.description('/rootDesc.xml')).toContain(
      '<URLBase>http://192.168.1.1:5000/</URLBase>',
    );
    expect(igd.identity).toMatchObject({ rootUdn: 'uuid:abcdef00-0000-4000-8000-000000000009', igdVersion: 2, configId: 1337 });
  });
});

describe('service descriptions', () => {
  it('WANIPConnection:2 lists the v2 actions and state variables, miniupnpd style', () => {
    const x = wanIpConnectionScpd(2);
    expect(XMLValidator.validate(x)).toBe(true);
    expect(
      x.startsWith(
        '<?xml version="1.0"?>\r\n<scpd xmlns="urn:schemas-upnp-org:service-1-0"><specVersion><major>1</major><minor>1</minor></specVersion>' +
          '<actionList><action><name>SetConnectionType</name><argumentList><argument><name>NewConnectionType</name><direction>in</direction>' +
          '<relatedStateVariable>ConnectionType</relatedStateVariable></argument></argumentList></action>',
      ),
    ).toBe(true);
    for (const a of ['AddAnyPortMapping', 'DeletePortMappingRange', 'GetListOfPortMappings', 'GetGenericPortMappingEntry'])
      expect(x).toContain(`<name>${a}</name>`);
    expect(x).toContain('<action><name>RequestConnection</name></action>');
    expect(x).toContain(
      '<argument><name>NewReservedPort</name><direction>out</direction><relatedStateVariable>ExternalPort</relatedStateVariable></argument>',
    );
    expect(x).toContain(
      '<argument><name>NewPortMappingIndex</name><direction>in</direction><relatedStateVariable>PortMappingNumberOfEntries</relatedStateVariable></argument>',
    );
    expect(x).toContain(
      '<argument><name>NewNumberOfPorts</name><direction>in</direction><relatedStateVariable>PortMappingNumberOfEntries</relatedStateVariable></argument>',
    );
    expect(x).toContain(
      '<stateVariable sendEvents="yes"><name>ConnectionStatus</name><dataType>string</dataType><defaultValue>Unconfigured</defaultValue>' +
        '<allowedValueList><allowedValue>Unconfigured</allowedValue><allowedValue>Connecting</allowedValue><allowedValue>Connected</allowedValue>',
    );
    expect(x).toContain(
      '<stateVariable sendEvents="no"><name>PortMappingLeaseDuration</name><dataType>ui4</dataType><defaultValue>3600</defaultValue>' +
        '<allowedValueRange><minimum>0</minimum><maximum>604800</maximum></allowedValueRange></stateVariable>',
    );
    expect(x).toContain(
      '<stateVariable sendEvents="no"><name>PortMappingProtocol</name><dataType>string</dataType><allowedValueList><allowedValue>TCP</allowedValue><allowedValue>UDP</allowedValue></allowedValueList></stateVariable>',
    );
    expect(x).toContain('<name>SystemUpdateID</name>');
    expect(x.endsWith('</serviceStateTable></scpd>')).toBe(true);
  });

  it('WANIPConnection:1 has neither the v2 actions nor the v2 variables; forced IGDv1 keeps the v2 variables', () => {
    const x = wanIpConnectionScpd(1);
    expect(x).not.toContain('AddAnyPortMapping');
    expect(x).not.toContain('SystemUpdateID');
    const forced = wanIpConnectionScpd(2, true);
    expect(forced).not.toContain('AddAnyPortMapping');
    expect(forced).toContain('SystemUpdateID');
  });

  it('WANCommonInterfaceConfig:1 and Layer3Forwarding:1', () => {
    const c = wanCommonInterfaceConfigScpd();
    expect(XMLValidator.validate(c)).toBe(true);
    expect(c).toContain(
      '<stateVariable sendEvents="yes"><name>PhysicalLinkStatus</name><dataType>string</dataType><allowedValueList><allowedValue>Up</allowedValue>',
    );
    expect(c).toContain('<name>GetTotalPacketsReceived</name>');
    const l = layer3ForwardingScpd();
    expect(l).toContain('<stateVariable sendEvents="yes"><name>DefaultConnectionService</name><dataType>string</dataType></stateVariable>');
    expect(l).toContain('<name>SetDefaultConnectionService</name>');
  });
});
