/**
 * The two promises every UDP socket adapter needs (SSDP, STUN, NAT-PMP/PCP): bind, rejecting
 * with the socket's error instead of emitting it, and close, resolving also when the socket was
 * already closed.
 */
import type { Socket } from 'node:dgram';

/** Binds `socket` to `address:port`; rejects with the bind error (EADDRINUSE, EADDRNOTAVAIL …). */
export function bindUdp(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

/** Closes `socket`; resolves once closed, at once when it was closed already. */
export function closeUdp(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
