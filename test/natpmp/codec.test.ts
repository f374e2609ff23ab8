import { describe, expect, it } from 'vitest';
import {
  encodeAddressResponse,
  encodeErrorResponse,
  encodeMapResponse,
  encodeNatpmpRequest,
  parseNatpmpRequest,
  parseNatpmpResponse,
} from '../../src/natpmp/codec.js';

describe('NAT-PMP codec (RFC 6886 §3)', () => {
  it('reads an external-address request (2 bytes) and a map request (12 bytes, big-endian)', () => {
    expect(parseNatpmpRequest(Uint8Array.of(0, 0))).toEqual({ kind: 'address', version: 0, opcode: 0 });
    const m = parseNatpmpRequest(Uint8Array.of(0, 2, 0, 0, 0x13, 0x88, 0x1f, 0x90, 0, 0, 0x1c, 0x20));
    expect(m).toEqual({ kind: 'map', version: 0, opcode: 2, protocol: 'tcp', internalPort: 5000, externalPort: 8080, lifetime: 7200 });
    expect(parseNatpmpRequest(encodeNatpmpRequest({ opcode: 1, internalPort: 65535, externalPort: 1, lifetime: 0xffffffff }))).toEqual({
      kind: 'map',
      version: 0,
      opcode: 1,
      protocol: 'udp',
      internalPort: 65535,
      externalPort: 1,
      lifetime: 0xffffffff,
    });
  });

  it('ignores what is too short and responses; names a bad version and a bad opcode', () => {
    expect(parseNatpmpRequest(Uint8Array.of())).toEqual({ ignored: 'too-short' });
    expect(parseNatpmpRequest(Uint8Array.of(0))).toEqual({ ignored: 'too-short' });
    expect(parseNatpmpRequest(Uint8Array.of(0, 1, 0, 0, 0, 1))).toEqual({ ignored: 'too-short' });
    expect(parseNatpmpRequest(Uint8Array.of(0, 128, 0, 0))).toEqual({ ignored: 'response' });
    expect(parseNatpmpRequest(Uint8Array.of(2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))).toEqual({ kind: 'bad-version', version: 2, opcode: 1 });
    expect(parseNatpmpRequest(Uint8Array.of(0, 3))).toEqual({ kind: 'bad-opcode', version: 0, opcode: 3 });
  });

  it('writes responses with opcode + 128, a 16-bit result and a 32-bit epoch', () => {
    expect([...encodeAddressResponse(0, 0x01020304, '203.0.113.7')]).toEqual([0, 128, 0, 0, 1, 2, 3, 4, 203, 0, 113, 7]);
    expect([...encodeMapResponse(1, 0, 9, 5000, 6000, 3600)]).toEqual([0, 129, 0, 0, 0, 0, 0, 9, 0x13, 0x88, 0x17, 0x70, 0, 0, 0x0e, 0x10]);
    expect([...encodeErrorResponse(7, 5, 1)]).toEqual([0, 135, 0, 5, 0, 0, 0, 1]);
    expect(parseNatpmpResponse(encodeMapResponse(2, 4, 1, 80, 0, 0))).toEqual({
      version: 0,
      opcode: 130,
      result: 4,
      epoch: 1,
      internalPort: 80,
      externalPort: 0,
      lifetime: 0,
    });
    expect(() => parseNatpmpResponse(Uint8Array.of(0, 128))).toThrow(/shorter/);
  });
});
