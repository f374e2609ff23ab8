/** The NAT matrix written out: a text grid, a markdown table, or JSON (src/scenario/matrix.ts plays it). */
import { MATRIX_ROUTERS, type MatrixCell, type MatrixResult, UPNP_SUFFIX } from './matrix.js';

/** A cell's short label: `direct`, or `fails at ROUTER (CODE)`. */
export function cellLabel(cell: MatrixCell): string {
  return cell.drop ? `${cell.outcome} at ${cell.drop.router} (${cell.drop.reason})` : cell.outcome;
}

function cellAt(m: MatrixResult, row: string, column: string): MatrixCell {
  return m.cells.find((c) => c.row === row && c.column === column)!;
}

/** What the grid shows, in one sentence. */
export function matrixLegend(m: MatrixResult): string {
  const { row, column, carrier } = MATRIX_ROUTERS;
  const behind = m.cgnat ? `, both behind one carrier NAT (${carrier}, preset cgnat)` : '';
  const sides = m.scenario
    ? ` Rows and columns are the routers of ${m.scenario}: each one's own NAT, firewall and UPnP, straight on the Internet (its parents, forwards and hosts are not copied).`
    : [...m.rows, ...m.columns].some((t) => t.endsWith(UPNP_SUFFIX))
      ? ` NAME${UPNP_SUFFIX}: that router offers UPnP, and its peer maps its port there before punching.`
      : '';
  return `UDP hole punching (probe hole-punch), played as packets: the row's peer behind ${row}, the column's peer behind ${column}${behind}.${sides}`;
}

/** One line per cell that is not direct: where and why it failed. */
function dropLines(m: MatrixResult, bullet: string): string[] {
  return m.cells
    .filter((c) => c.drop)
    .map((c) => `${bullet}${c.row} × ${c.column}: ${c.outcome} at ${c.drop!.router} (${c.drop!.reason}): ${c.drop!.why}`);
}

/** The matrix as an aligned text grid, then the drops. */
export function matrixText(m: MatrixResult): string {
  const header = ['row \\ column', ...m.columns];
  const lines = [header, ...m.rows.map((r) => [r, ...m.columns.map((c) => cellLabel(cellAt(m, r, c)))])];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const grid = lines.map((l) =>
    l
      .map((t, i) => t.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  const drops = dropLines(m, '  ');
  return [matrixLegend(m), '', ...grid, ...(drops.length ? ['', 'Not direct:', ...drops] : [])].join('\n');
}

/** The matrix as a markdown table (columns padded, as formatters write tables), then the drops as a list. */
export function matrixMarkdown(m: MatrixResult): string {
  const header = ['row \\ column', ...m.columns.map((c) => `**${c}**`)];
  const body = m.rows.map((r) => [`**${r}**`, ...m.columns.map((c) => cellLabel(cellAt(m, r, c)))]);
  const widths = header.map((_, i) => Math.max(3, ...[header, ...body].map((l) => l[i]!.length)));
  const row = (cells: string[]): string => `| ${cells.map((t, i) => t.padEnd(widths[i]!)).join(' | ')} |`;
  const table = [row(header), row(widths.map((w) => '-'.repeat(w))), ...body.map(row)];
  const drops = dropLines(m, '- ');
  return [matrixLegend(m), '', ...table, ...(drops.length ? ['', ...drops] : [])].join('\n');
}

/** The matrix as JSON: `{ rows, columns, cgnat, cells: [{ row, column, outcome, drop?: { router, reason, why } }], scenario? }`. */
export function matrixJson(m: MatrixResult): string {
  return JSON.stringify(m, null, 2);
}
