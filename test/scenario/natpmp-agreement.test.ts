/**
 * The simulation's NAT-PMP client uses the server `natsim serve` runs: for every router profile,
 * the verdict `natsim run` gives the natpmp-map-connect probe equals what the served gateway's UDP
 * NAT-PMP server answers to the same requests (and whether its mapping lets the connection in).
 */
import { describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from '../../src/gateway/index.js';
import { FakeClock } from '../../src/nat/clock.js';
import { ep, TCP } from '../../src/nat/index.js';
import { encodeNatpmpRequest, type NatpmpResponse, parseNatpmpResponse } from '../../src/natpmp/codec.js';
import { parseScenario } from '../../src/scenario/loader.js';
import { runScenario } from '../../src/scenario/simulate.js';
import { ROUTER_PROFILES } from '../../src/soap/profiles.js';
import { udpRequest } from '../support/udp-client.js';

const scenario = (profile: string, extra = '', services = 'natpmp: true'): string => `name: natpmp agreement ${profile}
routers:
  gw: { wan: 81.2.69.160, lan: 10.7.0.0/24, services: { ${services} }, profile: ${profile}${extra} }
hosts:
  h: { router: gw, address: 10.7.0.2 }
  pub: { address: 198.51.100.50 }
checks:
  - { name: map and connect, from: pub, to: h, feature: natpmp-map-connect, expect: works }
`;

async function ask(gw: GatewayHandle, bytes: Uint8Array): Promise<NatpmpResponse> {
  return parseNatpmpResponse((await udpRequest(gw.natpmpAddress!, bytes, { noReply: 'no NAT-PMP reply' })).msg);
}

/** The probe's requests to a served gateway of this scenario (from 10.7.0.2, via loopback). */
async function served(yaml: string): Promise<'works' | 'fails'> {
  await using gw = await startGateway({ scenario: parseScenario(yaml, 'agreement.yaml'), mxDelay: 'none', clock: new FakeClock(0) });
  // A profile with nothing on the port-control port (upnp-only): no server to ask, no mapping.
  if (!gw.natpmpAddress) return 'fails';
  const ip = await ask(gw, encodeNatpmpRequest({ opcode: 0 }));
  const map = await ask(gw, encodeNatpmpRequest({ opcode: 2, internalPort: 8000, externalPort: 8000, lifetime: 7200 }));
  if (ip.result !== 0 || map.result !== 0) return 'fails';
  const syn = gw.network.send('pub', {
    proto: 'tcp',
    src: ep('198.51.100.50', 40000),
    dst: ep(ip.address!, map.externalPort!),
    flags: TCP.SYN,
  });
  return syn.delivered && syn.to === 'h' ? 'works' : 'fails';
}

const run = (yaml: string) => runScenario(parseScenario(yaml, 'agreement.yaml')).checks[0]!;

describe('natsim run and natsim serve agree on natpmp-map-connect', () => {
  for (const name of Object.keys(ROUTER_PROFILES)) {
    it(`profile ${name}`, async () => {
      const yaml = scenario(name);
      expect(run(yaml).result).toBe(await served(yaml));
    });
  }

  it('miniupnpd: the mapping works, and the simulation says how it was made', () => {
    const r = run(scenario('miniupnpd'));
    expect(r.result).toBe('works');
    expect(r.steps.map((s) => s.text)).toContain(
      'h asks its gateway gw over NAT-PMP: external address 81.2.69.160; TCP 8000 → 10.7.0.2:8000 for 7200 s',
    );
  });

  it('disconnected-wan: result 3 in both', async () => {
    const r = run(scenario('disconnected-wan'));
    expect(r.result).toBe('fails');
    expect(r.steps.map((s) => s.text)).toContain('h: NAT-PMP external address request to gw answered result 3 NetworkFailure');
    expect(await served(scenario('disconnected-wan'))).toBe('fails');
  });

  it('a rule denying port 8000: the NAT-PMP search takes 8001, and the connection still reaches h', async () => {
    const yaml = scenario('miniupnpd', ', permissions: ["deny 8000 0.0.0.0/0 0-65535", "allow 1024-65535 10.7.0.0/24 1024-65535"]');
    const r = run(yaml);
    expect(r.steps.map((s) => s.text)).toContain(
      'h asks its gateway gw over NAT-PMP: external address 81.2.69.160; TCP 8001 → 10.7.0.2:8000 for 7200 s',
    );
    expect(r.result).toBe('works');
    expect(await served(yaml)).toBe('works');
  });

  it('a router without natpmp: no answer, the probe falls back and fails', () => {
    const r = run(scenario('miniupnpd', '', 'upnp: true'));
    expect(r.result).toBe('fails');
    expect(r.steps.map((s) => s.text)).toContain('h gets no NAT-PMP answer: gw does not offer NAT-PMP');
  });
});
