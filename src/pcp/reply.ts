/**
 * Building the server's answers: what every PCP response shares (version, R bit, result, the
 * policy's lifetime for that result, the epoch) and what the front end reports alongside it.
 */
import type { ForwardEntry } from '../nat/forward-table.js';
import type { Refusal } from '../nat/mapping-service.js';
import type { MappingInfo } from '../nat/nat-table.js';
import type { PcpPolicy } from '../nat/pcp-policy.js';
import type { PeerRefusal } from '../nat/peer-session.js';
import type { Router } from '../nat/router.js';
import type { PcpIgnoreReason, PcpRequest } from './codec.js';
import { responseLifetime } from './lifetimes.js';
import { encodePcpResponse, mappingResponseBody } from './response.js';

/** Where a datagram came from. */
export interface PcpSource {
  readonly address: string;
  readonly port: number;
}

/** What one request is answered against. */
export interface PcpContext {
  readonly router: Router;
  readonly policy: PcpPolicy;
  readonly source: PcpSource;
  readonly now: number;
  /** Seconds since the mapping state began. */
  readonly epoch: number;
}

/** What became of a datagram. */
export type PcpOutcome =
  | {
      readonly reply: Uint8Array;
      readonly result: number;
      /** Why, for a log line (errors). */
      readonly message?: string;
      readonly request?: PcpRequest;
      /** The mapping a MAP made or refreshed. */
      readonly mapping?: ForwardEntry;
      readonly refreshed?: boolean;
      /** Mappings a MAP with lifetime 0 removed. */
      readonly removed?: readonly ForwardEntry[];
      /** The session a PEER created or extended. */
      readonly session?: MappingInfo;
      /** The model's refusal behind a non-zero result. */
      readonly refusal?: Refusal | PeerRefusal;
    }
  /** No answer: too short, a response, a sender outside the LAN, or PCP not served (NAT-PMP answers). */
  | { readonly ignored: PcpIgnoreReason | 'not-from-lan' | 'not-served' };

export type PcpAnswer = Extract<PcpOutcome, { reply: Uint8Array }>;

/** Fields an answer may report besides the reply. */
export type PcpAnswerExtra = Omit<PcpAnswer, 'reply' | 'result'>;

/** A response: the header from `result`, `granted` (success), the policy and the epoch; body and options as given. */
export function pcpAnswer(
  ctx: PcpContext,
  head: { readonly version: number; readonly opcode: number },
  result: number,
  granted: number,
  parts: { readonly body?: Uint8Array; readonly options?: readonly Uint8Array[] } = {},
  extra: PcpAnswerExtra = {},
): PcpAnswer {
  const reply = encodePcpResponse({
    version: head.version,
    opcode: head.opcode,
    result,
    epoch: ctx.epoch,
    lifetime: responseLifetime(result, granted, ctx.policy),
    ...parts,
  });
  return { reply, result, ...extra };
}

/** The version an UNSUPP_VERSION answer names: the spoken one nearest the request's (RFC 6887 §9). */
export function answerVersion(requested: number, spoken: readonly number[]): number {
  const lo = Math.min(...spoken);
  const hi = Math.max(...spoken);
  return requested < lo ? lo : requested > hi ? hi : spoken.includes(requested) ? requested : hi;
}

/** An error for a request read whole: its opcode data echoed (suggested port and address kept). */
export function refuseRequest(
  ctx: PcpContext,
  request: PcpRequest,
  result: number,
  message: string,
  options?: readonly Uint8Array[],
): PcpAnswer {
  const body = request.kind === 'announce' ? undefined : mappingResponseBody(request.header.version, request.body);
  return pcpAnswer(ctx, request.header, result, 0, { ...(body ? { body } : {}), ...(options ? { options } : {}) }, { message, request });
}
