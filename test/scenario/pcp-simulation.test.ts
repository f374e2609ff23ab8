/**
 * PCP in the simulation: probes that discover with `pcp` (alone, or PCP → NAT-PMP → UPnP as
 * libtorrent, Tailscale and libplum try) and timeline `map: { via: pcp }` send real PCP datagrams
 * through the router's port-control dispatcher, in process; the mapping they get lets packets in
 * (or, with FILTER, only from the filtered peers).
 */
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/scenario/errors.js';
import { checkScenarioText } from '../../src/scenario/loader.js';
import { play } from './helpers.js';

const scenario = (services: string, feature: string, profile = 'miniupnpd'): string => `name: pcp probe
routers:
  gw: { wan: 81.2.69.160, lan: 10.7.0.0/24, services: { ${services} }, profile: ${profile} }
hosts:
  h: { router: gw, address: 10.7.0.2 }
  pub: { address: 198.51.100.50 }
checks:
  - { name: map and connect, from: pub, to: h, feature: ${feature}, expect: works }
`;
const steps = (yaml: string) => {
  const c = play(yaml).checks[0]!;
  return { result: c.result, texts: c.steps.map((s) => s.text) };
};

describe('probes discovering with pcp', () => {
  it('pcp-map-connect: one MAP gives the address and the port; the connection reaches h', () => {
    const r = steps(scenario('natpmp: true, pcp: true', 'pcp-map-connect'));
    expect(r.result).toBe('works');
    expect(r.texts).toContain('h asks its gateway gw over PCP: MAP TCP 8000 → 81.2.69.160:8000 for 7200 s');
  });

  it('pcp-map-connect on a NAT-PMP-only router: NAT-PMP answers "unsupported version", nothing else to try', () => {
    const r = steps(scenario('natpmp: true', 'pcp-map-connect'));
    expect(r.result).toBe('fails');
    expect(r.texts).toContain(
      'h: PCP MAP of TCP 8000 on gw: answered by NAT-PMP "unsupported version": the router speaks NAT-PMP, not PCP',
    );
  });

  it('port-map-connect falls back PCP → NAT-PMP → UPnP as the router allows', () => {
    const pmp = steps(scenario('natpmp: true, pcp: true', 'port-map-connect', 'natpmp-only'));
    expect(pmp.result).toBe('works');
    expect(pmp.texts).toContain(
      'h: PCP MAP of TCP 8000 on gw: answered by NAT-PMP "unsupported version": the router speaks NAT-PMP, not PCP',
    );
    expect(pmp.texts).toContain('h asks its gateway gw over NAT-PMP: external address 81.2.69.160; TCP 8000 → 10.7.0.2:8000 for 7200 s');

    const refused = steps(scenario('natpmp: true, pcp: true', 'port-map-connect', 'pcp-not-authorized'));
    expect(refused.result).toBe('works');
    expect(refused.texts).toContain('h: PCP MAP of TCP 8000 on gw: result 2 NOT_AUTHORIZED');
    expect(refused.texts.some((t) => t.startsWith('h asks its gateway gw over NAT-PMP'))).toBe(true);

    const upnp = steps(scenario('upnp: true, natpmp: true, pcp: true', 'port-map-connect', 'upnp-only'));
    expect(upnp.result).toBe('works');
    expect(upnp.texts).toContain('h: PCP MAP of TCP 8000 on gw: no answer on UDP 5351');
    expect(upnp.texts).toContain('h gets no NAT-PMP answer from gw: nothing answers on UDP 5351 (profile upnp-only)');
    expect(upnp.texts.some((t) => t.startsWith('h asks its gateway gw over UPnP'))).toBe(true);

    const none = steps(scenario('proxy: false', 'port-map-connect'));
    expect(none.result).toBe('fails');
    expect(none.texts).toContain('h gets no PCP answer: gw offers neither PCP nor NAT-PMP');
  });

  it('the vpn-60s profile: the PCP mapping is granted 60 s', () => {
    const r = steps(scenario('natpmp: true, pcp: true', 'pcp-map-connect', 'vpn-60s'));
    expect(r.result).toBe('works');
    expect(r.texts).toContain('h asks its gateway gw over PCP: MAP TCP 8000 → 81.2.69.160:8000 for 60 s');
  });
});

const HOME = `
routers:
  home: { wan: 203.0.113.10, lan: 192.168.1.0/24, nat: port-restricted-cone, services: { natpmp: true, pcp: true } }
hosts:
  pc: { router: home, address: 192.168.1.10 }
  visitor: { address: 198.51.100.20 }
  stranger: { address: 192.0.2.77 }
`;
const timeline = (entries: string) => play(`name: t\n${HOME}\ntimeline:\n${entries}`);
const reach = (name: string, from: string, expect: string) =>
  `  - check: { name: ${name}, from: ${from}, to: pc, protocol: tcp, port: 8080, expect: ${expect} }\n`;

describe('timeline map via pcp', () => {
  it('maps through the PCP server; the lease runs out on model time', () => {
    const r = timeline(
      `  - map: { host: pc, protocol: tcp, port: 8080, via: pcp, lease: 10min }\n${reach('mapped', 'visitor', 'works')}  - wait: 601s\n${reach('expired', 'visitor', 'fails')}`,
    );
    expect(r.timeline![0]!.text).toBe(
      'pc asks home over PCP: MAP TCP 8080 (suggesting 8080) → 203.0.113.10:8080 for 10 min; pc publishes 203.0.113.10:8080',
    );
    expect(r.checks.map((c) => [c.name.split(' @')[0], c.result, c.pass])).toEqual([
      ['mapped', 'works', true],
      ['expired', 'fails', true],
    ]);
  });

  it('FILTER admits only the filtered peer: the other is dropped by the model with pcp-filter', () => {
    const r = timeline(
      `  - map: { host: pc, protocol: tcp, port: 8080, via: pcp, filter: [198.51.100.0/24] }\n${reach('admitted', 'visitor', 'works')}${reach('filtered', 'stranger', 'fails')}`,
    );
    expect(r.timeline![0]!.text).toBe(
      'pc asks home over PCP: MAP TCP 8080 (suggesting 8080, FILTER 198.51.100.0/24) → 203.0.113.10:8080 for 2 h; pc publishes 203.0.113.10:8080',
    );
    expect(r.checks.find((c) => c.name.startsWith('admitted'))).toMatchObject({ result: 'works', pass: true });
    const filtered = r.checks.find((c) => c.name.startsWith('filtered'))!;
    expect(filtered).toMatchObject({ result: 'fails', pass: true, failedAt: 'home' });
    expect(filtered.reason).toContain("home's TCP 8080 mapping admits only 198.51.100.0/24 (PCP FILTER), not 192.0.2.77:");
  });

  it('a router that does not offer PCP answers with NAT-PMP "unsupported version"', () => {
    const r = play(
      `name: t\n${HOME.replace('natpmp: true, pcp: true', 'natpmp: true')}\ntimeline:\n  - map: { host: pc, protocol: udp, port: 5000, via: pcp }\n`,
    );
    expect(r.timeline![0]!.text).toBe(
      'pc asks home over PCP: MAP UDP 5000 (suggesting 5000) — answered by NAT-PMP "unsupported version": the router speaks NAT-PMP, not PCP: nothing is mapped',
    );
  });

  it('validation errors are located', () => {
    const errors = (entries: string) => checkScenarioText(`name: t\n${HOME}\ntimeline:\n${entries}`, 'x.yaml').issues.map(formatIssue);
    expect(
      errors(
        [
          '  - map: { host: pc, protocol: tcp, port: 8080, via: natpmp, filter: [198.51.100.0/24] }\n',
          '  - map: { host: pc, protocol: tcp, port: 8080, via: pcp, filter: [198.51.100.0/33, "1.2.3.4:99999", 10.0.0.1:80] }\n',
        ].join(''),
      ),
    ).toEqual([
      'x.yaml:11:70: timeline.0.map.filter: "filter" is PCP\'s FILTER option: it needs via: pcp (this map is via natpmp)',
      'x.yaml:12:68: timeline.1.map.filter.0: expected a remote peer such as 203.0.113.0/24:443, 198.51.100.9 or 0.0.0.0/0, got "198.51.100.0/33"',
      'x.yaml:12:85: timeline.1.map.filter.1: expected a remote peer such as 203.0.113.0/24:443, 198.51.100.9 or 0.0.0.0/0, got "1.2.3.4:99999"',
    ]);
  });
});
