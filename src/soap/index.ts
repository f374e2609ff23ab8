/**
 * The UPnP IGD control and eventing layer (descriptions, SOAP actions, GENA), modelled on
 * miniupnpd. Entry point: {@link createUpnpResponder} (the express adapter, `createUpnpApp`, is
 * in `natsim/express`, so this layer loads no web framework).
 */
export {
  createUpnpHandler, createUpnpResponder,
  type UpnpAppOptions, type UpnpHandler, type UpnpHttpReply, type UpnpHttpRequest, type UpnpResponder,
} from './app.js';
export { UpnpService, defaultLoopbackClient, type ControlRequest, type ControlResponse, type UpnpIdentity, type UpnpServiceOptions } from './service.js';
export { UpnpError, UPNP_ERROR_DESCRIPTIONS, soapFaultBody, xmlEscape } from './errors.js';
export { parseSoapActionHeader, parseSoapBody, soapEnvelope, decodeXmlText, type SoapBody, type SoapActionHeader } from './xml.js';
export {
  rootDescription, wanIpConnectionScpd, wanCommonInterfaceConfigScpd, layer3ForwardingScpd, deriveUdns, uuidFromSeed,
  defaultDeviceInfo, type DeviceInfo, type DeviceUdns, type DescriptionConfig,
} from './descriptions.js';
export { classifyHostHeader, hostHeaderAcceptable, type HostHeaderVerdict } from './host-header.js';
export { GenaPublisher, httpDeliver, selectCallback, propertySet, type DeliverFn, type GenaService, type SubscriptionInfo } from './gena.js';
export { ROUTER_PROFILES, DEFAULT_PROFILE, routerProfile, profilesMarkdownTable, type RouterProfile, type ProtocolCheck } from './profiles.js';
export { refusalCode, REFUSAL_CODES } from './refusals.js';
export { UPNP_PATHS, DEFAULT_CONFIG_ID, DEFAULT_SERVER_STRING, EXTRA_UPNP_ERROR } from './soap-constants.js';
export type { UpnpRouter, ClientInfo, UpnpEvent } from './types.js';
