/**
 * The lifetime field of a PCP response (RFC 6887 §7.2, §15): the granted lifetime on success; on
 * an error, how long the client should expect the same answer — the policy's short lifetime for
 * short-lifetime errors, its long one for the others.
 */
import { PCP_RESULT, PCP_SHORT_LIFETIME_RESULTS } from '../constants.js';
import type { PcpPolicy } from '../nat/pcp-policy.js';

/** The lifetime an answer with `result` carries (`granted` on success). */
export function responseLifetime(result: number, granted: number, policy: PcpPolicy): number {
  if (result === PCP_RESULT.SUCCESS) return granted;
  return PCP_SHORT_LIFETIME_RESULTS.has(result) ? policy.errorLifetimes.short : policy.errorLifetimes.long;
}
