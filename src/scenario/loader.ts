/**
 * Loads scenario files: bytes (size cap, UTF-8) → YAML (bounded nesting and aliases) → schema →
 * semantic checks and lints, every problem of a file reported at once, each located at
 * file:line:col with the path in the document.
 */
import { describeValue, NatsimError } from '../errors.js';
import { isError, ScenarioError, type ScenarioIssue } from './errors.js';
import {
  type CheckSpec,
  checkSchema,
  hostSchema,
  routerSchema,
  type ScenarioConfig,
  scenarioSchema,
  serverSchema,
  timelineEntrySchema,
} from './schema.js';
import { schemaProblems } from './schema-messages.js';
import { type SemanticInput, semanticIssues } from './semantics.js';
import { locatedIssue, readScenarioFile, type ScenarioLimits, ScenarioSource } from './source.js';

export type { ScenarioLimits } from './source.js';
export { DEFAULT_MAX_SCENARIO_BYTES } from './source.js';

/** A validated scenario with where it came from. */
export interface LoadedScenario {
  readonly file: string;
  readonly config: ScenarioConfig;
  /** Lints: the scenario loads, but these are probably not what the author meant. */
  readonly warnings: readonly ScenarioIssue[];
}

/** Everything `validate` finds in one file. `config` is set when there is no error. */
export interface ScenarioCheck {
  readonly file: string;
  readonly config?: ScenarioConfig;
  /** Errors and warnings, in document order. */
  readonly issues: readonly ScenarioIssue[];
}

/** At most this many issues are listed per file; the rest are counted. */
export const MAX_LISTED_ISSUES = 200;

/** Reads a scenario file and reports every problem in it (never throws for bad input). */
export async function checkScenarioFile(file: string, limits: ScenarioLimits = {}): Promise<ScenarioCheck> {
  const read = await readScenarioFile(file, limits);
  if ('issues' in read) return { file, issues: read.issues };
  return checkScenarioText(read.text, file);
}

/** Reports every problem of scenario YAML text (never throws for bad input). */
export function checkScenarioText(text: string, file = '<scenario>'): ScenarioCheck {
  const parsed = ScenarioSource.parse(text, file);
  if ('issues' in parsed) return { file, issues: parsed.issues };
  const { source, data, warnings } = parsed;
  const raw = data ?? {};
  const result = scenarioSchema.safeParse(raw);
  const issues: ScenarioIssue[] = [...warnings];
  let input: SemanticInput;
  if (result.success) {
    input = result.data;
  } else {
    for (const p of schemaProblems(result.error.issues, raw)) issues.push(locatedIssue(p, source));
    input = partialConfig(raw);
  }
  for (const p of semanticIssues(input)) issues.push(locatedIssue(p, source));
  const sorted = dedupe(issues).sort((a, b) => a.line - b.line || a.col - b.col);
  if (result.success && !sorted.some(isError)) {
    return { file, config: result.data, issues: sorted };
  }
  return { file, issues: sorted };
}

/** Reads and validates a scenario file. Throws {@link ScenarioError} with every error found. */
export async function loadScenarioFile(file: string, limits: ScenarioLimits = {}): Promise<LoadedScenario> {
  if (typeof file !== 'string' || file === '') {
    throw new NatsimError('ERR_NATSIM_INVALID_ARGUMENT', {
      fn: 'loadScenarioFile',
      reason: `expected a scenario file's path (scenarioPath(name) for a shipped one), not ${describeValue(file)}`,
    });
  }
  const checked = await checkScenarioFile(file, limits);
  if (!checked.config) throw new ScenarioError(checked.issues.filter(isError));
  return { file, config: checked.config, warnings: checked.issues };
}

/** Validates scenario YAML text. Throws {@link ScenarioError} with every error found. */
export function parseScenario(text: string, file = '<scenario>'): ScenarioConfig {
  if (typeof text !== 'string') {
    throw new NatsimError('ERR_NATSIM_INVALID_ARGUMENT', {
      fn: 'parseScenario',
      reason: `expected the scenario's YAML text, not ${describeValue(text)}${text !== null && typeof text === 'object' ? ' (an object is validated with scenarioSchema.parse())' : ''}`,
    });
  }
  const checked = checkScenarioText(text, file);
  if (!checked.config) throw new ScenarioError(checked.issues.filter(isError));
  return checked.config;
}

function dedupe(issues: ScenarioIssue[]): ScenarioIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.line}:${i.col}:${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * The entries of a document that failed the schema which pass it one by one, so the semantic
 * checks still run on them; references to the entries left out are not reported again.
 */
function partialConfig(raw: unknown): SemanticInput {
  const doc = isObject(raw) ? raw : {};
  const ids = new Set<string>();
  const section = <T>(name: string, schema: { safeParse(v: unknown): Parsed<T> }): Record<string, T> => {
    const out: Record<string, T> = {};
    const s = doc[name];
    if (!isObject(s)) return out;
    for (const [id, v] of Object.entries(s)) {
      ids.add(id);
      const r = lenientParse(schema, v);
      if (r.success && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) out[id] = r.data;
    }
    return out;
  };
  const routers = section('routers', routerSchema);
  const routerIds = new Set(isObject(doc.routers) ? Object.keys(doc.routers) : []);
  const hosts = section('hosts', hostSchema);
  const servers = section('servers', serverSchema);
  const rawChecks = Array.isArray(doc.checks) ? (doc.checks as unknown[]) : [];
  const checkNames = new Set<string>();
  const checks = rawChecks.map((v, i): CheckSpec | undefined => {
    const name = isObject(v) && typeof v.name === 'string' ? v.name : `check ${i + 1}`;
    checkNames.add(name);
    const r = lenientParse(checkSchema, v);
    return r.success ? r.data : undefined;
  });
  const timeline = Array.isArray(doc.timeline)
    ? (doc.timeline as unknown[]).map((v) => {
        const r = timelineEntrySchema.safeParse(v);
        return r.success ? r.data : undefined;
      })
    : undefined;
  return { routers, hosts, servers, checks, ...(timeline ? { timeline } : {}), written: { ids, routers: routerIds, checkNames } };
}

type Parsed<T> =
  | { success: true; data: T }
  | { success: false; error: { issues: ReadonlyArray<{ code: string; path: PropertyKey[]; keys?: string[] }> } };

/** The entry, or the entry without its bad optional keys (already reported) when that passes. */
function lenientParse<T>(schema: { safeParse(v: unknown): Parsed<T> }, v: unknown): Parsed<T> {
  const r = schema.safeParse(v);
  if (r.success || !isObject(v)) return r;
  const bad = new Set(r.error.issues.flatMap((i) => (i.path.length > 0 ? [String(i.path[0])] : (i.keys ?? []))));
  return schema.safeParse(Object.fromEntries(Object.entries(v).filter(([k]) => !bad.has(k))));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
