/**
 * The simulation's NAT-PMP client: a LAN host sends real NAT-PMP datagrams (RFC 6886) to its
 * router's NAT-PMP server — the same pure function `natsim serve` puts behind UDP 5351 — in
 * process. It never writes the forward table itself, so `natsim run` and `natsim serve` agree.
 */
import { NATPMP_OPCODE, NATPMP_RECOMMENDED_LIFETIME, NATPMP_RESULT } from '../constants.js';
import type { Clock } from '../nat/clock.js';
import type { Router } from '../nat/router.js';
import { encodeNatpmpRequest, type NatpmpResponse, parseNatpmpResponse } from '../natpmp/codec.js';
import { answerNatpmp } from '../natpmp/responder.js';

/** Client source port (any ephemeral port does; libnatpmp binds one). */
const CLIENT_PORT = 49152;

/** A result code's name, e.g. `3 NetworkFailure`. */
export function natpmpResultText(result: number): string {
  const name = Object.entries(NATPMP_RESULT).find(([, v]) => v === result)?.[0] ?? 'unknown';
  return `${result} ${name}`;
}

/** A NAT-PMP client on one LAN host, talking to one router. */
export class InProcessNatpmpClient {
  constructor(
    readonly router: Router,
    readonly clock: Clock,
    readonly address: string,
  ) {}

  /** Sends one request; undefined when the server ignored it (no answer, as a timeout). */
  send(request: Parameters<typeof encodeNatpmpRequest>[0]): NatpmpResponse | undefined {
    const out = answerNatpmp(encodeNatpmpRequest(request), { address: this.address, port: CLIENT_PORT }, this.router, this.clock.now());
    return 'ignored' in out ? undefined : parseNatpmpResponse(out.reply);
  }

  /** Opcode 0: the external address, or the result code that refused it. */
  externalAddress(): { ok: true; address: string } | { ok: false; result: number } {
    const r = this.send({ opcode: NATPMP_OPCODE.ExternalAddress });
    if (!r) return { ok: false, result: -1 };
    return r.result === NATPMP_RESULT.Success ? { ok: true, address: r.address ?? '' } : { ok: false, result: r.result };
  }

  /** Opcode 1/2: maps `internalPort`, suggesting the same external port, for the RFC's recommended 7200 s. */
  map(
    protocol: 'udp' | 'tcp',
    internalPort: number,
    lifetime = NATPMP_RECOMMENDED_LIFETIME,
  ): { ok: true; externalPort: number; lifetime: number } | { ok: false; result: number } {
    const r = this.send({
      opcode: protocol === 'udp' ? NATPMP_OPCODE.MapUdp : NATPMP_OPCODE.MapTcp,
      internalPort,
      externalPort: internalPort,
      lifetime,
    });
    if (!r) return { ok: false, result: -1 };
    return r.result === NATPMP_RESULT.Success
      ? { ok: true, externalPort: r.externalPort ?? 0, lifetime: r.lifetime ?? 0 }
      : { ok: false, result: r.result };
  }
}
