/**
 * The Host header check (issue 12 item 9): only numeric IPv4 and bracketed IPv6 literals (with an
 * optional port) pass; `[evil.example]`, which miniupnpd's `[` prefix test let through, is 400.
 */
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/nat/clock.js';
import { createUpnpResponder } from '../../src/soap/app.js';
import { classifyHostHeader } from '../../src/soap/host-header.js';
import { makeFixture } from './helpers.js';

describe('classifyHostHeader', () => {
  it('accepts IPv4 and bracketed IPv6 literals, with or without a port', () => {
    for (const h of [
      undefined,
      '',
      '192.168.1.1',
      '192.168.1.1:5000',
      '127.0.0.1:',
      '[::1]',
      '[fe80::1]:5000',
      '[::ffff:192.168.1.1]:1',
      '0.0.0.0:65535',
    ]) {
      expect(classifyHostHeader(h), String(h)).toBe('ok');
    }
  });

  it('treats DNS names as the rebinding case (404)', () => {
    for (const h of ['evil.example.com', 'evil.example.com:5000', 'localhost', '192.168.1.256', '1.2.3', '01.2.3.4']) {
      expect(classifyHostHeader(h), h).toBe('name');
    }
  });

  it('refuses what is not a URI host (400)', () => {
    for (const h of [
      '[evil.example]',
      '[evil.example]:5000',
      '[::1',
      '[::1]x',
      '[::1]:99999',
      '1:2:3',
      '1.2.3.4:x',
      '1.2.3.4:123456',
      'a b',
      'evil/x',
      '[]',
      '[1.2.3.4]',
    ]) {
      expect(classifyHostHeader(h), h).toBe('malformed');
    }
  });
});

describe('the IGD with a Host header', () => {
  const { router, clock } = makeFixture();
  const igd = createUpnpResponder({ router, clock, rng: new SeededRng(1) });
  const get = (host: string): number =>
    igd({ method: 'GET', url: '/rootDesc.xml', headers: { host }, body: Buffer.alloc(0), peer: '192.168.1.2' }).status;

  it('[evil.example] is refused with 400 (it was served as an address literal)', () => {
    expect(get('[evil.example]')).toBe(400);
    expect(get('[evil.example]:5000')).toBe(400);
  });

  it('a name is 404, literals are served', () => {
    expect(get('evil.example')).toBe(404);
    expect(get('192.168.1.1:5000')).toBe(200);
    expect(get('[::1]:5000')).toBe(200);
  });
});
