/**
 * The simulation's PCP client uses the dispatcher `natsim serve` runs on UDP 5351: for every
 * router profile, the verdict `natsim run` gives the pcp-map-connect probe equals what the served
 * gateway answers to the same MAP over real UDP (and whether its mapping lets the connection in).
 */
import { describe, expect, it } from 'vitest';
import { IP_PROTOCOL, PCP_OPCODE, PCP_RESULT } from '../../src/constants.js';
import { type GatewayHandle, startGateway } from '../../src/gateway/index.js';
import { FakeClock } from '../../src/nat/clock.js';
import { ep, TCP } from '../../src/nat/index.js';
import { encodePcpRequest } from '../../src/pcp/request.js';
import { parsePcpResponse } from '../../src/pcp/response.js';
import { parseScenario } from '../../src/scenario/loader.js';
import { runScenario } from '../../src/scenario/simulate.js';
import { ROUTER_PROFILES } from '../../src/soap/profiles.js';
import { udpRequest } from '../support/udp-client.js';

const scenario = (profile: string): string => `name: pcp agreement ${profile}
routers:
  gw: { wan: 81.2.69.160, lan: 10.7.0.0/24, services: { natpmp: true, pcp: true }, profile: ${profile} }
hosts:
  h: { router: gw, address: 10.7.0.2 }
  pub: { address: 198.51.100.50 }
checks:
  - { name: map and connect, from: pub, to: h, feature: pcp-map-connect, expect: works }
`;

async function ask(gw: GatewayHandle, bytes: Uint8Array): Promise<Buffer> {
  return (await udpRequest(gw.natpmpAddress!, bytes)).msg;
}

/** The probe's MAP to a served gateway of this scenario (from 10.7.0.2, via loopback), then a SYN from pub. */
async function served(yaml: string): Promise<'works' | 'fails'> {
  await using gw = await startGateway({ scenario: parseScenario(yaml, 'agreement.yaml'), mxDelay: 'none', clock: new FakeClock(0) });
  if (!gw.natpmpAddress) return 'fails';
  const msg = await ask(
    gw,
    encodePcpRequest({
      opcode: PCP_OPCODE.Map,
      lifetime: 7200,
      client: '10.7.0.2',
      nonce: '0a07000206001f4000000000',
      protocol: IP_PROTOCOL.tcp,
      internalPort: 8000,
      suggestedPort: 8000,
    }),
  );
  if (msg[0] === 0) return 'fails'; // NAT-PMP's "unsupported version"
  const r = parsePcpResponse(msg);
  if (r.result !== PCP_RESULT.SUCCESS || r.externalAddress?.kind !== 'ipv4') return 'fails';
  const syn = gw.network.send('pub', {
    proto: 'tcp',
    src: ep('198.51.100.50', 40000),
    dst: ep(r.externalAddress.address, r.externalPort!),
    flags: TCP.SYN,
  });
  return syn.delivered && syn.to === 'h' ? 'works' : 'fails';
}

const run = (yaml: string) => runScenario(parseScenario(yaml, 'agreement.yaml')).checks[0]!;

describe('natsim run and natsim serve agree on pcp-map-connect', () => {
  const verdicts: Record<string, string> = {};
  for (const name of Object.keys(ROUTER_PROFILES)) {
    it(`profile ${name}`, async () => {
      const yaml = scenario(name);
      const simulated = run(yaml).result;
      expect(simulated).toBe(await served(yaml));
      verdicts[name] = simulated;
    });
  }

  // lease-rejected and permanent-only refuse any non-zero lifetime, whichever protocol asks (the router half of the profile).
  it('the profiles that refuse PCP fail, the others work', () => {
    const failing = Object.entries(verdicts)
      .filter(([, v]) => v === 'fails')
      .map(([k]) => k)
      .sort();
    expect(failing).toEqual([
      'disconnected-wan',
      'lease-rejected',
      'natpmp-only',
      'pcp-draft-v1',
      'pcp-not-authorized',
      'permanent-only',
      'upnp-only',
    ]);
  });
});
