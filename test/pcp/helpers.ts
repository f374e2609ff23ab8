/** Fixtures of the PCP tests: one router on a fake clock, a caller of the pure server, request builders. */
import { PCP_OPCODE } from '../../src/constants.js';
import { FakeClock, SeededRng } from '../../src/nat/clock.js';
import { Network } from '../../src/nat/network.js';
import { DEFAULT_PCP_POLICY, type PcpPolicy } from '../../src/nat/pcp-policy.js';
import type { RouterConfig } from '../../src/nat/router.js';
import { DEFAULT_ROUTER_POLICY } from '../../src/nat/router-policy.js';
import { encodePcpRequest, type PcpRequestSpec } from '../../src/pcp/request.js';
import { answerPcp, type PcpOutcome } from '../../src/pcp/responder.js';
import { type PcpResponse, parsePcpResponse } from '../../src/pcp/response.js';

export const WAN = '81.2.69.160';
export const HOST = '192.168.1.10';
export const OTHER = '192.168.1.11';
export const PEER = '203.0.113.7';
export const NONCE = '0102030405060708090a0b0c';
export const NONCE2 = 'ffeeddccbbaa998877665544';
export const UDP = 17;
export const TCP = 6;

export function pcpFixture(pcp: Partial<PcpPolicy> = {}, config: Partial<RouterConfig> = {}) {
  const clock = new FakeClock(5_000_000);
  const network = new Network({ clock, rng: new SeededRng(7) });
  const policy = { ...DEFAULT_ROUTER_POLICY, pcp: { ...DEFAULT_PCP_POLICY, ...pcp } };
  const router = network.addRouter({ id: 'r1', wan: WAN, lan: '192.168.1.0/24', ...config, mapping: { policy, ...config.mapping } });
  /** Sends raw bytes; returns the outcome. */
  const raw = (bytes: Uint8Array, from = HOST): PcpOutcome => answerPcp(bytes, { address: from, port: 40001 }, router, clock.now());
  /** Sends raw bytes and parses the reply (throws when ignored). */
  const rawAsk = (bytes: Uint8Array, from = HOST): PcpResponse & { outcome: PcpOutcome } => {
    const outcome = raw(bytes, from);
    if ('ignored' in outcome) throw new Error(`ignored: ${outcome.ignored}`);
    return { ...parsePcpResponse(outcome.reply), outcome };
  };
  /** Sends a request (client = sender unless given). */
  const ask = (spec: Partial<PcpRequestSpec> & { opcode: number }, from = HOST) =>
    rawAsk(encodePcpRequest({ client: from, ...spec }), from);
  /** A MAP request. */
  const map = (spec: Partial<PcpRequestSpec> = {}, from = HOST) =>
    ask({ opcode: PCP_OPCODE.Map, nonce: NONCE, protocol: UDP, internalPort: 5000, lifetime: 3600, ...spec }, from);
  /** A PEER request towards PEER:3478. */
  const peer = (spec: Partial<PcpRequestSpec> = {}, from = HOST) =>
    ask(
      {
        opcode: PCP_OPCODE.Peer,
        nonce: NONCE,
        protocol: UDP,
        internalPort: 5000,
        lifetime: 600,
        remoteAddress: PEER,
        remotePort: 3478,
        ...spec,
      },
      from,
    );
  const pcpRows = () =>
    router.forwards
      .list()
      .filter((e) => e.origin === 'pcp' && e.expiresAt > clock.now())
      .map((e) => `${e.protocol} ${e.externalPort} ${e.internalClient}:${e.internalPort}`);
  return { clock, network, router, raw, rawAsk, ask, map, peer, pcpRows };
}
