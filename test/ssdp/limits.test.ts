/**
 * The SSDP server's limits over unicast loopback (turned from the hardening report: 10,000
 * ssdp:all searches/s in gave ~97,000 replies/s out, a spoofed source got the reflection, and
 * MX-delayed replies piled up without bound). The budget's clock is injected and frozen, so what
 * is sent is exactly the burst; other 127.x addresses stand for other (or spoofed) hosts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SSDP_REPLY_BUDGET } from '../../src/constants.js';
import { SsdpResponder, type SsdpResponderOptions } from '../../src/ssdp/responder.js';
import { type SsdpServer, type SsdpServerOptions, startSsdpServer } from '../../src/ssdp/server.js';
import { type UdpClient, udpClient } from '../support/udp-client.js';
import { description, NOW, search } from './fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function client(bind?: string): Promise<UdpClient> {
  const c = await udpClient(bind);
  cleanups.push(() => c.close());
  return c;
}

/** A server whose budget clock stands still at `t.ms` unless the test moves it. */
async function server(
  extra: Partial<SsdpServerOptions> = {},
  timing: Partial<SsdpResponderOptions> = {},
): Promise<{ srv: SsdpServer; t: { ms: number } }> {
  const t = { ms: 0 };
  const srv = await startSsdpServer({
    responder: new SsdpResponder(description(), { mxDelay: 'none', ...timing }),
    address: '127.0.0.1',
    port: 0,
    multicast: false,
    notifyIntervalMs: 0,
    now: () => NOW,
    random: () => 0.999,
    monotonic: () => t.ms,
    ...extra,
  });
  cleanups.push(() => srv.stop());
  return { srv, t };
}

const quiet = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sends `n` copies of `msg`, yielding now and then so the server keeps up. */
async function flood(c: UdpClient, msg: string, port: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await c.send(msg, port);
    if (i % 50 === 49) await quiet(1);
  }
}

/** Waits until the server has handled `n` searches, or none more arrived for 200 ms (loopback may drop some). */
async function handled(srv: SsdpServer, n: number): Promise<void> {
  let last = -1;
  let still = 0;
  for (let i = 0; i < 400 && srv.stats.searches < n && still < 20; i++) {
    await quiet(10);
    still = srv.stats.searches === last ? still + 1 : 0;
    last = srv.stats.searches;
  }
}

describe('SSDP reply budget and pending replies', () => {
  it('a flood of ssdp:all from one source gets its burst only, and a quiet host is still answered', async () => {
    const { srv, t } = await server();
    const flooder = await client();
    await flood(flooder, search('ssdp:all'), srv.port, 1000);
    await handled(srv, 1000);
    await quiet(50);
    // 10 replies per ssdp:all: floor(64 / 10) searches are answered.
    const burst = Math.floor(SSDP_REPLY_BUDGET.perSourceBurst / 10) * 10;
    expect(flooder.received).toHaveLength(burst);
    expect(srv.stats.repliesSent).toBe(burst);
    // (Loopback may lose some of the flood: count what the server handled.)
    expect(srv.stats.searches).toBeGreaterThan(500);
    expect(srv.stats.repliesDropped['source-budget']).toBe(srv.stats.searches * 10 - burst);
    // Another host has its own budget.
    const other = await client('127.0.0.2');
    await other.send(search('upnp:rootdevice'), srv.port);
    expect(await other.waitFor(1)).toHaveLength(1);
    // Time refills the flooder's bucket at its rate: 4 tokens left + 16 after 1 s = two more ssdp:all.
    t.ms += 1000;
    for (let i = 0; i < 3; i++) await flooder.send(search('ssdp:all'), srv.port);
    const before = srv.stats.searches;
    await handled(srv, before + 3);
    await quiet(50);
    expect(flooder.received).toHaveLength(burst + 20);
  });

  it('spoofed sources together get no more than the global budget', async () => {
    const { srv } = await server({ budget: { global: { burst: 100, perSecond: 10 } } });
    const sources = await Promise.all(Array.from({ length: 30 }, (_, i) => client(`127.0.1.${i + 1}`)));
    for (const s of sources) await flood(s, search('ssdp:all'), srv.port, 2);
    await handled(srv, 60);
    expect(srv.stats.searches).toBe(60);
    await quiet(50);
    const got = sources.reduce((n, s) => n + s.received.length, 0);
    expect(got).toBe(100);
    expect(srv.stats.repliesDropped['global-budget']).toBe(600 - 100);
  });

  it('delayed replies waiting at once are capped (dropped and counted), not queued without bound', async () => {
    // Every reply waits 5 s (the longest MX).
    const { srv } = await server(
      { maxPending: 25, budget: { perSource: { burst: 1e6, perSecond: 1 }, global: { burst: 1e6, perSecond: 1 } } },
      { mxDelay: 'fixed', fixedDelayMs: 5000 },
    );
    const c = await client();
    await flood(c, search('ssdp:all'), srv.port, 500);
    await handled(srv, 500);
    expect(srv.stats.searches).toBeGreaterThan(100);
    expect(srv.stats.pending).toBe(20);
    expect(srv.stats.repliesDropped['pending-full']).toBe(srv.stats.searches * 10 - 20);
    expect(c.received).toHaveLength(0);
  });

  it('refuses a bad maxPending', async () => {
    await expect(server({ maxPending: -1 })).rejects.toThrow(/maxPending/);
  });
});
