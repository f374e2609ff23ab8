/**
 * Action dispatch. Like miniupnpd, an action is found by its name alone (the control URL and the
 * service type do not matter, so e.g. GetTotalBytesSent also works on /ctl/IPConn and
 * AddAnyPortMapping on an IGDv1), unless the profile asks for `serviceActionCheck`. Replies use
 * the namespace of the request's SOAPACTION. Unknown actions, including the non-standard
 * GetPortMappingNumberOfEntries, get 401.
 */
import { SERVICE_ID, UPNP_ERROR } from '../constants.js';
import { type ActionCall, type ActionHandler, type ControlConfig, respond, wanConnected } from './control-context.js';
import { UpnpError, xmlEscape } from './errors.js';
import { EXTRA_UPNP_ERROR, UPNP_PATHS } from './soap-constants.js';
import { queryStateVariable, WAN_IP_CONNECTION_V1, WAN_IP_CONNECTION_V2_ONLY } from './wan-ip-connection.js';
import { soapEnvelope } from './xml.js';

/** Reads a counter, wrapped to 32 bits in strict builds (ui4 rolls over at 2^32). */
function counter(cfg: ControlConfig, value: number): number {
  return cfg.profile.strict ? value % 4294967296 : value;
}

const counterAction =
  (arg: string, read: (c: ControlConfig['router']['counters']) => number): ActionHandler =>
  (cfg, call) =>
    respond(call, [[arg, counter(cfg, read(cfg.router.counters))]]);

/** WANCommonInterfaceConfig:1 handlers. */
export const WAN_COMMON_INTERFACE_CONFIG: Readonly<Record<string, ActionHandler>> = {
  GetCommonLinkProperties: (cfg, call) =>
    respond(call, [
      ['NewWANAccessType', 'Cable'],
      ['NewLayer1UpstreamMaxBitRate', cfg.bitrates.up],
      ['NewLayer1DownstreamMaxBitRate', cfg.bitrates.down],
      ['NewPhysicalLinkStatus', wanConnected(cfg) ? 'Up' : 'Down'],
    ]),
  GetTotalBytesSent: counterAction('NewTotalBytesSent', (c) => c.bytesSent),
  GetTotalBytesReceived: counterAction('NewTotalBytesReceived', (c) => c.bytesReceived),
  GetTotalPacketsSent: counterAction('NewTotalPacketsSent', (c) => c.packetsSent),
  GetTotalPacketsReceived: counterAction('NewTotalPacketsReceived', (c) => c.packetsReceived),
  QueryStateVariable: queryStateVariable,
};

/** The DefaultConnectionService value: `<WCD UDN>:WANConnectionDevice:<v>,<WANIPConnection service id>`. */
export function defaultConnectionService(cfg: ControlConfig): string {
  return `${cfg.udns.wanConnectionDevice}:WANConnectionDevice:${cfg.igdVersion},${SERVICE_ID.WANIPConnection}`;
}

/** Layer3Forwarding:1 handlers. */
export const LAYER3_FORWARDING: Readonly<Record<string, ActionHandler>> = {
  GetDefaultConnectionService: (cfg, call) => respond(call, [['NewDefaultConnectionService', defaultConnectionService(cfg)]]),
  SetDefaultConnectionService: (cfg, call) => {
    const v = call.args.get('NewDefaultConnectionService');
    if (v === undefined) throw new UpnpError(UPNP_ERROR.InvalidArgs, 'NewDefaultConnectionService is missing');
    if (cfg.profile.strict) {
      const comma = v.indexOf(',');
      if (!v.startsWith(cfg.udns.wanConnectionDevice)) throw new UpnpError(EXTRA_UPNP_ERROR.InvalidDeviceUUID, `"${v}"`);
      if (comma < 0 || v.slice(comma + 1) !== SERVICE_ID.WANIPConnection) throw new UpnpError(EXTRA_UPNP_ERROR.InvalidServiceID, `"${v}"`);
    }
    // Accepted and ignored (there is one connection service).
    return `<u:${call.action}Response xmlns:u="${xmlEscape(call.serviceType)}"></u:${call.action}Response>`;
  },
};

/** Every action miniupnpd dispatches, by name. */
export const ALL_ACTIONS: Readonly<Record<string, ActionHandler>> = {
  ...WAN_COMMON_INTERFACE_CONFIG,
  ...WAN_IP_CONNECTION_V1,
  ...WAN_IP_CONNECTION_V2_ONLY,
  ...LAYER3_FORWARDING,
};

/** The actions a control URL accepts under `serviceActionCheck`. */
function serviceActions(cfg: ControlConfig, path: string): Readonly<Record<string, ActionHandler>> {
  switch (path.toLowerCase()) {
    case UPNP_PATHS.wanIpcControl.toLowerCase():
      return cfg.igdVersion === 2 ? { ...WAN_IP_CONNECTION_V1, ...WAN_IP_CONNECTION_V2_ONLY } : WAN_IP_CONNECTION_V1;
    case UPNP_PATHS.wanCfgControl.toLowerCase():
      return WAN_COMMON_INTERFACE_CONFIG;
    case UPNP_PATHS.l3fControl.toLowerCase():
      return LAYER3_FORWARDING;
    default:
      return {};
  }
}

/** The outcome of one control request. */
export interface ControlResult {
  /** 200 or 500. */
  readonly status: 200 | 500;
  /** The full response body (envelope or fault). */
  readonly body: string;
  /** Set for faults. */
  readonly error?: UpnpError;
}

/**
 * Runs one action: expires leases first (so Get* report current leases), then dispatches.
 * Never throws: unexpected exceptions become 501 Action Failed.
 */
export function executeAction(cfg: ControlConfig, call: ActionCall): ControlResult {
  const now = cfg.clock.now();
  cfg.emit({
    type: 'soap-request',
    action: call.action,
    serviceType: call.serviceType,
    client: call.client.address,
    peer: call.client.peer,
  });
  try {
    cfg.router.expire(now);
    const table = cfg.profile.serviceActionCheck ? serviceActions(cfg, call.path) : ALL_ACTIONS;
    const handler = Object.hasOwn(table, call.action) ? table[call.action] : undefined;
    if (!handler) throw new UpnpError(UPNP_ERROR.InvalidAction, `unknown action "${call.action}"`);
    return { status: 200, body: soapEnvelope(handler(cfg, call, now)) };
  } catch (e) {
    const err = e instanceof UpnpError ? e : new UpnpError(UPNP_ERROR.ActionFailed, e instanceof Error ? e.message : String(e));
    return fault(cfg, call, err);
  }
}

/** Renders a fault and reports it. */
export function fault(cfg: ControlConfig, call: Pick<ActionCall, 'action' | 'client'>, err: UpnpError): ControlResult {
  const own = cfg.profile.faultDescriptions?.[err.code];
  if (own !== undefined && own !== err.description) err = new UpnpError(err.code, err.detail, own);
  cfg.emit({
    type: 'fault',
    action: call.action,
    code: err.code,
    description: err.description,
    client: call.client.address,
    ...(err.detail !== undefined ? { detail: err.detail } : {}),
  });
  return { status: 500, body: err.toSoapFault(), error: err };
}
