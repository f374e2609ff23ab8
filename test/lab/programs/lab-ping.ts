/**
 * For the rootless test: starts the lab of scenario file argv[2], prints `mode <root|rootless>`,
 * runs `ping -c 2 argv[4]` in host argv[3], prints its output and stops the lab.
 */
import { startLab } from '../../../src/lab/start-lab.js';

const [scenario, host, target] = process.argv.slice(2) as [string, string, string];
await using lab = await startLab({ scenario });
process.stdout.write(`mode ${lab.mode}\n`);
const r = await lab.exec(host, ['ping', '-c', '2', '-i', '0.2', '-W', '2', target]);
process.stdout.write(r.output);
