/**
 * Socket adapter of the SSDP responder, on node:dgram.
 *
 * Sockets (all udp4 with SO_REUSEADDR):
 * - unicast: bound to `address:port`. It receives unicast M-SEARCHes, sends the replies and the
 *   NOTIFYs (multicast interface = `address`, TTL 2).
 * - multicast (when `multicast` is on): bound to `239.255.255.250:port` and joined to the group on
 *   `address`, so that it receives only datagrams sent to the group. Having two sockets is how the
 *   adapter tells a multicast search (MX required, delayed reply) from a unicast one (answered at
 *   once), since Node exposes no IP_PKTINFO.
 * - reply (only with the `replyFromOtherPort` quirk): bound to `address:0`; replies leave from it.
 *
 * The message handler never throws; every search is counted and reported through `onEvent`.
 *
 * Limits (src/ssdp/budget.ts, defaults in `SSDP_REPLY_BUDGET`): replies are paid from a per-source
 * and a global token bucket, a search is answered whole or not at all, and at most `maxPending`
 * delayed replies wait at once; whatever a limit refuses is dropped and counted in
 * `stats.repliesDropped`.
 */

import type { RemoteInfo, Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { NTS_ALIVE, NTS_BYEBYE, SSDP_MULTICAST_ADDRESS, SSDP_PORT, SSDP_REPLY_BUDGET, SSDP_TTL } from '../constants.js';
import { isIPv4 } from '../nat/address.js';
import { DIRECT_SOCKETS, type SocketProvider } from '../net/socket-provider.js';
import { closeUdp } from '../net/udp-socket.js';
import { type BudgetRefusal, DEFAULT_SSDP_BUDGET, type SsdpBudgetLimits, SsdpReplyBudget } from './budget.js';
import type { IgnoreReason, SearchVia, SsdpPeer, SsdpReply, SsdpResponder } from './responder.js';

/** A structured logger; a pino logger fits. Every method is optional. */
export interface SsdpLog {
  debug?(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
  error?(obj: object, msg?: string): void;
}

/** What the server reports through `onEvent`. */
export type SsdpEvent =
  | {
      readonly type: 'search';
      /** The search target, when one could be read. */
      readonly st: string | undefined;
      readonly from: SsdpPeer;
      readonly via: SearchVia;
      /** Number of replies scheduled. */
      readonly answered: number;
      readonly ignored?: IgnoreReason;
      /** Set when the search had answers but a limit dropped them all. */
      readonly dropped?: ReplyDropReason;
      readonly detail?: string;
    }
  | { readonly type: 'notify'; readonly nts: typeof NTS_ALIVE | typeof NTS_BYEBYE; readonly count: number }
  | { readonly type: 'error'; readonly where: string; readonly error: Error };

/** Why replies were dropped: a spent budget, or too many delayed replies waiting. */
export type ReplyDropReason = BudgetRefusal | 'pending-full';

/** Counters since start. */
export interface SsdpStats {
  /** M-SEARCHes and unparseable datagrams handled (NOTIFYs and responses are not counted). */
  searches: number;
  /** Searches that got at least one reply. */
  answered: number;
  /** Replies actually handed to the socket. */
  repliesSent: number;
  /** NOTIFY messages sent. */
  notifiesSent: number;
  /** Delayed replies waiting now (≤ `maxPending`). */
  pending: number;
  /** Replies not sent because of a limit, by reason. */
  repliesDropped: Record<ReplyDropReason, number>;
  /** Searches ignored, by reason. */
  ignored: Partial<Record<IgnoreReason, number>>;
}

/** Options of {@link startSsdpServer}. */
export interface SsdpServerOptions {
  readonly responder: SsdpResponder;
  /** IPv4 address of the LAN interface to bind to and advertise on, e.g. `127.0.0.1`. */
  readonly address: string;
  /** UDP port (default 1900; 0 picks an ephemeral port, for tests). */
  readonly port?: number;
  /** Join 239.255.255.250, send NOTIFY alive at start and every interval, byebye on stop. */
  readonly multicast: boolean;
  /** NOTIFY alive period (default maxAge / 2; 0 = only at start). */
  readonly notifyIntervalMs?: number;
  readonly log?: SsdpLog;
  /** Random source in [0, 1) for MX delays (default Math.random). */
  readonly random?: () => number;
  /** Clock for the DATE header (default Date.now). */
  readonly now?: () => number;
  /** Monotonic milliseconds for the reply budget (default performance.now). */
  readonly monotonic?: () => number;
  /** Reply budget (default {@link DEFAULT_SSDP_BUDGET}). */
  readonly budget?: Partial<SsdpBudgetLimits>;
  /** Delayed replies that may wait at once (default `SSDP_REPLY_BUDGET.maxPending`). */
  readonly maxPending?: number;
  readonly onEvent?: (event: SsdpEvent) => void;
  /** Where the sockets come from (default: natsim's own namespace). */
  readonly sockets?: SocketProvider;
}

/** A running SSDP server. */
export interface SsdpServer {
  /** Port of the SSDP (unicast and multicast) sockets. */
  readonly port: number;
  /** Bound interface address. */
  readonly address: string;
  /** Source port of search replies (differs from `port` with the `replyFromOtherPort` quirk). */
  readonly replyPort: number;
  readonly stats: Readonly<SsdpStats>;
  /** Sends NOTIFY alive for every USN now (no-op without multicast). */
  announce(): Promise<void>;
  /**
   * The device restarted: byebye for every USN, BOOTID.UPNP.ORG one higher, then alive (the
   * NOTIFYs only with multicast; search replies carry the new BOOTID either way).
   */
  restart(): Promise<void>;
  /** Stops: clears timers, sends byebye (multicast), closes the sockets. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the SSDP responder on `options.address`. Resolves once every socket is bound. */
export async function startSsdpServer(options: SsdpServerOptions): Promise<SsdpServer> {
  const { responder, address, multicast, log, onEvent } = options;
  if (!isIPv4(address)) throw new TypeError(`address must be an IPv4 address, got "${address}"`);
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const monotonic = options.monotonic ?? (() => performance.now());
  const budget = new SsdpReplyBudget({ ...DEFAULT_SSDP_BUDGET, ...options.budget }, monotonic());
  const maxPending = options.maxPending ?? SSDP_REPLY_BUDGET.maxPending;
  if (!(Number.isInteger(maxPending) && maxPending >= 0)) throw new RangeError('maxPending must be an integer ≥ 0');
  const maxAge = responder.description.maxAge;
  const notifyIntervalMs = options.notifyIntervalMs ?? Math.floor((maxAge * 1000) / 2);
  if (!(Number.isFinite(notifyIntervalMs) && notifyIntervalMs >= 0)) throw new RangeError('notifyIntervalMs must be ≥ 0');
  if (multicast && notifyIntervalMs > 0 && notifyIntervalMs * 2 > maxAge * 1000) {
    log?.warn?.({ notifyIntervalMs, maxAge }, 'SSDP NOTIFY interval is longer than half of max-age');
  }

  const stats: SsdpStats = {
    searches: 0,
    answered: 0,
    repliesSent: 0,
    notifiesSent: 0,
    pending: 0,
    ignored: {},
    repliesDropped: { 'source-budget': 0, 'global-budget': 0, 'pending-full': 0 },
  };
  const emit = (event: SsdpEvent): void => {
    try {
      onEvent?.(event);
    } catch (e) {
      log?.error?.({ err: e }, 'SSDP onEvent callback threw');
    }
  };
  const reportError = (where: string, err: unknown): void => {
    const error = err instanceof Error ? err : new Error(String(err));
    log?.error?.({ err: error, where }, 'SSDP socket error');
    emit({ type: 'error', where, error });
  };

  const provider = options.sockets ?? DIRECT_SOCKETS;
  const sockets: Socket[] = [];
  const bind = async (port: number, at: string): Promise<Socket> => {
    const s = await provider.bindUdp({ address: at, port, reuseAddr: true });
    sockets.push(s);
    return s;
  };
  let unicast: Socket;
  let mcast: Socket | undefined;
  let replySocket: Socket;
  let port: number;
  try {
    unicast = await bind(options.port ?? SSDP_PORT, address);
    replySocket = unicast;
    port = unicast.address().port;
    if (multicast) {
      unicast.setMulticastInterface(address);
      unicast.setMulticastTTL(SSDP_TTL);
      mcast = await bind(port, SSDP_MULTICAST_ADDRESS);
      // Only once bound: joining before bind() completes fails in Node.
      mcast.addMembership(SSDP_MULTICAST_ADDRESS, address);
    }
    if (responder.quirks.replyFromOtherPort) replySocket = await bind(0, address);
  } catch (e) {
    await Promise.all(sockets.map(closeUdp));
    throw e;
  }
  const replyPort = replySocket.address().port;

  let stopping: Promise<void> | undefined;
  const timers = new Set<NodeJS.Timeout>();

  const send = (socket: Socket, message: string, to: SsdpPeer): Promise<boolean> =>
    new Promise((resolve) => {
      try {
        socket.send(Buffer.from(message, 'latin1'), to.port, to.address, (err) => {
          if (err) {
            reportError('send', err);
            resolve(false);
          } else resolve(true);
        });
      } catch (e) {
        reportError('send', e);
        resolve(false);
      }
    });

  const sendReply = (reply: SsdpReply): void => {
    if (stopping) return;
    void send(replySocket, reply.message, reply.to).then((ok) => {
      if (ok) stats.repliesSent++;
    });
  };

  /** Checks the limits for one search's replies; undefined when they may all be sent. */
  const admit = (source: string, replies: readonly SsdpReply[]): ReplyDropReason | undefined => {
    const delayed = replies.reduce((n, r) => n + (r.delayMs > 0 ? 1 : 0), 0);
    if (stats.pending + delayed > maxPending) return 'pending-full';
    return budget.take(source, replies.length, monotonic());
  };

  const onMessage =
    (via: SearchVia) =>
    (msg: Buffer, rinfo: RemoteInfo): void => {
      try {
        if (stopping) return;
        const from = { address: rinfo.address, port: rinfo.port };
        const outcome = responder.handleSearch(msg, from, random, now(), via);
        if (outcome.ignored === 'not-search') return; // NOTIFYs (our own included) and responses
        stats.searches++;
        const replies = outcome.replies;
        const dropped = replies.length > 0 ? admit(from.address, replies) : undefined;
        if (dropped) stats.repliesDropped[dropped] += replies.length;
        if (outcome.ignored) stats.ignored[outcome.ignored] = (stats.ignored[outcome.ignored] ?? 0) + 1;
        else if (!dropped) stats.answered++;
        log?.debug?.(
          { from, via, st: outcome.st, replies: replies.length, ignored: outcome.ignored, dropped, detail: outcome.detail },
          'SSDP M-SEARCH',
        );
        emit({
          type: 'search',
          st: outcome.st,
          from,
          via,
          answered: dropped ? 0 : replies.length,
          ...(outcome.ignored !== undefined && { ignored: outcome.ignored }),
          ...(dropped !== undefined && { dropped }),
          ...(outcome.detail !== undefined && { detail: outcome.detail }),
        });
        if (dropped) return;
        for (const reply of replies) {
          if (reply.delayMs <= 0) {
            sendReply(reply);
          } else {
            stats.pending++;
            const t = setTimeout(() => {
              timers.delete(t);
              stats.pending--;
              sendReply(reply);
            }, reply.delayMs);
            timers.add(t);
          }
        }
      } catch (e) {
        reportError('message', e);
      }
    };

  for (const s of sockets) s.on('error', (err) => reportError('socket', err));
  unicast.on('message', onMessage('unicast'));
  mcast?.on('message', onMessage('multicast'));
  if (replySocket !== unicast) replySocket.on('message', onMessage('unicast'));

  const notifyAll = async (nts: typeof NTS_ALIVE | typeof NTS_BYEBYE): Promise<void> => {
    if (!multicast) return;
    const group = { address: SSDP_MULTICAST_ADDRESS, port: SSDP_PORT };
    const results = await Promise.all(responder.notifications(nts).map((n) => send(unicast, n.message, group)));
    const count = results.filter(Boolean).length;
    stats.notifiesSent += count;
    log?.debug?.({ nts, count }, 'SSDP NOTIFY sent');
    emit({ type: 'notify', nts, count });
  };

  let interval: NodeJS.Timeout | undefined;
  if (multicast) {
    await notifyAll(NTS_ALIVE);
    if (notifyIntervalMs > 0) {
      interval = setInterval(() => {
        if (!stopping) void notifyAll(NTS_ALIVE);
      }, notifyIntervalMs);
    }
  }
  log?.info?.({ address, port, multicast, replyPort }, 'SSDP responder listening');

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (interval) clearInterval(interval);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      stats.pending = 0;
      try {
        await notifyAll(NTS_BYEBYE);
      } catch (e) {
        reportError('byebye', e);
      }
      await Promise.all(sockets.map(closeUdp));
      log?.info?.({ address, port }, 'SSDP responder stopped');
    })();
    return stopping;
  };

  return {
    port,
    address,
    replyPort,
    stats,
    announce: () => (stopping ? Promise.resolve() : notifyAll(NTS_ALIVE)),
    restart: async () => {
      if (stopping) return;
      await notifyAll(NTS_BYEBYE);
      responder.reboot();
      await notifyAll(NTS_ALIVE);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
