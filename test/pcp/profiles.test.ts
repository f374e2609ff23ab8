/**
 * Router profiles for the mapping protocols (issue 8 item 8): each one answered through the
 * port-control dispatcher (src/pcp/port-control.ts, what UDP 5351 runs), with the mapping table
 * after each request.
 */
import { describe, expect, it } from 'vitest';
import { IP_PROTOCOL, NATPMP_OPCODE, NATPMP_RESULT, PCP_OPCODE, PCP_RESULT as R } from '../../src/constants.js';
import { startGateway } from '../../src/gateway/index.js';
import { FakeClock, SeededRng } from '../../src/nat/clock.js';
import { Network } from '../../src/nat/network.js';
import { encodeNatpmpRequest, parseNatpmpResponse } from '../../src/natpmp/codec.js';
import { answerPortControl } from '../../src/pcp/port-control.js';
import { encodePcpRequest, type PcpRequestSpec, thirdPartyOption } from '../../src/pcp/request.js';
import { parsePcpResponse } from '../../src/pcp/response.js';
import { parseScenario } from '../../src/scenario/loader.js';
import { routerProfile } from '../../src/soap/profiles.js';
import { HOST, NONCE, PEER, WAN } from './helpers.js';

function profiled(name: string) {
  const clock = new FakeClock(1_000_000);
  const network = new Network({ clock, rng: new SeededRng(3) });
  const router = network.addRouter({ id: 'r1', wan: WAN, lan: '192.168.1.0/24', mapping: { policy: routerProfile(name).router } });
  const send = (bytes: Uint8Array) => answerPortControl(bytes, { address: HOST, port: 40001 }, router, clock.now(), true);
  const pcp = (spec: Partial<PcpRequestSpec> & { opcode: number }) => {
    const a = send(encodePcpRequest({ client: HOST, ...spec }));
    if ('ignored' in a.outcome) throw new Error(`ignored: ${a.outcome.ignored}`);
    return { protocol: a.protocol, bytes: a.outcome.reply, ...(a.protocol === 'pcp' ? parsePcpResponse(a.outcome.reply) : {}) };
  };
  const pcpMap = (spec: Partial<PcpRequestSpec> = {}) =>
    pcp({ opcode: PCP_OPCODE.Map, nonce: NONCE, protocol: IP_PROTOCOL.udp, internalPort: 5000, lifetime: 3600, ...spec });
  const natpmpMap = (lifetime = 7200) => {
    const a = send(encodeNatpmpRequest({ opcode: NATPMP_OPCODE.MapUdp, internalPort: 6000, externalPort: 6000, lifetime }));
    if ('ignored' in a.outcome) throw new Error(`ignored: ${a.outcome.ignored}`);
    return parseNatpmpResponse(a.outcome.reply);
  };
  const rows = () =>
    router.forwards
      .list()
      .filter((e) => e.expiresAt > clock.now())
      .map((e) => `${e.origin} ${e.protocol} ${e.externalPort} ${e.internalClient}:${e.internalPort} ${e.leaseSeconds}s`);
  return { clock, router, send, pcp, pcpMap, natpmpMap, rows };
}

describe('mapping-protocol profiles', () => {
  it('natpmp-only: PCP gets NAT-PMP "unsupported version" (version 0, result 1); NAT-PMP maps', () => {
    const f = profiled('natpmp-only');
    const r = f.pcpMap();
    expect(r.protocol).toBe('natpmp');
    const reply = parseNatpmpResponse(r.bytes);
    expect(r.bytes[0]).toBe(0);
    expect(reply.result).toBe(NATPMP_RESULT.UnsupportedVersion);
    expect(f.rows()).toEqual([]);
    expect(f.natpmpMap().result).toBe(NATPMP_RESULT.Success);
    expect(f.rows()).toEqual(['natpmp udp 6000 192.168.1.10:6000 7200s']);
  });

  it('pcp-draft-v1: version 2 gets UNSUPP_VERSION naming 1; a version-1 MAP (no nonce) is mapped', () => {
    const f = profiled('pcp-draft-v1');
    const v2 = f.pcpMap();
    expect(v2).toMatchObject({ protocol: 'pcp', version: 1, result: R.UNSUPP_VERSION });
    expect(f.rows()).toEqual([]);
    const v1 = f.pcpMap({ version: 1, suggestedPort: 5000 });
    expect(v1).toMatchObject({ version: 1, result: R.SUCCESS, externalPort: 5000, lifetime: 3600, nonce: '' });
    expect(f.rows()).toEqual(['pcp udp 5000 192.168.1.10:5000 3600s']);
  });

  it('pcp-not-authorized: ANNOUNCE succeeds, MAP and PEER get NOT_AUTHORIZED (long error lifetime); NAT-PMP still maps', () => {
    const f = profiled('pcp-not-authorized');
    expect(f.pcp({ opcode: PCP_OPCODE.Announce })).toMatchObject({ result: R.SUCCESS, lifetime: 0 });
    expect(f.pcpMap()).toMatchObject({ result: R.NOT_AUTHORIZED, lifetime: 1800 });
    const peer = f.pcp({
      opcode: PCP_OPCODE.Peer,
      nonce: NONCE,
      protocol: IP_PROTOCOL.udp,
      internalPort: 5000,
      lifetime: 600,
      remoteAddress: PEER,
      remotePort: 3478,
    });
    expect(peer).toMatchObject({ result: R.NOT_AUTHORIZED });
    expect(f.router.listMappings(f.clock.now())).toEqual([]);
    expect(f.rows()).toEqual([]);
    expect(f.natpmpMap().result).toBe(NATPMP_RESULT.Success);
    expect(f.rows()).toEqual(['natpmp udp 6000 192.168.1.10:6000 7200s']);
  });

  it('vpn-60s: PCP and NAT-PMP grant 60 s whatever is asked, and the mappings run out after it', () => {
    const f = profiled('vpn-60s');
    expect(f.pcpMap({ lifetime: 7200 })).toMatchObject({ result: R.SUCCESS, lifetime: 60 });
    expect(f.natpmpMap(7200)).toMatchObject({ result: NATPMP_RESULT.Success, lifetime: 60 });
    expect(f.rows()).toEqual(['pcp udp 5000 192.168.1.10:5000 60s', 'natpmp udp 6000 192.168.1.10:6000 60s']);
    f.clock.advance(59_000);
    f.router.expire(f.clock.now());
    expect(f.rows()).toHaveLength(2);
    f.clock.advance(2_000);
    f.router.expire(f.clock.now());
    expect(f.rows()).toEqual([]);
    // The default profile grants what NAT-PMP asks and clamps PCP to 120 s – 1 day.
    const d = profiled('miniupnpd');
    expect(d.natpmpMap(7200).lifetime).toBe(7200);
    expect(d.pcpMap({ lifetime: 30 }).lifetime).toBe(120);
  });

  it("pcp-miniupnpd-error-lifetimes: long-lifetime errors last 0 s (the default, the RFC's 1800 s); short ones 30 s in both", () => {
    const mini = profiled('pcp-miniupnpd-error-lifetimes');
    const rfc = profiled('miniupnpd');
    for (const [f, long] of [
      [mini, 0],
      [rfc, 1800],
    ] as const) {
      expect(f.pcpMap({ protocol: 132 })).toMatchObject({ result: R.UNSUPP_PROTOCOL, lifetime: long });
      f.router.setWanUp(false, f.clock.now());
      expect(f.pcpMap()).toMatchObject({ result: R.NETWORK_FAILURE, lifetime: 30 });
    }
  });

  it('epoch-kept: the epoch runs on across a WAN address change (the default starts again at 0)', () => {
    for (const [name, after] of [
      ['epoch-kept', 100],
      ['miniupnpd', 0],
    ] as const) {
      const f = profiled(name);
      f.router.mappings.resetEpoch(f.clock.now());
      f.clock.advance(100_000);
      expect(f.pcp({ opcode: PCP_OPCODE.Announce }).epoch).toBe(100);
      f.router.setWanAddress('81.2.69.170', f.clock.now());
      expect(f.pcp({ opcode: PCP_OPCODE.Announce }).epoch).toBe(after);
      const a = f.send(encodeNatpmpRequest({ opcode: NATPMP_OPCODE.ExternalAddress }));
      if ('ignored' in a.outcome) throw new Error('ignored');
      expect(parseNatpmpResponse(a.outcome.reply)).toMatchObject({ epoch: after, address: '81.2.69.170' });
    }
  });

  it('pcp-third-party: a MAP naming another host with THIRD_PARTY maps it (the default: UNSUPP_OPTION)', () => {
    for (const [name, result, rows] of [
      ['pcp-third-party', R.SUCCESS, ['pcp udp 5000 192.168.1.77:5000 3600s']],
      ['miniupnpd', R.UNSUPP_OPTION, []],
    ] as const) {
      const f = profiled(name);
      expect(f.pcpMap({ options: [thirdPartyOption('192.168.1.77')] }).result).toBe(result);
      expect(f.rows()).toEqual(rows);
    }
  });

  it('upnp-only: neither NAT-PMP nor PCP is answered', () => {
    const f = profiled('upnp-only');
    expect(f.send(encodePcpRequest({ opcode: PCP_OPCODE.Announce, client: HOST })).outcome).toEqual({ ignored: 'not-served' });
    expect(f.send(encodeNatpmpRequest({ opcode: NATPMP_OPCODE.ExternalAddress })).outcome).toEqual({ ignored: 'not-served' });
    expect(f.rows()).toEqual([]);
  });

  it('upnp-only: the gateway binds nothing for NAT-PMP/PCP even where the scenario offers them', async () => {
    const config = parseScenario(
      `name: upnp-only
routers:
  gw: { wan: 81.2.69.160, lan: 10.7.0.0/24, profile: upnp-only, services: { upnp: true, natpmp: true, pcp: true } }
hosts:
  h: { router: gw, address: 10.7.0.2 }
`,
      'upnp-only.yaml',
    );
    {
      await using gw = await startGateway({ scenario: config, natpmp: { port: 0 }, clock: new FakeClock(0) });
      expect(gw.natpmpAddress).toBeUndefined();
      expect(gw.profile).toBe('upnp-only');
    }
    await using served = await startGateway({ scenario: config, natpmp: { port: 0 }, clock: new FakeClock(0), profile: 'miniupnpd' });
    expect(served.natpmpAddress?.port).toBeGreaterThan(0);
  });
});
