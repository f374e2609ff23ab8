/**
 * Socket adapter of the STUN responder, on node:dgram: a RFC 5780 server with a primary and an
 * alternate endpoint binds four udp4 sockets — primary/alternate address × primary/alternate
 * port — so that a reply can leave from whichever of them CHANGE-REQUEST asks for. Without an
 * alternate it binds one socket and refuses CHANGE-REQUEST (420).
 *
 * The message handler never throws; every datagram is counted and reported through `onEvent`.
 */
import type { Socket } from 'node:dgram';
import dgram from 'node:dgram';
import { type Endpoint, formatEndpoint, formatIPv4, parseEndpoint, tryParseIPv4 } from '../nat/address.js';
import { bindUdp, closeUdp } from '../net/udp-socket.js';
import { answerStun, type StunIgnoreReason, type StunOutcome } from './responder.js';

/** Options of {@link startStunServer}. */
export interface StunServerOptions {
  /** `IP:PORT` of the primary endpoint (port 0: an ephemeral port, shared by both addresses). */
  readonly primary: string;
  /** `IP:PORT` of the alternate endpoint: another address and another port (RFC 5780 §4.1). */
  readonly alternate?: string;
  /** SOFTWARE attribute of every reply (default `natsim`; empty: none). */
  readonly software?: string;
  readonly onEvent?: (event: StunEvent) => void;
}

/** What the server reports through `onEvent`. */
export type StunEvent =
  | { readonly type: 'answered'; readonly outcome: StunOutcome; readonly from: string; readonly local: string }
  | { readonly type: 'error'; readonly where: string; readonly error: Error };

/** Counters since start. */
export interface StunStats {
  /** Datagrams received on any socket. */
  received: number;
  /** Success responses sent. */
  success: number;
  /** Error responses (400, 420) sent. */
  errors: number;
  /** Datagrams not answered, by reason. */
  ignored: Partial<Record<StunIgnoreReason, number>>;
}

/** A running STUN server. */
export interface StunServer {
  /** The primary endpoint, `IP:PORT` (the port actually bound when 0 was asked for). */
  readonly primary: string;
  /** The alternate endpoint, when there is one. */
  readonly alternate: string | undefined;
  /** Every bound endpoint (one, or four with an alternate). */
  readonly endpoints: readonly string[];
  readonly stats: Readonly<StunStats>;
  /** Closes every socket. Safe to call more than once. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function endpointOption(name: string, text: string): Endpoint {
  try {
    return parseEndpoint(text);
  } catch {
    throw new TypeError(`${name} must be IPv4-ADDRESS:PORT, got "${text}"`);
  }
}

async function bind(socket: Socket, e: Endpoint): Promise<void> {
  try {
    await bindUdp(socket, e.port, formatIPv4(e.ip));
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    throw Object.assign(new Error(`cannot bind the STUN server to ${formatEndpoint(e)}: ${message}`), { code });
  }
}

/** Starts the STUN server. Resolves once every socket is bound; throws (closing what it opened) otherwise. */
export async function startStunServer(options: StunServerOptions): Promise<StunServer> {
  const asked = endpointOption('primary', options.primary);
  const alt = options.alternate === undefined ? undefined : endpointOption('alternate', options.alternate);
  if (alt && (alt.ip === asked.ip || alt.port === asked.port || alt.port === 0)) {
    throw new TypeError(
      `the alternate endpoint must differ from the primary in both address and port (and name its port), got primary ${options.primary}, alternate ${options.alternate}`,
    );
  }
  const software = options.software ?? 'natsim';
  const onEvent = options.onEvent ?? (() => {});
  const stats: StunStats = { received: 0, success: 0, errors: 0, ignored: {} };
  const sockets = new Map<string, Socket>();
  const opened: Socket[] = [];
  let primary = asked;

  const open = async (e: Endpoint): Promise<Endpoint> => {
    const socket = dgram.createSocket({ type: 'udp4' });
    opened.push(socket);
    await bind(socket, e);
    const bound = { ip: e.ip, port: socket.address().port };
    sockets.set(formatEndpoint(bound), socket);
    socket.on('error', (error) => onEvent({ type: 'error', where: formatEndpoint(bound), error }));
    socket.on('message', (msg, rinfo) => {
      try {
        stats.received++;
        const ip = tryParseIPv4(rinfo.address);
        if (ip < 0) return; // udp4 sockets see IPv4 only
        const other = alt && {
          ip: bound.ip === primary.ip ? alt.ip : primary.ip,
          port: bound.port === primary.port ? alt.port : primary.port,
        };
        const outcome = answerStun(msg, { from: { ip, port: rinfo.port }, local: bound, ...(other && { other }), software });
        if (outcome.kind === 'ignored') {
          stats.ignored[outcome.reason] = (stats.ignored[outcome.reason] ?? 0) + 1;
        } else {
          const out = sockets.get(formatEndpoint(outcome.reply.from)) ?? socket;
          if (outcome.kind === 'success') stats.success++;
          else stats.errors++;
          out.send(outcome.reply.bytes, outcome.reply.to.port, formatIPv4(outcome.reply.to.ip), (err) => {
            if (err) onEvent({ type: 'error', where: `send to ${formatEndpoint(outcome.reply.to)}`, error: err });
          });
        }
        onEvent({ type: 'answered', outcome, from: `${rinfo.address}:${rinfo.port}`, local: formatEndpoint(bound) });
      } catch (error) {
        onEvent({ type: 'error', where: 'message', error: error as Error });
      }
    });
    return bound;
  };

  try {
    primary = await open(asked);
    if (alt) {
      await open({ ip: primary.ip, port: alt.port });
      await open({ ip: alt.ip, port: primary.port });
      await open(alt);
    }
  } catch (e) {
    await Promise.all(opened.map(closeUdp));
    throw e;
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= Promise.all(opened.map(closeUdp)).then(() => undefined));
  return {
    primary: formatEndpoint(primary),
    alternate: alt && formatEndpoint(alt),
    endpoints: [...sockets.keys()],
    stats,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
