/**
 * Injected time and randomness. The model never reads the wall clock or Math.random():
 * every run with the same inputs, clock steps and seed is identical.
 */

/** A source of the current time in milliseconds. */
export interface Clock {
  now(): number;
}

/** A clock that only moves when told to: the default for tests and simulations. */
export class FakeClock implements Clock {
  #now: number;
  constructor(startMs = 0) {
    this.#now = startMs;
  }
  now(): number {
    return this.#now;
  }
  /** Moves time forward by `ms` (negative steps are refused). */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`cannot advance a clock by ${ms} ms`);
    this.#now += ms;
    return this.#now;
  }
  /** Sets the absolute time; it may not go backwards. */
  set(ms: number): void {
    if (ms < this.#now) throw new RangeError(`clock cannot go back from ${this.#now} to ${ms}`);
    this.#now = ms;
  }
}

/** Real time, for `natsim serve` (the adapter injects it; the model never picks it itself). */
export const systemClock: Clock = { now: () => Date.now() };

/** A deterministic random source. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number;
  /**
   * An independent stream for one consumer (e.g. one router), determined by this source's seed
   * and `label` only: not by how much of this stream was drawn, nor by other forks. Optional:
   * a source without it is shared as is.
   */
  fork?(label: string): Rng;
}

/** A 32-bit seed derived from a seed and a label (FNV-1a over the label, then a murmur3 finaliser). */
export function deriveSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32: small, fast, good enough for port selection; fully determined by its seed. */
export class SeededRng implements Rng {
  /** The seed this stream started from. */
  readonly seed: number;
  #state: number;
  constructor(seed = 1) {
    this.seed = seed >>> 0;
    this.#state = this.seed;
  }
  /** A stream seeded from this one's seed and `label` (see {@link Rng.fork}). */
  fork(label: string): SeededRng {
    return new SeededRng(deriveSeed(this.seed, label));
  }
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}
