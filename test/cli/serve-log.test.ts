/** src/cli/serve-log.ts on a real gateway (loopback, ephemeral ports, fake time): which events become lines, in which shape. */
import { describe, expect, it } from 'vitest';
import { attachServeLog } from '../../src/cli/serve-log.js';
import { startGateway } from '../../src/gateway/start-gateway.js';
import { FakeClock } from '../../src/nat/clock.js';
import { mappingArgs, soap } from '../gateway/helpers.js';

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);

async function gateway() {
  return startGateway({ scenario: 'scenarios/default.yaml', httpPort: 0, ssdpPort: 0, multicast: false, clock: new FakeClock(NOW) });
}

describe('serve log', () => {
  it('JSON lines: mapping created, fault, mapping expired once the lease runs out; one line each', async () => {
    await using gw = await gateway();
    const lines: string[] = [];
    const detach = attachServeLog(gw, { json: true, write: (l) => lines.push(l), now: () => NOW });
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewLeaseDuration: 60 }))).status).toBe(200);
    expect((await soap(gw, 'GetExternalIPAddress')).status).toBe(200); // not logged without verbose
    expect((await soap(gw, 'DeletePortMapping', { NewRemoteHost: '', NewExternalPort: 5999, NewProtocol: 'UDP' })).code).toBe(714);
    gw.advance(61_000);
    detach();
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((p) => p.event)).toEqual(['mapping-created', 'fault', 'mapping-expired']);
    expect(parsed[0]).toEqual({
      event: 'mapping-created',
      time: '2026-01-02T03:04:05.000Z',
      router: 'home-a',
      protocol: 'UDP',
      externalPort: 5000,
      internalClient: '192.168.1.2',
      internalPort: 5000,
      remoteHost: '',
      description: 'test',
      enabled: true,
      leaseDuration: 60,
      origin: 'upnp',
    });
    expect(parsed[1]).toMatchObject({ event: 'fault', action: 'DeletePortMapping', code: 714, client: '192.168.1.2' });
    expect(parsed[2]).toMatchObject({ event: 'mapping-expired', externalPort: 5000, origin: 'upnp' });
  });

  it('text lines, and nothing after detaching', async () => {
    await using gw = await gateway();
    const lines: string[] = [];
    const detach = attachServeLog(gw, { write: (l) => lines.push(l) });
    await soap(gw, 'AddPortMapping', mappingArgs({ NewLeaseDuration: 0, NewPortMappingDescription: 'forever' }));
    gw.use({ action: 'AddPortMapping', fault: 718 });
    await soap(gw, 'AddPortMapping', mappingArgs({ NewExternalPort: 6000 }));
    detach();
    await soap(gw, 'DeletePortMapping', { NewRemoteHost: '', NewExternalPort: 5000, NewProtocol: 'UDP' });
    expect(lines).toEqual([
      // IGD:2 turns a lease of 0 into a week (WANIPConnection:2 §2.3.16).
      'natsim: mapping created UDP 5000 → 192.168.1.2:5000 (lease 604800 s, "forever", upnp)',
      'natsim: fault 718 ConflictInMappingEntry for AddPortMapping from 192.168.1.2 (injected)',
    ]);
  });
});
