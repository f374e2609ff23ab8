/** Shared fixtures of the SOAP tests: a network with one router, an IGD, and a SOAP caller. */
import { FakeClock, SeededRng } from '../../src/nat/clock.js';
import type { ModelEvent } from '../../src/nat/events.js';
import { Network } from '../../src/nat/network.js';
import type { RouterConfig } from '../../src/nat/router.js';
import { type ControlResponse, UpnpService, type UpnpServiceOptions } from '../../src/soap/service.js';
import type { ClientInfo, UpnpEvent, UpnpRouter } from '../../src/soap/types.js';

export const IPC1 = 'urn:schemas-upnp-org:service:WANIPConnection:1';
export const IPC2 = 'urn:schemas-upnp-org:service:WANIPConnection:2';
export const CFG = 'urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1';
export const L3F = 'urn:schemas-upnp-org:service:Layer3Forwarding:1';

/** A public WAN address (not in any reserved range). */
export const PUBLIC_WAN = '81.2.69.160';

export interface Fixture {
  readonly clock: FakeClock;
  readonly network: Network;
  readonly router: ReturnType<Network['addRouter']>;
  readonly igd: UpnpService;
  readonly events: UpnpEvent[];
  /** The model's events (router.events), in order. */
  readonly modelEvents: ModelEvent[];
}

export function makeFixture(options: Partial<UpnpServiceOptions> = {}, routerConfig: Partial<RouterConfig> = {}): Fixture {
  const clock = new FakeClock(1_000_000);
  const network = new Network({ clock, rng: new SeededRng(7) });
  const router = network.addRouter({ id: 'r1', wan: PUBLIC_WAN, lan: '192.168.1.0/24', ...routerConfig });
  // The real Router must satisfy the IGD's structural interface.
  const asUpnp: UpnpRouter = router;
  const events: UpnpEvent[] = [];
  const igd = new UpnpService({ router: asUpnp, clock, rng: new SeededRng(3), onEvent: (e) => events.push(e), ...options });
  const modelEvents: ModelEvent[] = [];
  network.events.onAny((e) => modelEvents.push(e));
  return { clock, network, router, igd, events, modelEvents };
}

export function client(address = '192.168.1.20'): ClientInfo {
  return { address, peer: address, loopback: false };
}

/** Builds a SOAP request body as clients send it. */
export function soapBody(action: string, serviceType: string, args: Record<string, string | number> = {}, prefix = 'u'): string {
  const inner = Object.entries(args)
    .map(([k, v]) => `<${k}>${v}</${k}>`)
    .join('');
  const p = prefix ? `${prefix}:` : '';
  const xmlns = prefix ? `xmlns:${prefix}` : 'xmlns';
  return (
    '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' +
    's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>' +
    `<${p}${action} ${xmlns}="${serviceType}">${inner}</${p}${action}></s:Body></s:Envelope>\r\n`
  );
}

export interface CallResult extends ControlResponse {
  /** UPnP error code of a fault. */
  readonly code: number | undefined;
  /** Value of an output argument. */
  arg(name: string): string | undefined;
}

/** Invokes an action on the IGD directly (no HTTP). */
export function call(
  igd: UpnpService,
  action: string,
  args: Record<string, string | number> = {},
  opts: { serviceType?: string; from?: ClientInfo; path?: string } = {},
): CallResult {
  const serviceType = opts.serviceType ?? (igd.igdVersion === 2 ? IPC2 : IPC1);
  const r = igd.control({
    soapAction: `"${serviceType}#${action}"`,
    body: soapBody(action, serviceType, args),
    client: opts.from ?? client(),
    path: opts.path ?? '/ctl/IPConn',
  });
  const m = /<errorCode>(\d+)<\/errorCode>/.exec(r.body);
  return {
    ...r,
    code: m ? Number(m[1]) : undefined,
    arg: (name: string) => {
      const a = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(r.body);
      return a ? a[1] : undefined;
    },
  };
}

/** AddPortMapping arguments with defaults. */
export function mapping(over: Record<string, string | number> = {}): Record<string, string | number> {
  return {
    NewRemoteHost: '',
    NewExternalPort: 5000,
    NewProtocol: 'UDP',
    NewInternalPort: 5000,
    NewInternalClient: '192.168.1.20',
    NewEnabled: 1,
    NewPortMappingDescription: 'test',
    NewLeaseDuration: 3600,
    ...over,
  };
}
