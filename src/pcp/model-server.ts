/**
 * A router's port-control server (NAT-PMP and, where offered, PCP on UDP 5351) inside the model:
 * datagrams that travel the model to the router's LAN address are answered by the same pure
 * dispatcher the gateway's socket calls (./port-control.ts), from the source as it arrived (so a
 * home router's WAN address, when it asks its carrier).
 */
import { NATPMP_PORT } from '../constants.js';
import { formatIPv4 } from '../nat/address.js';
import type { Network } from '../nat/network.js';
import { answerPortControl } from './port-control.js';

/** Binds `routerId`'s UDP 5351 in `net`; `pcp`: the router offers PCP too. Returns the unbind function. */
export function bindPortControl(net: Network, routerId: string, pcp: boolean): () => void {
  const router = net.router(routerId);
  return net.bind(routerId, 'lan', 'udp', NATPMP_PORT, (datagram, from, now) => {
    const a = answerPortControl(datagram, { address: formatIPv4(from.ip), port: from.port }, router, now, pcp);
    return 'ignored' in a.outcome ? undefined : a.outcome.reply;
  });
}
