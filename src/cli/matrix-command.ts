/** `natsim matrix`: NAT types × NAT types, each cell a hole-punch scenario played as packets. */
import type { Command } from 'commander';
import { usageError } from './errors.js';

const FORMATS = ['text', 'markdown', 'json', 'html'] as const;
type Format = (typeof FORMATS)[number];

function format(text: string): Format {
  if (!(FORMATS as readonly string[]).includes(text)) throw usageError(`--format must be text, markdown, json or html, not "${text}"`);
  return text as Format;
}

/** The `--types` list, each name checked against the types the matrix plays. */
export function typesValue(text: string, known: readonly string[], option = '--types'): string[] {
  const names = text.split(',').map((s) => s.trim());
  for (const [i, name] of names.entries()) {
    if (!known.includes(name)) throw usageError(`${option}: unknown NAT type "${name}"; types: ${known.join(', ')}`);
    if (names.indexOf(name) !== i) throw usageError(`${option}: "${name}" is listed twice`);
  }
  return names;
}

export function registerMatrixCommand(program: Command): void {
  program
    .command('matrix')
    .description('UDP hole punching between every pair of NAT types, each cell played as packets; every failure names its drop')
    .option(
      '--types <list>',
      'comma-separated NAT presets for rows and columns (default: open,full-cone,restricted-cone,port-restricted-cone,symmetric)',
    )
    .option('--cgnat', 'put both routers behind one carrier NAT (preset cgnat)')
    .option('--format <format>', 'text, markdown, json or html (one self-contained page)', format, 'text' as Format)
    .action(async (opts: { types?: string; cgnat?: boolean; format: Format }) => {
      const [{ CLASSIC_TYPES, MATRIX_TYPES, playMatrix }, out, html] = await Promise.all([
        import('../scenario/matrix.js'),
        import('../scenario/matrix-format.js'),
        opts.format === 'html' ? import('../report/matrix-section.js') : undefined,
      ]);
      const rows = opts.types === undefined ? CLASSIC_TYPES : (typesValue(opts.types, MATRIX_TYPES) as typeof CLASSIC_TYPES);
      const m = playMatrix({ rows, cgnat: opts.cgnat === true });
      const render = html
        ? html.matrixHtml
        : { text: out.matrixText, markdown: out.matrixMarkdown, json: out.matrixJson }[opts.format as Exclude<Format, 'html'>];
      console.log(render(m));
    });
}
