/**
 * What `natsim serve` prints while it runs, on stdout after the ready line: by default one
 * readable line per change of the served router's mappings and WAN, and per fault; with
 * `verbose` also every SSDP search and every UPnP exchange (SOAP request, subscription, event
 * notification, refused request), each once; with `json` the same events as JSON lines. With
 * `nameRouter` (several routers served) every readable line names its router (`natsim: home-b:
 * mapping created …`) and every JSON line has a `router` field.
 */
import type { GatewayEvents, GatewayHandle } from '../gateway/start-gateway.js';
import { mappingView } from '../gateway/start-gateway.js';
import type { MappingEvent, WanAddressEvent, WanStatusEvent } from '../nat/events.js';
import type { UpnpEvent } from '../soap/types.js';

/** How much to print, and in which shape. */
export interface ServeLogOptions {
  readonly json?: boolean;
  readonly verbose?: boolean;
  /** Where lines go (default: stdout). */
  readonly write?: (line: string) => void;
  /** Time source for JSON lines (default Date.now). */
  readonly now?: () => number;
  /** Name the router in every line (when several routers share the output). */
  readonly nameRouter?: boolean;
}

/** What the log reads from a served router's handle. */
export type LogHandle = Pick<GatewayHandle, 'routerId' | 'clock' | 'events'>;

function mappingText(e: MappingEvent, m: ReturnType<typeof mappingView>): string {
  const lease = e.type === 'mapping-created' || e.type === 'mapping-refreshed';
  return (
    `${e.type.replace('-', ' ')} ${m.protocol} ${m.remoteHost ? `from ${m.remoteHost} ` : ''}${m.externalPort} → ${m.internalClient}:${m.internalPort}` +
    ` (${lease ? (m.leaseDuration ? `lease ${m.leaseDuration} s, ` : 'permanent, ') : ''}${m.description ? `"${m.description}", ` : ''}${m.origin})`
  );
}

/** The readable line of a UPnP event, or undefined for those the model's events already cover. */
function upnpText(e: UpnpEvent): string | undefined {
  switch (e.type) {
    case 'fault':
      return `fault ${e.code} ${e.description} for ${e.action} from ${e.client}${'injected' in e && e.injected ? ' (injected)' : ''}`;
    case 'soap-request':
      return `SOAP ${e.action} from ${e.client}`;
    case 'refused':
      return `refused ${e.method} ${e.path} from ${e.peer}: ${e.reason}`;
    case 'subscribe':
    case 'renew':
    case 'unsubscribe':
      return `GENA ${e.type} ${e.path} from ${e.peer} (${e.sid})`;
    case 'subscription-refused':
      return `GENA subscription to ${e.path} from ${e.peer} refused (${e.status}): ${e.reason}`;
    case 'notify':
      return `GENA event #${e.seq} to ${e.url}${e.ok ? '' : ` failed: ${e.error ?? 'no answer'}`}`;
    default:
      return undefined;
  }
}

/** Subscribes to the gateway's events and prints them; returns the unsubscribe function. */
export function attachServeLog(gw: LogHandle, options: ServeLogOptions = {}): () => void {
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const prefix = options.nameRouter ? `natsim: ${gw.routerId}: ` : 'natsim: ';
  const named = options.nameRouter ? { router: gw.routerId } : {};
  const clock = options.now ?? Date.now;
  // Under load many lines share a millisecond: its ISO text is made once.
  let lastMs = Number.NaN;
  let lastIso = '';
  const time = (): string => {
    const ms = clock();
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
    }
    return lastIso;
  };
  const print = (event: string, text: string, fields: object): void =>
    write(options.json ? JSON.stringify({ event, time: time(), ...named, ...fields }) : `${prefix}${text}`);
  const onMapping = (e: MappingEvent): void => {
    if (e.router !== gw.routerId) return;
    const m = mappingView(e.mapping, gw.clock.now());
    // One line per mapping change, so the cheap shape: the text only when it is printed.
    if (options.json) write(JSON.stringify({ event: e.type, time: time(), router: e.router, ...m }));
    else write(`${prefix}${mappingText(e, m)}`);
  };
  const handlers: { [K in keyof GatewayEvents]?: (...args: GatewayEvents[K]) => void } = {
    'mapping-created': onMapping,
    'mapping-refreshed': onMapping,
    'mapping-removed': onMapping,
    'mapping-expired': onMapping,
    'wan-address-changed': (e: WanAddressEvent) => {
      if (e.router === gw.routerId)
        print(e.type, `WAN address changed from ${e.old} to ${e.address}`, { router: e.router, old: e.old, address: e.address });
    },
    'wan-status-changed': (e: WanStatusEvent) => {
      if (e.router === gw.routerId) print(e.type, `WAN ${e.up ? 'up' : 'down'}`, { router: e.router, up: e.up });
    },
    upnp: (e: UpnpEvent) => {
      if (e.type !== 'fault' && !options.verbose) return;
      const text = upnpText(e);
      if (text !== undefined) print(e.type, text, e);
    },
    'ssdp-search': (e) => {
      if (!options.verbose) return;
      const outcome = e.ignored
        ? `ignored (${e.ignored}${e.detail ? `: ${e.detail}` : ''})`
        : `${e.answered} ${e.answered === 1 ? 'reply' : 'replies'}`;
      print('ssdp-search', `M-SEARCH ${e.st ?? '(no ST)'} from ${e.from.address}:${e.from.port} (${e.via}) → ${outcome}`, {
        st: e.st,
        from: `${e.from.address}:${e.from.port}`,
        via: e.via,
        answered: e.answered,
        ...(e.ignored ? { ignored: e.ignored } : {}),
      });
    },
  };
  const entries = Object.entries(handlers) as Array<[keyof GatewayEvents, (...args: never[]) => void]>;
  for (const [name, fn] of entries) gw.events.on(name, fn as never);
  return () => {
    for (const [name, fn] of entries) gw.events.off(name, fn as never);
  };
}
