/** The natsim command line (commander). */
import { Command } from 'commander';
import { registerGatewayCommands } from './gateway-commands.js';
import { registerScenarioCommands } from './scenario-commands.js';

const program = new Command();
program
  .name('natsim')
  .description('A simulated UPnP Internet Gateway Device and NAT emulator')
  .version('0.1.0');

registerScenarioCommands(program);
registerGatewayCommands(program);

await program.parseAsync(process.argv);
