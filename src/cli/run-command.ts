/** `natsim run`: play scenario files; exit 0 only if every expectation holds. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ReportEntry } from '../report/index.js';
import { ScenarioError } from '../scenario/errors.js';
import { scenarioFiles } from './default-scenario.js';
import { EXIT, environmentError, usageError } from './errors.js';
import { typesValue } from './matrix-command.js';
import { checkNames, engine, report } from './scenario-engine.js';
import { maxScenarioBytesOption } from './scenario-limits.js';

/** `--matrix` alone: the classic five types; `--matrix a,b`: those. */
type MatrixOption = true | string;

/** The matrix section of the report (the types checked first, so a typo fails before any scenario plays). */
async function matrixAppendix(types: MatrixOption): Promise<() => string> {
  const [{ CLASSIC_TYPES, playMatrix }, { matrixSection }] = await Promise.all([
    import('../scenario/matrix.js'),
    import('../report/matrix-section.js'),
  ]);
  const rows = types === true ? CLASSIC_TYPES : await typesValue(types, '--matrix');
  return () => matrixSection(playMatrix({ rows }));
}

function errorText(e: unknown): string {
  return e instanceof ScenarioError ? e.message : `error: ${(e as Error).message}`;
}

/** Writes the HTML report of the played scenarios to `file`. */
async function writeReport(file: string, entries: ReportEntry[], problems: string[], matrix?: () => string): Promise<void> {
  const appendix = matrix?.();
  const html = (await report()).htmlReport(entries, { problems, ...(appendix ? { appendix } : {}) });
  try {
    writeFileSync(file, `${html}\n`);
  } catch (e) {
    throw environmentError(`cannot write the report to ${file}: ${(e as Error).message}`);
  }
}

export function registerRunCommand(program: Command): void {
  maxScenarioBytesOption(
    program
      .command('run')
      .description('play scenario files (or every scenario in a directory); exit 0 only if every expectation holds')
      .argument('[paths...]', 'scenario files or directories (default: the built-in default scenario)')
      .option('--check <name>', 'only the check of this name (in every file that has one)')
      .option('--json', 'one JSON object per scenario per line: { scenario, checks: [...], passed, failed }')
      .option('--trace', 'print every hop of the decisive packets')
      .option(
        '--report <file>',
        'also write one self-contained HTML report of every scenario played (network, verdicts, a sequence diagram per check)',
      )
      .option(
        '--matrix [types]',
        'with --report: add the NAT matrix (comma-separated presets, NAME+upnp with UPnP; default the five classic types)',
      ),
  ).action(
    async (
      paths: string[],
      opts: { check?: string; json?: boolean; trace?: boolean; report?: string; matrix?: MatrixOption; maxScenarioBytes: number },
    ) => {
      if (opts.matrix !== undefined && opts.report === undefined)
        throw usageError('--matrix adds the NAT matrix to the report: give --report FILE too');
      const matrix = opts.matrix === undefined ? undefined : await matrixAppendix(opts.matrix);
      const { loadScenarioFile, runScenario, summaryText, toJson } = await engine();
      let ok = true;
      let passed = 0;
      let failed = 0;
      let broken = 0;
      const files = await scenarioFiles(paths);
      const without: string[] = [];
      const entries: ReportEntry[] = [];
      const problems: string[] = [];
      for (const file of files) {
        let result;
        let config;
        try {
          ({ config } = await loadScenarioFile(file, { maxBytes: opts.maxScenarioBytes }));
          if (opts.check !== undefined && !checkNames(config).includes(opts.check)) {
            without.push(`${file} (checks: ${checkNames(config).join(', ') || 'none'})`);
            continue;
          }
          result = runScenario(config, { file, ...(opts.check !== undefined ? { only: opts.check } : {}) });
        } catch (e) {
          console.error(errorText(e));
          problems.push(errorText(e));
          ok = false;
          broken++;
          continue;
        }
        entries.push({ config, result });
        passed += result.passed;
        failed += result.failed;
        if (result.failed > 0) ok = false;
        if (opts.json) {
          console.log(JSON.stringify(toJson(result)));
          continue;
        }
        console.log(summaryText(result));
        if (opts.trace) {
          for (const c of result.checks) {
            console.log(`  -- ${c.name}`);
            for (const h of c.hops) console.log(`     ${h.action === 'drop' ? '✗' : '·'} ${h.message}`);
          }
        }
      }
      if (opts.check !== undefined && broken === 0 && without.length === files.length) {
        throw usageError(
          files.length === 1
            ? `no check "${opts.check}" in ${without[0]}`
            : `no check "${opts.check}" in any of the ${files.length} scenario files`,
        );
      }
      if (opts.report !== undefined) await writeReport(opts.report, entries, problems, matrix);
      if (!opts.json)
        console.log(`\n${passed} checks passed, ${failed} failed${broken ? `, ${broken} scenario file(s) could not be loaded` : ''}`);
      if (opts.report !== undefined && !opts.json) console.log(`report written to ${opts.report}`);
      process.exitCode = ok ? EXIT.ok : EXIT.failed;
    },
  );
}
