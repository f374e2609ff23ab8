/**
 * A router of the model: a LAN prefix, WAN address(es) on its parent's network, an optional NAT
 * (NAPT, 1:1 or none), an optional stateful firewall, a port-forward table and ALGs.
 */
import {
  type Endpoint,
  formatEndpoint,
  formatIPv4,
  formatPrefix,
  type IPv4,
  inPrefix,
  nthAddress,
  type Prefix,
  parseIPv4,
  parsePrefix,
} from './address.js';
import { ALGS, type Alg, type AlgContext } from './alg.js';
import type { Rng } from './clock.js';
import { ModelEvents } from './events.js';
import { type Exclusion, excludedBy, parseExclusions } from './excluded-destinations.js';
import { describeRule, Firewall, type FirewallConfig } from './firewall.js';
import { type ForwardEntry, type ForwardSpec, ForwardTable } from './forward-table.js';
import { MappingService, type MappingSettings } from './mapping-service.js';
import { type Mapping, type MappingInfo, NatTable } from './nat-table.js';
import { type Packet, packetSize } from './packet.js';
import { defaultPermissionRules } from './permissions.js';
import { type NatPolicy, natPolicy } from './policy.js';
import { checkPortBlockPolicy } from './port-blocks.js';
import type { Admission, ReasonCode } from './trace.js';
import type { UpstreamSettings } from './upstream-pcp.js';

/** How a router is described (config types are plain data; see {@link Router} for runtime). */
export interface RouterConfig {
  readonly id: string;
  /** Parent router id, or 'internet' (default). */
  readonly parent?: string;
  /** WAN address on the parent's network; more addresses form the NAT's external pool. */
  readonly wan: string | readonly string[];
  /** LAN prefix, e.g. 192.168.1.0/24. */
  readonly lan: string;
  /** The router's own LAN address (default: the first host address of the prefix). */
  readonly lanAddress?: string;
  /** NAT behaviour; `null` for a plain router. Default: the port-restricted-cone preset. */
  readonly nat?: NatPolicy | null;
  readonly firewall?: FirewallConfig;
  /** Static port forwards (origin 'static'). */
  readonly forwards?: ReadonlyArray<Omit<ForwardSpec, 'origin'> & { origin?: ForwardSpec['origin'] }>;
  /** ALG names (see ALGS), e.g. ['sip']. */
  readonly algs?: readonly string[];
  /** Ports the router itself listens on, never forwardable (e.g. its UPnP HTTP port). */
  readonly reservedPorts?: ReadonlyArray<{ protocol: 'udp' | 'tcp'; port: number }>;
  /** WAN link state (default up). */
  readonly wanUp?: boolean;
  /** Largest forward table (default 4096). */
  readonly maxForwards?: number;
  /**
   * Port-mapping settings: secure mode, permission rules (default: miniupnpd's shipped rules,
   * ports 1024–65535 for the LAN), reserved-WAN rule, router policy.
   */
  readonly mapping?: MappingSettings;
  /**
   * Make the mappings the LAN asks for at the parent router too, over PCP: `iwf` relays UPnP
   * mappings (RFC 6970), `proxy` PCP ones (RFC 7648). Needs a parent router and a network with a
   * PCP wire ({@link NetworkOptions.pcpWire}).
   */
  readonly upstream?: UpstreamSettings;
}

/** WAN-side traffic counters (WANCommonInterfaceConfig). */
export interface WanCounters {
  bytesSent: number;
  bytesReceived: number;
  packetsSent: number;
  packetsReceived: number;
}

/**
 * An ICMP error translated at one router (RFC 5508): the error's new outer address (the side it
 * is heading to) and the embedded header as the other side sent it.
 */
export type IcmpErrorStep =
  | { readonly ok: true; readonly outer: IPv4; readonly embedded: Packet; readonly code: ReasonCode }
  | { readonly ok: false; readonly code: ReasonCode; readonly message: string };

/** The outcome of one router step. */
export type StepResult =
  | { readonly ok: true; readonly packet: Packet; readonly code: ReasonCode; readonly note?: string; readonly admission?: Admission }
  | { readonly ok: false; readonly code: ReasonCode; readonly message: string };

export class Router {
  readonly id: string;
  readonly parentId: string;
  readonly lanPrefix: Prefix;
  readonly lanAddress: IPv4;
  readonly policy: NatPolicy | null;
  readonly forwards: ForwardTable;
  readonly firewall: Firewall | null;
  readonly algs: readonly Alg[];
  readonly counters: WanCounters = { bytesSent: 0, bytesReceived: 0, packetsSent: 0, packetsReceived: 0 };
  #startedAt: number;
  /** Dynamic translations (NAPT only). */
  readonly nat: NatTable | null;
  /** The event stream the router publishes on (its network's, or its own). */
  readonly events: ModelEvents;
  /** The only writer of dynamic port mappings (UPnP, NAT-PMP, PCP). */
  readonly mappings: MappingService;
  #external: IPv4[];
  /** wanAddress's text, kept for the address it was formatted from (read on every UPnP request). */
  #wanText = '';
  #wanTextOf = -1;
  #wanUp: boolean;
  readonly #oneToOneOut = new Map<IPv4, IPv4>();
  readonly #oneToOneIn = new Map<IPv4, IPv4>();
  /** Destinations the NAT does not translate for (RFC 6888 REQ-6), parsed from the policy. */
  readonly excluded: readonly Exclusion[];

  constructor(config: RouterConfig, rng: Rng, now: number, events: ModelEvents = new ModelEvents()) {
    this.id = config.id;
    this.events = events;
    this.parentId = config.parent ?? 'internet';
    this.lanPrefix = parsePrefix(config.lan);
    this.lanAddress = config.lanAddress ? parseIPv4(config.lanAddress) : nthAddress(this.lanPrefix, 1);
    const wan = typeof config.wan === 'string' ? [config.wan] : [...config.wan];
    if (wan.length === 0) throw new Error(`router ${config.id}: needs a WAN address`);
    this.#external = wan.map(parseIPv4);
    this.policy = config.nat === undefined ? natPolicy() : config.nat;
    try {
      this.excluded = this.policy && this.policy.mode !== 'none' ? parseExclusions(this.policy.excludedDestinations ?? []) : [];
      if (this.policy?.portBlocks) checkPortBlockPolicy(this.policy.portBlocks);
    } catch (e) {
      throw new Error(`router ${config.id}: ${(e as Error).message}`);
    }
    this.#wanUp = config.wanUp ?? true;
    this.#startedAt = now;
    this.forwards = new ForwardTable({
      ...(config.reservedPorts ? { reservedPorts: config.reservedPorts } : {}),
      ...(config.maxForwards ? { maxEntries: config.maxForwards } : {}),
      events,
      routerId: config.id,
    });
    // miniupnpd's shipped permission rules unless the config gives its own.
    this.mappings = new MappingService(this, rng, { permissions: defaultPermissionRules(config.lan), ...config.mapping });
    this.mappings.resetEpoch(now);
    this.firewall = config.firewall ? new Firewall(config.firewall) : null;
    this.algs = (config.algs ?? []).map((name) => {
      const alg = ALGS[name];
      if (!alg) throw new Error(`router ${config.id}: unknown ALG "${name}" (known: ${Object.keys(ALGS).join(', ')})`);
      return alg;
    });
    if (this.policy?.mode === 'napt') {
      this.nat = new NatTable(this.policy, this.#external, rng, {
        isHeld: (protocol, port) =>
          protocol !== 'icmp' && (this.forwards.isReserved(protocol, port) || this.forwards.entriesOnPort(protocol, port).length > 0),
      });
      const nat = this.nat;
      nat.onRemove = (m, reason, now) => {
        if (!events.has('session-expired')) return;
        events.emit({
          type: 'session-expired',
          router: this.id,
          at: reason === 'expired' ? Math.min(now, m.expiresAt) : now,
          session: NatTable.info(m),
          reason,
        });
      };
      this.forwards.attachDynamicProbe({
        dynamicHolder: (protocol, port, t) => {
          const m = nat.dynamicHolder(protocol, port, t);
          return m ? formatEndpoint(m.internal) : undefined;
        },
      });
    } else {
      this.nat = null;
    }
    if (this.policy?.mode === 'one-to-one') {
      for (const pair of this.policy.oneToOne) {
        const i = parseIPv4(pair.internal);
        const e = parseIPv4(pair.external);
        this.#oneToOneOut.set(i, e);
        this.#oneToOneIn.set(e, i);
        if (!this.#external.includes(e)) this.#external.push(e);
      }
    }
    for (const f of config.forwards ?? []) {
      const r = this.forwards.add({ ...f, origin: f.origin ?? 'static' }, now);
      if (!r.ok) throw new Error(`router ${config.id}: forward ${f.protocol} ${f.externalPort}: ${r.conflict.message}`);
    }
  }

  /** The WAN address as text (what GetExternalIPAddress reports). */
  get wanAddress(): string {
    const ip = this.#external[0]!;
    if (ip !== this.#wanTextOf) {
      this.#wanTextOf = ip;
      this.#wanText = formatIPv4(ip);
    }
    return this.#wanText;
  }

  /** The router's LAN address as text. */
  get lanAddressText(): string {
    return formatIPv4(this.lanAddress);
  }

  /** Every address the router answers on its WAN side (primary first). */
  get externalAddresses(): readonly IPv4[] {
    return this.#external;
  }

  get natEnabled(): boolean {
    return this.policy !== null && this.policy.mode !== 'none';
  }

  get wanUp(): boolean {
    return this.#wanUp;
  }

  /** Takes the WAN link up or down (a disconnected WAN drops all WAN traffic). */
  setWanUp(up: boolean, now = 0): void {
    if (up === this.#wanUp) return;
    this.#wanUp = up;
    this.events.emit({ type: 'wan-status-changed', router: this.id, at: now, up });
  }

  /**
   * Changes the primary WAN address (e.g. the ISP renumbers the line). NAT sessions on the old
   * address end (`session-expired`, reason `cleared`). Dynamic port mappings are kept (they follow
   * the new address) or dropped (`mapping-removed`) as `mappings` says, by default as the router's
   * mapping policy says (`onWanAddressChange`, default keep); static forwards always stay. The
   * network re-indexes the router.
   */
  setWanAddress(address: string, now = 0, mappings: 'keep' | 'drop' = this.mappings.config.policy.onWanAddressChange ?? 'keep'): void {
    const ip = parseIPv4(address);
    const old = this.#external[0]!;
    if (ip === old) return;
    this.#external[0] = ip;
    this.nat?.clear(now);
    if (this.mappings.config.policy.epochOnAddressChange !== 'keep') this.mappings.resetEpoch(now);
    if (mappings === 'drop') this.#dropDynamicForwards(now);
    this.events.emit({ type: 'wan-address-changed', router: this.id, at: now, old: formatIPv4(old), address: this.wanAddress });
  }

  /**
   * Restarts the router: NAT sessions, firewall connection state and every dynamic port mapping
   * (UPnP, NAT-PMP, PCP, ALG, pinholes) are lost, static forwards are kept, and the uptime and the
   * NAT-PMP/PCP epoch start again. Emits `router-rebooted` after the removals.
   */
  reboot(now: number): void {
    const sessionsLost = this.nat?.size ?? 0;
    this.mappings.relay?.reset();
    this.nat?.clear(now);
    this.firewall?.reset();
    const mappingsLost = this.#dropDynamicForwards(now);
    this.mappings.resetEpoch(now);
    this.#startedAt = now;
    this.events.emit({ type: 'router-rebooted', router: this.id, at: now, mappingsLost, sessionsLost });
  }

  /** When the router last started (model ms): construction or its last reboot. */
  get startedAt(): number {
    return this.#startedAt;
  }

  #dropDynamicForwards(now: number): number {
    let n = 0;
    for (const e of [...this.forwards.list()]) {
      if (e.origin !== 'static' && this.forwards.delete(e, now)) n++;
    }
    return n;
  }

  /** Is `ip` one of the router's WAN-side addresses? */
  isExternal(ip: IPv4): boolean {
    const ext = this.#external;
    return ext[0] === ip || (ext.length > 1 && ext.includes(ip));
  }

  /**
   * Expires forward leases and dynamic mappings whose time has come; a router relaying its
   * mappings upstream renews the ones due first.
   */
  expire(now: number): void {
    this.mappings.relay?.renew(now);
    this.forwards.expire(now);
    this.nat?.expire(now);
  }

  /** Live dynamic mappings. */
  listMappings(now: number): MappingInfo[] {
    if (!this.nat) return [];
    return [...this.nat.mappings(now)].map((m) => NatTable.info(m, now));
  }

  /**
   * A packet leaving the LAN towards the parent network: firewall, source translation, ALGs.
   */
  outbound(p: Packet, now: number, explain: boolean): StepResult {
    if (!this.#wanUp) return this.#drop('wan-down', explain, () => `the WAN link of ${this.id} is down`);
    if (this.firewall) {
      const d = this.firewall.check('out', p, now);
      if (!d.allowed) return this.#fwDrop(d.by, d.rule, 'outbound', p, explain);
    }
    let out: Packet;
    let code: ReasonCode;
    let note: string | undefined;
    const policy = this.policy;
    if (policy === null || policy.mode === 'none') {
      out = p;
      code = 'routed';
    } else if (this.excluded.length > 0 && excludedBy(this.excluded, p.dst)) {
      out = p;
      code = 'not-translated';
      if (explain) note = `${excludedBy(this.excluded, p.dst)!.text} is excluded from translation`;
    } else if (policy.mode === 'one-to-one') {
      const ext = this.#oneToOneOut.get(p.src.ip);
      if (ext === undefined) {
        return this.#drop('no-one-to-one', explain, () => `${formatIPv4(p.src.ip)} has no 1:1 NAT address at ${this.id}`);
      }
      out = { ...p, src: { ip: ext, port: p.src.port } };
      code = 'one-to-one';
    } else {
      const nat = this.nat!;
      nat.expire(now);
      this.forwards.expire(now);
      const proto = p.proto;
      const fwd = proto === 'icmp' ? undefined : this.forwards.matchOutbound(proto, p.src.ip, p.src.port, p.dst.ip, now);
      if (fwd) {
        fwd.packets++;
        out = { ...p, src: { ip: this.#external[0]!, port: fwd.externalPort } };
        code = 'port-forward';
        if (explain) note = `leaves on ${fwd.origin} forward port ${fwd.externalPort}`;
      } else {
        const r = nat.outbound(proto, p.src, p.dst, p.flags ?? 0, now);
        if ('code' in r) {
          if (r.code === 'port-quota') {
            return this.#drop(
              'port-quota',
              explain,
              () => `${formatIPv4(p.src.ip)} has used its quota of ${r.quota} mappings at ${this.id}`,
            );
          }
          if (r.code === 'port-blocks-full') {
            return this.#drop(
              'port-blocks-full',
              explain,
              () =>
                `${formatIPv4(p.src.ip)} has used every port of its ${r.blocks} port block${r.blocks === 1 ? '' : 's'} of ${r.size} at ${this.id}`,
            );
          }
          return this.#drop('ports-exhausted', explain, () => `no free external ${proto.toUpperCase()} port at ${this.id}`);
        }
        const m = r.mapping;
        out = { ...p, src: { ip: m.extIp, port: m.extPort } };
        code = r.created ? 'new-mapping' : 'mapped';
        if (r.created && this.events.has('session-created')) {
          this.events.emit({ type: 'session-created', router: this.id, at: now, session: NatTable.info(m) });
        }
      }
    }
    for (const alg of this.algs) {
      if (!alg.matches(p)) continue;
      const res = alg.outbound(p, out, this.#algContext(now));
      if (res) {
        out = res.packet;
        if (explain) note = [note, `${alg.name} ALG: ${res.notes.join('; ')}`].filter(Boolean).join('; ');
      }
    }
    if (this.firewall) this.firewall.track(p, now);
    this.counters.packetsSent++;
    this.counters.bytesSent += packetSize(out);
    return note === undefined ? { ok: true, packet: out, code } : { ok: true, packet: out, code, note };
  }

  /**
   * A packet arriving from the parent network for one of this router's addresses (or, for a
   * plain router, for its LAN): destination translation, filtering, firewall.
   */
  inbound(p: Packet, now: number, explain: boolean): StepResult {
    if (!this.#wanUp) return this.#drop('wan-down', explain, () => `the WAN link of ${this.id} is down`);
    this.counters.packetsReceived++;
    this.counters.bytesReceived += packetSize(p);
    const r = this.#translateIn(p, now, explain);
    if (!r.ok) return r;
    return this.#firewallIn(r, now, explain, 'inbound');
  }

  /**
   * A LAN host sending to one of the router's own external addresses: translate the source as
   * outbound, the destination as inbound, and send it back into the LAN (RFC 4787 REQ-9).
   */
  hairpin(p: Packet, now: number, explain: boolean): StepResult {
    if (!this.natEnabled || !this.policy!.hairpinning) {
      return this.#drop(
        'hairpin-disabled',
        explain,
        () =>
          `${this.id} does not hairpin: ${formatEndpoint(p.dst)} is its own external address and it will not loop packets back into the LAN`,
      );
    }
    if (this.policy!.mode === 'one-to-one') {
      const ext = this.#oneToOneOut.get(p.src.ip);
      const int = this.#oneToOneIn.get(p.dst.ip);
      if (ext === undefined || int === undefined) return this.#drop('no-one-to-one', explain, () => `no 1:1 entry at ${this.id}`);
      return { ok: true, code: 'hairpin', packet: { ...p, src: { ip: ext, port: p.src.port }, dst: { ip: int, port: p.dst.port } } };
    }
    const nat = this.nat!;
    nat.expire(now);
    this.forwards.expire(now);
    let src: Endpoint;
    const fwdOut = p.proto === 'icmp' ? undefined : this.forwards.matchOutbound(p.proto, p.src.ip, p.src.port, p.dst.ip, now);
    if (fwdOut) src = { ip: this.#external[0]!, port: fwdOut.externalPort };
    else {
      const o = nat.outbound(p.proto, p.src, p.dst, p.flags ?? 0, now);
      if ('code' in o)
        return this.#drop(
          o.code === 'filtered' || o.code === 'no-mapping' ? 'ports-exhausted' : o.code,
          explain,
          () => `no mapping could be made at ${this.id}`,
        );
      src = o.mapping.external;
    }
    const r = this.#translateIn({ ...p, src }, now, explain);
    if (!r.ok) return r;
    const fw = this.#firewallIn(r, now, explain, 'hairpinned');
    if (!fw.ok) return fw;
    return {
      ok: true,
      packet: fw.packet,
      code: 'hairpin',
      note: `source ${formatEndpoint(p.src)} → ${formatEndpoint(src)}, destination ${formatEndpoint(p.dst)} → ${formatEndpoint(fw.packet.dst)}`,
    };
  }

  /**
   * An ICMP error arriving from the parent network about a packet this router sent out
   * (`embedded`, as it left: source = an external endpoint). Finds the mapping by the embedded
   * header — the NAT session or port forward holding `embedded.src` — without creating, refreshing
   * or filtering (RFC 5508 REQ-3, REQ-4), and returns the LAN address the error goes to and the
   * embedded header as the LAN host sent it. Drops with `icmp-no-mapping` when none holds it.
   * @see RFC 5508 section 4
   */
  icmpErrorInbound(embedded: Packet, now: number, explain: boolean): IcmpErrorStep {
    if (!this.#wanUp) return this.#drop('wan-down', explain, () => `the WAN link of ${this.id} is down`);
    const policy = this.policy;
    if (policy === null || policy.mode === 'none') return { ok: true, outer: embedded.src.ip, embedded, code: 'routed' };
    if (this.acceptsUntranslated({ ...embedded, src: embedded.dst, dst: embedded.src })) {
      return { ok: true, outer: embedded.src.ip, embedded, code: 'not-translated' };
    }
    if (policy.mode === 'one-to-one') {
      const int = this.#oneToOneIn.get(embedded.src.ip);
      if (int === undefined) return this.#icmpNoMapping(embedded, explain);
      return { ok: true, outer: int, embedded: { ...embedded, src: { ip: int, port: embedded.src.port } }, code: 'one-to-one' };
    }
    const m = this.nat!.lookupExternal(embedded.proto, embedded.src, now);
    if (m) return { ok: true, outer: m.intIp, embedded: { ...embedded, src: m.internal }, code: 'mapped' };
    if (embedded.proto !== 'icmp' && embedded.src.ip === this.#external[0]) {
      const fwd = this.forwards.matchInbound(embedded.proto, embedded.src.port, embedded.dst.ip, embedded.dst.port, now);
      if (fwd) {
        const src = { ip: fwd.internalClientIp, port: fwd.internalPort };
        return { ok: true, outer: src.ip, embedded: { ...embedded, src }, code: 'port-forward' };
      }
    }
    return this.#icmpNoMapping(embedded, explain);
  }

  /**
   * An ICMP error a LAN host sends out about a packet it received (`embedded`, as it arrived:
   * destination = the LAN host's endpoint). Finds the session or forward that carried it in,
   * without creating or refreshing one, and returns the external address the error leaves from
   * and the embedded header as the remote sent it.
   * @see RFC 5508 section 4
   */
  icmpErrorOutbound(embedded: Packet, now: number, explain: boolean): IcmpErrorStep {
    if (!this.#wanUp) return this.#drop('wan-down', explain, () => `the WAN link of ${this.id} is down`);
    const policy = this.policy;
    if (policy === null || policy.mode === 'none' || (this.excluded.length > 0 && excludedBy(this.excluded, embedded.src))) {
      return { ok: true, outer: embedded.dst.ip, embedded, code: policy === null || policy.mode === 'none' ? 'routed' : 'not-translated' };
    }
    if (policy.mode === 'one-to-one') {
      const ext = this.#oneToOneOut.get(embedded.dst.ip);
      if (ext === undefined) return this.#icmpNoMapping(embedded, explain);
      return { ok: true, outer: ext, embedded: { ...embedded, dst: { ip: ext, port: embedded.dst.port } }, code: 'one-to-one' };
    }
    const fwd =
      embedded.proto === 'icmp'
        ? undefined
        : this.forwards.matchOutbound(embedded.proto, embedded.dst.ip, embedded.dst.port, embedded.src.ip, now);
    if (fwd) {
      const dst = { ip: this.#external[0]!, port: fwd.externalPort };
      return { ok: true, outer: dst.ip, embedded: { ...embedded, dst }, code: 'port-forward' };
    }
    const m = this.nat!.lookupInternal(embedded.proto, embedded.dst, embedded.src, now);
    if (m) return { ok: true, outer: m.extIp, embedded: { ...embedded, dst: m.external }, code: 'mapped' };
    return this.#icmpNoMapping(embedded, explain);
  }

  #icmpNoMapping(embedded: Packet, explain: boolean): IcmpErrorStep {
    return this.#drop(
      'icmp-no-mapping',
      explain,
      () =>
        `${this.id} has no mapping or forward for the ${embedded.proto.toUpperCase()} packet ${formatEndpoint(embedded.src)} → ${formatEndpoint(embedded.dst)} the ICMP error quotes`,
    );
  }

  /** A reply from an excluded destination to an untranslated LAN address (RFC 6888 REQ-6): routed to this router. */
  acceptsUntranslated(p: Packet): boolean {
    return this.excluded.length > 0 && this.onLan(p.dst.ip) && excludedBy(this.excluded, p.src) !== undefined;
  }

  #translateIn(p: Packet, now: number, explain: boolean): StepResult {
    const policy = this.policy;
    if (policy === null || policy.mode === 'none') return { ok: true, packet: p, code: 'routed', ...admitted(explain, { by: 'routed' }) };
    if (this.acceptsUntranslated(p)) {
      return {
        ok: true,
        packet: p,
        code: 'not-translated',
        ...(explain
          ? { note: `from ${excludedBy(this.excluded, p.src)!.text}, excluded from translation`, admission: { by: 'excluded' } }
          : {}),
      };
    }
    if (policy.mode === 'one-to-one') {
      const int = this.#oneToOneIn.get(p.dst.ip);
      if (int === undefined)
        return this.#drop('no-one-to-one', explain, () => `${formatIPv4(p.dst.ip)} has no 1:1 NAT entry at ${this.id}`);
      return {
        ok: true,
        packet: { ...p, dst: { ip: int, port: p.dst.port } },
        code: 'one-to-one',
        ...admitted(explain, { by: 'one-to-one' }),
      };
    }
    const nat = this.nat!;
    nat.expire(now);
    const m = nat.inbound(p.proto, p.src, p.dst, p.flags ?? 0, now);
    if (!('code' in m)) return { ok: true, packet: { ...p, dst: m.internal }, code: 'mapped', ...admitted(explain, { by: 'mapping' }) };
    if (p.proto !== 'icmp' && p.dst.ip === this.#external[0]) {
      this.forwards.expire(now);
      const fwd = this.forwards.matchInbound(p.proto, p.dst.port, p.src.ip, p.src.port, now);
      if (fwd) {
        fwd.packets++;
        return {
          ok: true,
          packet: { ...p, dst: { ip: fwd.internalClientIp, port: fwd.internalPort } },
          code: 'port-forward',
          ...(explain
            ? {
                note: `${fwd.origin} forward ${fwd.protocol.toUpperCase()} ${fwd.externalPort} → ${fwd.internalClient}:${fwd.internalPort}`,
                admission: { by: 'forward', origin: fwd.origin, description: fwd.description, internal: fwd.internalClient },
              }
            : {}),
        };
      }
      const live = this.forwards.entriesOnPort(p.proto, p.dst.port).filter((e) => e.enabled && e.expiresAt > now);
      const filtered = live.filter((e) => e.filters !== undefined && (e.remoteHostIp === undefined || e.remoteHostIp === p.src.ip));
      if (filtered.length > 0) {
        return this.#drop('pcp-filter', explain, () => this.#pcpFilterMessage(filtered, p));
      }
      const others = live.filter((e) => e.remoteHost !== '');
      if (others.length > 0) {
        return this.#drop(
          'forward-remote-mismatch',
          explain,
          () =>
            `${this.id} forwards ${p.proto.toUpperCase()} ${p.dst.port} only for ${others.map((e) => e.remoteHost || 'any').join(', ')}, not ${formatIPv4(p.src.ip)}`,
        );
      }
    }
    if (m.code === 'filtered') {
      return this.#drop('filtered', explain, () => this.#filteredMessage(m.mapping, p, now));
    }
    return this.#drop(
      'no-mapping',
      explain,
      () =>
        `no mapping for ${formatEndpoint(p.dst)} (${p.proto.toUpperCase()}, inbound from ${formatEndpoint(p.src)}): nothing inside has sent to it and no port forward exists`,
    );
  }

  /** Why a mapping's PCP FILTERs turned a sender away: the peers they admit. */
  #pcpFilterMessage(entries: readonly ForwardEntry[], p: Packet): string {
    const admitted = entries
      .flatMap((e) => e.filters ?? [])
      .map((f) => `${formatPrefix(f.prefix)}${f.port === 0 ? '' : ` port ${f.port}`}`)
      .join(', ');
    return `${this.id}'s ${p.proto.toUpperCase()} ${p.dst.port} mapping admits only ${admitted} (PCP FILTER), not ${formatEndpoint(p.src)}`;
  }

  #firewallIn(r: Extract<StepResult, { ok: true }>, now: number, explain: boolean, what: string): StepResult {
    if (!this.firewall) return r;
    const p = r.packet;
    // Forwards and pinholes are holes in the firewall by definition (as miniupnpd inserts its filter rule).
    if (r.code === 'port-forward') return r;
    if (p.proto !== 'icmp') {
      const pin = this.forwards.matchInbound(p.proto, p.dst.port, p.src.ip, p.src.port, now);
      if (pin && pin.internalClientIp === p.dst.ip && pin.internalPort === p.dst.port) {
        if (!explain) return r;
        const note = `${pin.origin} ${pin.protocol.toUpperCase()} ${pin.internalPort} opened in the firewall`;
        return {
          ...r,
          note: r.note ? `${r.note}; ${note}` : note,
          admission: { by: 'forward', origin: pin.origin, description: pin.description, internal: pin.internalClient },
        };
      }
    }
    const d = this.firewall.check('in', p, now);
    if (!d.allowed) return this.#fwDrop(d.by, d.rule, what, p, explain);
    if (!explain) return r;
    const by = d.by === 'established' ? 'state' : d.by;
    const rule = d.rule ? describeRule(d.rule) : undefined;
    const note =
      by === 'rule'
        ? `admitted by the firewall rule "${rule}"`
        : by === 'state'
          ? 'admitted by the firewall as a reply to an outbound flow'
          : 'admitted by the firewall: its inbound default is allow';
    return {
      ...r,
      note: r.note ? `${r.note}; ${note}` : note,
      admission: { ...(r.admission ?? { by: 'routed' }), firewall: by, ...(rule ? { rule } : {}) },
    };
  }

  #fwDrop(
    by: 'rule' | 'default' | 'established',
    rule: import('./firewall.js').FirewallRule | undefined,
    what: string,
    p: Packet,
    explain: boolean,
  ): StepResult {
    if (by === 'rule' && rule) {
      return this.#drop(
        'firewall-rule',
        explain,
        () =>
          `the firewall of ${this.id} denied ${what} ${p.proto.toUpperCase()} to ${formatEndpoint(p.dst)} (rule: ${describeRule(rule)})`,
      );
    }
    return this.#drop(
      'firewall-default',
      explain,
      () =>
        `the firewall of ${this.id} denied ${what} ${p.proto.toUpperCase()} to ${formatEndpoint(p.dst)}: no rule allows it and the default ${what === 'outbound' ? 'outbound' : 'inbound'} policy is deny`,
    );
  }

  #filteredMessage(m: Mapping, p: Packet, now: number): string {
    const f = this.policy!.filtering;
    const contacted = NatTable.admitted(m, now);
    const need = f === 'address-dependent' ? `address ${formatIPv4(p.src.ip)}` : `endpoint ${formatEndpoint(p.src)}`;
    const lapsed = this.nat!.lapsedPermission(m, p.src, now);
    const why = lapsed === undefined ? '' : `: its permission ran out at ${lapsed / 1000} s, one timer after the last packet sent to it`;
    return `mapping ${formatEndpoint(m.external)} → ${formatEndpoint(m.internal)} exists, but ${f} filtering admits only what ${formatEndpoint(m.internal)} has sent to (${contacted.join(', ') || 'no one within its timer'}), not ${need}${why}`;
  }

  #algContext(now: number): AlgContext {
    return {
      routerId: this.id,
      now,
      expect: (protocol, internal, description) => {
        const client = formatIPv4(internal.ip);
        const existing = this.forwards.matchOutbound(protocol, internal.ip, internal.port, 0, now);
        if (existing) return { ip: this.#external[0]!, port: existing.externalPort };
        const port = this.forwards.findFreePort(protocol, internal.port, client, now);
        if (port === undefined) return undefined;
        const r = this.forwards.add(
          {
            protocol,
            externalPort: port,
            internalClient: client,
            internalPort: internal.port,
            description,
            origin: 'alg',
            leaseSeconds: this.policy?.timers.udp ?? 300,
          },
          now,
        );
        return r.ok ? { ip: this.#external[0]!, port } : undefined;
      },
    };
  }

  #drop(code: ReasonCode, explain: boolean, message: () => string): Extract<StepResult, { ok: false }> {
    return { ok: false, code, message: explain ? message() : '' };
  }

  /** Entries of the forward table, for views. */
  listForwards(): readonly ForwardEntry[] {
    return this.forwards.list();
  }

  /** True when `ip` is on this router's LAN. */
  onLan(ip: IPv4): boolean {
    return inPrefix(ip, this.lanPrefix);
  }
}

/** `{ admission }` when tracing, else nothing (an untraced send builds no explanation). */
function admitted(explain: boolean, admission: Admission): { admission?: Admission } {
  return explain ? { admission } : {};
}
