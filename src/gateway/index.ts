/** The gateway: the model served as a UPnP IGD on real sockets. */
export { startGateway, resolveListen, mappingView, type GatewayHandle, type GatewayOptions, type GatewayEvents, type MappingView } from './start-gateway.js';
export { OffsetClock } from './clock.js';
export type { FaultInjection } from './faults.js';
export { DEFAULT_HTTP_LIMITS, startHttpServer, type HttpLimits, type HttpReply, type HttpRequest, type HttpServer, type HttpServerOptions } from './http-server.js';
