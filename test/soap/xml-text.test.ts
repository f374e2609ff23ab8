/** The hand-written reference decoder against the regex it replaced, on random reference soup. */
import { describe, expect, it } from 'vitest';
import { decodeXmlText } from '../../src/soap/xml-text.js';

const PRE: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const viaRegex = (text: string): string =>
  text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      const ok =
        cp === 0x9 ||
        cp === 0xa ||
        cp === 0xd ||
        (cp >= 0x20 && cp <= 0xd7ff) ||
        (cp >= 0xe000 && cp <= 0xfffd) ||
        (cp >= 0x10000 && cp <= 0x10ffff);
      return ok ? String.fromCodePoint(cp) : whole;
    }
    return PRE[ref] ?? whole;
  });

describe('decodeXmlText', () => {
  it('gives what the regex gave on 100,000 random strings of reference fragments', () => {
    const parts = [
      '&',
      '#',
      'x',
      'X',
      ';',
      'a',
      'm',
      'p',
      'l',
      't',
      '0',
      '1',
      '9',
      'f',
      'F',
      'g',
      ' ',
      'D',
      '8',
      '&amp;',
      '&#',
      '&#x',
      'é',
    ];
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const bad: string[] = [];
    for (let k = 0; k < 100_000; k++) {
      let s = '';
      for (let i = rnd(14); i > 0; i--) s += parts[rnd(parts.length)];
      if (viaRegex(s) !== decodeXmlText(s)) bad.push(s);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('decodes the predefined entities and valid character references only', () => {
    expect(decodeXmlText('a&amp;b&lt;&#65;&#x42;&unknown;&#0;&#xD800;&#1234567;&#12345678;&x')).toBe(
      'a&b<AB&unknown;&#0;&#xD800;&#1234567;&#12345678;&x',
    );
  });

  it('leaves names of Object.prototype as text (the old table lookup turned &toString; into function source)', () => {
    expect(decodeXmlText('a&toString;b&constructor;&__proto__;&hasOwnProperty;&amp;')).toBe(
      'a&toString;b&constructor;&__proto__;&hasOwnProperty;&',
    );
  });

  it('runs of bare & and of references: same text as reference by reference', () => {
    expect(decodeXmlText('&&&&&amp;&&lt;&#x41;&#65;&')).toBe('&&&&&&<AA&');
    expect(decodeXmlText('&amp;'.repeat(1000))).toBe('&'.repeat(1000));
  });
});
