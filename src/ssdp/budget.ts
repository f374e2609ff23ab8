/**
 * The SSDP reply budget: token buckets that bound how many reply datagrams the responder sends,
 * per source address and in total. An M-SEARCH costs one token per reply it would get and is
 * answered whole or not at all (a burst must hold the largest answer: ssdp:all's 11 replies), so
 * a flood of searches (from one host, or with spoofed sources that turn natsim into a reflector)
 * cannot make it send more than the budget. Pure: time is
 * passed in (milliseconds on any monotonic scale), nothing is read from a clock.
 *
 * Defaults: `SSDP_REPLY_BUDGET` in src/constants.ts.
 */
import { SSDP_REPLY_BUDGET } from '../constants.js';

/** Limits of one token bucket. */
export interface TokenBucketLimits {
  /** Tokens held when full (the largest burst), ≥ 1. */
  readonly burst: number;
  /** Tokens added per second, > 0. */
  readonly perSecond: number;
}

/** A token bucket that starts full. Time going backwards counts as no time passing. */
export class TokenBucket {
  readonly limits: TokenBucketLimits;
  #tokens: number;
  #at: number;

  constructor(limits: TokenBucketLimits, nowMs: number) {
    checkLimits('bucket', limits);
    this.limits = limits;
    this.#tokens = limits.burst;
    this.#at = nowMs;
  }

  /** Tokens available at `nowMs` (fractional). */
  level(nowMs: number): number {
    this.#refill(nowMs);
    return this.#tokens;
  }

  /** Whether `n` tokens are available at `nowMs`, without taking them. */
  has(n: number, nowMs: number): boolean {
    return this.level(nowMs) >= n;
  }

  /** Takes `n` tokens if available (all or none). */
  take(n: number, nowMs: number): boolean {
    if (!this.has(n, nowMs)) return false;
    this.#tokens -= n;
    return true;
  }

  /** True when the bucket is full at `nowMs` (forgetting it loses nothing). */
  full(nowMs: number): boolean {
    return this.level(nowMs) >= this.limits.burst;
  }

  #refill(nowMs: number): void {
    const dt = nowMs - this.#at;
    if (dt > 0) {
      this.#tokens = Math.min(this.limits.burst, this.#tokens + (dt * this.limits.perSecond) / 1000);
      this.#at = nowMs;
    } else if (dt < 0) {
      this.#at = nowMs; // the clock went back: start again from here
    }
  }
}

/** Limits of {@link SsdpReplyBudget}. */
export interface SsdpBudgetLimits {
  /** Replies one source address may get: burst, then per second. */
  readonly perSource: TokenBucketLimits;
  /** Replies to everyone together. */
  readonly global: TokenBucketLimits;
  /** Sources tracked at once; the least recently seen one is forgotten beyond this. */
  readonly maxSources: number;
}

/** The default limits (from `SSDP_REPLY_BUDGET`). */
export const DEFAULT_SSDP_BUDGET: SsdpBudgetLimits = {
  perSource: { burst: SSDP_REPLY_BUDGET.perSourceBurst, perSecond: SSDP_REPLY_BUDGET.perSourcePerSecond },
  global: { burst: SSDP_REPLY_BUDGET.globalBurst, perSecond: SSDP_REPLY_BUDGET.globalPerSecond },
  maxSources: SSDP_REPLY_BUDGET.maxSources,
};

/** Why {@link SsdpReplyBudget.take} refused. */
export type BudgetRefusal = 'source-budget' | 'global-budget';

/** Per-source and global reply budgets. */
export class SsdpReplyBudget {
  readonly limits: SsdpBudgetLimits;
  readonly #global: TokenBucket;
  /** Insertion order = least recently seen first. */
  readonly #sources = new Map<string, TokenBucket>();

  constructor(limits: SsdpBudgetLimits = DEFAULT_SSDP_BUDGET, nowMs = 0) {
    checkLimits('perSource', limits.perSource);
    checkLimits('global', limits.global);
    if (!Number.isInteger(limits.maxSources) || limits.maxSources < 1) throw new RangeError('maxSources must be an integer ≥ 1');
    this.limits = limits;
    this.#global = new TokenBucket(limits.global, nowMs);
  }

  /** Sources currently tracked (≤ `maxSources`). */
  get trackedSources(): number {
    return this.#sources.size;
  }

  /**
   * Takes `n` reply tokens for `source` at `nowMs` from both its own and the global bucket, or
   * none: returns undefined when granted, else which budget is spent.
   */
  take(source: string, n: number, nowMs: number): BudgetRefusal | undefined {
    if (n <= 0) return undefined;
    const bucket = this.#source(source, nowMs);
    if (!bucket.has(n, nowMs)) return 'source-budget';
    if (!this.#global.take(n, nowMs)) return 'global-budget';
    bucket.take(n, nowMs);
    return undefined;
  }

  #source(source: string, nowMs: number): TokenBucket {
    let bucket = this.#sources.get(source);
    if (bucket) {
      // Move to the end: most recently seen.
      this.#sources.delete(source);
    } else {
      bucket = new TokenBucket(this.limits.perSource, nowMs);
      if (this.#sources.size >= this.limits.maxSources) this.#evict(nowMs);
    }
    this.#sources.set(source, bucket);
    return bucket;
  }

  /** Forgets a full bucket if there is one among the oldest few, else the least recently seen. */
  #evict(nowMs: number): void {
    let checked = 0;
    for (const [key, b] of this.#sources) {
      if (b.full(nowMs)) {
        this.#sources.delete(key);
        return;
      }
      if (++checked >= 8) break;
    }
    const oldest = this.#sources.keys().next();
    if (!oldest.done) this.#sources.delete(oldest.value);
  }
}

function checkLimits(name: string, l: TokenBucketLimits): void {
  if (!(Number.isFinite(l.burst) && l.burst >= 1)) throw new RangeError(`${name}.burst must be a number ≥ 1`);
  if (!(Number.isFinite(l.perSecond) && l.perSecond > 0)) throw new RangeError(`${name}.perSecond must be a number > 0`);
}
