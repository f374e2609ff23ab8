/**
 * What a relaying router did upstream while a client asked it for a mapping (RFC 6970's IGD-PCP
 * interworking function, RFC 7648's PCP proxy): read off the model's events — the PCP datagrams
 * it exchanged with its parent and the mappings the parent made — so the simulation tells it
 * without looking inside the router.
 */
import { formatEndpoint } from '../nat/address.js';
import type { MappingEvent, PacketEvent } from '../nat/events.js';
import type { Network } from '../nat/network.js';
import { UPSTREAM_CLIENT_PORT } from '../nat/upstream-pcp.js';
import { describePcpDatagram } from '../pcp/describe.js';
import type { Step } from './simulate.js';

/**
 * Runs `fn` and returns its value and the steps of what router `rid` did upstream meanwhile: each
 * PCP datagram to or from it (a packet step) and each mapping another router made over PCP — for
 * a client's mapping (`mapping`), or for the external-address question (`address`).
 */
export function withUpstreamSteps<T>(
  net: Network,
  rid: string,
  fn: () => T,
  kind: 'mapping' | 'address' = 'mapping',
): { value: T; steps: Step[]; mapped: number } {
  const steps: Step[] = [];
  let mapped = 0;
  // Datagrams between routers' own sockets: the relay's requests and the answers (any layer up).
  const packet = (e: PacketEvent): void => {
    if (!e.from.startsWith('router:') || !(e.to ?? e.hop.node).startsWith('router:')) return;
    const sender = e.from.slice('router:'.length);
    const asking = e.hop.node !== sender && e.to === `router:${e.hop.node}` && e.packet.dst.port !== UPSTREAM_CLIENT_PORT;
    const d = { delivered: e.type === 'packet-delivered', packet: e.packet, hops: [e.hop], routers: 0, ...(e.to ? { to: e.to } : {}) };
    const said = e.packet.data ? describePcpDatagram(e.packet.data) : undefined;
    const what = asking ? `${sender}'s PCP ${said ?? 'request'}` : `${sender}'s PCP answer${said ? ` (${said})` : ''}`;
    const outcome = d.delivered ? `delivered to ${e.to}` : `dropped at ${e.hop.node} (${e.reason})`;
    steps.push({
      actor: sender,
      from: sender,
      text: `${what}: ${formatEndpoint(e.packet.src)} → ${formatEndpoint(e.packet.dst)} — ${outcome}`,
      delivery: { ...d, ...(d.delivered ? {} : { drop: e.hop }) },
    });
  };
  const made = (e: MappingEvent): void => {
    if (e.router === rid || e.origin !== 'pcp') return;
    mapped++;
    const m = e.mapping;
    const lease = m.leaseSeconds > 0 ? ` for ${m.leaseSeconds} s` : '';
    const outside = net.router(e.router).wanAddress;
    const what = `${m.protocol.toUpperCase()} ${outside}:${m.externalPort} → ${m.internalClient}:${m.internalPort}${lease}`;
    // The router that asked: the one whose WAN address made the request.
    const by = net.routers.find((r) => r.parentId === e.router && r.wanAddress === m.owner)?.id ?? rid;
    steps.push({
      actor: e.router,
      text:
        kind === 'address'
          ? `${e.router} maps ${what} for ${by}'s short MAP, the question for the external address`
          : `${e.router} maps ${what} for ${by}: ${by} made the mapping upstream too, over PCP`,
    });
  };
  const offs = [
    net.events.on('packet-delivered', packet),
    net.events.on('packet-dropped', packet),
    net.events.on('mapping-created', made),
    net.events.on('mapping-refreshed', made),
  ];
  let value: T;
  try {
    value = fn();
  } finally {
    for (const off of offs) off();
  }
  return { value, steps, mapped };
}
