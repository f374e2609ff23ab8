/**
 * The pure STUN server: which datagram gets which reply, from which of the server's addresses.
 * No sockets, no clock, no randomness; the socket adapter is `server.ts`.
 *
 * Binding requests (RFC 5389 §7.3, §10) are answered with XOR-MAPPED-ADDRESS and MAPPED-ADDRESS,
 * RESPONSE-ORIGIN and OTHER-ADDRESS (RFC 5780 §6), SOFTWARE, and FINGERPRINT when the request
 * carried one. CHANGE-REQUEST makes the reply leave from the alternate address and/or port;
 * RESPONSE-PORT sends it to another port of the requester's address and PADDING pads it to the
 * request's size (RFC 5780 §7.2, §7.5, §7.6). A classic
 * RFC 3489 request (no magic cookie) gets MAPPED-ADDRESS, SOURCE-ADDRESS and CHANGED-ADDRESS.
 *
 * Refusals: a datagram that is not a STUN message, a corrupt FINGERPRINT, an indication or a
 * response is ignored (RFC 5389 §7.3); a request with a malformed attribute section or attribute
 * value, or another method, is answered 400; a comprehension-required attribute the server does not
 * know (or CHANGE-REQUEST on a server without an alternate address) is answered 420 with
 * UNKNOWN-ATTRIBUTES.
 */
import {
  STUN_CHANGE_IP,
  STUN_CHANGE_PORT,
  STUN_ERROR,
  STUN_HEADER_LENGTH,
  STUN_MAX_SOFTWARE_BYTES,
  STUN_MAX_UNKNOWN_LISTED,
  STUN_METHOD,
  STUN_OPTIONAL_ATTRIBUTE_MIN,
  STUN_ATTRIBUTE as T,
} from '../constants.js';
import type { Endpoint } from '../nat/address.js';
import {
  encodeStunAddress,
  encodeStunErrorCode,
  encodeStunMessage,
  parseStunMessage,
  type StunAttribute,
  type StunHeader,
} from './codec.js';

/** Comprehension-required attributes a request may carry without being refused 420. */
const UNDERSTOOD: ReadonlySet<number> = new Set<number>([
  T.MappedAddress,
  T.ChangeRequest,
  T.Username,
  T.MessageIntegrity,
  T.ErrorCode,
  T.UnknownAttributes,
  T.Realm,
  T.Nonce,
  T.XorMappedAddress,
  T.ResponsePort,
  T.Padding,
]);

/** Where a datagram came from and arrived, and the server's alternate address. */
export interface StunContext {
  /** The requester (source address and port of the datagram). */
  readonly from: Endpoint;
  /** The server address and port the datagram arrived at. */
  readonly local: Endpoint;
  /**
   * The server address and port that differ from `local` in both address and port (RFC 5780
   * OTHER-ADDRESS), or none on a single-address server (CHANGE-REQUEST is then refused 420).
   */
  readonly other?: Endpoint;
  /**
   * What OTHER-ADDRESS (classic: CHANGED-ADDRESS) names, when it is not `other`: coturn's
   * turnserver names its alternate address whichever of its addresses answered, and clients
   * written against it (turnutils_natdiscovery's mapping test III) send there. Default `other`.
   */
  readonly advertisedOther?: Endpoint;
  /** SOFTWARE value, e.g. `natsim 0.1.0` (none: no SOFTWARE attribute). */
  readonly software?: string;
}

/** Why a datagram gets no reply. */
export type StunIgnoreReason =
  /** Larger than `STUN_MAX_MESSAGE`. */
  | 'too-large'
  /** Not a STUN message: too short, first bits set, a length that does not fit. */
  | 'malformed'
  /** FINGERPRINT present but wrong (RFC 5389 §7.3: discarded). */
  | 'bad-fingerprint'
  /** An indication or a response: nothing to answer. */
  | 'not-request';

/** One reply: `bytes` sent from the server's `from` to `to`. */
export interface StunReply {
  readonly bytes: Uint8Array;
  readonly from: Endpoint;
  readonly to: Endpoint;
}

/** Outcome of {@link answerStun}. */
export type StunOutcome =
  | {
      readonly kind: 'success';
      readonly reply: StunReply;
      /** CHANGE-REQUEST flags honoured. */
      readonly changeIp: boolean;
      readonly changePort: boolean;
      readonly rfc5389: boolean;
    }
  | {
      readonly kind: 'error';
      readonly reply: StunReply;
      readonly code: number;
      readonly reason: string;
      readonly unknown?: readonly number[];
    }
  | { readonly kind: 'ignored'; readonly reason: StunIgnoreReason; readonly detail: string };

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

/** Answers one datagram received on `ctx.local`. Never throws. */
export function answerStun(datagram: Uint8Array, ctx: StunContext): StunOutcome {
  try {
    return answer(datagram, ctx);
  } catch (e) {
    return { kind: 'ignored', reason: 'malformed', detail: `internal error: ${(e as Error).message}` };
  }
}

function answer(datagram: Uint8Array, ctx: StunContext): StunOutcome {
  const parsed = parseStunMessage(datagram);
  if (!parsed.ok && parsed.stage === 'header') {
    const reason: StunIgnoreReason = parsed.problem === 'too-large' || parsed.problem === 'bad-fingerprint' ? parsed.problem : 'malformed';
    return { kind: 'ignored', reason, detail: parsed.error };
  }
  const header = parsed.ok ? parsed.message : parsed.header;
  if (header.class !== 'request') return { kind: 'ignored', reason: 'not-request', detail: `a STUN ${header.class} is not answered` };
  // A request that arrived with a FINGERPRINT is answered with one; a malformed one is answered without.
  const fingerprint = parsed.ok && parsed.message.fingerprint;
  const refuse = (code: number, reason: string, unknown?: readonly number[]): StunOutcome =>
    errorReply(header, ctx, fingerprint, code, reason, unknown);
  if (!parsed.ok) return refuse(STUN_ERROR.BadRequest, parsed.error);
  const msg = parsed.message;
  if (msg.method !== STUN_METHOD.Binding) return refuse(STUN_ERROR.BadRequest, `unsupported method ${hex4(msg.method)}`);

  // Only the first of repeated attributes counts (RFC 5389 §15); unknown required ones are listed once.
  // The reply lists at most STUN_MAX_UNKNOWN_LISTED of them, so it stays smaller than the request.
  const unknown = new Set<number>();
  const first = new Map<number, Uint8Array>();
  for (const a of msg.attributes) {
    if (a.type < STUN_OPTIONAL_ATTRIBUTE_MIN && !UNDERSTOOD.has(a.type)) unknown.add(a.type);
    if (!first.has(a.type)) first.set(a.type, a.value);
  }
  if (unknown.size > 0) {
    const listed = [...unknown].slice(0, STUN_MAX_UNKNOWN_LISTED);
    const more = unknown.size > listed.length ? ` and ${unknown.size - listed.length} more` : '';
    const noun = unknown.size === 1 ? 'attribute' : 'attributes';
    return refuse(STUN_ERROR.UnknownAttribute, `unknown comprehension-required ${noun} ${listed.map(hex4).join(', ')}${more}`, listed);
  }

  let changeIp = false;
  let changePort = false;
  const change = first.get(T.ChangeRequest);
  if (change) {
    if (change.length !== 4) return refuse(STUN_ERROR.BadRequest, `CHANGE-REQUEST must be 4 bytes long, got ${change.length}`);
    changeIp = (change[3]! & STUN_CHANGE_IP) !== 0;
    changePort = (change[3]! & STUN_CHANGE_PORT) !== 0;
    // RFC 5780 §6.1: any CHANGE-REQUEST on a server without an alternate is refused 420; a
    // classic RFC 3489 client's test I (CHANGE-REQUEST with no flag set) is still answered.
    if (!ctx.other && (msg.rfc5389 || changeIp || changePort)) {
      return refuse(STUN_ERROR.UnknownAttribute, 'CHANGE-REQUEST needs an alternate address, and this server has none', [T.ChangeRequest]);
    }
  }
  let toPort = ctx.from.port;
  const responsePort = first.get(T.ResponsePort);
  if (responsePort && first.has(T.Padding)) return refuse(STUN_ERROR.BadRequest, 'PADDING and RESPONSE-PORT must not be combined');
  if (responsePort) {
    if (responsePort.length !== 4) return refuse(STUN_ERROR.BadRequest, `RESPONSE-PORT must be 4 bytes long, got ${responsePort.length}`);
    toPort = (responsePort[0]! << 8) | responsePort[1]!;
    if (toPort === 0) return refuse(STUN_ERROR.BadRequest, 'RESPONSE-PORT must not be 0');
  }

  const origin: Endpoint = {
    ip: changeIp ? ctx.other!.ip : ctx.local.ip,
    port: changePort ? ctx.other!.port : ctx.local.port,
  };
  const mapped = ctx.from;
  const attributes: StunAttribute[] = msg.rfc5389
    ? [
        { type: T.XorMappedAddress, value: encodeStunAddress(mapped, msg.transactionId) },
        { type: T.MappedAddress, value: encodeStunAddress(mapped) },
        { type: T.ResponseOrigin, value: encodeStunAddress(origin) },
        ...(ctx.other ? [{ type: T.OtherAddress, value: encodeStunAddress(ctx.advertisedOther ?? ctx.other) }] : []),
      ]
    : [
        { type: T.MappedAddress, value: encodeStunAddress(mapped) },
        { type: T.SourceAddress, value: encodeStunAddress(origin) },
        ...(ctx.other ? [{ type: T.ChangedAddress, value: encodeStunAddress(ctx.advertisedOther ?? ctx.other) }] : []),
      ];
  attributes.push(...software(ctx));
  if (first.has(T.Padding)) {
    // RFC 5780 §7.6: a padded request gets a response of (at least) the same size. Never larger
    // than the request plus the attribute header, so PADDING amplifies nothing.
    let size = STUN_HEADER_LENGTH + (fingerprint && msg.rfc5389 ? 8 : 0);
    for (const a of attributes) size += 4 + a.value.length + ((4 - (a.value.length % 4)) % 4);
    attributes.push({ type: T.Padding, value: new Uint8Array(Math.max(0, datagram.length - size - 4)) });
  }
  const bytes = encodeStunMessage({
    method: STUN_METHOD.Binding,
    class: 'success',
    transactionId: msg.transactionId,
    attributes,
    fingerprint: fingerprint && msg.rfc5389,
  });
  return {
    kind: 'success',
    reply: { bytes, from: origin, to: { ip: ctx.from.ip, port: toPort } },
    changeIp,
    changePort,
    rfc5389: msg.rfc5389,
  };
}

function software(ctx: StunContext): StunAttribute[] {
  if (ctx.software === undefined || ctx.software === '') return [];
  return [{ type: T.Software, value: new TextEncoder().encode(ctx.software).subarray(0, STUN_MAX_SOFTWARE_BYTES) }];
}

function errorReply(
  header: StunHeader,
  ctx: StunContext,
  fingerprint: boolean,
  code: number,
  reason: string,
  unknown?: readonly number[],
): StunOutcome {
  const attributes: StunAttribute[] = [{ type: T.ErrorCode, value: encodeStunErrorCode(code, reason) }];
  if (unknown) {
    // UNKNOWN-ATTRIBUTES: 16-bit types; the encoder pads an odd count to a 4-byte boundary.
    const v = new Uint8Array(unknown.length * 2);
    unknown.forEach((t, i) => {
      v[2 * i] = t >> 8;
      v[2 * i + 1] = t & 0xff;
    });
    attributes.push({ type: T.UnknownAttributes, value: v });
  }
  attributes.push(...software(ctx));
  const bytes = encodeStunMessage({
    method: header.method,
    class: 'error',
    transactionId: header.transactionId,
    attributes,
    fingerprint: fingerprint && header.rfc5389,
  });
  return {
    kind: 'error',
    reply: { bytes, from: ctx.local, to: ctx.from },
    code,
    reason,
    ...(unknown && { unknown }),
  };
}
