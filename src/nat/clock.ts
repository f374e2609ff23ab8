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
}

/** mulberry32: small, fast, good enough for port selection; fully determined by its seed. */
export class SeededRng implements Rng {
  #state: number;
  constructor(seed = 1) {
    this.#state = seed >>> 0;
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
