/**
 * One simulated IGD, independent of HTTP: configuration, SOAP control, descriptions and GENA.
 * `createUpnpApp` (app.ts) puts it behind express; tests may drive it directly.
 */
import { UPNP_ERROR } from '../constants.js';
import { formatIPv4, inPrefix, nthAddress, parseIPv4 } from '../nat/address.js';
import { type Rng, SeededRng } from '../nat/clock.js';
import type { ModelEventMap } from '../nat/events.js';
import { ALL_ACTIONS, type ControlResult, defaultConnectionService, executeAction, fault } from './actions.js';
import {
  type ActionCall,
  type ControlConfig,
  reportedExternalAddress,
  UPNP_VISIBLE_ORIGINS,
  visibleEntries,
  wanConnected,
} from './control-context.js';
import {
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
import { UpnpError } from './errors.js';
import { type DeliverFn, type GenaLimits, GenaPublisher, type GenaService } from './gena.js';
import { DEFAULT_PROFILE, type RouterProfile, routerProfile } from './profiles.js';
import { DEFAULT_BODY_LIMIT, DEFAULT_CONFIG_ID, DEFAULT_LINK_BITRATE, UPNP_PATHS } from './soap-constants.js';
import type { ClientInfo, UpnpEvent, UpnpRouter } from './types.js';
import { parseSoapActionHeader, parseSoapBody } from './xml.js';

/** Options of one IGD (see also the HTTP options of `createUpnpApp`). */
export interface UpnpServiceOptions {
  readonly router: UpnpRouter;
  /** Time source in ms (leases, uptime, subscriptions). */
  readonly clock: { now(): number };
  /** IGD version; default: the profile's (miniupnpd: 2). */
  readonly igdVersion?: 1 | 2;
  /** A profile or its name in `ROUTER_PROFILES` (default `miniupnpd`). */
  readonly profile?: RouterProfile | string;
  /**
   * The next three are the router's mapping settings (`router.mappings`), set there when given
   * here; absent, the router's stay. Clients may map only their own address (router default true,
   * as miniupnpd).
   */
  readonly secureMode?: boolean;
  /** miniupnpd.conf permission rules, e.g. `allow 1024-65535 192.168.1.0/24 1024-65535`. */
  readonly permissions?: readonly string[];
  /**
   * Accept mappings and report the address when the WAN address is reserved (RFC 1918,
   * 100.64/10 …). Router default true, so a carrier-NAT scenario shows a working-looking but
   * useless mapping; false behaves like miniupnpd without ext_ip/STUN: empty external address,
   * 501 on add.
   */
  readonly allowReservedWan?: boolean;
  /** Root device UUID (with or without `uuid:`); default derived from the router id. */
  readonly uuid?: string;
  /** Shortcut for `deviceInfo.friendlyName`. */
  readonly friendlyName?: string;
  /** Overrides of the root device's fields. */
  readonly deviceInfo?: Partial<DeviceInfo>;
  /**
   * `<URLBase>`: omitted by default, like miniupnpd 2.x. A string is used as is; `true` gives
   * `http://<router LAN address>:<httpPort>/`.
   */
  readonly urlBase?: string | boolean;
  /** The HTTP port the gateway serves this IGD on (for `urlBase: true`; default 80). */
  readonly httpPort?: number;
  /** `configId` of the root description (default 1337, as miniupnpd). */
  readonly configId?: number;
  /** Source of AddAnyPortMapping's random port (default: seeded from the router id). */
  readonly rng?: Rng;
  /** NOTIFY delivery; without it events are computed and dropped. */
  readonly deliver?: DeliverFn;
  /** GENA SID source (default: random UUIDs from node:crypto; a sequence in tests). */
  readonly newSid?: () => string;
  /** GENA limits (default GENA_LIMITS in soap-constants.ts). */
  readonly genaLimits?: Partial<GenaLimits>;
  /** Observer of requests, faults, mapping changes, subscriptions. */
  readonly onEvent?: (e: UpnpEvent) => void;
  /** Largest SOAP body in bytes (default 64 KiB). */
  readonly bodyLimit?: number;
  /** Link rates reported by GetCommonLinkProperties (default 1 Gbit/s both ways). */
  readonly bitrates?: { readonly up: number; readonly down: number };
}

/** What the SSDP layer needs to advertise this IGD. */
export interface UpnpIdentity {
  readonly rootUdn: string;
  readonly wanDeviceUdn: string;
  readonly wanConnectionDeviceUdn: string;
  readonly igdVersion: 1 | 2;
  readonly server: string;
  readonly configId: number;
  readonly descriptionPath: string;
  readonly ssdp: RouterProfile['ssdp'];
}

/** A control request as the HTTP layer hands it over. */
export interface ControlRequest {
  /** SOAPACTION header value (undefined when absent). */
  readonly soapAction: string | undefined;
  readonly body: string;
  readonly client: ClientInfo;
  readonly path: string;
}

/** A control response: 400 (HTML, no SOAPACTION), 413, or a SOAP reply/fault. */
export interface ControlResponse extends Omit<ControlResult, 'status'> {
  readonly status: 200 | 400 | 413 | 500;
  readonly contentType: 'text/xml; charset="utf-8"' | 'text/html';
}

/** Hashes a string to a 32-bit seed. */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The default LAN address a loopback requester stands for: the router's LAN address + 1. */
export function defaultLoopbackClient(router: UpnpRouter): string {
  const own = parseIPv4(router.lanAddressText);
  const next = (own + 1) >>> 0;
  const broadcast = (router.lanPrefix.addr + 2 ** (32 - router.lanPrefix.len) - 1) >>> 0;
  if (inPrefix(next, router.lanPrefix) && next !== broadcast) return formatIPv4(next);
  return formatIPv4(nthAddress(router.lanPrefix, own === nthAddress(router.lanPrefix, 1) ? 2 : 1));
}

/** One IGD. */
export class UpnpService {
  readonly config: ControlConfig;
  readonly profile: RouterProfile;
  readonly gena: GenaPublisher;
  readonly udns: DeviceUdns;
  readonly deviceInfo: DeviceInfo;
  readonly configId: number;
  readonly urlBase: string | undefined;
  readonly bodyLimit: number;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(options: UpnpServiceOptions) {
    const router = options.router;
    this.profile = typeof options.profile === 'string' ? routerProfile(options.profile) : (options.profile ?? DEFAULT_PROFILE);
    const igdVersion = options.igdVersion ?? this.profile.igdVersion;
    this.udns = deriveUdns(options.uuid ?? uuidFromSeed(`natsim-igd:${router.id}`));
    this.deviceInfo = {
      ...defaultDeviceInfo(router.lanAddressText),
      ...(options.friendlyName !== undefined ? { friendlyName: options.friendlyName } : {}),
      ...options.deviceInfo,
    };
    this.configId = options.configId ?? DEFAULT_CONFIG_ID;
    this.urlBase =
      typeof options.urlBase === 'string'
        ? options.urlBase
        : options.urlBase === true
          ? `http://${router.lanAddressText}:${options.httpPort ?? 80}/`
          : undefined;
    this.bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
    const rng = options.rng ?? new SeededRng(seedOf(router.id));
    const onEvent = options.onEvent;
    // The profile's router half and any mapping settings given here are the router's policy.
    router.mappings.configure({
      policy: this.profile.router,
      ...(options.secureMode !== undefined ? { secureMode: options.secureMode } : {}),
      ...(options.permissions !== undefined ? { permissions: options.permissions } : {}),
      ...(options.allowReservedWan !== undefined ? { allowReservedWan: options.allowReservedWan } : {}),
    });
    this.config = {
      router,
      clock: options.clock,
      rng,
      igdVersion,
      profile: this.profile,
      udns: this.udns,
      bitrates: options.bitrates ?? { up: DEFAULT_LINK_BITRATE, down: DEFAULT_LINK_BITRATE },
      emit: (e) => onEvent?.(e),
    };
    this.gena = new GenaPublisher({
      clock: options.clock,
      ...(options.newSid ? { newSid: options.newSid } : {}),
      ...(options.genaLimits ? { limits: options.genaLimits } : {}),
      properties: (s) => this.properties(s),
      ...(options.deliver ? { deliver: options.deliver } : {}),
      ...(onEvent ? { emit: onEvent } : {}),
    });
    // GENA is a subscriber of the model's events (only this router's).
    const mine = (e: { router: string }): boolean => e.router === router.id;
    const tableChanged = (e: ModelEventMap['mapping-created' | 'mapping-removed' | 'mapping-expired']): void => {
      if (mine(e) && UPNP_VISIBLE_ORIGINS.has(e.origin)) this.gena.notify('WANIPConnection');
    };
    const ev = router.events;
    this.#unsubscribe.push(
      ev.on('mapping-created', tableChanged),
      ev.on('mapping-removed', tableChanged),
      ev.on('mapping-expired', tableChanged),
      ev.on('wan-address-changed', (e) => {
        if (mine(e)) this.gena.notify('WANIPConnection');
      }),
      ev.on('wan-status-changed', (e) => {
        if (!mine(e)) return;
        this.gena.notify('WANIPConnection');
        this.gena.notify('WANCommonInterfaceConfig');
      }),
    );
  }

  /** IGD version served. */
  get igdVersion(): 1 | 2 {
    return this.config.igdVersion;
  }

  /** What SSDP advertises. */
  get identity(): UpnpIdentity {
    return {
      rootUdn: this.udns.root,
      wanDeviceUdn: this.udns.wanDevice,
      wanConnectionDeviceUdn: this.udns.wanConnectionDevice,
      igdVersion: this.igdVersion,
      server: this.profile.serverString,
      configId: this.configId,
      descriptionPath: UPNP_PATHS.rootDesc,
      ssdp: this.profile.ssdp,
    };
  }

  /** Evented variables of a service (miniupnpd's getVars*: ExternalIPAddress is 0.0.0.0 when unknown). */
  properties(service: GenaService): Array<[string, string]> {
    const cfg = this.config;
    switch (service) {
      case 'WANIPConnection': {
        const props: Array<[string, string]> = [
          ['PossibleConnectionTypes', 'IP_Routed'],
          ['ConnectionStatus', wanConnected(cfg) ? 'Connected' : 'Disconnected'],
          ['ExternalIPAddress', reportedExternalAddress(cfg) || '0.0.0.0'],
          ['PortMappingNumberOfEntries', String(visibleEntries(cfg, cfg.clock.now()).length)],
        ];
        if (cfg.igdVersion === 2) props.push(['SystemUpdateID', '1']);
        return props;
      }
      case 'WANCommonInterfaceConfig':
        return [['PhysicalLinkStatus', wanConnected(cfg) ? 'Up' : 'Down']];
      case 'Layer3Forwarding':
        return [['DefaultConnectionService', defaultConnectionService(cfg)]];
    }
  }

  /** The description served at `path` (case-insensitive, as miniupnpd), or undefined. */
  description(path: string, userAgent = ''): string | undefined {
    const forceIgd1 =
      this.igdVersion === 2 && this.profile.forceIgd1ForMicrosoft && (/microsoft/i.test(userAgent) || userAgent.includes('FDSSDP'));
    switch (path.toLowerCase()) {
      case UPNP_PATHS.rootDesc.toLowerCase():
        return rootDescription(
          {
            igdVersion: this.igdVersion,
            udns: this.udns,
            info: this.deviceInfo,
            configId: this.configId,
            ...(this.urlBase !== undefined ? { urlBase: this.urlBase } : {}),
          },
          forceIgd1,
        );
      case UPNP_PATHS.wanIpcScpd.toLowerCase():
        return wanIpConnectionScpd(this.igdVersion, forceIgd1);
      case UPNP_PATHS.wanCfgScpd.toLowerCase():
        return wanCommonInterfaceConfigScpd();
      case UPNP_PATHS.l3fScpd.toLowerCase():
        return layer3ForwardingScpd();
      default:
        return undefined;
    }
  }

  /**
   * Handles a SOAP request. No SOAPACTION: 400 (miniupnpd's "Bad request"); a SOAPACTION without
   * `#` or an unknown action: 401; a body that is not acceptable XML (malformed, DOCTYPE, too deep)
   * for a known action: 402; too large: 413. Never throws.
   */
  control(req: ControlRequest): ControlResponse {
    const xml = 'text/xml; charset="utf-8"' as const;
    if (req.soapAction === undefined) {
      return { status: 400, contentType: 'text/html', body: '<html><body>Bad request</body></html>' };
    }
    const header = parseSoapActionHeader(req.soapAction);
    const action = header?.action ?? '';
    const base = { action, client: req.client };
    if (!header)
      return { ...fault(this.config, base, new UpnpError(UPNP_ERROR.InvalidAction, 'cannot parse SOAPACTION')), contentType: xml };
    const parsed = parseSoapBody(req.body, { maxBytes: this.bodyLimit });
    if (!parsed.ok) {
      if (parsed.error === 'too-large') {
        return {
          status: 413,
          contentType: 'text/html',
          body: httpErrorPage(413, 'Request Entity Too Large', 'The request body is too large.'),
        };
      }
      const known = Object.hasOwn(ALL_ACTIONS, action);
      const err = known
        ? new UpnpError(UPNP_ERROR.InvalidArgs, `body refused (${parsed.error}): ${parsed.message}`)
        : new UpnpError(UPNP_ERROR.InvalidAction, `unknown action "${action}"`);
      return { ...fault(this.config, base, err), contentType: xml };
    }
    const call: ActionCall = {
      action,
      serviceType: header.serviceType,
      args: parsed.body.args,
      client: req.client,
      path: req.path,
    };
    const r = executeAction(this.config, call);
    return r.error
      ? { status: r.status, body: r.body, error: r.error, contentType: xml }
      : { status: r.status, body: r.body, contentType: xml };
  }

  /** Stops listening to the router and drops subscriptions. */
  close(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    this.gena.clear();
  }
}

/** A minimal HTML error page in miniupnpd's style. */
export function httpErrorPage(status: number, title: string, text: string): string {
  return `<HTML><HEAD><TITLE>${status} ${title}</TITLE></HEAD><BODY><H1>${title}</H1>${text}</BODY></HTML>\r\n`;
}
