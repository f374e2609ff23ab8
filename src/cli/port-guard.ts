/**
 * `natsim serve`'s port guard. The SSDP sockets bind with SO_REUSEADDR (the multicast socket
 * shares the port), so a second gateway on the same address and port binds without error and
 * silently takes the unicast answers from the first. Before binding, the guard asks the port
 * itself: a unicast M-SEARCH that any SSDP responder there answers at once.
 */
import { ssdpSearch } from '../ssdp/search.js';
import { environmentError } from './errors.js';

/** How long the guard waits for an answer (a unicast search is answered without MX delay). */
export const PORT_GUARD_WINDOW_MS = 400;

/** Rejects with an environment error (exit 3) when an SSDP responder already answers on `address:port`. */
export async function assertSsdpPortFree(address: string, port: number, windowMs = PORT_GUARD_WINDOW_MS): Promise<void> {
  if (port === 0) return; // an ephemeral port is never held by someone else
  let answers;
  try {
    answers = await ssdpSearch({ st: 'upnp:rootdevice', windowMs, unicast: { address, port } });
  } catch {
    return; // cannot even ask: binding will report the real problem
  }
  const first = answers[0];
  if (!first) return;
  const server = first.headers.get('server');
  const location = first.headers.get('location');
  throw environmentError(
    `SSDP port ${address}:${port} is already served by another gateway${location ? ` (${location}` : ''}${server ? `${location ? ', ' : ' ('}${server}` : ''}${location || server ? ')' : ''}, ` +
      'which would keep answering searches; stop it or choose another --ssdp-port',
  );
}
