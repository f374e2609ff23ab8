/**
 * What a router's mapping service asks of the router upstream of it: a mapping it granted, made
 * again at the next NAT out (RFC 6970's IGD-PCP interworking function, RFC 7648's PCP proxy).
 * The service calls a {@link MappingRelay}; the model's relay over PCP is
 * {@link ./upstream-pcp.ts}'s.
 */
import type { ForwardEntry, ForwardOrigin } from './forward-table.js';
import type { MappingRequest, Refusal } from './mapping-service.js';

/** A mapping the upstream router made for a local one: where the Internet reaches it. */
export interface UpstreamMapping {
  /** The upstream router's id. */
  readonly router: string;
  readonly externalAddress: string;
  readonly externalPort: number;
  /** Seconds the upstream granted. */
  readonly lifetime: number;
}

/** What relaying one mapping came to. */
export type RelayOutcome =
  /** Mapped upstream, or (`upstream` absent) nothing upstream answers PCP and the mapping stays local. */
  | { readonly ok: true; readonly upstream?: UpstreamMapping; readonly note?: string }
  /** The upstream refused: the local mapping is taken back. `result` is the upstream's PCP result code. */
  | {
      readonly ok: false;
      readonly refusal: Refusal;
      readonly message: string;
      readonly upstream: { readonly router: string; readonly result: number };
    };

/** The mapping service's view of its router's relay. */
export interface MappingRelay {
  /** Whether mappings made over `origin` are relayed. */
  relays(origin: ForwardOrigin): boolean;
  /** Makes `entry`, just granted for `req`, upstream too. */
  relay(req: MappingRequest, entry: ForwardEntry, now: number): RelayOutcome;
  /**
   * The external address clients of `origin` are told: the upstream's, when it is known (or, with
   * `now`, can be learnt by asking); undefined to report the router's own.
   */
  externalAddress(origin: ForwardOrigin, now?: number): string | undefined;
  /** The router restarted: every upstream mapping is forgotten, not deleted (it remembers none). */
  reset(): void;
  /** Renews the upstream mappings whose renewal fell due by `now`, each at its due time. */
  renew(now: number): void;
}
