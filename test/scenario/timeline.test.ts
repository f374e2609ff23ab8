/** Timelines in scenarios: every event, checks that see the state so far, and the validation errors. */
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/scenario/errors.js';
import { checkScenarioText } from '../../src/scenario/loader.js';
import type { ScenarioResult } from '../../src/scenario/simulate.js';
import { parseDuration } from '../../src/scenario/timeline-schema.js';
import { play } from './helpers.js';

const HOME = `
routers:
  home: { wan: 203.0.113.10, lan: 192.168.1.0/24, nat: port-restricted-cone, services: { upnp: true },
          forwards: [{ protocol: tcp, external: 22, internal: 192.168.1.10 }] }
hosts:
  pc: { router: home, address: 192.168.1.10 }
  visitor: { address: 198.51.100.20 }
`;

const CALL = `
routers:
  home: { wan: 203.0.113.10, lan: 192.168.1.0/24, nat: port-restricted-cone }
hosts:
  alice: { router: home, address: 192.168.1.10, app: ichat-av }
  bob: { address: 198.51.100.20, app: ichat-av }
servers:
  aim: { address: 198.51.100.5, role: signalling }
  snatmap: { address: 198.51.100.6, role: reflector }
checks:
  - { name: call, from: alice, to: bob, feature: av, expect: works }
`;

const errors = (base: string, entries: string): string[] =>
  checkScenarioText(`name: t\n${base}\ntimeline:\n${entries}`, 'x.yaml').issues.map(formatIssue);

function timeline(base: string, entries: string): ScenarioResult {
  return play(`name: t\n${base}\ntimeline:\n${entries}`);
}

function byName(r: ScenarioResult, prefix: string) {
  const c = r.checks.find((k) => k.name.startsWith(prefix));
  expect(c, `no check starting "${prefix}"`).toBeDefined();
  return c!;
}

const reach = (name: string, port: number, expect: string, extra = ''): string =>
  `  - check: { name: ${name}, from: visitor, to: pc, protocol: tcp, port: ${port}, expect: ${expect}${extra} }\n`;

describe('timeline events', () => {
  it('durations take units and stay bounded', () => {
    expect([parseDuration('90s'), parseDuration('2min'), parseDuration('1.5h'), parseDuration('250ms')]).toEqual([
      90_000, 120_000, 5_400_000, 250,
    ]);
    expect([
      parseDuration('90'),
      parseDuration('0s'),
      parseDuration('31d'),
      parseDuration('-1s'),
      parseDuration('1e3s'),
      parseDuration('721h'),
    ]).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it('map (UPnP through the in-process IGD) publishes the external address; a reach probe goes through it as packets', () => {
    const r = timeline(HOME, `  - map: { host: pc, protocol: tcp, port: 8080, via: upnp }\n${reach('in', 8080, 'works')}`);
    expect(r.timeline!.map((t) => [t.kind, t.at])).toEqual([
      ['map', 0],
      ['check', 0],
    ]);
    expect(r.timeline![0]!.text).toBe(
      'pc asks home over UPnP: GetExternalIPAddress = 203.0.113.10; AddPortMapping TCP 8080 → 192.168.1.10:8080 succeeds; pc publishes 203.0.113.10:8080',
    );
    const c = byName(r, 'in');
    expect(c).toMatchObject({ name: 'in @ t=0 s', result: 'works', pass: true });
    expect(c.hops.map((h) => h.code)).toContain('port-forward');
  });

  it('without the map, the same probe fails at the router (the verdict is not a lookup)', () => {
    const r = timeline(HOME, reach('in', 8080, 'fails'));
    expect(byName(r, 'in')).toMatchObject({ result: 'fails', pass: true, failedAt: 'home' });
    expect(byName(r, 'in').hops.at(-1)).toMatchObject({ node: 'home', action: 'drop', code: 'no-mapping' });
  });

  it('a refused mapping is reported with the IGD fault and publishes nothing', () => {
    const r = timeline(HOME, '  - map: { host: pc, protocol: tcp, port: 80, via: upnp }\n');
    expect(r.timeline![0]!.text).toMatch(
      /^pc asks home over UPnP: AddPortMapping TCP 80 → 192\.168\.1\.10:80 is refused \(\d+ [A-Za-z ]+\)$/,
    );
  });

  it('reboot: UPnP mappings and NAT sessions are lost, static forwards stay, re-mapping fixes it', () => {
    const r = timeline(
      HOME,
      [
        '  - map: { host: pc, protocol: tcp, port: 8080, via: upnp }\n',
        reach('before', 8080, 'works'),
        '  - reboot: home\n',
        reach('after', 8080, 'fails'),
        reach('ssh', 22, 'works'),
        '  - map: { host: pc, protocol: tcp, port: 8080, via: upnp }\n',
        reach('again', 8080, 'works'),
      ].join(''),
    );
    expect(r.timeline![2]!.text).toBe('home reboots: 0 NAT sessions and 1 dynamic port mapping (UPnP/NAT-PMP) lost; 1 static forward kept');
    expect(byName(r, 'after').hops.at(-1)).toMatchObject({ node: 'home', code: 'no-mapping' });
    expect(byName(r, 'after').reason).toContain('home rebooted at t=0 s and lost its NAT sessions and UPnP/NAT-PMP mappings');
    expect(r.checks.map((c) => [c.name, c.result, c.pass])).toEqual([
      ['before @ t=0 s', 'works', true],
      ['after @ t=0 s', 'fails', true],
      ['ssh @ t=0 s', 'works', true],
      ['again @ t=0 s', 'works', true],
    ]);
  });

  it('reboot drops the NAT sessions of a call: its media no longer gets in', () => {
    const r = timeline(
      CALL,
      '  - check: call\n  - reboot: home\n  - check: { name: media, from: bob, to: alice, resume: true, expect: fails }\n',
    );
    expect(r.timeline![1]!.text).toMatch(
      /^home reboots: ([1-9]\d*) NAT sessions and 0 dynamic port mappings \(UPnP\/NAT-PMP\) lost; 0 static forwards kept$/,
    );
    expect(byName(r, 'media')).toMatchObject({ result: 'fails', pass: true, failedAt: 'home' });
  });

  it('wan-address: the old published address leads nowhere; mappings kept by default, dropped when asked', () => {
    const base = HOME.replace(
      'hosts:',
      `  office: { wan: 203.0.113.50, lan: 10.0.0.0/24, services: { upnp: true } }\nhosts:\n  desk: { router: office, address: 10.0.0.10 }`,
    );
    const r = timeline(
      base,
      [
        '  - map: { host: pc, protocol: tcp, port: 8080, via: upnp }\n',
        '  - map: { host: desk, protocol: tcp, port: 8443, via: upnp }\n',
        '  - wan-address: { router: home, address: 203.0.113.77 }\n',
        '  - wan-address: { router: office, address: 203.0.113.88, mappings: drop }\n',
        reach('old', 8080, 'fails'),
        reach('kept', 8080, 'works', ', address: 203.0.113.77'),
        '  - check: { name: dropped, from: visitor, to: desk, protocol: tcp, port: 8443, address: 203.0.113.88, expect: fails }\n',
      ].join(''),
    );
    expect(r.timeline![2]!.text).toBe(
      "home's WAN address changes 203.0.113.10 → 203.0.113.77: 0 NAT sessions on the old address ended; port mappings kept on the new address (2) (the router's policy: keep)",
    );
    expect(r.timeline![3]!.text).toBe(
      "office's WAN address changes 203.0.113.50 → 203.0.113.88: 0 NAT sessions on the old address ended; 1 dynamic port mapping dropped (as the timeline says)",
    );
    expect(byName(r, 'old').hops.at(-1)).toMatchObject({ node: 'internet', action: 'drop' });
    expect(byName(r, 'kept')).toMatchObject({ result: 'works', pass: true });
    expect(byName(r, 'dropped').hops.at(-1)).toMatchObject({ node: 'office', code: 'no-mapping' });
  });

  it('link down drops traffic across the WAN, link up restores it', () => {
    const r = timeline(
      HOME,
      [
        '  - link: { router: home, state: down }\n',
        reach('down', 22, 'fails'),
        '  - link: { router: home, state: up }\n',
        reach('up', 22, 'works'),
      ].join(''),
    );
    expect(r.timeline!.filter((t) => t.kind === 'link').map((t) => t.text)).toEqual([
      "home's WAN link goes down: every packet across it is dropped",
      "home's WAN link goes up",
    ]);
    expect(byName(r, 'down').hops.at(-1)).toMatchObject({ node: 'home', code: 'wan-down' });
  });

  it('wait advances the injected clock: an idle call loses its NAT sessions on the UDP timer', () => {
    const r = timeline(
      CALL,
      '  - check: call\n  - wait: 299s\n  - check: { name: fresh, from: bob, to: alice, resume: true, expect: works }\n  - wait: 2s\n  - check: { name: stale, from: bob, to: alice, resume: true, expect: fails }\n',
    );
    expect(r.timeline!.map((t) => t.at)).toEqual([0, 0, 299_000, 299_000, 301_000]);
    expect(r.timeline![1]!.text).toBe('4 min 59 s pass (t=0 s → 4 min 59 s); no NAT session or mapping ran out');
    expect(r.timeline![3]!.text).toMatch(/^2 s pass \(t=4 min 59 s → 5 min 1 s\); ran out: home: \d+ NAT sessions$/);
    expect(byName(r, 'fresh')).toMatchObject({ result: 'works', pass: true });
    expect(byName(r, 'stale')).toMatchObject({ result: 'fails', pass: true, failedAt: 'home' });
    expect(byName(r, 'stale').reason).toContain('ran out (or was lost) while the call was idle');
  });

  it('keepalive every 25 s keeps the call open; every 6 min comes too late for the 5 min UDP timer', () => {
    const run = (every: string, wait = '10min') =>
      timeline(
        CALL,
        `  - check: call\n  - keepalive: { host: alice, to: bob, every: ${every} }\n  - wait: ${wait}\n  - check: { name: media, from: bob, to: alice, resume: true, expect: works }\n`,
      );
    const often = run('25s');
    expect(often.timeline![1]!.text).toBe(
      'alice sends a keepalive to bob every 25 s while time passes (from its media ports, on 5 UDP flows of the call)',
    );
    expect(often.timeline![2]!.text).toBe(
      '10 min pass (t=0 s → 10 min); 120 keepalives sent, 120 delivered; no NAT session or mapping ran out',
    );
    expect(byName(often, 'media')).toMatchObject({ result: 'works', pass: true });
    const rare = run('6min', '330s');
    expect(byName(rare, 'media')).toMatchObject({ result: 'fails', pass: false });
  });

  it('an app profile that keeps alive (the ICE-like hole-punch probe, every 15 s) needs no keepalive entry', () => {
    const base = CALL.replace(/app: ichat-av/g, 'app: windows-messenger').replace('feature: av', 'feature: hole-punch');
    const r = timeline(
      base,
      '  - check: call\n  - wait: 10min\n  - check: { name: media, from: bob, to: alice, resume: true, expect: works }\n',
    );
    expect(r.timeline![1]!.text).toMatch(/^10 min pass \(t=0 s → 10 min\); 80 keepalives sent, 80 delivered; /);
    expect(byName(r, 'media')).toMatchObject({ result: 'works', pass: true });
  });

  it('check: NAME plays a check of checks: in the timeline state; inline checks too; standalone checks still run', () => {
    const r = timeline(
      CALL,
      '  - link: { router: home, state: down }\n  - check: call\n  - check: { name: inline, from: alice, to: bob, feature: av, expect: fails }\n',
    );
    expect(r.checks.map((c) => [c.name, c.result])).toEqual([
      ['call', 'works'],
      ['call @ t=0 s', 'fails'],
      ['inline @ t=0 s', 'fails'],
    ]);
    expect(r.failed).toBe(1);
    expect(r.timeline![1]).toMatchObject({ kind: 'check', check: 'call @ t=0 s', pass: false });
  });

  it('resume without an earlier call fails and says so', () => {
    const r = timeline(CALL, '  - check: { name: media, from: bob, to: alice, resume: true, expect: fails }\n');
    expect(byName(r, 'media').reason).toBe('no call between bob and alice was set up earlier in the timeline');
  });
});

describe('timeline validation', () => {
  it('schema errors, located, in words', () => {
    expect(
      errors(
        HOME,
        [
          '  - wait: 90x\n',
          '  - rebot: home\n',
          '  - { wait: 1s, reboot: home }\n',
          '  - link: { router: home, state: sideways }\n',
          '  - wan-address: { router: home, address: 203.0.113.300 }\n',
          '  - map: { host: pc, protocol: tcp, port: 8080, via: pcpx }\n',
        ].join(''),
      ),
    ).toEqual([
      'x.yaml:11:11: timeline.0.wait: expected a duration with a unit such as "90s", "2min", "1h" or "500ms" (more than 0, at most 30 days), got "90x"',
      'x.yaml:12:5: timeline.1.rebot: unknown key "rebot" (did you mean "reboot"?); expected one of: wait, reboot, wan-address, link, map, keepalive, check',
      'x.yaml:13:5: timeline.2: expected exactly one of wait, reboot, wan-address, link, map, keepalive, check per timeline entry (this one has wait and reboot), got a mapping',
      'x.yaml:14:34: timeline.3.link.state: expected one of "down", "up", got "sideways"',
      'x.yaml:15:43: timeline.4.wan-address.address: expected an IPv4 address such as 192.168.1.10, got "203.0.113.300"',
      'x.yaml:16:54: timeline.5.map.via: expected one of "upnp", "natpmp", "pcp", got "pcpx" (did you mean "pcp"?)',
    ]);
  });

  it('references and combinations', () => {
    expect(
      errors(
        HOME.replace('checks:', ''),
        [
          '  - reboot: hom\n',
          '  - map: { host: visitor, protocol: tcp, port: 8080, via: upnp }\n',
          '  - keepalive: { host: pc, to: visitor }\n',
          '  - check: calll\n',
          '  - check: { from: visitor, to: pc, protocol: tcp, expect: works }\n',
          '  - check: { from: visitor, to: pcc, port: 22, protocol: tcp, resume: true, expect: works }\n',
        ].join(''),
      ),
    ).toEqual([
      'x.yaml:11:13: timeline.0.reboot: no router "hom" (did you mean "home"?); routers: home',
      'x.yaml:12:18: timeline.1.map.host: visitor is on the Internet, not behind a router: there is no gateway to map a port on',
      'x.yaml:13:16: timeline.2.keepalive: no interval: give "every" (e.g. every: 25s); pc runs no app profile',
      'x.yaml:14:12: timeline.3.check: no check "calll" in checks:',
      'x.yaml:15:12: timeline.4.check: a reach probe needs both "protocol" and "port"',
      'x.yaml:16:12: timeline.5.check: a reach probe (protocol and port) takes no "feature" or "resume"',
      'x.yaml:16:33: timeline.5.check.to: no host or server "pcc" (did you mean "pc"?)',
    ]);
  });
  it('check: NAME of a check with "after" is refused, located (a timeline cannot honour after)', () => {
    const base = `${HOME}checks:\n  - { name: a, from: pc, to: visitor, expect: works }\n  - { name: b, from: pc, to: visitor, expect: works, after: [a] }\n`;
    expect(errors(base, '  - check: a\n  - check: b\n')).toEqual([
      'x.yaml:15:12: timeline.1.check: check "b" has "after", which a timeline cannot honour: the entries before a timeline check are what it sees (write it inline without "after")',
    ]);
  });
});

describe('timeline: the keepalive bound', () => {
  const NO_CALL = CALL.replace(/checks:\n.*\n/, '');
  it('a wait whose keepalives would run more rounds than the bound is refused at the wait, located', () => {
    expect(errors(NO_CALL, '  - keepalive: { host: alice, to: bob, every: 1ms }\n  - wait: 2min\n')).toEqual([
      'x.yaml:14:11: timeline.1.wait: this wait could run 120001 keepalive rounds (1 keepalive running), more than the 100000 one wait may send: split it, or send keepalives less often',
    ]);
  });

  it("counts the keepalives an app's call starts (ICE-like probe, every 15 s, both ways)", () => {
    const base = CALL.replace(/app: ichat-av/g, 'app: windows-messenger').replace('feature: av', 'feature: hole-punch');
    expect(errors(base, '  - check: call\n  - wait: 100h\n  - wait: 480h\n')).toEqual([
      'x.yaml:17:11: timeline.2.wait: this wait could run 230402 keepalive rounds (2 keepalives running), more than the 100000 one wait may send: split it, or send keepalives less often',
    ]);
  });

  it('a keepalive with no call sends nothing and a long wait does not step through its rounds', () => {
    const r = timeline(NO_CALL, '  - keepalive: { host: alice, to: bob, every: 30s }\n  - wait: 720h\n');
    expect(r.timeline![1]!.text).toBe('720 h pass (t=0 s → 720 h); no NAT session or mapping ran out');
  });
});

describe('timeline: NAT-PMP, leases, output', () => {
  const PMP = HOME.replace('services: { upnp: true }', 'services: { upnp: true, natpmp: true }');

  it("map via natpmp goes through the router's NAT-PMP server; its lease runs out on model time", () => {
    const r = timeline(
      PMP,
      [
        '  - map: { host: pc, protocol: udp, port: 5000, via: natpmp, lease: 60s }\n',
        '  - check: { name: leased, from: visitor, to: pc, protocol: udp, port: 5000, expect: works }\n',
        '  - wait: 61s\n',
        '  - check: { name: expired, from: visitor, to: pc, protocol: udp, port: 5000, expect: fails }\n',
      ].join(''),
    );
    expect(r.timeline![0]!.text).toBe(
      'pc asks home over NAT-PMP: external address 203.0.113.10; UDP 5000 → 192.168.1.10:5000 for 1 min; pc publishes 203.0.113.10:5000',
    );
    expect(r.timeline![2]!.text).toBe('1 min 1 s pass (t=0 s → 1 min 1 s); ran out: home: 1 port mapping');
    expect(byName(r, 'leased')).toMatchObject({ result: 'works', pass: true });
    expect(byName(r, 'expired')).toMatchObject({ result: 'fails', pass: true, failedAt: 'home' });
  });

  it('a router without NAT-PMP maps nothing', () => {
    const r = timeline(HOME, '  - map: { host: pc, protocol: udp, port: 5000, via: natpmp }\n');
    expect(r.timeline![0]!.text).toBe('pc asks home for a NAT-PMP mapping of UDP 5000, but home does not offer NAT-PMP: nothing is mapped');
  });

  it('reboot also loses NAT-PMP mappings and the reason says so', () => {
    const r = timeline(
      PMP,
      `  - map: { host: pc, protocol: tcp, port: 8080, via: natpmp }\n  - reboot: home\n${reach('after', 8080, 'fails')}`,
    );
    expect(byName(r, 'after').reason).toBe(
      'visitor → 203.0.113.10:8080 (the address pc published from its NAT-PMP mapping): dropped at home: no mapping for 203.0.113.10:8080 (TCP, inbound from 198.51.100.20:61000): nothing inside has sent to it and no port forward exists — home rebooted at t=0 s and lost its NAT sessions and UPnP/NAT-PMP mappings; they must be made again',
    );
  });

  it('JSON output and the explain text carry the timeline steps', async () => {
    const { toJson, timelineText } = await import('../../src/scenario/explain.js');
    const r = timeline(HOME, '  - wait: 45s\n  - reboot: home\n');
    expect((toJson(r) as { timeline: unknown }).timeline).toEqual([
      { index: 0, at: 0, kind: 'wait', text: '45 s pass (t=0 s → 45 s); no NAT session or mapping ran out' },
      {
        index: 1,
        at: 45_000,
        kind: 'reboot',
        text: 'home reboots: 0 NAT sessions and 0 dynamic port mappings (UPnP/NAT-PMP) lost; 1 static forward kept',
      },
    ]);
    expect(timelineText(r)).toBe(
      [
        'Timeline (model time; each check sees the state the entries before it produced):',
        '  t=0 s      wait        45 s pass (t=0 s → 45 s); no NAT session or mapping ran out',
        '  t=45 s     reboot      home reboots: 0 NAT sessions and 0 dynamic port mappings (UPnP/NAT-PMP) lost; 1 static forward kept',
      ].join('\n'),
    );
  });
});
