/**
 * A bounded, seeded fuzz of natsim's HTTP/SOAP and SSDP front ends, inside a private network
 * namespace (re-executed under `unshare --net`; everything on its loopback), against `natsim
 * serve` as a separate process. The seeds are the requests real clients sent (seeds.json, made
 * by capture-seeds.ts from upnpc, python3-miniupnpc, nat-upnp and @achingbrain/nat-port-mapper);
 * each case mutates one (byte flips, inserts, deletions, duplicated or cut ranges, splices of two
 * seeds, header and number edits) with a generator seeded by the case number, so a failure names a
 * case that replays. Every HTTP case goes over its own connection, half-closed after the request.
 *
 * Asserted: the process never dies; every byte the server sends on an HTTP connection is a
 * sequence of well-formed HTTP/1.1 responses (status line, headers, a body exactly as long as
 * Content-Length says, XML bodies well-formed); every SSDP datagram it sends is a well-formed
 * search response; and after the fuzz the gateway still answers real requests.
 * NATSIM_FUZZ_CASES raises the number of cases (default 3000 HTTP + 3000 SSDP).
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IN_NETNS, reexecInNamespace } from '../support/sealed-namespace.js';
import { type ServeProcess, soapCall, startServe } from './serve-process.js';

reexecInNamespace('test/reliability/fuzz.ns.test.ts', 'reliability: seeded fuzz of HTTP/SOAP and SSDP');

const CASES = Number(process.env.NATSIM_FUZZ_CASES ?? 3000);
const seeds = JSON.parse(readFileSync(new URL('./seeds.json', import.meta.url), 'utf8')) as {
  http: Array<{ client: string; text: string }>;
  ssdp: Array<{ client: string; text: string }>;
};

/** mulberry32. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [
  '0',
  '-1',
  '65535',
  '65536',
  '4294967296',
  '99999999999999999999',
  '',
  ' ',
  '%00',
  '\u0000',
  '<',
  '&',
  ']]>',
  '<a><a><a>',
  '"',
  '\r\n',
  ':',
  '*',
  'A'.repeat(300),
];

/** One mutant of `seed` (latin1 text), drawn from `next`. */
export function mutate(seed: string, other: string, next: () => number): string {
  let s = seed;
  const rounds = 1 + Math.floor(next() * 4);
  const pos = (): number => Math.floor(next() * (s.length + 1));
  for (let r = 0; r < rounds; r++) {
    const op = Math.floor(next() * 9);
    const at = pos();
    switch (op) {
      case 0: {
        // flip a byte
        if (s.length === 0) break;
        const i = Math.min(at, s.length - 1);
        s = s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << Math.floor(next() * 8))) + s.slice(i + 1);
        break;
      }
      case 1: // insert random bytes
        s =
          s.slice(0, at) +
          Array.from({ length: 1 + Math.floor(next() * 8) }, () => String.fromCharCode(Math.floor(next() * 256))).join('') +
          s.slice(at);
        break;
      case 2: // delete a range
        s = s.slice(0, at) + s.slice(Math.min(s.length, at + 1 + Math.floor(next() * 32)));
        break;
      case 3: {
        // duplicate a range, sometimes many times
        const len = 1 + Math.floor(next() * 64);
        const times = next() < 0.2 ? 50 : 2;
        s = s.slice(0, at) + s.slice(at, at + len).repeat(times) + s.slice(at + len);
        break;
      }
      case 4: // cut the request short
        s = s.slice(0, at);
        break;
      case 5: // splice with another seed
        s = s.slice(0, at) + other.slice(Math.floor(next() * other.length));
        break;
      case 6: // an interesting value in place of the text between two delimiters
        {
          const m = [...s.matchAll(/>([^<]*)<|: ([^\r\n]*)\r\n/g)];
          if (m.length === 0) break;
          const hit = m[Math.floor(next() * m.length)]!;
          const value = INTERESTING[Math.floor(next() * INTERESTING.length)]!;
          const start = hit.index! + 1 + (hit[0].startsWith(':') ? 1 : 0);
          const end = start + (hit[1] ?? hit[2] ?? '').length;
          s = s.slice(0, start) + value + s.slice(end);
          break;
        }
      case 7: // change the case of a stretch
        s = s.slice(0, at) + s.slice(at, at + 16).toLowerCase() + s.slice(at + 16);
        break;
      default: // line endings: CRLF → LF or the reverse
        s = next() < 0.5 ? s.replace(/\r\n/, '\n') : s.replace(/\n/, '\r\n');
    }
  }
  return s;
}

/** Checks that `data` is zero or more complete, well-formed HTTP/1.1 responses; returns the problems. */
function httpProblems(data: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0)
      return [...out, `trailing bytes that are not a response: ${JSON.stringify(data.subarray(at, at + 80).toString('latin1'))}`];
    const head = data.subarray(at, end).toString('latin1');
    const [status, ...lines] = head.split('\r\n');
    if (!/^HTTP\/1\.1 [1-5]\d\d [^\r\n]*$/.test(status!)) out.push(`bad status line ${JSON.stringify(status)}`);
    const headers = new Map<string, string>();
    for (const l of lines) {
      const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(l);
      if (!m) out.push(`bad header line ${JSON.stringify(l)}`);
      else headers.set(m[1]!.toLowerCase(), m[2]!);
    }
    const len = Number(headers.get('content-length'));
    if (!Number.isInteger(len) || len < 0) {
      out.push(`no valid Content-Length in ${JSON.stringify(status)}`);
      return out;
    }
    if (end + 4 + len > data.length) return [...out, `body shorter than Content-Length ${len}`];
    const body = data.subarray(end + 4, end + 4 + len).toString('utf8');
    if ((headers.get('content-type') ?? '').startsWith('text/xml') && body.length > 0 && XMLValidator.validate(body) !== true) {
      out.push(`XML body not well-formed (${status}): ${body.slice(0, 120)}`);
    }
    at = end + 4 + len;
  }
  return out;
}

/** Sends one case on its own connection (half-closed after it) and returns all the server sent. */
function httpCase(port: number, payload: Buffer): Promise<{ data: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sock = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ data: Buffer.concat(chunks), error: 'no close within 15 s' });
    }, 15_000);
    sock.on('connect', () => sock.end(payload));
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', () => {}); // a reset after the reply is the server's right
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks) });
    });
  });
}

const SEARCH_RESPONSE = /^HTTP\/1\.1 200 OK\r\n(?:[A-Za-z0-9.-]+:[^\r\n]*\r\n)+\r\n$/;

if (IN_NETNS) {
  let gw: ServeProcess;
  beforeAll(async () => {
    gw = await startServe(['--listen', '127.0.0.1', '--http-port', '0', '--ssdp-port', '0', '--no-multicast']);
  });
  afterAll(async () => {
    await gw?.kill('SIGTERM');
  });

  describe('seeded fuzz', () => {
    it('has seeds from every real client', () => {
      expect(new Set(seeds.http.map((s) => s.client))).toEqual(new Set(['upnpc', 'python3-miniupnpc', 'nat-upnp', 'nat-port-mapper']));
      expect(seeds.ssdp.length).toBeGreaterThan(0);
    });

    it(`HTTP/SOAP: ${CASES} mutants of real client requests, every reply well-formed, no crash`, async () => {
      const port = Number(new URL(gw.descriptionUrl).port);
      const problems: string[] = [];
      let replied = 0;
      const PARALLEL = 16;
      let nextCase = 0;
      const worker = async (): Promise<void> => {
        for (let c = nextCase++; c < CASES; c = nextCase++) {
          const next = rng(0x5eed0000 + c);
          const seed = seeds.http[Math.floor(next() * seeds.http.length)]!.text;
          const other = seeds.http[Math.floor(next() * seeds.http.length)]!.text;
          const payload = Buffer.from(mutate(seed, other, next), 'latin1');
          const r = await httpCase(port, payload);
          if (r.data.length > 0) replied++;
          for (const p of [...httpProblems(r.data), ...(r.error ? [r.error] : [])]) problems.push(`case ${c}: ${p}`);
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      expect(problems.slice(0, 20)).toEqual([]);
      expect(gw.child.exitCode).toBeNull();
      // Almost every case gets an answer (a case cut before its request line may get none).
      expect(replied).toBeGreaterThan(CASES * 0.9);
      // Still serving real requests.
      const ok = await soapCall(gw.controlUrl, 'GetExternalIPAddress', {});
      expect(ok.status).toBe(200);
      expect(gw.stderr()).not.toMatch(/internal error|uncaught|RangeError|TypeError/i);
    }, 100_000);

    it(`SSDP: ${CASES} mutants of real M-SEARCHes, every reply a well-formed search response, no crash`, async () => {
      const sock = dgram.createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
      const bad: string[] = [];
      let replies = 0;
      sock.on('message', (m) => {
        replies++;
        const text = m.toString('latin1');
        if (!SEARCH_RESPONSE.test(text) || !/\r\nST:/i.test(text) || !/\r\nUSN:/i.test(text) || !/\r\nLOCATION: http:\/\//i.test(text))
          bad.push(JSON.stringify(text.slice(0, 200)));
      });
      for (let c = 0; c < CASES; c++) {
        const next = rng(0x55d90000 + c);
        const seed = seeds.ssdp[Math.floor(next() * seeds.ssdp.length)]!.text;
        const other = seeds.ssdp[Math.floor(next() * seeds.ssdp.length)]!.text;
        sock.send(Buffer.from(mutate(seed, other, next), 'latin1'), gw.ssdp.port, '127.0.0.1');
        if (c % 100 === 99) await new Promise((r) => setTimeout(r, 20)); // bounded pace: a fuzz, not a flood
      }
      await new Promise((r) => setTimeout(r, 1500));
      // An unmutated real search is still answered.
      const before = replies;
      sock.send(Buffer.from(seeds.ssdp[0]!.text, 'latin1'), gw.ssdp.port, '127.0.0.1');
      for (let i = 0; i < 50 && replies === before; i++) await new Promise((r) => setTimeout(r, 100));
      sock.close();
      expect(bad.slice(0, 10)).toEqual([]);
      expect(replies).toBeGreaterThan(before);
      expect(gw.child.exitCode).toBeNull();
    }, 100_000);
  });
}
