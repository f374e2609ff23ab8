/**
 * Plays a scenario's `timeline:` in one network on the model's fake clock: waits (with the
 * keepalives that run meanwhile), reboots, WAN address changes, link state, port mappings through
 * the router's in-process IGD, and checks that see the state produced so far. Every verdict comes
 * from packets pushed through the model; every entry leaves a step saying what happened at t=….
 */

import { NATPMP_OPCODE, NATPMP_RECOMMENDED_LIFETIME, NATPMP_RESULT } from '../constants.js';
import { type Endpoint, ep, formatEndpoint, parseIPv4 } from '../nat/address.js';
import type { FakeClock } from '../nat/clock.js';
import type { ModelEvent } from '../nat/events.js';
import type { Delivery, Network } from '../nat/network.js';
import { type Packet, TCP } from '../nat/packet.js';
import { APPS } from './apps.js';
import { buildNetwork } from './build.js';
import { InProcessNatpmpClient, natpmpResultText } from './natpmp-client.js';
import { InProcessPcpClient, pcpFailureText } from './pcp-client.js';
import type { ScenarioConfig, TimelineCheckSpec, TimelineEntry } from './schema.js';
import { type CallSession, type CheckResult, type Outcome, playCheck, type Step } from './simulate.js';
import { MAX_KEEPALIVES_PER_WAIT, parseDuration, parsePcpFilter, TIMELINE_KINDS, type TimelineKind } from './timeline-schema.js';
import { faultText, InProcessUpnpClient, igdOf } from './upnp-client.js';
import { entryText, whyContext } from './why-worked.js';

/** What one timeline entry did (JSON contract). */
export interface TimelineStep {
  /** Index of the entry in `timeline:`. */
  readonly index: number;
  /** Model time (ms) when the entry was played. */
  readonly at: number;
  readonly kind: TimelineKind;
  /** What happened, in one or two sentences. */
  readonly text: string;
  /** For checks: the name of the check result (in the scenario result's `checks`). */
  readonly check?: string;
  readonly pass?: boolean;
}

/** `90 s`, `2 min 5 s`, `1 h`: model time as people read it. */
export function formatTime(ms: number): string {
  if (ms % 1000 !== 0) return `${ms / 1000} s`;
  const s = ms / 1000;
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`;
  const rest = s % 3600;
  return `${Math.floor(s / 3600)} h${rest ? ` ${formatTime(rest * 1000)}` : ''}`;
}

interface Keepalive {
  readonly host: string;
  readonly to: string;
  readonly every: number;
  readonly label: string;
  next: number;
}

const pairKey = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);

/** Plays the timeline of `config` (which must have one) in a fresh network. */
export function runTimeline(config: ScenarioConfig): { steps: TimelineStep[]; checks: CheckResult[] } {
  const { net, clock } = buildNetwork(config);
  return new TimelinePlay(config, net, clock).run();
}

class TimelinePlay {
  readonly steps: TimelineStep[] = [];
  readonly checks: CheckResult[] = [];
  readonly #sessions = new Map<string, CallSession>();
  readonly #keepalives = new Map<string, Keepalive>();
  /** `${host}|${proto}|${port}` → the external endpoint a `map` entry obtained. */
  readonly #published = new Map<string, { endpoint: Endpoint; via: string }>();
  /** What last happened to each router's state (for the teaching sentence of a failed probe). */
  readonly #history = new Map<string, string>();
  /** Old WAN addresses → what became of them. */
  readonly #oldAddresses = new Map<string, string>();
  #ephemeral = 0;

  constructor(
    readonly config: ScenarioConfig,
    readonly net: Network,
    readonly clock: FakeClock,
  ) {}

  run(): { steps: TimelineStep[]; checks: CheckResult[] } {
    for (const [i, e] of (this.config.timeline ?? []).entries()) this.#entry(e, i);
    return { steps: this.steps, checks: this.checks };
  }

  #entry(e: TimelineEntry, index: number): void {
    const kind = TIMELINE_KINDS.find((k) => e[k] !== undefined)!;
    const at = this.clock.now();
    const step = (text: string, extra: Partial<TimelineStep> = {}): void => {
      this.steps.push({ index, at, kind, text, ...extra });
    };
    if (e.wait !== undefined) step(this.#wait(parseDuration(e.wait)!));
    else if (e.reboot !== undefined) step(this.#reboot(e.reboot));
    else if (e['wan-address']) step(this.#wanAddress(e['wan-address']));
    else if (e.link) step(this.#link(e.link.router, e.link.state));
    else if (e.map) step(this.#map(e.map));
    else if (e.keepalive) step(this.#keepalive(e.keepalive));
    else if (e.check !== undefined) {
      const r = this.#check(e.check, index);
      this.checks.push(r);
      step(`check "${r.name}": ${r.result}${r.pass ? '' : ` (expected ${r.expect})`} — ${r.reason}`, { check: r.name, pass: r.pass });
    }
  }

  // ---- events ------------------------------------------------------------------------------

  /** Collects the model events `fn` causes. */
  #recording(fn: () => void): ModelEvent[] {
    const seen: ModelEvent[] = [];
    const off = this.net.events.onAny((ev) => seen.push(ev));
    try {
      fn();
    } finally {
      off();
    }
    return seen;
  }

  #wait(ms: number): string {
    const start = this.clock.now();
    const end = start + ms;
    let sent = 0;
    let delivered = 0;
    let rounds = 0;
    let firstDrop: string | undefined;
    // A keepalive with no call to ride on sends nothing: its rounds are skipped, not stepped through.
    const all = [...this.#keepalives.values()];
    const live = all.filter((k) => this.#sessions.has(pairKey(k.host, k.to)));
    for (const k of all) if (!live.includes(k) && k.next <= end) k.next += Math.ceil((end + 1 - k.next) / k.every) * k.every;
    const events = this.#recording(() => {
      for (;;) {
        const due = live.filter((k) => k.next <= end).sort((a, b) => a.next - b.next)[0];
        if (!due) break;
        this.clock.set(due.next);
        this.net.expire();
        for (const d of this.#sendKeepalive(due)) {
          sent++;
          if (d.delivered) delivered++;
          else firstDrop ??= `${d.drop!.node}: ${d.drop!.message}`;
        }
        due.next += due.every;
        // Unreachable for a file that validated (timeline-semantics.ts bounds the rounds per wait).
        if (++rounds > MAX_KEEPALIVES_PER_WAIT)
          throw new RangeError(`a wait of ${formatTime(ms)} would run more than ${MAX_KEEPALIVES_PER_WAIT} keepalive rounds`);
      }
      this.clock.set(end);
      this.net.expire();
    });
    const parts = [`${formatTime(ms)} pass (t=${formatTime(start)} → ${formatTime(end)})`];
    if (sent > 0)
      parts.push(
        `${sent} keepalive${sent === 1 ? '' : 's'} sent, ${delivered} delivered${firstDrop ? ` (first drop at ${firstDrop})` : ''}`,
      );
    const expired = events.filter((ev) => ev.type === 'session-expired' || ev.type === 'mapping-expired');
    parts.push(expired.length === 0 ? 'no NAT session or mapping ran out' : `ran out: ${summary(expired)}`);
    return parts.join('; ');
  }

  #sendKeepalive(k: Keepalive): Delivery[] {
    const s = this.#sessions.get(pairKey(k.host, k.to));
    if (!s) return [];
    const host = this.net.host(k.host);
    const out: Delivery[] = [];
    s.flows.forEach((f, i) => {
      const port = s.port(k.host, i);
      const dst = s.target(k.host, i);
      if (f.proto !== 'udp' || port === undefined || dst === undefined) return;
      out.push(this.net.send(k.host, { proto: 'udp', src: ep(host.ip, port), dst, payload: k.label }));
    });
    return out;
  }

  #reboot(rid: string): string {
    const router = this.net.router(rid);
    const statics = router.forwards.list().filter((f) => f.origin === 'static').length;
    const events = this.#recording(() => router.reboot(this.clock.now()));
    const ev = events.find((x) => x.type === 'router-rebooted');
    this.#history.set(
      rid,
      `${rid} rebooted at t=${formatTime(this.clock.now())} and lost its NAT sessions and UPnP/NAT-PMP mappings; they must be made again`,
    );
    const lost = ev && ev.type === 'router-rebooted' ? ev : { sessionsLost: 0, mappingsLost: 0 };
    return `${rid} reboots: ${plural(lost.sessionsLost, 'NAT session')} and ${plural(lost.mappingsLost, 'dynamic port mapping')} (UPnP/NAT-PMP) lost; ${plural(statics, 'static forward')} kept`;
  }

  #wanAddress(w: NonNullable<TimelineEntry['wan-address']>): string {
    const router = this.net.router(w.router);
    const old = router.wanAddress;
    const policy = router.mappings.config.policy.onWanAddressChange ?? 'keep';
    const mode = w.mappings ?? policy;
    const events = this.#recording(() => router.setWanAddress(w.address, this.clock.now(), mode));
    this.#oldAddresses.set(
      old,
      `${old} was ${w.router}'s address until t=${formatTime(this.clock.now())}, when it changed to ${router.wanAddress}: whoever uses the old one must learn the new one`,
    );
    this.#oldAddresses.delete(router.wanAddress);
    if (mode === 'drop')
      this.#history.set(w.router, `${w.router} dropped its port mappings when its address changed at t=${formatTime(this.clock.now())}`);
    const ended = events.filter((x) => x.type === 'session-expired').length;
    const removed = events.filter((x) => x.type === 'mapping-removed').length;
    const kept = router.forwards.list().length;
    return (
      `${w.router}'s WAN address changes ${old} → ${router.wanAddress}: ${plural(ended, 'NAT session')} on the old address ended; ` +
      (mode === 'drop' ? `${plural(removed, 'dynamic port mapping')} dropped` : `port mappings kept on the new address (${kept})`) +
      ` (${w.mappings ? 'as the timeline says' : `the router's policy: ${policy}`})`
    );
  }

  /** Why a packet found no state: the router rebooted, or the address it went to is an old one. */
  #insight(d: Delivery): string {
    const drop = d.drop;
    if (!drop) return '';
    if (drop.code === 'no-mapping' && this.#history.has(drop.node)) return ` — ${this.#history.get(drop.node)}`;
    const old = this.#oldAddresses.get(formatEndpoint(d.packet.dst).split(':')[0]!);
    return drop.node === 'internet' && old ? ` — ${old}` : '';
  }

  #link(rid: string, state: 'up' | 'down'): string {
    const router = this.net.router(rid);
    const was = router.wanUp;
    router.setWanUp(state === 'up', this.clock.now());
    return `${rid}'s WAN link ${was === (state === 'up') ? `stays ${state}` : `goes ${state}`}${state === 'down' ? ': every packet across it is dropped' : ''}`;
  }

  #map(m: NonNullable<TimelineEntry['map']>): string {
    const spec = this.config.hosts[m.host]!;
    const rid = spec.router!;
    const P = m.protocol.toUpperCase() as 'TCP' | 'UDP';
    const ext = m.externalPort ?? m.port;
    if (m.via === 'natpmp') return this.#mapNatpmp(m, spec.address, rid, ext);
    if (m.via === 'pcp') return this.#mapPcp(m, spec.address, rid, ext);
    if (!this.config.routers[rid]?.services.upnp)
      return `${m.host} asks ${rid} for a UPnP mapping of ${P} ${ext}, but ${rid} serves no UPnP: nothing is mapped`;
    const upnp = new InProcessUpnpClient(igdOf(this.net, this.config, rid), spec.address);
    const ip = upnp.externalAddress();
    const lease = m.lease ? Math.ceil(parseDuration(m.lease)! / 1000) : 0;
    const r = upnp.addPortMapping({
      protocol: P,
      externalPort: ext,
      internalPort: m.port,
      internalClient: spec.address,
      description: `natsim timeline: ${m.host} ${P} ${m.port}`,
      leaseDuration: lease,
    });
    if (!r.ok)
      return `${m.host} asks ${rid} over UPnP: AddPortMapping ${P} ${ext} → ${spec.address}:${m.port} is refused (${faultText(r)})`;
    const address = ip.ok ? ip.address : '';
    if (address !== '')
      this.#published.set(`${m.host}|${m.protocol}|${m.port}`, { endpoint: { ip: parseIPv4(address), port: ext }, via: 'UPnP' });
    return `${m.host} asks ${rid} over UPnP: GetExternalIPAddress = ${address || (ip.ok ? '(none)' : faultText(ip))}; AddPortMapping ${P} ${ext} → ${spec.address}:${m.port}${lease ? ` for ${formatTime(lease * 1000)}` : ''} succeeds; ${m.host} publishes ${address ? `${address}:${ext}` : 'nothing (no external address)'}`;
  }

  /** The same request through the router's NAT-PMP server (real RFC 6886 datagrams, in process). */
  #mapNatpmp(m: NonNullable<TimelineEntry['map']>, address: string, rid: string, ext: number): string {
    const P = m.protocol.toUpperCase();
    if (!this.config.routers[rid]?.services.natpmp)
      return `${m.host} asks ${rid} for a NAT-PMP mapping of ${P} ${ext}, but ${rid} does not offer NAT-PMP: nothing is mapped`;
    const client = new InProcessNatpmpClient(this.net.router(rid), this.clock, address);
    const ip = client.externalAddress();
    const lifetime = m.lease ? Math.ceil(parseDuration(m.lease)! / 1000) : NATPMP_RECOMMENDED_LIFETIME;
    const r = client.send({
      opcode: m.protocol === 'udp' ? NATPMP_OPCODE.MapUdp : NATPMP_OPCODE.MapTcp,
      internalPort: m.port,
      externalPort: ext,
      lifetime,
    });
    const head = `${m.host} asks ${rid} over NAT-PMP: external address ${ip.ok ? ip.address : `refused (result ${natpmpResultText(ip.result)})`}; `;
    if (!r) return `${head}the mapping request of ${P} ${m.port} got no answer`;
    if (r.result !== NATPMP_RESULT.Success)
      return `${head}${P} ${m.port} → ${address}:${m.port} refused (result ${natpmpResultText(r.result)})`;
    const got = r.externalPort ?? ext;
    if (ip.ok && ip.address !== '')
      this.#published.set(`${m.host}|${m.protocol}|${m.port}`, { endpoint: { ip: parseIPv4(ip.address), port: got }, via: 'NAT-PMP' });
    return `${head}${P} ${got} → ${address}:${m.port} for ${formatTime((r.lifetime ?? lifetime) * 1000)}; ${m.host} publishes ${ip.ok ? `${ip.address}:${got}` : 'nothing (no external address)'}`;
  }

  /** The same request as a PCP MAP through the router's port-control dispatcher (real RFC 6887 datagrams, in process). */
  #mapPcp(m: NonNullable<TimelineEntry['map']>, address: string, rid: string, ext: number): string {
    const P = m.protocol.toUpperCase();
    const services = this.config.routers[rid]!.services;
    const client = new InProcessPcpClient(this.net.router(rid), this.clock, address, services.pcp, services.natpmp || services.pcp);
    const lifetime = m.lease ? Math.ceil(parseDuration(m.lease)! / 1000) : NATPMP_RECOMMENDED_LIFETIME;
    const filters = (m.filter ?? []).map((f) => parsePcpFilter(f)!);
    const r = client.map(m.protocol, m.port, lifetime, ext, filters);
    const head = `${m.host} asks ${rid} over PCP: MAP ${P} ${m.port} (suggesting ${ext}${m.filter ? `, FILTER ${m.filter.join(', ')}` : ''})`;
    if (!r.ok) return `${head} — ${pcpFailureText(r)}: nothing is mapped`;
    if (r.externalAddress !== '')
      this.#published.set(`${m.host}|${m.protocol}|${m.port}`, {
        endpoint: { ip: parseIPv4(r.externalAddress), port: r.externalPort },
        via: 'PCP',
      });
    return `${head} → ${r.externalAddress}:${r.externalPort} for ${formatTime(r.lifetime * 1000)}; ${m.host} publishes ${r.externalAddress ? `${r.externalAddress}:${r.externalPort}` : 'nothing (no external address)'}`;
  }

  #keepalive(k: NonNullable<TimelineEntry['keepalive']>): string {
    const app = this.config.hosts[k.host]?.app;
    const own = app ? APPS[app]?.keepalive : undefined;
    const every = k.every !== undefined ? parseDuration(k.every)! : own!.every * 1000;
    this.#startKeepalive(k.host, k.to, every, own?.label ?? 'keepalive');
    const s = this.#sessions.get(pairKey(k.host, k.to));
    return `${k.host} sends a keepalive to ${k.to} every ${formatTime(every)} while time passes${s ? ` (from its media ports, on ${plural(s.flows.filter((f) => f.proto === 'udp').length, 'UDP flow')} of the call)` : `, once a call between them is set up (none yet)`}`;
  }

  #startKeepalive(host: string, to: string, every: number, label: string): void {
    this.#keepalives.set(`${host}>${to}`, { host, to, every, label, next: this.clock.now() + every });
  }

  // ---- checks ------------------------------------------------------------------------------

  #check(c: string | TimelineCheckSpec, index: number): CheckResult {
    const at = this.clock.now();
    const seed = 1000 + index;
    if (typeof c === 'string') {
      const j = this.config.checks.findIndex((k, i) => (k.name ?? `check ${i + 1}`) === c);
      return this.#play(this.config.checks[j]!, `${c} @ t=${formatTime(at)}`, seed);
    }
    const name = `${c.name ?? `timeline ${index + 1}`} @ t=${formatTime(at)}`;
    if (c.port !== undefined && c.protocol !== undefined) return this.#reach(c, c.protocol, c.port, name);
    if (c.resume) return this.#resume(c, name);
    const { resume: _r, protocol: _p, port: _q, address: _a, ...check } = c;
    return this.#play(check, name, seed);
  }

  #play(check: Parameters<typeof playCheck>[3], name: string, seed: number): CheckResult {
    const { result, session } = playCheck(this.config, this.net, this.clock, check, name, seed);
    if (session && result.result === 'works') {
      this.#sessions.set(pairKey(session.caller, session.callee), session);
      const k = session.app.keepalive;
      if (k)
        for (const [h, p] of [
          [session.caller, session.callee],
          [session.callee, session.caller],
        ] as const) {
          if (!this.#keepalives.has(`${h}>${p}`)) this.#startKeepalive(h, p, k.every * 1000, k.label);
        }
    }
    return result;
  }

  /** `from` connects to the address `to` published for `protocol`/`port` (a UPnP mapping, else its router's WAN address). */
  #reach(c: TimelineCheckSpec, protocol: 'udp' | 'tcp', port: number, name: string): CheckResult {
    const steps: Step[] = [];
    const deliveries: Delivery[] = [];
    const send = (from: string, p: Packet, label: string): Delivery => {
      const d = this.net.send(from, p);
      deliveries.push(d);
      steps.push({
        actor: from,
        from,
        text: `${label}: ${formatEndpoint(p.src)} → ${formatEndpoint(p.dst)} — ${d.delivered ? `delivered to ${d.to}` : `dropped at ${d.drop!.node} (${d.drop!.code})`}`,
        delivery: d,
      });
      return d;
    };
    const published = this.#published.get(`${c.to}|${protocol}|${port}`);
    const rid = this.config.hosts[c.to]?.router ?? this.config.servers[c.to]?.router;
    const target =
      c.address !== undefined
        ? ep(c.address, port)
        : (published?.endpoint ?? (rid ? ep(this.net.router(rid).wanAddress, port) : ep(this.net.host(c.to).address, port)));
    const how =
      c.address !== undefined
        ? 'the address the check names'
        : published
          ? `the address ${c.to} published from its ${published.via} mapping`
          : rid
            ? `${rid}'s current WAN address`
            : `${c.to}'s own address`;
    steps.push({ actor: c.from, text: `${c.from} connects to ${c.to} at ${formatEndpoint(target)} (${how})` });
    const src = ep(this.net.host(c.from).ip, 61000 + (this.#ephemeral++ % 4000));
    const P = protocol.toUpperCase();
    const first = send(
      c.from,
      { proto: protocol, src, dst: target, ...(protocol === 'tcp' ? { flags: TCP.SYN } : {}) },
      `${P} ${protocol === 'tcp' ? 'SYN' : 'datagram'}`,
    );
    let fail = arrivedAt(first, c.to, port);
    let decisive = first;
    if (fail === undefined) {
      const back = send(
        c.to,
        {
          proto: protocol,
          src: ep(this.net.host(c.to).ip, port),
          dst: first.packet.src,
          ...(protocol === 'tcp' ? { flags: TCP.SYN | TCP.ACK } : {}),
        },
        `${P} ${protocol === 'tcp' ? 'SYN-ACK' : 'reply'}`,
      );
      fail = arrivedAt(back, c.from, src.port);
      decisive = back;
    }
    const result: Outcome = fail === undefined ? 'works' : 'fails';
    const entered = fail === undefined ? entryText(first, false, whyContext(this.config, this.net)) : '';
    const reason =
      fail === undefined
        ? `${c.from} reached ${c.to} on ${P} ${port} at ${formatEndpoint(target)} (${how}) and the answer came back${entered ? `: the ${protocol === 'tcp' ? 'SYN' : 'datagram'} ${entered}` : ''}`
        : `${c.from} → ${formatEndpoint(target)} (${how}): ${fail}${this.#insight(decisive)}`;
    return checkResult(
      c,
      name,
      `reach ${protocol}/${port}`,
      result,
      reason,
      fail === undefined ? deliveries : [decisive],
      steps,
      fail === undefined ? undefined : decisive.drop?.node,
    );
  }

  /** The media of a call set up earlier, sent by `from` to the address it learnt for `to` then: no new signalling. */
  #resume(c: TimelineCheckSpec, name: string): CheckResult {
    const s = this.#sessions.get(pairKey(c.from, c.to));
    if (!s)
      return checkResult(c, name, 'resume', 'fails', `no call between ${c.from} and ${c.to} was set up earlier in the timeline`, [], []);
    const steps: Step[] = [];
    const deliveries: Delivery[] = [];
    let fail: { reason: string; d: Delivery } | undefined;
    s.flows.forEach((f, i) => {
      const port = s.port(c.from, i);
      const dst = s.target(c.from, i);
      const listen = s.port(c.to, i);
      if (f.proto !== 'udp' || fail || port === undefined || dst === undefined || listen === undefined) return;
      const p: Packet = { proto: 'udp', src: ep(this.net.host(c.from).ip, port), dst };
      const d = this.net.send(c.from, p);
      deliveries.push(d);
      steps.push({
        actor: c.from,
        from: c.from,
        text: `${f.label} resumes: ${formatEndpoint(p.src)} → ${formatEndpoint(dst)} — ${d.delivered ? `delivered to ${d.to}` : `dropped at ${d.drop!.node} (${d.drop!.code})`}`,
        delivery: d,
      });
      const why = arrivedAt(d, c.to, listen);
      if (why !== undefined)
        fail = { reason: `${f.label} from ${c.from} to ${formatEndpoint(dst)}, the address learnt when the call was set up: ${why}`, d };
    });
    if (fail)
      return checkResult(
        c,
        name,
        'resume',
        'fails',
        fail.reason + (this.#insight(fail.d) || idleInsight(fail.d)),
        [fail.d],
        steps,
        fail.d.drop?.node,
      );
    return checkResult(
      c,
      name,
      'resume',
      'works',
      `${c.from}'s media reached ${c.to} at the addresses learnt when the call was set up: the NAT state on the way is still there${resumeWhy(c, deliveries, this.#keepalives)}`,
      deliveries,
      steps,
    );
  }
}

/** What kept the way in for resumed media: each packet's entry, and the receiver's keepalives towards the sender. */
function resumeWhy(c: TimelineCheckSpec, deliveries: readonly Delivery[], keepalives: ReadonlyMap<string, Keepalive>): string {
  return resumeWhyText(
    deliveries.filter((d) => d.delivered).map((d) => entryText(d)),
    keepalives.get(`${c.to}>${c.from}`),
  );
}

function arrivedAt(d: Delivery, to: string, port: number): string | undefined {
  if (!d.delivered) return d.drop!.message;
  if (d.to !== to) return `it leads to ${d.to}, not to ${to}`;
  if (d.packet.dst.port !== port) return `it arrived at ${to} on port ${d.packet.dst.port}, where nothing listens (expected ${port})`;
  return undefined;
}

/** `(it entered home by the mapping alice's own packets had made, kept open by alice's keepalives every 25 s)`, or empty. */
function resumeWhyText(entries: readonly string[], keepalive: Keepalive | undefined): string {
  const kept = keepalive ? `kept open by ${keepalive.host}'s keepalives every ${formatTime(keepalive.every)}` : '';
  const parts = [...new Set(entries.filter((e) => e !== ''))];
  if (parts.length === 0 && !kept) return '';
  return ` (it ${[parts.join('; '), kept].filter(Boolean).join(', ')})`;
}

/** The teaching sentence for an idle call whose NAT state is gone. */
function idleInsight(d: Delivery): string {
  if (d.drop?.code !== 'no-mapping') return '';
  return " — the NAT session for this flow ran out (or was lost) while the call was idle; keepalives more often than the router's UDP timer would have kept it";
}

function checkResult(
  c: TimelineCheckSpec,
  name: string,
  feature: string,
  result: Outcome,
  reason: string,
  decisive: readonly Delivery[],
  steps: readonly Step[],
  failedAt?: string,
): CheckResult {
  return {
    name,
    from: c.from,
    to: c.to,
    feature,
    expect: c.expect,
    result,
    pass: result === c.expect,
    reason,
    hops: decisive.flatMap((d) => d.hops.map((h) => ({ node: h.node, action: h.action, code: h.code, message: h.message }))),
    steps,
    ...(failedAt ? { failedAt } : {}),
  };
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** `home: 3 NAT sessions, 1 port mapping`. */
function summary(events: readonly ModelEvent[]): string {
  const by = new Map<string, { sessions: number; mappings: number }>();
  for (const e of events) {
    const v = by.get(e.router) ?? { sessions: 0, mappings: 0 };
    if (e.type === 'session-expired') v.sessions++;
    else v.mappings++;
    by.set(e.router, v);
  }
  return [...by]
    .map(
      ([r, v]) =>
        `${r}: ${[v.sessions ? plural(v.sessions, 'NAT session') : '', v.mappings ? plural(v.mappings, 'port mapping') : ''].filter(Boolean).join(', ')}`,
    )
    .join('; ');
}
