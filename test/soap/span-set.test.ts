/** src/soap/span-set.ts: spans of a text compared in place, through growth and clears. */
import { describe, expect, it } from 'vitest';
import { SpanSet, sameSpan } from '../../src/soap/span-set.js';

describe('SpanSet', () => {
  it('tells a new span from one already in the set, by content not position, through growth', () => {
    const names = Array.from({ length: 5000 }, (_, i) => `a${i.toString(36)}`);
    const text = `${names.join(' ')} ${names.join(' ')}`;
    const set = new SpanSet();
    const work = { steps: 0 };
    let at = 0;
    const added: boolean[] = [];
    for (const name of [...names, ...names]) {
      added.push(set.add(text, at, at + name.length, work));
      at += name.length + 1;
    }
    expect(added.slice(0, 5000).every((x) => x)).toBe(true); // all distinct the first time
    expect(added.slice(5000).some((x) => x)).toBe(false); // each found again at its second position
    expect(work.steps).toBeGreaterThan(0);
    expect(work.steps).toBeLessThan(20 * text.length); // counted, and linear in practice
  });

  it('clear() empties it; spans of different lengths or characters differ', () => {
    const text = 'ab abc ab xb';
    const set = new SpanSet();
    const w = { steps: 0 };
    expect(set.add(text, 0, 2, w)).toBe(true); // ab
    expect(set.add(text, 3, 6, w)).toBe(true); // abc
    expect(set.add(text, 7, 9, w)).toBe(false); // ab again
    expect(set.add(text, 10, 12, w)).toBe(true); // xb
    set.clear();
    expect(set.add(text, 7, 9, w)).toBe(true);
    expect(sameSpan(text, 0, 7, 2)).toBe(true);
    expect(sameSpan(text, 0, 10, 2)).toBe(false);
  });
});
