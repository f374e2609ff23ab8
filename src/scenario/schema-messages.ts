/**
 * Schema problems in words a person wrote: every zod issue of a scenario file is turned into one
 * or more {@link SchemaProblem}s with a sentence of our own (never zod's text), the path in the
 * document, and, where it helps, a "did you mean".
 */
import { z } from 'zod';
import { didYouMean } from './errors.js';
import { scenarioSchema } from './schema.js';

/** One schema problem, before it is located in the file. */
export interface SchemaProblem {
  /** Path of the node, e.g. ['routers', 'home', 'nat']. */
  readonly path: readonly PropertyKey[];
  /** When set, the problem is this key of the mapping at `path` (located at the key). */
  readonly key?: string;
  readonly message: string;
}

const PORT_KEYS = new Set(['external', 'internalPort', 'ports', 'sourcePorts']);

/** Problems for every issue of a failed parse of `raw` (the plain YAML data). */
export function schemaProblems(issues: readonly z.core.$ZodIssue[], raw: unknown): SchemaProblem[] {
  return issues.flatMap((i) => problemsOf(i, raw, []));
}

function problemsOf(issue: z.core.$ZodIssue, raw: unknown, prefix: readonly PropertyKey[]): SchemaProblem[] {
  const i = prefix.length ? ({ ...issue, path: [...prefix, ...issue.path] } as z.core.$ZodIssue) : issue;
  const got = getIn(raw, i.path);
  switch (i.code) {
    case 'unrecognized_keys':
      return i.keys.map((key) => unknownKey(i.path, key));
    case 'invalid_key': {
      const key = String(i.path.at(-1));
      const what = i.issues.find((s) => s.code === 'invalid_format' || s.code === 'custom')?.message ?? 'an id';
      const own: SchemaProblem = { path: i.path.slice(0, -1), key, message: `expected ${what}, got ${JSON.stringify(key)}` };
      // zod skips the value of a bad key: check it too, so one round shows every problem.
      const value = schemasAt(i.path.slice(0, -1))
        .flatMap(unwrap)
        .find((s): s is z.ZodRecord => s instanceof z.ZodRecord)?.valueType as z.ZodType | undefined;
      const r = value?.safeParse(got);
      return [own, ...(r && !r.success ? r.error.issues.flatMap((e) => problemsOf(e, raw, i.path)) : [])];
    }
    case 'invalid_union':
      return unionProblems(i, got, raw);
    default:
      return [{ path: i.path, message: messageOf(i, got) }];
  }
}

function unknownKey(path: readonly PropertyKey[], key: string): SchemaProblem {
  const known = knownKeys(path);
  const hint = didYouMean(key, known);
  return {
    path,
    key,
    message: `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}${known.length ? `; expected one of: ${known.join(', ')}` : ''}`,
  };
}

function unionProblems(i: z.core.$ZodIssue & { code: 'invalid_union' }, got: unknown, raw: unknown): SchemaProblem[] {
  if (got === undefined) return [{ path: i.path, message: `missing required key "${String(i.path.at(-1))}"` }];
  if (isMapping(got)) {
    // A mapping: every problem of the mapping branch (the one whose issues are not "expected a string").
    const branch = i.errors.find((b) => b.some((e) => e.path.length > 0 || e.code === 'unrecognized_keys'));
    if (branch) return branch.flatMap((e) => problemsOf(e, raw, i.path));
  }
  const enums = i.errors
    .flat()
    .filter((e) => e.code === 'invalid_value')
    .flatMap((e) => (e as { values: unknown[] }).values.map(String));
  if (enums.length && typeof got === 'string') {
    const hint = didYouMean(got, enums);
    // The other branches' forms: a mapping (nat: preset or policies), a list (upstream.pcp) …
    const others = i.errors
      .filter((b) => !b.some((e) => e.code === 'invalid_value'))
      .map((b) => b[0])
      .filter((e): e is z.core.$ZodIssue => e !== undefined)
      .map((e) => formOf(e, i.path));
    const or = others.length ? [...new Set(others)].join(' or ') : 'a mapping';
    return [
      {
        path: i.path,
        message: `expected one of ${enums.map((v) => `"${v}"`).join(', ')} or ${or}, got "${got}"${hint ? ` (did you mean "${hint}"?)` : ''}`,
      },
    ];
  }
  // A port or a range, an address or a list of addresses: say what each accepted form is.
  const forms = i.errors
    .map((b) => b[0])
    .filter((e): e is z.core.$ZodIssue => e !== undefined)
    .map((e) => formOf(e, i.path));
  const relevant = i.errors.map((b) => b[0]).find((e) => e && e.code !== 'invalid_type');
  if (relevant) return [{ path: i.path, message: messageOf({ ...relevant, path: i.path } as z.core.$ZodIssue, got) }];
  return [{ path: i.path, message: `expected ${[...new Set(forms)].join(' or ')}, got ${describe(got)}` }];
}

function formOf(e: z.core.$ZodIssue, path: readonly PropertyKey[]): string {
  if (e.code === 'invalid_type') return typeName(e.expected, path);
  return 'a valid value';
}

/** The sentence for one (non-union, non-key) issue. */
function messageOf(i: z.core.$ZodIssue, got: unknown): string {
  const path = i.path;
  const name = String(path.at(-1) ?? 'document');
  switch (i.code) {
    case 'invalid_type':
      if (got === undefined) return `missing required key "${name}" (${typeName(i.expected, path)})`;
      return `expected ${typeName(i.expected, path)}, got ${describe(got)}`;
    case 'invalid_value': {
      const values = i.values.map(String);
      if (got === undefined) return `missing required key "${name}" (one of ${values.map((v) => `"${v}"`).join(', ')})`;
      const hint = typeof got === 'string' ? didYouMean(got, values) : undefined;
      return `expected one of ${values.map((v) => `"${v}"`).join(', ')}, got ${describe(got)}${hint ? ` (did you mean "${hint}"?)` : ''}`;
    }
    case 'too_big':
    case 'too_small':
      return sizeMessage(i, got, path);
    case 'invalid_format':
    case 'custom':
      return `expected ${i.message ?? 'a valid value'}, got ${describe(got)}`;
    case 'not_multiple_of':
      return `expected a multiple of ${String(i.divisor)}, got ${describe(got)}`;
    default:
      return `${describe(got)} is not accepted here`;
  }
}

function sizeMessage(i: z.core.$ZodIssue & { code: 'too_big' | 'too_small' }, got: unknown, path: readonly PropertyKey[]): string {
  if (PORT_KEYS.has(String(path.at(-1))) && typeof got === 'number') return `expected a port from 1 to 65535, got ${got}`;
  const limit = Number(i.code === 'too_big' ? i.maximum : i.minimum);
  if (i.origin === 'array') {
    return i.code === 'too_small'
      ? `expected at least ${limit} item${limit === 1 ? '' : 's'}, got ${describe(got)}`
      : `expected at most ${limit} items, got ${(got as unknown[]).length}`;
  }
  const inclusive = i.inclusive !== false;
  if (i.code === 'too_big') return `expected a number ${inclusive ? 'no greater than' : 'less than'} ${limit}, got ${describe(got)}`;
  if (limit === 0 && !inclusive) return `expected a number greater than 0, got ${describe(got)}`;
  return `expected a number ${inclusive ? 'of at least' : 'greater than'} ${limit}, got ${describe(got)}`;
}

function typeName(expected: string, path: readonly PropertyKey[]): string {
  if (PORT_KEYS.has(String(path.at(-1))) && (expected === 'number' || expected === 'string'))
    return 'a port or a range such as "6891-6900"';
  switch (expected) {
    case 'string':
      return 'text';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
      return 'a mapping';
    default:
      return expected;
  }
}

/** The value as a person would name it in a sentence. */
export function describe(v: unknown): string {
  if (v === null) return 'an empty value';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function getIn(raw: unknown, p: readonly PropertyKey[]): unknown {
  return p.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), raw);
}

/** Keys allowed at a path, walking the zod schema (objects, records, arrays, unions). */
export function knownKeys(path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  for (const s of schemasAt(path).flatMap(unwrap)) if (s instanceof z.ZodObject) for (const k of Object.keys(s.shape)) keys.add(k);
  return [...keys];
}

/** The schemas that may apply at a path. */
function schemasAt(path: readonly PropertyKey[]): z.ZodType[] {
  let schemas: z.ZodType[] = [scenarioSchema];
  for (const seg of path) {
    const next: z.ZodType[] = [];
    for (const s of schemas.flatMap(unwrap)) {
      if (s instanceof z.ZodObject) {
        const child = (s.shape as Record<string, z.ZodType>)[String(seg)];
        if (child) next.push(child);
      } else if (s instanceof z.ZodRecord) {
        next.push(s.valueType as z.ZodType);
      } else if (s instanceof z.ZodArray) {
        next.push(s.element as z.ZodType);
      }
    }
    schemas = next;
  }
  return schemas;
}

function unwrap(s: z.ZodType): z.ZodType[] {
  if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) return unwrap(s.unwrap() as z.ZodType);
  if (s instanceof z.ZodUnion) return (s.options as z.ZodType[]).flatMap(unwrap);
  if (s instanceof z.ZodPipe) return unwrap(s.in as z.ZodType);
  return [s];
}
