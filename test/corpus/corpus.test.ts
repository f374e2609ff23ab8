/**
 * The adversarial corpus (adversarial.ts) against every parser on the request path: each input is
 * handled correctly at 64 KiB, and the work the scanners count grows linearly — the steps at 2N
 * are at most 2.2× those at N, and at most a small constant per character. No timing: the
 * counters are incremented inside the scanners' loops.
 *
 * On the old code the first `<a` case never finished (the nesting regex was cubic: 8 KB took
 * 14.5 s, 64 KiB far more than the test timeout).
 */
import { describe, expect, it } from 'vitest';
import { parseRequestHead, HeadRefusal } from '../../src/gateway/http-head.js';
import { parseSoapBody } from '../../src/soap/xml.js';
import { parseSsdpMessage } from '../../src/ssdp/message.js';
import { HTTP_HEADS, SOAP_ADVERSARIAL, SOAP_PLAIN, SSDP_DATAGRAMS } from './adversarial.js';

const KIB64 = 64 * 1024;
/** Most steps per input character any scanner may take. */
const MAX_STEPS_PER_CHAR = 8;

function linear(count: (n: number) => number): void {
  const a = count(KIB64 / 2);
  const b = count(KIB64);
  expect(a).toBeGreaterThan(0);
  expect(b / a).toBeLessThanOrEqual(2.2);
  expect(b / KIB64).toBeLessThanOrEqual(MAX_STEPS_PER_CHAR);
}

describe('SOAP bodies', () => {
  for (const c of [...SOAP_PLAIN, ...SOAP_ADVERSARIAL]) {
    it(`${c.name}: handled correctly at 64 KiB`, () => {
      const text = c.make(KIB64);
      expect(text.length).toBeLessThanOrEqual(KIB64);
      expect(text.length).toBeGreaterThan(KIB64 - 64);
      const r = parseSoapBody(text, { maxBytes: KIB64 });
      if (c.expect.ok) {
        expect(r.ok).toBe(true);
        if (r.ok && c.expect.arg) expect(r.body.args.has(c.expect.arg)).toBe(true);
      } else expect(r).toMatchObject({ ok: false, error: c.expect.error });
    });
    it(`${c.name}: the scanners' work is linear`, () => {
      linear((n) => {
        const work = { steps: 0 };
        parseSoapBody(c.make(n), { maxBytes: KIB64, work });
        return work.steps;
      });
    });
  }

  it('issue 12 reproduction: <a ×3000 is refused as malformed, not parsed for seconds', () => {
    expect(parseSoapBody('<a'.repeat(3000))).toMatchObject({ ok: false, error: 'malformed' });
  });
});

describe('HTTP request heads', () => {
  const run = (text: string, work?: { steps: number }): number => {
    try {
      parseRequestHead(text, KIB64, work);
      return 0;
    } catch (e) {
      if (e instanceof HeadRefusal) return e.status;
      throw e;
    }
  };
  for (const c of HTTP_HEADS) {
    it(`${c.name}: handled correctly, linear work`, () => {
      expect(run(c.make(KIB64))).toBe(c.expect.ok ? 0 : c.expect.status);
      if (c.expect.ok) {
        linear((n) => {
          const work = { steps: 0 };
          run(c.make(n), work);
          return work.steps;
        });
      }
    });
  }
});

describe('SSDP datagrams', () => {
  for (const c of SSDP_DATAGRAMS) {
    it(`${c.name}: handled correctly, linear work`, () => {
      const r = parseSsdpMessage(c.make(KIB64), { maxBytes: KIB64 });
      expect(r.ok).toBe(c.ok);
      if (c.ok) {
        linear((n) => {
          const work = { steps: 0 };
          parseSsdpMessage(c.make(n), { maxBytes: KIB64, work });
          return work.steps;
        });
      }
    });
  }

  it('a header value of spaces is trimmed to its text', () => {
    const r = parseSsdpMessage(SSDP_DATAGRAMS[0]!.make(KIB64), { maxBytes: KIB64 });
    expect(r.ok && r.message.headers.get('st')).toBe('x');
  });
});
