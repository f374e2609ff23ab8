/**
 * The lab helper: a small Node program natsim starts as PID 1 of the lab's private network, PID
 * (and, rootless, user) namespace with `node -e HELPER_SOURCE` and an IPC channel. It brings
 * loopback up, binds the relay's UDP socket on 127.0.0.1 inside the namespace and hands it to
 * natsim over IPC (so natsim reads and writes the lab's datagrams without being in the namespace
 * itself), then runs the commands natsim asks for (host holders, socat bridges, ip), streaming
 * their output back. It exits when the IPC channel closes; when it dies the kernel kills every
 * process of its PID namespace.
 *
 * Kept as source text (CommonJS, built-in modules only) so the same program runs from the
 * TypeScript sources, the compiled package and the bundled CLI.
 *
 * Messages natsim → helper: `{ t: 'spawn', id, cmd, args }`, `{ t: 'write', id, data }`,
 * `{ t: 'end', id }`, `{ t: 'kill', id, signal }`. Helper → natsim: `{ t: 'ready', port, pid }` with
 * the socket as handle (`pid`: the helper's PID as natsim sees it), `{ t: 'fatal', message }`, `{ t: 'out', id, fd, data }`, `{ t: 'exit', id,
 * code, signal, error? }`.
 */
export const HELPER_SOURCE = `
'use strict';
const { spawn } = require('node:child_process');
const dgram = require('node:dgram');
const { readlinkSync } = require('node:fs');
const procs = new Map();
const send = (m, handle, done) => { if (process.connected) process.send(m, handle, done); };
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  const c = procs.get(m.id);
  if (m.t === 'spawn') start(m);
  else if (m.t === 'write') c && c.stdin.write(m.data);
  else if (m.t === 'end') c && c.stdin.end();
  else if (m.t === 'kill') c && c.kill(m.signal);
});
function start(m) {
  const c = spawn(m.cmd, m.args, { stdio: ['pipe', 'pipe', 'pipe'] });
  procs.set(m.id, c);
  let error;
  c.on('error', (e) => { error = e.message; });
  c.stdin.on('error', () => {});
  c.stdout.on('data', (d) => send({ t: 'out', id: m.id, fd: 1, data: d.toString('utf8') }));
  c.stderr.on('data', (d) => send({ t: 'out', id: m.id, fd: 2, data: d.toString('utf8') }));
  c.on('close', (code, signal) => {
    procs.delete(m.id);
    send({ t: 'exit', id: m.id, code, signal, ...(error ? { error } : {}) });
  });
}
const lo = spawn('ip', ['link', 'set', 'lo', 'up'], { stdio: ['ignore', 'ignore', 'pipe'] });
let loErr = '';
lo.stderr.on('data', (d) => { loErr += d; });
lo.on('error', (e) => send({ t: 'fatal', message: 'ip link set lo up: ' + e.message }));
lo.on('close', (code) => {
  if (code !== 0) return send({ t: 'fatal', message: 'ip link set lo up: ' + (loErr.trim() || 'exit ' + code) });
  const s = dgram.createSocket('udp4');
  s.on('error', (e) => send({ t: 'fatal', message: 'relay socket: ' + e.message }));
  s.bind(0, '127.0.0.1', () => send({ t: 'ready', port: s.address().port, pid: Number(readlinkSync('/proc/self')) }, s, () => s.close()));
});
`;
