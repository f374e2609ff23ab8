/**
 * The gateway's own HTTP/1.1 server on `node:net`, as small as the job: a UPnP device answers
 * short requests with short replies, like miniupnpd's upnphttp.c does. It reads a request into
 * {@link HttpRequest}, hands it to the handler, and writes the {@link HttpReply} in one write.
 * Compared with `node:http` it skips the stream objects built per request, which is most of a
 * request's cost here (bench/gateway.ts measures both).
 *
 * What it does, and the rules it enforces:
 * - HTTP/1.0 and 1.1 requests; persistent connections (1.1 unless `Connection: close`; 1.0 with
 *   `Connection: keep-alive`), pipelined requests answered in order, one at a time.
 * - Bodies by Content-Length or `Transfer-Encoding: chunked`; `Expect: 100-continue` answered.
 * - Refused with a closing error reply: a malformed request line or header line (including
 *   obs-fold, bare LF, control characters, a non-token name), a repeated Content-Length,
 *   Transfer-Encoding or Host, Content-Length together with Transfer-Encoding (request smuggling),
 *   a malformed Content-Length or chunk size (400); a transfer coding other than chunked (501);
 *   headers above `maxHeaderBytes` (431); a body above `maxBodyBytes` (413, without reading it:
 *   what the client still sends is discarded until it stops); a request cut short by the client (400).
 * - Timeouts, enforced by one sweep per `checkIntervalMs`: headers not complete within
 *   `headersTimeoutMs` or a body not complete within `requestTimeoutMs` of the request's first byte
 *   (408), an idle persistent connection after `keepAliveTimeoutMs` (closed silently).
 * - At most `maxConnections` connections at once. A connection arriving at the cap evicts the
 *   oldest idle one (one that has finished or not yet begun a request; closing ones first), or, if
 *   every connection is in the middle of a request, gets 503 and is closed. The cap is lowered to
 *   what RLIMIT_NOFILE allows (src/gateway/fd-limit.ts: libuv swallows EMFILE by closing the new
 *   connection, so the server must not reach it), and the sweep evicts idle connections when
 *   free descriptors run low; an accept error that is reported evicts some too.
 * - Buffers grow by doubling, so a request trickled in byte by byte costs linear time; reading
 *   pauses while a delayed reply is pending with a request's worth buffered, and while the
 *   client is not reading our replies (backpressure).
 */
import { STATUS_CODES } from 'node:http';
import net from 'node:net';
import { DIRECT_SOCKETS, type SocketProvider } from '../net/socket-provider.js';
import { FD_RESERVE, openFileCount, openFileLimit } from './fd-limit.js';
import { parseRequestHead, HeadRefusal as Refusal } from './http-head.js';

/** A request as read off the wire. */
export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minorVersion: 0 | 1;
  /** Header values by lower-case name; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
  /** The peer's address as the socket reports it. */
  readonly peer: string;
}

/** A reply to write. */
export interface HttpReply {
  readonly status: number;
  /** Reason phrase (default: the standard one). */
  readonly statusText?: string;
  /** Header lines as given (names as they should appear). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Close the connection after this reply. */
  readonly close?: boolean;
  /** Runs once the reply has been written to the socket. */
  readonly afterResponse?: () => void;
}

/** Limits and timeouts of {@link startHttpServer}. */
export interface HttpLimits {
  /** Largest request line plus headers, bytes (default 16 KiB; above: 431). */
  readonly maxHeaderBytes: number;
  /** Largest body, bytes (above: 413). */
  readonly maxBodyBytes: number;
  /** From a request's first byte to the end of its headers (default 10 s; then 408). */
  readonly headersTimeoutMs: number;
  /** From a request's first byte to the end of its body (default 15 s; then 408). */
  readonly requestTimeoutMs: number;
  /** An idle persistent connection is closed after this (default 5 s). */
  readonly keepAliveTimeoutMs: number;
  /** How often the timeouts are checked (default 1 s). */
  readonly checkIntervalMs: number;
  /** Connections open at once (default 512; beyond: the oldest idle one is evicted, or 503). */
  readonly maxConnections: number;
}

/** Defaults of {@link HttpLimits} (the body limit has none: the caller names it). */
export const DEFAULT_HTTP_LIMITS: Omit<HttpLimits, 'maxBodyBytes'> = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  maxConnections: 512,
};

/** Counters of {@link HttpServer}. */
export interface HttpServerStats {
  /** Idle connections closed to make room for a new one (or after EMFILE). */
  evicted: number;
  /** Connections answered 503 at the cap because none was idle. */
  refused: number;
  /** The cap in effect: `maxConnections`, lowered to what the descriptor limit leaves. */
  effectiveMaxConnections: number;
  /** Accept errors (EMFILE, ENFILE …). */
  acceptErrors: number;
}

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions extends Partial<HttpLimits> {
  readonly maxBodyBytes: number;
  /** Answers a request: synchronously, or later (an injected delay). A throw is answered 500. */
  readonly handler: (req: HttpRequest) => HttpReply | Promise<HttpReply>;
  /** The reply for a request refused by the server itself (400, 408, 413, 431, 500, 501). */
  readonly errorReply: (status: number) => HttpReply;
  readonly host: string;
  readonly port: number;
  /**
   * How many servers of this process share its descriptors (default 1): the cap is lowered to
   * this server's share of what RLIMIT_NOFILE leaves, so several together stay below the limit.
   */
  readonly descriptorShare?: number;
  /** Where the listening socket comes from (default: natsim's own namespace). */
  readonly sockets?: SocketProvider;
}

/** A listening server. */
export interface HttpServer {
  readonly port: number;
  readonly limits: HttpLimits;
  /** Open connections. */
  readonly connections: number;
  /** Open connections that are idle (between requests, or none begun): the ones eviction may close. */
  readonly idleConnections: number;
  readonly stats: Readonly<HttpServerStats>;
  /** Stops listening and closes every connection. Safe to call twice. */
  close(): Promise<void>;
}

/** Control characters other than HTAB, and CR or LF that are not a CRLF pair (chunk lines and trailers). */
const BAD_HEAD = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
/** chunk-size, then optional whitespace and chunk extensions (RFC 9112 §7.1.1). */
const CHUNK_LINE = /^([0-9a-fA-F]{1,8})(?:[ \t]*;.*)?$/;
/** Longest chunk-size line accepted (extensions included). */
const MAX_CHUNK_LINE = 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

type State = 'idle' | 'head' | 'body' | 'busy' | 'closing';

interface Pending {
  method: string;
  url: string;
  minorVersion: 0 | 1;
  headers: Record<string, string | undefined>;
  keepAlive: boolean;
  /** Content-Length, or -1 for chunked. */
  length: number;
  /** Chunked decoding: where the next chunk-size line starts (in the store), the body so far. */
  chunkPos: number;
  body: Buffer;
  total: number;
}

/** One connection: a growable input buffer and the request being read. */
class Connection {
  state: State = 'idle';
  since: number;
  /** Input bytes not yet consumed: store[start, end). */
  store: Buffer = EMPTY;
  start = 0;
  end = 0;
  /** Where to resume looking for the end of the headers. */
  headScan = 0;
  pending: Pending | undefined;
  clientEnded = false;
  /** Reading is paused until the client has read our replies. */
  awaitingDrain = false;
  /** When the connection last became idle (empty lines do not reset it). */
  idleSince: number;

  constructor(
    readonly socket: net.Socket,
    now: number,
  ) {
    this.since = now;
    this.idleSince = now;
  }

  get size(): number {
    return this.end - this.start;
  }

  append(d: Buffer): void {
    const need = this.size + d.length;
    if (this.end + d.length > this.store.length) {
      if (need <= this.store.length && this.start > 0) {
        this.store.copy(this.store, 0, this.start, this.end);
      } else {
        const next = Buffer.allocUnsafe(Math.max(need, this.store.length * 2, 1024));
        this.store.copy(next, 0, this.start, this.end);
        this.store = next;
      }
      this.headScan -= this.start;
      if (this.pending) this.pending.chunkPos -= this.start;
      this.end = this.size;
      this.start = 0;
    }
    d.copy(this.store, this.end);
    this.end += d.length;
  }

  consume(n: number): void {
    this.start += n;
    this.headScan = this.start;
    if (this.start === this.end) this.start = this.end = this.headScan = 0;
  }
}

/**
 * Starts the server on `host:port` (0: any free port). Resolves once it is listening; rejects with
 * the listen error (e.g. EADDRINUSE).
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const limits: HttpLimits = {
    maxHeaderBytes: options.maxHeaderBytes ?? DEFAULT_HTTP_LIMITS.maxHeaderBytes,
    maxBodyBytes: options.maxBodyBytes,
    headersTimeoutMs: options.headersTimeoutMs ?? DEFAULT_HTTP_LIMITS.headersTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_HTTP_LIMITS.requestTimeoutMs,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs,
    checkIntervalMs: options.checkIntervalMs ?? DEFAULT_HTTP_LIMITS.checkIntervalMs,
    maxConnections: options.maxConnections ?? DEFAULT_HTTP_LIMITS.maxConnections,
  };
  if (!(Number.isInteger(limits.maxConnections) && limits.maxConnections >= 1))
    throw new RangeError('maxConnections must be an integer ≥ 1');
  const conns = new Set<Connection>();
  // The descriptor limit caps the connections too (each is one descriptor).
  const fdLimit = openFileLimit();
  const fdsAtStart = openFileCount() ?? 0;
  const share = Math.max(1, options.descriptorShare ?? 1);
  const cap =
    fdLimit === undefined
      ? limits.maxConnections
      : Math.max(1, Math.min(limits.maxConnections, Math.floor((fdLimit - fdsAtStart - FD_RESERVE) / share)));
  const stats: HttpServerStats = { evicted: 0, refused: 0, acceptErrors: 0, effectiveMaxConnections: cap };
  /** Sockets being answered 503 (bounded: beyond maxConnections they are dropped at once). */
  let refusing = 0;
  const { handler, errorReply } = options;

  /** Writes a reply; then either closes or goes back to reading the next request. */
  const write = (c: Connection, r: HttpReply, req: Pick<Pending, 'method' | 'minorVersion' | 'keepAlive'> | undefined): void => {
    const s = c.socket;
    if (s.destroyed) return;
    const close = r.close === true || !req || !req.keepAlive;
    let head = `HTTP/1.1 ${r.status} ${r.statusText ?? STATUS_CODES[r.status] ?? 'Unknown'}\r\n`;
    const h = r.headers;
    for (const k in h) head += `${k}: ${h[k]}\r\n`;
    if (close) {
      if (h['Connection'] === undefined) head += 'Connection: close\r\n';
    } else if (req!.minorVersion === 0) head += 'Connection: keep-alive\r\n';
    head += '\r\n';
    const data = req?.method === 'HEAD' ? head : head + r.body;
    const flushed = r.afterResponse ? s.write(data, 'utf8', r.afterResponse) : s.write(data, 'utf8');
    if (close) {
      // Half-close: the client reads the reply, then its FIN (or the sweep) ends the socket; once
      // both directions are done the socket closes itself, after the reply has been flushed.
      // What it still sends is discarded, so unread input does not turn our FIN into a reset.
      c.state = 'closing';
      c.since = Date.now();
      c.pending = undefined;
      c.store = EMPTY;
      c.start = c.end = c.headScan = 0;
      s.end();
      return;
    }
    c.state = c.size > 0 ? 'head' : 'idle';
    c.since = Date.now();
    // Backpressure: a client that sends without reading gets no more reads until it catches up.
    if (!flushed) {
      if (!c.awaitingDrain) {
        c.awaitingDrain = true;
        s.pause();
        s.once('drain', () => {
          c.awaitingDrain = false;
          s.resume();
        });
      }
    } else if (!c.awaitingDrain && s.isPaused()) s.resume();
    // More buffered requests are read by the caller's loop (readRequests), not from here: a
    // recursive call per pipelined request would overflow the stack.
    if (c.size === 0 && c.clientEnded) s.end();
  };

  const refuse = (c: Connection, status: number): void => {
    write(c, errorReply(status), undefined);
  };

  /** Dispatches a complete request. */
  const dispatch = (c: Connection, p: Pending, body: Buffer): void => {
    c.pending = undefined;
    c.state = 'busy';
    const req: HttpRequest = {
      method: p.method,
      url: p.url,
      minorVersion: p.minorVersion,
      headers: p.headers,
      body,
      peer: c.socket.remoteAddress ?? '',
    };
    let r: HttpReply | Promise<HttpReply>;
    try {
      r = handler(req);
    } catch {
      write(c, errorReply(500), undefined);
      return;
    }
    if (r instanceof Promise) {
      // Later: write, then read what arrived meanwhile. Nothing here may reject unhandled.
      const later = (x: HttpReply | undefined): void => {
        try {
          write(c, x ?? errorReply(500), x ? p : undefined);
          readRequests(c);
        } catch {
          c.socket.destroy();
        }
      };
      r.then(later, () => later(undefined));
    } else {
      try {
        write(c, r, p);
      } catch {
        write(c, errorReply(500), undefined);
      }
    }
  };

  /** Parses the request line and headers in store[start, at) (http-head.ts: linear, no regex). */
  const parseHead = (c: Connection, at: number): Pending => {
    const h = parseRequestHead(c.store.toString('latin1', c.start, at), limits.maxBodyBytes);
    return { ...h, chunkPos: 0, body: EMPTY, total: 0 };
  };

  /**
   * Decodes chunked data from store[chunkPos, end). Returns the body when the last chunk and the
   * trailers are in, undefined when more input is needed; throws a Refusal on bad framing.
   */
  const dechunk = (c: Connection, p: Pending): Buffer | undefined => {
    for (;;) {
      // Decoded chunks are consumed as they complete, so only the unparsed rest stays buffered.
      const b = c.store.subarray(0, c.end);
      const lineEnd = b.indexOf('\r\n', p.chunkPos, 'latin1');
      if (lineEnd < 0) {
        if (c.end - p.chunkPos > MAX_CHUNK_LINE) throw new Refusal(400);
        return undefined;
      }
      if (lineEnd - p.chunkPos > MAX_CHUNK_LINE) throw new Refusal(400);
      const line = b.toString('latin1', p.chunkPos, lineEnd);
      const m = CHUNK_LINE.exec(line);
      if (!m || BAD_HEAD.test(line)) throw new Refusal(400);
      const size = parseInt(m[1]!, 16);
      if (size === 0) {
        // Trailers (ignored, but held to the header rules) end with an empty line.
        const after = lineEnd + 2;
        let end: number;
        if (c.end - after >= 2 && b[after] === 13 && b[after + 1] === 10) end = after + 2;
        else {
          const t = b.indexOf(CRLFCRLF, after);
          if (t < 0) {
            if (c.end - after > limits.maxHeaderBytes) throw new Refusal(431);
            return undefined;
          }
          if (BAD_HEAD.test(b.toString('latin1', after, t))) throw new Refusal(400);
          end = t + 4;
        }
        c.consume(end - c.start);
        return p.body.subarray(0, p.total);
      }
      if (p.total + size > limits.maxBodyBytes) throw new Refusal(413);
      const dataStart = lineEnd + 2;
      if (c.end < dataStart + size + 2) return undefined;
      if (b[dataStart + size] !== 13 || b[dataStart + size + 1] !== 10) throw new Refusal(400);
      // One growing buffer for the decoded body: no object per chunk.
      if (p.total + size > p.body.length) {
        const grown = Buffer.allocUnsafe(Math.min(limits.maxBodyBytes, Math.max(p.total + size, p.body.length * 2, 256)));
        p.body.copy(grown, 0, 0, p.total);
        p.body = grown;
      }
      b.copy(p.body, p.total, dataStart, dataStart + size);
      p.total += size;
      c.consume(dataStart + size + 2 - c.start);
      p.chunkPos = c.start;
    }
  };

  /** Reads as many complete requests as the buffer holds (one at a time: replies keep order). */
  const readRequests = (c: Connection): void => {
    try {
      while (c.state === 'head' || c.state === 'body') {
        if (c.state === 'head') {
          // Empty lines before a request line are ignored (RFC 9112 §2.2).
          while (c.size >= 2 && c.store[c.start] === 13 && c.store[c.start + 1] === 10) c.consume(2);
          if (c.size === 0) {
            // Only empty lines: still idle, and the idle timeout keeps counting from before.
            c.state = 'idle';
            c.since = c.idleSince;
            if (c.clientEnded) c.socket.end();
            return;
          }
          const from = Math.max(c.start, c.headScan - 3);
          const at = c.store.indexOf(CRLFCRLF, from);
          if (at < 0 || at + 4 > c.end) {
            if (c.size > limits.maxHeaderBytes) throw new Refusal(431);
            if (c.clientEnded) throw new Refusal(400); // cut short: no more is coming
            c.headScan = c.end;
            return;
          }
          if (at - c.start > limits.maxHeaderBytes) throw new Refusal(431);
          const p = parseHead(c, at);
          c.consume(at + 4 - c.start);
          c.pending = p;
          c.state = 'body';
          p.chunkPos = c.start;
          const expect = p.headers['expect'];
          if (expect !== undefined && p.minorVersion === 1 && expect.toLowerCase() === '100-continue' && p.length !== 0) {
            const needed = p.length < 0 ? 1 : p.length;
            if (c.size < needed) c.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
          }
        }
        const p = c.pending!;
        if (p.length >= 0) {
          if (c.size < p.length) {
            if (c.clientEnded) throw new Refusal(400);
            return;
          }
          let body = EMPTY;
          if (p.length > 0) {
            body = Buffer.allocUnsafe(p.length);
            c.store.copy(body, 0, c.start, c.start + p.length);
          }
          c.consume(p.length);
          dispatch(c, p, body);
        } else {
          const body = dechunk(c, p);
          if (body === undefined) {
            if (c.clientEnded) throw new Refusal(400);
            return;
          }
          dispatch(c, p, body);
        }
      }
    } catch (e) {
      if (e instanceof Refusal) refuse(c, e.status);
      else {
        // A bug of ours must cost this connection, not the process (and every other client).
        try {
          refuse(c, 500);
        } catch {
          c.socket.destroy();
        }
      }
    }
  };

  /** Closes the oldest idle connection (a closing one first); false when none is idle. */
  const evictIdle = (): boolean => {
    let victim: Connection | undefined;
    for (const c of conns) {
      if (c.state === 'closing') {
        victim = c;
        break;
      }
      if (c.state === 'idle' && (!victim || c.since < victim.since)) victim = c;
    }
    if (!victim) return false;
    conns.delete(victim);
    victim.socket.destroy();
    stats.evicted++;
    return true;
  };

  /** At the cap with nothing idle: 503, then close (or just close when too many are waiting). */
  const refuseConnection = (socket: net.Socket): void => {
    stats.refused++;
    socket.on('error', () => socket.destroy());
    if (refusing >= cap) {
      socket.destroy();
      return;
    }
    refusing++;
    socket.once('close', () => refusing--);
    const r = errorReply(503);
    let head = `HTTP/1.1 503 ${r.statusText ?? STATUS_CODES[503]}\r\n`;
    for (const k in r.headers) head += `${k}: ${r.headers[k]}\r\n`;
    if (r.headers['Connection'] === undefined) head += 'Connection: close\r\n';
    socket.end(`${head}Retry-After: 1\r\n\r\n${r.body}`);
    // What the client sent is read and discarded, so its FIN is seen (and unread input does not
    // turn ours into a reset); a client that never closes is cut off after 2 s.
    socket.on('end', () => socket.destroy());
    socket.resume();
    socket.setTimeout(2000, () => socket.destroy());
  };

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    if (conns.size >= cap && !evictIdle()) {
      refuseConnection(socket);
      return;
    }
    const c = new Connection(socket, Date.now());
    conns.add(c);
    socket.on('data', (d: Buffer) => {
      if (c.state === 'closing') return;
      if (c.state === 'idle') {
        c.state = 'head';
        c.idleSince = c.since;
        c.since = Date.now();
      }
      c.append(d);
      if (c.state !== 'busy') readRequests(c);
      // While a reply is pending (a delayed one), buffer at most one more request's worth.
      else if (c.size > limits.maxHeaderBytes + limits.maxBodyBytes) socket.pause();
    });
    socket.on('end', () => {
      c.clientEnded = true;
      if (c.state === 'idle') socket.end();
      else if (c.state === 'head' || c.state === 'body') refuse(c, 400); // the request was cut short
      // busy: the reply ends the socket; closing: it is ending already.
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => conns.delete(c));
  });

  const sweep = setInterval(() => {
    // Descriptors used elsewhere in the process (GENA, files) can still bring the limit near.
    if (fdLimit !== undefined) {
      const free = fdLimit - (openFileCount() ?? 0);
      for (let i = free; i < FD_RESERVE / 2 && evictIdle(); i++);
    }
    const now = Date.now();
    for (const c of conns) {
      const age = now - c.since;
      if (c.state === 'head' && age > limits.headersTimeoutMs) refuse(c, 408);
      else if (c.state === 'body' && age > limits.requestTimeoutMs) refuse(c, 408);
      else if ((c.state === 'idle' || c.state === 'closing') && age > limits.keepAliveTimeoutMs) c.socket.destroy();
    }
  }, limits.checkIntervalMs);
  sweep.unref();

  try {
    await (options.sockets ?? DIRECT_SOCKETS).listenTcp(server, options.port, options.host);
  } catch (e) {
    clearInterval(sweep);
    throw e;
  }
  // Errors after listening are accept errors: out of descriptors makes room by evicting idle ones.
  server.on('error', (e: NodeJS.ErrnoException) => {
    stats.acceptErrors++;
    if (e.code === 'EMFILE' || e.code === 'ENFILE') for (let i = 0; i < 16 && evictIdle(); i++);
  });
  const port = (server.address() as net.AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    port,
    limits,
    get connections() {
      return conns.size;
    },
    get idleConnections() {
      let n = 0;
      for (const c of conns) if (c.state === 'idle' || c.state === 'closing') n++;
      return n;
    },
    stats,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        clearInterval(sweep);
        server.close(() => resolve());
        for (const c of conns) c.socket.destroy();
      });
      return closed;
    },
  };
}
