/**
 * The simulation's UPnP client: a host asks its router's IGD — the same `UpnpService` that
 * `natsim serve` puts behind HTTP — with real SOAP bodies, in process. It never writes the
 * forward table itself, so `natsim run` and `natsim serve` give the same answers.
 */
import type { Network } from '../nat/network.js';
import {
  addPortMappingRequest,
  getExternalIPAddressRequest,
  type PortMappingArgs,
  readSoapReply,
  type SoapReply,
  type SoapRequest,
} from '../soap/client-requests.js';
import { UpnpService } from '../soap/service.js';
import { UPNP_PATHS } from '../soap/soap-constants.js';
import type { ScenarioConfig } from './schema.js';

/** One IGD per router and network (checks played with `after` share a network, and so its IGDs). */
const IGDS = new WeakMap<Network, Map<string, UpnpService>>();

/** The IGD of router `rid` as the scenario describes it (its profile), created on first use. */
export function igdOf(net: Network, config: ScenarioConfig, rid: string): UpnpService {
  let byRouter = IGDS.get(net);
  if (!byRouter) IGDS.set(net, (byRouter = new Map()));
  let igd = byRouter.get(rid);
  if (!igd) {
    igd = new UpnpService({ router: net.router(rid), clock: net.clock, profile: config.routers[rid]?.profile ?? 'miniupnpd' });
    byRouter.set(rid, igd);
  }
  return igd;
}

/** A control point on one LAN host, talking to one IGD. */
export class InProcessUpnpClient {
  readonly serviceType: string;

  constructor(
    readonly igd: UpnpService,
    readonly address: string,
  ) {
    this.serviceType = `urn:schemas-upnp-org:service:WANIPConnection:${igd.igdVersion}`;
  }

  /** Sends one request and reads the reply. */
  send(req: SoapRequest): SoapReply {
    const r = this.igd.control({
      ...req,
      client: { address: this.address, peer: this.address, loopback: false },
      path: UPNP_PATHS.wanIpcControl,
    });
    return readSoapReply(r.status, r.body);
  }

  /** GetExternalIPAddress: the address, '' when the IGD reports none, or the fault. */
  externalAddress(): { ok: true; address: string } | Extract<SoapReply, { ok: false }> {
    const r = this.send(getExternalIPAddressRequest(this.serviceType));
    return r.ok ? { ok: true, address: r.args.get('NewExternalIPAddress') ?? '' } : r;
  }

  /** AddPortMapping. */
  addPortMapping(m: PortMappingArgs): SoapReply {
    return this.send(addPortMappingRequest(this.serviceType, m));
  }
}

/** A fault as the simulation reports it, e.g. `718 ConflictInMappingEntry`. */
export function faultText(r: Extract<SoapReply, { ok: false }>): string {
  return `${r.code} ${r.description}`;
}
