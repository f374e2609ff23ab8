/**
 * WANIPConnection:1 and :2 actions, following miniupnpd's upnpsoap.c and upnpredirect.c: the
 * order of checks (and so which error wins), the overwrite rule, lease clamping, secure mode,
 * permission rules and the error codes of both IGD versions.
 */
import { IGD2_MAX_LEASE_SECONDS, LIST_OF_PORT_MAPPINGS_MAX, UPNP_ERROR } from '../constants.js';
import { parseIPv4 } from '../nat/address.js';
import type { ForwardEntry, ForwardProtocol } from '../nat/forward-table.js';
import { UpnpError, xmlEscape } from './errors.js';
import {
  UPNP_VISIBLE_ORIGINS, atoi, checkRemoteHostSupport, findVisible, forwardingDisabled, internalClientArg, isNumeric,
  leaseArg, portArg, protocolArg, remainingLease, remoteHostArg, reportedDescription, reportedExternalAddress, respond,
  uptimeSeconds, visibleEntries, wanConnected, type ActionCall, type ActionHandler, type ControlConfig,
} from './control-context.js';
import { isPermitted } from './permissions.js';
import { EXTRA_UPNP_ERROR, MAX_REPORTED_DESCRIPTION, PORT_LISTING_NS, PORT_LISTING_SCHEMA, XSI_NS } from './soap-constants.js';

/** A mapping to install. */
interface Redirect {
  readonly remoteHost: string;
  readonly externalPort: number;
  readonly internalClient: string;
  readonly internalPort: number;
  readonly protocol: ForwardProtocol;
  readonly description: string;
  readonly lease: number;
}

/**
 * miniupnpd's upnp_redirect() outcome: 0 ok, -1 failed (forwarding disabled, backend), -2 already
 * mapped (718), -3 permission denied, -4 held by another mechanism; 'full' when the table is full.
 */
type RedirectResult =
  | { readonly r: 0; readonly entry: ForwardEntry; readonly replaced: boolean }
  | { readonly r: -1 | -2 | -3 | -4 | 'full'; readonly why: string };

function redirect(cfg: ControlConfig, m: Redirect, now: number): RedirectResult {
  const forwards = cfg.router.forwards;
  if (!isPermitted(cfg.permissions, m.externalPort, parseIPv4(m.internalClient), m.internalPort)) {
    return { r: -3, why: `permission rules deny ${m.externalPort} → ${m.internalClient}:${m.internalPort}` };
  }
  const onPort = forwards.entriesOnPort(m.protocol, m.externalPort).filter((e) => e.expiresAt > now);
  const first = onPort[0];
  if (first) {
    if (!UPNP_VISIBLE_ORIGINS.has(first.origin)) {
      return { r: -4, why: `${m.protocol.toUpperCase()} ${m.externalPort} is used by a ${first.origin} forward` };
    }
    const same = onPort.find((e) => UPNP_VISIBLE_ORIGINS.has(e.origin) && e.remoteHost === m.remoteHost);
    if (!same || same.internalClient !== m.internalClient) {
      const holder = same ?? first;
      return { r: -2, why: `${m.protocol.toUpperCase()} ${m.externalPort} is mapped to ${holder.internalClient}:${holder.internalPort}` };
    }
    // Overwrite: same port, protocol, remote host and client refresh the entry (even while forwarding is disabled, as miniupnpd).
  } else if (forwardingDisabled(cfg)) {
    return { r: -1, why: wanConnected(cfg) ? 'forwarding is disabled: the WAN address is reserved' : 'the WAN is disconnected' };
  }
  const res = forwards.add({
    protocol: m.protocol,
    externalPort: m.externalPort,
    internalClient: m.internalClient,
    internalPort: m.internalPort,
    remoteHost: m.remoteHost,
    description: m.description,
    leaseSeconds: m.lease,
    origin: 'upnp',
    owner: m.internalClient,
  }, now);
  if (res.ok) return { r: 0, entry: res.entry, replaced: res.replaced !== undefined };
  switch (res.conflict.reason) {
    case 'reserved-port':
      return { r: -4, why: res.conflict.message };
    case 'table-full':
      return { r: 'full', why: res.conflict.message };
    default:
      // held-by-other-client, held-by-dynamic-mapping: the port is taken (718).
      return { r: -2, why: res.conflict.message };
  }
}

function emitAdded(cfg: ControlConfig, call: ActionCall, r: { entry: ForwardEntry; replaced: boolean }): void {
  cfg.emit({ type: 'mapping-added', action: call.action, entry: r.entry, replaced: r.replaced, client: call.client.address });
}

/** Validates a mapping request against the profile hook. */
function profileCheck(cfg: ControlConfig, call: ActionCall, requestedLease: number, m: Omit<Redirect, 'lease' | 'description'>): void {
  const code = cfg.profile.validateMapping?.({
    action: call.action as 'AddPortMapping' | 'AddAnyPortMapping',
    requestedLease,
    externalPort: m.externalPort,
    internalPort: m.internalPort,
    protocol: m.protocol,
    internalClient: m.internalClient,
    remoteHost: m.remoteHost,
  });
  if (code !== undefined) throw new UpnpError(code, `refused by the ${cfg.profile.name} profile`);
}

const addPortMapping: ActionHandler = (cfg, call, now) => {
  const a = call.args;
  const v2 = cfg.igdVersion === 2;
  const strict = cfg.profile.strict;
  const intIpText = a.get('NewInternalClient')?.replace(/^ +/, '');
  if (strict && !intIpText) throw new UpnpError(UPNP_ERROR.InvalidArgs, 'NewInternalClient is missing');
  const rhostText = a.get('NewRemoteHost');
  checkRemoteHostSupport(cfg, rhostText);
  const internalClient = !intIpText ? call.client.address : internalClientArg(intIpText, call.client);
  if (cfg.secureMode && internalClient !== call.client.address) {
    throw new UpnpError(v2 ? UPNP_ERROR.ActionNotAuthorized : UPNP_ERROR.ConflictInMappingEntry,
      `secure mode: ${call.client.address} may not map ${internalClient}`);
  }
  const intPortText = a.get('NewInternalPort');
  const extPortText = a.get('NewExternalPort');
  const protoText = a.get('NewProtocol');
  if (intPortText === undefined || extPortText === undefined || protoText === undefined) {
    throw new UpnpError(UPNP_ERROR.InvalidArgs, 'NewInternalPort, NewExternalPort and NewProtocol are required');
  }
  const externalPort = portArg(extPortText);
  if (extPortText.trim() === '*' || externalPort === 0) {
    throw new UpnpError(UPNP_ERROR.WildCardNotPermittedInExtPort, `external port "${extPortText}"`);
  }
  const internalPort = portArg(intPortText);
  const protocol = protocolArg(cfg, protoText);
  const remoteHost = remoteHostArg(cfg, rhostText);
  const requested = leaseArg(a.get('NewLeaseDuration'));
  profileCheck(cfg, call, requested, { remoteHost, externalPort, internalClient, internalPort, protocol });
  if (internalPort === 0) {
    // miniupnpd has no check of its own here: its permission rules see port 0 first (606, IGDv1 718).
    if (!isPermitted(cfg.permissions, externalPort, parseIPv4(internalClient), 0)) {
      throw new UpnpError(v2 ? UPNP_ERROR.ActionNotAuthorized : UPNP_ERROR.ConflictInMappingEntry, `permission rules deny ${externalPort} → ${internalClient}:0`);
    }
    throw new UpnpError(UPNP_ERROR.InvalidArgs, `internal port "${intPortText}"`);
  }
  let lease = requested;
  if (v2 && (lease === 0 || lease > IGD2_MAX_LEASE_SECONDS)) lease = IGD2_MAX_LEASE_SECONDS;
  const r = redirect(cfg, {
    remoteHost, externalPort, internalClient, internalPort, protocol, lease,
    description: a.get('NewPortMappingDescription') ?? '',
  }, now);
  switch (r.r) {
    case 0:
      emitAdded(cfg, call, r);
      return `<u:${call.action}Response xmlns:u="${xmlEscape(call.serviceType)}"/>`;
    case -4:
      throw new UpnpError(v2 ? UPNP_ERROR.ConflictWithOtherMechanisms : UPNP_ERROR.ConflictInMappingEntry, r.why);
    case -3:
      throw new UpnpError(v2 ? UPNP_ERROR.ActionNotAuthorized : UPNP_ERROR.ConflictInMappingEntry, r.why);
    case -2:
      throw new UpnpError(UPNP_ERROR.ConflictInMappingEntry, r.why);
    default:
      throw new UpnpError(UPNP_ERROR.ActionFailed, r.why);
  }
};

const addAnyPortMapping: ActionHandler = (cfg, call, now) => {
  const a = call.args;
  const requested = leaseArg(a.get('NewLeaseDuration'));
  // miniupnpd turns 0 into one week here and does not clamp larger values.
  const lease = requested === 0 ? IGD2_MAX_LEASE_SECONDS : requested;
  const rhostText = a.get('NewRemoteHost');
  const extText = a.get('NewExternalPort');
  const protoText = a.get('NewProtocol');
  const intPortText = a.get('NewInternalPort');
  const intIpText = a.get('NewInternalClient');
  if (intIpText === undefined || extText === undefined || intPortText === undefined || protoText === undefined) {
    throw new UpnpError(UPNP_ERROR.InvalidArgs, 'NewInternalClient, NewExternalPort, NewInternalPort and NewProtocol are required');
  }
  const wildcard = extText.trim() === '*';
  let externalPort = wildcard ? 0 : portArg(extText);
  if (externalPort === 0) externalPort = cfg.rng.int(1024, 65535);
  const internalPort = portArg(intPortText);
  if (internalPort === 0 || (!isNumeric(extText) && !wildcard)) {
    throw new UpnpError(UPNP_ERROR.InvalidArgs, `ports "${extText}" / "${intPortText}"`);
  }
  checkRemoteHostSupport(cfg, rhostText);
  const internalClient = internalClientArg(intIpText, call.client);
  if (cfg.secureMode && internalClient !== call.client.address) {
    throw new UpnpError(UPNP_ERROR.ActionNotAuthorized, `secure mode: ${call.client.address} may not map ${internalClient}`);
  }
  const protocol = protocolArg(cfg, protoText);
  const remoteHost = remoteHostArg(cfg, rhostText);
  profileCheck(cfg, call, requested, { remoteHost, externalPort, internalClient, internalPort, protocol });
  const description = a.get('NewPortMappingDescription') ?? '';
  const ip = parseIPv4(internalClient);
  const attempt = (port: number): RedirectResult =>
    redirect(cfg, { remoteHost, externalPort: port, internalClient, internalPort, protocol, description, lease }, now);
  let port = externalPort;
  let r = attempt(port);
  let exhausted = false;
  if (r.r !== 0 && r.r !== -1 && r.r !== 'full') {
    // Try +1, -1, +2, -2 … around the asked port, as miniupnpd does.
    let below = port;
    let above = port;
    for (;;) {
      if (below <= 1 && above === 65535) {
        exhausted = true;
        break;
      }
      if (above === 65535 || (port > below && below > 1)) port = --below;
      else port = ++above;
      if (!isPermitted(cfg.permissions, port, ip, internalPort)) continue;
      r = attempt(port);
      if (r.r === 0 || r.r === -1 || r.r === 'full') break;
    }
  }
  if (r.r === 0 && !exhausted) {
    emitAdded(cfg, call, r);
    return respond(call, [['NewReservedPort', port]]);
  }
  if (exhausted || r.r === 'full') {
    throw new UpnpError(UPNP_ERROR.NoPortMapsAvailable, exhausted ? 'every port is taken or denied' : 'why' in r ? r.why : '');
  }
  throw new UpnpError(UPNP_ERROR.ActionFailed, 'why' in r ? r.why : '');
};

/** Shared validation of GetSpecificPortMappingEntry / DeletePortMapping arguments. */
function portAndProtocol(cfg: ControlConfig, call: ActionCall): { port: number; protocol: ForwardProtocol; remoteHost: string } {
  const a = call.args;
  const ext = a.get('NewExternalPort');
  const proto = a.get('NewProtocol');
  const rhost = a.get('NewRemoteHost');
  if (ext === undefined || proto === undefined || (cfg.profile.strict && rhost === undefined)) {
    throw new UpnpError(UPNP_ERROR.InvalidArgs, 'NewExternalPort and NewProtocol are required');
  }
  checkRemoteHostSupport(cfg, rhost);
  const port = portArg(ext);
  if (port === 0) throw new UpnpError(UPNP_ERROR.InvalidArgs, `external port "${ext}"`);
  return { port, protocol: protocolArg(cfg, proto), remoteHost: remoteHostArg(cfg, rhost) };
}

const getSpecificPortMappingEntry: ActionHandler = (cfg, call, now) => {
  const { port, protocol, remoteHost } = portAndProtocol(cfg, call);
  const e = findVisible(cfg, protocol, port, remoteHost, now);
  if (!e) throw new UpnpError(UPNP_ERROR.NoSuchEntryInArray, `no ${protocol.toUpperCase()} mapping on ${port}`);
  return respond(call, [
    ['NewInternalPort', e.internalPort],
    ['NewInternalClient', e.internalClient],
    ['NewEnabled', 1],
    ['NewPortMappingDescription', reportedDescription(e, MAX_REPORTED_DESCRIPTION)],
    ['NewLeaseDuration', remainingLease(e, now)],
  ]);
};

const deletePortMapping: ActionHandler = (cfg, call, now) => {
  const { port, protocol, remoteHost } = portAndProtocol(cfg, call);
  const e = findVisible(cfg, protocol, port, remoteHost, now);
  if (e && cfg.secureMode && e.internalClient !== call.client.address) {
    throw new UpnpError(cfg.igdVersion === 2 ? UPNP_ERROR.ActionNotAuthorized : UPNP_ERROR.NoSuchEntryInArray,
      `secure mode: ${call.client.address} may not delete the mapping of ${e.internalClient}`);
  }
  if (!e) throw new UpnpError(UPNP_ERROR.NoSuchEntryInArray, `no ${protocol.toUpperCase()} mapping on ${port}`);
  cfg.router.forwards.delete(e);
  cfg.emit({ type: 'mapping-removed', action: call.action, entry: e, client: call.client.address });
  return `<u:${call.action}Response xmlns:u="${xmlEscape(call.serviceType)}"></u:${call.action}Response>`;
};

/** NewStartPort / NewEndPort / NewProtocol of the range actions (plus NewNumberOfPorts when asked). */
function rangeArgs(cfg: ControlConfig, call: ActionCall, withNumber: boolean): { start: number; end: number; protocol: ForwardProtocol; protoText: string; number: number } {
  const a = call.args;
  const s = a.get('NewStartPort');
  const e = a.get('NewEndPort');
  const p = a.get('NewProtocol');
  const n = a.get('NewNumberOfPorts');
  if (s === undefined || e === undefined || p === undefined || !isNumeric(s) || !isNumeric(e) ||
      (withNumber && (n === undefined || !isNumeric(n)))) {
    throw new UpnpError(UPNP_ERROR.InvalidArgs, 'NewStartPort, NewEndPort, NewProtocol (and NewNumberOfPorts) must be numbers');
  }
  const start = portArg(s);
  const end = portArg(e);
  let number = withNumber ? atoi(n!) : 0;
  if (withNumber && number === 0) number = LIST_OF_PORT_MAPPINGS_MAX;
  if (start > end) throw new UpnpError(UPNP_ERROR.InconsistentParameters, `start ${start} > end ${end}`);
  return { start, end, protocol: protocolArg(cfg, p), protoText: p, number };
}

const deletePortMappingRange: ActionHandler = (cfg, call, now) => {
  const { start, end, protocol } = rangeArgs(cfg, call, false);
  // miniupnpd ignores NewManage and deletes every mapping in the range, whoever owns it.
  const victims = visibleEntries(cfg, now).filter((e) => e.protocol === protocol && e.externalPort >= start && e.externalPort <= end);
  if (victims.length === 0) throw new UpnpError(UPNP_ERROR.PortMappingNotFound, `no ${protocol.toUpperCase()} mapping in ${start}-${end}`);
  for (const v of victims) {
    cfg.router.forwards.delete(v);
    cfg.emit({ type: 'mapping-removed', action: call.action, entry: v, client: call.client.address });
  }
  return `<u:${call.action}Response xmlns:u="${xmlEscape(call.serviceType)}"></u:${call.action}Response>`;
};

/** The PortMappingList document of GetListOfPortMappings (wrapped in CDATA like miniupnpd). */
export function portMappingList(entries: readonly ForwardEntry[], protocolText: string, now: number): string {
  let out = `<p:PortMappingList xmlns:p="${PORT_LISTING_NS}" xmlns:xsi="${XSI_NS}" xsi:schemaLocation="${PORT_LISTING_NS} ${PORT_LISTING_SCHEMA}">`;
  for (const e of entries) {
    out +=
      '<p:PortMappingEntry>' +
      `<p:NewRemoteHost>${xmlEscape(e.remoteHost)}</p:NewRemoteHost>` +
      `<p:NewExternalPort>${e.externalPort}</p:NewExternalPort>` +
      `<p:NewProtocol>${xmlEscape(protocolText)}</p:NewProtocol>` +
      `<p:NewInternalPort>${e.internalPort}</p:NewInternalPort>` +
      `<p:NewInternalClient>${e.internalClient}</p:NewInternalClient>` +
      '<p:NewEnabled>1</p:NewEnabled>' +
      `<p:NewDescription>${xmlEscape(reportedDescription(e, MAX_REPORTED_DESCRIPTION))}</p:NewDescription>` +
      `<p:NewLeaseTime>${remainingLease(e, now)}</p:NewLeaseTime>` +
      '</p:PortMappingEntry>';
  }
  // "]]>" cannot occur: values are escaped.
  return `${out}</p:PortMappingList>`;
}

const getListOfPortMappings: ActionHandler = (cfg, call, now) => {
  const { start, end, protocol, protoText, number } = rangeArgs(cfg, call, true);
  const entries = visibleEntries(cfg, now)
    .filter((e) => e.protocol === protocol && e.externalPort >= start && e.externalPort <= end)
    .slice(0, number);
  return (
    `<u:${call.action}Response xmlns:u="${xmlEscape(call.serviceType)}"><NewPortListing><![CDATA[` +
    portMappingList(entries, protoText, now) +
    `]]></NewPortListing></u:${call.action}Response>`
  );
};

const getGenericPortMappingEntry: ActionHandler = (cfg, call, now) => {
  const text = call.args.get('NewPortMappingIndex');
  if (text === undefined) throw new UpnpError(UPNP_ERROR.InvalidArgs, 'NewPortMappingIndex is missing');
  const m = /^\s*([+-]?\d+)/.exec(text);
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw new UpnpError(UPNP_ERROR.InvalidArgs, `index "${text}"`);
  const index = Number(m[1]);
  const entries = visibleEntries(cfg, now);
  const e = index >= 0 ? entries[index] : undefined;
  if (!e) throw new UpnpError(UPNP_ERROR.SpecifiedArrayIndexInvalid, `index ${index} of ${entries.length}`);
  return respond(call, [
    ['NewRemoteHost', e.remoteHost],
    ['NewExternalPort', e.externalPort],
    ['NewProtocol', e.protocol.toUpperCase()],
    ['NewInternalPort', e.internalPort],
    ['NewInternalClient', e.internalClient],
    ['NewEnabled', 1],
    ['NewPortMappingDescription', reportedDescription(e, MAX_REPORTED_DESCRIPTION)],
    ['NewLeaseDuration', remainingLease(e, now)],
  ]);
};

const getExternalIPAddress: ActionHandler = (cfg, call) => respond(call, [['NewExternalIPAddress', reportedExternalAddress(cfg)]]);

/** ConnectionStatus as reported. */
export function connectionStatus(cfg: ControlConfig): 'Connected' | 'Disconnected' {
  return wanConnected(cfg) ? 'Connected' : 'Disconnected';
}

const getStatusInfo: ActionHandler = (cfg, call, now) =>
  respond(call, [
    ['NewConnectionStatus', connectionStatus(cfg)],
    ['NewLastConnectionError', 'ERROR_NONE'],
    ['NewUptime', uptimeSeconds(cfg, now)],
  ]);

const getConnectionTypeInfo: ActionHandler = (_cfg, call) =>
  respond(call, [['NewConnectionType', 'IP_Routed'], ['NewPossibleConnectionTypes', 'IP_Routed']]);

const getNATRSIPStatus: ActionHandler = (cfg, call) =>
  respond(call, [['NewRSIPAvailable', 0], ['NewNATEnabled', cfg.router.natEnabled ? 1 : 0]]);

const setConnectionType: ActionHandler = (cfg, call) => {
  if (cfg.profile.strict && call.args.get('NewConnectionType') === undefined) {
    throw new UpnpError(UPNP_ERROR.InvalidArgs, 'NewConnectionType is missing');
  }
  throw new UpnpError(UPNP_ERROR.ReadOnly, 'the connection type is read-only');
};

const notAuthorized: ActionHandler = (_cfg, call) => {
  throw new UpnpError(UPNP_ERROR.ActionNotAuthorized, `${call.action} is not allowed`);
};

const queryStateVariable: ActionHandler = (cfg, call, now) => {
  const name = call.args.get('varName');
  if (name === undefined) throw new UpnpError(UPNP_ERROR.InvalidArgs, 'varName is missing');
  if (name === 'ConnectionStatus') return respond(call, [['return', connectionStatus(cfg)]]);
  if (name === 'PortMappingNumberOfEntries') return respond(call, [['return', visibleEntries(cfg, now).length]]);
  throw new UpnpError(EXTRA_UPNP_ERROR.InvalidVar, `unknown variable "${name}"`);
};

/** WANIPConnection:1 handlers. */
export const WAN_IP_CONNECTION_V1: Readonly<Record<string, ActionHandler>> = {
  SetConnectionType: setConnectionType,
  GetConnectionTypeInfo: getConnectionTypeInfo,
  RequestConnection: notAuthorized,
  ForceTermination: notAuthorized,
  GetStatusInfo: getStatusInfo,
  GetNATRSIPStatus: getNATRSIPStatus,
  GetGenericPortMappingEntry: getGenericPortMappingEntry,
  GetSpecificPortMappingEntry: getSpecificPortMappingEntry,
  AddPortMapping: addPortMapping,
  DeletePortMapping: deletePortMapping,
  GetExternalIPAddress: getExternalIPAddress,
  QueryStateVariable: queryStateVariable,
};

/** Actions WANIPConnection:2 adds. */
export const WAN_IP_CONNECTION_V2_ONLY: Readonly<Record<string, ActionHandler>> = {
  DeletePortMappingRange: deletePortMappingRange,
  GetListOfPortMappings: getListOfPortMappings,
  AddAnyPortMapping: addAnyPortMapping,
};

export { getStatusInfo, queryStateVariable };
