import { describe, expect, it } from 'vitest';
import { PCP_OPCODE as OP, PCP_OPTION, PCP_RESULT as R } from '../../src/constants.js';
import { readPcpAddress, writePcpAddress } from '../../src/pcp/address.js';
import { parsePcpRequest } from '../../src/pcp/codec.js';
import { encodePcpRequest, filterOption, pcpOption, preferFailureOption, thirdPartyOption } from '../../src/pcp/request.js';
import { encodePcpResponse, parsePcpResponse } from '../../src/pcp/response.js';
import { HOST, NONCE, UDP } from './helpers.js';

const map = (options: Uint8Array[] = []) =>
  encodePcpRequest({ opcode: OP.Map, client: HOST, nonce: NONCE, protocol: UDP, internalPort: 5000, lifetime: 60, options });
const withByte = (d: Uint8Array, at: number, v: number) => {
  const c = d.slice();
  c[at] = v;
  return c;
};
const errorOf = (d: Uint8Array) => {
  const r = parsePcpRequest(d, [2]);
  return 'error' in r ? r.error : 'ignored' in r ? r.ignored : 'ok';
};

describe('PCP addresses (IPv4-mapped IPv6)', () => {
  it.each([
    ['192.168.1.10', { kind: 'ipv4', address: '192.168.1.10' }],
    ['', { kind: 'unspecified' }],
  ])('%j round-trips as ::ffff:a.b.c.d', (text, parsed) => {
    const b = new Uint8Array(16);
    writePcpAddress(b, 0, text);
    expect([...b.subarray(0, 12)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
    expect(readPcpAddress(b, 0)).toEqual(parsed);
  });

  it('all zeros is unspecified; anything else not mapped is IPv6', () => {
    expect(readPcpAddress(new Uint8Array(16), 0)).toEqual({ kind: 'unspecified' });
    const v6 = new Uint8Array(16);
    v6[0] = 0x20;
    v6[1] = 0x01;
    v6[15] = 1;
    expect(readPcpAddress(v6, 0)).toEqual({ kind: 'ipv6', text: '2001:0:0:0:0:0:0:1' });
  });
});

describe('PCP request parsing: the checks of RFC 6887 §8.3, in order', () => {
  it.each<[string, Uint8Array, string | number]>([
    ['one byte is dropped', new Uint8Array([2]), 'too-short'],
    ['the R bit set is dropped (a response)', withByte(map(), 1, 0x81), 'response'],
    ['version 3 is UNSUPP_VERSION', withByte(map(), 0, 3), R.UNSUPP_VERSION],
    ['version 1 (the draft) is UNSUPP_VERSION where only 2 is spoken', withByte(map(), 0, 1), R.UNSUPP_VERSION],
    ['an unsupported version wins over a bad length', new Uint8Array([7, 1, 0]), R.UNSUPP_VERSION],
    ['20 bytes is MALFORMED_REQUEST (under 24)', map().subarray(0, 20), R.MALFORMED_REQUEST],
    ['62 bytes is MALFORMED_REQUEST (not a multiple of 4)', new Uint8Array([...map(), 0, 0]), R.MALFORMED_REQUEST],
    [
      '1104 bytes is MALFORMED_REQUEST (over 1100)',
      (() => {
        const d = new Uint8Array(1104);
        d.set(map());
        return d;
      })(),
      R.MALFORMED_REQUEST,
    ],
    ['opcode 3 is UNSUPP_OPCODE', withByte(encodePcpRequest({ opcode: OP.Announce, client: HOST }), 1, 3), R.UNSUPP_OPCODE],
    ['a MAP with 16 bytes of opcode data is MALFORMED_REQUEST', map().subarray(0, 40), R.MALFORMED_REQUEST],
    ['an option running past the end is MALFORMED_OPTION', new Uint8Array([...map(), 1, 0, 0, 16]), R.MALFORMED_OPTION],
    ['an unknown mandatory option (50) is UNSUPP_OPTION', map([pcpOption(50, new Uint8Array(4))]), R.UNSUPP_OPTION],
    ['an unknown optional option (200) is skipped', map([pcpOption(200, new Uint8Array(3))]), 'ok'],
    ['PREFER_FAILURE with a body is MALFORMED_OPTION', map([pcpOption(PCP_OPTION.PreferFailure, new Uint8Array(4))]), R.MALFORMED_OPTION],
    ['PREFER_FAILURE twice is MALFORMED_OPTION', map([preferFailureOption(), preferFailureOption()]), R.MALFORMED_OPTION],
    [
      'THIRD_PARTY twice is MALFORMED_OPTION',
      map([thirdPartyOption('192.168.1.30'), thirdPartyOption('192.168.1.31')]),
      R.MALFORMED_OPTION,
    ],
    ['THIRD_PARTY of 12 bytes is MALFORMED_OPTION', map([pcpOption(PCP_OPTION.ThirdParty, new Uint8Array(12))]), R.MALFORMED_OPTION],
    ['FILTER with prefix length 129 is MALFORMED_OPTION', map([withByte(filterOption('203.0.113.0', 24), 5, 129)]), R.MALFORMED_OPTION],
    [
      'an IPv4 FILTER with prefix length 90 (< 96) is MALFORMED_OPTION',
      map([withByte(filterOption('203.0.113.0', 24), 5, 90)]),
      R.MALFORMED_OPTION,
    ],
    [
      'FILTER on ANNOUNCE is MALFORMED_OPTION',
      encodePcpRequest({ opcode: OP.Announce, client: HOST, options: [filterOption('203.0.113.0', 24)] }),
      R.MALFORMED_OPTION,
    ],
    [
      'PREFER_FAILURE on PEER is MALFORMED_OPTION',
      encodePcpRequest({ opcode: OP.Peer, client: HOST, options: [preferFailureOption()] }),
      R.MALFORMED_OPTION,
    ],
    [
      'a MAP with THIRD_PARTY, PREFER_FAILURE and two FILTERs parses',
      map([thirdPartyOption('192.168.1.30'), preferFailureOption(), filterOption('203.0.113.0', 24), filterOption('198.51.100.1', 32, 80)]),
      'ok',
    ],
  ])('%s', (_name, bytes, expected) => {
    expect(errorOf(bytes)).toBe(expected);
  });

  it('reads every MAP field, the nonce as hex, and the options', () => {
    const r = parsePcpRequest(
      encodePcpRequest({
        opcode: OP.Map,
        client: HOST,
        nonce: NONCE,
        protocol: UDP,
        internalPort: 5000,
        suggestedPort: 6000,
        suggestedAddress: '81.2.69.160',
        lifetime: 7200,
        options: [filterOption('203.0.113.0', 24, 443), preferFailureOption()],
      }),
      [2],
    );
    expect(r).toMatchObject({
      kind: 'map',
      nonce: NONCE,
      protocol: UDP,
      internalPort: 5000,
      suggestedPort: 6000,
      suggestedAddress: { kind: 'ipv4', address: '81.2.69.160' },
      header: { version: 2, opcode: 1, lifetime: 7200, client: { kind: 'ipv4', address: HOST } },
      options: { preferFailure: true, filters: [{ prefixLength: 120, remotePort: 443, remote: { kind: 'ipv4', address: '203.0.113.0' } }] },
    });
  });

  it('reads a version-1 (draft) MAP, which has no nonce, where version 1 is spoken', () => {
    const r = parsePcpRequest(
      encodePcpRequest({ version: 1, opcode: OP.Map, client: HOST, protocol: UDP, internalPort: 5000, suggestedPort: 5001, lifetime: 60 }),
      [1],
    );
    expect(r).toMatchObject({ kind: 'map', nonce: '', internalPort: 5000, suggestedPort: 5001, header: { version: 1 } });
  });
});

describe('PCP response encoding', () => {
  it('sets the R bit, the result, lifetime and epoch; keeps the length a multiple of 4 and at most 1100', () => {
    const r = encodePcpResponse({
      version: 2,
      opcode: 0,
      result: R.SUCCESS,
      lifetime: 0,
      epoch: 77,
      options: Array.from({ length: 400 }, () => pcpOption(200, new Uint8Array(3))),
    });
    expect(r.length % 4).toBe(0);
    expect(r.length).toBeLessThanOrEqual(1100);
    expect(parsePcpResponse(r)).toMatchObject({ version: 2, opcode: 0, result: 0, lifetime: 0, epoch: 77 });
    expect(r[1]).toBe(0x80);
  });
});
