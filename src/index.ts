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
export * from './nat/index.js';
export {
  startGateway, OffsetClock, DEFAULT_HTTP_LIMITS, type GatewayHandle, type GatewayOptions, type GatewayEvents, type MappingView, type FaultInjection,
  type HttpLimits,
} from './gateway/index.js';
export { NatsimError, type NatsimErrorCode, type NatsimErrorDetails } from './errors.js';
export { scenarioPath, scenarioNames, SCENARIOS_DIR } from './scenario/shipped.js';
export { loadScenarioFile, parseScenario, checkScenarioFile, checkScenarioText, DEFAULT_MAX_SCENARIO_BYTES, type LoadedScenario, type ScenarioCheck, type ScenarioLimits } from './scenario/loader.js';
export { ScenarioError, formatIssue, isError, type ScenarioIssue } from './scenario/errors.js';
export { runScenario, runCheck, type CheckResult, type ScenarioResult, type Outcome, type Step, type Classification } from './scenario/simulate.js';
export { explainText, explainMermaid, explainMermaidDocument, explainMarkdown, explainJson, toJson } from './scenario/explain.js';
export { topologyMermaid, topologyText, topologyJson, topologyNodes, type TopologyNode } from './scenario/topology.js';
export { scenarioSchema, scenarioJsonSchema, type ScenarioConfig } from './scenario/schema.js';
export { buildNetwork } from './scenario/build.js';
export { APPS, PROBES, type AppProfile, type FeatureSpec, type FlowSpec } from './scenario/apps.js';
export {
  createUpnpHandler, createUpnpResponder, ROUTER_PROFILES, UpnpError,
  type RouterProfile, type UpnpAppOptions, type UpnpHandler, type UpnpHttpReply, type UpnpHttpRequest, type UpnpResponder,
} from './soap/index.js';
export { SsdpResponder, startSsdpServer } from './ssdp/index.js';
export {
  answerNatpmp, natpmpAnnouncement, natpmpResultOf, NATPMP_REFUSAL_CODES, parseNatpmpRequest, parseNatpmpResponse, encodeNatpmpRequest,
  type NatpmpOutcome, type NatpmpRequest, type NatpmpResponse, type NatpmpSource,
} from './natpmp/index.js';
export * from './constants.js';
