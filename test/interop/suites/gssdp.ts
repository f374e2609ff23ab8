/**
 * Interop with the real GSSDP library (libgssdp-1.6, driven from Python through GObject
 * introspection: Debian python3-gi + gir1.2-gssdp-1.6; bookworm's gssdp-tools ships no
 * gssdp-discover). A GSSDP.ResourceBrowser on the LAN host's interface must see the gateway by
 * M-SEARCH, and lose it on the byebye sent when the gateway stops. Lab: see netns.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from '../../../src/gateway/start-gateway.js';
import { CLIENTS, GW_ADDRESS, LAN_ADDRESS, LAN_IFACE, type Lan, PYTHON, requireTool, stepper } from '../netns.js';

const IGD1 = 'urn:schemas-upnp-org:device:InternetGatewayDevice:1';
const IGD2 = 'urn:schemas-upnp-org:device:InternetGatewayDevice:2';
const WANIP1 = 'urn:schemas-upnp-org:service:WANIPConnection:1';

/** Registers the suite; `getLan` yields the shared lan host once the file's beforeAll has built it. */
export function gssdpSuite(getLan: () => Lan): void {
  describe('GSSDP ResourceBrowser against the served gateway', () => {
    let lan: Lan;
    let gw: GatewayHandle;

    beforeAll(async () => {
      requireTool(
        { cmd: PYTHON, args: ['-c', 'import gi; gi.require_version("GSSDP", "1.6"); from gi.repository import GSSDP'] },
        'python3-gi gir1.2-gssdp-1.6',
      );
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

    it('finds the IGD (USN, LOCATION) and sees it leave on byebye', async () => {
      const rootUdn = (await (await fetch(gw.descriptionUrl)).text()).match(/<UDN>(uuid:[^<]+)<\/UDN>/)![1]!;
      const searches: string[] = [];
      gw.events.on('ssdp-search', (e) => searches.push(`${e.via} ${e.st} ${e.answered}`));
      const c = stepper(lan.spawn(PYTHON, [`${CLIENTS}gssdp_client.py`, LAN_IFACE, '8', IGD1, 'upnp:rootdevice', WANIP1]));
      try {
        expect(await c.next()).toEqual({
          event: 'ready',
          interface: LAN_IFACE,
          host_ip: LAN_ADDRESS,
          targets: [IGD1, 'upnp:rootdevice', WANIP1],
        });
        const found = new Map<string, Record<string, unknown>>();
        while (found.size < 3) {
          const e = await c.next();
          expect(e.event, JSON.stringify(e)).toBe('available');
          found.set(e.target as string, e);
        }
        // An IGD:2 device answers an IGD:1 search with ST and USN of the version asked for
        // (as miniupnpd does), and GSSDP takes it as the IGD:1 resource.
        expect(found.get(IGD1)).toEqual({ event: 'available', target: IGD1, usn: `${rootUdn}::${IGD1}`, locations: [gw.descriptionUrl] });
        expect(found.get('upnp:rootdevice')).toEqual({
          event: 'available',
          target: 'upnp:rootdevice',
          usn: `${rootUdn}::upnp:rootdevice`,
          locations: [gw.descriptionUrl],
        });
        expect(found.get(WANIP1)).toMatchObject({
          usn: expect.stringMatching(new RegExp(`^uuid:[0-9a-f-]+::${WANIP1}$`)),
          locations: [gw.descriptionUrl],
        });
        expect(searches).toEqual(expect.arrayContaining([`multicast ${IGD1} 1`, 'multicast upnp:rootdevice 1', `multicast ${WANIP1} 1`]));

        // Stop: byebye for every USN. The rootdevice one matches a resource GSSDP holds; the IGD
        // byebye carries the device's own version (IGD:2), which GSSDP reports under the IGD:1
        // browser (version ≥ 1 matches) but as a USN it never announced — miniupnpd does the same.
        await gw.stop();
        const gone: Array<Record<string, unknown>> = [];
        for (;;) {
          const e = await c.next(5000);
          if (e.event === 'done') break;
          gone.push(e);
        }
        expect(gone).toEqual(
          expect.arrayContaining([{ event: 'unavailable', target: 'upnp:rootdevice', usn: `${rootUdn}::upnp:rootdevice` }]),
        );
        expect(gone.every((e) => e.event === 'unavailable')).toBe(true);
        const igdGone = gone.filter((e) => e.target === IGD1).map((e) => e.usn);
        expect(igdGone.length === 0 || igdGone.includes(`${rootUdn}::${IGD2}`)).toBe(true);
      } finally {
        c.kill();
      }
    }, 30_000);
  });
}
