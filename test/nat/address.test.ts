/** IPv4 addresses, prefixes and endpoints. */
import { describe, expect, it } from 'vitest';
import {
  AddressError,
  ep,
  formatEndpoint,
  formatIPv4,
  formatPrefix,
  inPrefix,
  isIPv4,
  isReservedAddress,
  nthAddress,
  parseEndpoint,
  parseIPv4,
  parsePrefix,
  sameEndpoint,
  tryParseIPv4,
} from '../../src/nat/index.js';

describe('addresses', () => {
  it('parses and formats dotted quads as unsigned 32-bit numbers', () => {
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('192.168.1.10')).toBe(0xc0a8010a);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(formatIPv4(0xc0a8010a)).toBe('192.168.1.10');
    expect(formatIPv4(0xffffffff)).toBe('255.255.255.255');
    for (const t of ['1.2.3.4', '10.0.0.1', '203.0.113.255']) expect(formatIPv4(parseIPv4(t))).toBe(t);
  });

  it.each(['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.04', ' 1.2.3.4', '1.2.3.4 ', 'a.b.c.d', '', '1.2.3.-4', '1..2.3'])(
    'rejects %j with an exact message',
    (text) => {
      expect(() => parseIPv4(text)).toThrow(AddressError);
      expect(() => parseIPv4(text)).toThrow(`not an IPv4 address: "${text}"`);
      expect(isIPv4(text)).toBe(false);
    },
  );

  it.each(['1.2.3.4.', '.1.2.3.4', '1.2.3.1000', '1.2.3.', '1.2.3.4\n', '１.2.3.4', '1.2.3.256', '0.0.0.00'])('rejects %j too', (text) => {
    expect(isIPv4(text)).toBe(false);
    expect(tryParseIPv4(text)).toBe(-1);
  });

  it('agrees with the dotted-quad grammar on every octet value and random text', () => {
    const grammar = (t: string): boolean =>
      /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(t) &&
      t.split('.').every((p) => Number(p) <= 255 && !(p.length > 1 && p.startsWith('0')));
    const octets = [...Array.from({ length: 300 }, (_, i) => String(i)), '00', '01', '000', '007', '0255', ''];
    for (const o of octets) for (const t of [`${o}.1.2.3`, `1.2.3.${o}`]) expect(isIPv4(t), t).toBe(grammar(t));
    let seed = 7;
    for (let k = 0; k < 20_000; k++) {
      let t = '';
      const len = 1 + ((seed = (seed * 1103515245 + 12345) >>> 0) % 16);
      for (let i = 0; i < len; i++) t += '0123456789..x'[(seed = (seed * 1103515245 + 12345) >>> 0) % 13];
      expect(isIPv4(t), t).toBe(grammar(t));
    }
  });

  it('accepts a single zero octet and names the error class', () => {
    expect(isIPv4('10.0.0.0')).toBe(true);
    try {
      parseIPv4('x');
    } catch (e) {
      expect((e as Error).name).toBe('AddressError');
    }
  });
});

describe('prefixes', () => {
  it('parses, masks and formats', () => {
    expect(parsePrefix('192.168.1.0/24')).toEqual({ addr: 0xc0a80100, len: 24 });
    expect(formatPrefix(parsePrefix('10.1.2.3/8'))).toBe('10.0.0.0/8');
    expect(formatPrefix(parsePrefix('100.127.1.1/10'))).toBe('100.64.0.0/10');
    expect(formatPrefix(parsePrefix('1.2.3.4'))).toBe('1.2.3.4/32');
    expect(formatPrefix(parsePrefix('255.255.255.255/32'))).toBe('255.255.255.255/32');
    expect(formatPrefix(parsePrefix('8.8.8.8/0'))).toBe('0.0.0.0/0');
  });

  it.each(['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', '10.0.0.0/ 8', '10.0.0.0/123'])('rejects %j', (text) => {
    expect(() => parsePrefix(text)).toThrow(`not an IPv4 prefix: "${text}"`);
  });

  it('reports a bad address inside a prefix as an address error', () => {
    expect(() => parsePrefix('10.0.0.256/8')).toThrow('not an IPv4 address: "10.0.0.256"');
  });

  it('membership and n-th address', () => {
    const p = parsePrefix('100.64.0.0/10');
    expect(inPrefix(parseIPv4('100.64.0.1'), p)).toBe(true);
    expect(inPrefix(parseIPv4('100.127.255.255'), p)).toBe(true);
    expect(inPrefix(parseIPv4('100.128.0.0'), p)).toBe(false);
    expect(inPrefix(parseIPv4('100.63.255.255'), p)).toBe(false);
    expect(inPrefix(parseIPv4('9.9.9.9'), parsePrefix('0.0.0.0/0'))).toBe(true);
    expect(inPrefix(parseIPv4('255.255.255.255'), parsePrefix('255.255.255.255/32'))).toBe(true);
    expect(formatIPv4(nthAddress(parsePrefix('192.168.1.0/24'), 1))).toBe('192.168.1.1');
    expect(formatIPv4(nthAddress(parsePrefix('100.64.0.0/10'), 2))).toBe('100.64.0.2');
  });
});

describe('endpoints', () => {
  it('builds, formats, parses and compares', () => {
    expect(formatEndpoint(ep('1.2.3.4', 5000))).toBe('1.2.3.4:5000');
    expect(formatEndpoint(ep(0xcb007101, 0))).toBe('203.0.113.1:0');
    expect(parseEndpoint('203.0.113.1:65535')).toEqual({ ip: 0xcb007101, port: 65535 });
    expect(sameEndpoint(parseEndpoint('1.2.3.4:80'), ep('1.2.3.4', 80))).toBe(true);
    expect(sameEndpoint(ep('1.2.3.4', 80), ep('1.2.3.4', 81))).toBe(false);
    expect(sameEndpoint(ep('1.2.3.4', 80), ep('1.2.3.5', 80))).toBe(false);
  });

  it.each(['1.2.3.4', '1.2.3.4:65536', '1.2.3.4:-1', '1.2.3.4:1.5', '1.2.3.4:x'])('rejects %j', (text) => {
    expect(() => parseEndpoint(text)).toThrow(`not an endpoint (address:port): "${text}"`);
  });

  it('reports a bad address in an endpoint as an address error', () => {
    expect(() => parseEndpoint('1.2.3:80')).toThrow('not an IPv4 address: "1.2.3"');
  });

  it('rejects ports that are not plain decimal digits (Number() accepts "", " 80", "0x50", "1e3", "+80")', () => {
    const lax = ['1.2.3.4:', '1.2.3.4: 80', '1.2.3.4:0x50', '1.2.3.4:1e3', '1.2.3.4:+80'];
    const accepted = lax.filter((text) => {
      try {
        parseEndpoint(text);
        return true;
      } catch (e) {
        expect((e as Error).message).toBe(`not an endpoint (address:port): "${text}"`);
        return false;
      }
    });
    expect(accepted).toEqual([]);
  });
});

describe('isReservedAddress', () => {
  it.each([
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    '100.127.255.254',
    '127.0.0.1',
    '169.254.1.1',
    '0.1.2.3',
    '192.0.2.1',
    '198.51.100.5',
    '203.0.113.1',
    '198.18.0.1',
    '224.0.0.1',
    '255.255.255.255',
  ])('%s is reserved', (t) => expect(isReservedAddress(parseIPv4(t))).toBe(true));

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '172.15.255.255', '100.128.0.1', '100.63.255.255', '192.169.0.1', '11.0.0.1'])(
    '%s is global',
    (t) => expect(isReservedAddress(parseIPv4(t))).toBe(false),
  );
});
