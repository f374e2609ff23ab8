/**
 * A router's port-mapping policy as data: what the router lets any mapping protocol do,
 * independent of the wire format that asks. Router profiles (src/soap/profiles.ts) carry one;
 * the mapping service ({@link MappingService}) applies it.
 */
import type { PcpPolicy } from './pcp-policy.js';

/** Which requested lifetimes a router accepts. */
export type LeaseRule =
  /** Any lifetime (miniupnpd). */
  | 'any'
  /** Only permanent mappings (lifetime 0); others are refused `only-permanent-leases`. */
  | 'permanent-only'
  /** A non-zero lifetime is refused as a bad argument (`lease-refused`). */
  | 'nonzero-refused';

/** Who may delete a range of mappings (UPnP DeletePortMappingRange). */
export type RangeDeleteRule =
  /** The IGDv2 rule: `manage` false deletes only the requester's mappings, true every one. */
  | 'honour-manage'
  /** miniupnpd up to 2.3.x: the manage flag is ignored and every mapping in the range goes. */
  | 'ignore-manage';

/** The router half of a profile. */
export interface RouterPolicy {
  /** `disconnected`: the WAN always reads as down (no address, new mappings refused). */
  readonly wan: 'live' | 'disconnected';
  readonly leases: LeaseRule;
  readonly rangeDelete: RangeDeleteRule;
  /** Longest description kept; longer ones are cut on acceptance (miniupnpd keeps 63 bytes). */
  readonly maxDescription: number;
  /**
   * What a WAN address change does to the NAT-PMP/PCP epoch: `reset` (RFC 6886 §3.6, RFC 6887
   * §8.5; the default) or `keep` (servers that forget to).
   */
  readonly epochOnAddressChange?: 'reset' | 'keep';
  /**
   * What happens to dynamic port mappings when the WAN address changes: `keep` (miniupnpd: the
   * rules follow the interface's new address) or `drop` (routers that flush them). Default keep.
   */
  readonly onWanAddressChange?: 'keep' | 'drop';
  /** PCP's rules (versions, lifetimes, THIRD_PARTY, PEER); {@link DEFAULT_PCP_POLICY} when absent. */
  readonly pcp?: PcpPolicy;
  /**
   * Whether anything answers on the port-control port (UDP 5351): `served` (the default, where
   * the scenario offers NAT-PMP/PCP) or `absent` (a UPnP-only router: NAT-PMP and PCP datagrams
   * get no answer and the gateway binds nothing there).
   */
  readonly portControl?: 'served' | 'absent';
  /**
   * Bounds of NAT-PMP's granted lifetimes (a VPN gateway granting 60 s whatever is asked is
   * `{ min: 60, max: 60 }`); absent: the lifetime asked for, as miniupnpd.
   */
  readonly natpmpLifetime?: { readonly min: number; readonly max: number };
}

/** miniupnpd's description buffer holds 64 bytes including the NUL. */
export const MAX_DESCRIPTION = 63;

/**
 * The default policy: a live WAN, any lifetime, the IGDv2 range-delete rule (NewManage honoured),
 * descriptions cut to the 63 characters miniupnpd keeps.
 */
export const DEFAULT_ROUTER_POLICY: RouterPolicy = {
  wan: 'live',
  leases: 'any',
  rangeDelete: 'honour-manage',
  maxDescription: MAX_DESCRIPTION,
};
