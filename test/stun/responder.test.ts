import { describe, expect, it } from 'vitest';
import { STUN_ATTRIBUTE as T } from '../../src/constants.js';
import { ep } from '../../src/nat/address.js';
import { encodeStunMessage } from '../../src/stun/codec.js';
import { answerStun, type StunContext, type StunOutcome } from '../../src/stun/responder.js';
import { bindingRequest, changeRequest, readReply, TX } from './helpers.js';

const CTX: StunContext = {
  from: ep('203.0.113.9', 40000),
  local: ep('198.51.100.6', 3478),
  other: ep('198.51.100.7', 3479),
  software: 'natsim test',
};
const text = (e: { ip: number; port: number }): string =>
  `${e.ip >>> 24}.${(e.ip >>> 16) & 255}.${(e.ip >>> 8) & 255}.${e.ip & 255}:${e.port}`;
const sent = (o: StunOutcome): { from: string; to: string; reply: Record<string, unknown> } => {
  if (o.kind === 'ignored') throw new Error(`ignored: ${o.reason}: ${o.detail}`);
  return { from: text(o.reply.from), to: text(o.reply.to), reply: readReply(o.reply.bytes) };
};

describe('STUN responder: Binding (RFC 5389 §10, RFC 5780 §6)', () => {
  it('answers with XOR-MAPPED-ADDRESS, MAPPED-ADDRESS, RESPONSE-ORIGIN, OTHER-ADDRESS and SOFTWARE, echoing the transaction', () => {
    const o = answerStun(bindingRequest(), CTX);
    expect(o).toMatchObject({ kind: 'success', changeIp: false, changePort: false, rfc5389: true });
    expect(sent(o)).toEqual({
      from: '198.51.100.6:3478',
      to: '203.0.113.9:40000',
      reply: {
        class: 'success',
        method: 1,
        fingerprint: false,
        XorMappedAddress: '203.0.113.9:40000',
        MappedAddress: '203.0.113.9:40000',
        ResponseOrigin: '198.51.100.6:3478',
        OtherAddress: '198.51.100.7:3479',
        Software: 'natsim test',
      },
    });
    expect(o.kind !== 'ignored' && [...o.reply.bytes.subarray(4, 20)]).toEqual([...TX]);
  });

  it('adds FINGERPRINT when the request had one', () => {
    expect(sent(answerStun(bindingRequest([], { fingerprint: true }), CTX)).reply.fingerprint).toBe(true);
  });

  it.each([
    [0, '198.51.100.6:3478'],
    [0x4, '198.51.100.7:3478'],
    [0x2, '198.51.100.6:3479'],
    [0x6, '198.51.100.7:3479'],
    [0xf9, '198.51.100.6:3478'], // bits other than change-IP and change-port are ignored
  ])('CHANGE-REQUEST %i: the reply leaves from %s and says so in RESPONSE-ORIGIN', (flags, origin) => {
    const r = sent(answerStun(bindingRequest([changeRequest(flags)]), CTX));
    expect(r.from).toBe(origin);
    expect(r.reply.ResponseOrigin).toBe(origin);
    expect(r.reply.OtherAddress).toBe('198.51.100.7:3479');
  });

  it('OTHER-ADDRESS is relative to where the request arrived', () => {
    const r = sent(
      answerStun(bindingRequest([changeRequest(0x4)]), { ...CTX, local: ep('198.51.100.7', 3479), other: ep('198.51.100.6', 3478) }),
    );
    expect(r).toMatchObject({
      from: '198.51.100.6:3479',
      reply: { OtherAddress: '198.51.100.6:3478', ResponseOrigin: '198.51.100.6:3479' },
    });
  });

  it('advertisedOther changes what OTHER-ADDRESS (classic: CHANGED-ADDRESS) names, not where a changed reply leaves from', () => {
    // coturn-style: a request at the alternate address names the alternate address, other port.
    const ctx = { ...CTX, local: ep('198.51.100.7', 3478), other: ep('198.51.100.6', 3479), advertisedOther: ep('198.51.100.7', 3479) };
    const r = sent(answerStun(bindingRequest([changeRequest(0x6)]), ctx));
    expect(r).toMatchObject({
      from: '198.51.100.6:3479',
      reply: { OtherAddress: '198.51.100.7:3479', ResponseOrigin: '198.51.100.6:3479' },
    });
    expect(sent(answerStun(bindingRequest([], { classic: true }), ctx)).reply.ChangedAddress).toBe('198.51.100.7:3479');
  });

  it('RESPONSE-PORT sends the reply to another port of the same address (RFC 5780 §7.5)', () => {
    const r = sent(answerStun(bindingRequest([{ type: T.ResponsePort, value: Uint8Array.of(0x9c, 0x41, 0, 0) }]), CTX));
    expect(r.to).toBe('203.0.113.9:40001');
    expect(r.reply.XorMappedAddress).toBe('203.0.113.9:40000');
  });

  it('PADDING pads the response to the size of the request, no larger (RFC 5780 §7.6)', () => {
    const req = bindingRequest([{ type: T.Padding, value: new Uint8Array(500) }], { fingerprint: true });
    const o = answerStun(req, CTX);
    expect(o.kind !== 'ignored' && o.reply.bytes.length).toBe(req.length);
    expect(sent(o).reply).toMatchObject({ class: 'success', Padding: expect.any(Number), fingerprint: true });
  });

  it('answers a classic RFC 3489 request with MAPPED-ADDRESS, SOURCE-ADDRESS and CHANGED-ADDRESS', () => {
    const o = answerStun(bindingRequest([changeRequest(0x6)], { classic: true }), CTX);
    expect(sent(o)).toEqual({
      from: '198.51.100.7:3479',
      to: '203.0.113.9:40000',
      reply: {
        class: 'success',
        method: 1,
        fingerprint: false,
        MappedAddress: '203.0.113.9:40000',
        SourceAddress: '198.51.100.7:3479',
        ChangedAddress: '198.51.100.7:3479',
        Software: 'natsim test',
      },
    });
  });

  it('without an alternate address: no OTHER-ADDRESS, and CHANGE-REQUEST refused 420', () => {
    const single: StunContext = { from: CTX.from, local: CTX.local };
    expect(sent(answerStun(bindingRequest(), single)).reply).not.toHaveProperty('OtherAddress');
    expect(sent(answerStun(bindingRequest(), single)).reply).not.toHaveProperty('Software');
    // RFC 5780 §6.1: any CHANGE-REQUEST, even with no flag set; a classic client's test I is still answered.
    expect(sent(answerStun(bindingRequest([changeRequest(0)]), single)).reply.class).toBe('error');
    expect(sent(answerStun(bindingRequest([changeRequest(0)], { classic: true }), single)).reply.class).toBe('success');
    expect(sent(answerStun(bindingRequest([changeRequest(4)]), single)).reply).toMatchObject({
      class: 'error',
      ErrorCode: { code: 420, reason: 'CHANGE-REQUEST needs an alternate address, and this server has none' },
      UnknownAttributes: [T.ChangeRequest],
    });
  });
});

describe('STUN responder: refusals', () => {
  const attrs = (body: number[]): Uint8Array => {
    const b = new Uint8Array(20 + body.length);
    new DataView(b.buffer).setUint16(0, 0x0001);
    new DataView(b.buffer).setUint16(2, body.length);
    b.set(TX, 4);
    b.set(body, 20);
    return b;
  };
  it.each([
    [
      'a truncated attribute',
      attrs([0x00, 0x03, 0x00, 0x08, 0, 0, 0, 0]),
      400,
      'attribute 0x0003 at byte 20 runs past the end of the message',
    ],
    [
      'a 2-byte CHANGE-REQUEST',
      bindingRequest([{ type: T.ChangeRequest, value: Uint8Array.of(0, 4) }]),
      400,
      'CHANGE-REQUEST must be 4 bytes long, got 2',
    ],
    [
      'a 2-byte RESPONSE-PORT',
      bindingRequest([{ type: T.ResponsePort, value: Uint8Array.of(0, 4) }]),
      400,
      'RESPONSE-PORT must be 4 bytes long, got 2',
    ],
    [
      'PADDING with RESPONSE-PORT (RFC 5780 §6.1)',
      bindingRequest([
        { type: T.Padding, value: new Uint8Array(8) },
        { type: T.ResponsePort, value: Uint8Array.of(0x9c, 0x41, 0, 0) },
      ]),
      400,
      'PADDING and RESPONSE-PORT must not be combined',
    ],
    ['RESPONSE-PORT 0', bindingRequest([{ type: T.ResponsePort, value: Uint8Array.of(0, 0, 0, 0) }]), 400, 'RESPONSE-PORT must not be 0'],
    [
      'another method',
      encodeStunMessage({ method: 3, class: 'request', transactionId: TX, attributes: [] }),
      400,
      'unsupported method 0x0003',
    ],
    [
      'an unknown required attribute',
      bindingRequest([{ type: 0x7777, value: Uint8Array.of(1) }]),
      420,
      'unknown comprehension-required attribute 0x7777',
    ],
    [
      'RESPONSE-ADDRESS (RFC 3489, not supported)',
      bindingRequest([
        { type: T.ResponseAddress, value: new Uint8Array(8) },
        { type: 0x0042, value: new Uint8Array(0) },
      ]),
      420,
      'unknown comprehension-required attributes 0x0002, 0x0042',
    ],
  ])('answers %s with error %i', (_name, bytes, code, reason) => {
    const o = answerStun(bytes, CTX);
    expect(o).toMatchObject({ kind: 'error', code, reason });
    const r = sent(o);
    expect(r.from).toBe('198.51.100.6:3478'); // errors never follow CHANGE-REQUEST or RESPONSE-PORT
    expect(r.to).toBe('203.0.113.9:40000');
    expect(r.reply).toMatchObject({ class: 'error', ErrorCode: { code, reason }, Software: 'natsim test' });
  });

  it('ignores unknown comprehension-optional attributes, lists each unknown required one once, at most 16', () => {
    expect(answerStun(bindingRequest([{ type: 0x8fff, value: Uint8Array.of(1) }]), CTX).kind).toBe('success');
    const many = Array.from({ length: 40 }, (_, i) => ({ type: 0x4000 + (i % 20), value: new Uint8Array(0) }));
    const o = answerStun(bindingRequest(many), CTX);
    expect(o).toMatchObject({ kind: 'error', code: 420 });
    expect(o.kind === 'error' && o.reason).toMatch(/^unknown comprehension-required attributes 0x4000, .*, 0x400f and 4 more$/);
    expect(sent(o).reply.UnknownAttributes).toEqual(Array.from({ length: 16 }, (_, i) => 0x4000 + i));
  });

  it.each([
    ['garbage', Uint8Array.of(1, 2, 3), 'malformed', 'datagram of 3 bytes is shorter than the 20-byte STUN header'],
    ['an oversized datagram', new Uint8Array(4096), 'too-large', 'datagram of 4096 bytes exceeds the 2048-byte limit'],
    [
      'a Binding indication',
      encodeStunMessage({ method: 1, class: 'indication', transactionId: TX, attributes: [] }),
      'not-request',
      'a STUN indication is not answered',
    ],
    [
      'a Binding response',
      encodeStunMessage({ method: 1, class: 'success', transactionId: TX, attributes: [] }),
      'not-request',
      'a STUN success is not answered',
    ],
  ])('ignores %s', (_name, bytes, reason, detail) => {
    expect(answerStun(bytes, CTX)).toEqual({ kind: 'ignored', reason, detail });
  });

  it('ignores a request whose FINGERPRINT is wrong (RFC 5389 §7.3)', () => {
    const b = bindingRequest([], { fingerprint: true });
    b[b.length - 1]! ^= 0xff;
    expect(answerStun(b, CTX)).toEqual({ kind: 'ignored', reason: 'bad-fingerprint', detail: 'FINGERPRINT does not match the message' });
  });

  it('never fails internally and keeps error replies small (2000 random attribute sections)', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const kinds = new Set<string>();
    for (let n = 0; n < 2000; n++) {
      const body = Uint8Array.from({ length: 4 * (n % 40) }, rnd);
      const b = new Uint8Array(20 + body.length);
      new DataView(b.buffer).setUint16(0, 0x0001);
      new DataView(b.buffer).setUint16(2, body.length);
      b.set(TX, 4);
      b.set(body, 20);
      const o = answerStun(b, CTX);
      if (o.kind === 'ignored') expect(o.detail).not.toMatch(/internal error/);
      // ERROR-CODE with a one-line reason, at most 16 unknown types, SOFTWARE: small whatever came in.
      if (o.kind === 'error') expect(o.reply.bytes.length).toBeLessThanOrEqual(200);
      kinds.add(o.kind);
    }
    expect([...kinds].sort()).toEqual(['error', 'success']); // both paths were exercised
  });
});
