/**
 * Device and service descriptions, generated the way miniupnpd's upnpdescgen.c lays them out
 * (element order, no whitespace, CRLF after the XML declaration, empty elements omitted).
 *
 * URLs are relative paths and there is no `<URLBase>` (miniupnpd dropped it; UDA 1.1 deprecates
 * it). A `urlBase` can be configured for clients that want one.
 */
import { DEVICE_TYPE, SERVICE_ID, SERVICE_TYPE, UPNP_DEVICE_NS, UPNP_SERVICE_NS } from '../constants.js';
import { xmlEscape } from './errors.js';
import { DEFAULT_BUILD_DATE, DEFAULT_CONFIG_ID, UDA_VERSION, UPNP_PATHS } from './soap-constants.js';

/** Human-readable device fields of the root device (miniupnpd.conf friendly_name, model_name …). */
export interface DeviceInfo {
  readonly friendlyName: string;
  readonly manufacturer: string;
  readonly manufacturerURL: string;
  readonly modelDescription: string;
  readonly modelName: string;
  readonly modelNumber: string;
  readonly modelURL: string;
  readonly serialNumber: string;
  /** Empty omits the element. */
  readonly presentationURL: string;
  /** modelNumber of the embedded WAN devices (miniupnpd: its build date). */
  readonly buildDate: string;
}

/** The three UDNs (`uuid:…`). */
export interface DeviceUdns {
  readonly root: string;
  readonly wanDevice: string;
  readonly wanConnectionDevice: string;
}

/** Everything the root description depends on. */
export interface DescriptionConfig {
  readonly igdVersion: 1 | 2;
  readonly udns: DeviceUdns;
  readonly info: DeviceInfo;
  /** `configId` attribute of `<root>` (UDA 1.1). */
  readonly configId?: number;
  /** Emits `<URLBase>` when set (miniupnpd does not). */
  readonly urlBase?: string;
}

/** miniupnpd's defaults for an OpenWrt build, with the router's LAN address in presentationURL. */
export function defaultDeviceInfo(lanAddress: string): DeviceInfo {
  return {
    friendlyName: 'OpenWRT router',
    manufacturer: 'OpenWRT',
    manufacturerURL: 'http://www.openwrt.org/',
    modelDescription: 'OpenWRT router',
    modelName: 'OpenWRT router',
    modelNumber: '1',
    modelURL: 'http://www.openwrt.org/',
    serialNumber: '00000000',
    presentationURL: `http://${lanAddress}/`,
    buildDate: DEFAULT_BUILD_DATE,
  };
}

/** Increments the last hex digit of a UUID the way miniupnpd derives its embedded devices' UDNs. */
function bumpLastHexDigit(uuid: string): string {
  const last = uuid.slice(-1);
  const next = last === '9' ? 'a' : last === 'f' || last === 'F' ? '0' : String.fromCharCode(last.charCodeAt(0) + 1);
  return uuid.slice(0, -1) + next;
}

/** Normalizes to `uuid:…`. */
export function asUdn(uuid: string): string {
  return uuid.startsWith('uuid:') ? uuid : `uuid:${uuid}`;
}

/** The root UDN and miniupnpd's derived WANDevice / WANConnectionDevice UDNs (last digit +1, +2). */
export function deriveUdns(rootUuid: string): DeviceUdns {
  const root = asUdn(rootUuid);
  const wanDevice = bumpLastHexDigit(root);
  return { root, wanDevice, wanConnectionDevice: bumpLastHexDigit(wanDevice) };
}

/** A stable UUID (v4 layout) derived from a seed such as the router id: same seed, same UUID. */
export function uuidFromSeed(seed: string): string {
  // Four FNV-1a variants give 128 bits.
  const words: number[] = [];
  for (let k = 0; k < 4; k++) {
    let h = (0x811c9dc5 ^ (k * 0x9e3779b1)) >>> 0;
    for (let i = 0; i < seed.length; i++) {
      h ^= seed.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995) >>> 0;
    h ^= h >>> 15;
    words.push(h >>> 0);
  }
  const hex = words.map((w) => w.toString(16).padStart(8, '0')).join('');
  const v = `${hex.slice(0, 12)}4${hex.slice(13, 16)}${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17)}`;
  return `${v.slice(0, 8)}-${v.slice(8, 12)}-${v.slice(12, 16)}-${v.slice(16, 20)}-${v.slice(20, 32)}`;
}

const leaf = (name: string, value: string): string => (value === '' ? '' : `<${name}>${xmlEscape(value)}</${name}>`);

function service(type: string, id: string, scpd: string, control: string, event: string): string {
  return `<service>${leaf('serviceType', type)}${leaf('serviceId', id)}${leaf('SCPDURL', scpd)}${leaf('controlURL', control)}${leaf('eventSubURL', event)}</service>`;
}

/**
 * The root description (`/rootDesc.xml`). With `forceIgd1`, an IGDv2 reports the IGDv1 device and
 * WANIPConnection types, as miniupnpd does for Microsoft clients.
 */
export function rootDescription(cfg: DescriptionConfig, forceIgd1 = false): string {
  const v: 1 | 2 = forceIgd1 ? 1 : cfg.igdVersion;
  const i = cfg.info;
  const common = (fn: string, manu: string, manuUrl: string, desc: string, model: string, num: string, url: string): string =>
    leaf('friendlyName', fn) +
    leaf('manufacturer', manu) +
    leaf('manufacturerURL', manuUrl) +
    leaf('modelDescription', desc) +
    leaf('modelName', model) +
    leaf('modelNumber', num) +
    leaf('modelURL', url);
  const wanConnectionDevice =
    '<device>' +
    leaf('deviceType', DEVICE_TYPE.WANConnectionDevice(v)) +
    common(
      'WANConnectionDevice',
      'MiniUPnP',
      'http://miniupnp.free.fr/',
      'MiniUPnP daemon',
      'MiniUPnPd',
      i.buildDate,
      'http://miniupnp.free.fr/',
    ) +
    leaf('serialNumber', i.serialNumber) +
    leaf('UDN', cfg.udns.wanConnectionDevice) +
    leaf('UPC', 'MINIUPNPD') +
    '<serviceList>' +
    service(
      SERVICE_TYPE.WANIPConnection(v),
      SERVICE_ID.WANIPConnection,
      UPNP_PATHS.wanIpcScpd,
      UPNP_PATHS.wanIpcControl,
      UPNP_PATHS.wanIpcEvent,
    ) +
    '</serviceList></device>';
  const wanDevice =
    '<device>' +
    leaf('deviceType', DEVICE_TYPE.WANDevice(v)) +
    common('WANDevice', 'MiniUPnP', 'http://miniupnp.free.fr/', 'WAN Device', 'WAN Device', i.buildDate, 'http://miniupnp.free.fr/') +
    leaf('serialNumber', i.serialNumber) +
    leaf('UDN', cfg.udns.wanDevice) +
    leaf('UPC', 'MINIUPNPD') +
    '<serviceList>' +
    service(
      SERVICE_TYPE.WANCommonInterfaceConfig,
      SERVICE_ID.WANCommonInterfaceConfig,
      UPNP_PATHS.wanCfgScpd,
      UPNP_PATHS.wanCfgControl,
      UPNP_PATHS.wanCfgEvent,
    ) +
    '</serviceList><deviceList>' +
    wanConnectionDevice +
    '</deviceList></device>';
  return (
    '<?xml version="1.0"?>\r\n' +
    `<root xmlns="${UPNP_DEVICE_NS}" configId="${cfg.configId ?? DEFAULT_CONFIG_ID}">` +
    `<specVersion><major>${UDA_VERSION.major}</major><minor>${UDA_VERSION.minor}</minor></specVersion>` +
    (cfg.urlBase ? leaf('URLBase', cfg.urlBase) : '') +
    '<device>' +
    leaf('deviceType', DEVICE_TYPE.InternetGatewayDevice(v)) +
    common(i.friendlyName, i.manufacturer, i.manufacturerURL, i.modelDescription, i.modelName, i.modelNumber, i.modelURL) +
    leaf('serialNumber', i.serialNumber) +
    leaf('UDN', cfg.udns.root) +
    '<serviceList>' +
    service(SERVICE_TYPE.Layer3Forwarding, SERVICE_ID.Layer3Forwarding, UPNP_PATHS.l3fScpd, UPNP_PATHS.l3fControl, UPNP_PATHS.l3fEvent) +
    '</serviceList><deviceList>' +
    wanDevice +
    '</deviceList>' +
    leaf('presentationURL', i.presentationURL) +
    '</device></root>'
  );
}

/** A state variable of a service description. */
export interface StateVariable {
  readonly name: string;
  readonly dataType: 'string' | 'boolean' | 'ui2' | 'ui4';
  readonly sendEvents: boolean;
  readonly defaultValue?: string;
  readonly allowedValues?: readonly string[];
  readonly range?: readonly [number, number];
}

/** An argument: name, direction, related state variable. */
export type Argument = readonly [name: string, direction: 'in' | 'out', related: string];

/** An action of a service description (`args` undefined: no argumentList element). */
export interface ActionDescription {
  readonly name: string;
  readonly args?: readonly Argument[];
}

const sv = (name: string, dataType: StateVariable['dataType'], sendEvents: boolean, extra: Partial<StateVariable> = {}): StateVariable => ({
  name,
  dataType,
  sendEvents,
  ...extra,
});

const WANIPC_VARS_V1: readonly StateVariable[] = [
  sv('ConnectionType', 'string', false, { defaultValue: 'IP_Routed' }),
  sv('PossibleConnectionTypes', 'string', true, { allowedValues: ['Unconfigured', 'IP_Routed', 'IP_Bridged'] }),
  sv('ConnectionStatus', 'string', true, {
    defaultValue: 'Unconfigured',
    allowedValues: ['Unconfigured', 'Connecting', 'Connected', 'PendingDisconnect', 'Disconnecting', 'Disconnected'],
  }),
  sv('Uptime', 'ui4', false),
  sv('LastConnectionError', 'string', false, { defaultValue: 'ERROR_NONE', allowedValues: ['ERROR_NONE'] }),
  sv('RSIPAvailable', 'boolean', false, { defaultValue: '0' }),
  sv('NATEnabled', 'boolean', false, { defaultValue: '1' }),
  sv('ExternalIPAddress', 'string', true),
  sv('PortMappingNumberOfEntries', 'ui2', true),
  sv('PortMappingEnabled', 'boolean', false),
  sv('PortMappingLeaseDuration', 'ui4', false, { defaultValue: '3600', range: [0, 604800] }),
  sv('RemoteHost', 'string', false),
  sv('ExternalPort', 'ui2', false),
  sv('InternalPort', 'ui2', false, { range: [1, 65535] }),
  sv('PortMappingProtocol', 'string', false, { allowedValues: ['TCP', 'UDP'] }),
  sv('InternalClient', 'string', false),
  sv('PortMappingDescription', 'string', false),
];

const WANIPC_VARS_V2: readonly StateVariable[] = [
  ...WANIPC_VARS_V1,
  sv('SystemUpdateID', 'ui4', true),
  sv('A_ARG_TYPE_Manage', 'boolean', false),
  sv('A_ARG_TYPE_PortListing', 'string', false),
];

const MAPPING_IN: readonly Argument[] = [
  ['NewRemoteHost', 'in', 'RemoteHost'],
  ['NewExternalPort', 'in', 'ExternalPort'],
  ['NewProtocol', 'in', 'PortMappingProtocol'],
  ['NewInternalPort', 'in', 'InternalPort'],
  ['NewInternalClient', 'in', 'InternalClient'],
  ['NewEnabled', 'in', 'PortMappingEnabled'],
  ['NewPortMappingDescription', 'in', 'PortMappingDescription'],
  ['NewLeaseDuration', 'in', 'PortMappingLeaseDuration'],
];

const WANIPC_ACTIONS_V1: readonly ActionDescription[] = [
  { name: 'SetConnectionType', args: [['NewConnectionType', 'in', 'ConnectionType']] },
  {
    name: 'GetConnectionTypeInfo',
    args: [
      ['NewConnectionType', 'out', 'ConnectionType'],
      ['NewPossibleConnectionTypes', 'out', 'PossibleConnectionTypes'],
    ],
  },
  { name: 'RequestConnection' },
  { name: 'ForceTermination' },
  {
    name: 'GetStatusInfo',
    args: [
      ['NewConnectionStatus', 'out', 'ConnectionStatus'],
      ['NewLastConnectionError', 'out', 'LastConnectionError'],
      ['NewUptime', 'out', 'Uptime'],
    ],
  },
  {
    name: 'GetNATRSIPStatus',
    args: [
      ['NewRSIPAvailable', 'out', 'RSIPAvailable'],
      ['NewNATEnabled', 'out', 'NATEnabled'],
    ],
  },
  {
    name: 'GetGenericPortMappingEntry',
    args: [['NewPortMappingIndex', 'in', 'PortMappingNumberOfEntries'], ...MAPPING_IN.map(([n, , r]): Argument => [n, 'out', r])],
  },
  {
    name: 'GetSpecificPortMappingEntry',
    args: [...MAPPING_IN.slice(0, 3), ...MAPPING_IN.slice(3).map(([n, , r]): Argument => [n, 'out', r])],
  },
  { name: 'AddPortMapping', args: MAPPING_IN },
  { name: 'DeletePortMapping', args: MAPPING_IN.slice(0, 3) },
  { name: 'GetExternalIPAddress', args: [['NewExternalIPAddress', 'out', 'ExternalIPAddress']] },
];

const RANGE_IN: readonly Argument[] = [
  ['NewStartPort', 'in', 'ExternalPort'],
  ['NewEndPort', 'in', 'ExternalPort'],
  ['NewProtocol', 'in', 'PortMappingProtocol'],
  ['NewManage', 'in', 'A_ARG_TYPE_Manage'],
];

const WANIPC_ACTIONS_V2: readonly ActionDescription[] = [
  ...WANIPC_ACTIONS_V1,
  { name: 'DeletePortMappingRange', args: RANGE_IN },
  {
    name: 'GetListOfPortMappings',
    args: [...RANGE_IN, ['NewNumberOfPorts', 'in', 'PortMappingNumberOfEntries'], ['NewPortListing', 'out', 'A_ARG_TYPE_PortListing']],
  },
  { name: 'AddAnyPortMapping', args: [...MAPPING_IN, ['NewReservedPort', 'out', 'ExternalPort']] },
];

const WANCFG_ACTIONS: readonly ActionDescription[] = [
  {
    name: 'GetCommonLinkProperties',
    args: [
      ['NewWANAccessType', 'out', 'WANAccessType'],
      ['NewLayer1UpstreamMaxBitRate', 'out', 'Layer1UpstreamMaxBitRate'],
      ['NewLayer1DownstreamMaxBitRate', 'out', 'Layer1DownstreamMaxBitRate'],
      ['NewPhysicalLinkStatus', 'out', 'PhysicalLinkStatus'],
    ],
  },
  { name: 'GetTotalBytesSent', args: [['NewTotalBytesSent', 'out', 'TotalBytesSent']] },
  { name: 'GetTotalBytesReceived', args: [['NewTotalBytesReceived', 'out', 'TotalBytesReceived']] },
  { name: 'GetTotalPacketsSent', args: [['NewTotalPacketsSent', 'out', 'TotalPacketsSent']] },
  { name: 'GetTotalPacketsReceived', args: [['NewTotalPacketsReceived', 'out', 'TotalPacketsReceived']] },
];

const WANCFG_VARS: readonly StateVariable[] = [
  sv('WANAccessType', 'string', false, { allowedValues: ['DSL', 'POTS', 'Cable', 'Ethernet'] }),
  sv('Layer1UpstreamMaxBitRate', 'ui4', false),
  sv('Layer1DownstreamMaxBitRate', 'ui4', false),
  sv('PhysicalLinkStatus', 'string', true, { allowedValues: ['Up', 'Down', 'Initializing', 'Unavailable'] }),
  sv('TotalBytesSent', 'ui4', false),
  sv('TotalBytesReceived', 'ui4', false),
  sv('TotalPacketsSent', 'ui4', false),
  sv('TotalPacketsReceived', 'ui4', false),
];

const L3F_ACTIONS: readonly ActionDescription[] = [
  { name: 'SetDefaultConnectionService', args: [['NewDefaultConnectionService', 'in', 'DefaultConnectionService']] },
  { name: 'GetDefaultConnectionService', args: [['NewDefaultConnectionService', 'out', 'DefaultConnectionService']] },
];

const L3F_VARS: readonly StateVariable[] = [sv('DefaultConnectionService', 'string', true)];

/** Renders an SCPD document. */
export function serviceDescription(actions: readonly ActionDescription[], vars: readonly StateVariable[]): string {
  let out =
    '<?xml version="1.0"?>\r\n' +
    `<scpd xmlns="${UPNP_SERVICE_NS}">` +
    `<specVersion><major>${UDA_VERSION.major}</major><minor>${UDA_VERSION.minor}</minor></specVersion><actionList>`;
  for (const a of actions) {
    out += `<action><name>${a.name}</name>`;
    if (a.args) {
      out += '<argumentList>';
      for (const [name, dir, rel] of a.args) {
        out += `<argument><name>${name}</name><direction>${dir}</direction><relatedStateVariable>${rel}</relatedStateVariable></argument>`;
      }
      out += '</argumentList>';
    }
    out += '</action>';
  }
  out += '</actionList><serviceStateTable>';
  for (const v of vars) {
    out += `<stateVariable sendEvents="${v.sendEvents ? 'yes' : 'no'}"><name>${v.name}</name><dataType>${v.dataType}</dataType>`;
    if (v.defaultValue !== undefined) out += `<defaultValue>${v.defaultValue}</defaultValue>`;
    if (v.allowedValues)
      out += `<allowedValueList>${v.allowedValues.map((x) => `<allowedValue>${x}</allowedValue>`).join('')}</allowedValueList>`;
    if (v.range) out += `<allowedValueRange><minimum>${v.range[0]}</minimum><maximum>${v.range[1]}</maximum></allowedValueRange>`;
    out += '</stateVariable>';
  }
  return `${out}</serviceStateTable></scpd>`;
}

/** The actions a WANIPConnection of this version describes. */
export function wanIpConnectionActions(version: 1 | 2): readonly ActionDescription[] {
  return version === 2 ? WANIPC_ACTIONS_V2 : WANIPC_ACTIONS_V1;
}

/** The state variables of WANIPConnection of this version. */
export function wanIpConnectionVariables(version: 1 | 2): readonly StateVariable[] {
  return version === 2 ? WANIPC_VARS_V2 : WANIPC_VARS_V1;
}

/**
 * `/WANIPCn.xml`. With `forceIgd1` an IGDv2 hides the v2 actions but keeps its state table,
 * as miniupnpd does for Microsoft clients.
 */
export function wanIpConnectionScpd(version: 1 | 2, forceIgd1 = false): string {
  return serviceDescription(wanIpConnectionActions(forceIgd1 ? 1 : version), wanIpConnectionVariables(version));
}

/** `/WANCfg.xml` (WANCommonInterfaceConfig:1). */
export function wanCommonInterfaceConfigScpd(): string {
  return serviceDescription(WANCFG_ACTIONS, WANCFG_VARS);
}

/** `/L3F.xml` (Layer3Forwarding:1). */
export function layer3ForwardingScpd(): string {
  return serviceDescription(L3F_ACTIONS, L3F_VARS);
}

/** Action names of WANCommonInterfaceConfig:1. */
export const WANCFG_ACTION_NAMES: readonly string[] = WANCFG_ACTIONS.map((a) => a.name);
/** Action names of Layer3Forwarding:1. */
export const L3F_ACTION_NAMES: readonly string[] = L3F_ACTIONS.map((a) => a.name);
/** State variables per service, for eventing. */
export const SERVICE_VARIABLES = { wanCfg: WANCFG_VARS, l3f: L3F_VARS } as const;
