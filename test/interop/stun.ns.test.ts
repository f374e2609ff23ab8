/**
 * natsim's STUN server (src/stun/) against coturn's real clients, `turnutils_stunclient` and
 * `turnutils_natdiscovery` (Debian package coturn), and side by side with coturn's own
 * `turnserver`, inside a private namespace: loopback up with a second address, 127.0.0.2, so each
 * server has a primary and an alternate address. No NAT sits between client and server, so the
 * clients must find endpoint-independent mapping and filtering and a reflexive address equal to
 * their own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StunServer, startStunServer } from '../../src/stun/server.js';
import { bindingRequest } from '../stun/helpers.js';
import { assertSealed, IN_NETNS, reexecInNamespace, requireTool } from './netns.js';

reexecInNamespace('test/interop/stun.ns.test.ts', 'natsim STUN server with turnutils_stunclient, turnutils_natdiscovery and turnserver', [
  'ip addr add 127.0.0.2/8 dev lo',
]);

const NATSIM = { primary: '127.0.0.1:44478', alternate: '127.0.0.2:44479' };
const COTURN = { primary: '127.0.0.1:44578', alternate: '127.0.0.2:44579' };

/** Runs a command to completion; stdout + stderr and the exit status. */
function run(cmd: string, args: readonly string[], timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Resolves once a Binding request to `to` is answered (the server is up), or fails after ~5 s. */
async function waitForStun(to: string): Promise<void> {
  const [host, port] = to.split(':') as [string, string];
  for (let i = 0; i < 50; i++) {
    const answered = await new Promise<boolean>((resolve) => {
      const s = dgram.createSocket('udp4');
      const timer = setTimeout(() => (s.close(), resolve(false)), 100);
      s.on('message', () => (clearTimeout(timer), s.close(), resolve(true)));
      s.bind(0, '127.0.0.1', () => s.send(bindingRequest(), Number(port), host));
    });
    if (answered) return;
  }
  throw new Error(`no STUN server answers at ${to}`);
}

/** Client output with the server's ports named and the client's own (random) ports hidden. */
function normalize(output: string, server: { primary: string; alternate: string }): string[] {
  const p = server.primary.split(':')[1]!;
  const a = server.alternate.split(':')[1]!;
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) =>
      l
        .replaceAll(`:${p}`, ':PRIMARY')
        .replaceAll(`:${a}`, ':ALTERNATE')
        .replace(/(reflexive addr:|Local addr: :) ([0-9.]+):\d+/, '$1 $2:CLIENT'),
    );
}

if (IN_NETNS) {
  let natsim: StunServer;
  let coturn: ChildProcess | undefined;
  let dir: string;

  beforeAll(async () => {
    assertSealed(['lo']);
    requireTool('turnutils_natdiscovery', 'coturn');
    requireTool('turnserver', 'coturn');
    natsim = await startStunServer({ ...NATSIM, software: 'natsim interop' });
    dir = mkdtempSync(join(tmpdir(), 'natsim-stun-'));
    const conf = join(dir, 'turnserver.conf');
    writeFileSync(
      conf,
      [
        `listening-port=${COTURN.primary.split(':')[1]}`,
        `alt-listening-port=${COTURN.alternate.split(':')[1]}`,
        'listening-ip=127.0.0.1',
        'listening-ip=127.0.0.2',
        'stun-only',
        'no-tls',
        'no-dtls',
        'no-cli',
        'no-auth',
        'log-file=stdout',
        'simple-log',
        `pidfile=${join(dir, 'turnserver.pid')}`,
        `userdb=${join(dir, 'turndb')}`,
      ].join('\n'),
    );
    coturn = spawn('turnserver', ['-c', conf], { stdio: 'ignore' });
    await waitForStun(COTURN.primary);
  });

  afterAll(async () => {
    await natsim?.stop();
    if (coturn && coturn.exitCode === null) {
      const gone = new Promise((r) => coturn!.once('exit', r));
      coturn.kill('SIGTERM');
      await gone;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('turnutils_stunclient', () => {
    it('gets its own address back, RESPONSE-ORIGIN and OTHER-ADDRESS, and a reply from the alternate address and port', async () => {
      const r = await run('turnutils_stunclient', ['-p', '44478', '127.0.0.1']);
      expect(r.code, r.output).toBe(0);
      const lines = normalize(r.output, NATSIM);
      expect(lines).toEqual([
        '========================================',
        'RFC 5780 response 1',
        '0: : IPv4. Response origin: : 127.0.0.1:PRIMARY',
        '0: : IPv4. Response origin: : 127.0.0.1:PRIMARY',
        '0: : IPv4. Other addr: : 127.0.0.2:ALTERNATE',
        '0: : IPv4. UDP reflexive addr: 127.0.0.1:CLIENT',
        '========================================',
        'RFC 5780 response 2',
        '0: : IPv4. Response origin: : 127.0.0.2:ALTERNATE',
        '0: : IPv4. Other addr: : 127.0.0.2:ALTERNATE',
        '0: : IPv4. UDP reflexive addr: 127.0.0.1:CLIENT',
        '========================================',
        'RFC 5780 response 3',
        '0: : IPv4. Response origin: : 127.0.0.2:ALTERNATE',
        '0: : IPv4. Other addr: : 127.0.0.2:ALTERNATE',
        '0: : IPv4. UDP reflexive addr: 127.0.0.1:CLIENT',
      ]);
      // The same client against coturn's turnserver prints the same.
      const real = await run('turnutils_stunclient', ['-p', '44578', '127.0.0.1']);
      expect(real.code, real.output).toBe(0);
      expect(normalize(real.output, COTURN)).toEqual(lines);
    });
  });

  describe('turnutils_natdiscovery -m -f (RFC 5780 behaviour discovery)', () => {
    for (const padding of [false, true]) {
      it(`finds no NAT: endpoint-independent mapping and filtering, no ALG${padding ? ' (-P: 1500-byte PADDING)' : ''}`, async () => {
        const args = ['-m', '-f', ...(padding ? ['-P'] : []), '-p'];
        const r = await run('turnutils_natdiscovery', [...args, '44478', '127.0.0.1']);
        expect(r.code, r.output).toBe(0);
        const lines = normalize(r.output, NATSIM);
        expect(lines).toContain('NAT with Endpoint Independent Mapping!');
        expect(lines).toContain('NAT with Endpoint Independent Filtering!');
        expect(lines.filter((l) => l === 'No ALG: Mapped == XOR-Mapped')).toHaveLength(4);
        expect(lines.filter((l) => l.includes('UDP reflexive addr'))).toEqual(
          new Array(4).fill('0: : IPv4. UDP reflexive addr: 127.0.0.1:CLIENT'),
        );
        // The mapping test's second request goes to the alternate address, primary port; the
        // filtering test's change-IP-and-port reply comes from the alternate address and port.
        expect(lines.filter((l) => l.includes('Response origin'))).toEqual([
          '0: : IPv4. Response origin: : 127.0.0.1:PRIMARY',
          '0: : IPv4. Response origin: : 127.0.0.1:PRIMARY',
          '0: : IPv4. Response origin: : 127.0.0.2:PRIMARY',
          '0: : IPv4. Response origin: : 127.0.0.1:PRIMARY',
          '0: : IPv4. Response origin: : 127.0.0.2:ALTERNATE',
        ]);
        // OTHER-ADDRESS is relative to where the request arrived (RFC 5780 §7.4): a request to the
        // alternate address on the primary port names the primary address on the alternate port.
        expect(lines.filter((l) => l.includes('Other addr'))).toEqual([
          '0: : IPv4. Other addr: : 127.0.0.2:ALTERNATE',
          '0: : IPv4. Other addr: : 127.0.0.1:ALTERNATE',
          '0: : IPv4. Other addr: : 127.0.0.2:ALTERNATE',
          '0: : IPv4. Other addr: : 127.0.0.2:ALTERNATE',
        ]);
        // coturn's turnserver, asked the same, reaches the same verdicts from the same reply origins
        // (it names its alternate endpoint as OTHER-ADDRESS whichever socket answered).
        const real = await run('turnutils_natdiscovery', [...args, '44578', '127.0.0.1']);
        expect(real.code, real.output).toBe(0);
        const strip = (ls: string[]): string[] => ls.filter((l) => !l.includes('Other addr'));
        expect(strip(normalize(real.output, COTURN))).toEqual(strip(lines));
      });
    }
  });

  it('answered every request the clients sent and refused none', () => {
    // turnutils_stunclient: 3 requests; turnutils_natdiscovery -m -f: 2 for mapping, 2 for filtering, twice.
    expect(natsim.stats).toEqual({ received: 11, success: 11, errors: 0, ignored: {} });
  });
}
