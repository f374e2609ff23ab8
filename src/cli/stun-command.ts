/** `natsim stun`: the built-in STUN server (src/stun/) on real sockets, until SIGINT/SIGTERM. */
import type { Command } from 'commander';
import { STUN_PORT } from '../constants.js';
import { formatEndpoint } from '../nat/address.js';
import { usageError } from './errors.js';

interface StunOptions {
  listen: string;
  alternate?: string;
  software: string;
  verbose?: boolean;
}

export function registerStunCommand(program: Command): void {
  program
    .command('stun')
    .description('serve STUN (RFC 5389 Binding; with --alternate, RFC 5780 CHANGE-REQUEST, OTHER-ADDRESS, RESPONSE-ORIGIN)')
    .option('--listen <ip:port>', 'primary IPv4 address and UDP port', `127.0.0.1:${STUN_PORT}`)
    .option('--alternate <ip:port>', 'alternate address and port, both different from the primary ones (binds four sockets)')
    .option('--software <text>', 'SOFTWARE attribute of every reply (empty: none)', 'natsim')
    .option('--verbose', 'log every datagram and how it was answered, on stderr')
    .action(async (opts: StunOptions) => {
      const { startStunServer } = await import('../stun/server.js');
      let server;
      try {
        server = await startStunServer({
          primary: opts.listen,
          ...(opts.alternate !== undefined && { alternate: opts.alternate }),
          software: opts.software,
          ...(opts.verbose && {
            onEvent: (e) => {
              if (e.type === 'error') console.error(`natsim: ${e.where}: ${e.error.message}`);
              else {
                const o = e.outcome;
                const what =
                  o.kind === 'success'
                    ? `success from ${formatEndpoint(o.reply.from)} to ${formatEndpoint(o.reply.to)}`
                    : o.kind === 'error'
                      ? `error ${o.code} (${o.reason})`
                      : `ignored: ${o.reason} (${o.detail})`;
                console.error(`natsim: ${e.from} → ${e.local}: ${what}`);
              }
            },
          }),
        });
      } catch (e) {
        if (e instanceof TypeError)
          throw usageError(e.message.replace(/^(primary|alternate)\b/, (m) => (m === 'primary' ? '--listen' : '--alternate')));
        throw e;
      }
      console.log(
        `natsim: STUN on ${server.primary}${server.alternate ? ` (alternate ${server.alternate}; sockets ${server.endpoints.join(', ')})` : ''}; Ctrl-C to stop`,
      );
      let stopping = false;
      const shutdown = (): void => {
        if (stopping) return;
        stopping = true;
        void server.stop().then(() => process.exit(0));
      };
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
    });
}
