/**
 * GENA eventing (UDA 1.1 §4) as miniupnpd does it (upnphttp.c, upnpevents.c):
 *
 * - SUBSCRIBE with `NT: upnp:event` and `CALLBACK` creates a subscription; with `SID` only it
 *   renews one. CALLBACK and SID together: 400; neither: 412; a bad NT: 412; an unknown or
 *   expired SID: 412. UNSUBSCRIBE needs SID only (else 412 / 400).
 * - TIMEOUT `Second-N`: N below 1800 (or `infinite`, or absent) becomes 1800, as miniupnpd does for
 *   UDA 1.1; subscriptions expire on the injected clock.
 * - CallStranger (CVE-2020-12695): only callback URLs whose host is the subscriber's own address
 *   are used; when none is, the subscription is refused with 412.
 * - The initial NOTIFY (SEQ 0) follows the SUBSCRIBE response; every later change sends the full
 *   set of evented variables with SEQ + 1. A failed delivery drops the subscription (miniupnpd).
 *   A change while a NOTIFY is in flight is sent once that one completes (miniupnpd drops it).
 *
 * Delivery goes through an injected `deliver(url, headers, body)`, so tests need no sockets;
 * {@link httpDeliver} sends real NOTIFY requests with node:http.
 */
import http from 'node:http';
import { UPNP_EVENT_NS } from '../constants.js';
import type { Rng } from '../nat/clock.js';
import { xmlEscape } from './errors.js';
import { GENA_MIN_TIMEOUT_SECONDS, GENA_SID_LENGTH, UPNP_PATHS } from './soap-constants.js';
import type { UpnpEvent } from './types.js';

/** The services that send events. */
export type GenaService = 'WANIPConnection' | 'WANCommonInterfaceConfig' | 'Layer3Forwarding';

/** Sends one NOTIFY; a rejected promise means the delivery failed. */
export type DeliverFn = (url: string, headers: Readonly<Record<string, string>>, body: string) => Promise<unknown>;

/** Event URL → service (miniupnpd's paths). */
export const DEFAULT_EVENT_PATHS: Readonly<Record<string, GenaService>> = {
  [UPNP_PATHS.wanIpcEvent]: 'WANIPConnection',
  [UPNP_PATHS.wanCfgEvent]: 'WANCommonInterfaceConfig',
  [UPNP_PATHS.l3fEvent]: 'Layer3Forwarding',
};

export interface GenaOptions {
  readonly clock: { now(): number };
  /** Source of SIDs. */
  readonly rng: Rng;
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
  readonly status: 200 | 400 | 412;
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
  pending: boolean;
  removed: boolean;
}

/** Strips an IPv4-mapped IPv6 prefix. */
export function normalizePeer(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * The first callback URL of a CALLBACK header (`<http://a/b><http://c/d>`) whose host is `peer`
 * (miniupnpd's checkCallbackURL). Undefined when none qualifies.
 */
export function selectCallback(header: string, peer: string): string | undefined {
  for (const m of header.matchAll(/<([^>]*)>/g)) {
    const url = m[1]!.trim();
    if (!url.startsWith('http://')) continue;
    const rest = url.slice(7);
    if (rest.startsWith('[')) {
      const end = rest.indexOf(']');
      if (end > 0 && rest.slice(1, end) === peer) return url;
      continue;
    }
    const host = /^[^/:]*/.exec(rest)![0];
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host) && host === peer) return url;
  }
  return undefined;
}

/** The `<e:propertyset>` document of a NOTIFY. */
export function propertySet(props: ReadonlyArray<readonly [string, string]>): string {
  let out = `<e:propertyset xmlns:e="${UPNP_EVENT_NS}">`;
  for (const [name, value] of props) out += `<e:property><${name}>${xmlEscape(value)}</${name}></e:property>`;
  return `${out}</e:propertyset>`;
}

/** Host, port and path of an `http://` URL, as miniupnpd splits a callback. */
function splitUrl(url: string): { hostHeader: string; path: string } {
  const rest = url.slice('http://'.length);
  const slash = rest.indexOf('/');
  const hostHeader = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '/' : rest.slice(slash) || '/';
  return { hostHeader, path };
}

/** The GENA publisher of one IGD. */
export class GenaPublisher {
  readonly #opts: GenaOptions;
  readonly #subs = new Map<string, Subscription>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #paths: Readonly<Record<string, GenaService>>;

  constructor(options: GenaOptions) {
    this.#opts = options;
    this.#paths = options.eventPaths ?? DEFAULT_EVENT_PATHS;
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
      sid: s.sid, service: s.service, path: s.path, callback: s.callback, peer: s.peer, expiresAt: s.expiresAt, seq: s.seq,
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

  #refuse(req: GenaRequest, status: 400 | 412, reason: string): GenaResponse {
    this.#opts.emit?.({ type: 'subscription-refused', path: req.path, peer: req.peer, status, reason });
    return { status, statusText: status === 400 ? 'Incompatible header fields' : 'Precondition Failed', headers: {} };
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
      const callback = selectCallback(req.callback!, req.peer);
      if (!callback) return this.#refuse(req, 412, `no callback URL on the subscriber's own address ${req.peer} (CallStranger protection)`);
      const service = this.serviceOf(req.path);
      if (!service) return this.#refuse(req, 412, `${req.path} is not an event URL`);
      const sub: Subscription = {
        sid: this.#newSid(), service, path: req.path, callback, peer: req.peer,
        expiresAt: now + timeout * 1000, seq: 0, inFlight: false, pending: false, removed: false,
      };
      this.#subs.set(sub.sid, sub);
      this.#opts.emit?.({ type: 'subscribe', sid: sub.sid, path: req.path, peer: req.peer, callback });
      return {
        status: 200, statusText: 'OK',
        headers: { Timeout: `Second-${timeout}`, SID: sub.sid },
        afterResponse: () => this.#send(sub),
      };
    }
    if (req.nt !== undefined) return this.#refuse(req, 400, 'both NT and SID');
    const sub = this.#find(req.sid!);
    if (!sub) return this.#refuse(req, 412, `unknown or expired SID ${req.sid}`);
    sub.expiresAt = now + timeout * 1000;
    this.#opts.emit?.({ type: 'renew', sid: sub.sid, path: req.path, peer: req.peer });
    return { status: 200, statusText: 'OK', headers: { Timeout: `Second-${timeout}`, SID: sub.sid } };
  }

  #unsubscribe(req: GenaRequest): GenaResponse {
    if (req.sid === undefined || req.sid.trim() === '') return this.#refuse(req, 412, 'SID missing');
    if (req.callback !== undefined || req.nt !== undefined) return this.#refuse(req, 400, 'CALLBACK or NT with SID');
    const sub = this.#find(req.sid);
    if (!sub) return this.#refuse(req, 412, `unknown SID ${req.sid}`);
    this.#remove(sub);
    this.#opts.emit?.({ type: 'unsubscribe', sid: sub.sid, path: req.path, peer: req.peer });
    return { status: 200, statusText: 'OK', headers: {} };
  }

  #find(sid: string): Subscription | undefined {
    const s = sid.trim();
    if (s.length !== GENA_SID_LENGTH) return undefined;
    return this.#subs.get(s);
  }

  #remove(sub: Subscription): void {
    sub.removed = true;
    this.#subs.delete(sub.sid);
  }

  #newSid(): string {
    const hex = (n: number): string => this.#opts.rng.int(0, 0xffff).toString(16).padStart(4, '0').slice(0, n);
    for (;;) {
      const v4 = (0x4000 | this.#opts.rng.int(0, 0x0fff)).toString(16);
      const variant = (0x8000 | this.#opts.rng.int(0, 0x3fff)).toString(16);
      const sid = `uuid:${hex(4)}${hex(4)}-${hex(4)}-${v4}-${variant}-${hex(4)}${hex(4)}${hex(4)}`;
      if (!this.#subs.has(sid)) return sid;
    }
  }

  /** Sends the current values of `service` to each of its subscribers. */
  notify(service: GenaService): void {
    const now = this.#opts.clock.now();
    this.expire(now);
    for (const s of this.#subs.values()) if (s.service === service) this.#send(s);
  }

  #send(sub: Subscription): void {
    if (sub.removed) return;
    if (sub.inFlight) {
      sub.pending = true;
      return;
    }
    const body = `${propertySet(this.#opts.properties(sub.service))}\r\n`;
    const { hostHeader, path } = splitUrl(sub.callback);
    const seq = sub.seq;
    const headers: Record<string, string> = {
      Host: hostHeader,
      'Content-Type': 'text/xml; charset="utf-8"',
      'Content-Length': String(Buffer.byteLength(body, 'utf8')),
      NT: 'upnp:event',
      NTS: 'upnp:propchange',
      SID: sub.sid,
      SEQ: String(seq),
      Connection: 'close',
      'Cache-Control': 'no-cache',
    };
    const deliver = this.#opts.deliver;
    if (!deliver) {
      sub.seq++;
      return;
    }
    sub.inFlight = true;
    const url = `http://${hostHeader}${path}`;
    const p = (async () => {
      try {
        await deliver(url, headers, body);
        sub.seq = seq + 1;
        this.#opts.emit?.({ type: 'notify', sid: sub.sid, seq, url, ok: true });
      } catch (e) {
        this.#opts.emit?.({ type: 'notify', sid: sub.sid, seq, url, ok: false, error: e instanceof Error ? e.message : String(e) });
        this.#remove(sub);
      } finally {
        sub.inFlight = false;
      }
      if (sub.pending && !sub.removed) {
        sub.pending = false;
        this.#send(sub);
      }
    })();
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  /** Resolves when no NOTIFY is in flight (including ones queued meanwhile). */
  async flush(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** Drops every subscription. */
  clear(): void {
    for (const s of [...this.#subs.values()]) this.#remove(s);
  }
}

/**
 * Delivers a NOTIFY with node:http (for the gateway). Resolves on any 2xx answer, rejects on an
 * error status, a connection error or after `timeoutMs`.
 */
export function httpDeliver(timeoutMs = 5000): DeliverFn {
  return (url, headers, body) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(url, { method: 'NOTIFY', headers, timeout: timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) resolve();
          else reject(new Error(`NOTIFY ${url}: HTTP ${code}`));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`NOTIFY ${url}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
}
