/**
 * What the UPnP layer needs from a router, and the shapes it reports. `Router` (src/nat/router.ts)
 * satisfies {@link UpnpRouter} structurally; tests may also pass a small object with a real
 * `ForwardTable`.
 */
import type { ModelEvents } from '../nat/events.js';
import type { ForwardTable } from '../nat/forward-table.js';
import type { MappingService } from '../nat/mapping-service.js';

/** The members of a router that the UPnP IGD uses. */
export interface UpnpRouter {
  readonly id: string;
  readonly lanPrefix: { readonly addr: number; readonly len: number };
  /** The router's own LAN address, e.g. `192.168.1.1`. */
  readonly lanAddressText: string;
  /** External address as text (may be a reserved 100.64/10 address behind a carrier NAT). */
  readonly wanAddress: string;
  /** False while the WAN is disconnected. */
  readonly wanUp: boolean;
  /** False for a plain router (no NAT). */
  readonly natEnabled: boolean;
  /** THE mapping table: UPnP mappings are entries with origin 'upnp'. */
  readonly forwards: ForwardTable;
  /** The router's mapping service: the only writer of UPnP/NAT-PMP/PCP mappings. */
  readonly mappings: MappingService;
  /** The model's event stream (mapping and WAN changes drive GENA). */
  readonly events: ModelEvents;
  /** WAN-side traffic counters. */
  readonly counters: {
    readonly bytesSent: number;
    readonly bytesReceived: number;
    readonly packetsSent: number;
    readonly packetsReceived: number;
  };
  /** Start time in ms on the injected clock (uptime origin). */
  readonly startedAt: number;
  /** Expires forward leases and dynamic mappings due at `now`. */
  expire(now: number): void;
}

/** Who sent a request, after the loopback rule (see `createUpnpApp`). */
export interface ClientInfo {
  /** The requester as the router sees it: a LAN address (dotted quad). */
  readonly address: string;
  /** The TCP peer address of the connection (e.g. `127.0.0.1`). */
  readonly peer: string;
  /** True when the peer is a loopback address mapped onto `address`. */
  readonly loopback: boolean;
  /** The request's User-Agent, if any. */
  readonly userAgent?: string;
}

/**
 * Something that happened in the UPnP layer, for logs, traces and the UI. Mapping changes are the
 * model's events (`router.events`: mapping-created, mapping-removed …), not the UPnP layer's.
 */
export type UpnpEvent =
  | { readonly type: 'soap-request'; readonly action: string; readonly serviceType: string; readonly client: string; readonly peer: string }
  | {
      readonly type: 'fault';
      readonly action: string;
      readonly code: number;
      readonly description: string;
      readonly detail?: string;
      readonly client: string;
    }
  | { readonly type: 'refused'; readonly peer: string; readonly method: string; readonly path: string; readonly reason: string }
  | {
      readonly type: 'subscribe' | 'renew' | 'unsubscribe';
      readonly sid: string;
      readonly path: string;
      readonly peer: string;
      readonly callback?: string;
    }
  | {
      readonly type: 'subscription-refused';
      readonly path: string;
      readonly peer: string;
      readonly status: number;
      readonly reason: string;
    }
  | {
      readonly type: 'notify';
      readonly sid: string;
      readonly seq: number;
      readonly url: string;
      readonly ok: boolean;
      readonly error?: string;
    };
