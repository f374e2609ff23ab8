/**
 * The IGD's HTTP face: descriptions, SOAP control and GENA eventing on miniupnpd's URLs, with
 * miniupnpd's status codes and headers (`Content-Type: text/xml; charset="utf-8"`, `Server`, `Ext:`;
 * no Date, ETag or X-Powered-By).
 *
 * Connections: HTTP/1.1 persistent connections by default (the client's `Connection` header decides,
 * as RFC 9112 says); `keepAlive: false` answers every request with `Connection: close` and closes, as
 * miniupnpd does. Clients that ask to close (upnpc, python miniupnpc, nat-upnp) see the same either
 * way. Error pages for unread or unreadable requests (400, 408, 413, 415, 431) always close.
 *
 * Layers: {@link createUpnpResponder} is the IGD as a function from request to reply (no sockets);
 * {@link createUpnpHandler} adapts it to `node:http` (and `createUpnpApp` to express); the gateway
 * (`startGateway`, `natsim serve`) serves it with its own lean HTTP/1.1 server.
 *
 * Routing, as miniupnpd: GET serves the descriptions (paths case-insensitive), GET on /ctl/… is 405
 * (Allow: POST), GET on /evt/… is 405 (Allow: SUBSCRIBE, UNSUBSCRIBE), other GETs 404; POST runs a
 * SOAP action on any path (the SOAPACTION header selects it); SUBSCRIBE / UNSUBSCRIBE handle GENA;
 * every other method is 501. A Host header that is a DNS name is answered 404 (miniupnpd's
 * DNS-rebinding guard), one that is neither an IPv4 literal, a bracketed IPv6 literal nor a
 * name 400 (`host-header.ts`). natsim additions: requesters outside the router's LAN get
 * 403, bodies above the limit 413.
 *
 * The loopback rule: a real client (upnpc, a browser, a test) talking to a gateway bound to
 * 127.0.0.1 arrives from 127.0.0.1, which is not on the simulated LAN. Such a requester is taken
 * to be `trustLoopbackAs` (default: the router's LAN address + 1, e.g. 192.168.1.2). Secure mode
 * compares NewInternalClient with that address, and a NewInternalClient of 127.x.x.x or
 * `localhost` from a loopback requester (upnpc sends its own socket address) is stored as that
 * LAN address. GENA callbacks are still checked against the real peer (127.0.0.1), since NOTIFYs
 * go to the real network. `clientAddress(req)` overrides all of this.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inPrefix, tryParseIPv4 } from '../nat/address.js';
import { isLoopbackIPv4 } from './control-context.js';
import { normalizePeer } from './gena.js';
import { classifyHostHeader } from './host-header.js';
import { defaultLoopbackClient, httpErrorPage, UpnpService, type UpnpServiceOptions } from './service.js';
import { DEFAULT_BODY_LIMIT } from './soap-constants.js';
import type { ClientInfo } from './types.js';

/** An HTTP request as the IGD sees it, whatever carried it (node:http, natsim's gateway server, a test). */
export interface UpnpHttpRequest {
  readonly method: string;
  /** The request target (origin-form `/ctl/IPConn?x` or absolute-form). */
  readonly url: string;
  /** Header values by lower-case name (repeated headers joined with ", "). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The request body as received (empty for GET). */
  readonly body: Buffer;
  /** The TCP peer's address as the socket reports it. */
  readonly peer: string;
}

/** The IGD's answer to one {@link UpnpHttpRequest}. */
export interface UpnpHttpReply {
  readonly status: number;
  /** Reason phrase when it is not the standard one (GENA's "Precondition Failed" wording). */
  readonly statusText?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body; omitted from the wire for HEAD (Content-Length still announces it). */
  readonly body: string;
  /** Close the connection after this reply. */
  readonly close: boolean;
  /** Runs once the reply has been handed to the socket (GENA's initial NOTIFY). */
  readonly afterResponse?: () => void;
}

/** Options of {@link createUpnpResponder}, {@link createUpnpHandler} and `createUpnpApp`. */
export interface UpnpAppOptions extends UpnpServiceOptions {
  /** The requester's LAN address; return undefined to apply the default rule. Overrides the loopback rule. */
  readonly clientAddress?: (req: UpnpHttpRequest) => string | undefined;
  /** The LAN address a loopback requester stands for (default: router LAN address + 1). */
  readonly trustLoopbackAs?: string;
  /** Check the Host header: 404 for a DNS name (as miniupnpd), 400 for a malformed one (default true). */
  readonly checkHostHeader?: boolean;
  /**
   * Keep HTTP/1.1 connections open between requests unless the client asks to close (default true).
   * false: `Connection: close` on every reply, as miniupnpd.
   */
  readonly keepAlive?: boolean;
}

/** The IGD as a function from request to reply: the core every HTTP transport calls. */
export type UpnpResponder = ((req: UpnpHttpRequest) => UpnpHttpReply) & {
  /** The IGD (configuration, GENA publisher, identity for SSDP). */
  readonly upnp: UpnpService;
  /** Largest request body accepted (larger: {@link UpnpResponder.errorReply} 413). */
  readonly bodyLimit: number;
  /** The reply for a request the transport refused before the IGD saw it (400, 408, 413, 431, …); closes. */
  errorReply(status: number, method?: string): UpnpHttpReply;
  /** Detaches from the router and drops subscriptions. */
  close(): void;
};

/** The IGD as a plain `node:http` request handler (`http.createServer(handler)`). */
export type UpnpHandler = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** The IGD (configuration, GENA publisher, identity for SSDP). */
  readonly upnp: UpnpService;
  /** Detaches from the router and drops subscriptions. */
  close(): void;
};

const XML = 'text/xml; charset="utf-8"';

const ERROR_TITLES: Readonly<Record<number, [string, string]>> = {
  400: ['Bad Request', 'The request could not be read.'],
  403: ['Forbidden', 'Only clients on the LAN may use this service.'],
  404: ['Not Found', 'The requested URL was not found on this server.'],
  405: ['Method Not Allowed', 'The HTTP Method is not allowed on this resource.'],
  408: ['Request Timeout', 'The request took too long to arrive.'],
  413: ['Request Entity Too Large', 'The request body is too large.'],
  415: ['Unsupported Media Type', 'The request charset is not supported.'],
  431: ['Request Header Fields Too Large', 'The request headers are too large.'],
  500: ['Internal Server Error', 'Internal Server Error'],
  501: ['Not Implemented', 'The HTTP Method is not implemented by this server.'],
  503: ['Service Unavailable', 'Too many connections; try again later.'],
  505: ['HTTP Version Not Supported', 'Only HTTP/1.0 and HTTP/1.1 are supported.'],
};
const PAGES = new Map(
  Object.entries(ERROR_TITLES).map(([status, [title, text]]) => [Number(status), httpErrorPage(Number(status), title, text)]),
);
const page = (status: number): string => PAGES.get(status) ?? httpErrorPage(status, 'Error', 'Error');

/** Path of a request target without the query (origin-form or absolute-form), as express's `req.path`. */
function pathOf(url = '/'): string {
  if (url.startsWith('/')) {
    const q = url.indexOf('?');
    return q < 0 ? url : url.slice(0, q);
  }
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

/** Buffer encodings for the charsets a SOAP body may declare (others: 415). */
const CHARSETS: Readonly<Record<string, BufferEncoding>> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'us-ascii': 'latin1',
  ascii: 'latin1',
  'iso-8859-1': 'latin1',
  latin1: 'latin1',
  'utf-16le': 'utf16le',
};

function charsetOf(contentType: string | undefined): string {
  if (contentType === undefined || contentType === XML || !contentType.includes('charset')) return 'utf-8';
  const m = /;\s*charset\s*=\s*("?)([^";\s]+)\1/i.exec(contentType);
  return m ? m[2]!.toLowerCase() : 'utf-8';
}

/**
 * Creates the IGD as a function from {@link UpnpHttpRequest} to {@link UpnpHttpReply}: routing,
 * descriptions, SOAP control and GENA, with miniupnpd's status codes and headers. Transports
 * (the node:http handler below, the gateway's own server) read the request and write the reply.
 */
export function createUpnpResponder(options: UpnpAppOptions): UpnpResponder {
  const service = new UpnpService(options);
  const router = options.router;
  const loopbackAs = options.trustLoopbackAs ?? defaultLoopbackClient(router);
  const checkHost = options.checkHostHeader ?? true;
  const server = service.profile.serverString;
  const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const keepAlive = options.keepAlive ?? true;
  const loopbackIp = tryParseIPv4(loopbackAs);

  const reply = (
    req: Pick<UpnpHttpRequest, 'headers'> | undefined,
    status: number,
    contentType: string,
    body: string,
    extra?: Readonly<Record<string, string>>,
    statusText?: string,
  ): UpnpHttpReply => {
    // Refused or unread bodies (400, 408, 413, 415, 431) always close the connection.
    const close = !keepAlive || status === 400 || status === 408 || status === 413 || status === 415 || status === 431;
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      'Content-Length': String(Buffer.byteLength(body, 'utf8')),
      Server: server,
      Ext: '',
    };
    if (extra) Object.assign(headers, extra);
    if (close) headers['Connection'] = 'close';
    const lang = req?.headers['accept-language'];
    if (lang) {
      const first = /^[^\s,]*/.exec(lang.trim())![0];
      if (first) headers['Content-Language'] = first.startsWith('*') ? 'en' : first;
    }
    return statusText !== undefined ? { status, statusText, headers, body, close } : { status, headers, body, close };
  };

  const resolveClient = (req: UpnpHttpRequest): ClientInfo | undefined => {
    const peer = normalizePeer(req.peer);
    const loopback = peer === '::1' || isLoopbackIPv4(peer);
    const address = options.clientAddress?.(req) ?? (loopback ? loopbackAs : peer);
    const ip = address === loopbackAs ? loopbackIp : tryParseIPv4(address);
    if (ip < 0 || !inPrefix(ip, router.lanPrefix)) return undefined;
    const ua = req.headers['user-agent'];
    return { address, peer, loopback, ...(ua !== undefined ? { userAgent: ua } : {}) };
  };

  const respond = (req: UpnpHttpRequest): UpnpHttpReply => {
    const path = pathOf(req.url);
    const client = resolveClient(req);
    if (!client) {
      service.config.emit({
        type: 'refused',
        peer: normalizePeer(req.peer),
        method: req.method,
        path,
        reason: `requester is not on the LAN of ${router.id}`,
      });
      return reply(req, 403, 'text/html', page(403));
    }
    const host = checkHost ? classifyHostHeader(req.headers['host']) : 'ok';
    if (host === 'name') {
      service.config.emit({
        type: 'refused',
        peer: client.peer,
        method: req.method,
        path,
        reason: 'DNS rebinding suspected (Host header)',
      });
      return reply(req, 404, 'text/html', page(404));
    }
    if (host === 'malformed') {
      service.config.emit({ type: 'refused', peer: client.peer, method: req.method, path, reason: 'malformed Host header' });
      return reply(req, 400, 'text/html', page(400));
    }
    switch (req.method) {
      case 'GET': {
        const doc = service.description(path, client.userAgent);
        if (doc !== undefined) return reply(req, 200, XML, doc);
        if (path.startsWith('/ctl/')) return reply(req, 405, 'text/html', page(405), { Allow: 'POST' });
        if (path.startsWith('/evt/')) return reply(req, 405, 'text/html', page(405), { Allow: 'SUBSCRIBE, UNSUBSCRIBE' });
        return reply(req, 404, 'text/html', page(404));
      }
      case 'POST': {
        if (req.body.length > limit) return reply(req, 413, 'text/html', page(413));
        const encoding = CHARSETS[charsetOf(req.headers['content-type'])];
        if (encoding === undefined) return reply(req, 415, 'text/html', page(415));
        try {
          const r = service.control({ soapAction: req.headers['soapaction'], body: req.body.toString(encoding), client, path });
          return reply(req, r.status, r.contentType, r.body);
        } catch {
          return reply(req, 500, 'text/html', page(500));
        }
      }
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        const h = req.headers;
        const r = service.gena.handle({
          method: req.method,
          path,
          peer: client.peer,
          nt: h['nt'],
          callback: h['callback'],
          sid: h['sid'],
          timeout: h['timeout'],
        });
        const out = reply(req, r.status, XML, '', r.headers, r.statusText);
        return r.afterResponse ? { ...out, afterResponse: r.afterResponse } : out;
      }
      default:
        return reply(req, 501, 'text/html', page(501));
    }
  };

  return Object.assign(respond, {
    upnp: service,
    bodyLimit: limit,
    errorReply: (status: number) => reply(undefined, status, 'text/html', page(status)),
    close: () => service.close(),
  }) as UpnpResponder;
}

/** Header values by lower-case name, repeated headers joined (node:http keeps arrays for some). */
function flatHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * Creates the IGD as a plain `node:http` request handler, over {@link createUpnpResponder}, for
 * mounting in your own server. SOAP bodies of any Content-Type are read up to the body limit (413
 * above it; 415 for a charset outside UTF-8/ASCII/Latin-1/UTF-16LE). Persistent connections follow
 * node:http's rules (the client's Connection header), unless `keepAlive: false`.
 */
export function createUpnpHandler(options: UpnpAppOptions): UpnpHandler {
  const responder = createUpnpResponder(options);
  const write = (req: IncomingMessage, res: ServerResponse, r: UpnpHttpReply): void => {
    if (res.headersSent) return;
    res.sendDate = false;
    if (r.afterResponse) res.on('finish', r.afterResponse);
    if (r.statusText !== undefined) res.writeHead(r.status, r.statusText, r.headers);
    else res.writeHead(r.status, r.headers);
    res.end(req.method === 'HEAD' ? undefined : r.body);
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const request = (body: Buffer): UpnpHttpRequest => ({
      method: req.method ?? '',
      url: req.url ?? '/',
      headers: flatHeaders(req),
      body,
      peer: req.socket.remoteAddress ?? '',
    });
    if (req.method !== 'POST') {
      req.resume();
      write(req, res, responder(request(Buffer.alloc(0))));
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (declared > responder.bodyLimit) {
      req.resume();
      write(req, res, responder.errorReply(413));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const fail = (status: number): void => {
      if (finished) return;
      finished = true;
      req.resume();
      write(req, res, responder.errorReply(status));
    };
    req.on('data', (c: Buffer) => {
      if (finished) return;
      size += c.length;
      if (size > responder.bodyLimit) return fail(413);
      chunks.push(c);
    });
    req.on('end', () => {
      if (finished) return;
      finished = true;
      write(req, res, responder(request(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size))));
    });
    req.on('error', () => fail(400));
  };
  return Object.assign(handler, { upnp: responder.upnp, close: responder.close }) as UpnpHandler;
}
