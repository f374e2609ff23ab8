/**
 * Loads scenario files: YAML → schema validation → reference checks, with every error located
 * at file:line:col and the path in the document.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isPair, isScalar, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { inPrefix, parseIPv4, parsePrefix } from '../nat/address.js';
import { APPS, PROBES } from './apps.js';
import { ScenarioError, didYouMean, type ScenarioIssue } from './errors.js';
import { scenarioSchema, type ScenarioConfig } from './schema.js';

/** A validated scenario with where it came from. */
export interface LoadedScenario {
  readonly file: string;
  readonly config: ScenarioConfig;
}

/** Reads and validates a scenario file. Throws {@link ScenarioError}. */
export async function loadScenarioFile(file: string): Promise<LoadedScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ScenarioError([{ file, line: 1, col: 1, path: '', message: `cannot read file: ${(e as Error).message}` }]);
  }
  return { file, config: parseScenario(text, file) };
}

/** Validates scenario YAML text. Throws {@link ScenarioError}. */
export function parseScenario(text: string, file = '<scenario>'): ScenarioConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number): { line: number; col: number } => {
    const p = lc.linePos(offset);
    return { line: p.line, col: p.col };
  };
  if (doc.errors.length > 0) {
    throw new ScenarioError(doc.errors.map((e) => ({ file, ...pos(e.pos[0]), path: '', message: `YAML: ${e.message.split('\n')[0]}` })));
  }
  const locate = (path: readonly PropertyKey[], key?: string): { line: number; col: number } =>
    pos(offsetOf(doc, path, key));
  const raw: unknown = doc.toJS();
  const parsed = scenarioSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => zodIssue(i, file, locate, raw));
    throw new ScenarioError(dedupe(issues));
  }
  const refIssues = checkReferences(parsed.data).map((r) => ({ file, ...locate(r.path, r.key), path: r.path.join('.') + (r.key ? `.${r.key}` : ''), message: r.message }));
  if (refIssues.length) throw new ScenarioError(refIssues);
  return parsed.data;
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

/** Offset of the node at `path` (or of one key in the map there). */
function offsetOf(doc: Document, path: readonly PropertyKey[], key?: string): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const seg of path) {
    if (!node || typeof node !== 'object' || !('items' in node)) break;
    const items = (node as { items: unknown[] }).items;
    let next: unknown;
    if (isMap(node)) {
      const pair = items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (isPair(pair)) {
        offset = rangeStart(pair.key) ?? offset;
        next = pair.value;
      }
    } else if (typeof seg === 'number') {
      next = items[seg];
    }
    if (next === undefined) return offset;
    node = next;
    offset = rangeStart(node) ?? offset;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    if (pair) return rangeStart(pair.key) ?? offset;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as { range?: [number, number, number] } | null)?.range;
  return r ? r[0] : undefined;
}

function zodIssue(
  i: z.core.$ZodIssue,
  file: string,
  locate: (p: readonly PropertyKey[], k?: string) => { line: number; col: number },
  raw: unknown,
): ScenarioIssue {
  const path = i.path.map(String);
  if (i.code === 'unrecognized_keys') {
    const key = i.keys[0]!;
    const known = knownKeys(i.path);
    const hint = didYouMean(key, known);
    const keyPath = [...path, key].join('.');
    return {
      file, ...locate(i.path, key), path: keyPath,
      message: `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}${known.length ? `; expected one of: ${known.join(', ')}` : ''}`,
    };
  }
  if (i.code === 'invalid_key') {
    const key = String(i.path.at(-1));
    return {
      file, ...locate(i.path.slice(0, -1), key), path: path.join('.'),
      message: `expected ${i.issues[0]?.message ?? 'a valid key'}, got ${JSON.stringify(key)}`,
    };
  }
  if (i.code === 'invalid_union') {
    const got = getIn(i.path);
    if (got !== null && typeof got === 'object' && !Array.isArray(got)) {
      // A mapping: report the mapping branch's own issue, at its full path.
      const first = i.errors.find((b) => b.some((e) => e.path.length > 0 || e.code === 'unrecognized_keys'))?.[0];
      if (first) return zodIssue({ ...first, path: [...i.path, ...first.path] } as z.core.$ZodIssue, file, locate, raw);
    }
  }
  let message = i.message;
  if ((i.code === 'invalid_value' || i.code === 'invalid_union') && getIn(i.path) === undefined) {
    message = i.code === 'invalid_value' && 'values' in i
      ? `missing required one of ${(i.values as unknown[]).map((v) => `"${String(v)}"`).join(', ')}`
      : 'missing required value';
  } else if (i.code === 'invalid_value' && 'values' in i) {
    const got = getIn(i.path);
    const values = (i.values as unknown[]).map(String);
    const hint = typeof got === 'string' ? didYouMean(got, values) : undefined;
    message = `expected one of ${values.map((v) => `"${v}"`).join(', ')}, got ${JSON.stringify(got)}${hint ? ` (did you mean "${hint}"?)` : ''}`;
  } else if (i.code === 'invalid_union') {
    message = unionMessage(i, getIn(i.path));
  } else if (i.code === 'invalid_type') {
    const got = getIn(i.path);
    message = got === undefined ? `missing required ${i.expected}` : `expected ${i.expected}, got ${describe(got)}`;
  } else if (i.code === 'custom' || i.code === 'invalid_format') {
    message = `expected ${i.message}, got ${JSON.stringify(getIn(i.path))}`;
  }
  return { file, ...locate(i.path), path: path.join('.'), message };

  function getIn(p: readonly PropertyKey[]): unknown {
    return p.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), raw);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function unionMessage(i: z.core.$ZodIssue & { code: 'invalid_union' }, got: unknown): string {
  // Prefer the branch whose error is deepest / most specific for mappings.
  if (got !== null && typeof got === 'object' && !Array.isArray(got)) {
    for (const branch of i.errors) {
      const first = branch[0];
      if (first && first.code === 'unrecognized_keys') return `unknown key "${first.keys[0]}"`;
      if (first && first.path.length > 0) return `${first.path.join('.')}: ${first.message}`;
    }
  }
  const enums = i.errors.flat().filter((e) => e.code === 'invalid_value' && 'values' in e).flatMap((e) => (e as { values: unknown[] }).values.map(String));
  if (enums.length && typeof got === 'string') {
    const hint = didYouMean(got, enums);
    return `expected one of ${enums.map((v) => `"${v}"`).join(', ')} or a mapping, got "${got}"${hint ? ` (did you mean "${hint}"?)` : ''}`;
  }
  return `no accepted form matches ${JSON.stringify(got)}`;
}

/** Keys allowed at a path, walking the zod schema (objects, records, arrays, unions). */
function knownKeys(path: readonly PropertyKey[]): string[] {
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
  const keys = new Set<string>();
  for (const s of schemas.flatMap(unwrap)) if (s instanceof z.ZodObject) for (const k of Object.keys(s.shape)) keys.add(k);
  return [...keys];
}

function unwrap(s: z.ZodType): z.ZodType[] {
  if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) return unwrap(s.unwrap() as z.ZodType);
  if (s instanceof z.ZodUnion) return (s.options as z.ZodType[]).flatMap(unwrap);
  if (s instanceof z.ZodPipe) return unwrap(s.in as z.ZodType);
  return [s];
}

interface RefIssue {
  path: PropertyKey[];
  key?: string;
  message: string;
}

/** Cross-references: ids exist, addresses fit LANs, apps and features are known. */
function checkReferences(c: ScenarioConfig): RefIssue[] {
  const out: RefIssue[] = [];
  const routers = Object.keys(c.routers);
  const nodes = new Set([...routers, ...Object.keys(c.hosts), ...Object.keys(c.servers)]);
  const unknownRouter = (path: PropertyKey[], name: string): void => {
    const hint = didYouMean(name, routers);
    out.push({ path, message: `no router "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; routers: ${routers.join(', ') || 'none'}` });
  };
  const seen = new Set<string>();
  for (const kind of ['routers', 'hosts', 'servers'] as const) {
    for (const id of Object.keys(c[kind])) {
      if (seen.has(id)) out.push({ path: [kind], key: id, message: `id "${id}" is used twice (routers, hosts and servers share one namespace)` });
      seen.add(id);
    }
  }
  for (const [rid, r] of Object.entries(c.routers)) {
    if (r.parent && r.parent !== 'internet' && !c.routers[r.parent]) unknownRouter(['routers', rid, 'parent'], r.parent);
    if (r.parent === rid) out.push({ path: ['routers', rid, 'parent'], message: 'a router cannot be its own parent' });
    else {
      const chain = [rid];
      for (let p = r.parent; p && p !== 'internet' && c.routers[p]; p = c.routers[p]!.parent) {
        if (p === rid) {
          out.push({ path: ['routers', rid, 'parent'], message: `routers form a cycle: ${[...chain, rid].join(' → ')}` });
          break;
        }
        if (chain.includes(p)) break;
        chain.push(p);
      }
    }
    const lan = parsePrefix(r.lan);
    for (const [i, f] of r.forwards.entries()) {
      if (!inPrefix(parseIPv4(f.internal), lan)) out.push({ path: ['routers', rid, 'forwards', i, 'internal'], message: `${f.internal} is not in ${rid}'s LAN ${r.lan}` });
    }
    if (r.parent && c.routers[r.parent]) {
      const plan = parsePrefix(c.routers[r.parent]!.lan);
      for (const w of typeof r.wan === 'string' ? [r.wan] : r.wan) {
        if (!inPrefix(parseIPv4(w), plan)) out.push({ path: ['routers', rid, 'wan'], message: `${w} is not in the parent ${r.parent}'s LAN ${c.routers[r.parent]!.lan}` });
      }
    }
  }
  const placed = (kind: 'hosts' | 'servers', hid: string, h: { router?: string | undefined; address: string }): void => {
    if (h.router === undefined) return;
    const r = c.routers[h.router];
    if (!r) return unknownRouter([kind, hid, 'router'], h.router);
    if (!inPrefix(parseIPv4(h.address), parsePrefix(r.lan))) out.push({ path: [kind, hid, 'address'], message: `${h.address} is not in ${h.router}'s LAN ${r.lan}` });
  };
  for (const [hid, h] of Object.entries(c.hosts)) {
    placed('hosts', hid, h);
    if (h.app !== undefined && !APPS[h.app]) {
      const hint = didYouMean(h.app, Object.keys(APPS));
      out.push({ path: ['hosts', hid, 'app'], message: `unknown app "${h.app}"${hint ? ` (did you mean "${hint}"?)` : ''}; apps: ${Object.keys(APPS).join(', ')}` });
    }
  }
  for (const [sid, s] of Object.entries(c.servers)) placed('servers', sid, s);
  const names = c.checks.map((k, i) => k.name ?? `check ${i + 1}`);
  c.checks.forEach((k, i) => {
    for (const side of ['from', 'to'] as const) {
      const v = k[side];
      // classify: "to" may name the primary reflector server
      if (side === 'to' && k.feature === 'classify' && c.servers[v]?.role === 'reflector') continue;
      if (!c.hosts[v]) {
        const hint = didYouMean(v, Object.keys(c.hosts));
        out.push({ path: ['checks', i, side], message: `no host "${v}"${hint ? ` (did you mean "${hint}"?)` : ''}${nodes.has(v) ? ' (checks run between hosts, not routers or servers)' : ''}` });
      }
    }
    const host = c.hosts[k.from];
    const app = host?.app ? APPS[host.app] : undefined;
    const feature = k.feature ?? (app ? app.defaultFeature : 'hole-punch');
    if (!PROBES[feature] && !(app && app.features[feature])) {
      const known = [...(app ? Object.keys(app.features) : []), ...Object.keys(PROBES)];
      const hint = didYouMean(feature, known);
      out.push({ path: ['checks', i, 'feature'], message: `unknown feature "${feature}"${app ? ` for ${app.id}` : ''}${hint ? ` (did you mean "${hint}"?)` : ''}; known: ${known.join(', ')}` });
    }
    for (const a of k.after) {
      if (!names.includes(a) || names.indexOf(a) >= i) out.push({ path: ['checks', i, 'after'], message: `"after" must name an earlier check; no earlier check "${a}"` });
    }
  });
  return out;
}
