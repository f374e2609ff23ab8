/**
 * A set of spans of one text (start offset and length), compared in place: the SOAP scanner's
 * duplicate-attribute check and its "first argument of this name" check, without slicing a string
 * or touching a Map per element or attribute (16,000 `<b/>` or 6,000 attributes in a 64 KiB body).
 *
 * Open addressing with linear probing in typed arrays, at most half full, grown by doubling; each
 * span hashed once over its characters with a per-process random seed, so the expected work per
 * look-up is constant whatever the input (like V8's own seeded string hashing behind Set and Map).
 * `clear()` is O(1): slots belong to the current generation only. Probes are counted in `work` so
 * the corpus tests see them.
 */
import type { ScanWork } from './xml-check.js';

const SEED = (Math.random() * 0x1_0000_0000) | 0;

/** A 32-bit hash of text[from, to), seeded (FNV-1a steps; the table takes its high bits, which depend on every character). */
function hashSpan(text: string, from: number, to: number): number {
  let h = SEED ^ (to - from);
  for (let k = from; k < to; k++) h = Math.imul(h ^ text.charCodeAt(k), 0x01000193);
  return Math.imul(h ^ (h >>> 15), 0x9e3779b1);
}

/** text[a, a+len) === text[b, b+len), compared in place. */
export function sameSpan(text: string, a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (text.charCodeAt(a + k) !== text.charCodeAt(b + k)) return false;
  return true;
}

/** Slots of four Int32 each: generation, hash, start, length. */
const SLOT = 4;

export class SpanSet {
  /** The table: 2^bits slots of {@link SLOT} entries. */
  private table = new Int32Array(16 * SLOT);
  private bits = 4;
  private gen = 1;
  private size = 0;

  /** Empties the set (O(1); the table keeps its size, as large as the largest use needed). */
  clear(): void {
    this.gen++;
    this.size = 0;
  }

  /** Adds text[from, to); false when an equal span was already in the set. */
  add(text: string, from: number, to: number, work: ScanWork): boolean {
    if (2 * (this.size + 1) > 1 << this.bits) this.grow(work);
    const len = to - from;
    const t = this.table;
    const gen = this.gen;
    const h = hashSpan(text, from, to);
    const mask = (1 << this.bits) - 1;
    let slot = h >>> (32 - this.bits);
    let probes = len;
    for (;;) {
      const at = slot * SLOT;
      if (t[at] !== gen) {
        work.steps += probes;
        t[at] = gen;
        t[at + 1] = h;
        t[at + 2] = from;
        t[at + 3] = len;
        this.size++;
        return true;
      }
      probes++;
      if (t[at + 1] === h && t[at + 3] === len && sameSpan(text, t[at + 2]!, from, len)) {
        work.steps += probes + len;
        return false;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Doubles the table; the stored hashes place the spans again without reading the text. */
  private grow(work: ScanWork): void {
    const old = this.table;
    const gen = this.gen;
    const bits = this.bits + 1;
    const mask = (1 << bits) - 1;
    const t = new Int32Array((1 << bits) * SLOT);
    work.steps += old.length / SLOT;
    for (let at = 0; at < old.length; at += SLOT) {
      if (old[at] !== gen) continue;
      let slot = old[at + 1]! >>> (32 - bits);
      while (t[slot * SLOT] === gen) slot = (slot + 1) & mask;
      const to = slot * SLOT;
      t[to] = gen;
      t[to + 1] = old[at + 1]!;
      t[to + 2] = old[at + 2]!;
      t[to + 3] = old[at + 3]!;
    }
    this.table = t;
    this.bits = bits;
  }
}
