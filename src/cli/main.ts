/** The natsim command line (commander). Exit codes: src/cli/errors.ts. */
import { Command } from 'commander';
import { registerDiscoverCommand } from './discover-command.js';
import { reportCliError } from './errors.js';
import { registerInitCommand } from './init-command.js';
import { registerLabCommand } from './lab-command.js';
import { registerLeaseCommands } from './lease-commands.js';
import { registerMatrixCommand } from './matrix-command.js';
import { exitQuietlyOnEpipe } from './safe-stdout.js';
import { registerScenarioCommands } from './scenario-commands.js';
import { registerServeCommand } from './serve-command.js';
import { registerStunCommand } from './stun-command.js';

exitQuietlyOnEpipe(process.stdout);
exitQuietlyOnEpipe(process.stderr);

const program = new Command();
program
  .name('natsim')
  .description('A simulated UPnP Internet Gateway Device and NAT emulator')
  .version('0.1.0')
  // Commander throws instead of exiting (inherited by every subcommand), so its usage errors get
  // natsim's exit code 2.
  .exitOverride()
  .showHelpAfterError('(run with --help for usage)');

registerScenarioCommands(program);
registerInitCommand(program);
registerServeCommand(program);
registerDiscoverCommand(program);
registerLeaseCommands(program);
registerMatrixCommand(program);
registerStunCommand(program);
registerLabCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.exitCode = reportCliError(e);
}
