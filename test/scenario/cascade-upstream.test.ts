/**
 * Mapping on every layer of a cascade: a home router behind a carrier NAT that offers PCP relays
 * the mappings its LAN asks for to the carrier (RFC 6970's IGD-PCP interworking function), as real
 * PCP datagrams through the model to the carrier's PCP server, so the Internet reaches the LAN
 * host through both NATs. Lifetimes, deletes and refusals follow.
 */
import { describe, expect, it } from 'vitest';
import { IP_PROTOCOL, PCP_OPCODE, PCP_RESULT } from '../../src/constants.js';
import { ep } from '../../src/nat/address.js';
import type { ModelEvent } from '../../src/nat/events.js';
import { TCP } from '../../src/nat/packet.js';
import { encodePcpRequest } from '../../src/pcp/request.js';
import { parsePcpResponse } from '../../src/pcp/response.js';
import { buildNetwork } from '../../src/scenario/build.js';
import { formatIssue } from '../../src/scenario/errors.js';
import { checkScenarioText, parseScenario } from '../../src/scenario/loader.js';
import { InProcessPcpClient } from '../../src/scenario/pcp-client.js';
import { InProcessUpnpClient, igdOf } from '../../src/scenario/upnp-client.js';
import { addAnyPortMappingRequest, deletePortMappingRequest } from '../../src/soap/client-requests.js';
import { play, stepTexts } from './helpers.js';

/** The carrier lets its subscribers map external ports 1024–65535 to any internal port. */
const CARRIER_RULES = 'permissions: ["allow 1024-65535 100.64.0.0/10 1-65535", "deny 0-65535 0.0.0.0/0 0-65535"]';

const cascade = (home: string, isp = `services: { pcp: true }, ${CARRIER_RULES}`): string => `name: cascade
routers:
  isp: { wan: 203.0.113.1, lan: 100.64.0.0/10, nat: cgnat, ${isp} }
  home: { parent: isp, wan: 100.64.0.2, lan: 192.168.1.0/24, services: { upnp: true }, ${home} }
hosts:
  pc: { router: home, address: 192.168.1.10 }
  other: { router: isp, address: 100.64.0.9 }
  visitor: { address: 198.51.100.20 }
checks:
  - { name: visitor reaches pc, from: visitor, to: pc, feature: upnp-map-connect, expect: works }
`;

const IWF = 'upstream: { pcp: iwf }';

function setup(home = IWF, isp?: string) {
  const config = parseScenario(isp === undefined ? cascade(home) : cascade(home, isp));
  const { net, clock } = buildNetwork(config);
  const upnp = new InProcessUpnpClient(igdOf(net, config, 'home'), '192.168.1.10');
  const add = (externalPort: number, leaseDuration = 3600, internalPort = externalPort) =>
    upnp.addPortMapping({ protocol: 'TCP', externalPort, internalPort, internalClient: '192.168.1.10', description: 'web', leaseDuration });
  const at = (rid: string) =>
    net
      .router(rid)
      .mappings.managed(clock.now())
      .map((e) => `${e.origin} ${e.protocol} ${e.externalPort} → ${e.internalClient}:${e.internalPort} ${e.leaseSeconds}s`);
  const syn = (port: number) =>
    net.send('visitor', { proto: 'tcp', src: ep('198.51.100.20', 40000), dst: ep('203.0.113.1', port), flags: TCP.SYN });
  return { config, net, clock, upnp, add, at, syn };
}

/** Another subscriber of the carrier (100.64.0.9) maps TCP `port` there first. */
function holdAtIsp(net: ReturnType<typeof setup>['net'], now: number, port: number): void {
  const r = net.router('isp').mappings.request(
    {
      requester: '100.64.0.9',
      protocol: 'tcp',
      internalClient: '100.64.0.9',
      internalPort: port,
      externalPort: port,
      lifetime: 3600,
      origin: 'pcp',
    },
    now,
  );
  expect(r.ok).toBe(true);
}

describe('a home router relaying UPnP mappings to a PCP carrier (IGD-PCP IWF, RFC 6970)', () => {
  it('AddPortMapping maps at the carrier too, over PCP through the model; a SYN from the Internet reaches the LAN host', () => {
    const { upnp, add, at, syn, net } = setup();
    const events: ModelEvent[] = [];
    net.events.onAny((e) => events.push(e));
    expect(add(8080).ok).toBe(true);
    expect(at('home')).toEqual(['upnp tcp 8080 → 192.168.1.10:8080 3600s']);
    expect(at('isp')).toEqual(['pcp tcp 8080 → 100.64.0.2:8080 3600s']);
    // Both mappings are on the event stream, and the PCP request and answer are packets of the model.
    expect(
      events.filter((e) => e.type === 'mapping-created').map((e) => `${e.router} ${e.type === 'mapping-created' && e.origin}`),
    ).toEqual(['home upnp', 'isp pcp']);
    const packets = events.flatMap((e) => (e.type === 'packet-delivered' ? [`${e.from} → ${e.to}`] : []));
    expect(packets).toEqual(['router:home → router:isp', 'router:isp → router:home']);
    expect(upnp.externalAddress()).toEqual({ ok: true, address: '203.0.113.1' });
    const d = syn(8080);
    expect(d.to).toBe('pc');
    expect(d.hops.map((h) => `${h.node}:${h.code}`)).toEqual(['isp:port-forward', 'home:port-forward', 'pc:delivered']);
  });

  it('GetExternalIPAddress before any mapping asks the carrier with a short MAP of the discard port', () => {
    const { upnp, at } = setup();
    expect(upnp.externalAddress()).toEqual({ ok: true, address: '203.0.113.1' });
    // Asked 30 s, granted the carrier's shortest, 120 s.
    expect(at('isp')).toEqual(['pcp udp 1024 → 100.64.0.2:9 120s']);
  });

  it("where the carrier's rules refuse that MAP, the home router reports its own address, as a plain IGD", () => {
    const { upnp } = setup(IWF, 'services: { pcp: true }');
    expect(upnp.externalAddress()).toEqual({ ok: true, address: '100.64.0.2' });
  });

  it('the probe works through both NATs; without the relay it fails, UPnP reaching only the home router', () => {
    const works = play(cascade(IWF)).checks[0]!;
    expect(works.result).toBe('works');
    expect(stepTexts(works)).toEqual(
      expect.arrayContaining([
        "home's PCP MAP TCP 100.64.0.2:8000 (suggesting 8000, 604800 s, PREFER_FAILURE): 100.64.0.2:5350 → 100.64.0.1:5351 — delivered to router:isp",
        'isp maps TCP 203.0.113.1:8000 → 100.64.0.2:8000 for 86400 s for home: home made the mapping upstream too, over PCP',
        "isp's PCP answer (SUCCESS: 203.0.113.1:8000 for 86400 s): 100.64.0.1:5351 → 100.64.0.2:5350 — delivered to router:home",
        'pc advertises 203.0.113.1:8000 for TCP connect to UPnP mapping (external address and mapping from UPnP on home, which home made at isp too over PCP)',
      ]),
    );
    // The PCP datagrams are packet steps: the request reached isp's own socket, the answer home's.
    const pcp = works.steps.filter((s) => s.delivery && s.from === 'home');
    expect(pcp.map((s) => s.delivery!.hops.map((h) => `${h.node}:${h.code}`).join(' '))).toEqual(['isp:to-router', 'isp:to-router']);
    const without = play(cascade('nat: port-restricted-cone')).checks[0]!;
    expect(without.result).toBe('fails');
  });

  it('a port the carrier cannot give: 718 (CANNOT_PROVIDE_EXTERNAL, AddPortMapping asks with PREFER_FAILURE), nothing kept locally', () => {
    const { net, clock, add, at } = setup();
    // Another subscriber of the carrier holds TCP 8080 there.
    holdAtIsp(net, clock.now(), 8080);
    const r = add(8080);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.code).toBe(718);
    expect(at('home')).toEqual([]);
    expect(add(8081).ok).toBe(true);
  });

  it('the carrier refusing (NOT_AUTHORIZED) is 606; its rules denying the port (PREFER_FAILURE) 718', () => {
    const refused = setup(IWF, `services: { pcp: true }, profile: pcp-not-authorized, ${CARRIER_RULES}`);
    const r = refused.add(8080);
    expect(!r.ok && r.code).toBe(606);
    expect(refused.at('home')).toEqual([]);
    const denied = setup(IWF, 'services: { pcp: true }, permissions: ["deny 0-65535 0.0.0.0/0 0-65535"]');
    const d = denied.add(8080);
    expect(!d.ok && d.code).toBe(718);
    expect(denied.at('home')).toEqual([]);
  });

  it('AddAnyPortMapping answers the port the carrier assigned', () => {
    const { net, clock, upnp, at } = setup();
    holdAtIsp(net, clock.now(), 8080);
    const r = upnp.send(
      addAnyPortMappingRequest(upnp.serviceType, {
        protocol: 'TCP',
        externalPort: 8080,
        internalPort: 8080,
        internalClient: '192.168.1.10',
        description: 'any',
        leaseDuration: 3600,
      }),
    );
    expect(r.ok && r.args.get('NewReservedPort')).toBe('8081');
    expect(at('isp')).toContain('pcp tcp 8081 → 100.64.0.2:8080 3600s');
  });

  it('DeletePortMapping deletes the carrier mapping too (MAP with lifetime 0)', () => {
    const { upnp, add, at } = setup();
    add(8080);
    const r = upnp.send(deletePortMappingRequest(upnp.serviceType, { protocol: 'TCP', externalPort: 8080 }));
    expect(r.ok).toBe(true);
    expect(at('home')).toEqual([]);
    expect(at('isp')).toEqual([]);
  });

  it('a lease running out at home deletes the carrier mapping; a permanent one is renewed at the carrier while it lives', () => {
    const { net, clock, add, at, syn } = setup();
    add(8080, 600);
    add(9090, 0); // IGDv2 clamps 0 to a week at home; the carrier grants at most a day
    expect(at('isp')).toEqual(['pcp tcp 8080 → 100.64.0.2:8080 600s', 'pcp tcp 9090 → 100.64.0.2:9090 86400s']);
    clock.advance(601_000);
    net.expire();
    expect(at('home')).toEqual(['upnp tcp 9090 → 192.168.1.10:9090 604800s']);
    expect(at('isp').map((l) => l.split(' ').slice(0, 5).join(' '))).toEqual(['pcp tcp 9090 → 100.64.0.2:9090']);
    // Three days on: renewed every half day, so the Internet still reaches pc.
    clock.advance(3 * 86400_000);
    net.expire();
    expect(at('isp').map((l) => l.split(' ').slice(0, 5).join(' '))).toEqual(['pcp tcp 9090 → 100.64.0.2:9090']);
    expect(syn(9090).to).toBe('pc');
  });

  it('a carrier reboot loses its mapping; the home router asks again at once (what ANNOUNCE tells it)', () => {
    const { net, clock, add, at, syn } = setup();
    add(8080);
    net.router('isp').reboot(clock.now());
    expect(at('isp')).toEqual(['pcp tcp 8080 → 100.64.0.2:8080 3600s']);
    expect(syn(8080).to).toBe('pc');
  });

  it('a home reboot forgets the relayed mappings without deleting them; the carrier lets them run out', () => {
    const { net, clock, add, at } = setup();
    add(8080);
    net.router('home').reboot(clock.now());
    expect(at('home')).toEqual([]);
    expect(at('isp')).toEqual(['pcp tcp 8080 → 100.64.0.2:8080 3600s']);
  });

  it('with no PCP at the carrier the mapping stays local, as without the relay', () => {
    const { add, at, upnp } = setup(IWF, 'services: { upnp: true }');
    expect(add(8080).ok).toBe(true);
    expect(at('home')).toEqual(['upnp tcp 8080 → 192.168.1.10:8080 3600s']);
    expect(at('isp')).toEqual([]);
    expect(upnp.externalAddress()).toEqual({ ok: true, address: '100.64.0.2' });
  });
});

describe('upstream: in a scenario file', () => {
  const issues = (text: string) => checkScenarioText(text, 'x.yaml').issues.map((i) => formatIssue(i));

  it('needs a parent router; a parent that offers no PCP is a warning; a bad mode names the good ones', () => {
    expect(
      issues(`name: x
routers:
  isp: { wan: 203.0.113.1, lan: 100.64.0.0/10, upstream: { pcp: iwf } }
  home: { parent: isp, wan: 100.64.0.2, lan: 192.168.1.0/24, upstream: { pcp: [iwf, proxy] } }
  flat: { parent: isp, wan: 100.64.0.3, lan: 192.168.2.0/24, upstream: { pcp: igd } }
hosts: {}
`),
    ).toEqual([
      'x.yaml:3:58: routers.isp.upstream: isp relays its mappings upstream over PCP, but its parent is the Internet: there is no router to ask (give it a parent router)',
      'x.yaml:4:72: warning: routers.home.upstream: home relays its mappings to isp over PCP, but isp does not offer PCP (services: { pcp: true }): nothing upstream answers, so its mappings stay local',
      'x.yaml:5:79: routers.flat.upstream.pcp: expected one of "iwf", "proxy" or a list, got "igd" (did you mean "iwf"?)',
    ]);
  });
});

describe('a home router proxying PCP to a PCP carrier (RFC 7648)', () => {
  const proxied = (home: string, isp = `services: { pcp: true }, ${CARRIER_RULES}`): string => `name: proxy
routers:
  isp: { wan: 203.0.113.1, lan: 100.64.0.0/10, nat: cgnat, ${isp} }
  home: { parent: isp, wan: 100.64.0.2, ${home} }
hosts:
  pc: { router: home, address: 192.168.1.10 }
  visitor: { address: 198.51.100.20 }
checks:
  - { name: visitor reaches pc, from: visitor, to: pc, feature: pcp-map-connect, expect: works }
`;
  const NAT_HOME = 'lan: 192.168.1.0/24, services: { pcp: true }, upstream: { pcp: proxy }';

  it("pc's PCP MAP on home is made at isp too; the answer carries isp's address and port; the probe works", () => {
    const c = play(proxied(NAT_HOME)).checks[0]!;
    expect(c.result).toBe('works');
    expect(stepTexts(c)).toEqual(
      expect.arrayContaining([
        'pc asks its gateway home over PCP: MAP TCP 8000 → 203.0.113.1:8000 for 7200 s',
        'isp maps TCP 203.0.113.1:8000 → 100.64.0.2:8000 for 7200 s for home: home made the mapping upstream too, over PCP',
        'pc advertises 203.0.113.1:8000 for TCP connect to PCP mapping (external address and mapping from PCP on home, which home proxied to isp)',
      ]),
    );
    // Without the proxy, the MAP answers home's own shared-space address, which the probe knows leads nowhere.
    const alone = play(proxied('lan: 192.168.1.0/24, services: { pcp: true }')).checks[0]!;
    expect(alone.result).toBe('fails');
    expect(stepTexts(alone)).toContain(
      'pc: its PCP server home maps on 100.64.0.2, a reserved address — another NAT sits upstream; it does not use the mapping',
    );
  });

  it('three layers: a carrier proxying to the next carrier; the Internet reaches pc through three NATs', () => {
    const c = play(`name: three layers
routers:
  tier2: { wan: 198.51.100.1, lan: 100.100.0.0/16, nat: cgnat, services: { pcp: true }, permissions: ["allow 1024-65535 100.100.0.0/16 1-65535"] }
  isp: { parent: tier2, wan: 100.100.0.2, lan: 100.64.0.0/16, nat: cgnat, services: { pcp: true }, upstream: { pcp: proxy }, ${CARRIER_RULES} }
  home: { parent: isp, wan: 100.64.0.2, lan: 192.168.1.0/24, services: { upnp: true }, upstream: { pcp: iwf } }
hosts:
  pc: { router: home, address: 192.168.1.10 }
  visitor: { address: 203.0.113.20 }
checks:
  - { name: visitor reaches pc, from: visitor, to: pc, feature: upnp-map-connect, expect: works }
`).checks[0]!;
    expect(c.result).toBe('works');
    expect(stepTexts(c)).toEqual(
      expect.arrayContaining([
        'pc asks its gateway home over UPnP: GetExternalIPAddress = 198.51.100.1; AddPortMapping TCP 8000 → 192.168.1.10:8000 succeeds',
        'isp maps TCP 100.100.0.2:8000 → 100.64.0.2:8000 for 86400 s for home: home made the mapping upstream too, over PCP',
        "isp's PCP MAP TCP 100.100.0.2:8000 (suggesting 8000, 86400 s, PREFER_FAILURE): 100.100.0.2:5350 → 100.100.0.1:5351 — delivered to router:tier2",
        'tier2 maps TCP 198.51.100.1:8000 → 100.100.0.2:8000 for 86400 s for isp: isp made the mapping upstream too, over PCP',
        "isp's PCP answer (SUCCESS: 198.51.100.1:8000 for 86400 s): 100.64.0.1:5351 → 100.64.0.2:5350 — delivered to router:home",
      ]),
    );
    const syn = c.steps.find((s) => s.delivery?.to === 'pc')!;
    expect(syn.delivery!.hops.map((h) => `${h.node}:${h.code}`)).toEqual([
      'tier2:port-forward',
      'isp:port-forward',
      'home:port-forward',
      'pc:delivered',
    ]);
  });

  it("the carrier's refusal is relayed as its own result code; a delete (lifetime 0) deletes upstream too", () => {
    const config = parseScenario(proxied(NAT_HOME, `services: { pcp: true }, profile: pcp-not-authorized`));
    const { net, clock } = buildNetwork(config);
    const client = new InProcessPcpClient(net.router('home'), clock, '192.168.1.10', true, true);
    expect(client.map('tcp', 8000, 600)).toMatchObject({ ok: false, kind: 'pcp-error', result: PCP_RESULT.NOT_AUTHORIZED });
    expect(net.router('home').mappings.managed(clock.now())).toEqual([]);

    const ok = buildNetwork(parseScenario(proxied(NAT_HOME)));
    const pc = new InProcessPcpClient(ok.net.router('home'), ok.clock, '192.168.1.10', true, true);
    expect(pc.map('udp', 9000, 600)).toMatchObject({ ok: true, externalAddress: '203.0.113.1', externalPort: 9000, lifetime: 600 });
    expect(
      ok.net
        .router('isp')
        .mappings.managed(ok.clock.now())
        .map((e) => `${e.internalClient}:${e.internalPort}`),
    ).toEqual(['100.64.0.2:9000']);
    expect(pc.map('udp', 9000, 0)).toMatchObject({ ok: true, lifetime: 0 });
    expect(ok.net.router('isp').mappings.managed(ok.clock.now())).toEqual([]);
  });

  it('a home router without NAT asks with THIRD_PARTY for the LAN host itself, where the carrier allows it', () => {
    const plain = 'lan: 10.1.0.0/24, nat: none, services: { pcp: true }, upstream: { pcp: proxy }';
    const hosts = (yaml: string) => yaml.replace('192.168.1.10', '10.1.0.10');
    const allowed = hosts(
      proxied(plain, 'services: { pcp: true }, profile: pcp-third-party, permissions: ["allow 1024-65535 10.1.0.0/24 1024-65535"]'),
    );
    const c = play(allowed).checks[0]!;
    expect(c.result).toBe('works');
    expect(stepTexts(c)).toEqual(
      expect.arrayContaining([
        "home's PCP MAP TCP 10.1.0.10:8000 (THIRD_PARTY, suggesting 8000, 7200 s): 100.64.0.2:5350 → 100.64.0.1:5351 — delivered to router:isp",
        'isp maps TCP 203.0.113.1:8000 → 10.1.0.10:8000 for 7200 s for home: home made the mapping upstream too, over PCP',
      ]),
    );
    const d = c.steps.find((s) => s.delivery?.delivered && s.delivery.to === 'pc')!;
    expect(d.delivery!.hops.map((h) => `${h.node}:${h.code}`)).toEqual(['isp:port-forward', 'home:routed', 'pc:delivered']);
    // A carrier without THIRD_PARTY answers UNSUPP_OPTION, which reaches pc: nothing is mapped.
    const refused = play(hosts(proxied(plain, `services: { pcp: true }, ${CARRIER_RULES}`))).checks[0]!;
    expect(refused.result).toBe('fails');
    expect(stepTexts(refused)).toContain('pc: PCP MAP of TCP 8000 on home: result 5 UNSUPP_OPTION');
  });
});

describe('a carrier answering PCP from the hosts and routers on its LAN', () => {
  it('a host behind the home NAT asking the carrier directly gets ADDRESS_MISMATCH: a NAT sits between', () => {
    const { net } = buildNetwork(parseScenario(cascade('nat: port-restricted-cone')));
    const request = encodePcpRequest({
      opcode: PCP_OPCODE.Map,
      lifetime: 600,
      client: '192.168.1.10',
      nonce: '0102030405060708090a0b0c',
      protocol: IP_PROTOCOL.tcp,
      internalPort: 8000,
    });
    const x = net.exchange('pc', { proto: 'udp', src: ep('192.168.1.10', 40000), dst: ep('100.64.0.1', 5351), data: request });
    expect(x.request.hops.map((h) => `${h.node}:${h.code}`)).toEqual(['home:new-mapping', 'isp:to-router']);
    expect(x.reply?.hops.map((h) => `${h.node}:${h.code}`)).toEqual(['home:mapped', 'pc:delivered']);
    expect(parsePcpResponse(x.answer!).result).toBe(PCP_RESULT.ADDRESS_MISMATCH);
  });

  it('a host on its own LAN maps there directly', () => {
    const { net, clock } = buildNetwork(parseScenario(cascade('nat: port-restricted-cone')));
    const other = new InProcessPcpClient(net.router('isp'), clock, '100.64.0.9', true, true);
    expect(other.map('tcp', 8000, 600)).toMatchObject({ ok: true, externalAddress: '203.0.113.1', externalPort: 8000 });
  });
});
