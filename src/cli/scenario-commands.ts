/** `natsim validate`, `presets`, `schema` (and registration of `run` and `explain`): the scenario side of the CLI. */
import type { Command } from 'commander';
import { engine } from './scenario-engine.js';
import { ScenarioError } from '../scenario/errors.js';
import { DEFAULT_SCENARIO, scenarioFiles } from './default-scenario.js';
import { registerExplainCommand } from './explain-command.js';
import { registerRunCommand } from './run-command.js';

export { DEFAULT_SCENARIO, scenarioFiles };

function reportError(e: unknown): void {
  if (e instanceof ScenarioError) console.error(e.message);
  else console.error(`error: ${(e as Error).message}`);
}

export function registerScenarioCommands(program: Command): void {
  registerRunCommand(program);
  registerExplainCommand(program);

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
