/**
 * Interop with the real miniupnpc client (`upnpc`, Debian package miniupnpc; the suite fails if it is missing).
 * Discovery is skipped with `-u`, and the client runs on loopback, so the loopback rule
 * applies (its NewInternalClient 127.0.0.1 becomes the router LAN address + 1).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, SeededRng } from '../../src/nat/clock.js';
import { Network } from '../../src/nat/network.js';
import { createUpnpApp, type UpnpApp } from '../../src/soap/express-app.js';
import { PUBLIC_WAN } from './helpers.js';

const UPNPC = ['/usr/bin/upnpc', '/usr/local/bin/upnpc'].find((p) => existsSync(p));

function upnpc(url: string, ...args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(UPNPC!, ['-u', url, ...args], { timeout: 10_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
}

describe('upnpc interop', () => {
  let server: http.Server;
  let app: UpnpApp;
  let url = '';
  let router: ReturnType<Network['addRouter']>;

  beforeAll(async () => {
    if (!UPNPC) throw new Error('upnpc is missing: apt-get install -y --no-install-recommends miniupnpc');
    const clock = new FakeClock(0);
    const network = new Network({ clock, rng: new SeededRng(1) });
    router = network.addRouter({ id: 'gw', wan: PUBLIC_WAN, lan: '192.168.1.0/24' });
    app = createUpnpApp({ router, clock });
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rootDesc.xml`;
  });

  afterAll(async () => {
    app.close();
    await new Promise((r) => server.close(r));
  });

  it('-s: finds a valid, connected IGD with our external address', async () => {
    const out = await upnpc(url, '-s');
    expect(out).toContain('Found valid IGD');
    expect(out).toContain('Status : Connected');
    expect(out).toContain(`ExternalIPAddress = ${PUBLIC_WAN}`);
  });

  it('-a / -l / -d: add with 127.0.0.1, list until 713, delete', async () => {
    const add = await upnpc(url, '-a', '127.0.0.1', '5000', '5000', 'UDP', '3600');
    expect(add).toContain(`external ${PUBLIC_WAN}:5000 UDP is redirected to internal 192.168.1.2:5000 (duration=3600)`);
    expect(router.forwards.find('udp', 5000)?.internalClient).toBe('192.168.1.2');
    const list = await upnpc(url, '-l');
    expect(list).toMatch(/0 UDP\s+5000->192\.168\.1\.2:5000/);
    expect(list).toContain('GetGenericPortMappingEntry() returned 713');
    const denied = await upnpc(url, '-a', '192.168.1.77', '5001', '5001', 'TCP');
    expect(denied).toContain('606');
    const del = await upnpc(url, '-d', '5000', 'UDP');
    expect(del).toContain('UPNP_DeletePortMapping() returned : 0');
    expect(router.forwards.size).toBe(0);
  });
});
