/** Scenario errors that name the file, line, column and the path in the document. */

/** One problem in a scenario file. */
export interface ScenarioIssue {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Dotted path in the document, e.g. `routers.home.nat.mapping`. */
  readonly path: string;
  readonly message: string;
  /** Absent or `error`: the scenario cannot be played. `warning`: a lint (fails only `validate --strict`). */
  readonly severity?: 'error' | 'warning';
}

/** Formats an issue as `file:line:col: path: message` (`file:line:col: warning: path: message` for a lint). */
export function formatIssue(i: ScenarioIssue): string {
  return `${i.file}:${i.line}:${i.col}: ${i.severity === 'warning' ? 'warning: ' : ''}${i.path || '(document)'}: ${i.message}`;
}

/** True for an issue that stops the scenario from loading. */
export function isError(i: ScenarioIssue): boolean {
  return i.severity !== 'warning';
}

/** Thrown when a scenario cannot be loaded; carries every issue found. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  /** Stable code: every ScenarioError is a problem in the scenario's text or content. */
  readonly code = 'ERR_NATSIM_SCENARIO';
  constructor(readonly issues: readonly ScenarioIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

/** Levenshtein distance, for "did you mean". */
export function distance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[n]!;
}

/** The closest candidate, if close enough to be a likely typo. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  // Close enough to be a typo, and not a rewrite of the whole (short) word.
  return bestD <= Math.max(2, Math.floor(best.length / 3)) && bestD < Math.min(word.length, best.length) ? best : undefined;
}
