/**
 * NOTIFY delivery over HTTP for the gateway.
 *
 * Every NOTIFY goes on a connection of its own (`agent: false`, `Connection: close`), as miniupnpd
 * does: issue 12 found NOTIFYs written on a keep-alive socket the subscriber had just closed (Node's
 * global agent keeps sockets alive), failing with "socket hang up" and costing the subscription.
 * The URL delivered to is the WHATWG-parsed callback (gena-callback.ts), the one that was checked.
 */
import http from 'node:http';
import type { SocketProvider } from '../net/socket-provider.js';
import { GENA_LIMITS } from './soap-constants.js';

/**
 * Sends one NOTIFY; a rejected promise means the delivery failed. `signal` aborts it (the
 * subscription ended): a request not yet written is then never sent.
 */
export type DeliverFn = (url: string, headers: Readonly<Record<string, string>>, body: string, signal?: AbortSignal) => Promise<unknown>;

/**
 * Delivers NOTIFYs with node:http, one fresh connection each. Resolves on a 2xx answer; rejects on
 * another status, a connection error, an abort, or no answer within `timeoutMs`. With `sockets`,
 * the connections are the provider's (a router's namespace in the lab); default: node:net's.
 */
export function httpDeliver(timeoutMs: number = GENA_LIMITS.notifyTimeoutMs, sockets?: SocketProvider): DeliverFn {
  const createConnection = sockets ? connectVia(sockets, timeoutMs) : undefined;
  return (url, headers, body, signal) =>
    new Promise<void>((resolve, reject) => {
      const target = new URL(url);
      const req = http.request(
        target,
        {
          method: 'NOTIFY',
          headers,
          timeout: timeoutMs,
          // No agent with createConnection (an agent would use its own); either way one connection, closed after.
          ...(createConnection ? { createConnection } : { agent: false }),
          ...(signal ? { signal } : {}),
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) resolve();
            else reject(new Error(`NOTIFY ${url}: HTTP ${code}`));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`NOTIFY ${url}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
}

/** `http.request`'s `createConnection` through a provider (the socket is handed over later, so it returns nothing). */
function connectVia(sockets: SocketProvider, timeoutMs: number): NonNullable<http.RequestOptions['createConnection']> {
  return (options, oncreate) => {
    const port = Number(options.port ?? 80);
    const host = String(options.host ?? options.hostname ?? '');
    sockets.connectTcp({ host, port, timeoutMs }, (error, socket) => oncreate(error, socket!));
    return undefined;
  };
}
