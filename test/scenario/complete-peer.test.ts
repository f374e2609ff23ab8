/**
 * The complete peer (probe hole-punch): candidate pairs checked in priority order as packets —
 * host ↔ host, server-reflexive ↔ server-reflexive, then a TURN-like relay — and the report of
 * the pair selected, why it worked and why the others failed.
 */
import { describe, expect, it } from 'vitest';
import { ep } from '../../src/nat/address.js';
import { buildNetwork } from '../../src/scenario/build.js';
import { parseScenario } from '../../src/scenario/loader.js';
import { check, playByName, stepTexts } from './helpers.js';

const LAN = `name: one LAN
routers:
  flat: { wan: 203.0.113.10, lan: 10.1.0.0/24, nat: { preset: port-restricted-cone, hairpinning: false } }
hosts:
  alice: { router: flat, address: 10.1.0.2 }
  bob: { router: flat, address: 10.1.0.3 }
servers:
  stun: { address: 198.51.100.6, role: reflector }
`;

describe('host candidates', () => {
  const r = playByName(`name: host candidates
routers:
  flat: { wan: 203.0.113.10, lan: 10.1.0.0/24, nat: { preset: port-restricted-cone, hairpinning: false } }
  cgn: { wan: 203.0.113.20, lan: 100.64.0.0/10, nat: cgnat }
  home-a: { parent: cgn, wan: 100.64.0.2, lan: 192.168.1.0/24, nat: { preset: port-restricted-cone, hairpinning: false } }
  home-b: { parent: cgn, wan: 100.64.0.3, lan: 192.168.2.0/24, nat: { preset: port-restricted-cone, hairpinning: false } }
  open-a: { wan: 203.0.113.30, lan: 198.18.1.0/24, nat: open }
  open-b: { wan: 203.0.113.31, lan: 198.18.2.0/24, nat: open }
hosts:
  alice: { router: flat, address: 10.1.0.2 }
  bob: { router: flat, address: 10.1.0.3 }
  carol: { router: home-a, address: 192.168.1.2 }
  dave: { router: home-b, address: 192.168.2.2 }
  erin: { router: cgn, address: 100.64.0.50 }
  frank: { router: cgn, address: 100.64.0.51 }
  gina: { router: open-a, address: 198.18.1.2 }
  hank: { router: open-b, address: 198.18.2.2 }
servers:
  rendezvous: { address: 198.51.100.5, role: signalling }
  stun: { address: 198.51.100.6, role: reflector }
checks:
  - { name: one LAN, from: alice, to: bob, feature: hole-punch, expect: works }
  - { name: two homes behind one carrier NAT, from: carol, to: dave, feature: hole-punch, expect: works }
  - { name: one carrier LAN, from: erin, to: frank, feature: hole-punch, expect: works }
  - { name: routed realm, from: gina, to: hank, feature: hole-punch, expect: works }
`);

  it('two peers on one LAN behind a non-hairpinning NAT connect by host candidate, on the LAN', () => {
    const c = check(r, 'one LAN');
    expect(c.result).toBe('works');
    expect(c.pass).toBe(true);
    expect(c.reason).toBe(
      "selected the host pair (UDP 10.1.0.2:40000 ↔ 10.1.0.3:40000): same LAN: the host candidates reach each other directly on flat's LAN, no NAT involved",
    );
    const punches = c.steps.filter((s) => s.delivery && /^UDP hole punch/.test(s.text));
    expect(punches.length).toBeGreaterThan(0);
    for (const s of punches) expect(s.delivery!.hops.map((h) => h.code)).toEqual(['same-lan']);
    // The reflexive pair was never needed (it would hairpin, which flat refuses).
    expect(stepTexts(c).some((t) => t.startsWith('checking the server-reflexive pair'))).toBe(false);
  });

  it("the reflexive candidate alone would fail there: bob's advertised address hairpins, which flat refuses", () => {
    const c = check(r, 'one LAN');
    const m = /^bob advertises (203\.0\.113\.10):(\d+) /.exec(stepTexts(c).find((t) => t.startsWith('bob advertises'))!);
    expect(m).not.toBeNull();
    const { net } = buildNetwork(parseScenario(LAN, 'lan.yaml'));
    net.send('bob', { proto: 'udp', src: ep('10.1.0.3', 40000), dst: ep('198.51.100.6', 3478) });
    const d = net.send('alice', { proto: 'udp', src: ep('10.1.0.2', 40000), dst: ep(m![1]!, Number(m![2])) });
    expect(d.delivered).toBe(false);
    expect(d.drop).toMatchObject({ node: 'flat', code: 'hairpin-disabled' });
  });

  it('two homes behind one carrier NAT: host candidates fail (private, unrouted), the reflexive pair hairpins at the carrier', () => {
    const c = check(r, 'two homes behind one carrier NAT');
    expect(c.result).toBe('works');
    expect(c.reason).toMatch(
      /^selected the server-reflexive pair \(UDP 203\.0\.113\.20:\d+ ↔ 203\.0\.113\.20:\d+\): hairpinned at cgn \(the NAT turned the packets back into its own LAN\); before it, the host pair failed: UDP hole punch from carol to 192\.168\.2\.2:40000: dropped on the Internet: no route to 192\.168\.2\.2 /,
    );
  });

  it('peers on one carrier LAN (one address realm) connect by host candidate', () => {
    const c = check(r, 'one carrier LAN');
    expect(c.reason).toBe(
      "selected the host pair (UDP 100.64.0.50:40000 ↔ 100.64.0.51:40000): same LAN: the host candidates reach each other directly on cgn's LAN, no NAT involved",
    );
  });

  it('routable host addresses behind routers without NAT: the host pair, forwarded without translation', () => {
    const c = check(r, 'routed realm');
    expect(c.reason).toBe(
      'selected the host pair (UDP 198.18.1.2:40000 ↔ 198.18.2.2:40000): the host addresses are routable between them (open-a, open-b forwarded without translating)',
    );
  });
});

describe('peer-reflexive candidates (RFC 8445 §7.3.1.3)', () => {
  const r = playByName(`name: peer-reflexive
routers:
  fc: { wan: 203.0.113.10, lan: 10.1.0.0/24, nat: full-cone }
  sym: { wan: 203.0.113.20, lan: 10.2.0.0/24, nat: symmetric }
hosts:
  f: { router: fc, address: 10.1.0.2 }
  s: { router: sym, address: 10.2.0.2 }
  pub: { address: 198.51.100.50 }
servers:
  rendezvous: { address: 198.51.100.5, role: signalling }
  stun: { address: 198.51.100.6, role: reflector }
checks:
  - { name: fc x sym, from: f, to: s, feature: hole-punch, expect: works }
  - { name: sym x public, from: s, to: pub, feature: hole-punch, expect: works }
  - { name: naive fc x sym, from: f, to: s, feature: hole-punch-naive, expect: fails }
`);

  it("a check from an unadvertised source becomes the selected pair: the symmetric side's real port, learnt from its packet", () => {
    const c = check(r, 'fc x sym');
    const m =
      /^selected a peer-reflexive pair \(UDP 203\.0\.113\.10:40000 ↔ 203\.0\.113\.20:(\d+), found by the server-reflexive check: s was checked at 203\.0\.113\.20:(\d+)\): f learnt 203\.0\.113\.20:(\d+), the port s's NAT really used/.exec(
        c.reason,
      );
    expect(m, c.reason).not.toBeNull();
    const [, used, advertised, learnt] = m!;
    expect(used).toBe(learnt);
    expect(used).not.toBe(advertised);
    // The pair is real: s's packets to f leave from that port and f's packets to it reach s.
    const punches = c.steps.filter((x) => x.delivery?.delivered && x.text.startsWith('UDP hole punch'));
    expect(punches.some((x) => x.from === 's' && x.delivery!.packet.src.port === Number(used))).toBe(true);
    expect(punches.some((x) => x.from === 'f' && x.delivery!.hops[0]!.before.dst.port === Number(used) && x.delivery!.to === 's')).toBe(
      true,
    );
  });

  it("a host check to a public peer arrives from the NAT's address: the peer-reflexive pair found by the host check", () => {
    expect(check(r, 'sym x public').reason).toMatch(
      /^selected a peer-reflexive pair \(UDP 203\.0\.113\.20:\d+ ↔ 198\.51\.100\.50:40000, found by the host check: s was checked at 10\.2\.0\.2:40000\): pub learnt 203\.0\.113\.20:\d+/,
    );
  });

  it('the naive peer never adds one, and fails', () => {
    const c = check(r, 'naive fc x sym');
    expect(c.result).toBe('fails');
    expect(c.reason).not.toMatch(/peer-reflexive/);
  });
});

describe('the relayed pair (role: relay, TURN-like)', () => {
  const base = `routers:
  sym-a: { wan: 203.0.113.13, lan: 10.4.0.0/24, nat: symmetric }
  sym-b: { wan: 203.0.113.17, lan: 10.8.0.0/24, nat: symmetric }
  prc-a: { wan: 203.0.113.12, lan: 10.3.0.0/24, nat: port-restricted-cone }
  prc-b: { wan: 203.0.113.16, lan: 10.7.0.0/24, nat: port-restricted-cone }
  walled:
    wan: 203.0.113.30
    lan: 10.9.0.0/24
    nat: symmetric
    firewall: { inbound: deny, rules: [{ action: deny, direction: out, protocol: udp, to: 198.51.100.7/32 }] }
hosts:
  a: { router: sym-a, address: 10.4.0.2 }
  b: { router: sym-b, address: 10.8.0.2 }
  c: { router: prc-a, address: 10.3.0.2 }
  d: { router: prc-b, address: 10.7.0.2 }
  w: { router: walled, address: 10.9.0.2 }
servers:
  rendezvous: { address: 198.51.100.5, role: signalling }
  stun: { address: 198.51.100.6, role: reflector }
`;
  const r = playByName(`name: relay
${base}  turn: { address: 198.51.100.7, role: relay }
checks:
  - { name: sym x sym, from: a, to: b, feature: hole-punch, expect: relayed }
  - { name: prc x prc, from: c, to: d, feature: hole-punch, expect: relayed }
  - { name: relay unreachable, from: w, to: b, feature: hole-punch, expect: relayed }
`);

  it('symmetric × symmetric: no direct pair works, so the media goes peer → relay → peer, and expect: relayed passes', () => {
    const c = check(r, 'sym x sym');
    expect(c.result).toBe('relayed');
    expect(c.pass).toBe(true);
    expect(c.failedAt).toBeUndefined();
    expect(c.reason).toMatch(
      /^selected the relayed pair: media relayed through turn \(198\.51\.100\.7\), .*because no direct pair worked: the host pair failed: .*; the server-reflexive pair failed: UDP hole punch from a to 203\.0\.113\.17:\d+: dropped at sym-b: /,
    );
    // The decisive packets are the relay's: allocations and media, translated by both NATs.
    const relayed = c.steps.filter((s) => s.delivery && /TURN|relay/.test(s.text));
    expect(relayed.map((s) => s.delivery!.delivered)).toEqual(Array(8).fill(true));
    const toB = relayed.find((s) => s.text.startsWith("turn relays a's media to b"))!;
    expect(toB.delivery!.to).toBe('b');
    expect(toB.delivery!.hops.map((h) => [h.node, h.action])).toEqual([
      ['sym-b', 'translate'],
      ['b', 'deliver'],
    ]);
    expect(c.hops.some((h) => h.node === 'sym-a' && h.action === 'translate')).toBe(true);
  });

  it('expect: relayed fails when a direct pair worked, and the reason names that pair', () => {
    const c = check(r, 'prc x prc');
    expect(c.result).toBe('works');
    expect(c.pass).toBe(false);
    expect(c.reason).toMatch(/^selected the server-reflexive pair \(UDP 203\.0\.113\.12:40000 ↔ 203\.0\.113\.16:40000\): /);
    expect(stepTexts(c).some((t) => /TURN/.test(t))).toBe(false);
  });

  it('expect: relayed fails when the relay is unreachable, naming the drop', () => {
    const c = check(r, 'relay unreachable');
    expect(c.result).toBe('fails');
    expect(c.pass).toBe(false);
    expect(c.failedAt).toBe('walled');
    expect(c.reason).toMatch(
      /^no candidate pair worked, not even the relayed one: the relayed pair failed: w cannot allocate on the relay turn \(198\.51\.100\.7:3478\): dropped at walled: .*; the server-reflexive pair failed: .*; the host pair failed: /,
    );
    expect(c.hops.at(-1)).toMatchObject({ node: 'walled', action: 'drop' });
  });

  it('without a relay server, symmetric × symmetric fails and says there is none', () => {
    const c = check(
      playByName(`name: no relay\n${base}checks:\n  - { name: s, from: a, to: b, feature: hole-punch, expect: relayed }\n`),
      's',
    );
    expect(c.result).toBe('fails');
    expect(c.failedAt).toBe('sym-b');
    expect(c.reason).toMatch(/^no candidate pair worked and there is no relay server: the server-reflexive pair failed: /);
  });

  it('the shipped scenario relay-01 plays symmetric × symmetric relayed', async () => {
    const { loadScenarioFile } = await import('../../src/scenario/loader.js');
    const { runScenario } = await import('../../src/scenario/simulate.js');
    const result = runScenario(await loadScenarioFile('scenarios/relay-01-symmetric-turn.yaml'));
    expect(result.checks.map((x) => [x.result, x.pass])).toEqual([
      ['relayed', true],
      ['works', true],
    ]);
  });
});

describe('variants: the naive peer and the port-predicting peer', () => {
  const r = playByName(`name: variants
routers:
  flat: { wan: 203.0.113.10, lan: 10.1.0.0/24, nat: { preset: port-restricted-cone, hairpinning: false } }
  fc: { wan: 203.0.113.11, lan: 10.2.0.0/24, nat: full-cone }
  sym: { wan: 203.0.113.13, lan: 10.4.0.0/24, nat: symmetric }
  seq-a: { wan: 203.0.113.21, lan: 10.5.0.0/24, nat: { preset: symmetric, portAssignment: sequential } }
  seq-b: { wan: 203.0.113.22, lan: 10.6.0.0/24, nat: { preset: symmetric, portAssignment: sequential } }
  sym-b: { wan: 203.0.113.23, lan: 10.7.0.0/24, nat: symmetric }
hosts:
  alice: { router: flat, address: 10.1.0.2 }
  bob: { router: flat, address: 10.1.0.3 }
  f: { router: fc, address: 10.2.0.2 }
  s: { router: sym, address: 10.4.0.2 }
  qa: { router: seq-a, address: 10.5.0.2 }
  qb: { router: seq-b, address: 10.6.0.2 }
  sb: { router: sym-b, address: 10.7.0.2 }
servers:
  rendezvous: { address: 198.51.100.5, role: signalling }
  stun: { address: 198.51.100.6, role: reflector }
checks:
  - { name: naive one LAN, from: alice, to: bob, feature: hole-punch-naive, expect: fails }
  - { name: naive sym x fc, from: s, to: f, feature: hole-punch-naive, expect: fails }
  - { name: complete sym x fc, from: s, to: f, feature: hole-punch, expect: works }
  - { name: complete seq x seq, from: qa, to: qb, feature: hole-punch, expect: fails }
  - { name: predict seq x seq, from: qa, to: qb, feature: hole-punch-predict, expect: works }
  - { name: predict random x random, from: s, to: sb, feature: hole-punch-predict, expect: fails }
`);

  it('the naive peer has no host candidate: on one non-hairpinning LAN its only pair hairpins and is refused', () => {
    const c = check(r, 'naive one LAN');
    expect(c.result).toBe('fails');
    expect(c.pass).toBe(true);
    expect(c.failedAt).toBe('flat');
    expect(c.reason).toMatch(
      /^the naive peer's only pair failed: UDP hole punch from alice to 203\.0\.113\.10:\d+: dropped at flat: flat does not hairpin/,
    );
    expect(c.hops.at(-1)).toMatchObject({ node: 'flat', code: 'hairpin-disabled' });
  });

  it('the naive peer does not answer a peer-reflexive source, so symmetric × full-cone fails where the complete peer works', () => {
    const naive = check(r, 'naive sym x fc');
    expect(naive.result).toBe('fails');
    expect(naive.failedAt).toBe('sym');
    expect(stepTexts(naive).some((t) => /peer-reflexive/.test(t))).toBe(false);
    const complete = check(r, 'complete sym x fc');
    expect(complete.result).toBe('works');
    expect(complete.reason).toMatch(/f learnt 203\.0\.113\.13:\d+, the port s's NAT really used, from its packet \(peer-reflexive\)/);
  });

  it('port prediction: two sequential symmetric NATs connect by the predicted pair, which the complete peer lacks', () => {
    expect(check(r, 'complete seq x seq').result).toBe('fails');
    const c = check(r, 'predict seq x seq');
    expect(c.result).toBe('works');
    expect(c.pass).toBe(true);
    expect(c.reason).toMatch(
      /^selected the port-predicted pair \(UDP 203\.0\.113\.21:(\d+) ↔ 203\.0\.113\.22:(\d+)\): each NAT that changes ports per destination picked the port its peer predicted/,
    );
    const [, pa] = /UDP 203\.0\.113\.21:(\d+)/.exec(c.reason)!;
    const note = stepTexts(c).find((t) => t.startsWith("qa's mapped port moved"))!;
    const m = /→ 203\.0\.113\.21:(\d+) \(step (-?\d+)\): it predicts 203\.0\.113\.21:(\d+)/.exec(note)!;
    expect(Number(m[3])).toBe(Number(m[1]) + Number(m[2]));
    expect(Number(pa)).toBe(Number(m[3]));
    // The predicted port is the one the NAT really used for the peer.
    const sent = c.steps.filter((s) => s.from === 'qa' && s.delivery?.delivered && s.text.startsWith('UDP hole punch'));
    expect(sent.at(-1)!.delivery!.packet.src.port).toBe(Number(pa));
  });

  it('port prediction fails against random port assignment, naming the predicted pair', () => {
    const c = check(r, 'predict random x random');
    expect(c.result).toBe('fails');
    expect(c.reason).toMatch(
      /^no candidate pair worked and there is no relay server: the port-predicted pair failed: UDP hole punch from s to 203\.0\.113\.23:\d+: dropped at sym-b/,
    );
  });
});

describe('the TCP pair (simultaneous open)', () => {
  const noUdp = '{ inbound: deny, rules: [{ action: deny, direction: out, protocol: udp }] }';
  const r = playByName(`name: tcp pair
routers:
  a: { wan: 203.0.113.12, lan: 10.3.0.0/24, nat: port-restricted-cone, firewall: ${noUdp} }
  b: { wan: 203.0.113.16, lan: 10.7.0.0/24, nat: port-restricted-cone, firewall: ${noUdp} }
  s: { wan: 203.0.113.17, lan: 10.8.0.0/24, nat: symmetric, firewall: ${noUdp} }
hosts:
  pa: { router: a, address: 10.3.0.2 }
  pb: { router: b, address: 10.7.0.2 }
  ps: { router: s, address: 10.8.0.2 }
servers:
  rendezvous: { address: 198.51.100.5, role: signalling }
  stun: { address: 198.51.100.6, role: reflector }
checks:
  - { name: cones without UDP, from: pa, to: pb, feature: hole-punch, expect: works }
  - { name: symmetric without UDP, from: pa, to: ps, feature: hole-punch, expect: fails }
  - { name: naive without UDP, from: pa, to: pb, feature: hole-punch-naive, expect: fails }
`);

  it('with UDP blocked, two port-restricted cones connect by TCP simultaneous open from the rendezvous port', () => {
    const c = check(r, 'cones without UDP');
    expect(c.result).toBe('works');
    expect(c.reason).toMatch(
      /^selected the TCP pair \(simultaneous open, 203\.0\.113\.12:\d+ ↔ 203\.0\.113\.16:\d+\): pa's own SYN had opened a for pb's SYN, and both reused the local port of their connection to rendezvous; before it, the host pair failed: UDP hole punch from pa to 10\.7\.0\.2:40000: dropped at a: the firewall of a denied outbound UDP/,
    );
    const texts = stepTexts(c);
    const first = texts.findIndex((t) => t.startsWith('TCP simultaneous open round 1: SYN'));
    expect(texts[first]).toMatch(/dropped at b \(/); // pa's first SYN: b has not sent yet
    expect(texts[first + 1]).toMatch(/delivered to pa$/); // pb's SYN: a's mapping admits it
    expect(texts.some((t) => /SYN-ACK: .* delivered to pb$/.test(t))).toBe(true);
  });

  it('a symmetric NAT defeats the TCP pair too: its SYN to the peer leaves from a new port', () => {
    const c = check(r, 'symmetric without UDP');
    expect(c.result).toBe('fails');
    expect(c.reason).toMatch(/; the TCP pair failed: TCP simultaneous open: SYN to \S+: dropped at /);
  });

  it('the naive peer has no TCP candidate', () => {
    const c = check(r, 'naive without UDP');
    expect(stepTexts(c).some((t) => t.startsWith('TCP simultaneous open'))).toBe(false);
  });
});
