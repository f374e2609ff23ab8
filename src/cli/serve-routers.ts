/**
 * Which routers `natsim serve` serves, and on which addresses: the ones `--router a,b` names (in
 * scenario order), else every router offering a service (UPnP, NAT-PMP, PCP), else — a scenario
 * where none does — its first router, served as an IGD anyway (the command warns). Several routers
 * take consecutive loopback addresses from `--listen` (127.0.0.1, 127.0.0.2 …), as
 * startScenarioGateway() binds them.
 */
import { NatsimError } from '../errors.js';
import { offersService, routerAddress, servesIgd } from '../gateway/start-scenario-gateway.js';
import { routerOrder } from '../scenario/build.js';
import type { ScenarioConfig } from '../scenario/schema.js';
import { usageError } from './errors.js';

/** The router ids of a `--router` value: comma-separated, spaces around them ignored, duplicates once. */
export function parseRouterList(text: string): string[] {
  const ids = text.split(',').map((s) => s.trim());
  if (ids.some((id) => id === ''))
    throw usageError(`--router must be router ids separated by commas, such as home-a,home-b, not "${text}"`);
  return [...new Set(ids)];
}

/** The routers to serve, in scenario order; a usage error naming the known ids for an unknown one. */
export function chooseRouters(config: ScenarioConfig, named: readonly string[] | undefined): string[] {
  const ids = routerOrder(config);
  if (named !== undefined) {
    const unknown = named.find((id) => !config.routers[id]);
    if (unknown !== undefined) throw usageError(`no router "${unknown}" in the scenario (routers: ${ids.join(', ') || 'none'})`);
    return ids.filter((id) => named.includes(id));
  }
  const offering = ids.filter((id) => offersService(config.routers[id]!));
  if (offering.length > 0) return offering;
  if (ids[0] === undefined) throw usageError('the scenario has no router to serve');
  return [ids[0]];
}

/**
 * The address of each served router: `first` for one; on loopback `first` and the addresses after
 * it for several. Elsewhere several routers cannot share the one address: a usage error.
 */
export function routerAddresses(first: string, ids: readonly string[]): string[] {
  if (ids.length > 1 && !first.startsWith('127.')) {
    throw usageError(
      `--listen: ${ids.length} routers (${ids.join(', ')}) cannot share ${first}: serve them on loopback, or name one with --router`,
    );
  }
  try {
    return ids.map((_, i) => routerAddress(first, i));
  } catch (e) {
    if (e instanceof NatsimError) {
      throw usageError(
        `--listen: ${ids.length} routers (${ids.join(', ')}) need ${ids.length} consecutive loopback addresses from ${first}, and ${e.reason.replace(/^.*, and /, '')}`,
      );
    }
    throw e;
  }
}

/**
 * The addresses where a served router answers SSDP, which the port guard asks first: every one
 * when one router is served (startGateway serves it as an IGD), else those of the routers served
 * as an IGD (offering UPnP, or named and offering nothing).
 */
export function igdAddresses(config: ScenarioConfig, ids: readonly string[], addresses: readonly string[]): string[] {
  if (ids.length === 1) return [...addresses];
  return addresses.filter((_, i) => servesIgd(config.routers[ids[i]!]!));
}
