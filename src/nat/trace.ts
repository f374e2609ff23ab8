/**
 * Packet traces: what each hop did to a packet, with a stable reason code and a sentence.
 * Codes are a public contract (tests, `--json` output and explanations key on them).
 */
import type { ForwardOrigin } from './forward-table.js';
import type { Packet } from './packet.js';

/** What a hop did. */
export type HopAction = 'forward' | 'translate' | 'hairpin' | 'deliver' | 'drop';

/** Stable reason codes. */
export const REASONS = {
  // passing
  routed: 'forwarded without translation',
  'not-translated': 'forwarded untranslated: the destination is excluded from translation (RFC 6888 REQ-6)',
  'same-lan': 'delivered on the same LAN without crossing a router',
  'new-mapping': 'outbound packet created a new mapping',
  mapped: 'translated by an existing mapping',
  'port-forward': 'translated by a port forward',
  'one-to-one': 'translated by a 1:1 NAT entry',
  hairpin: 'hairpinned back into the LAN',
  delivered: 'delivered to the destination host',
  'to-router': 'delivered to the router itself',
  'alg-rewrite': 'an ALG rewrote the payload',
  // dropping
  'no-mapping': 'no mapping or forward for the destination port',
  filtered: 'a mapping exists but its filtering does not admit this sender',
  'forward-remote-mismatch': 'a port forward exists but only for another remote host',
  'pcp-filter': 'a PCP mapping exists but its FILTER options do not admit this remote peer',
  'hairpin-disabled': 'the NAT does not hairpin',
  'firewall-rule': 'a firewall rule denied the packet',
  'firewall-default': 'the firewall default policy denied the packet',
  'port-quota': 'the internal host has used its port quota',
  'port-blocks-full': 'the internal host has used every port of its port blocks',
  'ports-exhausted': 'no external port is free',
  'no-one-to-one': 'no 1:1 NAT entry for this address',
  'wan-down': 'the WAN connection is down',
  'no-route': 'no route to the destination address',
  'no-host': 'no host has the destination address',
  'ttl-exceeded': 'routing loop',
  'spoofed-source': "the source address is not the sending host's",
  'icmp-no-mapping': 'an ICMP error quotes a packet that no mapping or forward of this router carried (RFC 5508)',
} as const;

export type ReasonCode = keyof typeof REASONS;

/** One hop of a packet's journey. */
export interface Hop {
  /** Router id, host id or `internet`. */
  readonly node: string;
  readonly action: HopAction;
  readonly code: ReasonCode;
  /** The packet as the hop received it. */
  readonly before: Packet;
  /** The packet as the hop sent it on (translations); absent for drops and deliveries. */
  readonly after?: Packet;
  /** A plain-English sentence, e.g. "dropped at isp-nat: no mapping for 100.64.0.1:40000 …". */
  readonly message: string;
  /** What let the packet into the router's LAN (inbound hops that passed, when tracing). */
  readonly admission?: Admission;
}

/**
 * What admitted an inbound packet at a router: how its destination was found (`by`) and, when the
 * router has a firewall, what the firewall decided. Explanations of successes read it.
 */
export interface Admission {
  /**
   * `mapping`: a NAT mapping (made by an inside host's own outbound packets); `forward`: a port
   * forward or pinhole ({@link origin}); `one-to-one`: a 1:1 entry; `excluded`: a destination
   * excluded from translation; `routed`: no translation.
   */
  readonly by: 'mapping' | 'forward' | 'one-to-one' | 'excluded' | 'routed';
  /** The forward's origin (by `forward`). */
  readonly origin?: ForwardOrigin;
  /** The forward's description, as its owner gave it (by `forward`). */
  readonly description?: string;
  /** The forward's internal client, dotted quad (by `forward`): the host, or the router below that asked for it. */
  readonly internal?: string;
  /** The firewall's verdict: a rule allowed it, it is a reply to a tracked outbound flow, or the default policy allows. */
  readonly firewall?: 'rule' | 'state' | 'default';
  /** The allowing rule, as one line (firewall `rule`). */
  readonly rule?: string;
}
