/**
 * SSDP search, the control point's side (UDA 1.1 §1.3.2) on node:dgram: one M-SEARCH from every
 * IPv4 interface (multicast to 239.255.255.250:1900, or unicast to one device), and the answers
 * heard within the window. Used by `natsim discover` and by `natsim serve`'s port guard.
 */

import type { Socket } from 'node:dgram';
import dgram from 'node:dgram';
import os from 'node:os';
import { SSDP_MULTICAST_ADDRESS, SSDP_PORT, SSDP_TTL } from '../constants.js';
import { buildMSearch, parseSsdpMessage, type SsdpHeaders } from './message.js';

/** At most this many answers are kept per search (a flood cannot grow the list). */
export const MAX_SEARCH_ANSWERS = 256;

/** Options of {@link ssdpSearch}. */
export interface SsdpSearchOptions {
  /** Search target (`ST`). */
  readonly st: string;
  /** How long to listen for answers, ms. */
  readonly windowMs: number;
  /** `MX` seconds of a multicast search (default: the window in whole seconds − 1, within 1–5). */
  readonly mx?: number;
  /** Search one device by unicast instead of the multicast group. */
  readonly unicast?: { readonly address: string; readonly port: number };
  /** IPv4 addresses to search from (default: {@link searchInterfaces}). */
  readonly from?: readonly string[];
}

/** One answer to a search. */
export interface SsdpSearchAnswer {
  readonly from: { readonly address: string; readonly port: number };
  readonly headers: SsdpHeaders;
}

/** Why a search could not be sent at all. */
export class SsdpSearchError extends Error {
  readonly code = 'SSDP_SEARCH_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'SsdpSearchError';
  }
}

/** Where a search is sent from, and whether only loopback was there. */
export interface SearchInterfaces {
  readonly addresses: readonly string[];
  /** Names of the interfaces used. */
  readonly names: readonly string[];
  readonly loopbackOnly: boolean;
}

/** The IPv4 addresses of the interfaces that are up; loopback only when nothing else is. */
export function searchInterfaces(ifaces = os.networkInterfaces()): SearchInterfaces {
  const pick = (internal: boolean): Array<[string, string]> =>
    Object.entries(ifaces).flatMap(([name, list]) =>
      (list ?? []).filter((a) => a.family === 'IPv4' && a.internal === internal).map((a): [string, string] => [name, a.address]),
    );
  const lan = pick(false);
  const chosen = lan.length ? lan : pick(true);
  return {
    addresses: chosen.map((c) => c[1]),
    names: [...new Set(chosen.map((c) => c[0]))],
    loopbackOnly: lan.length === 0 && chosen.length > 0,
  };
}

/** The `MX` a search with this window asks for: answers must come back before the window ends. */
export function mxForWindow(windowMs: number): number {
  return Math.min(5, Math.max(1, Math.floor(windowMs / 1000) - 1));
}

/**
 * Sends the search and collects the `200` answers heard within the window. Rejects with
 * {@link SsdpSearchError} when no socket could send it (no interface up, network unreachable).
 */
export async function ssdpSearch(options: SsdpSearchOptions): Promise<SsdpSearchAnswer[]> {
  // A unicast search leaves from wherever the route to the device says; a multicast one from every interface.
  const from = options.from ?? (options.unicast ? ['0.0.0.0'] : searchInterfaces().addresses);
  if (from.length === 0) throw new SsdpSearchError('no network interface is up, not even loopback: there is nothing to search on');
  const target = options.unicast ?? { address: SSDP_MULTICAST_ADDRESS, port: SSDP_PORT };
  const message = buildMSearch(
    options.unicast
      ? { st: options.st, host: `${target.address}:${target.port}` }
      : { st: options.st, mx: options.mx ?? mxForWindow(options.windowMs) },
  );
  const answers: SsdpSearchAnswer[] = [];
  const failures: string[] = [];
  const sockets = await Promise.all(
    from.map(async (address) => {
      try {
        return await searchFrom(address, target, message, options.unicast === undefined, answers);
      } catch (e) {
        failures.push(`from ${address}: ${(e as Error).message}`);
        return undefined;
      }
    }),
  );
  const open = sockets.filter((s): s is Socket => s !== undefined);
  if (open.length === 0) {
    throw new SsdpSearchError(`the search could not be sent to ${target.address}:${target.port} (${failures.join('; ')})`);
  }
  await new Promise((resolve) => setTimeout(resolve, options.windowMs));
  await Promise.all(open.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return answers;
}

/** Binds a socket on `address`, sends the search, and records answers until it is closed. */
async function searchFrom(
  address: string,
  target: { address: string; port: number },
  message: string,
  multicast: boolean,
  answers: SsdpSearchAnswer[],
): Promise<Socket> {
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => undefined); // late ICMP errors (port unreachable) end nothing
    socket.on('message', (data, rinfo) => {
      if (answers.length >= MAX_SEARCH_ANSWERS) return;
      const parsed = parseSsdpMessage(data);
      if (parsed.ok && parsed.message.kind === 'response' && parsed.message.status === 200) {
        answers.push({ from: { address: rinfo.address, port: rinfo.port }, headers: parsed.message.headers });
      }
    });
    if (multicast) {
      socket.setMulticastInterface(address);
      socket.setMulticastTTL(SSDP_TTL);
    }
    await new Promise<void>((resolve, reject) =>
      socket.send(Buffer.from(message, 'latin1'), target.port, target.address, (err) => (err ? reject(err) : resolve())),
    );
    return socket;
  } catch (e) {
    try {
      socket.close();
    } catch {
      // never bound
    }
    throw e;
  }
}
