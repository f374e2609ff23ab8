import { describe, expect, it } from 'vitest';
import { STUN_MAX_MESSAGE, STUN_ATTRIBUTE as T } from '../../src/constants.js';
import {
  decodeStunAddress,
  decodeStunErrorCode,
  encodeStunAddress,
  encodeStunErrorCode,
  encodeStunMessage,
  parseStunMessage,
  stunFingerprint,
  stunMessageType,
} from '../../src/stun/codec.js';
import { bindingRequest, TX } from './helpers.js';

const hex = (s: string): Uint8Array =>
  Uint8Array.from(
    s
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((b) => Number.parseInt(b, 16)),
  );

/** RFC 5769 §2.2: the sample IPv4 Binding response (SOFTWARE, XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT). */
const RFC5769_RESPONSE = hex(`
  0101 003c 2112a442 b7e7a701 bc34d686 fa87dfae
  8022 000b 74657374 20766563 746f7220
  0020 0008 0001 a147 e112a643
  0008 0014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7
  8028 0004 c07d4c96`);

describe('STUN codec (RFC 5389 §6, §15)', () => {
  it('puts the class bits at positions 4 and 8 of the message type', () => {
    expect(stunMessageType(1, 'request')).toBe(0x0001);
    expect(stunMessageType(1, 'indication')).toBe(0x0011);
    expect(stunMessageType(1, 'success')).toBe(0x0101);
    expect(stunMessageType(1, 'error')).toBe(0x0111);
    expect(stunMessageType(0xfff, 'error')).toBe(0x3fff);
  });

  it('reads the RFC 5769 sample response: FINGERPRINT checked, XOR-MAPPED-ADDRESS 192.0.2.1:32853', () => {
    const p = parseStunMessage(RFC5769_RESPONSE);
    if (!p.ok) throw new Error(p.error);
    expect(p.message).toMatchObject({ method: 1, class: 'success', rfc5389: true, fingerprint: true });
    expect(p.message.attributes.map((a) => [a.type, a.value.length])).toEqual([
      [T.Software, 11],
      [T.XorMappedAddress, 8],
      [T.MessageIntegrity, 20],
    ]);
    expect(decodeStunAddress(p.message.attributes[1]!.value, p.message.transactionId)).toEqual({
      family: 'IPv4',
      address: '192.0.2.1',
      port: 32853,
    });
    // … and writes the same XOR-MAPPED-ADDRESS bytes.
    expect([...encodeStunAddress({ ip: 0xc0000201, port: 32853 }, p.message.transactionId)]).toEqual([...hex('0001 a147 e112a643')]);
    // One flipped bit anywhere before FINGERPRINT and the message is refused.
    const corrupt = RFC5769_RESPONSE.slice();
    corrupt[30]! ^= 1;
    expect(parseStunMessage(corrupt)).toEqual({
      ok: false,
      stage: 'header',
      problem: 'bad-fingerprint',
      error: 'FINGERPRINT does not match the message',
    });
  });

  it('writes attributes padded to 4 bytes and a FINGERPRINT it can read back', () => {
    const bytes = encodeStunMessage({
      method: 1,
      class: 'request',
      transactionId: TX,
      attributes: [{ type: T.Software, value: Uint8Array.of(0x61, 0x62, 0x63) }],
      fingerprint: true,
    });
    expect(bytes.length).toBe(20 + 8 + 8);
    expect([...bytes.subarray(0, 4)]).toEqual([0, 1, 0, 16]);
    expect([...bytes.subarray(20, 28)]).toEqual([0x80, 0x22, 0, 3, 0x61, 0x62, 0x63, 0]);
    const p = parseStunMessage(bytes);
    expect(p.ok && p.message.fingerprint).toBe(true);
    expect(p.ok && p.message.attributes).toEqual([{ type: T.Software, value: Uint8Array.of(0x61, 0x62, 0x63) }]);
  });

  it('tells a classic RFC 3489 message (no magic cookie) from an RFC 5389 one', () => {
    const p = parseStunMessage(bindingRequest([], { classic: true }));
    expect(p.ok && p.message.rfc5389).toBe(false);
    expect(p.ok && [...p.message.transactionId]).toEqual(Array.from({ length: 16 }, (_, i) => 0xa0 + i));
  });

  const header = (type: number, length: number, rest = 16): Uint8Array => {
    const b = new Uint8Array(4 + rest);
    new DataView(b.buffer).setUint16(0, type);
    new DataView(b.buffer).setUint16(2, length);
    b.set(TX.subarray(0, Math.min(rest, 16)), 4);
    return b;
  };
  it.each([
    ['empty', new Uint8Array(0), 'too-short', 'datagram of 0 bytes is shorter than the 20-byte STUN header'],
    ['19 bytes', new Uint8Array(19), 'too-short', 'datagram of 19 bytes is shorter than the 20-byte STUN header'],
    ['over the bound', new Uint8Array(STUN_MAX_MESSAGE + 1), 'too-large', 'datagram of 2049 bytes exceeds the 2048-byte limit'],
    ['first bits set', header(0xc001, 0), 'not-stun', 'the first two bits of a STUN message must be zero'],
    ['length not ×4', header(0x0001, 2, 18), 'bad-length', 'message length 2 is not a multiple of 4'],
    ['length too long', header(0x0001, 8), 'bad-length', 'message length 8 does not match the 0 bytes after the header'],
    ['length too short', header(0x0001, 0, 20), 'bad-length', 'message length 0 does not match the 4 bytes after the header'],
  ])('refuses a datagram that is not STUN: %s', (_name, bytes, problem, error) => {
    expect(parseStunMessage(bytes)).toEqual({ ok: false, stage: 'header', problem, error });
  });

  const withBody = (body: number[]): Uint8Array => {
    const b = header(0x0001, body.length, 16 + body.length);
    b.set(body, 20);
    return b;
  };
  it.each([
    [
      'an attribute longer than the message',
      [0x00, 0x03, 0x00, 0x08, 0, 0, 0, 0],
      'attribute 0x0003 at byte 20 runs past the end of the message',
    ],
    [
      'padding past the end',
      [0x80, 0x22, 0x00, 0x02, 0x61, 0x62, 0, 0, 0x80, 0x22, 0x00, 0x01],
      'attribute 0x8022 at byte 28 runs past the end of the message',
    ],
    ['a short FINGERPRINT', [0x80, 0x28, 0x00, 0x00], 'FINGERPRINT must be 4 bytes long, got 0'],
  ])('names a malformed attribute section: %s', (_name, body, error) => {
    const p = parseStunMessage(withBody(body));
    expect(p.ok).toBe(false);
    expect(!p.ok && p.stage).toBe('attributes');
    expect(!p.ok && p.error).toBe(error);
  });

  it('refuses anything after FINGERPRINT', () => {
    const fp = bindingRequest([], { fingerprint: true });
    const more = new Uint8Array(fp.length + 8);
    more.set(fp);
    more.set([0x80, 0x22, 0, 4, 0x61, 0x62, 0x63, 0x64], fp.length);
    const view = new DataView(more.buffer);
    view.setUint16(2, more.length - 20);
    expect(parseStunMessage(more)).toMatchObject({ ok: false, problem: 'bad-fingerprint' }); // covers the length field
    view.setUint32(fp.length - 4, stunFingerprint(more.subarray(0, fp.length - 8)));
    expect(parseStunMessage(more)).toMatchObject({ ok: false, stage: 'attributes', error: 'FINGERPRINT is not the last attribute' });
  });

  it.each([
    [[0, 1, 0, 80, 1, 2], 'address attribute of family 1 must be 8 bytes long, got 6'],
    [[0, 3, 0, 80, 1, 2, 3, 4], 'unknown address family 3'],
    [[0, 1], 'address attribute of 2 bytes is too short'],
  ])('names a malformed address value %j', (value, error) => {
    expect(decodeStunAddress(Uint8Array.from(value))).toBe(error);
  });

  it('reads IPv6 addresses and error codes', () => {
    const v6 = Uint8Array.from([0, 2, 0x12, 0x34, 0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]);
    expect(decodeStunAddress(v6)).toEqual({ family: 'IPv6', address: '2001:db8:0:0:0:0:0:1', port: 0x1234 });
    expect(decodeStunErrorCode(encodeStunErrorCode(420, 'Unknown Attribute'))).toEqual({ code: 420, reason: 'Unknown Attribute' });
    expect(decodeStunErrorCode(Uint8Array.of(0, 0, 2, 0))).toBe('ERROR-CODE 2/0 is out of range');
  });
});
