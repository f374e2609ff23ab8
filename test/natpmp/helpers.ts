/** Fixtures of the NAT-PMP tests: one router on a fake clock, and a caller of the pure server. */
import { FakeClock, SeededRng } from '../../src/nat/clock.js';
import { Network } from '../../src/nat/network.js';
import type { RouterConfig } from '../../src/nat/router.js';
import { encodeNatpmpRequest, type NatpmpResponse, parseNatpmpResponse } from '../../src/natpmp/codec.js';
import { answerNatpmp, type NatpmpOutcome } from '../../src/natpmp/responder.js';

export const WAN = '81.2.69.160';
export const HOST = '192.168.1.10';
export const OTHER = '192.168.1.11';

export function natpmpFixture(config: Partial<RouterConfig> = {}) {
  const clock = new FakeClock(5_000_000);
  const network = new Network({ clock, rng: new SeededRng(7) });
  const router = network.addRouter({ id: 'r1', wan: WAN, lan: '192.168.1.0/24', ...config });
  /** Sends raw bytes; returns the outcome. */
  const raw = (bytes: Uint8Array, from = HOST): NatpmpOutcome => answerNatpmp(bytes, { address: from, port: 40001 }, router, clock.now());
  /** Sends a request and parses the reply (throws when ignored). */
  const ask = (r: Parameters<typeof encodeNatpmpRequest>[0], from = HOST): NatpmpResponse & { outcome: NatpmpOutcome } => {
    const outcome = raw(encodeNatpmpRequest(r), from);
    if ('ignored' in outcome) throw new Error(`ignored: ${outcome.ignored}`);
    return { ...parseNatpmpResponse(outcome.reply), outcome };
  };
  const map = (protocol: 'udp' | 'tcp', internalPort: number, externalPort: number, lifetime: number, from = HOST) =>
    ask({ opcode: protocol === 'udp' ? 1 : 2, internalPort, externalPort, lifetime }, from);
  const natpmpRows = () =>
    router.forwards
      .list()
      .filter((e) => e.origin === 'natpmp' && e.expiresAt > clock.now())
      .map((e) => `${e.protocol} ${e.externalPort} ${e.internalClient}:${e.internalPort}`);
  return { clock, network, router, raw, ask, map, natpmpRows };
}
