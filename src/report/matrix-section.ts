/**
 * The NAT matrix as HTML: a grid of cells (a word and a symbol in each, not only a colour), the
 * decisive drop of every cell that is not direct under the grid, for the report and for
 * `natsim matrix --format html`.
 */

import type { MatrixCell, MatrixResult } from '../scenario/matrix.js';
import { cellLabel, matrixLegend } from '../scenario/matrix-format.js';
import { htmlDocument } from './document.js';
import { escapeText } from './escape.js';

const SYMBOL: Readonly<Record<MatrixCell['outcome'], string>> = { direct: '✓', relayed: '↻', fails: '✗' };

function cell(c: MatrixCell): string {
  const title = c.drop ? ` title="${escapeText(c.drop.why)}"` : '';
  return `<td class="cell ${c.outcome}" data-row="${escapeText(c.row)}" data-column="${escapeText(c.column)}"${title}>${SYMBOL[c.outcome]} ${escapeText(cellLabel(c))}</td>`;
}

/** The matrix as an HTML `<section>` (every text escaped). */
export function matrixSection(m: MatrixResult, headingLevel: 1 | 2 = 2): string {
  const at = (r: string, col: string): MatrixCell => m.cells.find((c) => c.row === r && c.column === col)!;
  const h = `h${headingLevel}`;
  const drops = m.cells.filter((c) => c.drop);
  return [
    '<section class="matrix" id="matrix">',
    `<${h}>The NAT matrix${m.cgnat ? ' behind a carrier NAT' : ''}</${h}>`,
    `<p>${escapeText(matrixLegend(m))}</p>`,
    '<table class="matrix-grid">',
    `<thead><tr><th>row \\ column</th>${m.columns.map((c) => `<th>${escapeText(c)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...m.rows.map((r) => `<tr><th>${escapeText(r)}</th>${m.columns.map((col) => cell(at(r, col))).join('')}</tr>`),
    '</tbody></table>',
    ...(drops.length
      ? [
          '<h3>Where and why the other cells are not direct</h3>',
          '<ul class="matrix-drops">',
          ...drops.map(
            (c) =>
              `<li><strong>${escapeText(`${c.row} × ${c.column}`)}</strong>: ${escapeText(`${c.outcome} at ${c.drop!.router} (${c.drop!.reason})`)} — ${escapeText(c.drop!.why)}</li>`,
          ),
          '</ul>',
        ]
      : []),
    '</section>',
  ].join('\n');
}

/** `natsim matrix --format html`: the matrix alone as a self-contained HTML document. */
export function matrixHtml(m: MatrixResult): string {
  return htmlDocument('natsim matrix', matrixSection(m, 1));
}
