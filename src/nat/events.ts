/**
 * The model's one event stream: every change of a mapping table, NAT session, packet and WAN
 * address is published here under one name with one shape. A {@link Network} owns one stream
 * that all its routers publish on (`net.events`); a router built on its own has its own
 * (`router.events`). Protocol layers (GENA, the gateway handle's `events`, later NAT-PMP/PCP
 * announcements and lease files) are subscribers; nothing in the model calls them directly.
 */
import type { ForwardEntry, ForwardOrigin } from './forward-table.js';
import type { MappingInfo } from './nat-table.js';
import type { Packet } from './packet.js';
import type { Hop, ReasonCode } from './trace.js';

/** Fields every event carries. */
interface Base {
  /** The router the event happened at. */
  readonly router: string;
  /** Model time in ms. */
  readonly at: number;
}

/** A port mapping (forward-table entry) was created, refreshed, removed or ran out. */
export interface MappingEvent<T extends MappingEventType = MappingEventType> extends Base {
  readonly type: T;
  /** The entry (for `refreshed`, the new one that took the old one's place). */
  readonly mapping: ForwardEntry;
  /** Which mechanism made it: upnp, natpmp, pcp, static, alg, pinhole. */
  readonly origin: ForwardOrigin;
}
export type MappingEventType = 'mapping-created' | 'mapping-refreshed' | 'mapping-removed' | 'mapping-expired';

/** A NAT session (dynamic translation created by outbound traffic) began or ended. */
export interface SessionEvent<T extends 'session-created' | 'session-expired' = 'session-created' | 'session-expired'> extends Base {
  readonly type: T;
  readonly session: MappingInfo;
  /** Why it ended: its timer ran out, or the table was cleared (WAN address change, reset). */
  readonly reason?: 'expired' | 'cleared';
}

/** A packet sent through the network reached a host or a router, or was dropped. */
export interface PacketEvent<T extends 'packet-delivered' | 'packet-dropped' = 'packet-delivered' | 'packet-dropped'> extends Base {
  readonly type: T;
  /** Host id the packet was sent from. */
  readonly from: string;
  /** Host id (or `router:<id>`) it was delivered to. */
  readonly to?: string;
  /** The packet as it arrived, or as it was when dropped. */
  readonly packet: Packet;
  /** The final hop (the dropping hop for drops); `router` is that hop's node. */
  readonly hop: Hop;
  /** The hop's reason code, e.g. `filtered`, `no-mapping`, `delivered`. */
  readonly reason: ReasonCode;
}

/** The router's primary WAN address changed. */
export interface WanAddressEvent extends Base {
  readonly type: 'wan-address-changed';
  readonly old: string;
  readonly address: string;
}

/** The router's WAN link went up or down. */
export interface WanStatusEvent extends Base {
  readonly type: 'wan-status-changed';
  readonly up: boolean;
}

/** The router restarted: its NAT sessions and dynamic port mappings are gone; static forwards stay. */
export interface RouterRebootedEvent extends Base {
  readonly type: 'router-rebooted';
  /** Dynamic port mappings (UPnP, NAT-PMP, PCP, ALG, pinholes) the reboot removed. */
  readonly mappingsLost: number;
  /** NAT sessions the reboot removed. */
  readonly sessionsLost: number;
}

/** Every event by name. */
export interface ModelEventMap {
  'mapping-created': MappingEvent<'mapping-created'>;
  'mapping-refreshed': MappingEvent<'mapping-refreshed'>;
  'mapping-removed': MappingEvent<'mapping-removed'>;
  'mapping-expired': MappingEvent<'mapping-expired'>;
  'session-created': SessionEvent<'session-created'>;
  'session-expired': SessionEvent<'session-expired'>;
  'packet-delivered': PacketEvent<'packet-delivered'>;
  'packet-dropped': PacketEvent<'packet-dropped'>;
  'wan-address-changed': WanAddressEvent;
  'wan-status-changed': WanStatusEvent;
  'router-rebooted': RouterRebootedEvent;
}

export type ModelEventName = keyof ModelEventMap;
export type ModelEvent = ModelEventMap[ModelEventName];

/** Every event name, in documentation order. */
export const MODEL_EVENT_NAMES: readonly ModelEventName[] = [
  'mapping-created',
  'mapping-refreshed',
  'mapping-removed',
  'mapping-expired',
  'session-created',
  'session-expired',
  'packet-delivered',
  'packet-dropped',
  'wan-address-changed',
  'wan-status-changed',
  'router-rebooted',
];

type Listener<K extends ModelEventName> = (e: ModelEventMap[K]) => void;

/**
 * A synchronous typed event stream. Listeners run in subscription order; one that throws does not
 * stop the others (the error is rethrown after all have run). `has()` lets hot paths skip
 * building an event nobody listens to.
 */
export class ModelEvents {
  readonly #byName = new Map<ModelEventName, Set<(e: ModelEvent) => void>>();
  readonly #any = new Set<(e: ModelEvent) => void>();

  /** Subscribes to one event; returns an unsubscribe function. */
  on<K extends ModelEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.#byName.get(name);
    if (!set) this.#byName.set(name, (set = new Set()));
    const l = listener as (e: ModelEvent) => void;
    set.add(l);
    return () => set.delete(l);
  }

  /** Subscribes to every event; returns an unsubscribe function. */
  onAny(listener: (e: ModelEvent) => void): () => void {
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  /** True when someone listens to `name`. */
  has(name: ModelEventName): boolean {
    return this.#any.size > 0 || (this.#byName.get(name)?.size ?? 0) > 0;
  }

  /** Publishes an event. */
  emit<K extends ModelEventName>(event: ModelEventMap[K] & { readonly type: K }): void {
    const named = this.#byName.get(event.type);
    if (!named?.size && this.#any.size === 0) return;
    let error: unknown;
    for (const l of [...(named ?? []), ...this.#any]) {
      try {
        l(event);
      } catch (e) {
        error ??= e;
      }
    }
    if (error !== undefined) throw error;
  }
}
