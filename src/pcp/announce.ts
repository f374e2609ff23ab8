/**
 * The unsolicited ANNOUNCE (RFC 6887 §14.1.3): a PCP server that restarted, lost its state or
 * changed its external address tells its clients so, with an ANNOUNCE response (result SUCCESS,
 * lifetime 0) carrying the new epoch, multicast to 224.0.0.1 on the client port 5350. Clients
 * that see the epoch go backwards renew their mappings (§8.5). The socket adapter sends it when
 * the model says the state began again (src/gateway/natpmp-server.ts); this builds the bytes.
 */
import { PCP_OPCODE, PCP_RESULT } from '../constants.js';
import { pcpPolicyOf } from '../nat/pcp-policy.js';
import type { Router } from '../nat/router.js';
import { encodePcpResponse } from './response.js';

/** The ANNOUNCE to multicast for `router` at `now`, or undefined where it serves no PCP. */
export function pcpAnnouncement(router: Router, now: number): Uint8Array | undefined {
  const policy = router.mappings.config.policy;
  const versions = pcpPolicyOf(policy).versions;
  if (policy.portControl === 'absent' || versions.length === 0) return undefined;
  return encodePcpResponse({
    version: Math.max(...versions),
    opcode: PCP_OPCODE.Announce,
    result: PCP_RESULT.SUCCESS,
    lifetime: 0,
    epoch: router.mappings.epochSeconds(now),
  });
}
