/**
 * A min-heap of expiry times with lazy refresh.
 *
 * Refreshing an item only moves its `expiresAt` forward; the heap entry stays where it is and is
 * re-queued when it surfaces. Expiring k items therefore costs O(k log n) and a refresh costs O(1):
 * the work grows with the number of items that expire, not with the number alive.
 */

/** Something with an expiry time that the heap can queue. */
export interface Expiring {
  /** When the item expires (ms); `Infinity` never. */
  expiresAt: number;
  /** Time of the item's single live heap entry; -1 when not queued. Owned by the heap. */
  queuedAt: number;
}

export class TimerHeap<T extends Expiring> {
  #times: number[] = [];
  #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  /** Queues an item (or re-queues it earlier when its expiry moved back). */
  schedule(item: T): void {
    if (item.expiresAt === Infinity) {
      item.queuedAt = -1;
      return;
    }
    if (item.queuedAt >= 0 && item.queuedAt <= item.expiresAt) return; // entry surfaces in time
    item.queuedAt = item.expiresAt;
    this.#push(item.expiresAt, item);
  }

  /** Forgets an item: its entry is skipped when it surfaces. */
  cancel(item: T): void {
    item.queuedAt = -1;
  }

  /** The earliest queued time, or Infinity. */
  peekTime(): number {
    return this.#times.length ? this.#times[0]! : Infinity;
  }

  /** Pops every item whose expiry is ≤ now and calls `onExpire` for it. Returns the count. */
  expire(now: number, onExpire: (item: T) => void): number {
    let n = 0;
    while (this.#times.length && this.#times[0]! <= now) {
      const t = this.#times[0]!;
      const item = this.#pop();
      if (item.queuedAt !== t) continue; // stale entry (cancelled or re-queued earlier)
      if (item.expiresAt > now) {
        item.queuedAt = -1;
        this.schedule(item); // refreshed since queued: re-queue at its new time
        continue;
      }
      item.queuedAt = -1;
      onExpire(item);
      n++;
    }
    return n;
  }

  #push(time: number, item: T): void {
    const times = this.#times;
    const items = this.#items;
    let i = times.length;
    times.push(time);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= time) break;
      times[i] = times[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    times[i] = time;
    items[i] = item;
  }

  #pop(): T {
    const times = this.#times;
    const items = this.#items;
    const top = items[0]!;
    const lastTime = times.pop()!;
    const lastItem = items.pop()!;
    const n = times.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && times[r]! < times[l]! ? r : l;
      if (times[c]! >= lastTime) break;
      times[i] = times[c]!;
      items[i] = items[c]!;
      i = c;
    }
    times[i] = lastTime;
    items[i] = lastItem;
    return top;
  }
}
