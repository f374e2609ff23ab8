/**
 * The simulation's PCP client: a LAN host sends real PCP MAP datagrams (RFC 6887) to its router's
 * port-control port — the same pure dispatcher `natsim serve` puts behind UDP 5351
 * (src/pcp/port-control.ts) — in process. A router that speaks only NAT-PMP answers with NAT-PMP's
 * "unsupported version", as a real one does, and the client reports it so the caller can fall
 * back. It never writes the forward table itself.
 */
import { IP_PROTOCOL, PCP_OPCODE, PCP_RESULT, PCP_VERSION } from '../constants.js';
import type { Clock } from '../nat/clock.js';
import type { Router } from '../nat/router.js';
import { answerPortControl } from '../pcp/port-control.js';
import { pcpResultName } from '../pcp/refusals.js';
import { encodePcpRequest, filterOption } from '../pcp/request.js';
import { parsePcpResponse } from '../pcp/response.js';

/** Client source port (any ephemeral port; libpcp and libplum bind one). */
const CLIENT_PORT = 49153;

/** A remote-peer filter to send as a FILTER option: an IPv4 prefix and a port (0 = any). */
export interface PcpClientFilter {
  readonly address: string;
  readonly prefixLength: number;
  readonly port: number;
}

/** What a MAP got. */
export type PcpMapResult =
  | {
      readonly ok: true;
      readonly externalAddress: string;
      readonly externalPort: number;
      readonly lifetime: number;
      readonly epoch: number;
    }
  /** A PCP error, NAT-PMP's "unsupported version" (the router speaks NAT-PMP only), or no answer at all. */
  | { readonly ok: false; readonly kind: 'pcp-error'; readonly result: number; readonly lifetime: number }
  | { readonly ok: false; readonly kind: 'natpmp-only' | 'no-answer' };

/** A PCP result code's text, e.g. `2 NOT_AUTHORIZED`. */
export function pcpResultText(result: number): string {
  return `${result} ${pcpResultName(result)}`;
}

/** What a failed MAP means, in a few words. */
export function pcpFailureText(r: Extract<PcpMapResult, { ok: false }>): string {
  if ('result' in r) return `result ${pcpResultText(r.result)}`;
  return r.kind === 'no-answer' ? 'no answer on UDP 5351' : 'answered by NAT-PMP "unsupported version": the router speaks NAT-PMP, not PCP';
}

/** A PCP client on one LAN host, talking to one router. */
export class InProcessPcpClient {
  /**
   * @param pcpOffered the router offers PCP on the port (scenario `services.pcp`)
   * @param served anything answers on the port (scenario `services.natpmp` or `services.pcp`)
   */
  constructor(
    readonly router: Router,
    readonly clock: Clock,
    readonly address: string,
    readonly pcpOffered: boolean,
    readonly served: boolean,
  ) {}

  /** A stable nonce per host, protocol and port, so a renewal carries the one the mapping was made with. */
  nonce(protocol: 'udp' | 'tcp', internalPort: number): string {
    const parts = this.address.split('.').map((n) => Number(n).toString(16).padStart(2, '0'));
    return `${parts.join('')}${protocol === 'udp' ? '11' : '06'}${internalPort.toString(16).padStart(4, '0')}${'0'.repeat(10)}`;
  }

  /** MAP `internalPort`, suggesting `suggestedPort`, for `lifetime` seconds (0 deletes). */
  map(
    protocol: 'udp' | 'tcp',
    internalPort: number,
    lifetime: number,
    suggestedPort = internalPort,
    filters: readonly PcpClientFilter[] = [],
  ): PcpMapResult {
    if (!this.served) return { ok: false, kind: 'no-answer' };
    const request = encodePcpRequest({
      version: PCP_VERSION,
      opcode: PCP_OPCODE.Map,
      lifetime,
      client: this.address,
      nonce: this.nonce(protocol, internalPort),
      protocol: protocol === 'udp' ? IP_PROTOCOL.udp : IP_PROTOCOL.tcp,
      internalPort,
      suggestedPort,
      options: filters.map((f) => filterOption(f.address, f.prefixLength, f.port)),
    });
    const a = answerPortControl(request, { address: this.address, port: CLIENT_PORT }, this.router, this.clock.now(), this.pcpOffered);
    if ('ignored' in a.outcome) return { ok: false, kind: 'no-answer' };
    if (a.protocol === 'natpmp') return { ok: false, kind: 'natpmp-only' };
    const r = parsePcpResponse(a.outcome.reply);
    if (r.result !== PCP_RESULT.SUCCESS) return { ok: false, kind: 'pcp-error', result: r.result, lifetime: r.lifetime };
    const ext = r.externalAddress;
    return {
      ok: true,
      externalAddress: ext?.kind === 'ipv4' ? ext.address : '',
      externalPort: r.externalPort ?? 0,
      lifetime: r.lifetime,
      epoch: r.epoch,
    };
  }
}
