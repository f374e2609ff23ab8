/** Building STUN requests and reading replies, for the STUN tests. */
import { STUN_METHOD, STUN_ATTRIBUTE as T } from '../../src/constants.js';
import {
  decodeStunAddress,
  decodeStunErrorCode,
  encodeStunMessage,
  parseStunMessage,
  type StunAttribute,
  type StunMessage,
  stunTransaction,
} from '../../src/stun/codec.js';

export const TID = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
export const TX = stunTransaction(TID);

/** A Binding request (RFC 5389 unless `classic`), with the given attributes. */
export function bindingRequest(
  attributes: readonly StunAttribute[] = [],
  opts: { fingerprint?: boolean; classic?: boolean } = {},
): Uint8Array {
  const transactionId = opts.classic ? Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i) : TX;
  return encodeStunMessage({ method: STUN_METHOD.Binding, class: 'request', transactionId, attributes, fingerprint: opts.fingerprint });
}

/** A CHANGE-REQUEST attribute with the given flag bits. */
export const changeRequest = (flags: number): StunAttribute => ({ type: T.ChangeRequest, value: Uint8Array.of(0, 0, 0, flags) });

/** A reply in readable form: class, attributes by name (addresses as text), error code and reason. */
export function readReply(bytes: Uint8Array): Record<string, unknown> {
  const p = parseStunMessage(bytes);
  if (!p.ok) throw new Error(`reply does not parse: ${p.error}`);
  const m: StunMessage = p.message;
  const names = new Map<number, string>(Object.entries(T).map(([k, v]) => [v, k]));
  const out: Record<string, unknown> = { class: m.class, method: m.method, fingerprint: m.fingerprint };
  for (const a of m.attributes) {
    const name = names.get(a.type) ?? `0x${a.type.toString(16)}`;
    if (a.type === T.XorMappedAddress) out[name] = text(decodeStunAddress(a.value, m.transactionId));
    else if ([T.MappedAddress, T.ResponseOrigin, T.OtherAddress, T.SourceAddress, T.ChangedAddress].includes(a.type as never)) {
      out[name] = text(decodeStunAddress(a.value));
    } else if (a.type === T.ErrorCode) out[name] = decodeStunErrorCode(a.value);
    else if (a.type === T.Software) out[name] = new TextDecoder().decode(a.value);
    else if (a.type === T.UnknownAttributes) {
      out[name] = Array.from({ length: a.value.length / 2 }, (_, i) => (a.value[2 * i]! << 8) | a.value[2 * i + 1]!);
    } else out[name] = a.value.length;
  }
  return out;
}

function text(a: ReturnType<typeof decodeStunAddress>): string {
  return typeof a === 'string' ? `invalid: ${a}` : `${a.address}:${a.port}`;
}
