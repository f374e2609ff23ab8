/**
 * The simulation: plays each check of a scenario as packets through the NAT model — logins,
 * address discovery (UPnP, STUN-like reflection, server observation), signalling that carries
 * advertised addresses (rewritten by ALGs where present), then every flow — and reports whether
 * each flow got through both ways, and if not, which hop dropped it and why.
 */

import { NATPMP_RECOMMENDED_LIFETIME } from '../constants.js';
import { describeValue, NatsimError } from '../errors.js';
import { type Endpoint, ep, formatEndpoint, formatIPv4, isPrivateAddress, parseIPv4 } from '../nat/address.js';
import { type FakeClock, SeededRng } from '../nat/clock.js';
import type { Delivery, Host, Network } from '../nat/network.js';
import { type Packet, TCP } from '../nat/packet.js';
import type { Hop } from '../nat/trace.js';
import { APPS, type AppProfile, type Discovery, type FeatureSpec, type FlowSpec, type PeerVariant, PROBES } from './apps.js';
import { scenarioArgument } from './argument.js';
import { buildNetwork } from './build.js';
import type { LoadedScenario } from './loader.js';
import { InProcessNatpmpClient, natpmpResultText } from './natpmp-client.js';
import { InProcessPcpClient, pcpFailureText } from './pcp-client.js';
import type { CheckSpec, ScenarioConfig } from './schema.js';
import { runTimeline, type TimelineStep } from './timeline.js';
import { faultText, InProcessUpnpClient, igdOf } from './upnp-client.js';
import { withUpstreamSteps } from './upstream-notes.js';
import { type FlowEvidence, type FlowPacket, whyContext, whyFlowsWorked } from './why-worked.js';

/** A call set up by a check, as its two ends know it afterwards (what a timeline resumes and keeps alive). */
export interface CallSession {
  readonly caller: string;
  readonly callee: string;
  readonly app: AppProfile;
  readonly flows: readonly FlowSpec[];
  /** The port `host` receives flow `i` on. */
  port(host: string, i: number): number | undefined;
  /** Where `viewer` sends flow `i` (the peer's address as the viewer learnt it). */
  target(viewer: string, i: number): Endpoint | undefined;
}

/**
 * Plays one check in an existing network (a timeline's): its result, and the call it set up
 * (for flows that were reached). `seedIndex` picks the check's random stream.
 */
export function playCheck(
  config: ScenarioConfig,
  net: Network,
  clock: FakeClock,
  check: CheckSpec,
  name: string,
  seedIndex: number,
): { result: CheckResult; session?: CallSession } {
  const play = new Play(config, net, clock, check, name, seedIndex);
  const result = play.run();
  return { result, ...(play.session ? { session: play.session } : {}) };
}

/** A check's outcome. */
export type Outcome = 'works' | 'fails' | 'relayed';

/** One step of the story of a check: something an endpoint did or learnt, or a packet sent. */
export interface Step {
  /** Host, server or router id. */
  readonly actor: string;
  readonly text: string;
  /** The packet's journey, for packet steps. */
  readonly delivery?: Delivery;
  /** Who sent the packet (host id), for packet steps. */
  readonly from?: string;
}

/** A hop as reported in results (JSON contract). */
export interface HopView {
  readonly node: string;
  readonly action: string;
  readonly code: string;
  readonly message: string;
}

/** The RFC 5780 classification a `classify` probe found. */
export interface Classification {
  readonly mapping: 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';
  readonly filtering: 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';
}

export interface CheckResult {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly feature: string;
  readonly expect: Outcome;
  readonly result: Outcome;
  readonly pass: boolean;
  /** One sentence: why it works, or the first hop that dropped a required flow and why. */
  readonly reason: string;
  /** The decisive packet's hops (the failing packet, or every packet when it works). */
  readonly hops: readonly HopView[];
  readonly steps: readonly Step[];
  /** Router id where the decisive drop happened. */
  readonly failedAt?: string;
  readonly classification?: Classification;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly file?: string;
  /** The checks of `checks:`, then the checks of the timeline (named `NAME @ t=…`). */
  readonly checks: readonly CheckResult[];
  /** What happened at each timeline entry, when the scenario has a timeline. */
  readonly timeline?: readonly TimelineStep[];
  readonly passed: number;
  readonly failed: number;
}

/**
 * Runs every check of a scenario; each check gets a fresh network (plus the checks it names in
 * `after`). Takes `await loadScenarioFile(path)` (its file is named in the result) or its `config`.
 */
export function runScenario(scenario: ScenarioConfig | LoadedScenario, options: { file?: string; only?: string } = {}): ScenarioResult {
  const arg = scenarioArgument(scenario, 'runScenario');
  const config = arg.config;
  options = arg.file !== undefined && options.file === undefined ? { ...options, file: arg.file } : options;
  const names = config.checks.map((c, i) => c.name ?? `check ${i + 1}`);
  const checks: CheckResult[] = [];
  config.checks.forEach((_check, i) => {
    if (options.only !== undefined && names[i] !== options.only) return;
    checks.push(runCheck(config, i));
  });
  let timeline: TimelineStep[] | undefined;
  if (config.timeline && options.only === undefined) {
    const t = runTimeline(config);
    timeline = t.steps;
    checks.push(...t.checks);
  }
  const passed = checks.filter((c) => c.pass).length;
  return {
    scenario: config.name,
    ...(options.file ? { file: options.file } : {}),
    checks,
    ...(timeline ? { timeline } : {}),
    passed,
    failed: checks.length - passed,
  };
}

/** Plays check `index` (after the checks it depends on, in the same network). */
export function runCheck(scenario: ScenarioConfig | LoadedScenario, index: number): CheckResult {
  const { config } = scenarioArgument(scenario, 'runCheck');
  if (!Number.isInteger(index) || index < 0 || index >= config.checks.length) {
    throw new NatsimError('ERR_NATSIM_INVALID_ARGUMENT', {
      fn: 'runCheck',
      reason: `check index must be an integer 0–${config.checks.length - 1}, not ${describeValue(index)}`,
    });
  }
  const { net, clock } = buildNetwork(config);
  const names = config.checks.map((c, i) => c.name ?? `check ${i + 1}`);
  const check = config.checks[index]!;
  for (const dep of check.after) {
    const j = names.indexOf(dep);
    new Play(config, net, clock, config.checks[j]!, names[j]!, j).run();
  }
  return new Play(config, net, clock, check, names[index]!, index).run();
}

const EPHEMERAL_BASE = 49152;
/** How many further external ports a UPnP client asks for after a conflict. */
const UPNP_PORT_TRIES = 16;

/** How each discovery method is named in explanations. */
const DISCOVERY_NAMES: Readonly<Record<Discovery, string>> = {
  upnp: 'a UPnP gateway',
  natpmp: 'a NAT-PMP gateway',
  pcp: 'a PCP server',
  stun: 'a STUN-like reflector',
  'server-observed': 'its server',
  proxy: 'a Winsock proxy',
  local: 'its own address',
};

/** TURN's UDP port (RFC 8656), where a relay server takes allocations. */
const TURN_PORT = 3478;
/** The two reflector ports a port-predicting peer queries just before its predicted pair. */
const PREDICT_PORTS = [3479, 3480] as const;
/** The first port a relay hands out as a relayed transport address. */
const RELAY_PORT_BASE = 49152;

/** The candidate pairs of the complete peer, in priority order. */
type PairKind = 'host' | 'srflx' | 'predicted' | 'tcp' | 'relay';
const PAIR_NAMES: Readonly<Record<PairKind, string>> = {
  host: 'host',
  srflx: 'server-reflexive',
  predicted: 'port-predicted',
  tcp: 'TCP',
  relay: 'relayed',
};

/** A candidate pair that did not carry packets both ways, and its decisive drop. */
interface PairFailure {
  readonly kind: PairKind;
  readonly reason: string;
  readonly delivery?: Delivery;
}

/** `the host pair failed: …; the server-reflexive pair failed: …`, after `lead` (empty when none failed). */
function failuresText(failures: readonly PairFailure[], lead: string): string {
  if (failures.length === 0) return '';
  return lead + failures.map((x) => `the ${PAIR_NAMES[x.kind]} pair failed: ${x.reason}`).join('; ');
}

/**
 * The failed pairs with the decisive one first — the relay's, else the last UDP pair's (the TCP
 * pair is a fallback; the UDP drop is what a reader of a hole-punch verdict looks for) — then the
 * rest, latest first.
 */
function decisiveFirst(failures: readonly PairFailure[]): PairFailure[] {
  const decisive = failures.find((x) => x.kind === 'relay') ?? failures.findLast((x) => x.kind !== 'tcp') ?? failures.at(-1)!;
  return [decisive, ...failures.filter((x) => x !== decisive).reverse()];
}

/** The local TCP port of the complete peer's TCP candidate (its rendezvous connection and the simultaneous open). */
const TCP_CANDIDATE_PORT = 40000;

/** Ports each host listens on, per network (sessions of earlier checks played with `after`). */
const LISTENING = new WeakMap<Network, Map<string, Set<string>>>();

function listeningPorts(net: Network, host: string): Set<string> {
  let m = LISTENING.get(net);
  if (!m) LISTENING.set(net, (m = new Map()));
  let s = m.get(host);
  if (!s) m.set(host, (s = new Set()));
  return s;
}

interface Advertised {
  readonly endpoint: Endpoint;
  readonly how: string;
  /** When what the host learnt made the call work, the clause that says so (`alice detected …`). */
  readonly learnt?: string;
}

interface FlowOutcome {
  readonly ok: boolean;
  readonly reason: string;
  readonly delivery?: Delivery;
  /** The media went through a relay (the complete peer's relayed pair), with these packets. */
  readonly relayed?: readonly Delivery[];
}

/** Two UDP streams played to the end: the packets of the last round, and who learnt a peer-reflexive source. */
interface StreamsOutcome extends FlowOutcome {
  readonly last?: readonly Delivery[];
  readonly learnt?: readonly string[];
}

/** One check being played. */
class Play {
  readonly steps: Step[] = [];
  readonly #ephemeral = new Map<string, number>();
  readonly #advertised = new Map<string, Advertised>();
  readonly #observed = new Map<string, Endpoint>();
  readonly #rng: SeededRng;
  readonly #caller: string;
  readonly #callee: string;
  readonly #app: AppProfile;
  readonly #featureId: string;
  readonly #feature: FeatureSpec;
  readonly #deliveries: Delivery[] = [];
  /** The call as set up so far (set once addresses are exchanged). */
  session?: CallSession;
  /** The packets of the flow being played, while one is (what made it work is read from them). */
  #flowLog: FlowPacket[] | undefined;

  constructor(
    readonly config: ScenarioConfig,
    readonly net: Network,
    readonly clock: FakeClock,
    readonly check: CheckSpec,
    readonly name: string,
    index: number,
  ) {
    this.#rng = new SeededRng((config.seed * 7919 + index * 104729) >>> 0);
    [this.#caller, this.#callee] = check.initiator === 'from' ? [check.from, check.to] : [check.to, check.from];
    const hostApp = config.hosts[check.from]?.app;
    const app = hostApp ? APPS[hostApp] : undefined;
    const featureId = check.feature ?? app?.defaultFeature ?? 'hole-punch';
    const probe = PROBES[featureId];
    this.#app = probe ? probe.app : app!;
    this.#featureId = featureId;
    this.#feature = this.#app.features[featureId]!;
  }

  run(): CheckResult {
    if (this.#featureId === 'classify') return this.#classify();
    const outcome = this.#play();
    let result: Outcome = outcome.relayed ? 'relayed' : outcome.ok ? 'works' : 'fails';
    let reason = outcome.reason;
    let decisive = outcome.relayed ?? (outcome.ok ? this.#deliveries : outcome.delivery ? [outcome.delivery] : []);
    if (!outcome.ok && this.#feature.fallback === 'relay') {
      const relayed = this.#relay();
      if (relayed.ok) {
        result = 'relayed';
        reason = `direct path failed (${outcome.reason}); ${relayed.reason}`;
        decisive = relayed.deliveries;
      }
    }
    if (result === 'fails' && outcome.delivery && this.#feature.peer === undefined) reason += this.#insight(outcome.delivery);
    const failedAt = result === 'fails' ? outcome.delivery?.drop?.node : undefined;
    return this.#result(result, reason, decisive, failedAt);
  }

  #result(result: Outcome, reason: string, decisive: readonly Delivery[], failedAt?: string, classification?: Classification): CheckResult {
    const c = this.check;
    let pass = result === c.expect;
    if (classification && c.classification) {
      pass = pass && classification.mapping === c.classification.mapping && classification.filtering === c.classification.filtering;
    }
    return {
      name: this.name,
      from: c.from,
      to: c.to,
      feature: this.#featureId,
      expect: c.expect,
      result,
      pass,
      reason,
      hops: decisive.flatMap((d) => d.hops.map(hopView)),
      steps: this.steps,
      ...(failedAt ? { failedAt } : {}),
      ...(classification ? { classification } : {}),
    };
  }

  // ---- the story -------------------------------------------------------------------------

  #play(): FlowOutcome {
    const app = this.#app;
    const feature = this.#feature;
    const caller = this.#caller;
    const callee = this.#callee;
    this.#note(caller, `${caller} (${app.name}) starts "${feature.label}" with ${callee}: ${feature.description}`);
    // 1. Both clients reach their server (presence, rendezvous).
    const signalling = this.#server('signalling');
    if (signalling) {
      for (const h of [caller, callee]) {
        const address = this.#serverAddressFor(h, signalling.id);
        if (address !== signalling.address) this.#note(h, `${h} reaches ${signalling.id} at its published address ${address}`);
        const login = this.#tcpConnect(h, ep(address, app.login.port), signalling.id, app.login.label);
        if (!login.ok)
          return {
            ok: false,
            reason: `${h} cannot reach the server: ${login.reason}`,
            ...(login.delivery ? { delivery: login.delivery } : {}),
          };
        this.#observed.set(h, login.observed!);
        this.#note(signalling.id, `${signalling.id} sees ${h} connecting from ${formatEndpoint(login.observed!)}`);
        for (const port of feature.serverPorts ?? []) {
          const r = this.#tcpConnect(h, ep(this.#serverAddressFor(h, signalling.id), port), signalling.id, `TCP ${port} to the server`);
          if (!r.ok)
            return {
              ok: false,
              reason: `${h} cannot reach the server on TCP ${port}: ${r.reason}`,
              ...(r.delivery ? { delivery: r.delivery } : {}),
            };
        }
      }
    } else if (this.#app.discovery.includes('server-observed') || !PROBES[this.#featureId]) {
      this.#note(caller, 'the scenario has no signalling server: peers exchange addresses out of band');
    }
    if (feature.flows.length === 0) {
      return {
        ok: true,
        reason: `both ${caller} and ${callee} keep their outbound connection to the server, which carries ${feature.label}`,
      };
    }
    // 2. Each side decides the addresses it advertises for the flows it receives on.
    const ports = new Map<string, number>(); // `${host}|${flowIndex}` → listening port
    const portOf = (h: string, i: number): number => {
      const k = `${h}|${i}`;
      let p = ports.get(k);
      if (p === undefined) {
        const spec = feature.flows[i]!.port;
        const inUse = listeningPorts(this.net, h);
        if (typeof spec === 'number') p = spec;
        else if ('dynamic' in spec) p = this.#rng.int(spec.dynamic[0], spec.dynamic[1]);
        else {
          p = spec.firstFree[0];
          while (inUse.has(`${feature.flows[i]!.proto}/${p}`) && p < spec.firstFree[1]) p++;
          if (p !== spec.firstFree[0])
            this.#note(
              h,
              `${h} already has a session on ${feature.flows[i]!.proto.toUpperCase()} ${spec.firstFree[0]}${p - 1 > spec.firstFree[0] ? `–${p - 1}` : ''}, so it listens on ${p}`,
            );
        }
        inUse.add(`${feature.flows[i]!.proto}/${p}`);
        ports.set(k, p);
      }
      return p;
    };
    const receivers = (f: FlowSpec): string[] => (f.opener === 'caller' ? [callee] : f.opener === 'callee' ? [caller] : [caller, callee]);
    // view.get(`${viewer}|${i}`): where `viewer` sends flow i (the peer's endpoint as the viewer knows it).
    const view = new Map<string, Endpoint>();
    for (const [i, f] of feature.flows.entries()) {
      for (const h of receivers(f)) {
        const peer = h === caller ? callee : caller;
        const adv = this.#advertise(h, peer, f, portOf(h, i));
        view.set(`${peer}|${i}`, adv.endpoint);
      }
    }
    this.session = {
      caller,
      callee,
      app,
      flows: feature.flows,
      port: (h, i) => ports.get(`${h}|${i}`),
      target: (viewer, i) => view.get(`${viewer}|${i}`),
    };
    this.#note(
      caller,
      `addresses are exchanged through ${signalling ? signalling.id : 'the rendezvous'}: ${[...view.entries()]
        .map(([k, e]) => {
          const [viewer, i] = k.split('|');
          return `${viewer} will use ${formatEndpoint(e)} for ${feature.flows[Number(i)]!.label}`;
        })
        .join('; ')}`,
    );
    // 3. The flows, in order (the complete peer checks candidate pairs instead).
    if (feature.peer) return this.#checkPairs(feature.peer, feature.flows[0]!, portOf, view);
    const evidence: FlowEvidence[] = [];
    for (const [i, f] of feature.flows.entries()) {
      const log: FlowPacket[] = [];
      this.#flowLog = log;
      const r = this.#flow(f, i, portOf, view);
      this.#flowLog = undefined;
      if (!r.ok) return r;
      const learnt = receivers(f).flatMap((h) => this.#advertised.get(`${h}|${f.proto}|${portOf(h, i)}`)?.learnt ?? []);
      evidence.push({
        label: f.label,
        packets: log.filter((x) => x.delivery.delivered && x.delivery.to !== x.from),
        ...(f.carries ? { carries: f.carries } : {}),
        learnt,
      });
    }
    const why = whyFlowsWorked(evidence, whyContext(this.config, this.net));
    return {
      ok: true,
      reason: `every flow of ${feature.label} got through both ways — ${why}`,
    };
  }

  #flow(f: FlowSpec, i: number, portOf: (h: string, i: number) => number, view: Map<string, Endpoint>): FlowOutcome {
    const caller = this.#caller;
    const callee = this.#callee;
    const one = (from: string, to: string): FlowOutcome => {
      const target = view.get(`${from}|${i}`)!;
      const listen = portOf(to, i);
      if (f.proto === 'tcp') {
        const payload = f.carries ? this.#describeMedia(from, i, portOf, f.carries) : undefined;
        const reply = f.carries ? this.#describeMedia(to, i, portOf, f.carries) : undefined;
        const r = this.#tcpConnect(from, target, to, f.label, listen, payload, reply);
        if (r.ok && f.carries && r.payloadArrived !== undefined) this.#learnMedia(to, from, i, r.payloadArrived, f.carries, view);
        if (r.ok && f.carries && r.replyPayload !== undefined) this.#learnMedia(from, to, i, r.replyPayload, f.carries, view);
        return r;
      }
      return this.#udpExchange(f, i, from, to, target, listen, portOf, view);
    };
    switch (f.opener) {
      case 'caller':
        return one(caller, callee);
      case 'callee':
        return one(callee, caller);
      case 'either': {
        const a = one(caller, callee);
        if (a.ok) return a;
        this.#note(callee, `${f.label}: the connection from ${caller} failed, so ${callee} tries the other way`);
        if (this.#flowLog) this.#flowLog.length = 0;
        const b = one(callee, caller);
        if (b.ok) return b;
        return {
          ok: false,
          reason: `${f.label} failed both ways: ${a.reason}; and ${b.reason}`,
          ...(b.delivery ? { delivery: b.delivery } : {}),
        };
      }
      case 'both': {
        if (f.proto === 'tcp') {
          const a = one(caller, callee);
          if (!a.ok) return a;
          return one(callee, caller);
        }
        return this.#udpStreams(f, i, portOf, view);
      }
    }
  }

  /** UDP request/response (e.g. a SIP INVITE and its 200 OK). */
  #udpExchange(
    f: FlowSpec,
    i: number,
    from: string,
    to: string,
    target: Endpoint,
    listen: number,
    portOf: (h: string, i: number) => number,
    view: Map<string, Endpoint>,
  ): FlowOutcome {
    const src = f.symmetric ? portOf(from, i) : this.#nextPort(from);
    const payload = f.carries ? this.#describeMedia(from, i, portOf, f.carries) : undefined;
    const d = this.#send(from, { proto: 'udp', src: ep(this.#host(from).ip, src), dst: target, ...(payload ? { payload } : {}) }, f.label);
    const arrived = this.#arrived(d, to, listen);
    if (!arrived.ok) return { ok: false, reason: `${f.label} from ${from} to ${formatEndpoint(target)}: ${arrived.reason}`, delivery: d };
    if (f.carries && d.packet.payload) this.#learnMedia(to, from, i, d.packet.payload, f.carries, view);
    const replyPayload = f.carries ? this.#describeMedia(to, i, portOf, f.carries) : undefined;
    const back = this.#send(
      to,
      { proto: 'udp', src: ep(this.#host(to).ip, listen), dst: d.packet.src, ...(replyPayload ? { payload: replyPayload } : {}) },
      `${f.label} (reply)`,
      true,
    );
    const ok = this.#arrived(back, from, src);
    if (!ok.ok)
      return { ok: false, reason: `${f.label} reply from ${to} to ${formatEndpoint(d.packet.src)}: ${ok.reason}`, delivery: back };
    if (f.carries && back.packet.payload) this.#learnMedia(from, to, i, back.packet.payload, f.carries, view);
    return { ok: true, reason: '' };
  }

  /** Two UDP streams, one each way, played in rounds until they settle. */
  #udpStreams(f: FlowSpec, i: number, portOf: (h: string, i: number) => number, view: Map<string, Endpoint>): StreamsOutcome {
    const sides = [this.#caller, this.#callee] as const;
    const srcPort = new Map<string, number>();
    for (const h of sides) srcPort.set(h, f.symmetric ? portOf(h, i) : this.#nextPort(h));
    const target = new Map<string, Endpoint>(sides.map((h) => [h, view.get(`${h}|${i}`)!]));
    const learnt: string[] = [];
    let last: Record<string, FlowOutcome> = {};
    const rounds = 3;
    for (let round = 1; round <= rounds; round++) {
      last = {};
      for (const from of sides) {
        const to = from === this.#caller ? this.#callee : this.#caller;
        const dst = target.get(from)!;
        const d = this.#send(from, { proto: 'udp', src: ep(this.#host(from).ip, srcPort.get(from)!), dst }, `${f.label} round ${round}`);
        const arrived = this.#arrived(d, to, portOf(to, i));
        last[from] = arrived.ok
          ? { ok: true, reason: '', delivery: d }
          : { ok: false, reason: `${f.label} from ${from} to ${formatEndpoint(dst)}: ${arrived.reason}`, delivery: d };
        if (arrived.ok && this.#app.iceLike && f.symmetric) {
          const seen = d.packet.src;
          const known = target.get(to)!;
          if (seen.ip !== known.ip || seen.port !== known.port) {
            this.#note(
              to,
              `${to} received from ${formatEndpoint(seen)}, not the advertised ${formatEndpoint(known)}: it answers the observed address (peer-reflexive)`,
            );
            learnt.push(`${to} learnt ${formatEndpoint(seen)}, the port ${from}'s NAT really used, from its packet (peer-reflexive)`);
            target.set(to, seen);
          }
        }
      }
      if (sides.every((h) => last[h]!.ok)) {
        for (const h of sides) view.set(`${h}|${i}`, target.get(h)!);
        if (round > 1)
          this.#note(
            this.#caller,
            `${f.label}: both directions got through in round ${round} (the first packets opened the NATs on the way out)`,
          );
        return { ok: true, reason: '', last: sides.map((h) => last[h]!.delivery!), learnt };
      }
    }
    const failed = sides.map((h) => last[h]!).find((r) => !r.ok)!;
    return {
      ok: false,
      reason: `${failed.reason} (still failing after ${rounds} rounds)`,
      ...(failed.delivery ? { delivery: failed.delivery } : {}),
    };
  }

  // ---- the complete peer (probe hole-punch) ----------------------------------------------

  /**
   * The complete peer, ICE-like: both sides check candidate pairs in priority order — host ↔ host,
   * then server-reflexive (or mapped) ↔ server-reflexive, and only when nothing direct carried
   * packets both ways, a TURN-like relayed pair through a `role: relay` server — and select the
   * first pair that works. Every verdict comes from packets pushed through the model.
   */
  #checkPairs(variant: PeerVariant, f: FlowSpec, portOf: (h: string, i: number) => number, view: Map<string, Endpoint>): FlowOutcome {
    const sides = [this.#caller, this.#callee] as const;
    const peerOf = (h: string): string => (h === this.#caller ? this.#callee : this.#caller);
    const host = new Map(sides.map((h) => [h, ep(this.#host(h).ip, portOf(h, 0))]));
    // view: `${viewer}|0` → where the viewer sends, i.e. the peer's advertised (reflexive) candidate.
    const srflx = new Map(sides.map((h) => [h, view.get(`${peerOf(h)}|0`)!]));
    const same = (a: Endpoint, b: Endpoint): boolean => a.ip === b.ip && a.port === b.port;
    const pairs: Array<{ kind: PairKind; candidate: () => Map<string, Endpoint> | undefined }> = [];
    if (variant !== 'naive') pairs.push({ kind: 'host', candidate: () => host });
    if (variant === 'naive' || sides.some((h) => !same(host.get(h)!, srflx.get(h)!))) pairs.push({ kind: 'srflx', candidate: () => srflx });
    if (variant === 'predicting') pairs.push({ kind: 'predicted', candidate: () => this.#predict(srflx, portOf) });
    const failures: PairFailure[] = [];
    for (const pair of pairs) {
      const kind = pair.kind;
      const candidate = pair.candidate();
      if (!candidate) continue;
      const pv = new Map(sides.map((h) => [`${h}|0`, candidate.get(peerOf(h))!]));
      this.#note(
        this.#caller,
        `checking the ${PAIR_NAMES[kind]} pair (UDP): ${sides.map((h) => `${h} sends to ${formatEndpoint(pv.get(`${h}|0`)!)}`).join(', ')}`,
      );
      const r = this.#udpStreams(f, 0, portOf, pv);
      if (r.ok) {
        for (const h of sides) view.set(`${h}|0`, pv.get(`${h}|0`)!);
        const selected = this.#selectedPair(kind, candidate, pv);
        this.#note(this.#caller, `${selected}: packets got through both ways`);
        return { ok: true, reason: `${selected}: ${this.#whyPairWorked(kind, r)}${failuresText(failures, '; before it, ')}` };
      }
      failures.push({
        kind,
        reason: r.reason + (r.delivery ? this.#insight(r.delivery) : ''),
        ...(r.delivery ? { delivery: r.delivery } : {}),
      });
    }
    if (variant === 'naive') {
      const last = failures.at(-1)!;
      return {
        ok: false,
        reason: `the naive peer's only pair failed: ${last.reason}`,
        ...(last.delivery ? { delivery: last.delivery } : {}),
      };
    }
    const tcp = this.#tcpPair();
    if (tcp?.ok) {
      return { ok: true, reason: `${tcp.reason}${failuresText(failures, '; before it, ')}` };
    }
    if (tcp) failures.push({ kind: 'tcp', reason: tcp.reason, ...(tcp.delivery ? { delivery: tcp.delivery } : {}) });
    const relay = this.#server('relay');
    if (!relay) {
      this.#note(this.#caller, 'no direct pair worked, and the scenario has no relay server (role: relay) to fall back on');
      const [decisive] = decisiveFirst(failures);
      return {
        ok: false,
        reason: `no candidate pair worked and there is no relay server: ${failuresText(decisiveFirst(failures), '')}`,
        ...(decisive!.delivery ? { delivery: decisive!.delivery } : {}),
      };
    }
    const r = this.#relayPair(relay, portOf);
    if (r.ok) {
      return {
        ok: true,
        reason: `selected the relayed pair: ${r.reason}, because no direct pair worked${failuresText(failures, ': ')}`,
        relayed: r.deliveries,
      };
    }
    failures.push({ kind: 'relay', reason: r.reason, ...(r.delivery ? { delivery: r.delivery } : {}) });
    return {
      ok: false,
      reason: `no candidate pair worked, not even the relayed one: ${failuresText(decisiveFirst(failures), '')}`,
      ...(r.delivery ? { delivery: r.delivery } : {}),
    };
  }

  /**
   * The TCP pair (RFC 6544-style server-reflexive TCP candidates, simultaneous open, RFC 5382 §5):
   * each side connects to the rendezvous server from its own TCP port, learning the address the
   * server saw; then both send SYNs from that same port to each other's observed address in
   * rounds. When one side's SYN gets through (the other's own SYN opened its NAT), it answers
   * SYN-ACK and the other ACKs. Undefined when there is no rendezvous server to learn from.
   */
  #tcpPair(): { ok: boolean; reason: string; delivery?: Delivery } | undefined {
    const signalling = this.#server('signalling');
    if (!signalling) return undefined;
    const sides = [this.#caller, this.#callee] as const;
    const peerOf = (h: string): string => (h === this.#caller ? this.#callee : this.#caller);
    const base = new Map(sides.map((h) => [h, ep(this.#host(h).ip, TCP_CANDIDATE_PORT)]));
    const observed = new Map<string, Endpoint>();
    const server = this.#host(signalling.id);
    for (const h of sides) {
      const dst = ep(this.#serverAddressFor(h, signalling.id), this.#app.login.port);
      const syn = this.#send(
        h,
        { proto: 'tcp', src: base.get(h)!, dst, flags: TCP.SYN },
        `TCP candidate: SYN to ${signalling.id} from port ${TCP_CANDIDATE_PORT}`,
      );
      const a = this.#arrived(syn, signalling.id, dst.port);
      if (!a.ok) return { ok: false, reason: `${h} cannot learn its TCP candidate from ${signalling.id}: ${a.reason}`, delivery: syn };
      const back = this.#send(
        signalling.id,
        { proto: 'tcp', src: ep(server.ip, dst.port), dst: syn.packet.src, flags: TCP.SYN | TCP.ACK },
        `TCP candidate: SYN-ACK from ${signalling.id}`,
      );
      const b = this.#arrived(back, h, TCP_CANDIDATE_PORT);
      if (!b.ok) return { ok: false, reason: `${signalling.id}'s SYN-ACK to ${h}: ${b.reason}`, delivery: back };
      this.#send(h, { proto: 'tcp', src: base.get(h)!, dst, flags: TCP.ACK }, 'TCP candidate: ACK');
      observed.set(h, syn.packet.src);
      this.#note(
        h,
        `${h}'s TCP candidate: ${signalling.id} saw its connection from port ${TCP_CANDIDATE_PORT} come from ${formatEndpoint(syn.packet.src)}`,
      );
    }
    this.#note(
      this.#caller,
      `checking the TCP pair (simultaneous open): ${sides.map((h) => `${h} sends SYN to ${formatEndpoint(observed.get(peerOf(h))!)}`).join(', ')}`,
    );
    let lastDrop: Delivery | undefined;
    for (let round = 1; round <= 3; round++) {
      for (const h of sides) {
        const peer = peerOf(h);
        const syn = this.#send(
          h,
          { proto: 'tcp', src: base.get(h)!, dst: observed.get(peer)!, flags: TCP.SYN },
          `TCP simultaneous open round ${round}: SYN`,
        );
        if (!this.#arrived(syn, peer, TCP_CANDIDATE_PORT).ok) {
          lastDrop = syn;
          continue;
        }
        // peer (in SYN-SENT) got h's SYN: it answers SYN-ACK to the source it saw, h ACKs.
        const synAck = this.#send(
          peer,
          { proto: 'tcp', src: base.get(peer)!, dst: syn.packet.src, flags: TCP.SYN | TCP.ACK },
          'TCP simultaneous open: SYN-ACK',
        );
        const b = this.#arrived(synAck, h, TCP_CANDIDATE_PORT);
        if (!b.ok)
          return {
            ok: false,
            reason: `the TCP pair's SYN-ACK from ${peer} to ${formatEndpoint(syn.packet.src)}: ${b.reason}`,
            delivery: synAck,
          };
        const ack = this.#send(
          h,
          { proto: 'tcp', src: base.get(h)!, dst: observed.get(peer)!, flags: TCP.ACK },
          'TCP simultaneous open: ACK',
        );
        const c = this.#arrived(ack, peer, TCP_CANDIDATE_PORT);
        if (!c.ok) return { ok: false, reason: `the TCP pair's ACK from ${h}: ${c.reason}`, delivery: ack };
        const opened = syn.hops.filter((x) => x.action === 'translate').at(-1)?.node ?? 'its path';
        return {
          ok: true,
          reason: `selected the TCP pair (simultaneous open, ${formatEndpoint(observed.get(this.#caller)!)} ↔ ${formatEndpoint(observed.get(this.#callee)!)}): ${peer}'s own SYN had opened ${opened} for ${h}'s SYN, and both reused the local port of their connection to ${signalling.id}`,
        };
      }
    }
    return {
      ok: false,
      reason: `TCP simultaneous open: ${lastDrop ? `SYN to ${formatEndpoint(lastDrop.hops[0]?.before.dst ?? lastDrop.packet.dst)}: ${lastDrop.drop?.message ?? 'not delivered'}` : 'no SYN got through'} (still failing after 3 rounds)`,
      ...(lastDrop ? { delivery: lastDrop } : {}),
    };
  }

  /**
   * `selected the host pair (UDP a ↔ b)` — or, when a side's check arrived from a source its peer
   * had not been told (RFC 8445 §7.3.1.3: a peer-reflexive candidate), the pair actually used:
   * `selected a peer-reflexive pair (UDP a ↔ b', found by the server-reflexive check: …)`.
   */
  #selectedPair(kind: PairKind, candidate: ReadonlyMap<string, Endpoint>, pv: ReadonlyMap<string, Endpoint>): string {
    const sides = [this.#caller, this.#callee] as const;
    const peerOf = (h: string): string => (h === this.#caller ? this.#callee : this.#caller);
    // Where the peer finally sends to h is h's candidate as used; it differs when the peer learnt it from a packet.
    const used = new Map(sides.map((h) => [h, pv.get(`${peerOf(h)}|0`)!]));
    const learnt = sides.filter((h) => {
      const a = used.get(h)!;
      const b = candidate.get(h)!;
      return a.ip !== b.ip || a.port !== b.port;
    });
    const pair = `UDP ${formatEndpoint(used.get(this.#caller)!)} ↔ ${formatEndpoint(used.get(this.#callee)!)}`;
    if (learnt.length === 0) return `selected the ${PAIR_NAMES[kind]} pair (${pair})`;
    return `selected a peer-reflexive pair (${pair}, found by the ${PAIR_NAMES[kind]} check: ${learnt.map((h) => `${h} was checked at ${formatEndpoint(candidate.get(h)!)}`).join(', ')})`;
  }

  /** What made a pair work, from its packets' hops (same LAN, hairpin, mapping learnt, port mapping). */
  #whyPairWorked(kind: PairKind, r: StreamsOutcome): string {
    const hops = (r.last ?? []).flatMap((d) => d.hops);
    const nodes = (pick: (h: Hop) => boolean): string[] => [...new Set(hops.filter(pick).map((h) => h.node))];
    const hairpins = nodes((h) => h.action === 'hairpin');
    const translated = nodes((h) => h.action === 'translate');
    const forwarded = nodes((h) => h.action === 'forward');
    const why: string[] = [];
    if (hairpins.length) why.push(`hairpinned at ${hairpins.join(' and ')} (the NAT turned the packets back into its own LAN)`);
    if (kind === 'host' && hairpins.length === 0 && translated.length === 0) {
      const rid = this.#routerOf(this.#caller);
      why.push(
        forwarded.length === 0
          ? `same LAN: the host candidates reach each other directly on ${rid ? `${rid}'s LAN` : 'the Internet'}, no NAT involved`
          : `the host addresses are routable between them (${forwarded.join(', ')} forwarded without translating)`,
      );
    }
    if (kind === 'predicted')
      why.push(
        'each NAT that changes ports per destination picked the port its peer predicted from the step between two reflector answers',
      );
    why.push(...(r.learnt ?? []));
    if (kind === 'srflx') {
      for (const h of [this.#caller, this.#callee]) {
        const adv = [...this.#advertised.entries()].find(([k]) => k.startsWith(`${h}|`))?.[1];
        if (adv?.how.startsWith('external address and mapping from'))
          why.push(`${h}'s ${adv.how.slice('external address and '.length)} let the peer in`);
      }
    }
    if (why.length === 0)
      why.push(
        `each side's packets opened its NAT for the other (${translated.join(', ')} translated), and the reflexive mappings held for the peer`,
      );
    return why.join('; ');
  }

  /**
   * Port prediction (against sequential symmetric NATs): each side queries the reflector twice
   * more from its port, on two fresh reflector ports; when the mapped port moved by a step, it
   * advertises the port after the second answer plus that step. Undefined when neither side's
   * mapping moved (nothing to predict) or the reflector did not answer.
   */
  #predict(srflx: Map<string, Endpoint>, portOf: (h: string, i: number) => number): Map<string, Endpoint> | undefined {
    const reflector = this.#server('reflector');
    if (!reflector) return undefined;
    const predicted = new Map(srflx);
    let moved = false;
    for (const h of [this.#caller, this.#callee]) {
      const src = ep(this.#host(h).ip, portOf(h, 0));
      const seen: Endpoint[] = [];
      for (const port of [PREDICT_PORTS[0], PREDICT_PORTS[1]]) {
        const d = this.#send(
          h,
          { proto: 'udp', src, dst: ep(reflector.address, port) },
          `port-prediction query to ${reflector.id}:${port}`,
        );
        if (!d.delivered || d.to !== reflector.id) return undefined;
        const back = this.#send(
          reflector.id,
          { proto: 'udp', src: ep(this.#host(reflector.id).ip, port), dst: d.packet.src },
          `reflector answer: you are ${formatEndpoint(d.packet.src)}`,
        );
        if (!back.delivered || back.to !== h) return undefined;
        seen.push(d.packet.src);
      }
      const step = seen[1]!.port - seen[0]!.port;
      if (step === 0) continue;
      const next = ep(formatIPv4(seen[1]!.ip), seen[1]!.port + step);
      if (next.port < 1 || next.port > 65535) {
        this.#note(
          h,
          `${h}'s mapped port moved ${formatEndpoint(seen[0]!)} → ${formatEndpoint(seen[1]!)} (step ${step}): the next port would be outside 1–65535, so it predicts nothing`,
        );
        continue;
      }
      moved = true;
      predicted.set(h, next);
      this.#note(
        h,
        `${h}'s mapped port moved ${formatEndpoint(seen[0]!)} → ${formatEndpoint(seen[1]!)} (step ${step}): it predicts ${formatEndpoint(next)} for its next destination and advertises it`,
      );
    }
    return moved ? predicted : undefined;
  }

  /**
   * The relayed pair, TURN-like: each peer allocates on the relay from its own port (UDP 3478),
   * then its media goes peer → relay → peer (a Send indication in, a Data indication out).
   */
  #relayPair(
    relay: { id: string; address: string },
    portOf: (h: string, i: number) => number,
  ): { ok: boolean; reason: string; delivery?: Delivery; deliveries: Delivery[] } {
    const start = this.#deliveries.length;
    const sides = [this.#caller, this.#callee] as const;
    const relayHost = this.#host(relay.id);
    const observed = new Map<string, Endpoint>();
    const allocated = new Map<string, Endpoint>();
    const fail = (reason: string, d: Delivery): { ok: false; reason: string; delivery: Delivery; deliveries: Delivery[] } => ({
      ok: false,
      reason,
      delivery: d,
      deliveries: [],
    });
    const server = (h: string): Endpoint => ep(this.#serverAddressFor(h, relay.id), TURN_PORT);
    for (const [n, h] of sides.entries()) {
      const src = ep(this.#host(h).ip, portOf(h, 0));
      const d = this.#send(h, { proto: 'udp', src, dst: server(h), payload: 'TURN Allocate' }, `TURN Allocate request to ${relay.id}`);
      const a = this.#arrived(d, relay.id, TURN_PORT);
      if (!a.ok) return fail(`${h} cannot allocate on the relay ${relay.id} (${formatEndpoint(server(h))}): ${a.reason}`, d);
      const alloc = ep(relay.address, RELAY_PORT_BASE + n);
      const back = this.#send(
        relay.id,
        {
          proto: 'udp',
          src: ep(relayHost.ip, TURN_PORT),
          dst: d.packet.src,
          payload: `TURN Allocate success: relayed ${formatEndpoint(alloc)}`,
        },
        `TURN Allocate response from ${relay.id}`,
      );
      const b = this.#arrived(back, h, src.port);
      if (!b.ok) return fail(`the relay's answer to ${h}'s allocation (to ${formatEndpoint(d.packet.src)}): ${b.reason}`, back);
      observed.set(h, d.packet.src);
      allocated.set(h, alloc);
      this.#note(h, `${h} allocates ${formatEndpoint(alloc)} on the relay ${relay.id}, which sees it at ${formatEndpoint(d.packet.src)}`);
    }
    for (const h of sides) {
      const peer = h === this.#caller ? this.#callee : this.#caller;
      const src = ep(this.#host(h).ip, portOf(h, 0));
      const d = this.#send(
        h,
        { proto: 'udp', src, dst: server(h), payload: `TURN Send indication to ${formatEndpoint(allocated.get(peer)!)}` },
        `media from ${h} to ${peer}'s relayed address, via ${relay.id}`,
      );
      const a = this.#arrived(d, relay.id, TURN_PORT);
      if (!a.ok) return fail(`${h}'s media to the relay ${relay.id}: ${a.reason}`, d);
      const e = this.#send(
        relay.id,
        {
          proto: 'udp',
          src: ep(relayHost.ip, TURN_PORT),
          dst: observed.get(peer)!,
          payload: `TURN Data indication from ${formatEndpoint(allocated.get(h)!)}`,
        },
        `${relay.id} relays ${h}'s media to ${peer}`,
      );
      const b = this.#arrived(e, peer, portOf(peer, 0));
      if (!b.ok) return fail(`the relay's media to ${peer} (at ${formatEndpoint(observed.get(peer)!)}): ${b.reason}`, e);
    }
    this.#note(
      relay.id,
      `${relay.id} carries the media between ${this.#caller} and ${this.#callee}: each sent to its allocation, and got the other's media from it`,
    );
    return {
      ok: true,
      reason: `media relayed through ${relay.id} (${relay.address}), where each peer allocated from its own port (UDP ${TURN_PORT}) and got the other's packets back`,
      deliveries: this.#deliveries.slice(start),
    };
  }

  /** Why an advertised address did not lead back: the teaching sentence appended to a failure. */
  #insight(d: Delivery): string {
    const target = d.hops[0]?.before.dst;
    const code = d.drop?.code;
    if (!target) return '';
    for (const [key, adv] of this.#advertised) {
      if (adv.endpoint.ip !== target.ip || adv.endpoint.port !== target.port) continue;
      const owner = key.split('|')[0]!;
      const rid = this.#routerOf(owner);
      const host = this.#host(owner);
      if (adv.endpoint.ip === host.ip && rid && this.net.router(rid).natEnabled) {
        const ways = this.#app.discovery.filter((m) => m !== 'local').map((m) => DISCOVERY_NAMES[m]);
        const how = ways.length
          ? `${this.#app.name} learns a translated address only from ${ways.join(' or ')}, and none was available`
          : `${this.#app.name} has no way to learn a translated address`;
        return `. ${owner} advertised its private address ${formatIPv4(host.ip)}, which means nothing outside ${rid}'s LAN: ${rid} is a NAT, and ${how}`;
      }
      if (rid && adv.how.startsWith('external address and mapping from UPnP')) {
        const path = this.net.pathToInternet(owner);
        const outer = path.slice(1).filter((r) => r.natEnabled);
        if (outer.length > 0) {
          const top = path[path.length - 1]!;
          return `. ${owner} advertised ${formatEndpoint(adv.endpoint)}, the external address its UPnP gateway ${rid} reported — but ${rid} is itself behind ${outer.map((r) => r.id).join(' and ')}: from the Internet only ${top.wanAddress} leads there, and UPnP reached only ${rid}, so no mapping exists at ${outer.map((r) => r.id).join(' or ')}`;
        }
      }
      if (code === 'filtered' || code === 'no-mapping') {
        return `. ${owner} advertised ${formatEndpoint(adv.endpoint)} (${adv.how}), but nothing at ${d.drop!.node} admits unsolicited traffic to it from this sender`;
      }
    }
    return '';
  }

  /**
   * AddPortMapping over SOAP for `port`; on a conflict (718/729) the next ports are asked, as
   * clients do. The external port mapped, or undefined (with a note) when none was.
   */
  #upnpAddPortMapping(h: string, rid: string, upnp: InProcessUpnpClient, f: FlowSpec, port: number): number | undefined {
    const P = f.proto.toUpperCase() as 'TCP' | 'UDP';
    const args = {
      protocol: P,
      internalPort: port,
      internalClient: upnp.address,
      description: `${this.#app.name} ${f.label}`,
      leaseDuration: 0,
    };
    let ext = port;
    let r = upnp.addPortMapping({ ...args, externalPort: ext });
    for (let tries = 0; !r.ok && (r.code === 718 || r.code === 729) && tries < UPNP_PORT_TRIES && ext < 65535; tries++) {
      const next = ext + 1;
      if (tries === 0) this.#note(h, `${h}: AddPortMapping ${P} ${port} on ${rid} refused (${faultText(r)}); it asks for ${next} instead`);
      ext = next;
      r = upnp.addPortMapping({ ...args, externalPort: ext });
    }
    if (r.ok) return ext;
    this.#note(h, `${h}: UPnP AddPortMapping on ${rid} failed: ${faultText(r)}`);
    return undefined;
  }

  // ---- addresses ---------------------------------------------------------------------------

  #advertise(h: string, peer: string, f: FlowSpec, port: number): Advertised {
    const key = `${h}|${f.proto}|${port}`;
    const cached = this.#advertised.get(key);
    if (cached) return cached;
    const adv = this.#discover(h, peer, f, port);
    this.#advertised.set(key, adv);
    this.#note(h, `${h} advertises ${formatEndpoint(adv.endpoint)} for ${f.label} (${adv.how})`);
    return adv;
  }

  #discover(h: string, peer: string, f: FlowSpec, port: number): Advertised {
    const host = this.#host(h);
    const local: Advertised = { endpoint: ep(host.ip, port), how: `its own address` };
    for (const method of this.#app.discovery as Discovery[]) {
      if (method === 'local') return local;
      if (method === 'upnp') {
        const rid = this.#routerOf(h);
        const spec = rid ? this.config.routers[rid] : undefined;
        if (!rid || !spec?.services.upnp) {
          if (rid) this.#note(h, `${h} finds no UPnP gateway: ${rid} does not offer UPnP`);
          continue;
        }
        const router = this.net.router(rid);
        if (!router.natEnabled && this.config.hosts[h]?.admin === false) {
          this.#note(
            h,
            `${h}: UPnP AddPortMapping on ${rid} is refused (606 Action not authorized): opening the firewall needs administrative rights, which ${h}'s user lacks`,
          );
          continue;
        }
        if (this.#app.sameGatewayDetection && this.#routerOf(peer) === rid) {
          return {
            endpoint: ep(host.ip, port),
            how: `UPnP shows ${peer} is behind the same gateway ${rid}, so it uses its internal address`,
            learnt: `${h} detected the same gateway: UPnP shows ${peer} is behind ${rid} too, so ${h} advertised its internal address`,
          };
        }
        const upnp = new InProcessUpnpClient(igdOf(this.net, this.config, rid), host.address);
        const asked = withUpstreamSteps(this.net, rid, () => upnp.externalAddress(), 'address');
        const ip = asked.value;
        this.steps.push(...asked.steps);
        const external = ip.ok ? ip.address : '';
        if (this.#app.rejectsReservedUpnpAddress && router.natEnabled && external !== '' && isPrivateAddress(parseIPv4(external))) {
          this.#note(
            h,
            `${h}: its UPnP gateway ${rid} reports ${external}, a reserved address — another NAT sits upstream, so a UPnP mapping would be useless; it does not use UPnP`,
          );
          continue;
        }
        const upstream = withUpstreamSteps(this.net, rid, () => this.#upnpAddPortMapping(h, rid, upnp, f, port));
        const mapped = upstream.value;
        if (mapped === undefined) continue;
        if (!router.natEnabled) {
          return { endpoint: ep(host.ip, port), how: `its own address; UPnP opened ${f.proto.toUpperCase()} ${port} in ${rid}'s firewall` };
        }
        if (external === '') {
          this.#note(
            h,
            `${h}: its UPnP gateway ${rid} reports no external address (GetExternalIPAddress ${ip.ok ? '= ""' : `failed: ${faultText(ip)}`}), so the mapping cannot be advertised`,
          );
          continue;
        }
        this.#note(
          h,
          `${h} asks its gateway ${rid} over UPnP: GetExternalIPAddress = ${external}; AddPortMapping ${f.proto.toUpperCase()} ${mapped} → ${host.address}:${port} succeeds`,
        );
        this.steps.push(...upstream.steps);
        const via = upstream.mapped > 0 ? `, which ${rid} made at ${this.#upstreamOf(rid)} too over PCP` : '';
        return { endpoint: { ip: parseIPv4(external), port: mapped }, how: `external address and mapping from UPnP on ${rid}${via}` };
      }
      if (method === 'natpmp') {
        const adv = this.#natpmp(h, f, port);
        if (adv) return adv;
        continue;
      }
      if (method === 'pcp') {
        const adv = this.#pcp(h, f, port);
        if (adv) return adv;
        continue;
      }
      if (method === 'proxy') {
        const rid = this.#routerOf(h);
        const spec = rid ? this.config.routers[rid] : undefined;
        if (!rid || !spec?.services.proxy) continue;
        const router = this.net.router(rid);
        // The socket is connected towards the SIP server when inviting, towards the inviter when invited.
        const signalling = this.#server('signalling');
        const towards = h === this.#caller ? signalling?.id : peer;
        const towardsAddress = towards ? this.#host(towards).ip : undefined;
        if (towardsAddress !== undefined && router.onLan(towardsAddress)) {
          return {
            endpoint: ep(host.ip, port),
            how: `the local address its socket towards ${towards} reports: ${towards} is inside ${rid}'s LAN, so the proxy is not used and the address is internal`,
            learnt: `${h}'s socket towards ${towards} reported its internal address (${towards} is inside ${rid}'s LAN, the proxy is not used)`,
          };
        }
        const now = this.clock.now();
        const extPort = router.forwards.findFreePort(f.proto, port, host.address, now) ?? port;
        const r = router.forwards.add(
          {
            protocol: f.proto,
            externalPort: extPort,
            internalClient: host.address,
            internalPort: port,
            origin: 'static',
            description: `proxy listener for ${h}`,
          },
          now,
        );
        if (!r.ok) continue;
        this.#note(
          h,
          `${h}'s firewall client opens its listening ${f.proto.toUpperCase()} ${port} on the proxy ${rid} as ${router.wanAddress}:${extPort}`,
        );
        return {
          endpoint: ep(router.wanAddress, extPort),
          how: `the local address its socket towards ${towards ?? 'the peer'} reports through the proxy ${rid}`,
          learnt: `${h}'s firewall client opened its listening socket on the proxy ${rid} and advertised the proxy's address`,
        };
      }
      if (method === 'stun') {
        const reflector = this.#server('reflector');
        if (!reflector) continue;
        const d = this.#send(
          h,
          { proto: f.proto === 'tcp' ? 'udp' : 'udp', src: ep(host.ip, port), dst: ep(reflector.address, 3478) },
          `reflexive-address query from port ${port}`,
        );
        if (!d.delivered || d.to !== reflector.id) continue;
        const seen = d.packet.src;
        const back = this.#send(
          reflector.id,
          { proto: 'udp', src: ep(reflector.address, 3478), dst: seen },
          `reflector answer: you are ${formatEndpoint(seen)}`,
        );
        if (!back.delivered || back.to !== h) continue;
        const how = `the address ${reflector.id} saw its query come from`;
        return seen.ip === host.ip && seen.port === port
          ? { endpoint: seen, how }
          : { endpoint: seen, how, learnt: `${h} advertised the address ${reflector.id} saw its query come from (its NAT's mapping)` };
      }
      if (method === 'server-observed') {
        const o = this.#observed.get(h);
        if (!o) continue;
        const how = `the address the server saw it connect from, with its own port ${port}`;
        return o.ip === host.ip
          ? { endpoint: { ip: o.ip, port }, how }
          : { endpoint: { ip: o.ip, port }, how, learnt: `${h} advertised the address its server saw it connect from, with its own port` };
      }
    }
    return local;
  }

  /** NAT-PMP on the host's gateway, through the same server `natsim serve` runs: address, then a mapping. */
  #natpmp(h: string, f: FlowSpec, port: number): Advertised | undefined {
    const rid = this.#routerOf(h);
    if (!rid || !this.config.routers[rid]?.services.natpmp) {
      if (rid) this.#note(h, `${h} gets no NAT-PMP answer: ${rid} does not offer NAT-PMP`);
      return undefined;
    }
    const host = this.#host(h);
    const client = new InProcessNatpmpClient(this.net.router(rid), this.clock, host.address);
    const ip = client.externalAddress();
    if (!ip.ok && ip.result === -1) {
      this.#note(h, `${h} gets no NAT-PMP answer from ${rid}: nothing answers on UDP 5351 (profile ${this.config.routers[rid]!.profile})`);
      return undefined;
    }
    if (!ip.ok) {
      this.#note(h, `${h}: NAT-PMP external address request to ${rid} answered result ${natpmpResultText(ip.result)}`);
      return undefined;
    }
    if (this.#app.rejectsReservedUpnpAddress && isPrivateAddress(parseIPv4(ip.address))) {
      this.#note(
        h,
        `${h}: its NAT-PMP gateway ${rid} reports ${ip.address}, a reserved address — another NAT sits upstream; it does not use NAT-PMP`,
      );
      return undefined;
    }
    const P = f.proto.toUpperCase();
    const m = client.map(f.proto, port);
    if (!m.ok) {
      this.#note(h, `${h}: NAT-PMP ${P} mapping of ${port} on ${rid} answered result ${natpmpResultText(m.result)}`);
      return undefined;
    }
    this.#note(
      h,
      `${h} asks its gateway ${rid} over NAT-PMP: external address ${ip.address}; ${P} ${m.externalPort} → ${host.address}:${port} for ${m.lifetime} s`,
    );
    return { endpoint: { ip: parseIPv4(ip.address), port: m.externalPort }, how: `external address and mapping from NAT-PMP on ${rid}` };
  }

  /** PCP on the host's gateway, through the same dispatcher `natsim serve` runs on UDP 5351: one MAP. */
  #pcp(h: string, f: FlowSpec, port: number): Advertised | undefined {
    const rid = this.#routerOf(h);
    const services = rid ? this.config.routers[rid]?.services : undefined;
    if (!rid || !services) return undefined;
    const host = this.#host(h);
    const client = new InProcessPcpClient(this.net.router(rid), this.clock, host.address, services.pcp, services.natpmp || services.pcp);
    const P = f.proto.toUpperCase();
    const upstream = withUpstreamSteps(this.net, rid, () => client.map(f.proto, port, NATPMP_RECOMMENDED_LIFETIME));
    const m = upstream.value;
    if (!m.ok) {
      this.#note(
        h,
        m.kind === 'no-answer' && !services.natpmp && !services.pcp
          ? `${h} gets no PCP answer: ${rid} offers neither PCP nor NAT-PMP`
          : `${h}: PCP MAP of ${P} ${port} on ${rid}: ${pcpFailureText(m)}`,
      );
      return undefined;
    }
    if (this.#app.rejectsReservedUpnpAddress && isPrivateAddress(parseIPv4(m.externalAddress))) {
      this.#note(
        h,
        `${h}: its PCP server ${rid} maps on ${m.externalAddress}, a reserved address — another NAT sits upstream; it does not use the mapping`,
      );
      return undefined;
    }
    this.#note(h, `${h} asks its gateway ${rid} over PCP: MAP ${P} ${port} → ${m.externalAddress}:${m.externalPort} for ${m.lifetime} s`);
    this.steps.push(...upstream.steps);
    const via = upstream.mapped > 0 ? `, which ${rid} proxied to ${this.#upstreamOf(rid)}` : '';
    return {
      endpoint: { ip: parseIPv4(m.externalAddress), port: m.externalPort },
      how: `external address and mapping from PCP on ${rid}${via}`,
    };
  }

  #describeMedia(from: string, flowIndex: number, portOf: (h: string, i: number) => number, kind: 'sdp' | 'h245'): string {
    const flows = this.#feature.flows;
    const peer = from === this.#caller ? this.#callee : this.#caller;
    const media: Array<{ label: string; ep: Endpoint }> = [];
    for (let j = flowIndex + 1; j < flows.length; j++) {
      const f = flows[j]!;
      if (f.proto !== 'udp') continue;
      const adv = this.#advertised.get(`${from}|${f.proto}|${portOf(from, j)}`);
      media.push({ label: f.label, ep: adv?.endpoint ?? ep(this.#host(from).ip, portOf(from, j)) });
    }
    const self = this.#host(from);
    if (kind === 'h245') {
      return ['H.245 OpenLogicalChannel', ...media.map((m) => `mediaChannel=${formatEndpoint(m.ep)}`)].join('\r\n');
    }
    const ip = media[0] ? formatIPv4(media[0].ep.ip) : self.address;
    return [
      `INVITE sip:${peer}@natsim.invalid SIP/2.0`,
      `Via: SIP/2.0/UDP ${self.address}`,
      `Contact: <sip:${from}@${self.address}>`,
      'Content-Type: application/sdp',
      '',
      'v=0',
      `o=${from} 1 1 IN IP4 ${self.address}`,
      `c=IN IP4 ${ip}`,
      ...media.map((m) => `m=${/video/i.test(m.label) ? 'video' : 'audio'} ${m.ep.port} RTP/AVP 0`),
    ].join('\r\n');
  }

  #learnMedia(viewer: string, sender: string, flowIndex: number, payload: string, kind: 'sdp' | 'h245', view: Map<string, Endpoint>): void {
    const flows = this.#feature.flows;
    const eps: Endpoint[] = [];
    if (kind === 'h245') {
      for (const m of payload.matchAll(/mediaChannel=(\d+\.\d+\.\d+\.\d+):(\d+)/g)) eps.push(ep(m[1]!, Number(m[2])));
    } else {
      const c = /c=IN IP4 (\d+\.\d+\.\d+\.\d+)/.exec(payload);
      if (c) for (const m of payload.matchAll(/^m=\w+ (\d+)/gm)) eps.push(ep(c[1]!, Number(m[1])));
    }
    let k = 0;
    for (let j = flowIndex + 1; j < flows.length && k < eps.length; j++) {
      if (flows[j]!.proto !== 'udp') continue;
      const before = view.get(`${viewer}|${j}`);
      const now = eps[k++]!;
      if (!before || before.ip !== now.ip || before.port !== now.port) {
        this.#note(
          viewer,
          `${viewer} reads ${sender}'s ${flows[j]!.label} address from the ${kind === 'sdp' ? 'SDP' : 'H.245'} it received: ${formatEndpoint(now)}`,
        );
      }
      view.set(`${viewer}|${j}`, now);
    }
  }

  // ---- primitives --------------------------------------------------------------------------

  #tcpConnect(
    from: string,
    target: Endpoint,
    to: string,
    label: string,
    listen = target.port,
    payload?: string,
    reply?: string,
  ): FlowOutcome & { observed?: Endpoint; payloadArrived?: string; replyPayload?: string } {
    const host = this.#host(from);
    const src = ep(host.ip, this.#nextPort(from));
    const syn = this.#send(from, { proto: 'tcp', src, dst: target, flags: TCP.SYN }, `${label}: SYN`);
    const a = this.#arrived(syn, to, listen);
    if (!a.ok) return { ok: false, reason: `${label}: ${from} → ${formatEndpoint(target)}: ${a.reason}`, delivery: syn };
    const observed = syn.packet.src;
    const toHost = this.#host(to);
    const synAck = this.#send(
      to,
      { proto: 'tcp', src: ep(toHost.ip, listen), dst: observed, flags: TCP.SYN | TCP.ACK },
      `${label}: SYN-ACK`,
      true,
    );
    const b = this.#arrived(synAck, from, src.port);
    if (!b.ok) return { ok: false, reason: `${label}: SYN-ACK from ${to} to ${formatEndpoint(observed)}: ${b.reason}`, delivery: synAck };
    const ack = this.#send(
      from,
      { proto: 'tcp', src, dst: target, flags: TCP.ACK, ...(payload ? { payload } : {}) },
      payload ? `${label}: data` : `${label}: ACK`,
    );
    const c = this.#arrived(ack, to, listen);
    if (!c.ok) return { ok: false, reason: `${label}: ${from} → ${formatEndpoint(target)} (ACK): ${c.reason}`, delivery: ack };
    let replyPayload: string | undefined;
    if (reply !== undefined) {
      const r = this.#send(
        to,
        { proto: 'tcp', src: ep(toHost.ip, listen), dst: observed, flags: TCP.ACK, payload: reply },
        `${label}: reply data`,
        true,
      );
      if (r.delivered && r.to === from) replyPayload = r.packet.payload;
    }
    return {
      ok: true,
      reason: '',
      observed,
      ...(ack.packet.payload !== undefined ? { payloadArrived: ack.packet.payload } : {}),
      ...(replyPayload !== undefined ? { replyPayload } : {}),
    };
  }

  #send(from: string, p: Packet, label: string, reply = false): Delivery {
    const d = this.net.send(from, p);
    this.#deliveries.push(d);
    this.#flowLog?.push({ delivery: d, from, reply });
    const outcome = d.delivered ? `delivered to ${d.to}` : `dropped at ${d.drop!.node} (${d.drop!.code})`;
    this.steps.push({ actor: from, from, text: `${label}: ${formatEndpoint(p.src)} → ${formatEndpoint(p.dst)} — ${outcome}`, delivery: d });
    return d;
  }

  #arrived(d: Delivery, to: string, port: number): { ok: boolean; reason: string } {
    if (!d.delivered) return { ok: false, reason: d.drop!.message };
    if (d.to !== to) {
      const target = d.hops[0]?.before.dst ?? d.packet.dst;
      return { ok: false, reason: `${formatEndpoint(target)} leads to ${d.to} (${formatEndpoint(d.packet.dst)}), not to ${to}` };
    }
    if (d.packet.dst.port !== port)
      return { ok: false, reason: `arrived at ${to} on port ${d.packet.dst.port}, where nothing listens (expected ${port})` };
    return { ok: true, reason: '' };
  }

  #nextPort(h: string): number {
    const n = this.#ephemeral.get(h) ?? 0;
    this.#ephemeral.set(h, n + 1);
    return EPHEMERAL_BASE + 1000 + n;
  }

  #note(actor: string, text: string): void {
    this.steps.push({ actor, text });
  }

  #host(id: string): Host {
    return this.net.host(id);
  }

  /** The router a router's relay asks (its parent). */
  #upstreamOf(rid: string): string {
    return this.net.router(rid).parentId;
  }

  #routerOf(id: string): string | undefined {
    return this.config.hosts[id]?.router ?? this.config.servers[id]?.router;
  }

  /** A server behind a router is reached from outside its LAN at the router's (published) address. */
  #serverAddressFor(client: string, server: string): string {
    const s = this.config.servers[server]!;
    if (!s.router || this.#routerOf(client) === s.router) return s.address;
    return this.net.router(s.router).wanAddress;
  }

  #server(role: 'signalling' | 'reflector' | 'relay'): { id: string; address: string } | undefined {
    const e = Object.entries(this.config.servers).find(([, s]) => s.role === role);
    return e ? { id: e[0], address: e[1].address } : undefined;
  }

  #relay(): { ok: boolean; reason: string; deliveries: Delivery[] } {
    const relay = this.#server('relay') ?? this.#server('signalling');
    if (!relay) return { ok: false, reason: 'no relay server', deliveries: [] };
    const start = this.#deliveries.length;
    for (const h of [this.#caller, this.#callee]) {
      const r = this.#tcpConnect(h, ep(relay.address, 443), relay.id, `relay connection to ${relay.id}`);
      if (!r.ok) return { ok: false, reason: r.reason, deliveries: [] };
    }
    this.#note(relay.id, `${relay.id} relays the media between ${this.#caller} and ${this.#callee} (both connected out to it)`);
    return {
      ok: true,
      reason: `media relayed through ${relay.id} (${relay.address}), which both reached outbound`,
      deliveries: this.#deliveries.slice(start),
    };
  }

  // ---- RFC 5780-style behaviour discovery --------------------------------------------------

  #classify(): CheckResult {
    const h = this.#caller;
    const reflectors = Object.entries(this.config.servers).filter(([, s]) => s.role === 'reflector');
    const primary = reflectors.find(([id]) => id === this.check.to) ?? reflectors[0];
    const alternate = reflectors.find((r) => r !== primary);
    if (!primary || !alternate) {
      return this.#result('fails', 'classify needs two reflector servers (a primary and an alternate address)', []);
    }
    const [r1, s1] = primary;
    const [r2, s2] = alternate;
    const host = this.#host(h);
    const query = (port: number, rid: string, addr: string, rport: number, label: string): Endpoint | undefined => {
      const d = this.#send(h, { proto: 'udp', src: ep(host.ip, port), dst: ep(addr, rport) }, label);
      if (!d.delivered || d.to !== rid) return undefined;
      const back = this.#send(
        rid,
        { proto: 'udp', src: ep(addr, rport), dst: d.packet.src },
        `${rid} answers: mapped address ${formatEndpoint(d.packet.src)}`,
      );
      return back.delivered && back.to === h ? d.packet.src : undefined;
    };
    const p = 50000;
    const x1 = query(p, r1, s1.address, 3478, 'mapping test I (primary address, primary port)');
    if (!x1)
      return this.#result(
        'fails',
        `UDP to ${r1} is blocked: no answer to test I`,
        this.#deliveries.slice(-2),
        this.#deliveries.at(-1)?.drop?.node,
      );
    const x2 = query(p, r2, s2.address, 3478, 'mapping test II (alternate address, primary port)');
    const x3 = query(p, r2, s2.address, 3479, 'mapping test III (alternate address, alternate port)');
    if (!x2 || !x3) return this.#result('fails', 'no answer to mapping tests II/III', this.#deliveries.slice(-2));
    const same = (a: Endpoint, b: Endpoint): boolean => a.ip === b.ip && a.port === b.port;
    const mapping: Classification['mapping'] = same(x1, x2)
      ? 'endpoint-independent'
      : same(x2, x3)
        ? 'address-dependent'
        : 'address-and-port-dependent';
    this.#note(h, `mapping: test I ${formatEndpoint(x1)}, test II ${formatEndpoint(x2)}, test III ${formatEndpoint(x3)} ⇒ ${mapping}`);
    // Filtering tests on a fresh mapping.
    const q = 50100;
    const y = query(q, r1, s1.address, 3478, 'filtering test I (binding)');
    if (!y) return this.#result('fails', 'no answer to filtering test I', this.#deliveries.slice(-2));
    const t2 = this.#send(
      r2,
      { proto: 'udp', src: ep(s2.address, 3479), dst: y },
      'filtering test II: answer from the alternate address and port',
    );
    const t3 = this.#send(
      r1,
      { proto: 'udp', src: ep(s1.address, 3479), dst: y },
      'filtering test III: answer from the primary address, alternate port',
    );
    const filtering: Classification['filtering'] =
      t2.delivered && t2.to === h
        ? 'endpoint-independent'
        : t3.delivered && t3.to === h
          ? 'address-dependent'
          : 'address-and-port-dependent';
    this.#note(
      h,
      `filtering: test II ${t2.delivered ? 'answered' : 'no answer'}, test III ${t3.delivered ? 'answered' : 'no answer'} ⇒ ${filtering}`,
    );
    const classification: Classification = { mapping, filtering };
    const expected = this.check.classification;
    const reason = `classified as ${mapping} mapping, ${filtering} filtering${expected && (expected.mapping !== mapping || expected.filtering !== filtering) ? ` (expected ${expected.mapping} mapping, ${expected.filtering} filtering)` : ''}`;
    return this.#result('works', reason, this.#deliveries, undefined, classification);
  }
}

function hopView(h: Hop): HopView {
  return { node: h.node, action: h.action, code: h.code, message: h.message };
}
