/**
 * STUN's wire format (RFC 5389 §6, §15; classic RFC 3489 messages without the magic cookie):
 * message parsing, address attributes, message encoding with FINGERPRINT. Nothing else: which
 * request gets which answer is `responder.ts`.
 *
 * The parser reads each byte at most twice (the attribute walk, then the CRC of FINGERPRINT),
 * refuses anything over `STUN_MAX_MESSAGE` unread, and never throws: every malformed input is a
 * result naming what is wrong.
 */
import { crc32 } from 'node:zlib';
import {
  STUN_FAMILY,
  STUN_FINGERPRINT_XOR,
  STUN_HEADER_LENGTH,
  STUN_MAGIC_COOKIE,
  STUN_MAX_MESSAGE,
  STUN_ATTRIBUTE as T,
} from '../constants.js';
import type { Endpoint } from '../nat/address.js';

/** One attribute as it appears on the wire (value without its padding). */
export interface StunAttribute {
  readonly type: number;
  readonly value: Uint8Array;
}

/** The message class: the two class bits of the message type (RFC 5389 §6). */
export type StunClass = 'request' | 'indication' | 'success' | 'error';

/** A message whose header is well formed. */
export interface StunHeader {
  /** The 12-bit method (1 = Binding). */
  readonly method: number;
  readonly class: StunClass;
  /** True when bytes 4..7 hold the magic cookie (RFC 5389); false for a classic RFC 3489 message. */
  readonly rfc5389: boolean;
  /**
   * Bytes 4..19 of the header: the magic cookie and the 96-bit transaction id (RFC 5389), or the
   * 128-bit transaction id of RFC 3489. A response echoes all 16.
   */
  readonly transactionId: Uint8Array;
}

/** A parsed message: header and attributes in wire order. */
export interface StunMessage extends StunHeader {
  readonly attributes: readonly StunAttribute[];
  /** True when the message ended with a FINGERPRINT attribute (checked; a wrong one is refused). */
  readonly fingerprint: boolean;
}

/** Why a datagram is not a STUN message at all (RFC 5389 §7.3: such datagrams are discarded). */
export type StunHeaderProblem = 'too-short' | 'too-large' | 'not-stun' | 'bad-length' | 'bad-fingerprint';

/** Outcome of {@link parseStunMessage}. */
export type StunParse =
  | { readonly ok: true; readonly message: StunMessage }
  /** Not a STUN message (or a corrupt one): nothing can be answered. */
  | { readonly ok: false; readonly stage: 'header'; readonly problem: StunHeaderProblem; readonly error: string }
  /** The header is valid (a request can be answered 400) but the attribute section is not. */
  | { readonly ok: false; readonly stage: 'attributes'; readonly header: StunHeader; readonly error: string };

const CLASSES: readonly StunClass[] = ['request', 'indication', 'success', 'error'];
const CLASS_BITS: Readonly<Record<StunClass, number>> = { request: 0b00, indication: 0b01, success: 0b10, error: 0b11 };

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

/** The 16-bit message type for a method and class (the class bits sit at positions 4 and 8). */
export function stunMessageType(method: number, cls: StunClass): number {
  const c = CLASS_BITS[cls];
  return (method & 0x000f) | ((c & 1) << 4) | ((method & 0x0070) << 1) | ((c & 2) << 7) | ((method & 0x0f80) << 2);
}

/** The FINGERPRINT value of `bytes` (a message whose length field already counts the attribute). */
export function stunFingerprint(bytes: Uint8Array): number {
  return (crc32(bytes) ^ STUN_FINGERPRINT_XOR) >>> 0;
}

/** Reads one STUN message from a datagram. Never throws. */
export function parseStunMessage(d: Uint8Array): StunParse {
  const bad = (problem: StunHeaderProblem, error: string): StunParse => ({ ok: false, stage: 'header', problem, error });
  if (d.length > STUN_MAX_MESSAGE) return bad('too-large', `datagram of ${d.length} bytes exceeds the ${STUN_MAX_MESSAGE}-byte limit`);
  if (d.length < STUN_HEADER_LENGTH) return bad('too-short', `datagram of ${d.length} bytes is shorter than the 20-byte STUN header`);
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const type = view.getUint16(0);
  if (type & 0xc000) return bad('not-stun', 'the first two bits of a STUN message must be zero');
  const length = view.getUint16(2);
  if (length % 4 !== 0) return bad('bad-length', `message length ${length} is not a multiple of 4`);
  if (STUN_HEADER_LENGTH + length !== d.length) {
    return bad('bad-length', `message length ${length} does not match the ${d.length - STUN_HEADER_LENGTH} bytes after the header`);
  }
  const header: StunHeader = {
    method: (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2),
    class: CLASSES[((type >> 4) & 1) | ((type >> 7) & 2)]!,
    rfc5389: view.getUint32(4) === STUN_MAGIC_COOKIE,
    transactionId: d.slice(4, STUN_HEADER_LENGTH),
  };
  const attributes: StunAttribute[] = [];
  let fingerprint = false;
  let at = STUN_HEADER_LENGTH;
  while (at < d.length) {
    if (fingerprint) return { ok: false, stage: 'attributes', header, error: 'FINGERPRINT is not the last attribute' };
    if (d.length - at < 4) return { ok: false, stage: 'attributes', header, error: `truncated attribute header at byte ${at}` };
    const atype = view.getUint16(at);
    const alen = view.getUint16(at + 2);
    const end = at + 4 + alen;
    if (end > d.length) {
      return { ok: false, stage: 'attributes', header, error: `attribute ${hex4(atype)} at byte ${at} runs past the end of the message` };
    }
    if (atype === T.Fingerprint) {
      if (alen !== 4) return { ok: false, stage: 'attributes', header, error: `FINGERPRINT must be 4 bytes long, got ${alen}` };
      if (view.getUint32(at + 4) !== stunFingerprint(d.subarray(0, at)))
        return bad('bad-fingerprint', 'FINGERPRINT does not match the message');
      fingerprint = true;
    } else {
      attributes.push({ type: atype, value: d.slice(at + 4, end) });
    }
    at = end + ((4 - (alen % 4)) % 4);
  }
  // The padding of the last attribute must lie inside the length (a multiple of 4), so at === d.length here.
  return { ok: true, message: { ...header, attributes, fingerprint } };
}

/** An address from a MAPPED-ADDRESS-style attribute value. */
export interface StunAddress {
  readonly family: 'IPv4' | 'IPv6';
  /** Dotted quad, or IPv6 text (eight groups, not compressed). */
  readonly address: string;
  readonly port: number;
}

/**
 * Decodes a MAPPED-ADDRESS-style value (RFC 5389 §15.1); with `transactionId` (the 16 header
 * bytes 4..19) an XOR-MAPPED-ADDRESS-style one (§15.2). A string names what is wrong.
 */
export function decodeStunAddress(value: Uint8Array, transactionId?: Uint8Array): StunAddress | string {
  if (value.length < 4) return `address attribute of ${value.length} bytes is too short`;
  const family = value[1];
  const want = family === STUN_FAMILY.IPv4 ? 8 : family === STUN_FAMILY.IPv6 ? 20 : -1;
  if (want < 0) return `unknown address family ${family}`;
  if (value.length !== want) return `address attribute of family ${family} must be ${want} bytes long, got ${value.length}`;
  const mask = (i: number): number => (transactionId ? transactionId[i]! : 0);
  const port = (((value[2]! ^ mask(0)) << 8) | (value[3]! ^ mask(1))) >>> 0;
  const raw = Array.from(value.subarray(4), (b, i) => b ^ mask(i));
  if (family === STUN_FAMILY.IPv4) return { family: 'IPv4', address: raw.join('.'), port };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((raw[i]! << 8) | raw[i + 1]!).toString(16));
  return { family: 'IPv6', address: groups.join(':'), port };
}

/** Encodes an IPv4 endpoint as a MAPPED-ADDRESS-style value, XORed when `transactionId` is given. */
export function encodeStunAddress(endpoint: Endpoint, transactionId?: Uint8Array): Uint8Array {
  const v = new Uint8Array(8);
  const view = new DataView(v.buffer);
  v[1] = STUN_FAMILY.IPv4;
  view.setUint16(2, endpoint.port);
  view.setUint32(4, endpoint.ip >>> 0);
  if (transactionId) {
    // The port is XORed with the cookie's high 16 bits, an IPv4 address with the whole cookie.
    for (let i = 0; i < 2; i++) v[2 + i]! ^= transactionId[i]!;
    for (let i = 0; i < 4; i++) v[4 + i]! ^= transactionId[i]!;
  }
  return v;
}

/** The text of an endpoint attribute for logs: `a.b.c.d:port`. */
export function formatStunAddress(a: StunAddress): string {
  return a.family === 'IPv4' ? `${a.address}:${a.port}` : `[${a.address}]:${a.port}`;
}

/** An ERROR-CODE value (RFC 5389 §15.6): class, number and a UTF-8 reason phrase. */
export function encodeStunErrorCode(code: number, reason: string): Uint8Array {
  const text = new TextEncoder().encode(reason).subarray(0, 763);
  const v = new Uint8Array(4 + text.length);
  v[2] = Math.floor(code / 100) & 0x07;
  v[3] = code % 100;
  v.set(text, 4);
  return v;
}

/** Decodes an ERROR-CODE value, or a string naming what is wrong. */
export function decodeStunErrorCode(value: Uint8Array): { readonly code: number; readonly reason: string } | string {
  if (value.length < 4) return `ERROR-CODE of ${value.length} bytes is too short`;
  const cls = value[2]! & 0x07;
  const num = value[3]!;
  if (cls < 3 || cls > 6 || num > 99) return `ERROR-CODE ${cls}/${num} is out of range`;
  return { code: cls * 100 + num, reason: new TextDecoder().decode(value.subarray(4)) };
}

/** What {@link encodeStunMessage} writes. */
export interface StunMessageSpec {
  readonly method: number;
  readonly class: StunClass;
  /** The 16 bytes after the length field (magic cookie and transaction id, or the RFC 3489 id). */
  readonly transactionId: Uint8Array;
  readonly attributes: readonly StunAttribute[];
  /** Append a FINGERPRINT attribute. */
  readonly fingerprint?: boolean;
}

/** Encodes a message: attributes padded to 4 bytes, FINGERPRINT last when asked for. */
export function encodeStunMessage(spec: StunMessageSpec): Uint8Array {
  if (spec.transactionId.length !== 16) throw new RangeError('transactionId must be the 16 bytes after the length field');
  let length = 0;
  for (const a of spec.attributes) length += 4 + a.value.length + ((4 - (a.value.length % 4)) % 4);
  if (spec.fingerprint) length += 8;
  const bytes = new Uint8Array(STUN_HEADER_LENGTH + length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, stunMessageType(spec.method, spec.class));
  view.setUint16(2, length);
  bytes.set(spec.transactionId, 4);
  let at = STUN_HEADER_LENGTH;
  for (const a of spec.attributes) {
    view.setUint16(at, a.type);
    view.setUint16(at + 2, a.value.length);
    bytes.set(a.value, at + 4);
    at += 4 + a.value.length + ((4 - (a.value.length % 4)) % 4);
  }
  if (spec.fingerprint) {
    view.setUint16(at, T.Fingerprint);
    view.setUint16(at + 2, 4);
    view.setUint32(at + 4, stunFingerprint(bytes.subarray(0, at)));
  }
  return bytes;
}

/** The 16 transaction bytes of an RFC 5389 message: the magic cookie and a 12-byte id. */
export function stunTransaction(id: Uint8Array): Uint8Array {
  if (id.length !== 12) throw new RangeError('an RFC 5389 transaction id is 12 bytes');
  const t = new Uint8Array(16);
  new DataView(t.buffer).setUint32(0, STUN_MAGIC_COOKIE);
  t.set(id, 4);
  return t;
}
