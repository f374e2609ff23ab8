/** A UDP test client on 127.0.0.1 that records what it receives (SSDP and gateway tests). */

import type { RemoteInfo } from 'node:dgram';
import dgram from 'node:dgram';

const LOOPBACK = '127.0.0.1';

/** A UDP client on 127.0.0.1 that records what it receives. */
export interface UdpClient {
  readonly port: number;
  readonly received: Array<{ msg: string; rinfo: RemoteInfo }>;
  /** Sends to 127.0.0.1:port (a string as latin1 bytes). */
  send(text: string | Buffer, port: number): Promise<void>;
  /** Resolves once `n` datagrams have arrived in total, or after `timeoutMs` with what there is. */
  waitFor(n: number, timeoutMs?: number): Promise<Array<{ msg: string; rinfo: RemoteInfo }>>;
  /** Safe to call twice. */
  close(): Promise<void>;
}

/** @param bind the local address to send from (another 127.x address stands for another host). */
export async function udpClient(bind = LOOPBACK): Promise<UdpClient> {
  const socket = dgram.createSocket('udp4');
  const received: UdpClient['received'] = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (msg, rinfo) => {
    received.push({ msg: msg.toString('latin1'), rinfo });
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve) => socket.bind(0, bind, resolve));
  let closed = false;
  return {
    port: socket.address().port,
    received,
    send: (text, port) =>
      new Promise((resolve, reject) =>
        socket.send(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, port, LOOPBACK, (e) => (e ? reject(e) : resolve())),
      ),
    waitFor: (n, timeoutMs = 2000) =>
      new Promise((resolve) => {
        const deadline = setTimeout(() => resolve(received.slice()), timeoutMs);
        const check = (): void => {
          if (received.length >= n) {
            clearTimeout(deadline);
            resolve(received.slice());
          } else waiters.push(check);
        };
        check();
      }),
    close: () =>
      new Promise((resolve) => {
        if (closed) return resolve();
        closed = true;
        socket.close(() => resolve());
      }),
  };
}

/**
 * One datagram from an ephemeral port on 127.0.0.1 to `to`, and the first datagram that comes
 * back, with its sender (rejects with `Error(noReply)` after `timeoutMs`).
 */
export async function udpRequest(
  to: { readonly address: string; readonly port: number },
  bytes: Uint8Array,
  { timeoutMs = 2000, noReply = 'no reply' }: { timeoutMs?: number; noReply?: string } = {},
): Promise<{ msg: Buffer; from: RemoteInfo }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, LOOPBACK, r));
  try {
    return await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(noReply)), timeoutMs);
      socket.once('message', (msg, from) => {
        clearTimeout(t);
        resolve({ msg, from });
      });
      socket.send(bytes, to.port, to.address);
    });
  } finally {
    socket.close();
  }
}
