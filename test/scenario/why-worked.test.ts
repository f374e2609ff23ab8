/**
 * "Why, for successes too": a check that works says what made it work, read from the packets
 * that got through (Hop.admission, payload rewrites) and from what each side learnt — the UPnP
 * mapping used, the same gateway detected, the ALG that rewrote the SDP and the forward it opened,
 * a static forward, a firewall rule, a proxy, a reflector's view, a hairpin at the carrier NAT,
 * NAT-PMP and PCP mappings, a 1:1 entry, the peer-reflexive port learnt, keepalives.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/loader.js';
import { type CheckResult, runScenario } from '../../src/scenario/simulate.js';
import { check, playByName, ROOT } from './helpers.js';

async function shipped(file: string): Promise<Map<string, CheckResult>> {
  const r = runScenario(await loadScenarioFile(join(ROOT, 'scenarios', file)));
  return new Map(r.checks.map((c) => [c.name, c]));
}

/** The reason of a check that must work. */
function works(results: Map<string, CheckResult>, name: string): string {
  const c = check(results, name);
  expect(c.result, c.reason).toBe('works');
  return c.reason;
}

describe('application checks that work say what made them work', () => {
  it('the UPnP mapping used (wm-01): the inbound media entered home-a by alice’s mapping', async () => {
    const reason = works(await shipped('wm-01-single-upnp-nat.yaml'), 'bob calls alice (audio/video)');
    expect(reason).toBe(
      "every flow of audio and video got through both ways — SIP session (invitee → inviter, dynamic UDP port): alice → bob left through home-a and reached bob directly; audio RTP and video RTP: bob → alice entered home-a by alice's UPnP mapping; alice → bob left through home-a and reached bob directly",
    );
  });

  it('the same gateway detected (wm-03): internal addresses, one LAN, no router', async () => {
    const reason = works(await shipped('wm-03-same-upnp-gateway.yaml'), 'file transfer on the LAN');
    expect(reason).toContain(
      'carol detected the same gateway: UPnP shows alice is behind home too, so carol advertised its internal address',
    );
    expect(reason).toContain("alice → carol stayed on home's LAN, no router between them");
  });

  it('the ALG rewrote the SDP (wm-07), and the media came in by the forward it opened', async () => {
    const reason = works(await shipped('wm-07-sip-alg.yaml'), 'bob calls alice (audio/video)');
    expect(reason).toContain("SIP session (invitee → inviter, dynamic UDP port): home-a's sip ALG rewrote the addresses in alice's SDP");
    expect(reason).toContain(
      'audio RTP and video RTP: bob → alice entered home-a by the forward its ALG opened from the addresses it rewrote',
    );
  });

  it('mappings on two layers (wm-04 with PCP): the carrier’s PCP mapping is home-a’s, made for alice’s UPnP one', async () => {
    const reason = works(await shipped('wm-04-isp-nat-pcp.yaml'), 'alice sends bob a file');
    expect(reason).toBe(
      "every flow of file transfer got through both ways — file transfer (TCP 6891–6900): bob → alice entered isp-nat by home-a's PCP mapping, then entered home-a by alice's UPnP mapping",
    );
  });

  it('the H.323 ALG rewrote the H.245 (nm-03)', async () => {
    const reason = works(await shipped('nm-03-nat-firewall-outbound-only.yaml'), 'alice (inside) calls bob with audio');
    expect(reason).toContain("nat-fw's h323 ALG rewrote the addresses in alice's H.245");
    expect(reason).toContain(
      'audio RTP: alice → bob left through nat-fw and reached bob directly; bob → alice entered nat-fw by the forward its ALG opened',
    );
  });

  it('a static forwarding rule (ispq-02), and the address the server saw', async () => {
    const reason = works(await shipped('ispq-02-router-forwarding-rule.yaml'), 'audio');
    expect(reason).toBe(
      'every flow of audio got through both ways — audio (UDP 2000): pc advertised the address its server saw it connect from, with its own port; pc → pal left through home and reached pal directly; pal → pc entered home by its static port forward "iSpQ audio"',
    );
  });

  it('a firewall rule, named (wm-09); the replies of a connection are not listed as causes', async () => {
    const r = await shipped('wm-09-firewall-ports-opened.yaml');
    expect(works(r, 'remote assistance into alice')).toBe(
      'every flow of remote assistance got through both ways — remote assistance RDP (TCP 3389): bob → alice was admitted by corp-fw\'s firewall rule "remote assistance"',
    );
  });

  it('a stateful firewall admitting the media as a reply to the inside host’s own packets (ichat-02)', async () => {
    const reason = works(await shipped('ichat-02-firewall-ports.yaml'), 'call out through the opened firewall');
    expect(reason).toContain("buddy → mac-open was admitted by fw-open's firewall as a reply to mac-open's own packets");
  });

  it('the Winsock proxy (wm-14): the listener opened on the proxy, and the media came in by it', async () => {
    const reason = works(await shipped('wm-14-isa-server.yaml'), 'deployment 1: B calls A');
    expect(reason).toContain("a1's firewall client opened its listening socket on the proxy isa-1 and advertised the proxy's address");
    expect(reason).toContain('b → a1 entered isa-1 by its static port forward "proxy listener for a1"');
  });

  it('a reflector’s view (ichat-01): each side advertised its NAT’s mapping and the other’s media came in by it', async () => {
    const reason = works(await shipped('ichat-01-household-routers.yaml'), 'port-restricted router calls full-cone router');
    expect(reason).toContain("mac-ra advertised the address snatmap saw its query come from (its NAT's mapping)");
    expect(reason).toContain("mac-cone → mac-ra entered restricted-a by the mapping mac-ra's own packets had made");
  });
});

describe('inline scenarios: carrier hairpin, NAT-PMP, PCP, 1:1, public hosts', () => {
  const r = playByName(`name: why
routers:
  one: { wan: [203.0.113.60, 203.0.113.61], lan: 192.168.1.0/24, nat: { preset: one-to-one, oneToOne: [{ internal: 192.168.1.10, external: 203.0.113.61 }] } }
  cgn: { wan: 203.0.113.1, lan: 100.64.0.0/10, nat: cgnat }
  h1: { parent: cgn, wan: 100.64.0.2, lan: 192.168.2.0/24, nat: full-cone }
  h2: { parent: cgn, wan: 100.64.0.3, lan: 192.168.3.0/24, nat: full-cone }
  pm: { wan: 203.0.113.70, lan: 10.9.0.0/24, services: { natpmp: true } }
  pc: { wan: 203.0.113.71, lan: 10.8.0.0/24, services: { pcp: true } }
hosts:
  inside: { router: one, address: 192.168.1.10 }
  s1: { router: h1, address: 192.168.2.10, app: ichat-av }
  s2: { router: h2, address: 192.168.3.10, app: ichat-av }
  m: { router: pm, address: 10.9.0.2 }
  p: { router: pc, address: 10.8.0.2 }
  pub: { address: 198.51.100.50 }
  pub2: { address: 198.51.100.51 }
servers:
  rendezvous: { address: 198.51.100.5, role: signalling }
  snatmap: { address: 198.51.100.6, role: reflector }
checks:
  - { name: one to one, from: pub, to: inside, feature: tcp-connect, expect: works }
  - { name: hairpin at the carrier, from: s1, to: s2, feature: av, expect: works }
  - { name: natpmp, from: pub, to: m, feature: natpmp-map-connect, expect: works }
  - { name: pcp, from: pub, to: p, feature: pcp-map-connect, expect: works }
  - { name: public, from: pub, to: pub2, feature: tcp-connect, expect: works }
`);

  it('hairpinned at the carrier NAT, then in by the mapping of the home router', () => {
    const reason = works(r, 'hairpin at the carrier');
    expect(reason).toContain("s1 → s2 was hairpinned at cgn, then entered h2 by the mapping s2's own packets had made");
    expect(reason).toContain("s2 → s1 was hairpinned at cgn, then entered h1 by the mapping s1's own packets had made");
  });

  it('NAT-PMP and PCP mappings', () => {
    expect(works(r, 'natpmp')).toBe(
      "every flow of natpmp-map-connect got through both ways — TCP connect to NAT-PMP mapping: pub → m entered pm by m's NAT-PMP mapping",
    );
    expect(works(r, 'pcp')).toBe(
      "every flow of pcp-map-connect got through both ways — TCP connect to PCP mapping: pub → p entered pc by p's PCP mapping",
    );
  });

  it('a 1:1 NAT entry', () => {
    expect(works(r, 'one to one')).toContain('pub → inside entered one by its 1:1 NAT entry');
  });

  it('two public hosts: nothing in the way, said so', () => {
    expect(works(r, 'public')).toBe(
      'every flow of tcp-connect got through both ways — direct TCP connect: pub → pub2 went straight across the Internet, no NAT or firewall on the way',
    );
  });
});

describe('probes and timeline checks', () => {
  it('hole-punch: the symmetric NAT changed the port but the peer learnt it; hairpinned at the carrier NAT', async () => {
    const r = await shipped('nat-catalogue-hole-punch.yaml');
    expect(works(r, 'FC × SYM')).toMatch(/peer-fc-a learnt 203\.0\.113\.17:\d+, the port peer-sym-b's NAT really used, from its packet/);
    expect(works(r, 'two subscribers of one carrier NAT (hairpinning)')).toContain('hairpinned at cgn');
    expect(works(r, 'SYM × PRC with UPnP on the PRC side')).toContain("peer-prc-upnp's mapping from UPnP on prc-upnp let the peer in");
  });

  it('a reach check names the UPnP mapping or the static forward its SYN entered by (timeline-02)', async () => {
    const r = await shipped('timeline-02-reboot-upnp.yaml');
    expect(works(r, 'web server after re-mapping @ t=1 h')).toMatch(/: the SYN entered home by pc's UPnP mapping$/);
    expect(works(r, 'SSH after the reboot (static forward) @ t=1 h')).toMatch(/: the SYN entered home by its static port forward/);
  });

  it('resumed media names the mapping it entered by and the keepalives that kept it open (timeline-01)', async () => {
    const r = await shipped('timeline-01-idle-call.yaml');
    const name = [...r.keys()].find((k) => k.startsWith("bob's media after 6 minutes with keepalives"))!;
    expect(works(r, name)).toMatch(
      /the NAT state on the way is still there \(it entered home by the mapping alice's own packets had made, kept open by alice's keepalives every 25 s\)$/,
    );
  });
});
