/** `natsim run`: play scenario files; exit 0 only if every expectation holds. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ReportEntry } from '../report/index.js';
import { ScenarioError } from '../scenario/errors.js';
import { scenarioFiles } from './default-scenario.js';
import { EXIT, environmentError, usageError } from './errors.js';
import { checkNames, engine, report } from './scenario-engine.js';
import { maxScenarioBytesOption } from './scenario-limits.js';

function errorText(e: unknown): string {
  return e instanceof ScenarioError ? e.message : `error: ${(e as Error).message}`;
}

/** Writes the HTML report of the played scenarios to `file`. */
async function writeReport(file: string, entries: ReportEntry[], problems: string[]): Promise<void> {
  const html = (await report()).htmlReport(entries, { problems });
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
      ),
  ).action(
    async (paths: string[], opts: { check?: string; json?: boolean; trace?: boolean; report?: string; maxScenarioBytes: number }) => {
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
      if (opts.report !== undefined) await writeReport(opts.report, entries, problems);
      if (!opts.json)
        console.log(`\n${passed} checks passed, ${failed} failed${broken ? `, ${broken} scenario file(s) could not be loaded` : ''}`);
      if (opts.report !== undefined && !opts.json) console.log(`report written to ${opts.report}`);
      process.exitCode = ok ? EXIT.ok : EXIT.failed;
    },
  );
}
