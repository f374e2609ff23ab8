/** The gateway: the model served as a UPnP IGD on real sockets. */

export {
  DIRECT_SOCKETS,
  type SocketProvider,
  type TcpConnectCallback,
  type TcpConnectRequest,
  type UdpBindRequest,
} from '../net/socket-provider.js';
export { OffsetClock } from './clock.js';
export type { FaultInjection } from './faults.js';
export {
  DEFAULT_HTTP_LIMITS,
  type HttpLimits,
  type HttpReply,
  type HttpRequest,
  type HttpServer,
  type HttpServerOptions,
  startHttpServer,
} from './http-server.js';
export {
  type GatewayEvents,
  type GatewayHandle,
  type GatewayOptions,
  type MappingView,
  mappingView,
  resolveListen,
  type ServedRouterHandle,
  startGateway,
} from './start-gateway.js';
export {
  type RouterPlacement,
  type ScenarioGatewayHandle,
  type ScenarioGatewayOptions,
  startScenarioGateway,
} from './start-scenario-gateway.js';
