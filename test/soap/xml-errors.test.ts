import { describe, expect, it } from 'vitest';
import { UPNP_ERROR } from '../../src/constants.js';
import { soapFaultBody, UpnpError } from '../../src/soap/errors.js';
import { decodeXmlText, parseSoapActionHeader, parseSoapBody, soapEnvelope } from '../../src/soap/xml.js';

describe('UpnpError', () => {
  it("renders miniupnpd's fault envelope byte for byte", () => {
    const e = new UpnpError(UPNP_ERROR.ConflictInMappingEntry, 'port taken');
    expect(e.code).toBe(718);
    expect(e.description).toBe('ConflictInMappingEntry');
    expect(e.httpStatus).toBe(500);
    expect(e.message).toBe('718 ConflictInMappingEntry: port taken');
    expect(e.toSoapFault()).toBe(
      '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
        '<s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>' +
        '<UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>718</errorCode><errorDescription>ConflictInMappingEntry</errorDescription>' +
        '</UPnPError></detail></s:Fault></s:Body></s:Envelope>',
    );
  });

  it("uses miniupnpd's descriptions", () => {
    expect(new UpnpError(401).description).toBe('Invalid Action');
    expect(new UpnpError(402).description).toBe('Invalid Args');
    expect(new UpnpError(606).description).toBe('Action not authorized');
    expect(new UpnpError(733).description).toBe('InconsistentParameter');
    expect(new UpnpError(999).description).toBe('Action Failed');
    expect(soapFaultBody(1, 'a<b')).toContain('<errorDescription>a&lt;b</errorDescription>');
  });
});

describe('parseSoapActionHeader', () => {
  it('accepts quoted, single-quoted and bare values', () => {
    const want = { serviceType: 'urn:schemas-upnp-org:service:WANIPConnection:1', action: 'AddPortMapping' };
    expect(parseSoapActionHeader('"urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping"')).toEqual(want);
    expect(parseSoapActionHeader("'urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping'")).toEqual(want);
    expect(parseSoapActionHeader(' urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping ')).toEqual(want);
    expect(parseSoapActionHeader('urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping"')).toEqual(want);
  });

  it('undefined without #', () => {
    expect(parseSoapActionHeader('AddPortMapping')).toBeUndefined();
    expect(parseSoapActionHeader(undefined)).toBeUndefined();
    expect(parseSoapActionHeader('""')).toBeUndefined();
  });

  it('truncates the namespace to 255 characters', () => {
    expect(parseSoapActionHeader(`${'x'.repeat(300)}#A`)?.serviceType).toHaveLength(255);
  });
});

describe('parseSoapBody', () => {
  const env = (inner: string): string =>
    `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>${inner}</soap:Body></soap:Envelope>`;

  it('extracts action, namespace and arguments regardless of prefixes', () => {
    const r = parseSoapBody(
      env(
        '<m:AddPortMapping xmlns:m="urn:x:1"><NewRemoteHost></NewRemoteHost><m:NewExternalPort> 80 </m:NewExternalPort><E/></m:AddPortMapping>',
      ),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.body.action).toBe('AddPortMapping');
    expect(r.body.serviceType).toBe('urn:x:1');
    expect([...r.body.args]).toEqual([
      ['NewRemoteHost', ''],
      ['NewExternalPort', '80'],
      ['E', ''],
    ]);
  });

  it('resolves a default namespace and one declared on the envelope', () => {
    const a = parseSoapBody(env('<AddPortMapping xmlns="urn:y:2"/>'));
    expect(a.ok && a.body.serviceType).toBe('urn:y:2');
    const b = parseSoapBody('<s:Envelope xmlns:s="e" xmlns:u="urn:z:1"><s:Body><u:GetStatusInfo/></s:Body></s:Envelope>');
    expect(b.ok && b.body.serviceType).toBe('urn:z:1');
  });

  it('decodes only the predefined entities and character references; CDATA is literal', () => {
    const r = parseSoapBody(env('<u:A xmlns:u="n"><D>a&amp;b&lt;&#65;&#x42;&unknown;<![CDATA[&amp;<x>]]></D></u:A>'));
    expect(r.ok && r.body.args.get('D')).toBe('a&b<AB&unknown;&amp;<x>');
    expect(decodeXmlText('&#0;&#xD800;&quot;&apos;')).toBe('&#0;&#xD800;"\'');
  });

  it('refuses DOCTYPE/ENTITY, deep nesting, malformed XML and oversize bodies', () => {
    expect(parseSoapBody('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')).toMatchObject({ ok: false, error: 'doctype' });
    expect(parseSoapBody('<x><!ENTITY a "b"></x>')).toMatchObject({ ok: false, error: 'doctype' });
    expect(parseSoapBody('<a>'.repeat(40) + '</a>'.repeat(40))).toMatchObject({ ok: false, error: 'too-deep' });
    expect(parseSoapBody('<a><b></a>')).toMatchObject({ ok: false, error: 'malformed' });
    expect(parseSoapBody('not xml')).toMatchObject({ ok: false, error: 'malformed' });
    expect(parseSoapBody('x'.repeat(100), { maxBytes: 10 })).toMatchObject({ ok: false, error: 'too-large' });
  });

  it("without an envelope, takes every leaf element (miniupnpd's name/value parser)", () => {
    const r = parseSoapBody('<x><NewExternalPort>1</NewExternalPort><y><NewProtocol>TCP</NewProtocol></y></x>');
    expect(r.ok && [...r.body.args]).toEqual([
      ['NewExternalPort', '1'],
      ['NewProtocol', 'TCP'],
    ]);
  });

  it('takes a bare & literally (miniupnpc does not escape descriptions), also next to CDATA', () => {
    const r = parseSoapBody(env('<u:A xmlns:u="n"><D>Tom & Jerry &amp; co</D><C><![CDATA[a & b]]></C></u:A>'));
    expect(r.ok && r.body.args.get('D')).toBe('Tom & Jerry & co');
    expect(r.ok && r.body.args.get('C')).toBe('a & b');
  });

  it('an empty body has no arguments', () => {
    expect(parseSoapBody('  ')).toMatchObject({ ok: true, body: { action: '' } });
  });
});

describe('soapEnvelope', () => {
  it("matches miniupnpd's reply envelope", () => {
    expect(soapEnvelope('<x/>')).toBe(
      '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' +
        's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><x/></s:Body></s:Envelope>\r\n',
    );
  });
});
