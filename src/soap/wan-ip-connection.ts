/**
 * WANIPConnection:1 and :2 actions, following miniupnpd's upnpsoap.c: argument parsing, the order
 * of checks (and so which error wins) and the error codes of both IGD versions. The mapping rules
 * themselves (secure mode, permission rules, overwrite, lifetimes, the port search) are the
 * router's mapping service's (src/nat/mapping-service.ts); refusals become codes in refusals.ts.
 */
import { LIST_OF_PORT_MAPPINGS_MAX, UPNP_ERROR } from '../constants.js';
import type { ForwardEntry, ForwardProtocol } from '../nat/forward-table.js';
import type { MappingRequest, MappingResult } from '../nat/mapping-service.js';
import {
  type ActionCall,
  type ActionHandler,
  atoi,
  type ControlConfig,
  checkRemoteHostSupport,
  findVisible,
  internalClientArg,
  isNumeric,
  leaseArg,
  portArg,
  protocolArg,
  remainingLease,
  remoteHostArg,
  reportedDescription,
  reportedExternalAddress,
  respond,
  uptimeSeconds,
  visibleEntries,
  wanConnected,
} from './control-context.js';
import { UpnpError, xmlEscape } from './errors.js';
import { refusalError } from './refusals.js';
import { EXTRA_UPNP_ERROR, MAX_REPORTED_DESCRIPTION, PORT_LISTING_NS, PORT_LISTING_SCHEMA, XSI_NS } from './soap-constants.js';

/** A mapping request's answer: the grant, or the refusal's UPnP error. */
function mapOrThrow(cfg: ControlConfig, call: ActionCall, req: MappingRequest, now: number): Extract<MappingResult, { ok: true }> {
  const r = cfg.router.mappings.request(req, now);
  if (!r.ok) throw refusalError(r, call.action, cfg);
  return r;
}

/** Secure mode, checked where miniupnpd checks it (before the ports are parsed). */
function authorize(cfg: ControlConfig, call: ActionCall, internalClient: string): void {
  const r = cfg.router.mappings.authorize(call.client.address, internalClient);
  if (r && !r.ok) throw refusalError(r, call.action, cfg);
}

const addPortMapping: ActionHandler = (cfg, call, now) => {
  const a = call.args;
  const strict = cfg.profile.strict;
  const intIpText = a.get('NewInternalClient')?.replace(/^ +/, '');
  if (strict && !intIpText) throw new UpnpError(UPNP_ERROR.InvalidArgs, 'NewInternalClient is missing');
  const rhostText = a.get('NewRemoteHost');
  checkRemoteHostSupport(cfg, rhostText);
  const internalClient = !intIpText ? call.client.address : internalClientArg(intIpText, call.client);
  authorize(cfg, call, internalClient);
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
  mapOrThrow(
    cfg,
    call,
    {
      requester: call.client.address,
      protocol: protocolArg(cfg, protoText),
      internalClient,
      internalPort: portArg(intPortText),
      externalPort,
      remoteHost: remoteHostArg(cfg, rhostText),
      lifetime: leaseArg(a.get('NewLeaseDuration')),
      lifetimeRule: cfg.igdVersion === 2 ? 'week-clamped' : 'as-requested',
      search: 'exact',
      origin: 'upnp',
      description: a.get('NewPortMappingDescription') ?? '',
    },
    now,
  );
  return `<u:${call.action}Response xmlns:u="${xmlEscape(call.serviceType)}"/>`;
};

const addAnyPortMapping: ActionHandler = (cfg, call, now) => {
  const a = call.args;
  const lifetime = leaseArg(a.get('NewLeaseDuration'));
  const rhostText = a.get('NewRemoteHost');
  const extText = a.get('NewExternalPort');
  const protoText = a.get('NewProtocol');
  const intPortText = a.get('NewInternalPort');
  const intIpText = a.get('NewInternalClient');
  if (intIpText === undefined || extText === undefined || intPortText === undefined || protoText === undefined) {
    throw new UpnpError(UPNP_ERROR.InvalidArgs, 'NewInternalClient, NewExternalPort, NewInternalPort and NewProtocol are required');
  }
  const wildcard = extText.trim() === '*';
  const asked = wildcard ? 0 : portArg(extText);
  const internalPort = portArg(intPortText);
  if (internalPort === 0 || (!isNumeric(extText) && !wildcard)) {
    throw new UpnpError(UPNP_ERROR.InvalidArgs, `ports "${extText}" / "${intPortText}"`);
  }
  checkRemoteHostSupport(cfg, rhostText);
  const internalClient = internalClientArg(intIpText, call.client);
  authorize(cfg, call, internalClient);
  const r = mapOrThrow(
    cfg,
    call,
    {
      requester: call.client.address,
      protocol: protocolArg(cfg, protoText),
      internalClient,
      internalPort,
      externalPort: asked === 0 ? 'any' : asked,
      remoteHost: remoteHostArg(cfg, rhostText),
      lifetime,
      // miniupnpd turns 0 into one week here and does not clamp larger values.
      lifetimeRule: 'zero-is-week',
      search: 'nearest',
      origin: 'upnp',
      description: a.get('NewPortMappingDescription') ?? '',
    },
    now,
  );
  // Relayed upstream (RFC 6970), the port reserved is the one the upstream assigned: where the Internet reaches it.
  return respond(call, [['NewReservedPort', r.upstream?.externalPort ?? r.mapping.externalPort]]);
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
  const r = cfg.router.mappings.remove({ requester: call.client.address, protocol, externalPort: port, remoteHost }, now);
  if (!r.ok) throw refusalError(r, call.action, cfg);
  return `<u:${call.action}Response xmlns:u="${xmlEscape(call.serviceType)}"></u:${call.action}Response>`;
};

/** NewStartPort / NewEndPort / NewProtocol of the range actions (plus NewNumberOfPorts when asked). */
function rangeArgs(
  cfg: ControlConfig,
  call: ActionCall,
  withNumber: boolean,
): { start: number; end: number; protocol: ForwardProtocol; protoText: string; number: number } {
  const a = call.args;
  const s = a.get('NewStartPort');
  const e = a.get('NewEndPort');
  const p = a.get('NewProtocol');
  const n = a.get('NewNumberOfPorts');
  if (
    s === undefined ||
    e === undefined ||
    p === undefined ||
    !isNumeric(s) ||
    !isNumeric(e) ||
    (withNumber && (n === undefined || !isNumeric(n)))
  ) {
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
  // NewManage: 1 (or true) deletes every mapping in the range, 0 only the requester's — unless the
  // router's policy ignores it, as miniupnpd 2.3.x does.
  const manage = /^\s*(1|true|yes)\s*$/i.test(call.args.get('NewManage') ?? '');
  const r = cfg.router.mappings.removeRange({ requester: call.client.address, protocol, start, end, manage }, now);
  if (!r.ok) throw refusalError(r, call.action, cfg);
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

const getExternalIPAddress: ActionHandler = (cfg, call, now) =>
  respond(call, [['NewExternalIPAddress', reportedExternalAddress(cfg, now)]]);

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
  respond(call, [
    ['NewConnectionType', 'IP_Routed'],
    ['NewPossibleConnectionTypes', 'IP_Routed'],
  ]);

const getNATRSIPStatus: ActionHandler = (cfg, call) =>
  respond(call, [
    ['NewRSIPAvailable', 0],
    ['NewNATEnabled', cfg.router.natEnabled ? 1 : 0],
  ]);

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
