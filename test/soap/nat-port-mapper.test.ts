/**
 * Interop with @achingbrain/nat-port-mapper (libp2p's UPnP client): IGD:2 only, AddAnyPortMapping,
 * and DeletePortMapping with an empty NewProtocol (which miniupnpd reads as TCP).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { upnpNat } from '@achingbrain/nat-port-mapper';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, SeededRng } from '../../src/nat/clock.js';
import { Network } from '../../src/nat/network.js';
import { createUpnpApp } from '../../src/soap/express-app.js';
import { PUBLIC_WAN } from './helpers.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('@achingbrain/nat-port-mapper interop', () => {
  it('maps with AddAnyPortMapping and unmaps', async () => {
    const clock = new FakeClock(0);
    const router = new Network({ clock, rng: new SeededRng(1) }).addRouter({ id: 'gw', wan: PUBLIC_WAN, lan: '192.168.1.0/24' });
    const app = createUpnpApp({ router, clock });
    const server = http.createServer(app);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = upnpNat({ autoRefresh: false });
    const gateway = await client.getGateway(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/rootDesc.xml`));
    expect(await gateway.externalIp()).toBe(PUBLIC_WAN);
    const m = await gateway.map(8000, '127.0.0.1', { protocol: 'tcp', externalPort: 8000 });
    expect(m).toMatchObject({ externalHost: PUBLIC_WAN, externalPort: 8000, protocol: 'TCP' });
    expect(router.forwards.find('tcp', 8000)?.internalClient).toBe('192.168.1.2');
    await gateway.unmap(8000);
    expect(router.forwards.size).toBe(0);
    await gateway.stop();
    app.close();
  });
});
