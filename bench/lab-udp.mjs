// UDP load for bench/lab-dataplane.ts, run inside lab hosts.
//   node bench/lab-udp.mjs echo PORT                      answers every datagram to its source
//   node bench/lab-udp.mjs load IP PORT IN_FLIGHT SECONDS  keeps IN_FLIGHT 64-byte datagrams outstanding
// `load` prints one JSON line: {"replies":N,"perSec":N,"lost":N}. A datagram not answered within
// 200 ms counts as lost and is replaced, so a drop never stalls the window.
import dgram from 'node:dgram';

const [mode, ...args] = process.argv.slice(2);
if (mode === 'echo') {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => s.send(m, r.port, r.address));
  s.bind(Number(args[0]), () => console.log('listening'));
} else if (mode === 'load') {
  const [ip, port, inFlight, seconds] = [args[0], Number(args[1]), Number(args[2]), Number(args[3])];
  const s = dgram.createSocket('udp4');
  const sentAt = new Map();
  let seq = 0;
  let replies = 0;
  let lost = 0;
  const payload = Buffer.alloc(64);
  const send = () => {
    const n = seq++;
    payload.writeUInt32BE(n >>> 0, 0);
    sentAt.set(n, performance.now());
    s.send(payload, port, ip);
  };
  s.on('message', (m) => {
    const n = m.readUInt32BE(0);
    if (!sentAt.delete(n)) return;
    replies++;
    if (!done) send();
  });
  let done = false;
  s.bind(0, () => {
    const t0 = performance.now();
    for (let i = 0; i < inFlight; i++) send();
    const sweep = setInterval(() => {
      const now = performance.now();
      for (const [n, t] of sentAt) {
        if (now - t > 50) {
          sentAt.delete(n);
          lost++;
          if (!done) send();
        }
      }
    }, 50);
    setTimeout(() => {
      done = true;
      clearInterval(sweep);
      const secs = (performance.now() - t0) / 1000;
      console.log(JSON.stringify({ replies, perSec: Math.round(replies / secs), lost }));
      s.close();
    }, seconds * 1000);
  });
} else {
  console.error('usage: lab-udp.mjs echo PORT | load IP PORT IN_FLIGHT SECONDS');
  process.exit(2);
}
