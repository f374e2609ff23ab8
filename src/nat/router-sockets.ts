/**
 * A router's own sockets in the model: a port on its LAN address (a server its LAN reaches, such
 * as a PCP server on UDP 5351) or on its WAN address (a client's socket, such as the PCP client
 * of a home router asking its carrier). A datagram for a bound WAN port is delivered to the router
 * instead of being translated inward; a bound port may have a handler that answers datagrams
 * ({@link Network.exchange}). The model keeps no wire codec: handlers are injected by the layers
 * that speak the protocols.
 */
import type { Endpoint } from './address.js';

/** Which side of a router a socket is on: its LAN address, or its (primary) WAN address. */
export type RouterSide = 'lan' | 'wan';

/** Answers one datagram that reached a router's socket: the reply's bytes, or undefined (no answer). */
export type SocketHandler = (datagram: Uint8Array, from: Endpoint, now: number) => Uint8Array | undefined;

/** One bound socket. */
export interface RouterSocket {
  readonly router: string;
  readonly side: RouterSide;
  readonly proto: 'udp' | 'tcp';
  readonly port: number;
  readonly handler?: SocketHandler;
}

/** Every router socket of a network, by router, side, protocol and port. */
export class RouterSockets {
  readonly #byKey = new Map<string, RouterSocket>();

  get size(): number {
    return this.#byKey.size;
  }

  /** Binds a socket; throws when the port is bound already. Returns the unbind function. */
  bind(socket: RouterSocket): () => void {
    const k = keyOf(socket.router, socket.side, socket.proto, socket.port);
    if (this.#byKey.has(k)) {
      throw new Error(`router ${socket.router}: ${socket.proto.toUpperCase()} ${socket.port} on its ${socket.side} side is bound already`);
    }
    this.#byKey.set(k, socket);
    return () => {
      if (this.#byKey.get(k) === socket) this.#byKey.delete(k);
    };
  }

  get(router: string, side: RouterSide, proto: string, port: number): RouterSocket | undefined {
    return this.#byKey.get(keyOf(router, side, proto, port));
  }
}

const keyOf = (router: string, side: RouterSide, proto: string, port: number): string => `${router}|${side}|${proto}|${port}`;
