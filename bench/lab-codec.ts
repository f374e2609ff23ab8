/**
 * Lab codec benchmark: IPv4 datagrams per second through the pure packet layer (src/lab/),
 * without any I/O.
 *
 * - decode+rewrite: decodeIpv4 + rewriteDatagram of a UDP datagram (64-byte and 1,400-byte
 *   payloads) and a TCP segment, as a NAT would translate them (new source address and port);
 * - the same in place (the relay owns the buffer it read: no copy);
 * - carry: carryDatagram through a Network with one NAT (decode, the model's send, rewrite),
 *   64 flows round-robin, tracing off — the per-datagram cost the TUN relay will pay on top of I/O.
 *
 * Prints one JSON object on stdout; one line per row on stderr.
 *
 *   node --expose-gc --import tsx bench/lab-codec.ts
 */
import { carryDatagram } from '../src/lab/carry.js';
import { encodeIpv4 } from '../src/lab/encode.js';
import { decodeIpv4 } from '../src/lab/ipv4.js';
import { rewriteDatagram } from '../src/lab/rewrite.js';
import { FakeClock, Network, natPolicy, type Packet, parseIPv4, SeededRng, TCP } from '../src/nat/index.js';
import { log, measureOps } from './lib.js';

const OPTIONS = { warmup: 2, runs: 7, minMs: 200 };
const A = parseIPv4('10.0.0.2');
const S = parseIPv4('8.8.8.8');
const EXT = parseIPv4('203.0.113.1');
const BATCH = 1000;

function decodeRewrite(p: Packet, inPlace = false): () => number {
  const bytes = encodeIpv4(p);
  const header = bytes.slice(0, 28);
  return () => {
    let n = 0;
    for (let i = 0; i < BATCH; i++) {
      if (inPlace) bytes.set(header); // the same buffer goes round again: restore its 28 header bytes
      const d = decodeIpv4(bytes);
      if (!d.ok) throw new Error(d.message);
      const r = rewriteDatagram(d, { ...d.packet, src: { ip: EXT, port: 1024 + (i & 1023) } }, { inPlace });
      if (r.ok) n++;
    }
    return n;
  };
}

const payload = (n: number) => new Uint8Array(n).fill(0x61);
const rows: Record<string, number> = {};
const row = (name: string, body: () => number) => {
  const r = measureOps(body, OPTIONS);
  rows[name] = Math.round(r.opsPerSec);
  log(`${name}: ${Math.round(r.opsPerSec).toLocaleString('en')} datagrams/s`);
};

row('decode+rewrite UDP 64 B', decodeRewrite({ proto: 'udp', src: { ip: A, port: 5000 }, dst: { ip: S, port: 53 }, data: payload(64) }));
row(
  'decode+rewrite UDP 1400 B',
  decodeRewrite({ proto: 'udp', src: { ip: A, port: 5000 }, dst: { ip: S, port: 53 }, data: payload(1400) }),
);
row(
  'decode+rewrite UDP 1400 B in place',
  decodeRewrite({ proto: 'udp', src: { ip: A, port: 5000 }, dst: { ip: S, port: 53 }, data: payload(1400) }, true),
);
row(
  'decode+rewrite TCP ACK 1400 B',
  decodeRewrite({ proto: 'tcp', src: { ip: A, port: 5000 }, dst: { ip: S, port: 80 }, flags: TCP.ACK, data: payload(1400) }),
);

{
  const network = new Network({ clock: new FakeClock(), rng: new SeededRng(1) });
  network.addRouter({ id: 'nat', wan: '203.0.113.1', lan: '10.0.0.0/24', nat: natPolicy('port-restricted-cone') });
  network.addHost({ id: 'a', address: '10.0.0.2', on: 'nat' });
  network.addHost({ id: 's', address: '8.8.8.8' });
  const flows = Array.from({ length: 64 }, (_, i) =>
    encodeIpv4({ proto: 'udp', src: { ip: A, port: 5000 + i }, dst: { ip: S, port: 53 }, data: payload(64) }),
  );
  row('carry UDP 64 B through one NAT (64 flows)', () => {
    let n = 0;
    for (let i = 0; i < BATCH; i++) if (carryDatagram(network, 'a', flows[i & 63]!).ok) n++;
    return n;
  });
}

process.stdout.write(`${JSON.stringify({ bench: 'lab-codec', datagramsPerSecond: rows })}\n`);
