/**
 * `natsim matrix` played as packets, checked against RFC 4787 theory. The expectations below are
 * derived from each preset's RFC 4787 behaviours written out here (not read from natsim, not
 * pasted from its output): UDP hole punching between ICE-like peers (each answers the source a
 * packet really came from) fails only when one side maps per destination (address-and-port-
 * dependent mapping: its packets to the peer leave from a port the peer never saw) and the other
 * side filters per address and port (it admits only the exact endpoints it sent to).
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/loader.js';
import {
  CLASSIC_TYPES,
  MATRIX_ROUTERS,
  type MatrixType,
  matrixCellScenario,
  playMatrix,
  playMatrixCell,
  presetSide,
  scenarioSides,
} from '../../src/scenario/matrix.js';
import { matrixJson, matrixMarkdown, matrixText } from '../../src/scenario/matrix-format.js';
import { runScenario } from '../../src/scenario/simulate.js';

type Behaviour = 'none' | 'EI' | 'AD' | 'APD';
/** RFC 4787 mapping (§4.1) and filtering (§5) of each type; `open` translates nothing and filters nothing. */
const THEORY: Record<MatrixType, { mapping: Behaviour; filtering: Behaviour }> = {
  open: { mapping: 'none', filtering: 'none' },
  'full-cone': { mapping: 'EI', filtering: 'EI' },
  'restricted-cone': { mapping: 'EI', filtering: 'AD' },
  'port-restricted-cone': { mapping: 'EI', filtering: 'APD' },
  symmetric: { mapping: 'APD', filtering: 'APD' },
  cgnat: { mapping: 'EI', filtering: 'EI' },
};

/** Direct unless one side maps per destination and the other filters per address and port. */
function expected(a: MatrixType, b: MatrixType): 'direct' | 'fails' {
  const blocks = (x: MatrixType, y: MatrixType) => THEORY[x].mapping === 'APD' && THEORY[y].filtering === 'APD';
  return blocks(a, b) || blocks(b, a) ? 'fails' : 'direct';
}

describe('the NAT matrix of the classic five types', () => {
  const m = playMatrix();

  it('has the classic five as rows and columns, one cell per pair, rows outer', () => {
    expect(m.rows).toEqual(['open', 'full-cone', 'restricted-cone', 'port-restricted-cone', 'symmetric']);
    expect(m.columns).toEqual(m.rows);
    expect(m.cells.map((c) => `${c.row}/${c.column}`)).toEqual(CLASSIC_TYPES.flatMap((r) => CLASSIC_TYPES.map((c) => `${r}/${c}`)));
  });

  it.each(CLASSIC_TYPES.flatMap((r) => CLASSIC_TYPES.map((c) => [r, c] as const)))('%s × %s follows RFC 4787', (row, column) => {
    const cell = m.cells.find((c) => c.row === row && c.column === column)!;
    expect(cell.outcome).toBe(expected(row, column));
    expect(cell.drop === undefined).toBe(cell.outcome === 'direct');
  });

  it('fails exactly where theory says: port-restricted × symmetric, symmetric × port-restricted, symmetric × symmetric', () => {
    expect(m.cells.filter((c) => c.outcome !== 'direct').map((c) => `${c.row} × ${c.column}`)).toEqual([
      'port-restricted-cone × symmetric',
      'symmetric × port-restricted-cone',
      'symmetric × symmetric',
    ]);
  });

  it('symmetric × port-restricted fails at the port-restricted router, by its address-and-port-dependent filtering', () => {
    const cell = m.cells.find((c) => c.row === 'symmetric' && c.column === 'port-restricted-cone')!;
    // The symmetric side's packet to the peer leaves from a new port, which the port-restricted router never sent to.
    expect(cell.drop).toMatchObject({ router: MATRIX_ROUTERS.column, reason: 'filtered' });
    expect(cell.drop!.why).toContain('address-and-port-dependent filtering');
    expect(cell.drop!.why).toMatch(/^dropped at router-b: /);
  });

  it('port-restricted × symmetric fails at the symmetric router: its mapping towards the reflector admits only the reflector', () => {
    const cell = m.cells.find((c) => c.row === 'port-restricted-cone' && c.column === 'symmetric')!;
    expect(cell.drop).toMatchObject({ router: MATRIX_ROUTERS.column, reason: 'filtered' });
    expect(cell.drop!.why).toContain('198.51.100.6:3478');
  });

  it('full-cone × symmetric and restricted × symmetric work: the cone admits the new port (or any port of that address)', () => {
    expect(playMatrixCell('full-cone', 'symmetric').outcome).toBe('direct');
    expect(playMatrixCell('symmetric', 'restricted-cone').outcome).toBe('direct');
  });

  it('is the same every run (the scenario seed decides every random port)', () => {
    expect(playMatrix()).toEqual(m);
  });
});

describe('behind one carrier NAT (--cgnat)', () => {
  const types: MatrixType[] = [...CLASSIC_TYPES, 'cgnat'];
  const m = playMatrix({ rows: types, cgnat: true });

  it('gives the outcomes of the theory: an EIM/EIF carrier NAT that hairpins changes no cell of the 6 × 6 grid', () => {
    for (const c of m.cells) expect(c.outcome, `${c.row} × ${c.column}`).toBe(expected(c.row as MatrixType, c.column as MatrixType));
    expect(m.cells).toHaveLength(36);
  });

  it("hairpins at the carrier NAT: the dropped packet comes from the carrier's external address", () => {
    const cell = m.cells.find((c) => c.row === 'symmetric' && c.column === 'symmetric')!;
    expect(cell.drop).toMatchObject({ router: MATRIX_ROUTERS.column, reason: 'filtered' });
    expect(cell.drop!.why).toContain('not endpoint 203.0.113.1:');
  });

  it('builds each cell with both routers under the carrier', () => {
    const s = matrixCellScenario('symmetric', 'open', true);
    expect(s.routers[MATRIX_ROUTERS.carrier]!.nat).toBe('cgnat');
    expect(s.routers[MATRIX_ROUTERS.row]).toMatchObject({ parent: 'carrier', nat: 'symmetric' });
    expect(s.routers[MATRIX_ROUTERS.column]).toMatchObject({ parent: 'carrier', nat: 'open' });
  });
});

describe('the cell scenarios are played, not looked up', () => {
  it("a failing cell's scenario, played by the engine, drops a packet that crossed both routers", () => {
    const s = matrixCellScenario('symmetric', 'port-restricted-cone');
    expect(s.checks).toEqual([expect.objectContaining({ from: 'peer-a', to: 'peer-b', feature: 'hole-punch' })]);
    const check = runScenario(s).checks[0]!;
    expect(check.result).toBe('fails');
    expect(check.hops.map((h) => [h.node, h.action])).toEqual([
      [MATRIX_ROUTERS.row, 'translate'],
      [MATRIX_ROUTERS.column, 'drop'],
    ]);
  });

  it('the same scenario with endpoint-independent filtering at router-b works: the verdict follows the model', () => {
    const s = matrixCellScenario('symmetric', 'port-restricted-cone');
    const rb = s.routers[MATRIX_ROUTERS.column]!;
    const changed = {
      ...s,
      routers: {
        ...s.routers,
        [MATRIX_ROUTERS.column]: { ...rb, nat: { preset: 'port-restricted-cone' as const, filtering: 'endpoint-independent' as const } },
      },
    };
    expect(runScenario(changed).checks[0]!.result).toBe('works');
  });
});

describe('with UPnP (NAME+upnp)', () => {
  it('the router offers UPnP and the peer advertises its mapping: symmetric+upnp punches through a port-restricted cone', () => {
    expect(presetSide('symmetric+upnp')).toEqual({ name: 'symmetric+upnp', nat: 'symmetric', upnp: true });
    expect(matrixCellScenario('port-restricted-cone', 'symmetric+upnp').routers[MATRIX_ROUTERS.column]!.services.upnp).toBe(true);
    expect(playMatrixCell('port-restricted-cone', 'symmetric').outcome).toBe('fails');
    const m = playMatrix({ rows: ['port-restricted-cone', 'symmetric+upnp'] });
    expect(m.rows).toEqual(['port-restricted-cone', 'symmetric+upnp']);
    expect(m.cells.every((c) => c.outcome === 'direct')).toBe(true);
    const played = runScenario(matrixCellScenario('port-restricted-cone', 'symmetric+upnp')).checks[0]!;
    expect(played.reason).toContain("peer-b's mapping from UPnP on router-b let the peer in");
  });

  it('behind the carrier NAT, UPnP reports a shared address, which the peer ignores: the cell is as without UPnP', () => {
    expect(playMatrixCell('port-restricted-cone', 'symmetric+upnp', true).outcome).toBe('fails');
  });

  it('an unknown type is refused with the list', () => {
    expect(() => presetSide('moderate+upnp')).toThrow(/not a matrix type: "moderate\+upnp"; types: open, .*, cgnat\+upnp$/);
  });
});

describe("a scenario's routers as rows and columns", () => {
  const config = parseScenario(
    `name: mine
routers:
  home: { wan: 203.0.113.5, lan: 192.168.1.0/24, nat: { preset: port-restricted-cone, hairpinning: false } }
  office: { wan: 203.0.113.6, lan: 10.9.0.0/24, nat: symmetric, services: { upnp: true } }
  corp: { wan: 203.0.113.7, lan: 198.18.7.0/24, nat: none, firewall: { inbound: deny } }
  dmz: { wan: [203.0.113.8, 203.0.113.9], lan: 192.168.9.0/24, nat: { preset: one-to-one, oneToOne: [{ internal: 192.168.9.10, external: 203.0.113.9 }] } }
hosts: {}
checks: []
`,
    'mine.yaml',
  );

  it("each router's own NAT, UPnP and firewall, in file order or as picked", () => {
    const sides = scenarioSides(config, ['home', 'office', 'corp']);
    expect(sides.map((x) => [x.name, x.upnp])).toEqual([
      ['home', false],
      ['office', true],
      ['corp', false],
    ]);
    expect(sides[2]!.firewall).toMatchObject({ inbound: 'deny' });
    const m = playMatrix({ rows: sides, scenario: 'mine.yaml' });
    const at = (r: string, c: string) => m.cells.find((x) => x.row === r && x.column === c)!;
    // The office's symmetric NAT with UPnP: its mapping admits the home peer.
    expect(at('home', 'office').outcome).toBe('direct');
    // The corporate firewall denies unsolicited inbound but admits what its host sent to: punching works.
    expect(at('corp', 'home').outcome).toBe('direct');
    expect(matrixText(m).split('\n')[0]).toContain("Rows and columns are the routers of mine.yaml: each one's own NAT, firewall and UPnP");
    expect(JSON.parse(matrixJson(m)).scenario).toBe('mine.yaml');
  });

  it("the router's firewall is copied: with UDP denied out, the complete peer falls back to its TCP pair; with TCP denied too, the cell fails at it", () => {
    const fw = (rules: string) =>
      parseScenario(
        `name: strict
routers:
  fw: { wan: 203.0.113.5, lan: 198.18.5.0/24, nat: none, firewall: { inbound: deny, outbound: allow, rules: [${rules}] } }
  home: { wan: 203.0.113.6, lan: 192.168.1.0/24, nat: full-cone }
hosts: {}
checks: []
`,
        'strict.yaml',
      );
    const [noUdp] = scenarioSides(fw('{ action: deny, direction: out, protocol: udp, name: no UDP out }'), ['fw']);
    const tcp = runScenario(matrixCellScenario(noUdp!, 'full-cone')).checks[0]!;
    expect(tcp.result).toBe('works');
    expect(tcp.reason).toMatch(/^selected the TCP pair \(simultaneous open/);
    expect(tcp.reason).toContain('the firewall of router-a denied outbound UDP');
    const [none] = scenarioSides(
      fw(
        '{ action: allow, direction: out, protocol: tcp, ports: 443 }, { action: deny, direction: out, protocol: any, name: nothing else }',
      ),
      ['fw'],
    );
    const cell = playMatrixCell(none!, 'full-cone');
    expect(cell.outcome).toBe('fails');
    expect(cell.drop).toMatchObject({ router: MATRIX_ROUTERS.row, reason: 'firewall-rule' });
    expect(cell.drop!.why).toContain('(rule: nothing else)');
  });

  it('a 1:1 NAT and an unknown id are refused', () => {
    expect(() => scenarioSides(config)).toThrow('router "dmz" is a 1:1 NAT, which needs its hosts\' addresses: it cannot be a matrix side');
    expect(() => scenarioSides(config, ['home', 'nope'])).toThrow('no router "nope" in the scenario; routers: home, office, corp, dmz');
  });
});

describe('formats', () => {
  const m = playMatrix({ rows: ['full-cone', 'symmetric'] });

  it('text: an aligned grid, then one line per cell that is not direct', () => {
    const lines = matrixText(m).split('\n');
    expect(lines[2]).toBe('row \\ column  full-cone  symmetric');
    expect(lines[3]).toBe('full-cone     direct     direct');
    expect(lines[4]).toBe('symmetric     direct     fails at router-b (filtered)');
    expect(lines[6]).toBe('Not direct:');
    expect(lines[7]).toMatch(/^ {2}symmetric × symmetric: fails at router-b \(filtered\): dropped at router-b: /);
    expect(lines).toHaveLength(8);
  });

  it('markdown: a padded table, then a list of the drops', () => {
    const lines = matrixMarkdown(m).split('\n');
    expect(lines.slice(2, 6)).toEqual([
      '| row \\ column  | **full-cone** | **symmetric**                |',
      '| ------------- | ------------- | ---------------------------- |',
      '| **full-cone** | direct        | direct                       |',
      '| **symmetric** | direct        | fails at router-b (filtered) |',
    ]);
    expect(lines[7]).toMatch(/^- symmetric × symmetric: fails at router-b \(filtered\): /);
  });

  it('json: { rows, columns, cgnat, cells: [{ row, column, outcome, drop?: { router, reason, why } }] }', () => {
    const j = JSON.parse(matrixJson(m));
    expect(Object.keys(j)).toEqual(['rows', 'columns', 'cgnat', 'cells']);
    expect(j.cells[0]).toEqual({ row: 'full-cone', column: 'full-cone', outcome: 'direct' });
    expect(Object.keys(j.cells[3])).toEqual(['row', 'column', 'outcome', 'drop']);
    expect(Object.keys(j.cells[3].drop)).toEqual(['router', 'reason', 'why']);
  });
});
