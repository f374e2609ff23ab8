/**
 * The dgram adapter over unicast loopback only: multicast off, 127.0.0.1, ephemeral ports.
 * (Multicast runs in multicast.ns.test.ts, inside a private network namespace.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parsePrefix } from '../../src/nat/address.js';
import { parseSsdpMessage } from '../../src/ssdp/message.js';
import type { SearchOutcome, SearchVia, SsdpPeer, SsdpResponderOptions } from '../../src/ssdp/responder.js';
import { SsdpResponder } from '../../src/ssdp/responder.js';
import type { SsdpEvent, SsdpServer } from '../../src/ssdp/server.js';
import { startSsdpServer } from '../../src/ssdp/server.js';
import { type UdpClient, udpClient } from '../support/udp-client.js';
import { allUsns, description, expectedResponse, NOW, ROOT, search } from './fixtures.js';

const LOOPBACK = '127.0.0.1';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A UDP client closed after the test. */
async function client(): Promise<UdpClient> {
  const c = await udpClient();
  cleanups.push(() => c.close());
  return c;
}

async function server(
  options: Partial<SsdpResponderOptions> = {},
  responder?: SsdpResponder,
): Promise<{ srv: SsdpServer; events: SsdpEvent[] }> {
  const events: SsdpEvent[] = [];
  const srv = await startSsdpServer({
    responder: responder ?? new SsdpResponder(description(), { mxDelay: 'none', ...options }),
    address: LOOPBACK,
    port: 0,
    multicast: false,
    notifyIntervalMs: 0,
    now: () => NOW,
    random: () => 0,
    onEvent: (e) => events.push(e),
  });
  cleanups.push(() => srv.stop());
  return { srv, events };
}

const quiet = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('startSsdpServer over unicast loopback', () => {
  it('answers a unicast M-SEARCH from its SSDP port, byte for byte', async () => {
    const { srv, events } = await server();
    expect(srv.address).toBe(LOOPBACK);
    expect(srv.port).toBeGreaterThan(0);
    expect(srv.replyPort).toBe(srv.port);
    const c = await client();
    await c.send(search('upnp:rootdevice', null), srv.port);
    const [got] = await c.waitFor(1);
    expect(got!.msg).toBe(expectedResponse('upnp:rootdevice', `${ROOT}::upnp:rootdevice`));
    expect(got!.rinfo.address).toBe(LOOPBACK);
    expect(got!.rinfo.port).toBe(srv.port);
    const parsed = parseSsdpMessage(got!.msg);
    expect(parsed.ok && parsed.message.kind === 'response' && parsed.message.status).toBe(200);
    expect(events).toEqual([
      { type: 'search', st: 'upnp:rootdevice', from: { address: LOOPBACK, port: c.port }, via: 'unicast', answered: 1 },
    ]);
    await quiet(20);
    expect(srv.stats).toEqual({
      searches: 1,
      answered: 1,
      repliesSent: 1,
      notifiesSent: 0,
      pending: 0,
      ignored: {},
      repliesDropped: { 'source-budget': 0, 'global-budget': 0, 'pending-full': 0 },
    });
  });

  it('answers ssdp:all with every USN', async () => {
    const { srv } = await server();
    const c = await client();
    await c.send(search('ssdp:all'), srv.port);
    const got = await c.waitFor(10);
    expect(got.map((g) => g.msg).sort()).toEqual(
      allUsns(2)
        .map(([st, usn]) => expectedResponse(st, usn))
        .sort(),
    );
  });

  it('survives garbage, huge datagrams and NOTIFYs, reports them, and keeps answering', async () => {
    const { srv, events } = await server();
    const c = await client();
    await c.send(Buffer.from([0, 1, 2, 3, 0xff, 0x0d, 0x0a]), srv.port);
    await c.send(Buffer.alloc(60000, 0x41), srv.port);
    await c.send(new SsdpResponder(description(), { mxDelay: 'none' }).notifications('ssdp:alive')[0]!.message, srv.port);
    await c.send(search('ssdp:all', null).replace('"ssdp:discover"', 'ssdp:discover'), srv.port);
    await c.send(search('uuid:00000000-0000-4000-8000-000000000000'), srv.port);
    await c.send(search(ROOT), srv.port);
    const got = await c.waitFor(1);
    expect(got.map((g) => g.msg)).toEqual([expectedResponse(ROOT, ROOT)]);
    await quiet(50);
    expect(c.received).toHaveLength(1);
    expect(events.map((e) => (e.type === 'search' ? [e.st, e.answered, e.ignored ?? null] : e.type))).toEqual([
      [undefined, 0, 'malformed'],
      [undefined, 0, 'malformed'],
      ['ssdp:all', 0, 'bad-man'],
      ['uuid:00000000-0000-4000-8000-000000000000', 0, 'no-match'],
      [ROOT, 1, null],
    ]);
    expect(srv.stats).toMatchObject({ searches: 5, answered: 1, ignored: { malformed: 2, 'bad-man': 1, 'no-match': 1 } });
  });

  it('replyFromOtherPort: replies leave from another port', async () => {
    const { srv } = await server({ quirks: { replyFromOtherPort: true } });
    expect(srv.replyPort).not.toBe(srv.port);
    const c = await client();
    await c.send(search('upnp:rootdevice'), srv.port);
    const [got] = await c.waitFor(1);
    expect(got!.rinfo.port).toBe(srv.replyPort);
    expect(got!.msg).toBe(expectedResponse('upnp:rootdevice', `${ROOT}::upnp:rootdevice`));
  });

  it('searchMode multicast-only: a unicast search gets no answer', async () => {
    const { srv, events } = await server({ quirks: { searchMode: 'multicast-only' } });
    const c = await client();
    await c.send(search('upnp:rootdevice'), srv.port);
    await quiet(100);
    expect(c.received).toEqual([]);
    expect(events).toMatchObject([{ type: 'search', ignored: 'search-mode', answered: 0 }]);
  });

  it('ignores searches from outside the LAN prefix', async () => {
    const { srv, events } = await server({ lanPrefix: parsePrefix('192.168.1.0/24') });
    const c = await client();
    await c.send(search('upnp:rootdevice'), srv.port);
    await quiet(100);
    expect(c.received).toEqual([]);
    expect(events).toMatchObject([{ type: 'search', ignored: 'outside-lan', from: { address: LOOPBACK } }]);
  });

  it('clears pending delayed replies on stop; stop is idempotent and async-disposable', async () => {
    class Delaying extends SsdpResponder {
      override handleSearch(
        d: Buffer | Uint8Array | string,
        from: SsdpPeer,
        rand: () => number,
        now: Date | number,
        via?: SearchVia,
      ): SearchOutcome {
        const o = super.handleSearch(d, from, rand, now, via);
        return { ...o, replies: o.replies.map((r) => ({ ...r, delayMs: 150 })) };
      }
    }
    const { srv } = await server({}, new Delaying(description(), { mxDelay: 'none' }));
    const c = await client();
    await c.send(search('ssdp:all'), srv.port);
    await quiet(30);
    const a = srv.stop();
    const b = srv.stop();
    expect(a).toBe(b);
    await a;
    await srv[Symbol.asyncDispose]();
    await quiet(250);
    expect(c.received).toEqual([]);
    expect(srv.stats.repliesSent).toBe(0);
  });

  it('sends delayed replies after their delay', async () => {
    class Delaying extends SsdpResponder {
      override handleSearch(
        d: Buffer | Uint8Array | string,
        from: SsdpPeer,
        rand: () => number,
        now: Date | number,
        via?: SearchVia,
      ): SearchOutcome {
        const o = super.handleSearch(d, from, rand, now, via);
        return { ...o, replies: o.replies.map((r) => ({ ...r, delayMs: 120 })) };
      }
    }
    const { srv } = await server({}, new Delaying(description(), { mxDelay: 'none' }));
    const c = await client();
    const t0 = performance.now();
    await c.send(search('upnp:rootdevice'), srv.port);
    const got = await c.waitFor(1);
    expect(got).toHaveLength(1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(100);
  });

  it('does not answer after stop', async () => {
    const { srv } = await server();
    const port = srv.port;
    await srv.stop();
    const c = await client();
    await c.send(search('upnp:rootdevice'), port).catch(() => undefined);
    await quiet(100);
    expect(c.received).toEqual([]);
  });

  it('refuses a non-IPv4 address and reports bind failures', async () => {
    const responder = new SsdpResponder(description(), { mxDelay: 'none' });
    await expect(startSsdpServer({ responder, address: 'localhost', port: 0, multicast: false })).rejects.toThrow(TypeError);
    // 192.0.2.1 (TEST-NET-1) is not configured on this host: bind fails, nothing is sent.
    await expect(startSsdpServer({ responder, address: '192.0.2.1', port: 0, multicast: false })).rejects.toThrow(/EADDRNOTAVAIL/);
  });

  it('a throwing onEvent callback does not break the handler', async () => {
    const srv = await startSsdpServer({
      responder: new SsdpResponder(description(), { mxDelay: 'none' }),
      address: LOOPBACK,
      port: 0,
      multicast: false,
      now: () => NOW,
      onEvent: () => {
        throw new Error('callback bug');
      },
    });
    cleanups.push(() => srv.stop());
    const c = await client();
    await c.send(search('upnp:rootdevice'), srv.port);
    expect(await c.waitFor(1)).toHaveLength(1);
  });
});
