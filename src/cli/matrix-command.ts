/** `natsim matrix`: NAT types × NAT types, each cell a hole-punch scenario played as packets. */
import type { Command } from 'commander';
import { usageError } from './errors.js';
import { maxScenarioBytesOption } from './scenario-limits.js';

const FORMATS = ['text', 'markdown', 'json', 'html'] as const;
type Format = (typeof FORMATS)[number];

function format(text: string): Format {
  if (!(FORMATS as readonly string[]).includes(text)) throw usageError(`--format must be text, markdown, json or html, not "${text}"`);
  return text as Format;
}

/**
 * A comma-separated list of names, each accepted by `known` (else a usage error with `listing`,
 * the names to offer), none twice.
 */
export function namesValue(text: string, known: (name: string) => boolean, listing: string, option: string, what: string): string[] {
  const names = text.split(',').map((s) => s.trim());
  for (const [i, name] of names.entries()) {
    if (!known(name)) throw usageError(`${option}: unknown ${what} "${name}"; ${listing}`);
    if (names.indexOf(name) !== i) throw usageError(`${option}: "${name}" is listed twice`);
  }
  return names;
}

/** The `--types` list: presets, each optionally `+upnp`. */
export async function typesValue(text: string, option = '--types'): Promise<string[]> {
  const { isMatrixType, MATRIX_TYPES, UPNP_SUFFIX } = await import('../scenario/matrix.js');
  return namesValue(text, isMatrixType, `types: ${MATRIX_TYPES.join(', ')} (each also as NAME${UPNP_SUFFIX})`, option, 'NAT type');
}

interface MatrixOpts {
  types?: string;
  upnp?: boolean;
  cgnat?: boolean;
  scenario?: string;
  format: Format;
  maxScenarioBytes: number;
}

/** The rows (and columns) asked for: presets, or the routers of `--scenario`. */
async function sidesOf(opts: MatrixOpts): Promise<{ rows: Array<string | import('../scenario/matrix.js').MatrixSide>; scenario?: string }> {
  const m = await import('../scenario/matrix.js');
  if (opts.scenario === undefined) {
    const names = opts.types === undefined ? [...m.CLASSIC_TYPES] : await typesValue(opts.types);
    const rows = opts.upnp ? names.map((n) => (n.endsWith(m.UPNP_SUFFIX) ? n : `${n}${m.UPNP_SUFFIX}`)) : names;
    if (new Set(rows).size !== rows.length) throw usageError('--types with --upnp: a type is listed twice once UPnP is added');
    return { rows };
  }
  const { loadScenarioFile } = await import('../scenario/loader.js');
  const { config } = await loadScenarioFile(opts.scenario, { maxBytes: opts.maxScenarioBytes });
  const ids = Object.keys(config.routers);
  const pick =
    opts.types === undefined
      ? undefined
      : namesValue(opts.types, (n) => ids.includes(n), `routers: ${ids.join(', ')}`, '--types', 'router');
  let sides: ReturnType<typeof m.scenarioSides>;
  try {
    sides = m.scenarioSides(config, pick);
  } catch (e) {
    throw usageError(`--scenario ${opts.scenario}: ${(e as Error).message}`);
  }
  return { rows: opts.upnp ? sides.map((s) => ({ ...s, upnp: true })) : sides, scenario: opts.scenario };
}

export function registerMatrixCommand(program: Command): void {
  maxScenarioBytesOption(
    program
      .command('matrix')
      .description('UDP hole punching between every pair of NAT types, each cell played as packets; every failure names its drop')
      .option(
        '--types <list>',
        'comma-separated NAT presets for rows and columns, NAME+upnp for a router offering UPnP (default: open,full-cone,restricted-cone,port-restricted-cone,symmetric); with --scenario, router ids',
      )
      .option('--upnp', 'every router offers UPnP (each peer maps its port before punching)')
      .option('--scenario <file>', "rows and columns are this scenario's routers: each one's own NAT, firewall and UPnP")
      .option('--cgnat', 'put both routers behind one carrier NAT (preset cgnat)')
      .option('--format <format>', 'text, markdown, json or html (one self-contained page)', format, 'text' as Format),
  ).action(async (opts: MatrixOpts) => {
    const { rows, scenario } = await sidesOf(opts);
    const [{ playMatrix }, out, html] = await Promise.all([
      import('../scenario/matrix.js'),
      import('../scenario/matrix-format.js'),
      opts.format === 'html' ? import('../report/matrix-section.js') : undefined,
    ]);
    const m = playMatrix({ rows, cgnat: opts.cgnat === true, ...(scenario !== undefined ? { scenario } : {}) });
    const render = html
      ? html.matrixHtml
      : { text: out.matrixText, markdown: out.matrixMarkdown, json: out.matrixJson }[opts.format as Exclude<Format, 'html'>];
    console.log(render(m));
  });
}
