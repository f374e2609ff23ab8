/** `natsim serve --natpmp-port` as a real process on 127.0.0.1 (ephemeral ports): the ready line names the NAT-PMP endpoint, which answers. */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeNatpmpRequest, parseNatpmpResponse } from '../../src/natpmp/codec.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function readyLine(...args: string[]): Promise<{ ready: Record<string, unknown>; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['bin/natsim.js', 'serve', '--http-port', '0', '--ssdp-port', '0', '--no-multicast', '--json', ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const [line] = (await once(lines, 'line')) as [string];
  return {
    ready: JSON.parse(line) as Record<string, unknown>,
    stop: async () => {
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    },
  };
}

describe('natsim serve: NAT-PMP', () => {
  it('--natpmp-port 0 serves NAT-PMP on a free port, named in the ready line', async () => {
    const { ready, stop } = await readyLine('--natpmp-port', '0');
    try {
      expect(ready['natpmp']).toMatch(/^127\.0\.0\.1:\d+$/);
      const port = Number(String(ready['natpmp']).split(':')[1]);
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
      const reply = once(socket, 'message');
      socket.send(encodeNatpmpRequest({ opcode: 0 }), port, '127.0.0.1');
      const [msg] = (await reply) as [Buffer];
      socket.close();
      expect(parseNatpmpResponse(msg)).toMatchObject({ opcode: 128, result: 0, address: ready['externalIp'] });
    } finally {
      await stop();
    }
  });

  it('without it, the default scenario (no natpmp service) serves no NAT-PMP', async () => {
    const { ready, stop } = await readyLine();
    await stop();
    expect(ready['natpmp']).toBeUndefined();
  });
});
