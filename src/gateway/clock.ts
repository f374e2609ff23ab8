/** The gateway's default clock: real time, plus whatever `advance()` added. */
import type { Clock } from '../nat/clock.js';

/** Real time that a test can push forward (leases expire in real time and on `advance`). */
export class OffsetClock implements Clock {
  #offset = 0;
  constructor(private readonly base: Clock = { now: () => Date.now() }) {}
  now(): number {
    return this.base.now() + this.#offset;
  }
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot advance a clock by ${ms} ms`);
    this.#offset += ms;
  }
}

/** A clock with `advance` (FakeClock, OffsetClock). */
export interface AdvanceableClock extends Clock {
  advance(ms: number): unknown;
}

export function isAdvanceable(c: Clock): c is AdvanceableClock {
  return typeof (c as Partial<AdvanceableClock>).advance === 'function';
}
