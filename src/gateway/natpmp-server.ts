/**
 * Socket adapter of the NAT-PMP server (src/natpmp/responder.ts), on node:dgram: one udp4 socket
 * bound to the gateway's LAN address and port (5351 for real clients), so every reply leaves from
 * the gateway's address and port, as clients require (RFC 6886 §3.1). With `multicast`, address
 * announcements go to 224.0.0.1:5350 (RFC 6886 §3.2.1) and :5351 (the 2006 draft, as miniupnpd)
 * and, where PCP is served, an unsolicited PCP ANNOUNCE to 224.0.0.1:5350 (RFC 6887 §14.1.3) —
 * at start-up and whenever the model says the mapping state began again (its events
 * `wan-address-changed` and `router-rebooted`), or `announce()` is called, ten times with
 * doubling gaps.
 */

import type { RemoteInfo, Socket } from 'node:dgram';
import { NATPMP_ANNOUNCE_ADDRESS, NATPMP_ANNOUNCE_DELAYS_MS, NATPMP_CLIENT_PORT, NATPMP_PORT } from '../constants.js';
import type { Clock } from '../nat/clock.js';
import type { Router } from '../nat/router.js';
import { natpmpAnnouncement } from '../natpmp/responder.js';
import { DIRECT_SOCKETS, type SocketProvider } from '../net/socket-provider.js';
import { closeUdp } from '../net/udp-socket.js';
import { pcpAnnouncement } from '../pcp/announce.js';
import { answerPortControl } from '../pcp/port-control.js';

/** One datagram's answer, by NAT-PMP or by PCP. */
type PortControlAnswer =
  | { readonly protocol: 'natpmp' | 'pcp'; readonly reply: Uint8Array; readonly result: number; readonly detail?: string }
  | { readonly protocol: 'natpmp' | 'pcp'; readonly ignored: string };

/** What the server reports. */
export type NatpmpServerEvent =
  | {
      readonly type: 'natpmp-request';
      /** Which protocol answered (the port carries both; absent in older listeners' eyes = NAT-PMP). */
      readonly protocol: 'natpmp' | 'pcp';
      readonly client: string;
      readonly port: number;
      readonly opcode: number;
      readonly result: number;
      readonly detail?: string;
    }
  | { readonly type: 'natpmp-ignored'; readonly client: string; readonly port: number; readonly reason: string }
  | { readonly type: 'natpmp-announce'; readonly ports: readonly number[] }
  /** An unsolicited PCP ANNOUNCE went to 224.0.0.1 on these ports, with this epoch. */
  | { readonly type: 'pcp-announce'; readonly ports: readonly number[]; readonly epoch: number }
  | { readonly type: 'natpmp-error'; readonly error: Error };

export interface NatpmpServerOptions {
  readonly router: Router;
  readonly clock: Clock;
  /** The LAN address to bind to (replies leave from it). */
  readonly address: string;
  /** Default 5351. */
  readonly port?: number;
  /** Send address announcements (only off loopback, and in tests only inside a private namespace). */
  readonly multicast: boolean;
  /** The LAN address a loopback sender stands for (serving on 127.0.0.1). */
  readonly loopbackAs?: string;
  readonly onEvent?: (e: NatpmpServerEvent) => void;
  /**
   * Also serve PCP (RFC 6887 §9: the same port, told apart by the version byte): a datagram whose
   * first byte is not NAT-PMP's version 0 goes to the PCP server, which answers a version it does
   * not speak with UNSUPP_VERSION. Default false: NAT-PMP answers it "unsupported version".
   */
  readonly pcp?: boolean;
  /** Where the socket comes from (default: natsim's own namespace). */
  readonly sockets?: SocketProvider;
  /**
   * Runs the answer and resolves once what it changed is durable (the gateway's lease file);
   * rejects when it could not be kept — the change is taken back and no reply is sent, so the
   * client retries as RFC 6886 §3.1 tells it to. Default: the answer is sent at once.
   */
  readonly commit?: <T>(answer: () => T) => T | Promise<T>;
}

export interface NatpmpServer {
  readonly address: string;
  readonly port: number;
  /**
   * Starts a new series of announcements: NAT-PMP's address announcement (when the router has an
   * address) and, where PCP is served, PCP's unsolicited ANNOUNCE. No-op without multicast.
   */
  announce(): void;
  /** Clears timers and closes the socket. Idempotent. */
  stop(): Promise<void>;
}

const isLoopback = (a: string): boolean => a.startsWith('127.');

/** Binds the socket and starts answering. */
export async function startNatpmpServer(o: NatpmpServerOptions): Promise<NatpmpServer> {
  const socket: Socket = await (o.sockets ?? DIRECT_SOCKETS).bindUdp({ address: o.address, port: o.port ?? NATPMP_PORT });
  const emit = (e: NatpmpServerEvent): void => {
    try {
      o.onEvent?.(e);
    } catch {
      /* a listener's error does not stop the server */
    }
  };
  socket.on('error', (error) => emit({ type: 'natpmp-error', error }));
  socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    const client = isLoopback(rinfo.address) && o.loopbackAs ? o.loopbackAs : rinfo.address;
    const source = { address: client, port: rinfo.port };
    const answer = (): PortControlAnswer => {
      const a = answerPortControl(msg, source, o.router, o.clock.now(), o.pcp === true);
      if (a.protocol === 'pcp') {
        const out = a.outcome;
        if ('ignored' in out) return { protocol: 'pcp', ignored: out.ignored };
        return {
          protocol: 'pcp',
          reply: out.reply,
          result: out.result,
          ...(out.result !== 0 && out.message ? { detail: out.message } : {}),
        };
      }
      const out = a.outcome;
      if ('ignored' in out) return { protocol: 'natpmp', ignored: out.ignored };
      return {
        protocol: 'natpmp',
        reply: out.reply,
        result: out.result,
        ...(out.refusal ? { detail: `${out.refusal.refusal}: ${out.refusal.message}` } : {}),
      };
    };
    const send = (out: PortControlAnswer): void => {
      if ('ignored' in out) {
        emit({ type: 'natpmp-ignored', client: rinfo.address, port: rinfo.port, reason: out.ignored });
        return;
      }
      if (stopped) return;
      socket.send(out.reply, rinfo.port, rinfo.address);
      emit({
        type: 'natpmp-request',
        protocol: out.protocol,
        client,
        port: rinfo.port,
        opcode: (msg[1] ?? 0) & 0x7f,
        result: out.result,
        ...(out.detail !== undefined ? { detail: out.detail } : {}),
      });
    };
    const out = o.commit ? o.commit(answer) : answer();
    if (out instanceof Promise) out.then(send, (error: Error) => emit({ type: 'natpmp-error', error }));
    else send(out);
  });
  const port = socket.address().port;
  if (o.multicast) {
    socket.setMulticastInterface(o.address);
    socket.setMulticastTTL(1);
  }

  let timers: NodeJS.Timeout[] = [];
  let stopped = false;
  const sendAnnouncement = (): void => {
    if (stopped) return;
    const now = o.clock.now();
    const bytes = natpmpAnnouncement(o.router, now);
    if (bytes) {
      for (const p of [NATPMP_CLIENT_PORT, NATPMP_PORT]) socket.send(bytes, p, NATPMP_ANNOUNCE_ADDRESS);
      emit({ type: 'natpmp-announce', ports: [NATPMP_CLIENT_PORT, NATPMP_PORT] });
    }
    const pcp = o.pcp ? pcpAnnouncement(o.router, now) : undefined;
    if (pcp) {
      socket.send(pcp, NATPMP_CLIENT_PORT, NATPMP_ANNOUNCE_ADDRESS);
      emit({ type: 'pcp-announce', ports: [NATPMP_CLIENT_PORT], epoch: o.router.mappings.epochSeconds(now) });
    }
  };
  const announce = (): void => {
    if (!o.multicast || stopped) return;
    for (const t of timers) clearTimeout(t);
    timers = [];
    let at = 0;
    for (const gap of NATPMP_ANNOUNCE_DELAYS_MS) {
      at += gap;
      const t = setTimeout(sendAnnouncement, at);
      t.unref();
      timers.push(t);
    }
  };
  // The model says when the mapping state began again; the server only listens.
  const offAddress = o.router.events.on('wan-address-changed', (e) => {
    if (e.router === o.router.id) announce();
  });
  const offReboot = o.router.events.on('router-rebooted', (e) => {
    if (e.router === o.router.id) announce();
  });
  const unsubscribe = (): void => {
    offAddress();
    offReboot();
  };
  announce();

  let closing: Promise<void> | undefined;
  return {
    address: o.address,
    port,
    announce,
    stop: () =>
      (closing ??= (() => {
        stopped = true;
        unsubscribe();
        for (const t of timers) clearTimeout(t);
        return closeUdp(socket);
      })()),
  };
}
