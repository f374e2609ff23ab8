/**
 * Shared state and helpers of the action handlers: the configuration of one IGD, how a request
 * looks once parsed, argument parsing with miniupnpd's leniency, and the response builder.
 */
import { UPNP_ERROR } from '../constants.js';
import { formatIPv4, isIPv4, parseIPv4, tryParseIPv4 } from '../nat/address.js';
import type { Rng } from '../nat/clock.js';
import type { ForwardEntry, ForwardOrigin, ForwardProtocol } from '../nat/forward-table.js';
import { MANAGED_ORIGINS } from '../nat/mapping-service.js';
import type { DeviceUdns } from './descriptions.js';
import { UpnpError, xmlEscape } from './errors.js';
import type { ProtocolCheck, RouterProfile } from './profiles.js';
import type { ClientInfo, UpnpEvent, UpnpRouter } from './types.js';

/**
 * The configuration an IGD's action handlers run against. Mapping policy (secure mode,
 * permission rules, the reserved-WAN rule) is not here: it is the router's (`router.mappings`).
 */
export interface ControlConfig {
  readonly router: UpnpRouter;
  readonly clock: { now(): number };
  readonly rng: Rng;
  readonly igdVersion: 1 | 2;
  readonly profile: RouterProfile;
  readonly udns: DeviceUdns;
  readonly bitrates: { readonly up: number; readonly down: number };
  readonly emit: (e: UpnpEvent) => void;
}

/** One action invocation. */
export interface ActionCall {
  /** Action name from SOAPACTION. */
  readonly action: string;
  /** Service type from SOAPACTION, echoed as the reply namespace. */
  readonly serviceType: string;
  readonly args: ReadonlyMap<string, string>;
  readonly client: ClientInfo;
  /** Request path (control URL). */
  readonly path: string;
}

/** A handler returns the inner body of the reply (the `<u:…Response>` element) or throws {@link UpnpError}. */
export type ActionHandler = (cfg: ControlConfig, call: ActionCall, now: number) => string;

/** Origins miniupnpd would list: its own chain holds UPnP, NAT-PMP and PCP mappings. */
export const UPNP_VISIBLE_ORIGINS: ReadonlySet<ForwardOrigin> = MANAGED_ORIGINS;

/** Builds `<u:ActionResponse xmlns:u="ns"><Name>value</Name>…</u:ActionResponse>`. */
export function respond(call: ActionCall, fields: ReadonlyArray<readonly [string, string | number]>): string {
  const ns = xmlEscape(call.serviceType);
  let out = `<u:${call.action}Response xmlns:u="${ns}">`;
  for (const [name, value] of fields) out += `<${name}>${xmlEscape(String(value))}</${name}>`;
  return `${out}</u:${call.action}Response>`;
}

/** C `atoi`: optional leading whitespace and sign, then digits; 0 when there are none. */
export function atoi(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** miniupnpd's `is_numeric`: only digits (the empty string counts). */
export function isNumeric(text: string): boolean {
  return /^\d*$/.test(text);
}

/** A port argument read with atoi; 402 above 65535 (miniupnpd would wrap it to 16 bits). */
export function portArg(text: string): number {
  const n = atoi(text);
  if (n < 0 || n > 65535) throw new UpnpError(UPNP_ERROR.InvalidArgs, `port "${text}" is out of range`);
  return n;
}

/** Parses NewProtocol per the profile; undefined when refused. */
export function parseProtocol(text: string, check: ProtocolCheck): ForwardProtocol | undefined {
  if (check === 'miniupnpd') return text.toUpperCase() === 'UDP' ? 'udp' : 'tcp';
  const t = check === 'exact' ? text : text.toUpperCase();
  if (t === 'TCP') return 'tcp';
  if (t === 'UDP') return 'udp';
  return undefined;
}

/** NewProtocol or 402. */
export function protocolArg(cfg: ControlConfig, text: string): ForwardProtocol {
  const p = parseProtocol(text, cfg.profile.protocolCheck);
  if (p === undefined) throw new UpnpError(UPNP_ERROR.InvalidArgs, `protocol "${text}" is not TCP or UDP`);
  return p;
}

/** NewLeaseDuration: absent or empty = 0; digits only, else 402. */
export function leaseArg(text: string | undefined): number {
  if (text === undefined) return 0;
  const t = text.trim();
  if (t === '') return 0;
  if (!/^\d+$/.test(t) || Number(t) > 0xffffffff) throw new UpnpError(UPNP_ERROR.InvalidArgs, `lease "${text}" is not a ui4`);
  return Number(t);
}

/** True for a specific remote host (not absent, empty or the `*` wildcard). */
export function isSpecificRemoteHost(text: string | undefined): text is string {
  return text !== undefined && text.trim() !== '' && text.trim() !== '*';
}

/**
 * NewRemoteHost as stored: '' for the wildcard; a dotted quad when the profile supports remote
 * hosts (else 402); ignored ('') when it does not.
 */
export function remoteHostArg(cfg: ControlConfig, text: string | undefined): string {
  if (!isSpecificRemoteHost(text)) return '';
  if (!cfg.profile.supportRemoteHost) return '';
  const t = text.trim();
  if (!isIPv4(t)) throw new UpnpError(UPNP_ERROR.InvalidArgs, `remote host "${text}" is not an IPv4 address`);
  return formatIPv4(parseIPv4(t));
}

/** Strict builds without remote-host support answer 726 to a specific NewRemoteHost. */
export function checkRemoteHostSupport(cfg: ControlConfig, text: string | undefined): void {
  if (cfg.profile.strict && !cfg.profile.supportRemoteHost && isSpecificRemoteHost(text)) {
    throw new UpnpError(UPNP_ERROR.RemoteHostOnlySupportsWildcard, `remote host "${text}" is not supported`);
  }
}

const LOOPBACK = 0x7f000000;

/** True for 127.0.0.0/8. */
export function isLoopbackIPv4(text: string): boolean {
  const ip = tryParseIPv4(text);
  return ip >= 0 && (ip & 0xff000000) >>> 0 === LOOPBACK;
}

/**
 * NewInternalClient as an address. A loopback requester's loopback address (upnpc sends its own
 * socket address, 127.0.0.1, when it talks to 127.0.0.1) stands for the LAN address the
 * requester was mapped to. Host names other than `localhost` are refused with 402.
 */
export function internalClientArg(text: string, client: ClientInfo): string {
  const t = text.trim();
  if (client.loopback && (t === 'localhost' || isLoopbackIPv4(t))) return client.address;
  // miniupnpd resolves names with gethostbyname(); "localhost" is the one name that resolves everywhere.
  if (t === 'localhost') return '127.0.0.1';
  if (!isIPv4(t)) throw new UpnpError(UPNP_ERROR.InvalidArgs, `internal client "${text}" is not an IPv4 address`);
  return formatIPv4(parseIPv4(t));
}

/** The WAN as the IGD reports it: up and not forced down by the router's policy. */
export function wanConnected(cfg: ControlConfig): boolean {
  return cfg.router.mappings.wanConnected();
}

/**
 * NewExternalIPAddress: '' when disconnected or unknown (WANIPConnection:2 §2.3.13), and '' for a
 * reserved address unless the router allows a reserved WAN (miniupnpd blanks reserved addresses).
 */
export function reportedExternalAddress(cfg: ControlConfig, now?: number): string {
  // A router relaying UPnP mappings upstream (RFC 6970) reports the upstream's address; with
  // `now` it may ask the upstream for it first.
  return cfg.router.mappings.reportedAddress('upnp', now);
}

/** UPnP-visible, live entries in table order (the GetGenericPortMappingEntry index order). */
export function visibleEntries(cfg: ControlConfig, now: number): ForwardEntry[] {
  return cfg.router.mappings.managed(now);
}

/** The visible entry for a port: the one for `remoteHost` if any, else the first on the port. */
export function findVisible(
  cfg: ControlConfig,
  protocol: ForwardProtocol,
  port: number,
  remoteHost: string,
  now: number,
): ForwardEntry | undefined {
  return cfg.router.mappings.find(protocol, port, remoteHost, now);
}

/** Remaining lease in whole seconds, 0 for permanent entries (what Get* actions report). */
export function remainingLease(e: ForwardEntry, now: number): number {
  if (e.expiresAt === Infinity) return 0;
  return Math.max(0, Math.ceil((e.expiresAt - now) / 1000));
}

/** Description as reported (miniupnpd reads it into a 64-byte buffer). */
export function reportedDescription(e: ForwardEntry, max: number): string {
  return e.description.length > max ? e.description.slice(0, max) : e.description;
}

/** Uptime in seconds since the router started. */
export function uptimeSeconds(cfg: ControlConfig, now: number): number {
  return Math.max(0, Math.floor((now - cfg.router.startedAt) / 1000));
}
