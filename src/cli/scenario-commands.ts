/** `natsim validate`, `presets`, `schema` (and registration of `run` and `explain`): the scenario side of the CLI. */
import type { Command } from 'commander';
import { formatIssue, isError } from '../scenario/errors.js';
import { DEFAULT_SCENARIO, scenarioFiles } from './default-scenario.js';
import { EXIT } from './errors.js';
import { registerExplainCommand } from './explain-command.js';
import { registerRunCommand } from './run-command.js';
import { maxScenarioBytesOption } from './scenario-limits.js';

export { DEFAULT_SCENARIO, scenarioFiles };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function registerScenarioCommands(program: Command): void {
  registerRunCommand(program);
  registerExplainCommand(program);

  maxScenarioBytesOption(
    program
      .command('validate')
      .description('check scenario files: YAML, schema, every check `run` makes, and lints; each problem at file:line:col')
      .argument('<paths...>', 'scenario files or directories')
      .option('--strict', 'fail on warnings (lints) too'),
  ).action(async (paths: string[], opts: { strict?: boolean; maxScenarioBytes: number }) => {
    const { checkScenarioFile, MAX_LISTED_ISSUES } = await import('../scenario/loader.js');
    let ok = true;
    for (const file of await scenarioFiles(paths)) {
      const { issues } = await checkScenarioFile(file, { maxBytes: opts.maxScenarioBytes });
      for (const i of issues.slice(0, MAX_LISTED_ISSUES)) console.error(formatIssue(i));
      if (issues.length > MAX_LISTED_ISSUES) console.error(`${file}: … and ${issues.length - MAX_LISTED_ISSUES} more problems`);
      const errors = issues.filter(isError).length;
      const warnings = issues.length - errors;
      const counts = [errors ? plural(errors, 'error') : '', warnings ? plural(warnings, 'warning') : ''].filter(Boolean).join(', ');
      if (errors > 0 || (opts.strict && warnings > 0)) {
        ok = false;
        if (errors === 0) console.error(`${file}: ${counts} (--strict)`);
      } else {
        console.log(`${file}: ok${warnings ? ` (${counts})` : ''}`);
      }
    }
    process.exitCode = ok ? EXIT.ok : EXIT.failed;
  });

  program
    .command('presets')
    .description('list NAT presets, application profiles and probes')
    .action(async () => {
      const [{ NAT_PRESETS }, { APPS, PROBES }] = await Promise.all([import('../nat/policy.js'), import('../scenario/apps.js')]);
      console.log('NAT presets:');
      for (const p of Object.values(NAT_PRESETS)) console.log(`  ${p.name.padEnd(22)} ${p.description}`);
      console.log('\nApplication profiles (hosts: app: ID; checks: feature: …):');
      for (const a of Object.values(APPS)) {
        console.log(`  ${a.id.padEnd(22)} ${a.name}: ${a.description}`);
        console.log(`  ${''.padEnd(22)} features: ${Object.keys(a.features).join(', ')} (default ${a.defaultFeature})`);
      }
      console.log('\nProbes (checks: feature: ID):');
      for (const p of Object.values(PROBES)) console.log(`  ${p.id.padEnd(22)} ${p.description}`);
    });

  program
    .command('schema')
    .description('print the JSON Schema of scenario files')
    .action(async () => {
      const { scenarioJsonSchema } = await import('../scenario/schema.js');
      console.log(JSON.stringify(scenarioJsonSchema(), null, 2));
    });
}
