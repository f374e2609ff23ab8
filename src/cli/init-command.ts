/** `natsim init [FILE]`: write the commented starter scenario (never over an existing file without --force). */

import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError, EXIT, usageError } from './errors.js';

/** The file `natsim init` writes when none is named. */
export const INIT_DEFAULT_FILE = 'my-scenario.yaml';

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('write a commented starter scenario that validates and runs')
    .argument('[file]', 'where to write it', INIT_DEFAULT_FILE)
    .option('--force', 'overwrite the file if it exists')
    .action(async (file: string, opts: { force?: boolean }) => {
      const { STARTER_SCENARIO } = await import('../scenario/starter.js');
      try {
        await writeFile(file, STARTER_SCENARIO, { flag: opts.force ? 'w' : 'wx' });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw usageError(`${file} already exists; choose another name or add --force to overwrite it`);
        throw new CliError(`cannot write ${file}: ${(e as Error).message}`, EXIT.failed, 'NATSIM_INIT_WRITE');
      }
      console.log(`wrote ${file}: a starter scenario with three routers, four hosts, two reflectors and five checks`);
      console.log(`next: npx natsim validate ${file} && npx natsim run ${file}`);
    });
}
