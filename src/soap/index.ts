/**
 * The UPnP IGD control and eventing layer (descriptions, SOAP actions, GENA), modelled on
 * miniupnpd. Entry point: {@link createUpnpResponder} (the express adapter, `createUpnpApp`, is
 * in `natsim/express`, so this layer loads no web framework).
 */
export {
  createUpnpHandler,
  createUpnpResponder,
  type UpnpAppOptions,
  type UpnpHandler,
  type UpnpHttpReply,
  type UpnpHttpRequest,
  type UpnpResponder,
} from './app.js';
export {
  type DescriptionConfig,
  type DeviceInfo,
  type DeviceUdns,
  defaultDeviceInfo,
  deriveUdns,
  layer3ForwardingScpd,
  rootDescription,
  uuidFromSeed,
  wanCommonInterfaceConfigScpd,
  wanIpConnectionScpd,
} from './descriptions.js';
export { soapFaultBody, UPNP_ERROR_DESCRIPTIONS, UpnpError, xmlEscape } from './errors.js';
export {
  type DeliverFn,
  GenaPublisher,
  type GenaService,
  httpDeliver,
  propertySet,
  type SubscriptionInfo,
  selectCallback,
} from './gena.js';
export { classifyHostHeader, type HostHeaderVerdict, hostHeaderAcceptable } from './host-header.js';
export {
  DEFAULT_PROFILE,
  type ProtocolCheck,
  profilesMarkdownTable,
  ROUTER_PROFILES,
  type RouterProfile,
  routerProfile,
} from './profiles.js';
export { REFUSAL_CODES, refusalCode } from './refusals.js';
export {
  type ControlRequest,
  type ControlResponse,
  defaultLoopbackClient,
  type UpnpIdentity,
  UpnpService,
  type UpnpServiceOptions,
} from './service.js';
export { DEFAULT_CONFIG_ID, DEFAULT_SERVER_STRING, EXTRA_UPNP_ERROR, UPNP_PATHS } from './soap-constants.js';
export type { ClientInfo, UpnpEvent, UpnpRouter } from './types.js';
export { decodeXmlText, parseSoapActionHeader, parseSoapBody, type SoapActionHeader, type SoapBody, soapEnvelope } from './xml.js';
