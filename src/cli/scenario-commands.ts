/** `natsim run`, `explain`, `validate`, `presets`, `schema`: the scenario side of the CLI. */
import type { Command } from 'commander';
import { ScenarioError } from '../scenario/errors.js';
import { DEFAULT_SCENARIO, scenarioFiles } from './default-scenario.js';

export { DEFAULT_SCENARIO, scenarioFiles };

/** The scenario engine, loaded when a command needs it (keeps `natsim serve` start-up light). */
async function engine() {
  const [{ loadScenarioFile }, { runScenario }, explain] = await Promise.all([
    import('../scenario/loader.js'), import('../scenario/simulate.js'), import('../scenario/explain.js'),
  ]);
  return { loadScenarioFile, runScenario, ...explain };
}

function reportError(e: unknown): void {
  if (e instanceof ScenarioError) console.error(e.message);
  else console.error(`error: ${(e as Error).message}`);
}

export function registerScenarioCommands(program: Command): void {
  program
    .command('run')
    .description('play scenario files (or every scenario in a directory); exit 0 only if every expectation holds')
    .argument('[paths...]', 'scenario files or directories (default: the built-in default scenario)')
    .option('--json', 'one JSON object per scenario per line: { scenario, checks: [...], passed, failed }')
    .option('--trace', 'print every hop of the decisive packets')
    .action(async (paths: string[], opts: { json?: boolean; trace?: boolean }) => {
      const { loadScenarioFile, runScenario, summaryText, toJson } = await engine();
      let ok = true;
      let passed = 0;
      let failed = 0;
      let broken = 0;
      for (const file of await scenarioFiles(paths)) {
        let result;
        try {
          result = runScenario((await loadScenarioFile(file)).config, { file });
        } catch (e) {
          reportError(e);
          ok = false;
          broken++;
          continue;
        }
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
      if (!opts.json) console.log(`\n${passed} checks passed, ${failed} failed${broken ? `, ${broken} scenario file(s) could not be loaded` : ''}`);
      process.exitCode = ok ? 0 : 1;
    });

  program
    .command('explain')
    .description('narrate a scenario packet by packet: what each endpoint did and learnt, and where and why a flow failed')
    .argument('[file]', 'scenario file (default: the built-in default scenario)')
    .option('--check <name>', 'only this check')
    .option('--format <format>', 'text or mermaid', 'text')
    .action(async (file: string | undefined, opts: { check?: string; format: string }) => {
      if (opts.format !== 'text' && opts.format !== 'mermaid') {
        console.error(`error: --format must be text or mermaid, not "${opts.format}"`);
        process.exitCode = 2;
        return;
      }
      const { loadScenarioFile, runScenario, explainMermaid, explainText } = await engine();
      try {
        const path = file ?? DEFAULT_SCENARIO;
        const { config } = await loadScenarioFile(path);
        if (opts.check !== undefined && !config.checks.some((c, i) => (c.name ?? `check ${i + 1}`) === opts.check)) {
          console.error(`error: no check "${opts.check}" in ${path}; checks: ${config.checks.map((c, i) => c.name ?? `check ${i + 1}`).join(', ')}`);
          process.exitCode = 2;
          return;
        }
        const result = runScenario(config, { file: path, ...(opts.check !== undefined ? { only: opts.check } : {}) });
        const parts = result.checks.map((c) => (opts.format === 'mermaid' ? `%% ${c.name}\n${explainMermaid(c)}` : explainText(c)));
        console.log(parts.join(opts.format === 'mermaid' ? '\n\n' : '\n\n' + '-'.repeat(72) + '\n\n'));
        process.exitCode = result.failed ? 1 : 0;
      } catch (e) {
        reportError(e);
        process.exitCode = 1;
      }
    });

  program
    .command('validate')
    .description('check scenario files against the schema and their references')
    .argument('<paths...>', 'scenario files or directories')
    .action(async (paths: string[]) => {
      const { loadScenarioFile } = await engine();
      let ok = true;
      for (const file of await scenarioFiles(paths)) {
        try {
          await loadScenarioFile(file);
          console.log(`${file}: ok`);
        } catch (e) {
          reportError(e);
          ok = false;
        }
      }
      process.exitCode = ok ? 0 : 1;
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
