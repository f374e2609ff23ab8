/** The SSDP reply budget (src/ssdp/budget.ts), pure, on an injected clock. */
import { describe, expect, it } from 'vitest';
import { SSDP_REPLY_BUDGET } from '../../src/constants.js';
import { DEFAULT_SSDP_BUDGET, SsdpReplyBudget, TokenBucket } from '../../src/ssdp/budget.js';

describe('TokenBucket', () => {
  it('starts full, takes all or nothing, refills at its rate up to the burst', () => {
    const b = new TokenBucket({ burst: 10, perSecond: 4 }, 1000);
    expect(b.take(11, 1000)).toBe(false);
    expect(b.take(10, 1000)).toBe(true);
    expect(b.take(1, 1000)).toBe(false);
    expect(b.level(1250)).toBeCloseTo(1);
    expect(b.take(1, 1250)).toBe(true);
    expect(b.level(100_000)).toBe(10); // capped at the burst
  });

  it('counts a clock going back as no time passing', () => {
    const b = new TokenBucket({ burst: 2, perSecond: 1 }, 5000);
    expect(b.take(2, 5000)).toBe(true);
    expect(b.level(1000)).toBe(0);
    expect(b.level(2000)).toBeCloseTo(1);
  });

  it('refuses nonsense limits', () => {
    expect(() => new TokenBucket({ burst: 0, perSecond: 1 }, 0)).toThrow(/burst/);
    expect(() => new TokenBucket({ burst: 1, perSecond: 0 }, 0)).toThrow(/perSecond/);
    expect(() => new TokenBucket({ burst: Number.NaN, perSecond: 1 }, 0)).toThrow(/burst/);
  });
});

describe('SsdpReplyBudget', () => {
  it('defaults are the documented SSDP_REPLY_BUDGET', () => {
    expect(DEFAULT_SSDP_BUDGET).toEqual({
      perSource: { burst: SSDP_REPLY_BUDGET.perSourceBurst, perSecond: SSDP_REPLY_BUDGET.perSourcePerSecond },
      global: { burst: SSDP_REPLY_BUDGET.globalBurst, perSecond: SSDP_REPLY_BUDGET.globalPerSecond },
      maxSources: SSDP_REPLY_BUDGET.maxSources,
    });
    // ssdp:all (11 replies in the miniupnpd profile) fits in one source's burst.
    expect(SSDP_REPLY_BUDGET.perSourceBurst).toBeGreaterThanOrEqual(11);
  });

  it('one flooding source gets its burst, then its rate, whatever it sends', () => {
    const budget = new SsdpReplyBudget(DEFAULT_SSDP_BUDGET, 0);
    let granted = 0;
    // 10,000 ssdp:all searches (10 replies each) per second for 10 s, one every 0.1 ms.
    for (let i = 0; i < 100_000; i++) {
      if (budget.take('192.168.1.50', 10, i / 10) === undefined) granted += 10;
    }
    const max = SSDP_REPLY_BUDGET.perSourceBurst + SSDP_REPLY_BUDGET.perSourcePerSecond * 10;
    expect(granted).toBeLessThanOrEqual(max);
    expect(granted).toBeGreaterThanOrEqual(max - 20);
  });

  it('spoofed sources cannot exceed the global budget together', () => {
    const budget = new SsdpReplyBudget(DEFAULT_SSDP_BUDGET, 0);
    let granted = 0;
    const refusals = new Map<string, number>();
    for (let i = 0; i < 100_000; i++) {
      const src = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      const r = budget.take(src, 10, i / 10);
      if (r === undefined) granted += 10;
      else refusals.set(r, (refusals.get(r) ?? 0) + 1);
    }
    expect(granted).toBeLessThanOrEqual(SSDP_REPLY_BUDGET.globalBurst + SSDP_REPLY_BUDGET.globalPerSecond * 10);
    expect(refusals.get('global-budget')).toBeGreaterThan(0);
    // The table of sources stays bounded.
    expect(budget.trackedSources).toBeLessThanOrEqual(SSDP_REPLY_BUDGET.maxSources);
  });

  it("a flooder does not spend a quiet host's own budget, only the global one", () => {
    const budget = new SsdpReplyBudget(
      { perSource: { burst: 20, perSecond: 1 }, global: { burst: 1000, perSecond: 100 }, maxSources: 16 },
      0,
    );
    for (let i = 0; i < 50; i++) budget.take('10.0.0.66', 10, 0);
    expect(budget.take('10.0.0.66', 10, 0)).toBe('source-budget');
    expect(budget.take('10.0.0.7', 10, 0)).toBeUndefined();
  });

  it('forgets the least recently seen source beyond maxSources (a full bucket first)', () => {
    const budget = new SsdpReplyBudget(
      { perSource: { burst: 10, perSecond: 1 }, global: { burst: 1e6, perSecond: 1e6 }, maxSources: 3 },
      0,
    );
    expect(budget.take('a', 10, 0)).toBeUndefined();
    expect(budget.take('b', 10, 0)).toBeUndefined();
    expect(budget.take('c', 10, 0)).toBeUndefined();
    expect(budget.take('d', 10, 0)).toBeUndefined(); // forgets a
    expect(budget.trackedSources).toBe(3);
    expect(budget.take('b', 1, 0)).toBe('source-budget'); // b is still remembered: spent
    expect(budget.take('a', 10, 0)).toBeUndefined(); // a was forgotten: a fresh bucket
  });
});
