/** The STUN socket adapter on loopback (127.0.0.1 and 127.0.0.2, both on lo): four sockets, replies from the right one. */
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { startStunServer } from '../../src/stun/server.js';
import { bindingRequest, changeRequest, readReply } from './helpers.js';

const PRIMARY = '127.0.0.1:44478';
const ALTERNATE = '127.0.0.2:44479';

/** Sends `before` then `bytes` to `to` from a fresh socket; resolves with the first reply and where it came from. */
function exchange(
  bytes: Uint8Array,
  to: string,
  before: readonly Uint8Array[] = [],
): Promise<{ from: string; reply: Record<string, unknown> }> {
  const [host, port] = to.split(':') as [string, string];
  const s = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (s.close(), reject(new Error(`no reply from ${to}`))), 2000);
    s.on('message', (m, r) => {
      clearTimeout(timer);
      s.close();
      resolve({ from: `${r.address}:${r.port}`, reply: readReply(m) });
    });
    s.bind(0, '127.0.0.1', () => {
      for (const b of before) s.send(b, Number(port), host);
      s.send(bytes, Number(port), host);
    });
  });
}

describe('startStunServer', () => {
  it('binds primary/alternate address × port and answers CHANGE-REQUEST from the socket it names', async () => {
    await using server = await startStunServer({ primary: PRIMARY, alternate: ALTERNATE, software: 'natsim test' });
    expect(server.endpoints).toEqual(['127.0.0.1:44478', '127.0.0.1:44479', '127.0.0.2:44478', '127.0.0.2:44479']);
    const plain = await exchange(bindingRequest(), PRIMARY);
    expect(plain.from).toBe(PRIMARY);
    expect(plain.reply).toMatchObject({ ResponseOrigin: PRIMARY, OtherAddress: ALTERNATE, Software: 'natsim test' });
    expect(plain.reply.XorMappedAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    for (const [flags, origin] of [
      [4, '127.0.0.2:44478'],
      [2, '127.0.0.1:44479'],
      [6, ALTERNATE],
    ] as const) {
      const r = await exchange(bindingRequest([changeRequest(flags)]), PRIMARY);
      expect(r.from).toBe(origin);
      expect(r.reply.ResponseOrigin).toBe(origin);
    }
    // A request to the alternate endpoint names the primary as OTHER-ADDRESS.
    expect((await exchange(bindingRequest(), ALTERNATE)).reply.OtherAddress).toBe(PRIMARY);
    // Garbage gets no answer: the first reply is the one to the request sent after it.
    expect((await exchange(bindingRequest(), PRIMARY, [Uint8Array.of(1, 2, 3)])).reply.class).toBe('success');
    expect(server.stats).toEqual({ received: 7, success: 6, errors: 0, ignored: { malformed: 1 } });
  });

  it('stop() is safe twice; the ports are free afterwards', async () => {
    const server = await startStunServer({ primary: PRIMARY, alternate: ALTERNATE });
    await server.stop();
    await server.stop();
    await using again = await startStunServer({ primary: PRIMARY });
    expect(again.endpoints).toEqual([PRIMARY]);
    expect(again.alternate).toBeUndefined();
    expect((await exchange(bindingRequest([changeRequest(4)]), PRIMARY)).reply).toMatchObject({ class: 'error', ErrorCode: { code: 420 } });
  });

  it('port 0 picks one ephemeral port shared by both addresses', async () => {
    await using server = await startStunServer({ primary: '127.0.0.1:0', alternate: '127.0.0.2:44480' });
    const port = server.primary.split(':')[1];
    expect(Number(port)).toBeGreaterThan(0);
    expect(server.endpoints).toEqual([server.primary, '127.0.0.1:44480', `127.0.0.2:${port}`, '127.0.0.2:44480']);
  });

  it.each([
    [{ primary: 'localhost:3478' }, 'primary must be IPv4-ADDRESS:PORT, got "localhost:3478"'],
    [{ primary: '127.0.0.1:3478', alternate: '127.0.0.2' }, 'alternate must be IPv4-ADDRESS:PORT, got "127.0.0.2"'],
    [
      { primary: '127.0.0.1:3478', alternate: '127.0.0.2:3478' },
      'the alternate endpoint must differ from the primary in both address and port (and name its port), got primary 127.0.0.1:3478, alternate 127.0.0.2:3478',
    ],
  ])('refuses %j', async (options, message) => {
    await expect(startStunServer(options)).rejects.toThrow(message);
  });

  it('names the endpoint it cannot bind, and closes what it had opened', async () => {
    await using blocker = await startStunServer({ primary: '127.0.0.2:44481' });
    expect(blocker.endpoints).toHaveLength(1);
    await expect(startStunServer({ primary: '127.0.0.1:44482', alternate: '127.0.0.2:44481' })).rejects.toThrow(
      /^cannot bind the STUN server to 127\.0\.0\.2:44481: bind EADDRINUSE/,
    );
    await using free = await startStunServer({ primary: '127.0.0.1:44482' }); // released again
    expect(free.primary).toBe('127.0.0.1:44482');
  });
});
