/**
 * The NAT-pair matrix: for every pair of NAT types, one scenario built in code — a peer behind a
 * router of the row's type, a peer behind a router of the column's type (both routers behind one
 * carrier NAT with `cgnat`), a rendezvous server and a reflector on the Internet — whose one
 * `hole-punch` check is played as packets by the scenario engine. A cell that is not direct names
 * the hop that dropped the decisive packet.
 */
import type { NatPresetName } from '../nat/policy.js';
import { type ScenarioConfig, scenarioSchema } from './schema.js';
import { type CheckResult, runScenario } from './simulate.js';

/** The NAT types a matrix can compare (every preset that needs no per-host data). */
export const MATRIX_TYPES = ['open', 'full-cone', 'restricted-cone', 'port-restricted-cone', 'symmetric', 'cgnat'] as const;
export type MatrixType = (typeof MATRIX_TYPES)[number] & NatPresetName;

/** The classic five (RFC 4787's vocabulary, as STUN's RFC 3489 named them): the default rows and columns. */
export const CLASSIC_TYPES: readonly MatrixType[] = ['open', 'full-cone', 'restricted-cone', 'port-restricted-cone', 'symmetric'];

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
  readonly row: MatrixType;
  readonly column: MatrixType;
  readonly outcome: MatrixOutcome;
  readonly drop?: MatrixDrop;
}

/** A played matrix (the JSON output of `natsim matrix`, a stable shape). */
export interface MatrixResult {
  readonly rows: readonly MatrixType[];
  readonly columns: readonly MatrixType[];
  readonly cgnat: boolean;
  readonly cells: readonly MatrixCell[];
}

/** Options of {@link playMatrix}. */
export interface MatrixOptions {
  /** Row types (default {@link CLASSIC_TYPES}). */
  readonly rows?: readonly MatrixType[];
  /** Column types (default: the rows). */
  readonly columns?: readonly MatrixType[];
  /** Put both routers behind one carrier NAT (the `cgnat` preset). */
  readonly cgnat?: boolean;
}

/** Router ids of a cell's scenario (they appear in drops). */
export const MATRIX_ROUTERS = { row: 'router-a', column: 'router-b', carrier: 'carrier' } as const;

/** Whether `name` is a type {@link playMatrix} accepts. */
export function isMatrixType(name: string): name is MatrixType {
  return (MATRIX_TYPES as readonly string[]).includes(name);
}

/** A router of `type` at `wan` serving LAN number `n`; a router without NAT gets a routable LAN. */
function router(type: MatrixType, wan: string, n: number, parent?: string): Record<string, unknown> {
  const lan = type === 'open' ? `198.18.${n}.0/24` : `10.${n}.0.0/24`;
  return { wan, lan, nat: type, ...(parent ? { parent } : {}) };
}

/** The scenario of one cell: the row's peer (peer-a) punches a hole to the column's peer (peer-b). */
export function matrixCellScenario(row: MatrixType, column: MatrixType, cgnat = false): ScenarioConfig {
  const { row: ra, column: rb, carrier } = MATRIX_ROUTERS;
  const routers: Record<string, unknown> = cgnat
    ? {
        [carrier]: { wan: '203.0.113.1', lan: '100.64.0.0/10', nat: 'cgnat' },
        [ra]: router(row, '100.64.0.10', 1, carrier),
        [rb]: router(column, '100.64.0.20', 2, carrier),
      }
    : { [ra]: router(row, '203.0.113.10', 1), [rb]: router(column, '203.0.113.20', 2) };
  const lanHost = (type: MatrixType, n: number): string => (type === 'open' ? `198.18.${n}.2` : `10.${n}.0.2`);
  return scenarioSchema.parse({
    name: `NAT matrix: ${row} × ${column}${cgnat ? ' behind a carrier NAT' : ''}`,
    routers,
    hosts: {
      'peer-a': { router: ra, address: lanHost(row, 1) },
      'peer-b': { router: rb, address: lanHost(column, 2) },
    },
    servers: {
      rendezvous: { address: '198.51.100.5', role: 'signalling' },
      reflector: { address: '198.51.100.6', role: 'reflector' },
    },
    checks: [{ name: `${row} × ${column}`, from: 'peer-a', to: 'peer-b', feature: 'hole-punch', expect: 'works' }],
  });
}

/** The cell a played check stands for. */
function cellOf(row: MatrixType, column: MatrixType, check: CheckResult): MatrixCell {
  const outcome: MatrixOutcome = check.result === 'works' ? 'direct' : check.result;
  if (outcome === 'direct') return { row, column, outcome };
  const hop = check.hops.findLast((h) => h.action === 'drop');
  const drop: MatrixDrop = hop
    ? { router: hop.node, reason: hop.code, why: hop.message }
    : { router: check.failedAt ?? 'unknown', reason: 'unknown', why: check.reason };
  return { row, column, outcome, drop };
}

/** Plays one cell through the scenario engine. */
export function playMatrixCell(row: MatrixType, column: MatrixType, cgnat = false): MatrixCell {
  const result = runScenario(matrixCellScenario(row, column, cgnat));
  return cellOf(row, column, result.checks[0]!);
}

/** Plays every row × column cell, rows outer. */
export function playMatrix(options: MatrixOptions = {}): MatrixResult {
  const rows = options.rows ?? CLASSIC_TYPES;
  const columns = options.columns ?? rows;
  const cgnat = options.cgnat ?? false;
  const cells = rows.flatMap((r) => columns.map((c) => playMatrixCell(r, c, cgnat)));
  return { rows, columns, cgnat, cells };
}
