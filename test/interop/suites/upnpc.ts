/**
 * Interop with the real miniupnpc command-line client (`upnpc` 2.2.4, Debian package miniupnpc),
 * run on a LAN host (its own network namespace) against `startGateway()` on 10.99.0.1 — SSDP over
 * multicast on the veth, SOAP over HTTP. Registered by real-clients.ns.test.ts; lab: netns.ts.
 *
 * The default scenario's WAN address, 203.0.113.10 (TEST-NET-3), is one miniupnpc treats as
 * reserved: after SSDP discovery, UPNP_GetValidIGD() ranks such a gateway "not connected?" and
 * upnpc gives up unless `-i`; with `-u URL` (UPNP_GetIGDFromUrl) no address check is made.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from '../../../src/gateway/start-gateway.js';
import { GW_ADDRESS, LAN_ADDRESS, LAN_IFACE, type Lan, requireTool } from '../netns.js';

const WAN = '203.0.113.10';
/** A public (non-reserved) address, only ever written into SOAP answers: nothing is sent to it. */
const PUBLIC_WAN = '81.2.69.160';

/** Registers the suite; `getLan` yields the shared lan host once the file's beforeAll has built it. */
export function upnpcSuite(getLan: () => Lan): void {
  describe('upnpc (miniupnpc 2.2.4) against the served gateway', () => {
    let lan: Lan;
    let gw: GatewayHandle;
    const upnpc = async (...args: string[]): Promise<string> => {
      const r = await lan.run('upnpc', args, 20_000);
      return r.output;
    };
    const u = (...args: string[]): Promise<string> => upnpc('-u', gw.descriptionUrl, ...args);
    const mappings = (): string[] =>
      gw.listMappings().map((m) => `${m.protocol} ${m.externalPort}->${m.internalClient}:${m.internalPort} ${m.description} ${m.origin}`);

    beforeAll(async () => {
      requireTool('upnpc', 'miniupnpc');
      lan = getLan();
      gw = await startGateway({
        scenario: 'scenarios/default.yaml',
        listen: GW_ADDRESS,
        httpPort: 0,
        ssdpPort: 1900,
        multicast: true,
        mxDelay: 'none',
      });
    });

    afterAll(async () => {
      await gw?.stop();
    });

    it('serves on the LAN interface; its LAN is the interface network', () => {
      expect(gw.descriptionUrl).toMatch(new RegExp(`^http://${GW_ADDRESS.replace(/\./g, '\\.')}:\\d+/rootDesc\\.xml$`));
      expect(gw.externalIp).toBe(WAN);
      expect(gw.igdVersion).toBe(2);
      expect(gw.listMappings()).toEqual([]);
    });

    it('-u URL -s: valid IGD, connected, our external address (no address check with -u)', async () => {
      const out = await u('-s');
      expect(out).toContain(`Found valid IGD : http://${GW_ADDRESS}:`);
      expect(out).toContain(`Local LAN ip address : ${LAN_ADDRESS}`);
      expect(out).toContain('Connection Type : IP_Routed');
      expect(out).toContain('Status : Connected');
      expect(out).toContain(`ExternalIPAddress = ${WAN}`);
    });

    it('-m IFACE -s (SSDP multicast): found, but the reserved WAN address needs -i', async () => {
      const [plain, withI] = await Promise.all([upnpc('-m', LAN_IFACE, '-s'), upnpc('-i', '-m', LAN_IFACE, '-s')]);
      for (const out of [plain, withI]) {
        expect(out).toContain(` desc: ${gw.descriptionUrl}`);
        expect(out).toContain(' st: urn:schemas-upnp-org:device:InternetGatewayDevice:1');
        expect(out).toContain(`Found a (not connected?) IGD : http://${GW_ADDRESS}:`);
      }
      expect(plain).toContain('No valid UPNP Internet Gateway Device found.');
      expect(plain).not.toContain('ExternalIPAddress');
      expect(withI).toContain('Trying to continue anyway');
      expect(withI).toContain('Status : Connected');
      expect(withI).toContain(`ExternalIPAddress = ${WAN}`);
    }, 30_000);

    it('-a / -l / -L / -d: add, list both ways, delete', async () => {
      const add = await u('-a', LAN_ADDRESS, '8080', '8080', 'TCP', '3600');
      expect(add).toContain(`external ${WAN}:8080 TCP is redirected to internal ${LAN_ADDRESS}:8080 (duration=3600)`);
      expect(mappings()).toEqual([`TCP 8080->${LAN_ADDRESS}:8080 libminiupnpc upnp`]);
      const lease = gw.listMappings()[0]!.leaseDuration;
      expect(lease).toBeGreaterThan(3590);
      expect(lease).toBeLessThanOrEqual(3600);

      const l = await u('-l');
      expect(l).toMatch(new RegExp(` 0 TCP\\s+8080->${LAN_ADDRESS.replace(/\./g, '\\.')}:8080\\s+'libminiupnpc' '' 36\\d\\d`));
      expect(l).toContain('GetGenericPortMappingEntry() returned 713 (SpecifiedArrayIndexInvalid)');

      const L = await u('-L'); // GetListOfPortMappings (IGD:2)
      expect(L).toMatch(new RegExp(` 0 TCP\\s+8080->${LAN_ADDRESS.replace(/\./g, '\\.')}:8080\\s+'libminiupnpc' '' 36\\d\\d`));

      const d = await u('-d', '8080', 'TCP');
      expect(d).toContain('UPNP_DeletePortMapping() returned : 0');
      expect(gw.listMappings()).toEqual([]);
    });

    it('-a for another LAN host: refused in secure mode (606)', async () => {
      const out = await u('-a', '10.99.0.77', '8081', '8081', 'TCP', '3600');
      expect(out).toMatch(/AddPortMapping\(8081, 8081, 10\.99\.0\.77\) failed with code 606 \(Action not authorized\)/);
      expect(gw.listMappings()).toEqual([]);
    });

    it('-n (AddAnyPortMapping): the wanted port; the same port again overwrites (as miniupnpd does)', async () => {
      const first = await u('-n', LAN_ADDRESS, '9000', '9000', 'TCP', '3600');
      expect(first).toContain(`external ${WAN}:9000 TCP is redirected to internal ${LAN_ADDRESS}:9000 (duration=3600)`);
      // Same client, same external port, other internal port: miniupnpd's upnp_redirect() updates
      // the existing mapping rather than picking another port.
      const again = await u('-n', LAN_ADDRESS, '9001', '9000', 'TCP', '3600');
      expect(again).toContain(`external ${WAN}:9000 TCP is redirected to internal ${LAN_ADDRESS}:9001 (duration=3600)`);
      expect(mappings()).toEqual([`TCP 9000->${LAN_ADDRESS}:9001 libminiupnpc upnp`]);
    });

    it('-n on a port the gateway itself holds (its HTTP port): another port is chosen', async () => {
      const httpPort = new URL(gw.descriptionUrl).port;
      const out = await u('-n', LAN_ADDRESS, '9002', httpPort, 'TCP', '3600');
      const m = /external 203\.0\.113\.10:(\d+) TCP is redirected to internal 10\.99\.0\.2:9002 \(duration=3600\)/.exec(out);
      expect(m, out).not.toBeNull();
      const port = Number(m![1]);
      expect(port).not.toBe(Number(httpPort));
      expect(mappings().sort()).toEqual(
        [`TCP 9000->${LAN_ADDRESS}:9001 libminiupnpc upnp`, `TCP ${port}->${LAN_ADDRESS}:9002 libminiupnpc upnp`].sort(),
      );

      const L = await u('-L');
      expect(L).toMatch(/TCP\s+9000->10\.99\.0\.2:9001/);
      expect(L).toMatch(new RegExp(`TCP\\s+${port}->10\\.99\\.0\\.2:9002`));

      // -N (DeletePortMappingRange) over both.
      const N = await u('-N', String(Math.min(9000, port)), String(Math.max(9000, port)), 'TCP');
      expect(N).toContain('UPNP_DeletePortMappingRange() returned : 0');
      expect(gw.listMappings()).toEqual([]);
    });

    it('-N over an empty range: 730 PortMappingNotFound', async () => {
      const N = await u('-N', '9500', '9600', 'TCP');
      expect(N).toContain('UPNP_DeletePortMappingRange() failed with code : 730');
    });

    it('-r (redirect with lease 0): IGD:2 grants the 604800 s maximum instead', async () => {
      const out = await u('-r', '7000', 'tcp', '7001', 'udp');
      expect(out).toContain(`external ${WAN}:7000 TCP is redirected to internal ${LAN_ADDRESS}:7000 (duration=604800)`);
      expect(out).toContain(`external ${WAN}:7001 UDP is redirected to internal ${LAN_ADDRESS}:7001 (duration=604800)`);
      expect(mappings().sort()).toEqual([
        `TCP 7000->${LAN_ADDRESS}:7000 libminiupnpc upnp`,
        `UDP 7001->${LAN_ADDRESS}:7001 libminiupnpc upnp`,
      ]);
      expect(gw.listMappings().every((m) => m.leaseDuration > 604000)).toBe(true);
      expect(await u('-d', '7000', 'TCP')).toContain('returned : 0');
      expect(await u('-d', '7001', 'UDP')).toContain('returned : 0');
      expect(gw.listMappings()).toEqual([]);
    });

    it('with a public WAN address, discovery needs no -i', async () => {
      await gw.stop();
      gw = await startGateway({ wan: PUBLIC_WAN, listen: GW_ADDRESS, httpPort: 0, ssdpPort: 1900, multicast: true, mxDelay: 'none' });
      const out = await upnpc('-m', LAN_IFACE, '-s');
      expect(out).toContain(`Found valid IGD : http://${GW_ADDRESS}:`);
      expect(out).toContain(`ExternalIPAddress = ${PUBLIC_WAN}`);
    }, 30_000);
  });
}
