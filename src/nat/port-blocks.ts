/**
 * Port-block (bulk) allocation for carrier NATs (RFC 6888 §5, RFC 7422 §1): each subscriber
 * (internal address) is given whole blocks of consecutive external ports on its external address,
 * and its mappings take ports only inside its own blocks. A carrier then logs one line per block
 * instead of one per mapping, and one subscriber can never take another's ports.
 *
 * Blocks are aligned: block i of an address covers 1024 + i·size … 1024 + (i+1)·size − 1 (the
 * system ports 0–1023 are never given out in blocks, and port parity does not apply inside
 * them). Within its blocks a subscriber's mapping gets its own source port when the policy
 * preserves ports and that port is in one of them, else a random or the lowest free port. A block
 * returns to the pool when its last mapping is gone.
 */

import type { IPv4 } from './address.js';
import type { Rng } from './clock.js';

/** Port-block policy: `size` ports per block, at most `perSubscriber` blocks per internal address. */
export interface PortBlockPolicy {
  readonly size: number;
  readonly perSubscriber: number;
}

/** First port handed out in blocks, and how many ports are above it. */
export const PORT_BLOCK_BASE = 1024;
const SPAN = 65536 - PORT_BLOCK_BASE;

/** One block held by one subscriber. */
export interface PortBlock {
  readonly extIp: IPv4;
  readonly index: number;
  readonly intIp: IPv4;
  /** First and last port of the block. */
  readonly first: number;
  readonly last: number;
  /** Mappings using a port of the block. */
  used: number;
}

/** Why a port could not be had from blocks. */
export type BlockRefusal = 'blocks-full';

/** Checks a port-block policy; throws a RangeError naming the bad field. */
export function checkPortBlockPolicy(p: PortBlockPolicy): void {
  if (!Number.isInteger(p.size) || p.size < 1 || p.size > SPAN) {
    throw new RangeError(`portBlocks.size ${p.size} is not an integer 1–${SPAN}`);
  }
  if (!Number.isInteger(p.perSubscriber) || p.perSubscriber < 1) {
    throw new RangeError(`portBlocks.perSubscriber ${p.perSubscriber} is not an integer ≥ 1`);
  }
}

/** The blocks of one NAT, for every external address. */
export class PortBlocks {
  readonly #count: number;
  /** Held blocks by external address (`ip | 0`), index → block. */
  readonly #byAddress = new Map<number, Map<number, PortBlock>>();
  readonly #bySubscriber = new Map<IPv4, PortBlock[]>();

  constructor(
    readonly policy: PortBlockPolicy,
    readonly rng: Rng,
    /** Random block and in-block choice (`random` port assignment) or lowest first. */
    readonly random: boolean,
  ) {
    checkPortBlockPolicy(policy);
    this.#count = Math.floor(SPAN / policy.size);
  }

  /** Blocks held by a subscriber (in the order they were given). */
  blocksOf(intIp: IPv4): readonly PortBlock[] {
    return this.#bySubscriber.get(intIp) ?? [];
  }

  /** Every held block. */
  *blocks(): IterableIterator<PortBlock> {
    for (const list of this.#bySubscriber.values()) yield* list;
  }

  /**
   * A free port for subscriber `intIp` on `extIp`: in one of its blocks there, else in a new
   * block if it may have one more; -1 when neither. `free(port)` says whether a port may be
   * taken (not held by a mapping, a forward or a reuse delay). `prefer` is tried first.
   */
  pick(intIp: IPv4, extIp: IPv4, prefer: number, free: (port: number) => boolean): number {
    const mine = this.#bySubscriber.get(intIp);
    if (mine !== undefined) {
      for (const b of mine) {
        if (b.extIp !== extIp || b.used >= b.last - b.first + 1) continue;
        const port = this.#scan(b, prefer, free);
        if (port >= 0) return port;
      }
      if (mine.length >= this.policy.perSubscriber) return -1;
    }
    const held = this.#byAddress.get(extIp | 0);
    const start = this.random ? this.rng.int(0, this.#count - 1) : 0;
    for (let i = 0; i < this.#count; i++) {
      const index = (start + i) % this.#count;
      if (held?.has(index)) continue;
      const first = PORT_BLOCK_BASE + index * this.policy.size;
      const b: PortBlock = { extIp, index, intIp, first, last: first + this.policy.size - 1, used: 0 };
      const port = this.#scan(b, prefer, free);
      if (port < 0) continue; // every port of this block is held by something else
      this.#hold(b);
      return port;
    }
    return -1;
  }

  /** Records that a mapping took `port` (picked by {@link pick}). */
  take(extIp: IPv4, port: number): void {
    const b = this.#blockAt(extIp, port);
    if (b !== undefined) b.used++;
  }

  /** Records that the mapping on `port` is gone; an empty block returns to the pool. */
  release(extIp: IPv4, port: number): void {
    const b = this.#blockAt(extIp, port);
    if (b === undefined || --b.used > 0) return;
    this.#byAddress.get(extIp | 0)?.delete(b.index);
    const list = this.#bySubscriber.get(b.intIp);
    if (list === undefined) return;
    const at = list.indexOf(b);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) this.#bySubscriber.delete(b.intIp);
  }

  /** Forgets every block. */
  clear(): void {
    this.#byAddress.clear();
    this.#bySubscriber.clear();
  }

  #blockAt(extIp: IPv4, port: number): PortBlock | undefined {
    if (port < PORT_BLOCK_BASE) return undefined;
    return this.#byAddress.get(extIp | 0)?.get(Math.floor((port - PORT_BLOCK_BASE) / this.policy.size));
  }

  #hold(b: PortBlock): void {
    let held = this.#byAddress.get(b.extIp | 0);
    if (held === undefined) this.#byAddress.set(b.extIp | 0, (held = new Map()));
    held.set(b.index, b);
    const list = this.#bySubscriber.get(b.intIp);
    if (list === undefined) this.#bySubscriber.set(b.intIp, [b]);
    else list.push(b);
  }

  #scan(b: PortBlock, prefer: number, free: (port: number) => boolean): number {
    if (prefer >= b.first && prefer <= b.last && free(prefer)) return prefer;
    const size = b.last - b.first + 1;
    const start = this.random ? this.rng.int(0, size - 1) : 0;
    for (let i = 0; i < size; i++) {
      const port = b.first + ((start + i) % size);
      if (free(port)) return port;
    }
    return -1;
  }
}
