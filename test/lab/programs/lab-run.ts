/**
 * For rootless tests: starts the lab of scenario file argv[2], prints `mode <root|rootless>`,
 * runs `sh -c argv[4]` in host argv[3], prints its output and `exit N`, and stops the lab.
 */
import { startLab } from '../../../src/lab/start-lab.js';

const [scenario, host, command] = process.argv.slice(2) as [string, string, string];
await using lab = await startLab({ scenario });
process.stdout.write(`mode ${lab.mode}\n`);
const r = await lab.exec(host, command, { timeoutMs: 30_000 });
process.stdout.write(`${r.output}exit ${r.code}\n`);
