/** coturn's `turnserver` as a STUN-only server in a lab host (the tests' third-party STUN server). */
import type { ChildProcess } from 'node:child_process';
import type { LabHandle } from '../../src/lab/start-lab.js';

/**
 * Starts turnserver in `host`, listening on UDP 3478 and 3479 of each of `addresses` (two
 * addresses make it an RFC 5780 server), its pid file and user db in `dir`, its log on stdout.
 */
export function spawnTurnserver(lab: LabHandle, host: string, addresses: readonly string[], dir: string): ChildProcess {
  return lab.spawn(
    host,
    'turnserver',
    ['-n', '--stun-only', '--no-tls', '--no-dtls', '--no-cli', '--no-auth']
      .concat(addresses.map((a) => `--listening-ip=${a}`))
      .concat(['--listening-port=3478', '--alt-listening-port=3479', `--pidfile=${dir}/turnserver.pid`, `--userdb=${dir}/turndb`])
      .concat(['--log-file=stdout', '--simple-log']),
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
}
