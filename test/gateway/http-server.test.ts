/**
 * The gateway's HTTP/1.1 server on its own (src/gateway/http-server.ts): framing, persistent
 * connections, pipelining, the refusals that keep requests from being smuggled, and its limits.
 * Raw sockets on loopback; replies are compared byte for byte where the bytes matter.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpLimits, type HttpReply, type HttpRequest, type HttpServer, startHttpServer } from '../../src/gateway/http-server.js';
import { exchange } from './helpers.js';

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A server that echoes what it read: method, url, version, body (and the header names it got). */
async function echo(
  opts: {
    maxBodyBytes?: number;
    delayMs?: (req: HttpRequest) => number;
    throwOn?: string;
    badReplyOn?: string;
    limits?: Partial<HttpLimits>;
  } = {},
) {
  const seen: HttpRequest[] = [];
  const server = await startHttpServer({
    ...opts.limits,
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: opts.maxBodyBytes ?? 1000,
    errorReply: (status) => ({ status, headers: { 'Content-Length': '3' }, body: 'err', close: true }),
    handler: (req) => {
      seen.push(req);
      if (opts.throwOn && req.url === opts.throwOn) throw new Error('boom');
      // A reply that cannot be written (a handler bug), delivered later.
      if (opts.badReplyOn && req.url === opts.badReplyOn) {
        return Promise.resolve({ status: 200, headers: undefined, body: '', close: true } as unknown as HttpReply);
      }
      const body = `${req.method} ${req.url} 1.${req.minorVersion} [${req.body.toString('latin1')}]`;
      const r: HttpReply = { status: 200, headers: { 'Content-Length': String(body.length) }, body };
      const d = opts.delayMs?.(req) ?? 0;
      return d ? new Promise((res) => setTimeout(() => res(r), d)) : r;
    },
  });
  servers.push(server);
  return { server, seen };
}

const statuses = (wire: string): string[] => [...wire.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]!);
const bodies = (wire: string): string[] => wire.split(/HTTP\/1\.1 \d{3} [^\r]*\r\n(?:[^\r]+\r\n)*\r\n/).slice(1);

describe('gateway HTTP server', () => {
  it('answers several requests on one connection, pipelined, in order', async () => {
    const { server } = await echo({ delayMs: (r) => (r.url === '/slow' ? 80 : 0) });
    const wire = await exchange(server.port, [
      'GET /slow HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /c HTTP/1.1\r\nHost: a\r\n\r\n',
    ]);
    expect(statuses(wire)).toEqual(['200', '200', '200']);
    expect(bodies(wire)).toEqual(['GET /slow 1.1 []', 'POST /b 1.1 [hello]', 'GET /c 1.1 []']);
    expect(wire).not.toContain('Connection:'); // HTTP/1.1 persistent by default
  });

  it('answers 20,000 pipelined requests from one write, in order, without deepening the stack', async () => {
    const { server } = await echo();
    const wire = await exchange(server.port, [Array.from({ length: 20_000 }, (_, i) => `GET /${i} HTTP/1.1\r\n\r\n`).join('')]);
    const answered = bodies(wire);
    expect(answered).toHaveLength(20_000);
    expect(answered[0]).toBe('GET /0 1.1 []');
    expect(answered[19_999]).toBe('GET /19999 1.1 []');
    expect(statuses(await exchange(server.port, ['GET /still-up HTTP/1.1\r\n\r\n']))).toEqual(['200']);
  });

  it('reads a request that arrives one byte at a time', async () => {
    const { server } = await echo();
    const req = 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc';
    const wire = await exchange(
      server.port,
      [...Buffer.from(req)].map((b) => Buffer.from([b])),
      { gapMs: 1 },
    );
    expect(bodies(wire)).toEqual(['POST /x 1.1 [abc]']);
  });

  it('decodes a chunked body (extensions and trailers ignored)', async () => {
    const { server } = await echo();
    const wire = await exchange(
      server.port,
      ['POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n', '2\r\nde\r\n0\r\nTrailer: t\r\n\r\n'],
      { gapMs: 10 },
    );
    expect(bodies(wire)).toEqual(['POST /c 1.1 [abcde]']);
  });

  it('closes after HTTP/1.0 unless asked to keep alive, and after Connection: close', async () => {
    const { server } = await echo();
    const ten = await exchange(server.port, ['GET /a HTTP/1.0\r\n\r\n'], { end: false });
    expect(ten).toMatch(/Connection: close\r\n/);
    const tenKa = await exchange(server.port, ['GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n'], { end: false });
    expect(statuses(tenKa)).toEqual(['200', '200']);
    expect(tenKa).toContain('Connection: keep-alive\r\n');
    const close = await exchange(server.port, ['GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\n\r\n'], { end: false });
    expect(bodies(close)).toEqual(['GET /a 1.1 []']);
  });

  it('answers Expect: 100-continue before the body arrives', async () => {
    const { server } = await echo();
    const wire = await exchange(server.port, ['POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n', 'ok'], {
      gapMs: 20,
    });
    expect(wire.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n')).toBe(true);
  });

  it('sends no body for HEAD (Content-Length still announced)', async () => {
    const { server } = await echo();
    const wire = await exchange(server.port, ['HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n']);
    expect(wire).toBe('HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n'); // "HEAD /h 1.1 []"
  });

  it.each([
    [
      'Content-Length and Transfer-Encoding together',
      'POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      '400',
    ],
    ['two Content-Lengths', 'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx', '400'],
    ['a malformed Content-Length', 'POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\nx', '400'],
    ['obs-fold', 'GET / HTTP/1.1\r\nX-A: 1\r\n continued\r\n\r\n', '400'],
    ['a bare LF inside a header line', 'GET / HTTP/1.1\r\nX-A: 1\nX-B: 2\r\n\r\n', '400'],
    ['a header name with a space', 'GET / HTTP/1.1\r\nX A: 1\r\n\r\n', '400'],
    ['a bad request line', 'GET /\r\n\r\n', '400'],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\n\r\n', '400'],
    ['a transfer coding other than chunked', 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', '501'],
    ['a bad chunk size', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n', '400'],
    ['headers above the limit', `GET / HTTP/1.1\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`, '431'],
    ['a body above the limit (declared)', 'POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n', '413'],
    [
      'a body above the limit (chunked)',
      `POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n${'a'.repeat(2000)}\r\n0\r\n\r\n`,
      '413',
    ],
    ['a request cut short', 'POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort', '400'],
    [
      'a bare LF in a chunk extension',
      'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x\nGET /evil HTTP/1.1\r\nabc\r\n0\r\n\r\n',
      '400',
    ],
    ['whitespace around a chunk size', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n \t3 \r\nabc\r\n0\r\n\r\n', '400'],
    [
      'a chunk-size line over 1 KiB',
      `POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;${'e'.repeat(2000)}\r\nabc\r\n0\r\n\r\n`,
      '400',
    ],
    ['a bare LF in a trailer', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\nX-U: 2\r\n\r\n', '400'],
    ['NBSP around Content-Length', Buffer.from('POST / HTTP/1.1\r\nContent-Length: \xa03\xa0\r\n\r\nabc', 'latin1'), '400'],
  ] as Array<[string, string | Buffer, string]>)('refuses %s and closes, without calling the handler', async (_name, req, status) => {
    const { server, seen } = await echo();
    // A second request behind it must not be read (the cut-short one has none: it would complete it).
    const cutShort = typeof req === 'string' && req.endsWith('short');
    const wire = await exchange(server.port, cutShort ? [req] : [req, 'GET /after HTTP/1.1\r\n\r\n']);
    expect(statuses(wire)).toEqual([status]);
    expect(wire).toContain('Connection: close\r\n');
    expect(seen).toEqual([]);
  });

  it('answers 413 while the client is still sending, and the client reads it', async () => {
    const { server } = await echo({ maxBodyBytes: 10 });
    const big = Buffer.alloc(256 * 1024, 'a');
    const wire = await exchange(server.port, ['POST / HTTP/1.1\r\nContent-Length: 262144\r\n\r\n', big]);
    expect(statuses(wire)).toEqual(['413']);
  });

  it('stops reading while a delayed reply is pending, instead of buffering what the client floods', async () => {
    const { server } = await echo({ delayMs: (r) => (r.url === '/slow' ? 1_000 : 0) });
    const s = net.connect({ host: '127.0.0.1', port: server.port });
    let got = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('error', () => undefined);
    await new Promise((r) => s.on('connect', r));
    s.write('GET /slow HTTP/1.1\r\n\r\n');
    // 64 MiB of a header that never ends: far more than the socket buffers hold.
    const chunk = Buffer.alloc(1 << 20, 'x');
    for (let i = 0; i < 64; i++) s.write(chunk);
    await new Promise((r) => setTimeout(r, 300));
    // The server stopped reading, so all but what the socket buffers hold is still queued here.
    expect(s.writableLength).toBeGreaterThan(48 << 20);
    const closed = new Promise((r) => s.on('close', r));
    await closed;
    expect(statuses(got)).toEqual(['200', '431']);
  });

  it('survives a delayed reply it cannot write (closes that connection only)', async () => {
    const { server } = await echo({ badReplyOn: '/bad' });
    await exchange(server.port, ['GET /bad HTTP/1.1\r\n\r\n']);
    expect(bodies(await exchange(server.port, ['GET /ok HTTP/1.1\r\n\r\n']))).toEqual(['GET /ok 1.1 []']);
  });

  it('closes after a chunked HTTP/1.0 request even when asked to keep alive (RFC 9112 §6.1)', async () => {
    const { server } = await echo();
    const wire = await exchange(
      server.port,
      ['POST /c HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /next HTTP/1.0\r\n\r\n'],
      { end: false },
    );
    expect(bodies(wire)).toEqual(['POST /c 1.0 [abc]']);
    expect(wire).toContain('Connection: close\r\n');
  });

  it('answers 400 at once when the client ends in the middle of a request behind a delayed reply', async () => {
    const { server } = await echo({ delayMs: (r) => (r.url === '/a' ? 100 : 0), limits: { headersTimeoutMs: 60_000 } });
    const wire = await exchange(server.port, ['GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nHo']);
    expect(statuses(wire)).toEqual(['200', '400']);
  });

  it('does not let empty lines keep an idle connection open', async () => {
    const { server } = await echo({ limits: { keepAliveTimeoutMs: 200, checkIntervalMs: 50 } });
    const s = net.connect({ host: '127.0.0.1', port: server.port });
    s.on('error', () => undefined);
    const closed = new Promise<boolean>((r) => s.on('close', () => r(true)));
    await new Promise((r) => s.on('connect', r));
    const tick = setInterval(() => s.write('\r\n'), 50);
    const outcome = await Promise.race([closed, new Promise<boolean>((r) => setTimeout(() => r(false), 3_000))]);
    clearInterval(tick);
    s.destroy();
    expect(outcome).toBe(true);
  });

  it('keeps header names that are Object.prototype members as plain headers', async () => {
    const { server, seen } = await echo();
    await exchange(server.port, ['GET / HTTP/1.1\r\nConstructor: v\r\n__proto__: w\r\n\r\n']);
    expect(seen[0]!.headers['constructor']).toBe('v');
    expect(Object.entries(seen[0]!.headers)).toEqual([
      ['constructor', 'v'],
      ['__proto__', 'w'],
    ]);
  });

  it('answers 500 when the handler throws, and keeps serving others', async () => {
    const { server } = await echo({ throwOn: '/boom' });
    expect(statuses(await exchange(server.port, ['GET /boom HTTP/1.1\r\n\r\n']))).toEqual(['500']);
    expect(bodies(await exchange(server.port, ['GET /ok HTTP/1.1\r\n\r\n']))).toEqual(['GET /ok 1.1 []']);
  });

  it('joins repeated headers and lower-cases names', async () => {
    const { server, seen } = await echo();
    await exchange(server.port, ['GET / HTTP/1.1\r\nX-Tag: a\r\nx-tag: b\r\nSOAPAction:  "u#A"  \r\n\r\n']);
    expect(seen[0]!.headers).toEqual({ 'x-tag': 'a, b', soapaction: '"u#A"' });
  });

  it('close() ends open connections and is safe to call twice', async () => {
    const { server } = await echo();
    const s = net.connect({ host: '127.0.0.1', port: server.port });
    await new Promise((r) => s.on('connect', r));
    const closed = new Promise((r) => s.on('close', r));
    s.on('error', () => undefined);
    await Promise.all([server.close(), server.close()]);
    await closed;
    expect(server.connections).toBe(0);
  });
});
