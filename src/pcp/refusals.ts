/**
 * The PCP result code for each refusal of the mapping service (src/nat/mapping-service.ts) and of
 * a PEER session (src/nat/peer-session.ts). A port held by someone else reaches PCP only when the
 * request forbade another port (PREFER_FAILURE, RFC 6887 §13.2): CANNOT_PROVIDE_EXTERNAL.
 * Otherwise the service searches, and running out is NO_RESOURCES.
 */
import { PCP_RESULT } from '../constants.js';
import type { Refusal } from '../nat/mapping-service.js';
import type { PeerRefusal } from '../nat/peer-session.js';

const R = PCP_RESULT;

export const PCP_REFUSAL_RESULTS: Readonly<Record<Refusal, number>> = {
  'not-owner': R.NOT_AUTHORIZED,
  'denied-by-rule': R.NOT_AUTHORIZED,
  'nonce-mismatch': R.NOT_AUTHORIZED,
  'only-permanent-leases': R.NOT_AUTHORIZED,
  'lease-refused': R.NOT_AUTHORIZED,
  // Internal port 0 with a non-zero lifetime asks for "all ports", which natsim does not grant.
  'invalid-internal-port': R.NOT_AUTHORIZED,
  'held-by-other-client': R.CANNOT_PROVIDE_EXTERNAL,
  'held-by-session': R.CANNOT_PROVIDE_EXTERNAL,
  'held-by-other-mechanism': R.CANNOT_PROVIDE_EXTERNAL,
  'reserved-port': R.CANNOT_PROVIDE_EXTERNAL,
  'no-resources': R.NO_RESOURCES,
  'ports-exhausted': R.NO_RESOURCES,
  'quota-exceeded': R.USER_EX_QUOTA,
  'protocol-disabled': R.NOT_AUTHORIZED,
  'forwarding-disabled': R.NETWORK_FAILURE,
  // Deleting what is not there succeeds (RFC 6887 §15).
  'no-such-mapping': R.SUCCESS,
  // A proxy relays the upstream's own result (the answer carries it); these are the defaults.
  'upstream-not-authorized': R.NOT_AUTHORIZED,
  'upstream-conflict': R.CANNOT_PROVIDE_EXTERNAL,
  'upstream-no-resources': R.NO_RESOURCES,
  'upstream-failure': R.NETWORK_FAILURE,
};

export const PCP_PEER_REFUSAL_RESULTS: Readonly<Record<PeerRefusal, number>> = {
  'no-nat': R.UNSUPP_OPCODE,
  'forwarding-disabled': R.NETWORK_FAILURE,
  'no-resources': R.NO_RESOURCES,
  'protocol-disabled': R.NOT_AUTHORIZED,
};

/** The result code for a mapping refusal. */
export function pcpResultOf(refusal: Refusal): number {
  return PCP_REFUSAL_RESULTS[refusal];
}

/** Result codes by number, for messages. */
export function pcpResultName(code: number): string {
  return Object.entries(R).find(([, v]) => v === code)?.[0] ?? `result ${code}`;
}
