/** The lazy min-heap of expiry times shared by mappings, forwards and firewall flows. */
import { describe, expect, it } from 'vitest';
import { type Expiring, SeededRng, TimerHeap } from '../../src/nat/index.js';

interface Item extends Expiring {
  readonly name: string;
}

const item = (name: string, expiresAt: number): Item => ({ name, expiresAt, queuedAt: -1 });

function drain(heap: TimerHeap<Item>, now: number): string[] {
  const out: string[] = [];
  heap.expire(now, (i) => out.push(i.name));
  return out;
}

describe('TimerHeap', () => {
  it('expires items in time order, only those due, and counts them', () => {
    const h = new TimerHeap<Item>();
    for (const [n, t] of [
      ['c', 300],
      ['a', 100],
      ['d', 400],
      ['b', 200],
    ] as const)
      h.schedule(item(n, t));
    expect(h.peekTime()).toBe(100);
    const seen: string[] = [];
    expect(h.expire(250, (i) => seen.push(i.name))).toBe(2);
    expect(seen).toEqual(['a', 'b']);
    expect(h.peekTime()).toBe(300);
    expect(drain(h, 400)).toEqual(['c', 'd']); // due exactly at `now` expires
    expect(h.peekTime()).toBe(Infinity);
    expect(h.size).toBe(0);
  });

  it('orders many random items', () => {
    const rng = new SeededRng(99);
    const h = new TimerHeap<Item>();
    const times: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t = rng.int(0, 10_000);
      times.push(t);
      h.schedule(item(String(t), t));
    }
    const got: number[] = [];
    h.expire(10_000, (i) => got.push(i.expiresAt));
    expect(got).toEqual([...times].sort((a, b) => a - b));
  });

  it('refresh is lazy: a later expiry keeps the entry and re-queues it when it surfaces', () => {
    const h = new TimerHeap<Item>();
    const x = item('x', 100);
    h.schedule(x);
    x.expiresAt = 500;
    h.schedule(x);
    expect(h.size).toBe(1); // no second entry
    expect(drain(h, 100)).toEqual([]);
    expect(h.peekTime()).toBe(500);
    expect(x.queuedAt).toBe(500);
    expect(drain(h, 499)).toEqual([]);
    expect(drain(h, 500)).toEqual(['x']);
    expect(x.queuedAt).toBe(-1);
  });

  it('a refresh that is never re-scheduled still takes effect (the entry surfaces and is re-queued)', () => {
    const h = new TimerHeap<Item>();
    const x = item('x', 100);
    h.schedule(x);
    x.expiresAt = 300; // mutated without schedule()
    expect(drain(h, 200)).toEqual([]);
    expect(drain(h, 300)).toEqual(['x']);
  });

  it('cancel forgets an item', () => {
    const h = new TimerHeap<Item>();
    const x = item('x', 100);
    const y = item('y', 200);
    h.schedule(x);
    h.schedule(y);
    h.cancel(x);
    expect(h.expire(1000, () => undefined)).toBe(1);
    expect(x.queuedAt).toBe(-1);
  });

  it('cancel then schedule again expires once, at the new time', () => {
    const h = new TimerHeap<Item>();
    const x = item('x', 100);
    h.schedule(x);
    h.cancel(x);
    x.expiresAt = 250;
    h.schedule(x);
    expect(drain(h, 200)).toEqual([]);
    expect(drain(h, 250)).toEqual(['x']);
    expect(drain(h, 1000)).toEqual([]);
  });

  it('cancel then schedule at the same time expires once', () => {
    const h = new TimerHeap<Item>();
    const x = item('x', 100);
    h.schedule(x);
    h.cancel(x);
    h.schedule(x);
    expect(drain(h, 100)).toEqual(['x']);
    expect(drain(h, 1000)).toEqual([]);
  });

  it('re-scheduling earlier adds an earlier entry; the stale later one is skipped', () => {
    const h = new TimerHeap<Item>();
    const x = item('x', 500);
    h.schedule(x);
    x.expiresAt = 100;
    h.schedule(x);
    expect(h.size).toBe(2);
    expect(h.peekTime()).toBe(100);
    expect(drain(h, 100)).toEqual(['x']);
    expect(drain(h, 1000)).toEqual([]);
    expect(h.size).toBe(0);
  });

  it('earlier then later again: expires once at the final time', () => {
    const h = new TimerHeap<Item>();
    const x = item('x', 500);
    h.schedule(x);
    x.expiresAt = 100;
    h.schedule(x);
    x.expiresAt = 700;
    h.schedule(x);
    expect(drain(h, 600)).toEqual([]);
    expect(drain(h, 700)).toEqual(['x']);
    expect(drain(h, 10_000)).toEqual([]);
  });

  it('never queues an item that expires at Infinity, and Infinity cancels a queued one', () => {
    const h = new TimerHeap<Item>();
    h.schedule(item('forever', Infinity));
    expect(h.size).toBe(0);
    expect(h.peekTime()).toBe(Infinity);
    const x = item('x', 100);
    h.schedule(x);
    x.expiresAt = Infinity;
    h.schedule(x);
    expect(drain(h, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('an item expired by the heap can be scheduled again', () => {
    const h = new TimerHeap<Item>();
    const x = item('x', 100);
    h.schedule(x);
    expect(drain(h, 100)).toEqual(['x']);
    x.expiresAt = 200;
    h.schedule(x);
    expect(drain(h, 200)).toEqual(['x']);
  });
});
