/**
 * The HTTP server's connection cap (src/gateway/http-server.ts), small, on loopback: at the cap a
 * new connection evicts the oldest idle one, or gets 503 when every connection is mid-request.
 * The large case — 4,000 idle connections against `natsim serve` under a file-descriptor limit —
 * runs in connection-flood.ns.test.ts inside a private network namespace.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpServer, startHttpServer } from '../../src/gateway/http-server.js';
import { exchange } from './helpers.js';

const servers: HttpServer[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(maxConnections: number): Promise<HttpServer> {
  const s = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 1000,
    maxConnections,
    errorReply: (status) => ({ status, headers: { 'Content-Length': '3' }, body: 'err', close: true }),
    handler: () => ({ status: 200, headers: { 'Content-Length': '2' }, body: 'ok' }),
  });
  servers.push(s);
  return s;
}

/** An open connection that records whether the server closed it. */
async function hold(port: number, send?: string): Promise<{ socket: net.Socket; closed: () => boolean; data: () => string }> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  let closed = false;
  let data = '';
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  socket.on('data', (d) => (data += d.toString('latin1')));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  if (send) socket.write(send);
  return { socket, closed: () => closed, data: () => data };
}

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('HTTP connection cap', () => {
  it('defaults to 512 and refuses a nonsense cap', async () => {
    expect((await server(512)).limits.maxConnections).toBe(512);
    await expect(server(0)).rejects.toThrow(/maxConnections/);
  });

  it('at the cap a new client is served and the oldest idle connection is closed', async () => {
    const s = await server(4);
    const idle: Array<Awaited<ReturnType<typeof hold>>> = [];
    for (let i = 0; i < 4; i++) idle.push(await hold(s.port));
    await until(() => s.connections === 4);
    expect(s.connections).toBe(4);
    const wire = await exchange(s.port, ['GET / HTTP/1.1\r\nConnection: close\r\n\r\n']);
    expect(wire).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    await until(() => idle[0]!.closed());
    expect(idle.map((c) => c.closed())).toEqual([true, false, false, false]);
    expect(s.stats.evicted).toBe(1);
    expect(s.connections).toBeLessThanOrEqual(4);
  });

  it('a connection that has finished a request is idle again and can be evicted; one mid-request is not', async () => {
    const s = await server(2);
    const busy = await hold(s.port, 'GET / HTTP/1.1\r\nHost: a\r\n'); // headers never end
    const done = await hold(s.port, 'GET / HTTP/1.1\r\n\r\n'); // answered, kept alive
    await until(() => done.data().includes('200 OK') && s.connections === 2 && s.idleConnections === 1); // the partial head has reached the server
    expect(s.idleConnections).toBe(1);
    const wire = await exchange(s.port, ['GET / HTTP/1.1\r\nConnection: close\r\n\r\n']);
    expect(wire).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    await until(() => done.closed());
    expect([busy.closed(), done.closed()]).toEqual([false, true]);
  });

  it('503 when every connection is mid-request, and served again once one is free', async () => {
    const s = await server(2);
    const a = await hold(s.port, 'GET / HTTP/1.1\r\n');
    await hold(s.port, 'GET / HTTP/1.1\r\n');
    await until(() => s.connections === 2 && s.idleConnections === 0); // both partial heads have reached the server
    expect(s.idleConnections).toBe(0);
    const refused = await exchange(s.port, ['GET / HTTP/1.1\r\n\r\n']);
    expect(refused).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(refused).toContain('\r\nConnection: close\r\n');
    expect(refused).toContain('\r\nRetry-After: 1\r\n');
    expect(s.stats.refused).toBe(1);
    a.socket.write('\r\n'); // a's request completes: answered and idle
    await until(() => a.data().includes('200 OK'));
    expect(await exchange(s.port, ['GET / HTTP/1.1\r\nConnection: close\r\n\r\n'])).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });
});
