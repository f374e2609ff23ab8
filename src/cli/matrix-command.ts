/** `natsim matrix`: NAT types × NAT types, each cell a hole-punch scenario played as packets. */
import type { Command } from 'commander';
import { usageError } from './errors.js';

const FORMATS = ['text', 'markdown', 'json'] as const;
type Format = (typeof FORMATS)[number];

function format(text: string): Format {
  if (!(FORMATS as readonly string[]).includes(text)) throw usageError(`--format must be text, markdown or json, not "${text}"`);
  return text as Format;
}

/** The `--types` list, each name checked against the types the matrix plays. */
export function typesValue(text: string, known: readonly string[]): string[] {
  const names = text.split(',').map((s) => s.trim());
  for (const [i, name] of names.entries()) {
    if (!known.includes(name)) throw usageError(`--types: unknown NAT type "${name}"; types: ${known.join(', ')}`);
    if (names.indexOf(name) !== i) throw usageError(`--types: "${name}" is listed twice`);
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
    .option('--format <format>', 'text, markdown or json', format, 'text' as Format)
    .action(async (opts: { types?: string; cgnat?: boolean; format: Format }) => {
      const [{ CLASSIC_TYPES, MATRIX_TYPES, playMatrix }, out] = await Promise.all([
        import('../scenario/matrix.js'),
        import('../scenario/matrix-format.js'),
      ]);
      const rows = opts.types === undefined ? CLASSIC_TYPES : (typesValue(opts.types, MATRIX_TYPES) as typeof CLASSIC_TYPES);
      const m = playMatrix({ rows, cgnat: opts.cgnat === true });
      console.log({ text: out.matrixText, markdown: out.matrixMarkdown, json: out.matrixJson }[opts.format](m));
    });
}
