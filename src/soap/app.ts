/**
 * The IGD's HTTP face: descriptions, SOAP control and GENA eventing on miniupnpd's URLs, with
 * miniupnpd's status codes and headers (`Content-Type: text/xml; charset="utf-8"`, `Server`, `Ext:`;
 * no Date, ETag or X-Powered-By).
 *
 * Connections: HTTP/1.1 persistent connections by default (the client's `Connection` header decides,
 * as RFC 9112 says); `keepAlive: false` answers every request with `Connection: close` and closes, as
 * miniupnpd does. Clients that ask to close (upnpc, python miniupnpc, nat-upnp) see the same either
 * way. Error pages for unread or unreadable bodies (400, 413, 415) always close.
 *
 * Routing, as miniupnpd: GET serves the descriptions (paths case-insensitive), GET on /ctl/… is 405
 * (Allow: POST), GET on /evt/… is 405 (Allow: SUBSCRIBE, UNSUBSCRIBE), other GETs 404; POST runs a
 * SOAP action on any path (the SOAPACTION header selects it); SUBSCRIBE / UNSUBSCRIBE handle GENA;
 * every other method is 501. A Host header that is not a numeric address is answered 404
 * (miniupnpd's DNS-rebinding guard). natsim additions: requesters outside the router's LAN get
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
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { inPrefix, isIPv4, parseIPv4 } from '../nat/address.js';
import { isLoopbackIPv4 } from './control-context.js';
import { normalizePeer } from './gena.js';
import { DEFAULT_BODY_LIMIT } from './soap-constants.js';
import { UpnpService, defaultLoopbackClient, httpErrorPage, type UpnpServiceOptions } from './service.js';
import type { ClientInfo } from './types.js';

/** Options of {@link createUpnpApp}. */
export interface UpnpAppOptions extends UpnpServiceOptions {
  /** The requester's LAN address; return undefined to apply the default rule. Overrides the loopback rule. */
  readonly clientAddress?: (req: IncomingMessage) => string | undefined;
  /** The LAN address a loopback requester stands for (default: router LAN address + 1). */
  readonly trustLoopbackAs?: string;
  /** Answer 404 to a Host header that is not a numeric address (default true, as miniupnpd). */
  readonly checkHostHeader?: boolean;
  /**
   * Keep HTTP/1.1 connections open between requests unless the client asks to close (default true).
   * false: `Connection: close` on every reply, as miniupnpd.
   */
  readonly keepAlive?: boolean;
}

/** The IGD as a plain `node:http` request handler (`http.createServer(handler)`). */
export type UpnpHandler = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** The IGD (configuration, GENA publisher, identity for SSDP). */
  readonly upnp: UpnpService;
  /** Detaches from the router and drops subscriptions. */
  close(): void;
};

const XML = 'text/xml; charset="utf-8"';

const PAGES = {
  notFound: httpErrorPage(404, 'Not Found', 'The requested URL was not found on this server.'),
  methodNotAllowed: httpErrorPage(405, 'Method Not Allowed', 'The HTTP Method is not allowed on this resource.'),
  notImplemented: httpErrorPage(501, 'Not Implemented', 'The HTTP Method is not implemented by this server.'),
  forbidden: httpErrorPage(403, 'Forbidden', 'Only clients on the LAN may use this service.'),
  tooLarge: httpErrorPage(413, 'Request Entity Too Large', 'The request body is too large.'),
  badRequest: httpErrorPage(400, 'Bad Request', 'The request could not be read.'),
} as const;

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** miniupnpd's Host check: digits, dots and colons, or a bracketed IPv6 literal. */
export function hostHeaderAcceptable(host: string | undefined): boolean {
  if (host === undefined || host === '') return true;
  if (host.startsWith('[')) return host.includes(']');
  return /^[0-9.:]+$/.test(host);
}

type Request = IncomingMessage;
type Response = ServerResponse;

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
  'utf-8': 'utf8', utf8: 'utf8', 'us-ascii': 'latin1', ascii: 'latin1', 'iso-8859-1': 'latin1', latin1: 'latin1', 'utf-16le': 'utf16le',
};

function charsetOf(contentType: string | undefined): string {
  const m = contentType ? /;\s*charset\s*=\s*("?)([^";\s]+)\1/i.exec(contentType) : null;
  return m ? m[2]!.toLowerCase() : 'utf-8';
}

/** Reads a body up to `limit` bytes; `status` 413 (too large), 415 (charset), 400 (aborted). */
function readBody(req: Request, limit: number, done: (status: number | undefined, text: string) => void): void {
  const encoding = CHARSETS[charsetOf(header(req.headers, 'content-type'))];
  let finished = false;
  const finish = (status: number | undefined, text = ''): void => {
    if (finished) return;
    finished = true;
    if (status !== undefined) req.resume();
    done(status, text);
  };
  if (encoding === undefined) return finish(415);
  const declared = Number(header(req.headers, 'content-length'));
  if (declared > limit) return finish(413);
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    if (finished) return;
    size += c.length;
    if (size > limit) return finish(413);
    chunks.push(c);
  });
  req.on('end', () => finish(undefined, (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString(encoding)));
  req.on('aborted', () => finish(400));
  req.on('error', () => finish(400));
}

/**
 * Creates the IGD as a plain request handler: the fast path `natsim serve` and `startGateway()` use
 * (no framework on the request path). SOAP bodies of any Content-Type are read up to the body
 * limit (413 above it; 415 for a charset outside UTF-8/ASCII/Latin-1/UTF-16LE).
 */
export function createUpnpHandler(options: UpnpAppOptions): UpnpHandler {
  const service = new UpnpService(options);
  const router = options.router;
  const loopbackAs = options.trustLoopbackAs ?? defaultLoopbackClient(router);
  const checkHost = options.checkHostHeader ?? true;
  const server = service.profile.serverString;
  const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const keepAlive = options.keepAlive ?? true;

  const send = (
    req: Request, res: Response, status: number, statusText: string | undefined,
    contentType: string, body: string, extra: Readonly<Record<string, string>> = {},
  ): void => {
    if (res.headersSent) return;
    res.sendDate = false;
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      'Content-Length': String(Buffer.byteLength(body, 'utf8')),
      Server: server,
      Ext: '',
      ...extra,
    };
    if (!keepAlive || status === 400 || status === 413 || status === 415) headers['Connection'] = 'close';
    const lang = header(req.headers, 'accept-language');
    if (lang) {
      const first = /^[^\s,]*/.exec(lang.trim())![0];
      if (first) headers['Content-Language'] = first.startsWith('*') ? 'en' : first;
    }
    if (statusText) res.writeHead(status, statusText, headers);
    else res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const resolveClient = (req: Request): ClientInfo | undefined => {
    const peer = normalizePeer(req.socket.remoteAddress);
    const loopback = peer === '::1' || isLoopbackIPv4(peer);
    const address = options.clientAddress?.(req) ?? (loopback ? loopbackAs : peer);
    if (!isIPv4(address) || !inPrefix(parseIPv4(address), router.lanPrefix)) return undefined;
    const ua = header(req.headers, 'user-agent');
    return { address, peer, loopback, ...(ua !== undefined ? { userAgent: ua } : {}) };
  };

  const app = (req: Request, res: Response): void => {
    const path = pathOf(req.url);
    const client = resolveClient(req);
    if (!client) {
      service.config.emit({
        type: 'refused', peer: normalizePeer(req.socket.remoteAddress), method: req.method ?? '', path,
        reason: `requester is not on the LAN of ${router.id}`,
      });
      send(req, res, 403, undefined, 'text/html', PAGES.forbidden);
      return;
    }
    if (checkHost && !hostHeaderAcceptable(header(req.headers, 'host'))) {
      service.config.emit({ type: 'refused', peer: client.peer, method: req.method ?? '', path, reason: 'DNS rebinding suspected (Host header)' });
      send(req, res, 404, undefined, 'text/html', PAGES.notFound);
      return;
    }
    switch (req.method) {
      case 'GET': {
        const doc = service.description(path, client.userAgent);
        if (doc !== undefined) return send(req, res, 200, undefined, XML, doc);
        if (path.startsWith('/ctl/')) return send(req, res, 405, undefined, 'text/html', PAGES.methodNotAllowed, { Allow: 'POST' });
        if (path.startsWith('/evt/')) {
          return send(req, res, 405, undefined, 'text/html', PAGES.methodNotAllowed, { Allow: 'SUBSCRIBE, UNSUBSCRIBE' });
        }
        return send(req, res, 404, undefined, 'text/html', PAGES.notFound);
      }
      case 'POST':
        readBody(req, limit, (status, body) => {
          if (status === 413) return send(req, res, 413, undefined, 'text/html', PAGES.tooLarge);
          if (status === 415) return send(req, res, 415, undefined, 'text/html', httpErrorPage(415, 'Unsupported Media Type', 'The request charset is not supported.'));
          if (status !== undefined) return send(req, res, 400, undefined, 'text/html', PAGES.badRequest);
          try {
            const r = service.control({ soapAction: header(req.headers, 'soapaction'), body, client, path });
            send(req, res, r.status, undefined, r.contentType, r.body);
          } catch {
            send(req, res, 500, undefined, 'text/html', httpErrorPage(500, 'Internal Server Error', 'Internal Server Error'));
          }
        });
        return;
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        const r = service.gena.handle({
          method: req.method,
          path,
          peer: client.peer,
          nt: header(req.headers, 'nt'),
          callback: header(req.headers, 'callback'),
          sid: header(req.headers, 'sid'),
          timeout: header(req.headers, 'timeout'),
        });
        if (r.afterResponse) res.on('finish', r.afterResponse);
        return send(req, res, r.status, r.statusText, XML, '', r.headers);
      }
      default:
        return send(req, res, 501, undefined, 'text/html', PAGES.notImplemented);
    }
  };

  return Object.assign(app, {
    upnp: service,
    close: () => service.close(),
  }) as UpnpHandler;
}
