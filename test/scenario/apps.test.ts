/**
 * Every application profile and every feature: a minimal scenario where it works and one where
 * it fails, with the flow named in the reason and the router that dropped it.
 */
import { describe, expect, it } from 'vitest';
import { APPS } from '../../src/scenario/apps.js';
import { check, playByName, stepTexts } from './helpers.js';

describe('the profiles under test', () => {
  it('APPS holds exactly the five seed applications and their features', () => {
    expect(Object.fromEntries(Object.values(APPS).map((a) => [a.id, Object.keys(a.features)]))).toEqual({
      'windows-messenger': ['im', 'av', 'app-sharing', 'file-transfer', 'remote-assistance'],
      netmeeting: ['directory', 'call', 'connect'],
      'ispq-7': ['login', 'video-chat', 'quick-message', 'audio'],
      'ispq-8': ['login', 'video-chat', 'quick-message', 'audio'],
      'ichat-av': ['av'],
    });
  });
});

describe('windows-messenger', () => {
  const r = playByName(`name: wm
routers:
  upnp-a: { wan: 203.0.113.10, lan: 192.168.1.0/24, services: { upnp: true } }
  plain-b: { wan: 203.0.113.20, lan: 192.168.2.0/24 }
  plain-c: { wan: 203.0.113.21, lan: 192.168.3.0/24 }
  locked: { wan: 203.0.113.30, lan: 192.168.9.0/24, firewall: { inbound: deny, outbound: deny } }
hosts:
  alice: { router: upnp-a, address: 192.168.1.10, app: windows-messenger }
  carol: { router: upnp-a, address: 192.168.1.11, app: windows-messenger }
  bob: { address: 198.51.100.20, app: windows-messenger }
  dave: { address: 198.51.100.21, app: windows-messenger }
  erin: { router: plain-b, address: 192.168.2.10, app: windows-messenger }
  gina: { router: plain-c, address: 192.168.3.10, app: windows-messenger }
  frank: { router: locked, address: 192.168.9.10, app: windows-messenger }
servers:
  messenger: { address: 198.51.100.5, role: signalling }
checks:
  - { name: im works, from: bob, to: dave, feature: im, expect: works }
  - { name: im fails, from: frank, to: bob, feature: im, expect: fails }
  - { name: av works, from: bob, to: dave, feature: av, expect: works }
  - { name: av upnp works, from: alice, to: bob, feature: av, expect: works }
  - { name: av fails, from: erin, to: bob, feature: av, expect: fails }
  - { name: as works, from: alice, to: bob, feature: app-sharing, expect: works }
  - { name: as fails, from: erin, to: bob, feature: app-sharing, expect: fails }
  - { name: ft works, from: bob, to: dave, feature: file-transfer, expect: works }
  - { name: ft receiver behind NAT works, from: bob, to: erin, feature: file-transfer, expect: works }
  - { name: ft fails, from: erin, to: bob, feature: file-transfer, expect: fails }
  - { name: ra works one side public, from: bob, to: erin, feature: remote-assistance, expect: works }
  - { name: ra fails both NATed, from: erin, to: gina, feature: remote-assistance, expect: fails }
  - { name: same gateway, from: alice, to: carol, feature: av, expect: works }
  - { name: as alice, from: alice, to: bob, feature: app-sharing, expect: works }
  - { name: as carol meanwhile, from: carol, to: dave, feature: app-sharing, expect: works, after: [as alice] }
  - { name: ft first, from: bob, to: dave, feature: file-transfer, expect: works }
  - { name: ft second, from: bob, to: dave, feature: file-transfer, expect: works, after: [ft first] }
`);

  it('every check reaches its expectation', () => {
    expect([...r.values()].filter((c) => !c.pass).map((c) => `${c.name}: ${c.result} — ${c.reason}`)).toEqual([]);
  });

  it('im: works through the server; fails when the server is unreachable', () => {
    expect(check(r, 'im works')).toMatchObject({
      result: 'works',
      reason: 'both bob and dave keep their outbound connection to the server, which carries instant messaging and presence',
    });
    const c = check(r, 'im fails');
    expect(c.result).toBe('fails');
    expect(c.failedAt).toBe('locked');
    expect(c.reason).toBe(
      'frank cannot reach the server: IM/presence connection to the server: frank → 198.51.100.5:1863: dropped at locked: the firewall of locked denied outbound TCP to 198.51.100.5:1863: no rule allows it and the default outbound policy is deny',
    );
  });

  it('av: works between public hosts and through a UPnP gateway; fails behind a non-UPnP NAT at the SIP session', () => {
    expect(check(r, 'av works').reason).toBe(
      'every flow of audio and video got through both ways — SIP session (invitee → inviter, dynamic UDP port): dave → bob went straight across the Internet, no NAT or firewall on the way; audio RTP and video RTP: bob ↔ dave went straight across the Internet, no NAT or firewall on the way',
    );
    expect(check(r, 'av upnp works').result).toBe('works');
    const c = check(r, 'av fails');
    expect(c.result).toBe('fails');
    expect(c.failedAt).toBe('internet');
    expect(c.reason).toMatch(
      /^SIP session \(invitee → inviter, dynamic UDP port\) from bob to 192\.168\.2\.10:\d+: dropped on the Internet: no route to 192\.168\.2\.10/,
    );
    expect(c.reason).toContain(
      "erin advertised its private address 192.168.2.10, which means nothing outside plain-b's LAN: plain-b is a NAT",
    );
  });

  it('app-sharing: works through UPnP (TCP 1503 mapped); fails behind a non-UPnP NAT', () => {
    const ok = check(r, 'as works');
    expect(ok.result).toBe('works');
    expect(stepTexts(ok)).toContain(
      'alice advertises 203.0.113.10:1503 for AS/WB data (TCP 1503) (external address and mapping from UPnP on upnp-a)',
    );
    const c = check(r, 'as fails');
    expect(c.result).toBe('fails');
    expect(c.failedAt).toBe('internet');
    expect(c.reason).toMatch(/^SIP session \(invitee → inviter, dynamic UDP port\) from bob to 192\.168\.2\.10:\d+: /);
  });

  it('file-transfer: the receiver connects to the sender; a sender behind a non-UPnP NAT fails on TCP 6891', () => {
    expect(check(r, 'ft works').reason).toBe(
      'every flow of file transfer got through both ways — file transfer (TCP 6891–6900): dave → bob went straight across the Internet, no NAT or firewall on the way',
    );
    expect(check(r, 'ft receiver behind NAT works').result).toBe('works');
    const c = check(r, 'ft fails');
    expect(c.result).toBe('fails');
    expect(c.failedAt).toBe('internet');
    expect(c.reason).toMatch(
      /^file transfer \(TCP 6891–6900\): bob → 192\.168\.2\.10:6891: dropped on the Internet: no route to 192\.168\.2\.10 /,
    );
  });

  it('remote-assistance: either side accepting is enough; both behind non-UPnP NATs fails both ways', () => {
    const ok = check(r, 'ra works one side public');
    expect(ok.result).toBe('works');
    expect(stepTexts(ok)).toContain('remote assistance RDP (TCP 3389): the connection from bob failed, so erin tries the other way');
    const c = check(r, 'ra fails both NATed');
    expect(c.result).toBe('fails');
    expect(c.failedAt).toBe('internet');
    expect(c.reason).toMatch(
      /^remote assistance RDP \(TCP 3389\) failed both ways: remote assistance RDP \(TCP 3389\): erin → 192\.168\.3\.10:3389: .*; and remote assistance RDP \(TCP 3389\): gina → 192\.168\.2\.10:3389: /,
    );
  });

  it('same-gateway detection: both peers advertise internal addresses, and the steps say why', () => {
    const c = check(r, 'same gateway');
    expect(c.result).toBe('works');
    const steps = stepTexts(c);
    const advertised = steps.filter((s) => / advertises /.test(s));
    expect(advertised.length).toBe(5); // SIP (alice) + audio and video RTP (both)
    for (const s of advertised) {
      expect(s).toMatch(
        /^(alice advertises 192\.168\.1\.10:\d+|carol advertises 192\.168\.1\.11:\d+) for .* \(UPnP shows (carol|alice) is behind the same gateway upnp-a, so it uses its internal address\)$/,
      );
    }
    // no UPnP mapping was made, and no packet left the LAN
    expect(steps.some((s) => s.includes('AddPortMapping'))).toBe(false);
    const media = c.steps.filter((s) => s.delivery && /RTP|SIP session/.test(s.text));
    expect(media.length).toBeGreaterThan(0);
    for (const s of media) expect(s.delivery!.hops.every((h) => h.node !== 'internet')).toBe(true);
  });

  it('UPnP maps TCP 1503 to another external port when a first session holds it', () => {
    const c = check(r, 'as carol meanwhile');
    expect(c.result).toBe('works');
    const steps = stepTexts(c);
    expect(steps).toContain('carol: AddPortMapping TCP 1503 on upnp-a refused (718 ConflictInMappingEntry); it asks for 1504 instead');
    expect(steps).toContain(
      'carol asks its gateway upnp-a over UPnP: GetExternalIPAddress = 203.0.113.10; AddPortMapping TCP 1504 → 192.168.1.11:1503 succeeds',
    );
    expect(steps).toContain(
      'carol advertises 203.0.113.10:1504 for AS/WB data (TCP 1503) (external address and mapping from UPnP on upnp-a)',
    );
    expect(
      steps.some((s) => /^AS\/WB data \(TCP 1503\): SYN: 198\.51\.100\.21:\d+ → 203\.0\.113\.10:1504 — delivered to carol$/.test(s)),
    ).toBe(true);
  });

  it('a second simultaneous file transfer listens on 6892', () => {
    const first = stepTexts(check(r, 'ft first'));
    expect(first).toContain('bob advertises 198.51.100.20:6891 for file transfer (TCP 6891–6900) (its own address)');
    const second = stepTexts(check(r, 'ft second'));
    expect(second).toContain('bob already has a session on TCP 6891, so it listens on 6892');
    expect(second).toContain('bob advertises 198.51.100.20:6892 for file transfer (TCP 6891–6900) (its own address)');
    expect(
      second.some((s) => /^file transfer \(TCP 6891–6900\): ACK: 198\.51\.100\.21:\d+ → 198\.51\.100\.20:6892 — delivered to bob$/.test(s)),
    ).toBe(true);
  });
});

describe('netmeeting', () => {
  const r = playByName(`name: nm
routers:
  home: { wan: 203.0.113.10, lan: 192.168.1.0/24 }
  alg: { wan: 203.0.113.11, lan: 192.168.2.0/24, algs: [h323] }
  fw:
    wan: 203.0.113.12
    lan: 192.168.3.0/24
    nat: none
    firewall:
      inbound: deny
      rules:
        - { action: allow, direction: in, protocol: tcp, ports: 1720 }
        - { action: allow, direction: in, protocol: tcp, ports: 1731 }
  locked: { wan: 203.0.113.30, lan: 192.168.9.0/24, firewall: { inbound: deny, outbound: deny } }
hosts:
  nm-a: { address: 198.51.100.20, app: netmeeting }
  nm-b: { address: 198.51.100.21, app: netmeeting }
  nm-in: { router: home, address: 192.168.1.10, app: netmeeting }
  nm-alg: { router: alg, address: 192.168.2.10, app: netmeeting }
  nm-fw: { router: fw, address: 192.168.3.10, app: netmeeting }
  nm-x: { router: locked, address: 192.168.9.11, app: netmeeting }
servers:
  ils: { address: 198.51.100.5, role: signalling }
checks:
  - { name: directory works, from: nm-in, to: nm-a, feature: directory, expect: works }
  - { name: directory fails, from: nm-x, to: nm-a, feature: directory, expect: fails }
  - { name: call works, from: nm-a, to: nm-b, feature: call, expect: works }
  - { name: call out without ALG, from: nm-in, to: nm-a, feature: call, expect: fails }
  - { name: call out with H.323 ALG, from: nm-alg, to: nm-a, feature: call, expect: works }
  - { name: call in with H.323 ALG, from: nm-a, to: nm-alg, feature: call, expect: fails }
  - { name: call in through TCP-only firewall, from: nm-a, to: nm-fw, feature: call, expect: fails }
  - { name: connect works, from: nm-a, to: nm-b, feature: connect, expect: works }
  - { name: connect out, from: nm-in, to: nm-a, feature: connect, expect: works }
  - { name: connect in through TCP-only firewall, from: nm-a, to: nm-fw, feature: connect, expect: fails }
`);

  it('every check reaches its expectation', () => {
    expect([...r.values()].filter((c) => !c.pass).map((c) => `${c.name}: ${c.result} — ${c.reason}`)).toEqual([]);
  });

  it('directory: outbound TCP 389; fails when outbound is blocked', () => {
    expect(check(r, 'directory works').result).toBe('works');
    const c = check(r, 'directory fails');
    expect(c).toMatchObject({ result: 'fails', failedAt: 'locked' });
    expect(c.reason).toMatch(
      /^nm-x cannot reach the server: ILS directory registration \(TCP 389\): nm-x → 198\.51\.100\.5:389: dropped at locked: /,
    );
  });

  it('call: works between public hosts; from behind a NAT without ALG the peer sends RTP to the private address', () => {
    expect(check(r, 'call works').reason).toBe(
      'every flow of call with audio got through both ways — H.323 call setup (TCP 1720) and audio call control (TCP 1731): nm-a → nm-b went straight across the Internet, no NAT or firewall on the way; audio RTP: nm-a ↔ nm-b went straight across the Internet, no NAT or firewall on the way',
    );
    const c = check(r, 'call out without ALG');
    expect(c).toMatchObject({ result: 'fails', failedAt: 'internet' });
    expect(c.reason).toMatch(/^audio RTP from nm-a to 192\.168\.1\.10:\d+: dropped on the Internet: no route to 192\.168\.1\.10 /);
    expect(c.reason).toContain('nm-in advertised its private address 192.168.1.10');
  });

  it('call: the H.323 ALG rewrites the H.245 media address, so a call from inside to outside works', () => {
    const c = check(r, 'call out with H.323 ALG');
    expect(c.result).toBe('works');
    expect(
      stepTexts(c).some((s) => /^nm-a reads nm-alg's audio RTP address from the H\.245 it received: 203\.0\.113\.11:\d+$/.test(s)),
    ).toBe(true);
  });

  it('call: the ALG does not help a call from outside to inside (call setup to the private address)', () => {
    const c = check(r, 'call in with H.323 ALG');
    expect(c).toMatchObject({ result: 'fails', failedAt: 'internet' });
    expect(c.reason).toMatch(/^H\.323 call setup \(TCP 1720\): nm-a → 192\.168\.2\.10:1720: dropped on the Internet/);
  });

  it('call and connect through a firewall that passes only TCP 1720/1731: audio RTP and T.120 are dropped there', () => {
    const call = check(r, 'call in through TCP-only firewall');
    expect(call).toMatchObject({ result: 'fails', failedAt: 'fw' });
    expect(call.reason).toMatch(
      /^audio RTP from nm-a to 192\.168\.3\.10:\d+: dropped at fw: the firewall of fw denied inbound UDP to 192\.168\.3\.10:\d+/,
    );
    const connect = check(r, 'connect in through TCP-only firewall');
    expect(connect).toMatchObject({ result: 'fails', failedAt: 'fw' });
    expect(connect.reason).toBe(
      'T.120 data (TCP 1503): nm-a → 192.168.3.10:1503: dropped at fw: the firewall of fw denied inbound TCP to 192.168.3.10:1503: no rule allows it and the default inbound policy is deny',
    );
  });

  it('connect: works between public hosts and from inside a NAT (all TCP from the caller)', () => {
    expect(check(r, 'connect works').reason).toBe(
      'every flow of call connection (no media) got through both ways — H.323 call setup (TCP 1720), audio call control (TCP 1731) and T.120 data (TCP 1503): nm-a → nm-b went straight across the Internet, no NAT or firewall on the way',
    );
    expect(check(r, 'connect out').result).toBe('works');
  });
});

describe('ispq-7 and ispq-8', () => {
  const r = playByName(`name: ispq
routers:
  home: { wan: 203.0.113.10, lan: 192.168.1.0/24 }
  sym: { wan: 203.0.113.14, lan: 192.168.5.0/24, nat: symmetric }
  fwd:
    wan: 203.0.113.13
    lan: 192.168.4.0/24
    forwards:
      - { protocol: tcp, external: 2000-2002, internal: 192.168.4.10 }
      - { protocol: udp, external: 2000, internal: 192.168.4.10 }
  http-only:
    wan: 203.0.113.31
    lan: 192.168.8.0/24
    firewall:
      inbound: deny
      outbound: deny
      rules:
        - { action: allow, direction: out, protocol: tcp, ports: 80 }
  web-only:
    wan: 203.0.113.32
    lan: 192.168.7.0/24
    firewall:
      inbound: deny
      outbound: deny
      rules:
        - { action: allow, direction: out, protocol: tcp, ports: 80 }
        - { action: allow, direction: out, protocol: tcp, ports: 2010 }
        - { action: allow, direction: out, protocol: tcp, ports: 2018 }
        - { action: allow, direction: out, protocol: tcp, ports: 9800 }
hosts:
  q7-a: { address: 198.51.100.30, app: ispq-7 }
  q7-b: { address: 198.51.100.31, app: ispq-7 }
  q7-in: { router: home, address: 192.168.1.20, app: ispq-7 }
  q7-sym: { router: sym, address: 192.168.5.10, app: ispq-7 }
  q7-fwd: { router: fwd, address: 192.168.4.10, app: ispq-7 }
  q7-http: { router: http-only, address: 192.168.8.10, app: ispq-7 }
  q8-a: { address: 198.51.100.40, app: ispq-8 }
  q8-in: { router: home, address: 192.168.1.30, app: ispq-8 }
  q8-web: { router: web-only, address: 192.168.7.10, app: ispq-8 }
servers:
  portal: { address: 198.51.100.5, role: signalling }
checks:
  - { name: login works, from: q7-in, to: q7-a, feature: login, expect: works }
  - { name: login fails on TCP 2010, from: q7-http, to: q7-a, feature: login, expect: fails }
  - { name: video works, from: q7-a, to: q7-b, feature: video-chat, expect: works }
  - { name: video fails behind router, from: q7-in, to: q7-a, feature: video-chat, expect: fails }
  - { name: video works with forwarding rule, from: q7-fwd, to: q7-a, feature: video-chat, expect: works }
  - { name: quick message works, from: q7-a, to: q7-b, feature: quick-message, expect: works }
  - { name: quick message fails behind router, from: q7-a, to: q7-in, feature: quick-message, expect: fails }
  - { name: audio works, from: q7-a, to: q7-b, feature: audio, expect: works }
  - { name: audio works behind a cone NAT, from: q7-a, to: q7-in, feature: audio, expect: works }
  - { name: audio fails behind symmetric NAT, from: q7-a, to: q7-sym, feature: audio, expect: fails }
  - { name: q8 video relayed, from: q8-in, to: q8-a, feature: video-chat, expect: relayed }
  - { name: q8 video fails when the relay is unreachable, from: q8-web, to: q8-a, feature: video-chat, expect: fails }
`);

  it('every check reaches its expectation', () => {
    expect([...r.values()].filter((c) => !c.pass).map((c) => `${c.name}: ${c.result} — ${c.reason}`)).toEqual([]);
  });

  it('login: outbound HTTP 80, 2010, 2018, 9800; fails at the first blocked server port', () => {
    expect(check(r, 'login works').reason).toBe(
      'both q7-in and q7-a keep their outbound connection to the server, which carries login, directory, pal list and text chat',
    );
    const c = check(r, 'login fails on TCP 2010');
    expect(c).toMatchObject({ result: 'fails', failedAt: 'http-only' });
    expect(c.reason).toMatch(
      /^q7-http cannot reach the server on TCP 2010: TCP 2010 to the server: q7-http → 198\.51\.100\.5:2010: dropped at http-only: /,
    );
  });

  it('video-chat: works public and with a forwarding rule; fails at the router without one', () => {
    expect(check(r, 'video works').reason).toBe(
      'every flow of video chat got through both ways — video control (TCP 2000) and video data (TCP 2001): q7-a ↔ q7-b went straight across the Internet, no NAT or firewall on the way',
    );
    expect(check(r, 'video works with forwarding rule').result).toBe('works');
    const c = check(r, 'video fails behind router');
    expect(c).toMatchObject({ result: 'fails', failedAt: 'home' });
    expect(c.reason).toMatch(
      /^video control \(TCP 2000\): q7-a → 203\.0\.113\.10:2000: dropped at home: no mapping for 203\.0\.113\.10:2000 \(TCP, inbound from 198\.51\.100\.30:\d+\)/,
    );
    expect(c.reason).toContain(
      'q7-in advertised 203.0.113.10:2000 (the address the server saw it connect from, with its own port 2000), but nothing at home admits unsolicited traffic to it from this sender',
    );
  });

  it('quick-message: TCP 2002 both ways; fails inbound at the router', () => {
    expect(check(r, 'quick message works').result).toBe('works');
    const c = check(r, 'quick message fails behind router');
    expect(c).toMatchObject({ result: 'fails', failedAt: 'home' });
    expect(c.reason).toMatch(/^quick message \(TCP 2002\): q7-a → 203\.0\.113\.10:2002: dropped at home: /);
  });

  it('audio: symmetric UDP 2000 punches through a cone NAT, not through a symmetric NAT', () => {
    expect(check(r, 'audio works').reason).toBe(
      'every flow of audio got through both ways — audio (UDP 2000): q7-a ↔ q7-b went straight across the Internet, no NAT or firewall on the way',
    );
    expect(check(r, 'audio works behind a cone NAT').result).toBe('works');
    const c = check(r, 'audio fails behind symmetric NAT');
    expect(c).toMatchObject({ result: 'fails', failedAt: 'sym' });
    expect(c.reason).toMatch(/^audio \(UDP 2000\) from q7-a to 203\.0\.113\.14:2000: dropped at sym: .*\(still failing after 3 rounds\)/);
  });

  it('ispq-8 video: relayed through the server when the direct path fails', () => {
    const c = check(r, 'q8 video relayed');
    expect(c.result).toBe('relayed');
    expect(c.failedAt).toBeUndefined();
    expect(c.reason).toMatch(
      /^direct path failed \(video control \(TCP 2000\): q8-a → 203\.0\.113\.10:2000: dropped at home: .*\); media relayed through portal \(198\.51\.100\.5\), which both reached outbound$/,
    );
    expect(stepTexts(c)).toContain('portal relays the media between q8-in and q8-a (both connected out to it)');
    expect(c.hops.length).toBeGreaterThan(0);
    expect(c.hops.every((h) => h.action !== 'drop')).toBe(true);
  });

  it('ispq-8 video: fails when the relay cannot be reached either', () => {
    const c = check(r, 'q8 video fails when the relay is unreachable');
    expect(c).toMatchObject({ result: 'fails', failedAt: 'web-only' });
    expect(c.reason).toMatch(
      /^video control \(TCP 2000\): q8-web → 198\.51\.100\.40:2000: dropped at web-only: the firewall of web-only denied outbound TCP/,
    );
  });

  it('ispq-8 video: prefers a dedicated relay server; fails with no server at all', () => {
    const withRelay = playByName(`name: q8
routers:
  home: { wan: 203.0.113.10, lan: 192.168.1.0/24 }
hosts:
  q8-in: { router: home, address: 192.168.1.30, app: ispq-8 }
  q8-a: { address: 198.51.100.40, app: ispq-8 }
servers:
  portal: { address: 198.51.100.5, role: signalling }
  relay: { address: 198.51.100.9, role: relay }
checks:
  - { name: v, from: q8-in, to: q8-a, expect: relayed }
`);
    expect(check(withRelay, 'v').reason).toMatch(/; media relayed through relay \(198\.51\.100\.9\), which both reached outbound$/);
    const none = playByName(`name: q8
routers:
  home: { wan: 203.0.113.10, lan: 192.168.1.0/24 }
hosts:
  q8-in: { router: home, address: 192.168.1.30, app: ispq-8 }
  q8-a: { address: 198.51.100.40, app: ispq-8 }
checks:
  - { name: v, from: q8-in, to: q8-a, expect: fails }
`);
    const c = check(none, 'v');
    expect(c).toMatchObject({ result: 'fails', pass: true, failedAt: 'internet' });
    expect(stepTexts(c)).toContain('the scenario has no signalling server: peers exchange addresses out of band');
    expect(c.reason).toMatch(/^video control \(TCP 2000\): q8-a → 192\.168\.1\.30:2000: dropped on the Internet/);
  });
});

describe('ichat-av', () => {
  const routers = `routers:
  prc: { wan: 203.0.113.10, lan: 192.168.1.0/24 }
  sym: { wan: 203.0.113.11, lan: 192.168.2.0/24, nat: symmetric }
  sym2: { wan: 203.0.113.12, lan: 192.168.3.0/24, nat: symmetric }
  upnp: { wan: 203.0.113.13, lan: 192.168.4.0/24, services: { upnp: true } }
hosts:
  a: { address: 198.51.100.20, app: ichat-av }
  b: { address: 198.51.100.21, app: ichat-av }
  p: { router: prc, address: 192.168.1.10, app: ichat-av }
  s: { router: sym, address: 192.168.2.10, app: ichat-av }
  s2: { router: sym2, address: 192.168.3.10, app: ichat-av }
  u: { router: upnp, address: 192.168.4.10, app: ichat-av }
`;
  const withReflector = playByName(`name: ichat
${routers}servers:
  aim: { address: 198.51.100.5, role: signalling }
  snatmap: { address: 198.51.100.6, role: reflector }
checks:
  - { name: public, from: a, to: b, expect: works }
  - { name: PRC calls public, from: p, to: a, expect: works }
  - { name: SYM x SYM, from: s, to: s2, expect: fails }
`);
  const withoutReflector = playByName(`name: ichat
${routers}servers:
  aim: { address: 198.51.100.5, role: signalling }
checks:
  - { name: PRC calls public, from: p, to: a, expect: fails }
  - { name: UPnP calls public, from: u, to: a, expect: works }
  - { name: public calls UPnP, from: a, to: u, expect: works }
`);

  it('every check reaches its expectation', () => {
    const all = [...withReflector.values(), ...withoutReflector.values()];
    expect(all.filter((c) => !c.pass).map((c) => `${c.name}: ${c.result} — ${c.reason}`)).toEqual([]);
  });

  it('av: works between public hosts', () => {
    expect(check(withReflector, 'public').reason).toBe(
      'every flow of audio and video got through both ways — SIP (UDP 5060): a → b went straight across the Internet, no NAT or firewall on the way; video RTP (UDP 16384), video RTCP (UDP 16385), audio RTP (UDP 16386) and audio RTCP (UDP 16387): a ↔ b went straight across the Internet, no NAT or firewall on the way',
    );
  });

  it('av: the Snatmap reflector gives a PRC host its external address, and the call out works', () => {
    const c = check(withReflector, 'PRC calls public');
    expect(c.result).toBe('works');
    expect(stepTexts(c)).toContain(
      'p advertises 203.0.113.10:16384 for video RTP (UDP 16384) (the address snatmap saw its query come from)',
    );
  });

  it('av: symmetric × symmetric fails at the callee NAT on SIP', () => {
    const c = check(withReflector, 'SYM x SYM');
    expect(c).toMatchObject({ result: 'fails', failedAt: 'sym2' });
    expect(c.reason).toMatch(/^SIP \(UDP 5060\) from s to 203\.0\.113\.12:\d+: dropped at sym2: /);
  });

  it('av without a reflector and without UPnP: discovery falls back to the private address, and media fails on the Internet', () => {
    const c = check(withoutReflector, 'PRC calls public');
    expect(c).toMatchObject({ result: 'fails', failedAt: 'internet' });
    expect(stepTexts(c)).toContain('p finds no UPnP gateway: prc does not offer UPnP');
    expect(stepTexts(c)).toContain('p advertises 192.168.1.10:16384 for video RTP (UDP 16384) (its own address)');
    expect(c.reason).toMatch(
      /^video RTP \(UDP 16384\) from a to 192\.168\.1\.10:16384: dropped on the Internet: no route to 192\.168\.1\.10 /,
    );
    expect(c.reason).toContain(
      "p advertised its private address 192.168.1.10, which means nothing outside prc's LAN: prc is a NAT, and iChat AV learns a translated address only from a UPnP gateway or a STUN-like reflector, and none was available",
    );
  });

  it('av without a reflector but with UPnP: the mapping is used both ways', () => {
    const out = check(withoutReflector, 'UPnP calls public');
    expect(out.result).toBe('works');
    expect(stepTexts(out)).toContain(
      'u asks its gateway upnp over UPnP: GetExternalIPAddress = 203.0.113.13; AddPortMapping UDP 16384 → 192.168.4.10:16384 succeeds',
    );
    const inbound = check(withoutReflector, 'public calls UPnP');
    expect(inbound.result).toBe('works');
    expect(stepTexts(inbound)).toContain(
      'u advertises 203.0.113.13:5060 for SIP (UDP 5060) (external address and mapping from UPnP on upnp)',
    );
  });
});
