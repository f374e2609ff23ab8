/**
 * The semantic checks of a scenario, shared by `validate` (through the loader) and by
 * {@link buildNetwork} so the two cannot disagree: references resolve, addresses fit their LANs
 * and are used once per network segment (the model's own rule), static forwards do not collide,
 * plus lints (warnings) for things that load but cannot be what the author meant.
 */
import { formatIPv4, type IPv4, inPrefix, isPrivateAddress, nthAddress, type Prefix, parseIPv4, parsePrefix } from '../nat/address.js';
import { MAX_FORWARDS } from '../nat/forward-table.js';
import { APPS, PROBES } from './apps.js';
import { didYouMean } from './errors.js';
import { natFromSpec } from './nat-spec.js';
import { portRange } from './port-range.js';
import type { CheckSpec, HostSpec, RouterSpec, ServerSpec, TimelineEntry } from './schema.js';
import { timelineIssues } from './timeline-semantics.js';

/** What the checks look at: a scenario's entries (entries that failed the schema left out). */
export interface SemanticInput {
  readonly routers: Readonly<Record<string, RouterSpec>>;
  readonly hosts: Readonly<Record<string, HostSpec>>;
  readonly servers: Readonly<Record<string, ServerSpec>>;
  /** `undefined` stands for a check that failed the schema (indexes keep their meaning). */
  readonly checks: ReadonlyArray<CheckSpec | undefined>;
  /** `undefined` entries failed the schema. */
  readonly timeline?: ReadonlyArray<TimelineEntry | undefined>;
  /** Ids and check names written in the file, valid or not: references to them are not reported again. */
  readonly written?: { readonly ids: ReadonlySet<string>; readonly routers: ReadonlySet<string>; readonly checkNames: ReadonlySet<string> };
}

/** One semantic problem, before it is located in the file. */
export interface SemanticIssue {
  readonly severity: 'error' | 'warning';
  readonly path: readonly PropertyKey[];
  /** When set, the problem is this key of the mapping at `path`. */
  readonly key?: string;
  readonly message: string;
}

const INTERNET = 'internet';

/** Every semantic error and lint of a scenario, in document order of the checks that find them. */
export function semanticIssues(c: SemanticInput): SemanticIssue[] {
  const out: SemanticIssue[] = [];
  const err = (path: readonly PropertyKey[], message: string, key?: string): void => {
    out.push({ severity: 'error', path, message, ...(key !== undefined ? { key } : {}) });
  };
  const warn = (path: readonly PropertyKey[], message: string): void => {
    out.push({ severity: 'warning', path, message });
  };
  checkIds(c, err);
  checkRouters(c, err);
  checkUpstream(c, err, warn);
  checkPlacement(c, err);
  checkApps(c, err);
  checkChecks(c, err, warn);
  if (c.timeline) {
    const checkNames = new Set([...c.checks.flatMap((k, i) => (k ? [k.name ?? `check ${i + 1}`] : [])), ...(c.written?.checkNames ?? [])]);
    timelineIssues(
      {
        routers: c.routers,
        hosts: c.hosts,
        servers: c.servers,
        timeline: c.timeline,
        checkNames,
        checkCalls: new Map(c.checks.flatMap((k, i) => (k ? [[k.name ?? `check ${i + 1}`, k] as const] : []))),
        checksWithAfter: new Set(c.checks.flatMap((k, i) => (k && k.after.length > 0 ? [k.name ?? `check ${i + 1}`] : []))),
        ...(c.written ? { written: c.written.ids } : {}),
      },
      err,
    );
  }
  checkAddresses(c, err);
  lintAddresses(c, warn);
  return out;
}

type Err = (path: readonly PropertyKey[], message: string, key?: string) => void;
type Warn = (path: readonly PropertyKey[], message: string) => void;

function hintFor(name: string, candidates: Iterable<string>): string {
  const hint = didYouMean(name, candidates);
  return hint ? ` (did you mean "${hint}"?)` : '';
}

function checkIds(c: SemanticInput, err: Err): void {
  const seen = new Set<string>();
  for (const kind of ['routers', 'hosts', 'servers'] as const) {
    for (const id of Object.keys(c[kind])) {
      if (id === INTERNET)
        err([kind], `"${INTERNET}" is reserved (it names the Internet, e.g. in parent: ${INTERNET}); choose another id`, id);
      else if (seen.has(id)) err([kind], `id "${id}" is used twice (routers, hosts and servers share one namespace)`, id);
      seen.add(id);
    }
  }
}

function missing(c: SemanticInput, name: string): boolean {
  return !(c.written?.ids.has(name) ?? false);
}

function unknownRouter(c: SemanticInput, err: Err, path: readonly PropertyKey[], name: string): void {
  if (!missing(c, name)) return;
  const routers = [...new Set([...Object.keys(c.routers), ...(c.written?.routers ?? [])])];
  err(path, `no router "${name}"${hintFor(name, routers)}; routers: ${routers.join(', ') || 'none'}`);
}

/** `upstream:` needs a parent router to ask, and is pointless when that parent offers no PCP. */
function checkUpstream(c: SemanticInput, err: Err, warn: Warn): void {
  for (const [rid, r] of Object.entries(c.routers)) {
    if (!r.upstream) continue;
    const at = ['routers', rid, 'upstream'];
    const parent = r.parent && r.parent !== INTERNET ? c.routers[r.parent] : undefined;
    if (!r.parent || r.parent === INTERNET) {
      err(
        at,
        `${rid} relays its mappings upstream over PCP, but its parent is the Internet: there is no router to ask (give it a parent router)`,
      );
    } else if (parent && !parent.services.pcp) {
      warn(
        at,
        `${rid} relays its mappings to ${r.parent} over PCP, but ${r.parent} does not offer PCP (services: { pcp: true }): nothing upstream answers, so its mappings stay local`,
      );
    }
  }
}

function checkRouters(c: SemanticInput, err: Err): void {
  for (const [rid, r] of Object.entries(c.routers)) {
    const at = ['routers', rid];
    if (r.parent && r.parent !== INTERNET && !c.routers[r.parent]) unknownRouter(c, err, [...at, 'parent'], r.parent);
    if (r.parent === rid) err([...at, 'parent'], 'a router cannot be its own parent');
    else {
      const cycle = cycleFrom(c, rid);
      if (cycle) err([...at, 'parent'], `routers form a cycle: ${cycle.join(' → ')}`);
    }
    const lan = parsePrefix(r.lan);
    if (r.lanAddress !== undefined && !inPrefix(parseIPv4(r.lanAddress), lan))
      err([...at, 'lanAddress'], `${r.lanAddress} is not in ${rid}'s LAN ${r.lan}`);
    for (const [i, f] of r.forwards.entries()) {
      if (!inPrefix(parseIPv4(f.internal), lan)) err([...at, 'forwards', i, 'internal'], `${f.internal} is not in ${rid}'s LAN ${r.lan}`);
    }
    checkForwards(rid, r, err);
    const parent = r.parent ? c.routers[r.parent] : undefined;
    if (parent) {
      const plan = parsePrefix(parent.lan);
      wans(r).forEach((w, k) => {
        if (!inPrefix(parseIPv4(w), plan)) err(wanPath(rid, r, k), `${w} is not in the parent ${r.parent}'s LAN ${parent.lan}`);
      });
    }
  }
}

/** The cycle through `rid`'s parents that returns to `rid`, if any. */
function cycleFrom(c: SemanticInput, rid: string): string[] | undefined {
  const chain = [rid];
  for (let p = c.routers[rid]?.parent; p && p !== INTERNET && c.routers[p]; p = c.routers[p]!.parent) {
    if (p === rid) return [...chain, rid];
    if (chain.includes(p)) return undefined;
    chain.push(p);
  }
  return undefined;
}

function wans(r: RouterSpec): readonly string[] {
  return typeof r.wan === 'string' ? [r.wan] : r.wan;
}

function wanPath(rid: string, r: RouterSpec, k: number): PropertyKey[] {
  return typeof r.wan === 'string' ? ['routers', rid, 'wan'] : ['routers', rid, 'wan', k];
}

/** Static forwards: no port range past 65535, at most the table's size, no port to two clients. */
function checkForwards(rid: string, r: RouterSpec, err: Err): void {
  const at = ['routers', rid, 'forwards'];
  let total = 0;
  const spans = r.forwards.map((f, i) => {
    const { from, to } = portRange(f.external);
    total += to - from + 1;
    if (f.internalPort !== undefined && f.internalPort + (to - from) > 65535) {
      err(
        [...at, i, 'internalPort'],
        `external ports ${from}-${to} from internal port ${f.internalPort} run past 65535 (the last would be ${f.internalPort + (to - from)})`,
      );
    }
    return { i, from, to, key: `${f.protocol}|${f.remoteHost ?? ''}`, client: f.internal, protocol: f.protocol };
  });
  if (total > MAX_FORWARDS) {
    err(at, `the forwards cover ${total} ports; a router's forward table holds at most ${MAX_FORWARDS} entries`);
    return;
  }
  // The model adds forwards in file order; the later of two that overlap for different clients fails.
  const byKey = new Map<string, typeof spans>();
  for (const s of spans) byKey.set(s.key, [...(byKey.get(s.key) ?? []), s]);
  for (const group of byKey.values()) {
    group.sort((a, b) => a.from - b.from || a.i - b.i);
    let held: (typeof spans)[number] | undefined;
    for (const s of group) {
      if (held && s.from <= held.to && s.client !== held.client) {
        const [first, later] = held.i < s.i ? [held, s] : [s, held];
        const port = Math.max(s.from, held.from);
        err(
          [...at, later.i, 'external'],
          `${s.protocol.toUpperCase()} port ${port} is already forwarded to ${first.client} by forwards.${first.i}`,
        );
      }
      if (!held || s.to > held.to) held = s;
    }
  }
}

function checkPlacement(c: SemanticInput, err: Err): void {
  const placed = (
    kind: 'hosts' | 'servers',
    id: string,
    h: { router?: string | undefined; address: string; aliases?: readonly string[] | undefined },
  ): void => {
    if (h.router === undefined) return;
    const r = c.routers[h.router];
    if (!r) {
      unknownRouter(c, err, [kind, id, 'router'], h.router);
      return;
    }
    for (const [path, a] of addressesOf(kind, id, h)) {
      if (!inPrefix(parseIPv4(a), parsePrefix(r.lan))) err(path, `${a} is not in ${h.router}'s LAN ${r.lan}`);
    }
  };
  for (const [id, h] of Object.entries(c.hosts)) placed('hosts', id, h);
  for (const [id, s] of Object.entries(c.servers)) placed('servers', id, s);
}

function checkApps(c: SemanticInput, err: Err): void {
  for (const [hid, h] of Object.entries(c.hosts)) {
    if (h.app !== undefined && !APPS[h.app]) {
      err(['hosts', hid, 'app'], `unknown app "${h.app}"${hintFor(h.app, Object.keys(APPS))}; apps: ${Object.keys(APPS).join(', ')}`);
    }
  }
}

function checkChecks(c: SemanticInput, err: Err, warn: Warn): void {
  const nodes = new Set([...Object.keys(c.routers), ...Object.keys(c.hosts), ...Object.keys(c.servers)]);
  const firstByName = new Map<string, number>();
  const reflectors = Object.entries(c.servers)
    .filter(([, s]) => s.role === 'reflector')
    .map(([id]) => id);
  c.checks.forEach((k, i) => {
    if (!k) return;
    const name = k.name ?? `check ${i + 1}`;
    const first = firstByName.get(name);
    if (first !== undefined) {
      warn(
        ['checks', i, ...(k.name !== undefined ? ['name'] : [])],
        `another check (checks.${first}) is already named "${name}": "after: [${name}]" means the first one and explain --check runs both`,
      );
    }
    for (const side of ['from', 'to'] as const) {
      const v = k[side];
      // classify: "to" may name the primary reflector server
      if (side === 'to' && k.feature === 'classify' && c.servers[v]?.role === 'reflector') continue;
      if (!c.hosts[v] && missing(c, v)) {
        err(
          ['checks', i, side],
          `no host "${v}"${hintFor(v, Object.keys(c.hosts))}${nodes.has(v) ? ' (checks run between hosts, not routers or servers)' : ''}`,
        );
      }
    }
    if (k.from === k.to && c.hosts[k.from]) {
      warn(
        ['checks', i, 'to'],
        `"from" and "to" are the same host (${k.from}): a host calling itself crosses no router, so the check tests nothing`,
      );
    }
    const host = c.hosts[k.from];
    const app = host?.app ? APPS[host.app] : undefined;
    const feature = k.feature ?? (app ? app.defaultFeature : 'hole-punch');
    if (host && (host.app === undefined || app) && !PROBES[feature] && !app?.features[feature]) {
      const known = [...(app ? Object.keys(app.features) : []), ...Object.keys(PROBES)];
      err(
        ['checks', i, 'feature'],
        `unknown feature "${feature}"${app ? ` for ${app.id}` : ''}${hintFor(feature, known)}; known: ${known.join(', ')}`,
      );
    }
    if (feature === 'classify' && reflectors.length < 2) {
      warn(
        ['checks', i, 'feature'],
        `classify needs two reflector servers (a primary and an alternate address); this scenario has ${reflectors.length ? `only ${reflectors.join(', ')}` : 'none'}, so the check can only fail`,
      );
    }
    for (const a of k.after) {
      const j = firstByName.get(a);
      if (j === undefined && !(c.written?.checkNames.has(a) ?? false))
        err(['checks', i, 'after'], `"after" must name an earlier check; no earlier check "${a}"`);
    }
    if (first === undefined) firstByName.set(name, i);
  });
}

/** Who holds an address on one network segment. */
type Claims = Map<IPv4, string>;

/**
 * Every address once per segment (the Internet, or one router's LAN), in the order the model
 * adds nodes: routers parents first (WAN addresses on the parent side, then the LAN address),
 * then servers, then hosts.
 */
function checkAddresses(c: SemanticInput, err: Err): void {
  const segments = new Map<string, Claims>([[INTERNET, new Map()]]);
  const where = (seg: string): string => (seg === INTERNET ? 'on the Internet' : `on ${seg}'s LAN`);
  const claim = (seg: string, ip: IPv4, who: string, path: readonly PropertyKey[]): void => {
    const claims = segments.get(seg);
    if (!claims) return;
    const holder = claims.get(ip);
    if (holder !== undefined) err(path, `address ${formatIPv4(ip)} is already used by ${holder} ${where(seg)}`);
    else claims.set(ip, who);
  };
  for (const rid of routersParentsFirst(c)) {
    const r = c.routers[rid]!;
    const seg = r.parent ?? INTERNET;
    wans(r).forEach((w, k) => {
      claim(seg, parseIPv4(w), `router ${rid} (its WAN address)`, wanPath(rid, r, k));
    });
    const policy = natFromSpec(r.nat);
    if (policy?.mode === 'one-to-one') {
      const own = new Set(wans(r).map(parseIPv4));
      policy.oneToOne.forEach((p, k) => {
        const ip = parseIPv4(p.external);
        if (!own.has(ip)) claim(seg, ip, `router ${rid} (a one-to-one address)`, ['routers', rid, 'nat', 'oneToOne', k, 'external']);
        own.add(ip);
      });
    }
    const lan = parsePrefix(r.lan);
    const lanAddress = r.lanAddress !== undefined ? parseIPv4(r.lanAddress) : nthAddress(lan, 1);
    segments.set(
      rid,
      new Map([
        [
          lanAddress,
          `router ${rid} (its LAN address${r.lanAddress === undefined ? `, by default the first address of ${r.lan}; set lanAddress to move it` : ''})`,
        ],
      ]),
    );
  }
  for (const [kind, noun] of [
    ['servers', 'server'],
    ['hosts', 'host'],
  ] as const) {
    for (const [id, h] of Object.entries(c[kind])) {
      if (h.router !== undefined && !c.routers[h.router]) continue;
      for (const [path, a] of addressesOf(kind, id, h)) claim(h.router ?? INTERNET, parseIPv4(a), `${noun} ${id}`, path);
    }
  }
}

/** Routers whose parent chain reaches the Internet, parents first. */
function routersParentsFirst(c: SemanticInput): string[] {
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done' | 'broken'>();
  const visit = (id: string): boolean => {
    const s = state.get(id);
    if (s) return s === 'done';
    state.set(id, 'visiting');
    const parent = c.routers[id]!.parent;
    const ok = !parent || parent === INTERNET || (c.routers[parent] !== undefined && visit(parent));
    state.set(id, ok ? 'done' : 'broken');
    if (ok) out.push(id);
    return ok;
  };
  for (const id of Object.keys(c.routers)) visit(id);
  return out;
}

/** Why an address cannot be a host's on the Internet, if it cannot. */
function notPublic(ip: IPv4): string | undefined {
  const a = ip >>> 24;
  if (a >= 224 && a < 240) return 'a multicast address';
  if (a >= 240 || a === 0) return 'a reserved address';
  if (!isPrivateAddress(ip)) return undefined;
  if (a === 127) return 'a loopback address';
  if (a === 169) return 'a link-local address';
  if (a === 100) return 'in the carrier-NAT shared space 100.64.0.0/10';
  return 'a private (RFC 1918) address';
}

function special(ip: IPv4, lan: Prefix): string | undefined {
  if (lan.len > 30) return undefined;
  const mask = lan.len === 0 ? 0 : (~0 << (32 - lan.len)) >>> 0;
  const net = (lan.addr & mask) >>> 0;
  if (ip >>> 0 === net) return 'network';
  if (ip >>> 0 === (net | (~mask >>> 0)) >>> 0) return 'broadcast';
  return undefined;
}

function lintAddresses(c: SemanticInput, warn: Warn): void {
  const onInternet = (path: readonly PropertyKey[], who: string, address: string): void => {
    const why = notPublic(parseIPv4(address));
    const remedy = who.startsWith('router') ? `give ${who} a parent router` : `put ${who} behind a router`;
    if (why)
      warn(
        path,
        `${address} is ${why}, but ${who} is on the Internet, where such an address is not routed; use a public address (e.g. from 198.51.100.0/24) or ${remedy}`,
      );
  };
  const onLan = (path: readonly PropertyKey[], who: string, address: string, rid: string): void => {
    const r = c.routers[rid];
    if (!r) return;
    const what = special(parseIPv4(address), parsePrefix(r.lan));
    if (what)
      warn(path, `${address} is the ${what} address of ${rid}'s LAN ${r.lan}, which ${who} cannot use; choose an address between them`);
  };
  for (const [rid, r] of Object.entries(c.routers)) {
    wans(r).forEach((w, k) => {
      if (r.parent === undefined || r.parent === INTERNET) onInternet(wanPath(rid, r, k), `router ${rid}`, w);
      else onLan(wanPath(rid, r, k), `router ${rid}`, w, r.parent);
    });
    if (r.lanAddress !== undefined) onLan(['routers', rid, 'lanAddress'], `router ${rid}`, r.lanAddress, rid);
  }
  for (const [kind, noun] of [
    ['hosts', 'host'],
    ['servers', 'server'],
  ] as const) {
    for (const [id, h] of Object.entries(c[kind])) {
      for (const [path, a] of addressesOf(kind, id, h)) {
        if (h.router === undefined) onInternet(path, `${noun} ${id}`, a);
        else onLan(path, `${noun} ${id}`, a, h.router);
      }
    }
  }
}

/** A host's or server's addresses, each with its path: `address`, then `aliases[i]`. */
function addressesOf(
  kind: 'hosts' | 'servers',
  id: string,
  h: { address: string; aliases?: readonly string[] | undefined },
): Array<[readonly PropertyKey[], string]> {
  return [
    [[kind, id, 'address'], h.address],
    ...(h.aliases ?? []).map((a, i): [readonly PropertyKey[], string] => [[kind, id, 'aliases', i], a]),
  ];
}
