/**
 * A router's sockets, made inside its lab namespace: {@link startRouterSockets} runs the helper
 * of router-sockets-source.ts there (nsenter, like a host's processes) and returns a
 * {@link SocketProvider} whose every socket the helper opens in the router's namespace and hands
 * over. The gateway (src/gateway) serves the router with it, so its HTTP, SSDP and NAT-PMP/PCP
 * sockets listen on the router's LAN address inside the lab while the model stays in natsim.
 *
 * Bounds: at most {@link MAX_PENDING} requests wait for the helper at once (more are refused with
 * `EAGAIN`), and each waits at most {@link REQUEST_TIMEOUT_MS} (a connection: its own timeout
 * plus that).
 */
import type { ChildProcess } from 'node:child_process';
import type { Socket as UdpSocket } from 'node:dgram';
import type net from 'node:net';
import type { SocketProvider } from '../net/socket-provider.js';
import { hostSpawn } from './host-process.js';
import type { LabMode } from './lab-namespace.js';
import { ROUTER_SOCKETS_SOURCE } from './router-sockets-source.js';

/** Requests waiting for the helper at once. */
export const MAX_PENDING = 256;
/** How long a request waits for the helper, ms. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** An outgoing connection's connect timeout when the caller gives none, ms. */
const CONNECT_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 10_000;

/** A running helper and the provider it backs. */
export interface RouterSockets {
  readonly provider: SocketProvider;
  /** Ends the helper (the sockets it handed over stay natsim's). */
  stop(): void;
}

interface Pending {
  readonly resolve: (handle: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface HelperReply {
  readonly t: string;
  readonly id?: number;
  readonly code?: string;
  readonly message?: string;
}

const errorWithCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

/**
 * Starts the helper in the network namespace held by `pid` (router `router`, for messages).
 * Rejects when it does not start.
 */
export async function startRouterSockets(mode: LabMode, pid: number, router: string): Promise<RouterSockets> {
  const child = hostSpawn(mode, pid, process.execPath, ['-e', ROUTER_SOCKETS_SOURCE], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  const ended = (): string =>
    `the socket helper of router ${router} ended${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the socket helper of router ${router} did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    child.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(ended()));
    });
  });
  return routerSockets(child, router, ended);
}

function routerSockets(child: ChildProcess, router: string, ended: () => string): RouterSockets {
  const pending = new Map<number, Pending>();
  let nextId = 1;
  child.on('message', (m: HelperReply, handle: unknown) => {
    const p = m.id !== undefined ? pending.get(m.id) : undefined;
    if (!p) {
      closeHandle(handle); // its request timed out: nobody wants it
      return;
    }
    pending.delete(m.id!);
    clearTimeout(p.timer);
    if (m.t === 'ok' && handle) p.resolve(handle);
    else p.reject(errorWithCode(m.message ?? `router ${router}: the socket helper failed`, m.code ?? 'EIO'));
  });
  child.once('exit', () => {
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(errorWithCode(ended(), 'ECONNRESET'));
    }
    pending.clear();
  });
  const ask = <T>(request: Record<string, unknown>, timeoutMs: number): Promise<T> => {
    if (!child.connected) return Promise.reject(errorWithCode(ended(), 'ECONNRESET'));
    if (pending.size >= MAX_PENDING) {
      return Promise.reject(errorWithCode(`router ${router}: ${MAX_PENDING} socket requests are waiting already`, 'EAGAIN'));
    }
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(errorWithCode(`router ${router}: the socket helper did not answer within ${timeoutMs} ms`, 'ETIMEDOUT'));
      }, timeoutMs);
      pending.set(id, { resolve: resolve as (h: unknown) => void, reject, timer });
      child.send({ ...request, id });
    });
  };
  const provider: SocketProvider = {
    listenTcp: async (server, port, address) => {
      const handle = await ask<net.Server>({ t: 'listen', address, port }, REQUEST_TIMEOUT_MS);
      // The server takes the listening handle over (net.Server#listen(handle)).
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(handle, () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    bindUdp: ({ address, port, reuseAddr = false }) => ask<UdpSocket>({ t: 'udp', address, port, reuseAddr }, REQUEST_TIMEOUT_MS),
    connectTcp: ({ host, port, timeoutMs = CONNECT_TIMEOUT_MS }, callback) => {
      ask<net.Socket>({ t: 'connect', host, port, timeoutMs }, timeoutMs + REQUEST_TIMEOUT_MS).then(
        (socket) => callback(null, socket),
        (e: Error) => callback(e),
      );
    },
  };
  return {
    provider,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

/** Closes a server or socket handed over too late. */
function closeHandle(handle: unknown): void {
  const h = handle as { close?: () => void; destroy?: () => void } | undefined;
  try {
    if (h?.destroy) h.destroy();
    else h?.close?.();
  } catch {
    /* closed already */
  }
}
