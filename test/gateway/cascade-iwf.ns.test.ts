/**
 * The IGD-PCP interworking function served (RFC 6970): scenarios/wm-04-isp-nat-pcp.yaml under
 * startScenarioGateway() — the carrier isp-nat (PCP) on 127.0.0.1, the home router home-a (UPnP,
 * `upstream: { pcp: iwf }`) on 127.0.0.2, one model — inside a private network namespace (the file
 * re-executes itself under `unshare --net`; only `lo` there). The real miniupnpc client maps on
 * home-a with `upnpc -u URL -a`; home-a makes the mapping at isp-nat too, with a PCP MAP carried
 * through the model to the carrier's PCP server; the carrier's table shows it, GetExternalIPAddress
 * reports the carrier's address, and a packet from an Internet host reaches the LAN host through
 * both NATs. `upnpc -d` deletes both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScenarioGatewayHandle, startScenarioGateway } from '../../src/gateway/index.js';
import { ep } from '../../src/nat/address.js';
import { FakeClock } from '../../src/nat/clock.js';
import { TCP } from '../../src/nat/packet.js';
import { requireTool } from '../interop/netns.js';
import { runClient } from '../support/natsim-cli.js';
import { assertSealed, IN_NETNS, reexecInNamespace } from '../support/sealed-namespace.js';

reexecInNamespace('test/gateway/cascade-iwf.ns.test.ts', 'upnpc on a home router relaying to a PCP carrier (RFC 6970)');

const client = runClient;

if (IN_NETNS) {
  describe('upnpc -a on home-a maps at isp-nat too', () => {
    let gws: ScenarioGatewayHandle;
    let url: string;
    const table = (id: string) =>
      gws
        .router(id)
        .listMappings()
        .map((m) => `${m.origin} ${m.protocol} ${m.externalPort} → ${m.internalClient}:${m.internalPort} ${m.leaseDuration}s`);

    beforeAll(async () => {
      assertSealed(['lo']);
      requireTool('upnpc', 'miniupnpc');
      gws = await startScenarioGateway({ scenario: 'wm-04-isp-nat-pcp', mxDelay: 'none', clock: new FakeClock(0) });
      url = gws.router('home-a').descriptionUrl!;
      // The loopback client stands for 192.168.1.2 on home-a's LAN: a host there receives what gets in.
      gws.network.addHost({ id: 'upnpc-host', address: '192.168.1.2', on: 'home-a' });
    });

    afterAll(async () => {
      await gws?.stop();
    });

    it('serves the carrier and the home router from one model', () => {
      expect(gws.routers).toEqual(['isp-nat', 'home-a']);
      expect(gws.router('home-a').address).toBe('127.0.0.2');
      expect(table('isp-nat')).toEqual([]);
    });

    it('upnpc -u URL -a: home-a reports the carrier address and maps TCP 40000 at both routers', async () => {
      const a = await client('upnpc', '-u', url, '-a', '127.0.0.1', '5000', '40000', 'TCP', '3600');
      expect(a.code).toBe(0);
      expect(a.output).toContain('ExternalIPAddress = 203.0.113.1');
      expect(a.output).toContain('external 203.0.113.1:40000 TCP is redirected to internal 192.168.1.2:5000 (duration=3600)');
      expect(table('home-a')).toEqual(['upnp TCP 40000 → 192.168.1.2:5000 3600s']);
      // The carrier: the short MAP home-a learnt its address with (discard port, 120 s), and the relayed mapping.
      expect(table('isp-nat')).toEqual(['pcp UDP 1024 → 100.64.0.2:9 120s', 'pcp TCP 40000 → 100.64.0.2:40000 3600s']);
    });

    it('a SYN from the Internet to 203.0.113.1:40000 reaches the LAN host through both NATs in the model', () => {
      const d = gws.network.send('bob', { proto: 'tcp', src: ep('198.51.100.20', 50000), dst: ep('203.0.113.1', 40000), flags: TCP.SYN });
      expect(d.to).toBe('upnpc-host');
      expect(d.hops.map((h) => `${h.node}:${h.code}`)).toEqual(['isp-nat:port-forward', 'home-a:port-forward', 'upnpc-host:delivered']);
      expect(d.packet.dst).toEqual(ep('192.168.1.2', 5000));
    });

    it('an hour on, both leases have run out together', () => {
      gws.advance(3_601_000);
      expect(table('home-a')).toEqual([]);
      expect(table('isp-nat')).toEqual([]);
    });

    it('upnpc -d deletes the mapping at home-a and at isp-nat (a PCP MAP with lifetime 0)', async () => {
      await client('upnpc', '-u', url, '-a', '127.0.0.1', '5001', '40001', 'UDP', '0');
      expect(table('isp-nat')).toContain('pcp UDP 40001 → 100.64.0.2:40001 86400s');
      const d = await client('upnpc', '-u', url, '-d', '40001', 'UDP');
      expect(d.code).toBe(0);
      expect(table('home-a')).toEqual([]);
      expect(table('isp-nat').filter((l) => l.includes('40001'))).toEqual([]);
    });
  });
}
