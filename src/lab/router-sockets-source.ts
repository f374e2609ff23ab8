/**
 * The router socket helper: a small Node program natsim runs inside a router's network namespace
 * (`nsenter … node -e ROUTER_SOCKETS_SOURCE`, with an IPC channel). It opens the sockets the
 * router's services ask for — a listening TCP server, a bound UDP socket, an outgoing TCP
 * connection — there, so they belong to the router's namespace, and hands each one to natsim
 * (`process.send(message, handle)`), which then uses it as its own and closes the helper's copy.
 * It keeps nothing open and exits when the channel closes.
 *
 * Kept as source text (CommonJS, built-in modules only) so the same program runs from the
 * TypeScript sources, the compiled package and the bundled CLI.
 *
 * Messages natsim → helper: `{ t: 'listen', id, address, port }`, `{ t: 'udp', id, address, port,
 * reuseAddr }`, `{ t: 'connect', id, host, port, timeoutMs }`. Helper → natsim: `{ t: 'ready' }`,
 * `{ t: 'ok', id }` with the server or socket as handle, `{ t: 'error', id, code, message }`.
 */
export const ROUTER_SOCKETS_SOURCE = `
'use strict';
const dgram = require('node:dgram');
const net = require('node:net');
const send = (m, handle, done) => { if (process.connected) process.send(m, handle, done); };
const fail = (id, e) => send({ t: 'error', id, code: e.code || 'EIO', message: e.message });
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  if (m.t === 'listen') listen(m);
  else if (m.t === 'udp') udp(m);
  else if (m.t === 'connect') connect(m);
});
function listen(m) {
  const s = net.createServer();
  s.once('error', (e) => fail(m.id, e));
  s.listen({ port: m.port, host: m.address }, () => send({ t: 'ok', id: m.id }, s, () => s.close()));
}
function udp(m) {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: m.reuseAddr === true });
  s.once('error', (e) => { fail(m.id, e); try { s.close(); } catch {} });
  s.bind(m.port, m.address, () => send({ t: 'ok', id: m.id }, s, () => s.close()));
}
function connect(m) {
  let done = false;
  const c = net.connect({ host: m.host, port: m.port });
  const timer = setTimeout(() => {
    if (done) return;
    done = true;
    c.destroy();
    send({ t: 'error', id: m.id, code: 'ETIMEDOUT', message: 'connect ' + m.host + ':' + m.port + ': no answer in ' + m.timeoutMs + ' ms' });
  }, m.timeoutMs);
  c.once('connect', () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    c.pause(); // what the peer sends is natsim's to read
    send({ t: 'ok', id: m.id }, c);
  });
  c.once('error', (e) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    fail(m.id, e);
  });
}
send({ t: 'ready' });
`;
