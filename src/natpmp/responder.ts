/**
 * The pure NAT-PMP server (RFC 6886): one datagram from one source, answered against one
 * router's mapping service at one moment. No sockets, no clock of its own; the socket adapter is
 * src/gateway/natpmp-server.ts and the simulation calls this in process
 * (src/scenario/natpmp-client.ts). Policy lives in the model; this only reads the wire and turns
 * the service's refusals into result codes (./refusals.ts).
 */
import { NATPMP_RESULT } from '../constants.js';
import { isIPv4, parseIPv4 } from '../nat/address.js';
import type { ForwardEntry } from '../nat/forward-table.js';
import type { Refusal } from '../nat/mapping-service.js';
import type { Router } from '../nat/router.js';
import {
  encodeAddressResponse,
  encodeErrorResponse,
  encodeMapResponse,
  type IgnoreReason,
  type NatpmpRequest,
  parseNatpmpRequest,
} from './codec.js';
import { natpmpResultOf } from './refusals.js';

/** Where a datagram came from. */
export interface NatpmpSource {
  readonly address: string;
  readonly port: number;
}

/** What became of a datagram. */
export type NatpmpOutcome =
  | {
      readonly reply: Uint8Array;
      readonly request: NatpmpRequest;
      readonly result: number;
      /** The mapping made or refreshed (map requests that succeeded). */
      readonly mapping?: ForwardEntry;
      readonly refreshed?: boolean;
      /** Mappings a delete removed. */
      readonly removed?: readonly ForwardEntry[];
      /** The service's refusal behind a non-zero result. */
      readonly refusal?: { readonly refusal: Refusal; readonly message: string };
    }
  /** No answer: malformed, a response, a sender outside the router's LAN, or nothing served on the port (a UPnP-only profile). */
  | { readonly ignored: IgnoreReason | 'not-from-lan' | 'not-served' };

/** Answers one NAT-PMP datagram from `source`, as `router` at `now` (ms). */
export function answerNatpmp(datagram: Uint8Array, source: NatpmpSource, router: Router, now: number): NatpmpOutcome {
  if (router.mappings.config.policy.portControl === 'absent') return { ignored: 'not-served' };
  if (!isIPv4(source.address) || !router.onLan(parseIPv4(source.address))) return { ignored: 'not-from-lan' };
  const request = parseNatpmpRequest(datagram);
  if ('ignored' in request) return request;
  router.expire(now);
  const epoch = router.mappings.epochSeconds(now);
  switch (request.kind) {
    case 'bad-version':
      return {
        reply: encodeErrorResponse(request.opcode, NATPMP_RESULT.UnsupportedVersion, epoch),
        request,
        result: NATPMP_RESULT.UnsupportedVersion,
      };
    case 'bad-opcode':
      return {
        reply: encodeErrorResponse(request.opcode, NATPMP_RESULT.UnsupportedOpcode, epoch),
        request,
        result: NATPMP_RESULT.UnsupportedOpcode,
      };
    case 'address': {
      const address = router.mappings.externalAddress();
      const result = address === '' ? NATPMP_RESULT.NetworkFailure : NATPMP_RESULT.Success;
      return { reply: encodeAddressResponse(result, epoch, address), request, result };
    }
    case 'map':
      return answerMap(request, source.address, router, now, epoch);
  }
}

function answerMap(
  request: Extract<NatpmpRequest, { kind: 'map' }>,
  client: string,
  router: Router,
  now: number,
  epoch: number,
): NatpmpOutcome {
  const { opcode, protocol, internalPort, lifetime } = request;
  const reply = (result: number, externalPort = 0, granted = 0): Uint8Array =>
    encodeMapResponse(opcode, result, epoch, internalPort, externalPort, granted);
  if (lifetime === 0) {
    // Delete (RFC 6886 §3.4): the suggested external port is ignored; internal port 0 = all of the client's.
    const removed = router.mappings.removeOwn({ requester: client, protocol, internalPort, origin: 'natpmp' }, now);
    return { reply: reply(NATPMP_RESULT.Success), request, result: NATPMP_RESULT.Success, removed };
  }
  const r = router.mappings.request(
    {
      requester: client,
      protocol,
      internalClient: client,
      internalPort,
      // A suggested port of 0 means "no preference": try the internal port first, as miniupnpd.
      externalPort: request.externalPort === 0 ? internalPort : request.externalPort,
      lifetime,
      lifetimeRule: 'natpmp-clamped',
      search: 'ascending',
      origin: 'natpmp',
      description: `NAT-PMP ${protocol} ${internalPort}`,
    },
    now,
  );
  if (!r.ok) {
    const result = natpmpResultOf(r.refusal);
    return { reply: reply(result), request, result, refusal: { refusal: r.refusal, message: r.message } };
  }
  return {
    reply: reply(NATPMP_RESULT.Success, r.mapping.externalPort, r.mapping.leaseSeconds),
    request,
    result: NATPMP_RESULT.Success,
    mapping: r.mapping,
    refreshed: r.refreshed,
  };
}

/**
 * The unsolicited address announcement (RFC 6886 §3.2.1: an opcode-128 reply with the external
 * address and epoch), or undefined when the router has no address to announce (as miniupnpd).
 */
export function natpmpAnnouncement(router: Router, now: number): Uint8Array | undefined {
  const address = router.mappings.externalAddress();
  if (address === '') return undefined;
  return encodeAddressResponse(NATPMP_RESULT.Success, router.mappings.epochSeconds(now), address);
}
