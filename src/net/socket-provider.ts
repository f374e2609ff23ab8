/**
 * Where a served router's sockets come from: the gateway's adapters (HTTP, SSDP, NAT-PMP/PCP,
 * GENA NOTIFY) ask a {@link SocketProvider} for their listening TCP server, their bound UDP
 * sockets and their outgoing TCP connections instead of opening them themselves.
 *
 * {@link DIRECT_SOCKETS}, the default, opens them in natsim's own network namespace, exactly as the
 * adapters always did (`natsim serve`). The lab's provider (src/lab/router-sockets.ts) has them
 * opened inside a router's network namespace by a helper process, which hands each one to natsim;
 * natsim then reads and writes them as its own, and the model answers on the router's LAN.
 */
import dgram, { type Socket as UdpSocket } from 'node:dgram';
import net from 'node:net';
import { bindUdp } from './udp-socket.js';

/** How a UDP socket is bound. */
export interface UdpBindRequest {
  /** IPv4 address to bind to (a unicast address, or a multicast group to receive only its datagrams). */
  readonly address: string;
  /** 0: any free port. */
  readonly port: number;
  /** SO_REUSEADDR (SSDP's sockets share port 1900). Default false. */
  readonly reuseAddr?: boolean;
}

/** How an outgoing TCP connection is made. */
export interface TcpConnectRequest {
  readonly host: string;
  readonly port: number;
  /** Give up connecting after this long (the provider's default when absent). */
  readonly timeoutMs?: number;
}

/** Called with the connected socket, or the error that stopped it. */
export type TcpConnectCallback = (error: Error | null, socket?: net.Socket) => void;

/** The sockets of one served router. */
export interface SocketProvider {
  /**
   * Makes `server` (created by the caller, with its own options and connection handler) listen on
   * `address:port` (0: any free port). Resolves once it listens; rejects with the listen error.
   */
  listenTcp(server: net.Server, port: number, address: string): Promise<void>;
  /** A udp4 socket bound as asked. Rejects with the bind error (EADDRINUSE, EADDRNOTAVAIL …). */
  bindUdp(request: UdpBindRequest): Promise<UdpSocket>;
  /**
   * Opens a TCP connection and calls back once with the socket (which may still be connecting;
   * its `error` event then reports a failure) or with the error. `http.request`'s
   * `createConnection` can forward to it.
   */
  connectTcp(request: TcpConnectRequest, callback: TcpConnectCallback): void;
}

/** Sockets of natsim's own network namespace: what the gateway always used. */
export const DIRECT_SOCKETS: SocketProvider = {
  listenTcp: (server, port, address) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => {
        server.off('error', reject);
        resolve();
      });
    }),
  bindUdp: async ({ address, port, reuseAddr = false }) => {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr });
    try {
      await bindUdp(socket, port, address);
    } catch (e) {
      socket.close();
      throw e;
    }
    return socket;
  },
  connectTcp: ({ host, port }, callback) => callback(null, net.connect({ host, port })),
};
