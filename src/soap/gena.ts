/**
 * GENA eventing (UDA 1.1 §4) as miniupnpd does it (upnphttp.c, upnpevents.c):
 *
 * - SUBSCRIBE with `NT: upnp:event` and `CALLBACK` creates a subscription; with `SID` only it
 *   renews one. CALLBACK and SID together: 400; neither: 412; a bad NT: 412; an unknown or
 *   expired SID: 412. UNSUBSCRIBE needs SID only (else 412 / 400).
 * - TIMEOUT `Second-N`: N below 1800 (or `infinite`, or absent) becomes 1800, as miniupnpd does for
 *   UDA 1.1; subscriptions expire on the injected clock.
 * - CallStranger (CVE-2020-12695): only callback URLs whose host is the subscriber's own address
 *   are used (WHATWG-parsed, userinfo refused: gena-callback.ts); when none is, 412.
 * - Renewal and UNSUBSCRIBE are accepted only from the subscriber's address (another host gets 412,
 *   as for an unknown SID). SIDs are random UUIDs (node:crypto; injectable for tests).
 * - Limits ({@link GENA_LIMITS}): subscriptions per subscriber address and in all (beyond: 503),
 *   NOTIFYs in flight at once (the rest queue, one entry per subscription at most). A change only
 *   queues; NOTIFYs start on the event loop's next turn, so a SOAP action's reply is never held
 *   up by the fan-out.
 * - The initial NOTIFY (SEQ 0) follows the SUBSCRIBE response; every later change sends the full
 *   set of evented variables with SEQ + 1: one event per change, with the values of that moment.
 *   Events to one subscriber go one at a time, in order; a change while its NOTIFY is in flight
 *   is sent once that one completes (miniupnpd drops it), from a bounded queue. A
 *   failed delivery drops the subscription (miniupnpd). UNSUBSCRIBE aborts a NOTIFY not yet
 *   written, and nothing is sent after it.
 *
 * Delivery goes through an injected `deliver(url, headers, body, signal)`, so tests need no
 * sockets; {@link httpDeliver} (gena-delivery.ts) sends real NOTIFY requests, one connection each.
 */
import { randomUUID } from 'node:crypto';
import { UPNP_EVENT_NS } from '../constants.js';
import { xmlEscape } from './errors.js';
import { normalizePeer, selectCallbackUrl } from './gena-callback.js';
import type { DeliverFn } from './gena-delivery.js';
import { GENA_LIMITS, GENA_MIN_TIMEOUT_SECONDS, GENA_SID_LENGTH, UPNP_PATHS } from './soap-constants.js';
import type { UpnpEvent } from './types.js';

export { checkCallbackUrl, normalizePeer, selectCallback, selectCallbackUrl } from './gena-callback.js';
export { type DeliverFn, httpDeliver } from './gena-delivery.js';

/** The services that send events. */
export type GenaService = 'WANIPConnection' | 'WANCommonInterfaceConfig' | 'Layer3Forwarding';

/** Event URL → service (miniupnpd's paths). */
export const DEFAULT_EVENT_PATHS: Readonly<Record<string, GenaService>> = {
  [UPNP_PATHS.wanIpcEvent]: 'WANIPConnection',
  [UPNP_PATHS.wanCfgEvent]: 'WANCommonInterfaceConfig',
  [UPNP_PATHS.l3fEvent]: 'Layer3Forwarding',
};

export interface GenaOptions {
  readonly clock: { now(): number };
  /** Source of SIDs (default: `uuid:` + node:crypto's randomUUID; inject a sequence in tests). */
  readonly newSid?: () => string;
  /** Limits (default {@link GENA_LIMITS}). */
  readonly limits?: Partial<GenaLimits>;
  /** Runs queued NOTIFY work later (default setImmediate: after the current request's reply). */
  readonly schedule?: (fn: () => void) => void;
  /** Evented variables of a service, in state-table order, as name → value. */
  readonly properties: (service: GenaService) => ReadonlyArray<readonly [string, string]>;
  /** Delivery of NOTIFY requests; without it, events are computed and dropped. */
  readonly deliver?: DeliverFn;
  readonly emit?: (e: UpnpEvent) => void;
  /** Event URL → service (default {@link DEFAULT_EVENT_PATHS}). */
  readonly eventPaths?: Readonly<Record<string, GenaService>>;
  /** Shortest subscription granted, seconds (default 1800). */
  readonly minTimeoutSeconds?: number;
  /** Longest subscription granted, seconds (default: no limit, like miniupnpd). */
  readonly maxTimeoutSeconds?: number;
}

/** The limits a publisher enforces. */
export interface GenaLimits {
  readonly perClient: number;
  readonly total: number;
  readonly concurrentNotify: number;
}

/** The GENA headers of a request (values as received; absent = undefined). */
export interface GenaRequest {
  readonly method: 'SUBSCRIBE' | 'UNSUBSCRIBE';
  readonly path: string;
  /** TCP peer address of the subscriber (callbacks must point at it). */
  readonly peer: string;
  readonly nt?: string | undefined;
  readonly callback?: string | undefined;
  readonly sid?: string | undefined;
  readonly timeout?: string | undefined;
}

/** What to answer. */
export interface GenaResponse {
  readonly status: 200 | 400 | 412 | 503;
  readonly statusText: string;
  /** Extra response headers (TIMEOUT, SID) in miniupnpd's spelling. */
  readonly headers: Readonly<Record<string, string>>;
  /** Call once the response is sent: starts the initial NOTIFY of a new subscription. */
  readonly afterResponse?: () => void;
}

/** A live subscription, for views and tests. */
export interface SubscriptionInfo {
  readonly sid: string;
  readonly service: GenaService;
  readonly path: string;
  readonly callback: string;
  readonly peer: string;
  /** Expiry in ms on the injected clock. */
  readonly expiresAt: number;
  /** SEQ of the next NOTIFY. */
  readonly seq: number;
}

interface Subscription {
  readonly sid: string;
  readonly service: GenaService;
  readonly path: string;
  readonly callback: string;
  readonly peer: string;
  expiresAt: number;
  seq: number;
  inFlight: boolean;
  /** Property sets waiting to be sent, oldest first (at most GENA_LIMITS.queuedEvents). */
  readonly queue: string[];
  removed: boolean;
  /** Aborts the NOTIFY in flight. */
  abort: AbortController | undefined;
}

/** The `<e:propertyset>` document of a NOTIFY. */
export function propertySet(props: ReadonlyArray<readonly [string, string]>): string {
  let out = `<e:propertyset xmlns:e="${UPNP_EVENT_NS}">`;
  for (const [name, value] of props) out += `<e:property><${name}>${xmlEscape(value)}</${name}></e:property>`;
  return `${out}</e:propertyset>`;
}

/** The GENA publisher of one IGD. */
export class GenaPublisher {
  readonly #opts: GenaOptions;
  readonly #subs = new Map<string, Subscription>();
  readonly #inFlight = new Set<Promise<void>>();
  /** Subscriptions with a NOTIFY to send, in order (at most one entry each). */
  readonly #ready = new Set<Subscription>();
  readonly #paths: Readonly<Record<string, GenaService>>;
  readonly #newSid: () => string;
  /** NOTIFYs in flight. */
  #active = 0;
  #pumpScheduled = false;
  readonly #schedule: (fn: () => void) => void;
  /** The limits in force. */
  readonly limits: GenaLimits;

  constructor(options: GenaOptions) {
    this.#opts = options;
    this.#paths = options.eventPaths ?? DEFAULT_EVENT_PATHS;
    this.#newSid = options.newSid ?? (() => `uuid:${randomUUID()}`);
    this.#schedule = options.schedule ?? ((fn) => void setImmediate(fn));
    this.limits = {
      perClient: options.limits?.perClient ?? GENA_LIMITS.perClient,
      total: options.limits?.total ?? GENA_LIMITS.total,
      concurrentNotify: options.limits?.concurrentNotify ?? GENA_LIMITS.concurrentNotify,
    };
  }

  /** The service of an event path (case-insensitive), if any. */
  serviceOf(path: string): GenaService | undefined {
    const lower = path.toLowerCase();
    for (const [p, s] of Object.entries(this.#paths)) if (p.toLowerCase() === lower) return s;
    return undefined;
  }

  /** Live subscriptions (expired ones are dropped first). */
  subscriptions(): SubscriptionInfo[] {
    this.expire();
    return [...this.#subs.values()].map((s) => ({
      sid: s.sid,
      service: s.service,
      path: s.path,
      callback: s.callback,
      peer: s.peer,
      expiresAt: s.expiresAt,
      seq: s.seq,
    }));
  }

  /** Drops subscriptions whose time is up (not while a NOTIFY is in flight, as miniupnpd). */
  expire(now = this.#opts.clock.now()): void {
    for (const s of this.#subs.values()) {
      if (now > s.expiresAt && !s.inFlight) this.#remove(s);
    }
  }

  /** Handles SUBSCRIBE / UNSUBSCRIBE. */
  handle(req: GenaRequest): GenaResponse {
    const now = this.#opts.clock.now();
    this.expire(now);
    return req.method === 'SUBSCRIBE' ? this.#subscribe(req, now) : this.#unsubscribe(req);
  }

  #refuse(req: GenaRequest, status: 400 | 412 | 503, reason: string): GenaResponse {
    this.#opts.emit?.({ type: 'subscription-refused', path: req.path, peer: req.peer, status, reason });
    const statusText = status === 400 ? 'Incompatible header fields' : status === 412 ? 'Precondition Failed' : 'Service Unavailable';
    return { status, statusText, headers: {} };
  }

  #timeout(header: string | undefined): number {
    let t = 0;
    if (header !== undefined) {
      const m = /^\s*Second-(\d+)/i.exec(header);
      if (m) t = Number(m[1]);
    }
    const min = this.#opts.minTimeoutSeconds ?? GENA_MIN_TIMEOUT_SECONDS;
    if (t < min) t = min;
    const max = this.#opts.maxTimeoutSeconds;
    if (max !== undefined && t > max) t = max;
    return t;
  }

  #subscribe(req: GenaRequest, now: number): GenaResponse {
    const hasCallback = req.callback !== undefined;
    const hasSid = req.sid !== undefined;
    if (!hasCallback && !hasSid) return this.#refuse(req, 412, 'neither CALLBACK nor SID');
    const timeout = this.#timeout(req.timeout);
    if (hasCallback) {
      if (hasSid) return this.#refuse(req, 400, 'both CALLBACK and SID');
      if (req.nt?.trim() !== 'upnp:event') return this.#refuse(req, 412, `NT is "${req.nt ?? ''}", not upnp:event`);
      const url = selectCallbackUrl(req.callback!, req.peer);
      if (!url) return this.#refuse(req, 412, `no callback URL on the subscriber's own address ${req.peer} (CallStranger protection)`);
      const callback = url.href;
      const service = this.serviceOf(req.path);
      if (!service) return this.#refuse(req, 412, `${req.path} is not an event URL`);
      const peer = normalizePeer(req.peer);
      if (this.#subs.size >= this.limits.total) return this.#refuse(req, 503, `${this.limits.total} subscriptions already (the limit)`);
      let mine = 0;
      for (const s of this.#subs.values()) if (s.peer === peer) mine++;
      if (mine >= this.limits.perClient)
        return this.#refuse(req, 503, `${peer} holds ${this.limits.perClient} subscriptions already (the limit per client)`);
      const sub: Subscription = {
        sid: this.#uniqueSid(),
        service,
        path: req.path,
        callback,
        peer,
        expiresAt: now + timeout * 1000,
        seq: 0,
        inFlight: false,
        queue: [],
        removed: false,
        abort: undefined,
      };
      this.#subs.set(sub.sid, sub);
      this.#opts.emit?.({ type: 'subscribe', sid: sub.sid, path: req.path, peer: req.peer, callback });
      return {
        status: 200,
        statusText: 'OK',
        headers: { Timeout: `Second-${timeout}`, SID: sub.sid },
        afterResponse: () => this.#send(sub, this.#body(service)),
      };
    }
    if (req.nt !== undefined) return this.#refuse(req, 400, 'both NT and SID');
    const sub = this.#find(req.sid!, req.peer);
    if (!sub) return this.#refuse(req, 412, `unknown or expired SID ${req.sid} (or not this subscriber's)`);
    sub.expiresAt = now + timeout * 1000;
    this.#opts.emit?.({ type: 'renew', sid: sub.sid, path: req.path, peer: req.peer });
    return { status: 200, statusText: 'OK', headers: { Timeout: `Second-${timeout}`, SID: sub.sid } };
  }

  #unsubscribe(req: GenaRequest): GenaResponse {
    if (req.sid === undefined || req.sid.trim() === '') return this.#refuse(req, 412, 'SID missing');
    if (req.callback !== undefined || req.nt !== undefined) return this.#refuse(req, 400, 'CALLBACK or NT with SID');
    const sub = this.#find(req.sid, req.peer);
    if (!sub) return this.#refuse(req, 412, `unknown SID ${req.sid} (or not this subscriber's)`);
    this.#remove(sub);
    this.#opts.emit?.({ type: 'unsubscribe', sid: sub.sid, path: req.path, peer: req.peer });
    return { status: 200, statusText: 'OK', headers: {} };
  }

  /** The subscription `sid` names, if `peer` is its subscriber. */
  #find(sid: string, peer: string): Subscription | undefined {
    const s = sid.trim();
    if (s.length !== GENA_SID_LENGTH) return undefined;
    const sub = this.#subs.get(s);
    return sub && sub.peer === normalizePeer(peer) ? sub : undefined;
  }

  #remove(sub: Subscription): void {
    sub.removed = true;
    this.#subs.delete(sub.sid);
    this.#ready.delete(sub);
    sub.abort?.abort();
  }

  #uniqueSid(): string {
    for (;;) {
      const sid = this.#newSid();
      if (!this.#subs.has(sid)) return sid;
    }
  }

  /** The NOTIFY body with the current values of `service`. */
  #body(service: GenaService): string {
    return `${propertySet(this.#opts.properties(service))}\r\n`;
  }

  /**
   * Sends the current values of `service` to each of its subscribers: one event per change, each
   * with the values at the time of the change.
   */
  notify(service: GenaService): void {
    const now = this.#opts.clock.now();
    this.expire(now);
    let body: string | undefined;
    for (const s of this.#subs.values()) if (s.service === service) this.#send(s, (body ??= this.#body(service)));
  }

  /**
   * Queues an event for `sub`: sent in order, one at a time. A subscriber that falls
   * {@link GENA_LIMITS.queuedEvents} events behind gets the newest values in place of its last
   * queued event (the queue stays bounded; GENA events carry the full state, so nothing is lost
   * but intermediate values).
   */
  #send(sub: Subscription, body: string): void {
    if (sub.removed) return;
    if (!this.#opts.deliver) {
      sub.seq++;
      return;
    }
    if (sub.queue.length >= GENA_LIMITS.queuedEvents) sub.queue[sub.queue.length - 1] = body;
    else sub.queue.push(body);
    if (!sub.inFlight) this.#ready.add(sub);
    this.#schedulePump();
  }

  /**
   * Starts the queue from the event loop's next turn, not from inside the change (a SOAP action,
   * a timer): the control request's reply is written before any NOTIFY work begins.
   */
  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    this.#schedule(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Starts queued NOTIFYs while fewer than the limit are in flight. */
  #pump(): void {
    while (this.#active < this.limits.concurrentNotify && this.#ready.size > 0) {
      const sub = this.#ready.values().next().value!;
      this.#ready.delete(sub);
      this.#deliver(sub);
    }
  }

  #deliver(sub: Subscription): void {
    const deliver = this.#opts.deliver!;
    const body = sub.queue.shift()!;
    const url = new URL(sub.callback);
    const seq = sub.seq;
    const headers: Record<string, string> = {
      Host: url.host,
      'Content-Type': 'text/xml; charset="utf-8"',
      'Content-Length': String(Buffer.byteLength(body, 'utf8')),
      NT: 'upnp:event',
      NTS: 'upnp:propchange',
      SID: sub.sid,
      SEQ: String(seq),
      Connection: 'close',
      'Cache-Control': 'no-cache',
    };
    sub.inFlight = true;
    const abort = new AbortController();
    sub.abort = abort;
    this.#active++;
    const href = url.href;
    const p = (async () => {
      try {
        await deliver(href, headers, body, abort.signal);
        sub.seq = seq + 1;
        this.#opts.emit?.({ type: 'notify', sid: sub.sid, seq, url: href, ok: true });
      } catch (e) {
        this.#opts.emit?.({ type: 'notify', sid: sub.sid, seq, url: href, ok: false, error: e instanceof Error ? e.message : String(e) });
        if (!sub.removed) this.#remove(sub);
      } finally {
        sub.inFlight = false;
        sub.abort = undefined;
        this.#active--;
      }
      if (sub.queue.length > 0 && !sub.removed) this.#ready.add(sub);
      this.#pump();
    })();
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  /** Resolves when no NOTIFY is in flight (including ones queued meanwhile). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#pumpScheduled) await new Promise<void>((r) => setImmediate(r));
      else if (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
      else return;
    }
  }

  /** Drops every subscription. */
  clear(): void {
    for (const s of [...this.#subs.values()]) this.#remove(s);
  }
}
