import { describe, expect, it } from 'vitest';
import type { ParseResult, SsdpMessage } from '../../src/ssdp/message.js';
import {
  buildMSearch,
  buildNotifyAlive,
  buildNotifyByebye,
  buildSearchResponse,
  formatHttpDate,
  parseSsdpMessage,
  SSDP_MAX_DATAGRAM_BYTES,
} from '../../src/ssdp/message.js';
import { DATE, IGD, LOCATION, NOW, prng, ROOT, SERVER } from './fixtures.js';

function ok(r: ParseResult): SsdpMessage {
  if (!r.ok) throw new Error(`expected ok, got ${r.error}`);
  return r.message;
}

function err(r: ParseResult): string {
  if (r.ok) throw new Error('expected a parse error');
  return r.error;
}

describe('parseSsdpMessage', () => {
  const crlf = 'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 2\r\nST: ssdp:all\r\n\r\n';

  it('parses an M-SEARCH with CRLF line endings', () => {
    const m = ok(parseSsdpMessage(crlf));
    expect(m).toEqual({
      kind: 'request',
      method: 'M-SEARCH',
      version: 'HTTP/1.1',
      headers: new Map([
        ['host', '239.255.255.250:1900'],
        ['man', '"ssdp:discover"'],
        ['mx', '2'],
        ['st', 'ssdp:all'],
      ]),
    });
  });

  it('accepts a Buffer and gives the same result as a string', () => {
    expect(parseSsdpMessage(Buffer.from(crlf))).toEqual(parseSsdpMessage(crlf));
    expect(parseSsdpMessage(new Uint8Array(Buffer.from(crlf)))).toEqual(parseSsdpMessage(crlf));
  });

  it('tolerates bare LF and mixed line endings', () => {
    const lf = crlf.replaceAll('\r\n', '\n');
    expect(parseSsdpMessage(lf)).toEqual(parseSsdpMessage(crlf));
    const mixed = 'M-SEARCH * HTTP/1.1\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\nMX: 2\r\nST: ssdp:all\n\r\n';
    expect(parseSsdpMessage(mixed)).toEqual(parseSsdpMessage(crlf));
  });

  it('reads header names case-insensitively and trims values', () => {
    const m = ok(
      parseSsdpMessage(
        'M-SEARCH * HTTP/1.1\r\nhOsT:239.255.255.250:1900\r\nSt: \t upnp:rootdevice \t\r\nMan:"ssdp:discover"\r\nmx:  3\r\n\r\n',
      ),
    );
    expect(m.headers.get('st')).toBe('upnp:rootdevice');
    expect(m.headers.get('host')).toBe('239.255.255.250:1900');
    expect(m.headers.get('man')).toBe('"ssdp:discover"');
    expect(m.headers.get('mx')).toBe('3');
  });

  it('keeps empty values, the first of repeated headers, and colons inside values', () => {
    const m = ok(parseSsdpMessage(`M-SEARCH * HTTP/1.1\r\nEXT:\r\nST: ${ROOT}\r\nST: ssdp:all\r\n\r\n`));
    expect(m.headers.get('ext')).toBe('');
    expect(m.headers.get('st')).toBe(ROOT);
  });

  it('accepts a datagram without the final empty line and ignores a body', () => {
    expect(ok(parseSsdpMessage('M-SEARCH * HTTP/1.1\r\nST: ssdp:all')).headers.get('st')).toBe('ssdp:all');
    const m = ok(parseSsdpMessage('M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\n\r\nnot: a header\r\n\x00\x01'));
    expect([...m.headers.keys()]).toEqual(['st']);
  });

  it('parses NOTIFY requests and HTTP responses', () => {
    const n = ok(parseSsdpMessage(buildNotifyByebye({ nt: 'upnp:rootdevice', usn: `${ROOT}::upnp:rootdevice`, bootId: 1, configId: 2 })));
    expect(n.kind === 'request' && n.method).toBe('NOTIFY');
    expect(n.headers.get('nts')).toBe('ssdp:byebye');
    const r = ok(parseSsdpMessage('HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\n\r\n'));
    expect(r).toMatchObject({ kind: 'response', version: 'HTTP/1.1', status: 200, reason: 'OK' });
    expect(ok(parseSsdpMessage('HTTP/1.0 404\r\n\r\n'))).toMatchObject({ kind: 'response', status: 404, reason: '' });
    expect(ok(parseSsdpMessage('M-SEARCH * HTTP/1.0\r\n\r\n'))).toMatchObject({ kind: 'request', version: 'HTTP/1.0' });
  });

  it.each([
    ['', /empty/],
    ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', /start line/],
    ['M-SEARCH / HTTP/1.1\r\n\r\n', /start line/],
    ['m-search * HTTP/1.1\r\n\r\n', /start line/],
    ['M-SEARCH * HTTP/2.0\r\n\r\n', /start line/],
    ['M-SEARCH  * HTTP/1.1\r\n\r\n', /start line/],
    ['HTTP/1.1 99 Weird\r\n\r\n', /start line/],
    ['M-SEARCH * HTTP/1.1\r\nST ssdp:all\r\n\r\n', /invalid header name/],
    ['M-SEARCH * HTTP/1.1\r\nJUNK\r\n\r\n', /no name/],
    ['M-SEARCH * HTTP/1.1\r\n: ssdp:all\r\n\r\n', /no name/],
    ['M-SEARCH * HTTP/1.1\r\nS T: ssdp:all\r\n\r\n', /invalid header name/],
    ['M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\n continued\r\n\r\n', /folding/],
    ['M-SEARCH * HTTP/1.1\r\nST: ssdp\x00:all\r\n\r\n', /control character/],
    ['M-SEARCH * HTTP/1.1\r\nST: ssdp\r:all\r\n\r\n', /control character/],
    ['M-SEARCH * HTTP/1.1\x00\r\n\r\n', /control character/],
  ])('refuses malformed input %j', (input, why) => {
    expect(err(parseSsdpMessage(input))).toMatch(why);
  });

  it('refuses datagrams over the size limit', () => {
    const huge = Buffer.alloc(65507, 'A'.charCodeAt(0));
    expect(err(parseSsdpMessage(huge))).toBe('datagram too large (65507 > 4096 bytes)');
    const atLimit = `M-SEARCH * HTTP/1.1\r\nX: ${'a'.repeat(SSDP_MAX_DATAGRAM_BYTES - 28)}\r\n\r\n`;
    expect(Buffer.byteLength(atLimit)).toBe(SSDP_MAX_DATAGRAM_BYTES);
    expect(parseSsdpMessage(atLimit).ok).toBe(true);
    expect(parseSsdpMessage(`${atLimit}x`).ok).toBe(false);
    expect(err(parseSsdpMessage('M-SEARCH * HTTP/1.1\r\n\r\n', { maxBytes: 10 }))).toMatch(/too large/);
  });

  it('never throws on binary garbage', () => {
    const rand = prng(42);
    let parsed = 0;
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(rand() * 600);
      const bytes = Buffer.alloc(len);
      for (let j = 0; j < len; j++) bytes[j] = Math.floor(rand() * 256);
      // Half of the cases start with a valid request line, to exercise the header parser.
      const input = i % 2 === 0 ? bytes : Buffer.concat([Buffer.from('M-SEARCH * HTTP/1.1\r\n'), bytes]);
      const r = parseSsdpMessage(input);
      expect(typeof r.ok).toBe('boolean');
      if (r.ok) parsed++;
    }
    expect(parsed).toBeLessThan(3000);
    expect(err(parseSsdpMessage(Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a, 0x0d])))).toMatch(/control|start line/);
  });
});

describe('builders', () => {
  it('formats RFC 1123 dates', () => {
    expect(formatHttpDate(NOW)).toBe(DATE);
    expect(formatHttpDate(new Date(0))).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
  });

  it('builds a search response byte for byte', () => {
    const msg = buildSearchResponse({
      maxAge: 1800,
      date: new Date(NOW),
      location: LOCATION,
      server: SERVER,
      st: IGD(1),
      usn: `${ROOT}::${IGD(1)}`,
      bootId: 7,
      configId: 1,
    });
    expect(msg).toBe(
      'HTTP/1.1 200 OK\r\n' +
        'CACHE-CONTROL: max-age=1800\r\n' +
        'DATE: Tue, 02 Jan 2024 03:04:05 GMT\r\n' +
        'EXT:\r\n' +
        'LOCATION: http://192.168.1.1:49000/rootDesc.xml\r\n' +
        'SERVER: Linux/5.10 UPnP/1.1 natsim/0.1\r\n' +
        'ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n' +
        'USN: uuid:11111111-1111-4111-8111-111111111111::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n' +
        'BOOTID.UPNP.ORG: 7\r\n' +
        'CONFIGID.UPNP.ORG: 1\r\n' +
        '\r\n',
    );
    const back = ok(parseSsdpMessage(msg));
    expect(back.kind).toBe('response');
    expect(back.headers.get('ext')).toBe('');
    expect(back.headers.get('usn')).toBe(`${ROOT}::${IGD(1)}`);
  });

  it('builds NOTIFY ssdp:alive byte for byte', () => {
    expect(
      buildNotifyAlive({
        nt: 'upnp:rootdevice',
        usn: `${ROOT}::upnp:rootdevice`,
        maxAge: 120,
        location: LOCATION,
        server: SERVER,
        bootId: 3,
        configId: 9,
      }),
    ).toBe(
      'NOTIFY * HTTP/1.1\r\n' +
        'HOST: 239.255.255.250:1900\r\n' +
        'CACHE-CONTROL: max-age=120\r\n' +
        'LOCATION: http://192.168.1.1:49000/rootDesc.xml\r\n' +
        'NT: upnp:rootdevice\r\n' +
        'NTS: ssdp:alive\r\n' +
        'SERVER: Linux/5.10 UPnP/1.1 natsim/0.1\r\n' +
        'USN: uuid:11111111-1111-4111-8111-111111111111::upnp:rootdevice\r\n' +
        'BOOTID.UPNP.ORG: 3\r\n' +
        'CONFIGID.UPNP.ORG: 9\r\n' +
        '\r\n',
    );
  });

  it('builds NOTIFY ssdp:byebye byte for byte', () => {
    expect(buildNotifyByebye({ nt: ROOT, usn: ROOT, bootId: 3, configId: 9 })).toBe(
      'NOTIFY * HTTP/1.1\r\n' +
        'HOST: 239.255.255.250:1900\r\n' +
        'NT: uuid:11111111-1111-4111-8111-111111111111\r\n' +
        'NTS: ssdp:byebye\r\n' +
        'USN: uuid:11111111-1111-4111-8111-111111111111\r\n' +
        'BOOTID.UPNP.ORG: 3\r\n' +
        'CONFIGID.UPNP.ORG: 9\r\n' +
        '\r\n',
    );
  });

  it('builds M-SEARCH requests, multicast and unicast', () => {
    expect(buildMSearch({ st: 'ssdp:all', mx: 2 })).toBe(
      'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 2\r\nST: ssdp:all\r\n\r\n',
    );
    expect(buildMSearch({ st: 'upnp:rootdevice', host: '127.0.0.1:1900' })).toBe(
      'M-SEARCH * HTTP/1.1\r\nHOST: 127.0.0.1:1900\r\nMAN: "ssdp:discover"\r\nST: upnp:rootdevice\r\n\r\n',
    );
  });

  it('refuses header injection and bad numbers', () => {
    expect(() => buildMSearch({ st: 'ssdp:all\r\nX-Evil: 1' })).toThrow(TypeError);
    expect(() => buildNotifyByebye({ nt: 'a\nb', usn: 'u', bootId: 1, configId: 1 })).toThrow(TypeError);
    expect(() => buildNotifyByebye({ nt: 'a', usn: 'u', bootId: -1, configId: 1 })).toThrow(RangeError);
    expect(() => buildMSearch({ st: 'ssdp:all', mx: 1.5 })).toThrow(RangeError);
  });
});
