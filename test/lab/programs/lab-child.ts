/**
 * A natsim process for the no-leftovers test: starts the lab of the scenario file argv[2], prints
 * one JSON line (every host's holder PID), then waits to be killed.
 */
import { startLab } from '../../../src/lab/start-lab.js';

const lab = await startLab({ scenario: process.argv[2]! });
const bob = lab.spawn(lab.hosts[lab.hosts.length - 1]!, 'sleep', ['600'], { stdio: 'ignore' });
process.stdout.write(`${JSON.stringify({ pids: lab.hosts.map((h) => lab.pid(h)), spawned: bob.pid })}\n`);
setInterval(() => {}, 60_000);
