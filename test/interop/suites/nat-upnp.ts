/**
 * Interop with nat-upnp v1 (IGD:1 only; every call starts with its own SSDP multicast search for
 * InternetGatewayDevice:1) as a separate Node process on the LAN host, against the gateway served
 * with the `miniupnpd-igd1` profile. Lab: see netns.ts; client: clients/nat-upnp-client.cjs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from '../../../src/gateway/start-gateway.js';
import { CLIENTS, GW_ADDRESS, LAN_ADDRESS, type Lan, NODE, stepper } from '../netns.js';

const WAN = '203.0.113.10';
const IGD1 = 'urn:schemas-upnp-org:device:InternetGatewayDevice:1';

/** Registers the suite; `getLan` yields the shared lan host once the file's beforeAll has built it. */
export function natUpnpSuite(getLan: () => Lan): void {
  describe('nat-upnp against the gateway served as IGD:1', () => {
    let lan: Lan;
    let gw: GatewayHandle;

    beforeAll(async () => {
      lan = getLan();
      gw = await startGateway({
        scenario: 'scenarios/default.yaml',
        profile: 'miniupnpd-igd1',
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

    it('serves IGD:1', async () => {
      expect(gw.igdVersion).toBe(1);
      expect(gw.profile).toBe('miniupnpd-igd1');
      expect(await (await fetch(gw.descriptionUrl)).text()).toContain(`<deviceType>${IGD1}</deviceType>`);
    });

    it('discovers by multicast on every call; externalIp, portMapping, getMappings, portUnmapping', async () => {
      const searches: string[] = [];
      gw.events.on('ssdp-search', (e) => searches.push(`${e.via} ${e.st} ${e.answered}`));
      const services = new Set<string>();
      gw.events.on('soap-request', (e) => services.add(e.serviceType));
      const c = stepper(lan.spawn(NODE, [`${CLIENTS}nat-upnp-client.cjs`]));
      try {
        expect(await c.next()).toEqual({ step: 'externalIp', ok: true, value: WAN });
        expect(searches).toEqual([`multicast ${IGD1} 1`]);
        c.proceed();

        expect(await c.next()).toEqual({ step: 'portMapping', ok: true, value: true });
        expect(gw.listMappings()).toEqual([
          expect.objectContaining({
            protocol: 'TCP',
            externalPort: 12345,
            internalClient: LAN_ADDRESS,
            internalPort: 54321,
            description: 'nat-upnp interop',
            origin: 'upnp',
          }),
        ]);
        expect(gw.listMappings()[0]!.leaseDuration).toBeGreaterThan(590);
        c.proceed();
        // ttl 0: permanent on IGD:1 (no 604800 cap as on IGD:2).
        expect(await c.next()).toEqual({ step: 'portMappingUdp', ok: true, value: true });
        expect(gw.listMappings().find((m) => m.protocol === 'UDP')).toMatchObject({
          externalPort: 12346,
          internalClient: LAN_ADDRESS,
          internalPort: 12346,
          description: 'node:nat:upnp',
          leaseDuration: 0,
        });
        c.proceed();

        const all = await c.next();
        expect(all).toMatchObject({ step: 'getMappings', ok: true });
        expect(all.value).toEqual([
          {
            public: { host: '', port: 12345 },
            private: { host: LAN_ADDRESS, port: 54321 },
            protocol: 'tcp',
            enabled: true,
            description: 'nat-upnp interop',
            ttl: expect.any(Number),
            local: true,
          },
          {
            public: { host: '', port: 12346 },
            private: { host: LAN_ADDRESS, port: 12346 },
            protocol: 'udp',
            enabled: true,
            description: 'node:nat:upnp',
            ttl: 0,
            local: true,
          },
        ]);
        expect((all.value as Array<{ ttl: number }>)[0]!.ttl).toBeGreaterThan(590);
        c.proceed();
        const mine = await c.next();
        expect(mine).toMatchObject({
          step: 'getMappingsLocal',
          ok: true,
          value: [{ public: { port: 12345 }, description: 'nat-upnp interop' }],
        });
        c.proceed();

        expect(await c.next()).toEqual({ step: 'portUnmapping', ok: true, value: true });
        expect(gw.listMappings().map((m) => `${m.protocol} ${m.externalPort}`)).toEqual(['UDP 12346']);
        c.proceed();
        expect(await c.next()).toEqual({ step: 'portUnmappingUdp', ok: true, value: true });
        expect(gw.listMappings()).toEqual([]);
        c.proceed();
        expect(await c.next()).toEqual({ step: 'done' });

        expect(searches.length).toBeGreaterThanOrEqual(7); // one search per call
        expect(searches.every((s) => s === `multicast ${IGD1} 1`)).toBe(true);
        expect([...services]).toEqual(['urn:schemas-upnp-org:service:WANIPConnection:1']);
      } finally {
        c.kill();
      }
    }, 30_000);
  });
}
