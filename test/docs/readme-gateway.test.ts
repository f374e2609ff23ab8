// The README's "natsim in your tests" example, verbatim: keep the two in step.
import { upnpNat } from '@achingbrain/nat-port-mapper';
import { expect, it } from 'vitest';
import { FakeClock, startGateway } from '../../src/index.js';

it('maps a port through a real UPnP client, then the lease runs out', async () => {
  await using gw = await startGateway({ scenario: 'default', clock: new FakeClock(0) });

  // The code under test: libp2p's UPnP client, pointed straight at the gateway.
  const gateway = await upnpNat().getGateway(new URL(gw.descriptionUrl));
  expect(await gateway.externalIp()).toBe(gw.externalIp);
  await gateway.map(4001, '127.0.0.1', { protocol: 'tcp', ttl: 3_600_000 });

  expect(gw.listMappings()).toMatchObject([
    { protocol: 'TCP', internalClient: '192.168.1.2', internalPort: 4001, leaseDuration: 3600, origin: 'upnp' },
  ]);

  gw.advance(3_601_000); // an hour later, without waiting an hour
  expect(gw.listMappings()).toEqual([]);

  gw.use({ action: 'AddAnyPortMapping', fault: 728 }); // the router's table is full, once
  await expect(gateway.map(4002, '127.0.0.1', { protocol: 'tcp' })).rejects.toThrow();
  gw.assertNoPendingFaults();
  await gateway.stop();
});
