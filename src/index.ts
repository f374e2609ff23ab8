/**
 * natsim's library API: the NAT model, scenarios and the gateway.
 *
 * ```ts
 * import { startGateway } from 'natsim';
 * await using gw = await startGateway({ scenario: 'default' });
 * ```
 *
 * The express adapter (`createUpnpApp`) is in `natsim/express`; the shipped scenarios are
 * `natsim/scenarios/*.yaml` (or {@link scenarioPath}), the JSON schema `natsim/schema`.
 */

export * from './constants.js';
export { NatsimError, type NatsimErrorCode, type NatsimErrorDetails } from './errors.js';
export {
  DEFAULT_HTTP_LIMITS,
  DIRECT_SOCKETS,
  type FaultInjection,
  type GatewayEvents,
  type GatewayHandle,
  type GatewayOptions,
  type HttpLimits,
  type MappingView,
  OffsetClock,
  type RouterPlacement,
  type ScenarioGatewayHandle,
  type ScenarioGatewayOptions,
  type ServedRouterHandle,
  type SocketProvider,
  startGateway,
  startScenarioGateway,
  type TcpConnectCallback,
  type TcpConnectRequest,
  type UdpBindRequest,
} from './gateway/index.js';
export {
  type ExecOptions,
  type ExecResult,
  type LabDrop,
  type LabHandle,
  type LabOptions,
  type RelayStats,
  startLab,
} from './lab/index.js';
export * from './nat/index.js';
export {
  answerNatpmp,
  encodeNatpmpRequest,
  NATPMP_REFUSAL_CODES,
  type NatpmpOutcome,
  type NatpmpRequest,
  type NatpmpResponse,
  type NatpmpSource,
  natpmpAnnouncement,
  natpmpResultOf,
  parseNatpmpRequest,
  parseNatpmpResponse,
} from './natpmp/index.js';
export { APPS, type AppProfile, type FeatureSpec, type FlowSpec, PROBES } from './scenario/apps.js';
export { buildNetwork } from './scenario/build.js';
export { formatIssue, isError, ScenarioError, type ScenarioIssue } from './scenario/errors.js';
export { explainJson, explainMarkdown, explainMermaid, explainMermaidDocument, explainText, toJson } from './scenario/explain.js';
export {
  checkScenarioFile,
  checkScenarioText,
  DEFAULT_MAX_SCENARIO_BYTES,
  type LoadedScenario,
  loadScenarioFile,
  parseScenario,
  type ScenarioCheck,
  type ScenarioLimits,
} from './scenario/loader.js';
export { type ScenarioConfig, scenarioJsonSchema, scenarioSchema } from './scenario/schema.js';
export { SCENARIOS_DIR, scenarioNames, scenarioPath } from './scenario/shipped.js';
export {
  type CheckResult,
  type Classification,
  type Outcome,
  runCheck,
  runScenario,
  type ScenarioResult,
  type Step,
} from './scenario/simulate.js';
export { type TopologyNode, topologyJson, topologyMermaid, topologyNodes, topologyText } from './scenario/topology.js';
export {
  createUpnpHandler,
  createUpnpResponder,
  ROUTER_PROFILES,
  type RouterProfile,
  type UpnpAppOptions,
  UpnpError,
  type UpnpHandler,
  type UpnpHttpReply,
  type UpnpHttpRequest,
  type UpnpResponder,
} from './soap/index.js';
export { SsdpResponder, startSsdpServer } from './ssdp/index.js';
export {
  answerStun,
  parseStunMessage,
  type StunContext,
  type StunEvent,
  type StunOutcome,
  type StunServer,
  type StunServerOptions,
  startStunServer,
} from './stun/index.js';
