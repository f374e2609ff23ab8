/**
 * The generic probes: hole-punch across NAT presets, tcp-connect, upnp-map-connect and the
 * RFC 5780-style classify probe (checked against the RFC 4787 definition of each preset).
 */
import { describe, expect, it } from 'vitest';
import { NAT_PRESETS } from '../../src/nat/policy.js';
import type { CheckResult } from '../../src/scenario/simulate.js';
import { check, playByName, stepTexts } from './helpers.js';

const PEER_REFLEXIVE = /^(\S+) received from (\S+), not the advertised (\S+): it answers the observed address \(peer-reflexive\)$/;

describe('hole-punch across NAT presets', () => {
  const r = playByName(`name: hole punching
routers:
  fc: { wan: 203.0.113.10, lan: 10.1.0.0/24, nat: full-cone }
  rc: { wan: 203.0.113.11, lan: 10.2.0.0/24, nat: restricted-cone }
  prc: { wan: 203.0.113.12, lan: 10.3.0.0/24, nat: port-restricted-cone }
  sym: { wan: 203.0.113.13, lan: 10.4.0.0/24, nat: symmetric }
  prc2: { wan: 203.0.113.14, lan: 10.5.0.0/24, nat: port-restricted-cone }
  sym2: { wan: 203.0.113.15, lan: 10.6.0.0/24, nat: symmetric }
  prc-upnp: { wan: 203.0.113.16, lan: 10.7.0.0/24, nat: port-restricted-cone, services: { upnp: true } }
  cgn: { wan: 203.0.113.20, lan: 100.64.0.0/10, nat: cgnat }
  home: { parent: cgn, wan: 100.64.0.2, lan: 192.168.1.0/24, nat: port-restricted-cone }
hosts:
  h-fc: { router: fc, address: 10.1.0.2 }
  h-rc: { router: rc, address: 10.2.0.2 }
  h-prc: { router: prc, address: 10.3.0.2 }
  h-sym: { router: sym, address: 10.4.0.2 }
  h-prc2: { router: prc2, address: 10.5.0.2 }
  h-sym2: { router: sym2, address: 10.6.0.2 }
  h-upnp: { router: prc-upnp, address: 10.7.0.2 }
  h-cgn: { router: home, address: 192.168.1.2 }
  pub: { address: 198.51.100.50 }
servers:
  rendezvous: { address: 198.51.100.5, role: signalling }
  stun: { address: 198.51.100.6, role: reflector }
checks:
  - { name: FC x SYM, from: h-fc, to: h-sym, feature: hole-punch, expect: works }
  - { name: SYM x FC, from: h-sym, to: h-fc, feature: hole-punch, expect: works }
  - { name: RC x SYM, from: h-rc, to: h-sym, feature: hole-punch, expect: works }
  - { name: PRC x PRC, from: h-prc, to: h-prc2, feature: hole-punch, expect: works }
  - { name: PRC x SYM, from: h-prc, to: h-sym, feature: hole-punch, expect: fails }
  - { name: SYM x SYM, from: h-sym, to: h-sym2, feature: hole-punch, expect: fails }
  - { name: SYM x PRC with UPnP, from: h-sym, to: h-upnp, feature: hole-punch, expect: works }
  - { name: SYM x public, from: h-sym, to: pub, feature: hole-punch, expect: works }
  - { name: carrier NAT x PRC, from: h-cgn, to: h-prc, feature: hole-punch, expect: works }
  - { name: carrier NAT x SYM, from: h-cgn, to: h-sym, feature: hole-punch, expect: fails }
`);

  it.each([
    ['FC x SYM', 'works'],
    ['SYM x FC', 'works'],
    ['RC x SYM', 'works'],
    ['PRC x PRC', 'works'],
    ['PRC x SYM', 'fails'],
    ['SYM x SYM', 'fails'],
    ['SYM x PRC with UPnP', 'works'],
    ['SYM x public', 'works'],
    ['carrier NAT x PRC', 'works'],
    ['carrier NAT x SYM', 'fails'],
  ])('%s %s', (name, result) => {
    const c = check(r, name);
    expect(c.result).toBe(result);
    expect(c.pass).toBe(true);
    if (result === 'works') {
      expect(c.reason).toMatch(
        /^selected (the (server-reflexive|host) pair \(UDP \S+ ↔ \S+\)|a peer-reflexive pair \(UDP \S+ ↔ \S+, found by the (server-reflexive|host) check: .+\)): /,
      );
      expect(c.failedAt).toBeUndefined();
    }
  });

  it('PRC × SYM fails at the symmetric NAT: its reflexive mapping only admits the reflector', () => {
    const c = check(r, 'PRC x SYM');
    expect(c.failedAt).toBe('sym');
    expect(c.reason).toMatch(
      /^no candidate pair worked and there is no relay server: the server-reflexive pair failed: UDP hole punch from h-prc to 203\.0\.113\.13:\d+: dropped at sym: mapping 203\.0\.113\.13:\d+ → 10\.4\.0\.2:40000 exists, but address-and-port-dependent filtering admits only what 10\.4\.0\.2:40000 has sent to \(198\.51\.100\.6:3478\), not endpoint 203\.0\.113\.12:40000 \(still failing after 3 rounds\)/,
    );
    expect(c.hops.at(-1)).toMatchObject({ node: 'sym', action: 'drop', code: 'filtered' });
  });

  it("SYM × SYM fails at the callee's symmetric NAT", () => {
    const c = check(r, 'SYM x SYM');
    expect(c.failedAt).toBe('sym2');
    expect(c.reason).toMatch(
      /^no candidate pair worked and there is no relay server: the server-reflexive pair failed: UDP hole punch from h-sym to 203\.0\.113\.15:\d+: dropped at sym2: /,
    );
  });

  it('carrier NAT × SYM fails at the symmetric side', () => {
    expect(check(r, 'carrier NAT x SYM').failedAt).toBe('sym');
  });

  it('symmetric × full-cone: the full-cone side answers the observed (peer-reflexive) address, ICE-like', () => {
    for (const name of ['SYM x FC', 'FC x SYM']) {
      const notes = stepTexts(check(r, name))
        .map((s) => PEER_REFLEXIVE.exec(s))
        .filter((m) => m !== null);
      expect(notes.length, name).toBe(1);
      const [, who, seen, advertised] = notes[0]!;
      expect(who).toBe('h-fc');
      expect(seen).toMatch(/^203\.0\.113\.13:\d+$/);
      expect(advertised).toMatch(/^203\.0\.113\.13:\d+$/);
      expect(seen).not.toBe(advertised);
    }
  });

  it('cone × cone needs no peer-reflexive correction', () => {
    expect(stepTexts(check(r, 'PRC x PRC')).some((s) => PEER_REFLEXIVE.test(s))).toBe(false);
  });

  it('the UPnP side advertises its mapping instead of a reflexive address', () => {
    expect(stepTexts(check(r, 'SYM x PRC with UPnP'))).toContain(
      'h-upnp advertises 203.0.113.16:40000 for UDP hole punch (external address and mapping from UPnP on prc-upnp)',
    );
  });
});

describe('tcp-connect and upnp-map-connect', () => {
  const r = playByName(`name: tcp
routers:
  prc: { wan: 203.0.113.12, lan: 10.3.0.0/24 }
  up: { wan: 203.0.113.16, lan: 10.7.0.0/24, services: { upnp: true } }
  cgn: { wan: 203.0.113.20, lan: 100.64.0.0/10, nat: cgnat }
  home: { parent: cgn, wan: 100.64.0.2, lan: 192.168.1.0/24, services: { upnp: true } }
hosts:
  h-prc: { router: prc, address: 10.3.0.2 }
  h-up: { router: up, address: 10.7.0.2 }
  h-home: { router: home, address: 192.168.1.2 }
  pub: { address: 198.51.100.50 }
servers:
  rendezvous: { address: 198.51.100.5, role: signalling }
checks:
  - { name: tcp to public, from: h-prc, to: pub, feature: tcp-connect, expect: works }
  - { name: tcp to NATed, from: pub, to: h-prc, feature: tcp-connect, expect: fails }
  - { name: tcp to double-NATed, from: pub, to: h-home, feature: tcp-connect, expect: fails }
  - { name: upnp works, from: pub, to: h-up, feature: upnp-map-connect, expect: works }
  - { name: upnp absent, from: pub, to: h-prc, feature: upnp-map-connect, expect: fails }
  - { name: upnp behind carrier NAT, from: pub, to: h-home, feature: upnp-map-connect, expect: fails }
`);

  it('tcp-connect works to a public host', () => {
    const c = check(r, 'tcp to public');
    expect(c).toMatchObject({
      result: 'works',
      pass: true,
      reason: 'every flow of tcp-connect got through both ways — direct TCP connect: h-prc → pub left through prc and reached pub directly',
    });
  });

  it('tcp-connect to a NATed host fails with no-mapping at its router', () => {
    const c = check(r, 'tcp to NATed');
    expect(c).toMatchObject({ result: 'fails', pass: true, failedAt: 'prc' });
    expect(c.hops.filter((h) => h.action === 'drop')).toEqual([
      {
        node: 'prc',
        action: 'drop',
        code: 'no-mapping',
        message: expect.stringMatching(
          /^dropped at prc: no mapping for 203\.0\.113\.12:8000 \(TCP, inbound from 198\.51\.100\.50:\d+\): nothing inside has sent to it and no port forward exists$/,
        ),
      },
    ]);
    expect(c.reason).toMatch(/^direct TCP connect: pub → 203\.0\.113\.12:8000: dropped at prc: no mapping/);
  });

  it('tcp-connect through a cascade fails at the outermost NAT', () => {
    const c = check(r, 'tcp to double-NATed');
    expect(c.failedAt).toBe('cgn');
    expect(c.hops.at(-1)).toMatchObject({ node: 'cgn', action: 'drop', code: 'no-mapping' });
  });

  it('upnp-map-connect works with services.upnp', () => {
    const c = check(r, 'upnp works');
    expect(c.result).toBe('works');
    expect(stepTexts(c)).toContain(
      'h-up asks its gateway up over UPnP: GetExternalIPAddress = 203.0.113.16; AddPortMapping TCP 8000 → 10.7.0.2:8000 succeeds',
    );
    expect(stepTexts(c)).toContain(
      'h-up advertises 203.0.113.16:8000 for TCP connect to UPnP mapping (external address and mapping from UPnP on up)',
    );
  });

  it('upnp-map-connect fails without UPnP, with no-mapping at the router', () => {
    const c = check(r, 'upnp absent');
    expect(c).toMatchObject({ result: 'fails', failedAt: 'prc' });
    expect(stepTexts(c)).toContain('h-prc finds no UPnP gateway: prc does not offer UPnP');
    expect(c.hops.at(-1)).toMatchObject({ node: 'prc', action: 'drop', code: 'no-mapping' });
  });

  it('upnp-map-connect ignores a UPnP gateway with a reserved WAN address and fails at the carrier NAT', () => {
    const c = check(r, 'upnp behind carrier NAT');
    expect(c).toMatchObject({ result: 'fails', failedAt: 'cgn' });
    expect(stepTexts(c)).toContain(
      'h-home: its UPnP gateway home reports 100.64.0.2, a reserved address — another NAT sits upstream, so a UPnP mapping would be useless; it does not use UPnP',
    );
  });
});

describe('classify (RFC 5780 tests against two reflectors)', () => {
  // RFC 4787 definitions of the classic names.
  const EXPECTED = {
    'full-cone': { mapping: 'endpoint-independent', filtering: 'endpoint-independent' },
    'restricted-cone': { mapping: 'endpoint-independent', filtering: 'address-dependent' },
    'port-restricted-cone': { mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' },
    symmetric: { mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent' },
  } as const;

  const r = playByName(`name: classify
routers:
  fc: { wan: 203.0.113.10, lan: 10.1.0.0/24, nat: full-cone }
  rc: { wan: 203.0.113.11, lan: 10.2.0.0/24, nat: restricted-cone }
  prc: { wan: 203.0.113.12, lan: 10.3.0.0/24, nat: port-restricted-cone }
  sym: { wan: 203.0.113.13, lan: 10.4.0.0/24, nat: symmetric }
  adm: { wan: 203.0.113.14, lan: 10.5.0.0/24, nat: { preset: full-cone, mapping: address-dependent } }
  cgn: { wan: 203.0.113.20, lan: 100.64.0.0/10, nat: cgnat }
  home: { parent: cgn, wan: 100.64.0.2, lan: 192.168.1.0/24, nat: port-restricted-cone }
  cgn-apdf: { wan: 203.0.113.21, lan: 100.65.0.0/16, nat: { preset: cgnat, filtering: address-and-port-dependent } }
  rc-home: { parent: cgn-apdf, wan: 100.65.0.2, lan: 192.168.2.0/24, nat: restricted-cone }
  sym-cgn: { wan: 203.0.113.22, lan: 100.66.0.0/16, nat: symmetric }
  fc-home: { parent: sym-cgn, wan: 100.66.0.2, lan: 192.168.3.0/24, nat: full-cone }
  blocked: { wan: 203.0.113.30, lan: 10.9.0.0/24, firewall: { inbound: deny, outbound: deny } }
hosts:
  h-fc: { router: fc, address: 10.1.0.2 }
  h-rc: { router: rc, address: 10.2.0.2 }
  h-prc: { router: prc, address: 10.3.0.2 }
  h-sym: { router: sym, address: 10.4.0.2 }
  h-adm: { router: adm, address: 10.5.0.2 }
  h-home: { router: home, address: 192.168.1.2 }
  h-rc-home: { router: rc-home, address: 192.168.2.2 }
  h-fc-home: { router: fc-home, address: 192.168.3.2 }
  h-blocked: { router: blocked, address: 10.9.0.2 }
  pub: { address: 198.51.100.50 }
servers:
  stun1: { address: 198.51.100.6, role: reflector }
  stun2: { address: 198.51.100.7, role: reflector }
checks:
  - { name: full-cone, from: h-fc, to: pub, feature: classify, expect: works, classification: { mapping: endpoint-independent, filtering: endpoint-independent } }
  - { name: restricted-cone, from: h-rc, to: pub, feature: classify, expect: works }
  - { name: port-restricted-cone, from: h-prc, to: pub, feature: classify, expect: works }
  - { name: symmetric, from: h-sym, to: pub, feature: classify, expect: works }
  - { name: address-dependent mapping, from: h-adm, to: pub, feature: classify, expect: works }
  - { name: PRC behind cgnat, from: h-home, to: pub, feature: classify, expect: works }
  - { name: RC behind an APDF cgnat, from: h-rc-home, to: pub, feature: classify, expect: works }
  - { name: FC behind a symmetric cgnat, from: h-fc-home, to: pub, feature: classify, expect: works }
  - { name: no NAT, from: pub, to: h-fc, feature: classify, expect: works }
  - { name: UDP blocked, from: h-blocked, to: pub, feature: classify, expect: fails }
  - { name: wrong expectation, from: h-fc, to: pub, feature: classify, expect: works, classification: { mapping: endpoint-independent, filtering: address-dependent } }
`);

  it('the presets under test are the RFC 4787 policies named here', () => {
    for (const [name, want] of Object.entries(EXPECTED)) {
      const p = NAT_PRESETS[name as keyof typeof EXPECTED].policy;
      expect({ mapping: p.mapping, filtering: p.filtering }, name).toEqual(want);
    }
  });

  it.each(Object.entries(EXPECTED))('%s is classified as its RFC 4787 definition', (name, want) => {
    const c = check(r, name);
    expect(c).toMatchObject({ result: 'works', pass: true, classification: want });
    expect(c.reason).toBe(`classified as ${want.mapping} mapping, ${want.filtering} filtering`);
    expect(c.failedAt).toBeUndefined();
  });

  it('an address-dependent mapping override is told apart from APDM (test II ≠ test I, test III = test II)', () => {
    const c = check(r, 'address-dependent mapping');
    expect(c.classification).toEqual({ mapping: 'address-dependent', filtering: 'endpoint-independent' });
    expect(stepTexts(c)).toContain(
      'mapping: test I 203.0.113.14:50000, test II 203.0.113.14:50001, test III 203.0.113.14:50001 ⇒ address-dependent',
    );
  });

  it('cascades combine: the mapping is EIM only if every layer is EIM, the filtering is the strictest layer', () => {
    // EIM ∘ EIM = EIM; filtering: APDF (home) over EIF (cgnat) = APDF
    expect(check(r, 'PRC behind cgnat').classification).toEqual({
      mapping: 'endpoint-independent',
      filtering: 'address-and-port-dependent',
    });
    // EIM ∘ EIM = EIM; filtering: ADF (home) and APDF (carrier) = APDF
    expect(check(r, 'RC behind an APDF cgnat').classification).toEqual({
      mapping: 'endpoint-independent',
      filtering: 'address-and-port-dependent',
    });
    // EIM ∘ APDM = APDM; filtering: EIF (home) and APDF (carrier) = APDF
    expect(check(r, 'FC behind a symmetric cgnat').classification).toEqual({
      mapping: 'address-and-port-dependent',
      filtering: 'address-and-port-dependent',
    });
  });

  it('a host with no NAT classifies as EIM/EIF', () => {
    expect(check(r, 'no NAT').classification).toEqual({ mapping: 'endpoint-independent', filtering: 'endpoint-independent' });
  });

  it('blocked UDP fails at the router with a clear reason', () => {
    const c = check(r, 'UDP blocked');
    expect(c).toMatchObject({ result: 'fails', pass: true, failedAt: 'blocked', reason: 'UDP to stun1 is blocked: no answer to test I' });
    expect(c.classification).toBeUndefined();
  });

  it('a wrong expected classification makes the check fail, and the reason says what was expected', () => {
    const c = check(r, 'wrong expectation');
    expect(c.result).toBe('works');
    expect(c.pass).toBe(false);
    expect(c.reason).toBe(
      'classified as endpoint-independent mapping, endpoint-independent filtering (expected endpoint-independent mapping, address-dependent filtering)',
    );
  });

  it('one reflector is not enough: fails with a clear reason and no hops', () => {
    const one = playByName(`name: classify
routers:
  prc: { wan: 203.0.113.12, lan: 10.3.0.0/24 }
hosts:
  h: { router: prc, address: 10.3.0.2 }
  pub: { address: 198.51.100.50 }
servers:
  stun1: { address: 198.51.100.6, role: reflector }
checks:
  - { name: c, from: h, to: pub, feature: classify, expect: fails }
`);
    const c: CheckResult = check(one, 'c');
    expect(c).toMatchObject({
      result: 'fails',
      pass: true,
      reason: 'classify needs two reflector servers (a primary and an alternate address)',
      hops: [],
    });
    expect(c.failedAt).toBeUndefined();
    expect(c.classification).toBeUndefined();
  });
});
