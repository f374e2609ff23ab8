/**
 * The IGD's HTTP face: descriptions, SOAP control and GENA eventing on miniupnpd's URLs, with
 * miniupnpd's status codes and headers (`Content-Type: text/xml; charset="utf-8"`,
 * `Connection: close`, `Server`, `Ext:`; no Date, ETag or X-Powered-By).
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
import type { IncomingHttpHeaders } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { inPrefix, isIPv4, parseIPv4 } from '../nat/address.js';
import { isLoopbackIPv4 } from './control-context.js';
import { normalizePeer } from './gena.js';
import { DEFAULT_BODY_LIMIT } from './soap-constants.js';
import { UpnpService, defaultLoopbackClient, httpErrorPage, type UpnpServiceOptions } from './service.js';
import type { ClientInfo } from './types.js';

/** Options of {@link createUpnpApp}. */
export interface UpnpAppOptions extends UpnpServiceOptions {
  /** The requester's LAN address; return undefined to apply the default rule. Overrides the loopback rule. */
  readonly clientAddress?: (req: Request) => string | undefined;
  /** The LAN address a loopback requester stands for (default: router LAN address + 1). */
  readonly trustLoopbackAs?: string;
  /** Answer 404 to a Host header that is not a numeric address (default true, as miniupnpd). */
  readonly checkHostHeader?: boolean;
}

/** The express app, with the IGD behind it. */
export type UpnpApp = Express & {
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

/**
 * Creates the IGD's express app. Listen on it with `app.listen(port, address)` or mount it.
 * Call `app.close()` when the router goes away.
 */
export function createUpnpApp(options: UpnpAppOptions): UpnpApp {
  const service = new UpnpService(options);
  const router = options.router;
  const loopbackAs = options.trustLoopbackAs ?? defaultLoopbackClient(router);
  const checkHost = options.checkHostHeader ?? true;
  const server = service.profile.serverString;
  const textParser = express.text({ type: () => true, limit: options.bodyLimit ?? DEFAULT_BODY_LIMIT, defaultCharset: 'utf-8' });
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  const send = (
    req: Request, res: Response, status: number, statusText: string | undefined,
    contentType: string, body: string, extra: Readonly<Record<string, string>> = {},
  ): void => {
    if (res.headersSent) return;
    res.sendDate = false;
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      Connection: 'close',
      'Content-Length': String(Buffer.byteLength(body, 'utf8')),
      Server: server,
      Ext: '',
      ...extra,
    };
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

  app.use((req: Request, res: Response, next: NextFunction) => {
    const client = resolveClient(req);
    if (!client) {
      service.config.emit({
        type: 'refused', peer: normalizePeer(req.socket.remoteAddress), method: req.method, path: req.path,
        reason: `requester is not on the LAN of ${router.id}`,
      });
      send(req, res, 403, undefined, 'text/html', PAGES.forbidden);
      return;
    }
    if (checkHost && !hostHeaderAcceptable(header(req.headers, 'host'))) {
      service.config.emit({ type: 'refused', peer: client.peer, method: req.method, path: req.path, reason: 'DNS rebinding suspected (Host header)' });
      send(req, res, 404, undefined, 'text/html', PAGES.notFound);
      return;
    }
    const path = req.path;
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
        textParser(req, res, (err?: unknown) => {
          if (err) return next(err);
          const body = typeof req.body === 'string' ? req.body : '';
          const r = service.control({ soapAction: header(req.headers, 'soapaction'), body, client, path });
          send(req, res, r.status, undefined, r.contentType, r.body);
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
  });

  // Body errors (size, charset, aborted uploads) end here: never a crash.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = typeof err === 'object' && err !== null && 'status' in err ? Number((err as { status: unknown }).status) : 500;
    if (status === 413) return send(req, res, 413, undefined, 'text/html', PAGES.tooLarge);
    if (status === 415) return send(req, res, 415, undefined, 'text/html', httpErrorPage(415, 'Unsupported Media Type', 'The request charset is not supported.'));
    if (status >= 400 && status < 500) return send(req, res, 400, undefined, 'text/html', PAGES.badRequest);
    return send(req, res, 500, undefined, 'text/html', httpErrorPage(500, 'Internal Server Error', 'Internal Server Error'));
  });

  return Object.assign(app, {
    upnp: service,
    close: () => service.close(),
  }) as UpnpApp;
}
