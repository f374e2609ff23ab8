/**
 * Explanations: the text narrative, the Mermaid sequence diagram and the stable JSON view.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { explainMermaid, explainText, summaryText, toJson } from '../../src/scenario/explain.js';
import { loadScenarioFile } from '../../src/scenario/loader.js';
import { type CheckResult, runScenario, type ScenarioResult } from '../../src/scenario/simulate.js';
import { play, ROOT } from './helpers.js';

const WM04 = join(ROOT, 'scenarios', 'wm-04-isp-nat.yaml');
const CALL = 'alice calls bob (audio/video)';

let result: ScenarioResult;
let call: CheckResult;

beforeAll(async () => {
  const { config } = await loadScenarioFile(WM04);
  result = runScenario(config, { file: WM04, only: CALL });
  call = result.checks[0]!;
});

describe('explainText (ISP NAT, alice calls bob)', () => {
  it('runs only the named check, which fails as expected', () => {
    expect(result.checks.map((c) => c.name)).toEqual([CALL]);
    expect(call).toMatchObject({ result: 'fails', expect: 'fails', pass: true, failedAt: 'internet' });
  });

  it('starts with the check, the verdict and the reason', () => {
    const lines = explainText(call).split('\n');
    expect(lines[0]).toBe(`Check "${CALL}": alice → bob, av`);
    expect(lines[1]).toBe('Result: FAILS (expected fails, as expected)');
    expect(lines[2]).toMatch(
      /^Why: SIP session \(invitee → inviter, dynamic UDP port\) from bob to 100\.64\.0\.2:\d+: dropped on the Internet: no route to 100\.64\.0\.2 \(100\.64\.0\.2 is in the carrier-NAT shared space 100\.64\.0\.0\/10: it is not routed on the Internet\)\. /,
    );
    expect(lines[3]).toBe('');
    expect(lines[4]).toBe('What happened, step by step:');
  });

  it('names the advertised 100.64.0.2 address, isp-nat, and says UPnP reached only home-a', () => {
    const text = explainText(call);
    expect(text).toMatch(
      /alice advertised 100\.64\.0\.2:\d+, the external address its UPnP gateway home-a reported — but home-a is itself behind isp-nat: from the Internet only 203\.0\.113\.1 leads there, and UPnP reached only home-a, so no mapping exists at isp-nat/,
    );
    expect(text).toContain('alice asks its gateway home-a over UPnP: GetExternalIPAddress = 100.64.0.2;');
    expect(text).toMatch(
      /\n +\d+\. SIP session \(invitee → inviter, dynamic UDP port\): 198\.51\.100\.20:\d+ → 100\.64\.0\.2:\d+ — dropped at internet \(no-route\)\n {7}✗ dropped on the Internet: no route to 100\.64\.0\.2 /,
    );
    expect(text.endsWith('\n\nThe decisive drop happened on the Internet.')).toBe(true);
  });

  it('numbers every step and lists each hop of packet steps', () => {
    const lines = explainText(call).split('\n').slice(5);
    const numbered = lines.filter((l) => /^ *\d+\. /.test(l));
    expect(numbered.length).toBe(call.steps.length);
    expect(numbered.map((l) => Number(/^ *(\d+)\./.exec(l)![1]))).toEqual(call.steps.map((_, i) => i + 1));
    const hopLines = lines.filter((l) => /^ {7}[·✗] /.test(l));
    expect(hopLines.length).toBe(call.steps.reduce((n, s) => n + (s.delivery?.hops.length ?? 0), 0));
    expect(hopLines.filter((l) => l.startsWith('       ✗')).length).toBe(1);
  });

  it('a passing check has no "decisive drop" line, and a mismatch says MISMATCH', () => {
    const r = play(`name: t
hosts:
  a: { address: 198.51.100.1 }
  b: { address: 198.51.100.2 }
servers:
  rv: { address: 198.51.100.5, role: signalling }
checks:
  - { name: ok, from: a, to: b, feature: tcp-connect, expect: works }
  - { name: wrong, from: a, to: b, feature: tcp-connect, expect: fails }
`);
    const ok = explainText(r.checks[0]!);
    expect(ok.split('\n')[1]).toBe('Result: WORKS (expected works, as expected)');
    expect(ok).not.toContain('decisive drop');
    expect(explainText(r.checks[1]!).split('\n')[1]).toBe('Result: WORKS (expected fails — MISMATCH)');
    expect(summaryText(r)).toBe(
      [
        't',
        '  PASS works   ok (expected works)',
        '  FAIL works   wrong (expected fails)',
        '         every flow of tcp-connect got through both ways — direct TCP connect: a → b went straight across the Internet, no NAT or firewall on the way',
        '  1 passed, 1 failed',
      ].join('\n'),
    );
  });
});

describe('explainMermaid (ISP NAT, alice calls bob)', () => {
  let lines: string[];
  beforeAll(() => {
    lines = explainMermaid(call).split('\n');
  });

  it('starts with sequenceDiagram and declares the hosts, routers and servers involved', () => {
    expect(lines[0]).toBe('sequenceDiagram');
    const participants = lines.filter((l) => l.startsWith('  participant '));
    expect(participants).toEqual([
      '  participant alice as alice',
      '  participant home_a as home-a',
      '  participant isp_nat as isp-nat',
      '  participant messenger as messenger',
      '  participant bob as bob',
      '  participant internet as internet',
    ]);
    // declarations come before the body
    expect(lines.slice(1, 1 + participants.length)).toEqual(participants);
  });

  it('every arrow and note refers to a declared participant', () => {
    const declared = new Set(lines.filter((l) => l.startsWith('  participant ')).map((l) => l.split(' ')[3]!));
    for (const l of lines.slice(1 + declared.size)) {
      const arrow = /^ {2}(\w+)(->>|-x)(\w+): /.exec(l);
      const note = /^ {2}Note (?:over|right of) (\w+): /.exec(l);
      expect(arrow ?? note, l).not.toBeNull();
      if (arrow) {
        expect(declared.has(arrow[1]!), l).toBe(true);
        expect(declared.has(arrow[3]!), l).toBe(true);
      } else {
        expect(declared.has(note![1]!), l).toBe(true);
      }
    }
  });

  it('the drop is a -x arrow from bob to the Internet, followed by its reason', () => {
    const drops = lines.filter((l) => l.includes('-x'));
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatch(/^ {2}bob-xinternet: UDP 198\.51\.100\.20:\d+ → 100\.64\.0\.2:\d+ ✗ no-route$/);
    const i = lines.indexOf(drops[0]!);
    expect(lines[i + 1]).toBe(
      '  Note right of internet: dropped on the Internet: no route to 100.64.0.2 (100.64.0.2 is in the carrier-NAT shared space 100.64.0.0/10: it is not routed on the Internet)',
    );
  });

  it('shows each translation at the NATs of the cascade', () => {
    expect(lines).toContain('  alice->>home_a: TCP 192.168.1.10:50152 → 198.51.100.5:1863 [SYN]');
    expect(lines).toContain('  Note right of home_a: new-mapping: now TCP 100.64.0.2:50152 → 198.51.100.5:1863 [SYN]');
    expect(lines).toContain('  home_a->>isp_nat: TCP 100.64.0.2:50152 → 198.51.100.5:1863 [SYN]');
  });

  it('escapes characters Mermaid would read as syntax (; and #) in message text', () => {
    for (const l of lines.slice(1)) expect(l, l).not.toMatch(/[;#]/);
    expect(lines.some((l) => l.includes('GetExternalIPAddress = 100.64.0.2, AddPortMapping UDP'))).toBe(true);
  });
});

describe('toJson', () => {
  const CHECK_KEYS = ['name', 'from', 'to', 'feature', 'expect', 'result', 'pass', 'reason', 'hops'];

  it('has exactly { scenario, file, checks, passed, failed } and the check keys', () => {
    const json = toJson(result) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['scenario', 'file', 'checks', 'passed', 'failed']);
    expect(json.scenario).toBe('Windows Messenger — the ISP uses NAT (cascaded)');
    expect(json.file).toBe(WM04);
    expect(json.passed).toBe(1);
    expect(json.failed).toBe(0);
    const checks = json.checks as Array<Record<string, unknown>>;
    expect(checks).toHaveLength(1);
    expect(Object.keys(checks[0]!)).toEqual(CHECK_KEYS);
    expect(checks[0]).toMatchObject({
      name: CALL,
      from: 'alice',
      to: 'bob',
      feature: 'av',
      expect: 'fails',
      result: 'fails',
      pass: true,
      reason: call.reason,
    });
    const hops = checks[0]!.hops as Array<Record<string, unknown>>;
    expect(hops.length).toBeGreaterThan(0);
    for (const h of hops) expect(Object.keys(h)).toEqual(['node', 'action', 'code', 'message']);
    expect(hops.at(-1)).toMatchObject({ node: 'internet', action: 'drop', code: 'no-route' });
  });

  it('omits file when there is none, and never leaks steps, deliveries or failedAt', () => {
    const json = toJson(
      play(`name: t
hosts:
  a: { address: 198.51.100.1 }
  b: { address: 198.51.100.2 }
checks:
  - { from: a, to: b, feature: hole-punch, expect: works }
`),
    ) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['scenario', 'checks', 'passed', 'failed']);
    const text = JSON.stringify(json);
    expect(text).not.toMatch(/"(steps|delivery|failedAt|before|after)"/);
    expect(JSON.parse(text)).toEqual(json);
  });

  it('adds classification only for classify checks', () => {
    const r = play(`name: t
routers:
  rc: { wan: 203.0.113.11, lan: 10.2.0.0/24, nat: restricted-cone }
hosts:
  h: { router: rc, address: 10.2.0.2 }
  pub: { address: 198.51.100.50 }
servers:
  stun1: { address: 198.51.100.6, role: reflector }
  stun2: { address: 198.51.100.7, role: reflector }
checks:
  - { name: classify, from: h, to: pub, feature: classify, expect: works }
  - { name: punch, from: h, to: pub, feature: hole-punch, expect: works }
`);
    const checks = (toJson(r) as { checks: Array<Record<string, unknown>> }).checks;
    expect(Object.keys(checks[0]!)).toEqual([...CHECK_KEYS, 'classification']);
    expect(checks[0]!.classification).toEqual({ mapping: 'endpoint-independent', filtering: 'address-dependent' });
    expect(Object.keys(checks[1]!)).toEqual(CHECK_KEYS);
  });
});
