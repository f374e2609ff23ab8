/**
 * The NAT-pair matrix: for every pair of NAT types, one scenario built in code — a peer behind a
 * router of the row's type, a peer behind a router of the column's type (both routers behind one
 * carrier NAT with `cgnat`), a rendezvous server and a reflector on the Internet — whose one
 * `hole-punch` check is played as packets by the scenario engine. A cell that is not direct names
 * the hop that dropped the decisive packet. A row or column is a preset (`symmetric`), a preset
 * whose router offers UPnP (`symmetric+upnp`), or a router of a scenario (its own NAT, firewall
 * and UPnP, see {@link scenarioSides}).
 */
import { type NatPresetName, natPolicy } from '../nat/policy.js';
import { type ScenarioConfig, scenarioSchema } from './schema.js';
import { type CheckResult, runScenario } from './simulate.js';

/** The NAT presets a matrix can compare (every preset that needs no per-host data). */
export const MATRIX_TYPES = ['open', 'full-cone', 'restricted-cone', 'port-restricted-cone', 'symmetric', 'cgnat'] as const;
export type MatrixType = (typeof MATRIX_TYPES)[number] & NatPresetName;

/** The classic five (RFC 4787's vocabulary, as STUN's RFC 3489 named them): the default rows and columns. */
export const CLASSIC_TYPES: readonly MatrixType[] = ['open', 'full-cone', 'restricted-cone', 'port-restricted-cone', 'symmetric'];

/** The suffix that gives a preset's router UPnP: `symmetric+upnp`. */
export const UPNP_SUFFIX = '+upnp';

/** What a cell came to: the peers reached each other directly, or the punch failed. */
export type MatrixOutcome = 'direct' | 'relayed' | 'fails';

/** The hop that decided a cell that is not direct. */
export interface MatrixDrop {
  /** The router (or node) that dropped the decisive packet. */
  readonly router: string;
  /** The model's reason code (src/nat/trace.ts REASONS). */
  readonly reason: string;
  /** One sentence: the hop's own explanation. */
  readonly why: string;
}

/** One cell: the row's peer punches towards the column's peer. */
export interface MatrixCell {
  readonly row: string;
  readonly column: string;
  readonly outcome: MatrixOutcome;
  readonly drop?: MatrixDrop;
}

/** A played matrix (the JSON output of `natsim matrix`, a stable shape). */
export interface MatrixResult {
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  readonly cgnat: boolean;
  readonly cells: readonly MatrixCell[];
  /** The scenario file the rows and columns are routers of (absent: presets). */
  readonly scenario?: string;
}

/**
 * One row or column: its name and the router it stands for — a NAT spec as a scenario writes it
 * (a preset name, `none`, or a policy object), whether the router offers UPnP, its firewall.
 */
export interface MatrixSide {
  readonly name: string;
  readonly nat: ScenarioConfig['routers'][string]['nat'];
  readonly upnp: boolean;
  readonly firewall?: ScenarioConfig['routers'][string]['firewall'];
}

/** Options of {@link playMatrix}. */
export interface MatrixOptions {
  /** Rows: preset names (`symmetric`, `symmetric+upnp`) or sides (default {@link CLASSIC_TYPES}). */
  readonly rows?: ReadonlyArray<string | MatrixSide>;
  /** Columns (default: the rows). */
  readonly columns?: ReadonlyArray<string | MatrixSide>;
  /** Put both routers behind one carrier NAT (the `cgnat` preset). */
  readonly cgnat?: boolean;
  /** Shown in the legend: the file the sides came from. */
  readonly scenario?: string;
}

/** Router ids of a cell's scenario (they appear in drops). */
export const MATRIX_ROUTERS = { row: 'router-a', column: 'router-b', carrier: 'carrier' } as const;

/** Whether `name` is a preset {@link playMatrix} accepts, with or without {@link UPNP_SUFFIX}. */
export function isMatrixType(name: string): boolean {
  const base = name.endsWith(UPNP_SUFFIX) ? name.slice(0, -UPNP_SUFFIX.length) : name;
  return (MATRIX_TYPES as readonly string[]).includes(base);
}

/** Every name {@link isMatrixType} accepts: each preset, then each with UPnP. */
export const MATRIX_TYPE_NAMES: readonly string[] = [...MATRIX_TYPES, ...MATRIX_TYPES.map((t) => `${t}${UPNP_SUFFIX}`)];

/** The side a preset name stands for (`symmetric+upnp`: the preset, its router offering UPnP). */
export function presetSide(name: string): MatrixSide {
  if (!isMatrixType(name)) throw new RangeError(`not a matrix type: "${name}"; types: ${MATRIX_TYPE_NAMES.join(', ')}`);
  const upnp = name.endsWith(UPNP_SUFFIX);
  return { name, nat: (upnp ? name.slice(0, -UPNP_SUFFIX.length) : name) as MatrixType, upnp };
}

/**
 * The routers of a scenario as matrix sides, in file order (or those of `ids`, in that order):
 * each router's own NAT, firewall and UPnP, placed straight on the Internet in the cell — its
 * parents, forwards and hosts are not copied. A 1:1 NAT, which needs its hosts' addresses, is
 * refused, as is an unknown id.
 */
export function scenarioSides(config: ScenarioConfig, ids?: readonly string[]): MatrixSide[] {
  const known = Object.keys(config.routers);
  const pick = ids ?? known;
  if (pick.length === 0) throw new RangeError('the scenario has no routers to compare');
  return pick.map((id) => {
    const r = config.routers[id];
    if (!r) throw new RangeError(`no router "${id}" in the scenario; routers: ${known.join(', ')}`);
    if (r.nat !== 'none' && natPolicyOf(r.nat).mode === 'one-to-one')
      throw new RangeError(`router "${id}" is a 1:1 NAT, which needs its hosts' addresses: it cannot be a matrix side`);
    return { name: id, nat: r.nat, upnp: r.services.upnp, ...(r.firewall ? { firewall: r.firewall } : {}) };
  });
}

/** The policy a scenario NAT spec (not `none`) stands for: its preset, whatever it overrides. */
function natPolicyOf(nat: Exclude<MatrixSide['nat'], 'none'>): { mode: string } {
  return natPolicy(typeof nat === 'string' ? nat : (nat.preset ?? 'port-restricted-cone'));
}

/** Whether a side's router translates (else its LAN must be routable). */
function translates(side: MatrixSide): boolean {
  return side.nat !== 'none' && natPolicyOf(side.nat).mode !== 'none';
}

/** A side's router at `wan` serving LAN number `n`; a router without NAT gets a routable LAN. */
function router(side: MatrixSide, wan: string, n: number, parent?: string): Record<string, unknown> {
  const lan = translates(side) ? `10.${n}.0.0/24` : `198.18.${n}.0/24`;
  return {
    wan,
    lan,
    nat: side.nat,
    ...(side.upnp ? { services: { upnp: true } } : {}),
    ...(side.firewall ? { firewall: side.firewall } : {}),
    ...(parent ? { parent } : {}),
  };
}

const sideOf = (s: string | MatrixSide): MatrixSide => (typeof s === 'string' ? presetSide(s) : s);

/** The scenario of one cell: the row's peer (peer-a) punches a hole to the column's peer (peer-b). */
export function matrixCellScenario(row: string | MatrixSide, column: string | MatrixSide, cgnat = false): ScenarioConfig {
  const a = sideOf(row);
  const b = sideOf(column);
  const { row: ra, column: rb, carrier } = MATRIX_ROUTERS;
  const routers: Record<string, unknown> = cgnat
    ? {
        [carrier]: { wan: '203.0.113.1', lan: '100.64.0.0/10', nat: 'cgnat' },
        [ra]: router(a, '100.64.0.10', 1, carrier),
        [rb]: router(b, '100.64.0.20', 2, carrier),
      }
    : { [ra]: router(a, '203.0.113.10', 1), [rb]: router(b, '203.0.113.20', 2) };
  const lanHost = (side: MatrixSide, n: number): string => (translates(side) ? `10.${n}.0.2` : `198.18.${n}.2`);
  return scenarioSchema.parse({
    name: `NAT matrix: ${a.name} × ${b.name}${cgnat ? ' behind a carrier NAT' : ''}`,
    routers,
    hosts: {
      'peer-a': { router: ra, address: lanHost(a, 1) },
      'peer-b': { router: rb, address: lanHost(b, 2) },
    },
    servers: {
      rendezvous: { address: '198.51.100.5', role: 'signalling' },
      reflector: { address: '198.51.100.6', role: 'reflector' },
    },
    checks: [{ name: `${a.name} × ${b.name}`, from: 'peer-a', to: 'peer-b', feature: 'hole-punch', expect: 'works' }],
  });
}

/** The cell a played check stands for. */
function cellOf(row: string, column: string, check: CheckResult): MatrixCell {
  const outcome: MatrixOutcome = check.result === 'works' ? 'direct' : check.result;
  if (outcome === 'direct') return { row, column, outcome };
  const hop = check.hops.findLast((h) => h.action === 'drop');
  const drop: MatrixDrop = hop
    ? { router: hop.node, reason: hop.code, why: hop.message }
    : { router: check.failedAt ?? 'unknown', reason: 'unknown', why: check.reason };
  return { row, column, outcome, drop };
}

/** Plays one cell through the scenario engine. */
export function playMatrixCell(row: string | MatrixSide, column: string | MatrixSide, cgnat = false): MatrixCell {
  const result = runScenario(matrixCellScenario(row, column, cgnat));
  return cellOf(sideOf(row).name, sideOf(column).name, result.checks[0]!);
}

/** Plays every row × column cell, rows outer. */
export function playMatrix(options: MatrixOptions = {}): MatrixResult {
  const rows = (options.rows ?? CLASSIC_TYPES).map(sideOf);
  const columns = options.columns ? options.columns.map(sideOf) : rows;
  const cgnat = options.cgnat ?? false;
  const cells = rows.flatMap((r) => columns.map((c) => playMatrixCell(r, c, cgnat)));
  return {
    rows: rows.map((s) => s.name),
    columns: columns.map((s) => s.name),
    cgnat,
    cells,
    ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
  };
}
