/**
 * The PCP half of a router's port-mapping policy (RFC 6887): which versions it speaks, how it
 * bounds lifetimes, how long its error answers last, whether it maps for third parties and serves
 * PEER. Policy, not wire format: the mapping service and the PCP front end both read it.
 */

/** What a THIRD_PARTY option gets. */
export type ThirdPartyRule =
  /** The option is not implemented: UNSUPP_OPTION (miniupnpd without `pcp_allow_thirdparty`). */
  | 'unsupported'
  /** Implemented, not allowed for this client: NOT_AUTHORIZED. */
  | 'refused'
  /** Mapped for the named host, secure mode notwithstanding (a home router asking a carrier NAT). */
  | 'allowed';

export interface PcpPolicy {
  /** Versions spoken (2 = RFC 6887, 1 = the draft). Empty: PCP is not served (NAT-PMP answers instead). */
  readonly versions: readonly number[];
  /** Shortest and longest lifetime granted; 0 (delete) is kept (miniupnpd: 120 and 86400). */
  readonly minLifetime: number;
  readonly maxLifetime: number;
  /** Lifetimes of error answers: long-lifetime errors and short-lifetime ones (RFC 6887 §7.4). */
  readonly errorLifetimes: { readonly long: number; readonly short: number };
  readonly thirdParty: ThirdPartyRule;
  /** Serve the PEER opcode (miniupnpd needs a build flag); false → UNSUPP_OPCODE. */
  readonly peer: boolean;
  /** Most FILTER options one MAP may carry; more → EXCESSIVE_REMOTE_PEERS. */
  readonly maxFilters: number;
  /** Most PCP mappings one internal host may hold; more → USER_EX_QUOTA. */
  readonly maxMappingsPerHost: number;
  /**
   * `not-authorized`: PCP is spoken (ANNOUNCE answers) but every MAP and PEER is refused
   * NOT_AUTHORIZED, as a router whose user switched mapping off. Default `allowed`.
   */
  readonly mapping?: 'allowed' | 'not-authorized';
}

/**
 * The default: version 2, miniupnpd's lifetime bounds (120 s – 1 day), the error lifetimes RFC
 * 6887 recommends (30 min for long-lifetime errors, 30 s for short ones), THIRD_PARTY not
 * implemented (as miniupnpd by default), PEER served, 8 filters and 256 mappings per host
 * (natsim's own bounds).
 */
export const DEFAULT_PCP_POLICY: PcpPolicy = {
  versions: [2],
  minLifetime: 120,
  maxLifetime: 86400,
  errorLifetimes: { long: 1800, short: 30 },
  thirdParty: 'unsupported',
  peer: true,
  maxFilters: 8,
  maxMappingsPerHost: 256,
};

/** miniupnpd 2.3's error lifetimes: 0 for long-lifetime errors, 30 s for short ones (pcpserver.c). */
export const MINIUPNPD_PCP_ERROR_LIFETIMES = { long: 0, short: 30 } as const;

/** True when the policy speaks PCP but refuses every MAP and PEER (NOT_AUTHORIZED). */
export function pcpRefusesMappings(p: { readonly pcp?: PcpPolicy }): boolean {
  return pcpPolicyOf(p).mapping === 'not-authorized';
}

/** A policy's PCP part, the default where it has none. */
export function pcpPolicyOf(p: { readonly pcp?: PcpPolicy }): PcpPolicy {
  return p.pcp ?? DEFAULT_PCP_POLICY;
}
