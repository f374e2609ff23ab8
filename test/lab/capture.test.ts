import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CapturePoint, capturePoints } from '../../src/lab/capture.js';
import { type CarryResult, carryDatagram } from '../../src/lab/carry.js';
import { encodeIpv4 } from '../../src/lab/encode.js';
import { decodeIpv4 } from '../../src/lab/ipv4.js';
import { LINKTYPE_RAW, pcapFileHeader, pcapRecord } from '../../src/lab/pcap.js';
import { PcapDirectory } from '../../src/lab/pcap-file.js';
import { FakeClock, formatIPv4, Network, natPolicy, SeededRng } from '../../src/nat/index.js';
import { ip } from './reference.js';

/** a behind `home` (10.0.0.0/24) behind the carrier NAT `cgn` (WAN 198.51.100.1); web on the Internet. */
function cascade() {
  const network = new Network({ clock: new FakeClock(), rng: new SeededRng(5) });
  network.addRouter({ id: 'cgn', wan: '198.51.100.1', lan: '100.64.0.0/10', nat: natPolicy('port-restricted-cone') });
  network.addRouter({ id: 'home', parent: 'cgn', wan: '100.64.0.2', lan: '10.0.0.0/24', nat: natPolicy('port-restricted-cone') });
  network.addHost({ id: 'a', address: '10.0.0.2', on: 'home' });
  network.addHost({ id: 'web', address: '93.184.216.34' });
  return network;
}

const udp = (src: string, sport: number, dst: string, dport: number, text = 'hello') =>
  encodeIpv4(
    { proto: 'udp', src: { ip: ip(src), port: sport }, dst: { ip: ip(dst), port: dport }, data: new TextEncoder().encode(text) },
    { ttl: 64 },
  );

/** "router side src:port > dst:port ttl" for each point, to compare whole paths at once. */
function describePoints(points: readonly CapturePoint[]): string[] {
  return points.map((p) => {
    const d = decodeIpv4(p.bytes);
    if (!d.ok) throw new Error(d.message);
    const { src, dst } = d.packet;
    return `${p.router} ${p.side} ${formatIPv4(src.ip)}:${src.port} > ${formatIPv4(dst.ip)}:${dst.port} ttl ${d.ttl}`;
  });
}

function carryCapturing(network: Network, from: string, bytes: Uint8Array): { result: CarryResult; points: CapturePoint[] } {
  const points: CapturePoint[] = [];
  const result = carryDatagram(network, from, bytes, { capture: (p) => points.push(p) });
  return { result, points };
}

describe('capture points: a datagram on each side of every router', () => {
  it('outbound through a cascade: inside and outside of home, then of the carrier NAT, TTL falling', () => {
    const network = cascade();
    const { result, points } = carryCapturing(network, 'a', udp('10.0.0.2', 5000, '93.184.216.34', 53));
    expect(result.ok).toBe(true);
    expect(describePoints(points)).toEqual([
      'home inside 10.0.0.2:5000 > 93.184.216.34:53 ttl 64',
      'home outside 100.64.0.2:5000 > 93.184.216.34:53 ttl 63',
      'cgn inside 100.64.0.2:5000 > 93.184.216.34:53 ttl 63',
      'cgn outside 198.51.100.1:5000 > 93.184.216.34:53 ttl 62',
    ]);
  });

  it('the reply comes back outside → inside at each router, and an unsolicited datagram is seen only outside the carrier NAT', () => {
    const network = cascade();
    carryDatagram(network, 'a', udp('10.0.0.2', 5000, '93.184.216.34', 53));
    const back = carryCapturing(network, 'web', udp('93.184.216.34', 53, '198.51.100.1', 5000));
    expect(back.result.ok).toBe(true);
    expect(describePoints(back.points)).toEqual([
      'cgn outside 93.184.216.34:53 > 198.51.100.1:5000 ttl 64',
      'cgn inside 93.184.216.34:53 > 100.64.0.2:5000 ttl 63',
      'home outside 93.184.216.34:53 > 100.64.0.2:5000 ttl 63',
      'home inside 93.184.216.34:53 > 10.0.0.2:5000 ttl 62',
    ]);
    const stray = carryCapturing(network, 'web', udp('93.184.216.34', 54, '198.51.100.1', 5000));
    expect(stray.result.ok).toBe(false);
    expect(describePoints(stray.points)).toEqual(['cgn outside 93.184.216.34:54 > 198.51.100.1:5000 ttl 64']);
  });

  it('a Node Buffer carried in place (what the relay gets from its socket): each point has bytes of its own, the input is rewritten only once', () => {
    const network = cascade();
    const input = Buffer.from(udp('10.0.0.2', 5000, '93.184.216.34', 53));
    const points: CapturePoint[] = [];
    const r = carryDatagram(network, 'a', input, { inPlace: true, capture: (p) => points.push(p) });
    expect(r.ok).toBe(true);
    expect(describePoints(points)).toEqual([
      'home inside 10.0.0.2:5000 > 93.184.216.34:53 ttl 64',
      'home outside 100.64.0.2:5000 > 93.184.216.34:53 ttl 63',
      'cgn inside 100.64.0.2:5000 > 93.184.216.34:53 ttl 63',
      'cgn outside 198.51.100.1:5000 > 93.184.216.34:53 ttl 62',
    ]);
    // In place: the input now holds what leaves the carrier NAT, and nothing else changed it.
    expect(describePoints([{ router: '-', side: 'outside', bytes: input }])).toEqual([
      '- outside 198.51.100.1:5000 > 93.184.216.34:53 ttl 62',
    ]);
  });

  it('rewriting a Buffer without inPlace leaves the Buffer as it was', () => {
    const network = cascade();
    const input = Buffer.from(udp('10.0.0.2', 5001, '93.184.216.34', 53));
    const before = Buffer.from(input);
    expect(carryDatagram(network, 'a', input).ok).toBe(true);
    expect(input.equals(before)).toBe(true);
  });

  it('capturePoints of an untraced send is empty (the trace holds only the last hop), so carryDatagram traces when capturing', () => {
    const network = cascade();
    const bytes = udp('10.0.0.2', 5000, '93.184.216.34', 53);
    const d = decodeIpv4(bytes);
    if (!d.ok) throw new Error(d.message);
    const r = network.send('a', d.packet, { trace: false });
    expect(capturePoints(network, d, r.hops)).toEqual([]);
  });
});

describe('pcap files', () => {
  it('header and record layout (little-endian, version 2.4, LINKTYPE_RAW, microseconds)', () => {
    const h = new DataView(pcapFileHeader().buffer);
    expect([h.getUint32(0, true), h.getUint16(4, true), h.getUint16(6, true), h.getUint32(16, true), h.getUint32(20, true)]).toEqual([
      0xa1b2c3d4,
      2,
      4,
      65535,
      LINKTYPE_RAW,
    ]);
    const rec = pcapRecord(1_700_000_000_123.456, new Uint8Array([1, 2, 3]), 2);
    const v = new DataView(rec.buffer);
    expect([v.getUint32(0, true), v.getUint32(4, true), v.getUint32(8, true), v.getUint32(12, true)]).toEqual([
      1_700_000_000, 123_456, 2, 3,
    ]);
    expect([...rec.subarray(16)]).toEqual([1, 2]);
  });

  const dir = mkdtempSync(join(tmpdir(), 'natsim-pcap-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('tshark reads one file per router and side, translated addresses and valid checksums in each', async () => {
    const network = cascade();
    const pcap = new PcapDirectory(dir, () => 1_700_000_000_000);
    carryDatagram(network, 'a', udp('10.0.0.2', 5000, '93.184.216.34', 53, 'query'), { capture: pcap.sink });
    carryDatagram(network, 'web', udp('93.184.216.34', 53, '198.51.100.1', 5000, 'answer'), { capture: pcap.sink });
    await pcap.close();
    await pcap.close();
    expect(pcap.stats).toEqual({ records: 8, dropped: 0 });
    expect(pcap.files.map((f) => f.slice(dir.length + 1)).sort()).toEqual([
      'cgn-inside.pcap',
      'cgn-outside.pcap',
      'home-inside.pcap',
      'home-outside.pcap',
    ]);
    const fields = (file: string) => {
      const r = spawnSync(
        'tshark',
        [
          '-r',
          join(dir, file),
          '-o',
          'udp.check_checksum:TRUE',
          '-o',
          'ip.check_checksum:TRUE',
          '-T',
          'fields',
          '-E',
          'separator=,',
        ].concat([
          '-e',
          'ip.src',
          '-e',
          'udp.srcport',
          '-e',
          'ip.dst',
          '-e',
          'udp.dstport',
          '-e',
          'ip.checksum.status',
          '-e',
          'udp.checksum.status',
        ]),
        { encoding: 'utf8' },
      );
      if (r.error) throw new Error(`tshark (Debian package tshark) could not run: ${r.error.message}`);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim().split('\n');
    };
    // tshark's checksum status: 0 bad, 1 good, 2 not verified.
    expect(fields('home-inside.pcap')).toEqual(['10.0.0.2,5000,93.184.216.34,53,1,1', '93.184.216.34,53,10.0.0.2,5000,1,1']);
    expect(fields('home-outside.pcap')).toEqual(['100.64.0.2,5000,93.184.216.34,53,1,1', '93.184.216.34,53,100.64.0.2,5000,1,1']);
    expect(fields('cgn-outside.pcap')).toEqual(['198.51.100.1,5000,93.184.216.34,53,1,1', '93.184.216.34,53,198.51.100.1,5000,1,1']);
    expect(readFileSync(join(dir, 'cgn-inside.pcap')).length).toBe(24 + (16 + 20 + 8 + 5) + (16 + 20 + 8 + 6));
  });
});
