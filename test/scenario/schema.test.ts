/**
 * The scenario file contract: every shipped scenario loads; bad files give exact
 * `file:line:col: path: message` errors; the JSON Schema is generated and committed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { didYouMean, formatIssue, ScenarioError } from '../../src/scenario/errors.js';
import { loadScenarioFile, parseScenario } from '../../src/scenario/loader.js';
import { scenarioJsonSchema } from '../../src/scenario/schema.js';
import { runScenario } from '../../src/scenario/simulate.js';
import { at, errorOf, FIXTURES, issuesOf, ROOT } from './helpers.js';

const SCENARIOS = join(ROOT, 'scenarios');
const scenarioFiles = readdirSync(SCENARIOS)
  .filter((n) => /\.ya?ml$/.test(n))
  .sort();

const ROUTER_KEYS =
  'parent, wan, lan, lanAddress, nat, firewall, forwards, algs, services, profile, permissions, wanUp, upstream, description';
const PRESETS = '"full-cone", "restricted-cone", "port-restricted-cone", "symmetric", "cgnat", "one-to-one", "open", "none"';
const APPS = 'windows-messenger, netmeeting, ispq-7, ispq-8, ichat-av';

/** `x.yaml:L:C: path: message` with the position of `needle` in `text`. */
function loc(text: string, needle: string, path: string, message: string, from?: string): string {
  const { line, col } = at(text, needle, from);
  return `x.yaml:${line}:${col}: ${path}: ${message}`;
}

describe('good files', () => {
  it('the scenarios/ directory is not empty', () => {
    expect(scenarioFiles.length).toBeGreaterThanOrEqual(20);
  });

  it.each(scenarioFiles)('scenarios/%s loads and has at least one check', async (name) => {
    const file = join(SCENARIOS, name);
    const loaded = await loadScenarioFile(file);
    expect(loaded.file).toBe(file);
    expect(typeof loaded.config.name).toBe('string');
    const timelineChecks = loaded.config.timeline?.filter((e) => e.check !== undefined).length ?? 0;
    expect(loaded.config.checks.length + timelineChecks).toBeGreaterThan(0);
  });

  it('parseScenario on text applies the defaults', () => {
    const config = parseScenario(`name: minimal
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24 }
hosts:
  a: { router: home, address: 192.168.1.10 }
  b: { address: 198.51.100.2 }
checks:
  - { from: a, to: b, expect: works }
`);
    expect(config.seed).toBe(1);
    expect(config.servers).toEqual({});
    expect(config.routers.home).toMatchObject({
      wan: '203.0.113.1',
      lan: '192.168.1.0/24',
      nat: 'port-restricted-cone',
      forwards: [],
      algs: [],
      services: { upnp: false, natpmp: false, pcp: false },
      profile: 'miniupnpd',
      wanUp: true,
    });
    expect(config.checks).toEqual([{ from: 'a', to: 'b', expect: 'works', initiator: 'from', after: [] }]);
  });

  it('parseScenario without a file name reports <scenario>', () => {
    expect(() => parseScenario('name: t\n')).toThrow(/^<scenario>:1:1: hosts: /);
  });

  it('loadScenarioFile names the file it could not read', async () => {
    const file = join(FIXTURES, 'does-not-exist.yaml');
    await expect(loadScenarioFile(file)).rejects.toThrow(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:1: \\(document\\): cannot read file: ENOENT`),
    );
  });

  it('loadScenarioFile reports the fixture path, line and column', async () => {
    const file = join(FIXTURES, 'bad-unknown-key.yaml');
    const text = readFileSync(file, 'utf8');
    const err = await loadScenarioFile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioError);
    const { line, col } = at(text, 'servcies:');
    expect((err as ScenarioError).message).toBe(
      `${file}:${line}:${col}: routers.home.servcies: unknown key "servcies" (did you mean "services"?); expected one of: ${ROUTER_KEYS}`,
    );
  });
});

describe('bad files: schema errors', () => {
  it('unknown key under a router, with did-you-mean and the keys allowed there', () => {
    const text = `name: t
routers:
  home:
    wan: 203.0.113.1
    lan: 192.168.1.0/24
    servcies: { upnp: true }
hosts:
  a: { router: home, address: 192.168.1.10 }
`;
    expect(errorOf(text)).toBe(
      loc(text, 'servcies', 'routers.home.servcies', `unknown key "servcies" (did you mean "services"?); expected one of: ${ROUTER_KEYS}`),
    );
    expect(issuesOf(text)).toEqual([
      {
        file: 'x.yaml',
        line: 6,
        col: 5,
        path: 'routers.home.servcies',
        message: `unknown key "servcies" (did you mean "services"?); expected one of: ${ROUTER_KEYS}`,
      },
    ]);
  });

  it("a bad permission rule is located at the rule, with the parser's reason", () => {
    const text = `name: t
routers:
  home:
    wan: 203.0.113.1
    lan: 192.168.1.0/24
    permissions:
      - allow 1024-65535 192.168.1.0/24 1024-65535
      - alow 80 192.168.1.0/24 80
hosts:
  a: { router: home, address: 192.168.1.10 }
`;
    expect(issuesOf(text)).toEqual([
      {
        file: 'x.yaml',
        line: 8,
        col: 9,
        path: 'routers.home.permissions.1',
        message:
          'expected a rule "allow|deny ext-ports ip[/mask] int-ports" (must start with allow or deny), got "alow 80 192.168.1.0/24 80"',
      },
    ]);
  });

  it("permissions: reach the router's mapping service (and replace the default rules)", async () => {
    const { buildNetwork } = await import('../../src/scenario/build.js');
    const cfg = parseScenario(
      `name: t
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24, permissions: ["allow 80 192.168.1.0/24 80"] }
  plain: { wan: 203.0.113.2, lan: 192.168.2.0/24 }
hosts:
  a: { router: home, address: 192.168.1.10 }
`,
      'x.yaml',
    );
    const { net } = buildNetwork(cfg);
    expect(net.router('home').mappings.config.permissions.map((r) => r.text)).toEqual(['allow 80 192.168.1.0/24 80']);
    expect(net.router('plain').mappings.config.permissions.map((r) => r.text)).toEqual([
      'allow 1024-65535 192.168.2.0/24 1024-65535',
      'deny 0-65535 0.0.0.0/0 0-65535',
    ]);
  });

  it('unknown top-level key, plus the required key it replaced', () => {
    const text = `name: t
hots:
  a: { address: 198.51.100.2 }
`;
    expect(errorOf(text)).toBe(
      [
        'x.yaml:1:1: hosts: missing required key "hosts" (a mapping)',
        'x.yaml:2:1: hots: unknown key "hots" (did you mean "hosts"?); expected one of: name, description, source, notes, seed, routers, hosts, servers, checks, timeline',
      ].join('\n'),
    );
  });

  it('unknown key inside a nat mapping', () => {
    const text = `name: t
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24, nat: { preset: full-cone, maping: endpoint-independent } }
hosts:
  a: { address: 198.51.100.2 }
`;
    expect(errorOf(text)).toBe(
      loc(
        text,
        'maping',
        'routers.home.nat.maping',
        'unknown key "maping" (did you mean "mapping"?); expected one of: preset, mapping, filtering, portAssignment, portRangePreservation, portParity, pooling, hairpinning, refreshOnInbound, portQuota, portReuseDelay, timers, oneToOne, excludedDestinations, portBlocks',
      ),
    );
  });

  it('bad NAT preset name, with did-you-mean', () => {
    const text = `name: t
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24, nat: symetric }
hosts:
  a: { router: home, address: 192.168.1.10 }
`;
    expect(errorOf(text)).toBe(
      loc(text, 'symetric', 'routers.home.nat', `expected one of ${PRESETS} or a mapping, got "symetric" (did you mean "symmetric"?)`),
    );
  });

  it('bad enum (server role, check expect), with did-you-mean', () => {
    const text = `name: t
hosts:
  a: { address: 198.51.100.1 }
  b: { address: 198.51.100.2 }
servers:
  s: { address: 198.51.100.3, role: reflecter }
checks:
  - { from: a, to: b, expect: work }
`;
    expect(errorOf(text)).toBe(
      [
        loc(
          text,
          'reflecter',
          'servers.s.role',
          'expected one of "signalling", "reflector", "relay", got "reflecter" (did you mean "reflector"?)',
        ),
        loc(text, 'work', 'checks.0.expect', 'expected one of "works", "fails", "relayed", got "work" (did you mean "works"?)', 'expect:'),
      ].join('\n'),
    );
  });

  it('bad IPv4 address (out of range octet)', () => {
    const text = `name: t
hosts:
  a:
    address: 192.168.1.300
`;
    expect(errorOf(text)).toBe(
      loc(text, '192.168.1.300', 'hosts.a.address', 'expected an IPv4 address such as 192.168.1.10, got "192.168.1.300"'),
    );
  });

  it('bad prefix length', () => {
    const text = `name: t
routers:
  home:
    wan: 203.0.113.1
    lan: 192.168.1.0/33
hosts:
  a: { address: 198.51.100.1 }
`;
    expect(errorOf(text)).toBe(
      loc(text, '192.168.1.0/33', 'routers.home.lan', 'expected an IPv4 prefix such as 192.168.1.0/24, got "192.168.1.0/33"'),
    );
  });

  it('missing required scalar fields', () => {
    expect(errorOf('')).toBe(
      'x.yaml:1:1: name: missing required key "name" (text)\nx.yaml:1:1: hosts: missing required key "hosts" (a mapping)',
    );
    const text = `hosts:
  a: { address: 198.51.100.1 }
`;
    expect(issuesOf(text)).toEqual([{ file: 'x.yaml', line: 1, col: 1, path: 'name', message: 'missing required key "name" (text)' }]);
  });

  it('wrong types: a string for a number, a string for a list', () => {
    const text = `name: t
seed: "abc"
hosts:
  a: { address: 198.51.100.1 }
checks:
  - from: a
    to: a
    expect: works
    after: nope
`;
    expect(errorOf(text)).toBe(
      [loc(text, '"abc"', 'seed', 'expected a number, got "abc"'), loc(text, 'nope', 'checks.0.after', 'expected a list, got "nope"')].join(
        '\n',
      ),
    );
  });

  it('a list where a mapping is expected', () => {
    expect(errorOf('- a\n- b\n')).toBe('x.yaml:1:1: (document): expected a mapping, got a list');
  });
});

describe('bad files: YAML errors', () => {
  it('syntax error: unterminated flow mapping', () => {
    const text = `name: t
hosts:
  a: { address: 198.51.100.1
`;
    expect(issuesOf(text)).toEqual([
      {
        file: 'x.yaml',
        line: 4,
        col: 1,
        path: '',
        message: 'YAML: Flow map in block collection must be sufficiently indented and end with a }',
      },
    ]);
    expect(errorOf(text)).toBe('x.yaml:4:1: (document): YAML: Flow map in block collection must be sufficiently indented and end with a }');
  });

  it('duplicate key, located at the second occurrence', () => {
    const text = `name: t
hosts:
  a: { address: 198.51.100.1 }
  a: { address: 198.51.100.2 }
`;
    expect(errorOf(text)).toBe('x.yaml:4:3: (document): YAML: key "a" is written twice in this mapping (first at line 3, column 3)');
  });
});

describe('bad files: reference errors', () => {
  it('hosts.x.router names no router (did you mean)', () => {
    const text = `name: t
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24 }
hosts:
  a: { router: hom, address: 192.168.1.10 }
`;
    expect(errorOf(text)).toBe(loc(text, 'hom,', 'hosts.a.router', 'no router "hom" (did you mean "home"?); routers: home'));
  });

  it('router parent names no router (did you mean)', () => {
    const text = `name: t
routers:
  isp: { wan: 203.0.113.1, lan: 100.64.0.0/10 }
  home: { parent: ips, wan: 100.64.0.2, lan: 192.168.1.0/24 }
hosts:
  a: { address: 198.51.100.2 }
`;
    expect(errorOf(text)).toBe(loc(text, 'ips', 'routers.home.parent', 'no router "ips" (did you mean "isp"?); routers: isp, home'));
  });

  it('a router cannot be its own parent', () => {
    const text = `name: t
routers:
  r1: { parent: r1, wan: 10.1.0.2, lan: 10.1.0.0/24 }
hosts:
  a: { address: 198.51.100.2 }
`;
    expect(errorOf(text)).toBe(loc(text, 'r1,', 'routers.r1.parent', 'a router cannot be its own parent'));
  });

  it('host address outside its router LAN', () => {
    const text = `name: t
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24 }
hosts:
  a: { router: home, address: 192.168.2.10 }
`;
    expect(errorOf(text)).toBe(loc(text, '192.168.2.10', 'hosts.a.address', "192.168.2.10 is not in home's LAN 192.168.1.0/24"));
  });

  it('server address outside its router LAN', () => {
    const text = `name: t
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24 }
hosts:
  a: { address: 198.51.100.2 }
servers:
  s: { router: home, address: 10.0.0.5, role: relay }
`;
    expect(errorOf(text)).toBe(loc(text, '10.0.0.5', 'servers.s.address', "10.0.0.5 is not in home's LAN 192.168.1.0/24"));
  });

  it('router WAN outside its parent LAN', () => {
    const text = `name: t
routers:
  isp: { wan: 203.0.113.1, lan: 100.64.0.0/10 }
  home: { parent: isp, wan: 10.0.0.2, lan: 192.168.1.0/24 }
hosts:
  a: { address: 198.51.100.2 }
`;
    expect(errorOf(text)).toBe(loc(text, '10.0.0.2', 'routers.home.wan', "10.0.0.2 is not in the parent isp's LAN 100.64.0.0/10"));
  });

  it('forward to an address outside the LAN', () => {
    const text = `name: t
routers:
  home:
    wan: 203.0.113.1
    lan: 192.168.1.0/24
    forwards:
      - { protocol: tcp, external: 2000-2002, internal: 192.168.2.10 }
hosts:
  a: { address: 198.51.100.2 }
`;
    expect(errorOf(text)).toBe(
      loc(text, '192.168.2.10', 'routers.home.forwards.0.internal', "192.168.2.10 is not in home's LAN 192.168.1.0/24"),
    );
  });

  it('unknown app (did you mean)', () => {
    const text = `name: t
hosts:
  a: { address: 198.51.100.1, app: windows-mesenger }
`;
    expect(errorOf(text)).toBe(
      loc(text, 'windows-mesenger', 'hosts.a.app', `unknown app "windows-mesenger" (did you mean "windows-messenger"?); apps: ${APPS}`),
    );
  });

  it('unknown feature for the app (with and without a close match)', () => {
    const text = `name: t
hosts:
  a: { address: 198.51.100.1, app: windows-messenger }
  b: { address: 198.51.100.2, app: windows-messenger }
checks:
  - { from: a, to: b, feature: vidoe, expect: works }
  - { from: a, to: b, feature: app-shring, expect: works }
`;
    const known =
      'im, av, app-sharing, file-transfer, remote-assistance, hole-punch, hole-punch-naive, hole-punch-predict, tcp-connect, upnp-map-connect, natpmp-map-connect, pcp-map-connect, port-map-connect, classify';
    expect(errorOf(text)).toBe(
      [
        loc(text, 'vidoe', 'checks.0.feature', `unknown feature "vidoe" for windows-messenger; known: ${known}`),
        loc(
          text,
          'app-shring',
          'checks.1.feature',
          `unknown feature "app-shring" for windows-messenger (did you mean "app-sharing"?); known: ${known}`,
        ),
      ].join('\n'),
    );
  });

  it('unknown probe for a host without an app', () => {
    const text = `name: t
hosts:
  a: { address: 198.51.100.1 }
  b: { address: 198.51.100.2 }
checks:
  - { from: a, to: b, feature: hole-punsh, expect: works }
`;
    expect(errorOf(text)).toBe(
      loc(
        text,
        'hole-punsh',
        'checks.0.feature',
        'unknown feature "hole-punsh" (did you mean "hole-punch"?); known: hole-punch, hole-punch-naive, hole-punch-predict, tcp-connect, upnp-map-connect, natpmp-map-connect, pcp-map-connect, port-map-connect, classify',
      ),
    );
  });

  it('"after" naming a later check and an unknown check', () => {
    const text = `name: t
hosts:
  a: { address: 198.51.100.1 }
  b: { address: 198.51.100.2 }
checks:
  - { name: first, from: a, to: b, expect: works, after: [second] }
  - { name: second, from: a, to: b, expect: works, after: [nope] }
`;
    expect(errorOf(text)).toBe(
      [
        loc(text, '[second]', 'checks.0.after', '"after" must name an earlier check; no earlier check "second"'),
        loc(text, '[nope]', 'checks.1.after', '"after" must name an earlier check; no earlier check "nope"'),
      ].join('\n'),
    );
  });

  it('"after" may name an earlier unnamed check by its default name', () => {
    const config = parseScenario(`name: t
hosts:
  a: { address: 198.51.100.1 }
  b: { address: 198.51.100.2 }
checks:
  - { from: a, to: b, expect: works }
  - { from: a, to: b, expect: works, after: ["check 1"] }
`);
    expect(config.checks[1]!.after).toEqual(['check 1']);
  });

  it('check "from" naming a router', () => {
    const text = `name: t
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24 }
hosts:
  a: { router: home, address: 192.168.1.10 }
  b: { address: 198.51.100.2 }
checks:
  - { from: home, to: b, expect: works }
`;
    expect(errorOf(text)).toBe(loc(text, 'home, to', 'checks.0.from', 'no host "home" (checks run between hosts, not routers or servers)'));
  });

  it('check "to" with a typo of a host (did you mean)', () => {
    const text = `name: t
hosts:
  alice: { address: 198.51.100.1 }
  bob: { address: 198.51.100.2 }
checks:
  - { from: alice, to: bbo, expect: works }
`;
    expect(errorOf(text)).toBe(loc(text, 'bbo', 'checks.0.to', 'no host "bbo" (did you mean "bob"?)'));
  });

  it('every issue formats as file:line:col: path: message', () => {
    const issue = { file: 'f.yaml', line: 3, col: 7, path: 'a.b', message: 'boom' };
    expect(formatIssue(issue)).toBe('f.yaml:3:7: a.b: boom');
    expect(formatIssue({ ...issue, path: '' })).toBe('f.yaml:3:7: (document): boom');
    expect(new ScenarioError([issue, issue]).message).toBe('f.yaml:3:7: a.b: boom\nf.yaml:3:7: a.b: boom');
  });
});

/*
 * Bugs: these tests state the behaviour the loader should have and fail until it is fixed.
 * Each is reported with a proposed diff.
 */
describe('loader edge cases', () => {
  it('a missing enum or union field says "got undefined" / "no accepted form matches undefined" instead of "missing required …"', () => {
    const router = `name: t
routers:
  home:
    lan: 192.168.1.0/24
hosts:
  a: { address: 198.51.100.1 }
`;
    const check = `name: t
hosts:
  a: { address: 198.51.100.1 }
  b: { address: 198.51.100.2 }
checks:
  - { from: a, to: b }
`;
    const [wan] = issuesOf(router);
    const [expectIssue] = issuesOf(check);
    expect(wan!.path).toBe('routers.home.wan');
    expect(expectIssue!.path).toBe('checks.0.expect');
    for (const issue of [wan!, expectIssue!]) {
      expect(issue.message).toMatch(/^missing required /);
      expect(issue.message).not.toContain('undefined');
    }
  });

  it("a bad enum inside a nat mapping is reported at routers.home.nat with zod's raw text and no did-you-mean", () => {
    const text = `name: t
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24, nat: { mapping: endpoint-independant } }
hosts:
  a: { address: 198.51.100.2 }
`;
    expect(errorOf(text)).toBe(
      loc(
        text,
        'endpoint-independant',
        'routers.home.nat.mapping',
        'expected one of "endpoint-independent", "address-dependent", "address-and-port-dependent", got "endpoint-independant" (did you mean "endpoint-independent"?)',
      ),
    );
  });

  it('an id shared by a router and a server is reported at hosts.<id>, a path that does not exist', () => {
    const text = `name: t
routers:
  x: { wan: 203.0.113.1, lan: 192.168.1.0/24 }
hosts:
  a: { address: 198.51.100.2 }
servers:
  x: { address: 198.51.100.3, role: reflector }
`;
    expect(errorOf(text)).toBe(
      loc(text, 'x:', 'servers.x', 'id "x" is used twice (routers, hosts and servers share one namespace)', 'servers:'),
    );
  });

  it('a classify check cannot name its reflector server in "to", although the schema documents exactly that', () => {
    const text = `name: t
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24, nat: restricted-cone }
hosts:
  a: { router: home, address: 192.168.1.10 }
servers:
  r1: { address: 198.51.100.3, role: reflector }
  r2: { address: 198.51.100.4, role: reflector }
checks:
  - { from: a, to: r1, feature: classify, expect: works }
`;
    const result = runScenario(parseScenario(text));
    expect(result.checks[0]!.classification).toEqual({ mapping: 'endpoint-independent', filtering: 'address-dependent' });
  });

  it('a cycle of parent routers passes validation, then crashes the run with a plain Error', () => {
    const text = `name: t
routers:
  r1: { parent: r2, wan: 10.2.0.2, lan: 10.1.0.0/24 }
  r2: { parent: r1, wan: 10.1.0.2, lan: 10.2.0.0/24 }
hosts:
  a: { address: 198.51.100.2 }
`;
    expect(() => parseScenario(text, 'x.yaml')).toThrow(ScenarioError);
  });

  it('port specs "99999" (out of range) and "2002-2000" (reversed) are accepted; the reversed range silently forwards nothing', () => {
    for (const spec of ['"99999"', '"2002-2000"', '"0"']) {
      const text = `name: t
routers:
  home:
    wan: 203.0.113.1
    lan: 192.168.1.0/24
    forwards:
      - { protocol: tcp, external: ${spec}, internal: 192.168.1.10 }
hosts:
  a: { address: 198.51.100.2 }
`;
      expect(() => parseScenario(text, 'x.yaml'), `external: ${spec}`).toThrow(ScenarioError);
    }
  });

  it('a malformed IPv4 address gives two issues at one position, one of them without "expected … got"', () => {
    const text = `name: t
hosts:
  a: { address: abc }
`;
    expect(errorOf(text)).toBe(loc(text, 'abc', 'hosts.a.address', 'expected an IPv4 address such as 192.168.1.10, got "abc"'));
  });

  it('an invalid id (record key) says "Invalid key in record" and points at the value, not the key', () => {
    const text = `name: t
hosts:
  -bad: { address: 198.51.100.1 }
`;
    expect(errorOf(text)).toBe(loc(text, '-bad', 'hosts.-bad', 'expected an id of letters, digits, ".", "_" or "-", got "-bad"'));
  });

  it('didYouMean suggests an unrelated one-letter id for a two-letter word ("r1" → "a")', () => {
    expect(didYouMean('r1', ['a'])).toBeUndefined();
    expect(didYouMean('ab', ['xy'])).toBeUndefined();
    // still helpful for real typos
    expect(didYouMean('hom', ['home'])).toBe('home');
    expect(didYouMean('symetric', ['symmetric', 'cgnat'])).toBe('symmetric');
  });
});

describe('JSON Schema', () => {
  const schema = scenarioJsonSchema() as {
    $schema?: string;
    $id?: string;
    type?: string;
    required?: string[];
    additionalProperties?: unknown;
    properties?: Record<
      string,
      {
        type?: string;
        propertyNames?: { pattern?: string };
        additionalProperties?: { properties?: Record<string, unknown>; required?: string[] };
        items?: { required?: string[] };
      }
    >;
  };

  it('is a draft 2020-12 object schema with the top-level keys', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe('https://natsim.dev/schema/scenario.schema.json');
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['name', 'hosts']);
    expect(Object.keys(schema.properties ?? {})).toEqual([
      'name',
      'description',
      'source',
      'notes',
      'seed',
      'routers',
      'hosts',
      'servers',
      'checks',
      'timeline',
    ]);
  });

  it('describes routers as a map of router objects with the router keys', () => {
    const routers = schema.properties?.routers;
    expect(routers?.type).toBe('object');
    expect(Object.keys(routers?.additionalProperties?.properties ?? {})).toEqual(expect.arrayContaining(ROUTER_KEYS.split(', ')));
    expect(routers?.additionalProperties?.required).toEqual(['wan', 'lan']);
    expect(schema.properties?.checks?.items?.required).toEqual(['from', 'to', 'expect']);
  });

  it('is plain JSON (round-trips) and every $ref resolves', () => {
    const text = JSON.stringify(schema);
    expect(JSON.parse(text)).toEqual(schema);
    const refs = [...text.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    for (const ref of refs) {
      expect(ref.startsWith('#/')).toBe(true);
      const target = ref
        .slice(2)
        .split('/')
        .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], schema);
      expect(target, ref).toBeDefined();
    }
  });

  it('the id pattern lost the case-insensitive flag: the loader accepts host "Alice", the JSON Schema rejects it', () => {
    expect(() => parseScenario('name: t\nhosts:\n  Alice: { address: 198.51.100.1 }\n')).not.toThrow();
    const pattern = schema.properties?.hosts?.propertyNames?.pattern;
    expect(pattern).toBeDefined();
    expect(new RegExp(pattern!).test('Alice')).toBe(true);
  });

  it('schema/scenario.schema.json is up to date', () => {
    const file = join(ROOT, 'schema', 'scenario.schema.json');
    let committed: unknown;
    try {
      committed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      expect.fail(`cannot read ${file} (${(e as Error).message}); run: node bin/natsim.js schema > schema/scenario.schema.json`);
    }
    expect(committed, 'schema/scenario.schema.json is stale; run: node bin/natsim.js schema > schema/scenario.schema.json').toEqual(
      scenarioJsonSchema(),
    );
  });
});
