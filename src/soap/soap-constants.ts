/**
 * Constants of the UPnP control/eventing layer that are not spec identifiers shared across natsim
 * (those live in `src/constants.ts`). Values follow miniupnpd 2.3.x unless stated.
 */

/** URL paths of the description, control and event endpoints (miniupnpd's miniupnpdpath.h). */
export const UPNP_PATHS = {
  rootDesc: '/rootDesc.xml',
  wanIpcScpd: '/WANIPCn.xml',
  wanCfgScpd: '/WANCfg.xml',
  l3fScpd: '/L3F.xml',
  wanIpcControl: '/ctl/IPConn',
  wanCfgControl: '/ctl/CmnIfCfg',
  l3fControl: '/ctl/L3F',
  wanIpcEvent: '/evt/IPConn',
  wanCfgEvent: '/evt/CmnIfCfg',
  l3fEvent: '/evt/L3F',
} as const;

/** UDA version a miniupnpd build advertises by default (`genconfig.sh`: UDA 1.1). */
export const UDA_VERSION = { major: 1, minor: 1 } as const;

/** Default `configId` attribute of the root description and `CONFIGID.UPNP.ORG` (miniupnpd: 1337). */
export const DEFAULT_CONFIG_ID = 1337;

/** Default `SERVER` header: OS/version, UDA version, product (miniupnpd's MINIUPNPD_SERVER_STRING). */
export const DEFAULT_SERVER_STRING = 'OpenWRT/23.05 UPnP/1.1 MiniUPnPd/2.3.7';

/** Default request body limit of control URLs (miniupnpd has none; natsim answers 413 above it). */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** Deepest element nesting the SOAP parser accepts (a SOAP request needs 4). */
export const MAX_XML_DEPTH = 32;

/** Descriptions miniupnpd truncates to this many bytes when reporting (it reads into `char desc[64]`). */
export const MAX_REPORTED_DESCRIPTION = 63;

/** Shortest subscription miniupnpd grants: UDA 1.1 §4.1.2 "SHOULD be greater than or equal to 1800". */
export const GENA_MIN_TIMEOUT_SECONDS = 1800;

/** Length of a SID, `uuid:` + 36 characters (miniupnpd compares exactly 41 bytes). */
export const GENA_SID_LENGTH = 41;

/**
 * UPnP error codes miniupnpd answers that `UPNP_ERROR` (src/constants.ts) does not list:
 * 404 from QueryStateVariable, 720/721 from SetDefaultConnectionService in strict builds.
 */
export const EXTRA_UPNP_ERROR = {
  InvalidVar: 404,
  InvalidDeviceUUID: 720,
  InvalidServiceID: 721,
} as const;

/** PortMappingList namespace and schema of GetListOfPortMappings (WANIPConnection:2 §2.3.22). */
export const PORT_LISTING_NS = 'urn:schemas-upnp-org:gw:WANIPConnection';
export const PORT_LISTING_SCHEMA = 'http://www.upnp.org/schemas/gw/WANIPConnection-v2.xsd';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** Build date miniupnpd puts in the embedded devices' modelNumber (its MINIUPNPD_DATE). */
export const DEFAULT_BUILD_DATE = '20250101';

/** Default WAN link rate reported by GetCommonLinkProperties (a 1 Gbit/s Ethernet WAN). */
export const DEFAULT_LINK_BITRATE = 1_000_000_000;

/**
 * GENA limits (issue 12: 10,000 subscriptions were accepted and one AddPortMapping then opened
 * 10,023 sockets). miniupnpd has none; these leave room for every real control point (one per
 * evented service, a few services per client) and bound what one LAN host can make the IGD do.
 */
export const GENA_LIMITS = {
  /** Live subscriptions per subscriber address (beyond: 503). */
  perClient: 16,
  /** Live subscriptions in all (beyond: 503). */
  total: 256,
  /** NOTIFY requests in flight at once; the rest wait in a queue of at most `total` entries. */
  concurrentNotify: 8,
  /** Events queued per subscription behind the one in flight (beyond: the last is replaced by the newest). */
  queuedEvents: 16,
  /** CALLBACK URLs looked at per SUBSCRIBE (the first on the subscriber's address is used). */
  callbackUrls: 8,
  /** Longest CALLBACK URL, characters. */
  callbackUrlLength: 512,
  /** A NOTIFY not answered in this time fails (and drops its subscription, as miniupnpd). */
  notifyTimeoutMs: 5000,
} as const;
