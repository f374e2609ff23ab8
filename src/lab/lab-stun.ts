/**
 * The built-in STUN server of the lab's `role: reflector` servers, answered by the relay itself:
 * a UDP datagram delivered to a reflector on port 3478 or 3479 is handed to the pure responder
 * (src/stun/responder.ts) instead of the reflector's namespace, and the reply is sent as a packet
 * from the reflector through the model — from the other reflector when CHANGE-REQUEST asks for
 * the other address, so a NAT's filtering sees it come from there.
 *
 * Each reflector's alternate is the first other reflector of the scenario: with two, each is the
 * other's alternate (CHANGE-REQUEST's "change IP" replies from there); a lone reflector answers
 * plain Binding requests and refuses CHANGE-REQUEST (420), as a single-address server does.
 *
 * OTHER-ADDRESS names the other port and, as coturn's turnserver does, the pair's alternate
 * address whichever of the two answered: the second reflector, for both the first and the second
 * (a third or later reflector pairs with the first). turnutils_natdiscovery's mapping test III
 * sends to the OTHER-ADDRESS of test II's reply; with OTHER-ADDRESS relative to the answering
 * address (RFC 5780 §7.4 read literally, natsim's own `natsim stun`) it would reach the primary
 * address again and report an address-dependent mapping as address-and-port-dependent.
 */
import { STUN_PORT } from '../constants.js';
import type { IPv4 } from '../nat/address.js';
import type { Network } from '../nat/network.js';
import { answerStun } from '../stun/responder.js';
import { encodeIpv4 } from './encode.js';
import { decodeIpv4 } from './ipv4.js';

/** The reflectors' second port (RFC 5780 needs two ports per address). */
export const STUN_ALTERNATE_PORT = STUN_PORT + 1;

/** A reply to carry: an IPv4 datagram sent by host `from`. */
export interface StunDatagram {
  readonly from: string;
  readonly bytes: Uint8Array;
}

export class LabStun {
  /** Reflector host id → its address, its alternate's (where "change IP" replies leave) and the address OTHER-ADDRESS names. */
  readonly #reflectors = new Map<string, { ip: IPv4; alternate?: { host: string; ip: IPv4 }; advertised?: IPv4 }>();
  readonly #hostByIp = new Map<IPv4, string>();
  readonly #software: string;

  /** `reflectors`: the reflector servers' host ids, in scenario order. */
  constructor(network: Network, reflectors: readonly string[], software = 'natsim lab') {
    this.#software = software;
    const ipOf = (id: string): IPv4 => network.host(id).ip;
    for (const [i, id] of reflectors.entries()) {
      const alt = reflectors.find((r) => r !== id);
      const advertised = i <= 1 ? reflectors[1] : reflectors[0];
      this.#reflectors.set(id, {
        ip: ipOf(id),
        ...(alt !== undefined ? { alternate: { host: alt, ip: ipOf(alt) } } : {}),
        ...(advertised !== undefined ? { advertised: ipOf(advertised) } : {}),
      });
      this.#hostByIp.set(ipOf(id), id);
    }
  }

  /** Whether datagrams delivered to `host` may be STUN requests for the built-in server. */
  serves(host: string): boolean {
    return this.#reflectors.has(host);
  }

  /**
   * The answer to a datagram delivered to reflector `host` (`bytes` as it arrived): `undefined`
   * when it is not for the STUN server (not UDP to 3478 or 3479: deliver it to the host), `null`
   * when the server ignores it, else the reply to carry.
   */
  answer(host: string, bytes: Uint8Array): StunDatagram | null | undefined {
    const r = this.#reflectors.get(host);
    if (!r) return undefined;
    const d = decodeIpv4(bytes);
    if (!d.ok || d.packet.proto !== 'udp') return undefined;
    const local = d.packet.dst;
    if (local.port !== STUN_PORT && local.port !== STUN_ALTERNATE_PORT) return undefined;
    const otherPort = local.port === STUN_PORT ? STUN_ALTERNATE_PORT : STUN_PORT;
    const other = r.alternate && { ip: r.alternate.ip, port: otherPort };
    const outcome = answerStun(d.bytes.subarray(d.payloadOffset, d.totalLength), {
      from: d.packet.src,
      local,
      ...(other ? { other, advertisedOther: { ip: r.advertised!, port: otherPort } } : {}),
      software: this.#software,
    });
    if (outcome.kind === 'ignored') return null;
    const { reply } = outcome;
    const from = this.#hostByIp.get(reply.from.ip) ?? host;
    return { from, bytes: encodeIpv4({ proto: 'udp', src: reply.from, dst: reply.to, data: reply.bytes }) };
  }
}
