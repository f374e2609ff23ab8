/**
 * The library called wrongly, as plain JavaScript can: every misuse is a NatsimError with a
 * stable code, the function and the option in its message, and no command-line flag — never a
 * TypeError from deep inside. And the shipped scenarios by name.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FakeClock,
  loadScenarioFile,
  NatsimError,
  runCheck,
  runScenario,
  scenarioNames,
  scenarioPath,
  startGateway,
} from '../../src/index.js';

/** startGateway / runScenario as untyped JavaScript sees them. */
const startAny = startGateway as (options?: unknown) => ReturnType<typeof startGateway>;
const runAny = runScenario as (scenario: unknown) => ReturnType<typeof runScenario>;

async function rejection(p: Promise<unknown>): Promise<NatsimError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(NatsimError);
  return e as NatsimError;
}

function thrown(f: () => unknown): NatsimError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(NatsimError);
    return e as NatsimError;
  }
  throw new Error('did not throw');
}

describe('startGateway() misuse', () => {
  it('an unknown NAT preset names the option and the presets', async () => {
    const e = await rejection(startAny({ nat: 'bogus' }));
    expect(e.code).toBe('ERR_NATSIM_INVALID_OPTION');
    expect(e.option).toBe('nat');
    expect(e.message).toMatch(/^startGateway\(\): option "nat": must be one of "full-cone", .*"symmetric".*, not "bogus"$/);
  });

  it('a misspelt option is refused with a suggestion, not ignored', async () => {
    const e = await rejection(startAny({ senario: 'default' }));
    expect([e.code, e.option]).toEqual(['ERR_NATSIM_INVALID_OPTION', 'senario']);
    expect(e.message).toMatch(
      /^startGateway\(\): option "senario": is not an option \(did you mean "scenario"\?\); options: scenario, router, /,
    );
  });

  it('wrong types: ports, booleans, the clock, the WAN address, the LAN prefix, HTTP limits', async () => {
    const cases: [object, string, string][] = [
      [{ httpPort: '8080' }, 'httpPort', 'must be a port number 0–65535 (0: any free port), not "8080"'],
      [{ ssdpPort: 70000 }, 'ssdpPort', 'must be a port number 0–65535 (0: any free port), not 70000'],
      [{ multicast: 'yes' }, 'multicast', 'must be true or false, not "yes"'],
      [{ clock: 0 }, 'clock', 'must be an object with now() (a FakeClock, an OffsetClock), not 0'],
      [{ wan: '203.0.113' }, 'wan', 'must be an IPv4 address such as "203.0.113.1", not "203.0.113"'],
      [{ lan: '192.168.1.0' }, 'lan', 'must be an IPv4 prefix such as "192.168.1.0/24", not "192.168.1.0"'],
      [{ igdVersion: 3 }, 'igdVersion', 'must be one of 1, 2, not 3'],
      [
        { httpLimits: { headerTimeoutMs: 5 } },
        'httpLimits.headerTimeoutMs',
        'is not a limit (did you mean "headersTimeoutMs"?); limits: maxHeaderBytes, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, checkIntervalMs, maxConnections',
      ],
      [{ mxDelay: 'later' }, 'mxDelay', 'must be one of "random", "none", "fixed", not "later"'],
      [
        { ssdpBudget: { perSorce: {} } },
        'ssdpBudget.perSorce',
        'is not a budget (did you mean "perSource"?); budgets: perSource, global, maxSources',
      ],
      [{ ssdpBudget: { global: { burst: 0, perSecond: 1 } } }, 'ssdpBudget.global', 'must be { burst: number ≥ 1, perSecond: number > 0 }'],
      [{ ssdpMaxPending: -1 }, 'ssdpMaxPending', 'must be an integer ≥ 0, not -1'],
      [
        { profile: 'miniupnp' },
        'profile',
        'unknown router profile "miniupnp" (did you mean "miniupnpd"?) (known: miniupnpd, miniupnpd-igd1, ',
      ],
    ];
    for (const [options, option, reason] of cases) {
      const e = await rejection(startAny(options));
      expect([e.code, e.option]).toEqual(['ERR_NATSIM_INVALID_OPTION', option]);
      expect(e.message.startsWith(`startGateway(): option "${option}": ${reason}`)).toBe(true);
    }
  });

  it('not an options object at all', async () => {
    const e = await rejection(startAny('default'));
    expect(e.code).toBe('ERR_NATSIM_INVALID_ARGUMENT');
    expect(e.message).toBe('startGateway(): expected an options object, not "default"');
  });

  it('a scenario that is neither a name, a path nor a loaded scenario', async () => {
    const e = await rejection(startAny({ scenario: { name: 'x' } }));
    expect([e.code, e.option]).toEqual(['ERR_NATSIM_INVALID_OPTION', 'scenario']);
    expect(e.message).toBe(
      'startGateway(): option "scenario": must be a shipped scenario\'s name ("default"), a scenario file\'s path, or a scenario from loadScenarioFile()/parseScenario(), not an object without "routers"',
    );
  });

  it('an unknown shipped scenario name lists the names, with a suggestion', async () => {
    const e = await rejection(startAny({ scenario: 'defualt' }));
    expect([e.code, e.option]).toEqual(['ERR_NATSIM_UNKNOWN_SCENARIO', 'scenario']);
    expect(e.message).toMatch(
      /^startGateway\(\): option "scenario": no shipped scenario named "defualt" \(did you mean "default"\?\); shipped: default, ichat-01-household-routers, /,
    );
  });

  it('listen names the option, not a command-line flag', async () => {
    const e = await rejection(startAny({ listen: 'no-such-iface0' }));
    expect([e.code, e.option]).toEqual(['ERR_NATSIM_NO_INTERFACE', 'listen']);
    expect(e.message).toMatch(/^startGateway\(\): option "listen": no interface "no-such-iface0" with an IPv4 address \(have: .*lo/);
    expect(e.message).not.toContain('--');
  });

  it('an unknown router has its own code', async () => {
    const e = await rejection(startAny({ scenario: 'wm-04-isp-nat', router: 'nope' }));
    expect(e.code).toBe('ERR_NATSIM_UNKNOWN_ROUTER');
    expect(e.message).toBe('no router "nope" in the scenario (routers: isp-nat, home-a)');
  });
});

describe('startGateway() scenarios', () => {
  it('by name: the shipped scenario, whatever the working directory', async () => {
    await using gw = await startGateway({ scenario: 'wm-04-isp-nat', mxDelay: 'none', clock: new FakeClock(0) });
    expect([gw.routerId, gw.externalIp]).toEqual(['home-a', '100.64.0.2']);
  });

  it('a loaded scenario file as loadScenarioFile() returns it', async () => {
    await using gw = await startGateway({ scenario: await loadScenarioFile(scenarioPath('default')), mxDelay: 'none' });
    expect([gw.routerId, gw.externalIp]).toEqual(['home-a', '203.0.113.10']);
  });
});

describe('runScenario() / runCheck() misuse', () => {
  const file = scenarioPath('wm-01-single-upnp-nat');

  it('takes what loadScenarioFile() returns, and names its file in the result', async () => {
    const loaded = await loadScenarioFile(file);
    const result = runScenario(loaded);
    expect(result).toMatchObject({ file, failed: 0 });
    expect(result.passed).toBeGreaterThan(0);
    expect(runScenario(loaded.config).checks).toEqual(result.checks);
    expect(runCheck(loaded, 0)).toEqual(result.checks[0]);
  });

  it('a path instead of a scenario says how to load it', () => {
    const e = thrown(() => runAny('scenarios/default.yaml'));
    expect(e.code).toBe('ERR_NATSIM_INVALID_ARGUMENT');
    expect(e.message).toBe(
      'runScenario(): expected a scenario from loadScenarioFile(path) or parseScenario(yaml), not the string "scenarios/default.yaml": load it first, e.g. runScenario(await loadScenarioFile("scenarios/default.yaml"))',
    );
  });

  it('a hand-written object names what it lacks', () => {
    const e = thrown(() => runAny({ routers: {} }));
    expect(e.code).toBe('ERR_NATSIM_INVALID_ARGUMENT');
    expect(e.message).toBe(
      'runScenario(): expected a scenario from loadScenarioFile(path) or parseScenario(yaml), not an object without "hosts", "servers", "checks" (a hand-written config must go through parseScenario() or scenarioSchema.parse() first)',
    );
    expect(thrown(() => runAny(undefined)).message).toBe(
      'runScenario(): expected a scenario from loadScenarioFile(path) or parseScenario(yaml), not undefined',
    );
  });

  it('runCheck: an index out of range', async () => {
    const loaded = await loadScenarioFile(file);
    const e = thrown(() => runCheck(loaded, loaded.config.checks.length));
    expect(e.code).toBe('ERR_NATSIM_INVALID_ARGUMENT');
    expect(e.message).toBe(
      `runCheck(): check index must be an integer 0–${loaded.config.checks.length - 1}, not ${loaded.config.checks.length}`,
    );
  });
});

describe('scenarioPath()', () => {
  it('resolves every shipped scenario by name to an absolute path', async () => {
    const files = (await readdir('scenarios'))
      .filter((n) => n.endsWith('.yaml'))
      .map((n) => n.slice(0, -5))
      .sort();
    expect(scenarioNames()).toEqual(files);
    for (const name of files) {
      const path = scenarioPath(name);
      expect(isAbsolute(path) && existsSync(path)).toBe(true);
      expect(path.endsWith(`/scenarios/${name}.yaml`)).toBe(true);
    }
    expect(scenarioPath('default.yaml')).toBe(scenarioPath('default'));
  });

  it('refuses other names and paths', () => {
    for (const name of ['nope', '../package', 'scenarios/default']) {
      const e = thrown(() => scenarioPath(name));
      expect(e.code).toBe('ERR_NATSIM_UNKNOWN_SCENARIO');
      expect(e.message).toMatch(
        new RegExp(`^scenarioPath\\(\\): no shipped scenario named "${name.replace(/[./]/g, '\\$&')}".*; shipped: default, `),
      );
    }
  });
});
