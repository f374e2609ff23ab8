/** `natsim stun` spawned as users run it, on loopback (127.0.0.1 and 127.0.0.2). */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { startStunServer } from '../../src/stun/server.js';
import { bindingRequest, changeRequest, readReply } from '../stun/helpers.js';
import { natsim, ROOT } from '../support/natsim-cli.js';

function ask(bytes: Uint8Array, port: number): Promise<{ from: string; reply: Record<string, unknown> }> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (s.close(), reject(new Error('no reply'))), 3000);
    s.on('message', (m, r) => (clearTimeout(timer), s.close(), resolve({ from: `${r.address}:${r.port}`, reply: readReply(m) })));
    s.bind(0, '127.0.0.1', () => s.send(bytes, port, '127.0.0.1'));
  });
}

describe('natsim stun', () => {
  it('serves until SIGTERM: ready line, CHANGE-REQUEST answered from the alternate socket, --verbose log, exit 0', async () => {
    const child = spawn(
      process.execPath,
      ['bin/natsim.js', 'stun', '--listen', '127.0.0.1:44490', '--alternate', '127.0.0.2:44491', '--verbose'],
      {
        cwd: ROOT,
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    const ready = await new Promise<string>((resolve, reject) => {
      child.once('exit', () => reject(new Error(`natsim stun exited: ${stderr}`)));
      createInterface({ input: child.stdout }).once('line', resolve);
    });
    expect(ready).toBe(
      'natsim: STUN on 127.0.0.1:44490 (alternate 127.0.0.2:44491; sockets 127.0.0.1:44490, 127.0.0.1:44491, 127.0.0.2:44490, 127.0.0.2:44491); Ctrl-C to stop',
    );
    const r = await ask(bindingRequest([changeRequest(6)]), 44490);
    expect(r.from).toBe('127.0.0.2:44491');
    expect(r.reply).toMatchObject({
      class: 'success',
      ResponseOrigin: '127.0.0.2:44491',
      OtherAddress: '127.0.0.2:44491',
      Software: 'natsim',
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/^natsim: 127\.0\.0\.1:\d+ → 127\.0\.0\.1:44490: success from 127\.0\.0\.2:44491 to 127\.0\.0\.1:\d+\n$/);
  }, 30_000);

  it.each([
    [['--listen', 'here'], 'error: --listen must be IPv4-ADDRESS:PORT, got "here"\n'],
    [['--alternate', '127.0.0.2'], 'error: --alternate must be IPv4-ADDRESS:PORT, got "127.0.0.2"\n'],
    [
      ['--listen', '127.0.0.1:44492', '--alternate', '127.0.0.2:44492'],
      'error: the alternate endpoint must differ from the primary in both address and port (and name its port), got primary 127.0.0.1:44492, alternate 127.0.0.2:44492\n',
    ],
  ])(
    'refuses %j with exit 2',
    async (args, stderr) => {
      const r = await natsim('stun', ...args);
      expect(r).toEqual({ code: 2, stdout: '', stderr });
    },
    30_000,
  );

  it('a port in use is an environment error (exit 3) naming it', async () => {
    await using held = await startStunServer({ primary: '127.0.0.1:44493' });
    const r = await natsim('stun', '--listen', held.primary);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      'error: the address and port are already in use: cannot bind the STUN server to 127.0.0.1:44493: bind EADDRINUSE 127.0.0.1:44493\n',
    );
  }, 30_000);
});
