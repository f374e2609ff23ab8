/**
 * The mapping service of one router: the only writer of dynamic port mappings (UPnP, NAT-PMP,
 * PCP). A request gets a mapping or a *named* refusal; protocol adapters only parse their wire
 * format and turn a refusal into their own code. Modelled on miniupnpd's
 * `upnp_redirect_internal()`, which its SOAP, NAT-PMP and PCP servers share: secure mode,
 * permission rules, the overwrite rule, the router's own ports, "forwarding disabled", the port
 * search and the lifetime policy all live here.
 */
import { IGD2_MAX_LEASE_SECONDS } from '../constants.js';
import { isIPv4, isReservedAddress, parseIPv4 } from './address.js';
import type { Rng } from './clock.js';
import type { ForwardEntry, ForwardFilter, ForwardOrigin, ForwardProtocol, ForwardTable } from './forward-table.js';
import type { MappingRelay, UpstreamMapping } from './mapping-relay.js';
import { type PcpPolicy, pcpPolicyOf, pcpRefusesMappings } from './pcp-policy.js';
import { isPermitted, type PermissionRule, parsePermissionRules } from './permissions.js';
import { DEFAULT_ROUTER_POLICY, type RouterPolicy } from './router-policy.js';

/** Why a request was refused. Stable strings: adapters key their error codes on them. */
export type Refusal =
  /** Secure mode: the requester may map or delete only its own address's mappings. */
  | 'not-owner'
  /** A permission rule denies this external port / internal address / internal port. */
  | 'denied-by-rule'
  /** Another internal client holds the external port. */
  | 'held-by-other-client'
  /** A NAT session (outbound traffic) holds the external port. */
  | 'held-by-session'
  /** A static forward, pinhole or ALG expectation holds the external port. */
  | 'held-by-other-mechanism'
  /** The router itself listens on the port. */
  | 'reserved-port'
  /** The mapping table is full. */
  | 'no-resources'
  /** Every candidate port of a search is taken or denied. */
  | 'ports-exhausted'
  /** The WAN is down, reads as disconnected, or has a reserved address the router will not map on. */
  | 'forwarding-disabled'
  /** The router accepts only permanent mappings. */
  | 'only-permanent-leases'
  /** The router refuses any non-zero lifetime as a bad argument. */
  | 'lease-refused'
  /** Internal port 0. */
  | 'invalid-internal-port'
  /** No such mapping (delete). */
  | 'no-such-mapping'
  /** A PCP mapping renewed or deleted with another nonce. */
  | 'nonce-mismatch'
  /** The internal host already holds as many PCP mappings as the policy allows. */
  | 'quota-exceeded'
  /** The router's policy refuses every mapping of this protocol (PCP `mapping: 'not-authorized'`). */
  | 'protocol-disabled'
  /** The upstream router (asked over PCP) refused: NOT_AUTHORIZED. */
  | 'upstream-not-authorized'
  /** The upstream router cannot give the asked external port: CANNOT_PROVIDE_EXTERNAL. */
  | 'upstream-conflict'
  /** The upstream router is out of ports or the quota is used: NO_RESOURCES, USER_EX_QUOTA. */
  | 'upstream-no-resources'
  /** The upstream router refused for another reason (NETWORK_FAILURE, a malformed request …). */
  | 'upstream-failure';

/** How a requested lifetime becomes the granted one. */
export type LifetimeRule =
  /** 0 = permanent, anything else as asked (IGDv1, static). */
  | 'as-requested'
  /** 0 and anything above a week become a week (IGDv2 AddPortMapping). */
  | 'week-clamped'
  /** 0 becomes a week, larger values are kept (miniupnpd's AddAnyPortMapping). */
  | 'zero-is-week'
  /** Held within the PCP policy's [minLifetime, maxLifetime] (RFC 6887 §15; miniupnpd's min/max_lifetime). */
  | 'pcp-clamped'
  /** Held within the router policy's `natpmpLifetime` bounds; as requested where it has none. */
  | 'natpmp-clamped';

/** Where to look when the asked external port is not available. */
export type SearchStrategy =
  /** Only the asked port. */
  | 'exact'
  /** +1, −1, +2, −2 … around the asked port, skipping denied ports (miniupnpd AddAnyPortMapping). */
  | 'nearest'
  /**
   * The asked port, then +1, +2 … wrapping past 65535 to 1, once round (miniupnpd's NAT-PMP
   * server). Every port denied by the rules → `denied-by-rule`; none free → `ports-exhausted`.
   */
  | 'ascending';

/**
 * Rules that depend on the mapping protocol (RFC 6886 §3.3 for NAT-PMP), applied by the service
 * by the request's origin.
 */
interface OriginRules {
  /** A client asking again for an internal port it already has mapped gets that mapping back, refreshed. */
  readonly reuseInternalPort: boolean;
  /** A port held by the same client for another internal port counts as taken (not overwritten). */
  readonly overwriteOnlySameInternalPort: boolean;
  /** Its mappings keep the same port number of the other protocol for their owner. */
  readonly companionPorts: boolean;
}

const UPNP_RULES: OriginRules = { reuseInternalPort: false, overwriteOnlySameInternalPort: false, companionPorts: false };
const NATPMP_RULES: OriginRules = { reuseInternalPort: true, overwriteOnlySameInternalPort: true, companionPorts: true };
/** PCP (RFC 6887 §11.3): a mapping is found by internal address, protocol and port; no companion port. */
const PCP_RULES: OriginRules = { reuseInternalPort: true, overwriteOnlySameInternalPort: true, companionPorts: false };
const rulesOf = (origin: ForwardOrigin): OriginRules => (origin === 'natpmp' ? NATPMP_RULES : origin === 'pcp' ? PCP_RULES : UPNP_RULES);
const other = (p: ForwardProtocol): ForwardProtocol => (p === 'udp' ? 'tcp' : 'udp');

/** A mapping request, from any protocol. */
export interface MappingRequest {
  /** The address the request came from (the control point). */
  readonly requester: string;
  readonly protocol: ForwardProtocol;
  readonly internalClient: string;
  readonly internalPort: number;
  /** The suggested external port, or 'any' (a random one, then the search). */
  readonly externalPort: number | 'any';
  /** '' or absent = any remote host. */
  readonly remoteHost?: string;
  /** Requested lifetime in seconds (meaning of 0: see {@link lifetimeRule}). */
  readonly lifetime: number;
  readonly lifetimeRule?: LifetimeRule;
  readonly search?: SearchStrategy;
  readonly origin: ForwardOrigin;
  readonly description?: string;
  /** PCP's mapping nonce: a mapping made with one can be refreshed only with the same one. */
  readonly nonce?: string;
  /** PCP THIRD_PARTY: the requester asks for another host; allowed only where the PCP policy says so. */
  readonly thirdParty?: boolean;
  /** PCP FILTER: remote peers allowed to use the mapping, recorded on it. */
  readonly filters?: readonly ForwardFilter[];
}

export type MappingResult =
  | {
      readonly ok: true;
      readonly mapping: ForwardEntry;
      readonly refreshed: boolean;
      /** Where the upstream router mapped it too (a relaying router, see {@link MappingRelay}). */
      readonly upstream?: UpstreamMapping;
      /** Why a mapping of a relayed origin stayed local (nothing upstream answers PCP). */
      readonly note?: string;
    }
  | {
      readonly ok: false;
      readonly refusal: Refusal;
      readonly message: string;
      /** The upstream's refusal behind an `upstream-*` refusal: its id and PCP result code. */
      readonly upstream?: { readonly router: string; readonly result: number };
    };

export type RemoveResult =
  | { readonly ok: true; readonly removed: readonly ForwardEntry[] }
  | { readonly ok: false; readonly refusal: Refusal; readonly message: string };

/** The service's settings (a router's mapping configuration). */
export interface MappingServiceConfig {
  /** Clients may map only their own address (miniupnpd `secure_mode=yes`). */
  readonly secureMode: boolean;
  /** miniupnpd.conf permission rules, first match decides, none matching allows. */
  readonly permissions: readonly PermissionRule[];
  /** Map (and report the address) when the WAN address is reserved (RFC 1918, 100.64/10 …). */
  readonly allowReservedWan: boolean;
  readonly policy: RouterPolicy;
}

/** The same settings as plain data (rules as miniupnpd.conf lines). */
export interface MappingSettings {
  readonly secureMode?: boolean;
  readonly permissions?: readonly string[];
  readonly allowReservedWan?: boolean;
  readonly policy?: RouterPolicy;
}

/** What the service needs of its router. */
export interface MappingHost {
  readonly forwards: ForwardTable;
  readonly wanUp: boolean;
  readonly wanAddress: string;
}

/** Origins the service manages (miniupnpd's own chain holds UPnP, NAT-PMP and PCP mappings). */
export const MANAGED_ORIGINS: ReadonlySet<ForwardOrigin> = new Set<ForwardOrigin>(['upnp', 'natpmp', 'pcp']);

const refuse = (refusal: Refusal, message: string): { ok: false; refusal: Refusal; message: string } => ({ ok: false, refusal, message });

/** Refusals that end a port search at once (no other port would do better). */
const FINAL: ReadonlySet<Refusal> = new Set<Refusal>(['forwarding-disabled', 'no-resources']);

export class MappingService {
  readonly #host: MappingHost;
  readonly #rng: Rng;
  #config: MappingServiceConfig;
  #wanChecked = '';
  #wanReserved = false;
  /** When the mapping state began (ms): start-up, reset, or WAN address change. */
  #epochOrigin = 0;
  #relay: MappingRelay | undefined;

  constructor(host: MappingHost, rng: Rng, settings: MappingSettings = {}) {
    this.#host = host;
    this.#rng = rng;
    this.#config = { secureMode: true, permissions: [], allowReservedWan: true, policy: DEFAULT_ROUTER_POLICY };
    this.configure(settings);
  }

  /**
   * Seconds since the mapping state began (NAT-PMP's and PCP's epoch, RFC 6886 §3.6): since the
   * router started, its table was reset or (unless the policy keeps it) its WAN address changed.
   */
  epochSeconds(now: number): number {
    return Math.max(0, Math.floor((now - this.#epochOrigin) / 1000)) >>> 0;
  }

  /** Starts a new epoch at `now` (the router calls it at start-up, reset and WAN address change). */
  resetEpoch(now: number): void {
    this.#epochOrigin = now;
  }

  /** The relay that makes this router's mappings upstream too, if any. */
  get relay(): MappingRelay | undefined {
    return this.#relay;
  }

  /** Relays the mappings of the origins `relay` takes to the upstream router (see {@link MappingRelay}). */
  attachRelay(relay: MappingRelay): void {
    this.#relay = relay;
  }

  /** The settings in force. */
  get config(): MappingServiceConfig {
    return this.#config;
  }

  /** Changes some settings (the others stay); permission rules are parsed (throws on bad syntax). */
  configure(settings: MappingSettings): void {
    this.#config = {
      secureMode: settings.secureMode ?? this.#config.secureMode,
      permissions: settings.permissions !== undefined ? parsePermissionRules(settings.permissions) : this.#config.permissions,
      allowReservedWan: settings.allowReservedWan ?? this.#config.allowReservedWan,
      policy: settings.policy ?? this.#config.policy,
    };
  }

  /** The WAN as mapping clients see it: up, and not forced down by the policy. */
  wanConnected(): boolean {
    return this.#host.wanUp && this.#config.policy.wan !== 'disconnected';
  }

  /** True when the WAN address is in a reserved range. */
  wanReserved(): boolean {
    const a = this.#host.wanAddress;
    if (a !== this.#wanChecked) {
      this.#wanChecked = a;
      this.#wanReserved = isIPv4(a) && isReservedAddress(parseIPv4(a));
    }
    return this.#wanReserved;
  }

  /** miniupnpd's `disable_port_forwarding`: new mappings are refused. */
  forwardingDisabled(): boolean {
    return !this.wanConnected() || (this.wanReserved() && !this.#config.allowReservedWan);
  }

  /** The external address reported to clients: '' when disconnected, unknown, or reserved and not allowed. */
  externalAddress(): string {
    if (!this.wanConnected()) return '';
    const a = this.#host.wanAddress;
    if (a === '0.0.0.0' || !isIPv4(a)) return '';
    if (this.wanReserved() && !this.#config.allowReservedWan) return '';
    return a;
  }

  /**
   * The external address clients of `origin` are told: the upstream router's, where this router
   * relays that origin and the upstream's address is known (or, with `now`, can be learnt by
   * asking it), else {@link externalAddress}.
   */
  reportedAddress(origin: ForwardOrigin, now?: number): string {
    const own = this.externalAddress();
    if (own === '' || !this.#relay?.relays(origin)) return own;
    return this.#relay.externalAddress(origin, now) ?? own;
  }

  /** May `internalIp:internalPort` be mapped on `externalPort` by the permission rules? */
  permitted(externalPort: number, internalClient: string, internalPort: number): boolean {
    return isPermitted(this.#config.permissions, externalPort, parseIPv4(internalClient), internalPort);
  }

  /**
   * Secure mode's check alone (adapters that check it before parsing the rest call this). A PCP
   * THIRD_PARTY request passes only where the PCP policy allows third parties, and then whatever
   * secure mode says.
   */
  authorize(requester: string, internalClient: string, thirdParty = false): MappingResult | undefined {
    if (thirdParty) {
      if (pcpPolicyOf(this.#config.policy).thirdParty === 'allowed') return undefined;
      return refuse('not-owner', `third-party mappings are not allowed: ${requester} may not map ${internalClient}`);
    }
    if (this.#config.secureMode && internalClient !== requester) {
      return refuse('not-owner', `secure mode: ${requester} may not map ${internalClient}`);
    }
    return undefined;
  }

  /** Managed, live entries in table order. */
  managed(now: number): ForwardEntry[] {
    return this.#host.forwards.list().filter((e) => MANAGED_ORIGINS.has(e.origin) && e.expiresAt > now);
  }

  /** The managed entry for a port: the one for `remoteHost` if any, else the first on the port. */
  find(protocol: ForwardProtocol, port: number, remoteHost: string, now: number): ForwardEntry | undefined {
    const on = this.#host.forwards.entriesOnPort(protocol, port).filter((e) => MANAGED_ORIGINS.has(e.origin) && e.expiresAt > now);
    return on.find((e) => e.remoteHost === remoteHost) ?? on[0];
  }

  /** Creates or refreshes a mapping. */
  request(req: MappingRequest, now: number): MappingResult {
    const denied =
      this.#protocolCheck(req.origin) ??
      this.authorize(req.requester, req.internalClient, req.thirdParty) ??
      this.#leaseCheck(req.lifetime) ??
      this.#quotaCheck(req, now);
    if (denied) return denied;
    const lifetime = grantedLifetime(
      req.lifetime,
      req.lifetimeRule ?? 'as-requested',
      pcpPolicyOf(this.#config.policy),
      this.#config.policy,
    );
    const own = rulesOf(req.origin).reuseInternalPort ? this.ownMapping({ ...req, requester: req.internalClient }, now) : undefined;
    // A PCP renewal must carry the nonce the mapping was made with (RFC 6887 §11.3); no other port is tried.
    if (own?.nonce !== undefined && own.nonce !== req.nonce)
      return refuse('nonce-mismatch', `${req.internalClient}:${req.internalPort} was mapped with another nonce`);
    const first = own?.externalPort ?? (req.externalPort === 'any' ? this.#rng.int(1024, 65535) : req.externalPort);
    const attempt = (port: number): MappingResult => this.#redirect(req, port, lifetime, now);
    const r = attempt(first);
    const search = req.search ?? 'exact';
    if (r.ok || search === 'exact' || FINAL.has(r.refusal)) return this.#relayed(req, r, now);
    return this.#relayed(req, search === 'ascending' ? this.#ascending(req, first, r, attempt) : this.#search(req, first, attempt), now);
  }

  /** A local grant of a relayed origin made upstream too; the upstream's refusal takes it back. */
  #relayed(req: MappingRequest, r: MappingResult, now: number): MappingResult {
    const relay = this.#relay;
    if (!r.ok || !relay?.relays(req.origin)) return r;
    const u = relay.relay(req, r.mapping, now);
    if (!u.ok) {
      this.#host.forwards.delete(r.mapping, now);
      return u;
    }
    return { ...r, ...(u.upstream ? { upstream: u.upstream } : {}), ...(u.note !== undefined ? { note: u.note } : {}) };
  }

  /** The requester's live mapping of the same origin, protocol and internal port, if any. */
  ownMapping(req: Pick<MappingRequest, 'requester' | 'protocol' | 'internalPort' | 'origin'>, now: number): ForwardEntry | undefined {
    return this.managed(now).find(
      (e) =>
        e.origin === req.origin && e.protocol === req.protocol && e.internalClient === req.requester && e.internalPort === req.internalPort,
    );
  }

  /**
   * Removes the requester's own mappings of one origin and protocol: those of `internalPort`, or
   * every one when it is 0 (NAT-PMP's delete, RFC 6886 §3.4). Removing none is not an error.
   */
  removeOwn(
    req: { requester: string; protocol: ForwardProtocol; internalPort: number; origin: ForwardOrigin },
    now: number,
  ): ForwardEntry[] {
    const victims = this.managed(now).filter(
      (e) =>
        e.origin === req.origin &&
        e.protocol === req.protocol &&
        e.internalClient === req.requester &&
        (req.internalPort === 0 || e.internalPort === req.internalPort),
    );
    for (const v of victims) this.#host.forwards.delete(v, now);
    return victims;
  }

  /** Removes the mapping on a port (the one for `remoteHost`, else the first). */
  remove(
    req: { requester: string; protocol: ForwardProtocol; externalPort: number; remoteHost?: string; nonce?: string; thirdParty?: boolean },
    now: number,
  ): RemoveResult {
    const e = this.find(req.protocol, req.externalPort, req.remoteHost ?? '', now);
    const asThirdParty = req.thirdParty === true && pcpPolicyOf(this.#config.policy).thirdParty === 'allowed';
    if (e && req.thirdParty && !asThirdParty)
      return refuse('not-owner', `third-party deletes are not allowed: ${req.requester} may not delete the mapping of ${e.internalClient}`);
    if (e && !asThirdParty && this.#config.secureMode && e.internalClient !== req.requester) {
      return refuse('not-owner', `secure mode: ${req.requester} may not delete the mapping of ${e.internalClient}`);
    }
    if (!e) return refuse('no-such-mapping', `no ${req.protocol.toUpperCase()} mapping on ${req.externalPort}`);
    if (e.nonce !== undefined && req.nonce !== undefined && e.nonce !== req.nonce) {
      return refuse('nonce-mismatch', `the mapping on ${req.externalPort} was made with another nonce`);
    }
    this.#host.forwards.delete(e, now);
    return { ok: true, removed: [e] };
  }

  /**
   * Removes the mappings in a port range. With the `honour-manage` policy, `manage` false removes
   * only the requester's own (those whose internal client is the requester); `ignore-manage`
   * removes every one, as miniupnpd 2.3.x.
   */
  removeRange(
    req: { requester: string; protocol: ForwardProtocol; start: number; end: number; manage: boolean },
    now: number,
  ): RemoveResult {
    const all = this.#config.policy.rangeDelete === 'ignore-manage' || req.manage;
    const victims = this.managed(now).filter(
      (e) =>
        e.protocol === req.protocol &&
        e.externalPort >= req.start &&
        e.externalPort <= req.end &&
        (all || e.internalClient === req.requester),
    );
    if (victims.length === 0) {
      return refuse(
        'no-such-mapping',
        `no ${req.protocol.toUpperCase()} mapping${all ? '' : ` of ${req.requester}`} in ${req.start}-${req.end}`,
      );
    }
    for (const v of victims) this.#host.forwards.delete(v, now);
    return { ok: true, removed: victims };
  }

  /** The policy's refusal of a whole protocol (PCP present but `mapping: 'not-authorized'`). */
  #protocolCheck(origin: ForwardOrigin): MappingResult | undefined {
    if (origin !== 'pcp' || !pcpRefusesMappings(this.#config.policy)) return undefined;
    return refuse('protocol-disabled', 'this router answers PCP but authorizes no PCP mapping');
  }

  /** A new PCP mapping for a host that holds the policy's most already (a renewal always passes). */
  #quotaCheck(req: MappingRequest, now: number): MappingResult | undefined {
    if (req.origin !== 'pcp') return undefined;
    const max = pcpPolicyOf(this.#config.policy).maxMappingsPerHost;
    let held = 0;
    for (const e of this.managed(now)) {
      if (e.origin !== 'pcp' || e.internalClient !== req.internalClient) continue;
      if (e.protocol === req.protocol && e.internalPort === req.internalPort) return undefined;
      held++;
    }
    return held >= max ? refuse('quota-exceeded', `${req.internalClient} already holds ${held} PCP mappings (at most ${max})`) : undefined;
  }

  #leaseCheck(lifetime: number): MappingResult | undefined {
    const rule = this.#config.policy.leases;
    if (rule === 'any' || lifetime === 0) return undefined;
    return rule === 'permanent-only'
      ? refuse('only-permanent-leases', `only permanent mappings are accepted, not a ${lifetime} s lease`)
      : refuse('lease-refused', `a ${lifetime} s lease is refused`);
  }

  /** One port, miniupnpd's upnp_redirect(): rules, the overwrite rule, forwarding, the table. */
  #redirect(req: MappingRequest, port: number, lifetime: number, now: number): MappingResult {
    const forwards = this.#host.forwards;
    const remoteHost = req.remoteHost ?? '';
    const p = req.protocol.toUpperCase();
    if (!this.permitted(port, req.internalClient, req.internalPort)) {
      return refuse('denied-by-rule', `permission rules deny ${port} → ${req.internalClient}:${req.internalPort}`);
    }
    if (req.internalPort === 0) return refuse('invalid-internal-port', 'internal port 0');
    const onPort = forwards.entriesOnPort(req.protocol, port).filter((e) => e.expiresAt > now);
    const first = onPort[0];
    if (first) {
      if (!MANAGED_ORIGINS.has(first.origin)) return refuse('held-by-other-mechanism', `${p} ${port} is used by a ${first.origin} forward`);
      const same = onPort.find((e) => MANAGED_ORIGINS.has(e.origin) && e.remoteHost === remoteHost);
      const rules = rulesOf(req.origin);
      if (
        !same ||
        same.internalClient !== req.internalClient ||
        (rules.overwriteOnlySameInternalPort && same.internalPort !== req.internalPort)
      ) {
        const holder = same ?? first;
        return refuse('held-by-other-client', `${p} ${port} is mapped to ${holder.internalClient}:${holder.internalPort}`);
      }
      if (same.nonce !== undefined && same.nonce !== req.nonce)
        return refuse('nonce-mismatch', `${p} ${port} was mapped with another nonce`);
      // Overwrite: same port, protocol, remote host and client refresh the entry (even while forwarding is disabled, as miniupnpd).
    } else if (this.forwardingDisabled()) {
      return refuse(
        'forwarding-disabled',
        this.wanConnected() ? 'forwarding is disabled: the WAN address is reserved' : 'the WAN is disconnected',
      );
    } else {
      // A NAT-PMP mapping keeps the same port of the other protocol for its owner (RFC 6886 §3.3).
      const companion = this.find(other(req.protocol), port, remoteHost, now);
      if (companion && rulesOf(companion.origin).companionPorts && companion.internalClient !== req.internalClient) {
        return refuse(
          'held-by-other-client',
          `${other(req.protocol).toUpperCase()} ${port} (the companion port) is mapped to ${companion.internalClient}`,
        );
      }
    }
    const res = forwards.add(
      {
        protocol: req.protocol,
        externalPort: port,
        internalClient: req.internalClient,
        internalPort: req.internalPort,
        remoteHost,
        description: (req.description ?? '').slice(0, this.#config.policy.maxDescription),
        leaseSeconds: lifetime,
        origin: req.origin,
        owner: req.requester,
        ...(req.nonce !== undefined ? { nonce: req.nonce } : {}),
        ...(req.filters !== undefined ? { filters: req.filters } : {}),
      },
      now,
    );
    if (res.ok) return { ok: true, mapping: res.entry, refreshed: res.replaced !== undefined };
    switch (res.conflict.reason) {
      case 'reserved-port':
        return refuse('reserved-port', res.conflict.message);
      case 'table-full':
        return refuse('no-resources', res.conflict.message);
      case 'held-by-dynamic-mapping':
        return refuse('held-by-session', res.conflict.message);
      default:
        return refuse('held-by-other-client', res.conflict.message);
    }
  }

  /** Tries port+1, port+2 … wrapping to 1, until back at `port` (miniupnpd's NAT-PMP search). */
  #ascending(req: MappingRequest, first: number, firstResult: MappingResult, attempt: (port: number) => MappingResult): MappingResult {
    let anyPermitted = firstResult.ok || firstResult.refusal !== 'denied-by-rule';
    for (let port = first === 65535 ? 1 : first + 1; port !== first; port = port === 65535 ? 1 : port + 1) {
      if (!this.permitted(port, req.internalClient, req.internalPort)) continue;
      anyPermitted = true;
      const r = attempt(port);
      if (r.ok || FINAL.has(r.refusal) || r.refusal === 'invalid-internal-port') return r;
    }
    return anyPermitted
      ? refuse('ports-exhausted', 'every allowed port is taken')
      : refuse('denied-by-rule', `permission rules deny every external port for ${req.internalClient}:${req.internalPort}`);
  }

  /** Tries +1, −1, +2, −2 … around `port`, skipping ports the rules deny, as miniupnpd does. */
  #search(req: MappingRequest, port: number, attempt: (port: number) => MappingResult): MappingResult {
    let below = port;
    let above = port;
    for (;;) {
      if (below <= 1 && above === 65535) return refuse('ports-exhausted', 'every port is taken or denied');
      if (above === 65535 || (port > below && below > 1)) port = --below;
      else port = ++above;
      if (!this.permitted(port, req.internalClient, req.internalPort)) continue;
      const r = attempt(port);
      if (r.ok || FINAL.has(r.refusal)) return r;
    }
  }
}

/**
 * The lifetime granted for a requested one under a rule (0 = permanent; `pcp` bounds
 * 'pcp-clamped', the router policy's `natpmpLifetime` bounds 'natpmp-clamped').
 */
export function grantedLifetime(
  requested: number,
  rule: LifetimeRule,
  pcp?: Pick<PcpPolicy, 'minLifetime' | 'maxLifetime'>,
  policy?: Pick<RouterPolicy, 'natpmpLifetime'>,
): number {
  switch (rule) {
    case 'natpmp-clamped': {
      const b = policy?.natpmpLifetime;
      return b ? Math.min(b.max, Math.max(b.min, requested)) : requested;
    }
    case 'pcp-clamped': {
      const b = pcp ?? pcpPolicyOf({});
      return Math.min(b.maxLifetime, Math.max(b.minLifetime, requested));
    }
    case 'as-requested':
      return requested;
    case 'week-clamped':
      return requested === 0 || requested > IGD2_MAX_LEASE_SECONDS ? IGD2_MAX_LEASE_SECONDS : requested;
    case 'zero-is-week':
      return requested === 0 ? IGD2_MAX_LEASE_SECONDS : requested;
  }
}
