/**
 * The NAT-PMP result code for each refusal of the mapping service (src/nat/mapping-service.ts),
 * as miniupnpd's natpmp.c answers: a port the rules deny is "not authorized" (2), no free port
 * is "out of resources" (4), a WAN that cannot forward is "network failure" (3).
 */
import { NATPMP_RESULT } from '../constants.js';
import type { Refusal } from '../nat/mapping-service.js';

const R = NATPMP_RESULT;

export const NATPMP_REFUSAL_CODES: Readonly<Record<Refusal, number>> = {
  'not-owner': R.NotAuthorized,
  'denied-by-rule': R.NotAuthorized,
  'only-permanent-leases': R.NotAuthorized,
  'lease-refused': R.NotAuthorized,
  'invalid-internal-port': R.NotAuthorized,
  'nonce-mismatch': R.NotAuthorized,
  'held-by-other-client': R.OutOfResources,
  'held-by-session': R.OutOfResources,
  'held-by-other-mechanism': R.OutOfResources,
  'reserved-port': R.OutOfResources,
  'no-resources': R.OutOfResources,
  'quota-exceeded': R.OutOfResources,
  'protocol-disabled': R.NotAuthorized,
  'ports-exhausted': R.OutOfResources,
  'forwarding-disabled': R.NetworkFailure,
  // A delete of nothing succeeds (RFC 6886 §3.4); listed for completeness.
  'no-such-mapping': R.Success,
  // NAT-PMP mappings are not relayed upstream; listed for completeness.
  'upstream-not-authorized': R.NotAuthorized,
  'upstream-conflict': R.OutOfResources,
  'upstream-no-resources': R.OutOfResources,
  'upstream-failure': R.NetworkFailure,
};

/** The result code for a refusal. */
export function natpmpResultOf(refusal: Refusal): number {
  return NATPMP_REFUSAL_CODES[refusal];
}
