/**
 * Checks {@link startGateway}'s options before anything is opened, so a misuse from plain
 * JavaScript is a {@link NatsimError} naming the option (`ERR_NATSIM_INVALID_OPTION`), not a
 * `TypeError` from deep inside.
 */

import { describeValue, NatsimError } from '../errors.js';
import { AddressError, isIPv4, parsePrefix } from '../nat/address.js';
import { Network } from '../nat/network.js';
import { NAT_PRESETS } from '../nat/policy.js';
import { didYouMean } from '../scenario/errors.js';
import { ROUTER_PROFILES } from '../soap/profiles.js';
import { DEFAULT_HTTP_LIMITS } from './http-server.js';
import type { GatewayOptions } from './start-gateway.js';

const FN = 'startGateway';

function invalid(option: string, reason: string): NatsimError {
  return new NatsimError('ERR_NATSIM_INVALID_OPTION', { fn: FN, option, reason });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

type Check = (value: unknown, option: string) => void;

const oneOf =
  (values: readonly (string | number)[]): Check =>
  (v, option) => {
    if (!values.includes(v as string | number)) {
      const hint = typeof v === 'string' ? didYouMean(v, values.map(String)) : undefined;
      throw invalid(
        option,
        `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}, not ${describeValue(v)}${hint ? ` (did you mean "${hint}"?)` : ''}`,
      );
    }
  };
const string: Check = (v, option) => {
  if (typeof v !== 'string' || v === '') throw invalid(option, `must be a non-empty string, not ${describeValue(v)}`);
};
const boolean: Check = (v, option) => {
  if (typeof v !== 'boolean') throw invalid(option, `must be true or false, not ${describeValue(v)}`);
};
const port: Check = (v, option) => {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 65535)
    throw invalid(option, `must be a port number 0–65535 (0: any free port), not ${describeValue(v)}`);
};
const nonNegative: Check = (v, option) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalid(option, `must be a number ≥ 0, not ${describeValue(v)}`);
};
const integer: Check = (v, option) => {
  if (!Number.isSafeInteger(v)) throw invalid(option, `must be an integer, not ${describeValue(v)}`);
};
const ipv4: Check = (v, option) => {
  if (typeof v !== 'string' || !isIPv4(v)) throw invalid(option, `must be an IPv4 address such as "203.0.113.1", not ${describeValue(v)}`);
};
const prefix: Check = (v, option) => {
  try {
    if (typeof v === 'string' && v.includes('/')) {
      parsePrefix(v);
      return;
    }
  } catch (e) {
    if (!(e instanceof AddressError)) throw e;
  }
  throw invalid(option, `must be an IPv4 prefix such as "192.168.1.0/24", not ${describeValue(v)}`);
};
const clock: Check = (v, option) => {
  if (!isObject(v) || typeof v['now'] !== 'function')
    throw invalid(option, `must be an object with now() (a FakeClock, an OffsetClock), not ${describeValue(v)}`);
};
const fn: Check = (v, option) => {
  if (typeof v !== 'function') throw invalid(option, `must be a function, not ${describeValue(v)}`);
};
const logger: Check = (v, option) => {
  if (!isObject(v)) throw invalid(option, `must be a logger object (pino fits), not ${describeValue(v)}`);
};
const permissions: Check = (v, option) => {
  if (!Array.isArray(v) || !v.every((r) => typeof r === 'string'))
    throw invalid(option, `must be an array of miniupnpd.conf rule strings, not ${describeValue(v)}`);
};
const httpLimits: Check = (v, option) => {
  if (!isObject(v))
    throw invalid(option, `must be an object of limits (${Object.keys(DEFAULT_HTTP_LIMITS).join(', ')}), not ${describeValue(v)}`);
  for (const [k, n] of Object.entries(v)) {
    if (!(k in DEFAULT_HTTP_LIMITS)) {
      const hint = didYouMean(k, Object.keys(DEFAULT_HTTP_LIMITS));
      throw invalid(
        `${option}.${k}`,
        `is not a limit${hint ? ` (did you mean "${hint}"?)` : ''}; limits: ${Object.keys(DEFAULT_HTTP_LIMITS).join(', ')}`,
      );
    }
    if (typeof n !== 'number' || !(n > 0)) throw invalid(`${option}.${k}`, `must be a number > 0, not ${describeValue(n)}`);
  }
};
const ssdpBudget: Check = (v, option) => {
  const keys = ['perSource', 'global', 'maxSources'];
  if (!isObject(v)) throw invalid(option, `must be an object of budgets (${keys.join(', ')}), not ${describeValue(v)}`);
  for (const [k, b] of Object.entries(v)) {
    if (!keys.includes(k)) {
      const hint = didYouMean(k, keys);
      throw invalid(`${option}.${k}`, `is not a budget${hint ? ` (did you mean "${hint}"?)` : ''}; budgets: ${keys.join(', ')}`);
    }
    if (k === 'maxSources') {
      if (!Number.isInteger(b) || (b as number) < 1) throw invalid(`${option}.${k}`, `must be an integer ≥ 1, not ${describeValue(b)}`);
      continue;
    }
    if (
      !isObject(b) ||
      !(typeof b['burst'] === 'number' && b['burst'] >= 1) ||
      !(typeof b['perSecond'] === 'number' && b['perSecond'] > 0)
    ) {
      throw invalid(`${option}.${k}`, `must be { burst: number ≥ 1, perSecond: number > 0 }, not ${describeValue(b)}`);
    }
  }
};
const natpmp: Check = (v, option) => {
  if (typeof v === 'boolean') return;
  if (isObject(v) && Object.keys(v).every((k) => k === 'port')) {
    if (v['port'] !== undefined) port(v['port'], `${option}.port`);
    return;
  }
  throw invalid(option, `must be true, false or { port: 0–65535 }, not ${describeValue(v)}`);
};
const nonNegativeInteger: Check = (v, option) => {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw invalid(option, `must be an integer ≥ 0, not ${describeValue(v)}`);
};
const scenario: Check = (v, option) => {
  if (typeof v === 'string' && v !== '') return;
  const config = isObject(v) && isObject(v['config']) && typeof v['file'] === 'string' ? v['config'] : v;
  if (isObject(config) && isObject(config['routers'])) return;
  throw invalid(
    option,
    `must be a shipped scenario's name ("default"), a scenario file's path, or a scenario from loadScenarioFile()/parseScenario(), not ${describeValue(v)}${isObject(v) ? ' without "routers"' : ''}`,
  );
};

const profile: Check = (v, option) => {
  if (typeof v === 'string' && Object.hasOwn(ROUTER_PROFILES, v)) return;
  const hint = typeof v === 'string' ? didYouMean(v, Object.keys(ROUTER_PROFILES)) : undefined;
  throw invalid(
    option,
    `unknown router profile ${describeValue(v)}${hint ? ` (did you mean "${hint}"?)` : ''} (known: ${Object.keys(ROUTER_PROFILES).join(', ')})`,
  );
};

/** Every option and its check (the type makes sure a new option gets one). */
const CHECKS: Record<keyof GatewayOptions, Check> = {
  scenario,
  router: string,
  listen: string,
  httpPort: port,
  ssdpPort: port,
  multicast: boolean,
  clock,
  profile,
  igdVersion: oneOf([1, 2]),
  secureMode: boolean,
  permissions,
  allowReservedWan: boolean,
  keepAlive: boolean,
  httpLimits,
  mxDelay: oneOf(['random', 'none', 'fixed']),
  notifyIntervalMs: nonNegative,
  ssdpBudget,
  ssdpMaxPending: nonNegativeInteger,
  logger,
  nat: oneOf(Object.keys(NAT_PRESETS)),
  wan: ipv4,
  lan: prefix,
  seed: integer,
  natpmp,
  leaseFile: string,
  leaseSync: oneOf(['fsync', 'write']),
  leaseWriteHook: fn,
};

/** Throws {@link NatsimError} for the first option that is unknown or of the wrong kind. `undefined` values count as absent. */
export function checkGatewayOptions(options: unknown): asserts options is GatewayOptions {
  if (options === undefined) return;
  if (!isObject(options))
    throw new NatsimError('ERR_NATSIM_INVALID_ARGUMENT', { fn: FN, reason: `expected an options object, not ${describeValue(options)}` });
  for (const [key, value] of Object.entries(options)) {
    if (!Object.hasOwn(CHECKS, key)) {
      const hint = didYouMean(key, Object.keys(CHECKS));
      throw invalid(key, `is not an option${hint ? ` (did you mean "${hint}"?)` : ''}; options: ${Object.keys(CHECKS).join(', ')}`);
    }
    if (value !== undefined) CHECKS[key as keyof GatewayOptions](value, key);
  }
}

/** Options of `startScenarioGateway` only (`routers` is checked where the scenario is known). */
const SCENARIO_CHECKS: Readonly<Record<string, Check>> = {
  routers: () => {},
  network: (v, option) => {
    if (!(v instanceof Network)) throw invalid(option, `must be a Network (the model to serve), not ${describeValue(v)}`);
  },
  placement: (v, option) => {
    if (typeof v !== 'function')
      throw invalid(option, `must be a function from a router id to { address, sockets? }, not ${describeValue(v)}`);
  },
};

/** `startGateway` options that {@link checkScenarioGatewayOptions} refuses (they name one router or one file). */
const SINGLE_ROUTER_ONLY = ['router', 'nat', 'wan', 'lan', 'leaseFile', 'leaseSync', 'leaseWriteHook'] as const;

/**
 * Throws {@link NatsimError} (fn `startScenarioGateway`) for the first option that is unknown or of
 * the wrong kind: `startGateway`'s options that apply to every router, plus `routers`.
 */
export function checkScenarioGatewayOptions(options: unknown): void {
  const fn = 'startScenarioGateway';
  if (options === undefined) return;
  if (!isObject(options))
    throw new NatsimError('ERR_NATSIM_INVALID_ARGUMENT', { fn, reason: `expected an options object, not ${describeValue(options)}` });
  const known = [
    ...Object.keys(CHECKS).filter((k) => !(SINGLE_ROUTER_ONLY as readonly string[]).includes(k)),
    ...Object.keys(SCENARIO_CHECKS),
  ];
  for (const [key, value] of Object.entries(options)) {
    if ((SINGLE_ROUTER_ONLY as readonly string[]).includes(key)) {
      throw new NatsimError('ERR_NATSIM_INVALID_OPTION', {
        fn,
        option: key,
        reason: `is an option of startGateway() (one router); options: ${known.join(', ')}`,
      });
    }
    if (!known.includes(key)) {
      const hint = didYouMean(key, known);
      throw new NatsimError('ERR_NATSIM_INVALID_OPTION', {
        fn,
        option: key,
        reason: `is not an option${hint ? ` (did you mean "${hint}"?)` : ''}; options: ${known.join(', ')}`,
      });
    }
    if (value === undefined || key === 'routers') continue;
    try {
      if (key in SCENARIO_CHECKS) SCENARIO_CHECKS[key]!(value, key);
      else CHECKS[key as keyof GatewayOptions](value, key);
    } catch (e) {
      throw e instanceof NatsimError ? new NatsimError(e.code, { fn, ...(e.option ? { option: e.option } : {}), reason: e.reason }) : e;
    }
  }
}
