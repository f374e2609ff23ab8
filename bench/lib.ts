/**
 * Small benchmarking helpers: monotonic timing, warm-up + median-of-runs, GC'd heap readings,
 * a seeded PRNG and permutations. No dependencies beyond Node.
 */

/** Nanoseconds since an arbitrary origin (monotonic). */
export const nowNs = (): bigint => process.hrtime.bigint();

/** Milliseconds elapsed since `t0` (from {@link nowNs}). */
export const msSince = (t0: bigint): number => Number(nowNs() - t0) / 1e6;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Writes a human-readable line to stderr (stdout is reserved for the JSON result). */
export const log = (...parts: unknown[]): void => {
  process.stderr.write(`${parts.map(String).join(' ')}\n`);
};

export interface OpsResult {
  /** Median operations per second over the timed runs. */
  opsPerSec: number;
  /** Every timed run's ops/s, in run order. */
  runs: number[];
  /** Operations per timed run. */
  opsPerRun: number;
}

export interface MeasureOptions {
  /** Untimed warm-up runs (default 2). */
  warmup?: number;
  /** Timed runs; the median is reported (default 7). */
  runs?: number;
  /** Each run repeats `body` until it has taken at least this long (default 150 ms). */
  minMs?: number;
}

/**
 * Measures a throughput. `body` performs a batch of work and returns how many operations it did.
 * The number of batches per run is calibrated once so that each run lasts ≥ minMs.
 */
export function measureOps(body: () => number, options: MeasureOptions = {}): OpsResult {
  const { warmup = 2, runs = 7, minMs = 150 } = options;
  // calibrate (also a warm-up)
  let reps = 1;
  for (;;) {
    const t0 = nowNs();
    for (let r = 0; r < reps; r++) body();
    const ms = msSince(t0);
    if (ms >= minMs / 2) {
      reps = Math.max(1, Math.ceil((reps * minMs) / Math.max(ms, 1e-3)));
      break;
    }
    reps *= 2;
  }
  for (let w = 0; w < warmup; w++) for (let r = 0; r < reps; r++) body();
  const out: number[] = [];
  let opsPerRun = 0;
  for (let k = 0; k < runs; k++) {
    let ops = 0;
    const t0 = nowNs();
    for (let r = 0; r < reps; r++) ops += body();
    const ms = msSince(t0);
    opsPerRun = ops;
    out.push((ops / ms) * 1000);
  }
  return { opsPerSec: median(out), runs: out.map(Math.round), opsPerRun };
}

export interface PairedResult {
  ref: OpsResult;
  subject: OpsResult;
  /** Median over runs of subject ops/s ÷ reference ops/s measured back to back. */
  ratio: number;
  ratios: number[];
}

/**
 * Measures `subject` against a reference (`ref`), alternating one timed batch of each per run, so
 * that load from other processes on a shared machine affects both sides of each ratio alike.
 */
export function measurePaired(ref: () => number, subject: () => number, options: MeasureOptions = {}): PairedResult {
  const { warmup = 2, runs = 7, minMs = 150 } = options;
  const calibrate = (body: () => number): number => {
    let reps = 1;
    for (;;) {
      const t0 = nowNs();
      for (let r = 0; r < reps; r++) body();
      const ms = msSince(t0);
      if (ms >= minMs / 2) return Math.max(1, Math.ceil((reps * minMs) / Math.max(ms, 1e-3)));
      reps *= 2;
    }
  };
  const refReps = calibrate(ref);
  const subReps = calibrate(subject);
  const batch = (body: () => number, reps: number): number => {
    let ops = 0;
    const t0 = nowNs();
    for (let r = 0; r < reps; r++) ops += body();
    return (ops / msSince(t0)) * 1000;
  };
  for (let w = 0; w < warmup; w++) {
    batch(ref, refReps);
    batch(subject, subReps);
  }
  const a: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  for (let k = 0; k < runs; k++) {
    const x = batch(ref, refReps);
    const y = batch(subject, subReps);
    a.push(x);
    b.push(y);
    ratios.push(y / x);
  }
  let refOps = 0;
  for (let r = 0; r < refReps; r++) refOps += ref();
  let subOps = 0;
  for (let r = 0; r < subReps; r++) subOps += subject();
  return {
    ref: { opsPerSec: median(a), runs: a.map(Math.round), opsPerRun: refOps },
    subject: { opsPerSec: median(b), runs: b.map(Math.round), opsPerRun: subOps },
    ratio: median(ratios),
    ratios: ratios.map((r) => Math.round(r * 1e4) / 1e4),
  };
}

/** Forces a full GC (requires --expose-gc) and returns heapUsed in bytes. */
export function gcHeapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (see the header of bench/nat.ts)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** mulberry32, independent of the model's RNG so the benchmark never perturbs it. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A pseudo-random permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, seed: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  const r = prng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

export const round = (x: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
