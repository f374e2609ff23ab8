/**
 * `validate` finds every problem `run` would stop at, and lints, all at once: each case is a
 * file and the exact lines `validate` prints for it (file:line:col, path, the sentence).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildNetwork } from '../../src/scenario/build.js';
import { formatIssue, ScenarioError } from '../../src/scenario/errors.js';
import { checkScenarioFile, checkScenarioText, loadScenarioFile, parseScenario } from '../../src/scenario/loader.js';
import { scenarioSchema } from '../../src/scenario/schema.js';
import { runScenario } from '../../src/scenario/simulate.js';
import { ROOT } from './helpers.js';

type Case = [name: string, text: string, lines: string[]];

/** Files `run` cannot play: errors only. */
const ERRORS: Case[] = [
  [
    'an address used twice on the Internet',
    `name: t
hosts:
  ils: { address: 198.51.100.5 }
  ils2: { address: 198.51.100.5 }
`,
    ['x.yaml:4:20: hosts.ils2.address: address 198.51.100.5 is already used by host ils on the Internet'],
  ],
  [
    "a host on the router's own LAN address",
    `name: t
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24 }
hosts:
  a: { router: home, address: 192.168.1.1 }
`,
    [
      "x.yaml:5:31: hosts.a.address: address 192.168.1.1 is already used by router home (its LAN address, by default the first address of 192.168.1.0/24; set lanAddress to move it) on home's LAN",
    ],
  ],
  [
    "a host on a router's WAN address, and two routers on one WAN address",
    `name: t
routers:
  r1: { wan: 203.0.113.1, lan: 192.168.1.0/24 }
  r2: { wan: 203.0.113.1, lan: 192.168.2.0/24 }
hosts:
  a: { address: 203.0.113.1 }
`,
    [
      'x.yaml:4:14: routers.r2.wan: address 203.0.113.1 is already used by router r1 (its WAN address) on the Internet',
      'x.yaml:6:17: hosts.a.address: address 203.0.113.1 is already used by router r1 (its WAN address) on the Internet',
    ],
  ],
  [
    "a child router's WAN address taken by a host on the parent LAN",
    `name: t
routers:
  isp: { wan: 203.0.113.1, lan: 100.64.0.0/10 }
  home: { parent: isp, wan: 100.64.0.2, lan: 192.168.1.0/24 }
hosts:
  neighbour: { router: isp, address: 100.64.0.2 }
`,
    ["x.yaml:6:38: hosts.neighbour.address: address 100.64.0.2 is already used by router home (its WAN address) on isp's LAN"],
  ],
  [
    'host aliases: outside the LAN, already held',
    `name: t
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24 }
hosts:
  a: { router: home, address: 192.168.1.10, aliases: [192.168.2.10, 192.168.1.11] }
  b: { router: home, address: 192.168.1.12, aliases: [192.168.1.11] }
servers:
  stun: { address: 198.51.100.6, aliases: [198.51.100.7], role: reflector }
`,
    [
      "x.yaml:5:55: hosts.a.aliases.0: 192.168.2.10 is not in home's LAN 192.168.1.0/24",
      "x.yaml:6:55: hosts.b.aliases.0: address 192.168.1.11 is already used by host a on home's LAN",
    ],
  ],
  [
    'static forwards: one port to two clients, a range past 65535, a LAN address outside the LAN',
    `name: t
routers:
  home:
    wan: 203.0.113.1
    lan: 192.168.1.0/24
    lanAddress: 192.168.2.1
    forwards:
      - { protocol: tcp, external: 2000-2010, internal: 192.168.1.10 }
      - { protocol: tcp, external: 2005, internal: 192.168.1.11 }
      - { protocol: udp, external: 2005, internal: 192.168.1.11 }
      - { protocol: udp, external: 100-200, internal: 192.168.1.11, internalPort: 65500 }
hosts:
  a: { address: 198.51.100.2 }
`,
    [
      "x.yaml:6:17: routers.home.lanAddress: 192.168.2.1 is not in home's LAN 192.168.1.0/24",
      'x.yaml:9:36: routers.home.forwards.1.external: TCP port 2005 is already forwarded to 192.168.1.10 by forwards.0',
      'x.yaml:11:83: routers.home.forwards.3.internalPort: external ports 100-200 from internal port 65500 run past 65535 (the last would be 65600)',
    ],
  ],
  [
    'more forwarded ports than a forward table holds',
    `name: t
routers:
  home:
    wan: 203.0.113.1
    lan: 192.168.1.0/24
    forwards:
      - { protocol: tcp, external: 1000-5000, internal: 192.168.1.10 }
      - { protocol: udp, external: 1000-1100, internal: 192.168.1.10 }
hosts:
  a: { address: 198.51.100.2 }
`,
    ["x.yaml:7:7: routers.home.forwards: the forwards cover 4102 ports; a router's forward table holds at most 4096 entries"],
  ],
  [
    'the reserved id "internet"',
    `name: t
hosts:
  internet: { address: 198.51.100.2 }
`,
    ['x.yaml:3:3: hosts.internet: "internet" is reserved (it names the Internet, e.g. in parent: internet); choose another id'],
  ],
  [
    'schema and reference errors together',
    `name: t
seed: 1.5
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24, forwards: [ { protocol: tcp, external: 70000, internal: 192.168.1.10 } ] }
hosts:
  a: { router: hom, address: 192.168.1.10 }
  b: { address: 198.51.100.2 }
  c: { address: 198.51.100.2 }
checks:
  - { from: a, to: d, expect: works }
`,
    [
      'x.yaml:2:7: seed: expected a whole number, got 1.5',
      'x.yaml:4:89: routers.home.forwards.0.external: expected a port from 1 to 65535, got 70000',
      'x.yaml:6:16: hosts.a.router: no router "hom" (did you mean "home"?); routers: home',
      'x.yaml:8:17: hosts.c.address: address 198.51.100.2 is already used by host b on the Internet',
      'x.yaml:10:20: checks.0.to: no host "d"',
    ],
  ],
  [
    'a bad id and the problems of its value',
    `name: t
routers:
  -home: { wan: 203.0.113.1, lan: 192.168.1.0/24, services: { upnpp: true } }
hosts:
  a: { address: 198.51.100.2 }
`,
    [
      'x.yaml:3:3: routers.-home: expected an id of letters, digits, ".", "_" or "-", got "-home"',
      'x.yaml:3:63: routers.-home.services.upnpp: unknown key "upnpp" (did you mean "upnp"?); expected one of: upnp, natpmp, pcp, proxy',
    ],
  ],
  [
    'every problem of a nat mapping, every unknown key of a mapping',
    `name: t
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24, nat: { mapping: bogus, filtering: endpoint-independant, portQuota: -1, timers: { udp: 0 } } }
hosts:
  a: { address: 198.51.100.2, colour: red, size: 3 }
`,
    [
      'x.yaml:3:66: routers.home.nat.mapping: expected one of "endpoint-independent", "address-dependent", "address-and-port-dependent", got "bogus"',
      'x.yaml:3:84: routers.home.nat.filtering: expected one of "endpoint-independent", "address-dependent", "address-and-port-dependent", got "endpoint-independant" (did you mean "endpoint-independent"?)',
      'x.yaml:3:117: routers.home.nat.portQuota: expected a number of at least 0, got -1',
      'x.yaml:3:136: routers.home.nat.timers.udp: expected a number greater than 0, got 0',
      'x.yaml:5:31: hosts.a.colour: unknown key "colour"; expected one of: router, address, aliases, app, admin, description',
      'x.yaml:5:44: hosts.a.size: unknown key "size"; expected one of: router, address, aliases, app, admin, description',
    ],
  ],
  [
    'numbers and lists out of range, in words',
    `name: t
routers:
  home: { wan: [], lan: 192.168.1.0/24, forwards: [ { protocol: tcp, external: 80, internal: 192.168.1.10, internalPort: 0 } ] }
hosts:
  a: { address: 198.51.100.2 }
`,
    [
      'x.yaml:3:16: routers.home.wan: expected at least 1 item, got an empty list',
      'x.yaml:3:122: routers.home.forwards.0.internalPort: expected a port from 1 to 65535, got 0',
    ],
  ],
  [
    'a comma in a flow-map value',
    `name: t
hosts:
  a: { address: 198.51.100.2, description: Alice, at home }
  b: { address: 198.51.100.3, description: Bob, admin }
`,
    [
      'x.yaml:3:51: hosts.a.at home: unknown key "at home"; expected one of: router, address, aliases, app, admin, description (in a flow mapping { … } a comma ends the value; if "at home" belongs to description, quote it: description: "Alice, at home")',
      'x.yaml:4:49: hosts.b.admin: expected true or false, got an empty value (in a flow mapping { … } a comma ends the value; if "admin" belongs to description, quote it: description: "Bob, admin")',
    ],
  ],
];

/** Files that load and play, with lints (warnings). */
const LINTS: Case[] = [
  [
    'two checks with the same name',
    `name: t
hosts:
  a: { address: 198.51.100.1 }
  b: { address: 198.51.100.2 }
checks:
  - { name: call, from: a, to: b, expect: works }
  - { name: call, from: b, to: a, expect: works }
`,
    [
      'x.yaml:7:13: warning: checks.1.name: another check (checks.0) is already named "call": "after: [call]" means the first one and explain --check runs both',
    ],
  ],
  [
    'a host calling itself',
    `name: t
hosts:
  a: { address: 198.51.100.1 }
checks:
  - { from: a, to: a, expect: works }
`,
    [
      'x.yaml:5:20: warning: checks.0.to: "from" and "to" are the same host (a): a host calling itself crosses no router, so the check tests nothing',
    ],
  ],
  [
    'Internet hosts, servers and routers with addresses the Internet does not route',
    `name: t
routers:
  home: { wan: 127.0.0.2, lan: 192.168.1.0/24 }
hosts:
  a: { address: 10.0.0.5 }
  b: { address: 169.254.1.1 }
servers:
  s: { address: 100.64.1.1, role: relay }
`,
    [
      'x.yaml:3:16: warning: routers.home.wan: 127.0.0.2 is a loopback address, but router home is on the Internet, where such an address is not routed; use a public address (e.g. from 198.51.100.0/24) or give router home a parent router',
      'x.yaml:5:17: warning: hosts.a.address: 10.0.0.5 is a private (RFC 1918) address, but host a is on the Internet, where such an address is not routed; use a public address (e.g. from 198.51.100.0/24) or put host a behind a router',
      'x.yaml:6:17: warning: hosts.b.address: 169.254.1.1 is a link-local address, but host b is on the Internet, where such an address is not routed; use a public address (e.g. from 198.51.100.0/24) or put host b behind a router',
      'x.yaml:8:17: warning: servers.s.address: 100.64.1.1 is in the carrier-NAT shared space 100.64.0.0/10, but server s is on the Internet, where such an address is not routed; use a public address (e.g. from 198.51.100.0/24) or put server s behind a router',
    ],
  ],
  [
    'hosts on the network and broadcast addresses of their LAN',
    `name: t
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24 }
hosts:
  a: { router: home, address: 192.168.1.0 }
  b: { router: home, address: 192.168.1.255 }
`,
    [
      "x.yaml:5:31: warning: hosts.a.address: 192.168.1.0 is the network address of home's LAN 192.168.1.0/24, which host a cannot use; choose an address between them",
      "x.yaml:6:31: warning: hosts.b.address: 192.168.1.255 is the broadcast address of home's LAN 192.168.1.0/24, which host b cannot use; choose an address between them",
    ],
  ],
  [
    'classify with one reflector',
    `name: t
routers:
  home: { wan: 203.0.113.1, lan: 192.168.1.0/24 }
hosts:
  a: { router: home, address: 192.168.1.10 }
servers:
  r1: { address: 198.51.100.3, role: reflector }
checks:
  - { from: a, to: r1, feature: classify, expect: works }
`,
    [
      'x.yaml:9:33: warning: checks.0.feature: classify needs two reflector servers (a primary and an alternate address); this scenario has only r1, so the check can only fail',
    ],
  ],
];

const lines = (text: string): string[] => checkScenarioText(text, 'x.yaml').issues.map(formatIssue);

describe('validate: errors, all of a file at once', () => {
  it.each(ERRORS)('%s', (_name, text, expected) => {
    expect(lines(text)).toEqual(expected);
    expect(checkScenarioText(text, 'x.yaml').config).toBeUndefined();
    expect(() => parseScenario(text, 'x.yaml')).toThrow(ScenarioError);
  });

  it("no message is zod's own text", () => {
    for (const [, text] of ERRORS) {
      for (const l of lines(text))
        expect(l).not.toMatch(
          /Too (big|small)|Invalid (input|option|key)|expected (string|number|int|boolean|array|object|record)\b|Unrecognized key/,
        );
    }
  });
});

describe('validate: lints (warnings), the file still loads', () => {
  it.each(LINTS)('%s', (_name, text, expected) => {
    expect(lines(text)).toEqual(expected);
    const checked = checkScenarioText(text, 'x.yaml');
    expect(checked.config).toBeDefined();
    expect(checked.issues.every((i) => i.severity === 'warning')).toBe(true);
  });
});

describe('validate and build agree', () => {
  const shipped = readdirSync(join(ROOT, 'scenarios'))
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => join(ROOT, 'scenarios', n));

  it.each(shipped)('%s validates without warnings, and runs', async (file) => {
    const checked = await checkScenarioFile(file);
    expect(checked.issues.map(formatIssue)).toEqual([]);
    expect(() => runScenario(checked.config!, { file })).not.toThrow();
  });

  it.each(LINTS)('lint case "%s" validates, builds and runs', (_name, text) => {
    const { config } = checkScenarioText(text, 'x.yaml');
    expect(() => runScenario(config!)).not.toThrow();
  });

  // A config made without the loader (schema only, as a library user might) is refused by
  // buildNetwork with the same problems validate reports, by path.
  it.each(ERRORS.filter(([, text]) => scenarioSchema.safeParse(parse(text)).success))(
    'build refuses "%s" with validate\'s messages',
    (_name, text, expected) => {
      const config = scenarioSchema.parse(parse(text));
      let error: unknown;
      try {
        buildNetwork(config);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ScenarioError);
      const strip = (l: string): string => l.replace(/^[^:]+:\d+:\d+: /, '');
      expect((error as ScenarioError).issues.map(formatIssue).map(strip).sort()).toEqual(expected.map(strip).sort());
    },
  );

  it('a config changed after loading is checked again: run refuses it with the path and the message', async () => {
    const file = join(ROOT, 'scenarios', 'wm-01-single-upnp-nat.yaml');
    const { config } = await loadScenarioFile(file);
    const broken = { ...config, hosts: { ...config.hosts, bob: { ...config.hosts.bob!, address: config.servers.messenger!.address } } };
    expect(() => runScenario(broken)).toThrow(
      /^<scenario>:1:1: hosts\.bob\.address: address 198\.51\.100\.5 is already used by server messenger on the Internet$/,
    );
  });
});
