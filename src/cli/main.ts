/** The natsim command line (commander). */
import { Command } from 'commander';
import { NAT_PRESETS } from '../nat/policy.js';

const program = new Command();
program.name('natsim').description('A simulated UPnP Internet Gateway Device and NAT emulator').version('0.1.0');

program
  .command('presets')
  .description('list NAT presets with one-line descriptions')
  .action(() => {
    for (const p of Object.values(NAT_PRESETS)) console.log(`${p.name.padEnd(22)} ${p.description}`);
  });

await program.parseAsync(process.argv);
